"""Tariffs: what a kilowatt-hour of the common areas costs at each hour of the year, and the bill.

Chinese commercial electricity is sold at *time-of-use* prices (分时电价): each hour of the day
belongs to one period — 尖峰 critical peak, 高峰 peak, 平段 flat, 低谷 valley (深谷 deep valley in a
few provinces) — and each period has its price in CNY/kWh. Which hours are which changes with the
season: a summer table (critical peak at the hottest hours of July–September) and one for the
rest of the year, sometimes a winter one. A building on a *two-part* tariff (两部制) also pays for
its connection every month, either by its **maximum demand** (需量电价: CNY per kW of the month's
highest 15-minute mean power) or by its transformers' **capacity** (容量电价: CNY per kVA per
month). Water is sold per cubic metre (supply plus sewage charge for non-residential users).

A tariff file (YAML, documented in docs/energy-files.md) gives the prices, the seasons with their
months and the hours of each period, the demand or capacity charge and the water price. Loading
it checks that every hour of every month belongs to exactly one period: an hour in two periods,
an hour in none, a month in two seasons or in none is an error naming the month and the hour.
Period boundaries are on the hour; a time step (60, 30 or 15 minutes) lies within one hour, so
every step has exactly one period.

The bill (:meth:`Tariff.cost`) is built like a utility's: for every calendar month, one line per
period (the month's kWh in that period × its price), the demand or capacity charge, and water when
given. **Rounding**: each line is computed exactly in decimal (the kWh as given, the price as
written in the file) and rounded once to the fen (0.01 CNY, half up); every total is the exact sum
of its rounded lines, so the bill adds up to the fen.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)

from twin.errors import SpecError, issues_from_validation_error
from twin.text import Text, missing_languages, text

__all__ = ["PERIODS", "PERIOD_LABELS", "PeriodName", "Season", "DemandCharge", "CapacityCharge", "Tariff",
           "BUILTIN_TARIFFS", "TARIFF_DIR", "load_tariff", "parse_tariff", "UnknownTariffError", "fen", "MONTH_NAMES"]

PERIODS = ("critical", "peak", "flat", "valley", "deep_valley")
"""Time-of-use period names, dearest first."""
PeriodName = Literal["critical", "peak", "flat", "valley", "deep_valley"]
PERIOD_LABELS: dict[str, Text] = {
    "critical": text("Critical peak", "尖峰"),
    "peak": text("Peak", "高峰"),
    "flat": text("Flat", "平段"),
    "valley": text("Valley", "低谷"),
    "deep_valley": text("Deep valley", "深谷"),
}
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")
TARIFF_DIR = Path(__file__).with_name("tariffs")
BUILTIN_TARIFFS: dict[str, Path] = {p.stem: p for p in sorted(TARIFF_DIR.glob("*.yaml"))}
"""Built-in tariff files by name (``models/energy/tariffs/<name>.yaml``)."""
MAX_PRICE_CNY_PER_KWH = 20.0
_FEN = Decimal("0.01")
_RANGE = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*$")


def fen(value: float | Decimal) -> Decimal:
    """``value`` rounded to the fen (0.01 CNY), half up, exactly in decimal."""
    d = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return d.quantize(_FEN, rounding=ROUND_HALF_UP)


def _hours(spec: str) -> list[int]:
    """The hours (0 … 23) of ``"08:00-15:00"`` / ``"8-15"``; ``"22:00-06:00"`` wraps past midnight."""
    m = _RANGE.match(spec) if isinstance(spec, str) else None
    if not m:
        raise ValueError(f"{spec!r} is not an hour range such as '08:00-15:00' (or '22:00-06:00' across midnight)")
    h0, m0, h1, m1 = int(m[1]), int(m[2] or 0), int(m[3]), int(m[4] or 0)
    if m0 or m1:
        raise ValueError(f"{spec!r}: periods change on the hour (minutes :00)")
    if h0 > 23 or h1 > 24:
        raise ValueError(f"{spec!r}: hours run 00:00 … 24:00")
    if h0 == h1 % 24:
        if (h0, h1) == (0, 24):
            return list(range(24))
        raise ValueError(f"{spec!r} is empty (write '00:00-24:00' for the whole day)")
    return list(range(h0, h1)) if h0 < h1 else list(range(h0, 24)) + list(range(0, h1))


def _span(hour: int) -> str:
    return f"hour {hour} ({hour:02d}:00–{hour + 1:02d}:00)"


def _months_text(months: list[int]) -> str:
    return ("month " if len(months) == 1 else "months ") + ", ".join(str(m) for m in months)


def _hour_range(value: str) -> str:
    _hours(value)
    return value


HourRange = Annotated[str, AfterValidator(_hour_range)]
Price = Annotated[float, Field(ge=0, le=MAX_PRICE_CNY_PER_KWH)]


def _cfg() -> ConfigDict:
    return ConfigDict(extra="forbid", frozen=True)


class Season(BaseModel):
    """Months that share one table of hours (and, optionally, their own prices)."""

    model_config = _cfg()
    name: str = Field(min_length=1, max_length=40, description="a name for messages: summer, winter, other")
    months: list[Annotated[int, Field(ge=1, le=12)]] = Field(min_length=1, max_length=12,
                                                              description="the months, 1 = January")
    hours: dict[PeriodName, list[HourRange]] = Field(
        description="each period's hour ranges, 'HH:00-HH:00'; together they cover 24 hours exactly once")
    prices_cny_per_kwh: dict[PeriodName, Price] | None = Field(
        None, description="this season's prices where they differ from the tariff's")

    @field_validator("months")
    @classmethod
    def _distinct(cls, months: list[int]) -> list[int]:
        seen: set[int] = set()
        for m in months:
            if m in seen:
                raise ValueError(f"month {m} is listed twice")
            seen.add(m)
        return months

    @model_validator(mode="after")
    def _each_hour_once(self) -> Season:
        owner: dict[int, str] = {}
        for period, ranges in self.hours.items():
            for r in ranges:
                for h in _hours(r):
                    if h in owner and owner[h] != period:
                        raise ValueError(f"season {self.name!r} ({_months_text(self.months)}): {_span(h)} is in both "
                                         f"{owner[h]!r} and {period!r}")
                    if h in owner:
                        raise ValueError(f"season {self.name!r} ({_months_text(self.months)}): {_span(h)} is listed "
                                         f"twice in {period!r}")
                    owner[h] = period
        gaps = [h for h in range(24) if h not in owner]
        if gaps:
            raise ValueError(f"season {self.name!r} ({_months_text(self.months)}): {_span(gaps[0])} is in no period"
                             + (f" (nor hours {', '.join(map(str, gaps[1:]))})" if len(gaps) > 1 else ""))
        return self

    def period_of_hour(self) -> list[str]:
        out = [""] * 24
        for period, ranges in self.hours.items():
            for r in ranges:
                for h in _hours(r):
                    out[h] = period
        return out


class DemandCharge(BaseModel):
    """需量电价: paid on the month's maximum demand (the highest mean power over ``interval_min``)."""

    model_config = _cfg()
    cny_per_kw_month: float = Field(ge=0, le=1000, description="CNY per kW of the month's maximum demand")
    interval_min: Literal[15, 30, 60] = Field(15, description="demand is the mean power over this interval")


class CapacityCharge(BaseModel):
    """容量电价: paid on the transformers' capacity, every month whatever the use."""

    model_config = _cfg()
    cny_per_kva_month: float = Field(ge=0, le=1000, description="CNY per kVA of transformer capacity per month")
    kva: float | None = Field(None, gt=0, le=1e6, description="the transformers' capacity (may be given to cost())")


class Tariff(BaseModel):
    """A time-of-use tariff: prices by period, the periods by season and hour, demand or capacity
    charge, water price (file format: docs/energy-files.md)."""

    model_config = _cfg()
    name: str = Field(min_length=1, max_length=80)
    label: dict[str, str] = Field(description="the tariff's name in en and zh-CN")
    source: str = Field(min_length=1, max_length=2000, description="the document and year the figures come from")
    year: int = Field(ge=2000, le=2100, description="the year the figures apply to")
    illustrative: bool = Field(False, description="true when the prices show the published structure but are "
                                                  "not the exact current figures")
    currency: Literal["CNY"] = "CNY"
    prices_cny_per_kwh: dict[PeriodName, Price] = Field(min_length=1)
    seasons: list[Season] = Field(min_length=1, max_length=12)
    demand: DemandCharge | None = None
    capacity: CapacityCharge | None = None
    water_cny_per_m3: float = Field(ge=0, le=100, description="water price, supply plus sewage charge (CNY/m³)")

    @field_validator("label")
    @classmethod
    def _both_languages(cls, label: dict[str, str]) -> dict[str, str]:
        missing = missing_languages(label)
        if missing:
            raise ValueError(f"the label needs both en and zh-CN (missing: {', '.join(missing)})")
        return label

    @model_validator(mode="after")
    def _every_month_once(self) -> Tariff:
        owner: dict[int, str] = {}
        for season in self.seasons:
            for m in season.months:
                if m in owner:
                    raise ValueError(f"month {m} ({MONTH_NAMES[m - 1]}) is in both seasons {owner[m]!r} and "
                                     f"{season.name!r}: every hour of it would have two periods")
                owner[m] = season.name
        gaps = [m for m in range(1, 13) if m not in owner]
        if gaps:
            raise ValueError(f"month {gaps[0]} ({MONTH_NAMES[gaps[0] - 1]}) is in no season: its hours 0 … 23 have "
                             "no period" + (f" (nor months {', '.join(map(str, gaps[1:]))})" if len(gaps) > 1 else ""))
        for season in self.seasons:
            prices = {**self.prices_cny_per_kwh, **(season.prices_cny_per_kwh or {})}
            for period in season.hours:
                if period not in prices:
                    hour = season.period_of_hour().index(period)
                    raise ValueError(f"season {season.name!r} ({_months_text(season.months)}), {_span(hour)}: "
                                     f"period {period!r} has no price in prices_cny_per_kwh")
        if self.demand is not None and self.capacity is not None:
            raise ValueError("give either a demand charge or a capacity charge: a two-part tariff bills one of them")
        return self

    # --- the tables -------------------------------------------------------------------------

    @property
    def periods(self) -> list[str]:
        """The periods the tariff uses, dearest first."""
        used = {p for s in self.seasons for p in s.hours}
        return [p for p in PERIODS if p in used]

    def _tables(self) -> tuple[np.ndarray, np.ndarray]:
        """(period index into :data:`PERIODS`, price CNY/kWh), each 12 months × 24 hours."""
        index = np.full((12, 24), -1, dtype=np.int8)
        price = np.full((12, 24), np.nan)
        for season in self.seasons:
            prices = {**self.prices_cny_per_kwh, **(season.prices_cny_per_kwh or {})}
            for h, period in enumerate(season.period_of_hour()):
                for m in season.months:
                    index[m - 1, h] = PERIODS.index(period)
                    price[m - 1, h] = prices[period]
        return index, price

    def _price_decimal(self, month: int, period: str) -> Decimal:
        season = next(s for s in self.seasons if month in s.months)
        value = (season.prices_cny_per_kwh or {}).get(period, self.prices_cny_per_kwh.get(period))  # type: ignore[call-overload]
        return Decimal(repr(float(value)))

    @staticmethod
    def _axis(start_date: _dt.date, n: int, step_min: int) -> tuple[np.ndarray, np.ndarray]:
        """(month 1 … 12, hour 0 … 23) of the start of each of ``n`` steps from 00:00 of ``start_date``."""
        if isinstance(step_min, bool) or not isinstance(step_min, (int, np.integer)) or step_min <= 0 or 60 % step_min:
            raise ValueError(f"step_min {step_min!r}: a step divides the hour (60, 30, 15, …)")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n {n!r}: a number of steps, ≥ 0")
        start = np.datetime64(_dt.date(start_date.year, start_date.month, start_date.day), "m")
        t = start + np.arange(n) * np.timedelta64(int(step_min), "m")
        month = t.astype("datetime64[M]").astype(np.int64) % 12 + 1
        hour = ((t - t.astype("datetime64[D]")) // np.timedelta64(1, "h")).astype(np.int64)
        return month, hour

    def price_per_step(self, start_date: _dt.date, n: int, step_min: int) -> tuple[np.ndarray, np.ndarray]:
        """(price CNY/kWh, period name) of each of ``n`` steps of ``step_min`` from 00:00 of ``start_date``."""
        month, hour = self._axis(start_date, n, step_min)
        index, price = self._tables()
        names = np.array(PERIODS)
        return price[month - 1, hour], names[index[month - 1, hour]]

    # --- the bill --------------------------------------------------------------------------

    def cost(self, kwh: np.ndarray, start_date: _dt.date, step_min: int, *, water_m3: np.ndarray | float | None = None,
             capacity_kva: float | None = None) -> dict[str, Any]:
        """The bill of ``kwh`` (energy per step from 00:00 of ``start_date``), month by month.

        Returns ``energy_kwh`` and ``energy_cny`` (totals), ``by_period`` ({period: {kwh, cny}}),
        ``by_month`` ({"YYYY-MM": {by_period, energy_kwh, energy_cny, max_demand_kw, demand_cny,
        capacity_cny, water_m3, water_cny, total}}), ``demand_cny_by_month``,
        ``max_demand_kw_by_month``, ``demand_cny``, ``capacity_cny``, ``water_m3``, ``water_cny``
        (0 unless ``water_m3`` — per step or a total — is given) and ``total``, all CNY to the fen
        (see the module's rounding rule). The maximum demand is the highest mean power over the
        tariff's demand interval, or over a step when steps are longer (then it understates a
        15-minute demand: say so in a report)."""
        energy = np.asarray(kwh, dtype=float)
        if energy.ndim != 1:
            raise ValueError(f"kwh must be one value per step, got shape {energy.shape}")
        if not np.all(np.isfinite(energy)):
            bad = int(np.flatnonzero(~np.isfinite(energy))[0])
            raise ValueError(f"kwh[{bad}] is {energy[bad]}: energy per step must be finite")
        if np.any(energy < 0):
            bad = int(np.flatnonzero(energy < 0)[0])
            raise ValueError(f"kwh[{bad}] is {energy[bad]:g}: energy per step must be ≥ 0 (no export is billed here)")
        n = len(energy)
        month, hour = self._axis(start_date, n, step_min)
        index, _ = self._tables()
        period_idx = index[month - 1, hour]
        start = np.datetime64(_dt.date(start_date.year, start_date.month, start_date.day), "m")
        t = start + np.arange(n) * np.timedelta64(int(step_min), "m")
        month_key = t.astype("datetime64[M]")
        months = np.unique(month_key)

        water = None if water_m3 is None else np.asarray(water_m3, dtype=float)
        if water is not None and (not np.all(np.isfinite(water)) or np.any(water < 0)):
            raise ValueError("water_m3 must be finite and ≥ 0")
        kva = capacity_kva if capacity_kva is not None else (self.capacity.kva if self.capacity else None)
        if self.capacity is not None and kva is None:
            raise ValueError(f"tariff {self.name!r} has a capacity charge: give the transformers' kVA "
                             "(capacity.kva in the file, or capacity_kva=)")

        demand_window = 1
        if self.demand is not None and self.demand.interval_min > step_min:
            demand_window = self.demand.interval_min // int(step_min)
        step_h = step_min / 60.0

        by_month: dict[str, dict[str, Any]] = {}
        totals_kwh = {p: Decimal(0) for p in self.periods}
        totals_cny = {p: Decimal(0) for p in self.periods}
        sum_kwh = 0.0
        energy_cny = demand_cny = capacity_cny = water_cny = Decimal(0)
        for mk in months:
            mask = month_key == mk
            key = str(mk)
            m = int(key[5:7])
            e = energy[mask]
            pi = period_idx[mask]
            lines: dict[str, dict[str, float]] = {}
            month_energy_cny = Decimal(0)
            for p in self.periods:
                sel = pi == PERIODS.index(p)
                if not sel.any():
                    continue
                k = float(e[sel].sum())
                cny = fen(Decimal(repr(k)) * self._price_decimal(m, p))
                lines[p] = {"kwh": k, "cny": float(cny)}
                totals_kwh[p] += Decimal(repr(k))
                totals_cny[p] += cny
                month_energy_cny += cny
            max_kw = 0.0
            if len(e):
                kw = e / step_h
                if demand_window > 1 and len(kw) >= demand_window:
                    kw = np.convolve(kw, np.ones(demand_window) / demand_window, mode="valid")
                max_kw = float(kw.max())
            m_demand = fen(Decimal(repr(max_kw)) * Decimal(repr(self.demand.cny_per_kw_month))) if self.demand else Decimal(0)
            m_capacity = Decimal(0)
            if self.capacity is not None:
                y, mo = int(key[:4]), m
                days_in_month = (_dt.date(y + (mo == 12), mo % 12 + 1, 1) - _dt.date(y, mo, 1)).days
                share = Decimal(int(mask.sum())) * Decimal(repr(float(step_min))) / Decimal(days_in_month * 1440)
                m_capacity = fen(Decimal(repr(float(kva))) * Decimal(repr(self.capacity.cny_per_kva_month))
                                 * min(share, Decimal(1)))
            m_water_m3 = 0.0
            m_water = Decimal(0)
            if water is not None:
                if water.ndim == 0:
                    m_water_m3 = float(water) * float(mask.sum()) / n if n else 0.0
                else:
                    if water.shape != energy.shape:
                        raise ValueError(f"water_m3 has {water.shape[0]} steps, kwh has {n}")
                    m_water_m3 = float(water[mask].sum())
                m_water = fen(Decimal(repr(m_water_m3)) * Decimal(repr(self.water_cny_per_m3)))
            m_total = month_energy_cny + m_demand + m_capacity + m_water
            by_month[key] = {"by_period": lines, "energy_kwh": float(e.sum()), "energy_cny": float(month_energy_cny),
                             "max_demand_kw": max_kw, "demand_cny": float(m_demand),
                             "capacity_cny": float(m_capacity), "water_m3": m_water_m3, "water_cny": float(m_water),
                             "total": float(m_total)}
            sum_kwh += float(e.sum())
            energy_cny += month_energy_cny
            demand_cny += m_demand
            capacity_cny += m_capacity
            water_cny += m_water
        total = energy_cny + demand_cny + capacity_cny + water_cny
        return {
            "tariff": self.name,
            "energy_kwh": sum_kwh,
            "energy_cny": float(energy_cny),
            "by_period": {p: {"kwh": float(totals_kwh[p]), "cny": float(totals_cny[p])} for p in self.periods},
            "by_month": by_month,
            "max_demand_kw_by_month": {k: v["max_demand_kw"] for k, v in by_month.items()},
            "demand_cny_by_month": {k: v["demand_cny"] for k, v in by_month.items()} if self.demand else {},
            "demand_cny": float(demand_cny),
            "capacity_cny": float(capacity_cny),
            "water_m3": float(sum(v["water_m3"] for v in by_month.values())),
            "water_cny": float(water_cny),
            "total": float(total),
            "rounding": "each line (a month's kWh in a period × its price, a month's demand or capacity charge, "
                        "a month's water) rounded once to 0.01 CNY, half up; totals are exact sums of the lines",
        }

    def water_cost_cny(self, m3: float) -> float:
        """``m3`` of water at the tariff's price, to the fen."""
        if not math.isfinite(m3) or m3 < 0:
            raise ValueError(f"water {m3!r} m³: must be finite and ≥ 0")
        return float(fen(Decimal(repr(float(m3))) * Decimal(repr(self.water_cny_per_m3))))


class UnknownTariffError(KeyError):
    """A tariff reference that is neither a built-in name nor a file; the message lists the built-ins."""

    def __init__(self, ref: object):
        super().__init__(ref)
        self.ref = ref

    def __str__(self) -> str:
        return (f"unknown tariff {self.ref!r}: not a built-in tariff ({', '.join(BUILTIN_TARIFFS)}) "
                "nor a tariff YAML file")


def parse_tariff(data: Any, file: str = "<tariff>") -> Tariff:
    """A :class:`Tariff` from a parsed document; :class:`twin.errors.SpecError` names the file,
    the field path and the offending value (the month and hour for an overlap or a gap)."""
    if not isinstance(data, Mapping):
        raise SpecError.single(file, "(top level)", f"a tariff is a mapping of fields, got {type(data).__name__}")
    try:
        return Tariff.model_validate(data)
    except ValidationError as exc:
        raise SpecError(issues_from_validation_error(exc, file, data)) from None


def load_tariff(ref: str | Path) -> Tariff:
    """A built-in tariff by name (:data:`BUILTIN_TARIFFS`) or a tariff YAML file by path."""
    from twin.loader import read_yaml

    if isinstance(ref, str) and ref in BUILTIN_TARIFFS:
        path = BUILTIN_TARIFFS[ref]
    else:
        path = Path(ref)
        if not path.is_file():
            raise UnknownTariffError(str(ref))
    return parse_tariff(read_yaml(path), path.name)
