"""The optimiser over HTTP: start a search for the cheapest plan that keeps the promises, follow it,
read its plans and its frontier chart.

``POST /optimise`` takes a scenario the way ``POST /runs`` does (a known one by ``scenario`` name,
or a posted ``document`` / ``yaml``; ``set`` overrides, ``seed``) plus the search — ``minimise``
(or ``maximise``), ``subject_to`` promises (``KPI>=VALUE``), ``over`` ranges
(``params.PATH=LOW..HIGH``), ``trials``, ``replications`` per plan — in the syntax of
``twin optimise``; what it leaves out comes from the scenario's ``optimise:`` block. The request
is checked completely (names, bounds, the model's checks, the run budget) and answered at once
with a job id (202). The search is a job of the run manager (:mod:`api.runs`): the same pool,
limits, progress, cancel, wall-time budget and memory ceiling as a run, and a row in the run list
(source ``optimise``) whose folder holds the best plan's run (``summary.json``, ``records/``,
the report) beside ``optimise.json``, ``plans.csv``, ``plans.parquet`` and the frontier charts.

``GET /optimise/{id}`` gives its status and progress and, once done, the result (best plan, every
plan with its KPIs' means and intervals, feasible, why not, the frontier); ``GET
/optimise/{id}/frontier.png?lang=`` the chart; ``POST /optimise/{id}/cancel`` stops it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.deps import ApiError, Ctx, Planner, Viewer, error_responses
from api.routers.scenarios import check_off_loop, posted_document
from api.runs import RunJob, RunLimitError, RunNotFound, RunRecord, prepare_job
from api.schemas import NOT_A_BOOLEAN, RunProgress, exactly_one_of
from twin.errors import SpecError

__all__ = ["router", "OptimiseJob", "OPTIMISE_SOURCE"]

router = APIRouter(prefix="/optimise", tags=["optimise"])

OPTIMISE_SOURCE = "optimise"
"""The ``source`` of an optimiser's job in the run list."""

JobId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]+$", max_length=64, examples=["20261203T093012-4f2a1c"])]
_Words = Annotated[str, Field(min_length=1, max_length=200)]


class OptimiseCreate(BaseModel):
    """Start a search: a scenario (exactly one of ``scenario``, ``document``, ``yaml``) and what to
    search; the search's fields fall back on the scenario's ``optimise:`` block."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        **exactly_one_of("scenario", "document", "yaml"), "examples": [
            {"scenario": "repair-desk-weekday", "minimise": "params.technicians",
             "subject_to": ["emergency_within_sla>=0.95", "ordinary_within_sla>=0.95"],
             "over": ["params.technicians=2..8"], "replications": 10}]})

    scenario: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=128)] | None = Field(
        None, description="name of a library or loaded scenario")
    document: dict[str, Any] | None = Field(None, description="a scenario document (the YAML file's fields)")
    yaml: Annotated[str, Field(max_length=1_000_000)] | None = Field(None, description="a scenario as YAML text")
    set: dict[Annotated[str, Field(max_length=200)], Any] = Field(
        default_factory=dict, max_length=100, description="fields to override by dotted path")
    seed: Annotated[int, Field(ge=0, lt=2**63), NOT_A_BOOLEAN] | None = None
    minimise: _Words | None = Field(None, description="a KPI (\"-KPI\" maximises it) or a params.PATH")
    maximise: _Words | None = Field(None, description="a KPI or params.PATH to maximise instead")
    subject_to: list[_Words] = Field(default_factory=list, max_length=20,
                                     description="promises KPI>=VALUE or KPI<=VALUE, each kept only when the KPI's "
                                                 "95 % interval clears VALUE")
    over: list[_Words] = Field(default_factory=list, max_length=8,
                               description="parameters to search, params.PATH=LOW..HIGH (:int / :real)")
    trials: Annotated[int, Field(ge=1, le=200), NOT_A_BOOLEAN] | None = Field(None, description="plans to try at most")
    replications: Annotated[int, Field(ge=2, le=10_000), NOT_A_BOOLEAN] | None = Field(
        None, description="replications per plan (default: the scenario's)")
    prune: bool | None = Field(None, description="stop plans early that cannot be the answer (default: the "
                                                 "scenario's optimise block, else true)")
    monotone: bool | None = Field(None, description="assume more staff never breaks a promise nor costs less "
                                                    "(default: the scenario's optimise block, else false)")

    @model_validator(mode="after")
    def _one_source(self) -> "OptimiseCreate":
        given = [k for k in ("scenario", "document", "yaml") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'scenario' (a name), 'document' or 'yaml'")
        return self


class OptimiseLinks(BaseModel):
    self: str
    frontier: str
    cancel: str
    run: str = Field(description="the job in the run list: its folder holds the best plan's run")
    report: str


class OptimiseOut(BaseModel):
    """A search: its status and progress; once done, its result (``optimise.json``)."""

    id: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    scenario: str
    model: str
    seed: int
    replications: int = Field(description="replications per plan")
    plans: int = Field(description="plans the search tries at most")
    progress: RunProgress
    error: str | None = None
    issues: list[dict[str, Any]] = Field(default_factory=list)
    created_by: str | None = None
    result: dict[str, Any] | None = Field(None, description="optimise.json: request, labels, best, plans, frontier, "
                                                            "message (both languages)")
    links: OptimiseLinks


class OptimiseList(BaseModel):
    jobs: list[OptimiseOut]


@dataclass
class OptimiseJob(RunJob):
    """A search as a job of the run manager: what the request said, run in a pool process by
    :meth:`execute` instead of a plain run."""

    minimise: str | None = None
    maximise: str | None = None
    subject_to: list[str] = field(default_factory=list)
    over: list[str] = field(default_factory=list)
    trials: int | None = None
    plan_replications: int | None = None
    prune: bool | None = None
    monotone: bool | None = None

    def request(self, loaded: Any) -> Any:
        from scenarios.optimise import request_from

        return request_from(loaded, minimise=self.minimise, maximise=self.maximise, subject_to=self.subject_to,
                            over=self.over, trials=self.trials, replications=self.plan_replications,
                            prune=self.prune, monotone=self.monotone)

    def execute(self, loaded: Any, out: FsPath, cancel: Any, progress: Any, scheduler: str | None,
                budget: Any) -> None:
        """Run the search (in the pool process) and write its folder and both frontier charts."""
        from scenarios.optimise import optimise, write_results
        from viewer.frontier import write_frontier

        result = optimise(loaded, self.request(loaded), seed=self.seed, on_progress=progress, cancel=cancel,
                          budget=budget, time_limit_s=budget.time_limit_s, scheduler=scheduler)
        if result.best_run is not None:
            result.best_run.summary["changes"] = list(self.changes or [])
        write_results(result, out)
        document = result.as_dict()
        write_frontier(document, out / "frontier.png", "en")
        write_frontier(document, out / "frontier.zh-CN.png", "zh-CN")


_FIELDS = {"--over": "over", "--subject-to": "subject_to", "--minimise": "minimise", "--trials": "trials",
           "--replications": "replications"}


def _issue_items(exc: SpecError, where: str) -> list[dict]:
    items = []
    for issue in exc.issues:
        name = _FIELDS.get(issue.file)
        if name is None and issue.path in ("trials", "replications", "sweep"):
            name = issue.path
        loc: list[str | int] = ["body", name] if name else ["body", where, issue.path]
        msg = f"{issue.path}: {issue.message}" if name and issue.path != name else issue.message
        items.append({"loc": loc, "msg": msg, "type": "spec_error", "file": issue.file, "path": issue.path})
    return items


def _out(ctx: Ctx, rec: RunRecord) -> OptimiseOut:
    base = f"/optimise/{rec.id}"
    result = None
    if rec.status == "done":
        path = ctx.runs.results_dir(rec.id) / "optimise.json"
        if path.is_file():
            result = json.loads(path.read_text(encoding="utf-8"))
    return OptimiseOut(id=rec.id, status=rec.status, scenario=rec.scenario, model=rec.model,  # type: ignore[arg-type]
                       seed=rec.seed, replications=rec.replications, plans=rec.points,
                       progress=RunProgress(done=rec.done, total=rec.total,
                                            fraction=round(rec.done / rec.total, 4) if rec.total else 0.0),
                       error=rec.error, issues=rec.issues, created_by=rec.created_by, result=result,
                       links=OptimiseLinks(self=base, frontier=f"{base}/frontier.png", cancel=f"{base}/cancel",
                                           run=f"/runs/{rec.id}", report=f"/runs/{rec.id}/report"))


def _get(ctx: Ctx, job_id: str) -> RunRecord:
    try:
        rec = ctx.runs.get(job_id)
    except RunNotFound:
        rec = None
    if rec is None or rec.source != OPTIMISE_SOURCE:
        raise ApiError(404, ["path", "job_id"], f"no optimiser job {job_id!r}", "not_found")
    return rec


@router.post("", response_model=OptimiseOut, status_code=202, responses=error_responses(404, 413, 429),
             summary="Start a search for the cheapest plan that keeps the promises")
async def start_optimise(body: OptimiseCreate, ctx: Ctx, who: Planner) -> OptimiseOut:
    """Check the scenario and the search completely and queue the search; answers at once with its
    id. A name, bound or KPI the model does not have: 422 naming it. A search beyond the run
    budget or the server's limit of replications: 422 naming ``trials``. Too many jobs: 429."""
    where = "scenario" if body.scenario is not None else ("document" if body.document is not None else "yaml")

    def prepare() -> OptimiseJob:
        from scenarios.budget import RunBudgetError
        from scenarios.optimise import check_request

        try:
            doc = None if body.scenario is not None else posted_document(body.document, body.yaml)
            job, loaded = prepare_job(library=body.scenario, document=doc, scenarios_dir=ctx.settings.scenarios_dir,
                                      buildings_dir=ctx.settings.buildings_dir, overrides=body.set, seed=body.seed,
                                      full=True, live_building=ctx.buildings.live_path)
        except SpecError as exc:
            if body.scenario is not None and exc.issues[0].file == "request":
                raise ApiError(404, ["body", "scenario"], exc.issues[0].message, "not_found") from None
            raise ApiError(422, [], "", items=_issue_items(exc, where)) from None
        opt = OptimiseJob(**{f: getattr(job, f) for f in RunJob.__dataclass_fields__},
                          minimise=body.minimise, maximise=body.maximise, subject_to=list(body.subject_to),
                          over=list(body.over), trials=body.trials, plan_replications=body.replications,
                          prune=body.prune, monotone=body.monotone)
        try:
            request, plans, replications = check_request(loaded, opt.request(loaded), budget=ctx.runs.budget)
        except RunBudgetError as exc:
            raise ApiError(422, ["body", "trials"], f"{exc.field}: {exc.issues[0].message}",
                           "run_too_large") from None
        except SpecError as exc:
            raise ApiError(422, [], "", items=_issue_items(exc, where)) from None
        opt.source, opt.points, opt.replications = OPTIMISE_SOURCE, plans, replications
        opt.budget_checked = ctx.runs.budget  # checked for the whole search just now
        try:
            ctx.runs.check_limits(opt)
        except RunLimitError as exc:
            raise _limit_error(exc) from None
        return opt

    job = await check_off_loop(ctx, prepare)
    try:
        rec = await run_in_threadpool(ctx.runs.submit, job, who.name)
    except RunLimitError as exc:
        raise _limit_error(exc) from None
    ctx.metrics.runs_submitted.inc()
    return _out(ctx, rec)


def _limit_error(exc: RunLimitError) -> ApiError:
    loc: list[str | int] = ["body", "trials"] if exc.field == "replications" else ["body"]
    headers = {"Retry-After": "10"} if exc.status == 429 else None
    msg = str(exc).replace("sweep points", "plans")
    return ApiError(exc.status, loc, msg, "run_too_large" if exc.status == 422 else "too_many_runs", headers=headers)


@router.get("", response_model=OptimiseList, responses=error_responses(), summary="List optimiser jobs")
def list_optimise(ctx: Ctx, _: Viewer, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> OptimiseList:
    """Newest first (without their results; ``GET /optimise/{id}`` gives one's)."""
    records = [r for r in ctx.runs.list(limit=1000) if r.source == OPTIMISE_SOURCE][:limit]
    jobs = []
    for rec in records:
        out = _out(ctx, rec)
        out.result = None
        jobs.append(out)
    return OptimiseList(jobs=jobs)


@router.get("/{job_id}", response_model=OptimiseOut, responses=error_responses(404),
            summary="A search: status, progress and, once done, its plans")
def get_optimise(job_id: JobId, ctx: Ctx, _: Viewer) -> OptimiseOut:
    return _out(ctx, _get(ctx, job_id))


@router.post("/{job_id}/cancel", response_model=OptimiseOut, responses=error_responses(404),
             summary="Cancel a search")
def cancel_optimise(job_id: JobId, ctx: Ctx, _: Planner) -> OptimiseOut:
    _get(ctx, job_id)
    return _out(ctx, ctx.runs.cancel(job_id))


@router.get("/{job_id}/frontier.png", response_class=Response, responses={
    **error_responses(404, 409, non_json_route=True),
    200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
          "description": "the cost-versus-promise frontier chart"}},
            summary="The frontier chart of a finished search")
def get_frontier(job_id: JobId, ctx: Ctx, _: Viewer,
                 lang: Annotated[Literal["en", "zh-CN"], Query(description="language of the labels")] = "en"
                 ) -> Response:
    rec = _get(ctx, job_id)
    if rec.status != "done":
        raise ApiError(409, ["path", "job_id"], f"optimiser job {job_id!r} is {rec.status}; its chart exists once "
                                                "it is done", "not_done")
    folder = ctx.runs.results_dir(job_id)
    path = folder / ("frontier.png" if lang == "en" else f"frontier.{lang}.png")
    if not path.is_file():
        source = folder / "optimise.json"
        if not source.is_file():
            raise ApiError(404, ["path", "job_id"], f"optimiser job {job_id!r} has no result", "not_found")
        from viewer.frontier import write_frontier

        write_frontier(json.loads(source.read_text(encoding="utf-8")), path, lang)
    return Response(path.read_bytes(), media_type="image/png", headers={"Cache-Control": "no-store"})
