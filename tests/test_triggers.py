"""Trigger files: which alarms start which forecasts; bad files are refused naming file, field and value."""

from __future__ import annotations

import pytest

from scenarios.spec import library_scenarios
from scenarios.triggers import (DEFAULT_TRIGGERS, TriggerSkipped, load_triggers, parse_triggers,
                                resolve_overrides)
from tests.conftest import run_twin
from twin.errors import SpecError
from twin.live.alarms import Alarm

KNOWN = {p.stem for p in library_scenarios()}


def _alarm(**kw) -> Alarm:
    base = dict(id="event:fire_alarm:FAP-1:FZ-F12", rule="event:fire_alarm", source="event", device="FAP-1",
                severity="critical", message="fire alarm", active=True, raised_ms=1, zone="FZ-F12", floor="F12",
                system="fire")
    return Alarm(**{**base, **kw})


def test_the_shipped_triggers_name_library_scenarios() -> None:
    triggers = load_triggers(known_scenarios=KNOWN)
    assert DEFAULT_TRIGGERS.is_file()
    fire = {t.name: t for t in triggers}["fire-evacuation-forecast"]
    assert fire.when.rules == ("event:fire_alarm",) and fire.scenario in KNOWN
    assert resolve_overrides(fire, _alarm()) == {"params.fire_floor": "F12"}


def test_templates_take_the_alarms_values_and_skip_when_one_is_missing() -> None:
    (t,) = parse_triggers({"triggers": [{"name": "t", "scenario": "live-fire-forecast",
                                         "set": {"params.fire_floor": "{alarm.floor}", "description":
                                                 "forecast for {alarm.device} zone {alarm.zone}",
                                                 "replications": 3}}]}, "t.yaml", KNOWN)
    assert resolve_overrides(t, _alarm()) == {"params.fire_floor": "F12", "description":
                                              "forecast for FAP-1 zone FZ-F12", "replications": 3}
    with pytest.raises(TriggerSkipped, match="has no floor for params.fire_floor"):
        resolve_overrides(t, _alarm(floor=None))


@pytest.mark.parametrize("doc, where, what", [
    ({"triggers": [{"name": "a", "scenario": "no-such"}]}, "triggers[0].scenario", "no scenario named 'no-such'"),
    ({"triggers": [{"name": "a", "scenario": "live-fire-forecast", "set": {"params.x": "{alarm.colour}"}}]},
     "triggers[0].set", "unknown alarm field 'colour'"),
    ({"triggers": [{"name": "a", "scenario": "live-fire-forecast", "set": {"building": "podium"}}]},
     "triggers[0].set", "always runs on the live twin's building"),
    ({"triggers": [{"name": "a", "scenario": "live-fire-forecast"}, {"name": "a", "scenario": "live-fire-forecast"}]},
     "triggers", "used twice"),
    ({"triggers": [{"name": "a", "scenario": "live-fire-forecast", "when": {"severities": ["loud"]}}]},
     "triggers[0].when.severities[0]", "loud"),
    ({"triggers": [{"name": "a", "scenario": "live-fire-forecast", "cooldown_s": -1}]},
     "triggers[0].cooldown_s", "-1"),
])
def test_bad_trigger_files_name_the_field(doc, where, what) -> None:
    with pytest.raises(SpecError) as err:
        parse_triggers(doc, "bad-triggers.yaml", KNOWN)
    text = str(err.value)
    assert "bad-triggers.yaml" in text and where in text and what in text, text


def test_twin_serve_refuses_a_bad_triggers_file_before_starting(tmp_path) -> None:
    bad = tmp_path / "triggers.yaml"
    bad.write_text("triggers:\n  - name: fire\n    scenario: no-such-scenario\n", encoding="utf-8")
    result = run_twin("serve", "--triggers", str(bad), "--data-dir", str(tmp_path / "data"), "--duration", "1",
                      "--db", str(tmp_path / "h.db"), timeout=120)
    assert result.returncode == 2, result.stderr
    assert "triggers.yaml: triggers[0].scenario: no scenario named 'no-such-scenario'" in result.stderr
    assert "Traceback" not in result.stderr
