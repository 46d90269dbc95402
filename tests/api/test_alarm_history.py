"""Issue 15 section 3: the alarm history and the supervisor's dashboard over HTTP, against a real Mosquitto.

The app's live twin (small tower, no device simulator) hears only what each test publishes with a
plain paho client: device events raise and clear alarms, an engineer acknowledges one with a note,
a meter reports cumulative energy. Devices that never report raise the twin's own minor ``stale``
alarms meanwhile, so the checks on counts look at the critical and major alarms (``FAILURES``).
The history route must give every transition, filtered, paged and as CSV; the dashboard's figures
are checked against the same history rows and, for the work orders, against the operations run's
own records (read with pyarrow here).
"""

from __future__ import annotations

import csv
import io
import math
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.api.conftest import now_ms as _now_ms, poll, publish, topic as _topic

pytestmark = pytest.mark.timeout(180)

B = "small-tower"
TZ = ZoneInfo("Asia/Shanghai")
REPO = Path(__file__).resolve().parents[2]
FAILURES = {"severity": ["critical", "major"]}


def _poll(fn, timeout_s: float = 15.0, every_s: float = 0.1):
    return poll(fn, timeout_s, every_s)


@pytest.fixture(scope="module")
def alarms_played(live_env):
    """A lift entrapment raised, acknowledged with a note, then cleared; a pump trip raised and cleared."""
    client, env, broker, app = live_env
    t0 = _now_ms() - 1
    h = env.auth("viewer")
    publish(broker, _topic("elevator", "LIFT-2", "event"),
            {"type": "entrapment", "severity": "critical", "active": True, "ts": _now_ms()})
    publish(broker, _topic("pump", "PMP-1", "event"),
            {"type": "pump_trip", "severity": "major", "active": True, "ts": _now_ms()})
    raised = _poll(lambda: len(client.get("/twin/alarms/history", headers=h, params={
        "transition": "raised", "start_ms": t0, **FAILURES}).json()["rows"]) == 2)
    assert raised, "the two alarms never reached the history"
    acked = client.post("/twin/alarms/event:entrapment:LIFT-2/ack", headers=env.auth("engineer"),
                        json={"note": "救援人员已到场 rescue on site"})
    assert acked.status_code == 200, acked.text
    time.sleep(0.3)  # the pump is down for a measurable while
    publish(broker, _topic("pump", "PMP-1", "event"),
            {"type": "pump_trip", "severity": "major", "active": False, "ts": _now_ms()})
    publish(broker, _topic("elevator", "LIFT-2", "event"),
            {"type": "entrapment", "severity": "critical", "active": False, "ts": _now_ms()})
    done = _poll(lambda: client.get("/twin/alarms/history", params={"start_ms": t0, **FAILURES},
                                    headers=h).json()["total"] == 5)
    assert done, client.get("/twin/alarms/history", params={"start_ms": t0, **FAILURES}, headers=h).json()
    return t0


def test_history_gives_every_transition_with_the_note(live_env, alarms_played):
    """issue 15 §3 item 1: all transitions (closed alarms too), newest first, the acknowledgement's note shown."""
    client, env, broker, app = live_env
    body = client.get("/twin/alarms/history", params={"start_ms": alarms_played, **FAILURES},
                      headers=env.auth("viewer")).json()
    rows = body["rows"]
    assert body["total"] == 5 and len(rows) == 5
    assert [r["at_ms"] for r in rows] == sorted((r["at_ms"] for r in rows), reverse=True)
    lift = [r for r in rows if r["device"] == "LIFT-2"]
    assert [r["transition"] for r in lift] == ["cleared", "acknowledged", "raised"]
    ack = lift[1]
    assert ack["by"] == "test-engineer" and ack["note"] == "救援人员已到场 rescue on site"
    assert ack["system"] == "elevator" and ack["severity"] == "critical"
    assert lift[0]["state"] == "closed"  # cleared after the acknowledgement: no longer open
    assert datetime.fromisoformat(ack["at"]).utcoffset() == timedelta(hours=8)  # the building's local time
    # The closed alarm is gone from the open list, but its history stays.
    open_ids = [a["id"] for a in client.get("/twin/alarms", headers=env.auth("viewer")).json()["alarms"]]
    assert "event:entrapment:LIFT-2" not in open_ids


def test_history_filters_and_pages(live_env, alarms_played):
    """issue 15 §3 item 1: filtered by system, floor, severity, transition and time; paged."""
    client, env, broker, app = live_env
    h = env.auth("viewer")

    def get(**params):
        r = client.get("/twin/alarms/history", params={"start_ms": alarms_played, **FAILURES, **params}, headers=h)
        assert r.status_code == 200, r.text
        return r.json()

    pump = get(system="pump")
    assert pump["total"] == 2 and {r["device"] for r in pump["rows"]} == {"PMP-1"}
    assert get(system=["pump", "elevator"])["total"] == 5
    assert get(severity="critical")["total"] == 3  # (replaces FAILURES' severities)
    assert get(severity="major", transition="cleared")["total"] == 1
    floor = get(floor="L00")  # the pump's plant room is on the ground floor
    assert floor["total"] >= 2 and all(r["floor"] == "L00" for r in floor["rows"])
    assert get(floor="L02", system="pump")["total"] == 0
    everything = get()["rows"]
    page = get(limit=2, offset=1)
    assert page["total"] == 5 and [r["at_ms"] for r in page["rows"]] == [r["at_ms"] for r in everything[1:3]]
    newest = everything[0]["at_ms"]
    assert get(end_ms=newest)["total"] == 5 - sum(r["at_ms"] == newest for r in everything)
    assert get(start_ms=newest + 1)["total"] == 0


@pytest.mark.parametrize(("params", "loc"), [
    ({"system": "nope"}, ["query", "system"]),
    ({"floor": "L99"}, ["query", "floor"]),
    ({"equipment": "PMP-9"}, ["query", "equipment"]),
    ({"severity": "fatal"}, ["query", "severity", 0]),
    ({"transition": "opened"}, ["query", "transition", 0]),
    ({"limit": 1001}, ["query", "limit"]),
    ({"offset": -1}, ["query", "offset"]),
    ({"start_ms": 2000, "end_ms": 1000}, ["query", "start_ms"]),
    ({"start_ms": 0, "end_ms": 367 * 86_400_000}, ["query", "start_ms"]),
    ({"system": ["pump"] * 21}, ["query", "system"]),
    ({"format": "xlsx"}, ["query", "format"]),
])
def test_a_bad_filter_is_a_422_naming_the_field(live_env, params, loc):
    """issue 15 §3 item 1: every filter, count and range is bounded; a bad one is a 422 naming its field."""
    client, env, broker, app = live_env
    r = client.get("/twin/alarms/history", params=params, headers=env.auth("viewer"))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == loc, r.json()


def test_history_as_csv(live_env, alarms_played):
    """issue 15 §3 item 1: the same rows as CSV (UTF-8, Chinese notes intact), filters applied."""
    client, env, broker, app = live_env
    r = client.get("/twin/alarms/history", params={"start_ms": alarms_played, "format": "csv", "system": "elevator",
                                                   **FAILURES},
                   headers=env.auth("viewer"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"] and r.headers["x-total-count"] == "3"
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["transition"] for row in rows] == ["cleared", "acknowledged", "raised"]
    assert rows[1]["note"] == "救援人员已到场 rescue on site" and rows[1]["by"] == "test-engineer"
    assert list(rows[0]) == ["at", "at_ms", "transition", "alarm_id", "device", "system", "floor", "severity",
                             "message", "by", "note", "state"]


def test_history_says_each_alarm_in_the_language_asked(live_env, alarms_played):
    """Every label a person reads exists in en and zh-CN: each row carries the alarm's words in both
    languages, ``message`` is in the language asked (``lang``), and the CSV a supervisor downloads in
    Chinese has the messages in Chinese; the open-alarm list carries the words too."""
    client, env, broker, app = live_env
    h = env.auth("viewer")
    params = {"start_ms": alarms_played, "system": "elevator", "transition": "raised", **FAILURES}
    (en,) = client.get("/twin/alarms/history", params=params, headers=h).json()["rows"]
    (zh,) = client.get("/twin/alarms/history", params={**params, "lang": "zh-CN"}, headers=h).json()["rows"]
    assert en["words"] == zh["words"] == {"en": "Possible entrapment in lift car LIFT-2", "zh-CN": "LIFT-2 轿厢困人报警"}
    assert (en["message"], zh["message"]) == ("Possible entrapment in lift car LIFT-2", "LIFT-2 轿厢困人报警")
    r = client.get("/twin/alarms/history", params={**params, "format": "csv", "lang": "zh-CN"}, headers=h)
    (row,) = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert row["message"] == "LIFT-2 轿厢困人报警"
    bad = client.get("/twin/alarms/history", params={**params, "lang": "fr"}, headers=h)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "lang", bad.text


def test_acknowledge_needs_an_engineer_and_bounds_the_note(live_env):
    """issue 15 §3 item 1: acknowledging is the engineer's; a note over 500 characters is a 422 on the note."""
    client, env, broker, app = live_env
    publish(broker, _topic("hvac", "AHU-1", "event"),
            {"type": "fan_fault", "severity": "minor", "active": True, "ts": _now_ms()})
    assert _poll(lambda: any(a["device"] == "AHU-1" for a in
                             client.get("/twin/alarms", headers=env.auth("viewer")).json()["alarms"]))
    path = "/twin/alarms/event:fan_fault:AHU-1/ack"
    assert client.post(path, json={"note": "x"}, headers=env.auth("viewer")).status_code == 403
    long = client.post(path, json={"note": "x" * 501}, headers=env.auth("engineer"))
    assert long.status_code == 422 and long.json()["detail"][0]["loc"] == ["body", "note"]
    assert client.post(path, json={"note": "filter changed"}, headers=env.auth("engineer")).status_code == 200
    app.state.ctx.live.flush(5)
    rows = _poll(lambda: client.get("/twin/alarms/history", params={"equipment": "AHU-1", "transition": "acknowledged"},
                                    headers=env.auth("viewer")).json()["rows"])
    assert rows and rows[0]["note"] == "filter changed"


def test_dashboard_alarms_failures_and_availability(live_env, alarms_played):
    """issue 15 §3 item 3: alarms by system over time, failures and availability by system, live incidents
    against the promises, from the history.

    Availability of the pump system = 1 − (pump trip cleared − raised) / (window × pumps), exactly,
    with the times the history itself recorded.
    """
    client, env, broker, app = live_env
    h = env.auth("viewer")
    end = _now_ms() + 1
    start = alarms_played
    d = client.get("/twin/dashboard", params={"start_ms": start, "end_ms": end, "bucket": "hour"}, headers=h).json()
    assert d["live"] is True and d["bucket"] == "hour"
    by = d["alarms_by_system"]
    raised = client.get("/twin/alarms/history", params={"start_ms": start, "end_ms": end, "transition": "raised",
                                                        "limit": 1000}, headers=h).json()["rows"]
    for system in ("elevator", "pump"):  # every alarm raised counts, the twin's own stale alarms too
        assert sum(by["systems"][system]) == sum(r["system"] == system for r in raised)
    assert sum(by["systems"]["pump"]) == 1
    assert len(by["starts_ms"]) == math.ceil((end - start) / 3_600_000)
    pump_rows = client.get("/twin/alarms/history", params={"start_ms": start, "system": "pump"},
                           headers=h).json()["rows"]
    at = {r["transition"]: r["at_ms"] for r in pump_rows}
    pumps = d["systems"]["pump"]["devices"]
    assert pumps == 1 and d["systems"]["pump"]["failures"] == 1
    assert d["systems"]["pump"]["availability"] == pytest.approx(1 - (at["cleared"] - at["raised"]) / (end - start),
                                                                 abs=1e-9)
    assert d["systems"]["elevator"]["failures"] == 1 and d["systems"]["elevator"]["devices"] == 2
    assert d["systems"]["power"]["failures"] == 0 and d["systems"]["power"]["availability"] == 1.0
    # Live incidents against the promises: the entrapment (critical: 30 min) acknowledged after the
    # time the history shows; the pump trip (major: 2 h) never acknowledged.
    lift_rows = client.get("/twin/alarms/history", params={"start_ms": start, "equipment": "LIFT-2", **FAILURES},
                           headers=h).json()["rows"]
    lift_at = {r["transition"]: r["at_ms"] for r in lift_rows}
    live = d["live_response"]
    assert live["emergency"]["promise_min"] == 30 and live["emergency"]["orders"] == 1
    assert live["emergency"]["p50_min"] == pytest.approx((lift_at["acknowledged"] - lift_at["raised"]) / 60_000)
    assert live["emergency"]["share_within"] == 1.0
    assert live["ordinary"]["promise_min"] == 120 and live["ordinary"]["orders"] == 0
    assert live["ordinary"]["not_attended"] == 1 and live["ordinary"]["late_open"] == 0
    # Bounded: a window past 366 days, or too many buckets, is a 422 naming the field.
    r = client.get("/twin/dashboard", params={"start_ms": 0, "end_ms": 400 * 86_400_000}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "start_ms"]
    r = client.get("/twin/dashboard", params={"start_ms": end - 100 * 86_400_000, "end_ms": end, "bucket": "hour"},
                   headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "bucket"]


def test_dashboard_energy_by_day_and_month(live_env):
    """issue 15 §3 item 3: a meter's kWh by day (rise of its cumulative reading from the previous day's
    last reading; days from local midnight, Asia/Shanghai) and by month."""
    client, env, broker, app = live_env
    today = datetime.now(TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    d2, d1 = today - timedelta(days=2), today - timedelta(days=1)
    readings = [(d2 + timedelta(hours=10), 100.0), (d2 + timedelta(hours=20), 150.0),
                (d1 + timedelta(hours=8), 170.0), (d1 + timedelta(hours=9), 230.0)]
    for seq, (when, kwh) in enumerate(readings, start=1):
        publish(broker, _topic("meter", "MTR-E1", "state"),
                {"ts": int(when.timestamp() * 1000), "seq": seq, "values": {"energy_kwh": kwh}})
    app.state.ctx.live.flush(5)
    params = {"start_ms": int(d2.timestamp() * 1000), "end_ms": int(today.timestamp() * 1000)}

    def energy():
        e = client.get("/twin/dashboard", params=params, headers=env.auth("viewer")).json().get("energy")
        return e if e and e["by_day"].get("MTR-E1") and e["by_day"]["MTR-E1"][-1] else None

    e = _poll(energy)
    assert e, "the meter's readings never reached the dashboard"
    assert e["days"] == [d2.date().isoformat(), d1.date().isoformat()]
    assert e["by_day"]["MTR-E1"] == [pytest.approx(50.0), pytest.approx(80.0)]
    assert sum(v for v in e["by_month"]["MTR-E1"] if v) == pytest.approx(130.0)


@pytest.fixture(scope="module")
def operations_run(live_env, tmp_path_factory):
    """A short operations run (2 days, 2 replications of the library's tower baseline) in the run store."""
    from api.runs import record_results

    client, env, broker, app = live_env
    out = tmp_path_factory.mktemp("ops-run") / "ops"
    subprocess.run([sys.executable, "-m", "api", "run", "ops-tower-baseline", "-n", "2", "--set", "horizon_s=172800",
                    "--no-report", "--no-store", "--out", str(out)], check=True, cwd=REPO, capture_output=True)
    rec, folder = record_results(out, env.data_dir)
    return rec, folder


def test_dashboard_work_orders_against_the_promises(live_env, operations_run):
    """issue 15 §3 item 3: work orders by response time against 30 min / 2 h, from the latest operations run;
    the shares within the promise are the run's own ``within_sla`` records (point 0, all replications)."""
    import numpy as np
    import pyarrow.parquet as pq

    client, env, broker, app = live_env
    rec, folder = operations_run
    d = client.get("/twin/dashboard", headers=env.auth("supervisor")).json()
    assert d["operations_run"]["id"] == rec.id
    wo = d["work_orders"]
    table = pq.read_table(folder / "records" / "work_orders.parquet").to_pandas()
    for priority, promise in (("emergency", 30.0), ("ordinary", 120.0)):
        rows = table[(table.point == 0) & (table.priority == priority)]
        attended = rows[rows.arrived_s.notna()]
        figures = wo["by_priority"][priority]
        assert figures["promise_min"] == promise
        assert figures["orders"] == len(attended)
        assert figures["share_within"] == pytest.approx(float(np.mean(attended.within_sla)))
        assert sum(b["orders"] for b in figures["histogram"]) == len(attended)
        assert figures["histogram"][4]["from_min"] == promise  # the bins are multiples of the promise
    assert wo["kpis"]["emergency_within_sla"]["target"]["value"] == 0.95
