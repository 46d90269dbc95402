"""What a run changed: how the scenario it ran differs from the scenario it started from.

A planner rarely runs a library scenario as written. On the command line they override a field
(``twin run repair-desk-weekday --set params.technicians=3``); in the console they edit the
scenario's form, which posts the whole edited document; either may sweep a parameter over a list
of values. Whoever reads the results — the run list, the compare view, the report's title block —
must see at once what this run is: "technicians 4 → 3", not a second run called
``repair-desk-weekday`` that looks like the first.

:func:`scenario_changes` compares the scenario a run is based on (the library's file of that
name, or the person's own file) with the document that ran, and lists each difference as
``{"path": "params.technicians", "label": Text, "from": 4, "to": 3, "unit": "persons", "sweep": false}``
(``unit`` is the parameter's unit code or null). Parameters are compared
by their effective values — both documents are read through the model's parameter class, so a
form that writes out a default the file left implicit changes nothing, and a value the form
turned into another (``trace: first`` posted as ``true``) shows. A swept parameter's ``to`` is
its list of values, and the entry has ``"sweep": true``. The run's replications and seed, when a
request overrides them, are changes too. The label is the parameter's own (``x-label`` in its
JSON Schema, :func:`models.harness.param_label`), else its path. :func:`describe_changes` says
it in one line, in either language.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from twin.text import Text, normalise_language, pick, text

__all__ = ["scenario_changes", "describe_changes", "changes_text", "param_schema_info", "value_text", "FIELD_LABELS"]

FIELD_LABELS: dict[str, tuple[Text, str | None]] = {
    "model": (text("model", "模型"), None),
    "building": (text("building", "建筑"), None),
    "horizon_s": (text("horizon", "模拟时长"), "s"),
    "replications": (text("replications", "重复次数"), None),
    "seed": (text("seed", "随机种子"), None),
}
"""The scenario's own fields that change what a run computes, with their labels and units
(its name, title and description change nothing)."""

_MISSING = object()


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"prefix.a.b": 1}``; lists and scalars are leaves."""
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = value
    return out


def _effective_params(params: Any, model_params: type[BaseModel] | None) -> Any:
    """The parameters as the model reads them (defaults filled in), JSON-shaped; as written when
    the model's class refuses them (the run's own check reports that, not this one)."""
    if model_params is None or not isinstance(params, Mapping):
        return params
    try:
        return model_params.model_validate(dict(params)).model_dump(mode="json")
    except (ValidationError, TypeError, ValueError):
        return params


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
    return a == b


def param_schema_info(schema: Mapping[str, Any] | None, path: str) -> tuple[Text | None, str | None]:
    """A parameter's label (``x-label``) and unit (``x-unit``) from its model's JSON Schema, for a
    dotted path below ``params`` (``lifts.cars``), following ``$ref`` and ``anyOf`` into nested
    parameter models; ``(None, None)`` when the schema does not say."""
    if not schema:
        return None, None
    defs = schema.get("$defs", {})

    def resolve(node: Any) -> list[Mapping[str, Any]]:
        if not isinstance(node, Mapping):
            return []
        if "$ref" in node:
            target = defs.get(str(node["$ref"]).rsplit("/", 1)[-1])
            return [*resolve(target), node] if target else [node]
        options = node.get("anyOf") or node.get("oneOf") or node.get("allOf")
        if options:
            return [node, *(n for option in options for n in resolve(option))]
        return [node]

    nodes: list[Mapping[str, Any]] = [schema]
    for key in path.split("."):
        found = [n["properties"][key] for candidate in nodes for n in resolve(candidate)
                 if isinstance(n.get("properties"), Mapping) and key in n["properties"]]
        if not found:
            return None, None
        nodes = found
    for node in nodes:
        for n in [node, *resolve(node)]:
            label = n.get("x-label")
            if isinstance(label, Mapping) and label:
                return dict(label), n.get("x-unit")
    return None, None


def _scenario_defaults() -> dict[str, Any]:
    """The values a scenario file's fields take when it leaves them out."""
    from scenarios.spec import Scenario

    return {name: f.default for name, f in Scenario.model_fields.items()
            if name in FIELD_LABELS and f.default is not None and not f.is_required()}


def scenario_changes(base: Mapping[str, Any] | None, doc: Mapping[str, Any],
                     model_params: type[BaseModel] | None = None, *, replications: int | None = None,
                     seed: int | None = None) -> list[dict[str, Any]]:
    """What the run's scenario ``doc`` changes from ``base`` (the scenario it started from), as
    ``[{"path", "label", "from", "to", "unit", "sweep"}]`` (``sweep`` is True for a swept parameter,
    whose ``to`` is its list of values); an empty list when nothing does.

    ``model_params`` is the model's parameter class (its defaults fill in what a document leaves
    out; its JSON Schema gives the labels). ``replications`` and ``seed`` are the run's when the
    request set them apart from the document.
    """
    base = base if base is not None else doc
    schema = model_params.model_json_schema() if model_params is not None else None
    changes: list[dict[str, Any]] = []

    def add(path: str, old: Any, new: Any, label: Text | None, unit: str | None, **extra: Any) -> None:
        changes.append({"path": path, "label": dict(label) if label else {"en": path, "zh-CN": path},
                        "from": None if old is _MISSING else old, "to": None if new is _MISSING else new,
                        "unit": unit or None, "sweep": False, **extra})

    defaults = _scenario_defaults()
    for field in ("model", "building", "horizon_s"):
        old, new = base.get(field, defaults.get(field, _MISSING)), doc.get(field, defaults.get(field, _MISSING))
        if not _same(old, new):
            add(field, old, new, *FIELD_LABELS[field])
    if base.get("model") != doc.get("model"):
        model_params, schema = None, None  # another model: its parameters are not comparable

    old_params = _flatten(_effective_params(base.get("params") or {}, model_params), "", {})
    new_params = _flatten(_effective_params(doc.get("params") or {}, model_params), "", {})
    old_sweep = base.get("sweep") or {}
    new_sweep = doc.get("sweep") or {}
    if not isinstance(old_sweep, Mapping) or not isinstance(new_sweep, Mapping):
        old_sweep, new_sweep = {}, {}
    swept = {str(path).removeprefix("params.") for path in new_sweep}
    for key in dict.fromkeys([*old_params, *new_params]):
        if not key or key in swept:  # a swept parameter's single value is not what ran
            continue
        old, new = old_params.get(key, _MISSING), new_params.get(key, _MISSING)
        if not _same(old, new):
            add(f"params.{key}", old, new, *param_schema_info(schema, key))

    for path in dict.fromkeys([*new_sweep, *old_sweep]):
        old, new = old_sweep.get(path, _MISSING), new_sweep.get(path, _MISSING)
        if _same(old, new):
            continue
        key = str(path).removeprefix("params.")
        label, unit = param_schema_info(schema, key)
        if new is _MISSING:  # the run no longer sweeps it: it takes its single value
            add(str(path), old, new_params.get(key), label, unit, sweep=False)
        else:
            add(str(path), old_params.get(key) if old is _MISSING else old, list(new), label, unit, sweep=True)

    old_targets = _flatten(base.get("targets") or {}, "targets", {})
    new_targets = _flatten(doc.get("targets") or {}, "targets", {})
    for path in dict.fromkeys([*old_targets, *new_targets]):
        old, new = old_targets.get(path, _MISSING), new_targets.get(path, _MISSING)
        if path != "targets" and not _same(old, new):
            add(path, old, new, None, None)

    for field, value in (("replications", replications), ("seed", seed)):
        old = base.get(field, defaults.get(field, _MISSING))
        new = value if value is not None else doc.get(field, defaults.get(field, _MISSING))
        if not _same(old, new):
            add(field, old, new, *FIELD_LABELS[field])
    return changes


# --- saying it -------------------------------------------------------------------------------

def value_text(value: Any, unit: str | None, lang: str) -> str:
    """A parameter's value as a person reads it in ``lang``: a number with its unit's words, yes/no,
    a list joined; a mapping as compact JSON."""
    from models.units import unit_label  # the display forms of units (a light module)

    if value is None:
        return "—"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh-CN" else ("yes" if value else "no")
    if isinstance(value, list) and not value:
        return "—"  # an empty list: none
    if isinstance(value, list):
        return ", ".join(value_text(v, None, lang) for v in value) + (f" {unit_label(unit, lang)}" if unit else "")
    if isinstance(value, (int, float)):
        if unit == "share":
            return f"{100.0 * value:.4g} %"
        number = str(value) if isinstance(value, int) else f"{value:.6g}"
        return f"{number} {unit_label(unit, lang)}" if unit else number
    if isinstance(value, (dict, tuple)):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def _label(change: Mapping[str, Any], lang: str) -> str:
    words = pick(change.get("label") or change.get("path"), lang)
    if lang == "en" and len(words) > 1 and words[0].isupper() and words[1].islower():
        words = words[0].lower() + words[1:]  # "Technicians" reads "technicians 4 → 3" mid-sentence
    return words


def describe_changes(changes: list[Mapping[str, Any]] | None, lang: str | None = "en") -> str:
    """The changes in one line: ``technicians 4 → 3; alarm delay 0 → 120 s``; ``""`` when none."""
    code = normalise_language(lang)
    parts = []
    for change in changes or []:
        unit = change.get("unit")
        before, after = change.get("from"), change.get("to")
        # The unit once, after the new value ("4 → 3 persons"), when both are numbers.
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool)
                      for v in (before, *(after if isinstance(after, list) else [after])))
        old = value_text(before, None if numbers and unit != "share" else unit, code)
        new = value_text(after, unit, code)
        swept = (" (扫描)" if code == "zh-CN" else " (sweep)") if change.get("sweep") else ""
        parts.append(f"{_label(change, code)} {old} → {new}{swept}")
    return ("；" if code == "zh-CN" else "; ").join(parts)


def changes_text(changes: list[Mapping[str, Any]] | None) -> Text | None:
    """:func:`describe_changes` in both languages, or None when nothing changed."""
    if not changes:
        return None
    return {"en": describe_changes(changes, "en"), "zh-CN": describe_changes(changes, "zh-CN")}
