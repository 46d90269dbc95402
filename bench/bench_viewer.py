"""Benchmark of the 3D viewer: live colouring of the sample tower, and evacuation playback export.

Two figures, each printed as frames per second and as a ratio to a baseline measured in the same
run on the same machine — a bare pyvista plotter (same window size and settings, nothing in it)
rendered and read back — so the ratios compare across machines where the absolute figures do not:

* **live update**: every frame, every piece of equipment and every lift car of the tower gets a
  new status and every car a new height, then the scene is rendered off screen and read back;
* **playback export**: a seeded ~3,000-occupant evacuation of the tower (with its movement
  trace) is exported as MP4 — positions, colours, queue columns and room shading written every
  frame, rendered, read back and encoded.

Targets (issue 6): live ≥ 10 frames/s, playback export ≥ 15 frames/s. No assertions: run it with
``python bench/bench_viewer.py`` (``--frames N`` to change the sample size).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

SIZE = (1280, 720)


def baseline_fps(frames: int) -> float:
    import pyvista as pv

    from viewer import scene as _scene  # noqa: F401  (sets the off-screen window class)

    theme = pv.themes.DocumentTheme()
    theme.multi_samples = 0
    plotter = pv.Plotter(off_screen=True, window_size=list(SIZE), theme=theme)
    plotter.render()
    camera = plotter.renderer.GetActiveCamera()
    started = time.perf_counter()
    for _ in range(frames):
        camera.Modified()
        plotter.render()
        plotter.screenshot(return_img=True)
    elapsed = time.perf_counter() - started
    plotter.close()
    return frames / elapsed


def live_fps(frames: int) -> tuple[float, int]:
    from twin.loader import load_building
    from viewer.scene import STATUSES, BuildingScene

    building = load_building("tower")
    rng = np.random.default_rng(1)
    with BuildingScene(building, off_screen=True, window_size=SIZE) as scene:
        devices = scene.equipment_ids + scene.car_ids
        top = float(scene._elevations[-1])
        scene.screenshot()
        started = time.perf_counter()
        for _ in range(frames):
            scene.update_statuses({d: STATUSES[int(rng.integers(len(STATUSES)))] for d in devices})
            for car in scene.car_ids:
                scene.update_car(car, float(rng.uniform(0.0, top)))
            scene.screenshot()
        elapsed = time.perf_counter() - started
    return frames / elapsed, len(devices)


def playback_fps(frames: int) -> tuple[float, float, int]:
    import pandas as pd
    import simpy

    from models import ModelContext, get_model
    from twin.graph import build_graph
    from twin.loader import load_building
    from viewer.playback import EvacuationPlayback, EvacuationTracks
    from viewer.scene import BuildingScene

    building = load_building("tower")
    graph = build_graph(building)
    spec = get_model("evacuation")
    ctx = ModelContext(env=simpy.Environment(), rng=np.random.default_rng(20261124), building=building, graph=graph,
                       params=spec.params(trace=True), horizon_s=7200)
    records = spec.run(ctx).records
    tracks = EvacuationTracks(building, trace=pd.DataFrame(records["trace"]),
                              occupants=pd.DataFrame(records["occupants"]), graph=graph)
    with BuildingScene(building, off_screen=True, window_size=SIZE) as scene:
        playback = EvacuationPlayback(scene, tracks)
        fps, speed = 15.0, tracks.duration_s * 15.0 / frames  # the whole drill in `frames` frames
        playback.render(0.0)  # warm-up: the first render of a process compiles its shaders
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            playback.export(Path(tmp) / "drill.mp4", fps=fps, speed=speed)
            export_elapsed = time.perf_counter() - started
        n = len(playback.frame_times(fps=fps, speed=speed))
        started = time.perf_counter()
        for t in np.linspace(0.0, tracks.duration_s, frames):
            playback.render(float(t))
        render_elapsed = time.perf_counter() - started
    return n / export_elapsed, frames / render_elapsed, tracks.n_occupants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60, help="frames per measurement")
    args = parser.parse_args()
    base = baseline_fps(args.frames)
    print(f"window {SIZE[0]}x{SIZE[1]}, off screen")
    print(f"baseline: bare plotter render + read-back      {base:8.1f} frames/s  (1.00)")
    live, devices = live_fps(args.frames)
    print(f"live update, tower, {devices} devices per frame  {live:8.1f} frames/s  ({live / base:.3f} of baseline)"
          f"  target >= 10")
    export, render, people = playback_fps(args.frames)
    print(f"playback export MP4, {people:,} occupants       {export:8.1f} frames/s  ({export / base:.3f} of baseline)"
          f"  target >= 15")
    print(f"playback render only (no encoding)            {render:8.1f} frames/s  ({render / base:.3f} of baseline)")


if __name__ == "__main__":
    main()
