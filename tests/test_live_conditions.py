"""Models start from the live twin: a snapshot's lifts, power, fire alarm and time become initial conditions.

The snapshots here are real: a :class:`TwinState` and an :class:`AlarmEngine` for the sample tower
fed the same state messages, statuses and fire-panel events the bridge hands them.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from models import get_model
from models.evacuation import EvacuationParams
from models.live import live_conditions
from scenarios.runner import run_scenario
from scenarios.spec import parse_scenario
from twin.live.alarms import AlarmEngine, load_rules
from twin.live.payloads import DeviceEvent, DeviceStatus, StateUpdate
from twin.live.state import TwinState
from twin.live.values import FrozenMap
from twin.loader import load_building


@pytest.fixture(scope="module")
def tower():
    return load_building("tower")


def _ms(tower, local: str) -> int:
    return int(datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tower.site.timezone)).timestamp() * 1000)


class Live:
    """The tower's live state and alarms on a fixed clock."""

    def __init__(self, tower, local: str = "2026-11-24T02:30:00"):
        self.t = _ms(tower, local)
        self.state = TwinState(tower, clock=lambda: self.t)
        self.alarms = AlarmEngine(tower, load_rules(), self.state, clock=lambda: self.t)

    def values(self, device: str, **values) -> None:
        change = self.state.apply_state(StateUpdate(device, self.t, FrozenMap(values)), self.t)
        self.alarms.evaluate([change], self.t)

    def offline(self, device: str) -> None:
        self.state.apply_status(DeviceStatus(device, False, self.t))
        self.alarms.handle_status(DeviceStatus(device, False, self.t), self.t)

    def fire(self, zone: str) -> None:
        self.alarms.handle_event(DeviceEvent("FAP-1", "fire_alarm", "critical", True, self.t, f"k-{zone}", zone=zone),
                                 self.t)

    def snapshot(self):
        return self.state.snapshot()


def test_conditions_read_lifts_fire_floor_and_time(tower) -> None:
    live = Live(tower)
    live.values("L-C2-4", mode="inspection")           # a fire-service car under inspection
    live.offline("L-C1-1")                              # a car whose controller went silent
    live.values("L-C3-4", mode="fire_recall")           # recall is what a fire alarm does: still at hand
    live.fire("FZ-F12")
    cond = live_conditions(live.snapshot(), tower)
    assert cond.lifts_out == ("L-C1-1", "L-C2-4")
    assert cond.reasons["L-C2-4"] == "mode inspection" and cond.reasons["L-C1-1"] == "offline"
    assert "L-C3-4" not in cond.lifts_out
    assert cond.fire_floors == ("F12",)
    assert cond.taken_at.hour == 2 and cond.mains_lost is False


def test_evacuation_params_follow_the_snapshot_and_keep_what_the_scenario_set(tower) -> None:
    live = Live(tower, "2026-11-24T02:30:00")  # a Tuesday night
    live.values("L-C2-4", mode="inspection")
    live.fire("FZ-F12")
    spec = get_model("evacuation")
    params = EvacuationParams.model_validate({"alarm": "phased", "fire_floor": "F12", "alarm_delay_s": 60})
    cond = live_conditions(live.snapshot(), tower)
    adjusted, notes = spec.from_live(params, cond, tower)
    notes = [n["en"] for n in notes]  # notes are Text (en + zh-CN)
    assert adjusted.lifts.out_of_service == ("L-C2-4",)
    assert adjusted.fire_floor == "F12" and adjusted.alarm_delay_s == 0.0
    assert adjusted.occupancy == "night_residential"  # not set by the scenario: from the local time
    assert any("L-C2-4 (mode inspection)" in n for n in notes)
    assert any("night_residential" in n and "Tuesday 02:30" in n for n in notes)

    # What the scenario sets explicitly wins over what the snapshot suggests; equipment state does not.
    explicit = EvacuationParams.model_validate({"alarm": "phased", "fire_floor": "F20", "occupancy": "design"})
    kept, notes = spec.from_live(explicit, cond, tower)
    notes = [n["en"] for n in notes]
    assert kept.fire_floor == "F20" and kept.occupancy == "design"
    assert kept.lifts.out_of_service == ("L-C2-4",)
    assert any("F20 kept" in n for n in notes) and "occupancy kept from the scenario" in notes

    # By day the profile follows the weekday.
    saturday = Live(tower, "2026-11-28T11:00:00")
    adjusted, _ = spec.from_live(EvacuationParams(), live_conditions(saturday.snapshot(), tower), tower)
    assert adjusted.occupancy == "weekend"


def test_the_chinese_note_says_why_each_car_is_out_in_chinese(tower) -> None:
    """H-WORDS2: the note listing the cars out of service gives each car's reason in its language —
    检修模式（inspection）, 离线 in zh-CN — not the English reason ("mode inspection", "offline")."""
    live = Live(tower)
    live.values("L-C2-4", mode="inspection")
    live.offline("L-C1-1")
    cond = live_conditions(live.snapshot(), tower)
    _, notes = get_model("evacuation").from_live(EvacuationParams(), cond, tower)
    lifts = next(n for n in notes if "not used for evacuation" in n["en"])
    assert "L-C1-1 (offline), L-C2-4 (mode inspection)" in lifts["en"], lifts["en"]
    assert "L-C1-1（离线）、L-C2-4（检修模式（inspection））" in lifts["zh-CN"], lifts["zh-CN"]
    assert "offline" not in lifts["zh-CN"] and "mode " not in lifts["zh-CN"], lifts["zh-CN"]


def test_mains_lost_stops_lifts_unless_a_generator_feeds_the_fire_service_cars(tower) -> None:
    spec = get_model("evacuation")
    live = Live(tower)
    live.values("TX-1", breaker="tripped")
    live.values("TX-2", breaker="tripped")
    cond = live_conditions(live.snapshot(), tower)
    assert cond.mains_lost and {"L-C1-4", "L-C2-4", "L-C3-4", "L-C4-4"} <= cond.backup_fed  # GEN-1 → ATS-1 → cars
    adjusted, notes = spec.from_live(EvacuationParams(), cond, tower)
    assert [(e.type, e.at_s) for e in adjusted.events] == [("power_loss", 0.0)]
    assert adjusted.lifts.backup_power is True
    live.values("GEN-1", run_state="fault")
    cond = live_conditions(live.snapshot(), tower)
    adjusted, notes = spec.from_live(EvacuationParams(), cond, tower)
    assert adjusted.lifts.backup_power is False and "no generator in service" in notes[0]["en"]


def _scenario(tower_path: str = "tower") -> dict:
    # Mobility-impaired residents need the fire-service lifts; a quarter of the design load keeps it quick.
    return {"name": "live-check", "model": "evacuation", "building": tower_path, "seed": 7, "replications": 1,
            "horizon_s": 7200,
            "params": {"occupancy": {"apartment": 0.25, "default": 0.0},
                       "population": {"male_30_50": 0.9, "mobility_impaired": 0.1}}}


def test_a_run_from_the_snapshot_uses_only_the_lifts_in_service(tower, tmp_path) -> None:
    """Every fire-service car out of service: nobody leaves by lift, and those who need one are
    trapped (awaiting rescue); with one car back, it alone carries them. The summary says why."""
    loaded = parse_scenario(_scenario(), "live-check.yaml", None)
    live = Live(tower)
    for car in ("L-C1-4", "L-C2-4", "L-C3-4", "L-C4-4"):
        live.values(car, mode="out_of_service")
    none_left = run_scenario(loaded, snapshot=live.snapshot())
    assert none_left.summary["kpis"]["lift_evacuated"]["mean"] == 0
    assert none_left.summary["kpis"]["trapped"]["mean"] > 0
    assert sorted(none_left.summary["live"]["lifts_out"]) == ["L-C1-4", "L-C2-4", "L-C3-4", "L-C4-4"]
    assert none_left.summary["parameters"]["lifts"]["out_of_service"] == ["L-C1-4", "L-C2-4", "L-C3-4", "L-C4-4"]

    live.values("L-C3-4", mode="normal")
    one_back = run_scenario(loaded, snapshot=live.snapshot())
    trips = one_back.records["lift_trips"]
    assert one_back.summary["kpis"]["lift_evacuated"]["mean"] > 0
    assert set(trips["car"]) == {"L-C3-4"}
    assert one_back.summary["kpis"]["trapped"]["mean"] < none_left.summary["kpis"]["trapped"]["mean"]


def test_a_model_without_from_live_runs_as_written_and_says_so(tower) -> None:
    doc = {"name": "desk", "model": "repair_desk", "building": "tower", "seed": 1, "replications": 2,
           "horizon_s": 8 * 3600, "params": {}}
    loaded = parse_scenario(doc, "desk.yaml", None)
    bare = dataclasses.replace(loaded, model=dataclasses.replace(loaded.model, from_live=None))
    plain = run_scenario(bare)
    live = run_scenario(bare, snapshot=Live(tower).snapshot())
    assert "live" not in plain.summary
    assert "takes no initial conditions" in live.summary["live"]["notes"][0]["en"]
    assert live.summary["kpis"] == plain.summary["kpis"]


def test_repair_desk_opens_a_work_order_per_device_in_alarm(tower) -> None:
    live = Live(tower, "2026-11-24T09:00:00")
    live.values("PMP-FH-1", run_state="tripped")      # pump-tripped: major → an emergency order
    live.fire("FZ-F12")                                # a fire is not a repair
    cond = live_conditions(live.snapshot(), tower)
    params, notes = get_model("repair_desk").from_live(get_model("repair_desk").params(), cond, tower)
    assert (params.backlog_emergency, params.backlog_ordinary, params.warmup_s) == (1, 0, 0.0)
    assert "PMP-FH-1" in notes[0]["en"] and "no warm-up" in notes[1]["en"]


def test_backlog_drains_as_the_memoryless_theory_says() -> None:
    """k orders waiting at 0 s, c technicians, exponential repairs of mean m, no new arrivals: while
    all c are busy, departures come at rate c/m (memoryless), so order j > c waits (j − c)·m/c on
    average and the mean wait over the k is (m/c)·(k − c)(k − c + 1)/(2k) — here 25.0 min.
    Tolerance: the 99 % confidence interval over 400 replications must contain it."""
    k, c, m = 6, 2, 30.0
    doc = {"name": "drain", "model": "repair_desk", "building": "tower", "seed": 11, "replications": 400,
           "horizon_s": 48 * 3600, "params": {"emergency_per_h": 0, "ordinary_per_h": 0, "technicians": c,
                                              "repair_mean_min": m, "warmup_s": 0, "backlog_emergency": k}}
    result = run_scenario(parse_scenario(doc, "drain.yaml", None))
    waits = result.records["kpis"]["emergency_wait_min"].to_numpy()
    expected = (m / c) * (k - c) * (k - c + 1) / (2 * k)
    half = 2.576 * waits.std(ddof=1) / len(waits) ** 0.5
    assert abs(waits.mean() - expected) <= half, (waits.mean(), expected, half)
    assert (result.records["kpis"]["orders_completed"] == k).all()
