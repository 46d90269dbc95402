"""Rescue: from the alarm to the people out of the car — who goes, how long it takes, and the 30-min rule.

When a car traps people, the alarm reaches the building's control room (消控室) or the
maintenance unit's 24/7 line. TSG T5002 asks the maintenance unit to be **on site within 30 min**
of the report in cities with districts (**1 h** elsewhere: ``district: county``); Qingdao's
observed mean arrival was 10.6 min, Huai'an's about 13 (``../shared/REFERENCES.md``, "Elevators").
The release itself — moving the car to a landing if it stopped between floors, then opening the
doors with the landing-door key — takes minutes by cause (:mod:`models.elevators.entrapment`).

Who goes, in this order (:meth:`Rescue._dispatching`):

1. **On-site certified staff** — the persons of the staff groups (:class:`models.staff.StaffGroup`,
   rostered by :class:`models.staff.Roster` with their absences) holding the skill ``lift``
   (``certified_skill``; optionally only some ``roles``) who are **on shift and free**: the
   nearest by travel time over the floor graph (:class:`models.travel.TravelTable`, from their
   base or the car they last released) gets the call, after ``staff_notify_min`` to hear it and
   drop what they do. A shift that ends during a rescue is finished (overtime); a person on a
   break is called (an entrapment is an emergency).
2. **The contractor's standby technician**, on site at the configured hours
   (``contractor.standby``: the morning and evening peaks, say) — a rescuer like staff.
3. **The contractor's call-out**: when no on-site rescuer is free (``contractor.call:
   when_needed``; ``always``: for every entrapment, as the 96333 platforms notify the
   maintenance unit whatever happens), a crew is called; it reaches the building after a
   lognormal travel time whose mean and coefficient of variation depend on the hour band of the
   call (``contractor.response``, default one band, mean 10.6 min — Qingdao), and walks from the
   entrance (``contractor.entry``) to the car. At most ``contractor.crews`` crews come to the
   building at once; a crew on site takes the next waiting car after a release, and leaves when
   none waits.

Among on-site rescuers the nearest free one is chosen, a tie going to the building's own staff.
Whoever is free and reaches a car first releases it: a crew called for a car that staff reached
meanwhile takes the next waiting car or leaves (the call-out still counted).

**Several cars at once** (a power loss at the evening peak) **compete for the same rescuers**.
Waiting cars are served in the order of ``priority``: ``between_floors_first`` (default) — cars
stopped between floors first (nobody can step out without a rescuer moving the car, and people
in the shaft panic sooner), then the car with the most persons, then the earliest reported;
``most_persons``: persons first, then the earliest; ``fifo``: the earliest reported first. A
rescuer who finishes takes the first waiting car of that order.

Where they go: to a car between floors, first to its machine room (``machine_rooms`` by group;
by default the group's top landing — the control cabinet of a machine-room-less lift and the
nearest point to a roof machine room) to move the car to a landing by hand, then down to that
landing; to a car at a floor, straight to its landing. The rescuer is **on site** (``arrived_s``,
the figure of the 30-min rule) when they reach the first of these; the car is **released** after
the release time and, from the machine room, the walk to the landing. In a building-wide power
loss the lifts do not carry rescuers (:meth:`Rescue.power_loss`): they take the stairs.

Simplifications, stated: a rescue takes one rescuer (many procedures ask for two; a second person
would be a second rescuer of the same car — not modelled); on-site staff set off from their base
(or the car they last released), not from whatever job the operations model has them on; in a
power loss no rescuer rides a lift, not even a generator-fed one.

Records (``entrapments``, one row per entrapment, times in simulation seconds, durations in
minutes; ``rescuer`` is the person's id or ``contractor``, ``rescuer_kind`` ``staff``, ``standby``
or ``callout``, ``rescuer_unit`` the person, standby technician or crew; ``callouts``, one row per
crew called) and KPIs (:meth:`Rescue.kpis`, names as in the elevator model's KPIS) are computed from
them by pure functions.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.elevators.entrapment import YEAR_S, Entrapment
from models.harness import param_label
from models.operations.demand import lognormal_params
from models.operations.params import TravelParams
from models.staff import (BUILTIN_PATTERNS, DAY_S, HOUR_S, ROLES, SKILLS, Calendar, Roster, ShiftPattern, ShiftTable,
                          StaffGroup, unknown_patterns)
from models.travel import travel_table

__all__ = ["HourBand", "StandbyWindow", "LiftContractor", "RescueParams", "Rescue", "rescue_kpis", "breakdown",
           "check", "RULE_MIN"]

NAN = math.nan
RULE_MIN = {"city": 30.0, "county": 60.0}
"""TSG T5002: the maintenance unit on site within 30 min of a report in a city with districts, 1 h elsewhere."""
MAX_MIN = 24 * 60.0


def _cfg() -> ConfigDict:
    return ConfigDict(extra="forbid", frozen=True)


class HourBand(BaseModel):
    """The contractor's travel time to the building for calls made from ``start_h`` to ``end_h`` o'clock."""

    model_config = _cfg()

    start_h: float = Field(0.0, ge=0, lt=24, allow_inf_nan=False, json_schema_extra=param_label(
        "From", "起始时刻", "Clock time the band starts", "时段开始的钟点", "h"))
    end_h: float = Field(24.0, gt=0, le=24, allow_inf_nan=False, json_schema_extra=param_label(
        "To", "结束时刻", "Clock time the band ends (24: midnight)", "时段结束的钟点（24：午夜）", "h"))
    mean_min: float = Field(10.6, ge=0, le=MAX_MIN, allow_inf_nan=False, json_schema_extra=param_label(
        "Mean travel time", "平均到场时间", "Mean minutes from the call to the crew at the building (lognormal; "
        "Qingdao 10.6, Huai'an 13)", "从呼叫到维保人员抵达建筑的平均分钟数（对数正态；青岛 10.6，淮安 13）", "min"))
    cv: float = Field(0.5, ge=0, le=10, allow_inf_nan=False, json_schema_extra=param_label(
        "Variation", "变异系数", "Coefficient of variation of the travel time", "到场时间的变异系数", ""))

    @model_validator(mode="after")
    def _ordered(self) -> HourBand:
        if self.end_h <= self.start_h:
            raise ValueError(f"a band ends after it starts: start_h {self.start_h:g}, end_h {self.end_h:g}")
        return self


class StandbyWindow(BaseModel):
    """Hours at which the contractor keeps technicians on standby in the building."""

    model_config = _cfg()

    start_h: float = Field(7.0, ge=0, lt=24, allow_inf_nan=False, json_schema_extra=param_label(
        "From", "起始时刻", "Clock time the standby starts", "驻场开始的钟点", "h"))
    end_h: float = Field(10.0, gt=0, le=24, allow_inf_nan=False, json_schema_extra=param_label(
        "To", "结束时刻", "Clock time the standby ends", "驻场结束的钟点", "h"))
    days: Literal["every_day", "weekdays", "rest_days"] = Field("weekdays", json_schema_extra=param_label(
        "Days", "日期", "every_day, weekdays (Monday–Friday, not holidays) or rest_days (weekends and holidays)",
        "every_day 每天、weekdays 工作日（周一至周五，节假日除外）或 rest_days 休息日（周末及节假日）"))
    persons: int = Field(1, ge=1, le=20, json_schema_extra=param_label(
        "Technicians", "驻场人数", "Technicians on standby", "驻场技术人员人数", "persons"))

    @model_validator(mode="after")
    def _ordered(self) -> StandbyWindow:
        if self.end_h <= self.start_h:
            raise ValueError(f"a standby window ends after it starts: start_h {self.start_h:g}, end_h {self.end_h:g}")
        return self


def _default_bands() -> list[HourBand]:
    return [HourBand()]


class LiftContractor(BaseModel):
    """The lift maintenance unit (维保单位): its call-out by hour band, its crews, its standby."""

    model_config = _cfg()

    response: list[HourBand] = Field(default_factory=_default_bands, min_length=1, max_length=48,
                                     json_schema_extra=param_label(
                                         "Travel time by hour", "分时段到场时间",
                                         "Hour bands covering the day once, each with the mean and variation of "
                                         "the crew's travel to the building",
                                         "覆盖全天且不重叠的时段，各有维保人员到达建筑的平均时间和变异系数"))
    crews: int = Field(2, ge=1, le=50, json_schema_extra=param_label(
        "Crews", "救援组数", "Crews the contractor can send to the building at once", "维保单位可同时派往本建筑的救援组数",
        "persons"))
    call: Literal["when_needed", "always"] = Field("when_needed", json_schema_extra=param_label(
        "When called", "呼叫时机",
        "when_needed: when no on-site rescuer is free; always: for every entrapment (the 96333 platform's practice)",
        "when_needed：无空闲现场救援人员时；always：每次困人都通知（96333 平台做法）"))
    entry: str | None = Field(None, max_length=80, pattern=r"^[A-Za-z0-9_-]+$", json_schema_extra=param_label(
        "Entrance", "入口", "Space where crews enter (default: the main lobby)", "维保人员进入建筑的位置（默认：主大堂）", pick="space"))
    standby: list[StandbyWindow] = Field(default_factory=list, max_length=20, json_schema_extra=param_label(
        "Standby on site", "驻场值守", "Hours at which technicians wait in the building (none: call-out only)",
        "技术人员在建筑内驻场值守的时段（无：仅呼叫出动）"))
    standby_base: str | None = Field(None, max_length=80, pattern=r"^[A-Za-z0-9_-]+$", json_schema_extra=param_label(
        "Standby post", "驻场位置", "Space where the standby technicians wait (default: the entrance)",
        "驻场技术人员的值守位置（默认：入口）", pick="space"))
    callout_fee_cny: float = Field(0.0, ge=0, le=1e6, allow_inf_nan=False, json_schema_extra=param_label(
        "Call-out fee", "出勤费", "Fee per call-out beyond the maintenance contract", "维保合同外每次出勤的费用", "cny"))
    standby_cny_per_h: float = Field(120.0, ge=0, le=1e5, allow_inf_nan=False, json_schema_extra=param_label(
        "Standby rate", "驻场费率", "Price of an hour of one standby technician", "一名技术人员驻场一小时的费用",
        "cny_per_h"))

    @field_validator("response")
    @classmethod
    def _cover_the_day(cls, bands: list[HourBand]) -> list[HourBand]:
        order = sorted(range(len(bands)), key=lambda i: bands[i].start_h)
        at = 0.0
        for i in order:
            b = bands[i]
            if b.start_h > at + 1e-9:
                raise ValueError(f"response: no band covers {at:g}–{b.start_h:g} h (bands must cover 0–24 h once)")
            if b.start_h < at - 1e-9:
                raise ValueError(f"response: band {i} ({b.start_h:g}–{b.end_h:g} h) overlaps the band before it, "
                                 f"which ends at {at:g} h")
            at = b.end_h
        if at < 24.0 - 1e-9:
            raise ValueError(f"response: no band covers {at:g}–24 h (bands must cover 0–24 h once)")
        return bands

    def band(self, hour: float) -> HourBand:
        """The band of a clock hour in [0, 24)."""
        for b in self.response:
            if b.start_h <= hour < b.end_h:
                return b
        return self.response[-1]


def _default_staff() -> list[StaffGroup]:
    # The operations model's duty technicians (two 12-h shifts, four crews: one on shift 24/7),
    # here holding the lift rescue certificate (电梯安全管理 / 救援 trained).
    return [StaffGroup(id="duty-tech", role="technician", skills=["electrical", "plumbing", "hvac", "general", "lift"],
                       count=4, pattern="two_shift", wage_cny_per_h=40.0, absence_rate=0.03)]


class RescueParams(BaseModel):
    """Who rescues trapped passengers: certified on-site staff on their shifts, and the contractor."""

    model_config = _cfg()

    staff: list[StaffGroup] = Field(default_factory=_default_staff, max_length=200, json_schema_extra=param_label(
        "On-site staff", "现场人员", "Staff groups on site; those with the certified skill may release a car "
        "(none: the contractor only)", "现场员工组；具备持证技能者可实施解困（无：仅靠维保单位）"))
    patterns: dict[str, ShiftPattern] = Field(default_factory=dict, json_schema_extra=param_label(
        "Shift patterns", "班次模式", "Shift patterns besides the built-in ones (day, two_shift, three_shift, split, "
        "weekend, always)", "内置模式（day、two_shift、three_shift、split、weekend、always）以外的班次模式"))
    certified_skill: str = Field("lift", json_schema_extra=param_label(
        "Certified skill", "持证技能", "The skill that certifies a person to release a car", "具备解困资格的技能"))
    roles: list[str] = Field(default_factory=list, max_length=len(ROLES), json_schema_extra=param_label(
        "Roles that rescue", "可实施救援的岗位", "Only persons of these roles rescue (empty: any role with the skill)",
        "仅这些岗位的人员实施救援（留空：具备该技能的任何岗位）"))
    staff_notify_min: float = Field(1.0, ge=0, le=120, allow_inf_nan=False, json_schema_extra=param_label(
        "Call to staff", "通知现场人员用时", "Minutes for an on-site rescuer to get the call and set off",
        "现场救援人员接到通知并出发所需分钟数", "min"))
    travel: TravelParams = Field(default_factory=TravelParams, json_schema_extra=param_label(
        "Travel", "行走", "Walking, stairs and lifts to the car", "前往轿厢的步行、楼梯和电梯"))
    machine_rooms: dict[str, str] = Field(default_factory=dict, json_schema_extra=param_label(
        "Machine rooms", "机房", "Space of each group's machine room or control cabinet, by group id (default: the "
        "group's top landing)", "各电梯组机房或控制柜所在空间（按组编号；默认：该组最高层站）", pick="lift_group", pick_value="space"))
    contractor: LiftContractor = Field(default_factory=LiftContractor, json_schema_extra=param_label(
        "Maintenance contractor", "维保单位", "Call-out by hour band, crews and standby", "分时段出动、救援组与驻场"))
    district: Literal["city", "county"] = Field("city", json_schema_extra=param_label(
        "District", "区域类型", "city: on site within 30 min (TSG T5002); county: within 1 h",
        "city 设区的市：30 分钟内到场（TSG T5002）；county 其他地区：1 小时内到场"))
    priority: Literal["between_floors_first", "most_persons", "fifo"] = Field(
        "between_floors_first", json_schema_extra=param_label(
            "Order of rescue", "救援顺序",
            "Which waiting car a free rescuer takes: between_floors_first (then most persons, then earliest), "
            "most_persons, or fifo (earliest reported)",
            "空闲救援人员先救哪台：between_floors_first 停在两层间者优先（其次人数多、报警早）、most_persons 人数多者优先、"
            "fifo 先报先救"))

    @field_validator("certified_skill")
    @classmethod
    def _skill(cls, v: str) -> str:
        if v not in SKILLS:
            raise ValueError(f"certified_skill: unknown skill {v!r}; known skills: {', '.join(SKILLS)}")
        return v

    @field_validator("roles")
    @classmethod
    def _roles(cls, v: list[str]) -> list[str]:
        for r in v:
            if r not in ROLES:
                raise ValueError(f"roles: unknown role {r!r}; known roles: {', '.join(ROLES)}")
        return v

    @model_validator(mode="after")
    def _plan_is_staffed(self) -> RescueParams:
        problems = unknown_patterns(self.staff, (), {**BUILTIN_PATTERNS, **self.patterns})
        if problems:
            raise ValueError("staff: " + "; ".join(problems))
        ids = [g.id for g in self.staff]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"staff: the group id {twice[0]!r} is used twice")
        if not self.staff:
            return self  # contractor only: nothing named that nobody holds
        for r in self.roles:
            if not any(g.role == r for g in self.staff):
                raise ValueError(f"roles: the plan names role {r!r}, which no staff group holds (groups: "
                                 + ", ".join(f"{g.id} = {g.role}" for g in self.staff) + ")")
        able = [g for g in self.staff if self.certified_skill in g.skills and (not self.roles or g.role in self.roles)]
        if not able:
            who = f" of roles {', '.join(self.roles)}" if self.roles else ""
            raise ValueError(f"certified_skill: the plan names skill {self.certified_skill!r}, which no staff group"
                             f"{who} holds (groups: " + ", ".join(f"{g.id}: {', '.join(g.skills)}" for g in self.staff)
                             + "); give a group the skill, or set staff: [] for contractor-only cover")
        return self

    @property
    def rule_min(self) -> float:
        """The arrival limit of TSG T5002 for the district: 30 min (city) or 60 min (county)."""
        return RULE_MIN[self.district]


# --- checks against the building ----------------------------------------------------------------

def _home_space(building) -> str | None:
    from models.operations.model import home_space  # where staff without a base start, as in operations

    return home_space(building)


def _entrance(building) -> str | None:
    lobbies = [s for s in building.spaces if s.kind == "lobby" and not s.void]
    if lobbies:
        elevation = {f.id: f.elevation_m for f in building.floors}
        ground = min(lobbies, key=lambda s: abs(elevation.get(s.floor, 0.0)))
        return ground.id
    return _home_space(building)


def check(params: RescueParams, building, graph=None) -> list[tuple[tuple, str]]:
    """Problems of the rescue plan against the building, before any run (each with its place
    inside the rescue parameters): unknown spaces and groups, bases cut off from the cars."""
    problems: list[tuple[tuple, str]] = []
    spaces = building.space_by_id
    groups = {g.id for g in building.elevators}
    for i, g in enumerate(params.staff):
        if g.base is not None and g.base not in spaces:
            problems.append((("staff", i, "base"), f"unknown space {g.base!r} (base of staff group {g.id})"))
    for gid, room in params.machine_rooms.items():
        if gid not in groups:
            problems.append((("machine_rooms", gid), f"unknown lift group {gid!r}; the building's groups: "
                             f"{', '.join(sorted(groups)) or 'none'}"))
        if room not in spaces:
            problems.append((("machine_rooms", gid), f"unknown space {room!r} (machine room of group {gid})"))
    c = params.contractor
    if c.entry is not None and c.entry not in spaces:
        problems.append((("contractor", "entry"), f"unknown space {c.entry!r} (the contractor's entrance)"))
    if c.standby_base is not None and c.standby_base not in spaces:
        problems.append((("contractor", "standby_base"), f"unknown space {c.standby_base!r} (standby post)"))
    if graph is not None and params.travel.enabled and not problems and building.elevators:
        table = travel_table(building, graph, walk_mps=params.travel.walk_mps, stair_mps=params.travel.stair_mps,
                             use_lifts=False, lift_wait_s=params.travel.lift_wait_s)
        target = table.node(building.elevators[0].lobbies[0])
        home = _home_space(building)
        for i, g in enumerate(params.staff):
            base = g.base or home
            if base and target >= 0 and not math.isfinite(table.time(table.node(base), target)):
                problems.append((("staff", i, "base"), f"no way on foot from base {base!r} of {g.id} to the lifts"))
    return problems


# --- the rescue ---------------------------------------------------------------------------------

STAFF, STANDBY, CALLOUT = "staff", "standby", "callout"
_KIND_RANK = {STAFF: 0, STANDBY: 1, CALLOUT: 2}
WAITING, ASSIGNED, RELEASED = 0, 1, 2


class _Rescuer:
    """A person who can release a car: on-site staff, a standby technician, or a called-out crew."""

    __slots__ = ("id", "kind", "loc", "busy", "starts", "ends", "on_site", "just_arrived", "called_s", "response_s",
                 "callout")

    def __init__(self, id: str, kind: str, loc: int, starts: Sequence[float] = (), ends: Sequence[float] = ()):
        self.id = id
        self.kind = kind
        self.loc = loc
        self.busy = False
        self.starts = list(starts)
        self.ends = list(ends)
        self.on_site = kind != CALLOUT
        self.just_arrived = False
        self.called_s = NAN
        self.response_s = NAN
        self.callout = -1

    def present(self, t: float) -> bool:
        """On shift (staff), in a standby window, or a crew in the building."""
        if self.kind == CALLOUT:
            return self.on_site
        i = bisect.bisect_right(self.starts, t) - 1
        return i >= 0 and t < self.ends[i]

    def next_start(self, t: float) -> float:
        i = bisect.bisect_right(self.starts, t)
        return self.starts[i] if i < len(self.starts) else math.inf


class _Case:
    """An entrapment being rescued."""

    __slots__ = ("e", "detected_s", "state", "rescuer", "unit", "kind", "dispatched_s", "arrived_s", "released_s",
                 "walk_s", "response_s", "done", "called")

    def __init__(self, e: Entrapment, done: simpy.Event):
        self.e = e
        self.detected_s = NAN
        self.state = WAITING
        self.rescuer = ""
        self.unit = ""
        self.kind = ""
        self.dispatched_s = self.arrived_s = self.released_s = NAN
        self.walk_s = 0.0
        self.response_s = NAN
        self.done = done
        self.called = False


def _merge(starts: np.ndarray, ends: np.ndarray) -> tuple[list[float], list[float]]:
    """Sorted, merged intervals (a shift running straight into the next is one presence)."""
    order = np.argsort(starts, kind="stable")
    out_s: list[float] = []
    out_e: list[float] = []
    for s, e in zip(starts[order].tolist(), ends[order].tolist()):
        if out_e and s <= out_e[-1]:
            out_e[-1] = max(out_e[-1], e)
        else:
            out_s.append(s)
            out_e.append(e)
    return out_s, out_e


class Rescue:
    """The rescue of one replication: its rescuers and the entrapments handed to :meth:`trapped`.

    ``horizon_s`` is the end of the run (simulation time): rosters and standby windows are laid
    out to a day beyond it, so a rescue running past the end still finds who is on shift.
    ``shifts``: the roster's shift table when the operations model already drew it (absences
    included); otherwise drawn here from ``rng``. ``positions``: where persons are now (person id
    → space id; the live twin), instead of their base. ``t0_s``: the start of the run.
    """

    def __init__(self, env: simpy.Environment, building, graph, params: RescueParams, rng: np.random.Generator,
                 calendar: Calendar, *, horizon_s: float, t0_s: float = 0.0, shifts: ShiftTable | None = None,
                 positions: Mapping[str, str] | None = None):
        self.env = env
        self.building = building
        self.p = params
        self.rng = rng
        self.calendar = calendar
        self.t0 = t0_s
        self.horizon_s = horizon_s
        end = horizon_s + DAY_S
        tp = params.travel
        self._tables = {}
        if tp.enabled and graph is not None and building is not None:
            for lifts in (True, False):
                self._tables[lifts] = travel_table(building, graph, walk_mps=tp.walk_mps, stair_mps=tp.stair_mps,
                                                   use_lifts=tp.use_lifts and lifts, lift_wait_s=tp.lift_wait_s)
        self.travel = self._tables.get(True)
        self.lifts_running = True
        home = _home_space(building) if building is not None else None
        entry = params.contractor.entry or (_entrance(building) if building is not None else None)
        self.entry_space = entry
        self._groups = {g.id: g for g in building.elevators} if building is not None else {}
        # on-site staff
        patterns = {**BUILTIN_PATTERNS, **params.patterns}
        self.roster = Roster(params.staff, patterns, calendar)
        table = shifts if shifts is not None else self.roster.shift_table(end, rng)
        positions = dict(positions or {})
        self.rescuers: list[_Rescuer] = []
        for person in self.roster.persons:
            if params.certified_skill not in person.skills or (params.roles and person.role not in params.roles):
                continue
            mine = (table.person == person.index) & ~table.absent
            starts, ends = _merge(table.start_s[mine], table.end_s[mine])
            where = positions.get(person.id) or person.base or home
            self.rescuers.append(_Rescuer(person.id, STAFF, self._node(where), starts, ends))
        # the contractor's standby technicians
        c = params.contractor
        if c.standby:
            days = np.arange(math.floor(t0_s / DAY_S) - 1, math.ceil(end / DAY_S) + 1, dtype=np.int64)
            rest, _ = calendar.day_flags(days)
            for j in range(max(w.persons for w in c.standby)):
                s_list, e_list = [], []
                for w in c.standby:
                    if w.persons <= j:
                        continue
                    on = {"every_day": np.ones(days.size, bool), "weekdays": ~rest, "rest_days": rest}[w.days]
                    s_list.append(days[on] * DAY_S + w.start_h * HOUR_S)
                    e_list.append(days[on] * DAY_S + w.end_h * HOUR_S)
                starts, ends = _merge(np.concatenate(s_list), np.concatenate(e_list)) if s_list else ([], [])
                self.rescuers.append(_Rescuer(f"standby-{j + 1}", STANDBY, self._node(c.standby_base or entry),
                                              starts, ends))
        # the contractor's crews (off site until called)
        for j in range(c.crews):
            self.rescuers.append(_Rescuer(f"crew-{j + 1}", CALLOUT, -1))
        self.cases: list[_Case] = []
        self.callouts: list[dict] = []
        self._wake_at = math.inf
        self._pending = False

    # -- places and travel -----------------------------------------------------------------------

    def _node(self, space: str | None) -> int:
        return self.travel.node(space) if self.travel is not None and space else -1

    def _walk_s(self, a: int, b: int) -> float:
        table = self._tables.get(self.lifts_running)
        if table is None or a < 0 or b < 0:
            return 0.0
        return table.time(a, b)

    def _landing(self, e: Entrapment) -> str | None:
        """The lobby of the car's group on its floor (the landing whose doors are opened)."""
        g = self._groups.get(e.group)
        if g is None:
            return None
        spaces = self.building.space_by_id
        for lb in g.lobbies:
            s = spaces.get(lb)
            if s is not None and s.floor == e.floor:
                return lb
        return g.lobbies[0]

    def _machine_room(self, e: Entrapment) -> str | None:
        room = self.p.machine_rooms.get(e.group)
        if room:
            return room
        g = self._groups.get(e.group)
        if g is None:
            return None
        spaces = self.building.space_by_id
        elevation = {f.id: f.elevation_m for f in self.building.floors}
        lobbies = [lb for lb in g.lobbies if lb in spaces]
        return max(lobbies, key=lambda lb: elevation.get(spaces[lb].floor, 0.0)) if lobbies else None

    def power_loss(self, lifts_running: bool = False) -> None:
        """The mains are lost (or back): rescuers walk the stairs from now (or ride again)."""
        self.lifts_running = lifts_running

    # -- the procedure ---------------------------------------------------------------------------

    def trapped(self, e: Entrapment) -> None:
        """Start the rescue of ``e``: detection → dispatch → arrival → release (at ``e.t_s`` or now,
        whichever is later)."""
        case = _Case(e, self.env.event())
        self.cases.append(case)
        self.env.process(self._reporting(case))

    def _reporting(self, case: _Case):
        """Waits until the entrapment is noticed (the monitoring's alarm or a passenger's call), then
        puts it on the waiting list."""
        e = case.e
        delay = e.t_s + e.detect_delay_s - self.env.now
        if delay > 0:
            yield self.env.timeout(delay)
        case.detected_s = self.env.now
        self._dispatch_soon()

    def _dispatch_soon(self) -> None:
        """Dispatch once everything happening at this instant has happened: cars reported at the
        same moment (a power loss) are then ranked together by priority, not taken in the order
        their events happen to be processed."""
        if self._pending:
            return
        self._pending = True
        ev = self.env.timeout(0.0)
        ev.callbacks.append(self._dispatch_now)

    def _dispatch_now(self, _event) -> None:
        self._pending = False
        self._dispatching()

    def _priority(self, case: _Case) -> tuple:
        e = case.e
        if self.p.priority == "fifo":
            return (case.detected_s, e.id)
        if self.p.priority == "most_persons":
            return (-e.persons, case.detected_s, e.id)
        return (not e.between_floors, -e.persons, case.detected_s, e.id)

    def _first_point(self, e: Entrapment) -> int:
        return self._node(self._machine_room(e) if e.between_floors else self._landing(e))

    def _dispatching(self) -> None:
        """Give each waiting car, in priority order, the nearest free rescuer on site; call the
        contractor for the cars left; wake up when the next shift or standby window starts."""
        now = self.env.now
        waiting = sorted((c for c in self.cases if c.state == WAITING and c.detected_s == c.detected_s),
                         key=self._priority)
        left = []
        for case in waiting:
            target = self._first_point(case.e)
            best = None
            for r in self.rescuers:
                if r.busy or not r.present(now):
                    continue
                walk = self._walk_s(r.loc, target)
                if not math.isfinite(walk):
                    continue
                key = (walk, _KIND_RANK[r.kind])
                if best is None or key < best[0]:
                    best = (key, r)
            if best is None:
                left.append(case)
                continue
            self._assign(best[1], case)
        self._call_contractor(waiting, left)
        if left:
            nxt = min((r.next_start(now) for r in self.rescuers if r.kind != CALLOUT and not r.busy), default=math.inf)
            if now < nxt < self._wake_at:
                self._wake_at = nxt
                self.env.process(self._waking(nxt))
        for r in self.rescuers:  # a crew that found nothing to do leaves
            if r.kind == CALLOUT and r.on_site and not r.busy:
                r.on_site = False
                r.loc = -1
            r.just_arrived = False

    def _waking(self, at: float):
        """Waits for the next start of a shift or standby window while cars wait."""
        yield self.env.timeout(at - self.env.now)
        if self._wake_at == at:
            self._wake_at = math.inf
        self._dispatch_soon()

    def _call_contractor(self, waiting: list[_Case], left: list[_Case]) -> None:
        c = self.p.contractor
        en_route = sum(1 for r in self.rescuers if r.kind == CALLOUT and r.busy and not r.on_site)
        if c.call == "always":
            asks = [case for case in self.cases if case.state != RELEASED and not case.called
                    and case.detected_s == case.detected_s]
            asks.sort(key=self._priority)
        else:
            asks = left[en_route:] if len(left) > en_route else []
        for case in asks:
            crew = next((r for r in self.rescuers if r.kind == CALLOUT and not r.busy and not r.on_site), None)
            if crew is None:
                return
            case.called = True
            self._callout(crew)

    def _callout(self, crew: _Rescuer) -> None:
        now = self.env.now
        band = self.p.contractor.band(self.calendar.hour_of_day(now))
        mean_s = band.mean_min * 60.0
        if mean_s <= 0:
            travel = 0.0
        elif band.cv > 0:
            mu, sigma = lognormal_params(mean_s, band.cv)
            travel = float(self.rng.lognormal(mu, sigma))
        else:
            travel = mean_s
        crew.busy = True
        crew.called_s = now
        crew.response_s = travel
        crew.callout = len(self.callouts)
        self.callouts.append({"callout": crew.callout + 1, "crew": crew.id, "called_s": now,
                              "hour": int(self.calendar.hour_of_day(now)), "at_building_s": NAN,
                              "response_min": travel / 60.0, "used": False})
        self.env.process(self._arriving(crew, travel))

    def _arriving(self, crew: _Rescuer, travel_s: float):
        """Waits for the crew's travel to the building; it then takes the first waiting car (or leaves)."""
        yield self.env.timeout(travel_s)
        crew.busy = False
        crew.on_site = True
        crew.just_arrived = True
        crew.loc = self._node(self.entry_space)
        self.callouts[crew.callout]["at_building_s"] = self.env.now
        self._dispatch_soon()

    def _assign(self, r: _Rescuer, case: _Case) -> None:
        now = self.env.now
        case.state = ASSIGNED
        case.rescuer = r.id if r.kind == STAFF else "contractor"
        case.kind = r.kind
        case.unit = r.id
        if r.kind == CALLOUT and r.just_arrived:
            case.dispatched_s = max(r.called_s, case.detected_s)  # called for this car, or for one reached since
            case.response_s = r.response_s
            self.callouts[r.callout]["used"] = True
            notify = 0.0
        else:
            case.dispatched_s = now
            notify = self.p.staff_notify_min * 60.0
        r.busy = True
        r.just_arrived = False
        self.env.process(self._releasing(r, case, notify))

    def _releasing(self, r: _Rescuer, case: _Case, notify_s: float):
        """The rescuer hears the call, walks to the machine room (a car between floors) or the
        landing, releases the car — from the machine room, then walks down to open the landing."""
        e = case.e
        landing = self._node(self._landing(e))
        first = self._first_point(e)
        walk = self._walk_s(r.loc, first)
        case.walk_s = walk
        yield self.env.timeout(notify_s + walk)
        case.arrived_s = self.env.now
        yield self.env.timeout(e.release_s)
        if e.between_floors:
            yield self.env.timeout(self._walk_s(first, landing))
        case.released_s = self.env.now
        case.state = RELEASED
        r.loc = landing if landing >= 0 else r.loc
        r.busy = False
        case.done.succeed()
        self._dispatch_soon()

    # -- results ---------------------------------------------------------------------------------

    def finished(self) -> simpy.Event:
        """An event that fires when every entrapment handed over so far is released."""
        return self.env.all_of([c.done for c in self.cases])

    @property
    def records(self) -> dict[str, list[dict]]:
        """``entrapments``: one row per entrapment; ``callouts``: one row per call-out of a crew."""
        now = self.env.now
        rule = self.p.rule_min
        rows = []
        for c in self.cases:
            e = c.e
            det = c.detected_s
            arr = c.arrived_s
            rel = c.released_s
            arrival_min = (arr - det) / 60.0
            trapped_min = (rel - e.t_s) / 60.0

            def within(limit_min: float, value_min: float, since: float) -> float:
                if value_min == value_min:
                    return 1.0 if value_min <= limit_min + 1e-9 else 0.0
                if since == since and (now - since) / 60.0 > limit_min:
                    return 0.0  # not there yet, and already late
                return NAN

            rows.append({
                "entrapment": e.id, "car": e.car, "group": e.group, "cause": e.cause, "t_s": e.t_s,
                "hour": int(self.calendar.hour_of_day(e.t_s)), "floor": e.floor, "between_floors": e.between_floors,
                "persons": e.persons, "detection": e.detection, "detected_s": det, "rescuer": c.rescuer,
                "rescuer_kind": c.kind, "rescuer_unit": c.unit, "dispatched_s": c.dispatched_s, "arrived_s": arr,
                "released_s": rel,
                "detect_min": (det - e.t_s) / 60.0, "wait_min": (c.dispatched_s - det) / 60.0,
                "response_min": c.response_s / 60.0, "walk_min": c.walk_s / 60.0, "arrival_min": arrival_min,
                "release_min": e.release_s / 60.0, "trapped_min": trapped_min, "rule_min": rule,
                "within_rule": within(rule, arrival_min, det), "within_60": within(60.0, arrival_min, det),
                "release_within_30": within(30.0, trapped_min, e.t_s),
            })
        return {"entrapments": rows, "callouts": [dict(x) for x in self.callouts]}

    def kpis(self, horizon_s: float | None = None) -> dict[str, float]:
        """The rescue KPIs of this replication (:func:`rescue_kpis` of the records); the yearly
        rates over ``horizon_s`` (default: the run from ``t0_s`` to the horizon)."""
        span = (horizon_s if horizon_s is not None else self.horizon_s - self.t0)
        return rescue_kpis(self.records["entrapments"], span)


def _mean(values: list[float]) -> float:
    v = [x for x in values if x == x]
    return float(np.mean(v)) if v else NAN


def rescue_kpis(rows: Sequence[Mapping], span_s: float) -> dict[str, float]:
    """The rescue KPIs from the ``entrapments`` records of ``span_s`` seconds: the counts per year
    always; the times and shares only when they are defined (no entrapment: absent).
    ``arrival_within_30`` is the share with a rescuer on site within the rule's limit of the
    district (30 min, or 60 outside city districts) — the name of the contract is kept;
    ``release_within_30`` the share released within 30 min of the car stopping. A car not yet
    reached (released) when the records are taken counts as late once the limit has passed, and is
    left out before."""
    years = span_s / YEAR_S
    out = {"entrapments_per_year": len(rows) / years if years > 0 else NAN,
           "persons_trapped_per_year": sum(r["persons"] for r in rows) / years if years > 0 else NAN}
    detect = [r["detect_min"] for r in rows if r["detect_min"] == r["detect_min"]]
    arrival = [r["arrival_min"] for r in rows if r["arrival_min"] == r["arrival_min"]]
    trapped = [r["trapped_min"] for r in rows if r["trapped_min"] == r["trapped_min"]]
    for name, values in (("detect_min", detect), ("arrival_min", arrival), ("trapped_min", trapped)):
        if values:
            out[name] = float(np.mean(values))
    if trapped:
        out["trapped_p95_min"] = float(np.percentile(trapped, 95))
        out["trapped_worst_min"] = float(np.max(trapped))
    for name, col in (("arrival_within_30", "within_rule"), ("arrival_within_60", "within_60"),
                      ("release_within_30", "release_within_30")):
        v = _mean([r[col] for r in rows])
        if v == v:
            out[name] = v
    return out


def breakdown(rows: Sequence[Mapping], by: str) -> list[dict]:
    """The ``entrapments`` records summed up by a column (``cause``, ``hour``, ``rescuer_kind``):
    count, persons, mean arrival and time trapped, share of arrivals within the rule."""
    groups: dict = {}
    for r in rows:
        groups.setdefault(r[by], []).append(r)
    out = []
    for key in sorted(groups, key=lambda k: (str(type(k)), k)):
        g = groups[key]
        out.append({by: key, "entrapments": len(g), "persons": sum(r["persons"] for r in g),
                    "arrival_min": _mean([r["arrival_min"] for r in g]),
                    "trapped_min": _mean([r["trapped_min"] for r in g]),
                    "within_rule": _mean([r["within_rule"] for r in g])})
    return out
