"""Calibration: fitting the energy model's chosen parameters to what the building's meters say.

A model of a building's common-area loads starts from nameplates and assumptions; the bills and
the sub-meters say what the building actually used. Calibration adjusts a few uncertain
parameters — the lighting's hours, an air-handling unit's set-point, the fixed loads, the lifts'
trips — within physically plausible bounds until the modelled consumption matches the metered,
and then says how well it matches with the figures of ASHRAE Guideline 14 (Measurement of Energy,
Demand and Water Savings), which an auditor reads:

* **NMBE**, the normalised mean bias error — does the model over- or under-predict on the whole::

      NMBE = Σ (mᵢ − sᵢ) / ((n − p) · m̄)

* **CV(RMSE)**, the coefficient of variation of the root mean square error — does it follow the
  meter period by period::

      CV(RMSE) = √( Σ (mᵢ − sᵢ)² / (n − p) ) / m̄

  with mᵢ the metered and sᵢ the modelled value of period i, n the periods, p the parameters
  fitted and m̄ the metered mean. A model is *calibrated* when CV(RMSE) ≤ 15 % and |NMBE| ≤ 5 %
  on monthly data, CV(RMSE) ≤ 30 % and |NMBE| ≤ 10 % on hourly data (REFERENCES.md "Energy"). The
  guideline judges a whole-building meter; with sub-meters the verdict here asks it of their total
  and of each sub-meter (:attr:`CalibrationResult.passed`).

The fit is :func:`scipy.optimize.least_squares` (trust-region reflective, the parameters held
within their bounds) on each meter's residuals divided by that meter's metered mean, so a
lighting sub-meter of 30 kW counts as much as a pump meter of 3 kW. Bounds are what keeps the fit
honest: on data the model cannot explain (a meter of another building, a load the model does not
have) no plausible parameters match, the residuals stay large and the verdict fails — the fit
does not bend into nonsense to pass. A parameter that ends on a bound is named in the result.

Metered data come from a CSV file (:func:`read_meter_csv`: ``timestamp,meter,kwh`` or
``timestamp,meter,m3`` — interval data or monthly bills, the format of docs/energy-files.md) or
from the live twin's history (:func:`meter_history`: the cumulative ``energy_kwh`` / ``volume_m3``
the meters report, read from the SQLite history written by :mod:`twin.live.history`). Both give a
:class:`MeterData`: per meter, the consumption of each hour (or each month) of the model's year.
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
from scipy.optimize import least_squares

from twin.errors import SpecError, SpecIssue

__all__ = ["MeterFileError", "MeterGapWarning", "MeterData", "read_meter_csv", "parse_meter_csv", "meter_history",
           "G14_LIMITS", "Fit", "g14", "monthly_sums", "hourly_sums", "CalibrationResult", "calibrate",
           "month_index"]

Resolution = Literal["hourly", "monthly"]

G14_LIMITS: dict[str, tuple[float, float]] = {"monthly": (0.15, 0.05), "hourly": (0.30, 0.10)}
"""ASHRAE Guideline 14: (CV(RMSE) at most, |NMBE| at most) by resolution of the data."""

MAX_METER_FILE_BYTES = 64 * 2**20
_METER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_UNITS = {"kwh": "kwh", "m3": "m3", "m³": "m3"}


class MeterFileError(SpecError):
    """A meter file that cannot be read: names the file, the line and the column."""

    @classmethod
    def at(cls, file: str, line: int, column: int, name: str, message: str) -> "MeterFileError":
        where = f"line {line}, column {column}" + (f" ({name})" if name else "")
        return cls([SpecIssue(file, where, message)])


class MeterGapWarning(UserWarning):
    """Metered data with missing periods (they are left out of the fit and the figures) or rows dropped."""


@dataclass(frozen=True)
class MeterData:
    """Metered consumption on the model's time axis.

    ``resolution`` is ``hourly`` (``values[meter]`` has one entry per hour of the model's year) or
    ``monthly`` (12 entries, January … December of the year starting at ``start``: a bill is
    counted in the month its period starts). NaN marks a period without a reading (a gap).
    ``unit[meter]`` is ``kwh`` or ``m3``."""

    source: str
    resolution: Resolution
    start: date
    values: Mapping[str, np.ndarray]
    unit: Mapping[str, str]
    notes: tuple[str, ...] = ()

    @property
    def meters(self) -> list[str]:
        return list(self.values)


# --- reading metered data ---------------------------------------------------------------------

def _parse_timestamp(raw: str) -> tuple[datetime, bool]:
    """(time, is_month): ``2027-01`` is a month (a bill); ``2027-01-31``, ``2027-01-31T13:00``,
    ``2027-01-31 13:00:00`` an instant (interval data: the start of the interval)."""
    s = raw.strip()
    if re.fullmatch(r"\d{4}-\d{2}", s):
        return datetime.strptime(s, "%Y-%m"), True
    s = s.replace(" ", "T").removesuffix("Z")
    return datetime.fromisoformat(s).replace(tzinfo=None), False


def month_index(start: date, when: datetime | date) -> int:
    """Months from the month of ``start`` (0 … 11 inside the model's year)."""
    return (when.year - start.year) * 12 + when.month - start.month


def parse_meter_csv(text_: str, name: str, start: date, *, days: int = 365) -> MeterData:
    """:func:`read_meter_csv` on text already read (``name`` for messages)."""
    rows = list(csv.reader(io.StringIO(text_)))
    if not rows:
        raise MeterFileError.at(name, 1, 1, "", "empty file: expected the header timestamp,meter,kwh (or m3)")
    header = [h.strip().lower() for h in rows[0]]
    if len(header) != 3:
        raise MeterFileError.at(name, 1, min(len(header), 3) + (len(header) < 3), "",
                                f"expected 3 columns timestamp,meter,kwh (or m3), found {len(header)}")
    for col, want in ((0, "timestamp"), (1, "meter")):
        if header[col] != want:
            raise MeterFileError.at(name, 1, col + 1, header[col], f"expected the column {want!r}")
    unit = _UNITS.get(header[2])
    if unit is None:
        raise MeterFileError.at(name, 1, 3, header[2],
                                f"unit {rows[0][2].strip()!r} is not energy (kwh) or water volume (m3): "
                                "convert power (kW) or other units to kWh per period first")
    stamps: dict[str, list[tuple[datetime, bool, float, int]]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != 3:
            raise MeterFileError.at(name, line, min(len(row), 3) + (len(row) < 3), "",
                                    f"expected 3 columns, found {len(row)}")
        try:
            when, is_month = _parse_timestamp(row[0])
        except ValueError:
            raise MeterFileError.at(name, line, 1, "timestamp", f"{row[0]!r} is not a date and time "
                                    "(2027-01-31T13:00) or a month (2027-01)") from None
        meter = row[1].strip()
        if not _METER_ID.fullmatch(meter):
            raise MeterFileError.at(name, line, 2, "meter", f"{meter!r} is not a meter id ([A-Za-z0-9_-], ≤ 64)")
        try:
            value = float(row[2])
        except ValueError:
            raise MeterFileError.at(name, line, 3, unit, f"{row[2]!r} is not a number") from None
        if not math.isfinite(value) or value < 0:
            raise MeterFileError.at(name, line, 3, unit, f"{row[2].strip()} is not a consumption (finite, ≥ 0)")
        stamps.setdefault(meter, []).append((when, is_month, value, line))
    if not stamps:
        raise MeterFileError.at(name, 2, 1, "", "no readings after the header")
    kinds = {is_month for rows_ in stamps.values() for _, is_month, _, _ in rows_}
    if len(kinds) > 1:
        first = next(ln for rows_ in stamps.values() for _, m, _, ln in rows_ if m)
        raise MeterFileError.at(name, first, 1, "timestamp", "months (bills) mixed with interval readings in one file")
    monthly = kinds == {True}
    t0 = datetime(start.year, start.month, start.day)
    values: dict[str, np.ndarray] = {}
    notes: list[str] = []
    outside = 0
    if monthly:
        for meter, rows_ in stamps.items():
            v = np.full(12, np.nan)
            for when, _, value, line in rows_:
                k = month_index(start, when)
                if not 0 <= k < 12:
                    outside += 1
                    continue
                if not math.isnan(v[k]):
                    raise MeterFileError.at(name, line, 1, "timestamp", f"a second bill of {meter} for {when:%Y-%m}")
                v[k] = value
            values[meter] = v
        resolution: Resolution = "monthly"
    else:
        n_h = days * 24
        for meter, rows_ in stamps.items():
            rows_.sort(key=lambda r: r[0])
            steps = np.diff([r[0] for r in rows_])
            step = min(steps) if len(steps) else timedelta(hours=1)
            step_min = step.total_seconds() / 60
            if step_min not in (15, 30, 60):
                raise MeterFileError.at(name, rows_[1][3], 1, "timestamp",
                                        f"meter {meter}: readings {step_min:g} min apart; interval data must be "
                                        "15-, 30- or 60-minute")
            v = np.zeros(n_h)
            seen = np.zeros(n_h, dtype=bool)
            for when, _, value, line in rows_:
                off_h = (when - t0).total_seconds() / 3600
                k = math.floor(off_h)
                if not 0 <= k < n_h:
                    outside += 1
                    continue
                if (off_h * 60) % step_min:
                    raise MeterFileError.at(name, line, 1, "timestamp",
                                            f"{when.isoformat()} is not on the {step_min:g}-minute grid of {meter}")
                v[k] += value
                seen[k] = True
            # An hour is complete when every interval in it was read.
            per_h = int(round(60 / step_min))
            counts = np.zeros(n_h, dtype=int)
            for when, _, _, _ in rows_:
                k = math.floor((when - t0).total_seconds() / 3600)
                if 0 <= k < n_h:
                    counts[k] += 1
            first = int(np.argmax(seen)) if seen.any() else 0
            last = n_h - 1 - int(np.argmax(seen[::-1])) if seen.any() else -1
            incomplete = (counts != per_h)
            incomplete[:first] = False
            incomplete[last + 1:] = False
            v[~seen] = np.nan
            v[incomplete] = np.nan
            v[:first] = np.nan
            v[last + 1:] = np.nan
            gaps = int(incomplete.sum())
            if gaps:
                msg = (f"{name}: meter {meter}: {gaps} hour(s) between {rows_[0][0]:%Y-%m-%d %H:%M} and "
                       f"{rows_[-1][0]:%Y-%m-%d %H:%M} without a complete reading (a gap): left out of the fit")
                warnings.warn(MeterGapWarning(msg), stacklevel=2)
                notes.append(msg)
            values[meter] = v
        resolution = "hourly"
    if outside:
        msg = (f"{name}: {outside} row(s) outside the model's year from {start.isoformat()} "
               f"({days} days) dropped")
        warnings.warn(MeterGapWarning(msg), stacklevel=2)
        notes.append(msg)
    if all(np.isnan(v).all() for v in values.values()):
        raise MeterFileError.at(name, 2, 1, "timestamp",
                                f"no reading falls in the model's year from {start.isoformat()}: set start_date")
    if monthly:
        for meter, v in values.items():
            missing = [i + 1 for i in range(12) if math.isnan(v[i])]
            if missing and not np.isnan(v).all():
                msg = f"{name}: meter {meter}: no bill for month(s) {', '.join(map(str, missing))} of the year"
                warnings.warn(MeterGapWarning(msg), stacklevel=2)
                notes.append(msg)
    return MeterData(name, resolution, start, values, {m: unit for m in values}, tuple(notes))


def read_meter_csv(path: str | Path, start: date, *, days: int = 365) -> MeterData:
    """Metered data from a CSV file ``timestamp,meter,kwh`` (or ``m3``), interval data or monthly
    bills, on the model's year from ``start``.

    Interval readings (15, 30 or 60 min; the timestamp is the start of the interval, local time)
    are summed into hours; an hour not completely read is a gap: left out of the fit and the
    figures, with a :class:`MeterGapWarning` counting them. Bills are ``2027-03,MTR-E-LTG,41250``
    (the month, the meter, the consumption). A malformed file raises :class:`MeterFileError`
    naming the file, line and column; a unit that is not energy or water volume (``kw``) too."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_METER_FILE_BYTES:
            raise MeterFileError.at(path.name, 1, 1, "", f"larger than {MAX_METER_FILE_BYTES // 2**20} MiB")
        raw = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise SpecError.single(str(path), "(file)", "no such meter file") from None
    except UnicodeDecodeError as exc:
        raise MeterFileError.at(path.name, 1, 1, "", f"not UTF-8 text (byte {exc.start})") from None
    return parse_meter_csv(raw, path.name, start, days=days)


def meter_history(history, meters: Sequence[str], start: date, *, days: int = 365, tz: str = "Asia/Shanghai"
                  ) -> MeterData:
    """Hourly consumption of ``meters`` from the live twin's history (:class:`twin.live.history.History`).

    A meter reports its cumulative reading (``energy_kwh``, or ``volume_m3`` for water) about once
    a minute; the consumption of hour k is the last reading of hour k less the last of hour k − 1
    (an hour with no reading, or the hour after one, is a gap). A reading that goes down (a meter
    replaced or reset) makes that hour a gap too. Hours are local time of the building (``tz``)
    counted from 00:00 of ``start``."""
    from zoneinfo import ZoneInfo

    t0 = datetime(start.year, start.month, start.day, tzinfo=ZoneInfo(tz))
    start_ms = int(t0.timestamp() * 1000)
    n = days * 24
    end_ms = start_ms + n * 3_600_000
    values: dict[str, np.ndarray] = {}
    units: dict[str, str] = {}
    notes: list[str] = []
    for meter in meters:
        unit, point = "kwh", "energy_kwh"
        series = history.series(meter, point, start_ms - 3_600_000, end_ms, bucket_s=3600)
        if not series:
            unit, point = "m3", "volume_m3"
            series = history.series(meter, point, start_ms - 3_600_000, end_ms, bucket_s=3600)
        last = np.full(n + 1, np.nan)  # last reading of hours -1 … n-1
        for p in series:
            k = int(round((p.ts_ms - (start_ms - 3_600_000)) / 3_600_000))
            if 0 <= k <= n and p.max is not None:
                last[k] = float(p.max)
        v = np.diff(last)
        v[v < 0] = np.nan
        values[meter] = v
        units[meter] = unit
        read = int(np.isfinite(v).sum())
        if read == 0:
            notes.append(f"meter {meter}: no readings in the history for the year from {start.isoformat()}")
        else:
            notes.append(f"meter {meter}: {read} hour(s) read from the live history")
    if all(np.isnan(v).all() for v in values.values()):
        raise ValueError(f"the live history has no meter readings of {', '.join(meters)} in the year from "
                         f"{start.isoformat()} ({days} days): run the twin longer or set start_date")
    return MeterData("live history", "hourly", start, values, units, tuple(notes))


# --- figures of fit -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Fit:
    """Guideline 14's figures for one series: CV(RMSE) and NMBE as fractions, and the verdict."""

    resolution: Resolution
    n: int
    cv_rmse: float
    nmbe: float
    cv_limit: float
    nmbe_limit: float

    @property
    def passed(self) -> bool:
        return bool(self.n > 0 and self.cv_rmse <= self.cv_limit and abs(self.nmbe) <= self.nmbe_limit)


def g14(measured: np.ndarray, modelled: np.ndarray, resolution: Resolution, n_params: int = 0) -> Fit:
    """CV(RMSE) and NMBE of ``modelled`` against ``measured`` (periods with NaN left out), with
    ``n_params`` the parameters fitted (n − p in the denominators, as Guideline 14 writes them)."""
    m = np.asarray(measured, dtype=float)
    s = np.asarray(modelled, dtype=float)
    ok = np.isfinite(m) & np.isfinite(s)
    m, s = m[ok], s[ok]
    n = int(m.size)
    cv_limit, nmbe_limit = G14_LIMITS[resolution]
    dof = n - n_params
    mean = float(m.mean()) if n else 0.0
    if dof <= 0 or mean <= 0:
        return Fit(resolution, n, math.inf, math.inf, cv_limit, nmbe_limit)
    resid = m - s
    return Fit(resolution, n, math.sqrt(float(resid @ resid) / dof) / mean, float(resid.sum()) / (dof * mean),
               cv_limit, nmbe_limit)


def monthly_sums(hourly: np.ndarray, start: date) -> np.ndarray:
    """Sums of an hourly series (length 24·days) by calendar month of the year from ``start``
    (12 entries; a month with any NaN hour is NaN)."""
    days = hourly.size // 24
    month = np.array([month_index(start, start + timedelta(days=d)) for d in range(days)])
    month = np.repeat(month, 24)
    out = np.full(12, np.nan)
    for k in range(12):
        sel = hourly[month == k]
        if sel.size:
            out[k] = sel.sum()
    return out


def hourly_sums(per_step: np.ndarray, step_min: int) -> np.ndarray:
    """An energy series per step (60 or 15 min) summed into hours."""
    per_h = 60 // step_min
    return per_step if per_h == 1 else per_step.reshape(-1, per_h).sum(axis=1)


# --- the fit ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CalibrationResult:
    """What a calibration found: the parameters before and after, the fit before and after, the
    modelled and metered series for the plots, and whether the model is calibrated."""

    names: tuple[str, ...]
    initial: tuple[float, ...]
    fitted: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    at_bound: tuple[str, ...]
    resolution: Resolution
    fits: Mapping[str, Fit]            # "total" and each meter, at the data's resolution, after the fit
    fits_monthly: Mapping[str, Fit]    # the same, on monthly sums (hourly data gives both)
    before: Mapping[str, Fit]          # "total" and each meter before the fit, at the data's resolution
    measured: Mapping[str, np.ndarray]
    modelled: Mapping[str, np.ndarray]
    evaluations: int
    success: bool
    message: str
    notes: tuple[str, ...] = field(default=())

    @property
    def passed_before(self) -> bool:
        """Whether the parameters as given, before the fit, already met Guideline 14 (total and each meter)."""
        return all(f.passed for f in self.before.values())

    @property
    def monthly_assessable(self) -> bool:
        """Enough complete months to judge the monthly figures: more than the parameters fitted."""
        return self.fits_monthly["total"].n > len(self.names)

    @property
    def passed(self) -> bool:
        """Calibrated by Guideline 14: the total of the meters and each meter pass at the data's
        resolution and, for hourly data covering more complete months than parameters, monthly too.
        Each meter, not only the total: a large flat load (corridor lights burning all night) must not
        hide a meter the model does not follow."""
        ok = all(f.passed for f in self.fits.values())
        if self.resolution == "hourly" and self.monthly_assessable:
            ok = ok and all(f.passed for f in self.fits_monthly.values())
        return ok


def _aggregate(hourly: np.ndarray, resolution: Resolution, start: date) -> np.ndarray:
    return monthly_sums(hourly, start) if resolution == "monthly" else hourly


def calibrate(simulate: Callable[[np.ndarray], Mapping[str, np.ndarray]], data: MeterData,
              names: Sequence[str], initial: Sequence[float], lower: Sequence[float], upper: Sequence[float],
              *, max_evaluations: int = 200) -> CalibrationResult:
    """Fit ``names`` (starting at ``initial``, within [``lower``, ``upper``]) so that
    ``simulate(x)`` — the modelled hourly consumption of each metered meter for parameters ``x``
    — matches ``data``.

    Residuals are (modelled − metered) / metered mean, per period and meter, at the data's
    resolution; periods without a reading are left out. The result carries Guideline 14's figures
    for the total of the meters and for each, before and after, with the verdict."""
    x0 = np.asarray(initial, dtype=float)
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    if not (x0.shape == lo.shape == hi.shape == (len(names),)):
        raise ValueError("names, initial, lower and upper must have one entry per parameter")
    if np.any(lo >= hi):
        bad = names[int(np.argmax(lo >= hi))]
        raise ValueError(f"calibration parameter {bad!r}: lower bound must be below the upper bound")
    x0 = np.clip(x0, lo, hi)
    meters = list(data.values)
    measured = {m: np.asarray(data.values[m], dtype=float) for m in meters}
    scale = {}
    for m in meters:
        mean = np.nanmean(measured[m]) if np.isfinite(measured[m]).any() else 0.0
        scale[m] = mean if mean > 0 else 1.0
    masks = {m: np.isfinite(measured[m]) for m in meters}
    evaluations = 0

    def model_series(x: np.ndarray) -> dict[str, np.ndarray]:
        nonlocal evaluations
        evaluations += 1
        out = simulate(x)
        missing = [m for m in meters if m not in out]
        if missing:
            raise ValueError(f"the model gives no series for meter(s) {', '.join(missing)}")
        return {m: _aggregate(np.asarray(out[m], dtype=float), data.resolution, data.start) for m in meters}

    def residuals(x: np.ndarray) -> np.ndarray:
        s = model_series(x)
        return np.concatenate([(s[m][masks[m]] - measured[m][masks[m]]) / scale[m] for m in meters])

    before_series = model_series(x0)
    energy = [m for m in meters if data.unit.get(m, "kwh") == "kwh"] or meters  # the total adds kWh only
    total_m = _total(measured, energy)
    before = {"total": g14(total_m, _total(before_series, energy), data.resolution, len(names))}
    before.update({m: g14(measured[m], before_series[m], data.resolution, len(names)) for m in meters})
    result = least_squares(residuals, x0, bounds=(lo, hi), method="trf", x_scale=hi - lo, diff_step=1e-3,
                           max_nfev=max_evaluations)
    x = np.clip(result.x, lo, hi)
    after = model_series(x)
    fits = {"total": g14(total_m, _total(after, energy), data.resolution, len(names))}
    fits.update({m: g14(measured[m], after[m], data.resolution, len(names)) for m in meters})
    if data.resolution == "hourly":
        mm = {m: monthly_sums(measured[m], data.start) for m in meters}
        sm = {m: monthly_sums(after[m], data.start) for m in meters}
        fits_monthly = {"total": g14(_total(mm, energy), _total(sm, energy), "monthly", len(names))}
        fits_monthly.update({m: g14(mm[m], sm[m], "monthly", len(names)) for m in meters})
    else:
        fits_monthly = fits
    span = hi - lo
    at_bound = tuple(n for n, v, a, b, w in zip(names, x, lo, hi, span) if v - a <= 1e-3 * w or b - v <= 1e-3 * w)
    return CalibrationResult(tuple(names), tuple(map(float, x0)), tuple(map(float, x)), tuple(map(float, lo)),
                             tuple(map(float, hi)), at_bound, data.resolution, fits, fits_monthly, before,
                             measured, after, evaluations, bool(result.success), str(result.message), data.notes)


def _total(series: Mapping[str, np.ndarray], meters: Sequence[str]) -> np.ndarray:
    """The sum over meters, period by period (NaN where any meter has no reading)."""
    return np.sum([series[m] for m in meters], axis=0)
