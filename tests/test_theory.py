"""The closed forms of ``models.theory`` reproduce the published test vectors (shared/REFERENCES.md)."""

from __future__ import annotations

import pytest
from scipy import optimize

from models import theory


def test_erlang_c_test_vector() -> None:
    """REFERENCES, Erlang C: λ 10, μ 4, c 3 → C 0.70225, Wq 0.35112, L 6.011 (to 1e-4)."""
    assert theory.erlang_c(3, 2.5) == pytest.approx(0.70225, abs=1e-5)
    wq = theory.mmc_wait(10, 4, 3)
    assert wq == pytest.approx(0.35112, abs=1e-5)
    assert 10 * wq + 10 / 4 == pytest.approx(6.011, abs=1e-3)  # L = Lq + a


def test_repair_desk_vector() -> None:
    """REFERENCES: 6 orders/h, 30 min each, 4 technicians → C 0.5094, Wq 15.28 min, P(Wq ≤ 30 min) 0.8126."""
    lam, mu = 6 / 60, 1 / 30  # per minute
    assert theory.erlang_c(4, lam / mu) == pytest.approx(0.5094, abs=1e-4)
    assert theory.mmc_wait(lam, mu, 4) == pytest.approx(15.28, abs=0.01)
    assert theory.mmc_wait_probability(lam, mu, 4, 30) == pytest.approx(0.8126, abs=1e-4)


def test_priority_waits_vector() -> None:
    """Larson & Odoni §4.9: the desk with 1 emergency/h and 5 ordinary/h → 4.367 and 17.466 min."""
    w = theory.mmc_priority_waits([1 / 60, 5 / 60], 1 / 30, 4)
    assert w[0] == pytest.approx(4.367, abs=1e-3)
    assert w[1] == pytest.approx(17.466, abs=1e-3)


def test_pollaczek_khinchine_reduces_to_mm1() -> None:
    """P-K with exponential service (E[S²] = 2/μ²) equals the M/M/1 wait ρ/(μ − λ)."""
    lam, mu = 0.5, 1.0
    assert theory.pollaczek_khinchine_wait(lam, 1 / mu, 2 / mu**2) == pytest.approx(theory.mmc_wait(lam, mu, 1))


def test_sfpe_relations() -> None:
    """SFPE Handbook: free speed 0.85k = 1.19 m/s; Fsm = k/(4a) = 1.3 (corridor) and 1.01 (7/11 stair)."""
    assert theory.sfpe_free_speed(theory.SFPE_K_CORRIDOR) == pytest.approx(1.19)
    assert theory.sfpe_max_specific_flow(1.40) == pytest.approx(1.316, abs=1e-3)
    assert theory.sfpe_max_specific_flow(theory.sfpe_stair_k(0.178, 0.279)) == pytest.approx(1.015, abs=1e-3)
    assert theory.sfpe_specific_flow(1.88) == pytest.approx(theory.sfpe_max_specific_flow(), rel=1e-3)
    assert theory.sfpe_speed(3.76) == pytest.approx(0.0, abs=1e-2)
    assert [theory.sfpe_stair_k(r, t) for r, t in [(0.1905, 0.254), (0.1778, 0.2794), (0.1651, 0.3048),
                                                    (0.1651, 0.3302)]] == [1.00, 1.08, 1.16, 1.23]


def test_uppeak_vector() -> None:
    """CIBSE Guide D: N 12, P 10.4, 3.3 m, 1.6 m/s, ts 10 s, tp 1.2 s → S 7.145, H 11.376, RTT 153.3 s;
    4 cars: interval 38.3 s, HC5 81.4 persons (to the published rounding)."""
    r = theory.uppeak_round_trip(12, 10.4, 3.3, 1.6, 10, 1.2)
    assert r["stops"] == pytest.approx(7.145, abs=1e-3)
    assert r["highest_reversal"] == pytest.approx(11.376, abs=1e-3)
    assert r["rtt_s"] == pytest.approx(153.3, abs=0.1)
    assert r["rtt_s"] / 4 == pytest.approx(38.3, abs=0.05)
    assert 300 * 10.4 * 4 / r["rtt_s"] == pytest.approx(81.4, abs=0.1)


def test_age_replacement_optimum() -> None:
    """Weibull η 1000 h, β 2.5, cp 1, cf 5 → T* ≈ 493 h, g* ≈ 0.003462/h; run-to-failure 0.005635/h."""
    res = optimize.minimize_scalar(lambda t: theory.age_replacement_cost_rate(t, 1000, 2.5, 1, 5),
                                   bounds=(50, 3000), method="bounded")
    assert res.x == pytest.approx(493, abs=2)
    assert res.fun == pytest.approx(0.003462, abs=2e-6)
    mttf = 1000 * __import__("math").gamma(1 + 1 / 2.5)
    assert 5 / mttf == pytest.approx(0.005635, abs=1e-6)


def test_pauls_relation() -> None:
    """Pauls (secondary): T = 0.68 + 0.081 p^0.73 minutes."""
    assert theory.pauls_evacuation_min(0) == pytest.approx(0.68)
    assert theory.pauls_evacuation_min(100) == pytest.approx(0.68 + 0.081 * 100**0.73)
