"""The live twin as one service: broker, bridge, state, history, alarms and simulator, wired.

``twin serve`` runs this, and the HTTP API starts it in its lifespan. Given a broker URL it
connects there (username/password and TLS from the URL); given none it starts an embedded
broker and — unless told not to — the device simulator for the building, so a fresh clone shows
a live building at once. The embedded broker is not open to every local process: it gets two
users with passwords made at start — the twin (reads the building's topics, writes commands)
and the simulated devices (write state, events…, read commands) — and refuses anyone else; it
keeps its folder, with those credentials (mode 0600), under ``broker_dir`` (``mqtt/`` beside
the history).

The history lives in the data directory: ``DATA_DIR/history.sqlite`` (``TWIN_DATA_DIR``,
``twin-data`` by default), the file the API reads too, created readable by its owner only.

A device can only grow its state so far: a state message that would take it past
``max_points_per_device`` points or ``max_device_state_bytes`` of values is not applied and
goes to the dead letters with reason ``limit`` (a device's own message is already bounded; this
bounds what many messages with ever new point names would add up to).

Threads and who owns what:

* paho's network thread (the bridge) puts each message, as received, on a queue;
* **one ingest thread** takes them off in batches and is the only writer of state, alarms and
  history: decode → apply to state → evaluate rules → write the batch in one transaction →
  acknowledge the batch's QoS 1 messages to the broker → hand alarm transitions to the hooks;
* a ticker puts a tick on the same queue every second (durations, staleness, retention), and
  operator actions (acknowledging an alarm) go through the queue too, so nothing races;
* the history copies its write-ahead log into the database on a thread of its own, so that no
  commit of the ingest thread waits for the disk.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from twin.live.alarms import Alarm, AlarmEngine, AlarmTransition, RuleSet, load_rules
from twin.live.bridge import Bridge, Inbound, MqttSettings, Rejected, parse_mqtt_url
from twin.live.broker import DEVICES_USER, TWIN_USER, Broker, embedded_users
from twin.live.history import Batch, History
from twin.live.mapping import Mapping, load_mapping
from twin.live.payloads import DeadLetter, Decoder, DecodeError, DeviceAttributes, DeviceEvent, DeviceStatus, StateUpdate
from twin.live.simulator import DeviceSimulator, Fault, SimulatorRunner, parse_fault
from twin.live.state import StateChange, StateLimitError, TwinSnapshot, TwinState
from twin.live.topics import building_filter, twin_status_topic
from twin.live.values import Clock, wall_ms
from twin.loader import load_building
from twin.spec import Building

__all__ = ["LiveService", "ServiceStats", "default_history_path", "MAX_POINTS_PER_DEVICE", "MAX_DEVICE_STATE_BYTES"]

log = logging.getLogger(__name__)

MAX_BATCH = 5000
# Behind a backlog (a batch this large), the ingest thread lets the next batch gather for a few
# milliseconds before taking it. It shares the GIL with paho's network thread, and every batch
# costs a transaction and a round of GIL hand-overs between the two; left alone for a moment,
# paho reads at full speed, so fewer, larger batches drain a backlog faster. At ordinary rates
# batches are small and nothing waits.
BACKLOG_BATCH = 100
GATHER_S = 0.010
MAX_POINTS_PER_DEVICE = 256
MAX_DEVICE_STATE_BYTES = 64 * 1024


def default_history_path() -> Path:
    """``DATA_DIR/history.sqlite``: ``TWIN_DATA_DIR`` or ``twin-data``, as the API's settings say."""
    return Path(os.environ.get("TWIN_DATA_DIR") or "twin-data") / "history.sqlite"


@dataclass(frozen=True)
class _Tick:
    now_ms: int


@dataclass(frozen=True)
class _Call:
    fn: Callable[[], Any]
    future: Future


_STOP = object()


@dataclass(frozen=True)
class ServiceStats:
    """Counters of a running service."""

    received: int
    applied: int
    ignored: int
    dead_letters: int
    dead_by_reason: dict[str, int]
    state_messages: int
    events: int
    batches: int
    queue_depth: int
    connected: bool
    connects: int
    disconnects: int
    ingest_errors: int
    open_alarms: int
    status_counts: dict[str, int]


class LiveService:
    """The live twin of one building.

    ``mqtt`` is a URL (``mqtt://user:pass@host:1883``, ``mqtts://…``) or :class:`MqttSettings`;
    ``None`` starts an embedded broker (locked down, its folder under ``broker_dir``: by
    default ``mqtt/`` beside the history). ``simulate`` defaults to True exactly when the broker
    is embedded. ``faults`` are simulator fault specs (``LIFT-2:entrapment@60s``). ``db_path``
    defaults to :func:`default_history_path`. ``max_points_per_device`` and
    ``max_device_state_bytes`` bound each device's state (excess is dead-lettered).
    ``meter_profiles`` drive the simulator's meters (:class:`~twin.live.simulator.DeviceSimulator`),
    given by the layer that starts the service.
    """

    def __init__(self, building: Building | str | Path, *, mqtt: str | MqttSettings | None = None,
                 db_path: str | Path | None = None, rules: RuleSet | str | Path | None = None,
                 mapping: Mapping | str | Path | None = None, simulate: bool | None = None,
                 sim_rate_hz: float | None = None, faults: Iterable[Fault | str] = (), seed: int = 0,
                 stale_factor: float = 3.0, retention_s: float | None = 30 * 24 * 3600,
                 twin_id: str | None = None, broker_kind: str = "auto", tick_s: float = 1.0,
                 min_backoff_s: float = 0.5, max_backoff_s: float = 30.0, clock: Clock = wall_ms,
                 broker_dir: str | Path | None = None, max_points_per_device: int = MAX_POINTS_PER_DEVICE,
                 max_device_state_bytes: int = MAX_DEVICE_STATE_BYTES, meter_profiles: dict[str, Any] | None = None):
        self.building = building if isinstance(building, Building) else load_building(building)
        b = self.building
        self.settings: MqttSettings | None = parse_mqtt_url(mqtt) if isinstance(mqtt, str) else mqtt
        self.simulate = (self.settings is None) if simulate is None else simulate
        self.faults = tuple(f if isinstance(f, Fault) else parse_fault(f, b) for f in faults)
        self.rules = rules if isinstance(rules, RuleSet) else load_rules(rules)
        self.mapping = mapping if isinstance(mapping, Mapping) or mapping is None else load_mapping(mapping)
        self.db_path = Path(db_path) if db_path is not None else default_history_path()
        self.broker_dir = Path(broker_dir) if broker_dir is not None else self.db_path.parent / "mqtt"
        self.simulator_settings: MqttSettings | None = None
        self.twin_id = twin_id or f"twin-{b.id}"
        self.sim_rate_hz = sim_rate_hz
        self.seed = seed
        self.retention_s = retention_s
        self.broker_kind = broker_kind
        self.tick_s = tick_s
        self.min_backoff_s = min_backoff_s
        self.max_backoff_s = max_backoff_s
        self.clock = clock
        self.meter_profiles = meter_profiles

        self.state = TwinState(b, stale_factor=stale_factor, clock=clock, max_points=max_points_per_device,
                               max_state_bytes=max_device_state_bytes)
        self.alarms = AlarmEngine(b, self.rules, self.state, clock=clock)
        self.decoder = Decoder(b, mapping=self.mapping)
        self.queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.history: History | None = None
        self.broker: Broker | None = None
        self.bridge: Bridge | None = None
        self.simulator: SimulatorRunner | None = None
        self._ingest: threading.Thread | None = None
        self._ticker: threading.Thread | None = None
        self._stopping = threading.Event()
        self._change_listeners: list[Callable[[Sequence[StateChange]], None]] = []
        self.applied = 0
        self.ignored = 0
        self.dead = 0
        self.dead_by_reason: Counter[str] = Counter()
        self.state_messages = 0
        self.events = 0
        self.batches = 0
        self.ingest_errors = 0
        self._last_prune_ms = 0
        self.started = False

    # --- life cycle --------------------------------------------------------------------------

    @property
    def broker_url(self) -> str:
        if self.broker is not None:
            return self.broker.url
        if self.settings is None:
            return "(not started)"
        return self.settings.url

    def start(self, *, wait_connected_s: float = 10.0) -> "LiveService":
        """Open the history and restore from it, connect, start ingesting (and simulating)."""
        if self.started:
            return self
        try:
            self._starting(wait_connected_s)
        except BaseException:
            self.started = True  # so that stop() releases whatever was opened
            self.stop()
            raise
        return self

    def _starting(self, wait_connected_s: float) -> None:
        b = self.building
        self.history = History(self.db_path, building_id=b.id)
        restored = self.state.restore(self.history.load_devices())
        reopened = self.alarms.restore(self.history.load_open_alarms())
        if restored or reopened:
            log.info("restored %d devices and %d open alarms from %s", restored, reopened, self.db_path)
        subscriptions = [building_filter(b.id)] + (self.mapping.subscriptions() if self.mapping else [])
        if self.settings is None:
            users = embedded_users(twin_reads=subscriptions[1:])
            self.broker = Broker(kind=self.broker_kind, users=users,  # type: ignore[arg-type]
                                 root_dir=self.broker_dir).start()
            self.settings = self._embedded_settings(TWIN_USER)
            self.simulator_settings = self._embedded_settings(DEVICES_USER)
        else:
            self.simulator_settings = self.settings
        self.bridge = Bridge(self.settings, decoder=self.decoder, sink=self.queue, subscriptions=subscriptions,
                             status_topic=twin_status_topic(b.id, self.twin_id), client_id=self.twin_id,
                             min_backoff_s=self.min_backoff_s, max_backoff_s=self.max_backoff_s,
                             defer_decoding=True)
        self._stopping.clear()
        self._ingest = threading.Thread(target=self._ingesting, name="twin-ingest", daemon=True)
        self._ingest.start()
        self._ticker = threading.Thread(target=self._ticking, name="twin-ticker", daemon=True)
        self._ticker.start()
        self.bridge.start()
        self.started = True
        if wait_connected_s and not self.bridge.wait_connected(wait_connected_s):
            log.warning("not connected to %s yet; retrying in the background", self.settings.url)
        if self.simulate:
            sim = DeviceSimulator(b, rate_hz=self.sim_rate_hz, faults=self.faults, seed=self.seed, clock=self.clock,
                                  meter_profiles=self.meter_profiles)
            self.simulator = SimulatorRunner(sim, self.simulator_settings, client_id=f"{self.twin_id}-devices").start()

    def _embedded_settings(self, username: str) -> MqttSettings:
        """How ``username`` reaches the embedded broker."""
        assert self.broker is not None
        user, password = self.broker.credentials(username)
        return MqttSettings(host=self.broker.host, port=self.broker.port, protocol=self.broker.protocol,  # type: ignore[arg-type]
                            username=user, password=password)

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop simulating, say offline, ingest what has arrived, close the history and broker."""
        if not self.started:
            return
        if self.simulator is not None:
            self.simulator.stop()
            self.simulator = None
            self.flush(2.0)
        if self.bridge is not None:
            self.bridge.stop()
        self._stopping.set()
        if self._ingest is not None and self._ingest.is_alive():
            self.queue.put(_STOP)
            self._ingest.join(timeout_s)
        if self._ticker is not None:
            self._ticker.join(timeout_s)
        self.alarms.close()
        if self.history is not None:
            self.history.close()
        if self.broker is not None:
            self.broker.cleanup()
            self.broker = None
            self.settings = None
            self.simulator_settings = None
        self.started = False

    def __enter__(self) -> "LiveService":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- operator actions and reading --------------------------------------------------------

    def call(self, fn: Callable[[], Any], timeout_s: float = 10.0) -> Any:
        """Run ``fn`` on the ingest thread (the one writer) and return its result."""
        future: Future = Future()
        self._enqueue(_Call(fn, future))
        return future.result(timeout_s)

    def acknowledge(self, alarm_id: str, user: str, note: str | None = None) -> Alarm:
        """An operator acknowledges an alarm; returns it as it is afterwards. Raises AlarmNotFound."""
        def acking() -> Any:
            t = self.alarms.acknowledge(alarm_id, user, note)
            return t if t is not None else self.alarms.get(alarm_id)

        result = self.call(acking)
        return result.alarm if isinstance(result, AlarmTransition) else result

    def snapshot(self) -> TwinSnapshot:
        return self.state.snapshot()

    def add_change_listener(self, fn: Callable[[Sequence[StateChange]], None]) -> None:
        """Call ``fn(changes)`` on the ingest thread right after each batch is applied to state."""
        self._change_listeners.append(fn)

    def inject_fault(self, spec: str | Fault) -> Fault:
        """Inject a simulator fault now (only with the simulator running)."""
        if self.simulator is None:
            raise RuntimeError("no device simulator is running in this service")
        fault = spec if isinstance(spec, Fault) else parse_fault(spec, self.building)
        self.simulator.inject(fault)
        return fault

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything queued so far has been applied and committed."""
        marker: Future = Future()
        self._enqueue(_Call(lambda: None, marker))
        try:
            marker.result(timeout_s)
            return True
        except Exception:
            return False

    def stats(self) -> ServiceStats:
        bridge = self.bridge
        return ServiceStats(
            received=bridge.received if bridge else 0, applied=self.applied, ignored=self.ignored,
            dead_letters=self.dead,
            dead_by_reason=dict(self.dead_by_reason), state_messages=self.state_messages, events=self.events,
            batches=self.batches, queue_depth=self.queue.qsize(), connected=bool(bridge and bridge.connected),
            connects=bridge.connects if bridge else 0, disconnects=bridge.disconnects if bridge else 0,
            ingest_errors=self.ingest_errors, open_alarms=len(self.alarms.open_alarms()),
            status_counts=self.state.snapshot().status_counts(),
        )

    def status_line(self) -> str:
        """One line for a terminal: connection, traffic, device statuses, alarms."""
        s = self.stats()
        alarms = self.alarms.open_alarms()
        worst = alarms[0] if alarms else None
        statuses = " ".join(f"{k} {v}" for k, v in s.status_counts.items() if v)
        text = (f"{datetime.now().strftime('%H:%M:%S')} {self.building.id} "
                f"{'connected' if s.connected else 'DISCONNECTED'} | msgs {s.received} applied {s.applied} "
                f"dead {s.dead_letters} | devices {statuses} | alarms {len(alarms)}")
        if worst is not None:
            text += f" (worst: {worst.severity} {worst.id}{'' if worst.active else ' cleared'})"
        return text

    # --- threads -----------------------------------------------------------------------------

    def _enqueue(self, item: Any) -> None:
        self.queue.put(item)

    def _ticking(self) -> None:
        while not self._stopping.wait(self.tick_s):
            self.queue.put(_Tick(self.clock()))

    def _ingesting(self) -> None:
        while True:
            item = self.queue.get()
            items = [item]
            while len(items) < MAX_BATCH and item is not _STOP:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                items.append(item)
            stop = items[-1] is _STOP
            if stop:
                items.pop()
            try:
                self._process(items)
            except Exception:  # the ingest thread must survive anything
                self.ingest_errors += 1
                log.exception("ingest batch failed")
            if stop:
                return
            if len(items) >= BACKLOG_BATCH and self.queue.qsize() < MAX_BATCH:
                time.sleep(GATHER_S)

    def _process(self, items: list[Any]) -> None:
        assert self.history is not None
        now = self.clock()
        batch = Batch()
        changes: list[StateChange] = []
        touched: set[str] = set()
        acks: list[tuple[int, int]] = []
        transitions: list[AlarmTransition] = []
        calls: list[tuple[Future, Any, BaseException | None]] = []
        decode = self.bridge.decode if self.bridge is not None else None
        apply_state = self.state.apply_state
        for item in items:
            if type(item) is tuple and decode is not None:  # a message as received (Bridge(defer_decoding=True))
                item = decode(item)
            if isinstance(item, Inbound):
                limited = False
                for message in item.messages:
                    try:
                        if type(message) is StateUpdate:  # the bulk of the traffic: what _apply does, inline
                            changes.append(apply_state(message, item.received_ms))
                            touched.add(message.device)
                            self.state_messages += 1
                        else:
                            self._apply(message, item.received_ms, now, batch, changes, touched, transitions)
                    except StateLimitError as exc:  # the device's state would grow past its bound
                        batch.dead_letters.append(DeadLetter.of(message.topic, (message.raw or "").encode(),
                                                                item.received_ms, DecodeError("limit", str(exc))))
                        self.dead += 1
                        self.dead_by_reason["limit"] += 1
                        limited = True
                    except Exception as exc:  # a bug applying one message: dead-letter it, go on
                        self.ingest_errors += 1
                        log.exception("applying %r failed", message)
                        batch.dead_letters.append(DeadLetter.of(getattr(message, "topic", ""), b"", item.received_ms,
                                                                DecodeError("internal", f"{type(exc).__name__}: {exc}")))
                if item.messages and not limited:  # (a limited one is counted as a dead letter)
                    self.applied += 1
                elif not item.messages:
                    self.ignored += 1  # commands to devices, the twin's own status
                if item.qos:
                    acks.append((item.mid, item.qos))
            elif isinstance(item, Rejected):
                batch.dead_letters.append(item.dead_letter)
                self.dead += 1
                self.dead_by_reason[item.dead_letter.reason] += 1
                if item.qos:
                    acks.append((item.mid, item.qos))
            elif isinstance(item, _Tick):
                transitions += self.alarms.tick(item.now_ms)
                self._maybe_prune(item.now_ms)
            elif isinstance(item, _Call):
                try:
                    result = item.fn()
                    if isinstance(result, AlarmTransition):
                        transitions.append(result)
                    calls.append((item.future, result, None))
                except BaseException as exc:
                    calls.append((item.future, None, exc))
        transitions += self.alarms.evaluate(changes, now)
        if changes:
            for listener in self._change_listeners:
                try:
                    listener(changes)
                except Exception:
                    log.exception("change listener failed")
        self.state.notify(touched)
        batch.changes = changes
        batch.devices = {d: self.state.record(d) for d in touched}
        batch.alarm_transitions = transitions
        self.history.write(batch)
        self.batches += 1
        if self.bridge is not None:
            for mid, qos in acks:
                self.bridge.ack(mid, qos)
        if transitions:
            self.alarms.dispatch(transitions)
        for future, result, error in calls:
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

    def _apply(self, message: Any, received_ms: int, now: int, batch: Batch, changes: list[StateChange],
               touched: set[str], transitions: list[AlarmTransition]) -> None:
        if isinstance(message, StateUpdate):
            changes.append(self.state.apply_state(message, received_ms))
            touched.add(message.device)
            self.state_messages += 1
        elif isinstance(message, DeviceEvent):
            batch.events.append(message)
            self.events += 1
            transitions += self.alarms.handle_event(message, now)
        elif isinstance(message, DeviceStatus):
            if self.state.apply_status(message):
                batch.statuses.append(message)
            touched.add(message.device)
            transitions += self.alarms.handle_status(message, now)
        elif isinstance(message, DeviceAttributes):
            self.state.apply_attributes(message)
            touched.add(message.device)

    def _maybe_prune(self, now_ms: int) -> None:
        if self.retention_s is None or self.history is None:
            return
        if now_ms - self._last_prune_ms < 3600 * 1000:
            return
        self._last_prune_ms = now_ms
        deleted = self.history.prune(now_ms - int(self.retention_s * 1000))
        if any(deleted.values()):
            log.info("retention: deleted %s", deleted)
