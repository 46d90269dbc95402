"""The building specification: what a managed building *is*.

A building is described once, in a YAML file, by the people who run it: its floors; the spaces on
each floor (apartments, offices, shops, corridors, lobbies, stair landings, lift lobbies, plant
rooms, the car park…) with their footprints and occupants; the doors and openings between spaces;
the stairs that join landings floor to floor; the elevator groups and their cars; the equipment
(pumps, transformers and switchgear, the fire alarm panel, AHUs, lighting circuits, meters) and
what each feeds or serves; and the final exits to the outside.

These pydantic models check each field's type and range. What needs the whole document (that an
id a door refers to exists, that a door joins spaces on one floor, that every space reaches an exit)
is checked by :mod:`twin.loader`, which turns every problem into a message naming the file, the
field path and the offending value.

Units are in the field names (``width_m``, ``power_kw``); lengths are metres, times seconds.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, model_validator

from twin.text import Text, text

__all__ = [
    "Id",
    "SPACE_KINDS",
    "SPACE_KIND_WORDS",
    "space_kind_words",
    "readable_code",
    "SYSTEMS",
    "SYSTEM_WORDS",
    "EQUIPMENT_KIND_WORDS",
    "system_words",
    "equipment_kind_words",
    "Site",
    "Floor",
    "Rect",
    "Space",
    "Door",
    "Stair",
    "ElevatorCar",
    "ElevatorGroup",
    "FireZone",
    "Equipment",
    "Exit",
    "Building",
]

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$", min_length=1, max_length=64)]

SpaceKind = Literal[
    "apartment",
    "office",
    "shop",
    "restaurant",
    "corridor",
    "lobby",
    "atrium",
    "stair",
    "lift_lobby",
    "plant_room",
    "car_park",
    "management_office",
    "toilet",
    "storage",
    "room",
]
SPACE_KINDS: tuple[str, ...] = get_args(SpaceKind)

SPACE_KIND_WORDS: dict[str, Text] = {
    "apartment": text("Flat", "住宅"),
    "office": text("Office", "办公室"),
    "shop": text("Shop", "商铺"),
    "restaurant": text("Restaurant", "餐厅"),
    "corridor": text("Corridor", "走廊"),
    "lobby": text("Lobby", "大堂"),
    "atrium": text("Atrium", "中庭"),
    "stair": text("Stair", "楼梯间"),
    "lift_lobby": text("Lift lobby", "电梯前室"),
    "plant_room": text("Plant room", "设备间"),
    "car_park": text("Car park", "停车库"),
    "management_office": text("Management office", "物业管理处"),
    "toilet": text("Toilet", "卫生间"),
    "storage": text("Storage", "储藏间"),
    "room": text("Room", "房间"),
}
"""What each :data:`SpaceKind` is called, in both languages: the room labels of the 3D picture
(:func:`viewer.scene.room_label`), the console's pickers and 3D card (:mod:`viewer.i18n` serves them
as ``space_kind.{code}``), the run notes that name kinds of space. Every kind has its words
(``tests/test_i18n_complete.py`` checks)."""

System = Literal["elevator", "pump", "power", "fire", "hvac", "lighting", "meter", "water", "access", "security"]
SYSTEMS: tuple[str, ...] = get_args(System)

# --- what a person reads for a system and a kind of equipment ------------------------------------

SYSTEM_WORDS: dict[str, Text] = {
    "elevator": text("Lifts", "电梯"),
    "pump": text("Pumps", "水泵"),
    "power": text("Power", "供配电"),
    "fire": text("Fire alarm", "火灾报警"),
    "hvac": text("HVAC", "暖通空调"),
    "lighting": text("Lighting", "照明"),
    "meter": text("Meters", "计量表"),
    "water": text("Water", "给排水"),
    "access": text("Access control", "门禁"),
    "security": text("Security", "安防"),
}
"""What each :data:`System` is called, in both languages: the console's menus, tables and pickers
(:mod:`viewer.i18n` serves them to the console as ``system.{code}``). Every system has its words
(``tests/test_i18n_complete.py`` checks)."""

EQUIPMENT_KIND_WORDS: dict[str, Text] = {
    # lifts
    "lift_car": text("Lift car", "电梯轿厢"),
    "elevator_car": text("Lift car", "电梯轿厢"),
    # pumps
    "chilled_water_pump": text("Chilled water pump", "冷冻水泵"),
    "condenser_water_pump": text("Condenser water pump", "冷却水泵"),
    "domestic_booster_pump": text("Domestic water booster pump", "生活给水加压泵"),
    "domestic_pump": text("Domestic water pump", "生活给水泵"),
    "booster_pump": text("Booster pump", "加压泵"),
    "fire_pump": text("Fire pump", "消防水泵"),
    "fire_hydrant_pump": text("Fire hydrant pump", "消火栓泵"),
    "fire_sprinkler_pump": text("Sprinkler pump", "喷淋泵"),
    "fire_jockey_pump": text("Fire jockey pump", "消防稳压泵"),
    "sump_pump": text("Sump pump", "潜水排污泵"),
    # power
    "transformer": text("Transformer", "变压器"),
    "hv_switchgear": text("HV switchgear", "高压开关柜"),
    "lv_switchgear": text("LV switchgear", "低压开关柜"),
    "switchgear": text("Switchgear", "开关柜"),
    "switchboard": text("Switchboard", "配电柜"),
    "automatic_transfer_switch": text("Automatic transfer switch", "双电源自动转换开关"),
    "diesel_generator": text("Diesel generator", "柴油发电机组"),
    "generator": text("Generator", "发电机组"),
    "residential_rising_main": text("Residential rising main", "住宅竖向配电干线"),
    "tenant_distribution_board": text("Tenant distribution board", "租户配电箱"),
    # fire alarm
    "fire_alarm_panel": text("Fire alarm control panel", "火灾报警控制器"),
    # HVAC
    "air_handling_unit": text("Air handling unit", "空气处理机组"),
    "ahu": text("Air handling unit", "空气处理机组"),
    "water_cooled_chiller": text("Water-cooled chiller", "水冷冷水机组"),
    "chiller": text("Chiller", "冷水机组"),
    "cooling_tower": text("Cooling tower", "冷却塔"),
    "smoke_exhaust_fan": text("Smoke exhaust fan", "排烟风机"),
    "stair_pressurisation_fan": text("Stair pressurisation fan", "楼梯间正压送风机"),
    "car_park_exhaust_fan": text("Car park exhaust fan", "车库排风机"),
    # lighting
    "lighting_circuit": text("Lighting circuit", "照明回路"),
    "emergency_lighting": text("Emergency lighting", "应急照明"),
    # meters
    "electricity_meter": text("Electricity meter", "电表"),
    "main_electricity_meter": text("Main electricity meter", "总电表"),
    "water_meter": text("Water meter", "水表"),
    "main_water_meter": text("Main water meter", "总水表"),
    # water
    "break_tank": text("Break tank", "断流水箱"),
    "water_tank": text("Water tank", "水箱"),
    "fire_water_tank": text("Fire water tank", "消防水池"),
    # access and security
    "door_access_controller": text("Door access controller", "门禁控制器"),
    "access_controller": text("Access controller", "门禁控制器"),
    "cctv_recorder": text("CCTV recorder", "视频监控录像机"),
}
"""What each kind of equipment the shipped buildings (and the generator, :mod:`twin.generate`) use
is called, in both languages. ``Equipment.kind`` is free text, so a building file may name a kind
not here: :func:`equipment_kind_words` then reads its code name as words."""

_ACRONYMS = frozenset({"ahu", "ats", "cctv", "dhw", "fcu", "hv", "hvac", "led", "lv", "mcc", "mv", "nvr", "ups",
                       "vav", "vfd"})
"""Parts of a code name read as capitals (``lv_board`` → "LV board"); the console's ``readableCode``
(viewer/console/static/dashboard.js) reads a code name it has no words for the same way."""


def readable_code(code: str) -> Text:
    """A code name as words (``fire_jockey_pump`` → "Fire jockey pump"), the same in both languages:
    the best we can do for a kind nobody declared words for. Not ASCII: the name as it is."""
    if not code.isascii():
        return {"en": code, "zh-CN": code}
    parts = [p for p in code.replace("-", "_").replace(" ", "_").split("_") if p]
    if not parts:
        return {"en": code, "zh-CN": code}
    words = " ".join(p.upper() if p.lower() in _ACRONYMS else p.lower() for p in parts)
    words = words[:1].upper() + words[1:]
    return {"en": words, "zh-CN": words}


def system_words(system: str) -> Text:
    """A system's words in both languages (its code name as words for one that is not a :data:`System`)."""
    return SYSTEM_WORDS.get(system) or readable_code(system)


def space_kind_words(kind: str) -> Text:
    """A kind of space's words in both languages (its code name as words for one that is not a
    :data:`SpaceKind`)."""
    return SPACE_KIND_WORDS.get(kind) or readable_code(kind)


def equipment_kind_words(kind: str) -> Text:
    """A kind of equipment's words in both languages: :data:`EQUIPMENT_KIND_WORDS`, matched without
    regard to case, hyphens or spaces; else the code name read as words (in both languages)."""
    return (EQUIPMENT_KIND_WORDS.get(kind)
            or EQUIPMENT_KIND_WORDS.get(kind.strip().lower().replace("-", "_").replace(" ", "_"))
            or readable_code(kind))

# A rated figure's key must say its unit, e.g. ``power_kw`` or ``flow_m3h``.
UNIT_SUFFIXES = (
    "_kw", "_kva", "_kwh", "_w", "_v", "_kv", "_a", "_hz", "_m", "_mm", "_m2", "_m3", "_m3h", "_ls",
    "_kpa", "_bar", "_mps", "_mps2", "_s", "_h", "_kg", "_persons", "_c", "_pct", "_rpm", "_lm",
    "_count", "_cny", "_pf",
)
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Coordinate = Annotated[float, Field(allow_inf_nan=False)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Site(_Spec):
    """Where the building stands and who runs it."""

    name: str = "Unnamed site"
    address: str | None = None
    city: str | None = None
    country: str | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None
    timezone: str = "Asia/Shanghai"
    operator: str | None = None


class Floor(_Spec):
    """A storey: its finished-floor elevation and its floor-to-floor height."""

    id: Id
    name: str | None = None
    elevation_m: Coordinate
    height_m: PositiveFloat = 3.0


class Rect(_Spec):
    """An axis-aligned rectangle on the floor plan, corner (x, y), in metres."""

    x_m: Coordinate
    y_m: Coordinate
    width_m: PositiveFloat
    depth_m: PositiveFloat


class Space(_Spec):
    """A space on one floor: a room, an apartment, a corridor, a stair landing, a lift lobby…

    The footprint is a ``rect`` or a ``polygon`` (at least three (x, y) points in metres). Occupants
    are given as a count (``occupants``) or as a design load (``m2_per_person``, floor area per
    person); a space with neither is empty.
    """

    id: Id
    floor: Id
    kind: SpaceKind
    name: str | None = None
    rect: Rect | None = None
    polygon: list[tuple[Coordinate, Coordinate]] | None = Field(default=None, min_length=3)
    area_m2: PositiveFloat | None = None
    occupants: Annotated[int, Field(ge=0)] | None = None
    m2_per_person: PositiveFloat | None = None
    aset_s: PositiveFloat | None = None
    void: bool = False
    """Part of a multi-storey void (an atrium above its lowest floor): smoke and sight cross it,
    people do not stand or walk in it."""

    @model_validator(mode="after")
    def _one_footprint(self) -> "Space":
        if self.rect is None and self.polygon is None:
            raise ValueError("a space needs a footprint: give 'rect' or 'polygon'")
        if self.rect is not None and self.polygon is not None:
            raise ValueError("give either 'rect' or 'polygon', not both")
        if self.occupants is not None and self.m2_per_person is not None:
            raise ValueError("give either 'occupants' or 'm2_per_person', not both")
        if self.void and (self.occupants or self.m2_per_person is not None):
            raise ValueError("a void holds no occupants: drop 'occupants' / 'm2_per_person' or 'void'")
        if self.polygon is not None and _polygon_area(self.polygon) <= 0:
            raise ValueError(f"polygon {self.polygon!r} has no area")
        # Huge coordinates overflow to inf/nan, and the occupant count of such an area is no number.
        if not math.isfinite(self.floor_area_m2):
            raise ValueError("the footprint is too large: its area is not a finite number")
        if self.m2_per_person is not None and not math.isfinite(self.floor_area_m2 / self.m2_per_person):
            raise ValueError(f"m2_per_person {self.m2_per_person!r} gives no finite number of occupants")
        return self

    @property
    def outline(self) -> list[tuple[float, float]]:
        """The footprint as a closed-free list of (x, y) points."""
        if self.rect is not None:
            r = self.rect
            return [(r.x_m, r.y_m), (r.x_m + r.width_m, r.y_m),
                    (r.x_m + r.width_m, r.y_m + r.depth_m), (r.x_m, r.y_m + r.depth_m)]
        return list(self.polygon or [])

    @property
    def floor_area_m2(self) -> float:
        """The given area, or the footprint's area when none is given."""
        if self.area_m2 is not None:
            return self.area_m2
        return _polygon_area(self.outline)

    @property
    def centroid(self) -> tuple[float, float]:
        pts = self.outline
        return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))

    @property
    def occupant_count(self) -> int:
        if self.occupants is not None:
            return self.occupants
        if self.m2_per_person is not None:
            return int(math.floor(self.floor_area_m2 / self.m2_per_person))
        return 0


def _polygon_area(points: list[tuple[float, float]]) -> float:
    """Shoelace area of a simple polygon (absolute value)."""
    n = len(points)
    twice = sum(points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1] for i in range(n))
    return abs(twice) / 2.0


class Door(_Spec):
    """A door or opening between two spaces on one floor, or between a space and a final exit."""

    id: Id
    between: tuple[Id, Id]
    width_m: PositiveFloat
    kind: Literal["door", "opening"] = "door"
    fire_door: bool = False
    length_m: NonNegativeFloat = 0.3

    @model_validator(mode="after")
    def _two_sides(self) -> "Door":
        if self.between[0] == self.between[1]:
            raise ValueError(f"a door joins two different spaces, got {list(self.between)!r}")
        return self


class Stair(_Spec):
    """A stair: its landings (spaces of kind ``stair``), bottom to top, one per floor it serves.

    Each flight joins two consecutive landings (one landing on every floor the stair passes).
    ``width_m`` is the flight's clear width as GB 50016 measures it: wall face to wall face, or to a
    handrail's centre line on a side that has one; ``handrails`` counts the handrails (default one
    each side). The evacuation's SFPE effective width takes 0.09 m off for each handrail and 0.15 m
    for each side without one (:func:`twin.graph.effective_width`). ``flight_length_m`` is the walking length along
    the slope from one floor to the next (both half-flights and the intermediate landing); when
    it is missing it is derived from the floor height and riser/tread.
    """

    id: Id
    name: str | None = None
    landings: list[Id] = Field(min_length=2)
    width_m: PositiveFloat
    riser_m: Annotated[float, Field(gt=0.1, lt=0.25)] = 0.175
    tread_m: Annotated[float, Field(gt=0.2, lt=0.4)] = 0.28
    flight_length_m: PositiveFloat | None = None
    handrails: Annotated[int, Field(ge=0, le=4)] = 2
    pressurised: bool = False


class ElevatorCar(_Spec):
    """One elevator car in its shaft, with the figures its kinematics need."""

    id: Id
    shaft: Rect
    floors_served: list[Id] = Field(min_length=2)
    capacity_persons: Annotated[int, Field(gt=0)]
    capacity_kg: PositiveFloat
    rated_speed_mps: PositiveFloat
    acceleration_mps2: PositiveFloat = 1.0
    jerk_mps3: PositiveFloat = 1.5
    door_open_s: PositiveFloat = 2.5
    door_close_s: PositiveFloat = 3.0
    fire_service: bool = False
    home_floor: Id | None = None


class ElevatorGroup(_Spec):
    """Cars dispatched together, and the lobby on each floor where people wait for them."""

    id: Id
    name: str | None = None
    lobbies: list[Id] = Field(min_length=2)
    cars: list[ElevatorCar] = Field(min_length=1)


class FireZone(_Spec):
    """A detection zone of the fire alarm panel."""

    id: Id
    floor: Id
    spaces: list[Id] = Field(default_factory=list)


class Equipment(_Spec):
    """A piece of equipment the twin mirrors and the models reason about.

    ``rated`` holds nameplate figures whose keys carry their unit (``power_kw``, ``flow_m3h``,
    ``head_m``, ``voltage_kv``). ``feeds`` lists equipment this one supplies (a transformer feeds a
    switchboard, a switchboard feeds a pump); ``serves`` lists spaces or floors it serves. The
    ``interval_s`` is how often it is expected to report live state. ``kind`` is free text; a person
    reads it as its words (:func:`equipment_kind_words`), the system as :data:`SYSTEM_WORDS`.
    """

    id: Id
    system: System
    kind: str = Field(min_length=1, max_length=64)
    name: str | None = None
    location: Id
    position: tuple[Coordinate, Coordinate, Coordinate] | None = None
    rated: dict[str, Annotated[float, Field(allow_inf_nan=False)]] = Field(default_factory=dict)
    feeds: list[Id] = Field(default_factory=list)
    serves: list[Id] = Field(default_factory=list)
    zones: list[FireZone] = Field(default_factory=list)
    interval_s: PositiveFloat = 10.0

    @model_validator(mode="after")
    def _units_in_names(self) -> "Equipment":
        for key in self.rated:
            if not key.endswith(UNIT_SUFFIXES):
                raise ValueError(
                    f"rated figure {key!r} does not name its unit; use a suffix such as _kw, _m3h, _m, _kv"
                )
        return self


class Exit(_Spec):
    """A final exit: a door to the outside (or to a place of safety) at ground level."""

    id: Id
    floor: Id
    name: str | None = None
    x_m: Coordinate
    y_m: Coordinate
    width_m: PositiveFloat | None = None


class Building(_Spec):
    """A whole building, as its operators describe it."""

    schema_version: Literal[1] = 1
    id: Id
    name: str
    use: Literal["residential", "office", "retail", "mixed", "other"] = "residential"
    site: Site = Field(default_factory=Site)
    year_built: Annotated[int, Field(ge=1800, le=2100)] | None = None
    floors: list[Floor] = Field(min_length=1)
    spaces: list[Space] = Field(min_length=1)
    doors: list[Door] = Field(default_factory=list)
    stairs: list[Stair] = Field(default_factory=list)
    elevators: list[ElevatorGroup] = Field(default_factory=list)
    equipment: list[Equipment] = Field(default_factory=list)
    exits: list[Exit] = Field(min_length=1)
    _load_warnings: tuple = PrivateAttr(default=())

    @property
    def load_warnings(self) -> tuple:
        """The warnings the loader found in the building's file (:class:`twin.checks.BuildingWarning`:
        ``file``, ``path``, ``name``, ``message``; ``str()`` is the printed line). Empty for a
        building made in code and for a file without any."""
        return self._load_warnings

    # Look-ups by id; the model is frozen so these never go stale.
    @cached_property
    def floor_by_id(self) -> dict[str, Floor]:
        return {f.id: f for f in self.floors}

    @cached_property
    def space_by_id(self) -> dict[str, Space]:
        return {s.id: s for s in self.spaces}

    @cached_property
    def exit_by_id(self) -> dict[str, Exit]:
        return {e.id: e for e in self.exits}

    @cached_property
    def equipment_by_id(self) -> dict[str, Equipment]:
        return {e.id: e for e in self.equipment}

    @cached_property
    def car_by_id(self) -> dict[str, ElevatorCar]:
        return {c.id: c for g in self.elevators for c in g.cars}

    @property
    def total_occupants(self) -> int:
        return sum(s.occupant_count for s in self.spaces)

    def floor_index(self, floor_id: str) -> int:
        """Position of a floor in elevation order (0 = lowest)."""
        order = sorted(self.floors, key=lambda f: f.elevation_m)
        return [f.id for f in order].index(floor_id)
