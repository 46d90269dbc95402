/* The scenario form: every parameter of every model, generated from the model's JSON Schema.
 *
 * A planner changes what a scenario assumes without writing YAML: close a stair at a time, add
 * smoke in a space from a time, take a lift out of service, change the staff on a shift. Nothing
 * here names a model: the form walks the parameters' JSON Schema (GET /models: params_schema) —
 * nested objects, lists (rows added and removed; a list of a discriminated union such as the
 * evacuation's `events` gets a type picker, then that type's fields), mappings, unions, enums,
 * numbers with their bounds, booleans, dates — and shows each field's words in the console's
 * language from its `x-label`, `x-description` and `x-unit`. A field whose schema says `x-pick`
 * names a thing of the building: the form offers the building's own ones
 * (GET /buildings/{key}/choices), grouped by floor; on a list, a multi-select.
 *
 * It starts from the scenario's parameters as the model reads them (GET /scenarios/{name}:
 * `params`, every default filled in) and sends only what the person changed: `set` holds a dotted
 * path per changed value (a changed list or mapping whole), so a field left as shown keeps exactly
 * the scenario's value. The sweep builder (a parameter and its values) gives `sweep`; the optimiser
 * is a structured form (objective, promises, ranges) for POST /optimise; "Save as variant" posts
 * the changes to POST /scenarios/variants. Others read the form through
 * `window.ScenarioForm.collect()` → {set, sweep, replications, seed}.
 *
 * Uses console.js's globals (S, t, L, esc, named, api, $, $$) and variants.js's Variants.save.
 */
"use strict";

(function () {
  const F = { root: null, orig: null, schema: null, sweepable: [], model: null, scenario: null, doc: null, choices: null,
              sweepRows: [], optimiser: null };
  const SCALARS = ["number", "integer", "boolean", "string"];
  const MAX_SWEEP_VALUES = 1000, MAX_SWEEP_PARAMS = 20;

  /* --- small helpers ---------------------------------------------------------------------- */

  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k === "html") el.innerHTML = v;
      else if (k === "value") el.value = v;
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k in el && typeof v !== "string") el[k] = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const kid of kids.flat()) if (kid !== null && kid !== undefined && kid !== false) el.append(kid);
    return el;
  }

  /* Equal as JSON values, whatever the order of an object's keys (the model's, or the form's). */
  const canonical = (v) => (Array.isArray(v) ? v.map(canonical) : v !== null && typeof v === "object"
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])])) : v);
  const same = (a, b) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
  const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
  const idOf = (path) => "p-" + path.replace(/^params\.?/, "").replace(/[^A-Za-z0-9_]+/g, "-").replace(/-$/, "");
  const tr = (key, fallback) => (S.labels[key] ? t(key) : fallback);

  class FormError extends Error {}

  /* A number typed in the form (a whole one where `type` is "integer"), else an error naming `field`. */
  function toNumber(text, type, field) {
    const v = Number(text);
    if (String(text).trim() === "" || !isFinite(v) || (type === "integer" && !Number.isInteger(v))) {
      throw new FormError(t("form.error.number", { field }));
    }
    return v;
  }

  /* Values typed as one text, separated by commas (either width), semicolons or spaces. */
  const splitList = (text) => String(text).split(/[,，;\s]+/).filter((x) => x !== "");

  function removeButton(onclick) {
    return h("button", { type: "button", class: "row-remove", title: t("form.remove_row"), text: "✕", onclick });
  }

  /* A parameter as an option of a picker: its words, its path beside them. */
  function paramOption(p) { return h("option", { value: p.path, text: `${p.label} (${p.path.replace(/^params\./, "")})` }); }

  /* The schema node a $ref points at, with the referring node's own words kept (x-label…). */
  function resolve(node) {
    let n = node || {};
    for (let guard = 0; n.$ref && guard < 32; guard++) {
      const name = n.$ref.split("/").pop();
      const rest = Object.assign({}, n); delete rest.$ref;
      n = Object.assign({}, (F.schema.$defs || {})[name] || {}, rest);
    }
    return n;
  }

  function inherit(parent, child) {
    const out = Object.assign({}, child);
    for (const k of ["x-label", "x-description", "x-unit", "x-pick"]) if (parent[k] !== undefined && out[k] === undefined) out[k] = parent[k];
    return out;
  }

  function variantsOf(n) { return n.anyOf || n.oneOf || null; }

  /* A union of finite choices (bool | "first", an enum, a const): its values, else null. */
  function finiteChoices(variants) {
    const out = [];
    for (const v0 of variants) {
      const v = resolve(v0);
      if (v.type === "null") continue;
      if (v.type === "boolean") out.push(false, true);
      else if ("const" in v) out.push(v.const);
      else if (Array.isArray(v.enum)) out.push(...v.enum);
      else return null;
    }
    return out.length ? out : null;
  }

  /* Whether a value has the shape of a schema variant (to show a union's current variant). */
  function fits(v0, value) {
    const v = resolve(v0);
    if ("const" in v) return same(v.const, value);
    if (Array.isArray(v.enum)) return v.enum.includes(value);
    switch (v.type) {
      case "null": return value === null;
      case "boolean": return typeof value === "boolean";
      case "integer": return Number.isInteger(value);
      case "number": return typeof value === "number";
      case "string": return typeof value === "string";
      case "array": return Array.isArray(value);
      case "object": return value !== null && typeof value === "object" && !Array.isArray(value);
      default: return value !== undefined;
    }
  }

  /* A starting value for a new row or a newly chosen variant. */
  function defaultOf(node) {
    const n = resolve(node);
    if (n.default !== undefined) return clone(n.default);
    if ("const" in n) return n.const;
    if (n.discriminator && variantsOf(n)) return defaultOf(variantsOf(n)[0]);
    const vs = variantsOf(n);
    if (vs) return vs.some((v) => resolve(v).type === "null") ? null : defaultOf(vs[0]);
    if (Array.isArray(n.enum)) return n.enum[0];
    switch (n.type) {
      case "object": {
        const out = {};
        for (const [k, p] of Object.entries(n.properties || {})) out[k] = defaultOf(p);
        return out;
      }
      case "array": return [];
      case "boolean": return false;
      case "integer": case "number": {
        const lo = n.minimum ?? (n.exclusiveMinimum !== undefined ? n.exclusiveMinimum + (n.type === "integer" ? 1 : 0.1) : 0);
        return n.maximum !== undefined ? Math.min(lo, n.maximum) : lo;
      }
      case "string": {
        const kind = firstPick(n["x-pick"]);
        return kind ? kind.id : (n.format === "date" ? new Date().toISOString().slice(0, 10) : "");
      }
      default: return null;
    }
  }

  function unitText(node) {
    const u = node["x-unit"];
    if (!u) return "";
    if (u === "share") return t("form.unit.share");  // typed as a fraction (0.05), not as the report's per cent
    return L(((F.model || {}).units || {})[u]) || u;
  }

  /* --- choices of the building ----------------------------------------------------------- */

  function pickOptions(kinds) {
    if (!F.choices || !kinds) return null;
    const out = [];
    for (const kind of String(kinds).split("|")) for (const c of F.choices[kind] || []) out.push(Object.assign({ kind }, c));
    return out.length || String(kinds).split("|").every((k) => k in F.choices) ? out : null;
  }

  function firstPick(kinds) { const o = pickOptions(kinds); return o && o.length ? o[0] : null; }

  function floorWords(id) {
    const f = ((F.choices || {}).floor || []).find((x) => x.id === id);
    return f ? L(f.label) : id;
  }

  /* A <select> of the building's things of a kind, grouped by floor; a value the building does not
   * have stays, marked, so that what the scenario holds is never silently replaced. */
  function pickSelect(kinds, value, { id, multiple, empty } = {}) {
    const options = pickOptions(kinds) || [];
    const chosen = new Set(multiple ? (value || []) : [value]);
    const sel = h("select", { id, multiple, "data-pick": kinds, size: multiple ? Math.min(8, Math.max(3, options.length)) : null });
    if (empty || (!multiple && (value === null || value === undefined || value === ""))) sel.append(h("option", { value: "", text: "—" }));
    const known = new Set(options.map((o) => o.id));
    for (const v of chosen) if (v !== null && v !== undefined && v !== "" && !known.has(v)) {
      sel.append(h("option", { value: v, text: `${v} — ${t("form.not_in_building")}`, class: "unknown" }));
    }
    sel.append(optionsOf(kinds, options));
    if (multiple) { for (const o of sel.options) o.selected = chosen.has(o.value); } else sel.value = value ?? "";
    return sel;
  }

  /* The options of a pick kind, grouped by floor: built once per form, then cloned (a tower has
   * 1,500 spaces, and a list of staff groups has a space picker on every row). */
  function optionsOf(kinds, options) {
    F.optionCache = F.optionCache || new Map();
    if (!F.optionCache.has(kinds)) {
      const frag = document.createDocumentFragment();
      const groups = new Map();
      for (const o of options) {
        const g = o.floor && o.kind !== "floor" ? floorWords(o.floor) : "";
        if (!groups.has(g)) groups.set(g, []);
        groups.get(g).push(o);
      }
      for (const [g, items] of groups) {
        const parent = g ? h("optgroup", { label: g }) : frag;
        for (const o of items) parent.append(h("option", { value: o.id, text: L(o.label) || o.id }));
        if (g) frag.append(parent);
      }
      F.optionCache.set(kinds, frag);
    }
    return F.optionCache.get(kinds).cloneNode(true);
  }

  /* --- editors: each is {el, get()} ------------------------------------------------------- */

  function editor(node0, value, path) {
    const n = resolve(node0);
    const vs = variantsOf(n);
    if (vs && n.discriminator) return taggedEditor(n, value, path);
    if (vs) return unionEditor(n, vs, value, path);
    if ("const" in n) return { el: h("span", { class: "const", text: String(n.const) }), get: () => n.const };
    if (Array.isArray(n.enum)) return enumEditor(n, n.enum, value, path);
    switch (n.type) {
      case "object":
        if (n.properties) return objectEditor(n, value, path);
        if (isMap(n)) return mapEditor(n, value, path);
        return jsonEditor(n, value, path);
      case "array": return arrayEditor(n, value, path);
      case "boolean": return boolEditor(n, value, path);
      case "integer": case "number": return numberEditor(n, value, path);
      case "string": return stringEditor(n, value, path);
      default: return jsonEditor(n, value, path);
    }
  }

  function isMap(n) {
    return n.type === "object" && !n.properties && (typeof n.additionalProperties === "object" || n.patternProperties);
  }

  function mapValueSchema(n) {
    const v = typeof n.additionalProperties === "object" ? n.additionalProperties : Object.values(n.patternProperties || {})[0] || {};
    return n["x-pick-value"] ? Object.assign({}, v, { "x-pick": n["x-pick-value"] }) : v;
  }

  function boolEditor(n, value, path) {
    const el = h("input", { type: "checkbox", id: idOf(path), "data-path": path, checked: !!value });
    return { el, get: () => el.checked };
  }

  function numberEditor(n, value, path, nullable) {
    const min = n.minimum ?? n.exclusiveMinimum, max = n.maximum ?? n.exclusiveMaximum;
    const el = h("input", { type: "number", id: idOf(path), "data-path": path, step: n.type === "integer" ? "1" : "any",
                            min, max, value: value === null || value === undefined ? "" : String(value) });
    const range = [min !== undefined ? `${n.exclusiveMinimum !== undefined ? ">" : "≥"} ${min}` : "",
                   max !== undefined ? `${n.exclusiveMaximum !== undefined ? "<" : "≤"} ${max}` : ""].filter((x) => x).join(", ");
    if (range) el.title = range;
    return { el, get: () => (el.value.trim() === "" && nullable ? null : toNumber(el.value, n.type, path)) };
  }

  function stringEditor(n, value, path, nullable) {
    if (n["x-pick"] && pickOptions(n["x-pick"])) {
      const el = pickSelect(n["x-pick"], value, { id: idOf(path), empty: nullable });
      el.dataset.path = path;
      return { el, get: () => (el.value === "" && nullable ? null : el.value) };
    }
    const el = h("input", { id: idOf(path), "data-path": path, type: n.format === "date" ? "date" : "text",
                            value: value ?? "", maxlength: n.maxLength, title: n.pattern || null });
    return { el, get: () => (el.value === "" && nullable ? null : el.value) };
  }

  function enumEditor(n, choices, value, path, nullable) {
    const options = (nullable && !choices.includes(null) ? [null] : []).concat(choices);
    const el = h("select", { id: idOf(path), "data-path": path, "data-json": "1" });
    for (const v of options) {
      el.append(h("option", { value: JSON.stringify(v), selected: same(v, value ?? null),
                              text: v === null ? "—" : typeof v === "boolean" ? t(v ? "form.yes" : "form.no")
                                : S.labels[`form.value.${v}`] ? `${t(`form.value.${v}`)} (${v})` : String(v) }));
    }
    return { el, get: () => JSON.parse(el.value) };
  }

  function jsonEditor(n, value, path) {
    const el = h("textarea", { id: idOf(path), "data-path": path, rows: 2, cols: 40, class: "json", value: JSON.stringify(value ?? null) });
    return { el, get: () => {
      try { return JSON.parse(el.value || "null"); } catch (e) { throw new FormError(t("form.error.json", { field: path, error: e.message })); }
    } };
  }

  /* A union: finite choices as one select; "X or nothing" as X that may be empty; else a picker of
   * the variants, then the chosen variant's editor. */
  function unionEditor(n, vs, value, path) {
    const nonNull = vs.filter((v) => resolve(v).type !== "null");
    const nullable = nonNull.length < vs.length;
    const choices = finiteChoices(vs);
    if (choices) return enumEditor(n, choices, value, path, nullable);
    if (nonNull.length === 1) {
      const only = inherit(n, resolve(nonNull[0]));
      if (["number", "integer"].includes(only.type)) return numberEditor(only, value, path, nullable);
      if (only.type === "string" && !only.enum) return stringEditor(only, value, path, nullable);
      if (Array.isArray(only.enum)) return enumEditor(only, only.enum, value, path, nullable);
    }
    return variantEditor(n, vs.map((v) => inherit(n, resolve(v))), value, path);
  }

  function variantName(v) {
    if (v.type === "null") return t("form.variant.none");
    if (v.enum) return `${t("form.variant.choice")} (${v.enum.join(", ")})`;
    return t(`form.variant.${v.type === "object" && isMap(v) ? "map" : v.type || "value"}`);
  }

  function variantEditor(n, vs, value, path) {
    const box = h("div", { class: "form-variant" });
    const picker = h("select", { id: idOf(path) + "--variant", class: "variant-picker" });
    vs.forEach((v, i) => picker.append(h("option", { value: String(i), text: variantName(v) })));
    let current = Math.max(0, vs.findIndex((v) => fits(v, value)));
    picker.value = String(current);
    const holder = h("div", { class: "variant-body" });
    let ed = null;
    const show = (i, v) => {
      current = i;
      ed = vs[i].type === "null" ? { el: h("span"), get: () => null } : editor(vs[i], v, path);
      holder.replaceChildren(ed.el);
    };
    show(current, value);
    picker.addEventListener("change", () => show(Number(picker.value), defaultOf(vs[Number(picker.value)])));
    box.append(picker, holder);
    return { el: box, get: () => ed.get() };
  }

  /* A discriminated union (an evacuation event, a distribution): a type picker, then that type's fields. */
  function taggedEditor(n, value, path) {
    const tag = n.discriminator.propertyName;
    const mapping = n.discriminator.mapping || {};
    const types = Object.keys(mapping);
    const box = h("div", { class: "form-tagged" });
    const picker = h("select", { id: idOf(path) + "-" + tag, class: "type-picker", "data-path": `${path}.${tag}` });
    for (const ty of types) picker.append(h("option", { value: ty, text: tr(`form.type.${ty}`, ty) }));
    const holder = h("div", { class: "tagged-body" });
    let ed = null;
    const show = (ty, v) => {
      const variant = inherit(n, resolve({ $ref: mapping[ty] }));
      const fields = Object.assign({}, variant, { properties: Object.fromEntries(Object.entries(variant.properties || {}).filter(([k]) => k !== tag)) });
      const start = v && v[tag] === ty ? v : Object.assign(defaultOf(variant), { [tag]: ty });
      ed = objectEditor(fields, start, path, true);
      holder.replaceChildren(ed.el);
      picker.value = ty;
      box.dataset.type = ty;
    };
    show(value && types.includes(value[tag]) ? value[tag] : types[0], value);
    picker.addEventListener("change", () => show(picker.value, null));
    const tagNode = ((types.length ? resolve({ $ref: mapping[types[0]] }) : {}).properties || {})[tag] || {};
    box.append(h("div", { class: "form-field" }, h("label", { for: picker.id, html: named(tagNode["x-label"], tag) }), picker), holder);
    return { el: box, get: () => Object.assign({ [tag]: picker.value }, ed.get()) };
  }

  /* A parameter's words (in the chosen language, the code name beside them) and its unit, as HTML. */
  function labelHtml(node, name) {
    const unit = unitText(node);
    return named(node["x-label"], name) + (unit ? ` <small class="unit">(${esc(unit)})</small>` : "");
  }

  /* A field: its label, control and description. */
  function fieldRow(node, name, ed) {
    const description = L(node["x-description"]) || node.description || "";
    const label = h("label", { for: ed.el.id || null, class: "form-label", html: labelHtml(node, name) });
    return h("div", { class: "form-field", "data-field": name }, label, ed.el, description ? h("small", { class: "form-description", text: description }) : null);
  }

  /* Whether a parameter is one control (a number, a choice, a picked id) rather than a group. */
  function isScalar(node0) {
    const n = resolve(node0);
    const vs = variantsOf(n);
    if (vs && n.discriminator) return false;
    if (vs) {
      if (finiteChoices(vs)) return true;
      const nonNull = vs.map(resolve).filter((v) => v.type !== "null");
      return nonNull.length === 1 && (["number", "integer", "string"].includes(nonNull[0].type) || Array.isArray(nonNull[0].enum));
    }
    if (n.type === "array" && n.items && !n.prefixItems) {  // ids picked, or values typed with commas: one control
      const items = resolve(n.items);
      return SCALARS.includes(items.type) && !variantsOf(items) && !items.prefixItems;
    }
    return "const" in n || Array.isArray(n.enum) || ["boolean", "integer", "number", "string"].includes(n.type);
  }

  /* A group of parameters: scalars as a grid; nested groups, lists and mappings each in a fold,
   * drawn when first opened (an untouched fold gives back the value it was given). */
  function objectEditor(n, value, path, flat) {
    value = value && typeof value === "object" ? value : {};
    const props = n.properties || {};
    const eds = {};
    const grid = h("div", { class: "form-fields" });
    const folds = [];
    for (const [name, p0] of Object.entries(props)) {
      const p = resolve(p0);
      const sub = `${path}.${name}`;
      const start = name in value ? value[name] : defaultOf(p0);
      if (isScalar(p0)) {
        const ed = editor(p0, start, sub);
        eds[name] = ed;
        grid.append(fieldRow(p, name, ed));
        continue;
      }
      const description = L(p["x-description"]) || "";
      const summary = h("summary", { html: labelHtml(p, name) });
      const fold = h("details", { class: "form-group", "data-field": name, "data-path": sub },
                     summary, description ? h("small", { class: "form-description", text: description }) : null);
      let built = null;
      fold.addEventListener("toggle", () => { if (fold.open && !built) { built = editor(p0, clone(start), sub); fold.append(built.el); } });
      eds[name] = { get: () => (built ? built.get() : clone(start)) };
      folds.push(fold);
    }
    const el = h("div", { class: flat ? "form-object flat" : "form-object" }, grid, ...folds);
    return { el, get: () => Object.fromEntries(Object.entries(eds).map(([k, ed]) => [k, ed.get()])) };
  }

  /* A list: ids of the building as a multi-select; other scalars as comma-separated text; objects
   * and unions as rows added and removed (a discriminated union's row starts with its type). */
  function arrayEditor(n, value, path) {
    value = Array.isArray(value) ? value : [];
    const items = inherit({ "x-pick": n["x-pick"] }, resolve(n.items || {}));
    const max = n.maxItems ?? 10000, min = n.minItems ?? 0;
    if (items.type === "string" && items["x-pick"] && pickOptions(items["x-pick"])) {
      const el = pickSelect(items["x-pick"], value, { id: idOf(path), multiple: true });
      el.dataset.path = path;
      return { el, get: () => {
        const chosen = Array.from(el.selectedOptions).map((o) => o.value);
        const kept = value.filter((v) => chosen.includes(v));  // the order the scenario gave, then new ones
        return kept.concat(chosen.filter((v) => !kept.includes(v)));
      } };
    }
    if (SCALARS.includes(items.type) && !variantsOf(items) && !items.prefixItems) {
      const el = h("input", { id: idOf(path), "data-path": path, class: "list-text", value: value.join(", "), size: 48 });
      el.title = t("form.list_hint");
      return { el, get: () => {
        const parts = splitList(el.value);
        if (parts.length > max || parts.length < min) throw new FormError(t("form.error.count", { field: path, min, max }));
        return parts.map((x) => (items.type === "string" ? x : items.type === "boolean" ? x === "true" : toNumber(x, items.type, path)));
      } };
    }
    if (n.prefixItems || !n.items) return jsonEditor(n, value, path);
    const rows = h("div", { class: "form-rows", id: idOf(path), "data-path": path });
    const eds = [];
    const addButton = h("button", { type: "button", class: "row-add", text: t("form.add_row") });
    const relabel = () => {
      eds.forEach((ed, i) => { ed.row.querySelector(".row-index").textContent = `${i + 1}`; });
      addButton.disabled = eds.length >= max;
    };
    const add = (v) => {
      const i = eds.length;
      const ed = editor(items, v, `${path}[${i}]`);
      const remove = removeButton(() => { if (eds.length <= min) return; eds.splice(eds.indexOf(ed), 1); ed.row.remove(); relabel(); });
      ed.row = h("div", { class: "form-row" }, h("span", { class: "row-index" }), ed.el, remove);
      eds.push(ed);
      rows.append(ed.row);
      relabel();
      return ed;
    };
    value.forEach((v) => add(v));
    addButton.addEventListener("click", () => { if (eds.length < max) add(defaultOf(items)); });
    return { el: h("div", { class: "form-list" }, rows, addButton), get: () => eds.map((ed) => ed.get()) };
  }

  /* A mapping (space → occupants, space or floor → exit): rows of a key and a value. */
  function mapEditor(n, value, path) {
    value = value && typeof value === "object" ? value : {};
    const valueSchema = mapValueSchema(n);
    const rows = h("div", { class: "form-rows", id: idOf(path), "data-path": path });
    const eds = [];
    const add = (k, v) => {
      const key = n["x-pick"] && pickOptions(n["x-pick"]) ? pickSelect(n["x-pick"], k, { empty: true })
        : h("input", { value: k ?? "", size: 16, class: "map-key" });
      key.classList.add("map-key");
      const ed = editor(valueSchema, v, `${path}.${k || "_"}`);
      const remove = removeButton(() => { eds.splice(eds.indexOf(entry), 1); row.remove(); });
      const row = h("div", { class: "form-row map-row" }, key, h("span", { text: "→" }), ed.el, remove);
      const entry = { key, ed, row };
      eds.push(entry);
      rows.append(row);
    };
    for (const [k, v] of Object.entries(value)) add(k, v);
    const addButton = h("button", { type: "button", class: "row-add", text: t("form.add_entry") });
    addButton.addEventListener("click", () => add("", defaultOf(valueSchema)));
    return { el: h("div", { class: "form-map" }, rows, addButton), get: () => {
      const out = {};
      for (const { key, ed } of eds) { const k = key.value.trim(); if (k) out[k] = ed.get(); }
      return out;
    } };
  }

  /* --- what changed: only the person's changes go into `set` ------------------------------- */

  function diff(node0, before, after, path, set) {
    const n = resolve(node0);
    if (n.type === "object" && n.properties && !variantsOf(n) && before && after && typeof before === "object" && typeof after === "object") {
      for (const [k, p] of Object.entries(n.properties)) diff(p, before[k], after[k], `${path}.${k}`, set);
      return;
    }
    if (!same(before, after)) set[path] = after;
  }

  /* --- the sweep builder ------------------------------------------------------------------ */

  /* Parameters a sweep may vary: values reached through groups of parameters (not inside lists). */
  function sweepable(node0, path, words, out, depth = 0) {
    const n = resolve(node0);
    if (depth > 6) return out;
    if (n.type === "object" && n.properties && !variantsOf(n)) {
      for (const [k, p0] of Object.entries(n.properties)) {
        const p = resolve(p0);
        sweepable(p0, `${path}.${k}`, words.concat([L(p["x-label"]) || k]), out, depth + 1);
      }
      return out;
    }
    const vs = variantsOf(n);
    const nonNull = vs ? vs.map(resolve).filter((v) => v.type !== "null") : [n];
    const choices = vs ? finiteChoices(vs) : (Array.isArray(n.enum) ? n.enum : n.type === "boolean" ? [false, true] : null);
    const only = nonNull.length === 1 ? inherit(n, nonNull[0]) : null;
    const type = choices ? "choice" : only && ["number", "integer"].includes(only.type) ? only.type
      : only && only.type === "string" && only["x-pick"] ? "pick" : null;
    if (type && path.split(".").length > 1) out.push({ path, type, choices, pick: only && only["x-pick"], node: only || n, label: words.join(" › ") });
    return out;
  }

  function parseSweepValues(p, text) {
    const parts = splitList(text);
    if (!parts.length) throw new FormError(t("form.error.sweep_values", { field: p.label }));
    if (parts.length > MAX_SWEEP_VALUES) throw new FormError(t("form.error.count", { field: p.path, min: 1, max: MAX_SWEEP_VALUES }));
    return parts.map((x) => {
      if (p.type === "number" || p.type === "integer") return toNumber(x, p.type, p.path);
      if (p.type === "choice") {
        const hit = p.choices.find((c) => String(c) === x);
        if (hit === undefined) throw new FormError(t("form.error.choice", { field: p.path, value: x, choices: p.choices.join(", ") }));
        return hit;
      }
      return x;
    });
  }

  function sweepRow(params, path, values) {
    const sel = h("select", { class: "sweep-param" });
    sel.append(...params.map(paramOption));
    if (path) {
      if (!params.some((p) => p.path === path)) sel.append(h("option", { value: path, text: path }));
      sel.value = path;
    }
    // Values that are groups (a contractor's standby per point) are shown and read as JSON.
    const json = (values || []).some((v) => v !== null && typeof v === "object");
    const input = h("input", { class: "sweep-values", size: 30, value: json ? JSON.stringify(values) : (values || []).join(", "),
                               placeholder: t("form.sweep.values_hint"), "data-json": json ? "1" : null });
    const hint = h("small", { class: "sweep-hint" });
    const describe = () => {
      const p = params.find((x) => x.path === sel.value);
      const unit = p ? unitText(p.node) : "";
      hint.textContent = !p ? "" : p.type === "choice" ? t("form.sweep.one_of", { choices: p.choices.join(", ") })
        : p.type === "pick" ? t("form.sweep.ids", { examples: (pickOptions(p.pick) || []).slice(0, 4).map((o) => o.id).join(", ") }) : unit;
    };
    sel.addEventListener("change", describe);
    describe();
    const remove = removeButton(() => { F.sweepRows = F.sweepRows.filter((r) => r.row !== row); row.remove(); });
    const row = h("div", { class: "form-row sweep-row" }, sel, input, hint, remove);
    F.sweepRows.push({ row, sel, input, params });
    return row;
  }

  function sweepFieldset() {
    const params = F.sweepable;
    const rows = h("div", { class: "form-rows", id: "form-sweep-rows" });
    F.sweepRows = [];
    for (const [path, values] of Object.entries((F.doc && F.doc.sweep) || {})) rows.append(sweepRow(params, path, values));
    const add = h("button", { type: "button", id: "form-sweep-add", class: "row-add", text: t("form.sweep.add") });
    add.addEventListener("click", () => { if (F.sweepRows.length < MAX_SWEEP_PARAMS) rows.append(sweepRow(params)); });
    return h("fieldset", { id: "form-sweep" }, h("legend", { text: t("form.sweep.title") }),
             h("p", { class: "hint", text: t("form.sweep.intro") }), rows, add);
  }

  function collectSweep() {
    const sweep = {};
    for (const r of F.sweepRows) {
      const p = r.params.find((x) => x.path === r.sel.value) || { path: r.sel.value, type: "text", label: r.sel.value };
      if (r.input.dataset.json) {
        let values;
        try { values = JSON.parse(r.input.value); } catch (e) { throw new FormError(t("form.error.json", { field: p.path, error: e.message })); }
        if (!Array.isArray(values) || !values.length || values.length > MAX_SWEEP_VALUES) throw new FormError(t("form.error.sweep_values", { field: p.path }));
        sweep[p.path] = values;
      } else sweep[p.path] = parseSweepValues(p, r.input.value);
    }
    const before = (F.doc && F.doc.sweep) || null;
    if (!Object.keys(sweep).length) return before && Object.keys(before).length ? {} : null;
    return same(sweep, before) ? null : sweep;
  }

  /* --- the variant -------------------------------------------------------------------------- */

  function variantFieldset() {
    const name = h("input", { id: "variant-name", size: 24, maxlength: 64, pattern: "[a-z0-9-]{1,64}", placeholder: "my-variant" });
    const en = h("input", { id: "variant-title-en", size: 30, maxlength: 200 });
    const zh = h("input", { id: "variant-title-zh", size: 30, maxlength: 200 });
    const go = h("button", { type: "button", id: "variant-save", text: t("form.variant.save") });
    const status = h("span", { id: "variant-status" });
    go.addEventListener("click", () => saveVariant(name, en, zh, go, status));
    return h("fieldset", { id: "form-variant" }, h("legend", { text: t("form.variant.title") }),
             h("p", { class: "hint", text: t("form.variant.intro") }),
             h("div", { class: "form-fields" },
               h("div", { class: "form-field" }, h("label", { for: "variant-name", text: t("form.variant.name") }), name,
                 h("small", { class: "form-description", text: t("form.variant.name_hint") })),
               h("div", { class: "form-field" }, h("label", { for: "variant-title-en", text: t("form.variant.title_en") }), en),
               h("div", { class: "form-field" }, h("label", { for: "variant-title-zh", text: t("form.variant.title_zh") }), zh)),
             go, " ", status);
  }

  async function saveVariant(name, en, zh, button, status) {
    status.className = ""; status.textContent = "";
    const slug = name.value.trim();
    if (!/^[a-z0-9-]{1,64}$/.test(slug)) { status.className = "warn"; status.textContent = t("form.variant.bad_name"); return; }
    let body;
    try { body = Object.assign({ name: slug, based_on: F.scenario }, collect()); } catch (e) { status.className = "warn"; status.textContent = e.message; return; }
    const te = en.value.trim(), tz = zh.value.trim();
    body.title = te || tz ? { en: te || tz, "zh-CN": tz || te } : null;
    button.disabled = true;
    try {
      const saved = await Variants.save(body);  // variants.js: saved, and its list drawn again
      status.textContent = t("form.variant.saved", { name: saved.name || slug });
    } catch (e) { status.className = "warn"; status.textContent = e.message; }
    finally { button.disabled = false; }
  }

  /* --- the optimiser: objective, promises, ranges ----------------------------------------- */

  function kpiOptions(sel, value) {
    for (const k of ((F.model || {}).kpis || [])) sel.append(h("option", { value: k.name, text: `${L(k.label) || k.name} (${k.name})` }));
    if (value) { if (!Array.from(sel.options).some((o) => o.value === value)) sel.append(h("option", { value, text: value })); sel.value = value; }
    return sel;
  }

  function constraintRow(rows, c) {
    const kpi = kpiOptions(h("select", { class: "c-kpi" }), c && c.kpi);
    const op = h("select", { class: "c-op" }, h("option", { value: ">=", text: "≥" }), h("option", { value: "<=", text: "≤" }));
    if (c) op.value = c.op;
    const value = h("input", { type: "number", step: "any", class: "c-value", value: c ? String(c.value) : "" });
    const unit = h("small", { class: "c-unit" });
    const describe = () => { const k = ((F.model || {}).kpis || []).find((x) => x.name === kpi.value); unit.textContent = k ? (k.unit === "share" ? "0–1" : L(k.unit_label) || k.unit) : ""; };
    kpi.addEventListener("change", describe); describe();
    const row = h("div", { class: "form-row constraint-row" }, kpi, op, value, unit, removeButton(() => row.remove()));
    rows.append(row);
  }

  function rangeRow(rows, params, r) {
    const sel = h("select", { class: "r-param" });
    sel.append(...params.map(paramOption));
    if (r) { if (!params.some((p) => p.path === r.path)) sel.append(h("option", { value: r.path, text: r.path })); sel.value = r.path; }
    const low = h("input", { type: "number", step: "any", class: "r-low", value: r ? String(r.low) : "" });
    const high = h("input", { type: "number", step: "any", class: "r-high", value: r ? String(r.high) : "" });
    const whole = h("input", { type: "checkbox", class: "r-integer", checked: r ? r.integer : true, title: t("form.optimise.integer") });
    const sync = () => { const p = params.find((x) => x.path === sel.value); if (p) { whole.checked = p.type === "integer"; whole.disabled = p.type === "integer"; } };
    sel.addEventListener("change", sync); if (!r) sync(); else { const p = params.find((x) => x.path === sel.value); if (p && p.type === "integer") whole.disabled = true; }
    const row = h("div", { class: "form-row range-row" }, sel, h("span", { text: t("form.optimise.from") }), low,
                  h("span", { text: t("form.optimise.to") }), high, h("label", {}, whole, " ", t("form.optimise.integer")),
                  removeButton(() => row.remove()));
    rows.append(row);
  }

  const RANGE = /^\s*([A-Za-z0-9_.\[\]-]+)\s*=\s*([-+0-9.eE]+)\s*\.\.\s*([-+0-9.eE]+)\s*(?::\s*(int|real))?\s*$/;
  const CONSTRAINT = /^\s*([A-Za-z0-9_]+)\s*(>=|<=|≥|≤)\s*([-+0-9.eE]+)\s*$/;

  /* The optimiser's form, filled from the scenario's optimise: block; replaces the text areas. */
  function mountOptimiser(pane, d, model) {
    const o = d.optimise || {};
    const params = F.sweepable.filter((p) => p.type === "number" || p.type === "integer");
    const objective = h("select", { id: "o-objective" });
    const kpis = (model && model.kpis) || [];
    const og1 = h("optgroup", { label: t("form.optimise.parameters") }), og2 = h("optgroup", { label: t("form.optimise.kpis") });
    og1.append(...params.map(paramOption));
    for (const k of kpis) og2.append(h("option", { value: k.name, text: `${L(k.label) || k.name} (${k.name})` }));
    objective.append(og1, og2);
    let wanted = (o.maximise || o.minimise || "").replace(/^-/, "");
    if (!wanted) wanted = (params.find((p) => /technician|staff|count|persons/.test(p.path)) || params[0] || kpis[0] || {}).path || (kpis[0] || {}).name || "";
    if (wanted && !Array.from(objective.options).some((x) => x.value === wanted)) objective.append(h("option", { value: wanted, text: wanted }));
    objective.value = wanted;
    const direction = h("select", { id: "o-direction" }, h("option", { value: "minimise", text: t("form.optimise.minimise") }),
                        h("option", { value: "maximise", text: t("form.optimise.maximise") }));
    direction.value = o.maximise || String(o.minimise || "").startsWith("-") ? "maximise" : "minimise";
    const constraints = h("div", { class: "form-rows", id: "o-constraints" });
    for (const c of o.subject_to || []) {
      const m = CONSTRAINT.exec(c);
      if (m) constraintRow(constraints, { kpi: m[1], op: { "≥": ">=", "≤": "<=" }[m[2]] || m[2], value: Number(m[3]) });
    }
    const ranges = h("div", { class: "form-rows", id: "o-ranges" });
    for (const r of o.over || []) {
      const m = RANGE.exec(r);
      if (m) rangeRow(ranges, params, { path: m[1], low: Number(m[2]), high: Number(m[3]),
                                        integer: m[4] ? m[4] === "int" : !/[.eE]/.test(m[2] + m[3]) });
    }
    const addC = h("button", { type: "button", id: "o-add-constraint", class: "row-add", text: t("form.optimise.add_promise"), onclick: () => constraintRow(constraints) });
    const addR = h("button", { type: "button", id: "o-add-range", class: "row-add", text: t("form.optimise.add_range"), onclick: () => rangeRow(ranges, params) });
    const trials = h("input", { id: "o-trials", type: "number", min: 1, max: 200, value: String(o.trials || 30) });
    const reps = h("input", { id: "o-replications", type: "number", min: 2, max: 10000, value: String(o.replications || d.replications || 10) });
    const field = (id, key, control, hint) => h("div", { class: "form-field" }, h("label", { for: id, text: t(key) }), control,
                                                 hint ? h("small", { class: "form-description", text: t(hint) }) : null);
    const form = h("form", { id: "optimise-form" },
      h("fieldset", {}, h("legend", { text: t("optimise.title") }), h("p", { class: "hint", text: t("optimise.intro") }),
        h("div", { class: "form-fields" },
          field("o-objective", "form.optimise.objective", h("span", {}, direction, " ", objective), "form.optimise.objective_hint"),
          field("o-trials", "optimise.trials", trials, "optimise.trials_hint"),
          field("o-replications", "optimise.replications", reps)),
        h("h4", { text: t("optimise.subject_to") }), h("p", { class: "hint", text: t("form.optimise.promises_hint") }), constraints, addC,
        h("h4", { text: t("optimise.over") }), h("p", { class: "hint", text: t("form.optimise.ranges_hint") }), ranges, addR),
      h("button", { type: "submit", id: "optimise-submit", text: t("optimise.go") }), " ", h("span", { id: "optimise-progress" }));
    pane.append(form, h("div", { id: "optimise-result" }));
    F.optimiser = { objective, direction, constraints, ranges, trials, reps };
    return form;
  }

  /* The POST /optimise body of the form (the scenario's changes from the form above included). */
  function optimiseRequest(name) {
    const o = F.optimiser;
    const num = (el, what) => toNumber(el.value, "number", what);
    const subject_to = $$(".constraint-row", o.constraints).map((row, i) =>
      `${$(".c-kpi", row).value}${$(".c-op", row).value}${num($(".c-value", row), `subject_to[${i}]`)}`);
    const over = $$(".range-row", o.ranges).map((row, i) => {
      const low = num($(".r-low", row), `over[${i}].low`), high = num($(".r-high", row), `over[${i}].high`);
      const integer = $(".r-integer", row).checked;
      if (integer && !(Number.isInteger(low) && Number.isInteger(high))) throw new FormError(t("form.error.number", { field: `over[${i}]` }));
      return `${$(".r-param", row).value}=${low}..${high}${integer ? ":int" : ":real"}`;
    });
    const body = { scenario: name, subject_to, over, trials: parseInt(o.trials.value, 10), replications: parseInt(o.reps.value, 10) };
    if (o.objective.value) body[o.direction.value] = o.objective.value;
    const changes = collect();
    if (Object.keys(changes.set).length) body.set = changes.set;
    if (changes.seed !== null && changes.seed !== undefined) body.seed = changes.seed;
    return body;
  }

  /* --- mounting and reading the form ---------------------------------------------------- */

  function buildingKey(ref) {
    const base = String(ref || "").split(/[\\/]/).pop();
    return base.replace(/\.(ya?ml)$/i, "");
  }

  async function loadChoices(building) {
    const key = buildingKey(building);
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(key)) return null;
    F.choiceCache = F.choiceCache || new Map();
    if (!F.choiceCache.has(key)) F.choiceCache.set(key, api(`/buildings/${encodeURIComponent(key)}/choices`).catch(() => null));
    return F.choiceCache.get(key);
  }

  /* Fill `container` with the form of a scenario: {name, doc (its document), model (GET /models'
   * entry), params (its effective parameters, or null)}; null when another scenario was opened since. */
  async function mount(container, { name, doc, model, params }) {
    const token = (F.mounting = (F.mounting || 0) + 1);
    const choices = await loadChoices((doc || {}).building);
    if (token !== F.mounting) return null;  // another scenario was opened meanwhile: that one's form wins
    F.scenario = name; F.doc = doc || {}; F.model = model || null;
    F.schema = (model && model.params_schema) || { type: "object", properties: {} };
    F.sweepable = sweepable(F.schema, "params", [], []);  // what the sweep and the optimiser's ranges may vary
    F.choices = choices;
    F.optionCache = new Map();  // options in this building's things and this language
    const start = params || Object.assign(defaultOf(F.schema), clone(F.doc.params || {}));
    F.orig = clone(start);
    F.root = objectEditor(F.schema, clone(start), "params");
    F.root.el.id = "form-params-fields";
    F.root.el.dataset.scenario = name;
    container.replaceChildren(h("p", { class: "hint", text: t(F.choices ? "form.intro" : "form.intro_no_building") }), F.root.el);
    const form = container.closest("form") || container.parentElement;
    const anchor = form.querySelector("#run-submit") || null;
    for (const old of ["#form-sweep", "#form-variant"]) { const el = document.querySelector(old); if (el) el.remove(); }
    form.insertBefore(sweepFieldset(), anchor);
    form.after(variantFieldset());  // outside the run's form: Enter in its name does not start a run
    return F.root;
  }

  /* What the form says: {set: {dotted path: value}, sweep: {path: [values]} | {} | null, replications, seed}. */
  function collect() {
    if (!F.root) return { set: {}, sweep: null, replications: null, seed: null };
    const set = {};
    diff(F.schema, F.orig, F.root.get(), "params", set);
    if (Object.keys(set).length > 100) throw new FormError(t("form.error.too_many", { n: Object.keys(set).length }));
    const intOr = (sel, scenarioValue) => {
      const el = $(sel);
      if (!el || el.value === "") return null;
      const v = Number(el.value);
      if (!Number.isInteger(v) || v < 0) throw new FormError(t("form.error.number", { field: sel.replace("#f-", "") }));
      return v === scenarioValue ? null : v;
    };
    return { set, sweep: collectSweep(), replications: intOr("#f-replications", F.doc.replications ?? 10), seed: intOr("#f-seed", F.doc.seed ?? 1) };
  }

  window.ScenarioForm = { mount, collect, mountOptimiser, optimiseRequest };
})();
