// Heatmap input: pointer hover and clicks, the keyboard cell cursor, focus, activation, and what is
// reported to onCell. Owns that state; the host (index.js) draws and scrolls.
//
// Contract: createInput({canvas, scroller, tbody, table}, host, {onCell, onActivate}) ->
//   {cursor, hover (getters), baseCell(), report(force), fit(), focusCell(row, col), destroy()}
// host = {size() -> {rows, cols, highlightRow}, valueAt(row, col), cellAt(clientX, clientY),
//         pageRows(), scrollTo(cell), syncTable(), draw(), announce(cell)}; table = table.js's twin.
// - The reported cell is the hovered cell if the mouse is over one, else the cursor when it is
//   "kept" (set by click, keyboard, focusCell or the table) or the canvas has keyboard focus
//   (:focus-visible), else null. onCell({row, col, value} | null) fires when it changes (value
//   compared with Object.is); report(true), focusCell and clicks always fire.
// - Canvas keys: arrows move (Ctrl/⌘: to the edge), Home/End: ends of the row, Ctrl+Home/End: first
//   and last cell, PageUp/PageDown: pageRows(), Enter/Space: onActivate (not on key repeat),
//   Escape: release the cursor (only when there is one). Handled keys get preventDefault() and
//   stopPropagation(); Alt+key is left alone. Keyboard moves are announced (host.announce).
// - Pointer: mouse/pen hover (touch has none); a click/tap on a cell pins it and activates it.
//   Scrolling re-reads the cell under a still mouse.
// - Table twin: focusing or clicking a td moves and keeps the cursor; Enter/Space on it activates.
// - fit(): after an update, clamps the cursor into the new size and drops a hover outside it.

import { clampInt } from "./layout.js";

const samePlace = (a, b) => a === b || (a && b && a.row === b.row && a.col === b.col);

export function createInput({ canvas, scroller, tbody, table }, host, { onCell, onActivate } = {}) {
  let cursor = null; // {row, col}
  let lastCursor = null;
  let kept = false; // cursor set by click / keyboard / focusCell / table: reported even without focus
  let focusedKb = false; // canvas has keyboard focus (:focus-visible)
  let hover = null;
  let lastPointer = null; // {x, y} client coords of a mouse over the canvas
  let reported; // last value passed to onCell (undefined = never)
  let lastTdFocus = { td: null, t: 0 };

  const hasCells = () => {
    const { rows, cols } = host.size();
    return rows > 0 && cols > 0;
  };
  const cellObj = (p) => (p ? { row: p.row, col: p.col, value: host.valueAt(p.row, p.col) } : null);

  /** Where the cursor starts: where it was last, else the highlighted row's first cell, else (0, 0). */
  function baseCell() {
    const { rows, cols, highlightRow: hr } = host.size();
    if (lastCursor && lastCursor.row < rows && lastCursor.col < cols) return { ...lastCursor };
    return { row: Number.isInteger(hr) && hr >= 0 && hr < rows ? hr : 0, col: 0 };
  }

  function report(force = false) {
    const c = cellObj(hover || ((kept || focusedKb) && cursor ? cursor : null));
    const same =
      reported !== undefined &&
      (c === null
        ? reported === null
        : reported !== null && reported.row === c.row && reported.col === c.col && Object.is(reported.value, c.value));
    if (same && !force) return;
    reported = c;
    if (typeof onCell === "function") onCell(c ? { ...c } : null);
  }

  function activate(p) {
    if (p && typeof onActivate === "function") onActivate(cellObj(p));
  }

  function setCursor(p, { scroll = true } = {}) {
    cursor = p ? { row: p.row, col: p.col } : null;
    if (cursor) lastCursor = { ...cursor };
    if (scroll && cursor) host.scrollTo(cursor);
    host.syncTable();
    host.draw();
  }

  function keyboardTo(p) {
    const { rows, cols } = host.size();
    const q = { row: clampInt(p.row, 0, rows - 1), col: clampInt(p.col, 0, cols - 1) };
    kept = true;
    hover = null;
    setCursor(q);
    report();
    host.announce(q);
  }

  function moveBy(dr, dc, e) {
    const { rows, cols } = host.size();
    const from = cursor || baseCell();
    let row = from.row;
    let col = from.col;
    if (cursor) {
      const edge = e.ctrlKey || e.metaKey;
      row = edge ? (dr < 0 ? 0 : dr > 0 ? rows - 1 : row) : row + dr;
      col = edge ? (dc < 0 ? 0 : dc > 0 ? cols - 1 : col) : col + dc;
    }
    keyboardTo({ row, col });
  }

  function onKey(e) {
    if (e.altKey || !hasCells()) return;
    const { rows, cols } = host.size();
    const p = cursor || baseCell();
    const edge = e.ctrlKey || e.metaKey;
    let handled = true;
    switch (e.key) {
      case "ArrowUp": moveBy(-1, 0, e); break;
      case "ArrowDown": moveBy(1, 0, e); break;
      case "ArrowLeft": moveBy(0, -1, e); break;
      case "ArrowRight": moveBy(0, 1, e); break;
      case "Home": keyboardTo(edge ? { row: 0, col: 0 } : { row: p.row, col: 0 }); break;
      case "End": keyboardTo(edge ? { row: rows - 1, col: cols - 1 } : { row: p.row, col: cols - 1 }); break;
      case "PageUp": keyboardTo({ row: p.row - host.pageRows(), col: p.col }); break;
      case "PageDown": keyboardTo({ row: p.row + host.pageRows(), col: p.col }); break;
      case "Enter":
      case " ":
      case "Spacebar":
        if (e.repeat) break;
        if (!cursor) setCursor(p);
        kept = true;
        hover = null;
        host.draw();
        report();
        activate(cursor);
        break;
      case "Escape":
        if (!cursor && !kept) {
          handled = false;
          break;
        }
        kept = false;
        lastCursor = cursor;
        cursor = null;
        hover = null;
        focusedKb = false;
        host.syncTable();
        host.draw();
        report();
        break;
      default:
        handled = false;
    }
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  }

  function onFocus() {
    let kb = true;
    try {
      kb = canvas.matches(":focus-visible");
    } catch {
      /* old browser: treat as keyboard focus */
    }
    if (!kb || !hasCells()) return;
    focusedKb = true;
    if (!cursor) setCursor(baseCell());
    else host.scrollTo(cursor);
    host.draw();
    report();
    host.announce(cursor);
  }

  function onBlur() {
    focusedKb = false;
    report();
  }

  function setHover(p) {
    if (samePlace(p, hover)) return false;
    hover = p;
    host.draw();
    report();
    return true;
  }

  function onPointerMove(e) {
    if (e.pointerType === "touch") return;
    lastPointer = { x: e.clientX, y: e.clientY };
    setHover(host.cellAt(e.clientX, e.clientY));
  }

  function onPointerLeave() {
    lastPointer = null;
    setHover(null);
  }

  function onClick(e) {
    const p = host.cellAt(e.clientX, e.clientY);
    if (!p) return;
    kept = true;
    hover = e.pointerType === "mouse" || e.pointerType === "pen" ? p : null;
    setCursor(p, { scroll: false });
    report(true);
    activate(p);
  }

  function onScroll() {
    if (lastPointer && setHover(host.cellAt(lastPointer.x, lastPointer.y))) return;
    host.draw();
  }

  function onTableFocus(e) {
    const c = table.cellOf(e.target);
    if (!c) return;
    lastTdFocus = { td: c.td, t: Date.now() };
    kept = true;
    hover = null;
    setCursor(c, { scroll: false });
    report();
  }

  function onTableClick(e) {
    const c = table.cellOf(e.target);
    if (!c) return;
    const justFocused = lastTdFocus.td === c.td && Date.now() - lastTdFocus.t < 1000;
    kept = true;
    hover = null;
    setCursor(c, { scroll: false });
    report(!justFocused);
  }

  function onTableKey(e) {
    if (e.key !== "Enter" && e.key !== " ") return;
    const c = table.cellOf(e.target);
    if (!c) return;
    e.preventDefault();
    kept = true;
    setCursor(c, { scroll: false });
    report();
    activate(c);
  }

  const listeners = [
    [canvas, "keydown", onKey],
    [canvas, "focus", onFocus],
    [canvas, "blur", onBlur],
    [canvas, "pointermove", onPointerMove],
    [canvas, "pointerleave", onPointerLeave],
    [canvas, "click", onClick],
    [scroller, "scroll", onScroll, { passive: true }],
    [tbody, "focusin", onTableFocus],
    [tbody, "click", onTableClick],
    [tbody, "keydown", onTableKey],
  ];
  for (const [el, type, fn, opts] of listeners) el.addEventListener(type, fn, opts);

  function fit() {
    const { rows, cols } = host.size();
    if (rows <= 0 || cols <= 0) {
      cursor = null;
      hover = null;
      return;
    }
    if (cursor) cursor = { row: Math.min(cursor.row, rows - 1), col: Math.min(cursor.col, cols - 1) };
    if (hover && (hover.row >= rows || hover.col >= cols)) hover = null;
  }

  function focusCell(row, col) {
    if (!hasCells()) return;
    const { rows, cols } = host.size();
    kept = true;
    hover = null;
    setCursor({ row: clampInt(Number(row) || 0, 0, rows - 1), col: clampInt(Number(col) || 0, 0, cols - 1) });
    report(true);
  }

  function destroy() {
    for (const [el, type, fn, opts] of listeners) el.removeEventListener(type, fn, opts);
  }

  return {
    get cursor() {
      return cursor;
    },
    get hover() {
      return hover;
    },
    baseCell,
    report,
    fit,
    focusCell,
    destroy,
  };
}
