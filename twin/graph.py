"""The floor graph: the building as a network people move through.

Nodes are the spaces of the building (rooms, apartments, corridors, lobbies, stair landings, lift
lobbies) and its final exits; each carries its floor, kind, floor area, occupants and a 3D
position (centroid at floor elevation). Edges are keyed by the id of what they are — a door or
opening, a stair flight, a lift connection — and carry their walking length, clear width and the
SFPE effective width (clear width less the boundary layers people keep from walls and
handrails). It is a :class:`networkx.MultiGraph`, because two doors may join the same two spaces.

Every model shares the helpers here: shortest routes and distances to exits, travel times for a
walking speed, and the same searches with blocked spaces or doors taken out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import networkx as nx

from twin.checks import shared_wall
from twin.spec import Building, Door, Space, Stair

__all__ = [
    "BOUNDARY_LAYER_M",
    "build_graph",
    "effective_width",
    "door_clear_width_m",
    "walkable",
    "Route",
    "exit_distances",
    "shortest_route",
    "route_to_exit",
    "travel_time_s",
    "unreachable_spaces",
    "to_node_link",
]

# SFPE Handbook, egress chapter: boundary layer per side that people keep clear of.
BOUNDARY_LAYER_M = {
    "door": 0.15,
    "opening": 0.15,
    "stair": 0.15,
    "handrail": 0.09,
    "corridor": 0.20,
    "lift": 0.0,
}

WALKING_KINDS = frozenset({"door", "opening", "stair", "exit"})
WALL_TOLERANCE_M = 1e-3


def effective_width(clear_width_m: float, element: str, handrails: int = 0) -> float:
    """SFPE effective width: clear width less a boundary layer on each side (never below 0)."""
    if element == "stair" and handrails:
        sides = handrails * BOUNDARY_LAYER_M["handrail"] + max(0, 2 - handrails) * BOUNDARY_LAYER_M["stair"]
    else:
        sides = 2 * BOUNDARY_LAYER_M.get(element, 0.15)
    return max(clear_width_m - sides, 0.0)


def _space_position(building: Building, space: Space) -> tuple[float, float, float]:
    x, y = space.centroid
    return (x, y, building.floor_by_id[space.floor].elevation_m)


def _door_position(building: Building, door: Door, pos: Mapping[str, tuple[float, float, float]]) -> tuple[float, float]:
    """Where a door is: the exit's position for an exit door, otherwise the point on the boundary of
    the first space's rectangle nearest the other space's centroid (the midpoint for polygons)."""
    a, b = door.between
    if b in building.exit_by_id:
        e = building.exit_by_id[b]
        return (e.x_m, e.y_m)
    if a in building.exit_by_id:
        e = building.exit_by_id[a]
        return (e.x_m, e.y_m)
    sa, sb = building.space_by_id[a], building.space_by_id[b]
    ra, rb = sa.rect, sb.rect
    if ra is not None and rb is not None:
        # Shared boundary of two rectangles: the overlap of their extents on the touching side.
        x0, x1 = max(ra.x_m, rb.x_m), min(ra.x_m + ra.width_m, rb.x_m + rb.width_m)
        y0, y1 = max(ra.y_m, rb.y_m), min(ra.y_m + ra.depth_m, rb.y_m + rb.depth_m)
        # Touching walls meet within a millimetre: coordinates written by hand rarely add up exactly.
        if x0 <= x1 + WALL_TOLERANCE_M and y0 <= y1 + WALL_TOLERANCE_M:
            return ((x0 + x1) / 2, (y0 + y1) / 2)
    # Polygons, or rooms on either side of a wall as thick as the door's depth: the middle of the
    # longest stretch of wall they share.
    wall_m, middle = shared_wall(sa.outline, sb.outline, door.length_m)
    if middle is not None and wall_m > 0:
        return middle
    (xa, ya, _), (xb, yb, _) = pos[a], pos[b]
    return ((xa + xb) / 2, (ya + yb) / 2)


def door_clear_width_m(building: Building, door: Door) -> float:
    """The clear width people pass through a door: the door's ``width_m``, or the final exit's
    ``width_m`` where the door leads to an exit that gives a narrower one (the narrower governs)."""
    width = door.width_m
    for side in door.between:
        ex = building.exit_by_id.get(side)
        if ex is not None and ex.width_m is not None:
            width = min(width, ex.width_m)
    return width


def _stair_flight_length(stair: Stair, rise_m: float) -> float:
    """Walking length of one floor's flights along the slope, plus the half-landing turn."""
    if stair.flight_length_m is not None:
        return stair.flight_length_m
    going_m = rise_m / stair.riser_m * stair.tread_m
    return math.hypot(rise_m, going_m) + stair.width_m


def build_graph(building: Building) -> nx.MultiGraph:
    """The floor graph of a building (see the module docstring for its attributes)."""
    g = nx.MultiGraph(building=building.id, name=building.name)
    pos: dict[str, tuple[float, float, float]] = {}
    for space in building.spaces:
        p = _space_position(building, space)
        pos[space.id] = p
        attrs = dict(
            node_type="space", floor=space.floor, kind=space.kind, area_m2=space.floor_area_m2,
            occupants=space.occupant_count, pos=p, name=space.name or space.id, void=space.void,
        )
        if space.rect is not None:
            attrs["width_m"] = min(space.rect.width_m, space.rect.depth_m)
            attrs["length_m"] = max(space.rect.width_m, space.rect.depth_m)
            attrs["effective_width_m"] = effective_width(attrs["width_m"], "corridor")
        if space.aset_s is not None:
            attrs["aset_s"] = space.aset_s
        g.add_node(space.id, **attrs)
    for ex in building.exits:
        p = (ex.x_m, ex.y_m, building.floor_by_id[ex.floor].elevation_m)
        pos[ex.id] = p
        g.add_node(ex.id, node_type="exit", floor=ex.floor, kind="exit", area_m2=0.0, occupants=0, pos=p,
                   name=ex.name or ex.id, void=False)

    for door in building.doors:
        a, b = door.between
        dx, dy = _door_position(building, door, pos)
        length = math.dist(pos[a][:2], (dx, dy)) + math.dist((dx, dy), pos[b][:2]) + door.length_m
        kind = "exit" if (a in building.exit_by_id or b in building.exit_by_id) else door.kind
        width = door_clear_width_m(building, door)
        g.add_edge(a, b, key=door.id, id=door.id, kind=kind, length_m=length, width_m=width,
                   effective_width_m=effective_width(width, door.kind), door_pos=(dx, dy),
                   fire_door=door.fire_door)

    for stair in building.stairs:
        for lower, upper in zip(stair.landings, stair.landings[1:]):
            rise = pos[upper][2] - pos[lower][2]
            going = rise / stair.riser_m * stair.tread_m
            g.add_edge(lower, upper, key=f"{stair.id}:{lower}", id=stair.id, kind="stair",
                       length_m=_stair_flight_length(stair, rise), rise_m=rise, going_m=going,
                       width_m=stair.width_m, effective_width_m=effective_width(stair.width_m, "stair", stair.handrails),
                       riser_m=stair.riser_m, tread_m=stair.tread_m, lower=lower, upper=upper)

    for group in building.elevators:
        lobbies = sorted(group.lobbies, key=lambda s: pos[s][2])
        for lower, upper in zip(lobbies, lobbies[1:]):
            g.add_edge(lower, upper, key=group.id, id=group.id, kind="lift", length_m=pos[upper][2] - pos[lower][2],
                       width_m=0.0, effective_width_m=0.0, lower=lower, upper=upper,
                       fire_service=any(c.fire_service for c in group.cars))
    return g


def walkable(graph: nx.MultiGraph, *, blocked_nodes: Collection[str] = (), blocked_edges: Collection[str] = (),
             allow_lifts: bool = False) -> nx.MultiGraph:
    """A read-only view of where people can walk: no voids, no lifts (unless allowed), no blocked
    spaces or doors/stairs. ``blocked_edges`` holds edge ids (a door id, or a stair id to close the
    whole stair).
    """
    blocked_n = set(blocked_nodes)
    blocked_e = set(blocked_edges)

    def node_ok(n: str) -> bool:
        return n not in blocked_n and not graph.nodes[n].get("void", False)

    def edge_ok(u: str, v: str, k: str) -> bool:
        data = graph.edges[u, v, k]
        if data["kind"] == "lift" and not allow_lifts:
            return False
        return data["id"] not in blocked_e and k not in blocked_e

    return nx.subgraph_view(graph, filter_node=node_ok, filter_edge=edge_ok)


def _exit_nodes(graph: nx.MultiGraph, exits: Collection[str] | None = None) -> list[str]:
    if exits is not None:
        return [e for e in exits if e in graph]
    return [n for n, d in graph.nodes(data=True) if d["node_type"] == "exit"]


@dataclass(frozen=True)
class Route:
    """A route through the graph: the nodes visited, the edge ids taken and its length."""

    nodes: tuple[str, ...]
    edges: tuple[str, ...]
    length_m: float

    @property
    def destination(self) -> str:
        return self.nodes[-1]


def _edge_weight(weight: str) -> Callable[[str, str, dict], float]:
    def w(u: str, v: str, data: dict) -> float:
        # MultiGraph: data maps key -> attributes; the best parallel edge counts.
        return min(d[weight] for d in data.values())

    return w


def _route_from_nodes(graph: nx.MultiGraph, nodes: list[str], weight: str = "length_m") -> Route:
    keys: list[str] = []
    length = 0.0
    for u, v in zip(nodes, nodes[1:]):
        k, d = min(graph[u][v].items(), key=lambda kd: kd[1][weight])
        keys.append(k)
        length += d["length_m"]
    return Route(tuple(nodes), tuple(keys), length)


def exit_distances(graph: nx.MultiGraph, *, exits: Collection[str] | None = None, **blocked) -> dict[str, float]:
    """Walking distance (m) from every node that can reach an exit to its nearest exit."""
    view = walkable(graph, **blocked)
    targets = _exit_nodes(view, exits)
    if not targets:
        return {}
    return nx.multi_source_dijkstra_path_length(view, targets, weight=_edge_weight("length_m"))


def shortest_route(graph: nx.MultiGraph, source: str, target: str, *, weight: str = "length_m", **blocked) -> Route | None:
    """Shortest route from one node to another, or ``None`` when blocked."""
    view = walkable(graph, **blocked)
    try:
        nodes = nx.dijkstra_path(view, source, target, weight=_edge_weight(weight))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None
    return _route_from_nodes(view, nodes, weight)


def route_to_exit(graph: nx.MultiGraph, source: str, *, exits: Collection[str] | None = None,
                  weight: str = "length_m", **blocked) -> Route | None:
    """Shortest route from ``source`` to the nearest (allowed) exit, or ``None`` if there is none."""
    view = walkable(graph, **blocked)
    targets = _exit_nodes(view, exits)
    if source not in view or not targets:
        return None
    try:
        _, path = nx.multi_source_dijkstra(view, targets, target=source, weight=_edge_weight(weight))
    except nx.NetworkXNoPath:
        return None
    return _route_from_nodes(view, list(reversed(path)), weight)


def travel_time_s(graph: nx.MultiGraph, route: Route, *, horizontal_mps: float, stair_down_mps: float | None = None,
                  stair_up_mps: float | None = None) -> float:
    """Unimpeded walking time along a route: horizontal legs at ``horizontal_mps``, stair flights at
    the stair speed for their direction (along the slope)."""
    down = stair_down_mps or horizontal_mps
    up = stair_up_mps or down
    total = 0.0
    for u, v, key in zip(route.nodes, route.nodes[1:], route.edges):
        d = graph.edges[u, v, key]
        if d["kind"] == "stair":
            total += d["length_m"] / (down if u == d["upper"] else up)
        elif d["kind"] == "lift":
            raise ValueError(f"route takes lift {key!r}; walking time is undefined for lifts")
        else:
            total += d["length_m"] / horizontal_mps
    return total


def unreachable_spaces(graph: nx.MultiGraph, **blocked) -> list[str]:
    """Spaces (voids apart) from which no final exit can be reached on foot."""
    reach = exit_distances(graph, **blocked)
    return [n for n, d in graph.nodes(data=True)
            if d["node_type"] == "space" and not d.get("void", False) and n not in reach]


def to_node_link(graph: nx.MultiGraph) -> dict:
    """Node-link JSON (networkx's format, ``edges`` key) with tuples made lists."""
    data = nx.node_link_data(graph, edges="edges")
    for item in data["nodes"] + data["edges"]:
        for k, v in list(item.items()):
            if isinstance(v, tuple):
                item[k] = list(v)
    return data
