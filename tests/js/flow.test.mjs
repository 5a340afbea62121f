// The flow's pure parts (thumbnail sizes, marks), the page's default followed token, and where a
// cell comes from (explain.sources).
import test from "node:test";
import assert from "node:assert/strict";
import { thumbSize, marksFor, THUMB_H, THUMB_MAX_W, THUMB_MIN_W } from "../../www/js/views/flow/layout.js";
import { sensibleFocus } from "../../www/js/subwords.js";
import { sources } from "../../www/js/views/explain/index.js";

const info = (name, rowAxis, colAxis) => ({ name, rowAxis, colAxis });

test("a thumbnail is as wide as its matrix's shape makes it, within bounds", () => {
  assert.deepEqual(thumbSize(11, 11), { w: THUMB_H, h: THUMB_H });
  assert.equal(thumbSize(11, 22).w, 2 * THUMB_H);
  assert.equal(thumbSize(11, 1000).w, THUMB_MAX_W);
  assert.equal(thumbSize(1000, 1).w, THUMB_MIN_W);
});

test("marks: the followed row on query-token matrices, keys by weight on K/V and key columns, sources dashed", () => {
  const weights = [0.5, 0.009, 0.25, 0.24];
  const q = marksFor(info("query", "query-tokens", "head"), { focus: 2, weights });
  assert.deepEqual(q, [{ kind: "row", row: 2, alpha: 1, role: "focus" }]);
  const k = marksFor(info("key", "key-tokens", "head"), { focus: 2, weights });
  assert.deepEqual(k.map((m) => [m.row, m.alpha]), [[0, 1], [2, 0.5], [3, 0.48]], "key 1 (under 2 % of the top) is left out");
  const s = marksFor(info("softmax", "query-tokens", "key-tokens"), { focus: 2, weights, sources: [{ stage: "softmax", row: 1, col: 3 }, { stage: "query", row: 1 }] });
  assert.deepEqual(s.filter((m) => m.role === "key").map((m) => m.col), [0, 2, 3]);
  assert.deepEqual(s.filter((m) => m.role === "source"), [{ kind: "cell", row: 1, col: 3, alpha: 1, role: "source" }]);
  assert.deepEqual(marksFor(info("query", "query-tokens", "head"), { focus: null, weights: null }), []);
});

test("the page follows the first pronoun, else the last word", () => {
  const t = (s) => s.split(" ").map((text) => ({ text, start: 0, end: text.length }));
  assert.equal(sensibleFocus(t("The cat sat on the mat because it was tired .")), 7);
  assert.equal(sensibleFocus(t("It rained and they left")), 3, "not the first word");
  assert.equal(sensibleFocus(t("The cat sat on the mat .")), 5, "the last word, not the full stop");
  const special = [{ text: "[CLS]", start: 0, end: 0 }, ...t("play ##ing"), { text: "[SEP]", start: 8, end: 8 }];
  assert.equal(sensibleFocus(special), 1, "no special token, no ## piece");
  assert.equal(sensibleFocus([]), null);
  assert.equal(sensibleFocus(t("! ?")), 1);
});

test("where a cell comes from", () => {
  assert.deepEqual(sources("scores", 4, 1), [{ stage: "query", row: 4 }, { stage: "key", row: 1 }]);
  assert.deepEqual(sources("weighted-sum", 3, 5), [{ stage: "softmax", row: 3 }, { stage: "value", col: 5 }]);
  assert.deepEqual(sources("key", 2, 0, { cross: true }), [], "keys of a context sentence have no input stage here");
  assert.deepEqual(sources("embedding", 0, 0), []);
});
