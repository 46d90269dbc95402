"""Lift car kinematics: how long a car takes to travel between two levels, and where it is on the way.

A lift car moves with a jerk-limited (S-curve) profile: the acceleration ramps up at the jerk
``j`` to the rated acceleration ``a``, holds, ramps down as the car reaches the rated speed ``v``,
cruises, and mirrors all of it when stopping — seven phases, jerk ``+j, 0, −j, 0, −j, 0, +j``.
A flight long enough to reach rated speed takes ``d/v + v/a + a/j`` (Peters; CIBSE Guide D —
``../shared/REFERENCES.md``, "Elevators"); a shorter one never reaches ``v``: it peaks at a speed
``vp`` with ``d = vp·(vp/a + a/j)`` and takes ``d/vp + vp/a + a/j``. A very short one (``d`` below
``2a³/j²``) never reaches ``a`` either: the acceleration only ramps up and down (peak ``ap = √(vp·j)``)
and the flight takes ``4·(d/2j)^⅓``. The same holds for a car whose rated speed is below ``a²/j``:
it reaches ``v`` before ``a``, with ``ap = √(v·j)``. One rule covers all four cases: the peak
acceleration is ``ap = min(a, √(vp·j))`` and the flight takes ``d/vp + vp/ap + ap/j``.

:class:`LiftProfile` holds the phases of one rest-to-rest flight and answers the position, speed and
acceleration at any moment (a car stopped by a power loss is between floors at
:meth:`LiftProfile.position_m`); :func:`lift_travel_s` is its duration. The evacuation model's
fire-service lifts and the elevator traffic model both use this one module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["LiftProfile", "lift_profile", "lift_travel_s", "rated_speed_distance_m"]


def rated_speed_distance_m(speed_mps: float, acceleration_mps2: float, jerk_mps3: float) -> float:
    """The shortest flight that reaches rated speed: ``v²/ap + v·ap/j`` with ``ap = min(a, √(v·j))``
    (``v²/a + v·a/j`` when the car reaches its rated acceleration, as lifts do)."""
    v, j = speed_mps, jerk_mps3
    ap = min(acceleration_mps2, math.sqrt(v * j))
    return v * (v / ap + ap / j)


def _peak_speed_mps(distance_m: float, speed_mps: float, acceleration_mps2: float, jerk_mps3: float) -> float:
    """The highest speed of a rest-to-rest flight over ``distance_m``."""
    d, v, a, j = distance_m, speed_mps, acceleration_mps2, jerk_mps3
    if d >= rated_speed_distance_m(v, a, j):
        return v
    if d >= 2.0 * a**3 / j**2:
        # reaches a: vp²/a + vp·a/j − d = 0
        return (-(a / j) + math.sqrt((a / j) ** 2 + 4.0 * d / a)) * a / 2.0
    # never reaches a: d = 2·vp·√(vp/j)
    return (d * math.sqrt(j) / 2.0) ** (2.0 / 3.0)


@dataclass(frozen=True, slots=True)
class LiftProfile:
    """One rest-to-rest flight of ``distance_m``: seven phases of constant jerk.

    ``jerk_s`` is the length of each jerk ramp (``ap/j``), ``hold_s`` the time at constant
    acceleration (``vp/ap − ap/j``, zero when the car never reaches ``a``), ``cruise_s`` the time at
    the peak speed (zero when the car never reaches ``v``).
    """

    distance_m: float
    peak_speed_mps: float
    peak_acceleration_mps2: float
    jerk_mps3: float
    jerk_s: float
    hold_s: float
    cruise_s: float

    @property
    def accelerating_s(self) -> float:
        """Time from rest to the peak speed (and from the peak speed to rest)."""
        return 2.0 * self.jerk_s + self.hold_s

    @property
    def duration_s(self) -> float:
        return 2.0 * self.accelerating_s + self.cruise_s

    def phases(self) -> list[tuple[float, float]]:
        """(duration_s, jerk_mps3) of the seven phases, zero-length ones included."""
        t1, t2, j = self.jerk_s, self.hold_s, self.jerk_mps3
        return [(t1, j), (t2, 0.0), (t1, -j), (self.cruise_s, 0.0), (t1, -j), (t2, 0.0), (t1, j)]

    def state(self, t_s: float) -> tuple[float, float, float]:
        """(position_m, speed_mps, acceleration_mps2) ``t_s`` seconds after the start, by integrating
        the constant-jerk phases exactly; clamped to the start and the end of the flight."""
        if t_s <= 0.0 or self.distance_m <= 0.0:
            return 0.0, 0.0, 0.0
        if t_s >= self.duration_s:
            return self.distance_m, 0.0, 0.0
        x = v = acc = 0.0
        left = t_s
        for length, jerk in self.phases():
            dt = min(length, left)
            x += v * dt + acc * dt * dt / 2.0 + jerk * dt**3 / 6.0
            v += acc * dt + jerk * dt * dt / 2.0
            acc += jerk * dt
            left -= dt
            if left <= 0.0:
                break
        return x, v, acc

    def position_m(self, t_s: float) -> float:
        """Distance covered ``t_s`` seconds after the start."""
        return self.state(t_s)[0]


def lift_profile(distance_m: float, speed_mps: float, acceleration_mps2: float, jerk_mps3: float) -> LiftProfile:
    """The jerk-limited rest-to-rest profile of a flight over ``distance_m`` (see the module docstring)."""
    d = max(0.0, float(distance_m))
    if d == 0.0:
        return LiftProfile(0.0, 0.0, 0.0, jerk_mps3, 0.0, 0.0, 0.0)
    vp = _peak_speed_mps(d, speed_mps, acceleration_mps2, jerk_mps3)
    ap = min(acceleration_mps2, math.sqrt(vp * jerk_mps3))
    jerk_s = ap / jerk_mps3
    hold_s = max(0.0, vp / ap - ap / jerk_mps3)
    cruise_s = max(0.0, d / vp - (vp / ap + ap / jerk_mps3))
    return LiftProfile(d, vp, ap, jerk_mps3, jerk_s, hold_s, cruise_s)


def lift_travel_s(distance_m: float, speed_mps: float, acceleration_mps2: float, jerk_mps3: float) -> float:
    """Flight time of a lift car over ``distance_m`` with a jerk-limited S-curve profile.

    A trip long enough to reach rated speed ``v`` takes ``d/v + v/a + a/j`` (CIBSE Guide D); a
    shorter one peaks at the speed ``vp`` for which ``d = vp·(vp/ap + ap/j)`` and takes
    ``d/vp + vp/ap + ap/j``, with the peak acceleration ``ap = min(a, √(vp·j))``.
    """
    if distance_m <= 0:
        return 0.0
    a, j = acceleration_mps2, jerk_mps3
    peak = _peak_speed_mps(distance_m, speed_mps, a, j)
    ap = min(a, math.sqrt(peak * j))
    return distance_m / peak + peak / ap + ap / j
