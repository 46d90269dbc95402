"""Weather: the outdoor air and the sunshine that a building's common-area loads answer to.

A heating or cooling load follows the outdoor dry-bulb temperature hour by hour; the sun on a
façade adds heat through its glazing; the lights of a lobby with windows dim when daylight is
enough. An energy model therefore needs a *design year* of weather for the building's city: one
value per time step of the outdoor temperature (°C) and of the solar irradiance (W/m²).

Two kinds of weather are offered:

* **Built-in climates** (:data:`BUILTIN_CLIMATES`, :func:`climate`) for Shanghai, Beijing,
  Guangzhou, Shenzhen, Chengdu, Harbin and Kunming — one city in each of China's building climate
  zones (GB 50176 民用建筑热工设计规范: 严寒 severe cold, 寒冷 cold, 夏热冬冷 hot summer / cold
  winter, 夏热冬暖 hot summer / warm winter, 温和 mild). Each is built from twelve published
  monthly figures — the mean temperature, the mean daily range (daily maximum − minimum) and the
  mean daily global solar irradiation on a horizontal surface — listed with their source in the
  :class:`ClimateInfo` table below. The hourly series is synthetic but reproduces those figures:

  - *dry bulb*: a smooth periodic curve of the day of the year (a Fourier series of six harmonics
    whose monthly averages equal the twelve monthly means exactly) plus a daily cosine swing of
    the month's mean daily range, peaking at 15:00 local mean solar time and lowest at 03:00;
  - *global horizontal irradiance (GHI)*: each day's irradiation (the same smooth curve through
    the monthly means) is spread over the daylight steps in proportion to Collares-Pereira &
    Rabl's (1979) ratio of hourly to daily irradiation, ``r_t ∝ (a + b·cos ω)·cos θz`` (Duffie &
    Beckman, *Solar Engineering of Thermal Processes*, eq. 2.13.2), so every day's total is kept;
  - the sun's position from Spencer's (1971) declination and equation of time and the analytical
    zenith and azimuth (:mod:`pvlib.solarposition`), at the middle of each step;
  - the split of GHI into beam and diffuse: each day's diffuse fraction from its clearness index
    by Erbs, Klein & Duffie's (1982) correlation for monthly-average days (Duffie & Beckman eq.
    2.12.1 — the hourly correlation applied to a mean day would make it far too diffuse), the
    diffuse spread over the day by Liu & Jordan's ``r_d ∝ cos θz`` (eq. 2.13.1); the rest is beam,
    giving the direct normal irradiance ``DNI = (GHI − DHI)/cos θz``.

  These are not measured years: day-to-day weather (a cold spell, a week of rain) is absent, so a
  peak load is understated against a real year. For a real year, import an EPW file.

* **EPW files** (:func:`read_epw`), the EnergyPlus weather format used by most typical-year data
  sets (CSWD for Chinese stations among them): eight header lines, then one line per hour with 35
  comma-separated fields. The dry bulb (field 7), GHI, DNI and DHI (fields 14–16) are read; a
  malformed or missing value raises :class:`WeatherFileError` naming the file, the line and the
  column.

Irradiance on a surface of any orientation and tilt (:meth:`Weather.irradiance_wm2`) is the
isotropic-sky sum (Liu & Jordan) of the beam on the surface, the sky diffuse ``DHI·(1 + cos β)/2``
and the ground-reflected ``GHI·albedo·(1 − cos β)/2`` (:func:`pvlib.irradiance.get_total_irradiance`).

Time axis (the energy model's contract): a year of 365 days from 00:00 on 1 January of ``year``
in the city's standard time (China: UTC+8, no daylight saving), ``n = 8760·60/step_min`` steps;
step ``i`` covers ``[i·step, (i+1)·step)`` and its value is the mean over that interval (an EPW
"hour 1" is the step 00:00–01:00). :meth:`Weather.resample` converts between 60-, 30- and
15-minute steps keeping each hour's solar energy and the temperature's course.
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import io
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from twin.errors import SpecError, SpecIssue
from twin.text import Text, text

__all__ = ["Weather", "ClimateInfo", "CLIMATE_ZONES", "BUILTIN_CLIMATES", "STEP_MIN_CHOICES", "DAYS",
           "climate", "climate_names", "climate_zone", "read_epw", "parse_epw", "write_epw", "monthly_means",
           "UnknownClimateError", "WeatherFileError", "WeatherWarning", "MONTH_DAYS", "EPW_FIELDS", "ALBEDO"]

DAYS = 365
"""Days of the model's year (a 29 February of a leap year is left out, as in typical-year files)."""
MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
STEP_MIN_CHOICES = (60, 30, 15)
"""Steps a weather series can have (minutes): each divides an hour."""
ALBEDO = 0.2
"""Ground reflectance used for façades (a common default for urban ground without snow)."""
MAX_EPW_BYTES = 16 * 2**20
_DIURNAL_PEAK_SOLAR_H = 15.0

CLIMATE_ZONES: dict[str, Text] = {
    "severe_cold": text("Severe cold", "严寒地区"),
    "cold": text("Cold", "寒冷地区"),
    "hot_summer_cold_winter": text("Hot summer, cold winter", "夏热冬冷地区"),
    "hot_summer_warm_winter": text("Hot summer, warm winter", "夏热冬暖地区"),
    "mild": text("Mild", "温和地区"),
}
"""China's building climate zones (GB 50176-2016 民用建筑热工设计规范, first-level zoning) by code."""


def climate_zone(monthly_mean_c: Sequence[float]) -> str:
    """The GB 50176 first-level climate zone of a place from its twelve monthly mean temperatures.

    The zoning's main indicators are the coldest month's mean ``t_min,m`` and the hottest month's
    mean ``t_max,m`` (GB 50176-2016 table 4.1.2): severe cold ``t_min,m ≤ −10 °C``; cold
    ``−10 < t_min,m ≤ 0``; hot summer / cold winter ``0 < t_min,m ≤ 10`` and ``25 < t_max,m ≤ 30``;
    hot summer / warm winter ``t_min,m > 10`` and ``25 < t_max,m ≤ 29``; mild ``0 < t_min,m ≤ 13``
    and ``18 < t_max,m ≤ 25``. The standard's auxiliary indicators (days below 5 °C or above 25 °C)
    are not used; a place that meets no rule falls back on its coldest month alone.
    """
    coldest, hottest = min(monthly_mean_c), max(monthly_mean_c)
    if coldest <= -10:
        return "severe_cold"
    if coldest <= 0:
        return "cold"
    if coldest <= 13 and 18 < hottest <= 25:
        return "mild"
    if coldest <= 10 and 25 < hottest <= 30:
        return "hot_summer_cold_winter"
    if coldest > 10 and 25 < hottest <= 29:
        return "hot_summer_warm_winter"
    return "hot_summer_cold_winter" if coldest <= 10 else "hot_summer_warm_winter"


# --- the built-in climates ---------------------------------------------------------------------

_TEMP_SOURCE = ("China Meteorological Administration, climate normals 1981–2010 (中国地面气候标准值 1981–2010), "
                "station {station}: monthly mean temperature and mean daily range (mean daily maximum − mean "
                "daily minimum), as quoted in secondary compilations and rounded to 0.1 °C — an approximation of "
                "the CMA table (a figure may differ by a few tenths of a degree), not checked digit by digit")
_SOLAR_SOURCE = ("monthly mean daily global horizontal irradiation: approximate figures (about ±10 %) rounded to "
                 "0.1 kWh/m²·d, consistent in annual total and seasonal shape with the CSWD typical year "
                 "(中国建筑热环境分析专用气象数据集, 2005) and the NASA POWER climatology of the site — illustrative, "
                 "not a transcription of either")


@dataclass(frozen=True)
class ClimateInfo:
    """The published monthly figures a built-in climate is built from, January … December."""

    name: str
    label: Text
    zone: str
    station: str
    latitude_deg: float
    longitude_deg: float
    elevation_m: float
    mean_c: tuple[float, ...]
    """Monthly mean dry-bulb temperature (°C)."""
    daily_range_c: tuple[float, ...]
    """Monthly mean daily temperature range, mean daily maximum − mean daily minimum (K)."""
    ghi_kwh_m2_day: tuple[float, ...]
    """Monthly mean daily global horizontal irradiation (kWh/m² per day)."""
    tz_h: float = 8.0
    """Standard time's offset from UTC (China Standard Time for every city)."""

    @property
    def source(self) -> str:
        return f"{_TEMP_SOURCE.format(station=self.station)}; {_SOLAR_SOURCE}"

    @property
    def ghi_kwh_m2_month(self) -> tuple[float, ...]:
        """Monthly global horizontal irradiation (kWh/m² per month)."""
        return tuple(round(h * d, 6) for h, d in zip(self.ghi_kwh_m2_day, MONTH_DAYS, strict=True))


#  city         zone                     CMA station                 lat °N  lon °E  elev m
#  month                 Jan    Feb    Mar    Apr    May    Jun    Jul    Aug    Sep    Oct    Nov    Dec
BUILTIN_CLIMATES: dict[str, ClimateInfo] = {c.name: c for c in (
    ClimateInfo("harbin", text("Harbin", "哈尔滨"), "severe_cold", "50953 Harbin", 45.75, 126.77, 143,
                mean_c=(-17.6, -12.9, -3.3, 7.7, 15.4, 21.2, 23.6, 21.9, 15.6, 6.5, -4.7, -14.5),
                daily_range_c=(10.6, 11.4, 11.2, 11.8, 12.0, 10.9, 9.2, 9.3, 11.2, 11.4, 10.0, 10.2),
                ghi_kwh_m2_day=(1.9, 3.0, 4.3, 5.0, 5.6, 5.8, 5.3, 4.7, 4.0, 2.9, 1.9, 1.5)),
    ClimateInfo("beijing", text("Beijing", "北京"), "cold", "54511 Beijing", 39.80, 116.47, 31,
                mean_c=(-3.1, 0.3, 6.7, 14.8, 20.8, 24.9, 26.7, 25.5, 20.8, 13.7, 5.0, -0.9),
                daily_range_c=(9.7, 9.9, 10.6, 11.6, 11.4, 10.4, 8.2, 8.3, 9.6, 10.3, 9.8, 9.3),
                ghi_kwh_m2_day=(2.4, 3.3, 4.4, 5.3, 5.9, 5.7, 4.9, 4.5, 4.2, 3.3, 2.4, 2.1)),
    ClimateInfo("shanghai", text("Shanghai", "上海"), "hot_summer_cold_winter", "58367 Shanghai Xujiahui", 31.20,
                121.43, 5,
                mean_c=(4.8, 6.6, 10.0, 15.3, 20.7, 24.4, 28.6, 28.3, 24.9, 19.9, 14.0, 7.6),
                daily_range_c=(6.0, 6.3, 6.8, 7.4, 7.3, 6.2, 6.0, 5.6, 5.6, 6.3, 7.0, 6.6),
                ghi_kwh_m2_day=(2.3, 2.8, 3.3, 4.1, 4.6, 4.1, 4.9, 4.7, 3.9, 3.3, 2.6, 2.3)),
    ClimateInfo("chengdu", text("Chengdu", "成都"), "hot_summer_cold_winter", "56187 Chengdu Wenjiang", 30.70,
                103.83, 539,
                mean_c=(5.6, 7.9, 11.9, 17.0, 21.4, 23.8, 25.3, 24.9, 21.5, 17.3, 12.4, 7.2),
                daily_range_c=(6.7, 7.0, 7.8, 8.9, 8.9, 7.7, 7.3, 7.6, 6.4, 6.0, 6.4, 6.6),
                ghi_kwh_m2_day=(1.5, 1.9, 2.7, 3.5, 3.9, 3.9, 4.1, 4.0, 2.8, 2.0, 1.6, 1.3)),
    ClimateInfo("guangzhou", text("Guangzhou", "广州"), "hot_summer_warm_winter", "59287 Guangzhou", 23.17,
                113.33, 41,
                mean_c=(13.9, 15.2, 18.0, 22.1, 25.6, 27.6, 28.8, 28.6, 27.5, 24.9, 20.4, 15.7),
                daily_range_c=(8.1, 7.0, 6.4, 6.2, 6.6, 6.4, 7.0, 7.1, 7.3, 7.9, 8.4, 8.7),
                ghi_kwh_m2_day=(2.6, 2.4, 2.5, 2.9, 3.6, 3.8, 4.5, 4.3, 4.1, 3.9, 3.3, 2.9)),
    ClimateInfo("shenzhen", text("Shenzhen", "深圳"), "hot_summer_warm_winter", "59493 Shenzhen", 22.54, 114.00,
                63,
                mean_c=(15.4, 16.5, 19.1, 23.0, 26.3, 28.2, 28.9, 28.6, 27.5, 25.1, 21.1, 16.9),
                daily_range_c=(7.6, 7.0, 6.4, 6.2, 6.2, 6.0, 6.4, 6.4, 6.5, 6.8, 7.2, 7.7),
                ghi_kwh_m2_day=(3.1, 2.9, 3.0, 3.4, 4.1, 4.3, 4.9, 4.6, 4.4, 4.3, 3.7, 3.3)),
    ClimateInfo("kunming", text("Kunming", "昆明"), "mild", "56778 Kunming", 25.02, 102.68, 1892,
                mean_c=(8.9, 10.9, 14.3, 17.6, 19.9, 20.6, 20.3, 19.8, 18.4, 15.9, 12.2, 9.0),
                daily_range_c=(13.4, 13.8, 14.3, 13.6, 10.6, 7.7, 6.5, 7.5, 7.7, 8.6, 10.8, 12.5),
                ghi_kwh_m2_day=(3.7, 4.5, 5.3, 5.7, 5.3, 4.4, 4.1, 4.3, 3.9, 3.5, 3.4, 3.3)),
)}
"""The built-in design-year climates by name, with the monthly figures they reproduce."""


class UnknownClimateError(KeyError):
    """A climate name that is not built in; the message lists the known ones."""

    def __init__(self, name: object):
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return (f"unknown climate {self.name!r}: built-in climates are {', '.join(climate_names())} "
                "(or give an EPW file)")


class WeatherFileError(SpecError):
    """A weather (EPW) file that cannot be read: names the file, the line and the column."""

    @classmethod
    def at(cls, file: str, line: int, column: int | None, name: str, message: str) -> "WeatherFileError":
        where = f"line {line}" + (f", column {column}" if column is not None else "") + (f" ({name})" if name else "")
        return cls([SpecIssue(file, where, message)])


class WeatherWarning(UserWarning):
    """A weather file read with rows dropped (a 29 February) — the count is in the message."""


def climate_names() -> list[str]:
    return list(BUILTIN_CLIMATES)


# --- the time axis and the sun -----------------------------------------------------------------

def _check_step(step_min: object) -> int:
    if isinstance(step_min, bool) or step_min not in STEP_MIN_CHOICES:
        raise ValueError(f"step_min {step_min!r}: a weather step is one of {', '.join(map(str, STEP_MIN_CHOICES))} min")
    return int(step_min)  # type: ignore[call-overload]


def _axis(step_min: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(day index 0…364, clock hour of the step's middle, month 1…12) for each step of the year."""
    per_day = 24 * 60 // step_min
    n = DAYS * per_day
    i = np.arange(n)
    day = i // per_day
    clock_h = (i % per_day + 0.5) * step_min / 60.0
    month = np.repeat(np.arange(1, 13), np.array(MONTH_DAYS) * per_day)
    return day, clock_h, month


@dataclass(frozen=True)
class _Sun:
    zenith_deg: np.ndarray
    azimuth_deg: np.ndarray
    cos_zenith: np.ndarray
    hour_angle_rad: np.ndarray
    sunset_hour_angle_rad: np.ndarray
    declination_rad: np.ndarray
    extra_wm2: np.ndarray


def _sun(latitude_deg: float, longitude_deg: float, tz_h: float, step_min: int) -> _Sun:
    """The sun's position at the middle of every step: Spencer (1971) declination and equation of
    time, hour angle from local mean solar time (Duffie & Beckman eq. 1.5.2), analytical zenith and
    azimuth (north = 0°, east = 90°) — all from :mod:`pvlib.solarposition`."""
    from pvlib import irradiance, solarposition

    day, clock_h, _ = _axis(step_min)
    doy = day + 1.0
    declination = solarposition.declination_spencer71(doy)
    eot_min = solarposition.equation_of_time_spencer71(doy)
    solar_h = clock_h + (longitude_deg - 15.0 * tz_h) / 15.0 + eot_min / 60.0
    omega = np.radians(15.0 * (solar_h - 12.0))
    lat = math.radians(latitude_deg)
    zenith = solarposition.solar_zenith_analytical(lat, omega, declination)
    azimuth = solarposition.solar_azimuth_analytical(lat, omega, declination, zenith)
    cos_ws = np.clip(-math.tan(lat) * np.tan(declination), -1.0, 1.0)
    return _Sun(zenith_deg=np.degrees(zenith), azimuth_deg=np.degrees(azimuth) % 360.0, cos_zenith=np.cos(zenith),
                hour_angle_rad=omega, sunset_hour_angle_rad=np.arccos(cos_ws),
                declination_rad=np.asarray(declination, dtype=float),
                extra_wm2=np.asarray(irradiance.get_extra_radiation(doy), dtype=float))


def _daily_extraterrestrial_wh_m2(latitude_deg: float, sun: _Sun, per_day: int) -> np.ndarray:
    """Each day's extraterrestrial irradiation on a horizontal surface (Wh/m²), Duffie & Beckman
    eq. 1.10.3: ``H0 = (24/π)·G_on·(cos φ cos δ sin ωs + ωs sin φ sin δ)``."""
    lat = math.radians(latitude_deg)
    ws = sun.sunset_hour_angle_rad[::per_day]
    g_on = sun.extra_wm2[::per_day]
    declination = sun.declination_rad[::per_day]
    return (24.0 / np.pi) * g_on * (math.cos(lat) * np.cos(declination) * np.sin(ws)
                                    + ws * math.sin(lat) * np.sin(declination))


def _erbs_monthly_diffuse_fraction(kt: np.ndarray, sunset_hour_angle_rad: np.ndarray) -> np.ndarray:
    """Erbs, Klein & Duffie (1982), monthly-average days: ``H̄d/H̄`` from the clearness index ``K̄T``
    (Duffie & Beckman eq. 2.12.1): ``1.391 − 3.560 K̄T + 4.189 K̄T² − 2.137 K̄T³`` for ωs ≤ 81.4°,
    ``1.311 − 3.022 K̄T + 3.427 K̄T² − 1.821 K̄T³`` otherwise; ``K̄T`` held within the correlation's
    range 0.3 … 0.8."""
    k = np.clip(kt, 0.3, 0.8)
    short = 1.391 - 3.560 * k + 4.189 * k**2 - 2.137 * k**3
    long_ = 1.311 - 3.022 * k + 3.427 * k**2 - 1.821 * k**3
    return np.where(sunset_hour_angle_rad <= np.radians(81.4), short, long_)


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=float)
    a.flags.writeable = False
    return a


# --- the weather series ------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Weather:
    """A year of weather on the energy model's time axis (arrays are read-only, length ``n``).

    ``dry_bulb_c`` is the outdoor air temperature (°C), ``ghi_wm2`` / ``dni_wm2`` / ``dhi_wm2`` the
    global horizontal, direct normal and diffuse horizontal irradiance (W/m², mean over the step),
    ``solar_zenith_deg`` / ``solar_azimuth_deg`` the sun's position at the middle of the step
    (azimuth clockwise from north). ``zone`` is a :data:`CLIMATE_ZONES` code."""

    name: str
    label: Text
    source: str
    zone: str
    latitude_deg: float
    longitude_deg: float
    step_min: int
    dry_bulb_c: np.ndarray
    ghi_wm2: np.ndarray
    dni_wm2: np.ndarray
    dhi_wm2: np.ndarray
    solar_zenith_deg: np.ndarray
    solar_azimuth_deg: np.ndarray
    elevation_m: float = 0.0
    tz_h: float = 8.0
    year: int = 2027
    albedo: float = ALBEDO
    notes: tuple[str, ...] = field(default=())
    start_date: _dt.date | None = None
    """00:00 of this date is step 0 (see :meth:`starting`); None: 1 January of :attr:`year`."""

    @property
    def n(self) -> int:
        return len(self.dry_bulb_c)

    @property
    def step_h(self) -> float:
        return self.step_min / 60.0

    @property
    def start_day(self) -> int:
        """Days from 1 January to step 0 in the design year (29 February counts as 28 February)."""
        return 0 if self.start_date is None else _day_of_design_year(self.start_date)

    @property
    def month(self) -> np.ndarray:
        """The month (1 … 12) of each step."""
        return np.roll(_axis(self.step_min)[2], -self.start_day * (24 * 60 // self.step_min))

    @property
    def timestamps(self) -> np.ndarray:
        """The start of each step (``numpy.datetime64``, local standard time)."""
        first = self.start_date or _dt.date(self.year, 1, 1)
        start = np.datetime64(first, "D").astype("datetime64[m]")
        return start + np.arange(self.n) * np.timedelta64(self.step_min, "m")

    def irradiance_wm2(self, azimuth_deg: float, tilt_deg: float) -> np.ndarray:
        """Total irradiance on a surface facing ``azimuth_deg`` (clockwise from north: east 90,
        south 180, west 270) tilted ``tilt_deg`` from horizontal (a façade: 90; a roof: 0), W/m²
        per step: isotropic sky (Liu & Jordan), ground reflectance :attr:`albedo`."""
        from pvlib import irradiance

        if not (isinstance(azimuth_deg, (int, float)) and math.isfinite(azimuth_deg) and 0 <= azimuth_deg <= 360):
            raise ValueError(f"azimuth_deg {azimuth_deg!r}: a direction in degrees clockwise from north, 0 … 360")
        if not (isinstance(tilt_deg, (int, float)) and math.isfinite(tilt_deg) and 0 <= tilt_deg <= 180):
            raise ValueError(f"tilt_deg {tilt_deg!r}: a tilt from horizontal in degrees, 0 … 180 (a façade is 90)")
        total = irradiance.get_total_irradiance(tilt_deg, azimuth_deg, self.solar_zenith_deg, self.solar_azimuth_deg,
                                                self.dni_wm2, self.ghi_wm2, self.dhi_wm2, albedo=self.albedo,
                                                model="isotropic")
        return _readonly(np.nan_to_num(np.maximum(np.asarray(total["poa_global"], dtype=float), 0.0)))

    def monthly_mean(self, values: np.ndarray | None = None) -> np.ndarray:
        """Twelve monthly means (January … December) of ``values`` (the dry bulb by default)."""
        values = np.asarray(self.dry_bulb_c if values is None else values, dtype=float)
        if len(values) != self.n:
            raise ValueError(f"{len(values)} values: this weather has {self.n} steps")
        month = self.month
        return np.array([values[month == m].mean() for m in range(1, 13)])

    def monthly_ghi_kwh_m2(self) -> np.ndarray:
        """Twelve monthly sums of global horizontal irradiation (kWh/m²)."""
        month = self.month
        return np.array([self.ghi_wm2[month == m].sum() * self.step_h / 1000.0 for m in range(1, 13)])

    def resample(self, step_min: int) -> Weather:
        """The same year at another step (60, 30 or 15 min).

        Finer: the dry bulb is interpolated linearly (periodically) between the middles of the
        coarse steps; each coarse step's GHI and DHI energy is shared among its fine steps in
        proportion to the cosine of the sun's zenith at their middles (evenly when the sun is down
        at all of them), so every hour keeps its solar energy exactly; the DNI is the beam left,
        ``(GHI − DHI)/cos θz``. Coarser: means of the fine steps (an hour's energy kept)."""
        step = _check_step(step_min)
        if step == self.step_min:
            return self
        sun = _sun(self.latitude_deg, self.longitude_deg, self.tz_h, step)
        roll = -self.start_day * (24 * 60 // step)  # the sun of the rolled year (see starting())
        zenith, azimuth = np.roll(sun.zenith_deg, roll), np.roll(sun.azimuth_deg, roll)
        cos_zenith = np.roll(sun.cos_zenith, roll)
        if step < self.step_min:
            k = self.step_min // step
            coarse_h = (np.arange(self.n) + 0.5) * self.step_h
            fine_h = (np.arange(self.n * k) + 0.5) * step / 60.0
            dry = np.interp(fine_h, coarse_h, self.dry_bulb_c, period=DAYS * 24.0)
            w = np.maximum(cos_zenith, 0.0).reshape(self.n, k)
            sums = w.sum(axis=1, keepdims=True)
            share = np.where(sums > 0, w / np.where(sums > 0, sums, 1.0), 1.0 / k)
            ghi = (share * (self.ghi_wm2 * k)[:, None]).ravel()
            dhi = (share * (self.dhi_wm2 * k)[:, None]).ravel()
            beam_h = np.maximum(ghi - dhi, 0.0)
            dni = np.where(cos_zenith > 0.065, beam_h / np.maximum(cos_zenith, 0.065), 0.0)
            dhi = np.where(cos_zenith > 0.065, dhi, ghi)
        else:
            if step % self.step_min:
                raise ValueError(f"cannot resample {self.step_min}-min steps to {step} min")
            k = step // self.step_min

            def mean(a: np.ndarray) -> np.ndarray:
                return a.reshape(-1, k).mean(axis=1)

            dry, ghi, dhi = mean(self.dry_bulb_c), mean(self.ghi_wm2), mean(self.dhi_wm2)
            beam_h = np.maximum(ghi - dhi, 0.0)
            dni = np.where(cos_zenith > 0.065, beam_h / np.maximum(cos_zenith, 0.065), 0.0)
            dhi = np.where(cos_zenith > 0.065, dhi, ghi)
        return replace(self, step_min=step, dry_bulb_c=_readonly(dry), ghi_wm2=_readonly(ghi), dni_wm2=_readonly(dni),
                       dhi_wm2=_readonly(dhi), solar_zenith_deg=_readonly(zenith),
                       solar_azimuth_deg=_readonly(azimuth))

    def starting(self, start: _dt.date) -> Weather:
        """The same design year rolled so that step 0 is 00:00 of ``start`` (its day of the year;
        29 February counts as 28 February) and the year wraps round — for a run not starting on
        1 January. :attr:`month` and :attr:`timestamps` follow the new start."""
        shift = -(_day_of_design_year(start) - self.start_day) * (24 * 60 // self.step_min)
        arrays = {k: _readonly(np.roll(getattr(self, k), shift)) for k in _SERIES}
        return replace(self, start_date=None if (start.month, start.day) == (1, 1) and start.year == self.year
                       else start, **arrays)


_SERIES = ("dry_bulb_c", "ghi_wm2", "dni_wm2", "dhi_wm2", "solar_zenith_deg", "solar_azimuth_deg")


def _day_of_design_year(day: _dt.date) -> int:
    return (_dt.date(2027, day.month, min(day.day, 28) if day.month == 2 else day.day) - _dt.date(2027, 1, 1)).days


def monthly_means(values: np.ndarray, step_min: int) -> np.ndarray:
    """Twelve monthly means of a year of values at ``step_min`` steps starting on 1 January."""
    values = np.asarray(values, dtype=float)
    _, _, month = _axis(_check_step(step_min))
    if len(values) != len(month):
        raise ValueError(f"{len(values)} values: a year of {step_min}-min steps has {len(month)}")
    return np.array([values[month == m].mean() for m in range(1, 13)])


# --- building a design year from monthly figures ----------------------------------------------

def _smooth_through_monthly_means(monthly: Sequence[float], t_days: np.ndarray, month: np.ndarray) -> np.ndarray:
    """A smooth periodic curve ``f(t) = a0 + Σ₁⁵ (aₖ cos 2πkt/365 + bₖ sin 2πkt/365) + a6 cos 12πt/365``
    evaluated at ``t_days``, whose mean over the samples of each month equals ``monthly`` exactly
    (twelve coefficients for twelve means: a linear system on the sampled basis)."""
    phase = 2.0 * np.pi * t_days / DAYS
    basis = [np.ones_like(t_days)]
    for k in range(1, 6):
        basis += [np.cos(k * phase), np.sin(k * phase)]
    basis.append(np.cos(6 * phase))
    b = np.stack(basis, axis=1)
    a = np.stack([b[month == m].mean(axis=0) for m in range(1, 13)])
    coef = np.linalg.solve(a, np.asarray(monthly, dtype=float))
    return b @ coef


def _collares_pereira_rabl(sun: _Sun) -> np.ndarray:
    """Collares-Pereira & Rabl (1979): the hourly share of a day's global irradiation is
    ``(π/24)(a + b cos ω)(cos ω − cos ωs)/(sin ωs − ωs cos ωs)``, with ``a = 0.409 + 0.5016 sin(ωs − 60°)``
    and ``b = 0.6609 − 0.4767 sin(ωs − 60°)``; returned unnormalised, ``∝ (a + b cos ω)·max(cos θz, 0)``."""
    ws = sun.sunset_hour_angle_rad
    a = 0.409 + 0.5016 * np.sin(ws - np.pi / 3)
    b = 0.6609 - 0.4767 * np.sin(ws - np.pi / 3)
    return np.maximum(a + b * np.cos(sun.hour_angle_rad), 0.0) * np.maximum(sun.cos_zenith, 0.0)


def _design_year(info: ClimateInfo, step_min: int, year: int) -> Weather:
    day, clock_h, month = _axis(step_min)
    per_day = 24 * 60 // step_min
    t_days = day + clock_h / 24.0
    daily_mean_c = _smooth_through_monthly_means(info.mean_c, t_days, month)
    day_month = month[::per_day]
    day_mid = np.arange(DAYS) + 0.5
    range_c = _smooth_through_monthly_means(info.daily_range_c, day_mid, day_month)
    solar_h = clock_h + (info.longitude_deg - 15.0 * info.tz_h) / 15.0
    swing = np.cos(2.0 * np.pi * (solar_h - _DIURNAL_PEAK_SOLAR_H) / 24.0)
    swing = swing - swing.reshape(DAYS, per_day).mean(axis=1).repeat(per_day)  # zero mean every day, exactly
    dry = daily_mean_c + 0.5 * np.repeat(range_c, per_day) * swing

    sun = _sun(info.latitude_deg, info.longitude_deg, info.tz_h, step_min)
    daily_kwh = _smooth_through_monthly_means(info.ghi_kwh_m2_day, day_mid, day_month)
    if np.any(daily_kwh <= 0):
        raise ValueError(f"climate {info.name}: the smooth curve through the monthly irradiation goes negative")
    step_h = step_min / 60.0
    global_share = _collares_pereira_rabl(sun).reshape(DAYS, per_day)
    global_share /= global_share.sum(axis=1, keepdims=True)
    ghi = (global_share * (daily_kwh * 1000.0 / step_h)[:, None]).ravel()
    # the day's diffuse part (Erbs, monthly-average days), spread as Liu & Jordan's r_d ∝ cos θz
    kt = daily_kwh * 1000.0 / _daily_extraterrestrial_wh_m2(info.latitude_deg, sun, per_day)
    if np.any(kt > 0.85) or np.any(range_c <= 0):
        raise ValueError(f"climate {info.name}: a daily irradiation above 85 % of the extraterrestrial or a daily "
                         "range ≤ 0 — check the monthly figures")
    daily_diffuse_wh = _erbs_monthly_diffuse_fraction(kt, sun.sunset_hour_angle_rad[::per_day]) * daily_kwh * 1000.0
    diffuse_share = np.maximum(sun.cos_zenith, 0.0).reshape(DAYS, per_day)
    diffuse_share /= diffuse_share.sum(axis=1, keepdims=True)
    dhi = np.minimum((diffuse_share * (daily_diffuse_wh / step_h)[:, None]).ravel(), ghi)
    beam_h = ghi - dhi
    low = sun.cos_zenith < 0.065  # the sun within 4° of the horizon: its beam counted as diffuse
    dhi = np.where(low, ghi, dhi)
    dni = np.where(low, 0.0, beam_h / np.maximum(sun.cos_zenith, 0.065))
    return Weather(name=info.name, label=info.label, source=info.source, zone=info.zone,
                   latitude_deg=info.latitude_deg, longitude_deg=info.longitude_deg, step_min=step_min,
                   dry_bulb_c=_readonly(dry), ghi_wm2=_readonly(ghi), dni_wm2=_readonly(dni), dhi_wm2=_readonly(dhi),
                   solar_zenith_deg=_readonly(sun.zenith_deg), solar_azimuth_deg=_readonly(sun.azimuth_deg),
                   elevation_m=info.elevation_m, tz_h=info.tz_h, year=year,
                   notes=("synthetic design year from monthly normals: no day-to-day weather",))


@functools.lru_cache(maxsize=32)
def _cached_climate(name: str, step_min: int, year: int) -> Weather:
    return _design_year(BUILTIN_CLIMATES[name], step_min, year)


def climate(name: str, step_min: int = 60, year: int = 2027) -> Weather:
    """The built-in design year of ``name`` (:data:`BUILTIN_CLIMATES`) at ``step_min`` steps.

    Raises :class:`UnknownClimateError` (listing the known names) for any other name."""
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in BUILTIN_CLIMATES:
        raise UnknownClimateError(name)
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2200:
        raise ValueError(f"year {year!r}: a calendar year, 1900 … 2200")
    return _cached_climate(key, _check_step(step_min), year)


# --- EPW files ----------------------------------------------------------------------------------

EPW_FIELDS = ("year", "month", "day", "hour", "minute", "data source and uncertainty flags", "dry bulb temperature",
              "dew point temperature", "relative humidity", "atmospheric station pressure",
              "extraterrestrial horizontal radiation", "extraterrestrial direct normal radiation",
              "horizontal infrared radiation intensity", "global horizontal radiation", "direct normal radiation",
              "diffuse horizontal radiation", "global horizontal illuminance", "direct normal illuminance",
              "diffuse horizontal illuminance", "zenith luminance", "wind direction", "wind speed", "total sky cover",
              "opaque sky cover", "visibility", "ceiling height", "present weather observation",
              "present weather codes", "precipitable water", "aerosol optical depth", "snow depth",
              "days since last snowfall", "albedo", "liquid precipitation depth", "liquid precipitation quantity")
"""The 35 fields of an EPW data line (EnergyPlus Auxiliary Programs, "Weather Data Format"); column = index + 1."""
_EPW_HEADER = ("LOCATION", "DESIGN CONDITIONS", "TYPICAL/EXTREME PERIODS", "GROUND TEMPERATURES",
               "HOLIDAYS/DAYLIGHT SAVINGS", "COMMENTS 1", "COMMENTS 2", "DATA PERIODS")
# column (1-based) → (lower bound, upper bound, the format's "missing" value)
_EPW_READ = {7: (-70.0, 70.0, 99.9), 14: (0.0, 1500.0, 9999.0), 15: (0.0, 1500.0, 9999.0), 16: (0.0, 1000.0, 9999.0)}
_LOCATION = {7: ("latitude", -90.0, 90.0), 8: ("longitude", -180.0, 180.0), 9: ("time zone", -12.0, 14.0),
             10: ("elevation", -1000.0, 9999.9)}


def read_epw(path: str | Path, step_min: int = 60) -> Weather:
    """A year of weather from an EPW file, resampled to ``step_min``.

    Raises :class:`WeatherFileError` naming the file, the line and the column (with its EPW field
    name) of the first malformed, out-of-range or missing value, a missing column, a line out of
    the hour-by-hour sequence or a missing header line. A leap year's 29 February is dropped with a
    :class:`WeatherWarning` giving the count of rows dropped."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_EPW_BYTES:
            raise WeatherFileError.at(path.name, 1, None, "", f"larger than {MAX_EPW_BYTES // 2**20} MiB: not an EPW file")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise WeatherFileError([SpecIssue(str(path), "(file)", "no such file")]) from None
    except IsADirectoryError:
        raise WeatherFileError([SpecIssue(str(path), "(file)", "is a directory, not a file")]) from None
    except OSError as exc:
        raise WeatherFileError([SpecIssue(str(path), "(file)", f"cannot be read: {exc.strerror}")]) from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = raw.decode("latin-1")  # older EPW files carry station names in Latin-1
    return parse_epw(content, path.name, step_min=step_min)


def _number(cell: str, file: str, line: int, column: int, name: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise WeatherFileError.at(file, line, column, name, f"{cell.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise WeatherFileError.at(file, line, column, name, f"{cell.strip()!r} is not a finite number")
    return value


def _whole(cell: str, file: str, line: int, column: int) -> int:
    value = _number(cell, file, line, column, EPW_FIELDS[column - 1])
    if value != int(value):
        raise WeatherFileError.at(file, line, column, EPW_FIELDS[column - 1], f"{cell.strip()!r} is not a whole number")
    return int(value)


def _epw_data_fast(rows: list[list[str]]) -> tuple[np.ndarray, int] | None:
    """The data lines read column-wise with numpy when the file is sound (the usual case, ~10× faster);
    None at the first sign of a problem, for :func:`_epw_data_checked` to find and name it."""
    data = [r for r in rows[8:] if r and any(c.strip() for c in r)]
    if any(len(r) != len(EPW_FIELDS) for r in data):
        return None
    try:
        table = np.array([[r[1], r[2], r[3], r[6], r[13], r[14], r[15]] for r in data], dtype=float)
    except ValueError:
        return None
    if table.ndim != 2 or not np.all(np.isfinite(table)):
        return None
    leap = (table[:, 0] == 2) & (table[:, 1] == 29)
    table = table[~leap]
    day, clock_h, month = _axis(60)
    if len(table) != len(month):
        return None
    day_of_month = day + 1 - np.repeat(np.cumsum((0,) + MONTH_DAYS[:-1]), np.array(MONTH_DAYS) * 24)
    if not (np.array_equal(table[:, 0], month) and np.array_equal(table[:, 1], day_of_month)
            and np.array_equal(table[:, 2], clock_h + 0.5)):
        return None
    for j, (column, (low, high, missing)) in enumerate(_EPW_READ.items(), start=3):
        v = table[:, j]
        if np.any(v == missing) or np.any(v < low) or np.any(v > high) or (column == 7 and np.any(v >= 99.9)):
            return None
    return np.ascontiguousarray(table[:, 3:]), int(leap.sum())


def _epw_data_checked(rows: list[list[str]], file: str) -> tuple[np.ndarray, int]:
    """The data lines read one by one, each value checked: raises at the first problem, by line and column."""
    values = np.empty((DAYS * 24, 4))
    expected = [(m, d, h) for m, days in enumerate(MONTH_DAYS, 1) for d in range(1, days + 1) for h in range(1, 25)]
    k = 0
    dropped = 0
    for line, row in enumerate(rows[8:], start=9):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) < len(EPW_FIELDS):
            column = len(row) + 1
            raise WeatherFileError.at(file, line, column, EPW_FIELDS[column - 1],
                                      f"{len(row)} columns, an EPW data line has {len(EPW_FIELDS)}: "
                                      f"column {column} ({EPW_FIELDS[column - 1]}) onwards is missing")
        if len(row) > len(EPW_FIELDS) and any(c.strip() for c in row[len(EPW_FIELDS):]):
            raise WeatherFileError.at(file, line, len(EPW_FIELDS) + 1, "",
                                      f"{len(row)} columns, an EPW data line has {len(EPW_FIELDS)}: column "
                                      f"{len(EPW_FIELDS) + 1} is extra (a stray comma shifts every field after it)")
        month, day, hour = (_whole(row[c - 1], file, line, c) for c in (2, 3, 4))
        if (month, day) == (2, 29):
            dropped += 1
            continue
        if k >= len(expected):
            raise WeatherFileError.at(file, line, None, "", f"more than {len(expected)} hourly lines (a year of "
                                      f"{DAYS} days{', after dropping 29 February' if dropped else ''})")
        want = expected[k]
        for column, got, exp in zip((2, 3, 4), (month, day, hour), want, strict=True):
            if got != exp:
                raise WeatherFileError.at(file, line, column, EPW_FIELDS[column - 1],
                                          f"{got} out of sequence: expected month {exp if column == 2 else want[0]}, "
                                          f"day {want[1]}, hour {want[2]} (hour 1 is 00:00–01:00)")
        for j, (column, (low, high, missing)) in enumerate(_EPW_READ.items()):
            name = EPW_FIELDS[column - 1]
            value = _number(row[column - 1], file, line, column, name)
            if value == missing or (column == 7 and value >= 99.9):
                raise WeatherFileError.at(file, line, column, name,
                                          f"{row[column - 1].strip()} is EPW's 'missing' value; fill the gap first")
            if not low <= value <= high:
                raise WeatherFileError.at(file, line, column, name, f"{value:g} is outside {low:g} … {high:g}")
            values[k, j] = value
        k += 1
    if k < len(expected):
        m, d, h = expected[k]
        raise WeatherFileError.at(file, len(rows) + 1, None, "",
                                  f"the file ends after {k} hourly lines: {len(expected)} expected "
                                  f"(first missing: month {m}, day {d}, hour {h})")
    return values, dropped


def parse_epw(content: str, file: str = "<epw>", step_min: int = 60) -> Weather:
    """:func:`read_epw` on the text of a file (``file`` names it in errors)."""
    step = _check_step(step_min)
    rows = list(csv.reader(io.StringIO(content)))
    for i, key in enumerate(_EPW_HEADER):
        if i >= len(rows) or not rows[i] or rows[i][0].strip().upper() != key:
            found = repr(rows[i][0].strip()[:40]) if i < len(rows) and rows[i] else "nothing"
            raise WeatherFileError.at(file, i + 1, 1, "", f"expected the EPW header line {key!r}, found {found}")
    location = rows[0]
    if len(location) < 10:
        raise WeatherFileError.at(file, 1, len(location) + 1, _LOCATION.get(len(location) + 1, ("",))[0] or "",
                                  f"LOCATION has {len(location)} fields, expected 10 "
                                  "(city, state, country, source, WMO, latitude, longitude, time zone, elevation)")
    site: dict[str, float] = {}
    for column, (name, low, high) in _LOCATION.items():
        value = _number(location[column - 1], file, 1, column, name)
        if not low <= value <= high:
            raise WeatherFileError.at(file, 1, column, name, f"{value:g} is outside {low:g} … {high:g}")
        site[name] = value
    periods = rows[7]
    if len(periods) > 2 and periods[2].strip() and periods[2].strip() != "1":
        raise WeatherFileError.at(file, 8, 3, "records per hour",
                                  f"{periods[2].strip()} records per hour: only hourly EPW files (1) are read")

    fast = _epw_data_fast(rows)
    values, dropped = fast if fast is not None else _epw_data_checked(rows, file)
    if dropped:
        warnings.warn(WeatherWarning(f"{file}: {dropped} rows of 29 February dropped (the model's year has 365 days)"),
                      stacklevel=3)

    lat, lon, tz = site["latitude"], site["longitude"], site["time zone"]
    sun = _sun(lat, lon, tz, 60)
    city = location[1].strip() or Path(file).stem
    monthly = monthly_means(values[:, 0], 60)
    weather = Weather(name=Path(file).stem, label=text(f"{city} (EPW)", f"{city}（EPW）"),
                      source=f"EPW file {file}" + (f" ({location[4].strip()})" if location[4].strip() else ""),
                      zone=climate_zone(monthly), latitude_deg=lat, longitude_deg=lon, step_min=60,
                      dry_bulb_c=_readonly(values[:, 0]), ghi_wm2=_readonly(values[:, 1]),
                      dni_wm2=_readonly(values[:, 2]), dhi_wm2=_readonly(values[:, 3]),
                      solar_zenith_deg=_readonly(sun.zenith_deg), solar_azimuth_deg=_readonly(sun.azimuth_deg),
                      elevation_m=site["elevation"], tz_h=tz,
                      notes=(f"{dropped} rows of 29 February dropped",) if dropped else ())
    return weather.resample(step)


def write_epw(weather: Weather, path: str | Path, *, city: str | None = None, comment: str = "") -> Path:
    """Write ``weather`` (resampled to hourly) as an EPW file: the eight header lines, then 8,760
    data lines with the 35 fields; the fields this model does not have carry the format's
    "missing" values. The dry bulb is written to 0.1 °C and the irradiances to 1 Wh/m²."""
    hourly = weather.resample(60)
    path = Path(path)
    year = hourly.year
    weekday = _dt.date(year, 1, 1).strftime("%A")
    name = city or hourly.name.capitalize()
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\n")
    write.writerow(["LOCATION", name, "-", "CHN", "Building Twin", "999999", f"{hourly.latitude_deg:.2f}",
                    f"{hourly.longitude_deg:.2f}", f"{hourly.tz_h:.1f}", f"{hourly.elevation_m:.1f}"])
    write.writerow(["DESIGN CONDITIONS", "0"])
    write.writerow(["TYPICAL/EXTREME PERIODS", "0"])
    write.writerow(["GROUND TEMPERATURES", "0"])
    write.writerow(["HOLIDAYS/DAYLIGHT SAVINGS", "No", "0", "0", "0"])
    write.writerow(["COMMENTS 1", (comment or f"written by Building Twin from the weather {hourly.name!r}").replace(",", ";")])
    write.writerow(["COMMENTS 2", hourly.source.replace(",", ";")[:500]])
    write.writerow(["DATA PERIODS", "1", "1", "Data", weekday, " 1/ 1", "12/31"])
    k = 0
    for month, days in enumerate(MONTH_DAYS, 1):
        for day in range(1, days + 1):
            for hour in range(1, 25):
                out.write(f"{year},{month},{day},{hour},60,-,{hourly.dry_bulb_c[k]:.1f},99.9,999,999999,9999,9999,"
                          f"9999,{hourly.ghi_wm2[k]:.0f},{hourly.dni_wm2[k]:.0f},{hourly.dhi_wm2[k]:.0f},"
                          "999999,999999,999999,9999,999,999,99,99,9999,99999,9,999999999,999,.999,999,99,999,999,99\n")
                k += 1
    path.write_text(out.getvalue(), encoding="utf-8")
    return path
