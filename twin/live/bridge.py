"""The bridge between a building's MQTT broker and the twin.

The bridge is an MQTT client (paho-mqtt 2, callback API version 2) that:

* keeps a **persistent session** — ``clean_start=False`` with a session expiry (MQTT 5) or
  ``clean_session=False`` (3.1.1) — so the broker queues QoS 1 messages while the twin is away;
* subscribes with **QoS 1**, and acknowledges a QoS 1 message only after the twin has
  committed it to its history (paho's manual acknowledgement): an event is never lost between
  the broker and the disk, whoever crashes;
* **reconnects by itself** with exponential back-off when the broker goes away;
* announces the twin on its own status topic: ``online`` when connected (birth), ``offline``
  as its last will and on a clean stop.

Paho calls ``on_message`` on its network thread, and an exception there kills that thread.
So the callback does only one thing — decode the message and put the result (or the reason it
was rejected) on a queue for the ingest thread — inside a ``try`` that catches everything.
With ``defer_decoding`` it does even less: it puts the raw message on the queue, and the ingest
thread decodes it (:meth:`Bridge.decode`). The live service works that way — paho's thread,
which reads the socket, is then free for the next message, and a backlog waits in the queue as
plain tuples, which Python's garbage collector does not have to walk over and over.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from twin.live.payloads import DeadLetter, DecodeError, Decoder, Message
from twin.live.values import wall_ms

__all__ = ["MqttSettings", "MqttUrlError", "Inbound", "Rejected", "Received", "Bridge", "parse_mqtt_url",
           "tls_context"]

log = logging.getLogger(__name__)

SCHEMES = {"mqtt": (1883, False), "tcp": (1883, False), "mqtts": (8883, True), "ssl": (8883, True)}


class MqttUrlError(ValueError):
    """An MQTT URL a person gave that cannot be used."""


@dataclass(frozen=True)
class MqttSettings:
    """How to reach a broker: host, port, credentials, TLS, protocol, session."""

    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    ca_file: str | None = None
    tls_insecure: bool = False
    protocol: Literal[4, 5] = 5
    keepalive_s: int = 30
    session_expiry_s: int = 7 * 24 * 3600
    client_id: str | None = None

    @property
    def url(self) -> str:
        """The URL with the password left out (safe to print)."""
        scheme = "mqtts" if self.tls else "mqtt"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> "MqttSettings":
        return replace(parse_mqtt_url(url), **overrides) if overrides else parse_mqtt_url(url)


def parse_mqtt_url(url: str) -> MqttSettings:
    """``mqtt://user:pass@host:1883`` or ``mqtts://host:8883?ca=/path/ca.pem`` → settings.

    Query options: ``protocol=5|3.1.1``, ``client_id=``, ``ca=`` (CA file), ``insecure=1``
    (skip certificate checks), ``keepalive=`` (s).
    """
    if not isinstance(url, str) or "://" not in url:
        raise MqttUrlError(f"{url!r} is not an MQTT URL; expected mqtt://[user:pass@]host[:port] or mqtts://...")
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise MqttUrlError(f"unknown scheme {parts.scheme!r} in {url!r}; use mqtt:// or mqtts://")
    default_port, tls = SCHEMES[parts.scheme]
    if not parts.hostname:
        raise MqttUrlError(f"no host in {url!r}")
    try:
        port = parts.port or default_port
    except ValueError:
        raise MqttUrlError(f"the port in {url!r} is not a number from 1 to 65535") from None
    if parts.path not in ("", "/"):
        raise MqttUrlError(f"an MQTT URL has no path, got {parts.path!r} in {url!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = set(query) - {"protocol", "client_id", "ca", "insecure", "keepalive"}
    if unknown:
        raise MqttUrlError(f"unknown option(s) {sorted(unknown)} in {url!r}; "
                           "known: protocol, client_id, ca, insecure, keepalive")
    protocol = {"5": 5, "5.0": 5, "3.1.1": 4, "311": 4, "4": 4}.get(query.get("protocol", "5"))
    if protocol is None:
        raise MqttUrlError(f"protocol must be 5 or 3.1.1, got {query['protocol']!r}")
    try:
        keepalive = int(query.get("keepalive", "30"))
    except ValueError:
        raise MqttUrlError(f"keepalive must be whole seconds, got {query['keepalive']!r}") from None
    return MqttSettings(
        host=parts.hostname, port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls or "ca" in query, ca_file=query.get("ca") or None,
        tls_insecure=query.get("insecure", "0") in ("1", "true", "yes"),
        protocol=protocol, keepalive_s=keepalive, client_id=query.get("client_id") or None,
    )


Received = tuple[bytes, bytes, int, int, int]
"""A message as it came off the wire: ``(topic, payload, received_ms, mid, qos)``, topic still bytes.

A plain tuple, not a named one: a backlog of these waits in the ingest queue, and the garbage
collector stops tracking a tuple of bytes and ints (never a named tuple) once it has seen it.
"""


class Inbound(NamedTuple):
    """Decoded messages of one MQTT message, with what is needed to acknowledge it."""

    messages: tuple[Message, ...]
    received_ms: int
    mid: int
    qos: int


def tls_context(settings: MqttSettings) -> ssl.SSLContext:
    """The TLS context of a broker connection; MqttUrlError when its CA file cannot be used."""
    try:
        context = ssl.create_default_context(cafile=settings.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise MqttUrlError(f"CA file {settings.ca_file!r} cannot be used: {getattr(exc, 'strerror', None) or exc}") from None
    if settings.tls_insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message that could not be decoded, with the reason."""

    dead_letter: DeadLetter
    mid: int
    qos: int


class Bridge:
    """An MQTT client that feeds decoded messages to ``sink`` (a queue) and never stops by itself.

    ``subscriptions`` are topic filters (subscribed with QoS 1). ``status_topic`` is where the
    twin's birth and last will go. The ingest side calls :meth:`ack` after committing a QoS 1
    message. With ``defer_decoding`` the sink receives :data:`Received` tuples instead, which
    the ingest side turns into :class:`Inbound` or :class:`Rejected` with :meth:`decode`.
    """

    def __init__(self, settings: MqttSettings, *, decoder: Decoder, sink: "queue.SimpleQueue[Any]",
                 subscriptions: list[str], status_topic: str, client_id: str,
                 min_backoff_s: float = 0.5, max_backoff_s: float = 30.0, defer_decoding: bool = False):
        self.settings = settings
        self.decoder = decoder
        self.sink = sink
        self.defer_decoding = defer_decoding
        self.subscriptions = list(dict.fromkeys(subscriptions))
        self.status_topic = status_topic
        self.client_id = settings.client_id or client_id
        self.min_backoff_s = min_backoff_s
        self.max_backoff_s = max_backoff_s
        self.received = 0
        self.rejected: Counter[str] = Counter()
        self.connects = 0
        self.disconnects = 0
        self.last_error: str | None = None
        self.session_present: bool | None = None
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._stopping = False
        self._client = self._make_client()

    # --- set-up ------------------------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        if s.protocol == 5:
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5,
                                 manual_ack=True, reconnect_on_failure=True)
        else:
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv311,
                                 clean_session=False, manual_ack=True, reconnect_on_failure=True)
        if s.username:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            client.tls_set_context(tls_context(s))
        client.will_set(self.status_topic, b"offline", qos=1, retain=True)
        client.reconnect_delay_set(min_delay=self.min_backoff_s, max_delay=self.max_backoff_s)  # type: ignore[arg-type]
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def start(self) -> "Bridge":
        """Connect in the background; paho's loop thread reconnects with back-off from now on."""
        s = self.settings
        self._stopping = False
        if s.protocol == 5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = s.session_expiry_s
            self._client.connect_async(s.host, s.port, keepalive=s.keepalive_s, clean_start=False, properties=props)
        else:
            self._client.connect_async(s.host, s.port, keepalive=s.keepalive_s)
        self._client.loop_start()
        return self

    def wait_connected(self, timeout_s: float = 10.0) -> bool:
        """Wait until connected and subscribed."""
        return self._connected.wait(timeout_s) and self._subscribed.wait(timeout_s)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Say ``offline`` on the status topic, disconnect (keeping the session), stop the loop."""
        self._stopping = True
        if self._connected.is_set():
            try:
                info = self._client.publish(self.status_topic, b"offline", qos=1, retain=True)
                info.wait_for_publish(timeout_s)
            except Exception:  # the broker may be gone; the last will says it for us then
                log.debug("could not publish offline status", exc_info=True)
        try:
            self._client.disconnect()
        except Exception:
            log.debug("disconnect", exc_info=True)
        self._client.loop_stop()
        self._connected.clear()

    def ack(self, mid: int, qos: int) -> None:
        """Acknowledge a QoS 1/2 message after it has been committed."""
        if qos > 0:
            try:
                self._client.ack(mid, qos)
            except Exception:  # not connected: the broker will redeliver, history de-duplicates
                log.debug("ack %s failed", mid, exc_info=True)

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> mqtt.MQTTMessageInfo:
        """Publish on the bridge's connection (commands to devices, for instance)."""
        return self._client.publish(topic, payload, qos=qos, retain=retain)

    # --- callbacks (paho's network thread: nothing here may raise) ----------------------------

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        try:
            if getattr(reason, "is_failure", False):
                self.last_error = f"connection refused: {reason}"
                log.warning("MQTT %s refused the connection: %s", self.settings.url, reason)
                return
            self.connects += 1
            self.session_present = bool(getattr(flags, "session_present", False))
            self._subscribed.clear()
            client.subscribe([(topic, 1) for topic in self.subscriptions])
            client.publish(self.status_topic, b"online", qos=1, retain=True)
            self._connected.set()
            log.info("connected to %s (session present: %s)", self.settings.url, self.session_present)
        except Exception as exc:  # never let paho's thread die
            self.last_error = f"on_connect: {exc}"
            log.exception("on_connect failed")

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any) -> None:
        try:
            failed = [r for r in reasons if getattr(r, "is_failure", False)]
            if failed:
                self.last_error = f"subscription refused: {failed[0]}"
                log.warning("subscription refused by %s: %s", self.settings.url, failed)
            self._subscribed.set()
        except Exception:
            log.exception("on_subscribe failed")

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        try:
            was_connected = self._connected.is_set()
            self._connected.clear()
            self._subscribed.clear()
            if not self._stopping and was_connected:  # a refused connection was reported in _on_connect
                self.disconnects += 1
                self.last_error = f"disconnected: {reason}"
                log.warning("MQTT connection to %s lost (%s); reconnecting", self.settings.url, reason)
        except Exception:
            pass

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            self.received += 1
            payload = msg.payload
            received: Received = (msg._topic, payload if type(payload) is bytes else bytes(payload),  # noqa: SLF001
                                  wall_ms(), msg.mid, msg.qos)
            self.sink.put(received if self.defer_decoding else self.decode(received))
        except BaseException as exc:  # nothing may escape into paho's thread
            try:
                self.last_error = f"on_message: {exc!r}"
                log.error("on_message failed: %r", exc)
            except BaseException:
                pass

    def decode(self, received: Received) -> Inbound | Rejected:
        """Decode a message as it came off the wire; never raises (a rejection says why)."""
        raw_topic, payload, received_ms, mid, qos = received
        try:
            topic = raw_topic if type(raw_topic) is str else raw_topic.decode("utf-8")
        except UnicodeDecodeError:
            return self._reject(raw_topic.decode("utf-8", "replace"), payload, received_ms,
                                DecodeError("topic", "topic is not UTF-8"), mid, qos)
        try:
            return Inbound(self.decoder.decode(topic, payload, received_ms), received_ms, mid, qos)
        except DecodeError as exc:
            return self._reject(topic, payload, received_ms, exc, mid, qos)
        except Exception as exc:  # a bug in decoding must not cost the message
            return self._reject(topic, payload, received_ms, DecodeError("internal", f"{type(exc).__name__}: {exc}"),
                                mid, qos)

    def _reject(self, topic: str, payload: bytes, received_ms: int, error: DecodeError, mid: int, qos: int) -> Rejected:
        self.rejected[error.reason] += 1
        return Rejected(DeadLetter.of(topic, payload, received_ms, error), mid, qos)
