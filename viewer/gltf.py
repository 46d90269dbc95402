"""The building scene as one glTF file, for a browser to draw by itself.

An engineer at the web console turns the building in their own browser: the scene is sent once,
as a binary glTF (``.glb``), and drawn there with WebGL (three.js, vendored in the console), so
that a status change, a lift car moving or a turn of the camera costs the server nothing. Every
object a person may point at is its own named **node** carrying who it is in glTF ``extras``
(three.js puts them in ``userData``): each piece of equipment, lift car, space and door has
``{"id", "kind", "floor", "name", …}`` with ``kind`` one of ``equipment``, ``lift_car``,
``space``, ``door``; the id is the one id used everywhere (building file, MQTT device, API path).

The geometry is the scene :class:`viewer.scene.BuildingScene` builds for the desktop window and
the off-screen pictures — the same glyph per system at the same anchor, the same car boxes, room
fills, room outlines, slab edges, stair cores and lift shafts, read from its actors — so the
browser shows the building the other views show. Doors, which the pyvista scene does not draw,
are small door leaves at the door's position on the floor graph (:func:`twin.graph.build_graph`'s
``door_pos``), across the line joining the two spaces.

Layout of the file:

* the root node ``building/{id}``; one child per storey ``floor/{id}`` (extras: ``kind: floor``,
  ``elevation_m``, ``height_m``, ``label`` in ``en`` and ``zh-CN``) holding that storey's spaces,
  doors and equipment, its slab (``slab/{id}``, shown in the one-storey view), slab edges, room
  outlines, and its part of every stair core and lift shaft, and its fire zones (``zone/{id}``,
  shown while the zone is in alarm); a viewer isolates a storey or cuts away the storeys above by
  hiding storey nodes, and explodes the building by moving them;
* the lift cars as children of the root (they travel between storeys): a car's node translation
  is its car floor's height, its mesh stands on z = 0;
* materials are unlit (``KHR_materials_unlit``) so that status colours are drawn exactly: status
  colours from :data:`viewer.scene.STATUS_COLORS`, room fills from :data:`viewer.scene.KIND_COLORS`;
* the scene's extras hold the storeys (id, elevation, height, labels), the palette and the axes.

Axes: glTF is y-up, the building z-up. A building point (x, y, z) is the glTF point (x, z, −y).

Why a small writer with numpy rather than VTK's glTF exporter (``pv.Plotter.export_gltf``): the
exporter writes one node per actor with no names of ours and no ``extras``, needs a render window
and exports what is on screen (the overlay layer and hidden actors are lost), and it repeats the
glyph geometry per piece of equipment. The glTF 2.0 container is simple — a JSON chunk and a
binary chunk of vertex and index arrays — and writing it ourselves gives named nodes with extras,
one shared mesh per glyph shape, and no OpenGL on the server.
"""

from __future__ import annotations

import hashlib
import json
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

import numpy as np

from twin.spec import Building
from twin.text import normalise_language

__all__ = ["GLTF_MEDIA_TYPE", "OBJECT_KINDS", "building_glb", "building_fingerprint", "scene_glb", "read_glb",
           "to_gltf_axes"]

GLTF_MEDIA_TYPE = "model/gltf-binary"
OBJECT_KINDS = ("equipment", "lift_car", "space", "door")
"""The kinds of node a person can point at (hover, click) in the browser."""

_LANGS = ("en", "zh-CN")
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
_FLOAT, _UNSIGNED_SHORT, _UNSIGNED_INT = 5126, 5123, 5125
_TRIANGLES, _LINES = 4, 1
_DOOR_THICKNESS_M = 0.15
_DOOR_HEIGHT_M = 2.1
_SPACE_ALPHA = 0.35   # room fills: translucent so that storeys behind stay readable
_CACHE_SIZE = 4


def to_gltf_axes(points: np.ndarray) -> np.ndarray:
    """Building (x, y, z-up) → glTF (x, y-up, z): (x, y, z) ↦ (x, z, −y), as float32."""
    p = np.asarray(points, np.float64).reshape(-1, 3)
    return np.c_[p[:, 0], p[:, 2], -p[:, 1]].astype(np.float32)


def _rgb(colour: str) -> list[float]:
    """A ``#RRGGBB`` (sRGB) colour as glTF's linear ``baseColorFactor`` (glTF 2.0, 3.9.2): a
    viewer that encodes its output as sRGB then shows exactly the palette's colour."""
    c = colour.lstrip("#")
    srgb = np.array([int(c[i:i + 2], 16) / 255.0 for i in (0, 2, 4)])
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    return [round(float(v), 6) for v in linear]


class _GlbWriter:
    """Accumulates glTF 2.0 meshes, materials and nodes over one binary buffer."""

    def __init__(self) -> None:
        self.bin = bytearray()
        self.doc: dict[str, Any] = {"asset": {"version": "2.0", "generator": "building-twin viewer.gltf"},
                                    "buffers": [], "bufferViews": [], "accessors": [], "meshes": [],
                                    "materials": [], "nodes": [], "scenes": [], "scene": 0,
                                    "extensionsUsed": ["KHR_materials_unlit"]}
        self._materials: dict[str, int] = {}

    def _view(self, data: bytes, target: int) -> int:
        while len(self.bin) % 4:
            self.bin.append(0)
        self.doc["bufferViews"].append({"buffer": 0, "byteOffset": len(self.bin), "byteLength": len(data),
                                        "target": target})
        self.bin.extend(data)
        return len(self.doc["bufferViews"]) - 1

    def _accessor(self, view: int, component: int, count: int, kind: str, **extra: Any) -> int:
        self.doc["accessors"].append({"bufferView": view, "componentType": component, "count": count,
                                      "type": kind, **extra})
        return len(self.doc["accessors"]) - 1

    def material(self, name: str, colour: str, *, alpha: float = 1.0, double_sided: bool = False) -> int:
        if name not in self._materials:
            m: dict[str, Any] = {"name": name, "pbrMetallicRoughness": {"baseColorFactor": [*_rgb(colour), alpha],
                                                                        "metallicFactor": 0.0, "roughnessFactor": 1.0},
                                 "extensions": {"KHR_materials_unlit": {}}}
            if alpha < 1.0:
                m["alphaMode"] = "BLEND"
            if double_sided:
                m["doubleSided"] = True
            self.doc["materials"].append(m)
            self._materials[name] = len(self.doc["materials"]) - 1
        return self._materials[name]

    def mesh(self, name: str, positions: np.ndarray, indices: np.ndarray, material: int, *,
             mode: int = _TRIANGLES) -> int | None:
        """A mesh of one primitive; ``positions`` already in glTF axes. None when empty."""
        pos = np.ascontiguousarray(positions, np.float32).reshape(-1, 3)
        idx = np.asarray(indices, np.int64).ravel()
        if not len(pos) or not len(idx):
            return None
        pa = self._accessor(self._view(pos.tobytes(), _ARRAY_BUFFER), _FLOAT, len(pos), "VEC3",
                            min=[float(v) for v in pos.min(axis=0)], max=[float(v) for v in pos.max(axis=0)])
        small = int(idx.max()) < 65535
        data = idx.astype(np.uint16 if small else np.uint32)
        ia = self._accessor(self._view(data.tobytes(), _ELEMENT_ARRAY_BUFFER),
                            _UNSIGNED_SHORT if small else _UNSIGNED_INT, len(idx), "SCALAR")
        self.doc["meshes"].append({"name": name, "primitives": [{"attributes": {"POSITION": pa}, "indices": ia,
                                                                  "material": material, "mode": mode}]})
        return len(self.doc["meshes"]) - 1

    def node(self, name: str, *, mesh: int | None = None, translation: Iterable[float] | None = None,
             extras: dict[str, Any] | None = None, children: list[int] | None = None) -> int:
        n: dict[str, Any] = {"name": name}
        if mesh is not None:
            n["mesh"] = mesh
        if translation is not None:
            t = [float(v) for v in translation]
            if any(t):
                n["translation"] = t
        if children:
            n["children"] = children
        if extras:
            n["extras"] = extras
        self.doc["nodes"].append(n)
        return len(self.doc["nodes"]) - 1

    def glb(self, roots: list[int], extras: dict[str, Any]) -> bytes:
        while len(self.bin) % 4:
            self.bin.append(0)
        self.doc["buffers"] = [{"byteLength": len(self.bin)}]
        self.doc["scenes"] = [{"name": "building", "nodes": roots, "extras": extras}]
        body = json.dumps(self.doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        body += b" " * (-len(body) % 4)
        total = 12 + 8 + len(body) + 8 + len(self.bin)
        return b"".join([struct.pack("<4sII", b"glTF", 2, total), struct.pack("<I4s", len(body), b"JSON"), body,
                         struct.pack("<I4s", len(self.bin), b"BIN\x00"), bytes(self.bin)])


def read_glb(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The JSON document and binary chunk of a ``.glb`` (for tests and tools)."""
    magic, version, total = struct.unpack_from("<4sII", data, 0)
    if magic != b"glTF" or version != 2 or total != len(data):
        raise ValueError(f"not a glTF 2.0 binary (magic {magic!r}, version {version}, length {total} vs {len(data)})")
    json_len, kind = struct.unpack_from("<I4s", data, 12)
    if kind != b"JSON":
        raise ValueError(f"the first chunk of a glb must be JSON, got {kind!r}")
    doc = json.loads(data[20:20 + json_len].decode("utf-8"))
    rest = 20 + json_len
    binary = b""
    if rest < len(data):
        bin_len, kind = struct.unpack_from("<I4s", data, rest)
        binary = data[rest + 8:rest + 8 + bin_len]
    return doc, binary


# --- reading the pyvista scene -----------------------------------------------------------------


def _triangles(mesh: Any) -> tuple[np.ndarray, np.ndarray]:
    """Points and (n, 3) triangles of a pyvista surface (triangulated first when it is not)."""
    if not mesh.is_all_triangles:
        mesh = mesh.triangulate()
    return np.asarray(mesh.points, float), np.asarray(mesh.faces).reshape(-1, 4)[:, 1:]


def _segments(mesh: Any) -> tuple[np.ndarray, np.ndarray]:
    """Points and (n, 2) segments of a pyvista line mesh made of 2-point lines."""
    return np.asarray(mesh.points, float), np.asarray(mesh.lines).reshape(-1, 3)[:, 1:]


def _compact(points: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Only the points ``cells`` use, and the cells re-indexed to them."""
    used, inverse = np.unique(cells.ravel(), return_inverse=True)
    return points[used], inverse.reshape(cells.shape)


def _door_leaf(building: Building, door: Any, at_xy: tuple[float, float], floor: Any) -> np.ndarray:
    """The 8 corners (building axes) of a door leaf: ``width_m`` wide across the line from one
    side's centre to the other's, 0.15 m thick, 2.1 m high (less in a low storey)."""
    centres = []
    for side in door.between:
        if side in building.space_by_id:
            centres.append(np.asarray(building.space_by_id[side].centroid, float))
        elif side in building.exit_by_id:
            e = building.exit_by_id[side]
            centres.append(np.array([e.x_m, e.y_m], float))
    along = centres[1] - centres[0] if len(centres) == 2 else np.array([1.0, 0.0])
    if not np.linalg.norm(along):
        along = np.array([1.0, 0.0])
    along = along / np.linalg.norm(along)           # through the door
    across = np.array([-along[1], along[0]])        # along the wall
    c = np.asarray(at_xy, float)
    w, t = door.width_m / 2, _DOOR_THICKNESS_M / 2
    z0, z1 = floor.elevation_m, floor.elevation_m + min(_DOOR_HEIGHT_M, 0.7 * floor.height_m)
    corners = [c - w * across - t * along, c + w * across - t * along, c + w * across + t * along,
               c - w * across + t * along]
    return np.array([(*p, z) for z in (z0, z1) for p in corners], float)


_BOX_TRIANGLES = np.array([[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
                           [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]])


def scene_glb(building: Building, scene: Any | None = None) -> bytes:
    """The building as a binary glTF (see the module docstring for its nodes and extras).

    ``scene`` is a :class:`~viewer.scene.BuildingScene` of this building in its default view
    (all storeys, nothing moved); without one, an off-screen scene is built and closed here."""
    from viewer.scene import BuildingScene

    own = scene is None
    if own:
        scene = BuildingScene(building, off_screen=True, window_size=(64, 64), labels="none")
    try:
        return _write(building, scene)
    finally:
        if own:
            scene.close()


def _write(building: Building, scene: Any) -> bytes:
    from twin.graph import build_graph
    from viewer.scene import KIND_COLORS, STATUS_COLORS, UNKNOWN_STATUS, equipment_anchor, floor_label, room_label

    w = _GlbWriter()
    floors = scene.floors
    floor_ids = [f.id for f in floors]
    floor_children: dict[str, list[int]] = {f.id: [] for f in floors}
    unknown = w.material("status/unknown", STATUS_COLORS[UNKNOWN_STATUS])

    def line_node(name: str, points: np.ndarray, segs: np.ndarray, colour: str, floor: str, kind: str,
                  ident: str | None = None) -> None:
        if not len(segs):
            return
        pts, segs = _compact(points, segs)
        mesh = w.mesh(name, to_gltf_axes(pts), segs, w.material(f"line/{kind}", colour), mode=_LINES)
        if mesh is not None:
            extras = {"kind": kind, "floor": floor}
            if ident:
                extras["id"] = ident
            floor_children[floor].append(w.node(name, mesh=mesh, extras=extras))

    # Storeys: slab (one-storey view), slab edges, room outlines.
    for f in floors:
        for prefix, colour, kind in (("slab-edges", "#9AA3AD", "slab_edges"), ("outlines", "#5F6B78", "outlines")):
            actor = scene.actors.get(f"{prefix}/{f.id}")
            if actor is not None:
                line_node(f"{prefix}/{f.id}", *_segments(actor.mapper.dataset), colour, f.id, kind)
        slab = scene.actors.get(f"slab/{f.id}")
        if slab is not None:
            pts, tris = _triangles(slab.mapper.dataset)
            mesh = w.mesh(f"slab/{f.id}", to_gltf_axes(pts), tris, w.material("slab", "#E4E6E8"))
            floor_children[f.id].append(w.node(f"slab/{f.id}", mesh=mesh,
                                               extras={"kind": "slab", "floor": f.id, "view": "floor"}))

    # Spaces: each room's triangles of its storey's fill (cell tag k = the storey's k-th space).
    for f in floors:
        actor = scene.actors.get(f"spaces/{f.id}")
        if actor is None:
            continue
        fill = actor.mapper.dataset
        pts, tris = _triangles(fill)
        tags = np.asarray(fill.cell_data["tag"])
        on_floor = [s for s in building.spaces if s.floor == f.id]
        for k, space in enumerate(on_floor):
            cells = tris[tags == k]
            if not len(cells):
                continue
            p, c = _compact(pts, cells)
            colour = KIND_COLORS.get(space.kind, "#DDDDDD")
            mesh = w.mesh(space.id, to_gltf_axes(p), c,
                          w.material(f"space/{space.kind}", colour, alpha=_SPACE_ALPHA, double_sided=True))
            floor_children[f.id].append(w.node(space.id, mesh=mesh, extras={
                "id": space.id, "kind": "space", "floor": f.id, "name": space.name or space.id,
                "space_kind": space.kind, "void": space.void,
                "label": {lang: room_label(space, lang) for lang in _LANGS}}))

    # Doors: a leaf at each door's place on the floor graph.
    graph = build_graph(building)
    door_at = {d: data["door_pos"] for _a, _b, d, data in graph.edges(keys=True, data=True) if "door_pos" in data}
    leaf_open = w.material("door", "#8C6D46")
    leaf_fire = w.material("door/fire", "#B5412C")
    for door in building.doors:
        space_id = next((s for s in door.between if s in building.space_by_id), None)
        if space_id is None or door.id not in door_at:
            continue
        floor = building.floor_by_id[building.space_by_id[space_id].floor]
        corners = _door_leaf(building, door, door_at[door.id], floor)
        mesh = w.mesh(door.id, to_gltf_axes(corners), _BOX_TRIANGLES, leaf_fire if door.fire_door else leaf_open)
        floor_children[floor.id].append(w.node(door.id, mesh=mesh, extras={
            "id": door.id, "kind": "door", "floor": floor.id, "name": door.id, "between": list(door.between),
            "door_kind": door.kind, "fire_door": door.fire_door, "width_m": door.width_m}))

    # Stair cores and lift shafts: each storey's part under that storey.
    for name in [n for n in scene.actors if n.startswith(("stair/", "shaft/"))]:
        pts, segs = _segments(scene.actors[name].mapper.dataset)
        seg_floor = np.array([scene.floor_of(float(min(pts[a, 2], pts[b, 2]))) for a, b in segs])
        kind, ident = name.split("/", 1)
        colour = "#2E8B57" if kind == "stair" else "#B0B0B0"
        for fid in floor_ids:
            line_node(f"{name}/{fid}", pts, segs[seg_floor == fid], colour, fid, kind, ident)

    # Fire zones (shown while in alarm).
    zone_mat = w.material("zone", STATUS_COLORS["alarm"], alpha=0.35)
    for name in [n for n in scene.actors if n.startswith("zone/")]:
        ident = name.split("/", 1)[1]
        zone = next((z for e in building.equipment for z in e.zones if z.id == ident), None)
        if zone is None or zone.floor not in floor_children:
            continue
        pts, tris = _triangles(scene.actors[name].mapper.dataset)
        mesh = w.mesh(name, to_gltf_axes(pts), tris, zone_mat)
        floor_children[zone.floor].append(w.node(name, mesh=mesh, extras={
            "id": ident, "kind": "zone", "floor": zone.floor, "spaces": list(zone.spaces)}))

    # Equipment: one shared glyph mesh per system, placed at its anchor.
    glyph_mesh: dict[str, int] = {}
    for eq in building.equipment:
        actor = scene.actors.get(eq.id)
        if actor is None:
            continue
        anchor = np.asarray(equipment_anchor(building, eq), float)
        if eq.system not in glyph_mesh:
            pts, tris = _triangles(actor.mapper.dataset)
            glyph_mesh[eq.system] = w.mesh(f"glyph/{eq.system}", to_gltf_axes(pts - anchor), tris, unknown)
        space = building.space_by_id.get(eq.location)
        floor = space.floor if space is not None else scene.floor_of(float(anchor[2]))
        floor_children[floor].append(w.node(eq.id, mesh=glyph_mesh[eq.system], translation=to_gltf_axes(anchor)[0],
                                            extras={"id": eq.id, "kind": "equipment", "floor": floor,
                                                    "name": eq.name or eq.id, "system": eq.system,
                                                    "equipment_kind": eq.kind, "location": eq.location}))

    # Lift cars: children of the building (they travel); the node's height is the car floor's.
    cars: list[int] = []
    for group in building.elevators:
        for car in group.cars:
            actor = scene.actors.get(car.id)
            if actor is None:
                continue
            z = float(scene.car_z(car.id))
            pts, tris = _triangles(actor.mapper.dataset)
            mesh = w.mesh(car.id, to_gltf_axes(pts - (0.0, 0.0, z)), tris, unknown)
            home = scene.floor_of(z)
            cars.append(w.node(car.id, mesh=mesh, translation=(0.0, z, 0.0), extras={
                "id": car.id, "kind": "lift_car", "floor": home, "name": car.id, "group": group.id,
                "floors_served": list(car.floors_served), "home_floor": car.home_floor}))

    floor_nodes = []
    for f in floors:
        floor_nodes.append(w.node(f"floor/{f.id}", children=floor_children[f.id], extras={
            "id": f.id, "kind": "floor", "floor": f.id, "name": f.name or f.id, "elevation_m": f.elevation_m,
            "height_m": f.height_m, "label": {lang: floor_label(f, floors, lang) for lang in _LANGS}}))
    root = w.node(f"building/{building.id}", children=floor_nodes + cars,
                  extras={"id": building.id, "kind": "building", "name": building.name})
    extras = {"building": {"id": building.id, "name": building.name},
              "floors": [{"id": f.id, "name": f.name or f.id, "elevation_m": f.elevation_m, "height_m": f.height_m,
                          "label": {lang: floor_label(f, floors, normalise_language(lang)) for lang in _LANGS}}
                         for f in floors],
              "palette": dict(STATUS_COLORS), "object_kinds": list(OBJECT_KINDS),
              "axes": "glTF (x, y, z) = building (x, z, -y); metres; y up",
              "explode_gap_m": float(scene.explode_gap_m), "glyph_size_m": float(scene.glyph_size_m)}
    return w.glb([root], extras)


# --- cached per building -------------------------------------------------------------------------

_cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_lock = threading.Lock()


def building_fingerprint(building: Building) -> str:
    """A short hash of the building spec: the cache key, and the ETag of the served file."""
    return hashlib.sha256(building.model_dump_json().encode("utf-8")).hexdigest()[:20]


def building_glb(building: Building) -> tuple[bytes, str]:
    """The building's ``.glb`` and its fingerprint, made once per building spec and then reused
    (the last few buildings are kept). Safe to call from several threads: one makes it."""
    key = (building.id, building_fingerprint(building))
    with _lock:
        data = _cache.get(key)
        if data is None:
            data = scene_glb(building)
            _cache[key] = data
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        else:
            _cache.move_to_end(key)
    return data, key[1]
