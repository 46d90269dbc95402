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
``python bench/bench_viewer.py`` (``--frames N`` to change the sample size, ``--repeat N`` to measure
each figure N times in the same scenes and print the median with the range: on a shared machine
one figure alone says little).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from suite import Figure, Target, record  # bench/suite.py

SIZE = (1280, 720)


def baseline_fps(frames: int, repeat: int = 1) -> list[float]:
    import pyvista as pv

    from viewer import scene as _scene  # noqa: F401  (sets the off-screen window class)

    theme = pv.themes.DocumentTheme()
    theme.multi_samples = 0
    plotter = pv.Plotter(off_screen=True, window_size=list(SIZE), theme=theme)
    plotter.render()
    camera = plotter.renderer.GetActiveCamera()
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(frames):
            camera.Modified()
            plotter.render()
            plotter.screenshot(return_img=True)
        out.append(frames / (time.perf_counter() - started))
    plotter.close()
    return out


def live_fps(frames: int, repeat: int = 1) -> tuple[list[float], int]:
    from twin.loader import load_building
    from viewer.scene import STATUSES, BuildingScene

    building = load_building("tower")
    rng = np.random.default_rng(1)
    out = []
    with BuildingScene(building, off_screen=True, window_size=SIZE) as scene:
        devices = scene.equipment_ids + scene.car_ids
        top = float(scene._elevations[-1])
        scene.screenshot()
        for _ in range(repeat):
            started = time.perf_counter()
            for _ in range(frames):
                scene.update_statuses({d: STATUSES[int(rng.integers(len(STATUSES)))] for d in devices})
                for car in scene.car_ids:
                    scene.update_car(car, float(rng.uniform(0.0, top)))
                scene.screenshot()
            out.append(frames / (time.perf_counter() - started))
    return out, len(devices)


def playback_fps(frames: int, repeat: int = 1) -> tuple[list[float], list[float], int]:
    from twin.loader import load_building
    from viewer.playback import EvacuationPlayback
    from viewer.scene import BuildingScene

    from engine import traced_drill  # bench/engine.py

    building = load_building("tower")
    tracks = traced_drill(building)
    exports, renders = [], []
    with BuildingScene(building, off_screen=True, window_size=SIZE) as scene:
        playback = EvacuationPlayback(scene, tracks)
        fps, speed = 15.0, tracks.duration_s * 15.0 / frames  # the whole drill in `frames` frames
        playback.render(0.0)  # warm-up: the first render of a process compiles its shaders
        n = len(playback.frame_times(fps=fps, speed=speed))
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                playback.export(Path(tmp) / "drill.mp4", fps=fps, speed=speed)
                exports.append(n / (time.perf_counter() - started))
            started = time.perf_counter()
            for t in np.linspace(0.0, tracks.duration_s, frames):
                playback.render(float(t))
            renders.append(frames / (time.perf_counter() - started))
    return exports, renders, tracks.n_occupants


def _figure(values: list[float]) -> tuple[float, str]:
    """The median, and the range when there are several."""
    middle = float(np.median(values))
    return middle, (f"  [{min(values):.1f}-{max(values):.1f} over {len(values)}]" if len(values) > 1 else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60, help="frames per measurement")
    parser.add_argument("--repeat", type=int, default=1, help="measurements of each figure (median and range)")
    args = parser.parse_args()
    repeat = max(1, args.repeat)
    base, base_range = _figure(baseline_fps(args.frames, repeat))
    print(f"window {SIZE[0]}x{SIZE[1]}, off screen")
    print(f"baseline: bare plotter render + read-back      {base:8.1f} frames/s  (1.00){base_range}")
    lives, devices = live_fps(args.frames, repeat)
    live, live_range = _figure(lives)
    print(f"live update, tower, {devices} devices per frame  {live:8.1f} frames/s  ({live / base:.3f} of baseline)"
          f"  target >= 10{live_range}")
    exports, renders, people = playback_fps(args.frames, repeat)
    export, export_range = _figure(exports)
    render, render_range = _figure(renders)
    print(f"playback export MP4, {people:,} occupants       {export:8.1f} frames/s  ({export / base:.3f} of baseline)"
          f"  target >= 15{export_range}")
    print(f"playback render only (no encoding)            {render:8.1f} frames/s  ({render / base:.3f} of baseline)"
          f"{render_range}")
    bare = "bare plotter render + read-back"
    record("bench_viewer", f"The 3D viewer off screen ({SIZE[0]}×{SIZE[1]})", [
        Figure(f"live update of the tower, {devices} devices per frame", live, "frames/s", bare, base,
               target=Target(">=", 10.0)),
        Figure(f"playback export MP4, {people:,} occupants", export, "frames/s", bare, base, target=Target(">=", 15.0)),
        Figure("playback render only (no encoding)", render, "frames/s", bare, base),
    ])


if __name__ == "__main__":
    main()
