"""No orphans (issue 10 item 9, the run pool's part): after ``kill -9`` of the server, its run pool
processes, their fork server and the multiprocessing resource tracker end within seconds.

The server runs as a user starts it — a separate process (uvicorn with the app factory, the live
twin off: the embedded broker's own orphans are tested with the live twin) — with a long run
going, so that a pool process is busy simulating when the server is killed. Processes are found
and watched through psutil (``/proc``); a zombie (dead, not yet reaped by init) counts as gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from tests.api.conftest import make_data_dir
from tests.servers import free_port, wait_healthy

REPO = Path(__file__).resolve().parents[1]



def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_pool_processes_end_when_the_server_is_killed(tmp_path) -> None:
    """issue 10 item 9: kill -9 of the server leaves no pool process, fork server or resource
    tracker running (before the fix a pool process kept simulating into the run's folder)."""
    env = make_data_dir(tmp_path / "data")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=dict(os.environ, TWIN_DATA_DIR=str(env.data_dir), TWIN_LIVE="false", TWIN_WORKERS="1",
                 TWIN_PRINT_ADMIN_TOKEN="false", PYTHONWARNINGS="ignore"))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, server)
        body = {"scenario": "repair-desk-weekday", "replications": 1,
                "set": {"horizon_s": 366 * 24 * 3600.0, "params.ordinary_per_h": 200.0, "params.technicians": 120}}
        r = httpx.post(f"{base}/runs", json=body, headers=env.auth("planner"), timeout=30)
        assert r.status_code == 202, r.text
        run_id = r.json()["id"]
        deadline = time.monotonic() + 90
        while httpx.get(f"{base}/runs/{run_id}", headers=env.auth("planner"), timeout=10).json()["status"] != "running":
            assert time.monotonic() < deadline, "the run did not start"
            time.sleep(0.3)
        children = psutil.Process(server.pid).children(recursive=True)
        assert len(children) >= 2, children  # the fork server and at least one pool process (and the tracker)
    finally:
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [(p.pid, p.name(), " ".join(p.cmdline())[:120]) for p in children if _alive(p)]
    for p in children:  # do not leave them to the next test either
        if _alive(p):
            p.kill()
    assert not left, f"processes left running after the server was killed: {left}"
