"""Alarms: rules over live state, device events, and the alarm life cycle.

An engineer does not watch numbers; they watch alarms. Three things raise one:

* **rules** written in YAML and checked against the current state — a *threshold* held for a
  while (pump outlet pressure below 150 kPa for 60 s), a *state* pattern (a lift stopped
  outside a door zone with load on board: a possible entrapment), *stale* data (a device that
  stopped reporting) and *offline* devices;
* **device events**: a fire alarm zone, an entrapment call or a pump trip reported by the
  device itself raises (``"active": true``) or clears (``false``) an alarm directly.

One incident is one alarm. A pump controller reports a trip twice — as a ``pump_trip`` event and
as ``run_state: tripped`` in its state — and a site whose pumps send no events still needs the
state rule. A rule that watches the same condition as a device event says so (``event:
pump_trip``): it then raises and clears the event's own alarm (``event:pump_trip:PMP-1``), so
whichever of the two reports arrives first raises the alarm and the other finds it raised.

Each alarm has a severity (critical, major, minor, warning) and follows the ISA-18.2 life
cycle: *active* or *cleared*, each *unacknowledged* or *acknowledged* (by whom, when, with a
note). It stays open until it is both cleared and acknowledged. Durations are measured on the
twin's clock from the arrival of the message that made the condition true, so a device with a
wrong clock cannot shorten or lengthen them.

Anything can listen: :meth:`AlarmEngine.on_alarm` registers a callable that receives each
matching transition with a snapshot of the building at that instant. This is how an alarm
starts a simulation from the building as it is now (a fire alarm on floor 12 → an evacuation
forecast); the twin itself knows nothing of scenarios or models.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from twin.errors import SpecError, SpecIssue, format_value
from twin.live.devices import DeviceInfo, device_catalogue
from twin.live.payloads import SEVERITIES, DeviceEvent, DeviceStatus
from twin.live.state import StateChange, TwinSnapshot, TwinState
from twin.live.values import Clock, Scalar, wall_ms
from twin.live.words import event_words, fill, point_words
from twin.spec import Building
from twin.text import LANGUAGES, Text, text

__all__ = [
    "SEVERITIES",
    "LEVEL_OF",
    "Alarm",
    "AlarmTransition",
    "AlarmNotFound",
    "Selector",
    "Condition",
    "Rule",
    "RuleSet",
    "AlarmHook",
    "AlarmEngine",
    "DEFAULT_RULES_PATH",
    "load_rules",
    "parse_rules",
]

log = logging.getLogger(__name__)

LEVEL_OF = {"critical": "alarm", "major": "alarm", "minor": "warning", "warning": "warning"}
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
DEFAULT_RULES_PATH = Path(__file__).with_name("rules.yaml")
RULE_KINDS = ("threshold", "state", "stale", "offline")
OPS = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
    "in": lambda a, b: a in b, "not_in": lambda a, b: a not in b,
}


class AlarmNotFound(KeyError):
    """No open alarm has that id."""


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm and where it is in its life cycle."""

    id: str
    rule: str
    source: str
    device: str
    severity: str
    message: str
    active: bool
    raised_ms: int
    cleared_ms: int | None = None
    acked_by: str | None = None
    acked_ms: int | None = None
    ack_note: str | None = None
    value: Scalar = None
    zone: str | None = None
    floor: str | None = None
    system: str | None = None
    count: int = 1
    first_raised_ms: int | None = None
    words: Mapping[str, str] | None = None
    """The message in each language (``en``, ``zh-CN``): what the console and the alarm history show
    in the reader's language. ``message`` is its English, kept for clients that read one text."""

    @property
    def acknowledged(self) -> bool:
        return self.acked_ms is not None

    @property
    def state(self) -> str:
        """``active_unacked``, ``active_acked``, ``cleared_unacked`` or ``closed``."""
        if self.active:
            return "active_acked" if self.acknowledged else "active_unacked"
        return "closed" if self.acknowledged else "cleared_unacked"

    @property
    def is_open(self) -> bool:
        return self.state != "closed"

    @property
    def level(self) -> str:
        return LEVEL_OF[self.severity]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(state=self.state, acknowledged=self.acknowledged, level=self.level)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Alarm":
        names = cls.__dataclass_fields__.keys()
        return cls(**{k: v for k, v in d.items() if k in names})


@dataclass(frozen=True, slots=True)
class AlarmTransition:
    """A step in an alarm's life: ``raised``, ``cleared`` or ``acknowledged``."""

    alarm: Alarm
    transition: str
    at_ms: int
    by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"alarm": self.alarm.to_dict(), "transition": self.transition, "at_ms": self.at_ms, "by": self.by}


# --- rules ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Selector:
    """Which devices a rule applies to: by id, system or kind (kinds may use * and ?), less some kinds."""

    devices: frozenset[str] | None = None
    systems: frozenset[str] | None = None
    kinds: tuple[str, ...] | None = None
    not_kinds: tuple[str, ...] = ()

    def matches(self, info: DeviceInfo) -> bool:
        if self.devices is not None and info.id not in self.devices:
            return False
        if any(fnmatch.fnmatchcase(info.kind, k) for k in self.not_kinds):
            return False
        if self.systems is not None and info.system not in self.systems:
            return False
        if self.kinds is not None and not any(fnmatch.fnmatchcase(info.kind, k) for k in self.kinds):
            return False
        return True


@dataclass(frozen=True, slots=True)
class Condition:
    """``point op value``; a missing point or incomparable value makes it false."""

    point: str
    op: str
    value: Any

    def test(self, values: Mapping[str, Scalar]) -> bool:
        if self.point not in values:
            return False
        try:
            return bool(OPS[self.op](values[self.point], self.value))
        except TypeError:
            return False


@dataclass(frozen=True, slots=True)
class Rule:
    """One alarm rule of a rules file."""

    id: str
    kind: str
    match: Selector
    severity: str
    message: Text
    """What the alarm says, in each language, with ``{device}``, ``{value}`` and ``{point}`` (the
    point's words in that language) to fill in."""
    for_s: float = 0.0
    conditions: tuple[Condition, ...] = ()
    clear_conditions: tuple[Condition, ...] | None = None
    point: str | None = None
    event: str | None = None
    """The device event type that reports the same condition (its alarm is this rule's alarm)."""

    def alarm_id(self, device: str) -> str:
        """The id of the alarm this rule raises on ``device``: the event's when it shares one."""
        return f"event:{self.event}:{device}" if self.event else f"{self.id}:{device}"

    @property
    def points(self) -> frozenset[str]:
        return frozenset(c.point for c in self.conditions)

    def holds(self, values: Mapping[str, Scalar]) -> bool:
        return bool(self.conditions) and all(c.test(values) for c in self.conditions)

    def cleared(self, values: Mapping[str, Scalar]) -> bool:
        """Whether an active alarm of this rule clears (thresholds clear past their dead band)."""
        if self.clear_conditions is None:
            return not self.holds(values)
        return all(c.test(values) for c in self.clear_conditions)

    def describe(self, device: str, value: Scalar) -> dict[str, str]:
        """The alarm's message on ``device`` with ``value``, in each language."""
        point = point_words(self.point) if self.point else {}
        return {lang: fill(template, device=device, value=value, point=point.get(lang, ""))
                for lang, template in self.message.items()}


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules of one file."""

    rules: tuple[Rule, ...]
    file: str = "<rules>"

    def for_device(self, info: DeviceInfo) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.match.matches(info))


_RULE_KEYS = {"id", "kind", "match", "severity", "message", "for_s", "point", "above", "below", "deadband", "when",
              "event"}
_STALE_WORDS = text("no data from {device}", "{device} 无数据")
_OFFLINE_WORDS = text("{device} is offline", "{device} 离线")
_MATCH_KEYS = {"device", "devices", "system", "systems", "kind", "kinds", "not_kind", "not_kinds"}


def _as_set(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else None


def parse_rules(data: Any, file: str = "<rules>") -> RuleSet:
    """Check a parsed rules document; all problems are reported with their field paths."""
    issues: list[SpecIssue] = []

    def bad(path: str, message: str) -> None:
        issues.append(SpecIssue(file, path, message))

    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise SpecError.single(file, "rules", "a rules file has a list 'rules'")
    for key in set(data) - {"rules", "description"}:
        bad(key, "unknown field; check its spelling")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["rules"]):
        where = f"rules[{i}]"
        if not isinstance(raw, dict):
            bad(where, f"each rule is an object, got {type(raw).__name__}")
            continue
        if isinstance(raw.get("id"), str):
            where += f" '{raw['id']}'"
        for key in set(raw) - _RULE_KEYS:
            bad(f"{where}.{key}", "unknown field; check its spelling")
        rid = raw.get("id")
        if not isinstance(rid, str) or not rid or not all(c.isalnum() or c in "_-" for c in rid):
            bad(f"{where}.id", f"a rule id ([A-Za-z0-9_-]+) is required, got {format_value(rid)}")
            continue
        if rid in seen:
            bad(f"{where}.id", f"duplicate rule id {rid!r}")
        seen.add(rid)
        kind = raw.get("kind")
        if kind not in RULE_KINDS:
            bad(f"{where}.kind", f"must be one of {', '.join(RULE_KINDS)}, got {format_value(kind)}")
            continue
        severity = raw.get("severity", "major")
        if severity not in SEVERITIES:
            bad(f"{where}.severity", f"must be one of {', '.join(SEVERITIES)}, got {format_value(severity)}")
            continue
        for_s = raw.get("for_s", 0)
        if isinstance(for_s, bool) or not isinstance(for_s, (int, float)) or for_s < 0:
            bad(f"{where}.for_s", f"a duration in seconds (>= 0), got {format_value(for_s)}")
            continue
        match = raw.get("match", {}) or {}
        if not isinstance(match, dict):
            bad(f"{where}.match", "an object with device(s), system(s) or kind(s)")
            continue
        for key in set(match) - _MATCH_KEYS:
            bad(f"{where}.match.{key}", "unknown field; use device(s), system(s), kind(s) or not_kind(s)")
        devices = _as_set(match.get("devices", match.get("device")))
        systems = _as_set(match.get("systems", match.get("system")))
        kinds = _as_set(match.get("kinds", match.get("kind")))
        not_kinds = _as_set(match.get("not_kinds", match.get("not_kind"))) or []
        selector = Selector(frozenset(devices) if devices is not None else None,
                            frozenset(systems) if systems is not None else None,
                            tuple(kinds) if kinds is not None else None, tuple(not_kinds))
        conditions: list[Condition] = []
        clear: list[Condition] | None = None
        point = raw.get("point")
        message = raw.get("message")
        if kind == "threshold":
            if not isinstance(point, str):
                bad(f"{where}.point", "a threshold rule names its point")
                continue
            above, below = raw.get("above"), raw.get("below")
            if (above is None) == (below is None):
                bad(where, "a threshold rule gives exactly one of 'above' or 'below'")
                continue
            limit = above if above is not None else below
            deadband = raw.get("deadband", 0)
            if isinstance(limit, bool) or not isinstance(limit, (int, float)):
                bad(f"{where}.{'above' if above is not None else 'below'}", f"a number, got {format_value(limit)}")
                continue
            if isinstance(deadband, bool) or not isinstance(deadband, (int, float)) or deadband < 0:
                bad(f"{where}.deadband", f"a number >= 0, got {format_value(deadband)}")
                continue
            if above is not None:
                conditions = [Condition(point, "gt", limit)]
                clear = [Condition(point, "le", limit - deadband)]
                default = text(f"{{point}} {{value}} above {limit} on {{device}}",
                               f"{{device}} {{point}} {{value}}，高于 {limit}")
            else:
                conditions = [Condition(point, "lt", limit)]
                clear = [Condition(point, "ge", limit + deadband)]
                default = text(f"{{point}} {{value}} below {limit} on {{device}}",
                               f"{{device}} {{point}} {{value}}，低于 {limit}")
        elif kind == "state":
            when = raw.get("when")
            if not isinstance(when, dict) or not when:
                bad(f"{where}.when", "a state rule gives its conditions: {point: value} or {point: {gt: 0}}")
                continue
            for pname, spec in when.items():
                if isinstance(spec, dict):
                    for op, value in spec.items():
                        if op not in OPS:
                            bad(f"{where}.when.{pname}.{op}", f"unknown comparison; use {', '.join(OPS)}")
                        else:
                            conditions.append(Condition(str(pname), op, tuple(value) if isinstance(value, list) else value))
                else:
                    conditions.append(Condition(str(pname), "eq", spec))
            point = point or next(iter(when))
            default = text(f"{rid} on {{device}}", f"{{device}}：{rid}")
        else:
            default = _STALE_WORDS if kind == "stale" else _OFFLINE_WORDS
        if message is None:
            message = default
        elif isinstance(message, str) and message.strip():
            message = {lang: message for lang in LANGUAGES}  # a site's own words, in the one language it wrote
        elif (isinstance(message, dict) and set(message) == set(LANGUAGES)
              and all(isinstance(v, str) and v.strip() for v in message.values())):
            message = dict(message)
        else:
            bad(f"{where}.message", "a text, or the text in each language ({"
                + ", ".join(f"{lang}: …" for lang in LANGUAGES) + f"}}), got {format_value(message)}")
            continue
        event = raw.get("event")
        if event is not None and (not isinstance(event, str) or not event
                                  or not all(c.isalnum() or c == "_" for c in event)):
            bad(f"{where}.event", f"a device event type such as pump_trip, got {format_value(event)}")
            continue
        if event is not None and kind not in ("threshold", "state"):
            bad(f"{where}.event", f"only a threshold or state rule shares a device event's alarm, not a {kind} rule")
            continue
        rules.append(Rule(rid, kind, selector, severity, message, float(for_s), tuple(conditions),
                          tuple(clear) if clear is not None else None, point, event))
    if issues:
        raise SpecError(issues)
    return RuleSet(tuple(rules), file)


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Read a rules file; without a path, the twin's default rules."""
    from twin.loader import read_yaml

    path = Path(path) if path is not None else DEFAULT_RULES_PATH
    return parse_rules(read_yaml(path), path.name)


# --- hooks ------------------------------------------------------------------------------------

@dataclass(eq=False)
class AlarmHook:
    """A registered ``fn(transition, snapshot)`` and which transitions it wants."""

    name: str
    fn: Callable[[AlarmTransition, TwinSnapshot], Any]
    severities: frozenset[str] | None = None
    rules: tuple[str, ...] | None = None
    systems: frozenset[str] | None = None
    transitions: frozenset[str] = frozenset({"raised"})
    engine: "AlarmEngine | None" = field(default=None, repr=False)
    calls: int = 0
    errors: int = 0

    def wants(self, t: AlarmTransition) -> bool:
        a = t.alarm
        if t.transition not in self.transitions:
            return False
        if self.severities is not None and a.severity not in self.severities:
            return False
        if self.systems is not None and a.system not in self.systems:
            return False
        if self.rules is not None and not any(fnmatch.fnmatchcase(a.rule, r) for r in self.rules):
            return False
        return True

    def remove(self) -> None:
        if self.engine is not None:
            self.engine.remove_hook(self)


# --- the engine -------------------------------------------------------------------------------

class AlarmEngine:
    """Evaluates rules and device events against a :class:`TwinState`; keeps the open alarms.

    Not thread-safe for writers: the live service calls it from its one ingest thread. Reading
    (``open_alarms``) is safe from any thread.
    """

    def __init__(self, building: Building, rules: RuleSet, state: TwinState, *, clock: Clock = wall_ms):
        self.building = building
        self.rules = rules
        self.state = state
        self.clock = clock
        self.started_ms = clock()
        self.devices = device_catalogue(building)
        self._rules_by_device = {ident: rules.for_device(info) for ident, info in self.devices.items()}
        # What a state change is checked against: each device's threshold and state rules with the
        # points they read, for devices that have any (most state messages concern none of them).
        self._value_rules: dict[str, tuple[tuple[Rule, frozenset[str]], ...]] = {}
        for ident, device_rules in self._rules_by_device.items():
            value_rules = tuple((r, r.points) for r in device_rules if r.kind in ("threshold", "state"))
            if value_rules:
                self._value_rules[ident] = value_rules
        self._alarms: dict[str, Alarm] = {}
        self._pending: dict[tuple[str, str], int] = {}
        self._lock = threading.RLock()
        self._hooks: list[AlarmHook] = []
        self._executor: ThreadPoolExecutor | None = None
        self._futures: list[Future] = []

    # --- reading -----------------------------------------------------------------------------

    def open_alarms(self) -> tuple[Alarm, ...]:
        """Open alarms, most severe first, then newest first."""
        with self._lock:
            return tuple(sorted(self._alarms.values(), key=lambda a: (SEVERITY_RANK[a.severity], -a.raised_ms)))

    def get(self, alarm_id: str) -> Alarm:
        with self._lock:
            try:
                return self._alarms[alarm_id]
            except KeyError:
                raise AlarmNotFound(alarm_id) from None

    def levels(self) -> dict[str, str]:
        """Each device's alarm level from its *active* alarms: ``alarm`` or ``warning``."""
        out: dict[str, str] = {}
        for a in self._alarms.values():
            if a.active and out.get(a.device) != "alarm":
                out[a.device] = a.level
        return out

    # --- rule evaluation ---------------------------------------------------------------------

    def evaluate(self, changes: Iterable[StateChange], now_ms: int | None = None) -> list[AlarmTransition]:
        """Check the rules of each device whose state changed."""
        now = self.clock() if now_ms is None else now_ms
        out: list[AlarmTransition] = []
        value_rules = self._value_rules
        with self._lock:
            for change in changes:
                if not change.applied:
                    continue
                rules = value_rules.get(change.device)
                if rules is None:
                    continue
                values = None
                for rule, points in rules:
                    if not points.isdisjoint(change.applied):
                        if values is None:
                            values = self.state.values(change.device)
                        self._check(rule, change.device, values, now, out)
            self._publish_levels(out)
        return out

    def _check(self, rule: Rule, device: str, values: Mapping[str, Scalar], now: int, out: list) -> None:
        alarm_id = rule.alarm_id(device)
        current = self._alarms.get(alarm_id)
        key = (rule.id, device)
        value = values.get(rule.point) if rule.point else None
        if current is not None and current.active:
            if rule.cleared(values):
                out.append(self._clear(alarm_id, now))
            return
        if rule.holds(values):
            onset = self._pending.setdefault(key, now)
            if now - onset >= rule.for_s * 1000:
                del self._pending[key]
                out.append(self._raise(alarm_id, rule.id, "rule", device, rule.severity,
                                       rule.describe(device, value), now, value=value))
        else:
            self._pending.pop(key, None)

    def tick(self, now_ms: int | None = None) -> list[AlarmTransition]:
        """Time passes: conditions held long enough raise; stale and offline devices are checked."""
        now = self.clock() if now_ms is None else now_ms
        out: list[AlarmTransition] = []
        with self._lock:
            for (rule_id, device) in list(self._pending):
                rule = next((r for r in self._rules_by_device[device] if r.id == rule_id), None)
                if rule is not None:
                    self._check(rule, device, self.state.values(device), now, out)
            for device, rules in self._rules_by_device.items():
                for rule in rules:
                    if rule.kind == "stale":
                        self._check_stale(rule, device, now, out)
                    elif rule.kind == "offline":
                        self._check_offline(rule, device, now, out)
            self._publish_levels(out)
        return out

    def _check_stale(self, rule: Rule, device: str, now: int, out: list) -> None:
        info = self.devices[device]
        window_ms = self.state.stale_factor * info.interval_s * 1000
        if now - self.started_ms < window_ms:
            return  # give every device its chance to report after the twin starts
        stale = self.state.is_stale(device, now)
        self._hold(rule, device, stale, now, out, value=None)

    def _check_offline(self, rule: Rule, device: str, now: int, out: list) -> None:
        snap_online = self.state.equipment(device, now).online
        self._hold(rule, device, snap_online is False, now, out, value=None)

    def _hold(self, rule: Rule, device: str, condition: bool, now: int, out: list, value: Scalar) -> None:
        alarm_id = rule.alarm_id(device)
        current = self._alarms.get(alarm_id)
        key = (rule.id, device)
        if condition:
            if current is not None and current.active:
                return
            onset = self._pending.get(key)
            if onset is None:
                onset = now
                if rule.for_s > 0:
                    self._pending[key] = now
            if now - onset >= rule.for_s * 1000:
                self._pending.pop(key, None)
                out.append(self._raise(alarm_id, rule.id, "rule", device, rule.severity,
                                       rule.describe(device, value), now, value=value))
        else:
            self._pending.pop(key, None)
            if current is not None and current.active:
                out.append(self._clear(alarm_id, now))

    # --- device events -----------------------------------------------------------------------

    def handle_event(self, event: DeviceEvent, now_ms: int | None = None) -> list[AlarmTransition]:
        """A device raised or cleared an alarm itself (fire zone, entrapment call, trip…)."""
        if event.severity not in SEVERITIES:
            return []
        now = self.clock() if now_ms is None else now_ms
        alarm_id = f"event:{event.type}:{event.device}" + (f":{event.zone}" if event.zone else "")
        out: list[AlarmTransition] = []
        with self._lock:
            current = self._alarms.get(alarm_id)
            if event.active and (current is None or not current.active):
                info = self.devices[event.device]
                floor = info.zone_floor(event.zone) if event.zone else None
                words = event_words(event.type, event.device, event.zone, event.message)
                out.append(self._raise(alarm_id, f"event:{event.type}", "event", event.device, event.severity,
                                       words, now, zone=event.zone, floor=floor))
            elif not event.active and current is not None and current.active:
                out.append(self._clear(alarm_id, now))
            self._publish_levels(out)
        return out

    def handle_status(self, status: DeviceStatus, now_ms: int | None = None) -> list[AlarmTransition]:
        """A device went online or offline: check its offline rules at once."""
        now = self.clock() if now_ms is None else now_ms
        out: list[AlarmTransition] = []
        with self._lock:
            for rule in self._rules_by_device.get(status.device, ()):
                if rule.kind == "offline":
                    self._hold(rule, status.device, not status.online, now, out, value=None)
            self._publish_levels(out)
        return out

    # --- life cycle --------------------------------------------------------------------------

    def _raise(self, alarm_id: str, rule: str, source: str, device: str, severity: str, words: Mapping[str, str],
               now: int, *, value: Scalar = None, zone: str | None = None, floor: str | None = None) -> AlarmTransition:
        info = self.devices[device]
        words = dict(words)
        message = words.get("en") or next(iter(words.values()), "")
        current = self._alarms.get(alarm_id)
        if current is not None:  # cleared but not yet acknowledged: it comes back, unacknowledged
            alarm = replace(current, active=True, raised_ms=now, cleared_ms=None, acked_by=None, acked_ms=None,
                            ack_note=None, value=value, message=message, words=words, severity=severity,
                            count=current.count + 1)
        else:
            # Where the device is: a lift car's alarm (an entrapment) names the floor the car reports.
            alarm = Alarm(alarm_id, rule, source, device, severity, message, True, now, value=value, zone=zone,
                          floor=floor or self.state.floor_of(device), system=info.system, first_raised_ms=now,
                          words=words)
        self._alarms[alarm_id] = alarm
        return AlarmTransition(alarm, "raised", now)

    def _clear(self, alarm_id: str, now: int) -> AlarmTransition:
        alarm = replace(self._alarms[alarm_id], active=False, cleared_ms=now)
        self._settle(alarm)
        return AlarmTransition(alarm, "cleared", now)

    def _settle(self, alarm: Alarm) -> None:
        if alarm.is_open:
            self._alarms[alarm.id] = alarm
        else:
            self._alarms.pop(alarm.id, None)

    def acknowledge(self, alarm_id: str, user: str, note: str | None = None,
                    now_ms: int | None = None) -> AlarmTransition | None:
        """An operator acknowledges an open alarm; ``None`` if it already was. Raises AlarmNotFound."""
        if not isinstance(user, str) or not user.strip():
            raise ValueError("an acknowledgement names who made it")
        now = self.clock() if now_ms is None else now_ms
        with self._lock:
            current = self.get(alarm_id)
            if current.acknowledged:
                return None
            alarm = replace(current, acked_by=user.strip(), acked_ms=now, ack_note=note)
            self._settle(alarm)
            t = AlarmTransition(alarm, "acknowledged", now, by=user.strip())
            self._publish_levels([t])
            return t

    def restore(self, alarms: Iterable[Alarm]) -> int:
        """Load the open alarms kept by the history (a restart)."""
        with self._lock:
            n = 0
            for a in alarms:
                if a.is_open and a.device in self.devices:
                    self._alarms[a.id] = a
                    n += 1
            self.state.set_alarms(self.open_alarms(), self.levels())
            return n

    def _publish_levels(self, transitions: list) -> None:
        if transitions:
            self.state.set_alarms(self.open_alarms(), self.levels())

    # --- hooks -------------------------------------------------------------------------------

    def on_alarm(self, fn: Callable[[AlarmTransition, TwinSnapshot], Any], *, name: str | None = None,
                 severities: Iterable[str] | None = None, rules: Iterable[str] | None = None,
                 systems: Iterable[str] | None = None,
                 transitions: Iterable[str] = ("raised",)) -> AlarmHook:
        """Register ``fn(transition, snapshot)`` for matching alarm transitions.

        ``rules`` are rule ids or patterns (``event:fire_alarm``, ``lift-*``). Hooks run one at a
        time on a worker thread, never on the ingest path; an exception in one is logged and
        counted, and the twin goes on.
        """
        hook = AlarmHook(name or getattr(fn, "__name__", "hook"), fn,
                         frozenset(severities) if severities is not None else None,
                         tuple(rules) if rules is not None else None,
                         frozenset(systems) if systems is not None else None,
                         frozenset(transitions), engine=self)
        with self._lock:
            self._hooks.append(hook)
        return hook

    def remove_hook(self, hook: AlarmHook) -> None:
        with self._lock:
            if hook in self._hooks:
                self._hooks.remove(hook)

    def dispatch(self, transitions: Iterable[AlarmTransition]) -> int:
        """Hand matching transitions to their hooks with one snapshot; returns how many calls."""
        calls = [(h, t) for t in transitions for h in list(self._hooks) if h.wants(t)]
        if not calls:
            return 0
        snapshot = self.state.snapshot()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="twin-alarm-hooks")
        for hook, t in calls:
            self._futures.append(self._executor.submit(self._call, hook, t, snapshot))
        self._futures = [f for f in self._futures if not f.done()]
        return len(calls)

    @staticmethod
    def _call(hook: AlarmHook, t: AlarmTransition, snapshot: TwinSnapshot) -> Any:
        hook.calls += 1
        try:
            return hook.fn(t, snapshot)
        except Exception:
            hook.errors += 1
            log.exception("alarm hook %r failed on %s %s", hook.name, t.alarm.id, t.transition)
            return None

    def wait_hooks(self, timeout_s: float = 10.0) -> None:
        """Wait until the hook calls handed out so far have finished (tests, shutdown)."""
        for f in list(self._futures):
            f.result(timeout=timeout_s)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=False)
            self._executor = None
