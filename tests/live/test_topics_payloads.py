"""Topics and payload decoding: every kind of bad message gets a reason, good ones decode exactly."""

from __future__ import annotations

import json

import pytest

from twin.live.payloads import MAX_PAYLOAD_BYTES, DecodeError, Decoder, DeviceAttributes, DeviceEvent, DeviceStatus, StateUpdate
from twin.live.topics import Topic, TopicError, building_filter, device_topic, parse_topic, twin_status_topic

NOW = 1_750_000_000_000


def test_topic_round_trip() -> None:
    topic = device_topic("tower", "elevator", "L-1", "cmd/ack")
    assert topic == "twin/v1/tower/elevator/L-1/cmd/ack"
    assert parse_topic(topic) == Topic("tower", "elevator", "L-1", "cmd/ack")
    assert str(parse_topic(topic)) == topic
    assert building_filter("tower") == "twin/v1/tower/#"
    assert twin_status_topic("tower", "twin-a") == "twin/v1/tower/twin/twin-a/status"


@pytest.mark.parametrize("topic, words", [
    ("site/tower/pump/P1/state", "not under twin/v1/"),
    ("twin/v1/tower/pump/state", "expected {building}/{system}/{device}/{channel}"),
    ("twin/v1/tower/pump/P1/telemetry", "unknown channel 'telemetry'"),
    ("twin/v1/tower/pump/P 1/state", "device 'P 1'"),
    ("twin/v1/tower/pump/P1/state/extra", "unknown channel 'state/extra'"),
])
def test_bad_topics_say_what_is_wrong(topic: str, words: str) -> None:
    with pytest.raises(TopicError, match=None) as info:
        parse_topic(topic)
    assert words in str(info.value)


def _state(block, device: str = "PMP-1", **doc) -> bytes:
    return json.dumps(doc or {"ts": NOW, "seq": 1, "values": {"outlet_pressure_kpa": 580.5}}).encode()


def test_state_decodes_with_all_fields(block) -> None:
    d = Decoder(block)
    topic = device_topic(block.id, "pump", "PMP-1", "state")
    payload = json.dumps({"ts": NOW, "seq": 7, "values": {"outlet_pressure_kpa": 580.5, "run_state": "running",
                                                          "ok": True, "spare": None}, "quality": "uncertain"})
    (msg,) = d.decode(topic, payload.encode(), NOW + 5)
    assert msg == StateUpdate("PMP-1", NOW, msg.values, 7, "uncertain", topic, payload)
    assert dict(msg.values) == {"outlet_pressure_kpa": 580.5, "run_state": "running", "ok": True, "spare": None}


def test_state_without_ts_takes_arrival_time(block) -> None:
    (msg,) = Decoder(block).decode(device_topic(block.id, "pump", "PMP-1", "state"),
                                   b'{"values": {"speed_pct": 50}}', NOW)
    assert msg.ts_ms == NOW and msg.seq is None and msg.quality == "good"


def test_lift_cars_are_devices_of_the_elevator_system(block) -> None:
    (msg,) = Decoder(block).decode(device_topic(block.id, "elevator", "LIFT-2", "state"),
                                   b'{"values": {"floor": "F01", "load_kg": 80}}', NOW)
    assert msg.device == "LIFT-2"


BAD = [
    # (system, device, channel, payload, reason, words)
    ("pump", "PMP-1", "state", b"not json {", "json", "not JSON"),
    ("pump", "PMP-1", "state", b"\xff\xfe\x00binary", "encoding", "not UTF-8"),
    ("pump", "PMP-1", "state", b"", "json", "not JSON"),
    ("pump", "PMP-1", "state", b"[1, 2]", "schema", "JSON object"),
    ("pump", "PMP-1", "state", b'{"ts": 1750000000000}', "schema", "no 'values'"),
    ("pump", "PMP-1", "state", b'{"values": [1, 2]}', "schema", "mapping of point"),
    ("pump", "PMP-1", "state", b'{"values": {"p": {"nested": 1}}}', "schema", "values.p must be a number"),
    ("pump", "PMP-1", "state", b'{"values": {"p": NaN}}', "json", "not JSON"),
    ("pump", "PMP-1", "state", b'{"values": {"p": 1}, "seq": -1}', "schema", "seq"),
    ("pump", "PMP-1", "state", b'{"values": {"p": 1}, "seq": true}', "schema", "seq"),
    ("pump", "PMP-1", "state", b'{"values": {"p": 1}, "ts": "yesterday"}', "schema", "epoch milliseconds"),
    ("pump", "PMP-1", "state", b'{"values": {"p": 1}, "ts": 1750000000}', "schema", "seconds were sent"),
    ("pump", "PMP-1", "state", b'{"values": {"p": 1}, "ts": 1850000000000}', "schema", "ahead of the twin"),
    ("pump", "PMP-1", "state", b'{"values": {"p": 1}, "quality": "great"}', "schema", "quality"),
    ("pump", "PMP-1", "state", b'{"values": {"p": 1}, "colour": "red"}', "schema", "unknown field"),
    ("pump", "PMP-1", "state", b'{"values": {"bad point!": 1}}', "schema", "point name"),
    ("pump", "PMP-1", "state", b'{"values": {"p": "' + b"x" * 300 + b'"}}', "schema", "limit is 256"),
    ("pump", "PMP-1", "state", b"[" * 5000 + b"]" * 5000, "json", "nested too deeply"),
    ("pump", "NOPE-9", "state", b'{"values": {"p": 1}}', "unknown_device", "NOPE-9"),
    ("elevator", "PMP-1", "state", b'{"values": {"p": 1}}', "wrong_system", "system 'pump'"),
    ("fire", "FAP-1", "event", b'{"severity": "critical"}', "schema", "event type"),
    ("fire", "FAP-1", "event", b'{"type": "fire_alarm", "severity": "apocalyptic"}', "schema", "severity"),
    ("fire", "FAP-1", "event", b'{"type": "fire_alarm", "active": "yes"}', "schema", "'active'"),
    ("fire", "FAP-1", "event", b'{"type": "fire_alarm", "zone": "Z99"}', "schema", "zone 'Z99'"),
    ("pump", "PMP-1", "status", b"sleeping", "json", "not JSON"),
    ("pump", "PMP-1", "status", b'{"status": "asleep"}', "schema", "online"),
    ("pump", "PMP-1", "attributes", b'"text"', "schema", "JSON object"),
]


@pytest.mark.parametrize("system, device, channel, payload, reason, words", BAD)
def test_bad_messages_are_rejected_with_a_reason(block, system, device, channel, payload, reason, words) -> None:
    with pytest.raises(DecodeError) as info:
        Decoder(block).decode(device_topic(block.id, system, device, channel), payload, NOW)
    assert info.value.reason == reason
    assert words in info.value.detail


def test_huge_payloads_are_rejected_before_parsing(block) -> None:
    payload = b'{"values": {"p": 1}, "pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}'
    with pytest.raises(DecodeError) as info:
        Decoder(block).decode(device_topic(block.id, "pump", "PMP-1", "state"), payload, NOW)
    assert info.value.reason == "too_large"


def test_other_buildings_and_foreign_topics_are_rejected(block) -> None:
    d = Decoder(block)
    with pytest.raises(DecodeError) as info:
        d.decode(device_topic("elsewhere", "pump", "PMP-1", "state"), b'{"values": {}}', NOW)
    assert info.value.reason == "building"
    with pytest.raises(DecodeError) as info:
        d.decode("site/plant/pump_a/pressure", b"4.2", NOW)
    assert info.value.reason == "topic"


def test_events_status_attributes_and_ignored_channels(block) -> None:
    d = Decoder(block)
    (ev,) = d.decode(device_topic(block.id, "fire", "FAP-1", "event"),
                     json.dumps({"type": "fire_alarm", "severity": "critical", "zone": "Z02", "ts": NOW,
                                 "detector": "SD-12"}).encode(), NOW)
    assert isinstance(ev, DeviceEvent)
    assert (ev.type, ev.severity, ev.active, ev.zone, ev.ts_ms, dict(ev.data)) == \
        ("fire_alarm", "critical", True, "Z02", NOW, {"detector": "SD-12"})
    (st,) = d.decode(device_topic(block.id, "pump", "PMP-1", "status"), b"offline", NOW)
    assert st == DeviceStatus("PMP-1", False, NOW, device_topic(block.id, "pump", "PMP-1", "status"))
    (st2,) = d.decode(device_topic(block.id, "pump", "PMP-1", "status"), b'{"status": "online", "ts": 1749999999000}', NOW)
    assert st2.online and st2.ts_ms == 1749999999000
    (at,) = d.decode(device_topic(block.id, "pump", "PMP-1", "attributes"), b'{"model": "CR 45", "poles": [2, 4]}', NOW)
    assert isinstance(at, DeviceAttributes) and at.attributes["poles"] == (2, 4)
    assert d.decode(device_topic(block.id, "pump", "PMP-1", "cmd"), b"anything at all", NOW) == ()
    assert d.decode(twin_status_topic(block.id, "twin-x"), b"online", NOW) == ()
    (ack,) = d.decode(device_topic(block.id, "pump", "PMP-1", "cmd/ack"), b'{"id": "c1", "ok": true}', NOW)
    assert ack.type == "cmd_ack" and ack.severity == "info"


def test_event_keys_deduplicate_redeliveries_only(block) -> None:
    d = Decoder(block)
    topic = device_topic(block.id, "elevator", "LIFT-1", "event")
    with_ts = json.dumps({"type": "entrapment", "severity": "critical", "ts": NOW}).encode()
    assert d.decode(topic, with_ts, NOW)[0].key == d.decode(topic, with_ts, NOW + 999)[0].key
    without_ts = b'{"type": "door_forced", "severity": "minor"}'
    assert d.decode(topic, without_ts, NOW)[0].key != d.decode(topic, without_ts, NOW + 1)[0].key
