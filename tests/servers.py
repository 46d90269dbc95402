"""Servers the tests start as real processes (``twin serve``, uvicorn): a free port, and waiting
until one answers ``/health``."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

__all__ = ["free_port", "wait_healthy"]


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
