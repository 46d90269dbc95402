"""The scenario form in a real headless Chromium, against the real API (issue 15 §2, first bullet).

A planner changes a scenario without YAML: the form is generated from the model's JSON Schema,
so the evacuation's fire timeline is a list of typed rows whose stair and space are picked from
the building's own (GET /buildings/{key}/choices); a sweep is a parameter and its values; the
optimiser is objective, promises and ranges as rows. Each test submits from the form and reads
what the server got back — the run's changes, its sweep points, the optimiser's request.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.conftest import DATA

pytestmark = pytest.mark.slow

DRILL = """name: form-block-drill
title: {{en: "Form drill", zh-CN: "表单演练"}}
description: Drill of the viewer test block for the form
model: evacuation
building: {building}
seed: 5
replications: 2
horizon_s: 1200
params:
  alarm_delay_s: 0
"""

DESK = """name: form-desk-opt
description: {en: "Repair desk: fewest technicians", zh-CN: "报修中心：最少维修人员"}
model: repair_desk
building: two_storey.yaml
seed: 11
replications: 3
horizon_s: 172800
params: {emergency_per_h: 6.0, ordinary_per_h: 0.0, repair_mean_min: 20, technicians: 3}
"""


def _scenario_file(server) -> str:
    """The drill scenario in the server's scenarios folder, on the live building (the viewer block)."""
    folder = server.app.state.ctx.settings.scenarios_dir
    building = folder.parent.parent / "viewer_block.yaml"
    (folder / "form-block-drill.yaml").write_text(DRILL.format(building=building), encoding="utf-8")
    return "form-block-drill"


def _open(page, server, name: str, lang: str = "en") -> None:
    page.goto(f"{server.base_url}/console/#token={server.token}&lang={lang}&tab=scenarios")
    page.wait_for_selector(f"#scenario-list li[data-name={name}]", timeout=60_000)
    page.click(f"#scenario-list li[data-name={name}]")
    page.wait_for_selector(f"#form-params-fields[data-scenario={name}]", timeout=30_000)


def _run_and_open(page, server) -> dict:
    """Submit the run form; wait for its results to open; the run's summary as the API gives it."""
    with page.expect_response(lambda r: r.url.endswith("/runs") and r.request.method == "POST") as posted:
        page.click("#run-submit")
    response = posted.value
    assert response.status == 202, response.text()
    run_id = response.json()["id"]
    page.wait_for_selector("#results-title", timeout=180_000)
    summary = server.get(f"/runs/{run_id}/summary").json()
    return {"id": run_id, "request": json.loads(response.request.post_data), "summary": summary,
            "run": server.get(f"/runs/{run_id}").json()}


def _add_event(page, kind: str) -> str:
    """Open the fire timeline, add a row and choose its type; the row's path prefix."""
    page.click("details[data-field=events] > summary")
    rows = page.locator("#p-events .form-row")
    n = rows.count()
    page.click("details[data-field=events] .row-add")
    page.wait_for_function(f"() => document.querySelectorAll('#p-events .form-row').length === {n + 1}")
    page.select_option(f"#p-events-{n}-type", kind)
    return f"#p-events-{n}"


def test_close_a_stair_at_a_time_with_the_picker_and_the_run_shows_it(console_server, browser_page):
    """issue 15 §2: the fire timeline is a list of typed rows; "closed" offers the building's own stairs
    (by name, from /buildings/{key}/choices); a lift out of service is picked among the building's cars
    (a multi-select); the run's summary shows both changes."""
    page, server = browser_page, console_server
    name = _scenario_file(server)
    _open(page, server, name)
    assert page.locator("#p-alarm_delay_s").count() == 1
    page.click("details[data-field=lifts] > summary")  # a nested group: its fields drawn when opened
    page.wait_for_selector("#p-lifts-boarding_s")
    row = _add_event(page, "closed")
    stair = page.locator(f"{row}-stair")
    options = stair.locator("option").all_inner_texts()
    assert any("ST-1" in o for o in options), options  # the building's stair, offered by the picker
    stair.select_option("ST-1")
    page.fill(f"{row}-at_s", "60")
    cars = page.locator("#p-lifts-out_of_service")
    assert cars.evaluate("(el) => el.multiple") and "LIFT-1" in cars.locator("option").all_inner_texts()[0]
    cars.select_option(["LIFT-1"])
    out = _run_and_open(page, server)
    assert out["request"]["set"] == {"params.events": [{"type": "closed", "at_s": 60, "stair": "ST-1", "exit": None}],
                                     "params.lifts.out_of_service": ["LIFT-1"]}
    changes = out["summary"]["changes"]
    event = next(c for c in changes if c["path"] == "params.events")
    assert event["to"][0]["type"] == "closed" and event["to"][0]["stair"] == "ST-1" and event["to"][0]["at_s"] == 60
    cars = next(c for c in changes if c["path"] == "params.lifts.out_of_service")
    assert cars["from"] == [] and cars["to"] == ["LIFT-1"]
    shown = page.inner_text("#run-detail .run-changes")
    assert "Fire timeline" in shown and "ST-1" in shown and "Cars out of service" in shown


def test_add_smoke_in_a_space_from_a_time_in_chinese(console_server, browser_page):
    """issue 15 §2: smoke in a space from a time — the space picked among the building's spaces, grouped
    by floor, with the form's words in Chinese; only the change is sent (nothing else in `set`)."""
    page, server = browser_page, console_server
    name = _scenario_file(server)
    _open(page, server, name, "zh-CN")
    assert "火灾事件时间线" in page.inner_text("details[data-field=events] > summary")
    row = _add_event(page, "smoke")
    assert "空间内出现烟气" in page.inner_text(f"{row}-type")
    space = page.locator(f"{row}-space")
    groups = space.locator("optgroup").evaluate_all("(gs) => gs.map((g) => g.label)")
    assert len(groups) == 2, groups  # the block's two floors, in Chinese practice (1层, 2层)
    assert any("1层" in g for g in groups), groups
    space.select_option("L1-COR")
    page.fill(f"{row}-at_s", "30")
    page.fill(f"{row}-speed_factor", "0.5")
    out = _run_and_open(page, server)
    assert list(out["request"]["set"]) == ["params.events"]
    smoke = {"type": "smoke", "at_s": 30, "space": "L1-COR", "speed_factor": 0.5}
    assert out["request"]["set"]["params.events"] == [smoke]
    assert "replications" not in out["request"] and "seed" not in out["request"]  # unchanged: the scenario's
    event = next(c for c in out["summary"]["changes"] if c["path"] == "params.events")
    assert event["to"] == [{"type": "smoke", "at_s": 30.0, "space": "L1-COR", "speed_factor": 0.5}]


def test_the_equipment_kind_picker_reads_in_chinese_with_the_code(console_server, browser_page):
    """H-WORDS: the repair desk's failure models pick an equipment kind of the tower: in Chinese each
    option reads as the kind's Chinese words with its code name after them ("潜水排污泵 (sump_pump)"),
    never the bare code name, and the scenario's own kind is the one chosen."""
    page, server = browser_page, console_server
    _open(page, server, "ops-tower-baseline", "zh-CN")
    page.click("details[data-field=failures] > summary")
    picker = page.locator("#p-failures-2-kind")  # the default failures: lift_car, domestic_booster_pump, sump_pump…
    picker.wait_for(timeout=30_000)
    assert picker.evaluate("(s) => s.value") == "sump_pump"
    assert picker.evaluate("(s) => s.selectedOptions[0].textContent") == "潜水排污泵 (sump_pump)"
    options = picker.locator("option").evaluate_all("(os) => os.map((o) => [o.value, o.textContent])")
    assert len(options) > 20, options
    bare = [(code, words) for code, words in options
            if not re.search(r"[\u3400-\u9fff]", words) or not words.endswith(f" ({code})")]
    assert not bare, bare


def test_sweep_a_parameter_over_three_values_gives_three_points(console_server, browser_page):
    """issue 15 §2: the sweep builder — choose a parameter, give its values — sends `sweep`; the run has
    one point per value, each shown with its heading."""
    page, server = browser_page, console_server
    name = _scenario_file(server)
    _open(page, server, name)
    page.click("#form-sweep-add")
    page.select_option("#form-sweep-rows .sweep-param", "params.alarm_delay_s")
    assert page.inner_text("#form-sweep-rows .sweep-hint") != ""  # the unit of the swept parameter
    page.fill("#form-sweep-rows .sweep-values", "0, 30, 60")
    out = _run_and_open(page, server)
    assert out["request"]["sweep"] == {"params.alarm_delay_s": [0, 30, 60]} and out["request"]["set"] == {}
    points = out["summary"]["points"]
    assert [p["set"]["params.alarm_delay_s"] for p in points] == [0, 30, 60]
    assert page.locator("#run-detail h4").filter(has_text="Alarm delay").count() >= 3


def test_a_bad_value_is_refused_naming_the_field(console_server, browser_page):
    """issue 15 §2: a sweep value that is not a number is refused in the form, naming the parameter; an
    event the building refutes comes back from the server as a 422 naming the field, no run started."""
    page, server = browser_page, console_server
    name = _scenario_file(server)
    _open(page, server, name)
    page.click("#form-sweep-add")
    page.select_option("#form-sweep-rows .sweep-param", "params.alarm_delay_s")
    page.fill("#form-sweep-rows .sweep-values", "0, soon")
    page.click("#run-submit")
    page.wait_for_selector("#run-progress .warn")
    assert "params.alarm_delay_s" in page.inner_text("#run-progress .warn")
    page.click("#form-sweep-rows .row-remove")
    _add_event(page, "closed")  # neither stair nor exit: the model refuses it
    page.click("#run-submit")
    page.wait_for_selector("#run-progress .warn", timeout=30_000)
    assert "events" in page.inner_text("#run-progress .warn"), page.inner_text("#run-progress")


def test_the_optimiser_form_submits_a_structured_request(console_server, browser_page):
    """issue 15 §2: the optimiser is a structured form — objective picker, promise rows (KPI, ≥/≤, value),
    range rows (parameter, low, high, whole numbers) — whose request is the syntax POST /optimise reads,
    with the scenario's changes from the form above as `set`; the search runs and shows its plans."""
    page, server = browser_page, console_server
    folder = server.app.state.ctx.settings.scenarios_dir
    shutil.copy(DATA / "two_storey.yaml", folder / "two_storey.yaml")
    (folder / "form-desk-opt.yaml").write_text(DESK, encoding="utf-8")
    _open(page, server, "form-desk-opt")
    page.select_option("#o-objective", "params.technicians")
    page.select_option("#o-direction", "minimise")
    page.click("#o-add-constraint")
    page.select_option("#o-constraints .c-kpi", "emergency_within_sla")
    page.select_option("#o-constraints .c-op", ">=")
    page.fill("#o-constraints .c-value", "0.95")
    page.click("#o-add-range")
    page.select_option("#o-ranges .r-param", "params.technicians")
    page.fill("#o-ranges .r-low", "3")
    page.fill("#o-ranges .r-high", "5")
    assert page.is_checked("#o-ranges .r-integer")  # an integer parameter is searched in whole numbers
    page.fill("#p-repair_mean_min", "25")  # a change in the form above: the search runs on it
    page.fill("#o-trials", "10")
    with page.expect_request(lambda r: r.url.endswith("/optimise") and r.method == "POST") as req:
        page.click("#optimise-submit")
    body = json.loads(req.value.post_data)
    assert body["scenario"] == "form-desk-opt" and body["minimise"] == "params.technicians"
    assert body["subject_to"] == ["emergency_within_sla>=0.95"]
    assert body["over"] == ["params.technicians=3..5:int"]
    assert body["set"] == {"params.repair_mean_min": 25} and body["trials"] == 10
    page.wait_for_function("() => document.querySelector('#optimise-plans') || "
                           "document.querySelector('#optimise-progress .warn')", timeout=180_000)
    assert page.locator("#optimise-plans tbody tr").count() == 3, page.inner_text("#optimise-progress")


def test_save_as_variant_posts_the_forms_changes(console_server, browser_page):
    """issue 15 §2: "Save as variant" sends ScenarioForm.collect() with the name and title to
    POST /scenarios/variants; the saved variant is listed and opens in the form."""
    page, server = browser_page, console_server
    name = _scenario_file(server)
    _open(page, server, name)
    page.fill("#p-alarm_delay_s", "45")
    page.fill("#variant-name", "form-drill-late-alarm")
    page.fill("#variant-title-en", "Drill with a late alarm")
    page.fill("#variant-title-zh", "报警延迟的演练")
    collected = page.evaluate("() => window.ScenarioForm.collect()")
    assert collected == {"set": {"params.alarm_delay_s": 45}, "sweep": None, "replications": None, "seed": None}
    with page.expect_response(lambda r: r.url.endswith("/scenarios/variants") and r.request.method == "POST") as posted:
        page.click("#variant-save")
    body = json.loads(posted.value.request.post_data)
    assert body == {"name": "form-drill-late-alarm", "based_on": name, "set": {"params.alarm_delay_s": 45},
                    "sweep": None, "replications": None, "seed": None,
                    "title": {"en": "Drill with a late alarm", "zh-CN": "报警延迟的演练"}}
    assert posted.value.status == 201, posted.value.text()
    saved = "li[data-name=form-drill-late-alarm]"  # in the variants list (variants.js), else the library's
    page.wait_for_selector(f"#variant-list {saved}, #scenario-list {saved}", timeout=30_000)
    page.click(f"#variant-list {saved} .label, #scenario-list {saved} .label")
    page.wait_for_function("() => document.querySelector('#p-alarm_delay_s') && "
                           "document.querySelector('#p-alarm_delay_s').value === '45'", timeout=30_000)


LIBRARY = sorted(p.stem for p in (DATA.parent.parent / "scenarios" / "library").glob("*.yaml"))


def test_every_library_scenarios_form_shows_every_parameter_and_changes_nothing(console_server, browser_page):
    """issue 15 §2: the form of every library scenario (every model) is generated from its schema with
    every group, list and mapping opened and drawn — no script error — and, left as shown, sends no
    change at all: every parameter round-trips through its control exactly."""
    page, server = browser_page, console_server
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for name in LIBRARY:
        _open(page, server, name)
        for _ in range(30):  # open every fold, level by level (a fold is drawn when first opened)
            closed = page.evaluate("() => { const c = [...document.querySelectorAll("
                                   "'#form-params-fields details:not([open])')];"
                                   " c.forEach((d) => { d.open = true; }); return c.length; }")
            if not closed:
                break
            page.wait_for_timeout(50)
        fields = page.locator("#form-params-fields [data-path]").count()
        collected = page.evaluate("() => window.ScenarioForm.collect()")
        assert collected == {"set": {}, "sweep": None, "replications": None, "seed": None}, (name, collected)
        assert fields > 3, (name, fields)
    assert not errors, errors
