"""Benchmark: how a 200-replication run scales — 1 and 2 local workers, a 2-worker Dask cluster, and
what 10 and 100 workers would give (issue 16 item 4).

For the evacuation model (the tower drill) and the operations model (13 summer weeks of the tower's
estate) this times a whole run of ``--replications`` replications through the runner, as ``twin run`` does
(results gathered, summary built): with 1 worker, with a local pool of 2, and on a Dask cluster of
2 workers started as separate processes (``dask scheduler`` and ``dask worker``, as on a real
cluster; warmed up by a small run first, as a long-lived cluster would be).

The speed-ups are ratios of runs timed in the same process. The projection to 10 and 100 workers is
a calculation from the two local runs, shown as one: with ``T(w) = S + N·c/w`` (``S`` the part that
does not shrink with more workers — start-up, gathering, the summary — and ``c`` one replication's
work), ``T(1)`` and ``T(2)`` give ``c = 2·(T(1) − T(2))/N`` and ``S = T(1) − N·c``; a Dask cluster
adds a cost per task ``d`` measured as ``(T_dask(2) − T(2))·2/N`` (scheduling, transfer). The
projection assumes identical workers and the results' transfer staying within ``S``; it is a
calculation, not a measurement.

The three runs are repeated ``--rounds`` times (default 2), each round in the opposite order of the
one before, and each speed-up is the median of the rounds' ratios: on this shared host the same run
varies by a third from one minute to the next. Beside them, **the machine's ceiling**: bare SimPy loops
as long as one replication, in one process and then on a local pool of 2 — what two vCPUs of this host
give work with no model at all, at that minute; the model's speed-up is also printed as a share of it.

Targets (issue 16): 2 local workers ≥ 1.8× the single worker for both models; the 2-worker Dask
cluster ≥ 1.6×. Prints, never asserts: these machines are shared and noisy.
Run: ``.venv/bin/python bench/bench_scaling.py [--replications 200] [--rounds 2] [--model operations]``
(``--models`` takes a comma-separated list; the default is both). Besides the times it prints the parent
process's CPU time during the 2-worker runs: the serial part that bounds the speed-up.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from scenarios.runner import run_scenario
from scenarios.spec import load_scenario

from engine import bare_timeout_rate  # bench/engine.py
from suite import Figure, Target, record  # bench/suite.py

SCENARIOS = {"evacuation": ("tower-full-drill", ["params.trace=false"]),
             # 13 summer weeks of the tower's estate: 200 replications of a whole year would keep ~7 million
             # record rows, over a run's memory ceiling (the run budget refuses it).
             "operations": ("ops-tower-optimise", ["optimise=null"])}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DaskCluster:
    """A scheduler and a worker command with two single-threaded worker processes, on the loopback."""

    def __init__(self, workers: int = 2):
        self.workers = workers
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.dir = Path(tempfile.mkdtemp(prefix="bench-dask-"))
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> "DaskCluster":
        dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or "dask"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parent.parent),
                                                          os.environ.get("PYTHONPATH", "")]))
        log = open(self.dir / "cluster.log", "w")
        self.procs.append(subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                            "--no-dashboard"], stdout=log, stderr=log, env=env, cwd=self.dir))
        self.procs.append(subprocess.Popen([dask, "worker", self.address, "--nworkers", str(self.workers),
                                            "--nthreads", "1", "--no-dashboard", "--local-directory", str(self.dir)],
                                           stdout=log, stderr=log, env=env, cwd=self.dir))
        from distributed import Client

        deadline = time.monotonic() + 120
        while True:
            try:
                with Client(self.address, timeout=5, set_as_default=False) as client:
                    client.wait_for_workers(self.workers, timeout=max(1.0, deadline - time.monotonic()))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"the Dask cluster did not come up; see {self.dir / 'cluster.log'}")
                time.sleep(0.5)
        return self

    def __exit__(self, *exc) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in reversed(self.procs):
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def timed_with_parent_cpu(fn) -> tuple[float, float]:
    """Wall time of ``fn`` and the CPU time this (the parent) process spent meanwhile, all its threads:
    with the replications on other processes, that is the run's serial part — receiving the results,
    gathering the records, the summary."""
    cpu = time.process_time()
    wall = timed(fn)
    return wall, time.process_time() - cpu


def machine_ceiling(seconds: float, tasks: int) -> tuple[float, float]:
    """What this machine gives any pure-Python work on 2 processes, now: ``tasks`` bare SimPy loops of
    ``seconds`` each, one after the other in this process, then on a local pool of 2 (the runner's
    own kind of pool) — (time on 1, time on 2). Their ratio bounds the speed-up a model can reach here
    at this minute (two vCPUs of a shared host are not two idle cores)."""
    procs, probe = 100, 200  # bench/engine.py's bare loop: 100 processes, this many timeouts each
    size = max(probe, int(probe * seconds / max(timed(lambda: bare_timeout_rate(procs, probe)), 1e-6)))
    t1 = timed(lambda: [bare_timeout_rate(procs, size) for _ in range(tasks)])
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(bare_timeout_rate, [procs] * 2, [probe] * 2))  # both started before the clock starts
        t2 = timed(lambda: list(pool.map(bare_timeout_rate, [procs] * tasks, [size] * tasks)))
    return t1, t2


def measure(model: str, n: int, cluster: DaskCluster, rounds: int) -> list[Figure]:
    """The three runs ``rounds`` times, each round in the opposite order of the one before (1, 2, Dask, then
    Dask, 2, 1, …: a host getting busier or quieter over the minutes weighs on each alike); each speed-up is
    the median over the rounds of the ratio of runs in the same round. Then the machine's ceiling."""
    name, overrides = SCENARIOS[model]
    loaded = load_scenario(name, overrides)
    run_scenario(loaded, replications=2, scheduler=cluster.address)  # the workers import the model once
    runs = {"1": lambda: (timed(lambda: run_scenario(loaded, replications=n, workers=1)), 0.0),
            "2": lambda: timed_with_parent_cpu(lambda: run_scenario(loaded, replications=n, workers=2)),
            "dask": lambda: timed_with_parent_cpu(lambda: run_scenario(loaded, replications=n,
                                                                       scheduler=cluster.address))}
    got: dict[str, list[tuple[float, float]]] = {k: [] for k in runs}
    for r in range(rounds):
        for key in (list(runs) if r % 2 == 0 else list(reversed(runs))):
            got[key].append(runs[key]())
        t1r, t2r, tdr = (got[k][-1][0] for k in ("1", "2", "dask"))
        print(f"  round {r + 1}: 1 worker {t1r:.1f} s, 2 workers {t2r:.1f} s ({t1r / t2r:.2f}x), "
              f"Dask {tdr:.1f} s ({t1r / tdr:.2f}x)", flush=True)
    t1s = [w for w, _ in got["1"]]
    up2 = statistics.median(t1 / w for t1, (w, _) in zip(t1s, got["2"]))
    upd = statistics.median(t1 / w for t1, (w, _) in zip(t1s, got["dask"]))
    t1, t2, td = statistics.median(t1s), statistics.median(w for w, _ in got["2"]), \
        statistics.median(w for w, _ in got["dask"])
    cpu2 = statistics.median(c for _, c in got["2"])
    cpud = statistics.median(c for _, c in got["dask"])
    c = max(2.0 * (t1 - t2) / n, 1e-9)
    s = max(t1 - n * c, 0.0)
    d = max((td - t2) * 2.0 / n, 0.0)
    ceiling_tasks = max(8, n // 5)
    b1, b2 = machine_ceiling(t1 / n, ceiling_tasks)
    ceiling = b1 / b2
    print(f"{model}: '{name}', {n} replications through the runner, {rounds} rounds (medians)")
    print(f"  1 local worker          : {t1:8.1f} s")
    print(f"  2 local workers         : {t2:8.1f} s   speed-up {up2:.2f}x   (target >= 1.8x)")
    print(f"  Dask, 2 workers         : {td:8.1f} s   speed-up {upd:.2f}x   (target >= 1.6x)")
    print(f"  the machine's ceiling   : a bare SimPy loop as long as one replication ({t1 / n:.2f} s), "
          f"{ceiling_tasks} of them: {b1:.1f} s in one process, {b2:.1f} s on 2 = {ceiling:.2f}x; the model's "
          f"2-worker speed-up is {up2 / ceiling:.0%} of it")
    print(f"  the parent's CPU (serial part: results received, records gathered, summary): {cpu2:.1f} s on the "
          f"local pool, {cpud:.1f} s on Dask")
    print(f"  fitted T(w) = S + N·c/w : c = 2·(T1 − T2)/N = {c:.3f} s a replication, S = T1 − N·c = {s:.2f} s; "
          f"Dask adds d = (T_dask − T2)·2/N = {d * 1000:.1f} ms a replication")
    rounds_note = f"median of {rounds} rounds in alternating order"
    figures = [
        Figure(f"{model}, {n} replications, 2 local workers", t2, "s", "the same run on 1 worker", t1,
               ratio=up2, target=Target(">=", 1.8, on="ratio"),
               note=f"ratio = speed-up, {rounds_note}; the parent's CPU (serial part) {cpu2:.1f} s; "
                    f"{up2 / ceiling:.0%} of the machine's ceiling"),
        Figure(f"{model}, {n} replications, Dask cluster of 2 workers", td, "s", "the same run on 1 worker", t1,
               ratio=upd, target=Target(">=", 1.6, on="ratio"),
               note=f"ratio = speed-up, {rounds_note}; the parent's CPU (serial part) {cpud:.1f} s"),
        Figure(f"the machine's ceiling: {ceiling_tasks} bare SimPy loops of one {model} replication's length, "
               f"2 local workers", b2, "s", "the same loops in one process", b1, ratio=ceiling,
               note="ratio = speed-up of work with no model at all: what 2 vCPUs of this host gave, same run"),
    ]
    for w in (10, 100):
        local = s + n * c / w
        dask = s + n * (c + d) / w
        print(f"  projected, {w:3d} workers : local {local:7.1f} s ({t1 / local:5.1f}x), Dask {dask:7.1f} s "
              f"({t1 / dask:5.1f}x)   [= S + N·c/w{' , c + d on Dask' if w == 10 else ''}]")
        figures.append(Figure(f"{model}, {n} replications, {w} Dask workers (projected: S + N·(c+d)/w)", dask, "s",
                              "the measured run on 1 worker", t1, ratio=t1 / dask,
                              note=f"calculated, not measured; S {s:.1f} s, c {c:.3f} s, d {d * 1000:.0f} ms"))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", "-n", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2,
                        help="times each run is repeated, in alternating order (the speed-ups are medians)")
    parser.add_argument("--models", "--model", default="evacuation,operations",
                        help="the models to measure, comma-separated (operations alone: --model operations)")
    args = parser.parse_args()
    with DaskCluster(workers=2) as cluster:
        print(f"Dask cluster: `dask scheduler` and `dask worker --nworkers 2 --nthreads 1` at {cluster.address}; "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        for model in args.models.split(","):  # each model's figures recorded as soon as they are measured
            model = model.strip()
            record(f"bench_scaling_{model}", f"Scaling of a {args.replications}-replication {model} run",
                   measure(model, args.replications, cluster, args.rounds))


if __name__ == "__main__":
    main()
