"""The live twin over HTTP: what the building is doing now, what it did, its alarms, its commands.

Reading (any role): the whole building's current state or one device's; a point's history over
a range, down-sampled; the building's state at a past time; alarms, filtered. Acting (engineer
and above): acknowledging an alarm; sending a device a desired state on its ``cmd`` topic and
seeing its acknowledgement from ``cmd/ack``. Streaming: a WebSocket that pushes state changes,
alarm transitions and run progress as they happen.

The live service (:mod:`twin.live.service`) owns the state, history and alarms; this module only
reads them and hands operator actions to it. Its ingest thread is never made to wait on HTTP:
state changes and alarm transitions reach WebSocket clients through the app's hub. The current
state is rendered on a worker thread at most every 50 ms however fast messages arrive, and the
event loop never waits for the state's lock while an older rendering (under 1 s) can answer.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.deps import ApiError, AppContext, Ctx, Engineer, Viewer, authenticate, error_responses
from api.hub import TOPICS
from api.schemas import (AlarmAck, AlarmHistory, AlarmList, AlarmOut, CommandCreate, CommandOut, Dashboard,
                         EquipmentState, PointHistory, StateAt, TwinStateOut)

__all__ = ["router", "LiveLink", "attach_live", "detach_live", "live_stats", "live_building_id", "take_snapshot"]

router = APIRouter(prefix="/twin", tags=["twin"])

DeviceId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]+$", max_length=64, examples=["PMP-1"])]
AlarmId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:*-]+$", max_length=256, examples=["event:entrapment:LIFT-2"])]
CommandId = Annotated[str, Path(pattern=r"^c-[a-f0-9]{8,32}$", examples=["c-5f2a1c0e"])]
EpochMs = Annotated[int, Query(ge=0, le=2**53)]

try:
    from orjson import dumps as _orjson_dumps
except ImportError:  # pragma: no cover - orjson is a dependency; the standard library does the same, slower
    _orjson_dumps = None

STATE_MAX_AGE_S = 0.05
STATE_SERVE_STALE_S = 1.0
ACK_GIVE_UP_MS = 60_000
MAX_COMMANDS = 2000


def _now_ms() -> int:
    return int(time.time() * 1000)


def _json_bytes(data: Any) -> bytes:
    """Compact JSON, a non-finite number as null (as everywhere in the API). orjson writes the
    building's state ten times faster than the standard library, which takes what orjson refuses
    (an integer beyond 64 bits, a key that is not a string)."""
    if _orjson_dumps is not None:
        try:
            return _orjson_dumps(data)
        except TypeError:  # orjson.JSONEncodeError
            pass
    try:
        return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()
    except ValueError:  # a NaN somewhere
        return json.dumps(_finite(data), separators=(",", ":")).encode()


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


@dataclass
class _Command:
    id: str
    equipment: str
    desired: dict[str, Any]
    sent_ms: int
    sent_by: str
    ack_ms: int | None = None
    ok: bool | None = None
    message: str | None = None

    def out(self, now_ms: int) -> CommandOut:
        if self.ok is not None:
            status = "acknowledged" if self.ok else "rejected"
        else:
            status = "no_answer" if now_ms - self.sent_ms > ACK_GIVE_UP_MS else "sent"
        return CommandOut(id=self.id, equipment=self.equipment, desired=self.desired, status=status,
                          sent_ms=self.sent_ms, ack_ms=self.ack_ms, ok=self.ok, message=self.message,
                          sent_by=self.sent_by)


@dataclass
class LiveLink:
    """What the API keeps beside the live service: listeners, the rendered state, commands, lag."""

    ctx: AppContext
    version: int = 0
    cached: bytes = b""
    cached_version: int = -1
    cached_at: float = 0.0
    last_lag_ms: int | None = None
    last_change_ms: int | None = None
    commands: OrderedDict[str, _Command] = field(default_factory=OrderedDict)
    commands_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    rendering: asyncio.Task | None = None
    undo: list[Any] = field(default_factory=list)

    @property
    def service(self) -> Any:
        return self.ctx.live

    # --- listeners (the live service's threads: cheap, never raise) --------------------------

    def on_devices(self, devices: frozenset[str]) -> None:
        self.version += 1

    def on_changes(self, changes: Sequence[Any]) -> None:
        now = _now_ms()
        self.last_change_ms = now
        self.last_lag_ms = now - max(c.received_ms for c in changes)
        hub = self.ctx.hub
        if not hub.clients:
            return
        state = self.service.state
        events = [{"type": "state", "equipment": c.device, "status": state.status(c.device, now), "ts_ms": c.ts_ms,
                   "received_ms": c.received_ms, "seq": c.seq, "values": dict(c.applied)}
                  for c in changes if c.applied]
        if events:
            hub.publish_many_threadsafe(events)

    def on_alarm(self, transition: Any, snapshot: Any) -> None:
        self.ctx.hub.publish_threadsafe({"type": "alarm", **transition.to_dict()})

    # --- the current state, rendered at most every 50 ms -------------------------------------

    def state_json(self) -> bytes:
        """The current state as JSON, rendered again when it changed and is older than 50 ms."""
        now = time.monotonic()
        with self.lock:
            if self.cached and (self.cached_version == self.version or now - self.cached_at < STATE_MAX_AGE_S):
                return self.cached
            version = self.version
        body = _json_bytes(self.service.snapshot().to_dict())
        with self.lock:
            self.cached, self.cached_version, self.cached_at = body, version, now
        return body

    async def state_body(self) -> bytes:
        """:meth:`state_json` without making the event loop wait for the state's lock: while a new
        rendering is under way on a worker thread, requests get the last one if it is under 1 s old."""
        with self.lock:
            fresh = self.cached and (self.cached_version == self.version
                                     or time.monotonic() - self.cached_at < STATE_MAX_AGE_S)
            age = time.monotonic() - self.cached_at
        if fresh:
            return self.cached
        if self.rendering is None or self.rendering.done():
            self.rendering = asyncio.get_running_loop().create_task(asyncio.to_thread(self.state_json))
        if self.cached and age < STATE_SERVE_STALE_S:
            return self.cached
        return await asyncio.shield(self.rendering)

    # --- commands ----------------------------------------------------------------------------

    def send(self, equipment: str, desired: dict[str, Any], who: str) -> _Command:
        from twin.live.topics import device_topic

        service = self.service
        info = service.state.info(equipment)
        bridge = service.bridge
        if bridge is None or not bridge.connected:
            raise ApiError(409, ["path", "equipment"], "the twin is not connected to the broker; the command was not "
                                                       "sent", "not_connected")
        cmd = _Command(id=f"c-{secrets.token_hex(6)}", equipment=equipment, desired=dict(desired),
                       sent_ms=_now_ms(), sent_by=who)
        payload = {**desired, "id": cmd.id, "ts": cmd.sent_ms}
        bridge.publish(device_topic(service.building.id, info.system, equipment, "cmd"),
                       json.dumps(payload, separators=(",", ":")), qos=1)
        with self.lock:
            self.commands[cmd.id] = cmd
            self.commands_sent += 1
            while len(self.commands) > MAX_COMMANDS:
                self.commands.popitem(last=False)
        return cmd

    def resolve(self, cmd: _Command) -> _Command:
        """Look for the command's acknowledgement in the history (acks arrive as cmd_ack events)."""
        if cmd.ok is not None:
            return cmd
        history = self.service.history
        if history is None:
            return cmd
        for event in history.events(start_ms=cmd.sent_ms - 60_000, device=cmd.equipment, type="cmd_ack", limit=1000):
            if event.get("data", {}).get("id") == cmd.id:
                cmd.ok = bool(event["data"].get("ok", True))
                cmd.ack_ms = event["ts_ms"]
                cmd.message = event.get("message")
                self.ctx.hub.publish_threadsafe({"type": "command", "equipment": cmd.equipment,
                                                 **cmd.out(_now_ms()).model_dump()})
                break
        return cmd


def attach_live(ctx: AppContext) -> None:
    """Wire the API to a started live service: state version, WebSocket events, alarm hook."""
    link = LiveLink(ctx)
    service = ctx.live
    link.undo.append(service.state.add_listener(link.on_devices))
    service.add_change_listener(link.on_changes)
    hook = service.alarms.on_alarm(link.on_alarm, name="api-stream",
                                   transitions=("raised", "cleared", "acknowledged"))
    link.undo.append(lambda: service.alarms.remove_hook(hook))
    link.undo.append(lambda: service._change_listeners.remove(link.on_changes)
                     if link.on_changes in getattr(service, "_change_listeners", []) else None)
    ctx.live_link = link
    ctx.metrics.bind_live(lambda: live_stats(ctx))


def detach_live(ctx: AppContext) -> None:
    link: LiveLink | None = ctx.live_link
    if link is None:
        return
    for undo in link.undo:
        try:
            undo()
        except Exception:
            pass
    ctx.live_link = None
    ctx.metrics.bind_live(lambda: None)


def live_stats(ctx: AppContext) -> dict[str, Any]:
    """The live twin's figures for /health and /metrics."""
    service, link = ctx.live, ctx.live_link
    if service is None:
        return {}
    s = service.stats()
    history = service.history
    lag_s = None
    if link is not None and link.last_lag_ms is not None and link.last_change_ms is not None:
        idle_s = (_now_ms() - link.last_change_ms) / 1000
        lag_s = round(link.last_lag_ms / 1000, 3) if idle_s < 60 else None
    return {"messages_ingested": s.applied, "ingest_batches": s.batches, "dead_letters": s.dead_letters,
            "events": s.events,
            "commands_sent": link.commands_sent if link else 0, "lag_s": lag_s,
            "broker_connected": s.connected, "devices": len(service.state.device_ids),
            "alarms_active": s.open_alarms, "queue_depth": s.queue_depth,
            "history_writable": history is not None and not getattr(history, "closed", False)}


def live_building_id(ctx: AppContext) -> str | None:
    return ctx.live.building.id if ctx.live is not None else None


def take_snapshot(ctx: AppContext) -> Any:
    """The live twin's current snapshot (an immutable, picklable value models accept)."""
    return ctx.live.snapshot()


def _service(ctx: AppContext) -> Any:
    if ctx.live is None or ctx.live_link is None:
        why = f" ({ctx.live_error})" if ctx.live_error else ""
        raise ApiError(503, [], f"the live twin is not running on this server{why}", "live_unavailable")
    return ctx.live


def _device(service: Any, device: str, loc: list[str | int]) -> None:
    if device not in service.state.device_ids:
        raise ApiError(404, loc, f"no equipment {device!r} in building {service.building.id!r}", "not_found")


# --- reading ------------------------------------------------------------------------------------

_LIVE_ERRORS = error_responses(503)


@router.get("/state", response_model=TwinStateOut, responses=_LIVE_ERRORS, summary="The building's state now")
async def get_state(ctx: Ctx, _: Viewer) -> Response:
    """Every device's values, status and bookkeeping, the status counts, what is out of service, and
    the open alarms. Rendered at most every 50 ms; under heavy ingest it may be up to 1 s old."""
    _service(ctx)
    return Response(await ctx.live_link.state_body(), media_type="application/json")


@router.get("/scene.glb", response_class=Response, responses=_LIVE_ERRORS,
            summary="The live building's 3D scene as binary glTF (drawn by the console in the browser)")
async def get_scene_glb(ctx: Ctx, _: Viewer, if_none_match: Annotated[str | None, Header()] = None) -> Response:
    """Every equipment item, lift car, space and door as its own named node, with its id, kind,
    floor and name in the node's ``extras`` (see :mod:`viewer.gltf`). Made once per building and
    cached; the ETag is the building spec's fingerprint (a matching ``If-None-Match``: 304)."""
    service = _service(ctx)
    from viewer.gltf import GLTF_MEDIA_TYPE, building_glb

    data, fingerprint = await run_in_threadpool(building_glb, service.building)
    etag = f'"{fingerprint}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if if_none_match is not None and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=GLTF_MEDIA_TYPE, headers=headers)


@router.get("/equipment/{equipment}", response_model=EquipmentState, responses=error_responses(404, 503),
            summary="One device's state now")
def get_equipment_state(equipment: DeviceId, ctx: Ctx, _: Viewer) -> dict:
    service = _service(ctx)
    _device(service, equipment, ["path", "equipment"])
    return service.state.equipment(equipment).to_dict()


@router.get("/equipment/{equipment}/history", response_model=PointHistory, responses=error_responses(404, 503),
            summary="A point's history over a range, down-sampled")
def get_history(equipment: DeviceId, ctx: Ctx, _: Viewer,
                point: Annotated[str, Query(pattern=r"^[A-Za-z0-9_.-]+$", max_length=64, examples=["pressure_kpa"])],
                start_ms: EpochMs | None = None, end_ms: EpochMs | None = None,
                max_points: Annotated[int, Query(ge=1, le=10_000)] = 500) -> PointHistory:
    """Samples with ``start_ms <= ts < end_ms`` (default: the last hour). More than ``max_points``
    samples are averaged into that many equal buckets (mean, min, max, count)."""
    service = _service(ctx)
    _device(service, equipment, ["path", "equipment"])
    end = end_ms if end_ms is not None else _now_ms() + 1
    start = start_ms if start_ms is not None else max(0, end - 3_600_000)
    if start >= end:
        raise ApiError(422, ["query", "start_ms"], f"start_ms {start} is not before end_ms {end}", "range")
    known = set(service.state.equipment(equipment).point_ts_ms) | set(service.state.values(equipment))
    series = service.history.series(equipment, point, start, end, max_points=max_points)
    if not series and point not in known:
        raise ApiError(404, ["query", "point"], f"{equipment!r} has no point {point!r} "
                                                f"(points: {', '.join(sorted(known)) or 'none yet'})", "not_found")
    return PointHistory(equipment=equipment, point=point, start_ms=start, end_ms=end, max_points=max_points,
                        downsampled=any(p.count > 1 for p in series),
                        samples=[{"ts_ms": p.ts_ms, "value": _finite(p.value), "min": _finite(p.min),
                                  "max": _finite(p.max), "count": p.count} for p in series])


@router.get("/state/at", response_model=StateAt, responses=error_responses(503),
            summary="The building's state at a past time")
def get_state_at(ctx: Ctx, _: Viewer, at_ms: EpochMs,
                 equipment: Annotated[list[Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]+$", max_length=64)]] | None,
                                      Query(max_length=500)] = None) -> StateAt:
    """Each point's newest value not after ``at_ms`` (of the listed equipment, or all)."""
    service = _service(ctx)
    values = service.history.state_at(at_ms, equipment)
    return StateAt(building_id=service.building.id, at_ms=at_ms, equipment=_finite(values))


# --- alarms -------------------------------------------------------------------------------------

_SEVERITY = Literal["critical", "major", "minor", "warning"]


@router.get("/alarms", response_model=AlarmList, responses=_LIVE_ERRORS, summary="Alarms, filtered")
def list_alarms(ctx: Ctx, _: Viewer,
                state: Annotated[Literal["open", "all"], Query(description="open (default) or all, closed too")] = "open",
                severity: Annotated[list[_SEVERITY] | None, Query(max_length=4)] = None,
                equipment: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]+$", max_length=64)] = None,
                system: Annotated[str | None, Query(pattern=r"^[a-z_]+$", max_length=32)] = None,
                floor: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]+$", max_length=64)] = None,
                active: bool | None = None, acknowledged: bool | None = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> AlarmList:
    """Open alarms are most severe first, then newest; ``state=all`` adds closed ones from the log."""
    service = _service(ctx)
    alarms = [a.to_dict() for a in service.alarms.open_alarms()]
    if state == "all" and service.history is not None:
        seen = {a["id"] for a in alarms}
        closed: dict[str, dict] = {}
        for entry in service.history.alarm_log(limit=100_000):
            record = entry.get("alarm") or {}
            if record.get("id") and record["id"] not in seen:
                closed[record["id"]] = record
        for record in sorted(closed.values(), key=lambda r: -(r.get("raised_ms") or 0)):
            from twin.live.alarms import Alarm

            alarms.append(Alarm.from_dict(record).to_dict())

    def keep(a: dict) -> bool:
        return ((severity is None or a["severity"] in severity) and (equipment is None or a["device"] == equipment)
                and (system is None or a.get("system") == system) and (floor is None or a.get("floor") == floor)
                and (active is None or a["active"] == active)
                and (acknowledged is None or a["acknowledged"] == acknowledged))

    chosen = [a for a in alarms if keep(a)]
    return AlarmList(alarms=_finite(chosen[offset:offset + limit]), total=len(chosen))


@router.post("/alarms/{alarm_id}/ack", response_model=AlarmOut, responses=error_responses(404, 503),
             summary="Acknowledge an alarm")
def acknowledge_alarm(alarm_id: AlarmId, ctx: Ctx, who: Engineer, body: AlarmAck | None = None) -> dict:
    """Records who acknowledged it and when; acknowledging twice is harmless."""
    from twin.live.alarms import AlarmNotFound

    service = _service(ctx)
    try:
        alarm = service.acknowledge(alarm_id, who.name, body.note if body else None)
    except AlarmNotFound:
        raise ApiError(404, ["path", "alarm_id"], f"no open alarm {alarm_id!r}", "not_found") from None
    return _finite(alarm.to_dict())


_Floor = Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]+$", max_length=64)]
_WindowMs = Annotated[int, Query(ge=0, le=32_503_680_000_000, description="epoch ms, before the year 3000")]


@router.get("/alarms/history", response_model=AlarmHistory, responses={
    **error_responses(503), 200: {"description": "a page as JSON, or every matching row (up to 100,000) as CSV",
                                  "content": {"application/json": {}, "text/csv": {"schema": {"type": "string"}}}}},
            summary="Every alarm transition, filtered, paged or as CSV")
def alarm_history(ctx: Ctx, _: Viewer,
                  system: Annotated[list[Annotated[str, Query(pattern=r"^[a-z_]+$", max_length=32)]] | None,
                                    Query(max_length=20)] = None,
                  floor: Annotated[list[_Floor] | None, Query(max_length=50)] = None,
                  severity: Annotated[list[_SEVERITY] | None, Query(max_length=4)] = None,
                  equipment: Annotated[list[_Floor] | None, Query(max_length=50)] = None,
                  transition: Annotated[list[Literal["raised", "cleared", "acknowledged"]] | None,
                                        Query(max_length=3)] = None,
                  start_ms: _WindowMs | None = None, end_ms: _WindowMs | None = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                  offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                  format: Literal["json", "csv"] = "json",
                  lang: Annotated[Literal["en", "zh-CN"], Query(description="language of the messages (CSV's "
                                                                            "``message`` column)")] = "en") -> Any:
    """Raised, cleared and acknowledged steps of every alarm (closed ones too) with ``start_ms <= at <
    end_ms`` (default: the last 7 days; at most 366 days), newest first, with the acknowledgement's
    note. A filter value the building does not have is a 422 naming the field. ``format=csv`` gives
    every matching row from ``offset``, at most 100,000 (``X-Total-Count`` says how many matched)."""
    from api import dashboard

    service = _service(ctx)
    start, end = dashboard.window(start_ms, end_ms, _now_ms())
    rows, total = dashboard.alarm_history_page(
        service, start=start, end=end, system=system, floor=floor, severity=severity, equipment=equipment,
        transition=transition, limit=dashboard.CSV_MAX_ROWS if format == "csv" else limit, offset=offset, lang=lang)
    if format == "csv":
        return Response(dashboard.history_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="alarm-history-{start}-{end}.csv"',
                                 "X-Total-Count": str(total)})
    return AlarmHistory(start_ms=start, end_ms=end, total=total, offset=offset, limit=limit, rows=_finite(rows))


@router.get("/dashboard", response_model=Dashboard, responses=error_responses(),
            summary="The supervisor's figures: promises, failures, availability, alarms, energy")
def dashboard_view(ctx: Ctx, _: Viewer, start_ms: _WindowMs | None = None, end_ms: _WindowMs | None = None,
                   bucket: Literal["auto", "hour", "day", "week"] = "auto") -> dict:
    """Over ``start_ms <= t < end_ms`` (default: the last 7 days; at most 366 days): work orders against
    the 30 min / 2 h promises from the latest finished operations run; from the live twin's history
    (when it runs), alarms raised by system per ``bucket`` (at most 2,000 buckets), failures and
    availability by system, and energy by day and month from the meters. Definitions: api/dashboard.py."""
    from api import dashboard

    start, end = dashboard.window(start_ms, end_ms, _now_ms())
    return _finite(dashboard.dashboard_figures(ctx, start=start, end=end, bucket=bucket, now_ms=_now_ms()))


# --- commands -----------------------------------------------------------------------------------

@router.post("/equipment/{equipment}/commands", response_model=CommandOut, status_code=202,
             responses=error_responses(404, 409, 503), summary="Send a device a desired state")
async def send_command(equipment: DeviceId, body: CommandCreate, ctx: Ctx, who: Engineer) -> CommandOut:
    """Publishes ``{"id": …, "ts": …, **desired}`` on the device's ``cmd`` topic (QoS 1). With ``wait_s``
    the answer waits up to that long for the device's ``cmd/ack``; otherwise follow
    ``GET /twin/commands/{id}`` or the WebSocket."""
    service = _service(ctx)
    _device(service, equipment, ["path", "equipment"])
    link: LiveLink = ctx.live_link
    cmd = link.send(equipment, body.desired, who.name)
    deadline = time.monotonic() + body.wait_s
    while body.wait_s and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        await run_in_threadpool(link.resolve, cmd)
        if cmd.ok is not None:
            break
    return cmd.out(_now_ms())


@router.get("/commands/{command_id}", response_model=CommandOut, responses=error_responses(404, 503),
            summary="A command and its acknowledgement")
def get_command(command_id: CommandId, ctx: Ctx, _: Viewer) -> CommandOut:
    _service(ctx)
    link: LiveLink = ctx.live_link
    cmd = link.commands.get(command_id)
    if cmd is None:
        raise ApiError(404, ["path", "command_id"], f"no command {command_id!r} (commands are kept in memory "
                                                    "while the server runs)", "not_found")
    return link.resolve(cmd).out(_now_ms())


# --- the stream ---------------------------------------------------------------------------------

async def _refuse(ws: WebSocket, code: int, reason: str) -> None:
    """Refuse a stream with a close code the client can read: closed before the handshake is
    accepted, a WebSocket is answered by the server with a bare HTTP 403 instead."""
    await ws.accept()
    await ws.close(code=code, reason=_close_reason(reason))


def _close_reason(text: str) -> str:
    return text.encode()[:120].decode(errors="ignore")  # a close frame's reason is at most 123 bytes


@router.websocket("/stream")
async def stream(ws: WebSocket, token: str | None = None, topics: str = "state,alarm,run,command",
                 equipment: str | None = None) -> None:
    """Live events as JSON text messages: ``state`` (a device's changed values and status),
    ``alarm`` (raised, cleared, acknowledged), ``run`` (status and progress), ``command`` (an
    acknowledgement). Authenticate with ``?token=`` or an ``Authorization: Bearer`` header; choose
    with ``?topics=state,alarm`` and ``?equipment=LIFT-1,PMP-1``. The first message is ``hello``;
    with ``state`` chosen and the live twin running, the second is a ``snapshot`` of the building.

    Refusals and ends are WebSocket close codes with a reason (the handshake is accepted first, so
    that a client sees the code rather than an HTTP 403): **4401** no token, an unknown one, or a
    token revoked while the stream is open (closed within about a second of the revocation, from
    the API or ``twin token revoke``); **4403** a token whose role may not stream (every role may
    today); **4422** a bad query (unknown topics)."""
    ctx: AppContext = ws.app.state.ctx
    header = ws.headers.get("authorization", "")
    credential = token or (header[7:].strip() if header.lower().startswith("bearer ") else None)
    generation = ctx.tokens.generation()  # before the check: a revocation after it is seen by the hub
    try:
        principal = await authenticate(ctx.tokens, credential)
    except ApiError as exc:
        await _refuse(ws, 4401, exc.items[0]["msg"])
        return
    if not principal.may("viewer"):
        await _refuse(ws, 4403, f"this needs the role viewer; this token's role is {principal.role!r}")
        return
    wanted = {t.strip() for t in topics.split(",") if t.strip()}
    unknown = wanted - set(TOPICS)
    if unknown or not wanted:
        await _refuse(ws, 4422, f"unknown topics {sorted(unknown)}; choose from {', '.join(TOPICS)}")
        return
    devices = {d.strip() for d in equipment.split(",") if d.strip()} if equipment else None
    await ws.accept()
    sub = ctx.hub.subscribe(wanted, devices, token_id=principal.token_id, tokens=ctx.tokens, generation=generation)
    ctx.metrics.ws_clients.set(ctx.hub.clients)
    try:
        await ws.send_text(json.dumps({"type": "hello", "topics": sorted(wanted), "role": principal.role,
                                       "building": live_building_id(ctx), "live": ctx.live is not None}))
        if "state" in wanted and ctx.live is not None and ctx.live_link is not None:
            snap = json.loads(await ctx.live_link.state_body())
            if devices is not None:
                snap["equipment"] = {k: v for k, v in snap["equipment"].items() if k in devices}
            await ws.send_text(json.dumps({"type": "snapshot", "state": snap}))

        async def pump() -> None:
            dropped = 0
            while True:
                event = await sub.queue.get()
                if sub.dropped != dropped:
                    await ws.send_text(json.dumps({"type": "dropped", "events": sub.dropped - dropped}))
                    dropped = sub.dropped
                await ws.send_text(_json_bytes(event).decode())
                ctx.metrics.ws_events.inc()

        async def listen() -> None:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                if message.get("text", "").strip() == "ping":
                    await ws.send_text(json.dumps({"type": "pong"}))

        ended = asyncio.create_task(sub.ended.wait())
        tasks = {asyncio.create_task(pump()), asyncio.create_task(listen()), ended}
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in done:
            if task.exception() is not None and not isinstance(task.exception(), (WebSocketDisconnect, RuntimeError)):
                raise task.exception()  # type: ignore[misc]
        if ended in done:  # the hub ended it: the token was revoked
            try:
                await ws.close(code=4401, reason=_close_reason(sub.end_reason))
            except RuntimeError:  # the client left meanwhile
                pass
    except WebSocketDisconnect:
        pass
    finally:
        ctx.hub.unsubscribe(sub)
        ctx.metrics.ws_clients.set(ctx.hub.clients)
