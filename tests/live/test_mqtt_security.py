"""Who may talk to the live twin over MQTT, and how much one device may say (issue 10 item 4).

Before issue 10 the embedded broker let in any local process: one could publish a fire alarm
and start a forecast, or send one device half a million point names. These tests hold:

* the embedded broker (Mosquitto, and the Python fallback) refuses anonymous clients, keeps the
  generated credentials private (0600), and lets the twin user publish no device event;
* a device's state is bounded in points and bytes, the excess dead-lettered with reason ``limit``;
* against a Mosquitto set up as a site should set up its own — TLS with a CA, a password file,
  an ACL file — anonymous clients and wrong passwords are refused, an intruder's fire alarm is
  never applied, and the twin applies what the devices publish over TLS;
* the password hashes written without ``mosquitto_passwd`` (``$7$``, PBKDF2-SHA512) are read by Mosquitto.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from click.testing import CliRunner
from paho.mqtt.enums import CallbackAPIVersion

from api.live_cli import devices
from twin.live.bridge import MqttSettings, parse_mqtt_url, tls_context
from twin.live.broker import Broker, BrokerUser, embedded_users, write_password_file
from twin.live.history import History
from twin.live.service import LiveService

from tests.live.conftest import block_building, ensure_mosquitto, write_block
from tests.live.helpers import wait_until


def _connect(host: str, port: int, *, user: str | None = None, password: str | None = None,
             protocol: int = 5, ca: Path | None = None) -> tuple[mqtt.Client, object]:
    """A paho client connected (or refused); returns it with the broker's reason code."""
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"probe-{uuid.uuid4().hex[:8]}",
                    protocol=mqtt.MQTTv5 if protocol == 5 else mqtt.MQTTv311)
    if user is not None:
        c.username_pw_set(user, password)
    if ca is not None:
        c.tls_set_context(tls_context(MqttSettings(host=host, tls=True, ca_file=str(ca))))
    answered = threading.Event()
    reason: list[object] = []

    def on_connect(client, userdata, flags, rc, properties=None) -> None:
        reason.append(rc)
        answered.set()

    c.on_connect = on_connect
    c.on_disconnect = lambda *a: answered.set()
    try:
        c.connect(host, port, keepalive=30)
    except OSError as exc:  # a broker that closes the socket at once
        return c, exc
    c.loop_start()
    answered.wait(10)
    return c, (reason[0] if reason else "no answer")


def _refused(rc: object) -> bool:
    return not (getattr(rc, "value", None) == 0)


def _close(c: mqtt.Client) -> None:
    try:
        c.disconnect()
    finally:
        c.loop_stop()


def _fire_alarm(building_id: str, zone: str = "Z01") -> tuple[str, bytes]:
    return (f"twin/v1/{building_id}/fire/FAP-1/event",
            json.dumps({"type": "fire_alarm", "severity": "critical", "active": True, "zone": zone}).encode())


def _fire_alarms(service: LiveService) -> list:
    return [a for a in service.alarms.open_alarms() if a.id.startswith("event:fire_alarm")]


@pytest.mark.parametrize("kind", ["mosquitto", "python"])
def test_the_embedded_broker_lets_in_only_the_twin_and_its_devices(tmp_path, kind) -> None:
    """issue 10 item 4: no anonymous client, credentials 0600, the twin user cannot publish a device event."""
    if kind == "mosquitto":
        ensure_mosquitto()
    block = block_building()
    with LiveService(block, db_path=tmp_path / "data" / "history.sqlite", broker_kind=kind, sim_rate_hz=5) as service:
        broker = service.broker
        assert broker is not None and broker.kind == kind
        wait_until(lambda: service.stats().applied > 20, 15)  # the simulator (user "devices") gets through

        # Anyone else is refused: no user, an unknown user, a wrong password.
        for user, password in ((None, None), ("mallory", "guess"), ("twin", "guess")):
            c, rc = _connect(broker.host, broker.port, user=user, password=password, protocol=broker.protocol)
            _close(c)
            assert _refused(rc), (user, rc)

        # The generated credentials are kept with the data, readable by the owner only.
        assert broker.data_dir.parent == tmp_path / "data" / "mqtt"
        creds_file = broker.credentials_path
        assert stat.S_IMODE(creds_file.stat().st_mode) == 0o600
        creds = json.loads(creds_file.read_text())
        assert set(creds) >= {"twin", "devices"} and creds["twin"]["password"] != creds["devices"]["password"]
        if kind == "mosquitto":
            for name in ("passwd", "acl"):
                assert stat.S_IMODE((broker.data_dir / name).stat().st_mode) == 0o600
            assert creds["twin"]["password"] not in (broker.data_dir / "passwd").read_text()  # hashed

        # The twin's own user may send commands, but a device event from it is dropped by the ACL.
        topic, payload = _fire_alarm(block.id)
        c, rc = _connect(broker.host, broker.port, user="twin", password=creds["twin"]["password"],
                         protocol=broker.protocol)
        try:
            assert not _refused(rc)
            c.publish(topic, payload, qos=1).wait_for_publish(5)
        finally:
            _close(c)
        before = service.stats().applied
        wait_until(lambda: service.stats().applied > before + 10, 15)  # later messages did arrive
        assert service.flush(10)
        assert _fire_alarms(service) == []
        assert service.history is not None and service.history.events(type="fire_alarm") == []


def test_a_device_cannot_grow_its_state_without_bound(tmp_path, mosquitto) -> None:
    """issue 10 item 4: ever new point names (each message within its own limit) end in dead letters 'limit'.

    The default bounds: 256 points and 64 KiB of values per device.
    """
    block = block_building()
    pump = f"twin/v1/{block.id}/pump/PMP-1/state"
    ahu = f"twin/v1/{block.id}/hvac/AHU-1/state"
    with LiveService(block, mqtt=mosquitto.url, db_path=tmp_path / "t.db", simulate=False) as service:
        assert service.bridge is not None and service.bridge.wait_connected(10)
        pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        pub.connect(mosquitto.host, mosquitto.port)
        pub.loop_start()
        try:
            now = int(time.time() * 1000)
            for i in range(20):  # 20 × 200 new point names: 4,000; the bound is 256
                values = {f"p{i}_{k}": k for k in range(200)}
                pub.publish(pump, json.dumps({"ts": now + i, "values": values}), qos=1).wait_for_publish(5)
            text = "x" * 250
            for i in range(30):  # 10 points of 310 bytes a message: past 64 KiB at 212 points
                values = {f"{i:02d}_{k}".ljust(60, "n"): text for k in range(10)}
                pub.publish(ahu, json.dumps({"ts": now + i, "values": values}), qos=1).wait_for_publish(5)
            good = f"twin/v1/{block.id}/pump/FP-1/state"
            pub.publish(good, json.dumps({"ts": now, "values": {"run_state": "running"}}), qos=1).wait_for_publish(5)
        finally:
            _close(pub)
        wait_until(lambda: service.snapshot().value("FP-1", "run_state") == "running", 15)
        assert service.flush(10)
        assert 200 <= len(service.state.values("PMP-1")) <= 256
        values = service.state.values("AHU-1")
        assert 200 <= len(values) <= 256
        assert sum(len(k) + len(v) for k, v in values.items()) <= 64 * 1024
        assert service.stats().dead_by_reason.get("limit", 0) >= 19 + 8
        assert service.history is not None
        dead = service.history.dead_letters(reason="limit", limit=1000)
        assert any(d["topic"] == pump and "points; the limit is 256" in d["detail"] for d in dead)
        assert any(d["topic"] == ahu and "bytes of state; the limit is 65,536" in d["detail"] for d in dead)
    with History(tmp_path / "t.db", building_id=block.id) as h:  # what was refused is not in the history
        assert h.counts()["states"] <= 1 + 1 + 21 + 1


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _make_ca_and_server_cert(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate it signed for 127.0.0.1 (openssl CLI)."""
    ca_key, ca_cert = folder / "ca.key", folder / "ca.pem"
    key, csr, cert, ext = folder / "server.key", folder / "server.csr", folder / "server.pem", folder / "san.ext"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca_cert),
             "-days", "1", "-subj", "/CN=twin test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=localhost")
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                   "extendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
             "-out", str(cert), "-days", "1", "-extfile", str(ext))
    return ca_cert, cert, key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is needed to make test certificates")
def test_the_bridge_against_a_site_mosquitto_with_tls_users_and_acls(tmp_path) -> None:
    """issue 10 item 4: TLS + password file + ACL file: strangers refused, an intruder's fire alarm never applied."""
    ensure_mosquitto()
    ca, cert, key = _make_ca_and_server_cert(tmp_path)
    twin_user, devices_user = embedded_users()
    intruder = BrokerUser("intruder", "let-me-in", read=("sandbox/#",), write=("sandbox/#",))
    building_id = f"tls-{uuid.uuid4().hex[:8]}"
    building = write_block(tmp_path / "block.yaml", building_id)
    with Broker(kind="mosquitto", data_dir=tmp_path / "broker", users=[twin_user, devices_user, intruder],
                listener_options=[f"cafile {ca}", f"certfile {cert}", f"keyfile {key}"]) as broker:
        config = broker.config_path.read_text()
        for line in (f"listener {broker.port} 127.0.0.1", f"cafile {ca}", f"certfile {cert}", f"keyfile {key}",
                     "allow_anonymous false", "password_file ", "acl_file "):
            assert line in config
        host, port = broker.host, broker.port

        # No TLS, no user, a wrong password: refused.
        c, rc = _connect(host, port, user="twin", password=twin_user.password)  # plain TCP to a TLS port
        _close(c)
        assert _refused(rc)
        for user, password in ((None, None), ("twin", "wrong"), ("nobody", "x")):
            c, rc = _connect(host, port, user=user, password=password, ca=ca)
            _close(c)
            assert _refused(rc), (user, rc)

        url = f"mqtts://twin:{twin_user.password}@127.0.0.1:{port}?ca={ca}"
        with LiveService(str(building), mqtt=url, db_path=tmp_path / "t.db", simulate=False) as service:
            assert service.bridge is not None and service.bridge.wait_connected(10)
            assert service.settings is not None and service.settings.tls and service.settings.username == "twin"

            # The intruder connects (a valid user) but may publish only under sandbox/.
            topic, payload = _fire_alarm(building_id)
            c, rc = _connect(host, port, user="intruder", password="let-me-in", ca=ca)
            try:
                assert not _refused(rc)
                c.publish(topic, payload, qos=1).wait_for_publish(5)
            finally:
                _close(c)

            # The devices, over TLS with their own user (the URL carries it), are applied.
            sim_url = f"mqtts://devices:{devices_user.password}@127.0.0.1:{port}?ca={ca}"
            result = CliRunner().invoke(devices, ["simulate", str(building), "--mqtt", sim_url, "--rate", "5",
                                                  "--duration", "2", "--status-every", "1",
                                                  "--fault", "LIFT-2:entrapment@0.3s"])
            assert result.exit_code == 0, result.output
            assert devices_user.password not in result.output  # the URL is printed without its password
            wait_until(lambda: service.stats().applied > 20, 15)
            wait_until(lambda: any(a.device == "LIFT-2" for a in service.alarms.open_alarms()), 15)
            assert service.flush(10)
            assert _fire_alarms(service) == []
            assert service.history is not None and service.history.events(type="fire_alarm") == []


def test_urls_carry_user_password_and_tls_options() -> None:
    """issue 10 item 4: `--mqtt mqtts://user:pass@host?ca=FILE` for a site's broker."""
    s = parse_mqtt_url("mqtts://devices:p%40ss%3Aw0rd@broker.example:8884?ca=/etc/twin/ca.pem")
    assert (s.username, s.password, s.host, s.port, s.tls, s.ca_file) == (
        "devices", "p@ss:w0rd", "broker.example", 8884, True, "/etc/twin/ca.pem")
    assert "p@ss" not in s.url and "p@ss" not in repr(s)
    assert parse_mqtt_url("mqtts://broker.example").port == 8883


def test_password_hashes_written_without_mosquitto_passwd_are_read_by_mosquitto(tmp_path) -> None:
    """issue 10 item 4: the $7$ (PBKDF2-SHA512) fallback when the tool is missing."""
    ensure_mosquitto()
    user = BrokerUser("twin", "s3cret-" + uuid.uuid4().hex)
    passwd = write_password_file(tmp_path / "passwd", [user], tool=None)
    assert passwd.read_text().startswith("twin:$7$101$")
    assert stat.S_IMODE(passwd.stat().st_mode) == 0o600
    with Broker(kind="mosquitto", data_dir=tmp_path / "b",
                extra_config=["allow_anonymous false", f"password_file {passwd}"]) as broker:
        c, rc = _connect(broker.host, broker.port, user="twin", password=user.password)
        _close(c)
        assert not _refused(rc), rc
        c, rc = _connect(broker.host, broker.port, user="twin", password="not-it")
        _close(c)
        assert _refused(rc)


def test_the_simulator_of_an_embedded_broker_uses_the_devices_user(tmp_path) -> None:
    """issue 10 item 4: `twin devices simulate` without --mqtt starts a locked embedded broker too."""
    ensure_mosquitto()
    building = write_block(tmp_path / "block.yaml", f"sim-{uuid.uuid4().hex[:8]}")
    result = CliRunner().invoke(devices, ["simulate", str(building), "--rate", "5", "--duration", "1",
                                          "--status-every", "0.5"])
    assert result.exit_code == 0, result.output
    assert "embedded broker; credentials in " in result.output
    published = int(result.output.strip().splitlines()[-1].split()[1])
    assert published > 10
    folder = result.output.split("credentials in ")[1].split(")")[0]
    assert not Path(folder).exists()
