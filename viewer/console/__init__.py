"""The web console: the building, its alarms and its what-if runs in a browser, offline.

Engineers watch the live building in 3D and acknowledge alarms; supervisors pick a scenario from
the library, set its key parameters in a form, run it and read the results with charts, and put
two runs side by side; safety officers replay an evacuation. The console is a single page —
``static/index.html``, ``console.js``, ``console.css``, plain browser JavaScript with no
framework and nothing loaded from the internet — served by ``twin serve`` under ``/console/``.

It talks to two things on the same server:

* the **HTTP API** (``/twin/...``, ``/scenarios``, ``/runs``, ``/models``) for state, alarms,
  history, scenarios and runs — with the API token the user signs in with;
* its own small **render API** (``/console/api/...``, this module): the 3D pictures. pyvista draws
  them on the server (:class:`~viewer.console.render.ConsoleRenderer`, the same scene as the
  desktop window and the report snapshots) and the browser shows them as images, turning the
  camera by asking for another picture — remote rendering, as trame's remote view does, which needs
  no WebGL in the browser and works in any browser on the building's network. A browser with WebGL
  draws the 3D itself (``scene3d.js``, ``playback3d.js`` on ``view3d.js``): the live building from
  ``/twin/scene.glb``, and an evacuation run's playback from its building's glTF
  (``runs/{id}/playback/scene.glb``) and its people's keyframes, loaded in time chunks of at most
  :data:`MAX_CHUNK_S` seconds (``runs/{id}/playback/tracks``) and animated in the browser; the
  server's pictures stay the fallback, and the MP4 export stays on the server.

Labels come from :mod:`viewer.i18n` (English and Simplified Chinese, the user's choice); the
models' and scenarios' own words (KPI and parameter labels, titles, verdicts) come with the API's
answers in both languages, and the 3D pictures draw storey and room labels in the language each
request names (``lang``).

The API owns the app; it mounts the console with :func:`mount_console`, giving a function that
finds the live twin and run folders for a request (:class:`ConsoleBackend`) and the dependency
that checks the caller's token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from twin.live.devices import CAR_KIND
from twin.spec import Building
from viewer.console.render import Camera, ConsoleRenderer, summary_of
from viewer.i18n import LANGUAGES, catalogue, normalise_language
from viewer.scene import STATUS_COLORS, floor_label

__all__ = ["ConsoleBackend", "ConsoleRenderer", "Camera", "console_router", "mount_console", "STATIC_DIR",
           "CONSOLE_PREFIX", "CHUNK_S", "MAX_CHUNK_S", "playback_summary", "playback_keys", "floor_words"]

STATIC_DIR = Path(__file__).with_name("static")
CONSOLE_PREFIX = "/console"


@dataclass
class ConsoleBackend:
    """What the console needs from the server for one request.

    ``building`` and ``state`` are the live twin's building and its :class:`TwinState` (None when
    the live twin is not running); ``results_dir(run_id)`` is a run's results folder (raise
    ``KeyError`` or return None for an unknown run); ``load_building(ref)`` loads the building a
    run names (default: the live building when ids match, else a shipped sample of that name or a
    file of that name inside one of ``building_roots``, the server's building folders — a name in a
    run's summary is never opened as a path of its own).
    """

    building: Building | None
    state: Any | None
    results_dir: Callable[[str], Path | None]
    load_building: Callable[[str], Building] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    building_roots: tuple[Path, ...] = ()

    def run_building(self, summary: dict) -> Building:
        ref = (summary.get("scenario") or {}).get("building") or (summary.get("building") or {}).get("id")
        bid = (summary.get("building") or {}).get("id")
        if self.building is not None and bid == self.building.id:
            return self.building
        if self.load_building is not None:
            return self.load_building(str(ref))
        from scenarios.spec import building_and_graph
        from twin.loader import confined_file, sample_path

        path = sample_path(str(ref))
        for root in self.building_roots:
            if path is not None:
                break
            path = confined_file(root / str(ref), (root,))
        if path is None:
            raise _error(404, ["path", "run_id"], "the building this run was made for is not on the server",
                         "building_not_found")
        # Loaded once per file version, not once a request: a playback asks for its building with each
        # of its chunks, pictures and its scene (the tower's YAML takes most of a second to load).
        return building_and_graph(path)[0]


def _error(status: int, loc: list, msg: str, kind: str = "invalid") -> HTTPException:
    return HTTPException(status_code=status, detail=[{"loc": loc, "msg": msg, "type": kind}])


def _camera(w: int, h: int, mode: str, floor: str | None, az: float, el: float, zoom: float,
            lang: str | None = None) -> Camera:
    return Camera(w, h, mode, floor or None, az, el, zoom, normalise_language(lang))


def floor_words(building: Building) -> dict[str, dict[str, str]]:
    """Each storey's label in every language, by floor id (what the console's floor menus show)."""
    floors = sorted(building.floors, key=lambda f: f.elevation_m)
    return {f.id: {code: floor_label(f, floors, code) for code in LANGUAGES} for f in floors}


_W = Query(960, ge=64, le=1920, description="picture width (px)")
_H = Query(640, ge=64, le=1200, description="picture height (px)")
_MODE = Query("all", pattern="^(all|floor|exploded)$", description="all floors, one floor, or exploded")
_FLOOR = Query(None, pattern=r"^[A-Za-z0-9_-]+$", max_length=64, description="the floor (with mode=floor)")
_AZ = Query(0.0, ge=-3600, le=3600, description="turn (degrees) from the default view")
_EL = Query(0.0, ge=-80, le=80, description="tilt (degrees) from the default view")
_ZOOM = Query(1.0, ge=0.2, le=8.0, description="zoom factor")
_LANG = Query("en", pattern=r"^[A-Za-z_-]{2,16}$", description="language of the storey and room labels (en, zh-CN)")


MAX_CHUNK_S = 600.0
"""The longest span of time one keyframe chunk of a playback covers (seconds)."""
CHUNK_S = 60.0
"""The span the console asks for at a time."""
_REPLICATION = Query(0, ge=0, le=100_000, description="the replication to play back (0 is the first)")
_POINT = Query(0, ge=0, le=100_000, description="the sweep point (0 is the first)")


def _finite(values: Any, digits: int | None) -> list:
    """Numbers for JSON: rounded to ``digits`` (None: as they are); NaN and infinity (never) as null."""
    arr = np.asarray(values, float).ravel()
    out = (arr if digits is None else np.round(arr, digits)).tolist()
    if not np.isfinite(arr).all():
        out = [v if np.isfinite(x) else None for v, x in zip(out, arr)]
    return out


def playback_summary(run_id: str, building: Building, tracks: Any, events: list, *, replications: int, points: int,
                     replication: int, point: int) -> dict[str, Any]:
    """What the browser's playback needs besides the building and the keyframes (see the route)."""
    from viewer.gltf import to_gltf_axes
    from viewer.playback import QUEUE_M_PER_PERSON, RAISE_M, STATE_COLORS, STATE_NAMES, smoke_events

    floors = sorted(building.floors, key=lambda f: f.elevation_m)
    words = floor_words(building)
    gates = tracks.gate_names
    where = to_gltf_axes(np.array([tracks.gate_position(g) for g in gates])) if gates else np.zeros((0, 3))
    smoke = [{"at_s": at_s, "space": space, "kind": kind} for at_s, space, kind in smoke_events(events, building)]
    return {"run": run_id, "duration_s": tracks.duration_s, "occupants": tracks.n_occupants,
            "approximate": tracks.approximate, "building": {"id": building.id, "name": building.name},
            "floors": [{"id": f.id, "name": f.name or f.id, "label": words[f.id], "elevation_m": f.elevation_m}
                       for f in floors],
            "replications": replications, "points": points, "replication": replication, "point": point,
            "scene": f"{CONSOLE_PREFIX}/api/runs/{run_id}/playback/scene.glb",
            "tracks": f"{CONSOLE_PREFIX}/api/runs/{run_id}/playback/tracks",
            "chunk_s": CHUNK_S, "max_chunk_s": MAX_CHUNK_S,
            "states": [{"name": n, "colour": STATE_COLORS[n]} for n in STATE_NAMES],
            "queue_m_per_person": QUEUE_M_PER_PERSON, "raise_m": RAISE_M,
            "gates": [{"id": g, "xyz": _finite(p, 3)} for g, p in zip(gates, where)],
            "smoke": smoke, "gone_s": _finite(tracks.gone_s, None)}  # exact: who is inside at the end


def playback_keys(tracks: Any, from_s: float, to_s: float) -> dict[str, Any]:
    """One chunk of keyframes (:meth:`EvacuationTracks.keys_between`) as JSON: glTF axes."""
    from viewer.gltf import to_gltf_axes

    keys = tracks.keys_between(from_s, to_s)
    return {"from_s": from_s, "to_s": to_s, "offsets": keys["offsets"].tolist(), "t": _finite(keys["t"], 3),
            "xyz": _finite(to_gltf_axes(keys["xyz"]), 3), "state": keys["state"].tolist(),
            "gate": keys["gate"].tolist()}


def console_router(backend: Callable[[Request], ConsoleBackend], renderer: ConsoleRenderer, *,
                   auth: Callable[..., Any] | None = None) -> APIRouter:
    """The render API under ``/console/api``: public language catalogues, protected pictures."""
    # The console's own render routes: internal to the page, kept out of the public OpenAPI.
    router = APIRouter(prefix=f"{CONSOLE_PREFIX}/api", tags=["console"], include_in_schema=False)
    protected = [Depends(auth)] if auth is not None else []

    @router.get("/languages", summary="Languages of the console")
    def languages() -> dict[str, str]:
        return dict(LANGUAGES)

    @router.get("/i18n/{lang}", summary="Every console label in a language (en, zh-CN)")
    def labels(lang: str) -> JSONResponse:
        return JSONResponse({"language": normalise_language(lang), "labels": dict(catalogue(lang))})

    def live_parts(request: Request) -> tuple[Building, Any]:
        b = backend(request)
        if b.building is None:
            raise _error(503, [], "the live twin is not running on this server", "live_not_running")
        return b.building, b.state

    @router.get("/live/info", dependencies=protected, summary="The live building: floors, equipment, palette")
    def live_info(request: Request) -> dict[str, Any]:
        building, state = live_parts(request)
        floors = sorted(building.floors, key=lambda f: f.elevation_m)
        equipment = [{"id": e.id, "name": e.name or e.id, "system": e.system, "kind": e.kind,
                      "floor": building.space_by_id[e.location].floor if e.location in building.space_by_id else None}
                     for e in building.equipment]
        equipment += [{"id": c.id, "name": c.id, "system": "elevator", "kind": CAR_KIND, "floor": c.home_floor}
                      for g in building.elevators for c in g.cars]
        words = floor_words(building)
        return {"building": {"id": building.id, "name": building.name}, "live": state is not None,
                "floors": [{"id": f.id, "name": f.name or f.id, "label": words[f.id]} for f in floors],
                "equipment": equipment, "palette": dict(STATUS_COLORS)}

    @router.get("/live/version", dependencies=protected, summary="Version of the live picture (changes on any change)")
    async def live_version(request: Request) -> dict[str, Any]:
        building, state = live_parts(request)
        return await renderer.live_version(building, state)

    @router.get("/live/view.png", dependencies=protected, response_class=Response,
                summary="The live building as a picture")
    async def live_view(request: Request, w: int = _W, h: int = _H, mode: str = _MODE, floor: str | None = _FLOOR,
                        az: float = _AZ, el: float = _EL, zoom: float = _ZOOM, lang: str = _LANG) -> Response:
        building, state = live_parts(request)
        if mode == "floor" and floor is not None and floor not in building.floor_by_id:
            raise _error(404, ["query", "floor"], f"unknown floor {floor!r}", "not_found")
        png, version = await renderer.live_png(building, state, _camera(w, h, mode, floor, az, el, zoom, lang))
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store", "X-Version": str(version)})

    @router.get("/live/locate", dependencies=protected, summary="Where a piece of equipment is in the picture")
    async def live_locate(request: Request, equipment: str = Query(..., pattern=r"^[A-Za-z0-9_-]+$", max_length=64),
                          w: int = _W, h: int = _H, mode: str = _MODE, floor: str | None = _FLOOR,
                          az: float = _AZ, el: float = _EL, zoom: float = _ZOOM, lang: str = _LANG) -> dict[str, Any]:
        building, state = live_parts(request)
        if equipment not in building.equipment_by_id and equipment not in building.car_by_id:
            raise _error(404, ["query", "equipment"], f"unknown equipment {equipment!r}", "not_found")
        return await renderer.locate(building, state, _camera(w, h, mode, floor, az, el, zoom, lang), equipment)

    def run_parts(request: Request, run_id: str) -> tuple[Path, Building]:
        b = backend(request)
        try:
            folder = b.results_dir(run_id)
        except KeyError:
            folder = None
        except Exception as exc:  # the API's "no such run" error
            if getattr(exc, "status_code", None) == 404 or type(exc).__name__.endswith("NotFound"):
                folder = None
            else:
                raise
        if folder is None or not (Path(folder) / "summary.json").is_file():
            raise _error(404, ["path", "run_id"], f"no finished run {run_id!r}", "not_found")
        summary = summary_of(Path(folder))
        if summary.get("model") != "evacuation":
            raise _error(409, ["path", "run_id"], f"run {run_id!r} is a {summary.get('model')!r} run; "
                                                  "playback is for evacuation runs", "not_evacuation")
        return Path(folder), b.run_building(summary)

    def chosen(folder: Path, point: int, replication: int) -> tuple[int, int]:
        """The run's replication and sweep-point counts, the chosen ones checked against them."""
        summary = summary_of(folder)
        replications = int(summary.get("replications") or 1)
        points = max(1, len(summary.get("points") or []))
        if replication >= replications:
            raise _error(422, ["query", "replication"], f"replication {replication} is not in this run "
                                                        f"(it has {replications}: 0 to {replications - 1})")
        if point >= points:
            raise _error(422, ["query", "point"], f"sweep point {point} is not in this run "
                                                  f"(it has {points}: 0 to {points - 1})")
        return replications, points

    async def tracks_of(request: Request, run_id: str, point: int,
                        replication: int) -> tuple[Building, Any, list, tuple[int, int]]:
        """The run's building, the chosen replication's tracks and events, and the run's
        (replications, points)."""
        from viewer.playback import PlaybackError

        folder, building = run_parts(request, run_id)
        counts = chosen(folder, point, replication)
        try:
            tracks, events = await renderer.playback_tracks(run_id, folder, building, point=point,
                                                            replication=replication)
        except PlaybackError as exc:
            raise _error(422, ["query", "replication"], f"replication {replication} of run {run_id!r} "
                                                        f"cannot be played back: {exc}", "not_playable") from None
        return building, tracks, events, counts

    @router.get("/runs/{run_id}/playback", dependencies=protected, summary="What an evacuation playback holds")
    async def playback_info(request: Request, run_id: str, replication: int = _REPLICATION,
                            point: int = _POINT) -> dict[str, Any]:
        """The run's playback: its length, people, storeys, replications, the gates people queue
        at, the smoke and when each person is out — what the browser needs besides the building
        (``scene``, glTF) and the keyframes it loads in chunks (``tracks``)."""
        building, tracks, events, (replications, points) = await tracks_of(request, run_id, point, replication)
        return playback_summary(run_id, building, tracks, events, replications=replications, points=points,
                                replication=replication, point=point)

    @router.get("/runs/{run_id}/playback/scene.glb", dependencies=protected, response_class=Response,
                summary="The building of an evacuation run as binary glTF")
    async def playback_scene(request: Request, run_id: str) -> Response:
        from starlette.concurrency import run_in_threadpool

        from viewer.gltf import GLTF_MEDIA_TYPE, building_glb

        _folder, building = run_parts(request, run_id)
        data, fingerprint = await run_in_threadpool(building_glb, building)
        etag = f'"{fingerprint}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if etag in [t.strip() for t in (request.headers.get("if-none-match") or "").split(",")]:
            return Response(status_code=304, headers=headers)
        return Response(data, media_type=GLTF_MEDIA_TYPE, headers=headers)

    @router.get("/runs/{run_id}/playback/tracks", dependencies=protected,
                summary="People's keyframes of an evacuation run over a span of time (a chunk)")
    async def playback_chunk(request: Request, run_id: str, replication: int = _REPLICATION, point: int = _POINT,
                             from_s: float = Query(0.0, ge=0, le=1e7, description="start of the span (s)"),
                             to_s: float = Query(60.0, ge=0, le=1e7, description="end of the span (s)")) -> dict[str, Any]:
        """Per person (in the order of the info's ``gone_s``): the last keyframe at or before
        ``from_s``, those up to ``to_s`` and the first after; ``offsets`` cut the flat arrays into
        people. Positions are glTF axes (x, up, -y), metres. A span is at most
        :data:`MAX_CHUNK_S` seconds."""
        if not to_s > from_s:
            raise _error(422, ["query", "to_s"], f"to_s ({to_s:g}) must be after from_s ({from_s:g})")
        if to_s - from_s > MAX_CHUNK_S:
            raise _error(422, ["query", "to_s"], f"a chunk spans at most {MAX_CHUNK_S:g} s; "
                                                 f"from_s {from_s:g} to to_s {to_s:g} is {to_s - from_s:g} s")
        _building, tracks, _events, _counts = await tracks_of(request, run_id, point, replication)
        return playback_keys(tracks, from_s, to_s)

    @router.get("/runs/{run_id}/playback.png", dependencies=protected, response_class=Response,
                summary="An evacuation playback frame")
    async def playback_frame(request: Request, run_id: str, t: float = Query(0.0, ge=0, le=1e7), w: int = _W,
                             h: int = _H, mode: str = _MODE, floor: str | None = _FLOOR, az: float = _AZ,
                             el: float = _EL, zoom: float = _ZOOM, lang: str = _LANG) -> Response:
        folder, building = run_parts(request, run_id)
        if mode == "floor" and floor is not None and floor not in building.floor_by_id:
            raise _error(404, ["query", "floor"], f"unknown floor {floor!r}", "not_found")
        png, inside = await renderer.playback_png(run_id, folder, building, t,
                                                  _camera(w, h, mode, floor, az, el, zoom, lang))
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store", "X-Inside": str(inside)})

    @router.get("/runs/{run_id}/playback.mp4", dependencies=protected, response_class=FileResponse,
                summary="The evacuation playback as a video")
    async def playback_video(request: Request, run_id: str, fps: float = Query(15, ge=1, le=30),
                             speed: float = Query(10, ge=0.5, le=500), w: int = Query(1280, ge=64, le=1920),
                             h: int = Query(720, ge=64, le=1200), mode: str = _MODE, floor: str | None = _FLOOR,
                             lang: str = _LANG) -> FileResponse:
        folder, building = run_parts(request, run_id)
        path = await renderer.playback_video(run_id, folder, building, fps, speed,
                                             _camera(w, h, mode, floor, 0.0, 0.0, 1.0, lang))
        return FileResponse(path, media_type="video/mp4", filename=f"{run_id}-evacuation.mp4")

    return router


def mount_console(app: FastAPI, backend: Callable[[Request], ConsoleBackend], *,
                  auth: Callable[..., Any] | None = None) -> ConsoleRenderer:
    """Serve the console at ``/console/`` and its render API at ``/console/api/`` on ``app``.

    ``backend(request)`` gives the live twin and run folders; ``auth`` is the dependency that lets
    a viewer token through (the API's ``require("viewer")``). Returns the renderer: close it when
    the app stops (``renderer.close()`` in the lifespan's shutdown).
    """
    renderer = ConsoleRenderer()
    app.include_router(console_router(backend, renderer, auth=auth))
    app.mount(f"{CONSOLE_PREFIX}/", StaticFiles(directory=STATIC_DIR, html=True), name="console")
    return renderer
