"""Statistics across replications: means with Student-t confidence intervals and percentiles.

Every KPI is reported over replications as mean, 95 % confidence interval of the mean
(t distribution with n − 1 degrees of freedom), median and 95th percentile. With one
replication there is no interval: its bounds are ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

__all__ = ["KpiSummary", "summarise", "mean_ci"]


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

    def as_dict(self) -> dict:
        return asdict(self)


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float | None]:
    """Mean and half-width of its confidence interval (``None`` for fewer than two values)."""
    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean())
    if arr.size < 2:
        return mean, None
    sem = float(arr.std(ddof=1)) / math.sqrt(arr.size)
    return mean, float(stats.t.ppf(0.5 + confidence / 2, arr.size - 1) * sem)


def _clean(x: float | None) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(x)


def summarise(values: Sequence[float]) -> KpiSummary:
    """Summary of one KPI over replications; non-finite values (KPI undefined) are left out."""
    arr = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if arr.size == 0:
        return KpiSummary(None, None, None, None, None, None, None, 0)
    mean, half = mean_ci(arr)
    return KpiSummary(
        mean=_clean(mean),
        ci95_low=_clean(mean - half) if half is not None else None,
        ci95_high=_clean(mean + half) if half is not None else None,
        half_width=_clean(half),
        p50=_clean(float(np.percentile(arr, 50))),
        p95=_clean(float(np.percentile(arr, 95))),
        std=_clean(float(arr.std(ddof=1))) if arr.size > 1 else None,
        n=int(arr.size),
    )
