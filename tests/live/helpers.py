"""Small helpers of the live tests: waiting for a condition, a plain MQTT publisher/subscriber."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


def wait_until(predicate: Callable[[], Any], timeout_s: float = 10.0, interval_s: float = 0.05,
               what: str = "condition") -> Any:
    """Poll until ``predicate()`` is truthy; return its value, or fail the test after the timeout,
    naming ``what`` was awaited."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout_s} s")
        time.sleep(interval_s)


def client(broker: Any, *, client_id: str | None = None, inflight: int = 1000) -> mqtt.Client:
    """A connected paho client (MQTT 5) running its own loop thread."""
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or f"test-{uuid.uuid4().hex[:8]}",
                    protocol=mqtt.MQTTv5 if getattr(broker, "protocol", 5) == 5 else mqtt.MQTTv311)
    c.max_inflight_messages_set(inflight)
    c.reconnect_delay_set(0.2, 1)  # type: ignore[arg-type]
    connected = threading.Event()
    c.on_connect = lambda *a: connected.set()
    c.connect(broker.host, broker.port, keepalive=30)
    c.loop_start()
    if not connected.wait(10):
        raise AssertionError(f"test client could not connect to {broker.host}:{broker.port}")
    return c


def retained(broker: Any, topic: str, timeout_s: float = 3.0) -> bytes | None:
    """The retained message on a topic, if any."""
    got: list[bytes] = []
    done = threading.Event()
    c = client(broker)

    def on_message(cl, userdata, msg) -> None:
        got.append(bytes(msg.payload))
        done.set()

    c.on_message = on_message
    c.subscribe(topic, qos=1)
    done.wait(timeout_s)
    c.disconnect()
    c.loop_stop()
    return got[-1] if got else None


def close(c: mqtt.Client) -> None:
    c.disconnect()
    c.loop_stop()


class Publisher:
    """A QoS 1 publisher that knows which of its messages the broker has acknowledged.

    Messages published while the broker is away stay in paho's queue and go out on reconnect;
    ``wait_all`` waits until every one has been acknowledged.
    """

    def __init__(self, broker: Any, client_id: str | None = None):
        self.client = client(broker, client_id=client_id)
        self.mids: list[int] = []
        self.acked: set[int] = set()
        self._lock = threading.Lock()
        self.client.on_publish = self._on_publish

    def _on_publish(self, c, userdata, mid, reason=None, properties=None) -> None:
        with self._lock:
            self.acked.add(mid)

    def publish(self, topic: str, payload: bytes | str, qos: int = 1) -> None:
        info = self.client.publish(topic, payload, qos=qos)
        with self._lock:
            self.mids.append(info.mid)

    def wait_all(self, timeout_s: float = 30.0) -> None:
        wait_until(lambda: set(self.mids) <= self.acked, timeout_s)

    def close(self) -> None:
        close(self.client)
