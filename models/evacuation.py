"""Fire evacuation and emergency drills over the floor graph.

When the fire alarm sounds, every occupant of the floors it sounds on spends a *pre-movement* time
(hearing, checking, gathering family, shutting down work), then walks to a final exit: out of the
room, along the corridor, through the stair door, down the stair flight by flight, out at the
ground floor. Where more people arrive than a door or a stair can pass, they queue; where a stair
is full, the people waiting to enter it stay on their floor. Smoke slows them down and exposes
them; a blocked door or a closed stair sends them another way; someone with no way left is
trapped. Mobility-impaired people who cannot use stairs wait in a lift lobby for a fire-service
lift; without a lift in service or a step-free way out they are reported trapped (awaiting an
assisted rescue) where they are. The time the last person reaches an exit is the required safe
egress time (RSET), to be compared with the available safe egress time (ASET) of each space.

The model and its assumptions
-----------------------------

This is a **network (coarse) egress model** with individual agents, in the family of SFPE
hydraulic hand calculations, EVACNET-style node networks and the "SFPE mode" of agent simulators.
It is *not* a microscopic (social-force, cellular-automaton, continuous-space) model. State these
assumptions before comparing its results with a microscopic or another network simulator:

* **Geometry.** Spaces are nodes of the floor graph (:mod:`twin.graph`); doors, openings, exit
  doors and stair flights are its edges. Inside a space, people walk in a straight line between
  door positions (or from their start point, drawn uniformly in the space's rectangle, to the
  first door). No obstacles, no walls inside a space, no detours around furniture; an L-shaped
  corridor is shorter here than in reality.
* **Speed (SFPE hydraulic relation).** Each occupant has a free walking speed for the level, for
  going down and for going up a stair (along the slope), drawn from their group's distribution
  (:mod:`models.occupants`). On entering an element (a space, or a stair flight with the landing
  it leads to) the speed is scaled by the density there: ``S(D)/S_free = (1 − a·D)/0.85`` for
  ``D ≥ 0.54`` persons/m², ``a = 0.266`` m²/person — the SFPE relation ``S = k(1 − aD)`` divided by
  the free speed ``0.85k``. The density used for walking is capped at the optimum-flow density
  ``1.88`` persons/m²: denser crowds are represented as queues waiting at the element's exit, whose
  discharge is set by the flow capacity. The speed is fixed for the whole element (no per-metre
  update; a crowd that thins while someone walks does not speed them up).
* **Flow capacity.** Every door, opening, exit door and stair flight is a *gate* that passes at
  most one person per ``1/(Fsm·We)`` seconds, FIFO — a single-server queue with deterministic
  service (SimPy resource semantics, without a process per gate). ``Fsm = k/(4a)`` is the SFPE
  maximum specific flow: 1.32 persons/s/m for doors and corridors (k 1.40), 1.01 for a 7/11 stair
  (k 1.08, from riser and tread). ``We`` is the effective width (clear width less the SFPE
  boundary layers: 0.15 m a side for doors and stairs, 0.09 m for a handrail, 0.20 m for corridor
  walls). The transition rule ``Fs,out = Fs,in·We,in/We,out`` is not imposed as a formula: it
  follows from conservation at the gates. A corridor's own capacity counts only where it is a
  single-file element (see single file).
* **Holding capacity and spill-back.** Each space holds at most ``area × max density`` people
  (``space_max_density_ppm2``, ``stair_max_density_ppm2`` for stair landings, whose area includes
  the flight leading to them — the flight above in a tower, the one below for a basement stair).
  A person passes a gate only when the space beyond has room; otherwise they wait at the gate,
  so queues spill back upstream (into the corridor, onto the floor).
* **Merging.** A stair landing is entered from the flight above and from the floor door. When it
  is full, freed places go to the waiting gates in turn (round robin), so a floor's flow and the
  flow from above share the stair about half and half, as observed in drills; the flight below
  serves the landing's people first come, first served.
* **Single file.** Whether people can overtake is a matter of the *clear* width they walk in (wall
  to wall, or the stair's width between walls — not the SFPE effective width, which is a flow
  figure): two people side by side, or one passing another, need two lanes of 0.55 m — the
  "股" (stream) of 0.55 m in which GB 50016 measures egress widths, BS 5588's unit exit width and
  the SFPE body ellipse (about 0.5 m shoulder width plus sway). So a **corridor or room** whose
  clear width (the shorter side of its rectangle) is less than ``passing_width_m`` (default
  :data:`PASSING_WIDTH_M`, 1.1 m) and a **stair flight** whose clear width is less than it are
  single-file elements: people reach the next door (or the end of the flight) in the order they
  entered, no closer than one person per ``1/(Fsm·We)`` seconds. At one lane's width (0.55 m) or
  less nobody gets past anybody; between one and two lanes a faster person squeezes past a slower
  one part of the time, so only a share of the hold-up remains, falling linearly from all of it at
  0.55 m to none at the passing width (:func:`single_file_share`) — results change smoothly with
  the width, without a jump at the threshold. A **stair landing, a lobby, a lift lobby or an
  atrium is never single file**, whatever its size: people stand and turn there, and the flights
  and doors on either side set its flow. Everything at least the passing width wide lets faster
  people overtake freely. A person held up behind a slower one in single file is *queueing*: the
  hold-up counts in their ``queued_s``, in ``total_queue_s``, and in the ``elements``/``hot_spots``
  row of that corridor (its id) or flight (``<flight> (single file)``), whose ``max_queue`` is the
  most people held up at once. (Before issue 11 single file was judged on the SFPE *effective*
  width against 1.0 m and applied to stair landings too: a 1.2 m stair without handrails, 0.90 m
  effective, made every landing single file, which throttled the merging at each floor and at the
  exit door behind the ground landing and hid that wait from the queue figures.)
* **Queues.** People waiting to enter an element are queueing, wherever they wait: at a door or
  stair flight that is busy, in front of a full stair landing or space (spill-back), in a lift
  lobby, or held up in single file. Queues still standing when the run ends count up to its end.
* **Not modelled.** Counterflow (a door or stair is used one way at a time; firefighters going
  up are not represented), overtaking in queues, group and family behaviour, herding and
  leader-following, crawling, fatigue on long stairs, falls, merging priorities other than round
  robin, door-opening forces, the fire and smoke themselves (they come as a timeline of events:
  smoke reduces speed by a given factor and counts exposure time, it does not incapacitate).
  Walking inside a stair landing between two flights takes no extra time (the flight length
  already includes the half-landing turn).
* **Route choice.** ``shortest`` (walking distance), ``assigned`` (exits by space or floor), or
  ``congestion_aware``: at every door the occupant picks, among the steps that bring them nearer
  an exit, the one with the least expected time including the queue ahead — for each of the next
  eight gates on that way, the people heading for it or for a gate before it, times its
  headway. Routes are recomputed when a door, space, stair or exit is blocked; someone who finds
  their next door blocked turns to the best remaining way from where they stand; anyone with no
  way left is *trapped* (where and when are recorded).
* **Alarm.** Simultaneous, phased (fire floor and the floors next to it first, the rest after
  ``phase_delay_s``) or stay-put (only the fire floor); smoke or untenable conditions in a space
  also alert that space's floor (``alert_on_smoke``).
* **Lifts.** Fire-service cars (or all cars) of a group carry those who cannot use stairs (and
  optionally a share of the others) from their floor's lift lobby to the discharge floor, serving
  the longest-waiting lobby first. Trips take the time of the car's kinematics (rated speed,
  acceleration and jerk), door opening and closing, and boarding; power loss stops them unless
  they have a backup supply. Cars listed in ``lifts.out_of_service`` do not serve.
* **From the live twin.** A run started from a snapshot (``from_live``) takes the lift cars the
  twin reports out of service, a total loss of supply, the fire floor of a fire alarm in a zone
  and the occupancy profile of the local time as its initial conditions (:func:`from_live`).

* **Who is in.** The occupants of each space come from the building file's loads (or
  ``occupant_counts``) under the ``occupancy`` profile; their groups (speeds, stair use) from
  ``population``. A scenario that gives no ``population`` gets the mix the building's ``use``
  implies (:data:`models.occupants.POPULATION_BY_USE`: an office building office workers, a
  residential one residents at home, a mixed-use one by space kind); the run's notes say which
  mix was used (the ``population`` table, one row per mix).
* **Pre-movement.** Each person's pre-movement time is drawn from ``pre_movement`` (default:
  lognormal, median 170 s, mean 230 s, NIST TN 1839 drills — the source is
  :data:`models.occupants.PRE_MOVEMENT_SOURCE`). RSET is the *last* person out and is driven by
  the single slowest pre-movement draw among thousands, so the results give the times for 95 %
  and 99 % of the occupants to leave (``p95_evacuation_s``, ``p99_evacuation_s``) beside it.

When the run ends: the horizon and censoring
--------------------------------------------

A replication runs until everyone alarmed has left or is trapped; the scenario's ``horizon_s``
is a hard cap. If anyone alarmed is still inside at the cap (still in pre-movement, walking, or
queueing), the run was cut off and is never reported as finished: ``still_inside`` counts them,
and every KPI that is then only a bound is listed in the replication's ``censored`` set — RSET
(reported as the horizon: the last person is out *after* it), the mean (those still inside
counted at the horizon), the 95th/99th percentile times when they fall among those still inside,
the evacuated share, the longest floor clearance (a floor not cleared counts at the horizon), the
least ASET − RSET margin, and the queueing and smoke-exposure totals (counted up to the horizon).
A stair or door with a queue still standing at the horizon never emptied: the run is flagged
``overloaded``, naming it. :func:`advise` warns before the run when the horizon is shorter than
the alarm delays plus the 99.9th percentile of the slowest pre-movement distribution.

Results per replication: KPIs (RSET, mean, 95th and 99th percentile evacuation time, evacuated
share, still inside, trapped, maximum queue, total queueing time, the least ASET − RSET margin…),
``where`` (the floors where the margin is least, the exit of the last person out, the element
with the longest queue, the elements still queueing at the horizon), and the tables
``occupants`` (one row per person), ``exit_flow`` (cumulative curve per exit), ``floors``
(clearance time: when the last of the floor's own occupants left it; ASET margin: a space's
ASET less the time the last person left that space), ``elements`` (every door, stair flight
and lift: maximum queue, congested time, people passed), ``hot_spots`` (the most congested),
``lift_trips``, ``population`` (the mix used and why) and, when ``trace`` is on, ``trace`` (every
movement event).
"""

from __future__ import annotations

import math
import weakref
from collections import deque
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Annotated, Any, Literal, Union

import networkx as nx
import numpy as np
import simpy
from simpy.events import NORMAL
from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.harness import (KPI, Chart, ModelContext, ModelSpec, ReplicationCost, ReplicationResult, Target,
                            param_label, register)
from models.kinematics import lift_travel_s
from models.live import LiveConditions, occupancy_for_time, reason_words
from models.occupants import (POPULATION_BY_KIND, POPULATION_BY_USE, POPULATION_LABELS, PRE_MOVEMENT_SOURCE,
                              OccupantGroup, PreMovement, population_for_kind, presence_fraction, resolve_population,
                              sample_population)
from models.theory import SFPE_A, SFPE_K_CORRIDOR, sfpe_max_specific_flow, sfpe_stair_k
from twin.graph import effective_width, exit_distances
from twin.text import Text, pick, text
from twin.spec import SPACE_KINDS, Building, Id, space_kind_words

__all__ = [
    "SmokeEvent",
    "UntenableEvent",
    "BlockedEvent",
    "ClosedEvent",
    "PowerLossEvent",
    "LiftEvacuation",
    "EvacuationParams",
    "check",
    "run",
    "Evacuation",
    "JAM_DENSITY_PPM2",
    "PASSING_WIDTH_M",
    "NEVER_SINGLE_FILE_KINDS",
    "is_single_file",
    "single_file_share",
    "LANE_WIDTH_M",
    "PRE_MOVEMENT_SOURCE",
    "population_note",
    "advise",
    "review",
    "SPEC",
]

JAM_DENSITY_PPM2 = 1 / SFPE_A
"""SFPE jam density, 3.76 persons/m²: no space may start with more people than this allows."""
FREE_FLOW_DENSITY_PPM2 = 0.54
"""Below this density people walk at their free speed."""
OPTIMUM_DENSITY_PPM2 = 1 / (2 * SFPE_A)
"""The density of maximum specific flow, 1.88 persons/m²; walking speeds use no higher density."""

MAX_HORIZON_S = 24 * 3600.0
"""Longest simulated time of an evacuation run, and latest time of an alarm or event: a day."""
MAX_SPACE_OCCUPANTS = 100_000
"""Most occupants one space may be given by ``occupant_counts`` (the building's jam density check
bounds each space by its area as well)."""
MAX_PHASE_FLOORS = 500

PASSING_WIDTH_M = 1.1
"""Clear width in which people can walk two abreast and overtake: two lanes of 0.55 m (GB 50016
measures egress widths in such 0.55 m streams, 股; BS 5588's unit exit width is the same). Below
it a corridor or a stair flight is single file."""
NEVER_SINGLE_FILE_KINDS = frozenset({"stair", "lobby", "lift_lobby", "atrium"})
"""Space kinds that are never single file, however narrow their rectangle: stair landings (the
flights on either side set their flow), lobbies, lift lobbies and atria (people stand and turn)."""


LANE_WIDTH_M = 0.55
"""Clear width of one lane of people (GB 50016's 股, BS 5588's unit exit width): in this width or
less nobody can get past anybody."""


def is_single_file(kind: str, clear_width_m: float | None, passing_width_m: float = PASSING_WIDTH_M) -> bool:
    """Whether people cannot freely overtake in an element: a corridor, room or stair flight
    (``kind`` ``"stair_flight"``) whose clear width is less than ``passing_width_m``; never a stair
    landing, a lobby, a lift lobby or an atrium, nor a space without a known width (a polygon)."""
    return single_file_share(kind, clear_width_m, passing_width_m) > 0


def single_file_share(kind: str, clear_width_m: float | None, passing_width_m: float = PASSING_WIDTH_M) -> float:
    """How much of a hold-up behind a slower person remains in an element, 0 (overtake freely) to 1
    (strict single file): 1 at one lane's width (:data:`LANE_WIDTH_M`) or less, falling linearly to
    0 at ``passing_width_m`` — with some spare width a faster person squeezes past part of the
    time. This keeps results continuous in the width (no jump at the threshold)."""
    if kind in NEVER_SINGLE_FILE_KINDS or clear_width_m is None or not 0 < clear_width_m < passing_width_m:
        return 0.0
    if passing_width_m <= LANE_WIDTH_M or clear_width_m <= LANE_WIDTH_M:
        return 1.0
    return (passing_width_m - clear_width_m) / (passing_width_m - LANE_WIDTH_M)

_Time = Annotated[float, Field(ge=0, le=MAX_HORIZON_S, allow_inf_nan=False)]
_Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


# --- Parameters -------------------------------------------------------------------------------

_EVENT_TYPE = param_label("Event", "事件类型", "What happens: smoke, untenable, blocked, closed or power_loss",
                          "发生什么：烟气（smoke）、不可承受（untenable）、封堵（blocked）、关闭（closed）或断电（power_loss）")
_EVENT_SPACE = param_label("Space", "空间", "The space (id in the building file) it happens in", "事件发生的空间（建筑文件中的编号）", pick="space")

class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at_s: _Time = Field(json_schema_extra=param_label(
        "At", "发生时刻", "When it happens, from the start of the scenario", "自情景开始起的发生时刻", "s"))


class SmokeEvent(_Event):
    """Smoke reaches a space: walking there slows by ``speed_factor`` and time there counts as exposure."""

    type: Literal["smoke"] = Field(json_schema_extra=_EVENT_TYPE)
    space: Id = Field(json_schema_extra=_EVENT_SPACE)
    speed_factor: Annotated[float, Field(gt=0, le=1)] = Field(0.7, json_schema_extra=param_label(
        "Speed factor in smoke", "烟气中速度系数", "Walking speeds in the smoke-logged space are multiplied by this",
        "在烟气充斥空间内的步行速度乘以此系数"))


class UntenableEvent(_Event):
    """A space becomes untenable: nobody enters it any more; those inside leave (exposed)."""

    type: Literal["untenable"] = Field(json_schema_extra=_EVENT_TYPE)
    space: Id = Field(json_schema_extra=_EVENT_SPACE)


class BlockedEvent(_Event):
    """A door or a space is blocked (by fire, debris, a locked door): nobody passes it any more."""

    type: Literal["blocked"] = Field(json_schema_extra=_EVENT_TYPE)
    space: Id | None = Field(None, json_schema_extra=_EVENT_SPACE)
    door: Id | None = Field(None, json_schema_extra=param_label(
        "Door", "门", "The door (id in the building file) it happens to", "发生该事件的门（建筑文件中的编号）", pick="door"))

    @model_validator(mode="after")
    def _one_target(self) -> "BlockedEvent":
        if (self.space is None) == (self.door is None):
            raise ValueError("a 'blocked' event names exactly one of 'space' or 'door'")
        return self


class ClosedEvent(_Event):
    """A whole stair or a final exit is closed (smoke-logged, used by firefighters, locked)."""

    type: Literal["closed"] = Field(json_schema_extra=_EVENT_TYPE)
    stair: Id | None = Field(None, json_schema_extra=param_label(
        "Stair", "楼梯", "The stair (id in the building file) that is closed", "被关闭的楼梯（建筑文件中的编号）", pick="stair"))
    exit: Id | None = Field(None, json_schema_extra=param_label(
        "Final exit", "安全出口", "The final exit (id in the building file) that is closed", "被关闭的安全出口（建筑文件中的编号）", pick="exit"))

    @model_validator(mode="after")
    def _one_target(self) -> "ClosedEvent":
        if (self.stair is None) == (self.exit is None):
            raise ValueError("a 'closed' event names exactly one of 'stair' or 'exit'")
        return self


class PowerLossEvent(_Event):
    """Mains power fails: lifts stop where they are (fire-service cars run on if ``backup_power``)."""

    type: Literal["power_loss"] = Field(json_schema_extra=_EVENT_TYPE)


TimelineEvent = Annotated[Union[SmokeEvent, UntenableEvent, BlockedEvent, ClosedEvent, PowerLossEvent],
                          Field(discriminator="type")]


class LiftEvacuation(BaseModel):
    """Evacuation by lift: who rides, which cars serve, and how long boarding takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, json_schema_extra=param_label(
        "Lift evacuation", "电梯疏散", "Whether lifts carry people who cannot use stairs", "是否用电梯运送无法使用楼梯的人员"))
    cars: Literal["fire_service", "all"] = Field("fire_service", json_schema_extra=param_label(
        "Cars used", "使用的轿厢", "Fire-service lifts only, or all lift cars", "仅消防电梯，或全部电梯轿厢"))
    share_of_others: _Share = Field(0.0, json_schema_extra=param_label(
        "Share of others by lift", "其他人员乘梯比例", "Share of the occupants who can use stairs but choose the lift",
        "能使用楼梯但选择乘电梯的人员比例", "share"))
    """Share of the occupants who can use stairs but choose the lift."""
    boarding_s: Annotated[float, Field(gt=0, le=60)] = Field(2.0, json_schema_extra=param_label(
        "Boarding time per place", "每位上下梯时间", "Time per place to board a car (and again to alight)",
        "每个位置进入轿厢（及离开轿厢）所需时间", "s"))
    """Time per place to board (and again to alight)."""
    backup_power: bool = Field(False, json_schema_extra=param_label(
        "Fire lifts on backup power", "消防电梯备用电源", "Fire-service cars keep running after a power loss",
        "断电后消防电梯依靠备用电源继续运行"))
    """Fire-service cars keep running after a power loss (secondary supply)."""
    out_of_service: tuple[Id, ...] = Field((), json_schema_extra=param_label(
        "Cars out of service", "停用的轿厢", "Lift cars that do not serve the evacuation (maintenance, faulty)",
        "不参与疏散的电梯轿厢（检修、故障）", pick="car"))
    """Cars that do not serve the evacuation (under maintenance, faulty, trapped); a run from the
    live twin adds the cars the twin reports out of service."""


class EvacuationParams(BaseModel):
    """What a fire evacuation scenario sets: who is in, how they react and move, and what happens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Who is in the building.
    occupancy: Literal["design", "night_residential", "weekday", "weekend"] | dict[str, _Share] = Field(
        "design", json_schema_extra=param_label(
            "Occupancy profile", "在场人数情景", "Share of each space's design load present: design, night, weekday, "
            "weekend, or shares by space kind", "各空间设计人数的在场比例：设计值、夜间、工作日、周末，或按空间类型给出比例"))
    """An occupancy profile (share of each space's design load present, drawn per space) or shares by
    space kind; kinds not listed take the ``default`` share (0 when there is none)."""
    occupant_counts: dict[Id, Annotated[int, Field(ge=0, le=MAX_SPACE_OCCUPANTS)]] = Field(
        default_factory=dict, json_schema_extra=param_label(
            "Occupants by space", "各空间人数", "Occupants of given spaces, replacing the building file's loads",
            "指定空间的人数，替代建筑文件中的设计人数", "persons", pick="space"))
    """Occupants of given spaces, replacing the building file's loads."""
    population: str | dict[str, Annotated[float, Field(ge=0, allow_inf_nan=False)]] | None = Field(
        None, json_schema_extra=param_label(
            "Population mix", "人员构成", "Named mix (adults, office, residential, retail, sfpe) or shares by group; "
            "empty: follows the building's use", "组合名称（adults、office、residential、retail、sfpe）或各人群比例；"
            "留空则按建筑用途确定"))
    """A named population mix (``adults``, ``office``, ``residential``, ``retail``, ``sfpe``) or shares
    by group; ``None`` (the default): the mix the building's ``use`` implies
    (:data:`models.occupants.POPULATION_BY_USE`)."""
    groups: dict[Id, OccupantGroup] = Field(default_factory=dict, json_schema_extra=param_label(
        "Occupant groups", "人群分组", "Occupant groups added to (or replacing) the built-in ones",
        "新增（或替换内置）的人群分组及其步行速度"))
    """Occupant groups added to (or replacing) the built-in ones."""
    pre_movement: PreMovement = Field(default_factory=PreMovement, json_schema_extra=param_label(
        "Pre-movement time", "预动作时间", "Time from the alarm to the start of purposeful movement, by location",
        "从报警到开始有目的疏散行动的时间（可按位置区分）", "s"))

    # How they are warned.
    alarm: Literal["simultaneous", "phased", "stay_put"] = Field("simultaneous", json_schema_extra=param_label(
        "Alarm strategy", "报警方式", "Simultaneous, phased (fire floor and neighbours first) or stay-put (fire floor only)",
        "全楼同时报警、分阶段报警（着火层及相邻层优先）或原地避难（仅着火层）"))
    alarm_delay_s: _Time = Field(0.0, json_schema_extra=param_label(
        "Alarm delay", "报警延迟", "Time from the start of the scenario until the alarm sounds", "从情景开始到警报响起的时间", "s"))
    fire_floor: Id | None = Field(None, json_schema_extra=param_label(
        "Fire floor", "着火楼层", "The floor where the fire starts (needed for phased and stay-put alarms)",
        "起火楼层（分阶段报警与原地避难时必填）", pick="floor"))
    phase_delay_s: _Time = Field(300.0, json_schema_extra=param_label(
        "Phase delay", "分阶段报警间隔", "Time between the fire zone's alarm and the rest of the building's",
        "着火区域报警与其余楼层报警之间的时间间隔", "s"))
    phase_floors_above: Annotated[int, Field(ge=0, le=MAX_PHASE_FLOORS)] = Field(1, json_schema_extra=param_label(
        "Floors above in first phase", "首批报警的上方楼层数", "Floors above the fire floor alarmed with it",
        "与着火层同时报警的上方楼层数", "floors"))
    phase_floors_below: Annotated[int, Field(ge=0, le=MAX_PHASE_FLOORS)] = Field(1, json_schema_extra=param_label(
        "Floors below in first phase", "首批报警的下方楼层数", "Floors below the fire floor alarmed with it",
        "与着火层同时报警的下方楼层数", "floors"))
    alert_on_smoke: bool = Field(True, json_schema_extra=param_label(
        "Smoke alerts the floor", "烟气触发本层报警", "Smoke or untenable conditions in a space alert that space's floor",
        "空间内出现烟气或不可承受条件时，该楼层人员即被警示"))

    # Where they go.
    route_choice: Literal["shortest", "assigned", "congestion_aware"] = Field("shortest", json_schema_extra=param_label(
        "Route choice", "路线选择", "Shortest walk, assigned exits, or the least expected time including queues",
        "最短路径、指定出口，或计入排队的最短预期时间"))
    assigned_exits: dict[Id, Id] = Field(default_factory=dict, json_schema_extra=param_label(
        "Assigned exits", "指定出口", "Final exit by space id or floor id (a space's own entry wins)",
        "按空间或楼层指定的安全出口（空间的设定优先）", pick="space|floor", pick_value="exit"))
    """Exit by space id or floor id (a space's own entry wins)."""

    # What happens.
    events: list[TimelineEvent] = Field(default_factory=list, json_schema_extra=param_label(
        "Fire timeline", "火灾事件时间线", "Smoke, untenable spaces, blocked doors, closed stairs or exits, power loss, "
        "each at its time", "按时间发生的烟气、不可承受空间、门封堵、楼梯或出口关闭、断电等事件"))
    aset_s: dict[Id, Annotated[float, Field(gt=0, le=MAX_HORIZON_S, allow_inf_nan=False)]] = Field(
        default_factory=dict, json_schema_extra=param_label(
            "ASET by space", "各空间可用安全疏散时间", "Available safe egress time (ASET) by space, replacing the "
            "building file's", "按空间给出的可用安全疏散时间（ASET），替代建筑文件中的数值", "s", pick="space"))
    """Available safe egress time by space, replacing the building file's."""
    lifts: LiftEvacuation = Field(default_factory=LiftEvacuation, json_schema_extra=param_label(
        "Lift evacuation", "电梯疏散", "Who rides the lifts (fire-service lifts, 消防电梯), which cars serve, boarding",
        "乘梯人员、参与疏散的轿厢（消防电梯）及上下梯时间"))

    # How crowds behave.
    space_max_density_ppm2: Annotated[float, Field(ge=1.0, lt=JAM_DENSITY_PPM2)] = Field(3.0, json_schema_extra=param_label(
        "Most people per m² in a space", "空间最大人员密度", "Holding capacity of rooms and corridors; more people "
        "wait at the door", "房间和走道的容纳上限；超出时人员在门口等候", "persons/m²"))
    stair_max_density_ppm2: Annotated[float, Field(ge=1.0, lt=JAM_DENSITY_PPM2)] = Field(1.9, json_schema_extra=param_label(
        "Most people per m² on a stair", "楼梯最大人员密度", "Holding capacity of a stair landing and the flight "
        "leading to it", "楼梯平台及其上一梯段的容纳上限", "persons/m²"))
    passing_width_m: Annotated[float, Field(ge=0, le=5)] = Field(PASSING_WIDTH_M, json_schema_extra=param_label(
        "Width to overtake", "可超越通行宽度", "Clear width below which a corridor or stair flight is single file "
        "(two 0.55 m lanes: 1.1 m)", "净宽小于此值的走道或梯段只能单列通行（两股人流各 0.55 米：1.1 米）", "m"))
    """Clear width below which a corridor, room or stair flight is single file (landings, lobbies,
    lift lobbies and atria never are); see the module docstring."""
    trace: bool | Literal["first"] = Field(False, json_schema_extra=param_label(
        "Record movements", "记录移动轨迹", "Record every movement event (for playback); 'first': first replication only",
        "记录每个移动事件（用于回放）；first：仅第一次重复"))
    """Record every movement event in a ``trace`` table (for small cases and playback); ``first``
    records it for the first replication only, which is all a 3D playback needs."""

    @model_validator(mode="after")
    def _consistent(self) -> "EvacuationParams":
        if self.alarm in ("phased", "stay_put") and self.fire_floor is None:
            raise ValueError(f"alarm '{self.alarm}' needs 'fire_floor'")
        if self.route_choice == "assigned" and not self.assigned_exits:
            raise ValueError("route_choice 'assigned' needs 'assigned_exits'")
        if self.population is not None:
            try:
                resolve_population(self.population, self.groups)
            except (KeyError, ValueError) as exc:
                raise ValueError(f"population: {exc.args[0]}") from None
        if isinstance(self.occupancy, dict):
            bad = [k for k in self.occupancy if k != "default" and k not in SPACE_KINDS]
            if bad:
                raise ValueError(f"occupancy: unknown space kind {bad[0]!r} (kinds: {', '.join(SPACE_KINDS)}, default)")
        bad = [k for k in self.pre_movement.by_kind if k not in SPACE_KINDS]
        if bad:
            raise ValueError(f"pre_movement.by_kind: unknown space kind {bad[0]!r}")
        return self


# --- Checks against the building --------------------------------------------------------------

def _planned_count(params: EvacuationParams, space) -> tuple[int, bool]:
    """The most occupants a space can start with, and whether the count comes from the parameters."""
    if space.id in params.occupant_counts:
        return params.occupant_counts[space.id], True
    share = presence_fraction(params.occupancy, space.kind)
    return (space.occupant_count if share > 0 else 0), False


def check(params: EvacuationParams, building: Building, graph: nx.MultiGraph) -> list[tuple[tuple, str]]:
    """Problems of the parameters against the building, before any simulation: unknown spaces,
    doors, stairs, exits and floors named in events and maps, and spaces that would start with more
    occupants than jam density allows."""
    problems: list[tuple[tuple, str]] = []
    known = {
        "space": set(building.space_by_id),
        "door": {d.id for d in building.doors},
        "stair": {s.id for s in building.stairs},
        "exit": set(building.exit_by_id),
    }
    for i, ev in enumerate(params.events):
        for field in ("space", "door", "stair", "exit"):
            value = getattr(ev, field, None)
            if value is not None and value not in known[field]:
                problems.append((("events", i, field), f"unknown {field} {value!r}"))
    for i, car in enumerate(params.lifts.out_of_service):
        if car not in building.car_by_id:
            problems.append((("lifts", "out_of_service", i), f"unknown lift car {car!r}"))
    floors = set(building.floor_by_id)
    if params.fire_floor is not None and params.fire_floor not in floors:
        problems.append((("fire_floor",), f"unknown floor {params.fire_floor!r}"))
    for where, exit_id in params.assigned_exits.items():
        if where not in known["space"] and where not in floors:
            problems.append((("assigned_exits", where), f"{where!r} is neither a space nor a floor"))
        if exit_id not in known["exit"]:
            problems.append((("assigned_exits", where), f"unknown exit {exit_id!r}"))
    for floor in params.pre_movement.by_floor:
        if floor not in floors:
            problems.append((("pre_movement", "by_floor", floor), f"unknown floor {floor!r}"))
    for field in ("aset_s", "occupant_counts"):
        for sid in getattr(params, field):
            if sid not in known["space"]:
                problems.append(((field, sid), f"unknown space {sid!r}"))
    for space in building.spaces:
        count, from_params = _planned_count(params, space)
        area = space.floor_area_m2
        limit = math.floor(area * JAM_DENSITY_PPM2)
        if count > limit:
            loc = ("occupant_counts", space.id) if from_params else ("occupancy",)
            source = "occupant_counts" if from_params else f"the building's spaces[{space.id}] load"
            problems.append((loc, f"space {space.id!r} would start with {count} occupants ({source}) on "
                                  f"{area:.1f} m²: more than jam density {JAM_DENSITY_PPM2:.2f} persons/m² "
                                  f"allows ({limit})"))
    return problems


# --- The network the occupants move through (built once per floor graph) ------------------------

_MODE_WALK, _MODE_LEVEL = "walk", "level"


class _Network:
    """The floor graph as elements (spaces and exits), gates (doors, exits, stair flights) and the
    directed *states* "just passed gate g into element e", with every possible next step from each
    state and its walking length. Routing trees over these states are cached per blocked set."""

    def __init__(self, building: Building, graph: nx.MultiGraph):
        self.building = building
        nodes = list(graph.nodes)
        self.element_ids: list[str] = nodes
        self.element_index = {n: i for i, n in enumerate(nodes)}
        data = [graph.nodes[n] for n in nodes]
        self.el_kind = [d["kind"] for d in data]
        self.el_floor = [d["floor"] for d in data]
        self.el_is_exit = [d["node_type"] == "exit" for d in data]
        self.el_is_stair = [d["kind"] == "stair" for d in data]
        self.el_area = [float(d.get("area_m2", 0.0)) for d in data]
        self.el_pos = [tuple(d["pos"]) for d in data]
        self.el_width_eff = [d.get("effective_width_m") for d in data]
        self.el_width_clear = [d.get("width_m") for d in data]
        self.el_k = [SFPE_K_CORRIDOR] * len(nodes)
        self.el_aset = [d.get("aset_s") for d in data]
        door_length = {d.id: d.length_m for d in building.doors}
        # A flight's people are counted on the landing they walk towards: the one nearer an exit
        # (the lower one in a tower, the upper one for a basement stair).
        to_exit = exit_distances(graph)

        # Gates: every walkable edge.
        self.gate_key: list[str] = []
        self.gate_edge_id: list[str] = []
        self.gate_kind: list[str] = []
        self.gate_ends: list[tuple[int, int]] = []
        self.gate_length: list[float] = []
        self.gate_width_eff: list[float] = []
        self.gate_width_clear: list[float] = []
        self.gate_headway: list[float] = []
        self.gate_lower: list[int] = []
        self.gate_floor: list[str] = []
        self.gates_of: list[list[int]] = [[] for _ in nodes]
        portal: dict[tuple[int, int], tuple[float, float]] = {}
        self.stair_gates: dict[str, list[int]] = {}
        for u, v, key, d in graph.edges(keys=True, data=True):
            if d["kind"] == "lift":
                continue
            gi = len(self.gate_key)
            a, b = self.element_index[u], self.element_index[v]
            self.gate_key.append(key)
            self.gate_edge_id.append(d["id"])
            self.gate_kind.append(d["kind"])
            self.gate_ends.append((a, b))
            we = float(d["effective_width_m"])
            self.gate_width_eff.append(we)
            self.gate_width_clear.append(float(d["width_m"]))
            if d["kind"] == "stair":
                k = sfpe_stair_k(d["riser_m"], d["tread_m"])
                lower = self.element_index[d["lower"]]
                upper = self.element_index[d["upper"]]
                self.gate_lower.append(lower)
                self.gate_length.append(float(d["length_m"]))
                self.gate_floor.append(self.el_floor[lower])
                self.stair_gates.setdefault(d["id"], []).append(gi)
                arrive = lower if to_exit.get(d["lower"], math.inf) <= to_exit.get(d["upper"], math.inf) else upper
                self.el_area[arrive] += float(d["length_m"]) * float(d["width_m"])
                for landing in (lower, upper):
                    self.el_k[landing] = k
                portal[(gi, a)] = self.el_pos[a][:2]
                portal[(gi, b)] = self.el_pos[b][:2]
            else:
                k = SFPE_K_CORRIDOR
                self.gate_lower.append(-1)
                self.gate_length.append(float(door_length.get(d["id"], 0.3)))
                self.gate_floor.append(self.el_floor[a])
                dx, dy = d["door_pos"]
                portal[(gi, a)] = (float(dx), float(dy))
                portal[(gi, b)] = (float(dx), float(dy))
            capacity = sfpe_max_specific_flow(k) * we
            self.gate_headway.append(1.0 / capacity if capacity > 0 else math.inf)
            self.gates_of[a].append(gi)
            self.gates_of[b].append(gi)
        self.portal = portal

        # States: (gate, element entered). Transitions: from a state through another gate of the element.
        self.state_gate: list[int] = []
        self.state_elem: list[int] = []
        self.state_of: dict[tuple[int, int], int] = {}
        for gi, (a, b) in enumerate(self.gate_ends):
            for e in (a, b):
                self.state_of[(gi, e)] = len(self.state_gate)
                self.state_gate.append(gi)
                self.state_elem.append(e)
        # Per element: its gates as (gate, state beyond it, portal x, portal y).
        self.exits_from: list[list[tuple[int, int, float, float]]] = []
        for e in range(len(nodes)):
            out = []
            for gi in self.gates_of[e]:
                a, b = self.gate_ends[gi]
                beyond = b if a == e else a
                px, py = portal[(gi, e)]
                out.append((gi, self.state_of[(gi, beyond)], px, py))
            self.exits_from.append(out)
        src, dst, gate, walk, px, py = [], [], [], [], [], []
        self.trans_start = [0] * (len(self.state_gate) + 1)
        for s, (g0, e) in enumerate(zip(self.state_gate, self.state_elem)):
            self.trans_start[s] = len(src)
            if self.el_is_exit[e]:
                continue
            x0, y0 = portal[(g0, e)]
            for gi, beyond_state, x1, y1 in self.exits_from[e]:
                src.append(s)
                dst.append(beyond_state)
                gate.append(gi)
                walk.append(math.hypot(x1 - x0, y1 - y0))
                px.append(x1)
                py.append(y1)
        self.trans_start[len(self.state_gate)] = len(src)
        self.tr_src = np.asarray(src, dtype=np.int64)
        self.tr_dst_arr = np.asarray(dst, dtype=np.int64)
        self.tr_gate_arr = np.asarray(gate, dtype=np.int64)
        # Route cost of a step: the walk in the element plus the gate's own length (never exactly 0,
        # which a sparse matrix would drop).
        self.tr_cost = np.asarray(walk, dtype=float) + np.asarray(self.gate_length)[self.tr_gate_arr] + 1e-6
        self.tr_dst: list[int] = dst
        self.tr_gate: list[int] = gate
        self.tr_walk: list[float] = walk
        self.tr_px: list[float] = px
        self.tr_py: list[float] = py
        self.state_elem_arr = np.asarray(self.state_elem, dtype=np.int64)
        self.gate_is_stair = np.asarray([k == "stair" for k in self.gate_kind], dtype=bool)
        self._trees: dict[tuple, _Tree] = {}

    def tree(self, mode: str, targets: frozenset[int], blocked_gates: frozenset[int],
             blocked_elements: frozenset[int]) -> "_Tree":
        """Distances to the nearest target element from every state, and each state's next step."""
        key = (mode, targets, blocked_gates, blocked_elements)
        tree = self._trees.get(key)
        if tree is None:
            tree = self._trees[key] = _Tree(self, mode, targets, blocked_gates, blocked_elements)
        return tree


SCIPY_DIJKSTRA_STATES = 2_000
"""From this many route states on, shortest distances come from scipy's compiled Dijkstra: its
import (about half a second) pays for itself on a tower; below it networkx's is as quick and a
small drill starts without scipy. Both give the same distances (tests/test_evacuation_model.py)."""


def _distances_to(targets: np.ndarray, src: np.ndarray, dst: np.ndarray, cost: np.ndarray, n_states: int,
                  *, engine: str | None = None) -> np.ndarray:
    """Each state's shortest distance to the nearest of ``targets`` over the transitions src → dst
    (Dijkstra from the targets over the reversed transitions; the cheapest of parallel transitions
    counts). A state that cannot reach a target is at infinity."""
    engine = engine or ("scipy" if n_states >= SCIPY_DIJKSTRA_STATES else "networkx")
    order = np.lexsort((cost, src, dst))
    d, s_, c = dst[order], src[order], cost[order]
    first = np.r_[True, (d[1:] != d[:-1]) | (s_[1:] != s_[:-1])] if d.size else np.zeros(0, dtype=bool)
    d, s_, c = d[first], s_[first], c[first]  # a sparse matrix would add parallel transitions up
    if engine == "scipy":
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import dijkstra

        reverse = csr_matrix((c, (d, s_)), shape=(n_states, n_states))
        return dijkstra(reverse, directed=True, indices=targets, min_only=True)
    reverse = nx.DiGraph()
    reverse.add_nodes_from(range(n_states))
    reverse.add_weighted_edges_from(zip(d.tolist(), s_.tolist(), c.tolist()))
    found = nx.multi_source_dijkstra_path_length(reverse, set(targets.tolist()))
    dist = np.full(n_states, np.inf)
    if found:
        dist[np.fromiter(found.keys(), dtype=np.int64, count=len(found))] = np.fromiter(found.values(), dtype=float,
                                                                                          count=len(found))
    return dist


class _Tree:
    """A shortest-route tree toward a set of target elements under one set of blocked gates/elements."""

    __slots__ = ("dist", "hops", "gate_ok", "elem_ok", "_ahead")

    def __init__(self, net: _Network, mode: str, targets: frozenset[int], blocked_gates: frozenset[int],
                 blocked_elements: frozenset[int]):
        n_states = len(net.state_gate)
        gate_ok = np.ones(len(net.gate_key), dtype=bool)
        gate_ok[list(blocked_gates)] = False
        gate_ok &= np.isfinite(np.asarray(net.gate_headway))
        if mode == _MODE_LEVEL:
            gate_ok &= ~net.gate_is_stair
        elem_ok = np.ones(len(net.element_ids), dtype=bool)
        elem_ok[list(blocked_elements)] = False
        allowed = gate_ok[net.tr_gate_arr] & elem_ok[net.state_elem_arr[net.tr_dst_arr]]
        src, dst, cost = net.tr_src[allowed], net.tr_dst_arr[allowed], net.tr_cost[allowed]
        target_states = np.flatnonzero(np.isin(net.state_elem_arr, list(targets)))
        if target_states.size == 0 or n_states == 0:
            dist = np.full(n_states, np.inf)
        else:
            dist = _distances_to(target_states, src, dst, cost, n_states)
        nxt = np.full(n_states, -1, dtype=np.int64)
        total = cost + dist[dst]
        finite = np.isfinite(total)
        idx = np.flatnonzero(allowed)[finite]
        if idx.size:
            order = np.lexsort((total[finite], src[finite]))
            s_sorted = src[finite][order]
            first = np.r_[True, s_sorted[1:] != s_sorted[:-1]]
            nxt[s_sorted[first]] = idx[order[first]]
        # States inside a target element need no further step.
        nxt[target_states] = -1
        self.dist = dist.tolist()
        tr_gate, tr_dst, tr_walk, tr_px, tr_py = net.tr_gate, net.tr_dst, net.tr_walk, net.tr_px, net.tr_py
        self.hops = [None if t < 0 else (tr_gate[t], tr_dst[t], tr_walk[t], tr_px[t], tr_py[t]) for t in nxt.tolist()]
        """Each state's next step on the shortest route, as :meth:`Evacuation._hop_from_state` gives it
        (gate, state beyond, walk, x, y), or None inside a target or with no way on."""
        self.gate_ok = gate_ok.tolist()
        self.elem_ok = elem_ok.tolist()
        self._ahead: dict[int, tuple[int, ...]] = {}

    def gates_ahead(self, state: int, limit: int = 8) -> tuple[int, ...]:
        """The first ``limit`` gates on the shortest route onward from ``state``."""
        ahead = self._ahead.get(state)
        if ahead is None:
            gates, hop = [], self.hops[state]
            while hop is not None and len(gates) < limit:
                gates.append(hop[0])
                hop = self.hops[hop[1]]
            ahead = self._ahead[state] = tuple(gates)
        return ahead


_NETWORKS: "weakref.WeakKeyDictionary[nx.MultiGraph, _Network]" = weakref.WeakKeyDictionary()


def _network(building: Building, graph: nx.MultiGraph) -> _Network:
    net = _NETWORKS.get(graph)
    if net is None or net.building is not building:
        net = _NETWORKS[graph] = _Network(building, graph)
    return net


# --- Runtime state --------------------------------------------------------------------------------

class _Element:
    """A space (or exit) during a run: who is in it, whether it has room, smoke, blockage."""

    __slots__ = ("idx", "id", "kind", "floor", "is_exit", "is_stair", "area_m2", "capacity", "count",
                 "waiting_gates", "blocked", "smoke_from_s", "smoke_factor", "last_left_s", "single_file",
                 "headway_s", "last_arrival", "holds", "walked", "hindrance")

    def __init__(self, net: _Network, idx: int, params: EvacuationParams):
        self.idx = idx
        self.id = net.element_ids[idx]
        self.kind = net.el_kind[idx]
        self.floor = net.el_floor[idx]
        self.is_exit = net.el_is_exit[idx]
        self.is_stair = net.el_is_stair[idx]
        self.area_m2 = net.el_area[idx]
        density = params.stair_max_density_ppm2 if self.is_stair else params.space_max_density_ppm2
        self.capacity = 1 << 60 if self.is_exit else max(1, int(self.area_m2 * density))
        self.count = 0
        self.waiting_gates: deque[_Gate] = deque()
        self.blocked = False
        self.smoke_from_s = math.inf
        self.smoke_factor = 1.0
        self.last_left_s = math.nan
        # Single file by the clear width people walk in (see the module docstring); its pace is the
        # SFPE flow of the corridor's effective width.
        self.hindrance = 0.0 if self.is_exit else single_file_share(self.kind, net.el_width_clear[idx],
                                                                    params.passing_width_m)
        self.single_file = self.hindrance > 0
        we = effective_width(net.el_width_clear[idx], "corridor") if self.single_file else 0.0
        self.headway_s = 1.0 / (sfpe_max_specific_flow(net.el_k[idx]) * we) if we > 0 else 0.0
        self.last_arrival: dict[int, float] = {}
        self.holds: list[tuple[float, float]] = []
        """(from, to) of every hold-up behind a slower person in single file: the queue monitor."""
        self.walked = 0


class _Gate:
    """A door, exit door or stair flight during a run: a FIFO token-rate gate with a queue monitor."""

    __slots__ = ("idx", "id", "edge_id", "kind", "length_m", "headway_s", "is_stair", "lower", "floor",
                 "next_free_s", "queue", "admitted", "registered_on", "blocked", "committed",
                 "passed", "max_queue", "congested_s", "queue_area", "last_t", "queued_s",
                 "single_file", "last_off_s", "holds", "hindrance")

    def __init__(self, net: _Network, idx: int, params: EvacuationParams):
        self.idx = idx
        self.id = net.gate_key[idx]
        self.edge_id = net.gate_edge_id[idx]
        self.kind = net.gate_kind[idx]
        self.length_m = net.gate_length[idx]
        self.headway_s = net.gate_headway[idx]
        self.is_stair = self.kind == "stair"
        self.lower = net.gate_lower[idx]
        self.floor = net.gate_floor[idx]
        self.next_free_s = -math.inf
        self.queue: deque[_Occupant] = deque()
        self.admitted: _Occupant | None = None
        self.registered_on: _Element | None = None
        self.blocked = not math.isfinite(self.headway_s)
        self.committed = 0
        self.passed = 0
        self.max_queue = 0
        self.congested_s = 0.0
        self.queue_area = 0.0
        self.last_t = 0.0
        self.queued_s = 0.0
        # A stair flight narrower than the passing width: nobody overtakes on it.
        self.hindrance = single_file_share("stair_flight", net.gate_width_clear[idx],
                                           params.passing_width_m) if self.is_stair else 0.0
        self.single_file = self.hindrance > 0
        self.last_off_s = -math.inf
        self.holds: list[tuple[float, float]] = []


class _Occupant:
    """One person: who they are (group, speeds), where they are, and what happened to them.

    During the run the occupant is also their own SimPy event (``callbacks`` and ``_ok`` are what
    :meth:`simpy.Environment.step` reads; ``_value`` is what they were woken with): whenever they
    wait — for the end of pre-movement, to reach the next gate, for their headway at it, for a
    place in a queue or a lift car — they are scheduled on the environment with ``callbacks`` set to
    the step that follows, so a movement allocates no event and resumes no generator (see
    :class:`Evacuation`)."""

    __slots__ = ("idx", "space", "floor", "floor_idx", "group", "h_mps", "down_mps", "up_mps", "uses_stairs",
                 "lift_places", "lift_user", "pre_movement_s", "alarm_s", "start_s", "left_floor_s", "arrival_s",
                 "exit", "queued_s", "smoke_s", "trapped_at", "trapped_s", "element", "entered_s", "via", "x", "y",
                 "route", "target", "plan", "travel_m", "call_s", "boarded",
                 "gate", "beyond", "px", "py", "arrived_s", "callbacks", "_ok", "_value")

    def __init__(self, idx: int):
        self.idx = idx
        self.alarm_s = self.start_s = self.left_floor_s = self.arrival_s = self.trapped_s = math.nan
        self.exit = self.trapped_at = None
        self.queued_s = self.smoke_s = self.travel_m = 0.0
        self.via = None
        self.target = None
        self.gate = None
        """The hop under way: the gate walked to, ``target`` the element beyond it, ``beyond`` the
        state entered by passing it, (``px``, ``py``) the gate's position, ``arrived_s`` when reached."""
        self.callbacks = None
        self._ok = True
        self._value = None
        self.call_s = math.nan
        self.boarded = False


class _LiftBank:
    """An elevator group used for evacuation: its lobbies, discharge lobby, cars and waiting calls."""

    def __init__(self, group_id: str, lobbies: dict[int, float], discharge: int, cars: list):
        self.id = group_id
        self.lobby_z = lobbies
        self.discharge = discharge
        self.cars = cars
        self.calls: dict[int, deque[_Occupant]] = {e: deque() for e in lobbies}
        self.bell: simpy.Event | None = None
        self.in_service = True
        self.processes: list[simpy.Process] = []
        self.running: set[str] = {c.id for c in cars}
        self.max_waiting = 0
        self.waiting = 0
        self.carried = 0
        self.congested_s = 0.0
        self.wait_area = 0.0
        self.last_t = 0.0


_REROUTE = object()
_ALIGHTED = object()
_STUCK = object()

_WALK = (_MODE_WALK, -1)
_LEVEL = (_MODE_LEVEL, -1)
_LEVEL_EXIT = ("level_exit", -1)


# --- The simulation ---------------------------------------------------------------------------------

class Evacuation:
    """One replication: occupants moving over the network, with the alarm panel, the fire timeline
    and the lift cars as SimPy processes.

    An occupant is not a process: each is its own event (:class:`_Occupant`), scheduled with the
    step that comes next — :meth:`_alarmed` (their floor's alarm), :meth:`_start` (end of
    pre-movement), :meth:`_at_gate` (reaching the next gate), :meth:`_through` (their headway at
    it), :meth:`_gate_woken` (their turn in a queue), :meth:`_lift_woken` (a lift car's news). The
    steps run what a generator per occupant ran from one ``yield`` to the next, in the same order,
    and every wait is scheduled exactly as that generator's ``Timeout`` or ``Event.succeed`` was
    (same time, priority and order of scheduling), so the results are those of the
    process-per-occupant model event for event — without its generator resumes and event objects
    (issue 16; ``tests/test_evacuation_identical.py`` pins them)."""

    def __init__(self, ctx: ModelContext):
        self.env = ctx.env
        self.rng = ctx.rng
        self.building = ctx.building
        self.params: EvacuationParams = ctx.params  # type: ignore[assignment]
        self.horizon_s = ctx.horizon_s
        self.net = _network(ctx.building, ctx.graph)
        net = self.net
        self.elements = [_Element(net, i, self.params) for i in range(len(net.element_ids))]
        self.gates = [_Gate(net, i, self.params) for i in range(len(net.gate_key))]
        self.blocked_gates: set[int] = {g.idx for g in self.gates if g.blocked}
        self.blocked_elements: set[int] = set()
        self._trees_now: dict[tuple[str, int], _Tree] = {}
        """The routing tree of each plan under the blocked sets as they are now (emptied when an
        event of the fire's timeline changes them)."""
        self._state_elem = net.state_elem
        self.congestion_aware = self.params.route_choice == "congestion_aware"
        tracing = self.params.trace is True or (self.params.trace == "first" and ctx.replication == 0)
        self.trace_rows: list[dict] | None = [] if tracing else None
        """The ``trace`` table (:meth:`_at_gate` and :meth:`_through`, the hot steps, append their rows
        themselves rather than by :meth:`_log`)."""
        # The steps an occupant is scheduled with (shared lists: SimPy only iterates them).
        self._cb_start = [self._start]
        self._cb_at_gate = [self._at_gate]
        self._cb_through = [self._through]
        self._cb_gate_wake = [self._gate_woken]
        self._cb_lift_wake = [self._lift_woken]
        self.lift_trips: list[dict] = []
        self.exit_times: dict[str, list[float]] = {}
        self.last_move_s = 0.0
        floors = sorted(ctx.building.floors, key=lambda f: f.elevation_m)
        self.floor_ids = [f.id for f in floors]
        self.floor_pos = {f: i for i, f in enumerate(self.floor_ids)}
        self.floor_alarm = [self.env.event() for _ in floors]
        self.floor_alarm_s = [math.nan] * len(floors)
        self.exit_elements = {e.idx for e in self.elements if e.is_exit}
        self.exit_by_id = {e.id: e.idx for e in self.elements if e.is_exit}
        self.banks = self._lift_banks()
        self.occupants = self._populate()
        self.occupants_by_floor: list[list[_Occupant]] = [[] for _ in floors]
        for o in self.occupants:
            self.occupants_by_floor[o.floor_idx].append(o)

    # --- set-up -------------------------------------------------------------------------------

    def _lift_banks(self) -> list[_LiftBank]:
        lifts = self.params.lifts
        if not lifts.enabled:
            return []
        banks = []
        for group in self.building.elevators:
            cars = [c for c in group.cars if (lifts.cars == "all" or c.fire_service)
                    and c.id not in lifts.out_of_service]
            if not cars:
                continue
            lobbies = {self.net.element_index[s]: self.net.el_pos[self.net.element_index[s]][2] for s in group.lobbies}
            exit_floors = {ex.floor for ex in self.building.exits}
            at_exit = [e for e in lobbies if self.net.el_floor[e] in exit_floors]
            discharge = min(at_exit or lobbies, key=lambda e: lobbies[e])
            banks.append(_LiftBank(group.id, lobbies, discharge, cars))
        return banks

    def _populate(self) -> list[_Occupant]:
        """Place the occupants and draw everything random about them, in a fixed order."""
        p, rng, net = self.params, self.rng, self.net
        counts: list[tuple[int, int]] = []
        for space in self.building.spaces:
            if space.id in p.occupant_counts:
                n = p.occupant_counts[space.id]
            else:
                share = presence_fraction(p.occupancy, space.kind)
                n = space.occupant_count
                if share < 1.0:
                    n = int(rng.binomial(n, share)) if share > 0 and n > 0 else 0
            if n:
                counts.append((net.element_index[space.id], n))
        total = sum(n for _, n in counts)
        origin = np.repeat([e for e, _ in counts], [n for _, n in counts]).astype(int) if total else np.zeros(0, int)
        who, drawn = self._draw_people(origin)
        # Pre-movement: one vector draw per distinct distribution, in order of first use. The
        # occupants of a space are consecutive (``origin`` repeats each space ``n`` times).
        pre = np.zeros(total)
        by_dist: dict[int, tuple[Any, list[int]]] = {}
        first = 0
        for e, n in counts:
            dist = p.pre_movement.for_location(net.el_floor[e], net.el_kind[e])
            by_dist.setdefault(id(dist), (dist, []))[1].extend(range(first, first + n))
            first += n
        for dist, members in by_dist.values():
            pre[members] = dist.sample(rng, len(members))
        xs, ys = self._start_positions(origin)
        share = p.lifts.share_of_others
        chooses_lift = rng.random(total) < share if share > 0 else np.zeros(total, bool)
        people = []
        # Python floats and bools of the drawn arrays (``tolist`` gives what ``float(a[i])`` does).
        h_mps, down_mps, up_mps = (drawn[k].tolist() for k in ("horizontal_mps", "stair_down_mps", "stair_up_mps"))
        pre_s, x_m, y_m, by_lift = pre.tolist(), xs.tolist(), ys.tolist(), chooses_lift.tolist()
        has_banks, elements, floor_pos = bool(self.banks), self.elements, self.floor_pos
        for i, e_idx in enumerate(origin.tolist()):
            o = _Occupant(i)
            e = elements[e_idx]
            name, group = who[i]
            o.space, o.floor, o.floor_idx, o.group = e.id, e.floor, floor_pos[e.floor], name
            o.h_mps = h_mps[i]
            o.down_mps = down_mps[i]
            o.up_mps = up_mps[i]
            o.uses_stairs = group.uses_stairs
            o.lift_places = group.lift_places
            o.lift_user = has_banks and (not group.uses_stairs or by_lift[i])
            o.pre_movement_s = pre_s[i]
            o.element, o.entered_s = e, 0.0
            o.x, o.y = x_m[i], y_m[i]
            o.route = [e.id]
            o.plan = self._initial_plan(o)
            e.count += 1
            people.append(o)
        return people

    def _draw_people(self, origin: np.ndarray) -> tuple[list[tuple[str, OccupantGroup]], dict]:
        """Each person's group and walking speeds, from the scenario's population or, when it gives
        none, from the mix the building's use implies (by space kind in a mixed-use building); the
        ``population`` table says which mix was used, for how many people and why."""
        p, use, total = self.params, self.building.use, len(origin)
        if p.population is not None:
            keys, source = [p.population if isinstance(p.population, str) else "own mix"], "scenario"
            per_person = None
        else:
            source = "building use"
            kinds = self.net.el_kind
            per_person = [population_for_kind(use, kinds[e]) for e in origin]
            keys = list(dict.fromkeys(per_person)) or [population_for_kind(use, "default")]
        who: list[tuple[str, OccupantGroup]] = [("", None)] * total  # type: ignore[list-item]
        drawn = {name: np.full(total, np.nan) for name in ("horizontal_mps", "stair_down_mps", "stair_up_mps")}
        self.population_rows = []
        for key in keys:
            if per_person is None or len(keys) == 1:
                members = np.arange(total)
            else:
                members = np.flatnonzero(np.asarray(per_person) == key)
            spec = p.population if source == "scenario" else key
            mix = resolve_population(spec, p.groups)
            part = sample_population(self.rng, mix, len(members))
            named = [(name, group) for name, group, _ in mix]
            for i, g in zip(members.tolist(), part["group"].tolist()):
                who[i] = named[g]
            for name in drawn:
                drawn[name][members] = part[name]
            self.population_rows.append({"mix": key, "source": source, "building_use": use,
                                         "occupants": int(len(members))})
        return who, drawn

    def _start_positions(self, origin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A start point per occupant, uniform in their space's rectangle (its centroid for polygons)."""
        u = self.rng.random((len(origin), 2))
        spaces, where = np.unique(origin, return_inverse=True)
        # Per space: its rectangle (x, y, width, depth), or its centroid for a polygon.
        x0, y0, width, depth = (np.zeros(len(spaces)) for _ in range(4))
        rect = np.zeros(len(spaces), dtype=bool)
        for k, e in enumerate(spaces.tolist()):
            space = self.building.space_by_id[self.net.element_ids[e]]
            if space.rect is not None:
                r = space.rect
                x0[k], y0[k], width[k], depth[k], rect[k] = r.x_m, r.y_m, r.width_m, r.depth_m, True
            else:
                x0[k], y0[k] = space.centroid
        in_rect = rect[where]
        return (np.where(in_rect, x0[where] + u[:, 0] * width[where], x0[where]),
                np.where(in_rect, y0[where] + u[:, 1] * depth[where], y0[where]))

    def _initial_plan(self, o: _Occupant) -> tuple[str, int]:
        if o.lift_user or not o.uses_stairs:
            return _LEVEL
        exit_id = self.params.assigned_exits.get(o.space, self.params.assigned_exits.get(o.floor))
        if exit_id is not None and exit_id in self.exit_by_id:
            return ("exit", self.exit_by_id[exit_id])
        return _WALK

    # --- routing ------------------------------------------------------------------------------

    def _lift_lobbies_in_service(self) -> frozenset[int]:
        return frozenset(e for b in self.banks if b.in_service for e in b.lobby_z if e != b.discharge)

    def _tree(self, plan: tuple[str, int]) -> _Tree:
        tree = self._trees_now.get(plan)
        if tree is None:
            kind, exit_idx = plan
            if kind == "exit":
                mode, targets = _MODE_WALK, frozenset((exit_idx,))
            elif kind == _MODE_LEVEL:
                mode, targets = _MODE_LEVEL, frozenset(self.exit_elements) | self._lift_lobbies_in_service()
            elif kind == "level_exit":
                mode, targets = _MODE_LEVEL, frozenset(self.exit_elements)
            else:
                mode, targets = _MODE_WALK, frozenset(self.exit_elements)
            tree = self.net.tree(mode, targets, frozenset(self.blocked_gates), frozenset(self.blocked_elements))
            self._trees_now[plan] = tree
        return tree

    def _fallback(self, o: _Occupant) -> bool:
        """A wider plan when the current one has no route left; False when there is none."""
        if o.plan[0] == "exit":
            o.plan = _WALK
            return True
        if o.plan[0] in (_MODE_LEVEL, "level_exit") and o.uses_stairs:
            o.plan = _WALK
            return True
        return False

    def _hop_from_position(self, o: _Occupant, tree: _Tree):
        """Best first step from a point inside the current element: (gate, state beyond, walk, x, y)."""
        best, best_cost = None, math.inf
        x, y = o.x, o.y
        gates, dist, gate_ok, elem_ok = self.gates, tree.dist, tree.gate_ok, tree.elem_ok
        state_elem = self.net.state_elem
        v = o.h_mps
        for gi, beyond, px, py in self.net.exits_from[o.element.idx]:
            d = dist[beyond]
            if d == math.inf or not gate_ok[gi] or not elem_ok[state_elem[beyond]]:
                continue
            gate = gates[gi]
            walk = math.hypot(px - x, py - y)
            if self.congestion_aware:
                cost = max(walk / v, self._queue_ahead_s(gate, beyond, tree)) + (gate.length_m + d) / v
            else:
                cost = walk + gate.length_m + d
            if cost < best_cost:
                best, best_cost = (gi, beyond, walk, px, py), cost
        return best

    def _hop_from_state(self, o: _Occupant, state: int, tree: _Tree):
        """Next step after passing into an element, from the routing tree (or by expected time)."""
        net = self.net
        if not self.congestion_aware:
            return tree.hops[state]
        dist, here = tree.dist, tree.dist[state]
        best, best_cost = None, math.inf
        v = o.h_mps
        gates, gate_ok, elem_ok, state_elem = self.gates, tree.gate_ok, tree.elem_ok, net.state_elem
        for t in range(net.trans_start[state], net.trans_start[state + 1]):
            beyond = net.tr_dst[t]
            d = dist[beyond]
            gi = net.tr_gate[t]
            # Only downhill steps (strictly nearer an exit), so choices never cycle.
            if d >= here or not gate_ok[gi] or not elem_ok[state_elem[beyond]]:
                continue
            gate = gates[gi]
            walk = net.tr_walk[t]
            cost = max(walk / v, self._queue_ahead_s(gate, beyond, tree)) + (gate.length_m + d) / v
            if cost < best_cost:
                best, best_cost = (gi, beyond, walk, net.tr_px[t], net.tr_py[t]), cost
        return best

    def _queue_ahead_s(self, gate: _Gate, beyond: int, tree: _Tree) -> float:
        """Expected wait on a route that starts through ``gate``: everyone heading for a gate on
        the route (up to 8 gates on) is taken to be ahead of us at every later gate too, so the
        wait is the longest ``people ahead × headway`` along it."""
        ahead = gate.committed
        wait = ahead * gate.headway_s
        gates = self.gates
        for gi in tree.gates_ahead(beyond):
            g = gates[gi]
            ahead += g.committed
            if ahead * g.headway_s > wait:
                wait = ahead * g.headway_s
        return wait

    def _next_hop(self, o: _Occupant, state: int | None):
        """The next gate to walk to, falling back to wider plans; ``None`` when trapped."""
        while True:
            tree = self._tree(o.plan)
            if state is None:
                hop = self._hop_from_position(o, tree)
            else:
                hop = self._hop_from_state(o, state, tree)
            if hop is not None:
                return hop
            if not self._fallback(o):
                return None

    # --- movement -----------------------------------------------------------------------------

    def _hold(self, o: _Occupant, holds: list, free: float, until: float) -> None:
        """``o`` would be at ``free`` but is held up behind a slower person in single file until
        ``until``: queueing (counted up to the horizon)."""
        holds.append((free, until))
        o.queued_s += min(until, self.horizon_s) - free if free < self.horizon_s else 0.0

    # An occupant's steps. Each runs what the generator of the process-per-occupant model ran from
    # one ``yield`` to the next, in the same order (see the class docstring): waits for their floor's
    # alarm, spends the pre-movement time, then walks gate by gate to a final exit — waiting at a
    # door or stair while it is busy or the space beyond is full, turning elsewhere when the way is
    # blocked, riding a lift from a lobby if they use lifts — until they are out, or trapped with
    # no way left. These steps run about a hundred thousand times a replication: they read the
    # clock as ``env._now`` (what the ``env.now`` property returns, without the property call).

    def _alarmed(self, people: list[_Occupant], alarm: simpy.Event) -> None:
        """Their floor's alarm sounds: pre-movement starts for each of ``people`` (in their order)."""
        env = self.env
        for o in people:
            o.alarm_s = float(env._now)
            if o.pre_movement_s > 0:
                o.callbacks = self._cb_start
                env.schedule(o, NORMAL, o.pre_movement_s)
            else:
                self._start(o)

    def _start(self, o: _Occupant) -> None:
        """Pre-movement is over: off they go, to the lift lobby's call button or to the first gate."""
        o.start_s = float(self.env._now)
        self._log(o, "start", o.element.id)
        if self._waits_for_lift(o):
            self._ride(o)
        else:
            self._walk(o, None)

    def _walk(self, o: _Occupant, state: int | None) -> None:
        """Walk on from ``state`` (None: from the occupant's point in their element) to the next
        gate — scheduled to reach it (:meth:`_at_gate`) — or be trapped when no way is left.

        The time it takes: crossing the gate just passed (if any) and walking to the next gate in
        the element, at the occupant's free speed scaled by the density met on entry (and by
        smoke); in single file no sooner than one headway after the person ahead."""
        hop = None
        if state is not None and not self.congestion_aware:
            # The usual step, read straight from the current tree: what _next_hop would return,
            # without its calls (it builds a missing tree and falls back to wider plans).
            tree = self._trees_now.get(o.plan)
            if tree is not None:
                hop = tree.hops[state]
        if hop is None:
            hop = self._next_hop(o, state)
            if hop is None:
                self._trap(o)
                return
        gi, beyond, walk_m, o.px, o.py = hop
        gate = o.gate = self.gates[gi]
        o.target = self.elements[self._state_elem[beyond]]
        o.beyond = beyond
        gate.committed += 1
        env = self.env
        now = env._now
        elem = o.element
        area = elem.area_m2
        density = elem.count / area if area > 0 else 0.0
        if density < FREE_FLOW_DENSITY_PPM2:
            factor = 1.0
        else:
            factor = min(1.0, (1.0 - SFPE_A * min(density, OPTIMUM_DENSITY_PPM2)) / 0.85)
        if elem.smoke_from_s <= now:
            factor *= elem.smoke_factor
        t = walk_m / (o.h_mps * factor)
        via = o.via
        if via is not None:
            if via.is_stair:
                speed = o.down_mps if via.lower == elem.idx else o.up_mps
            else:
                speed = o.h_mps
            crossing = via.length_m / (speed * factor)
            if via.single_file:
                # A narrow flight: off it in the order they stepped on, one per headway at most.
                off = now + crossing
                earliest = via.last_off_s + via.headway_s
                if off < earliest:
                    earliest = off + via.hindrance * (earliest - off)
                    self._hold(o, via.holds, off, earliest)
                    off = earliest
                via.last_off_s = off
                crossing = off - now
            t += crossing
            o.travel_m += via.length_m
            o.via = None
        o.travel_m += walk_m
        if elem.single_file:
            elem.walked += 1
            free = now + t
            arrive = elem.last_arrival.get(gi, -math.inf) + elem.headway_s
            if arrive > free:
                arrive = free + elem.hindrance * (arrive - free)
                self._hold(o, elem.holds, free, arrive)
            else:
                arrive = free
            elem.last_arrival[gi] = arrive
            t = arrive - now
        o.callbacks = self._cb_at_gate
        env.schedule(o, NORMAL, t)

    def _at_gate(self, o: _Occupant) -> None:
        """At the gate: through it when it is free and the space beyond has room (after the
        gate's headway), else into its queue; another way when it or the space beyond is blocked."""
        arrived = self.env._now
        gate, target = o.gate, o.target
        o.x, o.y = o.px, o.py
        if self.trace_rows is not None:
            self.trace_rows.append({"time_s": arrived, "occupant": o.idx, "event": "at_gate", "where": gate.id})
        if gate.blocked or target.blocked:
            gate.committed -= 1
            self._walk(o, None)
            return
        o.arrived_s = arrived
        if gate.queue or gate.admitted is not None or target.count >= target.capacity:
            self._enqueue(gate, o)  # woken by _admit_next or _reroute_waiting: _gate_woken
            return
        target.count += 1
        gate.admitted = o
        self._through_at(o, gate.next_free_s, arrived)

    def _gate_woken(self, o: _Occupant) -> None:
        """Their turn at the gate (its value: when they may pass, after its headway) or ``_REROUTE``."""
        t_pass = o._value
        now = self.env._now
        if t_pass is _REROUTE:
            o.gate.committed -= 1
            o.queued_s += now - o.arrived_s
            self._walk(o, None)
            return
        self._through_at(o, t_pass, now)

    def _through_at(self, o: _Occupant, t_pass: float, now: float) -> None:
        """Through the gate at ``t_pass`` (when its headway allows): straight away if that is not
        after ``now``, else scheduled for then (:meth:`_through`)."""
        if t_pass > now:
            o.callbacks = self._cb_through
            self.env.schedule(o, NORMAL, t_pass - now)
        else:
            self._through(o)

    def _through(self, o: _Occupant) -> None:
        """Through the gate into the element beyond (unless it closed meanwhile), and on: out at a
        final exit, to a lift lobby's call button, or on to the next gate."""
        now = self.env._now
        gate, target = o.gate, o.target
        waited = now - o.arrived_s
        o.queued_s += waited
        gate.queued_s += waited
        if gate.blocked or target.blocked:
            # Closed while this occupant waited for the headway: give the place back, turn away.
            self._withdraw(o, gate, target)
            self._walk(o, None)
            return
        # The occupant goes through ``gate`` into ``target`` now.
        gate.next_free_s = now + gate.headway_s
        self.last_move_s = now
        gate.admitted = None
        gate.passed += 1
        gate.committed -= 1
        here = o.element
        self._leave(o, here, now)
        o.element, o.entered_s, o.via = target, now, gate
        o.route.append(target.id)
        if o.left_floor_s != o.left_floor_s and (target.is_stair or target.is_exit or target.floor != o.floor):
            o.left_floor_s = now
        if self.trace_rows is not None:
            self.trace_rows.append({"time_s": now, "occupant": o.idx, "event": "pass", "where": gate.id})
        if here.waiting_gates:
            self._make_room(here)
        if gate.queue:
            self._admit_next(gate)
        if target.is_exit:
            self._arrive(o, gate, target)
        elif o.plan == _LEVEL and self._waits_for_lift(o):  # the plan first: it spares most passes the call
            self._ride(o)
        else:
            self._walk(o, o.beyond)

    def _enqueue(self, gate: _Gate, o: _Occupant) -> None:
        self._tick_queue(gate)
        gate.queue.append(o)
        if len(gate.queue) > gate.max_queue:
            gate.max_queue = len(gate.queue)
        if gate.admitted is None:
            self._admit_next(gate)

    def _tick_queue(self, gate: _Gate) -> None:
        now = self.env._now
        if gate.queue:
            dt = now - gate.last_t
            gate.congested_s += dt
            gate.queue_area += dt * len(gate.queue)
        gate.last_t = now

    def _admit_next(self, gate: _Gate) -> None:
        """Let the head of a gate's queue through when the gate is free and the space beyond has
        room; otherwise wait on that space (it calls back when someone leaves it)."""
        queue = gate.queue
        while queue and gate.admitted is None:
            o = queue[0]
            target = o.target
            if gate.blocked or target.blocked:
                self._tick_queue(gate)
                queue.popleft()
                self._wake(o, _REROUTE, self._cb_gate_wake)
                continue
            if target.count >= target.capacity:
                if gate.registered_on is not target:
                    gate.registered_on = target
                    target.waiting_gates.append(gate)
                return
            self._tick_queue(gate)
            queue.popleft()
            target.count += 1
            gate.admitted = o
            now = self.env._now
            self._wake(o, gate.next_free_s if gate.next_free_s > now else now, self._cb_gate_wake)

    def _wake(self, o: _Occupant, value: Any, step: list) -> None:
        """End an occupant's wait for others with ``value``: what ``Event.succeed(value)`` did."""
        o._value = value
        o.callbacks = step
        self.env.schedule(o)

    def _make_room(self, elem: _Element) -> None:
        """Someone left ``elem``: hand its free places to the gates waiting on it, in turn."""
        waiting = elem.waiting_gates
        while waiting and elem.count < elem.capacity:
            gate = waiting.popleft()
            if gate.registered_on is not elem:
                continue  # a stale entry: the gate now waits elsewhere
            gate.registered_on = None
            self._admit_next(gate)

    def _withdraw(self, o: _Occupant, gate: _Gate, target: _Element) -> None:
        """An admitted occupant does not pass after all (the gate or the space beyond closed)."""
        gate.admitted = None
        gate.committed -= 1
        target.count -= 1
        if target.waiting_gates:
            self._make_room(target)
        if gate.queue:
            self._admit_next(gate)

    def _leave(self, o: _Occupant, here: _Element, now: float) -> None:
        here.count -= 1
        here.last_left_s = now
        if here.smoke_from_s < now:
            o.smoke_s += now - max(here.smoke_from_s, o.entered_s)

    def _arrive(self, o: _Occupant, gate: _Gate, exit_el: _Element) -> None:
        o.via = None
        o.arrival_s = self.env.now + gate.length_m / o.h_mps
        self.last_move_s = max(self.last_move_s, o.arrival_s)
        o.travel_m += gate.length_m
        o.exit = exit_el.id
        exit_el.count -= 1
        self.exit_times.setdefault(exit_el.id, []).append(o.arrival_s)
        self._log(o, "exit", exit_el.id)

    def _trap(self, o: _Occupant, where: str | None = None) -> None:
        o.trapped_at = where or o.element.id
        o.trapped_s = self.env.now
        self._log(o, "trapped", o.trapped_at)

    def _log(self, o: _Occupant, event: str, where: str) -> None:
        if self.trace_rows is not None:
            self.trace_rows.append({"time_s": self.env.now, "occupant": o.idx, "event": event, "where": where})

    # --- lifts --------------------------------------------------------------------------------

    def _waits_for_lift(self, o: _Occupant) -> bool:
        if o.plan != _LEVEL:
            return False
        e = o.element.idx
        return any(b.in_service and e in b.calls and e != b.discharge for b in self.banks)

    def _ride(self, o: _Occupant) -> None:
        """Wait in the lift lobby for a car (:meth:`_lift_woken`: it brings them to the discharge
        floor) — or, when no car serves the lobby any more, walk on from the lobby."""
        env = self.env
        bank = next((b for b in self.banks if b.in_service and o.element.idx in b.calls), None)
        if bank is None:
            o.plan = _WALK if o.uses_stairs else _LEVEL_EXIT
            self._walk(o, None)
            return
        o.call_s = env.now
        self._tick_bank(bank)
        bank.calls[o.element.idx].append(o)
        bank.waiting += 1
        bank.max_waiting = max(bank.max_waiting, bank.waiting)
        self._log(o, "call", bank.id)
        if bank.bell is not None and not bank.bell.triggered:
            bank.bell.succeed()

    def _lift_woken(self, o: _Occupant) -> None:
        """The lift's news: alighted in the discharge lobby (walk on from a point there), stuck in
        a stopped car (trapped), or the car that was coming stopped (call again if another car
        still serves the lobby)."""
        outcome = o._value
        if outcome is _ALIGHTED:
            o.x, o.y = self.net.el_pos[o.element.idx][:2]
            o.plan = _LEVEL_EXIT if not o.uses_stairs else _WALK
            self._walk(o, None)
        elif outcome is _STUCK:
            self._trap(o, where=o.trapped_at)
        else:
            self._ride(o)

    def _tick_bank(self, bank: _LiftBank) -> None:
        now = self.env.now
        if bank.waiting:
            dt = now - bank.last_t
            bank.congested_s += dt
            bank.wait_area += dt * bank.waiting
        bank.last_t = now

    def _longest_waiting_lobby(self, bank: _LiftBank) -> int | None:
        best, best_t = None, math.inf
        for lobby, calls in bank.calls.items():
            if calls and calls[0].call_s < best_t:
                best, best_t = lobby, calls[0].call_s
        return best

    def shuttling(self, bank: _LiftBank, car):
        """A lift car in evacuation service: answers the longest-waiting lobby, takes as many as fit,
        carries them to the discharge floor and comes back for more, until its power is lost."""
        env, boarding_s = self.env, self.params.lifts.boarding_s
        car_z = bank.lobby_z[bank.discharge]
        if car.home_floor is not None:
            car_z = next((z for e, z in bank.lobby_z.items() if self.net.el_floor[e] == car.home_floor), car_z)
        riders: list[_Occupant] = []
        travel = lambda z0, z1: lift_travel_s(abs(z1 - z0), car.rated_speed_mps, car.acceleration_mps2, car.jerk_mps3)
        try:
            while True:
                lobby = self._longest_waiting_lobby(bank)
                if lobby is None:
                    if bank.bell is None or bank.bell.triggered:
                        bank.bell = env.event()
                    yield bank.bell
                    continue
                riders, places = [], 0.0
                calls = bank.calls[lobby]
                self._tick_bank(bank)
                while calls and (not riders or places + calls[0].lift_places <= car.capacity_persons):
                    o = calls.popleft()
                    riders.append(o)
                    places += o.lift_places
                    bank.waiting -= 1
                depart_s = env.now
                yield env.timeout(travel(car_z, bank.lobby_z[lobby]) + car.door_open_s)
                car_z = bank.lobby_z[lobby]
                lobby_el = self.elements[lobby]
                for o in riders:
                    o.queued_s += env.now - o.call_s
                    o.boarded = True
                    self._leave(o, lobby_el, env.now)
                    if lobby_el.waiting_gates:
                        self._make_room(lobby_el)
                    o.route.append(bank.id)
                    if o.left_floor_s != o.left_floor_s:
                        o.left_floor_s = env.now
                    self._log(o, "board", bank.id)
                yield env.timeout(boarding_s * places + car.door_close_s)
                yield env.timeout(travel(car_z, bank.lobby_z[bank.discharge]) + car.door_open_s + boarding_s * places)
                car_z = bank.lobby_z[bank.discharge]
                discharge = self.elements[bank.discharge]
                for o in riders:
                    o.element, o.entered_s, o.via = discharge, env.now, None
                    discharge.count += 1
                    o.route.append(discharge.id)
                    self._log(o, "alight", discharge.id)
                    self._wake(o, _ALIGHTED, self._cb_lift_wake)
                bank.carried += len(riders)
                self.lift_trips.append({"group": bank.id, "car": car.id, "lobby": lobby_el.id,
                                        "depart_s": depart_s, "arrive_s": env.now, "persons": len(riders)})
                riders = []
                yield env.timeout(car.door_close_s)
        except simpy.Interrupt:
            for o in riders:
                if o.boarded:
                    o.trapped_at = car.id  # stuck in the car between floors
                self._wake(o, _STUCK if o.boarded else _REROUTE, self._cb_lift_wake)

    # --- alarm and timeline -------------------------------------------------------------------

    def _alarm_schedule(self) -> list[tuple[float, list[int]]]:
        p = self.params
        n = len(self.floor_ids)
        if p.alarm == "simultaneous":
            return [(p.alarm_delay_s, list(range(n)))]
        fire = self.floor_pos[p.fire_floor]  # type: ignore[index]
        if p.alarm == "stay_put":
            return [(p.alarm_delay_s, [fire])]
        first = [f for f in range(n) if fire - p.phase_floors_below <= f <= fire + p.phase_floors_above]
        rest = [f for f in range(n) if f not in first]
        return [(p.alarm_delay_s, first), (p.alarm_delay_s + p.phase_delay_s, rest)]

    def _alert_floor(self, floor_idx: int) -> None:
        alarm = self.floor_alarm[floor_idx]
        if not alarm.triggered:
            self.floor_alarm_s[floor_idx] = float(self.env.now)
            alarm.succeed()

    def sounding_alarms(self):
        """The fire alarm panel: sounds each floor at its time under the alarm strategy."""
        for at_s, floors in self._alarm_schedule():
            if at_s > self.env.now:
                yield self.env.timeout(at_s - self.env.now)
            for f in floors:
                self._alert_floor(f)

    def unfolding(self):
        """The fire's timeline: smoke, untenable spaces, blocked doors, closed stairs and exits,
        power loss — each applied at its time, after which routes are recomputed."""
        events = sorted(enumerate(self.params.events), key=lambda ie: (ie[1].at_s, ie[0]))
        for _, ev in events:
            if ev.at_s > self.env.now:
                yield self.env.timeout(ev.at_s - self.env.now)
            self._apply(ev)

    def _apply(self, ev) -> None:
        net, now = self.net, self.env.now
        if isinstance(ev, SmokeEvent):
            elem = self.elements[net.element_index[ev.space]]
            elem.smoke_from_s = min(elem.smoke_from_s, now)
            elem.smoke_factor = ev.speed_factor
            self._alert_by_space(elem)
            return
        if isinstance(ev, PowerLossEvent):
            self._power_loss()
        elif isinstance(ev, (UntenableEvent, BlockedEvent)) and ev.space is not None:
            elem = self.elements[net.element_index[ev.space]]
            elem.blocked = True
            self.blocked_elements.add(elem.idx)
            if isinstance(ev, UntenableEvent):
                elem.smoke_from_s = min(elem.smoke_from_s, now)
                self._alert_by_space(elem)
        elif isinstance(ev, BlockedEvent):
            for g in self.gates:
                if g.edge_id == ev.door:
                    self._block_gate(g)
        elif isinstance(ev, ClosedEvent) and ev.stair is not None:
            for gi in net.stair_gates.get(ev.stair, []):
                self._block_gate(self.gates[gi])
        elif isinstance(ev, ClosedEvent):
            elem = self.elements[self.exit_by_id[ev.exit]]  # type: ignore[index]
            elem.blocked = True
            self.blocked_elements.add(elem.idx)
        self._trees_now.clear()  # routes are recomputed under the new blocked sets
        self._reroute_waiting()

    def _alert_by_space(self, elem: _Element) -> None:
        if self.params.alert_on_smoke and elem.floor in self.floor_pos:
            self._alert_floor(self.floor_pos[elem.floor])

    def _block_gate(self, gate: _Gate) -> None:
        gate.blocked = True
        self.blocked_gates.add(gate.idx)

    def _reroute_waiting(self) -> None:
        """Send everyone queued at a blocked gate, or for a blocked space, another way."""
        for gate in self.gates:
            if not gate.queue:
                continue
            keep: deque[_Occupant] = deque()
            self._tick_queue(gate)
            for o in gate.queue:
                if gate.blocked or o.target.blocked:
                    self._wake(o, _REROUTE, self._cb_gate_wake)
                else:
                    keep.append(o)
            gate.queue = keep
            if gate.queue and gate.admitted is None:
                self._admit_next(gate)

    def _power_loss(self) -> None:
        backup = self.params.lifts.backup_power
        for bank in self.banks:
            for car, proc in zip(bank.cars, bank.processes):
                if backup and car.fire_service:
                    continue
                bank.running.discard(car.id)
                if proc.is_alive:
                    proc.interrupt("power loss")
            if not bank.running and bank.in_service:
                bank.in_service = False
                self._tick_bank(bank)
                for calls in bank.calls.values():
                    while calls:
                        o = calls.popleft()
                        bank.waiting -= 1
                        o.queued_s += self.env.now - o.call_s
                        self._wake(o, _REROUTE, self._cb_lift_wake)

    # --- running and results ------------------------------------------------------------------

    def run(self) -> ReplicationResult:
        env = self.env
        for alarm, people in zip(self.floor_alarm, self.occupants_by_floor):
            if people:
                alarm.callbacks.append(partial(self._alarmed, people))
        for bank in self.banks:
            bank.processes = [env.process(self.shuttling(bank, car)) for car in bank.cars]
        env.process(self.sounding_alarms())
        if self.params.events:
            env.process(self.unfolding())
        if math.isfinite(self.horizon_s):
            env.run(until=self.horizon_s)
        else:
            env.run()
        self.end_s = float(env.now)
        self._close_at_end()
        kpis, censored, where = self._kpis()
        return ReplicationResult(kpis=kpis, records=self._records(), censored=frozenset(censored), where=where)

    def _close_at_end(self) -> None:
        """Close the monitors when the run ends: queues still standing count up to the end (at the
        gates, in lift lobbies), and so does smoke around those still inside."""
        end = self.end_s
        for gate in self.gates:
            self._tick_queue(gate)
            for o in gate.queue:
                waited = end - o.arrived_s
                o.queued_s += waited
                gate.queued_s += waited
        for bank in self.banks:
            self._tick_bank(bank)
            for calls in bank.calls.values():
                for o in calls:
                    o.queued_s += end - o.call_s
        self.inside = [o for o in self.occupants if o.alarm_s == o.alarm_s and o.arrival_s != o.arrival_s
                       and o.trapped_s != o.trapped_s]
        for o in self.inside:
            elem = o.element
            if not o.boarded and elem.smoke_from_s < end:
                o.smoke_s += end - max(elem.smoke_from_s, o.entered_s)

    def _still_queueing(self) -> list[tuple[str, int]]:
        """Doors and stairs with a queue still standing when the run ended — they never emptied —
        with the people waiting at each, most first (a stair's flights counted together)."""
        waiting: dict[str, int] = {}
        for gate in self.gates:
            if gate.queue:
                name = f"stair {gate.edge_id}" if gate.is_stair else f"door {gate.edge_id}"
                waiting[name] = waiting.get(name, 0) + len(gate.queue)
        for bank in self.banks:
            if bank.waiting:
                waiting[f"lift {bank.id}"] = waiting.get(f"lift {bank.id}", 0) + bank.waiting
        return sorted(waiting.items(), key=lambda kv: (-kv[1], kv[0]))

    def _occupant_rows(self) -> list[dict]:
        rows = []
        for o in self.occupants:
            evacuated = o.arrival_s == o.arrival_s
            if o.alarm_s != o.alarm_s:
                mode = "stay"
            else:
                mode = "lift" if any(b.id in o.route for b in self.banks) else "stairs" if o.uses_stairs else "level"
            rows.append({
                "id": o.idx, "space": o.space, "floor": o.floor, "group": o.group, "mode": mode,
                "horizontal_mps": o.h_mps, "pre_movement_s": o.pre_movement_s, "alarm_s": o.alarm_s,
                "start_s": o.start_s, "left_floor_s": o.left_floor_s, "arrival_s": o.arrival_s,
                "evacuated": evacuated, "exit": o.exit, "route": " > ".join(o.route), "travel_m": o.travel_m,
                "queued_s": o.queued_s, "smoke_exposure_s": o.smoke_s,
                "trapped": o.trapped_s == o.trapped_s, "trapped_at": o.trapped_at, "trapped_s": o.trapped_s,
            })
        return rows

    def _aset(self) -> dict[str, float]:
        aset = {sid: a for sid, a in ((s.id, s.aset_s) for s in self.building.spaces) if a is not None}
        aset.update(self.params.aset_s)
        return aset

    def _floor_rows(self) -> list[dict]:
        """Per floor: its occupants, alarm, clearance (the last of its own occupants off it; the end
        of the run, ``censored``, when someone is still on it), trapped, and the least ASET margin
        of its spaces (a space still occupied at the end counts at the end, censored)."""
        aset = self._aset()
        end = self.end_s
        rows = []
        spaces_on: dict[str, list[str]] = {}
        for s in aset:
            spaces_on.setdefault(self.building.space_by_id[s].floor, []).append(s)
        for fi, floor in enumerate(self.floor_ids):
            people = self.occupants_by_floor[fi]
            spaces = spaces_on.get(floor, [])
            if not people and not spaces:
                continue
            moved = [o for o in people if o.alarm_s == o.alarm_s]
            left = [o.left_floor_s for o in moved]
            cleared = bool(moved) and all(t == t for t in left)
            on_floor = any(o.left_floor_s != o.left_floor_s and o.trapped_s != o.trapped_s
                           and o.arrival_s != o.arrival_s for o in moved)
            clearance = max(left) if cleared else end if on_floor else math.nan
            margins, censored = [], on_floor
            for sid in spaces:
                el = self.elements[self.net.element_index[sid]]
                if el.count > 0:
                    margins.append((aset[sid] - end, sid))
                    censored = True
                elif el.last_left_s == el.last_left_s:
                    margins.append((aset[sid] - el.last_left_s, sid))
            least = min(margins, default=(math.nan, None))
            rows.append({
                "floor": floor, "occupants": len(people), "alarm_s": self.floor_alarm_s[fi],
                "clearance_s": clearance,
                "trapped": sum(1 for o in people if o.trapped_s == o.trapped_s),
                "still_inside": sum(1 for o in moved if o.arrival_s != o.arrival_s and o.trapped_s != o.trapped_s),
                "aset_s": min((aset[s] for s in spaces), default=math.nan),
                "margin_s": least[0],
                "margin_space": least[1],
                "censored": censored,
            })
        return rows

    def _element_rows(self) -> list[dict]:
        end = self.last_move_s
        rows = []
        for gate in self.gates:
            if not gate.passed and not gate.max_queue:
                continue
            rows.append({"element": gate.id, "kind": gate.kind, "floor": gate.floor, "max_queue": gate.max_queue,
                         "mean_queue": gate.queue_area / end if end > 0 else 0.0, "congested_s": gate.congested_s,
                         "queued_s": gate.queued_s, "passed": gate.passed})
        # Single file: people held up behind a slower person are queueing in the corridor or flight.
        single = [(g.id + " (single file)", "single_file", g.floor, g.holds, g.passed) for g in self.gates if g.holds]
        single += [(e.id, "single_file", e.floor, e.holds, e.walked) for e in self.elements if e.holds]
        for name, kind, floor, holds, passed in single:
            most, busy, total = _hold_stats(holds, self.end_s)
            rows.append({"element": name, "kind": kind, "floor": floor, "max_queue": most,
                         "mean_queue": total / end if end > 0 else 0.0, "congested_s": busy,
                         "queued_s": total, "passed": passed})
        for bank in self.banks:
            rows.append({"element": bank.id, "kind": "lift", "floor": self.net.el_floor[bank.discharge],
                         "max_queue": bank.max_waiting, "mean_queue": bank.wait_area / end if end > 0 else 0.0,
                         "congested_s": bank.congested_s,
                         "queued_s": sum(o.queued_s for o in self.occupants if bank.id in o.route),
                         "passed": bank.carried})
        return rows

    def _records(self) -> dict[str, list[dict]]:
        exit_flow = []
        for exit_id in sorted(self.exit_times):
            for n, t in enumerate(sorted(self.exit_times[exit_id]), start=1):
                exit_flow.append({"exit": exit_id, "time_s": t, "cumulative": n})
        elements = self._elements
        congested = (r for r in elements if r["congested_s"] > 0)
        hot = sorted(congested, key=lambda r: (-r["congested_s"], r["element"]))[:12]
        records = {
            "occupants": self._occupant_rows(),
            "exit_flow": exit_flow,
            "floors": self._floors,
            "elements": elements,
            "hot_spots": [{k: r[k] for k in ("element", "kind", "floor", "congested_s", "max_queue", "queued_s")}
                          for r in hot],
            "lift_trips": self.lift_trips,
            "population": self.population_rows,
        }
        if self.trace_rows is not None:
            records["trace"] = self.trace_rows
        return records

    def _kpis(self) -> tuple[dict[str, float], set[str], dict[str, str]]:
        """The KPIs, the ones only bounded because the run ended with people inside (``censored``),
        and where some of them were set (``where``)."""
        people, end = self.occupants, self.end_s
        arrivals = np.array([o.arrival_s for o in people if o.arrival_s == o.arrival_s])
        alarmed = [o for o in people if o.alarm_s == o.alarm_s]
        inside = len(self.inside)
        elements = self._elements = self._element_rows()
        queue_max = max((r["max_queue"] for r in elements), default=0)
        floors = self._floors = self._floor_rows()
        margins = [r for r in floors if r["margin_s"] == r["margin_s"]]
        clearances = [r for r in floors if r["clearance_s"] == r["clearance_s"]]
        censored: set[str] = set()
        where: dict[str, str] = {}
        if inside:
            # Cut off by the horizon: the last person is out after it; those still inside count at it.
            censored |= {"rset_s", "mean_evacuation_s", "evacuated_share", "total_queue_s", "smoke_exposure_s"}
            rset = end
            mean = (float(arrivals.sum()) + inside * end) / (arrivals.size + inside)
            where["still_inside"] = self._where_inside()
            standing = self._still_queueing()
            if standing:
                where["overloaded"] = ", ".join(f"{name} ({n} waiting)" for name, n in standing[:6]) + (
                    f" and {len(standing) - 6} more" if len(standing) > 6 else "")
        else:
            rset = float(arrivals.max()) if arrivals.size else math.nan
            mean = float(arrivals.mean()) if arrivals.size else math.nan
        p95, p95_censored = _percentile_censored(arrivals, inside, 95, end)
        p99, p99_censored = _percentile_censored(arrivals, inside, 99, end)
        censored |= {name for name, c in (("p95_evacuation_s", p95_censored), ("p99_evacuation_s", p99_censored)) if c}
        if margins and (inside or any(r["censored"] for r in margins)):
            censored.add("min_margin_s")
        if any(r["censored"] for r in clearances):
            censored.add("max_floor_clearance_s")
        min_margin = min(r["margin_s"] for r in margins) if margins else math.nan
        if margins:
            where["min_margin_s"] = _where_margin(margins)
        if clearances:
            worst = max(clearances, key=lambda r: r["clearance_s"])
            where["max_floor_clearance_s"] = f"floor {worst['floor']}"
        if arrivals.size and not inside:
            last = max((o for o in people if o.arrival_s == o.arrival_s), key=lambda o: o.arrival_s)
            where["rset_s"] = f"exit {last.exit} (from floor {last.floor})"
        if queue_max:
            top = max(elements, key=lambda r: (r["max_queue"], r["queued_s"]))
            where["max_queue"] = f"{top['kind']} {top['element']}"
        where["occupants"] = "; ".join(f"{r['mix']} ({r['occupants']}, {r['source']})" for r in self.population_rows)
        kpis = {
            "occupants": float(len(people)),
            "rset_s": rset,
            "mean_evacuation_s": mean,
            "p95_evacuation_s": p95,
            "p99_evacuation_s": p99,
            "evacuated_share": arrivals.size / len(alarmed) if alarmed else math.nan,
            "still_inside": float(inside),
            "trapped": float(sum(1 for o in people if o.trapped_s == o.trapped_s)),
            "max_queue": float(max(queue_max, max((b.max_waiting for b in self.banks), default=0))),
            "total_queue_s": float(sum(o.queued_s for o in people)),
            "min_margin_s": min_margin,
            "max_floor_clearance_s": max(r["clearance_s"] for r in clearances) if clearances else math.nan,
            "smoke_exposure_s": float(sum(o.smoke_s for o in people)),
            "lift_evacuated": float(sum(b.carried for b in self.banks)),
            "stayed_put": float(len(people) - len(alarmed)),
        }
        return kpis, censored, where

    def _where_inside(self) -> str:
        """Where the people still inside at the end are: before moving, queueing (at what), walking."""
        pre = sum(1 for o in self.inside if o.start_s != o.start_s)
        queueing = sum(n for _, n in self._still_queueing())
        moving = len(self.inside) - pre - queueing
        floors = sorted({o.floor for o in self.inside}, key=lambda f: self.floor_pos[f])
        parts = [f"{n} {what}" for n, what in ((pre, "in pre-movement"), (queueing, "queueing"),
                                              (moving, "on their way")) if n > 0]
        return ", ".join(parts) + f"; from {_floor_list(floors)}"


def _floor_list(floors: list[str], most: int = 6) -> str:
    """``floor F12`` / ``floors F12, F14`` / ``floors F1, …, F6 and 3 more``."""
    if len(floors) == 1:
        return f"floor {floors[0]}"
    shown = ", ".join(floors[:most])
    return f"floors {shown}" + (f" and {len(floors) - most} more" if len(floors) > most else "")


def _where_margin(rows: list[dict]) -> str:
    """The floors whose ASET − RSET margin is negative (least first), or the floor(s) of the least
    margin when none is; one floor is named with its space."""
    negative = sorted((r for r in rows if r["margin_s"] < 0), key=lambda r: r["margin_s"])
    if not negative:
        least = min(r["margin_s"] for r in rows)
        negative = [r for r in rows if r["margin_s"] == least]
    if len(negative) == 1:
        return f"floor {negative[0]['floor']} (space {negative[0]['margin_space']})"
    return _floor_list([r["floor"] for r in negative])


def _percentile_censored(arrivals: np.ndarray, inside: int, q: float, end: float) -> tuple[float, bool]:
    """The ``q``-th percentile of the times out of everyone alarmed and not trapped, those still
    inside counting as out after ``end``: the value (numpy's linear interpolation), or ``end`` and
    True when the percentile falls among those still inside (then it is only a lower bound)."""
    n = arrivals.size + inside
    if n == 0:
        return math.nan, False
    if inside == 0:
        return float(np.percentile(arrivals, q)), False
    pos = (n - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    if hi >= arrivals.size:
        return end, True
    a = np.sort(arrivals)
    return float(a[lo] + (a[hi] - a[lo]) * (pos - lo)), False


def _hold_stats(holds: list[tuple[float, float]], end: float) -> tuple[int, float, float]:
    """From single-file hold-ups (from, to), clipped at ``end``: the most people held at once, the
    time anyone was held, and the person·seconds held."""
    changes, total = [], 0.0
    for a, b in holds:
        b = min(b, end)
        if b > a:
            changes.append((a, 1))
            changes.append((b, -1))
            total += b - a
    changes.sort(key=lambda c: (c[0], c[1]))
    most = held = 0
    busy, since = 0.0, 0.0
    for t, d in changes:
        if held == 0 and d > 0:
            since = t
        held += d
        most = max(most, held)
        if held == 0:
            busy += t - since
    return most, busy, total


# --- What a run costs, and what it can tell ------------------------------------------------------

EVENTS_PER_OCCUPANT = 6.0
EVENTS_PER_OCCUPANT_FLOOR = 1.5
"""SimPy events per occupant: a few to start and arrive, and about 1.5 per floor of the building
(stair flights and landings); measured on the sample tower (39 per occupant over 30 floors) and
podium (7 over 5 floors) — 41 and 9 before issue 16, while each occupant was a SimPy process."""


def expected_occupants(params: EvacuationParams, building: Building | None) -> float:
    """The occupants a replication is expected to start with (without the building: those given by
    ``occupant_counts`` only)."""
    if building is None:
        return float(sum(params.occupant_counts.values()))
    total = 0.0
    for space in building.spaces:
        if space.id in params.occupant_counts:
            total += params.occupant_counts[space.id]
        else:
            total += space.occupant_count * presence_fraction(params.occupancy, space.kind)
    return total


def cost(params: EvacuationParams, horizon_s: float, building: Building | None) -> ReplicationCost:
    """Events and record rows of one replication, from the occupants and the building's height."""
    people = expected_occupants(params, building)
    floors = len(building.floors) if building is not None else 1
    events = people * (EVENTS_PER_OCCUPANT + EVENTS_PER_OCCUPANT_FLOOR * floors) + 100
    rows = 2 * people + (20 * floors if building is not None else 0)  # occupants, exit flow; floors, elements
    if params.trace is True:  # every movement event of every replication
        rows += events
    return ReplicationCost(events=events, record_rows=rows)


def _slowest_pre_movement_s(params: EvacuationParams, q: float = 0.999) -> float:
    """The ``q`` quantile of the slowest pre-movement distribution the scenario uses."""
    pm = params.pre_movement
    worst = 0.0
    for dist in (pm.default, *pm.by_kind.values(), *pm.by_floor.values()):
        try:
            worst = max(worst, dist.quantile(q))
        except (OverflowError, ValueError):
            return math.inf
    return worst


def advise(params: EvacuationParams, horizon_s: float, building: Building | None) -> list[Text]:
    """Warnings for parameters that leave the run with little to say: an alarm that sounds only at
    or after the horizon, a phase that never comes, pre-movement longer than the time left, and a
    horizon shorter than the alarm delays plus the 99.9th percentile of the slowest pre-movement
    (people would still be inside when the run is cut off: their results are censored)."""
    warnings: list[Text] = []
    if params.alarm_delay_s >= horizon_s:
        smoke = params.alert_on_smoke and any(
            isinstance(ev, (SmokeEvent, UntenableEvent)) and ev.at_s < horizon_s for ev in params.events)
        warnings.append(text(
            f"nobody is alerted before the horizon: alarm_delay_s {params.alarm_delay_s:g} s is not before horizon_s "
            f"{horizon_s:g} s" + (" (only smoke events may alert anyone)" if smoke else ""),
            f"模拟结束前无人收到报警：报警延迟 alarm_delay_s {params.alarm_delay_s:g} 秒不早于模拟时长 horizon_s "
            f"{horizon_s:g} 秒" + ("（只有烟气事件可能警示人员）" if smoke else "")))
        return warnings
    last_alarm = params.alarm_delay_s
    if params.alarm == "phased":
        last_alarm += params.phase_delay_s
        if last_alarm >= horizon_s:
            warnings.append(text(
                f"floors outside the fire zone are not alerted before the horizon: alarm_delay_s + phase_delay_s = "
                f"{last_alarm:g} s, horizon_s {horizon_s:g} s",
                f"模拟结束前着火区域以外的楼层未收到报警：报警延迟 + 分阶段报警间隔 = {last_alarm:g} 秒，"
                f"模拟时长 {horizon_s:g} 秒"))
    try:
        pre_mean = params.pre_movement.default.mean
    except (OverflowError, ValueError):
        pre_mean = math.inf
    if params.alarm_delay_s + pre_mean >= horizon_s:
        warnings.append(text(
            f"most occupants do not start moving before the horizon: alarm at {params.alarm_delay_s:g} s + mean "
            f"pre-movement {pre_mean:g} s ≥ horizon_s {horizon_s:g} s",
            f"大多数人员在模拟结束前尚未开始疏散：报警时刻 {params.alarm_delay_s:g} 秒 + 平均预动作时间 {pre_mean:g} 秒"
            f" ≥ 模拟时长 {horizon_s:g} 秒"))
    elif last_alarm < horizon_s:
        slow = _slowest_pre_movement_s(params)
        if last_alarm + slow >= horizon_s:
            warnings.append(text(
                f"the horizon may cut the run off: the last alarm at {last_alarm:g} s + the 99.9th percentile of "
                f"pre-movement {slow:.0f} s ≥ horizon_s {horizon_s:g} s, before anyone walks — results with people "
                f"still inside are censored; set horizon_s to at least {_round_up(last_alarm + slow + 1800):g} s",
                f"模拟时长可能不足：最后一次报警 {last_alarm:g} 秒 + 预动作时间 99.9% 分位 {slow:.0f} 秒 ≥ 模拟时长 "
                f"{horizon_s:g} 秒（尚未计入步行时间）——仍有人员在楼内的结果将标记为截尾；建议 horizon_s 至少 "
                f"{_round_up(last_alarm + slow + 1800):g} 秒"))
    return warnings


def _round_up(seconds: float, step: float = 600.0) -> float:
    return math.ceil(seconds / step) * step


def population_note(population: str | dict | None, use: str, rows: list[dict] | None = None) -> Text:
    """Which population mix a run used, and why, in both languages (for the run's notes)."""
    if isinstance(population, dict):
        shares = ", ".join(f"{g} {v:g}" for g, v in population.items())
        return text(f"Population: the scenario's own mix ({shares}).", f"人员构成：情景自定义的组合（{shares}）。")
    if population is not None:
        label = POPULATION_LABELS.get(population, text(population, population))
        return text(f"Population: {label['en']} — mix '{population}', set by the scenario.",
                    f"人员构成：{label['zh-CN']}——情景指定的组合“{population}”。")
    mix = POPULATION_BY_USE.get(use, "adults")
    if mix is not None:
        label = POPULATION_LABELS[mix]
        return text(f"Population: {label['en']} — mix '{mix}', from the building's use '{use}' (the scenario gives "
                    f"no population).",
                    f"人员构成：{label['zh-CN']}——按建筑用途“{use}”采用组合“{mix}”（情景未指定人员构成）。")
    used = {r["mix"]: r["occupants"] for r in rows or []}
    kinds: dict[str, list[str]] = {}
    for kind, name in POPULATION_BY_KIND.items():
        kinds.setdefault(name, []).append(kind)

    def who(name: str, lang: str) -> str:  # "office workers ('office')": the mix in words, then its code name
        words = pick(POPULATION_LABELS.get(name) or text(name, name), lang)
        for cut in ("（", "：", " (", ":"):  # the head of the label: "office workers", "办公人员"
            words = words.split(cut)[0]
        return f"{words}（{name}）" if lang == "zh-CN" else f"{words} ('{name}')"

    def where(name: str, lang: str) -> str:  # the kinds of space in words (twin/spec.py SPACE_KIND_WORDS)
        said = [space_kind_words(k)[lang] for k in kinds.get(name, []) if k != "default"]
        if lang == "zh-CN":
            return "、".join(said) or "其他空间"
        return ", ".join(w[:1].lower() + w[1:] for w in said) or "other spaces"

    names = list(dict.fromkeys(POPULATION_BY_KIND.values()))
    parts_en = [f"{who(name, 'en')} for {where(name, 'en')}" + (f" ({used[name]} people)" if name in used else "")
                for name in names]
    parts_zh = [f"{who(name, 'zh-CN')}：{where(name, 'zh-CN')}" + (f"（{used[name]} 人）" if name in used else "")
                for name in names]
    return text("Population by space kind, from the building's use 'mixed' (the scenario gives no population): "
                + "; ".join(parts_en) + ".",
                "人员构成按空间类型确定（建筑用途为“mixed”混合用途，情景未指定人员构成）：" + "；".join(parts_zh) + "。")


def _kpis_of(result) -> Mapping[str, float]:
    return result.kpis if isinstance(result, ReplicationResult) else result


def review(results: Sequence[ReplicationResult | Mapping[str, float]]) -> dict[str, Text]:
    """Findings on what a sweep point's replications show as a whole (given their results, or only
    their KPI values):

    * ``nobody_moved`` / ``nobody_arrived``: a run in which nobody moves or nobody gets out is said
      to be one, rather than shown as 0 evacuated and 0 trapped;
    * ``censored``: someone was still inside when the horizon cut a replication off — RSET and the
      other timing KPIs of those replications are bounds, not what happened;
    * ``overloaded``: a stair, door or lift still had a queue standing at the horizon (it never
      emptied), named (needs the results, whose ``where`` names it);
    * ``population_profile``: which population mix was used and why (needs the results).
    """
    if not results:
        return {}
    kpis = [_kpis_of(r) for r in results]
    n = len(kpis)

    def every(test) -> bool:
        return all(test(k) for k in kpis)

    found: dict[str, Text] = {}
    first = results[0]
    if isinstance(first, ReplicationResult) and first.records.get("population"):
        rows = list(first.records["population"])
        source, use = rows[0]["source"], rows[0]["building_use"]
        population = None if source == "building use" else rows[0]["mix"]
        if population == "own mix":
            found["population_profile"] = text("Population: the scenario's own mix of groups.",
                                               "人员构成：情景自定义的人群组合。")
        else:
            found["population_profile"] = population_note(population, use, rows)
    if every(lambda k: not k.get("occupants")):
        found["nobody_moved"] = text("nobody moved: nobody is in the building (0 occupants in every replication)",
                                     "无人疏散：建筑内没有人员（每次重复均为 0 人）")
        return found
    if every(lambda k: k.get("occupants", 0) - k.get("stayed_put", 0) <= 0):
        found["nobody_moved"] = text("nobody moved: nobody was alerted before the horizon in any replication",
                                     "无人疏散：任何一次重复中，模拟结束前都无人收到报警")
        return found
    if every(lambda k: not k.get("evacuated_share")):  # 0 or NaN: nobody out
        found["nobody_arrived"] = text("nobody reached a final exit before the horizon in any replication",
                                       "任何一次重复中，模拟结束前都无人到达安全出口")
    cut = [i for i, k in enumerate(kpis) if k.get("still_inside", 0) > 0]
    if cut:
        most = max(kpis[i]["still_inside"] for i in cut)
        horizon = max(kpis[i].get("rset_s", math.nan) for i in cut)
        at = f" ({horizon:g} s)" if horizon == horizon else ""
        at_zh = f"（{horizon:g} 秒）" if horizon == horizon else ""
        found["censored"] = text(
            f"cut off by the horizon{at}: up to {most:g} people were still inside in {len(cut)} of {n} replications "
            f"— RSET, the mean and the percentile times, the evacuated share, floor clearance and the ASET margin "
            f"of those replications are bounds (censored), not what happened; lengthen horizon_s",
            f"模拟时长{at_zh}截断了疏散：{n} 次重复中有 {len(cut)} 次在结束时仍有人员在楼内（最多 {most:g} 人）"
            f"——这些重复的 RSET、平均与分位疏散时间、疏散完成比例、楼层清空时间及 ASET 裕度仅为界限值（截尾），"
            f"并非实际结果；请延长 horizon_s")
    overloaded = [(i, r.where["overloaded"]) for i, r in enumerate(results)
                  if isinstance(r, ReplicationResult) and r.where.get("overloaded")]
    if overloaded:
        i, where = overloaded[0]
        where_zh = where
        for en, zh in (("stair ", "楼梯 "), ("door ", "门 "), ("lift ", "电梯 "), (" waiting)", " 人等候)"),
                       (" and ", " 及另外 "), (" more", " 处")):
            where_zh = where_zh.replace(en, zh)
        found["overloaded"] = text(
            f"overloaded: queues never emptied within the horizon in {len(overloaded)} of {n} replications — "
            f"replication {i}: {where}",
            f"超负荷：{n} 次重复中有 {len(overloaded)} 次在模拟结束时仍有未消散的排队——第 {i} 次重复：{where_zh}")
    return found


def run(ctx: ModelContext) -> ReplicationResult:
    """One replication of the evacuation model."""
    return Evacuation(ctx).run()


def from_live(params: EvacuationParams, cond: LiveConditions, building: Building) -> tuple[EvacuationParams, list[Text]]:
    """The evacuation as it would unfold from the building's live state (see :mod:`models.live`).

    * lift cars the twin reports out of service do not serve the evacuation (always applied);
    * mains lost: power fails at 0 s, stopping every lift not on a generator in service (the
      fire-service cars keep running when a generator in service feeds them all);
    * a fire alarm in a zone: its floor becomes the fire floor unless the scenario names one, and
      the alarm has sounded — the alarm delay is 0 s, the forecast starts at the alarm;
    * the occupancy profile follows the local time (night, weekday, weekend) unless the scenario
      sets its own occupancy or occupant counts.
    """
    notes: list[Text] = []
    data = params.model_dump(mode="python")
    explicit = params.model_fields_set
    if cond.lifts_out:
        cars = [c for c in cond.lifts_out if c in building.car_by_id]
        merged = tuple(dict.fromkeys([*params.lifts.out_of_service, *cars]))
        data["lifts"] = {**data["lifts"], "out_of_service": merged}
        fs = [c for c in cars if building.car_by_id[c].fire_service]
        why = {c: reason_words(cond.reasons.get(c, "out of service")) for c in cars}  # in each language
        notes.append(text("lift cars out of service, not used for evacuation: "
                          + ", ".join(f"{c} ({why[c]['en']})" for c in cars)
                          + (f" — {len(fs)} of them fire-service" if fs else ""),
                          "停用的电梯轿厢，不参与疏散：" + "、".join(f"{c}（{why[c]['zh-CN']}）" for c in cars)
                          + (f"——其中 {len(fs)} 台为消防电梯" if fs else "")))
    if cond.mains_lost:
        if not any(ev.type == "power_loss" and ev.at_s == 0 for ev in params.events):
            data["events"] = [*data["events"], {"type": "power_loss", "at_s": 0.0}]
        fire_cars = [c.id for g in building.elevators for c in g.cars if c.fire_service]
        on_backup = bool(fire_cars) and all(c in cond.backup_fed for c in fire_cars)
        if on_backup and not params.lifts.backup_power:
            data["lifts"] = {**data["lifts"], "backup_power": True}
        backed = on_backup or params.lifts.backup_power
        supplies = ", ".join(cond.supplies_out)
        notes.append(text(
            f"mains lost ({supplies} out of service): power loss at 0 s; "
            + ("the fire-service cars run on a generator in service" if backed
               else "no generator in service feeds the fire-service cars"),
            f"市电中断（{supplies} 停运）：0 秒时断电；"
            + ("消防电梯由运行中的发电机供电" if backed else "没有运行中的发电机为消防电梯供电")))
    elif cond.supplies_out:
        supplies = ", ".join(cond.supplies_out)
        notes.append(text(f"power equipment out of service: {supplies} (the lifts it feeds report their own state)",
                          f"供电设备停运：{supplies}（其供电的电梯各自上报状态）"))
    if cond.fire_floor is not None:
        if "fire_floor" in explicit and params.fire_floor not in (None, cond.fire_floor):
            live_floors = ", ".join(cond.fire_floors)
            notes.append(text(f"fire floor {params.fire_floor} kept from the scenario; the live fire alarm is on "
                              f"{live_floors}",
                              f"着火楼层沿用情景设定的 {params.fire_floor}；实时火灾报警位于 {live_floors}"))
        else:
            data["fire_floor"] = cond.fire_floor
            age = cond.alarm_age_s(cond.fire_floor)
            raised = age is not None and age >= 1
            notes.append(text(f"fire floor {cond.fire_floor} from the live fire alarm"
                              + (f", raised {age:.0f} s before the snapshot" if raised else ""),
                              f"着火楼层 {cond.fire_floor} 取自实时火灾报警"
                              + (f"，报警发生于快照前 {age:.0f} 秒" if raised else "")))
        if params.alarm_delay_s != 0:
            notes.append(text(f"the fire alarm has sounded: alarm delay {params.alarm_delay_s:g} s → 0 s",
                              f"火灾警报已响起：报警延迟 {params.alarm_delay_s:g} 秒 → 0 秒"))
        data["alarm_delay_s"] = 0.0
    else:
        notes.append(text("no fire alarm in the live twin: the scenario's fire floor and alarm apply",
                          "实时孪生中没有火灾报警：采用情景设定的着火楼层和报警方式"))
    if "occupancy" in explicit or "occupant_counts" in explicit:
        notes.append(text("occupancy kept from the scenario", "在场人数沿用情景设定"))
    else:
        profile = occupancy_for_time(building, cond.taken_at)
        if profile is not None:
            data["occupancy"] = profile
            notes.append(text(f"occupancy profile {profile!r} for {cond.taken_at:%A %H:%M} at the building",
                              f"按建筑当地时间 {cond.taken_at:%Y-%m-%d %H:%M}（星期{'一二三四五六日'[cond.taken_at.weekday()]}）"
                              f"采用在场人数情景 {profile!r}"))
    adjusted = EvacuationParams.model_validate(data)
    return adjusted, notes


_ASET_RULE = text("ASET − RSET ≥ 0 in every replication (GB 50016 / SFPE performance-based design)",
                  "每次重复中 ASET − RSET ≥ 0（GB 50016 / SFPE 性能化设计）")

SPEC = register(ModelSpec(
    name="evacuation",
    title=text("Fire evacuation", "火灾疏散"),
    description=text(
        "Fire evacuation and emergency drills over the floor graph: occupants moving by the SFPE "
        "hydraulic relations through doors and stairs with flow and holding capacities, alarm strategies, smoke and "
        "blockage timelines, re-routing and fire-service lifts.",
        "基于楼层网络图的火灾疏散与应急演练：人员按 SFPE 水力模型通过门和楼梯（含通行能力与容纳能力），"
        "考虑报警策略、烟气与封堵时间线、重新选路及消防电梯疏散。"),
    params=EvacuationParams,
    kpis=(
        KPI("occupants", "persons", text("Occupants", "在场人数"),
            text("Occupants in the building when the scenario starts", "情景开始时建筑内的人数"), "count", None),
        KPI("rset_s", "s", text("RSET (last person out)", "必需安全疏散时间 RSET（最后一人）"),
            text("Required safe egress time: when the last evacuee reaches a final exit",
                 "必需安全疏散时间：最后一名疏散人员到达安全出口的时刻"), "duration"),
        KPI("mean_evacuation_s", "s", text("Mean evacuation time", "平均疏散时间"),
            text("Mean time at which evacuees reach a final exit", "疏散人员到达安全出口的平均时刻"), "duration"),
        KPI("p95_evacuation_s", "s", text("Time for 95 % out", "95% 人员疏散时间"),
            text("Time by which 95 % of the alarmed occupants (not trapped) have reached a final exit",
                 "95% 的已报警人员（不含被困人员）到达安全出口的时刻"), "duration"),
        KPI("p99_evacuation_s", "s", text("Time for 99 % out", "99% 人员疏散时间"),
            text("Time by which 99 % of the alarmed occupants (not trapped) have reached a final exit; less driven "
                 "than RSET by the single slowest pre-movement",
                 "99% 的已报警人员（不含被困人员）到达安全出口的时刻；比 RSET 更少受单个最慢预动作时间的影响"), "duration"),
        KPI("evacuated_share", "share", text("Share evacuated", "疏散完成比例"),
            text("Share of the alarmed occupants who reached a final exit", "已报警人员中到达安全出口的比例"),
            "share", "higher"),
        KPI("still_inside", "persons", text("Still inside at the horizon", "模拟结束时仍在楼内人数"),
            text("Alarmed occupants neither out nor trapped when the simulated time ran out",
                 "模拟时间结束时既未疏散、也未被困的已报警人员"), "count"),
        KPI("trapped", "persons", text("Trapped", "被困人数"),
            text("Occupants left with no route to an exit", "无可用路线通往出口的人员"), "count"),
        KPI("max_queue", "persons", text("Longest queue", "最长排队人数"),
            text("Longest queue waiting to enter any door, stair flight, landing or lift lobby, or held up in single file",
                 "在任一门、梯段、楼梯平台或电梯厅前等待进入，或在单列通行中受阻的最长队列"), "count"),
        KPI("total_queue_s", "person·s", text("Total queueing time", "累计排队时间"),
            text("Time spent waiting to enter an element, summed over occupants", "所有人员等待进入各通行单元的时间之和"),
            "exposure"),
        KPI("min_margin_s", "s", text("Safety margin ASET − RSET", "安全裕度 ASET − RSET"),
            text("Least ASET − RSET margin over the spaces that have an ASET (available safe egress time)",
                 "在设有可用安全疏散时间（ASET）的空间中，ASET − RSET 的最小值"), "margin", "higher",
            Target(">=", 0.0, "every", _ASET_RULE)),
        KPI("max_floor_clearance_s", "s", text("Longest floor clearance", "最长楼层清空时间"),
            text("Longest time for a floor's occupants to leave it", "某一楼层人员全部离开该层所需的最长时间"), "duration"),
        KPI("smoke_exposure_s", "person·s", text("Smoke exposure", "烟气暴露时间"),
            text("Time spent in smoke-logged or untenable spaces, summed over occupants",
                 "人员在烟气充斥或不可承受空间中停留时间之和"), "exposure"),
        KPI("lift_evacuated", "persons", text("Evacuated by lift", "电梯疏散人数"),
            text("Occupants carried out by lift", "由电梯运送离开的人员"), "count", None),
        KPI("stayed_put", "persons", text("Stayed put", "原地避难人数"),
            text("Occupants never alarmed (stay-put floors)", "未收到报警的人员（原地避难楼层）"), "count", None),
    ),
    run=run,
    charts=(
        Chart(text("Cumulative evacuees per exit", "各出口累计疏散人数"), "exit_flow", "step", x="time_s",
              y="cumulative", group="exit", x_label=text("time (s)", "时间（秒）"), y_label=text("persons out", "已疏散人数")),
        Chart(text("Clearance time per floor", "各楼层清空时间"), "floors", "bar", x="floor", y="clearance_s",
              x_label=text("floor", "楼层"), y_label=text("clearance (s)", "清空时间（秒）")),
        Chart(text("Congestion hot spots", "拥堵热点"), "hot_spots", "bar", x="element", y="congested_s",
              x_label=text("door, stair flight or single-file passage", "门、梯段或单列通道"),
              y_label=text("time with a queue (s)", "有排队的时间（秒）")),
        Chart(text("Evacuation times", "疏散时间分布"), "occupants", "hist", x="arrival_s",
              x_label=text("time out (s)", "疏散完成时刻（秒）")),
    ),
    check=check,
    from_live=from_live,
    cost=cost,
    max_horizon_s=MAX_HORIZON_S,
    advise=advise,
    review=review,
))
