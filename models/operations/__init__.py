"""The estate's operations: staff on shifts, work orders, maintenance, patrols, cleaning, the service
desk and the budget — the supervisors' model.

How many technicians, guards, cleaners and service-desk agents on which shifts; what that costs
against the fees the estate collects; and whether the service promises hold — an emergency repair
attended on site within 30 minutes, an ordinary one within 2 hours — when equipment ages, demand
peaks, a contractor is slow or a shift is cut. Staff work rosters of shift patterns
(:mod:`models.staff`) and walk to their jobs over the floor graph; owners' requests and calls
arrive by hour, weekday and season; equipment fails after Weibull lives and is maintained on
schedule; parts run out; contractors are called out; the supervisor escalates late orders.

The package is split by concern: :mod:`~models.operations.params` (parameters),
:mod:`~models.operations.demand` (arrivals and lives), :mod:`~models.travel` (the floor
graph's travel times), :mod:`~models.operations.dispatch` (persons, queues, the work-order life
cycle, parts, contractor, equipment), :mod:`~models.operations.rounds` (patrols and cleaning),
:mod:`~models.operations.desk` (calls), :mod:`~models.operations.model` (a replication, its records
and KPIs, checks, cost, advice, review, live start) and :mod:`~models.operations.budget` (the
zero-based budget). Configured like :mod:`models.repair_desk` (:func:`repair_desk_like`), it gives
the repair desk's work orders and KPIs exactly.
"""

from __future__ import annotations

from models.harness import KPI, Chart, ModelSpec, ReportTable, Target, register
from models.operations.budget import BUDGET_KPIS
from models.operations.model import (MAX_HORIZON_S, advise, check, cost, from_live, review, run)
from models.operations.params import OperationsParams
from twin.text import text

__all__ = ["OperationsParams", "SPEC", "KPIS", "repair_desk_like"]

_PROMISE = text("Service promise of the work plans: 95 % of emergency repairs on site within 30 min",
                "工作计划服务承诺：95% 的紧急报修 30 分钟内到场")
_PROMISE_ORD = text("Service promise of the work plans: 95 % of ordinary repairs on site within 2 h",
                    "工作计划服务承诺：95% 的一般报修 2 小时内到场")

_ROLE_WORDS = {"technician": ("technicians", "维修技术人员"), "guard": ("guards", "保安"),
               "cleaner": ("cleaners", "保洁员"), "agent": ("service-desk agents", "客服人员")}


def _role_kpis() -> tuple[KPI, ...]:
    out = []
    for role, (en, zh) in _ROLE_WORDS.items():
        out.append(KPI(f"utilisation_{role}", "share", text(f"Utilisation of {en}", f"{zh}利用率"),
                       text(f"Share of the {en}' time on shift spent working or travelling to work (breaks left out, "
                            "overtime in)", f"{zh}当班时间中用于工作和前往工作地点的比例（不含休息，含加班）"),
                       "share", None))
        out.append(KPI(f"offered_load_{role}", "", text(f"Offered load ρ of {en}", f"{zh}负荷强度 ρ"),
                       text(f"Work offered to the {en} (done, or still waiting at the end) over their time on shift; "
                            "ρ ≥ 1: the backlog grows without end",
                            f"交给{zh}的工作量（已完成及期末仍在等待的）与其当班时间之比；ρ ≥ 1 时积压无限增长"),
                       "quantity", None))
        out.append(KPI(f"overtime_h_{role}", "h", text(f"Overtime of {en}", f"{zh}加班时长"),
                       text(f"Hours the {en} worked past the end of their shift to finish a job",
                            f"{zh}为完成工作在下班后继续工作的小时数"), "duration"))
    return tuple(out)


KPIS: tuple[KPI, ...] = (
    KPI("emergency_within_sla", "share", text("Emergency repairs on site within 30 min", "紧急报修 30 分钟内到场率"),
        text("Share of emergency repairs attended on site within their promise (维修及时率)",
             "在承诺时限内到场的紧急报修比例（维修及时率）"), "share", "higher",
        Target(">=", 0.95, "mean", _PROMISE)),
    KPI("ordinary_within_sla", "share", text("Ordinary repairs on site within 2 h", "一般报修 2 小时内到场率"),
        text("Share of ordinary repairs attended on site within their promise (维修及时率)",
             "在承诺时限内到场的一般报修比例（维修及时率）"), "share", "higher",
        Target(">=", 0.95, "mean", _PROMISE_ORD)),
    KPI("emergency_wait_min", "min", text("Emergency repair: time to attend", "紧急报修到场时间"),
        text("Mean time from an emergency report until someone is on site", "紧急报修从报修到人员到场的平均时间"),
        "duration"),
    KPI("ordinary_wait_min", "min", text("Ordinary repair: time to attend", "一般报修到场时间"),
        text("Mean time from an ordinary report until someone is on site", "一般报修从报修到人员到场的平均时间"),
        "duration"),
    KPI("completion_h", "h", text("Completion time", "完成时间"),
        text("Mean time from report to completion of the repairs completed", "已完成维修从报修到完成的平均时间"), "duration"),
    KPI("completion_rate", "share", text("Repair completion rate", "维修完成率"),
        text("Share of the repairs reported that were completed within the run", "模拟期内报修并已完成的维修比例"),
        "share", "higher"),
    KPI("orders_completed", "orders", text("Repairs completed", "完成维修工单数"),
        text("Emergency and ordinary work orders reported after the warm-up and completed",
             "预热期后报修并已完成的紧急和一般工单数"), "count", None),
    KPI("mean_queue", "orders", text("Orders waiting for dispatch (mean)", "平均待派工单数"),
        text("Time-weighted mean number of work orders not yet taken by anyone", "按时间加权的尚未派出工单平均数"), "count"),
    KPI("backlog_mean", "orders", text("Open orders (mean)", "平均未完成工单数"),
        text("Time-weighted mean number of work orders reported and not yet completed", "按时间加权的已报未完成工单平均数"),
        "count"),
    KPI("backlog_max", "orders", text("Open orders (most)", "最多未完成工单数"),
        text("Most work orders open at an hour's mark", "整点时刻未完成工单数的最大值"), "count"),
    KPI("contractor_callouts", "orders", text("Contractor call-outs", "外包呼叫次数"),
        text("Work orders sent to the call-out contractor", "交由外包单位处理的工单数"), "count"),
    KPI("escalated_orders", "orders", text("Orders escalated", "督办升级工单数"),
        text("Repairs not on site by the escalation time, escalated by the supervisor", "到督办时点仍未到场、由主管督办的维修工单数"),
        "count"),
    KPI("preempted_orders", "orders", text("Orders interrupted by an emergency", "被紧急工单中断的工单数"),
        text("Ordinary or planned orders a technician left for an emergency", "维修人员为处理紧急工单而中断的一般或计划工单数"),
        "count", None),
    KPI("parts_wait_h", "h", text("Hours waiting for parts", "等待备件时长"),
        text("Order-hours spent waiting for a spare part out of stock", "工单因备件缺货而等待的总小时数"), "duration"),
    KPI("stockouts", "", text("Stock-outs", "缺货次数"),
        text("Times a part was needed and none was in stock", "需要备件而库存为零的次数"), "count"),
    *_role_kpis(),
    KPI("pm_compliance", "share", text("PM compliance", "预防性维护完成率"),
        text("Share of preventive maintenance done within its window", "在允许窗口内完成的预防性维护比例"), "share", "higher"),
    KPI("mtbf_h", "h", text("Mean time between failures", "平均故障间隔时间"),
        text("Operating hours of the maintained equipment per failure (all kinds)", "所维护设备每次故障之间的运行小时数（全部类型）"),
        "duration", "higher"),
    KPI("mttr_h", "h", text("Mean time to repair", "平均修复时间"),
        text("Mean time from a failure until the item is repaired", "从故障到设备修复的平均时间"), "duration"),
    KPI("patrols_on_time", "share", text("Patrol rounds on time", "巡逻准时率"),
        text("Share of patrol rounds started within their tolerance", "在容差内开始的巡逻比例"), "share", "higher"),
    KPI("checkpoints_missed", "", text("Checkpoints missed", "漏巡巡更点数"),
        text("Checkpoints of patrol rounds given up", "被放弃巡逻路线的巡更点数"), "count"),
    KPI("cleaning_done", "share", text("Cleaning rounds done", "保洁完成率"),
        text("Share of cleaning rounds done before the same round was due again", "在下一次同一保洁到期前完成的比例"),
        "share", "higher"),
    KPI("desk_answer_s", "s", text("Service desk: time to answer", "客服接听等待时间"),
        text("Mean wait of the calls answered", "已接听来电的平均等待时间"), "duration"),
    KPI("desk_answered_in_time", "share", text("Calls answered in time", "来电及时接听率"),
        text("Share of calls answered within the desk's answer promise", "在接听时限内接听的来电比例"), "share", "higher"),
    KPI("desk_abandoned", "share", text("Calls abandoned", "来电放弃率"),
        text("Share of callers who hung up before an agent answered", "在客服接听前挂断的来电比例"), "share"),
    KPI("coverage_gap_h", "h", text("Roster coverage gaps", "排班缺口时长"),
        text("Hours in which a fixed post had fewer persons on shift than it needs (absences included)",
             "固定岗位当班人数少于所需人数的小时数（含缺勤）"), "duration"),
    *BUDGET_KPIS,
)


def repair_desk_like(*, emergency_per_h: float, ordinary_per_h: float, repair_mean_min: float, technicians: int,
                     warmup_s: float = 0.0, emergency_sla_min: float = 30.0, ordinary_sla_min: float = 120.0
                     ) -> OperationsParams:
    """Operations parameters configured like :class:`models.repair_desk.RepairDeskParams`: one 24/7
    group of technicians with one skill, two flat Poisson streams, exponential repair, no travel,
    parts, contractor, escalation, PM, failures, rounds, desk or return visits. With the same seed
    the work orders and KPIs are the repair desk's (``tests/test_operations_reduction.py``)."""
    return OperationsParams.model_validate({
        "warmup_s": warmup_s,
        "groups": [{"id": "tech", "role": "technician", "skills": ["general"], "count": technicians,
                    "pattern": "always", "wage_cny_per_h": 40.0}],
        "requests": [
            {"category": "plumbing", "priority": "emergency", "per_h": emergency_per_h, "where": "none",
             "skill": "general", "repair_mean_min": repair_mean_min, "repair_dist": "exponential", "profile": "flat"},
            {"category": "plumbing", "priority": "ordinary", "per_h": ordinary_per_h, "where": "none",
             "skill": "general", "repair_mean_min": repair_mean_min, "repair_dist": "exponential", "profile": "flat"},
        ],
        "sla": {"emergency_min": emergency_sla_min, "ordinary_min": ordinary_sla_min},
        "travel": {"enabled": False}, "parts": [], "failures": [], "pm": [], "cleaning": [], "patrols": [],
        "desk": {"calls_per_apartment_month": 0.0}, "contractor": {"enabled": False},
        "escalation": {"enabled": False}, "return_visits": {"share": 0.0},
    })


SPEC = register(ModelSpec(
    name="operations",
    title=text("Estate operations (staff, work orders, maintenance, budget)", "物业运营（人员、工单、维护与预算）"),
    description=text(
        "Staff on shift patterns take owners' repair requests, equipment failures, preventive maintenance, patrols, "
        "cleaning rounds and service-desk calls, walking over the floor graph; checks the promises (emergency on site "
        "within 30 min, ordinary within 2 h), the staff's load and overtime, and the budget.",
        "按班次排班的员工处理业主报修、设备故障、预防性维护、巡逻、保洁和客服来电，沿楼层路网行走；检验服务承诺（紧急报修 30 分钟内"
        "到场、一般报修 2 小时内到场）、人员负荷与加班及预算。"),
    params=OperationsParams,
    kpis=KPIS,
    run=run,
    charts=(
        Chart(text("Promise kept by hour of report", "按报修时段的到场达标率"), "sla_by_hour", "bar", x="hour",
              y="within_sla", x_label=text("hour of day", "报修时刻（时）"),
              y_label=text("share on site within promise", "承诺时限内到场比例")),
        Chart(text("Open work orders over the run", "未完成工单数变化"), "backlog", "step", x="t_d", y="open_orders",
              x_label=text("day", "天"), y_label=text("open orders", "未完成工单数")),
        Chart(text("Staff timeline of a week", "员工一周时间线"), "staff_timeline", "gantt", x="start_s", y="end_s",
              group="person", colour="activity", x_label=text("hours from the start of the week", "自该周开始的小时数")),
        Chart(text("Cost by month", "每月费用"), "cost_by_month", "bar", x="month", y="cost_cny",
              x_label=text("month", "月份"), y_label=text("cost (CNY)", "费用（元）")),
    ),
    tables=(
        ReportTable(
            text("Zero-based budget for the year", "零基预算（全年）"), "budget_lines",
            columns=(("category", text("Category", "类别")), ("line", text("Line", "科目")),
                     ("driver", text("Cost driver", "成本动因")), ("quantity", text("Quantity", "数量")),
                     ("unit", text("Unit", "单位")), ("rate_cny", text("Rate (CNY)", "单价（元）")),
                     ("amount_cny", text("Amount (CNY)", "金额（元）"))),
            by=("line",), average=("quantity", "amount_cny"), where={"month": 0},
            localised={"driver": {"zh-CN": "driver_zh_cn"}},
            description=text("One line per cost driver and income source: its quantity, its rate and the amount "
                             "(costs and income both positive; the category says which).",
                             "每个成本动因和收入来源一行：数量、单价与金额（成本与收入均为正数，以类别区分）。")),
    ),
    check=check,
    from_live=from_live,
    cost=cost,
    max_horizon_s=MAX_HORIZON_S,
    advise=advise,
    review=review,
))
