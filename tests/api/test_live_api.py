"""The live twin over HTTP and WebSocket, against a real Mosquitto.

The app's live service subscribes to the broker with the device simulator off; each test plays
the devices itself with a plain paho client: it publishes state and events, and answers commands.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from tests.api.conftest import now_ms as _now_ms, poll as _poll, publish, topic as _topic, wait_run

pytestmark = pytest.mark.timeout(120)

B = "small-tower"


def test_state_message_reaches_a_websocket_client(live_env):
    client, env, broker, app = live_env
    with client.websocket_connect(f"/twin/stream?topics=state&equipment=PMP-1&token={env.tokens['viewer']}") as ws:
        assert ws.receive_json()["type"] == "hello"
        snapshot = ws.receive_json()
        assert snapshot["type"] == "snapshot" and set(snapshot["state"]["equipment"]) == {"PMP-1"}
        sent = threading.Event()

        def publishing():
            # Until the client has seen it: a QoS 1 message, repeated with a rising seq if need be.
            seq = 100
            while not sent.is_set():
                publish(broker, _topic("pump", "PMP-1", "state"),
                        {"ts": _now_ms(), "seq": seq, "values": {"outlet_pressure_kpa": 432.1}})
                seq += 1
                sent.wait(1.0)

        thread = threading.Thread(target=publishing, daemon=True)
        thread.start()
        try:
            while True:
                message = ws.receive_json()
                if message["type"] == "state":
                    break
        finally:
            sent.set()
            thread.join(5)
    assert message["equipment"] == "PMP-1"
    assert message["values"]["outlet_pressure_kpa"] == 432.1
    assert message["status"] in ("ok", "warning")


def test_current_state_and_one_device(live_env):
    client, env, broker, app = live_env
    h = env.auth("viewer")
    publish(broker, _topic("hvac", "AHU-1", "state"), {"ts": _now_ms(), "seq": 1, "values": {"supply_temp_c": 16.5}})

    def seen():
        state = client.get("/twin/state", headers=h).json()
        return state if state["equipment"]["AHU-1"]["values"].get("supply_temp_c") == 16.5 else None

    state = _poll(seen)
    assert state, "the published state never showed in /twin/state"
    assert state["building_id"] == B and set(state["equipment"]) >= {"LIFT-1", "PMP-1", "FACP-1"}
    assert sum(state["status_counts"].values()) == 9
    one = client.get("/twin/equipment/AHU-1", headers=h).json()
    assert one["values"]["supply_temp_c"] == 16.5 and one["system"] == "hvac"
    assert client.get("/twin/equipment/NOPE-9", headers=h).status_code == 404


def test_history_and_state_at(live_env):
    client, env, broker, app = live_env
    h = env.auth("viewer")
    t0 = _now_ms() - 10_000
    for i in range(10):
        publish(broker, _topic("meter", "MTR-E1", "state"),
                {"ts": t0 + i * 1000, "seq": i + 1, "values": {"power_kw": float(10 * i)}})
    app.state.ctx.live.flush(5)

    def full():
        r = client.get("/twin/equipment/MTR-E1/history",
                       params={"point": "power_kw", "start_ms": t0, "end_ms": t0 + 10_000}, headers=h).json()
        return r if len(r.get("samples", [])) == 10 else None

    raw = _poll(full)
    assert raw and raw["downsampled"] is False
    assert [s["value"] for s in raw["samples"]] == [float(10 * i) for i in range(10)]
    down = client.get("/twin/equipment/MTR-E1/history",
                      params={"point": "power_kw", "start_ms": t0, "end_ms": t0 + 10_000, "max_points": 2},
                      headers=h).json()
    assert down["downsampled"] is True and len(down["samples"]) == 2
    assert down["samples"][0]["count"] == 5 and down["samples"][0]["value"] == pytest.approx(20.0)
    at = client.get("/twin/state/at", params={"at_ms": t0 + 3500, "equipment": "MTR-E1"}, headers=h).json()
    assert at["equipment"]["MTR-E1"]["power_kw"] == 30.0
    bad = client.get("/twin/equipment/MTR-E1/history",
                     params={"point": "power_kw", "start_ms": t0 + 10, "end_ms": t0}, headers=h)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "start_ms"]
    unknown = client.get("/twin/equipment/MTR-E1/history", params={"point": "nope"}, headers=h)
    assert unknown.status_code == 404 and unknown.json()["detail"][0]["loc"] == ["query", "point"]


def test_alarm_raised_streamed_listed_and_acknowledged(live_env):
    client, env, broker, app = live_env
    with client.websocket_connect(f"/twin/stream?topics=alarm&token={env.tokens['viewer']}") as ws:
        assert ws.receive_json()["type"] == "hello"
        publish(broker, _topic("elevator", "LIFT-2", "event"),
                {"type": "entrapment", "severity": "critical", "active": True, "ts": _now_ms()})
        message = ws.receive_json()
    assert message["type"] == "alarm" and message["transition"] == "raised"
    alarm_id = message["alarm"]["id"]
    assert message["alarm"]["device"] == "LIFT-2" and message["alarm"]["severity"] == "critical"

    h = env.auth("viewer")
    listed = client.get("/twin/alarms", params={"severity": "critical", "equipment": "LIFT-2"}, headers=h).json()
    assert alarm_id in [a["id"] for a in listed["alarms"]]
    assert client.post(f"/twin/alarms/{alarm_id}/ack", json={}, headers=h).status_code == 403
    acked = client.post(f"/twin/alarms/{alarm_id}/ack", json={"note": "rescue sent"}, headers=env.auth("engineer"))
    assert acked.status_code == 200, acked.text
    assert acked.json()["acknowledged"] is True and acked.json()["acked_by"] == "test-engineer"
    assert acked.json()["ack_note"] == "rescue sent"
    unacked = client.get("/twin/alarms", params={"acknowledged": False, "equipment": "LIFT-2"}, headers=h).json()
    assert alarm_id not in [a["id"] for a in unacked["alarms"]]
    missing = client.post("/twin/alarms/no-such-alarm/ack", headers=env.auth("engineer"))
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["path", "alarm_id"]


def test_command_and_its_acknowledgement(live_env):
    """The test answers the pump's cmd topic as a device would, on cmd/ack."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client, env, broker, app = live_env
    device = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"api-test-device-{time.monotonic_ns()}")
    subscribed = threading.Event()

    def on_message(c, userdata, msg):
        doc = json.loads(msg.payload)
        c.publish(_topic("pump", "PMP-1", "cmd/ack"),
                  json.dumps({"id": doc["id"], "ok": doc.get("mode") == "auto", "message": f"mode {doc.get('mode')}"}),
                  qos=1)

    device.on_message = on_message
    device.on_subscribe = lambda *a: subscribed.set()
    device.connect(broker.host, broker.port)
    device.subscribe(_topic("pump", "PMP-1", "cmd"), qos=1)
    device.loop_start()
    try:
        assert subscribed.wait(10)
        h = env.auth("engineer")
        r = client.post("/twin/equipment/PMP-1/commands", json={"desired": {"mode": "auto"}, "wait_s": 10}, headers=h)
        assert r.status_code == 202, r.text
        cmd = r.json()
        assert cmd["status"] == "acknowledged" and cmd["ok"] is True and cmd["message"] == "mode auto"
        later = client.get(f"/twin/commands/{cmd['id']}", headers=env.auth("viewer")).json()
        assert later["status"] == "acknowledged"
        no = client.post("/twin/equipment/PMP-1/commands", json={"desired": {"mode": "off"}, "wait_s": 10}, headers=h)
        assert no.json()["status"] == "rejected"
        sent = client.post("/twin/equipment/PMP-1/commands", json={"desired": {"mode": "auto"}}, headers=h).json()
        assert sent["status"] in ("sent", "acknowledged")
        assert _poll(lambda: client.get(f"/twin/commands/{sent['id']}", headers=h).json()["status"] == "acknowledged")
    finally:
        device.loop_stop()
        device.disconnect()
    assert client.post("/twin/equipment/PMP-1/commands", json={"desired": {"mode": "auto"}},
                       headers=env.auth("viewer")).status_code == 403
    assert client.post("/twin/equipment/NOPE/commands", json={"desired": {"mode": "auto"}},
                       headers=env.auth("engineer")).status_code == 404
    assert client.get("/twin/commands/c-00000000", headers=env.auth("viewer")).status_code == 404


def test_health_with_live(live_env):
    client, env, broker, app = live_env
    publish(broker, _topic("pump", "PMP-1", "state"), {"ts": _now_ms(), "seq": 5000, "values": {"flow_m3h": 3.0}})
    health = _poll(lambda: (lambda h: h if h["lag_s"] is not None else None)(client.get("/health").json()))
    assert health["status"] == "ok" and health["live"] is True
    assert health["broker_connected"] is True and health["history_writable"] is True
    assert 0 <= health["lag_s"] < 5
    metrics = client.get("/metrics", headers=env.auth("viewer")).text
    assert "twin_messages_ingested_total" in metrics and "twin_dead_letters_total" in metrics


def test_run_from_live_snapshot(live_env):
    client, env, broker, app = live_env
    doc = {"name": "desk-now", "model": "repair_desk", "building": "small_tower", "seed": 1, "replications": 1,
           "horizon_s": 7200, "params": {"technicians": 2}}
    r = client.post("/runs", json={"document": doc, "from_live": True}, headers=env.auth("safety"))
    assert r.status_code == 202, r.text
    run = wait_run(client, r.json()["id"], env.auth("viewer"))
    assert run["status"] == "done" and run["from_live"] is True
    snapshot = env.data_dir / "runs" / run["id"] / "snapshot.pickle"
    assert snapshot.is_file()
    other = client.post("/runs", json={"document": {**doc, "building": "two_storey"}, "from_live": True},
                        headers=env.auth("safety"))
    assert other.status_code == 422 and other.json()["detail"][0]["loc"] == ["body", "from_live"]


def test_fire_alarm_starts_an_evacuation_forecast_from_the_live_building(live_env):
    """Issue 4: an alarm triggers a scenario run from the current snapshot. A fire alarm in zone
    FZ-L02 starts the shipped trigger's forecast on the live (small) tower: fire floor L02 from the
    zone map, the fire-service car under inspection left out; the same alarm again within the
    cooldown starts nothing more."""
    client, env, broker, app = live_env
    h = env.auth("viewer")
    publish(broker, _topic("elevator", "LIFT-1", "state"),
            {"ts": _now_ms(), "values": {"mode": "inspection", "floor": 0}})
    assert _poll(lambda: client.get("/twin/equipment/LIFT-1", headers=h).json()["values"].get("mode") == "inspection")
    before = {t["name"]: t for t in client.get("/triggers", headers=h).json()["triggers"]}
    assert before["fire-evacuation-forecast"]["scenario"] == "live-fire-forecast"
    fired_before = before["fire-evacuation-forecast"]["fired"]

    fire = {"type": "fire_alarm", "severity": "critical", "active": True, "zone": "FZ-L02"}
    publish(broker, _topic("fire", "FACP-1", "event"), {**fire, "ts": _now_ms()})

    def started():
        t = client.get("/triggers", headers=h).json()["triggers"][0]
        return t if t["fired"] > fired_before else None

    trig = _poll(started, timeout_s=20)
    assert trig, client.get("/triggers", headers=h).json()
    assert trig["last_alarm"] == "event:fire_alarm:FACP-1:FZ-L02"
    run = wait_run(client, trig["last_run"], h)
    assert run["status"] == "done", run
    assert run["from_live"] is True and run["created_by"] == "trigger:fire-evacuation-forecast"
    assert run["scenario"] == "live-fire-forecast" and run["building"] == "small-tower"
    summary = client.get(f"/runs/{run['id']}/summary", headers=h).json()
    assert summary["live"]["fire_floors"] == ["L02"] and summary["parameters"]["fire_floor"] == "L02"
    assert "LIFT-1" in summary["parameters"]["lifts"]["out_of_service"]
    assert any("LIFT-1 (mode inspection)" in n["en"] for n in summary["live"]["notes"])
    assert summary["kpis"]["lift_evacuated"]["mean"] == 0  # its only fire-service car is out

    # Cleared and raised again within the cooldown: recorded as skipped, no second run.
    publish(broker, _topic("fire", "FACP-1", "event"), {**fire, "active": False, "ts": _now_ms()})
    publish(broker, _topic("fire", "FACP-1", "event"), {**fire, "ts": _now_ms() + 1})
    again = _poll(lambda: (t := client.get("/triggers", headers=h).json()["triggers"][0])["skipped"] and t)
    assert again and again["fired"] == trig["fired"] and "cooldown" in again["last_outcome"]
    assert again["recent"][0] == {"run": run["id"], "alarm": "event:fire_alarm:FACP-1:FZ-L02",
                                  "at_ms": again["recent"][0]["at_ms"]}
    assert client.get("/triggers").status_code == 401

    # The runs triggers started are rows of the API database: a restarted server (a new runner
    # over the same store) keeps the cooldown, and the alarm → forecast links.
    from api.triggers import TriggerRunner
    from scenarios.triggers import load_triggers
    from twin.live.alarms import Alarm

    ctx = app.state.ctx
    restarted = TriggerRunner(ctx, load_triggers())
    st = restarted.status["fire-evacuation-forecast"]
    alarm = Alarm("event:fire_alarm:FACP-1:FZ-L02", "event:fire_alarm", "event", "FACP-1", "critical", "fire",
                  True, _now_ms(), zone="FZ-L02", floor="L02", system="fire")
    assert restarted.fire(st, alarm, ctx.live.snapshot()) is None and "cooldown" in st.last_outcome
