/* One building drawn by three.js in one canvas: the pieces the console's 3D views share
 * (issue 15, section 1) — the live building (scene3d.js) and evacuation playback (playback3d.js).
 *
 * BuildingView loads the building's binary glTF (made by viewer/gltf.py: every equipment item,
 * lift car, space and door a node with {id, kind, floor, name} in its userData), merges each
 * storey's static parts by material into a few meshes (a software renderer pays per draw call and
 * per line), draws on demand (requestRender: nothing is drawn while nothing changes), turns the
 * camera (OrbitControls, orbit, fit), isolates a storey, cuts away the storeys above one and
 * explodes the building, and picks objects under the pointer. Pure three.js: no API, no console;
 * the benchmark (bench/bench_scene3d.py) uses it alone. Views that draw on top of the building
 * (playback's people, queue columns, smoke) add their objects to view.scene and place them with
 * floorIndexAt, floorShown and floorOffset.
 */
import * as THREE from "three";
import { GLTFLoader } from "./vendor/three/examples/jsm/loaders/GLTFLoader.js";
import { OrbitControls } from "./vendor/three/examples/jsm/controls/OrbitControls.js";

const PICK_ORDER = { equipment: 0, lift_car: 0, door: 1, space: 2 };
const MERGED_KINDS = new Set(["space", "door", "outlines", "slab_edges", "stair", "shaft"]);
const POSITION_POINTS = ["position_m", "z_m", "height_m", "car_position_m"];

export function webglAvailable() {
  try {
    const c = document.createElement("canvas");
    return !!(window.WebGL2RenderingContext && c.getContext("webgl2")) || !!c.getContext("webgl");
  } catch (_) { return false; }
}

/* Line segments (LINES index) with the collinear ones joined: a segment repeated, or continuing
 * another along the same line (the same colour), is drawn once. SwiftShader pays per line (~4 µs,
 * more than a triangle): the tower's lift shafts are a box per storey whose edges repeat the next
 * storey's (6,144 shaft segments, 1,368 once joined). Done when the view changes, never per frame.
 * snapY(y), when given, moves every height first (the frame drawn while the camera moves). */
export function mergeSegments(pos, col, idx, eps = 1e-3, snapY = null) {
  if (snapY) { pos = Float32Array.from(pos); for (let k = 1; k < pos.length; k += 3) pos[k] = snapY(pos[k]); }
  const lines = new Map();
  const ax = [0, 0, 0];
  for (let s = 0; s < idx.length; s += 2) {
    const a = idx[s] * 3, b = idx[s + 1] * 3;
    let dx = pos[b] - pos[a], dy = pos[b + 1] - pos[a + 1], dz = pos[b + 2] - pos[a + 2];
    const len = Math.hypot(dx, dy, dz);
    if (!(len > 0)) continue;
    dx /= len; dy /= len; dz /= len;
    // One direction per line: its largest component positive.
    const big = Math.abs(dx) >= Math.abs(dy) ? (Math.abs(dx) >= Math.abs(dz) ? dx : dz) : (Math.abs(dy) >= Math.abs(dz) ? dy : dz);
    if (big < 0) { dx = -dx; dy = -dy; dz = -dz; }
    const ta = pos[a] * dx + pos[a + 1] * dy + pos[a + 2] * dz, tb = pos[b] * dx + pos[b + 1] * dy + pos[b + 2] * dz;
    ax[0] = pos[a] - ta * dx; ax[1] = pos[a + 1] - ta * dy; ax[2] = pos[a + 2] - ta * dz;
    const key = `${Math.round(dx * 1e4)},${Math.round(dy * 1e4)},${Math.round(dz * 1e4)},${Math.round(ax[0] * 1e3)},` +
      `${Math.round(ax[1] * 1e3)},${Math.round(ax[2] * 1e3)},${Math.round(col[a] * 1e3)},${Math.round(col[a + 1] * 1e3)},` +
      `${Math.round(col[a + 2] * 1e3)}`;
    let line = lines.get(key);
    if (!line) { line = { d: [dx, dy, dz], o: [ax[0], ax[1], ax[2]], c: [col[a], col[a + 1], col[a + 2]], spans: [] }; lines.set(key, line); }
    line.spans.push(ta < tb ? [ta, tb] : [tb, ta]);
  }
  const out = [];
  for (const line of lines.values()) {
    line.spans.sort((p, q) => p[0] - q[0]);
    let cur = null;
    for (const sp of line.spans) {
      if (cur && sp[0] <= cur[1] + eps) { if (sp[1] > cur[1]) cur[1] = sp[1]; continue; }
      if (cur) out.push(line, cur);
      cur = [sp[0], sp[1]];
    }
    if (cur) out.push(line, cur);
  }
  const n = out.length / 2;
  const p2 = new Float32Array(n * 6), c2 = new Float32Array(n * 6), i2 = new Uint32Array(n * 2);
  for (let k = 0; k < n; k++) {
    const { d, o, c } = out[2 * k], [t0, t1] = out[2 * k + 1];
    p2.set([o[0] + t0 * d[0], o[1] + t0 * d[1], o[2] + t0 * d[2], o[0] + t1 * d[0], o[1] + t1 * d[1], o[2] + t1 * d[2]], k * 6);
    c2.set([c[0], c[1], c[2], c[0], c[1], c[2]], k * 6);
    i2[2 * k] = 2 * k; i2[2 * k + 1] = 2 * k + 1;
  }
  return { pos: p2, col: c2, idx: i2 };
}

/* A geometry of {pos, col, idx} (typed arrays: positions, vertex colours, index). */
function coloured({ pos, col, idx }) {
  const g = new THREE.BufferGeometry();
  g.setAttribute("position", new THREE.BufferAttribute(pos, 3));
  g.setAttribute("color", new THREE.BufferAttribute(col, 3));
  g.setIndex(new THREE.BufferAttribute(idx, 1));
  return g;
}

/* A door leaf (viewer/gltf.py: a box of 8 corners, 12 triangles) drawn as its middle panel (4
 * corners, 2 triangles, both sides): at a building's scale the 0.15 m thickness does not show, and
 * the tower's 1,426 doors were 17,112 of its 29,836 triangles. The box stays for picking. Anything
 * else is drawn as it is. */
const LEAF = [[0, 3], [1, 2], [5, 6], [4, 7]];
function leafPanel(o) {
  const p = o.geometry.attributes.position;
  if (p.count !== 8) return o;
  const pos = new Float32Array(12);
  LEAF.forEach(([a, b], k) => {
    pos.set([(p.getX(a) + p.getX(b)) / 2, (p.getY(a) + p.getY(b)) / 2, (p.getZ(a) + p.getZ(b)) / 2], k * 3);
  });
  const g = new THREE.BufferGeometry();
  g.setAttribute("position", new THREE.BufferAttribute(pos, 3));
  g.setIndex([0, 1, 2, 0, 2, 3]);
  const panel = { geometry: g, material: o.material, matrix: o.matrix, updateMatrix: () => o.updateMatrix() };
  Object.defineProperty(panel, "visible", { set: (on) => { o.visible = on; } });
  return panel;
}

/* One building drawn in one canvas. Pure three.js: no API, no console. */
export class BuildingView {
  constructor(canvas, { onRender } = {}) {
    this.canvas = canvas;
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: false, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(1);
    this.renderer.setClearColor(0xffffff, 1);
    this.scene = new THREE.Scene();
    this.camera = new THREE.PerspectiveCamera(35, 1.5, 0.5, 5000);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.addEventListener("change", () => this.requestRender());
    // While the camera moves, the storeys are drawn as their frame only (slab edges, stair cores,
    // lift shafts, equipment, cars): room fills, walls and doors return when it stops. A software
    // renderer then turns the tower smoothly, as VTK's interactive "desired update rate" does.
    this.controls.addEventListener("start", () => { clearTimeout(this._still); this.setMoving(true); });
    this.controls.addEventListener("end", () => { clearTimeout(this._still); this._still = setTimeout(() => this.setMoving(false), 200); });
    this.onRender = onRender || (() => {});
    this.objects = new Map();    // id -> Object3D (equipment, car, space, door, zone)
    this.pickables = [];
    this.floors = [];            // [{id, elevation_m, height_m, label, group}]
    this.statuses = {};
    this.changedAt = {};
    this.mode = "all"; this.floor = null;
    this.blinking = new Set(); this.blinkOn = true;
    this.frames = 0;
    this._pending = false;
    this._raycaster = new THREE.Raycaster();
    this._raycaster.params.Line = { threshold: 0 };
  }

  async load(arrayBuffer) {
    const gltf = await new Promise((ok, fail) => new GLTFLoader().parse(arrayBuffer, "", ok, fail));
    this.info = gltf.scene.userData || {};
    this.palette = this.info.palette || {};
    this.root = gltf.scene;
    this.scene.add(this.root);
    const byFloor = new Map();
    this.root.traverse((o) => {
      const u = o.userData || {};
      if (u.kind === "floor") byFloor.set(u.id, o);
      if (["equipment", "lift_car", "space", "door", "zone"].includes(u.kind)) this.objects.set(u.id, o);
    });
    for (const f of this.info.floors || []) this.floors.push({ ...f, group: byFloor.get(f.id) });
    this.cars = [...this.objects.values()].filter((o) => o.userData.kind === "lift_car");
    this.gap = this.info.explode_gap_m || 5;
    for (const o of this.objects.values()) {
      const kind = o.userData.kind;
      if (kind === "equipment" || kind === "lift_car" || kind === "space" || kind === "door") {
        this.pickables.push(o);
      } else if (kind === "zone") {
        o.visible = false;
      }
    }
    this._mergeStoreys();
    this._buildBatch();
    this.root.updateMatrixWorld(true);
    this.bounds = new THREE.Box3().setFromObject(this.root);
    this.setView("all");
  }

  /* A software renderer pays per draw call (SwiftShader ~0.2 ms each): the rooms, doors, walls and
   * frames (slab edges, stair cores, lift shafts) of each storey are merged once into one geometry per
   * part (vertex colours), and the shown storeys' parts into one mesh per part whenever the view
   * changes — five draw calls for the whole tower. The per-object nodes stay, not drawn, for picking. */
  _mergeStoreys() {
    const v = new THREE.Vector3();
    const merge = (objs) => {
      let nv = 0, ni = 0;
      for (const o of objs) { nv += o.geometry.attributes.position.count; ni += o.geometry.index.count; }
      const pos = new Float32Array(nv * 3), col = new Float32Array(nv * 3), idx = new Uint32Array(ni);
      let vi = 0, ii = 0;
      for (const o of objs) {
        const p = o.geometry.attributes.position, ix = o.geometry.index, c = o.material.color;
        o.updateMatrix();
        for (let k = 0; k < p.count; k++) {
          v.fromBufferAttribute(p, k).applyMatrix4(o.matrix);
          pos.set([v.x, v.y, v.z], (vi + k) * 3); col.set([c.r, c.g, c.b], (vi + k) * 3);
        }
        for (let k = 0; k < ix.count; k++) idx[ii++] = ix.getX(k) + vi;
        vi += p.count;
        o.visible = false;
      }
      return { pos, col, idx };
    };
    let opacity = 0.35;
    for (const f of this.floors) {
      f.parts = {};
      if (!f.group) continue;
      const buckets = { spaces: [], doors: [], walls: [], frame: [] };
      for (const o of f.group.children) {
        const kind = o.userData.kind;
        if (!MERGED_KINDS.has(kind) || !o.geometry) continue;
        buckets[kind === "space" ? "spaces" : kind === "door" ? "doors" : kind === "outlines" ? "walls" : "frame"].push(o);
      }
      if (buckets.spaces.length) opacity = buckets.spaces[0].material.opacity;
      for (const [part, objs] of Object.entries(buckets)) if (objs.length) f.parts[part] = merge(part === "doors" ? objs.map(leafPanel) : objs);
    }
    this.partMaterials = {
      spaces: new THREE.MeshBasicMaterial({ vertexColors: true, transparent: true, opacity, side: THREE.DoubleSide,
                                            depthWrite: false }),
      doors: new THREE.MeshBasicMaterial({ vertexColors: true, side: THREE.DoubleSide }),
      walls: new THREE.LineBasicMaterial({ vertexColors: true }),
      frame: new THREE.LineBasicMaterial({ vertexColors: true }),
    };
    this.parts = {};
    this.partCounts = {};  // part -> {source, drawn}: primitives before and after merging lines
  }

  /* One mesh per part from the storeys shown now, each lifted by its storey's offset (exploded). */
  _rebuildParts() {
    this.floors.forEach((f, i) => { f.shown = this.floorShown(i); f.dz = this.floorOffset(i); });
    for (const part of ["spaces", "doors", "walls", "frame"]) {
      const chosen = this.floors.filter((f) => f.shown && f.parts && f.parts[part]);
      let nv = 0, ni = 0;
      for (const f of chosen) { nv += f.parts[part].pos.length / 3; ni += f.parts[part].idx.length; }
      const pos = new Float32Array(nv * 3), col = new Float32Array(nv * 3), idx = new Uint32Array(ni);
      let vi = 0, ii = 0;
      for (const f of chosen) {
        const src = f.parts[part], n = src.pos.length / 3;
        pos.set(src.pos, vi * 3); col.set(src.col, vi * 3);
        if (f.dz) for (let k = 0; k < n; k++) pos[(vi + k) * 3 + 1] += f.dz;
        for (let k = 0; k < src.idx.length; k++) idx[ii++] = src.idx[k] + vi;
        vi += n;
      }
      const lines = part === "walls" || part === "frame", perPrimitive = lines ? 2 : 3;
      const drawn = lines ? mergeSegments(pos, col, idx) : { pos, col, idx };
      this.partCounts[part] = { source: ni / perPrimitive, drawn: drawn.idx.length / perPrimitive };
      const m = lines ? new THREE.LineSegments(coloured(drawn), this.partMaterials[part])
        : new THREE.Mesh(coloured(drawn), this.partMaterials[part]);
      m.renderOrder = part === "spaces" ? 1 : 0;  // translucent rooms after the opaque parts
      m.visible = !this.moving;  // while the camera moves only the coarse frame is drawn (setMoving)
      this._setPart(part, m);
      if (part === "frame") this._rebuildMovingFrame(pos, col, idx);
    }
  }

  /* While the camera moves the frame is drawn coarser: every height within 0.6 m of a storey's
   * floor or ceiling level snaps to it, so a stair core's ring under a ceiling and the next
   * storey's ring over its floor become one line, and its corners one line from bottom to top
   * (the tower: 4,824 frame lines still, about half that moving). The exact frame returns when the
   * camera stops, with the room fills, walls and doors. */
  _rebuildMovingFrame(pos, col, idx) {
    const levels = [];
    this.floors.forEach((f, i) => { if (f.shown) levels.push(f.elevation_m + f.dz, f.elevation_m + f.height_m + f.dz); });
    levels.sort((a, b) => a - b);
    const snap = (y) => {
      let lo = 0, hi = levels.length - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (levels[mid] < y) lo = mid + 1; else hi = mid; }
      let best = y, gap = 0.6;
      for (const k of [lo - 1, lo]) if (k >= 0 && k < levels.length && Math.abs(levels[k] - y) <= gap) { gap = Math.abs(levels[k] - y); best = levels[k]; }
      return best;
    };
    const coarse = mergeSegments(pos, col, idx, 1e-3, snap);
    this.partCounts.frame_moving = { source: idx.length / 2, drawn: coarse.idx.length / 2 };
    const m = new THREE.LineSegments(coloured(coarse), this.partMaterials.frame);
    m.visible = !!this.moving;
    this._setPart("frame_moving", m);
  }

  /* Draw `m` as the merged part `name`, in place of the one drawn before (not pickable). */
  _setPart(name, m) {
    const old = this.parts[name];
    if (old) { this.scene.remove(old); old.geometry.dispose(); }
    m.userData = { kind: `merged_${name}` }; m.raycast = () => {};
    this.scene.add(m);
    this.parts[name] = m;
  }

  /* Equipment and lift cars are drawn as one mesh too (SwiftShader pays ~0.15 ms per draw call; the
   * tower has 121 of them): each object owns a range of its vertices, coloured by its status; a view
   * change or a car move rewrites their positions (a hidden object's collapse to one point). */
  _buildBatch() {
    const items = [...this.objects.values()].filter((o) => o.userData.kind === "equipment" || o.userData.kind === "lift_car");
    let nv = 0, ni = 0;
    for (const o of items) { nv += o.geometry.attributes.position.count; ni += o.geometry.index.count; }
    const pos = new Float32Array(nv * 3), col = new Float32Array(nv * 3), idx = new Uint32Array(ni);
    const ranges = new Map(), grey = new THREE.Color(this.palette.unknown || "#A6A6A6");
    let vi = 0, ii = 0;
    for (const o of items) {
      const g = o.geometry, n = g.attributes.position.count;
      for (let k = 0; k < g.index.count; k++) idx[ii++] = g.index.getX(k) + vi;
      for (let k = 0; k < n; k++) col.set([grey.r, grey.g, grey.b], (vi + k) * 3);
      ranges.set(o.userData.id, { start: vi, count: n, object: o, colour: grey.clone() });
      vi += n;
      o.visible = false;  // kept for picking
    }
    const geom = coloured({ pos, col, idx });
    const mesh = new THREE.Mesh(geom, new THREE.MeshBasicMaterial({ vertexColors: true }));
    mesh.frustumCulled = false; mesh.userData = { kind: "batch" }; mesh.raycast = () => {};
    this.scene.add(mesh);  // world positions, written by _syncBatch
    this.batch = { mesh, ranges, pos: geom.attributes.position, col: geom.attributes.color };
  }

  _syncBatch() {
    this.root.updateMatrixWorld(true);
    const v = new THREE.Vector3();
    for (const r of this.batch.ranges.values()) {
      const o = r.object, p = o.geometry.attributes.position, shown = this._shown(o);
      for (let k = 0; k < r.count; k++) {
        if (shown || k === 0) v.fromBufferAttribute(p, k).applyMatrix4(o.matrixWorld);
        this.batch.pos.setXYZ(r.start + k, v.x, v.y, v.z);
      }
      const halo = o.userData._halo;
      if (halo) { halo.position.copy(this.worldCentre(o)); halo.visible = shown && this.blinkOn; }
    }
    this.batch.pos.needsUpdate = true;
  }

  setMoving(on) {
    if (this.moving === on) return;
    this.moving = on;
    for (const part of ["spaces", "doors", "walls", "frame"]) if (this.parts[part]) this.parts[part].visible = !on;
    if (this.parts.frame_moving) this.parts.frame_moving.visible = on;
    this.requestRender();
  }

  get triangles() {
    let n = 0;
    this.scene.traverseVisible((o) => { if (o.isMesh && o.geometry.index) n += o.geometry.index.count / 3; });
    return n;
  }

  /* Draw at the canvas's size on the page: now (960 × 640 while it has none) and whenever it changes. */
  followCanvasSize() {
    new ResizeObserver(() => { const r = this.canvas.getBoundingClientRect(); if (r.width && r.height) this.resize(r.width, r.height); })
      .observe(this.canvas);
    const r = this.canvas.getBoundingClientRect();
    this.resize(r.width || 960, r.height || 640);
  }

  resize(width, height) {
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  requestRender() {
    if (this._pending) return;
    this._pending = true;
    requestAnimationFrame(() => { this._pending = false; this.render(); });
  }

  render() {
    this.renderer.render(this.scene, this.camera);
    this.frames++;
    this.onRender();
  }

  /* --- live state ------------------------------------------------------------------------------ */

  setStatus(id, status) {
    const o = this.objects.get(id);
    if (!o || !(o.userData.kind === "equipment" || o.userData.kind === "lift_car")) return false;
    status = this.palette[status] ? status : "unknown";
    if (this.statuses[id] === status) return false;
    this.statuses[id] = status;
    this.changedAt[id] = Date.now();  // when (epoch ms) the colour was written: tests measure the lag
    const r = this.batch.ranges.get(id);
    r.colour.set(this.palette[status]);
    for (let k = 0; k < r.count; k++) this.batch.col.setXYZ(r.start + k, r.colour.r, r.colour.g, r.colour.b);
    this.batch.col.needsUpdate = true;
    this.requestRender();
    return true;
  }

  colourOf(id) {
    const r = this.batch && this.batch.ranges.get(id), o = this.objects.get(id);
    if (r) return "#" + r.colour.getHexString();
    return o && o.material && o.material.color ? "#" + o.material.color.getHexString() : null;
  }

  /* A lift car's reported points → the height of its floor (m), as viewer/live.py car_height. */
  carHeight(values) {
    for (const k of POSITION_POINTS) if (typeof values[k] === "number") return values[k];
    const f = values.floor;
    if (f === undefined || f === null || typeof f === "boolean") return null;
    const text = String(f);
    const byId = this.floors.find((x) => x.id === text) || this.floors.find((x) => x.name === text);
    if (byId) return byId.elevation_m;
    const n = Math.trunc(Number(text));
    if (!Number.isFinite(Number(text))) return null;
    const above = this.floors.filter((x) => x.elevation_m >= 0);
    const below = this.floors.filter((x) => x.elevation_m < 0).reverse();
    if (n >= 1 && n <= above.length) return above[n - 1].elevation_m;
    if (n <= -1 && -n <= below.length) return below[-n - 1].elevation_m;
    if (n === 0 && above.length) return above[0].elevation_m;
    return null;
  }

  setCarHeight(id, z) {
    const o = this.objects.get(id);
    if (!o || o.userData.kind !== "lift_car" || !Number.isFinite(z)) return;
    o.userData.z_m = z;
    this._placeCar(o);
    this._syncBatch();
    this.requestRender();
  }

  /* The index of the storey a height (glTF y, metres, before any explode offset) stands in. */
  floorIndexAt(z) {
    let i = 0;
    this.floors.forEach((f, k) => { if (f.elevation_m <= z + 1e-6) i = k; });
    return i;
  }

  _placeCar(o) {
    const z = o.userData.z_m ?? o.position.y;
    o.userData.z_m = z;
    const fi = this.floorIndexAt(z);
    o.position.y = z + this.floorOffset(fi);
    o.userData.shown = this.floorShown(fi);
  }

  setBlinking(ids) {
    const next = new Set([...ids].filter((id) => this.objects.has(id)));
    for (const id of this.blinking) if (!next.has(id)) this._halo(id, false);
    for (const id of next) this._halo(id, true);
    this.blinking = next;
    if (next.size && !this._blinkTimer) {
      this._blinkTimer = setInterval(() => {
        this.blinkOn = !this.blinkOn;
        for (const id of this.blinking) { const o = this.objects.get(id), h = o.userData._halo; if (h) h.visible = this.blinkOn && this._shown(o); }
        this.requestRender();
      }, 500);
    } else if (!next.size && this._blinkTimer) { clearInterval(this._blinkTimer); this._blinkTimer = null; }
    this.requestRender();
  }

  _halo(id, on) {
    const o = this.objects.get(id);
    if (o.userData.kind === "zone") { o.visible = on; return; }
    if (on && !o.userData._halo) {
      o.geometry.computeBoundingSphere();
      const r = Math.max(0.6, o.geometry.boundingSphere.radius * 1.6);
      const halo = new THREE.Mesh(new THREE.SphereGeometry(r, 16, 10), new THREE.MeshBasicMaterial({
        color: this.palette.alarm || "#D7191C", wireframe: true, transparent: true, opacity: 0.9, depthTest: false }));
      halo.position.copy(this.worldCentre(o));
      halo.renderOrder = 10; halo.raycast = () => {};
      halo.visible = this._shown(o);
      this.scene.add(halo); o.userData._halo = halo;  // in the scene: the object itself is not drawn
    } else if (!on && o.userData._halo) { this.scene.remove(o.userData._halo); o.userData._halo = null; }
  }

  /* --- views ----------------------------------------------------------------------------------- */

  /* How far storey `fi` is lifted (m): its share of the gap when the building is exploded. */
  floorOffset(fi) { return this.mode === "exploded" ? fi * this.gap : 0; }

  /* Whether storey `fi` is drawn in the view chosen now. */
  floorShown(fi) {
    if (this.mode === "floor") return this.floors[fi].id === this.floor;
    if (this.mode === "cut") { const k = this.floors.findIndex((f) => f.id === this.floor); return k < 0 || fi <= k; }
    return true;
  }

  /* all | floor (one storey, plan view) | cut (this storey and those below) | exploded */
  setView(mode, floor, { fit = true } = {}) {
    this.mode = mode; this.floor = floor || this.floor || (this.floors[0] && this.floors[0].id);
    this.floors.forEach((f, i) => {
      if (!f.group) return;
      f.group.visible = this.floorShown(i);
      f.group.position.y = this.floorOffset(i);
      for (const o of f.group.children) if (o.userData.kind === "slab") o.visible = mode === "floor";
    });
    for (const c of this.cars) this._placeCar(c);
    this._syncBatch();
    this._rebuildParts();
    if (fit) this.fit(); else this.requestRender();
  }

  visibleFloorIds() { return this.floors.filter((f, i) => this.floorShown(i)).map((f) => f.id); }

  fit() {
    const box = new THREE.Box3();
    this.floors.forEach((f, i) => { if (f.group && this.floorShown(i)) box.expandByObject(f.group); });
    if (box.isEmpty()) box.setFromObject(this.root);
    const centre = box.getCenter(new THREE.Vector3());
    const radius = Math.max(1, box.getBoundingSphere(new THREE.Sphere()).radius);
    const dir = this.mode === "floor" ? new THREE.Vector3(0.25, 1.0, 0.55) : new THREE.Vector3(1.0, 0.8, 1.2);
    dir.normalize();
    const fov = THREE.MathUtils.degToRad(this.camera.fov);
    const fovMin = this.camera.aspect < 1 ? 2 * Math.atan(Math.tan(fov / 2) * this.camera.aspect) : fov;
    const dist = radius / Math.sin(fovMin / 2) * 0.92;
    this.controls.target.copy(centre);
    this.camera.position.copy(centre).addScaledVector(dir, dist);
    this.camera.near = Math.max(0.1, dist - radius * 2); this.camera.far = dist + radius * 4;
    this.camera.updateProjectionMatrix();
    this.controls.update();
    this.requestRender();
  }

  orbit(azimuthDeg, elevationDeg = 0, zoom = 1) {
    const offset = this.camera.position.clone().sub(this.controls.target);
    const s = new THREE.Spherical().setFromVector3(offset);
    s.theta += THREE.MathUtils.degToRad(azimuthDeg);
    s.phi = THREE.MathUtils.clamp(s.phi - THREE.MathUtils.degToRad(elevationDeg), 0.05, Math.PI - 0.05);
    s.radius /= zoom;
    this.camera.position.copy(this.controls.target).add(new THREE.Vector3().setFromSpherical(s));
    this.camera.lookAt(this.controls.target);
    this.controls.update();
    this.requestRender();
  }

  /* --- picking and projection ------------------------------------------------------------------ */

  pick(clientX, clientY) {
    this.camera.updateMatrixWorld();  // a view just changed is not drawn yet: pick in it all the same
    const r = this.canvas.getBoundingClientRect();
    const ndc = new THREE.Vector2(((clientX - r.left) / r.width) * 2 - 1, -((clientY - r.top) / r.height) * 2 + 1);
    this._raycaster.setFromCamera(ndc, this.camera);
    const hits = this._raycaster.intersectObjects(this.pickables, false).filter((h) => this._shown(h.object));
    hits.sort((a, b) => (PICK_ORDER[a.object.userData.kind] - PICK_ORDER[b.object.userData.kind]) || (a.distance - b.distance));
    return hits.length ? hits[0].object.userData : null;
  }

  _shown(o) {
    if (o.userData.kind === "lift_car") return o.userData.shown !== false;
    const fi = this.floors.findIndex((f) => f.id === o.userData.floor);
    return fi < 0 || this.floorShown(fi);
  }

  /* Client (page) coordinates of an object's centre, and whether it is in view. */
  screenOf(id) {
    const o = this.objects.get(id);
    if (!o) return null;
    this.camera.updateMatrixWorld();  // as pick: the camera as it is now, drawn or not
    const p = this.worldCentre(o).project(this.camera);
    const r = this.canvas.getBoundingClientRect();
    return { x: r.left + (p.x + 1) / 2 * r.width, y: r.top + (1 - p.y) / 2 * r.height,
             visible: this._shown(o) && Math.abs(p.x) <= 1 && Math.abs(p.y) <= 1 && p.z < 1 };
  }

  worldCentre(o) {
    o.updateWorldMatrix(true, false);
    o.geometry.computeBoundingBox();
    return o.geometry.boundingBox.getCenter(new THREE.Vector3()).applyMatrix4(o.matrixWorld);
  }
}
