"""`twin serve` serves the live twin with the API and the web console, as a user starts it."""

from __future__ import annotations

import signal

import httpx
from tests.servers import free_port, start_twin_serve, wait_healthy




def test_serve_answers_health_and_console_then_stops(tmp_path) -> None:
    port = free_port()
    proc = start_twin_serve(tmp_path, port, duration_s=90)
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}", proc, ready=lambda h: h.get("broker_connected"))
        assert health["status"] == "ok" and health["broker_connected"], health
        assert httpx.get(f"http://127.0.0.1:{port}/console/", timeout=5).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/twin/state", timeout=5).status_code == 401  # no token, no data
        proc.send_signal(signal.SIGTERM)  # stops as Ctrl-C does (--duration is the safety net)
        out, _ = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
    # uvicorn stops gracefully on SIGTERM, then lets the signal end the process as a service
    # manager expects (-15); --duration ends it with 0
    assert proc.returncode in (0, -signal.SIGTERM), out
    assert "console: http://127.0.0.1:" in out and "admin token" in out
    assert "Traceback" not in out
