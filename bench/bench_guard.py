"""Benchmark: what the run guard (cancel and time budget looked at inside a replication) costs.

Issue 10 made every replication run on a :class:`scenarios.backends.GuardedEnvironment`, which
counts events and every 256 of them (or 0.2 s of wall time) looks at the run's cancel flag and
deadline. This measures one replication of the tower drill and of the repair desk on a plain
``simpy.Environment`` and on the guarded one, interleaved in the same process (best of ROUNDS
each), and prints the ratio guarded / plain. Prints, never asserts: these machines are shared.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import simpy

from models import ModelContext
from scenarios.backends import GuardedEnvironment, RunGuard
from scenarios.spec import load_scenario

from suite import Figure, record  # bench/suite.py

ROUNDS = 5


def one(loaded, seed, env) -> float:
    ctx = ModelContext(env=env, rng=np.random.default_rng(seed), building=loaded.building, graph=loaded.graph,
                       params=loaded.params, horizon_s=loaded.scenario.horizon_s)
    start = time.perf_counter()
    loaded.model.run(ctx)
    return time.perf_counter() - start


def measure(name: str, loaded) -> Figure:
    seed = np.random.SeedSequence(loaded.scenario.seed).spawn(1)[0]
    one(loaded, seed, simpy.Environment())  # warm-up (imports, caches)
    plain, guarded = [], []
    for _ in range(ROUNDS):
        plain.append(one(loaded, seed, simpy.Environment()))
        guard = RunGuard(name, cancel=threading.Event(), time_limit_s=3600)
        guarded.append(one(loaded, seed, GuardedEnvironment(guard)))
    p, g = min(plain), min(guarded)
    print(f"{name:28s} plain {p:6.3f} s   guarded {g:6.3f} s   ratio guarded/plain {g / p:.3f}")
    return Figure(f"{name}: one replication on the guarded clock", g, "s", "same on a plain simpy.Environment", p)


def main() -> None:
    record("bench_guard", "What the run guard costs inside a replication", [
        measure("evacuation, tower drill", load_scenario("tower-full-drill", ["params.trace=false"])),
        measure("repair desk, 14 days", load_scenario("repair-desk-weekday", ["horizon_s=1209600"])),
    ])


if __name__ == "__main__":
    main()
