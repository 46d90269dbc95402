"""History in SQLite: series with down-sampling, the past state, retention, coming back after a restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from twin.live.alarms import AlarmEngine, load_rules
from twin.live.history import Batch, History, HistoryError
from twin.live.payloads import DeadLetter, DecodeError, DeviceEvent, StateUpdate
from twin.live.state import TwinState
from twin.live.values import FrozenMap

T0 = 1_750_000_000_000


def _history_with_pressure(tmp_path: Path, block, n: int = 600) -> tuple[History, TwinState, np.ndarray]:
    history = History(tmp_path / "h.db", building_id=block.id)
    state = TwinState(block, clock=lambda: T0 + n * 1000)
    rng = np.random.default_rng(1)
    pressures = 580 + rng.normal(0, 5, n)
    batch = Batch()
    for i, p in enumerate(pressures):
        ts = T0 + i * 1000
        msg = StateUpdate("PMP-1", ts, FrozenMap(outlet_pressure_kpa=float(p), run_state="running" if i < 300 else "tripped",
                                                 running=i < 300), i + 1)
        batch.changes.append(state.apply_state(msg, ts))
    batch.devices["PMP-1"] = state.record("PMP-1")
    history.write(batch)
    return history, state, pressures


def test_wal_mode_and_every_sample_kept(tmp_path: Path, block) -> None:
    history, _, pressures = _history_with_pressure(tmp_path, block)
    assert sqlite3.connect(history.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw = history.series("PMP-1", "outlet_pressure_kpa", T0, T0 + 600_000)
    assert [p.ts_ms for p in raw] == [T0 + i * 1000 for i in range(600)]
    assert [p.value for p in raw] == pytest.approx(list(pressures))


def test_series_is_down_sampled_to_bucket_statistics(tmp_path: Path, block) -> None:
    history, _, pressures = _history_with_pressure(tmp_path, block)
    points = history.series("PMP-1", "outlet_pressure_kpa", T0, T0 + 600_000, max_points=10)
    assert len(points) == 10
    for k, p in enumerate(points):
        chunk = pressures[k * 60:(k + 1) * 60]
        assert p.ts_ms == T0 + k * 60_000
        assert (p.value, p.min, p.max, p.count) == (pytest.approx(chunk.mean()), pytest.approx(chunk.min()),
                                                    pytest.approx(chunk.max()), 60)
    per_5_min = history.series("PMP-1", "outlet_pressure_kpa", T0, T0 + 600_000, bucket_s=300)
    assert [p.count for p in per_5_min] == [300, 300]
    text = history.series("PMP-1", "run_state", T0, T0 + 600_000, bucket_s=200)
    assert [(p.value, p.count) for p in text] == [("running", 200), ("tripped", 200), ("tripped", 200)]
    booleans = history.series("PMP-1", "running", T0, T0 + 600_000, bucket_s=200)
    assert [p.value for p in booleans] == [1.0, pytest.approx(0.5), 0.0]  # share of the time it ran
    assert history.series("PMP-1", "outlet_pressure_kpa", T0 + 10_000, T0 + 12_000, max_points=5)[0].count == 1


def test_state_at_a_past_time(tmp_path: Path, block) -> None:
    history, _, pressures = _history_with_pressure(tmp_path, block)
    past = history.state_at(T0 + 299_500)
    assert past["PMP-1"]["outlet_pressure_kpa"] == pytest.approx(pressures[299])
    assert past["PMP-1"]["run_state"] == "running" and past["PMP-1"]["running"] == 1
    assert history.state_at(T0 + 450_000)["PMP-1"]["run_state"] == "tripped"
    assert history.state_at(T0 - 1) == {}


def test_history_keeps_late_arrivals_and_drops_redeliveries(tmp_path: Path, block) -> None:
    history = History(tmp_path / "h.db", building_id=block.id)
    state = TwinState(block)
    batch = Batch()
    for ts, floor in [(T0 + 2000, "F02"), (T0 + 1000, "F01"), (T0 + 2000, "F02")]:
        batch.changes.append(state.apply_state(StateUpdate("LIFT-1", ts, FrozenMap(floor=floor)), ts))
    event = DeviceEvent("LIFT-1", "entrapment", "critical", True, T0, "k1")
    batch.events += [event, event]
    history.write(batch)
    history.write(Batch(events=[event]))
    assert [(p.ts_ms, p.value) for p in history.series("LIFT-1", "floor", T0, T0 + 5000)] == \
        [(T0 + 1000, "F01"), (T0 + 2000, "F02")]
    assert len(history.events(device="LIFT-1")) == 1


def test_dead_letters_keep_reason_and_payload(tmp_path: Path, block) -> None:
    history = History(tmp_path / "h.db", building_id=block.id)
    big = b"x" * 5000
    history.write(Batch(dead_letters=[
        DeadLetter.of("twin/v1/b/pump/P/state", big, T0, DecodeError("json", "payload is not JSON")),
        DeadLetter.of("x/y", b"\xff", T0, DecodeError("topic", "not a twin topic")),
    ]))
    assert history.dead_letter_counts() == {"json": 1, "topic": 1}
    (row,) = history.dead_letters(reason="json")
    assert row["size"] == 5000 and len(row["payload"]) == 1024 and row["detail"] == "payload is not JSON"


def test_retention_deletes_the_old_but_keeps_current_state(tmp_path: Path, block) -> None:
    history, _, _ = _history_with_pressure(tmp_path, block)
    history.write(Batch(events=[DeviceEvent("PMP-1", "pump_trip", "major", True, T0 + 10, "old"),
                                DeviceEvent("PMP-1", "pump_trip", "major", False, T0 + 500_000, "new")]))
    deleted = history.prune(T0 + 400_000)
    assert deleted["states"] == 400 and deleted["events"] == 1
    assert len(history.series("PMP-1", "outlet_pressure_kpa", T0, T0 + 600_000)) == 200
    assert history.load_devices()["PMP-1"]["values"]["run_state"] == "tripped"
    assert history.state_at(T0 + 100_000) == {}  # older than the retention horizon


def test_a_reopened_history_gives_back_state_and_open_alarms(tmp_path: Path, block) -> None:
    history, state, _ = _history_with_pressure(tmp_path, block)
    engine = AlarmEngine(block, load_rules(), state, clock=lambda: T0)
    transitions = engine.handle_event(DeviceEvent("FAP-1", "fire_alarm", "critical", True, T0, "f1", zone="Z01"), T0)
    history.write(Batch(alarm_transitions=transitions))
    history.close()

    again = History(tmp_path / "h.db", building_id=block.id)
    state2 = TwinState(block, clock=state.clock)
    state2.restore(again.load_devices())
    assert state2.equipment("PMP-1") == state.equipment("PMP-1")
    (alarm,) = again.load_open_alarms()
    assert alarm == transitions[0].alarm and alarm.floor == "F01"
    assert [r["transition"] for r in again.alarm_log()] == ["raised"]
    again.close()
    with pytest.raises(HistoryError, match="holds the history of building"):
        History(tmp_path / "h.db", building_id="another-building")
    (tmp_path / "junk.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError, match="cannot be used"):
        History(tmp_path / "junk.db", building_id=block.id)
