"""The runner: replications of a scenario, in parallel, with reproducible seeds.

Each replication gets its own ``numpy.random.Generator`` from the scenario seed through
``SeedSequence.spawn`` — replication *r* of every sweep point uses the same child seed (common
random numbers) — and its own SimPy environment. Replications run inline, on a local process
pool (``workers=N``) or on a Dask distributed cluster (``scheduler="tcp://HOST:PORT"``, the
``twin run --scheduler`` option; see :mod:`scenarios.backends`); results are put back in
replication order, so the same seed gives the same ``summary.json``, byte for byte, whatever
the back end and the number of workers.

To scale a sweep out, start a scheduler and workers on machines that have this package
installed (``dask scheduler``; ``dask worker tcp://HOST:8786`` on each machine) and point the
run at the scheduler. The building and its graph are scattered to every worker once; each
replication is one task.

The results folder holds ``summary.json`` (every KPI with mean, 95 % CI, p50, p95 and unit),
``records/<table>.parquet`` (the model's per-entity records with ``point`` and ``replication``
columns) and ``report.html`` (written by the viewer; the runner does not draw).

Runs always end. Before any replication the run's estimated cost is checked against its budget
(:mod:`scenarios.budget`: a run that could not finish is refused with the field, value and
bound); while it runs, a :class:`~scenarios.backends.RunGuard` stops it from inside the model's
clock when it is cancelled (:class:`RunCancelled`) or over its wall-time budget
(:class:`RunOverBudget`). The summary also carries the model's ``warnings`` about parameters that
leave the run with little to say (an alarm after the horizon) and ``notes`` on what the
replications show as a whole (nobody moved).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from models import ReplicationResult
from models.live import live_conditions
from models.stats import summarise
from scenarios import backends
from scenarios.backends import (Replication, RunCancelled, RunGuard, RunnerError, RunOverBudget, RunStopped,
                                SharedInputs)
from scenarios.budget import RunBudget, check_run
from scenarios.spec import LoadedScenario

__all__ = ["RunCancelled", "RunOverBudget", "RunStopped", "RunResult", "RunnerError", "run_scenario",
           "replication_seeds", "write_results", "build_summary", "apply_live", "check_budget"]

ProgressFn = Callable[[int, int], None]


@dataclass
class RunResult:
    """A finished run: its summary and its record tables (one DataFrame per table)."""

    summary: dict
    records: dict[str, pd.DataFrame] = field(default_factory=dict)
    out: Path | None = None


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """One child seed sequence per replication, the same for every sweep point."""
    return np.random.SeedSequence(seed).spawn(replications)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return _json_safe(value.item())
    return value


def apply_live(loaded: LoadedScenario, snapshot: Any) -> tuple[dict[int, BaseModel], dict | None]:
    """Each sweep point's parameters adjusted to a live snapshot, and the summary's ``live`` section.

    Without a snapshot the parameters are the scenario's and there is no section. With one, the
    model's ``from_live`` (if it has one) adjusts every point; the section records when the
    snapshot was taken, what it found out of service and in alarm, and the model's notes.
    """
    params = {p.index: p.params for p in loaded.points}
    if snapshot is None:
        return params, None
    spec = loaded.model
    cond = live_conditions(snapshot, loaded.building)
    notes: list[str] = []
    if spec.from_live is None:
        notes.append(f"the {spec.name} model takes no initial conditions from the live twin; "
                     "the scenario runs as written")
    else:
        for point in loaded.points:
            adjusted, point_notes = spec.from_live(point.params, cond, loaded.building)
            params[point.index] = adjusted
            notes.extend(n for n in point_notes if n not in notes)
    section = {
        "building_id": getattr(snapshot, "building_id", loaded.building.id),
        "taken_at": cond.taken_at.isoformat() if cond.taken_at else None,
        "out_of_service": {d: cond.reasons.get(d, "") for d in cond.out_of_service},
        "lifts_out": list(cond.lifts_out),
        "fire_floors": list(cond.fire_floors),
        "open_alarms": len(cond.open_alarms),
        "notes": notes,
    }
    return params, section


def build_summary(loaded: LoadedScenario, seed: int, replications: int,
                  results: dict[tuple[int, int], ReplicationResult],
                  params: dict[int, BaseModel] | None = None, live: dict | None = None) -> dict:
    """The summary of a run: scenario, model, seed, parameters and every KPI across replications.

    ``params`` replaces the points' parameters (as adjusted by :func:`apply_live`); ``live`` is
    the section saying which live conditions the run started from.
    """
    spec = loaded.model
    points = []
    findings: dict[int, dict[str, str]] = {}  # sweep point -> the model's findings (name -> note)
    for point in loaded.points:
        kpis = {}
        for kpi in spec.kpis:
            values = [float(results[(point.index, r)].kpis.get(kpi.name, math.nan)) for r in range(replications)]
            kpis[kpi.name] = {"unit": kpi.unit, "description": kpi.description, "better": kpi.better,
                              **summarise(values).as_dict()}
        point_params = params[point.index] if params else point.params
        entry = {"point": point.index, "set": point.assignments,
                 "parameters": point_params.model_dump(mode="json"), "kpis": kpis}
        if spec.review is not None:
            found = dict(spec.review([dict(results[(point.index, r)].kpis) for r in range(replications)]))
            if found:
                findings[point.index] = found
                entry["notes"] = list(found.values())
        points.append(entry)
    sc = loaded.scenario
    summary = {
        "scenario": {"name": sc.name, "description": sc.description, "file": loaded.file, "building": sc.building},
        "model": spec.name,
        "model_title": spec.title,
        "building": {"id": loaded.building.id, "name": loaded.building.name},
        "seed": seed,
        "replications": replications,
        "horizon_s": sc.horizon_s,
        "parameters": points[0]["parameters"],
        "sweep": sc.sweep,
        "points": points,
    }
    if live is not None:
        summary["live"] = live
    warnings = _warnings(loaded, params)
    if warnings:
        summary["warnings"] = warnings
    if any(p.get("notes") for p in points):
        # The run's notes: each point's, said once when every point has it, else with its point.
        notes: list[str] = []
        for p in points:
            for note in p.get("notes", []):
                text = note if all(note in q.get("notes", []) for q in points) else f"sweep point {p['point']}: {note}"
                if text not in notes:
                    notes.append(text)
        summary["notes"] = notes
        for name in dict.fromkeys(name for found in findings.values() for name in found):
            summary[name] = all(name in findings.get(p["point"], {}) for p in points)
    if len(points) == 1:
        summary["kpis"] = points[0]["kpis"]
    return _json_safe(summary)


def _warnings(loaded: LoadedScenario, params: dict[int, BaseModel] | None = None) -> list[str]:
    """The model's warnings about the parameters of every sweep point (once each)."""
    spec = loaded.model
    if spec.advise is None:
        return []
    found: list[str] = []
    for point in loaded.points:
        point_params = params[point.index] if params else point.params
        for text in spec.advise(point_params, loaded.scenario.horizon_s, loaded.building):
            text = text if len(loaded.points) == 1 else f"{text} (sweep point {point.index})"
            if text not in found:
                found.append(text)
    return found


def check_budget(loaded: LoadedScenario, *, replications: int | None = None, budget: RunBudget | None = None,
                 workers: int = 1) -> None:
    """Refuse a run that could not finish within ``budget`` (:class:`scenarios.budget.RunBudgetError`,
    a :class:`~twin.errors.SpecError` naming the field, its value and the bound)."""
    check_run(loaded.model, [p.params for p in loaded.points],
              replications=replications or loaded.scenario.replications, horizon_s=loaded.scenario.horizon_s,
              building=loaded.building, file=loaded.file, budget=budget, workers=workers)


def _record_tables(results: dict[tuple[int, int], ReplicationResult]) -> dict[str, pd.DataFrame]:
    """The models' tables, plus ``kpis``: one row per replication with every KPI's value."""
    rows: dict[str, list[dict]] = {"kpis": [{"point": point, "replication": rep, **dict(results[(point, rep)].kpis)}
                                            for (point, rep) in sorted(results)]}
    for (point, rep) in sorted(results):
        for table, records in results[(point, rep)].records.items():
            bucket = rows.setdefault(table, [])
            for rec in records:
                bucket.append({"point": point, "replication": rep, **rec})
    return {table: pd.DataFrame.from_records(r) for table, r in rows.items()}


def write_results(result: RunResult, out: Path) -> Path:
    """Write ``summary.json`` and ``records/*.parquet`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(result.summary, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    rec_dir = out / "records"
    rec_dir.mkdir(exist_ok=True)
    for old in rec_dir.glob("*.parquet"):
        old.unlink()
    for table, frame in result.records.items():
        frame.to_parquet(rec_dir / f"{table}.parquet", index=False)
    result.out = out
    return out


def run_scenario(loaded: LoadedScenario, *, replications: int | None = None, seed: int | None = None,
                 workers: int = 1, out: Path | None = None, progress: bool = False,
                 on_progress: ProgressFn | None = None, cancel: threading.Event | None = None,
                 snapshot: Any = None, scheduler: str | None = None, budget: RunBudget | None = None,
                 time_limit_s: float | None = None) -> RunResult:
    """Run every replication of every sweep point and summarise; write the results folder if ``out``.

    Replications run inline (``workers=1``), on a local pool of ``workers`` processes, or, given
    ``scheduler`` (``tcp://HOST:PORT``), on that Dask cluster's workers (``workers`` is then
    ignored; an unreachable scheduler raises :class:`RunnerError`). ``progress`` shows a progress
    bar on the terminal; ``on_progress(done, total)`` is called after each replication; setting
    ``cancel`` stops the run (pending replications are dropped) and raises :class:`RunCancelled`.
    ``snapshot`` (a live twin snapshot) adjusts the parameters through the model's ``from_live``
    (:func:`apply_live`) and reaches every replication's context.

    Before anything runs, the run's estimated cost is checked against ``budget`` (the default
    :class:`~scenarios.budget.RunBudget` when None; :func:`check_budget`). ``time_limit_s`` stops
    the run with :class:`RunOverBudget` once it has run that long (checked inside replications
    that run in this process, and between batches on the other back ends); a cancel is seen
    inside a replication too, within a fraction of a second.
    """
    n = replications or loaded.scenario.replications
    s = loaded.scenario.seed if seed is None else seed
    seeds = replication_seeds(s, n)
    params, live = apply_live(loaded, snapshot)
    tasks = [Replication(point.index, rep, params[point.index], seeds[rep])
             for point in loaded.points for rep in range(n)]
    guard = RunGuard(loaded.scenario.name, cancel=cancel, time_limit_s=time_limit_s)
    guard.check(force=True)
    check_budget(loaded, replications=n, budget=budget, workers=1 if scheduler else workers)
    shared = SharedInputs(loaded.model.name, loaded.scenario.horizon_s, loaded.building, loaded.graph, snapshot)
    results: dict[tuple[int, int], ReplicationResult] = {}

    bar = _ProgressBar(f"{loaded.scenario.name} ({loaded.model.name})", len(tasks)) if progress else None
    if scheduler:
        batches = backends.on_dask(tasks, shared, scheduler=scheduler)
    elif workers > 1:
        batches = backends.on_local_pool(tasks, shared, workers=workers)
    else:
        batches = backends.inline(tasks, shared, guard)
    try:
        for batch in batches:
            for key, replication_result in batch:
                results[key] = replication_result
                if bar:
                    bar.advance()
                if on_progress:
                    on_progress(len(results), len(tasks))
            guard.check(force=True)  # raises RunCancelled or RunOverBudget
    finally:
        batches.close()  # cancels what is still pending
        if bar:
            bar.close()

    result = RunResult(summary=build_summary(loaded, s, n, results, params, live), records=_record_tables(results))
    if out is not None:
        write_results(result, Path(out))
    return result


class _ProgressBar:
    """A rich progress bar on stderr (replications done / total, elapsed, remaining)."""

    def __init__(self, label: str, total: int):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

        self._progress = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True),
                                  transient=False)
        self._progress.start()
        self._task = self._progress.add_task(label, total=total)

    def advance(self) -> None:
        self._progress.advance(self._task)

    def close(self) -> None:
        self._progress.stop()
