"""The repair-desk model reproduces M/M/c queueing theory (shared/REFERENCES.md).

Seeded multi-replication runs against the closed forms, as Ciw's tests do: the simulated mean
waits must contain the theory in their 99 % confidence interval (Student t over replications),
and that interval must be narrow (half-width under 10 % of the theory) so the check can fail.
"""

from __future__ import annotations

import numpy as np
import pytest
import simpy
from scipy import stats

from models import ModelContext, get_model
from models.harness import ReplicationResult
from models import theory

REPLICATIONS = 16
HORIZON_S = 100 * 24 * 3600  # 100 days per replication, after a 2-day warm-up


@pytest.fixture(scope="module")
def desk_runs():
    spec = get_model("repair_desk")
    params = spec.params(emergency_per_h=1.0, ordinary_per_h=5.0, repair_mean_min=30, technicians=4,
                         warmup_s=2 * 24 * 3600)
    seeds = np.random.SeedSequence(2024).spawn(REPLICATIONS)
    results = []
    for r, seed in enumerate(seeds):
        ctx = ModelContext(env=simpy.Environment(), rng=np.random.default_rng(seed), building=None, graph=None,
                           params=params, horizon_s=HORIZON_S, replication=r)
        results.append(spec.run(ctx))
    return results


def _check(values: list[float], expected: float, max_rel_half_width: float = 0.10) -> None:
    n = len(values)
    mean = float(np.mean(values))
    half = float(stats.t.ppf(0.995, n - 1) * np.std(values, ddof=1) / np.sqrt(n))
    assert half < max_rel_half_width * expected, f"interval too wide to be a test: ±{half:.3f}"
    assert abs(mean - expected) <= half, f"simulated {mean:.3f} ± {half:.3f}, theory {expected:.3f}"


def test_priority_waits_match_larson_odoni(desk_runs) -> None:
    """Larson & Odoni §4.9, non-preemptive priority M/M/4: emergency Wq 4.367 min, ordinary 17.466 min.
    Tolerance: 99 % CI over 16 × 100-day replications."""
    expected = theory.mmc_priority_waits([1 / 60, 5 / 60], 1 / 30, 4)
    _check([r.kpis["emergency_wait_min"] for r in desk_runs], expected[0])
    _check([r.kpis["ordinary_wait_min"] for r in desk_runs], expected[1])


def test_overall_wait_and_queue_match_erlang_c(desk_runs) -> None:
    """Erlang C (work conservation: priorities do not change the overall mean wait with equal service
    rates): Wq 15.28 min, Lq = λ·Wq = 1.528 orders, utilisation ρ = 0.75. Tolerance as above."""
    overall = []
    for r in desk_runs:
        rows = r.records["work_orders"]
        overall.append(float(np.mean([o["wait_min"] for o in rows])))
    _check(overall, theory.mmc_wait(6 / 60, 1 / 30, 4))
    _check([r.kpis["mean_queue"] for r in desk_runs], 6 / 60 * theory.mmc_wait(6 / 60, 1 / 30, 4))
    assert np.mean([r.kpis["utilisation"] for r in desk_runs]) == pytest.approx(0.75, abs=0.01)


def test_records_are_one_row_per_work_order(desk_runs) -> None:
    rows = desk_runs[0].records["work_orders"]
    assert len(rows) == desk_runs[0].kpis["orders_completed"]
    assert all(o["attended_s"] >= o["reported_s"] and o["completed_s"] >= o["attended_s"] for o in rows)
    assert {o["priority"] for o in rows} == {"emergency", "ordinary"}


def test_offered_load_is_rho(desk_runs) -> None:
    """issue 11 item 3.3: offered load ρ = (λe + λo) · mean repair time / technicians
    = (1 + 5)/h · 0.5 h / 4 = 0.75 exactly (Larson & Odoni §4.5), in every replication; the simulated
    utilisation agrees with it (tolerance 0.01, as above)."""
    assert {r.kpis["offered_load"] for r in desk_runs} == {0.75}
    assert np.mean([r.kpis["utilisation"] for r in desk_runs]) == pytest.approx(0.75, abs=0.01)


def test_overload_is_a_finding_in_both_languages() -> None:
    """issue 11 item 3.3: ρ ≥ 1 is the ``overloaded`` finding (Text, both languages); ρ < 1 is none."""
    from models.repair_desk import review

    found = review([ReplicationResult({"offered_load": 1.0}), ReplicationResult({"offered_load": 1.0})])
    assert set(found) == {"overloaded"}
    assert "ρ = 1.00 ≥ 1" in found["overloaded"]["en"] and found["overloaded"]["zh-CN"].startswith("超负荷")
    assert review([ReplicationResult({"offered_load": 0.96})]) == {}


def test_every_parameter_has_labels_in_both_languages_and_a_unit() -> None:
    """issue 11 item 4: every repair-desk parameter carries x-label and x-description in en and
    zh-CN, and its unit, in the JSON Schema."""
    schema = get_model("repair_desk").params.model_json_schema()
    for name, prop in schema["properties"].items():
        for key in ("x-label", "x-description"):
            assert set(prop[key]) == {"en", "zh-CN"} and all(prop[key].values()), (name, key)
        assert prop["x-unit"], name


def test_live_notes_are_text() -> None:
    """issue 11 item 4: notes from the live twin are in both languages."""
    from types import SimpleNamespace

    from models.repair_desk import from_live

    spec = get_model("repair_desk")
    alarms = [SimpleNamespace(rule="pressure", severity="critical", device="PUMP-1"),
              SimpleNamespace(rule="temp", severity="minor", device="AHU-2")]
    params, notes = from_live(spec.params(), SimpleNamespace(open_alarms=alarms), None)
    assert (params.backlog_emergency, params.backlog_ordinary) == (1, 1)
    assert notes[0] == {"en": "1 emergency and 1 ordinary work orders open from the twin's alarms (emergencies: PUMP-1)",
                        "zh-CN": "根据孪生告警已有 1 张紧急工单和 1 张一般工单（紧急：PUMP-1）"}
    assert notes[1]["zh-CN"].startswith("从当前时刻预测")
