"""An entrapment alarm on the live twin starts the lift rescue forecast (issue 13 item 4), against a
real Mosquitto: the app's live service ingests what the test publishes as the car, the alarm is
raised from the car's event, the shipped trigger ``lift-rescue-forecast`` starts
``live-lift-forecast`` on the live (small) tower from the snapshot, and the forecast's summary
carries what the console shows beside the alarm.
"""

from __future__ import annotations

import time

import pytest

from tests.api.conftest import now_ms as _now_ms, poll as _poll, publish, topic as _topic, wait_run

pytestmark = pytest.mark.timeout(180)

B = "small-tower"
TRIGGER = "lift-rescue-forecast"


def _trigger(client, h) -> dict:
    return {t["name"]: t for t in client.get("/triggers", headers=h).json()["triggers"]}[TRIGGER]


def test_an_entrapment_alarm_starts_the_rescue_forecast_from_the_live_building(live_env):
    """issue 13 item 4: LIFT-2 stops between floors near L01 with 225 kg aboard and its entrapment call
    raises a critical alarm; the shipped trigger starts the rescue forecast through the run manager's
    forecast pool (created_by trigger:lift-rescue-forecast) on the live building, from the snapshot:
    this car, three people (225 kg / 75 kg), the local time. Its summary gives the console's headline —
    the first two KPIs with a direction are the expected release (with its p95 across the ten
    replications: "95 % within") and the probability that the 30-min rule is met. The same alarm
    again within the cooldown starts nothing more."""
    client, env, broker, app = live_env
    h = env.auth("viewer")
    before = _trigger(client, h)
    assert before["scenario"] == "live-lift-forecast"
    fired_before = before["fired"]

    publish(broker, _topic("elevator", "LIFT-2", "state"),
            {"ts": _now_ms(), "values": {"floor": "L01", "position_m": 4.5, "speed_mps": 0.0, "direction": "none",
                                         "motion": "stopped", "door": "closed", "load_kg": 225.0,
                                         "in_door_zone": False, "mode": "fault"}})
    assert _poll(lambda: client.get("/twin/equipment/LIFT-2", headers=h).json()["values"].get("load_kg") == 225.0)
    call = {"type": "entrapment", "severity": "critical", "active": True, "message": "alarm button pressed in the car"}
    publish(broker, _topic("elevator", "LIFT-2", "event"), {**call, "ts": _now_ms()})

    trig = _poll(lambda: (t := _trigger(client, h))["fired"] > fired_before and t, timeout_s=20)
    assert trig, _trigger(client, h)
    assert trig["last_alarm"].startswith("event:entrapment") and "LIFT-2" in trig["last_alarm"]
    run = wait_run(client, trig["last_run"], h)
    assert run["status"] == "done", run
    assert run["from_live"] is True and run["created_by"] == f"trigger:{TRIGGER}"
    assert run["scenario"] == "live-lift-forecast" and run["building"] == B

    summary = client.get(f"/runs/{run['id']}/summary", headers=h).json()
    assert summary["model"] == "elevators" and summary["replications"] == 10
    (trapped,) = summary["parameters"]["live_entrapments"]
    assert (trapped["car"], trapped["persons"], trapped["floor"], trapped["between_floors"]) == ("LIFT-2", 3, "L01",
                                                                                                 True)
    assert summary["parameters"]["live_car"] == "LIFT-2"
    assert any("LIFT-2 (3 aboard, between floors)" in n["en"] for n in summary["live"]["notes"])
    kpis = summary["kpis"]
    headline = [name for name, k in kpis.items() if k["better"]][:2]
    assert headline == ["trapped_min", "arrival_within_30"]
    release, rule = kpis["trapped_min"], kpis["arrival_within_30"]
    assert release["n"] == 10 and release["p95"] >= release["mean"] > 0
    assert rule["n"] == 10 and 0.0 <= rule["mean"] <= 1.0 and rule["verdict"]["status"] in ("pass", "fail", "uncertain")
    assert kpis["persons_trapped"]["mean"] == 3 and kpis["awt_s"]["n"] == 0  # traffic: not applicable

    # Cleared and raised again within the cooldown: recorded as skipped, no second run.
    publish(broker, _topic("elevator", "LIFT-2", "event"), {**call, "active": False, "ts": _now_ms()})
    publish(broker, _topic("elevator", "LIFT-2", "event"), {**call, "ts": _now_ms() + 1})
    again = _poll(lambda: (t := _trigger(client, h))["skipped"] > before["skipped"] and t)
    assert again and again["fired"] == trig["fired"] and "cooldown" in again["last_outcome"]
