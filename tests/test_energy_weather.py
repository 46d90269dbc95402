"""Weather (issue 14 item 2): the built-in design years reproduce their published monthly figures,
the daily swing, the sun on façades, EPW import (round trip; errors naming file, line and column),
15-minute resampling and bad input. The figures are the tables in models/energy/weather.py
(CMA 1981–2010 normals; approximate monthly irradiation, sources stated there and in
docs/energy-files.md); solar geometry and the diffuse split follow Duffie & Beckman, *Solar
Engineering of Thermal Processes* (eqs. 1.10.3, 2.12.1, 2.13.1–2), REFERENCES.md has no weather entry."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from models.energy import weather as W
from models.energy.weather import (BUILTIN_CLIMATES, CLIMATE_ZONES, MONTH_DAYS, UnknownClimateError, WeatherFileError,
                                   WeatherWarning, climate, climate_zone, read_epw, write_epw)
from twin.text import missing_languages

DATA = Path(__file__).parent / "data"
EPW = DATA / "shanghai-design-year.epw"
NAMES = sorted(BUILTIN_CLIMATES)


def _by_month(values: np.ndarray, per_day: int) -> list[np.ndarray]:
    edges = np.cumsum((0,) + MONTH_DAYS) * per_day
    return [values[edges[m]:edges[m + 1]] for m in range(12)]


# --- the built-in climates ------------------------------------------------------------------

def test_issue14_item2_the_six_cities_and_kunming_cover_every_climate_zone_with_a_source():
    """Issue 14 item 2: Shanghai, Beijing, Guangzhou, Shenzhen, Chengdu, Harbin (+ Kunming) are built
    in, one or more per GB 50176 climate zone, each with its station and source stated."""
    assert {"shanghai", "beijing", "guangzhou", "shenzhen", "chengdu", "harbin"} <= set(BUILTIN_CLIMATES)
    assert {c.zone for c in BUILTIN_CLIMATES.values()} == set(CLIMATE_ZONES)
    for info in BUILTIN_CLIMATES.values():
        assert not missing_languages(info.label)
        assert "1981–2010" in info.source and info.station in info.source and "approximat" in info.source
        for series in (info.mean_c, info.daily_range_c, info.ghi_kwh_m2_day):
            assert len(series) == 12
        w = climate(info.name)
        assert w.source == info.source and w.zone == info.zone and not missing_languages(w.label)


@pytest.mark.parametrize("name", NAMES)
def test_issue14_item2_zone_follows_gb50176_from_the_monthly_means(name):
    """Issue 14 item 2: the stated zone is the one GB 50176-2016's first-level indicators give for the
    city's coldest and hottest monthly means (table 4.1.2)."""
    info = BUILTIN_CLIMATES[name]
    assert climate_zone(info.mean_c) == info.zone


@pytest.mark.parametrize("step_min", [60, 15])
@pytest.mark.parametrize("name", NAMES)
def test_issue14_item2_monthly_means_reproduce_the_source_table(name, step_min):
    """Issue 14 item 2: the monthly means of the hourly (and 15-minute) dry bulb equal the table's
    monthly means within 0.01 °C (by construction: the annual curve's monthly averages are solved
    to equal them, the daily swing has zero mean every day)."""
    info = BUILTIN_CLIMATES[name]
    w = climate(name, step_min=step_min)
    assert w.n == 8760 * 60 // step_min
    np.testing.assert_allclose(w.monthly_mean(), info.mean_c, atol=0.01)


@pytest.mark.parametrize("name", NAMES)
def test_issue14_item2_daily_swing_is_the_mean_daily_range_peaking_mid_afternoon(name):
    """Issue 14 item 2: each month's mean (daily max − daily min) of the hourly series is the table's
    mean daily range within 3 % (hourly sampling at the middle of each hour trims the crest by
    1 − cos 7.5° ≈ 0.9 %; the annual curve's slope within a day adds a little), and the daily
    maximum falls within an hour of 15:00 local mean solar time."""
    info = BUILTIN_CLIMATES[name]
    w = climate(name)
    days = w.dry_bulb_c.reshape(365, 24)
    swing = days.max(axis=1) - days.min(axis=1)
    for m, part in enumerate(_by_month(swing, 1)):
        assert part.mean() == pytest.approx(info.daily_range_c[m], rel=0.03), f"month {m + 1}"
    peak_clock_h = days.argmax(axis=1) + 0.5
    peak_solar_h = peak_clock_h + (info.longitude_deg - 120.0) / 15.0
    assert np.all(np.abs(peak_solar_h - 15.0) <= 1.0)
    assert np.all(np.abs(days.argmin(axis=1) + 0.5 + (info.longitude_deg - 120.0) / 15.0 - 3.0) <= 1.0)


@pytest.mark.parametrize("step_min", [60, 15])
@pytest.mark.parametrize("name", NAMES)
def test_issue14_item2_monthly_ghi_totals_reproduce_the_source_table(name, step_min):
    """Issue 14 item 2: the monthly sums of hourly (15-minute) GHI equal the table's monthly mean daily
    irradiation × days within 0.1 % (each day's total is distributed, not changed)."""
    info = BUILTIN_CLIMATES[name]
    w = climate(name, step_min=step_min)
    np.testing.assert_allclose(w.monthly_ghi_kwh_m2(), info.ghi_kwh_m2_month, rtol=1e-3)
    assert np.all(w.ghi_wm2 >= 0)
    night = w.solar_zenith_deg > 90.5
    assert np.all(w.ghi_wm2[night] == 0)


@pytest.mark.parametrize("name", NAMES)
def test_issue14_item2_monthly_clearness_index_is_physically_plausible(name):
    """Issue 14 item 2: the tabled irradiation over the extraterrestrial (Duffie & Beckman eq. 1.10.3)
    gives monthly clearness indices 0.2 … 0.75 — the range of measured Chinese stations (the Sichuan
    basin's winter, about 0.25, is among the lowest anywhere) — so no figure of the approximate table
    is impossible."""
    w = climate(name)
    doy = np.arange(1, 366)
    lat = math.radians(w.latitude_deg)
    decl = np.radians(23.45) * np.sin(2 * np.pi * (284 + doy) / 365)  # Cooper (1969), D&B eq. 1.6.1a
    ws = np.arccos(np.clip(-math.tan(lat) * np.tan(decl), -1, 1))
    g_on = 1367 * (1 + 0.033 * np.cos(2 * np.pi * doy / 365))
    h0 = 24 / np.pi * g_on * (math.cos(lat) * np.cos(decl) * np.sin(ws) + ws * math.sin(lat) * np.sin(decl)) / 1000
    h0_month = np.array([p.sum() for p in _by_month(h0, 1)])
    kt = w.monthly_ghi_kwh_m2() / h0_month
    assert np.all((kt > 0.2) & (kt < 0.75)), kt


def test_issue14_item2_beam_and_diffuse_close_on_the_global():
    """Issue 14 item 2: GHI = DHI + DNI·cos θz every step (within 0.5 W/m²); the diffuse share of the
    year is 0.35 … 0.65 (Erbs monthly-average correlation on these clearness indices)."""
    for name in NAMES:
        w = climate(name)
        closure = w.dhi_wm2 + w.dni_wm2 * np.maximum(np.cos(np.radians(w.solar_zenith_deg)), 0)
        np.testing.assert_allclose(closure, w.ghi_wm2, atol=0.5)
        assert 0.35 < w.dhi_wm2.sum() / w.ghi_wm2.sum() < 0.65


def test_issue14_item2_south_facade_in_harbin_winter_gets_more_than_the_roof():
    """Issue 14 item 2: at Harbin's latitude (45.75° N) the low winter sun puts more on a south façade
    than on a horizontal surface (December and January: > 1.5 ×); in June less (< 0.7 ×); a north
    façade in winter gets only diffuse and ground light (< 0.5 × the south); east and west are
    mirror images (annual sums within 5 %)."""
    w = climate("harbin")
    month = w.month
    south, north = w.irradiance_wm2(180, 90), w.irradiance_wm2(0, 90)
    east, west = w.irradiance_wm2(90, 90), w.irradiance_wm2(270, 90)
    for m in (1, 12):
        assert south[month == m].sum() > 1.5 * w.ghi_wm2[month == m].sum()
        assert north[month == m].sum() < 0.5 * south[month == m].sum()
    assert south[month == 6].sum() < 0.7 * w.ghi_wm2[month == 6].sum()
    assert east.sum() == pytest.approx(west.sum(), rel=0.05)


def test_issue14_item2_a_horizontal_surface_receives_the_ghi():
    """Issue 14 item 2: the isotropic model on a surface of tilt 0 returns GHI (within 0.5 W/m²)."""
    w = climate("shanghai")
    np.testing.assert_allclose(w.irradiance_wm2(180, 0), w.ghi_wm2, atol=0.5)


def test_issue14_item2_arrays_are_read_only_and_the_axis_is_a_365_day_year():
    """Issue 14 item 2 (contract): arrays cannot be changed in place; timestamps start 00:00 1 January."""
    w = climate("beijing", step_min=15, year=2028)
    with pytest.raises(ValueError):
        w.dry_bulb_c[0] = 0.0
    assert w.timestamps[0] == np.datetime64("2028-01-01T00:00")
    assert w.timestamps[-1] == np.datetime64("2028-12-30T23:45")  # 365 days: a leap year's 31 Dec is not in it
    assert len(w.month) == w.n and w.month[0] == 1 and w.month[-1] == 12


def test_issue14_item2_starting_rolls_the_year_to_the_run_start():
    """Issue 14 item 2 (contract): a run starting 1 July sees July's weather at step 0."""
    w = climate("shanghai")
    july = w.starting(dt.date(2027, 7, 1))
    k = sum(MONTH_DAYS[:6]) * 24
    np.testing.assert_array_equal(july.dry_bulb_c[:24], w.dry_bulb_c[k:k + 24])
    np.testing.assert_array_equal(july.ghi_wm2[-k:], w.ghi_wm2[:k])


# --- 15-minute resampling -------------------------------------------------------------------

def test_issue14_item2_resampling_to_15_min_keeps_each_hours_solar_energy_and_the_means():
    """Issue 14 item 2: 60 → 15 min keeps every hour's GHI energy exactly (1e-9 relative), the monthly
    mean dry bulb within 0.05 °C, GHI zero when the sun is down; 15 → 60 gives the hours back."""
    w = read_epw(EPW)
    q = w.resample(15)
    assert q.n == 4 * w.n and q.step_min == 15
    np.testing.assert_allclose(q.ghi_wm2.reshape(-1, 4).mean(axis=1), w.ghi_wm2, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(q.monthly_mean(), w.monthly_mean(), atol=0.05)
    assert np.all(q.ghi_wm2[q.solar_zenith_deg > 90.5] == 0)
    back = q.resample(60)
    np.testing.assert_allclose(back.ghi_wm2, w.ghi_wm2, atol=1e-9)
    np.testing.assert_allclose(back.dry_bulb_c, w.dry_bulb_c, atol=0.2)
    # a south façade's monthly irradiation barely changes with the step (within 2 %)
    np.testing.assert_allclose(monthly(q.irradiance_wm2(180, 90), q), monthly(w.irradiance_wm2(180, 90), w), rtol=0.02)


def monthly(values: np.ndarray, w: W.Weather) -> np.ndarray:
    return np.array([values[w.month == m].sum() * w.step_h for m in range(1, 13)])


def test_issue14_item2_epw_read_at_15_min_matches_the_built_in_15_min_year():
    """Issue 14 item 2: the EPW file read at 15-min steps and the built-in 15-min year agree on the
    monthly GHI (0.1 %) and mean dry bulb (0.05 °C)."""
    a = read_epw(EPW, step_min=15)
    b = climate("shanghai", step_min=15)
    np.testing.assert_allclose(a.monthly_ghi_kwh_m2(), b.monthly_ghi_kwh_m2(), rtol=1e-3)
    np.testing.assert_allclose(a.monthly_mean(), b.monthly_mean(), atol=0.05)


# --- EPW import -----------------------------------------------------------------------------

def test_issue14_item2_epw_round_trip_reproduces_the_built_in_year():
    """Issue 14 item 2: tests/data/shanghai-design-year.epw (the built-in Shanghai year written as EPW)
    reads back within the file's precision — 0.05 °C and 0.5 Wh/m² a step — with the site and zone."""
    src = climate("shanghai")
    w = read_epw(EPW)
    assert (w.n, w.step_min) == (8760, 60)
    np.testing.assert_allclose(w.dry_bulb_c, src.dry_bulb_c, atol=0.05 + 1e-9)
    for a, b in ((w.ghi_wm2, src.ghi_wm2), (w.dni_wm2, src.dni_wm2), (w.dhi_wm2, src.dhi_wm2)):
        np.testing.assert_allclose(a, b, atol=0.5 + 1e-9)
    assert (w.latitude_deg, w.longitude_deg, w.tz_h) == (31.2, 121.43, 8.0)
    assert w.zone == "hot_summer_cold_winter" and "shanghai-design-year.epw" in w.source
    np.testing.assert_allclose(w.solar_zenith_deg, src.solar_zenith_deg, atol=1e-6)


def test_issue14_item2_write_then_read_epw_of_another_city(tmp_path):
    """Issue 14 item 2: write_epw → read_epw for Harbin keeps the monthly means (0.05 °C) and GHI (0.1 %)."""
    src = climate("harbin", step_min=15)
    path = write_epw(src, tmp_path / "harbin.epw")
    w = read_epw(path)
    np.testing.assert_allclose(w.monthly_mean(), src.monthly_mean(), atol=0.05)
    np.testing.assert_allclose(w.monthly_ghi_kwh_m2(), src.monthly_ghi_kwh_m2(), rtol=1e-3)
    assert w.zone == "severe_cold"


def _broken(tmp_path: Path, edit) -> Path:
    lines = EPW.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = edit(lines)
    path = tmp_path / "broken.epw"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _set_field(lines: list[str], line_no: int, column: int, value: str) -> list[str]:
    fields = lines[line_no - 1].rstrip("\n").split(",")
    fields[column - 1] = value
    lines[line_no - 1] = ",".join(fields) + "\n"
    return lines


@pytest.mark.parametrize("line_no, column, value, words", [
    (500, 7, "abc", "'abc' is not a number"),
    (1234, 14, "12,5", None),                     # a stray comma shifts the columns: one too many
    (4000, 15, "nan", "not a finite number"),
    (777, 7, "99.9", "'missing' value"),
    (9, 16, "-4", "outside 0 … 1000"),
    (2000, 4, "7", "out of sequence"),
    (30, 2, "x", "'x' is not a number"),
])
def test_issue14_bad_input_malformed_epw_value_names_file_line_and_column(tmp_path, line_no, column, value, words):
    """Issue 14 bad input: a malformed, missing or out-of-range EPW value → WeatherFileError naming the
    file, the line and the column with its EPW field name."""
    path = _broken(tmp_path, lambda lines: _set_field(lines, line_no, column, value))
    with pytest.raises(WeatherFileError) as err:
        read_epw(path)
    message = str(err.value)
    assert message.startswith("broken.epw: line ")
    if words is None:  # the shifted line is reported at its own line number
        assert f"line {line_no}, column 36: 36 columns, an EPW data line has 35" in message
        return
    assert f"line {line_no}, column {column} ({W.EPW_FIELDS[column - 1]})" in message
    assert words in message


def test_issue14_bad_input_epw_with_a_missing_column_names_it(tmp_path):
    """Issue 14 bad input: a data line cut short → the line and the first missing column are named."""
    def cut(lines):
        lines[99] = ",".join(lines[99].split(",")[:13]) + "\n"
        return lines
    with pytest.raises(WeatherFileError, match=r"broken.epw: line 100, column 14 \(global horizontal radiation\): "
                                               r"13 columns, an EPW data line has 35"):
        read_epw(_broken(tmp_path, cut))


def test_issue14_bad_input_epw_truncated_or_without_header(tmp_path):
    """Issue 14 bad input: a file that ends early names the first missing hour; a missing header line
    is named by line and the header expected; a bad latitude by line 1 and its column."""
    with pytest.raises(WeatherFileError, match=r"the file ends after 8000 hourly lines: 8760 expected "
                                               r"\(first missing: month 11, day 30, hour 9\)"):
        read_epw(_broken(tmp_path, lambda lines: lines[:8008]))
    with pytest.raises(WeatherFileError, match=r"line 3, column 1: expected the EPW header line "
                                               r"'TYPICAL/EXTREME PERIODS'"):
        read_epw(_broken(tmp_path, lambda lines: lines[:2] + lines[3:]))
    with pytest.raises(WeatherFileError, match=r"line 1, column 7 \(latitude\): 131.2 is outside -90 … 90"):
        read_epw(_broken(tmp_path, lambda lines: _set_field(lines, 1, 7, "131.2")))
    with pytest.raises(WeatherFileError, match=r"line 8, column 3 \(records per hour\)"):
        read_epw(_broken(tmp_path, lambda lines: _set_field(lines, 8, 3, "4")))
    with pytest.raises(WeatherFileError, match="no such file"):
        read_epw(tmp_path / "nowhere.epw")


def test_issue14_bad_input_leap_day_rows_are_dropped_with_a_counted_warning(tmp_path):
    """Issue 14 bad input: an EPW of a leap year (8,784 lines) loses its 24 rows of 29 February with a
    WeatherWarning that counts them; the rest is the same year."""
    def leap(lines):
        feb28 = [ln for ln in lines[8:] if ln.split(",")[1:3] == ["2", "28"]]
        extra = [ln.replace(",2,28,", ",2,29,", 1) for ln in feb28]
        at = lines.index(feb28[-1]) + 1
        return lines[:at] + extra + lines[at:]
    with pytest.warns(WeatherWarning, match="24 rows of 29 February dropped"):
        w = read_epw(_broken(tmp_path, leap))
    np.testing.assert_array_equal(w.dry_bulb_c, read_epw(EPW).dry_bulb_c)


def test_issue14_bad_input_unknown_climate_lists_the_known_ones():
    """Issue 14 bad input: an unknown climate → UnknownClimateError naming it and every built-in."""
    with pytest.raises(UnknownClimateError) as err:
        climate("atlantis")
    message = str(err.value)
    assert "'atlantis'" in message
    for name in BUILTIN_CLIMATES:
        assert name in message


def test_issue14_bad_input_steps_and_orientations():
    """Issue 14 bad input: a step that does not divide the hour into 60/30/15 and an impossible
    orientation or tilt are refused with the value named."""
    with pytest.raises(ValueError, match="step_min 7"):
        climate("shanghai", step_min=7)
    w = climate("shanghai")
    with pytest.raises(ValueError, match="azimuth_deg 400"):
        w.irradiance_wm2(400, 90)
    with pytest.raises(ValueError, match="tilt_deg -5"):
        w.irradiance_wm2(180, -5)
    with pytest.raises(ValueError, match="tilt_deg nan"):
        w.irradiance_wm2(180, float("nan"))


def test_issue14_item2_shipped_epw_is_the_documented_one():
    """Issue 14 item 2: the test EPW has the 8 header lines and 8,760 data lines of 35 fields."""
    lines = EPW.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 8 + 8760
    assert all(len(ln.split(",")) == 35 for ln in lines[8:])


def test_issue14_item2_epw_with_windows_line_endings_reads_the_same():
    """Issue 14 item 2: an EPW saved with CRLF line endings (as many Windows tools write them) reads
    to the same year."""
    text_ = EPW.read_text(encoding="utf-8")
    w = W.parse_epw(text_.replace("\n", "\r\n"), "crlf.epw")
    np.testing.assert_array_equal(w.dry_bulb_c, read_epw(EPW).dry_bulb_c)


_EPW_LINES = EPW.read_text(encoding="utf-8").splitlines(keepends=True)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 8 + 8760), st.integers(1, 36),
       st.one_of(st.text(max_size=6), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                 st.integers(-10**6, 10**6).map(str)))
def test_issue14_bad_input_any_single_field_change_is_read_or_named(line_no, column, value):
    """Issue 14 bad input (property): changing any one field of the test EPW to anything either still
    reads (a valid value, or an unread field) or raises WeatherFileError naming the file and a line —
    never another exception."""
    lines = list(_EPW_LINES)
    fields = lines[line_no - 1].rstrip("\n").split(",")
    if column <= len(fields):
        fields[column - 1] = value
    else:
        fields.append(value)
    lines[line_no - 1] = ",".join(fields) + "\n"
    try:
        w = W.parse_epw("".join(lines), "prop.epw")
    except WeatherFileError as exc:
        assert str(exc).startswith("prop.epw: line ")
    else:
        assert w.n == 8760 and np.all(np.isfinite(w.dry_bulb_c)) and np.all(w.ghi_wm2 >= 0)


def test_issue14_item2_docs_list_the_figures_of_every_built_in_climate():
    """Issue 14 item 2: docs/energy-files.md lists every built-in climate with its station, and its
    table of monthly figures is the module's table (no drift between code and docs)."""
    doc = (Path(__file__).parents[1] / "docs" / "energy-files.md").read_text(encoding="utf-8")
    for info in BUILTIN_CLIMATES.values():
        assert f"`{info.name}`" in doc and info.station in doc
        at = doc.index(f"| {info.label['en']} | mean °C |")
        rows = doc[at:].splitlines()[:3]
        for row, figures in zip(rows, (info.mean_c, info.daily_range_c, info.ghi_kwh_m2_day), strict=True):
            cells = [c.strip() for c in row.strip("|").split("|")][2:]
            assert [float(c) for c in cells] == list(figures), row


def test_issue14_item2_a_rolled_year_keeps_its_calendar_and_resamples_with_its_sun():
    """Issue 14 item 2 (contract): after starting(1 July) the months and timestamps follow the new
    start, the monthly means are still the table's (0.01 °C), and resampling to 15 min keeps the sun
    of the rolled year (no irradiance with the sun below the horizon)."""
    info = BUILTIN_CLIMATES["harbin"]
    w = climate("harbin").starting(dt.date(2027, 7, 1))
    assert w.month[0] == 7 and w.month[-1] == 6
    assert w.timestamps[0] == np.datetime64("2027-07-01T00:00")
    np.testing.assert_allclose(w.monthly_mean(), info.mean_c, atol=0.01)
    q = w.resample(15)
    assert q.month[0] == 7 and np.all(q.ghi_wm2[q.solar_zenith_deg > 90.5] == 0)
    np.testing.assert_allclose(q.monthly_ghi_kwh_m2(), info.ghi_kwh_m2_month, rtol=1e-3)
    np.testing.assert_array_equal(q.starting(dt.date(2027, 1, 1)).month, climate("harbin", step_min=15).month)
    np.testing.assert_allclose(q.starting(dt.date(2027, 1, 1)).solar_zenith_deg,
                               climate("harbin", step_min=15).solar_zenith_deg, atol=1e-9)


def test_issue14_bad_input_an_impossible_climate_table_is_refused():
    """Issue 14 bad input: a climate whose monthly irradiation exceeds 85 % of the extraterrestrial
    (5 kWh/m²·d in a Harbin December) is refused rather than turned into a year."""
    import dataclasses

    bad = dataclasses.replace(BUILTIN_CLIMATES["harbin"], ghi_kwh_m2_day=(5.0,) * 12)
    with pytest.raises(ValueError, match="above 85 % of the extraterrestrial"):
        W._design_year(bad, 60, 2027)
