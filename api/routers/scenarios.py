"""Scenarios and models: the what-if library, checking a scenario before running it, the models.

Checking a posted scenario is ``twin validate`` over HTTP: the answer lists every problem with
the file and field path it is in. A scenario names its building as a shipped sample or a file
loaded into the server's data folder, never as a path on the server.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import logging
import os
import re
import secrets
import time
from collections.abc import Callable
from typing import Annotated, Any, NoReturn, TypeVar

import yaml
from fastapi import APIRouter, Path, Response
from starlette.convertors import register_url_convertor

from api.deps import ApiError, Ctx, Planner, Viewer, error_responses
from api.runs import (FULL_CHECK_MAX_POINTS, building_roots, find_scenario, loaded_building, prepare_job,
                      quick_check, scenario_sources, variant_base)
from api.schemas import (ChartInfo, KpiInfo, KpiTargetInfo, ModelInfo, ScenarioCheck, ScenarioCheckResult,
                         ScenarioDocument, ScenarioInfo, ScenarioNameConvertor, VariantCreate,
                         VARIANT_NAME_PATTERN)
from models import UnknownModelError, available_models, get_model
from models.units import UNITS
from scenarios.changes import changes_text, scenario_changes
from scenarios.spec import parse_scenario, set_path
from twin.errors import SpecError, format_text, format_value
from twin.loader import check_nesting, parse_yaml_text, read_yaml, sample_path
from twin.text import LANGUAGES, missing_languages, normalise_language, text

__all__ = ["router", "models_router", "posted_document", "check_off_loop", "scenario_words", "schema_units",
           "MAX_VARIANTS", "MAX_VARIANT_BYTES"]

T = TypeVar("T")

log = logging.getLogger(__name__)

router = APIRouter(prefix="/scenarios", tags=["scenarios"])
models_router = APIRouter(prefix="/models", tags=["scenarios"])

ScenarioName = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]+$", max_length=128, examples=["repair-desk-weekday"])]
VariantPathName = Annotated[str, Path(pattern=VARIANT_NAME_PATTERN, max_length=64, examples=["desk-three-technicians"])]

class _ScenarioDocConvertor(ScenarioNameConvertor):
    """The ``{name}`` of ``GET /scenarios/{name}``: any segment but ``validate`` and ``variants``, so that
    another method on ``/scenarios/variants`` is a 405 allowing POST alone, not a scenario named so."""

    regex = r"(?!validate$|variants$)[^/]+"


register_url_convertor("scenario_doc", _ScenarioDocConvertor())

MAX_VARIANTS = 500
"""Most saved variants the data folder keeps (a save beyond it is refused until one is deleted)."""
MAX_VARIANT_BYTES = 256 * 1024
"""Largest variant file a save may write."""
_RESERVED_NAMES = frozenset({"validate", "variants"})
_SETTABLE_FIELDS = ("horizon_s", "building")
_SETTABLE_PREFIXES = ("params.", "targets.")
_SET_KEY = re.compile(r"[A-Za-z0-9_.-]{1,200}")


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


def _variant_changes(data: dict, base: dict | None) -> list[dict] | None:
    """A saved variant's changes from its library scenario (None when it is no variant)."""
    if base is None:
        return None
    try:
        params = get_model(str(data.get("model"))).params
    except UnknownModelError:  # the parameters are compared as written
        params = None
    try:
        return scenario_changes(base, data, params)
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        log.warning("the changes of variant %r cannot be listed", data.get("name"), exc_info=exc)
        return None


def _info(name: str, source: str, data: Any, scenarios_dir: Any = None,
          changes: list[dict] | None = None, sources: Any = None) -> ScenarioInfo:
    """A scenario as listed; a saved variant's ``changes`` are worked out unless given (a save has them),
    its base looked for among ``sources`` when given (the listing already made)."""
    data = data if isinstance(data, dict) else {}

    def plain(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    reps = data.get("replications")
    sweep = data.get("sweep")
    based_on = plain("based_on") if source == "loaded" else None
    if based_on and changes is None:
        changes = _variant_changes(data, variant_base(data, scenarios_dir, sources))
    return ScenarioInfo(name=name, source=source, model=plain("model"),
                        title=scenario_words(data.get("title")) or {"en": name},
                        description=scenario_words(data.get("description")),
                        building=plain("building"), replications=reps if isinstance(reps, int) else None,
                        sweep=sweep if isinstance(sweep, dict) and all(isinstance(v, list) for v in sweep.values())
                        else None, based_on=based_on, changes=changes, changes_text=changes_text(changes))


@router.get("", response_model=list[ScenarioInfo], responses=error_responses(), summary="List scenarios")
def list_scenarios(ctx: Ctx, _: Viewer) -> list[ScenarioInfo]:
    """The shipped library and the scenarios loaded into the server's data folder; a saved variant
    has ``based_on`` (its library scenario) and ``changes`` (what it changes from it)."""
    result = []
    sources = scenario_sources(ctx.settings.scenarios_dir)
    for src in sources.values():
        try:
            result.append(_info(src.name, src.source, read_yaml(src.path), ctx.settings.scenarios_dir,
                                sources=sources))
        except SpecError:
            result.append(ScenarioInfo(name=src.name, source=src.source, title={"en": src.name},
                                       description=dict(text("(file has errors)", "（文件有错误）"))))
    return result


@router.get("/{name:scenario_doc}", response_model=ScenarioDocument, responses=error_responses(404), summary="Read a scenario")
def get_scenario(name: ScenarioName, ctx: Ctx, _: Viewer) -> ScenarioDocument:
    src = find_scenario(name, ctx.settings.scenarios_dir)
    if src is None:
        known = ", ".join(scenario_sources(ctx.settings.scenarios_dir)) or "none"
        raise ApiError(404, ["path", "name"], f"no scenario named {name!r} (known: {known})", "not_found")
    try:
        data = read_yaml(src.path)
    except SpecError as exc:
        raise ApiError(422, ["path", "name"], str(exc), "spec_error") from None
    info = _info(src.name, src.source, data, ctx.settings.scenarios_dir)
    return ScenarioDocument(**info.model_dump(), document=data if isinstance(data, dict) else {},
                            text=src.path.read_text(encoding="utf-8"), params=effective_params(data))


def effective_params(data: Any) -> dict[str, Any] | None:
    """A scenario's parameters as its model reads them, every default filled in (the console's form
    starts from these); None when the model is unknown or the parameters do not validate."""
    try:
        spec = get_model(str(data.get("model")))
        return spec.params.model_validate(data.get("params") or {}).model_dump(mode="json")
    except (KeyError, AttributeError, TypeError, ValueError):  # pydantic's ValidationError is a ValueError
        return None


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


# --- saved variants ------------------------------------------------------------------------------
#
# A variant is a scenario file in the data folder's scenarios/ with ``based_on`` naming its library
# scenario: what the console's form changed, saved under a name, listed with the library and run
# like any scenario. It is checked exactly as its runs will check it, and written only when valid
# (a temporary file renamed into place, so a reader never sees half of one).

def _refuse(status: int, loc: list[str | int], msg: str, kind: str = "invalid") -> NoReturn:
    raise ApiError(status, loc, msg, kind)


def _issue_loc(path: str, body: VariantCreate) -> list[str | int]:
    """Where in the request a problem of the variant's document comes from."""
    def under(key: str) -> bool:
        return path == key or path.startswith(f"{key}.") or path.startswith(f"{key}[")

    def shared(key: str) -> int:  # leading dotted names a set key has in common with the path
        count = 0
        for a, b in zip(key.split("."), path.replace("[", ".[").split(".")):
            if a != b:
                break
            count += 1
        return count

    best = max(body.set, key=shared, default=None)
    if best is not None and (under(best) or shared(best) >= 2):  # in the value set, or in the field it set
        return ["body", "set", best]
    if body.sweep is not None:
        for key in body.sweep:
            if under(key) or under(f"sweep.{key}"):
                return ["body", "sweep", key]
        if under("sweep"):
            return ["body", "sweep"]
    for field in ("replications", "seed", "title", "name"):
        if under(field) and (field == "name" or getattr(body, field) is not None):
            return ["body", field]
    return ["body", "based_on"]  # a problem of the scenario it is based on


def _spec_refusal(exc: SpecError, body: VariantCreate) -> ApiError:
    items = [{"loc": _issue_loc(i.path, body), "msg": i.message, "type": "spec_error", "file": i.file,
              "path": i.path} for i in exc.issues]
    return ApiError(422, [], "", items=items)


def _is_variant(path: Any) -> bool:
    try:
        data = read_yaml(path)
    except SpecError:
        return False
    return isinstance(data, dict) and isinstance(data.get("based_on"), str)


def _variant_building(ref: Any, ctx: Any) -> Any:
    """A building ``set`` on a variant, as its file in scenarios/ will name it: a sample by name, a
    building of the data folder's buildings/ by a path from scenarios/, the live one by its file."""
    if not isinstance(ref, str) or not ref:
        return ref  # a value the scenario's own check refuses
    buildings_dir = ctx.settings.buildings_dir
    # Looked for in the order a run of the variant looks for it (api.runs.loaded_building), then the samples.
    path = loaded_building(ref, buildings_dir, ctx.buildings.live_path) if "/" not in ref and ".." not in ref else None
    if path is not None:
        return f"../{buildings_dir.name}/{path.name}" if path.parent == buildings_dir else str(path)
    if sample_path(ref) is not None:
        return ref
    known = sorted({p.stem for p in buildings_dir.glob("*.y*ml")}) if buildings_dir.is_dir() else []
    _refuse(422, ["body", "set", "building"], f"no sample or loaded building {format_value(ref)} (loaded: "
            f"{', '.join(known) or 'none'}); a variant names a building, not a path", "spec_error")


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # a value written twice is written out twice
        return True


def _variant_document(body: VariantCreate, ctx: Any) -> tuple[dict, str, list[dict]]:
    """The variant's document, its YAML text and its changes from its library scenario; checked
    as a run of it will be. Raises :class:`ApiError`."""
    folder = ctx.settings.scenarios_dir
    file = f"{body.name}.yaml"
    if body.name in _RESERVED_NAMES:
        _refuse(422, ["body", "name"], f"{body.name!r} is a word of the API's paths; choose another name")
    sources = scenario_sources(folder)
    existing = sources.get(body.name)
    if existing is not None:
        if existing.source == "library":
            _refuse(409, ["body", "name"], f"the library has a scenario named {body.name!r}; "
                    "give the variant another name", "conflict")
        if not _is_variant(existing.path):
            _refuse(409, ["body", "name"], f"{body.name!r} is a scenario loaded into the data folder, not a "
                    "saved variant; give the variant another name", "conflict")
        if not body.replace:
            _refuse(409, ["body", "name"], f"a variant named {body.name!r} exists; send replace: true to "
                    "replace it, or choose another name", "conflict")
    elif sum(1 for s in sources.values() if s.source == "loaded") >= MAX_VARIANTS:
        _refuse(409, ["body", "name"], f"the data folder holds {MAX_VARIANTS} scenarios, the most it keeps; "
                "delete a variant first", "too_many_variants")
    parent = sources.get(body.based_on)
    if parent is None:
        _refuse(404, ["body", "based_on"], f"no scenario named {body.based_on!r} "
                f"(known: {', '.join(sources) or 'none'})", "not_found")
    try:
        data = read_yaml(parent.path)
    except SpecError as exc:
        raise _spec_refusal(exc, body) from None
    if not isinstance(data, dict):
        _refuse(422, ["body", "based_on"], f"{parent.path.name}: a scenario is a mapping of fields")
    root = data.get("based_on") if parent.source == "loaded" else None
    if not isinstance(root, str) or root == parent.name or root not in sources or root == body.name:
        root = parent.name  # a variant of a variant is based on the first one's library scenario
    for key in body.set:
        if not _SET_KEY.fullmatch(key) or (key not in _SETTABLE_FIELDS and not (
                key.startswith(_SETTABLE_PREFIXES) and all(key.split(".")))):
            _refuse(422, ["body", "set", key], f"{key!r} cannot be changed in a variant: change params.NAME, "
                    "targets.KPI…, horizon_s or building (replications, seed, sweep and title have fields "
                    "of their own)")
    if body.title is not None:
        missing = missing_languages(body.title)
        if missing:
            _refuse(422, ["body", "title", missing[0]], f"give the title in both languages ({', '.join(LANGUAGES)}); "
                    f"missing: {', '.join(missing)}")
    doc = copy.deepcopy(data)
    try:
        for key, value in body.set.items():
            set_path(doc, key, copy.deepcopy(value), file)
    except SpecError as exc:
        raise _spec_refusal(exc, body) from None
    if "building" in body.set:
        doc["building"] = _variant_building(doc.get("building"), ctx)
    if body.sweep is not None:
        doc["sweep"] = copy.deepcopy(body.sweep) or None
    if body.replications is not None:
        doc["replications"] = body.replications
    if body.seed is not None:
        doc["seed"] = body.seed
    parent_title = scenario_words(data.get("title")) or {"en": parent.name}
    title = dict(body.title) if body.title is not None else {
        code: f"{parent_title.get(code) or parent_title.get('en') or parent.name} · {body.name}" for code in LANGUAGES}
    head = {"name": body.name, "title": title, "based_on": root}
    doc = {**head, **{k: v for k, v in doc.items() if k not in head}}
    if doc.get("sweep") is None:
        doc.pop("sweep", None)
    roots = building_roots(folder, ctx.settings.buildings_dir, ctx.buildings.live_path)
    try:
        check_nesting(doc, file)
        scenario, model, _, points = quick_check(doc, file, folder, roots)
        if points <= FULL_CHECK_MAX_POINTS:
            parse_scenario(doc, file, folder, roots)
    except SpecError as exc:
        raise _spec_refusal(exc, body) from None
    words = yaml.dump(doc, Dumper=_NoAliases, allow_unicode=True, sort_keys=False, width=100)
    size = len(words.encode("utf-8"))
    if size > MAX_VARIANT_BYTES:
        _refuse(422, ["body"], f"the variant would be a file of {size // 1024} KiB, more than the limit of "
                f"{MAX_VARIANT_BYTES // 1024} KiB", "too_large")
    try:
        same = parse_yaml_text(words, file) == doc
    except SpecError:
        same = False
    if not same:
        _refuse(422, ["body", "set"], "the changes cannot be written as a scenario file faithfully")
    base = variant_base(doc, folder) if root != parent.name else None  # a variant's variant: its library's
    changes = scenario_changes(data if base is None else base, doc, model.params)
    return doc, words, changes


@router.post("/variants", response_model=ScenarioInfo, status_code=201,
             responses=error_responses(404, 409, 413), summary="Save a changed scenario as a named variant")
async def save_variant(body: VariantCreate, ctx: Ctx, _: Planner) -> ScenarioInfo:
    """Write ``scenarios/NAME.yaml`` in the data folder: the scenario ``based_on`` names with ``set``,
    ``sweep``, ``replications``, ``seed`` and ``title`` applied, and ``based_on`` naming its library
    scenario (a variant of a variant is based on the first one's). It is checked as a run of it will
    be — a problem is a 422 naming the request's field, and nothing is written. 409 when a scenario
    of that name exists (a variant is replaced with ``replace: true``); 404 when ``based_on`` names
    no scenario. The answer lists it as ``GET /scenarios`` does, with its changes."""
    deadline = time.monotonic() + ctx.settings.check_budget_s

    def save() -> ScenarioInfo:
        doc, words, changes = _variant_document(body, ctx)
        if time.monotonic() > deadline:  # answered with a 422 already: write nothing
            raise ApiError(422, ["body"], "checking the variant took too long", "check_timeout")
        return _write_variant(body, ctx.settings.scenarios_dir, doc, words, changes)

    answer = await check_off_loop(ctx, save)
    log.info("variant %s saved (based on %s)", body.name, answer.based_on)
    return answer


def _write_variant(body: VariantCreate, folder: Any, doc: dict, words: str, changes: list[dict]) -> ScenarioInfo:
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{body.name}.yaml"
    tmp = folder / f".{body.name}.{secrets.token_hex(6)}.tmp"
    try:
        with open(tmp, "x", encoding="utf-8") as out:
            out.write(words)
            out.flush()
            os.fsync(out.fileno())
        if body.replace:
            if final.is_symlink() or (final.exists() and not final.is_file()):
                raise ApiError(409, ["body", "name"], f"{final.name} in the data folder is not a variant's file",
                               "conflict")
            os.replace(tmp, final)
        else:
            try:
                os.link(tmp, final)  # fails if the name was taken meanwhile: never overwrites
            except FileExistsError:
                raise ApiError(409, ["body", "name"], f"a scenario named {body.name!r} exists; send replace: "
                               "true to replace a variant", "conflict") from None
    finally:
        tmp.unlink(missing_ok=True)
    return _info(body.name, "loaded", doc, folder, changes)


@router.delete("/variants/{name}", status_code=204, responses=error_responses(404, 409),
               summary="Delete a saved variant")
def delete_variant(name: VariantPathName, ctx: Ctx, _: Planner) -> Response:
    """Remove ``scenarios/NAME.yaml`` when it is a saved variant (a file with ``based_on``); its runs
    stay. 404 when there is no such variant; 409 for a library or loaded scenario that is no variant."""
    src = find_scenario(name, ctx.settings.scenarios_dir)
    if src is None:
        raise ApiError(404, ["path", "name"], f"no variant named {name!r}", "not_found")
    if src.source != "loaded" or not _is_variant(src.path):
        raise ApiError(409, ["path", "name"], f"{name!r} is a {'library' if src.source == 'library' else 'loaded'} "
                       "scenario, not a saved variant; only variants are deleted here", "conflict")
    src.path.unlink(missing_ok=True)
    log.info("variant %s deleted", name)
    return Response(status_code=204)


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
