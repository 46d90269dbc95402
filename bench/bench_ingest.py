"""Benchmark: live ingest — Mosquitto → bridge → state + SQLite history — against a bare subscriber.

Two figures, measured in one run on a Mosquitto started here:

1. **Sustained ingest.** A backlog of QoS 0 state messages (the sample tower's devices, as the
   device simulator publishes them) is queued on the broker for a persistent session, then
   drained: once by a bare paho subscriber that only counts, once by the twin, which decodes,
   applies to state, evaluates alarm rules and commits every message to its history. Printed
   as messages per second and as the twin's ratio to the bare subscriber (target ≥ 15,000 msg/s).
2. **Latency.** Messages published at 2,000 msg/s to a running twin; the time from publish to
   the updated state (the moment the ingest thread has applied it), p50 / p99 / max
   (target p99 ≤ 50 ms).

Prints, never asserts: these machines are shared and noisy.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from twin.live.broker import Broker
from twin.live.service import LiveService
from twin.live.simulator import DeviceSimulator
from twin.loader import load_building

from suite import Figure, Target, record  # bench/suite.py

BACKLOG = 60_000
LATENCY_RATE_HZ = 2_000
LATENCY_SECONDS = 8


def _client(broker: Broker, client_id: str, persistent: bool = False) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    c.max_inflight_messages_set(1000)
    props = None
    if persistent:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
    connected = threading.Event()
    c.on_connect = lambda *a: connected.set()
    c.connect(broker.host, broker.port, keepalive=60, clean_start=not persistent, properties=props)
    c.loop_start()
    connected.wait(10)
    return c


def _messages(building, n: int) -> list[tuple[str, bytes]]:
    """``n`` realistic state messages of every device of the building, as the simulator makes them."""
    t = [int(time.time() * 1000) - n]
    sim = DeviceSimulator(building, rate_hz=10, clock=lambda: t[0], seed=1)
    out: list[tuple[str, bytes]] = []
    while len(out) < n:
        t[0] += 1
        out += [(m.topic, m.payload) for m in sim.advance(0.1) if m.topic.endswith("/state")]
    return out[:n]


def _queue_backlog(broker: Broker, messages: list[tuple[str, bytes]]) -> None:
    pub = _client(broker, "bench-publisher")
    for topic, payload in messages:
        pub.publish(topic, payload, qos=0)
    pub.publish("bench/marker", b"end", qos=1).wait_for_publish(60)  # the broker has taken all before it
    pub.disconnect()
    pub.loop_stop()


def bare_rate(broker: Broker, building_id: str, messages: list[tuple[str, bytes]]) -> float:
    n = len(messages)
    count = [0]
    done = threading.Event()
    first = [0.0]

    def on_message(c, userdata, msg) -> None:
        if count[0] == 0:
            first[0] = time.perf_counter()
        count[0] += 1
        if count[0] >= n:
            done.set()

    sub = _client(broker, "bench-bare", persistent=True)
    sub.subscribe(f"twin/v1/{building_id}/+/+/state", qos=1)
    time.sleep(0.3)
    sub.disconnect()
    sub.loop_stop()
    _queue_backlog(broker, messages)
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-bare", protocol=mqtt.MQTTv5)
    sub.on_message = on_message
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    start = time.perf_counter()
    sub.connect(broker.host, broker.port, keepalive=60, clean_start=False, properties=props)
    sub.loop_start()
    done.wait(300)
    elapsed = time.perf_counter() - start
    sub.disconnect()
    sub.loop_stop()
    return count[0] / elapsed


def twin_rate(broker: Broker, building, messages: list[tuple[str, bytes]], db: Path) -> tuple[float, float]:
    n = len(messages)
    service = LiveService(building, mqtt=broker.url, db_path=db, simulate=False,
                          twin_id="bench-twin")
    service.start()
    service.stop()  # the session now exists on the broker
    _queue_backlog(broker, messages)
    service = LiveService(building, mqtt=broker.url, db_path=db, simulate=False, twin_id="bench-twin")
    start = time.perf_counter()
    service.start(wait_connected_s=0)
    while service.state_messages < n:
        time.sleep(0.01)
    applied = time.perf_counter() - start
    service.flush(120)
    committed = time.perf_counter() - start
    service.stop()
    return n / applied, n / committed


def latency(broker: Broker, building, db: Path) -> list[float]:
    service = LiveService(building, mqtt=broker.url, db_path=db, simulate=False, twin_id="bench-latency")
    latencies: list[float] = []

    def on_changes(changes) -> None:
        now = time.perf_counter()
        for c in changes:
            sent = c.values.get("t_pub")
            if isinstance(sent, float):
                latencies.append(now - sent)

    service.add_change_listener(on_changes)
    service.start()
    devices = [d for d in service.state.device_ids if service.state.info(d).system == "pump"]
    pub = _client(broker, "bench-latency-publisher")
    total = LATENCY_RATE_HZ * LATENCY_SECONDS
    burst = 10
    start = time.perf_counter()
    ts0 = int(time.time() * 1000)
    for i in range(0, total, burst):
        target = start + i / LATENCY_RATE_HZ
        time.sleep(max(0.0, target - time.perf_counter()))
        for k in range(i, i + burst):
            device = devices[k % len(devices)]
            doc = {"ts": ts0 + k, "seq": k // len(devices) + 1,
                   "values": {"outlet_pressure_kpa": 580.0 + k % 7, "t_pub": time.perf_counter()}}
            pub.publish(f"twin/v1/{building.id}/pump/{device}/state", json.dumps(doc), qos=0)
    deadline = time.perf_counter() + 30
    while len(latencies) < total and time.perf_counter() < deadline:
        time.sleep(0.01)
    pub.disconnect()
    pub.loop_stop()
    service.stop()
    return latencies


def main() -> None:
    building = load_building("tower")
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        tmp_path = Path(tmp)
        broker = Broker(kind="mosquitto", data_dir=tmp_path / "broker", persistence=False,
                        extra_config=["queue_qos0_messages true"])
        with broker:
            messages = _messages(building, BACKLOG)
            mean_points = statistics.mean(len(json.loads(p)["values"]) for _, p in messages[:2000])
            print(f"live ingest, {BACKLOG:,} QoS 0 state messages of the sample tower "
                  f"({len(building.equipment) + len(building.car_by_id)} devices, {mean_points:.1f} points each), "
                  f"Mosquitto on loopback")
            bare = bare_rate(broker, building.id, messages)
            applied, committed = twin_rate(broker, building, messages, tmp_path / "ingest.db")
            print(f"  bare paho subscriber (counts only)      : {bare:9,.0f} msg/s")
            print(f"  twin: applied to state                  : {applied:9,.0f} msg/s")
            print(f"  twin: applied and committed to history  : {committed:9,.0f} msg/s  "
                  f"(ratio to bare {committed / bare:.2f}; target >= 15,000 msg/s)")
            figures = [
                Figure("QoS 0 state messages applied to state", applied, "msg/s", "bare paho subscriber", bare),
                Figure("QoS 0 state messages applied and committed to history", committed, "msg/s",
                       "bare paho subscriber", bare, target=Target(">=", 15_000.0)),
            ]
            lat = sorted(latency(broker, building, tmp_path / "latency.db"))
            if lat:
                q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000  # noqa: E731
                print(f"  publish -> updated state at {LATENCY_RATE_HZ:,} msg/s for {LATENCY_SECONDS} s "
                      f"({len(lat):,} messages): p50 {q(0.50):.1f} ms, p99 {q(0.99):.1f} ms, max {lat[-1] * 1000:.1f} ms "
                      f"(target p99 <= 50 ms)")
                figures.append(Figure(f"publish → updated state at {LATENCY_RATE_HZ:,} msg/s, p99", q(0.99), "ms",
                                      "p50 of the same", q(0.50), target=Target("<=", 50.0)))
            record("bench_ingest", "Live ingest from Mosquitto", figures)


if __name__ == "__main__":
    main()
