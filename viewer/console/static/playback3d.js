/* Evacuation playback drawn by the browser (issue 15, section 1).
 *
 * The run's own building comes once as binary glTF (GET /console/api/runs/{id}/playback/scene.glb)
 * and is drawn by view3d.js's BuildingView — the same renderer, camera, storey isolation, cut-away
 * and explode as the live tab. The people of the chosen replication come in chunks of time
 * (GET .../playback/tracks?from_s=&to_s=, at most info.max_chunk_s each): per person, the keyframes
 * the model's trace gives (viewer/playback.py's EvacuationTracks), which are interpolated here
 * exactly as the server's frame() does, so a dot walks along the floor graph at the model's pace
 * and stands still while it queues. Each frame writes arrays only: the people (one Points object,
 * coloured by what they are doing), the queue columns at doors, stair flights and lift lobbies (one
 * mesh, a box per gate as high as its queue) and the smoke-logged rooms (a grey prism each, from
 * the time the scenario's smoke reaches them). A chunk is fetched ahead while the one before plays;
 * the last few are kept.
 *
 * console.js keeps the timeline, the play button, the speed and the video export (the MP4 is still
 * rendered by the server, for reports): its openPlayback hands the info to Playback3D.open, its
 * drawPlayback to Playback3D.seek while the browser draws. Without WebGL (or with "#render=server"
 * in the address) the server's pictures stay.
 */
import * as THREE from "three";
import { BuildingView, webglAvailable } from "./view3d.js";

const MOVING = 1, QUEUED = 2, OUT = 5;
const KEEP_CHUNKS = 6;
const SERVER_PICTURE = new URLSearchParams(location.hash.slice(1)).get("render") === "server";
const SMOKE = { smoke: { colour: "#5F5F5F", opacity: 0.47 }, untenable: { colour: "#462323", opacity: 0.67 } };

const pb = {
  active: false, view: null, canvas: null, sceneUrl: null, info: null, run: null, replication: 0, layer: null, opening: 0,
  chunks: new Map(), loading: new Map(), wanted: null, drawing: null, frames: 0, viewKey: "",
};

/* --- chunks -------------------------------------------------------------------------------------- */

function chunkIndex(time) {
  const c = pb.info.chunk_s, last = Math.max(0, Math.ceil(pb.info.duration_s / c) - 1);
  return Math.max(0, Math.min(last, Math.floor(time / c)));
}

function chunk(k) {
  const key = `${pb.run}/${pb.replication}/${k}`;
  if (pb.chunks.has(key)) return Promise.resolve(pb.chunks.get(key));
  if (pb.loading.has(key)) return pb.loading.get(key);
  const c = pb.info.chunk_s;
  const url = `${pb.info.tracks}?replication=${pb.replication}&point=${pb.info.point}&from_s=${k * c}&to_s=${(k + 1) * c}`;
  const p = api(url).then((body) => {
    const data = chunkArrays(body);
    pb.chunks.set(key, data);
    while (pb.chunks.size > KEEP_CHUNKS) pb.chunks.delete(pb.chunks.keys().next().value);
    return data;
  }).finally(() => pb.loading.delete(key));
  pb.loading.set(key, p);
  return p;
}

/* --- the people, queues and smoke over a BuildingView (pure three.js: the benchmark uses it alone) --- */

export class PlaybackLayer {
  /* `info` is the playback's info (GET .../playback): occupants, states, gates, smoke, gone_s. */
  constructor(view, info) {
    this.view = view; this.info = info;
    this.gone = Float64Array.from(info.gone_s, (x) => (x === null ? Infinity : x));
    this.span = Math.max(info.duration_s, ...info.gone_s.filter((x) => x !== null), 0) + 1;
    this.frame = null; this.time = 0; this.drawn = null;
    this._people(); this._queues(); this._smoke();
  }

  dispose() {
    for (const o of [this.people, this.queues && this.queues.mesh, ...this.smoke]) {
      if (o) { this.view.scene.remove(o); o.geometry.dispose(); o.material.dispose(); }
    }
  }

  /* What everyone does at `time` (s), from a chunk whose span holds it: EvacuationTracks.frame. */
  frameAt(data, time) {
    const n = this.info.occupants, { offsets, t, xyz, state, gate } = data;
    const tq = Math.max(0, Math.min(time, this.span - 1));
    const out = { xyz: new Float32Array(n * 3), state: new Int8Array(n), inside: new Uint8Array(n),
                  gate: new Int32Array(n), count: 0 };
    for (let i = 0; i < n; i++) {
      const a = offsets[i], b = offsets[i + 1] - 1;
      let j = a;
      while (j < b && t[j + 1] <= tq) j++;
      const k = Math.min(j + 1, b), dt = t[k] - t[j];
      const f = k > j && dt > 0 ? Math.max(0, Math.min(1, (tq - t[j]) / dt)) : 0;
      for (let c = 0; c < 3; c++) out.xyz[i * 3 + c] = xyz[j * 3 + c] + f * (xyz[k * 3 + c] - xyz[j * 3 + c]);
      out.state[i] = state[j] === OUT ? MOVING : state[j];
      out.gate[i] = gate[j];
      out.inside[i] = this.gone[i] > time ? 1 : 0;
      out.count += out.inside[i];
    }
    return out;
  }

  _people() {
    const n = Math.max(1, this.info.occupants);
    const g = new THREE.BufferGeometry();
    g.setAttribute("position", new THREE.BufferAttribute(new Float32Array(n * 3), 3));
    g.setAttribute("color", new THREE.BufferAttribute(new Float32Array(n * 3), 3));
    g.setDrawRange(0, 0);
    const points = new THREE.Points(g, new THREE.PointsMaterial({ size: 6, sizeAttenuation: false, vertexColors: true,
                                                                  depthTest: false }));
    points.frustumCulled = false; points.renderOrder = 5; points.raycast = () => {};
    this.view.scene.add(points);
    this.stateRgb = this.info.states.map((s) => new THREE.Color(s.colour));
    this.people = points;
  }

  _queues() {
    const gates = this.info.gates, n = gates.length;
    if (!n) { this.queues = null; return; }
    const s = 0.35 * ((this.view.info && this.view.info.glyph_size_m) || 1);
    const corners = [[-s, -s], [s, -s], [s, s], [-s, s]];
    const pos = new Float32Array(n * 24), col = new Float32Array(n * 24), idx = [];
    const orange = new THREE.Color(this.info.states[QUEUED].colour);
    const faces = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]];
    for (let i = 0; i < n; i++) {
      for (let v = 0; v < 8; v++) col.set([orange.r, orange.g, orange.b], (i * 8 + v) * 3);
      for (const [a, b, c, d] of faces) idx.push(i * 8 + a, i * 8 + b, i * 8 + c, i * 8 + a, i * 8 + c, i * 8 + d);
    }
    const g = new THREE.BufferGeometry();
    g.setAttribute("position", new THREE.BufferAttribute(pos, 3));
    g.setAttribute("color", new THREE.BufferAttribute(col, 3));
    g.setIndex(idx);
    const mesh = new THREE.Mesh(g, new THREE.MeshBasicMaterial({ vertexColors: true, side: THREE.DoubleSide }));
    mesh.frustumCulled = false; mesh.renderOrder = 4; mesh.raycast = () => {};
    this.view.scene.add(mesh);
    // A box per gate standing on the gate's point, 0.7 glyph wide (the server's pictures' size).
    this.queues = { mesh, corners, heights: new Float64Array(n), counts: new Int32Array(n),
                    floor: gates.map((q) => this.view.floorIndexAt(q.xyz[1])) };
  }

  /* A room's smoke: its floor fill raised into a prism from just above the floor to near the ceiling. */
  _smoke() {
    const bySpace = new Map();
    for (const e of this.info.smoke) {
      if (!bySpace.has(e.space)) bySpace.set(e.space, []);
      bySpace.get(e.space).push(e);
    }
    this.smoke = [];
    for (const [space, events] of bySpace) {
      const node = this.view.objects.get(space);
      if (!node || !node.geometry) continue;
      const fi = this.view.floors.findIndex((f) => f.id === node.userData.floor);
      const floor = this.view.floors[fi];
      const y0 = floor.elevation_m + 0.1, y1 = floor.elevation_m + 0.95 * floor.height_m;
      const src = node.geometry, p = src.attributes.position, ix = src.index;
      node.updateMatrix();
      const v = new THREE.Vector3(), plan = [];
      for (let k = 0; k < p.count; k++) { v.fromBufferAttribute(p, k).applyMatrix4(node.matrix); plan.push([v.x, v.z]); }
      const tris = []; for (let k = 0; k < ix.count; k++) tris.push(ix.getX(k));
      // Sides along the fill's boundary: the edges only one triangle has.
      const edges = new Map();
      for (let k = 0; k < tris.length; k += 3) {
        for (const [a, b] of [[tris[k], tris[k + 1]], [tris[k + 1], tris[k + 2]], [tris[k + 2], tris[k]]]) {
          const key = a < b ? `${a},${b}` : `${b},${a}`;
          edges.set(key, edges.has(key) ? null : [a, b]);
        }
      }
      const pos = [], idx = [], m = plan.length;
      for (const y of [y0, y1]) for (const [x, z] of plan) pos.push(x, y, z);
      for (let k = 0; k < tris.length; k += 3) idx.push(tris[k], tris[k + 1], tris[k + 2], m + tris[k], m + tris[k + 2], m + tris[k + 1]);
      for (const e of edges.values()) if (e) { const [a, b] = e; idx.push(a, b, m + b, a, m + b, m + a); }
      const g = new THREE.BufferGeometry();
      g.setAttribute("position", new THREE.BufferAttribute(new Float32Array(pos), 3));
      g.setIndex(idx);
      const mat = new THREE.MeshBasicMaterial({ color: SMOKE.smoke.colour, transparent: true, opacity: SMOKE.smoke.opacity,
                                                side: THREE.DoubleSide, depthWrite: false });
      const mesh = new THREE.Mesh(g, mat);
      mesh.visible = false; mesh.renderOrder = 3; mesh.raycast = () => {};
      mesh.userData = { kind: "smoke", space, floorIndex: fi, events: events.sort((a, b) => a.at_s - b.at_s) };
      this.view.scene.add(mesh);
      this.smoke.push(mesh);
    }
  }

  /* Write the arrays of one frame (people, queue columns, smoke) for the view's storeys; the view
   * draws on its next animation frame. */
  draw(frame, time) {
    const v = this.view, info = this.info, n = info.occupants;
    const g = this.people.geometry, pos = g.attributes.position, col = g.attributes.color;
    let m = 0;
    const drawnIds = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (!frame.inside[i]) continue;
      const y = frame.xyz[i * 3 + 1], fi = v.floorIndexAt(y);
      if (!v.floorShown(fi)) continue;
      pos.setXYZ(m, frame.xyz[i * 3], y + info.raise_m + v.floorOffset(fi), frame.xyz[i * 3 + 2]);
      const c = this.stateRgb[frame.state[i]] || this.stateRgb[MOVING];
      col.setXYZ(m, c.r, c.g, c.b);
      drawnIds[m++] = i;
    }
    g.setDrawRange(0, m);
    pos.needsUpdate = true; col.needsUpdate = true;
    this.drawn = drawnIds.subarray(0, m);
    if (this.queues) {
      const q = this.queues;
      q.counts.fill(0);
      for (let i = 0; i < n; i++) if (frame.inside[i] && frame.state[i] === QUEUED && frame.gate[i] >= 0) q.counts[frame.gate[i]]++;
      const qp = q.mesh.geometry.attributes.position;
      info.gates.forEach((gate, k) => {
        const h = q.counts[k] * info.queue_m_per_person, fi = q.floor[k], shown = h > 0 && v.floorShown(fi);
        q.heights[k] = shown ? h : 0;
        const [x, y, z] = gate.xyz, base = y + v.floorOffset(fi);
        for (let c = 0; c < 8; c++) {
          const [dx, dz] = q.corners[c % 4];
          if (shown) qp.setXYZ(k * 8 + c, x + dx, base + (c < 4 ? 0 : h), z + dz); else qp.setXYZ(k * 8 + c, x, base, z);
        }
      });
      qp.needsUpdate = true;
    }
    for (const s of this.smoke) {
      const reached = s.userData.events.filter((e) => e.at_s <= time);
      const kind = reached.some((e) => e.kind === "untenable") ? "untenable" : "smoke";
      s.visible = reached.length > 0 && v.floorShown(s.userData.floorIndex);
      s.material.color.set(SMOKE[kind].colour); s.material.opacity = SMOKE[kind].opacity;
      s.position.y = v.floorOffset(s.userData.floorIndex);
      s.userData.state = reached.length ? kind : null;
    }
    this.frame = frame; this.time = time;
    v.requestRender();
  }

  /* [person index, x, y, z] of the people drawn now (glTF axes, as drawn). */
  drawnPeople() {
    if (!this.drawn) return [];
    const pos = this.people.geometry.attributes.position;
    return Array.from(this.drawn, (i, m) => [i, pos.getX(m), pos.getY(m), pos.getZ(m)]);
  }
}

/* A chunk's JSON (GET .../playback/tracks) as typed arrays. */
export function chunkArrays(body) {
  return { from_s: body.from_s, to_s: body.to_s, offsets: Int32Array.from(body.offsets),
           t: Float64Array.from(body.t, (x) => (x === null ? NaN : x)), xyz: Float32Array.from(body.xyz),
           state: Int8Array.from(body.state), gate: Int32Array.from(body.gate) };
}

function show(frame, time) {
  pb.layer.draw(frame, time);
  pb.frames++;
  const vp = $("#playback-viewport");
  vp.dataset.time = time.toFixed(1); vp.dataset.inside = String(frame.count);
  $("#playback-clock").textContent = clock(time);
  $("#playback-inside").textContent = t("playback.inside", { n: frame.count });
}

/* --- the console's hooks ------------------------------------------------------------------------- */

function followControls() {
  const mode = $("#playback-mode").value, floor = $("#playback-floor").value;
  const key = `${mode}/${floor}`;
  if (key !== pb.viewKey) { pb.viewKey = key; pb.view.setView(mode, floor); }
}

/* Draw the playback at `time` (s): from its chunk, fetched first when it is not here yet. The
 * latest time asked wins while a chunk loads. */
async function seek(time) {
  if (!pb.active) return;
  pb.wanted = time;
  if (pb.drawing) return pb.drawing;
  pb.drawing = (async () => {
    try {
      while (pb.wanted !== null) {
        const at = pb.wanted; pb.wanted = null;
        const run = pb.run, rep = pb.replication, k = chunkIndex(at);
        const data = await chunk(k);
        // Another run or replication took over meanwhile, or another building is on its way (no
        // view until it is here: openPlayback draws the timeline's time then).
        if (!pb.view || run !== pb.run || rep !== pb.replication) continue;
        followControls();
        show(pb.layer.frameAt(data, at), at);
        // The next chunk is fetched while this one plays.
        if (k + 1 <= chunkIndex(pb.info.duration_s) && at > (k + 0.5) * pb.info.chunk_s) chunk(k + 1).catch(() => {});
      }
    } catch (e) {
      message(`${t("app.error")}: ${e.message}`);
    } finally { pb.drawing = null; }
  })();
  return pb.drawing;
}

/* The run's building drawn on a new canvas (false: a later open took over meanwhile, and this one
 * left nothing behind). */
async function loadBuilding(info, ticket) {
  if (pb.view && pb.sceneUrl === info.scene) return true;  // the URL names the run: the same building
  const vp = $("#playback-viewport");
  if (pb.canvas) { pb.view.renderer.dispose(); pb.canvas.remove(); }
  pb.view = pb.canvas = pb.sceneUrl = null;
  const canvas = document.createElement("canvas");
  canvas.id = "playback-canvas";
  vp.append(canvas);
  for (const type of ["pointerdown", "pointerup", "pointermove", "wheel"]) canvas.addEventListener(type, (e) => e.stopPropagation());
  const view = new BuildingView(canvas);
  try {
    const res = await api(info.scene, { raw: true });
    await view.load(await res.arrayBuffer());
  } finally {
    if (ticket !== pb.opening) { view.renderer.dispose(); canvas.remove(); }
  }
  if (ticket !== pb.opening) return false;
  pb.view = view; pb.canvas = canvas; pb.sceneUrl = info.scene;
  view.followCanvasSize();
  pb.viewKey = "";
  return true;
}

function setInfo(info) {
  if (pb.layer) pb.layer.dispose();
  pb.info = info; pb.run = info.run; pb.replication = info.replication;
  pb.chunks.clear();
  pb.layer = new PlaybackLayer(pb.view, info);
  const sel = $("#playback-replication");
  sel.innerHTML = Array.from({ length: Math.min(info.replications, 1000) }, (_, i) =>
    `<option value="${i}">${i + 1}</option>`).join("");
  sel.value = String(info.replication);
  sel.closest("label").hidden = info.replications < 2;
}

/* console.js's openPlayback: take over the playback tab for the run of `info` (its GET .../playback)
 * (true), or leave it to the server's pictures (false: no WebGL, or the building could not be drawn). */
async function open(info) {
  if (SERVER_PICTURE || !webglAvailable()) return false;
  const vp = $("#playback-viewport");
  const ticket = ++pb.opening;  // the last run chosen wins, whichever building arrives first
  try {
    vp.dataset.playback3d = "loading";
    if (!(await loadBuilding(info, ticket))) return false;
    setInfo(info);
  } catch (e) {
    if (ticket !== pb.opening) return false;
    pb.active = false; vp.classList.remove("webgl"); $("#playback-img").hidden = false;
    delete vp.dataset.playback3d;
    if (pb.canvas) pb.canvas.hidden = true;
    message(`${t("app.error")}: ${e.message}`);
    return false;
  }
  pb.active = true;
  vp.classList.add("webgl"); $("#playback-img").hidden = true; pb.canvas.hidden = false;
  for (const el of $$("[data-pbcam]")) el.hidden = false;
  vp.dataset.playback3d = "ready";
  return true;
}

async function chooseReplication(r) {
  if (!pb.active || !pb.view) return;  // nothing drawn yet, or another building on its way
  pausePlayback();
  const at = pb.layer ? pb.layer.time : 0;
  const info = await api(`/console/api/runs/${encodeURIComponent(pb.run)}/playback?replication=${r}&point=${pb.info.point}`);
  setInfo(info);
  S.pb.duration = info.duration_s;
  const slider = $("#playback-time");
  slider.max = String(Math.ceil(info.duration_s)); slider.value = String(Math.min(at, info.duration_s));
  await seek(Number(slider.value));
}

window.addEventListener("DOMContentLoaded", () => {
  if (!document.querySelector("#playback-replication")) return;  // a page without the console (the benchmark)
  $("#playback-replication").onchange = (e) => chooseReplication(Number(e.target.value));
  for (const b of $$("[data-pbcam=fit]")) b.onclick = () => { if (pb.active && pb.view) pb.view.fit(); };
});

window.Playback3D = {
  open, seek,
  get active() { return pb.active; },
  get view() { return pb.view; },
  get info() { return pb.info; },
  get time() { return pb.layer ? pb.layer.time : 0; },
  get frames() { return pb.frames; },
  get inside() { return pb.layer && pb.layer.frame ? pb.layer.frame.count : null; },
  /* What tests read: the people drawn now ([person index, x, y, z] in glTF axes, as drawn), the
   * queue at each gate, the smoke-logged rooms shown, the chunks fetched. */
  drawnPeople: () => (pb.layer ? pb.layer.drawnPeople() : []),
  queues() {
    const out = {}, q = pb.layer && pb.layer.queues;
    if (q) pb.info.gates.forEach((g, k) => { if (q.counts[k]) out[g.id] = q.counts[k]; });
    return out;
  },
  queueHeights() {
    const out = {}, q = pb.layer && pb.layer.queues;
    if (q) pb.info.gates.forEach((g, k) => { if (q.heights[k] > 0) out[g.id] = q.heights[k]; });
    return out;
  },
  smokeShown: () => (pb.layer ? pb.layer.smoke : []).filter((s) => s.visible)
    .map((s) => ({ space: s.userData.space, state: s.userData.state })),
  get chunksLoaded() { return [...pb.chunks.values()].map((c) => [c.from_s, c.to_s]); },
};
window.dispatchEvent(new Event("playback3d-loaded"));
