"""The benchmark suite's record: every figure a bench script measures, beside its baseline.

Each script in ``bench/`` prints its figures for a person and hands them to :func:`record` as
:class:`Figure` objects: the figure, the baseline it is compared with **in the same run** (a bare
SimPy loop, a bare paho subscriber, one worker, a bare render, ``python -c pass``), their ratio, and
the target the issue set — met or not met is computed here from the figure, never written by hand.
:func:`record` merges them into ``bench/results.json`` (one entry per script, replaced when the
script runs again, with the time and the machine's load); ``bench/table.py`` turns that file into
``bench/results.md`` and the README's performance table, and ``tests/test_bench_table.py`` fails
when the README's table is not the one the file gives.

The machines are shared and noisy: a figure is one run's; the ratio to a baseline measured in the
same run is what stays comparable from run to run. No test asserts a time.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

RESULTS = Path(__file__).with_name("results.json")

__all__ = ["Figure", "Target", "record", "load", "RESULTS"]


@dataclass(frozen=True)
class Target:
    """What a figure must reach: ``value`` with ``op``, on the figure itself or on its ratio."""

    op: Literal["<=", ">="]
    value: float
    on: Literal["value", "ratio"] = "value"
    goal: bool = False
    """A goal rather than a requirement (the issue says "goal"): shown as such."""

    def met(self, figure: "Figure") -> bool | None:
        x = figure.value if self.on == "value" else figure.ratio
        if x is None or not math.isfinite(x):
            return None
        return x <= self.value if self.op == "<=" else x >= self.value

    def describe(self, unit: str) -> str:
        what = "ratio " if self.on == "ratio" else ""
        shown = f"{self.value:g}" + ("" if self.on == "ratio" or not unit else f" {unit}")
        return f"{'goal ' if self.goal else ''}{what}{self.op} {shown}"


@dataclass(frozen=True)
class Figure:
    """One measured figure of a bench script.

    ``ratio`` is ``value / baseline_value`` unless given (a rate's ratio is the model's rate over the
    bare loop's; a time's, the time over the baseline's time)."""

    name: str
    value: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    ratio: float | None = None
    target: Target | None = None
    note: str = ""

    def resolved(self) -> dict:
        ratio = self.ratio
        if ratio is None and self.baseline_value:
            ratio = self.value / self.baseline_value
        done = Figure(self.name, self.value, self.unit, self.baseline, self.baseline_value, ratio, self.target,
                      self.note)
        row = asdict(done)
        row["target"] = None if self.target is None else {
            **asdict(self.target), "text": self.target.describe(self.unit)}
        row["met"] = None if self.target is None else self.target.met(done)
        return row


def load(path: Path = RESULTS) -> dict:
    """The recorded results (``{}`` when none were recorded yet)."""
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def record(bench: str, title: str, figures: list[Figure], *, path: Path = RESULTS) -> dict:
    """Merge one script's figures into ``bench/results.json`` (its earlier entry is replaced)."""
    data = load(path)
    try:
        load_1m = os.getloadavg()[0]
    except OSError:  # pragma: no cover - not on this platform
        load_1m = None
    data[bench] = {
        "title": title,
        "run_at": time.strftime("%Y-%m-%d %H:%M", time.gmtime()) + " UTC",
        "machine": {"cpus": os.cpu_count(), "load_1m": None if load_1m is None else round(load_1m, 1),
                    "python": platform.python_version()},
        "figures": [f.resolved() for f in figures],
    }
    ordered = {k: data[k] for k in sorted(data)}
    path.write_text(json.dumps(ordered, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return data[bench]
