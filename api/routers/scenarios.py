"""Scenarios and models: the what-if library, checking a scenario before running it, the models.

Checking a posted scenario is ``twin validate`` over HTTP: the answer lists every problem with
the file and field path it is in. A scenario names its building as a shipped sample or a file
loaded into the server's data folder, never as a path on the server.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path

from api.deps import ApiError, Ctx, Viewer, error_responses
from api.runs import find_scenario, prepare_job, scenario_sources
from api.schemas import (ChartInfo, KpiInfo, KpiTargetInfo, ModelInfo, ScenarioCheck, ScenarioCheckResult,
                         ScenarioDocument, ScenarioInfo)
from models import available_models, get_model
from models.units import UNITS
from twin.errors import SpecError, format_text
from twin.loader import parse_yaml_text, read_yaml
from twin.text import normalise_language, text

__all__ = ["router", "models_router", "posted_document", "check_off_loop", "scenario_words", "schema_units"]

T = TypeVar("T")

log = logging.getLogger(__name__)

router = APIRouter(prefix="/scenarios", tags=["scenarios"])
models_router = APIRouter(prefix="/models", tags=["scenarios"])

ScenarioName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]+$", max_length=128, examples=["repair-desk-weekday"])]


def scenario_words(value: Any) -> dict[str, str]:
    """A scenario's ``title`` or ``description`` as words by language.

    A scenario file may write either field in both languages (``{en: …, zh-CN: …}``) or as one
    plain string; a plain string is kept as English (the language it is most often written in),
    so a reader in another language sees it as written rather than nothing."""
    if isinstance(value, str):
        return {"en": value} if value.strip() else {}
    if isinstance(value, dict):
        words: dict[str, str] = {}
        for code, said in value.items():
            if isinstance(code, str) and isinstance(said, str) and said.strip():
                words.setdefault(normalise_language(code), said)
        return words
    return {}


def _info(name: str, source: str, data: Any) -> ScenarioInfo:
    data = data if isinstance(data, dict) else {}

    def plain(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    reps = data.get("replications")
    sweep = data.get("sweep")
    return ScenarioInfo(name=name, source=source, model=plain("model"),
                        title=scenario_words(data.get("title")) or {"en": name},
                        description=scenario_words(data.get("description")),
                        building=plain("building"), replications=reps if isinstance(reps, int) else None,
                        sweep=sweep if isinstance(sweep, dict) and all(isinstance(v, list) for v in sweep.values())
                        else None)


@router.get("", response_model=list[ScenarioInfo], responses=error_responses(), summary="List scenarios")
def list_scenarios(ctx: Ctx, _: Viewer) -> list[ScenarioInfo]:
    """The shipped library and the scenarios loaded into the server's data folder."""
    result = []
    for src in scenario_sources(ctx.settings.scenarios_dir).values():
        try:
            result.append(_info(src.name, src.source, read_yaml(src.path)))
        except SpecError:
            result.append(ScenarioInfo(name=src.name, source=src.source, title={"en": src.name},
                                       description=dict(text("(file has errors)", "（文件有错误）"))))
    return result


@router.get("/{name:scenario_name}", response_model=ScenarioDocument, responses=error_responses(404), summary="Read a scenario")
def get_scenario(name: ScenarioName, ctx: Ctx, _: Viewer) -> ScenarioDocument:
    src = find_scenario(name, ctx.settings.scenarios_dir)
    if src is None:
        known = ", ".join(scenario_sources(ctx.settings.scenarios_dir)) or "none"
        raise ApiError(404, ["path", "name"], f"no scenario named {name!r} (known: {known})", "not_found")
    try:
        data = read_yaml(src.path)
    except SpecError as exc:
        raise ApiError(422, ["path", "name"], str(exc), "spec_error") from None
    info = _info(src.name, src.source, data)
    return ScenarioDocument(**info.model_dump(), document=data if isinstance(data, dict) else {},
                            text=src.path.read_text(encoding="utf-8"))


def posted_document(document: dict | None, text: str | None, name: str = "posted") -> dict:
    """A posted scenario as a document; YAML text is parsed with the loader's strict rules."""
    if document is not None:
        return document
    data = parse_yaml_text(text or "", f"{name}.yaml")
    if not isinstance(data, dict):
        raise SpecError.single(f"{name}.yaml", "(top level)",
                               f"a scenario is a mapping of fields, got {type(data).__name__}")
    return data


async def check_off_loop(ctx: Ctx, check: Callable[[], T]) -> T:
    """Run the parsing and checking of a posted scenario in a thread, within ``check_budget_s``.

    The event loop keeps serving (``/health``, the live twin's WebSocket) meanwhile. The loader's
    bounds (size, nesting, YAML aliases) keep a check short; a check that still overruns the budget
    is answered with a 422 (the thread finishes on its own: a thread cannot be stopped).
    """
    budget_s = ctx.settings.check_budget_s
    try:
        return await asyncio.wait_for(asyncio.to_thread(check), timeout=budget_s)
    except asyncio.TimeoutError:
        raise ApiError(422, ["body"], f"checking the scenario took longer than the server's budget of {budget_s:g} s; "
                       "send a smaller scenario or sweep", "check_timeout") from None


@router.post("/validate", response_model=ScenarioCheckResult, responses=error_responses(413),
             summary="Check a scenario without running it")
async def validate_scenario(body: ScenarioCheck, ctx: Ctx, _: Viewer) -> ScenarioCheckResult:
    """Every problem is reported with the file and the field path it is in; ``valid`` says whether the
    scenario would run."""

    def check() -> ScenarioCheckResult:
        try:
            doc = posted_document(body.document, body.yaml)
            job, _ = prepare_job(library=None, document=doc, scenarios_dir=ctx.settings.scenarios_dir,
                                 buildings_dir=ctx.settings.buildings_dir, full=True,
                                 live_building=ctx.buildings.live_path)
        except SpecError as exc:
            return ScenarioCheckResult(valid=False, issues=[i.as_dict() for i in exc.issues])
        except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            log.warning("scenario check failed unexpectedly", exc_info=exc)
            return ScenarioCheckResult(valid=False, issues=[{"file": "posted.yaml", "path": "(top level)",
                                                             "message": f"cannot be checked: {format_text(exc)}"}])
        return ScenarioCheckResult(valid=True, name=job.scenario, model=job.model, building=job.building,
                                   points=job.points, replications=job.replications)

    return await check_off_loop(ctx, check)


@models_router.get("", response_model=list[ModelInfo], responses=error_responses(),
                   summary="List the simulation models")
def list_models(_: Viewer) -> list[ModelInfo]:
    """Every registered model with its KPIs and the JSON Schema of its parameters; new models appear
    here without new routes."""
    return _model_infos(tuple(available_models()))


def schema_units(schema: Any) -> set[str]:
    """Every ``x-unit`` in a JSON Schema (its properties, items and ``$defs``, at any depth)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        unit = schema.get("x-unit")
        if isinstance(unit, str):
            found.add(unit)
        for value in schema.values():
            found |= schema_units(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= schema_units(value)
    return found


def _unit_words(unit: str) -> dict[str, str]:
    return dict(UNITS.get(unit) or {"en": unit})


@functools.lru_cache(maxsize=8)
def _model_infos(names: tuple[str, ...]) -> list[ModelInfo]:
    result = []
    for name in names:
        spec = get_model(name)
        schema = spec.params.model_json_schema()
        kpis = [KpiInfo(name=k.name, unit=k.unit, unit_label=_unit_words(k.unit), label=dict(k.label),
                        description=dict(k.description), kind=k.kind, better=k.better,
                        target=None if k.target is None else KpiTargetInfo(
                            op=k.target.op, value=k.target.value, rule=k.target.rule,
                            source=None if k.target.source is None else dict(k.target.source)))
                for k in spec.kpis]
        charts = [ChartInfo(table=c.table, kind=c.kind, title=dict(c.title),
                            x_label=None if c.x_label is None else dict(c.x_label),
                            y_label=None if c.y_label is None else dict(c.y_label)) for c in spec.charts]
        units = sorted({k.unit for k in spec.kpis} | schema_units(schema))
        result.append(ModelInfo(name=spec.name, title=dict(spec.title), description=dict(spec.description),
                                kpis=kpis, charts=charts, units={u: _unit_words(u) for u in units},
                                params_schema=schema))
    return result
