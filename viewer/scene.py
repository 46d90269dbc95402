"""The building in 3D: one pyvista scene built once from the building spec.

An engineer watching a building wants to see, at a glance, where things are and which of them
is unwell: each storey as a slab with its rooms drawn on it, the stair cores and lift shafts
running up through the storeys, the lift cars where they are now, and every piece of equipment
(pumps, switchboards, the fire panel, AHUs, meters) as a small glyph at its location, coloured by
its live status. A safety officer wants the same building to play an evacuation on, with rooms
shaded by how crowded they are and fire zones in alarm lit up.

:class:`BuildingScene` owns the :class:`pyvista.Plotter` and builds every actor once, named by
the id it stands for (the equipment id, the car id; ``slab/F12``, ``slab-edges/F12``,
``spaces/F12``, ``outlines/F12``, ``stair/ST-A``, ``shaft/L1``, ``zone/Z12`` for the rest).
Everything that changes afterwards — a status, a car's height, a fire zone's alarm, a room's
congestion, the view (all storeys, one storey, exploded) — is written into the actors' arrays
(colours, points) or their visibility; nothing is rebuilt. Equipment glyphs and lift cars are
drawn unlit in their exact status colour on an overlay layer that shares the main camera, so they
show through slabs and are never tinted by the translucent storeys in front of them. A picture in
which the equipment stands still (a playback) may draw it as one batched mesh, which any status,
car or view change undoes.

The status colours are a documented palette (:data:`STATUS_COLORS`), the same in the desktop
window, the off-screen snapshots and the web console.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from twin.spec import SPACE_KIND_WORDS, Building, ElevatorCar, Equipment, FireZone, Floor, Space
from twin.text import normalise_language, pick
from viewer.fonts import cjk_font_file

# Without a display the VTK wheel would first try X and print a warning; EGL (Mesa's llvmpipe
# here) renders off screen. Set before pyvista loads VTK's rendering classes; a user's choice wins.
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import pyvista as pv  # noqa: E402
# pyvista resolves ``pv.themes`` lazily on first use, and two threads doing that at once for the first
# time can get an AttributeError (the console draws its first pictures in worker threads): load it here.
from pyvista.plotting import themes as pv_themes  # noqa: E402

__all__ = [
    "STATUSES",
    "STATUS_COLORS",
    "UNKNOWN_STATUS",
    "KIND_COLORS",
    "ViewMode",
    "SceneError",
    "BuildingScene",
    "status_rgb",
    "equipment_anchor",
    "SPACE_KIND_WORDS",
    "floor_label",
    "room_label",
]

# --- words drawn in the picture, in the reader's language ----------------------------------------

# SPACE_KIND_WORDS (what each kind of space is called) is declared beside SpaceKind in twin/spec.py;
# imported here for the room labels and re-exported for whoever reads it from viewer.scene.


def _has_cjk(words: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in words)


def floor_label(floor: Floor, floors: list[Floor], lang: str | None = "en") -> str:
    """A storey's label: its name from the building file in English; in Chinese the storey as
    Chinese practice counts it — 1层 for the ground storey (the lowest at or above elevation 0),
    2层, 3层 … above, 地下1层, 地下2层 … below — unless the file already names it in Chinese."""
    own = floor.name or floor.id
    if normalise_language(lang) == "en" or _has_cjk(own):
        return own
    ordered = sorted(floors, key=lambda f: f.elevation_m)
    ground = next((i for i, f in enumerate(ordered) if f.elevation_m >= -1e-6), len(ordered))
    i = next(i for i, f in enumerate(ordered) if f.id == floor.id)
    return f"{i - ground + 1}层" if i >= ground else f"地下{ground - i}层"


def room_label(space: Space, lang: str | None = "en") -> str:
    """A room's label: its name in English (its kind when it has none); in Chinese its kind in
    Chinese with the name's number, unless the file already names it in Chinese."""
    kind = SPACE_KIND_WORDS.get(space.kind)
    if normalise_language(lang) == "en":
        return space.name or pick(kind, "en") or space.id
    if space.name and _has_cjk(space.name):
        return space.name
    tail = (space.name or "").split()[-1:]
    number = tail[0] if tail and any(ch.isdigit() for ch in tail[0]) else ""
    return f"{pick(kind, 'zh-CN') or space.kind} {number}".strip()


UNKNOWN_STATUS = "unknown"
STATUSES: tuple[str, ...] = ("ok", "warning", "alarm", "offline", "stale")
STATUS_COLORS: dict[str, str] = {
    "ok": "#1A9850",        # green: reporting, within limits
    "warning": "#F39C12",   # amber: a warning-level alarm or an out-of-band value
    "alarm": "#D7191C",     # red: an active alarm (critical or major)
    "offline": "#4D4D4D",   # dark grey: the device's last will said offline
    "stale": "#7B68C8",     # violet: no report for longer than its interval allows
    UNKNOWN_STATUS: "#A6A6A6",  # light grey: nothing heard yet
}
"""Status → colour, used by every view of the building (desktop, snapshots, web console).

Red, amber and green are the colours operators expect; offline (dark grey) and stale (violet)
differ from them in lightness as well as hue, so they stay apart for colour-blind readers."""

KIND_COLORS: dict[str, str] = {
    "apartment": "#C9D9EA", "office": "#C9D9EA", "room": "#C9D9EA", "management_office": "#C9D9EA",
    "shop": "#E8D5B5", "restaurant": "#E8D5B5",
    "corridor": "#E3E3E3", "lobby": "#E3E3E3", "atrium": "#E3E3E3", "lift_lobby": "#D6D0E6",
    "stair": "#BFE3C8", "plant_room": "#F0C9A8", "car_park": "#D9D9D9",
    "toilet": "#DCE8F0", "storage": "#E6E0D4",
}
"""Space kind → fill colour of its footprint (pale, so status colours stand out)."""

ViewMode = Literal["all", "floor", "exploded"]

_FILL_ALPHA = 90          # translucent room fills: storeys behind stay readable
_HEAT_ALPHA = 215         # rooms coloured by a value (congestion) stand out
_SLAB_THICKNESS_M = 0.2
_OUTLINE_LIFT_M = 0.03    # outlines and fills sit just above the slab's top face
_FILL_LIFT_M = 0.015
_EQUIPMENT_HEIGHT_M = 1.0  # equipment without a position: centroid of its space, 1 m above the floor


class SceneError(KeyError):
    """An id the scene does not know (equipment, car, floor or fire zone)."""

    def __init__(self, kind: str, ident: str, known: Iterable[str] = ()):
        known = sorted(known)
        hint = f" (known: {', '.join(known[:8])}{'…' if len(known) > 8 else ''})" if known else ""
        super().__init__(f"unknown {kind} {ident!r}{hint}")
        self.kind, self.ident = kind, ident

    def __str__(self) -> str:
        return str(self.args[0])


def status_rgb(status: str | None) -> tuple[int, int, int]:
    """The palette colour of a status as 0–255 RGB (unknown statuses are light grey)."""
    return _hex_rgb(STATUS_COLORS.get(status or UNKNOWN_STATUS, STATUS_COLORS[UNKNOWN_STATUS]))


def _hex_rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def equipment_anchor(building: Building, equipment: Equipment) -> tuple[float, float, float]:
    """Where a piece of equipment is drawn: its ``position``, else the centroid of its location
    space at that floor's elevation + 1 m."""
    if equipment.position is not None:
        return tuple(float(v) for v in equipment.position)  # type: ignore[return-value]
    space = building.space_by_id[equipment.location]
    x, y = space.centroid
    return (x, y, building.floor_by_id[space.floor].elevation_m + _EQUIPMENT_HEIGHT_M)


# ---------------------------------------------------------------------------------------------
# Geometry helpers (plain numpy → pyvista meshes)


def _polygon_mesh(outlines: list[list[tuple[float, float]]], z: np.ndarray, tags: np.ndarray) -> pv.PolyData:
    """Flat polygons (one per outline) at heights ``z``, triangulated, with a ``tag`` cell array."""
    pts, faces = [], []
    offset = 0
    for outline, zi in zip(outlines, z):
        n = len(outline)
        pts.extend((x, y, zi) for x, y in outline)
        faces.append([n, *range(offset, offset + n)])
        offset += n
    mesh = pv.PolyData(np.asarray(pts, float), faces=np.concatenate(faces))
    mesh.cell_data["tag"] = np.asarray(tags, np.int64)
    return mesh.triangulate()


def _prism_mesh(outlines: list[list[tuple[float, float]]], z0: np.ndarray, z1: np.ndarray,
                tags: np.ndarray) -> pv.PolyData:
    """Closed prisms (footprint extruded from z0 to z1), triangulated, with a ``tag`` cell array."""
    pts, faces, cell_tags = [], [], []
    offset = 0
    for outline, a, b, tag in zip(outlines, z0, z1, tags):
        n = len(outline)
        if _signed_area(outline) < 0:
            outline = outline[::-1]  # counter-clockwise: every face's normal points out
        pts.extend((x, y, a) for x, y in outline)
        pts.extend((x, y, b) for x, y in outline)
        faces.append([n, *range(offset + n - 1, offset - 1, -1)])   # bottom, facing down
        faces.append([n, *range(offset + n, offset + 2 * n)])       # top
        for i in range(n):
            j = (i + 1) % n
            faces.append([4, offset + i, offset + j, offset + n + j, offset + n + i])
        cell_tags.extend([tag] * (n + 2))
        offset += 2 * n
    mesh = pv.PolyData(np.asarray(pts, float), faces=np.concatenate(faces))
    mesh.cell_data["tag"] = np.asarray(cell_tags, np.int64)
    return mesh.triangulate()


def _signed_area(outline: list[tuple[float, float]]) -> float:
    n = len(outline)
    return sum(outline[i][0] * outline[(i + 1) % n][1] - outline[(i + 1) % n][0] * outline[i][1] for i in range(n)) / 2


def _outline_mesh(outlines: list[list[tuple[float, float]]], z: np.ndarray) -> pv.PolyData:
    """The outlines' edges at heights ``z`` as straight segments, each wall drawn once.

    A wall shared by two rooms, and a long wall split at every room corner along it, become one
    segment: a software renderer pays per segment drawn, and room outlines repeat most walls
    (the sample tower's 6,004 room edges are 2,149 walls)."""
    walls: dict[tuple, list] = {}
    for outline, zi in zip(outlines, z):
        corners = np.asarray(outline, float)
        for p, q in zip(corners, np.roll(corners, -1, axis=0)):
            d = q - p
            length = float(np.hypot(*d))
            if length <= 0.0:
                continue
            u = d / length
            if u[0] < -1e-9 or (abs(u[0]) <= 1e-9 and u[1] < 0):
                u = -u  # one direction per line, whichever way round the room goes
            offset = float(u[0] * p[1] - u[1] * p[0])  # signed distance of the line from the origin
            key = (round(float(u[0]), 6), round(float(u[1]), 6), round(offset, 4), round(float(zi), 4))
            a, b = sorted((float(u @ p), float(u @ q)))
            walls.setdefault(key, [u, offset, float(zi), []])[3].append((a, b))
    pts: list[tuple[float, float, float]] = []
    for u, offset, zi, spans in walls.values():
        normal = np.array([-u[1], u[0]])
        spans.sort()
        start, end = spans[0]
        for a, b in [*spans[1:], (np.inf, np.inf)]:
            if a <= end + 1e-6:  # overlapping or touching: the same wall goes on
                end = max(end, b)
                continue
            for t in (start, end):
                x, y = t * u + offset * normal
                pts.append((x, y, zi))
            start, end = a, b
    n = len(pts) // 2
    lines = np.c_[np.full(n, 2), np.arange(0, 2 * n, 2), np.arange(1, 2 * n, 2)].ravel()
    return pv.PolyData(np.asarray(pts, float).reshape(-1, 3), lines=lines)


def _box_edges(x0: float, y0: float, x1: float, y1: float, z0: float, z1: float) -> tuple[np.ndarray, list[list[int]]]:
    """The 8 corners and 12 edges of a box, as points and 2-point line cells (local indices)."""
    corners = np.array([(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0),
                        (x0, y0, z1), (x1, y0, z1), (x1, y1, z1), (x0, y1, z1)], float)
    edges = [[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4], [0, 4], [1, 5], [2, 6], [3, 7]]
    return corners, edges


def _glyph(system: str, size_m: float) -> pv.PolyData:
    """The glyph of an equipment system, centred on the origin (shape tells the system apart)."""
    s = size_m
    if system in ("pump", "water"):
        g = pv.Cylinder(center=(0, 0, 0), direction=(0, 0, 1), radius=0.5 * s, height=s, resolution=14)
    elif system == "fire":
        g = pv.Cone(center=(0, 0, 0), direction=(0, 0, 1), height=1.1 * s, radius=0.6 * s, resolution=14)
    elif system in ("power", "hvac", "elevator"):
        g = pv.Cube(center=(0, 0, 0), x_length=s, y_length=s, z_length=0.8 * s)
    else:
        g = pv.Sphere(center=(0, 0, 0), radius=0.5 * s, theta_resolution=12, phi_resolution=8)
    return g.triangulate().clean()


# ---------------------------------------------------------------------------------------------


@dataclass
class _Glyph:
    """A drawn piece of equipment: its actor's mesh and where it stands."""

    mesh: pv.PolyData
    template: np.ndarray   # glyph points at the origin
    anchor: np.ndarray     # (x, y, z) in building coordinates
    floor: int             # floor index (elevation order)


@dataclass
class _Car:
    mesh: pv.PolyData
    template: np.ndarray   # car box with its floor at z = 0
    z_m: float
    floors: tuple[int, ...]


@dataclass
class _Layered:
    """A mesh spanning several storeys (stair core, lift shaft): its points' storeys, for views."""

    mesh: pv.PolyData
    base: np.ndarray
    point_floor: np.ndarray


class BuildingScene:
    """A building drawn once in a pyvista plotter, then updated by writing arrays.

    ``spaces`` draws rooms as translucent fills on each slab (``"outline"``, the default) or as
    translucent volumes (``"volume"``). ``labels`` shows storey names (``"floors"``), equipment
    names (``"equipment"``), both (``"all"``) or none. ``off_screen`` renders without a window
    (reports, tests, machines without a display). ``anti_aliasing`` smooths edges (SSAA) for
    pictures meant for people; without it colours are exact to the pixel.
    """

    def __init__(self, building: Building, *, off_screen: bool = False, window_size: tuple[int, int] = (1280, 800),
                 spaces: Literal["outline", "volume"] = "outline",
                 labels: Literal["floors", "equipment", "all", "none"] = "floors",
                 explode_gap_m: float | None = None, glyph_size_m: float | None = None,
                 background: str = "white", title: str | None = None, anti_aliasing: bool = False,
                 rooms: bool = False, lang: str | None = "en"):
        self.building = building
        self.lang = normalise_language(lang)
        self.off_screen = off_screen
        self.spaces_style = spaces
        self.floors = sorted(building.floors, key=lambda f: f.elevation_m)
        self.floor_ids = [f.id for f in self.floors]
        self._floor_index = {f.id: i for i, f in enumerate(self.floors)}
        self._elevations = np.array([f.elevation_m for f in self.floors], float)
        heights = np.array([f.height_m for f in self.floors], float)
        self._typical_height_m = float(np.median(heights))
        self.explode_gap_m = explode_gap_m if explode_gap_m is not None else 1.5 * self._typical_height_m
        self.mode: ViewMode = "all"
        self.floor: str | None = None
        self._dz = np.zeros(len(self.floors))
        self._visible = np.ones(len(self.floors), bool)
        self.statuses: dict[str, str] = {}

        theme = pv_themes.DocumentTheme()
        # No multi-sampling: status colours stay exact and software GL renders ~10x faster.
        theme.multi_samples = 0
        self.plotter = pv.Plotter(off_screen=off_screen, window_size=list(window_size), title=title or building.name,
                                  theme=theme)
        if anti_aliasing:
            self.plotter.enable_anti_aliasing("ssaa")  # FXAA is not supported by the EGL/OSMesa builds
        self.plotter.background_color = background
        self._main = self.plotter.renderer
        # Plain alpha blending for the translucent storeys, not VTK's default order-independent
        # transparency: OIT's extra float buffers and passes nearly double the cost of a frame in
        # a software renderer. Storeys are added bottom to top, so from the usual view above the
        # building they are drawn back to front, which is the order plain blending needs.
        self._main.SetUseOIT(False)
        self._overlay = self._make_overlay()
        self.actors: dict[str, pv.Actor] = {}
        self._floor_actors: dict[int, list[str]] = {i: [] for i in range(len(self.floors))}
        self._layered: dict[str, _Layered] = {}
        self._glyphs: dict[str, _Glyph] = {}
        self._cars: dict[str, _Car] = {}
        self._zones: dict[str, FireZone] = {}
        self._fills: dict[int, pv.PolyData] = {}
        self._fill_base: dict[int, np.ndarray] = {}
        self._space_cells: dict[str, tuple[int, np.ndarray]] = {}
        self.space_ids: list[str] = []
        self._space_index: dict[str, int] = {}
        self._fill_space: dict[int, np.ndarray] = {}
        self._fill_cells: tuple | None = None
        self._lut_cache: dict[str, np.ndarray] = {}
        self._labels: dict[str, tuple[pv.PolyData, np.ndarray, np.ndarray]] = {}
        self._zone_active: dict[str, bool] = {}
        self._batched: list[str] = []          # equipment and cars drawn by the batch actor now
        self._batch_mesh: pv.PolyData | None = None

        extent = self._extent()
        self.glyph_size_m = glyph_size_m or float(np.clip(0.015 * extent, 0.8, 2.5))
        self._build_floors()
        self._build_stairs()
        self._build_lifts()
        self._build_zones()
        self._build_equipment()
        if labels in ("floors", "all"):
            self._build_floor_labels()
        if labels in ("equipment", "all"):
            self._build_equipment_labels()
        if rooms:
            self._build_room_labels()
        self.plotter.camera_position = "iso"
        self.reset_camera()

    # --- construction ------------------------------------------------------------------------

    def _make_overlay(self) -> pv.Renderer:
        """A second renderer on layer 1 sharing the main camera: equipment and cars on top."""
        overlay = pv.Renderer(self.plotter, border=False)
        overlay.SetLayer(1)
        overlay.SetInteractive(False)
        overlay.SetPreserveColorBuffer(True)
        overlay.SetUseOIT(False)  # nothing translucent here (and plain blending if ever)
        overlay.SetActiveCamera(self._main.GetActiveCamera())
        window = self.plotter.render_window
        window.SetNumberOfLayers(2)
        window.AddRenderer(overlay)
        return overlay

    def _extent(self) -> float:
        xy = np.array([p for s in self.building.spaces for p in s.outline], float)
        span_xy = float(np.ptp(xy, axis=0).max()) if len(xy) else 10.0
        span_z = float(self._elevations[-1] - self._elevations[0] + self.floors[-1].height_m)
        return max(span_xy, span_z)

    def _add(self, name: str, mesh: pv.PolyData, *, overlay: bool = False, floor: int | None = None,
             color: str | None = None, opacity: float = 1.0, scalars: str | None = None, rgba: bool = False,
             lighting: bool = True, line_width: float | None = None, style: str | None = None,
             cull_back: bool = False) -> pv.Actor:
        mapper = pv.DataSetMapper(mesh)
        if scalars is not None:
            mapper.SetScalarModeToUseCellFieldData() if scalars in mesh.cell_data else \
                mapper.SetScalarModeToUsePointFieldData()
            mapper.SelectColorArray(scalars)
            mapper.SetColorModeToDirectScalars()
            mapper.ScalarVisibilityOn()
        else:
            mapper.ScalarVisibilityOff()
        actor = pv.Actor(mapper=mapper, name=name)
        prop = actor.prop
        if color is not None:
            prop.color = color
        prop.opacity = opacity
        prop.lighting = lighting
        if line_width is not None:
            prop.line_width = line_width
        if style is not None:
            prop.style = style
        if cull_back:
            # Closed translucent volumes: only their near faces, half the blending work.
            prop.backface_culling = True
        if rgba:
            # Per-cell alpha in the colour array decides translucency.
            actor.ForceTranslucentOn()
        renderer = self._overlay if overlay else self._main
        renderer.add_actor(actor, name=name, reset_camera=False, render=False, pickable=overlay)
        self.actors[name] = actor
        if floor is not None:
            self._floor_actors[floor].append(name)
        return actor

    def _spaces_by_floor(self) -> dict[int, list[Space]]:
        by_floor: dict[int, list[Space]] = {i: [] for i in range(len(self.floors))}
        for s in self.building.spaces:
            by_floor[self._floor_index[s.floor]].append(s)
        return by_floor

    def _build_floors(self) -> None:
        for i, spaces in self._spaces_by_floor().items():
            floor = self.floors[i]
            if not spaces:
                continue
            elev = floor.elevation_m
            xy = np.array([p for s in spaces for p in s.outline], float)
            (x0, y0), (x1, y1) = xy.min(axis=0) - 0.5, xy.max(axis=0) + 0.5
            # One storey alone stands on a solid slab; stacked storeys show only the slab's 12 edges,
            # drawn as lines (a wireframe of the solid costs a software renderer twice as much).
            slab = pv.Box(bounds=(x0, x1, y0, y1, elev - _SLAB_THICKNESS_M, elev))
            self._add(f"slab/{floor.id}", slab, floor=i, color="#E4E6E8", lighting=False).visibility = False
            corners, edges = _box_edges(x0, y0, x1, y1, elev - _SLAB_THICKNESS_M, elev)
            slab_edges = pv.PolyData(corners, lines=np.c_[np.full(len(edges), 2), np.asarray(edges)].ravel())
            self._add(f"slab-edges/{floor.id}", slab_edges, floor=i, color="#9AA3AD", lighting=False)

            outlines = [s.outline for s in spaces]
            tags = np.arange(len(spaces))
            if self.spaces_style == "volume":
                fill = _prism_mesh(outlines, np.full(len(spaces), elev + _FILL_LIFT_M),
                                   np.full(len(spaces), elev + 0.92 * floor.height_m), tags)
            else:
                fill = _polygon_mesh(outlines, np.full(len(spaces), elev + _FILL_LIFT_M), tags)
            base = np.array([(*_hex_rgb(KIND_COLORS.get(s.kind, "#DDDDDD")), _FILL_ALPHA) for s in spaces], np.uint8)
            cell_tag = fill.cell_data["tag"]
            fill.cell_data["rgba"] = base[cell_tag]
            self._fills[i] = fill
            self._fill_base[i] = fill.cell_data["rgba"].copy()
            first = len(self.space_ids)
            for k, s in enumerate(spaces):
                self._space_cells[s.id] = (i, np.flatnonzero(cell_tag == k))
                self._space_index[s.id] = first + k
                self.space_ids.append(s.id)
            self._fill_space[i] = first + np.asarray(cell_tag)
            self._add(f"spaces/{floor.id}", fill, floor=i, scalars="rgba", rgba=True,
                      lighting=self.spaces_style == "volume", cull_back=self.spaces_style == "volume")
            lines = _outline_mesh(outlines, np.full(len(spaces), elev + _OUTLINE_LIFT_M))
            self._add(f"outlines/{floor.id}", lines, floor=i, color="#5F6B78", line_width=1.0, lighting=False)

    def _build_stairs(self) -> None:
        """Each stair core as the edges of its landings' footprints raised through each storey:
        lines cost a software renderer almost nothing, where translucent walls cost a lot."""
        b = self.building
        for stair in b.stairs:
            pts: list[tuple[float, float, float]] = []
            lines: list[list[int]] = []
            pfloor: list[int] = []
            for landing_id in stair.landings:
                landing = b.space_by_id.get(landing_id)
                if landing is None:
                    continue
                fi = self._floor_index[landing.floor]
                floor = self.floors[fi]
                z0, z1 = floor.elevation_m + _OUTLINE_LIFT_M, floor.elevation_m + floor.height_m - _SLAB_THICKNESS_M
                outline = landing.outline
                n = len(outline)
                base = len(pts)
                pts.extend((x, y, z0) for x, y in outline)
                pts.extend((x, y, z1) for x, y in outline)
                for i in range(n):
                    j = (i + 1) % n
                    lines.extend(([2, base + i, base + j], [2, base + n + i, base + n + j], [2, base + i, base + n + i]))
                pfloor.extend([fi] * 2 * n)
            if not pts:
                continue
            mesh = pv.PolyData(np.asarray(pts, float), lines=np.asarray(lines).ravel())
            self._layered[f"stair/{stair.id}"] = _Layered(mesh, mesh.points.copy(), np.asarray(pfloor))
            self._add(f"stair/{stair.id}", mesh, color="#2E8B57", lighting=False, line_width=1.5)

    def _point_floor(self, mesh: pv.PolyData) -> np.ndarray:
        """Storey of each point of a mesh whose cells carry their storey in ``tag``."""
        out = np.zeros(mesh.n_points, np.int64)
        faces = mesh.faces.reshape(-1, 4)  # triangulated: [3, a, b, c]
        tags = mesh.cell_data["tag"]
        for col in (1, 2, 3):
            out[faces[:, col]] = tags
        return out

    def _floors_served(self, car: ElevatorCar) -> tuple[int, ...]:
        return tuple(sorted(self._floor_index[f] for f in car.floors_served if f in self._floor_index))

    def _build_lifts(self) -> None:
        car_height = max(2.2, 0.75 * self._typical_height_m)
        for group in self.building.elevators:
            for car in group.cars:
                served = self._floors_served(car) or (0,)
                r = car.shaft
                pts, lines, pfloor = [], [], []
                for fi in range(served[0], served[-1] + 1):
                    fl = self.floors[fi]
                    corners, edges = _box_edges(r.x_m, r.y_m, r.x_m + r.width_m, r.y_m + r.depth_m,
                                                fl.elevation_m, fl.elevation_m + fl.height_m)
                    base = len(pts)
                    pts.extend(corners)
                    lines.extend([2, base + a, base + b] for a, b in edges)
                    pfloor.extend([fi] * 8)
                shaft = pv.PolyData(np.asarray(pts, float), lines=np.asarray(lines).ravel())
                self._layered[f"shaft/{car.id}"] = _Layered(shaft, shaft.points.copy(), np.asarray(pfloor))
                self._add(f"shaft/{car.id}", shaft, color="#B0B0B0", lighting=False)

                inset_x, inset_y = 0.12 * r.width_m, 0.12 * r.depth_m
                box = pv.Box(bounds=(r.x_m + inset_x, r.x_m + r.width_m - inset_x, r.y_m + inset_y,
                                     r.y_m + r.depth_m - inset_y, 0.0, car_height)).triangulate()
                home = self._floor_index.get(car.home_floor, served[0]) if car.home_floor else served[0]
                z = float(self._elevations[home])
                box.point_data["rgb"] = np.tile(np.array(status_rgb(None), np.uint8), (box.n_points, 1))
                template = box.points.copy()
                box.points = template + (0.0, 0.0, z)
                self._cars[car.id] = _Car(box, template, z, served)
                self._add(car.id, box, overlay=True, scalars="rgb", lighting=False)

    def _build_zones(self) -> None:
        b = self.building
        for eq in b.equipment:
            for zone in eq.zones:
                fi = self._floor_index.get(zone.floor)
                if fi is None:
                    continue
                fl = self.floors[fi]
                spaces = [b.space_by_id[s] for s in zone.spaces if s in b.space_by_id] or \
                    [s for s in b.spaces if s.floor == zone.floor]
                if not spaces:
                    continue
                n = len(spaces)
                mesh = _prism_mesh([s.outline for s in spaces], np.full(n, fl.elevation_m + 0.05),
                                   np.full(n, fl.elevation_m + 0.9 * fl.height_m), np.zeros(n))
                actor = self._add(f"zone/{zone.id}", mesh, floor=fi, color=STATUS_COLORS["alarm"], opacity=0.35,
                                  lighting=False, cull_back=True)
                actor.visibility = False
                self._zones[zone.id] = zone

    def _build_equipment(self) -> None:
        b = self.building
        templates: dict[str, pv.PolyData] = {}
        for eq in b.equipment:
            anchor = np.array(equipment_anchor(b, eq), float)
            space = b.space_by_id.get(eq.location)
            fi = self._floor_index[space.floor] if space is not None else self._floor_at(anchor[2])
            if eq.system not in templates:
                templates[eq.system] = _glyph(eq.system, self.glyph_size_m)
            mesh = templates[eq.system].copy()
            template = mesh.points.copy()
            mesh.points = template + anchor
            mesh.point_data["rgb"] = np.tile(np.array(status_rgb(None), np.uint8), (mesh.n_points, 1))
            self._glyphs[eq.id] = _Glyph(mesh, template, anchor, fi)
            self._add(eq.id, mesh, overlay=True, floor=fi, scalars="rgb", lighting=False)

    def _label_actor(self, name: str, points: np.ndarray, texts: list[str], floors: np.ndarray, *,
                     font_size: int, floor: int | None = None) -> None:
        """Text at world points (a plain labelled-data mapper: no placement search, cheap to draw)."""
        from vtkmodules.vtkRenderingCore import vtkActor2D
        from vtkmodules.vtkRenderingLabel import vtkLabeledDataMapper

        poly = pv.PolyData(points.copy())
        self._set_label_words(poly, texts)
        mapper = vtkLabeledDataMapper()
        mapper.SetInputData(poly)
        mapper.SetLabelModeToLabelFieldData()
        mapper.SetFieldDataName("label")
        text = mapper.GetLabelTextProperty()
        text.SetFontSize(font_size)
        text.SetColor(0.13, 0.13, 0.13)
        text.SetBold(True)
        text.SetShadow(False)
        text.SetJustificationToRight() if name == "labels/floors" else text.SetJustificationToLeft()
        if name.startswith("labels/rooms/"):
            text.SetJustificationToCentered()
            text.SetBold(False)
        text.SetVerticalJustificationToCentered()
        self._label_font(text, texts)
        actor = vtkActor2D()
        actor.SetMapper(mapper)
        self._main.add_actor(actor, name=name, reset_camera=False, render=False, pickable=False)
        self.actors[name] = actor  # type: ignore[assignment]
        self._labels[name] = (poly, points.copy(), floors)
        if floor is not None:
            self._floor_actors[floor].append(name)

    @staticmethod
    def _label_font(prop, texts: Iterable[str]) -> None:
        """Chinese labels are drawn in a CJK font file (VTK's built-in fonts have no Chinese glyphs)."""
        font = cjk_font_file() if any(_has_cjk(t) for t in texts) else None
        if font is not None:
            prop.SetFontFamily(4)  # VTK_FONT_FILE
            prop.SetFontFile(font)
        else:
            prop.SetFontFamilyToArial()

    @staticmethod
    def _set_label_words(poly: pv.PolyData, texts: list[str]) -> None:
        """The label strings as a VTK string array (UTF-8: pyvista's own conversion is ASCII only)."""
        from vtkmodules.vtkCommonCore import vtkStringArray

        words = vtkStringArray()
        words.SetName("label")
        for t in texts:
            words.InsertNextValue(str(t))
        poly.GetPointData().AddArray(words)
        poly.Modified()

    def _floor_label_texts(self) -> list[str]:
        return [floor_label(f, self.floors, self.lang) for f in self.floors]

    def _room_label_texts(self, fi: int) -> list[str]:
        return [room_label(s, self.lang) for s in self._room_spaces(fi)]

    def _room_spaces(self, fi: int) -> list[Space]:
        floor_id = self.floor_ids[fi]
        return [s for s in self.building.spaces if s.floor == floor_id and not s.void]

    def _build_floor_labels(self) -> None:
        xy = np.array([p for s in self.building.spaces for p in s.outline], float)
        x0, y0 = xy.min(axis=0)
        pts = np.array([(x0 - 1.0, y0 - 1.0, f.elevation_m + 0.5 * f.height_m) for f in self.floors], float)
        self._label_actor("labels/floors", pts, self._floor_label_texts(),
                          np.arange(len(self.floors)), font_size=11)

    def _build_room_labels(self) -> None:
        """One label set per storey, shown in the one-storey view only (a whole tower's rooms at once
        would be unreadable): each room's name or kind at its centre, in the scene's language."""
        for fi, floor in enumerate(self.floors):
            spaces = self._room_spaces(fi)
            if not spaces:
                continue
            pts = np.array([(*np.asarray(s.outline, float).mean(axis=0), floor.elevation_m + 0.3) for s in spaces], float)
            self._label_actor(f"labels/rooms/{floor.id}", pts, self._room_label_texts(fi), np.full(len(spaces), fi),
                              font_size=10, floor=fi)
            self.actors[f"labels/rooms/{floor.id}"].SetVisibility(False)

    def set_language(self, lang: str | None) -> None:
        """Redraw the storey and room labels in ``lang`` (``en``, ``zh-CN``); equipment names are
        the building file's own words and stay as written."""
        lang = normalise_language(lang)
        if lang == self.lang:
            return
        self.lang = lang
        for name, (poly, _base, _floors) in self._labels.items():
            if name == "labels/floors":
                texts = self._floor_label_texts()
            elif name.startswith("labels/rooms/"):
                texts = self._room_label_texts(self._floor_index[name.rsplit("/", 1)[1]])
            else:
                continue
            self._set_label_words(poly, texts)
            self._label_font(self.actors[name].GetMapper().GetLabelTextProperty(), texts)

    def label_texts(self, name: str = "labels/floors") -> list[str]:
        """The words a label set shows now (``labels/floors``, ``labels/rooms/F12``…)."""
        words = self._labels[name][0].GetPointData().GetAbstractArray("label")
        return [words.GetValue(i) for i in range(words.GetNumberOfValues())]

    def _build_equipment_labels(self) -> None:
        """One label set per storey, so that a single-storey view shows only its own."""
        for fi in range(len(self.floors)):
            ids = [i for i, g in self._glyphs.items() if g.floor == fi]
            if not ids:
                continue
            pts = np.array([self._glyphs[i].anchor + (0, 0, self.glyph_size_m) for i in ids], float)
            names = [self.building.equipment_by_id[i].name or i for i in ids]
            self._label_actor(f"labels/equipment/{self.floor_ids[fi]}", pts, names, np.full(len(ids), fi),
                              font_size=10, floor=fi)

    # --- views -------------------------------------------------------------------------------

    def _floor_at(self, z_m: float) -> int:
        """Index of the storey a height belongs to (the highest floor at or below it)."""
        return int(np.clip(np.searchsorted(self._elevations, z_m + 1e-6, side="right") - 1, 0, len(self.floors) - 1))

    def floor_of(self, z_m: float) -> str:
        """Id of the storey a height belongs to."""
        return self.floor_ids[self._floor_at(z_m)]

    def set_view(self, mode: ViewMode = "all", floor: str | None = None, *, reset_camera: bool = True) -> None:
        """Show all storeys, one storey (``floor``), or all of them pulled apart (``exploded``)."""
        if mode not in ("all", "floor", "exploded"):
            raise ValueError(f"view mode must be 'all', 'floor' or 'exploded', got {mode!r}")
        if mode == "floor":
            if floor is None:
                floor = self.floor or self.floor_ids[0]
            if floor not in self._floor_index:
                raise SceneError("floor", floor, self.floor_ids)
        self.unbatch_equipment()
        n = len(self.floors)
        self.mode, self.floor = mode, (floor if mode == "floor" else None)
        self._dz = np.arange(n) * self.explode_gap_m if mode == "exploded" else np.zeros(n)
        self._visible = np.zeros(n, bool) if mode == "floor" else np.ones(n, bool)
        if mode == "floor":
            self._visible[self._floor_index[floor]] = True  # type: ignore[index]
        for fi, names in self._floor_actors.items():
            for name in names:
                actor = self.actors[name]
                if name.startswith("labels/"):  # 2D actors: their points move instead (below)
                    actor.SetVisibility(bool(self._visible[fi]))
                    continue
                actor.position = (0.0, 0.0, float(self._dz[fi]))
                if name.startswith(("slab/", "slab-edges/")):
                    # One storey alone stands on a solid slab; stacked storeys show the slab's edges.
                    actor.visibility = bool(self._visible[fi]) and (mode == "floor") == name.startswith("slab/")
                    continue
                if name.startswith("zone/"):
                    continue  # a zone's visibility is its alarm, hidden storeys aside
                actor.visibility = bool(self._visible[fi])
        for zone_id, zone in self._zones.items():
            self._apply_zone_visibility(zone_id)
        for layered in self._layered.values():
            self._apply_layered(layered)
        for car_id in self._cars:
            self._apply_car(car_id)
        for poly, base, floors in self._labels.values():
            poly.points = base + np.c_[np.zeros((len(base), 2)), self._dz[floors]]
        if "labels/floors" in self.actors:
            self.actors["labels/floors"].SetVisibility(mode != "floor")
        for fi, floor_id in enumerate(self.floor_ids):
            if f"labels/rooms/{floor_id}" in self.actors:
                self.actors[f"labels/rooms/{floor_id}"].SetVisibility(mode == "floor" and bool(self._visible[fi]))
        if reset_camera:
            self.reset_camera()

    def _apply_layered(self, layered: _Layered) -> None:
        pts = layered.base.copy()
        pts[:, 2] += self._dz[layered.point_floor]
        hidden = ~self._visible[layered.point_floor]
        if hidden.any():
            # Points of hidden storeys collapse onto one point: their cells have no area, draw nothing.
            keep = np.flatnonzero(~hidden)
            pts[hidden] = pts[keep[0]] if len(keep) else pts[0]
            if not len(keep):
                pts[:] = pts[0]
        layered.mesh.points = pts

    def _display_z(self, z_m: float) -> float:
        return z_m + float(np.interp(z_m, self._elevations, self._dz))

    def _apply_car(self, car_id: str) -> None:
        car = self._cars[car_id]
        car.mesh.points = car.template + (0.0, 0.0, self._display_z(car.z_m))
        self.actors[car_id].visibility = bool(self._visible[self._floor_at(car.z_m)])

    def _apply_zone_visibility(self, zone_id: str) -> None:
        zone = self._zones[zone_id]
        fi = self._floor_index[zone.floor]
        self.actors[f"zone/{zone_id}"].visibility = bool(self._zone_active.get(zone_id)) and bool(self._visible[fi])

    def visible_bounds(self) -> tuple[float, float, float, float, float, float]:
        """Bounds of what the current view shows (slabs and equipment of visible storeys)."""
        lows, highs = [], []
        for fi, names in self._floor_actors.items():
            if not self._visible[fi]:
                continue
            for name in names:
                if name.startswith(("zone/", "labels/")):
                    continue
                b = np.array(self.actors[name].GetBounds())
                if np.all(np.isfinite(b)) and b[1] >= b[0]:
                    lows.append(b[0::2])
                    highs.append(b[1::2])
        for layered in self._layered.values():
            b = np.array(layered.mesh.bounds)
            lows.append(b[0::2])
            highs.append(b[1::2])
        lo, hi = np.min(lows, axis=0), np.max(highs, axis=0)
        return (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])

    def reset_camera(self) -> None:
        """Frame what the current view shows: oblique for the building, from above for one storey."""
        bounds = self.visible_bounds()
        cam = self._main.GetActiveCamera()
        cx, cy, cz = (bounds[0] + bounds[1]) / 2, (bounds[2] + bounds[3]) / 2, (bounds[4] + bounds[5]) / 2
        direction = np.array([0.25, -0.55, 1.0]) if self.mode == "floor" else np.array([1.0, -1.2, 0.8])
        direction /= np.linalg.norm(direction)
        cam.SetFocalPoint(cx, cy, cz)
        cam.SetPosition(*(np.array([cx, cy, cz]) + 100.0 * direction))
        cam.SetViewUp(0, 0, 1)
        self._main.ResetCamera(*bounds)
        self._fit(bounds)
        self._main.ResetCameraClippingRange()

    def _fit(self, bounds, margin: float = 0.92) -> None:
        """Zoom so the bounds fill the window (ResetCamera frames a bounding sphere: long, flat
        buildings come out small)."""
        cam = self._main.GetActiveCamera()
        corners = np.array(np.meshgrid(bounds[0:2], bounds[2:4], bounds[4:6])).reshape(3, -1).T
        for _ in range(2):
            self._main.ResetCameraClippingRange()
            view = []
            for c in corners:
                self._main.SetWorldPoint(*c, 1.0)
                self._main.WorldToView()
                view.append(self._main.GetViewPoint()[:2])
            view = np.asarray(view)
            extent = float(np.max(np.abs(view)))  # view coordinates run from -1 to 1
            if extent <= 0 or not np.isfinite(extent):
                return
            cam.Zoom(margin / extent)

    def orbit(self, azimuth_deg: float = 0.0, elevation_deg: float = 0.0, zoom: float = 1.0) -> None:
        """Turn the camera about the focal point and zoom (the web console's drag and wheel)."""
        cam = self._main.GetActiveCamera()
        if azimuth_deg:
            cam.Azimuth(azimuth_deg)
        if elevation_deg:
            cam.Elevation(float(np.clip(elevation_deg, -85, 85)))
            cam.OrthogonalizeViewUp()
        if zoom != 1.0:
            cam.Zoom(zoom)
        self._main.ResetCameraClippingRange()

    # --- live updates (write arrays, never rebuild) -----------------------------------------

    @property
    def equipment_ids(self) -> list[str]:
        return list(self._glyphs)

    @property
    def car_ids(self) -> list[str]:
        return list(self._cars)

    @property
    def zone_ids(self) -> list[str]:
        return list(self._zones)

    def update_status(self, equipment_id: str, status: str | None) -> bool:
        """Colour a piece of equipment (or a lift car) by its status; True if it changed."""
        status = status if status in STATUS_COLORS else UNKNOWN_STATUS
        if self.statuses.get(equipment_id) == status:
            return False
        if equipment_id in self._glyphs:
            mesh = self._glyphs[equipment_id].mesh
        elif equipment_id in self._cars:
            mesh = self._cars[equipment_id].mesh
        else:
            raise SceneError("equipment", equipment_id, [*self._glyphs, *self._cars])
        self.unbatch_equipment()
        rgb = mesh.point_data["rgb"]
        rgb[:] = status_rgb(status)
        mesh.GetPointData().GetArray("rgb").Modified()
        self.statuses[equipment_id] = status
        return True

    def update_statuses(self, statuses: Mapping[str, str | None], *, ignore_unknown: bool = True) -> int:
        """Colour many pieces of equipment at once; returns how many changed."""
        changed = 0
        for ident, status in statuses.items():
            if ignore_unknown and ident not in self._glyphs and ident not in self._cars:
                continue
            changed += self.update_status(ident, status)
        return changed

    def update_car(self, car_id: str, z_m: float) -> None:
        """Put a lift car's floor at height ``z_m`` (building coordinates, metres)."""
        if car_id not in self._cars:
            raise SceneError("lift car", car_id, self._cars)
        self.unbatch_equipment()
        self._cars[car_id].z_m = float(z_m)
        self._apply_car(car_id)

    def batch_equipment(self) -> None:
        """Draw the equipment glyphs and lift cars as one actor, exactly as they are drawn now,
        until the next status, car or view change (which returns to the actors by id).

        A software renderer pays for every actor drawn (the sample tower's 121 glyphs and cars
        cost it about 5 ms a frame, the same triangles in one mesh under 2 ms); a picture in which
        the equipment stands still, an evacuation playback, draws them in one go."""
        if self._batched:
            return
        shown = [i for i in [*self._glyphs, *self._cars] if self.actors[i].GetVisibility()]
        if not shown:
            return
        parts = []
        for ident in shown:
            actor = self.actors[ident]
            part = actor.mapper.dataset.copy()
            part.points = part.points + np.asarray(actor.position)
            parts.append(part)
        merged = pv.merge(parts, merge_points=False)
        if self._batch_mesh is None:
            self._batch_mesh = merged
            self._add("equipment/batch", merged, overlay=True, scalars="rgb", lighting=False)
        else:
            self._batch_mesh.shallow_copy(merged)
        self.actors["equipment/batch"].SetVisibility(True)
        for ident in shown:
            self.actors[ident].SetVisibility(False)
        self._batched = shown

    def unbatch_equipment(self) -> None:
        """Draw the equipment and cars by their own actors again (see :meth:`batch_equipment`)."""
        if not self._batched:
            return
        for ident in self._batched:
            self.actors[ident].SetVisibility(True)
        self.actors["equipment/batch"].SetVisibility(False)
        self._batched = []

    def car_z(self, car_id: str) -> float:
        return self._cars[car_id].z_m

    def floor_elevation(self, floor_id: str) -> float:
        if floor_id not in self._floor_index:
            raise SceneError("floor", floor_id, self.floor_ids)
        return float(self._elevations[self._floor_index[floor_id]])

    def set_zone_alarm(self, zone_id: str, active: bool) -> bool:
        """Light up (or put out) a fire zone; True if it changed."""
        if zone_id not in self._zones:
            raise SceneError("fire zone", zone_id, self._zones)
        if bool(self._zone_active.get(zone_id)) == bool(active):
            return False
        self._zone_active[zone_id] = bool(active)
        self._apply_zone_visibility(zone_id)
        return True

    def colour_spaces(self, values: Mapping[str, float], *, vmin: float = 0.0, vmax: float | None = None,
                      cmap: str = "YlOrRd") -> None:
        """Shade rooms by a value (people per m², queue length…); rooms not given keep their fill."""
        v = np.full(len(self.space_ids), np.nan)
        for space_id, value in values.items():
            k = self._space_index.get(space_id)
            if k is not None and value is not None:
                v[k] = float(value)
        self.colour_space_array(v, vmin=vmin, vmax=vmax, cmap=cmap)

    def space_index(self, space_id: str) -> int:
        """Position of a space in :attr:`space_ids` (the order :meth:`colour_space_array` expects)."""
        return self._space_index[space_id]

    def colour_space_array(self, values: np.ndarray, *, vmin: float = 0.0, vmax: float | None = None,
                           cmap: str = "YlOrRd") -> None:
        """Shade rooms by one value per space (in :attr:`space_ids` order; NaN or ≤ vmin: no shade).
        Only storeys whose colours changed are sent to the renderer again."""
        values = np.asarray(values, float)
        shaded = np.isfinite(values) & (values > vmin)
        top = vmax if vmax is not None else (float(values[shaded].max()) if shaded.any() else 1.0)
        span = (top - vmin) or 1.0
        lut = self._lut(cmap)
        level = np.zeros(len(values), np.int64)
        level[shaded] = np.clip(((values[shaded] - vmin) / span * 255).astype(np.int64), 0, 255)
        if self._fill_cells is None:
            # Every storey's fill cells end to end, computed at once (a playback shades every frame).
            self._fill_cells = (np.concatenate([self._fill_base[fi] for fi in self._fills]),
                                np.concatenate([self._fill_space[fi] for fi in self._fills]),
                                {fi: (fill.GetCellData().GetArray("rgba"), fill.cell_data["rgba"])
                                 for fi, fill in self._fills.items()})
        base, cell_space, arrays = self._fill_cells
        rgba = base.copy()
        hot = shaded[cell_space]
        if hot.any():
            rgba[hot] = lut[level[cell_space[hot]]]
        start = 0
        for fi, (vtk_array, current) in arrays.items():
            new = rgba[start:start + len(current)]
            start += len(current)
            if not np.array_equal(current, new):
                current[:] = new
                vtk_array.Modified()

    def _lut(self, cmap: str) -> np.ndarray:
        lut = self._lut_cache.get(cmap)
        if lut is None:
            from matplotlib import colormaps

            lut = (colormaps[cmap](np.linspace(0.0, 1.0, 256)) * 255).astype(np.uint8)
            lut[:, 3] = _HEAT_ALPHA
            self._lut_cache[cmap] = lut
        return lut

    def reset_space_colours(self) -> None:
        self.colour_spaces({})

    # --- geometry for callers ----------------------------------------------------------------

    def equipment_point(self, equipment_id: str) -> tuple[float, float, float]:
        """Where an equipment glyph's centre is drawn in the current view."""
        if equipment_id in self._cars:
            car = self._cars[equipment_id]
            c = car.template.mean(axis=0)
            return (float(c[0]), float(c[1]), float(self._display_z(car.z_m) + c[2]))
        if equipment_id not in self._glyphs:
            raise SceneError("equipment", equipment_id, self._glyphs)
        g = self._glyphs[equipment_id]
        return (float(g.anchor[0]), float(g.anchor[1]), float(g.anchor[2] + self._dz[g.floor]))

    def space_point(self, space_id: str) -> tuple[float, float, float]:
        """A room's centroid on its floor, in the current view."""
        s = self.building.space_by_id[space_id]
        fi = self._floor_index[s.floor]
        x, y = s.centroid
        return (x, y, float(self._elevations[fi] + self._dz[fi]))

    def display_offset(self, floor_id: str) -> float:
        """How far the current view lifts a storey (non-zero in the exploded view)."""
        return float(self._dz[self._floor_index[floor_id]])

    def floor_visible(self, floor_id: str) -> bool:
        return bool(self._visible[self._floor_index[floor_id]])

    def project(self, point: Iterable[float]) -> tuple[int, int]:
        """Pixel (column, row) of a world point in a screenshot (row 0 at the top)."""
        from vtkmodules.vtkRenderingCore import vtkCoordinate

        coord = vtkCoordinate()
        coord.SetCoordinateSystemToWorld()
        coord.SetValue(*[float(v) for v in point])
        x, y = coord.GetComputedDoubleDisplayValue(self._main)
        height = self.plotter.window_size[1]
        return int(round(x)), int(round(height - 1 - y))

    # --- rendering ---------------------------------------------------------------------------

    @property
    def overlay(self) -> pv.Renderer:
        """The layer equipment glyphs, cars and moving occupants are drawn on."""
        return self._overlay

    def add_overlay_actor(self, name: str, mesh: pv.PolyData, **kwargs) -> pv.Actor:
        """Add a named actor to the overlay layer (used by playback for occupants)."""
        return self._add(name, mesh, overlay=True, **kwargs)

    def add_main_actor(self, name: str, mesh: pv.PolyData, **kwargs) -> pv.Actor:
        """Add a named actor to the main layer (used by playback for smoke and queues)."""
        return self._add(name, mesh, overlay=False, **kwargs)

    def render(self) -> None:
        self.plotter.render()

    def screenshot(self, path: str | Path | None = None) -> np.ndarray:
        """Render and return the image (rows × columns × RGB); also write it as PNG if ``path``."""
        self.plotter.render()
        img = self.plotter.screenshot(filename=None, return_img=True)
        if path is not None:
            _write_png(Path(path), img)
        return img

    def png_bytes(self) -> bytes:
        """The current view as PNG bytes (for reports and the web console)."""
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(self.screenshot()).save(buf, format="PNG", optimize=False)
        return buf.getvalue()

    def resize(self, width: int, height: int) -> None:
        if tuple(self.plotter.window_size) != (width, height):
            self.plotter.window_size = [int(width), int(height)]

    def show(self, **kwargs) -> None:
        """Open the interactive window (blocks until it is closed)."""
        self.plotter.show(**kwargs)

    def close(self) -> None:
        """Release the render window and every actor."""
        try:
            self._overlay.RemoveAllViewProps()
            self.plotter.render_window.RemoveRenderer(self._overlay) if self.plotter.render_window else None
        except AttributeError:
            pass
        self.plotter.close()
        self.actors.clear()

    def __enter__(self) -> "BuildingScene":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _write_png(path: Path, img: np.ndarray) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path, format="PNG")
