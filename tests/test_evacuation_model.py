"""The evacuation model's behaviour: bad input named before any run, alarm strategies, route
choices, fire timeline, lifts, records and determinism (verification against published tests is in
``test_evacuation_verification.py``)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from models import ModelContext, get_model
from models.evacuation import JAM_DENSITY_PPM2, EvacuationParams
from models.occupants import GROUPS, POPULATIONS, Uniform, group_counts, resolve_population
from twin.graph import build_graph
from twin.loader import load_building

DATA = Path(__file__).parent / "data" / "evac"
SPEC = get_model("evacuation")
BUILDING = load_building(DATA / "small_tower.yaml")
GRAPH = build_graph(BUILDING)
QUICK = {"pre_movement": {"default": {"kind": "uniform", "low": 0, "high": 30}}}
ADULTS_AND_WHEELCHAIRS = {"male_30_50": 0.5, "female_30_50": 0.3, "mobility_impaired": 0.2}


def params(**kw) -> EvacuationParams:
    return EvacuationParams.model_validate({**QUICK, **kw})


def run(p: EvacuationParams, seed: int = 7, horizon_s: float = 3600.0, building=BUILDING, graph=GRAPH):
    assert SPEC.check(p, building, graph) == []
    ctx = ModelContext(env=simpy.Environment(), rng=np.random.default_rng(seed), building=building, graph=graph,
                       params=p, horizon_s=horizon_s)
    return SPEC.run(ctx)


def problems(**kw) -> list[tuple[tuple, str]]:
    return SPEC.check(params(**kw), BUILDING, GRAPH)


# --- bad input, named before any simulation ---------------------------------------------------------

@pytest.mark.parametrize("event, field, value", [
    ({"type": "smoke", "space": "F09-COR"}, "space", "F09-COR"),
    ({"type": "untenable", "space": "NOWHERE"}, "space", "NOWHERE"),
    ({"type": "blocked", "door": "F02-D99"}, "door", "F02-D99"),
    ({"type": "blocked", "space": "F02-X"}, "space", "F02-X"),
    ({"type": "closed", "stair": "ST-9"}, "stair", "ST-9"),
    ({"type": "closed", "exit": "EX-NONE"}, "exit", "EX-NONE"),
])
def test_check_names_unknown_ids_in_events(event, field, value):
    found = problems(events=[{"type": "power_loss", "at_s": 10}, {**event, "at_s": 60}])
    assert found == [(("events", 1, field), f"unknown {field} {value!r}")]


def test_check_names_unknown_floors_spaces_and_exits_elsewhere():
    found = dict(problems(alarm="phased", fire_floor="F77", assigned_exits={"F02-A1": "EX-X", "ZZ": "EX-MAIN"},
                          route_choice="assigned", aset_s={"F02-Q": 300}, occupant_counts={"F02-Q": 3},
                          pre_movement={"by_floor": {"F99": {"kind": "fixed", "value": 5}}}))
    assert "F77" in found[("fire_floor",)]
    assert "EX-X" in found[("assigned_exits", "F02-A1")]
    assert "neither a space nor a floor" in found[("assigned_exits", "ZZ")]
    assert "F02-Q" in found[("aset_s", "F02-Q")]
    assert "F02-Q" in found[("occupant_counts", "F02-Q")]
    assert "F99" in found[("pre_movement", "by_floor", "F99")]


def test_check_refuses_more_occupants_than_jam_density():
    # F02-A1 is 10 × 8 m: at most floor(80 × 3.76) = 300 people.
    limit = math.floor(80 * JAM_DENSITY_PPM2)
    assert problems(occupant_counts={"F02-A1": limit}) == []
    [(loc, message)] = problems(occupant_counts={"F02-A1": limit + 1})
    assert loc == ("occupant_counts", "F02-A1")
    assert "F02-A1" in message and str(limit + 1) in message and "jam density" in message


def test_check_refuses_an_overloaded_building_space():
    crowded = BUILDING.model_copy(update={"spaces": [
        s.model_copy(update={"occupants": 500}) if s.id == "F03-A2" else s for s in BUILDING.spaces]})
    found = SPEC.check(params(), crowded, build_graph(crowded))
    assert found and found[0][0] == ("occupancy",) and "F03-A2" in found[0][1]


@pytest.mark.parametrize("bad, where", [
    ({"pre_movement": {"default": {"kind": "uniform", "low": 50, "high": 10}}}, ("pre_movement", "default", "uniform")),
    ({"pre_movement": {"default": {"kind": "gamma", "shape": -1, "scale": 10}}},
     ("pre_movement", "default", "gamma", "shape")),
    ({"pre_movement": {"by_kind": {"office": {"kind": "lognormal", "mu": 4, "sigma": 0}}}},
     ("pre_movement", "by_kind", "office", "lognormal", "sigma")),
    ({"pre_movement": {"default": {"kind": "weibull", "shape": 1.2, "scale": -3}}},
     ("pre_movement", "default", "weibull", "scale")),
    ({"pre_movement": {"default": {"kind": "normal", "mean": 60, "std": 5, "low": 200, "high": 100}}},
     ("pre_movement", "default", "normal")),
    ({"groups": {"slowpoke": {"horizontal_mps": {"kind": "normal", "mean": 0.3, "std": 0.2}, "uses_stairs": False}},
      "population": {"slowpoke": 1}}, ("groups", "slowpoke")),
    ({"groups": {"stairless": {"horizontal_mps": {"kind": "fixed", "value": 1.0}}}}, ("groups", "stairless")),
    ({"population": {"martians": 1.0}}, ()),
    ({"population": "commuters"}, ()),
    ({"alarm": "phased"}, ()),
    ({"route_choice": "assigned"}, ()),
    ({"events": [{"type": "blocked", "at_s": 5, "door": "F02-D1", "space": "F02-A1"}]}, ("events", 0, "blocked")),
    ({"events": [{"type": "smoke", "at_s": -5, "space": "F02-COR"}]}, ("events", 0, "smoke", "at_s")),
    ({"events": [{"type": "smoke", "at_s": 5, "space": "F02-COR", "speed_factor": 0}]},
     ("events", 0, "smoke", "speed_factor")),
    ({"occupancy": {"ballroom": 0.5}}, ()),
    ({"lifts": {"share_of_others": 1.5}}, ("lifts", "share_of_others")),
    ({"unknown_knob": 1}, ("unknown_knob",)),
])
def test_impossible_parameters_are_refused_with_their_field(bad, where):
    with pytest.raises(ValidationError) as info:
        EvacuationParams.model_validate({**QUICK, **bad})
    locs = [tuple(e["loc"]) for e in info.value.errors()]
    assert any(loc[:len(where)] == where for loc in locs), locs


# --- alarm strategies ----------------------------------------------------------------------------

def by_floor(rows, column):
    out = {}
    for r in rows:
        out.setdefault(r["floor"], []).append(r[column])
    return out


def test_simultaneous_alarm_everyone_out():
    res = run(params(alarm_delay_s=20, lifts={"enabled": False}, population="adults"))
    rows = res.records["occupants"]
    assert len(rows) == 23 == res.kpis["occupants"]
    assert all(r["alarm_s"] == 20 for r in rows)
    assert all(r["start_s"] >= 20 for r in rows)
    assert res.kpis["evacuated_share"] == 1.0 and res.kpis["trapped"] == 0
    assert res.kpis["rset_s"] == max(r["arrival_s"] for r in rows)


def test_phased_alarm_staggers_floors():
    res = run(params(alarm="phased", fire_floor="F03", alarm_delay_s=10, phase_delay_s=400, population="adults",
                     lifts={"enabled": False}))
    alarms = {f: set(v) for f, v in by_floor(res.records["occupants"], "alarm_s").items()}
    assert alarms == {"F01": {410}, "F02": {10}, "F03": {10}, "F04": {10}}
    starts = by_floor(res.records["occupants"], "start_s")
    assert min(starts["F01"]) >= 410 > max(max(starts[f]) for f in ("F02", "F03", "F04"))
    floors = {r["floor"]: r for r in res.records["floors"]}
    assert floors["F01"]["alarm_s"] == 410 and floors["F03"]["alarm_s"] == 10
    assert res.kpis["evacuated_share"] == 1.0


def test_stay_put_moves_only_the_fire_floor():
    res = run(params(alarm="stay_put", fire_floor="F04", population="adults"))
    rows = res.records["occupants"]
    moved = {r["floor"] for r in rows if r["evacuated"]}
    assert moved == {"F04"}
    assert all(r["mode"] == "stay" and math.isnan(r["arrival_s"]) for r in rows if r["floor"] != "F04")
    assert res.kpis["stayed_put"] == sum(1 for r in rows if r["floor"] != "F04")
    assert res.kpis["evacuated_share"] == 1.0  # of those told to go


def test_smoke_on_a_stay_put_floor_alerts_it():
    res = run(params(alarm="stay_put", fire_floor="F04", population="adults",
                     events=[{"type": "smoke", "space": "F02-COR", "at_s": 120, "speed_factor": 0.5}]))
    alarms = by_floor(res.records["occupants"], "alarm_s")
    assert set(alarms["F02"]) == {120}
    assert all(math.isnan(a) for a in alarms["F03"])


# --- route choice ---------------------------------------------------------------------------------

@pytest.mark.parametrize("choice, extra", [
    ("shortest", {}),
    ("congestion_aware", {}),
    ("assigned", {"assigned_exits": {"F01": "EX-STAIR", "F02-A1": "EX-MAIN"}}),
])
def test_each_route_choice_runs(choice, extra):
    res = run(params(route_choice=choice, population="adults", lifts={"enabled": False}, **extra))
    assert res.kpis["evacuated_share"] == 1.0
    rows = res.records["occupants"]
    if choice == "assigned":
        assert all(r["exit"] == "EX-STAIR" for r in rows if r["floor"] == "F01")
        assert all(r["exit"] == "EX-MAIN" for r in rows if r["space"] == "F02-A1")


def test_blocked_stair_door_reroutes_then_traps():
    # The only stair door on F03 is blocked from the start: F03 has no way down but the lifts,
    # which do not take people who can use stairs.
    res = run(params(population="adults", lifts={"enabled": False},
                     events=[{"type": "blocked", "door": "F03-DS", "at_s": 0}]))
    rows = res.records["occupants"]
    trapped = [r for r in rows if r["trapped"]]
    assert {r["floor"] for r in trapped} == {"F03"} and len(trapped) == 7
    assert all(r["trapped_at"] in ("F03-COR", "F03-A1", "F03-A2") and r["trapped_s"] >= r["start_s"] for r in trapped)
    assert res.kpis["trapped"] == 7
    assert {r["floor"]: r["trapped"] for r in res.records["floors"]}["F03"] == 7


def test_closed_exit_sends_people_to_the_other():
    res = run(params(population="adults", lifts={"enabled": False},
                     events=[{"type": "closed", "exit": "EX-STAIR", "at_s": 0}]))
    assert {r["exit"] for r in res.records["occupants"]} == {"EX-MAIN"}
    assert all("EX-STAIR" not in r["route"] for r in res.records["occupants"])


def test_untenable_corridor_reroutes_through_the_lobby():
    open_ = run(params(population="adults", lifts={"enabled": False}))
    assert any(r["exit"] == "EX-STAIR" for r in open_.records["occupants"])
    closed = run(params(population="adults", lifts={"enabled": False},
                        events=[{"type": "untenable", "space": "F01-ST", "at_s": 0}]))
    assert all("F01-ST" not in r["route"].split(" > ")[1:] for r in closed.records["occupants"])


def test_smoke_slows_and_exposes():
    clear = run(params(population="adults", lifts={"enabled": False}))
    smoky = run(params(population="adults", lifts={"enabled": False},
                       events=[{"type": "smoke", "space": f"F0{i}-COR", "at_s": 0, "speed_factor": 0.3}
                               for i in range(1, 5)]))
    assert clear.kpis["smoke_exposure_s"] == 0
    assert smoky.kpis["smoke_exposure_s"] > 0
    assert smoky.kpis["mean_evacuation_s"] > clear.kpis["mean_evacuation_s"]
    through_smoke = [r for r in smoky.records["occupants"] if "-COR" in r["route"]]
    assert through_smoke and all(r["smoke_exposure_s"] > 0 for r in through_smoke)
    assert all(r["smoke_exposure_s"] == 0 for r in smoky.records["occupants"] if "-COR" not in r["route"])


def test_aset_margin_per_floor():
    res = run(params(population="adults", lifts={"enabled": False}, aset_s={"F03-COR": 400, "F02-COR": 900}))
    floors = {r["floor"]: r for r in res.records["floors"]}
    assert floors["F03"]["aset_s"] == 400 and floors["F02"]["aset_s"] == 900
    assert floors["F03"]["margin_s"] < 400
    margins = [r["margin_s"] for r in res.records["floors"] if not math.isnan(r["margin_s"])]
    assert res.kpis["min_margin_s"] == min(margins)


# --- lifts ----------------------------------------------------------------------------------------

def test_fire_lift_carries_those_who_cannot_use_stairs():
    res = run(params(population=ADULTS_AND_WHEELCHAIRS))
    rows = res.records["occupants"]
    wheelchairs = [r for r in rows if r["group"] == "mobility_impaired"]
    assert wheelchairs and res.kpis["trapped"] == 0
    upstairs = [r for r in wheelchairs if r["floor"] != "F01"]
    assert upstairs and all(r["mode"] == "lift" and "LG-1" in r["route"] for r in upstairs)
    assert res.kpis["lift_evacuated"] == len(upstairs)
    trips = res.records["lift_trips"]
    assert trips and {t["car"] for t in trips} == {"L-2"}  # only the fire-service car serves
    assert sum(t["persons"] for t in trips) == len(upstairs)
    assert all(r["mode"] == "stairs" for r in rows if r["group"] != "mobility_impaired" and r["floor"] != "F01")


def test_all_cars_and_a_share_of_others_ride():
    res = run(params(population=ADULTS_AND_WHEELCHAIRS, lifts={"cars": "all", "share_of_others": 1.0}))
    trips = res.records["lift_trips"]
    assert {t["car"] for t in trips} == {"L-1", "L-2"}
    assert res.kpis["lift_evacuated"] == sum(1 for r in res.records["occupants"] if r["floor"] != "F01")


def test_power_loss_stops_the_lifts():
    loss_s = 40.0
    p = dict(population=ADULTS_AND_WHEELCHAIRS, pre_movement={"default": {"kind": "fixed", "value": 0}},
             lifts={"boarding_s": 10.0}, events=[{"type": "power_loss", "at_s": loss_s}])
    res = run(params(**p))
    trips = res.records["lift_trips"]
    assert all(t["arrive_s"] <= loss_s for t in trips)
    upstairs = [r for r in res.records["occupants"] if r["group"] == "mobility_impaired" and r["floor"] != "F01"]
    stranded = [r for r in upstairs if not r["evacuated"]]
    assert stranded and all(r["trapped"] and r["trapped_s"] >= loss_s for r in stranded)
    assert all(r["trapped_at"] in ("L-2", "F02-LL", "F03-LL", "F04-LL", "F02-COR", "F03-COR", "F04-COR",
                                   "F02-A1", "F02-A2", "F03-A1", "F03-A2", "F04-A1", "F04-A2") for r in stranded)
    # With a secondary supply the fire-service car runs on.
    backup = run(params(**{**p, "lifts": {"boarding_s": 10.0, "backup_power": True}}))
    assert backup.kpis["trapped"] == 0
    assert any(t["arrive_s"] > loss_s for t in backup.records["lift_trips"])


def test_without_lifts_wheelchair_users_upstairs_are_trapped():
    res = run(params(population=ADULTS_AND_WHEELCHAIRS, lifts={"enabled": False}))
    rows = res.records["occupants"]
    stuck = [r for r in rows if r["trapped"]]
    assert stuck and all(r["group"] == "mobility_impaired" and r["floor"] != "F01" for r in stuck)


# --- records, KPIs and determinism -------------------------------------------------------------------

def test_records_are_flat_scalars_and_charts_point_at_them():
    res = run(params(population=ADULTS_AND_WHEELCHAIRS, trace=True))
    for table, rows in res.records.items():
        for row in rows:
            scalar = (int, float, str, bool, np.integer, np.floating)
            assert all(v is None or isinstance(v, scalar) for v in row.values()), table
    for chart in SPEC.charts:
        assert chart.table in res.records
        columns = set(res.records[chart.table][0]) if res.records[chart.table] else set()
        assert chart.x in columns and (chart.y is None or chart.y in columns)
    assert set(res.kpis) == {k.name for k in SPEC.kpis}
    exit_flow = res.records["exit_flow"]
    assert [r["cumulative"] for r in exit_flow if r["exit"] == "EX-MAIN"] == list(
        range(1, 1 + sum(1 for r in res.records["occupants"] if r["exit"] == "EX-MAIN")))
    occupants = res.records["occupants"]
    assert {"id", "space", "floor", "group", "pre_movement_s", "start_s", "arrival_s", "route", "exit", "queued_s",
            "smoke_exposure_s", "trapped", "trapped_at", "trapped_s"} <= set(occupants[0])
    assert {"element", "kind", "max_queue", "congested_s", "passed"} <= set(res.records["elements"][0])
    assert {"floor", "clearance_s", "occupants", "aset_s", "margin_s"} <= set(res.records["floors"][0])


def test_same_seed_same_results_other_seed_differs():
    p = params(population=ADULTS_AND_WHEELCHAIRS, route_choice="congestion_aware",
               events=[{"type": "smoke", "space": "F03-COR", "at_s": 30}])
    a, b, c = run(p, seed=3), run(p, seed=3), run(p, seed=4)
    assert a.kpis == b.kpis and a.records == b.records
    assert a.kpis != c.kpis


def test_occupancy_profiles_scale_the_load():
    design = run(params(population="adults")).kpis["occupants"]
    night = [run(params(population="adults", occupancy="night_residential"), seed=s).kpis["occupants"]
             for s in range(5)]
    office_only = run(params(population="adults", occupancy={"default": 0.0, "lobby": 1.0})).kpis["occupants"]
    assert design == 23 and all(n <= 23 for n in night) and np.mean(night) > 15
    assert office_only == 2


def test_premovement_by_kind_and_floor():
    res = run(params(population="adults", pre_movement={
        "default": {"kind": "fixed", "value": 10},
        "by_kind": {"apartment": {"kind": "fixed", "value": 60}},
        "by_floor": {"F04": {"kind": "fixed", "value": 120}}}))
    pre = {(r["floor"], r["space"].split("-")[1]): r["pre_movement_s"] for r in res.records["occupants"]}
    assert pre[("F01", "LOB")] == 10 and pre[("F02", "A1")] == 60 and pre[("F04", "A2")] == 120


@settings(max_examples=40, deadline=None)
@given(shares=st.lists(st.floats(min_value=0.0, max_value=10.0, allow_nan=False), min_size=1, max_size=6),
       size=st.integers(min_value=0, max_value=500))
def test_group_counts_are_whole_and_close_to_shares(shares, size):
    shares = np.array(shares)
    if shares.sum() <= 0:
        return
    counts = group_counts(shares, size)
    assert counts.sum() == size and (counts >= 0).all()
    assert np.all(np.abs(counts - shares / shares.sum() * size) < 1.0 + 1e-9)


def test_builtin_groups_and_populations_are_consistent():
    for name in POPULATIONS:
        mix = resolve_population(name)
        assert abs(sum(share for _, _, share in mix) - 1.0) < 1e-12
    for name, group in GROUPS.items():
        assert group.horizontal_mps.lower_bound > 0, name
        assert group.description
    assert isinstance(GROUPS["male_30_50"].horizontal_mps, Uniform)


def test_trace_first_records_only_the_first_replication():
    """``trace: first`` keeps the movement log of replication 0 only (what a 3D playback needs)."""
    p = params(trace="first")
    traced = []
    for rep in (0, 1):
        ctx = ModelContext(env=simpy.Environment(), rng=np.random.default_rng(rep), building=BUILDING, graph=GRAPH,
                           params=p, horizon_s=3600.0, replication=rep)
        traced.append("trace" in SPEC.run(ctx).records)
    assert traced == [True, False]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_route_distances_are_the_same_from_scipy_and_networkx(seed):
    """The route trees' shortest distances come from scipy's Dijkstra on large networks and from
    networkx's on small ones (a small drill starts without importing scipy): on the same transitions,
    parallel ones included, both give the same distances, bit for bit."""
    from models.evacuation import _distances_to

    rng = np.random.default_rng(seed)
    n = 400
    src, dst = rng.integers(0, n, 3000), rng.integers(0, n, 3000)
    cost = rng.uniform(0.5, 30.0, 3000)
    targets = np.array([0, 17, 233])
    a = _distances_to(targets, src, dst, cost, n, engine="networkx")
    b = _distances_to(targets, src, dst, cost, n, engine="scipy")
    assert np.array_equal(a, b)
    assert np.isfinite(a).sum() > n // 2


@pytest.mark.parametrize("engine", ["networkx", "scipy"])
def test_the_cheapest_of_parallel_transitions_counts(engine):
    """Two transitions from state 1 to the target 0 (costs 5 and 2): the distance is 2, not their sum
    (a sparse matrix built from both would add them); state 2 has no way to the target."""
    from models.evacuation import _distances_to

    dist = _distances_to(np.array([0]), np.array([1, 1, 0]), np.array([0, 0, 1]), np.array([5.0, 2.0, 1.0]), 3,
                         engine=engine)
    assert dist.tolist() == [0.0, 2.0, math.inf]
