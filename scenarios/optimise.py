"""The cheapest plan that keeps the promises: a search over a scenario's parameters.

A supervisor asks "how few technicians keep 95 % of emergencies attended within 30 minutes?"; a
safety officer "how long may the alarm be delayed and the 95th percentile still be out in 15
minutes?". Each is a search over some of a scenario's parameters (the *plan*: head counts, shift
lengths, delays), minimising (or maximising) one figure (the *objective*: a KPI's mean, or a
parameter itself, such as the head count) subject to *promises* on other KPIs. It works for every
registered model: a plan is the scenario with its parameters set, run by the ordinary runner
(:func:`scenarios.runner.run_scenario`), so the model's own checks, the run budget and the
verdicts all apply.

Honest answers:

* **Common random numbers.** Every plan runs with the scenario's seed and replications, so
  replication *r* of every plan sees the same random stream: the difference between two plans is
  the plans' doing, not chance's (and the same plan twice gives the same KPIs).
* **A promise is kept only when its 95 % interval clears the target.** ``KPI>=VALUE`` needs the
  interval's low end (``ci95_low`` of the summary) at or above the value, ``KPI<=VALUE`` its high
  end at or below it. A plan whose mean clears but whose interval straddles the target is *not*
  feasible: the replications do not show the promise is kept (run more replications to find out).
* **Every plan is reported**, feasible or not and why not, with the means and intervals of the
  objective and of every promised KPI, and the frontier: the plans no other plan beats on both the
  objective and the first promise (cost versus promise).

The search is Optuna's (a well-kept library; seeded with the scenario's seed, so the same request
tries the same plans): when every searched parameter is an integer and the grid has at most
``trials`` plans, its :class:`~optuna.samplers.GridSampler` tries them all — exhaustive is the
honest answer for two head counts of five values each; otherwise its TPE sampler, told about the
promises (each trial's constraints), proposes ``trials`` plans. A plan proposed twice is run once.

Plans that cannot be the answer are stopped early (``prune``, on unless the request says
``prune=False`` / ``twin optimise --no-prune``; :class:`PlanPruner`): a plan's replications run in
stages (2, 6, 10, then all), and after a stage it is stopped when a promise's 95 % interval already
lies wholly on the bad side of its target (from 6 replications on), or when it is worse on the
objective than the best feasible plan so far in the replications paired by their random numbers
(after 2, the paired differences' t interval; from 6 on, Optuna's
:class:`~optuna.pruners.WilcoxonPruner`); a plan whose objective is a parameter (a head count) no better than the
best feasible plan's is not run at all. A pruned plan is never feasible; it is reported with the
replications it ran and why ("pruned after 6 replications: … interval … lies wholly below the
target"). The plans that run in full run exactly the replications of the full search, so they
have its KPIs; the answer changes only if a pruned plan would, with all its replications, have
been the best feasible one — the rules above make that a long shot, not an impossibility
(``bench/bench_optimise.py --full`` compares the two on the tower). With ``workers > 1`` one pool
of processes runs every plan (what a model caches per process stays), the plans bring back KPIs
only, and the best plan is run once more at the end for its records.

Bounded like a run: at most :data:`MAX_TRIALS` plans, :data:`MAX_PARAMETERS` parameters and the
scenario's replication limit; before anything runs, the time of ``trials`` plans (and the best
plan's run) at the most expensive corner of the ranges, and the memory of one plan's records, are
checked against the run budget (:mod:`scenarios.budget`, field ``trials``); the whole search shares one wall-time budget and a cancel is seen inside a
replication.

The request, on the command line (``twin optimise``), over the API (``POST /optimise``) or in a
scenario file's ``optimise:`` block (used when the command line gives none)::

    optimise:
      minimise: params.technicians            # a KPI name, "-KPI" to maximise, or a params path
      # maximise: KPI                         # instead of minimise
      subject_to: ["emergency_within_sla>=0.95", "ordinary_within_sla>=0.95"]
      over: ["params.technicians=2..8"]       # PATH=LOW..HIGH; integer when both bounds are
                                              # integers; suffix :int or :real to say so
      # over: ["params.groups[duty-tech].count=2..6"]   # an item of a list by its id (or [0])
      trials: 20                              # at most this many plans (<= MAX_TRIALS)
      replications: 10                       # optional: replaces the scenario's for the search

A path names a parameter as the scenario file does, dots between names; an item of a list of
parameters is picked by its ``id`` (``params.groups[duty-tech].count``: the head count of the
staff group ``duty-tech``) or its position (``params.events[0].at_s``); what the scenario leaves
to the model's defaults is filled in from them before the value is set. Objectives and promises
name KPIs by their code names (``twin models`` lists them).

Results (:func:`write_results`): ``plans.csv`` and ``plans.parquet`` (one row per plan: its
values, each KPI's mean and interval, feasible, why not), ``optimise.json`` (the request, the best
plan, every plan, the frontier, with labels in both languages) and the best plan's own run
(``summary.json``, ``records/``), so the folder reads like a run of the best plan. The frontier
chart (``frontier.png``) is drawn by :mod:`viewer.frontier`.
"""

from __future__ import annotations

import collections.abc
import copy
import dataclasses
import json
import math
import re
import threading
import time
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel

from models.harness import KPI, ModelSpec
from models.units import UNITS
from models.stats import summarise, t_interval
from scenarios import backends
from scenarios.backends import RunCancelled, RunOverBudget, SharedInputs
from scenarios.budget import RunBudget, RunBudgetError, check_run
from scenarios.runner import RunResult, json_safe, run_replications, run_scenario, write_results as write_run
from scenarios.spec import LoadedScenario, sweep_points
from twin.errors import SpecError, SpecIssue
from twin.text import LANGUAGES, text

__all__ = ["Range", "Constraint", "Objective", "Plan", "OptimiseRequest", "OptimiseResult", "optimise",
           "parse_range", "parse_constraint", "parse_objective", "request_from", "check_request", "check_block",
           "write_results",
           "MAX_TRIALS", "MAX_PARAMETERS", "DEFAULT_TRIALS"]

MAX_TRIALS = 200
"""At most this many plans in one search."""
MAX_PARAMETERS = 8
"""At most this many searched parameters."""
DEFAULT_TRIALS = 30
"""Plans tried when the request does not say (all of a smaller integer grid)."""

ProgressFn = Callable[[int, int], None]

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*([A-Za-z0-9_.\[\]-]+)\s*=\s*({_NUMBER})\s*\.\.\s*({_NUMBER})\s*(?::\s*(int|real))?\s*$")
_CONSTRAINT = re.compile(rf"^\s*([A-Za-z0-9_]+)\s*(>=|<=|≥|≤)\s*({_NUMBER})\s*$")


# --- the request ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Range:
    """One searched parameter: a ``params.…`` path and its bounds (both included)."""

    path: str
    low: float
    high: float
    integer: bool

    def describe(self) -> str:
        fmt = (lambda v: f"{int(v)}") if self.integer else (lambda v: f"{v:g}")
        return f"{self.path}={fmt(self.low)}..{fmt(self.high)}{'' if self.integer else ':real'}"


@dataclass(frozen=True)
class Constraint:
    """A promise: ``kpi op value``, kept when the KPI's 95 % interval clears ``value``."""

    kpi: str
    op: Literal[">=", "<="]
    value: float

    def describe(self) -> str:
        return f"{self.kpi}{self.op}{self.value:g}"


@dataclass(frozen=True)
class Objective:
    """What the search minimises (or maximises): a KPI's mean, or a parameter (``params.…``)."""

    name: str
    maximise: bool = False

    @property
    def is_param(self) -> bool:
        return self.name.startswith("params.")

    def describe(self) -> str:
        return f"{'maximise' if self.maximise else 'minimise'} {self.name}"


@dataclass(frozen=True)
class OptimiseRequest:
    objective: Objective
    over: tuple[Range, ...]
    subject_to: tuple[Constraint, ...] = ()
    trials: int = DEFAULT_TRIALS
    replications: int | None = None
    prune: bool = True
    """Stop a plan early when it cannot be the answer (:class:`PlanPruner`); False runs every plan's
    replications in full."""
    monotone: bool = False
    """The user's assumption (off unless asked for): no promise gets worse and the objective gets no
    better as any searched parameter grows (more staff never breaks a promise kept with fewer, and
    never costs less). Then a plan with no more of any parameter than one that breaks a promise is
    not run, nor one with no less of any parameter than a feasible plan."""


def _error(where: str, field_: str, message: str) -> SpecError:
    return SpecError([SpecIssue(where, field_, message)])


def parse_range(value: str, where: str = "--over") -> Range:
    """``params.PATH=LOW..HIGH`` (``:int`` / ``:real`` to say which; integer when both bounds are
    written as integers)."""
    m = _RANGE.match(str(value))
    if not m:
        raise _error(where, str(value), "expected params.PATH=LOW..HIGH, e.g. params.technicians=2..8 "
                                        "(add :real for a real range written with integer bounds)")
    path, low_text, high_text, kind = m.groups()
    tokens = _tokens(path)
    if tokens is None or len(tokens) < 2 or tokens[0] != "params" or not isinstance(tokens[-1], str):
        raise _error(where, str(value), f"{path!r} is not a model parameter: write params.NAME (params.GROUP.NAME, "
                                        "params.LIST[ID].NAME or params.LIST[INDEX].NAME inside)")
    low, high = float(low_text), float(high_text)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise _error(where, str(value), "bounds must be finite numbers")
    if low > high:
        raise _error(where, str(value), f"the low bound {low_text} is above the high bound {high_text}")
    looks_integer = not any(c in t for t in (low_text, high_text) for c in ".eE")
    integer = kind == "int" or (kind is None and looks_integer)
    if integer and not (low.is_integer() and high.is_integer()):
        raise _error(where, str(value), "an integer range needs integer bounds")
    return Range(path, low, high, integer)


def parse_constraint(value: str, where: str = "--subject-to") -> Constraint:
    """``KPI>=VALUE`` or ``KPI<=VALUE``."""
    m = _CONSTRAINT.match(str(value))
    if not m:
        raise _error(where, str(value), "expected KPI>=VALUE or KPI<=VALUE, e.g. emergency_within_sla>=0.95")
    kpi, op, number = m.groups()
    op = {"≥": ">=", "≤": "<="}.get(op, op)
    return Constraint(kpi, op, float(number))  # type: ignore[arg-type]


def parse_objective(minimise: str | None = None, maximise: str | None = None, where: str = "--minimise") -> Objective:
    """The objective: ``minimise`` (a name, or ``-NAME`` to maximise it) or ``maximise``."""
    if minimise and maximise:
        raise _error(where, "minimise/maximise", "give one of minimise and maximise, not both")
    name = (minimise or maximise or "").strip()
    if not name:
        raise _error(where, "minimise", "say what to minimise (a KPI or params.PATH), or what to maximise")
    flip = name.startswith("-")
    name = name.lstrip("-").strip()
    if not re.fullmatch(r"[A-Za-z0-9_]+", name) and (not name.startswith("params.") or _tokens(name) is None):
        raise _error(where, name, "a KPI name or a params.PATH")
    return Objective(name, maximise=bool(maximise) != flip)


def request_from(loaded: LoadedScenario, *, minimise: str | None = None, maximise: str | None = None,
                 subject_to: Sequence[str] = (), over: Sequence[str] = (), trials: int | None = None,
                 replications: int | None = None, prune: bool | None = None,
                 monotone: bool | None = None) -> OptimiseRequest:
    """The request from command-line (or API) words, falling back on the scenario's ``optimise:``
    block for what they do not give. Raises :class:`SpecError` naming the value."""
    block = getattr(loaded.scenario, "optimise", None)
    where = loaded.file
    if not (minimise or maximise) and block is not None:
        minimise, maximise, obj_where = block.minimise, block.maximise, f"{where}: optimise"
    else:
        obj_where = "--minimise"
    if not subject_to and block is not None:
        constraints = tuple(parse_constraint(c, f"{where}: optimise.subject_to") for c in block.subject_to)
    else:
        constraints = tuple(parse_constraint(c) for c in subject_to)
    if not over and block is not None:
        ranges = tuple(parse_range(r, f"{where}: optimise.over") for r in block.over)
    else:
        ranges = tuple(parse_range(r) for r in over)
    if trials is None and block is not None:
        trials = block.trials
    if replications is None and block is not None:
        replications = block.replications
    objective = parse_objective(minimise, maximise, obj_where)
    if monotone is None:
        monotone = bool(getattr(block, "monotone", False)) if block is not None else False
    if prune is None:
        prune = bool(getattr(block, "prune", True)) if block is not None else True
    return OptimiseRequest(objective, ranges, constraints, DEFAULT_TRIALS if trials is None else trials, replications,
                           prune, monotone)


# --- checking the request against the model ----------------------------------------------------

def _unwrap(annotation: Any) -> list[Any]:
    """The types a field's annotation admits (``int | None`` → ``[int]``)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in _unwrap(a) if t is not type(None)]
    return [annotation]


_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[[A-Za-z0-9_-]+\])*)")

Token = str | tuple[str, Any]


def _tokens(path: str) -> list[Token] | None:
    """``params.groups[tech].count`` → ``["params", "groups", ("id", "tech"), "count"]``; an item
    of a list by its position is ``[0]`` (``("index", 0)``). None when the path is not one."""
    out: list[Token] = []
    for part in path.split("."):
        m = _SEGMENT.fullmatch(part)
        if not m:
            return None
        out.append(m.group(1))
        for sel in re.findall(r"\[([A-Za-z0-9_-]+)\]", m.group(2)):
            out.append(("index", int(sel)) if sel.isdigit() else ("id", sel))
    return out


def _element(found: list[Any]) -> Any:
    """The item type of a list, tuple or mapping among the admitted types, or None."""
    for t in found:
        origin, args = typing.get_origin(t), typing.get_args(t)
        if origin in (list, tuple, collections.abc.Sequence) and args:
            return args[0]
        if origin in (dict, collections.abc.Mapping) and len(args) == 2:
            return args[1]
    return None


def param_field(params_cls: type[BaseModel], path: str, file: str = "--over") -> tuple[Any, list[Any]]:
    """The pydantic field a ``params.…`` path names and the types it admits; an unknown name is
    a :class:`SpecError` listing the known ones. ``[ID]`` / ``[INDEX]`` step into a list's item."""
    tokens = _tokens(path)
    if tokens is None or tokens[0] != "params" or len(tokens) < 2 or not isinstance(tokens[-1], str):
        raise _error(file, path, "not a model parameter: write params.NAME")
    found: list[Any] = [params_cls]
    info = None
    walked = "params"
    for tok in tokens[1:]:
        if isinstance(tok, tuple):
            item = _element(found)
            if item is None:
                raise _error(file, path, f"{walked} is not a list: [{tok[1]}] cannot pick an item of it")
            found, walked = _unwrap(item), f"{walked}[{tok[1]}]"
            continue
        cls = next((t for t in found if isinstance(t, type) and issubclass(t, BaseModel)), None)
        if cls is None:
            raise _error(file, path, f"{walked} is not a group of parameters")
        if tok not in cls.model_fields:
            raise _error(file, path, f"unknown parameter {tok!r} in {walked} of the model "
                                     f"(known: {', '.join(cls.model_fields)})")
        info = cls.model_fields[tok]
        found, walked = _unwrap(info.annotation), f"{walked}.{tok}"
    return info, found


def _locate(node: Any, tok: Token, walked: str, file: str) -> Any:
    """The key of ``tok`` in a document node: a name, a list position, or the list item whose id it is."""
    if isinstance(tok, str):
        if not isinstance(node, dict):
            raise _error(file, walked, f"cannot set {tok!r} inside a {type(node).__name__}")
        return tok
    if not isinstance(node, list):
        raise _error(file, walked, f"not a list: [{tok[1]}] cannot pick an item of it")
    if tok[0] == "index":
        if not 0 <= tok[1] < len(node):
            raise _error(file, walked, f"has {len(node)} items; no item [{tok[1]}]")
        return tok[1]
    for i, item in enumerate(node):
        if isinstance(item, dict) and str(item.get("id")) == tok[1]:
            return i
    ids = ", ".join(str(item.get("id")) for item in node if isinstance(item, dict)) or "none"
    raise _error(file, walked, f"no item with id {tok[1]!r} (ids: {ids})")


def _set_param(doc: dict, full: dict, path: str, value: Any, file: str) -> None:
    """Set ``path`` (``params.…``) in a scenario's ``params`` document (in place); a part the
    scenario leaves to the model's defaults is filled from ``full`` (the validated parameters)."""
    tokens = (_tokens(path) or [])[1:]
    node, default, walked = doc, full, "params"
    for tok in tokens[:-1]:
        key = _locate(node, tok, walked, file)
        present = key in node if isinstance(node, dict) else True
        base = default[key] if isinstance(default, (dict, list)) and (
            key in default if isinstance(default, dict) else key < len(default)) else None
        if not present or node[key] is None:
            node[key] = copy.deepcopy(base) if isinstance(base, (dict, list)) else {}
        node, default = node[key], base
        walked = f"{walked}.{tok}" if isinstance(tok, str) else f"{walked}[{tok[1]}]"
    last = tokens[-1]
    node[_locate(node, last, walked, file)] = value


def _label_of(params_cls: type[BaseModel], path: str) -> tuple[dict[str, str], str]:
    """A parameter's label (both languages) and unit, from its ``param_label``; the path else."""
    info, _ = param_field(params_cls, path)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    label = dict(extra.get("x-label") or {code: path for code in LANGUAGES})
    items = [str(t[1]) for t in (_tokens(path) or []) if isinstance(t, tuple)]
    if items:  # which item of a list: "Head count (tech_day)"
        label = {code: f"{words} ({', '.join(items)})" for code, words in label.items()}
    return label, str(extra.get("x-unit") or "")


def _kpi_words(kpi: KPI) -> dict:
    unit = dict(UNITS.get(kpi.unit) or {code: kpi.unit for code in LANGUAGES})
    return {"label": dict(kpi.label), "unit": kpi.unit, "unit_label": unit, "kind": kpi.kind, "better": kpi.better}


def _check_request(loaded: LoadedScenario, req: OptimiseRequest) -> tuple[OptimiseRequest, dict[str, KPI]]:
    """Every name and bound of the request checked against the model before anything runs."""
    spec = loaded.model
    kpis = {k.name: k for k in spec.kpis}
    known = ", ".join(kpis)
    if not req.over:
        raise _error("--over", "(none)", "give at least one parameter to search: --over params.PATH=LOW..HIGH")
    if len(req.over) > MAX_PARAMETERS:
        raise _error("--over", f"{len(req.over)} parameters", f"at most {MAX_PARAMETERS} parameters at once")
    if len({r.path for r in req.over}) != len(req.over):
        raise _error("--over", ", ".join(r.path for r in req.over), "a parameter is given twice")
    if not 1 <= req.trials <= MAX_TRIALS:
        raise _error("--trials", str(req.trials), f"between 1 and {MAX_TRIALS}")
    if req.replications is not None and not 2 <= req.replications <= 10_000:
        raise _error("--replications", str(req.replications),
                     "between 2 and 10000 (an interval needs at least two replications)")
    if (req.replications or loaded.scenario.replications) < 2:
        raise _error(loaded.file, "replications", "the optimiser needs at least 2 replications per plan for an "
                                                  "interval; use -n 2 or more")
    if len(loaded.points) > 1 or loaded.scenario.sweep:
        raise _error(loaded.file, "sweep", "a scenario with a sweep cannot be optimised: the optimiser chooses "
                                           "the values; remove the sweep")
    over = []
    for r in req.over:
        _, admitted = param_field(spec.params, r.path)
        numeric = [t for t in admitted if t in (int, float)]
        if not numeric:
            names = ", ".join(getattr(t, "__name__", str(t)) for t in admitted)
            raise _error("--over", r.describe(), f"{r.path} is not a number ({names}): only integer and real "
                                                 "parameters can be searched")
        if numeric == [int] and not r.integer:
            if not (r.low.is_integer() and r.high.is_integer()):
                raise _error("--over", r.describe(), f"{r.path} is an integer parameter: give integer bounds")
            r = dataclasses.replace(r, integer=True)
        over.append(r)
    for c in req.subject_to:
        if c.kpi not in kpis:
            raise _error("--subject-to", c.describe(), f"unknown KPI {c.kpi!r} of model {spec.name!r} "
                                                       f"(its KPIs: {known})")
    obj = req.objective
    if obj.is_param:
        param_field(spec.params, obj.name, "--minimise")
    elif obj.name not in kpis:
        raise _error("--minimise", obj.name, f"unknown KPI {obj.name!r} of model {spec.name!r} (its KPIs: {known}; "
                                             "or a searched parameter, e.g. params.technicians)")
    # The model's own checks at the corners of the box (a bound outside a parameter's range).
    for corner in ("low", "high"):
        _plan_scenario(loaded, {r.path: _value(r, getattr(r, corner)) for r in over}, what=f"--over ({corner} bounds)")
    return dataclasses.replace(req, over=tuple(over)), kpis


def _value(r: Range, v: float) -> int | float:
    return int(round(v)) if r.integer else float(v)


def _plan_scenario(loaded: LoadedScenario, values: dict[str, Any], what: str = "") -> LoadedScenario:
    """The scenario with a plan's values set: checked by the model (and against the building)."""
    params = {"params": copy.deepcopy(loaded.scenario.params)}
    full = loaded.params.model_dump(mode="json")
    for path, v in values.items():
        _set_param(params["params"], full, path, v, loaded.file)
    scenario = loaded.scenario.model_copy(update={"params": params["params"], "sweep": None})
    try:
        points = sweep_points(scenario, loaded.model, loaded.file, building=loaded.building, graph=loaded.graph)
    except SpecError as exc:
        if not what:
            raise
        shown = ", ".join(f"{k}={v}" for k, v in values.items())
        raise SpecError([SpecIssue(i.file, i.path, f"{i.message} ({what}: {shown})") for i in exc.issues]) from None
    raw = dict(loaded.raw)
    raw["params"] = params["params"]
    raw.pop("sweep", None)
    raw.pop("optimise", None)
    return dataclasses.replace(loaded, scenario=scenario, points=points, raw=raw)


def _grid(over: Sequence[Range]) -> dict[str, list[int]] | None:
    """The full grid of an all-integer search, or None."""
    if not all(r.integer for r in over):
        return None
    return {r.path: list(range(int(r.low), int(r.high) + 1)) for r in over}


def _grid_size(grid: dict[str, list[int]]) -> int:
    return math.prod(len(v) for v in grid.values())


_NO_LIMIT_GIB = 1e9


def _check_budget(loaded: LoadedScenario, over: Sequence[Range], trials: int, replications: int,
                  budget: RunBudget | None, workers: int) -> None:
    """``trials`` plans at the most expensive corner of the box against the run budget."""
    spec = loaded.model
    if spec.cost is None:
        check_run(spec, [loaded.params], replications=replications, horizon_s=loaded.scenario.horizon_s,
                  building=loaded.building, file=loaded.file, budget=budget, workers=workers)
        return
    corners = [{}] if not over else [dict(zip([r.path for r in over], c)) for c in
                                     np.array(np.meshgrid(*[[r.low, r.high] for r in over])).T.reshape(-1, len(over))]
    if len(corners) > 16:
        corners = [{r.path: r.low for r in over}, {r.path: r.high for r in over}]
    worst, worst_events = loaded.params, -1.0
    for corner in corners:
        plan = _plan_scenario(loaded, {r.path: _value(r, corner[r.path]) for r in over})
        c = spec.cost(plan.params, loaded.scenario.horizon_s, loaded.building)
        if c.events > worst_events:
            worst, worst_events = plan.params, c.events
    budget = budget or RunBudget()
    try:
        # Time: every plan in full and the best plan's run once more with its records. Memory: the
        # plans bring back KPIs only, so the records held are one plan's (the best's run).
        check_run(spec, [worst] * (trials + 1), replications=replications, horizon_s=loaded.scenario.horizon_s,
                  building=loaded.building, file=loaded.file, workers=workers,
                  budget=RunBudget(time_limit_s=budget.time_limit_s, memory_limit_gib=_NO_LIMIT_GIB))
        check_run(spec, [worst], replications=replications, horizon_s=loaded.scenario.horizon_s,
                  building=loaded.building, file=loaded.file, workers=workers,
                  budget=RunBudget(time_limit_s=math.inf, memory_limit_gib=budget.memory_limit_gib))
    except RunBudgetError as exc:
        message = exc.issues[0].message.replace("sweep points", "plans")
        raise RunBudgetError(loaded.file, "trials" if exc.field == "replications" else exc.field, message) from None


def check_request(loaded: LoadedScenario, request: OptimiseRequest, *, budget: RunBudget | None = None,
                  workers: int = 1) -> tuple[OptimiseRequest, int, int]:
    """Check a request completely without running it (names, bounds, the model's checks at the
    corners, the run budget): the checked request, the number of plans the search will try and
    the replications per plan. Raises :class:`SpecError` (:class:`RunBudgetError` over budget)."""
    request, _ = _check_request(loaded, request)
    n = request.replications or loaded.scenario.replications
    grid = _grid(request.over)
    trials = _grid_size(grid) if grid is not None and _grid_size(grid) <= request.trials else request.trials
    _check_budget(loaded, request.over, trials, n, budget, workers)
    return request, trials, n


def check_block(block: Any, model: ModelSpec, file: str) -> None:
    """A scenario's ``optimise:`` block against its model, when the file loads: each KPI and
    parameter it names exists (the search's full check runs when it starts)."""
    kpis = {k.name for k in model.kpis}
    issues: list[SpecIssue] = []
    for field_, name in (("minimise", block.minimise), ("maximise", block.maximise)):
        if not name:
            continue
        name = name.lstrip("-").strip()
        if name.startswith("params."):
            try:
                param_field(model.params, name, file)
            except SpecError as exc:
                issues.append(SpecIssue(file, f"optimise.{field_}", exc.issues[0].message))
        elif name not in kpis:
            issues.append(SpecIssue(file, f"optimise.{field_}", f"unknown KPI {name!r} of model {model.name!r} "
                                                                f"(its KPIs: {', '.join(kpis)})"))
    for i, item in enumerate(block.subject_to):
        c = parse_constraint(item, file)
        if c.kpi not in kpis:
            issues.append(SpecIssue(file, f"optimise.subject_to[{i}]", f"unknown KPI {c.kpi!r} of model "
                                                                         f"{model.name!r} (its KPIs: {', '.join(kpis)})"))
    for i, item in enumerate(block.over):
        try:
            param_field(model.params, parse_range(item, file).path, file)
        except SpecError as exc:
            issues.append(SpecIssue(file, f"optimise.over[{i}]", f"{item!r}: {exc.issues[0].message}"))
    if issues:
        raise SpecError(issues)


# --- the result ---------------------------------------------------------------------------------

@dataclass
class Plan:
    """One plan tried: its values, its KPIs (mean and interval), whether it keeps every promise."""

    index: int
    values: dict[str, int | float]
    kpis: dict[str, dict[str, float | None]]
    objective: float | None
    feasible: bool
    why_not: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    """The promises not kept: ``{"kpi", "why"}`` with why ``straddles`` (the mean clears, the
    interval does not), ``misses`` or ``no_value``; ``refused`` (no KPI) when the model refused the
    plan's values."""
    trials: list[int] = field(default_factory=list)
    """The search's trial numbers that proposed this plan (a plan proposed twice runs once)."""
    replications: int = 0
    """Replications run: the search's count, fewer when the plan was stopped early."""
    pruned: bool = False
    """Stopped early (:class:`PlanPruner`): its KPIs are those of its ``replications``; ``failed``
    says why (``pruned_misses``: a promise's interval wholly on the bad side; ``pruned_worse``:
    worse than the best feasible plan on the objective; ``assumed_misses`` / ``assumed_worse``: not
    run, by the request's ``monotone`` assumption)."""

    def as_dict(self) -> dict:
        return {"plan": self.index, "values": self.values, "kpis": self.kpis, "objective": self.objective,
                "feasible": self.feasible, "why_not": self.why_not, "failed": self.failed, "trials": self.trials,
                "replications": self.replications, "pruned": self.pruned}


@dataclass
class OptimiseResult:
    """The best plan (None when no plan tried keeps every promise), every plan, the frontier."""

    request: OptimiseRequest
    scenario: dict
    model: str
    seed: int
    replications: int
    sampler: str
    plans: list[Plan]
    best: Plan | None
    frontier: list[int]
    labels: dict
    best_run: RunResult | None = None

    def as_dict(self) -> dict:
        req = self.request
        return json_safe({
            "scenario": self.scenario, "model": self.model, "seed": self.seed, "replications": self.replications,
            "sampler": self.sampler,
            "request": {"objective": {"name": req.objective.name, "maximise": req.objective.maximise},
                        "subject_to": [dataclasses.asdict(c) for c in req.subject_to],
                        "over": [dataclasses.asdict(r) for r in req.over], "trials": req.trials,
                        "prune": req.prune, "monotone": req.monotone},
            "labels": self.labels,
            "best": self.best.as_dict() if self.best else None,
            "plans": [p.as_dict() for p in self.plans],
            "frontier": self.frontier,
            "message": self.message(),
        })

    def message(self) -> dict[str, str]:
        if self.best is None:
            return text(f"None of the {len(self.plans)} plans tried keeps every promise with 95 % confidence.",
                        f"所试 {len(self.plans)} 个方案中，没有一个能以 95% 置信度满足全部承诺。")
        shown = ", ".join(f"{k.removeprefix('params.')}={_fmt(v)}" for k, v in self.best.values.items())
        return text(f"Best plan: {shown} (plan {self.best.index} of {len(self.plans)}).",
                    f"最佳方案：{shown}（第 {self.best.index} 个，共 {len(self.plans)} 个）。")

    def table(self) -> pd.DataFrame:
        """Every plan as one row: values, objective, each KPI's mean and interval, feasible, why not."""
        rows = []
        names = self._kpi_names()
        for p in self.plans:
            row: dict[str, Any] = {"plan": p.index, **p.values, "objective": p.objective,
                                   "feasible": p.feasible, "best": self.best is not None and p is self.best,
                                   "frontier": p.index in self.frontier, "replications": p.replications,
                                   "pruned": p.pruned}
            for name in names:
                k = p.kpis.get(name, {})
                row[f"{name}_mean"] = k.get("mean")
                row[f"{name}_ci95_low"] = k.get("ci95_low")
                row[f"{name}_ci95_high"] = k.get("ci95_high")
            row["why_not"] = " ".join(w["en"] for w in p.why_not)
            row["why_not_zh"] = " ".join(w["zh-CN"] for w in p.why_not)
            rows.append(row)
        frame = pd.DataFrame.from_records(rows)
        for col in frame.columns:
            if col not in ("why_not", "why_not_zh", "feasible", "best", "frontier", "pruned"):
                frame[col] = pd.to_numeric(frame[col])
        return frame

    def _kpi_names(self) -> list[str]:
        names = [] if self.request.objective.is_param else [self.request.objective.name]
        return list(dict.fromkeys([*names, *(c.kpi for c in self.request.subject_to)]))


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def judge(constraint: Constraint, kpi: dict[str, Any], label: dict[str, str] | None = None) \
        -> tuple[bool, dict[str, str] | None]:
    """Whether a KPI's summary (``mean``, ``ci95_low``, ``ci95_high``) keeps a promise: its 95 %
    interval must clear the target; if not, why not (both languages)."""
    name = {code: (label or {}).get(code) or constraint.kpi for code in LANGUAGES}
    mean, low, high = _num(kpi.get("mean")), _num(kpi.get("ci95_low")), _num(kpi.get("ci95_high"))
    target = f"{constraint.op} {constraint.value:g}"
    if mean is None or low is None or high is None:
        return False, text(f"{name['en']}: no value in these replications, so {target} is not shown.",
                           f"{name['zh-CN']}：这些重复中没有数值，无法证明 {target}。")
    edge = low if constraint.op == ">=" else high
    kept = edge >= constraint.value if constraint.op == ">=" else edge <= constraint.value
    if kept:
        return True, None
    interval = f"{low:.4g}–{high:.4g}"
    mean_clears = mean >= constraint.value if constraint.op == ">=" else mean <= constraint.value
    if mean_clears:
        return False, text(f"{name['en']}: the mean {mean:.4g} clears {target} but the 95 % interval {interval} "
                           "straddles it; not shown with confidence (more replications may settle it).",
                           f"{name['zh-CN']}：均值 {mean:.4g} 满足 {target}，但 95% 置信区间 {interval} 跨越目标，"
                           "尚不能确认（增加重复次数或可判定）。")
    return False, text(f"{name['en']}: 95 % interval {interval} (mean {mean:.4g}) does not clear {target}.",
                       f"{name['zh-CN']}：95% 置信区间 {interval}（均值 {mean:.4g}）未满足 {target}。")


def _failure(constraint: Constraint, kpi: dict[str, Any]) -> str:
    """Why a promise is not kept, as a code: ``no_value``, ``straddles`` or ``misses``."""
    mean = _num(kpi.get("mean"))
    if mean is None or _num(kpi.get("ci95_low")) is None or _num(kpi.get("ci95_high")) is None:
        return "no_value"
    clears = mean >= constraint.value if constraint.op == ">=" else mean <= constraint.value
    return "straddles" if clears else "misses"


def _frontier(plans: Sequence[Plan], objective: Objective, first: Constraint | None) -> list[int]:
    """Plans no other plan beats on both the objective and the first promise's KPI (its mean)."""
    def point(p: Plan) -> tuple[float, float] | None:
        if p.objective is None:
            return None
        o = -p.objective if objective.maximise else p.objective  # lower is better
        if first is None:
            return (o, 0.0)
        m = _num(p.kpis.get(first.kpi, {}).get("mean"))
        if m is None:
            return None
        return (o, -m if first.op == ">=" else m)  # lower is better
    pts = {p.index: point(p) for p in plans}
    front = []
    for i, a in pts.items():
        if a is None:
            continue
        dominated = any(b is not None and j != i and b[0] <= a[0] and b[1] <= a[1] and (b[0] < a[0] or b[1] < a[1])
                        for j, b in pts.items())
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: pts[i])


# --- the search ---------------------------------------------------------------------------------

FIRST_LOOK = 2
"""Replications after which a plan is first compared with the best feasible one on the objective
only (a cost is nearly known at once; a promise is not judged on two replications)."""
PRUNE_AFTER = (6, 10)
"""Replications after which a plan may be stopped early (then on to the plan's full count): even
counts, so that 2 or 4 worker processes are not left idle at a stage's end."""
PRUNE_P_THRESHOLD = 0.05
"""One-sided p-value below which the paired signed-rank test calls a plan worse than the best
feasible one (Optuna's :class:`~optuna.pruners.WilcoxonPruner`)."""


def _checkpoints(n: int, prune: bool) -> list[int]:
    """Replication counts after which a plan is judged: :data:`FIRST_LOOK` and :data:`PRUNE_AFTER`
    below ``n``, then ``n``."""
    return [k for k in (FIRST_LOOK, *PRUNE_AFTER) if k < n] + [n] if prune else [n]


def _summaries(spec: ModelSpec, values: dict[str, list[float]]) -> dict[str, dict[str, float | None]]:
    """Each KPI's mean and 95 % interval over the replications so far — the interval its kind
    calls for, exactly as the run's summary gives it (:func:`models.stats.summarise`)."""
    out = {}
    for kpi in spec.kpis:
        s = summarise(values.get(kpi.name, []), kpi.kind)
        out[kpi.name] = {"mean": s.mean, "ci95_low": s.ci95_low, "ci95_high": s.ci95_high}
    return out


class PlanPruner:
    """When a plan is stopped before its full replications (the search's Optuna pruner).

    After :data:`PRUNE_AFTER` replications (6, then 10) a plan is stopped when

    * a promise's 95 % interval over the replications so far already lies **wholly on the bad
      side** of its target (the same interval :func:`judge` reads): more replications narrow the
      interval, they do not move it across the target except by chance; or
    * a feasible plan was found and this one is **worse on the objective**: Optuna's
      :class:`~optuna.pruners.WilcoxonPruner`, the signed-rank test of the replications paired by
      their random numbers (replication *r* of each plan has the same stream), one-sided p below
      :data:`PRUNE_P_THRESHOLD`, against Optuna's best trial — the best feasible one, as the
      promises reach Optuna as each trial's constraints.

    Already after :data:`FIRST_LOOK` replications, where a signed-rank test cannot reach that p,
    a plan is stopped on the objective alone when the 95 % Student t interval of its paired
    differences from the best feasible plan lies wholly on the worse side (with one degree of
    freedom it does only when both differences agree closely: a staffing cost that differs by a
    person's wages).

    A plan whose objective is a parameter (the head count) is known before it runs: one no better
    than the best feasible plan so far is not run at all (a tie goes to the earlier plan, as in
    :func:`_best`). Pruning never makes a plan feasible; a pruned plan is reported with its
    replications and why.
    """

    def __init__(self, constraints: Sequence[Constraint], spec: ModelSpec, labels: dict[str, dict[str, str]],
                 maximise: bool):
        import warnings

        import optuna

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            self._worse = optuna.pruners.WilcoxonPruner(p_threshold=PRUNE_P_THRESHOLD,
                                                        n_startup_steps=PRUNE_AFTER[0])
        self.constraints = tuple(constraints)
        self.kinds = {k.name: k.kind for k in spec.kpis}
        self.labels = labels
        self.maximise = maximise

    def promise_broken(self, kpis: dict[str, dict[str, float | None]], done: int) \
            -> tuple[Constraint, dict[str, str]] | None:
        """The first promise whose interval lies wholly on the bad side, and why (both languages)."""
        for c in self.constraints:
            k = kpis.get(c.kpi, {})
            low, high, mean = _num(k.get("ci95_low")), _num(k.get("ci95_high")), _num(k.get("mean"))
            if low is None or high is None or mean is None:
                continue
            if (high < c.value) if c.op == ">=" else (low > c.value):
                name = {code: self.labels.get(c.kpi, {}).get(code) or c.kpi for code in LANGUAGES}
                side, side_zh = ("below", "低于") if c.op == ">=" else ("above", "高于")
                interval = f"{low:.4g}–{high:.4g}"
                return c, text(f"pruned after {done} replications: {name['en']}'s 95 % interval {interval} (mean "
                               f"{mean:.4g}) lies wholly {side} the target {c.op} {c.value:g}.",
                               f"{done} 次重复后剪枝：{name['zh-CN']}的 95% 置信区间 {interval}（均值 {mean:.4g}）"
                               f"完全{side_zh}目标 {c.op} {c.value:g}。")
        return None

    def worse_paired(self, values: Sequence[float], best_values: Sequence[float]) -> bool:
        """Whether the 95 % t interval of the paired differences (this plan − the best, replication by
        replication) lies wholly on the worse side of zero."""
        d = [a - b for a, b in zip(values, best_values)]
        if len(d) < 2 or not all(math.isfinite(x) for x in d):
            return False
        interval = t_interval(d)
        if interval is None:
            return False
        return interval[1] < 0 if self.maximise else interval[0] > 0

    def worse_than_best(self, study: Any, trial: Any) -> bool:
        """Optuna's signed-rank test of this trial's per-replication objective against the best
        feasible trial's (True: prune)."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frozen = study._storage.get_trial(trial._trial_id)
            return self._worse.prune(study, frozen)


def optimise(loaded: LoadedScenario, request: OptimiseRequest, *, seed: int | None = None, workers: int = 1,
             progress: bool = False, on_progress: ProgressFn | None = None, cancel: threading.Event | None = None,
             budget: RunBudget | None = None, time_limit_s: float | None = None, scheduler: str | None = None,
             keep_best_run: bool = True) -> OptimiseResult:
    """Search ``request.over`` for the best plan keeping every promise (see the module's text).

    ``on_progress(done, total)`` counts replications over the whole search (``trials ×
    replications``; a pruned plan counts as done, and the best plan's run with its records is
    counted too); ``progress`` shows a bar on the terminal; ``cancel`` stops the search
    (:class:`~scenarios.backends.RunCancelled`) and ``time_limit_s`` bounds all of it
    (:class:`~scenarios.backends.RunOverBudget`; None: no wall-time stop, as for ``twin run``).
    ``budget`` is the run budget the whole search's estimated cost must fit. With ``workers > 1``
    one pool of processes runs every plan. Raises :class:`SpecError` (a
    :class:`~scenarios.budget.RunBudgetError` for a search over its budget) before anything runs
    when the request does not fit the model.
    """
    import optuna

    request, kpis = _check_request(loaded, request)
    n = request.replications or loaded.scenario.replications
    s = loaded.scenario.seed if seed is None else seed
    grid = _grid(request.over)
    exhaustive = grid is not None and _grid_size(grid) <= request.trials
    trials = _grid_size(grid) if exhaustive else request.trials
    _check_budget(loaded, request.over, trials, n, budget, workers)
    deadline = None if time_limit_s is None else time.monotonic() + time_limit_s

    objective = request.objective
    labels = _labels(loaded, request, kpis)
    spec = loaded.model
    pruner = PlanPruner(request.subject_to, spec, {k: v["label"] for k, v in labels["kpis"].items()},
                        objective.maximise)
    stops = _checkpoints(n, request.prune)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seed32 = s % (2**32)
    if exhaustive:
        sampler: Any = optuna.samplers.GridSampler(grid, seed=seed32)
        sampler_name = "grid"
    else:
        # The promises reach the sampler as each trial's constraints (Trial.set_constraint).
        sampler = optuna.samplers.TPESampler(seed=seed32, n_startup_trials=min(10, max(2, trials // 3)),
                                             multivariate=True)
        sampler_name = "tpe"
    # The pruning is asked for by the search (PlanPruner), not by Optuna's study.
    study = optuna.create_study(direction="maximize" if objective.maximise else "minimize", sampler=sampler,
                                pruner=optuna.pruners.NopPruner())

    plans: dict[tuple, Plan] = {}
    samples: dict[int, dict[str, list[float]]] = {}  # plan index -> KPI -> its value in each replication
    total = (trials + (1 if keep_best_run else 0)) * n
    done_reps = [0]
    bar = None
    if progress:
        from scenarios.runner import _ProgressBar

        bar = _ProgressBar(f"optimise {loaded.scenario.name} ({sampler_name}, {trials} plans)", trials)
    pool = None
    if workers > 1 and not scheduler:
        pool = backends.local_pool(SharedInputs(spec.name, loaded.scenario.horizon_s, loaded.building, loaded.graph),
                                   workers=workers)

    def remaining_s() -> float | None:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise RunOverBudget(f"the search stopped after {len(plans)} plans: its time budget of "
                                f"{time_limit_s:g} s is spent")
        return remaining

    def run_reps(plan_loaded: LoadedScenario, reps: range, keep_records: bool) -> dict:
        if cancel is not None and cancel.is_set():
            raise RunCancelled(loaded.scenario.name)
        remaining = remaining_s()
        base = done_reps[0]

        def step(done: int, _total: int) -> None:
            if on_progress:
                on_progress(base + done, total)

        plan_budget = budget if remaining is None else RunBudget(
            time_limit_s=remaining, memory_limit_gib=(budget or RunBudget()).memory_limit_gib)
        try:
            results = run_replications(plan_loaded, reps, seed=s, workers=workers, on_progress=step, cancel=cancel,
                                       scheduler=scheduler, budget=plan_budget, time_limit_s=remaining, pool=pool,
                                       keep_records=keep_records)
        except RunBudgetError:
            if remaining is None:
                raise
            raise RunOverBudget(f"the search stopped after {len(plans)} plans: its time budget of "
                                f"{time_limit_s:g} s is spent") from None
        done_reps[0] += len(reps)
        return results

    def run_plan(values: dict[str, int | float], trial: Any) -> Plan:
        index = len(plans) + 1
        try:
            plan_loaded = _plan_scenario(loaded, values)
        except RunBudgetError:
            raise
        except SpecError as exc:  # the model refuses this combination (the box's corners passed)
            said = "; ".join(f"{i.path}: {i.message}" for i in exc.issues)
            done_reps[0] += n
            return Plan(index, dict(values), {}, None, False,
                        [text(f"the model refuses these values: {said}", f"模型不接受这些取值：{said}")],
                        failed=[{"kpi": "", "why": "refused"}])
        obj_param = _num(_get_path(plan_loaded.params, objective.name)) if objective.is_param else None
        if request.monotone:
            skipped = _monotone_skip(values, plans.values(), request.over)
            if skipped is not None:
                done_reps[0] += n
                failed, why = skipped
                return Plan(index, dict(values), {}, obj_param, False, [why], failed=[failed], replications=0,
                            pruned=True)
        best = _best(list(plans.values()), objective)
        if request.prune and objective.is_param and best is not None and obj_param is not None and \
                best.objective is not None and not _better(obj_param, best.objective, objective):
            done_reps[0] += n
            shown = f"{objective.name} = {_fmt(obj_param)}"
            return Plan(index, dict(values), {}, obj_param, False,
                        [text(f"pruned before any replication: {shown} is no better than the best feasible plan's "
                              f"{_fmt(best.objective)} (plan {best.index}).",
                              f"未运行即剪枝：{shown} 不优于当前最佳可行方案（第 {best.index} 个）的 "
                              f"{_fmt(best.objective)}。")],
                        failed=[{"kpi": objective.name, "why": "pruned_worse"}], replications=0, pruned=True)
        values_of: dict[str, list[float]] = {k.name: [] for k in spec.kpis}
        samples[index] = values_of
        done = 0
        for stop in stops:
            results = run_reps(plan_loaded, range(done, stop), keep_records=False)
            for r in range(done, stop):
                rep = results[(0, r)]
                for k in spec.kpis:
                    values_of[k.name].append(float(rep.kpis.get(k.name, math.nan)))
                trial.report(_objective_sample(objective, rep, obj_param), r)
            done = stop
            if stop == n:
                break
            kp = _summaries(spec, values_of)
            broken = pruner.promise_broken(kp, done) if done >= PRUNE_AFTER[0] else None
            if broken is not None:
                c, why = broken
                done_reps[0] += n - done
                return Plan(index, dict(values), kp, obj_param if objective.is_param else _num(
                    kp.get(objective.name, {}).get("mean")), False, [why],
                    failed=[{"kpi": c.kpi, "why": "pruned_misses"}], replications=done, pruned=True)
            test = None
            if best is not None and done < PRUNE_AFTER[0] and not objective.is_param:
                test = "t" if pruner.worse_paired(values_of[objective.name][:done],
                                                  samples[best.index][objective.name][:done]) else None
            elif best is not None and pruner.worse_than_best(study, trial):
                test = "signed-rank"
            if test is not None:
                done_reps[0] += n - done
                obj_value = obj_param if objective.is_param else _num(kp.get(objective.name, {}).get("mean"))
                best = _best(list(plans.values()), objective)
                name = labels["objective"].get("label", {}) if isinstance(labels["objective"].get("label"), dict) \
                    else {}
                name = {code: name.get(code) or objective.name for code in LANGUAGES}
                return Plan(index, dict(values), kp, obj_value, False,
                            [text(f"pruned after {done} replications: {name['en']} (mean {_fmt(obj_value)}) is worse "
                                  f"than the best feasible plan's (plan {best.index}, {_fmt(best.objective)}) in the "
                                  f"replications paired by their random numbers ("
                                  + (f"signed-rank test, p < {PRUNE_P_THRESHOLD:g}" if test == "signed-rank" else
                                     "the 95 % interval of the differences lies wholly on the worse side") + ").",
                                  f"{done} 次重复后剪枝：{name['zh-CN']}（均值 {_fmt(obj_value)}）在按相同随机数配对的"
                                  f"重复中劣于当前最佳可行方案（第 {best.index} 个，{_fmt(best.objective)}）（"
                                  + (f"符号秩检验，p < {PRUNE_P_THRESHOLD:g}" if test == "signed-rank" else
                                     "差值的 95% 置信区间完全位于较差一侧") + "）。")],
                            failed=[{"kpi": objective.name, "why": "pruned_worse"}], replications=done, pruned=True)
        kp = _summaries(spec, values_of)
        obj_value = obj_param if objective.is_param else _num(kp.get(objective.name, {}).get("mean"))
        why: list[dict[str, str]] = []
        failed: list[dict[str, str]] = []
        for c in request.subject_to:
            ok, reason = judge(c, kp.get(c.kpi, {}), dict(kpis[c.kpi].label))
            if not ok and reason:
                why.append(reason)
                failed.append({"kpi": c.kpi, "why": _failure(c, kp.get(c.kpi, {}))})
        if obj_value is None:
            why.append(text(f"{objective.name}: no value in these replications.",
                            f"{objective.name}：这些重复中没有数值。"))
        return Plan(index, dict(values), kp, obj_value, not why, why, failed=failed, replications=n)

    def violations(plan: Plan) -> list[float]:
        out = []
        for c in request.subject_to:
            k = plan.kpis.get(c.kpi, {})
            low, high = _num(k.get("ci95_low")), _num(k.get("ci95_high"))
            if low is None or high is None or plan.pruned or plan.objective is None:
                out.append(1.0)  # not feasible: never Optuna's best trial
            else:
                out.append(c.value - low if c.op == ">=" else high - c.value)
        return out

    def objective_of(trial: Any) -> float:
        values: dict[str, int | float] = {}
        for r in request.over:
            if r.integer:
                values[r.path] = trial.suggest_int(r.path, int(r.low), int(r.high))
            else:
                values[r.path] = trial.suggest_float(r.path, r.low, r.high)
        key = tuple(values[r.path] for r in request.over)
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = run_plan(values, trial)
        else:  # proposed again: the same replications, told to this trial too
            for r, v in enumerate(samples.get(plan.index, {}).get(objective.name, [])):
                trial.report(v, r)
        plan.trials.append(trial.number)
        for c, violation in zip(request.subject_to, violations(plan)):
            trial.set_constraint(c.describe(), violation)  # <= 0: kept
        if bar:
            bar.advance()
        if on_progress:
            on_progress(done_reps[0], total)
        if plan.pruned:
            raise optuna.TrialPruned()
        return plan.objective if plan.objective is not None else _worst(objective)

    best_run = None
    finished = False
    try:
        # Exceptions (cancel, time budget, a model's error) leave the search as they are raised.
        study.optimize(objective_of, n_trials=trials, catch=())
        ordered = sorted(plans.values(), key=lambda p: p.index)
        best = _best(ordered, objective)
        if best is not None and keep_best_run:
            # The best plan once more, with its records (the search brought back KPIs only): the
            # same seed, so the same replications and the same KPIs.
            best_loaded = _plan_scenario(loaded, best.values)
            remaining = remaining_s()
            base = done_reps[0]
            best_run = run_scenario(best_loaded, replications=n, seed=s, workers=workers, cancel=cancel,
                                    scheduler=scheduler, time_limit_s=remaining, pool=pool,
                                    budget=budget if remaining is None else RunBudget(
                                        time_limit_s=remaining,
                                        memory_limit_gib=(budget or RunBudget()).memory_limit_gib),
                                    on_progress=lambda done, _t: on_progress(base + done, total) if on_progress
                                    else None)
        if on_progress:
            on_progress(total, total)
        finished = True
    finally:
        if bar:
            bar.close()
        if pool is not None:  # stopped early: what its processes still run is abandoned with them
            backends.close_pool(pool, abandon=not finished)

    first = request.subject_to[0] if request.subject_to else None
    return OptimiseResult(request=request, scenario={"name": loaded.scenario.name, "title": loaded.scenario.title_text,
                                                      "file": loaded.file, "building": loaded.scenario.building},
                          model=loaded.model.name, seed=s, replications=n, sampler=sampler_name, plans=ordered,
                          best=best, frontier=_frontier(ordered, objective, first), labels=labels,
                          best_run=best_run)


_BROKEN = ("misses", "straddles", "pruned_misses", "assumed_misses")


def _monotone_skip(values: dict[str, int | float], tried: Any, over: Sequence[Range]) \
        -> tuple[dict[str, str], dict[str, str]] | None:
    """Under the request's ``monotone`` assumption, why a plan need not run (``failed`` entry and
    words), or None: a plan tried with at least as much of every parameter broke a promise, or one
    with no more of any parameter kept every promise (and costs no more)."""
    def shown(p: Plan) -> str:
        return ", ".join(f"{k.removeprefix('params.')}={_fmt(v)}" for k, v in p.values.items())

    for q in tried:
        ge = all(q.values[r.path] >= values[r.path] for r in over)
        le = all(q.values[r.path] <= values[r.path] for r in over)
        broke = next((f for f in q.failed if f["why"] in _BROKEN), None)
        if ge and broke is not None:
            return ({"kpi": broke["kpi"], "why": "assumed_misses"},
                    text(f"not run (monotone: true): plan {q.index} ({shown(q)}) has at least as much of every "
                         f"searched parameter and does not keep {broke['kpi']}; by the assumption, neither can this one.",
                         f"未运行（monotone: true）：第 {q.index} 个方案（{shown(q)}）各搜索参数均不少于本方案，却未满足 "
                         f"{broke['kpi']}；按单调假设，本方案也无法满足。"))
        if le and q.feasible:
            return ({"kpi": "", "why": "assumed_worse"},
                    text(f"not run (monotone: true): plan {q.index} ({shown(q)}) has no more of any searched parameter "
                         "and keeps every promise; by the assumption, this one is no better.",
                         f"未运行（monotone: true）：第 {q.index} 个方案（{shown(q)}）各搜索参数均不多于本方案且满足全部承诺；"
                         "按单调假设，本方案不会更优。"))
    return None


def _objective_sample(objective: Objective, rep: Any, param_value: float | None) -> float:
    """One replication's objective, as reported to Optuna (its step is the replication)."""
    v = param_value if objective.is_param else _num(rep.kpis.get(objective.name))
    return math.nan if v is None else float(v)


def _better(a: float, b: float, objective: Objective) -> bool:
    """Whether objective value ``a`` is strictly better than ``b``."""
    return a > b if objective.maximise else a < b


def _worst(objective: Objective) -> float:
    """What the search is told of a plan without an objective value: a very bad one (finite, as
    the samplers want)."""
    return -1e300 if objective.maximise else 1e300


def _best(plans: Sequence[Plan], objective: Objective) -> Plan | None:
    feasible = [p for p in plans if p.feasible and p.objective is not None]
    if not feasible:
        return None
    sign = -1.0 if objective.maximise else 1.0
    return min(feasible, key=lambda p: (sign * p.objective, p.index))  # type: ignore[operator]


def _get_path(params: BaseModel, path: str) -> Any:
    node: Any = params
    for tok in (_tokens(path) or [])[1:]:
        if isinstance(tok, str):
            node = node.get(tok) if isinstance(node, dict) else getattr(node, tok)
        elif tok[0] == "index":
            node = node[tok[1]]
        else:
            node = next((x for x in node if str(getattr(x, "id", None)) == tok[1]), None)
    return node


def _labels(loaded: LoadedScenario, request: OptimiseRequest, kpis: dict[str, KPI]) -> dict:
    """Labels (both languages) and units of the objective, the promises' KPIs and the parameters."""
    out: dict[str, Any] = {"kpis": {}, "params": {}}
    for c in request.subject_to:
        out["kpis"][c.kpi] = _kpi_words(kpis[c.kpi])
    for r in request.over:
        label, unit = _label_of(loaded.model.params, r.path)
        out["params"][r.path] = {"label": label, "unit": unit,
                                 "unit_label": dict(UNITS.get(unit) or {code: unit for code in LANGUAGES})}
    obj = request.objective
    if obj.is_param:
        label, unit = _label_of(loaded.model.params, obj.name)
        out["objective"] = {"name": obj.name, "label": label, "unit": unit,
                            "unit_label": dict(UNITS.get(unit) or {code: unit for code in LANGUAGES}),
                            "maximise": obj.maximise}
    else:
        out["kpis"][obj.name] = _kpi_words(kpis[obj.name])
        out["objective"] = {"name": obj.name, **_kpi_words(kpis[obj.name]), "maximise": obj.maximise}
    return out


# --- writing -------------------------------------------------------------------------------------

def write_results(result: OptimiseResult, out: Path) -> Path:
    """``plans.csv``, ``plans.parquet``, ``optimise.json`` and the best plan's run (``summary.json``,
    ``records/``) into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if result.best_run is not None:
        write_run(result.best_run, out)
    frame = result.table()
    frame.to_csv(out / "plans.csv", index=False)
    frame.to_parquet(out / "plans.parquet", index=False)
    (out / "optimise.json").write_text(json.dumps(result.as_dict(), indent=2, ensure_ascii=False, allow_nan=False)
                                       + "\n", encoding="utf-8")
    return out
