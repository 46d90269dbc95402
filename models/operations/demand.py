"""Demand: when requests, calls and failures arrive, drawn ahead of the simulation with numpy.

Owners' repair requests and service-desk calls are non-homogeneous Poisson processes: a stream's
mean rate (per apartment per month, per 1,000 m² per month, or per hour) times the factor of its
profile at that time — hour of day × day of week (a public holiday counts as a Sunday) × month,
each scaled to a mean of one (:class:`models.operations.params.Profile`). They are drawn by
thinning (Lewis & Shedler 1979): the superposition of every stream at its highest rate is one
homogeneous Poisson process (:func:`merged_poisson`, cumulative sums of exponential gaps in
blocks), each arrival is given to a stream with probability proportional to that stream's highest
rate, and kept with probability factor(t) / highest factor. When every profile is flat, no
thinning number is drawn, so two flat streams are exactly :mod:`models.repair_desk`'s merged
Poisson stream split by priority — the two models call the same function.

Repair and handling times are drawn per arrival in the same pass: exponential, lognormal with a
given mean and coefficient of variation (σ² = ln(1 + cv²), μ = ln m − σ²/2), or fixed.

Equipment lives are Weibull (shape β, scale η): ``R(t) = exp(−(t/η)^β)``. A repair after a
failure and a preventive maintenance both renew an item (as good as new), so the next life is
drawn afresh; an item that has run ``a`` days already has the conditional remaining life
``η·((a/η)^β − ln U)^{1/β} − a``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from models.repair_desk import merged_poisson, poisson_arrivals
from models.staff import Calendar

__all__ = ["merged_poisson", "poisson_arrivals", "ProfileClock", "thinned_arrivals", "draw_times",
           "lognormal_params", "weibull_residual"]

DAY_S = 86_400.0


class ProfileClock:
    """The factor of a profile at each of many times, from per-day tables of the calendar."""

    def __init__(self, calendar: Calendar, t_end_s: float):
        days = np.arange(0, int(math.ceil(t_end_s / DAY_S)) + 1, dtype=np.int64)
        _, holiday = calendar.day_flags(days)
        weekday = (calendar.start_date.weekday() + days) % 7
        self.weekday = np.where(holiday, 6, weekday)
        self.month = calendar.months(days * DAY_S) - 1

    def factors(self, profile, t: np.ndarray) -> np.ndarray:
        """Factor (mean one over each of hour, day and month) of ``profile`` at times ``t``."""
        hour = np.asarray(profile.hour_of_day, dtype=float)
        dow = np.asarray(profile.day_of_week, dtype=float)
        month = np.asarray(profile.month, dtype=float)
        hour, dow, month = hour / hour.mean(), dow / dow.mean(), month / month.mean()
        day = (t // DAY_S).astype(np.int64)
        h = ((t - day * DAY_S) // 3600.0).astype(np.int64).clip(0, 23)
        return hour[h] * dow[self.weekday[day]] * month[self.month[day]]

    @staticmethod
    def peak(profile) -> float:
        hour = np.asarray(profile.hour_of_day, dtype=float)
        dow = np.asarray(profile.day_of_week, dtype=float)
        month = np.asarray(profile.month, dtype=float)
        return float(hour.max() / hour.mean() * dow.max() / dow.mean() * month.max() / month.mean())


def thinned_arrivals(rng: np.random.Generator, rates_per_s: Sequence[float], profiles: Sequence, clock: ProfileClock,
                     t0_s: float, t1_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Arrivals in [t0_s, t1_s) of streams with mean rates ``rates_per_s`` shaped by ``profiles``:
    (absolute times, stream index). Flat profiles draw no thinning numbers (see the module docstring)."""
    if t1_s <= t0_s or not len(rates_per_s):
        return np.empty(0), np.empty(0, dtype=np.int64)
    flat = [p.flat for p in profiles]
    peaks = np.array([1.0 if f else ProfileClock.peak(p) for f, p in zip(flat, profiles)])
    top = np.asarray(rates_per_s, dtype=float) * peaks
    if not top.sum() > 0:
        return np.empty(0), np.empty(0, dtype=np.int64)
    times, stream = merged_poisson(rng, top, t1_s - t0_s)
    times = times + t0_s
    if all(flat) or not times.size:
        return times, stream
    accept = np.ones(times.size)
    for i, p in enumerate(profiles):
        if flat[i]:
            continue
        mine = stream == i
        accept[mine] = clock.factors(p, times[mine]) / peaks[i]
    keep = rng.random(times.size) < accept
    return times[keep], stream[keep]


def lognormal_params(mean: float, cv: float) -> tuple[float, float]:
    """(μ, σ) of the lognormal with this mean and coefficient of variation."""
    s2 = math.log1p(cv * cv)
    return math.log(mean) - s2 / 2.0, math.sqrt(s2)


def draw_times(rng: np.random.Generator, which: np.ndarray, mean_s: Sequence[float], dist: Sequence[str],
               cv: Sequence[float]) -> np.ndarray:
    """A duration for each arrival of stream ``which[k]`` with that stream's mean, distribution and cv.
    One exponential block (when any stream is exponential), then one normal block (lognormal)."""
    n = which.size
    out = np.empty(n)
    if not n:
        return out
    mean = np.asarray(mean_s, dtype=float)[which]
    kinds = np.asarray(dist, dtype=object)[which]
    if any(d == "exponential" for d in dist):
        z = rng.standard_exponential(n)
        mask = kinds == "exponential"
        out[mask] = z[mask] * mean[mask]
    if any(d == "lognormal" for d in dist):
        z = rng.standard_normal(n)
        for i, (m, d, c) in enumerate(zip(mean_s, dist, cv)):
            if d != "lognormal":
                continue
            mask = which == i
            mu, sigma = lognormal_params(m, c)
            out[mask] = np.exp(mu + sigma * z[mask])
    mask = kinds == "fixed"
    out[mask] = mean[mask]
    return out


def weibull_residual(rng: np.random.Generator, shape: float, scale: float, age: float = 0.0) -> float:
    """Remaining life of an item of ``age`` (same unit as ``scale``) with a Weibull life."""
    u = rng.random()
    if age <= 0:
        return scale * (-math.log1p(-u)) ** (1.0 / shape)
    return scale * ((age / scale) ** shape - math.log1p(-u)) ** (1.0 / shape) - age
