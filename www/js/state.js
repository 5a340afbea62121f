// The playground's whole state: one plain, serialisable object, and its URL form.
//
// Every field has a default; `normalize` clamps anything read from a URL or an embedder into
// range and drops what it does not understand, so no URL can break the page.

export const STAGE_NAMES = [
  "embedding", "positional", "input", "query", "key", "value", "scores",
  "scaled", "masked", "softmax", "weighted-sum", "concat", "output",
];

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

/** Most tokens the page draws; the engine traces up to 1,024. */
export const MAX_PAGE_TOKENS = 512;

export const DEFAULTS = Object.freeze({
  mode: "self", // "self" | "cross"
  sentence: PRESETS[1].sentence,
  context: "Le chat était fatigué.",
  stage: "softmax",
  head: 0,
  focus: null, // index of the followed query token, or null
  dModel: 16,
  heads: 2,
  kvHeads: 2,
  seed: 1,
  positional: true,
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
  edits: [], // {matrix: "x"|"wq"|"wk"|"wv"|"wo", row, col, value}
});

const int = (v, lo, hi, fallback) => {
  const n = Number(v);
  return Number.isInteger(n) && n >= lo && n <= hi ? n : fallback;
};
const bool = (v, fallback) => (v === true || v === "1" ? true : v === false || v === "0" ? false : fallback);
const intList = (v, max) =>
  (Array.isArray(v) ? v : typeof v === "string" && v ? v.split(",") : [])
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 0 && n < max)
    .slice(0, 4096);

/** Returns a complete, valid state from any partial object (from a URL, an embedder, a test). */
export function normalize(partial = {}) {
  const s = { ...DEFAULTS, ...partial };
  const heads = int(s.heads, 1, 8, DEFAULTS.heads);
  const validD = (d) => Number.isInteger(d) && d >= 4 && d <= 64 && d % heads === 0;
  let dModel = Number(s.dModel);
  if (!validD(dModel)) dModel = [16, 24, 32, 8, 40, 48, 56, 64].find(validD) ?? 16;
  const kvHeads = int(s.kvHeads, 1, heads, heads);
  const scale = s.scale === null || s.scale === "" || s.scale === undefined ? null : Number(s.scale);
  return {
    mode: s.mode === "cross" ? "cross" : "self",
    sentence: String(s.sentence ?? "").slice(0, 100_000),
    context: String(s.context ?? "").slice(0, 100_000),
    stage: STAGE_NAMES.includes(s.stage) ? s.stage : DEFAULTS.stage,
    head: int(s.head, 0, heads - 1, 0),
    focus: s.focus === null || s.focus === "" || s.focus === undefined ? null : int(s.focus, 0, 100_000, null),
    dModel,
    heads,
    kvHeads: heads % kvHeads === 0 ? kvHeads : heads,
    seed: int(s.seed, 0, 2 ** 31, DEFAULTS.seed),
    positional: bool(s.positional, true),
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
      .filter((p) => Array.isArray(p) && p.length === 2 && p.every((x) => Number.isInteger(x) && x >= 0))
      .slice(0, 100_000),
    edits: (Array.isArray(s.edits) ? s.edits : [])
      .filter(
        (e) =>
          e && ["x", "x-context", "wq", "wk", "wv", "wo"].includes(e.matrix) &&
          Number.isInteger(e.row) && e.row >= 0 && Number.isInteger(e.col) && e.col >= 0 && Number.isFinite(e.value),
      )
      .slice(0, 10_000),
  };
}

/** The enabled masks of this state at these lengths, each as [label, engine mask]. */
export function maskParts(s, seqQ, seqKv) {
  const parts = [];
  if (s.causal) parts.push(["Causal", { kind: "causal" }]);
  if (s.window > 0) parts.push(["Window", { kind: "window", size: s.window, causal: s.windowCausal }]);
  if (s.globalWindow > 0) {
    const n = Math.max(seqQ, seqKv);
    parts.push(["Global+local", { kind: "global-local", globals: s.globals.filter((g) => g < n), size: s.globalWindow }]);
  }
  const pads = s.padding.filter((j) => j < seqKv);
  if (pads.length) {
    const keep = new Uint8Array(seqKv).fill(1);
    for (const j of pads) keep[j] = 0;
    parts.push(["Padding", { kind: "padding", keep }]);
  }
  if (s.block > 0) {
    parts.push(["Block-sparse", { kind: "block-sparse", block: s.block, local: s.blockLocal, random: s.blockRandom, seed: s.blockSeed }]);
  }
  const removed = s.custom.filter(([i, j]) => i < seqQ && j < seqKv);
  if (removed.length) {
    const allowed = new Uint8Array(seqQ * seqKv).fill(1);
    for (const [i, j] of removed) allowed[i * seqKv + j] = 0;
    parts.push(["Custom", { kind: "custom", allowed }]);
  }
  return parts;
}

/** The learner's edits that still fit the current sizes (edits past them wait, unused). */
export function editsFor(s, nq, nk) {
  const d = s.dModel, kvCols = (s.kvHeads * s.dModel) / s.heads;
  const limits = { x: [nq, d], "x-context": [s.mode === "cross" ? nk : 0, d], wq: [d, d], wk: [d, kvCols], wv: [d, kvCols], wo: [d, d] };
  return s.edits.filter((e) => e.row < limits[e.matrix][0] && e.col < limits[e.matrix][1]);
}

/** The engine's mask for this state at these lengths: an `all` of the enabled parts. */
export function maskOf(s, seqQ, seqKv) {
  const parts = maskParts(s, seqQ, seqKv).map(([, m]) => m);
  return parts.length === 0 ? { kind: "none" } : parts.length === 1 ? parts[0] : { kind: "all", masks: parts };
}

// URL form: short keys in the hash, e.g. #s=The+cat&stage=softmax&h=1&causal=1
const KEYS = {
  mode: "mode", sentence: "s", context: "c", stage: "stage", head: "h", focus: "f", dModel: "d",
  heads: "nh", kvHeads: "kv", seed: "seed", positional: "pe", scale: "scale", causal: "causal",
  window: "win", windowCausal: "wc", globals: "glob", globalWindow: "gw", padding: "pad", block: "blk",
  blockLocal: "bl", blockRandom: "br", blockSeed: "bs", custom: "cm", edits: "e",
};

/** The state as a query string (only fields that differ from the defaults). */
export function toQuery(s) {
  const p = new URLSearchParams();
  for (const [field, key] of Object.entries(KEYS)) {
    const v = s[field];
    const d = DEFAULTS[field];
    if (JSON.stringify(v) === JSON.stringify(d)) continue;
    if (field === "custom") p.set(key, v.map(([i, j]) => `${i}.${j}`).join(","));
    else if (field === "edits") p.set(key, v.map((e) => `${e.matrix}:${e.row}:${e.col}:${e.value}`).join(","));
    else if (Array.isArray(v)) p.set(key, v.join(","));
    else if (typeof v === "boolean") p.set(key, v ? "1" : "0");
    else p.set(key, v === null ? "" : String(v));
  }
  return p.toString();
}

/** Reads a state from a query string; anything malformed falls back to its default. */
export function fromQuery(query) {
  const p = new URLSearchParams(query.replace(/^[#?]/, ""));
  const partial = {};
  for (const [field, key] of Object.entries(KEYS)) {
    if (!p.has(key)) continue;
    const raw = p.get(key);
    if (field === "custom") {
      partial.custom = raw.split(",").filter(Boolean).map((x) => x.split(".").map(Number));
    } else if (field === "edits") {
      partial.edits = raw.split(",").filter(Boolean).map((x) => {
        const [matrix, row, col, value] = x.split(":");
        return { matrix, row: Number(row), col: Number(col), value: Number(value) };
      });
    } else {
      partial[field] = raw;
    }
  }
  return normalize(partial);
}
