"""The floor graph: nodes, edges, widths, routes, travel times (exact cases worked by hand)."""

from __future__ import annotations

import json
import math

import networkx as nx
import pytest

from twin.graph import (build_graph, effective_width, exit_distances, route_to_exit, shortest_route, to_node_link,
                        travel_time_s, unreachable_spaces, walkable)
from twin.loader import parse_building


def test_nodes_and_edges(two_storey) -> None:
    g = build_graph(two_storey)
    assert g.number_of_nodes() == 7  # six spaces and one exit
    assert g.number_of_edges() == 6  # five doors and one stair flight
    assert g.nodes["F02-OFF"]["occupants"] == 8  # 80 m² at 10 m²/person
    assert g.nodes["F02-OFF"]["pos"] == (5.0, 6.0, 3.5)
    assert g.nodes["EXIT-W"]["node_type"] == "exit"
    flight = g.edges["F01-ST", "F02-ST", "ST-1:F01-ST"]
    assert flight["kind"] == "stair" and flight["id"] == "ST-1"
    # 3.5 m rise at 0.175/0.28: going 5.6 m; slope length + one stair width for the half landing.
    assert flight["length_m"] == pytest.approx(math.hypot(3.5, 5.6) + 1.2)


def test_effective_widths_follow_sfpe_boundary_layers(two_storey) -> None:
    """SFPE: 0.15 m per side for doors and stairs, 0.09 m at handrails, 0.20 m for corridor walls."""
    g = build_graph(two_storey)
    assert g.edges["F01-OFF", "F01-COR", "F01-D1"]["effective_width_m"] == pytest.approx(0.60)
    assert g.edges["F01-ST", "F02-ST", "ST-1:F01-ST"]["effective_width_m"] == pytest.approx(1.2 - 0.18)
    assert g.nodes["F01-COR"]["effective_width_m"] == pytest.approx(1.6)
    assert effective_width(0.2, "door") == 0.0


def test_door_position_on_shared_wall_gives_walking_length(two_storey) -> None:
    g = build_graph(two_storey)
    d = g.edges["F01-OFF", "F01-COR", "F01-D1"]
    # The office (0..10, 2..10) and corridor (0..20, 0..2) share the wall y=2 for x in 0..10.
    assert d["door_pos"] == (5.0, 2.0)
    assert d["length_m"] == pytest.approx(4.0 + math.dist((10, 1), (5, 2)) + 0.3)


def test_routes_and_distances(two_storey) -> None:
    g = build_graph(two_storey)
    route = route_to_exit(g, "F02-OFF")
    assert route.nodes == ("F02-OFF", "F02-COR", "F02-ST", "F01-ST", "F01-COR", "EXIT-W")
    assert route.edges[2] == "ST-1:F01-ST"
    dist = exit_distances(g)
    assert dist["F02-OFF"] == pytest.approx(route.length_m)
    assert shortest_route(g, "F01-OFF", "F02-OFF").length_m == pytest.approx(
        nx.dijkstra_path_length(nx.Graph(g), "F01-OFF", "F02-OFF", weight="length_m"))


def test_travel_time_uses_stair_speed_by_direction(two_storey) -> None:
    g = build_graph(two_storey)
    route = route_to_exit(g, "F02-OFF")
    flight = g.edges["F01-ST", "F02-ST", "ST-1:F01-ST"]["length_m"]
    horizontal = route.length_m - flight
    t = travel_time_s(g, route, horizontal_mps=1.2, stair_down_mps=0.6, stair_up_mps=0.4)
    assert t == pytest.approx(horizontal / 1.2 + flight / 0.6)
    up = shortest_route(g, "F01-COR", "F02-COR")
    t_up = travel_time_s(g, up, horizontal_mps=1.2, stair_down_mps=0.6, stair_up_mps=0.4)
    assert t_up == pytest.approx((up.length_m - flight) / 1.2 + flight / 0.4)


def test_blocked_routes(two_storey) -> None:
    g = build_graph(two_storey)
    assert route_to_exit(g, "F02-OFF", blocked_edges={"ST-1"}) is None
    assert set(unreachable_spaces(g, blocked_edges={"ST-1"})) == {"F02-OFF", "F02-COR", "F02-ST"}
    # A blocked space is itself unreachable, and so is everything behind it.
    assert set(unreachable_spaces(g, blocked_nodes={"F01-COR"})) == {
        "F01-COR", "F01-OFF", "F01-ST", "F02-OFF", "F02-COR", "F02-ST"}
    assert walkable(g, blocked_edges={"F01-D1"}).number_of_edges() == 5


def test_parallel_doors_are_separate_edges_and_best_is_taken(two_storey) -> None:
    data = two_storey.model_dump()
    data["doors"].append({"id": "F01-D1B", "between": ["F01-OFF", "F01-COR"], "width_m": 2.0, "length_m": 0.0})
    g = build_graph(parse_building(data, "parallel.yaml"))
    assert set(g["F01-OFF"]["F01-COR"]) == {"F01-D1", "F01-D1B"}
    assert route_to_exit(g, "F01-OFF").edges[0] == "F01-D1B"  # shorter (no door depth)
    assert route_to_exit(g, "F01-OFF", blocked_edges={"F01-D1B"}).edges[0] == "F01-D1"


def test_node_link_export_round_trips(two_storey) -> None:
    g = build_graph(two_storey)
    data = json.loads(json.dumps(to_node_link(g)))
    back = nx.node_link_graph(data, edges="edges")
    assert back.number_of_nodes() == g.number_of_nodes()
    assert back.number_of_edges() == g.number_of_edges()
    assert back.is_multigraph()
