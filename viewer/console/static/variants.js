/* Building Twin console: saved variants in the scenarios tab (issue 15 §2, second bullet).
 * Plain browser JavaScript, loaded after console.js, whose helpers it uses (S, $, $$, esc, t, L,
 * api, message, changesHtml, openScenario, startAndFollowRun, loadScenarios).
 *
 * A variant is a changed scenario saved under a name (POST /scenarios/variants; the scenario form's
 * "Save as variant" calls Variants.save). It is listed here with what it changes from its library
 * scenario, and can be opened (its form), re-run as it is, or deleted (a second click confirms).
 */
"use strict";

/* The variants of GET /scenarios (those with based_on), drawn by console.js's loadScenarios. */
function renderVariants(list) {
  const ul = $("#variant-list");
  if (!ul) return;
  ul.innerHTML = list.length ? list.map((v) => {
    const base = (S.scenarioInfo || {})[v.based_on];
    return `<li data-name="${esc(v.name)}" data-variant="${esc(v.name)}" class="${v.name === S.scenarioSelected ? "selected" : ""}">
      <b class="label">${esc(L(v.title) || v.name)}</b> <small><code class="code">${esc(v.name)}</code> · ${modelHtml(v.model)} · ${esc(v.building || "")}</small>
      <small class="variant-base">${esc(t("variant.based_on"))}: <b>${esc(base ? L(base.title) || v.based_on : v.based_on)}</b> <code class="code">${esc(v.based_on)}</code></small>
      <small class="variant-changes">${changesHtml(v.changes || [], v.model)}</small>
      <span class="variant-actions"><button type="button" class="variant-run">${esc(t("variant.run"))}</button>
        <button type="button" class="variant-delete">${esc(t("variant.delete"))}</button>
        <span class="variant-progress"></span></span></li>`;
  }).join("") : `<li class="hint variant-none">${esc(t("variant.none"))}</li>`;
  for (const li of $$("#variant-list li[data-variant]")) {
    li.onclick = (e) => { if (!e.target.closest("button")) openScenario(li.dataset.name); };
    $(".variant-run", li).onclick = () => rerunVariant(li.dataset.name, li);
    const del = $(".variant-delete", li);
    del.onclick = (e) => deleteVariant(li.dataset.name, e.target);
    if (confirming(li.dataset.name)) askToConfirm(del);  // the list was drawn again between the two clicks
  }
}

/* A delete asked for and not yet confirmed: kept outside the list, which is drawn again whenever
 * the scenarios tab refreshes, so that a refresh between the two clicks does not forget the first. */
const CONFIRM_MS = 5000;
function confirming(name) { return S.variantConfirm && S.variantConfirm.name === name && performance.now() < S.variantConfirm.until; }
function askToConfirm(button) {
  button.dataset.confirm = "1";
  button.textContent = t("variant.delete_confirm");
  button.classList.add("warn");
}

/* Run a variant as it is saved; its progress beside it, then its results in the results tab. */
async function rerunVariant(name, li) {
  const prog = $(".variant-progress", li), button = $(".variant-run", li);
  button.disabled = true;
  try { await startAndFollowRun({ scenario: name }, prog); }
  finally { button.disabled = false; }
}

/* Delete a variant: the first click asks, the second (within 5 s) deletes. */
async function deleteVariant(name, button) {
  if (!confirming(name)) {
    S.variantConfirm = { name, until: performance.now() + CONFIRM_MS };
    askToConfirm(button);
    setTimeout(() => {
      if (confirming(name)) return;
      for (const b of $$(`#variant-list li[data-variant="${CSS.escape(name)}"] .variant-delete`)) {
        b.dataset.confirm = ""; b.textContent = t("variant.delete"); b.classList.remove("warn");
      }
    }, CONFIRM_MS + 50);
    return;
  }
  S.variantConfirm = null;
  button.disabled = true;
  try {
    await api(`/scenarios/variants/${encodeURIComponent(name)}`, { method: "DELETE" });
    message(t("variant.deleted", { name }), "info");
    if (S.scenarioSelected === name) { S.scenarioSelected = null; $("#scenario-detail").innerHTML = `<p class="hint">${esc(t("scenarios.choose"))}</p>`; }
    await loadScenarios();
  } catch (e) { message(`${t("app.error")}: ${e.message}`); button.disabled = false; }
}

/* Save a variant (the contract of POST /scenarios/variants: {name, based_on, set, sweep,
 * replications, seed, title, replace}); the list is drawn again and the saved variant returned.
 * A refusal is thrown as the API's error, whose message names the field. */
async function saveVariant(body) {
  const info = await api("/scenarios/variants", { method: "POST", json: body });
  await loadScenarios();
  return info;
}

window.Variants = { render: renderVariants, save: saveVariant };  // console.js's loadScenarios, form.js's "Save as variant"
