"""The energy model's clock: a year of equal steps, and the day-type schedules that loads follow.

A building's common-area loads repeat by the day: the lobby's air-conditioning runs from seven in
the morning to eleven at night, the management office keeps office hours on weekdays only, the
booster pumps follow the residents' morning and evening peaks. So every schedule here is a set of
24 hourly factors for each **day type** — a weekday, a rest day (Saturday, Sunday) and a statutory
holiday (:class:`models.staff.Calendar` says which day is which; a holiday with no factors of its
own follows the rest day).

The time axis (:class:`TimeAxis`) is a year of ``n = 8760 · 60 / step_min`` steps of 60 or 15
minutes from 00:00 of the calendar's start date (365 days, the energy contract of session 12);
energy per step is in kWh, power in kW. A factor applies to every step of its hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.harness import param_label
from models.staff import Calendar

__all__ = ["STEP_MINUTES", "DAYS_PER_YEAR", "TimeAxis", "DaySchedule", "hours_schedule", "profile_series"]

STEP_MINUTES = (60, 15)
"""The step lengths the energy model runs at."""
DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class TimeAxis:
    """A year of equal steps and, for each step, its hour of day, day index and day type."""

    start_date: date
    step_min: int
    n: int
    hour: np.ndarray
    """Hour of day (0–23) of each step."""
    day: np.ndarray
    """Day index (0 = the start date) of each step."""
    rest: np.ndarray
    """True on rest days (Saturday, Sunday, statutory holidays)."""
    holiday: np.ndarray
    """True on statutory holidays."""
    month: np.ndarray
    """Month (1–12) of each step."""

    @property
    def step_h(self) -> float:
        return self.step_min / 60.0

    @property
    def steps_per_hour(self) -> int:
        return 60 // self.step_min

    @classmethod
    def year(cls, calendar: Calendar, step_min: int = 60, days: int = DAYS_PER_YEAR) -> "TimeAxis":
        """The axis of ``days`` days from the calendar's start date at ``step_min`` minutes a step."""
        if step_min not in STEP_MINUTES:
            raise ValueError(f"step_min {step_min!r}: the energy model runs at 60 or 15 minutes a step")
        per_h = 60 // step_min
        n = days * 24 * per_h
        i = np.arange(n)
        hour = (i // per_h) % 24
        day = i // (24 * per_h)
        rest_d, holiday_d = calendar.day_flags(np.arange(days))
        t_s = day * 86_400.0
        return cls(start_date=calendar.start_date, step_min=step_min, n=n, hour=hour, day=day,
                   rest=rest_d[day], holiday=holiday_d[day], month=calendar.months(t_s))


def _factors(name: str):
    def check(values: list[float]) -> list[float]:
        if len(values) != 24:
            raise ValueError(f"{name} needs 24 hourly factors, got {len(values)}")
        bad = [(h, v) for h, v in enumerate(values) if not (0.0 <= v <= 1.0)]
        if bad:
            h, v = bad[0]
            raise ValueError(f"{name}[{h}] = {v!r}: a schedule factor is a share of full load, in [0, 1]")
        return values
    return check


class DaySchedule(BaseModel):
    """24 hourly factors in [0, 1] (the share of full load) for each day type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weekday: list[float] = Field(
        default_factory=lambda: [1.0] * 24,
        json_schema_extra=param_label("Weekday factors", "工作日系数",
                                      "24 hourly shares of full load on a working day (hour 0 = 00:00–01:00)",
                                      "工作日 24 个小时的负荷比例（第 0 小时 = 00:00–01:00）", "share"))
    rest_day: list[float] = Field(
        default_factory=lambda: [1.0] * 24,
        json_schema_extra=param_label("Rest-day factors", "休息日系数",
                                      "24 hourly shares of full load on a Saturday or Sunday",
                                      "周六、周日 24 个小时的负荷比例", "share"))
    holiday: list[float] | None = Field(
        None,
        json_schema_extra=param_label("Holiday factors", "节假日系数",
                                      "24 hourly shares on a statutory holiday (none: as a rest day)",
                                      "法定节假日 24 个小时的负荷比例（缺省同休息日）", "share"))

    @field_validator("weekday", "rest_day", "holiday")
    @classmethod
    def _check(cls, v, info):
        return None if v is None else _factors(info.field_name)(v)


def hours_schedule(weekday: tuple[float, float] | None, rest_day: tuple[float, float] | None | str = "weekday",
                   holiday: tuple[float, float] | None | str = "rest_day", *, on: float = 1.0,
                   off: float = 0.0) -> DaySchedule:
    """A schedule that is ``on`` from start to end hour (``(7, 23)``: 07:00–23:00) and ``off`` outside;
    ``None`` is off all day; ``rest_day="weekday"`` repeats the weekday, ``holiday="rest_day"`` the rest
    day. An end before the start runs past midnight."""
    def day(window):
        if window is None:
            return [off] * 24
        start, end = window
        return [on if (start <= h < end if start <= end else (h >= start or h < end)) else off for h in range(24)]
    rest = day(weekday) if rest_day == "weekday" else day(rest_day)
    return DaySchedule(weekday=day(weekday), rest_day=rest, holiday=None if holiday == "rest_day" else day(holiday))


def profile_series(schedule: DaySchedule, axis: TimeAxis) -> np.ndarray:
    """The schedule's factor at every step of the axis."""
    table = np.array([schedule.weekday, schedule.rest_day,
                      schedule.holiday if schedule.holiday is not None else schedule.rest_day], dtype=float)
    kind = np.where(axis.holiday, 2, np.where(axis.rest, 1, 0))
    return table[kind, axis.hour]
