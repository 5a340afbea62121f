// From the page's state to the engine's requests, and back. Pure functions (no DOM, no worker):
// the page asks the worker in two steps, both as `batch` calls of engine exports:
//
//   1. tokenizeCalls(state, guess?)            -> the sentence's (and context's) tokens, to count them
//      countsOf(results, state)                -> {nq, nk}
//   2. viewCalls(state, catalog, nq, nk, stages) -> {calls: [trace, maskInfo per mask], labels}
//      viewOf(results, labels)                 -> {trace, perMask}
//
// A new text's calls of step 2 may go in step 1's batch, made for a guess of the counts (the last
// text's: they hold while a word is being typed); each count then says what it expects, and the
// worker ends the batch after a count that differs (worker.js, `batch`).
//
// `catalog` is the engine's `{stages, models}`; every size comes from the model's card and the
// state's options (see state.js), never from a list here.
import { modelOf, sizes, MAX_PAGE_TOKENS } from "../state.js";

/**
 * Step 1: tokenize the sentence, and in cross-attention the context, with the model's tokenizer;
 * `guess` ({nq, nk}): each call expects its count (the batch ends after one that differs).
 */
export function tokenizeCalls(state, guess = null) {
  const calls = [{ method: "tokenize", args: [state.sentence, state.model] }];
  if (state.mode === "cross") calls.push({ method: "tokenize", args: [state.context, state.model] });
  if (guess) calls.forEach((c, i) => (c.expect = i === 0 ? guess.nq : guess.nk));
  return calls;
}

/** The token counts step 1's results give: {nq, nk} (in self-attention the keys are the queries). */
export function countsOf(results, state) {
  const nq = results[0].length;
  return { nq, nk: state.mode === "cross" ? results[1].length : nq };
}

/** Why these token counts cannot be shown (a sentence for the learner), or null when they can. */
export function countProblem(state, catalog, nq, nk) {
  if (nq === 0) return "Type a sentence: there are no tokens to attend over yet.";
  if (state.mode === "cross" && nk === 0) return "Type a context sentence: cross-attention takes its keys and values from it.";
  const n = Math.max(nq, nk);
  const card = modelOf(catalog, state.model);
  const most = Math.min(MAX_PAGE_TOKENS, card.maxTokens);
  const who = card.maxTokens <= MAX_PAGE_TOKENS ? `${card.title} reads` : "the playground shows";
  if (n > most) return `This text has ${n} tokens; ${who} at most ${most}. Shorten it to see the stages (your text is kept).`;
  return null;
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

/** The engine's mask for this state at these lengths: an `all` of the enabled parts. */
export function maskOf(s, seqQ, seqKv) {
  const parts = maskParts(s, seqQ, seqKv).map(([, m]) => m);
  return parts.length === 0 ? { kind: "none" } : parts.length === 1 ? parts[0] : { kind: "all", masks: parts };
}

/**
 * The length of an axis for this model's sizes and these token counts. In self-attention there
 * is no context, so a matrix along `key-tokens` (the context's input) has no rows.
 */
export function axisSize(axis, size, nq, nk, cross) {
  switch (axis) {
    case "query-tokens": return nq;
    case "key-tokens": return cross ? nk : 0;
    case "model": return size.dModel;
    case "head": return size.headDim;
    case "concat": return size.heads * size.headDim;
    case "kv-concat": return size.kvHeads * size.headDim;
    default: return 0; // an axis this page does not know: nothing fits
  }
}

/** The rows and columns of each of the model's editable matrices in this state. */
export function editableShapes(state, catalog, nq, nk) {
  const card = modelOf(catalog, state.model);
  const size = sizes(card, state);
  const cross = state.mode === "cross";
  return Object.fromEntries(card.editable.map((e) => [e.matrix, [axisSize(e.rows, size, nq, nk, cross), axisSize(e.cols, size, nq, nk, cross)]]));
}

/** The learner's edits that fit the current sizes and token counts (the others wait, unused). */
export function editsFor(state, catalog, nq, nk) {
  const shapes = editableShapes(state, catalog, nq, nk);
  return state.edits.filter((e) => shapes[e.matrix] && e.row < shapes[e.matrix][0] && e.col < shapes[e.matrix][1]);
}

/** The trace config of this state: the model's options as top-level fields, the current layer (and layer 0) and head only. */
export function traceConfig(state, catalog, nq, nk, stages) {
  const card = modelOf(catalog, state.model);
  const config = { model: state.model, sentence: state.sentence };
  if (state.mode === "cross") config.context = state.context;
  for (const o of card.options) config[o.name] = state[o.name];
  if (state.scale !== null) config.scale = state.scale;
  config.mask = maskOf(state, nq, nk);
  config.overrides = editsFor(state, catalog, nq, nk);
  // Layer 0 too when another layer is shown: the stages before the first layer (the embeddings)
  // are traced there only, and the page looks a stage up there when the layer shown lacks it.
  const layers = state.layer > 0 ? [0, state.layer] : [0];
  config.only = { layers, heads: [state.head], stages: [...new Set(stages)].filter((s) => card.stages.includes(s)) };
  return config;
}

/**
 * The maps of every layer and head that a model with file weights draws (the head grid, a token
 * across the layers), and the key of what they depend on: the sentence, the scale and the masks.
 * Null for other models (the toy model has no such call).
 */
export function gridCall(state, catalog, nq, nk) {
  if (modelOf(catalog, state.model).weights !== "file" || state.mode === "cross") return null;
  const options = { mask: maskOf(state, nq, nk) };
  if (state.scale !== null) options.scale = state.scale;
  const s = state;
  const key = JSON.stringify([s.model, s.sentence, s.scale, s.causal, s.window, s.windowCausal, s.globals, s.globalWindow,
    s.padding, s.block, s.blockLocal, s.blockRandom, s.blockSeed, s.custom, nq]);
  return { key, call: { method: "headGrid", args: [state.sentence, options, state.model] } };
}

/** Step 2: the trace and each enabled mask's own count of kept pairs, as one batch. */
export function viewCalls(state, catalog, nq, nk, stages) {
  const parts = maskParts(state, nq, nk);
  return {
    calls: [
      { method: "trace", args: [traceConfig(state, catalog, nq, nk, stages)] },
      ...parts.map(([, mask]) => ({ method: "maskInfo", args: [mask, nq, nk] })),
    ],
    labels: parts.map(([label]) => label),
  };
}

/** The batch's results as the page shows them: the trace and [label, kept pairs] per mask. */
export function viewOf(results, labels) {
  return { trace: results[0], perMask: labels.map((label, i) => [label, results[i + 1].allowedPairs]) };
}
