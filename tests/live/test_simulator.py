"""The device simulator: telemetry for every device of a building, and faults that act like faults."""

from __future__ import annotations

import json

import pytest

from twin.errors import SpecError
from twin.live.devices import device_catalogue
from twin.live.payloads import Decoder, DeviceEvent, DeviceStatus, StateUpdate
from twin.live.simulator import DeviceSimulator, Fault, parse_duration, parse_fault
from twin.loader import load_building, sample_names

T0 = 1_750_000_000_000

EXPECTED_POINTS = {
    "LIFT-1": {"floor", "position_m", "direction", "motion", "door", "load_kg", "in_door_zone", "mode", "speed_mps"},
    "PMP-1": {"run_state", "speed_pct", "outlet_pressure_kpa", "flow_m3h", "power_kw"},
    "TX-1": {"voltage_v", "current_a", "power_kw", "power_factor", "frequency_hz"},
    "EM-1": {"energy_kwh", "power_kw"},
    "WM-1": {"volume_m3", "flow_m3h"},
    "FAP-1": {"panel", "zones_in_alarm", "zone_Z00", "zone_Z01", "zone_Z02"},
    "AHU-1": {"supply_air_c", "return_air_c", "outdoor_air_c", "fan_speed_pct", "filter_dp_pa"},
    "TK-1": {"level_pct", "volume_m3"},
    "LT-1": {"state", "power_kw"},
}


class Run:
    """Steps a simulator on a fake clock and decodes everything it publishes."""

    def __init__(self, building, faults=(), rate_hz=None):
        self.t = T0
        self.sim = DeviceSimulator(building, faults=faults, rate_hz=rate_hz, clock=lambda: self.t, seed=3)
        self.decoder = Decoder(building)
        self.messages: list = []
        self.latest: dict[str, dict] = {}
        self._take(self.sim.start())

    def _take(self, outgoing) -> list:
        decoded = []
        for m in outgoing:
            for msg in self.decoder.decode(m.topic, m.payload, self.t):  # raises on anything malformed
                decoded.append(msg)
                if isinstance(msg, StateUpdate):
                    self.latest[msg.device] = dict(msg.values)
        self.messages += decoded
        return decoded

    def run(self, seconds: float, dt: float = 0.5) -> list:
        out = []
        for _ in range(int(seconds / dt)):
            self.t += int(dt * 1000)
            out += self._take(self.sim.advance(dt))
        return out

    def events(self, device=None):
        return [m for m in self.messages if isinstance(m, DeviceEvent) and (device is None or m.device == device)]


def test_every_device_of_the_block_reports_what_its_kind_reports(block) -> None:
    run = Run(block)
    run.run(15)
    assert set(run.latest) == set(device_catalogue(block))
    for device, points in EXPECTED_POINTS.items():
        assert points <= set(run.latest[device]), device
    lift = run.latest["LIFT-1"]
    assert lift["floor"] in ("F00", "F01", "F02") and lift["door"] in ("open", "closed", "opening", "closing")
    assert 0 <= lift["load_kg"] <= 630 and 0 <= lift["position_m"] <= 7.0
    pump = run.latest["PMP-1"]
    assert pump["outlet_pressure_kpa"] == pytest.approx(60 * 9.80665, rel=0.05) and pump["run_state"] == "running"
    assert run.latest["FP-1"]["run_state"] == "standby"
    assert 380 < run.latest["TX-1"]["voltage_v"] < 420
    seqs = [m.seq for m in run.messages if isinstance(m, StateUpdate) and m.device == "PMP-1"]
    assert seqs == list(range(1, len(seqs) + 1))


def test_meters_count_up_and_lifts_travel(block) -> None:
    run = Run(block, rate_hz=1)
    run.run(1)
    energy0 = run.latest["EM-1"]["energy_kwh"]
    positions = set()
    for _ in range(120):
        run.run(1)
        positions.add(run.latest["LIFT-2"]["position_m"])
    assert run.latest["EM-1"]["energy_kwh"] > energy0
    assert len(positions) > 5  # it moved between floors


@pytest.mark.parametrize("name", sample_names())
def test_sample_buildings_simulate_without_a_single_bad_message(name: str) -> None:
    building = load_building(name)
    run = Run(building)
    run.run(30, dt=1.0)
    assert set(run.latest) == set(device_catalogue(building))


def test_entrapment_stops_a_loaded_car_between_floors_and_the_alarm_button_is_pressed(block) -> None:
    run = Run(block, faults=[parse_fault("LIFT-2:entrapment@5s+40s", block)])
    run.run(6)
    car = run.latest["LIFT-2"]
    assert (car["motion"], car["door"], car["in_door_zone"], car["mode"]) == ("stopped", "closed", False, "fault")
    assert car["load_kg"] > 0
    assert run.events("LIFT-2") == []
    run.run(10)
    (call,) = run.events("LIFT-2")
    assert (call.type, call.severity, call.active) == ("entrapment", "critical", True)
    run.run(32)
    assert [e.active for e in run.events("LIFT-2")] == [True, False]
    assert run.latest["LIFT-2"]["in_door_zone"] is True and run.latest["LIFT-2"]["mode"] == "normal"


def test_pump_trip_power_loss_fire_alarm_and_offline(block) -> None:
    run = Run(block, faults=[parse_fault("PMP-1:trip@2s", block), parse_fault("FAP-1:fire_alarm=Z01@3s", block),
                             parse_fault("TX-1:power_loss@20s+20s", block), parse_fault("ACS-1:offline@4s", block)])
    run.run(18)
    assert run.latest["PMP-1"]["run_state"] == "tripped" and run.latest["PMP-1"]["flow_m3h"] == 0
    assert run.latest["PMP-1"]["outlet_pressure_kpa"] < 0.5 * 60 * 9.80665
    assert [(e.type, e.severity) for e in run.events("PMP-1")] == [("pump_trip", "major")]
    (fire,) = run.events("FAP-1")
    assert (fire.type, fire.zone, fire.severity) == ("fire_alarm", "Z01", "critical")
    assert run.latest["FAP-1"]["zone_Z01"] == "alarm" and run.latest["FAP-1"]["panel"] == "alarm"
    assert run.latest["LIFT-1"]["mode"] == "fire_recall"
    assert [m.online for m in run.messages if isinstance(m, DeviceStatus) and m.device == "ACS-1"] == [True, False]
    run.run(12)  # 30 s: supply lost at 20 s
    assert run.latest["TX-1"]["voltage_v"] == 0 and run.latest["MSB-1"]["voltage_v"] == 0  # MSB-1 is fed by TX-1
    assert run.latest["AHU-1"]["run_state"] == "stopped" and run.latest["LT-1"]["power_kw"] == 0
    assert run.latest["GEN-1"]["run_state"] == "running"
    run.run(15)
    assert run.latest["MSB-1"]["voltage_v"] > 380


def test_faults_on_command_are_acknowledged(block) -> None:
    run = Run(block)
    cmd = run.sim.topic("PMP-1", "cmd")
    run._take(run.sim.command(cmd, json.dumps({"id": "c1", "fault": "trip"}).encode()))
    run._take(run.sim.command(run.sim.topic("LIFT-1", "cmd"), json.dumps({"id": "c2", "fault": "trip"}).encode()))
    run._take(run.sim.command(cmd, b"not json"))
    acks = [(e.data["id"], e.data["ok"]) for e in run.events() if e.type == "cmd_ack"]
    assert acks == [("c1", True), ("c2", False), (None, False)]
    assert run.sim.models["PMP-1"].faults == {"trip": None}
    run._take(run.sim.command(cmd, b'{"id": "c3", "clear": "trip"}'))
    assert run.sim.models["PMP-1"].faults == {}


@pytest.mark.parametrize("spec, message", [
    ("LIFT-9:entrapment", "unknown device 'LIFT-9'"),
    ("LIFT-1:meltdown", "unknown fault 'meltdown'"),
    ("PMP-1:entrapment", "entrapment applies to lift cars"),
    ("FAP-1:fire_alarm=Z77", "zone 'Z77' is not a zone of 'FAP-1'"),
    ("LIFT-1:entrapment@soon", "expected DEVICE:KIND"),
    ("LIFT-1:entrapment=Z1", "takes no =ARG"),
    ("LIFT-1", "expected DEVICE:KIND"),
])
def test_bad_fault_specs_say_what_is_wrong(block, spec: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_fault(spec, block)
    assert message in str(info.value) and str(info.value).startswith("--fault:")


def test_fault_specs_and_durations() -> None:
    block_faults = {"LIFT-2:entrapment@60s": ("LIFT-2", "entrapment", None, 60.0, None),
                    "FAP-1:fire_alarm@1m30s+2m": ("FAP-1", "fire_alarm", "Z00", 90.0, 120.0),
                    "TX-1:power_loss": ("TX-1", "power_loss", None, 0.0, None)}
    from tests.live.conftest import block_building

    b = block_building()
    for spec, expected in block_faults.items():
        f = parse_fault(spec, b)
        assert (f.device, f.kind, f.arg, f.at_s, f.duration_s) == expected
    assert str(Fault("LIFT-2", "entrapment", None, 60.0)) == "LIFT-2:entrapment@60s"
    assert [parse_duration(x) for x in ("90", "90s", "2m", "1h", "1h30m", "0.5s")] == [90, 90, 120, 3600, 5400, 0.5]
    with pytest.raises(ValueError):
        parse_duration("ten")


def test_a_lifts_reported_floor_is_where_it_is_and_so_is_its_state(block) -> None:
    """issue 11 item 6.4: a lift car's reported floor is the served floor nearest its position (within
    half a storey), and the twin's state puts the car — and an entrapment alarm raised on it — on
    that floor, not on its home floor; its attributes name its home floor as such."""
    from twin.live.alarms import AlarmEngine, load_rules
    from twin.live.state import TwinState

    elevation = {f.id: f.elevation_m for f in block.floors}
    run = Run(block, faults=[parse_fault("LIFT-1:entrapment@200s", block)], rate_hz=2)
    clock = lambda: run.t  # noqa: E731
    state = TwinState(block, clock=clock)
    engine = AlarmEngine(block, load_rules(), state, clock=clock)
    seen: set[str] = set()
    for _ in range(420):  # 210 s of lift traffic, then the entrapment
        for msg in run.run(0.5):
            if isinstance(msg, StateUpdate):
                change = state.apply_state(msg, run.t)
                engine.evaluate([change], run.t)
                if msg.device.startswith("LIFT-") and "floor" in msg.values:
                    position, floor = msg.values["position_m"], msg.values["floor"]
                    nearest = min(elevation, key=lambda f: abs(elevation[f] - position))
                    assert abs(elevation[floor] - position) == abs(elevation[nearest] - position), msg.values
                    assert state.equipment(msg.device).floor == floor
                    seen.add(floor)
            elif isinstance(msg, DeviceEvent):
                engine.handle_event(msg, run.t)
    assert len(seen) > 1  # the cars did move between floors
    (trapped,) = [a for a in engine.open_alarms() if a.id == "event:entrapment:LIFT-1"]
    assert trapped.floor == state.equipment("LIFT-1").floor == run.latest["LIFT-1"]["floor"]
    attributes = next(m for m in run.messages if not isinstance(m, (StateUpdate, DeviceEvent, DeviceStatus))
                      and getattr(m, "device", None) == "LIFT-1")
    assert "floor" not in attributes.attributes and attributes.attributes["home_floor"] == "F00"
