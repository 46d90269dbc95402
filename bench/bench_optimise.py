"""Benchmark: the optimiser's search of the tower's duty technicians against one plan run alone.

A supervisor's question — the fewest duty technicians on days and nights that keep the 30 min /
2 h promises at the lowest cost — is the library scenario ``ops-tower-optimise``: an exhaustive
grid of two staffing counts, 20 replications per plan (issue 12, "Performance": ≤ 3 minutes on
2 workers). The search (:func:`scenarios.optimise.optimise`) stops a plan early when its
promise's interval already lies wholly on the bad side or when it is worse than the best feasible
plan on cost (:class:`scenarios.optimise.PlanPruner`), runs every plan on one pool of processes
and brings back KPIs only (the best plan is run once more with its records).

Prints, never asserts (these machines are shared and noisy):

* the wall time of one plan's replications run alone (``run_scenario`` of the scenario as written,
  the same workers) — the unit the search is measured in, timed in the same run;
* the wall time of the search and its ratio to that unit (a search that ran every plan in full on
  a pool per plan would cost about the number of plans, plus one for the best plan's run);
* the plans tried, how many were pruned and after how many replications, the best plan, and
  whether the ≤ 3 min target is met;
* this process's CPU time and its workers' during the search, and the load average (the machine is
  shared: the wall time moves with what else runs, the workers' CPU time much less);
* with ``--monotone``, the search under the ``monotone`` assumption too; with ``--full``, the
  search without pruning, and whether each one's best plan is the pruned search's.

Run: ``.venv/bin/python bench/bench_optimise.py [--workers 2] [--monotone] [--full] [--trials N]
[--set PATH=VALUE …] [--over params.PATH=LOW..HIGH …]`` (``--set``/``--over`` as for ``twin
optimise``: e.g. a year from January and the whole 5 × 5 grid: ``--trials 25 --set
horizon_s=31536000 --set params.start_date=2027-01-04 --over 'params.groups[duty-day].count=2..6'
--over 'params.groups[duty-night].count=2..6'``).
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import time

from scenarios.optimise import optimise, request_from
from scenarios.runner import run_scenario
from scenarios.spec import load_scenario

from suite import Figure, Target, record  # bench/suite.py

SCENARIO = "ops-tower-optimise"
TARGET_S = 180.0


def _search(loaded, args, prune: bool, monotone: bool = False):
    request = request_from(loaded, over=tuple(args.over), replications=args.replications, trials=args.trials,
                           prune=prune, monotone=monotone)
    start, cpu, children = time.perf_counter(), time.process_time(), _children_cpu_s()
    result = optimise(loaded, request, workers=args.workers)
    seconds = time.perf_counter() - start
    print(f"  (this process's CPU {time.process_time() - cpu:.1f} s, the workers' {_children_cpu_s() - children:.1f} s; "
          f"load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: the machine is shared)")
    return result, seconds


def _children_cpu_s() -> float:
    """CPU seconds of this process's finished child processes (the pool's workers, once closed)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _describe(result, seconds: float, unit_s: float, label: str) -> None:
    pruned = [p for p in result.plans if p.pruned]
    after = collections.Counter(p.replications for p in pruned)
    reps = sum(p.replications for p in result.plans)
    print(f"{label}: {seconds:.1f} s = {seconds / unit_s:.2f} × one plan alone; {len(result.plans)} plans "
          f"({result.sampler}), {len(pruned)} pruned"
          + (" (" + ", ".join(f"{k} after {n} replications" for n, k in sorted(after.items())) + ")"
             if pruned else "")
          + f"; {reps} of {len(result.plans) * result.replications} plan replications run"
          + f" (+{result.replications} for the best plan's records)" * (result.best is not None))
    for p in result.plans:
        values = ", ".join(f"{k.removeprefix('params.')}={v}" for k, v in p.values.items())
        state = "best" if result.best is p else ("feasible" if p.feasible else ("pruned" if p.pruned else "no"))
        obj = f"{p.objective:,.0f}" if p.objective is not None else "—"
        why = p.why_not[0]["en"] if p.why_not else ""
        print(f"  plan {p.index:2d} {values:55s} reps {p.replications:3d} {state:8s} objective {obj:>12s}  {why[:110]}")
    print(f"  {result.message()['en']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", default=SCENARIO)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--replications", "-n", type=int, default=None, help="per plan (default: the scenario's block)")
    ap.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE")
    ap.add_argument("--over", action="append", default=[], metavar="params.PATH=LOW..HIGH")
    ap.add_argument("--trials", type=int, default=None, help="plans at most (default: the scenario's block)")
    ap.add_argument("--monotone", action="store_true", help="also run the search with the monotone assumption")
    ap.add_argument("--full", action="store_true", help="also run the search without pruning and compare")
    args = ap.parse_args()

    loaded = load_scenario(args.scenario, args.overrides)
    request = request_from(loaded, over=tuple(args.over), replications=args.replications, trials=args.trials)
    n = request.replications or loaded.scenario.replications
    print(f"{loaded.scenario.name}: horizon {loaded.scenario.horizon_s / 86400:g} days, {n} replications per plan, "
          f"{args.workers} workers; over {', '.join(r.describe() for r in request.over)}")

    start = time.perf_counter()
    run_scenario(loaded, replications=n, workers=args.workers)
    unit_s = time.perf_counter() - start
    print(f"one plan alone (the scenario as written, {n} replications, {args.workers} workers): {unit_s:.1f} s")

    result, seconds = _search(loaded, args, prune=True)
    _describe(result, seconds, unit_s, "search (pruning)")
    print(f"target ≤ {TARGET_S:.0f} s on {args.workers} workers: {'met' if seconds <= TARGET_S else 'NOT met'} "
          f"({seconds:.1f} s)")
    figures = [Figure(f"optimiser over {loaded.scenario.name}, {len(result.plans)} plans × {n} replications, "
                      f"{args.workers} workers, pruning", seconds, "s", "one plan's replications alone", unit_s,
                      target=Target("<=", TARGET_S))]
    if args.monotone:
        assumed, assumed_s = _search(loaded, args, prune=True, monotone=True)
        figures.append(Figure("the same with monotone: true", assumed_s, "s", "one plan's replications alone", unit_s,
                              target=Target("<=", TARGET_S)))
        _describe(assumed, assumed_s, unit_s, "search (pruning, monotone: true)")
        print(f"target ≤ {TARGET_S:.0f} s on {args.workers} workers with monotone: true: "
              f"{'met' if assumed_s <= TARGET_S else 'NOT met'} ({assumed_s:.1f} s); same best plan as with pruning "
              f"alone: {'yes' if _same_best(assumed, result) else 'NO'}")
    if args.full:
        full, full_s = _search(loaded, args, prune=False)
        _describe(full, full_s, unit_s, "search without pruning")
        print(f"same best plan with and without pruning: {'yes' if _same_best(full, result) else 'NO'}; pruning "
              f"saved {full_s - seconds:.1f} s ({full_s / seconds:.2f}×)")
        figures.append(Figure("the same without pruning", full_s, "s", "one plan's replications alone", unit_s,
                              target=Target("<=", TARGET_S)))
    record("bench_optimise", "The optimiser over two staffing parameters", figures)


def _same_best(a, b) -> bool:
    if a.best is None or b.best is None:
        return a.best is None and b.best is None
    return a.best.values == b.best.values


if __name__ == "__main__":
    main()
