"""Closed forms the models are verified against (see ``shared/REFERENCES.md``).

Nothing here simulates: these are the published relations — queueing theory for the repair desk
and the estate's operations (Erlang C, non-preemptive priorities, Pollaczek–Khinchine, the exact
M/D/c wait and Cosmetatos' approximation of it), the SFPE hydraulic egress relations, Pauls'
tall-building relation, the up-peak round trip time of an elevator group, Weibull age replacement
and its optimum — used by the verification tests and by models that need a design value (an
effective width, a maximum specific flow). One relation is solved numerically: the exact M/D/c
wait, from a Markov chain (no simulation either).
"""

from __future__ import annotations

import math
from collections.abc import Sequence


__all__ = [
    "erlang_b",
    "erlang_c",
    "mmc_wait",
    "mmc_wait_probability",
    "mmc_priority_waits",
    "pollaczek_khinchine_wait",
    "md1_wait",
    "mdc_wait",
    "mdc_wait_cosmetatos",
    "mdc_wait_allen_cunneen",
    "COSMETATOS_ACCURACY",
    "SFPE_A",
    "SFPE_K_CORRIDOR",
    "sfpe_stair_k",
    "sfpe_speed",
    "sfpe_free_speed",
    "sfpe_max_specific_flow",
    "sfpe_specific_flow",
    "pauls_evacuation_min",
    "uppeak_round_trip",
    "weibull_reliability",
    "age_replacement_cost_rate",
    "age_replacement_optimum",
    "run_to_failure_cost_rate",
]


# --- Queues (Erlang; Larson & Odoni, Urban OR §4.9) -------------------------------------------

def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang B blocking probability by the stable recursion ``B_k = a·B_{k−1} / (k + a·B_{k−1})``."""
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    return b


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in M/M/c: ``C = c·B / (c − a(1 − B))``."""
    if offered_load >= servers:
        return 1.0
    b = erlang_b(servers, offered_load)
    return servers * b / (servers - offered_load * (1 - b))


def mmc_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue ``Wq = C / (cμ − λ)`` of an M/M/c queue (same time unit as the rates)."""
    a = arrival_rate / service_rate
    if a >= servers:
        return math.inf
    return erlang_c(servers, a) / (servers * service_rate - arrival_rate)


def mmc_wait_probability(arrival_rate: float, service_rate: float, servers: int, t: float) -> float:
    """``P(Wq ≤ t) = 1 − C·exp(−(cμ − λ)t)``."""
    a = arrival_rate / service_rate
    if a >= servers:
        return 0.0
    return 1 - erlang_c(servers, a) * math.exp(-(servers * service_rate - arrival_rate) * t)


def mmc_priority_waits(arrival_rates: Sequence[float], service_rate: float, servers: int) -> list[float]:
    """Mean queue waits per class of a non-preemptive priority M/M/c with equal service rates.

    ``Wq_k = W0 / ((1 − σ_{k−1})(1 − σ_k))``, ``W0 = C / (cμ)``, ``σ_k = Σ_{i≤k} λ_i / (cμ)``;
    class 0 has the highest priority.
    """
    total = sum(arrival_rates)
    a = total / service_rate
    w0 = erlang_c(servers, a) / (servers * service_rate)
    waits = []
    sigma_prev = 0.0
    for lam in arrival_rates:
        sigma = sigma_prev + lam / (servers * service_rate)
        waits.append(w0 / ((1 - sigma_prev) * (1 - sigma)))
        sigma_prev = sigma
    return waits


def pollaczek_khinchine_wait(arrival_rate: float, mean_service: float, second_moment_service: float) -> float:
    """M/G/1 mean wait ``Wq = λ·E[S²] / (2(1 − ρ))``."""
    rho = arrival_rate * mean_service
    if rho >= 1:
        return math.inf
    return arrival_rate * second_moment_service / (2 * (1 - rho))


def md1_wait(arrival_rate: float, service_time: float) -> float:
    """M/D/1 mean wait, Pollaczek–Khinchine with ``E[S²] = D²``: ``Wq = ρ·D / (2(1 − ρ))``."""
    return pollaczek_khinchine_wait(arrival_rate, service_time, service_time ** 2)


def _poisson_pmf(mean: float, count: int) -> list[float]:
    """P(A = 0…count−1) of a Poisson variable, by the recurrence ``p_k = p_{k−1}·m/k`` (in logs: no underflow)."""
    log_p = -mean
    out = []
    for k in range(count):
        if k:
            log_p += math.log(mean) - math.log(k)
        out.append(math.exp(log_p))
    return out


def mdc_wait(arrival_rate: float, service_time: float, servers: int, tail: float = 1e-12) -> float:
    """Exact mean wait in queue of an M/D/c queue (FIFO), from the number in system seen every ``D``.

    Observed at instants one service time ``D`` apart, the number in system is a Markov chain:
    everyone in service at an instant has left by the next one and nobody who starts later has, so
    ``N' = max(N − c, 0) + A`` with ``A`` the Poisson(λD) arrivals in between (Crommelin 1932; Tijms,
    *A First Course in Stochastic Models*, 2003, §5.2). Its stationary law is the law of the number
    in system at any time, so ``L = Σ n·π_n`` and, by Little's law, ``Wq = L/λ − D``. The chain is
    solved numerically, truncated where the Poisson tail and the queue's geometric tail are below
    ``tail``.
    """
    c, d, lam = servers, service_time, arrival_rate
    rho = lam * d / c
    if rho >= 1:
        return math.inf
    if lam <= 0:
        return 0.0
    import numpy as np
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    mean = lam * d
    arrivals = 1
    while sum(_poisson_pmf(mean, arrivals)) < 1 - tail:
        arrivals += 1
    pmf = np.asarray(_poisson_pmf(mean, arrivals))
    # The number in system has a tail lighter than M/M/c's, geometric in ρ: enough states for `tail`.
    states = min(c + arrivals + int(math.ceil(math.log(tail) / math.log(rho))) + 50, 500_000)
    rows, cols, vals = [], [], []
    for n in range(states):
        base = max(n - c, 0)
        stop = min(base + arrivals, states)
        rows += [n] * (stop - base)
        cols += range(base, stop)
        vals += list(pmf[: stop - base])
        rows.append(n)
        cols.append(states - 1)
        vals.append(1.0 - float(pmf[: stop - base].sum()))  # what the truncation cuts off stays at the top
    p = sparse.csr_matrix((vals, (rows, cols)), shape=(states, states))
    # π (P − I) = 0 with Σπ = 1: replace one balance equation by the normalisation.
    a = (p - sparse.identity(states, format="csr")).T.tolil()
    a[states - 1, :] = np.ones(states)
    b = np.zeros(states)
    b[-1] = 1.0
    pi = spsolve(a.tocsc(), b)
    in_system = float(np.dot(np.arange(states), pi))
    return max(in_system / lam - d, 0.0)


COSMETATOS_ACCURACY = 0.025
"""Relative error of :func:`mdc_wait_cosmetatos` against the exact M/D/c wait (:func:`mdc_wait`) at
loads ρ ≥ 0.5 with 1–20 servers, measured (tests/test_operations_verification.py): at most 2.4 % (20 servers, ρ 0.5),
within 1 % for up to 10 servers, within 0.6 % at ρ ≥ 0.8. At light loads with many servers the
waits are tiny and the relative error grows (23 % at 20 servers, ρ 0.3, on a wait of 3·10⁻⁷ D).
The plain Allen–Cunneen form (half the M/M/c wait) is 25–40 % low at such loads."""


def mdc_wait_allen_cunneen(arrival_rate: float, service_time: float, servers: int) -> float:
    """The Allen–Cunneen (Kingman) approximation of a G/G/c wait, ``Wq ≈ (ca² + cs²)/2 · Wq(M/M/c)``,
    for M/D/c (``ca² = 1``, ``cs² = 0``): half the M/M/c wait with the same mean service time."""
    return 0.5 * mmc_wait(arrival_rate, 1.0 / service_time, servers)


def mdc_wait_cosmetatos(arrival_rate: float, service_time: float, servers: int) -> float:
    """Cosmetatos' approximation of the M/D/c mean wait (Cosmetatos 1975, *INFOR* 13, 328–331; Tijms 2003 §5.2):
    ``Wq ≈ ½·Wq(M/M/c)·[1 + (1 − ρ)(c − 1)(√(4 + 5c) − 2) / (16ρc)]`` — Allen–Cunneen corrected for
    light loads; exact for one server (it is then Pollaczek–Khinchine)."""
    c = servers
    rho = arrival_rate * service_time / c
    if rho >= 1:
        return math.inf
    correction = 1 + (1 - rho) * (c - 1) * (math.sqrt(4 + 5 * c) - 2) / (16 * rho * c)
    return mdc_wait_allen_cunneen(arrival_rate, service_time, servers) * correction


# --- SFPE hydraulic egress relations ----------------------------------------------------------

SFPE_A = 0.266  # m²/person
SFPE_K_CORRIDOR = 1.40  # m/s: corridors, aisles, ramps, doorways
_STAIR_K = ((0.1905, 0.254, 1.00), (0.1778, 0.2794, 1.08), (0.1651, 0.3048, 1.16), (0.1651, 0.3302, 1.23))


def sfpe_stair_k(riser_m: float, tread_m: float) -> float:
    """SFPE k for a stair of given riser/tread: the tabulated stair nearest in riser and tread
    (7.5/10 in → 1.00, 7/11 → 1.08, 6.5/12 → 1.16, 6.5/13 → 1.23)."""
    return min(_STAIR_K, key=lambda r: (r[0] - riser_m) ** 2 + (r[1] - tread_m) ** 2)[2]


def sfpe_free_speed(k: float) -> float:
    """Speed at densities below 0.54 persons/m²: ``0.85·k``."""
    return 0.85 * k


def sfpe_speed(density: float, k: float = SFPE_K_CORRIDOR) -> float:
    """``S = k(1 − a·D)`` for 0.54 ≤ D ≤ 3.8 persons/m²; free speed below; 0 at jam density."""
    if density < 0.54:
        return sfpe_free_speed(k)
    return max(k * (1 - SFPE_A * min(density, 1 / SFPE_A)), 0.0)


def sfpe_specific_flow(density: float, k: float = SFPE_K_CORRIDOR) -> float:
    """``Fs = S·D`` in persons/s per metre of effective width."""
    return sfpe_speed(density, k) * density


def sfpe_max_specific_flow(k: float = SFPE_K_CORRIDOR) -> float:
    """``Fsm = k / (4a)``: 1.3 persons/s/m for corridors and doors, 1.01 for 7/11 stairs."""
    return k / (4 * SFPE_A)


def pauls_evacuation_min(persons_per_m_effective_width: float) -> float:
    """Pauls' relation for total evacuation of tall buildings by stairs: ``0.68 + 0.081·p^0.73`` min."""
    return 0.68 + 0.081 * persons_per_m_effective_width ** 0.73


# --- Elevators (CIBSE Guide D up-peak) --------------------------------------------------------

def uppeak_round_trip(floors: int, passengers: float, floor_height_m: float, speed_mps: float, stop_time_s: float,
                      transfer_time_s: float) -> dict[str, float]:
    """Expected stops S, highest reversal floor H and round trip time RTT of one car at up-peak."""
    n, p = floors, passengers
    stops = n * (1 - (1 - 1 / n) ** p)
    highest = n - sum((i / n) ** p for i in range(1, n))
    tv = floor_height_m / speed_mps
    rtt = 2 * highest * tv + (stops + 1) * stop_time_s + 2 * p * transfer_time_s
    return {"stops": stops, "highest_reversal": highest, "rtt_s": rtt}


# --- Reliability ------------------------------------------------------------------------------

def weibull_reliability(t: float, scale: float, shape: float) -> float:
    return math.exp(-((t / scale) ** shape))


def age_replacement_cost_rate(age: float, scale: float, shape: float, preventive_cost: float,
                              failure_cost: float) -> float:
    """Cost per unit time of replacing at ``age`` or at failure, whichever first."""
    r = weibull_reliability(age, scale, shape)
    from scipy import integrate  # imported on use: it pulls in scipy.stats, most of a second

    uptime, _ = integrate.quad(weibull_reliability, 0, age, args=(scale, shape))
    return (preventive_cost * r + failure_cost * (1 - r)) / uptime


def run_to_failure_cost_rate(scale: float, shape: float, failure_cost: float) -> float:
    """Cost per unit time of replacing only at failure: ``cf / MTTF``, ``MTTF = η·Γ(1 + 1/β)``."""
    return failure_cost / (scale * math.gamma(1 + 1 / shape))


def age_replacement_optimum(scale: float, shape: float, preventive_cost: float,
                            failure_cost: float) -> tuple[float, float]:
    """The replacement age ``T*`` minimising :func:`age_replacement_cost_rate` and its cost rate ``g*``
    (Barlow & Proschan 1965; a minimum exists for ``β > 1`` and ``cf > cp``), found by
    :func:`scipy.optimize.minimize_scalar` over ``(0.01η, 5η)``; ``(inf, cf/MTTF)`` when running to
    failure is cheapest (``β ≤ 1`` or ``cf ≤ cp``)."""
    from scipy import optimize

    res = optimize.minimize_scalar(
        lambda t: age_replacement_cost_rate(t, scale, shape, preventive_cost, failure_cost),
        bounds=(0.01 * scale, 5 * scale), method="bounded", options={"xatol": 1e-6 * scale})
    run_to_failure = run_to_failure_cost_rate(scale, shape, failure_cost)
    if shape <= 1 or failure_cost <= preventive_cost or res.fun >= run_to_failure:
        return math.inf, run_to_failure
    return float(res.x), float(res.fun)
