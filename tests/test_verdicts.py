"""Verdicts on KPIs with targets (scenarios/verdicts.py, scenarios/runner.py): pass / fail / uncertain.

A test-only model (``verdict-test-model``) reports, in replication r, the values its parameters list
at index r, marks the replications its parameters name as cut off by the horizon, and says where
each margin was set ("floor 12"): so each verdict rule is exercised on known numbers through the
real runner and scenario loader.
"""

from __future__ import annotations

import math

import pytest
from pydantic import BaseModel, ConfigDict

from models.harness import KPI, ModelSpec, ReplicationResult, Target, register
from scenarios.runner import run_scenario
from scenarios.spec import parse_scenario
from scenarios.verdicts import verdict
from tests.conftest import DATA
from twin.errors import SpecError
from twin.text import text

MODEL = "verdict-test-model"
ASET_SOURCE = text("ASET − RSET ≥ 0 in every replication", "每次重复中 ASET − RSET ≥ 0")


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    margins: list[float] = [30.0, 20.0, 10.0]
    shares: list[float] = [0.97, 0.98, 0.99]
    cut: list[int] = []


def _run(ctx) -> ReplicationResult:
    p: _Params = ctx.params  # type: ignore[assignment]
    r = ctx.replication
    cut = r in p.cut
    return ReplicationResult(
        kpis={"margin_s": p.margins[r], "served_share": p.shares[r], "still_inside": 3.0 if cut else 0.0},
        censored=frozenset({"margin_s"}) if cut else frozenset(),
        where={"margin_s": f"floor {12 + r}"})


MARGIN = KPI("margin_s", "s", text("Safety margin ASET − RSET", "安全裕度 ASET − RSET"),
             text("least margin", "最小裕度"), "margin", "higher", Target(">=", 0.0, "every", ASET_SOURCE))
SHARE = KPI("served_share", "share", text("Served in time", "按时受理率"), text("share served", "按时受理比例"),
            "share", "higher")
INSIDE = KPI("still_inside", "persons", text("Still inside", "仍在楼内"), text("left inside", "仍在楼内人数"),
             "count")
register(ModelSpec(name=MODEL, title=text("Verdict test", "结论测试"), description=text("test", "测试"),
                   params=_Params, kpis=(MARGIN, SHARE, INSIDE), run=_run))


def _summary(params: dict, targets: dict | None = None, replications: int = 3) -> dict:
    doc = {"name": "verdicts", "model": MODEL, "building": "two_storey.yaml", "replications": replications,
           "params": params}
    if targets is not None:
        doc["targets"] = targets
    return run_scenario(parse_scenario(doc, "verdicts.yaml", DATA)).summary


def test_every_rule_fails_naming_replications_and_where() -> None:
    """issue 11 item 3.2: a negative ASET − RSET margin in any replication is a failed verdict naming
    the replications and the floors, in both languages — never a plain "−90 s"."""
    summary = _summary({"margins": [35.0, -90.0, -5.0]})
    entry = summary["kpis"]["margin_s"]
    assert entry["target"] == {"op": ">=", "value": 0.0, "rule": "every", "source": ASET_SOURCE}
    assert entry["verdict"]["status"] == "fail" and entry["verdict"]["replications"] == [1, 2]
    words = entry["verdict"]["text"]
    assert words["en"] == ("failed: Safety margin ASET − RSET below 0 s in replications 1 (floor 13), 2 (floor 14) "
                           "(2 of 3; worst -90 s)")
    assert words["zh-CN"] == "不通过：安全裕度 ASET − RSET在第 1（floor 13）、2（floor 14） 次重复中低于 0 秒（3 次中 2 次；最不利 -90 秒）"


def test_every_rule_passes_when_every_replication_meets_the_target() -> None:
    """issue 11 item 3.2: every replication on the good side is a pass, with the worst value named."""
    entry = _summary({"margins": [35.0, 20.0, 4.0]})["kpis"]["margin_s"]
    assert entry["verdict"]["status"] == "pass" and entry["verdict"]["replications"] == []
    assert "worst 4 s" in entry["verdict"]["text"]["en"] and "通过" in entry["verdict"]["text"]["zh-CN"]


@pytest.mark.parametrize(("shares", "status"), [
    ([0.97, 0.98, 0.99], "pass"),        # interval 97–99 % wholly ≥ 95 %
    ([0.80, 0.82, 0.84], "fail"),        # interval 80–84 % wholly < 95 %
    ([0.90, 0.96, 0.99], "uncertain"),   # interval straddles 95 %
])
def test_mean_rule_pass_fail_uncertain_from_a_scenario_target(shares: list[float], status: str) -> None:
    """issue 11 item 3.2: a scenario's ``targets:`` judge the mean by its interval: wholly good → pass,
    wholly bad → fail, straddling → uncertain (and says more replications may decide)."""
    entry = _summary({"shares": shares}, {"served_share": {"op": ">=", "value": 0.95}})["kpis"]["served_share"]
    assert entry["target"] == {"op": ">=", "value": 0.95, "rule": "mean", "source": None}
    assert entry["verdict"]["status"] == status
    assert entry["interval"] == "bootstrap" and 0.0 <= entry["ci95_low"] <= entry["ci95_high"] <= 1.0
    if status == "uncertain":
        assert "straddles the target (at least 95 %)" in entry["verdict"]["text"]["en"]
        assert "跨越目标" in entry["verdict"]["text"]["zh-CN"]


def test_scenario_target_replaces_the_models_and_kpis_without_one_have_no_verdict() -> None:
    """issue 11 item 3.2: a scenario's target for a KPI overrides the model's own (here a mean rule
    with a −100 s allowance); a KPI with no target has ``target`` and ``verdict`` null."""
    summary = _summary({"margins": [35.0, -90.0, -5.0]},
                       {"margin_s": {"op": ">=", "value": -100, "rule": "every",
                                     "source": {"en": "drill allowance", "zh-CN": "演练允许值"}}})
    entry = summary["kpis"]["margin_s"]
    assert entry["verdict"]["status"] == "pass"
    assert entry["target"]["source"] == {"en": "drill allowance", "zh-CN": "演练允许值"}
    assert summary["kpis"]["still_inside"]["target"] is None and summary["kpis"]["still_inside"]["verdict"] is None


@pytest.mark.parametrize(("targets", "expected"), [
    ({"no_such_kpi": {"op": ">=", "value": 1}}, "verdicts.yaml: targets.no_such_kpi: unknown KPI 'no_such_kpi' of "
                                                "model 'verdict-test-model' (its KPIs: margin_s, served_share"),
    ({"served_share": {"op": ">=", "value": 95}}, "verdicts.yaml: targets.served_share.value: 95 is outside what "
                                                  "served_share can take (0 … 1) (a share is a fraction"),
    ({"served_share": {"op": "=>", "value": 0.9}}, "verdicts.yaml: targets.served_share.op: Input should be '<=' or '>='"),
    ({"served_share": {"op": ">=", "value": 0.9, "rule": "most"}}, "verdicts.yaml: targets.served_share.rule:"),
])
def test_bad_targets_name_file_and_field(targets: dict, expected: str) -> None:
    """issue 11 item 3.2: a target naming an unknown KPI, an impossible value or a bad op is an error
    naming the file and the field."""
    doc = {"name": "verdicts", "model": MODEL, "building": "two_storey.yaml", "targets": targets}
    with pytest.raises(SpecError) as info:
        parse_scenario(doc, "verdicts.yaml", DATA)
    assert expected in str(info.value)


def test_censored_replications_are_counted_flagged_and_cannot_pass() -> None:
    """issue 11 item 2.3 / 3.2: replications the horizon cut off are counted in the KPI's entry, the
    run is flagged ``censored`` with a warning in both languages saying how many people were still
    inside, and a target they would meet is uncertain, not passed."""
    summary = _summary({"margins": [35.0, 20.0, 10.0], "cut": [1, 2]})
    entry = summary["kpis"]["margin_s"]
    assert entry["censored"] == 2 and summary["kpis"]["served_share"]["censored"] == 0
    assert entry["verdict"]["status"] == "uncertain"
    assert "cut off by the horizon" in entry["verdict"]["text"]["en"]
    assert "censored" in summary["flags"] and summary["points"][0]["flags"] == ["censored"]
    warning = summary["warnings"][-1]
    assert warning["en"].startswith("3 people still inside at the horizon in 2 of 3 replications: the run did not finish")
    assert "模拟未完成" in warning["zh-CN"]
    # A censored value already on the bad side still fails.
    failed = _summary({"margins": [35.0, -20.0, 10.0], "cut": [1]})["kpis"]["margin_s"]["verdict"]
    assert failed["status"] == "fail" and failed["replications"] == [1]


def test_summary_contract_fields() -> None:
    """issue 11 item 3 / 4: every KPI entry carries the contract's fields; scenario title and
    description and the model title are Text; warnings and notes are lists."""
    summary = _summary({})
    entry = summary["kpis"]["served_share"]
    assert set(entry) >= {"unit", "unit_label", "label", "description", "kind", "better", "mean", "ci95_low",
                          "ci95_high", "half_width", "p50", "p95", "std", "n", "interval", "censored", "target",
                          "verdict"}
    assert entry["unit_label"] == {"en": "%", "zh-CN": "%"} and entry["label"] == SHARE.label
    assert summary["scenario"]["title"] == {"en": "verdicts"} and summary["model_title"] == {"en": "Verdict test",
                                                                                              "zh-CN": "结论测试"}
    assert summary["warnings"] == [] and summary["notes"] == [] and summary["flags"] == []


def test_one_replication_is_uncertain_and_no_values_is_not_applicable() -> None:
    """issue 11 item 3.2: with one replication the mean has no interval: uncertain, said so; with no
    value at all (nothing the KPI measures happened — an ASET margin in a drill without smoke) the
    target does not apply: "not applicable", in both languages, not "uncertain"."""
    target = Target(">=", 0.95)
    one = verdict(SHARE, target, [0.99], mean=0.99)
    assert one["status"] == "uncertain" and "no interval" in one["text"]["en"]
    none = verdict(SHARE, target, [math.nan, math.nan])
    assert none["status"] == "not_applicable" and "no value" in none["text"]["en"]
    assert "does not apply" in none["text"]["en"] and "不适用" in none["text"]["zh-CN"]
    assert verdict(SHARE, None, [0.5]) is None


def test_cli_table_in_chinese_shows_labels_marks_and_warnings() -> None:
    """issue 11 items 2.3 / 3.2 / 4: the ``twin run --lang zh-CN`` table shows the Chinese labels
    with the code names, the interval's kind, the verdict with a mark besides its colour, ≥ before
    a censored value, and the run's warning that it did not finish."""
    from rich.console import Console

    from viewer.tables import print_run_summary

    summary = _summary({"margins": [35.0, -20.0, 10.0], "cut": [1]})
    console = Console(record=True, width=220, color_system=None)
    print_run_summary(summary, "zh-CN", console)
    out = console.export_text()
    for words in ("安全裕度 ASET − RSET", "margin_s", "按时受理率", "served_share", "t 分布", "自助法", "✗ 不通过",
                  "≤8.33", "标记为 ≤", "模拟未完成", "警告", "不通过：安全裕度"):
        assert words in out, words
    english = Console(record=True, width=220, color_system=None)
    print_run_summary(summary, "en", english)
    text_en = english.export_text()
    assert "✗ Fail" in text_en and "Student t" in text_en and "the run did not finish" in text_en
