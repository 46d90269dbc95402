"""The elevator model as the runner, the API and the console see it (issue 13): one registered model
with three modes, its KPIs and their order, bad input refused naming file, field and value, the
what-ifs, and the rescue forecast from a live snapshot.

Model figures here are comparisons between configurations on common random numbers (the same
seed), not reference values: the verification against CIBSE Guide D and the observed figures of
``../shared/REFERENCES.md`` ("Elevators") is in tests/test_elevator_verification.py and
tests/test_elevator_rescue.py.
"""

from __future__ import annotations

import copy
import math
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import simpy

from models import get_model
from models.elevators import KPIS, SPEC, ElevatorParams
from models.elevators.model import check, cost, from_live, generator_fed_cars, trapped_band
from models.harness import ModelContext
from models.live import live_conditions
from scenarios.runner import run_scenario
from scenarios.spec import building_and_graph, load_scenario, parse_scenario
from scenarios.triggers import load_triggers, resolve_overrides
from tests.conftest import undocumented_fields
from twin.errors import SpecError
from twin.loader import load_building

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "elevators.md"
H = 3600.0
DAY = 86_400.0
YEAR = 365 * DAY
SHANGHAI_19H = datetime(2027, 1, 6, 11, 0, tzinfo=timezone.utc)  # Wednesday 19:00 in Shanghai


@pytest.fixture(scope="module")
def tower():
    return building_and_graph("tower")


@pytest.fixture(scope="module")
def podium():
    return building_and_graph("podium")


def params(**over) -> ElevatorParams:
    data: dict = {}
    for key, value in over.items():
        data[key] = copy.deepcopy(value)
    return ElevatorParams.model_validate(data)


def run(p: ElevatorParams, bg, horizon_s: float, seed: int = 1):
    building, graph = bg
    assert not check(p, building, graph), check(p, building, graph)
    ctx = ModelContext(env=simpy.Environment(), rng=np.random.default_rng(seed), building=building, graph=graph,
                       params=p, horizon_s=horizon_s)
    return SPEC.run(ctx)


STAFF = [{"id": "duty-tech", "role": "technician", "skills": ["general", "lift"], "count": 4, "pattern": "two_shift",
          "wage_cny_per_h": 45}]


# --- the model as registered ----------------------------------------------------------------------

def test_one_registered_model_with_three_modes():
    """issue 13 (contract): ONE registered model ``elevators`` with mode traffic | entrapment | power_loss."""
    assert get_model("elevators") is SPEC
    schema = ElevatorParams.model_json_schema()
    assert schema["properties"]["mode"]["enum"] == ["traffic", "entrapment", "power_loss"]


def test_the_console_headline_is_the_first_two_kpis_with_a_direction():
    """issue 13 item 4: the console shows a forecast's first two KPIs that have a better direction
    (viewer/console/static/console.js forecastFigures): "expected release in N min" and "30-min rule
    met with probability p" — trapped_min then arrival_within_30, whose target is TSG T5002's 95 %."""
    first = [k for k in KPIS if k.better][:2]
    assert [k.name for k in first] == ["trapped_min", "arrival_within_30"]
    rule = SPEC.kpi("arrival_within_30").target
    assert rule.op == ">=" and rule.value == 0.95 and "TSG T5002" in rule.source["en"]
    hc5 = SPEC.kpi("hc5_capacity_share").target
    assert hc5.op == ">=" and hc5.value == 0.12 and "BCO" in hc5.source["en"]
    assert SPEC.kpi("hc5_share").target is None  # the flow a day carried is not the capacity
    assert SPEC.kpi("awt_s").target.op == "<=" and SPEC.kpi("awt_s").target.value == 30.0


def test_kpis_a_mode_does_not_produce_are_absent(tower):
    """issue 13 (contract): a traffic replication has no rescue KPIs, a year of entrapments no traffic KPIs."""
    traffic = run(params(mode="traffic", traffic={"profile": "residential", "start_h": 7, "end_h": 8}), tower,
                  9 * H)
    assert {"awt_s", "hc5_share", "hc5_capacity_share", "starts_per_car"} <= set(traffic.kpis)
    assert not {"trapped_min", "arrival_within_30"} & set(traffic.kpis)
    year = run(params(mode="entrapment", entrapment={"rate_per_car_year": 2.0}, rescue={"staff": STAFF}), tower,
               YEAR)
    assert {"trapped_min", "arrival_within_30", "entrapments_per_year", "entrapments"} <= set(year.kpis)
    assert not {"awt_s", "hc5_share"} & set(year.kpis)
    rows = year.records["entrapments"]
    assert rows and all(r["trapped_band"] == trapped_band(r["trapped_min"]) for r in rows)
    assert year.kpis["entrapments"] == len(rows)


def test_trapped_bands_have_the_30_min_line_as_an_edge():
    """issue 13 item 3: the report's distribution of time trapped against the 30-min line."""
    assert trapped_band(29.9) == "20–30" and trapped_band(30.0) == "20–30" and trapped_band(30.1) == "30–60"
    assert trapped_band(math.nan) == ""


# --- bad input --------------------------------------------------------------------------------------

def _scenario(p: dict, building: str = "tower") -> dict:
    return {"name": "lift-bad", "model": "elevators", "building": building, "horizon_s": 86400, "params": p}


@pytest.mark.parametrize("bad, where, value", [
    ({"out_of_service": ["L-C9-9"]}, "params.out_of_service[0]", "L-C9-9"),
    ({"live_entrapments": [{"car": "LIFT-X", "persons": 2}]}, "params.live_entrapments[0].car", "LIFT-X"),
    ({"live_entrapments": [{"car": "L-C1-1", "persons": 2, "floor": "F99"}]}, "params.live_entrapments[0].floor",
     "F99"),
    ({"mode": "elevate"}, "params.mode", "elevate"),
    ({"power_loss": {"at_h": 25}}, "params.power_loss.at_h", "25"),
    ({"rescue": {"staff": STAFF, "roles": ["guard"]}}, "params.rescue", "guard"),
    ({"rescue": {"staff": [{**STAFF[0], "base": "F99-NOWHERE"}]}}, "params.rescue.staff[0]", "F99-NOWHERE"),
    ({"rescue": {"machine_rooms": {"LG-C1": "ROOF-X"}}}, "params.rescue.machine_rooms", "ROOF-X"),
    ({"live_car": "LIFT-9"}, "params.live_car", "LIFT-9"),
    ({"entrapment": {"causes": [{"cause": "door_fault", "share": 0.6}, {"cause": "other", "share": 0.3}]}},
     "params.entrapment: causes", "0.9"),
    ({"traffic": {"custom_profile": {"share": [0.05] * 24, "incoming": [0.5] * 24, "outgoing": [0.5] * 24,
                                     "interfloor": [0.0] * 24}}}, "params.traffic.custom_profile", "share sums to 1.2"),
])
def test_bad_input_is_refused_naming_file_field_and_value(bad, where, value):
    """issue 13 "Bad input": a clear error naming the file, the field and the value, before any run —
    unknown cars, a rescue plan that names a role nobody holds, cause shares not summing to 1."""
    with pytest.raises(SpecError) as info:
        parse_scenario(_scenario(bad), "lift-bad.yaml")
    message = str(info.value)
    assert "lift-bad.yaml" in message and where in message and value in message, message


def _tower_yaml() -> str:
    return (ROOT / "twin" / "samples" / "tower.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("old, new, where, value", [
    ("    capacity_persons: 13\n", "    capacity_persons: 0\n", "capacity_persons", "0"),
    ("    rated_speed_mps: 2.5\n", "    rated_speed_mps: -2.5\n", "rated_speed_mps", "-2.5"),
    ("    jerk_mps3: 1.8\n", "    jerk_mps3: 1.8\n    door_open_s: -3\n", "door_open_s", "-3"),
    ("    floors_served: [B2, B1, F01,", "    floors_served: [B3, B1, F01,", "floors_served[0]", "B3"),
])
def test_bad_cars_in_the_building_file_are_refused_naming_file_field_and_value(tmp_path, old, new, where, value):
    """issue 13 "Bad input": cars serving floors the building lacks, capacity 0, negative speeds or door
    times — refused when the building file loads (twin.spec and twin.loader), naming file, field, value."""
    text = _tower_yaml()
    assert old in text
    path = tmp_path / "bad-tower.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_building(path)
    message = str(info.value)
    assert "bad-tower.yaml" in message and "elevators[0] 'LG-C1'.cars[0] 'L-C1-1'" in message and where in message \
        and value in message, message


def test_check_names_a_car_serving_a_floor_a_building_made_in_code_lacks(tower):
    """issue 13 "Bad input": a building made in code (not through the loader) is checked by the model."""
    building, graph = tower
    data = building.model_dump()
    data["elevators"][0]["cars"][0]["floors_served"][0] = "B9"
    odd = type(building).model_validate(data)
    problems = check(params(), odd, None)
    assert any(loc[-1] == 0 and "B9" in msg for loc, msg in problems), problems


# --- power loss, out of service, what-ifs --------------------------------------------------------------

def test_generator_fed_cars_are_the_fire_service_cars_on_the_transfer_switch(tower):
    """issue 13 item 2: generator-fed cars, per the building's feeds (GEN → ATS-1 → L-C*-4), run on."""
    building, _ = tower
    assert generator_fed_cars(building) == {"L-C1-4", "L-C2-4", "L-C3-4", "L-C4-4"}


def test_power_loss_stops_every_car_not_on_the_generator_and_traps_those_aboard(tower):
    """issue 13 item 2/5: a power-loss drill at the evening peak — every car not fed by the generator
    stops at once (12 of 16), everyone aboard a car not at an open landing is trapped, and the
    trapped cars compete for the same rescuers (each released, none before it was trapped)."""
    p = params(mode="power_loss", start_s=18.5 * H, traffic={"profile": "residential"},
               power_loss={"at_h": 19.0, "warmup_min": 30}, rescue={"staff": STAFF})
    r = run(p, tower, 2.5 * H)
    assert r.kpis["cars_stopped"] == 12
    stopped = {s["car"] for s in r.records["stopped_cars"]}
    assert not stopped & {"L-C1-4", "L-C2-4", "L-C3-4", "L-C4-4"}
    rows = r.records["entrapments"]
    assert rows and all(row["cause"] == "power_loss" and row["t_s"] == 19 * H for row in rows)
    assert r.kpis["persons_trapped"] == sum(row["persons"] for row in rows) > 0
    assert all(row["released_s"] >= row["arrived_s"] >= row["t_s"] for row in rows)
    no_gen = run(p.model_copy(update={"power_loss": p.power_loss.model_copy(update={"generator": False})}), tower,
                 2.5 * H)
    assert no_gen.kpis["cars_stopped"] == 16


def test_a_car_out_for_modernisation_carries_nobody_and_lengthens_the_wait(podium):
    """issue 13 item 5: a car out of service for modernisation — it makes no start, and the podium's
    office up-peak waits longer with four cars than with five (same seed)."""
    base = {"mode": "traffic", "traffic": {"profile": "office", "population": 590, "start_h": 7.5, "end_h": 9.5}}
    five = run(params(**base), podium, 10 * H)
    four = run(params(**base, out_of_service=["L-1"]), podium, 10 * H)
    starts = {r["car"]: r["starts"] for r in four.records["cars"]}
    assert starts.get("L-1", 0) == 0
    assert four.kpis["awt_s"] > five.kpis["awt_s"]


def test_what_ifs_detection_and_on_site_staff_change_the_rescue(tower):
    """issue 13 item 5: automatic detection off → later detection (the EN 81-28 voice call); no certified
    on-site staff → every rescue by the contractor, later; the contractor on standby in the building
    rather than called out → sooner (same seed, a high rate to have many entrapments)."""
    common = {"mode": "entrapment", "entrapment": {"rate_per_car_year": 3.0}}
    base = run(params(**common, rescue={"staff": STAFF}), tower, YEAR)
    voice = run(params(mode="entrapment", entrapment={"rate_per_car_year": 3.0, "detection": {"automatic": False}},
                       rescue={"staff": STAFF}), tower, YEAR)
    contractor = run(params(**common, rescue={"staff": []}), tower, YEAR)
    standby = run(params(**common, rescue={"staff": [], "contractor": {
        "standby": [{"start_h": 0, "end_h": 24, "days": "every_day", "persons": 1}]}}), tower, YEAR)
    assert voice.kpis["detect_min"] > base.kpis["detect_min"]
    assert base.kpis["staff_rescue_share"] > 0.5 and contractor.kpis["staff_rescue_share"] == 0.0
    assert contractor.kpis["arrival_min"] > base.kpis["arrival_min"]
    assert standby.kpis["arrival_min"] < contractor.kpis["arrival_min"]  # contractor on standby vs call-out


def test_review_says_when_no_replication_had_an_entrapment(tower):
    """issue 13: a rescue run in which nobody was ever trapped says so (the rescue KPIs: not applicable)."""
    r = run(params(mode="entrapment", entrapment={"rate_per_car_year": 0.0}), tower, 30 * DAY)
    assert r.kpis["entrapments"] == 0 and "trapped_min" not in r.kpis
    assert "no_entrapments" in SPEC.review([r, r])


def test_cost_and_advice(tower):
    """issue 13: the run's cost is estimated before it runs; a run that says little is warned about."""
    building, _ = tower
    year = cost(params(mode="entrapment"), YEAR, building)
    day = cost(params(mode="traffic"), DAY, building)
    assert 0 < year.events < day.events and day.record_rows > 1000
    notes = SPEC.advise(params(mode="entrapment"), 7 * DAY, building)
    assert any("entrapments are expected" in n["en"] for n in notes)
    assert any("BCO" in n["en"] for n in SPEC.advise(params(mode="traffic"), DAY, building))


# --- the rescue forecast from a live snapshot ------------------------------------------------------

def _snapshot(cars: dict[str, dict], alarms=(), taken=SHANGHAI_19H, down=()):
    equipment = {car: {"status": "alarm", "values": values} for car, values in cars.items()}
    for dev in down:
        equipment[dev] = {"status": "offline", "in_service": False, "values": {}}
    return SimpleNamespace(taken_at=taken, equipment=equipment, alarms=list(alarms), building_id="tower")


def _alarm(car: str, rule: str = "event:entrapment", ago_s: float = 120.0, taken=SHANGHAI_19H) -> dict:
    return {"id": f"{rule}:{car}", "rule": rule, "device": car, "severity": "critical", "active": True,
            "raised_ms": taken.timestamp() * 1000 - ago_s * 1000, "system": "elevator"}


def test_from_live_takes_the_trapped_car_its_load_and_the_local_time(tower):
    """issue 13 item 4: from the snapshot — this car, the people aboard (300 kg / 75 kg = 4), nearest
    floor, trapped two minutes ago; the run starts at the building's local time (19:00 Wednesday), so
    the shift on duty and the contractor's response are this hour's."""
    building, _ = tower
    snap = _snapshot({"L-C2-3": {"floor": "F17", "motion": "stopped", "in_door_zone": False, "load_kg": 300.0,
                                 "mode": "fault", "door": "closed"},
                      "L-C3-1": {"floor": "F01", "motion": "stopped", "in_door_zone": True, "load_kg": 0.0,
                                 "mode": "inspection"}}, [_alarm("L-C2-3")])
    cond = live_conditions(snap, building)
    assert cond.cars["L-C2-3"].load_kg == 300.0 and cond.cars["L-C2-3"].in_door_zone is False
    p, notes = from_live(params(live_car="L-C2-3"), cond, building)
    (e,) = p.live_entrapments
    assert (e.car, e.persons, e.floor, e.between_floors, e.age_s) == ("L-C2-3", 4, "F17", True, 120.0)
    assert p.mode == "entrapment" and p.start_date.isoformat() == "2027-01-06" and p.start_s == 19 * H
    assert p.out_of_service == ["L-C3-1"]  # under inspection: out of service, not trapped
    assert any("L-C2-3 (4 aboard, between floors)" in n["en"] for n in notes)


def test_from_live_forecasts_several_cars_together_on_a_power_loss(tower):
    """issue 13 item 4: a power loss with several cars stopped forecasts them together (mode
    power_loss); a generator-fed car, and a car at a landing, are not trapped."""
    building, _ = tower
    stuck = {"motion": "stopped", "in_door_zone": False, "load_kg": 150.0, "mode": "power_loss"}
    cars = {"L-C1-1": {**stuck, "floor": "F05"}, "L-C3-2": {**stuck, "floor": "F22", "load_kg": 80.0},
            "L-C1-4": {**stuck, "floor": "F09"},  # the fire-service car on the generator
            "L-C4-1": {**stuck, "floor": "F02", "in_door_zone": True}}  # at a landing: people walk out
    snap = _snapshot(cars, [_alarm("L-C1-1", "lift-possible-entrapment")], down=("TX-1", "TX-2"))
    cond = live_conditions(snap, building)
    assert cond.mains_lost and "L-C1-4" in cond.backup_fed
    p, _ = from_live(params(live_car="L-C1-1"), cond, building)
    assert p.mode == "power_loss"
    assert {e.car: e.persons for e in p.live_entrapments} == {"L-C1-1": 2, "L-C3-2": 1}
    r = run(p, tower, 4 * H)
    assert r.kpis["entrapments"] == 2 and r.kpis["cars_stopped"] == 2
    assert all(row["t_s"] <= p.start_s <= row["detected_s"] for row in r.records["entrapments"])


def test_the_live_forecast_runs_from_a_snapshot_and_its_summary_has_the_headline():
    """issue 13 item 4: the library's live forecast from a snapshot — ten replications of this car's
    rescue; the summary carries the mean and, across replications, the p95 of the time trapped
    ("expected release in N min (95 % within M min)") and the probability of the 30-min rule."""
    loaded = load_scenario("live-lift-forecast")
    snap = _snapshot({"L-C1-2": {"floor": "F20", "motion": "stopped", "in_door_zone": False, "load_kg": 160.0}},
                     [_alarm("L-C1-2")])
    result = run_scenario(loaded, replications=10, snapshot=snap)
    s = result.summary
    assert s["parameters"]["live_entrapments"][0]["car"] == "L-C1-2"
    trapped, rule = s["kpis"]["trapped_min"], s["kpis"]["arrival_within_30"]
    assert trapped["n"] == 10 and trapped["p95"] >= trapped["mean"] > 0
    assert 0.0 <= rule["mean"] <= 1.0
    assert [k for k, v in s["kpis"].items() if v["better"]][:2] == ["trapped_min", "arrival_within_30"]


def test_the_shipped_trigger_sends_an_entrapment_alarm_to_the_lift_forecast():
    """issue 13 item 4: both the car's entrapment event and the twin's lift-possible-entrapment rule start
    the live-lift-forecast, naming the alarm's car and leaving the example's cars out."""
    t = {x.name: x for x in load_triggers()}["lift-rescue-forecast"]
    assert set(t.when.rules) == {"event:entrapment", "lift-possible-entrapment"} and t.scenario == "live-lift-forecast"
    assert resolve_overrides(t, _alarm("LIFT-2")) == {"params.live_car": "LIFT-2", "params.live_entrapments": []}


# --- the documentation --------------------------------------------------------------------------------

def test_docs_name_every_field_of_the_elevator_params():
    """issue 13 (docs/elevators.md): every field of the params and of every model nested in them has a
    row in the reference — a field added without documenting it fails here."""
    missing = undocumented_fields(DOCS.read_text(encoding="utf-8"), ElevatorParams)
    assert not missing, f"not in docs/elevators.md: {missing}"


def test_docs_example_is_a_valid_scenario(tmp_path):
    """issue 13 (docs/elevators.md): the example scenario in the reference loads and validates."""
    text = DOCS.read_text(encoding="utf-8")
    example = text.split("## Example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "lift-example.yaml"
    path.write_text(example, encoding="utf-8")
    loaded = load_scenario(path)
    assert loaded.params.mode == "entrapment" and loaded.params.rescue.contractor.standby


def test_maintenance_visits_come_from_an_operations_run(tmp_path, monkeypatch):
    """issue 13 item 2: with both models, a car's failure age counts from the operations model's lift PM
    (that run's equipment_events), not from a fixed interval; a folder without lift PM, or outside the
    data directory, is refused naming the field."""
    import pandas as pd

    monkeypatch.setenv("TWIN_DATA_DIR", str(tmp_path))
    records = tmp_path / "ops-run" / "records"
    records.mkdir(parents=True)
    building = load_building("tower")
    cars = [c.id for g in building.elevators for c in g.cars]
    day = 86_400.0
    # Every car maintained on days 10 and 200 only: long gaps, so the rate grows with the days since.
    rows = [{"point": 0, "replication": r, "equipment": car, "kind": "lift_car", "event": "pm", "t_s": d * day,
             "age_h": 0.0, "cost_cny": 0.0} for r in (0, 1) for car in cars for d in (10, 200)]
    pd.DataFrame(rows).to_parquet(records / "equipment_events.parquet", index=False)
    from models.elevators.entrapment import maintenance_from_results

    got = maintenance_from_results("ops-run", cars, 3)
    assert got[cars[0]] == [10 * day, 200 * day] and set(got) == set(cars)
    yaml_doc = {"name": "lift-pm", "model": "elevators", "building": "tower", "seed": 3, "replications": 2,
                      "horizon_s": 31_536_000, "params": {"mode": "entrapment",
                                                          "entrapment": {"maintenance_results": "ops-run"}}}
    loaded = parse_scenario(yaml_doc, "lift-pm.yaml")
    assert check(loaded.params, loaded.building) == []
    run_scenario(loaded, replications=2)  # runs on the operations run's visits
    for folder, said in (("no-such-run", "'no-such-run/records/equipment_events.parquet' not found"),
                         ("../etc", "without '..'")):
        bad = copy.deepcopy(yaml_doc)
        bad["params"]["entrapment"]["maintenance_results"] = folder
        with pytest.raises(SpecError) as err:
            parse_scenario(bad, "lift-pm.yaml")
        assert "lift-pm.yaml: params.entrapment.maintenance_results" in str(err.value) and said in str(err.value)
