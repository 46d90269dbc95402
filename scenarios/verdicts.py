"""Verdicts: does a KPI meet its target — pass, fail, or uncertain — in words a safety officer signs.

A KPI may carry a target (RSET no later than ASET, an SLA share at least the promise, a budget): the
model declares it (:class:`models.harness.Target`) or the scenario sets one (``targets:``). Over the
replications of a sweep point the target is judged by its ``rule``:

* ``mean`` — the mean and its 95 % interval (:mod:`models.stats`): **pass** when the whole interval
  is on the good side of the target, **fail** when it is wholly on the bad side, **uncertain** when
  it straddles the target (more replications may decide) or there is no interval (one replication).
* ``every`` — each replication: **fail** as soon as one replication is on the bad side, naming the
  replications (numbered as in the records tables) and, where the model says, where it happened
  (``ReplicationResult.where``: "floors 12, 14"); **pass** when every replication meets it.

A replication cut off by its horizon (``ReplicationResult.censored``) did not finish: its value is
only a bound, so it can fail a target (the run as simulated did not meet it) but never pass one —
a verdict that would pass with censored replications is uncertain and says why.

The verdict's ``text`` is :data:`~twin.text.Text`, in both languages, so the CLI, the report and the
console say the same thing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from models.harness import KPI, Target
from models.units import format_value, unit_label
from twin.text import LANGUAGES, Text, pick

__all__ = ["verdict", "target_dict", "amount", "MAX_NAMED_REPLICATIONS"]

MAX_NAMED_REPLICATIONS = 10
"""Replications named in a verdict's words at most (all of them are in its ``replications`` list)."""

_STATUS = {"pass": {"en": "passed", "zh-CN": "通过"}, "fail": {"en": "failed", "zh-CN": "不通过"},
           "uncertain": {"en": "uncertain", "zh-CN": "不确定"},
           "not_applicable": {"en": "not applicable", "zh-CN": "不适用"}}
_OP = {"<=": {"en": "at most", "zh-CN": "不高于"}, ">=": {"en": "at least", "zh-CN": "不低于"}}
_BAD_SIDE = {"<=": {"en": "above", "zh-CN": "高于"}, ">=": {"en": "below", "zh-CN": "低于"}}


def amount(value: float | None, unit: str, lang: str) -> str:
    """A value with its unit as a person reads it: ``95.0 %``, ``30 min`` / ``30 分钟``."""
    label = unit_label(unit, lang) if unit else ""
    shown = _number(value, unit)
    if not label or label == "—" or value is None:
        return shown
    return f"{shown} {label}"


def _number(value: float | None, unit: str) -> str:
    """A whole number without decimals (``0 s``, ``95 %``, ``-90 s``), any other as :func:`format_value`."""
    if value is None or not math.isfinite(value):
        return format_value(None, unit)
    shown = 100.0 * value if unit == "share" else value
    if abs(shown) < 1e9 and abs(shown - round(shown)) < 1e-9:
        return f"{int(round(shown)):,}"
    return format_value(value, unit)


def target_dict(target: Target | None) -> dict | None:
    """A target as the summary carries it."""
    if target is None:
        return None
    return {"op": target.op, "value": target.value, "rule": target.rule,
            "source": dict(target.source) if target.source else None}


def _words(status: str, en: str, zh: str) -> dict:
    return {"en": f"{_STATUS[status]['en']}: {en}", "zh-CN": f"{_STATUS[status]['zh-CN']}：{zh}"}


def _named(replications: Sequence[int], where: Mapping[int, str | Text | None], lang: str) -> str:
    """``3 (floors 12, 14), 7 …`` in ``lang``."""
    parts = []
    for r in replications[:MAX_NAMED_REPLICATIONS]:
        place = pick(where.get(r), lang)
        parts.append(f"{r} ({place})" if place and lang == "en" else f"{r}（{place}）" if place else str(r))
    more = len(replications) - MAX_NAMED_REPLICATIONS
    sep = ", " if lang == "en" else "、"
    return sep.join(parts) + (f" … (+{more})" if more > 0 else "")


def verdict(kpi: KPI, target: Target | None, values: Sequence[float], *, low: float | None = None,
            high: float | None = None, mean: float | None = None, censored: Sequence[bool] = (),
            where: Mapping[int, str | Text | None] | None = None) -> dict | None:
    """The verdict on one KPI at one sweep point: ``{"status", "text", "replications"}``, or ``None``
    without a target.

    ``values`` are the KPI's per-replication values (NaN where undefined), ``low``/``high``/``mean``
    its summary over them, ``censored`` whether each replication's value is only a bound, ``where``
    where the model says each replication's value was set.
    """
    if target is None:
        return None
    where = where or {}
    censored = list(censored) or [False] * len(values)
    label = kpi.label
    goal = {code: f"{_OP[target.op][code]} {amount(target.value, kpi.unit, code)}" for code in LANGUAGES}
    defined = [(r, float(v)) for r, v in enumerate(values) if v is not None and math.isfinite(v)]
    bad = [r for r, v in defined if not target.met(v)]
    cut = sum(1 for r, _ in defined if censored[r])
    n = len(values)
    if not defined:
        # Nothing the KPI measures happened (no smoke, so no ASET margin): the target does not apply —
        # said so, rather than left to read as "uncertain", which asks for more replications.
        text = _words("not_applicable", f"{label['en']} has no value in any replication (nothing it measures happened "
                      f"in this scenario), so the target {goal['en']} does not apply",
                      f"{label['zh-CN']}在所有重复中均无数值（本情景中未发生其所度量的情况），目标“{goal['zh-CN']}”不适用")
        return {"status": "not_applicable", "text": text, "replications": []}
    if target.rule == "every":
        worst = max((v for _, v in defined), key=lambda v: -v if target.op == ">=" else v)
        worst_words = {code: amount(worst, kpi.unit, code) for code in LANGUAGES}
        if bad:
            text = _words(
                "fail",
                f"{label['en']} {_BAD_SIDE[target.op]['en']} {amount(target.value, kpi.unit, 'en')} in "
                f"replication{'s' if len(bad) > 1 else ''} {_named(bad, where, 'en')} ({len(bad)} of {n}; "
                f"worst {worst_words['en']})",
                f"{label['zh-CN']}在第 {_named(bad, where, 'zh-CN')} 次重复中{_BAD_SIDE[target.op]['zh-CN']} "
                f"{amount(target.value, kpi.unit, 'zh-CN')}（{n} 次中 {len(bad)} 次；最不利 {worst_words['zh-CN']}）")
            return {"status": "fail", "text": text, "replications": bad}
        if cut:
            text = _words(
                "uncertain",
                f"{label['en']} {goal['en']} in all {len(defined)} replications with a value, but {cut} of them "
                f"were cut off by the horizon: their values are only bounds",
                f"{label['zh-CN']}在有数值的全部 {len(defined)} 次重复中均{goal['zh-CN']}，但其中 {cut} 次在模拟结束时"
                f"尚未完成，数值仅为界限")
            return {"status": "uncertain", "text": text, "replications": []}
        text = _words("pass", f"{label['en']} {goal['en']} in all {len(defined)} replications (worst {worst_words['en']})",
                      f"全部 {len(defined)} 次重复中{label['zh-CN']}均{goal['zh-CN']}（最不利 {worst_words['zh-CN']}）")
        return {"status": "pass", "text": text, "replications": []}

    # rule "mean": the interval of the mean against the target
    mean = mean if mean is not None else sum(v for _, v in defined) / len(defined)
    m = {code: amount(mean, kpi.unit, code) for code in LANGUAGES}
    if low is None or high is None:
        text = _words("uncertain",
                      f"one replication gives no interval: mean {m['en']}, target {goal['en']}; run more replications",
                      f"仅一次重复，无法给出置信区间：平均值 {m['zh-CN']}，目标{goal['zh-CN']}；请增加重复次数")
        return {"status": "uncertain", "text": text, "replications": bad}
    ci = {code: f"{_number(low, kpi.unit)} – {amount(high, kpi.unit, code)}" for code in LANGUAGES}
    if target.met(low) and target.met(high) and not cut:
        text = _words("pass", f"mean {m['en']}, 95 % CI {ci['en']}: the whole interval is {goal['en']}",
                      f"平均值 {m['zh-CN']}，95% 置信区间 {ci['zh-CN']}：整个区间{goal['zh-CN']}")
        return {"status": "pass", "text": text, "replications": bad}
    if not target.met(low) and not target.met(high):
        side = {code: f"{_BAD_SIDE[target.op][code]} {amount(target.value, kpi.unit, code)}" for code in LANGUAGES}
        text = _words("fail", f"mean {m['en']}, 95 % CI {ci['en']}: the whole interval is {side['en']}",
                      f"平均值 {m['zh-CN']}，95% 置信区间 {ci['zh-CN']}：整个区间{side['zh-CN']}")
        return {"status": "fail", "text": text, "replications": bad}
    if cut and target.met(low) and target.met(high):
        text = _words("uncertain",
                      f"mean {m['en']}, 95 % CI {ci['en']}, {goal['en']}, but {cut} replications were cut off by the "
                      f"horizon: their values are only bounds",
                      f"平均值 {m['zh-CN']}，95% 置信区间 {ci['zh-CN']}，{goal['zh-CN']}，但有 {cut} 次重复在模拟结束时"
                      f"尚未完成，数值仅为界限")
        return {"status": "uncertain", "text": text, "replications": bad}
    text = _words("uncertain",
                  f"the 95 % CI {ci['en']} straddles the target ({goal['en']}); more replications may decide",
                  f"95% 置信区间 {ci['zh-CN']} 跨越目标（{goal['zh-CN']}），增加重复次数可能得出结论")
    return {"status": "uncertain", "text": text, "replications": bad}
