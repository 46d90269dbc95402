"""Closed forms the models are verified against (see ``shared/REFERENCES.md``).

Nothing here simulates: these are the published relations — queueing theory for the repair desk,
the SFPE hydraulic egress relations, Pauls' tall-building relation, the up-peak round trip time of
an elevator group, Weibull age replacement — used by the verification tests and by models that
need a design value (an effective width, a maximum specific flow).
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
