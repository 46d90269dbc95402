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

The results folder holds ``summary.json`` (every KPI with its label and unit in both languages, its
mean and 95 % interval — the kind of interval its ``kind`` calls for, :mod:`models.stats` — p50,
p95, how many replications the horizon cut off, and its target's verdict, :mod:`scenarios.verdicts`),
``records/<table>.parquet`` (the model's per-entity records with ``point`` and ``replication``
columns) and ``report.html`` (written by the viewer; the runner does not draw).

Runs always end. Before any replication the run's estimated cost is checked against its budget
(:mod:`scenarios.budget`: a run that could not finish is refused with the field, value and
bound); while it runs, a :class:`~scenarios.backends.RunGuard` stops it from inside the model's
clock when it is cancelled (:class:`RunCancelled`) or over its wall-time budget
(:class:`RunOverBudget`). The summary also carries the model's ``warnings`` about parameters that
leave the run with little to say (an alarm after the horizon) and ``notes`` on what the
replications show as a whole (nobody moved), both in both languages; its ``flags`` name the
model's findings (``overloaded``: a queue whose offered load reaches its capacity) and
``censored`` (a replication the horizon cut off: the run did not finish).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from models import ReplicationResult
from models.harness import KPI, ModelSpec, Target
from models.live import live_conditions
from models.stats import summarise
from models.units import UNITS
from scenarios import backends
from scenarios.backends import (Replication, RunCancelled, RunGuard, RunnerError, RunOverBudget, RunStopped,
                                SharedInputs)
from scenarios.budget import RunBudget, check_run
from scenarios.records import RecordTables, TableParts, table_part
from scenarios.spec import LoadedScenario
from scenarios.stream import ResumeError, SweepStore, manifest_of
from scenarios.verdicts import target_dict, verdict
from twin.text import LANGUAGES, missing_languages, pick, text

__all__ = ["RunCancelled", "RunOverBudget", "RunStopped", "RunResult", "RunnerError", "run_scenario",
           "run_replications", "replication_seeds", "write_results", "build_summary", "apply_live", "check_budget",
           "as_text", "point_digest", "summary_from_digests"]

ProgressFn = Callable[[int, int], None]


@dataclass
class RunResult:
    """A finished run: its summary and its record tables (a DataFrame per table, built when read:
    :class:`scenarios.records.RecordTables`)."""

    summary: dict
    records: Mapping[str, Any] = field(default_factory=dict)
    out: Path | None = None


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """One child seed sequence per replication, the same for every sweep point."""
    return np.random.SeedSequence(seed).spawn(replications)


def json_safe(value: Any) -> Any:
    """The value with NaN and infinities as None and numpy numbers as Python ones: what JSON can hold."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return json_safe(value.item())
    return value


def as_text(words: Any, model: str = "") -> dict[str, str]:
    """A model's note or warning as :data:`~twin.text.Text` (a plain dict). A note in one language
    only is a programming error of the model, refused here rather than shown in English to a
    reader who asked for Chinese."""
    missing = missing_languages(words)
    if missing:
        raise TypeError(f"model {model!r}: a note or warning needs en and zh-CN (twin.text.text); "
                        f"{words!r} lacks {', '.join(missing)}")
    return {str(k): str(v) for k, v in words.items()}


def _with_point(words: Mapping[str, str], index: int) -> dict[str, str]:
    """A note or warning said of one sweep point: ``… (sweep point 2)`` / ``…（扫描点 2）``."""
    return {code: (f"{said} (sweep point {index})" if code == "en" else f"{said}（扫描点 {index}）")
            for code, said in words.items()}


def apply_live(loaded: LoadedScenario, snapshot: Any) -> tuple[dict[int, BaseModel], dict | None]:
    """Each sweep point's parameters adjusted to a live snapshot, and the summary's ``live`` section.

    Without a snapshot the parameters are the scenario's and there is no section. With one, the
    model's ``from_live`` (if it has one) adjusts every point; the section records when the
    snapshot was taken, what it found out of service and in alarm, and the model's notes (Text).
    """
    params = {p.index: p.params for p in loaded.points}
    if snapshot is None:
        return params, None
    spec = loaded.model
    cond = live_conditions(snapshot, loaded.building)
    notes: list[dict[str, str]] = []
    if spec.from_live is None:
        notes.append(text(f"the {spec.name} model takes no initial conditions from the live twin; the scenario runs "
                          "as written", f"{spec.name} 模型不从实时孪生读取初始条件；情景按原样运行"))
    else:
        for point in loaded.points:
            adjusted, point_notes = spec.from_live(point.params, cond, loaded.building)
            params[point.index] = adjusted
            notes.extend(n for n in (as_text(w, spec.name) for w in point_notes) if n not in notes)
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


CENSOR_COUNT_KPI = "still_inside"
"""A model whose replications can be cut off by the horizon reports under this name how many people
were still inside then; the run's warning says how many."""


def _kpi_entry(kpi: KPI, target: Target | None, reps: list[ReplicationResult]) -> dict:
    """One KPI over a sweep point's replications, as the summary contract gives it."""
    values = [float(rep.kpis.get(kpi.name, math.nan)) for rep in reps]
    stats = summarise(values, kpi.kind)
    censored = [kpi.name in rep.censored for rep in reps]
    where = {r: rep.where.get(kpi.name) for r, rep in enumerate(reps) if rep.where.get(kpi.name)}
    return {
        "unit": kpi.unit,
        "unit_label": dict(UNITS.get(kpi.unit) or {code: kpi.unit for code in LANGUAGES}),
        "label": dict(kpi.label),
        "description": dict(kpi.description),
        "kind": kpi.kind,
        "better": kpi.better,
        **stats.as_dict(),
        "censored": sum(censored),
        "target": target_dict(target),
        "verdict": verdict(kpi, target, values, low=stats.ci95_low, high=stats.ci95_high, mean=stats.mean,
                           censored=censored, where=where),
    }


def point_digest(loaded: LoadedScenario, point: Any, reps: Sequence[ReplicationResult],
                 params: Mapping[int, BaseModel] | None = None) -> dict:
    """What the summary keeps of one sweep point's replications (its entry in ``points``, the
    model's findings, the replications the horizon cut off), as plain JSON data: a streamed sweep
    writes it to disk when the point finishes and drops the replications (:mod:`scenarios.stream`)."""
    spec = loaded.model
    sc = loaded.scenario
    kpis = {kpi.name: _kpi_entry(kpi, sc.target_of(kpi), list(reps)) for kpi in spec.kpis}
    point_params = params[point.index] if params else point.params
    entry = {"point": point.index, "set": point.assignments,
             "parameters": point_params.model_dump(mode="json"), "kpis": kpis}
    found: dict[str, dict[str, str]] = {}
    if spec.review is not None:
        found = {name: as_text(note, spec.name) for name, note in spec.review(list(reps)).items()}
    if found:
        entry["notes"] = list(found.values())
    entry["flags"] = [*found, *(["censored"] if any(rep.censored for rep in reps) else [])]
    order = [k.name for k in spec.kpis]
    cut_off = [[r, [n for n in order if n in rep.censored] + sorted(set(rep.censored) - set(order)),
                rep.kpis.get(CENSOR_COUNT_KPI)] for r, rep in enumerate(reps) if rep.censored]
    # Through JSON here, whichever way the run goes: a digest read back from disk is the same data.
    return json.loads(json.dumps(json_safe({"entry": entry, "found": found, "cut_off": cut_off}), allow_nan=False))


def build_summary(loaded: LoadedScenario, seed: int, replications: int,
                  results: dict[tuple[int, int], ReplicationResult],
                  params: dict[int, BaseModel] | None = None, live: dict | None = None) -> dict:
    """The summary of a run: scenario, model, seed, parameters and every KPI across replications,
    with its interval, target and verdict (the summary contract: ``.notes/SESSION10.md``).

    ``params`` replaces the points' parameters (as adjusted by :func:`apply_live`); ``live`` is
    the section saying which live conditions the run started from.
    """
    digests = [point_digest(loaded, point, [results[(point.index, r)] for r in range(replications)], params)
               for point in loaded.points]
    return summary_from_digests(loaded, seed, replications, digests, params, live)


def summary_from_digests(loaded: LoadedScenario, seed: int, replications: int, digests: Sequence[dict],
                         params: Mapping[int, BaseModel] | None = None, live: dict | None = None) -> dict:
    """The summary of a run from its points' :func:`point_digest` (in point order)."""
    spec = loaded.model
    sc = loaded.scenario
    points = [d["entry"] for d in digests]
    findings = {d["entry"]["point"]: d["found"] for d in digests if d["found"]}
    cut_off = [(d["entry"]["point"], r, names, inside) for d in digests for r, names, inside in d["cut_off"]]
    summary = {
        "scenario": {"name": sc.name, "title": sc.title_text, "description": sc.description_text, "file": loaded.file,
                     "building": sc.building},
        "model": spec.name,
        "model_title": dict(spec.title),
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
    warnings = _warnings(loaded, dict(params) if params else None)
    if cut_off:
        warnings.append(_censoring_warning(spec, points, cut_off, replications))
    summary["warnings"] = warnings
    # The run's notes: each point's, said once when every point has it, else with its point.
    notes: list[dict[str, str]] = []
    for p in points:
        for note in p.get("notes", []):
            said = note if all(note in q.get("notes", []) for q in points) else _with_point(note, p["point"])
            if said not in notes:
                notes.append(said)
    summary["notes"] = notes
    for name in dict.fromkeys(name for found in findings.values() for name in found):
        summary[name] = all(name in findings.get(p["point"], {}) for p in points)
    # Flags of the run: each one any sweep point has (each point lists its own in its "flags").
    summary["flags"] = list(dict.fromkeys(flag for p in points for flag in p["flags"]))
    if len(points) == 1:
        summary["kpis"] = points[0]["kpis"]
    return json_safe(summary)


def _censoring_warning(spec: ModelSpec, points: list[dict], cut_off: list[tuple[int, int, list[str], Any]],
                       replications: int) -> dict[str, str]:
    """The warning of a run some of whose replications the horizon cut off (the run did not finish):
    ``cut_off`` holds (point, replication, the KPIs cut off, the people still inside)."""
    total = len(points) * replications
    names = list(dict.fromkeys(k for _, _, censored, _ in cut_off for k in censored))
    declared = {k.name: k for k in spec.kpis}
    labels = {code: ", ".join(pick(declared[n].label, code) if n in declared else n for n in names)
              for code in LANGUAGES}
    # A cut-off time is at least what was seen (≥); a margin or another higher-is-better figure at most (≤).
    mark = " / ".join(dict.fromkeys("≤" if n in declared and declared[n].better == "higher" else "≥" for n in names))
    inside = [v for _, _, _, v in cut_off]
    inside = [int(round(v)) for v in inside if v is not None and math.isfinite(v) and v > 0]
    if inside:
        people = f"{min(inside)}" if min(inside) == max(inside) else f"{min(inside)}–{max(inside)}"
        return text(f"{people} people still inside at the horizon in {len(cut_off)} of {total} replications: the run "
                    f"did not finish. {labels['en']} are only bounds there (marked {mark}), not what happened; run with a "
                    f"longer horizon_s.",
                    f"在 {total} 次重复中有 {len(cut_off)} 次在模拟结束时仍有 {people} 人在楼内：模拟未完成。"
                    f"{labels['zh-CN']}在这些重复中仅为界限（标记为 {mark}），并非实际结果；请延长 horizon_s 重新运行。")
    return text(f"In {len(cut_off)} of {total} replications the horizon cut the run off: it did not finish. "
                f"{labels['en']} are only bounds there (marked {mark}), not what happened; run with a longer horizon_s.",
                f"在 {total} 次重复中有 {len(cut_off)} 次在模拟结束时尚未完成。{labels['zh-CN']}在这些重复中仅为界限"
                f"（标记为 {mark}），并非实际结果；请延长 horizon_s 重新运行。")


def _warnings(loaded: LoadedScenario, params: dict[int, BaseModel] | None = None) -> list[dict[str, str]]:
    """The model's warnings about the parameters of every sweep point (once each), as Text."""
    spec = loaded.model
    if spec.advise is None:
        return []
    found: list[dict[str, str]] = []
    for point in loaded.points:
        point_params = params[point.index] if params else point.params
        advice = spec.advise(point_params, loaded.scenario.horizon_s, loaded.building)
        for said in (as_text(w, spec.name) for w in advice):
            said = said if len(loaded.points) == 1 else _with_point(said, point.index)
            if said not in found:
                found.append(said)
    return found


def check_budget(loaded: LoadedScenario, *, replications: int | None = None, budget: RunBudget | None = None,
                 workers: int = 1, streamed: bool = False) -> None:
    """Refuse a run that could not finish within ``budget`` (:class:`scenarios.budget.RunBudgetError`,
    a :class:`~twin.errors.SpecError` naming the field, its value and the bound); ``streamed``: the run
    writes each point to disk as it completes (its memory is a point's or two, not the run's)."""
    check_run(loaded.model, [p.params for p in loaded.points],
              replications=replications or loaded.scenario.replications, horizon_s=loaded.scenario.horizon_s,
              building=loaded.building, file=loaded.file, budget=budget, workers=workers, streamed=streamed)


def _record_tables(results: dict[tuple[int, int], ReplicationResult]) -> RecordTables:
    """The models' tables, plus ``kpis``: one row per replication with every KPI's value."""
    return RecordTables(_tables([(point, rep, results[(point, rep)]) for (point, rep) in sorted(results)]))


def _tables(results: Sequence[tuple[int, int, ReplicationResult]]) -> dict[str, list[dict] | TableParts]:
    """Replications' tables, in the order given: ``kpis`` first (one row per replication with every
    KPI's value), then each model table as the replications' parts — the columns a replication run
    elsewhere brought back (:class:`scenarios.records.ColumnRecords`), the rows of one run here —
    put together only when written or read."""
    tables: dict[str, list[dict] | TableParts] = {
        "kpis": [{"point": point, "replication": rep, **dict(result.kpis)} for point, rep, result in results]}
    for point, rep, result in results:
        for table in result.records:
            tables.setdefault(table, TableParts()).append(point, rep, table_part(result.records, table))
    return tables


def write_results(result: RunResult, out: Path) -> Path:
    """Write ``summary.json`` and ``records/*.parquet`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(result.summary, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    rec_dir = out / "records"
    folder = getattr(result.records, "folder", None)
    if folder is not None and folder.resolve() == rec_dir.resolve():
        result.out = out  # a streamed run: its tables are there already
        return out
    rec_dir.mkdir(exist_ok=True)
    for old in rec_dir.glob("*.parquet"):
        old.unlink()
    for table in result.records:
        if isinstance(result.records, RecordTables):
            result.records.write(table, rec_dir / f"{table}.parquet")
        else:
            result.records[table].to_parquet(rec_dir / f"{table}.parquet", index=False)
    result.out = out
    return out


def run_scenario(loaded: LoadedScenario, *, replications: int | None = None, seed: int | None = None,
                 workers: int = 1, out: Path | None = None, progress: bool = False,
                 on_progress: ProgressFn | None = None, cancel: threading.Event | None = None,
                 snapshot: Any = None, scheduler: str | None = None, budget: RunBudget | None = None,
                 time_limit_s: float | None = None, pool: Any = None, resume: bool = False,
                 changes: list | None = None) -> RunResult:
    """Run every replication of every sweep point and summarise; with ``out``, stream the points
    into that results folder as they finish and write it. ``changes`` (what the run changes from its
    library scenario, :func:`scenarios.changes.scenario_changes`) goes into the summary as ``changes``.

    Replications run inline (``workers=1``), on a local pool of ``workers`` processes, or, given
    ``scheduler`` (``tcp://HOST:PORT``), on that Dask cluster's workers (``workers`` is then
    ignored; an unreachable scheduler raises :class:`RunnerError`). ``progress`` shows a progress
    bar on the terminal; ``on_progress(done, total)`` is called after each replication; setting
    ``cancel`` stops the run (pending replications are dropped) and raises :class:`RunCancelled`.
    ``snapshot`` (a live twin snapshot) adjusts the parameters through the model's ``from_live``
    (:func:`apply_live`) and reaches every replication's context.

    With ``out``, each sweep point goes to disk as soon as its replications are done and is dropped
    from memory (:mod:`scenarios.stream`); ``resume=True`` continues the interrupted run in ``out``
    — the same scenario, refused with what changed otherwise — running only the points not yet
    there; the result equals an uninterrupted run's byte for byte.

    Before anything runs, the run's estimated cost is checked against ``budget`` (the default
    :class:`~scenarios.budget.RunBudget` when None; :func:`check_budget`). ``time_limit_s`` stops
    the run with :class:`RunOverBudget` once it has run that long (checked inside replications
    that run in this process, and between batches on the other back ends); a cancel is seen
    inside a replication too, within a fraction of a second. ``pool``: see :func:`run_replications`.
    """
    n = replications or loaded.scenario.replications
    s = loaded.scenario.seed if seed is None else seed
    params, live = apply_live(loaded, snapshot)
    if resume and out is None:
        raise RunnerError("resume: name the results folder of the interrupted run")
    if out is None:
        results = run_replications(loaded, range(n), seed=s, params=params, workers=workers, progress=progress,
                                   on_progress=on_progress, cancel=cancel, snapshot=snapshot, scheduler=scheduler,
                                   budget=budget, time_limit_s=time_limit_s, pool=pool)
        summary = build_summary(loaded, s, n, results, params, live)
        if changes is not None:
            summary["changes"] = changes
        return RunResult(summary=summary, records=_record_tables(results))
    try:
        store = SweepStore(Path(out), manifest_of(loaded, s, n, params), resume=resume)
    except ResumeError as exc:
        raise RunnerError(str(exc)) from None
    done = store.done()
    todo = [p for p in loaded.points if p.index not in done]
    waiting: dict[int, dict[int, ReplicationResult]] = {}
    by_index = {p.index: p for p in loaded.points}

    def finished(key: tuple[int, int], result: ReplicationResult) -> None:
        point, rep = key
        reps = waiting.setdefault(point, {})
        reps[rep] = result
        if len(reps) == n:  # the point is complete: to disk, and out of memory
            ordered = [reps[r] for r in range(n)]
            store.write_point(point, point_digest(loaded, by_index[point], ordered, params),
                              _tables([(point, r, rep) for r, rep in enumerate(ordered)]))
            del waiting[point]

    whole, before = len(loaded.points) * n, (len(loaded.points) - len(todo)) * n

    def progressed(count: int, _: int) -> None:  # counted over the whole run, the points resumed from included
        on_progress(before + count, whole)

    if todo:
        run_replications(loaded, range(n), seed=s, params=params, workers=workers, progress=progress,
                         on_progress=progressed if on_progress else None, cancel=cancel, snapshot=snapshot, scheduler=scheduler,
                         budget=budget, time_limit_s=time_limit_s, pool=pool, points=todo, on_result=finished)
    digests = [store.digest(p.index) for p in loaded.points]
    records = store.finish([p.index for p in loaded.points])
    summary = summary_from_digests(loaded, s, n, digests, params, live)
    if changes is not None:
        summary["changes"] = changes
    result = RunResult(summary=summary, records=records)
    write_results(result, Path(out))
    return result


def run_replications(loaded: LoadedScenario, replications: Sequence[int], *, seed: int,
                     params: Mapping[int, BaseModel] | None = None, workers: int = 1, progress: bool = False,
                     on_progress: ProgressFn | None = None, cancel: threading.Event | None = None,
                     snapshot: Any = None, scheduler: str | None = None, budget: RunBudget | None = None,
                     time_limit_s: float | None = None, pool: Any = None,
                     keep_records: bool = True, points: Sequence[Any] | None = None,
                     on_result: Callable[[tuple[int, int], ReplicationResult], None] | None = None,
                     ) -> dict[tuple[int, int], ReplicationResult]:
    """Replications ``replications`` (their numbers: ``range(n)`` for a whole run) of every sweep
    point, keyed ``(point, replication)``; what :func:`run_scenario` runs before it summarises.

    Replication *r* gets child *r* of the seed whatever else runs, so a run made of several calls
    (the optimiser's stages: replications 0–5, then 6–9…) gives the results of one call.
    ``pool`` (:func:`scenarios.backends.local_pool`, made with this run's shared inputs) runs them
    on processes that outlive the call; ``keep_records=False`` brings back KPIs only. ``points``
    (default: every sweep point) limits the run to those; ``on_result(key, result)``, when given,
    takes each result as it comes instead of the returned mapping (which is then empty): a
    streamed run keeps no more than its unfinished points.
    """
    replications = list(replications)
    seeds = replication_seeds(seed, max(replications, default=-1) + 1)
    if params is None:
        params = {p.index: p.params for p in loaded.points}
    tasks = [Replication(point.index, rep, params[point.index], seeds[rep], keep_records)
             for point in (loaded.points if points is None else points) for rep in replications]
    guard = RunGuard(loaded.scenario.name, cancel=cancel, time_limit_s=time_limit_s)
    guard.check(force=True)
    check_budget(loaded, replications=len(replications), budget=budget, workers=1 if scheduler else workers,
                 streamed=on_result is not None)
    shared = SharedInputs(loaded.model.name, loaded.scenario.horizon_s, loaded.building, loaded.graph, snapshot)
    results: dict[tuple[int, int], ReplicationResult] = {}
    count = 0

    bar = _ProgressBar(f"{loaded.scenario.name} ({loaded.model.name})", len(tasks)) if progress else None
    if scheduler:
        batches = backends.on_dask(tasks, shared, scheduler=scheduler)
    elif workers > 1 or pool is not None:
        batches = backends.on_local_pool(tasks, shared, workers=workers, pool=pool)
    else:
        batches = backends.inline(tasks, shared, guard)
    try:
        for batch in batches:
            for key, replication_result in batch:
                count += 1
                if on_result is not None:
                    on_result(key, replication_result)
                else:
                    results[key] = replication_result
                if bar:
                    bar.advance()
                if on_progress:
                    on_progress(count, len(tasks))
            guard.check(force=True)  # raises RunCancelled or RunOverBudget
    finally:
        batches.close()  # cancels what is still pending
        if bar:
            bar.close()
    return results


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
