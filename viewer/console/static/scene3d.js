/* The live building in 3D, drawn by the browser (issue 15, section 1).
 *
 * The server sends the building once as binary glTF (GET /twin/scene.glb, made by viewer/gltf.py
 * from the same scene the desktop and off-screen views build); three.js (vendored, pinned:
 * vendor/three/VERSION) draws it here with WebGL. Every equipment item, lift car, space and door
 * is a node carrying {id, kind, floor, name} in its userData: hover shows its name and floor, a
 * click opens its card (live values and open alarms from the HTTP API). Status colours and lift
 * car heights follow the API's WebSocket stream (/twin/stream) — the server renders nothing per
 * change — and alarms blink where they are. A storey can be isolated (plan view with room names),
 * the storeys above one cut away, the building pulled apart (exploded) and fitted to the view.
 *
 * Two layers: BuildingView (three.js only: load, draw, colour, views, pick; the benchmark uses it
 * alone) and the console glue below it, which takes over the live tab when WebGL is there and
 * leaves the server-rendered picture as the fallback when it is not.
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
      for (const [part, objs] of Object.entries(buckets)) if (objs.length) f.parts[part] = merge(objs);
    }
    this.partMaterials = {
      spaces: new THREE.MeshBasicMaterial({ vertexColors: true, transparent: true, opacity, side: THREE.DoubleSide,
                                            depthWrite: false }),
      doors: new THREE.MeshBasicMaterial({ vertexColors: true }),
      walls: new THREE.LineBasicMaterial({ vertexColors: true }),
      frame: new THREE.LineBasicMaterial({ vertexColors: true }),
    };
    this.parts = {};
  }

  /* One mesh per part from the storeys shown now, each lifted by its storey's offset (exploded). */
  _rebuildParts() {
    this.floors.forEach((f, i) => { f.shown = this._floorShown(i); f.dz = this._dz(i); });
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
      const old = this.parts[part];
      if (old) { this.scene.remove(old); old.geometry.dispose(); }
      const g = new THREE.BufferGeometry();
      g.setAttribute("position", new THREE.BufferAttribute(pos, 3));
      g.setAttribute("color", new THREE.BufferAttribute(col, 3));
      g.setIndex(new THREE.BufferAttribute(idx, 1));
      const m = part === "walls" || part === "frame" ? new THREE.LineSegments(g, this.partMaterials[part])
        : new THREE.Mesh(g, this.partMaterials[part]);
      m.userData = { kind: `merged_${part}` }; m.raycast = () => {};
      m.renderOrder = part === "spaces" ? 1 : 0;  // translucent rooms after the opaque parts
      m.visible = !(this.moving && part !== "frame");
      this.scene.add(m);
      this.parts[part] = m;
    }
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
    const geom = new THREE.BufferGeometry();
    geom.setAttribute("position", new THREE.BufferAttribute(pos, 3));
    geom.setAttribute("color", new THREE.BufferAttribute(col, 3));
    geom.setIndex(new THREE.BufferAttribute(idx, 1));
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
    for (const part of ["spaces", "doors", "walls"]) if (this.parts[part]) this.parts[part].visible = !on;
    this.requestRender();
  }

  get triangles() {
    let n = 0;
    this.scene.traverseVisible((o) => { if (o.isMesh && o.geometry.index) n += o.geometry.index.count / 3; });
    return n;
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

  _floorIndexAt(z) {
    let i = 0;
    this.floors.forEach((f, k) => { if (f.elevation_m <= z + 1e-6) i = k; });
    return i;
  }

  _placeCar(o) {
    const z = o.userData.z_m ?? o.position.y;
    o.userData.z_m = z;
    const fi = this._floorIndexAt(z);
    o.position.y = z + this._dz(fi);
    o.userData.shown = this._floorShown(fi);
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

  _dz(fi) { return this.mode === "exploded" ? fi * this.gap : 0; }

  _floorShown(fi) {
    if (this.mode === "floor") return this.floors[fi].id === this.floor;
    if (this.mode === "cut") { const k = this.floors.findIndex((f) => f.id === this.floor); return k < 0 || fi <= k; }
    return true;
  }

  /* all | floor (one storey, plan view) | cut (this storey and those below) | exploded */
  setView(mode, floor, { fit = true } = {}) {
    this.mode = mode; this.floor = floor || this.floor || (this.floors[0] && this.floors[0].id);
    this.floors.forEach((f, i) => {
      if (!f.group) return;
      f.group.visible = this._floorShown(i);
      f.group.position.y = this._dz(i);
      for (const o of f.group.children) if (o.userData.kind === "slab") o.visible = mode === "floor";
    });
    for (const c of this.cars) this._placeCar(c);
    this._syncBatch();
    this._rebuildParts();
    if (fit) this.fit(); else this.requestRender();
  }

  visibleFloorIds() { return this.floors.filter((f, i) => this._floorShown(i)).map((f) => f.id); }

  fit() {
    const box = new THREE.Box3();
    this.floors.forEach((f, i) => { if (f.group && this._floorShown(i)) box.expandByObject(f.group); });
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
    return fi < 0 || this._floorShown(fi);
  }

  /* Client (page) coordinates of an object's centre, and whether it is in view. */
  screenOf(id) {
    const o = this.objects.get(id);
    if (!o) return null;
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

/* ------------------------------------------------------------------------------------------------
 * The console's live tab on top of BuildingView (uses console.js's globals: S, api, t, L, esc, $, $$,
 * fmt, fmtTime, renderLegend, openEquipment).
 * ---------------------------------------------------------------------------------------------- */

const live = { view: null, active: false, ws: null, alarms: [], labels: null, card: null, log: [] };
// "#render=server" in the console's address keeps the server-rendered picture (read now: console.js
// clears the address's hash once it has taken the token from it).
const SERVER_PICTURE = new URLSearchParams(location.hash.slice(1)).get("render") === "server";

function floorWords(fid) {
  const f = live.view.floors.find((x) => x.id === fid);
  return f ? (f.label && f.label[S.lang]) || f.name || f.id : fid || "";
}

function kindWords(kind) { return t(`scene3d.kind.${kind}`); }

function countsOf() {
  const counts = {};
  for (const o of live.view.objects.values()) {
    const k = o.userData.kind;
    if (k !== "equipment" && k !== "lift_car") continue;
    const s = live.view.statuses[o.userData.id] || "unknown";
    counts[s] = (counts[s] || 0) + 1;
  }
  return counts;
}

function applyState(snapshot) {
  const eq = snapshot.equipment || {};
  for (const [id, e] of Object.entries(eq)) {
    live.view.setStatus(id, e.status);
    if (live.view.objects.get(id)?.userData.kind === "lift_car") {
      const z = live.view.carHeight(e.values || {});
      if (z !== null) live.view.setCarHeight(id, z);
    }
  }
  if (snapshot.alarms) setAlarms(snapshot.alarms);
  renderLegend(countsOf());
}

function setAlarms(alarms) {
  live.alarms = alarms.filter((a) => a.active !== false);
  const ids = new Set();
  for (const a of live.alarms) { if (a.device) ids.add(a.device); if (a.zone) ids.add(a.zone); }
  live.view.setBlinking(ids);
  if (live.card) showCard(live.card, true);
}

async function refreshAlarms() {
  try { setAlarms((await api("/twin/alarms?state=open&limit=1000")).alarms || []); } catch (_) { /* next time */ }
}

function stream() {
  if (live.ws || !S.token) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/twin/stream?topics=state,alarm&token=${encodeURIComponent(S.token)}`);
  live.ws = ws;
  let alarmTimer = null;
  ws.onmessage = (e) => {
    let ev; try { ev = JSON.parse(e.data); } catch (_) { return; }
    live.log.push({ at_ms: Date.now(), type: ev.type, equipment: ev.equipment, status: ev.status });
    if (live.log.length > 100) live.log.shift();
    if (ev.type === "snapshot") applyState(ev.state || {});
    else if (ev.type === "state") {
      live.view.setStatus(ev.equipment, ev.status);
      if (live.view.objects.get(ev.equipment)?.userData.kind === "lift_car") {
        const z = live.view.carHeight(ev.values || {});
        if (z !== null) live.view.setCarHeight(ev.equipment, z);
      }
      renderLegend(countsOf());
      if (live.card && live.card === ev.equipment) showCard(live.card, true);
    } else if (ev.type === "alarm" || ev.type === "dropped") {
      clearTimeout(alarmTimer); alarmTimer = setTimeout(refreshAlarms, 100);
    }
    $("#live-updated").textContent = t("live.updated", { time: new Date().toLocaleTimeString(S.lang) });
  };
  ws.onclose = () => { if (live.ws === ws) live.ws = null; if (S.token && live.active) setTimeout(stream, 3000); };
}

/* Staleness needs no message: the whole state is read again every 5 s (JSON, no picture). */
async function poll() {
  if (!live.active || S.tab !== "live") return;
  try { applyState(await api("/twin/state")); } catch (_) { /* the stream carries on */ }
}

/* --- labels: storeys always; rooms in the one-storey view ------------------------------------- */

function placeLabels() {
  const layer = live.labels;
  if (!layer || !live.view) return;
  const v = live.view, cam = v.camera, w = v.canvas.clientWidth, h = v.canvas.clientHeight;
  const items = [];
  const box = v.bounds;
  v.floors.forEach((f, i) => {
    if (!v._floorShown(i) || v.mode === "floor") return;
    items.push({ key: `f:${f.id}`, cls: "floor", text: floorWords(f.id),
                 at: new THREE.Vector3(box.min.x - 1, f.elevation_m + f.height_m / 2 + v._dz(i), box.max.z + 1) });
  });
  if (v.mode === "floor") {
    for (const o of v.objects.values()) {
      const u = o.userData;
      if (u.kind !== "space" || u.floor !== v.floor || u.void) continue;
      items.push({ key: `r:${u.id}`, cls: "room", text: (u.label && u.label[S.lang]) || u.name, at: v.worldCentre(o) });
    }
  }
  const seen = new Set();
  for (const it of items) {
    const p = it.at.clone().project(cam);
    let el = layer.querySelector(`[data-key="${CSS.escape(it.key)}"]`);
    if (!el) { el = document.createElement("span"); el.dataset.key = it.key; el.className = `scene3d-label ${it.cls}`; layer.appendChild(el); }
    if (el.textContent !== it.text) el.textContent = it.text;
    el.style.left = `${((p.x + 1) / 2) * w}px`; el.style.top = `${((1 - p.y) / 2) * h}px`;
    el.hidden = p.z > 1 || Math.abs(p.x) > 1.05 || Math.abs(p.y) > 1.05;
    seen.add(it.key);
  }
  for (const el of [...layer.children]) if (!seen.has(el.dataset.key)) el.remove();
}

/* --- hover and card ------------------------------------------------------------------------- */

function hover(e) {
  const tip = $("#scene3d-tip");
  const u = live.view.pick(e.clientX, e.clientY);
  if (!u) { tip.hidden = true; live.view.canvas.style.cursor = "grab"; return; }
  const vp = $("#live-viewport").getBoundingClientRect();
  tip.textContent = `${u.name || u.id} · ${floorWords(u.floor)}`;
  tip.dataset.id = u.id;
  tip.style.left = `${e.clientX - vp.left + 14}px`; tip.style.top = `${e.clientY - vp.top + 10}px`;
  tip.hidden = false;
  live.view.canvas.style.cursor = "pointer";
}

async function showCard(id, quiet) {
  live.card = id;
  const card = $("#scene3d-card");
  const o = live.view.objects.get(id);
  if (!o) return;
  const u = o.userData;
  card.dataset.id = id; card.dataset.kind = u.kind; card.hidden = false;
  const head = `<button class="close" title="${esc(t("scene3d.close"))}">×</button>
    <h3>${esc(u.name || id)} <small>${esc(id)}</small></h3>
    <p class="hint">${esc(kindWords(u.kind))} · ${esc(floorWords(u.floor))}</p>`;
  let body = "";
  if (u.kind === "equipment" || u.kind === "lift_car") {
    let e = null;
    try { e = await api(`/twin/equipment/${encodeURIComponent(id)}`); } catch (err) { body = `<p class="warn">${esc(err.message)}</p>`; }
    if (e) {
      const st = e.status || "unknown";
      body = `<p><span class="swatch" style="background:${esc(live.view.palette[st] || "#ccc")}"></span>
          <span class="status" data-status="${esc(st)}">${esc(t("status." + st))}</span></p>
        <table class="grid values"><tbody>${Object.entries(e.values || {}).map(([k, v]) =>
          `<tr data-point="${esc(k)}"><td>${esc(k)}</td><td class="num">${esc(fmt(v))}</td></tr>`).join("")}</tbody></table>`;
      const point = Object.keys(e.values || {}).find((k) => typeof e.values[k] === "number");
      if (point) body += `<h4>${esc(t("scene3d.last_hour"))}: ${esc(point)}</h4>${await lastHour(id, point)}`;
    }
  } else if (u.kind === "space") {
    const inside = [...live.view.objects.values()].filter((x) => x.userData.kind === "equipment" && x.userData.location === id);
    body = `<p>${esc(t("scene3d.space_kind"))}: ${esc(u.space_kind || "")}</p>` + (inside.length ? `<ul class="in-space">${inside.map((x) =>
      `<li><a href="#" data-open="${esc(x.userData.id)}">${esc(x.userData.name)}</a> — ${esc(t("status." + (live.view.statuses[x.userData.id] || "unknown")))}</li>`).join("")}</ul>` : "");
  } else if (u.kind === "door") {
    body = `<p>${esc(t("scene3d.between"))}: ${(u.between || []).map((s) => esc(live.view.objects.get(s)?.userData.name || s)).join(" ↔ ")}
      ${u.fire_door ? ` · ${esc(t("scene3d.fire_door"))}` : ""}</p>`;
  }
  const here = new Set([id]);  // a room's card lists the alarms of the equipment in it
  if (u.kind === "space") for (const x of live.view.objects.values()) if (x.userData.location === id) here.add(x.userData.id);
  const mine = live.alarms.filter((a) => here.has(a.device));
  const alarms = `<h4>${esc(t("scene3d.open_alarms"))}</h4>` + (mine.length ? `<ul class="card-alarms">${mine.map((a) =>
    `<li data-alarm="${esc(a.id)}"><span class="badge sev-${esc(a.severity)}">${esc(t("severity." + a.severity))}</span> ${esc(a.message || "")}
     <small>${esc(fmtTime(a.raised_ms))}</small></li>`).join("")}</ul>` : `<p class="hint">${esc(t("alarms.none"))}</p>`);
  const more = (u.kind === "equipment" || u.kind === "lift_car") ? `<p><a href="#" data-open="${esc(id)}">${esc(t("scene3d.details"))}</a></p>` : "";
  if (live.card !== id) return;  // another click meanwhile
  card.innerHTML = head + body + alarms + more;
  card.querySelector(".close").onclick = () => { card.hidden = true; live.card = null; };
  for (const a of card.querySelectorAll("[data-open]")) a.onclick = (ev) => { ev.preventDefault(); openEquipment(a.dataset.open); };
  if (!quiet) card.scrollTop = 0;
}

/* The card's chart of a point's last hour (GET .../history), kept 15 s: the card is redrawn on
 * every state change of its object. */
const charts = new Map();
async function lastHour(id, point) {
  const key = `${id}/${point}`, known = charts.get(key);
  if (known && performance.now() - known.at < 15000) return known.svg;
  let svg = "";
  try {
    const h = await api(`/twin/equipment/${encodeURIComponent(id)}/history?point=${encodeURIComponent(point)}&max_points=120`);
    const pts = (h.samples || []).filter((x) => typeof x.value === "number").map((x) => [x.ts_ms, x.value]);
    svg = pts.length > 1 ? `<div class="card-chart">${lineChart(pts, point, 270, 120)}</div>` : `<p class="hint">${esc(t("equipment.no_history"))}</p>`;
  } catch (_) { svg = ""; }
  if (svg.includes("<svg")) charts.set(key, { at: performance.now(), svg });  // no data yet: ask again next time
  return svg;
}

/* --- taking over the live tab ------------------------------------------------------------- */

function wire() {
  const v = live.view;
  $("#live-mode").onchange = (e) => { S.cam.mode = e.target.value; v.setView(S.cam.mode, S.cam.floor); };
  $("#live-floor").onchange = (e) => { S.cam.floor = e.target.value; if (S.cam.mode !== "all" && S.cam.mode !== "exploded") v.setView(S.cam.mode, S.cam.floor); };
  for (const b of $$("[data-cam]")) b.onclick = () => ({
    left: () => v.orbit(-20), right: () => v.orbit(20), up: () => v.orbit(0, 10), down: () => v.orbit(0, -10),
    in: () => v.orbit(0, 0, 1.25), out: () => v.orbit(0, 0, 1 / 1.25), reset: () => v.fit(), fit: () => v.fit() })[b.dataset.cam]();
  const c = v.canvas;
  // The canvas handles its own pointer and wheel: the picture's drag-to-turn on the viewport must not see them.
  for (const type of ["pointerdown", "pointerup", "pointermove", "wheel"]) c.addEventListener(type, (e) => e.stopPropagation());
  let down = null;
  c.addEventListener("pointerdown", (e) => { down = { x: e.clientX, y: e.clientY }; });
  c.addEventListener("pointerup", (e) => {
    if (down && Math.abs(e.clientX - down.x) + Math.abs(e.clientY - down.y) <= 4) {
      const u = v.pick(e.clientX, e.clientY);
      if (u) showCard(u.id); else { $("#scene3d-card").hidden = true; live.card = null; }
    }
    down = null;
  });
  c.addEventListener("pointermove", (e) => { if (!e.buttons) hover(e); });
  c.addEventListener("pointerleave", () => { $("#scene3d-tip").hidden = true; });
  new ResizeObserver(() => { const r = c.getBoundingClientRect(); if (r.width && r.height) v.resize(r.width, r.height); }).observe(c);
  // console.js sets <html lang> once a language's labels are in: redraw the words this view shows.
  new MutationObserver(() => {
    $("#scene3d-tip").hidden = true;
    placeLabels();
    if (live.card) showCard(live.card, true);
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
}

async function start() {
  if (live.view || SERVER_PICTURE || !webglAvailable()) return false;
  const vp = $("#live-viewport");
  const canvas = document.createElement("canvas");
  canvas.id = "scene3d-canvas";
  const labels = document.createElement("div"); labels.id = "scene3d-labels";
  const tip = document.createElement("div"); tip.id = "scene3d-tip"; tip.hidden = true;
  const card = document.createElement("div"); card.id = "scene3d-card"; card.hidden = true;
  vp.append(canvas, labels, tip, card);
  live.labels = labels;
  const started = performance.now();
  try {
    const res = await api("/twin/scene.glb", { raw: true });
    const view = new BuildingView(canvas, { onRender: placeLabels });
    await view.load(await res.arrayBuffer());
    live.view = view;
  } catch (e) {
    canvas.remove(); labels.remove(); tip.remove(); card.remove();
    if (e.status === 503) $("#live-updated").textContent = t("live.not_running");
    return false;
  }
  live.active = true;
  vp.classList.add("webgl");
  $("#live-img").hidden = true; $("#live-marker").hidden = true;
  const r = canvas.getBoundingClientRect();
  live.view.resize(r.width || 960, r.height || 640);
  live.view.setView(S.cam.mode, S.cam.floor);
  for (const el of $$('#live-mode option[value=cut], [data-cam=fit], #scene3d-hint')) el.hidden = false;
  wire();
  live.loadMs = performance.now() - started;
  vp.dataset.scene3d = "ready";
  stream();
  await poll();
  setInterval(poll, 5000);
  return true;
}

window.Scene3D = {
  start, webglAvailable,
  get active() { return live.active; },
  get view() { return live.view; },
  get loadMs() { return live.loadMs; },
  get log() { return live.log; },  // the last 100 stream events (type, equipment, status, when)
  /* What tests and the console read: an object's colour now, its place on the page, the card. */
  colourOf: (id) => live.view && live.view.colourOf(id),
  screenOf: (id) => live.view && live.view.screenOf(id),
  visibleFloors: () => live.view ? live.view.visibleFloorIds() : [],
  showCard,
};
window.dispatchEvent(new Event("scene3d-loaded"));
