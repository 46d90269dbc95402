"""Benchmark: the energy model — a year of the tower's common areas, hourly and at 15 minutes, and a calibration.

Prints, never asserts (these machines are shared and noisy):

* one replication of ``energy-tower-shanghai`` (a year, hourly: weather, loads, tariff, KPIs and records): the
  first (the design year's weather built and cached) and the best of the next three;
* the same at 15-minute steps (35,040 steps);
* a calibration of four parameters (water use, lift trips, lift standby, summer set-point) to a year of the
  tower's four sub-meters' hourly data (generated with other parameters, 5 % noise, written as the meter CSV and
  read back), least squares from the defaults;
* beside each, a baseline timed in the same run: a bare Python loop over the same steps doing the 5R1C mass
  node's recurrence (three multiply-adds a step) — the one loop of the model that numpy cannot take, so the floor
  of any hourly building model in Python — and, for the calibration, the model years it evaluated times the best
  single year (the optimiser's own overhead is the rest).

Targets (issue 14): a year hourly ≤ 1 s, at 15 minutes ≤ 4 s; the calibration ≤ 30 s.
Run: ``.venv/bin/python bench/bench_energy.py``.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

from models.energy import model as energy_model
from models.energy.live_meters import meter_csv, meter_year
from models.energy.params import EnergyParams
from scenarios.spec import load_scenario

from engine import one_replication  # bench/engine.py
from suite import Figure, Target, record  # bench/suite.py

SCENARIO = "energy-tower-shanghai"
TRUTH = {"pumps.litres_per_resident_day": 230.0, "lifts.trips_per_person_day": 3.0, "lifts.standby_kw_per_car": 0.6,
         "hvac.cooling_setpoint_c": 24.5}
BOUNDS = {"pumps.litres_per_resident_day": (80, 300), "lifts.trips_per_person_day": (1, 10),
          "lifts.standby_kw_per_car": (0.1, 1.5), "hvac.cooling_setpoint_c": (22, 29)}


def bare_recurrence_s(n: int) -> float:
    """Seconds of a bare Python loop of ``n`` steps updating a mass temperature (best of 3)."""
    a, b, c = 0.98, 0.01, 0.01
    theta_e = np.linspace(0.0, 30.0, n).tolist()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        theta = 20.0
        for x in theta_e:
            theta = a * theta + b * x + c * 20.0
        best = min(best, time.perf_counter() - start)
    return best


def year_times(step_min: int) -> tuple[float, float]:
    loaded = load_scenario(SCENARIO, overrides=[f"params.step_min={step_min}"])
    seeds = np.random.SeedSequence(loaded.scenario.seed).spawn(4)
    first, _, _ = one_replication(loaded, seeds[0])
    best = min(one_replication(loaded, s)[0] for s in seeds[1:])
    return first, best


def main() -> None:
    first_h, best_h = year_times(60)
    first_q, best_q = year_times(15)
    bare_h = bare_recurrence_s(8760)
    bare_q = bare_recurrence_s(35040)

    loaded = load_scenario(SCENARIO)
    building = loaded.building
    single = min(_timed_year(building) for _ in range(3))
    with tempfile.TemporaryDirectory() as tmp:
        values = meter_year(building, TRUTH, seed=7, noise=0.05)
        Path(tmp, "meters.csv").write_text(meter_csv(values, date(2027, 1, 1)))
        os.environ["TWIN_DATA_DIR"] = tmp
        params = EnergyParams.model_validate({
            "variation": {"weather_sd_c": 0, "use_sd": 0},
            "calibration": {"source": "csv", "file": "meters.csv",
                            "parameters": [{"path": k, "lower": lo, "upper": hi} for k, (lo, hi) in BOUNDS.items()]}})
        energy_model._CAL_CACHE.clear()
        start = time.perf_counter()
        _, result = energy_model.calibration_for(params, building)
        cal_s = time.perf_counter() - start
    fitted = ", ".join(f"{n.split('.')[-1]} {v:.3g} (true {TRUTH[n]:g})" for n, v in zip(result.names, result.fitted))

    figures = [
        Figure("a year hourly (8,760 steps), first replication (weather built)", first_h, "s",
               "bare Python loop of the 5R1C mass recurrence, 8,760 steps", bare_h, target=Target("<=", 1.0)),
        Figure("a year hourly, best of the next 3", best_h, "s", "bare Python loop, 8,760 steps", bare_h,
               target=Target("<=", 1.0)),
        Figure("a year at 15 min (35,040 steps), first replication", first_q, "s",
               "bare Python loop, 35,040 steps", bare_q, target=Target("<=", 4.0)),
        Figure("a year at 15 min, best of the next 3", best_q, "s", "bare Python loop, 35,040 steps", bare_q,
               target=Target("<=", 4.0)),
        Figure(f"calibration of 4 parameters to a year of hourly data ({result.evaluations} model years)", cal_s, "s",
               f"{result.evaluations} × the best single model year", result.evaluations * single,
               target=Target("<=", 30.0)),
    ]
    record("bench_energy", "The energy model: a year of the tower's common areas, and a calibration", figures)
    print(f"energy: '{SCENARIO}' on '{building.id}'")
    rows = [
        ("a year hourly, first (weather built)", f"{first_h:7.2f} s   (target <= 1 s; bare loop "
                                                 f"{bare_h * 1000:.1f} ms, "
                                                 f"ratio {first_h / bare_h:.0f})"),
        ("a year hourly, best of the next 3", f"{best_h:7.2f} s   (ratio to the bare loop {best_h / bare_h:.0f})"),
        ("a year at 15 min, first", f"{first_q:7.2f} s   (target <= 4 s; bare loop {bare_q * 1000:.1f} ms, "
                                    f"ratio {first_q / bare_q:.0f})"),
        ("a year at 15 min, best of the next 3", f"{best_q:7.2f} s   (ratio to the bare loop {best_q / bare_q:.0f})"),
        ("one model year (loads + tariff, no records), best of 3", f"{single:7.3f} s"),
        ("calibration, 4 parameters, a year of hourly data", f"{cal_s:7.2f} s   (target <= 30 s; {result.evaluations} "
                                                              f"model years, ratio to {result.evaluations} × one year "
                                                              f"{cal_s / (result.evaluations * single):.2f})"),
        ("calibration verdict (Guideline 14, hourly and monthly)", "passed" if result.passed else "FAILED"),
        ("fitted", fitted),
    ]
    for label, value in rows:
        print(f"  {label:<58}: {value}")


def _timed_year(building) -> float:
    start = time.perf_counter()
    energy_model.simulate_year(EnergyParams(variation={"weather_sd_c": 0, "use_sd": 0}), building)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
