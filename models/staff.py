"""Staff, shifts and rosters: who is on duty when, what their hours cost, and whether the posts are manned.

A property company runs its estate with a few kinds of people: technicians (electricians,
plumbers, HVAC and lift technicians — often one person holds several of these skills), security
guards (秩序维护员) who man the gate and walk patrols, cleaners, service-desk agents and a
supervisor on call. Each works a **shift pattern**, a cycle of days in which each day names the
shifts worked ("day, night, off, off" for a 12-hour two-shift roster). The persons of a **staff
group** are spread over the pattern's **crews**, each crew starting the cycle a few days after the
last, so that together they cover the clock: four crews on the two-shift pattern man one post
24/7, each person working 12 h in every 4 days — 42 h a week.

A **post** (a guard at the gate, 24/7) must be manned whatever happens, so it needs more people
than the hours suggest: a year has 8,760 hours and a person on a 40-hour week works 2,086 of them
before leave, public holidays, training and sickness; the ratio (4.2 before, 4.5–5 after) is the
relief factor of security and front-desk rosters (:func:`required_head_count`). A roster is checked
against its posts hour by hour (:func:`coverage_gaps`): where fewer persons of the post's role are
on shift than the post needs, the gap is reported to the second.

Pay follows the Labour Law of the PRC, art. 44: hours beyond the shift (overtime) are paid at
150 %, work on a rest day without time off in lieu at 200 %, work on a statutory holiday at 300 %
(:func:`pay`); many estates also pay a night premium per hour. Staff on 24/7 rosters usually work
under the comprehensive working-hours system (综合计算工时工作制), in which a rostered Saturday is an
ordinary working day — :class:`PayRules` says which system applies.

The clock: simulation time ``t`` is in seconds, ``t = 0`` being 00:00 local time of the
``start_date`` (:class:`Calendar`). Rosters are generated as arrays (linear in the number of
shifts: a year of 60 persons is about 20,000 shifts), never minute by minute.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.harness import param_label
from twin.text import Text, text

__all__ = ["DAY_S", "HOUR_S", "WEEK_S", "WEEKS_PER_YEAR", "DEFAULT_START_DATE", "CHINA_PUBLIC_HOLIDAYS_2027",
           "Calendar", "ROLES", "ROLE_LABELS", "SKILLS", "SKILL_LABELS", "Shift", "ShiftPattern", "BUILTIN_PATTERNS",
           "PATTERN_LABELS", "StaffGroup", "Post", "PayRules", "Person", "ShiftInstance", "ShiftTable", "Roster",
           "Gap", "coverage_gaps", "uncovered_h", "post_intervals", "HeadCount", "required_head_count", "StaffingCheck",
           "check_staffing", "PayLines", "pay", "pay_table", "unknown_patterns"]

HOUR_S = 3600.0
DAY_S = 24 * HOUR_S
WEEK_S = 7 * DAY_S
WEEKS_PER_YEAR = 365.0 / 7.0
"""Weeks in a (common) year, 52.14: what REFERENCES "Staffing" divides the 8,760 hours of a year by."""
MAX_SHIFT_H = 16.0
"""Longest shift: 16 h (a double shift). A shift starts before 24:00 so it ends before 40:00 — it
touches at most the day it starts and the next."""
MAX_CYCLE_DAYS = 56
"""Longest roster cycle: eight weeks."""
_ID_PATTERN = r"^[A-Za-z0-9_-]+$"

DEFAULT_START_DATE = date(2027, 1, 4)
"""A Monday: the weekly built-in patterns ("day", "weekend") start the week on it."""


# --- the calendar ------------------------------------------------------------------------------

CHINA_PUBLIC_HOLIDAYS_2027: tuple[date, ...] = (
    date(2027, 1, 1),                                          # New Year's Day 元旦 (1 day)
    date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8),  # Spring Festival 春节: eve + 3 days
    date(2027, 4, 5),                                          # Qingming 清明节 (the solar term's day)
    date(2027, 5, 1), date(2027, 5, 2),                        # Labour Day 劳动节 (2 days)
    date(2027, 6, 9),                                          # Dragon Boat 端午节 (5th day of the 5th lunar month)
    date(2027, 9, 15),                                         # Mid-Autumn 中秋节 (15th day of the 8th lunar month)
    date(2027, 10, 1), date(2027, 10, 2), date(2027, 10, 3),   # National Day 国庆节 (3 days)
)
"""The 13 statutory festival days off of 2027 (全体公民放假的节日), as fixed by the State Council's
《全国年节及纪念日放假办法》 (as amended in 2024, in force from 2025: New Year 1 day, Spring Festival 4 —
its eve and the first three days of the first lunar month —, Qingming 1, Labour Day 2, Dragon Boat
1, Mid-Autumn 1, National Day 3). The State Council's notice for 2027 was not at hand when this
table was written, so the festival days are computed from the Chinese lunisolar calendar (New Year
of the lunar year 2027: 6 February, its eve 5 February; 5th month 5th day: 9 June; 8th month 15th
day: 15 September) and the Qingming solar term (5 April), and written out here as an explicit
table — check it against the notice (国务院办公厅关于2027年部分节假日安排的通知). These are the
days that earn the 300 % of art. 44(3). The notice then joins them with weekends into longer breaks
and moves working days onto Saturdays or Sundays (调休): those adjusted days are NOT in this table
(they are rest days paid at 200 %, or working days). A :class:`Calendar` takes the holidays as a
parameter: pass the notice's days when they matter."""


class Calendar:
    """Local dates and times of the simulation clock: ``t = 0`` is 00:00 of ``start_date``.

    ``holidays`` are the statutory holidays (a rest day whatever the weekday); Saturdays and Sundays
    are rest days too. Scalar methods take ``t`` in seconds; :meth:`day_flags` answers for many
    days at once (the roster uses it).
    """

    def __init__(self, start_date: date = DEFAULT_START_DATE, holidays: Iterable[date] = CHINA_PUBLIC_HOLIDAYS_2027):
        if not isinstance(start_date, date):
            raise TypeError(f"start_date must be a date, not {start_date!r}")
        self.start_date = start_date
        self.holidays: frozenset[date] = frozenset(holidays)
        self._holiday_days = np.array(sorted((h - start_date).days for h in self.holidays), dtype=np.int64)
        self._start_weekday = start_date.weekday()

    def __repr__(self) -> str:
        return f"Calendar(start_date={self.start_date.isoformat()}, holidays={len(self.holidays)})"

    def day_index(self, t: float) -> int:
        """The day of ``t``: 0 for the start date, −1 for the day before."""
        return math.floor(t / DAY_S)

    def weekday(self, t: float) -> int:
        """0 = Monday … 6 = Sunday."""
        return (self._start_weekday + self.day_index(t)) % 7

    def hour_of_day(self, t: float) -> float:
        """Local clock time in hours, in [0, 24)."""
        return (t % DAY_S) / HOUR_S

    def date_of(self, t: float) -> date:
        return self.start_date + timedelta(days=self.day_index(t))

    def month(self, t: float) -> int:
        """1 = January … 12 = December."""
        return self.date_of(t).month

    def is_holiday(self, t: float) -> bool:
        return self.date_of(t) in self.holidays

    def is_rest_day(self, t: float) -> bool:
        """Saturday, Sunday or a statutory holiday."""
        return self.weekday(t) >= 5 or self.is_holiday(t)

    def t_of(self, when: date, hour: float = 0.0) -> float:
        """The simulation time of ``hour`` o'clock on ``when`` (the inverse of :meth:`date_of`)."""
        return (when - self.start_date).days * DAY_S + hour * HOUR_S

    def day_flags(self, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rest day, holiday) as boolean arrays for an array of day indices."""
        days = np.asarray(days, dtype=np.int64)
        holiday = np.isin(days, self._holiday_days)
        weekend = (self._start_weekday + days) % 7 >= 5
        return weekend | holiday, holiday

    def months(self, t: np.ndarray) -> np.ndarray:
        """The month (1–12) of each time in an array."""
        days = np.floor(np.asarray(t, dtype=float) / DAY_S).astype("timedelta64[D]")
        dates = np.datetime64(self.start_date, "D") + days
        return dates.astype("datetime64[M]").astype(np.int64) % 12 + 1


# --- roles, skills, shifts and patterns ---------------------------------------------------------

ROLES = ("technician", "guard", "cleaner", "agent", "supervisor")
ROLE_LABELS: dict[str, Text] = {
    "technician": text("Technician", "维修技术人员"),
    "guard": text("Security guard", "秩序维护员（保安）"),
    "cleaner": text("Cleaner", "保洁员"),
    "agent": text("Service-desk agent", "客服人员"),
    "supervisor": text("Supervisor", "主管"),
}
SKILLS = ("electrical", "plumbing", "hvac", "lift", "general", "security", "cleaning", "service")
SKILL_LABELS: dict[str, Text] = {
    "electrical": text("Electrical", "电工"),
    "plumbing": text("Plumbing", "给排水（水暖）"),
    "hvac": text("HVAC", "暖通空调"),
    "lift": text("Lifts", "电梯"),
    "general": text("General repairs", "综合维修"),
    "security": text("Security", "安保"),
    "cleaning": text("Cleaning", "保洁"),
    "service": text("Customer service", "客户服务"),
}


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    return role


class Shift(BaseModel):
    """One working period of a day: from ``start_h`` o'clock for ``hours`` (it may run past midnight),
    with an unpaid (unless :class:`PayRules` says otherwise) break in its middle."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(..., min_length=1, max_length=40, pattern=_ID_PATTERN,
                    json_schema_extra=param_label("Shift", "班次", "The shift's name, used by the pattern's cycle",
                                                  "班次名称，排班周期中引用"))
    start_h: float = Field(..., ge=0, lt=24, allow_inf_nan=False,
                           json_schema_extra=param_label("Start", "上班时间", "Clock time the shift starts (hours)",
                                                         "班次开始的钟点（小时）", "h"))
    hours: float = Field(..., gt=0, le=MAX_SHIFT_H, allow_inf_nan=False,
                         json_schema_extra=param_label("Length", "班次时长",
                                                       "Length of the shift, break included (at most 16 h)",
                                                       "班次总时长，含休息（不超过16小时）", "h"))
    break_min: float = Field(0.0, ge=0, le=MAX_SHIFT_H * 60, allow_inf_nan=False,
                             json_schema_extra=param_label("Break", "班中休息",
                                                           "Break in the middle of the shift (meal), in minutes",
                                                           "班次中间的休息（用餐）时间", "min"))

    @model_validator(mode="after")
    def _break_fits(self) -> Shift:
        if self.break_min >= self.hours * 60:
            raise ValueError(f"shift {self.id!r}: a break of {self.break_min:g} min does not fit in a shift of "
                             f"{self.hours:g} h")
        return self


def _clock(hours: float) -> str:
    """``31.5`` → ``07:30 (+1 day)``."""
    day, h = divmod(hours, 24.0)
    hh, mm = divmod(round(h * 60), 60)
    return f"{int(hh):02d}:{int(mm):02d}" + (f" (+{int(day)} day)" if day else "")


class ShiftPattern(BaseModel):
    """A roster cycle: day ``i`` of the cycle names the shifts worked that day (``[]``: a day off).

    Cycle day 0 is the start date (or, with ``anchor: monday``, the Monday on or before it, so that
    a weekly pattern keeps Monday to Friday whatever the start date). The persons of a group are
    spread over ``crews`` crews (person n in crew n mod crews); crew k starts the cycle
    ``floor(k·len(cycle)/crews)`` days later — so four crews on "day, night, off, off" are one day
    apart and together man both shifts every day.

    One person never works two shifts at once: a pattern whose shifts overlap (on the same day, or a
    night shift running past midnight into the next cycle day's shift — the cycle wraps round) is
    refused, naming the two shifts.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(..., min_length=1, max_length=40, pattern=_ID_PATTERN,
                    json_schema_extra=param_label("Pattern", "排班模式", "The shift pattern's name",
                                                  "排班模式名称"))
    shifts: list[Shift] = Field(..., min_length=1, max_length=24,
                                json_schema_extra=param_label("Shifts", "班次", "The shifts the cycle uses",
                                                              "排班周期使用的班次"))
    cycle: list[Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=24)]] = Field(..., min_length=1, max_length=MAX_CYCLE_DAYS,
                                   json_schema_extra=param_label(
                                       "Cycle", "排班周期",
                                       "Day by day, the shifts a person works ([] = a day off), 1 to 56 days",
                                       "逐日列出每人所上的班次（[] 为休息日），1至56天", ))
    crews: int = Field(1, ge=1, le=MAX_CYCLE_DAYS,
                       json_schema_extra=param_label(
                           "Crews", "班组数",
                           "Crews the persons are spread over, each starting the cycle a few days after the last",
                           "人员分成的班组数，各班组依次错开若干天开始排班周期"))
    anchor: Literal["start_date", "monday"] = Field(
        "start_date", json_schema_extra=param_label(
            "Cycle starts", "周期起点",
            "Cycle day 0 is the start date, or the Monday on or before it (weekly patterns)",
            "排班周期第0天为模拟起始日，或其当周周一（按周排班）"))

    @model_validator(mode="after")
    def _consistent(self) -> ShiftPattern:
        ids = [s.id for s in self.shifts]
        seen: set[str] = set()
        for sid in ids:
            if sid in seen:
                raise ValueError(f"pattern {self.id!r}: shift id {sid!r} appears twice")
            seen.add(sid)
        for d, day in enumerate(self.cycle):
            for sid in day:
                if sid not in seen:
                    raise ValueError(f"pattern {self.id!r}: cycle day {d} names shift {sid!r}, which is not one of "
                                     f"its shifts ({', '.join(ids)})")
        self._check_overlap()
        return self

    def _check_overlap(self) -> None:
        by_id = {s.id: s for s in self.shifts}
        period_h = 24.0 * len(self.cycle)
        worked = [(d * 24.0 + by_id[sid].start_h, d * 24.0 + by_id[sid].start_h + by_id[sid].hours, d, sid)
                  for d, day in enumerate(self.cycle) for sid in day]
        # The cycle repeats: a shift late in the cycle may run into the first days of the next one.
        # Shifts are shorter than a day, so one repetition is enough.
        worked = sorted(worked + [(a + period_h, b + period_h, d, sid) for a, b, d, sid in worked])
        latest: tuple[float, float, int, str] | None = None
        for item in worked:
            if latest is not None and item[0] < latest[1] - 1e-9:
                a0, _, ad, asid = latest
                b0, _, bd, bsid = item
                nxt = " of the next cycle" if b0 >= period_h else ""
                raise ValueError(
                    f"pattern {self.id!r}: shift {asid!r} on cycle day {ad % len(self.cycle)} "
                    f"({_clock(a0 % period_h)}–{_clock(a0 % period_h + by_id[asid].hours)}) overlaps shift {bsid!r} "
                    f"on cycle day {bd}{nxt} — one person cannot work both; a shift running past midnight "
                    f"takes hours from the next cycle day")
            if latest is None or item[1] > latest[1]:
                latest = item

    def shift(self, shift_id: str) -> Shift:
        return next(s for s in self.shifts if s.id == shift_id)

    def paid_h_per_week(self, paid_break: bool = False) -> float:
        """Hours one person works a week on average over the cycle (breaks unpaid unless ``paid_break``)."""
        by_id = {s.id: s for s in self.shifts}
        total = sum(by_id[sid].hours - (0.0 if paid_break else by_id[sid].break_min / 60.0)
                    for day in self.cycle for sid in day)
        return total * 7.0 / len(self.cycle)

    def crew_offset_days(self, crew: int) -> int:
        return (crew * len(self.cycle)) // self.crews


def _pattern(id: str, shifts: list[tuple[str, float, float, float]], cycle: list[list[str]], crews: int = 1,
             anchor: str = "start_date") -> ShiftPattern:
    return ShiftPattern(id=id, shifts=[Shift(id=s, start_h=a, hours=h, break_min=b) for s, a, h, b in shifts],
                        cycle=cycle, crews=crews, anchor=anchor)


BUILTIN_PATTERNS: dict[str, ShiftPattern] = {
    # Office hours: Monday to Friday 08:00–17:00 with a 60-min unpaid lunch break, 8 h paid a day, 40 h a week.
    "day": _pattern("day", [("day", 8.0, 9.0, 60.0)], [["day"]] * 5 + [[], []], anchor="monday"),
    # 12-hour day and night shifts (08–20, 20–08), "day, night, off, off": four crews man one post 24/7,
    # each person 12 h in 4 days = 42 h a week. Meals are taken on post (no break).
    "two_shift": _pattern("two_shift", [("day", 8.0, 12.0, 0.0), ("night", 20.0, 12.0, 0.0)],
                          [["day"], ["night"], [], []], crews=4),
    # 四班三运转: 8-hour night (00–08), morning (08–16) and afternoon (16–24) shifts, two of each then
    # two days off over 8 days; four crews two days apart man one post 24/7, each person 42 h a week.
    # The rotation runs forwards (night → morning → afternoon) with at least 24 h between blocks.
    "three_shift": _pattern("three_shift", [("night", 0.0, 8.0, 0.0), ("morning", 8.0, 8.0, 0.0),
                                            ("afternoon", 16.0, 8.0, 0.0)],
                            [["night"], ["night"], ["morning"], ["morning"], ["afternoon"], ["afternoon"], [], []],
                            crews=4),
    # Split shift (cleaners, lobby service): 07–11 and 16–20 every day, 8 h a day — 56 h a week for one
    # person, so a group on it works overtime by the law's standard week; it covers the busy hours.
    "split": _pattern("split", [("early", 7.0, 4.0, 0.0), ("late", 16.0, 4.0, 0.0)], [["early", "late"]]),
    # Weekend cover: Saturday and Sunday 08–20 with a 60-min break, 22 h paid a week.
    "weekend": _pattern("weekend", [("weekend", 8.0, 12.0, 60.0)], [[], [], [], [], [], ["weekend"], ["weekend"]],
                        anchor="monday"),
    # Around the clock, one crew: 00–08, 08–16, 16–24 every day. It describes when a post must be
    # manned (a post's default); nobody should be rostered on it (one person, 24 h a day).
    "always": _pattern("always", [("00-08", 0.0, 8.0, 0.0), ("08-16", 8.0, 8.0, 0.0), ("16-24", 16.0, 8.0, 0.0)],
                       [["00-08", "08-16", "16-24"]]),
}
"""The shift patterns every scenario may name; a scenario's own patterns come beside them."""

PATTERN_LABELS: dict[str, Text] = {
    "day": text("Day shift (Mon–Fri 08–17)", "常日班（周一至周五 8:00–17:00）"),
    "two_shift": text("Two shifts, 12 h (four crews)", "两班倒，每班12小时（四班组）"),
    "three_shift": text("Three shifts, 8 h (four crews)", "四班三运转（每班8小时）"),
    "split": text("Split shift (07–11, 16–20)", "两头班（7:00–11:00，16:00–20:00）"),
    "weekend": text("Weekend cover (Sat–Sun 08–20)", "周末班（周六、周日 8:00–20:00）"),
    "always": text("Around the clock", "全天24小时"),
}


# --- staff groups, posts and pay rules ----------------------------------------------------------

class StaffGroup(BaseModel):
    """``count`` persons of one role with the same skills, shift pattern, base and wage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(..., min_length=1, max_length=40, pattern=_ID_PATTERN,
                    json_schema_extra=param_label("Staff group", "人员组", "The group's name; its persons are "
                                                  "named after it (<group>-1, <group>-2…)",
                                                  "人员组名称，组内人员依次命名为<组名>-1、<组名>-2…"))
    role: str = Field(..., json_schema_extra=param_label(
        "Role", "岗位", "technician, guard, cleaner, agent or supervisor",
        "岗位：technician 维修、guard 秩序维护、cleaner 保洁、agent 客服、supervisor 主管"))
    skills: list[str] = Field(..., min_length=1, max_length=len(SKILLS), json_schema_extra=param_label(
        "Skills", "技能", "What the persons can do: electrical, plumbing, hvac, lift, general, security, cleaning, "
        "service (several for multi-skilled staff)",
        "人员具备的技能（一专多能者可有多项）：electrical 电工、plumbing 水暖、hvac 暖通、lift 电梯、general 综合、"
        "security 安保、cleaning 保洁、service 客服"))
    count: int = Field(..., ge=0, le=500, json_schema_extra=param_label(
        "Head count", "人数", "Persons in the group", "该组人数", "persons"))
    pattern: str = Field(..., min_length=1, max_length=40, pattern=_ID_PATTERN, json_schema_extra=param_label(
        "Shift pattern", "排班模式", "The pattern the group works (built-in or the scenario's own)",
        "该组采用的排班模式（内置或场景自定义）"))
    base: str | None = Field(None, max_length=80, pattern=_ID_PATTERN, json_schema_extra=param_label(
        "Base", "驻点", "The space the persons start from and return to (a space id of the building)",
        "人员出发与返回的位置（建筑中的空间编号）", pick="space"))
    wage_cny_per_h: float = Field(..., gt=0, le=10_000, allow_inf_nan=False, json_schema_extra=param_label(
        "Hourly wage", "小时工资", "Employer's cost of one regular hour (wage and on-costs)",
        "一个正常工时的用工成本（工资及附加）", "cny_per_h"))
    absence_rate: float = Field(0.0, ge=0, le=0.5, allow_inf_nan=False, json_schema_extra=param_label(
        "Absence rate", "缺勤率", "Share of rostered shifts missed (sickness, unplanned leave)",
        "排班中因病假、临时请假而缺勤的班次比例", "share"))

    @field_validator("role")
    @classmethod
    def _role_known(cls, role: str) -> str:
        return _check_role(role)

    @field_validator("skills")
    @classmethod
    def _skills_known(cls, skills: list[str]) -> list[str]:
        for s in skills:
            if s not in SKILLS:
                raise ValueError(f"unknown skill {s!r} (skills: {', '.join(SKILLS)})")
        if len(set(skills)) != len(skills):
            raise ValueError(f"a skill is named twice in {skills!r}")
        return skills


class Post(BaseModel):
    """A fixed post that must be manned by ``persons`` persons of ``role`` whenever its pattern's
    shifts run (``always``: around the clock)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(..., min_length=1, max_length=40, pattern=_ID_PATTERN, json_schema_extra=param_label(
        "Post", "固定岗位", "The post's name (the main gate, the control room…)", "岗位名称（大门岗、消控室…）"))
    role: str = Field(..., json_schema_extra=param_label(
        "Role", "岗位人员类别", "The role that mans the post", "值守该岗位的人员类别"))
    location: str | None = Field(None, max_length=80, pattern=_ID_PATTERN, json_schema_extra=param_label(
        "Location", "位置", "Where the post is (a space id of the building)", "岗位所在位置（建筑中的空间编号）", pick="space"))
    persons: int = Field(1, ge=1, le=50, json_schema_extra=param_label(
        "Persons on post", "在岗人数", "Persons the post needs at once", "岗位同时需要的人数", "persons"))
    pattern: str = Field("always", min_length=1, max_length=40, pattern=_ID_PATTERN, json_schema_extra=param_label(
        "Manned", "值守时段", "The pattern whose shifts say when the post must be manned (always: 24/7)",
        "岗位需要值守的时段，按排班模式的班次（always：全天24小时）"))

    @field_validator("role")
    @classmethod
    def _role_known(cls, role: str) -> str:
        return _check_role(role)


class PayRules(BaseModel):
    """How hours are paid (Labour Law of the PRC, art. 44): overtime 150 %, rest-day work 200 %,
    statutory-holiday work 300 %, and a night premium per hour worked in the night window.

    Under the comprehensive working-hours system (综合计算工时工作制, usual for 24/7 rosters) a
    rostered weekend shift is an ordinary working day and overtime on it is paid at 150 %; under
    the standard system (标准工时制) Saturday and Sunday are everybody's rest days: hours rostered on
    them earn the rest-day premium and overtime on them is paid at 200 %. Holiday work earns 300 %
    under both.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    overtime_factor: float = Field(1.5, ge=1, le=5, allow_inf_nan=False, json_schema_extra=param_label(
        "Overtime rate", "延长工时工资倍数", "Pay of an hour beyond the shift, times the wage (art. 44(1): 150 %)",
        "延长工作时间的小时工资倍数（第四十四条第一项：150%）"))
    rest_day_factor: float = Field(2.0, ge=1, le=5, allow_inf_nan=False, json_schema_extra=param_label(
        "Rest-day rate", "休息日工资倍数", "Pay of an hour on a rest day, times the wage (art. 44(2): 200 %)",
        "休息日工作的小时工资倍数（第四十四条第二项：200%）"))
    holiday_factor: float = Field(3.0, ge=1, le=5, allow_inf_nan=False, json_schema_extra=param_label(
        "Holiday rate", "法定节假日工资倍数",
        "Pay of an hour on a statutory holiday, times the wage (art. 44(3): 300 %)",
        "法定休假日工作的小时工资倍数（第四十四条第三项：300%）"))
    night_premium_cny_per_h: float = Field(0.0, ge=0, le=1_000, allow_inf_nan=False, json_schema_extra=param_label(
        "Night premium", "夜班津贴", "Paid on top of the wage for each hour worked in the night window",
        "在夜间时段每工作一小时另付的津贴", "cny_per_h"))
    night_start_h: float = Field(22.0, ge=0, lt=24, allow_inf_nan=False, json_schema_extra=param_label(
        "Night starts", "夜间开始", "Clock time the night window starts", "夜间时段开始钟点", "h"))
    night_end_h: float = Field(6.0, ge=0, lt=24, allow_inf_nan=False, json_schema_extra=param_label(
        "Night ends", "夜间结束", "Clock time the night window ends", "夜间时段结束钟点", "h"))
    paid_break: bool = Field(False, json_schema_extra=param_label(
        "Paid break", "休息计薪", "Whether the break within a shift is paid", "班中休息是否计发工资"))
    hours_system: Literal["comprehensive", "standard"] = Field("comprehensive", json_schema_extra=param_label(
        "Working-hours system", "工时制度",
        "comprehensive: weekends are ordinary roster days; standard: Saturday and Sunday are rest days",
        "comprehensive 综合计算工时制：周末按正常排班；standard 标准工时制：周六、周日为休息日"))
    absence_paid_share: float = Field(0.0, ge=0, le=1, allow_inf_nan=False, json_schema_extra=param_label(
        "Absence paid", "缺勤计薪比例", "Share of a missed shift's regular pay still paid (sick pay)",
        "缺勤班次仍支付的正常工资比例（病假工资）", "share"))


def unknown_patterns(groups: Sequence[StaffGroup], posts: Sequence[Post],
                     patterns: Mapping[str, ShiftPattern]) -> list[str]:
    """A message for each group or post naming a pattern that ``patterns`` lacks (for a params
    model's validator, so the error comes before any simulation)."""
    known = ", ".join(sorted(patterns))
    problems = [f"staff group {g.id!r}: unknown shift pattern {g.pattern!r} (known: {known})"
                for g in groups if g.pattern not in patterns]
    problems += [f"post {p.id!r}: unknown shift pattern {p.pattern!r} (known: {known})"
                 for p in posts if p.pattern not in patterns]
    return problems


# --- persons, shifts, rosters -------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    """One member of staff: ``<group>-<n>`` (n from 1), ``index`` their place in :attr:`Roster.persons`."""

    id: str
    index: int
    group: str
    role: str
    skills: frozenset[str]
    base: str | None
    wage_cny_per_h: float
    crew: int
    pattern: str = ""
    absence_rate: float = 0.0


@dataclass(frozen=True)
class ShiftInstance:
    """One shift of one person: from ``start_s`` to ``end_s`` (simulation seconds), its break, the
    hours it pays (``paid_h``: the whole shift less an unpaid break) and how many of them fall at
    night, on rest days and on holidays, and whether the person missed it (``absent``). The night
    shift running in from the day before ``t = 0`` has a negative ``start_s`` and its full hours."""

    person: int
    start_s: float
    end_s: float
    shift: str
    break_start_s: float
    break_end_s: float
    paid_h: float
    night_h: float
    rest_day: bool
    """Some of its paid hours fall on a Saturday, Sunday or holiday."""
    holiday: bool
    """Some of its paid hours fall on a statutory holiday."""
    absent: bool
    rest_day_h: float = 0.0
    """Paid hours on a Saturday, Sunday or holiday (holiday hours included)."""
    holiday_h: float = 0.0
    """Paid hours on a statutory holiday."""

    @property
    def hours(self) -> float:
        return (self.end_s - self.start_s) / HOUR_S


@dataclass(frozen=True)
class ShiftTable:
    """A roster's shifts as columns (numpy arrays), sorted by start then person: what
    :meth:`Roster.shift_table` returns for code that wants arrays rather than objects."""

    person: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    shift: np.ndarray
    break_start_s: np.ndarray
    break_end_s: np.ndarray
    paid_h: np.ndarray
    night_h: np.ndarray
    rest_day_h: np.ndarray
    holiday_h: np.ndarray
    absent: np.ndarray

    def __len__(self) -> int:
        return int(self.person.size)

    def instances(self) -> list[ShiftInstance]:
        cols = (self.person.tolist(), self.start_s.tolist(), self.end_s.tolist(), self.shift.tolist(),
                self.break_start_s.tolist(), self.break_end_s.tolist(), self.paid_h.tolist(), self.night_h.tolist(),
                (self.rest_day_h > 0).tolist(), (self.holiday_h > 0).tolist(), self.absent.tolist(),
                self.rest_day_h.tolist(), self.holiday_h.tolist())
        # Filling the instances' __dict__ directly: twice as fast as the frozen dataclass's __init__
        # for the tens of thousands of shifts of a year (the values are already checked arrays).
        names, new = _SHIFT_FIELDS, object.__new__
        out = []
        for values in zip(*cols):
            instance = new(ShiftInstance)
            instance.__dict__.update(zip(names, values))
            out.append(instance)
        return out

    def select(self, mask: np.ndarray) -> ShiftTable:
        return ShiftTable(**{name: getattr(self, name)[mask] for name in self.__dataclass_fields__})


_SHIFT_FIELDS = tuple(ShiftInstance.__dataclass_fields__)


def _overlap(a0, a1, b0, b1):
    """Length of the overlap of [a0, a1) and [b0, b1), element-wise."""
    return np.clip(np.minimum(a1, b1) - np.maximum(a0, b0), 0.0, None)


def _crew_days(pattern: ShiftPattern, start_weekday: int, crew: int, day_first: int, day_end: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """(day index, shift position in ``pattern.shifts``) of every shift crew ``crew`` starts on the
    days ``day_first`` … ``day_end - 1``."""
    length = len(pattern.cycle)
    anchor = -start_weekday if pattern.anchor == "monday" else 0
    base = anchor + pattern.crew_offset_days(crew)
    position = {s.id: i for i, s in enumerate(pattern.shifts)}
    days, which = [], []
    for d, day in enumerate(pattern.cycle):
        if not day:
            continue
        first = base + d + length * math.ceil((day_first - base - d) / length)
        n = np.arange(first, day_end, length, dtype=np.int64)
        for sid in day:
            days.append(n)
            which.append(np.full(n.size, position[sid], dtype=np.int64))
    if not days:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(days), np.concatenate(which)


def _pattern_arrays(pattern: ShiftPattern) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    start_h = np.array([s.start_h for s in pattern.shifts])
    hours = np.array([s.hours for s in pattern.shifts])
    break_min = np.array([s.break_min for s in pattern.shifts])
    names = np.array([s.id for s in pattern.shifts], dtype=object)
    return start_h, hours, break_min, names


class Roster:
    """The persons of the staff groups and the shifts they work over a horizon.

    Person n (from 0) of a group is in crew ``n mod crews`` of the group's pattern. Shifts are
    generated with numpy (linear in their number). The roster includes a shift that began the day
    before ``t = 0`` and is still running at 0 (a night shift): its ``start_s`` is negative.
    """

    def __init__(self, groups: Sequence[StaffGroup], patterns: Mapping[str, ShiftPattern], calendar: Calendar,
                 *, pay_rules: PayRules | None = None):
        problems = unknown_patterns(groups, (), patterns)
        if problems:
            raise ValueError("; ".join(problems))
        ids = [g.id for g in groups]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"staff group id {twice[0]!r} is used twice")
        self.groups = tuple(groups)
        self.patterns = dict(patterns)
        self.calendar = calendar
        self.pay_rules = pay_rules or PayRules()
        self.persons: list[Person] = []
        for g in groups:
            crews = patterns[g.pattern].crews
            for n in range(g.count):
                self.persons.append(Person(id=f"{g.id}-{n + 1}", index=len(self.persons), group=g.id, role=g.role,
                                           skills=frozenset(g.skills), base=g.base, wage_cny_per_h=g.wage_cny_per_h,
                                           crew=n % crews, pattern=g.pattern, absence_rate=g.absence_rate))
        self._by_id = {p.id: p for p in self.persons}

    def person(self, person_id: str) -> Person:
        return self._by_id[person_id]

    def persons_of(self, *, role: str | None = None, skill: str | None = None, group: str | None = None
                   ) -> list[Person]:
        return [p for p in self.persons if (role is None or p.role == role) and (skill is None or skill in p.skills)
                and (group is None or p.group == group)]

    def shift_table(self, horizon_s: float, rng: np.random.Generator | None = None) -> ShiftTable:
        """Every shift that overlaps [0, horizon_s), as arrays sorted by start then person.

        Absences are drawn from ``rng``: each shift of a group is missed with the group's
        ``absence_rate``, independently. No number is drawn when every rate is 0 (nor when ``rng`` is
        None: then nobody is absent), so a model without absences keeps its random stream intact.
        """
        if not horizon_s > 0:
            raise ValueError(f"horizon_s must be positive, not {horizon_s!r}")
        day_end = math.ceil(horizon_s / DAY_S)
        start_weekday = self.calendar.start_date.weekday()
        cols: dict[str, list[np.ndarray]] = {k: [] for k in ("person", "start_s", "hours", "break_min", "shift")}
        first_person = 0
        for g in self.groups:
            pattern = self.patterns[g.pattern]
            start_h, hours, break_min, names = _pattern_arrays(pattern)
            for crew in range(min(pattern.crews, g.count)):
                members = np.arange(first_person + crew, first_person + g.count, pattern.crews, dtype=np.int64)
                days, which = _crew_days(pattern, start_weekday, crew, -1, day_end)
                if not days.size:
                    continue
                cols["person"].append(np.repeat(members, days.size))
                cols["start_s"].append(np.tile(days * DAY_S + start_h[which] * HOUR_S, members.size))
                cols["hours"].append(np.tile(hours[which], members.size))
                cols["break_min"].append(np.tile(break_min[which], members.size))
                cols["shift"].append(np.tile(names[which], members.size))
            first_person += g.count
        if not cols["person"]:
            return _empty_table()
        person = np.concatenate(cols["person"])
        start = np.concatenate(cols["start_s"])
        end = start + np.concatenate(cols["hours"]) * HOUR_S
        keep = (end > 0) & (start < horizon_s)
        order = np.lexsort((person[keep], start[keep]))
        person, start, end = person[keep][order], start[keep][order], end[keep][order]
        break_s = np.concatenate(cols["break_min"])[keep][order] * 60.0
        shift = np.concatenate(cols["shift"])[keep][order]
        table = _describe(person, start, end, break_s, shift, self.calendar, self.pay_rules)
        rates = np.array([p.absence_rate for p in self.persons])[person] if person.size else np.empty(0)
        absent = np.zeros(person.size, dtype=bool)
        if rng is not None and rates.size and rates.max() > 0:
            risky = np.flatnonzero(rates > 0)
            absent[risky] = rng.random(risky.size) < rates[risky]
        return ShiftTable(**{**table, "absent": absent})

    def shifts(self, horizon_s: float, rng: np.random.Generator | None = None) -> list[ShiftInstance]:
        """Every shift that overlaps [0, horizon_s), sorted by start (then person); see :meth:`shift_table`."""
        return self.shift_table(horizon_s, rng).instances()

    def on_duty(self, shifts: Sequence[ShiftInstance], t: float, *, role: str | None = None,
                skill: str | None = None, group: str | None = None, on_break: bool = True) -> list[int]:
        """Indices of the persons on shift (and not absent) at ``t``, optionally of one role, skill or
        group; ``on_break=False`` leaves out those on their break. ``shifts`` sorted by start."""
        hi = bisect.bisect_right(shifts, t, key=lambda s: s.start_s)
        lo = bisect.bisect_left(shifts, t - MAX_SHIFT_H * HOUR_S, key=lambda s: s.start_s)
        found = []
        for s in shifts[lo:hi]:
            if s.absent or not s.start_s <= t < s.end_s:
                continue
            if not on_break and s.break_start_s <= t < s.break_end_s:
                continue
            p = self.persons[s.person]
            if (role is None or p.role == role) and (skill is None or skill in p.skills) \
                    and (group is None or p.group == group):
                found.append(s.person)
        return found


def _empty_table() -> ShiftTable:
    f, i = np.empty(0), np.empty(0, np.int64)
    return ShiftTable(person=i, start_s=f, end_s=f, shift=np.empty(0, object), break_start_s=f, break_end_s=f,
                      paid_h=f, night_h=f, rest_day_h=f, holiday_h=f, absent=np.empty(0, bool))


def _paid_within(start, end, break_start, break_end, w0, w1, paid_break: bool):
    """Paid seconds of each shift inside the window [w0, w1)."""
    inside = _overlap(start, end, w0, w1)
    return inside if paid_break else inside - _overlap(break_start, break_end, w0, w1)


def _night_windows(night_start_h: float, night_end_h: float) -> float:
    return ((night_end_h - night_start_h) % 24.0) * HOUR_S


def _night_seconds(start, end, break_start, break_end, rules: PayRules) -> np.ndarray:
    """Paid seconds of each interval inside the night window (``night_start_h`` to ``night_end_h``,
    across midnight when it ends earlier than it starts)."""
    length = _night_windows(rules.night_start_h, rules.night_end_h)
    total = np.zeros(np.shape(start))
    if length <= 0:
        return total
    day0 = np.floor(np.asarray(start) / DAY_S)
    # An interval of at most 40 h from its start day's midnight meets the windows starting the day
    # before, that day, and the next one.
    for d in (-1.0, 0.0, 1.0):
        w0 = (day0 + d) * DAY_S + rules.night_start_h * HOUR_S
        total = total + _paid_within(start, end, break_start, break_end, w0, w0 + length, rules.paid_break)
    return total


def _night_seconds_between(a: float, b: float, rules: PayRules) -> float:
    """Seconds of [a, b) inside the night window (one interval, any length: overtime)."""
    length = _night_windows(rules.night_start_h, rules.night_end_h)
    if length <= 0 or b <= a:
        return 0.0
    total = 0.0
    for day in range(math.floor(a / DAY_S) - 1, math.floor(b / DAY_S) + 1):
        w0 = day * DAY_S + rules.night_start_h * HOUR_S
        total += max(0.0, min(b, w0 + length) - max(a, w0))
    return total


def _describe(person, start, end, break_s, shift, calendar: Calendar, rules: PayRules) -> dict[str, np.ndarray]:
    """Break position (centred in the shift), paid hours, and night, rest-day and holiday hours."""
    break_start = start + ((end - start) - break_s) / 2.0
    break_end = break_start + break_s
    paid_s = (end - start) - (0.0 if rules.paid_break else break_s)
    night_s = _night_seconds(start, end, break_start, break_end, rules)
    day0 = np.floor(start / DAY_S).astype(np.int64)
    rest_s = np.zeros(start.size)
    holiday_s = np.zeros(start.size)
    for d in (0, 1):  # a shift touches its start day and at most the next one
        rest, holiday = calendar.day_flags(day0 + d)
        w0 = (day0 + d) * DAY_S
        on_day = _paid_within(start, end, break_start, break_end, w0, w0 + DAY_S, rules.paid_break)
        rest_s += np.where(rest, on_day, 0.0)
        holiday_s += np.where(holiday, on_day, 0.0)
    return {"person": person, "start_s": start, "end_s": end, "shift": shift, "break_start_s": break_start,
            "break_end_s": break_end, "paid_h": paid_s / HOUR_S, "night_h": night_s / HOUR_S,
            "rest_day_h": rest_s / HOUR_S, "holiday_h": holiday_s / HOUR_S}


# --- coverage of posts ------------------------------------------------------------------------

@dataclass(frozen=True)
class Gap:
    """An interval in which ``post`` has ``missing`` persons fewer than it needs."""

    post: str
    start_s: float
    end_s: float
    missing: int

    @property
    def hours(self) -> float:
        return (self.end_s - self.start_s) / HOUR_S


def uncovered_h(gaps: Iterable[Gap], persons: bool = False) -> dict[str, float]:
    """Hours each post was short of staff (``persons=True``: person-hours, each gap × its missing)."""
    out: dict[str, float] = {}
    for g in gaps:
        out[g.post] = out.get(g.post, 0.0) + g.hours * (g.missing if persons else 1)
    return out


def post_intervals(post: Post, pattern: ShiftPattern, calendar: Calendar, horizon_s: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(start_s, end_s) of the intervals in which ``post`` must be manned within [0, horizon_s):
    the shifts of every crew of its pattern (overlapping ones are merged by the caller)."""
    day_end = math.ceil(horizon_s / DAY_S)
    start_h, hours, _, _ = _pattern_arrays(pattern)
    starts, ends = [], []
    for crew in range(pattern.crews):
        days, which = _crew_days(pattern, calendar.start_date.weekday(), crew, -1, day_end)
        s = days * DAY_S + start_h[which] * HOUR_S
        starts.append(s)
        ends.append(s + hours[which] * HOUR_S)
    s, e = np.concatenate(starts), np.concatenate(ends)
    return np.clip(s, 0.0, horizon_s), np.clip(e, 0.0, horizon_s)


def _step_counts(breaks: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """How many of the intervals [starts, ends) cover each segment [breaks[i], breaks[i+1])."""
    delta = np.zeros(breaks.size)
    np.add.at(delta, np.searchsorted(breaks, starts), 1.0)
    np.add.at(delta, np.searchsorted(breaks, ends), -1.0)
    return np.cumsum(delta)[:-1]


def coverage_gaps(roster: Roster, posts: Sequence[Post], patterns: Mapping[str, ShiftPattern], horizon_s: float,
                  shifts: Sequence[ShiftInstance] | ShiftTable | None = None) -> list[Gap]:
    """The intervals of [0, horizon_s) in which a post has fewer persons of its role on shift (and not
    absent) than it needs, by exact interval arithmetic (to the second, no sampling).

    A person on shift counts for a post whatever their base; during a break they still count (the
    crew relieves itself within the shift). Posts of the same role share that role's persons and are
    filled in the order given: the first post is manned first, a later one takes who is left.
    ``shifts`` defaults to the roster's shifts with nobody absent.
    """
    problems = unknown_patterns((), posts, patterns)
    if problems:
        raise ValueError("; ".join(problems))
    if shifts is None:
        shifts = roster.shift_table(horizon_s)
    if isinstance(shifts, ShiftTable):
        s_person, s_start, s_end, s_absent = shifts.person, shifts.start_s, shifts.end_s, shifts.absent
    else:
        s_person = np.array([s.person for s in shifts], dtype=np.int64)
        s_start = np.array([s.start_s for s in shifts], dtype=float)
        s_end = np.array([s.end_s for s in shifts], dtype=float)
        s_absent = np.array([s.absent for s in shifts], dtype=bool)
    roles = np.array([p.role for p in roster.persons], dtype=object)
    gaps: list[Gap] = []
    for role in dict.fromkeys(p.role for p in posts):
        mine = [p for p in posts if p.role == role]
        on = ~s_absent & (roles[s_person] == role) if s_person.size else np.zeros(0, bool)
        sup_s = np.clip(s_start[on], 0.0, horizon_s)
        sup_e = np.clip(s_end[on], 0.0, horizon_s)
        demand = [post_intervals(p, patterns[p.pattern], roster.calendar, horizon_s) for p in mine]
        breaks = np.unique(np.concatenate([[0.0, horizon_s], sup_s, sup_e] + [x for pair in demand for x in pair]))
        available = _step_counts(breaks, sup_s, sup_e)
        for post, (d_s, d_e) in zip(mine, demand):
            need = np.where(_step_counts(breaks, d_s, d_e) > 0, float(post.persons), 0.0)
            missing = np.maximum(need - available, 0.0)
            available = np.maximum(available - need, 0.0)
            gaps.extend(_runs(post.id, breaks, missing))
    gaps.sort(key=lambda g: (g.start_s, g.post))
    return gaps


def _runs(post: str, breaks: np.ndarray, missing: np.ndarray) -> list[Gap]:
    """Merge consecutive segments with the same shortfall into gaps."""
    short = missing > 0
    if not short.any():
        return []
    change = np.flatnonzero(np.diff(np.concatenate([[0.0], np.where(short, missing, 0.0), [0.0]])) != 0)
    gaps = []
    for a, b in zip(change[:-1], change[1:]):
        if missing[a] > 0:
            gaps.append(Gap(post, float(breaks[a]), float(breaks[b]), int(round(missing[a]))))
    return gaps


# --- head count a post needs (the relief factor) ----------------------------------------------

@dataclass(frozen=True)
class HeadCount:
    """The persons a post needs on the payroll, and why: the hours it must be manned over a year
    divided by the hours one person is actually available (their contract hours less leave,
    holidays, training and sickness)."""

    post: str
    pattern: str
    persons_on_post: int
    hours_needed_h: float
    contract_h_per_week: float
    contract_h_per_year: float
    annual_leave_h: float
    holiday_h: float
    training_h: float
    sickness_h: float
    available_h_per_person: float
    head_count_before_leave: float
    head_count: float
    head_count_whole: int
    relief_factor: float
    """Head count per person on post (4.2 before leave for a 24/7 post at 40 h/week)."""


def _union_h(starts: np.ndarray, ends: np.ndarray) -> float:
    if not starts.size:
        return 0.0
    breaks = np.unique(np.concatenate([starts, ends]))
    covered = _step_counts(breaks, starts, ends) > 0
    return float(np.sum(np.diff(breaks)[covered])) / HOUR_S


def required_head_count(post: Post, pattern: ShiftPattern, *, contract_h_per_week: float = 40.0,
                        annual_leave_days: float = 5.0, holidays: float | Sequence[date] = CHINA_PUBLIC_HOLIDAYS_2027,
                        training_days: float = 3.0, sickness_rate: float = 0.03,
                        calendar: Calendar | None = None, days: int = 365) -> HeadCount:
    """The head count (relief factor × persons) that mans ``post`` over a year of ``days``.

    The hours needed are measured from the pattern (8,760 for a 24/7 post), not assumed. A person's
    contract hours are ``contract_h_per_week × days/7`` (2,085.7 at 40 h); a day of leave, holiday
    or training takes a fifth of the contract week (a five-day week); sickness takes
    ``sickness_rate`` of what is left. Defaults: 5 days' paid annual leave (the statutory minimum,
    《职工带薪年休假条例》 art. 3), the 13 statutory festival days, 3 training days, 3 % sickness —
    for a 24/7 post at 40 h/week this gives 4.71 (REFERENCES "Staffing": 4.5–5); all zero gives 4.2.
    """
    for name, value, low, high in (("contract_h_per_week", contract_h_per_week, 1.0, 84.0),
                                   ("annual_leave_days", annual_leave_days, 0.0, 60.0),
                                   ("training_days", training_days, 0.0, 60.0),
                                   ("sickness_rate", sickness_rate, 0.0, 0.5)):
        if not low <= value <= high:
            raise ValueError(f"{name} = {value!r} is outside [{low:g}, {high:g}]")
    holiday_days = float(holidays) if isinstance(holidays, (int, float)) else float(len(holidays))
    if not 0 <= holiday_days <= 30:
        raise ValueError(f"holidays = {holidays!r}: between 0 and 30 days a year")
    calendar = calendar or Calendar()
    horizon_s = days * DAY_S
    hours_needed = post.persons * _union_h(*post_intervals(post, pattern, calendar, horizon_s))
    contract_year = contract_h_per_week * days / 7.0
    day_h = contract_h_per_week / 5.0
    leave_h, holiday_h, training_h = annual_leave_days * day_h, holiday_days * day_h, training_days * day_h
    present = contract_year - leave_h - holiday_h - training_h
    if present <= 0:
        raise ValueError(f"leave, holidays and training ({leave_h + holiday_h + training_h:g} h) leave no working "
                         f"hours of a {contract_year:g} h year")
    sickness_h = present * sickness_rate
    available = present - sickness_h
    head = hours_needed / available
    return HeadCount(post=post.id, pattern=pattern.id, persons_on_post=post.persons, hours_needed_h=hours_needed,
                     contract_h_per_week=contract_h_per_week, contract_h_per_year=contract_year,
                     annual_leave_h=leave_h, holiday_h=holiday_h, training_h=training_h, sickness_h=sickness_h,
                     available_h_per_person=available, head_count_before_leave=hours_needed / contract_year,
                     head_count=head, head_count_whole=math.ceil(head - 1e-9), relief_factor=head / post.persons)


@dataclass(frozen=True)
class StaffingCheck:
    """A role's posts against the persons of that role on the roster: ``required`` is the sum of the
    posts' head counts (:func:`required_head_count`) rounded up to whole persons."""

    role: str
    posts: tuple[str, ...]
    required_exact: float
    required: int
    rostered: int

    @property
    def missing(self) -> int:
        return max(0, self.required - self.rostered)

    @property
    def short(self) -> bool:
        return self.missing > 0

    def message(self) -> Text:
        """The finding in both languages (a warning when ``short``)."""
        posts = ", ".join(self.posts)
        role = ROLE_LABELS[self.role]
        return text(f"{role['en']}: posts {posts} need {self.required_exact:.2f} persons with relief "
                    f"({self.required} whole); the roster has {self.rostered}",
                    f"{role['zh-CN']}：固定岗位 {posts} 连同轮休需 {self.required_exact:.2f} 人"
                    f"（取整 {self.required} 人），排班{'仅' if self.short else ''}有 {self.rostered} 人")


def check_staffing(roster: Roster, posts: Sequence[Post], patterns: Mapping[str, ShiftPattern],
                   **head_count: float) -> list[StaffingCheck]:
    """For each role with posts, the head count its posts need (with relief; ``head_count`` passes
    leave, training and sickness figures to :func:`required_head_count`) against the persons of that
    role on the roster. Those persons may have other work too (patrols, jobs): a role that is
    ``short`` cannot man its posts over a year whatever the shifts."""
    problems = unknown_patterns((), posts, patterns)
    if problems:
        raise ValueError("; ".join(problems))
    checks = []
    for role in dict.fromkeys(p.role for p in posts):
        mine = [p for p in posts if p.role == role]
        exact = sum(required_head_count(p, patterns[p.pattern], calendar=roster.calendar, **head_count).head_count
                    for p in mine)
        checks.append(StaffingCheck(role=role, posts=tuple(p.id for p in mine), required_exact=exact,
                                    required=math.ceil(exact - 1e-9), rostered=len(roster.persons_of(role=role))))
    return checks


# --- pay ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PayLines:
    """What one shift of one person costs, line by line, with the hours behind each line.

    ``overtime_cny`` prices each overtime hour at the factor of the day it falls on (150 %; 200 % on
    a rest day under the standard system; 300 % on a holiday). The premiums are on top of the
    regular pay of the rostered hours: ``(rest_day_factor − 1)`` on rostered rest-day hours (standard
    system only), ``(holiday_factor − 1)`` on rostered holiday hours — so an hour on a holiday costs
    3 × the wage in all — and the night premium on every hour (rostered or overtime) in the night window.
    """

    regular_h: float = 0.0
    overtime_h: float = 0.0
    night_h: float = 0.0
    rest_day_h: float = 0.0
    holiday_h: float = 0.0
    regular_cny: float = 0.0
    overtime_cny: float = 0.0
    night_premium_cny: float = 0.0
    rest_day_premium_cny: float = 0.0
    holiday_premium_cny: float = 0.0

    @property
    def premium_cny(self) -> float:
        return self.night_premium_cny + self.rest_day_premium_cny + self.holiday_premium_cny

    @property
    def total_cny(self) -> float:
        return self.regular_cny + self.overtime_cny + self.premium_cny


def pay(shift: ShiftInstance, overtime_s: float, person: Person, rules: PayRules, calendar: Calendar) -> PayLines:
    """The pay of one shift and ``overtime_s`` worked straight after its end (Labour Law art. 44)."""
    if not overtime_s >= 0:
        raise ValueError(f"overtime_s must be >= 0, not {overtime_s!r}")
    wage = person.wage_cny_per_h
    if shift.absent:
        regular_h = shift.paid_h * rules.absence_paid_share
        return PayLines(regular_h=regular_h, regular_cny=wage * regular_h)
    standard = rules.hours_system == "standard"
    ordinary_ot_s = rest_ot_s = holiday_ot_s = 0.0
    t, end = shift.end_s, shift.end_s + overtime_s
    while t < end:  # overtime split at midnights, each part at the factor of its day
        stop = min(end, (math.floor(t / DAY_S) + 1) * DAY_S)
        if calendar.is_holiday(t):
            holiday_ot_s += stop - t
        elif standard and calendar.is_rest_day(t):
            rest_ot_s += stop - t
        else:
            ordinary_ot_s += stop - t
        t = stop
    overtime_h = overtime_s / HOUR_S
    overtime_cny = wage * (ordinary_ot_s * rules.overtime_factor + rest_ot_s * rules.rest_day_factor
                           + holiday_ot_s * rules.holiday_factor) / HOUR_S
    ot_night_h = _night_seconds_between(shift.end_s, end, rules) / HOUR_S if overtime_s > 0 else 0.0
    night_h = shift.night_h + ot_night_h
    rest_day_h = (shift.rest_day_h - shift.holiday_h) if standard else 0.0
    return PayLines(regular_h=shift.paid_h, overtime_h=overtime_h, night_h=night_h, rest_day_h=rest_day_h,
                    holiday_h=shift.holiday_h, regular_cny=wage * shift.paid_h, overtime_cny=overtime_cny,
                    night_premium_cny=rules.night_premium_cny_per_h * night_h,
                    rest_day_premium_cny=(rules.rest_day_factor - 1.0) * wage * rest_day_h,
                    holiday_premium_cny=(rules.holiday_factor - 1.0) * wage * shift.holiday_h)


def pay_table(table: ShiftTable, overtime_s: np.ndarray | float, roster: Roster, rules: PayRules,
              calendar: Calendar) -> dict[str, np.ndarray]:
    """:func:`pay` for every shift of a table at once (columns named like :class:`PayLines`' fields,
    plus ``premium_cny`` and ``total_cny``): the same figures, for the staff-time records of a year.
    ``overtime_s`` is one figure per shift (or one for all)."""
    n = len(table)
    overtime = np.broadcast_to(np.asarray(overtime_s, dtype=float), (n,)).copy()
    if np.any(~(overtime >= 0)):
        bad = overtime[~(overtime >= 0)][0]
        raise ValueError(f"overtime_s must be >= 0, not {bad!r}")
    wage = np.array([p.wage_cny_per_h for p in roster.persons], dtype=float)[table.person] if n else np.empty(0)
    present = ~table.absent
    overtime = np.where(present, overtime, 0.0)
    standard = rules.hours_system == "standard"
    start, end = table.end_s, table.end_s + overtime
    ordinary = np.zeros(n)
    rest_ot = np.zeros(n)
    holiday_ot = np.zeros(n)
    day0 = np.floor(start / DAY_S).astype(np.int64)
    spans = int(np.max(np.floor(end / DAY_S).astype(np.int64) - day0)) + 1 if n else 0
    for k in range(spans):  # overtime split at midnights, each part at the factor of its day
        d = day0 + k
        part = _overlap(start, end, d * DAY_S, (d + 1) * DAY_S)
        rest, holiday = calendar.day_flags(d)
        holiday_ot += np.where(holiday, part, 0.0)
        if standard:
            rest_ot += np.where(rest & ~holiday, part, 0.0)
            ordinary += np.where(rest | holiday, 0.0, part)
        else:
            ordinary += np.where(holiday, 0.0, part)
    ot_night = np.zeros(n)
    length = _night_windows(rules.night_start_h, rules.night_end_h)
    if length > 0:
        for k in range(-1, spans + 1):
            w0 = (day0 + k) * DAY_S + rules.night_start_h * HOUR_S
            ot_night += _overlap(start, end, w0, w0 + length)
    regular_h = np.where(present, table.paid_h, table.paid_h * rules.absence_paid_share)
    night_h = np.where(present, table.night_h, 0.0) + ot_night / HOUR_S
    rest_day_h = np.where(present, table.rest_day_h - table.holiday_h, 0.0) if standard else np.zeros(n)
    holiday_h = np.where(present, table.holiday_h, 0.0)
    out = {
        "regular_h": regular_h,
        "overtime_h": overtime / HOUR_S,
        "night_h": night_h,
        "rest_day_h": rest_day_h,
        "holiday_h": holiday_h,
        "regular_cny": wage * regular_h,
        "overtime_cny": wage * (ordinary * rules.overtime_factor + rest_ot * rules.rest_day_factor
                                + holiday_ot * rules.holiday_factor) / HOUR_S,
        "night_premium_cny": rules.night_premium_cny_per_h * night_h,
        "rest_day_premium_cny": (rules.rest_day_factor - 1.0) * wage * rest_day_h,
        "holiday_premium_cny": (rules.holiday_factor - 1.0) * wage * holiday_h,
    }
    out["premium_cny"] = out["night_premium_cny"] + out["rest_day_premium_cny"] + out["holiday_premium_cny"]
    out["total_cny"] = out["regular_cny"] + out["overtime_cny"] + out["premium_cny"]
    return out
