"""Health and metrics: whether the server is fit to answer, and what it has done.

``/health`` needs no token (load balancers and supervisors poll it) and tells only whether the
parts work: the broker connection, the stores, how far behind the live state is. ``/metrics``
(Prometheus text) needs a viewer token; a Prometheus job sends it as a bearer credential.
"""

from __future__ import annotations

import functools
from importlib import metadata

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import Ctx, Viewer, error_responses
from api.schemas import HealthOut

__all__ = ["router"]

router = APIRouter(tags=["health"])


@functools.cache
def _version() -> str:
    try:
        return metadata.version("building-twin")
    except metadata.PackageNotFoundError:
        return "unknown"


async def _probe(ctx: Ctx) -> bool:
    # A real write at most every 5 s; in between the last answer (no thread hop for it).
    recent = ctx.runs.store.recent_probe(5.0)
    if recent is not None:
        return recent
    return await run_in_threadpool(ctx.runs.store.probe_write)


@router.get("/health", response_model=HealthOut, summary="Is the server fit to answer (no token needed)")
async def health(ctx: Ctx) -> HealthOut:
    from api.routers.twin import live_stats

    store_ok = await _probe(ctx)
    stats = live_stats(ctx) if ctx.live is not None else {}
    broker = stats.get("broker_connected")
    history = stats.get("history_writable")
    ok = store_ok and (ctx.live is None or (broker is not False and history is not False)) and ctx.live_error is None
    return HealthOut(status="ok" if ok else "degraded", live=ctx.live is not None,
                     broker_connected=None if broker is None else bool(broker),
                     store_writable=store_ok, history_writable=history, lag_s=stats.get("lag_s"),
                     runs_active=ctx.runs.active_count(), version=_version())


@router.get("/metrics", response_class=PlainTextResponse, responses={
    **error_responses(non_json_route=True), 200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}},
                               "description": "Prometheus text exposition format"}},
            summary="Prometheus metrics")
def metrics(ctx: Ctx, _: Viewer) -> PlainTextResponse:
    """Requests, runs and their durations, WebSocket clients, and the live twin's messages ingested,
    dead letters, lag and active alarms."""
    ctx.metrics.runs_active.set(ctx.runs.active_count())
    ctx.metrics.ws_clients.set(ctx.hub.clients)
    return PlainTextResponse(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
