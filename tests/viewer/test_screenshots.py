"""Screenshots of every view of the web console, in English and in Simplified Chinese (issue 15, "Done when").

One real-Chromium test opens each tab of the console — live 3D, alarms, alarm history, equipment,
scenarios (with a scenario's form and the saved variants), results, compare (three runs), evacuation
playback, the supervisor's dashboard — against the real API, live twin and Mosquitto, with something
on each (an alarm raised over MQTT, evacuation runs of a scenario and of two saved variants, an
operations run), and writes ``docs/screenshots/<view>-<lang>.png``: deterministic names, each a
1400 × 1000 PNG of the browser's viewport, checked to be a picture (not blank) with no error shown.
``docs/screenshots/README.md`` lists them; the README links the folder.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.viewer.test_console_browser import _post, _run_to_end  # the same helpers: POST retrying 429, wait

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "docs" / "screenshots"
VIEWS = ("live", "alarms", "history", "equipment", "scenarios", "runs", "compare", "playback", "dashboard")
LANGS = ("en", "zh-CN")
SIZE = (1400, 1000)  # the browser_page fixture's viewport
BASE = "shot-block"


@pytest.fixture(scope="module")
def content(console_server, tmp_path_factory):
    """Something on every view: an open alarm, a drill with two saved variants and a run of each, and
    an operations run (the dashboard's work orders)."""
    from api.runs import record_results

    server = console_server
    folder = server.app.state.ctx.settings.scenarios_dir
    buildings = folder.parent / "buildings"  # a building loaded into the data folder: named by a short path
    buildings.mkdir(exist_ok=True)
    shutil.copy(folder.parent.parent / "viewer_block.yaml", buildings / "viewer_block.yaml")
    building = "../buildings/viewer_block.yaml"
    (folder / "viewer-block-drill.yaml").unlink(missing_ok=True)  # the fixture's: its building is a temporary path
    (folder / f"{BASE}.yaml").write_text(
        f"name: {BASE}\ntitle: {{en: Block fire drill, zh-CN: 街区消防演练}}\n"
        "description: {en: Everyone leaves the test block after the alarm, zh-CN: 报警后全员撤离测试街区}\n"
        f"model: evacuation\nbuilding: {building}\nseed: 7\nreplications: 3\nhorizon_s: 1800\n"
        "params:\n  alarm_delay_s: 0\n  trace: true\n", encoding="utf-8")
    for name, delay, en, zh in (("shot-delay-60", 60, "Alarm heard after 1 min", "1 分钟后听到报警"),
                                ("shot-delay-240", 240, "Alarm heard after 4 min", "4 分钟后听到报警")):
        r = _post(server, "/scenarios/variants", {"name": name, "based_on": BASE, "set": {"params.alarm_delay_s": delay},
                                                  "title": {"en": en, "zh-CN": zh}})
        assert r.status_code == 201, r.text
    runs = {name: _run_to_end(server, name) for name in (BASE, "shot-delay-60", "shot-delay-240")}
    out = tmp_path_factory.mktemp("ops-run") / "ops"
    subprocess.run([sys.executable, "-m", "api", "run", "ops-tower-baseline", "-n", "2", "--set", "horizon_s=172800",
                    "--no-report", "--no-store", "--out", str(out)], check=True, cwd=REPO, capture_output=True)
    record_results(out, server.app.state.ctx.settings.data_dir)
    server.publish_state("pump", "PMP-1", {"run_state": "tripped", "outlet_pressure_kpa": 80.0}, seq=1)
    deadline = time.monotonic() + 20
    while not server.get("/twin/alarms").json()["alarms"] and time.monotonic() < deadline:
        time.sleep(0.2)
    return runs


def _tab(page, view: str) -> None:
    page.click(f"#tabs button[data-tab={view}]")


def _any(page, *selectors: str, timeout: float = 60_000) -> None:
    """Wait until one of the selectors is on the page (the 3D views draw in WebGL or as a picture)."""
    checks = " || ".join(f"document.querySelector({s!r})" for s in selectors)
    page.wait_for_function(f"() => !!({checks})", timeout=timeout)


def _prepare(page, view: str, runs: dict) -> None:
    """Open the view and wait until what it shows has arrived."""
    _tab(page, view)
    if view == "live":
        _any(page, "#live-viewport[data-scene3d=ready]", "#live-img[data-version]")
        page.wait_for_function("() => !window.Scene3D || !Scene3D.view || Scene3D.view.frames > 0", timeout=20_000)
    elif view == "alarms":
        page.wait_for_selector("#alarm-table tr[data-alarm]", timeout=30_000)
    elif view == "history":
        page.wait_for_selector("#history-table tbody tr", timeout=30_000)
    elif view == "equipment":
        page.wait_for_selector("#equipment-table tr[data-id=PMP-1]", timeout=30_000)
        page.click("#equipment-table tr[data-id=PMP-1]")
        page.wait_for_function("() => document.querySelector('#equipment-detail').children.length > 0", timeout=30_000)
        page.wait_for_selector("#equipment-detail svg", timeout=30_000)
    elif view == "scenarios":
        page.wait_for_selector("#variant-list li[data-variant=shot-delay-60]", timeout=30_000)
        page.click(f"#scenario-list li[data-name={BASE}]")
        page.wait_for_selector("#scenario-detail form", timeout=30_000)
    elif view == "runs":
        page.wait_for_selector(f"#run-table tr[data-id='{runs['shot-delay-240']}']", timeout=30_000)
        page.click(f"#run-table tr[data-id='{runs['shot-delay-240']}']")
        page.wait_for_selector("#results-title", timeout=60_000)
        page.wait_for_selector("#run-detail .run-changes", timeout=10_000)
    elif view == "compare":
        page.wait_for_selector(f".compare-check[value='{runs[BASE]}']", timeout=30_000)
        for name in (BASE, "shot-delay-60", "shot-delay-240"):
            page.check(f".compare-check[value='{runs[name]}']")
        page.click("#compare-go")
        page.wait_for_selector("#compare-table", timeout=60_000)
        assert page.locator("#compare-choose").get_attribute("open") is None  # the choice folded away
    elif view == "playback":
        page.select_option("#playback-run", runs[BASE])  # the drill with the alarm at once: people moving
        page.wait_for_function(f"() => !window.Playback3D || (Playback3D.info && Playback3D.info.run === '{runs[BASE]}')",
                               timeout=60_000)
        _any(page, "#playback-viewport[data-playback3d=ready]", "#playback-img[src]")
        page.evaluate("""() => { const r = document.querySelector('#playback-time');
            r.value = String(Math.round(Number(r.max) * 0.3)); r.dispatchEvent(new Event('input'));
            r.dispatchEvent(new Event('change')); }""")
    elif view == "dashboard":
        page.wait_for_selector("#dash-orders-table", timeout=60_000)
    page.wait_for_timeout(800)  # let charts, fonts and the last frame settle


def _check_png(path: Path) -> None:
    from PIL import Image

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    image = Image.open(io.BytesIO(data))
    assert image.size == SIZE, f"{path.name} is {image.size}, expected {SIZE}"
    pixels = np.asarray(image.convert("RGB"))
    colours = len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert pixels.std() > 10 and colours > 64, f"{path.name} looks blank (std {pixels.std():.1f}, {colours} colours)"


def test_screenshots_of_every_view_in_both_languages(console_server, browser_page, content):
    """issue 15 "Done when": a screenshot of each view of the console in both languages, generated by this
    test into docs/screenshots/<view>-<lang>.png (the README links the folder), each a non-blank PNG of
    the viewport's size, with no error on the page and the tab's label in the language asked for."""
    page, server = browser_page, console_server
    OUT.mkdir(parents=True, exist_ok=True)
    labels = {lang: server.get(f"/console/api/i18n/{lang}").json() for lang in LANGS}
    written = []
    for lang in LANGS:
        page.goto("about:blank")
        page.goto(f"{server.base_url}/console/#token={server.token}&lang={lang}&tab=live")
        page.wait_for_selector("#app:not([hidden])", timeout=60_000)
        for view in VIEWS:
            _prepare(page, view, content)
            words = labels[lang].get(f"nav.{view}")
            if isinstance(words, str):
                assert page.inner_text(f"#tabs button[data-tab={view}]") == words
            assert page.locator("#message").is_hidden() or "info" in (page.get_attribute("#message", "class") or ""), \
                f"{view} in {lang} shows an error: {page.inner_text('#message')}"
            path = OUT / f"{view}-{lang}.png"
            page.screenshot(path=str(path), full_page=False)
            _check_png(path)
            written.append(path.name)
    assert sorted(written) == sorted(f"{v}-{lang}.png" for v in VIEWS for lang in LANGS)
    listed = (OUT / "README.md").read_text(encoding="utf-8")
    assert all(f"({name})" in listed for name in written), "docs/screenshots/README.md does not list every picture"
