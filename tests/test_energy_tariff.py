"""Tariffs (issue 14 item 3 and the energy balance of "Verification"): time-of-use periods by month and
hour, prices, the bill to the fen (0.01 CNY), demand and capacity charges, water, and bad input
(overlapping or uncovered hours named by month and hour). Figures are computed by hand in each test
from the tariff files (models/energy/tariffs/*.yaml, illustrative prices with the published
structure — sources in the files and docs/energy-files.md). REFERENCES.md "Energy": China
commercial tariffs are time-of-use (peak / flat / valley)."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from models.energy.tariff import (BUILTIN_TARIFFS, PERIOD_LABELS, PERIODS, Tariff, UnknownTariffError, load_tariff,
                                  parse_tariff)
from twin.errors import SpecError
from twin.loader import read_yaml
from twin.text import missing_languages

JAN1 = dt.date(2027, 1, 1)


def cents(x) -> Decimal:
    return Decimal(repr(float(x))).quantize(Decimal("0.01"))


def simple(**over) -> dict:
    """A small two-season tariff as a document (the tests change one thing at a time)."""
    doc = {
        "name": "test", "label": {"en": "Test tariff", "zh-CN": "测试电价"}, "source": "hand-made for tests",
        "year": 2027, "illustrative": True,
        "prices_cny_per_kwh": {"critical": 1.5, "peak": 1.2, "flat": 0.7, "valley": 0.3},
        "seasons": [
            {"name": "summer", "months": [7, 8, 9],
             "hours": {"critical": ["12:00-14:00"], "peak": ["08:00-12:00", "14:00-22:00"],
                       "flat": ["06:00-08:00"], "valley": ["22:00-06:00"]}},
            {"name": "other", "months": [1, 2, 3, 4, 5, 6, 10, 11, 12],
             "hours": {"peak": ["08:00-22:00"], "flat": ["06:00-08:00"], "valley": ["22:00-06:00"]}},
        ],
        "water_cny_per_m3": 5.0,
    }
    doc.update(over)
    return doc


# --- the built-in tariffs ---------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(BUILTIN_TARIFFS))
def test_issue14_item3_builtin_tariffs_cover_every_hour_of_every_month_once(name):
    """Issue 14 item 3: each shipped tariff loads, names its source and year, says whether its prices
    are illustrative, and gives every one of the 12 × 24 month-hours exactly one priced period."""
    t = load_tariff(name)
    assert t.name == name and t.source and t.year >= 2021 and t.illustrative
    assert not missing_languages(t.label)
    price, period = t.price_per_step(JAN1, 8760, 60)
    assert np.all(np.isfinite(price)) and np.all(price > 0)
    assert set(period) == set(t.periods) and set(t.periods) <= set(PERIODS)
    assert all(not missing_languages(PERIOD_LABELS[p]) for p in t.periods)
    assert t.water_cny_per_m3 > 0


def test_issue14_item3_shanghai_periods_by_season_and_hour():
    """Issue 14 item 3: Shanghai — critical peak 12–14 in July–September and 19–21 in January and
    December, peak 08–15 / 18–21, flat 06–08 / 15–18 / 21–22, valley 22–06; summer prices differ."""
    t = load_tariff("shanghai-commercial")
    price, period = t.price_per_step(JAN1, 8760, 60)

    def at(month: int, day: int, hour: int) -> tuple[float, str]:
        k = (dt.date(2027, month, day) - JAN1).days * 24 + hour
        return float(price[k]), str(period[k])

    assert at(7, 15, 12) == (1.375, "critical") and at(7, 15, 13) == (1.375, "critical")
    assert at(7, 15, 14) == (1.100, "peak") and at(7, 15, 15) == (0.688, "flat")
    assert at(1, 10, 19) == (1.313, "critical") and at(12, 31, 20) == (1.313, "critical")
    assert at(3, 3, 19) == (1.050, "peak") and at(3, 3, 12) == (1.050, "peak")
    assert at(3, 3, 21) == (0.656, "flat") and at(3, 3, 22) == (0.295, "valley") and at(3, 3, 5) == (0.295, "valley")
    assert at(3, 3, 6) == (0.656, "flat")


def test_issue14_item3_guangdong_ratios_follow_the_notice():
    """Issue 14 item 3: Guangdong — peak : flat : valley = 1.7 : 1 : 0.38 and critical = 1.25 × peak
    (to the price's written precision); critical only in July–September, 11–12 and 15–17."""
    t = load_tariff("guangdong-commercial")
    p = t.prices_cny_per_kwh
    assert p["peak"] == pytest.approx(1.7 * p["flat"], abs=5e-4)
    assert p["valley"] == pytest.approx(0.38 * p["flat"], abs=5e-4)
    assert p["critical"] == pytest.approx(1.25 * p["peak"], abs=5e-4)
    _, period = t.price_per_step(JAN1, 8760, 60)
    hours = np.flatnonzero(period == "critical") % 24
    days = np.flatnonzero(period == "critical") // 24
    assert set(hours) == {11, 15, 16}
    assert days.min() == (dt.date(2027, 7, 1) - JAN1).days and days.max() == (dt.date(2027, 9, 30) - JAN1).days


def test_issue14_item3_fifteen_minute_steps_take_the_hours_period():
    """Issue 14 item 3: at 15-min steps every quarter of an hour has that hour's price and period;
    a start date other than 1 January starts at its own month."""
    t = load_tariff("shanghai-commercial")
    p60, n60 = t.price_per_step(JAN1, 8760, 60)
    p15, n15 = t.price_per_step(JAN1, 35040, 15)
    np.testing.assert_array_equal(p15, np.repeat(p60, 4))
    np.testing.assert_array_equal(n15, np.repeat(n60, 4))
    p, n = t.price_per_step(dt.date(2027, 7, 1), 24, 60)
    assert n[12] == "critical" and p[12] == 1.375


# --- the bill to the fen ------------------------------------------------------------------------

def test_issue14_verification_bill_by_hand_half_up_to_the_fen():
    """Issue 14 verification: 1 kWh every hour of January on the Guangdong tariff is billed as
    valley 8 h × 31 = 248 kWh × 0.247 = 61.256 → 61.26; peak 7 h × 31 = 217 kWh × 1.105 = 239.785 →
    239.79 (half up, exact in decimal); flat 9 h × 31 = 279 kWh × 0.65 = 181.35; total 482.40."""
    t = load_tariff("guangdong-commercial")
    bill = t.cost(np.ones(31 * 24), JAN1, 60)
    jan = bill["by_month"]["2027-01"]["by_period"]
    assert jan == {"peak": {"kwh": 217.0, "cny": 239.79}, "flat": {"kwh": 279.0, "cny": 181.35},
                   "valley": {"kwh": 248.0, "cny": 61.26}}
    assert bill["energy_cny"] == 482.40 and bill["total"] == 482.40
    assert bill["demand_cny"] == 0 and bill["water_cny"] == 0 and bill["capacity_cny"] == 0


@pytest.mark.parametrize("step_min", [60, 15])
@pytest.mark.parametrize("name", sorted(BUILTIN_TARIFFS))
def test_issue14_verification_cost_is_kwh_times_price_period_by_period(name, step_min):
    """Issue 14 verification (energy balance): for a random year of kWh, every bill line (month ×
    period) is Σ kWh × price to the fen (|difference| ≤ 0.005 CNY), the lines' kWh add up to the
    year's kWh (1e-9 relative), and every total is the exact sum of its lines."""
    t = load_tariff(name)
    n = 8760 * 60 // step_min
    kwh = np.random.default_rng(7).gamma(2.0, 10.0, n)
    price, _ = t.price_per_step(JAN1, n, step_min)
    bill = t.cost(kwh, JAN1, step_min)
    t_month = (np.datetime64("2027-01-01T00:00") + np.arange(n) * np.timedelta64(step_min, "m")).astype("datetime64[M]")
    _, period = t.price_per_step(JAN1, n, step_min)
    energy_total = Decimal(0)
    for key, month in bill["by_month"].items():
        in_month = t_month == np.datetime64(key)
        line_sum = Decimal(0)
        for p, line in month["by_period"].items():
            sel = in_month & (period == p)
            assert line["kwh"] == pytest.approx(kwh[sel].sum(), rel=1e-12)
            assert abs(line["cny"] - float((kwh[sel] * price[sel]).sum())) <= 0.005 + 1e-6, (key, p)
            assert cents(line["cny"]) == Decimal(repr(line["cny"]))  # whole fen
            line_sum += cents(line["cny"])
        assert cents(month["energy_cny"]) == line_sum
        energy_total += line_sum
    assert cents(bill["energy_cny"]) == energy_total
    assert bill["energy_kwh"] == pytest.approx(kwh.sum(), rel=1e-9)
    assert sum(v["kwh"] for v in bill["by_period"].values()) == pytest.approx(kwh.sum(), rel=1e-9)
    assert cents(bill["total"]) == energy_total + cents(bill["demand_cny"]) + cents(bill["capacity_cny"])
    assert abs(bill["energy_cny"] - float(kwh @ price)) <= 0.005 * 12 * len(t.periods)


def test_issue14_item3_demand_charge_on_the_months_highest_15_minute_demand():
    """Issue 14 item 3: Shanghai's demand charge (42 CNY per kW per month, 15-min demand): 10 kW
    all year with one quarter-hour at 50 kW on 3 March → March's maximum demand 50 kW, 2,100.00 CNY;
    other months 10 kW, 420.00 CNY. At hourly steps the same load reads a 20 kW hour (the mean of
    50, 10, 10, 10): the step understates the demand, as the docstring warns."""
    t = load_tariff("shanghai-commercial")
    kwh = np.full(35040, 10 * 0.25)
    spike = ((dt.date(2027, 3, 3) - JAN1).days * 24 + 10) * 4
    kwh[spike] = 50 * 0.25
    bill = t.cost(kwh, JAN1, 15)
    assert bill["max_demand_kw_by_month"]["2027-03"] == pytest.approx(50.0)
    assert bill["demand_cny_by_month"]["2027-03"] == 2100.00
    assert bill["demand_cny_by_month"]["2027-04"] == 420.00
    assert bill["demand_cny"] == 2100.00 + 11 * 420.00
    assert cents(bill["total"]) == cents(bill["energy_cny"]) + cents(bill["demand_cny"])
    hourly = t.cost(kwh.reshape(-1, 4).sum(axis=1), JAN1, 60)
    assert hourly["max_demand_kw_by_month"]["2027-03"] == pytest.approx(20.0)


def test_issue14_item3_demand_over_a_longer_interval_than_the_step():
    """Issue 14 item 3: with a 30-min demand interval and 15-min steps, the demand is the highest mean
    of two consecutive steps: one 50 kW quarter among 10 kW reads 30 kW."""
    doc = simple(demand={"cny_per_kw_month": 40.0, "interval_min": 30})
    t = parse_tariff(doc)
    kwh = np.full(31 * 96, 2.5)
    kwh[500] = 12.5
    bill = t.cost(kwh, JAN1, 15)
    assert bill["max_demand_kw_by_month"]["2027-01"] == pytest.approx(30.0)
    assert bill["demand_cny_by_month"]["2027-01"] == 1200.00


def test_issue14_item3_capacity_charge_by_kva_and_month():
    """Issue 14 item 3: a capacity charge of 28 CNY per kVA per month on 800 kVA is 22,400.00 CNY a
    month, whatever the use; a run of half of January pays half of January's (16/31 days)."""
    t = parse_tariff(simple(capacity={"cny_per_kva_month": 28.0, "kva": 800}))
    year = t.cost(np.zeros(8760), JAN1, 60)
    assert year["capacity_cny"] == 12 * 22400.00 and year["total"] == 12 * 22400.00
    part = t.cost(np.zeros(16 * 24), JAN1, 60)
    assert part["capacity_cny"] == float((Decimal(22400) * Decimal(16) / Decimal(31)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP))
    no_kva = parse_tariff(simple(capacity={"cny_per_kva_month": 28.0}))
    with pytest.raises(ValueError, match="capacity charge: give the transformers' kVA"):
        no_kva.cost(np.zeros(24), JAN1, 60)
    assert no_kva.cost(np.zeros(8760), JAN1, 60, capacity_kva=100)["capacity_cny"] == 12 * 2800.00


def test_issue14_item3_water_is_billed_at_its_price():
    """Issue 14 item 3: 0.1 m³ every hour of the year at Shanghai's 7.80 CNY/m³: 876 m³ → 6,832.80 CNY
    (monthly lines to the fen add up), included in the total; a total volume works too."""
    t = load_tariff("shanghai-commercial")
    bill = t.cost(np.zeros(8760), JAN1, 60, water_m3=np.full(8760, 0.1))
    assert bill["water_m3"] == pytest.approx(876.0)
    assert bill["water_cny"] == pytest.approx(6832.80, abs=0.005 * 12)
    assert cents(bill["total"]) == cents(bill["water_cny"]) + cents(bill["demand_cny"])
    assert t.water_cost_cny(876.0) == 6832.80


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=24 * 70),
       st.dates(dt.date(2026, 1, 1), dt.date(2028, 12, 31)))
def test_issue14_verification_any_load_the_bill_adds_up(values, start):
    """Issue 14 verification (property): for any non-negative load and start date, the period lines
    hold all the kWh and every total is the exact sum of its fen-rounded lines."""
    t = load_tariff("shanghai-commercial")
    kwh = np.array(values)
    bill = t.cost(kwh, start, 60)
    assert sum(m["energy_kwh"] for m in bill["by_month"].values()) == pytest.approx(kwh.sum(), rel=1e-9, abs=1e-9)
    total = sum((cents(m["total"]) for m in bill["by_month"].values()), Decimal(0))
    assert cents(bill["total"]) == total


# --- bad input --------------------------------------------------------------------------------

def test_issue14_bad_input_overlapping_periods_name_the_month_and_hour():
    """Issue 14 bad input: peak 08–15 and flat 14–18 in summer → the error names the file, the
    season's months and hour 14 (14:00–15:00), and both periods."""
    doc = simple()
    doc["seasons"][0]["hours"]["flat"] = ["06:00-08:00", "14:00-18:00"]
    with pytest.raises(SpecError) as err:
        parse_tariff(doc, "my-tariff.yaml")
    message = str(err.value)
    assert message.startswith("my-tariff.yaml: seasons[0]")
    assert "months 7, 8, 9" in message and "hour 14 (14:00–15:00) is in both 'peak' and 'flat'" in message


def test_issue14_bad_input_uncovered_hours_name_the_month_and_hour():
    """Issue 14 bad input: a season whose periods leave 22:00–23:00 uncovered → the error names the
    months and hour 22."""
    doc = simple()
    doc["seasons"][1]["hours"]["valley"] = ["23:00-06:00"]
    with pytest.raises(SpecError, match=r"seasons\[1\].*months 1, 2, 3, 4, 5, 6, 10, 11, 12\): hour 22 "
                                        r"\(22:00–23:00\) is in no period"):
        parse_tariff(doc, "t.yaml")


def test_issue14_bad_input_months_in_two_seasons_or_in_none():
    """Issue 14 bad input: July in both seasons, or May in none → named by month."""
    doc = simple()
    doc["seasons"][1]["months"] = [1, 2, 3, 4, 5, 6, 7, 10, 11, 12]
    with pytest.raises(SpecError, match=r"month 7 \(July\) is in both seasons 'summer' and 'other'"):
        parse_tariff(doc, "t.yaml")
    doc = simple()
    doc["seasons"][1]["months"] = [1, 2, 3, 4, 6, 10, 11, 12]
    with pytest.raises(SpecError, match=r"month 5 \(May\) is in no season"):
        parse_tariff(doc, "t.yaml")


@pytest.mark.parametrize("change, words", [
    (lambda d: d["prices_cny_per_kwh"].pop("critical"), "period 'critical' has no price"),
    (lambda d: d["prices_cny_per_kwh"].update(peak=-0.1), "prices_cny_per_kwh.peak"),
    (lambda d: d["seasons"][0]["hours"].update(critical=["12:30-14:00"]), "periods change on the hour"),
    (lambda d: d["seasons"][0]["hours"].update(critical=["noon"]), "is not an hour range"),
    (lambda d: d["seasons"][0]["hours"].update(critical=["12:00-12:00"]), "is empty"),
    (lambda d: d["seasons"][0].update(months=[7, 7, 8, 9]), "month 7 is listed twice"),
    (lambda d: d.update(label={"en": "only English"}), "label needs both en and zh-CN"),
    (lambda d: d.update(demand={"cny_per_kw_month": 40}, capacity={"cny_per_kva_month": 28, "kva": 500}),
     "either a demand charge or a capacity charge"),
    (lambda d: d.update(water_cny_per_m3=-1), "water_cny_per_m3"),
    (lambda d: d.update(tarif="typo"), "tarif: unknown field"),
])
def test_issue14_bad_input_tariff_fields(change, words):
    """Issue 14 bad input: each malformed field → SpecError naming the file and the field."""
    doc = copy.deepcopy(simple())
    change(doc)
    with pytest.raises(SpecError) as err:
        parse_tariff(doc, "t.yaml")
    assert str(err.value).startswith("t.yaml: ") and words in str(err.value)


def test_issue14_bad_input_tariff_file_and_name(tmp_path):
    """Issue 14 bad input: an unknown name lists the built-ins; a YAML syntax error names file, line
    and column; a file with an overlap names the file."""
    with pytest.raises(UnknownTariffError) as err:
        load_tariff("mars-commercial")
    assert all(name in str(err.value) for name in BUILTIN_TARIFFS)
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: x\nseasons: [\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"broken.yaml: line \d+, column \d+"):
        load_tariff(bad)
    doc = read_yaml(BUILTIN_TARIFFS["guangdong-commercial"])
    doc["seasons"][0]["hours"]["peak"].append("11:00-12:00")
    import yaml
    path = tmp_path / "overlap.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError, match=r"overlap.yaml: seasons\[0\].*hour 11 \(11:00–12:00\) is in both "
                                        r"'critical' and 'peak'"):
        load_tariff(path)


def test_issue14_bad_input_cost_refuses_negative_or_missing_energy():
    """Issue 14 bad input: a negative or NaN kWh and a step that does not divide the hour are refused
    with the offending step named."""
    t = load_tariff("shanghai-commercial")
    with pytest.raises(ValueError, match=r"kwh\[3\] is -1"):
        t.cost(np.array([0, 0, 0, -1.0]), JAN1, 60)
    with pytest.raises(ValueError, match=r"kwh\[1\] is nan"):
        t.cost(np.array([0, np.nan]), JAN1, 60)
    with pytest.raises(ValueError, match="step_min 7"):
        t.price_per_step(JAN1, 10, 7)


def test_issue14_item3_tariff_is_immutable_and_equal_by_content():
    """Issue 14 item 3: a loaded tariff is frozen; loading twice gives equal tariffs (cache aside)."""
    a, b = load_tariff("shanghai-commercial"), load_tariff("shanghai-commercial")
    a.price_per_step(JAN1, 24, 60)
    assert a == b
    with pytest.raises(Exception):
        a.water_cny_per_m3 = 1.0  # type: ignore[misc]
    assert isinstance(a, Tariff)


def _runs(assignment: list[str]) -> dict[str, list[str]]:
    """Hour ranges of each period from a period per hour (runs of equal periods, wrapping at midnight
    is not needed: a run ends at 24:00)."""
    hours: dict[str, list[str]] = {}
    start = 0
    for h in range(1, 25):
        if h == 24 or assignment[h] != assignment[start]:
            hours.setdefault(assignment[start], []).append(f"{start:02d}:00-{h:02d}:00")
            start = h
    return hours


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["peak", "flat", "valley"]), min_size=24, max_size=24),
       st.integers(0, 23))
def test_issue14_bad_input_any_partition_of_the_day_loads_and_any_hole_is_named(assignment, hole):
    """Issue 14 item 3 and bad input (property): any assignment of the 24 hours to periods, written as
    ranges, loads and prices every hour as assigned; the same with one hour's range removed fails
    naming an hour that is now in no period."""
    doc = simple()
    doc["seasons"] = [{"name": "all", "months": list(range(1, 13)), "hours": _runs(assignment)}]
    t = parse_tariff(doc)
    _, period = t.price_per_step(dt.date(2027, 5, 1), 24, 60)
    assert list(period) == assignment
    ranges = doc["seasons"][0]["hours"]
    victim = next(r for p in ranges for r in ranges[p] if int(r[:2]) <= hole < int(r[6:8]))
    for p in ranges:
        ranges[p] = [r for r in ranges[p] if r != victim]
    ranges = {p: r for p, r in ranges.items() if r}
    doc["seasons"][0]["hours"] = ranges
    with pytest.raises(SpecError, match=rf"hour {int(victim[:2])} \({victim[:5]}–.*is in no period"):
        parse_tariff(doc)
