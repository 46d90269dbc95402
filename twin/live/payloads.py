"""Decoding what devices publish into checked messages — or a reason why not.

A message from the field is untrusted: it may be half a JSON document, binary noise, a number
where a mapping belongs, a megabyte of padding, a device the building does not have. The
:class:`Decoder` turns one MQTT message (topic and payload bytes) into zero or more immutable
messages — :class:`StateUpdate`, :class:`DeviceEvent`, :class:`DeviceStatus`,
:class:`DeviceAttributes` — or raises :class:`DecodeError` whose ``reason`` is a short code
(``too_large``, ``encoding``, ``json``, ``schema``, ``topic``, ``building``, ``unknown_device``,
``wrong_system``, ``mapping``; the live service adds ``limit``) and whose text says what was wrong. The twin stores every
rejected message with that reason in its dead-letter table.

Payloads on the twin's own topics follow ``../shared/DESIGN.md``: ``state`` is
``{"ts": ms, "seq": n, "values": {point: value}, "quality": "good"}``, ``event`` is
``{"type": ..., "severity": ..., "active": true, "ts": ms, "zone": ...}``, ``status`` is
``online``/``offline``. Topics of a site that publishes elsewhere are decoded by a
:class:`~twin.live.mapping.Mapping`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, Union

from twin.live.devices import DeviceInfo, device_catalogue
from twin.live.topics import TOPIC_ROOT, TWIN_SYSTEM, TopicError, parse_topic
from twin.live.values import FrozenMap, Scalar, freeze
from twin.spec import Building

if TYPE_CHECKING:
    from twin.live.mapping import Mapping

__all__ = [
    "StateUpdate",
    "DeviceEvent",
    "DeviceStatus",
    "DeviceAttributes",
    "Message",
    "DecodeError",
    "DeadLetter",
    "Decoder",
    "REASONS",
    "SEVERITIES",
    "EVENT_SEVERITIES",
    "QUALITIES",
    "MAX_PAYLOAD_BYTES",
    "check_point_values",
    "check_ts",
]

SEVERITIES = ("critical", "major", "minor", "warning")
EVENT_SEVERITIES = SEVERITIES + ("info",)
QUALITIES = ("good", "uncertain", "bad")
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_POINTS = 256
MAX_TEXT = 256
MAX_FUTURE_MS = 10 * 60 * 1000
MIN_TS_MS = 1_000_000_000_000  # 2001-09-09: anything earlier is seconds, not milliseconds
POINT_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

REASONS = {
    "too_large": "payload larger than the limit",
    "encoding": "payload is not UTF-8 text",
    "json": "payload is not valid JSON",
    "schema": "JSON does not have the expected fields and types",
    "topic": "topic is not a twin topic and matches no mapping",
    "building": "topic names another building",
    "unknown_device": "device id is not in the building file",
    "wrong_system": "topic's system is not the device's system",
    "mapping": "a mapped payload could not be converted",
    "limit": "the device's state would exceed its bound of points or bytes",
    "internal": "the decoder failed unexpectedly",
}


class DecodeError(ValueError):
    """A message the twin cannot use, with a reason code and a human explanation."""

    def __init__(self, reason: str, detail: str):
        self.reason = reason if reason in REASONS else "internal"
        self.detail = detail
        super().__init__(f"{self.reason}: {detail}")


class StateUpdate(NamedTuple):
    """New values of some points of one device, as of the device's time ``ts_ms``.

    ``raw`` is the document as the device sent it (checked), which the history keeps as is.
    A named tuple rather than a dataclass: one is made per message, and tuples are cheap.
    """

    device: str
    ts_ms: int
    values: FrozenMap
    seq: int | None = None
    quality: str = "good"
    topic: str = ""
    raw: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """Something that happened at a device: an alarm it raised or cleared, a call, an incident.

    ``key`` identifies the event for de-duplication (a QoS 1 redelivery carries the same bytes).
    """

    device: str
    type: str
    severity: str
    active: bool
    ts_ms: int
    key: str
    zone: str | None = None
    message: str | None = None
    data: FrozenMap = field(default_factory=FrozenMap)
    topic: str = ""


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """A device's connection status (its birth message or last will)."""

    device: str
    online: bool
    ts_ms: int
    topic: str = ""


@dataclass(frozen=True, slots=True)
class DeviceAttributes:
    """A device's static metadata (model, rated figures, firmware…)."""

    device: str
    attributes: FrozenMap
    ts_ms: int
    topic: str = ""


Message = Union[StateUpdate, DeviceEvent, DeviceStatus, DeviceAttributes]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected message, kept with its reason."""

    received_ms: int
    topic: str
    payload: bytes
    size: int
    reason: str
    detail: str

    @classmethod
    def of(cls, topic: str, payload: bytes, received_ms: int, error: DecodeError, keep_bytes: int = 1024) -> "DeadLetter":
        return cls(received_ms, topic, bytes(payload[:keep_bytes]), len(payload), error.reason, error.detail[:500])


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


_JSON = json.JSONDecoder(parse_constant=_reject_constant)  # one decoder: json.loads(**kw) builds one per call
# State messages, the bulk of the traffic, are parsed by orjson — four times faster than the
# standard library, and it refuses what the standard library refuses (NaN, Infinity, control
# characters, bad escapes). What orjson refuses goes to the standard library, so the reason a
# device is told always comes from the same parser. The one thing orjson reads differently is an
# integer beyond 64 bits: a float of 2**63 or more instead of an int; a state message with such
# a number is read again by the standard library. Without orjson the standard library does it all.
_HUGE = 2.0**63
try:
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson is a dependency; the fallback keeps the twin working
    _fast_loads = None


def parse_json(payload: bytes, max_bytes: int = MAX_PAYLOAD_BYTES) -> Any:
    """Bytes to a JSON value, or :class:`DecodeError` (too_large, encoding, json)."""
    if len(payload) > max_bytes:
        raise DecodeError("too_large", f"payload is {len(payload):,} bytes; the limit is {max_bytes:,}")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError("encoding", f"payload is not UTF-8 text (byte {exc.start})") from None
    return _parse_text(text)


def _parse_text(text: str) -> Any:
    try:
        return _JSON.decode(text)
    except RecursionError:
        raise DecodeError("json", "JSON nested too deeply") from None
    except ValueError as exc:
        raise DecodeError("json", f"payload is not JSON: {str(exc)[:120]}") from None


def _text(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_ts(value: Any, received_ms: int, where: str = "ts") -> int:
    """A device timestamp in epoch milliseconds, checked for type and plausibility."""
    if type(value) is int and MIN_TS_MS <= value <= received_ms + MAX_FUTURE_MS:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DecodeError("schema", f"{where} must be epoch milliseconds (a number), got {_text(value)}")
    ts = int(value)
    if ts < MIN_TS_MS:
        raise DecodeError("schema", f"{where} {ts} is not epoch milliseconds (seconds were sent?)")
    if ts > received_ms + MAX_FUTURE_MS:
        raise DecodeError("schema", f"{where} {ts} is {(ts - received_ms) / 1000:.0f} s ahead of the twin's clock")
    return ts


_STATE_FIELDS = frozenset({"ts", "seq", "values", "quality"})
_KNOWN_POINTS: set[str] = set()  # point names already checked (bounded: names come from outside)


def check_point_values(values: Any, where: str = "values") -> dict[str, Scalar]:
    """Point values: a mapping of point name to number, short text, boolean or null."""
    _check_values(values, where)
    return values


def _huge(value: Any) -> bool:
    """A float of 2**63 or more: orjson's reading of an integer literal beyond 64 bits, perhaps."""
    return type(value) is float and not -_HUGE < value < _HUGE


def _check_values(values: Any, where: str) -> bool:
    """:func:`check_point_values`, saying whether a value is :func:`_huge` (finite, but 2**63 or more)."""
    if type(values) is not dict:
        raise DecodeError("schema", f"{where} must be a mapping of point to value, got {type(values).__name__}")
    if len(values) > MAX_POINTS:
        raise DecodeError("schema", f"{where} has {len(values)} points; the limit is {MAX_POINTS}")
    known = _KNOWN_POINTS
    huge = False
    for key, value in values.items():
        if key not in known:
            if not POINT_PATTERN.match(key):
                raise DecodeError("schema", f"point name {_text(key)} in {where} is not [A-Za-z0-9_.-]{{1,64}}")
            if len(known) < 100_000:
                known.add(key)
        kind = type(value)
        if kind is float:
            if not -_HUGE < value < _HUGE:
                if not math.isfinite(value):
                    raise DecodeError("schema", f"{where}.{key} is not a finite number")
                huge = True
        elif kind is int or kind is bool or value is None:
            pass
        elif kind is str:
            if len(value) > MAX_TEXT:
                raise DecodeError("schema", f"{where}.{key} is a text of {len(value)} characters; the limit is {MAX_TEXT}")
        else:
            raise DecodeError("schema", f"{where}.{key} must be a number, text, boolean or null, "
                                        f"got {type(value).__name__}")
    return huge


def _optional_str(doc: dict, key: str, limit: int = MAX_TEXT) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise DecodeError("schema", f"{key} must be a text of at most {limit} characters, got {_text(value)}")
    return value


class Decoder:
    """Turns MQTT messages of one building into checked twin messages.

    ``mapping`` attaches topics outside ``twin/v1/`` (a site that publishes elsewhere). The
    decoder never touches twin state: it is safe to call from the MQTT network thread.
    """

    def __init__(self, building: Building, *, mapping: "Mapping | None" = None,
                 max_payload_bytes: int = MAX_PAYLOAD_BYTES):
        self.building_id = building.id
        self.devices: dict[str, DeviceInfo] = device_catalogue(building)
        self.mapping = mapping
        self.max_payload_bytes = max_payload_bytes
        self._routes: dict[str, tuple[DeviceInfo | None, str]] = {}

    def device(self, device_id: str) -> DeviceInfo:
        info = self.devices.get(device_id)
        if info is None:
            raise DecodeError("unknown_device", f"device {device_id!r} is not in building {self.building_id!r}")
        return info

    def decode(self, topic: str, payload: bytes, received_ms: int) -> tuple[Message, ...]:
        """Decode one message; ``()`` for messages the twin deliberately ignores (commands, itself)."""
        if topic.startswith(TOPIC_ROOT + "/"):
            return self._decode_twin(topic, payload, received_ms)
        if self.mapping is not None:
            matched = self.mapping.decode(topic, payload, received_ms, self)
            if matched is not None:
                return matched
        raise DecodeError("topic", f"topic {topic!r} is not under {TOPIC_ROOT}/ and matches no mapping")

    # --- twin topics ------------------------------------------------------------------------

    def _route(self, topic: str) -> tuple[DeviceInfo | None, str]:
        """The device and channel of a twin topic (remembered: devices publish on the same topics)."""
        route = self._routes.get(topic)
        if route is not None:
            return route
        try:
            parsed = parse_topic(topic)
        except TopicError as exc:
            raise DecodeError("topic", str(exc)) from None
        if parsed.building != self.building_id:
            raise DecodeError("building", f"topic is for building {parsed.building!r}, this twin mirrors "
                                          f"{self.building_id!r}")
        if parsed.system == TWIN_SYSTEM:
            route = (None, parsed.channel)  # the twin's own presence, or another twin's
        else:
            info = self.device(parsed.device)
            if info.system != parsed.system:
                raise DecodeError("wrong_system", f"device {info.id!r} is in system {info.system!r}, "
                                                  f"the topic says {parsed.system!r}")
            route = (info, parsed.channel)
        if len(self._routes) < 50_000:  # only good topics are remembered, and only so many
            self._routes[topic] = route
        return route

    def _decode_twin(self, topic: str, payload: bytes, received_ms: int) -> tuple[Message, ...]:
        info, channel = self._route(topic)
        if info is None:
            return ()
        if channel == "state":
            return (self.decode_state(info.id, payload, received_ms, topic),)
        if channel == "event":
            return (self.decode_event(info, payload, received_ms, topic),)
        if channel == "status":
            return (self.decode_status(info.id, payload, received_ms, topic),)
        if channel == "attributes":
            doc = parse_json(payload, self.max_payload_bytes)
            if not isinstance(doc, dict):
                raise DecodeError("schema", f"attributes must be a JSON object, got {type(doc).__name__}")
            return (DeviceAttributes(info.id, freeze(doc), received_ms, topic),)
        if channel == "cmd/ack":
            return (self.decode_ack(info, payload, received_ms, topic),)
        return ()  # cmd: addressed to the device, not to the twin

    def decode_state(self, device: str, payload: bytes, received_ms: int, topic: str = "") -> StateUpdate:
        if len(payload) > self.max_payload_bytes:
            raise DecodeError("too_large", f"payload is {len(payload):,} bytes; the limit is {self.max_payload_bytes:,}")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError("encoding", f"payload is not UTF-8 text (byte {exc.start})") from None
        if _fast_loads is not None:
            try:
                doc = _fast_loads(payload)
            except ValueError:  # orjson.JSONDecodeError: the standard library says what is wrong
                pass
            else:
                update = self._state_update(device, doc, received_ms, topic, text, exact=False)
                if update is not None:
                    return update
        return self._state_update(device, _parse_text(text), received_ms, topic, text, exact=True)  # type: ignore[return-value]

    def _state_update(self, device: str, doc: Any, received_ms: int, topic: str, text: str,
                      exact: bool) -> StateUpdate | None:
        """Check a parsed state document; ``None`` if it has a number orjson may have misread (not ``exact``)."""
        if not isinstance(doc, dict):
            raise DecodeError("schema", f"state must be a JSON object with 'values', got {type(doc).__name__}")
        if len(doc) > 4 or not _STATE_FIELDS.issuperset(doc):
            unknown = sorted(set(doc) - _STATE_FIELDS)
            raise DecodeError("schema", f"state has unknown field(s) {unknown[:5]}; expected ts, seq, values, quality")
        if "values" not in doc:
            raise DecodeError("schema", "state has no 'values'")
        values = doc["values"]
        huge = _check_values(values, "values")
        if not exact and (huge or _huge(doc.get("ts")) or _huge(doc.get("seq"))):
            return None  # perhaps an integer beyond 64 bits: read the document again, exactly
        ts = check_ts(doc["ts"], received_ms) if "ts" in doc else received_ms
        seq = doc.get("seq")
        if seq is not None and (type(seq) is not int or seq < 0):
            raise DecodeError("schema", f"seq must be a non-negative integer, got {_text(seq)}")
        quality = doc.get("quality", "good")
        if quality not in QUALITIES:
            raise DecodeError("schema", f"quality must be one of {', '.join(QUALITIES)}, got {_text(quality)}")
        return StateUpdate(device, ts, FrozenMap(values), seq, quality, topic, text)

    def decode_event(self, info: DeviceInfo, payload: bytes, received_ms: int, topic: str = "") -> DeviceEvent:
        doc = parse_json(payload, self.max_payload_bytes)
        if not isinstance(doc, dict):
            raise DecodeError("schema", f"an event must be a JSON object with 'type', got {type(doc).__name__}")
        kind = doc.get("type")
        if not isinstance(kind, str) or not POINT_PATTERN.match(kind):
            raise DecodeError("schema", f"event type must be a short id-like text, got {_text(kind)}")
        severity = doc.get("severity", "warning")
        if severity not in EVENT_SEVERITIES:
            raise DecodeError("schema", f"event severity must be one of {', '.join(EVENT_SEVERITIES)}, "
                                        f"got {_text(severity)}")
        active = doc.get("active", True)
        if not isinstance(active, bool):
            raise DecodeError("schema", f"event 'active' must be true or false, got {_text(active)}")
        has_ts = "ts" in doc
        ts = check_ts(doc["ts"], received_ms) if has_ts else received_ms
        zone = _optional_str(doc, "zone", 64)
        if zone is not None and info.zones and zone not in info.zones:
            raise DecodeError("schema", f"zone {zone!r} is not a zone of {info.id!r} (zones: {', '.join(info.zones)})")
        message = _optional_str(doc, "message")
        data = {k: v for k, v in doc.items() if k not in ("type", "severity", "active", "ts", "zone", "message")}
        if len(data) > MAX_POINTS:
            raise DecodeError("schema", f"event has {len(data)} extra fields; the limit is {MAX_POINTS}")
        # A redelivered event carries the same bytes; an event without ts is told apart by arrival.
        digest = hashlib.blake2b(topic.encode() + b"\0" + payload, digest_size=12)
        if not has_ts and "seq" not in doc:
            digest.update(str(received_ms).encode())
        return DeviceEvent(info.id, kind, severity, active, ts, digest.hexdigest(), zone, message, freeze(data), topic)

    def decode_status(self, device: str, payload: bytes, received_ms: int, topic: str = "") -> DeviceStatus:
        if len(payload) > 1024:
            raise DecodeError("too_large", f"status payload is {len(payload):,} bytes")
        text = payload.strip()
        if text in (b"online", b"offline"):
            return DeviceStatus(device, text == b"online", received_ms, topic)
        doc = parse_json(payload, 1024)
        status = doc.get("status") if isinstance(doc, dict) else doc
        if status not in ("online", "offline"):
            raise DecodeError("schema", f"status must be 'online' or 'offline', got {_text(status)}")
        ts = check_ts(doc["ts"], received_ms) if isinstance(doc, dict) and "ts" in doc else received_ms
        return DeviceStatus(device, status == "online", ts, topic)

    def decode_ack(self, info: DeviceInfo, payload: bytes, received_ms: int, topic: str = "") -> DeviceEvent:
        doc = parse_json(payload, self.max_payload_bytes)
        if not isinstance(doc, dict) or not isinstance(doc.get("ok", True), bool):
            raise DecodeError("schema", "cmd/ack must be a JSON object like {\"id\": ..., \"ok\": true}")
        ts = check_ts(doc["ts"], received_ms) if "ts" in doc else received_ms
        key = hashlib.blake2b(topic.encode() + b"\0" + payload + str(ts).encode(), digest_size=12).hexdigest()
        data = {k: v for k, v in doc.items() if k not in ("ts",)}
        return DeviceEvent(info.id, "cmd_ack", "info", False, ts, key, None, _optional_str(doc, "message"),
                           freeze(data), topic)
