// The request builder (www/js/engine/request.js): from a state to the engine's calls.
import { test } from "node:test";
import assert from "node:assert/strict";
import { normalize, headSlice } from "../../www/js/state.js";
import { tokenizeCalls, countsOf, countProblem, maskParts, maskOf, axisSize, editableShapes, editsFor, traceConfig, viewCalls, viewOf } from "../../www/js/engine/request.js";
import { CATALOG } from "./state.catalog.mjs";

const norm = (partial) => normalize(partial, CATALOG);

test("step 1 tokenizes with the state's model, the context only in cross-attention", () => {
  assert.deepEqual(tokenizeCalls(norm({ sentence: "a b" })), [{ method: "tokenize", args: ["a b", "toy"] }]);
  assert.deepEqual(tokenizeCalls(norm({ model: "encoder", mode: "cross", sentence: "a", context: "b c" })), [
    { method: "tokenize", args: ["a", "encoder"] },
    { method: "tokenize", args: ["b c", "encoder"] },
  ]);
});

test("step 1 with a guess of the counts: each call expects its count; the counts of its results", () => {
  const cross = norm({ model: "encoder", mode: "cross", sentence: "a", context: "b c" });
  assert.deepEqual(tokenizeCalls(cross, { nq: 1, nk: 2 }), [
    { method: "tokenize", args: ["a", "encoder"], expect: 1 },
    { method: "tokenize", args: ["b c", "encoder"], expect: 2 },
  ]);
  assert.deepEqual(tokenizeCalls(norm({ sentence: "a b" }), { nq: 2, nk: 2 }), [{ method: "tokenize", args: ["a b", "toy"], expect: 2 }]);
  assert.deepEqual(countsOf([[{}], [{}, {}]], cross), { nq: 1, nk: 2 });
  assert.deepEqual(countsOf([[{}, {}, {}], "a trace"], norm({ sentence: "a b c" })), { nq: 3, nk: 3 }, "self-attention: the keys are the queries");
});

test("token counts the page cannot show are named in words", () => {
  assert.equal(countProblem(norm({}), CATALOG, 11, 11), null);
  assert.match(countProblem(norm({}), CATALOG, 0, 0), /no tokens/);
  assert.match(countProblem(norm({ mode: "cross" }), CATALOG, 3, 0), /context sentence/);
  assert.equal(countProblem(norm({}), CATALOG, 3, 0), null, "self-attention has no context");
  assert.match(countProblem(norm({}), CATALOG, 2000, 2000), /2000 tokens.*at most 512/);
  assert.equal(countProblem(norm({}), CATALOG, 512, 512), null);
  assert.match(countProblem(norm({ model: "encoder" }), CATALOG, 129, 129), /129 tokens.*at most 128/, "the model's own limit when lower");
});

test("mask parts: each enabled mask with its label, cut to the lengths", () => {
  assert.deepEqual(maskParts(norm({}), 5, 5), []);
  assert.deepEqual(maskOf(norm({}), 5, 5), { kind: "none" });
  const s = norm({ causal: true, window: 3, windowCausal: true, globalWindow: 2, globals: [1, 9], padding: [0, 7], block: 2, blockLocal: 1, blockRandom: 1, blockSeed: 4, custom: [[2, 0], [9, 9]] });
  const parts = maskParts(s, 4, 5);
  assert.deepEqual(parts.map(([label]) => label), ["Causal", "Window", "Global+local", "Padding", "Block-sparse", "Custom"]);
  const [causal, window, global, padding, block, custom] = parts.map(([, m]) => m);
  assert.deepEqual(causal, { kind: "causal" });
  assert.deepEqual(window, { kind: "window", size: 3, causal: true });
  assert.deepEqual(global, { kind: "global-local", globals: [1], size: 2 }, "globals past the longer side are dropped");
  assert.deepEqual(padding, { kind: "padding", keep: Uint8Array.from([0, 1, 1, 1, 1]) }, "one flag per key; pads past the keys dropped");
  assert.deepEqual(block, { kind: "block-sparse", block: 2, local: 1, random: 1, seed: 4 });
  const allowed = new Uint8Array(20).fill(1);
  allowed[2 * 5 + 0] = 0;
  assert.deepEqual(custom, { kind: "custom", allowed }, "pairs past the lengths dropped");
  assert.deepEqual(maskOf(s, 4, 5), { kind: "all", masks: parts.map(([, m]) => m) });
  assert.deepEqual(maskOf(norm({ causal: true }), 4, 4), { kind: "causal" }, "one mask is not wrapped");
  assert.deepEqual(maskParts(norm({ padding: [7], custom: [[9, 9]] }), 4, 4), [], "nothing left at these lengths");
});

test("axis sizes come from the model's sizes and the token counts", () => {
  const size = { layers: 1, heads: 4, kvHeads: 2, dModel: 32, headDim: 8 };
  assert.deepEqual(["query-tokens", "key-tokens", "model", "head", "concat", "kv-concat", "new-axis"].map((a) => axisSize(a, size, 5, 7, true)), [5, 7, 32, 8, 32, 16, 0]);
  assert.equal(axisSize("key-tokens", size, 5, 7, false), 0, "no context in self-attention");
  assert.deepEqual(headSlice("concat", size, 3, 1, 32), { start: 24, length: 8, sliced: true });
  assert.deepEqual(headSlice("kv-concat", size, 3, 1, 16), { start: 8, length: 8, sliced: true });
  assert.deepEqual(headSlice("model", size, 3, 1, 32), { start: 0, length: 32, sliced: false });
});

test("edits that fit: each editable matrix's size from its axes", () => {
  const s = norm({ heads: 4, kvHeads: 2, dModel: 32, mode: "cross" });
  assert.deepEqual(editableShapes(s, CATALOG, 5, 7), { x: [5, 32], "x-context": [7, 32], wq: [32, 32], wk: [32, 16], wv: [32, 16], wo: [32, 32] });
  const edit = (matrix, row, col) => ({ matrix, layer: 0, row, col, value: 1 });
  const edits = [edit("x", 4, 31), edit("x", 5, 0), edit("x", 0, 32), edit("x-context", 6, 0), edit("x-context", 7, 0),
    edit("wq", 31, 31), edit("wk", 0, 15), edit("wk", 0, 16), edit("wv", 32, 0), edit("wo", 31, 31), edit("wo", 0, 32)];
  const fit = editsFor({ ...s, edits }, CATALOG, 5, 7);
  assert.deepEqual(fit, [edit("x", 4, 31), edit("x-context", 6, 0), edit("wq", 31, 31), edit("wk", 0, 15), edit("wo", 31, 31)]);
  assert.deepEqual(editsFor({ ...s, mode: "self", edits }, CATALOG, 5, 5).map((e) => e.matrix), ["x", "wq", "wk", "wo"], "no context edits in self-attention");
  // A fixed-size model: its card's sizes.
  const enc = norm({ model: "encoder", edits: [edit("wo", 767, 767), edit("wo", 768, 0), { ...edit("wo", 0, 767), layer: 5 }, edit("x", 2, 767), edit("x", 3, 0)] });
  assert.deepEqual(editsFor(enc, CATALOG, 3, 3), [edit("wo", 767, 767), { ...edit("wo", 0, 767), layer: 5 }, edit("x", 2, 767)]);
});

test("the trace config: the model, its options as top-level fields, the layer, head and stages asked", () => {
  const s = norm({ sentence: "a b c", heads: 4, head: 3, seed: 9, positional: false, causal: true, stage: "scores", edits: [{ matrix: "wq", row: 0, col: 0, value: 2 }] });
  assert.deepEqual(traceConfig(s, CATALOG, 3, 3, ["scores", "softmax", "query", "key", "softmax", "not-a-stage"]), {
    model: "toy", sentence: "a b c", dModel: 16, heads: 4, kvHeads: 2, seed: 9, positional: false,
    mask: { kind: "causal" }, overrides: [{ matrix: "wq", layer: 0, row: 0, col: 0, value: 2 }],
    only: { layers: [0], heads: [3], stages: ["scores", "softmax", "query", "key"] },
  });
  const cross = traceConfig(norm({ mode: "cross", context: "x y", scale: 0.5 }), CATALOG, 11, 2, ["softmax"]);
  assert.equal(cross.context, "x y");
  assert.equal(cross.scale, 0.5);
  assert.equal("context" in traceConfig(norm({}), CATALOG, 11, 11, []), false);
  assert.equal("scale" in traceConfig(norm({}), CATALOG, 11, 11, []), false, "null scale: the engine's default");
  const enc = traceConfig(norm({ model: "encoder", layer: 4, head: 10, stage: "residual" }), CATALOG, 3, 3, ["residual", "softmax", "positional"]);
  assert.deepEqual(Object.keys(enc).sort(), ["mask", "model", "only", "overrides", "sentence"], "no options the model does not have");
  assert.deepEqual(enc.only, { layers: [0, 4], heads: [10], stages: ["residual", "softmax"] }, "layer 0 too: the embedding stages are traced there only");
});

test("step 2: one batch with the trace and a maskInfo per mask, read back as {trace, perMask}", () => {
  const s = norm({ causal: true, window: 2 });
  const { calls, labels } = viewCalls(s, CATALOG, 4, 4, ["softmax"]);
  assert.deepEqual(calls.map((c) => c.method), ["trace", "maskInfo", "maskInfo"]);
  assert.deepEqual(calls[1].args, [{ kind: "causal" }, 4, 4]);
  assert.deepEqual(calls[2].args, [{ kind: "window", size: 2, causal: false }, 4, 4]);
  assert.deepEqual(calls[0].args[0].mask, { kind: "all", masks: [{ kind: "causal" }, { kind: "window", size: 2, causal: false }] });
  assert.deepEqual(labels, ["Causal", "Window"]);
  const trace = { model: {} };
  assert.deepEqual(viewOf([trace, { allowedPairs: 10 }, { allowedPairs: 7 }], labels), { trace, perMask: [["Causal", 10], ["Window", 7]] });
  assert.deepEqual(viewCalls(norm({}), CATALOG, 4, 4, []).calls.length, 1);
});
