"""Travel over the floor graph: how long a technician, guard or cleaner takes to get to a job.

A person walks from where they are (their base at the start of a shift, the last job after it)
along the building's floor graph (:mod:`twin.graph`): through doors and openings at a walking
speed, up and down stair flights at a stair speed along the slope, and between floors by lift
when lifts are allowed: a lift trip costs the mean wait at the lobby, the doors opening and closing
and the car's start and stop (a jerk-limited trip, ``v/a + a/j``, Peters) once, and the ride
itself (storey height / rated speed) per floor. Each lift group gets its own "in the car" node per
lobby, joined to the lobby by an edge that carries half of the trip's fixed cost (a trip boards once
and alights once), so a shortest path decides by itself whether the stairs or the lift are quicker.

Travel times are shortest paths on that weighted graph (seconds), computed with
:func:`scipy.sparse.csgraph.dijkstra` one source at a time and kept: a replication asks the same
few hundred places over and over, and every replication of a run in the same process shares the
table (:func:`travel_table`, cached per graph and travel parameters). The graph is undirected, so
the row of the job's place gives the time from every person to it.
"""

from __future__ import annotations

import math
import weakref
from array import array
from collections.abc import Sequence

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from twin.spec import Building

__all__ = ["TravelTable", "travel_table"]


class TravelTable:
    """Shortest travel times (s) between the spaces of a building, for one set of travel parameters."""

    def __init__(self, building: Building, graph: nx.MultiGraph, *, walk_mps: float, stair_mps: float,
                 use_lifts: bool, lift_wait_s: float):
        nodes = [n for n, d in graph.nodes(data=True) if not d.get("void")]
        self.index: dict[str, int] = {n: i for i, n in enumerate(nodes)}
        self.names: list[str] = list(nodes)
        best: dict[tuple[int, int], float] = {}

        def edge(a: int, b: int, w: float) -> None:
            # Two doors between the same spaces: the quicker counts (a sparse matrix would add them up).
            key = (a, b) if a < b else (b, a)
            w = max(w, 1e-6)  # a zero weight would be "no edge" in a sparse matrix
            if w < best.get(key, math.inf):
                best[key] = w

        groups = {g.id: g for g in building.elevators}
        car_node: dict[tuple[str, str], int] = {}

        def in_car(group: str, lobby: str) -> int:
            key = (group, lobby)
            if key not in car_node:
                car_node[key] = len(self.names)
                self.names.append(f"{group}@{lobby}")
                g = groups.get(group)
                if g is not None:
                    car = g.cars[0]
                    fixed = lift_wait_s + car.door_open_s + car.door_close_s + \
                        car.rated_speed_mps / car.acceleration_mps2 + car.acceleration_mps2 / car.jerk_mps3
                else:
                    fixed = lift_wait_s
                edge(self.index[lobby], car_node[key], fixed / 2.0)
            return car_node[key]

        for u, v, data in graph.edges(data=True):
            if u not in self.index or v not in self.index:
                continue
            kind = data.get("kind")
            length = float(data.get("length_m", 0.0))
            if kind == "lift":
                if not use_lifts:
                    continue
                gid = str(data.get("id"))
                g = groups.get(gid)
                speed = float(np.mean([c.rated_speed_mps for c in g.cars])) if g is not None else 1.0
                edge(in_car(gid, u), in_car(gid, v), abs(length) / speed)
            elif kind == "stair":
                edge(self.index[u], self.index[v], length / stair_mps)
            else:
                edge(self.index[u], self.index[v], length / walk_mps)
        n = len(self.names)
        pairs = list(best)
        self._matrix = csr_matrix(([best[k] for k in pairs], ([a for a, _ in pairs], [b for _, b in pairs])),
                                  shape=(n, n))
        self.rows: dict[int, array] = {}
        """The rows computed so far (:meth:`row_list`), by node."""
        sym = (self._matrix + self._matrix.T).tocsr()
        degree = np.diff(sym.indptr)
        self._leaf: dict[int, tuple[int, float]] = {
            i: (int(sym.indices[sym.indptr[i]]), float(sym.data[sym.indptr[i]]))
            for i in np.flatnonzero(degree == 1).tolist()}

    def node(self, space: str | None) -> int:
        """The index of a space (or exit) id; -1 for none or an unknown id."""
        if space is None:
            return -1
        return self.index.get(space, -1)

    def row(self, i: int) -> np.ndarray:
        """Travel times (s) from node ``i`` to every node (inf where unreachable)."""
        return np.frombuffer(self.row_list(i), dtype=float)

    def row_list(self, i: int) -> array:
        """:meth:`row` as an ``array('d')``: indexing it one element at a time is cheaper than a numpy
        array, and it takes 8 bytes a node (the tower's whole table would be some 20 MB)."""
        r = self.rows.get(i)
        if r is None:
            leaf = self._leaf.get(i)
            if leaf is not None:  # a dead end (an apartment off its corridor): its neighbour's row + one edge
                j, w = leaf
                r = array("d", (np.frombuffer(self.row_list(j), dtype=float) + w).tobytes())
                r[i] = 0.0
            else:
                r = array("d", dijkstra(self._matrix, directed=False, indices=i).tobytes())
            self.rows[i] = r
        return r

    def time(self, a: int, b: int) -> float:
        """Travel time (s) from node ``a`` to node ``b``; 0 when either is -1 (no place).

        Always read from the row of ``b`` (the graph is undirected): a shortest path summed from the
        other end can differ in its last bit, and which rows a process happens to hold must never
        change a result (replications on one worker, on two, or on Dask give the same numbers)."""
        if a < 0 or b < 0 or a == b:
            return 0.0
        return self.row_list(b)[a]

    def route_time(self, nodes: Sequence[int]) -> float:
        """Time (s) to walk through ``nodes`` in order."""
        return sum(self.time(a, b) for a, b in zip(nodes, nodes[1:]))

    def path(self, a: int, b: int) -> list[str]:
        """The spaces (and lift cars) a shortest trip from ``a`` to ``b`` passes, in order."""
        if a < 0 or b < 0:
            return []
        dist, pred = dijkstra(self._matrix, directed=False, indices=a, return_predecessors=True)
        if not math.isfinite(dist[b]):
            return []
        out = [b]
        while out[-1] != a:
            out.append(int(pred[out[-1]]))
        return [self.names[i] for i in reversed(out)]


_CACHE: "weakref.WeakKeyDictionary[nx.MultiGraph, dict[tuple, TravelTable]]" = weakref.WeakKeyDictionary()


def travel_table(building: Building, graph: nx.MultiGraph, *, walk_mps: float, stair_mps: float, use_lifts: bool,
                 lift_wait_s: float) -> TravelTable:
    """The :class:`TravelTable` of a graph and travel parameters, shared by every replication in this process."""
    key = (building.id, walk_mps, stair_mps, use_lifts, lift_wait_s)
    per_graph = _CACHE.setdefault(graph, {})
    table = per_graph.get(key)
    if table is None:
        table = TravelTable(building, graph, walk_mps=walk_mps, stair_mps=stair_mps, use_lifts=use_lifts,
                            lift_wait_s=lift_wait_s)
        if len(per_graph) > 8:
            per_graph.clear()
        per_graph[key] = table
    return table
