"""No orphan brokers: the embedded Mosquitto ends with the twin, however the twin ends (issue 10 item 9).

Before issue 10, after ``kill -9`` of ``twin serve`` its Mosquitto kept running, and its
temporary folder stayed behind for good. These tests kill a real ``twin serve`` process and
look at the real processes in /proc.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from twin.live.broker import OWNER_FILE, Broker, embedded_users, remove_stale_brokers

from tests.live.conftest import ensure_mosquitto, write_block
from tests.live.helpers import wait_until

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name, or None when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def _running(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")  # a zombie has ended


def _mosquitto_children(parent: int) -> list[tuple[int, Path]]:
    """(pid, folder) of each mosquitto whose parent is ``parent`` (the folder holds its configuration)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat(int(entry.name))
        if fields is None or int(fields[1]) != parent:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"mosquitto") and b"-c" in argv:
            config = Path(argv[argv.index(b"-c") + 1].decode())
            found.append((int(entry.name), config.parent))
    return found


def _serve(building: Path, data: Path, cwd: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "api", "serve", str(building), "--no-api", "--data-dir", str(data), "--rate", "2",
         "--status-every", "1", *extra],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore"))


def test_kill_9_of_twin_serve_leaves_no_mosquitto_and_the_next_start_removes_its_folder(tmp_path) -> None:
    """issue 10 item 9: the broker dies with its parent; its stale folder goes at the next start."""
    ensure_mosquitto()
    building = write_block(tmp_path / "block.yaml", "orphan-block")
    data = tmp_path / "data"
    proc = _serve(building, data, tmp_path)
    try:
        children = wait_until(lambda: _mosquitto_children(proc.pid), 30)
        (broker_pid, folder), = children
        assert folder.is_dir()
        time.sleep(1.0)  # the twin is up and running, not starting
        proc.kill()  # SIGKILL: no clean-up code of the twin runs
        proc.wait(10)
        wait_until(lambda: not _running(broker_pid), 10)  # generous: the kernel signals at once
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert folder.exists()  # nothing removed it: the twin was killed

    again = _serve(building, data, tmp_path, "--duration", "3")
    try:
        out, _ = again.communicate(timeout=60)
    finally:
        if again.poll() is None:
            again.kill()
    assert again.returncode == 0, out
    assert not folder.exists(), f"the stale broker folder {folder} is still there"
    assert list((data / "mqtt").glob("twin-broker-*")) == []  # the second twin removed its own on the way out


def test_a_broker_started_from_a_short_lived_thread_outlives_that_thread(tmp_path) -> None:
    """issue 10 item 9: the parent-death signal is tied to the broker's own thread, not the caller's."""
    ensure_mosquitto()
    broker = Broker(kind="mosquitto", root_dir=tmp_path, users=embedded_users())
    try:
        starter = threading.Thread(target=broker.start)
        starter.start()
        starter.join(30)
        time.sleep(1.0)
        assert broker.running, "the broker died with the thread that started it"
    finally:
        broker.cleanup()
    assert not broker.data_dir.exists()


def test_a_broker_left_running_by_a_dead_owner_is_stopped_and_its_folder_removed(tmp_path) -> None:
    """issue 10 item 9: the fallback when no parent-death signal reached the broker."""
    mosquitto = ensure_mosquitto()
    ghost = Broker(kind="mosquitto", root_dir=tmp_path)
    folder = ghost.data_dir
    config = ghost.write_config()
    leftover = subprocess.Popen([mosquitto, "-c", str(config)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
    (folder / "mosquitto.pid").write_text(f"{leftover.pid}\n")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (folder / OWNER_FILE).write_text(f"{dead.pid} 0\n")  # an owner that is gone
    alive_folder = tmp_path / "twin-broker-in-use"
    alive_folder.mkdir()
    (alive_folder / OWNER_FILE).write_text(f"{os.getpid()} {_stat(os.getpid())[19]}\n")  # type: ignore[index]
    try:
        assert remove_stale_brokers(tmp_path) == [folder]
        leftover.wait(10)
        assert leftover.returncode == -signal.SIGKILL
        assert not folder.exists() and alive_folder.exists()
    finally:
        if leftover.poll() is None:
            leftover.kill()
            leftover.wait(10)
