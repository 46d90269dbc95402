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


def mean_ci(values: Sequence[float], confidence: float = CONFIDENCE) -> tuple[float, float | None]:
    """Mean and half-width of its Student t confidence interval (``None`` for fewer than two values)."""
    # scipy.special's inverse of Student's t distribution is the value stats.t.ppf gives, without
    # importing scipy.stats (most of a second): a one-room run stays quick.
    from scipy.special import stdtrit

    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean())
    if arr.size < 2:
        return mean, None
    sem = float(arr.std(ddof=1)) / math.sqrt(arr.size)
    return mean, float(stdtrit(arr.size - 1, 0.5 + confidence / 2) * sem)


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
