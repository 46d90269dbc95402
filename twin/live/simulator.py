"""A device simulator: a building's equipment publishing realistic telemetry over MQTT.

So that a fresh clone shows a live building, and so that the twin can be tested end to end,
every device of a building file publishes on its own topics as a real one would:

* **lift cars** run trips between the floors they serve — accelerating to rated speed,
  levelling, opening and closing doors, taking load on and off — and report ``floor``,
  ``position_m``, ``direction``, ``motion``, ``door``, ``load_kg``, ``in_door_zone``, ``mode``;
* **pumps** hold their outlet pressure while speed, flow and power follow the day's demand;
* **switchgear and transformers** report voltage, current, power, power factor and frequency;
* **meters** count electricity (``energy_kwh``) or water (``volume_m3``) cumulatively;
* the **fire alarm panel** reports each detection zone; **AHUs** their air temperatures,
  fan speed and filter pressure; lighting, tanks and the rest what such devices report.

Faults are injected on a schedule (``--fault LIFT-2:entrapment@60s``) or by command on the
device's ``cmd`` topic, and behave as the real fault would: an entrapped car stops between
floors with people inside and its alarm button is pressed; a tripped pump stops and pressure
falls; a power loss stops everything its supply feeds; a fire alarm in a zone latches the zone
and recalls the lifts. Fault spec: ``DEVICE:KIND[=ARG][@AT][+FOR]`` with times such as ``90``,
``90s``, ``2m``, ``1h30m``.

:class:`DeviceSimulator` is the pure model (step it, get messages); :class:`SimulatorRunner`
publishes its messages to a broker in real time.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from twin.errors import SpecError
from twin.live.devices import CAR_KIND, DeviceInfo, device_catalogue
from twin.live.topics import TOPIC_ROOT, device_topic, parse_topic
from twin.live.values import Clock, wall_ms
from twin.spec import Building, ElevatorCar

__all__ = ["Fault", "FAULT_KINDS", "parse_fault", "parse_duration", "Outgoing", "DeviceSimulator", "SimulatorRunner"]

log = logging.getLogger(__name__)

FAULT_KINDS = {
    "entrapment": "a lift car stops between floors with passengers inside (lifts)",
    "trip": "a motor or breaker trips: pumps, fans, switchgear",
    "low_pressure": "a pump runs but cannot hold its outlet pressure (pumps)",
    "power_loss": "a supply is lost, and everything it feeds stops (power equipment)",
    "fire_alarm": "a detection zone goes into alarm; ARG is the zone (fire alarm panel)",
    "offline": "the device says offline and goes silent",
    "silent": "the device stops reporting without a word (it goes stale)",
}
LIFT_EVENT_DELAY_S = 10.0  # passengers press the alarm button a little after the car stops
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s?)?$")
_FAULT = re.compile(r"^(?P<device>[A-Za-z0-9_-]+):(?P<kind>[a-z_]+)(?:=(?P<arg>[A-Za-z0-9_-]+))?"
                    r"(?:@(?P<at>[0-9.hms]+))?(?:\+(?P<for>[0-9.hms]+))?$")


class Outgoing(NamedTuple):
    """One message to publish."""

    topic: str
    payload: bytes
    qos: int
    retain: bool


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``2m``, ``1h30m`` → seconds; ValueError otherwise."""
    m = _DURATION.match(text.strip())
    if not text.strip() or not m or not any(m.groups()):
        raise ValueError(f"{text!r} is not a duration such as 90, 90s, 2m or 1h30m")
    h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return h * 3600 + mi * 60 + s


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault to inject: on which device, what, when (s after start) and for how long."""

    device: str
    kind: str
    arg: str | None = None
    at_s: float = 0.0
    duration_s: float | None = None

    def __str__(self) -> str:
        return (f"{self.device}:{self.kind}" + (f"={self.arg}" if self.arg else "") + f"@{self.at_s:g}s"
                + (f"+{self.duration_s:g}s" if self.duration_s is not None else ""))


def _fault_applies(kind: str, info: DeviceInfo) -> str | None:
    """Why a fault kind does not apply to a device, or None when it does."""
    k = info.kind.lower()
    if kind == "entrapment" and info.system != "elevator":
        return "entrapment applies to lift cars"
    if kind == "low_pressure" and "pump" not in k:
        return "low_pressure applies to pumps"
    if kind == "power_loss" and info.system != "power":
        return "power_loss applies to power equipment (transformers, switchgear…)"
    if kind == "fire_alarm" and not info.zones:
        return "fire_alarm applies to a fire alarm panel with zones"
    if kind == "trip" and not ("pump" in k or info.system in ("hvac", "power")):
        return "trip applies to pumps, fans/AHUs and switchgear"
    return None


def parse_fault(spec: str, building: Building) -> Fault:
    """Parse ``DEVICE:KIND[=ARG][@AT][+FOR]`` against a building; SpecError naming what is wrong."""
    def bad(message: str) -> SpecError:
        return SpecError.single("--fault", repr(spec), message)

    m = _FAULT.match(spec.strip())
    if not m:
        raise bad("expected DEVICE:KIND[=ARG][@AT][+FOR], e.g. LIFT-2:entrapment@60s or FAP-1:fire_alarm=Z12@2m")
    devices = device_catalogue(building)
    device, kind, arg = m["device"], m["kind"], m["arg"]
    if device not in devices:
        raise bad(f"unknown device {device!r} in building {building.id!r}")
    if kind not in FAULT_KINDS:
        raise bad(f"unknown fault {kind!r}; faults: {', '.join(FAULT_KINDS)}")
    info = devices[device]
    why = _fault_applies(kind, info)
    if why:
        raise bad(f"{why}; {device!r} is a {info.system} {info.kind!r}")
    if kind == "fire_alarm":
        arg = arg or info.zones[0]
        if arg not in info.zones:
            raise bad(f"zone {arg!r} is not a zone of {device!r} (zones: {', '.join(info.zones)})")
    elif arg is not None:
        raise bad(f"fault {kind!r} takes no =ARG")
    try:
        at_s = parse_duration(m["at"]) if m["at"] else 0.0
        duration = parse_duration(m["for"]) if m["for"] else None
    except ValueError as exc:
        raise bad(str(exc)) from None
    return Fault(device, kind, arg, at_s, duration)


# --- device models ----------------------------------------------------------------------------

@dataclass
class _Env:
    """What devices share: time of day, demand, which supplies are lost, whether fire is called."""

    hour: float = 12.0
    hour_of_year: int = 0
    demand: float = 0.5
    outdoor_c: float = 20.0
    unpowered: frozenset[str] = frozenset()
    fire_alarm: bool = False


def _demand(hour: float) -> float:
    """A residential day: low at night, peaks around 07:30 and 19:30 (0…1)."""
    peak = math.exp(-((hour - 7.5) / 1.5) ** 2) + 0.9 * math.exp(-((hour - 19.5) / 2.0) ** 2)
    return min(1.0, 0.15 + 0.25 * (8 <= hour <= 18) + 0.7 * peak)


class _Model:
    """One simulated device."""

    def __init__(self, info: DeviceInfo, rated: dict[str, float], rng: np.random.Generator):
        self.info = info
        self.rated = rated
        self.rng = rng
        self.faults: dict[str, str | None] = {}

    def noise(self, scale: float) -> float:
        return float(self.rng.normal(0.0, scale))

    def step(self, dt: float, env: _Env) -> None:
        """Advance the physics by ``dt`` seconds."""

    def values(self, env: _Env) -> dict[str, Any]:
        return {"state": "normal"}

    def fault_started(self, kind: str, arg: str | None, env: _Env) -> list[dict]:
        """Apply a fault; return device events it causes at once."""
        self.faults[kind] = arg
        return []

    def fault_ended(self, kind: str, arg: str | None, env: _Env) -> list[dict]:
        self.faults.pop(kind, None)
        return []

    def delayed_events(self, dt: float) -> list[dict]:
        return []


class _Lift(_Model):
    def __init__(self, info: DeviceInfo, car: ElevatorCar, building: Building, rng: np.random.Generator):
        super().__init__(info, {}, rng)
        self.car = car
        served = sorted(car.floors_served, key=lambda f: building.floor_by_id[f].elevation_m)
        self.floors = [(f, building.floor_by_id[f].elevation_m) for f in served]
        home = car.home_floor or served[0]
        self.position = building.floor_by_id[home].elevation_m
        self.speed = 0.0
        self.target: float | None = None
        self.door = "closed"
        self.door_timer = 0.0
        self.dwell = 0.0
        self.load = 0.0
        self.mode = "normal"
        self.call_in: float | None = None
        self.pending_events: list[tuple[float, dict]] = []

    def nearest(self) -> tuple[str, float]:
        return min(self.floors, key=lambda f: abs(f[1] - self.position))

    def step(self, dt: float, env: _Env) -> None:
        powered = self.info.id not in env.unpowered
        if "entrapment" in self.faults:
            self.speed = 0.0
            return
        if not powered:
            self.speed, self.target = 0.0, None
            self.mode = "power_loss"
            return
        if self.mode == "power_loss":
            self.mode = "normal"
        if env.fire_alarm and self.mode != "fire_recall":
            self.mode = "fire_recall"
            self.target = self.floors[0][1]
            if self.door != "closed":
                self.door, self.door_timer = "closing", self.car.door_close_s
        elif not env.fire_alarm and self.mode == "fire_recall":
            self.mode = "normal"
        if self.door in ("opening", "closing"):
            self.door_timer -= dt
            if self.door_timer <= 0:
                self.door = "open" if self.door == "opening" else "closed"
                if self.door == "open":
                    self.dwell = float(self.rng.uniform(3.0, 7.0))
                    self.exchange_passengers()
            return
        if self.door == "open":
            if self.mode == "fire_recall":
                return  # parked at the recall floor, doors open
            self.dwell -= dt
            if self.dwell <= 0:
                self.door, self.door_timer = "closing", self.car.door_close_s
            return
        if self.target is None:
            if self.mode == "normal" and self.rng.random() < dt * (0.05 + 0.25 * env.demand):
                choices = [e for _, e in self.floors if abs(e - self.position) > 0.05]
                self.target = float(self.rng.choice(choices))
            return
        self.move(dt)

    def move(self, dt: float) -> None:
        assert self.target is not None
        remaining = self.target - self.position
        direction = 1.0 if remaining > 0 else -1.0
        a, v_max = self.car.acceleration_mps2, self.car.rated_speed_mps
        v_stop = math.sqrt(max(0.0, 2 * a * abs(remaining)))
        self.speed = min(v_max, abs(self.speed) + a * dt, v_stop + a * dt * 0.5)
        travel = self.speed * dt
        if travel >= abs(remaining) - 0.005:
            self.position, self.speed, self.target = self.target, 0.0, None
            self.door, self.door_timer = "opening", self.car.door_open_s
        else:
            self.position += direction * travel

    def exchange_passengers(self) -> None:
        leaving = self.load * float(self.rng.uniform(0.3, 1.0))
        boarding = 75.0 * int(self.rng.integers(0, 5))
        self.load = max(0.0, min(self.car.capacity_kg * 0.9, self.load - leaving + boarding))
        if self.load < 40:
            self.load = 0.0

    def values(self, env: _Env) -> dict[str, Any]:
        floor, elevation = self.nearest()
        moving = self.target is not None and self.speed > 0
        direction = "none"
        if moving:
            direction = "up" if self.target > self.position else "down"  # type: ignore[operator]
        return {
            "floor": floor, "position_m": round(self.position, 3), "speed_mps": round(self.speed, 2),
            "direction": direction, "motion": "moving" if moving else "stopped", "door": self.door,
            "load_kg": round(self.load, 1), "in_door_zone": abs(self.position - elevation) <= 0.2,
            "mode": self.mode,
        }

    def fault_started(self, kind: str, arg: str | None, env: _Env) -> list[dict]:
        super().fault_started(kind, arg, env)
        if kind == "entrapment":
            # Stop between the nearest floor and its neighbour, with people inside.
            names = [e for _, e in self.floors]
            _, here = self.nearest()
            i = names.index(here)
            other = names[i + 1] if i + 1 < len(names) else names[i - 1]
            self.position = (here + other) / 2 if self.target is None else self.position
            if abs(self.position - self.nearest()[1]) <= 0.2:
                self.position = (here + other) / 2
            self.speed, self.target, self.door, self.mode = 0.0, None, "closed", "fault"
            self.load = max(self.load, 75.0 * int(self.rng.integers(1, 5)))
            self.pending_events.append((LIFT_EVENT_DELAY_S, {
                "type": "entrapment", "severity": "critical", "active": True,
                "message": "alarm button pressed in the car"}))
        return []

    def fault_ended(self, kind: str, arg: str | None, env: _Env) -> list[dict]:
        super().fault_ended(kind, arg, env)
        if kind == "entrapment":
            below = max((e for _, e in self.floors if e <= self.position), default=self.floors[0][1])
            self.position, self.mode = below, "normal"
            self.door, self.door_timer = "opening", self.car.door_open_s
            self.pending_events = [p for p in self.pending_events if p[1].get("type") != "entrapment"]
            return [{"type": "entrapment", "severity": "critical", "active": False,
                     "message": "passengers released"}]
        return []

    def delayed_events(self, dt: float) -> list[dict]:
        due, keep = [], []
        for remaining, event in self.pending_events:
            remaining -= dt
            (due if remaining <= 0 else keep).append((remaining, event))
        self.pending_events = keep
        return [e for _, e in due]


class _Pump(_Model):
    def __init__(self, info: DeviceInfo, rated: dict[str, float], rng: np.random.Generator):
        super().__init__(info, rated, rng)
        self.flow_rated = rated.get("flow_m3h", 20.0)
        self.power_rated = rated.get("power_kw", 7.5)
        self.setpoint = rated.get("head_m", 60.0) * 9.80665
        k = info.kind.lower()
        self.standby = "fire" in k or "standby" in k
        self.intermittent = "sump" in k or "drainage" in k
        self.rpm = rated.get("speed_rpm", 2950.0)
        self.pressure = self.setpoint
        self.speed = 0.0 if self.standby else 70.0
        self.cycle_s = float(rng.uniform(0, 600))

    def step(self, dt: float, env: _Env) -> None:
        powered = self.info.id not in env.unpowered
        static = 0.25 * self.setpoint
        if "trip" in self.faults or not powered:
            self.speed = 0.0
            target = static
        elif self.standby:
            self.speed, target = 0.0, self.setpoint
        elif self.intermittent:
            self.cycle_s = (self.cycle_s + dt) % 600  # runs 2 minutes in 10 to empty its pit
            self.speed = 100.0 if self.cycle_s < 120 else 0.0
            target = self.setpoint if self.speed else 0.0
        elif "low_pressure" in self.faults:
            self.speed, target = 100.0, 0.2 * self.setpoint
        else:
            self.speed = min(100.0, max(30.0, 50 + 45 * env.demand + self.noise(1.5)))
            target = self.setpoint * (1 + self.noise(0.01))
        self.pressure += (target - self.pressure) * min(1.0, dt / 8.0)

    def values(self, env: _Env) -> dict[str, Any]:
        powered = self.info.id not in env.unpowered
        running = self.speed > 0
        if "trip" in self.faults:
            run_state = "tripped"
        elif not powered:
            run_state = "stopped"
        else:
            run_state = "running" if running else "standby"
        flow = self.flow_rated * (self.speed / 100) * (0.6 + 0.4 * env.demand) if running else 0.0
        if "low_pressure" in self.faults:
            flow *= 0.3
        power = self.power_rated * (self.speed / 100) ** 3 * 0.95 if running else 0.0
        if self.intermittent and powered and "trip" not in self.faults and not running:
            run_state = "stopped"
        return {"run_state": run_state, "speed_pct": round(self.speed, 1), "speed_rpm": round(self.rpm * self.speed / 100),
                "outlet_pressure_kpa": round(self.pressure, 1), "flow_m3h": round(max(0.0, flow), 2),
                "power_kw": round(max(0.0, power), 2)}

    def fault_started(self, kind: str, arg: str | None, env: _Env) -> list[dict]:
        super().fault_started(kind, arg, env)
        if kind == "trip":
            return [{"type": "pump_trip", "severity": "major", "active": True, "message": "motor overload trip"}]
        return []

    def fault_ended(self, kind: str, arg: str | None, env: _Env) -> list[dict]:
        super().fault_ended(kind, arg, env)
        if kind == "trip":
            return [{"type": "pump_trip", "severity": "major", "active": False, "message": "reset"}]
        return []


class _Power(_Model):
    def __init__(self, info: DeviceInfo, rated: dict[str, float], rng: np.random.Generator):
        super().__init__(info, rated, rng)
        self.capacity_kw = _rated_power_kw(rated, 500.0)
        k = info.kind.lower()
        self.generator = "generator" in k
        self.transfer = "transfer" in k
        # A transformer reports its secondary (LV) side; other gear its own voltage.
        kv = rated.get("secondary_voltage_kv") or (None if "transformer" in k else rated.get("voltage_kv"))
        self.nominal_v = rated.get("voltage_v") or (kv * 1000 if kv else 400.0)

    def values(self, env: _Env) -> dict[str, Any]:
        lost = "power_loss" in self.faults or "trip" in self.faults or self.info.id in env.unpowered
        if self.generator:
            running = bool(env.unpowered)
            load = self.capacity_kw * 0.3 if running else 0.0
            return {"run_state": "running" if running else "standby",
                    "voltage_v": round(self.nominal_v * (1 + self.noise(0.003)), 1) if running else 0.0,
                    "power_kw": round(load, 1), "frequency_hz": 50.0 if running else 0.0}
        if self.transfer:
            source = "generator" if env.unpowered else "mains"
            return {"source": source, "voltage_v": round(self.nominal_v * (1 + self.noise(0.004)), 1),
                    "breaker": "closed"}
        if lost:
            return {"voltage_v": 0.0, "current_a": 0.0, "power_kw": 0.0, "power_factor": 0.0, "frequency_hz": 0.0,
                    "breaker": "tripped" if "trip" in self.faults else "closed"}
        power = self.capacity_kw * (0.2 + 0.4 * env.demand) * (1 + self.noise(0.02))
        voltage = self.nominal_v * (1 + self.noise(0.004))
        pf = min(0.99, 0.95 + self.noise(0.01))
        current = power * 1000 / (math.sqrt(3) * voltage * pf)
        return {"voltage_v": round(voltage, 1), "current_a": round(current, 1), "power_kw": round(power, 1),
                "power_factor": round(pf, 3), "frequency_hz": round(50 + self.noise(0.01), 3), "breaker": "closed"}

    def fault_started(self, kind: str, arg: str | None, env: _Env) -> list[dict]:
        super().fault_started(kind, arg, env)
        if kind == "power_loss":
            return [{"type": "power_loss", "severity": "critical", "active": True, "message": "incoming voltage 0 V"}]
        if kind == "trip":
            return [{"type": "breaker_trip", "severity": "major", "active": True, "message": "overcurrent protection operated"}]
        return []

    def fault_ended(self, kind: str, arg: str | None, env: _Env) -> list[dict]:
        super().fault_ended(kind, arg, env)
        name = {"power_loss": "power_loss", "trip": "breaker_trip"}.get(kind)
        sev = "critical" if kind == "power_loss" else "major"
        return [{"type": name, "severity": sev, "active": False, "message": "restored"}] if name else []


class _Meter(_Model):
    profile: np.ndarray | None = None
    """Mean kW (m³/h for water) by hour of the year (local time, 8,760 values), injected from a higher layer
    (:class:`DeviceSimulator`'s ``meter_profiles``: the energy model's year); None: the day's demand shape."""

    def __init__(self, info: DeviceInfo, rated: dict[str, float], rng: np.random.Generator):
        super().__init__(info, rated, rng)
        k = info.kind.lower()
        self.water = "water" in k or info.system == "water" or "gas" in k
        self.total = float(rng.uniform(1_000, 50_000)) if self.water else float(rng.uniform(10_000, 500_000))
        self.rate = rated.get("flow_m3h", 6.0) if self.water else _rated_power_kw(rated, 80.0) * 0.5
        self.now_rate = 0.0

    def step(self, dt: float, env: _Env) -> None:
        base = self.rate * (0.2 + 0.8 * env.demand) if self.profile is None else \
            float(self.profile[env.hour_of_year % len(self.profile)])
        self.now_rate = 0.0 if self.info.id in env.unpowered and not self.water else \
            max(0.0, base * (1 + self.noise(0.05)))
        self.total += self.now_rate * dt / 3600

    def values(self, env: _Env) -> dict[str, Any]:
        if self.water:
            return {"volume_m3": round(self.total, 4), "flow_m3h": round(self.now_rate, 3)}
        return {"energy_kwh": round(self.total, 4), "power_kw": round(self.now_rate, 2)}


class _FirePanel(_Model):
    def __init__(self, info: DeviceInfo, rated: dict[str, float], rng: np.random.Generator):
        super().__init__(info, rated, rng)
        self.alarm_zones: set[str] = set()

    def values(self, env: _Env) -> dict[str, Any]:
        out: dict[str, Any] = {"panel": "alarm" if self.alarm_zones else "normal",
                               "zones_in_alarm": len(self.alarm_zones)}
        for zone in self.info.zones:
            out[f"zone_{zone}"] = "alarm" if zone in self.alarm_zones else "normal"
        return out

    def fault_started(self, kind: str, arg: str | None, env: _Env) -> list[dict]:
        if kind == "fire_alarm" and arg:
            self.alarm_zones.add(arg)
            return [{"type": "fire_alarm", "severity": "critical", "active": True, "zone": arg,
                     "message": "smoke detector activated"}]
        return super().fault_started(kind, arg, env)

    def fault_ended(self, kind: str, arg: str | None, env: _Env) -> list[dict]:
        if kind == "fire_alarm" and arg:
            self.alarm_zones.discard(arg)
            return [{"type": "fire_alarm", "severity": "critical", "active": False, "zone": arg,
                     "message": f"zone {arg} reset"}]
        return super().fault_ended(kind, arg, env)


class _FanDriven(_Model):
    """Equipment driven by a fan (AHUs, fans): a trip fault is announced as a ``fan_trip`` event."""

    def fault_started(self, kind: str, arg: str | None, env: _Env) -> list[dict]:
        super().fault_started(kind, arg, env)
        return [{"type": "fan_trip", "severity": "major", "active": True}] if kind == "trip" else []

    def fault_ended(self, kind: str, arg: str | None, env: _Env) -> list[dict]:
        super().fault_ended(kind, arg, env)
        return [{"type": "fan_trip", "severity": "major", "active": False}] if kind == "trip" else []


class _Hvac(_FanDriven):
    def __init__(self, info: DeviceInfo, rated: dict[str, float], rng: np.random.Generator):
        super().__init__(info, rated, rng)
        self.chiller = "chiller" in info.kind.lower()
        self.tower = "cooling_tower" in info.kind.lower()
        self.supply = 17.0
        self.filter_dp = float(rng.uniform(90, 160))

    def step(self, dt: float, env: _Env) -> None:
        running = "trip" not in self.faults and self.info.id not in env.unpowered
        target = (16.0 if env.outdoor_c > 20 else 20.0) if running else max(env.outdoor_c, 24.0) + 6.0
        self.supply += (target - self.supply) * min(1.0, dt / 60.0) + self.noise(0.02)
        if running:
            self.filter_dp += dt * 0.0005

    def values(self, env: _Env) -> dict[str, Any]:
        running = "trip" not in self.faults and self.info.id not in env.unpowered
        run_state = "tripped" if "trip" in self.faults else ("running" if running else "stopped")
        power = self.rated.get("power_kw", 15.0) * (0.4 + 0.5 * env.demand) if running else 0.0
        if self.tower:
            return {"run_state": run_state, "cw_supply_c": round(29.5 + self.noise(0.2), 2),
                    "cw_return_c": round(34.5 + self.noise(0.2), 2),
                    "fan_speed_pct": round(40 + 50 * env.demand, 1) if running else 0.0, "power_kw": round(power, 1)}
        if self.chiller:
            return {"run_state": run_state, "chw_supply_c": round(7.0 + self.noise(0.1) if running else 14.0, 2),
                    "chw_return_c": round(12.0 + self.noise(0.15), 2), "power_kw": round(power, 1)}
        return {"run_state": run_state, "supply_air_c": round(self.supply, 2),
                "return_air_c": round(24.0 + self.noise(0.2), 2), "outdoor_air_c": round(env.outdoor_c, 2),
                "fan_speed_pct": round(60 + 25 * env.demand + self.noise(1.0), 1) if running else 0.0,
                "filter_dp_pa": round(self.filter_dp, 1), "power_kw": round(power, 1)}


class _Fan(_FanDriven):
    """Fans: exhaust fans run by day; stair pressurisation and smoke fans stand by for a fire alarm."""

    def __init__(self, info: DeviceInfo, rated: dict[str, float], rng: np.random.Generator):
        super().__init__(info, rated, rng)
        k = info.kind.lower()
        self.life_safety = "pressuris" in k or "smoke" in k

    def values(self, env: _Env) -> dict[str, Any]:
        powered = self.info.id not in env.unpowered
        if "trip" in self.faults:
            run_state = "tripped"
        elif not powered:
            run_state = "stopped"
        elif self.life_safety:
            run_state = "running" if env.fire_alarm else "standby"
        else:
            run_state = "running" if 6.0 <= env.hour < 23.0 else "stopped"
        speed = (100.0 if self.life_safety else 50 + 40 * env.demand + self.noise(1.0)) if run_state == "running" else 0.0
        power = self.rated.get("power_kw", 5.5) * (speed / 100) ** 3
        return {"run_state": run_state, "speed_pct": round(speed, 1), "power_kw": round(power, 2)}


class _Lighting(_Model):
    def values(self, env: _Env) -> dict[str, Any]:
        if "emergency" in self.info.kind.lower():
            mains = self.info.id not in env.unpowered
            return {"state": "standby" if mains else "on", "battery_pct": 100.0 if mains else 95.0}
        on = self.info.id not in env.unpowered and (env.hour >= 17.5 or env.hour < 7.0)
        power = self.rated.get("power_kw", 2.0) if on else 0.0
        return {"state": "on" if on else "off", "power_kw": round(power, 2)}


class _Tank(_Model):
    def __init__(self, info: DeviceInfo, rated: dict[str, float], rng: np.random.Generator):
        super().__init__(info, rated, rng)
        self.level = float(rng.uniform(65, 90))
        self.filling = False

    def step(self, dt: float, env: _Env) -> None:
        self.level -= dt * 0.01 * (0.3 + env.demand)
        if self.level < 60:
            self.filling = True
        if self.filling:
            self.level += dt * 0.03
            if self.level >= 95:
                self.filling = False

    def values(self, env: _Env) -> dict[str, Any]:
        volume = self.rated.get("volume_m3", 50.0) * self.level / 100
        return {"level_pct": round(self.level, 2), "volume_m3": round(volume, 2),
                "inlet_valve": "open" if self.filling else "closed"}


def _rated_power_kw(rated: dict[str, float], default: float) -> float:
    """A device's rated power from whichever nameplate figure the building file gives."""
    if rated.get("power_kw"):
        return rated["power_kw"]
    kva = rated.get("power_kva") or rated.get("rating_kva")
    if kva:
        return 0.9 * kva
    if rated.get("demand_kw"):
        return rated["demand_kw"]
    kv = rated.get("voltage_kv") or rated.get("secondary_voltage_kv")
    amps = rated.get("current_a") or rated.get("busbar_current_a")
    if kv and amps:
        return math.sqrt(3) * kv * amps * 0.9 * 0.5  # half the feeder's capacity on average
    return default


def _make_model(info: DeviceInfo, building: Building, rng: np.random.Generator) -> _Model:
    if info.kind == CAR_KIND:
        return _Lift(info, building.car_by_id[info.id], building, rng)
    rated = dict(building.equipment_by_id[info.id].rated)
    k = info.kind.lower()
    if info.zones:
        return _FirePanel(info, rated, rng)
    if "pump" in k:
        return _Pump(info, rated, rng)
    if "meter" in k or info.system == "meter":
        return _Meter(info, rated, rng)
    if "tank" in k or "cistern" in k:
        return _Tank(info, rated, rng)
    if info.system == "power":
        return _Power(info, rated, rng)
    if info.system == "hvac" and "fan" in k:
        return _Fan(info, rated, rng)
    if info.system == "hvac":
        return _Hvac(info, rated, rng)
    if info.system == "lighting":
        return _Lighting(info, rated, rng)
    return _Model(info, rated, rng)


# --- the simulator ----------------------------------------------------------------------------

def _dumps(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


class DeviceSimulator:
    """Every device of a building, simulated; step it and publish what it returns.

    ``rate_hz`` sets how often each device publishes its state (default: each equipment's own
    ``interval_s``; lift cars once a second). Faults come from ``faults`` (a schedule) or from
    :meth:`inject` and the devices' ``cmd`` topics. ``meter_profiles`` (meter id → mean kW, or m³/h,
    for each hour of the year in local time) drive those meters instead of the day's demand shape,
    with 5 % noise: the live service and ``twin simulate`` pass the energy model's year
    (``models.energy.live_meters``) — given from above, since ``twin`` never imports ``models``.
    """

    def __init__(self, building: Building, *, rate_hz: float | None = None, faults: Iterable[Fault] = (),
                 seed: int = 0, clock: Clock = wall_ms, meter_profiles: Mapping[str, Sequence[float]] | None = None):
        if rate_hz is not None and not (0 < rate_hz <= 100):
            raise ValueError(f"rate must be between 0 and 100 messages per second per device, got {rate_hz}")
        self.building = building
        self.clock = clock
        self.devices = device_catalogue(building)
        rng = np.random.default_rng(seed)
        self.models = {ident: _make_model(info, building, np.random.default_rng(rng.integers(2**63)))
                       for ident, info in self.devices.items()}
        self.interval = {ident: (1.0 / rate_hz if rate_hz else (1.0 if info.kind == CAR_KIND else info.interval_s))
                         for ident, info in self.devices.items()}
        self.due = {ident: float(rng.uniform(0, min(1.0, self.interval[ident]))) for ident in self.devices}
        self.seq = {ident: 0 for ident in self.devices}
        self.schedule = sorted(faults, key=lambda f: f.at_s)
        self.active: dict[tuple[str, str, str | None], float | None] = {}
        self.t_s = 0.0
        self.env = _Env()
        self.feeds = {e.id: tuple(e.feeds) for e in building.equipment}
        for ident, profile in (meter_profiles or {}).items():
            if not isinstance(self.models.get(ident), _Meter):
                raise ValueError(f"meter profile for {ident!r}: the building has no such meter")
            self.models[ident].profile = np.asarray(profile, dtype=float)  # type: ignore[attr-defined]
        try:
            self.tz: Any = ZoneInfo(building.site.timezone)
        except Exception:
            self.tz = timezone.utc
        self.published = 0

    def topic(self, device: str, channel: str) -> str:
        return device_topic(self.building.id, self.devices[device].system, device, channel)

    @property
    def command_filter(self) -> str:
        return f"{TOPIC_ROOT}/{self.building.id}/+/+/cmd"

    # --- the run -----------------------------------------------------------------------------

    def start(self) -> list[Outgoing]:
        """Birth of every device: attributes and ``online`` (retained), then its first state."""
        now = self.clock()
        out: list[Outgoing] = []
        self._update_env(now)
        for ident, info in self.devices.items():
            # A lift car reports where it is in its state (floor, position_m); its attributes name its home.
            where = {"home_floor": info.floor} if info.system == "elevator" else {"floor": info.floor}
            attributes = {"kind": info.kind, "system": info.system, **where, "simulated": True}
            if ident in self.building.equipment_by_id:
                attributes["rated"] = dict(self.building.equipment_by_id[ident].rated)
            out.append(Outgoing(self.topic(ident, "attributes"), _dumps(attributes), 1, True))
            out.append(Outgoing(self.topic(ident, "status"), b"online", 1, True))
        return out + self.advance(0.0)

    def stop(self) -> list[Outgoing]:
        """Every device says ``offline`` (retained)."""
        return [Outgoing(self.topic(ident, "status"), b"offline", 1, True) for ident in self.devices]

    def advance(self, dt_s: float) -> list[Outgoing]:
        """Advance ``dt_s`` seconds: faults due start or end, physics, then the states due."""
        now_ms = self.clock()
        self.t_s += dt_s
        out: list[Outgoing] = []
        while self.schedule and self.schedule[0].at_s <= self.t_s:
            out += self.inject(self.schedule.pop(0))
        for key, end in list(self.active.items()):
            if end is not None and self.t_s >= end:
                out += self.clear(key[0], key[1], key[2])
        self._update_env(now_ms)
        for ident, model in self.models.items():
            model.step(dt_s, self.env)
            for event in model.delayed_events(dt_s):
                out.append(self._event(ident, event, now_ms))
        for ident, model in self.models.items():
            if self.t_s + 1e-9 < self.due[ident]:
                continue
            self.due[ident] = max(self.due[ident] + self.interval[ident], self.t_s)
            faults = model.faults
            if "offline" in faults or "silent" in faults:
                continue
            self.seq[ident] += 1
            doc = {"ts": now_ms, "seq": self.seq[ident], "values": model.values(self.env), "quality": "good"}
            out.append(Outgoing(self.topic(ident, "state"), _dumps(doc), 0, True))
        self.published += len(out)
        return out

    def _update_env(self, now_ms: int) -> None:
        local = datetime.fromtimestamp(now_ms / 1000, self.tz)
        hour = local.hour + local.minute / 60 + local.second / 3600
        self.env.hour = hour
        self.env.hour_of_year = (local.timetuple().tm_yday - 1) * 24 + local.hour
        self.env.demand = _demand(hour)
        self.env.outdoor_c = 18.0 + 8.0 * math.sin(2 * math.pi * (hour - 9.0) / 24.0)
        self.env.fire_alarm = any(k[1] == "fire_alarm" for k in self.active)
        self.env.unpowered = self._unpowered()

    def _unpowered(self) -> frozenset[str]:
        lost = [k[0] for k in self.active if k[1] in ("power_loss",) or
                (k[1] == "trip" and self.devices[k[0]].system == "power")]
        seen: set[str] = set()
        stack = list(lost)
        while stack:
            for fed in self.feeds.get(stack.pop(), ()):
                if fed not in seen:
                    seen.add(fed)
                    stack.append(fed)
        return frozenset(seen)

    def _event(self, device: str, event: dict, now_ms: int) -> Outgoing:
        return Outgoing(self.topic(device, "event"), _dumps({**event, "ts": now_ms}), 1, False)

    # --- faults ------------------------------------------------------------------------------

    def inject(self, fault: Fault) -> list[Outgoing]:
        """Start a fault now (its ``at_s`` is ignored here); returns the messages it causes."""
        now_ms = self.clock()
        key = (fault.device, fault.kind, fault.arg)
        self.active[key] = None if fault.duration_s is None else self.t_s + fault.duration_s
        self._update_env(now_ms)
        model = self.models[fault.device]
        out = [self._event(fault.device, e, now_ms) for e in model.fault_started(fault.kind, fault.arg, self.env)]
        if fault.kind == "offline":
            out.append(Outgoing(self.topic(fault.device, "status"), b"offline", 1, True))
        log.info("fault started: %s", fault)
        return out

    def clear(self, device: str, kind: str, arg: str | None = None) -> list[Outgoing]:
        """End a fault; returns the messages it causes."""
        now_ms = self.clock()
        keys = [k for k in self.active if k[0] == device and k[1] == kind and (arg is None or k[2] == arg)]
        out: list[Outgoing] = []
        for key in keys:
            del self.active[key]
            self._update_env(now_ms)
            out += [self._event(device, e, now_ms) for e in self.models[device].fault_ended(kind, key[2], self.env)]
            if kind == "offline":
                out.append(Outgoing(self.topic(device, "status"), b"online", 1, True))
            self.due[device] = self.t_s
        return out

    def command(self, topic: str, payload: bytes) -> list[Outgoing]:
        """Handle a ``cmd`` message: ``{"id": .., "fault": KIND, "arg": .., "duration_s": ..}`` or
        ``{"id": .., "clear": KIND}``; always answers on ``cmd/ack``."""
        try:
            parsed = parse_topic(topic)
        except ValueError:
            return []
        device = parsed.device
        if parsed.building != self.building.id or device not in self.devices or parsed.channel != "cmd":
            return []
        ack_topic = self.topic(device, "cmd/ack")
        try:
            doc = json.loads(payload)
            if not isinstance(doc, dict):
                raise ValueError("a command is a JSON object")
        except ValueError as exc:
            return [Outgoing(ack_topic, _dumps({"id": None, "ok": False, "message": f"bad command: {exc}"}), 1, False)]
        cid = doc.get("id")
        try:
            if "fault" in doc:
                spec = f"{device}:{doc['fault']}" + (f"={doc['arg']}" if doc.get("arg") else "")
                if doc.get("duration_s") is not None:
                    spec += f"+{float(doc['duration_s']):g}s"
                fault = parse_fault(spec, self.building)
                out = self.inject(fault)
                message = f"fault {fault.kind} started"
            elif "clear" in doc:
                out = self.clear(device, str(doc["clear"]))
                message = f"fault {doc['clear']} cleared"
            else:
                raise ValueError("a command has 'fault' or 'clear'")
        except (SpecError, ValueError) as exc:
            return [Outgoing(ack_topic, _dumps({"id": cid, "ok": False, "message": str(exc)}), 1, False)]
        return out + [Outgoing(ack_topic, _dumps({"id": cid, "ok": True, "message": message, "ts": self.clock()}),
                               1, False)]


class SimulatorRunner:
    """Publishes a :class:`DeviceSimulator` to a broker in real time, on its own thread."""

    def __init__(self, simulator: DeviceSimulator, settings: Any, *, tick_s: float = 0.1,
                 client_id: str | None = None):
        self.simulator = simulator
        self.settings = settings
        self.tick_s = tick_s
        self.client_id = client_id or f"twin-sim-{simulator.building.id}-{int(time.time() * 1000) % 10**8}"
        self._commands: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connected = threading.Event()
        self.client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        protocol = mqtt.MQTTv5 if s.protocol == 5 else mqtt.MQTTv311
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=protocol)
        if s.username:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            from twin.live.bridge import tls_context

            client.tls_set_context(tls_context(s))
        client.max_inflight_messages_set(1000)
        client.reconnect_delay_set(0.5, 10)  # type: ignore[arg-type]
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        return client

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        try:
            if not getattr(reason, "is_failure", False):
                client.subscribe(self.simulator.command_filter, qos=1)
                self._connected.set()
        except Exception:
            log.exception("simulator on_connect")

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            self._commands.put((msg.topic, bytes(msg.payload)))
        except Exception:
            log.exception("simulator on_message")

    def start(self, wait_s: float = 10.0) -> "SimulatorRunner":
        self.client.connect_async(self.settings.host, self.settings.port, keepalive=30)
        self.client.loop_start()
        self._connected.wait(wait_s)
        self._publish(self.simulator.start())
        self._thread = threading.Thread(target=self._running, name="twin-device-simulator", daemon=True)
        self._thread.start()
        return self

    def _publish(self, messages: Iterable[Outgoing]) -> None:
        for m in messages:
            self.client.publish(m.topic, m.payload, qos=m.qos, retain=m.retain)

    def _running(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(self.tick_s):
            now = time.monotonic()
            try:
                while True:
                    try:
                        topic, payload = self._commands.get_nowait()
                    except queue.Empty:
                        break
                    self._publish(self.simulator.command(topic, payload))
                self._publish(self.simulator.advance(now - last))
            except Exception:  # keep simulating whatever one step did
                log.exception("simulator step failed")
            last = now

    def inject(self, fault: Fault) -> None:
        """Start a fault now (thread-safe: goes through the command queue)."""
        body: dict[str, Any] = {"id": f"inject-{fault.kind}", "fault": fault.kind}
        if fault.arg:
            body["arg"] = fault.arg
        if fault.duration_s is not None:
            body["duration_s"] = fault.duration_s
        self._commands.put((self.simulator.topic(fault.device, "cmd"), _dumps(body)))

    @property
    def published(self) -> int:
        return self.simulator.published

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        infos = [self.client.publish(m.topic, m.payload, qos=m.qos, retain=m.retain) for m in self.simulator.stop()]
        deadline = time.monotonic() + timeout_s
        for info in infos:
            try:
                info.wait_for_publish(max(0.01, deadline - time.monotonic()))
            except (RuntimeError, ValueError):
                break
        self.client.disconnect()
        self.client.loop_stop()
