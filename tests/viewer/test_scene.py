"""The 3D scene off screen: pictures compared pixel by pixel, not "a file exists".

The scene draws equipment unlit in exact palette colours without multi-sampling, so a status
change must change exactly the pixels of that glyph, to exactly the status colour, and nothing
else in the picture.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from viewer.scene import STATUS_COLORS, BuildingScene, SceneError, status_rgb

SIZE = (800, 600)


@pytest.fixture
def scene(block):
    with BuildingScene(block, off_screen=True, window_size=SIZE, labels="all") as s:
        s.update_statuses({e: "ok" for e in s.equipment_ids + s.car_ids})
        yield s


def _glyph_box(scene: BuildingScene, equipment_id: str, margin: int = 2) -> tuple[int, int, int, int]:
    """Pixel bounding box (col0, row0, col1, row1) of a glyph's projected 3D bounds."""
    b = scene.actors[equipment_id].GetBounds()
    corners = [(x, y, z) for x in b[0:2] for y in b[2:4] for z in b[4:6]]
    px = np.array([scene.project(c) for c in corners])
    return (px[:, 0].min() - margin, px[:, 1].min() - margin, px[:, 0].max() + margin, px[:, 1].max() + margin)


def test_alarm_on_one_pump_changes_only_its_pixels_to_the_alarm_colour(scene):
    before = scene.screenshot()
    col, row = scene.project(scene.equipment_point("PMP-1"))
    assert tuple(before[row, col]) == status_rgb("ok")

    scene.update_status("PMP-1", "alarm")
    after = scene.screenshot()

    assert tuple(after[row, col]) == status_rgb("alarm") == (0xD7, 0x19, 0x1C)
    changed = np.any(before != after, axis=2)
    assert changed.sum() > 20, "the pump glyph should cover a patch of pixels"
    c0, r0, c1, r1 = _glyph_box(scene, "PMP-1")
    rows, cols = np.nonzero(changed)
    assert rows.min() >= r0 and rows.max() <= r1 and cols.min() >= c0 and cols.max() <= c1, \
        "pixels changed outside the pump's glyph"
    # Every changed pixel is now exactly the alarm colour (no blending, no anti-aliasing).
    assert np.all(after[changed] == np.array(status_rgb("alarm"), np.uint8))
    # The other pump is untouched.
    c2, r2 = scene.project(scene.equipment_point("PMP-2"))
    assert tuple(after[r2, c2]) == status_rgb("ok")


def test_updates_write_arrays_and_never_rebuild(scene):
    actors_before = dict(scene.actors)
    mesh = scene.actors["PMP-1"].mapper.dataset
    props_before = scene.plotter.renderer.GetViewProps().GetNumberOfItems() + scene.overlay.GetViewProps().GetNumberOfItems()
    for status in ("warning", "alarm", "offline", "stale", "ok"):
        scene.update_status("PMP-1", status)
        assert tuple(mesh.point_data["rgb"][0]) == status_rgb(status)
    scene.update_car("LIFT-1", 3.5)
    scene.set_zone_alarm("Z-G", True)
    scene.set_view("exploded")
    scene.set_view("floor", "L1")
    scene.set_view("all")
    scene.render()
    assert scene.actors == actors_before
    assert scene.actors["PMP-1"].mapper.dataset is mesh
    props_after = scene.plotter.renderer.GetViewProps().GetNumberOfItems() + scene.overlay.GetViewProps().GetNumberOfItems()
    assert props_after == props_before


def test_every_status_has_its_palette_colour(scene):
    for status, colour in STATUS_COLORS.items():
        scene.update_status("PMP-2", status)
        img = scene.screenshot()
        col, row = scene.project(scene.equipment_point("PMP-2"))
        hexed = "#%02X%02X%02X" % tuple(img[row, col])
        assert hexed == colour.upper(), status


def test_lift_car_moves_to_its_live_height(scene):
    img_ground = scene.screenshot()
    ground = scene.project(scene.equipment_point("LIFT-1"))
    scene.update_car("LIFT-1", 3.5)
    img_upper = scene.screenshot()
    upper = scene.project(scene.equipment_point("LIFT-1"))
    assert upper[1] < ground[1] - 5, "the car should be drawn higher on the screen"
    assert tuple(img_upper[upper[1], upper[0]]) == status_rgb("ok")
    assert tuple(img_ground[ground[1], ground[0]]) == status_rgb("ok")
    assert tuple(img_upper[ground[1], ground[0]]) != status_rgb("ok")


def test_one_floor_view_hides_other_floors_equipment(scene):
    scene.set_view("floor", "L1")
    img = scene.screenshot()
    col, row = scene.project(scene.equipment_point("PMP-1"))
    assert not scene.floor_visible("G")
    if 0 <= row < SIZE[1] and 0 <= col < SIZE[0]:
        assert tuple(img[row, col]) != status_rgb("ok")
    scene.set_view("floor", "G")
    img = scene.screenshot()
    col, row = scene.project(scene.equipment_point("PMP-1"))
    assert tuple(img[row, col]) == status_rgb("ok")


def test_exploded_view_lifts_upper_floors(scene):
    z_all = scene.equipment_point("FAP-1")[2]
    scene.set_view("exploded")
    assert scene.display_offset("L1") > 0 == scene.display_offset("G")
    assert scene.equipment_point("FAP-1")[2] == pytest.approx(z_all)  # FAP-1 is on the ground floor
    img = scene.screenshot()
    col, row = scene.project(scene.equipment_point("PMP-1"))
    assert tuple(img[row, col]) == status_rgb("ok")


def test_fire_zone_in_alarm_is_highlighted(scene):
    before = scene.screenshot()
    scene.set_zone_alarm("Z-L1", True)
    after = scene.screenshot()
    changed = np.any(before != after, axis=2)
    assert changed.sum() > 1000
    reddish = after[changed].astype(int)
    assert np.mean(reddish[:, 0] - reddish[:, 2]) > 40, "the zone should be tinted red"
    scene.set_zone_alarm("Z-L1", False)
    assert np.array_equal(scene.screenshot(), before)


def test_unknown_ids_are_named(scene):
    with pytest.raises(SceneError, match="unknown equipment 'NOPE'"):
        scene.update_status("NOPE", "alarm")
    with pytest.raises(SceneError, match="unknown floor 'F99'"):
        scene.set_view("floor", "F99")
    with pytest.raises(SceneError, match="unknown fire zone"):
        scene.set_zone_alarm("Z-X", True)
    assert scene.update_statuses({"NOPE": "alarm"}) == 0


def test_equipment_without_position_sits_in_its_space(two_storey):
    from viewer.scene import equipment_anchor

    pump = two_storey.equipment_by_id["PMP-1"]
    x, y, z = equipment_anchor(two_storey, pump)
    assert (x, y, z) == (5.0, 6.0, 1.0)  # centroid of F01-OFF, 1 m above the floor


def test_two_threads_make_their_first_scene_themes_at_once():
    """The console draws its pictures in a worker thread while other threads start; pyvista resolves
    ``pv.themes`` lazily, and two threads doing so at once for the first time got an AttributeError (a 500 on the
    console's first live picture). viewer.scene loads the themes module with pyvista: in a fresh process, after
    importing it, the module is there and two threads make the scene's theme at the same moment without error.
    (Rendering itself stays on one thread: VTK's off-screen contexts are not made from two threads at once.)"""
    import subprocess
    import sys

    code = """
import sys, threading
import viewer.scene as scene
assert "pyvista.plotting.themes" in sys.modules
errors, gate = [], threading.Barrier(2)
def make():
    try:
        gate.wait()
        for _ in range(50):
            scene.pv_themes.DocumentTheme().multi_samples = 0
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=make) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
print(errors or "ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "ok", out.stdout
