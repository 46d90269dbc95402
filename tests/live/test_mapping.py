"""The mapping file: a site publishing elsewhere — flat values, ThingsBoard, its own JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twin.errors import SpecError
from twin.live.mapping import convert, load_mapping, parse_mapping
from twin.live.payloads import DecodeError, Decoder

NOW = 1_750_000_000_000

SITE = {
    "mappings": [
        {"topic": "site/plant/{device}/{point}", "format": "value",
         "devices": {"pump_a": "PMP-1", "ahu": "AHU-1"},
         "points": {"pressure": {"point": "outlet_pressure_kpa", "from": "bar", "to": "kPa"},
                    "supply": {"point": "supply_air_c", "from": "degF", "to": "degC"}}},
        {"topic": "v1/devices/{device}/telemetry", "format": "thingsboard",
         "points": {"tempF": {"point": "supply_air_c", "from": "°F", "to": "°C"},
                    "kw": {"point": "power_kw", "scale": 0.001}}},
        {"topic": "v1/gateway/telemetry", "format": "thingsboard-gateway", "devices": {"Meter 1": "EM-1"},
         "points": {"energy_wh": {"point": "energy_kwh", "from": "Wh", "to": "kWh"}}},
        {"topic": "legacy/lift/{car}", "format": "json", "device": "LIFT-{car}", "ts": "time_ms", "seq": "n",
         "points": {"pos.floor": "floor", "car.load_lb": {"point": "load_kg", "from": "lb", "to": "kg"}}},
    ]
}


def test_units_convert_between_the_units_sites_use() -> None:
    assert convert(4.2, "bar", "kPa") == pytest.approx(420.0)
    assert convert(212, "degF", "degC") == pytest.approx(100.0)
    assert convert(0, "degC", "K") == pytest.approx(273.15)
    assert convert(1000, "lb", "kg") == pytest.approx(453.59237)
    assert convert(10, "L/s", "m3/h") == pytest.approx(36.0)
    assert convert(60, "psi", "kPa") == pytest.approx(413.685, rel=1e-5)
    with pytest.raises(ValueError, match="cannot convert 'bar'"):
        convert(1, "bar", "kg")
    with pytest.raises(ValueError, match="unknown unit 'furlong'"):
        convert(1, "furlong", "m")


def test_flat_value_topics_map_device_point_and_unit(block) -> None:
    mapping = parse_mapping(SITE)
    d = Decoder(block, mapping=mapping)
    (msg,) = d.decode("site/plant/pump_a/pressure", b"4.2", NOW)
    assert (msg.device, dict(msg.values), msg.ts_ms) == ("PMP-1", {"outlet_pressure_kpa": pytest.approx(420.0)}, NOW)
    (msg,) = d.decode("site/plant/ahu/supply", b" 59 ", NOW)
    assert msg.values["supply_air_c"] == pytest.approx(15.0)
    (msg,) = d.decode("site/plant/PMP-1/run_state", b"running", NOW)  # unmapped point: kept as is
    assert dict(msg.values) == {"run_state": "running"}
    assert mapping.subscriptions() == ["site/plant/+/+", "v1/devices/+/telemetry", "v1/gateway/telemetry",
                                       "legacy/lift/+"]


def test_thingsboard_telemetry_in_all_its_shapes(block) -> None:
    d = Decoder(block, mapping=parse_mapping(SITE))
    (msg,) = d.decode("v1/devices/AHU-1/telemetry", json.dumps({"ts": NOW - 10, "values": {"tempF": 68}}).encode(), NOW)
    assert msg.ts_ms == NOW - 10 and msg.values["supply_air_c"] == pytest.approx(20.0)
    many = d.decode("v1/devices/AHU-1/telemetry",
                    json.dumps([{"ts": NOW - 20, "values": {"kw": 5500}}, {"ts": NOW - 10, "values": {"kw": 6000}}]).encode(), NOW)
    assert [m.values["power_kw"] for m in many] == [pytest.approx(5.5), pytest.approx(6.0)]
    (flat,) = d.decode("v1/devices/AHU-1/telemetry", b'{"fan_speed_pct": 71}', NOW)
    assert dict(flat.values) == {"fan_speed_pct": 71} and flat.ts_ms == NOW
    gateway = d.decode("v1/gateway/telemetry", json.dumps(
        {"Meter 1": [{"ts": NOW - 5, "values": {"energy_wh": 1_234_500}}], "WM-1": [{"values": {"volume_m3": 12.5}}]}
    ).encode(), NOW)
    assert [(m.device, dict(m.values)) for m in gateway] == [("EM-1", {"energy_kwh": pytest.approx(1234.5)}),
                                                            ("WM-1", {"volume_m3": 12.5})]


def test_a_controllers_own_json_by_payload_paths(block) -> None:
    d = Decoder(block, mapping=parse_mapping(SITE))
    payload = {"time_ms": NOW - 3, "n": 41, "pos": {"floor": "F02", "raw": 7.01}, "car": {"load_lb": 330.7}}
    (msg,) = d.decode("legacy/lift/2", json.dumps(payload).encode(), NOW)
    assert (msg.device, msg.ts_ms, msg.seq) == ("LIFT-2", NOW - 3, 41)
    assert dict(msg.values) == {"floor": "F02", "load_kg": pytest.approx(150.0, abs=0.01)}  # others dropped


@pytest.mark.parametrize("topic, payload, reason", [
    ("site/plant/pump_x/pressure", b"4.2", "unknown_device"),
    ("site/plant/pump_a/pressure", b"high", "mapping"),        # text where a number must be converted
    ("site/plant/pump_a/pressure", b'{"v": 4.2}', "mapping"),  # a document where a value belongs
    ("site/plant/pump_a/pressure", b"\xff\xfe", "encoding"),
    ("v1/devices/AHU-1/telemetry", b"{nope", "json"),
    ("v1/devices/AHU-1/telemetry", b'{"ts": 1, "values": {"tempF": 60}}', "schema"),
    ("v1/devices/AHU-1/telemetry", b'{"values": [1]}', "mapping"),
    ("legacy/lift/2", b'{"n": 1, "pos": {"floor": "F01"}}', "mapping"),  # no time_ms
    ("elsewhere/entirely", b"1", "topic"),
])
def test_unmappable_payloads_are_rejected(block, topic: str, payload: bytes, reason: str) -> None:
    with pytest.raises(DecodeError) as info:
        Decoder(block, mapping=parse_mapping(SITE)).decode(topic, payload, NOW)
    assert info.value.reason == reason


def test_mapping_file_errors_name_the_field(tmp_path: Path) -> None:
    bad = {"mappings": [
        {"topic": "a/{device}", "points": {"p": {"point": "x", "from": "bar", "to": "kg"}}},
        {"topic": "b/+", "format": "csv"},
        {"topic": "c/{thing}", "colour": "red"},
        {"topic": "d/#/e"},
        {"topic": "e/{device}", "points": {"p": {"point": "x", "from": "bar"}}},
    ]}
    with pytest.raises(SpecError) as info:
        parse_mapping(bad, "site.yaml")
    text = str(info.value)
    assert "site.yaml: mappings[0].points.p: cannot convert 'bar' (pressure) to 'kg' (mass)" in text
    assert "mappings[1].format: must be one of value, json, thingsboard" in text
    assert "mappings[2].colour: unknown field" in text
    assert "mappings[2].device: uses {device}, which the topic pattern does not capture" in text
    assert "mappings[3].topic: '#' must be the last level" in text
    assert "mappings[4].points.p: give both 'from' and 'to' units" in text
    with pytest.raises(SpecError, match="non-empty list 'mappings'"):
        parse_mapping({"rules": []}, "site.yaml")


def test_mapping_file_is_read_from_yaml(tmp_path: Path, block) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("mappings:\n  - topic: bms/{device}/pressure_bar\n    point: outlet_pressure_kpa\n"
                    "    points: {outlet_pressure_kpa: {from: bar, to: kPa}}\n", encoding="utf-8")
    mapping = load_mapping(path)
    (msg,) = Decoder(block, mapping=mapping).decode("bms/PMP-1/pressure_bar", b"1.5", NOW)
    assert msg.values["outlet_pressure_kpa"] == pytest.approx(150.0)
    assert mapping.match("bms/PMP-1/other") is None
