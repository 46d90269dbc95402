"""Evacuation playback: a drill replayed in the 3D building.

A safety officer reads an evacuation best by watching it: people leaving their flats when their
pre-movement time is up, filling the corridors, queueing at the stair doors, walking down flight
after flight, and the building emptying floor by floor. This module turns the evacuation model's
records into that picture.

The model's ``trace`` table (``params.trace: true``) lists each occupant's movement events in
time order: ``start`` (leaves their start point in a space), ``at_gate`` (reaches a door, exit
door or stair flight — and from here waits if it is busy or the space beyond is full), ``pass``
(goes through it), ``exit`` (is out), and for lifts ``call``, ``board``, ``alight``; ``trapped``
when no way is left. :class:`EvacuationTracks` turns these events into keyframes — a position and
a state per occupant per event — on the floor graph's geometry (door positions, stair landings,
space centroids, exits), and gives every occupant's position at any time by interpolating
linearly between keyframes, so a person walks along the graph's edges at the pace the model gave
them and stands still while they queue. Without a trace, the ``occupants`` table's routes are
walked at an even pace from ``start_s`` to ``arrival_s`` (queues then do not show) and
:attr:`EvacuationTracks.approximate` says so.

:class:`EvacuationPlayback` draws a :class:`~viewer.scene.BuildingScene` with the occupants as
points (coloured by what they are doing: waiting, walking, queueing, in a lift, trapped), queue
columns on doors and stairs, rooms shaded by crowd density and smoke-logged rooms greyed from the
time the scenario's smoke reaches them. Each frame writes arrays — positions, colours, the
visible points, column heights — never rebuilding the scene. It exports MP4 or GIF (imageio) and
PNG frames, and opens a desktop window with a time slider and play controls.
"""

from __future__ import annotations

import functools
import json
import math
import queue
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from twin.graph import build_graph
from twin.spec import Building
from viewer.scene import BuildingScene

__all__ = [
    "WAITING", "MOVING", "QUEUED", "LIFT", "TRAPPED", "OUT",
    "STATE_NAMES", "STATE_COLORS", "QUEUE_M_PER_PERSON", "RAISE_M",
    "EvacuationTracks", "Frame", "EvacuationPlayback", "PlaybackError", "load_run", "smoke_events",
]

WAITING, MOVING, QUEUED, LIFT, TRAPPED, OUT = range(6)
STATE_NAMES = ("waiting", "moving", "queued", "lift", "trapped", "out")
STATE_COLORS: dict[str, str] = {
    "waiting": "#5B6B7C",   # slate: alarm not heard yet, or pre-movement
    "moving": "#1F6FB4",    # blue: walking
    "queued": "#F07F0E",    # orange: waiting at a door, stair or lift lobby
    "lift": "#8E44AD",      # purple: riding a lift
    "trapped": "#000000",   # black: no way left
    "out": "#1A9850",
}
"""Occupant state → colour of their point."""

RAISE_M = 0.5
"""How far (m) people are drawn above their floor (clear of the fills)."""
QUEUE_M_PER_PERSON = 0.12
"""Height (m) of a queue column per person waiting (the browser's playback draws the same)."""
_DENSITY_VMAX = 2.0          # persons/m² shown as the darkest shade (about SFPE optimum flow)
_SMOKE_RGBA = (95, 95, 95, 120)
_UNTENABLE_RGBA = (70, 35, 35, 170)


def _set_text(actor, text: str) -> None:
    """Set a caption's text (a corner annotation's upper-left corner, or a text actor)."""
    if hasattr(actor, "SetInput"):
        actor.SetInput(text)
    else:
        actor.SetText(2, text)


def _stamp_caption(image: np.ndarray, text: str) -> np.ndarray:
    """The frame with ``text`` drawn in its upper-left corner (on a light band, dark letters).

    Only the band is handed to Pillow and written back, so a caption costs the same whatever the
    frame's size. The frame is changed in place when it is writable (a fresh screenshot is)."""
    from PIL import Image, ImageDraw

    font = _caption_font()
    left, top, right, bottom = font.getbbox(text)
    x0, y0 = max(0, 12 + left - 6), max(0, 10 + top - 4)
    x1, y1 = min(image.shape[1], 12 + right + 7), min(image.shape[0], 10 + bottom + 5)
    if not image.flags.writeable:
        image = image.copy()
    band = Image.fromarray(np.ascontiguousarray(image[y0:y1, x0:x1]))
    draw = ImageDraw.Draw(band)
    draw.rectangle((12 + left - 6 - x0, 10 + top - 4 - y0, 12 + right + 6 - x0, 10 + bottom + 4 - y0),
                   fill=(255, 255, 255))
    draw.text((12 - x0, 10 - y0), text, fill=(34, 34, 34), font=font)
    image[y0:y1, x0:x1] = np.asarray(band)
    return image


@functools.lru_cache(maxsize=1)
def _caption_font():
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=18)
    except TypeError:  # Pillow without FreeType sizes: its small bitmap font
        return ImageFont.load_default()


class PlaybackError(ValueError):
    """The records cannot be played back (no trace and no occupants table, unknown ids)."""


def _hex(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


_STATE_RGB = np.array([_hex(STATE_COLORS[n]) for n in STATE_NAMES], np.uint8)


@dataclass(frozen=True)
class Frame:
    """Where everyone is at one time: positions of the occupants still inside and their states."""

    time_s: float
    occupants: np.ndarray   # ids of the occupants shown
    xyz: np.ndarray         # (n, 3) building coordinates
    state: np.ndarray       # (n,) state codes (WAITING … TRAPPED)
    space: np.ndarray       # (n,) element index (see EvacuationTracks.elements), -1 in a lift
    queues: dict[str, int]  # gate id → people waiting at it

    @property
    def count(self) -> int:
        return len(self.occupants)


class EvacuationTracks:
    """Every occupant's keyframes (time, position, state, space) built from the model's records."""

    def __init__(self, building: Building, *, trace: pd.DataFrame | None = None,
                 occupants: pd.DataFrame | None = None, graph: nx.MultiGraph | None = None,
                 seed: int = 0):
        if (trace is None or trace.empty) and (occupants is None or occupants.empty):
            raise PlaybackError("nothing to play back: neither a 'trace' nor an 'occupants' table")
        self.building = building
        self.graph = graph if graph is not None else build_graph(building)
        self.elements: list[str] = list(self.graph.nodes)
        self._element_index = {e: i for i, e in enumerate(self.elements)}
        self._pos = {n: np.asarray(d["pos"], float) for n, d in self.graph.nodes(data=True)}
        self._edges: dict[str, tuple[str, str, dict]] = {}
        for u, v, k, d in self.graph.edges(keys=True, data=True):
            self._edges[str(k)] = (u, v, d)
        self.approximate = trace is None or trace.empty
        self._lobby_queues: dict[str, np.ndarray] = {}
        ids = self._occupant_ids(trace, occupants)
        self.occupant_ids = ids
        start_space = self._start_spaces(ids, trace, occupants)
        start_xyz = self._start_points(ids, start_space, seed)
        if self.approximate:
            frames = self._from_routes(ids, occupants, start_space, start_xyz)  # type: ignore[arg-type]
        else:
            frames = self._from_trace(ids, trace, start_space, start_xyz)  # type: ignore[arg-type]
        self._pack(ids, frames)
        self.gone_s = self._gone_times(ids, occupants)
        self.gate_ids: list[str] = sorted({g for g in self._gate_names if g})
        self.duration_s = float(np.nanmax(np.r_[self.key_t[np.isfinite(self.key_t)], 0.0]))
        finite_gone = self.gone_s[np.isfinite(self.gone_s)]
        if finite_gone.size:
            self.duration_s = max(self.duration_s, float(finite_gone.max()))

    # --- construction ------------------------------------------------------------------------

    @staticmethod
    def _occupant_ids(trace: pd.DataFrame | None, occupants: pd.DataFrame | None) -> np.ndarray:
        if occupants is not None and not occupants.empty:
            col = "id" if "id" in occupants.columns else "occupant"
            return np.sort(occupants[col].to_numpy(np.int64))
        return np.sort(trace["occupant"].unique().astype(np.int64))  # type: ignore[index]

    def _start_spaces(self, ids: np.ndarray, trace: pd.DataFrame | None,
                      occupants: pd.DataFrame | None) -> dict[int, str]:
        spaces: dict[int, str] = {}
        if occupants is not None and "space" in occupants.columns:
            col = "id" if "id" in occupants.columns else "occupant"
            spaces.update(zip(occupants[col].astype(int), occupants["space"].astype(str)))
        if trace is not None and not trace.empty:
            starts = trace[trace["event"] == "start"]
            for o, where in zip(starts["occupant"].astype(int), starts["where"].astype(str)):
                spaces.setdefault(o, where)
        missing = [int(o) for o in ids if int(o) not in spaces]
        if missing:
            raise PlaybackError(f"no start space for occupant {missing[0]} (and {len(missing) - 1} more): "
                                "the trace of an occupant who never moved needs the 'occupants' table")
        unknown = sorted({s for s in spaces.values() if s not in self._element_index})
        if unknown:
            raise PlaybackError(f"unknown space {unknown[0]!r} in the records: not in building {self.building.id!r}")
        return spaces

    def _start_points(self, ids: np.ndarray, spaces: Mapping[int, str], seed: int) -> dict[int, np.ndarray]:
        """A point per occupant inside their start space (the model does not record its draw)."""
        rng = np.random.default_rng(seed)
        u = rng.uniform(0.1, 0.9, (len(ids), 2))
        out = {}
        for (o, (a, b)) in zip(ids, u):
            sid = spaces[int(o)]
            space = self.building.space_by_id.get(sid)
            z = self._pos[sid][2]
            if space is not None and space.rect is not None:
                r = space.rect
                out[int(o)] = np.array([r.x_m + a * r.width_m, r.y_m + b * r.depth_m, z])
            else:
                out[int(o)] = self._pos[sid].copy()
        return out

    def _portal(self, gate: str, element: str) -> np.ndarray:
        """Where an occupant in ``element`` stands to pass ``gate`` (a door's position, or the stair
        landing itself for a flight)."""
        u, v, d = self._edges[gate]
        if d.get("kind") == "stair":
            return self._pos[element].copy()
        x, y = d["door_pos"]
        return np.array([x, y, self._pos[element][2]])

    def _other_end(self, gate: str, element: str) -> str:
        u, v, _ = self._edges[gate]
        return v if u == element else u

    def _from_trace(self, ids: np.ndarray, trace: pd.DataFrame, start_space: Mapping[int, str],
                    start_xyz: Mapping[int, np.ndarray]) -> dict[int, list[tuple]]:
        """Keyframes (t, xyz, state, element, gate) per occupant from the movement events."""
        frames: dict[int, list[tuple]] = {}
        trace = trace.sort_values(["occupant", "time_s"], kind="stable")
        groups = {int(o): g for o, g in trace.groupby("occupant", sort=False)}
        for o in ids:
            o = int(o)
            here = start_space[o]
            pos = start_xyz[o]
            keys: list[tuple] = [(0.0, pos, WAITING, here, "")]
            g = groups.get(o)
            if g is None:
                frames[o] = keys
                continue
            for t, event, where in zip(g["time_s"].to_numpy(float), g["event"].astype(str), g["where"].astype(str)):
                if event == "start":
                    keys.append((t, pos, MOVING, here, ""))
                elif event == "at_gate":
                    if where not in self._edges:
                        raise PlaybackError(f"unknown door or stair flight {where!r} in the trace (occupant {o})")
                    target = self._portal(where, here)
                    prev_t, prev_pos = keys[-1][0], keys[-1][1]
                    via = keys[-1][5] if len(keys[-1]) > 5 else None
                    if via is not None:
                        # After a stair flight: along the flight to this landing, then to the gate.
                        d1 = float(np.linalg.norm(via - prev_pos))
                        d2 = float(np.linalg.norm(target - via))
                        if d1 + d2 > 0:
                            keys.append((prev_t + (t - prev_t) * d1 / (d1 + d2), via, MOVING, here, ""))
                    keys.append((t, target, QUEUED, here, where))
                    pos = target
                elif event == "pass":
                    if where not in self._edges:
                        raise PlaybackError(f"unknown door or stair flight {where!r} in the trace (occupant {o})")
                    portal = self._portal(where, here)
                    beyond = self._other_end(where, here)
                    stair = self._edges[where][2].get("kind") == "stair"
                    keys.append((t, portal, MOVING, beyond, "", self._pos[beyond].copy() if stair else None))
                    here, pos = beyond, portal
                elif event == "exit":
                    exit_pos = self._pos.get(where, pos)
                    keys.append((t, exit_pos, OUT, where, ""))
                    pos = exit_pos
                elif event == "call":
                    # People waiting for a lift queue in the lobby they called from.
                    lobby_queue = f"{where}@{here}"
                    self._lobby_queues[lobby_queue] = self._pos[here].copy()
                    keys.append((t, pos, QUEUED, here, lobby_queue))
                elif event == "board":
                    keys.append((t, pos, LIFT, "", ""))
                elif event == "alight":
                    here = where
                    pos = self._pos[where].copy()
                    keys.append((t, pos, MOVING, here, ""))
                elif event == "trapped":
                    keys.append((t, pos, TRAPPED, here, ""))
            frames[o] = keys
        return frames

    def _from_routes(self, ids: np.ndarray, occupants: pd.DataFrame, start_space: Mapping[int, str],
                     start_xyz: Mapping[int, np.ndarray]) -> dict[int, list[tuple]]:
        """Keyframes from routes alone: an even pace along the route from start to arrival."""
        col = "id" if "id" in occupants.columns else "occupant"
        rows = occupants.set_index(occupants[col].astype(int))
        frames: dict[int, list[tuple]] = {}
        for o in ids:
            o = int(o)
            row = rows.loc[o]
            here = start_space[o]
            keys: list[tuple] = [(0.0, start_xyz[o], WAITING, here, "")]
            start_s = float(row.get("start_s", math.nan))
            end_s = float(row.get("arrival_s", math.nan))
            if not math.isfinite(end_s):
                end_s = float(row.get("trapped_s", math.nan))
            nodes = [n for n in str(row.get("route") or "").split(" > ") if n in self._pos]
            if math.isfinite(start_s) and math.isfinite(end_s) and len(nodes) > 1:
                pts = [start_xyz[o]] + [self._pos[n] for n in nodes[1:]]
                seg = np.array([np.linalg.norm(b - a) for a, b in zip(pts, pts[1:])])
                cum = np.r_[0.0, np.cumsum(seg)]
                total = cum[-1] or 1.0
                keys.append((start_s, pts[0], MOVING, here, ""))
                for n, p, c in zip(nodes[1:], pts[1:], cum[1:]):
                    keys.append((start_s + (end_s - start_s) * c / total, p, MOVING, n, ""))
                if math.isfinite(float(row.get("arrival_s", math.nan))):
                    keys[-1] = (keys[-1][0], keys[-1][1], OUT, keys[-1][3], "")
                else:
                    keys.append((end_s, pts[-1], TRAPPED, nodes[-1], ""))
            frames[o] = keys
        return frames

    def _pack(self, ids: np.ndarray, frames: Mapping[int, list[tuple]]) -> None:
        counts = np.array([len(frames[int(o)]) for o in ids], np.int64)
        self.offsets = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
        self.counts = counts
        flat = [k for o in ids for k in frames[int(o)]]
        self.key_t = np.array([k[0] for k in flat], float)
        self.key_xyz = np.array([k[1] for k in flat], float).reshape(-1, 3)
        self.key_state = np.array([k[2] for k in flat], np.int8)
        self.key_space = np.array([self._element_index.get(k[3], -1) for k in flat], np.int64)
        gates = sorted({k[4] for k in flat if k[4]})
        self._gate_names = gates
        gate_index = {g: i for i, g in enumerate(gates)}
        self.key_gate = np.array([gate_index[k[4]] if k[4] else -1 for k in flat], np.int64)
        # Keyframes must not go back in time within an occupant (interpolation needs order).
        owner = np.repeat(np.arange(len(ids)), counts)
        span = (np.nanmax(self.key_t) if len(self.key_t) else 0.0) + 1.0
        self._span = span
        t = self.key_t.copy()
        for i, (a, n) in enumerate(zip(self.offsets, counts)):
            t[a:a + n] = np.maximum.accumulate(t[a:a + n])
        self.key_t = t
        self._search = owner * span + t
        self._owner = owner

    def _gone_times(self, ids: np.ndarray, occupants: pd.DataFrame | None) -> np.ndarray:
        """When each occupant leaves the picture: their arrival outside (inf if never)."""
        gone = np.full(len(ids), np.inf)
        if occupants is not None and "arrival_s" in occupants.columns:
            col = "id" if "id" in occupants.columns else "occupant"
            arrival = dict(zip(occupants[col].astype(int), occupants["arrival_s"].astype(float)))
            gone = np.array([arrival.get(int(o), math.inf) for o in ids], float)
            gone[~np.isfinite(gone)] = np.inf
            return gone
        last = self.offsets + self.counts - 1
        out = self.key_state[last] == OUT
        gone[out] = self.key_t[last][out]
        return gone

    # --- reading -----------------------------------------------------------------------------

    @property
    def n_occupants(self) -> int:
        return len(self.occupant_ids)

    def inside(self, time_s: float) -> np.ndarray:
        """Boolean mask of the occupants still in the building at ``time_s``."""
        return self.gone_s > time_s

    def frame(self, time_s: float) -> Frame:
        """Everyone still inside at ``time_s``: positions interpolated between keyframes."""
        t = float(np.clip(time_s, 0.0, self._span - 1.0))
        n = self.n_occupants
        first = self.offsets
        last = self.offsets + self.counts - 1
        j = np.searchsorted(self._search, np.arange(n) * self._span + t, side="right") - 1
        j = np.clip(j, first, last)
        k = np.minimum(j + 1, last)
        t0, t1 = self.key_t[j], self.key_t[k]
        dt = t1 - t0
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where((k > j) & (dt > 0), np.clip((t - t0) / dt, 0.0, 1.0), 0.0)
        xyz = self.key_xyz[j] + f[:, None] * (self.key_xyz[k] - self.key_xyz[j])
        state = self.key_state[j].copy()
        space = self.key_space[j]
        gate = self.key_gate[j]
        keep = self.inside(time_s)
        state[state == OUT] = MOVING  # the last steps before the arrival time
        queued = keep & (state == QUEUED) & (gate >= 0)
        counts = np.bincount(gate[queued], minlength=len(self._gate_names)) if len(self._gate_names) else np.zeros(0)
        queues = {self._gate_names[i]: int(c) for i, c in enumerate(counts) if c}
        return Frame(time_s, self.occupant_ids[keep], xyz[keep], state[keep], space[keep], queues)

    @property
    def gate_names(self) -> list[str]:
        """The gates (doors, stair flights, lift lobbies) people queue at: :meth:`keys_between`'s
        ``gate`` indexes this list."""
        return list(self._gate_names)

    def keys_between(self, from_s: float, to_s: float) -> dict[str, np.ndarray]:
        """The keyframes a player needs to draw any time from ``from_s`` to ``to_s`` itself.

        Per occupant (in :attr:`occupant_ids` order): the last keyframe at or before ``from_s``,
        those in between, and the first after ``to_s`` (or their last). ``offsets`` (n + 1) cut the
        flat arrays ``t``, ``xyz`` (building axes), ``state``, ``gate`` (index into
        :attr:`gate_names`, -1 none) and ``space`` (index into :attr:`elements`, -1 in a lift) into
        occupants. Interpolating them as :meth:`frame` does gives :meth:`frame`'s positions: the
        browser's playback (viewer/console) loads a run in such time chunks."""
        n = self.n_occupants
        top = self._span - 1.0
        a, b = float(np.clip(from_s, 0.0, top)), float(np.clip(to_s, 0.0, top))
        first, last = self.offsets, self.offsets + self.counts - 1
        base = np.arange(n) * self._span
        lo = np.clip(np.searchsorted(self._search, base + a, side="right") - 1, first, last)
        hi = np.clip(np.searchsorted(self._search, base + b, side="right"), first, last)
        counts = (hi - lo + 1).astype(np.int64)
        starts = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
        idx = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(lo - starts, counts)
        return {"offsets": np.r_[0, np.cumsum(counts)].astype(np.int64), "t": self.key_t[idx],
                "xyz": self.key_xyz[idx], "state": self.key_state[idx].astype(np.int64),
                "gate": self.key_gate[idx], "space": self.key_space[idx]}

    def gate_position(self, gate: str) -> np.ndarray:
        """Where a gate's queue column stands: a door's position, a flight's upper landing (where
        people wait to go down), a lift lobby."""
        if gate in self._lobby_queues:
            return self._lobby_queues[gate].copy()
        u, v, d = self._edges[gate]
        if d.get("kind") == "stair":
            return self._pos[d.get("upper", v)].copy()
        x, y = d["door_pos"]
        return np.array([x, y, self._pos[u][2]])


# ---------------------------------------------------------------------------------------------


def load_run(results_dir: str | Path, *, point: int = 0, replication: int = 0) -> dict[str, Any]:
    """The tables and scenario events of one replication of an evacuation results folder."""
    folder = Path(results_dir)
    summary_path = folder / "summary.json"
    if not summary_path.is_file():
        raise PlaybackError(f"{summary_path}: not found — is {folder} a results folder?")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    tables = {}
    for name in ("trace", "occupants"):
        path = folder / "records" / f"{name}.parquet"
        if path.is_file():
            frame = pd.read_parquet(path)
            if "point" in frame.columns:
                frame = frame[frame["point"] == point]
            if "replication" in frame.columns:
                frame = frame[frame["replication"] == replication]
            tables[name] = frame.reset_index(drop=True)
    points = summary.get("points") or [{"parameters": summary.get("parameters") or {}}]
    params = next((p.get("parameters") for p in points if int(p.get("point", 0)) == point), None) \
        or summary.get("parameters") or {}
    return {"summary": summary, "trace": tables.get("trace"), "occupants": tables.get("occupants"),
            "events": list(params.get("events") or [])}


def smoke_events(events: Iterable[Mapping], building: Building) -> list[tuple[float, str, str]]:
    """A scenario's smoke and untenable events in spaces of ``building``, by time: ``(at_s, space, type)``
    (what the server's and the browser's playback shade)."""
    return sorted(((float(e["at_s"]), str(e["space"]), str(e["type"])) for e in events
                   if e.get("type") in ("smoke", "untenable") and e.get("space") in building.space_by_id
                   and e.get("at_s") is not None), key=lambda x: x[0])


class EvacuationPlayback:
    """An evacuation drawn in a building scene, frame by frame.

    Build it from the tables (:class:`EvacuationTracks`) or from a results folder
    (:meth:`from_results`). :meth:`show_time` draws one instant; :meth:`export` writes a video,
    :meth:`export_frames` PNG images, :meth:`show` opens the desktop window with its controls.
    """

    def __init__(self, scene: BuildingScene, tracks: EvacuationTracks, *, events: Sequence[Mapping] = (),
                 point_size: float = 5.0, round_points: bool = False, density_shading: bool = True):
        self.scene = scene
        self.tracks = tracks
        self.density_shading = density_shading
        self.time_s = 0.0
        self._smoke = smoke_events(events, scene.building)
        self._space_area = np.array([float(scene.building.space_by_id[e].floor_area_m2)
                                     if e in scene.building.space_by_id else 0.0 for e in tracks.elements])
        # Graph elements that are spaces of the scene, and their positions in the scene's space order.
        pairs = [(i, scene.space_index(e)) for i, e in enumerate(tracks.elements) if e in scene.building.space_by_id]
        self._element_space = np.array([i for i, _ in pairs], np.int64)
        self._scene_space = np.array([k for _, k in pairs], np.int64)
        self._build_occupants(point_size, round_points)
        self._build_queues()
        self._build_smoke()
        self.show_time(0.0)

    @classmethod
    def from_results(cls, results_dir: str | Path, *, building: Building | None = None, point: int = 0,
                     replication: int = 0, scene: BuildingScene | None = None, off_screen: bool = True,
                     window_size: tuple[int, int] = (1280, 720), **kwargs) -> "EvacuationPlayback":
        """Play replication ``replication`` of sweep point ``point`` of an evacuation results folder."""
        run = load_run(results_dir, point=point, replication=replication)
        if building is None:
            from twin.loader import load_building

            ref = (run["summary"].get("scenario") or {}).get("building") or (run["summary"].get("building") or {}).get("id")
            scenario_file = (run["summary"].get("scenario") or {}).get("file")
            path = Path(scenario_file).parent / str(ref) if scenario_file else None
            building = load_building(path if path is not None and path.is_file() else ref)
        tracks = EvacuationTracks(building, trace=run["trace"], occupants=run["occupants"])
        scene = scene or BuildingScene(building, off_screen=off_screen, window_size=window_size, labels="floors")
        return cls(scene, tracks, events=run["events"], **kwargs)

    # --- actors ------------------------------------------------------------------------------

    def _build_occupants(self, point_size: float, round_points: bool) -> None:
        import pyvista as pv

        n = self.tracks.n_occupants
        mesh = pv.PolyData(np.zeros((max(n, 1), 3)))
        mesh.point_data["rgb"] = np.zeros((max(n, 1), 3), np.uint8)
        mesh.verts = np.empty(0, np.int64)
        self._people = mesh
        # Views of the mesh's own arrays, written in place every frame.
        self._people_arrays = (mesh.points, mesh.point_data["rgb"])
        self._all_verts = np.c_[np.ones(max(n, 1), np.int64), np.arange(max(n, 1))].ravel()
        actor = self.scene.add_overlay_actor("occupants", mesh, scalars="rgb", lighting=False)
        actor.prop.point_size = point_size
        # Square points by default: round ones (sphere impostors) cost a software renderer ~40 %.
        actor.prop.render_points_as_spheres = round_points

    def _build_queues(self) -> None:
        import pyvista as pv

        gates = self.tracks.gate_ids
        self._queue_gates = gates
        self._queue_slot = {g: i for i, g in enumerate(gates)}
        if not gates:
            self._queue_mesh = None
            return
        s = 0.35 * self.scene.glyph_size_m
        base = np.array([self.tracks.gate_position(g) for g in gates])
        corners = np.array([(-s, -s, 0), (s, -s, 0), (s, s, 0), (-s, s, 0)] * 2, float)
        self._queue_base = np.repeat(base, 8, axis=0) + np.tile(corners, (len(gates), 1))
        self._queue_top = np.tile(np.r_[np.zeros(4), np.ones(4)], len(gates))
        self._queue_floor = np.repeat([self.scene._floor_at(z) for z in base[:, 2]], 8)
        faces = []
        for i in range(len(gates)):
            o = 8 * i
            for q in ((0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7)):
                faces.append([4, *(o + c for c in q)])
        mesh = pv.PolyData(self._queue_base.copy(), faces=np.concatenate(faces))
        mesh.point_data["rgb"] = np.tile(np.array(_hex(STATE_COLORS["queued"]), np.uint8), (mesh.n_points, 1))
        self._queue_mesh = mesh
        self.scene.add_overlay_actor("queues", mesh, scalars="rgb", lighting=False)

    def _build_smoke(self) -> None:
        from viewer.scene import _prism_mesh

        spaces = sorted({s for _, s, _ in self._smoke})
        self._smoke_spaces = spaces
        if not spaces:
            self._smoke_mesh = None
            return
        b = self.scene.building
        outlines, z0, z1 = [], [], []
        for sid in spaces:
            sp = b.space_by_id[sid]
            fl = b.floor_by_id[sp.floor]
            outlines.append(sp.outline)
            z0.append(fl.elevation_m + 0.1)
            z1.append(fl.elevation_m + 0.95 * fl.height_m)
        mesh = _prism_mesh(outlines, np.array(z0), np.array(z1), np.arange(len(spaces)))
        mesh.cell_data["rgba"] = np.zeros((mesh.n_cells, 4), np.uint8)
        self._smoke_mesh = mesh
        self._smoke_floor = np.array([self.scene._floor_at(z) for z in z0])
        self._smoke_base = mesh.points.copy()
        self.scene.add_main_actor("smoke", mesh, scalars="rgba", rgba=True, lighting=False, cull_back=True)

    # --- drawing -----------------------------------------------------------------------------

    @property
    def duration_s(self) -> float:
        return self.tracks.duration_s

    @property
    def visible_count(self) -> int:
        """How many occupant points the current frame draws."""
        return int(self._people.n_verts)

    def show_time(self, time_s: float) -> Frame:
        """Draw the building at ``time_s``: occupants, queues, density and smoke (arrays only)."""
        scene = self.scene
        frame = self.tracks.frame(time_s)
        self.time_s = float(time_s)
        xyz = frame.xyz
        floors = np.searchsorted(scene._elevations, xyz[:, 2] + 1e-6, side="right") - 1 if len(xyz) else \
            np.zeros(0, np.int64)
        floors = np.clip(floors, 0, len(scene.floors) - 1)
        shown = scene._visible[floors]
        pts, rgb = self._people_arrays
        n_shown = int(shown.sum())
        pts[:n_shown] = xyz[shown]
        pts[:n_shown, 2] += RAISE_M + scene._dz[floors[shown]]
        self._people.GetPoints().Modified()
        rgb[:n_shown] = _STATE_RGB[frame.state[shown]]
        self._people.GetPointData().GetArray("rgb").Modified()
        self._people.verts = self._all_verts[:2 * n_shown]
        self._draw_queues(frame)
        self._draw_smoke(time_s)
        if self.density_shading:
            self._draw_density(frame)
        # Equipment stands still in a drill: one draw for all of it (again after a view change).
        scene.batch_equipment()
        return frame

    def _draw_queues(self, frame: Frame) -> None:
        if self._queue_mesh is None:
            return
        scene = self.scene
        heights = np.zeros(len(self._queue_gates))
        for gate, waiting in frame.queues.items():
            slot = self._queue_slot.get(gate)
            if slot is not None:
                heights[slot] = waiting * QUEUE_M_PER_PERSON
        h = np.repeat(heights, 8) * self._queue_top
        pts = self._queue_base.copy()
        pts[:, 2] += h + scene._dz[self._queue_floor]
        # A gate without a queue, or on a hidden storey: its column collapses to nothing.
        empty = np.repeat(heights <= 0, 8) | ~scene._visible[self._queue_floor]
        if empty.any():
            pts[empty] = pts[np.flatnonzero(empty)[0]]
        self._queue_mesh.points = pts

    def _draw_smoke(self, time_s: float) -> None:
        if self._smoke_mesh is None:
            return
        state = {}
        for at_s, space, kind in self._smoke:
            if at_s <= time_s:
                state[space] = _UNTENABLE_RGBA if kind == "untenable" or state.get(space) == _UNTENABLE_RGBA \
                    else _SMOKE_RGBA
        colours = np.array([state.get(s, (0, 0, 0, 0)) for s in self._smoke_spaces], np.uint8)
        mesh = self._smoke_mesh
        mesh.cell_data["rgba"][:] = colours[mesh.cell_data["tag"]]
        mesh.GetCellData().GetArray("rgba").Modified()
        point_floor = self._smoke_floor[self._point_tags()]
        pts = self._smoke_base.copy()
        pts[:, 2] += self.scene._dz[point_floor]
        hidden = ~self.scene._visible[point_floor]
        if hidden.any():
            pts[hidden] = pts[np.flatnonzero(hidden)[0]]
        mesh.points = pts

    def _point_tags(self) -> np.ndarray:
        if not hasattr(self, "_smoke_point_tags"):
            mesh = self._smoke_mesh
            tags = np.zeros(mesh.n_points, np.int64)
            faces = mesh.faces.reshape(-1, 4)
            for col in (1, 2, 3):
                tags[faces[:, col]] = mesh.cell_data["tag"]
            self._smoke_point_tags = tags
        return self._smoke_point_tags

    def _draw_density(self, frame: Frame) -> None:
        inside = frame.space[frame.space >= 0]
        counts = np.bincount(inside, minlength=len(self.tracks.elements)).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            density = np.where(self._space_area > 0, counts / self._space_area, 0.0)
        values = np.full(len(self.scene.space_ids), np.nan)
        values[self._scene_space] = density[self._element_space]
        values[values <= 0.05] = np.nan
        self.scene.colour_space_array(values, vmin=0.0, vmax=_DENSITY_VMAX)

    def render(self, time_s: float | None = None) -> np.ndarray:
        """Draw ``time_s`` (or the current time) and return the image."""
        if time_s is not None:
            self.show_time(time_s)
        return self.scene.screenshot()

    # --- export ------------------------------------------------------------------------------

    def frame_times(self, *, fps: float = 15.0, speed: float = 10.0, start_s: float = 0.0,
                    end_s: float | None = None) -> np.ndarray:
        """Simulation times of the frames of a video at ``fps`` running ``speed`` times real time."""
        end = self.duration_s if end_s is None else end_s
        step = speed / fps
        return np.arange(start_s, end + 0.5 * step, step)

    def export(self, path: str | Path, *, fps: float = 15.0, speed: float = 10.0, start_s: float = 0.0,
               end_s: float | None = None, caption: bool = True,
               progress: Callable[[int, int], None] | None = None) -> Path:
        """Write the playback as a video (``.mp4``) or an animated ``.gif``; returns the path.

        ``progress(done, total)`` is called after each frame is rendered (frames of the video)."""
        import imageio.v2 as imageio

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        suffix = path.suffix.lower()
        if suffix not in (".mp4", ".gif"):
            raise PlaybackError(f"{path}: export as .mp4 or .gif")
        times = self.frame_times(fps=fps, speed=speed, start_s=start_s, end_s=end_s)
        if suffix == ".mp4":
            # x264 "ultrafast": encoding keeps pace with rendering on a small machine (files ~2x larger).
            writer = imageio.get_writer(path, fps=fps, codec="libx264", quality=7, macro_block_size=8,
                                        ffmpeg_log_level="error", ffmpeg_params=["-preset", "ultrafast", "-tune", "animation"])
        else:
            writer = imageio.get_writer(path, mode="I", duration=1000.0 / fps, loop=0)
        # Encoding runs beside rendering: a writer thread stamps the caption and feeds the encoder
        # (ffmpeg, its own process) while the next frame renders, so a frame costs the slower of
        # the two, not their sum. The caption is drawn on the picture, not as a 3D text actor,
        # which would cost a software renderer as much as the whole scene.
        frames: queue.Queue = queue.Queue(maxsize=4)
        failure: list[BaseException] = []

        def writing() -> None:
            while (item := frames.get()) is not None:
                if not failure:
                    try:
                        image, t = item
                        writer.append_data(_stamp_caption(image, self._caption(t)) if caption else image)
                    except BaseException as exc:  # reported in the caller's thread below
                        failure.append(exc)

        thread = threading.Thread(target=writing, name="playback-export", daemon=True)
        thread.start()
        try:
            for i, t in enumerate(times, 1):
                if failure:
                    break
                frames.put((self.render(float(t)), float(t)))
                if progress is not None:
                    progress(i, len(times))
        finally:
            frames.put(None)
            thread.join()
            writer.close()
        if failure:
            raise PlaybackError(f"{path}: the video could not be written: {failure[0]}") from failure[0]
        return path

    def export_frames(self, folder: str | Path, times: Iterable[float] | None = None, *, every_s: float = 30.0,
                      caption: bool = True, progress: Callable[[int, int], None] | None = None) -> list[Path]:
        """Write PNG frames (``frame_00000.png`` …) at ``times`` (default every ``every_s``);
        ``progress(done, total)`` after each."""
        from viewer.scene import _write_png

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if times is None:
            times = np.arange(0.0, self.duration_s + every_s, every_s)
        times = list(times)
        paths = []
        for i, t in enumerate(times):
            path = folder / f"frame_{i:05d}.png"
            image = self.render(float(t))
            _write_png(path, _stamp_caption(image, self._caption(float(t))) if caption else image)
            paths.append(path)
            if progress is not None:
                progress(i + 1, len(times))
        return paths

    def _caption(self, t: float) -> str:
        inside = int(self.tracks.inside(t).sum())
        minutes, seconds = divmod(int(round(t)), 60)
        return f"t = {minutes:d}:{seconds:02d}   inside: {inside:,} / {self.tracks.n_occupants:,}"

    def _caption_actor(self):
        return self.scene.plotter.add_text("", position="upper_left", font_size=12, color="#222222",
                                           name="playback-caption")

    # --- desktop window ----------------------------------------------------------------------

    def show(self, *, speed: float = 10.0, tick_ms: int = 66) -> None:
        """Open the window: a time slider, a play/pause button (and the space bar), 10× real time."""
        plotter = self.scene.plotter
        state = {"playing": False}
        text = self._caption_actor()

        def seek(value: float) -> None:
            self.show_time(float(value))
            _set_text(text, self._caption(float(value)))

        slider = plotter.add_slider_widget(seek, [0.0, max(self.duration_s, 1.0)], value=0.0, title="time (s)",
                                           pointa=(0.25, 0.06), pointb=(0.95, 0.06), interaction_event="always",
                                           fmt="%.0f", pass_widget=False)

        def play(on: bool) -> None:
            state["playing"] = bool(on)

        plotter.add_checkbox_button_widget(play, value=False, position=(10, 10), size=36, color_on="#1F6FB4")

        def toggle() -> None:
            state["playing"] = not state["playing"]

        plotter.add_key_event("space", toggle)

        def tick(*_args) -> None:
            if not state["playing"]:
                return
            t = self.time_s + speed * tick_ms / 1000.0
            if t > self.duration_s:
                t, state["playing"] = self.duration_s, False
            slider.GetRepresentation().SetValue(t)
            seek(t)
            plotter.render()

        plotter.iren.add_observer("TimerEvent", tick)
        plotter.iren.initialize()  # timers need an initialised interactor
        plotter.iren.create_timer(tick_ms, repeating=True)
        seek(0.0)
        plotter.show()
