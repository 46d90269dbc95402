"""The cost-versus-promise frontier of an optimiser's search, as a picture.

A supervisor choosing a staffing plan wants to see the trade at a glance: what each plan tried
costs (the objective, across) against how well it keeps the first promise (that KPI's mean and
95 % interval, up), the target as a dashed line, the plans that keep every promise filled and
the others hollow, the frontier (no other plan is better on both) joined by a line, and the best
plan ringed. One panel per promise (up to four); with no promise, the objective against the first
searched parameter. Labels are the KPI's and parameter's own declared words in the language
asked (``en`` or ``zh-CN``), drawn in the house chart style (:mod:`viewer.charts`).

Input is the optimiser's ``optimise.json`` (:mod:`scenarios.optimise`) as a dict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.ticker import FuncFormatter, MaxNLocator

from twin.text import normalise_language, pick
from viewer.charts import PALETTE, chart_style, new_figure

__all__ = ["frontier_png", "write_frontier", "axis_label"]

MAX_PANELS = 4


def axis_label(words: dict[str, Any] | None, fallback: str, lang: str) -> str:
    """``Label (unit)`` in ``lang`` from a label entry of ``optimise.json``."""
    if not words:
        return fallback
    label = pick(words.get("label"), lang) or fallback
    if words.get("unit") in (None, "", "share"):  # a share is drawn as the fraction it is
        return label
    unit = pick(words.get("unit_label"), lang) if words.get("unit_label") else words.get("unit") or ""
    return f"{label} ({unit})" if unit else label


def _words(lang: str, en: str, zh: str) -> str:
    return zh if lang == "zh-CN" else en


def frontier_png(result: dict[str, Any], lang: str | None = "en") -> bytes:
    """The frontier chart of an optimiser's result as PNG bytes."""
    import io

    lang = normalise_language(lang)
    labels = result.get("labels") or {}
    objective = labels.get("objective") or {"name": result["request"]["objective"]["name"]}
    constraints = list(result["request"].get("subject_to") or [])[:MAX_PANELS]
    plans = result.get("plans") or []
    frontier = set(result.get("frontier") or [])
    best = (result.get("best") or {}).get("plan")
    panels = max(1, len(constraints))
    x_label = axis_label(objective, objective.get("name", ""), lang)
    fig, axes = new_figure(6.4, 3.4 * panels, nrows=panels)
    with chart_style():
        for i in range(panels):
            ax = axes[i, 0]
            if constraints:
                c = constraints[i]
                name = c["kpi"]
                y_label = axis_label(labels.get("kpis", {}).get(name), name, lang)
                ys = [((p.get("kpis") or {}).get(name) or {}) for p in plans]
                means = [y.get("mean") for y in ys]
                lows = [y.get("ci95_low") for y in ys]
                highs = [y.get("ci95_high") for y in ys]
            else:
                path = result["request"]["over"][0]["path"]
                y_label = axis_label(labels.get("params", {}).get(path), path, lang)
                means = [p["values"].get(path) for p in plans]
                lows = highs = means
            xs = [p.get("objective") for p in plans]
            obj_name = result["request"]["objective"]["name"]
            for p, x, m, lo, hi in zip(plans, xs, means, lows, highs):
                if x is None or m is None:
                    continue
                color = PALETTE[0] if p.get("feasible") else PALETTE[3 % len(PALETTE)]
                if lo is not None and hi is not None:
                    ax.errorbar([x], [m], yerr=[[max(m - lo, 0.0)], [max(hi - m, 0.0)]], fmt="none",
                                ecolor=color, elinewidth=1.0, capsize=3, alpha=0.8)
                ox = (p.get("kpis") or {}).get(obj_name) or {}  # a KPI objective's own interval, across
                if ox.get("ci95_low") is not None and ox.get("ci95_high") is not None:
                    ax.errorbar([x], [m], xerr=[[max(x - ox["ci95_low"], 0.0)], [max(ox["ci95_high"] - x, 0.0)]],
                                fmt="none", ecolor=color, elinewidth=0.8, capsize=2, alpha=0.6)
                ax.plot([x], [m], "o", markersize=6, color=color,
                        markerfacecolor=color if p.get("feasible") else "white", zorder=3)
                if p.get("plan") == best:
                    ax.plot([x], [m], "o", markersize=13, markerfacecolor="none", markeredgecolor="#222222",
                            markeredgewidth=1.4, zorder=4)
            front = sorted((x, m) for p, x, m in zip(plans, xs, means)
                           if p.get("plan") in frontier and x is not None and m is not None)
            if len(front) > 1:
                ax.plot([f[0] for f in front], [f[1] for f in front], "-", color="#888888", linewidth=1.0, zorder=2)
            if constraints:
                c = constraints[i]
                ax.axhline(c["value"], linestyle="--", color="#555555", linewidth=1.0)
                ax.annotate(_words(lang, f"promise {c['op']} {c['value']:g}", f"承诺 {c['op']} {c['value']:g}"),
                            xy=(1.0, c["value"]), xycoords=("axes fraction", "data"), ha="right", va="bottom",
                            fontsize=8, color="#555555")
            if all(float(x).is_integer() for x in xs if x is not None):
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if max((abs(x) for x in xs if x is not None), default=0.0) >= 1e4:  # money: 2,410,000, not 2.41 1e6
                ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ax.set_xlabel(x_label)
            ax.set_ylabel(y_label)
            if i == 0:
                ax.set_title(_words(lang, "Plans tried: filled keep every promise (95 % interval), hollow do not; "
                                          "ringed: best",
                                    "已试方案：实心为以 95% 置信区间满足全部承诺，空心为未满足；圈出者为最佳"),
                             fontsize=8.5)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=120, metadata={"Software": None})
    return buf.getvalue()


def write_frontier(result: dict[str, Any], path: Path, lang: str | None = "en") -> Path:
    """Write the frontier chart to ``path`` (PNG)."""
    path = Path(path)
    path.write_bytes(frontier_png(result, lang))
    return path
