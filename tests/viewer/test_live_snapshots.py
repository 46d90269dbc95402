"""The scene following a live twin state; report snapshots; the snapshot command; the labels.

The live state here is the real :class:`twin.live.state.TwinState` with its alarm engine, fed
state messages directly (the MQTT path is exercised by the browser test).
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from click.testing import CliRunner

from viewer.live import LiveView, active_zones, car_height
from viewer.scene import BuildingScene, status_rgb


@pytest.fixture
def live(block):
    from twin.live.alarms import AlarmEngine, load_rules
    from twin.live.state import TwinState

    state = TwinState(block)
    engine = AlarmEngine(block, load_rules(), state)
    with BuildingScene(block, off_screen=True, window_size=(640, 480)) as scene:
        view = LiveView(scene, state)
        yield state, engine, scene, view
        view.close()


def _publish(state, engine, device: str, values: dict, seq: int) -> None:
    from twin.live.payloads import StateUpdate
    from twin.live.values import FrozenMap

    now = int(time.time() * 1000)
    change = state.apply_state(StateUpdate(device, now, FrozenMap(values), seq), now)
    engine.evaluate([change], now)
    state.notify([device])


def test_state_messages_reach_the_scene_within_one_apply(live):
    state, engine, scene, view = live
    view.apply(full=True)
    assert scene.statuses["PMP-1"] == "stale"  # nothing heard yet
    _publish(state, engine, "PMP-1", {"run_state": "running", "outlet_pressure_kpa": 400.0}, 1)
    assert view.pending
    assert view.apply() >= 1
    assert scene.statuses["PMP-1"] == "ok"
    version = view.version
    _publish(state, engine, "PMP-1", {"run_state": "tripped"}, 2)
    view.apply()
    assert scene.statuses["PMP-1"] == "alarm" and view.version > version
    img = scene.screenshot()
    col, row = scene.project(scene.equipment_point("PMP-1"))
    assert tuple(img[row, col]) == status_rgb("alarm")


def test_lift_car_follows_its_reported_position(live):
    state, engine, scene, view = live
    _publish(state, engine, "LIFT-1", {"floor": "L1", "position_m": 2.0, "motion": "moving"}, 1)
    view.apply()
    assert scene.car_z("LIFT-1") == pytest.approx(2.0)
    _publish(state, engine, "LIFT-1", {"floor": "L1", "position_m": 3.5, "motion": "stopped"}, 2)
    view.apply()
    assert scene.car_z("LIFT-1") == pytest.approx(3.5)


def test_car_height_from_floor_points(block):
    with BuildingScene(block, off_screen=True, window_size=(200, 200), labels="none") as scene:
        assert car_height(scene, {"position_m": 1.25}) == 1.25
        assert car_height(scene, {"floor": "L1"}) == 3.5
        assert car_height(scene, {"floor": "Level 1"}) == 3.5
        assert car_height(scene, {"floor": 1}) == 0.0   # storey numbers count from the ground floor
        assert car_height(scene, {"floor": 2}) == 3.5
        assert car_height(scene, {"floor": "nowhere"}) is None
        assert car_height(scene, {}) is None


def test_fire_zones_named_by_active_alarms():
    assert active_zones([{"zone": "Z-G", "active": True}, {"zone": "Z-L1", "active": False}, {"zone": None}]) == {"Z-G"}


def test_status_snapshot_and_report_snapshots(block, tmp_path):
    from viewer.snapshots import report_snapshots, status_snapshot

    shot = status_snapshot(block, {"PMP-1": "alarm", "PMP-2": "ok"}, zones_in_alarm=("Z-G",), size=(400, 300))
    assert shot.png.startswith(b"\x89PNG") and "PMP-1" in shot.caption
    assert shot.data_uri.startswith("data:image/png;base64,")
    again = status_snapshot(block, {"PMP-1": "alarm", "PMP-2": "ok"}, zones_in_alarm=("Z-G",), size=(400, 300))
    assert again.png == shot.png, "a report must be reproducible byte for byte"
    shots, notes = report_snapshots(tmp_path / "missing")
    assert shots == [] and notes
    # issue 11 item 4: a Chinese report's pictures are captioned in Chinese.
    zh = status_snapshot(block, {"PMP-1": "alarm"}, zones_in_alarm=("Z-G",), size=(200, 150), lang="zh-CN")
    assert zh.title == "设备状态" and "报警设备：PMP-1" in zh.caption and "报警防火分区：Z-G" in zh.caption


def test_report_snapshots_of_an_evacuation_run(block, tmp_path):
    from scenarios.runner import run_scenario
    from scenarios.spec import parse_scenario
    from viewer.snapshots import report_snapshots
    from tests.viewer.conftest import BLOCK_FILE

    doc = {"name": "snap-drill", "model": "evacuation", "building": str(BLOCK_FILE), "seed": 3, "replications": 1,
           "horizon_s": 1800, "params": {"trace": True}}
    loaded = parse_scenario(doc, "snap-drill.yaml", tmp_path)
    out = tmp_path / "results"
    run_scenario(loaded, out=out)
    shots, notes = report_snapshots(out, building=block, size=(500, 320))
    assert [s.title for s in shots] == ["Congestion"], notes
    assert "queue" in shots[0].caption.lower()
    from PIL import Image
    import io

    img = np.asarray(Image.open(io.BytesIO(shots[0].png)))
    assert img.shape[:2] == (320, 500)


def test_snapshot_command_writes_the_picture(block, tmp_path):
    from api.viewer_cli import snapshot
    from tests.viewer.conftest import BLOCK_FILE

    out = tmp_path / "snap.png"
    result = CliRunner().invoke(snapshot, [str(BLOCK_FILE), "--out", str(out), "--status", "PMP-1=alarm",
                                           "--size", "400x300", "--labels", "none"])
    assert result.exit_code == 0, result.output
    assert "1 alarm" in result.output and out.stat().st_size > 1000
    bad = CliRunner().invoke(snapshot, [str(BLOCK_FILE), "--out", str(out), "--status", "PMP-9=alarm"])
    assert bad.exit_code == 2 and "unknown equipment 'PMP-9'" in bad.output


def test_labels_exist_in_both_languages():
    from viewer.i18n import MESSAGES, catalogue, translate

    assert set(MESSAGES["en"]) == set(MESSAGES["zh-CN"])
    assert translate("nav.alarms", "zh-CN") == "报警"
    assert translate("nav.alarms", "zh") == "报警"
    assert translate("scenarios.running", "en", done=3, total=10) == "Running: 3 of 10 replications"
    assert translate("no.such.key", "zh-CN") == "no.such.key"
    assert json.dumps(dict(catalogue("zh-CN")), ensure_ascii=False)
    for lang in MESSAGES:
        for key, text in MESSAGES[lang].items():
            placeholders = {p for p in text.split("{")[1:]}
            assert len(placeholders) == MESSAGES["en"][key].count("{"), (lang, key)
