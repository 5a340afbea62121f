// The guided tour's steps (www/js/views/tour/steps.js): their settings against the catalogue,
// and each reveal computed from given facts (node --test, no browser).
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  STEPS, BASE, SENTENCE, LONG_TEXT, REAL_MODEL, WINDOW, settingsOf, stepAt, sameView, parseGuess, countText,
  rowOf, argmax, ranked, futureWeight, headsOnRow, patternTally, pairsText, masksText, listOf,
} from "../../www/js/views/tour/steps.js";
import { normalize, toQuery, fromQuery, PRESETS } from "../../www/js/state.js";
import { STAGES, TOY, ENCODER } from "./state.catalog.mjs";

// The test catalogue with its encoder under the real model's name, as the engine lists it.
const CATALOG = { stages: STAGES, models: [TOY, { ...ENCODER, name: REAL_MODEL, weights: "file" }] };
const step = (id) => STEPS.find((s) => s.id === id);
const TOKENS = ["The", "cat", "sat", "on", "the", "mat", "because", "it", "was", "tired", "."];

/** A square matrix {rows, cols, data} from rows of numbers. */
const matrix = (rows) => ({ rows: rows.length, cols: rows[0].length, data: Float32Array.from(rows.flat()) });

/** Facts as playground.js gives them, for the toy model on the tour's sentence. */
function facts(over = {}) {
  const n = TOKENS.length;
  const uniform = Array.from({ length: n }, () => Array(n).fill(1 / n));
  return {
    tokens: TOKENS, keys: TOKENS, focus: 7, weights: matrix(uniform),
    headTrace: { entropy: Float32Array.from(Array(n).fill(Math.log2(n))), maxWeight: Float32Array.from(Array(n).fill(1 / n)) },
    mask: { allowedPairs: n * n, totalPairs: n * n, emptyRows: [] }, scale: 1 / Math.sqrt(8),
    size: { layers: 1, heads: 2, kvHeads: 2, dModel: 16, headDim: 8 }, card: { ...TOY, weights: "seeded" }, grid: null,
    ...over,
  };
}

test("the tour's sentence is the page's coreference example", () => {
  assert.equal(SENTENCE, PRESETS.find((p) => p.name === "Coreference").sentence);
  assert.equal(BASE.sentence, SENTENCE);
});

test("each step's settings normalize to themselves and round-trip through the URL with the step", () => {
  for (const [n, s] of STEPS.entries()) {
    const settings = settingsOf(s, TOY);
    const state = normalize({ ...settings, tour: n }, CATALOG);
    for (const [field, value] of Object.entries(settings)) {
      if (!(field in state)) continue; // the toy model's options, on the real model (which has none)
      if (field === "model") assert.equal(state.model, value ?? TOY.name, `${s.id}: model`);
      else assert.deepEqual(state[field], value, `${s.id}: ${field}`);
    }
    assert.equal(state.tour, n);
    assert.ok(CATALOG.models.find((m) => m.name === state.model).stages.includes(state.stage), `${s.id}: stage ${state.stage}`);
    assert.deepEqual(fromQuery(toQuery(state, CATALOG), CATALOG), state, `${s.id}: URL round trip`);
  }
});

test("a step resets what the step before it changed (the model's options to their defaults)", () => {
  const causal = settingsOf(step("causal"), TOY);
  assert.equal(causal.dModel, 16, "the toy model's default, read from its card");
  assert.equal(settingsOf(step("scale"), { options: [{ name: "dModel", default: 24 }] }).dModel, 24);
  assert.equal(causal.scale, null);
  assert.equal(settingsOf(step("cost"), TOY).causal, false);
  // From the real model (no options) the toy model's options are simply absent: normalize gives the defaults.
  const back = normalize({ ...normalize({ model: REAL_MODEL }, CATALOG), ...settingsOf(step("causal"), { options: [] }) }, CATALOG);
  assert.equal(back.model, "toy");
  assert.equal(back.dModel, 16);
  assert.equal(settingsOf(step("heads"), TOY).model, REAL_MODEL);
});

test("stepAt clamps, countText counts from 1", () => {
  assert.equal(stepAt(-3), STEPS[0]);
  assert.equal(stepAt(99), STEPS.at(-1));
  assert.equal(countText(2), `Step 3 of ${STEPS.length}`);
});

test("the five core questions are there, and the key steps predict before they reveal", () => {
  assert.deepEqual(STEPS.map((s) => s.id), ["qkv", "it", "scale", "causal", "heads", "cost"]);
  for (const s of STEPS.filter((x) => x.predict)) {
    for (const fn of ["question", "snapshot", "reveal", "ready", "result"]) assert.equal(typeof s.predict[fn], "function", `${s.id}.${fn}`);
    assert.ok(["token", "choice", "number"].includes(s.predict.kind));
  }
  assert.equal(STEPS.filter((x) => x.predict).length, 5);
});

test("the first step's buttons move the stepper to the stages the model has", () => {
  const f = facts();
  const acts = step("qkv").actions(f, { stage: "key" });
  assert.deepEqual(acts.map((a) => a.patch.stage), ["query", "key", "value"]);
  assert.deepEqual(acts.map((a) => a.pressed), [false, true, false]);
  assert.deepEqual(step("qkv").actions(facts({ card: { ...TOY, stages: ["query", "softmax"] } }), { stage: "query" }).map((a) => a.id), ["show-query"]);
  assert.match(step("qkv").text(f).at(-1), /11 rows, one per token, of d_k = 8 numbers/);
});

test("argmax, ranked and rowOf read a weights row", () => {
  const m = matrix([[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]]);
  assert.deepEqual(rowOf(m, 1).map((x) => Math.round(x * 100)), [50, 25, 25]);
  assert.deepEqual(rowOf(m, 2), []);
  assert.equal(argmax([0.1, 0.7, 0.2]), 1);
  assert.equal(argmax([0.3, 0.3]), 0, "the first on a tie");
  assert.equal(argmax([]), -1);
  assert.deepEqual(ranked([0.1, 0.7, 0.2]), [1, 2, 0]);
});

test('the "it" step reveals the argmax of the followed row', () => {
  const n = TOKENS.length;
  const rows = Array.from({ length: n }, () => Array(n).fill(0));
  rows[7] = [0.05, 0.4, 0.05, 0.02, 0.03, 0.2, 0.05, 0.05, 0.1, 0.03, 0.02];
  rows[0][0] = 1;
  const f = facts({ weights: matrix(rows) });
  const p = step("it").predict;
  const before = p.snapshot(f);
  assert.deepEqual(before, { row: 7 });
  assert.deepEqual(p.reveal(before), { stage: "softmax", focus: 7 });
  const right = p.result(f, 1, before);
  assert.equal(right.correct, true);
  assert.equal(right.answer, 1);
  assert.match(right.lines[0], /^Right: “it” gives its largest weight, 0\.40, to “cat”\./);
  assert.match(right.lines[1], /“mat” \(0\.20\) and “was” \(0\.10\)/);
  assert.match(right.lines.at(-1), /never been trained/, "the toy model's weights are random: said so");
  const wrong = p.result(f, 5, before);
  assert.equal(wrong.correct, false);
  assert.match(wrong.lines[0], /your guess, “mat”, got 0\.20/);
  // The row read is the one followed when the learner pressed Reveal, even if the page follows another since.
  assert.equal(p.result({ ...f, focus: 0 }, 1, before).correct, true);
  // A trained model: no word about random weights.
  assert.ok(!p.result({ ...f, card: { ...f.card, weights: "file" } }, 1, before).lines.some((l) => /never been trained/.test(l)));
  assert.equal(step("it").title(f), "Which word will “it” attend to most?");
  assert.equal(step("it").title(null), "Which word will “this token” attend to most?");
});

test("the scale step: sharper or flatter, from the mean largest weight before and after", () => {
  const p = step("scale").predict;
  const n = TOKENS.length;
  const before = p.snapshot(facts({ scale: 0.177, headTrace: { maxWeight: Float32Array.from(Array(n).fill(0.33)), entropy: Float32Array.from(Array(n).fill(2.8)) } }));
  assert.ok(Math.abs(before.maxWeight - 0.33) < 1e-6);
  assert.deepEqual(p.reveal(before), { scale: 1 });
  const after = facts({ scale: 1, headTrace: { maxWeight: Float32Array.from(Array(n).fill(0.81)), entropy: Float32Array.from(Array(n).fill(0.7)) } });
  assert.equal(p.ready(after), true);
  assert.equal(p.ready(facts({ scale: 0.5 })), false, "not yet the revealed scale");
  const r = p.result(after, "sharper", before);
  assert.equal(r.correct, true);
  assert.equal(r.answer, "sharper");
  assert.match(r.lines[0], /from 0\.33 to 0\.81/);
  assert.match(r.lines[0], /5\.65 times larger|5\.6\d times larger/);
  assert.equal(p.result(after, "flatter", before).correct, false);
  const flat = facts({ scale: 1, headTrace: { maxWeight: Float32Array.from(Array(n).fill(0.2)), entropy: Float32Array.from(Array(n).fill(3)) } });
  assert.equal(p.result(flat, "flatter", before).answer, "flatter");
  assert.match(step("scale").text(facts({ size: { headDim: 32 }, scale: 1 })).join(" "), /d_k = 32 numbers.* 1\/√32 = 0\.177\./, "the step's words are about the default, whatever the scale now");
});

test("the causal step: the weight given to later tokens, and the kept pairs from the mask facts", () => {
  const n = TOKENS.length;
  const open = Array.from({ length: n }, () => Array(n).fill(1 / n));
  const causal = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j <= i ? 1 / (i + 1) : 0)));
  assert.ok(Math.abs(futureWeight(matrix(open), 7) - 3 / n) < 1e-6);
  assert.equal(futureWeight(matrix(causal), 7), 0);
  const p = step("causal").predict;
  const before = p.snapshot(facts({ weights: matrix(open) }));
  assert.deepEqual(p.reveal(before), { causal: true, stage: "masked" });
  const after = facts({ weights: matrix(causal), mask: { allowedPairs: 66, totalPairs: 121, emptyRows: [] } });
  assert.equal(p.ready(after), true);
  assert.equal(p.ready(facts()), false, "the mask is not on yet");
  const r = p.result(after, "none", before);
  assert.equal(r.correct, true);
  assert.match(r.lines[0], /now gives exactly 0 to the tokens after it \(it gave them 0\.27\)/);
  assert.match(r.lines[1], /keeps 66 of 121 query-key pairs \(54\.5 %\)/);
  assert.match(r.lines[1], /“The”, puts all its weight \(1\.00\)/);
  assert.equal(p.result(after, "less", before).correct, false);
  assert.match(step("causal").text(facts({ weights: matrix(open) }), { causal: false })[1], /gives 0\.27 of its weight to the tokens after it \(“was”, “tired” and “\.”\)/);
  assert.equal(step("causal").text(facts({ weights: matrix(causal) }), { causal: true }).length, 1, "no “with no mask” sentence once the mask is on");
});

test("the cost step: pairs from the mask facts, and the guess judged against them", () => {
  const s = step("cost");
  const p = s.predict;
  const f = facts();
  assert.match(p.question(f), /How many of the 121 pairs/);
  assert.match(p.question(facts({ mask: { allowedPairs: 999, totalPairs: 999, emptyRows: [] } })), /of the 999 pairs/);
  const before = p.snapshot(f);
  assert.deepEqual(p.reveal(before), { window: WINDOW });
  assert.match(p.question(facts({ mask: { allowedPairs: 394, totalPairs: 6400, emptyRows: [] } }), before), /of the 121 pairs/, "once answered, the question stays");
  const n = TOKENS.length;
  const band = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (Math.abs(i - j) < WINDOW ? 0.2 : 0)));
  const after = facts({ mask: { allowedPairs: 49, totalPairs: 121, emptyRows: [] }, weights: matrix(band) });
  assert.equal(p.ready(after), true);
  const exact = p.result(after, 49, before);
  assert.equal(exact.correct, true);
  assert.match(exact.lines[0], /^Exactly right: the window keeps 49 of 121 pairs \(40\.5 %\)\.$/);
  assert.match(exact.lines[1], /more than 5 keys/);
  assert.match(p.result(after, 52, before).lines[0], /^Close: .*; you said 52\.$/);
  assert.match(p.result(after, 121, before).lines[0], /^Not quite/);
  assert.equal(pairsText({ allowedPairs: 394, totalPairs: 6400 }, 80), "80 tokens, 6,400 pairs; kept 394 (6.2 %)");
  assert.equal(masksText({ window: 3, block: 0, causal: false }), "a sliding window of 3");
  assert.equal(masksText({ window: 0, block: 4, blockLocal: 1, causal: false }), "blocks of 4 tokens, each seeing its own block and 1 on each side");
  assert.equal(masksText({ window: 0, block: 0, causal: false }), "no mask");
  assert.equal(s.actions(f, { sentence: SENTENCE, window: 0, block: 0 }, { phase: "predict" }).length, 0, "the mask buttons come after the reveal");
  assert.deepEqual(s.actions(f, { sentence: SENTENCE, window: 3, block: 0 }, { phase: "revealed" }).map((a) => a.pressed), [false, true, false]);
  assert.equal(s.actions(f, { sentence: LONG_TEXT, window: 3, block: 0 }, { phase: "revealed" })[0].patch.sentence, SENTENCE, "the longer text toggles back");
});

test("the heads step: each head's top key on the followed row, counted; the engine's patterns tallied", () => {
  // 2 layers x 2 heads over 3 tokens; row 1: three heads weigh token 0 most, one token 2.
  const n = 3;
  const maps = [
    [[1, 0, 0], [0.6, 0.3, 0.1], [0, 0, 1]],
    [[1, 0, 0], [0.5, 0.1, 0.4], [0, 0, 1]],
    [[1, 0, 0], [0.1, 0.1, 0.8], [0, 0, 1]],
    [[1, 0, 0], [0.7, 0.2, 0.1], [0, 0, 1]],
  ];
  const attentions = { tokens: ["[CLS]", "it", "[SEP]"], layers: 2, heads: 2, seqLen: n, data: Float32Array.from(maps.flat(2)) };
  const on = headsOnRow(attentions, 1);
  assert.deepEqual(on.counts, [3, 0, 1]);
  assert.equal(on.total, 4);
  assert.deepEqual(on.best[2], { layer: 1, head: 0, weight: Math.fround(0.8) });
  const patterns = [{ layer: 0, head: 0, title: "[CLS]" }, { layer: 0, head: 1, title: "broad" }, { layer: 1, head: 0, title: "[CLS]" }, { layer: 1, head: 1, title: "previous" }];
  assert.deepEqual(patternTally(patterns), [["[CLS]", 2], ["broad", 1], ["previous", 1]]);
  const s = step("heads");
  const toy = facts();
  assert.equal(s.waiting(toy), true);
  assert.equal(s.predict.canReveal(toy), false, "no reveal while the page still shows the toy model");
  assert.match(s.text(toy)[0], /downloads? once/);
  assert.deepEqual(s.actions(toy, {}, null).map((a) => a.patch), [{ model: REAL_MODEL }]);
  const f = facts({
    tokens: attentions.tokens, keys: attentions.tokens, focus: 1, card: { name: REAL_MODEL, title: "MiniLM-L6 (real weights)", weights: "file", stages: [] },
    size: { layers: 2, heads: 2, kvHeads: 2, dModel: 8, headDim: 4 }, grid: { attentions, patterns },
  });
  assert.equal(s.waiting(f), false);
  assert.equal(s.predict.canReveal(f), true);
  const r = s.predict.result(f, 2, s.predict.snapshot(f));
  assert.equal(r.correct, false);
  assert.equal(r.answer, 0);
  assert.match(r.lines[0], /3 heads of 4 give “it” its largest weight on “\[CLS\]”; on your guess, “\[SEP\]”, 1 head\./);
  assert.ok(r.lines.some((l) => /parks its weight on \[CLS\]/.test(l)));
  assert.ok(r.lines.some((l) => l.includes("[CLS] 2, broad 1 and previous 1")));
  assert.match(r.lines.at(-1), /layer 2, head 1 \(0\.80\)/);
  const open = s.actions(f, { layer: 0, head: 0 }, { result: r });
  assert.deepEqual(open.map((a) => a.patch), [{ layer: 1, head: 0, stage: "softmax", focus: 1 }]);
  assert.match(s.text(f)[0], /2 layers of 2 heads: 4 attention maps/);
});

test("guesses are parsed by the prediction's kind", () => {
  const f = facts();
  assert.equal(parseGuess(step("it").predict, "3", f), 3);
  assert.equal(parseGuess(step("it").predict, "11", f), null, "past the keys");
  assert.equal(parseGuess(step("scale").predict, "sharper", f), "sharper");
  assert.equal(parseGuess(step("scale").predict, "bolder", f), null);
  assert.equal(parseGuess(step("cost").predict, "49", f), 49);
  assert.equal(parseGuess(step("cost").predict, "", f), null);
  assert.equal(parseGuess(step("cost").predict, "4.5", f), null);
  assert.equal(parseGuess(undefined, "1", f), null);
});

test("sameView ignores the tour's step and the backend choice", () => {
  const a = normalize({}, CATALOG);
  assert.equal(sameView(a, { ...a, tour: 3, backend: "webgpu" }), true);
  assert.equal(sameView(a, { ...a, scale: 1 }), false);
  assert.equal(sameView(null, a), false);
});

test("listOf says a list in words", () => {
  assert.equal(listOf([]), "");
  assert.equal(listOf(["a"]), "a");
  assert.equal(listOf(["a", "b", "c"]), "a, b and c");
});
