"""The operations model's replication: the estate's year, its KPIs, records and charts.

One replication (:func:`run`) draws the year's demand ahead with numpy — owners' repair requests,
desk calls (thinned non-homogeneous Poisson streams, :mod:`models.operations.demand`), the roster's
shifts and absences (:class:`models.staff.Roster`), the rounds' hours and the calendar PMs — then
runs one SimPy environment in which persons take jobs (:mod:`models.operations.dispatch`), walk
over the floor graph (:mod:`models.travel`), patrol and clean
(:mod:`models.operations.rounds`) and answer calls (:mod:`models.operations.desk`), equipment
fails and is maintained, parts run out and come back. At the end it writes the record tables,
computes the KPIs (with the service promises as targets) and asks the budget
(:func:`models.operations.budget.budget`) for its lines and figures.

The order in which random numbers are drawn is fixed: the request streams first (arrival times and
streams, then repair times, then places, then parts), then the repair times of the orders open at
the start; everything else after. With the parameters of :func:`models.operations.repair_desk_like`
the first two are exactly :mod:`models.repair_desk`'s draws, which is what makes the exact
reduction to it hold (``tests/test_operations_reduction.py``).

KPIs are over the orders reported after the warm-up; attendance and the promises are judged on
the orders completed within the horizon (the repair desk's convention: 维修及时率 over closed
orders), the completion rate says how many were.

Record tables (times in seconds from t = 0, 00:00 of ``start_date``; NaN for what did not happen):

* ``work_orders`` — one row per order (the contract of SESSION11.md; ``source`` request, failure,
  pm, return_visit or backlog — open at the start or scripted);
* ``staff_time`` — one row per person and shift starting within the run, with its pay
  (:func:`models.staff.pay_table`: :func:`models.staff.pay` for every shift at once, the same
  figures); a shift already running at the start is simulated but belongs to the
  period before;
* ``equipment_events`` — failures and PMs with the item's age since its last renewal and the cost
  of the event (``cost_cny``: a failure's ``failure_cost_cny``, a PM's ``cost_cny``);
* ``patrols``, ``cleaning`` — one row per round; ``on_time``/``done`` are 1/0, NaN for a round
  still under way or not yet due again at the end;
* ``service_calls``, ``parts`` (used, reorder, received, stockout with the stock after),
  ``backlog`` (hourly: open orders and orders waiting for parts; ``t_d`` in days from the start);
* ``reliability`` (per equipment kind: failures, operating hours, MTBF, MTTR, PM compliance),
  ``posts`` (relief head count of each fixed post against the roster, uncovered hours),
  ``coverage_gaps`` (:func:`models.staff.coverage_gaps`), ``staff_timeline`` (the chosen week's
  work, travel, breaks and idle time per person: the Gantt chart), ``sla_by_hour`` (promise kept
  by hour of report), ``budget_lines`` (:func:`models.operations.budget.budget`) and
  ``cost_by_month``.
"""

from __future__ import annotations

import math
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from collections.abc import Sequence

import numpy as np
from simpy.events import NORMAL

from models.harness import ModelContext, ReplicationCost, ReplicationResult
from models.live import LiveConditions, local_start
from models.operations.budget import BUDGET_KPIS, budget
from models.operations.demand import ProfileClock, draw_times, thinned_arrivals
from models.operations.desk import Call, call_records
from models.operations.dispatch import CANCELLED, PARTS, WAITING, Callback, Estate, WorkOrder
from models.operations.params import (BUILTIN_PROFILES, DAYS_PER_MONTH, LIFT_CAR_KIND, MAX_HORIZON_S,
                                      OperationsParams, OpenOrder)
from models.operations.rounds import RoundJob, round_plans, round_records, round_times
from models.travel import travel_table
from models.staff import BUILTIN_PATTERNS, Calendar, Roster, coverage_gaps, pay_table, required_head_count
from twin.text import Text, text

__all__ = ["run", "check", "cost", "advise", "review", "from_live", "COMMON_KINDS", "equipment_items", "home_space"]

DAY_S = 86_400.0
MONTH_S = DAYS_PER_MONTH * DAY_S
NAN = math.nan
COMMON_KINDS = ("lobby", "corridor", "lift_lobby", "car_park")
"""Spaces where a ``common`` request arises (and whose area a per-1,000 m² rate of one counts)."""
DISPATCH_ROLES = ("technician", "guard", "cleaner", "agent")


def home_space(building) -> str | None:
    """Where staff without a base start a shift: the management office, else a lobby, else the
    first space of the lowest floor."""
    for kind in ("management_office", "lobby"):
        for s in building.spaces:
            if s.kind == kind and not s.void:
                return s.id
    low = min(building.floors, key=lambda f: f.elevation_m).id
    return next((s.id for s in building.spaces if s.floor == low and not s.void), building.spaces[0].id)


def _car_location(building, car_id: str) -> str:
    for g in building.elevators:
        for c in g.cars:
            if c.id == car_id:
                floor = c.home_floor or c.floors_served[0]
                lobby = next((lb for lb in g.lobbies if building.space_by_id.get(lb) is not None
                              and building.space_by_id[lb].floor == floor), g.lobbies[0])
                return lobby
    return home_space(building) or ""


def equipment_items(building) -> list[tuple[str, str, str]]:
    """(id, kind, location space) of every item the model maintains: the building's equipment and
    its lift cars (kind ``lift_car``)."""
    items = [(e.id, e.kind, e.location) for e in building.equipment]
    items += [(c.id, LIFT_CAR_KIND, _car_location(building, c.id)) for g in building.elevators for c in g.cars]
    return items


def _where_pool(building, where: str) -> list[str]:
    if where == "apartment":
        return [s.id for s in building.spaces if s.kind == "apartment" and not s.void]
    if where == "common":
        return [s.id for s in building.spaces if s.kind in COMMON_KINDS and not s.void]
    if where == "office":
        return [home_space(building)]
    return []


def _area(building, where: str) -> float:
    if where == "apartment":
        kinds: tuple[str, ...] | None = ("apartment",)
    elif where == "common":
        kinds = COMMON_KINDS
    else:
        kinds = None
    return sum(s.floor_area_m2 for s in building.spaces if not s.void and (kinds is None or s.kind in kinds))


def stream_rates_per_s(params: OperationsParams, building) -> list[float]:
    """Mean rate of each request stream (per second) for the building."""
    apartments = sum(1 for s in building.spaces if s.kind == "apartment") if building is not None else 0
    out = []
    for s in params.requests:
        rate = s.per_h / 3600.0
        if s.per_apartment_month:
            rate += s.per_apartment_month * apartments / MONTH_S
        if s.per_1000m2_month and building is not None:
            rate += s.per_1000m2_month * _area(building, s.where) / 1000.0 / MONTH_S
        out.append(rate)
    return out


def desk_rate_per_s(params: OperationsParams, building) -> float:
    apartments = sum(1 for s in building.spaces if s.kind == "apartment") if building is not None else 0
    return params.desk.calls_per_h / 3600.0 + params.desk.calls_per_apartment_month * apartments / MONTH_S


# --- the replication ------------------------------------------------------------------------------

class _Feed:
    """Pre-drawn events (shifts, arrivals, rounds, calendar PMs) fed to SimPy one at a time, in order."""

    def __init__(self, env, times: np.ndarray, codes: np.ndarray, args: np.ndarray, handlers):
        order = np.lexsort((np.arange(times.size), codes, times))
        self.env = env
        self.t = times[order].tolist()
        self.c = codes[order].tolist()
        self.a = args[order].tolist()
        self.h = handlers
        self.i = 0
        self._fire_cb = self._fire  # bound once: one Callback per distinct time, a year has some fifteen thousand
        self._schedule = env.schedule
        if self.t:
            self._schedule(Callback(self._fire_cb, ()), NORMAL, max(0.0, self.t[0] - env.now))

    def _fire(self) -> None:
        now = self.env.now
        t, c, a, h = self.t, self.c, self.a, self.h
        i = self.i
        n = len(t)
        while i < n and t[i] <= now:
            self.i = i + 1
            h[c[i]](a[i])
            i = self.i
        if i < n:
            self._schedule(Callback(self._fire_cb, ()), NORMAL, max(0.0, t[i] - self.env.now))


@dataclass(frozen=True)
class _Plan:
    """What a replication sets up that does not depend on its random numbers: the demand streams'
    rates and places, the roster, the equipment maintained, the patrol and cleaning rounds with their
    routes and times, the calendar PMs. The replications of a run share it (:func:`_plan`)."""

    clock: ProfileClock
    streams: list
    stream_rates: list[float]
    stream_profiles: list
    pools: list[list[str]]
    patterns: dict
    roster: Roster
    items: list[dict]
    rounds: list[tuple]
    desk_rate: float
    desk_profile: object
    pm_t: list[float]
    pm_i: list[int]


_PLANS: "OrderedDict[tuple, tuple[tuple, _Plan]]" = OrderedDict()
_PLANS_KEPT = 4


def _plan(p: OperationsParams, building, travel, calendar: Calendar, t0: float, t_end: float) -> _Plan:
    """The replication's :class:`_Plan`, made once per parameters, building, travel table and span in
    a process (the last few are kept; the objects themselves are kept with it, so an ``id`` is never
    reused while its plan is)."""
    key = (id(p), id(building), id(travel), t0, t_end)
    hit = _PLANS.get(key)
    if hit is not None:
        _PLANS.move_to_end(key)
        return hit[1]
    plan = _make_plan(p, building, travel, calendar, t0, t_end)
    _PLANS[key] = ((p, building, travel), plan)
    while len(_PLANS) > _PLANS_KEPT:
        _PLANS.popitem(last=False)
    return plan


def _make_plan(p: OperationsParams, building, travel, calendar: Calendar, t0: float, t_end: float) -> _Plan:
    def node(space: str | None) -> int:
        return travel.node(space) if travel is not None and space else -1

    profiles = {**BUILTIN_PROFILES, **p.profiles}
    streams = list(p.requests)
    patterns = {**BUILTIN_PATTERNS, **p.patterns}
    fmodels = {f.kind: f for f in p.failures}
    pms = {s.kind: s for s in p.pm}
    items = []
    if building is not None:
        for eid, kind, loc in equipment_items(building):
            if kind in fmodels or kind in pms:
                items.append({"id": eid, "kind": kind, "location": loc, "loc": node(loc),
                              "failure": fmodels.get(kind), "pm": pms.get(kind)})
    plans = round_plans(p, building, travel) if building is not None else []
    per_plan = [round_times(plan, t0, t_end) for plan in plans]
    dues = [due for times in per_plan for due, _ in times]
    deadlines = [deadline for times in per_plan for _, deadline in times]
    which = [k for k, times in enumerate(per_plan) for _ in times]
    # by time due, then plan (a stable sort: a plan's rounds due at once stay in their order)
    order = np.lexsort((np.array(which, dtype=np.int64), np.array(dues, dtype=float))).tolist() if dues else []
    numbers: dict[tuple[str, str], int] = defaultdict(int)
    rounds: list[tuple] = []
    for j in order:  # numbered per route or zone (a zone's parts each a round)
        plan = plans[which[j]]
        key = (plan.kind, plan.name)
        numbers[key] += 1
        rounds.append((plan, numbers[key], dues[j], deadlines[j]))
    pm_t, pm_i = [], []
    counts: dict[str, int] = defaultdict(int)
    for it in items:
        counts[it["kind"]] += 1
    seen: dict[str, int] = defaultdict(int)
    for i, it in enumerate(items):
        pm = it["pm"]
        if pm is None:
            continue
        j = seen[it["kind"]]
        seen[it["kind"]] += 1
        if pm.policy != "calendar":
            continue
        step = pm.interval_days * DAY_S
        t = t0 + step * (j + 0.5) / counts[it["kind"]]
        while t < t_end:
            pm_t.append(t)
            pm_i.append(i)
            t += step
    return _Plan(
        clock=ProfileClock(calendar, t_end), streams=streams, stream_rates=stream_rates_per_s(p, building),
        stream_profiles=[profiles[s.profile] for s in streams],
        pools=[_where_pool(building, s.where) if building is not None else [] for s in streams],
        patterns=patterns, roster=Roster(p.groups, patterns, calendar, pay_rules=p.pay), items=items, rounds=rounds,
        desk_rate=desk_rate_per_s(p, building), desk_profile=profiles[p.desk.profile], pm_t=pm_t, pm_i=pm_i)


def run(ctx: ModelContext) -> ReplicationResult:
    p: OperationsParams = ctx.params  # type: ignore[assignment]
    building, graph, rng, env = ctx.building, ctx.graph, ctx.rng, ctx.env
    calendar = Calendar(p.start_date, p.holidays)
    t0 = p.start_s
    t_end = t0 + ctx.horizon_s
    travel = None
    if p.travel.enabled and graph is not None and building is not None:
        travel = travel_table(building, graph, walk_mps=p.travel.walk_mps, stair_mps=p.travel.stair_mps,
                              use_lifts=p.travel.use_lifts, lift_wait_s=p.travel.lift_wait_s)

    def node(space: str | None) -> int:
        return travel.node(space) if travel is not None and space else -1

    plan = _plan(p, building, travel, calendar, t0, t_end)
    clock = plan.clock

    # 1. owners' requests (drawn first: see the module docstring)
    streams = plan.streams
    req_t, req_s = thinned_arrivals(rng, plan.stream_rates, plan.stream_profiles, clock, t0, t_end)
    req_repair = draw_times(rng, req_s, [s.repair_mean_min * 60.0 for s in streams], [s.repair_dist for s in streams],
                            [s.repair_cv for s in streams])
    pools = plan.pools
    req_place: list[str] = [""] * req_t.size
    if req_t.size and any(pools):
        u = rng.random(req_t.size)
        sidx = req_s.tolist()
        for k, (i, x) in enumerate(zip(sidx, u.tolist())):
            pool = pools[i]
            if pool:
                req_place[k] = pool[min(int(x * len(pool)), len(pool) - 1)]
    req_part: list[str | None] = [None] * req_t.size
    if req_t.size and any(s.part and s.part_probability > 0 for s in streams):
        u = rng.random(req_t.size)
        for k, (i, x) in enumerate(zip(req_s.tolist(), u.tolist())):
            s = streams[i]
            if s.part and x < s.part_probability:
                req_part[k] = s.part
    # 2. orders open at the start
    open_repair = rng.standard_exponential(len(p.open_orders)) * np.array([o.repair_mean_min * 60.0
                                                                             for o in p.open_orders]) \
        if p.open_orders else np.empty(0)
    for k, o in enumerate(p.open_orders):
        if o.repair_dist == "fixed":
            open_repair[k] = o.repair_mean_min * 60.0

    # 3. staff
    patterns = plan.patterns
    roster = plan.roster
    table = roster.shift_table(t_end, rng)
    table = table.select(table.end_s > t0)
    home = home_space(building) if building is not None else None
    bases = [node(person.base or home) for person in roster.persons]
    tl_from = t0 + p.timeline_week * 7 * DAY_S
    est = Estate(env, rng, p, persons=roster.persons, table=table, base_nodes=bases, travel=travel, t0_s=t0,
                 t_end_s=t_end, part_specs=p.parts, timeline=(tl_from, tl_from + 7 * DAY_S))

    # 4. equipment
    items = plan.items
    est.add_equipment(items)
    item_index = {it["id"]: i for i, it in enumerate(est.items)}

    # 5. rounds and desk calls
    round_jobs = [RoundJob(rp, number, due, deadline) for rp, number, due, deadline in plan.rounds]
    desk_rate = plan.desk_rate
    call_t, _ = thinned_arrivals(rng, [desk_rate], [plan.desk_profile], clock, t0, t_end) \
        if desk_rate > 0 else (np.empty(0), None)
    n_calls = call_t.size
    handle = rng.standard_exponential(n_calls) * p.desk.handle_mean_min * 60.0
    patience = rng.standard_exponential(n_calls) * p.desk.patience_mean_min * 60.0
    calls = [Call(k + 1, p.desk.skill, t, h, w) for k, (t, h, w) in
             enumerate(zip(call_t.tolist(), handle.tolist(), patience.tolist()))]

    # 6. the feed of pre-drawn events
    times: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    args: list[np.ndarray] = []

    def add(t, code: int, arg) -> None:
        t = np.asarray(t, dtype=float)
        times.append(t)
        codes.append(np.full(t.size, code, dtype=np.int64))
        args.append(np.asarray(arg, dtype=np.int64))

    present = ~table.absent
    idx = np.arange(len(table), dtype=np.int64)
    ends = present & (table.end_s < t_end)
    add(table.end_s[ends], 0, idx[ends])
    add(np.maximum(table.start_s[present], t0), 1, idx[present])
    brk = present & (table.break_end_s > table.break_start_s) & (table.break_start_s >= t0) & \
        (table.break_start_s < t_end)
    add(table.break_start_s[brk], 2, idx[brk])
    add(req_t, 3, np.arange(req_t.size))
    add(call_t, 4, np.arange(n_calls))
    add([j.scheduled_s for j in round_jobs], 5, np.arange(len(round_jobs)))
    pm_t, pm_i = plan.pm_t, plan.pm_i
    add(pm_t, 6, pm_i)

    req_list_t = req_t.tolist()
    req_list_s = req_s.tolist()
    req_list_r = req_repair.tolist()
    sla_min = {"emergency": p.sla.emergency_min, "ordinary": p.sla.ordinary_min}

    def request(k: int) -> None:
        s = streams[req_list_s[k]]
        place = req_place[k]
        est.report(WorkOrder(len(est.orders) + 1, "request", s.category, s.priority, s.skill, place, node(place),
                             req_list_t[k], req_list_r[k], part=req_part[k], sla_min=sla_min[s.priority]))

    handlers = (est.shift_end, est.shift_start, est.shift_break, request, lambda k: est.submit(calls[k]),
                lambda k: est.submit(round_jobs[k]), est.pm_due)

    if times:
        _Feed(env, np.concatenate(times), np.concatenate(codes), np.concatenate(args), handlers)
    # 7. orders open at the start and equipment out of service: after the shifts on duty have started
    for o, r in zip(p.open_orders, open_repair.tolist()):
        _open_order(est, o, r, node, building, item_index, sla_min, t0)
    for eid in p.out_of_service:
        i = item_index.get(eid)
        if i is not None:
            est.at(t0, est.fail_now, i)
    env.run(until=t_end)
    est.finish()
    return _results(p, est, roster, table, calendar, patterns, calls, round_jobs, t0, t_end, building, ctx.horizon_s)


def _open_order(est: Estate, o: OpenOrder, repair_s: float, node, building, item_index, sla_min, t0: float) -> None:
    place = o.location
    i = item_index.get(o.equipment, -1) if o.equipment else -1
    if place is None and o.equipment and building is not None:
        place = next((loc for eid, _, loc in equipment_items(building) if eid == o.equipment), None)
    at = t0 + o.at_s
    wo = WorkOrder(0, "backlog", o.category, o.priority, o.skill, place or "", node(place), at - o.age_s, repair_s,
                   equipment=o.equipment, item=i, part=o.part, sla_min=sla_min[o.priority])

    def enter() -> None:
        wo.order = len(est.orders) + 1
        if i >= 0:  # the item is out of service until this order is done (then renewed)
            est.items[i]["down"] = True
            est.items[i]["fgen"] += 1
        est.report(wo)
    est.at(at, enter)


# --- results --------------------------------------------------------------------------------------

def _mean(values) -> float:
    values = [v for v in values if v == v]
    return float(np.mean(values)) if values else NAN


def _results(p: OperationsParams, est: Estate, roster: Roster, table, calendar: Calendar, patterns, calls,
             round_jobs, t0: float, t_end: float, building, horizon_s: float) -> ReplicationResult:
    span = t_end - t0
    counted_from = t0 + p.warmup_s
    orders = [wo for wo in est.orders if wo.state != CANCELLED]
    work_orders = [wo.record(est.sla_s) for wo in orders]
    kpis: dict[str, float] = {}

    # promises, attendance and completion (emergency and ordinary orders reported after warm-up)
    repairs = [wo for wo in orders if wo.priority != "planned" and wo.reported_s >= counted_from]
    closed = [wo for wo in repairs if wo.completed_s == wo.completed_s]
    for prio in ("emergency", "ordinary"):
        mine = [wo for wo in closed if wo.priority == prio]
        waits = [(wo.arrived_s - wo.reported_s) / 60.0 for wo in mine]
        kpis[f"{prio}_wait_min"] = _mean(waits)
        kpis[f"{prio}_within_sla"] = _mean([1.0 if w <= wo.sla_min else 0.0 for w, wo in zip(waits, mine)])
    kpis["completion_h"] = _mean([(wo.completed_s - wo.reported_s) / 3600.0 for wo in closed])
    kpis["completion_rate"] = len(closed) / len(repairs) if repairs else NAN
    kpis["orders_completed"] = float(len(closed))

    # waiting and open orders over time
    rep = np.array([wo.reported_s for wo in orders]) if orders else np.empty(0)
    disp = np.array([wo.dispatched_s for wo in orders]) if orders else np.empty(0)
    done = np.array([wo.completed_s for wo in orders]) if orders else np.empty(0)
    disp_c = np.where(np.isnan(disp), t_end, np.minimum(disp, t_end))
    done_c = np.where(np.isnan(done), t_end, np.minimum(done, t_end))
    start_c = np.maximum(rep, t0)
    kpis["mean_queue"] = float(np.clip(disp_c - start_c, 0, None).sum() / span) if orders else 0.0
    kpis["backlog_mean"] = float(np.clip(done_c - start_c, 0, None).sum() / span) if orders else 0.0
    grid = np.arange(t0, t_end, 3600.0)
    open_now = (np.searchsorted(np.sort(rep), grid, side="right")
                - np.searchsorted(np.sort(np.where(np.isnan(done), np.inf, done)), grid, side="right"))
    parts_intervals = _parts_intervals(orders, t_end)
    if parts_intervals:
        a = np.sort(np.array([x for x, _ in parts_intervals]))
        b = np.sort(np.array([y for _, y in parts_intervals]))
        waiting_parts = np.searchsorted(a, grid, side="right") - np.searchsorted(b, grid, side="right")
    else:
        waiting_parts = np.zeros(grid.size, dtype=np.int64)
    backlog = [{"t_s": float(t), "t_d": float((t - t0) / DAY_S), "open_orders": int(o), "waiting_parts": int(w)}
               for t, o, w in zip(grid.tolist(), open_now.tolist(), waiting_parts.tolist())]
    kpis["backlog_max"] = float(open_now.max()) if open_now.size else 0.0
    kpis["contractor_callouts"] = float(sum(1 for wo in orders if wo.callout_fee_cny > 0 or
                                            (wo.contractor and wo.source != "pm")))
    kpis["escalated_orders"] = float(sum(1 for wo in repairs if wo.escalated))
    kpis["preempted_orders"] = float(sum(1 for wo in orders if wo.preempted))
    kpis["parts_wait_h"] = float(sum(wo.parts_wait_s for wo in orders) / 3600.0
                                 + sum(t_end - wo.wait_since for wo in orders
                                       if wo.state == PARTS and wo.wait_since == wo.wait_since) / 3600.0)
    kpis["stockouts"] = float(sum(1 for e in est.parts_log if e["event"] == "stockout"))

    # staff time, pay, utilisation, overtime
    staff_time, by_role, staff_columns = _staff_time(p, est, roster, table, calendar, t0, t_end)
    unserved = defaultdict(float)
    skill_role = {}
    for g in p.groups:
        for s in g.skills:
            skill_role.setdefault(s, g.role)
    for job in list(orders) + list(calls) + list(round_jobs):
        if job.state in (WAITING, PARTS):
            unserved[skill_role.get(job.skill, "")] += job.remaining_s
    for role in DISPATCH_ROLES:
        busy, avail, ot = by_role.get(role, (0.0, 0.0, 0.0))
        kpis[f"utilisation_{role}"] = busy / avail if avail > 0 else NAN
        kpis[f"offered_load_{role}"] = (busy + unserved[role]) / avail if avail > 0 else (
            math.inf if unserved[role] > 0 else NAN)
        kpis[f"overtime_h_{role}"] = ot / 3600.0

    # maintenance and reliability
    pm_orders = [wo for wo in orders if wo.source == "pm" and wo.pm_due_s >= counted_from]
    judged = [wo for wo in pm_orders if wo.completed_s == wo.completed_s or wo.pm_due_s + wo.pm_window_s <= t_end]
    kpis["pm_compliance"] = _mean([1.0 if wo.completed_s == wo.completed_s and
                                   wo.completed_s <= wo.pm_due_s + wo.pm_window_s else 0.0 for wo in judged])
    reliability, mtbf_h, mttr_h = _reliability(est, orders, t0, t_end, counted_from)
    kpis["mtbf_h"] = mtbf_h
    kpis["mttr_h"] = mttr_h

    # rounds and desk
    patrols, cleaning = round_records(round_jobs, t_end)
    kpis["patrols_on_time"] = _mean([r["on_time"] for r in patrols if r["scheduled_s"] >= counted_from])
    kpis["checkpoints_missed"] = float(sum(r["missed"] for r in patrols if r["scheduled_s"] >= counted_from))
    kpis["cleaning_done"] = _mean([r["done"] for r in cleaning if r["scheduled_s"] >= counted_from])
    service_calls = call_records(calls)
    counted_calls = [c for c in service_calls if c["arrived_s"] >= counted_from and c["wait_s"] == c["wait_s"]]
    answered = [c for c in counted_calls if not c["abandoned"]]
    kpis["desk_answer_s"] = _mean([c["wait_s"] for c in answered])
    kpis["desk_answered_in_time"] = (sum(1 for c in answered if c["wait_s"] <= p.desk.answer_within_s)
                                     / len(counted_calls)) if counted_calls else NAN
    kpis["desk_abandoned"] = (sum(1 for c in counted_calls if c["abandoned"]) / len(counted_calls)
                              if counted_calls else NAN)

    # roster coverage of the fixed posts
    gaps = coverage_gaps(roster, p.posts, patterns, t_end, shifts=table) if p.posts else []
    kpis["coverage_gap_h"] = float(sum(g.end_s - max(g.start_s, t0) for g in gaps if g.end_s > t0) / 3600.0)

    records = {
        "work_orders": work_orders,
        "staff_time": staff_time,
        "equipment_events": est.equipment_events,
        "patrols": patrols,
        "cleaning": cleaning,
        "service_calls": service_calls,
        "backlog": backlog,
        "parts": est.parts_log,
        "reliability": reliability,
        "staff_timeline": _timeline(est, table, t0),
        "coverage_gaps": [{"post": g.post, "start_s": g.start_s, "end_s": g.end_s, "missing": g.missing}
                          for g in gaps],
        "posts": post_head_counts(p, patterns, gaps, t0),
        "sla_by_hour": _sla_by_hour(closed),
    }
    if building is not None:
        lines, budget_kpis = budget(p, building, records, horizon_s, calendar, staff_columns=staff_columns)
    else:  # a run without a building (the repair desk's reduction) has no fees or areas to budget
        lines, budget_kpis = [], {k.name: NAN for k in BUDGET_KPIS}
    kpis.update(budget_kpis)
    records["budget_lines"] = lines
    by_month: dict[int, float] = defaultdict(float)
    for line in lines:
        if line["month"] and line["category"] != "income":
            by_month[int(line["month"])] += float(line["amount_cny"])
    records["cost_by_month"] = [{"month": m, "cost_cny": by_month[m]} for m in sorted(by_month)]
    where = {}
    if kpis.get("emergency_within_sla") == kpis.get("emergency_within_sla"):
        late = [wo for wo in closed if wo.priority == "emergency" and wo.arrived_s - wo.reported_s > wo.sla_min * 60]
        if late:
            worst = max(late, key=lambda wo: wo.arrived_s - wo.reported_s)
            where["emergency_within_sla"] = f"order {worst.order} at {worst.location or worst.equipment or '—'}"
    return ReplicationResult(kpis=kpis, records=records, where=where)


def post_head_counts(p: OperationsParams, patterns, gaps=(), t0: float = 0.0) -> list[dict]:
    """One row per fixed post: the head count its manning needs with relief (models.staff.
    required_head_count: contract hours, leave, holidays, training, sickness), the persons of its
    role on the roster (shared by every post of the role), and the hours it was left uncovered."""
    rows = []
    rostered: dict[str, int] = defaultdict(int)
    for g in p.groups:
        rostered[g.role] += g.count
    uncovered: dict[str, float] = defaultdict(float)
    for gap in gaps:
        if gap.end_s > t0:
            uncovered[gap.post] += (gap.end_s - max(gap.start_s, t0)) / 3600.0
    for post in p.posts:
        hc = required_head_count(post, patterns[post.pattern], holidays=list(p.holidays))
        rows.append({"post": post.id, "role": post.role, "pattern": post.pattern, "persons_on_post": post.persons,
                     "hours_needed_h": hc.hours_needed_h, "relief_factor": hc.relief_factor,
                     "required_head_count": hc.head_count, "required_whole": hc.head_count_whole,
                     "rostered_of_role": rostered[post.role], "uncovered_h": uncovered[post.id]})
    return rows


def _parts_intervals(orders: Sequence[WorkOrder], t_end: float) -> list[tuple[float, float]]:
    out = []
    for wo in orders:
        if wo.state == PARTS and wo.wait_since == wo.wait_since:
            out.append((wo.wait_since, t_end))
        elif wo.parts_wait_s > 0 and wo.completed_s == wo.completed_s:
            # the wait ended when the part came, before the second dispatch
            end = wo.completed_s - wo.repair_s
            out.append((end - wo.parts_wait_s, end))
    return out


def _staff_time(p: OperationsParams, est: Estate, roster: Roster, table, calendar, t0: float, t_end: float):
    """``staff_time`` rows (shifts starting in [t0, t_end)) and (busy, available, overtime) seconds per role.

    The pay is :func:`models.staff.pay_table` (the array form of :func:`models.staff.pay`, the same
    figures shift by shift); the element-wise arithmetic mirrors the scalar form exactly (``np.where``
    for ``max``/``min``), and the per-role sums run in shift order, so the figures are the same to the bit."""
    persons = roster.persons
    start, end, absent = table.start_s, table.end_s, table.absent
    work = np.array(est.sh_work, dtype=float)
    trav = np.array(est.sh_travel, dtype=float)
    brk = np.array(est.sh_break, dtype=float)
    ot = np.array(est.sh_ot, dtype=float)
    hi = np.where(t_end < end, t_end, end)            # min(end, t_end)
    lo = np.where(t0 > start, t0, start)               # max(start, t0)
    on = hi - lo
    on = np.where(on > 0.0, on, 0.0)                   # max(0.0, ·)
    roles = [x.role for x in persons]
    # per role, over the shifts worked, in shift order (np.bincount adds its weights in order, from 0.0:
    # the same sums as shift by shift)
    role_codes: dict[str, int] = {}
    role_of = np.array([role_codes.setdefault(r, len(role_codes)) for r in roles], dtype=np.int64)
    worked = ~np.asarray(absent, dtype=bool)
    rc = role_of[np.asarray(table.person, dtype=np.int64)][worked]
    n_roles = len(role_codes)
    sums = [np.bincount(rc, weights=x[worked], minlength=n_roles).tolist()
            for x in (work + trav, on - brk + ot, ot)]
    seen = np.bincount(rc, minlength=n_roles).tolist()
    by_role = {r: [sums[0][c], sums[1][c], sums[2][c]] for r, c in role_codes.items() if seen[c]}
    keep = (t0 <= start) & (start < t_end)
    if not keep.any():
        return [], {k: tuple(v) for k, v in by_role.items()}, None
    idle = on + ot - work - trav - brk
    idle = np.where(absent, 0.0, np.where(idle > 0.0, idle, 0.0))
    mine = table.select(keep)
    lines = pay_table(mine, ot[keep], roster, p.pay, calendar)
    ids = [x.id for x in persons]
    groups = [x.group for x in persons]
    wages = [x.wage_cny_per_h for x in persons]
    who = mine.person.tolist()
    start_l = mine.start_s.tolist()
    regular_h, overtime_h = lines["regular_h"].tolist(), lines["overtime_h"].tolist()
    regular_c, overtime_c, premium_c = (lines["regular_cny"].tolist(), lines["overtime_cny"].tolist(),
                                        lines["premium_cny"].tolist())
    rows = [{
        "person": ids[q], "group": groups[q], "role": roles[q], "shift": shift,
        "start_s": s0, "end_s": s1, "working_s": w, "travelling_s": tr,
        "idle_s": i, "break_s": b, "overtime_s": o,
        "night_h": nh, "rest_day": rd, "holiday": hd, "absent": a,
        "wage_cny_per_h": wages[q], "regular_h": rh, "overtime_h": oh,
        "regular_cny": rc, "overtime_cny": oc, "premium_cny": pc,
    } for q, shift, s0, s1, w, tr, i, b, o, nh, rd, hd, a, rh, oh, rc, oc, pc in zip(
        who, mine.shift.tolist(), start_l, mine.end_s.tolist(), work[keep].tolist(),
        trav[keep].tolist(), idle[keep].tolist(), brk[keep].tolist(), ot[keep].tolist(), lines["night_h"].tolist(),
        (mine.rest_day_h > 0).tolist(), (mine.holiday_h > 0).tolist(), mine.absent.tolist(),
        regular_h, overtime_h, regular_c, overtime_c, premium_c)]
    # the same table column by column, for the budget (which reads it at once rather than row by row)
    columns = {"start_s": start_l, "group": [groups[q] for q in who], "role": [roles[q] for q in who],
               "wage_cny_per_h": [wages[q] for q in who], "regular_h": regular_h, "overtime_h": overtime_h,
               "regular_cny": regular_c, "overtime_cny": overtime_c, "premium_cny": premium_c}
    return rows, {k: tuple(v) for k, v in by_role.items()}, columns


def _reliability(est: Estate, orders, t0: float, t_end: float, counted_from: float):
    """Per equipment kind: failures, operating hours, MTBF and MTTR; and the figures over every kind."""
    kinds: dict[str, dict] = {}
    for it in est.items:
        k = kinds.setdefault(it["kind"], {"items": 0, "failures": 0, "down_s": 0.0, "repairs": [], "pm": 0,
                                          "pm_ok": 0})
        k["items"] += 1
    for e in est.equipment_events:
        if e["event"] == "failure" and e["t_s"] >= counted_from:
            kinds[e["kind"]]["failures"] += 1
    item_kind = {it["id"]: it["kind"] for it in est.items}
    for wo in orders:
        kind = item_kind.get(wo.equipment)
        if kind is None:
            continue
        k = kinds[kind]
        if wo.source == "failure":
            end = wo.completed_s if wo.completed_s == wo.completed_s else t_end
            k["down_s"] += max(0.0, end - max(wo.reported_s, counted_from))
            if wo.completed_s == wo.completed_s and wo.reported_s >= counted_from:
                k["repairs"].append(wo.completed_s - wo.reported_s)
        elif wo.source == "pm" and wo.pm_due_s >= counted_from:
            k["pm"] += 1
            if wo.completed_s == wo.completed_s and wo.completed_s <= wo.pm_due_s + wo.pm_window_s:
                k["pm_ok"] += 1
    span = max(t_end - counted_from, 0.0)
    rows = []
    total_up = total_fail = 0.0
    all_repairs: list[float] = []
    for kind, k in sorted(kinds.items()):
        up_h = (k["items"] * span - k["down_s"]) / 3600.0
        rows.append({"kind": kind, "items": k["items"], "failures": k["failures"], "operating_h": up_h,
                     "mtbf_h": up_h / k["failures"] if k["failures"] else NAN,
                     "mttr_h": float(np.mean(k["repairs"])) / 3600.0 if k["repairs"] else NAN,
                     "pm_done": k["pm_ok"], "pm_due": k["pm"],
                     "pm_compliance": k["pm_ok"] / k["pm"] if k["pm"] else NAN})
        total_up += up_h
        total_fail += k["failures"]
        all_repairs += k["repairs"]
    mtbf = total_up / total_fail if total_fail else NAN
    mttr = float(np.mean(all_repairs)) / 3600.0 if all_repairs else NAN
    return rows, mtbf, mttr


def _timeline(est: Estate, table, t0: float) -> list[dict]:
    """The chosen week's staff timeline: each person's work, travel and breaks, and the idle time
    of their shifts in between (bars that do not overlap: a Gantt chart's rows)."""
    lo, hi = est.tl_from, est.tl_to
    busy: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in est.timeline:
        busy[r["person"]].append((r["start_s"], r["end_s"]))
    rows: list[dict] = []
    week = ~np.asarray(table.absent, dtype=bool) & (table.end_s > lo) & (table.start_s < hi)
    for q, s0, s1 in zip(table.person[week].tolist(), table.start_s[week].tolist(), table.end_s[week].tolist()):
        who = est.person_ids[q]
        t = max(s0, t0, lo)
        end = min(s1, hi)
        for a, b in sorted(busy.get(who, ())):
            if b <= t or a >= end:
                continue
            if a > t:
                rows.append({"person": who, "role": est.roles[q], "activity": "idle", "start_s": t, "end_s": a,
                             "hours": (a - t) / 3600.0})
            t = max(t, b)
        if end > t:
            rows.append({"person": who, "role": est.roles[q], "activity": "idle", "start_s": t, "end_s": end,
                         "hours": (end - t) / 3600.0})
    rows.extend(est.timeline)
    rows.sort(key=lambda r: (r["person"], r["start_s"]))
    return rows


def _sla_by_hour(closed: Sequence[WorkOrder]) -> list[dict]:
    """Promise kept by hour of the day the order was reported (both priorities, and each)."""
    kept = np.zeros((3, 24))
    count = np.zeros((3, 24))
    if closed:  # counts of orders, added at once (whole numbers: the same in any order)
        reported = np.array([wo.reported_s for wo in closed], dtype=float)
        arrived = np.array([wo.arrived_s for wo in closed], dtype=float)
        sla_s = np.array([wo.sla_min for wo in closed], dtype=float) * 60.0
        hour = ((reported % DAY_S) // 3600).astype(np.int64)
        ok = np.where(arrived - reported <= sla_s, 1.0, 0.0)
        row = np.array([1 if wo.priority == "emergency" else 2 for wo in closed], dtype=np.int64)
        for r, mine in ((0, slice(None)), (1, row == 1), (2, row == 2)):
            kept[r] = np.bincount(hour[mine], weights=ok[mine], minlength=24)
            count[r] = np.bincount(hour[mine], minlength=24)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(count > 0, kept / np.maximum(count, 1), NAN)
    return [{"hour": h, "orders": int(count[0, h]), "within_sla": float(share[0, h]),
             "emergency_within_sla": float(share[1, h]), "ordinary_within_sla": float(share[2, h])}
            for h in range(24)]


# --- checks, cost, advice, review, live ----------------------------------------------------------

def check(params: OperationsParams, building, graph) -> list[tuple[tuple, str]]:
    """Problems of the parameters against the building, before any run (each with its place). The
    default failure models, PM schedules and request streams fit any building (kinds or spaces it
    lacks simply have none); given in a scenario, each must match the building."""
    problems: list[tuple[tuple, str]] = []
    spaces = building.space_by_id
    kinds_present = {s.kind for s in building.spaces}
    floors = building.floor_by_id
    items = equipment_items(building)
    equipment_kinds = {k for _, k, _ in items}
    item_ids = {i for i, _, _ in items}

    def space_ok(where: tuple, value: str | None, what: str) -> None:
        if value is not None and value not in spaces:
            problems.append((where, f"unknown space {value!r} ({what}); the building has no such space"))

    for i, g in enumerate(params.groups):
        space_ok(("groups", i, "base"), g.base, f"base of staff group {g.id}")
    for i, post in enumerate(params.posts):
        space_ok(("posts", i, "location"), post.location, f"location of post {post.id}")
    for i, r in enumerate(params.patrols):
        for j, s in enumerate(r.route):
            space_ok(("patrols", i, "route", j), s, f"checkpoint of patrol {r.id}")
        for j, k in enumerate(r.route_kinds):
            if k not in kinds_present:
                problems.append((("patrols", i, "route_kinds", j),
                                 f"no space of kind {k!r} in the building (patrol {r.id})"))
    for i, c in enumerate(params.cleaning):
        for j, s in enumerate(c.spaces):
            space_ok(("cleaning", i, "spaces", j), s, f"space of cleaning zone {c.zone}")
        for j, k in enumerate(c.space_kinds):
            if k not in kinds_present:
                problems.append((("cleaning", i, "space_kinds", j),
                                 f"no space of kind {k!r} in the building (cleaning zone {c.zone})"))
        for j, f in enumerate(c.floors):
            if f not in floors:
                problems.append((("cleaning", i, "floors", j), f"unknown floor {f!r} (cleaning zone {c.zone})"))
    given = params.model_fields_set  # the defaults fit any building: their kinds it lacks are skipped
    for name, entries in (("failures", params.failures), ("pm", params.pm)):
        if name not in given:
            continue
        for i, e in enumerate(entries):
            if e.kind not in equipment_kinds:
                problems.append(((name, i, "kind"),
                                 f"the building has no equipment of kind {e.kind!r}; its kinds: "
                                 f"{', '.join(sorted(equipment_kinds)) or 'none'}"))
    for i, eid in enumerate(params.out_of_service):
        if eid not in item_ids:
            problems.append((("out_of_service", i), f"unknown equipment {eid!r}"))
    for i, o in enumerate(params.open_orders):
        space_ok(("open_orders", i, "location"), o.location, "location of an open order")
        if o.equipment and o.equipment not in item_ids:
            problems.append((("open_orders", i, "equipment"), f"unknown equipment {o.equipment!r}"))
    rates = stream_rates_per_s(params, building)
    for i, (s, rate) in enumerate(zip(params.requests, rates)):
        if "requests" in given and s.where in ("apartment", "common") and (s.per_apartment_month or s.per_1000m2_month) \
                and not _where_pool(building, s.where):
            problems.append((("requests", i, "where"), f"requests at {s.where!r} spaces, but the building has none"))
    if params.travel.enabled and graph is not None:
        table = travel_table(building, graph, walk_mps=params.travel.walk_mps, stair_mps=params.travel.stair_mps,
                             use_lifts=params.travel.use_lifts, lift_wait_s=params.travel.lift_wait_s)
        home = home_space(building)
        for i, g in enumerate(params.groups):
            base = g.base or home
            if base in spaces and table.node(base) >= 0:
                row = table.row(table.node(base))
                if not np.isfinite(row[: len(table.index)]).any():
                    problems.append((("groups", i, "base"), f"base {base!r} of {g.id} is cut off from the building"))
        for i, r in enumerate(params.patrols):
            route = [s for s in r.route if s in spaces]
            for a, b in zip(route, route[1:]):
                if not math.isfinite(table.time(table.node(a), table.node(b))):
                    problems.append((("patrols", i, "route"), f"no way from {a!r} to {b!r} (patrol {r.id})"))
    return problems


def _shifts_per_day(params: OperationsParams) -> float:
    patterns = {**BUILTIN_PATTERNS, **params.patterns}
    total = 0.0
    for g in params.groups:
        pat = patterns.get(g.pattern)
        if pat is None:
            continue
        total += g.count * sum(len(day) for day in pat.cycle) / len(pat.cycle)
    return total


def cost(params: OperationsParams, horizon_s: float, building=None) -> ReplicationCost:
    """Events and record rows of one replication, from the rates and the roster (within a factor of two)."""
    days = horizon_s / DAY_S
    requests = sum(stream_rates_per_s(params, building)) * horizon_s if building is not None else \
        sum(s.per_h for s in params.requests) * horizon_s / 3600.0 + 928 * days / DAYS_PER_MONTH * \
        sum(s.per_apartment_month for s in params.requests)
    calls = desk_rate_per_s(params, building) * horizon_s if building is not None else \
        (params.desk.calls_per_h / 3600.0 * horizon_s + params.desk.calls_per_apartment_month * 928 * days /
         DAYS_PER_MONTH)
    shifts = _shifts_per_day(params) * days
    rounds = days * (sum(len(r.times_h) for r in params.patrols)
                     + sum(len(c.times_h) / c.every_days for c in params.cleaning))
    n_items = len(equipment_items(building)) if building is not None else 150
    maint = n_items * days / 15.0
    events = 8.0 * requests + 4.0 * calls + 4.0 * shifts + 4.0 * rounds + 6.0 * maint + 100.0
    rows = 2.0 * requests + calls + shifts + rounds + maint + days * 24 + 500
    return ReplicationCost(events=events, record_rows=rows)


def advise(params: OperationsParams, horizon_s: float, building=None) -> list[Text]:
    """Warnings about parameters that are valid but make the run say little or less than it seems."""
    notes: list[Text] = []
    if params.warmup_s >= horizon_s:
        notes.append(text(f"the warm-up ({params.warmup_s:g} s) is not shorter than the horizon ({horizon_s:g} s): "
                          "no order is counted", f"预热时间（{params.warmup_s:g} 秒）不短于模拟时长（{horizon_s:g} 秒）："
                          "没有工单计入统计"))
    if building is not None and not any(s.kind == "apartment" for s in building.spaces):
        per_apartment = [s.category for s in params.requests if s.per_apartment_month > 0]
        if per_apartment or params.desk.calls_per_apartment_month > 0:
            notes.append(text("the building has no apartments: requests and calls given per apartment do not arise "
                              "(give them per 1,000 m² or per hour)",
                              "建筑中没有住户：按户计的报修和来电不会发生（请按每千平方米或每小时给出）"))
    staffed = {s for g in params.groups if g.role != "supervisor" and g.count > 0 for s in g.skills}
    c = params.contractor
    covered = staffed | (set(c.skills) if c.enabled else set())
    needed = {s.skill for s in params.requests} | {f.skill for f in params.failures} | \
        {m.skill for m in params.pm if not m.by_contractor}
    needed |= {r.skill for r in params.patrols} | {r.skill for r in params.cleaning}
    if params.desk.calls_per_apartment_month or params.desk.calls_per_h:
        needed.add(params.desk.skill)
    for skill in sorted(needed - covered):
        notes.append(text(f"no staff has the skill {skill!r} and no contractor covers it: its jobs wait forever",
                          f"没有员工具备技能 “{skill}”，也没有外包单位覆盖：相关工作将一直等待"))
    if params.posts:
        patterns = {**BUILTIN_PATTERNS, **params.patterns}
        try:
            calendar = Calendar(params.start_date, params.holidays)
            roster = Roster(params.groups, patterns, calendar, pay_rules=params.pay)
            gaps = coverage_gaps(roster, params.posts, patterns, params.start_s + horizon_s)
        except ValueError:
            gaps = []
        hours: dict[str, float] = defaultdict(float)
        for g in gaps:
            hours[g.post] += (g.end_s - g.start_s) / 3600.0
        need: dict[str, int] = defaultdict(int)
        have: dict[str, int] = defaultdict(int)
        for row in post_head_counts(params, patterns):
            need[row["role"]] += row["required_whole"]
            have[row["role"]] = row["rostered_of_role"]
        for role in sorted(need):
            if have[role] < need[role]:
                notes.append(text(
                    f"the fixed posts of the {role} role need {need[role]} persons on the roster with relief (leave, "
                    f"holidays, training, sickness); the staff groups have {have[role]}",
                    f"{role} 岗位的固定岗按轮休（年假、节假日、培训、病假）需要在册 {need[role]} 人；员工组只有 {have[role]} 人"))
        for post, h in sorted(hours.items()):
            notes.append(text(f"roster coverage gap: post {post} is short of staff for {h:.1f} h of the run (before "
                              "absences) — the roster does not man it around the clock",
                              f"排班缺口：岗位 {post} 在模拟期间有 {h:.1f} 小时人手不足（未计缺勤）——排班无法保证全天值守"))
    return notes


OVERLOAD_ROLES = {"technician": text("technicians", "维修技术人员"), "guard": text("guards", "保安"),
                  "cleaner": text("cleaners", "保洁员"), "agent": text("service-desk agents", "客服人员")}


def review(results: Sequence[ReplicationResult]) -> dict[str, Text]:
    """``overloaded`` when the work offered to a role reaches what its persons on shift can do (ρ ≥ 1)."""
    worst: dict[str, float] = {}
    for r in results:
        for role in OVERLOAD_ROLES:
            v = r.kpis.get(f"offered_load_{role}")
            if v is not None and v == v and v >= 1.0:
                worst[role] = max(worst.get(role, 0.0), v)
    if not worst:
        return {}
    en = ", ".join(f"{OVERLOAD_ROLES[k]['en']} ρ = {v:.2f}" for k, v in worst.items())
    zh = "，".join(f"{OVERLOAD_ROLES[k]['zh-CN']} ρ = {v:.2f}" for k, v in worst.items())
    return {"overloaded": text(
        f"overloaded: the work offered is at or above what the staff on shift can do ({en}); the backlog grows for "
        "as long as the run lasts — add staff, change the shifts or call out contractors",
        f"超负荷：所需工作量达到或超过当班员工的处理能力（{zh}）；积压工单在整个模拟期间持续增长——请增加人员、调整班次或外包")}


def from_live(params: OperationsParams, cond: LiveConditions, building) -> tuple[OperationsParams, list[Text]]:
    """The estate from the live twin: each device with an open alarm is an open order at it
    (critical or major: emergency; reported when the alarm was first raised, so the promise's clock
    has been running), each device out of service is an item out of service at the start (a failure
    order when its kind has a failure model, an ordinary order otherwise), and the run starts at the
    building's local date and time, so the shift on duty is the one on duty now."""
    items = {i: (k, loc) for i, k, loc in equipment_items(building)}
    fmodels = {f.kind: f for f in params.failures}
    levels: dict[str, str] = {}
    raised: dict[str, float] = {}
    taken_ms = cond.taken_at.timestamp() * 1000.0 if cond.taken_at is not None else None
    for alarm in cond.open_alarms:
        rule = str(getattr(alarm, "rule", "") or (alarm.get("rule") if isinstance(alarm, dict) else "") or "")
        if rule.startswith("event:fire"):
            continue
        get = (lambda k: alarm.get(k)) if isinstance(alarm, dict) else (lambda k: getattr(alarm, k, None))
        sev = get("severity") or "warning"
        device = get("device") or "?"
        level = "emergency" if sev in ("critical", "major") else "ordinary"
        if levels.get(device) != "emergency":
            levels[device] = level
        first = get("first_raised_ms") or get("raised_ms")
        if first is not None and taken_ms is not None:
            raised[device] = max(raised.get(device, 0.0), min((taken_ms - float(first)) / 1000.0, 30 * DAY_S))
    out = set(cond.out_of_service)
    data = params.model_dump()
    open_orders = list(data.get("open_orders", []))
    oos = list(data.get("out_of_service", []))
    n_e = n_o = 0
    for device, level in sorted(levels.items()):
        kind, loc = items.get(device, (None, None))
        f = fmodels.get(kind) if kind else None
        if device in items and device in out and kind in fmodels:
            continue  # out of service: a failure order at the start (below)
        open_orders.append({"equipment": device if device in items else "", "priority": level,
                            "category": "lifts" if kind == LIFT_CAR_KIND else "equipment",
                            "skill": f.skill if f else "general",
                            "repair_mean_min": f.repair_mean_min if f else 60.0,
                            "location": None if device in items else home_space(building),
                            "age_s": max(0.0, raised.get(device, 0.0))})
        n_e += level == "emergency"
        n_o += level == "ordinary"
    oos_added = [d for d in sorted(out) if d in items and items[d][0] in fmodels and d not in oos]
    oos += oos_added
    pm_skill = {m.kind: m.skill for m in params.pm}
    for device in sorted(out):  # out of service, no failure model and no alarm: an ordinary order at it
        if device in items and items[device][0] not in fmodels and device not in levels:
            open_orders.append({"equipment": device, "priority": "ordinary",
                                "category": "lifts" if items[device][0] == LIFT_CAR_KIND else "equipment",
                                "skill": pm_skill.get(items[device][0], "general"), "repair_mean_min": 60.0})
            n_o += 1
    data["open_orders"] = open_orders
    data["out_of_service"] = oos
    notes = [text(f"{n_e} emergency and {n_o} ordinary work orders open from the twin's alarms",
                  f"根据孪生告警已有 {n_e} 张紧急工单和 {n_o} 张一般工单")]
    if oos_added:
        listed = ", ".join(oos_added[:10]) + ("…" if len(oos_added) > 10 else "")
        notes.append(text(f"{len(oos_added)} items out of service at the start, each an open failure: {listed}",
                          f"{len(oos_added)} 台设备开始时停用，各为一张未完成的故障工单：{listed}"))
    local = local_start(cond, building)
    if local is not None:
        data["start_date"] = local.date()
        data["start_s"] = float(local.hour * 3600 + local.minute * 60 + local.second)
        notes.append(text(f"starts at the building's local time {local:%Y-%m-%d %H:%M} (the shift on duty now)",
                          f"从建筑当地时间 {local:%Y-%m-%d %H:%M} 开始（当前当班班次）"))
    if "warmup_s" not in params.model_fields_set and params.warmup_s:
        data["warmup_s"] = 0.0
    return OperationsParams.model_validate(data), notes


__all__ += ["MAX_HORIZON_S", "stream_rates_per_s", "desk_rate_per_s"]
