"""Issue 13 item 1 (Traffic): passengers from floor populations and daily profiles, the group
dispatchers, boarding up to capacity, passengers left behind, the records and KPIs, stopping cars for
a power loss and the persons aboard by hour for the entrapment model (models/elevators/traffic.py,
models/elevators/dispatch.py).

Exact event logs for small cases (times from the door figures, ``boarding_s_per_person`` and the
jerk-limited flight times of models/kinematics.py — tolerance 1e-9 s); invariants over whole days for
every dispatcher; counts of generated passengers against their Poisson mean (4 standard deviations).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import simpy
from pydantic import ValidationError

from models.elevators import traffic as traffic_module
from models.elevators.traffic import (BUILTIN_PROFILES, TRAFFIC_KPIS, DailyProfile, Traffic, TrafficParams,
                                      aboard_by_hour, floor_populations, main_lobby, traffic_profile)
from models.kinematics import lift_travel_s
from models.staff import Calendar
from tests.test_elevator_verification import lift_building
from twin.loader import load_building

DOOR_OPEN, DOOR_CLOSE, TP = 2.0, 3.0, 1.2
V, A, J = 1.0, 0.8, 1.0
FLOOR_M = 3.0


def small_office(cars: int = 1, capacity: int = 8, floors_above: int = 5, **kw):
    return lift_building(floors_above, FLOOR_M, cars, capacity, speed_mps=V, acceleration_mps2=A, jerk_mps3=J,
                         door_open_s=DOOR_OPEN, door_close_s=DOOR_CLOSE, **kw)


def scripted(building, passengers: list[tuple[float, str, str]], dispatcher: str = "collective",
             until_s: float = 3600.0, out_of_service=()) -> Traffic:
    """A traffic with no generated passengers and these (arrival s, origin floor, destination floor)."""
    env = simpy.Environment()
    params = TrafficParams(trips_per_person_day=0.0, dispatcher=dispatcher, boarding_s_per_person=TP)
    tr = Traffic(env, building, building.elevators[0], params, np.random.default_rng(1),
                 out_of_service=out_of_service)
    tr.start()
    g = tr.groups[0]
    t = np.array([p[0] for p in passengers])
    o = np.array([g.index[p[1]] for p in passengers])
    d = np.array([g.index[p[2]] for p in passengers])
    env.process(tr.arriving(t, np.zeros(len(t), dtype=int), o, d))
    env.run(until=until_s)
    return tr


def flight(floors: int) -> float:
    return lift_travel_s(floors * FLOOR_M, V, A, J)


# --- exact event logs -------------------------------------------------------------------------------

def test_one_passenger_exact_event_log():
    """issue 13 item 1: a passenger calling the idle car at its floor waits the door opening, then rides:
    boarded = arrival + door_open; alighted = boarded + tp + door_close + flight(3 floors) + door_open + tp
    (tolerance 1e-9 s); the car then parks at home again without opening its doors."""
    tr = scripted(small_office(), [(10.0, "F00", "F03")])
    (row,) = tr.records["passengers"]
    assert row["boarded_s"] == pytest.approx(10.0 + DOOR_OPEN, abs=1e-9)
    assert row["wait_s"] == pytest.approx(DOOR_OPEN, abs=1e-9)
    expected_alight = 10.0 + DOOR_OPEN + TP + DOOR_CLOSE + flight(3) + DOOR_OPEN + TP
    assert row["alighted_s"] == pytest.approx(expected_alight, abs=1e-9)
    assert row["car"] == "L1" and row["left_behind"] == 0
    stops = tr.records["car_stops"]
    assert [(s["floor"], s["boarded"], s["alighted"], s["load_after"]) for s in stops] == [
        ("F00", 1, 0, 1), ("F03", 0, 1, 0)]
    assert stops[1]["departed_s"] == pytest.approx(expected_alight + DOOR_CLOSE, abs=1e-9)
    (car,) = tr.records["cars"]
    assert car["starts"] == 2 and car["distance_m"] == pytest.approx(2 * 3 * FLOOR_M)   # up and home again


def test_call_from_an_upper_floor_exact_wait():
    """issue 13 item 1: the idle car at the lobby answers a down call from F04: wait = flight(4 floors) +
    door_open, tolerance 1e-9 s."""
    tr = scripted(small_office(), [(100.0, "F04", "F00")])
    (row,) = tr.records["passengers"]
    assert row["wait_s"] == pytest.approx(flight(4) + DOOR_OPEN, abs=1e-9)
    assert row["alighted_s"] == pytest.approx(100.0 + flight(4) + DOOR_OPEN + TP + DOOR_CLOSE + flight(4)
                                              + DOOR_OPEN + TP, abs=1e-9)


def test_boarding_up_to_capacity_leaves_the_rest_behind():
    """issue 13 item 1: ten people for one car of four: the car leaves full (load 4), the six others are
    left behind (first come, first served: the last two twice), nobody rides a car over capacity, and
    everyone arrives in the end."""
    tr = scripted(small_office(capacity=4), [(10.0 + 0.01 * i, "F00", "F05") for i in range(10)])
    rows = tr.records["passengers"]
    assert [r["left_behind"] for r in rows] == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2]
    assert all(r["alighted_s"] is not None for r in rows)
    boarded = [r["boarded_s"] for r in rows]
    assert boarded == sorted(boarded)
    assert max(s["load_after"] for s in tr.records["car_stops"]) == 4
    assert tr.kpis()["left_behind_share"] == pytest.approx(0.6)


def test_collective_car_stops_for_a_call_on_its_way():
    """issue 13 item 1 (collective control): a car going up from F00 to F05 stops at F03 for an up call
    made while it can still stop there; the call made after it has passed F03's braking point waits."""
    depart = 10.0 + DOOR_OPEN + TP + DOOR_CLOSE
    tr = scripted(small_office(), [(10.0, "F00", "F05"), (depart + 1.0, "F03", "F04")])
    floors = [s["floor"] for s in tr.records["car_stops"]]
    assert floors[:3] == ["F00", "F03", "F04"]
    tr2 = scripted(small_office(), [(10.0, "F00", "F05"), (depart + flight(3) - 0.1, "F03", "F04")])
    floors2 = [s["floor"] for s in tr2.records["car_stops"]]
    assert floors2[:2] == ["F00", "F05"]
    assert all(r["alighted_s"] is not None for r in tr2.records["passengers"])


@pytest.mark.parametrize("dispatcher", ["collective", "nearest_car"])
def test_nearest_idle_car_answers(dispatcher):
    """issue 13 item 1: of two idle cars, at F00 and at F10, the one at F10 answers a down call from F09
    (collective: the nearest idle car; nearest-car: figure of suitability N + 1 − d)."""
    b = small_office(cars=2, floors_above=10)
    cars = [c.model_copy(update={"home_floor": h}) for c, h in zip(b.elevators[0].cars, ["F00", "F10"])]
    b = b.model_copy(update={"elevators": [b.elevators[0].model_copy(update={"cars": cars})]})
    tr = scripted(b, [(50.0, "F09", "F00")], dispatcher=dispatcher)
    (row,) = tr.records["passengers"]
    assert row["car"] == "L2"
    assert row["wait_s"] == pytest.approx(flight(1) + DOOR_OPEN, abs=1e-9)


def test_destination_control_groups_passengers_by_floor():
    """issue 13 item 1 (destination control): two passengers for F08 get the same car, a third for F03
    the other one, so neither car makes an extra stop."""
    tr = scripted(small_office(cars=2, floors_above=10),
                  [(10.0, "F00", "F08"), (10.5, "F00", "F08"), (11.0, "F00", "F03")], dispatcher="destination")
    cars = [r["car"] for r in tr.records["passengers"]]
    assert cars[0] == cars[1] != cars[2]
    assert all(r["alighted_s"] is not None for r in tr.records["passengers"])


@pytest.mark.parametrize("dispatcher", ["collective", "nearest_car", "destination"])
def test_cars_serving_different_floors(dispatcher):
    """issue 13 item 1 (floors served): a car serving F00–F05 only never goes above F05 and never takes a
    passenger bound for F08; the car serving every floor does."""
    b = small_office(cars=2, floors_above=10)
    low = b.elevators[0].cars[0].model_copy(update={"floors_served": [f"F{i:02d}" for i in range(6)]})
    b = b.model_copy(update={"elevators": [b.elevators[0].model_copy(
        update={"cars": [low, b.elevators[0].cars[1]]})]})
    tr = scripted(b, [(10.0, "F00", "F08"), (10.0, "F00", "F03"), (11.0, "F00", "F08"), (40.0, "F02", "F09")],
                  dispatcher=dispatcher)
    rows = tr.records["passengers"]
    assert all(r["alighted_s"] is not None for r in rows)
    assert all(r["car"] == "L2" for r in rows if r["destination"] in ("F08", "F09"))
    assert all(int(s["floor"][1:]) <= 5 for s in tr.records["car_stops"] if s["car"] == "L1")


@pytest.mark.parametrize("dispatcher", ["collective", "nearest_car", "destination"])
def test_zoned_cars_strand_nobody(dispatcher):
    """issue 13 item 1 (floors served): a low-rise car (F00–F05), a high-rise car (F00 and F06–F10) and one
    serving all floors share an office morning: every passenger is delivered by a car serving both of
    their floors."""
    b = small_office(cars=3, floors_above=10, per_floor=60)
    low, high, full = b.elevators[0].cars
    low = low.model_copy(update={"floors_served": [f"F{i:02d}" for i in range(6)]})
    high = high.model_copy(update={"floors_served": ["F00"] + [f"F{i:02d}" for i in range(6, 11)]})
    b = b.model_copy(update={"elevators": [b.elevators[0].model_copy(update={"cars": [low, high, full]})]})
    env = simpy.Environment()
    tr = Traffic(env, b, b.elevators, TrafficParams(profile="office", dispatcher=dispatcher, start_h=7, end_h=14),
                 np.random.default_rng(11))
    tr.start()
    env.run(until=16 * 3600.0)
    served = {c.id: set(c.floors_served) for c in b.elevators[0].cars}
    rows = tr.records["passengers"]
    assert len(rows) > 1000
    for r in rows:
        assert r["alighted_s"] is not None
        assert {r["origin"], r["destination"]} <= served[r["car"]]


def test_out_of_service_car_never_runs():
    """issue 13 item 5 (a car out of service): it makes no stops; the other car carries everyone; an id
    the building lacks is refused by name."""
    tr = scripted(small_office(cars=2), [(10.0 + 5 * i, "F00", f"F0{1 + i % 5}") for i in range(10)],
                  out_of_service=["L1"])
    assert {s["car"] for s in tr.records["car_stops"]} == {"L2"}
    assert all(r["car"] == "L2" and r["alighted_s"] is not None for r in tr.records["passengers"])
    with pytest.raises(ValueError, match="L9"):
        scripted(small_office(), [], out_of_service=["L9"])


# --- whole days, every dispatcher -----------------------------------------------------------------

def _office_morning(dispatcher: str, seed: int = 3) -> Traffic:
    b = small_office(cars=3, capacity=13, floors_above=12, per_floor=80)
    env = simpy.Environment()
    tr = Traffic(env, b, b.elevators, TrafficParams(profile="office", dispatcher=dispatcher, start_h=7.0, end_h=10.0),
                 np.random.default_rng(seed))
    tr.start()
    env.run(until=11 * 3600.0)
    return tr


@pytest.mark.parametrize("dispatcher", ["collective", "nearest_car", "destination"])
def test_every_dispatcher_delivers_everyone_within_capacity(dispatcher):
    """issue 13 item 1: an office morning up-peak (07–10 h) with each dispatcher: every passenger boards
    after arriving, at their floor's landing, alights later at their destination, no car carries more
    than its capacity, and all KPIs are produced."""
    tr = _office_morning(dispatcher)
    rec = tr.records
    assert len(rec["passengers"]) > 1000
    stops = {(s["car"], round(s["t_s"], 6)): s for s in rec["car_stops"]}
    by_car: dict[str, list[dict]] = {}
    for s in rec["car_stops"]:
        by_car.setdefault(s["car"], []).append(s)
    for r in rec["passengers"]:
        assert r["boarded_s"] is not None and r["alighted_s"] is not None
        assert r["arrived_s"] <= r["boarded_s"] < r["alighted_s"]
        seq = by_car[r["car"]]
        board_stop = next(s for s in seq if s["t_s"] <= r["boarded_s"] <= s["departed_s"])
        alight_stop = next(s for s in seq if s["t_s"] <= r["alighted_s"] <= s["departed_s"])
        assert board_stop["floor"] == r["origin"] and alight_stop["floor"] == r["destination"]
    assert stops and max(s["load_after"] for s in rec["car_stops"]) <= 13
    kpis = tr.kpis()
    assert set(TRAFFIC_KPIS) <= set(kpis)
    assert 0 < kpis["awt_s"] < kpis["p95_wait_s"] and kpis["ttd_s"] > kpis["awt_s"]
    assert 0 < kpis["car_loading"] <= 1 and kpis["hc5_share"] > 0


def test_window_and_passenger_count():
    """issue 13 item 1: passengers arrive only in the window (07–10 h here), and their number matches the
    Poisson mean trips/person × population × the profile's share of those hours (4 standard deviations);
    in the office up-peak most trips start in the main lobby."""
    tr = _office_morning("collective")
    arrived = np.array([r["arrived_s"] for r in tr.records["passengers"]])
    assert arrived.min() >= 7 * 3600 and arrived.max() < 10 * 3600
    prof = BUILTIN_PROFILES["office"]
    mean = prof.trips_per_person_day * 12 * 80 * sum(prof.share[7:10])
    assert abs(len(arrived) - mean) < 4 * math.sqrt(mean)
    from_lobby = np.mean([r["origin"] == "F00" for r in tr.records["passengers"]])
    assert from_lobby > 0.7


def test_rest_day_office_is_quiet():
    """issue 13 item 1: on a Saturday the office profile makes its rest-day share (0.1) of the trips
    (4 standard deviations of the Poisson count)."""
    b = small_office(cars=2, floors_above=12, per_floor=80)
    cal = Calendar()
    saturday = next(d for d in range(7) if cal.weekday(d * 86_400.0) == 5) * 86_400.0
    env = simpy.Environment()
    tr = Traffic(env, b, b.elevators, TrafficParams(profile="office"), np.random.default_rng(5), cal, start_s=saturday)
    times, *_ = tr.generate()
    mean = BUILTIN_PROFILES["office"].trips_per_person_day * 12 * 80 * 0.1
    assert abs(len(times) - mean) < 4 * math.sqrt(mean)
    assert times.min() >= saturday


# --- the tower ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tower():
    return load_building("tower")


@pytest.fixture(scope="module")
def tower_day(tower):
    b = tower
    env = simpy.Environment()
    tr = Traffic(env, b, b.elevators, TrafficParams(), np.random.default_rng(2026))
    tr.start()
    env.run(until=86_400.0 + 3600.0)
    return b, tr


def test_tower_floor_populations_split_by_core(tower):
    """issue 13 item 1: each occupied space rides the group whose lift lobby on its floor is nearest: the
    tower's four cores share its residents about equally and together hold every resident of a floor
    with lift lobbies."""
    b = tower
    pops = floor_populations(b)
    per_group = {g: sum(v.values()) for g, v in pops.items()}
    assert sum(per_group.values()) == b.total_occupants
    assert max(per_group.values()) < 1.3 * min(per_group.values())
    assert {main_lobby(b, g) for g in b.elevators} == {"F01"}


def test_tower_day(tower_day):
    """issue 13 item 1 (the benchmark's day, every passenger simulated): the residential profile's trips
    (Poisson mean, 4 standard deviations), everyone delivered, a share of the entrance trips to the
    car-park floors (car_park_share 0.15 ± 0.03), every KPI, and per-car starts and distance consistent
    with the car records."""
    b, tr = tower_day
    rows = tr.records["passengers"]
    prof = BUILTIN_PROFILES["residential"]
    mean = prof.trips_per_person_day * (b.total_occupants - 10)   # the ground floor's 10 walk out
    assert abs(len(rows) - mean) < 4 * math.sqrt(mean)
    assert all(r["alighted_s"] is not None for r in rows)
    entrance = [r for r in rows if r["origin"] in ("F01", "B1", "B2") or r["destination"] in ("F01", "B1", "B2")]
    parked = np.mean([r["origin"] in ("B1", "B2") or r["destination"] in ("B1", "B2") for r in entrance])
    assert parked == pytest.approx(0.15, abs=0.03)
    kpis = tr.kpis()
    assert set(TRAFFIC_KPIS) <= set(kpis)
    cars = tr.records["cars"]
    assert kpis["starts_per_car"] == pytest.approx(np.mean([c["starts"] for c in cars]))
    assert kpis["distance_km_per_car"] == pytest.approx(np.mean([c["distance_m"] for c in cars]) / 1000)
    assert all(0 < c["busy_s"] < 86_400 + 3600 for c in cars)
    hours = np.bincount([int(r["arrived_s"] // 3600) for r in rows], minlength=24)
    assert hours.argmax() in (17, 18, 19)          # the residential evening peak
    assert hours[7] > hours[3] * 5                 # the morning down-peak


def test_stop_cars_power_loss():
    """issue 13 item 2 / power loss: at 08:30 of the office morning two of three cars stop where they are:
    each reports the persons aboard (= passengers on it who boarded and had not alighted), its nearest
    floor and, when moving, a position between its flight's floors with its doors shut; stopped cars make
    no more stops, the third carries on and serves the calls."""
    b = small_office(cars=3, capacity=13, floors_above=12, per_floor=80)
    env = simpy.Environment()
    tr = Traffic(env, b, b.elevators, TrafficParams(profile="office", start_h=7.0, end_h=10.0),
                 np.random.default_rng(3))
    tr.start()
    t_loss = 8.5 * 3600
    env.run(until=t_loss)
    moving = {c.id: (c.origin, c.target) for c in tr.cars.values() if c.state == "moving"}
    out = tr.stop_cars(["L1", "L2"])
    assert [o["car"] for o in out] == ["L1", "L2"]
    z = tr.groups[0].z
    for o in out:
        aboard = [r for r in tr.records["passengers"]
                  if r["car"] == o["car"] and r["boarded_s"] is not None and r["alighted_s"] is None]
        assert o["persons"] == len(aboard)
        assert o["floor"] in tr.groups[0].floors and o["group"] == "G1"
        if o["car"] in moving and o["between_floors"]:
            lo, hi = sorted(z[i] for i in moving[o["car"]])
            assert lo < o["position_m"] < hi
            assert not o["doors_open"]
    assert tr.stop_cars(["L1"]) == []          # already stopped
    env.run(until=11 * 3600.0)
    after = [s for s in tr.records["car_stops"] if s["t_s"] > t_loss + 1e-9]
    assert after and {s["car"] for s in after} == {"L3"}
    late = [r for r in tr.records["passengers"] if r["arrived_s"] > t_loss]
    assert late and all(r["car"] == "L3" and r["alighted_s"] is not None for r in late)
    stopped = {c["car"]: c["stopped_s"] for c in tr.records["cars"]}
    assert stopped == {"L1": t_loss, "L2": t_loss, "L3": None}


def test_aboard_by_hour_for_entrapments(tower):
    """issue 13 item 2 (persons aboard from the traffic): 24 hours of car starts and persons aboard a
    starting car; quiet at night, busy in the evening peak; never above the capacity; cached per
    process (the same arrays again, no second simulation)."""
    b = tower
    before = len(traffic_module._ABOARD_CACHE)
    starts, aboard = aboard_by_hour(b, TrafficParams())
    assert starts.shape == (24,) and len(aboard) == 24
    assert starts[18] > 5 * starts[3]
    assert all(len(a) >= 1 and a.min() >= 0 and a.max() <= 13 for a in aboard)
    assert aboard[18].mean() > aboard[3].mean()
    assert len(traffic_module._ABOARD_CACHE) == before + 1
    again_starts, again = aboard_by_hour(b, TrafficParams())
    assert len(traffic_module._ABOARD_CACHE) == before + 1
    assert np.array_equal(starts, again_starts) and all(np.array_equal(x, y) for x, y in zip(aboard, again))


# --- profiles -----------------------------------------------------------------------------------

def test_builtin_profiles():
    """issue 13 item 1: the built-in profiles' shares sum to 1; the office up-peak is 08–09 h (incoming),
    lunch both ways at 12 h, the down-peak 17 h; the residential morning is outgoing, its evening
    incoming; five-minute periods add up to the hours."""
    for prof in BUILTIN_PROFILES.values():
        assert math.fsum(prof.share) == pytest.approx(1.0, abs=1e-9)
    office = traffic_profile("office")
    up = office["share"] * office["incoming"]
    down = office["share"] * office["outgoing"]
    assert up.argmax() == 8 and down.argmax() == 17
    assert office["incoming"][12] > 0.3 and office["outgoing"][12] > 0.3
    home = traffic_profile("residential")
    assert home["outgoing"][7] > 0.8 and home["incoming"][18] > 0.6
    fine = traffic_profile("office", step_min=5)
    assert len(fine["share"]) == 288
    assert np.allclose(fine["share"].reshape(24, 12).sum(axis=1), office["share"])


def test_bad_profile_is_refused_with_field_and_value():
    """issue 13 Bad input: a traffic profile whose shares do not sum to 1 is refused with a message naming
    the field and the value."""
    good = BUILTIN_PROFILES["office"].model_dump()
    bad = dict(good, share=[s * 0.9 for s in good["share"]])
    with pytest.raises(ValidationError, match=r"share sums to 0\.9"):
        DailyProfile.model_validate(bad)
    split = dict(good, incoming=[0.5] * 24, outgoing=[0.5] * 24, interfloor=[0.2] * 24)
    with pytest.raises(ValidationError, match=r"period 0: incoming 0\.5 \+ outgoing 0\.5 \+ interfloor 0\.2"):
        DailyProfile.model_validate(split)
    with pytest.raises(ValidationError, match="interfloor has 25 values; share has 24"):
        DailyProfile.model_validate(dict(good, interfloor=good["interfloor"] + [0.0]))
    with pytest.raises(ValidationError, match="end_h"):
        TrafficParams(start_h=9, end_h=8)
    with pytest.raises(ValidationError, match="dispatcher"):
        TrafficParams.model_validate({"dispatcher": "fastest"})
    custom = TrafficParams(custom_profile=DailyProfile.model_validate(good))
    assert custom.daily_profile(small_office(use="residential")) == BUILTIN_PROFILES["office"]
    assert TrafficParams().daily_profile(small_office(use="residential")) == BUILTIN_PROFILES["residential"]
    assert TrafficParams().daily_profile(small_office()) == BUILTIN_PROFILES["office"]
