// Unit tests for www/js/components/heatmap/layout.js (node --test, no browser).
import test from "node:test";
import assert from "node:assert/strict";
import {
  COL_LABEL_MAX, GAP, LEGEND_H, MAX_CELL, MIN_CELL, PAD, ROW_LABEL_MAX, TABLE_FULL_MAX, TABLE_WINDOW, TITLE_H,
  cellAt, clientBox, fitLayout, gutters, labelStep, pageRows, screenLayout, scrollToShow, tableWindow, visibleRange, zoomSteps,
} from "../../www/js/components/heatmap/layout.js";

test("gutters hold the widest label plus the gap, within their limits", () => {
  assert.deepEqual(gutters(30, 20, 800), { L: 30 + GAP + 4, T: 20 + GAP + 4 });
  assert.deepEqual(gutters(0, 0, 800), { L: 24, T: 24 }, "at least 24");
  assert.deepEqual(gutters(500, 500, 1000), { L: ROW_LABEL_MAX, T: COL_LABEL_MAX });
  assert.equal(gutters(100, 0, 200).L, 60, "the row gutter takes at most 30% of the width");
  assert.equal(gutters(100, 0, 50).L, 24, "but never less than 24");
});

test("on-screen cells: the whole matrix fits the box at zoom 1 (MAX_CELL at most, 1 px at least); zoom multiplies and scrolls", () => {
  const small = screenLayout({ rows: 3, cols: 3, width: 800, rowLabelW: 30, colLabelW: 30 });
  assert.equal(small.cell, MAX_CELL);
  assert.equal(small.totalW, small.L + 3 * MAX_CELL + PAD);
  assert.equal(small.totalH, small.T + 3 * MAX_CELL + PAD);
  const large = screenLayout({ rows: 512, cols: 512, width: 800, height: 600, rowLabelW: 30, colLabelW: 30 });
  assert.equal(large.cell, 1);
  assert.ok(large.totalW <= 800 && large.totalH <= 600, "fits the box");
  const unbounded = screenLayout({ rows: 512, cols: 512, width: 800, rowLabelW: 30, colLabelW: 30 });
  assert.equal(unbounded.cell, MIN_CELL, "a box of any height: readable rows, and it scrolls");
  const mid = screenLayout({ rows: 20, cols: 20, width: 600, rowLabelW: 30, colLabelW: 30 });
  assert.equal(mid.cell, Math.floor((600 - mid.L - PAD) / 20));
  assert.ok(mid.totalW <= 600 && mid.totalW > 600 - 20, "fills the width to within one column");
  assert.ok(Number.isInteger(mid.cell), "whole CSS px on screen");
  // The box's height bounds it too: 32 tokens in a 560 px box at desktop width.
  const tall = screenLayout({ rows: 32, cols: 32, width: 900, height: 560, rowLabelW: 50, colLabelW: 50 });
  assert.ok(tall.totalH <= 560 && tall.totalW <= 900, `${tall.totalW} x ${tall.totalH}`);
  assert.ok(tall.cell >= MIN_CELL, "32 tokens keep every label at desktop width");
  assert.equal(tall.cell, tall.fit);
  // Zoom doubles the fitted cell, up to MAX_CELL, and the grid outgrows the box.
  const z = screenLayout({ rows: 512, cols: 512, width: 800, height: 600, rowLabelW: 30, colLabelW: 30, zoom: 4 });
  assert.equal(z.cell, 4 * z.fit);
  assert.ok(z.totalW > 800);
  assert.equal(screenLayout({ rows: 3, cols: 3, width: 800, rowLabelW: 30, colLabelW: 30, zoom: 8 }).cell, MAX_CELL);
  assert.deepEqual(zoomSteps(1), [1, 2, 4, 8, 16, 32, 64]);
  assert.deepEqual(zoomSteps(MAX_CELL), [1]);
  assert.deepEqual(zoomSteps(20), [1, 2, 4]);
  // Few rows, many columns (13 tokens x 384 dimensions): readable rows, sideways scroll; zooming
  // out shows the whole matrix.
  const wide = screenLayout({ rows: 13, cols: 384, width: 800, height: 560, rowLabelW: 30, colLabelW: 30 });
  assert.equal(wide.cell, MIN_CELL);
  assert.equal(wide.whole, Math.floor((800 - wide.L - PAD) / 384));
  assert.ok(wide.totalW > 800);
  assert.deepEqual(zoomSteps(wide.fit, wide.whole), [wide.whole / MIN_CELL, 1, 2, 4]);
  assert.equal(screenLayout({ rows: 13, cols: 384, width: 800, height: 560, rowLabelW: 30, colLabelW: 30, zoom: wide.whole / MIN_CELL }).cell, wide.whole);
});

test("the scroll box's inside: which scrollbars a grid brings, as the browser decides (overflow: auto)", () => {
  const box = { width: 600, maxHeight: 500, bar: 15 };
  assert.deepEqual(clientBox({ totalW: 400, totalH: 300 }, box), { w: 600, h: 300 }, "fits: no bar, as high as the grid");
  assert.deepEqual(clientBox({ totalW: 400, totalH: 800 }, box), { w: 585, h: 500 }, "taller: a vertical bar");
  assert.deepEqual(clientBox({ totalW: 590, totalH: 800 }, box), { w: 585, h: 485 }, "taller, and wider than the vertical bar leaves: both");
  assert.deepEqual(clientBox({ totalW: 900, totalH: 300 }, box), { w: 600, h: 300 }, "wider: a horizontal bar under the grid");
  assert.deepEqual(clientBox({ totalW: 900, totalH: 490 }, box), { w: 585, h: 485 }, "wider, and the horizontal bar makes it too high: both");
  assert.deepEqual(clientBox({ totalW: 900, totalH: 300 }, { width: 600, bar: 15 }), { w: 600, h: 300 }, "no largest height");
  assert.deepEqual(clientBox({ totalW: 900, totalH: 900 }, { ...box, bar: 0 }), { w: 600, h: 500 }, "overlay scrollbars take no room");
});

test("zero-size and 1x1 matrices", () => {
  const empty = screenLayout({ rows: 0, cols: 0, width: 300, rowLabelW: 0, colLabelW: 0 });
  assert.deepEqual([empty.totalW, empty.totalH], [empty.L + PAD, empty.T + PAD]);
  const view = { sx: 0, sy: 0, w: empty.totalW, h: empty.totalH };
  assert.deepEqual(visibleRange(empty, 0, 0, view), { r0: 0, r1: 0, c0: 0, c1: 0 });
  assert.equal(cellAt(empty, 0, 0, view, empty.L + 1, empty.T + 1), null);
  const one = screenLayout({ rows: 1, cols: 1, width: 300, rowLabelW: 10, colLabelW: 10 });
  assert.equal(one.cell, MAX_CELL);
  const v1 = { sx: 0, sy: 0, w: one.totalW, h: one.totalH };
  assert.deepEqual(visibleRange(one, 1, 1, v1), { r0: 0, r1: 1, c0: 0, c1: 1 });
  assert.deepEqual(cellAt(one, 1, 1, v1, one.L, one.T), { row: 0, col: 0 });
  assert.equal(cellAt(one, 1, 1, v1, one.L + one.cell, one.T), null, "the PAD right of the only cell");
  const fitted = fitLayout({ rows: 0, cols: 0, width: 200, height: 100, rowLabelW: 0, colLabelW: 0 });
  assert.ok(Number.isFinite(fitted.cell) && fitted.totalW <= 200 && fitted.totalH <= 100);
  const none = fitLayout({ rows: 4, cols: 4, width: 10, height: 10, rowLabelW: 0, colLabelW: 0 });
  assert.equal(none.cell, 0, "no room: cells of size 0, never negative");
});

test("label thinning: every k-th label when a cell is shorter than a line of text", () => {
  assert.deepEqual(labelStep(56), { px: 12, step: 1 });
  assert.deepEqual(labelStep(14), { px: 11, step: 1 });
  assert.deepEqual(labelStep(10), { px: 9, step: 2 });
  assert.deepEqual(labelStep(5), { px: 9, step: 3 });
  assert.deepEqual(labelStep(1.2), { px: 9, step: 10 });
  assert.equal(labelStep(0).step, 1);
  // the drawn labels are never closer than a line
  for (const cell of [0.5, 1, 2, 3, 7, 11, 13, 14, 20]) {
    const { px, step } = labelStep(cell);
    assert.ok(step * cell >= px + 2, `cell ${cell}: ${step} * ${cell} >= ${px + 2}`);
    assert.ok(step === 1 || (step - 1) * cell < px + 2, `cell ${cell}: step ${step} is the smallest`);
  }
});

test("visible range of a scrolled viewport", () => {
  const lay = { L: 40, T: 50, cell: 14 };
  assert.deepEqual(visibleRange(lay, 512, 512, { sx: 0, sy: 0, w: 400, h: 300 }), {
    r0: 0, r1: Math.ceil((300 - 50) / 14), c0: 0, c1: Math.ceil((400 - 40) / 14),
  });
  assert.deepEqual(visibleRange(lay, 512, 512, { sx: 140, sy: 280, w: 400, h: 300 }), {
    r0: 20, r1: Math.ceil((280 + 300 - 50) / 14), c0: 10, c1: Math.ceil((140 + 400 - 40) / 14),
  });
  // a part-visible cell at the start counts
  assert.equal(visibleRange(lay, 512, 512, { sx: 141, sy: 0, w: 400, h: 300 }).c0, 10);
  // scrolled to the end: clamped to the matrix
  const end = visibleRange(lay, 512, 512, { sx: 512 * 14 - 357, sy: 512 * 14 - 247, w: 400, h: 300 });
  assert.deepEqual([end.r1, end.c1], [512, 512]);
  // a box narrower than the gutter shows no columns
  const none = visibleRange(lay, 10, 10, { sx: 0, sy: 0, w: 20, h: 20 });
  assert.equal(none.c1 - none.c0, 0);
  assert.equal(none.r1 - none.r0, 0);
});

test("hit-testing a point to a cell, at the edges", () => {
  const lay = { L: 40, T: 50, cell: 14 };
  const view = { sx: 0, sy: 0, w: 40 + 10 * 14 + PAD, h: 50 + 8 * 14 + PAD };
  assert.deepEqual(cellAt(lay, 8, 10, view, 40, 50), { row: 0, col: 0 }, "top-left corner is in");
  assert.equal(cellAt(lay, 8, 10, view, 39.99, 60), null, "row-label gutter");
  assert.equal(cellAt(lay, 8, 10, view, 60, 49.99), null, "column-label gutter");
  assert.deepEqual(cellAt(lay, 8, 10, view, 40 + 14, 50 + 13.99), { row: 0, col: 1 }, "a cell's left edge is its own");
  assert.deepEqual(cellAt(lay, 8, 10, view, 40 + 10 * 14 - 0.01, 50 + 8 * 14 - 0.01), { row: 7, col: 9 });
  assert.equal(cellAt(lay, 8, 10, view, 40 + 10 * 14, 60), null, "the PAD after the last column");
  assert.equal(cellAt(lay, 8, 10, view, 60, 50 + 8 * 14 + 1), null, "the PAD under the last row");
  assert.equal(cellAt(lay, 8, 10, view, view.w, 60), null, "outside the box");
  assert.equal(cellAt(lay, 8, 10, view, -1, -1), null);
  assert.equal(cellAt(lay, 8, 10, view, NaN, 60), null);
  // scrolled: the same point is a later cell; a box smaller than the grid ends at its edge
  const scrolled = { sx: 28, sy: 14, w: 100, h: 100 };
  assert.deepEqual(cellAt(lay, 8, 10, scrolled, 40, 50), { row: 1, col: 2 });
  assert.equal(cellAt(lay, 8, 10, scrolled, 100, 60), null, "x = w is outside");
  assert.deepEqual(cellAt(lay, 8, 10, scrolled, 99.9, 99.9), { row: Math.floor((49.9 + 14) / 14), col: Math.floor((59.9 + 28) / 14) });
});

test("scrolling a cell into view moves as little as possible", () => {
  const lay = { L: 40, T: 50, cell: 14 };
  const view = { sx: 140, sy: 140, w: 200, h: 200 };
  const viewW = 200 - 40 - PAD;
  const viewH = 200 - 50 - PAD;
  assert.deepEqual(scrollToShow(lay, view, { row: 12, col: 12 }), { sx: 140, sy: 140 }, "already visible");
  assert.deepEqual(scrollToShow(lay, view, { row: 2, col: 3 }), { sx: 42, sy: 28 }, "before: its start at the edge");
  assert.deepEqual(scrollToShow(lay, view, { row: 30, col: 40 }), { sx: 41 * 14 - viewW, sy: 31 * 14 - viewH }, "after: its end at the edge");
  assert.deepEqual(scrollToShow(lay, { ...view, sx: 0, sy: 0 }, { row: 0, col: 0 }), { sx: 0, sy: 0 });
  assert.ok(pageRows(lay, 200) >= 1);
  assert.equal(pageRows(lay, 200), Math.floor(viewH / 14) - 1);
  assert.equal(pageRows(lay, 60), 1, "at least one row");
});

test("the table twin's window", () => {
  assert.deepEqual(tableWindow(TABLE_FULL_MAX, 50, 0), { start: 0, count: TABLE_FULL_MAX }, "small: all of it");
  assert.deepEqual(tableWindow(0, 0, 0), { start: 0, count: 0 });
  assert.deepEqual(tableWindow(100, 50, 0), { start: 50 - TABLE_WINDOW / 2, count: TABLE_WINDOW }, "centred");
  assert.deepEqual(tableWindow(100, 40, 34), { start: 34, count: TABLE_WINDOW }, "kept while it holds the focus");
  assert.deepEqual(tableWindow(100, 66, 34), { start: 50, count: TABLE_WINDOW }, "re-centred when the focus leaves");
  assert.deepEqual(tableWindow(100, 99, 0), { start: 100 - TABLE_WINDOW, count: TABLE_WINDOW }, "clamped at the end");
  assert.deepEqual(tableWindow(100, 0, 60), { start: 0, count: TABLE_WINDOW }, "clamped at the start");
});

test("a whole matrix fitted into any size, with title and legend bands", () => {
  for (const [rows, cols, width, height] of [[40, 40, 600, 600], [512, 512, 300, 300], [3, 7, 1200, 400], [1, 1, 50, 500], [6, 200, 900, 300]]) {
    const lay = fitLayout({ rows, cols, width, height, rowLabelW: 30, colLabelW: 40, title: true, legend: true });
    assert.equal(lay.top, TITLE_H);
    assert.ok(lay.cell > 0);
    assert.ok(lay.totalW <= width + 1e-9, `${rows}x${cols} in ${width}x${height}: width ${lay.totalW}`);
    assert.ok(lay.top + lay.totalH + LEGEND_H <= height + 1e-9, `${rows}x${cols} in ${width}x${height}: height`);
    const tight = Math.abs(lay.totalW - width) < 1e-6 || Math.abs(lay.top + lay.totalH + LEGEND_H - height) < 1e-6;
    assert.ok(tight, `${rows}x${cols} in ${width}x${height}: the cells are as large as fits`);
    assert.deepEqual(lay.titleBox, { x: 0, y: 0, w: width, h: TITLE_H });
    assert.equal(lay.legendBox.y, lay.top + lay.totalH);
    assert.ok(lay.legendBox.x + lay.legendBox.w <= width);
    assert.deepEqual(visibleRange(lay, rows, cols, { sx: 0, sy: 0, w: lay.totalW, h: lay.totalH }), { r0: 0, r1: rows, c0: 0, c1: cols }, "all of it is visible");
  }
  const bare = fitLayout({ rows: 4, cols: 4, width: 100, height: 100, rowLabelW: 0, colLabelW: 0 });
  assert.deepEqual([bare.top, bare.titleBox, bare.legendBox], [0, null, null]);
});
