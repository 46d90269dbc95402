"""Reliability through a real Mosquitto: bad data, a broker that dies, a twin that dies.

* 10,000 malformed messages interleaved with valid ones: the bridge never stops, every bad one
  is counted and kept in the dead-letter table with its reason, every valid one is applied.
* The broker is killed (SIGKILL) mid-stream and restarted on the same port with its persisted
  data: the bridge reconnects by itself, and with QoS 1 and a persistent session no event
  published during the outage is lost (nor any other).
* The twin's process is killed (SIGKILL) mid-stream and restarted: what it had stored is
  consistent (state = newest history), it comes back with that state, and the QoS 1 messages it
  had not committed — and those published while it was dead — arrive after the restart.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path


from twin.live.history import History
from twin.live.mapping import parse_mapping
from twin.live.service import LiveService
from twin.live.state import TwinState
from twin.live.topics import device_topic, twin_status_topic
from twin.live.values import wall_ms

from tests.live.conftest import block_building, write_block
from tests.live.helpers import Publisher, client, close, retained, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
MAPPING = {"mappings": [{"topic": "site/plant/{device}/{point}", "format": "value", "devices": {"pump_a": "PMP-1"},
                         "points": {"pressure": {"point": "mapped_pressure_kpa", "from": "bar", "to": "kPa"}}}]}


def _malformed(building_id: str, n: int, rng: random.Random) -> list[tuple[str, bytes, str]]:
    """``n`` bad messages of every kind, each with the reason the twin must give."""
    t = lambda system, device, channel: device_topic(building_id, system, device, channel)  # noqa: E731
    state = t("pump", "PMP-1", "state")
    kinds = [
        lambda i: (state, b"{not json " + str(i).encode(), "json"),
        lambda i: (state, b"\xff" + rng.randbytes(40), "encoding"),
        lambda i: (state, b"", "json"),
        lambda i: (state, json.dumps({"values": {"p": [i]}}).encode(), "schema"),
        lambda i: (state, json.dumps({"ts": "yesterday", "values": {"p": i}}).encode(), "schema"),
        lambda i: (state, json.dumps({"values": i}).encode(), "schema"),
        lambda i: (state, json.dumps({"seq": str(i), "values": {"p": 1}}).encode(), "schema"),
        lambda i: (state, b'{"values": {"p": NaN}}', "json"),
        lambda i: (t("pump", f"NOPE-{i % 97}", "state"), b'{"values": {"p": 1}}', "unknown_device"),
        lambda i: (t("pump", "PMP-1", "telemetry"), b'{"values": {"p": 1}}', "topic"),
        lambda i: (f"twin/v1/{building_id}/pump", b'{"values": {"p": 1}}', "topic"),
        lambda i: (t("elevator", "PMP-1", "state"), b'{"values": {"p": 1}}', "wrong_system"),
        lambda i: (t("fire", "FAP-1", "event"), b'{"type": "fire_alarm", "severity": "apocalyptic"}', "schema"),
        lambda i: ("site/plant/pump_a/pressure", b"high", "mapping"),
        lambda i: ("site/plant/ghost/pressure", b"1.0", "unknown_device"),
    ]
    out = [kinds[i % len(kinds)](i) for i in range(n - 10)]
    huge = b'{"values": {"p": 1}, "pad": "' + b"x" * 300_000 + b'"}'
    out += [(state, huge, "too_large")] * 10
    return out


def test_ten_thousand_malformed_messages_interleaved_with_valid_ones(mosquitto, tmp_path, block) -> None:
    rng = random.Random(20261124)
    bad = _malformed(block.id, 10_000, rng)
    base = wall_ms() - 60_000
    n_state, n_events, n_mapped = 1500, 300, 200
    good: list[tuple[str, bytes]] = []
    good += [(device_topic(block.id, "pump", "PMP-1", "state"),
              json.dumps({"ts": base + i, "seq": i + 1, "values": {"outlet_pressure_kpa": 560 + i % 40, "n": i}}).encode())
             for i in range(n_state)]
    good += [(device_topic(block.id, "access", "ACS-1", "event"),
              json.dumps({"type": "door_forced", "severity": "minor", "ts": base + i, "n": i}).encode())
             for i in range(n_events)]
    good += [("site/plant/pump_a/pressure", f"{5 + i / 1000:.3f}".encode()) for i in range(n_mapped)]
    stream = [(topic, payload, reason) for topic, payload, reason in bad] + [(tp, pl, None) for tp, pl in good]
    rng.shuffle(stream)
    # valid state messages keep their own order so the newest is last; shuffle positions only
    positions = [k for k, item in enumerate(stream) if item[0].endswith("/PMP-1/state") and item[2] is None]
    in_order = sorted((stream[k] for k in positions), key=lambda item: json.loads(item[1])["seq"])
    for k, item in zip(positions, in_order):
        stream[k] = item

    service = LiveService(block, mqtt=mosquitto.url, db_path=tmp_path / "twin.db", simulate=False,
                          mapping=parse_mapping(MAPPING))
    with service:
        pub = client(mosquitto)
        infos = [pub.publish(topic, payload, qos=1) for topic, payload, _ in stream]
        for info in infos:
            info.wait_for_publish(30)
        close(pub)
        wait_until(lambda: service.stats().received >= len(stream), 60)
        assert service.flush(30)
        assert service.bridge.connected and service._ingest.is_alive()
        stats = service.stats()
        assert stats.received == len(stream) + stats.ignored and stats.ingest_errors == 0
        assert stats.applied == len(good)
        expected = Counter(reason for _, _, reason in bad)
        assert stats.dead_letters == 10_000 and stats.dead_by_reason == dict(expected)
        history = service.history
        assert history.dead_letter_counts() == dict(expected)
        assert history.counts()["dead_letters"] == 10_000
        assert all(row["detail"] for row in history.dead_letters(limit=20_000))
        # every valid message applied
        pump = service.state.equipment("PMP-1")
        assert (pump.seq, pump.seq_gaps, pump.values["n"]) == (n_state, 0, n_state - 1)
        assert len(history.series("PMP-1", "n", base - 1, base + n_state + 1)) == n_state
        assert len(history.events(device="ACS-1", type="door_forced", limit=10_000)) == n_events
        assert len(history.series("PMP-1", "mapped_pressure_kpa", 0, wall_ms() + 1)) == n_mapped


def test_broker_killed_and_restarted_mid_stream_loses_no_event(own_broker, tmp_path, block) -> None:
    service = LiveService(block, mqtt=own_broker.url, db_path=tmp_path / "twin.db", simulate=False,
                          min_backoff_s=0.2, max_backoff_s=1.0)
    n, rate_hz = 1200, 200.0
    base = wall_ms()
    published_at: list[float] = []
    with service:
        pub = Publisher(own_broker, client_id=f"pub-{block.id}")
        start = time.monotonic()
        outage: dict[str, float] = {}

        def breaking() -> None:
            time.sleep(2.0)
            outage["down"] = time.monotonic() - start
            own_broker.kill()
            time.sleep(2.0)
            own_broker.start()
            outage["up"] = time.monotonic() - start

        breaker = threading.Thread(target=breaking)
        breaker.start()
        topic = device_topic(block.id, "fire", "FAP-1", "event")
        for i in range(n):
            target = start + i / rate_hz
            time.sleep(max(0.0, target - time.monotonic()))
            published_at.append(time.monotonic() - start)
            pub.publish(topic, json.dumps({"type": "fault", "severity": "minor", "ts": base + i, "n": i}))
        breaker.join()
        pub.wait_all(30)
        pub.close()
        during = [i for i, t in enumerate(published_at) if outage["down"] <= t <= outage["up"]]
        assert len(during) > 100  # the publisher went on while the broker was down
        wait_until(lambda: service.flush(5) and len(service.history.events(type="fault", limit=10_000)) >= n, 30)
        got = [e["data"]["n"] for e in service.history.events(type="fault", limit=10_000)]
        assert sorted(got) == list(range(n))  # every event once: none lost, none doubled
        assert service.bridge.connects >= 2 and service.bridge.disconnects >= 1
        assert service.bridge.connected


def _serve(building_file: Path, url: str, db: Path, twin_id: str) -> subprocess.Popen:
    code = "import sys; from api.live_cli import serve; serve.main(sys.argv[1:], prog_name='twin serve')"
    return subprocess.Popen([sys.executable, "-c", code, str(building_file), "--mqtt", url, "--db", str(db),
                             "--no-simulator", "--no-api", "--status-every", "0.5", "--twin-id", twin_id],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ, PYTHONWARNINGS="ignore"))


def test_twin_killed_mid_stream_comes_back_with_what_it_stored(mosquitto, tmp_path) -> None:
    building = block_building()
    building_file = write_block(tmp_path / "block.yaml", building.id)
    db, twin_id = tmp_path / "twin.db", f"twin-{building.id}"
    status_topic = twin_status_topic(building.id, twin_id)
    proc = _serve(building_file, mosquitto.url, db, twin_id)
    try:
        wait_until(lambda: retained(mosquitto, status_topic, 0.3) == b"online", 30)
        pub = Publisher(mosquitto)
        base = wall_ms() - 30_000
        n_state, n_events = 900, 300
        killed_at = None
        for i in range(n_state):
            pub.publish(device_topic(building.id, "pump", "PMP-1", "state"), json.dumps(
                {"ts": base + i, "seq": i + 1, "values": {"outlet_pressure_kpa": 500 + i % 50, "n": i}}))
            if i % 3 == 0:
                k = i // 3
                pub.publish(device_topic(building.id, "pump", "PMP-1", "event"), json.dumps(
                    {"type": "surge", "severity": "warning", "ts": base + k, "n": k}))
            if i == n_state // 2:
                os.kill(proc.pid, signal.SIGKILL)  # mid-stream
                proc.wait(10)
                killed_at = i
            time.sleep(0.002)
        pub.wait_all(30)
        pub.close()
        assert killed_at is not None
        assert retained(mosquitto, status_topic) == b"offline"  # its last will

        # What the dead twin stored is consistent: its device record is the newest history.
        with History(db, building_id=building.id) as stored:
            record = stored.load_devices()["PMP-1"]
            newest = {p: v for p, (ts, v) in stored.latest_samples()["PMP-1"].items()}
            stored_events = len(stored.events(type="surge", limit=10_000))
        assert record["values"] == newest and 0 < record["seq"] < n_state
        restored = TwinState(building)
        restored.restore({"PMP-1": record})
        assert dict(restored.equipment("PMP-1").values) == newest
        assert stored_events < n_events

        proc = _serve(building_file, mosquitto.url, db, twin_id)  # restart: same session, same history
        def caught_up() -> bool:
            with History(db, building_id=building.id) as h:
                rec = h.load_devices().get("PMP-1", {})
                return rec.get("seq") == n_state and len(h.events(type="surge", limit=10_000)) == n_events
        wait_until(caught_up, 30, 0.2)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, out
        assert "stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with History(db, building_id=building.id) as h:
        ns = sorted(p.value for p in h.series("PMP-1", "n", 0, wall_ms()))
        assert ns == list(range(n_state))  # every state message, none twice
        assert sorted(e["data"]["n"] for e in h.events(type="surge", limit=10_000)) == list(range(n_events))
        record = h.load_devices()["PMP-1"]
        assert record["seq"] == n_state and record["values"]["n"] == n_state - 1 and record["seq_gaps"] == 0
