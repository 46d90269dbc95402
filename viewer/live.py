"""The 3D scene following the live twin.

The live twin (:class:`twin.live.state.TwinState`) hears the building over MQTT on its own
threads; the 3D scene must only be touched from the thread that renders it. :class:`LiveView`
sits between them: the twin's listener only marks devices as changed (cheap, any thread), and
:meth:`LiveView.apply`, called on the render thread — by a window timer every 200 ms, or by the
web console before it draws — reads the current status of the changed devices and writes it into
the scene: equipment colours, lift car heights, fire zones in alarm. Status also changes with no
message at all (a device that falls silent turns *stale*), so every second all devices are read
again whatever the listener said. Either way a change shows within a second.

Where a lift car is: a ``position_m`` (or ``z_m`` / ``height_m``) point, the car floor's height
in metres, wins; else its ``floor`` point — a floor id (``F12``), a floor name, or a storey
number counted as lifts count them (1 = the lowest floor at or above ground, -1 = the first
basement below it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from viewer.scene import BuildingScene

__all__ = ["LiveView", "StateSource", "car_height", "active_zones", "FULL_REFRESH_S", "WINDOW_TICK_MS"]

FULL_REFRESH_S = 1.0
"""Every device is read again at least this often (staleness needs no message)."""
WINDOW_TICK_MS = 200
"""How often the desktop window applies pending changes."""

_POSITION_POINTS = ("position_m", "z_m", "height_m", "car_position_m")


class StateSource(Protocol):
    """What the view needs of the live twin (``TwinState`` provides it)."""

    device_ids: tuple[str, ...]

    def status(self, device: str) -> str: ...

    def values(self, device: str) -> dict[str, Any]: ...

    def snapshot(self) -> Any: ...

    def add_listener(self, listener: Callable[[frozenset[str]], None]) -> Callable[[], None]: ...


def car_height(scene: BuildingScene, values: Mapping[str, Any]) -> float | None:
    """A lift car's floor height (m) from its reported points, or None if they do not say."""
    for key in _POSITION_POINTS:
        v = values.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
    floor = values.get("floor")
    if floor is None or isinstance(floor, bool):
        return None
    b = scene.building
    text = str(floor)
    if text in b.floor_by_id:
        return scene.floor_elevation(text)
    for f in b.floors:
        if f.name == text:
            return f.elevation_m
    try:
        number = int(float(text))
    except ValueError:
        return None
    above = [f for f in scene.floors if f.elevation_m >= 0]
    below = [f for f in reversed(scene.floors) if f.elevation_m < 0]
    if number >= 1 and number <= len(above):
        return above[number - 1].elevation_m
    if number <= -1 and -number <= len(below):
        return below[-number - 1].elevation_m
    if number == 0 and above:
        return above[0].elevation_m
    return None


def active_zones(alarms: Iterable[Any]) -> set[str]:
    """Fire zones named by active alarms (``Alarm`` objects or their dicts)."""
    zones = set()
    for a in alarms:
        zone = a.get("zone") if isinstance(a, Mapping) else getattr(a, "zone", None)
        active = a.get("active", True) if isinstance(a, Mapping) else getattr(a, "active", True)
        if zone and active:
            zones.add(str(zone))
    return zones


class LiveView:
    """Keeps a :class:`BuildingScene` in step with a live twin state.

    ``state`` is a :class:`twin.live.state.TwinState` (or anything with the same reading methods).
    Call :meth:`apply` on the scene's thread; it returns how many things changed, so a caller can
    skip rendering when nothing did. :meth:`attach` drives it from the desktop window's timer.
    """

    def __init__(self, scene: BuildingScene, state: StateSource, *, full_refresh_s: float = FULL_REFRESH_S):
        self.scene = scene
        self.state = state
        self.full_refresh_s = full_refresh_s
        self._lock = threading.Lock()
        self._dirty: set[str] = set()
        self._last_full = -float("inf")
        self._known = set(scene.equipment_ids) | set(scene.car_ids)
        self._remove: Callable[[], None] | None = state.add_listener(self._on_change)
        self.version = 0
        """Counts applied changes: the web console redraws when it moves."""

    def _on_change(self, devices: frozenset[str]) -> None:
        # Runs on the twin's thread: remember, never touch VTK here.
        with self._lock:
            self._dirty |= devices

    @property
    def pending(self) -> bool:
        """True when changes are waiting or a full refresh is due."""
        return bool(self._dirty) or time.monotonic() - self._last_full >= self.full_refresh_s

    def apply(self, *, full: bool = False) -> int:
        """Write pending changes into the scene (all devices when due or ``full``); returns the count."""
        now = time.monotonic()
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        if full or now - self._last_full >= self.full_refresh_s:
            devices: Iterable[str] = [d for d in self.state.device_ids if d in self._known]
            self._last_full = now
            zones_due = True
        else:
            devices = [d for d in dirty if d in self._known]
            zones_due = bool(dirty)
        changed = 0
        scene = self.scene
        cars = set(scene.car_ids)
        for device in devices:
            try:
                changed += scene.update_status(device, self.state.status(device))
            except KeyError:
                continue
            if device in cars:
                z = car_height(scene, self.state.values(device))
                if z is not None and abs(z - scene.car_z(device)) > 1e-6:
                    scene.update_car(device, z)
                    changed += 1
        if zones_due and scene.zone_ids:
            changed += self._apply_zones()
        if changed:
            self.version += 1
        return changed

    def _apply_zones(self) -> int:
        snapshot = self.state.snapshot()
        active = active_zones(getattr(snapshot, "alarms", ()))
        changed = 0
        for zone in self.scene.zone_ids:
            changed += self.scene.set_zone_alarm(zone, zone in active)
        return changed

    def attach(self, interval_ms: int = WINDOW_TICK_MS) -> None:
        """Apply changes from the desktop window's timer and redraw when something changed."""
        plotter = self.scene.plotter

        def tick(*_args) -> None:
            if self.apply():
                plotter.render()

        plotter.iren.add_observer("TimerEvent", tick)
        plotter.iren.create_timer(interval_ms, repeating=True)

    def close(self) -> None:
        """Stop listening to the twin."""
        if self._remove is not None:
            self._remove()
            self._remove = None

    def __enter__(self) -> "LiveView":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
