// The page's pure parts for a model with file weights (MiniLM-L6): links that name it, subword
// tokens and special tokens, the head grid's images and keys, a token across the layers, the
// download's words, and the maps' request (node --test, no browser).
import { test } from "node:test";
import assert from "node:assert/strict";
import { normalize, fromQuery, toQuery, modelName, modelOf, needsFiles, fallbackModel } from "../../www/js/state.js";
import { gridCall, countProblem } from "../../www/js/engine/request.js";
import { words, isSpecial, wordOf, kept, pick } from "../../www/js/subwords.js";
import { resolution, thumbnail, move, patternCounts, patternOf, MOST_PIXELS } from "../../www/js/views/heads/layout.js";
import { acrossLayers, meanOverHeads, topPerRow } from "../../www/js/views/layers/rows.js";
import { megabytes, download, progressText, loadedText } from "../../www/js/views/models/text.js";
import { STAGES, TOY } from "./state.catalog.mjs";

// The catalogue as the engine reports it with the real model (src/wasm/info.rs): the toy model's
// weights are "seeded", MiniLM-L6's a "file"; MiniLM has no options and nothing to edit.
const MINILM = {
  name: "minilm-l6", title: "MiniLM-L6", description: "A pretrained encoder.", tokens: "wordpiece", weights: "file",
  maxTokens: 512, layers: 6, heads: 12, kvHeads: 12, dModel: 384, headDim: 32,
  stages: [...TOY.stages.filter((n) => n !== "positional"), "residual", "layer-norm", "feed-forward"],
  editable: [], options: [],
};
const CATALOG = { stages: STAGES, models: [{ ...TOY, weights: "seeded" }, MINILM] };

test("a link may name the real model as the issue does (model=minilm), by its name, or by its title", () => {
  for (const q of ["model=minilm", "m=minilm", "m=minilm-l6", "model=minilm-l6", "m=MiniLM-L6", "m=MINILM", "#model=minilm&h=11&l=5"]) {
    assert.equal(fromQuery(q, CATALOG).model, "minilm-l6", q);
  }
  const s = fromQuery("model=minilm&h=11&l=5&stage=feed-forward", CATALOG);
  assert.deepEqual([s.head, s.layer, s.stage], [11, 5, "feed-forward"], "its own sizes and stages, not the toy model's");
  assert.equal(toQuery(s, CATALOG), "m=minilm-l6&l=5&stage=feed-forward&h=11", "written with the catalogue's name and key");
  assert.equal(fromQuery("m=toy&model=minilm", CATALOG).model, "toy", "the short key wins");
  assert.equal(fromQuery("m=mini", CATALOG).model, "toy", "a part of a name that is not a whole part before a hyphen");
  assert.equal(fromQuery("s=a&nh=4", CATALOG).heads, 4, "old links still open");
  assert.equal(modelName(CATALOG, "toy"), "toy");
  assert.equal(modelName(CATALOG, "nope"), null);
  assert.equal(modelName(CATALOG, ""), null);
  assert.equal(modelName(CATALOG, 3), null);
  // Two models that share a prefix: the prefix names neither.
  const two = { ...CATALOG, models: [...CATALOG.models, { ...MINILM, name: "minilm-l12", title: "MiniLM-L12" }] };
  assert.equal(modelName(two, "minilm"), null);
  assert.equal(modelOf(two, "minilm").name, "toy");
});

test("which models need files, and the one shown while they load", () => {
  assert.equal(needsFiles(CATALOG, "minilm-l6"), true);
  assert.equal(needsFiles(CATALOG, "minilm"), true);
  assert.equal(needsFiles(CATALOG, "toy"), false);
  assert.equal(fallbackModel(CATALOG), "toy");
  assert.equal(fallbackModel({ ...CATALOG, models: [MINILM, { ...TOY, weights: "seeded" }] }), "toy");
  // The real model's state: no options, no edits, its own limits.
  const s = normalize({ model: "minilm-l6", head: 11, layer: 5, edits: [{ matrix: "x", row: 0, col: 0, value: 1 }], weight: "wq" }, CATALOG);
  assert.deepEqual([s.head, s.layer, s.edits, s.weight], [11, 5, [], null]);
  for (const o of TOY.options) assert.equal(o.name in s, false, o.name);
});

test("hiding the special tokens is part of the state and the URL (hs=1)", () => {
  const s = normalize({ model: "minilm-l6", hideSpecial: true }, CATALOG);
  assert.equal(s.hideSpecial, true);
  assert.equal(toQuery(s, CATALOG), "m=minilm-l6&hs=1");
  assert.deepEqual(fromQuery("m=minilm-l6&hs=1", CATALOG), s);
  for (const bad of ["yes", 2, null, "true"]) assert.equal(normalize({ hideSpecial: bad }, CATALOG).hideSpecial, false);
  assert.equal(normalize({ hideSpecial: "1" }, CATALOG).hideSpecial, true);
});

const TOKENS = [
  { text: "[CLS]", start: 0, end: 0 }, { text: "the", start: 0, end: 3 }, { text: "play", start: 4, end: 8 },
  { text: "##ing", start: 8, end: 11 }, { text: "##s", start: 11, end: 12 }, { text: "end", start: 13, end: 16 },
  { text: ".", start: 16, end: 17 }, { text: "[SEP]", start: 0, end: 0 },
];

test("subwords: ## pieces join the word before them; special tokens cover no text", () => {
  const w = words(TOKENS);
  assert.deepEqual(w.map((x) => x.word), [0, 1, 2, 2, 2, 3, 4, 5]);
  assert.deepEqual(w.map((x) => x.piece), [false, false, false, true, true, false, false, false]);
  assert.deepEqual(w.map((x) => x.special), [true, false, false, false, false, false, false, true]);
  assert.deepEqual([w[3].joiner, w[3].rest, w[2].joiner, w[2].rest], ["##", "ing", "", "play"]);
  assert.equal(wordOf(TOKENS, 3), "playings");
  assert.equal(wordOf(TOKENS, 2), "playings");
  assert.equal(wordOf(TOKENS, 5), "end");
  // A "##" right after a special token, or "##" alone, starts a word; the toy model's words have none.
  assert.deepEqual(words([{ text: "[CLS]", start: 0, end: 0 }, { text: "##a", start: 0, end: 1 }, { text: "##", start: 1, end: 3 }]).map((x) => x.piece), [false, false, false]);
  assert.deepEqual(words([{ text: "The", start: 0, end: 3 }, { text: "cat", start: 4, end: 7 }]).map((x) => x.word), [0, 1]);
  assert.equal(isSpecial({ text: "", start: 0, end: 0 }), false, "an empty token is not a special one");
  assert.equal(isSpecial(undefined), false);
});

test("kept tokens and the part of a matrix they show", () => {
  assert.deepEqual(kept(TOKENS, false), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(kept(TOKENS, true), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(kept([{ text: "[CLS]", start: 0, end: 0 }], true), [0], "never nothing");
  const m = { rows: 3, cols: 3, data: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8]), stage: "softmax" };
  assert.equal(pick(m, null, null), m);
  assert.equal(pick(m, [0, 1, 2], null), m);
  const p = pick(m, [1, 2], [0, 2]);
  assert.deepEqual([p.rows, p.cols, [...p.data], p.stage], [2, 2, [3, 5, 6, 8], "softmax"]);
  assert.deepEqual([...pick(m, null, [1]).data], [1, 4, 7]);
});

/** Maps of `layers` x `heads` over n tokens where head (l, h) looks at key (i + l + h) % n. */
function maps(layers, heads, n) {
  const data = new Float32Array(layers * heads * n * n);
  for (let l = 0; l < layers; l++) for (let h = 0; h < heads; h++) for (let i = 0; i < n; i++) data[((l * heads + h) * n + i) * n + ((i + l + h) % n)] = 1;
  return { layers, heads, seqLen: n, data };
}

test("head images: one pixel per token up to 64, larger maps pooled by their largest weight", () => {
  assert.equal(resolution(0), 1);
  assert.equal(resolution(11), 11);
  assert.equal(resolution(512), MOST_PIXELS);
  const a = maps(2, 3, 5);
  const t = thumbnail(a.data, (1 * 3 + 2) * 25, 5, [0, 1, 2, 3, 4]);
  assert.equal(t.size, 5);
  assert.equal(t.max, 1);
  assert.equal(t.pixels.length, 5 * 5 * 4);
  // Head (1, 2): query i looks at key (i + 3) % 5: that pixel is the palette's top colour.
  const px = (r, c) => [...t.pixels.slice(4 * (r * 5 + c), 4 * (r * 5 + c) + 4)];
  assert.deepEqual(px(0, 3), [253, 231, 37, 255], "viridis' yellow");
  assert.deepEqual(px(0, 0), [68, 1, 84, 255], "viridis' purple");
  // Scaled to the map's own largest weight: a uniform map is all top colour.
  const flat = new Float32Array(16).fill(0.25);
  const u = thumbnail(flat, 0, 4, [0, 1, 2, 3]);
  assert.equal(u.max, 0.25);
  assert.deepEqual([...u.pixels.slice(0, 4)], [253, 231, 37, 255]);
  // Kept tokens only: dropping token 0 of head (0, 0) (the diagonal) leaves a 4 x 4 diagonal.
  const d = thumbnail(a.data, 0, 5, [1, 2, 3, 4]);
  assert.equal(d.size, 4);
  assert.deepEqual([...d.pixels.slice(4 * 5, 4 * 5 + 3)], [253, 231, 37], "(1, 1) on the diagonal");
  // 512 tokens in 64 x 64 pixels: each pixel the largest of its 8 x 8 block.
  const big = maps(1, 1, 512);
  const b = thumbnail(big.data, 0, 512, Array.from({ length: 512 }, (_, i) => i));
  assert.equal(b.size, 64);
  for (let p = 0; p < 64; p++) assert.equal(b.pixels[4 * (p * 64 + p)], 253, `diagonal pixel ${p}`);
  assert.equal(b.pixels[4 * (0 * 64 + 5)], 68, "off the diagonal");
  // No weight at all (every pair masked): all bottom colour, no division by zero.
  assert.equal(thumbnail(new Float32Array(4), 0, 2, [0, 1]).pixels[0], 68);
});

test("head grid keys: arrows by one, Home/End along a layer, PageUp/PageDown across layers, clamped", () => {
  const at = { layer: 2, head: 5 };
  assert.deepEqual(move(at, "ArrowRight", 6, 12), { layer: 2, head: 6 });
  assert.deepEqual(move(at, "ArrowLeft", 6, 12), { layer: 2, head: 4 });
  assert.deepEqual(move(at, "ArrowUp", 6, 12), { layer: 1, head: 5 });
  assert.deepEqual(move(at, "ArrowDown", 6, 12), { layer: 3, head: 5 });
  assert.deepEqual(move(at, "Home", 6, 12), { layer: 2, head: 0 });
  assert.deepEqual(move(at, "End", 6, 12), { layer: 2, head: 11 });
  assert.deepEqual(move(at, "Home", 6, 12, true), { layer: 0, head: 0 });
  assert.deepEqual(move(at, "End", 6, 12, true), { layer: 5, head: 11 });
  assert.deepEqual(move(at, "PageUp", 6, 12), { layer: 0, head: 5 });
  assert.deepEqual(move(at, "PageDown", 6, 12), { layer: 5, head: 5 });
  assert.deepEqual(move({ layer: 0, head: 0 }, "ArrowLeft", 6, 12), { layer: 0, head: 0 });
  assert.deepEqual(move({ layer: 5, head: 11 }, "ArrowDown", 6, 12), { layer: 5, head: 11 });
  assert.equal(move(at, "Enter", 6, 12), null);
  assert.equal(move(at, "a", 6, 12), null);
});

test("patterns as the engine names them, counted and looked up", () => {
  const patterns = [
    { layer: 0, head: 0, pattern: "previous", title: "previous token", share: 0.9 },
    { layer: 0, head: 1, pattern: "cls", title: "[CLS]", share: 0.7 },
    { layer: 1, head: 0, pattern: "previous", title: "previous token", share: 0.6 },
    { layer: 1, head: 1, pattern: "broad", title: "broad", share: 0.2 },
  ];
  assert.deepEqual(patternCounts(patterns), [
    { pattern: "previous", title: "previous token", count: 2 },
    { pattern: "broad", title: "broad", count: 1 },
    { pattern: "cls", title: "[CLS]", count: 1 },
  ]);
  assert.equal(patternOf(patterns, 1, 1).pattern, "broad");
  assert.equal(patternOf(patterns, 5, 5), null);
});

test("a token across the layers: its row in each layer for one head, and the mean over heads", () => {
  const a = maps(3, 2, 4);
  const one = acrossLayers(a, 1, 1);
  assert.equal(one.length, 3 * 4);
  // Layer l, head 1: query 1 looks at key (1 + l + 1) % 4.
  for (let l = 0; l < 3; l++) for (let j = 0; j < 4; j++) assert.equal(one[l * 4 + j], j === (2 + l) % 4 ? 1 : 0);
  const mean = meanOverHeads(a, 1);
  for (let l = 0; l < 3; l++) {
    for (let j = 0; j < 4; j++) assert.equal(mean[l * 4 + j], ((j === (1 + l) % 4) + (j === (2 + l) % 4)) / 2);
  }
  assert.deepEqual(topPerRow(one, 3, 4, [0, 1, 2, 3]), [{ key: 2, weight: 1 }, { key: 3, weight: 1 }, { key: 0, weight: 1 }]);
  assert.deepEqual(topPerRow(one, 3, 4, [1, 2]).map((t) => t.key), [2, 1, 1], "over the kept keys only");
});

test("the download in words: sizes, progress, where the weights came from", () => {
  assert.equal(megabytes(45_400_000), "45.4 MB");
  assert.equal(megabytes(231_508), "0.2 MB");
  assert.equal(megabytes(NaN), "? MB");
  const manifest = {
    models: [{
      name: "minilm-l6", title: "all-MiniLM-L6-v2", license: "Apache-2.0", source: "https://example.org",
      vocab: { file: "v.txt", bytes: 231_508, sha256: "x" },
      weights: [{ variant: "f16", file: "w16", bytes: 45_400_000 }, { variant: "q8", file: "w8", bytes: 23_000_000 }],
    }],
  };
  assert.deepEqual(download(manifest, "minilm-l6"), { bytes: 45_631_508, variant: "f16", title: "all-MiniLM-L6-v2", license: "Apache-2.0", source: "https://example.org" });
  assert.equal(download(manifest, "minilm-l6", "q8").bytes, 23_231_508);
  assert.equal(download(manifest, "minilm-l6", "f64"), null);
  assert.equal(download(manifest, "toy"), null);
  assert.equal(download(null, "minilm-l6"), null);
  assert.equal(progressText("MiniLM-L6", { received: 12_300_000, total: 45_400_000, overall: { received: 12_300_000, total: 45_631_508 } }),
    "Downloading MiniLM-L6: 12.3 MB of 45.6 MB (26 %)");
  assert.equal(progressText("MiniLM-L6", { received: 5, total: 0 }), "Downloading MiniLM-L6…");
  assert.match(loadedText("MiniLM-L6", { cached: true, stored: true, bytes: 1 }), /from this browser's storage \(no download\)/);
  assert.match(loadedText("MiniLM-L6", { cached: false, stored: true, bytes: 45_631_508 }), /downloaded \(45.6 MB\) and kept/);
  assert.match(loadedText("MiniLM-L6", { cached: false, stored: false, bytes: 45_631_508 }), /runs from memory.*will download again next time/);
});

test("the maps of every layer and head: asked for the real model only, keyed by what they depend on", () => {
  const toy = normalize({}, CATALOG);
  assert.equal(gridCall(toy, CATALOG, 11, 11), null);
  const s = normalize({ model: "minilm-l6", sentence: "a b", causal: true }, CATALOG);
  const g = gridCall(s, CATALOG, 4, 4);
  assert.deepEqual(g.call, { method: "headGrid", args: ["a b", { mask: { kind: "causal" } }, "minilm-l6"] });
  assert.equal(gridCall({ ...s, layer: 3, head: 7, stage: "scores", focus: 2 }, CATALOG, 4, 4).key, g.key, "the layer, head, stage and followed token do not change the maps");
  for (const patch of [{ sentence: "a c" }, { causal: false }, { scale: 0.5 }, { padding: [1] }, { custom: [[0, 1]] }, { window: 2 }]) {
    assert.notEqual(gridCall(normalize({ ...s, ...patch }, CATALOG), CATALOG, 4, 4).key, g.key, JSON.stringify(patch));
  }
  assert.deepEqual(gridCall(normalize({ ...s, scale: 0.5 }, CATALOG), CATALOG, 4, 4).call.args[1], { mask: { kind: "causal" }, scale: 0.5 });
  assert.equal(gridCall(normalize({ ...s, mode: "cross" }, CATALOG), CATALOG, 4, 4), null, "self-attention only");
  assert.match(countProblem(s, CATALOG, 513, 513), /513 tokens; MiniLM-L6 reads at most 512.*your text is kept/);
  assert.equal(countProblem(s, CATALOG, 512, 512), null);
});
