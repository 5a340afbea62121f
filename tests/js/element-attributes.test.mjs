// The custom element's attributes (www/js/element/attributes.js): the state they describe, read
// through the URL's parser, the sentences for values not taken, and the `controls` parts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readAttributes, readControls, controlsCss, fieldName, attributeName, PARTS } from "../../www/js/element/attributes.js";
import { fromQuery, toQuery, keysOf, normalize } from "../../www/js/state.js";
import { CATALOG, TOY } from "./state.catalog.mjs";

const read = (attrs) => readAttributes(Object.entries(attrs), CATALOG);

test("attributes and the URL describe the same state: every field, by its name or its URL key", () => {
  const state = normalize({
    sentence: "Every word looks at every other word.", stage: "masked", head: 1, focus: 2, scale: 0.25, causal: true, window: 3,
    windowCausal: true, globals: [0, 2], globalWindow: 1, padding: [4], block: 2, blockLocal: 2, blockRandom: 1, blockSeed: 7,
    custom: [[1, 0]], edits: [{ matrix: "wq", row: 1, col: 2, value: 0.5 }], heads: 4, dModel: 32, kvHeads: 2, seed: 9, positional: false,
    hideSpecial: true, weight: "wk", mode: "cross", context: "Another sentence.",
  }, CATALOG);
  const query = new URLSearchParams(toQuery(state, CATALOG));
  const keys = keysOf(CATALOG, state.model);
  const fields = Object.fromEntries(Object.entries(keys).map(([f, k]) => [k, f]));
  // As attributes named like the fields (kebab-case), values as in the URL.
  const byName = Object.fromEntries([...query].map(([k, v]) => [attributeName(fields[k]), v]));
  assert.ok("window-causal" in byName && "d-model" in byName && "block-seed" in byName, Object.keys(byName).join(" "));
  const r = read(byName);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.state, fromQuery(query.toString(), CATALOG));
  assert.deepEqual(r.state, state);
  // As attributes named like the URL's keys (the iframe's fragment): attribute names are lower case.
  const byKey = Object.fromEntries([...query].map(([k, v]) => [k.toLowerCase(), v]));
  assert.ok("wc" in byKey && "dmodel" in byKey, Object.keys(byKey).join(" "));
  assert.deepEqual(read(byKey).state, state);
  assert.equal(fieldName("window-causal", CATALOG, "toy"), "windowCausal");
  assert.equal(fieldName("wc", CATALOG, "toy"), "windowCausal");
  assert.equal(fieldName("kv-heads", CATALOG, "toy"), "kvHeads");
  assert.equal(fieldName("class", CATALOG, "toy"), undefined);
});

test("boolean attributes: present, true, 1 or on is true; false, 0 or off is false", () => {
  for (const v of ["", "true", "1", "on", "TRUE"]) assert.equal(read({ causal: v }).state.causal, true, JSON.stringify(v));
  for (const v of ["false", "0", "off"]) assert.equal(read({ causal: v }).state.causal, false, v);
  assert.equal(read({ positional: "false" }).state.positional, false, "a model's bool option");
  assert.equal(read({ "hide-special": "" }).state.hideSpecial, true);
});

test("other attributes are left alone; a model's name may be a short one", () => {
  const r = read({ class: "figure", id: "x", controls: "none", src: "https://cdn.example/", theme: "dark", "aria-describedby": "cap", "data-x": "1" });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.state, normalize({}, CATALOG));
  const short = read({ model: "Encoder", layer: "5" });
  assert.equal(short.state.model, "encoder");
  assert.equal(short.state.layer, 5);
  assert.deepEqual(short.problems, []);
});

test("a value not taken: the default shows, and a sentence says what was wrong and what shows instead", () => {
  const r = read({ stage: "nonsense", layer: "3", causal: "maybe", globals: "1,x", scale: "-2", heads: "99", model: "nope", sentence: "Fine." });
  const by = Object.fromEntries(r.problems.map((p) => [p.attribute, p.message]));
  assert.deepEqual(Object.keys(by).sort(), ["causal", "globals", "heads", "layer", "model", "scale", "stage"]);
  assert.equal(r.state.stage, "softmax");
  assert.equal(r.state.sentence, "Fine.", "the values that are fine still apply");
  assert.match(by.stage, /^The attribute stage="nonsense" is not a stage of Toy model \(random weights\) \(its stages: embedding, .*, output\); the figure shows stage="softmax" instead\.$/);
  assert.equal(by.layer, 'The attribute layer="3" is not a layer of Toy model (random weights) (it has one layer, 0); the figure shows layer="0" instead.');
  assert.equal(by.causal, 'The attribute causal="maybe" is not 1, 0, true or false; the figure shows causal="0" instead.');
  assert.equal(by.globals, 'The attribute globals="1,x" is not a list of whole numbers; the figure shows globals="1" instead.');
  assert.equal(by.scale, 'The attribute scale="-2" is not a number above 0 and at most 1000; the figure shows scale="" instead.');
  const spec = TOY.options.find((o) => o.name === "heads");
  assert.equal(by.heads, `The attribute heads="99" is not a whole number from ${spec.min} to ${spec.max}; the figure shows heads="${spec.default}" instead.`);
  assert.equal(by.model, 'The attribute model="nope" is not a model of this engine (its models: toy, encoder); the figure shows model="toy" instead.');
  // The head is checked against the model the attributes name.
  assert.match(read({ model: "encoder", head: "12" }).problems[0].message, /^The attribute head="12" is not a head of A pretrained encoder here \(it has heads 0 to 11\)/);
  // An option checked against another: kv-heads must divide heads.
  assert.match(read({ heads: "4", "kv-heads": "3" }).problems[0].message, /^The attribute kv-heads="3" is not a whole number from 1 to 8 that is a divisor of heads; the figure shows kv-heads="\d" instead\.$/);
});

test("controls: absent, empty or all is every part; none is none; unknown names are reported", () => {
  assert.deepEqual([...readControls(null).parts], PARTS);
  assert.deepEqual([...readControls("").parts], PARTS);
  assert.deepEqual([...readControls("all").parts], PARTS);
  assert.deepEqual([...readControls("none").parts], []);
  const some = readControls("Stepper, masks flow bogus");
  assert.deepEqual([...some.parts].sort(), ["flow", "masks", "stepper"]);
  assert.deepEqual(some.unknown, ["bogus"]);
  assert.equal(PARTS.length, 15);
});

test("controls as CSS: the parts not shown hidden, and the boxes they leave empty", () => {
  assert.equal(controlsCss(new Set(PARTS)), "", "everything shown: nothing hidden");
  const still = controlsCss(new Set());
  for (const sel of [".ap-input", ".ap-stepper", "#ap-flow", "#ap-explain", "#ap-follow", "#ap-group-masks", "#ap-head-grid", ".ap-footer", ".ap-side", ".ap-main", "#ap-controls"]) {
    assert.ok(still.includes(sel), `none hides ${sel}`);
  }
  assert.ok(!still.includes("#ap-matrix"), "the stage itself always shows");
  const masks = controlsCss(new Set(["stepper", "masks"]));
  assert.ok(!masks.includes("#ap-group-masks") && !masks.includes(".ap-stepper"), masks);
  assert.ok(masks.includes("#ap-group-scale") && masks.includes("#ap-models, #ap-group-model"), masks);
  assert.ok(!masks.includes(".ap-side {"), "the side column stays for the masks");
  assert.ok(masks.includes(".ap-main {"), "nothing of the main column is shown");
});
