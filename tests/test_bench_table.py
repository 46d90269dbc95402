"""Issue 16 item 3: one benchmark suite — `bench/results.json` gives the README's performance table.

The figures themselves are never asserted (the machines are shared and noisy); what is checked is
that the README shows what the suite recorded, and that "met" is computed from the figure and its
target rather than written by hand.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def bench_modules():
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("suite"), importlib.import_module("table")
    finally:
        sys.path.remove(str(BENCH))


def test_the_readme_table_is_the_one_results_json_gives(bench_modules):
    """Issue 16 item 3: a check fails when the README's table and bench/results.json disagree."""
    _, table = bench_modules
    assert table.main(["--check"]) == 0, "run `python bench/table.py` after `make bench`"


def test_the_check_fails_on_a_table_edited_by_hand(bench_modules, tmp_path, monkeypatch):
    _, table = bench_modules
    readme = table.README.read_text(encoding="utf-8")
    edited = readme.replace(table.END, "| `bench_x.py` | a figure nobody measured | 1 s | — | — | — | met |\n" + table.END)
    fake = tmp_path / "README.md"
    fake.write_text(edited, encoding="utf-8")
    monkeypatch.setattr(table, "README", fake)
    assert table.main(["--check"]) == 1


def test_met_and_the_ratio_are_computed_from_the_figure(bench_modules, tmp_path):
    suite, table = bench_modules
    path = tmp_path / "results.json"
    suite.record("bench_demo", "demo", [
        suite.Figure("events/s", 150_000.0, "events/s", "bare loop", 600_000.0,
                     target=suite.Target(">=", 0.3, on="ratio", goal=True)),
        suite.Figure("one replication", 0.44, "s", target=suite.Target("<=", 5.0)),
        suite.Figure("no target", 3.0, "s"),
    ], path=path)
    figures = json.loads(path.read_text())["bench_demo"]["figures"]
    assert figures[0]["ratio"] == pytest.approx(0.25)
    assert figures[0]["met"] is False and figures[0]["target"]["text"] == "goal ratio >= 0.3"
    assert figures[1]["met"] is True and figures[1]["target"]["text"] == "<= 5 s"
    assert figures[2]["met"] is None and figures[2]["ratio"] is None
    rows = table.markdown(json.loads(path.read_text())).splitlines()
    assert rows[2].endswith("| 0.25 | goal ratio >= 0.3 | not met |")
    assert rows[3].endswith("| — | <= 5 s | met |")
