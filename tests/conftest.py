"""Shared fixtures: the repository root, test data and a small building."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"

settings.register_profile("ci", database=None, deadline=None, print_blob=True)
settings.load_profile("ci")


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def two_storey():
    from twin.loader import load_building

    return load_building(DATA / "two_storey.yaml")


def run_twin(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the ``twin`` command (as ``python -m api``) and capture its output."""
    env = dict(os.environ, COLUMNS="200", PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "api", *args], cwd=cwd or REPO, capture_output=True, text=True,
                          timeout=timeout, env=env)
