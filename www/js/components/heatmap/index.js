// Heatmap component: one matrix drawn on a <canvas>, tokens on both axes, a plain <table> twin
// for screen readers (and a "Show as table" toggle), a keyboard cell cursor, hover reporting.
// No framework, no innerHTML anywhere: labels are user text and only ever reach the page through
// textContent or canvas fillText. Contract: README.md next to this file.

const MIN_CELL = 14; // CSS px: smallest cell; beyond that the box scrolls inside itself
const MAX_CELL = 56; // CSS px: small matrices do not grow past this
const NUM_CELL = 34; // CSS px: draw the value inside cells at least this wide
const INF_CELL = 20; // CSS px: draw "−∞" inside masked cells at least this wide
const PAD = 3; // CSS px right/bottom of the grid (room for outlines)
const GAP = 6; // CSS px between labels and the grid
const ROW_LABEL_MAX = 140; // CSS px
const COL_LABEL_MAX = 100; // CSS px
const LABEL_CHARS = 40; // labels are cut to this many characters before measuring
const TABLE_FULL_MAX = 64; // a dimension above this gets a window in the table twin
const TABLE_WINDOW = 32;
const LUT_SIZE = 255; // odd, so that the diverging midpoint (0) is one exact entry
const CODE_MASKED = 1000; // -Infinity
const CODE_NAN = 1001;

export const MINUS_INFINITY = "\u2212\u221e";

// viridis (matplotlib), sampled at t = 0, 0.1, ..., 1
const VIRIDIS = [
  "#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
  "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725",
];
// blue (RdBu) – near white – orange (PuOr): colour-blind-safe, evenly spaced over [-1, 1]
const DIVERGING = [
  "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
  "#fee0b6", "#fdb863", "#e08214", "#b35806",
];

const hexRgb = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));

function interpolate(stops, u) {
  const x = Math.min(1, Math.max(0, Number.isNaN(u) ? 0 : u)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f));
}

function luminance([r, g, b]) {
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function makeLut(stops) {
  const rgb = stops.map(hexRgb);
  const fill = [];
  const text = [];
  for (let i = 0; i < LUT_SIZE; i++) {
    const c = interpolate(rgb, i / (LUT_SIZE - 1));
    fill.push(`rgb(${c[0]},${c[1]},${c[2]})`);
    const L = luminance(c);
    // pick whichever of black / white has the higher contrast ratio against the cell
    text.push((L + 0.05) / 0.05 >= 1.05 / (L + 0.05) ? "#000" : "#fff");
  }
  return { fill, text, rgb };
}

const LUTS = { sequential: makeLut(VIRIDIS), diverging: makeLut(DIVERGING) };

/**
 * The palette colour as a CSS "rgb(r, g, b)" string.
 * sequential: t in [0, 1] (0 is the lowest colour); diverging: t in [-1, 1] (0 is the white middle).
 */
export function colour(palette, t) {
  const div = palette === "diverging";
  const u = div ? (t + 1) / 2 : t;
  const c = interpolate((div ? LUTS.diverging : LUTS.sequential).rgb, u);
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** The value as the table twin shows it: `digits` decimals, "−∞" for -Infinity, never "-0.00". */
export function formatValue(v, digits = 2) {
  if (v === -Infinity) return MINUS_INFINITY;
  if (v === Infinity) return "\u221e";
  if (Number.isNaN(v)) return "NaN";
  let s = Number(v).toFixed(digits);
  if (/^-0(\.0*)?$/.test(s)) s = s.slice(1);
  return s;
}

function displayLabel(raw, i) {
  const s = raw === undefined || raw === null ? String(i) : String(raw);
  if (s === "") return "\u2205"; // ∅
  if (s.trim() === "") return "\u2423"; // ␣
  return s;
}

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
  bar.append(toggle);

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
  const table = make("table", "ap-hm-table");
  const caption = make("caption", "ap-hm-caption");
  const thead = make("thead");
  const tbody = make("tbody");
  table.append(caption, thead, tbody);
  tableWrap.append(table);

  container.append(bar, scroller, help, live, tableWrap);
  const ctx = canvas.getContext("2d", { alpha: true });

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
  };
  let codes = new Uint16Array(0); // per cell: LUT index, CODE_MASKED or CODE_NAN
  let lut = LUTS.sequential;
  let cursor = null; // {row, col}
  let lastCursor = null;
  let kept = false; // cursor set by click / keyboard / focusCell / table: reported even without focus
  let focusedKb = false; // canvas has keyboard focus (:focus-visible)
  let hover = null;
  let lastPointer = null; // {x, y} client coords of a mouse over the canvas
  let reported; // last value passed to onCell (undefined = never)
  let tableShown = false;
  let destroyed = false;
  let rafId = 0;
  let lastTdFocus = { td: null, t: 0 };

  // layout (CSS px)
  const lay = { W: 0, L: 0, T: 0, cell: MIN_CELL, totalW: 0, totalH: 0, cw: 0, ch: 0, dpr: 1 };
  let theme = null;
  let labelsDirty = true;
  let measuredKeys = { row: null, col: null };
  const labelKey = (labels, n) => {
    let k = String(n);
    for (let i = 0; i < n; i++) k += "\u0000" + String(labels[i] ?? i).slice(0, LABEL_CHARS);
    return k;
  };
  let labelW = { row: 0, col: 0 };
  const fitCache = new Map();
  let hatch = null;
  let hatchKey = "";

  // table twin
  let tShape = { nr: -1, nc: -1 };
  let tWin = { r0: 0, c0: 0, nr: 0, nc: 0 };
  let colThs = [];
  let rowTrs = [];
  let rowThs = [];
  let tds = [];
  let cursorTd = null;

  // ---- helpers ---------------------------------------------------------------------------------
  const clampInt = (v, lo, hi) => Math.min(hi, Math.max(lo, Math.floor(v)));
  const valueAt = (r, c) => spec.data[r * spec.cols + c];
  const cellObj = (p) => (p ? { row: p.row, col: p.col, value: valueAt(p.row, p.col) } : null);
  const baseCell = () =>
    lastCursor && lastCursor.row < spec.rows && lastCursor.col < spec.cols
      ? { ...lastCursor }
      : {
          row: Number.isInteger(spec.highlightRow) && spec.highlightRow >= 0 && spec.highlightRow < spec.rows ? spec.highlightRow : 0,
          col: 0,
        };
  const hasCells = () => spec.rows > 0 && spec.cols > 0;

  function current() {
    const p = hover || ((kept || focusedKb) && cursor ? cursor : null);
    return cellObj(p);
  }

  function report(force = false) {
    const c = current();
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

  function labelOf(axis, i) {
    return displayLabel((axis === "row" ? spec.rowLabels : spec.colLabels)[i], i);
  }

  function announce(p) {
    if (!p) return;
    const v = valueAt(p.row, p.col);
    live.textContent =
      `Row ${p.row + 1} ${labelOf("row", p.row)}, column ${p.col + 1} ${labelOf("col", p.col)}: ` +
      (v === -Infinity ? "masked, minus infinity" : formatValue(v, spec.digits));
  }

  // ---- theme -----------------------------------------------------------------------------------
  function readTheme() {
    const cs = win.getComputedStyle(container);
    const v = (name, fb) => cs.getPropertyValue(name).trim() || fb;
    const fg = v("--ap-hm-fg", cs.color || "#1a1a1a");
    theme = {
      fg,
      bg: v("--ap-hm-bg", "#ffffff"),
      muted: v("--ap-hm-muted", fg),
      line: v("--ap-hm-line", "#c8c8c8"),
      accent: v("--ap-hm-accent", "#c2006d"),
      maskBg: v("--ap-hm-masked-bg", "#d4d4d4"),
      maskLine: v("--ap-hm-masked-line", "#707070"),
      maskText: v("--ap-hm-masked-fg", "#1a1a1a"),
      family: cs.fontFamily || "system-ui, sans-serif",
    };
  }

  function font(px, bold = false) {
    return `${bold ? "600 " : ""}${px}px ${theme.family}`;
  }

  function hatchPattern(dpr) {
    const key = `${theme.maskBg}|${theme.maskLine}|${dpr}`;
    if (hatch && key === hatchKey) return hatch;
    const s = Math.max(4, Math.round(6 * dpr));
    const off = doc.createElement("canvas");
    off.width = s;
    off.height = s;
    const g = off.getContext("2d");
    g.fillStyle = theme.maskBg;
    g.fillRect(0, 0, s, s);
    g.strokeStyle = theme.maskLine;
    g.lineWidth = Math.max(1, dpr);
    g.beginPath();
    g.moveTo(0, s);
    g.lineTo(s, 0);
    g.moveTo(-s / 2, s / 2);
    g.lineTo(s / 2, -s / 2);
    g.moveTo(s / 2, s * 1.5);
    g.lineTo(s * 1.5, s / 2);
    g.stroke();
    hatch = ctx.createPattern(off, "repeat");
    hatchKey = key;
    return hatch;
  }

  // ---- labels ----------------------------------------------------------------------------------
  function measureLabels() {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.font = font(12, true);
    const widest = (n, axis) => {
      let w = 0;
      for (let i = 0; i < n; i++) w = Math.max(w, ctx.measureText(labelOf(axis, i).slice(0, LABEL_CHARS)).width);
      return Math.ceil(w);
    };
    labelW = { row: widest(spec.rows, "row"), col: widest(spec.cols, "col") };
    labelsDirty = false;
  }

  function fit(text, maxW) {
    const key = `${ctx.font}|${maxW}|${text}`;
    let out = fitCache.get(key);
    if (out !== undefined) return out;
    let s = text.length > LABEL_CHARS ? text.slice(0, LABEL_CHARS) + "\u2026" : text;
    if (ctx.measureText(s).width > maxW) {
      let t = text.slice(0, LABEL_CHARS);
      while (t.length > 0 && ctx.measureText(t + "\u2026").width > maxW) t = t.slice(0, -1);
      s = t.length ? t + "\u2026" : "";
    }
    if (fitCache.size > 4000) fitCache.clear();
    fitCache.set(key, s);
    return s;
  }

  // ---- layout & drawing ------------------------------------------------------------------------
  function size(W) {
    const L = Math.min(Math.max(labelW.row + GAP + 4, 24), ROW_LABEL_MAX, Math.max(24, Math.floor(W * 0.3)));
    const T = Math.min(Math.max(labelW.col + GAP + 4, 24), COL_LABEL_MAX);
    const cols = Math.max(spec.cols, 1);
    const cell = Math.min(MAX_CELL, Math.max(MIN_CELL, Math.floor((W - L - PAD) / cols)));
    const totalW = L + spec.cols * cell + PAD;
    const totalH = T + spec.rows * cell + PAD;
    Object.assign(lay, { L, T, cell, totalW, totalH });
    stage.style.width = `${totalW}px`;
    stage.style.height = `${totalH}px`;
  }

  function layout() {
    if (destroyed || tableShown) return;
    const W0 = scroller.clientWidth;
    if (!W0) return;
    readTheme();
    if (labelsDirty) measureLabels();
    const dpr = win.devicePixelRatio || 1;
    size(W0);
    // a vertical scrollbar may have appeared with the new height: fit once more to what is left
    let W = scroller.clientWidth;
    if (W && W < W0) {
      size(W);
      W = scroller.clientWidth || W;
    }
    const cw = Math.min(lay.totalW, W);
    const ch = Math.min(lay.totalH, scroller.clientHeight || lay.totalH);
    Object.assign(lay, { W, cw, ch, dpr });
    const bw = Math.max(1, Math.round(cw * dpr));
    const bh = Math.max(1, Math.round(ch * dpr));
    if (canvas.width !== bw) canvas.width = bw;
    if (canvas.height !== bh) canvas.height = bh;
    canvas.style.width = `${cw}px`;
    canvas.style.height = `${ch}px`;
    draw();
  }

  function scheduleLayout() {
    if (rafId || destroyed) return;
    rafId = win.requestAnimationFrame(() => {
      rafId = 0;
      if (scroller.clientWidth !== lay.W || (win.devicePixelRatio || 1) !== lay.dpr) layout();
      else if (scroller.clientHeight && Math.min(lay.totalH, scroller.clientHeight) !== lay.ch) layout();
    });
  }

  function visibleRange() {
    const { L, T, cell, cw, ch } = lay;
    const sx = scroller.scrollLeft;
    const sy = scroller.scrollTop;
    return {
      sx,
      sy,
      c0: Math.max(0, Math.floor(sx / cell)),
      c1: Math.min(spec.cols, Math.ceil((sx + cw - L) / cell)),
      r0: Math.max(0, Math.floor(sy / cell)),
      r1: Math.min(spec.rows, Math.ceil((sy + ch - T) / cell)),
    };
  }

  function draw() {
    if (destroyed || tableShown || !lay.W || !theme) return;
    const { L, T, cell, cw, ch, dpr } = lay;
    const { sx, sy, c0, c1, r0, r1 } = visibleRange();
    const cols = spec.cols;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!hasCells()) return;

    // cells, in device pixels with rounded edges so that neighbours never leave seams
    const xs = new Float64Array(c1 - c0 + 1);
    for (let j = c0; j <= c1; j++) xs[j - c0] = Math.round((L + j * cell - sx) * dpr);
    ctx.save();
    ctx.beginPath();
    ctx.rect(L * dpr, T * dpr, (cw - L) * dpr, (ch - T) * dpr);
    ctx.clip();
    const fills = lut.fill;
    let pattern = null;
    for (let i = r0; i < r1; i++) {
      const y0 = Math.round((T + i * cell - sy) * dpr);
      const y1 = Math.round((T + (i + 1) * cell - sy) * dpr);
      const base = i * cols;
      for (let j = c0; j < c1; j++) {
        const code = codes[base + j];
        if (code === CODE_MASKED) ctx.fillStyle = pattern || (pattern = hatchPattern(dpr));
        else if (code === CODE_NAN) ctx.fillStyle = theme.line;
        else ctx.fillStyle = fills[code];
        ctx.fillRect(xs[j - c0], y0, xs[j - c0 + 1] - xs[j - c0], y1 - y0);
      }
    }
    ctx.restore();

    // everything else in CSS px
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.save();
    ctx.beginPath();
    ctx.rect(L, T, cw - L, ch - T);
    ctx.clip();

    // values inside the cells
    if (cell >= INF_CELL) {
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      const numPx = Math.min(12, Math.floor(cell * 0.34));
      const infPx = Math.min(13, Math.floor(cell * 0.45));
      ctx.font = font(numPx);
      const digitW = ctx.measureText("0").width;
      for (let i = r0; i < r1; i++) {
        const y = T + i * cell - sy + cell / 2;
        for (let j = c0; j < c1; j++) {
          const code = codes[i * cols + j];
          const x = L + j * cell - sx + cell / 2;
          if (code === CODE_MASKED) {
            ctx.font = font(infPx, true);
            ctx.fillStyle = theme.maskText;
            ctx.fillText(MINUS_INFINITY, x, y);
            ctx.font = font(numPx);
          } else if (cell >= NUM_CELL) {
            const s = formatValue(valueAt(i, j), spec.digits);
            if (s.length * digitW > cell - 4) continue;
            ctx.fillStyle = code === CODE_NAN ? theme.fg : lut.text[code];
            ctx.fillText(s, x, y);
          }
        }
      }
    }

    // highlighted row, hover, cursor
    const hr = spec.highlightRow;
    if (Number.isInteger(hr) && hr >= 0 && hr < spec.rows) {
      ctx.strokeStyle = theme.bg;
      ctx.lineWidth = 4;
      ctx.strokeRect(L - sx + 1.5, T + hr * cell - sy + 1.5, cols * cell - 3, cell - 3);
      ctx.strokeStyle = theme.accent;
      ctx.lineWidth = 2;
      ctx.strokeRect(L - sx + 1, T + hr * cell - sy + 1, cols * cell - 2, cell - 2);
    }
    if (hover && !(cursor && hover.row === cursor.row && hover.col === cursor.col)) {
      ctx.strokeStyle = theme.fg;
      ctx.lineWidth = 1;
      ctx.strokeRect(L + hover.col * cell - sx + 0.5, T + hover.row * cell - sy + 0.5, cell - 1, cell - 1);
    }
    if (cursor) {
      const x = L + cursor.col * cell - sx;
      const y = T + cursor.row * cell - sy;
      ctx.strokeStyle = theme.fg;
      ctx.lineWidth = 2;
      ctx.strokeRect(x + 1, y + 1, cell - 2, cell - 2);
      ctx.strokeStyle = theme.bg;
      ctx.lineWidth = 1;
      ctx.strokeRect(x + 2.5, y + 2.5, cell - 5, cell - 5);
    }
    ctx.restore();

    // labels, thinned to every k-th when a cell is shorter than a line of text
    const labelPx = Math.min(12, Math.max(9, cell - 3));
    const step = Math.max(1, Math.ceil((labelPx + 2) / cell));
    const cRow = cursor ? cursor.row : hover ? hover.row : -1;
    const cCol = cursor ? cursor.col : hover ? hover.col : -1;
    const hRow = hover ? hover.row : -1;
    const hCol = hover ? hover.col : -1;

    ctx.save();
    ctx.beginPath();
    ctx.rect(0, T, L, ch - T);
    ctx.clip();
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (let i = r0 - (r0 % step); i < r1; i += step) {
      const strong = i === cRow || i === hRow || i === hr;
      ctx.font = font(labelPx, strong);
      ctx.fillStyle = i === hr ? theme.accent : strong ? theme.fg : theme.muted;
      ctx.fillText(fit(labelOf("row", i), L - GAP - 2), L - GAP, T + i * cell - sy + cell / 2);
    }
    ctx.restore();

    ctx.save();
    ctx.beginPath();
    ctx.rect(L, 0, cw - L, T);
    ctx.clip();
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    for (let j = c0 - (c0 % step); j < c1; j += step) {
      const strong = j === cCol || j === hCol;
      ctx.font = font(labelPx, strong);
      ctx.fillStyle = strong ? theme.fg : theme.muted;
      ctx.save();
      ctx.translate(L + j * cell - sx + cell / 2, T - GAP);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(fit(labelOf("col", j), T - GAP - 2), 0, 0);
      ctx.restore();
    }
    ctx.restore();
  }

  function ensureVisible(p) {
    if (!p || tableShown || !lay.W) return;
    const { L, T, cell, cw, ch } = lay;
    const viewW = cw - L - PAD;
    const viewH = ch - T - PAD;
    let sx = scroller.scrollLeft;
    let sy = scroller.scrollTop;
    if (p.col * cell < sx) sx = p.col * cell;
    else if ((p.col + 1) * cell > sx + viewW) sx = (p.col + 1) * cell - viewW;
    if (p.row * cell < sy) sy = p.row * cell;
    else if ((p.row + 1) * cell > sy + viewH) sy = (p.row + 1) * cell - viewH;
    if (sx !== scroller.scrollLeft) scroller.scrollLeft = Math.max(0, sx);
    if (sy !== scroller.scrollTop) scroller.scrollTop = Math.max(0, sy);
  }

  function cellAt(clientX, clientY) {
    if (!hasCells() || !lay.W) return null;
    const r = canvas.getBoundingClientRect();
    const x = clientX - r.left;
    const y = clientY - r.top;
    if (x < lay.L || y < lay.T || x >= lay.cw || y >= lay.ch) return null;
    const col = Math.floor((x - lay.L + scroller.scrollLeft) / lay.cell);
    const row = Math.floor((y - lay.T + scroller.scrollTop) / lay.cell);
    if (row < 0 || col < 0 || row >= spec.rows || col >= spec.cols) return null;
    return { row, col };
  }

  // ---- table twin ------------------------------------------------------------------------------
  function windowFor(n, centre, start) {
    if (n <= TABLE_FULL_MAX) return { s: 0, k: n };
    const k = TABLE_WINDOW;
    if (centre >= start && centre < start + k && start + k <= n) return { s: start, k };
    return { s: clampInt(centre - k / 2, 0, n - k), k };
  }

  function renderTable(forceFill = false) {
    const focus = cursor || baseCell();
    const rw = windowFor(spec.rows, focus.row, tWin.r0);
    const cwn = windowFor(spec.cols, focus.col, tWin.c0);
    const moved = rw.s !== tWin.r0 || cwn.s !== tWin.c0;
    tWin = { r0: rw.s, nr: rw.k, c0: cwn.s, nc: cwn.k };
    let rebuilt = false;
    if (tShape.nr !== rw.k || tShape.nc !== cwn.k) {
      buildTable(rw.k, cwn.k);
      rebuilt = true;
    }
    if (rebuilt || moved || forceFill) fillTable(rebuilt || moved);
    else markTableCursor();
  }

  function buildTable(nr, nc) {
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
    tShape = { nr, nc };
    cursorTd = null;
  }

  // Cheap on purpose: text nodes are edited in place, attributes written only when they change
  // (row/col only when the window moved), so re-filling a 32x32 table costs a few ms of DOM work.
  function setText(node, text) {
    const t = node.firstChild;
    if (t.data !== text) t.data = text;
  }

  function fillTable(indices) {
    const { r0, nr, c0, nc } = tWin;
    const title = spec.title || "Heatmap";
    caption.textContent =
      nr < spec.rows || nc < spec.cols
        ? `${title} (showing rows ${r0 + 1}\u2013${r0 + nr} and columns ${c0 + 1}\u2013${c0 + nc} ` +
          `of ${spec.rows}\u00d7${spec.cols}; the table follows the cell cursor)`
        : title;
    for (let j = 0; j < nc; j++) setText(colThs[j], labelOf("col", c0 + j));
    const colours = tableShown;
    const digits = spec.digits;
    const cols = spec.cols;
    const data = spec.data;
    const hr = spec.highlightRow;
    const colStr = [];
    for (let j = 0; j < nc; j++) colStr.push(String(c0 + j));
    for (let i = 0; i < nr; i++) {
      const r = r0 + i;
      setText(rowThs[i], labelOf("row", r));
      const tr = rowTrs[i];
      if ((r === hr) !== tr.classList.contains("ap-hm-highlight")) tr.classList.toggle("ap-hm-highlight", r === hr);
      const rs = String(r);
      for (let j = 0; j < nc; j++) {
        const k = r * cols + c0 + j;
        const td = tds[i * nc + j];
        const v = data[k];
        const code = codes[k];
        if (indices) {
          td.setAttribute("data-row", rs);
          td.setAttribute("data-col", colStr[j]);
        }
        const full = String(v);
        if (td.getAttribute("data-value") !== full) td.setAttribute("data-value", full);
        setText(td, formatValue(v, digits));
        const masked = code === CODE_MASKED;
        if (masked !== td.classList.contains("ap-hm-masked")) td.classList.toggle("ap-hm-masked", masked);
        if (colours && code < LUT_SIZE) {
          td.style.backgroundColor = lut.fill[code];
          td.style.color = lut.text[code];
        } else if (td.style.backgroundColor || td.style.color) {
          td.style.backgroundColor = "";
          td.style.color = "";
        }
      }
    }
    cursorTd = null;
    markTableCursor();
  }

  function markTableCursor() {
    let td = null;
    if (cursor) {
      const i = cursor.row - tWin.r0;
      const j = cursor.col - tWin.c0;
      if (i >= 0 && j >= 0 && i < tWin.nr && j < tWin.nc) td = tds[i * tWin.nc + j];
    }
    if (td === cursorTd) return;
    if (cursorTd) cursorTd.classList.remove("ap-hm-cursor");
    if (td) td.classList.add("ap-hm-cursor");
    cursorTd = td;
  }

  // ---- cursor ----------------------------------------------------------------------------------
  function setCursor(p, { scroll = true } = {}) {
    cursor = p ? { row: p.row, col: p.col } : null;
    if (cursor) lastCursor = { ...cursor };
    if (scroll) ensureVisible(cursor);
    renderTable();
    draw();
  }

  function moveBy(dr, dc, e) {
    if (!hasCells()) return;
    const from = cursor || baseCell();
    let row = from.row;
    let col = from.col;
    if (cursor) {
      row = e.ctrlKey || e.metaKey ? (dr < 0 ? 0 : dr > 0 ? spec.rows - 1 : row) : row + dr;
      col = e.ctrlKey || e.metaKey ? (dc < 0 ? 0 : dc > 0 ? spec.cols - 1 : col) : col + dc;
    }
    keyboardTo({ row, col });
  }

  function keyboardTo(p) {
    const q = { row: clampInt(p.row, 0, spec.rows - 1), col: clampInt(p.col, 0, spec.cols - 1) };
    kept = true;
    hover = null;
    setCursor(q);
    report();
    announce(q);
  }

  function pageRows() {
    return Math.max(1, Math.floor((lay.ch - lay.T - PAD) / lay.cell) - 1);
  }

  // ---- events ----------------------------------------------------------------------------------
  function onKey(e) {
    if (e.altKey || !hasCells()) return;
    const p = cursor || baseCell();
    let handled = true;
    switch (e.key) {
      case "ArrowUp": moveBy(-1, 0, e); break;
      case "ArrowDown": moveBy(1, 0, e); break;
      case "ArrowLeft": moveBy(0, -1, e); break;
      case "ArrowRight": moveBy(0, 1, e); break;
      case "Home": keyboardTo(e.ctrlKey || e.metaKey ? { row: 0, col: 0 } : { row: p.row, col: 0 }); break;
      case "End":
        keyboardTo(e.ctrlKey || e.metaKey ? { row: spec.rows - 1, col: spec.cols - 1 } : { row: p.row, col: spec.cols - 1 });
        break;
      case "PageUp": keyboardTo({ row: p.row - pageRows(), col: p.col }); break;
      case "PageDown": keyboardTo({ row: p.row + pageRows(), col: p.col }); break;
      case "Enter":
      case " ":
      case "Spacebar":
        if (e.repeat) break;
        if (!cursor) setCursor(p);
        kept = true;
        hover = null;
        draw();
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
        renderTable();
        draw();
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
    else ensureVisible(cursor);
    draw();
    report();
    announce(cursor);
  }

  function onBlur() {
    focusedKb = false;
    report();
  }

  function onPointerMove(e) {
    if (e.pointerType === "touch") return;
    lastPointer = { x: e.clientX, y: e.clientY };
    setHover(cellAt(e.clientX, e.clientY));
  }

  function onPointerLeave() {
    lastPointer = null;
    setHover(null);
  }

  function setHover(p) {
    const same = p === hover || (p && hover && p.row === hover.row && p.col === hover.col);
    if (same) return;
    hover = p;
    draw();
    report();
  }

  function onClick(e) {
    const p = cellAt(e.clientX, e.clientY);
    if (!p) return;
    kept = true;
    hover = e.pointerType === "mouse" || e.pointerType === "pen" ? p : null;
    setCursor(p, { scroll: false });
    report(true);
    activate(p);
  }

  function onScroll() {
    if (lastPointer) {
      const p = cellAt(lastPointer.x, lastPointer.y);
      const same = p === hover || (p && hover && p.row === hover.row && p.col === hover.col);
      if (!same) {
        hover = p;
        draw();
        report();
        return;
      }
    }
    draw();
  }

  function tdOf(e) {
    const t = e.target;
    const td = t && t.closest ? t.closest("td[data-row]") : null;
    return td && tbody.contains(td) ? td : null;
  }

  function tdCell(td) {
    const row = Number(td.dataset.row);
    const col = Number(td.dataset.col);
    return row < spec.rows && col < spec.cols ? { row, col } : null;
  }

  function onTableFocus(e) {
    const td = tdOf(e);
    const p = td && tdCell(td);
    if (!p) return;
    lastTdFocus = { td, t: Date.now() };
    kept = true;
    hover = null;
    setCursor(p, { scroll: false });
    report();
  }

  function onTableClick(e) {
    const td = tdOf(e);
    const p = td && tdCell(td);
    if (!p) return;
    const justFocused = lastTdFocus.td === td && Date.now() - lastTdFocus.t < 1000;
    kept = true;
    hover = null;
    setCursor(p, { scroll: false });
    report(!justFocused);
  }

  function onTableKey(e) {
    if (e.key !== "Enter" && e.key !== " ") return;
    const td = tdOf(e);
    const p = td && tdCell(td);
    if (!p) return;
    e.preventDefault();
    kept = true;
    setCursor(p, { scroll: false });
    report();
    activate(p);
  }

  function onToggle() {
    tableShown = !tableShown;
    toggle.textContent = tableShown ? "Show as heatmap" : "Show as table";
    scroller.classList.toggle("ap-hm-hidden", tableShown);
    tableWrap.classList.toggle("ap-hm-visually-hidden", !tableShown);
    tableWrap.classList.toggle("ap-hm-table-scroll", tableShown);
    container.classList.toggle("ap-hm-table-mode", tableShown);
    renderTable(true);
    if (!tableShown) {
      layout();
      ensureVisible(cursor);
    }
  }

  canvas.addEventListener("keydown", onKey);
  canvas.addEventListener("focus", onFocus);
  canvas.addEventListener("blur", onBlur);
  canvas.addEventListener("pointermove", onPointerMove);
  canvas.addEventListener("pointerleave", onPointerLeave);
  canvas.addEventListener("click", onClick);
  scroller.addEventListener("scroll", onScroll, { passive: true });
  tbody.addEventListener("focusin", onTableFocus);
  tbody.addEventListener("click", onTableClick);
  tbody.addEventListener("keydown", onTableKey);
  toggle.addEventListener("click", onToggle);

  const ro = typeof win.ResizeObserver === "function" ? new win.ResizeObserver(scheduleLayout) : null;
  if (ro) ro.observe(scroller);
  else win.addEventListener("resize", scheduleLayout);
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
    spec.palette = spec.palette === "diverging" ? "diverging" : "sequential";
    spec.digits = Number.isInteger(spec.digits) && spec.digits >= 0 && spec.digits <= 20 ? spec.digits : 2;
    spec.highlightRow = Number.isInteger(spec.highlightRow) ? spec.highlightRow : null;
    spec.title = spec.title == null ? "" : String(spec.title);
    // re-measure label widths only when the label text changed (compared by value, so arrays
    // edited in place are caught too)
    const rowKey = labelKey(spec.rowLabels, spec.rows);
    const colKey = labelKey(spec.colLabels, spec.cols);
    if (rowKey !== measuredKeys.row || colKey !== measuredKeys.col) {
      labelsDirty = true;
      measuredKeys = { row: rowKey, col: colKey };
    }

    // colour codes, once per update
    lut = LUTS[spec.palette];
    if (codes.length !== n) codes = new Uint16Array(n);
    const d = spec.data;
    let lo = Infinity;
    let hi = -Infinity;
    let maxAbs = 0;
    for (let k = 0; k < n; k++) {
      const v = d[k];
      if (v > -Infinity && v < Infinity) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        const a = v < 0 ? -v : v;
        if (a > maxAbs) maxAbs = a;
      }
    }
    const top = LUT_SIZE - 1;
    if (spec.palette === "diverging") {
      const s = maxAbs > 0 ? top / (2 * maxAbs) : 0;
      const mid = top / 2;
      for (let k = 0; k < n; k++) {
        const v = d[k];
        if (v === -Infinity) codes[k] = CODE_MASKED;
        else if (v !== v) codes[k] = CODE_NAN;
        else if (v === Infinity) codes[k] = top;
        else codes[k] = Math.round(mid + v * s);
      }
    } else {
      const a = Math.min(0, lo);
      const b = Math.max(1, hi);
      const s = top / (b - a);
      for (let k = 0; k < n; k++) {
        const v = d[k];
        if (v === -Infinity) codes[k] = CODE_MASKED;
        else if (v !== v) codes[k] = CODE_NAN;
        else if (v === Infinity) codes[k] = top;
        else codes[k] = Math.round((v - a) * s);
      }
    }

    canvas.setAttribute("aria-label", spec.title || "Heatmap");

    // keep the cursor (clamped), drop a hover that fell outside
    if (!hasCells()) {
      cursor = null;
      hover = null;
    } else {
      if (cursor) cursor = { row: Math.min(cursor.row, spec.rows - 1), col: Math.min(cursor.col, spec.cols - 1) };
      if (hover && (hover.row >= spec.rows || hover.col >= spec.cols)) hover = null;
    }
    // canvas first (its layout read then finds the table clean), table second: the browser lays
    // the table out with the next frame instead of inside this call
    layout();
    renderTable(true);
    report();
  }

  function focusCell(row, col) {
    if (destroyed || !hasCells()) return;
    kept = true;
    hover = null;
    setCursor({ row: clampInt(Number(row) || 0, 0, spec.rows - 1), col: clampInt(Number(col) || 0, 0, spec.cols - 1) });
    report(true);
  }

  function destroy() {
    if (destroyed) return;
    destroyed = true;
    if (rafId) win.cancelAnimationFrame(rafId);
    if (ro) ro.disconnect();
    else win.removeEventListener("resize", scheduleLayout);
    if (schemeQuery && schemeQuery.removeEventListener) schemeQuery.removeEventListener("change", onScheme);
    container.replaceChildren();
    container.classList.remove("ap-hm", "ap-hm-table-mode");
  }

  return { update, focusCell, destroy };
}
