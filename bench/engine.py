"""What the model benchmarks share: the SimPy engine's own limit (a bare timeout loop, timed in the
same run), environments that count or time their events, and one timed replication of a scenario.

A model's events per second over this bare loop's is the ratio each benchmark prints: it says how
near the model runs to the engine, whatever the machine's speed or load at that minute.
"""

from __future__ import annotations

import time

import numpy as np
import simpy

from models import ModelContext


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it schedules (used for the count only, not timed)."""

    def __init__(self) -> None:
        super().__init__()
        self.scheduled = 0

    def schedule(self, event, priority=1, delay=0) -> None:  # NORMAL priority is 1 in SimPy 4
        self.scheduled += 1
        super().schedule(event, priority, delay)


class TimedEnvironment(simpy.Environment):
    """A SimPy environment that times its own ``run``: the simulation proper, without what a model
    draws beforehand or builds afterwards (records, KPIs, a budget)."""

    def __init__(self) -> None:
        super().__init__()
        self.run_s = 0.0

    def run(self, until=None):
        start = time.perf_counter()
        try:
            return super().run(until)
        finally:
            self.run_s += time.perf_counter() - start


def bare_timeout_rate(processes: int = 1000, timeouts: int = 200) -> float:
    """Events per second of a bare SimPy loop: ``processes`` processes each yielding ``timeouts``
    timeouts (one event each, plus one to start each process)."""
    env = simpy.Environment()

    def ticking(env: simpy.Environment, n: int):
        for _ in range(n):
            yield env.timeout(1.0)

    for _ in range(processes):
        env.process(ticking(env, timeouts))
    start = time.perf_counter()
    env.run()
    return processes * (timeouts + 1) / (time.perf_counter() - start)


def one_replication(loaded, seed: np.random.SeedSequence, env: simpy.Environment | None = None):
    """One replication of a loaded scenario's first point: (wall seconds, result, environment)."""
    ctx = ModelContext(env=env or simpy.Environment(), rng=np.random.default_rng(seed), building=loaded.building,
                       graph=loaded.graph, params=loaded.params, horizon_s=loaded.scenario.horizon_s)
    start = time.perf_counter()
    result = loaded.model.run(ctx)
    return time.perf_counter() - start, result, ctx.env


def traced_drill(building, seed: int = 20261124, horizon_s: float = 7200):
    """One seeded evacuation drill of ``building`` with its movement trace — what the playback
    benchmarks replay (bench_viewer.py, bench_scene3d.py): its :class:`viewer.playback.EvacuationTracks`."""
    import pandas as pd

    from models import get_model
    from twin.graph import build_graph
    from viewer.playback import EvacuationTracks

    graph = build_graph(building)
    spec = get_model("evacuation")
    ctx = ModelContext(env=simpy.Environment(), rng=np.random.default_rng(seed), building=building, graph=graph,
                       params=spec.params(trace=True), horizon_s=horizon_s)
    records = spec.run(ctx).records
    return EvacuationTracks(building, trace=pd.DataFrame(records["trace"]),
                            occupants=pd.DataFrame(records["occupants"]), graph=graph)
