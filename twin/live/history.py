"""The twin's memory: every state change, event, alarm and rejected message, in SQLite.

SQLite in WAL mode is the embedded default — one file, no server, readers never block the one
writer. The live service writes from a single ingest thread, one transaction per batch of
messages, so a crash loses at most the batch in flight (and QoS 1 messages of that batch are
acknowledged to the broker only after it is committed, so the broker sends them again).

Tables:

``samples``       one row per point value received: (device, point, device time) → value; the
                  newest-wins rule applies only to the current state, history keeps every
                  arrival, late ones included. Booleans are stored as 0/1.
``devices``       each device's current record, so a restarted twin comes back as it was.
``events``        device events, status changes and command acknowledgements, de-duplicated.
``dead_letters``  every rejected message: topic, first KiB of payload, size, reason, detail.
``alarms``        the open alarms; ``alarm_log`` every transition of every alarm.

Queries: a point's time series over a range, down-sampled to buckets (mean, min, max, count;
the last value for text points); the building's state at a past time; events, alarms and dead
letters; and retention, which deletes what is older than a horizon but keeps current state.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.live.alarms import Alarm, AlarmTransition
from twin.live.payloads import DeadLetter, DeviceEvent, DeviceStatus
from twin.live.state import StateChange
from twin.live.values import Scalar, thaw

__all__ = ["History", "Batch", "SeriesPoint", "HistoryError"]

SCHEMA_VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS samples (
    device TEXT NOT NULL, point TEXT NOT NULL, ts_ms INTEGER NOT NULL, value, received_ms INTEGER NOT NULL,
    seq INTEGER, PRIMARY KEY (device, point, ts_ms)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS devices (device TEXT PRIMARY KEY, record TEXT NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, device TEXT NOT NULL, type TEXT NOT NULL,
    severity TEXT NOT NULL, active INTEGER NOT NULL, zone TEXT, ts_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL,
    message TEXT, data TEXT);
CREATE INDEX IF NOT EXISTS events_ts ON events (ts_ms);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY, received_ms INTEGER NOT NULL, topic TEXT NOT NULL, payload BLOB, size INTEGER NOT NULL,
    reason TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS dead_letters_received ON dead_letters (received_ms);
CREATE TABLE IF NOT EXISTS alarms (id TEXT PRIMARY KEY, record TEXT NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS alarm_log (
    id INTEGER PRIMARY KEY, alarm_id TEXT NOT NULL, transition TEXT NOT NULL, at_ms INTEGER NOT NULL, by TEXT,
    device TEXT NOT NULL, severity TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alarm_log_at ON alarm_log (at_ms);
"""


class HistoryError(RuntimeError):
    """The history file cannot be used (another building's, a newer schema, not a database)."""


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One point of a time series: a raw sample (count 1) or a bucket's aggregate."""

    ts_ms: int
    value: Scalar
    min: Scalar
    max: Scalar
    count: int


@dataclass
class Batch:
    """What one ingest cycle writes, in one transaction."""

    changes: list[StateChange] = field(default_factory=list)
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: list[DeviceEvent] = field(default_factory=list)
    statuses: list[DeviceStatus] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    alarm_transitions: list[AlarmTransition] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changes or self.devices or self.events or self.statuses or self.dead_letters
                    or self.alarm_transitions)


def _db_value(value: Scalar) -> Any:
    return int(value) if isinstance(value, bool) else value


class History:
    """The SQLite history of one building's twin. Writes from one thread; reads from any."""

    def __init__(self, path: str | Path, *, building_id: str):
        self.path = Path(path)
        self.building_id = building_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.Lock()
        self._local = threading.local()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"{self.path}: cannot be used as the twin's history: {exc}") from None
        self._check_meta()
        self.closed = False

    def _check_meta(self) -> None:
        meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if not meta:
            self._db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                                 [("building_id", self.building_id), ("schema_version", SCHEMA_VERSION)])
            return
        if meta.get("building_id") != self.building_id:
            raise HistoryError(f"{self.path} holds the history of building {meta.get('building_id')!r}, "
                               f"not {self.building_id!r}; use another --db file")
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise HistoryError(f"{self.path} has history schema {meta.get('schema_version')!r}; "
                               f"this twin reads {SCHEMA_VERSION!r}")

    # --- writing -----------------------------------------------------------------------------

    def write(self, batch: Batch) -> None:
        """Write one batch in one transaction."""
        if not batch:
            return
        samples = [(c.device, point, c.ts_ms, _db_value(v), c.received_ms, c.seq)
                   for c in batch.changes for point, v in c.values.items()]
        devices = [(ident, json.dumps(rec, separators=(",", ":")), rec.get("last_seen") or 0)
                   for ident, rec in batch.devices.items()]
        events = [(e.key, e.device, e.type, e.severity, int(e.active), e.zone, e.ts_ms, e.ts_ms, e.message,
                   json.dumps(thaw(e.data), separators=(",", ":")) if e.data else None) for e in batch.events]
        events += [(f"status:{s.device}:{s.ts_ms}:{int(s.online)}", s.device, "online" if s.online else "offline",
                    "info", int(s.online), None, s.ts_ms, s.ts_ms, None, None) for s in batch.statuses]
        dead = [(d.received_ms, d.topic, d.payload, d.size, d.reason, d.detail) for d in batch.dead_letters]
        with self._write_lock:
            db = self._db
            db.execute("BEGIN")
            try:
                if samples:
                    db.executemany("INSERT OR IGNORE INTO samples (device, point, ts_ms, value, received_ms, seq) "
                                   "VALUES (?, ?, ?, ?, ?, ?)", samples)
                if devices:
                    db.executemany("INSERT INTO devices (device, record, updated_ms) VALUES (?, ?, ?) "
                                   "ON CONFLICT (device) DO UPDATE SET record = excluded.record, "
                                   "updated_ms = excluded.updated_ms", devices)
                if events:
                    db.executemany("INSERT OR IGNORE INTO events (key, device, type, severity, active, zone, ts_ms, "
                                   "received_ms, message, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", events)
                if dead:
                    db.executemany("INSERT INTO dead_letters (received_ms, topic, payload, size, reason, detail) "
                                   "VALUES (?, ?, ?, ?, ?, ?)", dead)
                for t in batch.alarm_transitions:
                    record = json.dumps(t.alarm.to_dict(), separators=(",", ":"))
                    db.execute("INSERT INTO alarm_log (alarm_id, transition, at_ms, by, device, severity, record) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (t.alarm.id, t.transition, t.at_ms, t.by, t.alarm.device, t.alarm.severity, record))
                    if t.alarm.is_open:
                        db.execute("INSERT INTO alarms (id, record, updated_ms) VALUES (?, ?, ?) ON CONFLICT (id) "
                                   "DO UPDATE SET record = excluded.record, updated_ms = excluded.updated_ms",
                                   (t.alarm.id, record, t.at_ms))
                    else:
                        db.execute("DELETE FROM alarms WHERE id = ?", (t.alarm.id,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def prune(self, older_than_ms: int) -> dict[str, int]:
        """Retention: delete samples, events, dead letters and alarm log older than a time.

        Current device records and open alarms are kept, so state survives any retention.
        """
        deleted: dict[str, int] = {}
        with self._write_lock:
            db = self._db
            pairs = self._point_pairs(db)
            db.execute("BEGIN")
            try:
                n = 0
                for device, point in pairs:
                    n += db.execute("DELETE FROM samples WHERE device = ? AND point = ? AND ts_ms < ?",
                                    (device, point, older_than_ms)).rowcount
                deleted["samples"] = n
                deleted["events"] = db.execute("DELETE FROM events WHERE ts_ms < ?", (older_than_ms,)).rowcount
                deleted["dead_letters"] = db.execute("DELETE FROM dead_letters WHERE received_ms < ?",
                                                     (older_than_ms,)).rowcount
                deleted["alarm_log"] = db.execute("DELETE FROM alarm_log WHERE at_ms < ?", (older_than_ms,)).rowcount
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return deleted

    def close(self) -> None:
        if self.closed:
            return
        with self._write_lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
            self._db.close()
            self.closed = True
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- reading -----------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30)
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
        return conn

    @staticmethod
    def _point_pairs(db: sqlite3.Connection) -> list[tuple[str, str]]:
        pairs = []
        for device, record in db.execute("SELECT device, record FROM devices"):
            for point in json.loads(record).get("point_ts", {}):
                pairs.append((device, point))
        return pairs

    def load_devices(self) -> dict[str, dict[str, Any]]:
        """Each device's record as last written (what a restarted twin restores)."""
        return {d: json.loads(r) for d, r in self._reader().execute("SELECT device, record FROM devices")}

    def load_open_alarms(self) -> list[Alarm]:
        return [Alarm.from_dict(json.loads(r)) for (r,) in self._reader().execute("SELECT record FROM alarms")]

    def series(self, device: str, point: str, start_ms: int, end_ms: int, *, max_points: int | None = None,
               bucket_s: float | None = None) -> list[SeriesPoint]:
        """A point's values with ``start_ms <= ts < end_ms``, raw or down-sampled.

        Down-sampling happens when ``bucket_s`` is given, or when there are more than
        ``max_points`` samples: buckets of equal width from ``start_ms``, each reported at its
        start time with mean, min, max and count (the last value for text points).
        """
        db = self._reader()
        where = "device = ? AND point = ? AND ts_ms >= ? AND ts_ms < ?"
        args = (device, point, start_ms, end_ms)
        if bucket_s is None:
            if max_points is not None:
                if max_points < 1:
                    raise ValueError("max_points must be at least 1")
                (count,) = db.execute(f"SELECT COUNT(*) FROM samples WHERE {where}", args).fetchone()
            if max_points is None or count <= max_points:
                return [SeriesPoint(ts, v, v, v, 1) for ts, v in
                        db.execute(f"SELECT ts_ms, value FROM samples WHERE {where} ORDER BY ts_ms", args)]
            bucket_ms = max(1, math.ceil((end_ms - start_ms) / max_points))
        else:
            if bucket_s <= 0:
                raise ValueError("bucket_s must be positive")
            bucket_ms = max(1, int(bucket_s * 1000))
        (texts,) = db.execute(f"SELECT COUNT(*) FROM samples WHERE {where} AND typeof(value) = 'text'",
                              args).fetchone()
        if texts:
            # One MAX() aggregate: SQLite takes the bare column 'value' from that row, the bucket's last.
            rows = db.execute(f"SELECT (ts_ms - ?) / ? AS k, value, MAX(ts_ms), COUNT(*) FROM samples "
                              f"WHERE {where} GROUP BY k ORDER BY k", (start_ms, bucket_ms, *args))
            return [SeriesPoint(start_ms + k * bucket_ms, v, None, None, n) for k, v, _, n in rows]
        rows = db.execute(f"SELECT (ts_ms - ?) / ? AS k, AVG(value), MIN(value), MAX(value), COUNT(*) "
                          f"FROM samples WHERE {where} AND value IS NOT NULL GROUP BY k ORDER BY k",
                          (start_ms, bucket_ms, *args))
        return [SeriesPoint(start_ms + k * bucket_ms, mean, lo, hi, n) for k, mean, lo, hi, n in rows]

    def state_at(self, ts_ms: int, devices: Iterable[str] | None = None) -> dict[str, dict[str, Scalar]]:
        """The building's point values as they stood at ``ts_ms`` (the newest sample not after it)."""
        db = self._reader()
        wanted = set(devices) if devices is not None else None
        out: dict[str, dict[str, Scalar]] = {}
        for device, point in self._point_pairs(db):
            if wanted is not None and device not in wanted:
                continue
            row = db.execute("SELECT value FROM samples WHERE device = ? AND point = ? AND ts_ms <= ? "
                             "ORDER BY ts_ms DESC LIMIT 1", (device, point, ts_ms)).fetchone()
            if row is not None:
                out.setdefault(device, {})[point] = row[0]
        return out

    def latest_samples(self) -> dict[str, dict[str, tuple[int, Scalar]]]:
        """The newest sample of every point: device → point → (ts_ms, value)."""
        db = self._reader()
        out: dict[str, dict[str, tuple[int, Scalar]]] = {}
        for device, point in self._point_pairs(db):
            row = db.execute("SELECT ts_ms, value FROM samples WHERE device = ? AND point = ? "
                             "ORDER BY ts_ms DESC LIMIT 1", (device, point)).fetchone()
            if row is not None:
                out.setdefault(device, {})[point] = (row[0], row[1])
        return out

    def events(self, *, start_ms: int | None = None, end_ms: int | None = None, device: str | None = None,
               type: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        clauses, args = [], []
        for clause, value in (("ts_ms >= ?", start_ms), ("ts_ms < ?", end_ms), ("device = ?", device),
                              ("type = ?", type)):
            if value is not None:
                clauses.append(clause)
                args.append(value)
        sql = ("SELECT device, type, severity, active, zone, ts_ms, message, data FROM events"
               + (" WHERE " + " AND ".join(clauses) if clauses else "") + " ORDER BY ts_ms, id LIMIT ?")
        return [{"device": d, "type": t, "severity": s, "active": bool(a), "zone": z, "ts_ms": ts, "message": m,
                 "data": json.loads(data) if data else {}}
                for d, t, s, a, z, ts, m, data in self._reader().execute(sql, (*args, limit))]

    def dead_letters(self, *, reason: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        sql = "SELECT received_ms, topic, payload, size, reason, detail FROM dead_letters"
        args: tuple = ()
        if reason is not None:
            sql += " WHERE reason = ?"
            args = (reason,)
        rows = self._reader().execute(sql + " ORDER BY id DESC LIMIT ?", (*args, limit))
        return [{"received_ms": r, "topic": t, "payload": p, "size": s, "reason": why, "detail": d}
                for r, t, p, s, why, d in rows]

    def dead_letter_counts(self) -> dict[str, int]:
        return dict(self._reader().execute("SELECT reason, COUNT(*) FROM dead_letters GROUP BY reason"))

    def alarm_log(self, *, alarm_id: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        sql = "SELECT alarm_id, transition, at_ms, by, record FROM alarm_log"
        args: tuple = ()
        if alarm_id is not None:
            sql += " WHERE alarm_id = ?"
            args = (alarm_id,)
        rows = self._reader().execute(sql + " ORDER BY id LIMIT ?", (*args, limit))
        return [{"alarm_id": a, "transition": t, "at_ms": at, "by": by, "alarm": json.loads(rec)}
                for a, t, at, by, rec in rows]

    def counts(self) -> dict[str, int]:
        db = self._reader()
        return {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("samples", "devices", "events", "dead_letters", "alarms", "alarm_log")}

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

