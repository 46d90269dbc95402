"""3D in the browser (issue 15, section 1), in a real headless Chromium against the real API, live
twin and Mosquitto (tests/viewer/conftest.py): the scene is sent once as glTF (GET /twin/scene.glb)
and drawn by the vendored three.js (SwiftShader's WebGL in headless Chromium).

1. The route serves the building's glTF to a viewer token (cached; ETag → 304), never without one.
2. Clicking a pump's object opens that pump's card (its live values and open alarms); pointing at
   it first shows its name and floor.
3. A state change published on MQTT (the pump trips) recolours its object the alarm colour within
   1 s of the publish (the issue's "within 1 s"), read both from the object's material and from
   the canvas pixels; the other pump keeps its colour; the alarm blinks there; no picture is
   asked of the server meanwhile.
4. Isolating a floor hides the others (their objects are neither drawn nor pickable) and labels
   its rooms (in Chinese once the console is); cutting away the floors above a storey leaves it
   and those below.
5. Without WebGL the live tab keeps the server-rendered picture.
6. A lift car reporting its floor on MQTT moves to that floor's height in the browser.
7. A room's card says what the room is used for in words, in the console's language (设备间 for a
   plant room in Chinese), its code name kept in the card's data.
"""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

from viewer.scene import STATUS_COLORS, status_rgb

pytestmark = pytest.mark.slow


def _open_3d(page, server) -> None:
    page.goto(f"{server.base_url}/console/#token={server.token}&lang=en&tab=live")
    page.wait_for_selector("#live-viewport[data-scene3d=ready]", timeout=60_000)
    page.wait_for_function("() => Scene3D.view.frames > 0", timeout=20_000)


def _canvas_pixel(page, x: float, y: float) -> np.ndarray:
    from PIL import Image

    png = page.screenshot(clip={"x": x - 1, "y": y - 1, "width": 3, "height": 3})
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)


def _near(pixels: np.ndarray, colour: tuple[int, int, int], tol: int = 6) -> bool:
    return bool(np.any(np.all(np.abs(pixels.astype(int) - np.array(colour)) <= tol, axis=1)))


def test_scene_glb_route_serves_the_live_building(console_server):
    """Item 1: GET /twin/scene.glb is the live building's glTF (viewer role), cached with an ETag."""
    import httpx

    from viewer.gltf import GLTF_MEDIA_TYPE, building_glb, read_glb

    server = console_server
    res = server.get("/twin/scene.glb")
    assert res.status_code == 200 and res.headers["content-type"] == GLTF_MEDIA_TYPE
    data, fingerprint = building_glb(server.live.building)
    assert res.content == data and res.headers["etag"] == f'"{fingerprint}"'
    doc, _ = read_glb(res.content)
    ids = {(n.get("extras") or {}).get("id") for n in doc["nodes"]}
    assert {"PMP-1", "PMP-2", "FAP-1", "LIFT-1", "G-PLT", "G-D1"} <= ids
    again = httpx.get(server.base_url + "/twin/scene.glb", timeout=30,
                      headers={"Authorization": f"Bearer {server.token}", "If-None-Match": res.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert httpx.get(server.base_url + "/twin/scene.glb", timeout=30).status_code == 401


def test_clicking_a_pump_opens_its_card(console_server, browser_page):
    """Item 2: hover names the pump and its floor; a click opens PMP-1's card with its values and
    the chart of its last hour."""
    page, server = browser_page, console_server
    server.publish_state("pump", "PMP-1", {"run_state": "running", "outlet_pressure_kpa": 305.0}, seq=100)
    server.publish_state("pump", "PMP-1", {"run_state": "running", "outlet_pressure_kpa": 310.0}, seq=101)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # both samples in the twin's history (written in batches)
        if len(server.get("/twin/equipment/PMP-1/history", point="outlet_pressure_kpa").json()["samples"]) >= 2:
            break
        time.sleep(0.2)
    _open_3d(page, server)
    page.wait_for_function("() => Scene3D.view.statuses['PMP-1'] === 'ok'", timeout=10_000)
    where = page.evaluate("Scene3D.screenOf('PMP-1')")
    assert where["visible"], where
    assert page.evaluate(f"Scene3D.view.pick({where['x']}, {where['y']}).id") == "PMP-1"
    page.mouse.move(where["x"], where["y"])
    tip = page.locator("#scene3d-tip")
    tip.wait_for(state="visible", timeout=5_000)
    name = server.live.building.equipment_by_id["PMP-1"].name or "PMP-1"
    assert name in tip.inner_text() and "Ground" in tip.inner_text(), tip.inner_text()
    page.mouse.click(where["x"], where["y"])
    card = page.locator("#scene3d-card[data-id='PMP-1']")
    card.locator("tr[data-point=outlet_pressure_kpa]").wait_for(timeout=10_000)
    text = card.inner_text()
    assert "PMP-1" in text and "310" in text and "Open alarms" in text, text
    assert card.locator(".status").get_attribute("data-status") == "ok"
    card.locator(".card-chart svg").wait_for(timeout=10_000)


def test_mqtt_state_change_recolours_the_object_within_1s(console_server, browser_page):
    """Item 3: the pump trips on MQTT; its object turns the alarm colour within 1 s, in the
    material and on screen; PMP-2 does not; the alarm blinks; the server drew no picture."""
    page, server = browser_page, console_server
    server.publish_state("pump", "PMP-1", {"run_state": "running", "outlet_pressure_kpa": 300.0}, seq=201)
    _open_3d(page, server)
    page.wait_for_function("() => Scene3D.view.statuses['PMP-1'] === 'ok'", timeout=10_000)
    alarm_hex = STATUS_COLORS["alarm"].lower()
    assert page.evaluate("Scene3D.colourOf('PMP-1')") != alarm_hex
    pictures = []
    page.on("request", lambda r: pictures.append(r.url) if "/console/api/live/view.png" in r.url else None)
    where = page.evaluate("Scene3D.screenOf('PMP-1')")

    # From before the test's MQTT client connects (its disconnect afterwards takes about a second,
    # which is the helper's, not the twin's) to when the browser wrote the new colour (epoch ms).
    published_ms = time.time() * 1000
    server.publish_state("pump", "PMP-1", {"run_state": "tripped", "outlet_pressure_kpa": 80.0}, seq=202)
    page.wait_for_function(f"() => Scene3D.colourOf('PMP-1') === '{alarm_hex}'", timeout=5_000, polling=20)
    recoloured_s = (page.evaluate("Scene3D.view.changedAt['PMP-1']") - published_ms) / 1000
    assert 0 <= recoloured_s <= 1.0, f"PMP-1 recoloured {recoloured_s:.2f} s after the publish (issue: within 1 s)"
    page.wait_for_timeout(100)
    assert _near(_canvas_pixel(page, where["x"], where["y"]), status_rgb("alarm")), "not alarm-coloured on screen"
    assert page.evaluate("Scene3D.colourOf('PMP-2')") != alarm_hex
    # The alarm blinks where it is (its halo toggles), and nothing was rendered by the server.
    page.wait_for_function("() => Scene3D.view.blinking.has('PMP-1')", timeout=10_000)
    seen = set()
    for _ in range(8):
        seen.add(page.evaluate("Scene3D.view.objects.get('PMP-1').userData._halo.visible"))
        page.wait_for_timeout(150)
    assert seen == {True, False}, seen
    assert not pictures, pictures


def test_isolating_a_floor_hides_the_others(console_server, browser_page):
    """Item 4: one floor shown (its rooms labelled), the others hidden and not pickable; cut away."""
    page, server = browser_page, console_server
    _open_3d(page, server)
    assert page.evaluate("Scene3D.visibleFloors()") == ["G", "L1"]
    before = page.evaluate("Scene3D.screenOf('PMP-1')")
    page.select_option("#live-floor", "L1")
    page.select_option("#live-mode", "floor")
    assert page.evaluate("Scene3D.visibleFloors()") == ["L1"]
    assert page.evaluate("Scene3D.view.floors.map(f => f.group.visible)") == [False, True]
    assert not page.evaluate("Scene3D.screenOf('PMP-1')")["visible"]
    picked = page.evaluate(f"(Scene3D.view.pick({before['x']}, {before['y']}) || {{}}).id")
    assert picked != "PMP-1"
    rooms = [s for s in server.live.building.spaces if s.floor == "L1" and not s.void]
    page.wait_for_function(f"() => document.querySelectorAll('#scene3d-labels .room').length === {len(rooms)}",
                           timeout=5_000)
    page.select_option("#lang", "zh-CN")
    page.wait_for_function("() => [...document.querySelectorAll('#scene3d-labels .room')]"
                           ".some((el) => el.textContent.includes('办公室'))", timeout=10_000)
    page.select_option("#lang", "en")
    # Cut away the floors above the ground floor: the ground floor and its pump come back.
    page.select_option("#live-floor", "G")
    page.select_option("#live-mode", "cut")
    assert page.evaluate("Scene3D.visibleFloors()") == ["G"]
    assert page.evaluate("Scene3D.screenOf('PMP-1')")["visible"]
    page.select_option("#live-mode", "all")
    assert page.evaluate("Scene3D.visibleFloors()") == ["G", "L1"]


def test_where_things_are_on_screen_follows_a_view_change_before_it_is_drawn(console_server, browser_page):
    """A view changed and asked at once, before the next frame is drawn (what a loaded machine does
    between a click on the view picker and the next question): where the pump is on screen, and what
    a click there picks, are those of the new view — not of the camera of the last frame drawn (CI
    once saw the ground floor's pump "off screen" right after the floor was cut away at it)."""
    page, server = browser_page, console_server
    _open_3d(page, server)
    at_once = page.evaluate("""() => { const v = Scene3D.view;
        v.setView('floor', 'L1'); v.setView('cut', 'G');  // no frame drawn in between, nor after
        const s = Scene3D.screenOf('PMP-1'); return { s, picked: (v.pick(s.x, s.y) || {}).id }; }""")
    page.wait_for_timeout(300)  # frames drawn now
    drawn = page.evaluate("Scene3D.screenOf('PMP-1')")
    assert at_once["s"]["visible"] and at_once["picked"] == "PMP-1", at_once
    assert abs(at_once["s"]["x"] - drawn["x"]) < 0.5 and abs(at_once["s"]["y"] - drawn["y"]) < 0.5, (at_once, drawn)
    page.evaluate("Scene3D.view.setView('all')")


def test_without_webgl_the_server_picture_stays(console_server, browser_page):
    """Item 5: a browser without WebGL gets the server-rendered picture, as before."""
    page, server = browser_page, console_server
    page.add_init_script("""(() => { const get = HTMLCanvasElement.prototype.getContext;
        HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
          return /webgl/.test(kind) ? null : get.call(this, kind, ...rest); }; })()""")
    page.goto(f"{server.base_url}/console/#token={server.token}&lang=en&tab=live")
    page.wait_for_selector("#live-img[data-version]", timeout=60_000)
    assert page.evaluate("Scene3D.active") is False
    assert page.locator("#scene3d-canvas").count() == 0
    assert page.locator("#live-img").is_visible()


def test_lift_car_follows_its_reported_floor(console_server, browser_page):
    """Item 6: LIFT-1 reports floor L1 (then a position in metres); its car stands at that height
    in the browser (the rule of viewer/live.py's car_height), drawn where the batch puts it."""
    page, server = browser_page, console_server
    _open_3d(page, server)
    l1 = server.live.building.floor_by_id["L1"].elevation_m
    server.publish_state("elevator", "LIFT-1", {"floor": "L1", "door": "closed", "load_kg": 0.0}, seq=301)
    page.wait_for_function(f"() => Scene3D.view.objects.get('LIFT-1').userData.z_m === {l1}", timeout=10_000)
    server.publish_state("elevator", "LIFT-1", {"position_m": 1.75, "door": "closed"}, seq=302)
    page.wait_for_function("() => Scene3D.view.objects.get('LIFT-1').userData.z_m === 1.75", timeout=10_000)
    # The drawn vertices moved with it: the car's lowest drawn point is its floor's height.
    lowest = page.evaluate("""() => { const v = Scene3D.view, r = v.batch.ranges.get('LIFT-1');
        let y = Infinity; for (let k = 0; k < r.count; k++) y = Math.min(y, v.batch.pos.getY(r.start + k));
        return y; }""")
    assert lowest == pytest.approx(1.75, abs=1e-4)


def test_a_rooms_card_names_its_use_in_words(console_server, browser_page):
    """Item 7 (H-WORDS2): G-PLT's card reads "Use: Plant room" in English and "用途: 设备间" in Chinese
    (twin/spec.py SPACE_KIND_WORDS, served as space_kind.*), not the code name plant_room, which
    stays in data-space-kind."""
    page, server = browser_page, console_server
    _open_3d(page, server)
    page.evaluate("Scene3D.showCard('G-PLT')")
    kind = page.locator("#scene3d-card[data-id='G-PLT'] .space-kind")
    kind.wait_for(timeout=10_000)
    assert kind.inner_text() == "Plant room" and kind.get_attribute("data-space-kind") == "plant_room"
    page.select_option("#lang", "zh-CN")
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'", timeout=10_000)
    page.evaluate("Scene3D.showCard('G-PLT')")
    page.wait_for_function("() => document.querySelector('#scene3d-card .space-kind')?.textContent === '设备间'",
                           timeout=10_000)
    card = page.inner_text("#scene3d-card")
    assert "用途" in card and "plant_room" not in card, card
    page.select_option("#lang", "en")
