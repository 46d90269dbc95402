"""The web console in a real headless Chromium, against the real API, live twin and Mosquitto.

1. A fault published to the broker (a pump reporting ``run_state: tripped``, which the default
   rules raise as a major alarm) turns that pump's glyph in the console's live 3D picture the
   alarm colour within a few seconds; the pixels are read from a screenshot of the page.
2. A scenario is run from the console's form (a parameter changed, replications set) and its
   results page shows the KPI table, the charts and the report.
3. A fire alarm published to the broker starts an evacuation forecast (the shipped trigger); the
   alarms tab links to it beside the alarm, and its results say what live state it started from.
4. The labels switch to Simplified Chinese, and are drawn in a CJK font (not as boxes).
"""

from __future__ import annotations

import io
import re
import subprocess
import time

import numpy as np
import pytest

from tests.conftest import ensure_debian_package
from viewer.scene import STATUS_COLORS, status_rgb

pytestmark = pytest.mark.slow


def _open_console(page, server, hash_part: str = "") -> None:
    page.goto(f"{server.base_url}/console/#token={server.token}&lang=en{hash_part}")


def _image_pixels(page, selector: str) -> np.ndarray:
    from PIL import Image

    png = page.locator(selector).screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _near(pixel: np.ndarray, colour: tuple[int, int, int], tol: int = 12) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - np.array(colour)) <= tol))


def test_fault_turns_pump_alarm_colour_in_browser(console_server, browser_page):
    page, server = browser_page, console_server
    _open_console(page, server)
    page.wait_for_selector("#live-img[data-version]", timeout=60_000)
    query = page.get_attribute("#live-img", "data-query")
    where = server.get(f"/console/api/live/locate?{query}", equipment="PMP-1").json()
    assert where["visible"], where
    img_before = _image_pixels(page, "#live-img")
    scale_x = img_before.shape[1] / where["width"]
    scale_y = img_before.shape[0] / where["height"]
    x, y = int(round(where["x"] * scale_x)), int(round(where["y"] * scale_y))
    alarm = status_rgb("alarm")
    assert not _near(img_before[y, x], alarm), f"pump already alarm-coloured: {img_before[y, x]}"

    server.publish_state("pump", "PMP-1", {"run_state": "tripped", "outlet_pressure_kpa": 80.0}, seq=1)
    published = time.monotonic()
    deadline = published + 10.0
    seen = None
    while time.monotonic() < deadline:
        img = _image_pixels(page, "#live-img")
        patch = img[max(0, y - 1):y + 2, max(0, x - 1):x + 2].reshape(-1, 3)
        if any(_near(p, alarm) for p in patch):
            seen = time.monotonic() - published
            break
        page.wait_for_timeout(250)
    assert seen is not None, (f"PMP-1 at ({x}, {y}) never turned {STATUS_COLORS['alarm']} within 10 s; "
                              f"pixel is {img[y, x]}")
    # The other pump keeps its colour: the change is where the fault is.
    other = server.get(f"/console/api/live/locate?{query}", equipment="PMP-2").json()
    ox, oy = int(round(other["x"] * scale_x)), int(round(other["y"] * scale_y))
    assert not _near(img[oy, ox], alarm)
    # And the alarm is listed on the alarms tab, where an engineer acknowledges it with one click.
    # The table is updated in place (rows keyed by alarm id), so the button clicked is the one
    # that stays on the page while alarms stream in: one click, then the row says so.
    page.click("#tabs button[data-tab=alarms]")
    row = page.locator("#alarm-table tr[data-alarm]", has=page.locator("a[data-equipment=PMP-1]"))
    row.locator("button.ack").wait_for(timeout=15_000)
    alarm_id = row.get_attribute("data-alarm")
    button = row.locator("button.ack").element_handle()
    page.evaluate("async () => { await loadAlarms(); await loadAlarms(); }")  # refreshes, as alarms stream in
    assert button.evaluate("(b) => b.isConnected"), "a refresh replaced the acknowledge button"
    button.click()
    acked = page.locator(f'#alarm-table tr[data-alarm="{alarm_id}"]')
    acked.locator("button.ack").wait_for(state="detached", timeout=20_000)
    assert "Acknowledged by" in acked.inner_text(), acked.inner_text()
    alarms = server.get("/twin/alarms", state="open").json()["alarms"]
    assert any(str(a["id"]) == alarm_id and a["acknowledged"] for a in alarms), alarms


def test_run_scenario_from_form_shows_results(console_server, browser_page):
    page, server = browser_page, console_server
    _open_console(page, server, "&tab=scenarios")
    page.wait_for_selector("#scenario-list li[data-name=viewer-block-drill]", timeout=60_000)
    page.click("#scenario-list li[data-name=viewer-block-drill]")
    page.wait_for_selector("#run-form", timeout=30_000)
    page.fill("#f-replications", "2")
    page.fill("#p-alarm_delay_s", "30")
    page.click("#run-submit")
    page.wait_for_selector("#results-title", timeout=180_000)
    table = page.inner_text("#run-detail .kpi-table")
    assert "rset_s" in table and "mean_evacuation_s" in table
    assert page.locator("#run-detail .charts svg").count() >= 3
    # The run really used the form's value.
    runs = server.get("/runs").json()["runs"]
    done = [r for r in runs if r["scenario"] == "viewer-block-drill" and r["status"] == "done"]
    assert done
    summary = server.get(f"/runs/{done[0]['id']}/summary").json()
    assert summary["parameters"]["alarm_delay_s"] == 30
    assert summary["replications"] == 2


def test_fire_alarm_forecast_is_beside_the_alarm(console_server, browser_page):
    """A fire alarm published to Mosquitto starts the shipped trigger's evacuation forecast from
    the live twin; the alarms tab shows a link to it beside the alarm, and its results page says
    which live conditions it started from (the fire floor of the alarm's zone)."""
    page, server = browser_page, console_server
    _open_console(page, server, "&tab=alarms")
    page.wait_for_selector("#alarm-table", timeout=60_000)
    server.publish_event("fire", "FAP-1", {"type": "fire_alarm", "severity": "critical", "active": True,
                                           "zone": "Z-L1"})
    row = page.locator("#alarm-table tr[data-alarm='event:fire_alarm:FAP-1:Z-L1']")
    link = row.locator("a.forecast:visible")
    link.wait_for(timeout=30_000)
    run_id = link.get_attribute("data-run")
    run = server.get(f"/runs/{run_id}").json()
    assert run["created_by"] == "trigger:fire-evacuation-forecast" and run["from_live"] is True
    deadline = time.monotonic() + 180
    while server.get(f"/runs/{run_id}").json()["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.5)
    # Beside the link, once the run is done: its headline figures (RSET first, for an evacuation).
    figures = row.locator(".forecast-figures")
    page.wait_for_function("(el) => el.textContent.includes('rset_s')", arg=figures.element_handle(), timeout=30_000)
    rset = server.get(f"/runs/{run_id}/summary").json()["kpis"]["rset_s"]["mean"]
    shown = re.search(r"rset_s ([\d,.]+) s", figures.inner_text())
    assert shown and abs(float(shown.group(1).replace(",", "")) - rset) <= 0.01 * rset, figures.inner_text()
    link.click()
    page.wait_for_selector("#run-detail .live-notes", timeout=60_000)
    notes = page.inner_text("#run-detail .live-notes")
    assert "Started from the live twin" in notes and "fire floor L1 from the live fire alarm" in notes
    assert "started by an alarm" in page.inner_text(f"#run-table tr[data-id='{run_id}']")


def _cjk_font() -> str | None:
    """The first font fontconfig knows with Chinese glyphs, if any."""
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return found.splitlines()[0] if found.strip() else None


# Two different characters drawn in the page's font (canvas text falls back through fonts as the page's
# text does): without a CJK font both are the same "missing glyph" box, pixel for pixel.
_DRAW_TWO_GLYPHS = """(selector) => {
  const family = getComputedStyle(document.querySelector(selector)).fontFamily;
  const draw = (ch) => {
    const canvas = document.createElement("canvas");
    canvas.width = 48; canvas.height = 48;
    const g = canvas.getContext("2d");
    g.font = `32px ${family}`; g.fillStyle = "#000"; g.fillText(ch, 4, 38);
    const alpha = [];
    const px = g.getImageData(0, 0, 48, 48).data;
    for (let i = 3; i < px.length; i += 4) alpha.push(px[i]);
    return alpha;
  };
  const a = draw("报"), b = draw("警");
  return { ink: Math.min(a.filter((v) => v > 0).length, b.filter((v) => v > 0).length),
           same: a.join(",") === b.join(",") };
}"""


def test_labels_in_simplified_chinese(console_server, browser_page):
    ensure_debian_package("fonts-wqy-microhei", _cjk_font)
    page, server = browser_page, console_server
    page.goto(f"{server.base_url}/console/#token={server.token}&lang=zh-CN")
    page.wait_for_function("() => document.documentElement.lang === 'zh-CN'", timeout=30_000)
    assert page.inner_text("#tabs button[data-tab=live]") == "实时三维"
    assert page.inner_text("#tabs button[data-tab=alarms]") == "报警"
    glyphs = page.evaluate(_DRAW_TWO_GLYPHS, "#tabs button[data-tab=alarms]")
    assert glyphs["ink"] > 0 and not glyphs["same"], "报 and 警 are drawn as the same box: no CJK font in the stack"
    page.select_option("#lang", "en")
    page.wait_for_function("() => document.querySelector('#tabs button[data-tab=live]').textContent === 'Live 3D'")
