"""Statistics across replications: each KPI's mean with a 95 % interval that stays within what is possible.

A scenario runs as several replications, each with its own random numbers; a KPI is reported over
them as its mean, a 95 % confidence interval of that mean, the median and the 95th percentile. The
interval must never claim the impossible: a share lies in [0, 1], and a count, a queue, an exposure
(person·seconds), a quantity or a duration is never negative. A KPI's ``kind``
(:data:`models.harness.Kind`) fixes which interval is used:

* ``share``, ``count``, ``exposure``, ``quantity`` — bounded, and often skewed (a queue that is
  empty in most replications): the **percentile bootstrap** of the mean (Efron & Tibshirani 1993,
  ch. 13; the procedure of :func:`scipy.stats.bootstrap` with ``method="percentile"``, in numpy). Resampled means lie between the smallest and the largest
  replication, so the interval cannot leave the possible range. It is resampled with a fixed seed,
  so the same values always give the same interval; identical values give ``[v, v]``.
* ``duration``, ``money``, ``margin`` — the **Student t** interval (n − 1 degrees of freedom),
  exact for normal data and close for sums of many small effects. A duration cannot be negative: when
  its t interval would reach below zero, the bootstrap is used instead. Money and margins
  (ASET − RSET) take either sign.

The summary names the interval used (``"interval": "t"`` or ``"bootstrap"``; ``None`` with fewer
than two replications, which have no interval), and the report says so beside each KPI.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

__all__ = ["KpiSummary", "IntervalMethod", "KIND_BOUNDS", "BOOTSTRAP_KINDS", "BOOTSTRAP_RESAMPLES", "BOOTSTRAP_SEED",
           "summarise", "mean_ci", "t_interval", "bootstrap_interval", "kpi_interval"]

IntervalMethod = Literal["t", "bootstrap"]

CONFIDENCE = 0.95
KIND_BOUNDS: dict[str, tuple[float, float]] = {
    "share": (0.0, 1.0),
    "count": (0.0, math.inf),
    "exposure": (0.0, math.inf),
    "quantity": (0.0, math.inf),
    "duration": (0.0, math.inf),
    "money": (-math.inf, math.inf),
    "margin": (-math.inf, math.inf),
}
"""What values a KPI of each kind can take; no interval crosses these bounds."""
BOOTSTRAP_KINDS = frozenset({"share", "count", "exposure", "quantity"})
"""Kinds whose interval is always the bootstrap; the others use Student t unless it crosses a bound."""
BOOTSTRAP_RESAMPLES = 4999
"""Resamples of the bootstrap: the interval's end points move by well under 1 % of its width between seeds."""
BOOTSTRAP_SEED = 20261202
"""Seed of the bootstrap's resampling: the same values give the same interval, run after run."""


@dataclass(frozen=True)
class KpiSummary:
    mean: float | None
    ci95_low: float | None
    ci95_high: float | None
    half_width: float | None
    p50: float | None
    p95: float | None
    std: float | None
    n: int
    interval: IntervalMethod | None = None

    def as_dict(self) -> dict:
        return asdict(self)


T_975 = (
    12.706204736174694, 4.302652729749462, 3.1824463052837078, 2.7764451051977934, 2.5705818356363146,
    2.4469118511449786, 2.364624251592784, 2.306004135204166, 2.262157162798205, 2.228138851986274,
    2.200985160091639, 2.1788128296672284, 2.1603686564627913, 2.144786687917804, 2.131449545559776,
    2.1199052992212546, 2.1098155778333156, 2.1009220402410382, 2.0930240544083087, 2.085963447265864,
    2.0796138447276795, 2.0738730679040254, 2.0686576104190486, 2.0638985616280245, 2.0595385527532972,
    2.0555294386428735, 2.0518305164802846, 2.0484071417952454, 2.045229642132703, 2.0422724563012378,
    2.039513446396408, 2.0369333434601016, 2.0345152974493383, 2.0322445093177186, 2.030107928250343,
    2.0280940009804502, 2.0261924630291093, 2.0243941639119694, 2.022690920036761, 2.021075390306273,
    2.019540970441376, 2.0180817028184443, 2.016692199227824, 2.0153675744437636, 2.014103388880846,
    2.012895598919429, 2.0117405137297655, 2.010634757624232, 2.0095752371292392, 2.008559112100761,
    2.007583770315836, 2.006646805061688, 2.0057459953178687, 2.0048792881880564, 2.0040447832891455,
    2.003240718847872, 2.002465459291007, 2.0017174841452356, 2.000995378088267, 2.0002978220142604,
    1.999623584994939, 1.9989715170333788, 1.998340542520741, 1.997729654317693, 1.9971379083920038,
    1.9965644189523117, 1.996008354025296, 1.9954689314298435, 1.9949454151072374, 1.994437111771186,
    1.9939433678456255, 1.9934635666618719, 1.992997125889855, 1.992543495180932, 1.9921021540022417,
    1.9916726096446642, 1.9912543953883846, 1.9908470688116906, 1.9904502102301285, 1.990063421254446,
    1.9896863234569029, 1.989318557136572, 1.9889597801751624, 1.9886096669757083, 1.9882679074772216,
    1.98793420623902, 1.9876082815890708, 1.9872898648311692, 1.986978699506281, 1.9866745407037683,
    1.9863771544186177, 1.98608631695113, 1.9858018143458227, 1.985523441866604, 1.9852510035054978,
    1.984984311522457, 1.9847231860139845, 1.9844674545084815, 1.9842169515864174, 1.9839715185235518,
    1.983731002955606, 1.9834952585628793, 1.9832641447734565, 1.9830375264837259, 1.9828152737950475,
    1.9825972617655006, 1.9823833701756908, 1.982173483307727, 1.9819674897364825, 1.981765282132372,
    1.9815667570749007, 1.9813718148763053, 1.981180359414661, 1.9809922979758567, 1.9808075411039094,
    1.9806260024590894, 1.9804475986834025, 1.980272249272974, 1.9800998764569397, 1.9799304050824402,
)
"""Student's t 97.5 % quantile for 1, 2, … 120 degrees of freedom — the two-sided 95 % interval of a run of
2 to 121 replications — as ``scipy.special.stdtrit(df, 0.975)`` gives it (tests/test_stats.py checks every
entry against it). Kept here because importing scipy.special costs about half a second of every
``twin run``; other levels and more replications ask scipy."""


def t_quantile(df: int, confidence: float = CONFIDENCE) -> float:
    """The two-sided ``confidence`` quantile of Student's t with ``df`` degrees of freedom."""
    if confidence == 0.95 and 1 <= df <= len(T_975):
        return T_975[df - 1]
    from scipy.special import stdtrit

    return float(stdtrit(df, 0.5 + confidence / 2))


def mean_ci(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float | None]:
    """Mean and half-width of its Student t confidence interval (``None`` for fewer than two values)."""
    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean())
    if arr.size < 2:
        return mean, None
    sem = float(arr.std(ddof=1)) / math.sqrt(arr.size)
    return mean, float(t_quantile(arr.size - 1, confidence) * sem)


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The Student t interval of the mean (``None`` for fewer than two values)."""
    mean, half = mean_ci(values, confidence)
    if half is None:
        return None
    return mean - half, mean + half


def bootstrap_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The percentile bootstrap interval of the mean, resampled with :data:`BOOTSTRAP_SEED`
    (``None`` for fewer than two values; ``[v, v]`` when every value is ``v``)."""
    arr = np.asarray(values, dtype=float)
    if arr.size < 2:
        return None
    low, high = float(arr.min()), float(arr.max())
    if low == high:
        return low, high
    # The percentile bootstrap of the mean (what scipy.stats.bootstrap(method="percentile") does),
    # in numpy: importing scipy.stats costs most of a second of every `twin run`. Resampled in
    # blocks so that memory stays small with many replications.
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    means = np.empty(BOOTSTRAP_RESAMPLES)
    block = max(1, 2_000_000 // arr.size)
    for start in range(0, BOOTSTRAP_RESAMPLES, block):
        stop = min(start + block, BOOTSTRAP_RESAMPLES)
        means[start:stop] = arr[rng.integers(0, arr.size, size=(stop - start, arr.size))].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    ci_low, ci_high = np.percentile(means, [100.0 * alpha, 100.0 * (1.0 - alpha)])
    # Resampled means lie within [min, max]; clip against rounding in the percentile interpolation.
    return min(max(float(ci_low), low), high), min(max(float(ci_high), low), high)


def kpi_interval(values: Sequence[float], kind: str | None,
                 confidence: float = CONFIDENCE) -> tuple[float | None, float | None, IntervalMethod | None]:
    """The interval of a KPI's mean suited to its ``kind`` and the method used (see the module's text).

    ``kind=None`` (a KPI that declares none) gets the t interval, as before kinds existed.
    """
    arr = np.asarray(values, dtype=float)
    if arr.size < 2:
        return None, None, None
    if kind in BOOTSTRAP_KINDS:
        low, high = bootstrap_interval(arr, confidence)  # type: ignore[misc]
        return low, high, "bootstrap"
    low, high = t_interval(arr, confidence)  # type: ignore[misc]
    lower, upper = KIND_BOUNDS.get(kind or "", (-math.inf, math.inf))
    if low < lower or high > upper:
        low, high = bootstrap_interval(arr, confidence)  # type: ignore[misc]
        return low, high, "bootstrap"
    return low, high, "t"


def _clean(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(x)


def summarise(values: Sequence[float], kind: str | None = None) -> KpiSummary:
    """Summary of one KPI over replications, with the interval its ``kind`` calls for; non-finite
    values (the KPI is undefined in that replication) are left out."""
    arr = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if arr.size == 0:
        return KpiSummary(None, None, None, None, None, None, None, 0)
    low, high, method = kpi_interval(arr, kind)
    return KpiSummary(
        mean=_clean(float(arr.mean())),
        ci95_low=_clean(low),
        ci95_high=_clean(high),
        half_width=_clean((high - low) / 2) if low is not None and high is not None else None,
        p50=_clean(float(np.percentile(arr, 50))),
        p95=_clean(float(np.percentile(arr, 95))),
        std=_clean(float(arr.std(ddof=1))) if arr.size > 1 else None,
        n=int(arr.size),
        interval=method,
    )
