"""The live service against a real Mosquitto: mirroring, alarms, sessions, credentials and TLS."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest

from twin.live.bridge import MqttSettings, MqttUrlError, parse_mqtt_url
from twin.live.broker import Broker
from twin.live.service import LiveService
from twin.live.topics import device_topic, twin_status_topic
from twin.live.values import wall_ms

from tests.live.conftest import ensure_mosquitto
from tests.live.helpers import client, close, retained, wait_until


def test_mqtt_urls_carry_credentials_tls_and_options() -> None:
    s = parse_mqtt_url("mqtt://ops%40site:p%3Ass@broker.example:1884?protocol=3.1.1&client_id=twin-a&keepalive=15")
    assert (s.host, s.port, s.username, s.password, s.tls, s.protocol, s.client_id, s.keepalive_s) == \
        ("broker.example", 1884, "ops@site", "p:ss", False, 4, "twin-a", 15)
    assert "p:ss" not in repr(s) and s.url == "mqtt://ops@site@broker.example:1884"
    t = parse_mqtt_url("mqtts://broker.example?ca=/etc/ca.pem&insecure=1")
    assert (t.port, t.tls, t.ca_file, t.tls_insecure, t.protocol) == (8883, True, "/etc/ca.pem", True, 5)
    for bad, words in [("broker:1883", "not an MQTT URL"), ("http://b", "unknown scheme 'http'"),
                       ("mqtt://b:99999", "port"), ("mqtt://b/x", "no path"), ("mqtt://b?qos=2", "unknown option"),
                       ("mqtt://b?protocol=4.0", "protocol must be 5 or 3.1.1"), ("mqtt://:1883", "no host")]:
        with pytest.raises(MqttUrlError, match=None) as info:
            parse_mqtt_url(bad)
        assert words in str(info.value), bad


def test_service_mirrors_simulated_devices_raises_alarms_and_announces_itself(mosquitto, tmp_path, block) -> None:
    forecasts = []
    service = LiveService(block, mqtt=mosquitto.url, db_path=tmp_path / "twin.db", simulate=True, sim_rate_hz=5)
    service.alarms.on_alarm(lambda t, snap: forecasts.append((t.alarm.id, snap.value("FAP-1", "zone_Z02"))),
                            rules=["event:fire_alarm"])
    with service:
        wait_until(lambda: service.snapshot().status_counts()["ok"] == len(service.state.device_ids))
        assert retained(mosquitto, twin_status_topic(block.id, service.twin_id)) == b"online"
        service.inject_fault("PMP-1:trip")
        service.inject_fault("FAP-1:fire_alarm=Z02")
        ids = wait_until(lambda: {a.id for a in service.alarms.open_alarms()} >=
                         {"event:pump_trip:PMP-1", "event:fire_alarm:FAP-1:Z02"})
        assert ids
        alarm = service.acknowledge("event:pump_trip:PMP-1", "duty engineer", "reset at the panel")
        assert alarm.state == "active_acked" and alarm.acked_by == "duty engineer"
        service.alarms.wait_hooks()
        snap = service.snapshot()
        assert snap.equipment["PMP-1"].status == "alarm" and "PMP-1" in snap.out_of_service
        assert forecasts and forecasts[0][0] == "event:fire_alarm:FAP-1:Z02"
        history = service.history
        acks = [e for e in history.events(device="PMP-1") if e["type"] == "cmd_ack"]
        assert acks and acks[0]["data"]["ok"] is True
        stats = service.stats()
        assert stats.dead_letters == 0 and stats.applied + stats.ignored == stats.received > 0
    assert retained(mosquitto, twin_status_topic(block.id, service.twin_id)) == b"offline"


def test_a_persistent_session_keeps_what_was_published_while_the_twin_was_away(mosquitto, tmp_path, block) -> None:
    db = tmp_path / "twin.db"
    with LiveService(block, mqtt=mosquitto.url, db_path=db, simulate=False) as first:
        assert first.bridge.session_present is False or first.bridge.session_present is True
    pub = client(mosquitto)
    topic = device_topic(block.id, "fire", "FAP-1", "event")
    now = wall_ms()
    infos = [pub.publish(topic, json.dumps({"type": "fault", "severity": "minor", "ts": now + i, "n": i}), qos=1)
             for i in range(50)]
    for info in infos:
        info.wait_for_publish(5)
    close(pub)
    with LiveService(block, mqtt=mosquitto.url, db_path=db, simulate=False) as second:
        assert second.bridge.session_present
        wait_until(lambda: second.flush() and len(second.history.events(device="FAP-1", type="fault")) == 50)


def test_username_password_are_required_and_used(tmp_path, block) -> None:
    ensure_mosquitto()
    passwd = tmp_path / "passwd"
    subprocess.run([shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd", "-b", "-c", str(passwd),
                    "ops", "s3cret"], check=True, capture_output=True)
    passwd.chmod(0o600)
    with Broker(kind="mosquitto", data_dir=tmp_path / "b",
                extra_config=["allow_anonymous false", f"password_file {passwd}"]) as broker:
        wrong = LiveService(block, mqtt=f"mqtt://ops:nope@{broker.host}:{broker.port}", db_path=tmp_path / "a.db",
                            simulate=False)
        wrong.start(wait_connected_s=1.0)
        try:
            wait_until(lambda: wrong.bridge.last_error and "refused" in wrong.bridge.last_error, 5)
            assert not wrong.bridge.connected
        finally:
            wrong.stop()
        with LiveService(block, mqtt=f"mqtt://ops:s3cret@{broker.host}:{broker.port}", db_path=tmp_path / "b.db",
                         simulate=True, sim_rate_hz=5) as right:
            assert right.bridge.connected
            wait_until(lambda: right.stats().applied > 20)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to make a test certificate")
def test_tls_with_a_ca_file(tmp_path, block) -> None:
    ensure_mosquitto()
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    with Broker(kind="mosquitto", data_dir=tmp_path / "b",
                listener_options=[f"certfile {cert}", f"keyfile {key}"]) as broker:
        url = f"mqtts://{broker.host}:{broker.port}?ca={cert}"
        with LiveService(block, mqtt=url, db_path=tmp_path / "t.db", simulate=True, sim_rate_hz=5) as service:
            assert service.bridge.connected and service.settings.tls
            wait_until(lambda: service.stats().applied > 20)


def test_the_python_broker_stands_in_when_there_is_no_mosquitto(tmp_path, block) -> None:
    with Broker(kind="python") as broker:
        assert broker.protocol == 4
        settings = MqttSettings(host=broker.host, port=broker.port, protocol=4)
        with LiveService(block, mqtt=settings, db_path=tmp_path / "p.db", simulate=True, sim_rate_hz=5) as service:
            wait_until(lambda: service.snapshot().status_counts()["ok"] == len(service.state.device_ids), 15)


def test_embedded_default_is_mosquitto_with_the_simulator(tmp_path, block) -> None:
    ensure_mosquitto()
    with LiveService(block, db_path=tmp_path / "e.db", sim_rate_hz=5) as service:
        assert service.broker is not None and service.broker.kind == "mosquitto" and service.simulator is not None
        assert service.broker_url.startswith("mqtt://127.0.0.1:")
        wait_until(lambda: service.stats().applied > 20)
        line = service.status_line()
        assert block.id in line and "connected" in line
    time.sleep(0)  # the embedded broker stopped with the service


def test_the_message_callback_never_raises_whatever_goes_wrong(block) -> None:
    """paho's network thread dies if a callback raises: decoding bugs and a failing queue are absorbed."""
    import queue

    import paho.mqtt.client as mqtt

    from twin.live.bridge import Bridge, Inbound, Rejected
    from twin.live.payloads import Decoder

    class BrokenDecoder(Decoder):
        def decode(self, topic, payload, received_ms):
            raise RuntimeError("a bug")

    class BrokenQueue:
        def put(self, item):
            raise MemoryError("full")

    def message(topic: bytes, payload: bytes, qos: int = 1) -> mqtt.MQTTMessage:
        m = mqtt.MQTTMessage(mid=7, topic=topic)
        m.payload, m.qos = payload, qos
        return m

    settings = MqttSettings(host="127.0.0.1", port=1)
    sink: queue.SimpleQueue = queue.SimpleQueue()
    bridge = Bridge(settings, decoder=BrokenDecoder(block), sink=sink, subscriptions=["#"], status_topic="t/s",
                    client_id="x")
    bridge._on_message(bridge._client, None, message(b"twin/v1/x/pump/P/state", b"{}"))
    rejected = sink.get_nowait()
    assert isinstance(rejected, Rejected) and rejected.dead_letter.reason == "internal"
    assert "RuntimeError: a bug" in rejected.dead_letter.detail and (rejected.mid, rejected.qos) == (7, 1)

    good = Bridge(settings, decoder=Decoder(block), sink=sink, subscriptions=["#"], status_topic="t/s", client_id="y")
    good._on_message(good._client, None, message(b"twin/v1/%s/pump/PMP-1/state" % block.id.encode(), b'{"values": {"p": 1}}'))
    assert isinstance(sink.get_nowait(), Inbound)
    good._on_message(good._client, None, message(b"\xff\xfe/bad", b"x"))  # a topic that is not UTF-8
    assert sink.get_nowait().dead_letter.reason == "topic"
    good.sink = BrokenQueue()
    good._on_message(good._client, None, message(b"twin/v1/x/pump/P/state", b"{}"))  # must not raise
    assert "MemoryError" in good.last_error


def test_one_pump_trip_is_one_alarm_and_its_acknowledgement_note_stays_with_it(mosquitto, tmp_path, block) -> None:
    """issue 11 item 6.3: a tripped pump reports the trip twice — a pump_trip event and run_state
    tripped in its state — and the twin raises one alarm for it (the state rule shares the event's
    alarm), not two. The note of its acknowledgement is on the alarm (as the API and the console
    read it) and in the history, and the alarm clears once, when the pump is reset."""
    service = LiveService(block, mqtt=mosquitto.url, db_path=tmp_path / "twin.db", simulate=True, sim_rate_hz=5)
    with service:
        wait_until(lambda: service.snapshot().status_counts()["ok"] == len(service.state.device_ids))
        service.inject_fault("PMP-1:trip+3s")
        wait_until(lambda: service.state.values("PMP-1").get("run_state") == "tripped"
                   and any(a.device == "PMP-1" for a in service.alarms.open_alarms()))
        time.sleep(1.0)  # both reports (the event and the state) have arrived by now
        service.flush()
        pump_alarms = [a for a in service.alarms.open_alarms() if a.device == "PMP-1"]
        assert [a.id for a in pump_alarms] == ["event:pump_trip:PMP-1"], pump_alarms
        assert pump_alarms[0].count == 1
        acked = service.acknowledge("event:pump_trip:PMP-1", "duty engineer", "reset at the panel")
        assert acked.ack_note == "reset at the panel"
        assert service.alarms.get("event:pump_trip:PMP-1").to_dict()["ack_note"] == "reset at the panel"
        # the trip ends (+3s): the one alarm clears and, acknowledged, closes
        wait_until(lambda: not any(a.device == "PMP-1" for a in service.alarms.open_alarms()), timeout_s=15)
        service.flush()
        log = [(e["transition"], e["alarm"]["ack_note"]) for e in service.history.alarm_log()
               if e["alarm"]["device"] == "PMP-1"]
        assert log == [("raised", None), ("acknowledged", "reset at the panel"), ("cleared", "reset at the panel")]
