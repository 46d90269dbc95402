"""Dispatch: persons on shift taking jobs, and the work-order life cycle.

Every member of staff (:class:`models.staff.Person`) is, at each moment, off shift, idle, busy
with a job or on a break. A job — a work order, a patrol or cleaning round, a service-desk call —
needs one skill. When a job arrives, the nearest idle person on shift with the skill takes it
(nearest by travel time over the floor graph, :mod:`models.travel`); when nobody is
free it waits in its skill's queue, ordered by priority class (emergency repairs, then calls,
ordinary repairs, rounds, planned work: PM and return visits) and, within a class, by the time it
was reported — non-preemptive priority, as the work plans run a repair desk. A person who becomes
free takes the first waiting job of any of their skills. Supervisors take no jobs: they escalate.

A **work order** goes reported → dispatched (a person or the contractor takes it) → travelling →
on site (the promise is judged here: ``arrived_s − reported_s`` within 30 min for an emergency,
2 h for an ordinary repair) → in repair, where a spare part may be needed: taken from stock when
there is one (reordered at the reorder point, delivered after the lead time), otherwise the order
waits for the delivery, visibly (``parts_wait_s``, the ``parts`` and ``backlog`` records), the
person leaves and the order is dispatched again when the part comes → done → return visit (a
follow-up order, by phone or on site, a day later).

* **Emergency first; optional preemption**: with ``preemption`` on, an emergency that finds no
  skilled person free takes one off an ordinary or planned job (the most recently started of the
  lowest class); that job goes back to its queue with its remaining repair time.
* **Overtime**: a person whose shift ends during a job finishes it; the time after the shift's end
  is overtime (of the shift and of the order), paid by :func:`models.staff.pay`. A shift that runs
  straight into the same person's next shift (a 24 h roster) is one working period, not overtime.
* **Breaks** are taken at the roster's break time, or as soon as the job in hand is done.
* **Contractor call-out**: for a skill only the contractor does; when the backlog of the skill
  reaches the threshold; or when no skilled person could be on site within the promise — estimated
  from when the skilled persons on shift will be free and how many orders wait ahead. The
  contractor arrives after a lognormal response time whose mean depends on the hour, charges a
  call-out fee and labour per hour on site, and brings the parts.
* **Escalation**: an order not yet on site when a share of its promise has passed is escalated by
  the supervisor on call: it moves to the head of the queue, and a contractor is called when no
  skilled person could still keep the promise.

Equipment items fail after Weibull lives (:func:`models.operations.demand.weibull_residual`); a
failure is an order at the item (out of service until it is repaired). Preventive maintenance is
due every interval (``calendar``) or when an item reaches the replacement age since its last
renewal (``age``); the repair of a failure and a PM both renew the item. Everything runs on the
replication's SimPy environment as scheduled callbacks (:class:`Callback` events, each carrying
the function it calls), not one process per job: a year of a 928-apartment tower is some sixty
thousand events.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Sequence

import numpy as np
from simpy.events import NORMAL

from models.operations.demand import lognormal_params, weibull_residual

__all__ = ["Estate", "Callback", "Job", "WorkOrder", "OFF", "IDLE", "BUSY", "BREAK", "P_EMERGENCY", "P_CALL",
           "P_ORDINARY", "P_ROUND", "P_PLANNED"]

NAN = math.nan
OFF, IDLE, BUSY, BREAK = 0, 1, 2, 3
A_NONE, A_TRAVEL, A_WORK = 0, 1, 2
WAITING, ASSIGNED, DONE, CANCELLED, PARTS, CONTRACTOR = range(6)
P_EMERGENCY, P_CALL, P_ORDINARY, P_ROUND, P_PLANNED = 0, 1, 2, 3, 4
PRIORITY_CLASS = {"emergency": P_EMERGENCY, "ordinary": P_ORDINARY, "planned": P_PLANNED}
DAY_S = 86_400.0
INF = math.inf


class Callback:
    """A SimPy event that calls ``fn(*args)`` when the environment processes it: one scheduled
    callback. It is scheduled (``env.schedule``) and processed (``env.step``) like a Timeout, but
    carries its function itself: no closure and no callback list of its own per event (they all
    share one), which is most of what a Timeout with a lambda in its callbacks costs."""

    __slots__ = ("callbacks", "fn", "args")
    _ok = True  # triggered successfully, as a Timeout is (what ``env.step`` checks after the callbacks)

    def __init__(self, fn: Callable, args: tuple):
        self.callbacks = _CALL
        self.fn = fn
        self.args = args


def _call(ev: Callback) -> None:
    ev.fn(*ev.args)


_CALL = [_call]  # shared and never changed: env.step sets an event's callbacks to None, not the list


class _Guarded:
    """Like :class:`Callback`, but does nothing when person ``p`` has moved on since it was scheduled
    (the estate's ``gen[p]`` is no longer ``g``: preempted, on a break, off shift). Made by
    :meth:`Estate._after` — filled in there, without an ``__init__`` call: some forty thousand a year."""

    __slots__ = ("callbacks", "fn", "args", "p", "g")
    _ok = True


class Job:
    """Something one person with ``skill`` does at ``loc`` (a travel-table node, -1: no travel)."""

    __slots__ = ("skill", "prio", "key_t", "seq", "loc", "state", "version", "remaining_s", "queued")
    is_order = False

    def __init__(self, skill: str, prio: int, key_t: float, loc: int, remaining_s: float):
        self.skill = skill
        self.prio = prio
        self.key_t = key_t
        self.seq = 0
        self.loc = loc
        self.state = WAITING
        self.version = 0
        self.remaining_s = remaining_s
        self.queued = False

    def on_assign(self, est: "Estate", p: int) -> None:
        """Person ``p`` takes the job (before travelling to it)."""

    def on_queued(self, est: "Estate") -> None:
        """The job found nobody free and waits."""

    def expired(self, est: "Estate") -> bool:
        """Whether the job, taken from its queue, is no longer worth doing (a round past its time)."""
        return False

    def on_site(self, est: "Estate", p: int) -> None:
        raise NotImplementedError


class WorkOrder(Job):
    """A work order and its life cycle (the ``work_orders`` record)."""

    __slots__ = ("order", "source", "category", "priority", "location", "equipment", "item", "reported_s",
                 "dispatched_s", "arrived_s", "parts_wait_s", "started_s", "completed_s", "travel_s", "repair_s",
                 "assignee", "contractor", "callout_fee_cny", "contractor_labour_cny", "parts_cost_cny",
                 "overtime_s", "sla_min", "escalated", "preempted", "part", "part_taken", "wait_since",
                 "pm_due_s", "pm_window_s", "pm_cost_cny", "role")
    is_order = True

    def __init__(self, order: int, source: str, category: str, priority: str, skill: str, location: str, loc: int,
                 reported_s: float, repair_s: float, *, equipment: str = "", item: int = -1, part: str | None = None,
                 sla_min: float = NAN):
        # Job.__init__, inline (a year has thousands of orders)
        self.skill = skill
        self.prio = PRIORITY_CLASS[priority]
        self.key_t = reported_s
        self.seq = 0
        self.loc = loc
        self.state = WAITING
        self.version = 0
        self.remaining_s = repair_s
        self.queued = False
        self.order = order
        self.source = source
        self.category = category
        self.priority = priority
        self.location = location
        self.equipment = equipment
        self.item = item
        self.reported_s = reported_s
        self.dispatched_s = self.arrived_s = self.started_s = self.completed_s = NAN
        self.parts_wait_s = 0.0
        self.travel_s = 0.0
        self.repair_s = repair_s
        self.assignee = ""
        self.role = ""
        self.contractor = False
        self.callout_fee_cny = self.contractor_labour_cny = self.parts_cost_cny = 0.0
        self.overtime_s = 0.0
        self.sla_min = sla_min
        self.escalated = self.preempted = False
        self.part = part
        self.part_taken = part is None
        self.wait_since = NAN
        self.pm_due_s = NAN
        self.pm_window_s = NAN
        self.pm_cost_cny = 0.0

    def on_assign(self, est: "Estate", p: int) -> None:
        if self.dispatched_s != self.dispatched_s:
            self.dispatched_s = est.env.now
        self.assignee = est.person_ids[p]
        self.role = est.roles[p]

    def on_site(self, est: "Estate", p: int) -> None:
        now = est.env.now
        if self.arrived_s != self.arrived_s:
            self.arrived_s = now
        if not self.part_taken:
            if est.take_part(self.part):
                self.part_taken = True
                self.parts_cost_cny += est.part_cost[self.part]
            else:  # stockout: the order waits for the delivery, the person goes on to other work
                self.state = PARTS
                self.wait_since = now
                est.parts_waiting[self.part].append(self)
                est.release(p)
                return
        if self.started_s != self.started_s:
            self.started_s = now
        est.work(p, self.remaining_s, self._done)

    def _done(self, est: "Estate", p: int) -> None:
        self.remaining_s = 0.0
        self.completed_s = est.env.now
        self.state = DONE
        est.order_done(self)
        est.release(p)

    def record(self, sla_s: dict[str, float]) -> dict:
        arrived = self.arrived_s
        within = NAN
        if self.priority != "planned" and arrived == arrived:
            within = 1.0 if arrived - self.reported_s <= self.sla_min * 60.0 else 0.0
        return {
            "order": self.order, "source": self.source, "category": self.category, "priority": self.priority,
            "location": self.location, "equipment": self.equipment, "skill": self.skill,
            "reported_s": self.reported_s, "dispatched_s": self.dispatched_s, "arrived_s": arrived,
            "parts_wait_s": self.parts_wait_s, "started_s": self.started_s, "completed_s": self.completed_s,
            "travel_s": self.travel_s, "repair_s": self.repair_s, "assignee": self.assignee,
            "contractor": self.contractor, "callout_fee_cny": self.callout_fee_cny,
            "contractor_labour_cny": self.contractor_labour_cny, "parts_cost_cny": self.parts_cost_cny,
            "overtime_s": self.overtime_s, "sla_min": self.sla_min, "within_sla": within,
            "escalated": self.escalated, "preempted": self.preempted,
        }


class Estate:
    """The estate's staff, queues, stock and equipment on one SimPy environment."""

    def __init__(self, env, rng: np.random.Generator, params, *, persons: Sequence, table, base_nodes: Sequence[int],
                 travel, t0_s: float, t_end_s: float, part_specs: Sequence, timeline: tuple[float, float]):
        self.env = env
        self._schedule = env.schedule
        self.rng = rng
        self.p = params
        self.travel = travel
        self.t0 = t0_s
        self.t_end = t_end_s
        n = len(persons)
        self.person_ids = [x.id for x in persons]
        self.groups = [x.group for x in persons]
        self.roles = [x.role for x in persons]
        self.wages = [x.wage_cny_per_h for x in persons]
        dispatchable = [x.role != "supervisor" for x in persons]
        self.skills = [tuple(sorted(x.skills)) if d else () for x, d in zip(persons, dispatchable)]
        self.base = list(base_nodes)
        self.state = [OFF] * n
        gen = self.gen = [0] * n

        def guarded(ev: _Guarded) -> None:
            if gen[ev.p] == ev.g:
                ev.fn(*ev.args)

        self._guarded = [guarded]  # the callbacks of every _Guarded of this estate (shared, never changed)
        self.loc = list(base_nodes)
        self.job: list[Job | None] = [None] * n
        self.act = [A_NONE] * n
        self.act_t = [0.0] * n
        self.busy_until = [0.0] * n
        self.cur = [-1] * n
        self.ending = [False] * n
        self.break_due = [0.0] * n
        self.free: dict[str, set[int]] = {}
        self.queues: dict[str, list] = {}
        self.waiting: dict[str, int] = {}
        self.on_shift: dict[str, set[int]] = {}
        for s in {s for sk in self.skills for s in sk}:
            self.free[s] = set()
            self.on_shift[s] = set()
        self._seq = 0
        # shifts (a ShiftTable's columns as lists)
        self.sh_person = table.person.tolist()
        self.sh_start = table.start_s.tolist()
        self.sh_end = table.end_s.tolist()
        self.sh_bs = table.break_start_s.tolist()
        self.sh_be = table.break_end_s.tolist()
        self.sh_absent = table.absent.tolist()
        m = len(self.sh_person)
        self.sh_work = [0.0] * m
        self.sh_travel = [0.0] * m
        self.sh_break = [0.0] * m
        self.sh_ot = [0.0] * m
        self.next_shift = [-1] * m  # the same person's next shift that starts as this one ends (contiguous)
        last: dict[int, int] = {}
        for i in range(m):
            if self.sh_absent[i]:
                continue
            q = self.sh_person[i]
            j = last.get(q)
            if j is not None and self.sh_start[i] == self.sh_end[j]:
                self.next_shift[j] = i
            last[q] = i
        # work orders
        self.orders: list[WorkOrder] = []
        self.sla_s = {"emergency": params.sla.emergency_min * 60.0, "ordinary": params.sla.ordinary_min * 60.0}
        # parts
        self.stock = {s.id: s.stock for s in part_specs}
        self.part_spec = {s.id: s for s in part_specs}
        self.part_cost = {s.id: s.cost_cny for s in part_specs}
        self.on_order = {s.id: False for s in part_specs}
        self.parts_waiting: dict[str, deque] = {s.id: deque() for s in part_specs}
        self.parts_log: list[dict] = []
        # equipment (filled by add_equipment)
        self.items: list[dict] = []
        self.equipment_events: list[dict] = []
        # staff timeline of one week
        self.tl_from, self.tl_to = timeline
        self.timeline: list[dict] = []
        self.callouts = 0

    # -- scheduling ------------------------------------------------------------------------------

    def _after(self, p: int, delay: float, fn: Callable, args: tuple) -> None:
        """Call ``fn(*args)`` after ``delay`` unless person ``p`` has moved on (preempted, off shift)."""
        ev = _Guarded()
        ev.callbacks = self._guarded
        ev.fn = fn
        ev.args = args
        ev.p = p
        ev.g = self.gen[p]
        self._schedule(ev, NORMAL, delay)

    def at(self, t: float, fn: Callable, *args) -> None:
        """Call ``fn(*args)`` at time ``t`` (not before now)."""
        self._schedule(Callback(fn, args), NORMAL, max(0.0, t - self.env.now))

    # -- activities ------------------------------------------------------------------------------

    def _close(self, p: int) -> float:
        """End the person's current activity now, booking its time to their shift; returns its length."""
        a = self.act[p]
        if a == A_NONE:
            return 0.0
        now = self.env.now
        act_t = self.act_t
        start = act_t[p]
        dt = now - start
        si = self.cur[p]
        if si >= 0:
            if a == A_WORK:
                self.sh_work[si] += dt
            else:
                self.sh_travel[si] += dt
        if start < self.tl_to and now >= self.tl_from and dt > 0:
            self.timeline.append({"person": self.person_ids[p], "role": self.roles[p],
                                  "activity": "work" if a == A_WORK else "travel",
                                  "start_s": start, "end_s": now, "hours": dt / 3600.0})
        self.act[p] = A_NONE
        act_t[p] = now
        return dt

    def work(self, p: int, duration: float, done: Callable[["Estate", int], None]) -> None:
        """Person ``p`` works for ``duration`` then ``done(self, p)``."""
        now = self.env.now
        self.act[p] = A_WORK
        self.act_t[p] = now
        self.busy_until[p] = now + duration
        self._after(p, duration, done, (self, p))

    # -- queues and assignment -------------------------------------------------------------------

    def submit(self, job: Job) -> None:
        """A job arrives: the nearest free person with its skill takes it, or it waits."""
        self._seq += 1
        job.seq = self._seq
        job.state = WAITING
        cands = self.free.get(job.skill)
        if cands:
            if len(cands) == 1:
                for best in cands:
                    break
            elif self.travel is not None and job.loc >= 0:
                # the nearest (by travel time to the job), the lowest index among the equally near
                row = self.travel.row_list(job.loc)
                loc = self.loc
                best = -1
                best_t = 0.0
                for q in cands:
                    x = loc[q]
                    t = row[x] if x >= 0 else 0.0
                    if best < 0 or t < best_t or (t == best_t and q < best):
                        best, best_t = q, t
            else:
                best = min(cands)
            self.assign(best, job)
            return
        self.enqueue(job)
        if isinstance(job, WorkOrder):
            self._unserved(job)
        else:
            job.on_queued(self)

    def enqueue(self, job: Job) -> None:
        job.queued = True
        self.waiting[job.skill] = self.waiting.get(job.skill, 0) + 1
        heapq.heappush(self.queues.setdefault(job.skill, []), (job.prio, job.key_t, job.seq, job.version, job))

    def unqueue(self, job: Job) -> None:
        """Take a waiting job out of its queue (lazily: its heap entry becomes stale)."""
        if job.queued:
            job.queued = False
            job.version += 1
            self.waiting[job.skill] -= 1

    def assign(self, p: int, job: Job) -> None:
        free = self.free
        for s in self.skills[p]:
            free[s].discard(p)
        self.state[p] = BUSY
        self.job[p] = job
        if job.queued:
            job.queued = False
            self.waiting[job.skill] -= 1
        job.state = ASSIGNED
        job.on_assign(self, p)
        now = self.env.now
        tt = 0.0
        travel = self.travel
        if travel is not None:  # travel.time(a, b), inline: it is asked some thirty thousand times a year
            a, b = self.loc[p], job.loc
            if a >= 0 and b >= 0 and a != b:
                row = travel.rows.get(b)  # always b's row: see TravelTable.time
                tt = (row if row is not None else travel.row_list(b))[a]
        if 0.0 < tt < INF:
            self.act[p] = A_TRAVEL
            self.act_t[p] = now
            self.busy_until[p] = now + tt + job.remaining_s
            self._after(p, tt, self._arrive, (p, job))
        else:
            self.busy_until[p] = now + job.remaining_s
            self._arrive(p, job)

    def _arrive(self, p: int, job: Job) -> None:
        if self.act[p] != A_NONE:
            dt = self._close(p)
            if job.is_order:
                job.travel_s += dt
        if job.loc >= 0:
            self.loc[p] = job.loc
        job.on_site(self, p)

    def release(self, p: int) -> None:
        """Person ``p`` is done with their job: off (overtime ends), on break, or on to the next job."""
        self._close(p)
        job = self.job[p]
        self.job[p] = None
        now = self.env.now
        si = self.cur[p]
        if self.ending[p]:
            ot = now - self.sh_end[si]
            self.sh_ot[si] += ot
            if job is not None and job.is_order:
                job.overtime_s += ot
            self.ending[p] = False
            self._off(p)
            return
        if self.break_due[p] > 0:
            dur = min(self.break_due[p], max(0.0, self.sh_end[si] - now))
            self.break_due[p] = 0.0
            if dur > 0:
                self._start_break(p, dur)
                return
        self._idle(p)

    def _idle(self, p: int) -> None:
        self.state[p] = IDLE
        skills = self.skills[p]
        waiting = self.waiting
        for s in skills:
            if waiting.get(s):  # some job of the person's skills waits (else every queue holds stale entries only)
                job = self.pick(p)
                if job is not None:
                    self.assign(p, job)
                    return
                break
        free = self.free
        for s in skills:
            free[s].add(p)

    def pick(self, p: int) -> Job | None:
        """The first waiting job of any of ``p``'s skills (priority class, then time reported)."""
        while True:
            best = None
            best_q = None
            for s in self.skills[p]:
                q = self.queues.get(s)
                while q:
                    head = q[0]
                    job = head[4]
                    if job.state != WAITING or head[3] != job.version or not job.queued:
                        heapq.heappop(q)
                        continue
                    if best is None or head < best:
                        best, best_q = head, q
                    break
            if best is None:
                return None
            heapq.heappop(best_q)
            job = best[4]
            if job.expired(self):  # given up: out of the queue for good
                job.queued = False
                self.waiting[job.skill] -= 1
                continue
            return job

    # -- shifts and breaks -----------------------------------------------------------------------

    def shift_start(self, si: int) -> None:
        p = self.sh_person[si]
        if self.cur[p] == si or self.sh_absent[si]:
            return
        if self.state[p] != OFF:  # still at work from an earlier shift: the overtime ends here
            prev = self.cur[p]
            if self.ending[p] and prev >= 0:
                self.sh_ot[prev] += self.env.now - self.sh_end[prev]
                self.ending[p] = False
            self._close_and_reopen(p)
            self.cur[p] = si
            return
        self.cur[p] = si
        self.loc[p] = self.base[p]
        for s in self.skills[p]:
            self.on_shift[s].add(p)
        if self.skills[p]:
            self._idle(p)
        else:
            self.state[p] = IDLE

    def _close_and_reopen(self, p: int) -> None:
        a = self.act[p]
        if a != A_NONE:
            self._close(p)
            self.act[p] = a
            self.act_t[p] = self.env.now

    def shift_end(self, si: int) -> None:
        p = self.sh_person[si]
        if self.cur[p] != si:
            return
        nxt = self.next_shift[si]
        if nxt >= 0:  # straight into the next shift: one working period
            if self.state[p] == BREAK:
                self.sh_break[si] += self.env.now - self.act_t[p]
                self.act_t[p] = self.env.now
            else:
                self._close_and_reopen(p)
            self.cur[p] = nxt
            return
        st = self.state[p]
        if st == BUSY:
            self.ending[p] = True
            return
        if st == BREAK:
            self.sh_break[si] += self.env.now - self.act_t[p]
            self.gen[p] += 1
        self._off(p)

    def _off(self, p: int) -> None:
        for s in self.skills[p]:
            self.free[s].discard(p)
            self.on_shift[s].discard(p)
        self.state[p] = OFF
        self.break_due[p] = 0.0
        self.cur[p] = -1

    def shift_break(self, si: int) -> None:
        p = self.sh_person[si]
        if self.cur[p] != si:
            return
        dur = self.sh_be[si] - self.sh_bs[si]
        if dur <= 0:
            return
        if self.state[p] == IDLE:
            self._start_break(p, dur)
        elif self.state[p] == BUSY:
            self.break_due[p] = dur

    def _start_break(self, p: int, dur: float) -> None:
        for s in self.skills[p]:
            self.free[s].discard(p)
        self.state[p] = BREAK
        self.act_t[p] = self.env.now
        self.busy_until[p] = self.env.now + dur
        self.gen[p] += 1
        self._after(p, dur, self._end_break, (p,))

    def _end_break(self, p: int) -> None:
        now = self.env.now
        si = self.cur[p]
        if si >= 0:
            self.sh_break[si] += now - self.act_t[p]
        if self.tl_from <= now and self.act_t[p] < self.tl_to:
            self.timeline.append({"person": self.person_ids[p], "role": self.roles[p], "activity": "break",
                                  "start_s": self.act_t[p], "end_s": now, "hours": (now - self.act_t[p]) / 3600.0})
        self.act_t[p] = now
        self._idle(p)

    # -- work orders -----------------------------------------------------------------------------

    def report(self, wo: WorkOrder) -> None:
        """A new work order: recorded, then dispatched (or sent to the contractor)."""
        self.orders.append(wo)
        c = self.p.contractor
        if wo.priority != "planned" and self.p.escalation.enabled:
            self.at(wo.reported_s + self.p.escalation.after_share * self.sla_s[wo.priority], self._escalate, wo)
        if c.enabled and wo.skill in c.only:
            self.call_contractor(wo)
            return
        self.submit(wo)

    def _unserved(self, wo: WorkOrder) -> None:
        """A work order found nobody free: preempt (an emergency), or call the contractor."""
        if wo.priority == "planned":
            return
        if wo.prio == P_EMERGENCY and self.p.preemption and self._preempt(wo):
            return
        if self._contractor_needed(wo):
            self.call_contractor(wo)

    def _contractor_needed(self, wo: WorkOrder) -> bool:
        c = self.p.contractor
        if not c.enabled or wo.skill not in c.skills or wo.state != WAITING:
            return False
        if c.backlog_threshold and self.waiting.get(wo.skill, 0) >= c.backlog_threshold:
            return True
        if not c.when_late:
            return False
        left = self.sla_s.get(wo.priority, math.inf) - (self.env.now - wo.reported_s)
        return self.estimated_wait(wo) > left

    def estimated_wait(self, wo: WorkOrder) -> float:
        """When a skilled person on shift could take the order: the k-th earliest time one is free,
        k = orders of the skill waiting ahead (inf when nobody with the skill is on shift)."""
        staff = self.on_shift.get(wo.skill)
        if not staff:
            return math.inf
        now = self.env.now
        if self.free.get(wo.skill):
            return 0.0
        times = sorted(max(self.busy_until[q], now) for q in staff)
        ahead = max(0, self.waiting.get(wo.skill, 0) - 1)
        n = len(times)
        return times[min(ahead, n - 1)] - now + (ahead // n) * wo.remaining_s

    def _preempt(self, wo: WorkOrder) -> bool:
        best = None
        for q in self.on_shift.get(wo.skill, ()):
            job = self.job[q]
            if self.state[q] != BUSY or not isinstance(job, WorkOrder) or job.prio == P_EMERGENCY \
                    or job.state != ASSIGNED:
                continue
            key = (job.prio, self.act_t[q], -q)
            if best is None or key > best[0]:
                best = (key, q)
        if best is None:
            return False
        q = best[1]
        old = self.job[q]
        was_working = self.act[q] == A_WORK
        dt = self._close(q)
        if was_working:
            old.remaining_s = max(0.0, old.remaining_s - dt)
        else:
            old.travel_s += dt
        self.gen[q] += 1
        old.preempted = True
        old.version += 1
        old.state = WAITING
        self.job[q] = None
        self.enqueue(old)
        self.unqueue(wo)
        self.assign(q, wo)
        return True

    def call_contractor(self, wo: WorkOrder) -> None:
        self.unqueue(wo)
        now = self.env.now
        wo.state = CONTRACTOR
        wo.contractor = True
        wo.assignee = "contractor"
        wo.role = "contractor"
        if wo.dispatched_s != wo.dispatched_s:
            wo.dispatched_s = now
        c = self.p.contractor
        if wo.source == "pm":
            self.at(now, self._contractor_on_site, wo)
            return
        self.callouts += 1
        wo.callout_fee_cny += c.callout_fee_cny
        hour = int((now % DAY_S) // 3600) % 24
        mean = c.skill_response_min.get(wo.skill, c.response_mean_min[hour]) * 60.0
        if mean <= 0:
            resp = 0.0
        elif c.response_cv > 0:
            mu, sigma = lognormal_params(mean, c.response_cv)
            resp = float(self.rng.lognormal(mu, sigma))
        else:
            resp = mean
        self.at(now + resp, self._contractor_on_site, wo)

    def _contractor_on_site(self, wo: WorkOrder) -> None:
        now = self.env.now
        if wo.arrived_s != wo.arrived_s:
            wo.arrived_s = now
        if not wo.part_taken:
            wo.part_taken = True
            wo.parts_cost_cny += self.part_cost[wo.part]
        if wo.started_s != wo.started_s:
            wo.started_s = now
        self.at(now + wo.remaining_s, self._contractor_done, wo)

    def _contractor_done(self, wo: WorkOrder) -> None:
        if wo.source == "pm" and wo.item >= 0 and self.items[wo.item]["pm"].by_contractor:
            wo.contractor_labour_cny += wo.pm_cost_cny  # the maintenance contract's price of a visit
        else:
            wo.contractor_labour_cny += self.p.contractor.labour_cny_per_h * wo.remaining_s / 3600.0
        wo.remaining_s = 0.0
        wo.completed_s = self.env.now
        wo.state = DONE
        self.order_done(wo)

    def _escalate(self, wo: WorkOrder) -> None:
        if wo.arrived_s == wo.arrived_s or wo.state in (DONE, CANCELLED):
            return
        wo.escalated = True
        if wo.state != WAITING:
            return
        if wo.prio > P_EMERGENCY:  # to the head of the queue
            self.unqueue(wo)
            wo.prio = P_EMERGENCY
            self.enqueue(wo)
        if self._contractor_needed(wo):
            self.call_contractor(wo)

    def order_done(self, wo: WorkOrder) -> None:
        """A work order is complete: the item is renewed, a return visit is planned."""
        if wo.item >= 0:
            if wo.source in ("failure", "backlog"):
                self.renew(wo.item)
            elif wo.source == "pm":
                self.pm_done(wo)
        if wo.source == "request":
            rv = self.p.return_visits
            if rv.share > 0 and (rv.share >= 1 or self.rng.random() < rv.share):
                self.at(self.env.now + rv.delay_h * 3600.0, self._return_visit, wo)

    def _return_visit(self, wo: WorkOrder) -> None:
        rv = self.p.return_visits
        follow = WorkOrder(len(self.orders) + 1, "return_visit", "return_visit", "planned", rv.skill,
                           wo.location if not rv.by_phone else "", -1 if rv.by_phone else wo.loc, self.env.now,
                           rv.duration_min * 60.0)
        self.report(follow)

    # -- parts -----------------------------------------------------------------------------------

    def _log_part(self, part: str, event: str) -> None:
        self.parts_log.append({"part": part, "t_s": self.env.now, "event": event, "stock": self.stock[part]})

    def take_part(self, part: str) -> bool:
        if self.stock[part] > 0:
            self.stock[part] -= 1
            self._log_part(part, "used")
            self._maybe_reorder(part)
            return True
        self._log_part(part, "stockout")
        self._maybe_reorder(part)
        return False

    def _maybe_reorder(self, part: str) -> None:
        spec = self.part_spec[part]
        if not self.on_order[part] and self.stock[part] <= spec.reorder_point:
            self.on_order[part] = True
            self._log_part(part, "reorder")
            self.at(self.env.now + spec.lead_time_days * DAY_S, self._received, part)

    def _received(self, part: str) -> None:
        spec = self.part_spec[part]
        self.on_order[part] = False
        self.stock[part] += spec.order_quantity
        self._log_part(part, "received")
        waiting = self.parts_waiting[part]
        now = self.env.now
        while waiting and self.stock[part] > 0:
            wo = waiting.popleft()
            self.stock[part] -= 1
            self._log_part(part, "used")
            wo.part_taken = True
            wo.parts_cost_cny += spec.cost_cny
            wo.parts_wait_s += now - wo.wait_since
            wo.wait_since = NAN
            wo.version += 1
            self.submit(wo)
        self._maybe_reorder(part)

    # -- equipment -------------------------------------------------------------------------------

    def add_equipment(self, items: Sequence[dict]) -> None:
        """Items: dicts with id, kind, location, loc, failure (FailureModel|None), pm (PMSchedule|None)."""
        t0 = self.t0
        for i, it in enumerate(items):
            it = dict(it, renewed_s=t0, down=False, fgen=0, pgen=0, pm_order=None)
            self.items.append(it)
            f = it["failure"]
            if f is not None:
                if f.initial_age_days is None:
                    mttf_d = f.weibull_scale_days * math.gamma(1.0 + 1.0 / f.weibull_shape)
                    age_d = float(self.rng.random()) * mttf_d
                else:
                    age_d = f.initial_age_days
                it["renewed_s"] = t0 - age_d * DAY_S
                self._schedule_failure(i, age_d)
            pm = it["pm"]
            if pm is not None and pm.policy == "age":
                due = it["renewed_s"] + pm.interval_days * DAY_S
                self.at(max(due, t0), self._pm_due_age, i, it["pgen"])

    def _schedule_failure(self, i: int, age_d: float = 0.0) -> None:
        it = self.items[i]
        f = it["failure"]
        life_d = weibull_residual(self.rng, f.weibull_shape, f.weibull_scale_days, age_d)
        it["fgen"] += 1
        g = it["fgen"]
        t = self.env.now + life_d * DAY_S
        if t < self.t_end:
            self.at(t, lambda: self._fail(i) if it["fgen"] == g else None)

    def fail_now(self, i: int) -> None:
        """Item ``i`` is out of service now (from the live twin): a failure order at once."""
        it = self.items[i]
        it["fgen"] += 1
        self._fail(i)

    def _fail(self, i: int) -> None:
        it = self.items[i]
        if it["down"]:
            return
        now = self.env.now
        it["down"] = True
        f = it["failure"]
        cost = f.failure_cost_cny if f is not None else 0.0
        self.equipment_events.append({"equipment": it["id"], "kind": it["kind"], "event": "failure", "t_s": now,
                                      "age_h": (now - it["renewed_s"]) / 3600.0, "cost_cny": cost})
        pm_order = it["pm_order"]
        if pm_order is not None and it["pm"].policy == "age" and pm_order.state == WAITING:
            self.unqueue(pm_order)
            pm_order.state = CANCELLED
            it["pm_order"] = None
        if f is None:
            repair_s, skill, priority, part = 3600.0, "general", "ordinary", None
        else:
            repair_s = self._repair_time(f)
            skill, priority = f.skill, f.priority
            part = f.part if f.part and self.rng.random() < f.part_probability else None
        category = "lifts" if it["kind"] == "lift_car" else "equipment"
        wo = WorkOrder(len(self.orders) + 1, "failure", category, priority, skill, it["location"], it["loc"], now,
                       repair_s, equipment=it["id"], item=i, part=part, sla_min=self.sla_s[priority] / 60.0)
        wo.parts_cost_cny += cost
        self.report(wo)

    def _repair_time(self, f) -> float:
        mean = f.repair_mean_min * 60.0
        if f.repair_dist == "fixed":
            return mean
        if f.repair_dist == "exponential":
            return float(self.rng.exponential(mean))
        mu, sigma = lognormal_params(mean, f.repair_cv)
        return float(self.rng.lognormal(mu, sigma))

    def renew(self, i: int) -> None:
        """Item ``i`` is as good as new from now (repaired after a failure, or maintained)."""
        it = self.items[i]
        it["renewed_s"] = self.env.now
        it["down"] = False
        if it["failure"] is not None:
            self._schedule_failure(i)
        pm = it["pm"]
        if pm is not None and pm.policy == "age":
            it["pgen"] += 1
            self.at(self.env.now + pm.interval_days * DAY_S, self._pm_due_age, i, it["pgen"])

    def _pm_due_age(self, i: int, g: int) -> None:
        it = self.items[i]
        if it["pgen"] != g or it["down"]:
            return
        self.pm_due(i)

    def pm_due(self, i: int) -> None:
        it = self.items[i]
        pm = it["pm"]
        now = self.env.now
        wo = WorkOrder(len(self.orders) + 1, "pm", "pm", "planned", pm.skill, it["location"], it["loc"], now,
                       pm.duration_min * 60.0, equipment=it["id"], item=i)
        wo.pm_due_s = now
        wo.pm_window_s = pm.window_days * DAY_S
        wo.pm_cost_cny = pm.cost_cny
        it["pm_order"] = wo
        if pm.by_contractor:
            self.orders.append(wo)
            self.call_contractor(wo)
        else:
            wo.parts_cost_cny += pm.cost_cny
            self.report(wo)

    def pm_done(self, wo: WorkOrder) -> None:
        it = self.items[wo.item]
        now = self.env.now
        it["pm_order"] = None
        self.equipment_events.append({"equipment": it["id"], "kind": it["kind"], "event": "pm", "t_s": now,
                                      "age_h": (now - it["renewed_s"]) / 3600.0, "cost_cny": wo.pm_cost_cny})
        if not it["down"]:
            self.renew(wo.item)

    # -- the end ---------------------------------------------------------------------------------

    def finish(self) -> None:
        """Book what is still going on at the end of the run (activities, breaks, overtime so far)."""
        now = self.env.now
        for p in range(len(self.state)):
            if self.state[p] == BREAK and self.cur[p] >= 0:
                self.sh_break[self.cur[p]] += now - self.act_t[p]
            elif self.act[p] != A_NONE:
                job = self.job[p]
                travelling = self.act[p] == A_TRAVEL
                dt = self._close(p)
                if isinstance(job, WorkOrder) and travelling:
                    job.travel_s += dt
            if self.ending[p] and self.cur[p] >= 0:
                self.sh_ot[self.cur[p]] += now - self.sh_end[self.cur[p]]
