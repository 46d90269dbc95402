"""Every parameter that names a thing of the building says which kind (``x-pick``), so that the
console's form offers the building's own stairs, spaces, floors and cars (issue 15 §2).

The form is generated from each model's JSON Schema; a string parameter that names a space, a
door, a stair, an exit, a floor, a lift car or group, or a piece of equipment without ``x-pick``
would be a bare text box where a planner has to know the building file's ids. This walks every
registered model's parameter schema — nested objects, lists, mappings, unions, discriminated
unions — and finds such parameters by their name and their English description.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from models.harness import PICK_KINDS, available_models, get_model

THING_WORDS = r"(space|spaces|door|doors|stair|stairs|exit|exits|floor|floors|car|cars|lift group|equipment|landing|" \
              r"machine room|checkpoints?)"
NAMES_A_THING = re.compile(rf"(\b{THING_WORDS}\b.*\b(id|ids)\b|\b(id|ids)\b.*\b{THING_WORDS}\b|in the building file|"
                           rf"^(the )?{THING_WORDS} (where|of|that|it)\b|^{THING_WORDS}s? (that|which)\b|^where\b|"
                           rf"\bcars? (that|whose)\b|^space where\b)", re.IGNORECASE)
"""An English description that says the value is an id of a building's thing."""
THING_NAMES = {"space", "spaces", "door", "stair", "exit", "floor", "floors", "car", "cars", "equipment", "location",
               "base", "entry", "standby_base", "fire_floor", "live_car", "out_of_service", "route", "machine_rooms",
               "occupant_counts", "assigned_exits", "aset_s", "by_floor", "meters"}
"""Parameter names that always name building things (a car, a floor, a route of spaces…)."""
NOT_A_THING = {"id", "zone", "role", "pattern", "profile", "part", "skill", "skills", "name", "file", "history",
               "climate", "tariff", "epw", "path", "source_en", "source_zh_cn", "certified_skill", "roles",
               "maintenance_results", "energy_results", "population", "description", "groups", "patterns", "profiles",
               "category", "only", "shifts", "cycle", "occupancy", "kinds", "by_kind", "default_w_m2",
               "skill_response_min", "equipment_systems", "space_kinds", "route_kinds"}
"""Strings that name the scenario's own things (a staff group, a part, a profile), a file, free text or a
vocabulary (space kinds, skills) — not an id in the building file."""


def _resolve(node: dict, defs: dict, seen: tuple = ()) -> tuple[dict, tuple]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return {}, seen
        extra = {k: v for k, v in node.items() if k != "$ref"}
        node, seen = {**defs[name], **extra}, (*seen, name)
    return node, seen


def _inherit(parent: dict, child: dict) -> dict:
    return {**{k: parent[k] for k in ("x-label", "x-description", "x-pick", "x-pick-value") if k in parent}, **child}


def string_leaves(schema: dict) -> Iterator[tuple[str, str, str | None, dict]]:
    """Every place a string goes in a parameter schema: (path, "value" or "key", x-pick, the node)."""
    defs = schema.get("$defs", {})

    def walk(node: dict, path: str, name: str, seen: tuple) -> Iterator[tuple[str, str, str | None, dict]]:
        node, seen = _resolve(node, defs, seen)
        for union in ("anyOf", "oneOf", "allOf"):
            if union in node:
                for variant in node[union]:
                    yield from walk(_inherit(node, variant), path, name, seen)
                return
        kind = node.get("type")
        if kind == "object":
            for prop, sub in (node.get("properties") or {}).items():
                yield from walk(sub, f"{path}.{prop}", prop, seen)
            values = [v for v in [node.get("additionalProperties"), *(node.get("patternProperties") or {}).values()]
                      if isinstance(v, dict)]
            if values or "propertyNames" in node:
                yield path + "{key}", "key", node.get("x-pick"), {**node, "x-name": name}
            for value in values:
                pick_value = node.get("x-pick-value")
                sub = {**_inherit(node, value), "x-pick": pick_value} if pick_value else \
                    {k: v for k, v in _inherit(node, value).items() if k != "x-pick"}
                yield from walk(sub, path + "{}", name, seen)
        elif kind == "array":
            items = node.get("items")
            if isinstance(items, dict):
                yield from walk(_inherit(node, items), path + "[]", name, seen)
        elif kind == "string" and "enum" not in node and "const" not in node and "format" not in node:
            yield path, "value", node.get("x-pick"), {**node, "x-name": name}

    yield from walk(schema, "params", "params", ())


def names_a_building_thing(name: str, node: dict) -> bool:
    if name in NOT_A_THING:
        return False
    description = (node.get("x-description") or {}).get("en", "")
    return name in THING_NAMES or bool(NAMES_A_THING.search(description))


MODELS = available_models()


@pytest.mark.parametrize("model", MODELS)
def test_every_parameter_naming_a_building_thing_carries_x_pick(model):
    """issue 15 §2: every string parameter of every model that names a space, door, stair, exit, floor,
    car, lift group or equipment carries ``x-pick`` (its kind), so the form offers a picker."""
    schema = get_model(model).params.model_json_schema()
    missing = [path for path, _, pick, node in string_leaves(schema)
               if pick is None and names_a_building_thing(node["x-name"], node)]
    assert not missing, f"{model}: parameters naming building things without x-pick (param_label(pick=)): {missing}"


@pytest.mark.parametrize("model", MODELS)
def test_every_x_pick_names_a_known_kind_on_a_string(model):
    """issue 15 §2: an ``x-pick`` (and ``x-pick-value``) is a kind the choices endpoint offers, and is
    only on strings, lists of strings or mappings keyed by strings."""
    schema = get_model(model).params.model_json_schema()
    picks = [(path, pick) for path, _, pick, _ in string_leaves(schema) if pick]
    for path, pick in picks:
        assert all(k in PICK_KINDS for k in pick.split("|")), (model, path, pick)
    assert len(picks) >= str(schema).count("'x-pick'"), f"{model}: an x-pick sits on something that is not a string"


def test_the_evacuation_events_pick_the_building_things_they_name():
    """issue 15 §2: close a stair, smoke in a space, a blocked door, a lift out of service: each names its kind."""
    schema = get_model("evacuation").params.model_json_schema()
    picks = {path: pick for path, _, pick, _ in string_leaves(schema) if pick}
    assert picks["params.events[].stair"] == "stair"
    assert picks["params.events[].space"] == "space"
    assert picks["params.events[].door"] == "door"
    assert picks["params.events[].exit"] == "exit"
    assert picks["params.fire_floor"] == "floor"
    assert picks["params.lifts.out_of_service[]"] == "car"
    assert picks["params.assigned_exits{key}"] == "space|floor"
    assert picks["params.assigned_exits{}"] == "exit"


def test_param_label_refuses_an_unknown_pick_kind():
    """issue 15 §2: a typo in a pick kind is caught when the model is defined, naming the kind."""
    from models.harness import param_label

    with pytest.raises(ValueError, match="unknown pick kind 'stairs'"):
        param_label("Stair", "楼梯", "a stair", "楼梯", pick="stairs")
    assert param_label("Stair", "楼梯", "a stair", "楼梯", pick="stair")["x-pick"] == "stair"


def picked_values(schema: dict, value: Any) -> Iterator[tuple[str, str, Any]]:
    """Every (path, pick kind, id) a parameter document names: for checking ids against a building."""
    defs = schema.get("$defs", {})

    def walk(node: dict, v: Any, path: str, seen: tuple) -> Iterator[tuple[str, str, Any]]:
        node, seen = _resolve(node, defs, seen)
        if v is None:
            return
        if "oneOf" in node and "discriminator" in node and isinstance(v, dict):
            tag = v.get(node["discriminator"]["propertyName"])
            ref = node["discriminator"]["mapping"].get(tag)
            if ref:
                yield from walk(_inherit(node, {"$ref": ref}), v, path, seen)
            return
        for union in ("anyOf", "oneOf"):
            if union in node:
                for variant in node[union]:
                    sub, _ = _resolve(_inherit(node, variant), defs, seen)
                    t = sub.get("type")
                    if (t == "string" and isinstance(v, str) and "const" not in sub and "enum" not in sub) or \
                            (t == "array" and isinstance(v, list)) or (t == "object" and isinstance(v, dict)):
                        yield from walk(sub, v, path, seen)
                        return
                return
        pick = node.get("x-pick")
        kind = node.get("type")
        if kind == "object" and isinstance(v, dict):
            props = node.get("properties") or {}
            for key, item in v.items():
                if key in props:
                    yield from walk(props[key], item, f"{path}.{key}", seen)
                else:
                    if pick:
                        yield f"{path}{{{key}}}", pick, key
                    values = [x for x in [node.get("additionalProperties"),
                                          *(node.get("patternProperties") or {}).values()] if isinstance(x, dict)]
                    if values:
                        sub = {**values[0], "x-pick": node["x-pick-value"]} if node.get("x-pick-value") else values[0]
                        yield from walk(sub, item, f"{path}.{key}", seen)
        elif kind == "array" and isinstance(v, list):
            items = node.get("items") or {}
            for i, item in enumerate(v):
                yield from walk(_inherit(node, items) if pick else items, item, f"{path}[{i}]", seen)
        elif kind == "string" and pick and isinstance(v, str) and v:
            yield path, pick, v

    yield from walk(schema, value, "params", ())
