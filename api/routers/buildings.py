"""Buildings: what the server knows, each one's spec, floor graph, equipment and Brick model.

All read-only, for any role. A building is addressed by its key (sample name or loaded file
name) or its id. ``POST /buildings/validate`` is ``twin validate`` for a building file: every
error (field, reference, geometry, plausibility) and every named warning, in one answer;
``GET /buildings/{key}/warnings`` gives a known building's warnings.
"""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.catalogue import LoadedBuilding
from api.deps import ApiError, Ctx, Viewer, error_responses
from api.schemas import (BuildingChoices, BuildingInfo, BuildingSummary, EquipmentInfo, NodeLinkGraph, PickChoice,
                         exactly_one_of)
from models.operations.params import LIFT_CAR_KIND  # a lift car as an operations parameter names it
from twin.brick import brick_class, brick_turtle, state_topic
from twin.errors import SpecError
from twin.graph import to_node_link
from twin.loader import check_building_document, check_nesting, parse_yaml_text
from twin.live.devices import CAR_KIND
from twin.spec import SPACE_KINDS, Building, equipment_kind_words, space_kind_words, system_words
from twin.summary import building_summary

__all__ = ["router", "equipment_of", "choices_of", "BuildingCheck", "BuildingCheckResult", "BuildingProblem"]

router = APIRouter(prefix="/buildings", tags=["buildings"])

BuildingKey = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]+$", max_length=128,
                                  description="sample name, loaded file name, or building id",
                                  examples=["tower"])]


def _load(ctx: Ctx, key: str) -> LoadedBuilding:
    try:
        loaded = ctx.buildings.get(key)
    except SpecError as exc:
        raise ApiError(422, ["path", "key"], f"building {key!r} has errors: {exc}", "spec_error") from None
    if loaded is None:
        known = ", ".join(ctx.buildings.entries()) or "none"
        raise ApiError(404, ["path", "key"], f"no building {key!r} (known: {known})", "not_found")
    return loaded


def _info(loaded: LoadedBuilding) -> BuildingInfo:
    b = loaded.building
    return BuildingInfo(key=loaded.entry.key, id=b.id, name=b.name, use=b.use, source=loaded.entry.source,
                        live=loaded.entry.live, floors=len(b.floors), spaces=len(b.spaces),
                        equipment=len(b.equipment) + len(b.car_by_id), occupants=b.total_occupants)


def equipment_of(b: Building) -> list[EquipmentInfo]:
    """Every piece of equipment of a building, elevator cars included, with its live topic."""
    items: list[EquipmentInfo] = []
    for group in b.elevators:
        for car in group.cars:
            items.append(EquipmentInfo(
                id=car.id, system="elevator", kind=CAR_KIND, name=f"{car.id} ({group.name or group.id})",
                location=None, floor=car.home_floor,
                rated={"capacity_kg": car.capacity_kg, "capacity_persons": float(car.capacity_persons),
                       "rated_speed_mps": car.rated_speed_mps},
                serves=list(car.floors_served), group=group.id, topic=state_topic(b.id, "elevator", car.id),
                brick_class="Elevator"))
    for eq in b.equipment:
        space = b.space_by_id.get(eq.location)
        items.append(EquipmentInfo(
            id=eq.id, system=eq.system, kind=eq.kind, name=eq.name, location=eq.location,
            floor=space.floor if space else None, rated=dict(eq.rated), feeds=list(eq.feeds),
            serves=list(eq.serves), interval_s=eq.interval_s, topic=state_topic(b.id, eq.system, eq.id),
            brick_class=str(brick_class(eq.system, eq.kind)).rsplit("#", 1)[-1]))
    return items


class BuildingCheck(BaseModel):
    """A building file to check: as a JSON document or as YAML text (exactly one of the two)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={**exactly_one_of("document", "yaml"), "examples": [
        {"yaml": "id: shed\nname: Shed\nfloors: [{id: F01, elevation_m: 0}]\nspaces: [{id: S1, floor: F01, "
                 "kind: room, rect: {x_m: 0, y_m: 0, width_m: 4, depth_m: 3}, occupants: 2}]\n"
                 "doors: [{id: D1, between: [S1, EX], width_m: 0.9}]\nexits: [{id: EX, floor: F01, x_m: 0, y_m: 1}]\n"}]})

    document: dict[str, Any] | None = None
    yaml: Annotated[str, Field(max_length=20_000_000)] | None = None
    file: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=128)] = "posted.yaml"
    """The name the answer's messages give the file."""

    @model_validator(mode="after")
    def _one_form(self) -> "BuildingCheck":
        if (self.document is None) == (self.yaml is None):
            raise ValueError("give the building either as 'document' or as 'yaml'")
        return self


class BuildingProblem(BaseModel):
    """One error or warning: the file, the field path in it, the check's name and the message.
    ``name`` is a warning's name (twin/checks.py, listed in the README); errors carry none."""

    file: str
    path: str
    message: str
    name: str | None = None


class BuildingCheckResult(BaseModel):
    """Whether a building file loads, every error if not, and its named warnings either way (a
    warning does not stop a building loading; ``twin validate`` prints it and exits 0)."""

    valid: bool
    issues: list[BuildingProblem] = Field(default_factory=list, description="errors: the file is refused")
    warnings: list[BuildingProblem] = Field(default_factory=list,
                                            description="named warnings: the file loads, but check these")
    id: str | None = None
    floors: int | None = None
    spaces: int | None = None
    occupants: int | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"valid": False, "issues": [{"file": "posted.yaml", "path": "doors[0] 'D1'.between", "name": None,
                                     "message": "'S1' and 'S2' do not share a wall (3 m apart; a door needs a wall "
                                                "they share, no thicker than its length_m 0.3 m)"}],
         "warnings": []},
        {"valid": True, "issues": [], "id": "shed", "floors": 1, "spaces": 1, "occupants": 2, "warnings": [
            {"file": "posted.yaml", "path": "exits[0] 'EX'.width_m", "name": "exit-width-differs",
             "message": "width 1.2 m differs from door 'D1''s 0.9 m; the narrower, 0.9 m, governs the flow"}]}]})


@router.post("/validate", response_model=BuildingCheckResult, responses=error_responses(413),
             summary="Check a building file without loading it")
async def validate_building(body: BuildingCheck, ctx: Ctx, _: Viewer) -> BuildingCheckResult:
    """Every error (fields, references, geometry, implausible numbers) with its file and field path,
    and every named warning; ``valid`` says whether the building would load."""
    from api.routers.scenarios import check_off_loop

    def check() -> BuildingCheckResult:
        try:
            data = body.document if body.document is not None else parse_yaml_text(body.yaml or "", body.file)
            check_nesting(data, body.file)
        except SpecError as exc:
            return BuildingCheckResult(valid=False, issues=[BuildingProblem(**i.as_dict()) for i in exc.issues])
        report = check_building_document(data, body.file)
        warnings = [BuildingProblem(**w.as_dict()) for w in report.warnings]
        if report.building is None:
            return BuildingCheckResult(valid=False, issues=[BuildingProblem(**i.as_dict()) for i in report.errors],
                                       warnings=warnings)
        b = report.building
        return BuildingCheckResult(valid=True, warnings=warnings, id=b.id, floors=len(b.floors),
                                   spaces=len(b.spaces), occupants=b.total_occupants)

    return await check_off_loop(ctx, check)


@router.get("/{key}/warnings", response_model=list[BuildingProblem], responses=error_responses(404),
            summary="A building's named warnings")
def get_warnings(key: BuildingKey, ctx: Ctx, _: Viewer) -> list[BuildingProblem]:
    """What the loader found that may be intended but changes a result (empty when nothing)."""
    return [BuildingProblem(**w.as_dict()) for w in _load(ctx, key).building.load_warnings]


@router.get("", response_model=list[BuildingInfo], responses=error_responses(),
            summary="List the buildings the server knows")
def list_buildings(ctx: Ctx, _: Viewer) -> list[BuildingInfo]:
    """Shipped samples, buildings loaded into the data folder, and the one the live twin mirrors."""
    return [_info(b) for b in ctx.buildings.all()]


@router.get("/{key:scenario_name}", response_model=Building, responses=error_responses(404),
            summary="A building's specification")
def get_building(key: BuildingKey, ctx: Ctx, _: Viewer) -> Building:
    return _load(ctx, key).building


@router.get("/{key}/summary", response_model=BuildingSummary, responses=error_responses(404),
            summary="A building at a glance")
def get_summary(key: BuildingKey, ctx: Ctx, _: Viewer) -> dict:
    loaded = _load(ctx, key)
    return building_summary(loaded.building, loaded.graph)


@router.get("/{key}/graph", response_model=NodeLinkGraph, responses=error_responses(404),
            summary="The floor graph as node-link JSON")
def get_graph(key: BuildingKey, ctx: Ctx, _: Viewer) -> dict:
    """Spaces and exits as nodes; doors, stair flights and lift connections as edges keyed by their id."""
    return to_node_link(_load(ctx, key).graph)


@router.get("/{key}/equipment", response_model=list[EquipmentInfo], responses=error_responses(404),
            summary="A building's equipment and elevator cars")
def get_equipment(key: BuildingKey, ctx: Ctx, _: Viewer) -> list[EquipmentInfo]:
    return equipment_of(_load(ctx, key).building)


@router.get("/{key}/choices", response_model=BuildingChoices, responses=error_responses(404),
            summary="What a scenario's parameters may name in a building")
def get_choices(key: BuildingKey, ctx: Ctx, _: Viewer) -> BuildingChoices:
    """The building's spaces, doors, stairs, exits, floors, lift cars and groups, equipment, and the
    kinds and systems it has, each with its words in both languages and its floor: what the console's
    form offers for a parameter whose schema says ``x-pick`` (:data:`models.harness.PICK_KINDS`)."""
    return choices_of(_load(ctx, key).building)


def choices_of(b: Building) -> BuildingChoices:
    """Every thing of a building a parameter may name, by pick kind, in the building file's order."""
    from viewer.console import floor_words  # the storeys as the console's menus name them
    from viewer.scene import room_label  # words the 3D view uses too

    def both(en: str, zh: str | None = None) -> dict[str, str]:
        return {"en": en, "zh-CN": zh if zh is not None else en}

    def floor_words_of(floor_id: str | None) -> dict[str, str]:
        return storeys.get(floor_id or "") or both(floor_id or "")

    def named(thing_id: str, words: dict[str, str]) -> dict[str, str]:
        return {lang: (w if w == thing_id else f"{w} ({thing_id})") for lang, w in words.items()}

    storeys = floor_words(b)
    space_of = b.space_by_id
    spaces = [PickChoice(id=s.id, floor=s.floor, label=named(s.id, {
        lang: f"{room_label(s, lang)} · {floor_words_of(s.floor)[lang]}" for lang in ("en", "zh-CN")})) for s in b.spaces]
    doors = []
    for d in b.doors:
        ends = [space_of.get(x) for x in d.between]
        words = {lang: " – ".join(room_label(s, lang) if s else x for s, x in zip(ends, d.between))
                 for lang in ("en", "zh-CN")}
        floor = next((s.floor for s in ends if s is not None), None)
        doors.append(PickChoice(id=d.id, floor=floor, label={lang: f"{d.id}: {w}" for lang, w in words.items()}))
    stairs = [PickChoice(id=st.id, floor=None, label=named(st.id, both(st.name or st.id))) for st in b.stairs]
    exits = [PickChoice(id=e.id, floor=e.floor, label=named(e.id, {
        lang: f"{e.name or e.id} · {floor_words_of(e.floor)[lang]}" for lang in ("en", "zh-CN")})) for e in b.exits]
    floors = [PickChoice(id=f.id, floor=f.id, label=named(f.id, floor_words_of(f.id))) for f in b.floors]
    cars, groups = [], []
    for g in b.elevators:
        groups.append(PickChoice(id=g.id, floor=None, label=named(g.id, both(g.name or g.id))))
        for car in g.cars:
            fire = both(" · fire-service", " · 消防电梯") if car.fire_service else both("")
            cars.append(PickChoice(id=car.id, floor=car.home_floor, label={
                lang: f"{car.id} ({g.name or g.id}){fire[lang]}" for lang in ("en", "zh-CN")}))
    equipment = [PickChoice(id=eq.id, floor=space_of[eq.location].floor if eq.location in space_of else None,
                            label=named(eq.id, both(eq.name or eq.id))) for eq in b.equipment]
    kinds = list(dict.fromkeys([*(s.kind for s in b.spaces), *SPACE_KINDS]))  # the building's first, then the rest
    # A kind or a system reads as its words with its code name after them ("消防稳压泵 (fire_jockey_pump)").
    space_kinds = [PickChoice(id=k, label=named(k, dict(space_kind_words(k)))) for k in kinds]
    eq_kinds = list(dict.fromkeys([eq.kind for eq in b.equipment] + ([LIFT_CAR_KIND] if b.elevators else [])))
    systems = list(dict.fromkeys([eq.system for eq in b.equipment] + (["elevator"] if b.elevators else [])))
    return BuildingChoices(space=spaces, door=doors, stair=stairs, exit=exits, floor=floors, car=cars,
                           lift_group=groups, equipment=equipment, space_kind=space_kinds,
                           equipment_kind=[PickChoice(id=k, label=named(k, dict(equipment_kind_words(k))))
                                           for k in eq_kinds],
                           system=[PickChoice(id=k, label=named(k, dict(system_words(k)))) for k in systems])


@router.get("/{key}/brick", response_class=Response, responses={
    **error_responses(404, non_json_route=True), 200: {"content": {"text/turtle": {"schema": {"type": "string"}}},
                                  "description": "the Brick model as Turtle"}},
            summary="The building's Brick model (text/turtle)")
def get_brick(key: BuildingKey, ctx: Ctx, _: Viewer) -> Response:
    """Brick classes for the equipment, ``rec:Level`` floors, and each device's MQTT state topic as a
    ``ref:TimeseriesReference``."""
    loaded = _load(ctx, key)
    cache_key = (loaded.entry.path, loaded.entry.path.stat().st_mtime, _public_broker(ctx))
    text = _TURTLE.get(cache_key)
    if text is None:
        text = brick_turtle(loaded.building, broker=cache_key[2])
        if len(_TURTLE) > 16:
            _TURTLE.clear()
        _TURTLE[cache_key] = text
    return Response(text, media_type="text/turtle")


def _public_broker(ctx: Ctx) -> str:
    """The broker URL without its user name and password (the model is readable by any viewer)."""
    url = urlsplit(ctx.settings.mqtt_url or "mqtt://localhost:1883")
    host = url.hostname or "localhost"
    netloc = f"[{host}]" if ":" in host else host
    return urlunsplit((url.scheme, f"{netloc}:{url.port}" if url.port else netloc, url.path, "", ""))


_TURTLE: dict[tuple[FsPath, float, str], str] = {}  # Brick models by file, its time and the broker
