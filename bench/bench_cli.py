"""Benchmark: how fast the ``twin`` command starts (issue 11, section 6).

A person at a terminal types ``twin --help``, ``twin validate my-building.yaml`` and ``twin run``
of a small scenario many times a day; the targets are ≤ 0.5 s for the first two and ≤ 1.5 s for a
run of a one-room scenario. Most of that time is importing Python packages (numpy, scipy,
pandas, the models), so each command imports only what it needs. This runs each command as a
person would (the ``twin`` script of this environment, a new process each time), ROUNDS times,
interleaved with ``python -c pass`` (the interpreter's own start on the same machine, in the same
minute), and prints the best and median wall times, the ratio to ``python -c pass`` and the
target. Prints, never asserts: these machines are shared.

    .venv/bin/python bench/bench_cli.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from suite import Figure, Target, record  # bench/suite.py

ROUNDS = 7
REPO = Path(__file__).resolve().parents[1]
SMALL_BUILDING = REPO / "tests" / "data" / "two_storey.yaml"

ONE_ROOM = """\
# One office room of 80 m² with 20 people and one exit door: the smallest evacuation there is.
id: one-room
name: One room
use: office
floors:
  - {id: F01, elevation_m: 0.0, height_m: 3.5}
spaces:
  - {id: ROOM, floor: F01, kind: office, rect: {x_m: 0, y_m: 0, width_m: 10, depth_m: 8}, occupants: 20}
doors:
  - {id: D-X, between: [ROOM, EXIT], width_m: 1.0}
exits:
  - {id: EXIT, floor: F01, x_m: 0, y_m: 4}
"""

ONE_ROOM_DRILL = """\
name: one-room-drill
model: evacuation
building: one_room.yaml
seed: 1
replications: 5
horizon_s: 600
params: {}
"""


def _twin() -> list[str]:
    script = Path(sys.executable).parent / "twin"
    return [str(script)] if script.exists() else [sys.executable, "-m", "api"]


def _time(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=REPO)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    try:
        measure(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(work: Path) -> None:
    (work / "one_room.yaml").write_text(ONE_ROOM, encoding="utf-8")
    (work / "one_room_drill.yaml").write_text(ONE_ROOM_DRILL, encoding="utf-8")
    env = dict(os.environ, TWIN_DATA_DIR=str(work / "twin-data"), PYTHONWARNINGS="ignore", COLUMNS="120")
    twin = _twin()
    drill = str(work / "one_room_drill.yaml")
    cases = [
        ("python -c pass", [sys.executable, "-c", "pass"], None),
        ("twin --help", [*twin, "--help"], 0.5),
        ("twin validate (2-storey building)", [*twin, "validate", str(SMALL_BUILDING)], 0.5),
        ("twin run one room --no-report", [*twin, "run", drill, "--out", str(work / "out"), "--no-report"], 1.5),
        # The default run also draws its HTML report (a chart per KPI, 3D pictures): drawing, not
        # start-up — shown for what it costs, with no start-up target.
        ("twin run one room (with report)", [*twin, "run", drill, "--out", str(work / "out")], None),
    ]
    for _, argv, _ in cases:  # warm the file cache and the bytecode
        _time(argv, env)
    times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    for _ in range(ROUNDS):  # interleaved, so that a busy minute weighs on every command alike
        for name, argv, _ in cases:
            times[name].append(_time(argv, env))
    base = min(times["python -c pass"])
    print(f"twin command start-up: best and median of {ROUNDS} runs each, interleaved "
          f"(load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")
    print(f"{'command':36s} {'best s':>8s} {'median s':>9s} {'best / python':>14s} {'target s':>9s}")
    for name, _, target in cases:
        best, median = min(times[name]), statistics.median(times[name])
        verdict = "" if target is None else ("  met" if best <= target else "  NOT met")
        print(f"{name:36s} {best:8.3f} {median:9.3f} {best / base:14.1f} "
              f"{'' if target is None else f'{target:.1f}':>9s}{verdict}")
    record("bench_cli", f"Command start-up, best of {ROUNDS} interleaved", [
        Figure(name, min(times[name]), "s", "python -c pass", base, target=None if target is None else
               Target("<=", target), note=f"median {statistics.median(times[name]):.2f} s")
        for name, _, target in cases if name != "python -c pass"])


if __name__ == "__main__":
    main()
