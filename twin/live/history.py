"""The twin's memory: every state change, event, alarm and rejected message, in SQLite.

SQLite in WAL mode is the embedded default — one file, no server, readers never block the one
writer. The live service writes from a single ingest thread, one transaction per batch of
messages, so a crash loses at most the batch in flight (and QoS 1 messages of that batch are
acknowledged to the broker only after it is committed, so the broker sends them again). Commits
do not wait for the disk: a thread of the history checkpoints the log into the database file.

Tables:

``states``        one row per state message received: device, device time, sequence number and
                  the message as the device sent it (JSON, its points under ``values``). The
                  newest-wins rule applies only to the current state; history keeps every
                  arrival, late ones included (a redelivered copy — same device, time and
                  document — is kept once). One row per message rather than per point keeps
                  ingest fast; SQLite's JSON functions read the points back.
``devices``       each device's current record, so a restarted twin comes back as it was.
``events``        device events, status changes and command acknowledgements, de-duplicated.
``dead_letters``  every rejected message: topic, first KiB of payload, size, reason, detail.
``alarms``        the open alarms; ``alarm_log`` every transition of every alarm.

The file holds what the building's devices said and which alarms were raised: it is created
readable by its owner only (0600), and so are its ``-wal`` and ``-shm`` files, which SQLite
makes with the database file's permissions.

Queries: a point's time series over a range, down-sampled to buckets (mean, min, max, count;
the last value for text points); the building's state at a past time; events, alarms and dead
letters; and retention, which deletes what is older than a horizon but keeps current state.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import sqlite3
import threading
import zlib
from itertools import chain
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.live.alarms import Alarm, AlarmTransition
from twin.live.payloads import DeadLetter, DeviceEvent, DeviceStatus
from twin.live.state import StateChange
from twin.live.values import Scalar, thaw
from twin.private import private_database

__all__ = ["History", "Batch", "SeriesPoint", "HistoryError", "migrate_history"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"
CHECKPOINT_INTERVAL_S = 1.0
BACKSTOP_CHECKPOINT_PAGES = 10_000
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS states (
    device TEXT NOT NULL, ts_ms INTEGER NOT NULL, received_ms INTEGER NOT NULL, seq INTEGER,
    digest INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS states_device_time ON states (device, ts_ms, digest);
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


_DUMPS = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
try:
    from orjson import dumps as _fast_dumps
except ImportError:  # pragma: no cover - orjson is a dependency; the standard library does the same, slower
    _fast_dumps = None


def _finite(value: Any) -> bool:
    """No NaN or infinity anywhere in JSON-like data."""
    if type(value) is float:
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    return True


def _record_json(record: dict[str, Any]) -> str:
    """A device record as JSON text, written with every batch (so: fast).

    orjson writes it unless it cannot say it as the standard library would: an integer beyond
    64 bits (orjson refuses) or a non-finite float, which only a device's attributes can hold
    (values are checked finite) and which orjson would write as ``null``.
    """
    if _fast_dumps is not None and _finite(record.get("attributes")):
        try:
            return _fast_dumps(record).decode()
        except TypeError:  # orjson.JSONEncodeError
            pass
    return json.dumps(record, separators=(",", ":"))


def _path(point: str) -> str:
    """The SQLite JSON path of a point (quoted: point names may contain dots)."""
    return '$.values."' + point.replace('"', "") + '"'


_ROWS_PER_STATEMENT = 1024
_STATEMENTS: dict[tuple[str, int, int, str], str] = {}


def _insert_rows(db: sqlite3.Connection, head: str, rows: list[tuple], tail: str = "",
                 max_rows: int = _ROWS_PER_STATEMENT) -> None:
    """Insert ``rows`` with multi-row ``VALUES`` statements rather than ``executemany``.

    ``executemany`` steps SQLite once per row, and Python's sqlite3 lets go of the GIL around
    every step; while paho's network thread is busy, taking it back costs far more than the
    insert itself (a convoy: tens of microseconds a row instead of three). Here a statement
    takes up to ``max_rows`` rows and steps once. So that a handful of statements (1, 2, 4, …
    rows) serve every batch, a short chunk is made up to the next power of two by repeating its
    last row — which changes nothing, because both statements that use this are idempotent
    (``INSERT OR IGNORE`` on a unique key, and an upsert of the same record). Rows go in the
    same order as with ``executemany``, so ``OR IGNORE`` and ``ON CONFLICT`` behave the same.
    """
    width = len(rows[0])
    for start in range(0, len(rows), max_rows):
        chunk = rows[start:start + max_rows]
        size = 1 << (len(chunk) - 1).bit_length()
        chunk += [chunk[-1]] * (size - len(chunk))
        key = (head, width, size, tail)
        sql = _STATEMENTS.get(key)
        if sql is None:  # kept, so that sqlite3's statement cache finds it without hashing it again
            group = "(" + ",".join("?" * width) + ")"
            sql = _STATEMENTS.setdefault(key, head + ",".join([group] * size) + tail)
        db.execute(sql, list(chain.from_iterable(chunk)))


def _history_building(path: Path) -> str | None:
    """The building id a history file is of, or None if it is not a twin history."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'building_id'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def migrate_history(old: str | Path, new: str | Path, *, building_id: str) -> bool:
    """Move a history kept where an older twin kept it (``results/twin.db``) to ``new``, once.

    Only when ``new`` does not exist yet and ``old`` is the history of ``building_id``. The copy
    is made with SQLite's backup (the write-ahead log included, whatever state it is in), with
    mode 0600; the old file is then renamed ``….migrated`` (kept, not deleted). Returns whether
    it moved.
    """
    old, new = Path(old), Path(new)
    if new.exists() or not old.is_file() or old.resolve() == new.resolve():
        return False
    if _history_building(old) != building_id:
        return False
    new.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    part = new.with_name(new.name + ".migrating")
    part.unlink(missing_ok=True)
    private_database(part)
    src = sqlite3.connect(old, timeout=30)
    dst = sqlite3.connect(part, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    os.replace(part, new)
    private_database(new)
    moved = old.with_name(old.name + ".migrated")
    for suffix in ("", "-wal", "-shm"):  # the log goes with its database (a clean close removed it)
        if old.with_name(old.name + suffix).exists():
            shutil.move(str(old.with_name(old.name + suffix)), str(moved.with_name(moved.name + suffix)))
    return True


class History:
    """The SQLite history of one building's twin. Writes from one thread; reads from any."""

    def __init__(self, path: str | Path, *, building_id: str):
        self.path = Path(path)
        self.building_id = building_id
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._write_lock = threading.Lock()
        self._local = threading.local()
        try:
            private_database(self.path)  # before SQLite makes it, or its -wal and -shm, world-readable
        except OSError as exc:
            raise HistoryError(f"{self.path}: cannot be used as the twin's history: {exc}") from None
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"{self.path}: cannot be used as the twin's history: {exc}") from None
        private_database(self.path)
        self._check_meta()
        self._variable_limit = self._db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        # Checkpoints run on a thread of their own (see _checkpointing); the writer checkpoints
        # only if that thread falls far behind (10,000 pages of log, some 40 MB).
        self._db.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_CHECKPOINT_PAGES}")
        self._stop_checkpoints = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpointing, name="twin-history-checkpoint",
                                              daemon=True)
        self._checkpointer.start()
        self.closed = False

    def _checkpointing(self) -> None:
        """Copy the write-ahead log into the database file every second, off the writer's thread.

        A checkpoint ends with an fsync, which on a busy disk takes hundreds of milliseconds.
        Left to SQLite, it runs inside whichever commit takes the log past 1,000 pages — the
        ingest thread's — and every message waits behind it. A passive checkpoint on another
        connection does not hold up the writer, and commits themselves never fsync
        (``synchronous=NORMAL`` in WAL mode). The log is only rewound from its start by a
        writer that finds it fully copied, which a steady stream of commits rarely allows, so
        it grows to the backstop (``BACKSTOP_CHECKPOINT_PAGES``), where the writer checkpoints
        what little is left and starts it over: one short wait every 40 MB of log, not a long
        one every 4 MB.
        """
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            conn.execute("PRAGMA synchronous=NORMAL")
            while not self._stop_checkpoints.wait(CHECKPOINT_INTERVAL_S):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    log.warning("checkpoint of %s failed; the writer will checkpoint itself", self.path,
                                exc_info=True)
        finally:
            conn.close()

    def _max_rows(self, width: int) -> int:
        """Rows of ``width`` values that one statement may take: a power of two, at most 1024."""
        fitting = max(1, min(_ROWS_PER_STATEMENT, self._variable_limit // width))
        return 1 << (fitting.bit_length() - 1)

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
        dumps, crc = _DUMPS, zlib.crc32
        states = []
        for c in batch.changes:
            doc = c.raw if c.raw is not None else dumps({"ts": c.ts_ms, "seq": c.seq, "values": c.values})
            states.append((c.device, c.ts_ms, c.received_ms, c.seq, crc(doc.encode()), doc))
        devices = [(ident, _record_json(rec), rec.get("last_seen") or 0) for ident, rec in batch.devices.items()]
        events = [(e.key, e.device, e.type, e.severity, int(e.active), e.zone, e.ts_ms, e.ts_ms, e.message,
                   json.dumps(thaw(e.data), separators=(",", ":")) if e.data else None) for e in batch.events]
        events += [(f"status:{s.device}:{s.ts_ms}:{int(s.online)}", s.device, "online" if s.online else "offline",
                    "info", int(s.online), None, s.ts_ms, s.ts_ms, None, None) for s in batch.statuses]
        dead = [(d.received_ms, d.topic, d.payload, d.size, d.reason, d.detail) for d in batch.dead_letters]
        with self._write_lock:
            db = self._db
            db.execute("BEGIN")
            try:
                if states:
                    _insert_rows(db, "INSERT OR IGNORE INTO states (device, ts_ms, received_ms, seq, digest, doc) "
                                     "VALUES ", states, max_rows=self._max_rows(6))
                if devices:
                    _insert_rows(db, "INSERT INTO devices (device, record, updated_ms) VALUES ", devices,
                                 " ON CONFLICT (device) DO UPDATE SET record = excluded.record, "
                                 "updated_ms = excluded.updated_ms", max_rows=self._max_rows(3))
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
        """Retention: delete state history, events, dead letters and alarm log older than a time.

        Current device records and open alarms are kept, so state survives any retention.
        """
        deleted: dict[str, int] = {}
        with self._write_lock:
            db = self._db
            db.execute("BEGIN")
            try:
                # One statement (the index on device and time serves each device in turn), not one
                # per device: every statement hands the GIL to paho's thread and waits to get it back.
                deleted["states"] = db.execute("DELETE FROM states WHERE device IN (SELECT device FROM devices) "
                                               "AND ts_ms < ?", (older_than_ms,)).rowcount
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
        self._stop_checkpoints.set()
        self._checkpointer.join()
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
        start time with mean, min, max and count (the last value for text points). Booleans
        come back as 0/1, so a bucket's mean is the share of the time a flag was on.
        """
        db = self._reader()
        path = _path(point)
        where = "device = ? AND ts_ms >= ? AND ts_ms < ? AND json_type(doc, ?) IS NOT NULL"
        args = (device, start_ms, end_ms, path)
        if bucket_s is None:
            if max_points is not None:
                if max_points < 1:
                    raise ValueError("max_points must be at least 1")
                (count,) = db.execute(f"SELECT COUNT(*) FROM states WHERE {where}", args).fetchone()
            if max_points is None or count <= max_points:
                rows = db.execute(f"SELECT ts_ms, json_extract(doc, ?) FROM states WHERE {where} ORDER BY ts_ms",
                                  (path, *args))
                return [SeriesPoint(ts, v, v, v, 1) for ts, v in rows]
            bucket_ms = max(1, math.ceil((end_ms - start_ms) / max_points))
        else:
            if bucket_s <= 0:
                raise ValueError("bucket_s must be positive")
            bucket_ms = max(1, int(bucket_s * 1000))
        (texts,) = db.execute(f"SELECT COUNT(*) FROM states WHERE {where} AND json_type(doc, ?) = 'text'",
                              (*args, path)).fetchone()
        if texts:
            # One MAX() aggregate: SQLite takes the bare column 'v' from that row, the bucket's last.
            rows = db.execute(f"SELECT (ts_ms - ?) / ? AS k, json_extract(doc, ?) AS v, MAX(ts_ms), COUNT(*) "
                              f"FROM states WHERE {where} GROUP BY k ORDER BY k", (start_ms, bucket_ms, path, *args))
            return [SeriesPoint(start_ms + k * bucket_ms, v, None, None, n) for k, v, _, n in rows]
        rows = db.execute(f"SELECT k, AVG(v), MIN(v), MAX(v), COUNT(v) FROM (SELECT (ts_ms - ?) / ? AS k, "
                          f"json_extract(doc, ?) AS v FROM states WHERE {where}) GROUP BY k ORDER BY k",
                          (start_ms, bucket_ms, path, *args))
        return [SeriesPoint(start_ms + k * bucket_ms, mean, lo, hi, n) for k, mean, lo, hi, n in rows if n]

    def _newest(self, db: sqlite3.Connection, device: str, points: Iterable[str], ts_ms: int | None
                ) -> dict[str, tuple[int, Scalar]]:
        """Each point's newest (ts, value) at or before ``ts_ms``, walking the device's history back."""
        wanted = set(points)
        found: dict[str, tuple[int, Scalar]] = {}
        sql = "SELECT ts_ms, rowid, doc FROM states WHERE device = ?" \
            + (" AND ts_ms <= ?" if ts_ms is not None else "") + " ORDER BY ts_ms DESC"
        cursor = db.execute(sql, (device, ts_ms) if ts_ms is not None else (device,))
        rows: list = []
        while wanted:
            more = cursor.fetchmany(256)
            rows += more
            # Rows of one device time are taken last-received first (as the state took them); hold
            # back the oldest time of this chunk until the next chunk shows whether it goes on.
            if more:
                last_ts = rows[-1][0]
                ready = [r for r in rows if r[0] != last_ts]
                rows = [r for r in rows if r[0] == last_ts]
            else:
                ready, rows = rows, []
            ready.sort(key=lambda r: (-r[0], -r[1]))
            for ts, _, doc in ready:
                for point, value in json.loads(doc)["values"].items():
                    if point in wanted:
                        found[point] = (ts, value)
                        wanted.discard(point)
            if not more:
                break
        return found

    def state_at(self, ts_ms: int, devices: Iterable[str] | None = None) -> dict[str, dict[str, Scalar]]:
        """The building's point values as they stood at ``ts_ms`` (the newest sample not after it)."""
        db = self._reader()
        wanted = set(devices) if devices is not None else None
        out: dict[str, dict[str, Scalar]] = {}
        for device, record in db.execute("SELECT device, record FROM devices").fetchall():
            if wanted is not None and device not in wanted:
                continue
            newest = self._newest(db, device, json.loads(record).get("point_ts", {}), ts_ms)
            if newest:
                out[device] = {p: v for p, (_, v) in newest.items()}
        return out

    def latest_samples(self) -> dict[str, dict[str, tuple[int, Scalar]]]:
        """The newest sample of every point: device → point → (ts_ms, value)."""
        db = self._reader()
        out: dict[str, dict[str, tuple[int, Scalar]]] = {}
        for device, record in db.execute("SELECT device, record FROM devices").fetchall():
            newest = self._newest(db, device, json.loads(record).get("point_ts", {}), None)
            if newest:
                out[device] = newest
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

    def alarm_transitions(self, *, start_ms: int | None = None, end_ms: int | None = None,
                          systems: Iterable[str] | None = None, floors: Iterable[str] | None = None,
                          severities: Iterable[str] | None = None, devices: Iterable[str] | None = None,
                          transitions: Iterable[str] | None = None, limit: int = 1000, offset: int = 0,
                          newest_first: bool = True) -> tuple[list[dict[str, Any]], int]:
        """Alarm transitions with ``start_ms <= at < end_ms``, filtered, one page, and how many match.

        The alarm history an engineer reads: every raised, cleared and acknowledged step (the
        acknowledgement's record carries its note), newest first by default. System and floor
        are read from each transition's alarm record.
        """
        clauses, args = [], []
        for clause, value in (("at_ms >= ?", start_ms), ("at_ms < ?", end_ms)):
            if value is not None:
                clauses.append(clause)
                args.append(value)
        for column, values in (("json_extract(record, '$.system')", systems),
                               ("json_extract(record, '$.floor')", floors), ("severity", severities),
                               ("device", devices), ("transition", transitions)):
            if values is not None:
                values = list(values)
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})" if values else "0")
                args += values
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        db = self._reader()
        (total,) = db.execute(f"SELECT COUNT(*) FROM alarm_log{where}", args).fetchone()
        order = "DESC" if newest_first else "ASC"
        rows = db.execute(f"SELECT alarm_id, transition, at_ms, by, record FROM alarm_log{where} "
                          f"ORDER BY at_ms {order}, id {order} LIMIT ? OFFSET ?", (*args, limit, offset))
        return ([{"alarm_id": a, "transition": t, "at_ms": at, "by": by, "alarm": json.loads(rec)}
                 for a, t, at, by, rec in rows], total)

    def counts(self) -> dict[str, int]:
        db = self._reader()
        return {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                for table in ("states", "devices", "events", "dead_letters", "alarms", "alarm_log")}

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

