"""Runs: start a scenario (from the library, posted, or from the live twin's state), follow it,
cancel it, read its results, compare runs.

Starting a run checks the scenario completely and answers at once with the run's id (202); the
simulation runs in the run manager's process pool. Progress is in ``GET /runs/{id}`` and on the
WebSocket. Results are the same files ``twin run`` writes: ``summary.json``, record tables as
Parquet, the HTML report. A sweep is a run whose scenario has a ``sweep`` (or whose request
gives one): every KPI is reported per sweep point.

Each run says what it changes from its library scenario (``changes``, and ``changes_text``:
"technicians 4 → 3"; :mod:`scenarios.changes`), in the run list, in each run and in the compare
view. Runs made on the command line (``twin run``, ``twin demo``) are in the same list (source
``cli``): they are copied into the data directory's run store (:func:`api.runs.record_results`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

import pyarrow.compute as pc
import pyarrow.parquet as pq
from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, Response

from api.deps import ApiError, Ctx, Planner, Viewer, error_responses
from api.routers.scenarios import check_off_loop, posted_document
from api.runs import RunJob, RunLimitError, RunNotFound, RunRecord, prepare_job
from scenarios.changes import changes_text
from api.schemas import (CompareKpi, CompareOut, ComparedRun, CompareValue, KpiRow, KpiTable, RecordsPage,
                         RecordTable, RecordTables, RunCreate, RunLinks, RunList, RunOut, RunProgress, RunSummary)
from twin.errors import SpecError

__all__ = ["router", "run_out"]

router = APIRouter(prefix="/runs", tags=["runs"])

RunId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]+$", max_length=64, examples=["20261124T093012-4f2a1c"])]
TableName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]+$", max_length=64, examples=["work_orders"])]
RunRef = Annotated[str, Query(pattern=r"^[A-Za-z0-9_-]+(:[0-9]{1,4})?$", max_length=70)]
_STATUSES = Literal["queued", "running", "done", "failed", "cancelled"]


def run_out(rec: RunRecord) -> RunOut:
    base = f"/runs/{rec.id}"
    return RunOut(
        id=rec.id, status=rec.status, scenario=rec.scenario, model=rec.model, building=rec.building,  # type: ignore[arg-type]
        source=rec.source, ref=rec.ref, seed=rec.seed, replications=rec.replications, points=rec.points,
        progress=RunProgress(done=rec.done, total=rec.total, fraction=round(rec.done / rec.total, 4) if rec.total else 0.0),
        from_live=rec.from_live, created_at=rec.created_at, started_at=rec.started_at, finished_at=rec.finished_at,
        duration_s=rec.duration_s, error=rec.error, issues=rec.issues, created_by=rec.created_by,
        report_error=rec.report_error, changes=rec.changes, changes_text=changes_text(rec.changes),
        links=RunLinks(self=base, summary=f"{base}/summary", records=f"{base}/records", report=f"{base}/report",
                       cancel=f"{base}/cancel"))


def _get(ctx: Ctx, run_id: str) -> RunRecord:
    try:
        return ctx.runs.get(run_id)
    except RunNotFound as exc:
        raise ApiError(404, ["path", "run_id"], str(exc), "not_found") from None


def _finished_dir(ctx: Ctx, run_id: str, loc: list[str | int] | None = None) -> FsPath:
    rec = _get(ctx, run_id)
    if rec.status != "done":
        raise ApiError(409, loc or ["path", "run_id"],
                       f"run {run_id!r} is {rec.status}; results exist once it is done", "not_done")
    return ctx.runs.results_dir(run_id)


def _spec_error_items(exc: SpecError, where: str, set_fields: dict | None = None) -> list[dict]:
    """The issues of a refused scenario as 422 items; a field the request's ``set`` gave is located there."""
    return [{"loc": ["body", "set", issue.path] if issue.path in (set_fields or {}) else ["body", where, issue.path],
             "msg": issue.message, "type": "spec_error", "file": issue.file, "path": issue.path}
            for issue in exc.issues]


def _live_snapshot(ctx: Ctx, job: RunJob) -> Any:
    from api.routers.twin import live_building_id, take_snapshot

    if ctx.live is None:
        raise ApiError(422, ["body", "from_live"], "the live twin is not running on this server", "live_unavailable")
    live_path = ctx.buildings.live_path
    if live_path is None or job.building_path is None or FsPath(job.building_path) != live_path:
        raise ApiError(422, ["body", "from_live"], f"the live twin mirrors building {live_building_id(ctx)!r}; "
                                                   f"this scenario is for {job.building!r}", "building_mismatch")
    return take_snapshot(ctx)


@router.post("", response_model=RunOut, status_code=202, responses=error_responses(404, 413, 429),
             summary="Start a run")
async def start_run(body: RunCreate, ctx: Ctx, who: Planner) -> RunOut:
    """Check the scenario and queue its run; answers at once with the run's id.

    Give a known scenario by ``scenario`` name, or a ``document`` / ``yaml``. ``set`` overrides
    fields by dotted path, ``sweep`` replaces the sweep, ``from_live`` starts the model from the
    live twin's current snapshot. Too many runs under way: 429. More replications × sweep points
    than the server allows: 422 naming ``replications``.
    """
    where = "scenario" if body.scenario is not None else ("document" if body.document is not None else "yaml")

    def prepare():
        try:
            doc = None if body.scenario is not None else posted_document(body.document, body.yaml)
            job, _ = prepare_job(library=body.scenario, document=doc, scenarios_dir=ctx.settings.scenarios_dir,
                                 buildings_dir=ctx.settings.buildings_dir, overrides=body.set, sweep=body.sweep,
                                 replications=body.replications, seed=body.seed,
                                 live_building=ctx.buildings.live_path)
        except SpecError as exc:
            if body.scenario is not None and exc.issues[0].file == "request":
                raise ApiError(404, ["body", "scenario"], exc.issues[0].message, "not_found") from None
            raise ApiError(422, [], "", items=_spec_error_items(exc, where, body.set)) from None
        try:
            ctx.runs.check_limits(job)  # its cost estimate may load the building: off the loop too
        except RunLimitError as exc:
            raise _limit_error(exc) from None
        return job

    job = await check_off_loop(ctx, prepare)
    if body.from_live:
        job.from_live = True
        job.snapshot = _live_snapshot(ctx, job)
    try:
        rec = await run_in_threadpool(ctx.runs.submit, job, who.name)
    except RunLimitError as exc:
        raise _limit_error(exc) from None
    ctx.metrics.runs_submitted.inc()
    return run_out(rec)


def _limit_error(exc: RunLimitError) -> ApiError:
    loc: list[str | int] = ["body", "replications"] if exc.field == "replications" else ["body"]
    headers = {"Retry-After": "10"} if exc.status == 429 else None
    return ApiError(exc.status, loc, str(exc), "run_too_large" if exc.status == 422 else "too_many_runs",
                    headers=headers)


@router.get("", response_model=RunList, responses=error_responses(), summary="List runs")
def list_runs(ctx: Ctx, _: Viewer, status: _STATUSES | None = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100,
              offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> RunList:
    """Newest first."""
    return RunList(runs=[run_out(r) for r in ctx.runs.list(status=status, limit=limit, offset=offset)])


# --- compare (before /{run_id} so that 'compare' is not taken for an id) ------------------------

def _load_summary(ctx: Ctx, run_id: str, loc: list[str | int]) -> dict:
    try:
        rec = ctx.runs.get(run_id)
    except RunNotFound as exc:
        raise ApiError(404, loc, str(exc), "not_found") from None
    if rec.status != "done":
        raise ApiError(409, loc, f"run {run_id!r} is {rec.status}; only finished runs can be compared", "not_done")
    path = ctx.runs.results_dir(run_id) / "summary.json"
    if not path.is_file():
        raise ApiError(404, loc, f"run {run_id!r} has no summary", "not_found")
    return json.loads(path.read_text(encoding="utf-8"))


def _overlap(a_lo: float | None, a_hi: float | None, b_lo: float | None, b_hi: float | None) -> bool | None:
    if None in (a_lo, a_hi, b_lo, b_hi):
        return None
    return not (a_hi < b_lo or a_lo > b_hi)  # type: ignore[operator]


def _verdict(better: str | None, delta: float | None, overlap: bool | None) -> str:
    if overlap is None or delta is None:
        return "unknown"
    if overlap:
        return "no clear difference"
    if better == "lower":
        return "better" if delta < 0 else "worse"
    if better == "higher":
        return "better" if delta > 0 else "worse"
    return "different"


@router.get("/compare", response_model=CompareOut, responses=error_responses(404, 409),
            summary="Compare two or more runs (or sweep points)")
def compare_runs(ctx: Ctx, _: Viewer,
                 runs: Annotated[list[RunRef], Query(min_length=2, max_length=20,
                                                     description="run ids, or RUN:POINT for a sweep point; "
                                                                 "the first is the baseline")]) -> CompareOut:
    """Each KPI's mean and 95 % CI per run, its difference from the first run, and whether the two
    confidence intervals overlap (if they do, the data do not show a difference)."""
    picked: list[tuple[ComparedRun, dict]] = []
    summaries: dict[str, dict] = {}
    for i, ref in enumerate(runs):
        run_id, _, point_text = ref.partition(":")
        loc: list[str | int] = ["query", "runs", i]
        if run_id not in summaries:
            summaries[run_id] = _load_summary(ctx, run_id, loc)
        summary = summaries[run_id]
        point = int(point_text) if point_text else 0
        points = summary.get("points", [])
        if point >= len(points):
            raise ApiError(422, loc, f"run {run_id!r} has {len(points)} sweep point(s); no point {point}",
                           "no_such_point")
        p = points[point]
        changes = summary.get("changes") or []
        picked.append((ComparedRun(ref=ref, run=run_id, point=point, scenario=summary["scenario"]["name"],
                                   set=p.get("set") or {}, changes=changes, changes_text=changes_text(changes)),
                       p["kpis"]))
    base_ref, base_kpis = picked[0][0].ref, picked[0][1]
    names = list(base_kpis) + [k for _, kp in picked[1:] for k in kp if k not in base_kpis]
    names = list(dict.fromkeys(names))
    out: list[CompareKpi] = []
    for name in names:
        meta = next(kp[name] for _, kp in picked if name in kp)
        base = base_kpis.get(name)
        values = []
        for i, (run, kpis) in enumerate(picked):
            k = kpis.get(name)
            mean = k.get("mean") if k else None
            lo, hi = (k.get("ci95_low"), k.get("ci95_high")) if k else (None, None)
            base_mean = base.get("mean") if base else None
            delta = mean - base_mean if mean is not None and base_mean is not None else None
            pct = (delta / abs(base_mean) * 100.0 if delta is not None and base_mean not in (None, 0)
                   and math.isfinite(base_mean) else None)
            overlap = _overlap(lo, hi, base.get("ci95_low"), base.get("ci95_high")) if base else None
            verdict = "baseline" if i == 0 else _verdict(meta.get("better"), delta, overlap)
            values.append(CompareValue(ref=run.ref, mean=mean, ci95_low=lo, ci95_high=hi, delta=delta,
                                       delta_pct=pct, ci_overlap=True if i == 0 else overlap, verdict=verdict))
        out.append(CompareKpi(kpi=name, unit=meta.get("unit", ""), better=meta.get("better"), values=values))
    return CompareOut(baseline=base_ref, runs=[r for r, _ in picked], kpis=out)


# --- one run ----------------------------------------------------------------------------------

@router.get("/{run_id}", response_model=RunOut, responses=error_responses(404), summary="A run and its progress")
def get_run(run_id: RunId, ctx: Ctx, _: Viewer) -> RunOut:
    return run_out(_get(ctx, run_id))


@router.post("/{run_id}/cancel", response_model=RunOut, responses=error_responses(404), summary="Cancel a run")
def cancel_run(run_id: RunId, ctx: Ctx, _: Planner) -> RunOut:
    """A queued run is dropped; a running one stops before its next replication. A finished run is
    left as it is."""
    try:
        return run_out(ctx.runs.cancel(run_id))
    except RunNotFound as exc:
        raise ApiError(404, ["path", "run_id"], str(exc), "not_found") from None


@router.post("/{run_id}/resume", response_model=RunOut, status_code=202, responses=error_responses(404, 409, 429),
             summary="Resume a cancelled or failed run")
def resume_run(run_id: RunId, ctx: Ctx, _: Planner) -> RunOut:
    """Queue a cancelled or failed sweep again from the points it had finished: they are not run
    again, and the results equal an uninterrupted run's. 409 when the run is not cancelled or
    failed, or left no finished point; 429 when too many runs are queued or running."""
    try:
        rec = ctx.runs.resume(run_id)
    except RunNotFound as exc:
        raise ApiError(404, ["path", "run_id"], str(exc), "not_found") from None
    except RunLimitError as exc:
        if exc.status == 409:
            raise ApiError(409, ["path", "run_id"], str(exc), "conflict") from None
        raise _limit_error(exc) from None
    return run_out(rec)


@router.get("/{run_id}/summary", response_model=RunSummary, responses=error_responses(404, 409),
            summary="A finished run's summary.json")
def get_summary(run_id: RunId, ctx: Ctx, _: Viewer) -> Response:
    """The file itself, byte for byte as ``twin run`` writes it."""
    _load_summary(ctx, run_id, ["path", "run_id"])
    return FileResponse(ctx.runs.results_dir(run_id) / "summary.json", media_type="application/json")


@router.get("/{run_id}/kpis", response_model=KpiTable, responses=error_responses(404, 409),
            summary="A run's KPI table, one row per sweep point and KPI")
def get_kpi_table(run_id: RunId, ctx: Ctx, _: Viewer) -> KpiTable:
    summary = _load_summary(ctx, run_id, ["path", "run_id"])
    rows = [KpiRow(point=p["point"], set=p.get("set") or {}, kpi=name, unit=k["unit"], better=k.get("better"),
                   mean=k.get("mean"), ci95_low=k.get("ci95_low"), ci95_high=k.get("ci95_high"), p50=k.get("p50"),
                   p95=k.get("p95"), n=k["n"])
            for p in summary["points"] for name, k in p["kpis"].items()]
    return KpiTable(run=run_id, scenario=summary["scenario"]["name"], model=summary["model"], rows=rows)


@router.get("/{run_id}/records", response_model=RecordTables, responses=error_responses(404, 409),
            summary="The record tables of a run")
def list_records(run_id: RunId, ctx: Ctx, _: Viewer) -> RecordTables:
    folder = _finished_dir(ctx, run_id) / "records"
    tables = []
    for path in sorted(folder.glob("*.parquet")):
        meta = pq.read_metadata(path)
        tables.append(RecordTable(name=path.stem, rows=meta.num_rows, columns=list(meta.schema.names)))
    return RecordTables(run=run_id, tables=tables)


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


@router.get("/{run_id}/records/{table}", response_model=RecordsPage, responses={
    **error_responses(404, 409),
    200: {"description": "rows as JSON, the whole table as Parquet with format=parquet, or as CSV with format=csv",
          "content": {"application/json": {}, "application/vnd.apache.parquet": {
              "schema": {"type": "string", "format": "binary"}}, "text/csv": {"schema": {"type": "string"}}}}},
            summary="Rows of a record table, as JSON pages, Parquet or CSV")
def get_records(run_id: RunId, table: TableName, ctx: Ctx, _: Viewer,
                format: Literal["json", "parquet", "csv"] = "json",
                point: Annotated[int | None, Query(ge=0, le=100_000)] = None,
                replication: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
                offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
                limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> Any:
    """``format=parquet`` gives the whole table as a Parquet file (filters do not apply); ``format=csv``
    the table as CSV (UTF-8, a header row), optionally of one sweep point and replication — e.g. the
    operations model's zero-based budget, ``budget_lines``, for a spreadsheet; JSON gives ``limit``
    rows from ``offset``, optionally of one sweep point and replication."""
    path = _finished_dir(ctx, run_id) / "records" / f"{table}.parquet"
    if not path.is_file():
        raise ApiError(404, ["path", "table"], f"run {run_id!r} has no record table {table!r}", "not_found")
    if format == "parquet":
        return FileResponse(path, media_type="application/vnd.apache.parquet", filename=f"{run_id}-{table}.parquet")
    data = pq.read_table(path)
    if point is not None and "point" in data.column_names:
        data = data.filter(pc.equal(data["point"], point))
    if replication is not None and "replication" in data.column_names:
        data = data.filter(pc.equal(data["replication"], replication))
    if format == "csv":
        import io

        import pyarrow.csv as pcsv

        buffer = io.BytesIO()
        pcsv.write_csv(data, buffer)
        return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{run_id}-{table}.csv"'})
    total = data.num_rows
    rows = [{k: _json_value(v) for k, v in row.items()} for row in data.slice(offset, limit).to_pylist()]
    return RecordsPage(run=run_id, table=table, total=total, offset=offset, limit=limit, columns=data.column_names,
                       rows=rows)


@router.get("/{run_id}/report", response_class=HTMLResponse, responses={
    **error_responses(404, 409, non_json_route=True), 200: {"content": {"text/html": {"schema": {"type": "string"}}},
                                       "description": "the run's HTML report"}},
            summary="A finished run's HTML report")
def get_report(run_id: RunId, ctx: Ctx, _: Viewer,
               lang: Annotated[Literal["en", "zh-CN"] | None,
                               Query(description="language of the report (labels, verdicts, warnings); "
                                                 "default: the language it was written in")] = None) -> FileResponse:
    path = _finished_dir(ctx, run_id) / "report.html"
    if not path.is_file():
        rec = _get(ctx, run_id)
        raise ApiError(404, ["path", "run_id"], f"run {run_id!r} has no report"
                       + (f": {rec.report_error}" if rec.report_error else ""), "not_found")
    if lang is not None:
        from viewer.report import ReportError, report_in_language

        try:
            path = report_in_language(path.parent, lang)  # written from the results on first request
        except (ReportError, OSError) as exc:
            raise ApiError(404, ["query", "lang"], f"run {run_id!r} has no report in {lang}: {exc}", "not_found")
    return FileResponse(path, media_type="text/html")

