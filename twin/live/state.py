"""The building as it is now: current state of every device, and how much to trust it.

Each device (equipment or elevator car) has its latest point values, the device time of each,
when the twin last heard from it, whether it says it is online, and its message bookkeeping:
the last sequence number, gaps (messages lost on the way), late and duplicate arrivals. From
these and the open alarms the twin derives one **status** per device:

``offline``  the device said so (its status channel or last will);
``alarm``    a critical or major alarm is open on it;
``stale``    nothing arrived for ``stale_factor`` × its expected interval (or never);
``warning``  a minor or warning alarm is open, or it reports its data quality as not good;
``ok``       none of the above.

A device's state is bounded: at most ``max_points`` point names and ``max_state_bytes`` of
values (names and values as text, a number counting 8 bytes). A state message that would take
a device past either is refused whole (:class:`StateLimitError`), before it changes anything —
otherwise a client could grow one device without end, one new point name at a time.

Messages can arrive out of order (a gateway flushes a buffer after a reconnect). For the
*current* state the newest device timestamp wins, point by point; the history keeps both.

:meth:`TwinState.snapshot` freezes the whole building into a :class:`TwinSnapshot` — an
immutable, picklable value a simulation model accepts as its initial conditions ("what if,
from now": which equipment is out of service, which alarms are open, what time it is there).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from twin.live.devices import DeviceInfo, device_catalogue
from twin.live.payloads import DeviceAttributes, DeviceStatus, StateUpdate
from twin.live.values import Clock, FrozenMap, Scalar, freeze, thaw, wall_ms
from twin.spec import Building

__all__ = [
    "STATUSES",
    "StateChange",
    "EquipmentSnapshot",
    "TwinSnapshot",
    "TwinState",
    "OUT_OF_SERVICE_VALUES",
    "StateLimitError",
]

STATUSES = ("ok", "warning", "alarm", "offline", "stale")
# Values a device reports that put it out of service whatever its status.
OUT_OF_SERVICE_VALUES: Mapping[str, frozenset[str]] = FrozenMap({
    "mode": frozenset({"out_of_service", "fault", "power_loss", "inspection", "fire_recall"}),
    "run_state": frozenset({"tripped", "fault"}),
    "breaker": frozenset({"open", "tripped"}),
})


class StateLimitError(ValueError):
    """A state message that would take a device past its bound of points or bytes."""


def _value_bytes(value: Scalar) -> int:
    """What a point's value counts towards its device's state size: a text its length, else 8."""
    return len(value) if type(value) is str else 8


class StateChange(NamedTuple):
    """What one state message did to the current state (``raw``: the document as received)."""

    device: str
    ts_ms: int
    received_ms: int
    values: FrozenMap
    applied: FrozenMap
    seq: int | None
    out_of_order: bool
    duplicate: bool
    seq_gap: int
    seq_reset: bool = False
    raw: str | None = None


@dataclass(frozen=True, slots=True)
class EquipmentSnapshot:
    """One device's state at the time of a snapshot."""

    id: str
    system: str
    kind: str
    status: str
    values: FrozenMap
    point_ts_ms: FrozenMap
    last_ts_ms: int | None
    last_seen_ms: int | None
    online: bool | None
    quality: str
    seq: int | None
    seq_gaps: int
    missed_messages: int
    out_of_order: int
    duplicates: int
    messages: int
    alarm_level: str | None
    attributes: FrozenMap
    floor: str | None = None

    def get(self, point: str, default: Scalar = None) -> Scalar:
        return self.values.get(point, default)

    @property
    def in_service(self) -> bool:
        """False when the device is offline, in alarm, or reports itself out of service."""
        if self.status in ("offline", "alarm"):
            return False
        return not any(self.values.get(k) in bad for k, bad in OUT_OF_SERVICE_VALUES.items())

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "system": self.system, "kind": self.kind, "status": self.status,
            "in_service": self.in_service, "values": dict(self.values), "point_ts_ms": dict(self.point_ts_ms),
            "last_ts_ms": self.last_ts_ms, "last_seen_ms": self.last_seen_ms, "online": self.online,
            "quality": self.quality, "seq": self.seq, "seq_gaps": self.seq_gaps,
            "missed_messages": self.missed_messages, "out_of_order": self.out_of_order,
            "duplicates": self.duplicates, "messages": self.messages, "alarm_level": self.alarm_level,
            "attributes": thaw(self.attributes), "floor": self.floor,
        }


@dataclass(frozen=True, slots=True)
class TwinSnapshot:
    """The whole building's live state at one instant: immutable, picklable, JSON-able.

    ``alarms`` holds the open alarms (:class:`twin.live.alarms.Alarm`) at that instant.
    """

    building_id: str
    taken_ms: int
    timezone: str
    equipment: FrozenMap
    alarms: tuple = ()

    @property
    def taken_at(self) -> datetime:
        """The snapshot time in the building's own time zone."""
        try:
            tz: Any = ZoneInfo(self.timezone)
        except Exception:  # an unknown zone name must not break a snapshot
            tz = timezone.utc
        return datetime.fromtimestamp(self.taken_ms / 1000, tz)

    @property
    def time_of_day_s(self) -> float:
        """Seconds since local midnight at the building."""
        t = self.taken_at
        return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6

    @property
    def out_of_service(self) -> frozenset[str]:
        """Ids of devices that are offline, in alarm, or report themselves out of service."""
        return frozenset(e.id for e in self.equipment.values() if not e.in_service)

    def by_status(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {s: [] for s in STATUSES}
        for e in self.equipment.values():
            out[e.status].append(e.id)
        return {s: tuple(ids) for s, ids in out.items()}

    def status_counts(self) -> dict[str, int]:
        return {s: len(ids) for s, ids in self.by_status().items()}

    def value(self, device: str, point: str, default: Scalar = None) -> Scalar:
        e = self.equipment.get(device)
        return default if e is None else e.values.get(point, default)

    def to_dict(self) -> dict[str, Any]:
        return {
            "building_id": self.building_id, "taken_ms": self.taken_ms, "taken_at": self.taken_at.isoformat(),
            "time_of_day_s": self.time_of_day_s, "out_of_service": sorted(self.out_of_service),
            "status_counts": self.status_counts(),
            "equipment": {k: v.to_dict() for k, v in self.equipment.items()},
            "alarms": [a.to_dict() if hasattr(a, "to_dict") else a for a in self.alarms],
        }


class _Device:
    """Mutable live record of one device (internal to :class:`TwinState`)."""

    __slots__ = ("info", "values", "point_ts", "last_ts", "last_seen", "online", "quality", "seq", "seq_gaps",
                 "missed", "out_of_order", "duplicates", "messages", "attributes", "size_bytes")

    def __init__(self, info: DeviceInfo):
        self.info = info
        self.values: dict[str, Scalar] = {}
        self.point_ts: dict[str, int] = {}
        self.last_ts: int | None = None
        self.last_seen: int | None = None
        self.online: bool | None = None
        self.quality = "good"
        self.seq: int | None = None
        self.seq_gaps = 0
        self.missed = 0
        self.out_of_order = 0
        self.duplicates = 0
        self.messages = 0
        self.attributes: Any = FrozenMap()
        self.size_bytes = 0  # of values, as _value_bytes counts it, plus the point names

    def to_record(self) -> dict[str, Any]:
        return {"values": self.values, "point_ts": self.point_ts, "last_ts": self.last_ts,
                "last_seen": self.last_seen, "online": self.online, "quality": self.quality, "seq": self.seq,
                "seq_gaps": self.seq_gaps, "missed": self.missed, "out_of_order": self.out_of_order,
                "duplicates": self.duplicates, "messages": self.messages, "attributes": thaw(self.attributes)}

    def load_record(self, rec: Mapping[str, Any]) -> None:
        self.values = dict(rec.get("values") or {})
        self.point_ts = {k: int(v) for k, v in (rec.get("point_ts") or {}).items()}
        self.last_ts = rec.get("last_ts")
        self.last_seen = rec.get("last_seen")
        self.online = rec.get("online")
        self.quality = rec.get("quality", "good")
        self.seq = rec.get("seq")
        self.seq_gaps = int(rec.get("seq_gaps", 0))
        self.missed = int(rec.get("missed", 0))
        self.out_of_order = int(rec.get("out_of_order", 0))
        self.duplicates = int(rec.get("duplicates", 0))
        self.messages = int(rec.get("messages", 0))
        self.attributes = freeze(rec.get("attributes") or {})
        self.size_bytes = sum(len(k) + _value_bytes(v) for k, v in self.values.items())


class TwinState:
    """Current state of every device of one building; thread-safe.

    ``stale_factor`` × a device's expected interval without a message makes it stale. ``clock``
    (epoch ms) is injectable so tests control time. ``max_points`` and ``max_state_bytes``
    bound each device's state (:class:`StateLimitError`).
    """

    def __init__(self, building: Building, *, stale_factor: float = 3.0, clock: Clock = wall_ms,
                 max_points: int = 256, max_state_bytes: int = 64 * 1024):
        if stale_factor <= 0:
            raise ValueError("stale_factor must be positive")
        if max_points < 1 or max_state_bytes < 1:
            raise ValueError(f"max_points and max_state_bytes must be positive, got {max_points}, {max_state_bytes}")
        self.max_points = max_points
        self.max_state_bytes = max_state_bytes
        self.building = building
        self.stale_factor = stale_factor
        self.clock = clock
        self._lock = threading.RLock()
        self._devices = {ident: _Device(info) for ident, info in device_catalogue(building).items()}
        self._alarm_levels: dict[str, str] = {}
        self._alarms: tuple = ()
        self._listeners: list[Callable[[frozenset[str]], None]] = []

    # --- reading -----------------------------------------------------------------------------

    @property
    def device_ids(self) -> tuple[str, ...]:
        return tuple(self._devices)

    def info(self, device: str) -> DeviceInfo:
        return self._devices[device].info

    def values(self, device: str) -> dict[str, Scalar]:
        """A copy of a device's current point values."""
        with self._lock:
            return dict(self._devices[device].values)

    def is_stale(self, device: str, now_ms: int | None = None) -> bool:
        d = self._devices[device]
        now = self.clock() if now_ms is None else now_ms
        return d.last_seen is None or now - d.last_seen > self.stale_factor * d.info.interval_s * 1000

    def status(self, device: str, now_ms: int | None = None) -> str:
        """The derived status of one device (see the module docstring for the order)."""
        with self._lock:
            d = self._devices[device]
            if d.online is False:
                return "offline"
            level = self._alarm_levels.get(device)
            if level == "alarm":
                return "alarm"
            if self.is_stale(device, now_ms):
                return "stale"
            if level == "warning" or d.quality != "good":
                return "warning"
            return "ok"

    def equipment(self, device: str, now_ms: int | None = None) -> EquipmentSnapshot:
        with self._lock:
            return self._freeze(self._devices[device], self.clock() if now_ms is None else now_ms)

    def _freeze(self, d: _Device, now: int) -> EquipmentSnapshot:
        return EquipmentSnapshot(
            id=d.info.id, system=d.info.system, kind=d.info.kind, status=self.status(d.info.id, now),
            values=FrozenMap(d.values), point_ts_ms=FrozenMap(d.point_ts), last_ts_ms=d.last_ts,
            last_seen_ms=d.last_seen, online=d.online, quality=d.quality, seq=d.seq, seq_gaps=d.seq_gaps,
            missed_messages=d.missed, out_of_order=d.out_of_order, duplicates=d.duplicates, messages=d.messages,
            alarm_level=self._alarm_levels.get(d.info.id), attributes=d.attributes, floor=self._floor_of(d),
        )

    def _floor_of(self, d: _Device) -> str | None:
        """Where a device is: a lift car where it reports itself (its ``floor`` point, when that is a
        floor of the building), not its home floor; other equipment where the building file puts it."""
        if d.info.system == "elevator":
            reported = d.values.get("floor")
            if isinstance(reported, str) and reported in self.building.floor_by_id:
                return reported
        return d.info.floor

    def floor_of(self, device: str) -> str | None:
        """Where ``device`` is now (see :meth:`_floor_of`)."""
        with self._lock:
            return self._floor_of(self._devices[device])

    def snapshot(self, now_ms: int | None = None) -> TwinSnapshot:
        """The whole building now, as an immutable value."""
        with self._lock:
            now = self.clock() if now_ms is None else now_ms
            equipment = FrozenMap({ident: self._freeze(d, now) for ident, d in self._devices.items()})
            return TwinSnapshot(self.building.id, now, self.building.site.timezone, equipment, self._alarms)

    def record(self, device: str) -> dict[str, Any]:
        """A device's state as a JSON-able record (what the history keeps for a restart)."""
        with self._lock:
            return self._devices[device].to_record()

    # --- writing -----------------------------------------------------------------------------

    def _check_bounds(self, d: _Device, update: StateUpdate) -> None:
        """Raise StateLimitError if ``update`` would take ``d`` past its bound of points or bytes."""
        values = d.values
        incoming = update.values
        raw = update.raw
        # The common case costs two comparisons: even if every point were new, and the text of
        # the message all names and text values, the device would stay within both bounds.
        if (len(values) + len(incoming) <= self.max_points
                and d.size_bytes + (len(raw) if raw is not None else 0) + 8 * len(incoming) <= self.max_state_bytes
                and raw is not None):
            return
        points, size = len(values), d.size_bytes
        for point, value in incoming.items():
            if point in values:
                size += _value_bytes(value) - _value_bytes(values[point])
            else:
                points += 1
                size += len(point) + _value_bytes(value)
        if points > self.max_points:
            raise StateLimitError(f"device {d.info.id!r} would have {points} points; the limit is {self.max_points}")
        if size > self.max_state_bytes:
            raise StateLimitError(f"device {d.info.id!r} would hold {size:,} bytes of state; "
                                  f"the limit is {self.max_state_bytes:,}")

    def apply_state(self, update: StateUpdate, received_ms: int) -> StateChange:
        """Apply a state message: newest device time wins per point; bookkeeping of seq and order.

        Raises :class:`StateLimitError`, changing nothing, if the device would grow past its bounds.
        """
        ts = update.ts_ms
        with self._lock:
            d = self._devices[update.device]
            self._check_bounds(d, update)
            d.messages += 1
            if d.last_seen is None or received_ms > d.last_seen:
                d.last_seen = received_ms
            last_ts = d.last_ts
            out_of_order = last_ts is not None and ts < last_ts
            gap, reset, duplicate = 0, False, False
            seq = update.seq
            if seq is not None:
                if d.seq is None:
                    d.seq = seq
                elif seq == d.seq:
                    duplicate = ts == last_ts
                elif seq > d.seq:
                    gap = seq - d.seq - 1
                    if gap:
                        d.seq_gaps += 1
                        d.missed += gap
                    d.seq = seq
                elif not out_of_order and last_ts is not None and ts > last_ts:
                    reset = True  # the device restarted its counter
                    d.seq = seq
                elif d.missed:
                    d.missed -= 1  # a late message that was counted as missing
            if duplicate:
                d.duplicates += 1
            if out_of_order:
                d.out_of_order += 1
            values, point_ts = d.values, d.point_ts
            applied: dict[str, Scalar] = {}
            size = d.size_bytes
            for point, value in update.values.items():
                old_ts = point_ts.get(point)
                if old_ts is None:
                    applied[point] = value
                    size += len(point) + _value_bytes(value)
                elif ts < old_ts:
                    continue  # older than what we have: history only
                else:
                    old = values.get(point)
                    if old != value:
                        applied[point] = value
                    if type(old) is str or type(value) is str:
                        size += _value_bytes(value) - _value_bytes(old)
                values[point] = value
                point_ts[point] = ts
            d.size_bytes = size
            if last_ts is None or ts >= last_ts:
                d.last_ts = ts
                d.quality = update.quality
            return StateChange(update.device, ts, received_ms, update.values, FrozenMap(applied), seq,
                               out_of_order, duplicate, gap, reset, update.raw)

    def apply_status(self, status: DeviceStatus) -> bool:
        """Apply an online/offline status; True when it changed."""
        with self._lock:
            d = self._devices[status.device]
            changed = d.online is not status.online
            d.online = status.online
            if status.online:
                d.last_seen = max(d.last_seen or 0, status.ts_ms)
            return changed

    def apply_attributes(self, attributes: DeviceAttributes) -> None:
        with self._lock:
            self._devices[attributes.device].attributes = attributes.attributes

    def set_alarms(self, open_alarms: Sequence[Any], levels: Mapping[str, str]) -> None:
        """Called by the alarm engine: the open alarms and each device's alarm level."""
        with self._lock:
            self._alarms = tuple(open_alarms)
            self._alarm_levels = dict(levels)

    def restore(self, records: Mapping[str, Mapping[str, Any]]) -> int:
        """Load device records kept by the history (a restart); unknown devices are ignored."""
        with self._lock:
            n = 0
            for ident, rec in records.items():
                if ident in self._devices:
                    self._devices[ident].load_record(rec)
                    n += 1
            return n

    # --- listeners ---------------------------------------------------------------------------

    def add_listener(self, listener: Callable[[frozenset[str]], None]) -> Callable[[], None]:
        """Call ``listener(device_ids)`` after each applied batch; returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def notify(self, devices: Iterable[str]) -> None:
        touched = frozenset(devices)
        if not touched:
            return
        for listener in list(self._listeners):
            try:
                listener(touched)
            except Exception:  # a listener's bug must not stop the twin
                import logging

                logging.getLogger(__name__).exception("state listener failed")
