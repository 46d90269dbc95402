"""Benchmark: the runner's parallel speed-up and overhead, as ratios measured in the same run.

Runs the repair-desk library scenario (a pure-SimPy model with no building-sized state) with
1 and 2 workers, and compares the inline runner with calling the model directly (the engine's own
cost). Then the same run on a local Dask cluster (a scheduler and 2 single-threaded worker
processes on the loopback, started and warmed up beforehand as a long-lived cluster would be),
against the local process pool of 2 workers. Prints ratios, never asserts: these machines are
shared and noisy.
"""

from __future__ import annotations

import time

import numpy as np
import simpy

from models import ModelContext
from scenarios.runner import run_scenario
from scenarios.spec import load_scenario

from suite import Figure, Target, record  # bench/suite.py

REPLICATIONS = 8


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    loaded = load_scenario("repair-desk-weekday", ["horizon_s=1209600"])
    params = loaded.params

    def direct() -> None:
        for seed in np.random.SeedSequence(loaded.scenario.seed).spawn(REPLICATIONS):
            ctx = ModelContext(env=simpy.Environment(), rng=np.random.default_rng(seed), building=loaded.building,
                               graph=loaded.graph, params=params, horizon_s=loaded.scenario.horizon_s)
            loaded.model.run(ctx)

    t_direct = timed(direct)
    t_one = timed(lambda: run_scenario(loaded, replications=REPLICATIONS, workers=1))
    t_two = timed(lambda: run_scenario(loaded, replications=REPLICATIONS, workers=2))
    print(f"repair desk, {REPLICATIONS} replications of 14 days")
    print(f"  model called directly : {t_direct:6.2f} s")
    print(f"  runner, 1 worker      : {t_one:6.2f} s  (overhead ratio {t_one / t_direct:.2f})")
    print(f"  runner, 2 workers     : {t_two:6.2f} s  (speed-up vs 1 worker {t_one / t_two:.2f}x)")

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, scheduler_port=0, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        run_scenario(loaded, replications=2, scheduler=cluster.scheduler_address)  # workers import the models
        t_dask = timed(lambda: run_scenario(loaded, replications=REPLICATIONS, scheduler=cluster.scheduler_address))
    print(f"  Dask, 2 workers       : {t_dask:6.2f} s  (ratio vs local pool of 2 {t_dask / t_two:.2f})")
    what = f"repair desk, {REPLICATIONS} replications of 14 days"
    record("bench_runner", "The runner's overhead and parallel speed-up", [
        Figure(f"{what}, runner with 1 worker", t_one, "s", "the model called directly", t_direct),
        Figure(f"{what}, runner with 2 workers", t_two, "s", "runner with 1 worker", t_one,
               note=f"speed-up {t_one / t_two:.2f}×"),
        Figure(f"{what}, local Dask cluster of 2 workers (warm)", t_dask, "s", "local pool of 2 workers", t_two),
    ])


if __name__ == "__main__":
    main()
