"""The operations model reduces exactly to the repair desk when configured like it (issue 12).

With one 24/7 group of c technicians with one skill, two flat Poisson streams (emergency, ordinary),
exponential repair, no travel, parts, contractor, escalation, PM, failures, rounds, desk or return
visits (:func:`models.operations.repair_desk_like`), the same seed gives the same work orders —
reported, attended (``arrived_s``) and completed times equal to 1e-9 s — and the same KPI values
(to 1e-9 relative: sums taken in another order). Both models draw their arrivals with
:func:`models.repair_desk.merged_poisson` and their repair times as exponential blocks in the same
order, so this is an identity, not a statistical agreement (SESSION11.md "Exact reduction").
"""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from models.harness import ModelContext
from models.operations import SPEC as OPS, repair_desk_like
from models.repair_desk import SPEC as DESK, RepairDeskParams

CASES = [
    # (emergency/h, ordinary/h, mean repair min, technicians, warm-up s, horizon s, backlog e, backlog o)
    (1.0, 5.0, 30.0, 4, 3600.0, 7 * 86400.0, 0, 0),   # REFERENCES "Queues": the repair desk vector
    (0.5, 2.0, 45.0, 2, 0.0, 3 * 86400.0, 0, 0),
    (2.0, 6.0, 40.0, 5, 7200.0, 2 * 86400.0, 0, 0),   # ρ ≈ 1.07: overloaded, the queue grows
    (1.0, 3.0, 30.0, 3, 0.0, 2 * 86400.0, 2, 5),      # orders already open at the start
]


def _run(spec, params, seed: int, horizon_s: float):
    ctx = ModelContext(env=simpy.Environment(), rng=np.random.default_rng(seed), building=None, graph=None,
                       params=params, horizon_s=horizon_s)
    return spec.run(ctx)


def _ops_params(e, o, m, c, w, be, bo):
    params = repair_desk_like(emergency_per_h=e, ordinary_per_h=o, repair_mean_min=m, technicians=c, warmup_s=w)
    if be or bo:
        opened = [{"priority": "emergency", "skill": "general", "repair_mean_min": m, "category": "plumbing"}] * be + \
                 [{"priority": "ordinary", "skill": "general", "repair_mean_min": m, "category": "plumbing"}] * bo
        params = params.model_copy(update={"open_orders": [type(params).model_fields["open_orders"].annotation
                                                           .__args__[0].model_validate(x) for x in opened]})
    return params


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [1, 20261203])
def test_operations_configured_like_the_repair_desk_gives_its_orders_and_kpis(case, seed):
    """issue 12 (exact reduction): same seed → same work orders (reported, attended, completed to
    1e-9 s) and the same KPI values as models.repair_desk (tolerance 1e-9 relative)."""
    e, o, m, c, w, horizon, be, bo = case
    desk = _run(DESK, RepairDeskParams(emergency_per_h=e, ordinary_per_h=o, repair_mean_min=m, technicians=c,
                                       warmup_s=w, backlog_emergency=be, backlog_ordinary=bo), seed, horizon)
    ops = _run(OPS, _ops_params(e, o, m, c, w, be, bo), seed, horizon)

    want = sorted((r["reported_s"], r["attended_s"], r["completed_s"], r["priority"])
                  for r in desk.records["work_orders"])
    got = sorted((r["reported_s"], r["arrived_s"], r["completed_s"], r["priority"])
                 for r in ops.records["work_orders"]
                 if r["reported_s"] >= w and r["completed_s"] == r["completed_s"])
    assert len(got) == len(want) and len(want) > 20
    for (r1, a1, c1, p1), (r2, a2, c2, p2) in zip(want, got):
        assert p1 == p2
        assert r2 == pytest.approx(r1, abs=1e-9)
        assert a2 == pytest.approx(a1, abs=1e-9)
        assert c2 == pytest.approx(c1, abs=1e-9)

    same = {"emergency_wait_min": "emergency_wait_min", "ordinary_wait_min": "ordinary_wait_min",
            "emergency_within_sla": "emergency_within_sla", "ordinary_within_sla": "ordinary_within_sla",
            "utilisation": "utilisation_technician", "mean_queue": "mean_queue",
            "orders_completed": "orders_completed"}
    for k_desk, k_ops in same.items():
        assert ops.kpis[k_ops] == pytest.approx(desk.kpis[k_desk], rel=1e-9, abs=1e-12), k_ops
