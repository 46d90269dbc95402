"""The HTML report of a results folder: content, self-containment, determinism, graceful gaps.

Each test builds a small results folder by hand (``summary.json`` as the runner writes it and a
few ``records/*.parquet`` tables) for a test-only model registered under
``report-test-model``, so the report is exercised without running a simulation.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from pydantic import BaseModel, ConfigDict

from models.harness import KPI, Chart, ModelSpec, ReplicationResult, register
from twin.text import text
from viewer import write_report
from viewer.report import format_number, report_in_language

MODEL_NAME = "report-test-model"


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    desks: int = 2
    arrival_per_h: float = 6.0
    shifts: list[dict] = [{"name": "day", "start_h": 8, "staff": 3}, {"name": "night", "start_h": 20, "staff": 1}]
    service: dict = {"mean_min": 12.5, "distribution": {"kind": "lognormal", "cv": 0.6}}


def _run(ctx) -> ReplicationResult:
    """Not used by these tests (their folders are written by hand), but a working model, so that
    anything iterating the registry can run it."""
    waits = ctx.rng.exponential(120.0, size=10)
    return ReplicationResult(kpis={"mean_wait_s": float(waits.mean()), "served_share": 1.0},
                             records={"orders": [{"order": f"wo-{i}", "desk": "north", "wait_s": float(w)}
                                                 for i, w in enumerate(waits)]})


CHARTS = (
    Chart(text("Queue length at each desk", "各服务台排队长度"), "queue", "step", x="time_s", y="length", group="desk",
          x_label=text("time (s)", "时间（秒）"), y_label=text("orders waiting", "等待工单")),
    Chart(text("Queue length, all replications", "排队长度（全部重复）"), "queue", "line", x="time_s", y="length",
          all_replications=True),
    Chart(text("Mean wait by desk", "各服务台平均等待"), "orders", "bar", x="desk", y="wait_s",
          y_label=text("wait (s)", "等待（秒）")),
    Chart(text("Wait until served", "等待时间分布"), "orders", "hist", x="wait_s", x_label=text("wait (s)", "等待（秒）")),
)
MISSING_CHART = Chart(text("Ghost visits", "幽灵访问"), "ghosts", "bar", x="floor")
WAIT_LABEL = text("Wait until served", "受理前等待时间")
SHARE_LABEL = text("Served within the horizon", "模拟期内完成比例")

SPEC = register(ModelSpec(
    name=MODEL_NAME,
    title=text("Report test desk", "报告测试服务台"),
    description=text("A made-up help desk used only to test the report.", "仅用于测试报告的虚构服务台。"),
    params=_Params,
    kpis=(KPI("mean_wait_s", "s", WAIT_LABEL, text("mean wait until served", "受理前的平均等待时间"), "duration"),
          KPI("served_share", "share", SHARE_LABEL, text("orders served within the horizon", "模拟期内完成的工单比例"),
              "share", "higher")),
    run=_run,
    charts=CHARTS + (MISSING_CHART,),
))

KPI_STATS = {
    "mean_wait_s": {"unit": "s", "unit_label": text("s", "秒"), "label": WAIT_LABEL, "kind": "duration",
                    "description": text("mean wait until served", "受理前的平均等待时间"), "better": "lower",
                    "mean": 123.456, "ci95_low": 110.0, "ci95_high": 136.9, "half_width": 13.4, "p50": 121.0,
                    "p95": 140.2, "std": 9.8, "n": 3, "interval": "t", "censored": 0, "target": None, "verdict": None},
    "served_share": {"unit": "share", "unit_label": text("%", "%"), "label": SHARE_LABEL, "kind": "share",
                     "description": text("orders served within the horizon", "模拟期内完成的工单比例"),
                     "better": "higher", "mean": 0.9512, "ci95_low": 0.93, "ci95_high": 0.972, "half_width": 0.021,
                     "p50": 0.95, "p95": 0.97, "std": 0.01, "n": 3, "interval": "bootstrap", "censored": 0,
                     "target": None, "verdict": None},
}


def _summary(points: list[dict] | None = None) -> dict:
    params = _Params().model_dump(mode="json")
    points = points or [{"point": 0, "set": {}, "parameters": params, "kpis": KPI_STATS}]
    summary = {
        "scenario": {"name": "desk-monday", "title": text("Monday at the desk", "服务台的星期一"),
                     "description": text("A Monday at the help desk", "服务台忙碌的星期一"), "file": "desk-monday.yaml",
                     "building": "two-storey"},
        "model": MODEL_NAME, "model_title": text("Report test desk", "报告测试服务台"),
        "building": {"id": "two-storey", "name": "Two-storey test office"},
        "seed": 42, "replications": 3, "horizon_s": 7200, "parameters": params, "sweep": {}, "points": points,
    }
    if len(points) == 1:
        summary["kpis"] = points[0]["kpis"]
    return summary


def _queue_rows(points=(0,), desks=("north", "south")) -> pd.DataFrame:
    rows = []
    for point in points:
        for rep in range(3):
            for d, desk in enumerate(desks):
                for t in range(0, 7200, 600):
                    rows.append({"point": point, "replication": rep, "desk": desk, "time_s": float(t),
                                 "length": float((t // 600 + d + rep + point) % 5)})
    return pd.DataFrame(rows)


def _order_rows(points=(0,)) -> pd.DataFrame:
    rows = []
    for point in points:
        for rep in range(3):
            for i in range(40):
                rows.append({"point": point, "replication": rep, "order": f"wo-{i}",
                             "desk": ("north", "south", "east")[i % 3], "wait_s": float((i * 37 + rep * 11) % 300)})
    return pd.DataFrame(rows)


def _results(folder: Path, summary: dict | None = None, tables: dict[str, pd.DataFrame] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(summary or _summary(), indent=2), encoding="utf-8")
    records = folder / "records"
    records.mkdir(exist_ok=True)
    tables = {"queue": _queue_rows(), "orders": _order_rows()} if tables is None else tables
    for name, frame in tables.items():
        frame.to_parquet(records / f"{name}.parquet", index=False)
    return folder


@pytest.fixture
def report_html(tmp_path: Path) -> str:
    path = write_report(_results(tmp_path / "run"))
    assert path == tmp_path / "run" / "report.html"
    assert path.is_file()
    return path.read_text(encoding="utf-8")


def test_report_shows_header_kpis_and_parameters(report_html: str):
    html = report_html
    assert html.startswith("<!DOCTYPE html>")
    for text in ("desk-monday", "A Monday at the help desk", "Report test desk", "Two-storey test office", "42",
                 "7,200 s (2 h)"):
        assert text in html, text
    for name, stats in KPI_STATS.items():
        assert name in html and stats["label"]["en"] in html
        assert stats["description"]["en"] in html
        # Values in a row are printed at the scale of the row's largest statistic; shares as percentages.
        scale = 100 if stats["unit"] == "share" else 1
        ref = max(abs(scale * stats[k]) for k in ("mean", "ci95_low", "ci95_high", "p50", "p95"))
        assert f">{format_number(scale * stats['mean'], ref)}<" in html
        assert f"{format_number(scale * stats['ci95_low'], ref)} – {format_number(scale * stats['ci95_high'], ref)}" in html
    assert ">123.5<" in html and "110.0 – 136.9" in html and ">95.12<" in html
    # issue 11 item 3.1: the report names the interval each KPI used.
    assert "95 % CI, Student t" in html and "95 % CI, bootstrap" in html
    # Parameters as nested tables, lists of mappings as a table with a column per key.
    for key in ("arrival_per_h", "mean_min", "lognormal", "start_h", "night"):
        assert key in html, key


def test_every_drawable_chart_is_inline_svg(report_html: str):
    html = report_html
    figures = re.findall(r'<figure class="chart">(.*?)</figure>', html, flags=re.S)
    assert len(figures) == len(SPEC.charts)
    for chart, figure in zip(SPEC.charts, figures):
        assert chart.title["en"] in figure
        if chart is MISSING_CHART:
            assert "<svg" not in figure
        else:
            assert figure.count("<svg") == 1, chart.title
    assert html.count("<svg") >= len(CHARTS)


def test_report_loads_nothing_from_the_network(report_html: str):
    html = report_html
    external = re.findall(r'''(?:src|href)\s*=\s*["']?\s*(?:https?:)?//''', html, flags=re.I)
    assert external == []
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", html, flags=re.I)
    assert "@import" not in html
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()


def test_element_ids_are_unique_across_charts(report_html: str):
    ids = Counter(re.findall(r'\bid="([^"]+)"', report_html))
    assert [i for i, n in ids.items() if n > 1] == []
    # Every internal reference points at an element of the page.
    for ref in re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', report_html):
        assert (ref[0] or ref[1]) in ids


def test_same_results_give_byte_identical_reports(tmp_path: Path):
    first = write_report(_results(tmp_path / "a")).read_bytes()
    again = write_report(tmp_path / "a").read_bytes()
    elsewhere = write_report(_results(tmp_path / "b")).read_bytes()
    assert first == again == elsewhere


def test_missing_table_and_column_give_notes_not_errors(tmp_path: Path):
    folder = _results(tmp_path / "run", tables={"orders": _order_rows().drop(columns=["wait_s"])})
    html = write_report(folder).read_text(encoding="utf-8")
    assert "No records table &#39;queue&#39; in these results." in html
    assert "No records table &#39;ghosts&#39; in these results." in html
    assert "Column wait_s missing from records table &#39;orders&#39;." in html
    zh = write_report(folder, lang="zh-CN").read_text(encoding="utf-8")  # the notes in the reader's language
    assert "结果中没有记录表“queue”。" in zh and "记录表“orders”缺少列 wait_s。" in zh
    assert "No records table" not in zh and "missing from" not in zh
    assert "<svg" not in html  # nothing drawable, yet the page and its KPI table are there
    assert format_number(123.456, 140.2) in html


def test_many_groups_are_capped_with_a_note(tmp_path: Path):
    desks = [f"desk-{i:02d}" for i in range(15)]
    folder = _results(tmp_path / "run", tables={"queue": _queue_rows(desks=desks), "orders": _order_rows()})
    html = write_report(folder).read_text(encoding="utf-8")
    assert "12 of 15 desk values shown" in html


def test_sweep_renders_a_table_per_point_and_a_ci_chart_per_kpi(tmp_path: Path):
    base = _Params().model_dump(mode="json")
    points = []
    for i, desks in enumerate((2, 3)):
        kpis = json.loads(json.dumps(KPI_STATS))
        kpis["mean_wait_s"].update(mean=200.0 - 80 * i, ci95_low=180.0 - 80 * i, ci95_high=220.0 - 80 * i,
                                   p50=199.0 - 80 * i, p95=230.0 - 80 * i)
        points.append({"point": i, "set": {"params.desks": desks}, "parameters": {**base, "desks": desks},
                       "kpis": kpis})
    summary = _summary(points)
    summary["sweep"] = {"params.desks": [2, 3]}
    folder = _results(tmp_path / "run", summary,
                      tables={"queue": _queue_rows(points=(0, 1)), "orders": _order_rows(points=(0, 1))})
    html = write_report(folder).read_text(encoding="utf-8")
    assert "Point 0: desks=2" in html and "Point 1: desks=3" in html
    assert len(re.findall(r'<table class="kpi">', html)) == 2
    assert ">200.0<" in html and ">120.0<" in html  # each point's own mean
    sweep_section = html.split('<section id="sweep">', 1)[1].split("</section>", 1)[0]
    assert sweep_section.count("<svg") == len(SPEC.kpis)
    assert html.count("<svg") >= len(SPEC.kpis) + len(CHARTS)


def test_a_sweep_of_two_parameters_is_one_surface_table_and_a_heat_map_per_kpi(tmp_path: Path):
    """Issue 16 item 2: the sweep's KPI surface is one table (every point's means) and one chart per
    KPI — a heat map over two swept parameters; a large sweep leaves out the per-point tables."""
    base = _Params().model_dump(mode="json")
    points = []
    grid = [(desks, rate) for rate in (4.0, 6.0, 8.0, 10.0, 12.0) for desks in (1, 2, 3)]
    for i, (desks, rate) in enumerate(grid):
        kpis = json.loads(json.dumps(KPI_STATS))
        mean = 60.0 * rate / desks
        kpis["mean_wait_s"].update(mean=mean, ci95_low=mean - 5, ci95_high=mean + 5, p50=mean, p95=mean + 20)
        points.append({"point": i, "set": {"params.desks": desks, "params.arrival_per_h": rate},
                       "parameters": {**base, "desks": desks, "arrival_per_h": rate}, "kpis": kpis})
    summary = _summary(points)
    summary["sweep"] = {"params.desks": [1, 2, 3], "params.arrival_per_h": [4.0, 6.0, 8.0, 10.0, 12.0]}
    folder = _results(tmp_path / "run", summary, tables={"queue": _queue_rows(), "orders": _order_rows()})
    html = write_report(folder).read_text(encoding="utf-8")
    surface = html.split('<table class="sweep">', 1)[1].split("</table>", 1)[0]
    assert surface.count("<tr>") == len(grid) + 1  # the header and one row per point
    assert ">720.0<" in surface and ">80.0<" in surface  # 60·12/1 and 60·4/3: every point's mean in one table
    assert '<table class="kpi">' not in html, "15 points: no detailed table per point"
    assert "15 sweep points: more than 12" in html
    sweep_section = html.split('<section id="sweep">', 1)[1].split("</section>", 1)[0]
    assert sweep_section.count("<svg") == len(SPEC.kpis)
    assert "each cell is the mean" in sweep_section
    assert "720" in sweep_section  # the heat map's cells carry their values
    zh = write_report(folder, lang="zh-CN").read_text(encoding="utf-8")
    assert "指标面" in zh and "每个格子" in zh


def test_per_replication_kpi_values_draw_their_spread(tmp_path: Path):
    kpi_values = pd.DataFrame({"point": [0, 0, 0], "replication": [0, 1, 2], "mean_wait_s": [110.0, 125.0, 136.0],
                               "served_share": [0.94, 0.95, 0.97]})
    folder = _results(tmp_path / "run", tables={"queue": _queue_rows(), "orders": _order_rows(), "kpis": kpi_values})
    html = write_report(folder).read_text(encoding="utf-8")
    spread = html.split('<section id="spread">', 1)[1].split("</section>", 1)[0]
    assert spread.count("<svg") == 2


def test_unregistered_model_still_reports_its_kpis(tmp_path: Path):
    summary = _summary()
    summary["model"] = "no-such-model-for-report"
    html = write_report(_results(tmp_path / "run", summary)).read_text(encoding="utf-8")
    assert "is not registered here" in html
    assert "mean_wait_s" in html and "served_share" in html


@pytest.mark.parametrize(("value", "reference", "text"), [
    (None, None, "—"), (float("nan"), None, "—"), (3, None, "3"), (12345, None, "12,345"),
    (983.0, 1022.3, "983"), (1022.3, None, "1,022"), (12.834, 16.2, "12.83"), (0.98765, 1.0006, "0.988"),
    (0.0, None, "0"), (-0.0001, 1.0, "0.000"), (0.00042, None, "0.00042"),
])
def test_format_number(value, reference, text):
    assert format_number(value, reference) == text


def test_a_bare_summary_still_renders(tmp_path: Path):
    folder = tmp_path / "bare"
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps({"model": MODEL_NAME, "kpis": KPI_STATS}), encoding="utf-8")
    html = write_report(folder).read_text(encoding="utf-8")
    assert "mean_wait_s" in html
    assert html.count("No records table") == len(SPEC.charts)


def test_a_folder_without_summary_is_a_report_error(tmp_path: Path):
    from viewer import ReportError

    with pytest.raises(ReportError, match="summary.json"):
        write_report(tmp_path)


def _judged_summary() -> dict:
    """The test summary with a failed every-rule verdict, a censored KPI and a Text warning."""
    summary = _summary()
    kpis = json.loads(json.dumps(KPI_STATS))
    kpis["mean_wait_s"].update(censored=2, target={"op": "<=", "value": 120.0, "rule": "every",
                                                   "source": text("Desk promise: served within 2 min",
                                                                  "服务承诺：2 分钟内受理")},
                               verdict={"status": "fail", "replications": [1, 2],
                                        "text": text("failed: Wait until served above 120 s in replications 1 (desk north), 2",
                                                     "不通过：受理前等待时间在第 1（north）、2 次重复中高于 120 秒")})
    kpis["served_share"].update(target={"op": ">=", "value": 0.9, "rule": "mean", "source": None},
                                verdict={"status": "pass", "replications": [],
                                         "text": text("passed: mean 95.1 %", "通过：平均值 95.1 %")})
    summary["points"][0]["kpis"] = summary["kpis"] = kpis
    summary["warnings"] = [text("3 people still inside at the horizon in 2 of 3 replications: the run did not finish.",
                                "在 3 次重复中有 2 次在模拟结束时仍有 3 人在楼内：模拟未完成。")]
    summary["flags"] = ["censored"]
    return summary


def test_report_in_chinese_shows_chinese_labels_and_verdicts(tmp_path: Path):
    """issue 11 item 4: the report in zh-CN has the KPIs' Chinese labels (code names beside them),
    the Chinese scenario and model titles, units, headings and verdict words."""
    folder = _results(tmp_path / "run", _judged_summary())
    html = write_report(folder, lang="zh-CN").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html
    for words in ("受理前等待时间", "模拟期内完成比例", "服务台的星期一", "报告测试服务台", "关键绩效指标", "秒",
                  "95% 置信区间，t 分布", "95% 置信区间，自助法", "不通过", "通过", "服务承诺：2 分钟内受理",
                  "模拟未完成", "各服务台排队长度", "中位数", "第 95 百分位"):
        assert words in html, words
    assert "mean_wait_s" in html and "served_share" in html  # code names stay as secondary text
    assert "Key performance indicators" not in html


def test_report_shows_verdicts_in_words_colour_and_mark(tmp_path: Path):
    """issue 11 item 3.2: a failed verdict is shown in words, with its colour class and a text mark
    (not colour alone), naming the replications; a pass likewise; the target's source is cited."""
    html = write_report(_results(tmp_path / "run", _judged_summary())).read_text(encoding="utf-8")
    assert '<span class="verdict fail">✗ Fail</span>' in html
    assert '<span class="verdict pass">✓ Pass</span>' in html
    assert "in replications 1 (desk north), 2" in html
    verdicts = html.split('<section id="verdicts">', 1)[1].split("</section>", 1)[0]
    assert verdicts.count("<tr class=\"row-") == 2
    sources = html.split('<section id="sources">', 1)[1].split("</section>", 1)[0]
    assert "Desk promise: served within 2 min" in sources and "bootstrap" in sources


def test_report_marks_censored_values_and_warns(tmp_path: Path):
    """issue 11 item 2.3: a KPI the horizon cut off is marked ≥ with the count of cut-off replications,
    and the run's warning that it did not finish is shown before the figures."""
    html = write_report(_results(tmp_path / "run", _judged_summary())).read_text(encoding="utf-8")
    assert ">≥123.5<" in html
    assert "cut off by the horizon in 2 of 3 replications" in html
    warning = html.index("the run did not finish")
    assert warning < html.index('<section id="kpis">')
    assert "did not finish (censored)" in html  # the run's flag


def test_report_in_another_language_is_written_once_on_request(tmp_path: Path):
    """issue 11 item 4: the API's ?lang= asks for report.<lang>.html, written from the results on
    first request and kept; the report in the language it was written in is served as is."""
    folder = _results(tmp_path / "run")
    main = write_report(folder)
    assert report_in_language(folder, "en") == main
    chinese = report_in_language(folder, "zh-CN")
    assert chinese == folder / "report.zh-CN.html" and '<html lang="zh-CN">' in chinese.read_text(encoding="utf-8")
    stamp = chinese.stat().st_mtime_ns
    assert report_in_language(folder, "zh") == chinese and chinese.stat().st_mtime_ns == stamp


def test_a_gantt_chart_draws_a_timeline_per_person_within_its_window():
    """Issue 12 item 7 (staff timeline of a chosen week): a ``gantt`` chart draws one row per person
    and one bar per record of the first replication, coloured by state, clipped to its window;
    records outside the window and of other replications are not drawn; a missing colour column is a note."""
    from viewer.charts import draw_chart

    rows = [
        {"point": 0, "replication": 0, "person": "tech-1", "start_s": 0.0, "end_s": 3600.0, "state": "working"},
        {"point": 0, "replication": 0, "person": "tech-1", "start_s": 3600.0, "end_s": 5400.0, "state": "travelling"},
        {"point": 0, "replication": 0, "person": "tech-2", "start_s": 1800.0, "end_s": 9000.0, "state": "working"},
        {"point": 0, "replication": 0, "person": "tech-3", "start_s": 90_000.0, "end_s": 95_000.0, "state": "working"},
        {"point": 0, "replication": 1, "person": "tech-4", "start_s": 0.0, "end_s": 3600.0, "state": "working"},
    ]
    chart = Chart(text("Staff timeline", "人员时间线"), "activity", "gantt", x="start_s", y="end_s", group="person",
                  colour="state", window_s=(0.0, 86_400.0))
    drawn = draw_chart(chart, pd.DataFrame(rows), id_prefix="g", lang="zh-CN")
    assert drawn.svg and drawn.title == "人员时间线"
    assert "tech-1" in drawn.svg and "tech-2" in drawn.svg
    assert "tech-3" not in drawn.svg and "tech-4" not in drawn.svg  # outside the window; another replication
    assert drawn.svg.count("travelling") == 1 and "working" in drawn.svg  # the legend names each state once
    bad = draw_chart(Chart(text("t", "t"), "activity", "gantt", x="start_s", y="end_s", group="person", colour="mood"),
                     pd.DataFrame(rows), id_prefix="h")
    assert bad.svg is None and "mood" in bad.note


def test_the_operations_budget_is_a_table_in_the_report_and_a_csv_to_download(tmp_path: Path):
    """Issue 12 item 6: the zero-based budget — one line per cost driver with its quantity and rate —
    is shown in the report (the mean over the replications of each line's amount) and offered as the
    whole table in CSV; in Chinese the cost driver is the Chinese one."""
    import urllib.parse

    from scenarios.runner import run_scenario
    from scenarios.spec import load_scenario

    loaded = load_scenario("ops-tower-baseline", ["horizon_s=604800"])
    result = run_scenario(loaded, replications=2, out=tmp_path / "run")
    lines = pd.DataFrame(result.records["budget_lines"])
    year = lines[lines["month"] == 0]
    html = write_report(tmp_path / "run").read_text(encoding="utf-8")
    section = html[html.index('id="tables"'):]
    section = section[:section.index("</section>")]
    assert "Zero-based budget for the year" in section
    for line, part in year.groupby("line", sort=False):
        mean = part["amount_cny"].sum() / 2  # the mean over both replications, a missing line counting as 0
        assert f"<td>{line}</td>" in section
        assert format_number(mean) in section, (line, mean)
    href = re.search(r'<a download="budget_lines.csv" href="data:text/csv;charset=utf-8,([^"]+)"', section)
    csv = urllib.parse.unquote(href.group(1).replace("&amp;", "&"))
    assert csv.splitlines()[0].startswith("point,replication,line,category,month")
    assert len(csv.splitlines()) == len(lines) + 1  # every point, replication and month
    zh = report_in_language(tmp_path / "run", "zh-CN").read_text(encoding="utf-8")
    assert "零基预算（全年）" in zh and year["driver_zh_cn"].iloc[0] in zh and "成本动因" in zh


def test_a_sweep_point_is_named_in_the_readers_words():
    """A sweep point is named by the parameter's words and the value's (its unit, or the choice's words
    as the scenario form offers it), not ``traffic.dispatcher=collective``; a parameter without words
    keeps its code form."""
    from viewer.report import _ReportBuilder

    points = [{"point": i, "set": {"params.traffic.dispatcher": d, "params.rescue.technicians_on_site": n},
               "kpis": {}} for i, (d, n) in enumerate((("collective", 1), ("destination", 2)))]
    zh = _ReportBuilder({"model": "elevators", "points": points}, None, "zh-CN")
    en = _ReportBuilder({"model": "elevators", "points": points}, None, "en")
    assert zh.point_labels == {0: "群控方式 集选控制, rescue.technicians_on_site=1",
                               1: "群控方式 目的层派梯, rescue.technicians_on_site=2"}, zh.point_labels
    assert en.point_labels[1] == "Group control Destination control, rescue.technicians_on_site=2", en.point_labels
    assert zh.point_title == "群控方式 / rescue.technicians_on_site"
