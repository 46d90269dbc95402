"""The run manager: scenario runs started over HTTP, executed off the event loop, kept across restarts.

A planner posts a scenario (or names one from the library) and gets a run id at once. The run is
checked completely before it is accepted — the same checks as ``twin validate`` — and then waits
for a process of the manager's pool. Inside that process it is exactly ``twin run``:
:func:`scenarios.runner.run_scenario` with one worker writes ``summary.json`` and
``records/*.parquet`` into the run's folder, then :func:`viewer.report.write_report` adds
``report.html``. So a run started over HTTP and ``twin run`` with the same seed give the same
``summary.json``, byte for byte.

Progress (replications done / total) comes back from the pool through a queue and is published
to listeners (the WebSocket); cancelling sets a flag file that the model's clock looks at inside
each replication (a cancel takes effect within a second). Every run has a wall-time budget and a
memory ceiling, and forecasts started by live alarms have a pool of their own. Every run — its
request, status and progress — is a row in the API's SQLite database, and its results are a
folder under ``runs/``; a server that stops with runs queued or running puts them back in the
queue when it starts again (same seed, same results), unless a process from before still holds
the run's folder.

The store is the command line's too: ``twin run`` (and ``twin runs import``) puts a finished
results folder in it with :func:`record_results` — a copy under ``runs/`` and a ``done`` row of
source ``cli`` — so the console lists runs made at a terminal. Each run also keeps what it changes
from the scenario it is based on (:func:`scenarios.changes.scenario_changes`), computed when the
request is checked and written into its ``summary.json``.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import logging
import multiprocessing
import os
import pickle
import queue
import re
import secrets
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


from models import ModelSpec
from scenarios.spec import (LIBRARY_DIR, LoadedScenario, Scenario, building_file, parse_scenario, scenario_and_model,
                            set_path, sweep_points)
from twin.errors import SpecError, format_value
from twin.private import private_database, private_dir
from twin.processes import die_with_parent, pid_alive
from twin.loader import SAMPLES_DIR, check_nesting, confined_file, confined_path, read_yaml, sample_names, sample_path

__all__ = ["RunManager", "RunRecord", "RunJob", "RunLimitError", "RunNotFound", "ScenarioSource", "record_results",
           "ResultsFolderError", "CLI_SOURCE",
           "scenario_sources", "find_scenario", "building_roots", "loaded_building", "prepare_job", "quick_check", "variant_base", "ACTIVE",
           "FINISHED"]

log = logging.getLogger(__name__)

ACTIVE = ("queued", "running")
FINISHED = ("done", "failed", "cancelled")
_BUILDING_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


# --- where scenarios come from ------------------------------------------------------------------

@dataclass(frozen=True)
class ScenarioSource:
    """A scenario file the server knows: shipped in the library or put in the data folder."""

    name: str
    path: Path
    source: str  # "library" | "loaded"


def scenario_sources(scenarios_dir: Path | None) -> dict[str, ScenarioSource]:
    """Scenario files by name: the shipped library first, then the data folder's ``scenarios/``
    (a file there that is a symbolic link to somewhere outside the folder is not one)."""
    found: dict[str, ScenarioSource] = {}
    for path in sorted(LIBRARY_DIR.glob("*.yaml")):
        found[path.stem] = ScenarioSource(path.stem, path, "library")
    if scenarios_dir is not None and scenarios_dir.is_dir():
        for path in sorted(scenarios_dir.glob("*.yaml")):
            if confined_path(path, (scenarios_dir,)) is not None:
                found.setdefault(path.stem, ScenarioSource(path.stem, path, "loaded"))
    return found


def building_roots(scenarios_dir: Path, buildings_dir: Path, live_building: Path | None = None) -> tuple[Path, ...]:
    """The folders a building named through the API may be in: the shipped samples and library,
    the data folder's ``buildings/`` and ``scenarios/`` (a loaded scenario's own building), and the
    live twin's building file when there is one (a root that is a file admits that file alone)."""
    roots = (SAMPLES_DIR, LIBRARY_DIR, buildings_dir, scenarios_dir)
    return (*roots, live_building) if live_building is not None else roots


def loaded_building(ref: str, buildings_dir: Path, live_building: Path | None = None) -> Path | None:
    """The file a building name from a request stands for, looked for as a run looks for it: a file of
    the data folder's ``buildings/`` (``NAME``, ``NAME.yaml``, ``NAME.yml``), then the live twin's
    building by its name. None: no loaded file (a sample's name, or no building at all). Nothing
    outside ``buildings/`` but the live building's own file is looked at."""
    for name in (ref, f"{ref}.yaml", f"{ref}.yml"):
        if confined_file(buildings_dir / name, (buildings_dir,)) is not None:
            return buildings_dir / name
    if live_building is not None and ref in (live_building.stem, live_building.name):
        return live_building
    return None


def find_scenario(name: str, scenarios_dir: Path | None) -> ScenarioSource | None:
    return scenario_sources(scenarios_dir).get(name)


# --- a run's job --------------------------------------------------------------------------------

@dataclass
class RunJob:
    """What a pool process needs to run a scenario: the document and how to resolve its building."""

    doc: dict
    file: str
    base_dir: str | None
    replications: int
    seed: int
    scenario: str
    model: str
    building: str
    points: int
    source: str
    ref: str | None = None
    from_live: bool = False
    snapshot: Any = None
    building_path: str | None = None
    building_roots: tuple[str, ...] | None = None
    """Where the building may be (:func:`building_roots`): the pool resolves it inside them again."""
    budget_checked: Any = None
    """The run budget this job's estimated cost was checked against (not estimated twice)."""
    changes: list[dict] = field(default_factory=list)
    """What the run changes from the scenario it is based on (:func:`scenarios.changes.scenario_changes`)."""

    @property
    def size(self) -> int:
        return self.replications * self.points


def _posted_building(doc: dict, file: str, buildings_dir: Path, live_building: Path | None = None) -> Path | None:
    """Check a building the request names (a posted scenario's, or one ``set`` over a known one): a
    sample, a file in the data folder's ``buildings/``, or the live twin's building by its name
    (``GET /buildings`` lists it; the server's own setting chose its file). Nothing outside is
    looked at."""
    ref = doc.get("building")
    if not isinstance(ref, str) or not ref:
        return None  # the scenario schema reports it
    if not _BUILDING_NAME.match(ref) or ".." in ref:
        raise SpecError.single(file, "building", f"{format_value(ref)}: a scenario sent to the server names a "
                                                 "sample building or a building file loaded on the server, not a path")
    path = loaded_building(ref, buildings_dir, live_building)
    if path is not None:  # the live building is resolved in its folder, where only it is admitted
        doc["building"] = path.name
        return path.parent
    if sample_path(ref) is None:
        known = sorted({p.stem for p in buildings_dir.glob("*.y*ml")}) if buildings_dir.is_dir() else []
        raise SpecError.single(file, "building", f"no sample or loaded building {format_value(ref)} "
                                                 f"(samples: {', '.join(sample_names()) or 'none'}; "
                                                 f"loaded: {', '.join(known) or 'none'})")
    return None


def quick_check(data: dict, file: str, base_dir: Path | None,
                roots: tuple[Path, ...] | None = None) -> tuple[Scenario, ModelSpec, Path, int]:
    """The checks that need no building: the scenario's fields, its model, the model's parameters at
    every sweep point, that the building exists (inside ``roots`` when given, see
    :func:`scenarios.spec.building_file`). Milliseconds, whatever the run's size; the full check (the
    parameters against the building) follows in the pool process."""
    scenario, model = scenario_and_model(data, file)
    building = building_file(scenario.building, base_dir, file, roots)
    count = len(sweep_points(scenario, model, file))
    return scenario, model, building, count


FULL_CHECK_MAX_POINTS = 50


def prepare_job(*, library: str | None, document: dict | None, scenarios_dir: Path, buildings_dir: Path,
                overrides: dict[str, Any] | None = None, sweep: dict[str, list[Any]] | None = None,
                replications: int | None = None, seed: int | None = None, name: str | None = None,
                full: bool | None = None, live_building: Path | None = None) -> tuple[RunJob, LoadedScenario | None]:
    """Resolve and check a run request; raise :class:`SpecError` naming every problem.

    ``library`` names a scenario file the server knows; ``document`` is a posted scenario.
    ``overrides`` set fields by dotted path (``params.technicians``), ``sweep`` replaces the
    scenario's sweep, ``replications`` and ``seed`` replace the scenario's. Without ``full`` only
    :func:`quick_check` runs (no building is loaded); with it, the complete
    :func:`scenarios.spec.parse_scenario` too, whose result is returned. By default (``None``) the
    complete check runs when the sweep has at most :data:`FULL_CHECK_MAX_POINTS` points: the
    building comes from a cache, so it costs milliseconds, and a parameter the building refutes
    (an event naming an unknown stair) is a 422 at once rather than a failed run.

    A request names buildings, never paths: a posted scenario's building, or one ``set`` over a
    known scenario, is a sample or a file of the data folder's ``buildings/``; a known scenario's
    own building must lie inside :func:`building_roots`. Nothing elsewhere is opened. The one
    exception is ``live_building``, the live twin's building file from the server's settings: a
    request may name it by its name (its file's stem), wherever the file is.
    """
    if library is not None:
        src = find_scenario(library, scenarios_dir)
        if src is None:
            names = ", ".join(scenario_sources(scenarios_dir)) or "none"
            raise SpecError.single("request", "scenario", f"no scenario named {library!r} (known: {names})")
        data = read_yaml(src.path)
        file, base_dir, source = src.path.name, src.path.parent, src.source
    else:
        data = document
        file, base_dir, source = f"{name or 'posted'}.yaml", None, "posted"
    if not isinstance(data, dict):
        raise SpecError.single(file, "(top level)", f"a scenario is a mapping of fields, got {type(data).__name__}")
    check_nesting(data, file)
    base = _base_scenario(data, source, scenarios_dir)
    data = copy.deepcopy(data)
    for path, value in (overrides or {}).items():
        set_path(data, path, value, file)
    if sweep is not None:
        data["sweep"] = sweep or None
    if overrides or sweep:
        check_nesting(data, file)
    requested = {**data, "building": data.get("building")}  # before a loaded building's name becomes its file's
    if source == "posted" or "building" in (overrides or {}):
        base_dir = _posted_building(data, file, buildings_dir, live_building)
    roots = building_roots(scenarios_dir, buildings_dir, live_building)
    scenario, model, building_path, points = quick_check(data, file, base_dir, roots)
    if full is None:
        full = points <= FULL_CHECK_MAX_POINTS
    loaded = parse_scenario(data, file, base_dir, roots) if full else None
    from scenarios.changes import scenario_changes

    changes = scenario_changes(base, requested, model.params, replications=replications, seed=seed)
    job = RunJob(doc=data, file=file, base_dir=str(base_dir) if base_dir is not None else None,
                 replications=replications or scenario.replications,
                 seed=scenario.seed if seed is None else seed, scenario=scenario.name, model=model.name,
                 building=loaded.building.id if loaded else scenario.building, points=points, source=source,
                 ref=library, building_path=str(building_path.resolve()),
                 building_roots=tuple(str(root) for root in roots), changes=changes)
    return job, loaded


def _known_document(name: str, scenarios_dir: Path | None,
                    sources: Mapping[str, ScenarioSource] | None = None) -> dict | None:
    """The document of the known scenario ``name`` (among ``sources`` when given, the listing
    :func:`scenario_sources` made already); None when there is none or it cannot be read."""
    known = sources.get(name) if sources is not None else find_scenario(name, scenarios_dir)
    if known is None:
        return None
    try:
        found = read_yaml(known.path)
    except SpecError:
        return None
    return found if isinstance(found, dict) else None


def variant_base(data: Any, scenarios_dir: Path | None,
                 sources: Mapping[str, ScenarioSource] | None = None) -> dict | None:
    """The scenario a saved variant is based on (its ``based_on``), as a document; None when the
    document names none, or names one the server does not know (or that cannot be read).
    ``sources``: the scenarios as already listed (a listing of every variant lists them once)."""
    name = data.get("based_on") if isinstance(data, dict) else None
    if not isinstance(name, str) or name == data.get("name"):
        return None
    return _known_document(name, scenarios_dir, sources)


def _base_scenario(data: dict, source: str, scenarios_dir: Path | None) -> dict:
    """The scenario a run's changes are counted from: a saved variant's library scenario
    (``based_on``); a known scenario's own file; for a posted document (the console's edited form),
    the known scenario of the same name, else the document."""
    based_on = variant_base(data, scenarios_dir)
    if based_on is not None:
        return based_on
    if source != "posted" or not isinstance(data.get("name"), str):
        return data
    known = _known_document(data["name"], scenarios_dir)
    return data if known is None else known


# --- the pool process side ----------------------------------------------------------------------
#
# A pool process runs one run at a time. It ends with the server: Linux sends it SIGKILL when its
# parent (the fork server) dies, and a watchdog thread ends it — and the fork server — once the
# server's own process is gone, so a server killed with ``kill -9`` leaves no simulation running.
# While it runs a run it holds the lock of the run's folder (``RUN_DIR/.lock``): a restarted
# server re-runs a run only when no process from before holds it. It stops a run over its
# wall-time budget (from inside the model's clock; failing that, by ending itself) or over its
# memory ceiling (a watchdog on its resident memory, which ends it).

_PROGRESS: Any = None  # the progress queue, set in each pool process by _init_worker

WATCHDOG_INTERVAL_S = 0.5
"""How often a pool process looks whether the server that started it is still there."""
LOCK_WAIT_S = 10.0
"""How long a run waits for its folder's lock (held by a process from before a restart, dying)."""
HARD_STOP_GRACE_S = 60.0
"""After its time budget and this grace, a run that did not stop from inside ends its process."""


class RunFolderBusy(RuntimeError):
    """Another process (one from before a restart) still holds the run's folder."""


def _ready() -> bool:
    return True


def _watch_server(server_pid: int, fork_server_pid: int) -> None:
    """End this pool process, and the fork server that forked it, once the server is gone."""
    while True:
        time.sleep(WATCHDOG_INTERVAL_S)
        if pid_alive(server_pid):
            continue
        if fork_server_pid not in (1, server_pid) and os.getppid() == fork_server_pid:
            try:  # still our parent, so the pid is still the fork server's
                os.kill(fork_server_pid, signal.SIGKILL)
            except OSError:
                pass
        os._exit(1)


def _init_worker(progress_queue: Any, server_pid: int | None = None) -> None:
    global _PROGRESS
    _PROGRESS = progress_queue
    die_with_parent()
    if server_pid is not None:
        threading.Thread(target=_watch_server, args=(server_pid, os.getppid()), name="server-watchdog",
                         daemon=True).start()


class _CancelFlag:
    """Looks like a ``threading.Event`` to the runner; set when the cancel file exists."""

    def __init__(self, path: Path):
        self.path = path

    def is_set(self) -> bool:
        return self.path.exists()


@contextlib.contextmanager
def _run_folder_lock(out: Path, run_id: str):
    """Hold ``out/.lock`` for the run (waiting up to :data:`LOCK_WAIT_S` for a dying holder)."""
    fd = os.open(out / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RunFolderBusy(f"run {run_id}: another process still holds its folder "
                                        f"({out / '.lock'}); not written twice") from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # releases the lock


def folder_locked(out: Path) -> bool:
    """Whether a process holds the lock of the run folder ``out`` right now."""
    lock = out / ".lock"
    if not lock.exists():
        return False
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def _resident_bytes() -> int:
    """This process's resident memory in bytes."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


MEMORY_POLL_S = 0.1
"""How often a pool process looks at its resident memory while it runs a run."""


@contextlib.contextmanager
def _memory_ceiling(out: Path, limit_bytes: int, reason: str):
    """End this process when its resident memory grows more than ``limit_bytes`` beyond what it had
    when the run started; the reason is left in ``out/.stopped`` for the server. (A watchdog on
    the resident size rather than an address-space limit: an interpreter short of address space
    can spin or die in places that cannot raise ``MemoryError``.)"""
    baseline = _resident_bytes()
    done = threading.Event()

    def watch() -> None:
        while not done.wait(MEMORY_POLL_S):
            if _resident_bytes() - baseline > limit_bytes:
                try:
                    (out / ".stopped").write_text(reason + "\n")
                finally:
                    os._exit(71)

    watcher = threading.Thread(target=watch, name="run-memory-ceiling", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()


@contextlib.contextmanager
def _hard_stop(out: Path, time_limit_s: float):
    """End this process if the run is still going :data:`HARD_STOP_GRACE_S` after its time budget
    (a step the model's clock does not see, e.g. the report); the reason is left in ``out/.stopped``."""

    def stop() -> None:
        try:
            (out / ".stopped").write_text(f"stopped after {time_limit_s:g} s: the run's time budget\n")
        finally:
            os._exit(70)

    timer = threading.Timer(time_limit_s + HARD_STOP_GRACE_S, stop)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _execute(run_id: str, job: RunJob, out_dir: str, cancel_path: str, scheduler: str | None = None,
             limits: tuple[float, float] | None = None) -> dict:
    """Run one scenario in a pool process (its replications on the Dask ``scheduler`` if given):
    results folder, then the report. ``limits`` is the run's (time budget in s, memory ceiling in GiB)."""
    from scenarios.backends import RunCancelled, RunOverBudget
    from scenarios.budget import RunBudget
    from scenarios.runner import run_scenario

    out = Path(out_dir)
    cancel = _CancelFlag(Path(cancel_path))
    if cancel.is_set():  # cancelled while it waited in the pool's call queue
        raise RunCancelled(job.scenario)
    budget = RunBudget(*limits) if limits else RunBudget()
    with _run_folder_lock(out, run_id), _hard_stop(out, budget.time_limit_s):
        if cancel.is_set():
            raise RunCancelled(job.scenario)
        # The first message starts the queue's feeder thread: before the memory ceiling, under
        # which a new thread's stack may not fit.
        _PROGRESS.put((run_id, 0, job.size))
        over_memory = f"stopped at {budget.memory_limit_gib:g} GiB: the run's memory ceiling"
        try:
            with _memory_ceiling(out, budget.memory_limit_bytes, over_memory):
                loaded = parse_scenario(job.doc, job.file, Path(job.base_dir) if job.base_dir else None,
                                        tuple(map(Path, job.building_roots)) if job.building_roots else None)
                snapshot = None
                snap_file = out / "snapshot.pickle"
                if job.from_live and snap_file.is_file():
                    snapshot = pickle.loads(snap_file.read_bytes())
                last = [0.0]

                def progress(done: int, total: int) -> None:
                    now = time.monotonic()
                    if done == total or now - last[0] >= 0.2:
                        last[0] = now
                        _PROGRESS.put((run_id, done, total))

                execute = getattr(job, "execute", None)  # another kind of job (the optimiser's) on this pool
                if execute is not None:
                    execute(loaded, out, cancel, progress, scheduler, budget)
                else:
                    # Streamed into the run's folder point by point; what an earlier attempt of this
                    # run left there (a cancel, a restart of the server) is taken up, not run again.
                    resume = (out / "partial" / "manifest.json").is_file()
                    run_scenario(loaded, replications=job.replications, seed=job.seed, workers=1,
                                          scheduler=scheduler, on_progress=progress, cancel=cancel,  # type: ignore[arg-type]
                                          snapshot=snapshot, budget=budget, time_limit_s=budget.time_limit_s,
                                          out=out, resume=resume,
                                          changes=getattr(job, "changes", None) or [])  # a job from before has none
        except MemoryError:
            raise RunOverBudget(over_memory) from None
        report_error = None
        if not (out / "summary.json").is_file():  # an optimiser's search with no plan keeping its promises
            return {"report_error": "no plan kept every promise: no run to report", "building": loaded.building.id}
        try:
            from viewer.report import write_report

            write_report(out)
        except Exception as exc:  # the results stand without their report
            report_error = f"{type(exc).__name__}: {exc}"
    return {"report_error": report_error, "building": loaded.building.id}


# --- the server side ----------------------------------------------------------------------------

class RunLimitError(Exception):
    """A run beyond the server's limits: too many at once (429) or too large (422)."""

    def __init__(self, message: str, *, status: int, field: str):
        super().__init__(message)
        self.status = status
        self.field = field


class RunNotFound(KeyError):
    def __init__(self, run_id: str):
        super().__init__(run_id)
        self.run_id = run_id

    def __str__(self) -> str:
        return f"no run {self.run_id!r}"


@dataclass
class RunRecord:
    """A run as the API shows it."""

    id: str
    status: str
    scenario: str
    model: str
    building: str
    source: str
    ref: str | None
    seed: int
    replications: int
    points: int
    total: int
    done: int
    from_live: bool
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    issues: list[dict] = field(default_factory=list)
    created_by: str | None = None
    report_error: str | None = None
    changes: list[dict] = field(default_factory=list)

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


def _now() -> datetime:
    return datetime.now(timezone.utc)


_COLUMNS = ("id", "status", "scenario", "model", "building", "source", "ref", "seed", "replications", "points",
            "total", "done", "from_live", "created_at", "started_at", "finished_at", "error", "issues",
            "created_by", "report_error", "job", "changes")


class RunStore:
    """Runs as rows of the API's SQLite database."""

    def __init__(self, db_path: Path):
        private_dir(db_path.parent)
        private_database(db_path)  # the API's tokens live in the same file (api.auth)
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute(
            """CREATE TABLE IF NOT EXISTS runs (
                   id TEXT PRIMARY KEY, status TEXT NOT NULL, scenario TEXT, model TEXT, building TEXT,
                   source TEXT, ref TEXT, seed INTEGER, replications INTEGER, points INTEGER, total INTEGER,
                   done INTEGER, from_live INTEGER, created_at TEXT, started_at TEXT, finished_at TEXT,
                   error TEXT, issues TEXT, created_by TEXT, report_error TEXT, job BLOB, changes TEXT)""")
        if "changes" not in {row[1] for row in self._db.execute("PRAGMA table_info(runs)")}:
            self._db.execute("ALTER TABLE runs ADD COLUMN changes TEXT")  # a database from before changes
        self._db.execute("CREATE INDEX IF NOT EXISTS runs_status ON runs(status)")
        # Runs that alarm triggers started (api.triggers): which alarm, and the trigger's cooldown key.
        self._db.execute("CREATE TABLE IF NOT EXISTS trigger_runs (run_id TEXT PRIMARY KEY, trigger TEXT NOT NULL, "
                         "alarm_id TEXT, key TEXT NOT NULL, at_ms INTEGER NOT NULL)")
        self._lock = threading.Lock()
        self._probe: tuple[float, bool] = (-1e9, False)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def insert(self, rec: RunRecord, job: RunJob | None) -> None:
        """A new run's row; ``job`` is None for a run made elsewhere (``twin run``), finished already."""
        if job is not None:
            job = copy.copy(job)
            job.snapshot = None  # kept in the run's folder, not the database
        iso = (lambda t: t.isoformat() if t else None)
        row = (rec.id, rec.status, rec.scenario, rec.model, rec.building, rec.source, rec.ref, rec.seed,
               rec.replications, rec.points, rec.total, rec.done, int(rec.from_live), rec.created_at.isoformat(),
               iso(rec.started_at), iso(rec.finished_at), rec.error, json.dumps(rec.issues), rec.created_by,
               rec.report_error, pickle.dumps(job) if job is not None else None, json.dumps(rec.changes))
        with self._lock:
            self._db.execute(f"INSERT INTO runs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                             row)

    def update(self, run_id: str, **values: Any) -> None:
        if not values:
            return
        cols = []
        args = []
        for key, value in values.items():
            if isinstance(value, datetime):
                value = value.isoformat()
            elif key == "issues":
                value = json.dumps(value)
            elif isinstance(value, bool):
                value = int(value)
            cols.append(f"{key} = ?")
            args.append(value)
        with self._lock:
            self._db.execute(f"UPDATE runs SET {', '.join(cols)} WHERE id = ?", (*args, run_id))

    @staticmethod
    def _record(row: tuple) -> RunRecord:
        d = dict(zip(_COLUMNS, row))
        return RunRecord(
            id=d["id"], status=d["status"], scenario=d["scenario"], model=d["model"], building=d["building"],
            source=d["source"], ref=d["ref"], seed=d["seed"], replications=d["replications"], points=d["points"],
            total=d["total"], done=d["done"], from_live=bool(d["from_live"]),
            created_at=datetime.fromisoformat(d["created_at"]),
            started_at=datetime.fromisoformat(d["started_at"]) if d["started_at"] else None,
            finished_at=datetime.fromisoformat(d["finished_at"]) if d["finished_at"] else None,
            error=d["error"], issues=json.loads(d["issues"] or "[]"), created_by=d["created_by"],
            report_error=d["report_error"], changes=json.loads(d["changes"] or "[]"))

    def get(self, run_id: str) -> RunRecord | None:
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM runs WHERE id = ?", (run_id,)).fetchone()
        return self._record(row) if row else None

    def job(self, run_id: str) -> RunJob | None:
        with self._lock:
            row = self._db.execute("SELECT job FROM runs WHERE id = ?", (run_id,)).fetchone()
        return pickle.loads(row[0]) if row and row[0] else None

    def list(self, *, status: str | None = None, limit: int = 100, offset: int = 0) -> list[RunRecord]:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM runs"
        args: tuple = ()
        if status:
            sql += " WHERE status = ?"
            args = (status,)
        sql += " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._db.execute(sql, (*args, limit, offset)).fetchall()
        return [self._record(r) for r in rows]

    def ids_with_status(self, statuses: tuple[str, ...]) -> list[str]:
        with self._lock:
            rows = self._db.execute(f"SELECT id FROM runs WHERE status IN ({', '.join('?' * len(statuses))}) "
                                    "ORDER BY created_at", statuses).fetchall()
        return [r[0] for r in rows]

    def recent_probe(self, max_age_s: float) -> bool | None:
        """The last probe's answer if it is younger than ``max_age_s``, else None."""
        at, ok = self._probe
        return ok if time.monotonic() - at < max_age_s else None

    def probe_write(self, max_age_s: float = 5.0) -> bool:
        """Whether the database accepts a write (a real write, at most every ``max_age_s``)."""
        now = time.monotonic()
        if now - self._probe[0] < max_age_s:
            return self._probe[1]
        try:
            with self._lock:
                self._db.execute("CREATE TABLE IF NOT EXISTS probe (k TEXT PRIMARY KEY, v TEXT)")
                self._db.execute("INSERT OR REPLACE INTO probe VALUES ('health', ?)", (_now().isoformat(),))
            ok = True
        except sqlite3.Error:
            ok = False
        self._probe = (now, ok)
        return ok

    def add_trigger_run(self, run_id: str, trigger: str, alarm_id: str | None, key: str, at_ms: int) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO trigger_runs VALUES (?, ?, ?, ?, ?)",
                             (run_id, trigger, alarm_id, key, at_ms))

    def trigger_runs(self, trigger: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Runs started by alarm triggers, newest first."""
        sql = "SELECT run_id, trigger, alarm_id, key, at_ms FROM trigger_runs"
        args: tuple = ()
        if trigger is not None:
            sql, args = sql + " WHERE trigger = ?", (trigger,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY at_ms DESC, rowid DESC LIMIT ?", (*args, limit)).fetchall()
        return [{"run": r[0], "trigger": r[1], "alarm": r[2], "key": r[3], "at_ms": r[4]} for r in rows]

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall()
        return dict(rows)


# --- runs made elsewhere: one store for the console and the command line ---------------------------

CLI_SOURCE = "cli"
"""The ``source`` of a run made on the command line (``twin run``, ``twin demo``) or imported."""


def new_run_id(at: datetime | None = None) -> str:
    return f"{(at or _now()):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


class ResultsFolderError(ValueError):
    """A folder that is not a run's results (no readable ``summary.json``)."""


def record_results(folder: Path, data_dir: Path, *, created_by: str | None = None, ref: str | None = None,
                   started_at: datetime | None = None, finished_at: datetime | None = None) -> tuple[RunRecord, Path]:
    """Put a finished run's results folder (``twin run``'s ``summary.json``, ``records/``,
    ``report.html``) into the data directory's run store, where ``GET /runs`` and the console
    list it: a copy under ``DATA_DIR/runs/RUN_ID/`` (so that a later run into the same folder
    does not change what the console shows) and a row in ``DATA_DIR/api.sqlite``. Returns the
    run and its folder in the store. A server using that data directory sees it at once.
    """
    import shutil

    summary_path = folder / "summary.json"
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        scenario, model = summary["scenario"], summary["model"]
        points = len(summary["points"])
        replications = int(summary["replications"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ResultsFolderError(f"{summary_path}: not a run's summary ({type(exc).__name__}: {exc})") from None
    finished = finished_at or datetime.fromtimestamp(summary_path.stat().st_mtime, timezone.utc)
    run_id = new_run_id(finished)
    runs_dir = data_dir / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    target = runs_dir / run_id
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns(".lock", ".cancel", ".stopped", "*.pickle"))
    building = summary.get("building") or {}
    rec = RunRecord(id=run_id, status="done", scenario=str(scenario.get("name", "")), model=str(model),
                    building=str(building.get("id") or scenario.get("building") or ""), source=CLI_SOURCE,
                    ref=ref, seed=int(summary.get("seed") or 0), replications=replications, points=points,
                    total=replications * points, done=replications * points, from_live="live" in summary,
                    created_at=started_at or finished, started_at=started_at or finished, finished_at=finished,
                    created_by=created_by, changes=list(summary.get("changes") or []),
                    report_error=None if (folder / "report.html").is_file() else "no report was written")
    store = RunStore(data_dir / "api.sqlite")
    try:
        store.insert(rec, None)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    finally:
        store.close()
    return rec, target


EventFn = Callable[[dict], None]


PLANNER, FORECAST = "runs", "forecasts"
"""The two lanes of the manager: planners' runs, and forecasts started by live alarms, each on its
own pool so that a forecast never waits behind a planner's sweep."""


def _lane_of(created_by: str | None) -> str:
    return FORECAST if (created_by or "").startswith("trigger:") else PLANNER


class RunManager:
    """Accepts runs, executes them on a process pool, tracks progress, and remembers them.

    Two pools: ``workers`` processes for planners' runs, ``forecast_workers`` reserved for the
    forecasts alarm triggers start (``created_by`` ``trigger:…``, or ``submit(forecast=True)``).
    Every run has a wall-time budget (``time_limit_s``) and a memory ceiling
    (``memory_limit_gib``); a run over either is stopped and marked failed with the reason, and a
    run whose estimated cost could not fit them is refused (:mod:`scenarios.budget`).
    """

    def __init__(self, *, db_path: Path, runs_dir: Path, workers: int = 1, max_concurrent: int = 4,
                 max_size: int = 20_000, on_event: EventFn | None = None,
                 on_finished: Callable[[RunRecord], None] | None = None, scheduler: str | None = None,
                 time_limit_s: float | None = None, memory_limit_gib: float | None = None,
                 forecast_workers: int = 1):
        from scenarios.budget import RunBudget

        self.runs_dir = runs_dir
        self.workers = workers
        self.forecast_workers = forecast_workers
        defaults = RunBudget()
        self.budget = RunBudget(time_limit_s=time_limit_s or defaults.time_limit_s,
                                memory_limit_gib=memory_limit_gib or defaults.memory_limit_gib)
        self.scheduler = scheduler  # a Dask scheduler running the replications, or none
        self.max_concurrent = max_concurrent
        self.max_size = max_size
        self.on_event = on_event
        self.on_finished = on_finished
        self.store = RunStore(db_path)
        # Pool processes fork from a fresh server process that has imported the simulation code
        # once: no fork of this threaded server, no re-run of whatever started it (``__main__``).
        # The runner and the report (pandas, pyarrow, matplotlib: most of a second of CPU) are
        # imported there too, so that a pool process's first run does not import them while the
        # server answers requests on the same cores.
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["api.runs", "scenarios.runner", "viewer.report"])
        self._queue: Any = None
        self._pools: dict[str, ProcessPoolExecutor | None] = {PLANNER: None, FORECAST: None}
        self._lanes: dict[str, str] = {}
        self._requeued: dict[str, int] = {}
        self._futures: dict[str, Future] = {}
        self._progress: dict[str, tuple[int, int]] = {}
        self._started: set[str] = set()
        self._lock = threading.RLock()
        self._reader: threading.Thread | None = None
        self._closing = False

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Open the pool and put back in the queue whatever a previous server left unfinished."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self._queue = self._ctx.Queue()
        # A pool process killed while it sends progress (its memory ceiling, a stop) can die holding
        # the queue's write lock; this process's feeder thread then waits for that lock forever, and
        # Python joins feeder threads at exit: the server would never exit. Progress still unsent
        # when the server stops is of no use to anyone, so exit does not wait for it.
        self._queue.cancel_join_thread()
        self._closing = False
        self._reader = threading.Thread(target=self._read_progress, name="run-progress", daemon=True)
        self._reader.start()
        # Start the pool's first process now (the fork server imports the simulation code once),
        # so that the first run submitted does not wait for it.
        self._warming = threading.Thread(target=self._warm_up, name="run-pool-warm-up", daemon=True)
        self._warming.start()
        wait_until = time.monotonic() + 3.0  # for processes of a killed server to die
        for run_id in self.store.ids_with_status(ACTIVE):
            job = self.store.job(run_id)
            if job is None:
                self.store.update(run_id, status="failed", error="run request lost", finished_at=_now())
                continue
            out = self.runs_dir / run_id
            while folder_locked(out) and time.monotonic() < wait_until:
                time.sleep(0.1)
            if folder_locked(out):
                self.store.update(run_id, status="failed", finished_at=_now(),
                                  error="a process from before the restart still holds this run's folder; "
                                        "not run twice into the same folder")
                continue
            self.store.update(run_id, status="queued", done=0, started_at=None)
            log.info("run %s: queued again after a restart", run_id)
            rec = self.store.get(run_id)
            self._submit(run_id, job, _lane_of(rec.created_by if rec else None))

    def stop(self) -> None:
        """Stop the pool without marking unfinished runs: the next start queues them again."""
        self._closing = True
        # A pool process being started reads its queue's locks from this process after the fork
        # server forked it: let the warm-up's start finish before those locks go (else the new
        # process dies printing a FileNotFoundError traceback into the server's output).
        warming = getattr(self, "_warming", None)
        if warming is not None and warming is not threading.current_thread():
            warming.join(timeout=30)
        with self._lock:
            pools = [p for p in self._pools.values() if p is not None]
            self._pools = {PLANNER: None, FORECAST: None}
            self._futures.clear()
        processes = [proc for pool in pools for proc in list((getattr(pool, "_processes", None) or {}).values())]
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            if proc.is_alive():
                proc.terminate()
        for proc in processes:
            proc.join(timeout=5)
        if self._queue is not None:
            self._queue.put(None)
            if self._reader is not None:
                self._reader.join(timeout=5)
            self._queue.close()
            self._queue = None
        self.store.close()

    def _start_fork_server(self) -> None:
        """Start the fork server that forks the pool processes, with Ctrl-C blocked: a Ctrl-C at the
        terminal reaches every process of its group, and the server stops its pool itself; the fork
        server (importing the simulation code for seconds) and the processes it forks would each
        print a KeyboardInterrupt traceback. (The mask is inherited through exec and fork.)"""
        from multiprocessing import forkserver

        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            forkserver.ensure_running()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _warm_up(self) -> None:
        try:
            self._ensure_pool(PLANNER).submit(_ready).result(timeout=120)
            self._ensure_pool(FORECAST).submit(_ready).result(timeout=120)
        except Exception:  # a pool that cannot start shows in the first run's status
            if not self._closing:  # (stopping while it warms up is no news)
                log.warning("the run pool did not warm up", exc_info=True)

    def _ensure_pool(self, lane: str = PLANNER) -> ProcessPoolExecutor:
        with self._lock:
            if self._closing:
                raise RuntimeError("the run manager has stopped")
            pool = self._pools[lane]
            if pool is None:
                self._start_fork_server()
                size = self.forecast_workers if lane == FORECAST else self.workers
                # Pool processes watch this server's pid: they end (and their fork server) with it.
                pool = self._pools[lane] = ProcessPoolExecutor(max_workers=size, mp_context=self._ctx,
                                                               initializer=_init_worker,
                                                               initargs=(self._queue, os.getpid()))
            return pool

    # --- accepting runs ---------------------------------------------------------------------

    def active_count(self, lane: str | None = None) -> int:
        with self._lock:
            return sum(1 for rid, f in self._futures.items()
                       if not f.done() and (lane is None or self._lanes.get(rid, PLANNER) == lane))

    def check_limits(self, job: RunJob, *, forecast: bool = False) -> None:
        """Raise :class:`RunLimitError` for a run too large or when too many are under way.

        Too large: more replications × sweep points than the server's limit, a horizon beyond the
        model's, or an estimated cost beyond the run's time budget or memory ceiling (422, naming
        the field, its value and the bound). Too many: the runs under way in the run's lane (429;
        forecasts started by alarms are counted apart from planners' runs)."""
        if job.size > self.max_size:
            raise RunLimitError(f"{job.replications} replications × {job.points} sweep points = {job.size} "
                                f"replications, more than this server's limit of {self.max_size}",
                                status=422, field="replications")
        self._check_budget(job)
        lane = FORECAST if forecast else PLANNER
        if self.active_count(lane) >= self.max_concurrent:
            what = "forecasts" if forecast else "runs"
            raise RunLimitError(f"{self.max_concurrent} {what} are already queued or running (the limit); "
                                "wait for one to finish or cancel one", status=429, field="runs")

    def _check_budget(self, job: RunJob) -> None:
        """The run's estimated cost against its budget (:func:`scenarios.budget.check_run`)."""
        from scenarios.budget import RunBudgetError, check_run
        from scenarios.spec import building_and_graph

        if job.budget_checked == self.budget:  # checked when the request was, before submit
            return
        try:
            scenario, model = scenario_and_model(job.doc, job.file)
            points = sweep_points(scenario, model, job.file)
            building = None
            if model.cost is not None and job.building_path:
                try:
                    building, _ = building_and_graph(job.building_path)
                except (SpecError, OSError):
                    building = None  # the full check in the pool process says why
            check_run(model, [p.params for p in points], replications=job.replications,
                      horizon_s=scenario.horizon_s, building=building, file=job.file, budget=self.budget,
                      streamed=True)  # every API run streams into its folder point by point
        except RunBudgetError as exc:
            raise RunLimitError(f"{exc.field}: {exc.issues[0].message}", status=422, field=exc.field) from None
        job.budget_checked = self.budget

    def submit(self, job: RunJob, created_by: str | None = None, *, forecast: bool | None = None) -> RunRecord:
        """Accept a checked run: a row in the database, a folder, a place in its pool's queue.

        ``forecast`` puts it on the pool reserved for alarm-started forecasts (by default, runs
        created by ``trigger:…``)."""
        lane = _lane_of(created_by) if forecast is None else (FORECAST if forecast else PLANNER)
        with self._lock:
            self.check_limits(job, forecast=lane == FORECAST)
            run_id = f"{_now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
            rec = RunRecord(id=run_id, status="queued", scenario=job.scenario, model=job.model,
                            building=job.building, source=job.source, ref=job.ref, seed=job.seed,
                            replications=job.replications, points=job.points, total=job.size, done=0,
                            from_live=job.from_live, created_at=_now(), created_by=created_by,
                            changes=list(getattr(job, "changes", None) or []))
            out = self.runs_dir / run_id
            out.mkdir(parents=True, exist_ok=True)
            if job.snapshot is not None:
                (out / "snapshot.pickle").write_bytes(pickle.dumps(job.snapshot))
            self.store.insert(rec, job)
            self._submit(run_id, job, lane)
        self._emit(rec)
        return rec

    def _submit(self, run_id: str, job: RunJob, lane: str = PLANNER) -> None:
        out = self.runs_dir / run_id
        out.mkdir(parents=True, exist_ok=True)
        (out / ".stopped").unlink(missing_ok=True)
        cancel = out / ".cancel"
        job = copy.copy(job)
        job.snapshot = None
        limits = (self.budget.time_limit_s, self.budget.memory_limit_gib)
        args = (_execute, run_id, job, str(out), str(cancel), self.scheduler, limits)
        with self._lock:
            self._progress[run_id] = (0, job.size)
            self._lanes[run_id] = lane
            try:
                future = self._ensure_pool(lane).submit(*args)
            except BrokenProcessPool:
                self._pools[lane] = None
                future = self._ensure_pool(lane).submit(*args)
            self._futures[run_id] = future
        future.add_done_callback(lambda f, rid=run_id: self._finished(rid, f))

    # --- following runs ---------------------------------------------------------------------

    def _read_progress(self) -> None:
        q = self._queue
        while True:
            try:
                item = q.get(timeout=1.0)
            except queue.Empty:
                if self._closing:
                    return
                continue
            except (EOFError, OSError, ValueError):
                return
            if item is None:
                return
            try:
                self._on_progress(*item)
            except Exception:  # a listener's fault must not stop progress reporting
                log.exception("run progress")

    def _on_progress(self, run_id: str, done: int, total: int) -> None:
        with self._lock:
            if run_id not in self._futures:
                return  # finished already; its final state is in the database
            self._progress[run_id] = (done, total)
            starting = run_id not in self._started
            self._started.add(run_id)
        if starting:
            self.store.update(run_id, status="running", started_at=_now(), total=total)
        self._emit(self.get(run_id))

    def _finished(self, run_id: str, future: Future) -> None:
        if self._closing:
            return
        from scenarios.runner import RunCancelled, RunOverBudget

        values: dict[str, Any] = {"finished_at": _now()}
        try:
            outcome = future.result()
            values.update(status="done", report_error=outcome.get("report_error"))
            if outcome.get("building"):
                values["building"] = outcome["building"]
            with self._lock:
                total = self._progress.get(run_id, (0, 0))[1]
            values["done"] = total
        except (CancelledError, RunCancelled):
            values.update(status="cancelled")
        except (RunOverBudget, RunFolderBusy) as exc:
            values.update(status="failed", error=str(exc))
        except SpecError as exc:
            values.update(status="failed", error=str(exc), issues=[i.as_dict() for i in exc.issues])
        except BrokenProcessPool:
            with self._lock:
                lane = self._lanes.get(run_id, PLANNER)
                if self._pools.get(lane) is not None and getattr(self._pools[lane], "_broken", False):
                    self._pools[lane] = None
                never_started = run_id not in self._started
                retries = self._requeued.get(run_id, 0)
            stopped = self.runs_dir / run_id / ".stopped"
            reason = stopped.read_text().strip() if stopped.is_file() else ""
            job = self.store.job(run_id) if not reason and never_started and retries < 2 else None
            if job is not None:
                # It waited in a pool another run broke (stopped over its memory or time): again.
                with self._lock:
                    self._futures.pop(run_id, None)
                    self._requeued[run_id] = retries + 1
                log.info("run %s: queued again, the pool it waited in stopped", run_id)
                self._submit(run_id, job, lane)
                return
            values.update(status="failed", error=reason or "the process running this simulation died")
        except Exception as exc:
            log.warning("run %s failed: %s", run_id, exc, exc_info=exc)
            values.update(status="failed", error=f"{type(exc).__name__}: {exc}")
        with self._lock:
            self._futures.pop(run_id, None)
            self._lanes.pop(run_id, None)
            self._requeued.pop(run_id, None)
            self._started.discard(run_id)
            done, total = self._progress.pop(run_id, (0, 0))
        if values["status"] != "done":
            values["done"] = done
        rec = self.get(run_id)
        if rec.started_at is None:
            values["started_at"] = values["finished_at"]
        self.store.update(run_id, **values)
        rec = self.get(run_id)
        self._emit(rec)
        if self.on_finished is not None:
            try:
                self.on_finished(rec)
            except Exception:
                log.exception("run finished hook")

    def _emit(self, rec: RunRecord) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event({"type": "run", "id": rec.id, "status": rec.status, "scenario": rec.scenario,
                           "done": rec.done, "total": rec.total})
        except Exception:
            log.exception("run event listener")

    # --- looking at runs --------------------------------------------------------------------

    def get(self, run_id: str) -> RunRecord:
        rec = self.store.get(run_id)
        if rec is None:
            raise RunNotFound(run_id)
        with self._lock:
            live = self._progress.get(run_id)
        if live is not None and rec.status in ACTIVE:
            rec.done, rec.total = live
        return rec

    def list(self, *, status: str | None = None, limit: int = 100, offset: int = 0) -> list[RunRecord]:
        records = self.store.list(status=status, limit=limit, offset=offset)
        with self._lock:
            for rec in records:
                live = self._progress.get(rec.id)
                if live is not None and rec.status in ACTIVE:
                    rec.done, rec.total = live
        return records

    def cancel(self, run_id: str) -> RunRecord:
        """Cancel a queued or running run (a finished one is left as it is)."""
        rec = self.get(run_id)
        if rec.status in FINISHED:
            return rec
        (self.runs_dir / run_id).mkdir(parents=True, exist_ok=True)
        (self.runs_dir / run_id / ".cancel").touch()
        with self._lock:
            future = self._futures.get(run_id)
            started = run_id in self._started
        if future is not None:
            # Succeeds while it waits in the pool's queue. Once handed to a pool process (the
            # future is then "running" although the run may still wait in the call queue), the
            # flag file stops it: before it starts, or from inside its replication within a second.
            if not future.cancel() and not started and rec.status == "queued":
                self.store.update(run_id, status="cancelled", finished_at=_now())
        elif rec.status in ACTIVE:
            self.store.update(run_id, status="cancelled", finished_at=_now())
        return self.get(run_id)

    def resume(self, run_id: str) -> RunRecord:
        """Queue a cancelled or failed run again from the sweep points it had finished (its folder's
        ``partial/``): only the rest run. A run with nothing to resume raises :class:`RunLimitError`."""
        with self._lock:
            rec = self.get(run_id)
            if rec.status not in ("cancelled", "failed"):
                raise RunLimitError(f"run {run_id} is {rec.status}: only a cancelled or failed run can be resumed",
                                    status=409, field="status")
            out = self.runs_dir / run_id
            if not (out / "partial" / "manifest.json").is_file():
                raise RunLimitError(f"run {run_id} left no finished sweep points to resume from; submit it again",
                                    status=409, field="status")
            job = self.store.job(run_id)
            if job is None:
                raise RunLimitError(f"run {run_id}: its request is lost; submit it again", status=409, field="status")
            lane = _lane_of(rec.created_by)
            self.check_limits(job, forecast=lane == FORECAST)
            (out / ".cancel").unlink(missing_ok=True)
            self.store.update(run_id, status="queued", error=None, finished_at=None, started_at=None, done=0)
            self._submit(run_id, job, lane)
        rec = self.get(run_id)
        self._emit(rec)
        return rec

    def results_dir(self, run_id: str) -> Path:
        self.get(run_id)
        return self.runs_dir / run_id

    def wait(self, run_id: str, timeout: float = 60.0) -> RunRecord:
        """Block until a run has finished (for tests and scripts in-process)."""
        deadline = time.monotonic() + timeout
        while True:
            rec = self.get(run_id)
            if rec.status in FINISHED or time.monotonic() > deadline:
                return rec
            time.sleep(0.05)
