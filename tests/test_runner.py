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


def test_summary_gives_labels_intervals_and_titles_in_both_languages() -> None:
    """issue 11 items 3.1 / 4: each KPI entry carries its label, description and unit display form
    in both languages, its kind and the interval used (bootstrap for shares and counts, t for
    durations unless t would go below 0); the scenario and model titles are Text."""
    summary = run_scenario(_load("sweep=null", "params.technicians=4")).summary
    kpis = summary["kpis"]
    assert kpis["emergency_within_sla"]["label"]["zh-CN"] == "紧急报修 30 分钟内到场率"
    assert kpis["emergency_wait_min"]["unit_label"] == {"en": "min", "zh-CN": "分钟"}
    assert kpis["emergency_within_sla"]["kind"] == "share" and kpis["emergency_within_sla"]["interval"] == "bootstrap"
    assert kpis["mean_queue"]["interval"] == "bootstrap" and kpis["mean_queue"]["ci95_low"] >= 0
    assert kpis["emergency_wait_min"]["interval"] in ("t", "bootstrap") and kpis["emergency_wait_min"]["ci95_low"] >= 0
    assert all(0 <= kpis[k]["ci95_low"] <= kpis[k]["ci95_high"] <= 1
               for k in ("emergency_within_sla", "ordinary_within_sla", "utilisation"))
    assert summary["scenario"]["title"] == {"en": "repair-small"}
    assert summary["scenario"]["description"] == {"en": "Repair desk, 3 vs 4 technicians"}
    assert summary["model_title"]["zh-CN"] == "报修中心（工单与维修人员）"


def test_library_repair_desk_has_sla_verdicts_and_bilingual_title() -> None:
    """issue 11 items 3.2 / 4: the library's weekday repair desk judges both SLA shares against
    ≥ 95 % on the mean (a team of 4 at ρ = 0.75 passes both), and carries its title in both languages."""
    loaded = load_scenario("repair-desk-weekday", ["replications=4", "horizon_s=259200"])
    summary = run_scenario(loaded).summary
    for name in ("emergency_within_sla", "ordinary_within_sla"):
        entry = summary["kpis"][name]
        assert entry["target"]["op"] == ">=" and entry["target"]["value"] == 0.95
        assert entry["target"]["source"]["zh-CN"].startswith("服务承诺")
        assert entry["verdict"]["status"] == "pass", entry["verdict"]["text"]["en"]
    assert summary["scenario"]["title"] == {"en": "Repair desk on a weekday", "zh-CN": "工作日报修中心"}
    assert summary["flags"] == []


def test_overloaded_desk_is_flagged_per_point_and_in_the_run() -> None:
    """issue 11 item 3.3: a sweep point at ρ ≥ 1 (2 technicians for 6 orders/h of 30 min: ρ = 1.5) is
    flagged overloaded, with a note in both languages; the point at ρ = 0.75 is not."""
    summary = run_scenario(_load("sweep={params.technicians: [2, 4]}")).summary
    assert [p["flags"] for p in summary["points"]] == [["overloaded"], []]
    assert summary["flags"] == ["overloaded"] and summary["overloaded"] is False  # not every point
    note = summary["notes"][0]
    assert note["en"].startswith("overloaded: the work arriving needs 1.50 times") and note["en"].endswith("(sweep point 0)")
    assert note["zh-CN"].startswith("超负荷") and note["zh-CN"].endswith("（扫描点 0）")
    assert [p["kpis"]["offered_load"]["mean"] for p in summary["points"]] == [1.5, 0.75]


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("title", {"en": "Weekday desk"}, "title: give the words in both languages (en, zh-CN), or one "
                                      "plain string; missing: zh-CN"),
    ("description", {"en": "x", "fr": "y", "zh-CN": "z"}, "description: unknown language 'fr'"),
])
def test_bilingual_title_and_description_are_checked(field: str, value: dict, expected: str) -> None:
    """issue 11 item 4: a scenario's title/description is both languages or one plain string."""
    import yaml

    data = yaml.safe_load((DATA / "repair_small.yaml").read_text())
    data[field] = value
    with pytest.raises(SpecError) as info:
        parse_scenario(data, "repair_small.yaml", DATA)
    assert f"repair_small.yaml: {expected}" in str(info.value)


def test_a_worker_uses_one_parameters_object_per_sweep_point():
    """Replications on pool processes and Dask workers get their parameters pickled; the same bytes give the
    same object in a worker (as the replications of a point share one object in the parent), so what a model
    derives once per parameters object (the operations model's plan) is made once per worker, not once per
    replication; other parameters give another object, and only the last few are kept."""
    import pickle

    from scenarios import backends
    from scenarios.spec import load_scenario

    params = load_scenario("ops-tower-baseline").points[0].params
    data = pickle.dumps(params)
    first = backends._params_from(data)
    assert backends._params_from(data) is first
    assert first == params and first is not params
    other = backends._params_from(pickle.dumps(params.model_copy(update={"weeks": 2})))
    assert other is not first
    for k in range(backends._PARAMS_KEPT + 2):
        backends._params_from(pickle.dumps(k))
    assert backends._params_from.cache_info().currsize == backends._PARAMS_KEPT
    assert backends._params_from(data) is not first  # dropped: unpickled afresh, equal
