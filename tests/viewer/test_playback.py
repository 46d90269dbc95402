"""Evacuation playback of a small drill: the right people on screen at each frame.

A seeded replication of the evacuation model on the viewer block, with its movement trace, is
played back. At every frame the number of occupant points drawn must equal the number of people
the model still had inside at that time (``arrival_s`` later than the frame, or never); their
positions must lie on the graph (inside the building's footprint, on a floor); and the exports
hold the frames asked for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import simpy

from viewer.playback import QUEUED, EvacuationPlayback, EvacuationTracks, PlaybackError
from viewer.scene import BuildingScene


@pytest.fixture(scope="module")
def drill(block):
    from models import ModelContext, get_model
    from twin.graph import build_graph

    spec = get_model("evacuation")
    graph = build_graph(block)
    # A quick start (5–30 s pre-movement, a trained office drill) so that 64 people arrive at the
    # 1 m doors together and a queue forms: the office's own NIST pre-movement spreads them too thin.
    params = spec.params(trace=True, alarm_delay_s=10,
                         pre_movement={"default": {"kind": "uniform", "low": 5, "high": 30}},
                         events=[{"type": "smoke", "at_s": 60, "space": "L1-COR"}])
    ctx = ModelContext(env=simpy.Environment(), rng=np.random.default_rng(42), building=block, graph=graph,
                       params=params, horizon_s=3600)
    result = spec.run(ctx)
    return {"graph": graph, "trace": pd.DataFrame(result.records["trace"]),
            "occupants": pd.DataFrame(result.records["occupants"]),
            "events": [e.model_dump() for e in params.events]}


def _expected_inside(occupants: pd.DataFrame, t: float) -> int:
    arrival = occupants["arrival_s"].astype(float)
    return int((arrival.isna() | (arrival > t)).sum())


def test_points_per_frame_match_the_people_still_inside(block, drill):
    occupants = drill["occupants"]
    tracks = EvacuationTracks(block, trace=drill["trace"], occupants=occupants, graph=drill["graph"])
    assert tracks.n_occupants == len(occupants) == block.total_occupants
    with BuildingScene(block, off_screen=True, window_size=(640, 480)) as scene:
        playback = EvacuationPlayback(scene, tracks, events=drill["events"])
        last_arrival = float(occupants["arrival_s"].max())
        times = np.r_[np.linspace(0.0, last_arrival, 25), last_arrival + 1.0]
        counts = []
        for t in times:
            frame = playback.show_time(float(t))
            img = scene.screenshot()
            expected = _expected_inside(occupants, float(t))
            assert playback.visible_count == expected == frame.count, f"t={t:.1f}"
            counts.append(expected)
            if expected:
                # Points are drawn: occupant colours appear in the picture.
                assert img.std() > 0
        assert counts[0] == len(occupants) and counts[-1] == 0
        assert all(a >= b for a, b in zip(counts, counts[1:])), "people only ever leave"


def test_positions_lie_in_the_building_and_queues_show(block, drill):
    tracks = EvacuationTracks(block, trace=drill["trace"], occupants=drill["occupants"], graph=drill["graph"])
    xy = np.array([p for s in block.spaces for p in s.outline])
    lo, hi = xy.min(axis=0) - 0.01, xy.max(axis=0) + 0.01
    elevations = {f.elevation_m for f in block.floors}
    queued_seen = 0
    for t in np.linspace(0, tracks.duration_s, 60):
        f = tracks.frame(float(t))
        if not f.count:
            continue
        assert np.all(f.xyz[:, :2] >= lo) and np.all(f.xyz[:, :2] <= hi)
        assert np.all(f.xyz[:, 2] >= min(elevations) - 1e-9) and np.all(f.xyz[:, 2] <= max(elevations) + 1e-9)
        queued_seen += int((f.state == QUEUED).sum())
        assert sum(f.queues.values()) <= int((f.state == QUEUED).sum())
    assert queued_seen > 0, "64 people through 1 m doors must queue somewhere"


def test_interpolates_between_events(block, drill):
    trace = drill["trace"]
    tracks = EvacuationTracks(block, trace=trace, occupants=drill["occupants"], graph=drill["graph"])
    who = int(trace.loc[trace["event"] == "exit", "occupant"].iloc[0])
    events = trace[trace["occupant"] == who].sort_values("time_s")
    start = float(events.loc[events["event"] == "start", "time_s"].iloc[0])
    gate = events[events["event"] == "at_gate"].iloc[0]
    idx = int(np.flatnonzero(tracks.occupant_ids == who)[0])
    p0 = tracks.frame(start).xyz[list(tracks.frame(start).occupants).index(who)]
    p1 = tracks.frame(float(gate["time_s"])).xyz[list(tracks.frame(float(gate["time_s"])).occupants).index(who)]
    mid_t = (start + float(gate["time_s"])) / 2
    f = tracks.frame(mid_t)
    pm = f.xyz[list(f.occupants).index(who)]
    assert np.allclose(pm, (p0 + p1) / 2, atol=1e-6), "linear between two events"
    assert idx >= 0


def test_without_trace_routes_are_walked_evenly(block, drill):
    occupants = drill["occupants"]
    tracks = EvacuationTracks(block, occupants=occupants, graph=drill["graph"])
    assert tracks.approximate
    for t in (0.0, 100.0, 300.0, 10_000.0):
        assert tracks.frame(t).count == _expected_inside(occupants, t)


def test_export_video_gif_and_png_frames(block, drill, tmp_path):
    import imageio.v3 as iio

    tracks = EvacuationTracks(block, trace=drill["trace"], occupants=drill["occupants"], graph=drill["graph"])
    with BuildingScene(block, off_screen=True, window_size=(320, 240)) as scene:
        playback = EvacuationPlayback(scene, tracks, events=drill["events"])
        times = playback.frame_times(fps=5, speed=60, end_s=120)
        gif = playback.export(tmp_path / "drill.gif", fps=5, speed=60, end_s=120)
        assert iio.improps(gif, index=None).shape[0] == len(times)
        mp4 = playback.export(tmp_path / "drill.mp4", fps=5, speed=60, end_s=120)
        assert mp4.stat().st_size > 1000
        frames = playback.export_frames(tmp_path / "frames", [0.0, 60.0, 120.0])
        assert [p.name for p in frames] == ["frame_00000.png", "frame_00001.png", "frame_00002.png"]
        first, last = iio.imread(frames[0]), iio.imread(frames[2])
        assert first.shape == (240, 320, 3) and not np.array_equal(first, last)
        with pytest.raises(PlaybackError, match="mp4 or .gif"):
            playback.export(tmp_path / "drill.avi")


def test_records_naming_unknown_places_are_refused(block, drill):
    bad = drill["trace"].copy()
    bad.loc[bad["event"] == "at_gate", "where"] = "NO-SUCH-DOOR"
    with pytest.raises(PlaybackError, match="NO-SUCH-DOOR"):
        EvacuationTracks(block, trace=bad, occupants=drill["occupants"])
    with pytest.raises(PlaybackError, match="nothing to play back"):
        EvacuationTracks(block)


def test_export_reports_its_progress_frame_by_frame(block, drill, tmp_path):
    """issue 11 item 6.1: an export reports (frames done, total) after each frame, and the command
    line turns it into a labelled line: frame N of M, frames per second, time left."""
    from api.viewer_cli import ExportProgress

    tracks = EvacuationTracks(block, trace=drill["trace"], occupants=drill["occupants"], graph=drill["graph"])
    seen: list[tuple[int, int]] = []
    with BuildingScene(block, off_screen=True, window_size=(320, 240)) as scene:
        playback = EvacuationPlayback(scene, tracks, events=drill["events"])
        n = len(playback.frame_times(fps=5, speed=60, end_s=60))
        playback.export(tmp_path / "drill.gif", fps=5, speed=60, end_s=60, progress=lambda d, t: seen.append((d, t)))
        assert seen == [(i, n) for i in range(1, n + 1)]
        seen.clear()
        playback.export_frames(tmp_path / "frames", [0.0, 30.0], progress=lambda d, t: seen.append((d, t)))
        assert seen == [(1, 2), (2, 2)]
    progress = ExportProgress("video")
    progress(5, 20)
    line = progress.line(5, 20)
    assert line.startswith("video: frame 5 of 20 (25 %), ") and " frames/s, " in line and line.endswith(" s left")


def test_chunks_of_keyframes_give_the_frames(block, drill):
    """issue 15 §1: the browser loads a run's keyframes in time chunks (keys_between); interpolated
    as frame() does (the rule playback3d.js follows), a chunk gives frame()'s positions, states and
    queues at every time inside it, and a chunk holds only what its span needs."""
    tracks = EvacuationTracks(block, trace=drill["trace"], occupants=drill["occupants"], graph=drill["graph"])
    span = 30.0
    for start in np.arange(0.0, tracks.duration_s + span, span):
        keys = tracks.keys_between(start, start + span)
        off = keys["offsets"]
        assert len(off) == tracks.n_occupants + 1 and off[-1] == len(keys["t"])
        assert len(keys["t"]) <= len(tracks.key_t)
        for t in np.linspace(start, start + span, 7):
            expected = tracks.frame(float(t))
            xyz, state, gate = [], [], []
            for i in range(tracks.n_occupants):
                kt = keys["t"][off[i]:off[i + 1]]
                j = int(np.searchsorted(kt, t, side="right")) - 1
                j = min(max(j, 0), len(kt) - 1)
                k = min(j + 1, len(kt) - 1)
                dt = kt[k] - kt[j]
                f = np.clip((t - kt[j]) / dt, 0.0, 1.0) if k > j and dt > 0 else 0.0
                a, b = off[i] + j, off[i] + k
                xyz.append(keys["xyz"][a] + f * (keys["xyz"][b] - keys["xyz"][a]))
                state.append(keys["state"][a])
                gate.append(keys["gate"][a])
            inside = tracks.inside(float(t))
            assert np.allclose(np.array(xyz)[inside], expected.xyz, atol=1e-9), f"t={t}"
            got_state = np.where(np.array(state) == 5, 1, np.array(state))[inside]  # OUT is drawn moving
            assert np.array_equal(got_state, expected.state), f"t={t}"
            queued = inside & (np.where(np.array(state) == 5, 1, np.array(state)) == QUEUED) & (np.array(gate) >= 0)
            names = tracks.gate_names
            counts = np.bincount(np.array(gate)[queued], minlength=len(names))
            assert {names[g]: int(c) for g, c in enumerate(counts) if c} == expected.queues, f"t={t}"
