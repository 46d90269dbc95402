"""What keeps requests fast under load, checked for behaviour (never for wall-clock time).

* A token is stored as an HMAC-SHA256 of its 256-bit secret, cheap enough to check on the event
  loop on every route (stores written with scrypt are upgraded on first use).
* The building's state is written with orjson, a non-finite number as null as everywhere in the
  API, and what orjson refuses goes to the standard library.
* The start-up heap is frozen out of the garbage collector's sight (``gc.freeze``), so a full
  collection does not walk the 400,000 objects of the imports while requests wait.
"""

from __future__ import annotations

import asyncio
import gc
import json

import pytest

from api.auth import TokenStore
from api.deps import ApiError, authenticate
from api.routers.twin import _json_bytes


def test_tokens_are_hmac_hashed_and_legacy_scrypt_tokens_are_upgraded(tmp_path):
    """A token's secret is 256 random bits: stored as HMAC-SHA256 (checked in microseconds on the
    event loop). A store written with scrypt hashes keeps working, each token re-stored on first use."""
    import hashlib
    import sqlite3

    from api.auth import HMAC_SCHEME, SCRYPT_SCHEME, hash_secret

    path = tmp_path / "api.sqlite"
    store = TokenStore(path, cache_s=0)
    info, token = store.create("planner", "tool")
    secret = token.split("_", 2)[2]
    row = store._db.execute("SELECT salt, hash, scheme FROM tokens WHERE id = ?", (info.id,)).fetchone()
    assert row[2] == HMAC_SCHEME and row[1] == hash_secret(secret, row[0]) != hashlib.sha256(secret.encode()).digest()
    assert asyncio.run(authenticate(store, token)).role == "planner"
    with pytest.raises(ApiError) as err:
        asyncio.run(authenticate(store, token[:-2] + "xx"))
    assert err.value.status_code == 401
    store.close()

    # An older store: no scheme column, scrypt hashes.
    old = tmp_path / "old.sqlite"
    db = sqlite3.connect(old)
    db.execute("CREATE TABLE tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, salt BLOB NOT NULL,"
               " hash BLOB NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT, created_by TEXT)")
    db.execute("INSERT INTO tokens VALUES ('abc123', 'old', 'viewer', ?, ?, '2026-01-01T00:00:00+00:00', NULL, NULL)",
               (b"salt-0123456789a", hash_secret("s3cret", b"salt-0123456789a", SCRYPT_SCHEME)))
    db.commit()
    db.close()
    store = TokenStore(old, cache_s=0)
    assert store.verify("twin_abc123_s3cret").role == "viewer"
    assert store.verify("twin_abc123_wrong") is None
    assert store._db.execute("SELECT scheme FROM tokens").fetchone()[0] == HMAC_SCHEME
    assert store.verify("twin_abc123_s3cret").role == "viewer"  # now checked by its HMAC
    store.close()


def test_state_json_nan_as_null_and_what_orjson_refuses():
    assert json.loads(_json_bytes({"a": float("nan"), "b": float("inf"), "c": [1, 2.5, "x"]})) == \
        {"a": None, "b": None, "c": [1, 2.5, "x"]}
    huge = 2**70  # beyond 64 bits: orjson refuses, the standard library writes it
    assert json.loads(_json_bytes({"serial": huge, "t": float("nan")})) == {"serial": huge, "t": None}
    assert json.loads(_json_bytes({1: "one"})) == {"1": "one"}  # a key that is not a string


def test_start_up_heap_is_frozen(client):
    # The session's app has started (the ``client`` fixture): its lifespan froze the heap.
    assert gc.get_freeze_count() > 10_000


def test_state_route_answers_from_one_rendering(live_env):
    """Requests between two changes of the state are answered with the same bytes."""
    client, env, _, app = live_env
    headers = env.auth("viewer")
    link = app.state.ctx.live_link
    link.version += 1  # a change: the next request renders
    first = client.get("/twin/state", headers=headers)
    rendered_at = link.cached_at
    again = [client.get("/twin/state", headers=headers) for _ in range(5)]
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    if link.cached_version == link.version:  # no message arrived meanwhile
        assert link.cached_at == rendered_at
        assert all(r.content == first.content for r in again)
