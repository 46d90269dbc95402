"""A run's budget: how long it may take and how much memory it may hold, checked before it starts.

A scenario whose every parameter is plausible on its own can still describe a run that cannot
finish: a year of a repair desk receiving a thousand orders an hour, ten thousand replications of
a tower evacuation. Before a run is accepted its cost is estimated from the model's own
:attr:`~models.ModelSpec.cost` (SimPy events and record rows per replication) times the
replications and sweep points, and compared with the run's budget:

* time — the events at an optimistic :data:`EVENTS_PER_S` (the engine's own limit, several
  times what a model really does) must fit in the run's wall-time budget: a refused run could not have finished;
* memory — the record rows a run keeps until it writes them, at :data:`BYTES_PER_RECORD_ROW`,
  must fit under the run's memory ceiling;
* horizon — no longer than the model's :attr:`~models.ModelSpec.max_horizon_s`.

A refusal is a :class:`RunBudgetError` naming the field (``horizon_s``, ``replications``), its
value and the bound; the server answers it with a 422 and ``twin run`` exits 2. What the check
cannot foresee is stopped while the run goes (:mod:`scenarios.backends`: the time budget inside
the model's clock; the server's pool: the memory ceiling).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from models import ModelSpec
from twin.errors import SpecError, SpecIssue
from twin.spec import Building

__all__ = ["RunBudget", "RunBudgetError", "RunEstimate", "DEFAULT_TIME_LIMIT_S", "DEFAULT_MEMORY_LIMIT_GIB",
           "EVENTS_PER_S", "BYTES_PER_RECORD_ROW", "estimate_run", "check_run"]

DEFAULT_TIME_LIMIT_S = 1800.0
"""Wall-time budget of one run unless the server is told otherwise: 30 minutes."""
DEFAULT_MEMORY_LIMIT_GIB = 4.0
"""Memory ceiling of one run unless the server is told otherwise."""
EVENTS_PER_S = 1_000_000.0
"""SimPy events a second, optimistically — about what SimPy's own empty loop of timeouts does on a
fast core (``bench/engine.py``'s bare loop: 300,000–900,000 here, by the host's load), which no model
beats: a run refused at this rate could not have finished in its budget. The models themselves process
100,000–230,000 a second on one core here (the repair desk the fastest, ``bench/``); at the 200,000
this was before, a repair desk run could be refused that would have finished."""
BYTES_PER_RECORD_ROW = 1024.0
"""Memory one record row takes while a run holds it (a dict of a dozen fields, then a DataFrame)."""
_GIB = 1024.0 ** 3


@dataclass(frozen=True)
class RunBudget:
    """What one run may use: wall time and memory."""

    time_limit_s: float = DEFAULT_TIME_LIMIT_S
    memory_limit_gib: float = DEFAULT_MEMORY_LIMIT_GIB

    @property
    def memory_limit_bytes(self) -> int:
        return int(self.memory_limit_gib * _GIB)


@dataclass(frozen=True)
class RunEstimate:
    """A run's estimated cost: events, record rows, and what they mean in seconds and bytes."""

    events: float
    record_rows: float
    held_rows: float | None = None
    """The record rows held at once, when that is fewer than all of them (a run streamed to disk point
    by point holds a point or two; None: all of them)."""

    @property
    def optimistic_s(self) -> float:
        return self.events / EVENTS_PER_S

    @property
    def rows_at_once(self) -> float:
        """The record rows the run holds at its fullest."""
        return self.record_rows if self.held_rows is None else self.held_rows

    @property
    def memory_bytes(self) -> float:
        return self.rows_at_once * BYTES_PER_RECORD_ROW


class RunBudgetError(SpecError):
    """A run that could not finish within its budget (a :class:`SpecError`: exit 2, HTTP 422)."""

    def __init__(self, file: str, field: str, message: str):
        super().__init__([SpecIssue(file, field, message)])
        self.field = field

    def __reduce__(self):  # crosses from a pool process to the server intact
        issue = self.issues[0]
        return type(self), (issue.file, issue.path, issue.message)


def estimate_run(model: ModelSpec, points: Sequence[BaseModel], replications: int, horizon_s: float,
                 building: Building | None, *, streamed: bool = False) -> RunEstimate | None:
    """The run's estimated cost over every sweep point, or None when the model gives no estimate.

    ``streamed``: the run writes each point to disk when its replications are done and drops it
    (:mod:`scenarios.stream`), so it holds the rows of the points under way — counted as the two
    largest points (the one finishing and the next, whose first replications come back meanwhile)."""
    if model.cost is None:
        return None
    events = 0.0
    per_point: list[float] = []
    for params in points:
        c = model.cost(params, horizon_s, building)
        events += c.events
        per_point.append(c.record_rows)
    rows = sum(per_point)
    held = sum(sorted(per_point)[-2:]) * replications if streamed else None
    return RunEstimate(events=events * replications, record_rows=rows * replications, held_rows=held)


def _fmt_gib(n_bytes: float) -> str:
    return f"{n_bytes / _GIB:.3g} GiB"


def check_run(model: ModelSpec, points: Sequence[BaseModel], *, replications: int, horizon_s: float,
              building: Building | None, file: str, budget: RunBudget | None = None, workers: int = 1,
              streamed: bool = False) -> None:
    """Raise :class:`RunBudgetError` when the run's horizon is beyond the model's, or its estimated
    time (over ``workers`` processes) or memory beyond ``budget`` (``streamed``: see
    :func:`estimate_run`)."""
    budget = budget or RunBudget()
    if model.max_horizon_s is not None and not horizon_s <= model.max_horizon_s:
        raise RunBudgetError(file, "horizon_s", f"{horizon_s:g} s is longer than the {model.name} model's "
                                                f"limit of {model.max_horizon_s:g} s "
                                                f"({_duration(model.max_horizon_s)})")
    est = estimate_run(model, points, replications, horizon_s, building, streamed=streamed)
    if est is None:
        return
    n_points = len(points)
    what = f"{replications} replications" + (f" × {n_points} sweep points" if n_points > 1 else "")
    seconds = est.optimistic_s / max(1, workers)
    if not seconds <= budget.time_limit_s:
        raise RunBudgetError(file, "replications", f"{what} would process about {est.events:.3g} simulation "
                                                   f"events: at least {_duration(seconds)}, more than the run's time "
                                                   f"budget of {budget.time_limit_s:g} s; use fewer replications, "
                                                   "sweep points, occupants or a shorter horizon_s")
    if not est.memory_bytes <= budget.memory_limit_bytes:
        raise RunBudgetError(file, "replications", f"{what} would hold about {est.rows_at_once:.3g} record rows at once, "
                                                   f"about {_fmt_gib(est.memory_bytes)} — more than the run's "
                                                   f"memory ceiling of {budget.memory_limit_gib:g} GiB; use fewer "
                                                   "replications or sweep points (or trace: first)")


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "forever"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.3g} h"
    return f"{seconds / 86400:.3g} days"
