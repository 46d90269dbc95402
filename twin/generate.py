"""Generating realistic buildings from a few numbers.

A property team rarely has a drawn-up building file when it starts; it has a few numbers: how many
storeys, how many apartments a floor, how many entrance cores, lifts and basement levels. This module
turns those numbers into a complete building specification (the plain, YAML-ready dictionary that
:func:`twin.loader.parse_building` accepts) laid out the way such buildings are designed in practice
(Chinese codes GB 50016 fire protection, GB 50974 fire water, GB 50015 plumbing, JGJ 242 residential
electrics, GB 50067 car parks, GB 51251 smoke control), so that the models have a building worth
simulating.

Two kinds are generated:

**Residential tower** (:func:`residential_tower`) — a slab block of one or more entrance cores
(单元) side by side. Every storey of a core is a double-loaded corridor 1.75 m wide with apartments
10.5 m deep on both sides: the larger south-facing units on one side, smaller north units on the
other either side of the core (about 88 m² on average). The core holds two pressurised stairs
(enclosures 2.75 × 6 m, 1.2 m clear flights, 175 mm risers, 260 mm treads) and a lift lobby (3 m
wide, also the fire-fighting lobby) with the cars' shafts (2.5 × 2.5 m) on either side. Cars carry
13 persons / 1000 kg at a speed chosen from the travel (2.5 m/s for a 30-storey tower); one car per
core is the fire-service lift. The ground floor (4.5 m) has an entrance lobby per core with a final exit, both stairs
discharging straight outside, a management office and the fire control room (with its own exit) in
the first core, residents' rooms, bicycle and refuse stores. Upper floors are 3.0 m. Buildings
taller than 100 m get refuge floors (no more than 50 m apart). Stairs and lifts run from the lowest
basement (3.9 m storeys) to the top. The basement is one car park under all cores (0.8 spaces per
apartment, 32 m² gross per space), split into zones joined by openings, each core reached through a
fire-door front room; along its north edge run the plant rooms: the substation (10 kV switchgear,
two cast-resin transformers, LV switchboards) and generator room in the top basement, the pump room
and water tank room in the lowest, a fan room on every level. Each apartment's occupants are drawn
(1 + Poisson) with a mean proportional to its area, averaging ``persons_per_unit_mean``.

**Mixed-use podium** (:func:`mixed_podium`) — a deep-plan block around a top-lit atrium that rises
through every storey. Retail floors (5.4 m ground, 5.0 m above) have shop units 12 m deep on the
north and south façades opening onto 4 m galleries that ring the atrium (restaurants on the upper
retail floor's north side); office floors (4.2 m) have tenancies in the same bands. Design occupant
loads follow the floor area: shops 3 m²/person on the ground floor, 3.5 above, restaurants 2.5,
offices 10, gallery circulation on retail floors 5 and the ground-floor atrium court 5. Four stairs
(1.8 m clear) stand at the corners of the two end blocks, each discharging straight outside; the
west block holds one lift group (passenger lifts plus a fire-service lift), the east block toilets,
an AHU room per floor and, on the ground floor, the management office and fire control room. Two
entrance halls and the four gallery ends are the mall's entrances. One to three basement levels
(4.2 m) hold the car park and the same plant rooms as the tower, plus a chiller room.

Both carry the equipment a real building has, in the ``equipment`` list, wired by ``feeds``
(electricity from power equipment and meters, water from meters and tanks) and ``serves`` (floors or
spaces):

- power: the utility's 10 kV supply metered at ``MTR-E-MAIN`` → ``SWG-HV-1`` → transformers
  ``TX-1``, ``TX-2`` (sized so each carries at most 80 % of its share of the estimated maximum
  demand) → LV switchboards ``SWG-LV-1``, ``SWG-LV-2`` → sub-meters by use (lifts, pumps, HVAC,
  lighting, each residential rising main or tenant distribution board) → loads; a standby diesel
  generator ``GEN-1`` and an automatic transfer switch ``ATS-1`` supply the life-safety loads (fire
  pumps, fire-service lifts, smoke-control fans, emergency lighting, the fire panel);
- water: ``MTR-W-MAIN`` → domestic and fire sub-meters → break tanks (domestic 25 % of a day's
  demand, fire tank for the hydrant and sprinkler design flows over their durations) → domestic
  booster sets (duty + standby per pressure zone of at most ~27 m, floors within 10 m of the street
  fed at mains pressure) and the fire pumps (hydrant and sprinkler, duty + standby, and a jockey
  pump); sump pumps in the lowest basement. Pump ratings come from flow × head with a 65–70 %
  efficiency, rounded up to a standard motor size;
- fire: the fire alarm panel ``FAP-1`` in the fire control room with one detection zone per floor
  listing that floor's spaces; stair pressurisation fans (GB 51251 airflows by height), car-park
  exhaust fans (6 air changes an hour, one per 4,000 m² compartment), atrium smoke exhaust;
- hvac: AHUs for the common areas (entrance lobbies; atrium, galleries and office floors); the
  apartments and shops have their own split units, not modelled; the podium's AHUs are cooled by
  two water-cooled chillers (COP 5.5, sized on the AHU coils at 0.8 diversity) with chilled and
  condenser water pumps and two cooling towers on the roof;
- lighting: a landlord lighting circuit per floor for its common areas (lighting power densities
  of GB 50034) and an emergency-lighting supply per stair;
- meters, access control and CCTV.

Elevator cars are in ``elevators`` (they are the elevator equipment; their ids are not repeated in
``equipment``). Every room is an axis-aligned rectangle on a 125 mm planning grid; rooms joined by a
door share a wall at least as wide as the door, so the floor graph places each door on that wall.
Everything is deterministic for a ``seed`` (a :class:`numpy.random.Generator`): occupants per
apartment, shop and office tenancy widths.

Ids follow one scheme: floors ``B2``, ``B1``, ``F01`` (ground), ``F02``…; spaces ``F03-C1-A05``
(floor, core, apartment), ``F03-C1-COR``, ``-STA``/``-STB`` (stair landings), ``-LL`` (lift lobby),
``F01-C1-LOB``; podium ``F02-SH03``, ``F01-GAL-S``, ``F01-ATR``, ``F01-ST-W1``; doors ``F03-D07``
(numbered per floor); stairs ``ST-C1-A`` / ``ST-W1``; lift groups ``LG-C1`` / ``LG-1`` with cars
``L-C1-4`` / ``L-5`` (the last car of a group is the fire-service lift); exits ``EX-C1-MAIN``.

Not modelled: scissor stairs (two separate stairs instead), transfer tanks of very tall towers (one
pump room serves every zone), vehicle ramps (not an escape route), and the upper-floor atrium is a
void (``void: true``) joined to its galleries by openings: smoke shares it, walking routes do not cross it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

__all__ = [
    "residential_tower",
    "mixed_podium",
    "building_yaml",
    "dump_building_yaml",
    "lift_speed_mps",
    "pump_motor_kw",
    "household_demand_factor",
]

# --- Standard sizes the ratings are rounded up to -------------------------------------------------

MOTOR_SIZES_KW = (0.37, 0.55, 0.75, 1.1, 1.5, 2.2, 3, 4, 5.5, 7.5, 11, 15, 18.5, 22, 30, 37, 45, 55, 75, 90,
                  110, 132, 160, 200, 250, 315)
TRANSFORMER_SIZES_KVA = (315, 400, 500, 630, 800, 1000, 1250, 1600, 2000, 2500)
GENERATOR_SIZES_KVA = (100, 150, 200, 250, 300, 400, 500, 640, 800, 1000, 1250, 1600, 2000, 2500)
BREAKER_SIZES_A = (63, 100, 160, 250, 400, 630, 800, 1000, 1250, 1600, 2000, 2500, 3200, 4000, 5000, 6300)

# Lighting power density of landlord areas, W/m² (GB 50034, rounded up for older fittings).
LIGHTING_W_PER_M2 = {
    "corridor": 3.5, "lobby": 6.0, "atrium": 8.0, "stair": 3.0, "lift_lobby": 4.0, "toilet": 5.0,
    "car_park": 2.0, "plant_room": 4.0, "storage": 3.0, "management_office": 8.0, "room": 6.0,
}
# Tenant electrical load, W/m² (own split air conditioning included).
TENANT_W_PER_M2 = {"shop": 100.0, "restaurant": 200.0, "office": 50.0}

G_MPS2 = 9.81
WATER_KG_M3 = 1000.0


def _next_size(value: float, sizes: Sequence[float]) -> float:
    """The smallest standard size at least ``value`` (the largest when none is)."""
    for size in sizes:
        if size >= value - 1e-9:
            return size
    return sizes[-1]


def _r(value: float, digits: int = 3) -> float | int:
    """A tidy number for the file: rounded, and an int when it is whole."""
    v = round(float(value), digits)
    if v == 0:
        return 0
    return int(v) if v == int(v) else v


def pump_motor_kw(flow_m3h: float, head_m: float, efficiency: float = 0.65) -> float:
    """Standard motor size for a pump: hydraulic power ρgQH / η with a 10 % service margin."""
    shaft_kw = WATER_KG_M3 * G_MPS2 * (flow_m3h / 3600.0) * head_m / efficiency / 1000.0
    return _next_size(shaft_kw * 1.1, MOTOR_SIZES_KW)


def lift_speed_mps(travel_m: float) -> float:
    """Rated car speed usual for a lift's travel (CIBSE Guide D rule of thumb: ~ a minute end to end)."""
    for limit_m, speed in ((20, 1.0), (35, 1.5), (60, 1.75), (80, 2.0), (120, 2.5), (180, 3.5)):
        if travel_m <= limit_m:
            return speed
    return 5.0


def _lift_motor_kw(capacity_kg: float, speed_mps: float) -> float:
    """Traction motor: the unbalanced half of the rated load lifted at rated speed, 75 % efficient."""
    return _next_size(capacity_kg * G_MPS2 * speed_mps * 0.55 / 0.75 / 1000.0, MOTOR_SIZES_KW)


def household_demand_factor(households: int) -> float:
    """Demand factor for ``households`` apartments on one supply: a smooth fit to JGJ 242's table
    (0.9 for a few homes, about 0.6 for eight, down to 0.26 for 280 and more)."""
    if households <= 0:
        return 0.0
    return max(0.26, min(0.9, 0.9 * households ** -0.19))


def _apartment_allowance_kw(area_m2: float) -> float:
    """JGJ 242 minimum supply per apartment by floor area."""
    if area_m2 <= 60:
        return 4.0
    if area_m2 <= 90:
        return 6.0
    if area_m2 <= 150:
        return 8.0
    return 10.0


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


# --- Plan geometry --------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Rect:
    """An axis-aligned rectangle, corner (x, y), in metres."""

    x: float
    y: float
    w: float
    d: float

    @property
    def x1(self) -> float:
        return self.x + self.w

    @property
    def y1(self) -> float:
        return self.y + self.d

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.d / 2

    @property
    def area(self) -> float:
        return self.w * self.d

    def spec(self) -> dict[str, float | int]:
        return {"x_m": _r(self.x), "y_m": _r(self.y), "width_m": _r(self.w), "depth_m": _r(self.d)}


GRID_M = 0.125


def _snap(v: float) -> float:
    """``v`` on the 125 mm planning grid. Grid values are exact binary fractions, so a room's
    ``x_m + width_m`` equals its neighbour's ``x_m`` exactly and the two share their wall."""
    return round(v / GRID_M) * GRID_M + 0.0


def _box(x0: float, y0: float, x1: float, y1: float) -> _Rect:
    """The rectangle between two corners, snapped to the planning grid."""
    x0, y0, x1, y1 = (_snap(v) for v in (x0, y0, x1, y1))
    return _Rect(x0, y0, x1 - x0, y1 - y0)


_EPS = 1e-6


def _shared_wall_m(a: _Rect, b: _Rect) -> float:
    """Length of the wall two rectangles share (0 when they only meet at a corner, or not at all)."""
    if abs(a.x1 - b.x) < _EPS or abs(b.x1 - a.x) < _EPS:
        return max(0.0, min(a.y1, b.y1) - max(a.y, b.y))
    if abs(a.y1 - b.y) < _EPS or abs(b.y1 - a.y) < _EPS:
        return max(0.0, min(a.x1, b.x1) - max(a.x, b.x))
    return 0.0


def _overlap(a: _Rect, b: _Rect) -> bool:
    return min(a.x1, b.x1) - max(a.x, b.x) > _EPS and min(a.y1, b.y1) - max(a.y, b.y) > _EPS


def _edges(start: float, widths: Iterable[float]) -> list[float]:
    """Cumulative edges start, start + w0, … on the planning grid."""
    out = [_snap(start)]
    total = start
    for w in widths:
        total += w
        out.append(_snap(total))
    return out


def _split(length: float, mean_w: float, rng: np.random.Generator, *, spread: float = 0.35,
           min_w: float = 4.0) -> list[float]:
    """Split a frontage into units of random width around ``mean_w`` (tenancy widths)."""
    n = max(1, round(length / mean_w))
    while n > 1 and length / n < min_w:
        n -= 1
    raw = rng.uniform(1 - spread, 1 + spread, n)
    widths = [_snap(float(w)) for w in raw / raw.sum() * length]
    widths[-1] = round(length - sum(widths[:-1]), 3)
    if widths[-1] < min_w * 0.75:  # rounding starved the last unit; share evenly instead
        widths = [length / n] * n
    return widths


# --- The building under construction --------------------------------------------------------------

_SYSTEM_ORDER = ("power", "meter", "pump", "water", "fire", "hvac", "lighting", "access", "security", "elevator")


class _Plan:
    """Accumulates a building's floors, spaces, doors, exits, stairs, lifts and equipment, checking
    the geometry as it goes (rooms on a floor do not overlap; a door's rooms share a wall at least as
    wide as the door; an exit lies on its room's outline)."""

    def __init__(self, *, building_id: str, name: str, use: str):
        self.head: dict[str, Any] = {"schema_version": 1, "id": building_id, "name": name, "use": use,
                                     "site": {"name": name, "timezone": "Asia/Shanghai"}}
        self.floors: list[dict] = []
        self.spaces: list[dict] = []
        self.doors: list[dict] = []
        self.stairs: list[dict] = []
        self.elevators: list[dict] = []
        self.equipment: list[dict] = []
        self.exits: list[dict] = []
        self.rect: dict[str, _Rect] = {}
        self.space: dict[str, dict] = {}
        self.elevation: dict[str, float] = {}
        self.height: dict[str, float] = {}
        self._door_count: Counter[str] = Counter()
        self._slots: Counter[str] = Counter()
        # Electrical loads: (equipment or car id, use, kW, life safety?)
        self.loads: list[tuple[str, str, float, bool]] = []
        # Standby units: fed like the others but never running with their duty unit.
        self.standby: set[str] = set()

    # floors and spaces
    def add_floor(self, floor_id: str, name: str, elevation_m: float, height_m: float) -> str:
        self.floors.append({"id": floor_id, "name": name, "elevation_m": _r(elevation_m), "height_m": _r(height_m)})
        self.elevation[floor_id] = round(elevation_m, 3)
        self.height[floor_id] = height_m
        return floor_id

    def add_space(self, space_id: str, floor: str, kind: str, rect: _Rect, name: str, *,
                  occupants: int | None = None, m2_per_person: float | None = None, void: bool = False) -> str:
        _require(space_id not in self.space, f"generator bug: space {space_id!r} twice")
        _require(rect.w > 0 and rect.d > 0, f"generator bug: space {space_id!r} has no area ({rect})")
        item: dict[str, Any] = {"id": space_id, "floor": floor, "kind": kind, "name": name, "rect": rect.spec()}
        if occupants is not None:
            item["occupants"] = int(occupants)
        if m2_per_person is not None:
            item["m2_per_person"] = _r(m2_per_person)
        if void:
            item["void"] = True
        self.spaces.append(item)
        self.space[space_id] = item
        self.rect[space_id] = rect
        return space_id

    def spaces_on(self, floor: str, kinds: Iterable[str] | None = None) -> list[str]:
        wanted = set(kinds) if kinds is not None else None
        return [s["id"] for s in self.spaces if s["floor"] == floor and (wanted is None or s["kind"] in wanted)]

    # connections
    def add_door(self, a: str, b: str, width_m: float, *, kind: str = "door", fire_door: bool = False) -> str:
        floor = self.space[a]["floor"]
        _require(self.space[b]["floor"] == floor, f"generator bug: door {a}–{b} joins two floors")
        wall = _shared_wall_m(self.rect[a], self.rect[b])
        _require(wall >= width_m - _EPS, f"generator bug: {a} and {b} share {wall:.2f} m of wall, door is {width_m} m")
        self._door_count[floor] += 1
        door_id = f"{floor}-D{self._door_count[floor]:02d}"
        item: dict[str, Any] = {"id": door_id, "between": [a, b], "width_m": _r(width_m)}
        if kind != "door":
            item["kind"] = kind
        if fire_door:
            item["fire_door"] = True
        self.doors.append(item)
        return door_id

    def add_opening(self, a: str, b: str, max_width_m: float = 6.0) -> str:
        """An open connection as wide as the shared wall allows (up to ``max_width_m``)."""
        wall = _shared_wall_m(self.rect[a], self.rect[b])
        return self.add_door(a, b, min(wall, max_width_m), kind="opening")

    def add_exit(self, exit_id: str, space: str, x: float, y: float, width_m: float, name: str) -> str:
        r = self.rect[space]
        inside = r.x - _EPS <= x <= r.x1 + _EPS and r.y - _EPS <= y <= r.y1 + _EPS
        on_edge = min(abs(x - r.x), abs(x - r.x1), abs(y - r.y), abs(y - r.y1)) < _EPS
        _require(inside and on_edge, f"generator bug: exit {exit_id} at ({x}, {y}) is not on the outline of {space}")
        floor = self.space[space]["floor"]
        self.exits.append({"id": exit_id, "floor": floor, "name": name, "x_m": _r(x), "y_m": _r(y),
                           "width_m": _r(width_m)})
        self._door_count[floor] += 1
        self.doors.append({"id": f"{floor}-D{self._door_count[floor]:02d}", "between": [space, exit_id],
                           "width_m": _r(width_m)})
        return exit_id

    def add_stair(self, stair_id: str, name: str, landings: list[str], width_m: float, *, riser_m: float,
                  tread_m: float) -> str:
        self.stairs.append({"id": stair_id, "name": name, "landings": list(landings), "width_m": _r(width_m),
                            "riser_m": riser_m, "tread_m": tread_m, "pressurised": True})
        return stair_id

    def add_lift_group(self, group_id: str, name: str, lobbies: list[str], cars: list[dict]) -> str:
        self.elevators.append({"id": group_id, "name": name, "lobbies": list(lobbies), "cars": cars})
        for car in cars:
            self.loads.append((car["id"], "lift", _lift_motor_kw(car["capacity_kg"], car["rated_speed_mps"]),
                               bool(car.get("fire_service"))))
        return group_id

    # equipment
    def place(self, space_id: str) -> list[float | int]:
        """The next free spot on a 2 m grid inside a room, at its floor level."""
        r = self.rect[space_id]
        k = self._slots[space_id]
        self._slots[space_id] += 1
        cols = max(1, int((r.w - 1.0) // 2.0) + 1)
        rows = max(1, int((r.d - 1.0) // 2.0) + 1)
        col, row = k % cols, (k // cols) % rows
        x = min(r.x + 1.0 + 2.0 * col, r.x1 - 0.5) if r.w > 2 else r.cx
        y = min(r.y + 1.0 + 2.0 * row, r.y1 - 0.5) if r.d > 2 else r.cy
        return [_r(x), _r(y), _r(self.elevation[self.space[space_id]["floor"]])]

    def add_equipment(self, equipment_id: str, system: str, kind: str, name: str, location: str, *,
                      rated: dict[str, float] | None = None, feeds: Sequence[str] = (), serves: Sequence[str] = (),
                      zones: Sequence[dict] = (), load: tuple[str, float, bool] | None = None,
                      standby: bool = False, position: list[float | int] | None = None,
                      interval_s: float | None = None) -> str:
        """Add equipment; ``load`` = (use, kW, life safety) registers it on the electrical supply, a
        ``standby`` unit is fed like its duty unit but not counted in the maximum demand."""
        item: dict[str, Any] = {"id": equipment_id, "system": system, "kind": kind, "name": name,
                                "location": location, "position": position or self.place(location)}
        if rated:
            item["rated"] = {k: _r(v) for k, v in rated.items()}
        if feeds:
            item["feeds"] = list(feeds)
        if serves:
            item["serves"] = list(serves)
        if zones:
            item["zones"] = list(zones)
        if interval_s is not None:
            item["interval_s"] = interval_s
        self.equipment.append(item)
        if load is not None:
            self.loads.append((equipment_id, load[0], load[1], load[2]))
        if standby:
            self.standby.add(equipment_id)
        return equipment_id

    def equipment_item(self, equipment_id: str) -> dict:
        return next(e for e in self.equipment if e["id"] == equipment_id)

    # finishing
    def check_geometry(self) -> None:
        by_floor: dict[str, list[str]] = {}
        for s in self.spaces:
            by_floor.setdefault(s["floor"], []).append(s["id"])
        for floor, ids in by_floor.items():
            rects = sorted(((self.rect[i], i) for i in ids), key=lambda ri: ri[0].x)
            for n, (ra, a) in enumerate(rects):
                for rb, b in rects[n + 1:]:
                    if rb.x >= ra.x1 - _EPS:
                        break
                    _require(not _overlap(ra, rb), f"generator bug: {a} and {b} overlap on {floor}")

    def to_dict(self) -> dict[str, Any]:
        self.check_geometry()
        order = {s: i for i, s in enumerate(_SYSTEM_ORDER)}
        equipment = sorted(self.equipment, key=lambda e: order[e["system"]])
        return {**self.head, "floors": self.floors, "spaces": self.spaces, "doors": self.doors,
                "stairs": self.stairs, "elevators": self.elevators, "equipment": equipment, "exits": self.exits}


# --- Building services shared by both kinds --------------------------------------------------------

@dataclass
class _Services:
    """What the building's services need to know about the building."""

    above: list[str]                      # above-ground floors, ground first
    basements: list[str]                  # B1 first (top), lowest last
    persons_by_floor: dict[str, int]
    water_l_per_person_day: float         # average daily domestic demand
    water_peak_factor: float              # peak-hour factor on the average hour
    water_hours: float                    # hours a day the building uses water
    hydrant_ls: float                     # indoor hydrant design flow (GB 50974)
    hydrant_h: float                      # its duration
    sprinkler_ls: float                   # sprinkler design flow
    sprinkler_h: float
    sprinkler_floors: list[str]
    pump_room: str
    tank_room: str
    substation: str
    generator_room: str
    fire_control_room: str
    fan_rooms: dict[str, str]             # basement floor -> fan room
    car_park: dict[str, list[str]]        # basement floor -> car-park zones


def _water_and_fire(plan: _Plan, sv: _Services) -> None:
    """Break tanks, domestic booster sets by pressure zone, fire pumps, sump pumps and water meters."""
    lowest = sv.basements[-1]
    pump_z = plan.elevation[plan.space[sv.pump_room]["floor"]]
    # Domestic pressure zones: floors within 10 m of the street on mains pressure, above that booster
    # zones spanning at most 27 m so no fitting sees more than ~0.45 MPa static.
    mains_floors = sv.basements + [f for f in sv.above if plan.elevation[f] <= 10.0]
    boosted = [f for f in sv.above if plan.elevation[f] > 10.0]
    zones: list[list[str]] = []
    for f in boosted:
        if zones and plan.elevation[f] - plan.elevation[zones[-1][0]] <= 27.0:
            zones[-1].append(f)
        else:
            zones.append([f])

    def peak_m3h(floors: list[str]) -> float:
        persons = sum(sv.persons_by_floor.get(f, 0) for f in floors)
        hourly = persons * sv.water_l_per_person_day / 1000.0 / sv.water_hours * sv.water_peak_factor
        return max(3.0, round(hourly * 1.6, 1))  # design (instantaneous) flow ≈ 1.6 × peak hour

    total_persons = sum(sv.persons_by_floor.values())
    daily_m3 = total_persons * sv.water_l_per_person_day / 1000.0
    dom_tank_m3 = max(10.0, math.ceil(daily_m3 * 0.25))
    fire_tank_m3 = math.ceil(3.6 * (sv.hydrant_ls * sv.hydrant_h + sv.sprinkler_ls * sv.sprinkler_h))
    main_flow = round(peak_m3h(mains_floors + boosted) + 20.0, 1)

    plan.add_equipment("MTR-W-MAIN", "meter", "main_water_meter", "Incoming water main meter", sv.tank_room,
                       rated={"pipe_dn_mm": 150 if main_flow > 60 else 100, "flow_m3h": main_flow},
                       feeds=["MTR-W-MAINS", "MTR-W-DOM", "MTR-W-FIRE"], interval_s=60.0)
    plan.add_equipment("MTR-W-MAINS", "meter", "water_meter", "Sub-meter, floors on mains pressure", sv.tank_room,
                       rated={"pipe_dn_mm": 80, "flow_m3h": peak_m3h(mains_floors)}, serves=mains_floors,
                       interval_s=60.0)
    plan.add_equipment("MTR-W-DOM", "meter", "water_meter", "Sub-meter, domestic break tank fill", sv.tank_room,
                       rated={"pipe_dn_mm": 100, "flow_m3h": peak_m3h(boosted)}, feeds=["TNK-DOM-1"], interval_s=60.0)
    plan.add_equipment("MTR-W-FIRE", "meter", "water_meter", "Sub-meter, fire tank fill", sv.tank_room,
                       rated={"pipe_dn_mm": 100, "flow_m3h": 30}, feeds=["TNK-FIRE-1"], interval_s=60.0)

    dom_pumps = [f"PMP-DOM-Z{z}-{k}" for z in range(1, len(zones) + 1) for k in (1, 2)]
    fire_pumps = ["PMP-FH-1", "PMP-FH-2", "PMP-SPR-1", "PMP-SPR-2", "PMP-JKY-1"]
    plan.add_equipment("TNK-DOM-1", "water", "break_tank", "Domestic water break tank", sv.tank_room,
                       rated={"volume_m3": dom_tank_m3}, feeds=dom_pumps, interval_s=60.0)
    plan.add_equipment("TNK-FIRE-1", "water", "fire_water_tank", "Fire water tank", sv.tank_room,
                       rated={"volume_m3": fire_tank_m3}, feeds=fire_pumps, interval_s=60.0)

    for z, floors in enumerate(zones, start=1):
        top = plan.elevation[floors[-1]]
        head = round((top + 1.5 - pump_z + 10.0) * 1.15, 1)  # to the top fitting, 0.1 MPa left, 15 % losses
        flow = peak_m3h(floors)
        kw = pump_motor_kw(flow, head)
        for k, role in ((1, "duty"), (2, "standby")):
            plan.add_equipment(f"PMP-DOM-Z{z}-{k}", "pump", "domestic_booster_pump",
                               f"Domestic booster zone {z} ({floors[0]}–{floors[-1]}) pump {k} ({role})",
                               sv.pump_room,
                               rated={"power_kw": kw, "flow_m3h": flow, "head_m": head, "speed_rpm": 2900},
                               serves=floors, load=("pump", kw, False), standby=k == 2, interval_s=5.0)

    top_above = plan.elevation[sv.above[-1]]
    hydrant_head = round((top_above + 1.1 - pump_z + 35.0) * 1.2, 1)  # 0.35 MPa at the highest hydrant
    hydrant_flow = round(sv.hydrant_ls * 3.6, 1)
    hydrant_kw = pump_motor_kw(hydrant_flow, hydrant_head, 0.7)
    spr_top = max(plan.elevation[f] + plan.height[f] for f in sv.sprinkler_floors)
    spr_head = round((spr_top - pump_z + 10.0) * 1.3 + 10.0, 1)  # 0.1 MPa at the highest head, valves and pipes
    spr_flow = round(sv.sprinkler_ls * 3.6, 1)
    spr_kw = pump_motor_kw(spr_flow, spr_head, 0.7)
    all_floors = sv.basements[::-1] + sv.above
    for k, role in ((1, "duty"), (2, "standby")):
        plan.add_equipment(f"PMP-FH-{k}", "pump", "fire_hydrant_pump", f"Fire hydrant pump {k} ({role})",
                           sv.pump_room, rated={"power_kw": hydrant_kw, "flow_m3h": hydrant_flow,
                                                "head_m": hydrant_head, "speed_rpm": 2900}, serves=all_floors,
                           load=("pump", hydrant_kw, True), standby=k == 2, interval_s=5.0)
    for k, role in ((1, "duty"), (2, "standby")):
        plan.add_equipment(f"PMP-SPR-{k}", "pump", "fire_sprinkler_pump", f"Sprinkler pump {k} ({role})",
                           sv.pump_room, rated={"power_kw": spr_kw, "flow_m3h": spr_flow, "head_m": spr_head,
                                                "speed_rpm": 2900}, serves=sv.sprinkler_floors,
                           load=("pump", spr_kw, True), standby=k == 2, interval_s=5.0)
    jockey_head = round(max(hydrant_head, spr_head) + 10.0, 1)
    jockey_kw = pump_motor_kw(3.6, jockey_head, 0.45)
    plan.add_equipment("PMP-JKY-1", "pump", "fire_jockey_pump", "Fire main jockey (pressure maintenance) pump",
                       sv.pump_room, rated={"power_kw": jockey_kw, "flow_m3h": 3.6, "head_m": jockey_head},
                       serves=all_floors, load=("pump", jockey_kw, True), interval_s=5.0)
    sump_zone = sv.car_park[lowest][0]
    sump_head = round(-plan.elevation[lowest] + 6.0, 1)
    sump_kw = pump_motor_kw(36.0, sump_head, 0.5)
    for k, role in ((1, "duty"), (2, "standby")):
        plan.add_equipment(f"PMP-SMP-{k}", "pump", "sump_pump", f"Basement sump pump {k} ({role})", sump_zone,
                           rated={"power_kw": sump_kw, "flow_m3h": 36, "head_m": sump_head},
                           serves=[lowest], load=("pump", sump_kw, True), standby=k == 2, interval_s=10.0)


def _smoke_control(plan: _Plan, sv: _Services) -> None:
    """Stair pressurisation fans and car-park exhaust fans (ventilation and smoke extract)."""
    height = plan.elevation[sv.above[-1]] + plan.height[sv.above[-1]]
    # GB 51251 table 3.4.2, stair pressurised alone, by building height.
    airflow = 25_000 if height <= 24 else 30_000 if height <= 50 else 36_000 if height <= 100 else 45_000
    for stair in plan.stairs:
        landings = stair["landings"]
        kw = _next_size(airflow / 3600.0 * 0.6 / 0.6 * 1.1, MOTOR_SIZES_KW)  # 600 Pa at 60 % efficiency
        plan.add_equipment(f"PRS-{stair['id']}", "hvac", "stair_pressurisation_fan",
                           f"Pressurisation fan, {stair['name'] or stair['id']}", landings[-1],
                           rated={"airflow_m3h": airflow, "static_pressure_kpa": 0.6, "power_kw": kw},
                           serves=landings, load=("hvac", kw, True))
    for level, zones in sv.car_park.items():
        area = sum(plan.rect[z].area for z in zones)
        volume = area * plan.height[level]
        fans = max(1, math.ceil(area / 4000.0))  # one smoke-control compartment per 4,000 m² (sprinklered)
        fan_airflow = round(max(6.0 * volume / fans, 30_000.0), -2)
        kw = _next_size(fan_airflow / 3600.0 * 0.5 / 0.6 * 1.1, MOTOR_SIZES_KW)
        for k in range(1, fans + 1):
            plan.add_equipment(f"EXF-{level}-{k}", "hvac", "car_park_exhaust_fan",
                               f"Car park {level} exhaust and smoke extract fan {k}", sv.fan_rooms[level],
                               rated={"airflow_m3h": fan_airflow, "static_pressure_kpa": 0.5, "power_kw": kw},
                               serves=zones, load=("hvac", kw, True))


def _ahu(plan: _Plan, ahu_id: str, name: str, location: str, serves: list[str], *, air_changes_h: float = 6.0,
         cooling_w_m2: float = 150.0) -> str:
    """An air handling unit sized from the volume and floor area it serves."""
    area = sum(plan.rect[s].area for s in serves)
    volume = sum(plan.rect[s].area * plan.height[plan.space[s]["floor"]] for s in serves)
    airflow = round(max(2000.0, volume * air_changes_h), -2)
    fan_kw = _next_size(airflow / 3600.0 * 1.8 * 1.1, MOTOR_SIZES_KW)  # SFP 1.8 W per l/s
    return plan.add_equipment(ahu_id, "hvac", "air_handling_unit", name, location,
                              rated={"airflow_m3h": airflow, "cooling_kw": round(area * cooling_w_m2 / 1000.0, 1),
                                     "heating_kw": round(area * cooling_w_m2 * 0.6 / 1000.0, 1),
                                     "power_kw": fan_kw},
                              serves=serves, load=("hvac", fan_kw, False), interval_s=30.0)


def _lighting(plan: _Plan, floors: list[str], location_of: dict[str, str]) -> None:
    """One landlord lighting circuit per floor, and an emergency-lighting supply per stair."""
    for f in floors:
        spaces = plan.spaces_on(f, LIGHTING_W_PER_M2)
        area = sum(plan.rect[s].area for s in spaces)
        kw = round(sum(plan.rect[s].area * LIGHTING_W_PER_M2[plan.space[s]["kind"]] for s in spaces) / 1000.0, 2)
        plan.add_equipment(f"LTG-{f}", "lighting", "lighting_circuit", f"Landlord lighting, floor {f}", location_of[f],
                           rated={"power_kw": kw, "lit_area_m2": round(area, 1)}, serves=[f],
                           load=("lighting", kw, False), interval_s=60.0)
    for stair in plan.stairs:
        landings = stair["landings"]
        kw = round(sum(plan.rect[s].area for s in landings) * 2.0 / 1000.0 + 0.1, 2)
        ground = next(s for s in landings if plan.elevation[plan.space[s]["floor"]] == 0)
        plan.add_equipment(f"EML-{stair['id']}", "lighting", "emergency_lighting",
                           f"Emergency lighting and exit signs, {stair['name'] or stair['id']}", ground,
                           rated={"power_kw": kw, "autonomy_h": 1.5}, serves=landings,
                           load=("lighting", kw, True), interval_s=60.0)


def _fire_panel(plan: _Plan, sv: _Services) -> None:
    floors = sv.basements[::-1] + sv.above
    zones = [{"id": f"FZ-{f}", "floor": f, "spaces": plan.spaces_on(f)} for f in floors]
    devices = sum(len(z["spaces"]) for z in zones) * 2 + len(plan.stairs) * len(floors)
    plan.add_equipment("FAP-1", "fire", "fire_alarm_panel", "Fire alarm control panel", sv.fire_control_room,
                       rated={"loops_count": math.ceil(devices / 200), "devices_count": devices, "power_kw": 0.5},
                       zones=zones, load=("fire", 0.5, True), interval_s=5.0)


_METER_CODES = {"lift": "LIFT", "pump": "PUMP", "hvac": "HVAC", "lighting": "LTG", "fire": "FIRE"}


def _power(plan: _Plan, sv: _Services, tenant_supplies: list[dict]) -> None:
    """The substation (10 kV switchgear, transformers, LV boards), standby generator and transfer
    switch, and sub-meters by use; wires ``feeds`` from the supply down to every registered load.

    ``tenant_supplies``: dicts with meter id and name, board id, name, kind, location, serves,
    connected_kw and demand_kw (residential rising mains, tenant distribution boards).
    """
    normal: dict[str, list[str]] = {}
    safety: list[str] = []
    connected: Counter[str] = Counter()
    safety_kw = 0.0
    for ident, use, kw, life_safety in plan.loads:
        running_kw = 0.0 if ident in plan.standby else kw
        if life_safety:
            safety.append(ident)
            safety_kw += running_kw
        else:
            normal.setdefault(use, []).append(ident)
            connected[use] += running_kw

    def current_a(kw: float) -> float:
        return _next_size(kw / (math.sqrt(3) * 0.4 * 0.9), BREAKER_SIZES_A)

    use_meters = {use: f"MTR-E-{_METER_CODES.get(use, use.upper())}" for use in normal}
    meters = list(use_meters.values()) + [t["meter"] for t in tenant_supplies]
    # Maximum demand: tenants at their own diversity (0.9 between supplies), landlord plant at 0.6,
    # power factor 0.9 after correction; each transformer loaded to at most 80 % with all in service.
    demand_kw = sum(t["demand_kw"] for t in tenant_supplies) * 0.9 + sum(connected.values()) * 0.6
    demand_kva = demand_kw / 0.9
    n_tx = 2
    while demand_kva / (n_tx * 0.8) > TRANSFORMER_SIZES_KVA[-1]:
        n_tx += 2
    tx_kva = _next_size(demand_kva / (n_tx * 0.8), TRANSFORMER_SIZES_KVA)
    tx_ids = [f"TX-{k}" for k in range(1, n_tx + 1)]
    lv_ids = [f"SWG-LV-{k}" for k in range(1, n_tx + 1)]
    lv_feeds: list[list[str]] = [[] for _ in lv_ids]
    for k, meter in enumerate(meters):
        lv_feeds[k % n_tx].append(meter)
    lv_feeds[-1].append("ATS-1")
    hv_current = _next_size(n_tx * tx_kva / (math.sqrt(3) * 10.0) * 1.25, (50, 100, 150, 200, 300, 400, 630))

    plan.add_equipment("MTR-E-MAIN", "meter", "main_electricity_meter", "Utility revenue meter, 10 kV intake",
                       sv.substation, rated={"voltage_kv": 10, "current_a": hv_current}, feeds=["SWG-HV-1"],
                       interval_s=60.0)
    plan.add_equipment("SWG-HV-1", "power", "hv_switchgear", "10 kV ring main unit and transformer feeders",
                       sv.substation, rated={"voltage_kv": 10, "current_a": 630}, feeds=tx_ids)
    for k, (tx, lv) in enumerate(zip(tx_ids, lv_ids), start=1):
        plan.add_equipment(tx, "power", "transformer", f"Transformer {k}, cast resin, 10/0.4 kV", sv.substation,
                           rated={"rating_kva": tx_kva, "primary_voltage_kv": 10, "secondary_voltage_kv": 0.4,
                                  "impedance_pct": 6 if tx_kva > 630 else 4}, feeds=[lv])
    for k, (lv, feeds) in enumerate(zip(lv_ids, lv_feeds), start=1):
        plan.add_equipment(lv, "power", "lv_switchgear", f"LV switchboard {k} (0.4 kV), bus-section coupled",
                           sv.substation, rated={"voltage_kv": 0.4, "busbar_current_a": current_a(tx_kva * 0.9)},
                           feeds=feeds)
    gen_kva = _next_size(safety_kw / 0.8, GENERATOR_SIZES_KVA)  # running life-safety loads at power factor 0.8
    plan.add_equipment("GEN-1", "power", "diesel_generator", "Standby diesel generator set", sv.generator_room,
                       rated={"rating_kva": gen_kva, "power_kw": gen_kva * 0.8, "voltage_kv": 0.4,
                              "fuel_tank_m3": 1.0}, feeds=["ATS-1"])
    plan.add_equipment("ATS-1", "power", "automatic_transfer_switch",
                       "Life-safety transfer switch (mains / generator)", sv.generator_room,
                       rated={"current_a": current_a(safety_kw)}, feeds=safety)
    names = {"lift": "lifts", "pump": "pumps", "hvac": "ventilation, air handling and cooling",
             "lighting": "landlord lighting", "fire": "fire systems"}
    for use, loads in normal.items():
        plan.add_equipment(use_meters[use], "meter", "electricity_meter", f"Sub-meter, {names.get(use, use)}",
                           sv.substation, rated={"voltage_kv": 0.4, "current_a": current_a(connected[use])},
                           feeds=loads, interval_s=60.0)
    for t in tenant_supplies:
        plan.add_equipment(t["meter"], "meter", "electricity_meter", t["meter_name"], sv.substation,
                           rated={"voltage_kv": 0.4, "current_a": current_a(t["demand_kw"])}, feeds=[t["board"]],
                           interval_s=60.0)
        plan.add_equipment(t["board"], "power", t["kind"], t["name"], t["location"],
                           rated={"connected_kw": t["connected_kw"], "demand_kw": t["demand_kw"]}, serves=t["serves"],
                           interval_s=60.0)


def _cooling_plant(plan: _Plan, chiller_room: str, roof_room: str, roof_z: float) -> None:
    """Two water-cooled chillers sized on the AHUs' cooling (0.8 diversity), chilled and condenser
    water pumps (duty per chiller + one standby) and a cooling tower per chiller on the roof."""
    coils = [e for e in plan.equipment if e["kind"] == "air_handling_unit"]
    total_kw = sum(e["rated"]["cooling_kw"] for e in coils) * 0.8
    each_kw = max(200, math.ceil(total_kw / 2 / 50) * 50)
    chiller_kw = round(each_kw / 5.5, 1)  # COP 5.5
    chw_flow = round(each_kw * 3600 / (4.186 * 5 * 1000), 1)  # 5 K rise
    cw_flow = round((each_kw + chiller_kw) * 3600 / (4.186 * 5 * 1000), 1)
    served = sorted({s for e in coils for s in e.get("serves", [])}, key=list(plan.space).index)
    floors = [f["id"] for f in plan.floors if any(plan.space[s]["floor"] == f["id"] for s in served)]
    for k in (1, 2):
        plan.add_equipment(f"CH-{k}", "hvac", "water_cooled_chiller", f"Chiller {k}, water cooled", chiller_room,
                           rated={"cooling_kw": each_kw, "power_kw": chiller_kw, "chilled_water_supply_c": 7,
                                  "chilled_water_return_c": 12}, serves=floors, load=("hvac", chiller_kw, False),
                           interval_s=30.0)
    for prefix, kind, label, flow, head in (("CHWP", "chilled_water_pump", "Chilled water", chw_flow, 32.0),
                                            ("CWP", "condenser_water_pump", "Condenser water", cw_flow, 28.0)):
        kw = pump_motor_kw(flow, head, 0.75)
        for k in (1, 2, 3):
            role = "standby" if k == 3 else "duty"
            plan.add_equipment(f"PMP-{prefix}-{k}", "pump", kind, f"{label} pump {k} ({role})", chiller_room,
                               rated={"power_kw": kw, "flow_m3h": flow, "head_m": head, "speed_rpm": 1450},
                               serves=floors, load=("hvac", kw, False), standby=k == 3, interval_s=10.0)
    for k in (1, 2):
        r = plan.rect[roof_room]
        fan_kw = _next_size((each_kw + chiller_kw) * 0.012, MOTOR_SIZES_KW)
        plan.add_equipment(f"CT-{k}", "hvac", "cooling_tower", f"Cooling tower {k} (roof)", roof_room,
                           rated={"flow_m3h": cw_flow, "power_kw": fan_kw}, load=("hvac", fan_kw, False),
                           position=[_r(r.cx), _r(r.y + 2.0 + 4.0 * (k - 1)), _r(roof_z)], interval_s=30.0)


def _access_and_security(plan: _Plan, sv: _Services, entrances: list[str]) -> None:
    for k, lobby in enumerate(entrances, start=1):
        plan.add_equipment(f"ACS-{k}", "access", "door_access_controller",
                           f"Access control, {plan.space[lobby]['name']}", lobby,
                           rated={"doors_count": 2, "power_kw": 0.1}, serves=[lobby], load=("fire", 0.1, True))
    cameras = len(entrances) * 2 + sum(len(z) for z in sv.car_park.values()) * 2 + len(plan.elevators) * 2
    plan.add_equipment("CCTV-NVR-1", "security", "cctv_recorder", "CCTV network video recorder",
                       sv.fire_control_room, rated={"cameras_count": cameras, "power_kw": 0.5},
                       load=("fire", 0.5, True))


def _lift_car(car_id: str, shaft: _Rect, floors: list[str], speed: float, home: str, fire_service: bool) -> dict:
    car: dict[str, Any] = {"id": car_id, "shaft": shaft.spec(), "floors_served": list(floors),
                           "capacity_persons": 13, "capacity_kg": 1000, "rated_speed_mps": speed,
                           "acceleration_mps2": 1.0 if speed <= 2.0 else 1.2, "jerk_mps3": 1.5 if speed <= 2.0 else 1.8}
    if fire_service:
        car["fire_service"] = True
    car["home_floor"] = home
    return car


# --- Residential tower -----------------------------------------------------------------------------

# Plan dimensions are multiples of the 125 mm planning grid (see _snap).
APT_DEPTH_M = 10.5
RES_CORRIDOR_M = 1.75
RES_STAIR_W_M, RES_STAIR_D_M, RES_STAIR_CLEAR_M = 2.75, 6.0, 1.2
SHAFT_M = 2.5
LIFT_LOBBY_W_M = 3.0
RES_GROUND_H_M, RES_FLOOR_H_M, RES_BASEMENT_H_M = 4.5, 3.0, 3.9
PARKING_PER_APARTMENT = 0.8
PARKING_M2_PER_SPACE = 32.0
PLANT_ROW_D_M = 12.0


@dataclass(frozen=True)
class _Core:
    """One entrance core's slice of the slab: its x extent and the layout of its north band."""

    number: int
    x0: float
    length: float
    south: int          # apartments on the south side
    north_w: int        # north side, west of the core
    north_e: int        # north side, east of the core
    core_x0: float
    core_x1: float
    stairs: int
    lifts_w: int
    lifts_e: int

    @property
    def x1(self) -> float:
        return self.x0 + self.length

    @property
    def depth(self) -> float:
        """Depth of the core (stairs, lobby and shafts) north of the corridor."""
        return max(RES_STAIR_D_M, max(self.lifts_w, self.lifts_e) * SHAFT_M)


def _core_layout(number: int, x0: float, units: int, lifts: int, stairs: int) -> _Core:
    south = math.ceil(units / 2)
    north = units - south
    north_w = north // 2
    north_e = north - north_w
    lifts_w = math.ceil(lifts / 2)
    lifts_e = lifts - lifts_w
    core_w = RES_STAIR_W_M * stairs + SHAFT_M * (1 if lifts_e == 0 else 2) + LIFT_LOBBY_W_M
    length = max(south * 7.0, north * 6.0 + core_w, (units * 8.4 + core_w) / 2)
    length = math.ceil(round(length * 4, 6)) / 4  # whole quarter metres
    north_unit = (length - core_w) / north if north else 0.0
    core_x0 = _snap(x0 + north_w * north_unit if north else x0 + (length - core_w) / 2)
    return _Core(number, _snap(x0), length, south, north_w, north_e, core_x0, core_x0 + core_w, stairs,
                 lifts_w, lifts_e)


def _core_rects(core: _Core) -> dict[str, Any]:
    """Stair enclosures, lift lobby and shafts of a core (same on every floor)."""
    y = APT_DEPTH_M + RES_CORRIDOR_M
    x = core.core_x0
    out: dict[str, Any] = {"STA": _box(x, y, x + RES_STAIR_W_M, y + RES_STAIR_D_M)}
    x += RES_STAIR_W_M
    shafts = [_box(x, y + i * SHAFT_M, x + SHAFT_M, y + (i + 1) * SHAFT_M) for i in range(core.lifts_w)]
    x += SHAFT_M
    out["LL"] = _box(x, y, x + LIFT_LOBBY_W_M, y + max(core.lifts_w * SHAFT_M, 2.5))
    x += LIFT_LOBBY_W_M
    if core.lifts_e:
        shafts += [_box(x, y + i * SHAFT_M, x + SHAFT_M, y + (i + 1) * SHAFT_M) for i in range(core.lifts_e)]
        x += SHAFT_M
    if core.stairs == 2:
        out["STB"] = _box(x, y, x + RES_STAIR_W_M, y + RES_STAIR_D_M)
    out["shafts"] = shafts
    return out


def residential_tower(*, building_id: str, name: str | None = None, floors: int = 30,
                      units_per_floor: int | None = None, cores: int = 4, lifts_per_core: int = 4,
                      stairs_per_core: int = 2, basement_levels: int = 2, persons_per_unit_mean: float = 3.2,
                      seed: int = 0) -> dict[str, Any]:
    """A residential slab tower as a YAML-ready building dictionary (see the module docstring).

    ``floors`` counts the storeys above ground including the ground (lobby) floor; apartments are on
    the floors above it. ``units_per_floor`` is the number of apartments on one residential floor of
    the whole building, shared as evenly as possible between the ``cores`` (2–12 per core; default 8
    per core). Each core has ``stairs_per_core`` (1 or 2) stairs and ``lifts_per_core`` (1–8) cars,
    the last of which is the fire-service lift. Apartments hold on average ``persons_per_unit_mean``
    persons, drawn per apartment with ``seed``.
    """
    _require(2 <= floors <= 60, f"floors must be 2–60 (storeys above ground incl. the ground floor), got {floors}")
    _require(1 <= cores <= 12, f"cores must be 1–12, got {cores}")
    units_per_floor = 8 * cores if units_per_floor is None else units_per_floor
    _require(2 * cores <= units_per_floor <= 12 * cores,
             f"units_per_floor must be 2–12 per core ({2 * cores}–{12 * cores} for {cores} cores), "
             f"got {units_per_floor}")
    _require(1 <= lifts_per_core <= 8, f"lifts_per_core must be 1–8, got {lifts_per_core}")
    _require(stairs_per_core in (1, 2), f"stairs_per_core must be 1 or 2, got {stairs_per_core}")
    _require(1 <= basement_levels <= 4, f"basement_levels must be 1–4, got {basement_levels}")
    _require(1.0 <= persons_per_unit_mean <= 6.0, f"persons_per_unit_mean must be 1–6, got {persons_per_unit_mean}")
    rng = np.random.default_rng(seed)
    plan = _Plan(building_id=building_id, name=name or f"{building_id} residential tower", use="residential")

    # Floors: B<n>…B1, F01 (ground), F02…
    basements = [f"B{b}" for b in range(1, basement_levels + 1)]
    for b in range(basement_levels, 0, -1):
        plan.add_floor(f"B{b}", f"Basement {b}", -b * RES_BASEMENT_H_M, RES_BASEMENT_H_M)
    above = [f"F{k:02d}" for k in range(1, floors + 1)]
    plan.add_floor("F01", "Ground floor (1F)", 0.0, RES_GROUND_H_M)
    for k in range(2, floors + 1):
        plan.add_floor(f"F{k:02d}", f"{k}F", RES_GROUND_H_M + (k - 2) * RES_FLOOR_H_M, RES_FLOOR_H_M)
    height_m = plan.elevation[above[-1]] + RES_FLOOR_H_M
    refuge: set[str] = set()
    last = 0.0
    while height_m - last > 50.0 and height_m > 100.0:  # GB 50016 5.5.31: refuge floors ≤ 50 m apart
        pick = max((f for f in above[1:] if last < plan.elevation[f] <= last + 50.0), key=lambda f: plan.elevation[f])
        refuge.add(pick)
        last = plan.elevation[pick]
    all_floors = basements[::-1] + above

    # Cores side by side along x.
    per_core = [units_per_floor // cores + (1 if c < units_per_floor % cores else 0) for c in range(cores)]
    layout: list[_Core] = []
    x = 0.0
    for c, units in enumerate(per_core, start=1):
        layout.append(_core_layout(c, x, units, lifts_per_core, stairs_per_core))
        x = layout[-1].x1
    slab_length = x
    y_cor, y_north = APT_DEPTH_M, APT_DEPTH_M + RES_CORRIDOR_M
    y_top = y_north + APT_DEPTH_M  # the north façade

    apartments: list[str] = []
    stair_landings: dict[str, list[str]] = {}
    lobbies: dict[int, list[str]] = {c.number: [] for c in layout}
    persons_by_floor: Counter[str] = Counter()

    def core_spaces(f: str, core: _Core, corridor: str, stair_door_m: float = 1.0) -> None:
        rects = _core_rects(core)
        tag = f"{f}-C{core.number}"
        for key in ("STA", "STB"):
            if key in rects:
                sid = plan.add_space(f"{tag}-{key}", f, "stair", rects[key], f"Core {core.number} stair {key[-1]}")
                plan.add_door(sid, corridor, stair_door_m, fire_door=True)
                stair_landings.setdefault(f"ST-C{core.number}-{key[-1]}", []).append(sid)
        ll = plan.add_space(f"{tag}-LL", f, "lift_lobby", rects["LL"], f"Core {core.number} lift lobby")
        plan.add_door(ll, corridor, 1.5, fire_door=True)
        lobbies[core.number].append(ll)

    # Basements: one car park under the slab, each core through a fire-door front room.
    plant_by_level: dict[str, list[tuple[str, str, str, float]]] = {b: [] for b in basements}
    top_b, low_b = basements[0], basements[-1]
    plant_by_level[top_b] += [("SUB", "plant_room", "Substation (HV, transformers, LV switchboards)", 24.0),
                              ("GEN", "plant_room", "Generator room", 10.0)]
    plant_by_level[low_b] += [("PMP", "plant_room", "Pump room", 18.0), ("TNK", "plant_room", "Water tank room", 20.0)]
    for b in basements:
        plant_by_level[b].append(("FAN", "plant_room", "Fan room", 10.0))
    plant_row_m = max(sum(w for *_, w in rooms) for rooms in plant_by_level.values())
    basement_length = max(slab_length, plant_row_m + 12.0)
    parking_per_level = math.ceil(sum(per_core) * (floors - 1 - len(refuge)) * PARKING_PER_APARTMENT / basement_levels)
    core_depth = max(c.depth for c in layout)
    y_zone_n = y_north + core_depth
    under_slab = slab_length * APT_DEPTH_M + sum(
        (c.length - (c.core_x1 - c.core_x0)) * (y_zone_n - y_cor) for c in layout)
    north_depth = max(8.0, (parking_per_level * PARKING_M2_PER_SPACE - under_slab) / basement_length)
    y_plant = y_zone_n + math.ceil(north_depth * 2) / 2
    car_park: dict[str, list[str]] = {}
    fan_rooms: dict[str, str] = {}
    plant_ids: dict[str, str] = {}
    for b in basements[::-1]:  # lowest first: landings and lobbies run bottom to top
        zones: list[str] = []
        norths: list[str] = []
        souths: list[str] = []
        for core in layout:
            tag = f"{b}-C{core.number}"
            front = plan.add_space(f"{tag}-COR", b, "corridor", _box(core.core_x0, y_cor, core.core_x1, y_north),
                                   f"Core {core.number} basement front room")
            core_spaces(b, core, front)
            south = plan.add_space(f"{tag}-CPS", b, "car_park", _box(core.x0, 0, core.x1, y_cor),
                                   f"Car park {b}, core {core.number} south")
            plan.add_door(front, south, 1.5, fire_door=True)
            north = plan.add_space(f"{tag}-CPN", b, "car_park", _box(core.x0, y_zone_n, core.x1, y_plant),
                                   f"Car park {b}, core {core.number} north")
            zones += [south, north]
            for side, (xa, xb) in (("W", (core.x0, core.core_x0)), ("E", (core.core_x1, core.x1))):
                if xb - xa > 0.5:
                    strip = plan.add_space(f"{tag}-CP{side}", b, "car_park", _box(xa, y_cor, xb, y_zone_n),
                                           f"Car park {b}, core {core.number} {'west' if side == 'W' else 'east'}")
                    plan.add_door(front, strip, 1.5, fire_door=True)
                    plan.add_opening(strip, south)
                    plan.add_opening(strip, north)
                    zones.append(strip)
            if souths:
                plan.add_opening(souths[-1], south)
                plan.add_opening(norths[-1], north)
            souths.append(south)
            norths.append(north)
        if basement_length > slab_length + 0.5:
            extra = plan.add_space(f"{b}-CPX", b, "car_park", _box(slab_length, 0, basement_length, y_plant),
                                   f"Car park {b}, east extension")
            plan.add_opening(souths[-1], extra)
            plan.add_opening(norths[-1], extra)
            norths.append(extra)
            zones.append(extra)
        x = 0.0
        for key, kind, room_name, width in plant_by_level[b]:
            rect = _box(x, y_plant, x + width, y_plant + PLANT_ROW_D_M)
            sid = plan.add_space(f"{b}-{key}", b, kind, rect, f"{room_name} {b}")
            best = max(norths, key=lambda z: _shared_wall_m(rect, plan.rect[z]))
            plan.add_door(sid, best, 1.5, fire_door=True)
            plant_ids[key] = sid
            if key == "FAN":
                fan_rooms[b] = sid
            x += width
        if basement_length - x >= 4.0:
            row = plan.add_space(f"{b}-CPR", b, "car_park", _box(x, y_plant, basement_length, y_plant + PLANT_ROW_D_M),
                                 f"Car park {b}, north row")
            joined = [z for z in norths if _shared_wall_m(plan.rect[row], plan.rect[z]) >= 3.0]
            for z in joined or [max(norths, key=lambda z: _shared_wall_m(plan.rect[row], plan.rect[z]))]:
                plan.add_opening(row, z)
            zones.append(row)
        car_park[b] = zones

    # Ground floor: entrance lobby per core with its exits; management and fire control in core 1.
    fire_control = ""
    entrances: list[str] = []
    for core in layout:
        f, tag, n = "F01", f"F01-C{core.number}", core.number
        corridor = plan.add_space(f"{tag}-COR", f, "corridor", _box(core.x0, y_cor, core.x1, y_north),
                                  f"Core {n} ground corridor")
        core_spaces(f, core, corridor, stair_door_m=1.2)
        lobby_w = _snap(min(8.0, core.length / 3))
        lx0 = _snap(core.x0 + (core.length - lobby_w) / 2)
        lobby = plan.add_space(f"{tag}-LOB", f, "lobby", _box(lx0, 0, lx0 + lobby_w, y_cor), f"Core {n} entrance lobby")
        entrances.append(lobby)
        plan.add_opening(lobby, corridor, 3.0)
        plan.add_exit(f"EX-C{n}-MAIN", lobby, lx0 + lobby_w / 2, 0.0, 2.4, f"Core {n} main entrance")
        west = _box(core.x0, 0, lx0, y_cor)
        east = _box(lx0 + lobby_w, 0, core.x1, y_cor)
        if n == 1:
            plan.add_door(plan.add_space(f"{tag}-MGT", f, "management_office", west, "Management office", occupants=8),
                          corridor, 1.0)
            fcr_w = _snap(min(6.0, east.w / 2))
            fcr = plan.add_space(f"{tag}-FCR", f, "room", _box(east.x, 0, east.x + fcr_w, y_cor), "Fire control room",
                                 occupants=2)
            plan.add_door(fcr, corridor, 1.0, fire_door=True)
            plan.add_exit("EX-FCR", fcr, east.x + fcr_w / 2, 0.0, 1.0, "Fire control room exit")
            fire_control = fcr
            plan.add_door(plan.add_space(f"{tag}-PCL", f, "storage", _box(east.x + fcr_w, 0, east.x1, y_cor),
                                         "Parcel room"), corridor, 1.0)
        else:
            plan.add_door(plan.add_space(f"{tag}-RES", f, "room", west, f"Core {n} residents' room"), corridor, 1.0)
            plan.add_door(plan.add_space(f"{tag}-PCL", f, "storage", east, f"Core {n} parcel room"), corridor, 1.0)
        rects = _core_rects(core)
        for key in ("STA", "STB"):
            if key in rects:
                r = rects[key]
                plan.add_exit(f"EX-C{n}-ST{key[-1]}", f"{tag}-{key}", r.cx, r.y1, 1.2, f"Core {n} stair {key[-1]} exit")
        if core.core_x0 - core.x0 > 0.5:
            bikes = plan.add_space(f"{tag}-BIK", f, "storage", _box(core.x0, y_north, core.core_x0, y_top),
                                   f"Core {n} bicycle store")
            plan.add_door(bikes, corridor, 1.2)
        if core.x1 - core.core_x1 > 0.5:
            refuse = plan.add_space(f"{tag}-REF", f, "storage", _box(core.core_x1, y_north, core.x1, y_top),
                                    f"Core {n} refuse room")
            plan.add_door(refuse, corridor, 1.2)

    # Residential floors.
    for f in above[1:]:
        storey = int(f[1:])
        for core in layout:
            tag, n = f"{f}-C{core.number}", core.number
            corridor = plan.add_space(f"{tag}-COR", f, "corridor", _box(core.x0, y_cor, core.x1, y_north),
                                      f"Core {n} corridor, {storey}F")
            core_spaces(f, core, corridor)
            if f in refuge:
                plan.add_door(plan.add_space(f"{tag}-RFG", f, "room", _box(core.x0, 0, core.x1, y_cor),
                                             f"Core {n} refuge area, {storey}F"), corridor, 1.2, fire_door=True)
                for side, (xa, xb) in (("W", (core.x0, core.core_x0)), ("E", (core.core_x1, core.x1))):
                    if xb - xa > 0.5:
                        plan.add_door(plan.add_space(f"{tag}-PL{side}", f, "plant_room",
                                                     _box(xa, y_north, xb, y_top),
                                                     f"Core {n} refuge-floor plant room"), corridor, 1.0)
                continue
            units: list[_Rect] = []
            xs = _edges(core.x0, [core.length / core.south] * core.south)
            units += [_box(a, 0, b, y_cor) for a, b in zip(xs, xs[1:])]
            north = core.north_w + core.north_e
            if north:
                unit_w = (core.length - (core.core_x1 - core.core_x0)) / north
                xs = _edges(core.x0, [unit_w] * core.north_w)
                units += [_box(a, y_north, b, y_top) for a, b in zip(xs, xs[1:])]
                xs = _edges(core.core_x1, [unit_w] * core.north_e)
                units += [_box(a, y_north, b, y_top) for a, b in zip(xs, xs[1:])]
            for k, rect in enumerate(units, start=1):
                sid = plan.add_space(f"{tag}-A{k:02d}", f, "apartment", rect, f"Apartment {n}-{storey}{k:02d}")
                plan.add_door(sid, corridor, 1.0)
                apartments.append(sid)

    # Occupants: 1 + Poisson, mean in proportion to the apartment's area.
    areas = np.array([plan.rect[a].area for a in apartments])
    lam = np.maximum(persons_per_unit_mean * areas / areas.mean() - 1.0, 0.05)
    persons = np.minimum(1 + rng.poisson(lam), 8)
    for a, p in zip(apartments, persons):
        plan.space[a]["occupants"] = int(p)
    for s in plan.spaces:
        persons_by_floor[s["floor"]] += s.get("occupants", 0)

    # Stairs and lifts.
    for core in layout:
        for key in ("A", "B")[:stairs_per_core]:
            sid = f"ST-C{core.number}-{key}"
            plan.add_stair(sid, f"Core {core.number} stair {key}", stair_landings[sid], RES_STAIR_CLEAR_M,
                           riser_m=0.175, tread_m=0.26)
    travel = plan.elevation[above[-1]] - plan.elevation[basements[-1]]
    speed = lift_speed_mps(travel)
    for core in layout:
        shafts = _core_rects(core)["shafts"]
        cars = [_lift_car(f"L-C{core.number}-{k}", shaft, all_floors, speed, "F01", k == len(shafts))
                for k, shaft in enumerate(shafts, start=1)]
        plan.add_lift_group(f"LG-C{core.number}", f"Core {core.number} lifts", lobbies[core.number], cars)

    # Services.
    sv = _Services(above=above, basements=basements, persons_by_floor=dict(persons_by_floor),
                   water_l_per_person_day=250.0, water_peak_factor=2.5, water_hours=24.0,
                   hydrant_ls=20.0, hydrant_h=2.0, sprinkler_ls=30.0, sprinkler_h=1.0,
                   sprinkler_floors=basements[::-1] + ["F01"], pump_room=plant_ids["PMP"], tank_room=plant_ids["TNK"],
                   substation=plant_ids["SUB"], generator_room=plant_ids["GEN"], fire_control_room=fire_control,
                   fan_rooms=fan_rooms, car_park=car_park)
    _water_and_fire(plan, sv)
    _smoke_control(plan, sv)
    for core in layout:
        n = core.number
        _ahu(plan, f"AHU-LOBBY-C{n}", f"Core {n} entrance lobby AHU", fan_rooms[top_b],
             [f"F01-C{n}-LOB", f"F01-C{n}-COR"], cooling_w_m2=200.0)
    _lighting(plan, all_floors, {f: (car_park[f][0] if f in car_park else f"{f}-C1-COR") for f in all_floors})
    _fire_panel(plan, sv)
    _access_and_security(plan, sv, entrances)
    tenants = []
    for core in layout:
        n = core.number
        homes = [a for a in apartments if a.split("-")[1] == f"C{n}"]
        connected_kw = sum(_apartment_allowance_kw(plan.rect[a].area) for a in homes)
        tenants.append({"meter": f"MTR-E-RES-C{n}", "meter_name": f"Sub-meter, core {n} residential rising main",
                        "board": f"RM-C{n}", "kind": "residential_rising_main",
                        "name": f"Core {n} residential rising main (busway)", "location": f"F01-C{n}-COR",
                        "serves": homes, "connected_kw": connected_kw,
                        "demand_kw": round(connected_kw * household_demand_factor(len(homes)), 1)})
    _power(plan, sv, tenants)
    return plan.to_dict()


# --- Mixed-use podium ------------------------------------------------------------------------------

POD_BAND_M = 12.0          # shop / office depth from the façade
POD_GALLERY_M = 4.0
POD_STAIR_W_M, POD_STAIR_D_M, POD_STAIR_CLEAR_M = 4.0, 8.0, 1.8
POD_GROUND_H_M, POD_RETAIL_H_M, POD_OFFICE_H_M, POD_BASEMENT_H_M = 5.4, 5.0, 4.2, 4.2
POD_ENTRANCE_W_M = 10.0


def mixed_podium(*, building_id: str, name: str | None = None, floors: int = 5, retail_floors: int = 2,
                 basement_levels: int = 2, passenger_lifts: int = 4, length_m: float = 84.0, depth_m: float = 52.0,
                 seed: int = 0) -> dict[str, Any]:
    """A mixed-use podium around an atrium as a YAML-ready building dictionary (module docstring).

    ``floors`` storeys above ground (ground included), the lowest ``retail_floors`` of them shops (with
    restaurants on the top retail floor), offices above; ``basement_levels`` of car park and plant;
    one lift group of ``passenger_lifts`` cars plus a fire-service lift; a ``length_m`` × ``depth_m``
    footprint. Shop and office tenancy widths are drawn with ``seed``.
    """
    _require(2 <= floors <= 10, f"floors must be 2–10, got {floors}")
    _require(1 <= retail_floors <= floors, f"retail_floors must be 1–{floors}, got {retail_floors}")
    _require(1 <= basement_levels <= 3, f"basement_levels must be 1–3, got {basement_levels}")
    _require(1 <= passenger_lifts <= 6, f"passenger_lifts must be 1–6, got {passenger_lifts}")
    cars = passenger_lifts + 1
    block_w = POD_STAIR_W_M + SHAFT_M + LIFT_LOBBY_W_M + POD_GALLERY_M
    atrium_d = depth_m - 2 * (POD_BAND_M + POD_GALLERY_M)
    _require(atrium_d >= max(2 * POD_STAIR_D_M + 2.0, cars * SHAFT_M),
             f"depth_m {depth_m} leaves a {atrium_d:.1f} m atrium; need at least "
             f"{2 * (POD_BAND_M + POD_GALLERY_M) + max(2 * POD_STAIR_D_M + 2.0, cars * SHAFT_M):.1f} m")
    _require(length_m - 2 * block_w >= 30.0,
             f"length_m {length_m} leaves too short an atrium; need at least {2 * block_w + 30.0:.1f} m")
    rng = np.random.default_rng(seed)
    plan = _Plan(building_id=building_id, name=name or f"{building_id} mixed-use podium", use="mixed")
    W, D, S, g = float(length_m), float(depth_m), POD_BAND_M, POD_GALLERY_M
    y_gs, y_mid, y_gn, y_nb = S, S + g, S + g + atrium_d, S + 2 * g + atrium_d   # gallery S, middle, gallery N, N band
    xw, xe = block_w, W - block_w                       # atrium between
    gal_w = _box(xw - g, y_mid, xw, y_gn)
    gal_e = _box(xe, y_mid, xe + g, y_gn)
    stairs = {"W1": _box(0, y_mid, POD_STAIR_W_M, y_mid + POD_STAIR_D_M),
              "W2": _box(0, y_gn - POD_STAIR_D_M, POD_STAIR_W_M, y_gn),
              "E1": _box(W - POD_STAIR_W_M, y_mid, W, y_mid + POD_STAIR_D_M),
              "E2": _box(W - POD_STAIR_W_M, y_gn - POD_STAIR_D_M, W, y_gn)}
    ly0 = _snap(y_mid + (atrium_d - cars * SHAFT_M) / 2)
    shaft_x = POD_STAIR_W_M
    shafts = [_box(shaft_x, ly0 + k * SHAFT_M, shaft_x + SHAFT_M, ly0 + (k + 1) * SHAFT_M) for k in range(cars)]
    lift_lobby = _box(shaft_x + SHAFT_M, ly0, xw - g, ly0 + cars * SHAFT_M)
    east_room = (xe + g, W - POD_STAIR_W_M)             # x extent of the east block's rooms

    basements = [f"B{b}" for b in range(1, basement_levels + 1)]
    for b in range(basement_levels, 0, -1):
        plan.add_floor(f"B{b}", f"Basement {b}", -b * POD_BASEMENT_H_M, POD_BASEMENT_H_M)
    above = [f"F{k:02d}" for k in range(1, floors + 1)]
    z = 0.0
    for k, f in enumerate(above, start=1):
        h = POD_GROUND_H_M if k == 1 else POD_RETAIL_H_M if k <= retail_floors else POD_OFFICE_H_M
        plan.add_floor(f, "Ground floor (1F)" if k == 1 else f"{k}F", z, h)
        z += h
    all_floors = basements[::-1] + above

    landings: dict[str, list[str]] = {k: [] for k in stairs}
    lobbies: list[str] = []

    def stairs_and_lifts(f: str, corridor_w: str, stair_doors: dict[str, str]) -> None:
        """Stair landings (each with a door to ``stair_doors[key]``) and the lift lobby off the west side."""
        for key, rect in stairs.items():
            sid = plan.add_space(f"{f}-ST-{key}", f, "stair", rect, f"Stair {key}")
            plan.add_door(sid, stair_doors[key], 1.8, fire_door=True)
            landings[key].append(sid)
        ll = plan.add_space(f"{f}-LL", f, "lift_lobby", lift_lobby, "Lift lobby")
        plan.add_door(ll, corridor_w, 2.0, fire_door=True)
        lobbies.append(ll)

    # Basements: car park around the two end blocks' front rooms; plant rooms in the N (and S) bands,
    # opening onto the middle zone, with car-park zones left at both ends for the stairs.
    fan_rooms: dict[str, str] = {}
    car_park: dict[str, list[str]] = {}
    plant_ids: dict[str, str] = {}
    for b in basements[::-1]:  # lowest first: landings and lobbies run bottom to top
        plant = {"S": [], "N": []}
        if b == basements[0]:
            plant["N"] += [("SUB", "Substation (HV, transformers, LV switchboards)", 24.0),
                           ("GEN", "Generator room", 10.0)]
            plant["S"] += [("CHL", "Chiller room", 24.0)]
        if b == basements[-1]:
            plant["S" if b == basements[0] else "N"] += [("PMP", "Pump room", 18.0), ("TNK", "Water tank room", 20.0)]
        cor_w = plan.add_space(f"{b}-COR-W", b, "corridor", gal_w, "West lift lobby front room")
        cor_e = plan.add_space(f"{b}-COR-E", b, "corridor", gal_e, "East front room")
        mid = plan.add_space(f"{b}-CP-M", b, "car_park", _box(xw, y_mid, xe, y_gn), f"Car park {b}, middle")
        plan.add_door(cor_w, mid, 1.5, fire_door=True)
        plan.add_door(cor_e, mid, 1.5, fire_door=True)
        zones = [mid]
        stair_doors: dict[str, str] = {}
        for side, (ya, yb) in (("S", (0, y_mid)), ("N", (y_gn, D))):
            rooms = plant[side]
            label = "south" if side == "S" else "north"
            west_stair, east_stair = ("W1", "E1") if side == "S" else ("W2", "E2")
            if not rooms:
                zone = plan.add_space(f"{b}-CP-{side}", b, "car_park", _box(0, ya, W, yb), f"Car park {b}, {label}")
                plan.add_opening(zone, mid)
                plan.add_door(zone, cor_w, 1.5, fire_door=True)
                plan.add_door(zone, cor_e, 1.5, fire_door=True)
                zones.append(zone)
                stair_doors[west_stair] = stair_doors[east_stair] = zone
                continue
            p0 = xw + 4.0
            widths = [w for *_, w in rooms]
            room_len = sum(widths)
            if room_len > xe - 4.0 - p0:
                widths = [w * (xe - 4.0 - p0) / room_len for w in widths]
            xs = _edges(p0, widths)
            west = plan.add_space(f"{b}-CP-{side}W", b, "car_park", _box(0, ya, p0, yb),
                                  f"Car park {b}, {label}-west")
            east = plan.add_space(f"{b}-CP-{side}E", b, "car_park", _box(xs[-1], ya, W, yb),
                                  f"Car park {b}, {label}-east")
            for zone, cor in ((west, cor_w), (east, cor_e)):
                plan.add_opening(zone, mid)
                plan.add_door(zone, cor, 1.5, fire_door=True)
            zones += [west, east]
            stair_doors[west_stair], stair_doors[east_stair] = west, east
            for (key, room_name, _), xa, xb in zip(rooms, xs, xs[1:]):
                sid = plan.add_space(f"{b}-{key}", b, "plant_room", _box(xa, ya, xb, yb), f"{room_name} {b}")
                plan.add_door(sid, mid, 1.5, fire_door=True)
                plant_ids[key] = sid
        fan = plan.add_space(f"{b}-FAN", b, "plant_room", _box(east_room[0], y_mid, east_room[1], y_gn),
                             f"Fan room {b}")
        plan.add_door(fan, cor_e, 1.5, fire_door=True)
        fan_rooms[b] = fan
        car_park[b] = zones
        stairs_and_lifts(b, cor_w, stair_doors)

    # Above ground.
    shop_m2 = {1: 3.0}
    tenancy_count: Counter[tuple[str, str]] = Counter()
    entrances: list[str] = []
    location_of: dict[str, str] = {b: car_park[b][0] for b in basements}
    tenant_spaces: dict[str, list[str]] = {}
    fire_control = ""
    ahu_rooms: dict[str, str] = {}
    persons_by_floor: Counter[str] = Counter()
    for k, f in enumerate(above, start=1):
        retail = k <= retail_floors
        # The ring around the atrium: galleries (with shoppers, 5 m²/person) or office corridors.
        gal = {side: plan.add_space(f"{f}-GAL-{side}", f, "corridor", rect,
                                    f"{label} {'gallery' if retail else 'corridor'}",
                                    m2_per_person=5.0 if retail else None)
               for side, label, rect in (("S", "South", _box(0, y_gs, W, y_mid)),
                                         ("N", "North", _box(0, y_gn, W, y_nb)),
                                         ("W", "West", gal_w), ("E", "East", gal_e))}
        location_of[f] = gal["S"]
        for side in ("W", "E"):
            plan.add_opening(gal[side], gal["S"], 4.0)
            plan.add_opening(gal[side], gal["N"], 4.0)
        atrium = plan.add_space(f"{f}-ATR", f, "atrium", _box(xw, y_mid, xe, y_gn),
                                "Atrium court" if k == 1 else f"Atrium void, {k}F",
                                m2_per_person=5.0 if k == 1 else None, void=k != 1)
        for side in ("S", "N", "W", "E"):
            wall = _shared_wall_m(plan.rect[atrium], plan.rect[gal[side]])
            plan.add_door(atrium, gal[side], wall, kind="opening")
        stairs_and_lifts(f, gal["W"], {"W1": gal["S"], "E1": gal["S"], "W2": gal["N"], "E2": gal["N"]})
        # East block rooms.
        ex0, ex1 = east_room
        ym = _snap((y_mid + y_gn) / 2)
        if k == 1:
            mgt = plan.add_space(f"{f}-MGT", f, "management_office", _box(ex0, y_mid, ex1, ym), "Management office",
                                 occupants=10)
            fcr = plan.add_space(f"{f}-FCR", f, "room", _box(ex0, ym, ex1, y_gn), "Fire control room", occupants=2)
            plan.add_door(mgt, gal["E"], 1.0)
            plan.add_door(fcr, gal["E"], 1.0, fire_door=True)
            fire_control = fcr
        else:
            toilets = plan.add_space(f"{f}-WC", f, "toilet", _box(ex0, y_mid, ex1, ym), f"Toilets, {k}F")
            plan.add_door(toilets, gal["E"], 1.2)
            ahu_rooms[f] = plan.add_space(f"{f}-AHU", f, "plant_room", _box(ex0, ym, ex1, y_gn), f"AHU room, {k}F")
            plan.add_door(ahu_rooms[f], gal["E"], 1.2, fire_door=True)
        # Tenancies in the south and north bands.
        tenants: list[str] = []
        for side, (ya, yb) in (("S", (0, y_gs)), ("N", (y_nb, D))):
            if retail:
                kind = "restaurant" if (k == retail_floors and k > 1 and side == "N") else "shop"
                mean_w, load = (12.0, 2.5) if kind == "restaurant" else (9.0, shop_m2.get(k, 3.5))
            else:
                kind, mean_w, load = "office", 18.0, 10.0
            code = {"shop": "SH", "restaurant": "RS", "office": "OF"}[kind]
            if k == 1:
                ex_a = _snap(W / 2 - POD_ENTRANCE_W_M / 2)
                segments = [(0.0, ex_a), (ex_a + POD_ENTRANCE_W_M, W)]
                hall = plan.add_space(f"{f}-ENT-{side}", f, "lobby", _box(ex_a, ya, ex_a + POD_ENTRANCE_W_M, yb),
                                      f"{'South' if side == 'S' else 'North'} entrance hall")
                plan.add_door(hall, gal[side], 6.0, kind="opening")
                plan.add_exit(f"EX-{side}-MAIN", hall, W / 2, 0.0 if side == "S" else D, 6.0,
                              f"{'South' if side == 'S' else 'North'} main entrance")
                entrances.append(hall)
            else:
                segments = [(0.0, W)]
            for xa, xb in segments:
                xs = _edges(xa, _split(xb - xa, mean_w, rng))
                for a, bx in zip(xs, xs[1:]):
                    tenancy_count[f, code] += 1
                    n = tenancy_count[f, code]
                    sid = plan.add_space(f"{f}-{code}{n:02d}", f, kind, _box(a, ya, bx, yb),
                                         f"{kind.capitalize()} {k}F-{n:02d}", m2_per_person=load)
                    plan.add_door(sid, gal[side], 2.4 if kind != "office" else 1.2)
                    tenants.append(sid)
        tenant_spaces[f] = tenants
    # Ground-floor exits: gallery ends, and every stair straight outside.
    for side, label, y in (("S", "South", (y_gs + y_mid) / 2), ("N", "North", (y_gn + y_nb) / 2)):
        plan.add_exit(f"EX-{side}W", f"F01-GAL-{side}", 0.0, y, 3.0, f"{label} gallery west entrance")
        plan.add_exit(f"EX-{side}E", f"F01-GAL-{side}", W, y, 3.0, f"{label} gallery east entrance")
    for key, rect in stairs.items():
        plan.add_exit(f"EX-ST-{key}", f"F01-ST-{key}", 0.0 if key.startswith("W") else W, rect.cy, 1.8,
                      f"Stair {key} exit")

    for s in plan.spaces:
        persons_by_floor[s["floor"]] += _space_occupants(plan, s)

    for key in stairs:
        plan.add_stair(f"ST-{key}", f"Stair {key}", landings[key], POD_STAIR_CLEAR_M, riser_m=0.16, tread_m=0.28)
    travel = plan.elevation[above[-1]] - plan.elevation[basements[-1]]
    speed = lift_speed_mps(travel)
    car_list = [_lift_car(f"L-{k}", shaft, all_floors, speed, "F01", k == cars)
                for k, shaft in enumerate(shafts, start=1)]
    plan.add_lift_group("LG-1", "Main lifts", lobbies, car_list)

    sv = _Services(above=above, basements=basements, persons_by_floor=dict(persons_by_floor),
                   water_l_per_person_day=40.0, water_peak_factor=1.5, water_hours=12.0,
                   hydrant_ls=40.0, hydrant_h=2.0, sprinkler_ls=30.0, sprinkler_h=1.0, sprinkler_floors=all_floors,
                   pump_room=plant_ids["PMP"], tank_room=plant_ids["TNK"], substation=plant_ids["SUB"],
                   generator_room=plant_ids["GEN"], fire_control_room=fire_control, fan_rooms=fan_rooms,
                   car_park=car_park)
    _water_and_fire(plan, sv)
    _smoke_control(plan, sv)
    atria = [f"{f}-ATR" for f in above]
    atrium_volume = sum(plan.rect[a].area * plan.height[plan.space[a]["floor"]] for a in atria)
    sef_airflow = round(max(107_000.0, atrium_volume * 4.0), -3)  # GB 51251: 4 air changes, at least 107,000 m³/h
    sef_kw = _next_size(sef_airflow / 3600.0 * 0.8 / 0.65 * 1.1, MOTOR_SIZES_KW)
    plan.add_equipment("SEF-ATRIUM-1", "hvac", "smoke_exhaust_fan", "Atrium smoke exhaust fan",
                       ahu_rooms.get(above[-1], fan_rooms[basements[0]]),
                       rated={"airflow_m3h": sef_airflow, "static_pressure_kpa": 0.8, "power_kw": sef_kw},
                       serves=atria, load=("hvac", sef_kw, True))
    _ahu(plan, "AHU-ATRIUM-1", "Atrium AHU", fan_rooms[basements[0]], atria, air_changes_h=2.0, cooling_w_m2=60.0)
    for k, f in enumerate(above, start=1):
        serves = [f"{f}-GAL-{s}" for s in "SNWE"] + [s for s in plan.spaces_on(f, ("lobby",))]
        if k > retail_floors:
            serves += tenant_spaces[f]
        _ahu(plan, f"AHU-{f}", f"{'Retail galleries' if k <= retail_floors else 'Office floor'} AHU, {k}F",
             ahu_rooms.get(f, fan_rooms[basements[0]]), serves, air_changes_h=4.0)
    roof_room = ahu_rooms.get(above[-1], fan_rooms[basements[0]])
    _cooling_plant(plan, plant_ids["CHL"], roof_room, plan.elevation[above[-1]] + plan.height[above[-1]])
    _lighting(plan, all_floors, location_of)
    _fire_panel(plan, sv)
    _access_and_security(plan, sv, entrances + ["F01-LL"])
    tenants = []
    for f in above:
        spaces = tenant_spaces[f]
        connected_kw = round(sum(plan.rect[s].area * TENANT_W_PER_M2[plan.space[s]["kind"]] for s in spaces) / 1e3, 1)
        tenants.append({"meter": f"MTR-E-TEN-{f}", "meter_name": f"Sub-meter, tenants {f}", "board": f"DB-{f}",
                        "kind": "tenant_distribution_board", "name": f"Tenant distribution board, {f}",
                        "location": ahu_rooms.get(f, f"{f}-GAL-E"), "serves": spaces, "connected_kw": connected_kw,
                        "demand_kw": round(connected_kw * 0.7, 1)})
    _power(plan, sv, tenants)
    return plan.to_dict()


def _space_occupants(plan: _Plan, space: dict) -> int:
    if "occupants" in space:
        return int(space["occupants"])
    if "m2_per_person" in space:
        return int(math.floor(plan.rect[space["id"]].area / space["m2_per_person"]))
    return 0


# --- Writing YAML ---------------------------------------------------------------------------------

class _FlowMap(dict):
    pass


class _FlowList(list):
    pass


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # repeated lists are written out, never as &anchors
        return True


_Dumper.add_representer(_FlowMap, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))

_FLOW_LIMIT = 160


def _flow(obj: Any) -> Any:
    if isinstance(obj, dict):
        return _FlowMap((k, _flow(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return _FlowList(_flow(v) for v in obj)
    return obj


def _styled(obj: Any, top: bool = False) -> Any:
    """Small mappings on one line (``{x_m: 0, y_m: 0, …}``), larger ones as blocks of such lines."""
    if isinstance(obj, dict):
        if not top and len(repr(obj)) <= _FLOW_LIMIT:
            return _flow(obj)
        return {k: _styled(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if all(not isinstance(v, (dict, list, tuple)) for v in obj):
            return _FlowList(obj)
        return [_styled(v) for v in obj]
    return obj


_ONE_LINE_ITEMS = ("floors", "spaces", "doors", "exits")


def building_yaml(data: dict[str, Any], header_comment: str = "") -> str:
    """A building dictionary as readable YAML text, optionally under a ``#`` comment header.

    Floors, spaces, doors and exits take one line each; other small mappings (rects, ratings) are
    written inline, larger ones as blocks.
    """
    styled = {k: ([_flow(item) for item in v] if k in _ONE_LINE_ITEMS and isinstance(v, list) else _styled(v))
              for k, v in data.items()}
    body = yaml.dump(styled, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=180)
    head = "".join(f"# {line}".rstrip() + "\n" for line in header_comment.splitlines()) if header_comment else ""
    return head + body


def dump_building_yaml(data: dict[str, Any], path: str | Path, header_comment: str = "") -> Path:
    """Write a building dictionary to ``path`` as readable YAML (see :func:`building_yaml`)."""
    path = Path(path)
    path.write_text(building_yaml(data, header_comment), encoding="utf-8", newline="\n")
    return path
