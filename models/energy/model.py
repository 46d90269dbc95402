"""The energy model's replication: weather → loads → tariff → the year's bill, its KPIs and tables.

One replication (:func:`run`) builds the year on the time axis (365 days from ``start_date`` at 60
or 15 minutes a step): the climate's design year (:mod:`models.energy.weather`), the common-area
loads by end use computed from it and the building's equipment (:mod:`models.energy.loads`,
:mod:`models.energy.hvac`, vectorised with numpy: no event of another model drives them, so
SimPy's clock would add nothing), the tariff's price of every step and the cost by period
(:mod:`models.energy.tariff`). The model is deterministic given its inputs; what varies between
replications is drawn from the replication's generator (``variation``):

* the **weather of an actual year** against the design year: a daily anomaly of the dry-bulb
  temperature, a first-order autoregressive series (3-day memory) of standard deviation
  ``weather_sd_c``, added to every step of the day;
* the **day-to-day use**: each day's lift trips and water use (hence the pumps and the water bill)
  scaled by 1 + ``use_sd`` · N(0, 1) (at least 0).

Both at 0, every replication is the same year and the intervals have zero width (the summary's
intervals then say exactly that). The draws come first, in that order, and are shared by the
baseline and every retrofit of the replication (common random numbers: a measure's saving is the
measure's doing, not the weather's).

With ``retrofits`` the year is run again for each measure alone and for all of them together
(:mod:`models.energy.retrofits`); with ``calibration`` the chosen parameters are first fitted to the
meter data (:mod:`models.energy.calibration`, without variation: the same fit in every replication,
cached per process) and the year runs with the fitted values.

The energy balance holds at every step: the total is the sum of the end uses. Money is kept to the
fen: each end use's energy charge is Σ kWh × price over its steps, rounded once; the bill's energy
charge is the tariff's (:meth:`Tariff.cost`), the demand charge by month, and water at its price.

Record tables (one set per replication):

* ``monthly`` — month, end use (labels in both languages), kWh, energy charge (CNY);
* ``monthly_totals`` — month, kWh, energy, demand and water charges, total, peak kW;
* ``end_uses`` — the year by end use: kWh, share, energy charge, peak kW;
* ``load_duration`` — the load-duration curve: hours a year the total load is at least ``kw``;
* ``typical_day`` and ``peak_day`` — kW by hour and end use on the day of median consumption and on
  the day of the year's peak;
* ``retrofits`` — the retrofit table (:func:`models.energy.retrofits.retrofit_rows`);
* ``calibration_monthly``, ``calibration_fit``, ``calibration_params`` — metered against modelled by
  month (the calibration plot), Guideline 14's figures and the fitted parameters.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.energy import loads as _loads
from models.energy import tariff as _tariff
from models.energy import weather as _weather
from models.energy.calibration import CalibrationResult, MeterData, calibrate, hourly_sums, meter_history, \
    read_meter_csv
from models.energy.params import END_USE_WORDS, END_USES, EnergyParams, benchmark_for, data_file
from models.energy.retrofits import RETROFIT_KINDS, apply_changes, economics, retrofit_rows
from models.harness import ModelContext, ReplicationCost, ReplicationResult
from models.staff import Calendar
from twin.text import Text, text

__all__ = ["run", "check", "cost", "advise", "review", "Year", "simulate_year", "year_weather", "year_tariff",
           "default_meters", "meter_series", "calibration_for", "gross_floor_area_m2", "MAX_HORIZON_S",
           "YEAR_S", "annual_cost_cny", "budget_energy", "lift_activity_from_traffic"]

YEAR_S = 365 * 86_400.0
MAX_HORIZON_S = YEAR_S
LOAD_DURATION_POINTS = 200


# --- inputs: weather and tariff, cached per process ------------------------------------------------

@functools.lru_cache(maxsize=16)
def _weather_cached(climate: str, epw: str | None, step_min: int, year: int):
    if epw:
        return _weather.read_epw(epw, step_min=step_min)
    return _weather.climate(climate, step_min=step_min, year=year)


@functools.lru_cache(maxsize=16)
def _weather_from(climate: str, epw: str | None, step_min: int, start_date):
    return _weather_cached(climate, epw, step_min, start_date.year).starting(start_date)


def year_weather(params: EnergyParams):
    """The design year of the parameters' climate (or EPW file) at their step, rolled to start on
    ``start_date``."""
    epw = str(data_file(params.epw, "weather file")) if params.epw else None  # the file found, not its name: the key
    return _weather_from(params.climate, epw, params.step_min, params.start_date)


@functools.lru_cache(maxsize=16)
def _tariff_cached(name: str):
    if name in _tariff.BUILTIN_TARIFFS:
        return _tariff.load_tariff(name)
    return _tariff.load_tariff(data_file(name, "tariff file"))


def year_tariff(params: EnergyParams):
    return _tariff_cached(params.tariff)


@functools.lru_cache(maxsize=8)
def _prices(tariff_name: str, start_date, n: int, step_min: int) -> tuple[np.ndarray, np.ndarray]:
    return _tariff_cached(tariff_name).price_per_step(start_date, n, step_min)


def gross_floor_area_m2(building) -> float:
    """The building's floor area: every space that is not a void (the intensity's denominator)."""
    return float(sum(s.floor_area_m2 for s in building.spaces if not s.void))


# --- one year -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Draws:
    """What a replication draws (see the module's text): a dry-bulb anomaly per day (K) and a use
    factor per day."""

    anomaly_c: np.ndarray
    use: np.ndarray

    @classmethod
    def none(cls, days: int = 365) -> "Draws":
        return cls(np.zeros(days), np.ones(days))

    @classmethod
    def draw(cls, rng: np.random.Generator, params: EnergyParams, days: int = 365) -> "Draws":
        v = params.variation
        z = rng.standard_normal(days)
        phi = math.exp(-1.0 / 3.0)
        a = np.empty(days)
        a[0] = z[0]
        for d in range(1, days):
            a[d] = phi * a[d - 1] + math.sqrt(1 - phi * phi) * z[d]
        use = np.maximum(0.0, 1.0 + v.use_sd * rng.standard_normal(days))
        return cls(v.weather_sd_c * a, use)


@dataclass(frozen=True)
class Year:
    """A simulated year: kWh per step of each end use, water m³ per step, prices and periods."""

    params: EnergyParams
    step_min: int
    end_uses: Mapping[str, np.ndarray]
    water_m3: np.ndarray
    price: np.ndarray
    period: np.ndarray
    bill: Mapping[str, Any]
    water_cny: float
    weather: Any

    @property
    def total_kwh(self) -> np.ndarray:
        return functools.reduce(np.add, (self.end_uses[u] for u in END_USES))

    @property
    def kw(self) -> np.ndarray:
        return self.total_kwh * (60.0 / self.step_min)

    def energy_charge_cny(self, use: str) -> float:
        """Σ kWh × price of one end use over the year, rounded once to the fen."""
        return round(float(self.end_uses[use] @ self.price), 2)

    @property
    def annual_cost_cny(self) -> float:
        """The tariff's bill: energy, demand or capacity charges and water, to the fen."""
        return round(float(self.bill["total"]), 2)


def _calendar(params: EnergyParams) -> Calendar:
    return Calendar(params.start_date)


def _perturbed_weather(weather, draws: Draws, step_min: int):
    if not np.any(draws.anomaly_c):
        return weather
    per_day = 24 * 60 // step_min
    return dataclasses.replace(weather, dry_bulb_c=weather.dry_bulb_c + np.repeat(draws.anomaly_c, per_day))


@functools.lru_cache(maxsize=4)
def _traffic_day(building_json: str, traffic_json: str, start_date) -> tuple[tuple[str, float, float], ...]:
    import simpy

    from models.elevators.traffic import Traffic, TrafficParams
    from twin.spec import Building

    building = Building.model_validate_json(building_json)
    params = TrafficParams.model_validate_json(traffic_json).model_copy(
        update={"start_h": 0.0, "end_h": 24.0, "up_peak_test": False})
    calendar = Calendar(start_date)
    day = next(d for d in range(15) if not calendar.is_rest_day(d * 86_400.0))
    env = simpy.Environment()
    traffic = Traffic(env, building, list(building.elevators), params, np.random.default_rng(20_270_101), calendar,
                      start_s=day * 86_400.0)
    traffic.start()
    env.run(until=(day + 1) * 86_400.0 + 3_600.0)
    return tuple((c["car"], float(c["starts"]), float(c["distance_m"]) / 1000.0) for c in traffic.records["cars"])


def lift_activity_from_traffic(params: EnergyParams, building) -> dict[str, tuple[float, float]] | None:
    """Each car's (starts, km) a day from one simulated working day of the elevator model's traffic
    (:class:`models.elevators.traffic.Traffic`, fixed seed, cached per process), when ``lift_traffic`` is
    given; else None (the loads use the trips per person a day)."""
    if params.lift_traffic is None or not building.elevators:
        return None
    from models.elevators.traffic import TrafficParams

    traffic = TrafficParams.model_validate(params.lift_traffic).model_dump_json()
    return {car: (starts, km) for car, starts, km in _traffic_day(building.model_dump_json(), traffic,
                                                                   params.start_date)}


def simulate_year(params: EnergyParams, building, draws: Draws | None = None, lift_activity=None) -> Year:
    """The year of ``params`` for ``building``: loads by end use, prices, the tariff's bill and water.
    ``lift_activity`` ({car: (starts, km) a day}) defaults to the elevator model's traffic when
    ``params.lift_traffic`` is given."""
    n = params.steps
    if lift_activity is None:
        lift_activity = lift_activity_from_traffic(params, building)
    draws = draws or Draws.none()
    weather = _perturbed_weather(year_weather(params), draws, params.step_min)
    calendar = _calendar(params)
    out = _loads.end_uses(building, weather, lighting=params.lighting, pumps=params.pumps, lifts=params.lifts,
                          hvac=params.hvac, ventilation=params.ventilation, other=params.other, calendar=calendar,
                          step_min=params.step_min, lift_activity=lift_activity)
    per_day = 24 * 60 // params.step_min
    use = np.repeat(draws.use, per_day)
    uses = {u: np.asarray(out[u], dtype=float) for u in END_USES}
    water = np.asarray(out.get("water_m3", np.zeros(n)), dtype=float)
    if np.any(draws.use != 1.0):
        uses["lifts"] = uses["lifts"] * use
        uses["pumps"] = uses["pumps"] * use
        water = water * use
    for u, v in uses.items():
        if v.shape != (n,):
            raise ValueError(f"end use {u}: {v.shape} steps, expected ({n},)")
    price, period = _prices(params.tariff, params.start_date, n, params.step_min)
    tariff = year_tariff(params)
    total = functools.reduce(np.add, (uses[u] for u in END_USES))
    bill = tariff.cost(total, params.start_date, params.step_min, water_m3=water if params.include_water else None)
    water_cny = float(bill["water_cny"])
    return Year(params, params.step_min, uses, water, np.asarray(price, dtype=float), np.asarray(period), bill,
                water_cny, weather)


def annual_cost_cny(params: EnergyParams, building) -> float:
    """The year's bill (electricity with demand charges, and water) without variation: the figure the
    operations budget takes (:mod:`models.operations.budget`)."""
    return simulate_year(params, building).annual_cost_cny


@functools.lru_cache(maxsize=16)
def _budget_energy_cached(model_json: str | None, results: str | None,
                          building_json: str) -> tuple[float, tuple[str, str]]:
    from twin.spec import Building

    building = Building.model_validate_json(building_json)
    if model_json is not None:
        data = json.loads(model_json)
        data.update(variation={"weather_sd_c": 0.0, "use_sd": 0.0}, retrofits=[], calibration=None)
        params = EnergyParams.model_validate(data)
        year = simulate_year(params, building)
        cny = year.annual_cost_cny
        where = params.epw or params.climate
        return cny, (f"common-area energy from the energy model: {year.total_kwh.sum():,.0f} kWh a year ({where}, "
                     f"tariff {params.tariff}) = {cny:,.2f} CNY",
                     f"公共区域能耗取自能耗模型：年用电 {year.total_kwh.sum():,.0f} 千瓦时（{where}，电价 {params.tariff}）"
                     f"= {cny:,.2f} 元")
    path = data_file(f"{results}/summary.json", "energy results folder")
    summary = json.loads(path.read_text(encoding="utf-8"))
    if summary.get("model") != "energy":
        raise ValueError(f"energy results folder {results!r} holds a run of model {summary.get('model')!r}, not energy")
    ran_on = summary.get("building")
    ran_on = ran_on.get("id") if isinstance(ran_on, Mapping) else ran_on
    if ran_on not in (None, building.id):
        raise ValueError(f"energy results folder {results!r} is a run on building {ran_on!r}, not {building.id!r}")
    try:
        cny = float(summary["kpis"]["annual_cost_cny"]["mean"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"energy results folder {results!r}: its summary has no annual_cost_cny") from None
    return round(cny, 2), (f"common-area energy from the energy run {results} (mean annual bill) = {cny:,.2f} CNY",
                           f"公共区域能耗取自能耗运行结果 {results}（年度费用均值）= {cny:,.2f} 元")


def budget_energy(model: Mapping[str, Any] | None, results: str | None, building) -> tuple[float, tuple[str, str]]:
    """The operations budget's energy line (:mod:`models.operations.budget`): the energy model's annual bill for
    ``building`` with ``model`` parameters (no variation: the design year), or the mean annual bill of a finished
    energy run's results folder (``results``, relative to the data directory). Returns (CNY, (driver en, zh)).
    Cached per process: every replication of the operations model takes the same figure."""
    if building is None:
        raise ValueError("the energy line from the energy model needs the building")
    model_json = EnergyParams.model_validate(dict(model)).model_dump_json() if model is not None else None
    return _budget_energy_cached(model_json, results, building.model_dump_json())


# --- meters and calibration -----------------------------------------------------------------------

_KIND_END_USES = (("chilled_water", ("hvac",)), ("condenser_water", ("hvac",)), ("cooling_tower", ("hvac",)),
                  ("lighting", ("lighting",)), ("pump", ("pumps",)), ("air_handling", ("hvac",)),
                  ("ahu", ("hvac",)), ("chiller", ("hvac",)), ("fan", ("ventilation",)),
                  ("cctv", ("other",)), ("access", ("other",)))


def default_meters(building) -> dict[str, list[str]]:
    """The building's electricity sub-meters and the end uses each measures, from what it feeds:
    lift cars → lifts, pumps → pumps, lighting circuits → lighting, air-handling units, chillers, their
    chilled- and condenser-water pumps and cooling towers → hvac (the plant's EER covers them), fans →
    ventilation. A meter feeding anything else (a residential rising main, the
    whole intake) is left out: its reading holds loads the model does not have. A water meter filling
    the domestic break tank measures the water the booster pumps deliver (``water``, m³)."""
    cars = set(building.car_by_id) if hasattr(building, "car_by_id") else set()
    equipment = building.equipment_by_id
    meters: dict[str, list[str]] = {}
    for e in building.equipment:
        if e.system != "meter" or not e.feeds:
            continue
        if "water" in e.kind:
            if all("break_tank" in (equipment[f].kind if f in equipment else "") for f in e.feeds):
                meters[e.id] = ["water"]  # the domestic break tank's fill: the water the boosters deliver
            continue
        uses: list[str] = []
        ok = True
        for fed in e.feeds:
            if fed in cars:
                found: tuple[str, ...] = ("lifts",)
            else:
                kind = equipment[fed].kind if fed in equipment else ""
                found = next((u for key, u in _KIND_END_USES if key in kind), ())
            if not found:
                ok = False
                break
            uses += [u for u in found if u not in uses]
        if ok and uses:
            meters[e.id] = uses
    return meters


def meter_series(year: Year, meters: Mapping[str, Sequence[str]]) -> dict[str, np.ndarray]:
    """Each meter's modelled hourly consumption (kWh, or m³ for ``water``)."""
    out = {}
    for meter, uses in meters.items():
        v = sum((year.water_m3 if u == "water" else year.end_uses[u] for u in uses), np.zeros(year.params.steps))
        out[meter] = hourly_sums(v, year.step_min)
    return out


class NoLiveMeterData(ValueError):
    """The live twin's history is not there, or holds no reading of the meters in the model's year: a
    calibration against it cannot run (the year then runs uncalibrated, and says so)."""


def _meter_data(cal, params: EnergyParams, building) -> MeterData:
    if cal.source == "csv":
        return read_meter_csv(data_file(cal.file, "meter file"), params.start_date)
    from twin.live.history import History, HistoryError

    try:
        path = data_file(cal.history, "live history")
    except ValueError as exc:
        raise NoLiveMeterData(str(exc)) from None
    meters = list(cal.meters or default_meters(building))
    try:
        with History(path, building_id=building.id) as history:
            return meter_history(history, meters, params.start_date, tz=building.site.timezone)
    except HistoryError as exc:
        raise NoLiveMeterData(f"live history {cal.history!r}: {exc}") from None
    except ValueError as exc:
        raise NoLiveMeterData(str(exc)) from None


_CAL_CACHE: dict[str, tuple[EnergyParams, CalibrationResult]] = {}
_CAL_LOCK = threading.Lock()


def _get_path(params: EnergyParams, path: str) -> float:
    node: Any = params
    for key in path.split("."):
        node = getattr(node, key)
    return float(node)


def calibration_for(params: EnergyParams, building) -> tuple[EnergyParams, CalibrationResult]:
    """The parameters with the calibration's fitted values, and the calibration (cached per process:
    the data and the fit do not change between replications)."""
    cal = params.calibration
    assert cal is not None
    key = building.id + "|" + params.model_dump_json()
    with _CAL_LOCK:
        if key in _CAL_CACHE:
            return _CAL_CACHE[key]
    data = _meter_data(cal, params, building)
    meters = dict(cal.meters) if cal.meters else default_meters(building)
    unknown = [m for m in data.values if m not in meters]
    if unknown and cal.meters is None:
        data = dataclasses.replace(data, values={m: v for m, v in data.values.items() if m in meters},
                                   notes=data.notes + (f"meters without a model counterpart left out: "
                                                       f"{', '.join(unknown)}",))
    elif unknown:
        raise ValueError(f"calibration.meters does not say what meter(s) {', '.join(unknown)} measure")
    if not data.values:
        raise ValueError(f"none of the meters in {data.source} is one the model can compare ({', '.join(meters)})")
    use = {m: meters[m] for m in data.values}
    names = [p.path for p in cal.parameters]
    x0 = [p.initial if p.initial is not None else _get_path(params, p.path) for p in cal.parameters]
    base = params.model_copy(update={"calibration": None})

    def simulate(x: np.ndarray) -> dict[str, np.ndarray]:
        trial = apply_changes(base, dict(zip(names, map(float, x))))
        return meter_series(simulate_year(trial, building), use)

    result = calibrate(simulate, data, names, x0, [p.lower for p in cal.parameters],
                       [p.upper for p in cal.parameters])
    fitted = apply_changes(base, dict(zip(names, result.fitted))).model_copy(update={"calibration": cal})
    with _CAL_LOCK:
        _CAL_CACHE[key] = (fitted, result)
    return fitted, result


# --- the replication --------------------------------------------------------------------------------

def _words(use: str) -> tuple[str, str]:
    return END_USE_WORDS[use]


def _records(year: Year, building) -> tuple[dict[str, float], dict[str, list[dict]]]:
    p = year.params
    n = p.steps
    per_h = 60 // year.step_min
    axis_month = _month_of_step(p, n)
    kw_total = year.kw
    total = year.total_kwh
    kpis: dict[str, float] = {}
    records: dict[str, list[dict]] = {}
    rows = []
    for u in END_USES:
        v = year.end_uses[u]
        kpis[f"kwh_{u}"] = float(v.sum())
        kpis[f"cost_{u}_cny"] = year.energy_charge_cny(u)
        en, zh = _words(u)
        rows.append({"end_use": u, "label": en, "label_zh_cn": zh, "kwh": float(v.sum()),
                     "share": float(v.sum() / total.sum()) if total.sum() > 0 else math.nan,
                     "energy_cny": kpis[f"cost_{u}_cny"], "peak_kw": float(v.max() * 60 / year.step_min)})
    records["end_uses"] = rows
    kpis["total_kwh"] = float(total.sum())
    kpis["energy_charge_cny"] = round(float(year.bill["energy_cny"]), 2)
    kpis["demand_charge_cny"] = round(float(year.bill["demand_cny"]) + float(year.bill["capacity_cny"]), 2)
    kpis["water_m3"] = float(year.water_m3.sum())
    kpis["water_cost_cny"] = year.water_cny
    kpis["annual_cost_cny"] = year.annual_cost_cny
    kpis["peak_kw"] = float(kw_total.max())
    area = gross_floor_area_m2(building)
    kpis["kwh_per_m2_year"] = float(total.sum() / area) if area > 0 else math.nan
    kpis["load_factor"] = float(kw_total.mean() / kw_total.max()) if kw_total.max() > 0 else math.nan
    bench = benchmark_for(building.use, year.weather.zone, p.benchmark)
    if bench is not None:
        kpis["benchmark_ratio"] = kpis["kwh_per_m2_year"] / bench.constraint_kwh_per_m2_year
        records["benchmark"] = [{"use": building.use, "zone": year.weather.zone, "area_m2": area,
                                 "kwh_per_m2_year": kpis["kwh_per_m2_year"],
                                 "constraint_kwh_per_m2_year": bench.constraint_kwh_per_m2_year,
                                 "guide_kwh_per_m2_year": bench.guide_kwh_per_m2_year or math.nan,
                                 "source": bench.source_en, "source_zh_cn": bench.source_zh_cn}]

    monthly, totals = [], []
    for m in range(1, 13):
        sel = axis_month == m
        if not sel.any():
            continue
        for u in END_USES:
            v = year.end_uses[u][sel]
            en, zh = _words(u)
            monthly.append({"month": m, "end_use": u, "label": en, "label_zh_cn": zh, "kwh": float(v.sum()),
                            "energy_cny": round(float(v @ year.price[sel]), 2)})
    for key, b in year.bill["by_month"].items():
        totals.append({"month": int(key[5:7]), "year_month": key, "kwh": b["energy_kwh"], "energy_cny": b["energy_cny"],
                       "demand_cny": round(b["demand_cny"] + b["capacity_cny"], 2), "water_m3": b["water_m3"],
                       "water_cny": b["water_cny"], "total_cny": b["total"], "peak_kw": b["max_demand_kw"]})
    records["monthly"] = monthly
    records["monthly_totals"] = totals

    ordered = np.sort(kw_total)[::-1]
    idx = np.unique(np.linspace(0, n - 1, LOAD_DURATION_POINTS).round().astype(int))
    records["load_duration"] = [{"hours": float((i + 1) / per_h), "kw": float(ordered[i])} for i in idx]

    daily = total.reshape(365, -1).sum(axis=1)
    typical = int(np.argsort(daily)[len(daily) // 2])
    peak = int(np.argmax(kw_total) // (24 * per_h))
    for name, day in (("typical_day", typical), ("peak_day", peak)):
        sl = slice(day * 24 * per_h, (day + 1) * 24 * per_h)
        date = p.start_date.toordinal() + day
        rows = []
        for u in END_USES:
            en, zh = _words(u)
            for k, v in enumerate(year.end_uses[u][sl]):
                rows.append({"day": day, "date": _iso(date), "hour": k / per_h, "end_use": u, "label": en,
                             "label_zh_cn": zh, "kw": float(v * 60 / year.step_min)})
        records[name] = rows
    return kpis, records


def _iso(ordinal: int) -> str:
    from datetime import date

    return date.fromordinal(ordinal).isoformat()


@functools.lru_cache(maxsize=8)
def _month_cache(start_date, n: int) -> np.ndarray:
    from datetime import timedelta

    per_day = n // 365
    months = np.array([(start_date + timedelta(days=d)).month for d in range(365)])
    return np.repeat(months, per_day)


def _month_of_step(params: EnergyParams, n: int) -> np.ndarray:
    return _month_cache(params.start_date, n)


def _retrofit_records(params: EnergyParams, building, draws: Draws, base: Year) -> tuple[list[dict], dict[str, float]]:
    baseline = {"kwh": float(base.total_kwh.sum()), "cost_cny": base.annual_cost_cny}
    measures = []
    variants: list[tuple[str, str, Text, float, int, Mapping[str, Any], float]] = [
        (r.id, r.kind, RETROFIT_KINDS[r.kind], r.capital_cny, r.life_years, r.effective_changes(),
         r.maintenance_saved_cny_per_year) for r in params.retrofits]
    if len(params.retrofits) > 1:
        changes: dict[str, Any] = {}
        for r in params.retrofits:
            changes.update(r.effective_changes())
        variants.append(("all", "package", text("All measures together", "全部措施"),
                         sum(r.capital_cny for r in params.retrofits), max(r.life_years for r in params.retrofits),
                         changes, sum(r.maintenance_saved_cny_per_year for r in params.retrofits)))
    for ident, kind, label, capital, life, changes, maint in variants:
        year = simulate_year(apply_changes(params, changes), building, draws)
        figures = {"kwh": float(year.total_kwh.sum()), "cost_cny": year.annual_cost_cny}
        eco = economics(capital, baseline["kwh"] - figures["kwh"], round(baseline["cost_cny"] - figures["cost_cny"], 2),
                        life_years=life, discount_rate=params.discount_rate, escalation=params.price_escalation,
                        maintenance_saved_cny_per_year=maint)
        measures.append((ident, kind, label, capital, life, figures, eco))
    rows = retrofit_rows(baseline, measures)
    last = rows[-1]
    kpis = {"retrofit_saved_kwh": last["saved_kwh"], "retrofit_saved_cny": last["saved_cny"],
            "retrofit_npv_cny": last["npv_cny"], "retrofit_payback_years": last["payback_years"]}
    return rows, kpis


def _calibration_records(result: CalibrationResult, params: EnergyParams) -> tuple[dict[str, list[dict]], dict]:
    from models.energy.calibration import monthly_sums

    start = params.start_date
    monthly = []
    meters = list(result.measured)
    for series, source in (("metered", result.measured), ("modelled", result.modelled)):
        per = {m: (monthly_sums(source[m], start) if result.resolution == "hourly" else source[m]) for m in meters}
        for k in range(12):
            vals = [per[m][k] for m in meters]
            monthly.append({"month": k + 1, "series": series, "kwh": float(np.sum(vals)),
                            **{f"kwh_{m}": float(per[m][k]) for m in meters}})
    fit_rows = []
    for resolution, fits in (("hourly", result.fits if result.resolution == "hourly" else {}),
                             ("monthly", result.fits_monthly)):
        for meter, f in fits.items():
            fit_rows.append({"resolution": resolution, "meter": meter, "n": f.n, "cv_rmse": f.cv_rmse, "nmbe": f.nmbe,
                             "cv_limit": f.cv_limit, "nmbe_limit": f.nmbe_limit, "passed": int(f.passed)})
    param_rows = [{"parameter": n, "initial": a, "fitted": b, "lower": lo, "upper": hi,
                   "at_bound": int(n in result.at_bound)}
                  for n, a, b, lo, hi in zip(result.names, result.initial, result.fitted, result.lower, result.upper)]
    kpis = {"calibrated": float(result.passed)}
    if result.monthly_assessable:
        kpis["cv_rmse_monthly"] = result.fits_monthly["total"].cv_rmse
        kpis["abs_nmbe_monthly"] = abs(result.fits_monthly["total"].nmbe)
    if result.resolution == "hourly":
        kpis["cv_rmse_hourly"] = result.fits["total"].cv_rmse
        kpis["abs_nmbe_hourly"] = abs(result.fits["total"].nmbe)
    return {"calibration_monthly": monthly, "calibration_fit": fit_rows, "calibration_params": param_rows}, kpis


def run(ctx: ModelContext) -> ReplicationResult:
    params: EnergyParams = ctx.params  # type: ignore[assignment]
    building = ctx.building
    draws = Draws.draw(ctx.rng, params)
    records: dict[str, list[dict]] = {}
    extra: dict[str, float] = {}
    where: dict[str, str] = {}
    if params.calibration is not None:
        try:
            params, result = calibration_for(params, building)
        except NoLiveMeterData as exc:
            records["calibration_skipped"] = [{"reason": str(exc)}]
        else:
            cal_records, cal_kpis = _calibration_records(result, params)
            records.update(cal_records)
            extra.update(cal_kpis)
            if result.at_bound:
                where["calibrated"] = "at a bound: " + ", ".join(result.at_bound)
    year = simulate_year(params, building, draws)
    kpis, year_records = _records(year, building)
    records.update(year_records)
    if params.retrofits:
        rows, rk = _retrofit_records(params, building, draws, year)
        records["retrofits"] = rows
        kpis.update(rk)
    kpis.update(extra)
    peak_step = int(np.argmax(year.kw))
    when = params.start_date.toordinal() + peak_step // (24 * 60 // params.step_min)
    hour = (peak_step % (24 * 60 // params.step_min)) * params.step_min / 60
    where["peak_kw"] = f"{_iso(when)} {int(hour):02d}:{int(round((hour % 1) * 60)):02d}"
    return ReplicationResult(kpis=kpis, records=records, where=where)


def review(results: Sequence[ReplicationResult]) -> dict[str, Text]:
    """``benchmark``: the intensity's benchmark, its figure and source (a note, whatever the verdict);
    ``not_calibrated``: the fit misses Guideline 14 in some replication."""
    notes: dict[str, Text] = {}
    if results and results[0].records.get("benchmark"):
        b = results[0].records["benchmark"][0]
        intensity = float(np.mean([r.kpis["kwh_per_m2_year"] for r in results]))
        guide = b["guide_kwh_per_m2_year"]
        g_en = f", guide value {guide:g}" if guide == guide else ""
        g_zh = f"，引导值 {guide:g}" if guide == guide else ""
        notes["benchmark"] = text(
            f"energy use intensity {intensity:.1f} kWh/m²·a over {b['area_m2']:,.0f} m² against the constraint value "
            f"{b['constraint_kwh_per_m2_year']:g}{g_en} kWh/m²·a — {b['source']}",
            f"单位面积能耗 {intensity:.1f} 千瓦时/平方米·年（面积 {b['area_m2']:,.0f} 平方米），约束值 "
            f"{b['constraint_kwh_per_m2_year']:g}{g_zh} 千瓦时/平方米·年——{b['source_zh_cn']}")
    skipped = next((r.records["calibration_skipped"][0]["reason"] for r in results
                    if r.records.get("calibration_skipped")), None)
    if skipped:
        notes["calibration_skipped"] = text(
            f"not calibrated: {skipped} — the year ran with the parameters as given (start the live twin, let it "
            "record, and set start_date to the year it covers)",
            f"未校准：{skipped}——本次按给定参数运行（请启动实时孪生并积累记录，且将 start_date 设为记录所在年份）")
    bound = sorted({row["parameter"] for r in results[:1] for row in r.records.get("calibration_params", ())
                    if row["at_bound"]})
    if bound:
        names = ", ".join(bound)
        notes["calibration_at_bound"] = text(
            f"calibration: {names} ended on a bound of its range — the data do not pin it down (another parameter "
            "explains the same consumption, as lift trips and standby do on monthly bills) or the range is too narrow",
            f"校准：{names} 落在取值范围边界——数据无法确定该参数（另一参数可解释同样的能耗，如月度账单中的电梯运行次数与待机功率），"
            "或取值范围过窄")
    if any(r.kpis.get("calibrated") == 0.0 for r in results):
        at = next((r.where.get("calibrated") for r in results if r.where.get("calibrated")), None)
        extra_en = f" (parameters {at})" if at else ""
        extra_zh = f"（参数{at}）" if at else ""
        notes["not_calibrated"] = text(
            "the model does not meet ASHRAE Guideline 14 on these meter data even with the fitted parameters"
            f"{extra_en}: the data hold loads or patterns the model lacks; do not use it to judge savings",
            f"即使采用拟合参数，模型在这些计量数据上仍未满足 ASHRAE Guideline 14{extra_zh}：数据中含有模型未包含的负荷或规律；"
            "不宜据此评估节能量")
    return notes


# --- checks, cost, advice ---------------------------------------------------------------------------

def check(params: EnergyParams, building, graph) -> list[tuple[tuple, str]]:
    """Problems before any run: an unknown climate or tariff, a file that is not there, a meter the
    building lacks, a calibration parameter that is not a number of these parameters, a retrofit
    change to a field that does not exist."""
    problems: list[tuple[tuple, str]] = []
    if params.epw:
        try:
            data_file(params.epw, "weather file")
        except ValueError as exc:
            problems.append((("epw",), str(exc)))
    elif params.climate not in _weather.BUILTIN_CLIMATES:
        problems.append((("climate",), f"unknown climate {params.climate!r} (built in: "
                                       f"{', '.join(sorted(_weather.BUILTIN_CLIMATES))}; or give epw)"))
    if params.tariff not in _tariff.BUILTIN_TARIFFS:
        try:
            data_file(params.tariff, "tariff file")
        except ValueError as exc:
            problems.append((("tariff",), f"{exc} (built in: {', '.join(sorted(_tariff.BUILTIN_TARIFFS))})"))
    for i, r in enumerate(params.retrofits):
        try:
            apply_changes(params, r.effective_changes())
        except ValueError as exc:
            problems.append((("retrofits", i, "changes"), _first_line(exc)))
    cal = params.calibration
    if cal is not None:
        for i, p in enumerate(cal.parameters):
            try:
                _get_path(params, p.path)
            except (AttributeError, TypeError, ValueError):
                problems.append((("calibration", "parameters", i, "path"),
                                 f"{p.path!r} is not a number of the energy parameters"))
        if cal.meters:
            for meter in cal.meters:
                e = building.equipment_by_id.get(meter)
                if e is None or e.system != "meter":
                    problems.append((("calibration", "meters", meter), f"the building has no meter {meter!r}"))
        elif not default_meters(building):
            problems.append((("calibration", "meters"), "the building has no sub-meter the model can compare; "
                                                       "give meters: {meter id: [end uses]}"))
        if cal.source == "csv" and cal.file:
            try:
                data_file(cal.file, "meter file")
            except ValueError as exc:
                problems.append((("calibration", "file"), str(exc)))
    return problems


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def cost(params: EnergyParams, horizon_s: float, building=None) -> ReplicationCost:
    """A year is some n = 8,760 (or 35,040) steps per variant (baseline, each retrofit, the package)
    and, when calibrating, some 60 model years for the fit (once per process); counted as events
    at ten per step (the vectorised loads do about that much work per step)."""
    variants = 1 + len(params.retrofits) + (1 if len(params.retrofits) > 1 else 0)
    fit = 60 * len(params.calibration.parameters) / 4 if params.calibration is not None else 0
    rows = 6 * 12 + 18 + LOAD_DURATION_POINTS + 2 * 6 * 24 * 60 // params.step_min + variants + (60 if fit else 0)
    return ReplicationCost(events=10.0 * params.steps * (variants + fit), record_rows=float(rows))


def advise(params: EnergyParams, horizon_s: float, building=None) -> list[Text]:
    notes: list[Text] = []
    if abs(horizon_s - YEAR_S) > 1:
        notes.append(text(f"the energy model always simulates 365 days from start_date; horizon_s = {horizon_s:g} s "
                          "is not used (set it to 31536000)",
                          f"能耗模型总是模拟自起始日期起的 365 天；horizon_s = {horizon_s:g} 秒不起作用（请设为 31536000）"))
    if building is not None and params.benchmark is None:
        try:
            zone = year_weather(params).zone
        except Exception:  # noqa: BLE001 - check() reports a bad climate; the advice just has no zone
            zone = ""
        if benchmark_for(building.use, zone, None) is None:
            words = _weather.CLIMATE_ZONES.get(zone, text(zone or "?", zone or "?"))
            use_zh = {"residential": "住宅", "office": "办公", "retail": "商业", "mixed": "综合", "other": "其他"}
            notes.append(text(
                f"no benchmark for a {building.use} building in the {words['en'].lower()} zone: GB/T 51161-2016 gives "
                "residential figures per household, not per m² of common area; kWh/m²·a is reported without a "
                "verdict (give benchmark with its source)",
                f"{use_zh.get(building.use, building.use)}建筑（{words['zh-CN']}）无默认能耗基准：GB/T 51161-2016 对住宅按户"
                "给出指标，不针对公共区域每平方米；单位面积能耗不作判定（可在 benchmark 中给出数值及来源）"))
    cal = params.calibration
    if cal is not None and cal.source == "live":
        try:
            data_file(cal.history, "live history")
        except ValueError:
            notes.append(text(
                f"no live history {cal.history!r} in the data directory: the calibration cannot run and the year "
                "runs with the parameters as given", f"数据目录中没有实时历史库 {cal.history!r}：无法校准，将按给定参数运行"))
    if params.variation.weather_sd_c == 0 and params.variation.use_sd == 0:
        notes.append(text("variation is off: every replication is the same year (one replication is enough)",
                          "未设置波动：各次重复结果相同（一次即可）"))
    return notes
