"""The harness every simulation model shares: its context, its results and its registry.

A model is a function ``run(ctx) -> ReplicationResult`` plus a description of itself
(:class:`ModelSpec`): its name, a pydantic class for its parameters, the KPIs it reports and the
charts its report should show. Registering the spec is all it takes for a model to appear in the
runner, the command line, the API and the report — none of them names a model.

The context gives a replication everything it may use and nothing else: its own SimPy
environment, its own random generator (from the scenario seed via ``SeedSequence.spawn``), the
building, its floor graph, the validated parameters, the horizon and an optional live snapshot
as initial conditions. Models receive objects, never paths, sockets or environment variables.

A model that starts from live state says how in ``ModelSpec.from_live`` (see :mod:`models.live`):
the runner applies it once per sweep point, before any replication, and records what it did.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx
import numpy as np
import simpy
from pydantic import BaseModel

from twin.spec import Building
from twin.text import Text, text

__all__ = ["KPI", "Kind", "Target", "param_label", "PICK_KINDS", "Chart", "ReportTable", "ModelContext", "ReplicationResult", "ReplicationCost", "ModelSpec", "collector_paused", "register", "get_model",
           "available_models", "UnknownModelError"]


Kind = Literal["duration", "share", "count", "exposure", "money", "margin", "quantity"]
"""What a KPI measures, which fixes the values it can take and the interval reported over
replications (:mod:`models.stats`): a ``share`` lies in [0, 1]; a ``count``, an ``exposure``
(person·seconds), a ``quantity`` and a ``duration`` are never negative; ``money`` and a ``margin``
(ASET − RSET) may take either sign."""


@dataclass(frozen=True)
class Target:
    """What a KPI must reach for a pass: ``value`` with ``op`` (``<=``: at most, ``>=``: at least).

    ``rule`` says what is compared: ``mean`` — the mean over replications, with its interval (pass
    when the whole interval is on the good side, fail when it is wholly on the bad side, uncertain
    when it straddles the target); ``every`` — each replication (one replication on the bad side is
    a fail, naming the replications and where the model says it happened).
    """

    op: Literal["<=", ">="]
    value: float
    rule: Literal["mean", "every"] = "mean"
    source: Text | None = None
    """Where the target comes from (a code clause, the service promise), in both languages."""

    def met(self, x: float) -> bool:
        return x <= self.value if self.op == "<=" else x >= self.value


@dataclass(frozen=True)
class KPI:
    """A key performance indicator a model reports once per replication.

    ``label`` and ``description`` are the words a person reads, in both languages
    (:func:`twin.text.text`); ``unit`` is the code unit (``s``, ``min``, ``share``, ``persons``…)
    whose display form is in :data:`models.units.UNITS`; ``kind`` fixes the interval; ``target``
    is optional and a scenario may set or override it (``targets:`` in the scenario file).
    """

    name: str
    unit: str
    label: Text
    description: Text
    kind: Kind
    better: Literal["lower", "higher"] | None = "lower"
    target: Target | None = None


@dataclass(frozen=True)
class Chart:
    """A chart the report draws from a records table, described as data (no plotting code).

    ``kind`` is ``line`` (y against x, one line per ``group``, replication 0 unless
    ``all_replications``), ``step`` (the same as a step curve), ``bar`` (mean of y per x across
    replications), ``hist`` (distribution of x) or ``gantt`` (a timeline: one row per ``group``
    value — a person, a lift — with a bar from column ``x`` to column ``y`` for each record,
    coloured by the ``colour`` column, of the first replication of the first point, within
    ``window_s`` when it is set: a week of a year's staff time).
    """

    title: Text
    table: str
    kind: Literal["line", "step", "bar", "hist", "gantt"]
    x: str
    y: str | None = None
    group: str | None = None
    x_label: Text | None = None
    y_label: Text | None = None
    all_replications: bool = False
    colour: str | None = None
    """For a ``gantt``: the column whose values colour the bars (working, travelling…)."""
    window_s: tuple[float, float] | None = None
    """For a ``gantt``: the span of time shown (seconds from the start)."""
    marks: tuple[tuple[float, Text], ...] = ()
    """Reference values drawn as labelled lines: on the x axis of a ``hist`` (the 30-min rule
    against a distribution of arrival times), on the y axis of a ``line``, ``step`` or ``bar``."""


@dataclass(frozen=True)
class ReportTable:
    """A table the report shows from a records table, described as data: the rows of the first sweep
    point with ``where`` (column → value), one row per distinct ``by`` values in order of first
    appearance, with the ``average`` columns averaged over the replications (the zero-based budget:
    one line per cost driver, its quantity and amount the mean of the replications). ``columns``
    are (column, label) in the order shown; ``localised`` names a column to show instead in a
    language (``{"driver": {"zh-CN": "driver_zh_cn"}}``). The report also offers the whole table,
    every point and replication, as a CSV file to download."""

    title: Text
    table: str
    columns: tuple[tuple[str, Text], ...]
    by: tuple[str, ...]
    average: tuple[str, ...] = ()
    where: Mapping[str, Any] = field(default_factory=dict)
    localised: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    description: Text | None = None


@dataclass
class ModelContext:
    """What one replication of a model may use."""

    env: simpy.Environment
    rng: np.random.Generator
    building: Building
    graph: nx.MultiGraph
    params: BaseModel
    horizon_s: float
    replication: int = 0
    snapshot: Any | None = None


@dataclass(frozen=True)
class ReplicationResult:
    """What one replication produced: its KPI values and its record tables (rows are flat dicts)."""

    kpis: Mapping[str, float]
    records: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    censored: frozenset[str] = frozenset()
    """KPIs whose value is only a bound because the horizon cut the replication off (someone was
    still inside): reported as censored, never as what happened."""
    where: Mapping[str, str] = field(default_factory=dict)
    """Where a KPI's value was set, in a few words (``min_margin_s`` → ``floors 12, 14``): named
    in a failed verdict beside the replication."""


@dataclass(frozen=True)
class ReplicationCost:
    """What one replication is expected to cost, estimated from its parameters before it runs: the
    SimPy events it processes (its time) and the record rows it keeps (its memory). An estimate
    within a factor of two or so is enough — it only has to tell a run that cannot finish from
    one that can (:mod:`scenarios.budget`)."""

    events: float
    record_rows: float


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: everything the runner, API and report need to know about it."""

    name: str
    title: Text
    description: Text
    params: type[BaseModel]
    kpis: tuple[KPI, ...]
    run: Callable[[ModelContext], ReplicationResult]
    charts: tuple[Chart, ...] = ()
    tables: tuple[ReportTable, ...] = ()
    """Tables the report shows (and offers as CSV) from the records: the operations model's budget."""
    check: Callable[[BaseModel, Building, nx.MultiGraph], Sequence[tuple[tuple, str]]] | None = None
    """Checks of the parameters against the building (unknown space in an event…), run before any
    simulation; each problem is (location inside ``params``, message)."""
    from_live: Callable[[BaseModel, Any, Building], tuple[BaseModel, list[Text]]] | None = None
    """``from_live(params, conditions, building) -> (params, notes)``: the parameters adjusted to
    the live twin's :class:`models.live.LiveConditions` (equipment out of service, open alarms,
    time of day), with one note per adjustment for the run's summary. A model without it runs
    from a snapshot unchanged, and the summary says so."""
    cost: Callable[[BaseModel, float, Building | None], ReplicationCost] | None = None
    """``cost(params, horizon_s, building)``: the estimated :class:`ReplicationCost` of one
    replication (``building`` may be None when it is not loaded yet); checked against the run's
    time and memory budget before a run is accepted."""
    max_horizon_s: float | None = None
    """The longest simulated time that makes sense for this model (an evacuation is over in hours,
    a repair desk's week or year is long enough); a longer ``horizon_s`` is refused."""
    advise: Callable[[BaseModel, float, Building | None], Sequence[Text]] | None = None
    """``advise(params, horizon_s, building)``: warnings about parameters that are valid but make
    the run say little (an alarm after the horizon: nobody is alerted); in the summary's ``warnings``."""
    review: Callable[[Sequence[ReplicationResult]], Mapping[str, Text]] | None = None
    """``review(results)``: findings about what a sweep point's replications (their KPI values,
    records and ``where``) show as a whole, each a name and a note in both languages
    (``{"nobody_moved": text("nobody moved: …", "无人移动：…")}``): the notes go in
    the point's ``notes`` and the summary's, and each finding's name is a flag of the summary,
    true when every sweep point has it."""

    def __post_init__(self) -> None:
        # Every replication of every model, whoever calls ``run`` (the runner, a benchmark, a test),
        # runs with Python's cycle collector paused (:func:`collector_paused`).
        if not getattr(self.run, "collector_paused", False):
            object.__setattr__(self, "run", _with_collector_paused(self.run))

    def kpi(self, name: str) -> KPI:
        for k in self.kpis:
            if k.name == name:
                return k
        raise KeyError(name)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a replication, back on (if it was) afterwards.

    A replication allocates some hundred thousand small objects (events, occupants, jobs, record rows)
    that reference counting frees or that live until its end; the collector's passes over them while it
    runs find nothing to free, and its older generations' passes walk everything else the process holds
    too — the building, its graph, the rows kept so far — again and again (the evacuation drill of the
    sample tower takes 0.87 of the time paused, the operations model 0.91, best of 8 each, alternating
    in one process with the same seeds: ``bench/bench_gc.py``). Once the collector is back on, the first allocation sets
    off one collection of the generation CPython's own rules pick (the young one as a rule, an older one
    when its turn has come), so what a replication leaves in cycles is freed on the collector's usual
    schedule, counted in replications instead of allocations. Memory is not raised by it: what a
    replication keeps lives to its end either way."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _with_collector_paused(run: Callable[[ModelContext], ReplicationResult]) -> Callable[[ModelContext], ReplicationResult]:
    @functools.wraps(run)
    def paused(ctx: ModelContext) -> ReplicationResult:
        with collector_paused():
            return run(ctx)

    paused.collector_paused = True  # type: ignore[attr-defined]
    return paused


PICK_KINDS = ("space", "door", "stair", "exit", "floor", "car", "lift_group", "equipment", "space_kind",
              "equipment_kind", "system")
"""What a parameter may name of its building (``param_label(..., pick=...)``): the console's form
offers the building's own ones (``GET /buildings/{key}/choices``) instead of a text box."""


def param_label(en: str, zh_cn: str, description_en: str, description_zh_cn: str, unit: str | None = None,
                pick: str | None = None, pick_value: str | None = None) -> dict:
    """The ``json_schema_extra`` of a parameter's ``Field``: its label and one-line description in
    both languages and its unit, carried into the JSON Schema (``x-label``, ``x-description``,
    ``x-unit``) that the console's form, the report and the API read::

        technicians: int = Field(3, ge=1, le=500, description="technicians on shift",
                                 json_schema_extra=param_label("Technicians", "维修技术人员", ...))

    ``pick`` says that the value names a thing of the building (:data:`PICK_KINDS`; ``"space|floor"``
    when either may be named): ``x-pick`` in the schema. On a list of ids it is on the list's field
    (the form offers a multi-select); on a mapping it names the keys' kind, and ``pick_value`` the
    values' kind (``x-pick-value``: ``assigned_exits`` maps a space or floor to an exit).
    """
    extra = {"x-label": text(en, zh_cn), "x-description": text(description_en, description_zh_cn)}
    if unit is not None:
        extra["x-unit"] = unit
    for key, kinds in (("x-pick", pick), ("x-pick-value", pick_value)):
        if kinds is not None:
            unknown = [k for k in kinds.split("|") if k not in PICK_KINDS]
            if unknown:
                raise ValueError(f"param_label {en!r}: unknown pick kind {unknown[0]!r} "
                                 f"(kinds: {', '.join(PICK_KINDS)})")
            extra[key] = kinds
    return extra


class UnknownModelError(KeyError):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown model {self.name!r} (available: {', '.join(available_models())})"


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add a model to the registry; its name must be new."""
    if spec.name in _REGISTRY and _REGISTRY[spec.name] is not spec:
        raise ValueError(f"model {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


BUILTIN_MODELS: dict[str, str] = {
    "repair_desk": "models.repair_desk",
    "evacuation": "models.evacuation",
    "operations": "models.operations",
    "energy": "models.energy",
    "elevators": "models.elevators",
}
"""The models shipped with the package: name → the module whose import registers it. A model is
imported when it is first asked for, so a run of one model does not pay for importing the others."""


def get_model(name: str) -> ModelSpec:
    if name not in _REGISTRY and name in BUILTIN_MODELS:
        import importlib

        importlib.import_module(BUILTIN_MODELS[name])
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownModelError(name) from None


def available_models() -> list[str]:
    _load_builtin_models()
    return sorted(_REGISTRY)


def _load_builtin_models() -> None:
    import importlib

    for module in BUILTIN_MODELS.values():
        importlib.import_module(module)
