"""What a run changes from its library scenario (scenarios/changes.py), as the run list and the report say it."""

from __future__ import annotations

import copy

import yaml

from models import get_model
from scenarios.changes import changes_text, describe_changes, param_schema_info, scenario_changes
from scenarios.spec import LIBRARY_DIR


def _library(name: str) -> dict:
    return yaml.safe_load((LIBRARY_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def test_a_written_out_default_is_no_change_and_a_converted_value_is():
    """issue 11 item 5.1: parameters are compared by their effective values: a form that writes out a
    default the file left implicit changes nothing; `trace: first` posted as `true` shows."""
    base = _library("tower-full-drill")
    params = get_model("evacuation").params
    doc = copy.deepcopy(base)
    defaults = params().model_dump(mode="json")
    doc["params"] = {**defaults, **doc["params"]}  # everything the form shows, written out
    assert scenario_changes(base, doc, params) == []
    doc["params"]["trace"] = True
    (change,) = scenario_changes(base, doc, params)
    assert (change["path"], change["from"], change["to"]) == ("params.trace", "first", True)


def test_nested_parameters_have_their_own_label_and_unit():
    """issue 11 item 5.1: the label of a nested parameter comes from its model's JSON Schema (x-label),
    following $ref; a path the schema does not know is labelled by its path."""
    schema = get_model("repair_desk").params.model_json_schema()
    label, unit = param_schema_info(schema, "technicians")
    assert label and label["en"] and label["zh-CN"] and unit == "persons"
    assert param_schema_info(schema, "no_such_param") == (None, None)
    evac = get_model("evacuation").params.model_json_schema()
    if "x-label" in str(evac):  # once the evacuation parameters carry labels (H2)
        assert param_schema_info(evac, "lifts.enabled")[0] is not None


def test_one_line_in_both_languages():
    """issue 11 item 5.1: "technicians 4 → 3" — the label in the reader's language, the unit once,
    a sweep's values listed; nothing changed is an empty line."""
    changes = [{"path": "params.technicians", "label": {"en": "Technicians", "zh-CN": "维修人员"}, "from": 4, "to": 3,
                "unit": None, "sweep": False},
               {"path": "params.alarm_delay_s", "label": {"en": "Alarm delay", "zh-CN": "报警延迟"}, "from": 0,
                "to": [60, 120], "unit": "s", "sweep": True}]
    assert describe_changes(changes, "en") == "technicians 4 → 3; alarm delay 0 → 60, 120 s (sweep)"
    assert describe_changes(changes, "zh-CN") == "维修人员 4 → 3；报警延迟 0 → 60, 120 秒 (扫描)"
    assert changes_text([]) is None and describe_changes([], "en") == ""
