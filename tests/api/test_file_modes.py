"""The API database holds the token hashes: only the server's user may read it (issue 10 item 5).

``api.sqlite`` and its ``-wal`` and ``-shm`` files are mode 0600, the data folder 0700, whatever
the umask — when the server, ``twin token`` or a test makes them — and looser modes left by an
earlier version are tightened at start, with a log line.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import TokenStore
from api.settings import Settings
from api.token_cli import token


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _modes(data_dir: Path) -> dict[str, int]:
    found = {"": _mode(data_dir)}
    for suffix in ("", "-wal", "-shm"):
        path = data_dir / f"api.sqlite{suffix}"
        if path.exists():
            found[f"api.sqlite{suffix}"] = _mode(path)
    return found


def test_server_makes_a_private_database_in_a_private_folder(tmp_path) -> None:
    """issue 10 item 5: a first start under a permissive umask still makes 0700 / 0600."""
    data_dir = tmp_path / "data"
    old_umask = os.umask(0o002)  # as on systems with user private groups
    try:
        app = create_app(Settings(data_dir=data_dir, live=False, workers=1, print_admin_token=False))
        with TestClient(app) as client:
            assert client.get("/health").status_code == 200
            modes = _modes(data_dir)
    finally:
        os.umask(old_umask)
    assert {"api.sqlite", "api.sqlite-wal", "api.sqlite-shm"} <= set(modes), modes  # open: WAL and its index
    assert modes == {"": 0o700, "api.sqlite": 0o600, "api.sqlite-wal": 0o600, "api.sqlite-shm": 0o600}, \
        {k: oct(v) for k, v in modes.items()}


def test_token_cli_makes_a_private_database(tmp_path) -> None:
    """issue 10 item 5: `twin token create` on a new data folder."""
    data_dir = tmp_path / "new"
    made = CliRunner().invoke(token, ["create", "--role", "viewer", "--data-dir", str(data_dir)])
    assert made.exit_code == 0, made.output
    assert _mode(data_dir) == 0o700 and _mode(data_dir / "api.sqlite") == 0o600


def test_loose_modes_are_tightened_at_start(tmp_path, caplog) -> None:
    """issue 10 item 5: files an earlier version left readable by others are made private."""
    data_dir = tmp_path / "old"
    store = TokenStore(data_dir / "api.sqlite", cache_s=0)
    store.create("viewer", "kept")
    for path in data_dir.iterdir():
        path.chmod(0o644)
    data_dir.chmod(0o755)
    sides = sorted(p.name for p in data_dir.iterdir())
    with caplog.at_level(logging.WARNING, logger="api.auth"):
        again = TokenStore(data_dir / "api.sqlite", cache_s=0)
    try:
        assert [t.name for t in again.list()] == ["kept"]
        modes = _modes(data_dir)
    finally:
        again.close()
        store.close()
    assert all(mode == 0o600 for name, mode in modes.items() if name), {k: oct(v) for k, v in modes.items()}
    assert modes[""] == 0o700
    logged = caplog.text
    assert "api.sqlite" in logged and "0644" in logged and "0600" in logged, logged
    assert len(sides) >= 2  # the WAL and its index were there to tighten too
