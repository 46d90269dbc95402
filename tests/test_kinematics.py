"""Issue 13 item 1 / Verification "kinematics": the shared jerk-limited lift kinematics (models/kinematics.py).

Reference: ../shared/REFERENCES.md "Elevators" — a flight over d that reaches rated speed v (acceleration
a, jerk j) takes ``t = d/v + v/a + a/j`` (Peters; CIBSE Guide D), valid when ``d ≥ v²/a + v·a/j``;
shorter trips never reach v. The closed forms of the shorter cases follow from the same seven-phase
S-curve: peaking at ``vp`` with ``vp²/a + vp·a/j = d`` and taking ``d/vp + vp/a + a/j`` while the car
still reaches a (``d ≥ 2a³/j²``), else ``4·(d/2j)^⅓``. Tolerance: 1e-9 relative (closed forms), and
the profile's own integration of the phases must land on d at rest.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.kinematics import LiftProfile, lift_profile, lift_travel_s, rated_speed_distance_m

V, A, J = 2.5, 1.2, 1.8   # the tower's cars (twin/samples/tower.yaml)


def _previous_lift_travel_s(d: float, v: float, a: float, j: float) -> float:
    """The evacuation model's lift time before this session (as it was in models/kinematics.py)."""
    if d <= 0:
        return 0.0
    if d >= v * (v / a + a / j):
        peak = v
    else:
        peak = (-(a / j) + math.sqrt((a / j) ** 2 + 4 * d / a)) * a / 2
    return d / peak + peak / a + a / j


def _integrate(profile: LiftProfile, steps: int = 200_000) -> tuple[float, float, float, float]:
    """Distance, end speed, peak speed and peak |acceleration| by numerical integration of the jerk
    schedule (independent of LiftProfile.state's piecewise formulas): the acceleration is the exact
    integral of the piecewise-constant jerk (piecewise linear), speed and position its trapezoidal
    integrals on a fine grid."""
    phases = profile.phases()
    edges = np.cumsum([0.0] + [length for length, _ in phases])
    acc_edges = np.cumsum([0.0] + [length * jerk for length, jerk in phases])
    t = np.linspace(0.0, profile.duration_s, steps + 1)
    dt = t[1] - t[0]
    acc = np.interp(t, edges, acc_edges)
    vel = np.concatenate([[0.0], np.cumsum((acc[:-1] + acc[1:]) / 2 * dt)])
    pos = np.sum((vel[:-1] + vel[1:]) / 2 * dt)
    return float(pos), float(vel[-1]), float(vel.max()), float(np.abs(acc).max())


@pytest.mark.parametrize("d", [30.0, 88.5 + 7.8, 12.0, rated_speed_distance_m(V, A, J)])
def test_reaches_rated_speed_matches_peters(d):
    """issue 13 Verification (kinematics, rated speed reached): t = d/v + v/a + a/j (REFERENCES "Elevators",
    Peters), tolerance 1e-9; the integrated profile cruises at v and ends at d at rest (1e-3 m)."""
    assert d >= V**2 / A + V * A / J - 1e-12
    t = lift_travel_s(d, V, A, J)
    assert t == pytest.approx(d / V + V / A + A / J, rel=1e-9)
    prof = lift_profile(d, V, A, J)
    assert prof.duration_s == pytest.approx(t, rel=1e-12)
    pos, v_end, v_peak, a_peak = _integrate(prof)
    assert pos == pytest.approx(d, abs=1e-3)
    assert abs(v_end) < 1e-6
    assert v_peak == pytest.approx(V, rel=1e-6)
    assert a_peak == pytest.approx(A, rel=1e-6)


@pytest.mark.parametrize("d", [1.5, 3.0, 4.5, 6.5])
def test_short_trip_peaks_below_rated_speed(d):
    """issue 13 Verification (kinematics, rated speed not reached): the car peaks at vp < v with
    vp²/a + vp·a/j = d and takes d/vp + vp/a + a/j (closed form of the S-curve), tolerance 1e-9; the
    integrated profile ends at d at rest, peaks at vp and at the rated acceleration."""
    assert 2 * A**3 / J**2 <= d < V**2 / A + V * A / J
    vp = (-(A / J) + math.sqrt((A / J) ** 2 + 4 * d / A)) * A / 2
    assert vp**2 / A + vp * A / J == pytest.approx(d)
    t = lift_travel_s(d, V, A, J)
    assert t == pytest.approx(d / vp + vp / A + A / J, rel=1e-9)
    pos, v_end, v_peak, a_peak = _integrate(lift_profile(d, V, A, J))
    assert pos == pytest.approx(d, abs=1e-3)
    assert abs(v_end) < 1e-6
    assert v_peak == pytest.approx(vp, rel=1e-6) and v_peak < V
    assert a_peak == pytest.approx(A, rel=1e-6)


@pytest.mark.parametrize("d", [0.05, 0.3, 2 * A**3 / J**2 * 0.999])
def test_very_short_trip_never_reaches_rated_acceleration(d):
    """issue 13 Verification (kinematics, neither v nor a reached): pure jerk ramps, t = 4·(d/2j)^⅓,
    tolerance 1e-9; the integrated profile ends at d at rest with peak acceleration √(vp·j) < a."""
    t = lift_travel_s(d, V, A, J)
    assert t == pytest.approx(4 * (d / (2 * J)) ** (1 / 3), rel=1e-9)
    prof = lift_profile(d, V, A, J)
    assert prof.hold_s == 0 and prof.cruise_s == 0
    pos, v_end, v_peak, a_peak = _integrate(prof)
    assert pos == pytest.approx(d, rel=1e-4)
    assert abs(v_end) < 1e-6
    assert a_peak < A
    assert a_peak == pytest.approx(math.sqrt(prof.peak_speed_mps * J), rel=1e-4)  # sharp peak on a grid


def test_slow_car_reaches_rated_speed_before_rated_acceleration():
    """A car whose rated speed is below a²/j reaches v while its acceleration is still ramping: the
    peak acceleration is √(v·j) and the flight takes d/v + 2·√(v/j) (closed form), tolerance 1e-9."""
    v, a, j = 0.5, 1.0, 1.0
    assert v < a * a / j
    d = 10.0
    assert lift_travel_s(d, v, a, j) == pytest.approx(d / v + 2 * math.sqrt(v / j), rel=1e-9)
    pos, v_end, v_peak, a_peak = _integrate(lift_profile(d, v, a, j))
    assert pos == pytest.approx(d, abs=1e-3) and v_peak == pytest.approx(v, rel=1e-6)
    assert a_peak == pytest.approx(math.sqrt(v * j), rel=1e-4)  # the grid misses the sharp peak by ~1e-5


def test_times_of_trips_that_reach_rated_acceleration_are_unchanged():
    """issue 13 item 1: the evacuation model keeps its results — for every trip that reaches the rated
    acceleration the flight time equals the previous implementation's to 1e-12."""
    for v, a, j in [(V, A, J), (1.6, 1.0, 1.5), (4.0, 1.0, 1.0), (1.0, 0.6, 1.2)]:
        for d in np.linspace(2 * a**3 / j**2, 120.0, 400):
            previous = _previous_lift_travel_s(float(d), v, a, j)
            assert lift_travel_s(float(d), v, a, j) == pytest.approx(previous, rel=1e-12)


def test_flight_time_is_continuous_and_increasing():
    """The flight time is continuous at both boundaries (reaching a, reaching v) and grows with the
    distance (1e-6 relative at the boundaries)."""
    for boundary in (2 * A**3 / J**2, rated_speed_distance_m(V, A, J)):
        below, above = lift_travel_s(boundary * (1 - 1e-9), V, A, J), lift_travel_s(boundary * (1 + 1e-9), V, A, J)
        assert below == pytest.approx(above, rel=1e-6)
    times = [lift_travel_s(float(d), V, A, J) for d in np.linspace(0.01, 60, 600)]
    assert all(b > a for a, b in zip(times, times[1:]))
    assert lift_travel_s(0.0, V, A, J) == 0.0


def test_position_along_a_flight():
    """Where a car stopped by a power loss is: the profile's position is 0 at the start, d at the end,
    grows monotonically, and is half-way at half-time (the S-curve is symmetric), tolerance 1e-9 m."""
    prof = lift_profile(40.0, V, A, J)
    xs = [prof.position_m(t) for t in np.linspace(0, prof.duration_s, 500)]
    assert xs[0] == 0.0 and xs[-1] == pytest.approx(40.0, abs=1e-9)
    assert all(b >= a - 1e-12 for a, b in zip(xs, xs[1:]))
    assert prof.position_m(prof.duration_s / 2) == pytest.approx(20.0, abs=1e-9)
    x, v, acc = prof.state(prof.accelerating_s + 0.5)
    assert v == pytest.approx(V) and acc == pytest.approx(0.0, abs=1e-12)
