"""Triggers: forecasts the live twin starts by itself when an alarm is raised.

A fire alarm on floor 12 should not wait for someone to open the console: the twin starts an
evacuation forecast from the building as it is now — lifts out of service, the fire floor, the
time of night — and the safety officer finds its result beside the alarm. The same mechanism
serves any model: a trigger names the alarms it answers and the library scenario it runs.

A triggers file (YAML; the shipped one is ``scenarios/triggers.yaml``)::

    triggers:
      - name: fire-evacuation-forecast          # id-like, unique
        description: A fire alarm in a zone → an evacuation forecast from now
        when:                                   # which alarm transitions start it (all optional)
          rules: ["event:fire_alarm"]           # rule ids or patterns (event:TYPE for device events)
          severities: [critical]                # critical, major, minor, warning
          systems: [fire]                       # the alarm's device system
        scenario: live-fire-forecast            # a library scenario (its building becomes the live one)
        set:                                    # dotted-path overrides; {alarm.FIELD} is the alarm's value
          params.fire_floor: "{alarm.floor}"
        replications: 10                        # optional: replaces the scenario's
        cooldown_s: 600                         # the same forecast is not started again within this time
        enabled: true

``{alarm.FIELD}`` takes ``id``, ``rule``, ``device``, ``severity``, ``zone``, ``floor``, ``system``
or ``value`` from the alarm; a value that is the template alone keeps its type. When the alarm
has no such value (a fire zone not mapped to a floor) the trigger does not start, and says why.
The cooldown is per trigger *and* resolved overrides: a second fire floor starts its own
forecast, a repeated alarm on the same floor does not.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from twin.errors import SpecError, issues_from_validation_error
from twin.loader import read_yaml
from twin.spec import Id

__all__ = ["Trigger", "TriggerWhen", "TriggerFile", "TriggerSkipped", "DEFAULT_TRIGGERS", "load_triggers",
           "parse_triggers", "resolve_overrides", "ALARM_FIELDS"]

DEFAULT_TRIGGERS = Path(__file__).parent / "triggers.yaml"
ALARM_FIELDS = ("id", "rule", "device", "severity", "zone", "floor", "system", "value")
_TEMPLATE = re.compile(r"\{alarm\.([A-Za-z_]+)\}")
_Severity = Literal["critical", "major", "minor", "warning"]


class TriggerSkipped(RuntimeError):
    """A trigger matched an alarm but cannot start from it (the reason is the message)."""


class TriggerWhen(BaseModel):
    """Which alarm transitions start a trigger; an empty list or a missing field matches all."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: tuple[str, ...] | None = None
    severities: tuple[_Severity, ...] | None = None
    systems: tuple[str, ...] | None = None
    transitions: tuple[Literal["raised", "cleared", "acknowledged"], ...] = ("raised",)


class Trigger(BaseModel):
    """One alarm → forecast rule (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Id
    description: str = ""
    when: TriggerWhen = Field(default_factory=TriggerWhen)
    scenario: Id
    set: dict[str, Any] = Field(default_factory=dict)
    replications: Annotated[int, Field(ge=1, le=10_000)] | None = None
    cooldown_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 600.0
    enabled: bool = True

    @field_validator("set")
    @classmethod
    def _templates_name_alarm_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        for path, v in value.items():
            if path == "building" or path.startswith("building."):
                raise ValueError(f"{path!r}: a trigger always runs on the live twin's building")
            for field in _TEMPLATE.findall(v) if isinstance(v, str) else ():
                if field not in ALARM_FIELDS:
                    raise ValueError(f"{path!r}: unknown alarm field {field!r} in {v!r} "
                                     f"(known: {', '.join(ALARM_FIELDS)})")
        return value


class TriggerFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    triggers: list[Trigger] = Field(default_factory=list)

    @field_validator("triggers")
    @classmethod
    def _unique(cls, value: list[Trigger]) -> list[Trigger]:
        seen: set[str] = set()
        for t in value:
            if t.name in seen:
                raise ValueError(f"trigger name {t.name!r} is used twice")
            seen.add(t.name)
        return value


def parse_triggers(data: Any, file: str, known_scenarios: set[str] | None = None) -> list[Trigger]:
    """Check a triggers document; raise :class:`SpecError` naming every problem.

    ``known_scenarios``, when given, are the scenario names a trigger may run.
    """
    if data is None:
        return []
    try:
        parsed = TriggerFile.model_validate(data)
    except ValidationError as exc:
        raise SpecError(issues_from_validation_error(exc, file, data)) from None
    if known_scenarios is not None:
        for i, t in enumerate(parsed.triggers):
            if t.scenario not in known_scenarios:
                raise SpecError.single(file, f"triggers[{i}].scenario",
                                       f"no scenario named {t.scenario!r} (known: {', '.join(sorted(known_scenarios))})")
    return list(parsed.triggers)


def load_triggers(path: str | Path | None = None, known_scenarios: set[str] | None = None) -> list[Trigger]:
    """Read a triggers file (the shipped one when ``path`` is None)."""
    p = Path(path) if path is not None else DEFAULT_TRIGGERS
    return parse_triggers(read_yaml(p), p.name, known_scenarios)


def _alarm_value(alarm: Any, field: str) -> Any:
    return alarm.get(field) if isinstance(alarm, dict) else getattr(alarm, field, None)


def resolve_overrides(trigger: Trigger, alarm: Any) -> dict[str, Any]:
    """The trigger's ``set`` with ``{alarm.FIELD}`` replaced by the alarm's values.

    Raises :class:`TriggerSkipped` when the alarm lacks a value a template needs.
    """
    out: dict[str, Any] = {}
    for path, value in trigger.set.items():
        if not isinstance(value, str) or not _TEMPLATE.search(value):
            out[path] = value
            continue
        fields = _TEMPLATE.findall(value)
        values = {f: _alarm_value(alarm, f) for f in fields}
        missing = [f for f, v in values.items() if v is None]
        if missing:
            raise TriggerSkipped(f"alarm {_alarm_value(alarm, 'id')!r} has no {missing[0]} for {path}")
        whole = _TEMPLATE.fullmatch(value)
        out[path] = values[whole.group(1)] if whole else _TEMPLATE.sub(lambda m: str(values[m.group(1)]), value)
    return out
