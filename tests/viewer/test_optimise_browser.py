"""The console's optimiser panel in a real headless Chromium, against the real API (issue 12 item 8).

A supervisor opens a scenario whose file carries an ``optimise:`` block, finds the form filled
from it, starts the search, and reads the plans tried (with the best one marked and each
infeasible plan's reason) and the frontier chart — in English, then in Simplified Chinese.
"""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import DATA

pytestmark = pytest.mark.slow

SCENARIO = """name: desk-opt
description: {en: "Repair desk: fewest technicians", zh-CN: "报修中心：最少维修人员"}
model: repair_desk
building: two_storey.yaml
seed: 11
replications: 4
horizon_s: 345600
params: {emergency_per_h: 6.0, ordinary_per_h: 0.0, repair_mean_min: 20, technicians: 3}
optimise:
  minimise: params.technicians
  subject_to: ["emergency_within_sla>=0.95"]
  over: ["params.technicians=3..5"]
  trials: 10
"""


def test_optimiser_panel_runs_a_search_and_shows_plans_and_frontier(console_server, browser_page):
    """issue 12 item 8: the console's panel, filled from the scenario's optimise: block, starts a
    search (POST /optimise) and shows every plan (best marked, why not) and the frontier chart,
    with labels in the language chosen (en, then zh-CN)."""
    page, server = browser_page, console_server
    folder = server.app.state.ctx.settings.scenarios_dir
    shutil.copy(DATA / "two_storey.yaml", folder / "two_storey.yaml")
    (folder / "desk-opt.yaml").write_text(SCENARIO, encoding="utf-8")

    page.goto(f"{server.base_url}/console/#token={server.token}&lang=en&tab=scenarios")
    page.wait_for_selector("#scenario-list li[data-name=desk-opt]", timeout=60_000)
    page.click("#scenario-list li[data-name=desk-opt]")
    page.wait_for_selector("#optimise-form", timeout=30_000)
    assert "Cheapest plan that keeps the promises" in page.inner_text("#optimise-form legend")
    assert page.input_value("#o-objective") == "params.technicians"
    # The structured form (form.js, issue 15 §2): the optimise: block's range and promise as rows.
    assert page.input_value("#o-ranges .r-param") == "params.technicians"
    assert (page.input_value("#o-ranges .r-low"), page.input_value("#o-ranges .r-high")) == ("3", "5")
    assert page.input_value("#o-constraints .c-kpi") == "emergency_within_sla"
    assert (page.input_value("#o-constraints .c-op"), page.input_value("#o-constraints .c-value")) == (">=", "0.95")

    # The same, in Chinese: the search runs from the filled form.
    page.goto(f"{server.base_url}/console/#token={server.token}&lang=zh-CN&tab=scenarios")
    page.reload()
    page.wait_for_selector("#scenario-list li[data-name=desk-opt]", timeout=60_000)
    page.click("#scenario-list li[data-name=desk-opt]")
    page.wait_for_selector("#optimise-form", timeout=30_000)
    assert "满足承诺的最省方案" in page.inner_text("#optimise-form legend")
    page.click("#optimise-submit")
    page.wait_for_function("() => document.querySelector('#optimise-plans') || "
                           "document.querySelector('#optimise-progress .warn') || "
                           "/失败/.test(document.querySelector('#optimise-progress').textContent)", timeout=180_000)
    assert page.locator("#optimise-plans").count() == 1, page.inner_text("#optimise-progress")
    table = page.inner_text("#optimise-plans")
    assert "紧急报修 30 分钟内到场率" in table and "emergency_within_sla" in table
    rows = page.locator("#optimise-plans tbody tr")
    assert rows.count() == 3
    best = page.locator("#optimise-plans tr.best")
    assert best.count() == 1 and best.locator("td").nth(1).inner_text().strip() == "4", table
    infeasible = page.locator('#optimise-plans tr[data-feasible="false"]')
    assert infeasible.count() >= 1 and "紧急报修 30 分钟内到场率：" in infeasible.first.inner_text()  # why not
    assert "最佳方案" in page.inner_text("#optimise-message")
    page.wait_for_function("() => document.querySelector('#optimise-frontier').naturalWidth > 100", timeout=30_000)
    # The search is a job of the run list too: the best plan's run opens from the panel.
    page.click("#optimise-open-run")
    page.wait_for_selector("#results-title", timeout=60_000)
