// Heatmap table twin: the same values as a plain <table> for screen readers and the "Show as table"
// view. Builds its elements with the document it is given (nothing at import time).
//
// Contract: createTable(doc) -> {table, tbody, render(view, forceFill), markCursor(cursor), cellOf(target)}
// - table: table.ap-hm-table > caption.ap-hm-caption (the title), thead (td.ap-hm-corner,
//   th[scope=col] per column label), tbody (tr, .ap-hm-highlight on the highlighted row >
//   th[scope=row], td[data-row][data-col][data-value] with tabindex=-1).
// - render(view, forceFill): view = {rows, cols, data, codes, lut, rowLabels, colLabels, title,
//   highlightRow, digits, cursor, focus, shown}. A dimension over TABLE_FULL_MAX gets a window of
//   TABLE_WINDOW around `focus` (re-centred when focus leaves it) and the caption says which part it
//   shows. Elements are rebuilt only when the window's size changes; otherwise text nodes and
//   attributes are edited in place, and only when the window moved or forceFill is set (else only
//   the cursor mark moves). data-value is String(value) ("-Infinity" when masked); the text is
//   formatValue(value, digits). Cells get palette colours (style) only while `shown`.
// - markCursor(cursor): class ap-hm-cursor on the cursor's td (when inside the window), off the old.
// - cellOf(target) -> {row, col, td} | null: the cell of an event target inside this tbody.

import { CODE_MASKED, LUT_SIZE } from "./palette.js";
import { tableWindow } from "./layout.js";
import { displayLabel, formatValue } from "./text.js";

/** Sets a node's only text child, writing only when it differs. */
function setText(node, text) {
  const t = node.firstChild;
  if (t.data !== text) t.data = text;
}

export function createTable(doc) {
  const table = doc.createElement("table");
  table.className = "ap-hm-table";
  const caption = doc.createElement("caption");
  caption.className = "ap-hm-caption";
  const thead = doc.createElement("thead");
  const tbody = doc.createElement("tbody");
  table.append(caption, thead, tbody);

  let shape = { nr: -1, nc: -1 };
  let win = { r0: 0, c0: 0, nr: 0, nc: 0 };
  let size = { rows: 0, cols: 0 };
  let colThs = [];
  let rowTrs = [];
  let rowThs = [];
  let tds = [];
  let cursorTd = null;
  // What the window's cells show, to skip those whose value and colour code did not change:
  // {values, codes, digits, shown}, or null after a rebuild or a move of the window.
  let held = null;

  function build(nr, nc) {
    const hr = doc.createElement("tr");
    const corner = doc.createElement("td");
    corner.className = "ap-hm-corner";
    hr.append(corner);
    colThs = [];
    for (let j = 0; j < nc; j++) {
      const th = doc.createElement("th");
      th.scope = "col";
      th.append(doc.createTextNode(""));
      colThs.push(th);
      hr.append(th);
    }
    const frag = doc.createDocumentFragment();
    rowTrs = [];
    rowThs = [];
    tds = new Array(nr * nc);
    for (let i = 0; i < nr; i++) {
      const tr = doc.createElement("tr");
      const th = doc.createElement("th");
      th.scope = "row";
      th.append(doc.createTextNode(""));
      tr.append(th);
      for (let j = 0; j < nc; j++) {
        const td = doc.createElement("td");
        td.tabIndex = -1;
        td.append(doc.createTextNode(""));
        tds[i * nc + j] = td;
        tr.append(td);
      }
      rowTrs.push(tr);
      rowThs.push(th);
      frag.append(tr);
    }
    thead.replaceChildren(hr);
    tbody.replaceChildren(frag);
    shape = { nr, nc };
    cursorTd = null;
    held = null;
  }

  // Cheap on purpose: text nodes are edited in place, attributes written only when they change
  // (row/col only when the window moved), and a cell whose value and colour are those it shows
  // is passed over, so re-filling a 32x32 table costs a few ms of DOM work at most.
  function fill(v, indices) {
    const { r0, nr, c0, nc } = win;
    const title = v.title || "Heatmap";
    caption.textContent =
      nr < v.rows || nc < v.cols
        ? `${title} (showing rows ${r0 + 1}\u2013${r0 + nr} and columns ${c0 + 1}\u2013${c0 + nc} ` +
          `of ${v.rows}\u00d7${v.cols}; the table follows the cell cursor)`
        : title;
    for (let j = 0; j < nc; j++) setText(colThs[j], displayLabel(v.colLabels[c0 + j], c0 + j));
    const { cols, data, codes, lut, digits, highlightRow: hr } = v;
    const known = !indices && held && held.digits === digits && held.shown === v.shown;
    if (!known) held = { values: new Float64Array(nr * nc), codes: new Uint16Array(nr * nc), digits, shown: v.shown };
    const colStr = [];
    for (let j = 0; j < nc; j++) colStr.push(String(c0 + j));
    for (let i = 0; i < nr; i++) {
      const r = r0 + i;
      setText(rowThs[i], displayLabel(v.rowLabels[r], r));
      const tr = rowTrs[i];
      if ((r === hr) !== tr.classList.contains("ap-hm-highlight")) tr.classList.toggle("ap-hm-highlight", r === hr);
      const rs = String(r);
      for (let j = 0; j < nc; j++) {
        const k = r * cols + c0 + j;
        const td = tds[i * nc + j];
        const value = data[k];
        const code = codes[k];
        const h = i * nc + j;
        const was = held.values[h];
        if (known && held.codes[h] === code && (was === value || (was !== was && value !== value))) continue;
        held.values[h] = value;
        held.codes[h] = code;
        if (indices) {
          td.setAttribute("data-row", rs);
          td.setAttribute("data-col", colStr[j]);
        }
        const full = String(value);
        if (td.getAttribute("data-value") !== full) td.setAttribute("data-value", full);
        setText(td, formatValue(value, digits));
        const masked = code === CODE_MASKED;
        if (masked !== td.classList.contains("ap-hm-masked")) td.classList.toggle("ap-hm-masked", masked);
        if (v.shown && code < LUT_SIZE) {
          td.style.backgroundColor = lut.fill[code];
          td.style.color = lut.text[code];
        } else if (td.style.backgroundColor || td.style.color) {
          td.style.backgroundColor = "";
          td.style.color = "";
        }
      }
    }
  }

  function markCursor(cursor) {
    let td = null;
    if (cursor) {
      const i = cursor.row - win.r0;
      const j = cursor.col - win.c0;
      if (i >= 0 && j >= 0 && i < win.nr && j < win.nc) td = tds[i * win.nc + j];
    }
    if (td === cursorTd) return;
    if (cursorTd) cursorTd.classList.remove("ap-hm-cursor");
    if (td) td.classList.add("ap-hm-cursor");
    cursorTd = td;
  }

  function render(v, forceFill = false) {
    size = { rows: v.rows, cols: v.cols };
    const rw = tableWindow(v.rows, v.focus.row, win.r0);
    const cw = tableWindow(v.cols, v.focus.col, win.c0);
    const moved = rw.start !== win.r0 || cw.start !== win.c0;
    win = { r0: rw.start, nr: rw.count, c0: cw.start, nc: cw.count };
    let rebuilt = false;
    if (shape.nr !== rw.count || shape.nc !== cw.count) {
      build(rw.count, cw.count);
      rebuilt = true;
    }
    if (rebuilt || moved || forceFill) fill(v, rebuilt || moved);
    markCursor(v.cursor);
  }

  function cellOf(target) {
    const td = target && target.closest ? target.closest("td[data-row]") : null;
    if (!td || !tbody.contains(td)) return null;
    const row = Number(td.dataset.row);
    const col = Number(td.dataset.col);
    return row < size.rows && col < size.cols ? { row, col, td } : null;
  }

  return { table, tbody, render, markCursor, cellOf };
}
