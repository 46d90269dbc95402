"""Issue 14 item 5: calibration to the meters — meter CSV import, ASHRAE Guideline 14's figures, the
fit (scipy.optimize.least_squares) on a simple function, on the energy model's own generated data
(known parameters + noise) and on data it cannot fit, and the live twin's history (a real SQLite
history written by twin/live/history.py from the device simulator's meters).

Reference: REFERENCES.md "Energy" — ASHRAE Guideline 14: CV(RMSE) ≤ 15 % and |NMBE| ≤ 5 % monthly,
≤ 30 % and ≤ 10 % hourly.
"""

from __future__ import annotations

import math
import warnings
from datetime import date

import numpy as np
import pytest

from models.energy.calibration import (G14_LIMITS, MeterData, MeterFileError, MeterGapWarning, calibrate, g14,
                                       monthly_sums, parse_meter_csv)

START = date(2027, 1, 1)


# --- Guideline 14's figures -------------------------------------------------------------------------

def test_g14_figures_by_hand():
    """issue 14 item 5: CV(RMSE) and NMBE as Guideline 14 writes them, (n − p) in the denominators;
    checked against a hand computation to 1e-12."""
    m = np.array([10.0, 12.0, 9.0, 11.0, 8.0])
    s = np.array([9.0, 12.5, 9.5, 10.0, 8.0])
    f = g14(m, s, "monthly", n_params=1)
    mean = m.mean()
    assert f.nmbe == pytest.approx(((m - s).sum()) / (4 * mean), abs=1e-12)
    assert f.cv_rmse == pytest.approx(math.sqrt(((m - s) ** 2).sum() / 4) / mean, abs=1e-12)
    assert (f.cv_limit, f.nmbe_limit) == G14_LIMITS["monthly"] == (0.15, 0.05)
    assert G14_LIMITS["hourly"] == (0.30, 0.10)


def test_g14_verdict_thresholds():
    """issue 14 item 5: the verdict at the thresholds — monthly 15 %/5 %, hourly 30 %/10 % (a constant bias
    of 4 % passes monthly, 6 % fails monthly and passes hourly, 11 % fails hourly)."""
    m = np.full(12, 100.0)
    assert g14(m, m * 0.96, "monthly").passed
    assert not g14(m, m * 0.94, "monthly").passed
    assert g14(np.full(100, 1.0), np.full(100, 0.94), "hourly").passed
    assert not g14(np.full(100, 1.0), np.full(100, 0.89), "hourly").passed
    # NaN periods (gaps) are left out
    mm = m.copy()
    mm[3] = np.nan
    assert g14(mm, m, "monthly").n == 11


# --- the fit on a simple function ------------------------------------------------------------------------

def _simple(x):
    t = np.arange(8760)
    h = t % 24
    a, b, c, d = x
    return {"M1": a * (1 + np.sin(2 * np.pi * h / 24)) + b,
            "M2": c * ((h >= 8) & (h < 20)) + d * np.cos(2 * np.pi * t / 8760) + 5.0}


def test_fit_recovers_a_simple_function():
    """issue 14 item 5: least_squares recovers four known parameters of a simple function from hourly data with
    5 % multiplicative noise within 2 % each, and the fit passes Guideline 14 hourly and monthly (it did not before)."""
    truth = np.array([10.0, 3.0, 20.0, 2.0])
    rng = np.random.default_rng(1)
    measured = {k: v * (1 + rng.normal(0, 0.05, v.size)) for k, v in _simple(truth).items()}
    data = MeterData("test", "hourly", START, measured, {"M1": "kwh", "M2": "kwh"})
    r = calibrate(_simple, data, list("abcd"), [5, 1, 10, 0.5], [0, 0, 0, 0], [30, 10, 50, 5])
    assert np.allclose(r.fitted, truth, rtol=0.02)
    assert not r.before["total"].passed
    assert r.passed and r.fits["total"].passed and r.fits_monthly["total"].passed


def test_fit_fails_the_verdict_on_data_it_cannot_fit():
    """issue 14 item 5: on data with no relation to the function (independent gamma noise) the bounded fit does
    not pass Guideline 14 hourly — it fails the verdict rather than over-fitting."""
    rng = np.random.default_rng(2)
    bad = {"M1": rng.gamma(1.0, 10.0, 8760), "M2": rng.gamma(1.0, 20.0, 8760)}
    r = calibrate(_simple, MeterData("bad", "hourly", START, bad, {"M1": "kwh", "M2": "kwh"}), list("abcd"),
                  [5, 1, 10, 0.5], [0, 0, 0, 0], [30, 10, 50, 5])
    assert not r.passed
    assert r.fits["total"].cv_rmse > 0.30


# --- the meter CSV --------------------------------------------------------------------------------------

def test_meter_csv_hourly_and_gap_warning():
    """issue 14 bad input: interval data (15-min summed into hours); a missing reading makes its hour a gap,
    named in a MeterGapWarning with the count, and left out (NaN)."""
    lines = ["timestamp,meter,kwh"]
    for q in range(4 * 48):
        if q == 4 * 5 + 2:  # one quarter-hour missing at 05:30 on 1 January
            continue
        lines.append(f"2027-01-{1 + q // 96:02d}T{(q % 96) // 4:02d}:{(q % 4) * 15:02d},MTR-E-LTG,0.25")
    with pytest.warns(MeterGapWarning, match=r"MTR-E-LTG: 1 hour\(s\)"):
        data = parse_meter_csv("\n".join(lines), "m.csv", START)
    v = data.values["MTR-E-LTG"]
    assert data.resolution == "hourly" and v.size == 8760
    assert math.isnan(v[5]) and v[4] == pytest.approx(1.0) and v[47] == pytest.approx(1.0)
    assert np.isnan(v[48:]).all()


def test_meter_csv_monthly_bills():
    """issue 14 item 5: monthly bills (2027-03,meter,kwh) fill the twelve months; a missing bill is a named warning."""
    text = "timestamp,meter,kwh\n" + "\n".join(f"2027-{m:02d},MTR-E-LIFT,{1000 + m}" for m in range(1, 12))
    with pytest.warns(MeterGapWarning, match="no bill for month"):
        data = parse_meter_csv(text, "bills.csv", START)
    assert data.resolution == "monthly"
    assert data.values["MTR-E-LIFT"][0] == 1001 and math.isnan(data.values["MTR-E-LIFT"][11])


@pytest.mark.parametrize("content, where, words", [
    ("timestamp,meter,kw\n2027-01-01T00:00,M,1\n", "line 1, column 3", "not energy"),
    ("timestamp,meter\n", "line 1, column 3", "3 columns"),
    ("time,meter,kwh\n", "line 1, column 1", "timestamp"),
    ("timestamp,meter,kwh\n2027-01-01T00:00,M,1\n2027-13-01T00:00,M,1\n", "line 3, column 1", "not a date"),
    ("timestamp,meter,kwh\n2027-01-01T00:00,M,abc\n", "line 2, column 3", "not a number"),
    ("timestamp,meter,kwh\n2027-01-01T00:00,M,-4\n", "line 2, column 3", "consumption"),
    ("timestamp,meter,kwh\n2027-01-01T00:00,M 1,4\n", "line 2, column 2", "meter id"),
    ("timestamp,meter,kwh\n2027-01,M,4\n2027-01-01T00:00,M,1\n", "line 2, column 1", "mixed"),
])
def test_meter_csv_errors_name_file_line_column(content, where, words):
    """issue 14 bad input: a meter CSV with a non-energy unit, missing or malformed columns → MeterFileError
    naming the file, the line and the column."""
    with pytest.raises(MeterFileError) as info:
        parse_meter_csv(content, "bad.csv", START)
    msg = str(info.value)
    assert msg.startswith("bad.csv: ") and where in msg and words in msg


def test_meter_csv_rows_outside_the_year_are_counted():
    """issue 14 bad input: rows outside the model's year are dropped with a named warning counting them."""
    text = "timestamp,meter,kwh\n2026-12-31T23:00,M,1\n2027-01-01T00:00,M,1\n2027-01-01T01:00,M,1\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parse_meter_csv(text, "edge.csv", START)
    assert any(isinstance(w.message, MeterGapWarning) and "1 row(s) outside" in str(w.message) for w in caught)


def test_monthly_sums_follow_the_calendar():
    """issue 14 item 5: monthly sums of an hourly year: January 744 h, February 672 h (2027)."""
    s = monthly_sums(np.ones(8760), START)
    assert s[0] == 744 and s[1] == 672 and s.sum() == 8760


# --- the energy model fitted to its own generated data ------------------------------------------------------

TRUTH = {"pumps.litres_per_resident_day": 230.0, "lifts.trips_per_person_day": 3.0, "lifts.standby_kw_per_car": 0.6,
         "hvac.cooling_setpoint_c": 24.5}
BOUNDS = {"pumps.litres_per_resident_day": (80, 300), "lifts.trips_per_person_day": (1, 10),
          "lifts.standby_kw_per_car": (0.1, 1.5), "hvac.cooling_setpoint_c": (22, 29)}
TOLERANCE = {"pumps.litres_per_resident_day": 0.05, "lifts.trips_per_person_day": 0.10,
             "lifts.standby_kw_per_car": 0.10, "hvac.cooling_setpoint_c": 0.03}
"""Relative tolerances of the recovered parameters (the set-point's 3 % is ±0.7 K)."""


@pytest.fixture(scope="module")
def tower():
    from twin.loader import load_building

    return load_building("tower")


def _params(tmp_file: str, names=tuple(TRUTH)):
    from models.energy.params import EnergyParams

    return EnergyParams.model_validate({
        "variation": {"weather_sd_c": 0, "use_sd": 0},
        "calibration": {"source": "csv", "file": tmp_file,
                        "parameters": [{"path": n, "lower": BOUNDS[n][0], "upper": BOUNDS[n][1]} for n in names]}})


def test_model_fit_recovers_known_parameters_from_hourly_meter_csv(tower, tmp_path, monkeypatch):
    """issue 14 item 5 (verification): a year of the tower's four sub-meters generated with known, non-default
    parameters (TRUTH) on an actual year's weather (daily anomaly 1.5 K) with 5 % hourly noise, written as the hourly
    meter CSV and read back: the fit of four parameters recovers each within TOLERANCE and passes Guideline 14 hourly
    (≤ 30 %/10 %) and monthly (≤ 15 %/5 %); before the fit (defaults) it does not pass."""
    from models.energy.live_meters import meter_csv, meter_year
    from models.energy.model import calibration_for

    values = meter_year(tower, TRUTH, seed=7, noise=0.05)
    (tmp_path / "meters.csv").write_text(meter_csv(values, START))
    monkeypatch.setenv("TWIN_DATA_DIR", str(tmp_path))
    fitted, result = calibration_for(_params("meters.csv"), tower)
    assert result.resolution == "hourly" and result.passed
    assert result.fits["total"].cv_rmse <= 0.30 and abs(result.fits["total"].nmbe) <= 0.10
    assert result.fits_monthly["total"].cv_rmse <= 0.15 and abs(result.fits_monthly["total"].nmbe) <= 0.05
    for name, value in zip(result.names, result.fitted):
        assert value == pytest.approx(TRUTH[name], rel=TOLERANCE[name]), name
    assert fitted.pumps.litres_per_resident_day == pytest.approx(result.fitted[0])
    assert not result.passed_before


def test_model_fit_fails_the_verdict_on_data_it_cannot_fit(tower, tmp_path, monkeypatch):
    """issue 14 item 5 (verification): the same meters as a building whose residents live by night — every meter's
    hours shifted by 12 h (each month's total nearly kept, the day turned round) — plus the pump meter's readings of a
    leak-fed pump running flat out a third of the hours: no parameters within their bounds follow it, the lift and pump
    meters' hourly CV(RMSE) stay above Guideline 14's 30 % and the verdict is a fail; the fit does not bend to pass
    (the total alone could hide it: the corridor lights' flat load dominates it)."""
    from models.energy.live_meters import meter_csv, meter_year
    from models.energy.model import calibration_for

    values = meter_year(tower, TRUTH, seed=8, noise=0.05)
    rng = np.random.default_rng(9)
    shuffled = {m: np.roll(v, 12) for m, v in values.items()}
    shuffled["MTR-E-PUMP"] = shuffled["MTR-E-PUMP"] + 40.0 * (rng.random(8760) < 1 / 3)
    (tmp_path / "shuffled.csv").write_text(meter_csv(shuffled, START))
    monkeypatch.setenv("TWIN_DATA_DIR", str(tmp_path))
    _, result = calibration_for(_params("shuffled.csv"), tower)
    assert not result.passed
    assert result.fits["MTR-E-LIFT"].cv_rmse > 0.30 and result.fits["MTR-E-PUMP"].cv_rmse > 0.30
    assert all(lo <= x <= hi for x, lo, hi in zip(result.fitted, result.lower, result.upper))


def test_shipped_meter_file_is_not_the_defaults_and_calibrates(tower):
    """issue 14 item 8: the shipped meter file (scenarios/data/tower-meters-2027.csv, monthly bills) was not made with
    the default parameters — the defaults miss it (some meter's monthly CV(RMSE) or |NMBE| outside 15 %/5 % before the
    fit) — and the
    library scenario energy-tower-calibrate-meters fits it and passes Guideline 14 monthly."""
    from models.energy.model import calibration_for
    from scenarios.spec import load_scenario

    loaded = load_scenario("energy-tower-calibrate-meters")
    params = loaded.points[0].params
    _, result = calibration_for(params, tower)
    assert result.resolution == "monthly"
    assert not result.passed_before
    assert result.passed


# --- the live twin's history ---------------------------------------------------------------------------------------

def test_live_history_calibration(tower, tmp_path, monkeypatch):
    """issue 14 item 5: the device simulator's meters, driven by the energy model's year with hidden parameters
    (models.energy.live_meters.LIVE_TRUTH) plus 5 % noise, publish a week of readings; the twin's decoder and state
    write them into a real SQLite history (twin/live/history.py); the energy scenario energy-tower-calibrate-live
    (start_date set to the recorded year) reads the history, fits three parameters and passes Guideline 14 hourly;
    the water use (from the break tank's water meter: a throttled pump's electricity hardly tells it), the lift trips
    and the lifts' standby come back within 10 % of the hidden values."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from models.energy.live_meters import LIVE_TRUTH, live_meter_profiles
    from scenarios.runner import run_scenario
    from scenarios.spec import load_scenario
    from twin.live.history import Batch, History
    from twin.live.payloads import Decoder, StateUpdate
    from twin.live.simulator import DeviceSimulator
    from twin.live.state import TwinState

    profiles = live_meter_profiles(tower)
    assert set(profiles) == {"MTR-E-LIFT", "MTR-E-PUMP", "MTR-E-HVAC", "MTR-E-LTG", "MTR-W-DOM"}
    t0 = int(datetime(2027, 1, 4, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp() * 1000)
    now = [t0]
    sim = DeviceSimulator(tower, seed=3, clock=lambda: now[0], meter_profiles=profiles)
    decoder, state = Decoder(tower), TwinState(tower, clock=lambda: now[0])
    with History(tmp_path / "history.sqlite", building_id=tower.id) as history:
        sim.start()
        dt = 900
        for _ in range(7 * 24 * 3600 // dt):
            now[0] += dt * 1000
            batch = Batch()
            for out in sim.advance(dt):
                parts = out.topic.split("/")
                if parts[-1] == "state" and parts[-2] in profiles:
                    for msg in decoder.decode(out.topic, out.payload, now[0]):
                        if isinstance(msg, StateUpdate):
                            batch.changes.append(state.apply_state(msg, now[0]))
            for device in profiles:
                batch.devices[device] = state.record(device)
            history.write(batch)
    monkeypatch.setenv("TWIN_DATA_DIR", str(tmp_path))
    loaded = load_scenario("energy-tower-calibrate-live", overrides=["params.start_date=2027-01-01"])
    result = run_scenario(loaded)
    kpis = result.summary["kpis"]
    assert kpis["calibrated"]["mean"] == 1.0
    assert kpis["cv_rmse_hourly"]["mean"] <= 0.30 and kpis["abs_nmbe_hourly"]["mean"] <= 0.10
    fitted = {r["parameter"]: r["fitted"] for r in result.records["calibration_params"].to_dict("records")}
    truth = LIVE_TRUTH["pumps.litres_per_resident_day"]
    assert fitted["pumps.litres_per_resident_day"] == pytest.approx(truth, rel=0.10)
    assert fitted["lifts.standby_kw_per_car"] == pytest.approx(LIVE_TRUTH["lifts.standby_kw_per_car"], rel=0.10)
    assert fitted["lifts.trips_per_person_day"] == pytest.approx(LIVE_TRUTH["lifts.trips_per_person_day"], rel=0.10)


def test_live_calibration_without_a_history_says_so(tmp_path, monkeypatch):
    """issue 14 item 5 / runs always end: with no live history in the data directory the live calibration scenario
    still runs — it warns before the run, the year runs with the parameters as given, no calibration KPI is reported
    and the summary's note says why, in both languages."""
    from scenarios.runner import run_scenario
    from scenarios.spec import load_scenario

    monkeypatch.setenv("TWIN_DATA_DIR", str(tmp_path))
    result = run_scenario(load_scenario("energy-tower-calibrate-live"))
    summary = result.summary
    assert any("no live history" in w["en"] for w in summary["warnings"])
    assert any("not calibrated" in n["en"] and "未校准" in n["zh-CN"] for n in summary["notes"])
    assert summary["kpis"]["calibrated"]["n"] == 0 and summary["kpis"]["total_kwh"]["n"] == 1
