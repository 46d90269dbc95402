"""Initial conditions from the live twin: what a model takes from "the building as it is now".

A run started ``from_live`` carries a twin snapshot (:class:`twin.live.state.TwinSnapshot`): every
device's last values and status, the open alarms, the time at the building. This module reads it
once, the same way for every model, into :class:`LiveConditions`:

* **lift cars out of service** — offline, in alarm (an entrapment, a fault), or reporting a mode
  of ``out_of_service``, ``fault``, ``power_loss`` or ``inspection``. A car in ``fire_recall`` is
  *not* out of service for a fire model: recall is what a fire alarm does by design, and a
  fire-service car stays at the fire service's disposal;
* **equipment out of service** — every device the twin reports out of service (its own rule:
  offline, in alarm, or a mode, run state or breaker saying so);
* **fire floors** — floors of the fire alarm zones in alarm, earliest raised first (the alarm
  carries its zone's floor, from the fire panel's zone map in the building file);
* **power** — power equipment out of service; whether the **mains** are lost (every transformer
  out of service — or every switchgear, in a building file without transformers); and which
  devices a generator in service feeds through the ``feeds`` chain of the building file (an
  automatic transfer switch feeding the fire-service lifts), which keep running without mains;
* **time** — the local time and weekday at the building, and the occupancy profile that time
  suggests (night-time residential 22:00–07:00, weekday office hours, weekend);
* **lift cars** — each car's last reported state (:class:`CarState`: nearest floor, position,
  load, motion, door, mode, whether it is in a door zone), what the elevator model's rescue
  forecast starts from (the persons aboard are ``load_kg`` / 75 kg).

A model registers ``from_live(params, conditions, building) -> (params, notes)`` in its
:class:`~models.harness.ModelSpec`; the runner applies it to every sweep point before any
replication and records the notes in ``summary.json``, so a forecast says what it assumed. The
rule of precedence is the same in every model: **equipment state is a fact and always applies;
what a scenario sets explicitly (a fire floor, an occupancy profile) wins over what the snapshot
suggests**, so "what if a fire started on F20 now" stays expressible.

The snapshot is read by duck typing (``equipment``, ``alarms``, ``taken_ms``, ``taken_at``), so a
snapshot stored with an older twin, or built by hand in a test, works the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import networkx as nx

from twin.live.words import value_words
from twin.spec import Building
from twin.text import Text, text

__all__ = ["LiveConditions", "CarState", "live_conditions", "LIFT_OUT_OF_SERVICE_MODES", "occupancy_for_time",
           "reason_words"]

# Lift modes that take a car out of evacuation service (fire recall does not; see module docstring).
LIFT_OUT_OF_SERVICE_MODES = frozenset({"out_of_service", "fault", "power_loss", "inspection"})
_FIRE_ALARM_TYPES = ("fire_alarm", "fire")
_STATUS_REASONS = {"offline": "offline", "alarm": "alarm open"}

_REASON_WORDS: dict[str, Text] = {
    "offline": text("offline", "离线"),
    "alarm open": text("alarm open", "告警未恢复"),
    "reports out of service": text("reports out of service", "上报停用"),
    "out of service": text("out of service", "停用"),
}
"""Why a car is out of service (:attr:`LiveConditions.reasons`), in both languages."""


def reason_words(reason: str) -> Text:
    """A reason of :attr:`LiveConditions.reasons` in both languages: "mode inspection" reads
    检修模式（inspection） in Chinese, the mode's code name after its words."""
    if reason.startswith("mode "):
        mode = reason.removeprefix("mode ")
        words = value_words("mode", mode)  # a lift mode's words, declared with the twin's telemetry
        return text(reason, f"{words['zh-CN']}模式（{mode}）" if words else f"模式 {mode}")
    return _REASON_WORDS.get(reason) or text(reason, reason)


@dataclass(frozen=True)
class CarState:
    """A lift car as the twin last saw it (any value the car did not report is None)."""

    floor: str | None = None
    position_m: float | None = None
    load_kg: float | None = None
    motion: str | None = None
    """``moving`` or ``stopped``."""
    door: str | None = None
    mode: str | None = None
    """``normal``, ``fire_recall``, ``fault``, ``power_loss``, ``inspection``, ``out_of_service``…"""
    in_door_zone: bool | None = None
    status: str | None = None
    """The device's status in the twin (``ok``, ``alarm``, ``offline``…)."""


@dataclass(frozen=True)
class LiveConditions:
    """What every model may take from a live snapshot (see the module docstring)."""

    taken_at: datetime | None
    time_of_day_s: float
    weekday: int
    """0 = Monday … 6 = Sunday, at the building."""
    lifts_out: tuple[str, ...] = ()
    """Lift cars out of service, with their reasons in :attr:`reasons`."""
    out_of_service: tuple[str, ...] = ()
    """Every device the twin reports out of service."""
    fire_floors: tuple[str, ...] = ()
    supplies_out: tuple[str, ...] = ()
    """Power equipment out of service."""
    mains_lost: bool = False
    backup_fed: frozenset[str] = frozenset()
    """Devices fed (directly or down the ``feeds`` chain) by a generator that is in service."""
    open_alarms: tuple[Any, ...] = ()
    reasons: dict[str, str] = field(default_factory=dict)
    """Why each device counts as out of service (``LIFT-3: mode inspection``)."""
    cars: dict[str, CarState] = field(default_factory=dict)
    """Every lift car the snapshot has, by id: its last reported state."""

    @property
    def fire_floor(self) -> str | None:
        return self.fire_floors[0] if self.fire_floors else None

    def alarm_age_s(self, floor: str) -> float | None:
        """Seconds between the first fire alarm on ``floor`` and the snapshot."""
        taken_ms = int(self.taken_at.timestamp() * 1000) if self.taken_at else None
        raised = [_get(a, "first_raised_ms") or _get(a, "raised_ms") for a in self.open_alarms
                  if _is_fire(a) and _get(a, "floor") == floor]
        raised = [r for r in raised if r is not None]
        if not raised or taken_ms is None:
            return None
        return max(0.0, (taken_ms - min(raised)) / 1000.0)


def occupancy_for_time(building: Building, taken_at: datetime | None) -> str | None:
    """The occupancy profile a time of day suggests, or None when the snapshot has no time.

    Night (22:00–07:00) is the night-time residential profile, for every use: offices and shops
    are closed then and homes full. By day: weekday office hours Monday–Friday, weekend profile
    on Saturday and Sunday. The shares behind each profile are in
    :data:`models.occupants.OCCUPANCY_PROFILES`.
    """
    if taken_at is None:
        return None
    if taken_at.hour >= 22 or taken_at.hour < 7:
        return "night_residential"
    return "weekday" if taken_at.weekday() < 5 else "weekend"


def local_start(conditions: LiveConditions, building: Building) -> datetime | None:
    """The snapshot's time at the building (its site's time zone when the snapshot's time carries an
    offset; an unknown zone keeps the snapshot's own), or None without a time: a model that starts
    from live state starts its clock there (``start_date`` = its date, ``start_s`` = its time of day)."""
    local = conditions.taken_at
    if local is None:
        return None
    tz = getattr(building.site, "timezone", None)
    if local.tzinfo is not None and tz:
        try:
            from zoneinfo import ZoneInfo

            local = local.astimezone(ZoneInfo(tz))
        except Exception:  # noqa: BLE001 - an unknown zone keeps the snapshot's own offset
            pass
    return local


def live_conditions(snapshot: Any, building: Building) -> LiveConditions:
    """Read a twin snapshot into the conditions every model understands."""
    taken_at = getattr(snapshot, "taken_at", None)
    equipment = dict(getattr(snapshot, "equipment", {}) or {})
    alarms = tuple(getattr(snapshot, "alarms", ()) or ())
    cars = {c.id for g in building.elevators for c in g.cars}
    power = [e for e in building.equipment if e.system == "power"]
    reasons: dict[str, str] = {}
    lifts_out: list[str] = []
    out: set[str] = set()
    car_states: dict[str, CarState] = {}
    for dev_id, eq in equipment.items():
        status = _get(eq, "status")
        values = _get(eq, "values") or {}
        mode = values.get("mode") if hasattr(values, "get") else None
        in_service = _get(eq, "in_service")
        if dev_id in cars:
            car_states[dev_id] = _car_state(values if hasattr(values, "get") else {}, status)
            if status in _STATUS_REASONS:
                reasons[dev_id] = _STATUS_REASONS[status]
            elif mode in LIFT_OUT_OF_SERVICE_MODES:
                reasons[dev_id] = f"mode {mode}"
            if dev_id in reasons:
                lifts_out.append(dev_id)
                out.add(dev_id)
                continue
        if in_service is False:
            out.add(dev_id)
            reasons.setdefault(dev_id, _STATUS_REASONS.get(status, "reports out of service"))
    fire = sorted((a for a in alarms if _is_fire(a) and _get(a, "active") is not False and _get(a, "floor")),
                  key=lambda a: _get(a, "first_raised_ms") or _get(a, "raised_ms") or 0)
    fire_floors: list[str] = []
    for a in fire:
        floor = _get(a, "floor")
        if floor in building.floor_by_id and floor not in fire_floors:
            fire_floors.append(floor)
    supplies_out = tuple(sorted(e.id for e in power if e.id in out))
    mains = [e.id for e in power if "transformer" in e.kind] or [e.id for e in power if "switchgear" in e.kind]
    generators = [e.id for e in power if "generator" in e.kind and e.id not in out]
    return LiveConditions(
        taken_at=taken_at,
        time_of_day_s=float(getattr(snapshot, "time_of_day_s", 0.0) or 0.0),
        weekday=taken_at.weekday() if taken_at else 0,
        lifts_out=tuple(sorted(lifts_out)),
        out_of_service=tuple(sorted(out)),
        fire_floors=tuple(fire_floors),
        supplies_out=supplies_out,
        mains_lost=bool(mains) and all(m in out for m in mains),
        backup_fed=fed_from(building, generators),
        open_alarms=alarms,
        reasons=reasons,
        cars=car_states,
    )


def _car_state(values: Any, status: Any) -> CarState:
    def num(name: str) -> float | None:
        try:
            return float(values.get(name))
        except (TypeError, ValueError):
            return None

    zone = values.get("in_door_zone")
    floor = values.get("floor")
    return CarState(floor=str(floor) if floor is not None else None, position_m=num("position_m"),
                    load_kg=num("load_kg"), motion=values.get("motion"), door=values.get("door"),
                    mode=values.get("mode"), in_door_zone=zone if isinstance(zone, bool) else None,
                    status=str(status) if status is not None else None)


def fed_from(building: Building, sources: list[str]) -> frozenset[str]:
    """Every device reachable from ``sources`` along the building file's ``feeds`` lists."""
    feeds = nx.DiGraph((e.id, fed) for e in building.equipment for fed in e.feeds)
    return frozenset().union(*(nx.descendants(feeds, s) for s in sources if s in feeds))


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _is_fire(alarm: Any) -> bool:
    rule = str(_get(alarm, "rule") or "")
    return any(rule == f"event:{t}" or rule == t for t in _FIRE_ALARM_TYPES) or \
        (_get(alarm, "system") == "fire" and _get(alarm, "zone") is not None)
