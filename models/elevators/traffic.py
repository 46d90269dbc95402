"""Lift traffic: the building's people riding its lift groups through a day, every passenger simulated.

People make lift trips all day: in an office the morning **up-peak** (everyone arriving through the
main lobby), the **lunch** traffic both ways, the evening **down-peak**, and **inter-floor** trips
between floors in between; in a residential tower the morning down-peak (leaving for work and
school) and the evening return, with trips to the car park floors. A daily profile gives, per hour
(or per five minutes), the share of the day's trips made then and how they split into incoming (from
the entrance up), outgoing (down to the entrance) and inter-floor trips (:class:`DailyProfile`,
:func:`traffic_profile`; the built-in office and residential profiles). Trips start at random
(Poisson) at that rate; each passenger's floor is drawn by the floor's population — the occupants
of the spaces nearest each group's lift lobby on that floor (:func:`floor_populations`) — and the
entrance is the group's main lobby, or a car-park floor for a share of trips.

A passenger presses the landing button and joins the queue on their floor; the group controller
(:mod:`models.elevators.dispatch`: collective, nearest-car or destination control) sends a car. A car
flies between floors with the jerk-limited profile of :mod:`models.kinematics`, opens its doors
(``door_open_s``), lets out those who asked for this floor and takes in those waiting in its
direction, ``boarding_s_per_person`` each, up to its capacity — those who do not fit are *left
behind* and wait for the next car — and closes its doors (``door_close_s``). A call made ahead of a
moving car in its direction is taken on the way while the car can still stop for it.

**The up-peak test** (``up_peak_test``) reproduces the round-trip-time formula's assumptions
(CIBSE Guide D; ``../shared/REFERENCES.md`` "Elevators"): every passenger from the main lobby,
destinations random over the floors served above it, every car leaving the lobby with ``P`` =
``up_peak_load_share`` × capacity passengers (a whole number each trip, ``P`` on average), the car
returning empty to the lobby from its highest call.

**Records and KPIs.** :attr:`Traffic.records` has three tables (times in simulation seconds):

* ``passengers`` — passenger, group, origin, destination (floor ids), arrived_s, boarded_s,
  alighted_s (None if not yet), car, wait_s, transit_s, left_behind (times a full car left them);
* ``car_stops`` — one row per door cycle: car, group, t_s (arrival), departed_s (doors shut), floor,
  floor_index (in the group's floors by elevation), direction it leaves in (+1 up, −1 down, 0 none),
  boarded, alighted, load_after, reversal (it left in another direction than it came), trip (the
  car's round trip: counted up at each stop in the main lobby);
* ``cars`` — car, group, starts, distance_m, busy_s (not resting), trips (lobby stops), stopped_s.

The KPIs (:meth:`Traffic.kpis`, names in :data:`TRAFFIC_KPIS`) are computed from the run's rows, over the
passengers who arrived in the window: ``awt_s`` and ``p95_wait_s`` (arrival to boarding), ``ttd_s``
(arrival to alighting), ``left_behind_share``, ``passengers``, ``starts_per_car`` and
``distance_km_per_car``. The lobby figures are measured, per group, over the loaded departures from
the main lobby in the busiest hour of the day (most passengers boarding there) — in the up-peak test
over every departure after each car's first: ``interval_s`` (mean time between departures),
``rtt_s`` (mean time from a car's departure to its next, less any time it rested), ``car_loading``
(persons aboard / capacity on leaving), ``hc5_share`` (passengers carried from the lobby per five
minutes, ``300 · mean boarded / interval``, summed over groups, as a share of the population — at
saturation, i.e. in the up-peak test, this is the handling capacity ``300·P·L/RTT``; in a quiet hour
it is the flow carried, not what the group could carry).

:meth:`Traffic.stop_cars` stops cars where they are (a power loss) and says who is aboard;
:func:`aboard_by_hour` gives the entrapment model the starts per hour and the persons aboard a
starting car by hour from one simulated working day.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Literal

import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.elevators.dispatch import IDLE, MOVING, STOPPED, STOPPING, UP, CarState, make_control
from models.harness import param_label
from models.kinematics import lift_profile
from models.staff import Calendar
from twin.spec import Building, ElevatorGroup

__all__ = ["DailyProfile", "TrafficParams", "BUILTIN_PROFILES", "traffic_profile", "floor_populations",
           "main_lobby", "Traffic", "aboard_by_hour", "up_peak_capacity", "TRAFFIC_KPIS"]

HOUR_S = 3600.0
DAY_S = 86_400.0
TRAFFIC_KPIS = ("awt_s", "p95_wait_s", "ttd_s", "interval_s", "rtt_s", "hc5_share", "car_loading", "passengers",
                "left_behind_share", "starts_per_car", "distance_km_per_car")
"""The KPI names :meth:`Traffic.kpis` computes."""
SHARE_TOLERANCE = 1e-6


# --- daily profiles -----------------------------------------------------------------------------

class DailyProfile(BaseModel):
    """The day's lift trips by hour (24 values) or by five minutes (288 values).

    ``share`` is the share of the day's trips made in each period (summing to 1); ``incoming``,
    ``outgoing`` and ``interfloor`` split each period's trips into trips from the entrance up, down to
    the entrance and between other floors (summing to 1 in each period).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    share: list[float] = Field(min_length=24, max_length=288, json_schema_extra=param_label(
        "Share of the day's trips", "各时段出行占比",
        "Share of the day's lift trips made in each hour (24 values) or five minutes (288 values); sums to 1",
        "每小时（24 个值）或每五分钟（288 个值）的电梯出行占全天的比例；合计为 1", "share"))
    incoming: list[float] = Field(min_length=24, max_length=288, json_schema_extra=param_label(
        "Incoming share", "上行进入比例", "Share of the period's trips from the entrance up into the building",
        "该时段从入口层上行进入楼内的出行比例", "share"))
    outgoing: list[float] = Field(min_length=24, max_length=288, json_schema_extra=param_label(
        "Outgoing share", "下行离开比例", "Share of the period's trips down to the entrance",
        "该时段下行至入口层离开的出行比例", "share"))
    interfloor: list[float] = Field(min_length=24, max_length=288, json_schema_extra=param_label(
        "Inter-floor share", "层间出行比例", "Share of the period's trips between two other floors",
        "该时段在两个非入口楼层之间的出行比例", "share"))
    trips_per_person_day: float = Field(3.0, ge=0, le=50, allow_inf_nan=False, json_schema_extra=param_label(
        "Lift trips per person a day", "人均每日乘梯次数", "Lift trips one occupant makes on a working day",
        "每位使用者工作日的乘梯次数"))
    rest_day_share: float = Field(1.0, ge=0, le=2, allow_inf_nan=False, json_schema_extra=param_label(
        "Rest-day traffic", "休息日客流系数",
        "Trips on a Saturday, Sunday or holiday as a share of a working day's (same shape)",
        "周末或节假日出行量相对工作日的比例（时段分布相同）", "share"))

    @model_validator(mode="after")
    def _shares(self) -> "DailyProfile":
        n = len(self.share)
        if n not in (24, 288):
            raise ValueError(f"share has {n} values; give 24 (hours) or 288 (five minutes)")
        for name in ("incoming", "outgoing", "interfloor"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} values; share has {n}: give one per period")
        for name in ("share", "incoming", "outgoing", "interfloor"):
            bad = [(i, v) for i, v in enumerate(getattr(self, name)) if not (0 <= v <= 1) or not math.isfinite(v)]
            if bad:
                raise ValueError(f"{name}[{bad[0][0]}] = {bad[0][1]!r} is not a share between 0 and 1")
        total = math.fsum(self.share)
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError(f"share sums to {total:.6g}, not 1: the periods' shares of the day's trips "
                             "must add up to 1")
        for i, parts in enumerate(zip(self.incoming, self.outgoing, self.interfloor)):
            s = math.fsum(parts)
            if abs(s - 1.0) > SHARE_TOLERANCE:
                raise ValueError(f"period {i}: incoming {parts[0]!r} + outgoing {parts[1]!r} + interfloor "
                                 f"{parts[2]!r} = {s:.6g}, not 1")
        return self


def _profile_from_rates(incoming: Sequence[float], outgoing: Sequence[float], interfloor: Sequence[float],
                        trips_per_person_day: float, rest_day_share: float) -> DailyProfile:
    """A profile from trips per person in each hour by kind (any scale: the shares are derived)."""
    inc, out, inter = (np.asarray(x, dtype=float) for x in (incoming, outgoing, interfloor))
    total = inc + out + inter
    share = total / total.sum()
    safe = np.where(total > 0, total, 1.0)
    i, o = np.where(total > 0, inc / safe, 0.5), np.where(total > 0, out / safe, 0.5)
    f = 1.0 - i - o
    share = share / math.fsum(share)
    return DailyProfile(share=share.tolist(), incoming=i.tolist(), outgoing=o.tolist(),
                        interfloor=np.clip(f, 0.0, 1.0).tolist(), trips_per_person_day=trips_per_person_day,
                        rest_day_share=rest_day_share)


# Trips per person by hour 00..23, by kind. Office: arrivals 07–10 h peaking 08–09 h (up-peak), lunch
# out 11–13 h and back 12–14 h, departures 16–20 h peaking 17–18 h (down-peak), inter-floor trips
# through the working day; about four trips a working day, a tenth of that on rest days.
_OFFICE_IN = [0, 0, 0, 0, 0, 0, .02, .15, .55, .20, .05, .04, .20, .25, .06, .04, .03, .02, .01, .01, 0, 0, 0, 0]
_OFFICE_OUT = [0, 0, 0, 0, 0, 0, 0, .01, .02, .03, .04, .15, .25, .06, .04, .05, .10, .40, .30, .09, .05, .03, .01, 0]
_OFFICE_INTER = [0, 0, 0, 0, 0, 0, 0, .01, .03, .06, .08, .06, .04, .06, .08, .08, .06, .03, .01, 0, 0, 0, 0, 0]
# Residential: leaving 06–09 h (the residential morning down-peak), coming home 16–21 h peaking
# 18 h with a two-way evening peak, a little traffic all night; about three trips a day, every day.
_HOME_IN = [.02, .01, .005, .003, .003, .005, .02, .05, .06, .08, .08, .10, .10, .08, .08, .09, .12, .22, .28, .22,
            .14, .10, .06, .04]
_HOME_OUT = [.005, .003, .002, .002, .005, .02, .10, .30, .22, .12, .08, .07, .08, .08, .08, .08, .08, .10, .12,
             .12, .08, .04, .02, .01]
_HOME_INTER = [0, 0, 0, 0, 0, 0, .005, .01, .01, .01, .01, .01, .01, .01, .01, .01, .01, .01, .015, .015, .01, .01,
               .005, 0]

BUILTIN_PROFILES: dict[str, DailyProfile] = {
    "office": _profile_from_rates(_OFFICE_IN, _OFFICE_OUT, _OFFICE_INTER, 4.0, 0.1),
    "residential": _profile_from_rates(_HOME_IN, _HOME_OUT, _HOME_INTER, 3.0, 1.0),
}
"""The built-in daily profiles (a working day; rest days scale it by ``rest_day_share``)."""


def traffic_profile(profile: str | DailyProfile, step_min: int = 60) -> dict[str, np.ndarray]:
    """The profile's arrays per ``step_min`` period (60 or 5): ``share`` (of the day's trips; sums to 1),
    ``incoming``, ``outgoing``, ``interfloor`` (each period's split; sums to 1). An hourly profile
    asked for by five minutes spreads each hour evenly; a five-minute one asked for by hour sums it."""
    if isinstance(profile, str):
        try:
            profile = BUILTIN_PROFILES[profile]
        except KeyError:
            raise ValueError(f"unknown traffic profile {profile!r}; built in: {', '.join(BUILTIN_PROFILES)}") from None
    if step_min not in (5, 60):
        raise ValueError(f"step_min {step_min!r}: give 60 (hours) or 5 (five minutes)")
    share = np.asarray(profile.share, dtype=float)
    parts = {k: np.asarray(getattr(profile, k), dtype=float) for k in ("incoming", "outgoing", "interfloor")}
    n = 1440 // step_min
    if len(share) == n:
        return {"share": share, **parts}
    if len(share) == 24:      # hours → five minutes
        return {"share": np.repeat(share / 12.0, 12), **{k: np.repeat(v, 12) for k, v in parts.items()}}
    hourly = share.reshape(24, 12)   # five minutes → hours, weighting the split by each period's share
    total = hourly.sum(axis=1)
    safe = np.where(total > 0, total, 1.0)
    out = {"share": total}
    for k, v in parts.items():
        w = (v.reshape(24, 12) * hourly).sum(axis=1)
        out[k] = np.where(total > 0, w / safe, 1.0 / 3.0)
    return out


# --- parameters ---------------------------------------------------------------------------------

class TrafficParams(BaseModel):
    """Who rides the lifts when, how the group is controlled, and the window of the day simulated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: Literal["auto", "office", "residential"] = Field("auto", json_schema_extra=param_label(
        "Daily traffic profile", "日客流曲线",
        "Built-in daily profile: office (up-peak, lunch, down-peak) or residential; auto: by the building's use",
        "内置日客流曲线：办公（上行高峰、午餐、下行高峰）或住宅；auto 按建筑用途选择"))
    custom_profile: DailyProfile | None = Field(None, json_schema_extra=param_label(
        "Own daily profile", "自定义日客流曲线", "A daily profile of your own, instead of the built-in one",
        "自定义的日客流曲线，替代内置曲线"))
    trips_per_person_day: float | None = Field(None, ge=0, le=50, allow_inf_nan=False, json_schema_extra=param_label(
        "Lift trips per person a day", "人均每日乘梯次数",
        "Lift trips one occupant makes on a working day (empty: the profile's own figure)",
        "每位使用者工作日的乘梯次数（留空：采用曲线自带值）"))
    population: int | None = Field(None, ge=0, le=200_000, json_schema_extra=param_label(
        "Population", "使用人数",
        "People using the lifts simulated (empty: the occupants of the floors they serve, from the building file)",
        "所模拟电梯的使用人数（留空：按建筑文件中各服务楼层的人数）", "persons"))
    car_park_share: float = Field(0.15, ge=0, le=1, allow_inf_nan=False, json_schema_extra=param_label(
        "Car-park share", "停车层出行比例",
        "Share of trips to or from the entrance that start or end on a car-park floor the group serves",
        "往返入口的出行中，起止于电梯组服务的停车层的比例", "share"))
    dispatcher: Literal["collective", "nearest_car", "destination"] = Field("collective", json_schema_extra=param_label(
        "Group control", "群控方式",
        "How landing calls are given to cars: collective, nearest car, or destination control",
        "召唤分配方式：集选控制、最近车分配或目的层控制"))
    start_h: float = Field(0.0, ge=0, lt=24, allow_inf_nan=False, json_schema_extra=param_label(
        "Window start", "模拟时段开始", "Clock time the simulated window of the day starts",
        "模拟时段开始的时刻", "h"))
    end_h: float = Field(24.0, gt=0, le=24, allow_inf_nan=False, json_schema_extra=param_label(
        "Window end", "模拟时段结束",
        "Clock time the simulated window of the day ends (no new passengers after it)",
        "模拟时段结束的时刻（此后不再产生新乘客）", "h"))
    boarding_s_per_person: float = Field(1.2, gt=0, le=20, allow_inf_nan=False, json_schema_extra=param_label(
        "Boarding time per person", "每人进出轿厢时间",
        "Seconds one passenger takes to enter or to leave a car (tp of the round-trip formula)",
        "每位乘客进入或离开轿厢所需时间（往返时间公式中的 tp）", "s"))
    park_at_home: bool = Field(True, json_schema_extra=param_label(
        "Idle cars go home", "空闲返回基站", "An idle car returns to its home floor (the main lobby unless set)",
        "空闲轿厢返回其基站（未设置时为主门厅层）"))
    up_peak_test: bool = Field(False, json_schema_extra=param_label(
        "Up-peak test", "上行高峰测试",
        "The round-trip formula's assumptions: all from the main lobby, random destinations, cars leave with P",
        "往返时间公式的假设：全部乘客从主门厅出发、目的层随机、轿厢每次载 P 人离开"))
    up_peak_load_share: float = Field(0.8, gt=0, le=1, allow_inf_nan=False, json_schema_extra=param_label(
        "Up-peak car load", "上行高峰载客率",
        "P as a share of the car's capacity in the up-peak test (0.8 in the formula)",
        "上行高峰测试中每次载客数 P 占额定载客数的比例（公式取 0.8）", "share"))

    @model_validator(mode="after")
    def _window(self) -> "TrafficParams":
        if self.end_h <= self.start_h:
            raise ValueError(f"end_h {self.end_h!r} is not after start_h {self.start_h!r}")
        return self

    def daily_profile(self, building: Building) -> DailyProfile:
        """The profile used: the custom one, else the built-in one named (``auto``: by the building's use)."""
        if self.custom_profile is not None:
            return self.custom_profile
        name = self.profile
        if name == "auto":
            name = "office" if building.use == "office" else "residential"
        return BUILTIN_PROFILES[name]


# --- the building's side: who lives where, and the main lobby -----------------------------------

def main_lobby(building: Building, group: ElevatorGroup) -> str:
    """The group's main lobby floor: the home floor most of its cars have, else the floor of an exit
    it serves, else the served floor nearest ground level."""
    served = {f for car in group.cars for f in car.floors_served}
    homes = Counter(car.home_floor for car in group.cars if car.home_floor in served)
    if homes:
        return homes.most_common(1)[0][0]
    exits = [e.floor for e in building.exits if e.floor in served]
    if exits:
        return Counter(exits).most_common(1)[0][0]
    return min(served, key=lambda f: abs(building.floor_by_id[f].elevation_m))


def floor_populations(building: Building) -> dict[str, dict[str, float]]:
    """Persons per floor using each group: every occupied space counts for the group whose lift lobby
    on its floor is nearest (plan distance between centroids); floors without a lobby use no lift."""
    lobbies: dict[str, list[tuple[str, tuple[float, float]]]] = {}
    for g in building.elevators:
        for lid in g.lobbies:
            space = building.space_by_id.get(lid)
            if space is not None:
                lobbies.setdefault(space.floor, []).append((g.id, space.centroid))
    out: dict[str, dict[str, float]] = {g.id: {} for g in building.elevators}
    for s in building.spaces:
        n = s.occupant_count
        if n <= 0 or s.floor not in lobbies:
            continue
        cx, cy = s.centroid
        gid = min(lobbies[s.floor], key=lambda item: (item[1][0] - cx) ** 2 + (item[1][1] - cy) ** 2)[0]
        out[gid][s.floor] = out[gid].get(s.floor, 0.0) + n
    return out


class _Group:
    """One simulated group: its floors (by elevation), cars, queues (in its controller) and flight times."""

    def __init__(self, spec: ElevatorGroup, building: Building):
        self.spec = spec
        served = {f for car in spec.cars for f in car.floors_served}
        self.floors = sorted(served, key=lambda f: building.floor_by_id[f].elevation_m)
        self.index = {f: i for i, f in enumerate(self.floors)}
        self.z = [building.floor_by_id[f].elevation_m for f in self.floors]
        self.lobby = self.index[main_lobby(building, spec)]
        self.car_parks = sorted({self.index[s.floor] for s in building.spaces if s.kind == "car_park"
                                 and s.floor in self.index and self.index[s.floor] != self.lobby})
        self.cars: list[CarState] = []
        self.control = None
        self.times: dict[tuple, tuple[list[list[float]], list[list[float]]]] = {}
        self.population = np.zeros(len(self.floors))

    def flight_tables(self, car) -> tuple[list[list[float]], list[list[float]]]:
        """(flight time, time to stop from peak speed) between every two floors, for this car's kinematics."""
        key = (car.rated_speed_mps, car.acceleration_mps2, car.jerk_mps3)
        if key not in self.times:
            n = len(self.z)
            flight = [[0.0] * n for _ in range(n)]
            braking = [[0.0] * n for _ in range(n)]
            for a in range(n):
                for b in range(a + 1, n):
                    prof = lift_profile(self.z[b] - self.z[a], *key)
                    flight[a][b] = flight[b][a] = prof.duration_s
                    braking[a][b] = braking[b][a] = prof.accelerating_s
            self.times[key] = (flight, braking)
        return self.times[key]


# --- the traffic ----------------------------------------------------------------------------------

class Traffic:
    """One replication's lift traffic on the replication's ``env``.

    ``group`` is one group or several (each with its own controller and passengers); ``start_s`` is the
    simulation time of 00:00 of the day simulated (the window is ``start_h``–``end_h`` of it);
    ``out_of_service`` names cars that do not run. Call :meth:`start`, run the env past the window's
    end, then read :attr:`records` and :meth:`kpis`.
    """

    def __init__(self, env: simpy.Environment, building: Building, group: ElevatorGroup | Sequence[ElevatorGroup],
                 params: TrafficParams, rng: np.random.Generator, calendar: Calendar | None = None, *,
                 out_of_service: Collection[str] = (), start_s: float = 0.0):
        self.env, self.building, self.params, self.rng = env, building, params, rng
        self.calendar = calendar if calendar is not None else Calendar()
        specs = [group] if isinstance(group, ElevatorGroup) else list(group)
        if not specs:
            raise ValueError("no elevator group to simulate")
        self.start_s = float(start_s)
        self.window_s = (self.start_s + params.start_h * HOUR_S, self.start_s + params.end_h * HOUR_S)
        self.out_of_service = frozenset(out_of_service)
        unknown = sorted(self.out_of_service - {c.id for g in building.elevators for c in g.cars})
        if unknown:
            raise ValueError(f"out_of_service names cars the building lacks: {', '.join(unknown)}")
        # passenger columns (index = passenger id)
        self.p_group: list[int] = []
        self.p_origin: list[int] = []
        self.p_dest: list[int] = []
        self.p_arrived: list[float] = []
        self.p_boarded: list[float] = []
        self.p_alighted: list[float] = []
        self.p_car: list[str | None] = []
        self.p_left: list[int] = []
        self._stops: list[tuple] = []          # car stops with a door cycle
        self._flights: list[tuple] = []        # (t_s, load, car id)
        self._lobby_departures: list[tuple] = []   # lobby door cycles: (group, car, t_s, idle_s so far, boarded,
        #                                             load, capacity)
        self._stopped: dict[str, float] = {}
        self._started = False
        pops = floor_populations(building)
        self.groups: list[_Group] = []
        self.cars: dict[str, CarState] = {}
        self._flight: dict[str, tuple[list[list[float]], list[list[float]]]] = {}
        self._group_of: dict[str, _Group] = {}
        self.profile = params.daily_profile(building)
        for spec in specs:
            g = _Group(spec, building)
            for f, n in pops.get(spec.id, {}).items():
                if f in g.index:
                    g.population[g.index[f]] += n
            self.groups.append(g)
            for car in spec.cars:
                if car.id in self.out_of_service:
                    continue
                home = g.index[car.home_floor] if car.home_floor in g.index else g.lobby
                served = set(car.floors_served)
                state = CarState(car.id, len(g.cars), spec.id, car, [f in served for f in g.floors], home)
                g.cars.append(state)
                self.cars[car.id] = state
                self._flight[car.id] = g.flight_tables(car)
                self._group_of[car.id] = g
            stop_s = float(np.mean([c.door_open_s + c.door_close_s for c in spec.cars])) + 2.0
            rise_m = float(np.mean(np.diff(g.z))) if len(g.z) > 1 else 3.0
            floor_s = float(np.mean([rise_m / c.rated_speed_mps for c in spec.cars]))
            g.control = make_control(params.dispatcher, len(g.floors), g.cars, self.p_origin, self.p_dest,
                                     self._nudge, stop_s, floor_s)
        if params.population is not None:
            total = sum(g.population.sum() for g in self.groups)
            for g in self.groups:
                g.population = g.population * (params.population / total) if total > 0 else g.population

    # --- passengers ---------------------------------------------------------------------------

    @property
    def population(self) -> float:
        """People using the simulated groups."""
        return float(sum(g.population.sum() for g in self.groups))

    def _trips_rest_factor(self) -> float:
        return self.profile.rest_day_share if self.calendar.is_rest_day(self.start_s) else 1.0

    def generate(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The window's passengers, sorted by arrival: (arrival time, group index, origin, destination);
        floors are indices into each group's floor list."""
        prof = traffic_profile(self.profile, 5 if len(self.profile.share) == 288 else 60)
        step_s = DAY_S / len(prof["share"])
        trips = self.params.trips_per_person_day
        if trips is None:
            trips = self.profile.trips_per_person_day
        trips *= self._trips_rest_factor()
        edges = np.arange(len(prof["share"]) + 1) * step_s
        lo = np.clip(edges[:-1], self.params.start_h * HOUR_S, self.params.end_h * HOUR_S)
        hi = np.clip(edges[1:], self.params.start_h * HOUR_S, self.params.end_h * HOUR_S)
        overlap = hi - lo
        cols: list[tuple[np.ndarray, ...]] = []
        rng = self.rng
        for gi, g in enumerate(self.groups):
            weights = g.population.copy()
            weights[g.lobby] = 0.0       # the lobby floor's occupants walk to the entrance
            if weights.sum() <= 0 or not g.cars:
                continue
            weights /= weights.sum()
            lam = trips * g.population.sum() * prof["share"] * overlap / step_s
            counts = rng.poisson(lam)
            n = int(counts.sum())
            if n == 0:
                continue
            t = np.repeat(lo, counts) + rng.random(n) * np.repeat(overlap, counts)
            u = rng.random(n)
            p_in, p_out = np.repeat(prof["incoming"], counts), np.repeat(prof["outgoing"], counts)
            kind = np.where(u < p_in, 0, np.where(u < p_in + p_out, 1, 2))
            floors = len(g.floors)
            entrance = np.full(n, g.lobby)
            if g.car_parks and self.params.car_park_share > 0:
                to_park = rng.random(n) < self.params.car_park_share
                entrance[to_park] = rng.choice(g.car_parks, size=int(to_park.sum()))
            a = rng.choice(floors, size=n, p=weights)
            b = rng.choice(floors, size=n, p=weights)
            for _ in range(20):      # inter-floor: a different second floor
                same = (kind == 2) & (a == b)
                if not same.any():
                    break
                b[same] = rng.choice(floors, size=int(same.sum()), p=weights)
            origin = np.where(kind == 0, entrance, a)
            dest = np.where(kind == 0, a, np.where(kind == 1, entrance, b))
            # a trip no single car of the group makes (cars serving different floors) is not a lift trip
            together = np.zeros((floors, floors), dtype=bool)
            for car in g.cars:
                mask = np.asarray(car.serves)
                together |= mask[:, None] & mask[None, :]
            keep = (origin != dest) & together[origin, dest]
            cols.append((t[keep], np.full(int(keep.sum()), gi), origin[keep], dest[keep]))
        if not cols:
            empty = np.zeros(0)
            return empty, empty.astype(int), empty.astype(int), empty.astype(int)
        t, gi, o, d = (np.concatenate(c) for c in zip(*cols))
        order = np.argsort(t, kind="stable")
        return self.start_s + t[order], gi[order], o[order], d[order]

    def _new_passenger(self, gi: int, origin: int, dest: int, t_s: float) -> int:
        p = len(self.p_origin)
        self.p_group.append(gi)
        self.p_origin.append(origin)
        self.p_dest.append(dest)
        self.p_arrived.append(t_s)
        self.p_boarded.append(math.nan)
        self.p_alighted.append(math.nan)
        self.p_car.append(None)
        self.p_left.append(0)
        return p

    def arriving(self, times: np.ndarray, groups: np.ndarray, origins: np.ndarray, dests: np.ndarray):
        """Passengers come to the landings at their times and press the button."""
        env = self.env
        for t, gi, o, d in zip(times.tolist(), groups.tolist(), origins.tolist(), dests.tolist()):
            if t > env.now:
                yield env.timeout(t - env.now)
            p = self._new_passenger(gi, o, d, t)
            self.groups[gi].control.enqueue(p)

    # --- cars -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the passengers' arrivals (none in the up-peak test: they are met in the lobby) and the cars."""
        if self._started:
            raise RuntimeError("this traffic has already been started")
        self._started = True
        if not self.params.up_peak_test:
            times, groups, origins, dests = self.generate()
            if len(times):
                self.env.process(self.arriving(times, groups, origins, dests))
        for g in self.groups:
            for car in g.cars:
                car.started_s = self.env.now
                car.process = self.env.process(self.running(g, car))

    def _nudge(self, car: CarState, f: int) -> bool:
        """Wake an idle car, or turn a moving one to stop at floor ``f`` if it still can; true if done."""
        if car.state == IDLE:
            if car.wake is not None and not car.wake.triggered:
                car.wake.succeed()
            return True
        if car.state == MOVING:
            d, o = car.direction, car.origin
            flight, braking = self._flight[car.id]
            if ((f - o) * d > 0 and (car.target - f) * d > 0 and car.serves[f]
                    and self.env.now <= car.t0 + flight[o][f] - braking[o][f]):
                car.target = f
                car.process.interrupt("turn")
                return True
        return False

    def running(self, g: _Group, car: CarState):
        """A car's life: ask the controller for the next stop, fly there, stop (doors, out, in), and rest
        when there is nothing to do — until the window's traffic is done or its power is lost."""
        env, params = self.env, self.params
        try:
            if params.up_peak_test:
                if env.now < self.window_s[0]:
                    yield env.timeout(self.window_s[0] - env.now)
                if car.floor == g.lobby:
                    yield from self.stopping(g, car, 0)
            while True:
                target = g.control.next_stop(car)
                if target is None:
                    if params.park_at_home and car.floor != car.home:
                        target = car.home
                        car.direction = 1 if target > car.floor else -1
                    else:
                        yield from self.resting(car)
                        continue
                if target != car.floor:
                    yield from self.flying(g, car, target)
                    served = yield from self.stopping(g, car, car.direction)
                else:
                    served = yield from self.stopping(g, car, car.direction)
                    if not served:
                        yield from self.resting(car)
        except simpy.Interrupt:
            return   # stopped for good (power loss)

    def resting(self, car: CarState):
        """An idle car waits, doors shut, until the controller wakes it."""
        car.state, car.direction = IDLE, 0
        car.rest_since = self.env.now
        car.wake = self.env.event()
        yield car.wake
        car.idle_s += self.env.now - car.rest_since
        car.rest_since = None
        car.state = STOPPING

    def flying(self, g: _Group, car: CarState, target: int):
        """Fly from the car's floor to ``target`` (or to a nearer floor it is turned to on the way)."""
        env = self.env
        flight, _ = self._flight[car.id]
        o = car.floor
        car.state, car.origin, car.target, car.t0 = MOVING, o, target, env.now
        car.starts += 1
        self._flights.append((env.now, len(car.aboard), car.id))
        remaining = flight[o][target]
        while True:
            try:
                yield env.timeout(remaining)
                break
            except simpy.Interrupt:
                if car.state == STOPPED:
                    raise
                remaining = car.t0 + flight[o][car.target] - env.now
        car.distance_m += abs(g.z[car.target] - g.z[o])
        car.floor = car.target
        car.state = STOPPING

    def _lobby_crowd(self, g: _Group, car: CarState) -> list[int]:
        """Up-peak test: the passengers waiting in the lobby for this car — exactly the room it has for
        this trip (its P), each bound for a random floor above the lobby that the car serves. They are
        always there when a car comes, as the formula assumes, so they board without a landing call."""
        gi = self.groups.index(g)
        above = [f for f in range(g.lobby + 1, len(g.floors)) if car.serves[f]]
        picks = self.rng.integers(len(above), size=car.room)
        return [self._new_passenger(gi, g.lobby, above[int(k)], self.env.now) for k in picks]

    def stopping(self, g: _Group, car: CarState, arrived: int):
        """At a floor: open the doors, let out those who asked for it, take in those waiting in the
        car's direction up to its capacity (the rest are left behind), close the doors.
        Returns whether the doors opened."""
        env, params, ctl = self.env, self.params, g.control
        f, spec, tp = car.floor, car.spec, params.boarding_s_per_person
        up_peak_lobby = params.up_peak_test and f == g.lobby and self.window_s[0] <= env.now < self.window_s[1]
        dest = self.p_dest
        alighting = [p for p in car.aboard if dest[p] == f] if car.calls[f] else []
        if up_peak_lobby:
            d = UP
            frac, whole = math.modf(params.up_peak_load_share * car.capacity)
            car.trip_limit = int(whole) + int(self.rng.random() < frac)
        else:
            car.trip_limit = car.capacity
            d = ctl.departure_direction(car, f, arrived)
        if not alighting and not up_peak_lobby and not (d and ctl.sees(car, f, d)):
            car.direction = d
            return False
        t_arrive = env.now
        if f == g.lobby:
            car.trips += 1
            car.trip += 1
        if alighting:
            car.aboard = [p for p in car.aboard if dest[p] != f]
            car.calls[f] = 0
        car.state, car.doors_open = STOPPING, True
        yield env.timeout(spec.door_open_s + len(alighting) * tp)
        now = env.now
        for p in alighting:
            self.p_alighted[p] = now
        boarded = 0
        if not up_peak_lobby and alighting:
            d = ctl.departure_direction(car, f, arrived)
        while d:
            taken = self._lobby_crowd(g, car) if up_peak_lobby else ctl.take(car, f, d, car.room)
            if not taken:
                break
            now = env.now
            for p in taken:
                self.p_boarded[p] = now
                self.p_car[p] = car.id
                car.aboard.append(p)
                car.calls[dest[p]] += 1
            boarded += len(taken)
            yield env.timeout(len(taken) * tp)
            if up_peak_lobby:
                break
        if d and car.room == 0 and not up_peak_lobby and ctl.sees(car, f, d):
            for p in ctl.queues[d][f]:
                if ctl.may_board(car, p):
                    self.p_left[p] += 1
            ctl.left_behind(car, f, d)
        yield env.timeout(spec.door_close_s)
        car.doors_open = False
        if not boarded and not car.aboard:
            d = ctl.departure_direction(car, f, d or arrived)
        car.direction = d
        reversal = bool(arrived) and d != arrived
        self._stops.append((car.id, car.group, t_arrive, env.now, g.floors[f], f, d, boarded, len(alighting),
                            len(car.aboard), reversal, car.trip))
        if f == g.lobby:
            self._lobby_departures.append((car.group, car.id, env.now, car.idle_s, boarded, len(car.aboard),
                                           car.capacity))
        return True

    # --- power loss -----------------------------------------------------------------------------

    def stop_cars(self, car_ids: Collection[str]) -> list[dict]:
        """Stop these cars where they are, now (a power loss): they take no more calls, the rest run on.

        One dict per car stopped: ``car``, ``group``, ``persons`` aboard, ``floor`` (the nearest landing's
        floor id), ``between_floors``, ``position_m`` (elevation of the car floor), ``doors_open`` (the car
        stands at a floor in its door cycle, so those aboard can step out).
        """
        now = self.env.now
        out = []
        for cid in car_ids:
            car = self.cars.get(cid)
            if car is None:
                if cid in self.out_of_service:
                    continue
                raise ValueError(f"stop_cars: unknown car {cid!r}")
            if car.state == STOPPED:
                continue
            g = self._group_of[cid]
            if car.state == MOVING:
                spec = car.spec
                prof = lift_profile(abs(g.z[car.target] - g.z[car.origin]), spec.rated_speed_mps,
                                    spec.acceleration_mps2, spec.jerk_mps3)
                x = prof.position_m(now - car.t0)
                car.distance_m += x
                sign = 1.0 if car.target > car.origin else -1.0
                z = g.z[car.origin] + sign * x
                nearest = min(range(len(g.z)), key=lambda i: abs(g.z[i] - z))
                between = abs(g.z[nearest] - z) > 1e-6
                doors_open = False
            else:
                z, nearest, between = g.z[car.floor], car.floor, False
                doors_open = car.doors_open
            out.append({"car": cid, "group": car.group, "persons": len(car.aboard), "floor": g.floors[nearest],
                        "between_floors": between, "position_m": float(z),
                        "doors_open": bool(doors_open and not between)})
            car.state = STOPPED
            self._stopped[cid] = now
            if car.process is not None and car.process.is_alive:
                car.process.interrupt("power loss")
            g.control.removed(car)
        return out

    # --- records and KPIs -----------------------------------------------------------------------

    @property
    def records(self) -> dict[str, list[dict]]:
        """The run's rows: ``passengers``, ``car_stops`` and ``cars`` (see the module docstring)."""
        passengers = []
        for p in range(len(self.p_origin)):
            g = self.groups[self.p_group[p]]
            arrived, boarded, alighted = self.p_arrived[p], self.p_boarded[p], self.p_alighted[p]
            passengers.append({
                "passenger": p, "group": g.spec.id, "origin": g.floors[self.p_origin[p]],
                "destination": g.floors[self.p_dest[p]], "arrived_s": arrived,
                "boarded_s": None if math.isnan(boarded) else boarded,
                "alighted_s": None if math.isnan(alighted) else alighted, "car": self.p_car[p],
                "wait_s": None if math.isnan(boarded) else boarded - arrived,
                "transit_s": None if math.isnan(alighted) else alighted - boarded,
                "left_behind": self.p_left[p]})
        stops = [{"car": c, "group": grp, "t_s": t, "departed_s": dep, "floor": floor, "floor_index": fi,
                  "direction": d, "boarded": b, "alighted": a, "load_after": load, "reversal": rev, "trip": trip}
                 for c, grp, t, dep, floor, fi, d, b, a, load, rev, trip in self._stops]
        cars = [{"car": car.id, "group": car.group, "starts": car.starts, "distance_m": car.distance_m,
                 "busy_s": self._busy_s(car), "trips": car.trips, "stopped_s": self._stopped.get(car.id)}
                for car in self.cars.values()]
        return {"passengers": passengers, "car_stops": stops, "cars": cars}

    def _busy_s(self, car: CarState) -> float:
        """Time the car was not resting, from the start of the traffic to now (or to its stop)."""
        end = self._stopped.get(car.id, self.env.now)
        idle = car.idle_s
        if car.rest_since is not None:
            idle += end - car.rest_since
        return max(0.0, end - car.started_s - idle)

    def round_trips(self) -> list[dict]:
        """Each car's round trips from the main lobby: departure, next departure, round trip time
        (without time spent resting), passengers taken from the lobby."""
        by_car: dict[str, list[tuple]] = {}
        for row in self._lobby_departures:
            by_car.setdefault(row[1], []).append(row)
        out = []
        for cid, rows in by_car.items():
            for a, b in zip(rows, rows[1:]):
                out.append({"car": cid, "group": a[0], "departed_s": a[2], "next_departed_s": b[2],
                            "rtt_s": (b[2] - a[2]) - (b[3] - a[3]), "boarded": a[4], "load": a[5],
                            "capacity": a[6]})
        return out

    def kpis(self) -> dict[str, float]:
        """The traffic KPIs (:data:`TRAFFIC_KPIS`) over the passengers who arrived in the window."""
        t0, t1 = self.window_s
        arrived = np.asarray(self.p_arrived, dtype=float)
        boarded = np.asarray(self.p_boarded, dtype=float)
        alighted = np.asarray(self.p_alighted, dtype=float)
        in_window = (arrived >= t0) & (arrived < t1)
        wait = (boarded - arrived)[in_window & ~np.isnan(boarded)]
        ttd = (alighted - arrived)[in_window & ~np.isnan(alighted)]
        left = np.asarray(self.p_left, dtype=float)[in_window]
        out: dict[str, float] = {"passengers": float(in_window.sum())}
        if len(wait):
            out["awt_s"] = float(wait.mean())
            out["p95_wait_s"] = float(np.percentile(wait, 95))
        if len(ttd):
            out["ttd_s"] = float(ttd.mean())
        if len(left):
            out["left_behind_share"] = float((left > 0).mean())
        cars = list(self.cars.values())
        if cars:
            out["starts_per_car"] = float(np.mean([c.starts for c in cars]))
            out["distance_km_per_car"] = float(np.mean([c.distance_m for c in cars])) / 1000.0
        out.update(self._lobby_kpis())
        return out

    def measured_departures(self) -> dict[str, list[tuple]]:
        """Per group, the lobby departures the interval, round trip and handling capacity are measured
        over: in the up-peak test every departure after each car's first; otherwise those in the hour
        of the day (on the clock) with the most passengers boarding in the main lobby."""
        out: dict[str, list[tuple]] = {}
        for g in self.groups:
            rows = [r for r in self._lobby_departures if r[0] == g.spec.id and r[4] > 0]
            if self.params.up_peak_test:
                seen, keep = set(), []
                for r in rows:
                    if r[1] in seen:
                        keep.append(r)
                    seen.add(r[1])
                out[g.spec.id] = keep
                continue
            per_hour: dict[int, int] = {}
            for r in rows:
                h = int((r[2] - self.start_s) // HOUR_S)
                per_hour[h] = per_hour.get(h, 0) + r[4]
            if not per_hour:
                out[g.spec.id] = []
                continue
            busiest = max(per_hour, key=lambda h: (per_hour[h], -h))
            out[g.spec.id] = [r for r in rows if int((r[2] - self.start_s) // HOUR_S) == busiest]
        return out

    def _lobby_kpis(self) -> dict[str, float]:
        measured = self.measured_departures()
        intervals, loads, rtts, hc5 = [], [], [], 0.0
        trips = self.round_trips()
        for g in self.groups:
            rows = measured[g.spec.id]
            if len(rows) < 2:
                continue
            times = sorted(r[2] for r in rows)
            interval = (times[-1] - times[0]) / (len(times) - 1)
            intervals.append(interval)
            loads.extend(r[5] / r[6] for r in rows)
            hc5 += 300.0 * float(np.mean([r[4] for r in rows])) / interval
            ids = {(r[1], r[2]) for r in rows}
            rtts.extend(t["rtt_s"] for t in trips if (t["car"], t["departed_s"]) in ids)
        out = {}
        if intervals:
            out["interval_s"] = float(np.mean(intervals))
            out["car_loading"] = float(np.mean(loads))
            if self.population > 0:
                out["hc5_share"] = hc5 / self.population
        if rtts:
            out["rtt_s"] = float(np.mean(rtts))
        return out

    # --- for the entrapment model -------------------------------------------------------------------

    def starts_and_loads_by_hour(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """Car starts per hour of the day (all cars) and the persons aboard at each start, by hour."""
        starts = np.zeros(24)
        loads: list[list[int]] = [[] for _ in range(24)]
        for t, load, _car in self._flights:
            h = int(((t - self.start_s) % DAY_S) // HOUR_S)
            starts[h] += 1
            loads[h].append(load)
        return starts, [np.asarray(x if x else [0], dtype=float) for x in loads]


_ABOARD_CACHE: dict[tuple, tuple] = {}


def aboard_by_hour(building: Building, params: TrafficParams, groups: Sequence[ElevatorGroup] | None = None, *,
                   calendar: Calendar | None = None, out_of_service: Collection[str] = (),
                   seed: int = 20_261_203) -> tuple[np.ndarray, list[np.ndarray]]:
    """(car starts per hour[24], persons aboard a starting car — samples — per hour[24]) from one simulated
    working day of ``groups`` (all the building's groups by default) with ``params`` over 00–24 h and a
    fixed seed; cached per process. An hour without starts has the single sample 0."""
    groups = list(groups) if groups is not None else list(building.elevators)
    day = params.model_copy(update={"start_h": 0.0, "end_h": 24.0, "up_peak_test": False})
    key = (id(building), day.model_dump_json(), tuple(g.id for g in groups), tuple(sorted(out_of_service)), seed,
           calendar.start_date if calendar is not None else None)
    hit = _ABOARD_CACHE.get(key)
    if hit is not None and hit[0] is building:
        return hit[1][0].copy(), [a.copy() for a in hit[1][1]]
    env = simpy.Environment()
    cal = calendar if calendar is not None else Calendar()
    start_s = 0.0
    if cal.is_rest_day(0.0):    # a working day: the first one from the calendar's start
        day_i = next(i for i in range(1, 15) if not cal.is_rest_day(i * DAY_S))
        start_s = day_i * DAY_S
    traffic = Traffic(env, building, groups, day, np.random.default_rng(seed), cal, out_of_service=out_of_service,
                      start_s=start_s)
    traffic.start()
    env.run(until=start_s + DAY_S + HOUR_S)
    result = traffic.starts_and_loads_by_hour()
    _ABOARD_CACHE[key] = (building, result)
    return result[0].copy(), [a.copy() for a in result[1]]


def up_peak_capacity(building: Building, params: TrafficParams, groups: Sequence[ElevatorGroup] | None = None, *,
                     out_of_service: Collection[str] = (), hours: float = 2.0,
                     seed: int = 20_261_203) -> dict[str, float]:
    """What the groups *can* carry: the up-peak test (``up_peak_test``, cars leaving the lobby with
    ``up_peak_load_share`` of their capacity) run for ``hours``, its ``interval_s``, ``rtt_s``,
    ``car_loading`` and ``hc5_share`` (the handling capacity against the population — the figure the
    design target "HC5 ≥ 12 %" of REFERENCES "Elevators" is about; a day's ``hc5_share`` is the flow
    the busiest hour needed, not the capacity). The population is the day's (``params.population``
    or the building's floors)."""
    groups = list(groups) if groups is not None else list(building.elevators)
    test = params.model_copy(update={"start_h": 0.0, "end_h": hours, "up_peak_test": True})
    env = simpy.Environment()
    traffic = Traffic(env, building, groups, test, np.random.default_rng(seed), out_of_service=out_of_service)
    traffic.start()
    env.run(until=hours * HOUR_S + HOUR_S)
    kpis = traffic.kpis()
    return {k: kpis[k] for k in ("interval_s", "rtt_s", "car_loading", "hc5_share") if k in kpis}
