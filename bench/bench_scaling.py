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

Targets (issue 16): 2 local workers ≥ 1.8× the single worker for both models; the 2-worker Dask
cluster ≥ 1.6×. Prints, never asserts: these machines are shared and noisy.
Run: ``.venv/bin/python bench/bench_scaling.py [--replications 200] [--model operations]`` (``--models``
takes a comma-separated list; the default is both). Besides the times it prints the parent process's CPU
time during the 2-worker runs: the serial part that bounds the speed-up.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scenarios.runner import run_scenario
from scenarios.spec import load_scenario

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


def measure(model: str, n: int, cluster: DaskCluster) -> list[Figure]:
    name, overrides = SCENARIOS[model]
    loaded = load_scenario(name, overrides)
    t1 = timed(lambda: run_scenario(loaded, replications=n, workers=1))
    t2, cpu2 = timed_with_parent_cpu(lambda: run_scenario(loaded, replications=n, workers=2))
    run_scenario(loaded, replications=2, scheduler=cluster.address)  # the workers import the model once
    td, cpud = timed_with_parent_cpu(lambda: run_scenario(loaded, replications=n, scheduler=cluster.address))
    c = max(2.0 * (t1 - t2) / n, 1e-9)
    s = max(t1 - n * c, 0.0)
    d = max((td - t2) * 2.0 / n, 0.0)
    print(f"{model}: '{name}', {n} replications through the runner")
    print(f"  1 local worker          : {t1:8.1f} s")
    print(f"  2 local workers         : {t2:8.1f} s   speed-up {t1 / t2:.2f}x   (target >= 1.8x)")
    print(f"  Dask, 2 workers         : {td:8.1f} s   speed-up {t1 / td:.2f}x   (target >= 1.6x)")
    print(f"  the parent's CPU (serial part: results received, records gathered, summary): {cpu2:.1f} s on the "
          f"local pool, {cpud:.1f} s on Dask")
    print(f"  fitted T(w) = S + N·c/w : c = 2·(T1 − T2)/N = {c:.3f} s a replication, S = T1 − N·c = {s:.2f} s; "
          f"Dask adds d = (T_dask − T2)·2/N = {d * 1000:.1f} ms a replication")
    figures = [
        Figure(f"{model}, {n} replications, 2 local workers", t2, "s", "the same run on 1 worker", t1,
               ratio=t1 / t2, target=Target(">=", 1.8, on="ratio"),
               note=f"ratio = speed-up; the parent's CPU (serial part) {cpu2:.1f} s"),
        Figure(f"{model}, {n} replications, Dask cluster of 2 workers", td, "s", "the same run on 1 worker", t1,
               ratio=t1 / td, target=Target(">=", 1.6, on="ratio"),
               note=f"ratio = speed-up; the parent's CPU (serial part) {cpud:.1f} s"),
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
    parser.add_argument("--models", "--model", default="evacuation,operations",
                        help="the models to measure, comma-separated (operations alone: --model operations)")
    args = parser.parse_args()
    with DaskCluster(workers=2) as cluster:
        print(f"Dask cluster: `dask scheduler` and `dask worker --nworkers 2 --nthreads 1` at {cluster.address}; "
              f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
        for model in args.models.split(","):  # each model's figures recorded as soon as they are measured
            model = model.strip()
            record(f"bench_scaling_{model}", f"Scaling of a {args.replications}-replication {model} run",
                   measure(model, args.replications, cluster))


if __name__ == "__main__":
    main()
