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
  follows from conservation at the gates. A corridor's own capacity counts only where it is
  narrower than ``passing_width_m`` (see single file).
* **Holding capacity and spill-back.** Each space holds at most ``area × max density`` people
  (``space_max_density_ppm2``, ``stair_max_density_ppm2`` for stair landings, whose area includes
  the flight leading to them — the flight above in a tower, the one below for a basement stair).
  A person passes a gate only when the space beyond has room; otherwise they wait at the gate,
  so queues spill back upstream (into the corridor, onto the floor).
* **Merging.** A stair landing is entered from the flight above and from the floor door. When it
  is full, freed places go to the waiting gates in turn (round robin), so a floor's flow and the
  flow from above share the stair about half and half, as observed in drills; the flight below
  serves the landing's people first come, first served.
* **Single file.** In a space or stair narrower than ``passing_width_m`` (effective width) people
  cannot overtake: they reach the next door in the order they entered, no closer than one
  person per ``1/(Fsm·We)`` seconds. Wider spaces let faster people overtake freely.
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

Results per replication: KPIs (RSET, mean and 95th percentile evacuation time, evacuated share,
trapped, maximum queue, total queueing time, the least ASET − RSET margin…), and the tables
``occupants`` (one row per person), ``exit_flow`` (cumulative curve per exit), ``floors``
(clearance time: when the last of the floor's own occupants left it; ASET margin: a space's
ASET less the time the last person left that space), ``elements`` (every door, stair flight
and lift: maximum queue, congested time, people passed), ``hot_spots`` (the most congested),
``lift_trips`` and, when ``trace`` is on, ``trace`` (every movement event).
"""

from __future__ import annotations

import math
import weakref
from collections import deque
from typing import Annotated, Any, Literal, Union

import networkx as nx
import numpy as np
import simpy
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from models.harness import KPI, Chart, ModelContext, ModelSpec, ReplicationCost, ReplicationResult, register
from models.live import LiveConditions, occupancy_for_time
from models.occupants import OccupantGroup, PreMovement, presence_fraction, resolve_population, sample_population
from models.theory import SFPE_A, SFPE_K_CORRIDOR, sfpe_max_specific_flow, sfpe_stair_k
from twin.graph import exit_distances
from twin.spec import SPACE_KINDS, Building, Id

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
    "lift_travel_s",
    "Evacuation",
    "JAM_DENSITY_PPM2",
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

_Time = Annotated[float, Field(ge=0, le=MAX_HORIZON_S, allow_inf_nan=False)]
_Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


# --- Parameters -------------------------------------------------------------------------------

class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at_s: _Time


class SmokeEvent(_Event):
    """Smoke reaches a space: walking there slows by ``speed_factor`` and time there counts as exposure."""

    type: Literal["smoke"]
    space: Id
    speed_factor: Annotated[float, Field(gt=0, le=1)] = 0.7


class UntenableEvent(_Event):
    """A space becomes untenable: nobody enters it any more; those inside leave (exposed)."""

    type: Literal["untenable"]
    space: Id


class BlockedEvent(_Event):
    """A door or a space is blocked (by fire, debris, a locked door): nobody passes it any more."""

    type: Literal["blocked"]
    space: Id | None = None
    door: Id | None = None

    @model_validator(mode="after")
    def _one_target(self) -> "BlockedEvent":
        if (self.space is None) == (self.door is None):
            raise ValueError("a 'blocked' event names exactly one of 'space' or 'door'")
        return self


class ClosedEvent(_Event):
    """A whole stair or a final exit is closed (smoke-logged, used by firefighters, locked)."""

    type: Literal["closed"]
    stair: Id | None = None
    exit: Id | None = None

    @model_validator(mode="after")
    def _one_target(self) -> "ClosedEvent":
        if (self.stair is None) == (self.exit is None):
            raise ValueError("a 'closed' event names exactly one of 'stair' or 'exit'")
        return self


class PowerLossEvent(_Event):
    """Mains power fails: lifts stop where they are (fire-service cars run on if ``backup_power``)."""

    type: Literal["power_loss"]


TimelineEvent = Annotated[Union[SmokeEvent, UntenableEvent, BlockedEvent, ClosedEvent, PowerLossEvent],
                          Field(discriminator="type")]


class LiftEvacuation(BaseModel):
    """Evacuation by lift: who rides, which cars serve, and how long boarding takes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    cars: Literal["fire_service", "all"] = "fire_service"
    share_of_others: _Share = 0.0
    """Share of the occupants who can use stairs but choose the lift."""
    boarding_s: Annotated[float, Field(gt=0, le=60)] = 2.0
    """Time per place to board (and again to alight)."""
    backup_power: bool = False
    """Fire-service cars keep running after a power loss (secondary supply)."""
    out_of_service: tuple[Id, ...] = ()
    """Cars that do not serve the evacuation (under maintenance, faulty, trapped); a run from the
    live twin adds the cars the twin reports out of service."""


class EvacuationParams(BaseModel):
    """What a fire evacuation scenario sets: who is in, how they react and move, and what happens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Who is in the building.
    occupancy: Literal["design", "night_residential", "weekday", "weekend"] | dict[str, _Share] = "design"
    """An occupancy profile (share of each space's design load present, drawn per space) or shares by
    space kind; kinds not listed take the ``default`` share (0 when there is none)."""
    occupant_counts: dict[Id, Annotated[int, Field(ge=0, le=MAX_SPACE_OCCUPANTS)]] = Field(default_factory=dict)
    """Occupants of given spaces, replacing the building file's loads."""
    population: str | dict[str, Annotated[float, Field(ge=0, allow_inf_nan=False)]] = "residential"
    """A named population mix (``adults``, ``office``, ``residential``, ``sfpe``) or shares by group."""
    groups: dict[Id, OccupantGroup] = Field(default_factory=dict)
    """Occupant groups added to (or replacing) the built-in ones."""
    pre_movement: PreMovement = Field(default_factory=PreMovement)

    # How they are warned.
    alarm: Literal["simultaneous", "phased", "stay_put"] = "simultaneous"
    alarm_delay_s: _Time = 0.0
    fire_floor: Id | None = None
    phase_delay_s: _Time = 300.0
    phase_floors_above: Annotated[int, Field(ge=0, le=MAX_PHASE_FLOORS)] = 1
    phase_floors_below: Annotated[int, Field(ge=0, le=MAX_PHASE_FLOORS)] = 1
    alert_on_smoke: bool = True

    # Where they go.
    route_choice: Literal["shortest", "assigned", "congestion_aware"] = "shortest"
    assigned_exits: dict[Id, Id] = Field(default_factory=dict)
    """Exit by space id or floor id (a space's own entry wins)."""

    # What happens.
    events: list[TimelineEvent] = Field(default_factory=list)
    aset_s: dict[Id, Annotated[float, Field(gt=0, le=MAX_HORIZON_S, allow_inf_nan=False)]] = Field(default_factory=dict)
    """Available safe egress time by space, replacing the building file's."""
    lifts: LiftEvacuation = Field(default_factory=LiftEvacuation)

    # How crowds behave.
    space_max_density_ppm2: Annotated[float, Field(ge=1.0, lt=JAM_DENSITY_PPM2)] = 3.0
    stair_max_density_ppm2: Annotated[float, Field(ge=1.0, lt=JAM_DENSITY_PPM2)] = 1.9
    passing_width_m: Annotated[float, Field(ge=0, le=5)] = 1.0
    trace: bool | Literal["first"] = False
    """Record every movement event in a ``trace`` table (for small cases and playback); ``first``
    records it for the first replication only, which is all a 3D playback needs."""

    @model_validator(mode="after")
    def _consistent(self) -> "EvacuationParams":
        if self.alarm in ("phased", "stay_put") and self.fire_floor is None:
            raise ValueError(f"alarm '{self.alarm}' needs 'fire_floor'")
        if self.route_choice == "assigned" and not self.assigned_exits:
            raise ValueError("route_choice 'assigned' needs 'assigned_exits'")
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


# --- Lift kinematics ------------------------------------------------------------------------------

def lift_travel_s(distance_m: float, speed_mps: float, acceleration_mps2: float, jerk_mps3: float) -> float:
    """Flight time of a lift car over ``distance_m`` with a jerk-limited S-curve profile.

    A trip long enough to reach rated speed ``v`` takes ``d/v + v/a + a/j`` (CIBSE Guide D); a
    shorter one peaks at the speed ``vp`` for which ``d = vp·(vp/a + a/j)`` and takes
    ``d/vp + vp/a + a/j``.
    """
    if distance_m <= 0:
        return 0.0
    a, j = acceleration_mps2, jerk_mps3
    if distance_m >= speed_mps * (speed_mps / a + a / j):
        peak = speed_mps
    else:
        # vp²/a + vp·a/j − d = 0
        peak = (-(a / j) + math.sqrt((a / j) ** 2 + 4 * distance_m / a)) * a / 2
    return distance_m / peak + peak / a + a / j


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
                    self.el_width_eff[landing] = we
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


class _Tree:
    """A shortest-route tree toward a set of target elements under one set of blocked gates/elements."""

    __slots__ = ("dist", "next", "gate_ok", "elem_ok", "_ahead", "_net")

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
            reverse = csr_matrix((cost, (dst, src)), shape=(n_states, n_states))
            dist = dijkstra(reverse, directed=True, indices=target_states, min_only=True)
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
        self.next = nxt.tolist()
        self.gate_ok = gate_ok.tolist()
        self.elem_ok = elem_ok.tolist()
        self._ahead: dict[int, tuple[int, ...]] = {}
        self._net = net

    def gates_ahead(self, state: int, limit: int = 8) -> tuple[int, ...]:
        """The first ``limit`` gates on the shortest route onward from ``state``."""
        ahead = self._ahead.get(state)
        if ahead is None:
            gates, s, net = [], state, self._net
            while len(gates) < limit:
                t = self.next[s]
                if t < 0:
                    break
                gates.append(net.tr_gate[t])
                s = net.tr_dst[t]
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
                 "headway_s", "last_arrival")

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
        we = net.el_width_eff[idx]
        self.single_file = we is not None and 0 < we < params.passing_width_m
        self.headway_s = 1.0 / (sfpe_max_specific_flow(net.el_k[idx]) * we) if self.single_file else 0.0
        self.last_arrival: dict[int, float] = {}


class _Gate:
    """A door, exit door or stair flight during a run: a FIFO token-rate gate with a queue monitor."""

    __slots__ = ("idx", "id", "edge_id", "kind", "length_m", "headway_s", "is_stair", "lower", "floor",
                 "next_free_s", "queue", "admitted", "registered_on", "blocked", "committed",
                 "passed", "max_queue", "congested_s", "queue_area", "last_t", "queued_s")

    def __init__(self, net: _Network, idx: int):
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


class _Occupant:
    """One person: who they are (group, speeds), where they are, and what happened to them."""

    __slots__ = ("idx", "space", "floor", "floor_idx", "group", "h_mps", "down_mps", "up_mps", "uses_stairs",
                 "lift_places", "lift_user", "pre_movement_s", "alarm_s", "start_s", "left_floor_s", "arrival_s",
                 "exit", "queued_s", "smoke_s", "trapped_at", "trapped_s", "element", "entered_s", "via", "x", "y",
                 "route", "wake", "target", "plan", "travel_m", "call_s", "boarded")

    def __init__(self, idx: int):
        self.idx = idx
        self.alarm_s = self.start_s = self.left_floor_s = self.arrival_s = self.trapped_s = math.nan
        self.exit = self.trapped_at = None
        self.queued_s = self.smoke_s = self.travel_m = 0.0
        self.via = None
        self.wake = None
        self.target = None
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
    """One replication: occupants as SimPy processes moving over the network, with the alarm panel,
    the fire timeline and the lift cars as processes of their own."""

    def __init__(self, ctx: ModelContext):
        self.env = ctx.env
        self.rng = ctx.rng
        self.building = ctx.building
        self.params: EvacuationParams = ctx.params  # type: ignore[assignment]
        self.horizon_s = ctx.horizon_s
        self.net = _network(ctx.building, ctx.graph)
        net = self.net
        self.elements = [_Element(net, i, self.params) for i in range(len(net.element_ids))]
        self.gates = [_Gate(net, i) for i in range(len(net.gate_key))]
        self.blocked_gates: set[int] = {g.idx for g in self.gates if g.blocked}
        self.blocked_elements: set[int] = set()
        self.version = 0
        self._tree_cache: dict[tuple, _Tree] = {}
        self.congestion_aware = self.params.route_choice == "congestion_aware"
        tracing = self.params.trace is True or (self.params.trace == "first" and ctx.replication == 0)
        self.trace_rows: list[dict] | None = [] if tracing else None
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
        mix = resolve_population(p.population, p.groups)
        drawn = sample_population(rng, mix, total)
        origin = np.repeat([e for e, _ in counts], [n for _, n in counts]).astype(int) if total else np.zeros(0, int)
        # Pre-movement: one vector draw per distinct distribution, in order of first use.
        pre = np.zeros(total)
        by_dist: dict[int, tuple[Any, list[int]]] = {}
        for i, e in enumerate(origin):
            dist = p.pre_movement.for_location(net.el_floor[e], net.el_kind[e])
            by_dist.setdefault(id(dist), (dist, []))[1].append(i)
        for dist, members in by_dist.values():
            pre[members] = dist.sample(rng, len(members))
        xs, ys = self._start_positions(origin)
        share = p.lifts.share_of_others
        chooses_lift = rng.random(total) < share if share > 0 else np.zeros(total, bool)
        people = []
        for i in range(total):
            o = _Occupant(i)
            e = self.elements[int(origin[i])]
            name, group, _ = mix[int(drawn["group"][i])]
            o.space, o.floor, o.floor_idx, o.group = e.id, e.floor, self.floor_pos[e.floor], name
            o.h_mps = float(drawn["horizontal_mps"][i])
            o.down_mps = float(drawn["stair_down_mps"][i])
            o.up_mps = float(drawn["stair_up_mps"][i])
            o.uses_stairs = group.uses_stairs
            o.lift_places = group.lift_places
            o.lift_user = bool(self.banks) and (not group.uses_stairs or bool(chooses_lift[i]))
            o.pre_movement_s = float(pre[i])
            o.element, o.entered_s = e, 0.0
            o.x, o.y = float(xs[i]), float(ys[i])
            o.route = [e.id]
            o.plan = self._initial_plan(o)
            e.count += 1
            people.append(o)
        return people

    def _start_positions(self, origin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A start point per occupant, uniform in their space's rectangle (its centroid for polygons)."""
        xs, ys = np.zeros(len(origin)), np.zeros(len(origin))
        u = self.rng.random((len(origin), 2))
        for i, e in enumerate(origin):
            space = self.building.space_by_id[self.net.element_ids[e]]
            if space.rect is not None:
                r = space.rect
                xs[i], ys[i] = r.x_m + u[i, 0] * r.width_m, r.y_m + u[i, 1] * r.depth_m
            else:
                xs[i], ys[i] = space.centroid
        return xs, ys

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
        key = (plan, self.version)
        tree = self._tree_cache.get(key)
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
            self._tree_cache[key] = tree
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
            t = tree.next[state]
            if t < 0:
                return None
            return net.tr_gate[t], net.tr_dst[t], net.tr_walk[t], net.tr_px[t], net.tr_py[t]
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

    def _moving_s(self, o: _Occupant, elem: _Element, walk_m: float, next_gate: int) -> float:
        """Time to cross the gate just passed (if any) and walk ``walk_m`` in ``elem`` to the next gate,
        at the occupant's free speed scaled by the density met on entry (and by smoke)."""
        now = self.env.now
        density = elem.count / elem.area_m2 if elem.area_m2 > 0 else 0.0
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
            t += via.length_m / (speed * factor)
            o.travel_m += via.length_m
            o.via = None
        o.travel_m += walk_m
        if elem.single_file:
            arrive = max(now + t, elem.last_arrival.get(next_gate, -math.inf) + elem.headway_s)
            elem.last_arrival[next_gate] = arrive
            t = arrive - now
        return t

    def evacuating(self, o: _Occupant):
        """An occupant: waits for their floor's alarm, spends the pre-movement time, then walks gate
        by gate to a final exit — waiting at a door or stair while it is busy or the space beyond is
        full, turning elsewhere when the way is blocked, riding a lift from a lobby if they use lifts
        — until they are out, or trapped with no way left."""
        env = self.env
        yield self.floor_alarm[o.floor_idx]
        o.alarm_s = float(env.now)
        if o.pre_movement_s > 0:
            yield env.timeout(o.pre_movement_s)
        o.start_s = float(env.now)
        self._log(o, "start", o.element.id)
        state = None
        if self._waits_for_lift(o):
            state = yield from self._riding(o)
            if state is _STUCK:
                return
        while True:
            hop = self._next_hop(o, state)
            if hop is None:
                self._trap(o)
                return
            gi, beyond, walk_m, px, py = hop
            gate, target = self.gates[gi], self.elements[self.net.state_elem[beyond]]
            gate.committed += 1
            yield env.timeout(self._moving_s(o, o.element, walk_m, gi))
            arrived = env.now
            o.x, o.y = px, py
            self._log(o, "at_gate", gate.id)
            if gate.blocked or target.blocked:
                gate.committed -= 1
                state = None
                continue
            if gate.queue or gate.admitted is not None or target.count >= target.capacity:
                o.target = target
                self._enqueue(gate, o)
                t_pass = yield o.wake
                if t_pass is _REROUTE:
                    gate.committed -= 1
                    o.queued_s += env.now - arrived
                    state = None
                    continue
            else:
                target.count += 1
                gate.admitted = o
                t_pass = gate.next_free_s if gate.next_free_s > arrived else arrived
            if t_pass > env.now:
                yield env.timeout(t_pass - env.now)
            waited = env.now - arrived
            o.queued_s += waited
            gate.queued_s += waited
            if gate.blocked or target.blocked:
                # Closed while this occupant waited for the headway: give the place back, turn away.
                self._withdraw(o, gate, target)
                state = None
                continue
            self._pass(o, gate, target, beyond)
            if target.is_exit:
                self._arrive(o, gate, target)
                return
            state = beyond
            if self._waits_for_lift(o):
                state = yield from self._riding(o)
                if state is _STUCK:
                    return

    def _enqueue(self, gate: _Gate, o: _Occupant) -> None:
        self._tick_queue(gate)
        gate.queue.append(o)
        if len(gate.queue) > gate.max_queue:
            gate.max_queue = len(gate.queue)
        o.wake = self.env.event()
        if gate.admitted is None:
            self._admit_next(gate)

    def _tick_queue(self, gate: _Gate) -> None:
        now = self.env.now
        if gate.queue:
            dt = now - gate.last_t
            gate.congested_s += dt
            gate.queue_area += dt * len(gate.queue)
        gate.last_t = now

    def _admit_next(self, gate: _Gate) -> None:
        """Let the head of a gate's queue through when the gate is free and the space beyond has
        room; otherwise wait on that space (it calls back when someone leaves it)."""
        while gate.queue and gate.admitted is None:
            o = gate.queue[0]
            target = o.target
            if gate.blocked or target.blocked:
                self._tick_queue(gate)
                gate.queue.popleft()
                o.wake.succeed(_REROUTE)
                continue
            if target.count >= target.capacity:
                if gate.registered_on is not target:
                    gate.registered_on = target
                    target.waiting_gates.append(gate)
                return
            self._tick_queue(gate)
            gate.queue.popleft()
            target.count += 1
            gate.admitted = o
            now = self.env.now
            o.wake.succeed(gate.next_free_s if gate.next_free_s > now else now)

    def _make_room(self, elem: _Element) -> None:
        """Someone left ``elem``: hand its free places to the gates waiting on it, in turn."""
        waiting = elem.waiting_gates
        while waiting and elem.count < elem.capacity:
            gate = waiting.popleft()
            if gate.registered_on is not elem:
                continue  # a stale entry: the gate now waits elsewhere
            gate.registered_on = None
            self._admit_next(gate)

    def _pass(self, o: _Occupant, gate: _Gate, target: _Element, beyond: int) -> None:
        """The occupant goes through ``gate`` into ``target`` now."""
        now = self.env.now
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
        self._log(o, "pass", gate.id)
        if here.waiting_gates:
            self._make_room(here)
        if gate.queue:
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

    def _riding(self, o: _Occupant):
        """Wait in the lift lobby for a car and ride to the discharge floor. Returns the state to
        walk on from (``None``: a point in the discharge lobby — or, when the lifts stopped before
        this occupant boarded, in the lobby they waited in), or ``_STUCK`` when stuck in a car."""
        env = self.env
        while True:
            bank = next((b for b in self.banks if b.in_service and o.element.idx in b.calls), None)
            if bank is None:
                break
            o.wake = env.event()
            o.call_s = env.now
            self._tick_bank(bank)
            bank.calls[o.element.idx].append(o)
            bank.waiting += 1
            bank.max_waiting = max(bank.max_waiting, bank.waiting)
            self._log(o, "call", bank.id)
            if bank.bell is not None and not bank.bell.triggered:
                bank.bell.succeed()
            outcome = yield o.wake
            if outcome is _ALIGHTED:
                o.x, o.y = self.net.el_pos[o.element.idx][:2]
                o.plan = _LEVEL_EXIT if not o.uses_stairs else _WALK
                return None
            if outcome is _STUCK:
                self._trap(o, where=o.trapped_at)
                return _STUCK
            # The car that was coming stopped: call again if another car still serves the lobby.
        o.plan = _WALK if o.uses_stairs else _LEVEL_EXIT
        return None

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
                    o.wake.succeed(_ALIGHTED)
                bank.carried += len(riders)
                self.lift_trips.append({"group": bank.id, "car": car.id, "lobby": lobby_el.id,
                                        "depart_s": depart_s, "arrive_s": env.now, "persons": len(riders)})
                riders = []
                yield env.timeout(car.door_close_s)
        except simpy.Interrupt:
            for o in riders:
                if o.boarded:
                    o.trapped_at = car.id  # stuck in the car between floors
                o.wake.succeed(_STUCK if o.boarded else _REROUTE)

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
        self.version += 1
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
                    o.wake.succeed(_REROUTE)
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
                        o.wake.succeed(_REROUTE)

    # --- running and results ------------------------------------------------------------------

    def run(self) -> ReplicationResult:
        env = self.env
        for o in self.occupants:
            env.process(self.evacuating(o))
        for bank in self.banks:
            bank.processes = [env.process(self.shuttling(bank, car)) for car in bank.cars]
        env.process(self.sounding_alarms())
        if self.params.events:
            env.process(self.unfolding())
        if math.isfinite(self.horizon_s):
            env.run(until=self.horizon_s)
        else:
            env.run()
        # Close the queue monitors (queues still standing at the horizon count up to it).
        for gate in self.gates:
            self._tick_queue(gate)
        for bank in self.banks:
            self._tick_bank(bank)
        return ReplicationResult(kpis=self._kpis(), records=self._records())

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
        aset = self._aset()
        rows = []
        for fi, floor in enumerate(self.floor_ids):
            people = [o for o in self.occupants if o.floor_idx == fi]
            spaces = [s for s in aset if self.building.space_by_id[s].floor == floor]
            if not people and not spaces:
                continue
            moved = [o for o in people if o.alarm_s == o.alarm_s]
            left = [o.left_floor_s for o in moved]
            cleared = bool(moved) and all(t == t for t in left)
            clearance = max(left) if cleared else math.nan
            margins = []
            for sid in spaces:
                el = self.elements[self.net.element_index[sid]]
                if el.last_left_s == el.last_left_s:
                    margins.append(aset[sid] - el.last_left_s)
            rows.append({
                "floor": floor, "occupants": len(people), "alarm_s": self.floor_alarm_s[fi],
                "clearance_s": clearance,
                "trapped": sum(1 for o in people if o.trapped_s == o.trapped_s),
                "aset_s": min((aset[s] for s in spaces), default=math.nan),
                "margin_s": min(margins, default=math.nan),
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
        elements = self._element_rows()
        congested = (r for r in elements if r["congested_s"] > 0)
        hot = sorted(congested, key=lambda r: (-r["congested_s"], r["element"]))[:12]
        records = {
            "occupants": self._occupant_rows(),
            "exit_flow": exit_flow,
            "floors": self._floor_rows(),
            "elements": elements,
            "hot_spots": [{k: r[k] for k in ("element", "kind", "floor", "congested_s", "max_queue", "queued_s")}
                          for r in hot],
            "lift_trips": self.lift_trips,
        }
        if self.trace_rows is not None:
            records["trace"] = self.trace_rows
        return records

    def _kpis(self) -> dict[str, float]:
        people = self.occupants
        arrivals = np.array([o.arrival_s for o in people if o.arrival_s == o.arrival_s])
        alarmed = [o for o in people if o.alarm_s == o.alarm_s]
        gates_max = max((g.max_queue for g in self.gates), default=0)
        lifts_max = max((b.max_waiting for b in self.banks), default=0)
        floors = self._floor_rows()
        margins = [r["margin_s"] for r in floors if r["margin_s"] == r["margin_s"]]
        clearances = [r["clearance_s"] for r in floors if r["clearance_s"] == r["clearance_s"]]
        return {
            "occupants": float(len(people)),
            "rset_s": float(arrivals.max()) if arrivals.size else math.nan,
            "mean_evacuation_s": float(arrivals.mean()) if arrivals.size else math.nan,
            "p95_evacuation_s": float(np.percentile(arrivals, 95)) if arrivals.size else math.nan,
            "evacuated_share": arrivals.size / len(alarmed) if alarmed else math.nan,
            "trapped": float(sum(1 for o in people if o.trapped_s == o.trapped_s)),
            "max_queue": float(max(gates_max, lifts_max)),
            "total_queue_s": float(sum(o.queued_s for o in people)),
            "min_margin_s": min(margins) if margins else math.nan,
            "max_floor_clearance_s": max(clearances) if clearances else math.nan,
            "smoke_exposure_s": float(sum(o.smoke_s for o in people)),
            "lift_evacuated": float(sum(b.carried for b in self.banks)),
            "stayed_put": float(len(people) - len(alarmed)),
        }


# --- What a run costs, and what it can tell ------------------------------------------------------

EVENTS_PER_OCCUPANT = 6.0
EVENTS_PER_OCCUPANT_FLOOR = 1.5
"""SimPy events per occupant: a few to start and arrive, and about 1.5 per floor of the building
(stair flights and landings); measured on the sample tower (41 per occupant over 30 floors) and
podium (9 over 5 floors)."""


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


def advise(params: EvacuationParams, horizon_s: float, building: Building | None) -> list[str]:
    """Warnings for parameters that leave the run with little to say: an alarm that sounds only at
    or after the horizon, a phase that never comes, pre-movement longer than the time left."""
    warnings: list[str] = []
    if params.alarm_delay_s >= horizon_s:
        smoke = " (only smoke events may alert anyone)" if params.alert_on_smoke and any(
            isinstance(ev, (SmokeEvent, UntenableEvent)) and ev.at_s < horizon_s for ev in params.events) else ""
        warnings.append(f"nobody is alerted before the horizon: alarm_delay_s {params.alarm_delay_s:g} s is not "
                        f"before horizon_s {horizon_s:g} s{smoke}")
        return warnings
    if params.alarm == "phased" and params.alarm_delay_s + params.phase_delay_s >= horizon_s:
        warnings.append(f"floors outside the fire zone are not alerted before the horizon: alarm_delay_s + "
                        f"phase_delay_s = {params.alarm_delay_s + params.phase_delay_s:g} s, horizon_s "
                        f"{horizon_s:g} s")
    try:
        pre_mean = params.pre_movement.default.mean
    except (OverflowError, ValueError):
        pre_mean = math.inf
    if params.alarm_delay_s + pre_mean >= horizon_s:
        warnings.append(f"most occupants do not start moving before the horizon: alarm at "
                        f"{params.alarm_delay_s:g} s + mean pre-movement {pre_mean:g} s ≥ horizon_s {horizon_s:g} s")
    return warnings


def review(kpis: list[dict[str, float]]) -> dict[str, str]:
    """Findings on what a sweep point's replications show as a whole: a run in which nobody moves is
    said to be one (``nobody_moved``), rather than shown as 0 evacuated and 0 trapped."""
    if not kpis:
        return {}

    def every(test) -> bool:
        return all(test(k) for k in kpis)

    if every(lambda k: not k.get("occupants")):
        return {"nobody_moved": "nobody moved: nobody is in the building (0 occupants in every replication)"}
    if every(lambda k: k.get("occupants", 0) - k.get("stayed_put", 0) <= 0):
        return {"nobody_moved": "nobody moved: nobody was alerted before the horizon in any replication"}
    if every(lambda k: not (k.get("rset_s") == k.get("rset_s"))):  # no arrival at all (NaN)
        return {"nobody_arrived": "nobody reached a final exit before the horizon in any replication"}
    return {}


def run(ctx: ModelContext) -> ReplicationResult:
    """One replication of the evacuation model."""
    return Evacuation(ctx).run()


def from_live(params: EvacuationParams, cond: LiveConditions, building: Building) -> tuple[EvacuationParams, list[str]]:
    """The evacuation as it would unfold from the building's live state (see :mod:`models.live`).

    * lift cars the twin reports out of service do not serve the evacuation (always applied);
    * mains lost: power fails at 0 s, stopping every lift not on a generator in service (the
      fire-service cars keep running when a generator in service feeds them all);
    * a fire alarm in a zone: its floor becomes the fire floor unless the scenario names one, and
      the alarm has sounded — the alarm delay is 0 s, the forecast starts at the alarm;
    * the occupancy profile follows the local time (night, weekday, weekend) unless the scenario
      sets its own occupancy or occupant counts.
    """
    notes: list[str] = []
    data = params.model_dump(mode="python")
    explicit = params.model_fields_set
    if cond.lifts_out:
        cars = [c for c in cond.lifts_out if c in building.car_by_id]
        merged = tuple(dict.fromkeys([*params.lifts.out_of_service, *cars]))
        data["lifts"] = {**data["lifts"], "out_of_service": merged}
        fs = [c for c in cars if building.car_by_id[c].fire_service]
        notes.append("lift cars out of service, not used for evacuation: "
                     + ", ".join(f"{c} ({cond.reasons.get(c, 'out of service')})" for c in cars)
                     + (f" — {len(fs)} of them fire-service" if fs else ""))
    if cond.mains_lost:
        if not any(ev.type == "power_loss" and ev.at_s == 0 for ev in params.events):
            data["events"] = [*data["events"], {"type": "power_loss", "at_s": 0.0}]
        fire_cars = [c.id for g in building.elevators for c in g.cars if c.fire_service]
        on_backup = bool(fire_cars) and all(c in cond.backup_fed for c in fire_cars)
        if on_backup and not params.lifts.backup_power:
            data["lifts"] = {**data["lifts"], "backup_power": True}
        notes.append("mains lost (" + ", ".join(cond.supplies_out) + " out of service): power loss at 0 s; "
                     + ("the fire-service cars run on a generator in service" if on_backup or params.lifts.backup_power
                        else "no generator in service feeds the fire-service cars"))
    elif cond.supplies_out:
        notes.append("power equipment out of service: " + ", ".join(cond.supplies_out)
                     + " (the lifts it feeds report their own state)")
    if cond.fire_floor is not None:
        if "fire_floor" in explicit and params.fire_floor not in (None, cond.fire_floor):
            notes.append(f"fire floor {params.fire_floor} kept from the scenario; the live fire alarm is on "
                         f"{', '.join(cond.fire_floors)}")
        else:
            data["fire_floor"] = cond.fire_floor
            age = cond.alarm_age_s(cond.fire_floor)
            notes.append(f"fire floor {cond.fire_floor} from the live fire alarm"
                         + (f", raised {age:.0f} s before the snapshot" if age is not None and age >= 1 else ""))
        if params.alarm_delay_s != 0:
            notes.append(f"the fire alarm has sounded: alarm delay {params.alarm_delay_s:g} s → 0 s")
        data["alarm_delay_s"] = 0.0
    else:
        notes.append("no fire alarm in the live twin: the scenario's fire floor and alarm apply")
    if "occupancy" in explicit or "occupant_counts" in explicit:
        notes.append("occupancy kept from the scenario")
    else:
        profile = occupancy_for_time(building, cond.taken_at)
        if profile is not None:
            data["occupancy"] = profile
            notes.append(f"occupancy profile {profile!r} for {cond.taken_at:%A %H:%M} at the building")
    adjusted = EvacuationParams.model_validate(data)
    return adjusted, notes


SPEC = register(ModelSpec(
    name="evacuation",
    title="Fire evacuation",
    description="Fire evacuation and emergency drills over the floor graph: occupants as SimPy processes moving "
                "by the SFPE hydraulic relations through doors and stairs with flow and holding capacities, "
                "alarm strategies, smoke and blockage timelines, re-routing and fire-service lifts.",
    params=EvacuationParams,
    kpis=(
        KPI("occupants", "persons", "Occupants in the building when the scenario starts", None),
        KPI("rset_s", "s", "Required safe egress time: when the last evacuee reaches a final exit"),
        KPI("mean_evacuation_s", "s", "Mean time at which evacuees reach a final exit"),
        KPI("p95_evacuation_s", "s", "95th percentile of the times evacuees reach a final exit"),
        KPI("evacuated_share", "share", "Share of the alarmed occupants who reached a final exit", "higher"),
        KPI("trapped", "persons", "Occupants left with no route to an exit"),
        KPI("max_queue", "persons", "Longest queue at any door, stair flight or lift lobby"),
        KPI("total_queue_s", "person·s", "Time spent queueing, summed over occupants"),
        KPI("min_margin_s", "s", "Least ASET − RSET margin over the spaces that have an ASET", "higher"),
        KPI("max_floor_clearance_s", "s", "Longest time for a floor's occupants to leave it"),
        KPI("smoke_exposure_s", "person·s", "Time spent in smoke-logged or untenable spaces, summed"),
        KPI("lift_evacuated", "persons", "Occupants carried out by lift", None),
        KPI("stayed_put", "persons", "Occupants never alarmed (stay-put floors)", None),
    ),
    run=run,
    charts=(
        Chart("Cumulative evacuees per exit", "exit_flow", "step", x="time_s", y="cumulative", group="exit",
              x_label="time (s)", y_label="persons out"),
        Chart("Clearance time per floor", "floors", "bar", x="floor", y="clearance_s", x_label="floor",
              y_label="clearance (s)"),
        Chart("Congestion hot spots", "hot_spots", "bar", x="element", y="congested_s", x_label="door / stair flight",
              y_label="time with a queue (s)"),
        Chart("Evacuation times", "occupants", "hist", x="arrival_s", x_label="time out (s)"),
    ),
    check=check,
    from_live=from_live,
    cost=cost,
    max_horizon_s=MAX_HORIZON_S,
    advise=advise,
    review=review,
))
