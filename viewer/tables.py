"""The KPI table of a run at the terminal, in the reader's language.

What ``twin run`` prints when the replications are done: for each sweep point, one row per KPI with
its label in the chosen language (the code name beside it, dimmed, for engineers), its unit, the mean
and its 95 % interval with the interval's kind (Student t or bootstrap), p50, p95, the number of
replications and, for a KPI with a target, the verdict — in words and in colour, with a mark that
does not need the colour (✓ pass, ✗ fail, ? uncertain). A value only bounded because the horizon
cut replications off is shown with ``≥`` (``≤`` for a higher-is-better KPI). The run's warnings and
notes follow, in the same language. Everything comes from the summary (:mod:`scenarios.runner`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text as RichText

from models.units import format_value
from twin.text import normalise_language, pick
from viewer.i18n import translate

__all__ = ["kpi_tables", "print_run_summary", "VERDICT_STYLE", "VERDICT_MARK", "censored_mark"]

VERDICT_STYLE = {"pass": "bold green", "fail": "bold red", "uncertain": "bold dark_orange", "not_applicable": "dim"}
VERDICT_MARK = {"pass": "✓", "fail": "✗", "uncertain": "?", "not_applicable": "–"}


def censored_mark(kpi: Mapping[str, Any]) -> str:
    """``≥`` before a value the horizon cut off (``≤`` when higher is better: a margin), else ``""``."""
    if not kpi.get("censored"):
        return ""
    return "≤" if kpi.get("better") == "higher" else "≥"


def _unit(kpi: Mapping[str, Any], lang: str) -> str:
    label = pick(kpi.get("unit_label"), lang) if kpi.get("unit_label") else kpi.get("unit") or ""
    return "" if label == "—" else label


def _interval(kpi: Mapping[str, Any], lang: str) -> RichText:
    """``15.1 – 29.4`` with the interval's kind beneath it, dimmed (Student t / bootstrap)."""
    low, high, unit = kpi.get("ci95_low"), kpi.get("ci95_high"), kpi.get("unit")
    if low is None or high is None:
        return RichText("–")
    cell = RichText(f"{format_value(low, unit)} – {format_value(high, unit)}")
    method = kpi.get("interval")
    if method:
        cell.append(f"\n{translate(f'report.interval.{method}', lang)}", style="dim")
    return cell


def _target(kpi: Mapping[str, Any], lang: str) -> str:
    target = kpi.get("target")
    if not target:
        return ""
    op = "≥" if target["op"] == ">=" else "≤"
    unit = _unit(kpi, lang)
    return f"{op} {format_value(target['value'], kpi.get('unit'))}{' ' + unit if unit else ''}"


def _verdict_cell(kpi: Mapping[str, Any], lang: str) -> RichText:
    verdict = kpi.get("verdict")
    if not verdict:
        return RichText("")
    status = verdict["status"]
    return RichText(f"{VERDICT_MARK[status]} {translate(f'report.verdict.{status}', lang)}", style=VERDICT_STYLE[status])


def _label_cell(name: str, kpi: Mapping[str, Any], lang: str) -> RichText:
    cell = RichText(pick(kpi.get("label"), lang) or name)
    if kpi.get("label"):
        cell.append(f"\n{name}", style="dim")
    return cell


def _settings(point: Mapping[str, Any]) -> str:
    """What a sweep point sets: ``technicians=3, repair_mean_min=30``."""
    return ", ".join(f"{key.removeprefix('params.')}={value}" for key, value in (point.get("set") or {}).items())


def kpi_tables(summary: Mapping[str, Any], lang: str | None = None) -> list[Table]:
    """One rich table per sweep point of a run's summary, in ``lang``."""
    lang = normalise_language(lang)
    scenario = summary.get("scenario") or {}
    title = pick(scenario.get("title"), lang) or scenario.get("name", "")
    model_title = pick(summary.get("model_title"), lang)
    tables = []
    points = summary.get("points") or [{"point": 0, "set": {}, "kpis": summary.get("kpis") or {}}]
    # KPIs this run did not produce at all (no value at any point, no target: another mode's figures).
    not_produced = {name for name in points[0]["kpis"]
                    if all((p["kpis"].get(name) or {}).get("n") == 0 and not (p["kpis"].get(name) or {}).get("target")
                           for p in points)}
    for point in points:
        heading = f"{title} — {model_title}" if model_title else title
        if point.get("set"):
            heading += f"  [{_settings(point)}]"
        table = Table(title=heading)
        columns = ("kpi", "unit", "mean", "ci", "p50", "p95", "n")
        for col in columns:
            table.add_column(translate(f"report.col.{col}", lang), justify="left" if col in ("kpi", "unit") else "right")
        has_targets = any(k.get("target") for k in point["kpis"].values())
        if has_targets:
            table.add_column(translate("report.col.target", lang), justify="right")
            table.add_column(translate("report.col.verdict", lang))
        skipped = [name for name in point["kpis"] if name in not_produced]
        if skipped:
            table.caption = translate("report.kpis.not_produced", lang, names=", ".join(
                f"{pick(point['kpis'][n].get('label'), lang) or n} ({n})" for n in skipped))
        for name, k in point["kpis"].items():
            if name in not_produced:
                continue
            unit = k.get("unit")
            mean = format_value(k.get("mean"), unit)
            mark = censored_mark(k)
            row: list[Any] = [_label_cell(name, k, lang), _unit(k, lang), f"{mark}{mean}" if mark else mean,
                              _interval(k, lang), format_value(k.get("p50"), unit), format_value(k.get("p95"), unit),
                              str(k.get("n", ""))]
            if has_targets:
                row += [_target(k, lang), _verdict_cell(k, lang)]
            table.add_row(*row)
        tables.append(table)
    return tables


def _said(words: Any, lang: str) -> str:
    return pick(words, lang) if words else ""


def print_run_summary(summary: Mapping[str, Any], lang: str | None = None, console: Console | None = None) -> None:
    """Print a run's KPI tables, then each failed or uncertain verdict in words, then its warnings
    and notes, all in ``lang``."""
    lang = normalise_language(lang)
    console = console or Console()
    for table in kpi_tables(summary, lang):
        console.print(table)
    points = summary.get("points") or []
    for point in points:
        for name, k in point["kpis"].items():
            verdict = k.get("verdict")
            if verdict and verdict["status"] in ("fail", "uncertain"):
                where = f" [{_settings(point)}]" if point.get("set") else ""
                line = RichText(f"{VERDICT_MARK[verdict['status']]} {pick(k.get('label'), lang) or name}{where}: ",
                                style=VERDICT_STYLE[verdict["status"]])
                line.append(_said(verdict["text"], lang), style="")
                console.print(line)
    for words in summary.get("warnings") or []:
        console.print(RichText(f"{translate('report.warnings', lang)}: {_said(words, lang)}", style="bold yellow"))
    for words in summary.get("notes") or []:
        console.print(RichText(f"{translate('report.notes', lang)}: {_said(words, lang)}"))
