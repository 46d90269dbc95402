"""Alarm rules and life cycle: thresholds held for a while, entrapment, staleness, events, hooks."""

from __future__ import annotations

import threading

import pytest

from twin.errors import SpecError
from twin.live.alarms import AlarmEngine, AlarmNotFound, load_rules, parse_rules
from twin.live.payloads import DeviceEvent, DeviceStatus, StateUpdate
from twin.live.state import TwinState
from twin.live.values import FrozenMap

T0 = 1_750_000_000_000


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> int:
        return self.t


def setup(block, rules=None):
    clock = Clock()
    state = TwinState(block, clock=clock)
    engine = AlarmEngine(block, rules or load_rules(), state, clock=clock)
    return clock, state, engine


def tick(engine, device):
    """Transitions of one device's rules at a tick, staleness aside (tested on its own)."""
    return [t for t in engine.tick() if t.alarm.device == device and t.alarm.rule != "device-stale"]


def feed(clock, state, engine, device, dt_s=0.0, **values):
    clock.t += int(dt_s * 1000)
    change = state.apply_state(StateUpdate(device, clock.t, FrozenMap(values)), clock.t)
    return engine.evaluate([change], clock.t)


def test_threshold_must_hold_for_its_duration_and_clears_past_the_dead_band(block) -> None:
    clock, state, engine = setup(block)
    assert feed(clock, state, engine, "PMP-1", outlet_pressure_kpa=580.0) == []
    assert feed(clock, state, engine, "PMP-1", 1, outlet_pressure_kpa=120.0) == []  # below 150 from now
    assert feed(clock, state, engine, "PMP-1", 30, outlet_pressure_kpa=125.0) == []
    feed(clock, state, engine, "PMP-1", 14, outlet_pressure_kpa=125.0)  # keep it fresh
    clock.t += 15_000
    assert tick(engine, "PMP-1") == []  # 59 s
    clock.t += 1_000
    (t,) = tick(engine, "PMP-1")  # 60 s below 150 kPa, with no new message needed
    assert (t.transition, t.alarm.id, t.alarm.severity, t.alarm.state) == \
        ("raised", "pump-low-pressure:PMP-1", "major", "active_unacked")
    assert "125 kPa below 150 kPa" in t.alarm.message
    assert t.alarm.words["zh-CN"] == "PMP-1 出口压力 125 kPa，持续 60 秒低于 150 kPa"  # rules.yaml's own words
    assert state.status("PMP-1") == "alarm"
    assert feed(clock, state, engine, "PMP-1", 1, outlet_pressure_kpa=160.0) == []  # inside the 20 kPa dead band
    (t,) = feed(clock, state, engine, "PMP-1", 1, outlet_pressure_kpa=175.0)
    assert t.transition == "cleared" and t.alarm.state == "cleared_unacked"
    engine.tick()  # it went briefly stale while we waited; fresh data clears that at the next tick
    assert state.status("PMP-1") == "ok"


def test_a_dip_shorter_than_the_duration_raises_nothing(block) -> None:
    clock, state, engine = setup(block)
    feed(clock, state, engine, "PMP-1", outlet_pressure_kpa=100.0)
    feed(clock, state, engine, "PMP-1", 50, outlet_pressure_kpa=400.0)
    feed(clock, state, engine, "PMP-1", 50, outlet_pressure_kpa=100.0)
    clock.t += 50_000
    assert tick(engine, "PMP-1") == []
    assert [a for a in engine.open_alarms() if a.rule != "device-stale"] == []


def test_lift_stopped_between_floors_with_load_is_a_possible_entrapment(block) -> None:
    clock, state, engine = setup(block)
    stopped = dict(motion="stopped", in_door_zone=False, door="closed", mode="normal")
    feed(clock, state, engine, "LIFT-1", **stopped, load_kg=0.0)  # empty car: not an entrapment
    clock.t += 60_000
    assert tick(engine, "LIFT-1") == []
    feed(clock, state, engine, "LIFT-1", load_kg=225.0)
    clock.t += 5_999
    assert tick(engine, "LIFT-1") == []
    clock.t += 24_000
    assert tick(engine, "LIFT-1") == []  # 29.999 s
    clock.t += 1
    (t,) = tick(engine, "LIFT-1")  # 30 s since the load went on
    assert (t.alarm.rule, t.alarm.severity, t.alarm.device, t.alarm.system) == \
        ("lift-possible-entrapment", "critical", "LIFT-1", "elevator")
    (t,) = feed(clock, state, engine, "LIFT-1", 5, in_door_zone=True)  # levelled at a floor
    assert t.transition == "cleared"


def test_stale_and_offline_devices_raise_alarms(block) -> None:
    clock, state, engine = setup(block)
    feed(clock, state, engine, "PMP-1", outlet_pressure_kpa=580.0)
    clock.t += 15_000
    assert [t.alarm.id for t in engine.tick() if t.alarm.device == "PMP-1"] == []
    clock.t += 1
    raised = {t.alarm.id: t for t in engine.tick()}
    assert "device-stale:PMP-1" in raised and raised["device-stale:PMP-1"].alarm.severity == "minor"
    assert "device-stale:FAP-1" not in raised  # reports every 10 s: its chance has not passed yet
    clock.t = T0 + 30_001
    assert "device-stale:FAP-1" in {t.alarm.id for t in engine.tick()}  # never reported at all
    assert state.status("PMP-1") == "stale"
    feed(clock, state, engine, "PMP-1", outlet_pressure_kpa=580.0)
    cleared = [t for t in engine.tick() if t.alarm.device == "PMP-1"]
    assert [(t.alarm.id, t.transition) for t in cleared] == [("device-stale:PMP-1", "cleared")]
    (t,) = engine.handle_status(DeviceStatus("AHU-1", False, clock.t))
    assert (t.alarm.id, t.alarm.severity) == ("device-offline:AHU-1", "major")
    (t,) = engine.handle_status(DeviceStatus("AHU-1", True, clock.t))
    assert t.transition == "cleared"


def test_life_cycle_active_cleared_times_acknowledged(block) -> None:
    clock, state, engine = setup(block)
    fire = DeviceEvent("FAP-1", "fire_alarm", "critical", True, T0, "k1", zone="Z02")
    (t,) = engine.handle_event(fire)
    alarm_id = t.alarm.id
    assert alarm_id == "event:fire_alarm:FAP-1:Z02" and t.alarm.floor == "F02"
    assert engine.handle_event(fire) == []  # already active
    clock.t += 5_000
    t = engine.acknowledge(alarm_id, " duty engineer ", "on my way")
    assert (t.transition, t.alarm.state, t.alarm.acked_by, t.alarm.acked_ms, t.alarm.ack_note) == \
        ("acknowledged", "active_acked", "duty engineer", T0 + 5_000, "on my way")
    assert engine.acknowledge(alarm_id, "someone else") is None  # once is enough
    clock.t += 5_000
    (t,) = engine.handle_event(DeviceEvent("FAP-1", "fire_alarm", "critical", False, clock.t, "k2", zone="Z02"))
    assert t.transition == "cleared" and t.alarm.state == "closed" and not t.alarm.is_open
    assert engine.open_alarms() == ()
    with pytest.raises(AlarmNotFound):
        engine.acknowledge(alarm_id, "late")

    # The other way round: cleared first, then a re-raise before anyone acknowledged it.
    trip_on = DeviceEvent("PMP-1", "pump_trip", "major", True, clock.t, "t1")
    trip_off = DeviceEvent("PMP-1", "pump_trip", "major", False, clock.t, "t2")
    engine.handle_event(trip_on)
    (t,) = engine.handle_event(trip_off)
    assert t.alarm.state == "cleared_unacked" and t.alarm.is_open
    (t,) = engine.handle_event(trip_on)
    assert t.alarm.state == "active_unacked" and t.alarm.count == 2
    engine.handle_event(trip_off)
    t = engine.acknowledge("event:pump_trip:PMP-1", "ops")
    assert t.alarm.state == "closed" and engine.open_alarms() == ()
    with pytest.raises(ValueError, match="names who"):
        engine.handle_event(trip_on) and engine.acknowledge("event:pump_trip:PMP-1", "  ")


def test_device_events_raise_by_severity_and_info_does_not(block) -> None:
    clock, state, engine = setup(block)
    assert engine.handle_event(DeviceEvent("ACS-1", "door_held", "info", True, T0, "i")) == []
    (t,) = engine.handle_event(DeviceEvent("LIFT-2", "entrapment", "critical", True, T0, "e"))
    assert t.alarm.source == "event" and t.alarm.message == "Possible entrapment in lift car LIFT-2"
    assert t.alarm.words == {"en": "Possible entrapment in lift car LIFT-2", "zh-CN": "LIFT-2 轿厢困人报警"}
    (t,) = engine.handle_event(DeviceEvent("ACS-1", "door_forced", "minor", True, T0, "d", message="door D3"))
    # The event's words, then the device's own words after a colon.
    assert t.alarm.words == {"en": "Door forced at ACS-1: door D3", "zh-CN": "ACS-1 门被强行打开：door D3"}
    assert t.alarm.message == t.alarm.words["en"]
    assert [a.severity for a in engine.open_alarms()] == ["critical", "minor"]
    assert state.status("LIFT-2") == "alarm" and state.status("ACS-1") in ("warning", "stale")


def test_hooks_get_the_transition_and_a_snapshot_and_cannot_break_the_twin(block) -> None:
    clock, state, engine = setup(block)
    feed(clock, state, engine, "LIFT-1", floor="F02", mode="normal")
    calls, done = [], threading.Event()

    def forecast(transition, snapshot):
        calls.append((transition.alarm.id, transition.alarm.floor, snapshot.value("LIFT-1", "floor"),
                      [a.id for a in snapshot.alarms]))
        done.set()

    engine.on_alarm(forecast, rules=["event:fire_alarm"], severities=["critical"])
    broken = engine.on_alarm(lambda t, s: 1 / 0, name="broken")
    engine.dispatch(engine.handle_event(DeviceEvent("PMP-1", "pump_trip", "major", True, T0, "p")))
    engine.dispatch(engine.handle_event(DeviceEvent("FAP-1", "fire_alarm", "critical", True, T0, "f", zone="Z01")))
    engine.wait_hooks()
    assert done.is_set()
    assert calls == [("event:fire_alarm:FAP-1:Z01", "F01", "F02",
                      ["event:fire_alarm:FAP-1:Z01", "event:pump_trip:PMP-1"])]
    assert broken.calls == 2 and broken.errors == 2
    broken.remove()
    assert engine.dispatch(engine.handle_event(DeviceEvent("AHU-1", "fan_trip", "major", True, T0, "a"))) == 0
    engine.close()


def test_rules_file_errors_name_the_rule_and_field() -> None:
    bad = {"rules": [
        {"id": "a", "kind": "threshold", "point": "p", "severity": "major"},
        {"id": "b", "kind": "weather", "severity": "major"},
        {"id": "c", "kind": "stale", "severity": "catastrophic"},
        {"id": "d", "kind": "state", "when": {"load_kg": {"bigger": 0}}},
        {"id": "d", "kind": "offline", "colour": "red"},
        {"id": "e", "kind": "threshold", "point": "p", "below": 1, "for_s": -5},
    ]}
    with pytest.raises(SpecError) as info:
        parse_rules(bad, "rules.yaml")
    text = str(info.value)
    for expected in ["rules.yaml: rules[0] 'a': a threshold rule gives exactly one of 'above' or 'below'",
                     "rules[1] 'b'.kind: must be one of threshold, state, stale, offline",
                     "rules[2] 'c'.severity: must be one of critical, major, minor, warning",
                     "rules[3] 'd'.when.load_kg.bigger: unknown comparison",
                     "rules[4] 'd'.id: duplicate rule id 'd'", "rules[4] 'd'.colour: unknown field",
                     "rules[5] 'e'.for_s: a duration in seconds"]:
        assert expected in text


def test_every_alarm_says_what_it_is_in_both_languages(block) -> None:
    """Every label a person reads exists in en and zh-CN: a rule's message in each language (filled in
    with the point's words in that language), the defaults of a rule that writes none, a site's rule
    written once (shown as written in both), an event type nobody declared (its code name as words)."""
    rules = parse_rules({"rules": [
        {"id": "hot", "kind": "threshold", "point": "supply_air_c", "above": 28, "match": {"system": "hvac"}},
        {"id": "site", "kind": "threshold", "point": "flow_m3h", "above": 1, "match": {"device": "PMP-1"},
         "message": "{device} 流量 {value} 过大"},
        {"id": "gone", "kind": "offline", "match": {"device": "PMP-1"}},
    ]})
    hot, site, gone = rules.rules
    assert hot.describe("AHU-1", 31.5) == {"en": "Supply air temperature 31.5 above 28 on AHU-1",
                                          "zh-CN": "AHU-1 送风温度 31.5，高于 28"}
    assert site.describe("PMP-1", 9) == {"en": "PMP-1 流量 9 过大", "zh-CN": "PMP-1 流量 9 过大"}
    assert gone.describe("PMP-1", None) == {"en": "PMP-1 is offline", "zh-CN": "PMP-1 离线"}
    for rule in load_rules().rules:  # the shipped rules: both languages written, and not the same words
        words = rule.describe("PMP-1", 100.0)
        assert set(words) == {"en", "zh-CN"} and words["en"] != words["zh-CN"], rule.id
    clock, state, engine = setup(block)
    (t,) = engine.handle_event(DeviceEvent("ACS-1", "tailgating", "minor", True, T0, "x", zone="Z2"))
    assert t.alarm.words == {"en": "Tailgating on ACS-1, zone Z2", "zh-CN": "ACS-1：Tailgating，Z2 分区"}


def test_a_rule_message_is_a_text_or_one_in_each_language() -> None:
    bad = {"rules": [
        {"id": "a", "kind": "offline", "message": {"en": "{device} gone"}},
        {"id": "b", "kind": "offline", "message": {"en": "x", "zh-CN": "y", "fr": "z"}},
        {"id": "c", "kind": "offline", "message": 42},
        {"id": "d", "kind": "offline", "message": "  "},
    ]}
    with pytest.raises(SpecError) as info:
        parse_rules(bad, "rules.yaml")
    text = str(info.value)
    for i, rid in enumerate("abcd"):
        assert f"rules.yaml: rules[{i}] '{rid}'.message: a text, or the text in each language ({{en: …, zh-CN: …}})" \
            in text, text


def test_rules_select_devices_by_id_system_and_kind(block) -> None:
    rules = parse_rules({"rules": [
        {"id": "hot", "kind": "threshold", "match": {"devices": ["AHU-1"]}, "point": "supply_air_c", "above": 30},
        {"id": "no-gen", "kind": "offline", "match": {"system": "power", "not_kind": "*generator*"}},
    ]})
    ids = {r.id: [d for d in ("AHU-1", "TX-1", "MSB-1", "GEN-1") if r.match.matches(AlarmEngine(block, rules, TwinState(block)).devices[d])]
           for r in rules.rules}
    assert ids == {"hot": ["AHU-1"], "no-gen": ["TX-1", "MSB-1"]}


def test_a_trip_reported_as_event_and_as_state_is_one_alarm_in_either_order(block) -> None:
    """issue 11 item 6.3: the pump-tripped state rule names the pump_trip event (`event: pump_trip`)
    and raises that event's alarm: whichever report comes first raises it, the other finds it raised;
    a pump that sends no event still raises it from its state alone."""
    for event_first in (True, False):
        clock, state, engine = setup(block)
        trip = DeviceEvent("PMP-1", "pump_trip", "major", True, clock.t, "e1")
        raised = engine.handle_event(trip) if event_first else feed(clock, state, engine, "PMP-1", run_state="tripped")
        raised += feed(clock, state, engine, "PMP-1", 0.5, run_state="tripped") if event_first else \
            engine.handle_event(trip)
        assert [t.transition for t in raised] == ["raised"]
        assert [a.id for a in engine.open_alarms() if a.device == "PMP-1"] == ["event:pump_trip:PMP-1"]
    clock, state, engine = setup(block)
    assert feed(clock, state, engine, "PMP-1", run_state="tripped")[0].alarm.rule == "pump-tripped"
    cleared = feed(clock, state, engine, "PMP-1", 5, run_state="running")
    assert [(t.alarm.id, t.transition) for t in cleared] == [("event:pump_trip:PMP-1", "cleared")]


def test_a_rule_names_its_event_properly() -> None:
    """issue 11 item 6.3: `event` is a device event type, and only a threshold or state rule has one."""
    bad = {"rules": [{"id": "a", "kind": "state", "when": {"x": 1}, "event": "pump trip!"},
                     {"id": "b", "kind": "offline", "event": "pump_trip"}]}
    with pytest.raises(SpecError) as info:
        parse_rules(bad, "rules.yaml")
    assert "rules[0] 'a'.event: a device event type such as pump_trip, got 'pump trip!'" in str(info.value)
    assert "rules[1] 'b'.event: only a threshold or state rule shares a device event's alarm" in str(info.value)
