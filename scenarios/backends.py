"""Where replications run: in this process, on a local process pool, or on a Dask cluster.

A run of a scenario is a bag of independent replications — every replication of every sweep
point — that differ only in their parameters and their seed. Which machine runs one makes no
difference to its result: a :class:`Replication` carries everything that varies, the run's
:class:`SharedInputs` (model, horizon, building, graph, live snapshot) everything else, and
:func:`run_replication` turns the two into a :class:`~models.ReplicationResult`.

The building and its graph are the largest inputs, so they travel once per worker, never once
per replication: the local pool hands them to each process's initializer; a Dask cluster
receives them by ``Client.scatter(..., broadcast=True)`` and the tasks refer to them.

Each back end is a generator that yields *batches* of finished replications as
``((point, replication), result)`` pairs, in the order they finish, and an empty batch at
least every :data:`POLL_S` seconds while it waits, so that the caller can stop the run between
batches; closing the generator cancels the replications still pending. Putting the results
back in order is the caller's job (:func:`scenarios.runner.run_scenario`).

A replication that runs in this process can also be stopped *inside* itself: its SimPy
environment is a :class:`GuardedEnvironment`, which asks the run's :class:`RunGuard` every few
hundred events (and at least every :data:`GUARD_INTERVAL_S` of wall time) whether the run was
cancelled or is over its time budget, and raises :class:`RunCancelled` or
:class:`RunOverBudget` from the model's clock. Every model gets this without knowing of it.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import pickle
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import simpy
from pydantic import BaseModel

from models import ModelContext, ReplicationResult, get_model
from scenarios.records import ColumnRecords
from twin.spec import Building

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["DASK_CONNECT_TIMEOUT_S", "POLL_S", "GUARD_INTERVAL_S", "Batch", "GuardedEnvironment", "Replication",
           "RunCancelled", "RunGuard", "RunOverBudget", "RunStopped", "RunnerError", "SharedInputs",
           "on_dask", "dask_batches", "run_batch", "DASK_BATCH_S", "on_local_pool", "local_pool", "close_pool", "inline", "run_replication"]

POLL_S = 0.5
"""Longest wait between two batches: how soon a cancelled run stops."""

DASK_CONNECT_TIMEOUT_S = 10.0
"""How long to try to reach a Dask scheduler before giving up with a :class:`RunnerError`."""

_DASK_POLL_S = 0.05

Key = tuple[int, int]
Batch = list[tuple[Key, ReplicationResult]]


class RunnerError(RuntimeError):
    """The run cannot be carried out where it was asked to run (e.g. the Dask scheduler is unreachable)."""


class RunStopped(RuntimeError):
    """The run was stopped before it finished; the message says why."""


class RunCancelled(RunStopped):
    """The run was cancelled before all replications finished."""


class RunOverBudget(RunStopped):
    """The run went over its wall-time budget or its memory ceiling (the message says which)."""


GUARD_INTERVAL_S = 0.2
"""Longest wall time between two looks at a run's cancel flag and clock from inside a replication."""
_GUARD_EVERY_EVENTS = 256
_GUARD_MASK = _GUARD_EVERY_EVENTS - 1


class RunGuard:
    """Whether a run must stop: its cancel flag (anything with ``is_set()``) and its deadline.

    ``check()`` raises :class:`RunCancelled` or :class:`RunOverBudget`; it is cheap (a clock read,
    and the flag at most every :data:`GUARD_INTERVAL_S`), so it can be called from a model's clock.
    """

    def __init__(self, name: str, *, cancel: Any = None, time_limit_s: float | None = None,
                 started: float | None = None):
        self.name = name
        self.cancel = cancel
        self.time_limit_s = time_limit_s
        self.started = time.monotonic() if started is None else started
        self.deadline = None if time_limit_s is None else self.started + time_limit_s
        self._next_flag_check = 0.0

    def check(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.deadline is not None and now >= self.deadline:
            raise RunOverBudget(f"stopped after {self.time_limit_s:g} s: the run's time budget")
        if self.cancel is not None and (force or now >= self._next_flag_check):
            self._next_flag_check = now + GUARD_INTERVAL_S
            if self.cancel.is_set():
                raise RunCancelled(self.name)


class GuardedEnvironment(simpy.Environment):
    """A SimPy environment that looks at its run's :class:`RunGuard` every
    :data:`_GUARD_EVERY_EVENTS` events while it steps (the guard itself reads the flag at most
    every :data:`GUARD_INTERVAL_S`). Kept to a counter and a bit test per event: the evacuation
    model steps a million times a minute (``bench/bench_guard.py`` measures the cost)."""

    def __init__(self, guard: RunGuard, initial_time: float = 0):
        super().__init__(initial_time)
        self._guard = guard
        self._events = 0

    def step(self) -> None:
        self._events += 1
        if not self._events & _GUARD_MASK:
            self._guard.check()
        _plain_step(self)


_plain_step = simpy.Environment.step  # called directly: cheaper than super() on every event


@dataclass(frozen=True)
class SharedInputs:
    """What every replication of a run shares."""

    model_name: str
    horizon_s: float
    building: Building
    graph: nx.MultiGraph
    snapshot: Any = None


@dataclass(frozen=True)
class Replication:
    """Replication ``replication`` of sweep point ``point``: its parameters and its seed."""

    point: int
    replication: int
    params: BaseModel
    seed: np.random.SeedSequence
    keep_records: bool = True
    """False: the replication's record tables are dropped where it ran, only its KPIs come back
    (the optimiser judges plans on KPIs; unpickling a year's records costs the parent more than
    running it)."""

    @property
    def key(self) -> Key:
        return self.point, self.replication


def run_replication(task: Replication, shared: SharedInputs | None = None,
                    guard: RunGuard | None = None, *, columns: bool = True) -> ReplicationResult:
    """One replication on a fresh SimPy environment with its own generator (``shared`` defaults to
    what the local pool's initializer left in this process); with a ``guard``, the environment
    stops the replication when the run is cancelled or over its time. With ``columns`` (the default:
    a pool process's or a Dask worker's replication), its record tables come back as columns
    (:class:`scenarios.records.ColumnRecords`, still read as rows), turned so here, where the
    replication ran: a few arrays to send back rather than a pickled dict per row, and a parent that
    only concatenates them (gathering the rows was most of a long run's serial part). A replication
    run in the parent itself keeps its rows: they are columns only when written."""
    if shared is None:
        shared = _WORKER_INPUTS["shared"]
    if guard is not None:
        guard.check(force=True)
    ctx = ModelContext(
        env=GuardedEnvironment(guard) if guard is not None else simpy.Environment(),
        rng=np.random.default_rng(task.seed),
        building=shared.building,
        graph=shared.graph,
        params=task.params,
        horizon_s=shared.horizon_s,
        replication=task.replication,
        snapshot=shared.snapshot,
    )
    result = get_model(shared.model_name).run(ctx)
    if not task.keep_records:
        return dataclasses.replace(result, records={})
    if columns:
        result = dataclasses.replace(result, records=ColumnRecords(result.records))
    return result


# --- in this process ---------------------------------------------------------------------------

def inline(tasks: list[Replication], shared: SharedInputs, guard: RunGuard | None = None) -> Iterator[Batch]:
    """Run the replications one after the other in this process (each stopped from inside by
    ``guard`` when the run is cancelled or over its time)."""
    for task in tasks:
        yield [(task.key, run_replication(task, shared, guard, columns=False))]


# --- a local process pool ----------------------------------------------------------------------

# Pool-process state: the shared inputs, set once per process by the pool's initializer.
_WORKER_INPUTS: dict[str, SharedInputs] = {}


def _init_worker(shared: SharedInputs) -> None:
    _WORKER_INPUTS["shared"] = shared


def local_pool(shared: SharedInputs, *, workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` local processes holding ``shared``, for several runs on the same inputs
    (the optimiser's plans): its processes, and what a model caches in them (the operations
    model's travel table), outlive each run. Close it with :func:`close_pool`."""
    return ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(shared,))


def close_pool(pool: ProcessPoolExecutor, *, abandon: bool = False) -> None:
    """Shut a pool down; ``abandon``: without waiting, killing what its processes still run."""
    processes = list(getattr(pool, "_processes", None) or {}) if abandon else []
    pool.shutdown(wait=not abandon, cancel_futures=True)
    for pid in processes:
        _kill(pid)


def on_local_pool(tasks: list[Replication], shared: SharedInputs, *, workers: int,
                  pool: ProcessPoolExecutor | None = None) -> Iterator[Batch]:
    """Run the replications on ``workers`` local processes (on ``pool``, from :func:`local_pool`
    with the same ``shared``, when given: it is left open for the next run)."""
    import signal

    own = pool is None
    if pool is None:
        pool = local_pool(shared, workers=workers)
    # The processes start with Ctrl-C blocked: it reaches the whole terminal's process group, and
    # only this process should answer it (it stops the pool), not each worker with a traceback.
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    sent = _params_apart(tasks)
    try:
        pending = {pool.submit(_run_with_params, task, params): task.key for task, params in sent}
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    try:
        while pending:
            finished, _ = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
            yield [(pending.pop(future), future.result()) for future in finished]
    finally:
        # Stopped early (cancelled, over budget, a replication failed): the replications still
        # running are abandoned with their processes rather than waited for (a pool that is not
        # this run's own: its pending replications are cancelled, its owner closes it).
        if own:
            close_pool(pool, abandon=bool(pending))
        else:
            for future in pending:
                future.cancel()


def _params_apart(tasks: list[Replication]) -> list[tuple[Replication, bytes]]:
    """Each task without its parameters, beside them pickled — once a sweep point, not once a
    replication (a year's estate takes a few ms), by the id of the parameters object (which the tasks
    keep alive). The process that runs it puts them back (:func:`_with_params`)."""
    pickled: dict[int, bytes] = {}
    sent = []
    for task in tasks:
        params = pickled.get(id(task.params))
        if params is None:
            params = pickled[id(task.params)] = pickle.dumps(task.params, protocol=pickle.HIGHEST_PROTOCOL)
        sent.append((dataclasses.replace(task, params=None), params))
    return sent


def _with_params(task: Replication, params: bytes) -> Replication:
    return dataclasses.replace(task, params=_params_from(params))


def _run_with_params(task: Replication, params: bytes) -> ReplicationResult:
    """A pool process's replication, its parameters sent pickled (:func:`on_local_pool`)."""
    return run_replication(_with_params(task, params))


# Each worker process's parameters, by their pickled bytes: the replications of one sweep point get
# the SAME object, as they do in the parent. A model may keep what it derives from its parameters
# per object (the operations model's plan: roster, rounds and their routes, calendar PMs — made
# once per parameters in a process); unpickled afresh for every replication, that cache never hit
# on a worker, and two workers did the set-up work once a replication that one process did once.
_PARAMS_KEPT = 8


@functools.lru_cache(maxsize=_PARAMS_KEPT)
def _params_from(data: bytes) -> Any:
    return pickle.loads(data)


def _kill(pid: int) -> None:
    import os
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --- a Dask cluster ----------------------------------------------------------------------------

DASK_BATCH_S = 0.25
"""About how long one Dask task should run: replications estimated to take less are batched so that
the scheduler's own cost per task (a few milliseconds) stays small beside the work."""

_EVENTS_PER_S = 150_000.0
"""A replication's estimated SimPy events (its model's ``cost``) per second of work, for batching:
the models run at 100–200 thousand events a second here."""


def dask_batches(tasks: list[Replication], shared: SharedInputs, *, workers: int) -> list[list[Replication]]:
    """The replications in batches for Dask: consecutive replications together, each batch about
    :data:`DASK_BATCH_S` of estimated work, with at least four batches per worker while there are
    enough replications (so that every worker has work to the end and a lost worker costs little)."""
    if not tasks:
        return []
    model = get_model(shared.model_name)
    seconds = None
    if model.cost is not None:
        try:
            seconds = model.cost(tasks[0].params, shared.horizon_s, shared.building).events / _EVENTS_PER_S
        except Exception:  # an estimate only: one replication a task when it cannot be made
            seconds = None
    size = 1 if not seconds or seconds <= 0 else max(1, int(DASK_BATCH_S / seconds))
    size = max(1, min(size, len(tasks) // max(1, 4 * workers)))
    return [tasks[i:i + size] for i in range(0, len(tasks), size)]


def run_batch(batch: list[tuple[Replication, bytes]], *,
              shared: SharedInputs) -> list[tuple[Key, ReplicationResult]]:
    """A Dask task: several replications one after the other, each with its own seed, sent without
    their parameters and beside them pickled (:func:`_params_apart`): a worker uses one object for the
    same parameters across all its batches (see :func:`_params_from`)."""
    return [(task.key, run_replication(_with_params(task, params), shared)) for task, params in batch]


def on_dask(tasks: list[Replication], shared: SharedInputs, *, scheduler: str) -> Iterator[Batch]:
    """Run the replications on the workers of the Dask scheduler at ``scheduler`` (``tcp://HOST:PORT``),
    batched (:func:`dask_batches`). A worker lost mid-run is Dask's to handle: its tasks run again on
    another (each replication's result depends only on its seed, so the run's results do not change)."""
    from distributed import as_completed

    with _connect(scheduler) as client:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        sent = iter(_params_apart(tasks))  # in the tasks' order, which the batches keep
        batches = [list(itertools.islice(sent, len(b))) for b in dask_batches(tasks, shared, workers=workers)]
        shared_on_workers = client.scatter(shared, broadcast=True, hash=False)
        futures = client.map(run_batch, batches, shared=shared_on_workers, pure=False)
        pending = set(futures)
        completed = as_completed(futures, loop=client.loop)
        try:
            while pending:
                # Polled rather than blocking on the next completion, so that a cancelled run
                # stops at once even while every worker is busy with a long replication.
                finished = completed.next_batch(block=False)
                if not finished:
                    time.sleep(_DASK_POLL_S)
                    yield []
                    continue
                pending.difference_update(finished)
                yield [pair for done in client.gather(finished) for pair in done]
        finally:
            if pending:
                client.cancel(list(pending))


def _connect(scheduler: str) -> Client:
    from distributed import Client
    from distributed.comm import get_address_host_port

    try:
        get_address_host_port(scheduler)
    except ValueError as exc:
        raise RunnerError(f"Dask scheduler {scheduler!r}: {exc}; expected tcp://HOST:PORT") from None
    try:
        return Client(scheduler, timeout=DASK_CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise RunnerError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
