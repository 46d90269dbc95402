"""The ``twin`` command, run as a user would (a subprocess), including its errors."""

from __future__ import annotations

import json

import pytest

from tests.conftest import DATA, run_twin
from twin.loader import sample_names


def test_show_prints_counts(two_storey) -> None:
    res = run_twin("building", "show", str(DATA / "two_storey.yaml"))
    assert res.returncode == 0, res.stderr
    assert "7 nodes, 6 edges" in res.stdout
    assert "28" in res.stdout and "EXIT-W" in res.stdout and "pump 1" in res.stdout


@pytest.mark.parametrize("sample", sample_names())
def test_samples_validate_and_show(sample: str) -> None:
    res = run_twin("validate", sample)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(f"OK {sample}: building")
    show = run_twin("building", "show", sample)
    assert show.returncode == 0 and "nodes" in show.stdout and "occupants" in show.stdout


def test_graph_export(tmp_path) -> None:
    out = tmp_path / "graph.json"
    res = run_twin("building", "graph", str(DATA / "two_storey.yaml"), "--out", str(out))
    assert res.returncode == 0, res.stderr
    data = json.loads(out.read_text())
    assert len(data["nodes"]) == 7 and len(data["edges"]) == 6
    assert {e["kind"] for e in data["edges"]} == {"door", "exit", "stair"}


def test_run_prints_kpi_table_and_writes_results(tmp_path) -> None:
    res = run_twin("run", str(DATA / "repair_small.yaml"), "-n", "2", "--set", "horizon_s=7200", "--set", "sweep=null",
                   "--out", str(tmp_path / "out"), "--no-report")
    assert res.returncode == 0, res.stderr
    assert "emergency_wait_min" in res.stdout and "95 % CI" in res.stdout
    assert (tmp_path / "out" / "summary.json").is_file()


@pytest.mark.parametrize("args, expected", [
    (["validate", "tests/data/broken/unknown_door_space.yaml"], "unknown_door_space.yaml: doors["),
    (["validate", "no/such/file.yaml"], "no such file"),
    (["building", "show", "nosuchsample"], "no such file, and no sample of that name"),
    (["run", str(DATA / "repair_small.yaml"), "--set", "params.technicians=many", "--set", "sweep=null"],
     "repair_small.yaml: params.technicians: Input should be a valid integer"),
    (["run", str(DATA / "repair_small.yaml"), "--set", "oops"], "expected PATH=VALUE"),
])
def test_user_errors_exit_2_without_traceback(args: list[str], expected: str) -> None:
    res = run_twin(*args)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert expected in res.stderr
    assert "Traceback" not in res.stderr + res.stdout
