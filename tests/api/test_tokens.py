"""Tokens: made by an admin (API or ``twin token create``), stored hashed, revoked at once; the first
start of a server makes and prints one admin token, once."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import TokenStore
from api.settings import Settings
from api.token_cli import token


def test_create_list_revoke(client, api_env):
    h = api_env.auth("admin")
    made = client.post("/tokens", json={"role": "engineer", "name": "night shift"}, headers=h)
    assert made.status_code == 201
    new = made.json()
    assert new["token"].startswith(f"twin_{new['id']}_") and new["role"] == "engineer"
    mine = {"Authorization": f"Bearer {new['token']}"}
    assert client.get("/buildings", headers=mine).status_code == 200
    listed = client.get("/tokens", headers=h).json()["tokens"]
    assert new["id"] in [t["id"] for t in listed]
    assert all("token" not in t for t in listed)
    revoked = client.post(f"/tokens/{new['id']}/revoke", headers=h)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert client.get("/buildings", headers=mine).status_code == 401
    active = client.get("/tokens", params={"include_revoked": False}, headers=h).json()["tokens"]
    assert new["id"] not in [t["id"] for t in active]


def test_tokens_are_stored_hashed(api_env):
    db = sqlite3.connect(api_env.data_dir / "api.sqlite")
    rows = db.execute("SELECT id, salt, hash FROM tokens").fetchall()
    db.close()
    texts = set(api_env.tokens.values())
    for token_id, salt, digest in rows:
        assert len(salt) == 16 and len(digest) == 32
        for text in texts:
            assert text.split("_", 2)[2].encode() not in (salt, digest)


def test_first_start_prints_an_admin_token_once(tmp_path):
    printed: list[str] = []
    settings = Settings(data_dir=tmp_path, live=False, workers=1)
    with TestClient(create_app(settings, on_admin_token=printed.append)) as c:
        assert len(printed) == 1
        assert c.get("/tokens", headers={"Authorization": f"Bearer {printed[0]}"}).status_code == 200
    with TestClient(create_app(settings, on_admin_token=printed.append)):
        pass
    assert len(printed) == 1


def test_token_cli(tmp_path):
    runner = CliRunner()
    made = runner.invoke(token, ["create", "--role", "planner", "--name", "sched", "--data-dir", str(tmp_path)])
    assert made.exit_code == 0, made.output
    text = made.output.strip().splitlines()[-1]
    store = TokenStore(tmp_path / "api.sqlite", cache_s=0)
    principal = store.verify(text)
    assert principal is not None and principal.role == "planner" and principal.name == "sched"
    listed = runner.invoke(token, ["list", "--data-dir", str(tmp_path)])
    assert principal.token_id in listed.output and "planner" in listed.output
    assert text.split("_", 2)[2] not in listed.output
    gone = runner.invoke(token, ["revoke", principal.token_id, "--data-dir", str(tmp_path)])
    assert gone.exit_code == 0
    assert store.verify(text) is None
    bad = runner.invoke(token, ["create", "--role", "emperor", "--data-dir", str(tmp_path)])
    assert bad.exit_code != 0
    store.close()
