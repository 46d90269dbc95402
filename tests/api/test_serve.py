"""`twin serve` serves the live twin with the API and the web console, as a user starts it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_health_and_console_then_stops(tmp_path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", str(REPO / "tests/live/data/live_block.yaml"), "--port", str(port),
         "--duration", "20", "--db", str(tmp_path / "twin.db"), "--data-dir", str(tmp_path / "data")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, PYTHONWARNINGS="ignore"))
    try:
        health = None
        deadline = time.monotonic() + 18
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).json()
                if health.get("broker_connected"):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        assert health is not None and health["status"] == "ok" and health["broker_connected"], health
        assert httpx.get(f"http://127.0.0.1:{port}/console/", timeout=5).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/twin/state", timeout=5).status_code == 401  # no token, no data
        out, _ = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "console: http://127.0.0.1:" in out and "admin token" in out
    assert "Traceback" not in out
