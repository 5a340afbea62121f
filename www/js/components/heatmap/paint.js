// Heatmap painter: draws onto a given CanvasRenderingContext2D (or anything with its methods).
// Touches no DOM: what it draws is a function of its arguments, so the same code paints the
// on-screen window and a whole matrix for an export.
//
// Contract:
// - paintMatrix(ctx, matrix, options) paints the WHOLE matrix {rows, cols, data} fitted into
//   options.width x options.height CSS px at options.dpr (default 1) device px per CSS px: title band
//   (when options.title), column labels (rotated) and row labels, every cell, values inside cells
//   that are wide enough, the highlighted row, and the colour-scale legend below (when
//   options.legend). Other options: rowLabels, colLabels, palette, clip (diverging: colours scaled
//   to that quantile of |value|, as on screen; default null: the largest), highlightRow, digits (default 2),
//   theme (fields of DEFAULT_THEME to override), background (a CSS colour filled first; default:
//   transparent). It sets the transform itself and paints device px [0, width*dpr) x [0, height*dpr)
//   (size ctx.canvas to that). Returns the layout used ({L, T, cell, top, totalW, totalH, titleBox,
//   legendBox}, layout.js) with the colour domain {min, max}. Bad options throw, naming the field.
// - paintGrid(ctx, g) paints the part of a grid seen through a view (used by the on-screen heatmap
//   and by paintMatrix): g = {rows, cols, data, codes, lut, digits, rowLabels, colLabels, lay, view,
//   x, y, dpr, theme, highlightRow, hover, cursor, fit, image?}; lay and view as in layout.js; (x, y) is
//   where the view's top-left corner goes, in CSS px; codes from palette.encode; fit from
//   createFitter(). It clears nothing. `image(w, h)` -> {data (RGBA bytes), draw(ctx, x, y, w, h)},
//   when given, draws cells below IMAGE_CELL px as one image of the visible cells (index.js gives one).
// - Masked cells (-Infinity) are hatched (lines x + y = k * 6 dpr in device px, over theme.maskBg)
//   with "−∞" when the cell is >= INF_CELL; NaN cells are theme.line; values are drawn in cells >=
//   NUM_CELL in black or white, whichever contrasts more. Labels are cut with "…" to fit their
//   gutter and thinned to every k-th when a cell is shorter than a line of text.
// - measureLabels(ctx, rows, cols, rowLabels, colLabels, family) -> {row, col}: widest label of each
//   axis, in the label font, as layout.js wants them.

import { CODE_MASKED, CODE_NAN, encode, legendStops, lut as paletteLut } from "./palette.js";
import { GAP, INF_CELL, NUM_CELL, fitLayout, labelStep, visibleRange } from "./layout.js";
import { LABEL_CHARS, MINUS_INFINITY, displayLabel, fitLabel, formatValue } from "./text.js";

/** Colours and font when nothing overrides them (the stylesheet's light theme). */
export const DEFAULT_THEME = Object.freeze({
  fg: "#1a1a1a",
  bg: "#ffffff",
  muted: "#555b63",
  line: "#c4c7cc",
  accent: "#c2006d",
  maskBg: "#d9d9d9",
  maskLine: "#7a7a7a",
  maskText: "#1a1a1a",
  family: "system-ui, sans-serif",
});

/** Below this cell size (CSS px) the cells are drawn as one image when the caller gives `g.image`. */
export const IMAGE_CELL = 4;
const MASKED_RGB = [190, 190, 190];
let maskedPx = null;
/** MASKED_RGB as an opaque RGBA word in this machine's byte order. */
const MASKED_PX = () => (maskedPx ??= new Uint32Array(Uint8Array.of(...MASKED_RGB, 255).buffer)[0]);

const font = (px, bold, family) => `${bold ? "600 " : ""}${px}px ${family}`;

/** A label fitter with its own cache: fit(ctx, text, maxW, maxChars?) in ctx's current font. */
export function createFitter() {
  const cache = new Map();
  return (ctx, text, maxW, maxChars = LABEL_CHARS) => {
    const key = `${ctx.font}|${maxW}|${maxChars}|${text}`;
    let out = cache.get(key);
    if (out === undefined) {
      out = fitLabel(text, maxW, (s) => ctx.measureText(s).width, maxChars);
      if (cache.size > 4000) cache.clear();
      cache.set(key, out);
    }
    return out;
  };
}

export function measureLabels(ctx, rows, cols, rowLabels, colLabels, family) {
  ctx.font = font(12, true, family);
  const widest = (n, labels) => {
    let w = 0;
    for (let i = 0; i < n; i++) w = Math.max(w, ctx.measureText(displayLabel(labels[i], i).slice(0, LABEL_CHARS)).width);
    return Math.ceil(w);
  };
  return { row: widest(rows, rowLabels), col: widest(cols, colLabels) };
}

/** Fills the device-px rects [x, y, w, h] with the masked hatch, anchored at device (0, 0). */
function hatch(ctx, rects, dpr, theme) {
  ctx.save();
  ctx.beginPath();
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y, w, h] of rects) {
    ctx.rect(x, y, w, h);
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x + w);
    y1 = Math.max(y1, y + h);
  }
  ctx.fillStyle = theme.maskBg;
  ctx.fill();
  ctx.clip();
  const s = Math.max(4, Math.round(6 * dpr));
  ctx.strokeStyle = theme.maskLine;
  ctx.lineWidth = Math.max(1, dpr);
  ctx.beginPath();
  // the lines x + y = k*s that cross the box, each drawn from below its bottom to above its top
  for (let c = Math.floor((x0 + y0) / s - 1) * s; c <= x1 + y1 + s; c += s) {
    ctx.moveTo(c - (y1 + s), y1 + s);
    ctx.lineTo(c - (y0 - s), y0 - s);
  }
  ctx.stroke();
  ctx.restore();
}

export function paintGrid(ctx, g) {
  const { rows, cols, data, codes, lut, digits, lay, view, dpr, theme, hover, cursor, fit } = g;
  const x = g.x || 0;
  const y = g.y || 0;
  const { L, T, cell } = lay;
  const { sx, sy, w, h } = view;
  const { r0, r1, c0, c1 } = visibleRange(lay, rows, cols, view);
  const fam = theme.family;
  const rowLabel = (i) => displayLabel(g.rowLabels[i], i);
  const colLabel = (j) => displayLabel(g.colLabels[j], j);
  if (rows <= 0 || cols <= 0) return;

  // cells, in device pixels with rounded edges so that neighbours never leave seams
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  const xs = new Float64Array(c1 - c0 + 1);
  for (let j = c0; j <= c1; j++) xs[j - c0] = Math.round((x + L + j * cell - sx) * dpr);
  ctx.save();
  ctx.beginPath();
  ctx.rect((x + L) * dpr, (y + T) * dpr, (w - L) * dpr, (h - T) * dpr);
  ctx.clip();
  const fills = lut.fill;
  const masked = [];
  // Cells of a pixel or two: one image of the visible cells, scaled without smoothing, instead
  // of a rectangle each (a 512 x 512 matrix fits the box whole).
  const img = cell < IMAGE_CELL && g.image && r1 > r0 && c1 > c0 ? g.image(c1 - c0, r1 - r0) : null;
  const asImage = Boolean(img);
  if (img) {
    // A pixel a write: the palette's RGBA words over the image's bytes.
    const px = new Uint32Array(img.data.buffer, img.data.byteOffset, img.data.length / 4);
    const words = lut.words;
    const grey = MASKED_PX();
    const w = c1 - c0;
    for (let i = r0; i < r1; i++) {
      const from = i * cols + c0;
      const to = (i - r0) * w - from;
      for (let k = from; k < from + w; k++) {
        const code = codes[k];
        px[to + k] = code === CODE_MASKED || code === CODE_NAN ? grey : words[code];
      }
    }
    const [bx, by] = [xs[0], Math.round((y + T + r0 * cell - sy) * dpr)];
    img.draw(ctx, bx, by, xs[c1 - c0] - bx, Math.round((y + T + r1 * cell - sy) * dpr) - by);
  }
  for (let i = asImage ? r1 : r0; i < r1; i++) {
    const y0 = Math.round((y + T + i * cell - sy) * dpr);
    const y1 = Math.round((y + T + (i + 1) * cell - sy) * dpr);
    const base = i * cols;
    for (let j = c0; j < c1; j++) {
      const code = codes[base + j];
      const cx = xs[j - c0];
      const cw = xs[j - c0 + 1] - cx;
      if (code === CODE_MASKED) {
        masked.push([cx, y0, cw, y1 - y0]);
        continue;
      }
      ctx.fillStyle = code === CODE_NAN ? theme.line : fills[code];
      ctx.fillRect(cx, y0, cw, y1 - y0);
    }
  }
  if (masked.length) hatch(ctx, masked, dpr, theme);
  ctx.restore();

  // everything else in CSS px
  ctx.setTransform(dpr, 0, 0, dpr, x * dpr, y * dpr);
  ctx.save();
  ctx.beginPath();
  ctx.rect(L, T, w - L, h - T);
  ctx.clip();

  // values inside the cells
  if (cell >= INF_CELL) {
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    const numPx = Math.min(12, Math.floor(cell * 0.34));
    const infPx = Math.min(13, Math.floor(cell * 0.45));
    ctx.font = font(numPx, false, fam);
    const digitW = ctx.measureText("0").width;
    for (let i = r0; i < r1; i++) {
      const cy = T + i * cell - sy + cell / 2;
      for (let j = c0; j < c1; j++) {
        const code = codes[i * cols + j];
        const cx = L + j * cell - sx + cell / 2;
        if (code === CODE_MASKED) {
          ctx.font = font(infPx, true, fam);
          ctx.fillStyle = theme.maskText;
          ctx.fillText(MINUS_INFINITY, cx, cy);
          ctx.font = font(numPx, false, fam);
        } else if (cell >= NUM_CELL) {
          const s = formatValue(data[i * cols + j], digits);
          if (s.length * digitW > cell - 4) continue;
          ctx.fillStyle = code === CODE_NAN ? theme.fg : lut.text[code];
          ctx.fillText(s, cx, cy);
        }
      }
    }
  }

  // highlighted row, hover, cursor
  const hr = g.highlightRow;
  if (Number.isInteger(hr) && hr >= 0 && hr < rows) {
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
    const cx = L + cursor.col * cell - sx;
    const cy = T + cursor.row * cell - sy;
    ctx.strokeStyle = theme.fg;
    ctx.lineWidth = 2;
    ctx.strokeRect(cx + 1, cy + 1, cell - 2, cell - 2);
    ctx.strokeStyle = theme.bg;
    ctx.lineWidth = 1;
    ctx.strokeRect(cx + 2.5, cy + 2.5, cell - 5, cell - 5);
  }
  ctx.restore();

  // labels, thinned to every k-th when a cell is shorter than a line of text
  const { px: labelPx, step } = labelStep(cell);
  const cRow = cursor ? cursor.row : hover ? hover.row : -1;
  const cCol = cursor ? cursor.col : hover ? hover.col : -1;
  const hRow = hover ? hover.row : -1;
  const hCol = hover ? hover.col : -1;

  ctx.save();
  ctx.beginPath();
  ctx.rect(0, T, L, h - T);
  ctx.clip();
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (let i = r0 - (r0 % step); i < r1; i += step) {
    const strong = i === cRow || i === hRow || i === hr;
    ctx.font = font(labelPx, strong, fam);
    ctx.fillStyle = i === hr ? theme.accent : strong ? theme.fg : theme.muted;
    ctx.fillText(fit(ctx, rowLabel(i), L - GAP - 2), L - GAP, T + i * cell - sy + cell / 2);
  }
  ctx.restore();

  ctx.save();
  ctx.beginPath();
  ctx.rect(L, 0, w - L, T);
  ctx.clip();
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  for (let j = c0 - (c0 % step); j < c1; j += step) {
    const strong = j === cCol || j === hCol;
    ctx.font = font(labelPx, strong, fam);
    ctx.fillStyle = strong ? theme.fg : theme.muted;
    ctx.save();
    ctx.translate(L + j * cell - sx + cell / 2, T - GAP);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(fit(ctx, colLabel(j), T - GAP - 2), 0, 0);
    ctx.restore();
  }
  ctx.restore();
}

function paintLegend(ctx, box, palette, min, max, digits, theme) {
  const barY = box.y + 8;
  const barH = 10;
  const gradient = ctx.createLinearGradient(box.x, 0, box.x + box.w, 0);
  for (const s of legendStops(palette, min, max)) gradient.addColorStop(s.offset, s.colour);
  ctx.fillStyle = gradient;
  ctx.fillRect(box.x, barY, box.w, barH);
  ctx.strokeStyle = theme.line;
  ctx.lineWidth = 1;
  ctx.strokeRect(box.x + 0.5, barY + 0.5, box.w - 1, barH - 1);
  ctx.font = font(11, false, theme.family);
  ctx.fillStyle = theme.muted;
  ctx.textBaseline = "top";
  const ticks = box.w >= 120 ? [0, 0.5, 1] : [0, 1];
  for (const t of ticks) {
    ctx.textAlign = t === 0 ? "left" : t === 1 ? "right" : "center";
    ctx.fillText(formatValue(min + (max - min) * t, digits), box.x + box.w * t, barY + barH + 4);
  }
}

const positive = (v) => typeof v === "number" && Number.isFinite(v) && v > 0;
const count = (v) => Number.isInteger(v) && v >= 0;

export function paintMatrix(ctx, matrix, options = {}) {
  const { rows, cols, data } = matrix || {};
  if (!count(rows)) throw new RangeError(`paintMatrix: matrix.rows must be an integer >= 0, got ${rows}`);
  if (!count(cols)) throw new RangeError(`paintMatrix: matrix.cols must be an integer >= 0, got ${cols}`);
  const n = rows * cols;
  if (!data || typeof data.length !== "number" || data.length < n) {
    throw new RangeError(`paintMatrix: matrix.data has ${data && data.length} values, expected rows*cols = ${n}`);
  }
  const { width, height, dpr = 1 } = options;
  if (!positive(width)) throw new RangeError(`paintMatrix: width must be a number > 0 (CSS px), got ${width}`);
  if (!positive(height)) throw new RangeError(`paintMatrix: height must be a number > 0 (CSS px), got ${height}`);
  if (!positive(dpr)) throw new RangeError(`paintMatrix: dpr must be a number > 0, got ${dpr}`);
  const digits = options.digits ?? 2;
  if (!(Number.isInteger(digits) && digits >= 0 && digits <= 20)) {
    throw new RangeError(`paintMatrix: digits must be an integer from 0 to 20, got ${digits}`);
  }
  const theme = { ...DEFAULT_THEME, ...options.theme };
  const rowLabels = Array.from(options.rowLabels || []);
  const colLabels = Array.from(options.colLabels || []);
  const title = options.title == null ? "" : String(options.title);
  const palette = options.palette;
  const fit = createFitter();

  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, Math.round(width * dpr), Math.round(height * dpr));
  if (options.background) {
    ctx.fillStyle = options.background;
    ctx.fillRect(0, 0, Math.round(width * dpr), Math.round(height * dpr));
  }
  const { codes, min, max } = encode(palette, data, n, undefined, options.clip ?? null);
  const labelW = measureLabels(ctx, rows, cols, rowLabels, colLabels, theme.family);
  const lay = fitLayout({
    rows,
    cols,
    width,
    height,
    rowLabelW: labelW.row,
    colLabelW: labelW.col,
    title: title !== "",
    legend: Boolean(options.legend),
  });
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  if (lay.titleBox) {
    ctx.font = font(14, true, theme.family);
    ctx.fillStyle = theme.fg;
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    ctx.fillText(fit(ctx, title, width - 4, Infinity), 2, lay.titleBox.h / 2);
  }
  paintGrid(ctx, {
    rows,
    cols,
    data,
    codes,
    lut: paletteLut(palette),
    digits,
    rowLabels,
    colLabels,
    lay,
    view: { sx: 0, sy: 0, w: lay.totalW, h: lay.totalH },
    x: 0,
    y: lay.top,
    dpr,
    theme,
    highlightRow: Number.isInteger(options.highlightRow) ? options.highlightRow : null,
    hover: null,
    cursor: null,
    fit,
  });
  if (lay.legendBox) {
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    paintLegend(ctx, lay.legendBox, palette, min, max, digits, theme);
  }
  return { ...lay, min, max };
}
