"""Geometric and physical checks of a building file: the mistakes that change a result.

A building file can be valid field by field and still describe a building that cannot exist: a
door between two rooms on opposite sides of the floor, a stair that jumps from the ground floor to
the third, a door 1,200 m wide (millimetres typed as metres), two flats drawn on top of each other,
a pump that feeds itself. The evacuation model would run on such a file and give a figure; nobody
would be told that the figure belongs to a different building. These checks run whenever a
building is loaded (:func:`twin.loader.parse_building`) and sort what they find in two:

* an **error** where the file cannot be meant (the door's rooms do not touch, a lift at 1,000 m/s):
  the building is refused, with every other problem of the file;
* a **warning** where it may be intended but changes a result (a floor height that disagrees with
  the next floor's elevation, an exit whose width disagrees with its door's): the building loads,
  and ``twin validate``, the API's validate answer and the building itself
  (:attr:`twin.spec.Building.load_warnings`) say so.

Every finding has a name (``door-spaces-apart``, ``exit-width-differs``), a field path and a
message with the value and its unit. The README's building-file section lists them all.

Geometry is plain plane geometry on the footprints (rectangles or simple polygons, metres):
walls are the footprints' edges; two spaces *touch* where an edge of one faces an edge of the
other no further apart than the door's depth (``length_m``, the wall it passes through) plus
:data:`WALL_TOLERANCE_M`; the *shared wall* is the length over which they face each other.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from twin.spec import Building, Space

__all__ = [
    "WALL_TOLERANCE_M",
    "OVERLAP_TOLERANCE_M2",
    "DENSEST_DESIGN_LOAD_M2_PER_PERSON",
    "Finding",
    "BuildingWarning",
    "RANGES",
    "unit_of",
    "with_unit",
    "shared_wall",
    "overlap_area_m2",
    "find_problems",
]

# Coordinates written by hand rarely add up exactly: walls closer than this are one wall.
WALL_TOLERANCE_M = 0.01
# Two spaces on one floor may overlap by a sliver (a centimetre along a 10 m wall) before it counts.
OVERLAP_TOLERANCE_M2 = 0.1
# The densest design load of the codes: NFPA 101's waiting spaces, 0.28 m² (3 ft²) per person (the
# SFPE Handbook's standing spectators are about 0.3). A load denser than this is a warning; beyond
# the jam density, 0.266 m² per person, it is an error (twin.loader.MAX_OCCUPANT_DENSITY_PPM2).
DENSEST_DESIGN_LOAD_M2_PER_PERSON = 0.28

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem found by a check: where (a document location), what, and how bad."""

    severity: Severity
    loc: tuple
    name: str
    message: str


@dataclass(frozen=True)
class BuildingWarning:
    """A warning about a building file that still loads: where it is, its name and what it says."""

    file: str
    path: str
    name: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: warning ({self.name}): {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "path": self.path, "name": self.name, "message": self.message}


# --- units ---------------------------------------------------------------------------------------

_UNIT_DISPLAY = (  # longest suffix first
    ("_mps3", "m/s³"), ("_mps2", "m/s²"), ("_mps", "m/s"), ("_m3h", "m³/h"), ("_m2", "m²"), ("_m3", "m³"),
    ("_persons", "persons"), ("_kwh", "kWh"), ("_kva", "kVA"), ("_kw", "kW"), ("_kv", "kV"), ("_kg", "kg"),
    ("_kpa", "kPa"), ("_mm", "mm"), ("_m", "m"), ("_s", "s"), ("_h", "h"), ("_pct", "%"),
)


def unit_of(field: str) -> str | None:
    """The display unit a field's name declares (``width_m`` → ``m``), or None."""
    if field == "m2_per_person":
        return "m² per person"
    for suffix, unit in _UNIT_DISPLAY:
        if field.endswith(suffix):
            return unit
    return None


def with_unit(field: str, message: str) -> str:
    """A range message of pydantic with the field's unit after each number:
    ``Input should be less than 0.25 (got 0.5)`` → ``... less than 0.25 m (got 0.5 m)``."""
    unit = unit_of(field)
    if unit is None or not message.startswith("Input should be"):
        return message
    number = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"
    message = re.sub(rf"(than(?: or equal to)? )({number})", rf"\1\2 {unit}", message)
    return re.sub(rf"\(got ({number})\)$", rf"(got \1 {unit})", message)


def _fmt(value: float) -> str:
    """A figure as a person writes it: 1,200, 0.01, 1e+06."""
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3g}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Range:
    """Plausible values of one kind of figure: outside ``error_low``–``error_high`` the file cannot be
    meant; outside ``warn_low``–``warn_high`` it may be, but is unusual enough to say."""

    what: str
    unit: str
    error_low: float | None
    warn_low: float | None
    warn_high: float | None
    error_high: float | None
    source: str = ""


RANGES: dict[str, Range] = {
    "door.width_m": Range("a door's clear width", "m", 0.3, 0.6, None, 20.0,
                          "escape doors are at least 0.9 m clear, GB 50016 §5.5.18 and §5.5.30"),
    "opening.width_m": Range("an opening's clear width", "m", 0.3, 0.6, None, 2000.0,
                             "an opening is at most as wide as the wall its spaces share"),
    "door.length_m": Range("a door's passage depth", "m", None, None, 2.0, 20.0, "a wall is 0.1–0.6 m thick"),
    "exit.width_m": Range("an exit's clear width", "m", 0.3, 0.6, None, 50.0),
    "stair.width_m": Range("a stair's clear width", "m", 0.5, 0.8, 5.0, 10.0,
                           "escape stairs are at least 1.0–1.1 m clear, GB 50016 §5.5.18 and §5.5.30"),
    "floor.height_m": Range("a storey's height", "m", 1.5, 2.2, 12.0, 100.0),
    "floor.elevation_m": Range("a floor's elevation", "m", -200.0, None, None, 1000.0),
    "space.size_m": Range("a space's side", "m", 0.1, 0.5, 500.0, 2000.0),
    "space.coordinate_m": Range("a plan coordinate", "m", -10000.0, None, None, 10000.0),
    "space.m2_per_person": Range("a design load", "m² per person", None, None, 1000.0, None),
    "space.aset_s": Range("an available safe egress time", "s", 10.0, 30.0, 7200.0, 86400.0),
    "car.rated_speed_mps": Range("a lift's rated speed", "m/s", 0.1, 0.25, 10.0, 25.0,
                                 "the fastest lifts in service run at about 21 m/s"),
    "car.capacity_persons": Range("a lift car's capacity", "persons", None, None, 50.0, 100.0),
    "car.capacity_kg": Range("a lift car's rated load", "kg", 100.0, 300.0, 5000.0, 20000.0),
    "car.acceleration_mps2": Range("a lift's acceleration", "m/s²", 0.05, 0.3, 2.0, 5.0),
    "car.jerk_mps3": Range("a lift's jerk", "m/s³", 0.1, 0.3, 3.0, 10.0),
    "car.door_s": Range("a lift door's time", "s", 0.2, 0.8, 20.0, 120.0),
    "car.shaft_m": Range("a lift shaft's side", "m", 0.5, 1.0, 8.0, 50.0),
}


def _range_finding(key: str, loc: tuple, value: float, subject: str) -> Finding | None:
    r = RANGES[key]
    low_err = r.error_low is not None and value < r.error_low
    high_err = r.error_high is not None and value > r.error_high
    if low_err or high_err:
        hint = ""
        if r.unit == "m" and high_err and r.error_low is not None and r.error_low <= value / 1000 <= (r.error_high or 0):
            hint = f"; was it given in millimetres ({_fmt(value)} mm = {_fmt(value / 1000)} m)?"
        bounds = f"{_fmt(r.error_low)} to {_fmt(r.error_high)} {r.unit}" if r.error_low is not None and \
            r.error_high is not None else (f"at least {_fmt(r.error_low)} {r.unit}" if r.error_low is not None
                                           else f"at most {_fmt(r.error_high)} {r.unit}")
        return Finding("error", loc, "implausible-value",
                       f"{subject} {_fmt(value)} {r.unit} is not {r.what} ({bounds}){hint}")
    if (r.warn_low is not None and value < r.warn_low) or (r.warn_high is not None and value > r.warn_high):
        low = value < (r.warn_low if r.warn_low is not None else -math.inf)
        bound = f"below {_fmt(r.warn_low)} {r.unit}" if low else f"above {_fmt(r.warn_high)} {r.unit}"  # type: ignore[arg-type]
        source = f" ({r.source})" if r.source else ""
        return Finding("warning", loc, "unusual-value",
                       f"{subject} {_fmt(value)} {r.unit} is unusual for {r.what}: {bound}{source}")
    return None


# --- plane geometry ------------------------------------------------------------------------------

Point = tuple[float, float]


def _signed_area(points: Sequence[Point]) -> float:
    n = len(points)
    return sum(points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1] for i in range(n)) / 2


def _ccw(points: Sequence[Point]) -> list[Point]:
    """The outline counter-clockwise (so every edge's outward normal is on its right)."""
    pts = [(float(x), float(y)) for x, y in points]
    return pts if _signed_area(pts) >= 0 else pts[::-1]


def _edges(points: Sequence[Point]) -> list[tuple[Point, Point]]:
    n = len(points)
    return [(points[i], points[(i + 1) % n]) for i in range(n) if points[i] != points[(i + 1) % n]]


def _bbox(points: Sequence[Point]) -> tuple[float, float, float, float]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def shared_wall(a: Sequence[Point], b: Sequence[Point], depth_m: float = 0.0) -> tuple[float, Point | None]:
    """The longest stretch of wall over which footprints ``a`` and ``b`` face each other.

    An edge of ``a`` and an edge of ``b`` face each other when they are parallel, ``b``'s edge lies
    outside ``a`` no further than ``depth_m`` + :data:`WALL_TOLERANCE_M` from ``a``'s edge (the wall
    between them), and their extents along the wall overlap. Returns (length in m, its midpoint on
    ``a``'s edge), or (0, None) when they do not face each other anywhere.
    """
    pa, pb = _ccw(a), _ccw(b)
    reach = depth_m + WALL_TOLERANCE_M
    best = (0.0, None)
    for (ax0, ay0), (ax1, ay1) in _edges(pa):
        length_a = math.hypot(ax1 - ax0, ay1 - ay0)
        ux, uy = (ax1 - ax0) / length_a, (ay1 - ay0) / length_a  # along the wall
        nx, ny = uy, -ux                                         # outward normal of a ccw outline
        for (bx0, by0), (bx1, by1) in _edges(pb):
            length_b = math.hypot(bx1 - bx0, by1 - by0)
            if abs((bx1 - bx0) * uy - (by1 - by0) * ux) > 1e-3 * length_b:
                continue  # not parallel
            d0 = (bx0 - ax0) * nx + (by0 - ay0) * ny
            d1 = (bx1 - ax0) * nx + (by1 - ay0) * ny
            if not (-WALL_TOLERANCE_M <= d0 <= reach and -WALL_TOLERANCE_M <= d1 <= reach):
                continue
            t0 = (bx0 - ax0) * ux + (by0 - ay0) * uy
            t1 = (bx1 - ax0) * ux + (by1 - ay0) * uy
            lo, hi = max(0.0, min(t0, t1)), min(length_a, max(t0, t1))
            if hi - lo > best[0]:
                mid = (lo + hi) / 2
                best = (hi - lo, (ax0 + ux * mid, ay0 + uy * mid))
    return best


def _segment_distance(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def _segments_intersect(p1: Point, p2: Point, p3: Point, p4: Point) -> bool:
    def orient(a: Point, b: Point, c: Point) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    d1, d2 = orient(p3, p4, p1), orient(p3, p4, p2)
    d3, d4 = orient(p1, p2, p3), orient(p1, p2, p4)
    return d1 * d2 < 0 and d3 * d4 < 0


def outline_gap_m(a: Sequence[Point], b: Sequence[Point]) -> float:
    """The shortest distance between two outlines (0 when they cross)."""
    ea, eb = _edges(list(a)), _edges(list(b))
    if any(_segments_intersect(p, q, r, s) for p, q in ea for r, s in eb):
        return 0.0
    return min(min(_segment_distance(p, r, s) for p, _ in ea for r, s in eb),
               min(_segment_distance(r, p, q) for r, _ in eb for p, q in ea))


def nearest_wall(point: Point, outline: Sequence[Point]) -> tuple[float, float]:
    """(distance from ``point`` to the outline, length of the longest edge within that distance +
    tolerance), in metres: how far a point is from the walls and how long the wall it is on is."""
    edges = _edges(list(outline))
    distances = [(_segment_distance(point, p, q), math.dist(p, q)) for p, q in edges]
    d = min(dist for dist, _ in distances)
    return d, max(length for dist, length in distances if dist <= d + WALL_TOLERANCE_M)


def self_crossing(outline: Sequence[Point]) -> tuple[int, int] | None:
    """The first two non-adjacent edges of an outline that cross each other, or None."""
    edges = _edges(list(outline))
    n = len(edges)
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue
            if _segments_intersect(*edges[i], *edges[j]):
                return (i, j)
    return None


def _triangles(outline: Sequence[Point]) -> list[list[Point]]:
    """Ear-clipping triangulation of a simple polygon (counter-clockwise)."""
    pts = _ccw(outline)
    idx = list(range(len(pts)))
    out: list[list[Point]] = []

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    guard = 0
    while len(idx) > 3 and guard < 10 * len(pts) ** 2:
        guard += 1
        for k in range(len(idx)):
            i0, i1, i2 = idx[k - 1], idx[k], idx[(k + 1) % len(idx)]
            a, b, c = pts[i0], pts[i1], pts[i2]
            if cross(a, b, c) <= 1e-12:
                continue  # reflex or flat corner
            if any(cross(a, b, pts[j]) >= 0 and cross(b, c, pts[j]) >= 0 and cross(c, a, pts[j]) >= 0
                   for j in idx if j not in (i0, i1, i2)):
                continue
            out.append([a, b, c])
            del idx[k]
            break
        else:
            break  # degenerate outline: no ear left
    if len(idx) == 3:
        out.append([pts[i] for i in idx])
    return out


def _clip(subject: list[Point], clip: list[Point]) -> list[Point]:
    """Sutherland–Hodgman: the part of polygon ``subject`` inside the convex ccw polygon ``clip``."""
    output = subject
    for i in range(len(clip)):
        a, b = clip[i], clip[(i + 1) % len(clip)]
        if not output:
            break
        inputs, output = output, []

        def inside(p: Point) -> bool:
            return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0

        def meet(p: Point, q: Point) -> Point:
            x1, y1, x2, y2 = p[0], p[1], q[0], q[1]
            x3, y3, x4, y4 = a[0], a[1], b[0], b[1]
            den = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
            if den == 0:  # parallel within rounding: the crossing is at either end
                return q
            t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / den
            return (x1 + t * (x2 - x1), y1 + t * (y2 - y1))

        for j in range(len(inputs)):
            p, q = inputs[j - 1], inputs[j]
            if inside(q):
                if not inside(p):
                    output.append(meet(p, q))
                output.append(q)
            elif inside(p):
                output.append(meet(p, q))
    return output


def overlap_area_m2(a: Sequence[Point], b: Sequence[Point], a_rect: bool = False, b_rect: bool = False) -> float:
    """The area two footprints share, in m² (exact for rectangles and simple polygons)."""
    ax0, ay0, ax1, ay1 = _bbox(a)
    bx0, by0, bx1, by1 = _bbox(b)
    w, d = min(ax1, bx1) - max(ax0, bx0), min(ay1, by1) - max(ay0, by0)
    if w <= 0 or d <= 0:
        return 0.0
    if a_rect and b_rect:
        return w * d
    return sum(abs(_signed_area(part)) for ta in _triangles(a) for tb in _triangles(b)
               if len(part := _clip(ta, tb)) >= 3)


# --- the checks ----------------------------------------------------------------------------------

class _Checks:
    def __init__(self, b: Building, partial: bool):
        self.b = b
        self.partial = partial
        self.found: list[Finding] = []
        self.implausible: set[tuple] = set()  # locations of impossible numbers: no further check builds on them
        self.space_index = {s.id: i for i, s in enumerate(b.spaces)}
        self.outline = {s.id: s.outline for s in b.spaces}
        self.floor_order = [f.id for f in sorted(b.floors, key=lambda f: f.elevation_m)]

    def add(self, severity: Severity, loc: tuple, name: str, message: str) -> None:
        self.found.append(Finding(severity, loc, name, message))

    def range(self, key: str, loc: tuple, value: float | None, subject: str) -> None:
        if value is None:
            return
        finding = _range_finding(key, loc, value, subject)
        if finding is not None:
            self.found.append(finding)
            if finding.severity == "error":
                self.implausible.add(loc)

    # numbers ------------------------------------------------------------------------------------
    def numbers(self) -> None:
        b = self.b
        for i, fl in enumerate(b.floors):
            self.range("floor.height_m", ("floors", i, "height_m"), fl.height_m, "height")
            self.range("floor.elevation_m", ("floors", i, "elevation_m"), fl.elevation_m, "elevation")
        for i, s in enumerate(b.spaces):
            if s.rect is not None:
                for field in ("width_m", "depth_m"):
                    self.range("space.size_m", ("spaces", i, "rect", field), getattr(s.rect, field), field)
                for field in ("x_m", "y_m"):
                    self.range("space.coordinate_m", ("spaces", i, "rect", field), getattr(s.rect, field), field)
            else:
                x0, y0, x1, y1 = _bbox(s.outline)
                for v in (x0, y0, x1, y1):
                    if abs(v) > 10000:
                        self.range("space.coordinate_m", ("spaces", i, "polygon"), v, "a point's coordinate")
                        break
                else:
                    self.range("space.size_m", ("spaces", i, "polygon"), max(x1 - x0, y1 - y0), "its extent")
            self.range("space.m2_per_person", ("spaces", i, "m2_per_person"), s.m2_per_person, "m2_per_person")
            self.range("space.aset_s", ("spaces", i, "aset_s"), s.aset_s, "aset_s")
        for i, d in enumerate(b.doors):
            self.range(f"{d.kind}.width_m", ("doors", i, "width_m"), d.width_m, "width")
            self.range("door.length_m", ("doors", i, "length_m"), d.length_m, "length")
        for i, e in enumerate(b.exits):
            self.range("exit.width_m", ("exits", i, "width_m"), e.width_m, "width")
            for field in ("x_m", "y_m"):
                self.range("space.coordinate_m", ("exits", i, field), getattr(e, field), field)
        for i, st in enumerate(b.stairs):
            self.range("stair.width_m", ("stairs", i, "width_m"), st.width_m, "width")
        for i, group in enumerate(b.elevators):
            for j, car in enumerate(group.cars):
                loc = ("elevators", i, "cars", j)
                self.range("car.rated_speed_mps", loc + ("rated_speed_mps",), car.rated_speed_mps, "rated speed")
                self.range("car.capacity_persons", loc + ("capacity_persons",), car.capacity_persons, "capacity")
                self.range("car.capacity_kg", loc + ("capacity_kg",), car.capacity_kg, "rated load")
                self.range("car.acceleration_mps2", loc + ("acceleration_mps2",), car.acceleration_mps2,
                           "acceleration")
                self.range("car.jerk_mps3", loc + ("jerk_mps3",), car.jerk_mps3, "jerk")
                self.range("car.door_s", loc + ("door_open_s",), car.door_open_s, "door opening time")
                self.range("car.door_s", loc + ("door_close_s",), car.door_close_s, "door closing time")
                for field in ("width_m", "depth_m"):
                    self.range("car.shaft_m", loc + ("shaft", field), getattr(car.shaft, field), field)
                kg_per_person = car.capacity_kg / car.capacity_persons
                if kg_per_person < 60 and not {loc + ("capacity_persons",), loc + ("capacity_kg",)} & self.implausible:
                    self.add("warning", loc + ("capacity_persons",), "lift-overloaded",
                             f"{car.capacity_persons} persons in a car rated {_fmt(car.capacity_kg)} kg is "
                             f"{kg_per_person:.0f} kg a person; a car is rated at 75 kg a person (EN 81-20): "
                             f"at most {int(car.capacity_kg // 75)} persons")

    # floors -------------------------------------------------------------------------------------
    def floors(self) -> None:
        b = self.b
        index = {f.id: i for i, f in enumerate(b.floors)}
        order = sorted(b.floors, key=lambda f: f.elevation_m)
        for lower, upper in zip(order, order[1:]):
            top = lower.elevation_m + lower.height_m
            if upper.elevation_m == lower.elevation_m or {("floors", index[lower.id], "height_m"),
                                                          ("floors", index[lower.id], "elevation_m"),
                                                          ("floors", index[upper.id], "elevation_m")} & self.implausible:
                continue  # the loader reports the shared elevation; an impossible height is reported
            if upper.elevation_m < top - WALL_TOLERANCE_M:
                self.add("error", ("floors", index[lower.id], "height_m"), "floors-overlap",
                         f"floor {lower.id!r} at {_fmt(lower.elevation_m)} m with height {_fmt(lower.height_m)} m "
                         f"reaches {_fmt(top)} m, above floor {upper.id!r} at {_fmt(upper.elevation_m)} m: "
                         f"the floors overlap")
            elif upper.elevation_m > top + WALL_TOLERANCE_M:
                self.add("warning", ("floors", index[lower.id], "height_m"), "floor-height-differs",
                         f"floor {lower.id!r} at {_fmt(lower.elevation_m)} m with height {_fmt(lower.height_m)} m "
                         f"ends at {_fmt(top)} m, but the next floor {upper.id!r} is at "
                         f"{_fmt(upper.elevation_m)} m; stairs climb by the elevations "
                         f"({_fmt(upper.elevation_m - lower.elevation_m)} m)")

    # spaces -------------------------------------------------------------------------------------
    def spaces(self) -> None:
        b = self.b
        by_floor: dict[str, list[Space]] = {}
        for i, s in enumerate(b.spaces):
            if s.polygon is not None:
                crossing = self_crossing(s.outline)
                if crossing is not None:
                    self.add("error", ("spaces", i, "polygon"), "polygon-crosses-itself",
                             f"the outline crosses itself (edges {crossing[0] + 1} and {crossing[1] + 1}); "
                             "list the points in order around the space")
                    continue
            if any(loc[:2] == ("spaces", i) for loc in self.implausible):
                continue  # a footprint in millimetres overlaps everything: its number is the mistake
            footprint = abs(_signed_area(s.outline))
            if s.area_m2 is not None and s.area_m2 > footprint * 1.05 + 0.1:
                self.add("warning", ("spaces", i, "area_m2"), "area-exceeds-footprint",
                         f"area {_fmt(s.area_m2)} m² is larger than the footprint's {_fmt(footprint)} m²; "
                         "occupants by design load use area_m2")
            by_floor.setdefault(s.floor, []).append(s)
        for floor, spaces in by_floor.items():
            boxes = sorted(((_bbox(self.outline[s.id]), s) for s in spaces), key=lambda bs: bs[0][0])
            for n, (ba, sa) in enumerate(boxes):
                for bb, sb in boxes[n + 1:]:
                    if bb[0] >= ba[2]:
                        break
                    if bb[1] >= ba[3] or ba[1] >= bb[3]:
                        continue
                    area = overlap_area_m2(self.outline[sa.id], self.outline[sb.id], sa.rect is not None,
                                           sb.rect is not None)
                    if area > OVERLAP_TOLERANCE_M2:
                        first, second = sorted((sa, sb), key=lambda s: self.space_index[s.id])
                        self.add("error", ("spaces", self.space_index[second.id]), "spaces-overlap",
                                 f"overlaps space {first.id!r} by {_fmt(area)} m² on floor {floor!r}; "
                                 "spaces on one floor do not share floor area")
        self.density()

    def density(self) -> None:
        from twin.loader import MAX_OCCUPANT_DENSITY_PPM2

        design = 1 / DENSEST_DESIGN_LOAD_M2_PER_PERSON
        for i, s in enumerate(self.b.spaces):
            area = s.floor_area_m2
            if s.occupants is not None and area > 0:
                per_m2 = s.occupants / area
                if design < per_m2 <= MAX_OCCUPANT_DENSITY_PPM2:
                    self.add("warning", ("spaces", i, "occupants"), "dense-load",
                             f"{s.occupants} persons in {_fmt(area)} m² is {per_m2:.3g} per m², denser than any "
                             f"design load ({DENSEST_DESIGN_LOAD_M2_PER_PERSON} m² per person, NFPA 101's "
                             "waiting spaces)")
            if s.m2_per_person is not None and DENSEST_DESIGN_LOAD_M2_PER_PERSON > s.m2_per_person >= \
                    1 / MAX_OCCUPANT_DENSITY_PPM2:
                self.add("warning", ("spaces", i, "m2_per_person"), "dense-load",
                         f"{_fmt(s.m2_per_person)} m² per person is denser than any design load "
                         f"({DENSEST_DESIGN_LOAD_M2_PER_PERSON} m² per person, NFPA 101's waiting spaces)")

    # doors and exits ----------------------------------------------------------------------------
    def doors(self) -> None:
        b = self.b
        doors_of_exit: dict[str, list[int]] = {e.id: [] for e in b.exits}
        for i, door in enumerate(b.doors):
            a, c = door.between
            exits = [x for x in (a, c) if x in b.exit_by_id]
            spaces = [x for x in (a, c) if x in b.space_by_id]
            for x in exits:
                doors_of_exit[x].append(i)
            for x in spaces:
                if b.space_by_id[x].void and door.kind == "door":
                    self.add("warning", ("doors", i, "between"), "door-into-void",
                             f"leads into {x!r}, a void: nobody walks through it")
            if len(spaces) == 2:
                self._door_between_spaces(i, spaces[0], spaces[1])
            elif len(spaces) == 1 and len(exits) == 1:
                self._exit_door(i, spaces[0], exits[0])
        for j, ex in enumerate(b.exits):
            if not doors_of_exit[ex.id] and not self.partial:
                self.add("error", ("exits", j), "exit-without-door",
                         f"no door leads to exit {ex.id!r}; add a door with between: [SPACE, {ex.id}]")

    def _door_between_spaces(self, i: int, a: str, c: str) -> None:
        b = self.b
        door = b.doors[i]
        sa, sc = b.space_by_id[a], b.space_by_id[c]
        if sa.floor != sc.floor:
            return  # the loader reports a door across floors
        length, _ = shared_wall(self.outline[a], self.outline[c], door.length_m)
        if length <= WALL_TOLERANCE_M:
            if overlap_area_m2(self.outline[a], self.outline[c], sa.rect is not None,
                               sc.rect is not None) > OVERLAP_TOLERANCE_M2:
                return  # reported as overlapping spaces
            gap = outline_gap_m(self.outline[a], self.outline[c])
            where = f"{_fmt(gap)} m apart" if gap > WALL_TOLERANCE_M else "meeting only at a corner"
            self.add("error", ("doors", i, "between"), "door-spaces-apart",
                     f"{a!r} and {c!r} do not share a wall ({where}; a door needs a wall they share, "
                     f"no thicker than its length_m {_fmt(door.length_m)} m)")
        elif door.width_m > length + WALL_TOLERANCE_M and ("doors", i, "width_m") not in self.implausible:
            self.add("error", ("doors", i, "width_m"), "door-wider-than-wall",
                     f"width {_fmt(door.width_m)} m does not fit on the {_fmt(length)} m of wall {a!r} and "
                     f"{c!r} share")

    def _exit_door(self, i: int, space_id: str, exit_id: str) -> None:
        b = self.b
        door, space, ex = b.doors[i], b.space_by_id[space_id], b.exit_by_id[exit_id]
        if space.floor != ex.floor:
            return  # the loader reports a door across floors
        j = next(k for k, e in enumerate(b.exits) if e.id == exit_id)
        distance, wall = nearest_wall((ex.x_m, ex.y_m), self.outline[space_id])
        if distance > door.length_m + WALL_TOLERANCE_M:
            self.add("error", ("exits", j), "exit-off-wall",
                     f"exit {exit_id!r} at ({_fmt(ex.x_m)}, {_fmt(ex.y_m)}) is {_fmt(distance)} m from the walls "
                     f"of {space_id!r}, which door {door.id!r} leads out of; an exit lies on its space's outline")
        elif door.width_m > wall + WALL_TOLERANCE_M and ("doors", i, "width_m") not in self.implausible:
            self.add("error", ("doors", i, "width_m"), "door-wider-than-wall",
                     f"width {_fmt(door.width_m)} m does not fit on the {_fmt(wall)} m wall of {space_id!r} "
                     f"where exit {exit_id!r} is")
        if ex.width_m is not None and abs(ex.width_m - door.width_m) > WALL_TOLERANCE_M and \
                not {("doors", i, "width_m"), ("exits", j, "width_m")} & self.implausible:
            narrow = min(ex.width_m, door.width_m)
            self.add("warning", ("exits", j, "width_m"), "exit-width-differs",
                     f"width {_fmt(ex.width_m)} m differs from the {_fmt(door.width_m)} m of door {door.id!r}; "
                     f"the narrower, {_fmt(narrow)} m, governs the flow")

    # stairs -------------------------------------------------------------------------------------
    def stairs(self) -> None:
        b = self.b
        position = {f: k for k, f in enumerate(self.floor_order)}
        stairs_of: dict[str, list[str]] = {}
        for i, stair in enumerate(b.stairs):
            previous: Space | None = None
            narrowest: tuple[float, str] | None = None
            too_short = False
            for j, ident in enumerate(stair.landings):
                stairs_of.setdefault(ident, []).append(stair.id)
                space = b.space_by_id.get(ident)
                if space is None or space.floor not in position:
                    previous = None
                    continue
                x0, y0, x1, y1 = _bbox(self.outline[ident])
                if narrowest is None or min(x1 - x0, y1 - y0) < narrowest[0]:
                    narrowest = (min(x1 - x0, y1 - y0), ident)
                if previous is not None:
                    below, here = position[previous.floor], position[space.floor]
                    if here > below + 1:
                        skipped = ", ".join(repr(f) for f in self.floor_order[below + 1:here])
                        self.add("error", ("stairs", i, "landings", j), "stair-skips-floor",
                                 f"the stair climbs from {previous.floor!r} to {space.floor!r} past {skipped} "
                                 "without a landing; list a landing on every floor it passes")
                    elif here == below + 1 and overlap_area_m2(self.outline[previous.id], self.outline[ident],
                                                               previous.rect is not None,
                                                               space.rect is not None) <= 0:
                        self.add("warning", ("stairs", i, "landings", j), "stair-landings-apart",
                                 f"landing {ident!r} is not above landing {previous.id!r} on the plan; a stair "
                                 "rises in one enclosure")
                    if here == below + 1 and stair.flight_length_m is not None and not too_short:
                        rise = b.floor_by_id[space.floor].elevation_m - b.floor_by_id[previous.floor].elevation_m
                        too_short = stair.flight_length_m < rise
                        if too_short:
                            self.add("error", ("stairs", i, "flight_length_m"), "flight-shorter-than-rise",
                                     f"flight length {_fmt(stair.flight_length_m)} m is shorter than the "
                                     f"{_fmt(rise)} m it climbs from {previous.floor!r} to {space.floor!r}")
                previous = space
            if narrowest is not None and stair.width_m > narrowest[0] + WALL_TOLERANCE_M and \
                    ("stairs", i, "width_m") not in self.implausible:
                self.add("error", ("stairs", i, "width_m"), "stair-wider-than-landing",
                         f"width {_fmt(stair.width_m)} m does not fit landing {narrowest[1]!r}, "
                         f"{_fmt(narrowest[0])} m across (width_m is the clear width between the walls)")
        for i, s in enumerate(b.spaces):
            owners = stairs_of.get(s.id, [])
            if s.kind == "stair" and len(owners) > 1:
                self.add("error", ("spaces", i), "landing-in-two-stairs",
                         f"landing {s.id!r} belongs to stairs {', '.join(repr(o) for o in owners)}; "
                         "each landing belongs to exactly one stair")
            elif s.kind == "stair" and not owners and not self.partial:
                self.add("error", ("spaces", i), "landing-without-stair",
                         f"space {s.id!r} is a 'stair' landing that no stair lists; add it to a stair's "
                         "landings or give it another kind")

    # equipment ----------------------------------------------------------------------------------
    def equipment(self) -> None:
        import networkx as nx

        b = self.b
        index = {e.id: i for i, e in enumerate(b.equipment)}
        g = nx.DiGraph()
        for i, eq in enumerate(b.equipment):
            for j, target in enumerate(eq.feeds):
                if target == eq.id:
                    self.add("error", ("equipment", i, "feeds", j), "feeds-itself", f"{eq.id!r} feeds itself")
                elif target in index:
                    g.add_edge(eq.id, target)
            for j, zone in enumerate(eq.zones):
                for k, ident in enumerate(zone.spaces):
                    space = b.space_by_id.get(ident)
                    if space is not None and space.floor != zone.floor:
                        self.add("warning", ("equipment", i, "zones", j, "spaces", k), "zone-space-elsewhere",
                                 f"space {ident!r} is on floor {space.floor!r}, not on the zone's floor "
                                 f"{zone.floor!r}")
        for component in nx.strongly_connected_components(g):
            if len(component) < 2:
                continue
            first = min(component, key=index.__getitem__)
            cycle = [u for u, _ in nx.find_cycle(g.subgraph(component), source=first)]
            self.add("error", ("equipment", index[first], "feeds"), "feeds-in-a-cycle",
                     "feeds in a cycle: " + " → ".join(repr(x) for x in [*cycle, cycle[0]]))

    def run(self) -> list[Finding]:
        for check in (self.numbers, self.floors, self.spaces, self.doors, self.stairs, self.equipment):
            check()
        return self.found


def find_problems(building: Building, *, partial: bool = False) -> list[Finding]:
    """Every geometric and physical problem of a field-valid building (references that do not resolve
    are the loader's to report and are passed over here).

    ``partial`` says items were left out of ``building`` because their fields were invalid, so checks
    of something's absence (an exit with no door, a landing in no stair) are not made.
    """
    return _Checks(building, partial).run()

