"""``twin serve`` and ``twin devices simulate`` from the command line."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner

from api.live_cli import devices, serve
from twin.live.history import History

from tests.live.conftest import ensure_mosquitto, write_block
from tests.live.helpers import client, close


def test_serve_runs_the_embedded_default_for_a_while_and_stops_cleanly(tmp_path) -> None:
    ensure_mosquitto()
    building = write_block(tmp_path / "block.yaml", "cli-block")
    db = tmp_path / "twin.db"
    result = CliRunner().invoke(serve, [str(building), "--no-api", "--db", str(db), "--duration", "2.5", "--rate", "4",
                                        "--status-every", "0.5", "--fault", "LIFT-2:entrapment@0.5s"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "twin serve: Live test block (cli-block), 14 devices"
    assert lines[1].startswith("broker: mqtt://127.0.0.1:") and lines[1].endswith("(embedded mosquitto)")
    assert "device simulator: on, faults: LIFT-2:entrapment@0.5s" in result.output
    status = [line for line in lines if " cli-block connected | msgs " in line]
    assert len(status) >= 3 and lines[-1] == "stopped"
    with History(db, building_id="cli-block") as h:
        assert h.counts()["states"] > 50
        assert h.load_devices()["LIFT-2"]["values"]["mode"] == "fault"


@pytest.mark.parametrize("args, message", [
    (["--mqtt", "http://broker"], "Invalid value for --mqtt: unknown scheme 'http'"),
    (["--mqtt", "mqtt://broker:notaport"], "Invalid value for --mqtt: the port"),
    (["--fault", "LIFT-9:entrapment"], "Invalid value for --fault: unknown device 'LIFT-9'"),
    (["--fault", "LIFT-1:entrapment@soon"], "Invalid value for --fault: expected DEVICE:KIND"),
    (["--no-simulator", "--fault", "LIFT-1:entrapment"], "--fault needs the device simulator"),
    (["--mqtt", "mqtts://127.0.0.1:1?ca=/nonexistent/ca.pem", "--duration", "1"],
     "CA file '/nonexistent/ca.pem' cannot be used"),
])
def test_serve_mistakes_exit_2_with_a_clear_message(tmp_path, args, message) -> None:
    building = write_block(tmp_path / "block.yaml", "cli-bad")
    result = CliRunner().invoke(serve, [str(building), "--db", str(tmp_path / "t.db"), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_serve_a_building_that_does_not_exist_exits_2(tmp_path) -> None:
    result = CliRunner().invoke(serve, [str(tmp_path / "nowhere.yaml")])
    assert result.exit_code == 2 and "no such file, and no sample of that name" in result.output


def test_serve_refuses_another_buildings_history(tmp_path, mosquitto) -> None:
    History(tmp_path / "t.db", building_id="someone-else").close()
    building = write_block(tmp_path / "block.yaml", "cli-db")
    result = CliRunner().invoke(serve, [str(building), "--db", str(tmp_path / "t.db"), "--mqtt", mosquitto.url,
                                        "--duration", "1"])
    assert result.exit_code == 2 and "holds the history of building 'someone-else'" in result.output


def test_devices_simulate_publishes_to_a_broker(tmp_path, mosquitto) -> None:
    building = write_block(tmp_path / "block.yaml", "cli-sim")
    seen: set[str] = set()
    lock = threading.Lock()
    sub = client(mosquitto)

    def on_message(c, userdata, msg) -> None:
        with lock:
            seen.add(msg.topic)

    sub.on_message = on_message
    sub.subscribe("twin/v1/cli-sim/+/+/state", qos=0)
    result = CliRunner().invoke(devices, ["simulate", str(building), "--mqtt", mosquitto.url, "--rate", "5",
                                          "--duration", "1.5", "--status-every", "0.5",
                                          "--fault", "FAP-1:fire_alarm=Z01@0.2s"])
    close(sub)
    assert result.exit_code == 0, result.output
    assert f"simulating 14 devices of cli-sim → {mosquitto.url}" in result.output
    assert "published" in result.output.splitlines()[-1]
    assert len(seen) == 14  # every device of the building published its state
