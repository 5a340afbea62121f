// Unit tests for www/js/components/heatmap/paint.js with a fake 2D context that records calls
// (node --test, no browser, no canvas).
import test from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_THEME, IMAGE_CELL, createFitter, measureLabels, paintGrid, paintMatrix } from "../../www/js/components/heatmap/paint.js";
import { encode, lut } from "../../www/js/components/heatmap/palette.js";
import { LEGEND_H, TITLE_H, labelStep, screenLayout, visibleRange } from "../../www/js/components/heatmap/layout.js";
import { MINUS_INFINITY } from "../../www/js/components/heatmap/text.js";

const CHAR_W = 6; // the fake font's width per character

/** A CanvasRenderingContext2D stand-in: records every call with the style it was made with. */
function fakeContext() {
  const calls = [];
  const state = { fillStyle: "#000", strokeStyle: "#000", lineWidth: 1, font: "10px sans-serif", textAlign: "start", textBaseline: "alphabetic" };
  const stack = [];
  let transform = [1, 0, 0, 1, 0, 0];
  const ctx = {
    calls,
    get transform() {
      return transform;
    },
    save: () => stack.push({ ...state, transform }),
    restore: () => {
      const s = stack.pop();
      assert.ok(s, "restore() without save()");
      transform = s.transform;
      delete s.transform;
      Object.assign(state, s);
    },
    setTransform: (...m) => {
      transform = m;
    },
    translate: (x, y) => {
      transform = [transform[0], transform[1], transform[2], transform[3], transform[4] + x * transform[0], transform[5] + y * transform[3]];
    },
    rotate: () => {},
    measureText: (s) => ({ width: s.length * CHAR_W }),
    createLinearGradient: (...args) => {
      const g = { args, stops: [] };
      g.addColorStop = (offset, colour) => g.stops.push([offset, colour]);
      return g;
    },
    get depth() {
      return stack.length;
    },
  };
  for (const k of Object.keys(state)) {
    const set = (v) => {
      state[k] = v;
    };
    Object.defineProperty(ctx, k, { get: () => state[k], set, enumerable: true });
  }
  for (const op of ["clearRect", "fillRect", "strokeRect", "fillText", "beginPath", "rect", "clip", "fill", "stroke", "moveTo", "lineTo"]) {
    ctx[op] = (...args) => calls.push({ op, args, ...state, transform });
  }
  return ctx;
}

const ramp = (n) => Float32Array.from({ length: n }, (_, k) => k / Math.max(1, n - 1));
const labels = (prefix, n) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
/** Cell fills: fillRect with a palette colour (the legend's bar is a gradient, the background a named colour). */
const cellFills = (ctx) => ctx.calls.filter((c) => c.op === "fillRect" && typeof c.fillStyle === "string" && c.fillStyle.startsWith("rgb("));
const texts = (ctx) => ctx.calls.filter((c) => c.op === "fillText").map((c) => c.args[0]);

test("a full render paints every cell of a 40x40 matrix exactly once, seamlessly, inside the canvas", () => {
  for (const dpr of [1, 2, 1.5]) {
    const ctx = fakeContext();
    const width = 800;
    const height = 900;
    const data = ramp(1600);
    const lay = paintMatrix(ctx, { rows: 40, cols: 40, data }, { width, height, dpr, rowLabels: labels("r", 40), colLabels: labels("c", 40), title: "Weights", legend: true });
    const fills = cellFills(ctx);
    assert.equal(fills.length, 1600, `dpr ${dpr}`);
    const xs = [...new Set(fills.map((c) => c.args[0]))].sort((a, b) => a - b);
    const ys = [...new Set(fills.map((c) => c.args[1]))].sort((a, b) => a - b);
    assert.equal(xs.length, 40);
    assert.equal(ys.length, 40);
    const at = new Set(fills.map((c) => `${c.args[0]},${c.args[1]}`));
    assert.equal(at.size, 1600, "no cell painted twice");
    for (const c of fills) {
      const [x, y, w, h] = c.args;
      assert.deepEqual(c.transform, [1, 0, 0, 1, 0, 0], "cells are painted in device px");
      assert.ok(Number.isInteger(x) && Number.isInteger(y) && w > 0 && h > 0);
      assert.ok(x >= 0 && y >= 0 && x + w <= width * dpr && y + h <= height * dpr, "inside the canvas");
      // seamless: the next cell starts where this one ends
      const i = xs.indexOf(x);
      if (i < 39) assert.equal(x + w, xs[i + 1]);
      const j = ys.indexOf(y);
      if (j < 39) assert.equal(y + h, ys[j + 1]);
    }
    // the cells sit under the title band and above the legend band
    assert.ok(ys[0] >= Math.floor(TITLE_H * dpr));
    assert.ok((lay.top + lay.totalH) * dpr <= (height - LEGEND_H) * dpr + 1e-6);
    // each cell has its value's colour: first and last
    const first = fills.find((c) => c.args[0] === xs[0] && c.args[1] === ys[0]);
    const last = fills.find((c) => c.args[0] === xs[39] && c.args[1] === ys[39]);
    assert.equal(first.fillStyle, lut("sequential").fill[0]);
    assert.equal(last.fillStyle, lut("sequential").fill[254]);
    assert.equal(ctx.depth, 0, "every save() restored");
  }
});

test("a full render draws the labels, the title and the colour-scale legend", () => {
  const ctx = fakeContext();
  const rowLabels = labels("row", 40);
  const colLabels = labels("col", 40);
  const lay = paintMatrix(ctx, { rows: 40, cols: 40, data: ramp(1600) }, { width: 900, height: 900, rowLabels, colLabels, title: "Attention weights", legend: true });
  assert.ok(labelStep(lay.cell).step === 1, "room for every label");
  const t = texts(ctx);
  for (const s of [...rowLabels, ...colLabels]) assert.equal(t.filter((x) => x === s).length, 1, `label ${s} drawn once`);
  assert.ok(t.includes("Attention weights"));
  // a title longer than a label is kept whole when it fits
  const long = fakeContext();
  const title = "Attention weights of layer 1, head 2, for a sentence of forty tokens";
  paintMatrix(long, { rows: 2, cols: 2, data: ramp(4) }, { width: 900, height: 300, title });
  assert.ok(texts(long).includes(title));
  // the legend: a gradient through the 11 viridis stops, ticks at both ends and the middle
  const bar = ctx.calls.find((c) => c.op === "fillRect" && typeof c.fillStyle === "object");
  assert.ok(bar, "legend bar");
  assert.equal(bar.fillStyle.stops.length, 11);
  assert.deepEqual(bar.fillStyle.stops[0], [0, "rgb(68, 1, 84)"]);
  assert.ok(t.includes("0.00") && t.includes("0.50") && t.includes("1.00"));
  const [, barY] = bar.args;
  assert.ok(barY >= lay.legendBox.y && barY < lay.legendBox.y + LEGEND_H);
  assert.equal(lay.min, 0);
  assert.equal(lay.max, 1);

  // without title and legend: neither is drawn, and the cells get the room
  const bare = fakeContext();
  const lay2 = paintMatrix(bare, { rows: 40, cols: 40, data: ramp(1600) }, { width: 900, height: 900, rowLabels, colLabels });
  assert.equal(bare.calls.filter((c) => c.op === "fillRect" && typeof c.fillStyle === "object").length, 0);
  assert.ok(!texts(bare).includes("Attention weights"));
  assert.ok(lay2.cell >= lay.cell);
});

test("a diverging legend is symmetric and says 0 in the middle", () => {
  const ctx = fakeContext();
  const data = Float32Array.from([-2, -1, 0, 1, 0.5, 1.5]);
  const lay = paintMatrix(ctx, { rows: 2, cols: 3, data }, { width: 400, height: 300, palette: "diverging", legend: true, digits: 1 });
  assert.deepEqual([lay.min, lay.max], [-2, 2]);
  const t = texts(ctx);
  assert.ok(t.includes("-2.0") && t.includes("0.0") && t.includes("2.0"), t.join(" "));
  const bar = ctx.calls.find((c) => c.op === "fillRect" && typeof c.fillStyle === "object");
  assert.deepEqual(bar.fillStyle.stops[4], [0.5, "rgb(247, 247, 247)"]);
});

test("large matrices in a small canvas: fractional cells, thinned labels, still every cell once", () => {
  const ctx = fakeContext();
  const n = 200;
  const lay = paintMatrix(ctx, { rows: n, cols: n, data: ramp(n * n) }, { width: 400, height: 400, rowLabels: labels("r", n), colLabels: labels("c", n) });
  assert.ok(lay.cell < 2);
  const fills = cellFills(ctx);
  assert.equal(fills.length, n * n);
  const { step } = labelStep(lay.cell);
  assert.ok(step > 1);
  const t = texts(ctx);
  const rowDrawn = t.filter((s) => /^r\d+$/.test(s) || (s.startsWith("r") && s.endsWith("\u2026")));
  assert.equal(rowDrawn.length, Math.ceil(n / step), "every step-th row label");
  assert.ok(t.includes("r0") && !t.includes("r1"));
});

test("values inside wide cells, in the contrasting colour; masked cells hatched with −∞; NaN in the line colour", () => {
  const ctx = fakeContext();
  const data = Float32Array.from([0, 1, -Infinity, NaN, 0.25, -Infinity]);
  paintMatrix(ctx, { rows: 2, cols: 3, data }, { width: 400, height: 300, rowLabels: ["a", "b"], colLabels: ["x", "y", "z"] });
  const t = ctx.calls.filter((c) => c.op === "fillText");
  const value = (s) => t.find((c) => c.args[0] === s);
  assert.equal(value("0.00").fillStyle, "#fff", "white on dark viridis");
  assert.equal(value("1.00").fillStyle, "#000", "black on yellow");
  assert.equal(value("NaN").fillStyle, DEFAULT_THEME.fg);
  assert.equal(t.filter((c) => c.args[0] === MINUS_INFINITY).length, 2);
  assert.equal(value(MINUS_INFINITY).fillStyle, DEFAULT_THEME.maskText);
  // 4 cells filled (2 palette + NaN), the 2 masked ones as rects of the hatch path
  const fills = ctx.calls.filter((c) => c.op === "fillRect" && c.transform[0] === 1 && c.fillStyle !== DEFAULT_THEME.bg);
  assert.equal(fills.filter((c) => c.fillStyle === DEFAULT_THEME.line).length, 1, "NaN");
  assert.equal(cellFills(ctx).length, 3);
  const masked = ctx.calls.filter((c) => c.op === "rect" && c.transform[0] === 1 && c.transform[4] === 0 && c.args[2] < 200);
  const maskFill = ctx.calls.find((c) => c.op === "fill");
  assert.equal(maskFill.fillStyle, DEFAULT_THEME.maskBg);
  const hatchLines = ctx.calls.find((c) => c.op === "stroke");
  assert.equal(hatchLines.strokeStyle, DEFAULT_THEME.maskLine);
  const cellRects = masked.filter((c) => c.args[2] === cellFills(ctx)[0].args[2]);
  assert.equal(cellRects.length, 2, "the two masked cells");
});

test("a causal mask: palette cells and hatched cells together cover the matrix once", () => {
  const n = 40;
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) data[i * n + j] = j > i ? -Infinity : 1 / (i + 1);
  const ctx = fakeContext();
  paintMatrix(ctx, { rows: n, cols: n, data }, { width: 700, height: 700, legend: true });
  const fills = cellFills(ctx).map((c) => c.args.join(","));
  const cellW = cellFills(ctx)[0].args[2];
  const hatched = ctx.calls.filter((c) => c.op === "rect" && c.transform[0] === 1 && Math.abs(c.args[2] - cellW) <= 1).map((c) => c.args.join(","));
  assert.equal(fills.length, (n * (n + 1)) / 2);
  assert.equal(hatched.length, (n * (n - 1)) / 2);
  assert.equal(new Set([...fills, ...hatched]).size, n * n);
});

test("the highlighted row is outlined across the matrix in the accent colour", () => {
  const ctx = fakeContext();
  const lay = paintMatrix(ctx, { rows: 5, cols: 7, data: ramp(35) }, { width: 500, height: 400, rowLabels: labels("t", 5), highlightRow: 2 });
  const outline = ctx.calls.find((c) => c.op === "strokeRect" && c.strokeStyle === DEFAULT_THEME.accent);
  assert.ok(outline);
  const [x, y, w, h] = outline.args;
  assert.equal(x, lay.L + 1);
  assert.equal(y, lay.T + 2 * lay.cell + 1);
  assert.equal(w, 7 * lay.cell - 2);
  assert.equal(h, lay.cell - 2);
  assert.equal(ctx.calls.find((c) => c.op === "fillText" && c.args[0] === "t2").fillStyle, DEFAULT_THEME.accent);
  assert.equal(ctx.calls.find((c) => c.op === "fillText" && c.args[0] === "t2").font, `600 12px ${DEFAULT_THEME.family}`);
});

test("the on-screen window paints only the visible cells, with hover and cursor outlines", () => {
  const n = 512;
  const data = ramp(n * n);
  const ctx = fakeContext();
  const rowLabels = labels("r", n);
  const colLabels = labels("c", n);
  const w = measureLabels(ctx, n, n, rowLabels, colLabels, "sans-serif");
  assert.deepEqual(w, { row: 4 * CHAR_W, col: 4 * CHAR_W });
  const lay = screenLayout({ rows: n, cols: n, width: 600, rowLabelW: w.row, colLabelW: w.col });
  assert.equal(lay.cell, 14);
  const view = { sx: 14 * 100, sy: 14 * 200 + 5, w: 600, h: 400 };
  const range = visibleRange(lay, n, n, view);
  paintGrid(ctx, {
    rows: n, cols: n, data, codes: encode("sequential", data, n * n).codes, lut: lut("sequential"), digits: 2,
    rowLabels, colLabels, lay, view, dpr: 2, theme: DEFAULT_THEME, highlightRow: null,
    hover: { row: 210, col: 105 }, cursor: { row: 205, col: 101 }, fit: createFitter(),
  });
  assert.equal(cellFills(ctx).length, (range.r1 - range.r0) * (range.c1 - range.c0));
  const t = texts(ctx);
  assert.ok(t.includes(`r${range.r0}`) && t.includes(`r${range.r1 - 1}`) && !t.includes(`r${range.r1}`));
  assert.ok(t.includes("c100") && !t.includes("c99"));
  const strokes = ctx.calls.filter((c) => c.op === "strokeRect");
  assert.equal(strokes.length, 3, "hover outline, cursor outline in two colours");
  assert.equal(ctx.calls.find((c) => c.op === "fillText" && c.args[0] === "r205").font, `600 ${labelStep(lay.cell).px}px ${DEFAULT_THEME.family}`, "the cursor's labels are bold");
});

test("cells below IMAGE_CELL px are drawn as one image of the visible cells, coloured as the rectangles would be", () => {
  const n = 300;
  const data = ramp(n * n);
  data[5] = -Infinity;
  const ctx = fakeContext();
  const lay = screenLayout({ rows: n, cols: n, width: 700, height: 700, rowLabelW: 20, colLabelW: 20 });
  assert.ok(lay.cell < IMAGE_CELL, `cell ${lay.cell}`);
  const drawn = [];
  const image = (w, h) => {
    const out = { data: new Uint8ClampedArray(w * h * 4) };
    out.draw = (c, x, y, dw, dh) => drawn.push({ w, h, x, y, dw, dh, data: out.data });
    return out;
  };
  const codes = encode("sequential", data, n * n).codes;
  paintGrid(ctx, {
    rows: n, cols: n, data, codes, lut: lut("sequential"), digits: 2, rowLabels: [], colLabels: [], lay,
    view: { sx: 0, sy: 0, w: lay.totalW, h: lay.totalH }, dpr: 1, theme: DEFAULT_THEME, highlightRow: null, hover: null, cursor: null, fit: createFitter(), image,
  });
  assert.equal(cellFills(ctx).length, 0, "no rectangle per cell");
  assert.equal(drawn.length, 1);
  const [d] = drawn;
  assert.deepEqual([d.w, d.h, d.dw, d.dh], [n, n, n * lay.cell, n * lay.cell]);
  const k = 7 * n + 9; // a cell's bytes are its palette entry's
  const b = lut("sequential").bytes;
  assert.deepEqual(Array.from(d.data.subarray(k * 4, k * 4 + 4)), [b[codes[k] * 3], b[codes[k] * 3 + 1], b[codes[k] * 3 + 2], 255]);
  assert.notDeepEqual(Array.from(d.data.subarray(5 * 4, 5 * 4 + 3)), Array.from(d.data.subarray(6 * 4, 6 * 4 + 3)), "the masked cell is grey");
});

test("an empty matrix paints no cells; bad options are refused, naming the field", () => {
  const ctx = fakeContext();
  paintMatrix(ctx, { rows: 0, cols: 0, data: new Float32Array(0) }, { width: 100, height: 100, title: "Empty", legend: true });
  assert.equal(cellFills(ctx).length, 0);
  assert.ok(texts(ctx).includes("Empty"));
  const m = { rows: 2, cols: 2, data: ramp(4) };
  const bad = [
    [{ ...m, data: ramp(3) }, { width: 10, height: 10 }, /matrix\.data has 3 values, expected rows\*cols = 4/],
    [{ ...m, rows: -1 }, { width: 10, height: 10 }, /matrix\.rows/],
    [{ ...m, cols: 1.5 }, { width: 10, height: 10 }, /matrix\.cols/],
    [m, { height: 10 }, /width must be a number > 0/],
    [m, { width: 10, height: NaN }, /height/],
    [m, { width: 10, height: 10, dpr: 0 }, /dpr/],
    [m, { width: 10, height: 10, digits: 40 }, /digits/],
  ];
  for (const [matrix, opts, re] of bad) assert.throws(() => paintMatrix(fakeContext(), matrix, opts), re);
});

test("a background colour is filled first over the whole canvas", () => {
  const ctx = fakeContext();
  paintMatrix(ctx, { rows: 1, cols: 1, data: [0.5] }, { width: 100, height: 50, dpr: 2, background: "#123456" });
  const first = ctx.calls.find((c) => c.op === "fillRect");
  assert.equal(first.fillStyle, "#123456");
  assert.deepEqual(first.args, [0, 0, 200, 100]);
});

test("thinned labels stay on multiples of the step while the window scrolls", () => {
  const n = 300;
  const data = ramp(n * n);
  const lay = { L: 40, T: 40, cell: 5, totalW: 40 + n * 5 + 3, totalH: 40 + n * 5 + 3 };
  const { step } = labelStep(lay.cell);
  assert.ok(step > 1);
  for (const sy of [0, 7, 5 * 31, 5 * 100 + 2]) {
    const ctx = fakeContext();
    paintGrid(ctx, {
      rows: n, cols: n, data, codes: encode("sequential", data, n * n).codes, lut: lut("sequential"), digits: 2,
      rowLabels: labels("r", n), colLabels: labels("c", n), lay, view: { sx: sy, sy, w: 300, h: 300 }, dpr: 1,
      theme: DEFAULT_THEME, highlightRow: null, hover: null, cursor: null, fit: createFitter(),
    });
    const rows = texts(ctx).filter((s) => s.startsWith("r")).map((s) => Number(s.slice(1)));
    assert.ok(rows.length > 10);
    for (const r of rows) assert.equal(r % step, 0, `scrolled to ${sy}: row label ${r}`);
    const { r0, r1 } = visibleRange(lay, n, n, { sx: sy, sy, w: 300, h: 300 });
    assert.equal(rows.length, Math.ceil(r1 / step) - Math.floor(r0 / step));
  }
});
