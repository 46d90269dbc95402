"""Lift car kinematics: how long a car takes to travel between two levels.

A lift car moves with a jerk-limited (S-curve) profile: the acceleration ramps up at the jerk
``j`` to the rated acceleration ``a``, holds, ramps down as the car reaches the rated speed ``v``,
cruises, and mirrors all of it when stopping. A flight long enough to reach rated speed takes
``d/v + v/a + a/j`` (Peters; CIBSE Guide D — ``../shared/REFERENCES.md``, "Elevators"); a shorter
one never reaches ``v``. Both the evacuation model's fire-service lifts and the elevator model use
this one module.
"""

from __future__ import annotations

import math

__all__ = ["lift_travel_s"]


def lift_travel_s(distance_m: float, speed_mps: float, acceleration_mps2: float, jerk_mps3: float) -> float:
    """Flight time of a lift car over ``distance_m`` with a jerk-limited S-curve profile.

    A trip long enough to reach rated speed ``v`` takes ``d/v + v/a + a/j`` (CIBSE Guide D); a
    shorter one peaks at the speed ``vp`` for which ``d = vp·(vp/a + a/j)`` and takes
    ``d/vp + vp/a + a/j``.
    """
    if distance_m <= 0:
        return 0.0
    a, j = acceleration_mps2, jerk_mps3
    if distance_m >= speed_mps * (speed_mps / a + a / j):
        peak = speed_mps
    else:
        # vp²/a + vp·a/j − d = 0
        peak = (-(a / j) + math.sqrt((a / j) ** 2 + 4 * distance_m / a)) * a / 2
    return distance_m / peak + peak / a + a / j
