"""Servers the tests start as real processes (``twin serve``, uvicorn) or in a thread of the test
process (an app under uvicorn): a free port, and waiting until one answers ``/health``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

__all__ = ["REPO", "free_port", "serve_in_thread", "start_twin_serve", "stop", "wait_healthy"]

REPO = Path(__file__).resolve().parents[1]
LIVE_BLOCK = REPO / "tests/live/data/live_block.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, proc: subprocess.Popen, *, timeout_s: float = 60.0,
                 ready: Callable[[dict[str, Any]], bool] = lambda health: True) -> dict[str, Any]:
    """``/health`` of the server at ``base`` once it answers 200 and ``ready`` holds; the test fails
    with the server's output if it exits first or does not get there within ``timeout_s`` (a
    readiness deadline on a shared two-core machine, not a speed check)."""
    deadline = time.monotonic() + timeout_s
    health: dict[str, Any] = {}
    while True:
        try:
            r = httpx.get(f"{base}/health", timeout=2)
            if r.status_code == 200:
                health = r.json()
                if ready(health):
                    return health
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            out = proc.communicate(timeout=5)[0] if proc.poll() is not None else ""
            pytest.fail(f"the server did not get ready (last /health: {health}): {out}")
        time.sleep(0.3)


def start_twin_serve(folder: Path, port: int, *, duration_s: float = 120.0,
                     building: Path = LIVE_BLOCK) -> subprocess.Popen:
    """``twin serve BUILDING`` as a user starts it (embedded broker, simulated devices, API and
    console) on ``port``, its history and data folder in ``folder``, stopping after ``duration_s``
    at the latest; its output (text) is on the process's stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", "api", "serve", str(building), "--port", str(port), "--duration", f"{duration_s:g}",
         "--db", str(folder / "twin.db"), "--data-dir", str(folder / "data")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, PYTHONWARNINGS="ignore"))


def stop(proc: subprocess.Popen, timeout_s: float = 30.0) -> None:
    """Stop a server the way a service manager does (SIGTERM), killing it if it does not end."""
    proc.terminate()
    try:
        proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


@contextmanager
def serve_in_thread(app: Any, port: int, name: str = "test-server") -> Iterator[str]:
    """``app`` under uvicorn on ``127.0.0.1:port`` in a thread of this process, lifespan on; yields its
    base address once it has started (the test fails if it does not within 60 s) and stops it after."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        if not server.started:
            pytest.fail(f"the {name} did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
