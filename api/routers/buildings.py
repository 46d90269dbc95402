"""Buildings: what the server knows, each one's spec, floor graph, equipment and Brick model.

All read-only, for any role. A building is addressed by its key (sample name or loaded file
name) or its id.
"""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Path
from fastapi.responses import Response

from api.catalogue import LoadedBuilding
from api.deps import ApiError, Ctx, Viewer, error_responses
from api.schemas import BuildingInfo, BuildingSummary, EquipmentInfo, NodeLinkGraph
from twin.brick import brick_class, brick_turtle, state_topic
from twin.errors import SpecError
from twin.graph import to_node_link
from twin.spec import Building
from twin.summary import building_summary

__all__ = ["router", "equipment_of"]

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
                id=car.id, system="elevator", kind="elevator_car", name=f"{car.id} ({group.name or group.id})",
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


@router.get("", response_model=list[BuildingInfo], responses=error_responses(),
            summary="List the buildings the server knows")
def list_buildings(ctx: Ctx, _: Viewer) -> list[BuildingInfo]:
    """Shipped samples, buildings loaded into the data folder, and the one the live twin mirrors."""
    return [_info(b) for b in ctx.buildings.all()]


@router.get("/{key}", response_model=Building, responses=error_responses(404),
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
