"""The repair desk: work orders queueing for a team of technicians.

A property's repair desk receives work orders around the clock — emergencies (a burst pipe, a
power failure in a corridor) and ordinary repairs (a dripping tap, a broken lamp). Technicians
take them one at a time, emergencies first, but a technician already on a job finishes it
(non-preemptive priority). The service promise of the work plans is that an emergency is
attended within 30 minutes and an ordinary repair within 2 hours.

With Poisson arrivals and exponential repair times this is the M/M/c queue with non-preemptive
priorities, whose mean waits are known in closed form (Erlang C; Larson & Odoni §4.9) — which is
what the verification tests compare it with. Orders already open at the start (``backlog_*``; a
run from the live twin opens one per device in alarm) drain as an M/M/c from a full queue. It is the small model that proves the runner end to
end; the staffing and operations model will grow from it (shifts, travel, skills, visits back).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from models.harness import KPI, Chart, ModelContext, ModelSpec, ReplicationCost, ReplicationResult, register
from models.live import LiveConditions
from models.resources import MonitoredPriorityResource

__all__ = ["RepairDeskParams", "WorkOrder", "SPEC"]

EMERGENCY, ORDINARY = 0, 1

MAX_ORDERS_PER_H = 1_000.0
"""Most work orders an hour of either priority: a whole estate's desk sees tens an hour, not thousands."""
MAX_MINUTES = 7 * 24 * 60.0
"""Longest repair time or service promise: a week."""
MAX_HORIZON_S = 366 * 24 * 3600.0
"""Longest simulated time of a repair desk run: a year."""
EVENTS_PER_ORDER = 6.0
"""SimPy events one work order costs (arrival, request, grant, repair, release…), measured."""
PRIORITY_NAMES = {EMERGENCY: "emergency", ORDINARY: "ordinary"}


class RepairDeskParams(BaseModel):
    """Demand, team size and service promises of a repair desk."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    emergency_per_h: float = Field(1.0, ge=0, le=MAX_ORDERS_PER_H, allow_inf_nan=False,
                                   description="emergency work orders per hour (Poisson)")
    ordinary_per_h: float = Field(5.0, ge=0, le=MAX_ORDERS_PER_H, allow_inf_nan=False,
                                  description="ordinary work orders per hour (Poisson)")
    repair_mean_min: float = Field(30.0, gt=0, le=MAX_MINUTES, allow_inf_nan=False,
                                   description="mean repair time, exponential")
    technicians: int = Field(4, ge=1, le=500)
    warmup_s: float = Field(3600.0, ge=0, le=MAX_HORIZON_S, allow_inf_nan=False,
                            description="orders reported before this are not counted")
    emergency_sla_min: float = Field(30.0, gt=0, le=MAX_MINUTES, allow_inf_nan=False)
    ordinary_sla_min: float = Field(120.0, gt=0, le=MAX_MINUTES, allow_inf_nan=False)
    backlog_emergency: int = Field(0, ge=0, le=10_000, description="emergency orders already waiting at 0 s")
    backlog_ordinary: int = Field(0, ge=0, le=10_000, description="ordinary orders already waiting at 0 s")


@dataclass(frozen=True)
class WorkOrder:
    """One work order's life: reported, attended (a technician starts), completed."""

    order: int
    priority: str
    reported_s: float
    attended_s: float
    completed_s: float
    wait_min: float
    within_sla: bool


class RepairDesk:
    def __init__(self, ctx: ModelContext):
        self.ctx = ctx
        self.p: RepairDeskParams = ctx.params  # type: ignore[assignment]
        self.env = ctx.env
        self.rng = ctx.rng
        self.team = MonitoredPriorityResource(self.env, capacity=self.p.technicians)
        self.orders: list[WorkOrder] = []
        self._next = 0

    def reporting(self):
        """Work orders arrive as one Poisson stream; each is an emergency with probability λe/λ."""
        total_per_s = (self.p.emergency_per_h + self.p.ordinary_per_h) / 3600.0
        if total_per_s <= 0:
            return
        p_emergency = self.p.emergency_per_h / (self.p.emergency_per_h + self.p.ordinary_per_h)
        while True:
            yield self.env.timeout(self.rng.exponential(1 / total_per_s))
            priority = EMERGENCY if self.rng.random() < p_emergency else ORDINARY
            self._next += 1
            self.env.process(self.repairing(self._next, priority))

    def repairing(self, order: int, priority: int):
        """Waits for a free technician (emergencies first), then holds them for the repair."""
        reported = self.env.now
        repair_s = self.rng.exponential(self.p.repair_mean_min * 60.0)
        with self.team.request(priority=priority) as req:
            yield req
            attended = self.env.now
            yield self.env.timeout(repair_s)
        if reported < self.p.warmup_s:
            return
        wait_min = (attended - reported) / 60.0
        sla = self.p.emergency_sla_min if priority == EMERGENCY else self.p.ordinary_sla_min
        self.orders.append(WorkOrder(order, PRIORITY_NAMES[priority], reported, attended, self.env.now,
                                     wait_min, wait_min <= sla))


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def run(ctx: ModelContext) -> ReplicationResult:
    desk = RepairDesk(ctx)
    # Orders already open when the run starts (from the live twin, or set by hand), reported at 0 s.
    for priority, count in ((EMERGENCY, desk.p.backlog_emergency), (ORDINARY, desk.p.backlog_ordinary)):
        for _ in range(count):
            desk._next += 1
            ctx.env.process(desk.repairing(desk._next, priority))
    ctx.env.process(desk.reporting())
    ctx.env.run(until=ctx.horizon_s)
    by = {name: [o for o in desk.orders if o.priority == name] for name in PRIORITY_NAMES.values()}
    stats = desk.team.stats()
    kpis = {
        "emergency_wait_min": _mean([o.wait_min for o in by["emergency"]]),
        "ordinary_wait_min": _mean([o.wait_min for o in by["ordinary"]]),
        "emergency_within_sla": _mean([float(o.within_sla) for o in by["emergency"]]),
        "ordinary_within_sla": _mean([float(o.within_sla) for o in by["ordinary"]]),
        "utilisation": stats.utilisation,
        "mean_queue": stats.mean_queue,
        "orders_completed": float(len(desk.orders)),
    }
    return ReplicationResult(kpis=kpis, records={"work_orders": [asdict(o) for o in desk.orders]})


def from_live(params: RepairDeskParams, cond: LiveConditions, building) -> tuple[RepairDeskParams, list[str]]:
    """The repair desk from the twin's open alarms: each device with an open critical or major
    alarm is an emergency order waiting at 0 s, each with only minor or warning alarms an ordinary
    one (fire incidents are the safety officer's, not a repair). A forecast from now has no
    warm-up unless the scenario sets one."""
    levels: dict[str, int] = {}
    for alarm in cond.open_alarms:
        rule = str(getattr(alarm, "rule", "") or "")
        if rule.startswith("event:fire"):
            continue
        sev = getattr(alarm, "severity", "warning")
        level = EMERGENCY if sev in ("critical", "major") else ORDINARY
        device = getattr(alarm, "device", "?")
        levels[device] = min(levels.get(device, ORDINARY), level)
    emergency = sorted(d for d, lv in levels.items() if lv == EMERGENCY)
    ordinary = sorted(d for d, lv in levels.items() if lv == ORDINARY)
    data = params.model_dump()
    data["backlog_emergency"] = params.backlog_emergency + len(emergency)
    data["backlog_ordinary"] = params.backlog_ordinary + len(ordinary)
    notes = [f"{len(emergency)} emergency and {len(ordinary)} ordinary work orders open from the twin's alarms"
             + (f" (emergencies: {', '.join(emergency[:10])}{'…' if len(emergency) > 10 else ''})" if emergency else "")]
    if "warmup_s" not in params.model_fields_set and params.warmup_s:
        data["warmup_s"] = 0.0
        notes.append(f"forecast from now: no warm-up (was {params.warmup_s:g} s)")
    return RepairDeskParams.model_validate(data), notes


def cost(params: RepairDeskParams, horizon_s: float, building=None) -> ReplicationCost:
    """Events and record rows of one replication: one row and about six events per work order."""
    orders = (params.emergency_per_h + params.ordinary_per_h) * horizon_s / 3600.0
    orders += params.backlog_emergency + params.backlog_ordinary
    return ReplicationCost(events=EVENTS_PER_ORDER * orders + 10, record_rows=orders)


SPEC = register(ModelSpec(
    name="repair_desk",
    title="Repair desk (work orders and technicians)",
    description=__doc__.strip().split("\n\n")[0],
    params=RepairDeskParams,
    kpis=(
        KPI("emergency_wait_min", "min", "mean wait of an emergency until a technician attends"),
        KPI("ordinary_wait_min", "min", "mean wait of an ordinary repair until a technician attends"),
        KPI("emergency_within_sla", "share", "emergencies attended within their promise (30 min)", "higher"),
        KPI("ordinary_within_sla", "share", "ordinary repairs attended within their promise (2 h)", "higher"),
        KPI("utilisation", "share", "busy technicians / team size", None),
        KPI("mean_queue", "orders", "time-weighted mean number of orders waiting"),
        KPI("orders_completed", "orders", "work orders reported after warm-up and completed", None),
    ),
    run=run,
    charts=(
        Chart("Wait until attended", "work_orders", "hist", x="wait_min", x_label="wait (min)"),
        Chart("Mean wait by priority", "work_orders", "bar", x="priority", y="wait_min", y_label="wait (min)"),
    ),
    from_live=from_live,
    cost=cost,
    max_horizon_s=MAX_HORIZON_S,
))
