"""The HTML report of a scenario run: one self-contained page a supervisor or safety officer can
open in a browser with no network, or print to PDF.

A run of a scenario leaves a results folder (``summary.json`` and ``records/<table>.parquet``,
see ``scenarios.runner``). The report reads it and shows, in this order: what was simulated
(scenario, model, building, seed, replications, horizon); the KPIs with their mean, 95 %
confidence interval, median and 95th percentile over replications — one table per sweep point
and, for a sweep, a chart per KPI of its mean and interval at each point; how each KPI varied
across replications, when the per-replication values are in the results; the model's own charts,
drawn from its records tables as its :class:`~models.harness.ModelSpec` describes them; and the
scenario's parameters as nested tables.

The report never names a model: everything model-specific comes from the registry. Missing
pieces (a records table, a column, an unregistered model) become short notes on the page. The
page is deterministic — no date, stable SVG ids — so two reports of the same results are
byte-identical, and it loads nothing: charts are inline SVG, styles are inline CSS, no script.
"""

from __future__ import annotations

import json
import math
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup

from models import KPI, ModelSpec, UnknownModelError, get_model
from models.units import format_value, unit_label
from scenarios.changes import describe_changes, param_schema_info, value_text
from twin.text import normalise_language, pick
from viewer.charts import RenderedChart, ci_chart, distribution_chart, draw_chart, figure_to_svg, heatmap_chart
from viewer.i18n import MESSAGES, translate

__all__ = ["ReportError", "write_report", "render_report", "report_in_language", "report_language", "format_number", "format_duration", "point_label",
           "KPI_VALUES_TABLE", "REPORT_FILE"]

REPORT_FILE = "report.html"
KPI_VALUES_TABLE = "kpis"
"""Records table holding one row per (point, replication) with a column per KPI (or, in long form,
columns ``kpi`` and ``value``); when present the report draws each KPI's spread."""

TOOL_NAME = "Building Twin"
_TABLE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_PARAM_DEPTH_LIMIT = 5


class ReportError(Exception):
    """A results folder the report cannot read (no or unreadable ``summary.json``)."""


def write_report(results_dir: Path, lang: str | None = None, name: str = REPORT_FILE) -> Path:
    """Write ``results_dir/report.html`` (or ``name``) in ``lang`` from the folder's summary and
    records; return its path."""
    results_dir = Path(results_dir)
    html = render_report(results_dir, lang)
    out = results_dir / name
    out.write_text(html, encoding="utf-8")
    return out


def report_language(path: Path) -> str | None:
    """The language a written report is in (its ``<html lang>``), ``None`` if it cannot be read."""
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(400)
    except OSError:
        return None
    found = re.search(r'<html lang="([A-Za-z-]+)"', head)
    return found.group(1) if found else None


def report_in_language(results_dir: Path, lang: str) -> Path:
    """A results folder's report in ``lang``: ``report.html`` when it is written in that language,
    else ``report.<lang>.html``, written from the results on first request and kept."""
    results_dir = Path(results_dir)
    lang = normalise_language(lang)
    main = results_dir / REPORT_FILE
    if main.is_file() and report_language(main) == lang:
        return main
    other = results_dir / f"report.{lang}.html"
    if not other.is_file():
        write_report(results_dir, lang, other.name)
    return other


def render_report(results_dir: Path, lang: str | None = None) -> str:
    """The report page of a results folder in ``lang`` (English by default), as HTML text (what
    :func:`write_report` writes)."""
    results_dir = Path(results_dir)
    summary = _read_summary(results_dir)
    records = _Records(results_dir / "records")
    context = _ReportBuilder(summary, records, lang).context()
    # 3D pictures of the building (the most congested floor, equipment in alarm); never fails.
    from viewer.snapshots import report_snapshots

    shots, shot_notes = report_snapshots(results_dir, lang=lang)
    context["snapshots"] = [s.as_dict() for s in shots]
    context["notes"] = list(context["notes"]) + shot_notes
    return _environment().get_template("report.html.j2").render(**context)


# ---------------------------------------------------------------------------------------------
# Formatting


def format_number(value: Any, reference: float | None = None) -> str:
    """A number for a table: thousands separated, ``—`` when undefined.

    Decimals follow ``reference`` (by default the value itself): about four significant figures
    of the reference, at most three decimals, so that a KPI's mean, interval and percentiles
    formatted with the same reference line up (``983``, ``944 – 1,022``).
    """
    if value is None or isinstance(value, bool):
        return "—" if value is None else str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return "—"
    ref = abs(float(reference)) if reference is not None and math.isfinite(reference) else abs(v)
    if v == 0 and ref == 0:
        return "0"
    if ref >= 1e9 or ref < 1e-3:
        return f"{v:.3g}"
    decimals = min(3, max(0, 3 - math.floor(math.log10(ref))))
    text = f"{v:,.{decimals}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text.replace(",", "")) == 0 else text


def format_duration(seconds: Any) -> str:
    """A horizon in seconds with a friendlier unit beside it: ``7200 s (2 h)``."""
    if seconds is None:
        return "—"
    s = float(seconds)
    text = f"{format_number(s if not s.is_integer() else int(s))} s"
    if s >= 2 * 86400:
        return f"{text} ({s / 86400:.3g} d)"
    if s >= 2 * 3600:
        return f"{text} ({s / 3600:.3g} h)"
    if s >= 120:
        return f"{text} ({s / 60:.3g} min)"
    return text


def point_label(point: Mapping[str, Any]) -> str:
    """A sweep point named by what it sets: ``alarm_delay_s=120, staff=3`` (``point 2`` if nothing)."""
    settings = point.get("set") or {}
    if not settings:
        return f"point {point.get('point', 0)}"
    return ", ".join(f"{_short_key(k)}={_scalar_text(v)}" for k, v in settings.items())


def _row_reference(values) -> float | None:
    """The largest finite magnitude among a KPI's statistics: the scale its row is printed at."""
    finite = [abs(float(v)) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)
              and math.isfinite(v) and v != 0]
    return max(finite) if finite else None


def _short_key(key: str) -> str:
    return key.removeprefix("params.")


def _scalar_text(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=False, ensure_ascii=False)
    return str(v)


# ---------------------------------------------------------------------------------------------
# Reading a results folder


def _read_summary(results_dir: Path) -> dict:
    path = results_dir / "summary.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: not found — is {results_dir} a results folder?") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: cannot be read: {exc}") from None


class _Records:
    """The records tables of a results folder, read on first use."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._cache: dict[str, pd.DataFrame | None] = {}

    def get(self, table: str) -> pd.DataFrame | None:
        if table not in self._cache:
            path = self.folder / f"{table}.parquet"
            frame = None
            if _TABLE_ID.match(table) and path.is_file():
                try:
                    frame = pd.read_parquet(path)
                except Exception:  # an unreadable table is reported like a missing one
                    frame = None
            self._cache[table] = frame
        return self._cache[table]


# ---------------------------------------------------------------------------------------------
# Building the page


@dataclass
class _KpiRow:
    name: str
    label: str
    description: str
    unit: str
    better: str | None
    mean: str
    ci: str
    interval: str
    p50: str
    p95: str
    n: str
    censored: str = ""
    bound: str = ""
    """``≥`` (``≤`` for a higher-is-better KPI) when the horizon cut replications off."""
    target: str = ""
    status: str | None = None
    status_word: str = ""
    mark: str = ""
    verdict: str = ""


@dataclass
class _PointView:
    index: int
    label: str
    settings: list[tuple[str, str]]
    rows: list[_KpiRow]


@dataclass
class _ParamNode:
    """A parameter value laid out for the page: ``scalar``, ``map`` (key → node), ``list`` (of
    scalars), ``records`` (a list of flat mappings as a table), ``items`` (a list of nodes) or
    ``json`` (too deep: pretty-printed)."""

    kind: str
    text: str = ""
    entries: list[tuple[str, _ParamNode]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


_VERDICT_MARK = {"pass": "✓", "fail": "✗", "uncertain": "?", "not_applicable": "–"}


class _ReportBuilder:
    def __init__(self, summary: dict, records: _Records, lang: str | None = None):
        self.summary = summary
        self.records = records
        self.lang = normalise_language(lang)
        # What the run itself says about its figures (an alarm beyond the horizon, a run the horizon
        # cut off, nobody moved) comes first: a reader must see it before the numbers.
        self.warnings: list[str] = [self._said(w) for w in summary.get("warnings") or []]
        self.notes: list[str] = [self._said(n) for n in summary.get("notes") or []]
        self._chart_count = 0
        self.model: ModelSpec | None = None
        model_name = summary.get("model")
        try:
            self.model = get_model(model_name) if model_name else None
        except UnknownModelError:
            self.notes.append(f"Model '{model_name}' is not registered here: its own charts are left out.")
        self.points: list[dict] = list(summary.get("points") or []) or [
            {"point": 0, "set": {}, "parameters": summary.get("parameters") or {}, "kpis": summary.get("kpis") or {}}]
        self.sweep_keys: list[str] = []
        for p in self.points:
            for k in p.get("set") or {}:
                if _short_key(k) not in self.sweep_keys:
                    self.sweep_keys.append(_short_key(k))
        # What each swept parameter is called, and its unit, in the reader's language (the model's
        # parameter schema; the code name where it says nothing).
        schema = self.model.params.model_json_schema() if self.model is not None else None
        self.sweep_info: dict[str, tuple[str, str | None]] = {}
        for key in self.sweep_keys:
            label, unit = param_schema_info(schema, key)
            self.sweep_info[key] = (pick(label, self.lang) if label else key, unit)
        self.sweep_words = {key: words for key, (words, _) in self.sweep_info.items()}
        self.point_labels = {int(p.get("point", i)): self._point_words(p) for i, p in enumerate(self.points)}
        # Charts name a point by its values alone ("3 / 30") under an axis or legend title naming
        # the swept parameters ("technicians / repair_mean_min").
        self.point_ticks = {int(p.get("point", i)): " / ".join(_scalar_text(v) for v in p["set"].values())
                            if p.get("set") else f"point {p.get('point', i)}" for i, p in enumerate(self.points)}
        self.point_title = " / ".join(self.sweep_words.values()) or self.t("report.sweep_point")
        self.kpi_names = self._kpi_names()

    def t(self, key: str, **values: Any) -> str:
        return translate(key, self.lang, **values)

    def _said(self, words: Any) -> str:
        """Words of the summary (Text, or a plain string from an older run) in the report's language."""
        return pick(words, self.lang) if words is not None else ""

    def _next_id(self) -> str:
        self._chart_count += 1
        return f"chart{self._chart_count}"

    def _point_words(self, point: Mapping[str, Any]) -> str:
        """A sweep point named by what it sets, in the reader's words: "alarm delay 120 s" /
        "报警延迟 120 秒" (:func:`point_label` where it sets nothing)."""
        settings = point.get("set") or {}
        if not settings:
            return point_label(point)
        parts = []
        for key, value in settings.items():
            short = _short_key(key)
            words, unit = self.sweep_info.get(short, (short, None))
            # A parameter without words keeps its code form (``desks=2``).
            if words == short:
                parts.append(f"{short}={_scalar_text(value)}")
                continue
            # A fixed choice (collective, destination…) by its words, as the scenario form offers it.
            chosen = MESSAGES[self.lang].get(f"form.value.{value}") if isinstance(value, str) else None
            parts.append(f"{words} {chosen or value_text(value, unit, self.lang)}")
        return ", ".join(parts)

    def _kpi_names(self) -> list[str]:
        """The KPIs shown: the model's, then any other the summary has — less those this run did not
        produce at all (no value at any point, no target: a figure of another mode of the model), which
        are named once in :attr:`not_produced`."""
        names = [k.name for k in self.model.kpis] if self.model else []
        for point in self.points:
            for name in point.get("kpis") or {}:
                if name not in names:
                    names.append(name)
        self.not_produced: list[str] = []
        shown = []
        for name in names:
            stats = [(p.get("kpis") or {}).get(name) for p in self.points]
            stats = [st for st in stats if isinstance(st, Mapping)]
            if stats and all(st.get("n") == 0 and not st.get("target") for st in stats):
                self.not_produced.append(name)
            else:
                shown.append(name)
        return shown

    def _kpi_meta(self, name: str) -> dict:
        """A KPI's words and unit in the report's language: from the summary, else the registry."""
        meta: dict[str, Any] = {}
        for point in self.points:
            found = (point.get("kpis") or {}).get(name)
            if found:
                for key in ("unit", "unit_label", "label", "description", "better", "kind"):
                    if found.get(key) is not None:
                        meta[key] = found[key]
                break
        if self.model:
            try:
                k: KPI = self.model.kpi(name)
                for key, value in (("unit", k.unit), ("label", k.label), ("description", k.description),
                                   ("better", k.better), ("kind", k.kind)):
                    meta.setdefault(key, value)
            except KeyError:
                pass
        unit = meta.get("unit") or ""
        shown_unit = self._said(meta.get("unit_label")) if meta.get("unit_label") else unit_label(unit, self.lang)
        return {"unit": unit, "unit_shown": "" if shown_unit == "—" else shown_unit,
                "label": self._said(meta.get("label")) or name, "description": self._said(meta.get("description")),
                "better": meta.get("better"), "kind": meta.get("kind")}

    def _kpi_rows(self, point: dict) -> list[_KpiRow]:
        rows = []
        kpis = point.get("kpis") or {}
        for name in self.kpi_names:
            meta = self._kpi_meta(name)
            s = kpis.get(name) or {}
            scale = 100.0 if meta["unit"] == "share" else 1.0  # a share is shown as a percentage

            def shown(key: str) -> float | None:
                v = s.get(key)
                return v * scale if isinstance(v, (int, float)) and not isinstance(v, bool) else v

            low, high = shown("ci95_low"), shown("ci95_high")
            ref = _row_reference(shown(k) for k in ("mean", "ci95_low", "ci95_high", "p50", "p95"))
            ci = "—" if low is None or high is None else f"{format_number(low, ref)} – {format_number(high, ref)}"
            method = s.get("interval")
            interval = (self.t("report.interval", method=self.t(f"report.interval.{method}")) if method
                        else self.t("report.interval.none") if s.get("n") == 1 else "")
            censored = s.get("censored") or 0
            mark = ("≤" if meta["better"] == "higher" else "≥") if censored else ""
            row = _KpiRow(name=name, label=meta["label"], description=meta["description"], unit=meta["unit_shown"],
                          better=meta["better"], mean=mark + format_number(shown("mean"), ref), ci=ci,
                          interval=interval, p50=format_number(shown("p50"), ref),
                          p95=format_number(shown("p95"), ref), n=format_number(s.get("n")))
            if censored:
                row.bound = mark
                row.censored = self.t("report.censored", k=censored, n=self.summary.get("replications") or s.get("n"))
            target, verdict = s.get("target"), s.get("verdict")
            if target:
                unit = f" {meta['unit_shown']}" if meta["unit_shown"] else ""
                row.target = (f"{'≥' if target['op'] == '>=' else '≤'} {format_value(target['value'], meta['unit'])}{unit} "
                              f"({self.t('report.rule.' + target.get('rule', 'mean'))})")
            if verdict:
                row.status = verdict["status"]
                row.status_word = self.t(f"report.verdict.{verdict['status']}")
                row.mark = _VERDICT_MARK.get(verdict["status"], "")
                row.verdict = self._said(verdict.get("text"))
            rows.append(row)
        return rows

    def _point_views(self) -> list[_PointView]:
        return [_PointView(index=int(p.get("point", i)), label=self.point_labels[int(p.get("point", i))],
                           settings=[(_short_key(k), _scalar_text(v)) for k, v in (p.get("set") or {}).items()],
                           rows=self._kpi_rows(p))
                for i, p in enumerate(self.points)]

    def _verdicts(self, views: list[_PointView]) -> list[dict]:
        """Every KPI with a target, at every point: what the verdicts section lists."""
        found = []
        for view in views:
            for row in view.rows:
                if row.status:
                    found.append({"point": view.index, "point_label": view.label if len(views) > 1 else "",
                                  "row": row})
        return found

    def _sources(self) -> list[str]:
        """Where each target comes from (once each), then the methods behind the intervals."""
        sources: list[str] = []
        for point in self.points:
            for s in (point.get("kpis") or {}).values():
                target = s.get("target") if isinstance(s, Mapping) else None
                said = self._said(target.get("source")) if target else ""
                if said and said not in sources:
                    sources.append(said)
        sources.append(self.t("report.sources.intervals"))
        return sources

    def _y_label(self, name: str) -> str:
        meta = self._kpi_meta(name)
        unit = meta["unit_shown"]
        return f"{meta['label']} ({unit})" if unit else meta["label"]

    def _grid(self) -> tuple[list[Any], list[Any], dict[tuple[Any, Any], int]] | None:
        """A sweep over exactly two parameters as a grid: (x values, y values, (x, y) → point index)."""
        if len(self.sweep_keys) != 2 or len(self.points) < 2:
            return None
        xs: list[Any] = []
        ys: list[Any] = []
        where: dict[tuple[Any, Any], int] = {}
        for i, p in enumerate(self.points):
            values = list((p.get("set") or {}).values())
            if len(values) != 2:
                return None
            x, y = (_scalar_text(v) if not isinstance(v, (int, float)) or isinstance(v, bool) else v for v in values)
            if x not in xs:
                xs.append(x)
            if y not in ys:
                ys.append(y)
            where[(x, y)] = i
        if all(isinstance(v, (int, float)) for v in xs):
            xs.sort()
        if all(isinstance(v, (int, float)) for v in ys):
            ys.sort()
        return xs, ys, where

    def _sweep_charts(self) -> list[RenderedChart]:
        if len(self.points) < 2:
            return []
        grid = self._grid()
        if grid is not None:  # two swept parameters: one heat map of the mean per KPI
            xs, ys, where = grid
            charts = []
            for name in self.kpi_names:
                meta = self._kpi_meta(name)
                scale = 100.0 if meta["unit"] == "share" else 1.0
                means = [[((self.points[where[(x, y)]].get("kpis") or {}).get(name) or {}).get("mean")
                          if (x, y) in where else None for x in xs] for y in ys]
                if all(v is None for row in means for v in row):
                    charts.append(RenderedChart(meta["label"], None, self.t("report.no_values")))
                    continue
                scaled = [[None if v is None else v * scale for v in row] for row in means]
                fig = heatmap_chart(xs, ys, scaled, x_label=self.sweep_words[self.sweep_keys[0]],
                                    y_label=self.sweep_words[self.sweep_keys[1]],
                                    value_label=self._y_label(name), better=meta["better"])
                charts.append(RenderedChart(meta["label"], figure_to_svg(fig, id_prefix=self._next_id()),
                                            caption=meta["description"] or None))
            return charts
        labels = [self.point_ticks[int(p.get("point", i))] for i, p in enumerate(self.points)]
        swept_values = [v for p in self.points for v in (p.get("set") or {}).values()]
        ordered = len(self.sweep_keys) == 1 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in swept_values)
        charts = []
        for name in self.kpi_names:
            meta = self._kpi_meta(name)
            scale = 100.0 if meta["unit"] == "share" else 1.0
            stats = [(p.get("kpis") or {}).get(name) or {} for p in self.points]
            if all(s.get("mean") is None for s in stats):
                charts.append(RenderedChart(meta["label"], None, self.t("report.no_values")))
                continue

            def scaled(key: str) -> list[float | None]:
                return [s.get(key) * scale if s.get(key) is not None else None for s in stats]

            fig = ci_chart(labels, scaled("mean"), scaled("ci95_low"), scaled("ci95_high"),
                           y_label=self._y_label(name), x_label=self.point_title, connect=ordered)
            charts.append(RenderedChart(meta["label"], figure_to_svg(fig, id_prefix=self._next_id()),
                                        caption=meta["description"] or None))
        return charts

    def _kpi_values(self) -> dict[str, dict[int, list[float]]] | None:
        """Per-replication KPI values by KPI and point, from the KPI table or the summary."""
        found: dict[str, dict[int, list[float]]] = {}
        frame = self.records.get(KPI_VALUES_TABLE)
        if frame is not None and not frame.empty:
            points = frame["point"] if "point" in frame.columns else pd.Series(0, index=frame.index)
            if {"kpi", "value"} <= set(frame.columns):
                for (kpi, point), part in frame.assign(_p=points).groupby(["kpi", "_p"], sort=True):
                    found.setdefault(str(kpi), {})[int(point)] = pd.to_numeric(part["value"], errors="coerce").tolist()
            else:
                for name in self.kpi_names:
                    if name in frame.columns:
                        for point, part in frame.assign(_p=points).groupby("_p", sort=True):
                            found.setdefault(name, {})[int(point)] = pd.to_numeric(part[name], errors="coerce").tolist()
        if not found:
            for i, p in enumerate(self.points):
                for name, s in (p.get("kpis") or {}).items():
                    if isinstance(s, Mapping) and isinstance(s.get("values"), Sequence):
                        found.setdefault(name, {})[int(p.get("point", i))] = list(s["values"])
        return found or None

    def _distribution_charts(self) -> list[RenderedChart]:
        values = self._kpi_values()
        if not values:
            return []
        charts = []
        for name in self.kpi_names:
            by_point = values.get(name)
            if not by_point:
                continue
            scale = 100.0 if self._kpi_meta(name)["unit"] == "share" else 1.0
            by_label = {self.point_ticks.get(p, f"point {p}") if len(self.points) > 1
                        else self.t("report.all_replications"):
                        [v * scale if v is not None else v for v in vs] for p, vs in sorted(by_point.items())}
            if not any(v is not None and math.isfinite(v) for vs in by_label.values() for v in vs):
                continue
            fig = distribution_chart(by_label, y_label=self._y_label(name),
                                     x_label=self.point_title if len(by_label) > 1 else None)
            charts.append(RenderedChart(self._kpi_meta(name)["label"], figure_to_svg(fig, id_prefix=self._next_id())))
        return charts

    def _model_charts(self) -> list[RenderedChart]:
        if not self.model:
            return []
        charts = []
        for chart in self.model.charts:
            try:
                rendered = draw_chart(chart, self.records.get(chart.table), id_prefix=self._next_id(),
                                      point_labels=self.point_ticks, point_title=self.point_title,
                                      replications=self.summary.get("replications"), lang=self.lang)
            except Exception as exc:  # one bad chart must not cost the whole report
                rendered = RenderedChart(pick(chart.title, self.lang), None,
                                         f"Could not be drawn: {type(exc).__name__}: {exc}")
            charts.append(rendered)
        return charts

    def _model_tables(self) -> list[dict]:
        """The model's :class:`~models.harness.ReportTable` s: rows of the first sweep point, averaged over
        its replications, and the whole table as a CSV file to download (a ``data:`` link: the
        report still loads nothing)."""
        if not self.model:
            return []
        out = []
        for spec in self.model.tables:
            frame = self.records.get(spec.table)
            title = pick(spec.title, self.lang)
            if frame is None or frame.empty:
                out.append({"title": title, "description": "", "rows": [], "columns": [], "csv": None,
                            "note": self.t("report.table.none", table=spec.table)})
                continue
            try:
                out.append(self._model_table(spec, frame, title))
            except Exception as exc:  # one bad table must not cost the whole report
                out.append({"title": title, "description": "", "rows": [], "columns": [], "csv": None,
                            "note": f"Could not be shown: {type(exc).__name__}: {exc}"})
        return out

    def _model_table(self, spec, frame: pd.DataFrame, title: str) -> dict:
        csv_uri = "data:text/csv;charset=utf-8," + urllib.parse.quote(frame.to_csv(index=False))
        part = frame
        if "point" in part.columns:
            part = part[part["point"] == part["point"].min()]
        for column, value in spec.where.items():
            part = part[part[column] == value]
        shown = [(spec.localised.get(c, {}).get(self.lang, c), pick(label, self.lang)) for c, label in spec.columns]
        keep = [c for c, _ in shown if c in part.columns]
        replications = part["replication"].nunique() if "replication" in part.columns else 1
        rows = []
        if not part.empty:
            grouped = part.groupby(list(spec.by), sort=False, dropna=False)
            first = grouped[keep].first()
            # the mean over the replications, a line absent from one counting as 0 there
            means = grouped[list(spec.average)].sum() / replications if spec.average else None
            for key in first.index:
                row = first.loc[key].to_dict()
                if means is not None:
                    for column in spec.average:
                        row[column] = float(means.loc[key, column])
                rows.append([_scalar_text(row.get(c)) if not isinstance(row.get(c), float)
                             else format_number(row.get(c)) for c, _ in shown])
        note = self.t("report.table.averaged", n=replications) if spec.average and replications > 1 else None
        return {"title": title, "description": pick(spec.description, self.lang) if spec.description else "",
                "columns": [label for _, label in shown], "rows": rows, "note": note,
                "csv": csv_uri, "csv_name": f"{spec.table}.csv"}

    def context(self) -> dict:
        s = self.summary
        raw_scenario = s.get("scenario") if isinstance(s.get("scenario"), Mapping) else {}
        scenario = {key: raw_scenario.get(key) for key in ("name", "file", "building")}
        scenario["title"] = self._said(raw_scenario.get("title"))
        scenario["description"] = self._said(raw_scenario.get("description"))
        raw_building = s.get("building")
        if not isinstance(raw_building, Mapping):
            raw_building = {"id": raw_building, "name": None}
        building = {"id": raw_building.get("id"), "name": raw_building.get("name")}
        model = {"name": s.get("model") or "—",
                 "title": self._said(s.get("model_title")) or (self._said(self.model.title) if self.model
                                                                else s.get("model") or "—"),
                 "description": self._said(self.model.description) if self.model else ""}
        sweep = len(self.points) > 1
        points = self._point_views()
        live = dict(s["live"]) if isinstance(s.get("live"), Mapping) else None
        if live is not None:
            live["notes"] = [self._said(n) for n in live.get("notes") or []]
        flags = [self.t(f"report.flag.{f}") if f"report.flag.{f}" in MESSAGES["en"] else f for f in s.get("flags") or []]
        return {
            "tool": TOOL_NAME,
            "version": _tool_version(),
            "lang": self.lang,
            "t": self.t,
            "title": scenario.get("title") or scenario.get("name") or "Scenario report",
            "scenario": scenario,
            "model": model,
            "building": building,
            "seed": s.get("seed"),
            "replications": s.get("replications"),
            "horizon": format_duration(s.get("horizon_s")),
            "changes": describe_changes(s.get("changes"), self.lang),  # "technicians 4 → 3" (scenarios.changes)
            "sweep": sweep,
            "sweep_keys": self.sweep_keys,
            "sweep_words": self.sweep_words,
            "points": points,
            "point_tables_max": POINT_TABLES_MAX,
            "not_produced": [self._kpi_meta(n)["label"] for n in self.not_produced],
            "sweep_heatmap": self._grid() is not None,
            "verdicts": self._verdicts(points),
            "sources": self._sources(),
            "flags": flags,
            "sweep_charts": self._sweep_charts(),
            "distribution_charts": self._distribution_charts(),
            "model_charts": self._model_charts(),
            "model_tables": self._model_tables(),
            "parameters": _param_tree(s.get("parameters") or {}),
            "warnings": self.warnings,
            "notes": self.notes,
            "live": live,
        }


POINT_TABLES_MAX = 12
"""A sweep of more points than this shows its KPI surface table (every point's means) and charts
only, without a detailed table per point: the summary and the ``kpis`` records hold every figure."""


def _param_tree(value: Any, depth: int = 0) -> _ParamNode:
    """Lay out a parameter value as nested tables; very deep values fall back to JSON text."""
    if depth > _PARAM_DEPTH_LIMIT:
        return _ParamNode("json", text=json.dumps(value, indent=2, ensure_ascii=False, default=str))
    if isinstance(value, Mapping):
        if not value:
            return _ParamNode("scalar", text="(none)")
        return _ParamNode("map", entries=[(str(k), _param_tree(v, depth + 1)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        if not value:
            return _ParamNode("scalar", text="(none)")
        if all(not isinstance(v, (Mapping, list, tuple)) for v in value):
            return _ParamNode("list", text=", ".join(_scalar_text(v) for v in value))
        if all(isinstance(v, Mapping) and all(not isinstance(x, (Mapping, list, tuple)) or
                                              (isinstance(x, (list, tuple)) and len(x) <= 4) for x in v.values())
               for v in value):
            columns: list[str] = []
            for v in value:
                columns.extend(str(k) for k in v if str(k) not in columns)
            rows = [[_scalar_text(v.get(c)) if c in v else "" for c in columns] for v in value]
            return _ParamNode("records", columns=columns, rows=rows)
        return _ParamNode("items", entries=[(str(i), _param_tree(v, depth + 1)) for i, v in enumerate(value)])
    return _ParamNode("scalar", text=_scalar_text(value))


def _tool_version() -> str | None:
    try:
        return metadata.version("building-twin")
    except metadata.PackageNotFoundError:
        return None


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("viewer", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    env.filters["svg"] = lambda text: Markup(text) if text else ""
    return env
