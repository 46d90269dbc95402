"""Issue 13 Verification "up-peak": the simulated round trip time against the up-peak formula.

Reference: ../shared/REFERENCES.md "Elevators" (CIBSE Guide D; ISO 8100-32): with every passenger from
the main lobby, destinations random over the N floors above it and every car leaving with P
passengers, ``S = N[1 − (1 − 1/N)^P]``, ``H = N − Σ_{i=1}^{N−1} (i/N)^P``,
``RTT = 2H·tv + (S + 1)·ts + 2P·tp``, interval ``RTT/L`` and five-minute handling capacity
``300·P·L/RTT``; test vector N 12, P 10.4, 3.3 m, 1.6 m/s, ts 10 s, tp 1.2 s → S 7.145, H 11.376,
RTT 153.3 s (4 cars: interval 38.3 s, HC5 81.4 persons).

How the simulation's inputs map onto the formula's — so that the comparison is a real one (the
simulation never sees S, H or RTT; it flies cars with the jerk-limited kinematics, opens and closes
doors and moves passengers one by one):

* ``tv`` = floor height / ``rated_speed_mps`` (every floor the same height);
* ``tp`` = ``boarding_s_per_person``: each passenger takes it once to enter and once to leave (2P·tp);
* ``ts`` = ``door_open_s`` + ``door_close_s`` + ``v/a + a/j``: the formula's "time lost per stop"
  bundles the door cycle with the extra time a flight takes over travelling the same distance at
  rated speed — a flight reaching rated speed takes ``d/v + v/a + a/j`` (REFERENCES, Peters), and a
  round trip has S + 1 flights (S stops up, one express return) and S + 1 door cycles (the lobby's
  included). For the test vector the door close time is chosen so that ts is 10 s exactly. Flights of
  one floor that do not quite reach rated speed are the only kinematic difference (≈ 0.03 s each);
* ``P`` = ``up_peak_load_share`` × capacity: each trip the car leaves with ⌊P⌋ or ⌈P⌉ passengers, P on
  average (``TrafficParams.up_peak_test``).

Tolerances: RTT, interval and HC5 within 5 % (the issue's); S and H, read from the simulated stop
records (stops above the lobby per round trip, highest floor reached), within 3 % (≈ 4 standard errors
of a six-hour mean of ≥ 350 round trips).
"""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from models.elevators.traffic import Traffic, TrafficParams, up_peak_capacity
from twin.loader import parse_building


def lift_building(floors_above: int, floor_m: float, cars: int, capacity: int, *, speed_mps: float,
                  acceleration_mps2: float, jerk_mps3: float, door_open_s: float, door_close_s: float,
                  per_floor: int = 100, capacity_kg: float | None = None, use: str = "office", bid: str = "lifts"):
    """An office on ``floors_above`` floors over a ground-floor lobby F00 (every floor ``floor_m`` high):
    one lift lobby, one stair and one office of ``per_floor`` persons per floor, one group of ``cars``
    identical cars serving every floor, parked at F00."""
    floors = [{"id": f"F{i:02d}", "elevation_m": floor_m * i, "height_m": floor_m} for i in range(floors_above + 1)]
    spaces, doors = [], []
    for i in range(floors_above + 1):
        f = f"F{i:02d}"
        spaces += [{"id": f"{f}-LL", "floor": f, "kind": "lift_lobby",
                    "rect": {"x_m": 0, "y_m": 0, "width_m": 4, "depth_m": 4}},
                   {"id": f"{f}-ST", "floor": f, "kind": "stair",
                    "rect": {"x_m": 4, "y_m": 0, "width_m": 3, "depth_m": 4}}]
        doors.append({"id": f"{f}-D1", "between": [f"{f}-LL", f"{f}-ST"], "width_m": 1.0})
        if i:
            spaces.append({"id": f"{f}-OFF", "floor": f, "kind": "office",
                           "rect": {"x_m": 0, "y_m": 4, "width_m": 20, "depth_m": 10}, "occupants": per_floor})
            doors.append({"id": f"{f}-D2", "between": [f"{f}-OFF", f"{f}-LL"], "width_m": 1.0})
    doors.append({"id": "DX", "between": ["F00-LL", "EX"], "width_m": 1.2})
    ids = [f["id"] for f in floors]
    car_list = [{"id": f"L{k + 1}", "shaft": {"x_m": -3, "y_m": 3 * k, "width_m": 2, "depth_m": 2},
                 "floors_served": ids, "capacity_persons": capacity,
                 "capacity_kg": capacity_kg if capacity_kg is not None else 75.0 * capacity + 25.0,
                 "rated_speed_mps": speed_mps, "acceleration_mps2": acceleration_mps2, "jerk_mps3": jerk_mps3,
                 "door_open_s": door_open_s, "door_close_s": door_close_s, "home_floor": "F00"} for k in range(cars)]
    data = {"id": bid, "name": bid, "use": use, "floors": floors, "spaces": spaces, "doors": doors,
            "stairs": [{"id": "ST", "landings": [f"{f}-ST" for f in ids], "width_m": 1.2}],
            "elevators": [{"id": "G1", "lobbies": [f"{f}-LL" for f in ids], "cars": car_list}],
            "exits": [{"id": "EX", "floor": "F00", "x_m": 0, "y_m": 1}]}
    return parse_building(data, f"{bid}.yaml")


def up_peak_formula(n: int, p: float, floor_m: float, v: float, ts: float, tp: float, cars: int) -> dict:
    """S, H, RTT, interval and HC5 by the formulas of REFERENCES "Elevators"."""
    s = n * (1 - (1 - 1 / n) ** p)
    h = n - sum((i / n) ** p for i in range(1, n))
    rtt = 2 * h * floor_m / v + (s + 1) * ts + 2 * p * tp
    return {"S": s, "H": h, "rtt_s": rtt, "interval_s": rtt / cars, "hc5_persons": 300 * p * cars / rtt}


def simulate_up_peak(building, tp: float, hours: float = 6.0, seed: int = 13,
                     dispatcher: str = "collective") -> Traffic:
    env = simpy.Environment()
    params = TrafficParams(up_peak_test=True, boarding_s_per_person=tp, start_h=0.0, end_h=hours,
                           dispatcher=dispatcher)
    traffic = Traffic(env, building, building.elevators[0], params, np.random.default_rng(seed))
    traffic.start()
    env.run(until=hours * 3600 + 900)
    return traffic


def stops_and_reversal_floors(traffic: Traffic, lobby: str = "F00") -> tuple[list[int], list[int]]:
    """Per round trip (after each car's first): stops above the lobby, and the highest floor reached
    (floors counted from the lobby) — from the simulated stop records."""
    trips: dict[tuple[str, int], list[dict]] = {}
    for s in traffic.records["car_stops"]:
        trips.setdefault((s["car"], s["trip"]), []).append(s)
    stops, highest = [], []
    for (car, trip), rows in trips.items():
        if trip < 2 or rows[0]["floor"] != lobby:
            continue
        above = [r for r in rows if r["floor"] != lobby]
        if not above:
            continue
        stops.append(len(above))
        highest.append(max(r["floor_index"] for r in above) - rows[0]["floor_index"])
        assert [r["floor_index"] for r in above] == sorted(r["floor_index"] for r in above)  # up, then express
    return stops, highest


# (name, N above lobby, floor m, cars, capacity, v, a, j, door open, door close (None: ts = 10 s), tp)
BUILDINGS = [
    ("REFERENCES test vector", 12, 3.3, 4, 13, 1.6, 1.0, 1.5, 3.2, None, 1.2),
    ("20-storey office, 6 × 16 persons, 2.5 m/s", 20, 3.6, 6, 16, 2.5, 1.0, 1.2, 2.0, 3.0, 1.0),
    ("6-storey podium, 3 × 21 persons, 1.75 m/s", 6, 4.2, 3, 21, 1.75, 0.8, 1.0, 2.5, 3.0, 1.0),
]


@pytest.mark.parametrize("case", BUILDINGS, ids=[b[0] for b in BUILDINGS])
def test_up_peak_round_trip_matches_formula(case):
    """issue 13 Verification (up-peak): simulated RTT within 5 % of 2H·tv + (S+1)·ts + 2P·tp (REFERENCES
    "Elevators"), S and H from the stop records within 3 %, interval RTT/L and HC5 300·P·L/RTT within
    5 %, cars leaving the lobby with P on average (1 %). The mapping of inputs is in the module docstring."""
    name, n, floor_m, cars, cap, v, a, j, door_open, door_close, tp = case
    extra_s = v / a + a / j              # flight time over the same distance at rated speed
    if door_close is None:               # the test vector: ts = 10 s
        door_close = 10.0 - door_open - extra_s
    ts = door_open + door_close + extra_s
    p = 0.8 * cap
    expected = up_peak_formula(n, p, floor_m, v, ts, tp, cars)
    if name.startswith("REFERENCES"):
        assert expected["S"] == pytest.approx(7.145, abs=5e-4)
        assert expected["H"] == pytest.approx(11.376, abs=5e-4)
        assert expected["rtt_s"] == pytest.approx(153.3, abs=0.05)
        assert expected["interval_s"] == pytest.approx(38.3, abs=0.05)
        assert expected["hc5_persons"] == pytest.approx(81.4, abs=0.05)

    building = lift_building(n, floor_m, cars, cap, speed_mps=v, acceleration_mps2=a, jerk_mps3=j,
                             door_open_s=door_open, door_close_s=door_close)
    traffic = simulate_up_peak(building, tp)
    kpis = traffic.kpis()

    stops, highest = stops_and_reversal_floors(traffic)
    assert len(stops) >= 300
    assert np.mean(stops) == pytest.approx(expected["S"], rel=0.03)
    assert np.mean(highest) == pytest.approx(expected["H"], rel=0.03)

    trips = traffic.round_trips()
    rtt = float(np.mean([t["rtt_s"] for t in trips[cars:]]))
    assert rtt == pytest.approx(expected["rtt_s"], rel=0.05)
    assert kpis["rtt_s"] == pytest.approx(expected["rtt_s"], rel=0.05)
    assert kpis["interval_s"] == pytest.approx(expected["interval_s"], rel=0.05)
    assert kpis["hc5_share"] * traffic.population == pytest.approx(expected["hc5_persons"], rel=0.05)
    assert kpis["car_loading"] == pytest.approx(0.8, rel=0.01)
    # every passenger who left the lobby reached their floor, none waited for a car in this test
    rows = traffic.records["passengers"]
    assert all(r["origin"] == "F00" for r in rows)
    assert all(r["alighted_s"] is not None for r in rows)


@pytest.mark.parametrize("dispatcher", ["nearest_car", "destination"])
def test_up_peak_round_trip_with_other_dispatchers(dispatcher):
    """issue 13 Verification (up-peak) with nearest-car and destination control: with the formula's
    assumptions there is nothing to dispatch, so the RTT is the formula's too (REFERENCES test vector,
    5 %)."""
    _, n, floor_m, cars, cap, v, a, j, door_open, _, tp = BUILDINGS[0]
    door_close = 10.0 - door_open - (v / a + a / j)
    building = lift_building(n, floor_m, cars, cap, speed_mps=v, acceleration_mps2=a, jerk_mps3=j,
                             door_open_s=door_open, door_close_s=door_close)
    kpis = simulate_up_peak(building, tp, hours=3.0, dispatcher=dispatcher).kpis()
    assert kpis["rtt_s"] == pytest.approx(153.3, rel=0.05)
    assert kpis["interval_s"] == pytest.approx(38.3, rel=0.05)


def test_up_peak_capacity_helper_gives_the_handling_capacity():
    """issue 13 item 3 (traffic KPIs against the design target HC5, REFERENCES "Elevators"): the helper
    that runs the up-peak test for a day's parameters reports the test vector's HC5 (81.4 persons of
    the 1,200 here, 5 %) and interval (38.3 s, 5 %), whatever the day's window or profile."""
    _, n, floor_m, cars, cap, v, a, j, door_open, _, tp = BUILDINGS[0]
    door_close = 10.0 - door_open - (v / a + a / j)
    building = lift_building(n, floor_m, cars, cap, speed_mps=v, acceleration_mps2=a, jerk_mps3=j,
                             door_open_s=door_open, door_close_s=door_close)
    day = TrafficParams(profile="residential", start_h=17.0, end_h=20.0, boarding_s_per_person=tp)
    capacity = up_peak_capacity(building, day, hours=3.0)
    assert capacity["hc5_share"] * 1200 == pytest.approx(81.4, rel=0.05)
    assert capacity["interval_s"] == pytest.approx(38.3, rel=0.05)


def test_up_peak_result_is_not_the_formula_restated():
    """The simulation does not restate the formula: with flights that never reach rated speed (a fast,
    softly accelerating car on 3 m floors) the simulated RTT is more than 5 % below the formula's with
    ts = doors + v/a + a/j — the Peters form d/v + v/a + a/j overstates such flights (REFERENCES
    "Elevators": it is valid only when d ≥ v²/a + v·a/j). Seen: ≈ 122 s simulated vs 142 s."""
    n, floor_m, cars, cap, v, a, j, door_open, door_close, tp = 10, 3.0, 2, 13, 4.0, 0.5, 0.5, 2.0, 3.0, 1.0
    assert floor_m < v * v / a + v * a / j
    building = lift_building(n, floor_m, cars, cap, speed_mps=v, acceleration_mps2=a, jerk_mps3=j,
                             door_open_s=door_open, door_close_s=door_close)
    expected = up_peak_formula(n, 0.8 * cap, floor_m, v, door_open + door_close + v / a + a / j, tp, cars)
    kpis = simulate_up_peak(building, tp, hours=2.0).kpis()
    assert kpis["rtt_s"] < 0.95 * expected["rtt_s"]
