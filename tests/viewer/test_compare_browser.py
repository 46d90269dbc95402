"""Saved variants and the N-way compare in a real headless Chromium, against the real API (issue 15 §2,
second and third bullets).

1. Variants saved from a scenario are listed in the scenarios tab with what they change from their
   library scenario; "Run again" runs one and its results say what changed; "Delete" (clicked
   twice) removes its file.
2. Three runs compared side by side: one column per run, each labelled by what it changed, with
   the verdict of each against the baseline; in English and in Chinese.
"""

from __future__ import annotations

import pytest

from tests.viewer.test_console_browser import _finished, _post, _run_to_end, _scenario  # POST retrying 429, wait

pytestmark = pytest.mark.slow

BASE = "cmp-block"


@pytest.fixture(scope="module")
def variants(console_server):
    """The test block's drill in the data folder, two saved variants of it, and a run of each (3 runs)."""
    server = console_server
    _scenario(server, BASE, "  alarm_delay_s: 0\n", replications=3)
    for name, delay in (("cmp-delay-60", 60), ("cmp-delay-240", 240)):
        r = _post(server, "/scenarios/variants", {"name": name, "based_on": BASE, "set": {"params.alarm_delay_s": delay},
                                                  "title": {"en": f"Alarm after {delay} s", "zh-CN": f"{delay} 秒后报警"}})
        assert r.status_code == 201, r.text
    return {name: _run_to_end(server, name) for name in (BASE, "cmp-delay-60", "cmp-delay-240")}


def test_variants_are_listed_rerun_and_deleted_in_the_scenarios_tab(console_server, browser_page, variants):
    """issue 15 §2: the scenarios tab lists saved variants apart from the library, each with its
    library scenario and what it changes; "Run again" runs it and its results show the change from
    the library scenario; "Delete" asks once more, then removes the variant's file."""
    page, server = browser_page, console_server
    folder = server.app.state.ctx.settings.scenarios_dir
    r = _post(server, "/scenarios/variants", {"name": "cmp-doomed", "based_on": BASE, "set": {"params.alarm_delay_s": 5}})
    assert r.status_code == 201, r.text
    page.goto(f"{server.base_url}/console/#token={server.token}&lang=en&tab=scenarios")
    item = page.locator("#variant-list li[data-variant='cmp-delay-60']")
    item.wait_for(timeout=60_000)
    text = item.inner_text()
    assert "Alarm after 60 s" in text and "Based on" in text and BASE in text and "0 → 60" in text, text
    assert page.locator("#scenario-list li[data-name='cmp-delay-60']").count() == 0  # not in the library list
    assert page.locator("#scenario-list li[data-name='cmp-block']").count() == 1
    # Run again: the results open, saying what the run changed from its library scenario.
    item.locator("button.variant-run").click()
    page.wait_for_selector("#results-title", timeout=180_000)
    changes = page.inner_text("#run-detail .run-changes")
    assert "0 → 60" in changes, changes
    run_id = page.evaluate("() => S.runSelected")
    assert server.get(f"/runs/{run_id}").json()["scenario"] == "cmp-delay-60"
    # Delete, with a second click to confirm.
    page.click("#tabs button[data-tab=scenarios]")
    doomed = page.locator("#variant-list li[data-variant='cmp-doomed']")
    doomed.wait_for(timeout=30_000)
    doomed.locator("button.variant-delete").click()
    assert (folder / "cmp-doomed.yaml").is_file(), "deleted on the first click"
    assert "again" in doomed.locator("button.variant-delete").inner_text()
    doomed.locator("button.variant-delete").click()
    doomed.wait_for(state="detached", timeout=30_000)
    assert not (folder / "cmp-doomed.yaml").exists()
    assert (folder / "cmp-delay-60.yaml").is_file()


@pytest.mark.parametrize("lang, words", [("en", ("alarm delay", "Better", "Worse", "Baseline")),
                                         ("zh-CN", ("报警延迟", "更优", "更差", "基准"))])
def test_three_runs_side_by_side_labelled_by_what_changed(console_server, browser_page, variants, lang, words):
    """issue 15 §2: the compare tab puts any number of runs (here 3) side by side — one column per run,
    labelled by what it changed from its library scenario, the baseline chosen by the person, each
    other run's verdict against it — and asks the API for exactly those runs."""
    page, server = browser_page, console_server
    base, early, late = variants[BASE], variants["cmp-delay-60"], variants["cmp-delay-240"]
    asked = []
    page.on("request", lambda req: asked.append(req.url) if "/runs/compare" in req.url else None)
    page.goto(f"{server.base_url}/console/#token={server.token}&lang={lang}&tab=compare")
    page.wait_for_selector(f".compare-check[value='{late}']", timeout=60_000)
    assert page.is_disabled("#compare-go")  # fewer than 2 chosen
    for ref in (late, early, base):
        page.check(f".compare-check[value='{ref}']")
    page.check(f".compare-base[value='{base}']")  # the baseline: the library scenario's run
    assert not page.is_disabled("#compare-go")
    page.click("#compare-go")
    page.wait_for_selector("#compare-table", timeout=60_000)
    assert asked and asked[-1].count("runs=") == 3 and asked[-1].index(base) < asked[-1].index(late), asked
    cards = page.locator(".compare-card")
    assert cards.count() == 3
    assert cards.nth(0).get_attribute("data-ref") == base
    labels = page.eval_on_selector_all(".compare-label", "(els) => els.map((e) => e.textContent)")
    assert len(labels) == 3
    assert "0 → 240" in labels[1] and "0 → 60" in labels[2] and words[0] in labels[1], labels
    head = page.inner_text("#compare-table thead")
    assert "0 → 240" in head and "0 → 60" in head, head
    assert page.locator("#compare-table thead th.compare-col").count() == 3
    # Every KPI row has a cell per run; the others have a verdict against the baseline.
    row = page.locator("#compare-table tr[data-kpi='mean_evacuation_s']")
    assert row.locator("td.num").count() == 3
    verdicts = row.locator(".compare-verdict").evaluate_all("(els) => els.map((e) => e.dataset.verdict)")
    assert len(verdicts) == 2 and all(v in ("better", "worse", "no clear difference", "different", "unknown")
                                      for v in verdicts), verdicts
    compared = server.get("/runs/compare", runs=[base, late, early]).json()
    evac = next(k for k in compared["kpis"] if k["kpi"] == "mean_evacuation_s")
    assert verdicts == [v["verdict"] for v in evac["values"][1:]]
    # A later alarm delays evacuation: the 240 s variant is worse on the mean evacuation time, in words.
    assert evac["values"][1]["verdict"] == "worse"
    assert words[2] in row.inner_text() and words[3] in page.inner_text(".compare-card >> nth=0")
    assert page.locator(".charts svg").count() >= 3


def test_sweep_points_are_compared_labelled_by_their_values(console_server, browser_page, variants):
    """issue 15 §2: a sweep's points are rows of the compare picker of their own (RUN:POINT); compared,
    each is labelled by its swept value, not by the sweep as a whole."""
    page, server = browser_page, console_server
    r = _post(server, "/runs", {"scenario": BASE, "sweep": {"params.alarm_delay_s": [0, 120]}, "replications": 2})
    assert r.status_code == 202, r.text
    sweep = _finished(server, r.json()["id"])["id"]
    page.goto(f"{server.base_url}/console/#token={server.token}&lang=en&tab=compare")
    page.wait_for_selector(f".compare-check[value='{sweep}:1']", timeout=60_000)
    assert page.locator(f".compare-check[value='{sweep}']").count() == 0  # the points, not the whole sweep
    page.check(f".compare-check[value='{sweep}:0']")
    page.check(f".compare-check[value='{sweep}:1']")
    page.click("#compare-go")
    page.wait_for_selector("#compare-table", timeout=60_000)
    labels = page.eval_on_selector_all(".compare-label", "(els) => els.map((e) => e.textContent)")
    assert len(labels) == 2 and labels[0].endswith("= 0") and labels[1].endswith("= 120"), labels
    assert "Alarm delay" in labels[1], labels
