"""Issue 14: the energy model as a whole — energy balance, the bill to the cent, the retrofit table, KPIs and
records, replications, the scenario library and bad input.

References: REFERENCES.md "Energy" (LED ≈ 38 % of a T8 lamp's power, lumen-matched; China commercial tariffs are
time-of-use). Money is compared to the fen (0.01 CNY); energy to 1e-9 relative (floating-point sums).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy_financial as npf
import pytest

from models import get_model
from models.energy.model import Draws, _records, simulate_year
from models.energy.params import END_USES, EnergyParams
from models.harness import ModelContext
from tests.conftest import undocumented_fields
from twin.graph import build_graph
from twin.loader import load_building

FEN = Decimal("0.01")


@pytest.fixture(scope="module")
def tower():
    return load_building("tower")


@pytest.fixture(scope="module")
def podium():
    return load_building("podium")


@pytest.fixture(scope="module")
def year(tower):
    rng = np.random.default_rng(1)
    params = EnergyParams()
    return simulate_year(params, tower, Draws.draw(rng, params))


def _ctx(building, params, seed=1, replication=0):
    import simpy

    return ModelContext(env=simpy.Environment(), rng=np.random.default_rng(seed), building=building,
                        graph=build_graph(building), params=params, horizon_s=365 * 86400.0, replication=replication)


# --- energy balance and money ---------------------------------------------------------------------------------------

def test_end_uses_sum_to_the_total_every_step(year):
    """issue 14 verification "energy balance every hour": at every one of the 8,760 steps the end uses sum to the
    total (1e-9 relative), none is negative, and each month of the records sums to the month's total."""
    total = year.total_kwh
    assert total.shape == (8760,)
    stacked = np.sum([year.end_uses[u] for u in END_USES], axis=0)
    np.testing.assert_allclose(stacked, total, rtol=1e-12, atol=0)
    assert all((year.end_uses[u] >= 0).all() for u in END_USES)
    kpis, records = _records(year, load_building("tower"))
    assert kpis["total_kwh"] == pytest.approx(sum(kpis[f"kwh_{u}"] for u in END_USES), rel=1e-12)
    by_month: dict[int, float] = {}
    for row in records["monthly"]:
        by_month[row["month"]] = by_month.get(row["month"], 0.0) + row["kwh"]
    for row in records["monthly_totals"]:
        assert by_month[row["month"]] == pytest.approx(row["kwh"], rel=1e-9)


def test_energy_balance_at_15_minutes(tower):
    """issue 14 item 1: at 15-minute steps (35,040 of them) the end uses still sum to the total, and the year's
    energy is within 2 % of the hourly run's (the same loads, finer steps)."""
    quarter = simulate_year(EnergyParams(step_min=15, variation={"weather_sd_c": 0, "use_sd": 0}), tower)
    hourly = simulate_year(EnergyParams(step_min=60, variation={"weather_sd_c": 0, "use_sd": 0}), tower)
    assert quarter.total_kwh.shape == (35040,)
    np.testing.assert_allclose(np.sum([quarter.end_uses[u] for u in END_USES], axis=0), quarter.total_kwh, rtol=1e-12)
    assert quarter.total_kwh.sum() == pytest.approx(hourly.total_kwh.sum(), rel=0.02)


def test_cost_is_kwh_times_price_period_by_period_to_the_cent(year):
    """issue 14 verification "cost = kWh × price, period by period, to the cent": recomputed here from the tariff's
    price of every step and its period, month by month, each line rounded once to the fen (half up), the bill's lines,
    its energy charge and the model's energy-charge KPI agree exactly; the annual bill is energy + demand (+ water when
    the estate pays it)."""
    price, period = year.price, year.period
    month = np.array([(year.params.start_date.toordinal() + d) for d in range(365)])
    from datetime import date

    months = np.repeat([date.fromordinal(int(o)).month for o in month], 24)
    total = year.total_kwh
    expected = Decimal(0)
    for m in range(1, 13):
        for p in np.unique(period[months == m]):
            sel = (months == m) & (period == p)
            prices = np.unique(price[sel])
            assert prices.size == 1  # one price per period and month
            kwh = Decimal(repr(float(total[sel].sum())))
            line = (kwh * Decimal(repr(float(prices[0])))).quantize(FEN, rounding=ROUND_HALF_UP)
            month_line = year.bill["by_month"][f"{year.params.start_date.year}-{m:02d}"]["by_period"][str(p)]
            assert Decimal(repr(month_line["cny"])) == line, (m, p)
            expected += line
    assert Decimal(repr(year.bill["energy_cny"])).quantize(FEN) == expected
    kpis, _ = _records(year, load_building("tower"))
    assert Decimal(repr(kpis["energy_charge_cny"])).quantize(FEN) == expected
    assert kpis["annual_cost_cny"] == pytest.approx(kpis["energy_charge_cny"] + kpis["demand_charge_cny"]
                                                     + kpis["water_cost_cny"], abs=0.005)
    # each end use's energy charge is Σ kWh × price over its steps, rounded once; they add up to the bill within
    # the rounding of the bill's 12 × periods lines (half a fen each at most)
    parts = sum(kpis[f"cost_{u}_cny"] for u in END_USES)
    assert abs(parts - kpis["energy_charge_cny"]) <= 0.005 * (12 * 5 + len(END_USES))


def test_water_on_the_bill_only_when_the_estate_pays_it(tower):
    """issue 14 item 3: the water the boosters deliver is billed at the tariff's water price when include_water is
    set (the estate pays it), else the residents pay theirs and the bill has no water line."""
    base = EnergyParams(variation={"weather_sd_c": 0, "use_sd": 0})
    without = simulate_year(base, tower)
    with_water = simulate_year(base.model_copy(update={"include_water": True}), tower)
    assert without.water_cny == 0.0
    from models.energy.model import year_tariff

    price = year_tariff(base).water_cny_per_m3
    assert with_water.water_cny == pytest.approx(with_water.water_m3.sum() * price, abs=0.01 * 12)
    assert with_water.annual_cost_cny == pytest.approx(without.annual_cost_cny + with_water.water_cny, abs=0.01)


# --- KPIs and records through the registered model ------------------------------------------------------------------

def test_registered_model_kpis_and_records(tower):
    """issue 14 item 7: the registered model reports kWh and cost per end use, peak demand, kWh/m²·a, the monthly
    breakdown (12 × 6 rows), the load-duration curve (descending), a typical and a peak day (24 h × 6 end uses; the
    peak day holds the year's peak) — and every KPI it reports is declared in its spec."""
    spec = get_model("energy")
    result = spec.run(_ctx(tower, EnergyParams()))
    declared = {k.name for k in spec.kpis}
    assert set(result.kpis) <= declared
    for u in END_USES:
        assert result.kpis[f"kwh_{u}"] > 0 and result.kpis[f"cost_{u}_cny"] > 0
    assert len(result.records["monthly"]) == 72
    ld = [r["kw"] for r in result.records["load_duration"]]
    assert ld == sorted(ld, reverse=True) and ld[0] == pytest.approx(result.kpis["peak_kw"])
    assert len(result.records["typical_day"]) == len(result.records["peak_day"]) == 24 * 6
    peak_day_kw = {}
    for r in result.records["peak_day"]:
        peak_day_kw[r["hour"]] = peak_day_kw.get(r["hour"], 0.0) + r["kw"]
    assert max(peak_day_kw.values()) == pytest.approx(result.kpis["peak_kw"], rel=1e-9)
    area = sum(s.floor_area_m2 for s in tower.spaces if not s.void)
    assert result.kpis["kwh_per_m2_year"] == pytest.approx(result.kpis["total_kwh"] / area)
    assert "peak_kw" in result.where


def test_benchmark_for_an_office_building_in_its_zone(podium):
    """issue 14 item 7: the podium (mixed use) in Guangzhou (hot summer / warm winter) is compared with GB/T
    51161-2016's constraint value for B-class commercial offices in that zone (100 kWh/m²·a), the source named in
    the record and in the review's note."""
    spec = get_model("energy")
    result = spec.run(_ctx(podium, EnergyParams(climate="guangzhou", tariff="guangdong-commercial")))
    bench = result.records["benchmark"][0]
    assert bench["constraint_kwh_per_m2_year"] == 100 and "GB/T 51161-2016" in bench["source"]
    assert result.kpis["benchmark_ratio"] == pytest.approx(result.kpis["kwh_per_m2_year"] / 100)
    notes = spec.review([result])
    assert "GB/T 51161-2016" in notes["benchmark"]["en"] and "民用建筑能耗标准" in notes["benchmark"]["zh-CN"]


def test_replications_vary_only_as_drawn(tower):
    """issue 14 (honest intervals): the same seed gives the same year; another seed another weather and use (the
    total differs); with variation off every replication is the same year — and the lighting, which neither the
    weather anomaly nor the use factor touches, is the same in all."""
    spec = get_model("energy")
    a = spec.run(_ctx(tower, EnergyParams(), seed=1))
    b = spec.run(_ctx(tower, EnergyParams(), seed=1))
    c = spec.run(_ctx(tower, EnergyParams(), seed=2))
    assert a.kpis == b.kpis
    assert a.kpis["total_kwh"] != c.kpis["total_kwh"]
    assert a.kpis["kwh_lighting"] == c.kpis["kwh_lighting"]
    still = EnergyParams(variation={"weather_sd_c": 0, "use_sd": 0})
    assert spec.run(_ctx(tower, still, seed=1)).kpis == spec.run(_ctx(tower, still, seed=2)).kpis


# --- retrofits ------------------------------------------------------------------------------------------------------

def test_retrofit_table(tower):
    """issue 14 item 4: one scenario with a retrofits list gives the table — the baseline, each measure alone and all
    together; saved = baseline − measure (kWh and CNY), simple payback = capital / CNY saved a year, NPV = −capital +
    Σ savings/(1+r)^t (numpy-financial, checked by hand to 0.01 CNY), IRR makes that NPV zero; LED saves ≤ 38 % of the
    lighting (REFERENCES: ≈ 38 % of a T8 lamp's power, lumen-matched; emergency lights are not changed)."""
    params = EnergyParams.model_validate({
        "variation": {"weather_sd_c": 0, "use_sd": 0}, "discount_rate": 0.06,
        "retrofits": [{"id": "led", "kind": "led", "capital_cny": 204000, "life_years": 15,
                       "maintenance_saved_cny_per_year": 10000},
                      {"id": "vfd", "kind": "vfd_pumps", "capital_cny": 60000, "life_years": 12}]})
    result = get_model("energy").run(_ctx(tower, params))
    rows = {r["measure"]: r for r in result.records["retrofits"]}
    assert list(rows) == ["baseline", "led", "vfd", "all"]
    base = rows["baseline"]
    assert base["kwh"] == pytest.approx(result.kpis["total_kwh"])
    assert base["cost_cny"] == pytest.approx(result.kpis["annual_cost_cny"])
    for ident in ("led", "vfd", "all"):
        r = rows[ident]
        assert r["saved_kwh"] == pytest.approx(base["kwh"] - r["kwh"])
        assert r["saved_cny"] == pytest.approx(base["cost_cny"] - r["cost_cny"], abs=0.005)
        assert r["saved_kwh"] > 0
    led = rows["led"]
    lighting_base = result.kpis["kwh_lighting"]
    assert 0.25 * lighting_base < led["saved_kwh"] <= 0.38 * lighting_base + 1e-6
    yearly = led["saved_cny"] + 10000
    assert led["payback_years"] == pytest.approx(204000 / yearly)
    npv = -204000 + sum(yearly / 1.06 ** t for t in range(1, 16))
    assert led["npv_cny"] == pytest.approx(npv, abs=0.01)
    assert npf.npv(led["irr"], [-204000] + [yearly] * 15) == pytest.approx(0, abs=0.01)
    assert rows["all"]["capital_cny"] == 264000
    assert result.kpis["retrofit_saved_kwh"] == pytest.approx(rows["all"]["saved_kwh"])
    # measures interact: together they save no more than the sum of each alone
    assert rows["all"]["saved_kwh"] <= led["saved_kwh"] + rows["vfd"]["saved_kwh"] + 1e-6


def test_retrofit_economics_edge_cases():
    """issue 14 item 4: a measure that saves nothing never pays back (payback ∞, IRR NaN, NPV = −capital); a free
    measure pays back at once."""
    from models.energy.retrofits import economics

    e = economics(1000, 0.0, 0.0, life_years=10, discount_rate=0.05)
    assert math.isinf(e.payback_years) and math.isnan(e.irr) and e.npv_cny == pytest.approx(-1000)
    assert economics(0, 10.0, 5.0, life_years=5, discount_rate=0.05).payback_years == 0.0


# --- bad input ------------------------------------------------------------------------------------------------------

def _scenario(tmp_path, params_yaml: str, building: str = "tower"):
    from scenarios.spec import load_scenario

    path = tmp_path / "energy-bad.yaml"
    path.write_text(f"name: energy-bad\nmodel: energy\nbuilding: {building}\nseed: 1\nreplications: 1\n"
                    f"horizon_s: 31536000\nparams:\n{params_yaml}")
    return load_scenario(path)


@pytest.mark.parametrize("params_yaml, where, words", [
    ("  climate: atlantis\n", "params.climate", "unknown climate 'atlantis'"),
    ("  tariff: nowhere-tariff\n", "params.tariff", "not found"),
    ("  epw: missing.epw\n", "params.epw", "not found"),
    ("  epw: ../etc/passwd\n", "params.epw", "without '..'"),
    ("  step_min: 30\n", "params.step_min", ""),
    ("  pumps: {pump_efficiency: 1.2}\n", "params.pumps.pump_efficiency", ""),
    ("  lifts: {drive_efficiency: -0.1}\n", "params.lifts.drive_efficiency", ""),
    ("  retrofits: [{id: x, kind: setpoint, capital_cny: 1, changes: {hvac.no_such_field: 3}}]\n",
     "params.retrofits", "no parameter"),
    ("  retrofits: [{id: all, kind: led, capital_cny: 1}]\n", "params", "reserved"),
    ("  calibration: {source: csv, parameters: [{path: hvac.cooling_setpoint_c, lower: 22, upper: 29}]}\n",
     "params.calibration", "needs file"),
    ("  calibration: {source: csv, file: x.csv, parameters: [{path: hvac.cooling_setpoint_c, lower: 29, upper: 22}]}\n",
     "params.calibration.parameters", "below the upper bound"),
    ("  calibration: {source: live, parameters: [{path: lighting.lamp, lower: 0, upper: 1}]}\n",
     "params.calibration.parameters", "not a number"),
    ("  calibration: {source: live, meters: {NO-SUCH-METER: [lifts]}, parameters: [{path: lifts.standby_kw_per_car, "
     "lower: 0.1, upper: 1}]}\n", "params.calibration.meters", "no meter"),
])
def test_bad_input_is_refused_naming_file_field_and_value(tmp_path, params_yaml, where, words):
    """issue 14 bad input: an unknown climate or tariff, a file outside the data directory or missing, a step other
    than 60/15, efficiencies > 1 or negative, a retrofit changing a field that does not exist or taking a reserved id,
    a calibration without its file, with inverted bounds, of a non-number or of a meter the building lacks: a SpecError
    naming the scenario file and the field path."""
    from twin.errors import SpecError

    with pytest.raises(SpecError) as info:
        _scenario(tmp_path, params_yaml)
    msg = str(info.value)
    assert "energy-bad.yaml" in msg and where in msg and words in msg, msg


# --- the scenario library -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["energy-tower-shanghai", "energy-tower-led-sensors", "energy-tower-vfd-pumps",
                                  "energy-tower-summer-setpoint", "energy-podium-guangzhou"])
def test_library_scenarios_run(name):
    """issue 14 item 8: each energy scenario of the library loads and runs (one replication here), its KPIs carry
    labels in both languages, and a scenario with retrofits gives the table with every measure and the package."""
    from scenarios.runner import run_scenario
    from scenarios.spec import load_scenario

    loaded = load_scenario(name, overrides=["replications=1"])
    result = run_scenario(loaded)
    kpis = result.summary["kpis"]
    assert kpis["total_kwh"]["mean"] > 0
    assert kpis["total_kwh"]["label"]["zh-CN"]
    retrofits = loaded.points[0].params.retrofits
    if retrofits:
        measures = list(result.records["retrofits"]["measure"])
        assert measures[0] == "baseline" and [r.id for r in retrofits] == measures[1:1 + len(retrofits)]
        assert kpis["retrofit_saved_kwh"]["mean"] > 0


# --- the operations budget's energy line ------------------------------------------------------------------------

def test_operations_budget_takes_the_energy_models_bill(tower, tmp_path, monkeypatch):
    """issue 14 item 6: the operations budget's energy line is the energy model's annual bill when both run in one
    scenario (budget.energy_model: the energy parameters; design year, no variation) — to the cent — and the mean
    annual bill of a finished energy run when named by its results folder (budget.energy_results); the line's driver
    says where the figure comes from, in both languages; two sources at once are refused."""
    from models.operations.budget import YEAR_S, BudgetParams, budget
    from models.staff import Calendar
    from scenarios.runner import run_scenario
    from scenarios.spec import load_scenario

    energy = {"climate": "shanghai", "tariff": "shanghai-commercial"}
    expected = simulate_year(EnergyParams.model_validate({**energy, "variation": {"weather_sd_c": 0, "use_sd": 0}}),
                             tower).annual_cost_cny
    rows, _ = budget(BudgetParams(energy_model=energy), tower, {}, YEAR_S, Calendar())
    line = next(r for r in rows if r["month"] == 0 and r["line"] == "energy")
    assert line["amount_cny"] == pytest.approx(expected, abs=0.005)
    assert "energy model" in line["driver"] and "能耗模型" in line["driver_zh_cn"]

    monkeypatch.setenv("TWIN_DATA_DIR", str(tmp_path))
    run = run_scenario(load_scenario("energy-tower-shanghai", overrides=["replications=2"]),
                       out=tmp_path / "runs" / "tower-energy")
    mean = run.summary["kpis"]["annual_cost_cny"]["mean"]
    rows, _ = budget(BudgetParams(energy_results="runs/tower-energy"), tower, {}, YEAR_S, Calendar())
    line = next(r for r in rows if r["month"] == 0 and r["line"] == "energy")
    assert line["amount_cny"] == pytest.approx(round(mean, 2), abs=0.005)
    assert "runs/tower-energy" in line["driver"]
    with pytest.raises(ValueError, match="one source of the energy line"):
        BudgetParams(energy_model=energy, energy_cny_per_year=1.0)


def test_docs_name_every_field_of_the_energy_params():
    """issue 14 (docs/energy.md): every field of the energy parameters and of each section has its row, with an
    example, under its class's heading."""
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "energy.md").read_text(encoding="utf-8")
    missing = undocumented_fields(doc, EnergyParams, example=True)
    assert not missing, f"not in docs/energy.md (with an example): {missing}"


def test_lift_energy_from_the_elevator_models_traffic(tower):
    """issue 14 item 1 (lifts): with lift_traffic the lifts' starts and distance come from one simulated working day
    of the elevator model's traffic (models.elevators.traffic) — every car of the tower with its own starts and km —
    and the lifts' energy is the loads' figure for exactly that activity."""
    from models.energy import loads
    from models.energy.model import lift_activity_from_traffic, year_weather

    params = EnergyParams(lift_traffic={}, variation={"weather_sd_c": 0, "use_sd": 0})
    activity = lift_activity_from_traffic(params, tower)
    cars = {c.id for g in tower.elevators for c in g.cars}
    assert set(activity) == cars and all(s > 0 and km > 0 for s, km in activity.values())
    year = simulate_year(params, tower)
    from models.staff import Calendar

    direct = loads.end_uses(tower, year_weather(params), lifts=params.lifts, calendar=Calendar(params.start_date),
                            lift_activity=activity)["lifts"]
    np.testing.assert_allclose(year.end_uses["lifts"], direct, rtol=1e-12)
    default = simulate_year(params.model_copy(update={"lift_traffic": None}), tower)
    assert year.end_uses["lifts"].sum() != pytest.approx(default.end_uses["lifts"].sum(), rel=1e-3)


def test_epw_weather_from_the_data_directory(tower, tmp_path, monkeypatch):
    """issue 14 item 2: a scenario's EPW file is read from the data directory (TWIN_DATA_DIR) — the year runs on it,
    its energy balance holds — and the same name outside the data directory is not found (nothing outside is read)."""
    import shutil
    from pathlib import Path

    from models.energy.model import check

    epw = Path(__file__).parent / "data" / "shanghai-design-year.epw"
    (tmp_path / "weather").mkdir()
    shutil.copy(epw, tmp_path / "weather" / "shanghai.epw")
    monkeypatch.setenv("TWIN_DATA_DIR", str(tmp_path))
    params = EnergyParams(epw="weather/shanghai.epw", variation={"weather_sd_c": 0, "use_sd": 0})
    assert check(params, tower, None) == []
    year = simulate_year(params, tower)
    assert year.weather.name == "shanghai"
    np.testing.assert_allclose(np.sum([year.end_uses[u] for u in END_USES], axis=0), year.total_kwh, rtol=1e-12)
    monkeypatch.setenv("TWIN_DATA_DIR", str(tmp_path / "elsewhere"))
    problems = check(params, tower, None)
    assert problems and problems[0][0] == ("epw",) and "not found" in problems[0][1]
