"""Issue 16 §5: the evacuation model's results, pinned to the bit.

The simulation part of :mod:`models.evacuation` was rewritten for speed in issue 16 (occupants as
events scheduled with their next step instead of a SimPy process each). The numbers below were
computed with the code *before* that rewrite, and the rewrite reproduces them exactly; they must
not move again unless a change means to alter results. Each case runs the small four-storey block
crowded enough to queue at its doors and on its stair, with walking speeds and pre-movement drawn from
uniform distributions (numpy's generator only — no scipy in the draws, so the pins do not depend
on scipy's numerics). What is pinned: every KPI (as ``float.hex``, so the last bit counts), the
censored set, and a SHA-256 of everything the replication returns — KPIs, ``where``, every row
of every record table (``trace`` included) with its keys, their order and their values' types.

A change that alters results on purpose re-pins after checking it against the verification suite
(``tests/test_evacuation_verification.py``): ``python -m tests.test_evacuation_identical`` prints
the current pins in the form of :data:`PINS`.
"""

from __future__ import annotations

import functools
import hashlib
import math

import numpy as np
import pytest

from models.evacuation import EvacuationParams
from tests.test_evacuation_model import run  # the small four-storey block, checked, then run


def _uniform(low: float, high: float) -> dict:
    return {"kind": "uniform", "low": low, "high": high}


_COMMON = {
    "groups": {
        "walker": {"horizontal_mps": _uniform(0.8, 1.5), "stair_down_mps": _uniform(0.5, 1.0),
                   "stair_up_mps": _uniform(0.4, 0.8)},
        "wheelchair": {"horizontal_mps": _uniform(0.6, 0.9), "uses_stairs": False, "lift_places": 2.0},
    },
    "population": {"walker": 0.9, "wheelchair": 0.1},
    "pre_movement": {"default": _uniform(0, 30), "by_floor": {"F04": _uniform(10, 60)}},
    "occupant_counts": {"F01-LOB": 40, "F02-A1": 60, "F02-A2": 45, "F03-A1": 60, "F03-A2": 45, "F04-A1": 60,
                        "F04-A2": 45},
    "trace": True,
}

CASES: dict[str, tuple[dict, float, int]] = {
    # Everyone at once; wheelchair users (and 5 % of the others) wait for the fire-service lift.
    "drill with lifts": ({**_COMMON, "lifts": {"enabled": True, "cars": "fire_service", "share_of_others": 0.05}},
                         3600.0, 11),
    # Phased alarm, a fire timeline that blocks, closes and cuts the power, queue-aware route choice,
    # single file in the 2 m corridors and on the 1.2 m stair, and a horizon that cuts the run off.
    "phased fire, timeline, single file, cut off": ({
        **_COMMON, "alarm": "phased", "fire_floor": "F03", "phase_delay_s": 60, "alarm_delay_s": 5,
        "route_choice": "congestion_aware", "passing_width_m": 2.5,
        "lifts": {"enabled": True, "cars": "all", "boarding_s": 3.0},
        "events": [{"type": "smoke", "at_s": 20, "space": "F03-COR", "speed_factor": 0.6},
                   {"type": "blocked", "at_s": 45, "door": "F02-D2"},
                   {"type": "power_loss", "at_s": 70},
                   {"type": "untenable", "at_s": 90, "space": "F04-A2"},
                   {"type": "closed", "at_s": 100, "exit": "EX-MAIN"}],
        "aset_s": {"F03-COR": 240, "F02-COR": 400},
    }, 260.0, 12),
}


@functools.cache  # both tests read the same two runs
def result_of(name: str):
    data, horizon_s, seed = CASES[name]
    return run(EvacuationParams.model_validate(data), seed=seed, horizon_s=horizon_s)


def _canonical(value, out: list[str]) -> None:
    """Every bit of a value as text: floats in hex, types tagged, dict order kept."""
    kind = type(value)
    if kind is dict:
        out.append("{")
        for key, item in value.items():
            _canonical(key, out)
            out.append(":")
            _canonical(item, out)
            out.append(",")
        out.append("}")
    elif kind is list or kind is tuple:
        out.append("[" if kind is list else "(")
        for item in value:
            _canonical(item, out)
            out.append(",")
        out.append("]" if kind is list else ")")
    elif kind is float:
        out.append("f" + ("nan" if math.isnan(value) else value.hex()))
    elif kind in (int, bool, str, type(None)):
        out.append(kind.__name__[0] + repr(value))
    elif isinstance(value, np.generic):
        out.append("np." + kind.__name__ + ":")
        _canonical(value.item(), out)
    else:
        raise TypeError(f"unexpected {kind.__name__} in a result")


def pin_of(result) -> tuple[dict[str, str], str, dict[str, int]]:
    """(KPIs as float.hex and the censored ones marked, SHA-256 of the whole result, rows per table)."""
    kpis = {k: float(v).hex() + (" censored" if k in result.censored else "") for k, v in result.kpis.items()}
    out: list[str] = []
    _canonical({"kpis": dict(result.kpis), "censored": sorted(result.censored), "where": dict(result.where),
                "records": {name: list(rows) for name, rows in result.records.items()}}, out)
    digest = hashlib.sha256("".join(out).encode()).hexdigest()
    return kpis, digest, {name: len(rows) for name, rows in result.records.items()}


PINS: dict[str, tuple[dict[str, str], str, dict[str, int]]] = {
    'drill with lifts': (
        {
            'occupants': '0x1.6300000000000p+8',
            'rset_s': '0x1.4ed8f41a47442p+9',
            'mean_evacuation_s': '0x1.64acb9fc91353p+7',
            'p95_evacuation_s': '0x1.8beece6bc27dep+8',
            'p99_evacuation_s': '0x1.2f86359d389c8p+9',
            'evacuated_share': '0x1.0000000000000p+0',
            'still_inside': '0x0.0p+0',
            'trapped': '0x0.0p+0',
            'max_queue': '0x1.4800000000000p+5',
            'total_queue_s': '0x1.336f30a90f2ebp+15',
            'min_margin_s': 'nan',
            'max_floor_clearance_s': '0x1.29cad26c2ae5ep+9',
            'smoke_exposure_s': '0x0.0p+0',
            'lift_evacuated': '0x1.6800000000000p+5',
            'stayed_put': '0x0.0p+0',
        },
        '8f7f562e09dbef90dc4d40531491f2e2e9aa9b372c274e351722de60bf01af66',
        {'occupants': 355, 'exit_flow': 355, 'floors': 4, 'elements': 20,
         'hot_spots': 12, 'lift_trips': 12, 'population': 1, 'trace': 4063},
    ),
    'phased fire, timeline, single file, cut off': (
        {
            'occupants': '0x1.6300000000000p+8',
            'rset_s': '0x1.0400000000000p+8 censored',
            'mean_evacuation_s': '0x1.41393b4beaa4dp+7 censored',
            'p95_evacuation_s': '0x1.0400000000000p+8 censored',
            'p99_evacuation_s': '0x1.0400000000000p+8 censored',
            'evacuated_share': '0x1.671f0229d34a4p-1 censored',
            'still_inside': '0x1.e800000000000p+5',
            'trapped': '0x1.6800000000000p+5',
            'max_queue': '0x1.4800000000000p+5',
            'total_queue_s': '0x1.a128d2e8094e4p+14 censored',
            'min_margin_s': '0x1.cad9937b3efbcp+5 censored',
            'max_floor_clearance_s': '0x1.01e0a22b545d4p+7',
            'smoke_exposure_s': '0x1.139e2612b2feap+12 censored',
            'lift_evacuated': '0x1.0000000000000p+0',
            'stayed_put': '0x0.0p+0',
        },
        '6041e06590dae780197fc967beccf9d0acfbd418c391cf5dcafc933f8132c780',
        {'occupants': 355, 'exit_flow': 249, 'floors': 4, 'elements': 27,
         'hot_spots': 12, 'lift_trips': 1, 'population': 1, 'trace': 3481},
    ),
}
"""Computed with the simulation as it was before the issue-16 rewrite (the process-per-occupant model)."""


@pytest.mark.parametrize("name", list(CASES))
def test_results_are_pinned_to_the_bit(name):
    """issue 16 §5: the rewrite for speed changed no result — every KPI bit for bit, every record
    row (the trace's order included) — of a crowded drill with lifts and of a phased fire with a
    timeline, single file and a horizon cut-off."""
    kpis, digest, rows = pin_of(result_of(name))
    want_kpis, want_digest, want_rows = PINS[name]
    assert kpis == want_kpis
    assert rows == want_rows
    assert digest == want_digest


def test_the_pinned_cases_exercise_what_they_claim():
    """issue 16 §5: the pinned cases reach the paths the rewrite touched — queues, the lift, rerouting,
    trapped or cut-off occupants, single file and censoring — so the pins guard all of them."""
    drill = result_of("drill with lifts")
    assert drill.kpis["lift_evacuated"] > 0 and drill.kpis["max_queue"] > 5 and drill.kpis["total_queue_s"] > 0
    assert not drill.censored and drill.kpis["evacuated_share"] == 1.0
    fire = result_of("phased fire, timeline, single file, cut off")
    kinds = {r["kind"] for r in fire.records["elements"]}
    assert "single_file" in kinds and "stair" in kinds
    assert fire.kpis["still_inside"] > 0 and "rset_s" in fire.censored
    assert fire.kpis["smoke_exposure_s"] > 0
    events = {r["event"] for r in fire.records["trace"]}
    assert {"start", "at_gate", "pass", "exit", "call"} <= events


if __name__ == "__main__":
    for case in CASES:
        print(f"    {case!r}: {pin_of(result_of(case))!r},")
