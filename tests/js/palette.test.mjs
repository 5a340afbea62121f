// Unit tests for www/js/components/heatmap/palette.js (node --test, no browser).
import test from "node:test";
import assert from "node:assert/strict";
import {
  CODE_MASKED, CODE_NAN, LUT_SIZE, colour, contrastText, encode, kthSmallest, legendStops, lut, makeScale, paletteName, pixels,
} from "../../www/js/components/heatmap/palette.js";

const TOP = LUT_SIZE - 1;
const MID = TOP / 2;

test("the palettes are kept exactly: viridis and blue-white-orange stops", () => {
  const hex = (rgb) => "#" + rgb.map((c) => c.toString(16).padStart(2, "0")).join("");
  assert.deepEqual(lut("sequential").rgb.map(hex), [
    "#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
    "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725",
  ]);
  assert.deepEqual(lut("diverging").rgb.map(hex), [
    "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fee0b6", "#fdb863", "#e08214", "#b35806",
  ]);
  assert.equal(LUT_SIZE % 2, 1, "odd, so that 0 is one exact diverging entry");
  assert.equal(lut("sequential").fill.length, LUT_SIZE);
  // entries between the stops, as the page has always drawn them
  assert.equal(lut("sequential").fill[1], "rgb(68,2,85)");
  assert.equal(lut("sequential").fill[100], "rgb(43,118,142)");
  assert.equal(lut("sequential").fill[200], "rgb(115,207,85)");
  assert.equal(lut("diverging").fill[60], "rgb(137,191,219)");
  assert.equal(lut("diverging").fill[MID], "rgb(247,247,247)");
  assert.equal(lut("diverging").fill[200], "rgb(244,168,75)");
});

test("known values map to known colours", () => {
  assert.equal(colour("sequential", 0), "rgb(68, 1, 84)");
  assert.equal(colour("sequential", 0.5), "rgb(33, 145, 140)");
  assert.equal(colour("sequential", 1), "rgb(253, 231, 37)");
  assert.equal(colour("diverging", -1), "rgb(33, 102, 172)");
  assert.equal(colour("diverging", 0), "rgb(247, 247, 247)");
  assert.equal(colour("diverging", 1), "rgb(179, 88, 6)");
  assert.equal(colour("anything else", 1), colour("sequential", 1), "unknown names are sequential");
  assert.equal(paletteName("diverging"), "diverging");
  assert.equal(paletteName(undefined), "sequential");
  const s = makeScale("sequential", new Float32Array([0, 0.5, 1]));
  assert.equal(s.fill(0), "rgb(68,1,84)", "0 is exactly the lowest colour");
  assert.equal(s.fill(1), "rgb(253,231,37)");
  assert.equal(s.fill(0.5), lut("sequential").fill[Math.round(0.5 * TOP)]);
});

test("the sequential domain is [0, 1], widened only by data outside it", () => {
  assert.deepEqual(pick(makeScale("sequential", [0.2, 0.7])), { min: 0, max: 1 });
  assert.deepEqual(pick(makeScale("sequential", [-2, 0.5])), { min: -2, max: 1 });
  assert.deepEqual(pick(makeScale("sequential", [0.1, 3])), { min: 0, max: 3 });
  const s = makeScale("sequential", [-2, 3]);
  assert.equal(s.code(-2), 0);
  assert.equal(s.code(3), TOP);
  assert.equal(s.code(0.5), Math.round((0.5 + 2) * (TOP / 5)));
});

test("diverging is symmetric around 0 and scaled to the largest finite |value|", () => {
  const data = new Float32Array([-0.5, 2, 1, -Infinity, NaN, Infinity]);
  const s = makeScale("diverging", data);
  assert.deepEqual(pick(s), { min: -2, max: 2 }, "infinities and NaN do not widen the scale");
  assert.equal(s.code(0), MID);
  assert.equal(s.fill(0), "rgb(247,247,247)");
  assert.equal(s.code(2), TOP);
  assert.equal(s.code(-2), 0);
  for (const v of [0.001, 0.25, 0.5, 1, 1.3, 1.999, 2]) {
    assert.equal(s.code(v) + s.code(-v), TOP, `code(${v}) + code(-${v})`);
    if (s.code(v) !== MID) assert.notEqual(s.fill(v), s.fill(-v));
  }
  // all zeros: everything is the middle
  const z = makeScale("diverging", [0, 0, 0]);
  assert.deepEqual(pick(z), { min: -0, max: 0 });
  assert.equal(z.code(0), MID);
});

test("NaN and the infinities are handled", () => {
  for (const palette of ["sequential", "diverging"]) {
    const s = makeScale(palette, [0, 0.5, 1]);
    assert.equal(s.code(-Infinity), CODE_MASKED);
    assert.equal(s.code(NaN), CODE_NAN);
    assert.equal(s.code(Infinity), TOP);
    assert.equal(s.fill(-Infinity), null, "masked cells have no palette colour");
    assert.equal(s.fill(NaN), null);
    assert.equal(s.text(NaN), null);
    assert.equal(s.fill(Infinity), lut(palette).fill[TOP]);
    const lo = palette === "diverging" ? -1 : 0;
    assert.equal(colour(palette, NaN), colour(palette, lo), "NaN reads as the low end");
    assert.equal(colour(palette, Infinity), colour(palette, 1));
    assert.equal(colour(palette, -Infinity), colour(palette, lo));
    assert.equal(colour(palette, 7), colour(palette, 1), "clamped");
  }
  // a matrix of nothing but masked and NaN cells still has a usable scale
  const s = makeScale("sequential", [-Infinity, NaN]);
  assert.deepEqual(pick(s), { min: 0, max: 1 });
});

test("encode codes every value and reuses a buffer of the right length", () => {
  const data = new Float32Array([0, 1, -Infinity, NaN, 0.5, 9]);
  const { codes, min, max } = encode("sequential", data, 5);
  assert.equal(codes.length, 5, "only the first n values");
  assert.deepEqual([min, max], [0, 1], "the 6th value is not part of the matrix");
  assert.deepEqual(Array.from(codes), [0, TOP, CODE_MASKED, CODE_NAN, Math.round(0.5 * TOP)]);
  const again = encode("sequential", data, 5, codes);
  assert.equal(again.codes, codes);
  assert.notEqual(encode("sequential", data, 4, codes).codes, codes, "a new buffer for another size");
});

test("text colour: whichever of black and white contrasts more", () => {
  assert.equal(contrastText([0, 0, 0]), "#fff");
  assert.equal(contrastText([255, 255, 255]), "#000");
  assert.equal(contrastText([68, 1, 84]), "#fff", "viridis low end is dark");
  assert.equal(contrastText([253, 231, 37]), "#000", "viridis high end is light");
  assert.equal(contrastText([247, 247, 247]), "#000", "the diverging middle is light");
  assert.equal(contrastText([33, 102, 172]), "#fff");
  // the switch sits where both ratios are equal: relative luminance sqrt(0.0525) - 0.05 ~ 0.179
  assert.equal(contrastText([117, 117, 117]), "#fff"); // L ~ 0.178
  assert.equal(contrastText([118, 118, 118]), "#000"); // L ~ 0.181
  // each LUT entry's text colour has a contrast ratio of at least 4.5 against its fill
  for (const palette of ["sequential", "diverging"]) {
    const t = lut(palette);
    for (let i = 0; i < LUT_SIZE; i++) {
      const rgb = t.fill[i].match(/\d+/g).map(Number);
      const ratio = contrast(rgb, t.text[i] === "#000" ? [0, 0, 0] : [255, 255, 255]);
      assert.ok(ratio >= 4.5, `${palette}[${i}] ${t.fill[i]} with ${t.text[i]}: ${ratio.toFixed(2)}`);
    }
  }
});

test("legend stops run from min to max through every palette colour", () => {
  const seq = legendStops("sequential", 0, 1);
  assert.equal(seq.length, 11);
  assert.deepEqual([seq[0].offset, seq[10].offset], [0, 1]);
  assert.equal(seq[0].colour, colour("sequential", 0));
  assert.equal(seq[10].colour, colour("sequential", 1));
  assert.equal(seq[5].value, 0.5);
  const div = legendStops("diverging", -3, 3);
  assert.equal(div.length, 9);
  assert.equal(div[4].value, 0, "the diverging middle stop is 0");
  assert.equal(div[4].colour, colour("diverging", 0));
  assert.deepEqual([div[0].value, div[8].value], [-3, 3]);
  for (let i = 1; i < div.length; i++) assert.ok(div[i].offset > div[i - 1].offset);
});

function pick(s) {
  return { min: s.min, max: s.max };
}

function contrast(a, b) {
  const lum = ([r, g, b2]) => {
    const lin = (c) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b2);
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

test("a clipped diverging scale reaches its end colours at the quantile, not at an outlier", async () => {
  const { makeScale, encode, LUT_SIZE } = await import("../../www/js/components/heatmap/palette.js");
  const data = new Float32Array(1000).map((_, i) => ((i % 21) - 10) / 10); // -1 … 1
  data[3] = 100; // one outlier dimension
  const plain = makeScale("diverging", data);
  assert.equal(plain.max, 100);
  const clipped = makeScale("diverging", data, data.length, 0.99);
  assert.ok(clipped.max <= 1 && clipped.max > 0.8, String(clipped.max));
  assert.equal(clipped.code(1), LUT_SIZE - 1, "|v| at the quantile takes the end colour");
  assert.equal(clipped.code(100), LUT_SIZE - 1, "beyond it, clamped");
  assert.equal(clipped.code(0), (LUT_SIZE - 1) / 2);
  assert.deepEqual(encode("sequential", data, data.length, undefined, 0.99).max, encode("sequential", data, data.length).max, "sequential ignores clip");
});

test("kthSmallest picks what a sort would place at k, with ties and any order", () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let t = 0; t < 300; t++) {
    const n = 1 + Math.floor(rand() * 200);
    const a = Float32Array.from({ length: n }, () => (t % 2 ? Math.floor(rand() * 5) : rand() * 100));
    const k = Math.floor(rand() * n);
    assert.equal(kthSmallest(a.slice(), k), a.slice().sort()[k], `n ${n}, k ${k}`);
  }
  assert.equal(kthSmallest(Float32Array.of(3), 0), 3);
});

test("pixels: each value's palette colour as opaque RGBA, masked and NaN in the colours given", () => {
  const data = Float32Array.of(-2, 0, 2, -Infinity, NaN, Infinity);
  const bytes = pixels("diverging", data, 2, 3, { masked: [1, 2, 3], nan: [4, 5, 6] });
  const scale = makeScale("diverging", data, data.length);
  const rgb = (c) => [...lut("diverging").bytes.slice(c * 3, c * 3 + 3)];
  const px = (k) => [...bytes.slice(k * 4, k * 4 + 4)];
  for (const k of [0, 1, 2, 5]) assert.deepEqual(px(k), [...rgb(scale.code(data[k])), 255], `value ${data[k]}`);
  assert.deepEqual(px(3), [1, 2, 3, 255]);
  assert.deepEqual(px(4), [4, 5, 6, 255]);
  const out = new Uint8ClampedArray(24);
  assert.equal(pixels("diverging", data, 2, 3, {}, out), out, "the bytes given are filled");
});
