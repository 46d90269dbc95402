/* Building Twin console: the engineer's alarm history, equipment history over any range, and the
 * supervisor's dashboard (issue 15 section 3). Plain browser JavaScript, loaded after console.js,
 * whose helpers it uses (S, $, $$, esc, t, fmt, fmtTime, api, message, L, openEquipment).
 *
 * Alarm history: every raised, cleared and acknowledged step from the twin's history
 * (GET /twin/alarms/history), filtered by system, floor, severity, step and time, paged, with the
 * acknowledgement's note, and downloaded as CSV with the same filters.
 * Equipment history: a range picker (last hour / day / week / custom) over the point's history,
 * which the server down-samples to at most 300 points (mean, with the min–max band drawn).
 * Dashboard (GET /twin/dashboard): work orders against the 30 min / 2 h promises from the latest
 * operations run, failures and availability by system, alarms by system over time, energy by day
 * and month; printable (console.css has its print stylesheet).
 */
"use strict";

const RANGE_MS = { hour: 3600e3, day: 86400e3, week: 7 * 86400e3, month: 30 * 86400e3, year: 365 * 86400e3 };
const SYSTEM_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#7F7F7F", "#000000"];
const HISTORY_PAGE = 50;

S.hist = S.hist || { system: "", floor: "", severity: "", transition: "", range: "week", from: "", to: "", offset: 0 };
S.eqRange = S.eqRange || { kind: "hour", from: "", to: "" };
S.dashRange = S.dashRange || "week";

/* --- shared pieces ------------------------------------------------------------------------ */

/* A code name the catalogue has no words for, read as words ("fire_jockey_pump" → "Fire jockey pump"):
 * twin/spec.py's readable_code does the same for the API's pickers. */
const CODE_ACRONYMS = new Set(["ahu", "ats", "cctv", "dhw", "fcu", "hv", "hvac", "led", "lv", "mcc", "mv", "nvr", "ups", "vav", "vfd"]);
function readableCode(code) {
  if (!code || /[^\x00-\x7f]/.test(code)) return code || "";
  const parts = code.split(/[-_ ]+/).filter((p) => p).map((p) => CODE_ACRONYMS.has(p.toLowerCase()) ? p.toUpperCase() : p.toLowerCase());
  const words = parts.join(" ");
  return words ? words[0].toUpperCase() + words.slice(1) : code;
}

/* A system's, a kind of equipment's and a kind of space's words (declared in twin/spec.py, served as
 * system.*, equipment_kind.* and space_kind.* labels); the JSON keeps the code names. */
function systemLabel(s) { return s ? (S.labels["system." + s] ? t("system." + s) : readableCode(s)) : ""; }
/* A kind of space's words (twin/spec.py SPACE_KIND_WORDS, served as space_kind.* labels). */
function spaceKindLabel(k) { return k ? (S.labels["space_kind." + k] ? t("space_kind." + k) : readableCode(k)) : ""; }
function equipmentKindLabel(k) {
  if (!k) return "";
  const key = "equipment_kind." + k, loose = "equipment_kind." + k.trim().toLowerCase().replace(/[- ]/g, "_");
  return S.labels[key] ? t(key) : S.labels[loose] ? t(loose) : readableCode(k);
}

/* A point's words with its unit ("Outlet pressure (kPa)"), declared in twin/live/words.py (served as
 * point.* labels, the unit from unit_symbol.* by the name's last part); a point nobody declared reads
 * as its code name in words. A fire panel's zone_{id}: "Zone {id}". */
function pointLabel(name) {
  if (!name) return "";
  const cut = name.lastIndexOf("_"), last = cut > 0 ? name.slice(cut + 1).toLowerCase() : "";
  const unit = last && S.labels["unit_symbol." + last] ? t("unit_symbol." + last) : "";
  let words;
  if (S.labels["point." + name]) words = t("point." + name);
  else if (name.startsWith("zone_") && name.length > 5) words = t("point.zone", { zone: name.slice(5) });
  else words = readableCode(unit ? name.slice(0, cut) : name);
  return unit ? `${words} (${unit})` : words;
}

/* A value as a person reads it: a text or yes/no value in words (value.{point}.{word}, else
 * value.{word}; one nobody declared as the device sent it), a floor as its storey, a number as fmt. */
function pointValueText(point, v) {
  if (typeof v === "boolean") v = String(v);
  if (typeof v !== "string") return fmt(v);
  if (point === "floor" && S.info && (S.info.floors || []).some((f) => f.id === v)) return floorLabel(v);
  const own = `value.${point}.${v}`, any = `value.${v}`;
  return S.labels[own] ? t(own) : S.labels[any] ? t(any) : v;
}

/* An alarm's message in the reader's language (its words), else the one message it has. */
function alarmText(a) { return (a.words && (a.words[S.lang] || a.words.en)) || a.message || ""; }

function floorLabel(id) {
  const f = ((S.info && S.info.floors) || []).find((x) => x.id === id);
  return f ? (L(f.label) || f.name || id) : (id || "");
}

function knownSystems() { return [...new Set(((S.info && S.info.equipment) || []).map((e) => e.system))].sort(); }

/* A time input's value (datetime-local, the browser's time zone) for an epoch ms, and back. */
function localInput(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/* [start_ms, end_ms] of a range choice; a custom one from its two inputs (null when not before). */
function rangeWindow(kind, from, to) {
  if (kind === "custom") {
    const a = new Date(from).getTime(), b = new Date(to).getTime();
    return isFinite(a) && isFinite(b) && a < b ? [a, b] : null;
  }
  const end = Date.now() + 1;
  return [Math.max(0, end - RANGE_MS[kind]), end];
}

function rangePicker(prefix, kinds, chosen, from, to) {
  return `<label><span>${esc(t("history.range"))}</span> <select id="${prefix}-range">
      ${kinds.map((k) => `<option value="${k}"${k === chosen ? " selected" : ""}>${esc(t("range." + k))}</option>`).join("")}</select></label>
    <span id="${prefix}-custom" class="custom-range"${chosen === "custom" ? "" : " hidden"}>
      <label>${esc(t("range.from"))} <input type="datetime-local" id="${prefix}-from" value="${esc(from)}"></label>
      <label>${esc(t("range.to"))} <input type="datetime-local" id="${prefix}-to" value="${esc(to)}"></label></span>`;
}

function wireRangePicker(prefix) {
  const sel = $(`#${prefix}-range`);
  sel.onchange = () => {
    const custom = sel.value === "custom";
    $(`#${prefix}-custom`).hidden = !custom;
    if (custom && !$(`#${prefix}-from`).value) {  // start from the last day, to be edited
      $(`#${prefix}-from`).value = localInput(Date.now() - RANGE_MS.day);
      $(`#${prefix}-to`).value = localInput(Date.now() + 60e3);
    }
  };
}

function select(id, allLabel, options, chosen) {
  return `<select id="${id}"><option value="">${esc(allLabel)}</option>
    ${options.map(([v, label]) => `<option value="${esc(v)}"${v === chosen ? " selected" : ""}>${esc(label)}</option>`).join("")}</select>`;
}

/* --- alarm history ------------------------------------------------------------------------ */

function historyQuery(h, forCsv) {
  const win = rangeWindow(h.range, h.from, h.to);
  if (!win) return null;
  const q = new URLSearchParams({ start_ms: String(Math.round(win[0])), end_ms: String(Math.round(win[1])) });
  for (const k of ["system", "floor", "severity", "transition"]) if (h[k]) q.set(k, h[k]);
  if (forCsv) { q.set("format", "csv"); q.set("lang", S.lang); }  // the messages in the reader's language
  else { q.set("limit", String(HISTORY_PAGE)); q.set("offset", String(h.offset)); }
  return q;
}

function renderHistoryForm() {
  const h = S.hist;
  const pane = $("#tab-history");
  pane.innerHTML = `<h2>${esc(t("history.title"))}</h2>
    <form id="history-form" class="toolbar">
      <label><span>${esc(t("history.system"))}</span> ${select("history-system", t("history.all"), knownSystems().map((s) => [s, systemLabel(s)]), h.system)}</label>
      <label><span>${esc(t("history.floor"))}</span> ${select("history-floor", t("history.all"), ((S.info && S.info.floors) || []).map((f) => [f.id, floorLabel(f.id)]), h.floor)}</label>
      <label><span>${esc(t("history.severity"))}</span> ${select("history-severity", t("history.all"), ["critical", "major", "minor", "warning"].map((s) => [s, t("severity." + s)]), h.severity)}</label>
      <label><span>${esc(t("history.transition"))}</span> ${select("history-transition", t("history.all"), ["raised", "cleared", "acknowledged"].map((s) => [s, t("transition." + s)]), h.transition)}</label>
      ${rangePicker("history", ["hour", "day", "week", "month", "year", "custom"], h.range, h.from, h.to)}
      <button type="submit" id="history-apply">${esc(t("history.apply"))}</button>
      <button type="button" id="history-csv">${esc(t("history.csv"))}</button>
    </form>
    <table class="grid" id="history-table"><thead><tr><th>${esc(t("history.time"))}</th><th>${esc(t("history.transition"))}</th>
      <th>${esc(t("history.severity"))}</th><th>${esc(t("history.equipment"))}</th><th>${esc(t("history.system"))}</th>
      <th>${esc(t("history.floor"))}</th><th>${esc(t("history.message"))}</th><th>${esc(t("history.by"))}</th>
      <th>${esc(t("history.note"))}</th></tr></thead><tbody></tbody></table>
    <p id="history-none" class="hint" hidden>${esc(t("history.none"))}</p>
    <div class="toolbar pager"><button type="button" id="history-newer">${esc(t("history.newer"))}</button>
      <span id="history-count"></span><button type="button" id="history-older">${esc(t("history.older"))}</button></div>`;
  wireRangePicker("history");
  $("#history-form").onsubmit = (e) => { e.preventDefault(); readHistoryForm(); S.hist.offset = 0; fetchHistory(); };
  $("#history-csv").onclick = () => { readHistoryForm(); downloadHistoryCsv(); };
  $("#history-newer").onclick = () => { S.hist.offset = Math.max(0, S.hist.offset - HISTORY_PAGE); fetchHistory(); };
  $("#history-older").onclick = () => { S.hist.offset += HISTORY_PAGE; fetchHistory(); };
}

function readHistoryForm() {
  Object.assign(S.hist, { system: $("#history-system").value, floor: $("#history-floor").value,
    severity: $("#history-severity").value, transition: $("#history-transition").value, range: $("#history-range").value,
    from: $("#history-from").value, to: $("#history-to").value });
}

async function loadHistory() {
  renderHistoryForm();
  await fetchHistory();
}

async function fetchHistory() {
  const q = historyQuery(S.hist, false);
  if (!q) { message(t("history.bad_range")); return; }
  try {
    const body = await api(`/twin/alarms/history?${q}`);
    message("");
    const tbody = $("#history-table tbody");
    tbody.innerHTML = body.rows.map((r) => `<tr data-alarm="${esc(r.alarm_id)}" data-transition="${esc(r.transition)}" data-at="${esc(r.at_ms)}">
      <td>${esc(fmtTime(r.at_ms))}</td><td>${esc(t("transition." + r.transition))}</td>
      <td>${r.severity ? `<span class="badge sev-${esc(r.severity)}">${esc(t("severity." + r.severity))}</span>` : ""}</td>
      <td><a href="#" data-equipment="${esc(r.device || "")}">${esc(r.device || "")}</a></td>
      <td>${esc(systemLabel(r.system))}</td><td>${esc(floorLabel(r.floor))}</td><td>${esc(alarmText(r))}</td>
      <td>${esc(r.by || "")}</td><td class="note">${r.note ? `“${esc(r.note)}”` : ""}</td></tr>`).join("");
    for (const a of $$("a[data-equipment]", tbody)) a.onclick = (e) => { e.preventDefault(); openEquipment(a.dataset.equipment); };
    $("#history-none").hidden = body.rows.length > 0;
    $("#history-count").textContent = body.total ? t("history.count", { from: body.offset + 1, to: body.offset + body.rows.length, total: body.total }) : "";
    $("#history-table").dataset.total = String(body.total);
    $("#history-newer").disabled = body.offset === 0;
    $("#history-older").disabled = body.offset + body.rows.length >= body.total;
  } catch (e) { message(`${t("app.error")}: ${e.message}`); }
}

async function downloadHistoryCsv() {
  const q = historyQuery(S.hist, true);
  if (!q) { message(t("history.bad_range")); return; }
  try {
    const res = await api(`/twin/alarms/history?${q}`, { raw: true });
    const blob = await res.blob();
    const name = ((res.headers.get("content-disposition") || "").match(/filename="([^"]+)"/) || [])[1] || "alarm-history.csv";
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob); a.download = name;
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  } catch (e) { message(`${t("app.error")}: ${e.message}`); }
}

/* --- equipment history over a range ------------------------------------------------------- */

/* Called by console.js's showEquipment for the chosen point: the range picker above the chart. */
async function equipmentHistory(id, point) {
  const chart = $("#history-chart");
  if (!chart) return;
  let bar = $("#eq-range-bar");
  if (!bar) { bar = document.createElement("form"); bar.id = "eq-range-bar"; bar.className = "toolbar"; chart.before(bar); }
  const r = S.eqRange;
  bar.innerHTML = `${rangePicker("eq", ["hour", "day", "week", "custom"], r.kind, r.from, r.to)}
    <button type="submit" id="eq-apply">${esc(t("history.apply"))}</button>`;
  wireRangePicker("eq");
  $("#eq-range").addEventListener("change", () => { if ($("#eq-range").value !== "custom") bar.requestSubmit(); });
  bar.onsubmit = (e) => {
    e.preventDefault();
    Object.assign(S.eqRange, { kind: $("#eq-range").value, from: $("#eq-from").value, to: $("#eq-to").value });
    equipmentHistory(id, point);
  };
  const win = rangeWindow(r.kind, r.from, r.to);
  if (!win) { message(t("history.bad_range")); return; }
  const q = new URLSearchParams({ point, start_ms: String(Math.round(win[0])), end_ms: String(Math.round(win[1])), max_points: "300" });
  const h = await api(`/twin/equipment/${encodeURIComponent(id)}/history?${q}`);
  const pts = (h.samples || []).filter((s) => typeof s.value === "number");
  chart.dataset.range = r.kind; chart.dataset.samples = String(pts.length); chart.dataset.downsampled = String(!!h.downsampled);
  chart.innerHTML = pts.length ? rangeChart(pts, pointLabel(point), win[0], win[1]) : `<p class="hint">${esc(t("equipment.no_history"))}</p>`;
  const hint = $("#eq-history-hint");
  if (hint) hint.textContent = t("equipment.range_hint", { range: t("range." + r.kind), n: pts.length });
}

function timeLabel(ms, spanMs) {
  const d = new Date(ms);
  return spanMs > 1.5 * RANGE_MS.day ? d.toLocaleString(S.lang, { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" })
    : d.toLocaleTimeString(S.lang, { hour: "2-digit", minute: "2-digit" });
}

/* A line of the samples' means over the whole window, with the min–max band of down-sampled buckets. */
function rangeChart(points, label, x0, x1, width = 640, height = 240) {
  const m = { l: 56, r: 12, t: 10, b: 28 };
  const lows = points.map((p) => (typeof p.min === "number" ? p.min : p.value)), highs = points.map((p) => (typeof p.max === "number" ? p.max : p.value));
  const [y0, y1] = niceRange(Math.min(...lows), Math.max(...highs));
  const X = (x) => m.l + (x - x0) / (x1 - x0 || 1) * (width - m.l - m.r);
  const Y = (y) => height - m.b - (y - y0) / (y1 - y0) * (height - m.t - m.b);
  const line = points.map((p, i) => `${i ? "L" : "M"}${X(p.ts_ms).toFixed(1)},${Y(p.value).toFixed(1)}`).join("");
  const banded = points.some((p) => p.count > 1);
  const band = banded ? points.map((p, i) => `${i ? "L" : "M"}${X(p.ts_ms).toFixed(1)},${Y(highs[i]).toFixed(1)}`).join("")
    + [...points].reverse().map((p, j) => `L${X(p.ts_ms).toFixed(1)},${Y(lows[points.length - 1 - j]).toFixed(1)}`).join("") + "Z" : "";
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => y0 + f * (y1 - y0));
  const timeTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => x0 + f * (x1 - x0));
  return `<svg width="${width}" height="${height}" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg">
    ${ticks.map((v) => `<line x1="${m.l}" x2="${width - m.r}" y1="${Y(v)}" y2="${Y(v)}" stroke="#e3e7eb"/>
      <text x="${m.l - 6}" y="${Y(v) + 4}" font-size="11" text-anchor="end" fill="#555">${esc(fmt(v))}</text>`).join("")}
    ${timeTicks.map((v, i) => `<text x="${X(v)}" y="${height - 8}" font-size="11" text-anchor="${i === 0 ? "start" : i === 4 ? "end" : "middle"}" fill="#555">${esc(timeLabel(v, x1 - x0))}</text>`).join("")}
    ${band ? `<path class="band" d="${band}" fill="#0072B2" opacity="0.18" stroke="none"/>` : ""}
    <path d="${line}" fill="none" stroke="#0072B2" stroke-width="1.6"/>
    ${points.length <= 60 ? points.map((p) => `<circle cx="${X(p.ts_ms).toFixed(1)}" cy="${Y(p.value).toFixed(1)}" r="2.5" fill="#0072B2"/>`).join("") : ""}</svg>`;
}

/* --- the supervisor's dashboard ----------------------------------------------------------- */

function minutes(v) { return typeof v === "number" && isFinite(v) ? `${fmt(v)} ${t("dash.minutes")}` : "—"; }

function pct(v, digits = 1) { return typeof v === "number" && isFinite(v) ? `${fmt(100 * v, digits)} %` : "—"; }

async function loadDashboard() {
  const pane = $("#tab-dashboard");
  const win = rangeWindow(S.dashRange);
  let d;
  try {
    d = await api(`/twin/dashboard?start_ms=${Math.round(win[0])}&end_ms=${Math.round(win[1])}`);
  } catch (e) { message(`${t("app.error")}: ${e.message}`); return; }
  S.dashboard = d;
  pane.innerHTML = `<div class="toolbar">
      <label><span>${esc(t("history.range"))}</span> <select id="dash-range">${["day", "week", "month", "year"].map((k) =>
        `<option value="${k}"${k === S.dashRange ? " selected" : ""}>${esc(t("range." + k))}</option>`).join("")}</select></label>
      <button type="button" id="dash-print">${esc(t("dash.print"))}</button></div>
    <h2 id="dash-title">${esc(t("dash.title"))}${S.building ? ` — ${esc(S.building.name || S.building.id)}` : ""}</h2>
    <p class="hint" id="dash-window">${esc(t("dash.window", { from: fmtTime(d.start_ms), to: fmtTime(d.end_ms) }))}</p>
    ${d.live ? "" : `<p class="hint warn">${esc(t("dash.no_live"))}</p>`}
    ${ordersHtml(d)}${systemsHtml(d)}${alarmsOverTimeHtml(d)}${energyHtml(d)}
    <p class="hint dash-definitions">${esc(t("dash.definitions"))} ${esc(t("dash.definitions_live"))}</p>`;
  $("#dash-range").onchange = (e) => { S.dashRange = e.target.value; loadDashboard(); };
  $("#dash-print").onclick = () => window.print();
}

function ordersHtml(d) {
  const wo = d.work_orders;
  if (!wo) return `<section class="dash-section" id="dash-orders"><h3>${esc(t("dash.orders"))}</h3><p class="hint">${esc(t("dash.orders.none"))}</p>${liveOrdersHtml(d)}</section>`;
  const run = d.operations_run || {};
  const kpiFor = { emergency: wo.kpis.emergency_within_sla, ordinary: wo.kpis.ordinary_within_sla };
  const rows = ["emergency", "ordinary"].map((p) => {
    const f = wo.by_priority[p] || {};
    const k = kpiFor[p];
    const interval = k && typeof k.ci95_low === "number" ? ` (${pct(k.ci95_low)} – ${pct(k.ci95_high)})` : "";
    const verdict = k && k.verdict ? `<span class="verdict verdict-${esc(k.verdict)}" data-verdict="${esc(k.verdict)}"><span class="mark" aria-hidden="true">${VERDICT_MARK[k.verdict] || "•"}</span> ${esc(t("verdict." + k.verdict))}</span>` : "";
    return `<tr data-priority="${p}"><td>${esc(t("priority." + p))}</td><td class="num">${esc(minutes(f.promise_min))}</td>
      <td class="num">${esc(fmt(f.orders))}</td><td class="num" data-share="${esc(f.share_within)}">${esc(fmt(f.within))} · ${esc(pct(f.share_within))}</td>
      <td class="num">${esc(minutes(f.p50_min))}</td><td class="num">${esc(minutes(f.p95_min))}</td>
      <td class="num">${esc(fmt(f.not_attended))}</td><td>${k ? `${esc(pct(k.mean))}${esc(interval)} ${verdict}` : "—"}</td></tr>`;
  }).join("");
  const charts = ["emergency", "ordinary"].map((p) => histogramSvg(p, (wo.by_priority[p] || {}))).join("");
  return `<section class="dash-section" id="dash-orders"><h3>${esc(t("dash.orders"))}</h3>
    <p class="hint">${esc(t("dash.orders.run", { run: run.id || "", scenario: L(wo.title) || wo.scenario || run.scenario || "",
      replications: run.replications ?? wo.replications ?? "", at: run.finished_at ? new Date(run.finished_at).toLocaleString(S.lang) : "—" }))}</p>
    <table class="grid" id="dash-orders-table"><thead><tr><th>${esc(t("dash.priority"))}</th><th>${esc(t("dash.promise"))}</th>
      <th>${esc(t("dash.attended"))}</th><th>${esc(t("dash.within"))}</th><th>${esc(t("dash.median"))}</th><th>${esc(t("dash.p95"))}</th>
      <th>${esc(t("dash.not_attended"))}</th><th>${esc(t("dash.kpi"))}</th></tr></thead><tbody>${rows}</tbody></table>
    <div class="charts">${charts}</div>${liveOrdersHtml(d)}</section>`;
}

/* Live incidents against the same promises: critical alarms 30 min, major 2 h, to the acknowledgement. */
function liveOrdersHtml(d) {
  const live = d.live_response;
  if (!live) return "";
  const rows = ["emergency", "ordinary"].map((p) => {
    const f = live[p] || {};
    return `<tr data-priority="${p}"><td>${esc(t("priority." + p))} <small>(${esc(t("severity." + f.severity))})</small></td>
      <td class="num">${esc(minutes(f.promise_min))}</td><td class="num">${esc(fmt(f.orders))}</td>
      <td class="num" data-share="${esc(f.share_within)}">${esc(fmt(f.within))} · ${esc(pct(f.share_within))}</td>
      <td class="num">${esc(minutes(f.p50_min))}</td><td class="num">${esc(minutes(f.p95_min))}</td>
      <td class="num">${esc(fmt(f.not_attended))} (${esc(fmt(f.late_open))})</td></tr>`;
  }).join("");
  return `<h4>${esc(t("dash.live_orders"))}</h4>
    <table class="grid" id="dash-live-table"><thead><tr><th>${esc(t("dash.priority"))}</th><th>${esc(t("dash.promise"))}</th>
      <th>${esc(t("dash.acknowledged"))}</th><th>${esc(t("dash.within"))}</th><th>${esc(t("dash.median"))}</th><th>${esc(t("dash.p95"))}</th>
      <th>${esc(t("dash.not_acknowledged"))}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/* Orders by time to attend: bins in multiples of the promise; within it green, past it vermilion. */
function histogramSvg(priority, f) {
  const bins = f.histogram || [];
  if (!bins.length) return "";
  const width = 420, height = 200, m = { l: 40, r: 10, t: 10, b: 40 };
  const top = Math.max(1, ...bins.map((b) => b.orders)) * 1.12;  // room for the counts above the bars
  const w = (width - m.l - m.r) / bins.length;
  const Y = (v) => height - m.b - v / top * (height - m.t - m.b);
  const bars = bins.map((b, i) => {
    const late = f.promise_min && b.from_min >= f.promise_min;
    const label = b.to_min === null ? `≥${fmt(b.from_min)}` : `${fmt(b.from_min)}–${fmt(b.to_min)}`;
    return `<rect x="${m.l + i * w + 2}" y="${Y(b.orders)}" width="${w - 4}" height="${Y(0) - Y(b.orders)}" fill="${late ? "#D55E00" : "#009E73"}"><title>${esc(label)}: ${b.orders}</title></rect>
      <text x="${m.l + i * w + w / 2}" y="${Y(b.orders) - 3}" font-size="10" text-anchor="middle" fill="#333">${b.orders}</text>
      <text x="${m.l + i * w + w / 2}" y="${height - m.b + 14}" font-size="10" text-anchor="middle" fill="#555">${esc(label)}</text>`;
  }).join("");
  const promiseX = m.l + bins.findIndex((b) => f.promise_min && b.from_min >= f.promise_min) * w;
  return `<div class="chart" data-histogram="${priority}"><h4>${esc(t("dash.histogram", { priority: t("priority." + priority) }))}</h4>
    <svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${bars}
    <line x1="${promiseX}" x2="${promiseX}" y1="${m.t}" y2="${height - m.b}" stroke="#222" stroke-dasharray="4 3"/>
    <text x="${promiseX + 3}" y="${m.t + 10}" font-size="10" fill="#222">${esc(t("dash.promise"))} ${esc(minutes(f.promise_min))}</text>
    <line x1="${m.l}" x2="${width - m.r}" y1="${Y(0)}" y2="${Y(0)}" stroke="#999"/></svg></div>`;
}

function systemsHtml(d) {
  if (!d.systems) return "";
  const raised = (d.alarms_by_system || {}).systems || {};
  const rows = Object.entries(d.systems).map(([s, f]) => `<tr data-system="${esc(s)}"><td>${esc(systemLabel(s))}</td>
    <td class="num">${esc(fmt(f.devices))}</td><td class="num">${esc(fmt(f.failures))}</td><td class="num">${esc(fmt(f.down_h, 2))}</td>
    <td class="num" data-availability="${esc(f.availability)}">${esc(pct(f.availability, 2))}</td>
    <td class="num">${esc(fmt((raised[s] || []).reduce((a, b) => a + b, 0)))}</td></tr>`).join("");
  return `<section class="dash-section" id="dash-systems"><h3>${esc(t("dash.systems"))}</h3>
    <table class="grid" id="dash-systems-table"><thead><tr><th>${esc(t("history.system"))}</th><th>${esc(t("dash.devices"))}</th>
      <th>${esc(t("dash.failures"))}</th><th>${esc(t("dash.down_h"))}</th><th>${esc(t("dash.availability"))}</th>
      <th>${esc(t("dash.alarms_raised"))}</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/* Stacked bars: alarms raised per bucket, one colour per system, with a legend. */
function alarmsOverTimeHtml(d) {
  const a = d.alarms_by_system;
  if (!a) return "";
  const systems = Object.keys(a.systems);
  const n = a.starts_ms.length, width = 760, height = 220, m = { l: 40, r: 10, t: 10, b: 30 };
  const totals = a.starts_ms.map((_, i) => systems.reduce((sum, s) => sum + a.systems[s][i], 0));
  const top = Math.max(1, ...totals);
  const w = (width - m.l - m.r) / n;
  const Y = (v) => height - m.b - v / top * (height - m.t - m.b);
  let bars = "";
  a.starts_ms.forEach((start, i) => {
    let below = 0;
    systems.forEach((s, j) => {
      const v = a.systems[s][i];
      if (!v) return;
      bars += `<rect x="${(m.l + i * w).toFixed(1)}" y="${Y(below + v).toFixed(1)}" width="${Math.max(1, w - 1).toFixed(1)}" height="${(Y(below) - Y(below + v)).toFixed(1)}" fill="${SYSTEM_COLOURS[j % SYSTEM_COLOURS.length]}"><title>${esc(systemLabel(s))} ${esc(fmtTime(start))}: ${v}</title></rect>`;
      below += v;
    });
  });
  const ticks = [0, Math.floor(n / 2), n - 1].filter((v, i, arr) => arr.indexOf(v) === i);
  const legend = systems.map((s, j) => `<li><span class="swatch" style="background:${SYSTEM_COLOURS[j % SYSTEM_COLOURS.length]}"></span> ${esc(systemLabel(s))}</li>`).join("");
  return `<section class="dash-section" id="dash-alarms"><h3>${esc(t("dash.alarms"))}</h3>
    <div class="chart"><svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${bars}
      <line x1="${m.l}" x2="${width - m.r}" y1="${Y(0)}" y2="${Y(0)}" stroke="#999"/>
      <text x="${m.l - 6}" y="${Y(top) + 4}" font-size="11" text-anchor="end" fill="#555">${top}</text>
      ${ticks.map((i) => `<text x="${m.l + i * w}" y="${height - 10}" font-size="11" fill="#555">${esc(timeLabel(a.starts_ms[i], a.starts_ms[n - 1] - a.starts_ms[0] + a.bucket_ms))}</text>`).join("")}</svg>
    <ul class="legend inline">${legend}</ul></div></section>`;
}

function energyHtml(d) {
  if (!d.live) return "";
  const e = d.energy;
  if (!e) return `<section class="dash-section" id="dash-energy"><h3>${esc(t("dash.energy"))}</h3><p class="hint">${esc(t("dash.energy.none"))}</p></section>`;
  const meters = Object.keys(e.by_day);
  const byMonth = `<table class="grid" id="dash-energy-month"><thead><tr><th>${esc(t("dash.month"))}</th>${meters.map((mt) => `<th>${esc(mt)}</th>`).join("")}</tr></thead><tbody>
    ${e.months.map((mo, i) => `<tr><td>${esc(mo)}</td>${meters.map((mt) => `<td class="num">${esc(fmt(e.by_month[mt][i], 1))}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
  const days = e.days.map((day, i) => [day, i]).filter(([, i]) => meters.some((mt) => e.by_day[mt][i] !== null));
  const byDay = `<table class="grid" id="dash-energy-day"><thead><tr><th>${esc(t("dash.day"))}</th>${meters.map((mt) => `<th>${esc(mt)}</th>`).join("")}</tr></thead><tbody>
    ${days.map(([day, i]) => `<tr><td>${esc(day)}</td>${meters.map((mt) => `<td class="num">${esc(fmt(e.by_day[mt][i], 1))}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
  return `<section class="dash-section" id="dash-energy"><h3>${esc(t("dash.energy"))}</h3>
    <div class="side-by-side"><div><h4>${esc(t("dash.by_month"))}</h4>${byMonth}</div><div><h4>${esc(t("dash.by_day"))}</h4>${byDay}</div></div></section>`;
}

/* console.js's refreshTab looks here for the tabs this file adds. */
window.TAB_LOADERS = Object.assign(window.TAB_LOADERS || {}, { history: loadHistory, dashboard: loadDashboard });
