"""Issue 11, section 2 (and the evacuation side of section 3): evacuation results that say what happened.

Each test names the item it shows. Buildings are built in the spec format with the helpers of the
verification suite (:mod:`tests.test_evacuation_verification`); every run has a fixed seed.
"""

from __future__ import annotations

import math

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import simpy

from models import ModelContext, ReplicationResult, get_model
from models.evacuation import (LANE_WIDTH_M, PASSING_WIDTH_M, EvacuationParams, advise, from_live, is_single_file,
                               population_note, review, single_file_share)
from models.occupants import POPULATIONS, PRE_MOVEMENT_SOURCE, PreMovement
from tests.test_evacuation_verification import NO_DELAY, make_building, rect, simulate, tower
from twin.graph import build_graph, effective_width
from twin.loader import load_building
from twin.text import LANGUAGES, missing_languages

SPEC = get_model("evacuation")
OFFICE = load_building(Path(__file__).parent / "data" / "two_storey.yaml")
"""The two-storey test office (use: office)."""
RESIDENTS = {"population": "residential", "lifts": {"enabled": False},
             "pre_movement": {"default": {"kind": "uniform", "low": 0, "high": 60}}}
"""Residents of all ages (older adults descend at about 0.28 m/s: whether others can pass them matters)."""


# --- 2.1 single file is a matter of clear width; landings and lobbies never are ----------------------

@pytest.mark.parametrize("kind, clear_m, single", [
    ("stair_flight", 1.2, False),   # the 1.2 m stair (0.90 m effective without handrails): two lanes
    ("stair_flight", 1.1, False),   # two 0.55 m lanes exactly: people pass
    ("stair_flight", 1.0, True),
    ("stair_flight", 0.8, True),
    ("corridor", 1.0, True),
    ("corridor", 1.2, False),
    ("room", 0.9, True),
    ("stair", 0.9, False),          # a stair landing is never single file
    ("stair", 4.0, False),          # the 4 × 6 m ground landing
    ("lobby", 0.9, False),
    ("lift_lobby", 0.9, False),
    ("atrium", 0.9, False),
    ("corridor", None, False),      # a polygon: no width known
])
def test_2_1_single_file_rule_by_clear_width(kind, clear_m, single):
    """Issue 11 item 2.1: single file by the clear width people walk in (two 0.55 m lanes, GB 50016's
    股 / BS 5588's unit exit width, are needed to pass: 1.1 m), never for a landing or a lobby."""
    assert PASSING_WIDTH_M == pytest.approx(2 * LANE_WIDTH_M)
    assert is_single_file(kind, clear_m) is single


def test_2_1_single_file_hindrance_is_continuous_in_width():
    """Issue 11 item 2.1: the share of a hold-up that remains is 1 at one lane (0.55 m) or less and
    falls linearly to 0 at the passing width, so nothing jumps at the threshold (exact)."""
    assert single_file_share("corridor", 0.5) == 1.0
    assert single_file_share("corridor", LANE_WIDTH_M) == 1.0
    assert single_file_share("stair_flight", 0.825) == pytest.approx(0.5)
    assert single_file_share("stair_flight", PASSING_WIDTH_M - 1e-9) == pytest.approx(0.0, abs=1e-8)
    assert single_file_share("stair_flight", PASSING_WIDTH_M) == 0.0
    assert single_file_share("stair", 0.5) == 0.0


def ground_landing_tower(stair_width_m: float = 1.2) -> tuple:
    """The issue's case: a 1.2 m stair without handrail allowance (0.90 m effective), its 4 × 6 m
    ground landing, 150 people on the ground floor leaving through that landing and 40 on each of 4
    floors above coming down: one 1.2 m exit door from the landing."""
    floors = [{"id": f"F{i}", "elevation_m": 3.0 * i, "height_m": 3.0} for i in range(5)]
    spaces, doors = [], []
    for i in range(5):
        f = f"F{i}"
        spaces.append({"id": f"{f}-OFF", "floor": f, "kind": "office", "rect": rect(0, 0, 12, 12),
                       "occupants": 150 if i == 0 else 40})
        landing = rect(12, 0, 4, 6) if i == 0 else rect(12, 0, 4, 4)
        spaces.append({"id": f"{f}-ST", "floor": f, "kind": "stair", "rect": landing})
        doors.append({"id": f"{f}-D", "between": [f"{f}-OFF", f"{f}-ST"], "width_m": 2.0})
    doors.append({"id": "DX", "between": ["F0-ST", "EXIT"], "width_m": 1.2})
    exits = [{"id": "EXIT", "floor": "F0", "x_m": 16, "y_m": 3}]
    stairs = [{"id": "ST", "landings": [f"F{i}-ST" for i in range(5)], "width_m": stair_width_m, "handrails": 0}]
    return make_building(floors, spaces, doors, exits, stairs)


def test_2_1_exit_door_behind_a_ground_landing_reaches_its_capacity():
    """Issue 11 item 2.1: behind the 4 × 6 m ground landing of a 1.2 m stair (0.90 m effective), the
    1.2 m exit door passes people at its SFPE capacity Fsm·We = 1.316 × 0.9 = 1.18 persons/s while
    the crowd lasts (middle 80 % of its passages, within 5 %) — the landing does not throttle it to
    the stair's 1.01 × 0.9 = 0.91 persons/s as single file did before."""
    res = simulate(ground_landing_tower(), {"population": "adults", **NO_DELAY, "lifts": {"enabled": False},
                                            "trace": True})
    t = sorted(r["time_s"] for r in res.records["trace"] if r["event"] == "pass" and r["where"] == "DX")
    assert len(t) == 310
    lo, hi = t[len(t) // 10], t[9 * len(t) // 10]
    flow = (9 * len(t) // 10 - len(t) // 10) / (hi - lo)
    assert flow == pytest.approx(1.316 * effective_width(1.2, "door"), rel=0.05)
    assert not any(r["kind"] == "single_file" for r in res.records["elements"])


STAIR_WIDTHS_M = [round(0.8 + 0.05 * i, 2) for i in range(17)]  # 0.80 … 1.60 m


@pytest.fixture(scope="module")
def width_sweep() -> dict[float, ReplicationResult]:
    """A 10-storey office tower (40 residents a floor, one stair with handrails) for each stair width
    0.80–1.60 m in 0.05 m steps, the same seed for every width (common random numbers)."""
    return {w: simulate(tower(10, 40, stair_width_m=w, handrails=2), RESIDENTS, seed=3) for w in STAIR_WIDTHS_M}


def test_2_1_evacuation_time_changes_smoothly_with_stair_width(width_sweep):
    """Issue 11 item 2.1: RSET falls smoothly as the stair widens 0.80 → 1.60 m across the 1.1 m
    single-file threshold: it never rises by more than 1 % for a wider stair (where the stair is
    not the bottleneck a wider one is slightly longer to walk: the half-landing turn grows with the
    width), and no 0.05 m step changes it by more than twice the larger of its neighbouring steps
    plus 1 % of RSET. Before the fix, on this very sweep, RSET fell 26 % (623 → 458 s) between 1.15
    and 1.20 m, where the effective width crossed the old 1.0 m threshold, against steps under 4 %
    either side."""
    rset = [width_sweep[w].kpis["rset_s"] for w in STAIR_WIDTHS_M]
    steps = [a - b for a, b in zip(rset, rset[1:])]  # positive: faster when wider
    for i, step in enumerate(steps):
        assert step >= -0.01 * rset[i], (STAIR_WIDTHS_M[i], rset)
        neighbours = [abs(steps[j]) for j in (i - 1, i + 1) if 0 <= j < len(steps)]
        assert abs(step) <= 2 * max(neighbours) + 0.01 * rset[i], (STAIR_WIDTHS_M[i], rset)


# --- 2.2 queues a narrower building cannot hide ----------------------------------------------------------

def test_2_2_narrower_stair_never_reports_less_queueing(width_sweep):
    """Issue 11 item 2.2: of two buildings that differ only in stair width, the narrower never
    reports less total queueing (person·s): the wait behind the stair's capacity, a full landing or
    a slower walker in single file all count. (Before the fix the 1.15 m stair reported 8,352
    person·s against 35,320 for the 1.20 m one: the single-file wait was hidden in walking time.)"""
    queue = [width_sweep[w].kpis["total_queue_s"] for w in STAIR_WIDTHS_M]
    for narrow, wide, w in zip(queue, queue[1:], STAIR_WIDTHS_M):
        assert narrow >= wide, (w, queue)


def test_2_2_single_file_hold_ups_are_queueing_and_a_hot_spot():
    """Issue 11 item 2.2: on a 0.8 m stair (single file) residents held up behind slower ones are
    queueing: the flight's ``(single file)`` row has queued person·s and a longest queue, it is
    among the hot spots, and the total queueing includes it."""
    res = simulate(tower(6, 30, stair_width_m=0.8, handrails=2), RESIDENTS, seed=3)
    rows = [r for r in res.records["elements"] if r["kind"] == "single_file"]
    assert rows and all(r["element"].endswith("(single file)") for r in rows)
    held = sum(r["queued_s"] for r in rows)
    assert held > 0 and max(r["max_queue"] for r in rows) >= 1
    assert res.kpis["total_queue_s"] >= held
    assert {r["element"] for r in res.records["hot_spots"]} & {r["element"] for r in rows}
    assert res.kpis["max_queue"] >= max(r["max_queue"] for r in res.records["elements"])


# --- 2.3 a run cut off by its horizon is never reported as finished --------------------------------

def test_2_3_cut_off_run_is_censored_and_says_where():
    """Issue 11 item 2.3: a 20-storey tower run for only 300 s: people are still inside, so
    ``still_inside`` counts them, RSET is the horizon (the last person is out after it) and every
    timing KPI that is only a bound is censored — but not the floor clearance: everyone has left
    their floor for the stair by then, so it is known; ``where`` says where they are and names the
    stair that never emptied; the review finds ``censored`` and ``overloaded`` in both languages."""
    res = simulate(tower(20, 25), RESIDENTS, seed=1, horizon_s=300.0)
    k = res.kpis
    assert k["still_inside"] > 0
    assert k["still_inside"] + k["evacuated_share"] * (k["occupants"] - k["stayed_put"]) + k["trapped"] == \
        pytest.approx(k["occupants"] - k["stayed_put"])
    assert k["rset_s"] == 300.0
    assert {"rset_s", "mean_evacuation_s", "evacuated_share", "p99_evacuation_s", "total_queue_s"} <= res.censored
    assert sum(r["still_inside"] for r in res.records["floors"]) == k["still_inside"]
    assert k["max_floor_clearance_s"] < 300.0 and "max_floor_clearance_s" not in res.censored
    assert "still_inside" not in res.censored  # the count itself is exact
    assert "queueing" in res.where["still_inside"]
    assert "stair S0" in res.where["overloaded"]
    found = review([res, res])
    assert set(found) >= {"censored", "overloaded"}
    assert "S0" in found["overloaded"]["en"] and "S0" in found["overloaded"]["zh-CN"]
    assert all(not missing_languages(note) for note in found.values())


def test_2_3_finished_run_is_not_censored():
    """Issue 11 item 2.3: the same tower with time enough: nobody inside, nothing censored, no
    censored or overloaded finding, and RSET is the last arrival."""
    res = simulate(tower(20, 25), RESIDENTS, seed=1, horizon_s=7200.0)
    assert res.kpis["still_inside"] == 0 and res.censored == frozenset()
    last = max(r["arrival_s"] for r in res.records["occupants"])
    assert res.kpis["rset_s"] == last
    assert "overloaded" not in res.where and not {"censored", "overloaded"} & set(review([res]))


def test_2_3_floor_not_cleared_counts_at_the_horizon():
    """Issue 11 item 2.3: a floor whose people are still in pre-movement at the horizon has not been
    cleared: its clearance is the horizon, censored, and so is the longest floor clearance."""
    params = {**RESIDENTS, "pre_movement": {"default": {"kind": "fixed", "value": 0},
                                            "by_floor": {"F02": {"kind": "fixed", "value": 5000}}}}
    res = simulate(tower(2, 10), params, horizon_s=600.0)
    floors = {r["floor"]: r for r in res.records["floors"]}
    assert floors["F02"]["censored"] and floors["F02"]["clearance_s"] == 600.0 and floors["F02"]["still_inside"] == 10
    assert not floors["F01"]["censored"] and floors["F01"]["clearance_s"] < 600.0
    assert res.kpis["max_floor_clearance_s"] == 600.0 and "max_floor_clearance_s" in res.censored
    assert "10 in pre-movement" in res.where["still_inside"] and "overloaded" not in res.where


def test_2_3_percentile_censored_only_when_it_falls_among_those_inside():
    """Issue 11 items 2.3 and 2.5: 98 people who leave at once and 2 whose pre-movement outlasts the
    horizon: the 95th percentile is what happened (not censored), the 99th falls among those still
    inside (censored, reported as the horizon)."""
    b = tower(2, 10)
    params = {**RESIDENTS, "occupant_counts": {"F01-OFF": 98, "F02-OFF": 2},
              "pre_movement": {"default": {"kind": "fixed", "value": 0},
                               "by_floor": {"F02": {"kind": "fixed", "value": 5000}}}}
    res = simulate(b, params, horizon_s=1800.0)
    assert res.kpis["still_inside"] == 2
    assert "p95_evacuation_s" not in res.censored and res.kpis["p95_evacuation_s"] < 1800.0
    assert "p99_evacuation_s" in res.censored and res.kpis["p99_evacuation_s"] == 1800.0


def test_2_3_advise_warns_when_the_horizon_cannot_cover_pre_movement():
    """Issue 11 item 2.3: the default horizon of a scenario (3600 s) covers the default pre-movement's
    99.9th percentile (about 1,880 s) with no warning; a 1,500 s horizon gets a bilingual warning
    that names the percentile and a horizon to use."""
    p = EvacuationParams()
    assert advise(p, 3600.0, None) == []
    [warning] = advise(p, 1500.0, None)
    assert not missing_languages(warning)
    assert "99.9th percentile" in warning["en"] and "1879 s" in warning["en"] and "horizon_s" in warning["en"]


# --- 2.4 the population follows the building's use ------------------------------------------------

def _run_building(building, params: dict, seed: int = 2):
    graph = build_graph(building)
    p = EvacuationParams.model_validate(params)
    ctx = ModelContext(env=simpy.Environment(), rng=np.random.default_rng(seed), building=building, graph=graph,
                       params=p, horizon_s=7200.0)
    return SPEC.run(ctx)


def test_2_4_office_building_gets_office_workers_not_residents():
    """Issue 11 item 2.4: an office building (use: office) run without a population gets the office
    mix — no children or older adults — and the run's notes say so in both languages."""
    assert OFFICE.use == "office"
    res = _run_building(OFFICE, {"occupant_counts": {"F01-OFF": 60, "F02-OFF": 60}, **NO_DELAY})
    groups = {r["group"] for r in res.records["occupants"]}
    assert groups <= set(POPULATIONS["office"]) and not groups & {"child", "elderly"}
    assert res.records["population"] == [{"mix": "office", "source": "building use", "building_use": "office",
                                          "occupants": 120}]
    note = review([res])["population_profile"]
    assert "office" in note["en"] and "use 'office'" in note["en"] and "办公" in note["zh-CN"]


def test_2_4_scenario_population_wins_and_is_named():
    """Issue 11 item 2.4: a population the scenario gives is used as it is, and named as the scenario's."""
    res = _run_building(OFFICE, {"population": "residential", **NO_DELAY})
    assert res.records["population"][0]["source"] == "scenario"
    assert "set by the scenario" in review([res])["population_profile"]["en"]


def test_2_4_mixed_use_building_by_space_kind():
    """Issue 11 item 2.4: in a mixed-use building (the podium sample) offices hold office workers and
    shops shoppers: no child starts in an office, and the note lists the mix of each kind."""
    podium = load_building("podium")
    assert podium.use == "mixed"
    res = _run_building(podium, {"occupancy": "weekday", "lifts": {"enabled": False}})
    kind = {s.id: s.kind for s in podium.spaces}
    in_offices = {r["group"] for r in res.records["occupants"] if kind[r["space"]] == "office"}
    assert in_offices and not in_offices & {"child", "elderly"}
    mixes = {r["mix"] for r in res.records["population"]}
    assert {"office", "retail"} <= mixes
    note = population_note(None, "mixed", list(res.records["population"]))
    assert "by space kind" in note["en"] and not missing_languages(note)


def test_2_4_mixed_use_note_names_kinds_of_space_in_words():
    """H-WORDS2: the mixed-use population note says which kinds of space hold which mix in words, in
    each language (twin/spec.py SPACE_KIND_WORDS: management office / 物业管理处, 住宅), with each mix's
    words and its code name ('office'), not the kinds' code names (management_office, apartment)."""
    rows = [{"mix": "office", "occupants": 40}, {"mix": "residential", "occupants": 120}]
    note = population_note(None, "mixed", rows)
    assert "office workers ('office') for office, management office (40 people)" in note["en"], note["en"]
    assert "办公人员（office）：办公室、物业管理处（40 人）" in note["zh-CN"], note["zh-CN"]
    assert "住宅（120 人）" in note["zh-CN"] and "for flat (120 people)" in note["en"]
    for lang in ("en", "zh-CN"):
        assert "management_office" not in note[lang] and "apartment" not in note[lang], note[lang]


# --- 2.5 pre-movement tails: p95, p99, and where the margin is least ------------------------------

def test_2_5_percentiles_and_least_margin_named():
    """Issue 11 item 2.5: p95 ≤ p99 ≤ RSET, each numpy's linear percentile of the arrival times
    (1e-9); with ASET 60 s on the offices of floors 3 and 5 the least margin is negative and
    ``where`` names those floors, least first."""
    b = tower(6, 20)
    res = simulate(b, {**RESIDENTS, "aset_s": {"F03-OFF": 60.0, "F05-OFF": 60.0}}, seed=4)
    arrivals = [r["arrival_s"] for r in res.records["occupants"] if r["evacuated"]]
    k = res.kpis
    assert k["p95_evacuation_s"] == pytest.approx(np.percentile(arrivals, 95), rel=1e-9)
    assert k["p99_evacuation_s"] == pytest.approx(np.percentile(arrivals, 99), rel=1e-9)
    assert k["p95_evacuation_s"] <= k["p99_evacuation_s"] <= k["rset_s"]
    assert k["min_margin_s"] < 0
    margins = {r["floor"]: r["margin_s"] for r in res.records["floors"] if r["margin_s"] == r["margin_s"]}
    order = sorted(margins, key=margins.get)
    assert res.where["min_margin_s"] == f"floors {order[0]}, {order[1]}"
    assert set(order) == {"F03", "F05"}


def test_2_5_pre_movement_source_is_cited():
    """Issue 11 item 2.5: the default pre-movement distribution's source is a bilingual constant that
    names NIST TN 1839 and matches the distribution (median 170 s, mean 230 s; p95 ≈ 610 s, p99 ≈
    1,040 s to 1 %)."""
    assert not missing_languages(PRE_MOVEMENT_SOURCE)
    assert "NIST TN 1839" in PRE_MOVEMENT_SOURCE["en"] and "NIST TN 1839" in PRE_MOVEMENT_SOURCE["zh-CN"]
    d = PreMovement().default.scipy()
    assert d.median() == pytest.approx(170.0) and d.mean() == pytest.approx(230.0)
    assert d.ppf(0.95) == pytest.approx(610, rel=0.01) and d.ppf(0.99) == pytest.approx(1040, rel=0.01)


# --- 2.6 words in both languages: parameter labels and notes ------------------------------------------

def _schema_fields(schema: dict):
    yield from (("", name, prop) for name, prop in schema.get("properties", {}).items())
    for model, sub in schema.get("$defs", {}).items():
        yield from ((model, name, prop) for name, prop in sub.get("properties", {}).items())


def test_2_6_every_parameter_has_a_label_and_description_in_both_languages():
    """Issue 11 item 4 (evacuation side): every field of the evacuation parameters and of every
    nested parameter model (events, lifts, pre-movement, occupant groups, distributions) carries
    ``x-label`` and ``x-description`` in English and Simplified Chinese."""
    fields = list(_schema_fields(EvacuationParams.model_json_schema()))
    assert len(fields) > 60
    for model, name, prop in fields:
        for key in ("x-label", "x-description"):
            assert set(prop.get(key, {})) == set(LANGUAGES), (model, name, key)
            assert not missing_languages(prop[key]), (model, name, key)


def test_2_6_advise_review_and_from_live_speak_both_languages():
    """Issue 11 item 4 (evacuation side): warnings, findings and live notes are Text in both languages."""
    from models.live import LiveConditions
    warnings = advise(EvacuationParams(alarm_delay_s=5000), 3600.0, None)
    assert warnings and all(not missing_languages(w) for w in warnings)
    found = review([{"occupants": 0.0, "stayed_put": 0.0}])
    assert found and all(not missing_languages(v) for v in found.values())
    cond = LiveConditions(taken_at=datetime(2026, 12, 2, 23, 30), time_of_day_s=23.5 * 3600, weekday=2,
                          supplies_out=("TX-1",))
    _, notes = from_live(EvacuationParams(), cond, OFFICE)
    assert len(notes) == 3  # power equipment out, no fire alarm, the night occupancy profile
    assert notes and all(not missing_languages(n) for n in notes)


def test_distribution_means_in_closed_form_match_scipy():
    """The closed-form means the parameter checks use (no scipy.stats import on a run's path) equal
    the scipy twins' means (reference: scipy.stats, relative tolerance 1e-9); a fixed value is its mean."""
    from models.occupants import Fixed, Gamma, Lognormal, Normal, Uniform, Weibull

    for dist in (Uniform(low=1, high=5), Lognormal(mu=5, sigma=0.7, offset=2), Gamma(shape=2, scale=3, offset=1),
                 Weibull(shape=1.5, scale=4, offset=0.5), Normal(mean=1.2, std=0.3),
                 Normal(mean=1, std=0.5, low=0.5, high=1.4)):
        assert math.isclose(dist.mean, float(dist.scipy().mean()), rel_tol=1e-9), dist
        assert math.isclose(dist.quantile(0.999), float(dist.scipy().ppf(0.999)), rel_tol=1e-9), dist
    assert Fixed(value=3).mean == 3.0
