"""Intervals across replications by KPI kind (models/stats.py): never beyond what is possible."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from models.stats import KIND_BOUNDS, summarise

FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def _values(kind: str):
    low, high = KIND_BOUNDS[kind]
    elements = st.floats(min_value=max(low, -1e6), max_value=min(high, 1e6), allow_nan=False, allow_infinity=False)
    return st.lists(elements, min_size=2, max_size=40)


@pytest.mark.parametrize("kind", sorted(KIND_BOUNDS))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_interval_never_crosses_the_kinds_bounds(kind: str, data) -> None:
    """issue 11 item 3.1: no interval crosses what is possible — a share stays in [0, 1], a count,
    exposure, quantity or duration is never negative — whatever the (skewed, tiny, tied) values."""
    values = data.draw(_values(kind))
    s = summarise(values, kind)
    lower, upper = KIND_BOUNDS[kind]
    assert s.interval in ("t", "bootstrap")
    assert lower <= s.ci95_low <= s.ci95_high <= upper
    tolerance = 1e-9 * max(1.0, abs(s.mean))
    assert s.ci95_low - tolerance <= s.mean <= s.ci95_high + tolerance


@pytest.mark.parametrize(("kind", "values"), [
    ("share", [0.0, 0.0, 0.0, 0.0, 1.0]),          # mostly zeros: t would reach below 0
    ("share", [1.0, 1.0, 1.0, 0.9]),               # near 1: t would reach above 1
    ("count", [0, 0, 0, 0, 0, 0, 0, 0, 0, 40]),    # one long queue in ten replications
    ("exposure", [0.0, 1e-3, 0.0, 5e4]),
    ("duration", [1.0, 2.0, 100.0]),               # t interval −90 … 159: falls back to the bootstrap
])
def test_skewed_data_stay_within_bounds(kind: str, values: list[float]) -> None:
    """issue 11 item 3.1: the skewed cases a t interval gets wrong stay within the kind's bounds."""
    s = summarise(values, kind)
    lower, upper = KIND_BOUNDS[kind]
    assert lower <= s.ci95_low <= s.mean <= s.ci95_high <= upper
    assert s.interval == "bootstrap"


def test_duration_uses_t_and_matches_scipy_for_normal_data() -> None:
    """issue 11 item 3.1: a duration far from zero gets the Student t interval, equal to
    scipy.stats.t.interval (reference) to 1e-9 relative."""
    values = np.random.default_rng(5).normal(600.0, 30.0, size=20)
    s = summarise(values, "duration")
    low, high = sps.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=sps.sem(values))
    assert s.interval == "t"
    assert s.ci95_low == pytest.approx(low, rel=1e-9) and s.ci95_high == pytest.approx(high, rel=1e-9)
    assert s.half_width == pytest.approx((high - low) / 2, rel=1e-9)


@pytest.mark.parametrize("kind", ["money", "margin"])
def test_money_and_margin_take_either_sign_with_t(kind: str) -> None:
    """issue 11 item 3.1: a margin (ASET − RSET) or money may be negative: t interval, crossing 0 freely."""
    s = summarise([-50.0, 10.0, 30.0, -5.0], kind)
    assert s.interval == "t" and s.ci95_low < 0 < s.ci95_high


def test_bootstrap_is_deterministic_and_degenerate_data_give_a_point() -> None:
    """issue 11 item 3.1: a fixed resampling seed — the same values give the same interval; identical
    values give [v, v]; one value gives no interval (interval None)."""
    values = np.random.default_rng(1).exponential(3.0, size=15)
    assert summarise(values, "count") == summarise(list(values), "count")
    same = summarise([0.97, 0.97, 0.97], "share")
    assert (same.ci95_low, same.ci95_high, same.interval) == (0.97, 0.97, "bootstrap")
    one = summarise([4.0], "count")
    assert one.ci95_low is None and one.ci95_high is None and one.interval is None and one.n == 1


def test_bootstrap_interval_covers_a_known_mean() -> None:
    """issue 11 item 3.1: the bootstrap interval of 30 exponential values (mean 2) is a real interval:
    it contains the sample mean and is about as wide as the t interval (within a factor 1.5)."""
    values = np.random.default_rng(11).exponential(2.0, size=30)
    s = summarise(values, "quantity")
    t_low, t_high = sps.t.interval(0.95, 29, loc=values.mean(), scale=sps.sem(values))
    assert s.ci95_low < values.mean() < s.ci95_high
    assert (t_high - t_low) / 1.5 < s.ci95_high - s.ci95_low < 1.5 * (t_high - t_low)


def test_bootstrap_agrees_with_scipys_percentile_bootstrap() -> None:
    """issue 11 item 3.1: the numpy bootstrap is scipy.stats.bootstrap's percentile method (reference:
    scipy, 9,999 resamples); the end points agree within 3 % of the interval's width (resampling noise)."""
    values = np.random.default_rng(5).gamma(2.0, 3.0, size=20)
    s = summarise(values, "exposure")
    ref = sps.bootstrap((values,), np.mean, method="percentile", n_resamples=9999,
                        random_state=np.random.default_rng(1)).confidence_interval
    width = ref.high - ref.low
    assert abs(s.ci95_low - ref.low) < 0.03 * width and abs(s.ci95_high - ref.high) < 0.03 * width


def test_undefined_values_are_left_out() -> None:
    """issue 11 item 3.1: NaN (a KPI undefined in a replication) is not counted."""
    s = summarise([1.0, math.nan, 3.0], "duration")
    assert s.n == 2 and s.mean == 2.0
    empty = summarise([math.nan], "share")
    assert empty.n == 0 and empty.mean is None and empty.interval is None


def test_the_t_quantile_table_is_scipys():
    """models.stats.T_975 (kept so that a run need not import scipy.special) holds exactly the values
    scipy.special.stdtrit(df, 0.975) gives for 1–120 degrees of freedom; beyond it, or at another level,
    t_quantile asks scipy."""
    from scipy.special import stdtrit

    from models.stats import T_975, t_quantile

    assert len(T_975) == 120
    for df, value in enumerate(T_975, start=1):
        assert value == float(stdtrit(df, 0.975)), df
    assert t_quantile(500) == float(stdtrit(500, 0.975))
    assert t_quantile(4, 0.99) == float(stdtrit(4, 0.995))
    assert abs(t_quantile(10) - 2.228) < 1e-3  # the printed tables' value
