// The playground's whole state: one plain, serialisable object, and its URL form.
//
// The engine owns every name and limit: which models exist, each model's options (with their
// ranges), sizes, stages and editable matrices come from the catalogue that the engine's `init`
// reports (`{stages, models}`, see engine.js). `normalize(partial, catalog)` checks a state
// against it and replaces anything out of range or unknown by its default, so no URL can break
// the page; nothing here re-declares a stage, a model or a limit. Pure: no DOM.

export const PRESETS = [
  { name: "Short", sentence: "The cat sat on the mat." },
  { name: "Coreference", sentence: "The cat sat on the mat because it was tired." },
  {
    name: "Paragraph",
    sentence:
      "Attention lets every word in a sentence look at every other word and decide how much each one matters. " +
      "A query asks a question, each key offers an answer, and the values carry what is passed along. " +
      "Softmax turns the match scores into weights that sum to one, so each word becomes a blend of the words it attends to. " +
      "Masks decide which words may be seen at all: the future in a causal model, padding in a batch, or anything outside a window.",
  },
];

/** Most tokens the page draws (a model may trace more, see its card's `maxTokens`). */
export const MAX_PAGE_TOKENS = 512;

/** The stage shown first, when the model has it (else the model's first stage). */
export const DEFAULT_STAGE = "softmax";

// The stages the page gives a part to play, when the model has them: the attention weights (the
// follow view, drawn on a 0-to-1 palette) and the masked scores (a cell toggles a custom-mask pair).
export const WEIGHTS_STAGE = "softmax";
export const MASK_STAGE = "masked";

/** The page's own fields (the model's options come from its card, see `defaults`). */
export const PAGE_DEFAULTS = Object.freeze({
  model: null, // null: the catalogue's first model
  layer: 0,
  mode: "self", // "self" | "cross"
  sentence: PRESETS[1].sentence,
  context: "Le chat était fatigué.",
  stage: DEFAULT_STAGE,
  head: 0,
  focus: null, // index of the followed query token, or null
  scale: null, // null: 1/sqrt(d_k)
  causal: false,
  window: 0, // 0: off; else keys fewer than `window` positions away
  windowCausal: false,
  globals: [], // global token indices (global+local)
  globalWindow: 0, // 0: global+local off
  padding: [], // key indices treated as padding
  block: 0, // 0: block-sparse off; else block size
  blockLocal: 1,
  blockRandom: 0,
  blockSeed: 1,
  custom: [], // removed pairs [i, j] of the custom mask
  edits: [], // {matrix (one of the model's editable matrices), layer (0 for X), row, col, value}
  weight: null, // the weight matrix shown for editing (see weightMatrices); null: the model's first
  hideSpecial: false, // hide the model's special tokens ([CLS], [SEP]) from the view (the weights still include them)
  backend: "cpu", // where the page's attentionAsync computations run (the long-context run): "cpu" | "webgpu"
  tour: null, // the guided tour's step (views/tour), or null: no tour
});

/** The backends the page offers (attentionAsync's `backend` option); the trace itself runs on the CPU. */
export const BACKENDS = ["cpu", "webgpu"];

/**
 * The catalogue's name for a model a person or a link names: the name itself, or, ignoring
 * case, a model's title ("MiniLM-L6") or the part of a name before a hyphen when one model alone
 * has it ("minilm" for "minilm-l6"). Null for anything else.
 */
export function modelName(catalog, name) {
  if (typeof name !== "string" || name === "") return null;
  if (catalog.models.some((m) => m.name === name)) return name;
  const lower = name.toLowerCase();
  const by = (test) => {
    const found = catalog.models.filter(test);
    return found.length === 1 ? found[0].name : null;
  };
  return by((m) => m.name.toLowerCase() === lower) ?? by((m) => String(m.title ?? "").toLowerCase() === lower) ?? by((m) => m.name.toLowerCase().startsWith(`${lower}-`));
}

/** The card of the named model (see modelName), or the catalogue's first model for an unknown name. */
export function modelOf(catalog, name) {
  const found = modelName(catalog, name);
  return catalog.models.find((m) => m.name === found) ?? catalog.models[0];
}

/** Whether a model reads its weights from files that must be downloaded first (the card's `weights: "file"`). */
export function needsFiles(catalog, name) {
  return modelOf(catalog, name).weights === "file";
}

/** The model to show while a model with file weights is not loaded: the catalogue's first one that needs no files. */
export function fallbackModel(catalog) {
  return (catalog.models.find((m) => m.weights !== "file") ?? catalog.models[0]).name;
}

const TOKEN_AXES = new Set(["query-tokens", "key-tokens"]);

/** The model's editable weight matrices: those along no token axis. */
export function weightMatrices(catalog, model) {
  return modelOf(catalog, model).editable.filter((e) => !TOKEN_AXES.has(e.rows) && !TOKEN_AXES.has(e.cols));
}

/** The editable matrix along the tokens that a stage makes and shows, if any (the toy model: X on "input"). */
export function editableOn(catalog, model, stage) {
  return modelOf(catalog, model).editable.find((e) => e.stage === stage && e.rows === "query-tokens") ?? null;
}

/** Words for the engine's axis names (a shape such as "query tokens × d_k"); an axis not listed reads as its name. */
const AXIS_WORDS = { "query-tokens": "query tokens", "key-tokens": "key tokens", model: "d_model", head: "d_k", concat: "heads × d_k", "kv-concat": "key/value heads × d_k" };
export const axisWords = (axis) => AXIS_WORDS[axis] ?? axis;

/**
 * The current head's part of an axis of a weight matrix: `concat` and `kv-concat` hold one block
 * of headDim per head (per key/value head); other axes are whole. -> {start, length, sliced}
 */
export function headSlice(axis, size, head, kvHead, length) {
  if (axis === "concat") return { start: head * size.headDim, length: size.headDim, sliced: true };
  if (axis === "kv-concat") return { start: kvHead * size.headDim, length: size.headDim, sliced: true };
  return { start: 0, length, sliced: false };
}

/** The model's sizes in this state: the card's sizes, each overridden by an option of its name. */
export function sizes(card, state) {
  const pick = (name) => (card.options.some((o) => o.name === name) && Number.isInteger(state[name]) ? state[name] : card[name]);
  const s = { layers: pick("layers"), heads: pick("heads"), kvHeads: pick("kvHeads"), dModel: pick("dModel") };
  const resized = card.options.some((o) => o.name === "dModel" || o.name === "heads");
  s.headDim = card.options.some((o) => o.name === "headDim") ? pick("headDim") : resized ? s.dModel / s.heads : card.headDim;
  return s;
}

/** The complete default state for a model (the catalogue's first model by default). */
export function defaults(catalog, model) {
  const card = modelOf(catalog, model);
  const s = { ...PAGE_DEFAULTS, model: card.name };
  for (const o of card.options) s[o.name] = o.default;
  s.weight = weightMatrices(catalog, card.name)[0]?.matrix ?? null;
  if (!card.stages.includes(s.stage)) s.stage = card.stages[0];
  return s;
}

const present = (v) => v !== undefined && v !== null && v !== "";
/** A number or a numeric string as a number; anything else (true, "", [1]) as NaN. */
const number = (v) => (typeof v === "number" || (typeof v === "string" && v.trim() !== "") ? Number(v) : NaN);
const int = (v, lo, hi, fallback) => {
  const n = number(v);
  return Number.isInteger(n) && n >= lo && n <= hi ? n : fallback;
};
const bool = (v, fallback) => (v === true || v === "1" ? true : v === false || v === "0" ? false : fallback);
const intList = (v, max) =>
  (Array.isArray(v) ? v : typeof v === "string" && v ? v.split(",") : [])
    .map(number)
    .filter((n) => Number.isInteger(n) && n >= 0 && n < max)
    .slice(0, 4096);

/** Most values looked at when listing or searching an int option's valid values. */
const SEARCH = 4096;

/** Whether an int value meets its spec's relations to the other options (`multipleOf`, `divides`). */
function related(spec, n, values) {
  if (spec.multipleOf != null && !(values[spec.multipleOf] > 0 && n % values[spec.multipleOf] === 0)) return false;
  if (spec.divides != null && !(n > 0 && values[spec.divides] % n === 0)) return false;
  return true;
}

/** Every value an int option may take given the other options (ascending). */
export function validValues(spec, values) {
  const out = [];
  for (let n = spec.min; n <= Math.min(spec.max, spec.min + SEARCH); n++) if (related(spec, n, values)) out.push(n);
  return out;
}

/**
 * The model's options checked against their specs. An option whose spec refers to another
 * (`dModel` a multiple of `heads`) is checked after it; a bad value becomes the default, or,
 * when the default does not fit the others, the nearest value that does (the larger on a tie).
 */
function options(card, s) {
  const values = {};
  const pending = [...card.options];
  while (pending.length) {
    const i = pending.findIndex((o) => [o.multipleOf, o.divides].every((r) => r == null || r in values || !card.options.some((x) => x.name === r)));
    const spec = pending.splice(i === -1 ? 0 : i, 1)[0];
    const refs = { ...card, ...values };
    if (spec.kind === "bool") {
      values[spec.name] = bool(s[spec.name], spec.default);
      continue;
    }
    const n = int(s[spec.name], spec.min, spec.max, null);
    if (n !== null && related(spec, n, refs)) {
      values[spec.name] = n;
      continue;
    }
    if (related(spec, spec.default, refs)) {
      values[spec.name] = spec.default;
      continue;
    }
    let best = spec.default;
    for (let d = 1; d <= Math.min(spec.max - spec.min, SEARCH); d++) {
      const up = spec.default + d, down = spec.default - d;
      if (up <= spec.max && related(spec, up, refs)) { best = up; break; }
      if (down >= spec.min && related(spec, down, refs)) { best = down; break; }
    }
    values[spec.name] = best;
  }
  return values;
}

/**
 * A complete, valid state from any partial object (from a URL, an embedder, a test), checked
 * against the engine's catalogue `{stages, models}`: an unknown model becomes the first one,
 * each of the model's options is checked by its spec, layer and head by the model's sizes, the
 * stage by the model's stages, and edits by the model's editable matrices.
 */
export function normalize(partial, catalog) {
  const p = partial ?? {};
  const card = modelOf(catalog, p.model);
  const d = defaults(catalog, card.name);
  const s = { ...d, ...p };
  const opts = options(card, s);
  const size = sizes(card, opts);
  const scale = present(s.scale) ? number(s.scale) : null;
  const editable = new Set(card.editable.map((e) => e.matrix));
  const weights = weightMatrices(catalog, card.name).map((e) => e.matrix);
  // A weight belongs to a layer; a matrix along the tokens (X) is the model's input, layer 0's.
  const layers = (matrix) => (weights.includes(matrix) ? size.layers : 1);
  return {
    model: card.name,
    layer: int(s.layer, 0, size.layers - 1, 0),
    mode: s.mode === "cross" && card.crossAttention !== false ? "cross" : "self", // an encoder alone has no cross-attention
    sentence: String(s.sentence ?? "").slice(0, 100_000),
    context: String(s.context ?? "").slice(0, 100_000),
    stage: card.stages.includes(s.stage) ? s.stage : d.stage,
    head: int(s.head, 0, size.heads - 1, 0),
    focus: present(s.focus) ? int(s.focus, 0, 100_000, null) : null,
    ...opts,
    scale: scale !== null && Number.isFinite(scale) && scale > 0 && scale <= 1000 ? scale : null,
    causal: bool(s.causal, false),
    window: int(s.window, 0, 100_000, 0),
    windowCausal: bool(s.windowCausal, false),
    globals: intList(s.globals, 100_000),
    globalWindow: int(s.globalWindow, 0, 100_000, 0),
    padding: intList(s.padding, 100_000),
    block: int(s.block, 0, 4096, 0),
    blockLocal: int(s.blockLocal, 0, 64, 1),
    blockRandom: int(s.blockRandom, 0, 64, 0),
    blockSeed: int(s.blockSeed, 0, 2 ** 31, 1),
    custom: (Array.isArray(s.custom) ? s.custom : [])
      .filter((x) => Array.isArray(x) && x.length === 2 && x.every((n) => Number.isInteger(n) && n >= 0))
      .map(([i, j]) => [i, j])
      .slice(0, 100_000),
    edits: (Array.isArray(s.edits) ? s.edits : [])
      .filter(
        (e) =>
          e && editable.has(e.matrix) && Number.isInteger(e.layer ?? 0) && (e.layer ?? 0) >= 0 && (e.layer ?? 0) < layers(e.matrix) &&
          Number.isInteger(e.row) && e.row >= 0 && Number.isInteger(e.col) && e.col >= 0 && Number.isFinite(e.value),
      )
      .map((e) => ({ matrix: e.matrix, layer: e.layer ?? 0, row: e.row, col: e.col, value: e.value + 0 })) // + 0: no −0
      .slice(0, 10_000),
    weight: weights.includes(s.weight) ? s.weight : (weights[0] ?? null),
    hideSpecial: bool(s.hideSpecial, false),
    backend: BACKENDS.includes(s.backend) ? s.backend : "cpu",
    tour: present(s.tour) ? int(s.tour, 0, 99, null) : null,
  };
}

// URL form: short keys in the hash, e.g. #s=The+cat&stage=softmax&h=1&causal=1. A model's
// options use their own names (#heads=4&dModel=32).
const KEYS = {
  model: "m", layer: "l", mode: "mode", sentence: "s", context: "c", stage: "stage", head: "h", focus: "f",
  scale: "scale", causal: "causal", window: "win", windowCausal: "wc", globals: "glob", globalWindow: "gw",
  padding: "pad", block: "blk", blockLocal: "bl", blockRandom: "br", blockSeed: "bs", custom: "cm", edits: "e",
  weight: "w", hideSpecial: "hs", backend: "be", tour: "tour",
};

/** Other keys a link may use for a field (the issue's own words: `model=minilm`); read, never written. */
const ALIASES = { model: "m" };

/**
 * Each field of this state (page fields and the model's options) with its URL key: the URL
 * schema, which the custom element's attributes mirror (element/attributes.js).
 */
export function keysOf(catalog, model) {
  const keys = { ...KEYS };
  for (const o of modelOf(catalog, model).options) keys[o.name] = o.name;
  return keys;
}

/** The state as a query string (only fields that differ from the model's defaults). */
export function toQuery(s, catalog) {
  const d = { ...defaults(catalog, s.model), model: catalog.models[0].name };
  const p = new URLSearchParams();
  for (const [field, key] of Object.entries(keysOf(catalog, s.model))) {
    const v = s[field];
    if (JSON.stringify(v) === JSON.stringify(d[field])) continue;
    if (field === "custom") p.set(key, v.map(([i, j]) => `${i}.${j}`).join(","));
    else if (field === "edits") p.set(key, v.map((e) => `${e.matrix}:${e.row}:${e.col}:${e.value}${e.layer ? `:${e.layer}` : ""}`).join(","));
    else if (Array.isArray(v)) p.set(key, v.join(","));
    else if (typeof v === "boolean") p.set(key, v ? "1" : "0");
    else p.set(key, v === null ? "" : String(v));
  }
  return p.toString();
}

// The toy model's option keys in links made before options took their own names; read, never written.
const OLD_KEYS = { nh: "heads", d: "dModel", kv: "kvHeads", pe: "positional" };

/** Reads a state from a query string; anything malformed falls back to its default. */
export function fromQuery(query, catalog) {
  const p = new URLSearchParams(String(query ?? "").replace(/^[#?]/, ""));
  for (const [old, key] of Object.entries(OLD_KEYS)) if (p.has(old) && !p.has(key)) p.set(key, p.get(old));
  for (const [alias, key] of Object.entries(ALIASES)) if (p.has(alias) && !p.has(key)) p.set(key, p.get(alias));
  const partial = {};
  for (const [field, key] of Object.entries(keysOf(catalog, p.get(KEYS.model)))) {
    if (!p.has(key)) continue;
    const raw = p.get(key);
    if (field === "custom") {
      partial.custom = raw.split(",").filter(Boolean).map((x) => x.split(".").map(Number));
    } else if (field === "edits") {
      partial.edits = raw.split(",").filter(Boolean).map((x) => {
        const [matrix, row, col, value, layer] = x.split(":");
        return { matrix, row: Number(row), col: Number(col), value: Number(value), layer: layer === undefined ? 0 : Number(layer) };
      });
    } else {
      partial[field] = raw;
    }
  }
  return normalize(partial, catalog);
}
