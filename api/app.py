"""The HTTP front door: one FastAPI app for planners' tools, the web console and the 3D viewer.

``create_app(settings)`` builds the app; its ``lifespan`` opens the token and run stores, starts
the run manager's process pool (and queues again what a previous server left unfinished), and
starts the live twin — MQTT bridge, state, history, alarms — and stops them all on shutdown. One
router per resource (buildings, twin, scenarios and models, runs, tokens, health); every route
declares the least role it needs; every 4xx body names the field it is about. ``twin serve``
runs this app with uvicorn, bound to 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.requests import HTTPConnection

from api.auth import TokenStore
from api.catalogue import BuildingCatalogue
from api.deps import AppContext
from api.hub import Hub
from api.metrics import Metrics, MetricsMiddleware
from api.runs import RunManager
from api.settings import Settings

__all__ = ["create_app", "LiveFactory", "live_service_from_settings"]

log = logging.getLogger(__name__)

LiveFactory = Callable[[Settings], Any]
"""Makes the live twin service for the settings (started and stopped by the app's lifespan)."""

DESCRIPTION = """\
A building's live equipment state (from MQTT) and its what-if simulations.

**Authentication.** Every route but `/health` needs `Authorization: Bearer twin_…`. Roles, each
including the ones before it: `viewer` (read) < `engineer` (acknowledge alarms, send commands) <
`supervisor` = `safety` = `planner` (run scenarios) < `admin` (manage tokens). A missing or unknown
token gets 401, a token whose role is too low 403.

**Errors.** Every 4xx body is `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`; `loc`
names the field (`["body", "document", "params.technicians"]`, `["path", "run_id"]`).
"""


def live_service_from_settings(settings: Settings) -> Any:
    """The live twin for the settings: the building, the broker (embedded when no URL is given —
    locked down, its credentials in ``DATA_DIR/mqtt/`` — with the device simulator unless it is
    turned off), the history in the data folder, and each device's bounds."""
    from twin.live.service import LiveService

    from api.live_cli import simulated_meter_profiles

    embedded = settings.mqtt_url is None
    simulate = embedded and settings.simulate_devices
    service = LiveService(settings.building or "tower", mqtt=settings.mqtt_url, db_path=settings.history_path,
                          simulate=simulate, broker_dir=settings.data_dir / "mqtt",
                          max_points_per_device=settings.mqtt_max_points_per_device,
                          max_device_state_bytes=settings.mqtt_max_device_state_bytes)
    if simulate:
        service.meter_profiles = simulated_meter_profiles(service.building, settings.data_dir)
    return service


GZIP_MIN_BYTES = 1024
"""Answers shorter than this go as they are: under about one network packet, compressing saves no time."""
GZIP_LEVEL = 5
"""zlib's level for the answers that are compressed (1 fastest … 9 smallest)."""
GZIP_EXCLUDED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "application/vnd.apache.parquet")
"""Media types never compressed: Starlette's list (pictures, video, archives and ``text/event-stream``,
whose events must not wait in a compressor) and the record tables' Parquet, compressed already."""


def _print_admin_token(token: str) -> None:
    print("\n" + "=" * 72 + "\nFirst start: an admin token was made. It is shown this once; keep it safe.\n\n"
          f"    {token}\n\nMake more with `twin token create --role planner` or POST /tokens.\n" + "=" * 72 + "\n",
          file=sys.stderr, flush=True)


class BodyLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413, by header or by counting (pure ASGI)."""

    def __init__(self, app: Any, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.max_bytes
                except ValueError:
                    too_big = False
                if too_big:
                    await self._refuse(send)
                    return
        seen = 0
        too_large = False
        refused = False

        async def counting_receive() -> dict:
            # Past the limit the app sees the body end; its answer is then replaced by the 413.
            nonlocal seen, too_large
            if too_large:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_large = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: dict) -> None:
            nonlocal refused
            if too_large:
                if not refused:
                    refused = True
                    await self._refuse(send)
                return
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, send: Callable) -> None:
        body = JSONResponse({"detail": [{"loc": ["body"], "msg": f"request body is larger than {self.max_bytes} "
                                                                 "bytes", "type": "body_too_large"}]},
                            status_code=413).body
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _error_items(detail: Any) -> list[dict]:
    if isinstance(detail, list):
        return detail
    return [{"loc": [], "msg": str(detail), "type": "http_error"}]


_METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(app: Any, path: str) -> list[str]:
    """Every method some route of ``app`` answers at ``path`` — what a 405's ``Allow`` lists.

    Starlette's own 405 names the methods of the one route it matched first; a path served by two
    routes (``GET /runs`` and ``POST /runs``) would then advertise only one of them."""
    from starlette.routing import Match

    def answered(method: str) -> bool:
        scope = {"type": "http", "path": path, "root_path": "", "method": method, "headers": [], "query_string": b""}
        return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)

    return [method for method in _METHOD_ORDER if answered(method)]


def _declared_query_names(app: Any, route: Any, method: str) -> frozenset[str]:
    """The query parameters the OpenAPI document declares for ``route`` and ``method``."""
    operation = app.openapi().get("paths", {}).get(route.path_format, {}).get(method.lower(), {})
    return frozenset(p["name"] for p in operation.get("parameters", ()) if p.get("in") == "query")


async def _refuse_unknown_query_parameters(connection: HTTPConnection) -> None:
    """A query parameter the route does not declare is an error naming it (as an unknown body field
    is), not silently ignored: ``GET /runs?stauts=done`` would otherwise list every run.

    An app-wide dependency; it raises a validation error, so that authentication still comes
    first (see the validation error handler). Routes outside the OpenAPI document are left alone."""
    route = connection.scope.get("route")
    if connection.scope["type"] != "http" or route is None or not getattr(route, "include_in_schema", False):
        return
    declared = _declared_query_names(connection.app, route, connection.scope["method"])
    unknown = [name for name in dict.fromkeys(connection.query_params.keys()) if name not in declared]
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise RequestValidationError([{"loc": ("query", name[:64]), "msg": f"unknown query parameter "
                                       f"(this route takes: {known})", "type": "extra_forbidden"}
                                      for name in unknown[:10]])


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400 and not isinstance(exc.detail, list):
        from api.deps import auth_error_first  # an unreadable body is refused before the role check ran

        exc = await auth_error_first(request) or exc
    items = _error_items(exc.detail)
    if exc.status_code == 400 and not isinstance(exc.detail, list):
        # FastAPI's answer to a body it cannot decode at all (not UTF-8, not JSON text).
        items = [{"loc": ["body"], "msg": f"{exc.detail}: send UTF-8 JSON", "type": "body_unreadable"}]
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request.app, request.scope["path"]))}
        items = [{"loc": [], "msg": f"{request.method} is not allowed here; this path answers {headers['Allow']}",
                  "type": "method_not_allowed"}]
    return JSONResponse({"detail": items}, status_code=exc.status_code, headers=headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    from api.deps import auth_error_first

    # FastAPI decodes the body before the route's role check runs: authentication comes first.
    if (denied := await auth_error_first(request)) is not None:
        return await _http_error(request, denied)
    items = []
    for err in exc.errors():
        msg = str(err.get("msg", "invalid value"))
        items.append({"loc": [p if isinstance(p, (str, int)) else str(p) for p in err.get("loc", ())],
                      "msg": msg.removeprefix("Value error, "), "type": str(err.get("type", "invalid"))})
    return JSONResponse({"detail": items}, status_code=422)


def _warm_building_cache() -> None:
    from scenarios.spec import building_and_graph, library_scenarios
    from twin.loader import read_yaml

    for path in library_scenarios():
        try:
            ref = read_yaml(path).get("building")
            if isinstance(ref, str):
                local = path.parent / ref
                building_and_graph(local if local.is_file() else ref)
        except Exception:  # a broken library file is reported when it is used, not here
            log.debug("could not pre-load the building of %s", path, exc_info=True)
    _freeze_start_up_heap("buildings", collect=False)  # the cached buildings live as long as the server


_HEAP_FROZEN: set[str] = set()


def _freeze_start_up_heap(stage: str, *, collect: bool = True) -> None:
    """Move what start-up made (modules, models, buildings: some 400,000 objects) out of the
    garbage collector's sight. A full collection visits every tracked object and holds the GIL all
    along — 100–300 ms on a busy two-core machine, stalling every request and the ingest — and
    the interpreter runs one whenever the long-lived objects have grown by a quarter. Frozen, they
    are never visited again, so later collections only walk what the server made since. Once per
    process and stage: a process that makes many apps (the tests) must not freeze their garbage."""
    import gc

    if stage in _HEAP_FROZEN:
        return
    _HEAP_FROZEN.add(stage)
    if collect:
        gc.collect()
    gc.freeze()


def _start_live(ctx: AppContext, factory: LiveFactory) -> None:
    from api.routers.twin import attach_live

    service = None
    try:
        service = factory(ctx.settings)
        service.start()
    except Exception as exc:  # the API still serves buildings, scenarios and runs without it
        log.error("live twin did not start: %s", exc, exc_info=exc)
        ctx.live_error = f"{type(exc).__name__}: {exc}"
        if service is not None:
            try:
                service.stop()
            except Exception:
                log.warning("stopping the half-started live twin failed", exc_info=True)
        return
    ctx.live = service
    attach_live(ctx)


def create_app(settings: Settings | None = None, *, live_factory: LiveFactory | None = None,
               on_admin_token: Callable[[str], None] | None = None) -> FastAPI:
    """The API app for ``settings`` (from the environment when not given).

    ``live_factory`` makes the live twin service (default: :mod:`twin.live.service` from the
    settings); ``on_admin_token`` receives the admin token made at first start (default: print it).
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # The event loop shares the interpreter with the MQTT network thread, the ingest writer and
        # the state renderer; a 1 ms switch interval (default 5 ms) hands it the GIL sooner, which
        # keeps request latency low while thousands of messages a second are applied.
        sys.setswitchinterval(0.001)
        tokens = TokenStore(settings.db_path, cache_s=settings.token_cache_s)
        first = tokens.ensure_admin()
        if first is not None and settings.print_admin_token:
            (on_admin_token or _print_admin_token)(first)
        hub = Hub()
        hub.bind(asyncio.get_running_loop())
        metrics = Metrics()

        def run_finished(rec: Any) -> None:
            metrics.run_finished(rec.status, rec.duration_s)

        runs = RunManager(db_path=settings.db_path, runs_dir=settings.runs_dir, workers=settings.workers,
                          max_concurrent=settings.max_concurrent_runs, max_size=settings.max_run_size,
                          on_event=hub.publish_threadsafe, on_finished=run_finished,
                          scheduler=settings.scheduler, time_limit_s=settings.run_time_limit_s,
                          memory_limit_gib=settings.run_memory_limit_gib,
                          forecast_workers=settings.forecast_workers)
        runs.start()
        ctx = AppContext(settings=settings, tokens=tokens, runs=runs, hub=hub,
                         buildings=BuildingCatalogue(settings.buildings_dir, settings.building if settings.live else None),
                         metrics=metrics)
        app.state.ctx = ctx
        if settings.live:
            await asyncio.to_thread(_start_live, ctx, live_factory or live_service_from_settings)
        if ctx.live is not None and settings.triggers_enabled:
            # Alarm → forecast: a bad triggers file stops the start with its file, field and value.
            from api.triggers import TriggerRunner

            ctx.triggers = TriggerRunner.from_settings(ctx)
            ctx.triggers.start()
        # Import the models now, not in the first request that names one.
        from models import available_models

        await asyncio.to_thread(available_models)
        _freeze_start_up_heap("start-up")  # before the first request: a full collection now costs nobody
        # Load the library's buildings in the background, so the first run request checks its
        # scenario against a cached building within milliseconds.
        threading.Thread(target=_warm_building_cache, name="warm-buildings", daemon=True).start()
        try:
            yield
        finally:
            if ctx.triggers is not None:
                ctx.triggers.stop()
            if ctx.live is not None:
                from api.routers.twin import detach_live

                detach_live(ctx)
                await asyncio.to_thread(ctx.live.stop)
            await asyncio.to_thread(runs.stop)
            await asyncio.to_thread(app.state.console.close)
            tokens.close()

    app = FastAPI(title="Building Twin API", version=_version(), description=DESCRIPTION, lifespan=lifespan,
                  dependencies=[Depends(_refuse_unknown_query_parameters)],
                  openapi_tags=[
                      {"name": "buildings", "description": "building specs, floor graphs, equipment, Brick models"},
                      {"name": "twin", "description": "the live twin: state, history, alarms, commands, stream"},
                      {"name": "scenarios", "description": "the what-if library, scenario checks, models"},
                      {"name": "runs", "description": "scenario runs and sweeps: start, follow, results, compare"},
                      {"name": "optimise", "description": "the cheapest plan that keeps the promises: search, "
                                                          "plans, frontier"},
                      {"name": "tokens", "description": "API tokens (admin)"},
                      {"name": "health", "description": "health and Prometheus metrics"},
                  ])
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]

    from api.routers import buildings, health, optimise, runs, scenarios, tokens, triggers, twin

    app.include_router(buildings.router)
    app.include_router(twin.router)
    app.include_router(scenarios.router)
    app.include_router(scenarios.models_router)
    app.include_router(runs.router)
    app.include_router(optimise.router)
    app.include_router(triggers.router)
    app.include_router(tokens.router)
    app.include_router(health.router)

    # The web console (viewer/console): static page at /console/, its 3D renders at /console/api/.
    from api.deps import require
    from viewer.console import ConsoleBackend, mount_console

    def console_backend(request: Request) -> ConsoleBackend:
        ctx = request.app.state.ctx
        live = ctx.live
        return ConsoleBackend(building=live.building if live is not None else None,
                              state=live.state if live is not None else None, results_dir=ctx.runs.results_dir,
                              building_roots=(ctx.settings.buildings_dir, ctx.settings.scenarios_dir))

    app.state.console = mount_console(app, console_backend, auth=require("viewer"))

    # Outermost last: body limit, then metrics, then (optionally) CORS, then gzip. A client that
    # accepts gzip gets the large answers compressed — a playback's keyframe chunks, run records,
    # reports, the console's scripts — each streamed body flushed chunk by chunk as it goes; the
    # WebSocket stream is not HTTP and is left alone.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=GZIP_LEVEL,
                       exclude_content_types=GZIP_EXCLUDED)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"])
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    return app


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("building-twin")
    except metadata.PackageNotFoundError:
        return "0.0.0"
