"""Fixtures of the live-twin tests: a real Mosquitto broker, and small buildings.

The session's broker is a real ``mosquitto`` process on a free loopback port, with its own
configuration file and persistence directory under the test's temporary folder. When the
binary is missing the fixture installs the Debian package (as root), or skips with the reason.
Tests that kill or restart a broker get their own (``own_broker``).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from twin.live.broker import Broker, find_mosquitto
from twin.loader import parse_building, read_yaml
from tests.conftest import ensure_debian_package
from twin.spec import Building

LIVE_DATA = Path(__file__).parent / "data"
BLOCK_FILE = LIVE_DATA / "live_block.yaml"


def ensure_mosquitto() -> str:
    """The mosquitto binary, installed with apt-get when missing and allowed; else skip."""
    return ensure_debian_package("mosquitto", find_mosquitto)


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Broker:
    """A real Mosquitto shared by the session (persistence on)."""
    ensure_mosquitto()
    broker = Broker(kind="mosquitto", data_dir=tmp_path_factory.mktemp("mosquitto"), persistence=True)
    broker.start()
    yield broker
    broker.cleanup()


@pytest.fixture
def own_broker(tmp_path: Path) -> Broker:
    """A Mosquitto of this test's own, which it may kill and restart (same port, same data)."""
    ensure_mosquitto()
    broker = Broker(kind="mosquitto", data_dir=tmp_path / "broker", persistence=True, autosave_interval_s=1)
    broker.start()
    yield broker
    broker.cleanup()


def block_building(building_id: str | None = None) -> Building:
    """The live test block, under a fresh id so tests on one broker never see each other."""
    data = read_yaml(BLOCK_FILE)
    data["id"] = building_id or f"blk-{uuid.uuid4().hex[:10]}"
    return parse_building(data, BLOCK_FILE.name)


@pytest.fixture
def block() -> Building:
    return block_building()


def write_block(path: Path, building_id: str) -> Path:
    """Write the block under another id to a file (for subprocesses and the command line)."""
    text = BLOCK_FILE.read_text(encoding="utf-8").replace("id: live-block\n", f"id: {building_id}\n", 1)
    path.write_text(text, encoding="utf-8")
    return path
