"""The shapes of what the API takes and gives, one family per resource.

Buildings (list item, summary, floor graph, equipment), the live twin (equipment state, point
history, alarms, commands, stream messages), scenarios (list item, document, check result), runs
(request, run, summary, records, comparison), tokens, health — and the one error body every 4xx
uses: a list of problems, each naming the field (``loc``) it is about, as FastAPI's own request
validation does.

Units are in the field names, as everywhere in the twin. Models are generic: a run's KPIs and
parameters are whatever its model registers, so new models need no new schemas.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError
from starlette.convertors import StringConvertor, register_url_convertor

__all__ = [
    "ErrorItem", "ErrorResponse",
    "BuildingInfo", "BuildingSummary", "NodeLinkGraph", "EquipmentInfo", "PickChoice", "BuildingChoices",
    "EquipmentState", "TwinStateOut", "HistoryPoint", "PointHistory", "StateAt", "AlarmOut",
    "AlarmList", "AlarmAck", "AlarmHistoryRow", "AlarmHistory", "Dashboard", "CommandCreate", "CommandOut",
    "ScenarioInfo", "ScenarioDocument", "VariantCreate", "ScenarioCheck", "ScenarioIssue", "ScenarioCheckResult",
    "RunCreate", "RunProgress", "RunLinks", "RunOut", "RunChange", "RunList", "KpiStats", "SummaryPoint", "RunSummary",
    "KpiRow", "KpiTable",
    "RecordTable", "RecordTables", "RecordsPage", "CompareValue", "CompareKpi", "CompareOut", "ComparedRun",
    "TokenCreate", "TokenOut", "TokenCreated", "TokenList",
    "HealthOut", "ModelInfo", "KpiInfo", "KpiTargetInfo", "ChartInfo", "TokenMe", "TextOut",
    "exactly_one_of", "NOT_A_BOOLEAN", "ScenarioNameConvertor", "VARIANT_NAME_PATTERN",
]

IdStr = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$", min_length=1, max_length=64)]


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer, not true or false")
    return value


NOT_A_BOOLEAN = BeforeValidator(_not_a_boolean)
"""For an integer in a request body: a JSON number, not true/false (which pydantic reads as 1/0)."""


class ScenarioNameConvertor(StringConvertor):
    """The ``{key:scenario_name}`` segment of ``/buildings/{key}`` (``/scenarios/{name}`` has its own,
    which refuses ``variants`` too): any segment but ``validate``, so that ``GET /buildings/validate``
    reaches the ``POST …/validate`` route (405, ``Allow: POST``) instead of being read as a building
    named "validate". What a name may contain is checked by the route's parameter, which
    names the field when it is wrong."""

    regex = r"(?!validate$)[^/]+"


register_url_convertor("scenario_name", ScenarioNameConvertor())


def exactly_one_of(*fields: str) -> dict[str, Any]:
    """The JSON Schema of "give exactly one of ``fields``" (each may also be sent as null, which
    counts as not given), for a model's ``json_schema_extra``; the model's validator enforces it."""
    return {"oneOf": [{"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in fields]}


def _keys_matching(pattern: str, max_length: int) -> Any:
    """A dict field's ``json_schema_extra``: its keys must match ``pattern`` (pydantic says so with
    ``patternProperties``, which lets any other key through with any value; ``propertyNames`` does
    not)."""

    def fix(schema: dict[str, Any]) -> None:
        values = schema.pop("patternProperties", {}).get(pattern, {})
        schema["propertyNames"] = {"pattern": pattern, "maxLength": max_length}
        schema["additionalProperties"] = values

    return fix


# --- errors -------------------------------------------------------------------------------------

class ErrorItem(BaseModel):
    """One problem: where (``loc``, as in FastAPI's validation errors) and what."""

    loc: list[str | int] = Field(description="where the problem is: 'body'/'query'/'path' then the field path")
    msg: str
    type: str
    file: str | None = Field(None, description="the scenario or building file a problem is in")
    path: str | None = Field(None, description="the field path inside that file, e.g. params.technicians")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"loc": ["path", "run_id"], "msg": "no run '20261124T0930-abc123'", "type": "not_found"}]})


class ErrorResponse(BaseModel):
    """The body of every 4xx answer."""

    detail: list[ErrorItem]

    model_config = ConfigDict(json_schema_extra={"examples": [{"detail": [
        {"loc": ["body", "scenario", "params.technicians"], "msg": "Input should be greater than 0 (got 0)",
         "type": "spec_error", "file": "posted.yaml", "path": "params.technicians"}]}]})


# --- buildings ----------------------------------------------------------------------------------

class BuildingInfo(BaseModel):
    """A building the server knows: a shipped sample or a file loaded into its data folder."""

    key: str = Field(description="what to put in /buildings/{key}: the sample name or file name")
    id: str
    name: str
    use: str
    source: Literal["sample", "loaded", "live"]
    live: bool = Field(description="whether the live twin mirrors this building")
    floors: int
    spaces: int
    equipment: int = Field(description="equipment items and elevator cars")
    occupants: int

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"key": "tower", "id": "tower", "name": "Riverside Tower", "use": "residential", "source": "sample",
         "live": True, "floors": 33, "spaces": 420, "equipment": 41, "occupants": 1180}]})


class BuildingSummary(BaseModel):
    """A building at a glance (``twin building show``)."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str
    use: str
    floors: int
    lowest_floor: str
    highest_floor: str
    height_m: float
    spaces: int
    spaces_by_kind: dict[str, int]
    floor_area_m2: float
    occupants: int
    doors: int
    stairs: int
    elevator_groups: int
    elevator_cars: int
    fire_service_lifts: int
    exits: list[str]
    equipment_by_system: dict[str, int]
    graph_nodes: int
    graph_edges: int
    occupied_spaces_reaching_exit: int
    occupied_spaces: int
    max_exit_distance_m: float


class NodeLinkGraph(BaseModel):
    """The floor graph in networkx node-link form (``edges`` key): spaces and exits, doors, stairs, lifts."""

    directed: bool
    multigraph: bool
    graph: dict[str, Any]
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"directed": False, "multigraph": True, "graph": {"building": "tower"},
         "nodes": [{"id": "F01-COR", "node_type": "space", "floor": "F01", "kind": "corridor",
                    "pos": [10.0, 1.0, 0.0]}],
         "edges": [{"source": "F01-COR", "target": "EXIT-W", "key": "F01-DX", "kind": "exit",
                    "length_m": 0.3, "width_m": 1.2}]}]})


class EquipmentInfo(BaseModel):
    """A piece of equipment (or an elevator car) and where its live state is published."""

    id: str
    system: str
    kind: str
    name: str | None = None
    location: str | None = Field(None, description="the space it stands in (none for elevator cars)")
    floor: str | None = None
    rated: dict[str, float] = Field(default_factory=dict, description="nameplate figures, unit in each key")
    feeds: list[str] = Field(default_factory=list)
    serves: list[str] = Field(default_factory=list)
    group: str | None = Field(None, description="elevator group of a car")
    interval_s: float | None = None
    topic: str = Field(description="MQTT topic of its live state")
    brick_class: str

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": "PMP-1", "system": "pump", "kind": "booster_pump", "name": "Domestic water booster",
         "location": "B1-PLANT", "floor": "B1", "rated": {"power_kw": 7.5, "flow_m3h": 20.0},
         "feeds": [], "serves": ["F01", "F02"], "group": None, "interval_s": 5.0,
         "topic": "twin/v1/tower/pump/PMP-1/state", "brick_class": "Booster_Pump"}]})


class PickChoice(BaseModel):
    """One thing of a building a parameter may name: its id, its words in both languages, its floor."""

    id: str
    label: dict[str, str] = Field(description="what a person reads, by language (en, zh-CN)")
    floor: str | None = Field(None, description="the floor it is on (none for a stair, a kind, a system)")


class BuildingChoices(BaseModel):
    """What a scenario's parameters may name in a building, by pick kind (``x-pick`` in a model's
    parameter schema, :data:`models.harness.PICK_KINDS`): the console's form offers these."""

    space: list[PickChoice]
    door: list[PickChoice]
    stair: list[PickChoice]
    exit: list[PickChoice]
    floor: list[PickChoice]
    car: list[PickChoice]
    lift_group: list[PickChoice]
    equipment: list[PickChoice]
    space_kind: list[PickChoice]
    equipment_kind: list[PickChoice]
    system: list[PickChoice]

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"stair": [{"id": "ST-A", "label": {"en": "Stair A", "zh-CN": "Stair A"}, "floor": None}],
         "floor": [{"id": "F01", "label": {"en": "Ground", "zh-CN": "1层"}, "floor": "F01"}],
         "space": [], "door": [], "exit": [], "car": [], "lift_group": [], "equipment": [], "space_kind": [],
         "equipment_kind": [], "system": []}]})


# --- the live twin ------------------------------------------------------------------------------

Scalar = float | int | str | bool | None


class EquipmentState(BaseModel):
    """One device's current state: its values, when they were measured, and how much to trust them."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [
        {"id": "LIFT-2", "system": "elevator", "kind": "elevator_car", "status": "ok", "in_service": True,
         "values": {"floor": 7, "door": "closed", "load_kg": 420.5, "direction": "up"},
         "point_ts_ms": {"floor": 1764000000123}, "last_ts_ms": 1764000000123, "last_seen_ms": 1764000000130,
         "online": True, "quality": "good", "seq": 42, "seq_gaps": 0, "missed_messages": 0, "out_of_order": 0,
         "duplicates": 0, "messages": 1200, "alarm_level": None, "attributes": {}, "floor": "L00"}]})

    id: str = Field(description="equipment or elevator car id")
    system: str
    kind: str
    status: str = Field(description="ok, warning, alarm, offline or stale")
    in_service: bool
    values: dict[str, Scalar] = Field(default_factory=dict)
    point_ts_ms: dict[str, int] = Field(default_factory=dict, description="device time of each point's value")
    last_ts_ms: int | None = None
    last_seen_ms: int | None = Field(None, description="when the twin last heard from it")
    online: bool | None = None
    quality: str = "good"
    seq: int | None = None
    seq_gaps: int = 0
    missed_messages: int = 0
    out_of_order: int = 0
    duplicates: int = 0
    messages: int = 0
    alarm_level: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    floor: str | None = None


class AlarmOut(BaseModel):
    """An alarm: what, where, how bad, and where it is in its life cycle (active/cleared × acknowledged)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [
        {"id": "event:entrapment:LIFT-2", "rule": "event:entrapment", "source": "event", "device": "LIFT-2",
         "severity": "critical", "message": "Possible entrapment in lift car LIFT-2: alarm button pressed in the car",
         "words": {"en": "Possible entrapment in lift car LIFT-2: alarm button pressed in the car",
                   "zh-CN": "LIFT-2 轿厢困人报警：alarm button pressed in the car"},
         "active": True, "raised_ms": 1764000000123,
         "cleared_ms": None, "acked_by": None, "acked_ms": None, "ack_note": None, "value": None, "zone": None,
         "floor": "L12", "system": "elevator", "count": 1, "first_raised_ms": 1764000000123,
         "state": "active_unacked", "acknowledged": False, "level": "alarm"}]})

    id: str
    rule: str
    source: str
    device: str
    severity: str = Field(description="critical, major, minor or warning")
    message: str = Field(description="what the alarm says, in English (``words`` has it in each language)")
    words: dict[str, str] | None = Field(None, description="the message in each language (en, zh-CN); the "
                                                           "device's own words follow a colon")
    active: bool
    raised_ms: int
    cleared_ms: int | None = None
    acked_by: str | None = None
    acked_ms: int | None = None
    ack_note: str | None = None
    value: Scalar = None
    zone: str | None = None
    floor: str | None = None
    system: str | None = None
    count: int = 1
    first_raised_ms: int | None = None
    state: str = Field(description="active_unacked, active_acked, cleared_unacked or closed")
    acknowledged: bool
    level: str


class TwinStateOut(BaseModel):
    """The whole building's live state at one instant."""

    model_config = ConfigDict(extra="allow")

    building_id: str
    taken_ms: int
    taken_at: datetime
    time_of_day_s: float = Field(description="seconds since local midnight at the building")
    out_of_service: list[str]
    status_counts: dict[str, int]
    equipment: dict[str, EquipmentState]
    alarms: list[AlarmOut] = Field(default_factory=list, description="open alarms")


class HistoryPoint(BaseModel):
    """A raw sample (count 1) or a bucket's aggregate (mean value, min, max, count; the last value for
    text points)."""

    ts_ms: int
    value: Scalar = None
    min: Scalar = None
    max: Scalar = None
    count: int


class PointHistory(BaseModel):
    """A point's time series over a range, down-sampled to at most ``max_points`` buckets."""

    equipment: str
    point: str
    start_ms: int
    end_ms: int
    max_points: int
    downsampled: bool
    samples: list[HistoryPoint]

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"equipment": "PMP-1", "point": "pressure_kpa", "start_ms": 1764000000000, "end_ms": 1764003600000,
         "max_points": 500, "downsampled": True,
         "samples": [{"ts_ms": 1764000000000, "value": 412.5, "min": 405.0, "max": 420.1, "count": 60}]}]})


class StateAt(BaseModel):
    """The building's point values as they stood at a past time (the newest sample not after it)."""

    building_id: str
    at_ms: int
    equipment: dict[str, dict[str, Scalar]]


class AlarmList(BaseModel):
    alarms: list[AlarmOut]
    total: int


class AlarmAck(BaseModel):
    """Acknowledging an alarm: an optional note for the log."""

    note: Annotated[str, Field(max_length=500)] | None = None

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"note": "rescue team sent"}]})


class AlarmHistoryRow(BaseModel):
    """One transition of an alarm (raised, cleared, acknowledged): when, what, where, who, the note."""

    at: str = Field(description="local time at the building, ISO 8601")
    at_ms: int
    transition: str = Field(description="raised, cleared or acknowledged")
    alarm_id: str
    device: str | None = None
    system: str | None = None
    floor: str | None = None
    severity: str | None = None
    message: str | None = Field(None, description="what the alarm says, in the language asked for (``lang``)")
    words: dict[str, str] | None = Field(None, description="the message in each language (en, zh-CN)")
    by: str | None = Field(None, description="who acknowledged (acknowledged transitions)")
    note: str | None = Field(None, description="the acknowledgement's note")
    state: str | None = Field(None, description="the alarm's state after this transition")


class AlarmHistory(BaseModel):
    """A page of the alarm history, newest first, and how many transitions match the filters."""

    start_ms: int
    end_ms: int
    total: int
    offset: int
    limit: int
    rows: list[AlarmHistoryRow]


class Dashboard(BaseModel):
    """The supervisor's figures over a window: work orders against the promises (the latest operations
    run), alarms by system over time, failures and availability by system, energy by day and month."""

    model_config = ConfigDict(extra="allow")

    start_ms: int
    end_ms: int
    timezone: str
    live: bool = Field(description="whether the live twin's figures are in (alarms, availability, energy)")
    operations_run: dict[str, Any] | None = Field(None, description="the latest finished operations run used")
    work_orders: dict[str, Any] | None = None
    live_response: dict[str, Any] | None = Field(
        None, description="live incidents against the same promises: critical alarms 30 min, major 2 h, "
                          "time to acknowledgement")
    alarms_by_system: dict[str, Any] | None = None
    systems: dict[str, dict[str, Any]] | None = Field(None, description="failures and availability by system")
    energy: dict[str, Any] | None = None


class CommandCreate(BaseModel):
    """A desired state sent to a device on its ``cmd`` topic; the device answers on ``cmd/ack``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"desired": {"fault": "trip", "duration_s": 60}, "wait_s": 5},
        {"desired": {"clear": "trip"}}]})

    desired: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=64)], Scalar] = Field(
        min_length=1, max_length=50,
        description="the desired state, e.g. {\"mode\": \"auto\"}; the device's own vocabulary",
        json_schema_extra=_keys_matching(r"^[A-Za-z0-9_.-]+$", 64))
    # strict: a number, not true/false (which pydantic would otherwise read as 1 and 0)
    wait_s: Annotated[float, Field(ge=0, le=30, strict=True)] = Field(
        0, description="wait up to this long for the acknowledgement before answering (0: answer at once)")


class CommandOut(BaseModel):
    """A command and its acknowledgement, if one came."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": "c-5f2a1c0e", "equipment": "PMP-1", "desired": {"fault": "trip"}, "status": "acknowledged",
         "sent_ms": 1764000000123, "ack_ms": 1764000000310, "ok": True, "message": "fault trip started",
         "sent_by": "engineer-1"}]})

    id: str
    equipment: str
    desired: dict[str, Any]
    status: Literal["sent", "acknowledged", "rejected", "no_answer"] = Field(
        description="sent (no answer yet), acknowledged (ok), rejected (not ok), no_answer (none within 60 s)")
    sent_ms: int
    ack_ms: int | None = None
    ok: bool | None = None
    message: str | None = None
    sent_by: str | None = None


# --- scenarios ----------------------------------------------------------------------------------

TextOut = Annotated[dict[str, str], Field(
    description="words in each language, by language code: {\"en\": \"Evacuation time\", \"zh-CN\": \"疏散时间\"} "
                "(a scenario written in one language only has that one)",
    examples=[{"en": "Evacuation time", "zh-CN": "疏散时间"}])]
"""A :data:`twin.text.Text` in an answer: words by language code."""


class ScenarioInfo(BaseModel):
    """A scenario file the server knows, with its title and description in the languages it has."""

    name: str
    source: Literal["library", "loaded"]
    model: str | None = None
    title: TextOut = Field(default_factory=dict, description="the scenario's title (its name when it has none)")
    description: TextOut = Field(default_factory=dict)
    building: str | None = None
    replications: int | None = None
    sweep: dict[str, list[Any]] | None = None
    based_on: str | None = Field(None, description="a saved variant's library scenario (null for any other)")
    changes: list[RunChange] | None = Field(None, description="a saved variant's changes from its library "
                                                              "scenario (null for any other scenario)")
    changes_text: TextOut | None = Field(None, description="those changes in one line, in each language")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "repair-desk-weekday", "source": "library", "model": "repair_desk",
         "title": {"en": "Repair desk on a weekday", "zh-CN": "工作日报修中心"},
         "description": {"en": "Repair desk with four technicians, 6 work orders/h (1 emergency)",
                         "zh-CN": "四名维修人员，每小时 6 张工单（1 张紧急）"},
         "building": "tower", "replications": 10, "sweep": None}]})


VARIANT_NAME_PATTERN = r"^[a-z0-9-]{1,64}$"
"""A saved variant's name: lower-case letters, digits and hyphens (its file is NAME.yaml)."""
VariantName = Annotated[str, Field(pattern=VARIANT_NAME_PATTERN, min_length=1, max_length=64,
                                    examples=["desk-three-technicians"])]


class VariantCreate(BaseModel):
    """Save a changed scenario as a named variant: a validated scenario file in the data folder's
    ``scenarios/``, with ``based_on`` naming its library scenario and the changes applied."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "desk-three-technicians", "based_on": "repair-desk-weekday", "set": {"params.technicians": 3},
         "sweep": None, "replications": 20, "seed": None,
         "title": {"en": "Repair desk with three technicians", "zh-CN": "三名维修人员的报修中心"}}]})

    name: VariantName = Field(description="the variant's name: [a-z0-9-], 1–64 characters")
    based_on: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=128)] = Field(
        description="the scenario it changes: a library or loaded scenario, or another variant (whose own "
                    "library scenario it is then based on)")
    set: dict[Annotated[str, Field(max_length=200)], Any] = Field(
        default_factory=dict, max_length=100,
        description="fields to change by dotted path: params.NAME…, horizon_s, building, targets.KPI…")
    sweep: dict[Annotated[str, Field(max_length=200)], Annotated[list[Any], Field(min_length=1, max_length=1000)]] | None = Field(
        None, max_length=20, description="replace the scenario's sweep (dotted parameter path → values); {} removes it")
    replications: Annotated[int, Field(ge=1, le=10_000), NOT_A_BOOLEAN] | None = None
    seed: Annotated[int, Field(ge=0, lt=2**63), NOT_A_BOOLEAN] | None = None
    title: dict[Literal["en", "zh-CN"], Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        None, description="the variant's title in both languages (default: its scenario's title and its name)")
    replace: bool = Field(False, strict=True, description="replace a variant of the same name (else 409)")


class ScenarioDocument(ScenarioInfo):
    """A scenario file: its parsed document and its text."""

    document: dict[str, Any]
    text: str
    params: dict[str, Any] | None = Field(None, description="its parameters as the model reads them, every default "
                                                            "filled in (none when they do not validate)")


class ScenarioCheck(BaseModel):
    """A scenario to check: as a JSON document or as YAML text (exactly one of the two)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={**exactly_one_of("document", "yaml"), "examples": [
        {"document": {"name": "desk-3", "model": "repair_desk", "building": "tower", "replications": 10,
                      "horizon_s": 86400, "params": {"technicians": 3}}}]})

    document: dict[str, Any] | None = None
    yaml: Annotated[str, Field(max_length=1_000_000)] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> "ScenarioCheck":
        if (self.document is None) == (self.yaml is None):
            raise ValueError("give the scenario either as 'document' or as 'yaml'")
        return self


class ScenarioIssue(BaseModel):
    file: str
    path: str
    message: str


class ScenarioCheckResult(BaseModel):
    """Whether a scenario can be run, and every problem found if not."""

    valid: bool
    issues: list[ScenarioIssue] = Field(default_factory=list)
    name: str | None = None
    model: str | None = None
    building: str | None = None
    points: int | None = None
    replications: int | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"valid": False, "issues": [{"file": "posted.yaml", "path": "params.technicians",
                                     "message": "Input should be greater than 0 (got 0)"}]},
        {"valid": True, "issues": [], "name": "desk-3", "model": "repair_desk", "building": "tower",
         "points": 1, "replications": 10}]})


# --- runs ---------------------------------------------------------------------------------------

class RunCreate(BaseModel):
    """Start a run: a known scenario by name, or a posted one (exactly one of ``scenario``,
    ``document``, ``yaml``); optionally from the live twin's state."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        **exactly_one_of("scenario", "document", "yaml"), "examples": [
        {"scenario": "repair-desk-weekday", "replications": 20, "seed": 1},
        {"scenario": "tower-full-drill", "sweep": {"params.alarm_delay_s": [0, 120, 300]}},
        {"document": {"name": "desk-3", "model": "repair_desk", "building": "tower", "seed": 7,
                      "replications": 10, "horizon_s": 86400, "params": {"technicians": 3}},
         "from_live": True}]})

    scenario: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=128)] | None = Field(
        None, description="name of a library or loaded scenario")
    document: dict[str, Any] | None = Field(None, description="a scenario document (the YAML file's fields)")
    yaml: Annotated[str, Field(max_length=1_000_000)] | None = Field(None, description="a scenario as YAML text")
    set: dict[Annotated[str, Field(max_length=200)], Any] = Field(
        default_factory=dict, max_length=100,
        description="fields to override by dotted path, e.g. {'params.technicians': 5}")
    sweep: dict[Annotated[str, Field(max_length=200)], Annotated[list[Any], Field(max_length=1000)]] | None = Field(
        None, max_length=20, description="replace the scenario's sweep: dotted parameter path → values")
    replications: Annotated[int, Field(ge=1, le=10_000), NOT_A_BOOLEAN] | None = None
    seed: Annotated[int, Field(ge=0, lt=2**63), NOT_A_BOOLEAN] | None = None
    # strict: true or false, as the schema says (not 0/1 or "yes", which pydantic would otherwise read)
    from_live: bool = Field(False, strict=True, description="start from the live twin's current snapshot")

    @model_validator(mode="after")
    def _one_source(self) -> "RunCreate":
        given = [k for k in ("scenario", "document", "yaml") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'scenario' (a name), 'document' or 'yaml'")
        return self


class RunProgress(BaseModel):
    done: int = Field(description="replications finished")
    total: int = Field(description="replications × sweep points")
    fraction: float


class RunLinks(BaseModel):
    self: str
    summary: str
    records: str
    report: str
    cancel: str


class RunChange(BaseModel):
    """One thing a run changes from the scenario it is based on (a ``set``, an edited form, a sweep)."""

    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [
        {"path": "params.technicians", "label": {"en": "Technicians on shift", "zh-CN": "当班维修人员"},
         "from": 4, "to": 3, "unit": "persons"}]})

    path: str = Field(description="the field's dotted path in the scenario, e.g. params.technicians")
    label: TextOut = Field(description="the parameter's label (its path when it has none)")
    from_: Any = Field(None, alias="from", description="the value in the scenario the run is based on")
    to: Any = Field(None, description="the value the run used; for a sweep, its list of values")
    unit: str | None = None
    sweep: bool = Field(False, description="true when the run sweeps this parameter over the values in `to`")


class RunOut(BaseModel):
    """A run and where it is: queued, running, done, failed or cancelled."""

    id: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    scenario: str
    model: str
    building: str
    source: str
    ref: str | None = None
    seed: int
    replications: int
    points: int
    progress: RunProgress
    from_live: bool
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_s: float | None = None
    error: str | None = None
    issues: list[ScenarioIssue] = Field(default_factory=list)
    created_by: str | None = None
    report_error: str | None = None
    changes: list[RunChange] = Field(default_factory=list, description="what the run changes from the scenario "
                                     "it is based on (the library's); empty when it runs it as written")
    changes_text: TextOut | None = Field(None, description="the changes in one line, e.g. 'technicians 4 → 3'")
    links: RunLinks

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": "20261124T093012-4f2a1c", "status": "running", "scenario": "repair-desk-weekday",
         "model": "repair_desk", "building": "tower", "source": "library", "ref": "repair-desk-weekday",
         "seed": 20261124, "replications": 10, "points": 1, "progress": {"done": 4, "total": 10, "fraction": 0.4},
         "from_live": False, "created_at": "2026-11-24T09:30:12Z", "started_at": "2026-11-24T09:30:13Z",
         "finished_at": None, "duration_s": None, "error": None, "issues": [], "created_by": "planner-1",
         "report_error": None,
         "links": {"self": "/runs/20261124T093012-4f2a1c", "summary": "/runs/20261124T093012-4f2a1c/summary",
                   "records": "/runs/20261124T093012-4f2a1c/records",
                   "report": "/runs/20261124T093012-4f2a1c/report",
                   "cancel": "/runs/20261124T093012-4f2a1c/cancel"}}]})


class RunList(BaseModel):
    runs: list[RunOut]


class KpiStats(BaseModel):
    """One KPI across replications: mean with its 95 % confidence interval, and percentiles."""

    model_config = ConfigDict(extra="allow")

    unit: str
    description: TextOut | str = ""
    better: str | None = None
    mean: float | None = None
    ci95_low: float | None = None
    ci95_high: float | None = None
    half_width: float | None = None
    p50: float | None = None
    p95: float | None = None
    std: float | None = None
    n: int


class SummaryPoint(BaseModel):
    model_config = ConfigDict(extra="allow")

    point: int
    set: dict[str, Any]
    parameters: dict[str, Any]
    kpis: dict[str, KpiStats]


class RunSummary(BaseModel):
    """A finished run's ``summary.json``: every KPI of every sweep point."""

    model_config = ConfigDict(extra="allow")

    scenario: dict[str, Any]
    model: str
    model_title: TextOut | str
    building: dict[str, Any]
    seed: int
    replications: int
    horizon_s: float
    parameters: dict[str, Any]
    sweep: dict[str, list[Any]] | None = None
    points: list[SummaryPoint]
    kpis: dict[str, KpiStats] | None = None


class KpiRow(BaseModel):
    """One KPI of one sweep point, flat: the rows of a sweep's KPI table."""

    point: int
    set: dict[str, Any]
    kpi: str
    unit: str
    better: str | None = None
    mean: float | None = None
    ci95_low: float | None = None
    ci95_high: float | None = None
    p50: float | None = None
    p95: float | None = None
    n: int


class KpiTable(BaseModel):
    run: str
    scenario: str
    model: str
    rows: list[KpiRow]


class RecordTable(BaseModel):
    name: str
    rows: int
    columns: list[str]


class RecordTables(BaseModel):
    run: str
    tables: list[RecordTable]


class RecordsPage(BaseModel):
    """Rows of a run's record table (one row per entity: work order, occupant, rescue…)."""

    run: str
    table: str
    total: int = Field(description="rows matching the filters")
    offset: int
    limit: int
    columns: list[str]
    rows: list[dict[str, Any]]


class ComparedRun(BaseModel):
    ref: str = Field(description="RUN or RUN:POINT as given")
    run: str
    point: int
    scenario: str
    set: dict[str, Any] = Field(default_factory=dict)
    changes: list[RunChange] = Field(default_factory=list, description="what the run changes from its scenario")
    changes_text: TextOut | None = Field(None, description="the changes in one line: the run's label beside "
                                                           "its scenario's name")


class CompareValue(BaseModel):
    ref: str
    mean: float | None
    ci95_low: float | None
    ci95_high: float | None
    delta: float | None = Field(description="mean minus the baseline's mean")
    delta_pct: float | None = Field(description="delta as a percentage of the baseline's mean")
    ci_overlap: bool | None = Field(description="whether this CI overlaps the baseline's (no clear difference)")
    verdict: Literal["baseline", "better", "worse", "different", "no clear difference", "unknown"] = Field(
        description="against the baseline: better/worse when the CIs do not overlap (by the KPI's direction), "
                    "'different' when the KPI has no better direction, 'no clear difference' when they overlap")


class CompareKpi(BaseModel):
    kpi: str
    unit: str
    better: str | None
    values: list[CompareValue]


class CompareOut(BaseModel):
    """KPIs of two or more runs (or sweep points) side by side, against the first as baseline."""

    baseline: str
    runs: list[ComparedRun]
    kpis: list[CompareKpi]

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"baseline": "r1", "runs": [{"ref": "r1", "run": "r1", "point": 0, "scenario": "desk", "set": {}},
                                    {"ref": "r2", "run": "r2", "point": 0, "scenario": "desk", "set": {}}],
         "kpis": [{"kpi": "emergency_wait_min", "unit": "min", "better": "lower", "values": [
             {"ref": "r1", "mean": 9.9, "ci95_low": 6.6, "ci95_high": 13.2, "delta": 0.0, "delta_pct": 0.0,
              "ci_overlap": True, "verdict": "baseline"},
             {"ref": "r2", "mean": 4.1, "ci95_low": 3.0, "ci95_high": 5.2, "delta": -5.8, "delta_pct": -58.6,
              "ci_overlap": False, "verdict": "better"}]}]}]})


class KpiTargetInfo(BaseModel):
    """What a KPI must reach for a pass (a scenario's ``targets:`` may set or override it)."""

    op: Literal["<=", ">="]
    value: float
    rule: Literal["mean", "every"] = Field(description="mean: the mean over replications with its interval; "
                                                       "every: each replication")
    source: TextOut | None = Field(None, description="where the target comes from (a code clause, a promise)")


class KpiInfo(BaseModel):
    """A KPI a model reports: its code name, the words a person reads, its unit and kind."""

    name: str = Field(description="code name, as in summaries and JSON (rset_s)")
    unit: str = Field(description="unit code (s, min, share, persons…)")
    unit_label: TextOut = Field(description="the unit as a person reads it (a share is shown as %)")
    label: TextOut
    description: TextOut
    kind: Literal["duration", "share", "count", "exposure", "money", "margin", "quantity"] = Field(
        description="what it measures, which fixes its bounds and the interval reported")
    better: Literal["lower", "higher"] | None
    target: KpiTargetInfo | None = None


class ChartInfo(BaseModel):
    """A chart a model's report draws."""

    table: str
    kind: str
    title: TextOut
    x_label: TextOut | None = None
    y_label: TextOut | None = None


class ModelInfo(BaseModel):
    """A registered simulation model: what it needs and what it reports, in both languages.

    Every parameter in ``params_schema`` (and in its ``$defs``) carries ``x-label`` and
    ``x-description`` (words by language) and, when it has one, ``x-unit`` (a unit code of ``units``)."""

    name: str
    title: TextOut
    description: TextOut
    kpis: list[KpiInfo]
    charts: list[ChartInfo] = Field(default_factory=list)
    units: dict[str, TextOut] = Field(default_factory=dict,
                                      description="display form of every unit code the model's KPIs and parameters use")
    params_schema: dict[str, Any] = Field(description="JSON Schema of the model's parameters")


class TokenMe(BaseModel):
    """The token a request is signed in with: who it is and what it may do (no secret)."""

    id: str
    name: str
    role: str


# --- tokens -------------------------------------------------------------------------------------

Role = Literal["viewer", "engineer", "supervisor", "safety", "planner", "admin"]


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"role": "planner", "name": "scheduling team"}]})

    role: Role
    name: Annotated[str, Field(max_length=100)] = ""


class TokenOut(BaseModel):
    id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None = None
    created_by: str | None = None


class TokenCreated(TokenOut):
    """A new token: the text is shown this once and never stored."""

    token: str


class TokenList(BaseModel):
    tokens: list[TokenOut]


# --- health -------------------------------------------------------------------------------------

class HealthOut(BaseModel):
    """Is the server fit to answer: broker, stores, how far behind the live state is."""

    status: Literal["ok", "degraded"]
    live: bool = Field(description="whether the live twin is running")
    broker_connected: bool | None = None
    store_writable: bool = Field(description="the API database accepts writes")
    history_writable: bool | None = None
    lag_s: float | None = Field(None, description="age of the newest live message applied, seconds")
    runs_active: int
    version: str

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "ok", "live": True, "broker_connected": True, "store_writable": True, "history_writable": True,
         "lag_s": 0.4, "runs_active": 1, "version": "0.1.0"}]})


# --- triggers -----------------------------------------------------------------------------------

class TriggerRun(BaseModel):
    """A run a trigger started: the alarm it answered, and when."""

    run: str
    alarm: str | None = None
    at_ms: int


class TriggerOut(BaseModel):
    """An alarm → forecast trigger (scenarios/triggers.yaml): the runs it started (kept across
    restarts, newest first) and, since the server started, how often it fired or was skipped."""

    name: str
    description: str
    scenario: str
    rules: list[str] | None = None
    severities: list[str] | None = None
    systems: list[str] | None = None
    set: dict[str, Any] = Field(default_factory=dict)
    replications: int | None = None
    cooldown_s: float
    enabled: bool
    fired: int = 0
    skipped: int = 0
    last_alarm: str | None = None
    last_run: str | None = None
    last_at_ms: int | None = None
    last_outcome: str | None = None
    recent: list[TriggerRun] = Field(default_factory=list)

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"name": "fire-evacuation-forecast", "description": "A fire alarm in a zone → an evacuation forecast",
         "scenario": "live-fire-forecast", "rules": ["event:fire_alarm"], "severities": ["critical"],
         "systems": None, "set": {"params.fire_floor": "{alarm.floor}"}, "replications": 10, "cooldown_s": 600,
         "enabled": True, "fired": 1, "skipped": 0, "last_alarm": "event:fire_alarm:FAP-1:FZ-F12",
         "last_run": "20261124T023001-a1b2c3", "last_at_ms": 1795545001000,
         "last_outcome": "started run 20261124T023001-a1b2c3",
         "recent": [{"run": "20261124T023001-a1b2c3", "alarm": "event:fire_alarm:FAP-1:FZ-F12",
                     "at_ms": 1795545001000}]}]})


class TriggerList(BaseModel):
    live: bool
    """Whether the live twin runs (triggers only fire on a live twin)."""
    triggers: list[TriggerOut]
