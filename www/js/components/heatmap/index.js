// Heatmap component: one matrix drawn on a <canvas>, tokens on both axes, a plain <table> twin
// for screen readers (and a "Show as table" toggle), a keyboard cell cursor, hover reporting.
// No framework, no innerHTML anywhere: labels are user text and only ever reach the page through
// textContent or canvas fillText. Contract: README.md next to this file.
//
// This file composes the parts: palette.js (colours), layout.js (sizes, visible window, hit
// testing), paint.js (drawing), table.js (the table twin), input.js (pointer, keys, focus); it owns
// the DOM skeleton, the spec, the theme read from CSS and the canvas size.
//
// update() reads nothing from the layout: the page's other views change the DOM just before it,
// so one read there (a box's clientWidth, a computed style, a scroll offset) would lay the whole
// page out inside the update. The box's size and the theme are read when they may have changed
// (the box resized, the window resized, the colour scheme changed, the table hidden again), the
// scroll offsets are kept from the box's scroll events, and clientBox (layout.js) tells which
// scrollbars the new grid brings.

import { encode, lut as paletteLut, paletteName } from "./palette.js";
import { MAX_CELL, cellAt, clientBox, pageRows, screenLayout, scrollToShow, zoomSteps } from "./layout.js";
import { DEFAULT_THEME, createFitter, measureLabels, paintGrid } from "./paint.js";
import { createTable } from "./table.js";
import { createInput } from "./input.js";
import { LABEL_CHARS, describeCell, displayLabel } from "./text.js";

export { colour } from "./palette.js";
export { MINUS_INFINITY, formatValue } from "./text.js";

let instances = 0;

/**
 * createHeatmap(container, {onCell, onActivate}) → {update(spec), focusCell(row, col), destroy()}
 */
export function createHeatmap(container, { onCell, onActivate } = {}) {
  if (!container || typeof container.appendChild !== "function") {
    throw new TypeError("createHeatmap: container must be an element");
  }
  const doc = container.ownerDocument;
  const win = doc.defaultView || window;
  const uid = `ap-hm-${++instances}`;

  const make = (tag, cls, attrs = {}) => {
    const e = doc.createElement(tag);
    if (cls) e.className = cls;
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  };

  // ---- DOM -------------------------------------------------------------------------------------
  container.replaceChildren();
  container.classList.add("ap-hm");
  const bar = make("div", "ap-hm-bar");
  const toggle = make("button", "ap-hm-toggle", { type: "button", "aria-controls": `${uid}-table` });
  toggle.textContent = "Show as table";
  // Zoom: 1 is the fitted view (the whole matrix, or readable rows of a wide one); each step
  // doubles the cells (the box then scrolls); zooming out of a wide matrix shows all of it.
  const zoomOut = make("button", "ap-hm-zoom", { type: "button", "aria-label": "Zoom out" });
  const zoomFit = make("button", "ap-hm-zoom", { type: "button", "aria-label": "Reset the zoom to 1×" });
  const zoomIn = make("button", "ap-hm-zoom", { type: "button", "aria-label": "Zoom in" });
  zoomOut.textContent = "−";
  zoomFit.textContent = "1×";
  zoomIn.textContent = "+";
  const zoomBox = make("span", "ap-hm-zoombox", { role: "group", "aria-label": "Zoom" });
  zoomBox.append(zoomOut, zoomFit, zoomIn);
  bar.append(zoomBox, toggle);

  const scroller = make("div", "ap-hm-scroll");
  const stage = make("div", "ap-hm-stage");
  const canvas = make("canvas", "ap-hm-canvas", {
    tabindex: "0",
    role: "img",
    "aria-label": "Heatmap",
    "aria-describedby": `${uid}-help`,
  });
  stage.append(canvas);
  scroller.append(stage);

  const help = make("span", "ap-hm-visually-hidden", { id: `${uid}-help` });
  help.textContent =
    "Arrow keys move the cell cursor, Home and End go to the ends of the row, Page Up and Page Down " +
    "move by a screenful, Enter or Space activates the cell, Escape releases it. " +
    "The same values are in the table that follows.";
  const live = make("div", "ap-hm-visually-hidden ap-hm-live", { "aria-live": "polite", "aria-atomic": "true" });

  const tableWrap = make("div", "ap-hm-table-wrap ap-hm-visually-hidden", { id: `${uid}-table` });
  const twin = createTable(doc);
  tableWrap.append(twin.table);

  container.append(bar, scroller, help, live, tableWrap);
  // Drawn through an OffscreenCanvas where the browser has one: setting the font of a canvas in the
  // page makes the browser compute the page's styles and lay it out first; an OffscreenCanvas's
  // font needs neither.
  const surface = typeof canvas.transferControlToOffscreen === "function" ? canvas.transferControlToOffscreen() : canvas;
  const ctx = surface.getContext("2d", { alpha: true });

  // ---- state -----------------------------------------------------------------------------------
  const spec = {
    rows: 0,
    cols: 0,
    data: new Float32Array(0),
    rowLabels: [],
    colLabels: [],
    palette: "sequential",
    title: "",
    highlightRow: null,
    digits: 2,
    clip: null, // diverging: scale to this quantile of |value| (null: the largest)
  };
  let codes = new Uint16Array(0); // per cell: palette code (palette.js)
  let tableShown = false;
  let zoom = 1; // 1: the whole matrix fits the box
  let image = null; // the offscreen canvas small cells are drawn through
  let destroyed = false;
  // layout (CSS px): grid, visible box {cw, ch}, box width W, device pixel ratio
  let lay = { L: 0, T: 0, cell: 0, totalW: 0, totalH: 0 };
  let box = { W: 0, cw: 0, ch: 0, dpr: 1 };
  // The scroll box as measured (null: measure at the next layout): {width: its inner width without
  // a scrollbar, maxHeight, bar: a scrollbar's thickness, dpr}; and its scroll offsets.
  let metrics = null;
  let scrolled = { sx: 0, sy: 0 };
  let barPx = null; // a scrollbar's thickness, measured once
  let theme = null;
  let labelW = { row: 0, col: 0 };
  let measuredKey = null; // label text the widths were measured for (null: measure again)
  const fit = createFitter();

  const hasCells = () => spec.rows > 0 && spec.cols > 0;
  const valueAt = (r, c) => spec.data[r * spec.cols + c];
  const view = () => ({ sx: scrolled.sx, sy: scrolled.sy, w: box.cw, h: box.ch });
  const labelKey = (labels, n) => {
    let k = String(n);
    for (let i = 0; i < n; i++) k += "\u0000" + String(labels[i] ?? i).slice(0, LABEL_CHARS);
    return k;
  };

  // ---- what is read from the layout and the styles (never in update) ----------------------------
  /** The theme: the CSS custom properties. */
  function readTheme() {
    const cs = win.getComputedStyle(container);
    const v = (name, fb) => cs.getPropertyValue(name).trim() || fb;
    const fg = v("--ap-hm-fg", cs.color || DEFAULT_THEME.fg);
    theme = {
      fg,
      bg: v("--ap-hm-bg", DEFAULT_THEME.bg),
      muted: v("--ap-hm-muted", fg),
      line: v("--ap-hm-line", DEFAULT_THEME.line),
      accent: v("--ap-hm-accent", DEFAULT_THEME.accent),
      maskBg: v("--ap-hm-masked-bg", DEFAULT_THEME.maskBg),
      maskLine: v("--ap-hm-masked-line", DEFAULT_THEME.maskLine),
      maskText: v("--ap-hm-masked-fg", DEFAULT_THEME.maskText),
      family: cs.fontFamily || DEFAULT_THEME.family,
    };
  }

  /** A scrollbar's thickness here (0 where scrollbars overlay the content): a scrolling probe's. */
  function scrollbar() {
    const probe = make("div");
    for (const [k, v] of [["position", "absolute"], ["visibility", "hidden"], ["overflow", "scroll"], ["width", "100px"], ["height", "100px"]]) probe.style.setProperty(k, v);
    container.append(probe);
    const w = probe.offsetWidth - probe.clientWidth;
    probe.remove();
    return w;
  }

  /** The scroll box without the grid's scrollbars (see `metrics`), and the theme with it. */
  function measure() {
    const cs = win.getComputedStyle(scroller);
    const border = (parseFloat(cs.borderLeftWidth) || 0) + (parseFloat(cs.borderRightWidth) || 0);
    const maxH = parseFloat(cs.maxHeight);
    const width = Math.max(0, scroller.offsetWidth - border);
    if (width && barPx === null) barPx = scrollbar();
    readTheme();
    return { width, maxHeight: Number.isFinite(maxH) ? maxH : Infinity, bar: barPx ?? 0, dpr: win.devicePixelRatio || 1 };
  }

  /** The box may have changed (resized, a window resize): measure it, and lay out again if it did. */
  function remeasure() {
    if (destroyed || tableShown) return;
    const was = metrics;
    metrics = measure();
    if (!was || was.width !== metrics.width || was.maxHeight !== metrics.maxHeight || was.dpr !== metrics.dpr) layout();
  }

  // ---- layout & drawing ------------------------------------------------------------------------
  function size(W) {
    lay = screenLayout({ rows: spec.rows, cols: spec.cols, width: W, height: metrics.maxHeight, rowLabelW: labelW.row, colLabelW: labelW.col, zoom });
    const steps = zoomSteps(lay.fit, lay.whole);
    zoomIn.disabled = lay.cell >= MAX_CELL;
    zoomOut.disabled = lay.cell <= lay.whole;
    zoomFit.disabled = zoom === 1;
    zoomBox.hidden = steps.length === 1;
    stage.style.width = `${lay.totalW}px`;
    stage.style.height = `${lay.totalH}px`;
  }

  function layout() {
    if (destroyed || tableShown) return;
    metrics ??= measure();
    const W0 = metrics.width;
    if (!W0) return;
    const key = labelKey(spec.rowLabels, spec.rows) + "\u0001" + labelKey(spec.colLabels, spec.cols);
    if (key !== measuredKey) {
      labelW = measureLabels(ctx, spec.rows, spec.cols, spec.rowLabels, spec.colLabels, theme.family);
      measuredKey = key;
    }
    const dpr = metrics.dpr;
    size(W0);
    // a vertical scrollbar comes with the new height: fit once more to what it leaves
    let inside = clientBox(lay, metrics);
    if (inside.w < W0) {
      size(inside.w);
      inside = clientBox(lay, metrics);
    }
    const W = inside.w;
    const cw = Math.min(lay.totalW, W);
    const ch = Math.min(lay.totalH, inside.h);
    box = { W, cw, ch, dpr };
    // the browser keeps the scroll offsets inside the new grid
    scrolled = { sx: Math.min(scrolled.sx, Math.max(0, lay.totalW - W)), sy: Math.min(scrolled.sy, Math.max(0, lay.totalH - inside.h)) };
    const bw = Math.max(1, Math.round(cw * dpr));
    const bh = Math.max(1, Math.round(ch * dpr));
    if (surface.width !== bw) surface.width = bw;
    if (surface.height !== bh) surface.height = bh;
    canvas.style.width = `${cw}px`;
    canvas.style.height = `${ch}px`;
    draw();
  }

  function draw() {
    if (destroyed || tableShown || !box.W || !theme) return;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, surface.width, surface.height);
    paintGrid(ctx, {
      rows: spec.rows,
      cols: spec.cols,
      data: spec.data,
      codes,
      lut: paletteLut(spec.palette),
      digits: spec.digits,
      rowLabels: spec.rowLabels,
      colLabels: spec.colLabels,
      lay,
      view: view(),
      dpr: box.dpr,
      theme,
      highlightRow: spec.highlightRow,
      hover: input.hover,
      cursor: input.cursor,
      fit,
      image: smallCells,
    });
  }

  /** An image of w x h cells for paintGrid to fill and draw scaled (cells below a few px). */
  function smallCells(w, h) {
    if (typeof win.OffscreenCanvas !== "function") return null;
    if (!image || image.width < w || image.height < h) image = new win.OffscreenCanvas(Math.max(w, image?.width ?? 0), Math.max(h, image?.height ?? 0));
    const octx = image.getContext("2d");
    const data = octx.createImageData(w, h);
    return {
      data: data.data,
      draw(c, x, y, dw, dh) {
        octx.putImageData(data, 0, 0);
        c.imageSmoothingEnabled = false;
        c.drawImage(image, 0, 0, w, h, x, y, dw, dh);
      },
    };
  }

  function setZoom(z) {
    const steps = zoomSteps(lay.fit, lay.whole);
    zoom = Math.min(steps.at(-1), Math.max(steps[0], z));
    layout();
    ensureVisible(input.cursor);
  }
  zoomOut.addEventListener("click", () => setZoom(zoom > 1 ? zoom / 2 : zoomSteps(lay.fit, lay.whole)[0]));
  zoomFit.addEventListener("click", () => setZoom(1));
  zoomIn.addEventListener("click", () => setZoom(zoom * 2));

  function ensureVisible(p) {
    if (!p || tableShown || !box.W) return;
    const { sx, sy } = scrollToShow(lay, view(), p);
    if (sx !== scrolled.sx) scroller.scrollLeft = sx;
    if (sy !== scrolled.sy) scroller.scrollTop = sy;
    scrolled = { sx, sy };
  }

  function renderTable(forceFill = false) {
    twin.render(
      {
        ...spec,
        codes,
        lut: paletteLut(spec.palette),
        cursor: input.cursor,
        focus: input.cursor || input.baseCell(),
        shown: tableShown,
      },
      forceFill,
    );
  }

  // ---- input -----------------------------------------------------------------------------------
  // (before the input's own scroll listener, which draws)
  const onScrolled = () => {
    scrolled = { sx: scroller.scrollLeft, sy: scroller.scrollTop };
  };
  scroller.addEventListener("scroll", onScrolled, { passive: true });
  const input = createInput(
    { canvas, scroller, tbody: twin.tbody, table: twin },
    {
      size: () => ({ rows: spec.rows, cols: spec.cols, highlightRow: spec.highlightRow }),
      valueAt,
      cellAt(clientX, clientY) {
        if (!hasCells() || !box.W) return null;
        const r = canvas.getBoundingClientRect();
        return cellAt(lay, spec.rows, spec.cols, view(), clientX - r.left, clientY - r.top);
      },
      pageRows: () => pageRows(lay, box.ch),
      scrollTo: ensureVisible,
      syncTable: () => renderTable(),
      draw,
      announce(p) {
        if (!p) return;
        const label = (labels, i) => displayLabel(labels[i], i);
        live.textContent = describeCell(p, label(spec.rowLabels, p.row), label(spec.colLabels, p.col), valueAt(p.row, p.col), spec.digits);
      },
    },
    { onCell, onActivate },
  );

  function onToggle() {
    tableShown = !tableShown;
    toggle.textContent = tableShown ? "Show as heatmap" : "Show as table";
    scroller.classList.toggle("ap-hm-hidden", tableShown);
    tableWrap.classList.toggle("ap-hm-visually-hidden", !tableShown);
    tableWrap.classList.toggle("ap-hm-table-scroll", tableShown);
    container.classList.toggle("ap-hm-table-mode", tableShown);
    renderTable(true);
    if (!tableShown) {
      metrics = null; // it may have changed while hidden
      layout();
      ensureVisible(input.cursor);
    }
  }
  toggle.addEventListener("click", onToggle);

  // The box's size (its observer runs after the browser's layout, so reading it there costs little)
  // and the window's (the largest height is a share of it).
  const ro = typeof win.ResizeObserver === "function" ? new win.ResizeObserver(remeasure) : null;
  if (ro) ro.observe(scroller);
  win.addEventListener("resize", remeasure);
  const schemeQuery = win.matchMedia ? win.matchMedia("(prefers-color-scheme: dark)") : null;
  const onScheme = () => {
    readTheme();
    if (tableShown) renderTable(true);
    draw();
  };
  if (schemeQuery && schemeQuery.addEventListener) schemeQuery.addEventListener("change", onScheme);

  // ---- public API ------------------------------------------------------------------------------
  function update(next = {}) {
    if (destroyed) return;
    for (const k of Object.keys(spec)) if (next[k] !== undefined) spec[k] = next[k];
    spec.rows = Math.max(0, Math.floor(Number(spec.rows) || 0));
    spec.cols = Math.max(0, Math.floor(Number(spec.cols) || 0));
    const n = spec.rows * spec.cols;
    if (!spec.data || typeof spec.data.length !== "number" || spec.data.length < n) {
      const len = spec.data && spec.data.length;
      throw new RangeError(`heatmap: data has ${len} values, expected rows*cols = ${n}`);
    }
    spec.rowLabels = Array.isArray(spec.rowLabels) ? spec.rowLabels : Array.from(spec.rowLabels || []);
    spec.colLabels = Array.isArray(spec.colLabels) ? spec.colLabels : Array.from(spec.colLabels || []);
    spec.palette = paletteName(spec.palette);
    spec.digits = Number.isInteger(spec.digits) && spec.digits >= 0 && spec.digits <= 20 ? spec.digits : 2;
    spec.highlightRow = Number.isInteger(spec.highlightRow) ? spec.highlightRow : null;
    spec.clip = spec.clip > 0 && spec.clip < 1 ? spec.clip : null;
    spec.title = spec.title == null ? "" : String(spec.title);

    // colour codes, once per update
    codes = encode(spec.palette, spec.data, n, codes, spec.clip).codes;
    canvas.setAttribute("aria-label", spec.title || "Heatmap");

    // keep the cursor (clamped), drop a hover that fell outside
    input.fit();
    layout();
    renderTable(true);
    input.report();
  }

  function focusCell(row, col) {
    if (destroyed) return;
    input.focusCell(row, col);
  }

  function destroy() {
    if (destroyed) return;
    destroyed = true;
    if (ro) ro.disconnect();
    win.removeEventListener("resize", remeasure);
    scroller.removeEventListener("scroll", onScrolled);
    if (schemeQuery && schemeQuery.removeEventListener) schemeQuery.removeEventListener("change", onScheme);
    input.destroy();
    toggle.removeEventListener("click", onToggle);
    container.replaceChildren();
    container.classList.remove("ap-hm", "ap-hm-table-mode");
  }

  return { update, focusCell, destroy };
}
