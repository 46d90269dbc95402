"""Every word a person reads is there in English and in Simplified Chinese (issue 11 item 4.2).

Safety officers and supervisors write their plans in Chinese; consultants read English. A model,
a KPI, a parameter, a chart, a unit, a library scenario or a console string that lacks either
language fails here, naming each missing label by its path, so that a new model cannot ship
half-translated:

* registered models: ``title``, ``description``;
* their KPIs: ``label``, ``description``, a unit with a display form, a target's ``source``;
* their parameters: ``x-label`` and ``x-description`` (``models.harness.param_label``) on every
  property of the parameters' JSON Schema, including nested models in ``$defs`` — except a
  property that is only a discriminator tag (``const``: the ``type``/``kind`` naming which variant
  of a union an entry is; nobody sets it in a form) — and an ``x-unit`` that :data:`UNITS` knows;
* their charts: ``title``, and ``x_label``/``y_label`` where set;
* :data:`models.units.UNITS`: every display form;
* ``scenarios/library/*.yaml``: ``title`` and ``description``, each ``{en: …, zh-CN: …}``;
* the console's catalogues (:mod:`viewer.i18n`): the same keys in both, none empty, the same
  placeholders; a name for every token role;
* the words for each kind of space (:data:`twin.spec.SPACE_KIND_WORDS`, declared beside
  ``SpaceKind``; the 3D picture's room labels), and the console's catalogues carrying them;
* the words for each system (:data:`twin.spec.SYSTEM_WORDS`) and for each kind of equipment the
  shipped buildings use (:data:`twin.spec.EQUIPMENT_KIND_WORDS`), and the console's catalogues
  carrying them.

Labels follow ``docs/glossary.md``; a last test checks that the glossary's core terms are the
ones the labels use.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from models import available_models as _all_models, get_model
from models.units import UNITS
from twin.loader import read_yaml
from twin.text import LANGUAGES, missing_languages

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "scenarios" / "library"
GLOSSARY = ROOT / "docs" / "glossary.md"


def available_models() -> list[str]:
    """The models the product ships (registered by the ``models`` package), not the small models
    other tests register for themselves while the suite runs."""
    return [name for name in _all_models() if get_model(name).run.__module__.split(".")[0] == "models"]


def _lacks(path: str, words: Any) -> list[str]:
    """``path: lacks en, zh-CN`` for each language ``words`` lacks (nothing when complete)."""
    gone = missing_languages(words)
    if not gone:
        return []
    if words is None:
        shown = "it is not there"
    elif not isinstance(words, Mapping):
        shown = f"a plain {type(words).__name__} {words!r}: write {{en: …, zh-CN: …}}"
    else:
        shown = "has " + (", ".join(k for k in words if str(words.get(k) or "").strip()) or "nothing")
    return [f"{path}: lacks {', '.join(gone)} ({shown})"]


def _report(missing: list[str], what: str) -> None:
    assert not missing, f"{len(missing)} problems with {what} (each lacks a language or a unit display form):\n  " + "\n  ".join(missing)


# --- models, KPIs, charts ---------------------------------------------------------------------

def test_every_model_title_and_description_in_both_languages():
    """issue 11 item 4.2: each registered model's title and description, en and zh-CN."""
    missing: list[str] = []
    for name in available_models():
        spec = get_model(name)
        missing += _lacks(f"model {name}: title", spec.title)
        missing += _lacks(f"model {name}: description", spec.description)
    _report(missing, "model labels")


def test_every_kpi_label_description_and_unit_in_both_languages():
    """issue 11 item 4.1/4.2: each KPI's label and one-line description in both languages, its unit a
    code with a display form in models.units.UNITS, and its target's source (when it has one)."""
    missing: list[str] = []
    for name in available_models():
        for k in get_model(name).kpis:
            where = f"model {name}: kpi {k.name}"
            missing += _lacks(f"{where}: label", k.label)
            missing += _lacks(f"{where}: description", k.description)
            if k.unit not in UNITS:
                missing.append(f"{where}: unit {k.unit!r} has no display form in models/units.py UNITS")
            if k.target is not None and k.target.source is not None:
                missing += _lacks(f"{where}: target.source", k.target.source)
    _report(missing, "KPI labels")


def test_every_chart_label_in_both_languages():
    """issue 11 item 4.2: chart titles and axis labels (where a chart sets them), en and zh-CN."""
    missing: list[str] = []
    for name in available_models():
        for i, chart in enumerate(get_model(name).charts):
            where = f"model {name}: chart {i} ({chart.table})"
            missing += _lacks(f"{where}: title", chart.title)
            for axis in ("x_label", "y_label"):
                value = getattr(chart, axis)
                if value is not None:
                    missing += _lacks(f"{where}: {axis}", value)
            # A bar chart's caption names its columns ("mean wait per priority"): by these words.
            if chart.kind == "bar" and chart.x_label is None:
                missing.append(f"{where}: a bar chart names its x column {chart.x!r} by x_label")
            if chart.kind == "bar" and chart.y and chart.y_label is None:
                missing.append(f"{where}: a bar chart names its y column {chart.y!r} by y_label")
    _report(missing, "chart labels")


def test_every_unit_has_a_display_form_in_both_languages():
    """issue 11 item 4.1: every unit code's display form (models/units.py UNITS), en and zh-CN."""
    missing: list[str] = []
    for code, words in UNITS.items():
        missing += _lacks(f"models/units.py UNITS[{code!r}]", words)
    _report(missing, "units")


# --- parameters -------------------------------------------------------------------------------

def _object_schemas(schema: Any, path: str) -> Iterator[tuple[str, dict]]:
    """Every object schema with ``properties`` inside ``schema``, with its path (depth first)."""
    if isinstance(schema, dict):
        if isinstance(schema.get("properties"), dict):
            yield path, schema
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                for prop, sub in value.items():
                    yield from _object_schemas(sub, f"{path}.{prop}")
            elif key == "$defs" and isinstance(value, dict):
                for name, sub in value.items():
                    yield from _object_schemas(sub, f"$defs.{name}")
            elif isinstance(value, (dict, list)):
                yield from _object_schemas(value, path)
    elif isinstance(schema, list):
        for value in schema:
            yield from _object_schemas(value, path)


def _is_tag(prop: dict) -> bool:
    """A discriminator tag (``type: const "blocked"``): names the variant; nobody sets it in a form."""
    return "const" in prop


def parameter_label_problems(name: str, schema: dict) -> list[str]:
    """Each property of a model's parameter schema (root and ``$defs``) lacking a label, a
    description or a known unit, by path (``model evacuation: params.alarm_delay_s: x-label: …``)."""
    missing: list[str] = []
    seen: set[str] = set()
    for path, obj in _object_schemas(schema, "params"):
        for prop, sub in obj["properties"].items():
            where = f"model {name}: {path}.{prop}"
            if where in seen or not isinstance(sub, dict) or _is_tag(sub):
                continue
            seen.add(where)
            missing += _lacks(f"{where}: x-label", sub.get("x-label"))
            missing += _lacks(f"{where}: x-description", sub.get("x-description"))
            unit = sub.get("x-unit")
            if unit is not None and unit not in UNITS:
                missing.append(f"{where}: x-unit {unit!r} has no display form in models/units.py UNITS")
    return missing


def test_every_parameter_label_in_both_languages():
    """issue 11 item 4.1/4.2: every parameter of every model (nested parameter models in $defs too)
    carries x-label and x-description in en and zh-CN (models.harness.param_label)."""
    missing: list[str] = []
    for name in available_models():
        missing += parameter_label_problems(name, get_model(name).params.model_json_schema())
    _report(missing, "parameter labels or units")


def test_the_parameter_walk_finds_nested_and_unlabelled_fields():
    """issue 11 item 4.2: the walk itself — a nested model's field without a label is named by its
    $defs path, a labelled one passes, a discriminator tag is not a parameter."""
    from typing import Literal

    from pydantic import BaseModel, Field

    from models.harness import param_label

    class Inner(BaseModel):
        kind: Literal["inner"] = "inner"
        width_m: float = Field(1.0, json_schema_extra=param_label("Width", "宽度", "Clear width", "净宽", "m"))
        depth_m: float = 2.0

    class Outer(BaseModel):
        inner: Inner = Inner()
        count: int = Field(1, json_schema_extra={"x-label": {"en": "Count"}, "x-description": {"en": "c", "zh-CN": "数"}})

    problems = parameter_label_problems("toy", Outer.model_json_schema())
    assert any(p.startswith("model toy: $defs.Inner.depth_m: x-label: lacks en, zh-CN") for p in problems), problems
    assert any(p.startswith("model toy: params.count: x-label: lacks zh-CN") for p in problems), problems
    assert not any("width_m" in p or ".kind" in p for p in problems), problems
    assert any(p.startswith("model toy: params.inner: x-label") for p in problems), problems


# --- scenarios and the console -----------------------------------------------------------------

def _library_files() -> list[Path]:
    return sorted(LIBRARY.glob("*.yaml"))


@pytest.mark.parametrize("path", _library_files(), ids=lambda p: p.name)
def test_library_scenario_title_and_description_in_both_languages(path: Path):
    """issue 11 item 4.1: a library scenario's title and description, each {en: …, zh-CN: …}."""
    data = read_yaml(path)
    missing: list[str] = []
    for key in ("title", "description"):
        missing += _lacks(f"scenarios/library/{path.name}: {key}", data.get(key))
    _report(missing, "scenario labels")


def test_console_catalogues_have_the_same_keys_and_no_empty_label():
    """issue 11 item 4.2: viewer/i18n.py — every console string in every language, none empty."""
    from viewer.i18n import MESSAGES

    missing: list[str] = []
    keys = set().union(*(set(m) for m in MESSAGES.values()))
    assert set(MESSAGES) == set(LANGUAGES), f"catalogues {sorted(MESSAGES)} != languages {sorted(LANGUAGES)}"
    for key in sorted(keys):
        for lang, catalogue in MESSAGES.items():
            if not str(catalogue.get(key) or "").strip():
                missing.append(f"viewer/i18n.py {lang}[{key!r}]: missing or empty")
        # Placeholders must agree, or one language shows "{n}" literally.
        holes = {lang: set(re.findall(r"\{(\w+)\}", MESSAGES[lang].get(key) or "")) for lang in MESSAGES}
        if len({frozenset(h) for h in holes.values()}) > 1:
            missing.append(f"viewer/i18n.py [{key!r}]: placeholders differ {holes}")
    _report(missing, "console strings")


def test_3d_words_and_roles_in_both_languages():
    """issue 11 items 4.1 and 6.5: the words the 3D picture draws for each kind of space, and the
    console's name for every token role, in both languages."""
    from typing import get_args

    from api.schemas import Role
    from twin.spec import SpaceKind
    from viewer.i18n import MESSAGES
    from twin.spec import SPACE_KIND_WORDS

    missing: list[str] = []
    for kind in get_args(SpaceKind):
        missing += _lacks(f"twin/spec.py SPACE_KIND_WORDS[{kind!r}]", SPACE_KIND_WORDS.get(kind))
    for role in get_args(Role):
        missing += _lacks(f"viewer/i18n.py role.{role}", {lang: m.get(f"role.{role}", "") for lang, m in MESSAGES.items()})
    _report(missing, "3D words and role names")


def _has_cjk(words: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in words)


def system_word_problems(words_of: Mapping[str, Any], catalogues: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Each :data:`twin.spec.System` value lacking words in a language, Chinese words in zh-CN, or its
    ``system.{code}`` label in a console catalogue (what the console's menus and tables read)."""
    from typing import get_args

    from twin.spec import System

    missing: list[str] = []
    for system in get_args(System):
        missing += _declared_word_problems(f"twin/spec.py SYSTEM_WORDS[{system!r}]", words_of.get(system),
                                           f"system.{system}", catalogues)
    return missing


def _declared_word_problems(where: str, words: Any, key: str, catalogues: Mapping[str, Mapping[str, str]]) -> list[str]:
    """What declared words lack (a language; Chinese in zh-CN), and what the console's catalogues lack of
    them under ``key``."""
    missing = _lacks(where, words)
    if isinstance(words, Mapping) and words.get("zh-CN") and not _has_cjk(words["zh-CN"]):
        missing.append(f"{where}: zh-CN {words['zh-CN']!r} is not Chinese")
    return missing + _lacks(f"viewer/i18n.py {key}", {lang: m.get(key, "") for lang, m in catalogues.items()})


def test_every_system_has_words_in_both_languages():
    """H-WORDS: every value of twin.spec.System (elevator, pump … security) has its words in en and in
    Chinese in zh-CN, declared once in twin/spec.py SYSTEM_WORDS, and the console's catalogues carry
    them as ``system.{code}``."""
    from twin.spec import SYSTEM_WORDS
    from viewer.i18n import MESSAGES

    _report(system_word_problems(SYSTEM_WORDS, MESSAGES), "system words")


def test_the_system_check_names_a_system_without_words():
    """H-WORDS: the check above fails, naming the system and the language, when a system lacks words."""
    from twin.spec import SYSTEM_WORDS
    from viewer.i18n import MESSAGES

    words = {k: v for k, v in SYSTEM_WORDS.items() if k != "security"} | {"hvac": {"en": "HVAC"}}
    catalogues = {lang: {k: v for k, v in m.items() if k != "system.security"} for lang, m in MESSAGES.items()}
    problems = system_word_problems(words, catalogues)
    assert any(p.startswith("twin/spec.py SYSTEM_WORDS['security']: lacks en, zh-CN") for p in problems), problems
    assert any(p.startswith("twin/spec.py SYSTEM_WORDS['hvac']: lacks zh-CN") for p in problems), problems
    assert any(p.startswith("viewer/i18n.py system.security: lacks en, zh-CN") for p in problems), problems


def space_kind_word_problems(words_of: Mapping[str, Any], catalogues: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Each :data:`twin.spec.SpaceKind` lacking words in a language, Chinese words in zh-CN, or its
    ``space_kind.{code}`` label in a console catalogue (what the 3D card and the pickers read)."""
    from typing import get_args

    from twin.spec import SpaceKind

    missing: list[str] = []
    for kind in get_args(SpaceKind):
        missing += _declared_word_problems(f"twin/spec.py SPACE_KIND_WORDS[{kind!r}]", words_of.get(kind),
                                           f"space_kind.{kind}", catalogues)
    return missing


def test_every_space_kind_has_words_in_both_languages_declared_once():
    """H-WORDS2: every value of twin.spec.SpaceKind (apartment … room) has its words in en and in
    Chinese in zh-CN, declared once beside SpaceKind in twin/spec.py SPACE_KIND_WORDS (viewer.scene
    re-exports that same table, not a copy), and the console's catalogues carry them as
    ``space_kind.{code}`` (the 3D space card reads them)."""
    import viewer.scene
    from twin.spec import SPACE_KIND_WORDS
    from viewer.i18n import MESSAGES

    assert viewer.scene.SPACE_KIND_WORDS is SPACE_KIND_WORDS, "viewer/scene.py declares its own SPACE_KIND_WORDS"
    _report(space_kind_word_problems(SPACE_KIND_WORDS, MESSAGES), "space kind words")
    assert MESSAGES["zh-CN"]["space_kind.plant_room"] == "设备间" and MESSAGES["en"]["space_kind.plant_room"] == "Plant room"


def test_the_space_kind_check_names_a_kind_without_words():
    """H-WORDS2: the check above fails, naming the kind and what it lacks, when a kind has no words,
    English words in zh-CN, or no catalogue key."""
    from twin.spec import SPACE_KIND_WORDS
    from viewer.i18n import MESSAGES

    words = {k: v for k, v in SPACE_KIND_WORDS.items() if k != "toilet"} | {"atrium": {"en": "Atrium", "zh-CN": "Atrium"}}
    catalogues = {lang: {k: v for k, v in m.items() if k != "space_kind.storage"} for lang, m in MESSAGES.items()}
    problems = space_kind_word_problems(words, catalogues)
    assert any(p.startswith("twin/spec.py SPACE_KIND_WORDS['toilet']: lacks en, zh-CN") for p in problems), problems
    assert any(p.startswith("twin/spec.py SPACE_KIND_WORDS['atrium']: zh-CN 'Atrium' is not Chinese")
               for p in problems), problems
    assert any(p.startswith("viewer/i18n.py space_kind.storage: lacks en, zh-CN") for p in problems), problems


def _sample_equipment_kinds() -> dict[str, str]:
    """Every equipment kind the shipped sample buildings use, with the first sample using it."""
    kinds: dict[str, str] = {}
    for path in sorted((ROOT / "twin" / "samples").glob("*.yaml")):
        doc = read_yaml(path)
        for e in doc.get("equipment") or []:
            kinds.setdefault(e["kind"], path.name)
        if doc.get("elevators"):
            kinds.setdefault("lift_car", path.name)
    return kinds


def test_every_equipment_kind_of_the_samples_has_words_in_both_languages():
    """H-WORDS: each kind of equipment the shipped buildings use (and lift_car, elevator_car: a lift car
    as the operations model and the live twin name it) has declared words in twin/spec.py
    EQUIPMENT_KIND_WORDS — English, and Chinese in zh-CN — not the fallback that reads its code name,
    and the console's catalogues carry them as ``equipment_kind.{code}``."""
    from twin.live.devices import CAR_KIND
    from twin.spec import EQUIPMENT_KIND_WORDS
    from viewer.i18n import MESSAGES

    kinds = _sample_equipment_kinds()
    assert len(kinds) >= 30, f"the samples use {len(kinds)} kinds of equipment; expected the generator's vocabulary"
    kinds.setdefault(CAR_KIND, "twin/live/devices.py CAR_KIND")
    missing: list[str] = []
    for kind, where in sorted(kinds.items()):
        missing += _declared_word_problems(f"twin/spec.py EQUIPMENT_KIND_WORDS[{kind!r}] (used by {where})",
                                           EQUIPMENT_KIND_WORDS.get(kind), f"equipment_kind.{kind}", MESSAGES)
    _report(missing, "equipment kind words")


# --- the glossary ----------------------------------------------------------------------------

def _glossary() -> list[tuple[str, str]]:
    """(English, 中文) pairs of the glossary's core-term table (rows marked with ★)."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("★"):
            rows.append((cells[0].lstrip("★ ").strip(), cells[1]))
    return rows


def test_kpi_labels_use_the_glossary_terms():
    """issue 11 item 4.3: a KPI whose English label uses a core glossary term (★ rows of
    docs/glossary.md: RSET, ASET, emergency repair…) uses the glossary's Chinese term too."""
    terms = _glossary()
    assert len(terms) >= 8, f"docs/glossary.md has {len(terms)} core terms (★ rows); expected the table"
    problems: list[str] = []
    for name in available_models():
        for k in get_model(name).kpis:
            for en, zh in terms:
                # An abbreviation kept as it is in the Chinese label (RSET) is the practice too.
                kept = en.isupper() and en in k.label["zh-CN"]
                if re.search(rf"\b{re.escape(en)}\b", k.label["en"], re.IGNORECASE) and zh not in k.label["zh-CN"] \
                        and not kept:
                    problems.append(f"model {name}: kpi {k.name}: label {k.label['en']!r} uses {en!r} "
                                    f"but the Chinese label {k.label['zh-CN']!r} lacks {zh!r}")
    assert not problems, "\n  ".join(problems)


# --- live telemetry: points, their values, device events ------------------------------------

def _simulated_telemetry() -> tuple[dict[str, set[str]], dict[str, str]]:
    """Every point the device simulator reports for the shipped buildings (name → its text and yes/no
    values), and every event type it raises (type → the first device), found by running it: at noon
    and at night, then with each kind of fault on every device it applies to."""
    import json
    from datetime import datetime, timezone

    from twin.live.devices import device_catalogue
    from twin.live.simulator import FAULT_KINDS, DeviceSimulator, Fault, _fault_applies
    from twin.loader import load_building

    points: dict[str, set[str]] = {}
    events: dict[str, str] = {}
    for path in sorted((ROOT / "twin" / "samples").glob("*.yaml")):
        building = load_building(path)
        devices = device_catalogue(building)
        for hour in (4, 12):
            start = int(datetime(2026, 7, 1, hour, tzinfo=timezone.utc).timestamp() * 1000)
            for kind in (None, *FAULT_KINDS):
                faults = [] if kind is None else [
                    Fault(d, kind, info.zones[0] if kind == "fire_alarm" else None, 2.0, None)
                    for d, info in devices.items() if _fault_applies(kind, info) is None]
                clock = [start]
                sim = DeviceSimulator(building, faults=faults, clock=lambda: clock[0], rate_hz=1)
                out = sim.start()
                for _ in range(15):
                    clock[0] += 1000
                    out += sim.advance(1.0)
                for o in out:
                    channel = o.topic.rsplit("/", 1)[-1]
                    if channel == "state":
                        for name, value in json.loads(o.payload)["values"].items():
                            seen = points.setdefault(name, set())
                            if isinstance(value, bool):
                                seen.add("true" if value else "false")
                            elif isinstance(value, str) and not (name == "floor" and value in building.floor_by_id):
                                seen.add(value)
                    elif channel == "event":
                        events.setdefault(json.loads(o.payload)["type"], o.topic)
    return points, events


def test_every_point_value_and_event_the_devices_send_has_words_in_both_languages():
    """H-WORDS3: a person reads a device's points and alarms in their language. Each point the device
    simulator sends for the shipped buildings (with every kind of fault, by day and by night) has its
    words in twin/live/words.py POINT_WORDS — English, Chinese in zh-CN — and the console's catalogues
    carry them as ``point.{name}``; a fire panel's ``zone_{id}`` reads as its zone; each text or yes/no
    value has words (``value.*``); each event type has its alarm's words (EVENT_WORDS) in both."""
    from twin.live import words
    from viewer.i18n import MESSAGES

    points, events = _simulated_telemetry()
    assert {"run_state", "outlet_pressure_kpa", "breaker", "door", "panel"} <= set(points), sorted(points)
    assert {"tripped", "running"} <= points["run_state"] and "alarm" in points["panel"], points  # faults ran
    assert {"entrapment", "pump_trip", "fire_alarm", "power_loss"} <= set(events), events
    missing: list[str] = []
    for name, values in sorted(points.items()):
        if name.startswith("zone_"):
            assert words.point_words(name) == {"en": f"Zone {name[5:]}", "zh-CN": f"{name[5:]} 分区"}
        else:
            missing += _declared_word_problems(f"twin/live/words.py POINT_WORDS[{name!r}]", words.POINT_WORDS.get(name),
                                               f"point.{name}", MESSAGES)
        for value in sorted(values):
            declared = words.value_words(name, value)
            key = f"value.{name}.{value}" if value in words.POINT_VALUE_WORDS.get(name, {}) else f"value.{value}"
            missing += _declared_word_problems(f"twin/live/words.py value words of {name}={value!r}", declared,
                                               key, MESSAGES)
    from models.live import LIFT_OUT_OF_SERVICE_MODES  # the lift modes a forecast names as a reason

    for mode in sorted(LIFT_OUT_OF_SERVICE_MODES | {"fire_recall"}):
        missing += _declared_word_problems(f"twin/live/words.py value words of mode={mode!r}",
                                           words.value_words("mode", mode), f"value.{mode}", MESSAGES)
    for event, topic in sorted(events.items()):
        declared = words.EVENT_WORDS.get(event)
        missing += _lacks(f"twin/live/words.py EVENT_WORDS[{event!r}] (sent on {topic})", declared)
        if declared and not _has_cjk(declared["zh-CN"]):
            missing.append(f"twin/live/words.py EVENT_WORDS[{event!r}]: zh-CN {declared['zh-CN']!r} is not Chinese")
    _report(missing, "live telemetry words")


def test_a_point_nobody_declared_reads_as_words_with_its_unit():
    """A site's mapping may name any point: one without declared words reads as its code name in words,
    its unit from the name's last part, in both languages; the console reads the same labels."""
    from twin.live.words import point_label, value_words
    from viewer.i18n import MESSAGES

    assert point_label("chiller_lift_kpa") == {"en": "Chiller lift (kPa)", "zh-CN": "Chiller lift (kPa)"}
    assert point_label("outlet_pressure_kpa") == {"en": "Outlet pressure (kPa)", "zh-CN": "出口压力 (kPa)"}
    assert point_label("co2_ppm")["en"] == "Co2 (ppm)" and point_label("power_factor")["en"] == "Power factor"
    assert value_words("breaker", "closed")["zh-CN"] == "合闸" and value_words("inlet_valve", "closed")["zh-CN"] == "关闭"
    assert value_words("run_state", "warming_up") is None and value_words("speed_pct", 50.0) is None
    assert MESSAGES["zh-CN"]["unit_symbol.kpa"] == "kPa" and MESSAGES["zh-CN"]["point.zone"] == "{zone} 分区"


def test_a_bar_chart_caption_names_its_columns_in_words():
    """The caption under a bar chart says what is averaged per what in the reader's words, not the
    records' column names ("各次重复按 priority 统计的 均值 wait_min" before)."""
    import pandas as pd

    from viewer.charts import draw_chart

    chart = next(c for c in get_model("repair_desk").charts if c.kind == "bar")
    frame = pd.DataFrame({"replication": [0, 0, 1, 1], "priority": ["emergency", "ordinary"] * 2,
                          "wait_min": [10.0, 40.0, 12.0, 44.0]})
    zh = draw_chart(chart, frame, id_prefix="c", replications=2, lang="zh-CN").caption
    en = draw_chart(chart, frame, id_prefix="c", replications=2, lang="en").caption
    assert zh.startswith("各次重复按 优先级 统计的 等待时间（分钟）均值 的平均值"), zh
    assert en.startswith("Mean over replications of the mean wait (min) per priority"), en


def _enum_values(node: Any, where: str, out: dict[str, str]) -> dict[str, str]:
    """Every string a parameter may take from a fixed list (``enum`` in the JSON Schema), with where."""
    if isinstance(node, Mapping):
        for value in node.get("enum") or []:
            if isinstance(value, str):
                out.setdefault(value, where)
        for key, child in node.items():
            _enum_values(child, f"{where}/{key}" if key not in ("$defs", "properties", "anyOf", "items") else where,
                         out)
    elif isinstance(node, list):
        for child in node:
            _enum_values(child, where, out)
    return out


def test_every_choice_of_a_parameter_has_words_in_both_languages():
    """The scenario form offers a parameter's fixed choices (collective / destination control, the
    calendar or the age of a part…) in the reader's words: each has ``form.value.{choice}`` in en and,
    in Chinese, in zh-CN — not its code name (46 of them had none)."""
    from viewer.i18n import MESSAGES

    missing: list[str] = []
    for name in available_models():
        for value, where in sorted(_enum_values(get_model(name).params.model_json_schema(), name, {}).items()):
            zh = MESSAGES["zh-CN"].get(f"form.value.{value}", "")
            missing += _lacks(f"viewer/i18n.py form.value.{value} ({where})",
                              {lang: m.get(f"form.value.{value}", "") for lang, m in MESSAGES.items()})
            if zh and not _has_cjk(zh):
                missing.append(f"viewer/i18n.py form.value.{value}: zh-CN {zh!r} is not Chinese")
    _report(missing, "parameter choices")
