"""Who may do what: API tokens and their roles.

A building's API is used by people with different jobs. A *viewer* reads (state, history,
buildings, results); an *engineer* also acknowledges alarms and sends commands to equipment; a
*supervisor*, *safety* officer or *planner* also runs scenarios; an *admin* also manages tokens.
Each role includes everything the roles below it may do.

A token is shown once, when it is made, and stored only as a salted hash. It reads
``twin_<id>_<secret>``: the id finds the stored hash, the secret is checked against it.

The secret is 256 random bits (``secrets.token_urlsafe(32)``), not a password a person chose, so
guessing it is hopeless however fast the hash: the hash is HMAC-SHA256 keyed by a per-token salt,
checked in microseconds on every route (a slow password hash such as scrypt protects
low-entropy secrets, and would cost each token's first request some 50 ms). Tokens stored by an
earlier version with scrypt still work; the first successful check re-stores them with HMAC.

Revocation takes effect at once, whoever revokes: the API, or ``twin token revoke`` in another
process on the same database. Revoking bumps a revocation counter (``token_revocations``) in the
same transaction; every check reads that counter first (one read of a one-row table, 8–20 µs)
and forgets every remembered token when it moved. Otherwise a verified token is remembered in
memory for ``token_cache_s``, so its hash is not checked again on every request. Open streams
are closed the same way (:mod:`api.hub`). The last admin token cannot be revoked: nobody could
manage tokens any more.

The database holds the hashes, so it is private to the server's user: ``api.sqlite`` and its
``-wal`` and ``-shm`` files are created mode 0600 in a data folder of mode 0700, whatever the
umask; looser modes found at start are tightened, with a log line.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from twin.private import private_database, private_dir

__all__ = ["ROLES", "Role", "role_rank", "Principal", "TokenInfo", "TokenStore", "hash_secret", "HMAC_SCHEME",
           "SCRYPT_SCHEME", "REVOCATION_READ_S", "LastAdminError"]


Role = Literal["viewer", "engineer", "supervisor", "safety", "planner", "admin"]
ROLES: tuple[str, ...] = ("viewer", "engineer", "supervisor", "safety", "planner", "admin")
_RANK = {"viewer": 0, "engineer": 1, "supervisor": 2, "safety": 2, "planner": 2, "admin": 3}

# Tokens stored before HMAC-SHA256 used scrypt with these costs (RFC 7914's interactive figures).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
HMAC_SCHEME, SCRYPT_SCHEME = "hmac-sha256", "scrypt"
REVOCATION_READ_S = 0.1
"""How often, at most, a token check reads the revocation counter another process may have moved:
a revocation from anywhere takes effect within this time (one made through this store, at once)."""


def role_rank(role: str) -> int:
    """Position of a role in viewer < engineer < supervisor/safety/planner < admin."""
    return _RANK[role]


def hash_secret(secret: str, salt: bytes, scheme: str = HMAC_SCHEME) -> bytes:
    """The stored hash of a token's secret: HMAC-SHA256 keyed by the salt (or legacy scrypt)."""
    if scheme == SCRYPT_SCHEME:
        return hashlib.scrypt(secret.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return hmac.new(salt, secret.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class Principal:
    """The holder of a verified token."""

    token_id: str
    name: str
    role: str

    def may(self, role: str) -> bool:
        return _RANK[self.role] >= _RANK[role]


@dataclass(frozen=True)
class TokenInfo:
    """A stored token, without its secret."""

    id: str
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None
    created_by: str | None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class LastAdminError(ValueError):
    """Revoking this token would leave no admin token: nobody could manage tokens any more."""


class TokenStore:
    """Tokens in the API's SQLite database, hashed; verification with a short in-memory cache."""

    def __init__(self, db_path: Path, *, cache_s: float = 30.0):
        private_dir(db_path.parent)
        private_database(db_path)
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute(
            """CREATE TABLE IF NOT EXISTS tokens (
                   id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
                   salt BLOB NOT NULL, hash BLOB NOT NULL, created_at TEXT NOT NULL,
                   revoked_at TEXT, created_by TEXT)""")
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(tokens)")}
        if "scheme" not in columns:  # a store made before HMAC: its hashes are scrypt
            self._db.execute(f"ALTER TABLE tokens ADD COLUMN scheme TEXT NOT NULL DEFAULT '{SCRYPT_SCHEME}'")
        # One row, bumped by every revocation in the revoking transaction; read before each check.
        self._db.execute("CREATE TABLE IF NOT EXISTS token_revocations ("
                         "id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL)")
        self._db.execute("INSERT OR IGNORE INTO token_revocations (id, generation) VALUES (1, 0)")
        self._lock = threading.Lock()
        self._cache: dict[bytes, tuple[Principal, float]] = {}
        self._cache_s = cache_s
        self._cache_generation = self.generation()
        self._next_generation_read = 0.0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- making and listing ------------------------------------------------------------------

    def create(self, role: str, name: str = "", created_by: str | None = None) -> tuple[TokenInfo, str]:
        """Make a token; returns its stored description and the token text (shown once)."""
        if role not in _RANK:
            raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        digest = hash_secret(secret, salt)
        created = _now()
        with self._lock:
            self._db.execute("INSERT INTO tokens (id, name, role, salt, hash, created_at, created_by, scheme) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             (token_id, name or role, role, salt, digest, created.isoformat(), created_by,
                              HMAC_SCHEME))
        info = TokenInfo(token_id, name or role, role, created, None, created_by)
        return info, f"twin_{token_id}_{secret}"

    def list(self, include_revoked: bool = True) -> list[TokenInfo]:
        with self._lock:
            rows = self._db.execute("SELECT id, name, role, created_at, revoked_at, created_by FROM tokens "
                                    "ORDER BY created_at").fetchall()
        infos = [TokenInfo(r[0], r[1], r[2], _ts(r[3]), _ts(r[4]), r[5]) for r in rows]  # type: ignore[arg-type]
        return [t for t in infos if include_revoked or t.revoked_at is None]

    def get(self, token_id: str) -> TokenInfo | None:
        return next((t for t in self.list() if t.id == token_id), None)

    def revoke(self, token_id: str) -> TokenInfo | None:
        """Revoke a token (idempotent); None when there is no such token.

        Bumps the revocation counter in the same transaction, so every server on this database
        stops the token at its next check. Raises :class:`LastAdminError` for the last admin token."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")  # the last-admin check and the update see one state
            try:
                row = self._db.execute("SELECT role, revoked_at FROM tokens WHERE id = ?", (token_id,)).fetchone()
                if row is not None and row[1] is None:
                    admins = self._db.execute("SELECT count(*) FROM tokens "
                                              "WHERE role = 'admin' AND revoked_at IS NULL").fetchone()[0]
                    if row[0] == "admin" and admins <= 1:
                        raise LastAdminError(f"token {token_id} is the last admin token; make another admin token "
                                             "first (twin token create --role admin), then revoke this one")
                    self._db.execute("UPDATE tokens SET revoked_at = ? WHERE id = ?", (_now().isoformat(), token_id))
                    self._db.execute("UPDATE token_revocations SET generation = generation + 1 WHERE id = 1")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._cache.clear()
            self._next_generation_read = 0.0  # the next check reads the moved counter
        return self.get(token_id)

    def generation(self) -> int:
        """The revocation counter: it moves whenever any process revokes a token in this database."""
        with self._lock:
            return self._db.execute("SELECT generation FROM token_revocations WHERE id = 1").fetchone()[0]

    def is_active(self, token_id: str) -> bool:
        """Whether the token exists and is not revoked (read from the database, not the cache)."""
        with self._lock:
            row = self._db.execute("SELECT revoked_at FROM tokens WHERE id = ?", (token_id,)).fetchone()
        return row is not None and row[0] is None

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM tokens").fetchone()[0]

    def ensure_admin(self) -> str | None:
        """At first start (no token at all) make an admin token and return its text; else None."""
        if self.count():
            return None
        return self.create("admin", "first admin", created_by="first start")[1]

    # --- checking ----------------------------------------------------------------------------

    def verify(self, token: str) -> Principal | None:
        """The principal a token stands for, or None for an unknown, malformed or revoked token."""
        key = hashlib.sha256(token.encode("utf-8", "replace")).digest()
        now = time.monotonic()
        if now >= self._next_generation_read:
            # A revocation anywhere empties the cache before it is used again. Read at most every
            # REVOCATION_READ_S: under saturation the read was a tenth of the event loop's time.
            self._next_generation_read = now + REVOCATION_READ_S
            current = self.generation()
            if current != self._cache_generation:
                with self._lock:
                    self._cache.clear()
                    self._cache_generation = current
        generation = self._cache_generation
        cached = self._cache.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != "twin" or not parts[1] or not parts[2] or len(token) > 200:
            return None
        with self._lock:
            row = self._db.execute("SELECT name, role, salt, hash, revoked_at, scheme FROM tokens WHERE id = ?",
                                   (parts[1],)).fetchone()
        if row is None or row[4] is not None:
            return None
        if not hmac.compare_digest(hash_secret(parts[2], row[2], row[5]), row[3]):
            return None
        if row[5] != HMAC_SCHEME:
            with self._lock:
                self._db.execute("UPDATE tokens SET hash = ?, scheme = ? WHERE id = ?",
                                 (hash_secret(parts[2], row[2]), HMAC_SCHEME, parts[1]))
        principal = Principal(parts[1], row[0], row[1])
        if self._cache_s > 0:
            with self._lock:
                if generation != self._cache_generation:  # revoked meanwhile: not remembered
                    return principal
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[key] = (principal, now + self._cache_s)
        return principal
