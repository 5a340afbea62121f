// Exports of one matrix of the figure as files: CSV, SVG, JSON (pure: strings and objects) and PNG
// (a canvas made by a factory the caller passes, so node tests it with a fake). Touches no DOM.
//
// Contract (a `matrix` is {rows, cols, data}: row-major, at least rows*cols values, -Infinity where
// a pair is masked, e.g. a trace's Float32Array or the part the heatmap shows; labels are user text):
// - csv({matrix, rowLabels, colLabels}) -> string: RFC 4180 (CRLF line ends; a field with a comma,
//   quote, CR, LF or leading/trailing white space quoted, quotes doubled). First row: an empty
//   corner, then the column labels; then one row per matrix row: its label, then its values as
//   String(value) (the shortest text that reads back as the same number, so Number(field) ===
//   data[k]; "-0" for a negative zero; "-Infinity" for a masked pair). Labels are written as they are (a missing one as its
//   index): tokens are user text, and a spreadsheet may read one starting with "=" as a formula.
// - svg({matrix, rowLabels, colLabels, title, palette, clip?, digits?, highlightRow?}) -> string: a
//   standalone SVG document: a white background, the title as <title> and as <text>, one <rect> per
//   cell inside <g class="cells"> (row-major, coloured as the heatmap colours them: palette.js with
//   the same clip; masked cells hatched, NaN grey), the values inside cells of at least NUM_CELL px,
//   the token labels as <text> on both axes (shown as the heatmap shows them: "∅" for an empty one,
//   cut at LABEL_CHARS characters), the highlighted row outlined, and the colour scale (a gradient
//   through the palette's stops with its low, middle and high values). Text is XML-escaped and
//   characters XML forbids become U+FFFD, so any label gives a well-formed document.
// - json({matrix, rowLabels, colLabels, stage, model, state, title?, crop?}) -> object: {format,
//   version, title, stage: {name, title, rowAxis, colAxis}, model: {name, title}, layer, head, rows,
//   cols, rowLabels, colLabels, rowIndices, colIndices (the whole matrix's rows and columns these
//   are when special tokens are hidden, else null), masked (what null means), matrix (an array of
//   rows of numbers; null where the pair is masked), state}. Feeding `state` to the playground
//   (`set(state)`, or its URL form from state.js `toQuery`) shows this matrix again.
//   jsonText(spec) is that object as text, one matrix row per line; readJson(object) -> {rows,
//   cols, data: Float64Array, rowLabels, colLabels} reads it back (null -> -Infinity).
// - png({matrix, rowLabels, colLabels, title, palette, clip?, digits?, highlightRow?, dpr, canvas})
//   -> Promise<Blob> (image/png): the whole matrix through heatmap/paint.js paintMatrix (labels,
//   title, legend) on a white background. `canvas(width, height)` makes the canvas (an
//   OffscreenCanvas, or a <canvas>: it needs getContext("2d") and convertToBlob or toBlob).
//   pngSize(...) is the size chosen: cells of PNG_CELL.max CSS px for small matrices, fewer for
//   larger ones, at least PNG_CELL.min; at `dpr` device px per CSS px while the image stays within
//   PNG_MAX_SIDE device px a side, else at a lower ratio (down to 1), else with smaller cells (a
//   huge matrix is scaled down, never refused).
// - fileName({stage, head, layer, perHead, layers}, ext): "attention-<stage>[-layer<l>][-head<h>].<ext>"
//   (layer and head counted from 1, as the figure's title counts them).
// Bad input throws a RangeError naming the field.

import { CODE_MASKED, CODE_NAN, legendStops, lut, makeScale } from "../components/heatmap/palette.js";
import { GAP, LEGEND_H, MAX_CELL, NUM_CELL, PAD, TITLE_H, gutters, labelStep } from "../components/heatmap/layout.js";
import { LABEL_CHARS, MINUS_INFINITY, displayLabel, formatValue } from "../components/heatmap/text.js";
import { DEFAULT_THEME, measureLabels, paintMatrix } from "../components/heatmap/paint.js";

export const FORMAT = "attention-playground/matrix";
export const VERSION = 1;
/** Cell side in CSS px of a PNG or SVG export: `target` px over the larger dimension, within [min, max]. */
export const PNG_CELL = Object.freeze({ min: 12, max: MAX_CELL, target: 720 });
/** The largest side of a PNG in device px (every browser makes canvases this large). */
export const PNG_MAX_SIDE = 8192;
/** The narrowest figure in CSS px (room for the title and the legend beside a tiny matrix). */
export const MIN_WIDTH = 320;
const BACKGROUND = "#ffffff";

function check(matrix, who) {
  const { rows, cols, data } = matrix || {};
  if (!(Number.isInteger(rows) && rows >= 0)) throw new RangeError(`${who}: matrix.rows must be an integer >= 0, got ${rows}`);
  if (!(Number.isInteger(cols) && cols >= 0)) throw new RangeError(`${who}: matrix.cols must be an integer >= 0, got ${cols}`);
  if (!data || typeof data.length !== "number" || data.length < rows * cols) {
    throw new RangeError(`${who}: matrix.data has ${data?.length} values, expected rows*cols = ${rows * cols}`);
  }
  return { rows, cols, data };
}

/** A label as written to CSV and JSON: the text itself, or the index when there is none. */
const rawLabel = (labels, i) => (labels?.[i] === undefined || labels?.[i] === null ? String(i) : String(labels[i]));

// ---------------------------------------------------------------- CSV

/** One RFC 4180 field. */
export function csvField(s) {
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A value as CSV text: the shortest decimal that reads back as the same number; "-Infinity" if masked. */
const number = (v) => (Object.is(v, -0) ? "-0" : String(v));

export function csv({ matrix, rowLabels, colLabels } = {}) {
  const { rows, cols, data } = check(matrix, "csv");
  const lines = [["", ...Array.from({ length: cols }, (_, j) => rawLabel(colLabels, j))].map(csvField).join(",")];
  for (let i = 0; i < rows; i++) {
    const fields = [csvField(rawLabel(rowLabels, i))];
    for (let j = 0; j < cols; j++) fields.push(number(data[i * cols + j]));
    lines.push(fields.join(","));
  }
  return lines.join("\r\n") + "\r\n";
}

// ---------------------------------------------------------------- SVG

// Characters XML 1.0 does not allow (C0 controls but tab, LF, CR; U+FFFE, U+FFFF) and, with the u
// flag, lone surrogates (a pair is one code point, outside the class).
const XML_BAD = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/gu; // eslint-disable-line no-control-regex

/** Text for XML content or a quoted attribute: escaped, with forbidden characters as U+FFFD. */
export function xmlText(s) {
  return String(s)
    .replace(XML_BAD, "\ufffd")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

/** The cell side (CSS px) for an export of this many rows and columns. */
export function exportCell(rows, cols) {
  const n = Math.max(rows, cols, 1);
  return Math.min(PNG_CELL.max, Math.max(PNG_CELL.min, Math.floor(PNG_CELL.target / n)));
}

const CHAR_W = 8; // an estimate of a 12 px label character's width (SVG text is not measured here)
const TITLE_CHAR_W = 9; // and of a 14 px bold title character's
const num = (v) => String(Math.round(v * 100) / 100);
/** A label as shown: as the heatmap shows it, cut to fit `maxW` px by the estimate. */
function svgLabel(labels, i, maxW) {
  const s = displayLabel(labels?.[i], i);
  const most = Math.max(1, Math.min(LABEL_CHARS, Math.floor(maxW / CHAR_W)));
  return s.length > most ? s.slice(0, Math.max(1, most - 1)) + "\u2026" : s;
}

export function svg({ matrix, rowLabels, colLabels, title = "", palette, clip = null, digits = 2, highlightRow = null } = {}) {
  const { rows, cols, data } = check(matrix, "svg");
  const theme = DEFAULT_THEME;
  const cell = exportCell(rows, cols);
  const widest = (n, labels) => {
    let w = 0;
    for (let i = 0; i < n; i++) w = Math.max(w, Math.min(LABEL_CHARS, displayLabel(labels?.[i], i).length));
    return Math.ceil(w * CHAR_W);
  };
  const { L, T } = gutters(widest(rows, rowLabels), widest(cols, colLabels), Infinity);
  const top = title ? TITLE_H : 0;
  const gridW = cols * cell;
  const gridH = rows * cell;
  const width = Math.ceil(Math.max(MIN_WIDTH, title ? String(title).length * TITLE_CHAR_W + 8 : 0, L + gridW + PAD));
  const height = top + T + gridH + PAD + LEGEND_H;
  const x0 = L;
  const y0 = top + T;
  const scale = makeScale(palette, data, rows * cols, clip);
  const table = lut(palette);
  const { px: labelPx, step } = labelStep(cell);
  const fam = xmlText(theme.family);
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${fam}">`,
    `<title>${xmlText(title)}</title>`,
    `<defs><pattern id="ap-masked" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
      `<rect width="6" height="6" fill="${theme.maskBg}"/><line x1="0" y1="0" x2="0" y2="6" stroke="${theme.maskLine}" stroke-width="1.5"/></pattern>`,
  );
  const stops = legendStops(palette, scale.min, scale.max);
  out.push(`<linearGradient id="ap-scale">${stops.map((s) => `<stop offset="${num(s.offset)}" stop-color="${s.colour}"/>`).join("")}</linearGradient></defs>`);
  out.push(`<rect width="${width}" height="${height}" fill="${BACKGROUND}"/>`);
  if (title) {
    out.push(`<text x="2" y="${TITLE_H / 2}" dy="0.35em" font-size="14" font-weight="600" fill="${theme.fg}">${xmlText(title)}</text>`);
  }
  // The cells: one rect each, row-major.
  out.push(`<g class="cells" shape-rendering="crispEdges">`);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const code = scale.code(data[i * cols + j]);
      const fill = code === CODE_MASKED ? "url(#ap-masked)" : code === CODE_NAN ? theme.line : table.fill[code];
      out.push(`<rect x="${x0 + j * cell}" y="${y0 + i * cell}" width="${cell}" height="${cell}" fill="${fill}"/>`);
    }
  }
  out.push("</g>");
  // Values inside cells wide enough for them.
  if (cell >= NUM_CELL) {
    const size = Math.min(12, Math.floor(cell * 0.34));
    out.push(`<g class="values" font-size="${size}" text-anchor="middle">`);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const v = data[i * cols + j];
        const code = scale.code(v);
        const text = code === CODE_MASKED ? MINUS_INFINITY : formatValue(v, digits);
        const fill = code === CODE_MASKED ? theme.maskText : code === CODE_NAN ? theme.fg : table.text[code];
        out.push(`<text x="${num(x0 + (j + 0.5) * cell)}" y="${num(y0 + (i + 0.5) * cell)}" dy="0.35em" fill="${fill}">${xmlText(text)}</text>`);
      }
    }
    out.push("</g>");
  }
  if (Number.isInteger(highlightRow) && highlightRow >= 0 && highlightRow < rows) {
    out.push(`<rect class="highlight" x="${x0 + 1}" y="${y0 + highlightRow * cell + 1}" width="${gridW - 2}" height="${cell - 2}" fill="none" stroke="${theme.accent}" stroke-width="2"/>`);
  }
  // The labels: rows at the left (right-aligned), columns at the top (rotated, reading upwards).
  out.push(`<g class="row-labels" font-size="${labelPx}" font-weight="600" fill="${theme.muted}" text-anchor="end">`);
  for (let i = 0; i < rows; i += step) {
    out.push(`<text x="${L - GAP}" y="${num(y0 + (i + 0.5) * cell)}" dy="0.35em">${xmlText(svgLabel(rowLabels, i, L - GAP - 2))}</text>`);
  }
  out.push("</g>");
  out.push(`<g class="col-labels" font-size="${labelPx}" font-weight="600" fill="${theme.muted}">`);
  for (let j = 0; j < cols; j += step) {
    const x = num(x0 + (j + 0.5) * cell);
    out.push(`<text transform="translate(${x} ${top + T - GAP}) rotate(-90)" dy="0.35em">${xmlText(svgLabel(colLabels, j, T - GAP - 2))}</text>`);
  }
  out.push("</g>");
  // The colour scale.
  const ly = top + T + gridH + PAD;
  const lw = Math.max(gridW, Math.min(160, width - L - PAD));
  out.push(
    `<g class="legend" font-size="11" fill="${theme.muted}">`,
    `<rect x="${L}" y="${ly + 8}" width="${lw}" height="10" fill="url(#ap-scale)" stroke="${theme.line}"/>`,
  );
  for (const t of lw >= 120 ? [0, 0.5, 1] : [0, 1]) {
    const anchor = t === 0 ? "start" : t === 1 ? "end" : "middle";
    out.push(`<text x="${num(L + lw * t)}" y="${ly + 22}" dy="0.8em" text-anchor="${anchor}">${xmlText(formatValue(scale.min + (scale.max - scale.min) * t, digits))}</text>`);
  }
  out.push("</g>", "</svg>");
  return out.join("\n") + "\n";
}

// ---------------------------------------------------------------- JSON

const named = (x) => (x && typeof x === "object" ? x : { name: x ?? null });

export function json({ matrix, rowLabels, colLabels, stage, model, state = null, title = "", crop = null } = {}) {
  const { rows, cols, data } = check(matrix, "json");
  const s = named(stage);
  const m = named(model);
  const values = [];
  for (let i = 0; i < rows; i++) {
    const row = new Array(cols);
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      // JSON has no -Infinity: a masked pair is null. (Infinity and NaN never come from a trace.)
      row[j] = v === -Infinity ? null : Number.isFinite(v) ? Number(v) : String(v);
    }
    values.push(row);
  }
  return {
    format: FORMAT,
    version: VERSION,
    title: String(title ?? ""),
    stage: { name: s.name ?? null, title: s.title ?? null, rowAxis: s.rowAxis ?? null, colAxis: s.colAxis ?? null },
    model: { name: m.name ?? null, title: m.title ?? null },
    layer: state && Number.isInteger(state.layer) ? state.layer : null,
    head: state && Number.isInteger(state.head) ? state.head : null,
    rows,
    cols,
    rowLabels: Array.from({ length: rows }, (_, i) => rawLabel(rowLabels, i)),
    colLabels: Array.from({ length: cols }, (_, j) => rawLabel(colLabels, j)),
    rowIndices: crop?.rows ? Array.from(crop.rows) : null,
    colIndices: crop?.cols ? Array.from(crop.cols) : null,
    masked: "null in matrix: a masked pair (-Infinity)",
    matrix: values,
    state,
  };
}

/** The JSON export as text: top-level fields one per line, the matrix one row per line. */
export function jsonText(spec) {
  const o = json(spec);
  const lines = Object.entries(o).map(([k, v]) => {
    const text = k === "matrix" ? (v.length ? `[\n    ${v.map((r) => JSON.stringify(r)).join(",\n    ")}\n  ]` : "[]") : JSON.stringify(v);
    return `  ${JSON.stringify(k)}: ${text}`;
  });
  return `{\n${lines.join(",\n")}\n}\n`;
}

/** Reads a JSON export back: {rows, cols, data (Float64Array, -Infinity where null), rowLabels, colLabels}. */
export function readJson(o) {
  if (o?.format !== FORMAT) throw new RangeError(`readJson: not an attention-playground matrix (format ${JSON.stringify(o?.format)})`);
  if (o.version !== VERSION) throw new RangeError(`readJson: version ${o.version} is not ${VERSION}, the version this reads`);
  const { rows, cols } = o;
  if (!Array.isArray(o.matrix) || o.matrix.length !== rows || o.matrix.some((r) => !Array.isArray(r) || r.length !== cols)) {
    throw new RangeError(`readJson: matrix is not ${rows} rows of ${cols} values`);
  }
  const data = new Float64Array(rows * cols);
  o.matrix.forEach((r, i) => r.forEach((v, j) => (data[i * cols + j] = v === null ? -Infinity : Number(v))));
  return { rows, cols, data, rowLabels: o.rowLabels, colLabels: o.colLabels };
}

// ---------------------------------------------------------------- PNG

/**
 * The PNG's size: {width, height} in CSS px, `dpr` (device px per CSS px) and `cell`, for label
 * gutters of `labelW` ({row, col}, the widest label of each axis in px, from measureLabels) and a
 * title `titleW` px wide (the figure is at least that wide, within the size limit).
 */
export function pngSize({ rows, cols, labelW = { row: 0, col: 0 }, titleW = 0, dpr = 1, title = "" }) {
  const { L, T } = gutters(labelW.row, labelW.col, Infinity);
  const top = title ? TITLE_H : 0;
  const fixedW = L + PAD;
  const fixedH = top + T + PAD + LEGEND_H;
  let cell = exportCell(rows, cols);
  const size = () => ({ width: Math.ceil(Math.max(MIN_WIDTH, titleW + 8, fixedW + cols * cell)), height: Math.ceil(fixedH + rows * cell) });
  let { width, height } = size();
  let ratio = Number.isFinite(dpr) && dpr > 0 ? dpr : 1;
  // Too large: a lower pixel ratio first (down to 1), then smaller cells.
  if (Math.max(width, height) * ratio > PNG_MAX_SIDE) ratio = Math.max(Math.min(ratio, 1), PNG_MAX_SIDE / Math.max(width, height));
  if (Math.max(width, height) * ratio > PNG_MAX_SIDE) {
    const most = PNG_MAX_SIDE / ratio;
    cell = Math.min(cell, cols ? (most - fixedW) / cols : cell, rows ? (most - fixedH) / rows : cell);
    cell = Math.max(cell, 1 / ratio); // a device pixel per cell, at the least
    ({ width, height } = size());
    width = Math.min(width, Math.floor(most));
    height = Math.min(height, Math.floor(most));
  }
  return { width, height, dpr: ratio, cell };
}

/** Resolves to the canvas's PNG. */
function encodePng(canvas) {
  if (typeof canvas.convertToBlob === "function") return canvas.convertToBlob({ type: "image/png" });
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

export async function png({ matrix, rowLabels, colLabels, title = "", palette, clip = null, digits = 2, highlightRow = null, dpr = 1, canvas } = {}) {
  const { rows, cols, data } = check(matrix, "png");
  if (typeof canvas !== "function") throw new RangeError("png: canvas must be a function (width, height) -> a canvas");
  const c = canvas(1, 1);
  const measure = c.getContext("2d");
  if (!measure) throw new Error("This browser gave no 2D canvas, so the PNG could not be drawn; try the SVG export.");
  const labelW = measureLabels(measure, rows, cols, Array.from(rowLabels || []), Array.from(colLabels || []), DEFAULT_THEME.family);
  measure.font = `600 14px ${DEFAULT_THEME.family}`; // the title's font (paint.js)
  const titleW = title ? Math.ceil(measure.measureText(String(title)).width) : 0;
  const size = pngSize({ rows, cols, labelW, titleW, dpr, title });
  c.width = Math.round(size.width * size.dpr);
  c.height = Math.round(size.height * size.dpr);
  const ctx = c.getContext("2d");
  paintMatrix(ctx, { rows, cols, data }, {
    width: size.width,
    height: size.height,
    dpr: size.dpr,
    rowLabels,
    colLabels,
    title,
    palette,
    clip,
    digits,
    highlightRow,
    legend: true,
    background: BACKGROUND,
  });
  const blob = await encodePng(c);
  if (!blob) throw new Error(`The browser could not encode a ${c.width} × ${c.height} px PNG; try the SVG export.`);
  return blob;
}

// ---------------------------------------------------------------- names

const slug = (s) => String(s ?? "matrix").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "matrix";

export function fileName({ stage, head, layer, perHead = true, layers = 1 } = {}, ext) {
  const parts = [`attention-${slug(stage)}`];
  if (layers > 1 && Number.isInteger(layer)) parts.push(`layer${layer + 1}`);
  if (perHead && Number.isInteger(head)) parts.push(`head${head + 1}`);
  return `${parts.join("-")}.${ext}`;
}
