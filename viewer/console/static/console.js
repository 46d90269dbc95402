/* Building Twin web console: plain browser JavaScript, no framework, nothing from the internet.
 *
 * It talks to the server it came from: the HTTP API (/twin, /scenarios, /runs, /models) with the
 * user's API token, and the console's render API (/console/api) for the 3D pictures, which the
 * server draws with pyvista. Labels come from /console/api/i18n/{lang} (English, 简体中文).
 */
"use strict";

const S = {
  token: localStorage.getItem("twin.token") || "",
  lang: localStorage.getItem("twin.lang") || ((navigator.language || "en").toLowerCase().startsWith("zh") ? "zh-CN" : "en"),
  labels: {},
  palette: {},
  info: null,
  tab: "live",
  cam: { mode: "all", floor: "", az: 0, el: 0, zoom: 1 },
  liveVersion: -1, liveShownKey: "", liveBusy: false, liveUrl: null, liveTimer: null,
  statuses: {},
  equipmentSelected: null,
  runs: [],
  scenarioSelected: null,
  pb: { run: null, duration: 0, t: 0, playing: false, busy: false, url: null, mode: "all", floor: "", pending: false },
  timers: [],
};

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

function t(key, values) {
  let text = S.labels[key] || key;
  if (values) for (const [k, v] of Object.entries(values)) text = text.replaceAll(`{${k}}`, v);
  return text;
}

function fmt(v, digits) {
  if (v === null || v === undefined || (typeof v === "number" && !isFinite(v))) return "—";
  if (typeof v !== "number") return String(v);
  const a = Math.abs(v);
  const d = digits ?? (a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3);
  return v.toLocaleString(S.lang, { maximumFractionDigits: d, minimumFractionDigits: 0 });
}
function fmtTime(ms) { return ms ? new Date(ms).toLocaleString(S.lang) : "—"; }
function clock(s) { s = Math.max(0, Math.round(s)); return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`; }

function message(text, kind) {
  const m = $("#message");
  if (!text) { m.hidden = true; return; }
  m.textContent = text; m.className = kind || ""; m.hidden = false;
}

class ApiError extends Error { constructor(status, msg) { super(msg); this.status = status; } }

async function api(path, opts = {}) {
  const headers = Object.assign({}, opts.headers || {});
  if (S.token) headers["Authorization"] = `Bearer ${S.token}`;
  if (opts.json !== undefined) { headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(opts.json); }
  const res = await fetch(path, { method: opts.method || "GET", headers, body: opts.body, cache: "no-store" });
  if (!res.ok) {
    let msg = `${res.status} ${res.statusText}`;
    try {
      const body = await res.json();
      if (Array.isArray(body.detail)) msg = body.detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
      else if (body.detail) msg = String(body.detail);
    } catch (_) { /* not JSON */ }
    if (res.status === 401) signOut();
    throw new ApiError(res.status, msg);
  }
  if (opts.raw) return res;
  const type = res.headers.get("content-type") || "";
  return type.includes("json") ? res.json() : res.text();
}

async function imageInto(img, path, urlKey, holder) {
  const res = await api(path, { raw: true });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  await new Promise((ok) => { img.onload = ok; img.onerror = ok; img.src = url; });
  if (holder[urlKey]) URL.revokeObjectURL(holder[urlKey]);
  holder[urlKey] = url;
  return res;
}

/* --- language ---------------------------------------------------------------------------- */

async function loadLanguage(lang) {
  const body = await api(`/console/api/i18n/${encodeURIComponent(lang)}`);
  S.lang = body.language; S.labels = body.labels;
  localStorage.setItem("twin.lang", S.lang);
  document.documentElement.lang = S.lang;
  $("#lang").value = S.lang;
  for (const el of $$("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of $$("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of $$("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  document.title = t("app.title");
  renderWho();
  if (S.forecastFigures) S.forecastFigures.clear();
  relabelFloors();
  if (S.info) { renderLegend(); S.liveShownKey = ""; refreshTab(); }
  // The open equipment's detail line (its kind, system and storey) in the new language too.
  const shown = $("#equipment-detail") && $("#equipment-detail").dataset.id;
  if (S.info && S.tab === "equipment" && shown) showEquipment(shown);
}

/* --- sign in ----------------------------------------------------------------------------- */

/* The header says which building this console is for and who is signed in (GET /tokens/me). */
function renderWho() {
  const who = $("#who");
  if (!who) return;
  if (!S.me && !S.building) { who.innerHTML = ""; return; }
  who.innerHTML = `${S.building ? `<span id="who-building" title="${esc(S.building.id)}">${esc(t("app.building", { name: S.building.name || S.building.id }))}</span>` : ""}
    ${S.me ? `<span id="who-token" data-role="${esc(S.me.role)}" title="${esc(S.me.id)}">${esc(t("app.who", { name: S.me.name || S.me.id, role: S.labels["role." + S.me.role] ? t("role." + S.me.role) : S.me.role }))}</span>` : ""}`;
}

async function loadWho() {
  S.me = await api("/tokens/me").catch(() => null);
  S.building = null;
  try {
    const info = S.info || await api("/console/api/live/info");
    S.building = info.building || null;
  } catch (_) {
    try {
      const all = await api("/buildings");
      const live = all.find((b) => b.live) || (all.length === 1 ? all[0] : null);
      S.building = live ? { id: live.id, name: live.name } : null;
    } catch (_) { S.building = null; }
  }
  renderWho();
}

function signOut() {
  S.token = ""; S.me = null; S.building = null; localStorage.removeItem("twin.token");
  if (S.alarmSocket) { const ws = S.alarmSocket; S.alarmSocket = null; ws.close(); }
  $("#app").hidden = true; $("#login").hidden = false; $("#sign-out").hidden = true; $("#who").textContent = "";
}

async function signIn(token) {
  S.token = token.trim();
  try {
    await api("/health");
    localStorage.setItem("twin.token", S.token);
    await api("/runs?limit=1");
    $("#login").hidden = true; $("#app").hidden = false; $("#sign-out").hidden = false;
    message("");
    await startApp();
  } catch (e) {
    message(`${t("app.error")}: ${e.message}`);
    if (e.status === 401) signOut();
  }
}

/* --- tabs -------------------------------------------------------------------------------- */

function showTab(name) {
  S.tab = name;
  for (const b of $$("#tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const s of $$(".tab")) s.hidden = s.id !== `tab-${name}`;
  if (name !== "playback") pausePlayback();
  refreshTab();
}

function refreshTab() {
  ({ live: refreshLive, alarms: loadAlarms, equipment: loadEquipment, scenarios: loadScenarios,
     runs: loadRuns, playback: loadPlaybackChoices }[S.tab]
   || (window.TAB_LOADERS || {})[S.tab] || (() => {}))(true);  // TAB_LOADERS: tabs of dashboard.js, compare.js
}

/* --- live 3D ----------------------------------------------------------------------------- */

function camParams(c, vp) {
  const box = vp.getBoundingClientRect();
  const w = Math.max(64, Math.min(1920, Math.round(box.width || 960)));
  const h = Math.max(64, Math.min(1200, Math.round(box.height || 640)));
  const q = new URLSearchParams({ w, h, mode: c.mode, az: c.az.toFixed(1), el: c.el.toFixed(1), zoom: c.zoom.toFixed(3), lang: S.lang });
  if (c.mode === "floor" && c.floor) q.set("floor", c.floor);
  return q;
}

async function loadInfo() {
  S.info = await api("/console/api/live/info");
  S.palette = S.info.palette || {};
  for (const sel of ["#live-floor", "#playback-floor"]) {
    $(sel).innerHTML = floorOptions(S.info.floors);
  }
  const mid = S.info.floors[Math.floor(S.info.floors.length / 2)];
  if (mid) { S.cam.floor = mid.id; $("#live-floor").value = mid.id; }
  renderLegend();
}

function floorOptions(floors) {
  return (floors || []).map((f) => `<option value="${esc(f.id)}">${esc(L(f.label) || f.name)}</option>`).join("");
}

function relabelFloors() {
  for (const [sel, floors] of [["#live-floor", S.info && S.info.floors], ["#playback-floor", S.pb.floors]]) {
    if (!floors) continue;
    const chosen = $(sel).value;
    $(sel).innerHTML = floorOptions(floors);
    if (chosen) $(sel).value = chosen;
  }
}

function renderLegend(counts) {
  counts = counts || S.lastCounts || {};
  S.lastCounts = counts;
  const order = ["ok", "warning", "alarm", "offline", "stale", "unknown"];
  $("#live-legend").innerHTML = order.map((s) => `<li><span class="swatch" style="background:${esc(S.palette[s] || "#ccc")}"></span>
      <span>${esc(t("status." + s))}</span> <b>${counts[s] || 0}</b></li>`).join("");
}

async function refreshLive(force) {
  if (window.Scene3D && Scene3D.active) return;  // drawn in the browser (scene3d.js): no server picture
  if (!S.info || S.liveBusy) return;
  S.liveBusy = true;
  try {
    const v = await api("/console/api/live/version");
    renderLegend(v.counts);
    const q = camParams(S.cam, $("#live-viewport"));
    const key = q.toString();
    if (force === true || v.version !== S.liveVersion || key !== S.liveShownKey) {
      const res = await imageInto($("#live-img"), `/console/api/live/view.png?${q}`, "liveUrl", S);
      S.liveVersion = Number(res.headers.get("X-Version") || v.version);
      S.liveShownKey = key;
      $("#live-img").dataset.version = String(S.liveVersion);
      $("#live-img").dataset.query = key;
      $("#live-updated").textContent = t("live.updated", { time: new Date().toLocaleTimeString(S.lang) });
      if (S.markerFor) placeMarker(S.markerFor);
    }
  } catch (e) {
    if (e.status === 503) $("#live-updated").textContent = t("live.not_running");
    else message(`${t("app.error")}: ${e.message}`);
  } finally { S.liveBusy = false; }
}

function camChanged() { S.liveShownKey = ""; $("#live-marker").hidden = true; refreshLive(); }

async function placeMarker(id) {
  S.markerFor = id;
  const q = camParams(S.cam, $("#live-viewport")); q.set("equipment", id);
  try {
    const p = await api(`/console/api/live/locate?${q}`);
    const img = $("#live-img"), m = $("#live-marker");
    const sx = img.clientWidth / p.width, sy = img.clientHeight / p.height;
    m.style.left = `${p.x * sx}px`; m.style.top = `${p.y * sy}px`; m.hidden = !p.visible;
  } catch (_) { $("#live-marker").hidden = true; }
}

function wireLive() {
  $("#live-mode").onchange = (e) => { S.cam.mode = e.target.value; camChanged(); };
  $("#live-floor").onchange = (e) => { S.cam.floor = e.target.value; if (S.cam.mode === "floor") camChanged(); };
  for (const b of $$("[data-cam]")) b.onclick = () => {
    const c = S.cam;
    ({ left: () => (c.az -= 20), right: () => (c.az += 20), up: () => (c.el = Math.min(80, c.el + 10)),
       down: () => (c.el = Math.max(-80, c.el - 10)), in: () => (c.zoom = Math.min(8, c.zoom * 1.25)),
       out: () => (c.zoom = Math.max(0.2, c.zoom / 1.25)), reset: () => Object.assign(c, { az: 0, el: 0, zoom: 1 }) })[b.dataset.cam]();
    camChanged();
  };
  dragToTurn($("#live-viewport"), S.cam, camChanged);
}

function dragToTurn(vp, cam, changed) {
  let start = null;
  vp.addEventListener("pointerdown", (e) => { start = { x: e.clientX, y: e.clientY, az: cam.az, el: cam.el }; vp.setPointerCapture(e.pointerId); });
  vp.addEventListener("pointerup", (e) => {
    if (!start) return;
    const moved = Math.abs(e.clientX - start.x) + Math.abs(e.clientY - start.y) > 3;
    start = null; if (moved) changed();
  });
  vp.addEventListener("pointermove", (e) => {
    if (!start) return;
    cam.az = start.az - (e.clientX - start.x) * 0.4;
    cam.el = Math.max(-80, Math.min(80, start.el + (e.clientY - start.y) * 0.3));
  });
  vp.addEventListener("wheel", (e) => {
    e.preventDefault();
    cam.zoom = Math.max(0.2, Math.min(8, cam.zoom * (e.deltaY < 0 ? 1.15 : 1 / 1.15)));
    clearTimeout(vp._wheel); vp._wheel = setTimeout(changed, 150);
  }, { passive: false });
}

/* --- alarms ------------------------------------------------------------------------------ */

/* The table is updated in place, keyed by alarm id: an existing row has its changed cells
 * rewritten, a new alarm gets a new row, a closed one loses its row. Rows, links, note fields
 * and acknowledge buttons survive every refresh, so a click (or a half-typed note) is never lost
 * to a redraw as alarms stream in. */

async function loadAlarms() {
  if (S.alarmsBusy) { S.alarmsAgain = true; return; }
  S.alarmsBusy = true;
  try {
    do {
      S.alarmsAgain = false;
      const [body, triggers] = await Promise.all([api("/twin/alarms?state=open&limit=500"),
                                                  api("/triggers").catch(() => ({ triggers: [] }))]);
      // The newest forecast each alarm started (scenarios/triggers.yaml), by alarm id: shown beside it.
      S.forecasts = new Map();
      for (const tr of triggers.triggers || []) {
        for (const r of tr.recent || []) {
          if (r.alarm && !S.forecasts.has(r.alarm)) S.forecasts.set(r.alarm, r.run);
        }
      }
      updateAlarmTable(body.alarms || []);
    } while (S.alarmsAgain);
  } catch (e) { message(`${t("app.error")}: ${e.message}`); }
  finally { S.alarmsBusy = false; }
}

function updateAlarmTable(alarms) {
  $("#alarm-none").hidden = alarms.length > 0;
  const tbody = $("#alarm-table tbody");
  const rows = new Map($$("tr[data-alarm]", tbody).map((tr) => [tr.dataset.alarm, tr]));
  alarms.forEach((a, i) => {
    const id = String(a.id);
    let tr = rows.get(id);
    if (tr) rows.delete(id); else tr = alarmRow(id);
    fillAlarmRow(tr, a);
    const here = tbody.children[i];
    if (here !== tr) tbody.insertBefore(tr, here || null);  // a new row, or a changed order
  });
  for (const tr of rows.values()) tr.remove();  // closed since the last refresh
}

function alarmRow(id) {
  const tr = document.createElement("tr");
  tr.dataset.alarm = id;
  for (const name of ["severity", "equipment", "message", "raised", "state", "action"]) {
    const td = document.createElement("td");
    td.dataset.cell = name;
    tr.appendChild(td);
  }
  const link = document.createElement("a");
  link.href = "#";
  link.onclick = (e) => { e.preventDefault(); openEquipment(link.dataset.equipment); };
  tr.querySelector("[data-cell=equipment]").appendChild(link);
  const text = document.createElement("span");
  const forecast = document.createElement("a");
  forecast.href = "#"; forecast.className = "forecast"; forecast.hidden = true;
  forecast.onclick = (e) => { e.preventDefault(); showTab("runs"); openRun(forecast.dataset.run); };
  const figures = document.createElement("small");
  figures.className = "forecast-figures";
  tr.querySelector("[data-cell=message]").append(text, " ", forecast, " ", figures);
  const note = document.createElement("input");
  note.className = "ack-note"; note.size = 14;
  const button = document.createElement("button");
  button.className = "ack"; button.dataset.id = id;
  button.onclick = () => acknowledgeAlarm(tr, button, note);
  tr.querySelector("[data-cell=action]").append(note, " ", button);
  return tr;
}

function setCell(td, html) {
  if (td._html !== html) { td.innerHTML = html; td._html = html; }
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function fillAlarmRow(tr, a) {
  const cell = (name) => tr.querySelector(`[data-cell=${name}]`);
  setCell(cell("severity"), `<span class="badge sev-${esc(a.severity)}">${esc(t("severity." + a.severity))}</span>`);
  const dev = a.device || a.equipment || "";
  const link = cell("equipment").firstElementChild;
  link.dataset.equipment = dev;
  setText(link, dev);
  setText(cell("message").firstElementChild, alarmText(a));
  const forecast = cell("message").querySelector("a.forecast");
  const run = S.forecasts && S.forecasts.get(String(a.id));
  forecast.hidden = !run;
  if (run) { forecast.dataset.run = run; setText(forecast, t("alarms.forecast")); }
  const figures = cell("message").querySelector(".forecast-figures");
  setText(figures, run ? forecastFigures(run) : "");
  const codes = run && S.forecastFigures && S.forecastFigures.get(run) && S.forecastFigures.get(run).codes;
  if (codes && figures.title !== codes) { figures.title = codes; figures.dataset.kpis = codes; }
  setText(cell("raised"), fmtTime(a.raised_ms));
  setText(cell("state"), (a.active ? t("alarms.active") : t("alarms.cleared")) +
    (a.acknowledged ? ` · ${t("alarms.acknowledged", { who: a.acked_by || a.acknowledged_by || "" })}` : "") +
    (a.acknowledged && a.ack_note ? ` — “${a.ack_note}”` : ""));
  const action = cell("action");
  const button = action.querySelector("button.ack");
  if (a.acknowledged) {
    if (button) action.replaceChildren();  // nothing left to do on this alarm
    return;
  }
  if (!button) return;
  const note = action.querySelector(".ack-note");
  if (note.placeholder !== t("alarms.note")) note.placeholder = t("alarms.note");
  setText(button, t("alarms.acknowledge"));
}

/* A forecast's headline beside its alarm: progress while it runs, then its first two KPIs that have
 * a better direction (for an evacuation: RSET and mean evacuation time), mean over replications. */
function forecastFigures(run) {
  S.forecastFigures = S.forecastFigures || new Map();
  const known = S.forecastFigures.get(run);
  if (known && known.final) return known.text;
  if (!known || !known.pending) {
    S.forecastFigures.set(run, { text: known ? known.text : "", pending: true });
    (async () => {
      let entry = { text: "", final: false };
      try {
        const r = await api(`/runs/${encodeURIComponent(run)}`);
        if (r.status === "done") {
          await loadModels();
          const s = await runSummary(run);
          const kpis = Object.entries(s.kpis || {}).filter(([, k]) => k.better).slice(0, 2);
          entry = { text: kpis.map(([name, k], i) => { const info = kpiInfo(s.model, name, k);
            // The first figure, a duration, with the 95th percentile over the replications: "release 8 min (95 % within 10 min)".
            const within = i === 0 && k.kind === "duration" && k.p95 != null && s.replications > 1
              ? ` (${t("alarms.within95", { v: `${kpiValue(k.p95, info.unit)} ${info.unitText}`.trim() })})` : "";
            return `${L(info.label) || name} ${kpiValue(k.mean, info.unit)} ${info.unitText}`.trim() + within; }).join(" · "),
            codes: kpis.map(([name]) => name).join(" · "), final: true };
        } else {
          entry = { text: `${t("run.status." + r.status)} ${r.progress.done}/${r.progress.total}`, final: r.status !== "queued" && r.status !== "running" };
        }
      } catch (_) { /* figures are a courtesy; the link stays */ }
      const before = S.forecastFigures.get(run);
      S.forecastFigures.set(run, entry);
      if (!before || before.text !== entry.text) loadAlarms();
    })();
  }
  return known ? known.text : "";
}

async function acknowledgeAlarm(tr, button, note) {
  const text = note.value.trim();
  button.disabled = true;
  try {
    await api(`/twin/alarms/${encodeURIComponent(tr.dataset.alarm)}/ack`, { method: "POST", json: text ? { note: text } : {} });
    await loadAlarms();
  } catch (e) { message(`${t("app.error")}: ${e.message}`); }
  finally { button.disabled = false; }
}

/* Alarm transitions (raised, cleared, acknowledged) arrive on the API's WebSocket; the alarms
 * tab refreshes on each (the 3 s poll stays as the fallback when the socket is down). */
function streamAlarms() {
  if (S.alarmSocket || !S.token || !window.WebSocket) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/twin/stream?topics=alarm&token=${encodeURIComponent(S.token)}`);
  S.alarmSocket = ws;
  ws.onmessage = (e) => {
    let event = null;
    try { event = JSON.parse(e.data); } catch (_) { return; }
    if (event && (event.type === "alarm" || event.type === "dropped") && S.tab === "alarms") loadAlarms();
  };
  ws.onclose = () => {
    if (S.alarmSocket === ws) S.alarmSocket = null;
    if (S.token) setTimeout(streamAlarms, 5000);
  };
}

/* --- equipment --------------------------------------------------------------------------- */

function stateEquipment(body) {
  const eq = body.equipment || {};
  const list = Array.isArray(eq) ? eq : Object.values(eq);
  const out = {};
  for (const e of list) out[e.id] = e;
  return out;
}

async function loadEquipment() {
  if (!S.info) return;
  try { S.statuses = stateEquipment(await api("/twin/state")); } catch (e) { S.statuses = {}; }
  const filter = $("#equipment-filter").value.trim().toLowerCase();
  const rows = S.info.equipment.filter((e) => !filter ||
    `${e.id} ${e.name} ${e.system} ${e.kind} ${systemLabel(e.system)} ${equipmentKindLabel(e.kind)} ${e.floor || ""} ${floorLabel(e.floor)}`.toLowerCase().includes(filter));
  $("#equipment-table tbody").innerHTML = rows.map((e) => {
    const st = (S.statuses[e.id] || {}).status || "unknown";
    return `<tr class="selectable${e.id === S.equipmentSelected ? " selected" : ""}" data-id="${esc(e.id)}"><td>${esc(e.id)}<br><small>${esc(e.name)}</small></td>
      <td data-system="${esc(e.system)}">${esc(systemLabel(e.system))}<br><small data-kind="${esc(e.kind || "")}">${esc(equipmentKindLabel(e.kind))}</small></td><td data-floor="${esc(e.floor || "")}">${esc(floorLabel(e.floor))}</td>
      <td><span class="swatch" style="background:${esc(S.palette[st] || "#ccc")}"></span> ${esc(t("status." + st))}</td></tr>`;
  }).join("");
  for (const tr of $$("#equipment-table tbody tr")) tr.onclick = () => openEquipment(tr.dataset.id, true);
  if (S.equipmentSelected && !$("#equipment-detail").dataset.id) showEquipment(S.equipmentSelected);
}

function openEquipment(id, stay) {
  S.equipmentSelected = id;
  if (!stay) showTab("equipment");
  for (const tr of $$("#equipment-table tbody tr")) tr.classList.toggle("selected", tr.dataset.id === id);
  showEquipment(id);
}

async function showEquipment(id, point) {
  const pane = $("#equipment-detail");
  pane.dataset.id = id;
  try {
    const e = await api(`/twin/equipment/${encodeURIComponent(id)}`);
    const info = S.info.equipment.find((x) => x.id === id) || {};
    const values = e.values || {};
    const numeric = Object.keys(values).filter((k) => typeof values[k] === "number");
    point = point || pane.dataset.point && numeric.includes(pane.dataset.point) && pane.dataset.point || numeric[0];
    pane.dataset.point = point || "";
    const st = e.status || "unknown";
    pane.innerHTML = `<h2>${esc(id)} <small>${esc(info.name || "")}</small></h2>
      <p><span class="swatch" style="background:${esc(S.palette[st] || "#ccc")}"></span> ${esc(t("status." + st))}
        · ${esc(equipmentKindLabel(info.kind || e.kind))} · ${esc(systemLabel(e.system || info.system))} · <span class="floor" data-floor="${esc(info.floor || e.floor || "")}">${esc(floorLabel(info.floor || e.floor))}</span>
        <button id="locate">${esc(t("equipment.locate"))}</button></p>
      <h3>${esc(t("equipment.values"))}</h3>
      <table class="grid"><thead><tr><th>${esc(t("equipment.point"))}</th><th>${esc(t("equipment.value"))}</th></tr></thead><tbody>
      ${Object.entries(values).map(([k, v]) => `<tr class="${typeof v === "number" ? "selectable" : ""}${k === point ? " selected" : ""}" data-point="${esc(k)}">
        <td title="${esc(k)}">${esc(pointLabel(k))}</td><td class="${typeof v === "number" ? "num" : ""}">${esc(pointValueText(k, v))}</td></tr>`).join("")}</tbody></table>
      <h3>${esc(t("equipment.history"))}${point ? `: ${esc(pointLabel(point))}` : ""}</h3><p class="hint" id="eq-history-hint">${esc(t("equipment.history_hint"))}</p>
      <div id="history-chart" class="chart"></div>`;
    for (const tr of $$("tr.selectable[data-point]", pane)) tr.onclick = () => showEquipment(id, tr.dataset.point);
    $("#locate").onclick = () => { showTab("live"); setTimeout(() => placeMarker(id), 300); };
    if (point) await equipmentHistory(id, point);  // dashboard.js: the range picker and the chart
  } catch (err) { pane.innerHTML = `<p class="warn">${esc(err.message)}</p>`; }
}

/* --- charts (inline SVG) ----------------------------------------------------------------- */

function niceRange(lo, hi) {
  if (!(isFinite(lo) && isFinite(hi))) return [0, 1];
  if (lo === hi) { const d = Math.abs(lo) * 0.1 || 1; return [lo - d, hi + d]; }
  const pad = (hi - lo) * 0.08; return [lo - pad, hi + pad];
}

function lineChart(points, label, width = 640, height = 240) {
  const m = { l: 56, r: 12, t: 10, b: 28 };
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) || 1];
  const [y0, y1] = niceRange(Math.min(...ys), Math.max(...ys));
  const X = (x) => m.l + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (width - m.l - m.r);
  const Y = (y) => height - m.b - (y - y0) / (y1 - y0) * (height - m.t - m.b);
  const path = points.map((p, i) => `${i ? "L" : "M"}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join("");
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => y0 + f * (y1 - y0));
  const timeTicks = [0, 0.5, 1].map((f) => x0 + f * (x1 - x0));
  return `<svg width="${width}" height="${height}" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg">
    ${ticks.map((v) => `<line x1="${m.l}" x2="${width - m.r}" y1="${Y(v)}" y2="${Y(v)}" stroke="#e3e7eb"/>
      <text x="${m.l - 6}" y="${Y(v) + 4}" font-size="11" text-anchor="end" fill="#555">${esc(fmt(v))}</text>`).join("")}
    ${timeTicks.map((v) => `<text x="${X(v)}" y="${height - 8}" font-size="11" text-anchor="middle" fill="#555">${esc(new Date(v).toLocaleTimeString(S.lang))}</text>`).join("")}
    <path d="${path}" fill="none" stroke="#0072B2" stroke-width="1.6"/>
    ${points.length <= 60 ? points.map((p) => `<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="2.5" fill="#0072B2"/>`).join("") : ""}</svg>`;
}

function ciChart(items, unit, width = 300) {
  // items: [{label, mean, lo, hi, colour}]: horizontal bars with 95 % CI whiskers.
  const rowH = 26, m = { l: 130, r: 56, t: 6, b: 22 }, height = m.t + m.b + rowH * items.length;
  const short = (s) => (String(s).length > 20 ? String(s).slice(0, 19) + "…" : String(s));
  const vals = items.flatMap((i) => [i.mean, i.lo, i.hi]).filter((v) => typeof v === "number" && isFinite(v));
  if (!vals.length) return "";
  const lo = Math.min(0, ...vals), hi = Math.max(...vals, lo + 1e-9);
  const X = (v) => m.l + (v - lo) / (hi - lo || 1) * (width - m.l - m.r);
  return `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
    <line x1="${X(0)}" x2="${X(0)}" y1="${m.t}" y2="${height - m.b}" stroke="#999"/>
    ${items.map((it, i) => {
      const y = m.t + i * rowH + 4, ok = typeof it.mean === "number" && isFinite(it.mean);
      return `<text x="${m.l - 6}" y="${y + 13}" font-size="11" text-anchor="end" fill="#333"><title>${esc(it.label)}</title>${esc(short(it.label))}</text>
        ${ok ? `<rect x="${Math.min(X(0), X(it.mean))}" y="${y}" width="${Math.abs(X(it.mean) - X(0))}" height="${rowH - 10}" fill="${it.colour || "#0072B2"}" opacity="0.8"/>` : ""}
        ${typeof it.lo === "number" && typeof it.hi === "number" ? `<line x1="${X(it.lo)}" x2="${X(it.hi)}" y1="${y + 8}" y2="${y + 8}" stroke="#222" stroke-width="1.5"/>
          <line x1="${X(it.lo)}" x2="${X(it.lo)}" y1="${y + 3}" y2="${y + 13}" stroke="#222"/><line x1="${X(it.hi)}" x2="${X(it.hi)}" y1="${y + 3}" y2="${y + 13}" stroke="#222"/>` : ""}
        <text x="${width - m.r + 4}" y="${y + 13}" font-size="11" fill="#333">${esc(fmt(it.mean))}</text>`;
    }).join("")}
    <text x="${m.l}" y="${height - 6}" font-size="11" fill="#555">${esc(unit || "")}</text></svg>`;
}

/* --- words in the chosen language -------------------------------------------------------- */

/* Labels from the models and scenarios come as words by language ({"en": …, "zh-CN": …}); code
 * names (rset_s, params.technicians) stay visible beside them as secondary text for engineers. */

function L(words) {
  if (words === null || words === undefined) return "";
  if (typeof words !== "object") return String(words);
  return words[S.lang] || words.en || Object.values(words).find((w) => w) || "";
}

function named(words, code, cls = "") {
  const label = L(words);
  const shown = label && label !== code ? `<span class="label">${esc(label)}</span> <code class="code">${esc(code)}</code>`
    : `<code class="code">${esc(code)}</code>`;
  return cls ? `<span class="${cls}">${shown}</span>` : shown;
}

async function loadModels() {
  if (S.models) return S.models;
  try {
    const list = await api("/models");
    S.models = Object.fromEntries(list.map((m) => [m.name, m]));
  } catch (_) { S.models = {}; }
  return S.models;
}

/* A model's title in the reader's language (GET /models), its code name as a tooltip. */
function modelHtml(code) {
  const m = (S.models || {})[code];
  return `<span class="model" data-model="${esc(code || "")}" title="${esc(code || "")}">${esc(L(m && m.title) || code || "")}</span>`;
}

function modelKpi(model, name) {
  const m = (S.models || {})[model];
  return (m && (m.kpis || []).find((k) => k.name === name)) || {};
}

/* The words for a KPI of a run: the summary's own (label, unit_label), else the model's catalogue. */
function kpiInfo(model, name, k) {
  const cat = modelKpi(model, name);
  k = k || {};
  const unit = k.unit || cat.unit || "";
  const unitWords = k.unit_label || cat.unit_label || ((S.models || {})[model] || { units: {} }).units?.[unit];
  return { label: k.label || cat.label || null, description: k.description || cat.description || "", unit,
           unitText: unitWords ? L(unitWords) : unit };
}

function paramSchema(model, path) {
  const m = (S.models || {})[model];
  const name = String(path || "").replace(/^params\./, "");
  return (m && m.params_schema && (m.params_schema.properties || {})[name]) || null;
}

function paramWords(model, path) {
  const p = paramSchema(model, path);
  return p && p["x-label"] ? p["x-label"] : null;
}

function valueText(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return fmt(v);
  if (Array.isArray(v)) return v.map(valueText).join(", ");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function unitWords(model, unit) {
  if (!unit) return "";
  const words = (((S.models || {})[model] || {}).units || {})[unit];
  return words ? L(words) : unit;
}

function changeWords(c, model) {
  const unit = unitWords(model, c.unit);
  return { label: L(c.label) || L(paramWords(model, c.path)) || c.path,
           values: `${valueText(c.from)} → ${valueText(c.to)}${unit ? " " + unit : ""}` };
}

/* A run's changes from its library scenario ([{path, label, from, to}]) in words: "technicians 4 → 3". */
function changesText(changes, model) {
  return (changes || []).map((c) => { const w = changeWords(c, model); return `${w.label} ${w.values}`; }).join(" · ");
}

function changesHtml(changes, model) {
  if (!changes) return "";
  if (!changes.length) return `<span class="changes none">${esc(t("runs.no_changes"))}</span>`;
  return `<span class="changes">${changes.map((c) => { const w = changeWords(c, model);
    return `<span class="change" data-path="${esc(c.path)}" title="${esc(c.path)}">${esc(w.label)} <b>${esc(w.values)}</b></span>`; }).join(" · ")}</span>`;
}

/* A KPI value as a person reads it: shares as percentages. */
function kpiValue(v, unit) { return unit === "share" && typeof v === "number" ? fmt(100 * v, 1) : fmt(v); }

/* pass / fail / uncertain in words, with a mark (never colour alone) and the colour. */
const VERDICT_MARK = { pass: "✔", fail: "✘", uncertain: "?", not_applicable: "–" };

function verdictHtml(v) {
  if (!v || !v.status) return "";
  const reps = (v.replications || []).length ? ` (${t("runs.verdict_replications", { list: v.replications.map((r) => r + 1).join(", ") })})` : "";
  const why = L(v.text);
  return `<span class="verdict verdict-${esc(v.status)}" data-verdict="${esc(v.status)}" title="${esc(why + reps)}">
    <span class="mark" aria-hidden="true">${VERDICT_MARK[v.status] || "•"}</span> ${esc(t("verdict." + v.status))}</span>${why ? `<small class="verdict-text">${esc(why)}${esc(reps)}</small>` : ""}`;
}

function targetText(target, unit, unitText) {
  if (!target) return "";
  const value = `${kpiValue(target.value, unit)} ${unitText}`.trim();
  const src = target.source ? ` — ${L(target.source)}` : "";
  return `${t(target.op === ">=" ? "target.at_least" : "target.at_most", { value })}, ${t("target.rule." + (target.rule || "mean"))}${src}`;
}

function censoredHtml(k) {
  if (!k || !k.censored) return "";
  return ` <span class="censored" data-censored="${esc(k.censored)}" title="${esc(t("runs.censored_note", { n: k.censored }))}">⚠ ${esc(t("runs.censored"))}</span>`;
}

function textList(items, cls, title) {
  const list = (items || []).map((w) => L(w)).filter((w) => w);
  return list.length ? `<section class="${cls}"><h3>${esc(title)}</h3><ul>${list.map((w) => `<li>${esc(w)}</li>`).join("")}</ul></section>` : "";
}

/* --- scenarios and runs ------------------------------------------------------------------ */

async function loadScenarios() {
  try {
    const [all] = await Promise.all([api("/scenarios"), loadModels()]);
    S.scenarioInfo = Object.fromEntries(all.map((s) => [s.name, s]));
    const list = all.filter((s) => !s.based_on);  // saved variants: listed by variants.js
    Variants.render(all.filter((s) => s.based_on));
    $("#scenario-list").innerHTML = list.map((s) => `<li data-name="${esc(s.name)}" class="${s.name === S.scenarioSelected ? "selected" : ""}">
      <b class="label">${esc(L(s.title) || s.name)}</b> <small><code class="code">${esc(s.name)}</code> · ${modelHtml(s.model)} · ${esc(s.building || "")}</small>
      <small>${esc(L(s.description))}</small></li>`).join("");
    for (const li of $$("#scenario-list li")) li.onclick = () => openScenario(li.dataset.name);
  } catch (e) { message(`${t("app.error")}: ${e.message}`); }
}

async function openScenario(name) {
  S.scenarioSelected = name;
  for (const li of $$("#scenario-list li")) li.classList.toggle("selected", li.dataset.name === name);
  const pane = $("#scenario-detail");
  try {
    const [doc, models] = await Promise.all([api(`/scenarios/${encodeURIComponent(name)}`), loadModels()]);
    const d = doc.document || {};
    const model = models[doc.model || d.model];
    pane.innerHTML = `<h2>${named(doc.title, name)}</h2><p>${esc(L(doc.description))}</p>
      <p>${esc(t("scenarios.model"))}: <b>${model ? named(model.title, model.name) : esc(d.model)}</b> · ${esc(t("scenarios.building"))}: <b>${esc(d.building || "")}</b></p>
      <form id="run-form"><fieldset><legend>${esc(t("scenarios.parameters"))}</legend><div class="form-grid">
        <label for="f-replications">${esc(t("scenarios.replications"))}</label>
        <input id="f-replications" type="number" min="1" max="10000" value="${esc(d.replications || 10)}">
        <label for="f-seed">${esc(t("scenarios.seed"))}</label><input id="f-seed" type="number" min="0" value="${esc(d.seed ?? 1)}">
        <label for="f-from-live">${esc(t("scenarios.from_live"))}</label><input id="f-from-live" type="checkbox">
      </div><div id="form-params"></div></fieldset>
      <button type="submit" id="run-submit">${esc(t("scenarios.run"))}</button> <span id="run-progress"></span></form>`;
    // form.js: every parameter from the model's schema, the sweep, the variant, the optimiser
    if (!(await ScenarioForm.mount($("#form-params"), { name, doc: d, model, params: doc.params }))) return;
    ScenarioForm.mountOptimiser(pane, d, model);
    $("#run-form").onsubmit = (e) => { e.preventDefault(); submitRun(name); };
    $("#optimise-form").onsubmit = (e) => { e.preventDefault(); submitOptimise(name, model); };
  } catch (e) { pane.innerHTML = `<p class="warn">${esc(e.message)}</p>`; }
}

async function submitRun(name) {
  const prog = $("#run-progress");
  let form;
  try { form = ScenarioForm.collect(); } catch (e) { prog.innerHTML = `<span class="warn">${esc(e.message)}</span>`; return; }
  const body = { scenario: name, set: form.set, from_live: $("#f-from-live").checked };
  for (const k of ["sweep", "replications", "seed"]) if (form[k] !== null && form[k] !== undefined) body[k] = form[k];
  $("#run-submit").disabled = true;
  try { await startAndFollowRun(body, prog); }
  finally { const b = $("#run-submit"); if (b) b.disabled = false; }
}

/* Start a run (POST /runs), show its progress in `prog` until it ends, then open its results.
 * Errors are shown in `prog`. */
async function startAndFollowRun(body, prog) {
  try {
    let run = await api("/runs", { method: "POST", json: body });
    while (["queued", "running"].includes(run.status)) {
      prog.innerHTML = run.status === "queued" ? esc(t("scenarios.queued")) :
        `<progress max="${run.progress.total}" value="${run.progress.done}"></progress> ${esc(t("scenarios.running", { done: run.progress.done, total: run.progress.total }))}`;
      await new Promise((ok) => setTimeout(ok, 400));
      run = await api(`/runs/${encodeURIComponent(run.id)}`);
    }
    if (run.status !== "done") { prog.textContent = t("scenarios.failed", { error: run.error || run.status }); return; }
    prog.textContent = t("run.status.done");
    showTab("runs");
    await openRun(run.id);
  } catch (e) { prog.innerHTML = `<span class="warn">${esc(e.message)}</span>`; }
}

/* --- the optimiser: the cheapest plan that keeps the promises (POST /optimise) ------------- */

async function submitOptimise(name, model) {
  const prog = $("#optimise-progress");
  let body;  // form.js: objective, promises and ranges as rows, the form's changes as `set`
  try { body = ScenarioForm.optimiseRequest(name); } catch (e) { prog.innerHTML = `<span class="warn">${esc(e.message)}</span>`; return; }
  $("#optimise-submit").disabled = true;
  $("#optimise-result").innerHTML = "";
  try {
    let job = await api("/optimise", { method: "POST", json: body });
    while (["queued", "running"].includes(job.status)) {
      prog.innerHTML = job.status === "queued" ? esc(t("scenarios.queued")) :
        `<progress max="${job.progress.total}" value="${job.progress.done}"></progress> ${esc(t("optimise.running", { done: job.progress.done, total: job.progress.total, plans: job.plans }))}`;
      await new Promise((ok) => setTimeout(ok, 400));
      job = await api(`/optimise/${encodeURIComponent(job.id)}`);
    }
    if (job.status !== "done") { prog.textContent = t("scenarios.failed", { error: job.error || t("run.status." + job.status) }); return; }
    prog.textContent = t("run.status.done");
    await showOptimise(job, model);
  } catch (e) { prog.innerHTML = `<span class="warn">${esc(e.message)}</span>`; }
  finally { const b = $("#optimise-submit"); if (b) b.disabled = false; }
}

/* A finished search: its verdict, every plan tried (values, promised KPIs with their intervals,
 * kept or not and why not), and the frontier chart in the console's language. */
async function showOptimise(job, model) {
  const r = job.result || {};
  const labels = r.labels || {};
  const req = r.request || { over: [], subject_to: [], objective: {} };
  const obj = req.objective || {};
  const objIsKpi = obj.name && !obj.name.startsWith("params.");
  const kpiCell = (k, unit) => (k && k.mean !== null && k.mean !== undefined
    ? `${esc(kpiValue(k.mean, unit))} <small>[${esc(kpiValue(k.ci95_low, unit))} – ${esc(kpiValue(k.ci95_high, unit))}]</small>` : "—");
  const head = [`<th>#</th>`]
    .concat(req.over.map((o) => `<th>${named((labels.params || {})[o.path]?.label, o.path)}</th>`))
    .concat(objIsKpi ? [`<th>${named((labels.objective || {}).label, obj.name)}</th>`] : [])
    .concat(req.subject_to.map((c) => { const unit = ((labels.kpis || {})[c.kpi] || {}).unit;
      return `<th>${named(((labels.kpis || {})[c.kpi] || {}).label, c.kpi)} ${esc(c.op)} ${esc(kpiValue(c.value, unit))}${unit === "share" ? " %" : ""}</th>`; }))
    .concat([`<th>${esc(t("optimise.feasible"))}</th>`, `<th>${esc(t("optimise.why_not"))}</th>`]).join("");
  const best = (r.best || {}).plan;
  const plans = (r.plans || []).slice().sort((a, b) => JSON.stringify(req.over.map((o) => a.values[o.path])) < JSON.stringify(req.over.map((o) => b.values[o.path])) ? -1 : 1);
  const rows = plans.map((p) => `<tr data-plan="${esc(p.plan)}" data-feasible="${p.feasible}" class="${p.plan === best ? "selected best" : ""}">
    <td>${esc(p.plan)}${p.plan === best ? " ★" : ""}</td>
    ${req.over.map((o) => `<td class="num">${esc(valueText(p.values[o.path]))}</td>`).join("")}
    ${objIsKpi ? `<td class="num">${kpiCell(p.kpis[obj.name], (labels.objective || {}).unit)}</td>` : ""}
    ${req.subject_to.map((c) => `<td class="num">${kpiCell(p.kpis[c.kpi], ((labels.kpis || {})[c.kpi] || {}).unit)}</td>`).join("")}
    <td>${verdictHtml({ status: p.feasible ? "pass" : "fail" })}</td>
    <td><small>${(p.why_not || []).map((w) => esc(L(w))).join("<br>")}</small></td></tr>`).join("");
  const pane = $("#optimise-result");
  pane.innerHTML = `<h3 id="optimise-title">${esc(t("optimise.result"))}</h3>
    <p id="optimise-message" class="${r.best ? "" : "warn"}"><b>${esc(L(r.message))}</b>
      <small>${esc(t("optimise.how", { sampler: r.sampler || "", replications: r.replications || "", seed: r.seed ?? "" }))}</small></p>
    <table class="grid" id="optimise-plans"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>
    <h3>${esc(t("optimise.frontier"))}</h3><img id="optimise-frontier" alt="${esc(t("optimise.frontier"))}" style="max-width:100%">
    ${r.best ? `<p><a href="#" id="optimise-open-run">${esc(t("optimise.open_run"))}</a></p>` : ""}`;
  if ($("#optimise-open-run")) $("#optimise-open-run").onclick = (e) => { e.preventDefault(); showTab("runs"); openRun(job.id); };
  S.optimise = S.optimise || {};
  await imageInto($("#optimise-frontier"), `/optimise/${encodeURIComponent(job.id)}/frontier.png?lang=${encodeURIComponent(S.lang)}`, "frontierUrl", S.optimise);
}

async function fetchRuns() {
  const body = await api("/runs?limit=200");
  S.runs = body.runs || body || [];
  return S.runs;
}

/* A finished run's summary does not change: fetched once, kept. */
async function runSummary(id) {
  S.summaries = S.summaries || new Map();
  if (!S.summaries.has(id)) S.summaries.set(id, api(`/runs/${encodeURIComponent(id)}/summary`).catch((e) => { S.summaries.delete(id); throw e; }));
  return S.summaries.get(id);
}

/* The headline of a run in the list: its KPIs with a verdict, else the first two with a direction. */
function headline(s) {
  const kpis = Object.entries(s.kpis || (s.points && s.points[0] && s.points[0].kpis) || {});
  const judged = kpis.filter(([, k]) => k.verdict);
  const chosen = judged.concat(kpis.filter(([, k]) => !k.verdict && k.better).slice(0, Math.max(0, 2 - judged.length)));
  return chosen.slice(0, 3).map(([name, k]) => {
    const info = kpiInfo(s.model, name, k);
    return `<span class="headline-kpi" data-kpi="${esc(name)}">${named(info.label, name)} <b>${esc(kpiValue(k.mean, info.unit))}</b> ${esc(info.unitText)}${censoredHtml(k)}
      ${k.verdict ? verdictHtml({ status: k.verdict.status }) : ""}</span>`;
  }).join("<br>");
}

function runTitle(r, s) {
  const info = (S.scenarioInfo || {})[r.scenario];
  return L((s && s.scenario && s.scenario.title) || (info && info.title)) || r.scenario;
}

function fillRunRow(tr, r, s) {
  const changes = r.changes || (s && s.changes);
  tr.querySelector("[data-cell=scenario]").innerHTML = `${esc(runTitle(r, s))}<br><small><code class="code">${esc(r.scenario)}</code> · ${modelHtml(r.model)} · ${esc(r.id)}${(r.created_by || "").startsWith("trigger:") ? ` · <span class="by-alarm">${esc(t("runs.by_alarm"))}</span>` : ""}</small>
    ${changes ? `<br><small>${changesHtml(changes, r.model)}</small>` : ""}
    ${s ? `<div class="headline">${headline(s)}</div>` : ""}`;
}

async function loadRuns() {
  try {
    await loadModels();
    await scenarioTitles();
    const runs = await fetchRuns();
    $("#run-table tbody").innerHTML = runs.length ? runs.map((r) => `<tr class="selectable${r.id === S.runSelected ? " selected" : ""}" data-id="${esc(r.id)}">
      <td data-cell="scenario"></td><td>${esc(t("run.status." + r.status))}
      ${r.status === "running" ? `<progress max="${r.progress.total}" value="${r.progress.done}"></progress>` : ""}</td>
      <td>${esc(new Date(r.created_at).toLocaleString(S.lang))}</td></tr>`).join("") : `<tr><td colspan="3">${esc(t("runs.none"))}</td></tr>`;
    const byId = new Map(runs.map((r) => [r.id, r]));
    for (const tr of $$("#run-table tbody tr[data-id]")) {
      const r = byId.get(tr.dataset.id);
      tr.onclick = () => openRun(tr.dataset.id);
      const known = S.summaryDone && S.summaryDone.get(r.id);
      fillRunRow(tr, r, known);
    }
    // Headline figures of the newest finished runs (summaries fetched once each, then kept).
    for (const r of runs.filter((x) => x.status === "done").slice(0, 40)) {
      if (S.summaryDone && S.summaryDone.has(r.id)) continue;
      runSummary(r.id).then((s) => {
        (S.summaryDone = S.summaryDone || new Map()).set(r.id, s);
        const tr = $(`#run-table tbody tr[data-id="${CSS.escape(r.id)}"]`);
        if (tr) fillRunRow(tr, r, s);
      }).catch(() => {});
    }
  } catch (e) { message(`${t("app.error")}: ${e.message}`); }
}

async function loadScenarioInfo() {
  const list = await api("/scenarios");
  S.scenarioInfo = Object.fromEntries(list.map((s) => [s.name, s]));
}

/* The scenarios' titles, fetched once for the lists that name runs by them (a list without them
 * shows code names: the titles are a courtesy, never an error). */
async function scenarioTitles() {
  if (S.scenarioInfo) return;
  try { await loadScenarioInfo(); } catch (_) { /* code names, then */ }
}

function kpiRows(model, kpis) {
  return Object.entries(kpis || {}).map(([name, k]) => {
    const info = kpiInfo(model, name, k);
    const interval = k.interval ? t("runs.interval." + k.interval) : "";
    return `<tr data-kpi="${esc(name)}" class="${k.censored ? "is-censored" : ""}"><td title="${esc(L(info.description))}">${named(info.label, name)}</td><td>${esc(info.unitText)}</td>
    <td class="num">${esc(kpiValue(k.mean, info.unit))}${censoredHtml(k)}</td>
    <td class="num">${esc(kpiValue(k.ci95_low, info.unit))} – ${esc(kpiValue(k.ci95_high, info.unit))}${interval && interval !== "runs.interval." + k.interval ? ` <small class="interval">${esc(interval)}</small>` : ""}</td>
    <td>${esc(targetText(k.target, info.unit, info.unitText))}</td><td>${verdictHtml(k.verdict)}</td></tr>`;
  }).join("");
}

function pointHeading(model, set) {
  const entries = Object.entries(set || {});
  return entries.map(([k, v]) => `${L(paramWords(model, k)) || k} = ${valueText(v)}`).join(", ");
}

function reportPath(id) { return `/runs/${encodeURIComponent(id)}/report?lang=${encodeURIComponent(S.lang)}`; }

async function openRun(id) {
  S.runSelected = id;
  for (const tr of $$("#run-table tbody tr")) tr.classList.toggle("selected", tr.dataset.id === id);
  const pane = $("#run-detail");
  pane.innerHTML = `<p class="hint">${esc(t("app.loading"))}</p>`;
  try {
    await loadModels();
    const run = await api(`/runs/${encodeURIComponent(id)}`);
    if (run.status !== "done") { pane.innerHTML = `<h2>${esc(run.scenario)}</h2><p>${esc(t("run.status." + run.status))} ${esc(run.error || "")}</p>`; return; }
    const s = await runSummary(id);
    const points = s.points && s.points.length ? s.points : [{ point: 0, set: {}, kpis: s.kpis }];
    const title = L(s.scenario.title) || s.scenario.name;
    const changes = s.changes || run.changes;
    const flagNames = Array.isArray(s.flags) ? s.flags : Object.entries(s.flags || {}).filter(([, on]) => on).map(([name]) => name);
    const flags = flagNames.filter((name) => S.labels["flag." + name]).map((name) => t("flag." + name));
    pane.innerHTML = `<h2 id="results-title">${esc(t("runs.results"))}: ${esc(title)} <small><code class="code">${esc(s.scenario.name)}</code></small></h2>
      <p>${named(s.model_title, s.model)} · ${esc(s.building.name || s.building.id)} · <span class="reps">${esc(t("runs.replications_seed", { n: s.replications, seed: s.seed }))}</span>
        ${s.model === "evacuation" ? `<button id="to-playback">${esc(t("nav.playback"))}</button>` : ""}</p>
      ${changes ? `<p class="run-changes">${esc(t("runs.changes"))}: ${changesHtml(changes, s.model)}</p>` : ""}
      ${textList(flags, "run-flags", t("runs.flags"))}
      ${textList(s.warnings, "run-warnings", t("runs.warnings"))}
      ${s.live ? `<section class="live-notes"><h3>${esc(t("runs.live", { at: s.live.taken_at || "" }))}</h3>
        <ul>${(s.live.notes || []).map((n) => `<li>${esc(L(n))}</li>`).join("")}</ul></section>` : ""}
      <h3>${esc(t("runs.kpis"))}</h3>
      ${points.map((p) => `${Object.keys(p.set || {}).length ? `<h4>${esc(pointHeading(s.model, p.set))}</h4>` : ""}
        <table class="grid kpi-table"><thead><tr><th>${esc(t("runs.kpi"))}</th><th>${esc(t("runs.unit"))}</th><th>${esc(t("runs.mean"))}</th><th>${esc(t("runs.ci"))}</th>
          <th>${esc(t("runs.target"))}</th><th>${esc(t("runs.verdict"))}</th></tr></thead>
        <tbody>${kpiRows(s.model, p.kpis)}</tbody></table>${textList(p.notes, "point-notes", t("runs.notes"))}`).join("")}
      ${textList(s.notes, "run-notes", t("runs.notes"))}
      <h3>${esc(t("runs.charts"))}</h3><div class="charts">${Object.keys(points[0].kpis || {}).map((name) => {
        const info = kpiInfo(s.model, name, points[0].kpis[name]);
        const scale = (v) => (info.unit === "share" && typeof v === "number" ? 100 * v : v);
        const items = points.map((p) => { const k = (p.kpis || {})[name] || {}; return { label: pointHeading(s.model, p.set) || title, mean: scale(k.mean), lo: scale(k.ci95_low), hi: scale(k.ci95_high) }; });
        const svg = ciChart(items, info.unitText);
        return svg ? `<div class="chart"><h4>${named(info.label, name)}</h4>${svg}</div>` : "";
      }).join("")}</div>
      <h3>${esc(t("runs.report"))}</h3><iframe class="report" id="report-frame" title="report"></iframe>`;
    if ($("#to-playback")) $("#to-playback").onclick = () => { S.pb.run = id; showTab("playback"); };
    const frame = $("#report-frame");
    frame.dataset.src = reportPath(id);
    try { frame.srcdoc = await api(reportPath(id)); } catch (_) { /* report optional */ }
  } catch (e) { pane.innerHTML = `<p class="warn">${esc(e.message)}</p>`; }
}

/* --- compare ----------------------------------------------------------------------------- */

/* Compare: any number of runs side by side, drawn by compare.js. */

/* --- playback ---------------------------------------------------------------------------- */

async function loadPlaybackChoices() {
  try {
    await scenarioTitles();
    const runs = (await fetchRuns()).filter((r) => r.status === "done" && r.model === "evacuation");
    $("#playback-run").innerHTML = runs.map((r) => `<option value="${esc(r.id)}" title="${esc(r.scenario)}">${esc(runTitle(r))} · ${esc(r.id)}</option>`).join("");
    if (!runs.length) { $("#playback-approx").hidden = false; $("#playback-approx").textContent = t("playback.not_evacuation"); return; }
    if (!S.pb.run || !runs.some((r) => r.id === S.pb.run)) S.pb.run = runs[0].id;
    $("#playback-run").value = S.pb.run;
    await openPlayback(S.pb.run);
  } catch (e) { message(`${t("app.error")}: ${e.message}`); }
}

async function openPlayback(id) {
  pausePlayback();
  S.pb.run = id;
  const info = await api(`/console/api/runs/${encodeURIComponent(id)}/playback`);
  if (S.pb.run !== id) return;  // another run was chosen meanwhile: its own opening shows it
  S.pb.duration = info.duration_s;
  S.pb.floors = info.floors;
  $("#playback-floor").innerHTML = floorOptions(info.floors);
  if (S.pb.floor && info.floors.some((f) => f.id === S.pb.floor)) $("#playback-floor").value = S.pb.floor; else S.pb.floor = $("#playback-floor").value;
  const slider = $("#playback-time");
  slider.max = String(Math.ceil(info.duration_s)); slider.value = String(Math.min(S.pb.t, info.duration_s));
  $("#playback-approx").textContent = t("playback.approximate");
  $("#playback-approx").hidden = !info.approximate;
  if (window.Playback3D) await Playback3D.open(info);  // drawn by the browser (playback3d.js) when it can
  await drawPlayback(Number(slider.value));
}

async function drawPlayback(time) {
  if (!S.pb.run) return;
  if (window.Playback3D && Playback3D.active) { S.pb.t = time; return Playback3D.seek(time); }
  if (S.pb.busy) { S.pb.pending = time; return; }
  S.pb.busy = true; S.pb.t = time;
  try {
    const q = camParams(S.pb.camera || (S.pb.camera = { mode: "all", floor: "", az: 0, el: 0, zoom: 1 }), $("#playback-viewport"));
    q.set("t", time.toFixed(1));
    const res = await imageInto($("#playback-img"), `/console/api/runs/${encodeURIComponent(S.pb.run)}/playback.png?${q}`, "url", S.pb);
    $("#playback-clock").textContent = clock(time);
    $("#playback-inside").textContent = t("playback.inside", { n: res.headers.get("X-Inside") || "?" });
    $("#playback-img").dataset.time = time.toFixed(1);
    $("#playback-img").dataset.inside = res.headers.get("X-Inside") || "";
  } catch (e) { message(`${t("app.error")}: ${e.message}`); pausePlayback(); }
  finally {
    S.pb.busy = false;
    if (S.pb.pending !== false) { const p = S.pb.pending; S.pb.pending = false; drawPlayback(p); }
  }
}

function pausePlayback() { S.pb.playing = false; $("#playback-play").textContent = t("playback.play"); }

async function playLoop() {
  let last = performance.now();
  while (S.pb.playing) {
    const now = performance.now();
    const speed = Number($("#playback-speed").value);
    const next = Math.min(S.pb.duration, S.pb.t + speed * (now - last) / 1000);
    last = now;
    $("#playback-time").value = String(next);
    await drawPlayback(next);
    if (next >= S.pb.duration) pausePlayback();
    await new Promise((ok) => setTimeout(ok, 30));
  }
}

function wirePlayback() {
  $("#playback-run").onchange = (e) => openPlayback(e.target.value);
  $("#playback-time").oninput = (e) => drawPlayback(Number(e.target.value));
  $("#playback-play").onclick = () => {
    if (S.pb.playing) { pausePlayback(); return; }
    if (S.pb.t >= S.pb.duration) S.pb.t = 0;
    S.pb.playing = true; $("#playback-play").textContent = t("playback.pause"); playLoop();
  };
  const cam = () => S.pb.camera || (S.pb.camera = { mode: "all", floor: "", az: 0, el: 0, zoom: 1 });
  $("#playback-mode").onchange = (e) => { cam().mode = e.target.value; cam().floor = $("#playback-floor").value; drawPlayback(S.pb.t); };
  $("#playback-floor").onchange = (e) => { cam().floor = e.target.value; S.pb.floor = e.target.value; drawPlayback(S.pb.t); };
  dragToTurn($("#playback-viewport"), cam(), () => drawPlayback(S.pb.t));
  $("#playback-download").onclick = async () => {
    try {
      message(t("app.loading"), "info");
      const res = await api(`/console/api/runs/${encodeURIComponent(S.pb.run)}/playback.mp4?speed=${$("#playback-speed").value}&lang=${encodeURIComponent(S.lang)}`, { raw: true });
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement("a"); a.href = url; a.download = `${S.pb.run}-evacuation.mp4`; a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      message("");
    } catch (e) { message(`${t("app.error")}: ${e.message}`); }
  };
}

/* --- start ------------------------------------------------------------------------------- */

async function startApp() {
  try { await loadInfo(); } catch (e) {
    if (e.status === 503) $("#live-updated").textContent = t("live.not_running"); else message(`${t("app.error")}: ${e.message}`);
  }
  await loadWho();
  // The live tab draws the building with WebGL when the browser can (scene3d.js); else the server's picture.
  if (window.Scene3D && S.info) { try { await Scene3D.start(); } catch (e) { console.warn("3D in the browser failed", e); } }
  for (const id of S.timers) clearInterval(id);
  S.timers = [
    setInterval(() => { if (S.tab === "live" && !$("#app").hidden) refreshLive(); }, 500),
    setInterval(() => { if (S.tab === "alarms") loadAlarms(); if (S.tab === "equipment") loadEquipment(); }, 3000),
    setInterval(() => { if (S.tab === "runs") loadRuns(); }, 4000),
  ];
  streamAlarms();
  showTab(S.tab);
}

window.addEventListener("DOMContentLoaded", async () => {
  for (const b of $$("#tabs button")) b.onclick = () => showTab(b.dataset.tab);
  $("#lang").onchange = (e) => loadLanguage(e.target.value);
  $("#login-form").onsubmit = (e) => { e.preventDefault(); signIn($("#token").value); };
  $("#sign-out").onclick = signOut;
  $("#equipment-filter").oninput = () => loadEquipment();
  wireLive();
  wirePlayback();
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("token")) { S.token = hash.get("token"); history.replaceState(null, "", location.pathname); }
  if (hash.get("lang")) S.lang = hash.get("lang");
  if (hash.get("tab")) S.tab = hash.get("tab");
  try { await loadLanguage(S.lang); } catch (e) { message(e.message); }
  if (S.token) await signIn(S.token); else signOut();
});
