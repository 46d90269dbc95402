"""Fixtures of the viewer tests: the test block, off-screen scenes, and a console server.

The console server is the real thing a user reaches: the API app (``api.app.create_app``) with the
console mounted, served by uvicorn on a free loopback port, its live twin following a real
Mosquitto broker (no device simulator, so only what a test publishes happens). The browser is the
Debian ``chromium`` package driven by Playwright — never a downloaded browser.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import ensure_debian_package

VIEWER_DATA = Path(__file__).parent / "data"
BLOCK_FILE = VIEWER_DATA / "viewer_block.yaml"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def block():
    from twin.loader import load_building

    return load_building(BLOCK_FILE)


def ensure_chromium() -> str:
    """The Debian chromium binary, installed with apt-get when missing (as root); else skip."""
    return ensure_debian_package("chromium", lambda: CHROMIUM if os.path.exists(CHROMIUM) else None)


def _ensure_mosquitto() -> None:
    from twin.live.broker import find_mosquitto

    ensure_debian_package("mosquitto", find_mosquitto)


class ConsoleServer:
    """A running API + console: its base URL, an admin token, the broker and the live service."""

    def __init__(self, base_url: str, token: str, broker, app, building_id: str):
        self.base_url = base_url
        self.token = token
        self.broker = broker
        self.app = app
        self.building_id = building_id

    @property
    def live(self):
        return self.app.state.ctx.live

    def get(self, path: str, **params):
        import httpx

        return httpx.get(self.base_url + path, params=params, headers={"Authorization": f"Bearer {self.token}"},
                         timeout=60)

    def publish_event(self, system: str, device: str, event: dict) -> None:
        """Publish a device event (an alarm a device raises itself), QoS 1, as a device would."""
        import json

        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        from twin.live.topics import device_topic

        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"viewer-test-ev-{time.monotonic_ns()}")
        client.connect(self.broker.host, self.broker.port)
        client.loop_start()
        try:
            body = {"ts": int(time.time() * 1000), **event}
            client.publish(device_topic(self.building_id, system, device, "event"), json.dumps(body),
                           qos=1).wait_for_publish(10)
        finally:
            client.loop_stop()
            client.disconnect()

    def publish_state(self, system: str, device: str, values: dict, seq: int) -> None:
        """Publish a device state message to the broker, as a device would (QoS 1, retained)."""
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        from twin.live.topics import device_topic

        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"viewer-test-{seq}-{time.monotonic_ns()}")
        client.connect(self.broker.host, self.broker.port)
        client.loop_start()
        try:
            payload = {"ts": int(time.time() * 1000), "seq": seq, "values": values, "quality": "good"}
            info = client.publish(device_topic(self.building_id, system, device, "state"), json.dumps(payload),
                                  qos=1, retain=True)
            info.wait_for_publish(5)
        finally:
            client.loop_stop()
            client.disconnect()


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory, block):
    """The API app with the console on a loopback port, following a real Mosquitto."""
    pytest.importorskip("uvicorn")
    _ensure_mosquitto()
    from api.app import create_app
    from api.settings import Settings
    from tests.servers import serve_in_thread
    from twin.live.broker import Broker, free_port

    data = tmp_path_factory.mktemp("console")
    broker = Broker(kind="mosquitto", data_dir=data / "broker", persistence=False)
    broker.start()
    building_file = data / "viewer_block.yaml"
    shutil.copy(BLOCK_FILE, building_file)
    scenarios = data / "twin-data" / "scenarios"
    scenarios.mkdir(parents=True)
    (scenarios / "viewer-block-drill.yaml").write_text(
        "name: viewer-block-drill\ndescription: Drill of the viewer test block\nmodel: evacuation\n"
        f"building: {building_file}\nseed: 7\nreplications: 2\nhorizon_s: 1800\n"
        "params:\n  alarm_delay_s: 0\n  trace: true\n", encoding="utf-8")
    tokens: list[str] = []
    port = free_port()
    settings = Settings(host="127.0.0.1", port=port, data_dir=data / "twin-data", building=str(building_file),
                        live=True, mqtt_url=f"mqtt://{broker.host}:{broker.port}", simulate_devices=False,
                        workers=1, max_concurrent_runs=1, print_admin_token=True)
    app = create_app(settings, on_admin_token=tokens.append)
    try:
        with serve_in_thread(app, port, "console-server") as base:
            yield ConsoleServer(base, tokens[0], broker, app, block.id)
    finally:
        broker.cleanup()


@pytest.fixture
def browser_page():
    """A page in the Debian chromium (headless), 1400×1000."""
    sync_api = pytest.importorskip("playwright.sync_api")
    path = ensure_chromium()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            yield page
        finally:
            browser.close()
