"""Attaching a site whose devices already publish elsewhere: the mapping file.

Most buildings are not wired for the twin's own topics. Their gateways publish a bare number per
topic (``site/plant/pump_a/pressure`` → ``4.2``), or ThingsBoard-style telemetry
(``{"ts": 1700000000123, "values": {"temperature": 21.5}}``), or a controller's own JSON. A
mapping file says, per topic pattern, which device and point each value is, where in the
payload it sits, and how to convert its unit — without touching the devices::

    mappings:
      - topic: site/plant/{device}/{point}      # {name} captures one level; + and # also work
        format: value                           # the payload is one bare value
        devices: {pump_a: PMP-1}                # site names → building ids (else used as is)
        points:
          pressure: {point: outlet_pressure_kpa, from: bar, to: kPa}
      - topic: v1/devices/{device}/telemetry
        format: thingsboard                     # {"ts", "values"}, a list of them, or a flat object
        points:
          tempF: {point: supply_air_c, from: degF, to: degC}
      - topic: v1/gateway/telemetry
        format: thingsboard-gateway             # {"Device A": [{"ts", "values"}, ...]}
      - topic: legacy/lift/{device}
        format: json                            # a document; points name their payload paths
        ts: time_ms                             # payload path of the timestamp (epoch ms)
        points:
          pos.floor: {point: floor}
          car.load_lb: {point: load_kg, from: lb, to: kg}

Every mapped value becomes an ordinary :class:`~twin.live.payloads.StateUpdate`, checked like
any other; a payload that cannot be mapped is dead-lettered with reason ``mapping``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twin.errors import SpecError, SpecIssue
from twin.live.payloads import DecodeError, StateUpdate, check_point_values, check_ts, parse_json
from twin.live.values import FrozenMap, Scalar

if TYPE_CHECKING:
    from twin.live.payloads import Decoder

__all__ = ["Mapping", "TopicRule", "PointRule", "UNITS", "convert", "load_mapping", "parse_mapping"]

FORMATS = ("value", "json", "thingsboard", "thingsboard-gateway")

# unit → (dimension, factor, offset): value in the dimension's base unit = value * factor + offset
UNITS: dict[str, tuple[str, float, float]] = {
    "pa": ("pressure", 0.001, 0.0), "kpa": ("pressure", 1.0, 0.0), "mpa": ("pressure", 1000.0, 0.0),
    "bar": ("pressure", 100.0, 0.0), "mbar": ("pressure", 0.1, 0.0), "psi": ("pressure", 6.894757, 0.0),
    "mwc": ("pressure", 9.80665, 0.0),
    "degc": ("temperature", 1.0, 0.0), "c": ("temperature", 1.0, 0.0),
    "degf": ("temperature", 5 / 9, -32 * 5 / 9), "f": ("temperature", 5 / 9, -32 * 5 / 9),
    "k": ("temperature", 1.0, -273.15),
    "w": ("power", 0.001, 0.0), "kw": ("power", 1.0, 0.0), "mw": ("power", 1000.0, 0.0),
    "hp": ("power", 0.7457, 0.0),
    "wh": ("energy", 0.001, 0.0), "kwh": ("energy", 1.0, 0.0), "mwh": ("energy", 1000.0, 0.0),
    "mj": ("energy", 1 / 3.6, 0.0),
    "m3h": ("flow", 1.0, 0.0), "ls": ("flow", 3.6, 0.0), "lmin": ("flow", 0.06, 0.0),
    "gpm": ("flow", 0.2271247, 0.0), "m3s": ("flow", 3600.0, 0.0),
    "m3": ("volume", 1.0, 0.0), "l": ("volume", 0.001, 0.0), "gal": ("volume", 0.003785412, 0.0),
    "kg": ("mass", 1.0, 0.0), "lb": ("mass", 0.45359237, 0.0), "t": ("mass", 1000.0, 0.0),
    "m": ("length", 1.0, 0.0), "mm": ("length", 0.001, 0.0), "cm": ("length", 0.01, 0.0),
    "ft": ("length", 0.3048, 0.0),
    "mps": ("speed", 1.0, 0.0), "fpm": ("speed", 0.00508, 0.0),
    "v": ("voltage", 1.0, 0.0), "kv": ("voltage", 1000.0, 0.0),
    "a": ("current", 1.0, 0.0), "ka": ("current", 1000.0, 0.0),
    "pct": ("ratio", 1.0, 0.0), "ratio": ("ratio", 100.0, 0.0),
    "s": ("time", 1.0, 0.0), "ms": ("time", 0.001, 0.0), "min": ("time", 60.0, 0.0), "h": ("time", 3600.0, 0.0),
}
_UNIT_ALIASES = {"°c": "degc", "°f": "degf", "m3/h": "m3h", "l/s": "ls", "l/min": "lmin", "%": "pct",
                 "m/s": "mps", "ft/min": "fpm", "m³/h": "m3h", "m³": "m3"}


def _unit(name: str) -> str:
    key = name.strip().lower()
    return _UNIT_ALIASES.get(key, key)


def conversion(from_unit: str, to_unit: str) -> tuple[float, float]:
    """(scale, offset) turning a value in ``from_unit`` into ``to_unit``; ValueError when impossible."""
    a, b = _unit(from_unit), _unit(to_unit)
    for name, key in ((from_unit, a), (to_unit, b)):
        if key not in UNITS:
            raise ValueError(f"unknown unit {name!r} (known: {', '.join(sorted(UNITS))})")
    dim_a, fa, oa = UNITS[a]
    dim_b, fb, ob = UNITS[b]
    if dim_a != dim_b:
        raise ValueError(f"cannot convert {from_unit!r} ({dim_a}) to {to_unit!r} ({dim_b})")
    # base = v*fa + oa ; target = (base - ob) / fb
    return fa / fb, (oa - ob) / fb


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a value between two units of one dimension (bar → kPa, degF → degC, lb → kg…)."""
    scale, offset = conversion(from_unit, to_unit)
    return value * scale + offset


@dataclass(frozen=True, slots=True)
class PointRule:
    """Where one point's value comes from and how it is converted: ``value * scale + offset``."""

    source: str
    point: str
    scale: float = 1.0
    offset: float = 0.0

    def apply(self, value: Scalar) -> Scalar:
        if self.scale == 1.0 and self.offset == 0.0:
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DecodeError("mapping", f"{self.source!r} → {self.point!r} needs a number to convert, got {value!r}")
        return value * self.scale + self.offset


_CAPTURE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class TopicRule:
    """One entry of a mapping file."""

    topic: str
    format: str
    regex: re.Pattern
    device: str
    devices: FrozenMap
    point: str
    points: tuple[PointRule, ...]
    keep_unmapped: bool
    ts_path: str | None = None
    seq_path: str | None = None

    @property
    def subscription(self) -> str:
        """The MQTT topic filter of this rule's pattern."""
        return _CAPTURE.sub("+", self.topic)

    def point_rule(self, source: str) -> PointRule | None:
        for rule in self.points:
            if rule.source == source:
                return rule
        return None


def _compile(pattern: str) -> re.Pattern:
    parts = []
    levels = pattern.split("/")
    for i, level in enumerate(levels):
        if level == "#":
            if i != len(levels) - 1:
                raise ValueError("'#' must be the last level of a topic pattern")
            parts.append(r"(?:/.*)?" if i else r".*")
            continue
        if level == "+":
            piece = r"[^/]*"
        else:
            piece = ""
            pos = 0
            for m in _CAPTURE.finditer(level):
                piece += re.escape(level[pos:m.start()]) + f"(?P<{m.group(1)}>[^/]+)"
                pos = m.end()
            piece += re.escape(level[pos:])
            if "+" in level or "#" in level:
                raise ValueError(f"wildcards must fill a whole level, got {level!r}")
        parts.append(("/" if i else "") + piece)
    return re.compile("^" + "".join(parts) + "$")


def _path_get(doc: Any, path: str) -> Any:
    if path in ("$", ""):
        return doc
    node = doc
    for key in path.removeprefix("$.").split("."):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise KeyError(path)
    return node


def _bare_value(payload: bytes) -> Scalar:
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise DecodeError("encoding", f"payload is not UTF-8 text (byte {exc.start})") from None
    if not text:
        raise DecodeError("mapping", "empty payload where a value was expected")
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    if isinstance(value, (dict, list)):
        raise DecodeError("mapping", "a JSON document where one bare value was expected (use format: json)")
    return value


class Mapping:
    """The topic rules of a mapping file, tried in order; the first that matches a topic decodes it."""

    def __init__(self, rules: tuple[TopicRule, ...], file: str = "<mapping>"):
        self.rules = rules
        self.file = file

    def subscriptions(self) -> list[str]:
        """Topic filters the bridge subscribes to for these rules."""
        return list(dict.fromkeys(r.subscription for r in self.rules))

    def match(self, topic: str) -> tuple[TopicRule, dict[str, str]] | None:
        for rule in self.rules:
            m = rule.regex.match(topic)
            if m:
                return rule, m.groupdict()
        return None

    def decode(self, topic: str, payload: bytes, received_ms: int, decoder: "Decoder") -> tuple[StateUpdate, ...] | None:
        """Decode a mapped topic; ``None`` when no rule matches it."""
        found = self.match(topic)
        if found is None:
            return None
        rule, captures = found
        if len(payload) > decoder.max_payload_bytes:
            raise DecodeError("too_large", f"payload is {len(payload):,} bytes; the limit is {decoder.max_payload_bytes:,}")
        if rule.format == "value":
            name = _expand(rule.point, captures, "point")
            values = self._convert(rule, {name: _bare_value(payload)}, keep=True)
            return (self._update(rule, captures, values, received_ms, None, topic, decoder),)
        doc = parse_json(payload, decoder.max_payload_bytes)
        if rule.format == "json":
            return (self._from_json(rule, captures, doc, received_ms, topic, decoder),)
        if rule.format == "thingsboard":
            return tuple(self._from_thingsboard(rule, captures, doc, received_ms, topic, decoder))
        if not isinstance(doc, dict):
            raise DecodeError("mapping", "a thingsboard-gateway payload is an object of device name → telemetry")
        out: list[StateUpdate] = []
        for name, telemetry in doc.items():
            out.extend(self._from_thingsboard(rule, {**captures, "device": str(name)}, telemetry, received_ms,
                                              topic, decoder))
        return tuple(out)

    # --- helpers -----------------------------------------------------------------------------

    def _convert(self, rule: TopicRule, raw: dict[str, Any], keep: bool) -> dict[str, Scalar]:
        values: dict[str, Any] = {}
        for source, value in raw.items():
            point_rule = rule.point_rule(source)
            if point_rule is not None:
                values[point_rule.point] = point_rule.apply(value)
            elif keep:
                values[source] = value
        try:
            return check_point_values(values)
        except DecodeError as exc:
            raise DecodeError("mapping", exc.detail) from None

    def _update(self, rule: TopicRule, captures: dict[str, str], values: dict[str, Scalar], received_ms: int,
                ts: Any, topic: str, decoder: "Decoder", seq: Any = None) -> StateUpdate:
        site_name = _expand(rule.device, captures, "device")
        device = rule.devices.get(site_name, site_name)
        decoder.device(device)  # unknown_device
        if not values:
            raise DecodeError("mapping", f"no mapped point in the payload for device {device!r}")
        ts_ms = received_ms if ts is None else check_ts(ts, received_ms)
        if seq is not None and (isinstance(seq, bool) or not isinstance(seq, int) or seq < 0):
            raise DecodeError("mapping", f"seq must be a non-negative integer, got {seq!r}")
        return StateUpdate(device, ts_ms, FrozenMap(values), seq, "good", topic)

    def _from_json(self, rule: TopicRule, captures: dict[str, str], doc: Any, received_ms: int, topic: str,
                   decoder: "Decoder") -> StateUpdate:
        raw: dict[str, Any] = {}
        for point_rule in rule.points:
            try:
                raw[point_rule.source] = _path_get(doc, point_rule.source)
            except KeyError:
                continue
        if rule.keep_unmapped and isinstance(doc, dict):
            for key, value in doc.items():
                if key not in raw and not isinstance(value, (dict, list)) and key not in (rule.ts_path, rule.seq_path):
                    raw[key] = value
        ts = _optional_path(doc, rule.ts_path)
        seq = _optional_path(doc, rule.seq_path)
        return self._update(rule, captures, self._convert(rule, raw, keep=True), received_ms, ts, topic, decoder, seq)

    def _from_thingsboard(self, rule: TopicRule, captures: dict[str, str], doc: Any, received_ms: int, topic: str,
                          decoder: "Decoder") -> list[StateUpdate]:
        items = doc if isinstance(doc, list) else [doc]
        if not items:
            raise DecodeError("mapping", "empty telemetry list")
        out = []
        for item in items:
            if not isinstance(item, dict):
                raise DecodeError("mapping", f"telemetry must be an object, got {type(item).__name__}")
            if "values" in item:
                values, ts = item["values"], item.get("ts")
                if not isinstance(values, dict):
                    raise DecodeError("mapping", f"'values' must be an object, got {type(values).__name__}")
            else:
                values, ts = item, None
            converted = self._convert(rule, values, keep=rule.keep_unmapped)
            out.append(self._update(rule, captures, converted, received_ms, ts, topic, decoder))
        return out


def _optional_path(doc: Any, path: str | None) -> Any:
    if path is None:
        return None
    try:
        return _path_get(doc, path)
    except KeyError:
        raise DecodeError("mapping", f"payload has no {path!r}") from None


def _expand(template: str, captures: dict[str, str], what: str) -> str:
    try:
        return _CAPTURE.sub(lambda m: captures[m.group(1)], template)
    except KeyError as exc:
        raise DecodeError("mapping", f"{what} template {template!r} uses {{{exc.args[0]}}}, which the topic "
                                     "pattern does not capture") from None


# --- loading ---------------------------------------------------------------------------------

_RULE_KEYS = {"topic", "format", "device", "devices", "point", "points", "others", "ts", "seq"}
_POINT_KEYS = {"point", "from", "to", "scale", "offset"}


def parse_mapping(data: Any, file: str = "<mapping>") -> Mapping:
    """Check a parsed mapping document; every problem is reported with its field path."""
    issues: list[SpecIssue] = []

    def bad(path: str, message: str) -> None:
        issues.append(SpecIssue(file, path, message))

    if not isinstance(data, dict) or not isinstance(data.get("mappings"), list) or not data["mappings"]:
        raise SpecError.single(file, "mappings", "a mapping file has a non-empty list 'mappings'")
    for key in set(data) - {"mappings", "description"}:
        bad(key, "unknown field; check its spelling")
    rules = []
    for i, entry in enumerate(data["mappings"]):
        where = f"mappings[{i}]"
        if not isinstance(entry, dict):
            bad(where, f"each mapping is an object, got {type(entry).__name__}")
            continue
        for key in set(entry) - _RULE_KEYS:
            bad(f"{where}.{key}", "unknown field; check its spelling")
        topic = entry.get("topic")
        if not isinstance(topic, str) or not topic:
            bad(f"{where}.topic", "a topic pattern is required")
            continue
        try:
            regex = _compile(topic)
        except ValueError as exc:
            bad(f"{where}.topic", str(exc))
            continue
        captured = set(regex.groupindex)
        fmt = entry.get("format", "value")
        if fmt not in FORMATS:
            bad(f"{where}.format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
            continue
        device = entry.get("device", "{device}")
        if fmt == "thingsboard-gateway":
            captured.add("device")
        if not isinstance(device, str):
            bad(f"{where}.device", f"a device id or template, got {device!r}")
            continue
        for name in _CAPTURE.findall(device):
            if name not in captured:
                bad(f"{where}.device", f"uses {{{name}}}, which the topic pattern does not capture"
                                       + ("; give a fixed device id" if name == "device" else ""))
        point = entry.get("point", "{point}")
        if fmt == "value":
            for name in _CAPTURE.findall(point):
                if name not in captured:
                    bad(f"{where}.point", f"uses {{{name}}}, which the topic pattern does not capture; "
                                          "give a fixed point name")
        devices = entry.get("devices", {})
        if not isinstance(devices, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in devices.items()):
            bad(f"{where}.devices", "a mapping of site device name → building device id")
            devices = {}
        points = []
        raw_points = entry.get("points", {})
        if not isinstance(raw_points, dict):
            bad(f"{where}.points", "a mapping of source name or payload path → {point, from, to, scale, offset}")
            raw_points = {}
        for source, spec in raw_points.items():
            ppath = f"{where}.points.{source}"
            if isinstance(spec, str):
                spec = {"point": spec}
            if not isinstance(spec, dict):
                bad(ppath, f"expected {{point: NAME, from: UNIT, to: UNIT}}, got {spec!r}")
                continue
            for key in set(spec) - _POINT_KEYS:
                bad(f"{ppath}.{key}", "unknown field; check its spelling")
            target = spec.get("point", source)
            scale, offset = spec.get("scale", 1.0), spec.get("offset", 0.0)
            if ("from" in spec) != ("to" in spec):
                bad(ppath, "give both 'from' and 'to' units")
            elif "from" in spec:
                if "scale" in spec or "offset" in spec:
                    bad(ppath, "give units (from/to) or scale/offset, not both")
                try:
                    scale, offset = conversion(str(spec["from"]), str(spec["to"]))
                except ValueError as exc:
                    bad(ppath, str(exc))
            if isinstance(scale, bool) or not isinstance(scale, (int, float)) or isinstance(offset, bool) \
                    or not isinstance(offset, (int, float)):
                bad(ppath, "scale and offset are numbers")
                continue
            points.append(PointRule(str(source), str(target), float(scale), float(offset)))
        others = entry.get("others", "drop" if fmt == "json" else "keep")
        if others not in ("keep", "drop"):
            bad(f"{where}.others", f"'keep' or 'drop', got {others!r}")
        for key in ("ts", "seq"):
            if key in entry and not isinstance(entry[key], str):
                bad(f"{where}.{key}", "a payload path such as time_ms or data.ts")
        rules.append(TopicRule(topic=topic, format=fmt, regex=regex, device=device, devices=FrozenMap(devices),
                               point=point, points=tuple(points), keep_unmapped=others == "keep",
                               ts_path=entry.get("ts"), seq_path=entry.get("seq")))
    if issues:
        raise SpecError(issues)
    return Mapping(tuple(rules), file)


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file."""
    from twin.loader import read_yaml

    path = Path(path)
    return parse_mapping(read_yaml(path), path.name)
