"""Current state: derived status, staleness, sequence gaps, out-of-order arrivals, snapshots."""

from __future__ import annotations

import json
import pickle
from dataclasses import FrozenInstanceError

import pytest

from twin.live.payloads import DeviceStatus, StateUpdate
from twin.live.state import TwinState
from twin.live.values import FrozenMap

T0 = 1_750_000_000_000


class Clock:
    def __init__(self, t: int = T0):
        self.t = t

    def __call__(self) -> int:
        return self.t


def update(device: str, ts: int, seq: int | None = None, quality: str = "good", **values) -> StateUpdate:
    return StateUpdate(device, ts, FrozenMap(values), seq, quality)


def test_status_ok_then_stale_after_the_factor_times_the_interval(block) -> None:
    clock = Clock()
    state = TwinState(block, stale_factor=3.0, clock=clock)
    assert state.status("PMP-1") == "stale"  # never heard from
    state.apply_state(update("PMP-1", T0, 1, outlet_pressure_kpa=580.0), T0)
    assert state.status("PMP-1") == "ok"
    clock.t = T0 + 15_000  # PMP-1 reports every 5 s: 3 × 5 s is still fresh
    assert state.status("PMP-1") == "ok"
    clock.t = T0 + 15_001
    assert state.status("PMP-1") == "stale"
    state.apply_state(update("PMP-1", clock.t, 2, outlet_pressure_kpa=581.0), clock.t)
    assert state.status("PMP-1") == "ok"


def test_status_offline_alarm_warning_in_that_order(block) -> None:
    clock = Clock()
    state = TwinState(block, clock=clock)
    state.apply_state(update("PMP-1", T0, 1, quality="uncertain", speed_pct=50), T0)
    assert state.status("PMP-1") == "warning"
    state.set_alarms((), {"PMP-1": "alarm"})
    assert state.status("PMP-1") == "alarm"
    state.apply_status(DeviceStatus("PMP-1", False, T0))
    assert state.status("PMP-1") == "offline"
    state.apply_status(DeviceStatus("PMP-1", True, T0))
    state.set_alarms((), {"PMP-1": "warning"})
    assert state.status("PMP-1") == "warning"


def test_sequence_gaps_duplicates_late_arrivals_and_resets(block) -> None:
    state = TwinState(block, clock=Clock())
    changes = [state.apply_state(update("PMP-1", T0 + i * 1000, seq, speed_pct=seq), T0 + i * 1000)
               for i, seq in enumerate([1, 2, 5, 6])]
    assert [c.seq_gap for c in changes] == [0, 0, 2, 0]
    e = state.equipment("PMP-1", T0 + 4000)
    assert (e.seq, e.seq_gaps, e.missed_messages) == (6, 1, 2)
    late = state.apply_state(update("PMP-1", T0 + 1500, 3, speed_pct=3), T0 + 5000)
    assert late.out_of_order and not late.applied
    assert state.equipment("PMP-1", T0 + 5000).missed_messages == 1  # one of the two turned up
    dup = state.apply_state(update("PMP-1", T0 + 3000, 6, speed_pct=6), T0 + 5100)
    assert dup.duplicate and state.equipment("PMP-1", T0 + 5100).duplicates == 1
    reset = state.apply_state(update("PMP-1", T0 + 9000, 1, speed_pct=1), T0 + 9000)
    assert reset.seq_reset and reset.seq_gap == 0
    assert state.equipment("PMP-1", T0 + 9000).seq == 1


def test_newest_timestamp_wins_point_by_point(block) -> None:
    state = TwinState(block, clock=Clock())
    state.apply_state(update("LIFT-1", T0 + 1000, floor="F00", load_kg=0.0), T0 + 1000)
    state.apply_state(update("LIFT-1", T0 + 3000, floor="F02"), T0 + 3000)
    late = state.apply_state(update("LIFT-1", T0 + 2000, floor="F01", load_kg=150.0), T0 + 3100)
    assert late.out_of_order
    assert dict(late.applied) == {"load_kg": 150.0}  # floor from t+2 s is older than t+3 s; load is newer
    assert dict(late.values) == {"floor": "F01", "load_kg": 150.0}  # what history keeps
    e = state.equipment("LIFT-1", T0 + 3100)
    assert dict(e.values) == {"floor": "F02", "load_kg": 150.0}
    assert dict(e.point_ts_ms) == {"floor": T0 + 3000, "load_kg": T0 + 2000}
    assert e.last_ts_ms == T0 + 3000 and e.out_of_order == 1


def test_snapshot_is_immutable_picklable_and_json_able(block) -> None:
    clock = Clock()
    state = TwinState(block, clock=clock)
    state.apply_state(update("LIFT-2", T0, 4, floor="F01", mode="fault", load_kg=300.0), T0)
    state.apply_state(update("PMP-1", T0, 1, run_state="running"), T0)
    state.apply_status(DeviceStatus("AHU-1", False, T0))
    snap = state.snapshot()
    state.apply_state(update("PMP-1", T0 + 1, 2, run_state="tripped"), T0 + 1)
    assert snap.value("PMP-1", "run_state") == "running"  # the snapshot did not move
    with pytest.raises(FrozenInstanceError):
        snap.taken_ms = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        snap.equipment["PMP-1"].values["run_state"] = "x"  # type: ignore[index]
    assert pickle.loads(pickle.dumps(snap)) == snap
    assert {"LIFT-2", "AHU-1"} <= snap.out_of_service and "PMP-1" not in snap.out_of_service
    doc = json.loads(json.dumps(snap.to_dict()))
    assert doc["equipment"]["LIFT-2"]["values"]["floor"] == "F01"
    assert snap.taken_at.utcoffset().total_seconds() == 8 * 3600  # Asia/Shanghai, from the building's site
    assert 0 <= snap.time_of_day_s < 86400
    assert snap.status_counts()["offline"] == 1


def test_state_restores_from_its_records(block) -> None:
    state = TwinState(block, clock=Clock())
    state.apply_state(update("PMP-1", T0, 9, speed_pct=55.5, run_state="running"), T0)
    state.apply_status(DeviceStatus("PMP-1", True, T0))
    again = TwinState(block, clock=Clock())
    assert again.restore({"PMP-1": json.loads(json.dumps(state.record("PMP-1"))), "GONE-1": {}}) == 1
    assert again.equipment("PMP-1") == state.equipment("PMP-1")


def test_listeners_hear_of_touched_devices_and_survive_bugs(block) -> None:
    state = TwinState(block, clock=Clock())
    heard = []
    remove = state.add_listener(heard.append)
    state.add_listener(lambda devices: 1 / 0)
    state.notify({"PMP-1"})
    remove()
    state.notify({"AHU-1"})
    assert heard == [frozenset({"PMP-1"})]
