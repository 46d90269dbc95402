/* Building Twin console: compare any number of runs side by side (issue 15 §2, third bullet).
 * Plain browser JavaScript, loaded after console.js, whose helpers it uses (S, $, $$, esc, t, L,
 * fmt, api, message, fetchRuns, runSummary, loadModels, loadScenarioInfo, runTitle, named,
 * kpiInfo, kpiValue, verdictHtml, censoredHtml, changesHtml, changesText, pointHeading, ciChart).
 *
 * The person ticks 2 to 20 finished runs (or sweep points of a run) and picks the baseline; the
 * server compares them (GET /runs/compare?runs=…, the first being the baseline). Each run is
 * labelled by what it changed from its library scenario ("technicians 4 → 3"), else by its sweep
 * point, else its title; each KPI shows every run's mean and 95 % interval, its verdict against
 * its target (pass / fail) and against the baseline (better / worse / no clear difference).
 */
"use strict";

const COMPARE_MAX = 20;
const COMPARE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#7F7F7F", "#000000"];

S.cmp = S.cmp || { picked: [], baseline: "", model: "" };

/* Every finished run as rows of the picker: a sweep's points each have a row of their own. */
function cmpRows(runs) {
  const rows = [];
  for (const r of runs.filter((x) => x.status === "done")) {
    if ((r.points || 1) > 1) for (let i = 0; i < Math.min(r.points, COMPARE_MAX); i += 1) rows.push({ ref: `${r.id}:${i}`, run: r, point: i });
    else rows.push({ ref: r.id, run: r, point: null });
  }
  return rows;
}

/* A picker row's title: its run's, with the sweep point's number. */
function cmpRowTitle(row) {
  return runTitle(row.run) + (row.point === null ? "" : ` · ${t("compare.point", { n: row.point + 1 })}`);
}

async function loadComparePicker() {
  const pane = $("#compare-pick");
  if (!pane) return;
  try {
    await loadModels();
    await scenarioTitles();
    const rows = cmpRows(await fetchRuns());
    const known = new Set(rows.map((x) => x.ref));
    S.cmp.picked = S.cmp.picked.filter((ref) => known.has(ref));
    if (!known.has(S.cmp.baseline)) S.cmp.baseline = S.cmp.picked[0] || "";
    const models = [...new Set(rows.map((x) => x.run.model))].sort();
    const modelOptions = [`<option value="">${esc(t("compare.all_models"))}</option>`].concat(models.map((m) => {
      const info = (S.models || {})[m];
      return `<option value="${esc(m)}"${m === S.cmp.model ? " selected" : ""}>${esc(info ? L(info.title) || m : m)}</option>`;
    })).join("");
    const shown = rows.filter((x) => !S.cmp.model || x.run.model === S.cmp.model);
    pane.innerHTML = `<div class="toolbar">
        <label><span>${esc(t("compare.model"))}</span> <select id="compare-model">${modelOptions}</select></label>
        <button type="button" id="compare-go">${esc(t("compare.go"))}</button>
        <button type="button" id="compare-clear">${esc(t("compare.clear"))}</button>
        <span id="compare-count" class="hint"></span></div>
      <details id="compare-choose"${S.cmp.shown ? "" : " open"}><summary>${esc(t("compare.choose"))}</summary>
      <div class="compare-choices"><table class="grid" id="compare-runs"><thead><tr>
        <th>${esc(t("compare.pick"))}</th><th>${esc(t("compare.baseline"))}</th><th>${esc(t("runs.scenario"))}</th>
        <th>${esc(t("compare.changes"))}</th><th>${esc(t("runs.created"))}</th></tr></thead><tbody>
      ${shown.length ? shown.map((row) => `<tr data-ref="${esc(row.ref)}"><td><input type="checkbox" class="compare-check" value="${esc(row.ref)}"
            aria-label="${esc(t("compare.pick"))} ${esc(row.ref)}"${S.cmp.picked.includes(row.ref) ? " checked" : ""}></td>
          <td><input type="radio" name="compare-baseline" class="compare-base" value="${esc(row.ref)}"
            aria-label="${esc(t("compare.baseline"))} ${esc(row.ref)}"${row.ref === S.cmp.baseline ? " checked" : ""}></td>
          <td>${esc(cmpRowTitle(row))}<br><small><code class="code">${esc(row.ref)}</code> · ${modelHtml(row.run.model)}</small></td>
          <td>${row.run.changes && row.run.changes.length ? changesHtml(row.run.changes, row.run.model) : `<span class="changes none">${esc(t("runs.no_changes"))}</span>`}</td>
          <td><small>${esc(new Date(row.run.created_at).toLocaleString(S.lang))}</small></td></tr>`).join("")
        : `<tr><td colspan="5">${esc(t("compare.none"))}</td></tr>`}</tbody></table></div></details>`;
    $("#compare-model").onchange = (e) => { S.cmp.model = e.target.value; loadComparePicker(); };
    $("#compare-go").onclick = () => compareRuns(cmpOrder());
    $("#compare-clear").onclick = () => { S.cmp.picked = []; S.cmp.baseline = ""; S.cmp.shown = false; loadComparePicker(); $("#compare-result").innerHTML = ""; };
    for (const box of $$(".compare-check", pane)) box.onchange = () => cmpToggle(box.value, box.checked);
    for (const radio of $$(".compare-base", pane)) radio.onchange = () => { S.cmp.baseline = radio.value; if (!S.cmp.picked.includes(radio.value)) cmpToggle(radio.value, true); else cmpCount(); };
    cmpCount();
  } catch (e) { message(`${t("app.error")}: ${e.message}`); }
}

function cmpToggle(ref, on) {
  S.cmp.picked = S.cmp.picked.filter((x) => x !== ref);
  if (on) S.cmp.picked.push(ref);
  if (!S.cmp.picked.includes(S.cmp.baseline)) S.cmp.baseline = S.cmp.picked[0] || "";
  const box = $(`.compare-check[value="${CSS.escape(ref)}"]`);
  if (box) box.checked = on;
  for (const radio of $$(".compare-base")) radio.checked = radio.value === S.cmp.baseline;
  cmpCount();
}

/* The picked references, the baseline first. */
function cmpOrder() { return [S.cmp.baseline].concat(S.cmp.picked.filter((x) => x !== S.cmp.baseline)).filter((x) => x); }

function cmpCount() {
  const n = S.cmp.picked.length, ok = n >= 2 && n <= COMPARE_MAX;
  const go = $("#compare-go");
  if (go) go.disabled = !ok;
  const c = $("#compare-count");
  if (c) { c.textContent = ok ? t("compare.count", { n }) : t("compare.pick_hint", { max: COMPARE_MAX }); c.classList.toggle("warn", n > COMPARE_MAX); }
}

/* What a compared run changed from its library scenario: the comparison's own list, else its summary's. */
function cmpChanges(r, s) { return (r.changes && r.changes.length ? r.changes : null) || (s && s.changes) || null; }

/* A compared run's label: what it changed ("technicians 4 → 3"), else its sweep point, else its title. */
function cmpLabel(r, s) {
  const model = s && s.model;
  const changes = cmpChanges(r, s);
  if (r.set && Object.keys(r.set).length) {  // a sweep point: its values, after what else the run changed
    const fixed = (changes || []).filter((c) => !c.sweep);
    return (fixed.length ? changesText(fixed, model) + " · " : "") + pointHeading(model, r.set);
  }
  if (r.changes_text && L(r.changes_text)) return L(r.changes_text);
  if (changes && changes.length) return changesText(changes, model);
  return L(s && s.scenario && s.scenario.title) || r.scenario;
}

function cmpLetter(i) { return i < 26 ? String.fromCharCode(65 + i) : String(i + 1); }

/* The KPI of a compared run in its summary: the point's, for a sweep point. */
function cmpSummaryKpi(s, r, name) {
  if (!s) return {};
  const points = s.points && s.points.length ? s.points : null;
  const p = points ? points.find((x) => x.point === r.point) || points[r.point] : null;
  return ((p && p.kpis) || s.kpis || {})[name] || {};
}

function cmpVerdictKey(v) { return "verdict." + String(v || "unknown").replaceAll(" ", "_").replace("no_clear_difference", "no_difference"); }

async function compareRuns(refs) {
  const out = $("#compare-result");
  if (refs.length < 2 || refs.length > COMPARE_MAX) { out.innerHTML = `<p class="warn">${esc(t("compare.pick_hint", { max: COMPARE_MAX }))}</p>`; return; }
  out.innerHTML = `<p class="hint">${esc(t("app.loading"))}</p>`;
  try {
    await loadModels();
    const c = await api(`/runs/compare?${refs.map((ref) => `runs=${encodeURIComponent(ref)}`).join("&")}`);
    const summaries = await Promise.all(c.runs.map((r) => runSummary(r.run).catch(() => null)));
    const model = (summaries.find((s) => s) || {}).model;
    const labels = c.runs.map((r, i) => cmpLabel(r, summaries[i]));
    const share = (k) => (k.unit === "share" ? 100 : 1);
    const scaled = (k, n) => (typeof n === "number" ? share(k) * n : n);
    const cards = c.runs.map((r, i) => {
      const s = summaries[i], title = L(s && s.scenario && s.scenario.title) || r.scenario;
      const changes = cmpChanges(r, s);
      return `<div class="compare-card" data-ref="${esc(r.ref)}" style="border-top-color:${COMPARE_COLOURS[i % COMPARE_COLOURS.length]}">
        <h3><span class="compare-letter">${esc(cmpLetter(i))}</span> <span class="compare-label">${esc(labels[i])}</span></h3>
        <p><small>${i === 0 ? `<b>${esc(t("verdict.baseline"))}</b> · ` : ""}${labels[i] === title ? "" : `${esc(title)} · `}<code class="code">${esc(r.ref)}</code></small></p>
        <p class="hint">${changes ? `${esc(t("compare.changes"))}: ${changesHtml(changes, model)}` : (Object.keys(r.set || {}).length ? esc(pointHeading(model, r.set)) : `<span class="changes none">${esc(t("runs.no_changes"))}</span>`)}</p></div>`;
    }).join("");
    const head = c.runs.map((r, i) => `<th class="compare-col" data-ref="${esc(r.ref)}">${esc(cmpLetter(i))}: ${esc(labels[i])}<br><small>${esc(t("runs.mean"))} [${esc(t("runs.ci"))}]</small></th>`).join("");
    const body = c.kpis.map((k) => {
      const first = cmpSummaryKpi(summaries[0], c.runs[0], k.kpi);
      const info = kpiInfo(model, k.kpi, first.unit ? first : { unit: k.unit });
      const v = (n) => kpiValue(n, k.unit);
      const cells = k.values.map((x, i) => {
        const sk = cmpSummaryKpi(summaries[i], c.runs[i], k.kpi);
        const delta = i === 0 ? "" : `<br><small class="compare-delta">${esc(t("compare.delta"))} ${x.delta !== null && x.delta > 0 ? "+" : ""}${esc(fmt(scaled(k, x.delta)))}${x.delta_pct !== null && x.delta_pct !== undefined ? ` (${esc(fmt(x.delta_pct, 1))} %)` : ""}</small>`;
        const against = i === 0 ? "" : ` <span class="compare-verdict verdict-${esc(String(x.verdict).replaceAll(" ", "-"))}" data-verdict="${esc(x.verdict)}">${esc(t(cmpVerdictKey(x.verdict)))}</span>`;
        return `<td class="num" data-ref="${esc(x.ref)}">${esc(v(x.mean))} [${esc(v(x.ci95_low))} – ${esc(v(x.ci95_high))}]${censoredHtml(sk)}
          ${sk.verdict ? verdictHtml({ status: sk.verdict.status }) : ""}${against}${delta}</td>`;
      }).join("");
      return `<tr data-kpi="${esc(k.kpi)}"><td>${named(info.label, k.kpi)}${k.better ? `<br><small>${esc(t(k.better === "lower" ? "compare.lower_better" : "compare.higher_better"))}</small>` : ""}</td><td>${esc(info.unitText)}</td>${cells}</tr>`;
    }).join("");
    const charts = c.kpis.map((k) => {
      const info = kpiInfo(model, k.kpi, { unit: k.unit });
      const svg = ciChart(k.values.map((x, i) => ({ label: `${cmpLetter(i)}: ${labels[i]}`, mean: scaled(k, x.mean), lo: scaled(k, x.ci95_low),
        hi: scaled(k, x.ci95_high), colour: COMPARE_COLOURS[i % COMPARE_COLOURS.length] })), info.unitText, 360);
      return svg ? `<div class="chart"><h4>${named(info.label, k.kpi)}</h4>${svg}</div>` : "";
    }).join("");
    out.innerHTML = `<h3 id="compare-heading">${esc(t("compare.result", { n: c.runs.length }))}</h3>
      <div class="compare-cards">${cards}</div>
      <p class="hint">${esc(t("compare.how"))}</p>
      <div class="compare-scroll"><table class="grid" id="compare-table"><thead><tr><th>${esc(t("runs.kpi"))}</th><th>${esc(t("runs.unit"))}</th>${head}</tr></thead>
        <tbody>${body}</tbody></table></div>
      <div class="charts">${charts}</div>`;
    S.cmp.shown = true;  // the choice folds away under its summary, the comparison in view
    if ($("#compare-choose")) $("#compare-choose").open = false;
  } catch (e) { out.innerHTML = `<p class="warn">${esc(e.message)}</p>`; }
}

/* console.js's refreshTab looks here for the tabs this file draws. */
window.TAB_LOADERS = Object.assign(window.TAB_LOADERS || {}, { compare: loadComparePicker });
