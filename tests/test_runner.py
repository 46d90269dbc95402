"""The scenario runner: seeds, parallel replications, sweeps, results folder, errors."""

from __future__ import annotations

import json
import threading

import pandas as pd
import pytest

from scenarios.runner import RunCancelled, replication_seeds, run_scenario
from scenarios.spec import load_scenario, parse_scenario
from tests.conftest import DATA
from twin.errors import SpecError

SMALL = ["replications=3", "horizon_s=36000"]


def _load(*extra: str):
    return load_scenario(DATA / "repair_small.yaml", [*SMALL, *extra])


def test_same_seed_identical_summary_whatever_the_workers(tmp_path) -> None:
    loaded = _load()
    run_scenario(loaded, workers=1, out=tmp_path / "w1")
    run_scenario(loaded, workers=2, out=tmp_path / "w2")
    assert (tmp_path / "w1" / "summary.json").read_bytes() == (tmp_path / "w2" / "summary.json").read_bytes()
    a = pd.read_parquet(tmp_path / "w1" / "records" / "work_orders.parquet")
    b = pd.read_parquet(tmp_path / "w2" / "records" / "work_orders.parquet")
    pd.testing.assert_frame_equal(a, b)


def test_seed_changes_results() -> None:
    loaded = _load()
    a = run_scenario(loaded, seed=1).summary
    b = run_scenario(loaded, seed=2).summary
    assert a["points"][0]["kpis"] != b["points"][0]["kpis"]
    assert a["seed"] == 1 and b["seed"] == 2


def test_replications_have_distinct_generators() -> None:
    seeds = replication_seeds(7, 3)
    assert len({tuple(s.generate_state(2)) for s in seeds}) == 3


def test_summary_contents(tmp_path) -> None:
    result = run_scenario(_load(), out=tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["model"] == "repair_desk" and summary["replications"] == 3 and summary["seed"] == 7
    assert [p["set"] for p in summary["points"]] == [{"params.technicians": 3}, {"params.technicians": 4}]
    assert "kpis" not in summary  # a sweep has per-point KPIs only
    kpi = summary["points"][1]["kpis"]["emergency_wait_min"]
    assert set(kpi) >= {"unit", "mean", "ci95_low", "ci95_high", "p50", "p95", "n"}
    assert kpi["unit"] == "min" and kpi["n"] == 3
    assert kpi["ci95_low"] <= kpi["mean"] <= kpi["ci95_high"]
    frame = result.records["work_orders"]
    assert set(frame["point"]) == {0, 1} and set(frame["replication"]) == {0, 1, 2}
    # more technicians, shorter waits (common random numbers make this a sharp comparison)
    waits = [p["kpis"]["ordinary_wait_min"]["mean"] for p in summary["points"]]
    assert waits[1] < waits[0]


def test_single_point_has_top_level_kpis() -> None:
    loaded = _load("sweep=null", "params.technicians=5")
    summary = run_scenario(loaded).summary
    assert summary["kpis"] == summary["points"][0]["kpis"]
    assert summary["parameters"]["technicians"] == 5


def test_progress_callback_and_cancel() -> None:
    loaded = _load()
    seen: list[tuple[int, int]] = []
    run_scenario(loaded, on_progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (6, 6) and len(seen) == 6
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(RunCancelled):
        run_scenario(loaded, cancel=cancel)


@pytest.mark.parametrize("change, expected", [
    ({"model": "no_such_model"}, "repair_small.yaml: model: unknown model 'no_such_model'"),
    ({"building": "nowhere"}, "repair_small.yaml: building: no building file or sample 'nowhere'"),
    ({"params": {"technicians": -1}, "sweep": None}, "repair_small.yaml: params.technicians: Input should be greater than or equal to 1"),
    ({"params": {"tecnicians": 2}}, "repair_small.yaml: params.tecnicians: unknown field"),
    ({"replications": 0}, "repair_small.yaml: replications: Input should be greater than or equal to 1"),
    ({"sweep": {"technicians": [1]}}, "repair_small.yaml: sweep.technicians: a swept field is a model parameter"),
    ({"sweep": {"params.technicians": [2, 0]}}, "(in sweep point params.technicians=0)"),
    ({"seed": "abc"}, "repair_small.yaml: seed: Input should be a valid integer"),
])
def test_scenario_errors_name_file_field_and_value(change: dict, expected: str) -> None:
    import yaml

    data = yaml.safe_load((DATA / "repair_small.yaml").read_text())
    data.update(change)
    with pytest.raises(SpecError) as info:
        parse_scenario(data, "repair_small.yaml", DATA)
    assert expected in str(info.value)
