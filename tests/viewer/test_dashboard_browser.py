"""Issue 15 section 3 in a real headless Chromium: the alarm history, equipment history ranges, the dashboard.

Against the real API, live twin and Mosquitto of ``console_server`` (the viewer test block, no
device simulator: only what a test publishes happens).

1. Alarm history: a pump trip published to the broker is acknowledged on the alarms tab with a
   note; the history tab, filtered by system and severity, lists its raised and acknowledged steps
   with the note, the step filter narrows it, and the CSV download holds the same rows and note.
2. Equipment history beyond the last hour: samples published with times 3–5 h ago are absent
   from "last hour", present in "last day", and exactly those six in a custom range.
3. The supervisor's dashboard in Simplified Chinese: work orders of an operations run recorded in
   the run store against the 30 min / 2 h promises, failures and availability by system, alarms
   by system over time; printable (the print stylesheet hides the console's chrome).
4. The equipment tab names each item's storey as the rest of the console does (the 3D card, the
   floor pickers): "Ground" in English, 1层 in Chinese, in the table and the detail line; the
   floor's id stays in data-floor.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
NOTE = "阀门已关闭 valve closed"


def _open_console(page, server, lang: str = "en", tab: str = "") -> None:
    page.goto(f"{server.base_url}/console/#token={server.token}&lang={lang}" + (f"&tab={tab}" if tab else ""))


def _shot(page, name: str) -> None:
    """A screenshot of the view into $TWIN_CONSOLE_SCREENSHOTS when it is set (for the README's gallery)."""
    folder = os.environ.get("TWIN_CONSOLE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _publish_state_at(server, system: str, device: str, values: dict, seq: int, ts_ms: int) -> None:
    """A state message with a device time of our choosing (history arrives late from a gateway's buffer)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from twin.live.topics import device_topic

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"dash-test-{seq}-{time.monotonic_ns()}")
    client.connect(server.broker.host, server.broker.port)
    client.loop_start()
    try:
        payload = {"ts": ts_ms, "seq": seq, "values": values, "quality": "good"}
        client.publish(device_topic(server.building_id, system, device, "state"), json.dumps(payload),
                       qos=1).wait_for_publish(5)
    finally:
        client.loop_stop()
        client.disconnect()


def _wait(fn, timeout_s: float = 15.0):
    deadline = time.monotonic() + timeout_s
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_alarm_history_filters_note_and_csv(console_server, browser_page, tmp_path):
    """issue 15 §3 item 1: filtered history, the acknowledgement's note shown, CSV download."""
    page, server = browser_page, console_server
    server.publish_event("pump", "PMP-2", {"type": "pump_trip", "severity": "major", "active": True})
    _open_console(page, server, tab="alarms")
    row = page.locator("#alarm-table tr[data-alarm]", has=page.locator("a[data-equipment=PMP-2]"))
    row.locator("button.ack").wait_for(timeout=20_000)
    row.locator(".ack-note").fill(NOTE)
    row.locator("button.ack").click()
    row.locator("button.ack").wait_for(state="detached", timeout=20_000)

    page.click("#tabs button[data-tab=history]")
    page.wait_for_selector("#history-form", timeout=10_000)
    page.select_option("#history-system", "pump")
    page.select_option("#history-severity", "major")
    page.click("#history-apply")
    page.wait_for_selector("#history-table tr[data-transition=acknowledged]", timeout=15_000)
    rows = page.locator("#history-table tbody tr")
    steps = [rows.nth(i).get_attribute("data-transition") for i in range(rows.count())]
    assert steps[:2] == ["acknowledged", "raised"], steps  # newest first
    acked = page.locator("#history-table tr[data-transition=acknowledged]")
    assert NOTE in acked.inner_text() and "PMP-2" in acked.inner_text()
    for i in range(rows.count()):  # every row is of the filters: a pump, major
        assert "Pumps" in rows.nth(i).inner_text() and "Major" in rows.nth(i).inner_text()
    # The step filter narrows the list to the acknowledgements.
    page.select_option("#history-transition", "acknowledged")
    page.click("#history-apply")
    page.wait_for_function("() => document.querySelectorAll('#history-table tbody tr').length === 1", timeout=10_000)
    assert page.get_attribute("#history-table", "data-total") == "1"
    # The CSV download has the same rows (all steps of the filters), the note intact.
    page.select_option("#history-transition", "")
    with page.expect_download(timeout=15_000) as download:
        page.click("#history-csv")
    path = tmp_path / "history.csv"
    download.value.save_as(path)
    assert download.value.suggested_filename.startswith("alarm-history-")
    lines = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    assert [r["transition"] for r in lines][:2] == ["acknowledged", "raised"]
    assert all(r["system"] == "pump" and r["severity"] == "major" for r in lines)
    assert lines[0]["note"] == NOTE and lines[0]["device"] == "PMP-2"
    _shot(page, "alarm-history-en")
    page.select_option("#lang", "zh-CN")
    page.wait_for_function("() => document.querySelector('#history-apply').textContent === '查询'", timeout=10_000)
    page.wait_for_selector("#history-table tr[data-transition=acknowledged]", timeout=10_000)
    assert "确认" in page.inner_text("#history-table") and NOTE in page.inner_text("#history-table")
    _shot(page, "alarm-history-zh-CN")


def test_equipment_history_beyond_the_last_hour(console_server, browser_page):
    """issue 15 §3 item 2: a range picker (last hour / day / custom) over the twin's history."""
    page, server = browser_page, console_server
    now = int(time.time() * 1000)
    old = [now - 5 * 3_600_000 + i * 1_800_000 for i in range(5)]  # 5 h, 4.5 h, … 3 h ago
    for seq, ts in enumerate(old + [now - 2.5 * 3_600_000], start=1):
        _publish_state_at(server, "pump", "PMP-1", {"outlet_pressure_kpa": 400.0 + seq}, seq, int(ts))
    _publish_state_at(server, "pump", "PMP-1", {"outlet_pressure_kpa": 420.0}, 50, now)
    server.live.flush(5)
    assert _wait(lambda: len(server.get("/twin/equipment/PMP-1/history", point="outlet_pressure_kpa",
                                        start_ms=now - 6 * 3_600_000, end_ms=now + 1).json()["samples"]) == 7)
    _open_console(page, server, tab="equipment")
    page.wait_for_selector("#equipment-table tr[data-id=PMP-1]", timeout=30_000)
    page.click("#equipment-table tr[data-id=PMP-1]")
    page.wait_for_selector("#history-chart[data-range=hour]", timeout=15_000)
    assert page.get_attribute("#history-chart", "data-samples") == "1"  # only the current sample is in the hour
    page.select_option("#eq-range", "day")
    page.wait_for_selector("#history-chart[data-range=day]", timeout=15_000)
    assert page.get_attribute("#history-chart", "data-samples") == "7"
    assert page.locator("#history-chart svg path").count() >= 1
    # A custom range from 6 h to 2 h ago: the six old samples, none of now.
    page.select_option("#eq-range", "custom")
    page.fill("#eq-from", page.evaluate("(ms) => localInput(ms)", now - 6 * 3_600_000))
    page.fill("#eq-to", page.evaluate("(ms) => localInput(ms)", now - 2 * 3_600_000))
    page.click("#eq-apply")
    page.wait_for_selector("#history-chart[data-range=custom]", timeout=15_000)
    assert page.get_attribute("#history-chart", "data-samples") == "6"
    assert "6" in page.inner_text("#eq-history-hint")
    _shot(page, "equipment-history-custom-en")


def test_equipment_tab_names_the_storey(console_server, browser_page):
    """Item 4 (H-WORDS2): PMP-1's floor reads "Ground" (the building's name for G) in English and 1层
    in Chinese, in the equipment table and in the detail line, as the 3D card says it; not the id "G"."""
    page, server = browser_page, console_server
    _open_console(page, server, tab="equipment")
    cell = page.locator("#equipment-table tr[data-id=PMP-1] td[data-floor]")
    cell.wait_for(timeout=30_000)
    assert cell.get_attribute("data-floor") == "G" and cell.inner_text() == "Ground"
    page.click("#equipment-table tr[data-id=PMP-1]")
    line = page.locator("#equipment-detail .floor[data-floor=G]")
    line.wait_for(timeout=15_000)
    assert line.inner_text() == "Ground"
    page.select_option("#lang", "zh-CN")
    page.wait_for_function("() => document.querySelector('#equipment-table tr[data-id=PMP-1] td[data-floor]')"
                           "?.textContent === '1层'", timeout=15_000)
    page.wait_for_function("() => document.querySelector('#equipment-detail .floor')?.textContent === '1层'",
                           timeout=15_000)
    # The filter finds equipment by its storey as the table names it: 1层 keeps PMP-1, and only what is on G.
    page.fill("#equipment-filter", "1层")
    page.wait_for_function("() => { const rows = [...document.querySelectorAll('#equipment-table tbody tr')];"
                           " return rows.length > 0 && rows.some((r) => r.dataset.id === 'PMP-1')"
                           " && rows.every((r) => r.querySelector('td[data-floor]').dataset.floor === 'G'); }",
                           timeout=15_000)
    page.fill("#equipment-filter", "")
    page.select_option("#lang", "en")


@pytest.fixture(scope="module")
def operations_run(console_server, tmp_path_factory):
    """A short operations run (2 days, 2 replications of the tower baseline) in the server's run store."""
    from api.runs import record_results

    out = tmp_path_factory.mktemp("ops-run") / "ops"
    subprocess.run([sys.executable, "-m", "api", "run", "ops-tower-baseline", "-n", "2", "--set", "horizon_s=172800",
                    "--no-report", "--no-store", "--out", str(out)], check=True, cwd=REPO, capture_output=True)
    rec, _ = record_results(out, console_server.app.state.ctx.settings.data_dir)
    return rec


def test_dashboard_in_chinese_and_printable(console_server, browser_page, operations_run):
    """issue 15 §3 item 3: the supervisor's dashboard in zh-CN — promises, failures, availability, alarms by
    system — and its print stylesheet."""
    page, server = browser_page, console_server
    server.publish_event("pump", "PMP-1", {"type": "pump_trip", "severity": "major", "active": True})
    assert _wait(lambda: any(a["device"] == "PMP-1" for a in server.get("/twin/alarms").json()["alarms"]))
    expected = server.get("/twin/dashboard").json()
    _open_console(page, server, lang="zh-CN", tab="dashboard")
    page.wait_for_selector("#dash-orders-table", timeout=30_000)
    assert "主管看板" in page.inner_text("#dash-title")
    assert page.inner_text("#tabs button[data-tab=dashboard]") == "主管看板"
    orders = page.inner_text("#dash-orders")
    assert "紧急报修" in orders and "一般报修" in orders and "30 分钟" in orders and "120 分钟" in orders
    assert operations_run.id in orders
    for priority in ("emergency", "ordinary"):
        share = expected["work_orders"]["by_priority"][priority]["share_within"]
        cell = page.locator(f"#dash-orders-table tr[data-priority={priority}] td[data-share]")
        assert float(cell.get_attribute("data-share")) == pytest.approx(share)
        assert page.locator(f".chart[data-histogram={priority}] svg rect").count() >= 1
    # Live incidents against the same promises: the pump trip is a major alarm not yet acknowledged.
    live = page.inner_text("#dash-live-table")
    assert "重要" in live and "紧急" in live
    assert expected["live_response"]["ordinary"]["not_attended"] >= 1
    pumps = page.locator("#dash-systems-table tr[data-system=pump]")
    assert "水泵" in pumps.inner_text()
    assert float(pumps.locator("td[data-availability]").get_attribute("data-availability")) < 1.0
    assert expected["systems"]["pump"]["failures"] >= 1
    assert page.locator("#dash-alarms svg rect").count() >= 1
    assert "故障" in page.inner_text(".dash-definitions")
    _shot(page, "dashboard-zh-CN")
    page.select_option("#lang", "en")
    page.wait_for_function("() => document.querySelector('#dash-title').textContent.startsWith('Supervisor')",
                           timeout=15_000)
    assert "Emergency repairs" in page.inner_text("#dash-orders")
    _shot(page, "dashboard-en")
    # On paper: the console's header, tabs and toolbars go; the figures stay.
    page.emulate_media(media="print")
    assert page.locator("#tabs").is_hidden() and page.locator("#dash-print").is_hidden()
    assert page.locator("#dash-orders-table").is_visible() and page.locator("#dash-systems-table").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF"
