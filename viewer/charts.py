"""Charts of simulation results, drawn with matplotlib and returned as inline SVG.

A person reads a what-if study through a few pictures: a time series from one replication
(queue length through the day, occupants still inside during an evacuation), a ranking (mean
wait per trade), a distribution (evacuation times of every occupant), and, for a sweep, how a
KPI's mean and its 95 % confidence interval move as a parameter changes. This module draws
those pictures from plain data — pandas frames of record rows and KPI summaries — and turns a
figure into an SVG string that can be inlined in an HTML page with no network, no JavaScript
and no display: figures are :class:`matplotlib.figure.Figure` objects rendered by the SVG
backend, never through ``pyplot``.

The output is deterministic: the same data gives byte-identical SVG (fixed hash salt, no date
metadata, ids prefixed per chart so that several charts can share one page).

A model describes its charts as data (:class:`models.harness.Chart`); :func:`draw_chart` turns
one of those descriptions and its records table into a :class:`RenderedChart`, and explains in a
short note what it could not draw or what it left out, instead of failing.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from models.harness import Chart
from models.stats import mean_ci
from twin.text import pick
from viewer.fonts import cjk_font_file
from viewer.i18n import translate

__all__ = ["RenderedChart", "PALETTE", "MAX_GROUPS", "MAX_BARS", "chart_style", "new_figure", "figure_to_svg",
           "line_chart", "bar_chart", "hist_chart", "ci_chart", "distribution_chart", "draw_chart"]

# Okabe–Ito (colour-blind safe) first, then four distinct tab10 colours: twelve lines at most.
PALETTE: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
                            "#000000", "#8c564b", "#7f7f7f", "#bcbd22", "#9467bd")
MAX_GROUPS = 12
"""Lines drawn at most in one chart; the groups with the largest mean |y| are kept."""
MAX_BARS = 20
"""Categories drawn at most in one bar chart; the largest means are kept."""
MAX_PANELS = 4
"""Sweep points drawn as separate panels at most."""
MAX_SERIES = 6
"""Sweep points drawn as side-by-side bars or boxes at most."""
# ``orientation`` replaced ``vert`` in matplotlib 3.10; older releases only know ``vert``.
_HORIZONTAL = {"orientation": "horizontal"} if tuple(int(p) for p in mpl.__version__.split(".")[:2]) >= (3, 10) \
    else {"vert": False}
_RASTERIZE_ABOVE = 20_000
"""Points above which line artists are embedded as an image inside the SVG to keep the page light."""

_STYLE = {
    "svg.fonttype": "none",          # real text: selectable, searchable, small
    "svg.hashsalt": "building-twin",  # stable ids
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9.0,
    "axes.titlesize": 9.0,
    "axes.labelsize": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.6,
    "axes.edgecolor": "#555555",
    "axes.labelcolor": "#222222",
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "legend.frameon": False,
    "legend.fontsize": 8.0,
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
    "lines.linewidth": 1.4,
    "savefig.dpi": 150,
    "path.simplify": True,
}


@dataclass(frozen=True)
class RenderedChart:
    """A chart ready for a page: its title, its inline SVG (``None`` if nothing could be drawn)
    and an optional note saying what was left out or why it is missing."""

    title: str
    svg: str | None
    note: str | None = None
    caption: str | None = None
    """How to read the chart (what the whiskers are…), as opposed to the note on what is missing."""


CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC")
"""Fonts Chinese labels fall back to, the first installed one (else the one fontconfig finds,
:func:`viewer.fonts.cjk_font_file`; tools/system-deps.sh installs
WenQuanYi Micro Hei); the SVG keeps real text, so a reader's own fonts draw it in the end."""


@functools.cache
def _font_families() -> list[str]:
    """DejaVu Sans for Latin text, then the first installed CJK font as matplotlib's fallback."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    known = [name for name in CJK_FONTS if name in installed]
    if known:
        return ["DejaVu Sans", known[0]]
    # matplotlib lists the system's fonts once and keeps the list (~/.cache/matplotlib): a CJK font
    # installed after that (tools/system-deps.sh runs after the first install) is not in it, and
    # every Chinese label would come out as boxes. Add the one fontconfig finds.
    path = cjk_font_file()
    if path:
        try:
            font_manager.fontManager.addfont(path)
            return ["DejaVu Sans", font_manager.FontProperties(fname=path).get_name()]
        except (OSError, RuntimeError, ValueError):  # a damaged font file: Latin text still draws
            pass
    return ["DejaVu Sans"]


@contextmanager
def chart_style() -> Iterator[None]:
    """The house style for every chart (use around both drawing and :func:`figure_to_svg`)."""
    with mpl.rc_context({**_STYLE, "font.family": _font_families()}):
        yield


def new_figure(width_in: float = 7.0, height_in: float = 3.2, *, nrows: int = 1, ncols: int = 1,
               **subplot_kw) -> tuple[Figure, np.ndarray]:
    """A figure in the house style and its axes as a 2-D array (``axes[0, 0]`` for one panel)."""
    with chart_style():
        fig = Figure(figsize=(width_in, height_in), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, axes


_ID_ATTR = re.compile(r'\bid="([^"]+)"')
_ID_REF = re.compile(r'(url\(#|href="#)([^)"]+)')


def figure_to_svg(fig: Figure, *, id_prefix: str = "chart", standalone: bool = False) -> str:
    """Render ``fig`` to SVG text.

    By default the result is meant to be inlined in HTML: no XML prolog, no DOCTYPE, no
    metadata, every id (and every reference to one) prefixed with ``id_prefix`` so that several
    charts can live on one page. ``standalone=True`` keeps the prolog for an ``.svg`` file.
    The text is the same for the same figure, byte for byte.
    """
    buf = io.StringIO()
    with chart_style(), mpl.rc_context({"svg.id": id_prefix}):
        fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.05,
                    metadata={"Creator": None, "Date": None, "Format": None, "Type": None})
    svg = buf.getvalue()
    if standalone:
        return svg
    svg = svg[svg.index("<svg"):]
    svg = _ID_ATTR.sub(lambda m: m.group(0) if m.group(1) == id_prefix else f'id="{id_prefix}-{m.group(1)}"', svg)
    svg = _ID_REF.sub(lambda m: f"{m.group(1)}{id_prefix}-{m.group(2)}", svg)
    # Natural size in points; the page's CSS shrinks it to the column (max-width, height auto).
    svg = svg.replace("<svg ", '<svg class="chart-svg" ', 1)
    return svg.strip() + "\n"


# ---------------------------------------------------------------------------------------------
# Primitive charts


def _sorted_keys(values: Sequence[object]) -> list:
    """Distinct values in a stable natural order (numbers numerically, then strings)."""
    uniq = pd.unique(pd.Series(list(values), dtype=object))
    return sorted(uniq, key=lambda v: (0, float(v), "") if _is_number(v) else (1, 0.0, str(v)))


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and math.isfinite(v)


def _first_replication(frame: pd.DataFrame) -> pd.DataFrame:
    if "replication" not in frame.columns or frame.empty:
        return frame
    parts = [part[part["replication"] == part["replication"].min()] for _, part in _by_point(frame)]
    return pd.concat(parts) if parts else frame


def _by_point(frame: pd.DataFrame) -> list[tuple[int, pd.DataFrame]]:
    if "point" not in frame.columns:
        return [(0, frame)]
    return [(int(p), frame[frame["point"] == p]) for p in sorted(frame["point"].unique())]


def _point_name(point_labels: Mapping[int, str] | None, point: int) -> str:
    return (point_labels or {}).get(point, f"point {point}")


def _legend(fig: Figure, ax, *, title: str | None, entries: int) -> None:
    """A legend inside the axes for a few entries, outside on the right for many or long ones."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    if entries > 5 or max(len(lb) for lb in labels) > 24:
        fig.legend(handles, labels, loc="outside right upper", title=title)
    else:
        ax.legend(handles, labels, title=title, loc="best")


def line_chart(frame: pd.DataFrame, *, x: str, y: str, group: str | None = None, step: bool = False,
               all_replications: bool = False, x_label: str | None = None, y_label: str | None = None,
               point_labels: Mapping[int, str] | None = None, point_title: str = "sweep point",
               ) -> tuple[Figure, list[Note]]:
    """y against x, one line per ``group`` value (replication 0 unless ``all_replications``).

    With several sweep points (a ``point`` column) and no group, each point is one line; with a
    group, each point is a panel (the first :data:`MAX_PANELS`). Groups beyond
    :data:`MAX_GROUPS` are dropped, keeping the largest by mean |y|. Returns the figure and
    notes on what was left out.
    """
    notes: list[Note] = []
    data = frame if all_replications else _first_replication(frame)
    data = data.assign(**{x: pd.to_numeric(data[x], errors="coerce"), y: pd.to_numeric(data[y], errors="coerce")})
    data = data.dropna(subset=[x, y])
    points = _by_point(data)
    if not all_replications and "replication" in frame.columns and frame["replication"].nunique() > 1:
        notes.append(("replication0", {}))

    series_key, legend_title = group, group
    panels: list[tuple[str | None, pd.DataFrame]] = [(None, data)]
    if len(points) > 1 and group is None:
        data = data.assign(_point=data["point"].map(lambda p: _point_name(point_labels, int(p))))
        series_key, legend_title = "_point", point_title
        panels = [(None, data)]
    elif len(points) > 1:
        if len(points) > MAX_PANELS:
            notes.append(("first_points", {"n": MAX_PANELS, "of": len(points)}))
        panels = [(f"{point_title}: {_point_name(point_labels, p)}", part) for p, part in points[:MAX_PANELS]]

    keep: list = []
    if series_key is not None:
        strength = data.groupby(series_key, dropna=False)[y].apply(lambda s: float(np.nanmean(np.abs(s))))
        all_groups = _sorted_keys(list(strength.index)) if series_key != "_point" else \
            [_point_name(point_labels, p) for p, _ in points]
        keep = all_groups
        if len(all_groups) > MAX_GROUPS:
            top = set(strength.sort_values(ascending=False, kind="stable").index[:MAX_GROUPS])
            keep = [g for g in all_groups if g in top]
            notes.append(("top_groups", {"n": MAX_GROUPS, "of": len(all_groups), "what": legend_title,
                                         "y": y_label or y, "left": len(all_groups) - MAX_GROUPS}))
    colours = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(keep)}

    fig, axes = new_figure(7.0, 3.2 if len(panels) == 1 else 1.9 * len(panels) + 0.6, nrows=len(panels),
                           sharex=True, sharey=True)
    rasterized = len(data) > _RASTERIZE_ABOVE
    with chart_style():
        for ax, (panel_title, part) in zip(axes[:, 0], panels):
            series = [(None, part)] if series_key is None else [(g, part[part[series_key] == g]) for g in keep]
            for g, rows in series:
                colour = colours.get(g, PALETTE[0])
                reps = list(rows.groupby("replication", sort=True)) \
                    if all_replications and "replication" in rows.columns else [(None, rows)]
                for i, (_, rr) in enumerate(reps):
                    rr = rr.sort_values(x, kind="stable")
                    style = dict(color=colour, alpha=0.35 if len(reps) > 1 else 1.0,
                                 linewidth=0.9 if len(reps) > 1 else 1.4,
                                 label=str(g) if (g is not None and i == 0) else None, rasterized=rasterized)
                    if step:
                        ax.step(rr[x], rr[y], where="post", **style)
                    else:
                        ax.plot(rr[x], rr[y], **style)
            if panel_title is not None:
                ax.set_title(panel_title, loc="left")
            ax.set_ylabel(y_label or y)
        axes[-1, 0].set_xlabel(x_label or x)
        if len(keep) > 1:
            _legend(fig, axes[0, 0], title=legend_title, entries=len(keep))
    if data.empty:
        notes.append(("no_numeric_xy", {"x": x_label or x, "y": y_label or y}))
    return fig, notes


def _bar_statistics(frame: pd.DataFrame, x: str, y: str | None, replications: int | None) -> pd.DataFrame:
    """Per x: mean across replications of (mean y | row count) in each replication, and CI half-width."""
    rep = "replication" if "replication" in frame.columns else None
    if rep is None:
        frame = frame.assign(_replication=0)
        rep = "_replication"
    if y is None:
        per_rep = frame.groupby([rep, x], dropna=False).size().unstack(x, fill_value=0)
        if replications and set(per_rep.index) <= set(range(replications)):
            per_rep = per_rep.reindex(range(replications), fill_value=0)  # empty replications count 0
    else:
        per_rep = frame.groupby([rep, x], dropna=False)[y].mean().unstack(x)
    rows = []
    for key in per_rep.columns:
        values = per_rep[key].dropna().to_numpy(dtype=float)
        if values.size == 0:
            continue
        mean, half = mean_ci(values)
        rows.append({"x": key, "mean": mean, "half": half})
    return pd.DataFrame(rows, columns=["x", "mean", "half"])


def bar_chart(frame: pd.DataFrame, *, x: str, y: str | None = None, x_label: str | None = None,
              y_label: str | None = None, replications: int | None = None,
              point_labels: Mapping[int, str] | None = None, point_title: str = "sweep point",
              ) -> tuple[Figure, list[Note]]:
    """Mean of ``y`` per ``x`` across replications (row count per replication when ``y`` is None),
    with 95 % CI whiskers. Categories are ranked and the top :data:`MAX_BARS` kept, largest
    first; numeric x keeps its natural order. Sweep points are drawn as side-by-side bars."""
    notes: list[Note] = []
    if y is not None:
        frame = frame.assign(**{y: pd.to_numeric(frame[y], errors="coerce")}).dropna(subset=[y])
    frame = frame.dropna(subset=[x])
    points = _by_point(frame)
    if len(points) > MAX_SERIES:
        notes.append(("first_points", {"n": MAX_SERIES, "of": len(points)}))
        points = points[:MAX_SERIES]
    stats = {p: _bar_statistics(part, x, y, replications) for p, part in points}
    overall = pd.concat(list(stats.values())) if stats else pd.DataFrame(columns=["x", "mean", "half"])
    ranking = overall.groupby("x", sort=False)["mean"].mean().sort_values(ascending=False, kind="stable")
    numeric_x = bool(len(ranking)) and all(_is_number(v) for v in ranking.index)
    categories = list(ranking.index[:MAX_BARS])
    if len(ranking) > MAX_BARS:
        notes.append(("top_bars", {"n": MAX_BARS, "of": len(ranking), "x": x_label or x}))
    if numeric_x:
        categories = sorted(categories, key=float)

    value_label = y_label or (f"mean {y}" if y else "rows per replication (mean)")
    horizontal = not numeric_x
    n_series = max(1, len(points))
    slot = 0.8 if n_series > 1 else 0.6
    width = slot / n_series
    if horizontal:
        rows_in = 0.16 * len(categories) * n_series + 0.25 * len(categories) + 1.0
        fig, axes = new_figure(7.0, min(9.0, max(1.8, rows_in)))
    else:
        fig, axes = new_figure(7.0, 3.2)
    ax = axes[0, 0]
    with chart_style():
        pos = np.arange(len(categories), dtype=float)
        for i, (p, _) in enumerate(points):
            s = stats[p].set_index("x").reindex(categories)
            offset = (i - (n_series - 1) / 2) * width
            err = s["half"].to_numpy(dtype=float)
            err = None if np.all(np.isnan(err)) else np.nan_to_num(err)
            style = dict(color=PALETTE[i % len(PALETTE)], label=_point_name(point_labels, p) if n_series > 1 else None,
                         error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#333333"})
            if horizontal:
                ax.barh(pos + offset, s["mean"].to_numpy(dtype=float), height=width, xerr=err, **style)
            else:
                ax.bar(pos + offset, s["mean"].to_numpy(dtype=float), width=width, yerr=err, **style)
        ticks = [str(c) for c in categories]
        if horizontal:
            ax.set_yticks(pos, ticks)
            ax.set_ylim(max(len(categories), 1) - 0.5, -0.5)  # largest on top (an empty table: one empty row)
            ax.set_xlabel(value_label)
            ax.set_ylabel(x_label or x)
            ax.grid(axis="y", visible=False)
        else:
            ax.set_xticks(pos, ticks, rotation=45 if len(categories) > 12 else 0)
            ax.set_ylabel(value_label)
            ax.set_xlabel(x_label or x)
            ax.grid(axis="x", visible=False)
        if n_series > 1:
            fig.legend(*ax.get_legend_handles_labels(), loc="outside right upper", title=point_title)
    if not categories:
        notes.append(("no_rows_xy", {"x": x_label or x, "y": y_label or y}) if y
                     else ("no_rows_x", {"x": x_label or x}))
    return fig, notes


def _draw_marks(ax, marks, *, axis: str, lang: str | None) -> None:
    """Reference values as labelled lines (a rule's limit): vertical on ``axis="x"``, else horizontal."""
    for value, label in marks:
        words = pick(label, lang)
        if axis == "x":
            ax.axvline(value, color="#b2182b", linestyle="-", linewidth=1.6, label=words)
        else:
            ax.axhline(value, color="#b2182b", linestyle="-", linewidth=1.6, label=words)
    if marks:
        ax.legend(loc="best")


def hist_chart(frame: pd.DataFrame, *, x: str, x_label: str | None = None, y_label: str | None = None,
               point_labels: Mapping[int, str] | None = None, point_title: str = "sweep point",
               lang: str | None = None, marks: tuple = ()) -> tuple[Figure, list[Note]]:
    """Distribution of ``x`` over all rows of all replications, median and 95th percentile
    marked. With several sweep points, one horizontal box per point instead (quartiles,
    whiskers at the 5th and 95th percentiles, diamond at the mean): overlaid histograms of
    long-tailed waits are unreadable."""
    notes: list[Note] = []
    frame = frame.assign(**{x: pd.to_numeric(frame[x], errors="coerce")}).dropna(subset=[x])
    points = _by_point(frame)
    values = frame[x].to_numpy(dtype=float)
    if values.size == 0:
        fig, _ = new_figure(7.0, 1.0)
        notes.append(("no_numeric_x", {"x": x_label or x}))
        return fig, notes
    if len(points) == 1:
        fig, axes = new_figure(7.0, 3.0)
        ax = axes[0, 0]
        edges = np.histogram_bin_edges(values, bins="auto")
        if len(edges) > 61:
            edges = np.histogram_bin_edges(values, bins=60)
        with chart_style():
            ax.hist(values, bins=edges, color=PALETTE[0], alpha=0.85, edgecolor="white", linewidth=0.4)
            p50, p95 = np.percentile(values, [50, 95])
            ax.axvline(p50, color="#333333", linestyle="--", linewidth=1,
                       label=translate("report.chart.median", lang, value=_short(p50)))
            ax.axvline(p95, color=PALETTE[3], linestyle=":", linewidth=1.4,
                       label=translate("report.chart.p95", lang, value=_short(p95)))
            _draw_marks(ax, marks, axis="x", lang=lang)
            ax.legend(loc="best")
            ax.set_xlabel(x_label or x)
            ax.set_ylabel(y_label or translate("report.chart.rows", lang))
            ax.grid(axis="x", visible=False)
        return fig, notes

    if len(points) > MAX_GROUPS:
        notes.append(("first_points", {"n": MAX_GROUPS, "of": len(points)}))
        points = points[:MAX_GROUPS]
    fig, axes = new_figure(7.0, max(1.8, 0.42 * len(points) + 0.9))
    ax = axes[0, 0]
    data = [part[x].to_numpy(dtype=float) for _, part in points]
    pos = np.arange(len(points), dtype=float)
    with chart_style():
        ax.boxplot(data, positions=pos, **_HORIZONTAL, widths=0.55, whis=(5, 95), showfliers=False,
                   patch_artist=True, boxprops={"facecolor": "#cfe3f1", "edgecolor": "#333333"},
                   medianprops={"color": PALETTE[3], "linewidth": 1.6}, whiskerprops={"color": "#333333"},
                   capprops={"color": "#333333"})
        ax.scatter([d.mean() for d in data], pos, marker="D", s=18, color=PALETTE[0], zorder=3, label=translate("report.chart.mean", lang))
        ax.set_yticks(pos, [_point_name(point_labels, p) for p, _ in points])
        ax.set_ylim(len(points) - 0.5, -0.5)
        ax.set_ylabel(point_title)
        ax.set_xlabel(x_label or x)
        ax.grid(axis="y", visible=False)
        _draw_marks(ax, marks, axis="x", lang=lang)
    return fig, notes


MAX_LANES = 40
"""Most rows a timeline shows (people, lifts); the rest are named in a note."""


def gantt_chart(frame: pd.DataFrame, *, start: str, end: str, lane: str, colour: str | None = None,
                window_s: tuple[float, float] | None = None, x_label: str | None = None,
                lang: str | None = None) -> tuple[Figure, list[Note]]:
    """A timeline of the first replication of the first point: one row per ``lane`` (a person), a bar
    from ``start`` to ``end`` for each record, coloured by ``colour``, clipped to ``window_s``; the
    time axis in hours from the window's start."""
    notes: list[Note] = []
    frame = _first_replication(frame)
    if "point" in frame.columns and not frame.empty:
        frame = frame[frame["point"] == frame["point"].min()]
    frame = frame.dropna(subset=[start, end])
    t0, t1 = window_s if window_s else (float(frame[start].min()) if len(frame) else 0.0,
                                        float(frame[end].max()) if len(frame) else 1.0)
    frame = frame[(frame[end] > t0) & (frame[start] < t1)]
    lanes = _sorted_keys(frame[lane].tolist()) if len(frame) else []
    if len(lanes) > MAX_LANES:
        notes.append(("first_lanes", {"n": MAX_LANES, "of": len(lanes)}))
        lanes = lanes[:MAX_LANES]
    fig, axes = new_figure(7.0, max(1.6, 0.22 * len(lanes) + 1.0))
    ax = axes[0, 0]
    if not lanes:
        notes.append(("nothing_in_window", {}))
        return fig, notes
    states = _sorted_keys(frame[colour].tolist()) if colour else [None]
    colours = {state: PALETTE[i % len(PALETTE)] for i, state in enumerate(states)}
    row = {name: i for i, name in enumerate(lanes)}
    with chart_style():
        for state in states:
            part = frame if state is None else frame[frame[colour] == state]
            part = part[part[lane].isin(row)]
            if part.empty:
                continue
            left = (np.clip(part[start].to_numpy(float), t0, t1) - t0) / 3600.0
            right = (np.clip(part[end].to_numpy(float), t0, t1) - t0) / 3600.0
            ax.barh([row[v] for v in part[lane]], right - left, left=left, height=0.7, color=colours[state],
                    label=None if state is None else str(state), linewidth=0)
        ax.set_yticks(range(len(lanes)), [str(v) for v in lanes])
        ax.set_ylim(len(lanes) - 0.5, -0.5)
        ax.set_xlim(0, (t1 - t0) / 3600.0)
        ax.set_xlabel(x_label or translate("report.chart.hours", lang))
        ax.grid(axis="y", visible=False)
        if colour:
            _legend(fig, ax, title=None, entries=len(states))
    return fig, notes


def _short(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"


def ci_chart(labels: Sequence[str], means: Sequence[float | None], lows: Sequence[float | None],
             highs: Sequence[float | None], *, y_label: str, x_label: str = "sweep point",
             connect: bool = False) -> Figure:
    """KPI mean with its 95 % confidence interval at each sweep point (missing values skipped);
    ``connect`` joins the means by a line (a sweep over one ordered parameter)."""
    fig, axes = new_figure(7.0, 2.8)
    ax = axes[0, 0]
    pos = np.arange(len(labels), dtype=float)
    m = np.array([np.nan if v is None else v for v in means], dtype=float)
    lo = np.array([np.nan if v is None else v for v in lows], dtype=float)
    hi = np.array([np.nan if v is None else v for v in highs], dtype=float)
    err = np.vstack([np.nan_to_num(m - lo), np.nan_to_num(hi - m)])
    with chart_style():
        if connect:
            ax.plot(pos, m, color=PALETTE[0], alpha=0.4, linewidth=1)
        ax.errorbar(pos, m, yerr=err, fmt="o", color=PALETTE[0], ecolor="#333333", elinewidth=1, capsize=4,
                    markersize=5)
        long = sum(len(s) for s in labels) > 70
        ax.set_xticks(pos, list(labels), rotation=30 if long else 0, ha="right" if long else "center")
        ax.set_xlim(-0.5, len(labels) - 0.5)
        ax.set_ylabel(y_label)
        ax.set_xlabel(x_label)
        ax.grid(axis="x", visible=False)
    return fig


def heatmap_chart(x_values: Sequence[Any], y_values: Sequence[Any], grid: Sequence[Sequence[float | None]], *,
                  x_label: str, y_label: str, value_label: str, better: str | None = None) -> Figure:
    """A KPI's mean over a sweep of two parameters: one cell per combination (``grid[i][j]`` at
    ``y_values[i]``, ``x_values[j]``; None for a combination not run), coloured by value (green for
    the better end when ``better`` says which) and labelled with it when the grid is small enough."""
    z = np.array([[np.nan if v is None else float(v) for v in row] for row in grid], dtype=float)
    width = min(9.0, 2.5 + 0.6 * len(x_values))
    height = min(7.0, 1.6 + 0.45 * len(y_values))
    fig, axes = new_figure(width, height)
    ax = axes[0, 0]
    cmap = "RdYlGn" if better == "higher" else "RdYlGn_r" if better == "lower" else "viridis"
    with chart_style():
        image = ax.imshow(np.ma.masked_invalid(z), cmap=cmap, aspect="auto", origin="lower")
        ax.set_xticks(np.arange(len(x_values)), [str(v) for v in x_values],
                      rotation=30 if sum(len(str(v)) for v in x_values) > 50 else 0)
        ax.set_yticks(np.arange(len(y_values)), [str(v) for v in y_values])
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.grid(False)
        if z.size <= 150:
            finite = z[np.isfinite(z)]
            middle = float(np.nanmean(finite)) if finite.size else 0.0
            for (i, j), v in np.ndenumerate(z):
                if np.isfinite(v):
                    ax.text(j, i, _short(v), ha="center", va="center", fontsize=7,
                            color="black" if abs(v - middle) < (np.nanmax(finite) - np.nanmin(finite)) / 3 + 1e-12
                            else "white")
        bar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
        bar.set_label(value_label)
    return fig


def distribution_chart(values_by_label: Mapping[str, Sequence[float]], *, y_label: str,
                       x_label: str | None = None) -> Figure:
    """One KPI's values across replications: a box (quartiles, whiskers to 1.5 IQR) and every
    replication as a dot, per sweep point (one box without a sweep)."""
    labels = list(values_by_label)
    data = [np.asarray([v for v in values_by_label[k] if v is not None and math.isfinite(v)], dtype=float)
            for k in labels]
    fig, axes = new_figure(max(3.2, min(7.0, 0.8 * len(labels) + 1.8)), 2.6)
    ax = axes[0, 0]
    rng = np.random.default_rng(0)  # jitter only; fixed so that the page is reproducible
    pos = np.arange(1, len(labels) + 1, dtype=float)
    with chart_style():
        drawable = [(p, d) for p, d in zip(pos, data) if d.size]
        if drawable:
            ax.boxplot([d for _, d in drawable], positions=[p for p, _ in drawable], widths=0.5,
                       showfliers=False, medianprops={"color": PALETTE[3], "linewidth": 1.5},
                       boxprops={"color": "#555555"}, whiskerprops={"color": "#555555"},
                       capprops={"color": "#555555"})
        for p, d in drawable:
            ax.scatter(p + rng.uniform(-0.15, 0.15, d.size), d, s=12, color=PALETTE[0], alpha=0.7,
                       linewidths=0, zorder=3)
        rotate = sum(len(s) for s in labels) > 40
        ax.set_xticks(pos, labels, rotation=30 if rotate else 0, ha="right" if rotate else "center")
        ax.set_xlim(0.4, len(labels) + 0.6)
        ax.set_ylabel(y_label)
        if x_label:
            ax.set_xlabel(x_label)
        ax.grid(axis="x", visible=False)
    return fig


# ---------------------------------------------------------------------------------------------
# A model's chart description


def draw_chart(chart: Chart, frame: pd.DataFrame | None, *, id_prefix: str,
               point_labels: Mapping[int, str] | None = None, point_title: str = "sweep point",
               replications: int | None = None, lang: str | None = None) -> RenderedChart:
    """Draw a model's :class:`~models.harness.Chart` from its records table (``None`` when the
    table is missing), with its title and axis labels in ``lang``. Missing tables or columns, empty
    tables and unknown kinds give a :class:`RenderedChart` with a note and no SVG."""
    chart = _in_language(chart, lang)
    if frame is None:
        return RenderedChart(chart.title, None, _say(("no_table", {"table": chart.table}), lang))
    if frame.empty:
        return RenderedChart(chart.title, None, _say(("empty_table", {"table": chart.table}), lang))
    if chart.kind in ("line", "step", "gantt") and not chart.y:
        return RenderedChart(chart.title, None, f"A {chart.kind} chart needs a y column.")  # a model's mistake
    if chart.kind == "gantt" and not chart.group:
        return RenderedChart(chart.title, None, "A gantt chart needs a group column (its rows).")
    needed = [c for c in (chart.x, chart.y if chart.kind != "hist" else None, chart.group, chart.colour) if c]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        key = "missing_columns" if len(missing) > 1 else "missing_column"
        return RenderedChart(chart.title, None,
                             _say((key, {"columns": ", ".join(missing), "table": chart.table}), lang))
    sweep = "point" in frame.columns and frame["point"].nunique() > 1
    common = dict(x_label=chart.x_label, y_label=chart.y_label, point_labels=point_labels, point_title=point_title)
    caption = None
    if chart.kind in ("line", "step"):
        fig, notes = line_chart(frame, x=chart.x, y=chart.y, group=chart.group, step=chart.kind == "step",
                                all_replications=chart.all_replications, **common)
        if chart.all_replications:
            caption = translate("report.caption.replication_lines", lang)
    elif chart.kind == "bar":
        fig, notes = bar_chart(frame, x=chart.x, y=chart.y, replications=replications, **common)
        # The columns by their axis words, already in ``lang`` (the code name where a chart gives none).
        what = (translate("report.caption.bar_mean", lang, y=chart.y_label or chart.y) if chart.y
                else translate("report.caption.bar_rows", lang))
        caption = translate("report.caption.bar", lang, what=what, x=chart.x_label or chart.x)
    elif chart.kind == "hist":
        fig, notes = hist_chart(frame, x=chart.x, lang=lang, marks=chart.marks, **common)
        caption = translate("report.caption.hist_sweep" if sweep else "report.caption.hist", lang)
    elif chart.kind == "gantt":
        fig, notes = gantt_chart(frame, start=chart.x, end=chart.y, lane=chart.group, colour=chart.colour,
                                 window_s=chart.window_s, x_label=chart.x_label, lang=lang)
        caption = translate("report.caption.gantt", lang)
    else:
        return RenderedChart(chart.title, None, f"Unknown chart kind {chart.kind!r}.")
    if chart.kind in ("line", "step", "bar") and chart.marks:
        _draw_marks(fig.axes[0], chart.marks, axis="y", lang=lang)
    return RenderedChart(chart.title, figure_to_svg(fig, id_prefix=id_prefix),
                         " ".join(_say(n, lang) for n in notes) or None, caption)


Note = tuple[str, dict[str, Any]]
"""What a chart says about what it left out or could not draw: a key of ``chart.note.*``
(:mod:`viewer.i18n`) and the values its words take."""


def _say(note: Note, lang: str | None) -> str:
    """A chart's note in ``lang``."""
    key, values = note
    return translate(f"chart.note.{key}", lang, **values)


def _in_language(chart: Chart, lang: str | None) -> Chart:
    """The chart with its title and axis labels (Text) picked in ``lang``."""
    return replace(chart, title=pick(chart.title, lang), x_label=pick(chart.x_label, lang) or None,
                   y_label=pick(chart.y_label, lang) or None)
