"""The service desk (客服中心): owners' calls answered by agents, and callers who hang up.

Calls arrive as a non-homogeneous Poisson stream (per apartment per month, with the desk's
profile: office hours by default; :mod:`models.operations.demand`). An agent on shift with the
desk's skill answers the first caller waiting (calls come before ordinary repairs and rounds in an
agent's queue: an agent also takes complaints and return visits, which are work orders); the call
takes an exponential handling time. Each caller has an exponential patience: a caller still
waiting when it runs out hangs up (abandons) — the M/M/c+M (Erlang A) queue of call centres
(Garnett, Mandelbaum & Reiman 2002). A call answered the moment it arrives sets no patience timer.
"""

from __future__ import annotations

import math

from models.operations.dispatch import CANCELLED, DONE, P_CALL, WAITING, Estate, Job

__all__ = ["Call", "call_records"]

NAN = math.nan


class Call(Job):
    """One call to the desk (the ``service_calls`` record)."""

    __slots__ = ("call", "arrived_s", "answered_s", "handle_s", "patience_s", "agent", "abandoned")

    def __init__(self, call: int, skill: str, arrived_s: float, handle_s: float, patience_s: float):
        # Job.__init__, inline (a year has thousands of calls)
        self.skill = skill
        self.prio = P_CALL
        self.key_t = arrived_s
        self.seq = 0
        self.loc = -1
        self.state = WAITING
        self.version = 0
        self.remaining_s = handle_s
        self.queued = False
        self.call = call
        self.arrived_s = arrived_s
        self.answered_s = NAN
        self.handle_s = handle_s
        self.patience_s = patience_s
        self.agent = ""
        self.abandoned = False

    def on_queued(self, est: Estate) -> None:
        est.at(self.arrived_s + self.patience_s, self._hang_up, est)

    def _hang_up(self, est: Estate) -> None:
        if self.state == WAITING:
            est.unqueue(self)
            self.state = CANCELLED
            self.abandoned = True

    def on_assign(self, est: Estate, p: int) -> None:
        self.answered_s = est.env.now
        self.agent = est.person_ids[p]

    def on_site(self, est: Estate, p: int) -> None:
        est.work(p, self.handle_s, self._done)

    def _done(self, est: Estate, p: int) -> None:
        self.state = DONE
        est.release(p)


def call_records(calls: list[Call]) -> list[dict]:
    """``service_calls`` rows: a call neither answered nor abandoned by the end has NaN times."""
    rows = []
    for c in calls:
        answered = c.answered_s
        if c.abandoned:
            wait = c.patience_s
        elif answered == answered:
            wait = answered - c.arrived_s
        else:
            wait = NAN
        rows.append({"call": c.call, "arrived_s": c.arrived_s, "answered_s": answered, "wait_s": wait,
                     "abandoned": c.abandoned, "agent": c.agent,
                     "handle_s": c.handle_s if answered == answered else NAN})
    return rows
