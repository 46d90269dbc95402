"""Benchmark of 3D in the browser (issue 15, section 1): the sample tower drawn by three.js in
headless Chromium, beside a bare three.js scene of the same triangle count drawn in the same run.

Figures:

* **glTF export** (server, once per building): ``viewer.gltf.scene_glb`` of the tower, seconds;
* **scene load** (browser): fetch the tower's ``.glb`` from a loopback server, parse it, merge the
  storeys, and finish the first frame (a pixel read back) — the wait a user has before the building
  is there; target ≤ 3 s;
* **orbiting**: frames per second while the camera turns 2° per frame round the building, each
  frame rendered and finished (one pixel read back, so that software rendering cannot queue frames
  unseen) — the console's :class:`BuildingView` with the whole tower shown; target ≥ 30 frames/s;
* **baseline**: the same loop over a bare three.js scene — one mesh of as many triangles as the
  tower's drawn meshes, one unlit material — in the same browser, the same canvas size. Headless
  Chromium draws WebGL with SwiftShader (a CPU renderer) here; the ratio to the bare scene is what
  compares across machines.

* **playback**: a seeded drill of the tower (about 3,000 people, movement trace) served as the
  console's playback routes serve it (info, chunks of keyframes) and played by playback3d.js's
  PlaybackLayer over the same view — every frame interpolates everyone, writes the people and queue
  columns, renders and finishes — beside the same loop with no people (the tower redrawn).

Run ``python bench/bench_scene3d.py`` (``--frames N``, ``--repeat N``, ``--no-playback``); no
assertions.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from suite import Figure, Target, record  # bench/suite.py

SIZE = (1280, 720)
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script type="importmap">{"imports": {"three": "/console/vendor/three/three.module.min.js"}}</script>
<style>body{margin:0} canvas{display:block}</style></head><body>
<canvas id="c" width="%(w)d" height="%(h)d" style="width:%(w)dpx;height:%(h)dpx"></canvas>
<script type="module">
import * as THREE from "three";
import { BuildingView } from "/console/view3d.js";
const W = %(w)d, H = %(h)d;
function finish(renderer) {  // a frame is done when a pixel of it can be read
  const gl = renderer.getContext(), px = new Uint8Array(4);
  gl.readPixels(W / 2, H / 2, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
}
function orbitFps(renderer, scene, camera, target, frames, turn) {
  const start = performance.now();
  for (let i = 0; i < frames; i++) { turn(); renderer.render(scene, camera); finish(renderer); }
  return frames / ((performance.now() - start) / 1000);
}
let view = null;
window.loadTower = async (url) => {
  const t0 = performance.now();
  const buf = await (await fetch(url, { cache: "no-store" })).arrayBuffer();
  const fetched = performance.now();
  if (view) { view.renderer.dispose(); }
  const canvas = document.getElementById("c");
  view = window.benchView = new BuildingView(canvas);
  await view.load(buf);
  view.resize(W, H);
  view.render(); finish(view.renderer);
  const done = performance.now();
  return { load_ms: done - t0, fetch_ms: fetched - t0, bytes: buf.byteLength, triangles: view.triangles,
           calls: view.renderer.info.render.calls, lines: view.renderer.info.render.lines,
           frame_lines: view.partCounts.frame };
};
window.orbitTower = (frames, moving) => {
  view.setMoving(!!moving);
  const fps = orbitFps(view.renderer, view.scene, view.camera, view.controls.target, frames, () => view.orbit(2));
  view.setMoving(false);
  return fps;
};
window.orbitBare = (triangles, frames) => {
  const renderer = view.renderer;  // same canvas, same context
  const box = view.bounds, size = box.getSize(new THREE.Vector3());
  const pos = new Float32Array(triangles * 9);
  let seed = 1; const rnd = () => ((seed = (seed * 16807) %% 2147483647) / 2147483647);
  for (let i = 0; i < triangles; i++) {
    const x = box.min.x + rnd() * size.x, y = box.min.y + rnd() * size.y, z = box.min.z + rnd() * size.z;
    pos.set([x, y, z, x + 1, y, z, x, y, z + 1], i * 9);
  }
  const g = new THREE.BufferGeometry(); g.setAttribute("position", new THREE.BufferAttribute(pos, 3));
  const scene = new THREE.Scene();
  scene.add(new THREE.Mesh(g, new THREE.MeshBasicMaterial({ color: 0x1a9850, side: THREE.DoubleSide })));
  const camera = view.camera.clone(), target = view.controls.target.clone();
  const turn = () => { camera.position.sub(target).applyAxisAngle(new THREE.Vector3(0, 1, 0), Math.PI / 90).add(target);
                       camera.lookAt(target); };
  const fps = orbitFps(renderer, scene, camera, target, frames, turn);
  g.dispose();
  return fps;
};
window.playTower = async (base, frames, people) => {
  // A drill of the tower played as the console plays it: each frame interpolates everyone from
  // the time's chunk, writes the people, queue columns and smoke, renders and finishes the frame.
  const { PlaybackLayer, chunkArrays } = await import("/console/playback3d.js");
  const info = await (await fetch(`${base}/playback/info.json`)).json();
  const chunks = [];
  for (let k = 0; k * info.chunk_s < info.duration_s + info.chunk_s; k++) {
    const r = await fetch(`${base}/playback/chunk-${k}.json`);
    if (!r.ok) break;
    chunks.push(chunkArrays(await r.json()));
  }
  view.setView("all");
  const layer = new PlaybackLayer(view, info), gl = view.renderer;
  const chunkAt = (t) => chunks[Math.min(chunks.length - 1, Math.floor(t / info.chunk_s))];
  let interp = 0;
  const step = (i) => {
    const t = info.duration_s * i / frames;
    if (people) { const t0 = performance.now(); const f = layer.frameAt(chunkAt(t), t); interp += performance.now() - t0; layer.draw(f, t); }
    view.renderer.render(view.scene, view.camera); finish(view.renderer);
  };
  step(0);
  const start = performance.now();
  for (let i = 1; i <= frames; i++) step(i);
  const fps = frames / ((performance.now() - start) / 1000);
  layer.dispose();
  return { fps, interp_ms: interp / frames, people: info.occupants, chunks: chunks.length };
};
window.benchReady = true;
</script></body></html>
"""


def _serve(root: Path) -> tuple[ThreadingHTTPServer, str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    Quiet.extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript",
                            ".glb": "model/gltf-binary"}
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _drill(tower, root: Path) -> int:
    """A seeded drill of the tower with its movement trace (as bench_viewer.py's), written as the
    console's playback routes serve it: info.json and one chunk-k.json per span of time."""
    import json

    from viewer.console import CHUNK_S, playback_keys, playback_summary

    from engine import traced_drill  # bench/engine.py

    tracks = traced_drill(tower)
    folder = root / "playback"
    folder.mkdir()
    info = playback_summary("bench", tower, tracks, [], replications=1, points=1, replication=0, point=0)
    (folder / "info.json").write_text(json.dumps(info), encoding="utf-8")
    k = 0
    while k * CHUNK_S < tracks.duration_s + CHUNK_S:
        keys = playback_keys(tracks, k * CHUNK_S, (k + 1) * CHUNK_S)
        (folder / f"chunk-{k}.json").write_text(json.dumps(keys), encoding="utf-8")
        k += 1
    return tracks.n_occupants


def _figure(values: list[float]) -> tuple[float, str]:
    if len(values) == 1:
        return values[0], ""
    return statistics.median(values), f"  [{min(values):.1f} … {max(values):.1f}, n={len(values)}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=120)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--screenshot", type=Path, default=None, help="write the tower as drawn to this PNG")
    ap.add_argument("--no-playback", dest="playback", action="store_false",
                    help="skip the playback figure (it runs a drill of the tower first)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    from twin.loader import load_building
    from viewer.console import STATIC_DIR
    from viewer.gltf import scene_glb

    tower = load_building("tower")
    started = time.perf_counter()
    glb = scene_glb(tower)
    export_s = time.perf_counter() - started

    with tempfile.TemporaryDirectory(prefix="bench-scene3d-") as tmp:
        root = Path(tmp)
        shutil.copytree(STATIC_DIR, root / "console")
        (root / "tower.glb").write_bytes(glb)
        (root / "bench.html").write_text(PAGE % {"w": SIZE[0], "h": SIZE[1]}, encoding="utf-8")
        occupants = _drill(tower, root) if args.playback else 0
        server, base = _serve(root)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
                page = browser.new_page(viewport={"width": SIZE[0], "height": SIZE[1]})
                page.goto(f"{base}/bench.html")
                page.wait_for_function("() => window.benchReady === true", timeout=60_000)
                renderer = page.evaluate("""() => { const g = document.createElement('canvas').getContext('webgl2');
                    const d = g.getExtension('WEBGL_debug_renderer_info');
                    return d ? g.getParameter(d.UNMASKED_RENDERER_WEBGL) : g.getParameter(g.RENDERER); }""")
                loads, towers, movings, bares, bares_moving, plays, stills = [], [], [], [], [], [], []
                info = {}
                for _ in range(args.repeat):
                    info = page.evaluate(f"loadTower('{base}/tower.glb')")
                    loads.append(info["load_ms"] / 1000)
                    info["moving_triangles"] = page.evaluate(
                        "(() => { benchView.setMoving(true); const n = benchView.triangles; "
                        "benchView.setMoving(false); return n; })()")
                    page.evaluate("orbitTower(5)")  # warm up shaders
                    towers.append(page.evaluate(f"orbitTower({args.frames})"))
                    movings.append(page.evaluate(f"orbitTower({args.frames}, true)"))
                    page.evaluate(f"orbitBare({info['triangles']}, 5)")
                    bares.append(page.evaluate(f"orbitBare({info['triangles']}, {args.frames})"))
                    bares_moving.append(page.evaluate(f"orbitBare({info['moving_triangles']}, {args.frames})"))
                    if args.playback:
                        plays.append(page.evaluate(f"playTower('{base}', {args.frames}, true)"))
                        stills.append(page.evaluate(f"playTower('{base}', {args.frames}, false)")["fps"])
                if args.screenshot:
                    page.evaluate(f"loadTower('{base}/tower.glb')")
                    page.screenshot(path=str(args.screenshot))
                browser.close()
        finally:
            server.shutdown()

    load_s, load_range = _figure(loads)
    tower_fps, tower_range = _figure(towers)
    moving_fps, moving_range = _figure(movings)
    bare_fps, bare_range = _figure(bares)
    bare_moving_fps, bare_moving_range = _figure(bares_moving)
    print(f"renderer: {renderer}; canvas {SIZE[0]}x{SIZE[1]}; tower .glb {info['bytes'] / 1e6:.2f} MB, "
          f"{info['triangles']:,} triangles and {info['lines']:,} lines drawn in {info['calls']} draw calls")
    print(f"storey frames (slab edges, stair cores, lift shafts): {info['frame_lines']['source']:,} line segments "
          f"in the file, {info['frame_lines']['drawn']:,} drawn once collinear ones are joined")
    print(f"glTF export of the tower (server, once)        {export_s:8.2f} s")
    print(f"scene load: fetch + parse + first frame        {load_s:8.2f} s    target <= 3{load_range}")
    print(f"baseline: bare three.js, same triangles        {bare_fps:8.1f} frames/s  (1.00){bare_range}")
    print(f"orbiting the tower, every storey in full        {tower_fps:8.1f} frames/s  ({tower_fps / bare_fps:.3f} of "
          f"baseline){tower_range}")
    print(f"baseline: bare three.js, {info['moving_triangles']:,} triangles          {bare_moving_fps:8.1f} frames/s"
          f"  (1.00){bare_moving_range}")
    print(f"orbiting the tower as the console draws it      {moving_fps:8.1f} frames/s  "
          f"({moving_fps / bare_moving_fps:.3f} of baseline)  target >= 30{moving_range}")
    figures = []
    if plays:
        play_fps, play_range = _figure([p["fps"] for p in plays])
        still_fps, still_range = _figure(stills)
        interp_ms = statistics.median(p["interp_ms"] for p in plays)
        print(f"baseline: the tower redrawn, camera still, no people  {still_fps:8.1f} frames/s  (1.00){still_range}")
        print(f"playback of a drill, {occupants:,} people, every storey {play_fps:8.1f} frames/s  "
              f"({play_fps / still_fps:.3f} of baseline; interpolating everyone {interp_ms:.2f} ms a frame, "
              f"{plays[0]['chunks']} chunks){play_range}")
        figures.append(Figure(f"evacuation playback in the browser, {occupants:,} people, every storey in full",
                              play_fps, "frames/s", "the same tower redrawn with the camera still and no people, "
                              "same browser", still_fps,
                              note=f"people interpolated from {plays[0]['chunks']} chunks of keyframes "
                                   f"({interp_ms:.2f} ms a frame), queue columns; each frame finished"))
    bare = f"bare three.js mesh of the same {info['triangles']:,} triangles, same browser"
    bare_moving = f"bare three.js mesh of the same {info['moving_triangles']:,} triangles, same browser"
    record("bench_scene3d", f"3D in the browser: the tower in headless Chromium ({renderer.split('(')[0].strip()}, "
                            f"{SIZE[0]}×{SIZE[1]})", [
        Figure("scene load: fetch + parse + first frame", load_s, "s", target=Target("<=", 3.0),
               note=f"{info['bytes'] / 1e6:.1f} MB .glb from loopback"),
        Figure("orbiting the tower as the console draws it while the camera moves", moving_fps, "frames/s",
               bare_moving, bare_moving_fps, target=Target(">=", 30.0),
               note=f"storey frames ({info['frame_lines']['drawn']:,} lines, joined from "
                    f"{info['frame_lines']['source']:,}), equipment and cars; room fills, walls and doors return "
                    "when it stops"),
        Figure("orbiting the tower, every storey in full (fills, walls, doors)", tower_fps, "frames/s", bare, bare_fps,
               note=f"{info['calls']} draw calls; each frame finished (a pixel read back)"),
        Figure("glTF export of the tower (server, once per building)", export_s, "s"),
        *figures,
    ])


if __name__ == "__main__":
    main()
