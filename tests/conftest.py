"""Shared fixtures: the repository root, test data and a small building."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
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


_RUN_STORE = Path(tempfile.mkdtemp(prefix="twin-test-data-"))
"""The data directory of `twin run`s in tests that name none (not the repository's ./twin-data)."""
atexit.register(shutil.rmtree, _RUN_STORE, ignore_errors=True)


def run_twin(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the ``twin`` command (as ``python -m api``) and capture its output."""
    env = dict(os.environ, COLUMNS="200", PYTHONWARNINGS="ignore")
    env.setdefault("TWIN_DATA_DIR", str(_RUN_STORE))
    return subprocess.run([sys.executable, "-m", "api", *args], cwd=cwd or REPO, capture_output=True, text=True,
                          timeout=timeout, env=env)


def ensure_debian_package(package: str, find: Callable[[], str | None]) -> str:
    """What ``find`` finds (a binary's path), installing the Debian ``package`` with apt-get when it
    is missing and we are root; otherwise the test is skipped with the reason."""
    path = find()
    if path:
        return path
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip(f"{package} is not installed and these tests are not root to install it; "
                    f"run `apt-get install {package}` (or `make system-deps`)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]
    result = subprocess.run(install, capture_output=True, text=True, env=env, timeout=900)
    if result.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env, timeout=900)
        result = subprocess.run(install, capture_output=True, text=True, env=env, timeout=900)
    path = find()
    if not path:
        pytest.skip(f"could not install {package}: {result.stderr.strip()[-300:]}")
    return path


def nested_models(root: type) -> list[type]:
    """A pydantic parameters class and every pydantic model nested in its fields (lists, unions and
    mappings opened), each once: what a file-format reference must document."""
    from pydantic import BaseModel

    def types_in(annotation) -> list:
        args = getattr(annotation, "__args__", None)
        return [annotation] if not args else [t for a in args for t in types_in(a)]

    seen: list[type] = []
    todo = [root]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.append(cls)
        for field in cls.model_fields.values():
            todo += [t for t in types_in(field.annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
    return seen


def undocumented_fields(doc: str, root: type, *, example: bool = False) -> list[str]:
    """What a file-format reference leaves out: for ``root`` and every model nested in it, a missing
    ``### Class — `` section, or a field without its ``| `name` |`` row under that section. With
    ``example``, the field's row (the first line starting ``| `name` |``) must also end with an
    example: its last cell in backticks, the line ending "` |"."""
    missing = []
    for cls in nested_models(root):
        section = f"### {cls.__name__} — "
        if section not in doc:
            missing.append(section.rstrip())
            continue
        body = doc.split(section, 1)[1].split("\n### ", 1)[0]
        for name in cls.model_fields:
            cell = f"| `{name}` |"
            if example:
                row = next((line for line in body.splitlines() if line.startswith(cell)), None)
                documented = row is not None and row.rstrip().endswith("` |")
            else:
                documented = cell in body
            if not documented:
                missing.append(f"{cls.__name__}.{name}")
    return missing
