// The custom element's attributes, pure (no DOM): which parts a figure shows (`controls`), and
// the state its attributes describe. The attributes mirror the URL schema one to one: every
// state field is an attribute named as the field in kebab-case (`sentence`, `stage`, `layer`,
// `causal`, `window-causal`, `block-seed`, the model's options such as `heads`, `d-model`,
// `seed`) or as its URL key (`s`, `l`, `wc`, `bs`, `dmodel`: what the iframe's fragment uses),
// its value written as in the URL (lists comma-separated, `custom` as `i.j`, `edits` as
// `matrix:row:col:value[:layer]`, booleans as 1 or 0; a boolean attribute also reads as present
// = true). They are turned into the URL's query form and read by state.js's fromQuery, the one
// parser, so an element and a link can never disagree.
//
//   readControls(value)                 -> {parts: Set of part names, unknown: [names not known]}
//   controlsCss(parts)                  -> CSS text that hides the parts not shown
//   readAttributes(attrs, catalog)      -> {state, fields: {field: attribute}, problems: [{attribute, message}]}
//                                          attrs: [[name, value], ...] (the element's attributes)
//   attributeName(field)                -> the field's attribute (windowCausal -> window-causal)
//   fieldName(attribute, catalog, model) -> the attribute's field (window-causal, wc -> windowCausal)
import { fromQuery, keysOf, modelName, modelOf, defaults, sizes, PAGE_DEFAULTS, toQuery } from "../state.js";

/** The parts a figure may show (the `controls` attribute; the iframe's `controls` key). */
export const PARTS = Object.freeze(["sentence", "stepper", "flow", "stage", "explain", "follow", "model", "scale", "masks", "heads", "layers", "weights", "tour", "export", "link"]);

/**
 * Each part's elements in the playground's DOM (www/README.md's DOM contract). The stage shown
 * large is the figure itself and always shows; the part `stage` is its tools: zoom, and editing
 * an entry or toggling a custom-mask cell.
 */
const SELECTORS = {
  sentence: ".ap-input",
  stepper: ".ap-stepper",
  flow: "#ap-flow",
  stage: ".ap-stage .ap-hm-zoombox, .ap-edit",
  explain: "#ap-explain",
  follow: "#ap-follow",
  model: "#ap-models, #ap-group-model",
  scale: "#ap-group-scale",
  masks: "#ap-group-masks",
  heads: "#ap-head-grid",
  layers: "#ap-layer-follow",
  weights: ".ap-weights",
  tour: "#ap-tour",
  export: ".ap-export",
  link: ".ap-footer",
};

/**
 * The `controls` attribute: absent, empty or `all`: every part; `none`: none (a still figure: the
 * stage alone); else the names listed (commas or spaces), unknown names reported.
 */
export function readControls(value) {
  if (value === null || value === undefined) return { parts: new Set(PARTS), unknown: [] };
  const names = String(value).toLowerCase().split(/[\s,]+/).filter(Boolean);
  if (names.length === 0 || (names.length === 1 && names[0] === "all")) return { parts: new Set(PARTS), unknown: [] };
  if (names.length === 1 && names[0] === "none") return { parts: new Set(), unknown: [] };
  return { parts: new Set(names.filter((n) => PARTS.includes(n))), unknown: names.filter((n) => !PARTS.includes(n)) };
}

/** CSS that hides every part not in `parts`, and the columns and boxes left empty by them. */
export function controlsCss(parts) {
  const hide = PARTS.filter((p) => !parts.has(p)).map((p) => SELECTORS[p]);
  const rules = hide.length ? [`${hide.join(",\n")} { display: none !important; }`] : [];
  const any = (...names) => names.some((n) => parts.has(n));
  if (!any("model", "scale", "masks")) rules.push("#ap-controls { display: none !important; }");
  if (!any("follow", "model", "scale", "masks")) {
    // No side column: the figure takes the whole width.
    rules.push(".ap-side { display: none !important; }");
    rules.push("@container ap (min-width: 64rem) { .ap { display: flex; flex-direction: column; align-items: stretch; } }");
  }
  if (!any("heads", "layers", "weights", "link")) rules.push(".ap-main { display: none !important; }");
  if (!any("sentence", "tour")) rules.push(".ap-compose:not(:has(.ap-message:not(:empty))) { display: none; }");
  return rules.join("\n");
}

const kebab = (field) => field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * The attribute names of the state's fields: each field's name in kebab-case, and its URL key
 * (attribute names are lower case: the option dModel's key reads as `dmodel`). -> Map name -> field
 */
function attributeFields(keys) {
  const names = new Map();
  for (const field of Object.keys(keys)) names.set(kebab(field), field);
  for (const [field, key] of Object.entries(keys)) if (!names.has(key.toLowerCase())) names.set(key.toLowerCase(), field);
  return names;
}

/** The state field an attribute names (window-causal and wc -> windowCausal), or undefined. */
export function fieldName(name, catalog, model) {
  return attributeFields(keysOf(catalog, model)).get(String(name).toLowerCase());
}

/** Whether a field of this model is a boolean (a page field, or an option of kind bool). */
function isBool(field, card) {
  return typeof PAGE_DEFAULTS[field] === "boolean" || card.options.some((o) => o.name === field && o.kind === "bool");
}

/** A boolean attribute's value in the URL's form: present or true/1 -> 1, false/0 -> 0. */
function boolText(raw) {
  const v = raw.trim().toLowerCase();
  if (v === "" || v === "true" || v === "1" || v === "on" || v === "yes") return "1";
  if (v === "false" || v === "0" || v === "off" || v === "no") return "0";
  return raw;
}

/** Whether the state read kept what the attribute asked for (fromQuery replaces bad values by defaults). */
function honoured(field, text, value, catalog) {
  if (field === "model") return value === modelName(catalog, text);
  const items = text.split(",").filter((x) => x.trim() !== "");
  if (field === "custom" || field === "edits") return value.length === items.length;
  if (Array.isArray(value)) return items.length === value.length && items.every((x, i) => Number(x) === value[i]);
  if (typeof value === "boolean") return text === (value ? "1" : "0");
  if (typeof value === "number") return text.trim() !== "" && Number(text) === value;
  if (value === null) return text.trim() === "";
  return value === text;
}

/** Why a value was refused, in words a reader can act on. */
function why(field, card, state, catalog) {
  const size = sizes(card, state);
  const option = card.options.find((o) => o.name === field);
  if (field === "model") return `is not a model of this engine (its models: ${catalog.models.map((m) => m.name).join(", ")})`;
  const range = (n, what) => (n === 1 ? `it has one ${what}, 0` : `it has ${what}s 0 to ${n - 1}`);
  if (field === "stage") return `is not a stage of ${card.title} (its stages: ${card.stages.join(", ")})`;
  if (field === "layer") return `is not a layer of ${card.title} (${range(size.layers, "layer")})`;
  if (field === "head") return `is not a head of ${card.title} here (${range(size.heads, "head")})`;
  if (field === "mode") return card.crossAttention === false ? `cannot be used with ${card.title}, which has no cross-attention` : "is neither self nor cross";
  if (typeof PAGE_DEFAULTS[field] === "boolean" || option?.kind === "bool") return "is not 1, 0, true or false";
  if (option) {
    const rel = [option.multipleOf && `a multiple of ${kebab(option.multipleOf)}`, option.divides && `a divisor of ${kebab(option.divides)}`].filter(Boolean);
    return `is not a whole number from ${option.min} to ${option.max}${rel.length ? ` that is ${rel.join(" and ")}` : ""}`;
  }
  if (field === "custom") return "has pairs that are not two whole numbers i.j";
  if (field === "edits") return `has edits that are not matrix:row:col:value[:layer] of ${card.title}'s editable matrices`;
  if (field === "scale") return "is not a number above 0 and at most 1000";
  if (field === "weight") return `is not one of ${card.title}'s weight matrices`;
  if (Array.isArray(PAGE_DEFAULTS[field])) return "is not a list of whole numbers";
  return "is not a value this attribute takes";
}

/** A field's value as the attribute would write it. */
function shown(field, state, catalog) {
  const q = new URLSearchParams(toQuery(state, catalog));
  const key = keysOf(catalog, state.model)[field];
  if (q.has(key)) return q.get(key);
  // The default: toQuery leaves it out.
  const d = defaults(catalog, state.model)[field];
  if (typeof d === "boolean") return d ? "1" : "0";
  if (Array.isArray(d)) return d.join(",");
  return d === null ? "" : String(d);
}

/**
 * The state an element's attributes describe, checked against the engine's catalogue: every
 * attribute named like a state field (kebab-case) is read; others (class, id, controls, src,
 * theme, aria-*) are left alone. `problems`: one per value that was not taken, its message a
 * sentence saying what the figure shows instead.
 */
export function readAttributes(attrs, catalog) {
  const byName = new Map(attrs.map(([n, v]) => [n.toLowerCase(), v ?? ""]));
  const card = modelOf(catalog, byName.get("model") ?? byName.get("m") ?? null);
  const keys = keysOf(catalog, card.name);
  const fieldOf = attributeFields(keys);
  const query = new URLSearchParams();
  const read = []; // [field, attribute name, the value in the URL's form, as written]
  for (const [name, raw] of byName) {
    const field = fieldOf.get(name);
    if (field === undefined) continue;
    const text = isBool(field, card) ? boolText(raw) : raw;
    query.set(keys[field], text);
    read.push([field, name, text, raw]);
  }
  const state = fromQuery(query.toString(), catalog);
  const problems = [];
  const fields = {};
  for (const [field, name, text, raw] of read) {
    fields[field] = name;
    if (honoured(field, text, state[field], catalog)) continue;
    const instead = field === "model" ? state.model : shown(field, state, catalog);
    problems.push({ attribute: name, message: `The attribute ${name}="${raw}" ${why(field, card, state, catalog)}; the figure shows ${name}="${instead}" instead.` });
  }
  return { state, fields, problems };
}

/** The attribute name of a state field (kebab-case: windowCausal -> window-causal). */
export const attributeName = kebab;

