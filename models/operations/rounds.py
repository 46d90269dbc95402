"""Rounds: guards' patrols and cleaners' rounds, walked over the floor graph at set hours.

A **patrol** is a route of checkpoint spaces (listed, and/or every space of some kinds, lowest
floor first) that a guard walks at set hours: from where they are to the first checkpoint, then
checkpoint to checkpoint along shortest paths of the floor graph (stairs and lifts as
:mod:`models.travel` times them), stopping ``dwell_min`` at each. A round started
within ``late_after_min`` of its hour is on time. A **cleaning round** goes through every space of
a zone (spaces of some kinds, on some floors) in the same way, ``minutes_per_space`` in each, at
its hours, every ``every_days`` days; a zone too big for one round (more than ``max_round_min``
of walking and cleaning) is split into consecutive parts along its route, due at the same hours,
which several cleaners take at once.

A round is a job like any other (:mod:`models.operations.dispatch`): the nearest free person with
the skill takes it, it waits in its queue behind repairs and calls when nobody is free, and a
round still waiting when the same round is due again is given up: a patrol missed (every checkpoint
missed), a cleaning round not done. The route's order is fixed when the run starts: the listed
checkpoints in their order, then the others by floor (lowest first) and, on a floor, nearest
next.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from models.operations.dispatch import ASSIGNED, CANCELLED, DONE, P_ROUND, WAITING, Estate, Job

__all__ = ["RoundPlan", "RoundJob", "round_plans", "route_spaces", "round_records"]

DAY_S = 86_400.0
NAN = math.nan


@dataclass
class RoundPlan:
    """One patrol or cleaning round as the run walks it."""

    kind: str          # "patrol" | "cleaning"
    name: str
    spaces: list[str]
    nodes: list[int]
    walk_s: float      # checkpoint to checkpoint, first to last
    work_s: float      # walking plus the time at each space
    times_h: list[float]
    every_days: int
    skill: str
    late_after_s: float


def route_spaces(building, listed: list[str], kinds: list[str], floors: list[str] | None = None) -> list[str]:
    """The listed spaces, then every space of ``kinds`` (on ``floors``; all when empty) not listed,
    ordered by floor elevation then position on the floor (a sweep along x, then y)."""
    floors_ok = set(floors or ())
    elevation = {f.id: f.elevation_m for f in building.floors}
    extra = [s for s in building.spaces if s.kind in kinds and not s.void and s.id not in listed
             and (not floors_ok or s.floor in floors_ok)]
    extra.sort(key=lambda s: (elevation[s.floor], s.centroid[0], s.centroid[1], s.id))
    return list(listed) + [s.id for s in extra]


def round_plans(params, building, travel) -> list[RoundPlan]:
    """The patrol and cleaning rounds of the parameters, with their routes over the building."""
    plans: list[RoundPlan] = []

    def walk(nodes: list[int]) -> float:
        if travel is None:
            return 0.0
        t = travel.route_time(nodes)
        return t if math.isfinite(t) else 0.0

    for r in params.patrols:
        spaces = route_spaces(building, list(r.route), list(r.route_kinds))
        nodes = [travel.node(s) for s in spaces] if travel is not None else [-1] * len(spaces)
        w = walk(nodes)
        plans.append(RoundPlan("patrol", r.id, spaces, nodes, w, w + r.dwell_min * 60.0 * len(spaces),
                               list(r.times_h), 1, r.skill, r.late_after_min * 60.0))
    for c in params.cleaning:
        spaces = route_spaces(building, list(c.spaces), list(c.space_kinds), list(c.floors))
        nodes = [travel.node(s) for s in spaces] if travel is not None else [-1] * len(spaces)
        per_space = c.minutes_per_space * 60.0
        limit = c.max_round_min * 60.0
        # A big zone is cleaned in parts of at most max_round_min each, by as many cleaners at once.
        start = 0
        while start < len(spaces):
            end = start + 1
            while end < len(spaces) and walk(nodes[start:end + 1]) + per_space * (end + 1 - start) <= limit:
                end += 1
            w = walk(nodes[start:end])
            plans.append(RoundPlan("cleaning", c.zone, spaces[start:end], nodes[start:end], w,
                                   w + per_space * (end - start), list(c.times_h), c.every_days, c.skill, math.inf))
            start = end
    return [p for p in plans if p.spaces]


def round_times(plan: RoundPlan, t0_s: float, t_end_s: float) -> list[tuple[float, float]]:
    """(scheduled, deadline) of every round of ``plan`` due in [t0_s, t_end_s): the deadline is the
    time the same round is due again."""
    first_day = int(t0_s // DAY_S)
    last_day = int(math.ceil(t_end_s / DAY_S))
    days = np.arange(first_day - plan.every_days, last_day + plan.every_days + 1, dtype=np.int64)
    days = days[days % plan.every_days == 0]
    # day * DAY_S + h * 3600.0 for every day and hour, as the scalar sum would give it
    times = np.sort((days[:, None] * DAY_S + np.asarray(plan.times_h, dtype=float)[None, :] * 3600.0).ravel())
    due, again = times[:-1], times[1:]
    keep = (t0_s <= due) & (due < t_end_s)
    return list(zip(due[keep].tolist(), again[keep].tolist()))


class RoundJob(Job):
    """One round due at ``scheduled_s``; given up when still waiting at ``deadline_s``."""

    __slots__ = ("plan", "index", "scheduled_s", "deadline_s", "started_s", "completed_s", "person")

    def __init__(self, plan: RoundPlan, index: int, scheduled_s: float, deadline_s: float):
        # Job.__init__, inline (a year has thousands of rounds)
        self.skill = plan.skill
        self.prio = P_ROUND
        self.key_t = scheduled_s
        self.seq = 0
        self.loc = plan.nodes[0] if plan.nodes else -1
        self.state = WAITING
        self.version = 0
        self.remaining_s = plan.work_s
        self.queued = False
        self.plan = plan
        self.index = index
        self.scheduled_s = scheduled_s
        self.deadline_s = deadline_s
        self.started_s = NAN
        self.completed_s = NAN
        self.person = ""

    def expired(self, est: Estate) -> bool:
        if est.env.now >= self.deadline_s:
            self.state = CANCELLED
            return True
        return False

    def on_assign(self, est: Estate, p: int) -> None:
        self.person = est.person_ids[p]

    def on_site(self, est: Estate, p: int) -> None:
        self.started_s = est.env.now
        est.work(p, self.remaining_s, self._done)

    def _done(self, est: Estate, p: int) -> None:
        self.completed_s = est.env.now
        self.state = DONE
        if self.plan.nodes and self.plan.nodes[-1] >= 0:
            est.loc[p] = self.plan.nodes[-1]
        est.release(p)


def round_records(jobs: list[RoundJob], t_end_s: float) -> tuple[list[dict], list[dict]]:
    """(patrols, cleaning) record rows. A round still under way or waiting at the end, and not yet
    past its deadline, is neither done nor missed: its ``completed_s`` is NaN and ``on_time``/``done``
    are NaN too."""
    patrols: list[dict] = []
    cleaning: list[dict] = []
    for j in jobs:
        plan = j.plan
        completed = j.completed_s
        open_ = completed != completed and (j.state == ASSIGNED or j.deadline_s > t_end_s)
        if plan.kind == "patrol":
            n = len(plan.spaces)
            if completed == completed:
                on_time = 1.0 if j.started_s - j.scheduled_s <= plan.late_after_s else 0.0
                missed = 0
            elif open_:
                on_time, missed = NAN, 0
            else:
                on_time, missed = 0.0, n
            patrols.append({"round": j.index, "route": plan.name, "person": j.person, "scheduled_s": j.scheduled_s,
                            "started_s": j.started_s, "completed_s": completed, "checkpoints": n, "missed": missed,
                            "on_time": on_time})
        else:
            done = NAN if open_ else (1.0 if completed == completed else 0.0)
            cleaning.append({"zone": plan.name, "round": j.index, "scheduled_s": j.scheduled_s,
                             "started_s": j.started_s, "completed_s": completed, "person": j.person, "done": done})
    return patrols, cleaning
