/* The live building in 3D, drawn by the browser (issue 15, section 1).
 *
 * The server sends the building once as binary glTF (GET /twin/scene.glb, made by viewer/gltf.py
 * from the same scene the desktop and off-screen views build); three.js (vendored, pinned:
 * vendor/three/VERSION) draws it here with WebGL through view3d.js's BuildingView (load, merge,
 * draw on demand, views, pick — shared with evacuation playback, playback3d.js). Hover shows an
 * object's name and floor, a click opens its card (live values and open alarms from the HTTP API).
 * Status colours and lift car heights follow the API's WebSocket stream (/twin/stream) — the
 * server renders nothing per change — and alarms blink where they are. A storey can be isolated
 * (plan view with room names), the storeys above one cut away, the building pulled apart
 * (exploded) and fitted to the view.
 *
 * This file is the console glue: it takes over the live tab when WebGL is there and leaves the
 * server-rendered picture as the fallback when it is not.
 */
import * as THREE from "three";
import { BuildingView, webglAvailable } from "./view3d.js";

/* ------------------------------------------------------------------------------------------------
 * The console's live tab on top of BuildingView (uses console.js's globals: S, api, t, L, esc, $, $$,
 * fmt, fmtTime, renderLegend, openEquipment; dashboard.js's systemLabel, equipmentKindLabel, spaceKindLabel).
 * ---------------------------------------------------------------------------------------------- */

const live = { view: null, active: false, ws: null, alarms: [], labels: null, card: null, log: [] };
// "#render=server" in the console's address keeps the server-rendered picture (read now: console.js
// clears the address's hash once it has taken the token from it).
const SERVER_PICTURE = new URLSearchParams(location.hash.slice(1)).get("render") === "server";

function floorWords(fid) {
  const f = live.view.floors.find((x) => x.id === fid);
  return f ? (f.label && f.label[S.lang]) || f.name || f.id : fid || "";
}

/* What a picked object is: a piece of equipment by its kind and system ("消防稳压泵 · 水泵", from
 * dashboard.js's equipmentKindLabel and systemLabel), anything else by its object kind. */
function kindWords(kind, u) {
  if (kind === "equipment" && u && u.equipment_kind) return `${equipmentKindLabel(u.equipment_kind)} · ${systemLabel(u.system)}`;
  return t(`scene3d.kind.${kind}`);
}

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
    if (!v.floorShown(i) || v.mode === "floor") return;
    items.push({ key: `f:${f.id}`, cls: "floor", text: floorWords(f.id),
                 at: new THREE.Vector3(box.min.x - 1, f.elevation_m + f.height_m / 2 + v.floorOffset(i), box.max.z + 1) });
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
    <p class="hint">${esc(kindWords(u.kind, u))} · ${esc(floorWords(u.floor))}</p>`;
  let body = "";
  if (u.kind === "equipment" || u.kind === "lift_car") {
    let e = null;
    try { e = await api(`/twin/equipment/${encodeURIComponent(id)}`); } catch (err) { body = `<p class="warn">${esc(err.message)}</p>`; }
    if (e) {
      const st = e.status || "unknown";
      body = `<p><span class="swatch" style="background:${esc(live.view.palette[st] || "#ccc")}"></span>
          <span class="status" data-status="${esc(st)}">${esc(t("status." + st))}</span></p>
        <table class="grid values"><tbody>${Object.entries(e.values || {}).map(([k, v]) =>
          `<tr data-point="${esc(k)}"><td title="${esc(k)}">${esc(pointLabel(k))}</td><td class="${typeof v === "number" ? "num" : ""}">${esc(pointValueText(k, v))}</td></tr>`).join("")}</tbody></table>`;
      const point = Object.keys(e.values || {}).find((k) => typeof e.values[k] === "number");
      if (point) body += `<h4>${esc(t("scene3d.last_hour"))}: ${esc(pointLabel(point))}</h4>${await lastHour(id, point)}`;
    }
  } else if (u.kind === "space") {
    const inside = [...live.view.objects.values()].filter((x) => x.userData.kind === "equipment" && x.userData.location === id);
    body = `<p>${esc(t("scene3d.space_kind"))}: <span class="space-kind" data-space-kind="${esc(u.space_kind || "")}">${esc(spaceKindLabel(u.space_kind))}</span></p>` + (inside.length ? `<ul class="in-space">${inside.map((x) =>
      `<li><a href="#" data-open="${esc(x.userData.id)}">${esc(x.userData.name)}</a> — ${esc(t("status." + (live.view.statuses[x.userData.id] || "unknown")))}</li>`).join("")}</ul>` : "");
  } else if (u.kind === "door") {
    body = `<p>${esc(t("scene3d.between"))}: ${(u.between || []).map((s) => esc(live.view.objects.get(s)?.userData.name || s)).join(" ↔ ")}
      ${u.fire_door ? ` · ${esc(t("scene3d.fire_door"))}` : ""}</p>`;
  }
  const here = new Set([id]);  // a room's card lists the alarms of the equipment in it
  if (u.kind === "space") for (const x of live.view.objects.values()) if (x.userData.location === id) here.add(x.userData.id);
  const mine = live.alarms.filter((a) => here.has(a.device));
  const alarms = `<h4>${esc(t("scene3d.open_alarms"))}</h4>` + (mine.length ? `<ul class="card-alarms">${mine.map((a) =>
    `<li data-alarm="${esc(a.id)}"><span class="badge sev-${esc(a.severity)}">${esc(t("severity." + a.severity))}</span> ${esc(alarmText(a))}
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
    svg = pts.length > 1 ? `<div class="card-chart">${lineChart(pts, pointLabel(point), 270, 120)}</div>` : `<p class="hint">${esc(t("equipment.no_history"))}</p>`;
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
  live.view.followCanvasSize();
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
