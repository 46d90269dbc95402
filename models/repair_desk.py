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

The offered load ρ = (λe + λo) · mean repair time / technicians is reported as a KPI; a team with
ρ ≥ 1 cannot keep up however long it works, and the run is flagged ``overloaded`` (:func:`review`)
instead of being left to be read out of a utilisation of 0.96.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from models.harness import (KPI, Chart, ModelContext, ModelSpec, ReplicationCost, ReplicationResult, param_label,
                            register)
from models.live import LiveConditions
from models.resources import MonitoredPriorityResource
from twin.text import Text, text

__all__ = ["RepairDeskParams", "WorkOrder", "SPEC", "poisson_arrivals", "merged_poisson"]

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
                                   description="emergency work orders per hour (Poisson)",
                                   json_schema_extra=param_label(
                                       "Emergency orders per hour", "每小时紧急报修数",
                                       "Emergency work orders reported per hour, at random (Poisson)",
                                       "每小时随机到达（泊松过程）的紧急报修工单数", "per_h"))
    ordinary_per_h: float = Field(5.0, ge=0, le=MAX_ORDERS_PER_H, allow_inf_nan=False,
                                  description="ordinary work orders per hour (Poisson)",
                                  json_schema_extra=param_label(
                                      "Ordinary orders per hour", "每小时一般报修数",
                                      "Ordinary work orders reported per hour, at random (Poisson)",
                                      "每小时随机到达（泊松过程）的一般报修工单数", "per_h"))
    repair_mean_min: float = Field(30.0, gt=0, le=MAX_MINUTES, allow_inf_nan=False,
                                   description="mean repair time, exponential",
                                   json_schema_extra=param_label(
                                       "Mean repair time", "平均维修时间",
                                       "Mean time a technician spends on one order (exponentially distributed)",
                                       "维修人员处理一张工单的平均时间（指数分布）", "min"))
    technicians: int = Field(4, ge=1, le=500, description="technicians on shift",
                             json_schema_extra=param_label(
                                 "Technicians on shift", "当班维修人员",
                                 "Technicians taking work orders, one order each at a time",
                                 "处理工单的维修人员人数，每人同一时间处理一张工单", "persons"))
    warmup_s: float = Field(3600.0, ge=0, le=MAX_HORIZON_S, allow_inf_nan=False,
                            description="orders reported before this are not counted",
                            json_schema_extra=param_label(
                                "Warm-up", "预热时间",
                                "Orders reported before this time are not counted (the desk starts empty)",
                                "此前报修的工单不计入统计（报修中心从空闲状态开始）", "s"))
    emergency_sla_min: float = Field(30.0, gt=0, le=MAX_MINUTES, allow_inf_nan=False,
                                     description="promised time to attend an emergency",
                                     json_schema_extra=param_label(
                                         "Emergency promise", "紧急报修到场时限",
                                         "Promised longest wait until a technician attends an emergency",
                                         "承诺的紧急报修最长到场等待时间", "min"))
    ordinary_sla_min: float = Field(120.0, gt=0, le=MAX_MINUTES, allow_inf_nan=False,
                                    description="promised time to attend an ordinary repair",
                                    json_schema_extra=param_label(
                                        "Ordinary promise", "一般报修到场时限",
                                        "Promised longest wait until a technician attends an ordinary repair",
                                        "承诺的一般报修最长到场等待时间", "min"))
    backlog_emergency: int = Field(0, ge=0, le=10_000, description="emergency orders already waiting at 0 s",
                                   json_schema_extra=param_label(
                                       "Emergency orders already open", "已有紧急工单",
                                       "Emergency orders already waiting when the run starts",
                                       "模拟开始时已在等待的紧急报修工单数", "orders"))
    backlog_ordinary: int = Field(0, ge=0, le=10_000, description="ordinary orders already waiting at 0 s",
                                  json_schema_extra=param_label(
                                      "Ordinary orders already open", "已有一般工单",
                                      "Ordinary orders already waiting when the run starts",
                                      "模拟开始时已在等待的一般报修工单数", "orders"))


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


def poisson_arrivals(rng: np.random.Generator, rate_per_s: float, horizon_s: float) -> np.ndarray:
    """Arrival times in [0, horizon_s) of a Poisson process of ``rate_per_s``: exponential gaps
    (scale ``1/rate``) drawn in blocks and summed; what is drawn past the horizon is dropped.
    The operations model draws its demand with the same function (its exact reduction to this one)."""
    if not rate_per_s > 0 or not horizon_s > 0:
        return np.empty(0)
    scale = 1.0 / rate_per_s
    blocks: list[np.ndarray] = []
    t = 0.0
    while True:
        mean = rate_per_s * (horizon_s - t)
        n = int(mean + 4.0 * math.sqrt(mean) + 16)
        times = t + np.cumsum(rng.exponential(scale, n))
        blocks.append(times)
        if times[-1] >= horizon_s:
            break
        t = float(times[-1])
    out = np.concatenate(blocks)
    return out[out < horizon_s]


def merged_poisson(rng: np.random.Generator, rates_per_s: Sequence[float], horizon_s: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The superposition of independent Poisson streams: (times in [0, horizon_s), stream index of
    each) — one Poisson process at the total rate (:func:`poisson_arrivals`), each arrival given to
    stream ``i`` with probability ``rate_i / total`` (one uniform per arrival)."""
    rates = np.asarray(rates_per_s, dtype=float)
    total = float(rates.sum())
    times = poisson_arrivals(rng, total, horizon_s)
    if not times.size:
        return times, np.empty(0, dtype=np.int64)
    u = rng.random(times.size)
    cum = np.cumsum(rates) / total
    stream = np.minimum(np.searchsorted(cum, u, side="right"), rates.size - 1)
    return times, stream.astype(np.int64)


class RepairDesk:
    def __init__(self, ctx: ModelContext):
        self.ctx = ctx
        self.p: RepairDeskParams = ctx.params  # type: ignore[assignment]
        self.env = ctx.env
        self.rng = ctx.rng
        self.team = MonitoredPriorityResource(self.env, capacity=self.p.technicians)
        self.orders: list[WorkOrder] = []
        self._next = 0

    def reporting(self, times: np.ndarray, priorities: np.ndarray, repairs: np.ndarray):
        """Work orders arrive as one Poisson stream, each an emergency with probability λe/λ — drawn
        ahead (:func:`merged_poisson`), with their exponential repair times."""
        for t, priority, repair_s in zip(times.tolist(), priorities.tolist(), repairs.tolist()):
            yield self.env.timeout(t - self.env.now)
            self._next += 1
            self.env.process(self.repairing(self._next, priority, repair_s))

    def repairing(self, order: int, priority: int, repair_s: float):
        """Waits for a free technician (emergencies first), then holds them for the repair."""
        reported = self.env.now
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
    p, rng = desk.p, ctx.rng
    # Random numbers in a fixed order: arrival times and priorities, repair times, then the repair
    # times of the orders open at the start (the operations model draws the same, in the same order).
    times, priorities = merged_poisson(rng, [p.emergency_per_h / 3600.0, p.ordinary_per_h / 3600.0], ctx.horizon_s)
    repairs = rng.standard_exponential(times.size) * (p.repair_mean_min * 60.0)
    backlog = [EMERGENCY] * p.backlog_emergency + [ORDINARY] * p.backlog_ordinary
    backlog_repairs = rng.standard_exponential(len(backlog)) * (p.repair_mean_min * 60.0)
    # Orders already open when the run starts (from the live twin, or set by hand), reported at 0 s.
    for priority, repair_s in zip(backlog, backlog_repairs.tolist()):
        desk._next += 1
        ctx.env.process(desk.repairing(desk._next, priority, repair_s))
    ctx.env.process(desk.reporting(times, priorities, repairs))
    ctx.env.run(until=ctx.horizon_s)
    by = {name: [o for o in desk.orders if o.priority == name] for name in PRIORITY_NAMES.values()}
    stats = desk.team.stats()
    kpis = {
        "emergency_wait_min": _mean([o.wait_min for o in by["emergency"]]),
        "ordinary_wait_min": _mean([o.wait_min for o in by["ordinary"]]),
        "emergency_within_sla": _mean([float(o.within_sla) for o in by["emergency"]]),
        "ordinary_within_sla": _mean([float(o.within_sla) for o in by["ordinary"]]),
        "utilisation": stats.utilisation,
        "offered_load": offered_load(desk.p),
        "mean_queue": stats.mean_queue,
        "orders_completed": float(len(desk.orders)),
    }
    return ReplicationResult(kpis=kpis, records={"work_orders": [asdict(o) for o in desk.orders]})


def offered_load(params: RepairDeskParams) -> float:
    """ρ = (λe + λo) · mean repair time / technicians: the share of the team's time the work arriving
    asks for. At ρ ≥ 1 the queue grows without end (Larson & Odoni §4.5: no steady state) — what
    a simulation of finite length shows as long waits and a utilisation just under 1."""
    per_min = (params.emergency_per_h + params.ordinary_per_h) / 60.0
    return per_min * params.repair_mean_min / params.technicians


def review(results: Sequence[ReplicationResult]) -> dict[str, Text]:
    """Findings on a sweep point's replications: a team the work arriving overloads (ρ ≥ 1) is said
    to be (``overloaded``), rather than left to be read out of a utilisation of 0.96."""
    kpis = [r.kpis for r in results]
    loads = [k.get("offered_load") for k in kpis if k.get("offered_load") is not None]
    if not loads or max(loads) < 1.0:
        return {}
    rho = max(loads)
    return {"overloaded": text(
        f"overloaded: the work arriving needs {rho:.2f} times what the technicians can do (offered load ρ = "
        f"{rho:.2f} ≥ 1); the queue grows for as long as the run lasts, so waits depend on the horizon, not on "
        f"a steady state — add technicians or shorten repairs",
        f"超负荷：到达的工作量是维修人员处理能力的 {rho:.2f} 倍（负荷强度 ρ = {rho:.2f} ≥ 1）；队列在整个模拟期间"
        f"持续增长，等待时间取决于模拟时长而非稳态——请增加维修人员或缩短维修时间")}


def from_live(params: RepairDeskParams, cond: LiveConditions, building) -> tuple[RepairDeskParams, list[Text]]:
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
    listed = f"{', '.join(emergency[:10])}{'…' if len(emergency) > 10 else ''}"
    notes = [text(f"{len(emergency)} emergency and {len(ordinary)} ordinary work orders open from the twin's alarms"
                  + (f" (emergencies: {listed})" if emergency else ""),
                  f"根据孪生告警已有 {len(emergency)} 张紧急工单和 {len(ordinary)} 张一般工单"
                  + (f"（紧急：{listed}）" if emergency else ""))]
    if "warmup_s" not in params.model_fields_set and params.warmup_s:
        data["warmup_s"] = 0.0
        notes.append(text(f"forecast from now: no warm-up (was {params.warmup_s:g} s)",
                          f"从当前时刻预测：不设预热时间（原为 {params.warmup_s:g} 秒）"))
    return RepairDeskParams.model_validate(data), notes


def cost(params: RepairDeskParams, horizon_s: float, building=None) -> ReplicationCost:
    """Events and record rows of one replication: one row and about six events per work order."""
    orders = (params.emergency_per_h + params.ordinary_per_h) * horizon_s / 3600.0
    orders += params.backlog_emergency + params.backlog_ordinary
    return ReplicationCost(events=EVENTS_PER_ORDER * orders + 10, record_rows=orders)


SPEC = register(ModelSpec(
    name="repair_desk",
    title=text("Repair desk (work orders and technicians)", "报修中心（工单与维修人员）"),
    description=text(
        __doc__.strip().split("\n\n")[0],
        "业主报修按紧急与一般两类到达，由一组维修技术人员按优先级处理；检验承诺：紧急报修 30 分钟内到场，一般报修 2 小时内到场。"),
    params=RepairDeskParams,
    kpis=(
        KPI("emergency_wait_min", "min", text("Emergency repair: wait to attend", "紧急报修到场等待时间"),
            text("Mean wait of an emergency repair until a technician attends", "紧急报修从报修到维修人员到场的平均等待时间"),
            "duration"),
        KPI("ordinary_wait_min", "min", text("Ordinary repair: wait to attend", "一般报修到场等待时间"),
            text("Mean wait of an ordinary repair until a technician attends", "一般报修从报修到维修人员到场的平均等待时间"),
            "duration"),
        KPI("emergency_within_sla", "share", text("Emergencies attended within 30 min", "紧急报修 30 分钟内到场率"),
            text("Share of emergency repairs attended within their promise (30 min)", "在承诺时限（30 分钟）内到场的紧急报修比例"),
            "share", "higher"),
        KPI("ordinary_within_sla", "share", text("Ordinary repairs attended within 2 h", "一般报修 2 小时内到场率"),
            text("Share of ordinary repairs attended within their promise (2 h)", "在承诺时限（2 小时）内到场的一般报修比例"),
            "share", "higher"),
        KPI("utilisation", "share", text("Technician utilisation", "维修人员利用率"),
            text("Busy technicians over team size, time-averaged", "忙碌的维修人员占班组人数的时间平均比例"), "share", None),
        KPI("offered_load", "", text("Offered load ρ", "负荷强度 ρ"),
            text("Work arriving per unit time over what the team can do (ρ ≥ 1: the queue grows without end)",
                 "单位时间到达的工作量与班组处理能力之比（ρ ≥ 1 时队列无限增长）"), "quantity", None),
        KPI("mean_queue", "orders", text("Orders waiting (mean)", "平均待派工单数"),
            text("Time-weighted mean number of orders waiting", "按时间加权的平均等待工单数"), "count"),
        KPI("orders_completed", "orders", text("Orders completed", "完成工单数"),
            text("Work orders reported after warm-up and completed", "预热期后报修并已完成的工单数"), "count", None),
    ),
    run=run,
    charts=(
        Chart(text("Wait until attended", "到场等待时间分布"), "work_orders", "hist", x="wait_min",
              x_label=text("wait (min)", "等待时间（分钟）")),
        Chart(text("Mean wait by priority", "按优先级的平均等待时间"), "work_orders", "bar", x="priority", y="wait_min",
              x_label=text("priority", "优先级"), y_label=text("wait (min)", "等待时间（分钟）")),
    ),
    from_live=from_live,
    cost=cost,
    max_horizon_s=MAX_HORIZON_S,
    review=review,
))
