"""The operations budget (issue 12 item 6) on hand-made record rows: zero-based lines, each a driver
times its rate, that balance to the cent against the records they come from; fees, arrears and
parking income; fixed lines; annualising a short run; the budget KPIs; bad input.

The rows follow the record contract of the operations model (``staff_time``, ``work_orders``); the
budget of a real run's records is checked in tests/test_operations_verification.py.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from models.operations.budget import (BUDGET_KPIS, COST_CATEGORIES, ENERGY_CNY_PER_M2_YEAR, MATERIALS_CNY_PER_M2_YEAR,
                                      PARKING_M2_PER_SPACE, YEAR_S, BudgetParams, budget, car_park_spaces,
                                      charged_area_m2)
from models.operations import OperationsParams
from models.staff import Calendar
from models.units import UNITS
from twin.loader import load_building
from tests.conftest import undocumented_fields
from twin.text import LANGUAGES

NAN = float("nan")
DAY = 86_400.0
CAL = Calendar(date(2027, 1, 4))


def shift(person, group, role, start_s, hours, wage, *, overtime_h=0.0, overtime_cny=0.0, premium_cny=0.0,
          absent=False):
    regular_h = 0.0 if absent else hours
    return {"person": person, "group": group, "role": role, "shift": "D", "start_s": start_s,
            "end_s": start_s + hours * 3600, "working_s": 0.0, "travelling_s": 0.0, "idle_s": 0.0, "break_s": 0.0,
            "overtime_s": overtime_h * 3600, "night_h": 0.0, "rest_day": False, "holiday": False, "absent": absent,
            "wage_cny_per_h": wage, "regular_h": regular_h, "overtime_h": overtime_h,
            "regular_cny": wage * regular_h, "overtime_cny": overtime_cny, "premium_cny": premium_cny}


def order(n, skill, category, completed_s, *, contractor=False, fee=0.0, labour=0.0, parts=0.0, repair_s=1800.0,
          dispatched_s=None):
    return {"order": n, "source": "request", "category": category, "priority": "ordinary", "location": "x",
            "equipment": "", "skill": skill, "reported_s": (dispatched_s or completed_s) - 600,
            "dispatched_s": dispatched_s if dispatched_s is not None else completed_s - 500, "arrived_s": NAN,
            "parts_wait_s": 0.0, "started_s": NAN, "completed_s": completed_s, "travel_s": 0.0, "repair_s": repair_s,
            "assignee": "contractor" if contractor else "tech-1", "contractor": contractor, "callout_fee_cny": fee,
            "contractor_labour_cny": labour, "parts_cost_cny": parts, "overtime_s": 0.0, "sla_min": 120.0,
            "within_sla": NAN, "escalated": False, "preempted": False}


def records():
    """A year of awkward figures: wages with fen, 7.9 h shifts, overtime, premiums, an absent shift,
    contractor call-outs with and without labour, parts, an order never completed, NaNs."""
    staff = []
    for day in range(0, 365, 3):
        staff.append(shift("tech-1", "tech", "technician", day * DAY + 8 * 3600, 7.9, 23.37,
                           overtime_h=0.75 if day % 7 == 0 else 0.0,
                           overtime_cny=0.75 * 23.37 * 1.5 if day % 7 == 0 else 0.0,
                           premium_cny=12.345 if day % 5 == 0 else 0.0))
        staff.append(shift("guard-2", "guards", "guard", day * DAY + 20 * 3600, 12.0, 19.11, premium_cny=7.0 / 3.0,
                           absent=day % 11 == 0))
    orders = []
    for n in range(1, 200):
        t = n * 1.83 * DAY
        if n % 4 == 0:
            orders.append(order(n, "lift", "lifts", t, contractor=True, fee=350.0, labour=n * 1.111, repair_s=2700))
        elif n % 4 == 1:
            orders.append(order(n, "plumbing", "plumbing", t, parts=17.0 / 3.0 + n))
        elif n % 4 == 2:
            orders.append(order(n, "electrical", "electrical", NAN, contractor=True, fee=199.99, dispatched_s=t))
        else:
            orders.append(order(n, "general", "common_areas", t))
    return {"staff_time": staff, "work_orders": orders}


PARAMS = BudgetParams(area_m2=12_345.6, fee_cny_per_m2_month=2.37, collection_rate=0.913,
                      arrears_recovered_share=0.55, arrears_recovery_months=5, parking_spaces=77,
                      parking_fee_cny_per_month=133.33, parking_occupancy=0.81, energy_cny_per_year=123_456.78,
                      materials_cny_per_year=9_876.54,
                      other_lines=[{"name": {"en": "Greening", "zh-CN": "绿化"}, "cny_per_year": 33_333.33}],
                      budget_cny_per_year=1_000_000.0)


def cents(x: float) -> int:
    return round(x * 100)


def test_budget_balances_to_the_cent_on_hand_made_records():
    """issue 12 item 6 and Verification: the sum of the cost lines equals labour hours × wages +
    overtime and premium pay + call-outs × fees + contractor labour + parts, recomputed from the
    records — to the cent (compared in fen, exactly)."""
    recs = records()
    rows, kpis = budget(PARAMS, None, recs, YEAR_S, CAL)
    year = [r for r in rows if r["month"] == 0]
    by = defaultdict(int)
    for r in year:
        by[r["category"]] += cents(r["amount_cny"])
    staff, orders = recs["staff_time"], recs["work_orders"]
    assert by["labour"] == cents(math.fsum(r["regular_h"] * r["wage_cny_per_h"] for r in staff))
    assert by["overtime"] == cents(math.fsum(r["overtime_cny"] for r in staff))
    assert by["premium"] == cents(math.fsum(r["premium_cny"] for r in staff))
    callouts = [o for o in orders if o["contractor"]]
    assert by["contractor"] == cents(math.fsum(o["callout_fee_cny"] for o in callouts)
                                     + math.fsum(o["contractor_labour_cny"] for o in callouts))
    assert by["parts"] == cents(math.fsum(o["parts_cost_cny"] for o in orders))
    fixed = cents(PARAMS.energy_cny_per_year) + cents(PARAMS.materials_cny_per_year) + cents(33_333.33)
    assert by["energy"] + by["materials"] + by["other"] == fixed
    assert cents(kpis["annual_cost_cny"]) == sum(by[c] for c in COST_CATEGORIES)
    assert cents(kpis["labour_cost_cny"]) == by["labour"] + by["overtime"] + by["premium"]
    assert cents(kpis["contractor_cost_cny"]) == by["contractor"]
    assert cents(kpis["parts_cost_cny"]) == by["parts"]
    assert cents(kpis["margin_cny"]) == by["income"] - sum(by[c] for c in COST_CATEGORIES)


def test_months_add_up_to_the_year_and_each_line_is_a_driver_times_a_rate():
    """issue 12 item 6: zero-based lines — for a run of 365 days each line's months add up to its
    year row to the fen; a line with a rate (a wage, a fee, a call-out fee) has amount = quantity × rate
    to within rounding to the fen."""
    rows, _ = budget(PARAMS, None, records(), YEAR_S, CAL)
    year = {r["line"]: r for r in rows if r["month"] == 0}
    months = defaultdict(int)
    for r in rows:
        if r["month"]:
            assert 1 <= r["month"] <= 12
            months[r["line"]] += cents(r["amount_cny"])
    assert set(months) == set(year)
    for line, row in year.items():
        assert months[line] == cents(row["amount_cny"]), line
        assert row["amount_cny"] == pytest.approx(row["quantity"] * row["rate_cny"], abs=0.01 * 13), line
    assert year["labour:tech"]["rate_cny"] == 23.37 and year["labour:tech"]["unit"] == "h"
    assert year["callout:lift"]["rate_cny"] == 350.0 and year["callout:lift"]["quantity"] == 49
    assert year["callout:electrical"]["quantity"] == 50  # dispatched, never completed: still called out
    assert {r["category"] for r in rows} == {"labour", "overtime", "premium", "contractor", "parts", "energy",
                                             "materials", "other", "income"}
    assert all(r["driver"] and r["driver_zh_cn"] for r in rows)


def test_each_record_counts_in_the_month_its_cost_falls_in():
    """issue 12 item 6: a shift counts in the month it starts (one starting 23:00 on 31 March is
    March's), a work order in the month it was completed, or dispatched when it was not."""
    march_31 = CAL.t_of(date(2027, 3, 31), 23.0)
    staff = [shift("t-1", "tech", "technician", march_31, 8.0, 20.0)]
    orders = [order(1, "lift", "lifts", CAL.t_of(date(2027, 5, 1), 0.5), contractor=True, fee=100.0),
              order(2, "lift", "lifts", NAN, contractor=True, fee=100.0, dispatched_s=CAL.t_of(date(2027, 6, 30), 23))]
    rows, _ = budget(PARAMS, None, {"staff_time": staff, "work_orders": orders}, YEAR_S, CAL)
    labour = [r for r in rows if r["line"] == "labour:tech" and r["month"]]
    assert [(r["month"], r["amount_cny"], r["quantity"]) for r in labour] == [(3, 160.0, 8.0)]
    callouts = sorted((r["month"], r["amount_cny"]) for r in rows if r["line"] == "callout:lift" and r["month"])
    assert callouts == [(5, 100.0), (6, 100.0)]


def test_income_fees_arrears_and_parking():
    """issue 12 item 6: fees = rate × area × months × collection rate; an estate already running
    recovers arrears at the steady rate (share recovered × unpaid); a new estate's first year recovers
    less, nothing in its first month; parking = spaces × occupancy × fee × months."""
    p = PARAMS
    rows, kpis = budget(p, None, {}, YEAR_S, CAL)
    year = {r["line"]: r["amount_cny"] for r in rows if r["month"] == 0}
    billed = p.fee_cny_per_m2_month * p.area_m2 * 12
    assert year["fees_collected"] == pytest.approx(billed * p.collection_rate, abs=0.01)
    assert year["arrears_recovered"] == pytest.approx(billed * (1 - p.collection_rate) * p.arrears_recovered_share,
                                                      abs=0.01)
    assert year["parking"] == pytest.approx(77 * 0.81 * 133.33 * 12, abs=0.01)
    assert kpis["annual_income_cny"] == pytest.approx(year["fees_collected"] + year["arrears_recovered"]
                                                      + year["parking"], abs=0.005)
    new = p.model_copy(update={"arrears_before_start": False})
    rows_new, _ = budget(new, None, {}, YEAR_S, CAL)
    first = [r for r in rows_new if r["line"] == "arrears_recovered" and r["month"] == 1]
    jan_recovered = first[0]["amount_cny"]
    # January holds the run's first 28 days (nothing to recover yet) and its last 3 (recovering).
    assert 0 < jan_recovered < 0.2 * billed / 12 * (1 - p.collection_rate) * p.arrears_recovered_share
    new_year = sum(r["amount_cny"] for r in rows_new if r["line"] == "arrears_recovered" and r["month"] == 0)
    assert new_year < year["arrears_recovered"] * (12 - 2.5) / 12


def test_fixed_lines_given_and_estimated_from_the_building():
    """issue 12 item 6: energy, materials and other lines as given per year; without figures, energy
    and materials from the charged area (the tower's 928 apartments, 82,215 m²) and the parking spaces
    from the car-park area at 35 m² each — the line's driver says it is an estimate."""
    tower = load_building("tower")
    area = charged_area_m2(tower)
    assert area == pytest.approx(82_215.0)
    assert car_park_spaces(tower) == int(sum(s.floor_area_m2 for s in tower.spaces if s.kind == "car_park")
                                         // PARKING_M2_PER_SPACE)
    rows, _ = budget(BudgetParams(), tower, {}, YEAR_S, CAL)
    year = {r["line"]: r for r in rows if r["month"] == 0}
    assert year["energy"]["amount_cny"] == pytest.approx(ENERGY_CNY_PER_M2_YEAR * area, abs=0.01)
    assert year["materials"]["amount_cny"] == pytest.approx(MATERIALS_CNY_PER_M2_YEAR * area, abs=0.01)
    assert "estimated" in year["energy"]["driver"] and "估算" in year["energy"]["driver_zh_cn"]
    assert year["parking"]["driver"].startswith(f"parking: {car_park_spaces(tower)} spaces")
    given = {r["line"]: r for r in budget(PARAMS, tower, {}, YEAR_S, CAL)[0] if r["month"] == 0}
    assert given["energy"]["amount_cny"] == 123_456.78
    assert given["other:1"]["driver"].startswith("Greening") and given["other:1"]["amount_cny"] == 33_333.33


def test_a_short_run_is_annualised_and_says_so():
    """issue 12 item 6: a run of 7 days — its month rows are what the week cost, its year rows that
    scaled by 365/7, and each year row's driver says 'annualised from 7 days'."""
    week = 7 * DAY
    recs = {"staff_time": [shift("t-1", "tech", "technician", d * DAY + 8 * 3600, 8.0, 25.0) for d in range(7)],
            "work_orders": []}
    rows, kpis = budget(PARAMS, None, recs, week, CAL)
    labour = {r["month"]: r for r in rows if r["line"] == "labour:tech"}
    assert labour[1]["amount_cny"] == 7 * 8 * 25.0
    assert labour[0]["amount_cny"] == pytest.approx(7 * 8 * 25.0 * 365 / 7, abs=0.01)
    assert "annualised from 7 days" in labour[0]["driver"] and "折算为全年" in labour[0]["driver_zh_cn"]
    assert {r["month"] for r in rows} == {0, 1}
    energy = {r["month"]: r["amount_cny"] for r in rows if r["line"] == "energy"}
    assert energy[0] == pytest.approx(123_456.78, abs=0.01)
    assert kpis["labour_cost_cny"] == pytest.approx(7 * 8 * 25.0 * 365 / 7, abs=0.01)
    fees = {r["month"]: r["amount_cny"] for r in rows if r["line"] == "fees_collected"}
    assert fees[1] == pytest.approx(PARAMS.fee_cny_per_m2_month * PARAMS.area_m2 * 7 / 31 * PARAMS.collection_rate,
                                    abs=0.01)


def test_a_run_from_the_time_of_day_covers_its_own_window():
    """issue 12 items 6 and 9: a run started from the live twin at 12:00 covers [12:00, 12:00 + 365 d):
    the fixed lines and fees are still exactly a year's, and a shift starting on its last morning
    (4 January 2028) counts in January."""
    t0 = 12 * 3600.0
    last_morning = CAL.t_of(date(2028, 1, 4), 6.0)
    assert YEAR_S < last_morning < t0 + YEAR_S
    staff = [shift("t-1", "tech", "technician", last_morning, 4.0, 20.0)]
    rows, _ = budget(PARAMS, None, {"staff_time": staff}, YEAR_S, CAL, start_s=t0)
    year = {r["line"]: r["amount_cny"] for r in rows if r["month"] == 0}
    assert year["energy"] == 123_456.78
    assert year["fees_collected"] == pytest.approx(PARAMS.fee_cny_per_m2_month * PARAMS.area_m2 * 12
                                                   * PARAMS.collection_rate, abs=0.01)
    assert [(r["month"], r["amount_cny"]) for r in rows if r["line"] == "labour:tech"] == [(0, 80.0), (1, 80.0)]


def test_over_budget_kpi():
    """issue 12 item 6: over_budget is 1 when the annual cost exceeds the budget, 0 when not, and no
    value (NaN, left out of the summary) without a budget; its mean over replications is the probability."""
    _, kpis = budget(PARAMS, None, records(), YEAR_S, CAL)
    cost = kpis["annual_cost_cny"]
    for limit, expected in ((cost - 0.01, 1.0), (cost, 0.0), (cost + 1000, 0.0)):
        _, k = budget(PARAMS.model_copy(update={"budget_cny_per_year": limit}), None, records(), YEAR_S, CAL)
        assert k["over_budget"] == expected
    _, k = budget(PARAMS.model_copy(update={"budget_cny_per_year": None}), None, records(), YEAR_S, CAL)
    assert math.isnan(k["over_budget"])


def test_budget_kpis_declared_in_both_languages():
    """issue 12 item 6: the budget KPIs (for the operations spec) carry labels and descriptions in both
    languages, a known unit and a kind (money, or share for the probability of exceeding the budget)."""
    names = [k.name for k in BUDGET_KPIS]
    assert names == ["annual_cost_cny", "annual_income_cny", "margin_cny", "labour_cost_cny", "contractor_cost_cny",
                     "parts_cost_cny", "over_budget"]
    for k in BUDGET_KPIS:
        assert k.unit in UNITS
        assert all(k.label.get(code) and k.description.get(code) for code in LANGUAGES)
        assert k.kind == ("share" if k.name == "over_budget" else "money")
    _, kpis = budget(PARAMS, None, records(), YEAR_S, CAL)
    assert set(kpis) == set(names)


@pytest.mark.parametrize("field, value, words", [
    ("collection_rate", 1.2, "less than or equal to 1"),
    ("fee_cny_per_m2_month", -1.0, "greater than or equal to 0"),
    ("parking_occupancy", 1.5, "less than or equal to 1"),
    ("other_lines", [{"name": "Greening", "cny_per_year": 1.0}], "both languages"),
    ("other_lines", [{"name": {"en": "Greening", "zh-CN": "绿化"}, "cny_per_year": -5}], "greater than or equal"),
])
def test_bad_budget_input_names_field_and_value(field, value, words):
    """issue 12 Bad input: a collection rate above 100 %, a negative rate, a line without both names:
    refused before any run, naming the field and the value."""
    with pytest.raises(ValidationError) as err:
        BudgetParams.model_validate({field: value})
    message = str(err.value)
    assert field in message and words in message
    assert (repr(value) if not isinstance(value, list) else "Greening" if "both" in words else "-5") in message


# --- docs/operations.md: the file format of the operations params -------------------------------

DOCS = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def test_docs_name_every_field_of_the_operations_params():
    """issue 12 (docs/operations.md): every field of the operations params and of every model nested
    in them has a row in the file-format reference — a field added without documenting it fails here."""
    missing = undocumented_fields(DOCS.read_text(encoding="utf-8"), OperationsParams)
    assert not missing, f"not in docs/operations.md: {missing}"


def test_docs_example_is_a_valid_scenario(tmp_path):
    """issue 12 (docs/operations.md): the example scenario in the reference loads and validates."""
    from scenarios.spec import load_scenario

    text = DOCS.read_text(encoding="utf-8")
    example = text.split("## Example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "small-estate-week.yaml"
    path.write_text(example, encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded.params.budget.fee_cny_per_m2_month == 3.5 and len(loaded.params.groups) == 4
