"""The live history lives in the data directory, and only its owner reads it (issue 10 items 10 and 5).

Before issue 10 ``twin serve`` wrote its history to ``./results/twin.db`` under whatever folder
it was started from, not to ``DATA_DIR/history.sqlite`` where the API and the README look:
restarted from another folder with the same data directory, the twin came back without its
history. And SQLite made the file (and its -wal, -shm) readable by every local user.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.live_cli import serve
from twin.live.history import Batch, History

from tests.live.conftest import ensure_mosquitto, write_block


def _serve(building: Path, *args: str) -> str:
    result = CliRunner().invoke(serve, [str(building), "--no-api", "--rate", "4", "--status-every", "0.5", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_restart_from_another_working_directory_keeps_the_history(tmp_path, monkeypatch) -> None:
    """issue 10 item 10: --data-dir and TWIN_DATA_DIR both mean DATA_DIR/history.sqlite, whatever the cwd."""
    ensure_mosquitto()
    building = write_block(tmp_path / "block.yaml", "where-block")
    data = tmp_path / "data"
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()

    monkeypatch.chdir(first)
    out = _serve(building, "--data-dir", str(data), "--duration", "2", "--fault", "LIFT-2:entrapment@0.3s")
    history = data / "history.sqlite"
    assert f"history: {history}" in out
    with History(history, building_id="where-block") as h:
        states_before = h.counts()["states"]
        assert states_before > 10
        assert h.load_devices()["LIFT-2"]["values"]["mode"] == "fault"

    monkeypatch.chdir(second)
    monkeypatch.setenv("TWIN_DATA_DIR", str(data))
    out = _serve(building, "--duration", "1.5")
    assert f"history: {history}" in out
    with History(history, building_id="where-block") as h:
        assert h.counts()["states"] > states_before  # the same file, grown
        assert any(a["alarm_id"].startswith("event:entrapment") or "LIFT-2" in a["alarm_id"]
                   for a in h.alarm_log())  # the first run's alarms are still there
    assert not (first / "results").exists() and not (second / "results").exists()


def test_an_old_results_twin_db_is_moved_into_the_data_directory_once(tmp_path, monkeypatch) -> None:
    """issue 10 item 10: the history an older twin left in ./results/twin.db is migrated, with a message."""
    ensure_mosquitto()
    building = write_block(tmp_path / "block.yaml", "move-block")
    monkeypatch.chdir(tmp_path)
    old = tmp_path / "results" / "twin.db"
    with History(old, building_id="move-block") as h:
        h.write(Batch(devices={"PMP-1": {"values": {"legacy": 42}, "last_seen": 1, "point_ts": {"legacy": 1}}}))
    data = tmp_path / "data"

    out = _serve(building, "--data-dir", str(data), "--duration", "1", "--no-simulator")
    new = data / "history.sqlite"
    assert f"moved the live history from {old} to {new}" in out
    assert not old.exists() and (tmp_path / "results" / "twin.db.migrated").exists()
    with History(new, building_id="move-block") as h:
        assert h.load_devices()["PMP-1"]["values"]["legacy"] == 42
    assert stat.S_IMODE(new.stat().st_mode) == 0o600

    out = _serve(building, "--data-dir", str(data), "--duration", "1", "--no-simulator")
    assert "moved the live history" not in out  # once


def test_a_history_of_another_building_is_not_migrated(tmp_path, monkeypatch) -> None:
    """issue 10 item 10: a results/twin.db of another building stays where it is."""
    ensure_mosquitto()
    building = write_block(tmp_path / "block.yaml", "mine-block")
    monkeypatch.chdir(tmp_path)
    old = tmp_path / "results" / "twin.db"
    History(old, building_id="someone-else").close()
    out = _serve(building, "--data-dir", str(tmp_path / "data"), "--duration", "1", "--no-simulator")
    assert "moved the live history" not in out and old.exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_the_history_and_its_wal_and_shm_are_private(tmp_path) -> None:
    """issue 10 item 5: the history database, -wal and -shm are created 0600, whatever the umask."""
    previous = os.umask(0o022)
    try:
        path = tmp_path / "data" / "history.sqlite"
        with History(path, building_id="private-block") as h:
            h.write(Batch(devices={"PMP-1": {"values": {"p": 1}, "last_seen": 1, "point_ts": {"p": 1}}}))
            h.load_devices()
            files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
            assert all(f.exists() for f in files)
            for f in files:
                assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
        # A history made earlier with a wider mode is narrowed when it is opened.
        os.chmod(path, 0o644)
        with History(path, building_id="private-block"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        os.umask(previous)
