// Unit tests for www/js/components/heatmap/text.js (node --test, no browser).
import test from "node:test";
import assert from "node:assert/strict";
import { LABEL_CHARS, MINUS_INFINITY, describeCell, displayLabel, fitLabel, formatValue } from "../../www/js/components/heatmap/text.js";

test("formatValue: digits, the infinities, NaN, never -0.00", () => {
  assert.equal(MINUS_INFINITY, "\u2212\u221e");
  assert.equal(formatValue(0.12345), "0.12");
  assert.equal(formatValue(0.12345, 4), "0.1235");
  assert.equal(formatValue(-1.5, 0), "-2");
  assert.equal(formatValue(-0.001), "0.00");
  assert.equal(formatValue(-0), "0.00");
  assert.equal(formatValue(-0.4, 0), "0");
  assert.equal(formatValue(-0.01), "-0.01");
  assert.equal(formatValue(-Infinity), MINUS_INFINITY);
  assert.equal(formatValue(Infinity), "\u221e");
  assert.equal(formatValue(NaN), "NaN");
});

test("displayLabel: index when missing, marks for empty and blank", () => {
  assert.equal(displayLabel(undefined, 3), "3");
  assert.equal(displayLabel(null, 0), "0");
  assert.equal(displayLabel("", 1), "\u2205");
  assert.equal(displayLabel("  \t", 1), "\u2423");
  assert.equal(displayLabel("cat", 1), "cat");
  assert.equal(displayLabel(7, 1), "7");
});

test("fitLabel cuts with an ellipsis to the width", () => {
  const measure = (s) => s.length * 10; // 10 px a character
  assert.equal(fitLabel("cat", 30, measure), "cat");
  assert.equal(fitLabel("kitten", 40, measure), "kit\u2026");
  assert.equal(fitLabel("kitten", 15, measure), "", "not even one character and the ellipsis");
  assert.equal(fitLabel("k".repeat(60), 10_000, measure), "k".repeat(LABEL_CHARS) + "\u2026", "long labels are cut first");
  assert.equal(fitLabel("k".repeat(60), 10_000, measure, Infinity), "k".repeat(60), "unless told otherwise (titles)");
  assert.equal(fitLabel("k".repeat(60), 305, measure, Infinity), "k".repeat(29) + "\u2026");
});

test("describeCell says where the cursor is and what it holds", () => {
  assert.equal(describeCell({ row: 0, col: 2 }, "The", "cat", 0.256, 2), "Row 1 The, column 3 cat: 0.26");
  assert.equal(describeCell({ row: 1, col: 0 }, "a", "b", -Infinity, 2), "Row 2 a, column 1 b: masked, minus infinity");
});
