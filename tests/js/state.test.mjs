// State normalisation against the engine's catalogue, and the URL form (node --test, no browser).
import { test } from "node:test";
import assert from "node:assert/strict";
import { normalize, defaults, toQuery, fromQuery, sizes, modelOf, validValues, weightMatrices, editableOn, PAGE_DEFAULTS } from "../../www/js/state.js";
import { CATALOG, TOY, ENCODER } from "./state.catalog.mjs";

const norm = (partial) => normalize(partial, CATALOG);

test("defaults: the catalogue's first model with its options' defaults", () => {
  const s = norm({});
  assert.equal(s.model, "toy");
  assert.equal(s.layer, 0);
  assert.equal(s.head, 0);
  assert.equal(s.stage, "softmax");
  assert.deepEqual([s.dModel, s.heads, s.kvHeads, s.seed, s.positional], [16, 2, 2, 1, true]);
  assert.equal(s.weight, "wq");
  assert.deepEqual(s, defaults(CATALOG));
  assert.deepEqual(normalize(undefined, CATALOG), s);
  assert.deepEqual(normalize(null, CATALOG), s);
  // Every page field is in the state, and nothing else besides the model's options.
  const optionNames = TOY.options.map((o) => o.name);
  assert.deepEqual(Object.keys(s).sort(), [...Object.keys(PAGE_DEFAULTS), ...optionNames].sort());
});

test("a state is a fixed point of normalize", () => {
  for (const partial of [{}, { model: "encoder", layer: 3, head: 11 }, { heads: 4, dModel: 32, kvHeads: 2, edits: [{ matrix: "wq", row: 1, col: 2, value: 0.5 }] }]) {
    const s = norm(partial);
    assert.deepEqual(norm(s), s);
    assert.deepEqual(norm(JSON.parse(JSON.stringify(s))), s);
  }
});

test("every field's bad values fall back to its default", () => {
  const d = norm({});
  const bad = {
    model: ["nope", "", 3, null, "__proto__", "constructor"],
    layer: [-1, 1, 0.5, "x", "", NaN, Infinity, "1e3", [1], true],
    mode: ["both", "", 1, null],
    stage: ["<script>", "residual", "", 7, null, "toString"],
    head: [-1, 2, 1.5, "x", "", NaN, 1e9],
    focus: [-1, 1.5, "x", NaN, 1e9],
    dModel: [3, 65, 0, -16, 16.5, "x", "", NaN, null],
    heads: [0, 9, -1, 2.5, "x", "", NaN, true],
    kvHeads: [0, 9, -2, 1.5, "x", NaN],
    seed: [-1, 2 ** 31 + 1, 0.5, "x", NaN, Infinity],
    positional: ["yes", 2, "x", null, "true"],
    scale: [0, -1, 1001, "NaN", "x", NaN, Infinity, true, [2]],
    causal: ["yes", 2, "true"],
    window: [-1, 1.5, "x", 1e9],
    windowCausal: ["x", 3],
    globalWindow: [-1, "x", 0.5],
    block: [-1, 4097, "x"],
    blockLocal: [-1, 65, "x"],
    blockRandom: [-1, 65, "x"],
    blockSeed: [-1, 2 ** 31 + 1, "x"],
    weight: ["x", "wz", 1, null, "x-context"],
  };
  for (const [field, values] of Object.entries(bad)) {
    for (const v of values) assert.deepEqual(norm({ [field]: v })[field], d[field], `${field} = ${JSON.stringify(v)}`);
  }
  // Lists: bad entries are dropped, good ones kept.
  assert.deepEqual(norm({ globals: [1, -1, 2.5, "x", 3] }).globals, [1, 3]);
  assert.deepEqual(norm({ padding: "1,x,,2" }).padding, [1, 2]);
  assert.deepEqual(norm({ padding: 5 }).padding, []);
  assert.deepEqual(norm({ custom: [[1, 2], [1], [-1, 0], [0.5, 1], "a.b", null, [3, 4]] }).custom, [[1, 2], [3, 4]]);
  assert.deepEqual(norm({ custom: "1.2" }).custom, []);
  const edits = norm({
    edits: [
      { matrix: "x", row: 1, col: 0, value: 9 },
      { matrix: "nope", row: 0, col: 0, value: 1 },
      { matrix: "wq", row: -1, col: 0, value: 1 },
      { matrix: "wq", row: 0, col: 0.5, value: 1 },
      { matrix: "wq", row: 0, col: 0, value: NaN },
      { matrix: "wq", row: 0, col: 0, value: 1, layer: 1 }, // the toy model has one layer
      null,
      "x:1:2:3",
    ],
  }).edits;
  assert.deepEqual(edits, [{ matrix: "x", layer: 0, row: 1, col: 0, value: 9 }]);
  assert.equal(norm({ sentence: "a".repeat(200_000) }).sentence.length, 100_000);
  assert.equal(norm({ sentence: null }).sentence, "");
});

test("a fixed-size 12-head, 6-layer model is not cut to the toy model's limits", () => {
  const s = norm({ model: "encoder", head: 11, layer: 5, stage: "feed-forward" });
  assert.equal(s.model, "encoder");
  assert.equal(s.head, 11);
  assert.equal(s.layer, 5);
  assert.equal(s.stage, "feed-forward");
  assert.deepEqual(sizes(ENCODER, s), { layers: 6, heads: 12, kvHeads: 12, dModel: 768, headDim: 64 });
  // It has no options: the toy model's fields are not part of its state.
  for (const name of ["dModel", "heads", "kvHeads", "seed", "positional"]) assert.equal(name in s, false, name);
  assert.equal(norm({ model: "encoder", heads: 2, head: 11 }).head, 11, "an option it lacks does not resize it");
  assert.equal(norm({ model: "encoder", head: 12 }).head, 0);
  assert.equal(norm({ model: "encoder", layer: 6 }).layer, 0);
  assert.equal(norm({ model: "encoder", stage: "positional" }).stage, "softmax", "a stage the model lacks");
  const edit = (matrix, layer) => ({ matrix, layer, row: 0, col: 767, value: 1 });
  assert.deepEqual(norm({ model: "encoder", edits: [edit("wo", 5), edit("wo", 6), edit("x", 0), edit("x", 1), edit("wq", 0)] }).edits,
    [edit("wo", 5), edit("x", 0)], "weights in any of its layers; X (the input) in layer 0; only its editable matrices");
  assert.equal(norm({ model: "encoder" }).weight, "wo");
});

test("the model's options are enforced by their specs", () => {
  assert.equal(norm({ heads: 8, head: 7 }).head, 7, "head < heads (the option)");
  assert.equal(norm({ heads: 4, head: 4 }).head, 0);
  assert.equal(norm({ heads: 4, dModel: 32 }).dModel, 32);
  assert.equal(norm({ heads: 3 }).dModel, 15, "dModel becomes the multiple of heads nearest its default");
  assert.equal(norm({ heads: 3, dModel: 16 }).dModel, 15);
  assert.equal(norm({ heads: 8 }).dModel, 16, "the default still fits");
  assert.equal(norm({ heads: 7, dModel: 4 }).dModel, 14);
  assert.equal(norm({ heads: 4, kvHeads: 2 }).kvHeads, 2);
  assert.equal(norm({ heads: 4, kvHeads: 3 }).kvHeads, 2, "kvHeads must divide heads");
  assert.equal(norm({ heads: 3, kvHeads: 2 }).kvHeads, 3, "the nearest divisor, the larger on a tie");
  assert.equal(norm({ heads: 1 }).kvHeads, 1);
  assert.equal(norm({ seed: 2 ** 31 }).seed, 2 ** 31);
  assert.equal(norm({ seed: "42" }).seed, 42, "URL strings are read as numbers");
  assert.equal(norm({ positional: "0" }).positional, false);
  assert.equal(norm({ positional: false }).positional, false);
  // Every state the options allow is kept as it is.
  for (let heads = 1; heads <= 8; heads++) {
    for (const dModel of validValues(TOY.options[0], { heads })) {
      for (const kvHeads of validValues(TOY.options[2], { heads })) {
        const s = norm({ heads, dModel, kvHeads });
        assert.deepEqual([s.heads, s.dModel, s.kvHeads], [heads, dModel, kvHeads]);
        assert.equal(sizes(TOY, s).headDim, dModel / heads);
      }
    }
  }
  assert.deepEqual(validValues(TOY.options[2], { heads: 6 }), [1, 2, 3, 6]);
  assert.equal(validValues(TOY.options[0], { heads: 8 }).join(), "8,16,24,32,40,48,56,64");
});

test("an option spec without a relation may carry null for it (as an engine may serialise None)", () => {
  const card = { ...TOY, options: TOY.options.map((o) => ({ multipleOf: null, divides: null, ...o })) };
  const catalog = { ...CATALOG, models: [card] };
  const s = normalize({ heads: 3, dModel: 16, kvHeads: 2, seed: 5 }, catalog);
  assert.deepEqual([s.heads, s.dModel, s.kvHeads, s.seed], [3, 15, 3, 5]);
});

test("an unknown model falls back to the first, with its defaults", () => {
  const s = norm({ model: "gpt-9", heads: 4, head: 3 });
  assert.equal(s.model, "toy");
  assert.equal(s.heads, 4);
  assert.equal(s.head, 3);
  assert.equal(modelOf(CATALOG, "gpt-9"), TOY);
  assert.equal(modelOf(CATALOG, "encoder"), ENCODER);
});

test("switching model keeps only what the new model has", () => {
  const toy = norm({ heads: 8, head: 7, stage: "positional", edits: [{ matrix: "wq", row: 0, col: 0, value: 1 }] });
  const enc = norm({ ...toy, model: "encoder" });
  assert.equal(enc.head, 7);
  assert.equal(enc.stage, "softmax");
  assert.deepEqual(enc.edits, []);
  assert.equal("heads" in enc, false);
  const back = norm({ ...enc, model: "toy" });
  assert.equal(back.heads, 2);
  assert.equal(back.head, 0, "head 7 does not fit the toy model's default 2 heads");
});

test("the catalogue's lookups: weight matrices and the stage that shows an editable matrix", () => {
  assert.deepEqual(weightMatrices(CATALOG, "toy").map((e) => e.matrix), ["wq", "wk", "wv", "wo"]);
  assert.deepEqual(weightMatrices(CATALOG, "encoder").map((e) => e.matrix), ["wo"]);
  assert.equal(editableOn(CATALOG, "toy", "input").matrix, "x");
  for (const stage of ["embedding", "positional", "query", "softmax", "concat", "output", "nope"]) assert.equal(editableOn(CATALOG, "toy", stage), null, stage);
  assert.equal(editableOn(CATALOG, "encoder", "input").matrix, "x");
  assert.equal(editableOn(CATALOG, "encoder", "residual"), null);
});

// A small deterministic generator for the round trips.
function rng(seed) {
  return () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

function randomState(r) {
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const int = (lo, hi) => lo + Math.floor(r() * (hi - lo + 1));
  const card = pick(CATALOG.models);
  const partial = { model: card.name };
  for (const o of card.options) partial[o.name] = o.kind === "bool" ? r() < 0.5 : int(o.min, o.max);
  const size = sizes(card, norm(partial));
  const text = () => Array.from({ length: int(0, 12) }, () => pick(["the", "cat", "猫", "😴", "&", "=", "#", "%20", "+", " ", ",", ".", "a:b", "\n"])).join(pick(["", " "]));
  return norm({
    ...partial,
    layer: int(0, size.layers - 1), head: int(0, size.heads - 1), stage: pick(card.stages), mode: pick(["self", "cross"]),
    sentence: text(), context: text(), focus: r() < 0.5 ? null : int(0, 40),
    scale: r() < 0.5 ? null : Number((r() * 4 + 0.01).toPrecision(4)), causal: r() < 0.5, window: int(0, 9), windowCausal: r() < 0.5,
    globals: [int(0, 5), int(6, 9)], globalWindow: int(0, 3), padding: r() < 0.5 ? [] : [int(0, 9)], block: int(0, 4),
    blockLocal: int(0, 3), blockRandom: int(0, 3), blockSeed: int(0, 99), custom: r() < 0.5 ? [] : [[int(0, 9), int(0, 9)]],
    edits: card.editable.length && r() < 0.7
      ? [{ matrix: pick(card.editable).matrix, layer: int(0, size.layers - 1), row: int(0, 9), col: int(0, 9), value: pick([9, -0.5, 1e-7, 123.456, -0]) }]
      : [],
    weight: pick([null, ...card.editable.map((e) => e.matrix)]),
  });
}

test("the URL round-trips random valid states", () => {
  const r = rng(7);
  for (let i = 0; i < 500; i++) {
    const s = randomState(r);
    const q = toQuery(s, CATALOG);
    assert.deepEqual(fromQuery(q, CATALOG), s, q);
    assert.deepEqual(fromQuery(`#${q}`, CATALOG), s, "with the hash sign");
  }
  assert.equal(toQuery(norm({}), CATALOG), "", "the defaults make an empty query");
  assert.match(toQuery(norm({ model: "encoder" }), CATALOG), /^m=encoder$/);
  assert.equal(toQuery(norm({ edits: [{ matrix: "x", row: 1, col: 0, value: 9 }] }), CATALOG), "e=x%3A1%3A0%3A9");
  assert.equal(toQuery(norm({ heads: 4 }), CATALOG), "heads=4", "a model's options use their own names");
  assert.deepEqual(fromQuery("stage=scores&h=1&seed=7", CATALOG), norm({ stage: "scores", head: 1, seed: 7 }));
});

test("hostile URLs never throw and give a valid state", () => {
  const r = rng(99);
  const junk = ["", "#", "?", "&&&", "=", "%", "%zz", "m=__proto__&__proto__=1&constructor=x", "e=x:1:2:<b>", "e=:::", "e=x:1:2:3:99", "cm=a.b,1.2.3,.",
    "stage=<script>&h=-1&heads=x&scale=NaN", "s=%F0%9F%98%B4&f=-0", "dModel=1e400&heads=1e-9", "m=encoder&h=11&l=5&heads=2", `s=${"x".repeat(300_000)}`,
    "glob=" + "1,".repeat(10_000), "e=" + "x:0:0:1,".repeat(20_000)];
  for (let i = 0; i < 300; i++) {
    const keys = ["m", "l", "s", "c", "stage", "h", "f", "scale", "win", "glob", "pad", "cm", "e", "w", "dModel", "heads", "kvHeads", "seed", "positional", "mode"];
    const chars = "0123456789-.,:=&%+#?<>\"' xe";
    const val = () => Array.from({ length: Math.floor(r() * 12) }, () => chars[Math.floor(r() * chars.length)]).join("");
    junk.push(Array.from({ length: 1 + Math.floor(r() * 6) }, () => `${keys[Math.floor(r() * keys.length)]}=${val()}`).join("&"));
  }
  for (const q of [...junk, null, undefined, 42]) {
    const s = fromQuery(q, CATALOG);
    assert.deepEqual(norm(s), s, String(q).slice(0, 80));
    assert.ok(s.edits.length <= 10_000);
    assert.equal(Object.getPrototypeOf(s), Object.prototype);
  }
  const m = fromQuery("m=encoder&h=11&l=5&heads=2", CATALOG);
  assert.deepEqual([m.model, m.head, m.layer], ["encoder", 11, 5]);
  assert.deepEqual(fromQuery("e=x:1:2:3:99", CATALOG).edits, [], "an edit of a layer the model lacks");
});

test("links made before the options took their own names still open the same view", () => {
  const s = fromQuery("s=a+b+c&nh=4&d=32&kv=2&pe=0&h=3", CATALOG);
  assert.deepEqual([s.heads, s.dModel, s.kvHeads, s.positional, s.head], [4, 32, 2, false, 3]);
  assert.equal(fromQuery("nh=4&heads=2", CATALOG).heads, 2, "the new key wins");
  assert.ok(!toQuery(s, CATALOG).includes("nh="), "old keys are never written");
});
