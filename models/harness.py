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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import networkx as nx
import numpy as np
import simpy
from pydantic import BaseModel

from twin.spec import Building

__all__ = ["KPI", "Chart", "ModelContext", "ReplicationResult", "ReplicationCost", "ModelSpec", "register", "get_model",
           "available_models", "UnknownModelError"]


@dataclass(frozen=True)
class KPI:
    """A key performance indicator a model reports once per replication."""

    name: str
    unit: str
    description: str
    better: Literal["lower", "higher"] | None = "lower"


@dataclass(frozen=True)
class Chart:
    """A chart the report draws from a records table, described as data (no plotting code).

    ``kind`` is ``line`` (y against x, one line per ``group``, replication 0 unless
    ``all_replications``), ``step`` (the same as a step curve), ``bar`` (mean of y per x across
    replications) or ``hist`` (distribution of x).
    """

    title: str
    table: str
    kind: Literal["line", "step", "bar", "hist"]
    x: str
    y: str | None = None
    group: str | None = None
    x_label: str | None = None
    y_label: str | None = None
    all_replications: bool = False


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
    title: str
    description: str
    params: type[BaseModel]
    kpis: tuple[KPI, ...]
    run: Callable[[ModelContext], ReplicationResult]
    charts: tuple[Chart, ...] = ()
    check: Callable[[BaseModel, Building, nx.MultiGraph], Sequence[tuple[tuple, str]]] | None = None
    """Checks of the parameters against the building (unknown space in an event…), run before any
    simulation; each problem is (location inside ``params``, message)."""
    from_live: Callable[[BaseModel, Any, Building], tuple[BaseModel, list[str]]] | None = None
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
    advise: Callable[[BaseModel, float, Building | None], Sequence[str]] | None = None
    """``advise(params, horizon_s, building)``: warnings about parameters that are valid but make
    the run say little (an alarm after the horizon: nobody is alerted); in the summary's ``warnings``."""
    review: Callable[[Sequence[Mapping[str, float]]], Mapping[str, str]] | None = None
    """``review(kpis)``: findings about what a sweep point's replications (their KPI values) show
    as a whole, each a name and a note (``{"nobody_moved": "nobody moved: …"}``): the notes go in
    the point's ``notes`` and the summary's, and each finding's name is a flag of the summary,
    true when every sweep point has it."""

    def kpi(self, name: str) -> KPI:
        for k in self.kpis:
            if k.name == name:
                return k
        raise KeyError(name)


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


def get_model(name: str) -> ModelSpec:
    _load_builtin_models()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownModelError(name) from None


def available_models() -> list[str]:
    _load_builtin_models()
    return sorted(_REGISTRY)


def _load_builtin_models() -> None:
    # Importing the package registers the models it ships.
    import models  # noqa: F401
