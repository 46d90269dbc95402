"""Fixtures of the API tests: a data folder, a token per role, the app without and with the live twin.

Most tests share one app (no live twin: buildings, scenarios, runs, tokens) for the session, so
its run pool's process starts once. The live tests get an app whose live service is connected to
a real Mosquitto (the live tests' own broker fixture), with the device simulator off so that the
only messages are the ones a test publishes.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import TokenStore
from api.settings import Settings
from tests.live.conftest import mosquitto  # noqa: F401  (the session's real Mosquitto, shared with the live tests)

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
API_DATA = Path(__file__).parent / "data"
SMALL_TOWER = API_DATA / "small_tower.yaml"
ROLES = ("viewer", "engineer", "supervisor", "safety", "planner", "admin")


@dataclass
class ApiEnv:
    data_dir: Path
    tokens: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def make_data_dir(root: Path) -> ApiEnv:
    """A data folder with a loaded scenario (repair_small + its building) and a loaded building."""
    (root / "scenarios").mkdir(parents=True, exist_ok=True)
    (root / "buildings").mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "repair_small.yaml", root / "scenarios" / "repair_small.yaml")
    shutil.copy(DATA / "two_storey.yaml", root / "scenarios" / "two_storey.yaml")
    shutil.copy(DATA / "two_storey.yaml", root / "buildings" / "two_storey.yaml")
    shutil.copy(SMALL_TOWER, root / "buildings" / "small_tower.yaml")
    store = TokenStore(root / "api.sqlite", cache_s=0)
    tokens = {role: store.create(role, f"test-{role}")[1] for role in ROLES}
    store.close()
    return ApiEnv(root, tokens)


def settings_for(env: ApiEnv, **overrides) -> Settings:
    values = dict(data_dir=env.data_dir, live=False, workers=1, max_concurrent_runs=4, max_run_size=5000,
                  print_admin_token=False)
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def api_env(tmp_path_factory: pytest.TempPathFactory) -> ApiEnv:
    return make_data_dir(tmp_path_factory.mktemp("api-data"))


@pytest.fixture(scope="session")
def client(api_env: ApiEnv):
    """The app without the live twin, shared by the session."""
    app = create_app(settings_for(api_env))
    with TestClient(app) as c:
        yield c


def wait_run(client: TestClient, run_id: str, headers: dict, timeout_s: float = 120.0) -> dict:
    """Poll a run until it has finished."""
    deadline = time.monotonic() + timeout_s
    while True:
        run = client.get(f"/runs/{run_id}", headers=headers).json()
        if run["status"] in ("done", "failed", "cancelled") or time.monotonic() > deadline:
            return run
        time.sleep(0.1)


@pytest.fixture(scope="module")
def live_env(tmp_path_factory: pytest.TempPathFactory, mosquitto):  # noqa: F811
    """An app whose live twin (small tower, no simulator) is connected to the real Mosquitto."""
    from twin.live.service import LiveService
    from twin.loader import load_building

    env = make_data_dir(tmp_path_factory.mktemp("api-live"))
    building_file = env.data_dir / "buildings" / "small_tower.yaml"  # the live one is a loaded building
    building = load_building(building_file)

    def factory(settings: Settings) -> LiveService:
        return LiveService(building, mqtt=mosquitto.url, db_path=settings.history_path, simulate=False,
                           twin_id=f"api-test-{time.monotonic_ns()}")

    settings = settings_for(env, live=True, building=str(building_file), mqtt_url=mosquitto.url)
    app = create_app(settings, live_factory=factory)
    with TestClient(app) as c:
        assert app.state.ctx.live is not None, app.state.ctx.live_error
        yield c, env, mosquitto, app


def publish(broker, topic: str, payload: dict | str | bytes, *, retain: bool = False, qos: int = 1) -> None:
    """Publish one message to the broker with a plain paho client and wait until it is sent."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"api-test-pub-{time.monotonic_ns()}")
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
        client.publish(topic, body, qos=qos, retain=retain).wait_for_publish(10)
    finally:
        client.loop_stop()
        client.disconnect()


LIVE_BUILDING = "small-tower"
"""The building the live tests' twin mirrors (``live_env``)."""


def topic(system: str, device: str, channel: str, building: str = LIVE_BUILDING) -> str:
    """A device topic of the live twin (``twin/v1/BUILDING/SYSTEM/DEVICE/CHANNEL``)."""
    return f"twin/v1/{building}/{system}/{device}/{channel}"


def now_ms() -> int:
    return int(time.time() * 1000)


def poll(fn, timeout_s: float = 10.0, every_s: float = 0.05):
    """``fn()``'s first true value within ``timeout_s`` (its last value otherwise)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every_s)

