"""Scenario files: one what-if, written down so it can be run again.

A scenario names its model, the building it runs against (a shipped sample's name or a path
relative to the scenario file), the seed and number of replications, the horizon, the model's
parameters and, optionally, a sweep: a list of values for one or more parameters, run as the
cartesian product of those values (each point with the same seeds: common random numbers, so
differences between points are the parameters' doing, not chance's).

Loading a scenario checks everything before any simulation runs: the file's own fields, the
model's parameters (its pydantic class), the building, the parameters against the building (an
event naming a space that does not exist) and every sweep point. Each problem names the file, the
field path and the offending value.
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import networkx as nx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from models import ModelSpec, UnknownModelError, get_model
from models.harness import KPI, Target
from models.stats import KIND_BOUNDS
from twin.errors import SpecError, SpecIssue, format_path, format_value, issues_from_validation_error
from twin.graph import build_graph
from twin.loader import confined_file, load_building, parse_yaml_text, read_yaml, sample_names, sample_path
from twin.spec import Building, Id
from twin.text import LANGUAGES

__all__ = ["Scenario", "TargetSpec", "OptimiseSpec", "Words", "scenario_text", "LoadedScenario", "SweepPoint", "LIBRARY_DIR", "library_scenarios", "resolve_scenario_path",
           "building_file", "building_and_graph", "scenario_and_model", "sweep_points", "set_path",
           "load_scenario", "parse_scenario", "apply_overrides"]

LIBRARY_DIR = Path(__file__).parent / "library"
MAX_REPLICATIONS = 10_000
MAX_SWEEP_POINTS = 1_000
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _both_languages(value: str | dict[str, str]) -> str | dict[str, str]:
    """A title or description: a plain string (kept as written), or words in both languages."""
    if isinstance(value, dict):
        unknown = [code for code in value if code not in LANGUAGES]
        if unknown:
            raise ValueError(f"unknown language {unknown[0]!r}: write {' and '.join(LANGUAGES)}")
        missing = [code for code in LANGUAGES if not str(value.get(code) or "").strip()]
        if missing:
            raise ValueError(f"give the words in both languages ({', '.join(LANGUAGES)}), or one plain string; "
                             f"missing: {', '.join(missing)}")
    return value


Words = Annotated[str | dict[str, str], AfterValidator(_both_languages)]
"""A scenario's title or description: ``{en: …, zh-CN: …}``, or one plain string (a user's own file)."""


def scenario_text(value: str | dict[str, str] | None) -> dict[str, str]:
    """A title or description as :data:`~twin.text.Text`: a plain string is kept as English (the
    language it is most often written in; a reader in Chinese sees it as written), ``{}`` for none."""
    if isinstance(value, dict):
        return {code: value[code] for code in LANGUAGES if value.get(code)}
    if isinstance(value, str) and value.strip():
        return {"en": value}
    return {}


class TargetSpec(BaseModel):
    """A scenario's target for one KPI (``targets: {kpi_name: {op, value, rule}}``); it replaces the
    KPI's own target from the model. ``rule: mean`` judges the mean and its interval, ``every`` each
    replication (see :class:`models.harness.Target`); ``source`` says where the target comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    op: Literal["<=", ">="]
    value: Annotated[float, Field(allow_inf_nan=False)]
    rule: Literal["mean", "every"] = "mean"
    source: Words | None = None

    def target(self) -> Target:
        return Target(self.op, self.value, self.rule, scenario_text(self.source) or None)


def _optimise_words(kind: str) -> Callable[[list[str]], list[str]]:
    """A validator of an ``optimise:`` list: each item in the command line's syntax."""
    def check(items: list[str]) -> list[str]:
        from scenarios import optimise  # the optimiser imports this module

        parse = optimise.parse_range if kind == "over" else optimise.parse_constraint
        for item in items:
            try:
                parse(item)
            except SpecError as exc:
                raise ValueError(f"{item!r}: {exc.issues[0].message}") from None
        return items
    return check


class OptimiseSpec(BaseModel):
    """A scenario's ``optimise:`` block: what ``twin optimise`` searches when its command line
    gives none (the syntax is the command line's; :mod:`scenarios.optimise`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    minimise: str | None = Field(None, min_length=1, max_length=200)
    maximise: str | None = Field(None, min_length=1, max_length=200)
    subject_to: Annotated[list[str], AfterValidator(_optimise_words("subject_to"))] = Field(
        default_factory=list, max_length=20)
    over: Annotated[list[str], AfterValidator(_optimise_words("over"))] = Field(default_factory=list, max_length=8)
    trials: Annotated[int, Field(ge=1, le=200)] | None = None
    replications: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)] | None = None
    prune: bool = True
    """Stop plans early that cannot be the answer (a promise's interval wholly on the bad side, or
    worse than the best feasible plan); ``false`` runs every plan in full."""
    monotone: bool = False
    """Assume more of every searched parameter never breaks a promise and never costs less (staff
    counts): plans that assumption rules out are not run, and say so. Off unless asked for."""


class Scenario(BaseModel):
    """The fields of a scenario file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Id
    title: Words | None = None
    description: Words = ""
    based_on: Id | None = None
    """A saved variant's library scenario (``POST /scenarios/variants`` writes it): a run of the
    variant lists what it changes from that scenario. It changes nothing the model computes."""
    model: str = Field(min_length=1)
    building: str = Field(min_length=1)
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = 10
    horizon_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 3600.0
    params: dict[str, Any] = Field(default_factory=dict)
    sweep: dict[str, list[Any]] | None = None
    targets: dict[str, TargetSpec] | None = None
    """Targets of the model's KPIs for this scenario (an SLA share ≥ the promise), replacing the
    KPI's own: the summary then gives each a pass / fail / uncertain verdict."""
    optimise: OptimiseSpec | None = None
    """What ``twin optimise`` searches by default (:class:`OptimiseSpec`); a run ignores it."""

    @property
    def title_text(self) -> dict[str, str]:
        """The title as words by language (the scenario's name when it has none)."""
        return scenario_text(self.title) or {"en": self.name}

    @property
    def description_text(self) -> dict[str, str]:
        return scenario_text(self.description)

    def target_of(self, kpi: KPI) -> Target | None:
        """The target a KPI is judged by in this scenario: the scenario's, else the KPI's own."""
        spec = (self.targets or {}).get(kpi.name)
        return spec.target() if spec is not None else kpi.target


@dataclass(frozen=True)
class SweepPoint:
    """One combination of swept values and the model parameters it gives."""

    index: int
    assignments: dict[str, Any]
    params: BaseModel


@dataclass(frozen=True)
class LoadedScenario:
    """A scenario checked and resolved: its model, building, floor graph and sweep points."""

    scenario: Scenario
    file: str
    model: ModelSpec
    building: Building
    building_ref: str
    graph: nx.MultiGraph
    points: tuple[SweepPoint, ...]
    raw: dict

    @property
    def params(self) -> BaseModel:
        return self.points[0].params


def library_scenarios() -> list[Path]:
    """Scenario files of the shipped library."""
    return sorted(LIBRARY_DIR.glob("*.yaml"))


def resolve_scenario_path(ref: str | Path) -> Path:
    """A path as given, or the library scenario of that name."""
    path = Path(ref)
    if path.exists():
        return path
    candidate = LIBRARY_DIR / f"{ref}.yaml"
    if candidate.is_file():
        return candidate
    names = ", ".join(p.stem for p in library_scenarios())
    raise SpecError.single(str(ref), "(file)", f"no such file, and no library scenario of that name (library: {names})")


def set_path(doc: dict, dotted: str, value: Any, file: str) -> None:
    """Set a ``params.alarm_delay_s``-style path in a scenario document (in place)."""
    keys = dotted.split(".")
    if not all(keys):
        raise SpecError.single(file, dotted, "a field path is names joined by dots, e.g. params.technicians")
    node = doc
    for key in keys[:-1]:
        if node.get(key) is None:
            node[key] = {}
        if not isinstance(node[key], dict):
            raise SpecError.single(file, dotted, f"cannot set inside {format_value(node[key])}: not a mapping")
        node = node[key]
    node[keys[-1]] = value


def apply_overrides(data: dict, overrides: list[str] | tuple[str, ...], file: str = "--set") -> dict:
    """Apply ``path=value`` overrides (values read as YAML scalars) to a copy of a scenario document."""
    doc = copy.deepcopy(data)
    for item in overrides:
        if "=" not in item:
            raise SpecError.single("--set", item, "expected PATH=VALUE, e.g. params.alarm_delay_s=120")
        path, text = item.split("=", 1)
        try:
            value = parse_yaml_text(text, file)
        except SpecError:
            value = text  # not YAML: keep the text, the field's own check will judge it
        set_path(doc, path.strip(), value, file)
    return doc


def _validate_params(model: ModelSpec, params: dict, file: str, data: dict, prefix: tuple) -> BaseModel:
    try:
        return model.params.model_validate(params)
    except ValidationError as exc:
        issues = issues_from_validation_error(exc, file, data.get("params"))
        raise SpecError([SpecIssue(i.file, _prefixed(prefix, i.path), i.message) for i in issues]) from None


def _prefixed(prefix: tuple, path: str) -> str:
    head = format_path(prefix)
    if path == "(top level)":
        return head
    return f"{head}{path}" if path.startswith("[") else f"{head}.{path}"


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long for the file system is no file
        return False


def building_file(ref: str, base_dir: Path | None, file: str, roots: Sequence[Path] | None = None) -> Path:
    """The file of a scenario's building: a path relative to the scenario's folder, or a shipped
    sample's name (``tower``). Raises :class:`SpecError` naming the scenario's ``building`` field.

    ``roots`` confines a reference that arrived over the network: then the building must be a
    sample, or a file that lies, after its symbolic links are resolved, inside one of ``roots``
    (the shipped samples, the data folder's ``buildings/``…; a root that is a file admits that
    file). Anything else — an absolute path elsewhere, a ``../`` walk out, a link pointing out — is
    refused with one message, whether or not such a file exists, and without opening it. Without ``roots`` (a person's own command line), a path
    relative to the working directory is tried too.
    """
    ref_path = Path(ref)
    if roots is None:
        if base_dir is not None and not ref_path.is_absolute() and _is_file(base_dir / ref_path):
            return base_dir / ref_path
        if _is_file(ref_path):
            return ref_path
    else:
        # An absolute path (a file the server's own settings chose, such as the live building,
        # named in a loaded scenario) passes the same confinement as a relative one.
        candidate = ref_path if ref_path.is_absolute() else (base_dir / ref_path if base_dir is not None else None)
        inside = confined_file(candidate, roots) if candidate is not None else None
        if inside is not None:
            return inside
    sample = sample_path(ref)
    if sample is not None:
        return sample
    samples = ", ".join(sample_names()) or "none"
    if roots is not None and not _PLAIN_NAME.fullmatch(ref):
        raise SpecError.single(file, "building", f"{format_value(ref)} is not a shipped sample or a building file "
                               f"loaded on the server; name one (samples: {samples})")
    raise SpecError.single(file, "building", f"no building file or sample {format_value(ref)} (samples: {samples})")


def sweep_points(scenario: Scenario, model: ModelSpec, file: str, *, building: Building | None = None,
                 graph: nx.MultiGraph | None = None) -> tuple[SweepPoint, ...]:
    """Every sweep point with its validated model parameters (one point when there is no sweep).

    The sweep's keys must be ``params.NAME`` paths and its size within the limit (counted before
    anything is expanded). With a building, the model's own check of the parameters against it
    runs at every point too. Problems name the file and field; a sweep point's also its values.
    """
    sweep = scenario.sweep or {}
    for key, values in sweep.items():
        if not key.startswith("params.") or len(key) <= len("params."):
            raise SpecError.single(file, f"sweep.{key}", "a swept field is a model parameter: write params.NAME")
        if not values:
            raise SpecError.single(file, f"sweep.{key}", "give at least one value")
    n_points = math.prod(len(v) for v in sweep.values()) if sweep else 1
    if n_points > MAX_SWEEP_POINTS:
        raise SpecError.single(file, "sweep", f"{n_points} points is more than the limit of {MAX_SWEEP_POINTS}")
    points: list[SweepPoint] = []
    for index, combo in enumerate(itertools.product(*sweep.values()) if sweep else [()]):
        assignments = dict(zip(sweep.keys(), combo))
        doc = {"params": copy.deepcopy(scenario.params)}
        for key, value in assignments.items():
            set_path(doc, key, value, file)
        try:
            params = _validate_params(model, doc["params"], file, doc, ("params",))
            problems = list(model.check(params, building, graph)) if (
                building is not None and model.check is not None) else []
            if problems:
                raise SpecError([SpecIssue(file, _prefixed(("params",), format_path(loc, doc["params"])), msg)
                                 for loc, msg in problems])
        except SpecError as exc:
            if not assignments:
                raise
            where = ", ".join(f"{k}={format_value(v)}" for k, v in assignments.items())
            raise SpecError([SpecIssue(i.file, i.path, f"{i.message} (in sweep point {where})")
                             for i in exc.issues]) from None
        points.append(SweepPoint(index, assignments, params))
    return tuple(points)


def building_and_graph(ref: str | Path) -> tuple[Building, nx.MultiGraph]:
    """A building and its floor graph, loaded once per file version (path, size, modification time):
    a service checking many scenarios against the same tower does not parse it every time."""
    path = Path(ref)
    if not path.exists():
        path = sample_path(str(ref)) or path
    try:
        st = path.stat()
    except OSError:
        building = load_building(ref)  # raises the loader's own error
        return building, build_graph(building)
    return _cached_building(str(path.resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _cached_building(path: str, size: int, mtime_ns: int) -> tuple[Building, nx.MultiGraph]:
    building = load_building(Path(path))
    return building, build_graph(building)


def scenario_and_model(data: Any, file: str) -> tuple[Scenario, ModelSpec]:
    """The scenario's own fields checked, and its registered model (no building is loaded)."""
    if not isinstance(data, dict):
        raise SpecError.single(file, "(top level)", f"a scenario file is a mapping of fields, got {type(data).__name__}")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise SpecError(issues_from_validation_error(exc, file, data)) from None
    try:
        model = get_model(scenario.model)
    except UnknownModelError as exc:
        raise SpecError.single(file, "model", str(exc)) from None
    _check_targets(scenario, model, file)
    if scenario.optimise is not None:
        from scenarios.optimise import check_block  # the optimiser imports this module

        check_block(scenario.optimise, model, file)
    return scenario, model


def _check_targets(scenario: Scenario, model: ModelSpec, file: str) -> None:
    """Each of the scenario's targets names one of the model's KPIs and a value it can take."""
    issues = []
    known = {k.name: k for k in model.kpis}
    for name, target in (scenario.targets or {}).items():
        kpi = known.get(name)
        if kpi is None:
            issues.append(SpecIssue(file, f"targets.{name}", f"unknown KPI {name!r} of model {model.name!r} "
                                    f"(its KPIs: {', '.join(known)})"))
            continue
        low, high = KIND_BOUNDS.get(kpi.kind, (-math.inf, math.inf))
        if not low <= target.value <= high:
            hint = " (a share is a fraction: 95 % is 0.95)" if kpi.kind == "share" else ""
            issues.append(SpecIssue(file, f"targets.{name}.value", f"{target.value:g} is outside what "
                                    f"{name} can take ({low:g} … {high:g}){hint}"))
    if issues:
        raise SpecError(issues)


def parse_scenario(data: Any, file: str = "<scenario>", base_dir: Path | None = None,
                   roots: Sequence[Path] | None = None) -> LoadedScenario:
    """Check a parsed scenario document completely; raise :class:`SpecError` with every problem.

    ``roots`` confines where its building may be (see :func:`building_file`); the server gives it.
    """
    scenario, model = scenario_and_model(data, file)
    path = building_file(scenario.building, base_dir, file, roots)
    try:
        building, graph = building_and_graph(path)
    except SpecError as exc:
        if exc.issues[0].path == "(file)" and len(exc.issues) == 1:
            raise SpecError.single(file, "building", f"no building file or sample {format_value(scenario.building)} "
                                   f"(samples: {', '.join(sample_names())})") from None
        raise

    points = sweep_points(scenario, model, file, building=building, graph=graph)
    return LoadedScenario(scenario, file, model, building, scenario.building, graph, points, data)


def load_scenario(ref: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> LoadedScenario:
    """Load and check a scenario file (or library scenario name), with optional ``--set`` overrides."""
    path = resolve_scenario_path(ref)
    data = read_yaml(path)
    if overrides and isinstance(data, dict):
        data = apply_overrides(data, overrides, path.name)
    return parse_scenario(data, path.name, path.parent)
