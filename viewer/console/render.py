"""The console's renderer: the 3D pictures the web console shows, drawn on one thread.

VTK's render windows belong to the thread that made them, and a software renderer has no
capacity to spare, so every picture of the console — the live building, evacuation playback
frames — is drawn by one worker thread that owns every scene. Web requests hand it jobs and
await the result. The live scene follows the twin through a :class:`~viewer.live.LiveView`;
each request for the live picture (or its version) first applies what changed, so the browser,
which asks for the version twice a second, shows a change within a second.

Pictures are PNG bytes; the camera of each request (view mode, floor, turn, tilt, zoom, size)
comes with it, so many browsers can look at the same scene from different sides.
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twin.spec import Building

__all__ = ["Camera", "ConsoleRenderer", "MAX_SIZE"]

MAX_SIZE = (1920, 1200)
_PLAYBACK_CACHE = 2
_TRACKS_CACHE = 4


@dataclass(frozen=True)
class Camera:
    """How one browser looks at a scene."""

    width: int = 960
    height: int = 640
    mode: str = "all"
    floor: str | None = None
    azimuth_deg: float = 0.0
    elevation_deg: float = 0.0
    zoom: float = 1.0
    lang: str = "en"
    """The language of the storey and room labels drawn in the picture (en, zh-CN)."""

    def clamped(self) -> "Camera":
        from twin.text import normalise_language

        return Camera(int(np.clip(self.width, 64, MAX_SIZE[0])), int(np.clip(self.height, 64, MAX_SIZE[1])),
                      self.mode if self.mode in ("all", "floor", "exploded") else "all", self.floor,
                      float(self.azimuth_deg) % 360.0, float(np.clip(self.elevation_deg, -80.0, 80.0)),
                      float(np.clip(self.zoom, 0.2, 8.0)), normalise_language(self.lang))


def _png(img: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


class _Live:
    def __init__(self, building: Building, state: Any):
        from viewer.live import LiveView
        from viewer.scene import BuildingScene

        self.building = building
        self.state = state
        self.scene = BuildingScene(building, off_screen=True, window_size=(960, 640), labels="floors", rooms=True)
        self.view = LiveView(self.scene, state) if state is not None else None
        self.view_key: tuple = ()
        self.cache: tuple[tuple, bytes] | None = None

    @property
    def version(self) -> int:
        return self.view.version if self.view is not None else 0

    def close(self) -> None:
        if self.view is not None:
            self.view.close()
        self.scene.close()


class ConsoleRenderer:
    """Owns every scene the console draws, on one worker thread."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="console-render")
        self._live: _Live | None = None
        self._playbacks: OrderedDict[str, Any] = OrderedDict()
        # Tracks by (run, point, replication), the last few: the browser's playback reads their
        # keyframes (built off the render thread, no scene); a server's playback draws them.
        self._tracks: OrderedDict[tuple, tuple[Any, list[dict]]] = OrderedDict()
        self._tracks_lock = threading.Lock()
        self._closed = False

    # --- plumbing ----------------------------------------------------------------------------

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._closed:
            raise RuntimeError("the console renderer is closed")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def close(self) -> None:
        """Close every scene (on the render thread) and stop the thread."""
        if self._closed:
            return

        def closing() -> None:
            if self._live is not None:
                self._live.close()
                self._live = None
            for pb in self._playbacks.values():
                pb.scene.close()
            self._playbacks.clear()

        try:
            self._executor.submit(closing).result(timeout=30)
        finally:
            self._closed = True
            self._executor.shutdown(wait=False)

    @staticmethod
    def _aim(scene: Any, camera: Camera, key_holder: Any) -> None:
        scene.resize(camera.width, camera.height)
        scene.set_language(camera.lang)
        view_key = (camera.mode, camera.floor)
        if key_holder.view_key != view_key:
            scene.set_view(camera.mode, camera.floor, reset_camera=False)  # type: ignore[arg-type]
            key_holder.view_key = view_key
        scene.reset_camera()
        scene.orbit(camera.azimuth_deg, camera.elevation_deg, camera.zoom)

    # --- the live building -------------------------------------------------------------------

    def _live_scene(self, building: Building, state: Any) -> _Live:
        live = self._live
        if live is None or live.building is not building or live.state is not state:
            if live is not None:
                live.close()
            live = self._live = _Live(building, state)
        return live

    def _live_version(self, building: Building, state: Any) -> dict[str, Any]:
        live = self._live_scene(building, state)
        if live.view is not None:
            live.view.apply()
        counts: dict[str, int] = {}
        for status in live.scene.statuses.values():
            counts[status] = counts.get(status, 0) + 1
        return {"version": live.version, "counts": counts,
                "zones_in_alarm": sorted(z for z, on in live.scene._zone_active.items() if on)}

    async def live_version(self, building: Building, state: Any) -> dict[str, Any]:
        """Apply pending live changes; the version (moves on every change) and status counts."""
        return await self._run(self._live_version, building, state)

    def _live_png(self, building: Building, state: Any, camera: Camera) -> tuple[bytes, int]:
        live = self._live_scene(building, state)
        if live.view is not None:
            live.view.apply()
        key = (live.version, camera)
        if live.cache is not None and live.cache[0] == key:
            return live.cache[1], live.version
        self._aim(live.scene, camera, live)
        png = _png(live.scene.screenshot())
        live.cache = (key, png)
        return png, live.version

    async def live_png(self, building: Building, state: Any, camera: Camera) -> tuple[bytes, int]:
        """The live building seen by ``camera``, as PNG, and the version it shows."""
        return await self._run(self._live_png, building, state, camera.clamped())

    def _locate(self, building: Building, state: Any, camera: Camera, equipment: str) -> dict[str, Any]:
        live = self._live_scene(building, state)
        self._aim(live.scene, camera, live)
        live.cache = None
        point = live.scene.equipment_point(equipment)
        x, y = live.scene.project(point)
        space = building.space_by_id.get(getattr(building.equipment_by_id.get(equipment), "location", ""), None)
        floor = space.floor if space is not None else live.scene.floor_of(point[2])
        return {"equipment": equipment, "x": x, "y": y, "width": camera.width, "height": camera.height,
                "floor": floor, "visible": bool(live.scene.floor_visible(floor)) and 0 <= x < camera.width
                and 0 <= y < camera.height}

    async def locate(self, building: Building, state: Any, camera: Camera, equipment: str) -> dict[str, Any]:
        """Where a piece of equipment appears in the picture ``camera`` gives (pixels)."""
        return await self._run(self._locate, building, state, camera.clamped(), equipment)

    # --- evacuation playback ------------------------------------------------------------------

    def _playback(self, run_id: str, folder: Path, building: Building) -> Any:
        from viewer.playback import EvacuationPlayback
        from viewer.scene import BuildingScene

        pb = self._playbacks.get(run_id)
        if pb is not None:
            self._playbacks.move_to_end(run_id)
            return pb
        tracks, events = self._tracks_for(run_id, folder, building, 0, 0)  # the first replication's
        scene = BuildingScene(building, off_screen=True, window_size=(960, 640), labels="floors", rooms=True)
        pb = EvacuationPlayback(scene, tracks, events=events)
        pb.view_key = ()
        self._playbacks[run_id] = pb
        while len(self._playbacks) > _PLAYBACK_CACHE:
            _, old = self._playbacks.popitem(last=False)
            old.scene.close()
        return pb

    def _tracks_for(self, run_id: str, folder: Path, building: Building, point: int,
                    replication: int) -> tuple[Any, list[dict]]:
        from viewer.playback import EvacuationTracks, load_run

        key = (run_id, str(folder), building.id, point, replication)
        with self._tracks_lock:
            hit = self._tracks.get(key)
            if hit is not None:
                self._tracks.move_to_end(key)
                return hit
            run = load_run(folder, point=point, replication=replication)
            tracks = EvacuationTracks(building, trace=run["trace"], occupants=run["occupants"])
            hit = self._tracks[key] = (tracks, list(run["events"]))
            while len(self._tracks) > _TRACKS_CACHE:
                self._tracks.popitem(last=False)
            return hit

    async def playback_tracks(self, run_id: str, folder: Path, building: Building, *, point: int = 0,
                              replication: int = 0) -> tuple[Any, list[dict]]:
        """The :class:`~viewer.playback.EvacuationTracks` of one replication of a run, and the
        scenario's events (smoke), made once and kept (no scene, not on the render thread)."""
        if self._closed:
            raise RuntimeError("the console renderer is closed")
        return await asyncio.to_thread(self._tracks_for, run_id, folder, building, int(point), int(replication))

    def _playback_png(self, run_id: str, folder: Path, building: Building, time_s: float,
                      camera: Camera) -> tuple[bytes, int]:
        pb = self._playback(run_id, folder, building)
        self._aim(pb.scene, camera, pb)
        frame = pb.show_time(time_s)
        return _png(pb.scene.screenshot()), int(pb.tracks.inside(time_s).sum()) if frame is not None else 0

    async def playback_png(self, run_id: str, folder: Path, building: Building, time_s: float,
                           camera: Camera) -> tuple[bytes, int]:
        """A playback frame at ``time_s`` as PNG, and how many people are still inside."""
        return await self._run(self._playback_png, run_id, folder, building, float(time_s), camera.clamped())

    def _playback_video(self, run_id: str, folder: Path, building: Building, fps: float, speed: float,
                        camera: Camera) -> Path:
        pb = self._playback(run_id, folder, building)
        out = folder / f"playback-{int(fps)}fps-{speed:g}x-{camera.width}x{camera.height}-{camera.mode}-{camera.lang}.mp4"
        if out.is_file() and out.stat().st_size > 0:
            return out
        self._aim(pb.scene, camera, pb)
        tmp = out.with_suffix(".part.mp4")
        pb.export(tmp, fps=fps, speed=speed)
        tmp.replace(out)
        return out

    async def playback_video(self, run_id: str, folder: Path, building: Building, fps: float, speed: float,
                             camera: Camera) -> Path:
        """The playback as an MP4 file in the run's folder (made once, then reused)."""
        return await self._run(self._playback_video, run_id, folder, building, fps, speed, camera.clamped())


def summary_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))
