"""Benchmark: one replication with Python's cycle collector paused (as every model runs since
:func:`models.harness.collector_paused`) against the same replication with the collector running.

For each model's library scenario below, one replication at a time, the two ways in turn (paused,
running, paused, …: both see the same load), each seed once each way; the best of ``--rounds`` per
way, and their ratio. The results are the same either way (the collector frees memory; it decides
nothing): this checks that too, on the KPIs of each pair. Prints, never asserts (the machines are
shared and noisy). Run: ``.venv/bin/python bench/bench_gc.py [--rounds 5]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from scenarios.spec import load_scenario

from engine import one_replication  # bench/engine.py
from suite import Figure, record  # bench/suite.py

SCENARIOS = {"evacuation": ("tower-full-drill", []),
             "operations": ("ops-tower-optimise", ["optimise=null"]),
             "elevators": ("lift-tower-weekday-traffic", []),
             "energy": ("energy-tower-shanghai", [])}


def measure(model: str, rounds: int) -> Figure:
    name, overrides = SCENARIOS[model]
    loaded = load_scenario(name, overrides)
    spec = loaded.model
    paused_run, running_run = spec.run, spec.run.__wrapped__
    seeds = np.random.SeedSequence(loaded.scenario.seed).spawn(rounds + 1)
    one_replication(loaded, seeds[0])  # the first one builds what a process caches (routing network, plan)
    paused, running = [], []
    try:
        for seed in seeds[1:]:
            object.__setattr__(spec, "run", paused_run)
            t_p, r_p, _ = one_replication(loaded, seed)
            object.__setattr__(spec, "run", running_run)
            t_r, r_r, _ = one_replication(loaded, seed)
            if dict(r_p.kpis) != dict(r_r.kpis):
                raise SystemExit(f"{model}: the KPIs differ with the collector paused and running — a defect")
            paused.append(t_p)
            running.append(t_r)
    finally:
        object.__setattr__(spec, "run", paused_run)
    best_p, best_r = min(paused), min(running)
    print(f"{model:11s} '{name}': collector paused {best_p:6.3f} s, running {best_r:6.3f} s  "
          f"(best of {rounds} each, alternating) -> {best_p / best_r:.2f} of the time; KPIs identical")
    return Figure(f"{model}: one replication of '{name}', cycle collector paused", best_p, "s",
                  "the same replication with the collector running", best_r,
                  note=f"best of {rounds} each, alternating, same seeds; KPIs identical")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--models", default=",".join(SCENARIOS))
    args = parser.parse_args()
    figures = [measure(m.strip(), args.rounds) for m in args.models.split(",")]
    record("bench_gc", "One replication with the cycle collector paused (as the models run) against running",
           figures)


if __name__ == "__main__":
    main()
