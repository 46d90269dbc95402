"""Monitored resources: SimPy resources that keep time-weighted statistics for free.

A technician team, a door, a stair — anything with a capacity that entities queue for — is a SimPy
resource. Like salabim's monitors, :class:`MonitoredResource` records, as the simulation runs, the
time-weighted mean queue length, the maximum queue, the time during which anyone queued, and the
utilisation (mean busy servers / capacity). Use it exactly like a SimPy resource::

    with desk.request() as req:
        yield req
        ...
"""

from __future__ import annotations

from dataclasses import dataclass

import simpy

__all__ = ["MonitoredResource", "MonitoredPriorityResource", "ResourceStats"]


@dataclass(frozen=True)
class ResourceStats:
    mean_queue: float
    max_queue: int
    congested_s: float
    utilisation: float
    served: int


class _Monitor:
    def _init_monitor(self) -> None:
        self._last_t = self._env.now
        self._start_t = self._env.now
        self._area_queue = 0.0
        self._area_busy = 0.0
        self._congested_s = 0.0
        self.max_queue = 0
        self.served = 0

    def _tick(self) -> None:
        now = self._env.now
        dt = now - self._last_t
        if dt > 0:
            q = len(self.queue)
            self._area_queue += q * dt
            self._area_busy += self.count * dt
            if q > 0:
                self._congested_s += dt
        self._last_t = now

    def request(self, *args, **kwargs):
        self._tick()
        req = super().request(*args, **kwargs)
        self.max_queue = max(self.max_queue, len(self.queue))
        return req

    def release(self, request):
        self._tick()
        if request in self.users:
            self.served += 1
        return super().release(request)

    def stats(self) -> ResourceStats:
        """Statistics from the start of the simulation up to now."""
        self._tick()
        span = self._env.now - self._start_t
        if span <= 0:
            return ResourceStats(0.0, self.max_queue, 0.0, 0.0, self.served)
        return ResourceStats(
            mean_queue=self._area_queue / span,
            max_queue=self.max_queue,
            congested_s=self._congested_s,
            utilisation=self._area_busy / span / self.capacity,
            served=self.served,
        )


class MonitoredResource(_Monitor, simpy.Resource):
    """A :class:`simpy.Resource` with time-weighted queue and utilisation statistics."""

    def __init__(self, env: simpy.Environment, capacity: int = 1):
        super().__init__(env, capacity)
        self._init_monitor()


class MonitoredPriorityResource(_Monitor, simpy.PriorityResource):
    """A :class:`simpy.PriorityResource` (lower number served first) with the same statistics."""

    def __init__(self, env: simpy.Environment, capacity: int = 1):
        super().__init__(env, capacity)
        self._init_monitor()
