// Unit tests for www/js/components/heatmap/input.js with fake elements and a recording host
// (node --test, no browser).
import test from "node:test";
import assert from "node:assert/strict";
import { createInput } from "../../www/js/components/heatmap/input.js";

function fakeElement() {
  const listeners = new Map();
  return {
    focusVisible: true,
    addEventListener: (type, fn) => listeners.set(type, [...(listeners.get(type) || []), fn]),
    removeEventListener: (type, fn) => listeners.set(type, (listeners.get(type) || []).filter((f) => f !== fn)),
    matches(selector) {
      assert.equal(selector, ":focus-visible");
      return this.focusVisible;
    },
    fire(type, init = {}) {
      const e = { prevented: false, stopped: false, preventDefault() { this.prevented = true; }, stopPropagation() { this.stopped = true; }, ...init };
      for (const fn of listeners.get(type) || []) fn(e);
      return e;
    },
    count: () => [...listeners.values()].reduce((n, l) => n + l.length, 0),
  };
}

/** A heatmap of rows x cols whose value at (r, c) is r * 100 + c; 10 CSS px cells from client (0, 0). */
function setup({ rows = 6, cols = 8, highlightRow = null } = {}) {
  const canvas = fakeElement();
  const scroller = fakeElement();
  const tbody = fakeElement();
  const size = { rows, cols, highlightRow };
  const seen = { cells: [], activated: [], announced: [], scrolled: [], draws: 0, tables: 0 };
  const host = {
    size: () => size,
    valueAt: (r, c) => r * 100 + c,
    cellAt: (x, y) => {
      const row = Math.floor(y / 10);
      const col = Math.floor(x / 10);
      return x >= 0 && y >= 0 && row < size.rows && col < size.cols ? { row, col } : null;
    },
    pageRows: () => 3,
    scrollTo: (p) => seen.scrolled.push({ ...p }),
    syncTable: () => seen.tables++,
    draw: () => seen.draws++,
    announce: (p) => p && seen.announced.push(`${p.row},${p.col}`),
  };
  const table = { cellOf: (target) => (target && target.cell ? { ...target.cell, td: target } : null) };
  const input = createInput({ canvas, scroller, tbody, table }, host, {
    onCell: (c) => seen.cells.push(c),
    onActivate: (c) => seen.activated.push(c),
  });
  const key = (k, mods = {}) => canvas.fire("keydown", { key: k, ...mods });
  return { canvas, scroller, tbody, size, seen, input, key };
}

const at = (row, col) => ({ row, col, value: row * 100 + col });

test("keyboard focus puts the cursor on the highlighted row and reports it", () => {
  const { canvas, seen, input } = setup({ highlightRow: 3 });
  canvas.fire("focus");
  assert.deepEqual(input.cursor, { row: 3, col: 0 });
  assert.deepEqual(seen.cells, [at(3, 0)]);
  assert.deepEqual(seen.announced, ["3,0"]);
  canvas.fire("blur");
  assert.deepEqual(seen.cells.at(-1), null, "not kept: focus gone, nothing reported");
  // a mouse focus (not :focus-visible) does not start the cursor
  const m = setup();
  m.canvas.focusVisible = false;
  m.canvas.fire("focus");
  assert.equal(m.input.cursor, null);
  assert.deepEqual(m.seen.cells, []);
});

test("arrow keys, Ctrl+arrows, Home/End, Ctrl+Home/End and PageUp/PageDown move the cursor, clamped", () => {
  const { key, input, seen } = setup();
  let e = key("ArrowDown");
  assert.deepEqual(input.cursor, { row: 0, col: 0 }, "the first key only places the cursor");
  assert.ok(e.prevented && e.stopped, "handled keys are kept from page shortcuts");
  key("ArrowDown");
  key("ArrowRight");
  assert.deepEqual(input.cursor, { row: 1, col: 1 });
  key("ArrowUp");
  key("ArrowUp");
  key("ArrowLeft");
  key("ArrowLeft");
  assert.deepEqual(input.cursor, { row: 0, col: 0 }, "clamped at the edges");
  key("ArrowRight", { ctrlKey: true });
  assert.deepEqual(input.cursor, { row: 0, col: 7 });
  key("ArrowDown", { metaKey: true });
  assert.deepEqual(input.cursor, { row: 5, col: 7 });
  key("Home");
  assert.deepEqual(input.cursor, { row: 5, col: 0 });
  key("End");
  assert.deepEqual(input.cursor, { row: 5, col: 7 });
  key("Home", { ctrlKey: true });
  assert.deepEqual(input.cursor, { row: 0, col: 0 });
  key("End", { ctrlKey: true });
  assert.deepEqual(input.cursor, { row: 5, col: 7 });
  key("PageUp");
  assert.deepEqual(input.cursor, { row: 2, col: 7 });
  key("PageUp");
  assert.deepEqual(input.cursor, { row: 0, col: 7 });
  key("PageDown");
  assert.deepEqual(input.cursor, { row: 3, col: 7 });
  assert.deepEqual(seen.cells.at(-1), at(3, 7), "keyboard moves are reported");
  assert.equal(seen.announced.at(-1), "3,7", "and announced");
  assert.deepEqual(seen.scrolled.at(-1), { row: 3, col: 7 }, "and scrolled into view");
  e = key("a");
  assert.ok(!e.prevented && !e.stopped, "other keys pass");
  e = key("ArrowDown", { altKey: true });
  assert.ok(!e.prevented, "Alt+arrow is left to the browser");
  assert.deepEqual(input.cursor, { row: 3, col: 7 });
});

test("Enter and Space activate the cursor cell (not on key repeat); Escape releases it", () => {
  const { key, seen, input } = setup();
  key("ArrowRight");
  key("ArrowRight");
  key("Enter");
  assert.deepEqual(seen.activated, [at(0, 1)]);
  key(" ");
  assert.equal(seen.activated.length, 2);
  key("Enter", { repeat: true });
  assert.equal(seen.activated.length, 2);
  let e = key("Escape");
  assert.ok(e.prevented);
  assert.equal(input.cursor, null);
  assert.equal(seen.cells.at(-1), null);
  e = key("Escape");
  assert.ok(!e.prevented, "nothing to release: Escape passes");
  key("ArrowDown");
  assert.deepEqual(input.cursor, { row: 0, col: 1 }, "the cursor comes back where it was");
  // Enter with no cursor places it and activates
  const fresh = setup({ highlightRow: 2 });
  fresh.key("Enter");
  assert.deepEqual(fresh.seen.activated, [at(2, 0)]);
});

test("hover reports the cell under the mouse; leaving reports the kept cursor or nothing", () => {
  const { canvas, seen, input } = setup();
  canvas.fire("pointermove", { pointerType: "mouse", clientX: 25, clientY: 15 });
  assert.deepEqual(seen.cells, [at(1, 2)]);
  canvas.fire("pointermove", { pointerType: "mouse", clientX: 27, clientY: 18 });
  assert.equal(seen.cells.length, 1, "same cell: no duplicate report");
  canvas.fire("pointermove", { pointerType: "touch", clientX: 55, clientY: 15 });
  assert.equal(seen.cells.length, 1, "touch has no hover");
  canvas.fire("pointerleave");
  assert.deepEqual(seen.cells, [at(1, 2), null]);
  // a click pins the cell: leaving then reports it
  canvas.fire("click", { pointerType: "mouse", clientX: 45, clientY: 35 });
  assert.deepEqual(seen.activated, [at(3, 4)]);
  assert.deepEqual(input.cursor, { row: 3, col: 4 });
  assert.deepEqual(input.hover, { row: 3, col: 4 });
  canvas.fire("click", { pointerType: "mouse", clientX: 45, clientY: 35 });
  assert.deepEqual(seen.cells.slice(-2), [at(3, 4), at(3, 4)], "clicks always report");
  canvas.fire("pointermove", { pointerType: "mouse", clientX: 5, clientY: 5 });
  canvas.fire("pointerleave");
  assert.deepEqual(seen.cells.slice(-2), [at(0, 0), at(3, 4)]);
  assert.equal(seen.scrolled.length, 0, "clicks do not scroll");
  // a tap pins and activates without hover
  canvas.fire("click", { pointerType: "touch", clientX: 5, clientY: 55 });
  assert.equal(input.hover, null);
  assert.deepEqual(seen.activated.at(-1), at(5, 0));
  canvas.fire("click", { pointerType: "mouse", clientX: 500, clientY: 5 });
  assert.deepEqual(seen.activated.at(-1), at(5, 0), "a click off the cells does nothing");
});

test("scrolling under a still mouse re-reads the hovered cell", () => {
  const { canvas, scroller, seen } = setup();
  canvas.fire("pointermove", { pointerType: "mouse", clientX: 5, clientY: 5 });
  const draws = seen.draws;
  scroller.fire("scroll");
  assert.equal(seen.draws, draws + 1, "redrawn");
  assert.equal(seen.cells.length, 1);
});

test("the table twin: focusing a cell keeps it, Enter activates it", () => {
  const { tbody, seen, input } = setup();
  const td = { cell: { row: 2, col: 3 } };
  tbody.fire("focusin", { target: td });
  assert.deepEqual(input.cursor, { row: 2, col: 3 });
  assert.deepEqual(seen.cells, [at(2, 3)]);
  tbody.fire("click", { target: td });
  assert.equal(seen.cells.length, 1, "the click that focused it does not report twice");
  const e = tbody.fire("keydown", { key: "Enter", target: td });
  assert.ok(e.prevented);
  assert.deepEqual(seen.activated, [at(2, 3)]);
  tbody.fire("keydown", { key: "x", target: td });
  tbody.fire("focusin", { target: {} });
  assert.equal(seen.activated.length, 1);
  assert.deepEqual(input.cursor, { row: 2, col: 3 });
});

test("fit() clamps the cursor into a smaller matrix; focusCell moves, clamps and always reports", () => {
  const { input, size, seen } = setup();
  input.focusCell(4, 6);
  assert.deepEqual(input.cursor, { row: 4, col: 6 });
  input.focusCell(4, 6);
  assert.deepEqual(seen.cells, [at(4, 6), at(4, 6)]);
  size.rows = 3;
  size.cols = 2;
  input.fit();
  assert.deepEqual(input.cursor, { row: 2, col: 1 });
  input.focusCell(99, -5);
  assert.deepEqual(input.cursor, { row: 2, col: 0 });
  size.rows = 0;
  input.fit();
  assert.equal(input.cursor, null);
  input.focusCell(0, 0);
  assert.equal(input.cursor, null, "no cells: nothing to focus");
});

test("destroy removes every listener", () => {
  const { canvas, scroller, tbody, input } = setup();
  assert.ok(canvas.count() > 0 && scroller.count() > 0 && tbody.count() > 0);
  input.destroy();
  assert.equal(canvas.count() + scroller.count() + tbody.count(), 0);
});
