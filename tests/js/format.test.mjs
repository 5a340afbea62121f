// Number formatting for reading (fmt in www/js/dom.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fmt } from "../../www/js/dom.js";

test("fixed decimals with a real minus sign", () => {
  assert.equal(fmt(0), "0.000");
  assert.equal(fmt(1), "1.000");
  assert.equal(fmt(0.12345), "0.123");
  assert.equal(fmt(-0.5), "−0.500");
  assert.equal(fmt(-0.5, 2), "−0.50");
  assert.equal(fmt(2.5, 0), "3");
  assert.equal(fmt(9999.9994), "9999.999");
  assert.equal(fmt(0.001), "0.001");
});

test("infinities as symbols (a masked score is −∞)", () => {
  assert.equal(fmt(-Infinity), "−∞");
  assert.equal(fmt(Infinity), "∞");
});

test("very large and very small values in exponent form, with a real minus sign", () => {
  assert.equal(fmt(12345), "1.23e+4");
  assert.equal(fmt(-12345), "−1.23e+4");
  assert.equal(fmt(0.0001), "1.00e−4");
  assert.equal(fmt(-0.0001), "−1.00e−4");
  assert.equal(fmt(0.004, 2), "4.00e−3");
  assert.equal(fmt(0.01, 2), "0.01");
});

test("never an ASCII hyphen-minus, in the number or its exponent", () => {
  for (const x of [-1e-9, 1e-9, -3.14159, -1e9, -Number.MIN_VALUE, Number.MIN_VALUE, -Number.MAX_VALUE]) assert.ok(!fmt(x).includes("-"), `${x} -> ${fmt(x)}`);
  assert.equal(fmt(NaN), "NaN");
});
