"""A building at a glance: the figures ``twin building show`` prints and the API returns."""

from __future__ import annotations

from collections import Counter

import networkx as nx

from twin.graph import exit_distances
from twin.spec import Building

__all__ = ["building_summary"]


def building_summary(building: Building, graph: nx.MultiGraph) -> dict:
    """Floors, spaces by kind, occupants, exits, vertical transport, equipment by system, graph size."""
    distances = exit_distances(graph)
    occupied = [s.id for s in building.spaces if s.occupant_count > 0]
    cars = [c for g in building.elevators for c in g.cars]
    systems = Counter(e.system for e in building.equipment)
    if cars:
        systems["elevator"] += len(cars)
    floors = sorted(building.floors, key=lambda f: f.elevation_m)
    return {
        "id": building.id,
        "name": building.name,
        "use": building.use,
        "floors": len(building.floors),
        "lowest_floor": floors[0].id,
        "highest_floor": floors[-1].id,
        "height_m": floors[-1].elevation_m + floors[-1].height_m - floors[0].elevation_m,
        "spaces": len(building.spaces),
        "spaces_by_kind": dict(sorted(Counter(s.kind for s in building.spaces).items())),
        "floor_area_m2": round(sum(s.floor_area_m2 for s in building.spaces), 1),
        "occupants": building.total_occupants,
        "doors": len(building.doors),
        "stairs": len(building.stairs),
        "elevator_groups": len(building.elevators),
        "elevator_cars": len(cars),
        "fire_service_lifts": sum(1 for c in cars if c.fire_service),
        "exits": [e.id for e in building.exits],
        "equipment_by_system": dict(sorted(systems.items())),
        "graph_nodes": graph.number_of_nodes(),
        "graph_edges": graph.number_of_edges(),
        "occupied_spaces_reaching_exit": sum(1 for s in occupied if s in distances),
        "occupied_spaces": len(occupied),
        "max_exit_distance_m": round(max((distances[s] for s in occupied if s in distances), default=0.0), 1),
    }
