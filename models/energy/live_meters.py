"""What the building's meters read: a plausible year of sub-meter consumption, for the device simulator
and for test data, from parameters the calibration is not told.

The device simulator (:mod:`twin.live.simulator`) publishes the meters' cumulative readings. So that
calibrating the model against the live twin is a real test, those readings come from this model run
with **hidden parameters** (:data:`LIVE_TRUTH`: the residents use less water, ride the lifts more, the
cars' standby draw is higher and the lobbies are kept a degree cooler than the defaults say), on an
actual year's weather rather than the design year (a daily anomaly drawn from a fixed seed), and the
simulator adds 5 % noise to every reading. The calibration scenario fits those four parameters
within plausible bounds without being told them.

``twin`` never imports ``models``: the profile is computed here and handed to the simulator from
above — by ``twin serve`` / ``twin simulate`` (:mod:`api.live_cli`) and the API's live service
(:mod:`api.app`) — as ``meter_profiles``: meter id → mean kW for each of the 8,760 hours of the
year (local time, from 1 January). It takes a fraction of a second and is cached per building.

:func:`meter_year` is the same year as data: hourly kWh per meter (and :func:`meter_csv` writes it as
the meter CSV of docs/energy-files.md, hourly or as monthly bills) — the shipped meter file
``scenarios/data/tower-meters-2027.csv`` was made with :data:`FILE_TRUTH` by :func:`write_shipped_file`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from models.energy.calibration import monthly_sums
from models.energy.model import Draws, default_meters, meter_series, simulate_year
from models.energy.params import EnergyParams, SHIPPED_DATA_DIR
from models.energy.retrofits import apply_changes

__all__ = ["LIVE_TRUTH", "FILE_TRUTH", "electricity_meters", "meter_year", "live_meter_profiles", "meter_csv",
           "write_shipped_file"]

LIVE_TRUTH: dict[str, Any] = {
    "pumps.litres_per_resident_day": 150.0,
    "lifts.trips_per_person_day": 5.0,
    "lifts.standby_kw_per_car": 0.45,
    "hvac.cooling_setpoint_c": 25.0,
}
"""The live twin's meters' hidden parameters (against the defaults 180 L, 4 trips, 0.3 kW, 26 °C)."""
LIVE_SEED = 20270214

FILE_TRUTH: dict[str, Any] = {
    "pumps.litres_per_resident_day": 215.0,
    "lifts.trips_per_person_day": 3.2,
    "lifts.standby_kw_per_car": 0.6,
    "hvac.cooling_setpoint_c": 27.0,
}
"""The shipped meter file's parameters (against the defaults 180 L, 4 trips, 0.3 kW, 26 °C)."""
FILE_SEED = 20270315


def electricity_meters(building) -> dict[str, list[str]]:
    """The building's sub-meters the model drives that count kWh (:func:`default_meters` without water)."""
    return {m: uses for m, uses in default_meters(building).items() if "water" not in uses}


def meter_year(building, truth: Mapping[str, Any], *, seed: int, noise: float = 0.0, climate: str = "shanghai",
               start_date: date = date(2027, 1, 1), weather_sd_c: float = 1.5,
               meters: Mapping[str, list[str]] | None = None) -> dict[str, np.ndarray]:
    """Hourly kWh (m³ for a water meter) of each sub-meter (default: :func:`electricity_meters`) for a
    year of the model with ``truth`` applied, on a weather year that differs from the design year by a
    daily anomaly (``weather_sd_c``) and with day-to-day use varying by 5 %, both drawn from ``seed``;
    ``noise`` adds relative Gaussian noise to every hour."""
    params = apply_changes(EnergyParams(climate=climate, start_date=start_date,
                                        variation={"weather_sd_c": weather_sd_c, "use_sd": 0.05}), truth)
    rng = np.random.default_rng(seed)
    year = simulate_year(params, building, Draws.draw(rng, params))
    out = meter_series(year, meters or electricity_meters(building))
    if noise:
        out = {m: np.maximum(0.0, v * (1 + noise * rng.standard_normal(v.size))) for m, v in out.items()}
    return out


@functools.lru_cache(maxsize=4)
def _profiles(building_id: str, building_json: str) -> dict[str, tuple[float, ...]]:
    from twin.spec import Building

    building = Building.model_validate_json(building_json)
    year = meter_year(building, LIVE_TRUTH, seed=LIVE_SEED, meters=default_meters(building))
    return {m: tuple(map(float, v)) for m, v in year.items()}


def live_meter_profiles(building) -> dict[str, np.ndarray]:
    """Mean kW by hour of the year (hourly kWh = mean kW; m³/h for the break tank's water meter) for each
    sub-meter the model can drive — the simulator's ``meter_profiles``. Empty for a building without such
    meters."""
    if not default_meters(building):
        return {}
    return {m: np.asarray(v) for m, v in _profiles(building.id, building.model_dump_json()).items()}


def meter_csv(values: Mapping[str, np.ndarray], start_date: date, *, monthly: bool = False) -> str:
    """The meter CSV (``timestamp,meter,kwh``) of hourly series: one row per hour and meter, or one
    bill per month and meter (``monthly``), rounded to 0.001 kWh (0.1 kWh for bills)."""
    lines = ["timestamp,meter,kwh"]
    if monthly:
        for m, v in values.items():
            sums = monthly_sums(np.asarray(v), start_date)
            for k, s in enumerate(sums):
                month = (start_date.month - 1 + k) % 12 + 1
                year = start_date.year + (start_date.month - 1 + k) // 12
                lines.append(f"{year:04d}-{month:02d},{m},{s:.1f}")
        return "\n".join(lines) + "\n"
    for h in range(len(next(iter(values.values())))):
        stamp = (start_date + timedelta(days=h // 24)).isoformat() + f"T{h % 24:02d}:00"
        for m, v in values.items():
            lines.append(f"{stamp},{m},{v[h]:.3f}")
    return "\n".join(lines) + "\n"


def write_shipped_file(path: Path | None = None) -> Path:
    """Write ``scenarios/data/tower-meters-2027.csv``: a year of the tower's sub-meters as monthly bills,
    made with :data:`FILE_TRUTH`, seed :data:`FILE_SEED` and 3 % hourly noise (not the defaults)."""
    from twin.loader import load_building

    building = load_building("tower")
    values = meter_year(building, FILE_TRUTH, seed=FILE_SEED, noise=0.03)
    path = path or SHIPPED_DATA_DIR / "tower-meters-2027.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(meter_csv(values, date(2027, 1, 1), monthly=True))
    return path


if __name__ == "__main__":  # pragma: no cover - regenerates the shipped file
    print(write_shipped_file())
