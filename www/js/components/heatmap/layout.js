// Heatmap layout: sizes and positions, in CSS px. Pure: no DOM, no canvas; label widths are measured
// by the painter and passed in.
//
// Contract (a layout `lay` is {L, T, cell, totalW, totalH}: row-label gutter width, column-label
// gutter height, cell side, and the whole grid's size with its gutters and PAD; a view is the part
// of it on screen: {sx, sy, w, h}, scroll offsets of the cells and the visible box's size):
// - gutters(rowLabelW, colLabelW, width) -> {L, T}: room for the widest labels plus GAP, at least 24,
//   at most ROW_LABEL_MAX / COL_LABEL_MAX, and the row gutter at most 30% of the width.
// - screenLayout({rows, cols, width, height, rowLabelW, colLabelW, zoom}): the on-screen grid, whole
//   px cells: at zoom 1 the whole matrix fits width x height (height: the box's largest, Infinity
//   when unbounded), cells at most MAX_CELL and at least 1 px (labels thinned when short), except
//   that a matrix with few rows and many columns keeps MIN_CELL rows and scrolls sideways; zoom
//   multiplies that cell (down to the whole matrix, up to MAX_CELL) and the box scrolls.
// - clientBox(lay, {width, maxHeight, bar}) -> {w, h}: the inside of the scroll box once it holds the
//   grid (its clientWidth and clientHeight), from what the box is without it: its width, its
//   largest height and a scrollbar's thickness; so an update sizes the canvas without a layout read.
// - zoomSteps(fit, whole): the zoom factors worth offering (whole / fit, 1, 2, 4, ... until MAX_CELL).
// - fitLayout({rows, cols, width, height, rowLabelW, colLabelW, title, legend}): the whole matrix
//   fitted into width x height (any cell size, fractions allowed), below a title band of TITLE_H
//   (when title) and above a legend band of LEGEND_H (when legend); adds {top, titleBox, legendBox}.
// - labelStep(cell) -> {px, step}: label font size, and draw every step-th label when a cell is
//   shorter than a line of text.
// - visibleRange(lay, rows, cols, view) -> {r0, r1, c0, c1}: the rows r0 <= r < r1 and columns
//   c0 <= c < c1 that the view shows (possibly in part); empty (r0 == r1 or c0 == c1) when none.
// - cellAt(lay, rows, cols, view, x, y) -> {row, col} | null: the cell under the point (x, y) of the
//   visible box; null on the gutters, the PAD, outside the box or the matrix.
// - scrollToShow(lay, view, p) -> {sx, sy}: the nearest scroll offsets that show cell p whole.
// - pageRows(lay, h): rows a PageUp/PageDown moves (a screenful less one, at least 1).
// - tableWindow(n, centre, start) -> {start, count}: the slice of a dimension the table twin holds:
//   all of it up to TABLE_FULL_MAX, else TABLE_WINDOW around `centre`, kept at `start` while it
//   still holds `centre`.

export const MIN_CELL = 14; // a cell with every label readable (below it, labels are thinned)
export const MAX_CELL = 56; // small matrices do not grow past this on screen
export const NUM_CELL = 34; // draw the value inside cells at least this wide
export const INF_CELL = 20; // draw "−∞" inside masked cells at least this wide
export const PAD = 3; // right/bottom of the grid (room for outlines)
export const GAP = 6; // between labels and the grid
export const ROW_LABEL_MAX = 140;
export const COL_LABEL_MAX = 100;
export const TITLE_H = 24; // title band of a whole-matrix render
export const LEGEND_H = 40; // colour-scale legend band of a whole-matrix render
export const TABLE_FULL_MAX = 64; // a dimension above this gets a window in the table twin
export const TABLE_WINDOW = 32;

export const clampInt = (v, lo, hi) => Math.min(hi, Math.max(lo, Math.floor(v)));

export function gutters(rowLabelW, colLabelW, width) {
  const L = Math.min(Math.max(rowLabelW + GAP + 4, 24), ROW_LABEL_MAX, Math.max(24, Math.floor(width * 0.3)));
  const T = Math.min(Math.max(colLabelW + GAP + 4, 24), COL_LABEL_MAX);
  return { L, T };
}

export function screenLayout({ rows, cols, width, height = Infinity, rowLabelW, colLabelW, zoom = 1 }) {
  const { L, T } = gutters(rowLabelW, colLabelW, width);
  const { whole, fit } = fitCell({ rows, cols, width, height, L, T });
  const cell = Math.max(whole, Math.min(MAX_CELL, zoom >= 1 ? Math.max(fit, Math.round(fit * zoom)) : Math.round(fit * zoom)));
  return { L, T, cell, fit, whole, totalW: L + cols * cell + PAD, totalH: T + rows * cell + PAD };
}

/**
 * Whole-px cells: `whole`, at which the whole matrix fits width x height beside its gutters (1 to
 * MAX_CELL); `fit`, the default: `whole`, except that a matrix with few rows and many columns (13
 * tokens x 384 dimensions) keeps rows of MIN_CELL when its height allows, and scrolls sideways.
 */
function fitCell({ rows, cols, width, height, L, T }) {
  const byW = Math.floor((width - L - PAD) / Math.max(cols, 1));
  const byH = Number.isFinite(height) ? Math.floor((height - T - PAD) / Math.max(rows, 1)) : Infinity;
  const whole = Math.max(1, Math.min(MAX_CELL, byW, byH));
  return { whole, fit: Math.max(whole, Math.min(MIN_CELL, byH)) };
}

/**
 * The inside of the scroll box (overflow: auto, as wide as its container, as high as its content
 * up to `maxHeight`) holding a grid of lay.totalW x lay.totalH: `width` is the box's inner width
 * without a scrollbar, `bar` a scrollbar's thickness (0 where scrollbars overlay the content). A
 * vertical bar comes when the grid is taller than the box can be; a horizontal one when it is wider
 * than what the vertical bar leaves, and its height may then call for the vertical bar.
 */
export function clientBox({ totalW, totalH }, { width, maxHeight = Infinity, bar = 0 }) {
  let vertical = totalH > maxHeight;
  const horizontal = totalW > width - (vertical ? bar : 0);
  if (horizontal && !vertical) vertical = totalH + bar > maxHeight;
  const extra = horizontal ? bar : 0;
  return { w: width - (vertical ? bar : 0), h: Math.min(maxHeight, totalH + extra) - extra };
}

/** Zoom factors from the whole matrix (`whole / fit`, at most 1) up by doubling until MAX_CELL. */
export function zoomSteps(fit, whole = fit) {
  const steps = whole < fit ? [whole / fit, 1] : [1];
  while (fit * steps.at(-1) < MAX_CELL) steps.push(steps.at(-1) * 2);
  return steps;
}

export function fitLayout({ rows, cols, width, height, rowLabelW, colLabelW, title = false, legend = false }) {
  const top = title ? TITLE_H : 0;
  const { L, T } = gutters(rowLabelW, colLabelW, width);
  const byW = (width - L - PAD) / Math.max(cols, 1);
  const byH = (height - top - (legend ? LEGEND_H : 0) - T - PAD) / Math.max(rows, 1);
  const cell = Math.max(0, Math.min(byW, byH));
  const totalW = L + cols * cell + PAD;
  const totalH = T + rows * cell + PAD;
  const legendBox = legend
    ? { x: L, y: top + totalH, w: Math.max(0, Math.max(cols * cell, Math.min(160, width - L - PAD))), h: LEGEND_H }
    : null;
  return { L, T, cell, totalW, totalH, top, titleBox: title ? { x: 0, y: 0, w: width, h: TITLE_H } : null, legendBox };
}

export function labelStep(cell) {
  const px = Math.min(12, Math.max(9, cell - 3));
  return { px, step: cell > 0 ? Math.max(1, Math.ceil((px + 2) / cell)) : 1 };
}

export function visibleRange({ L, T, cell }, rows, cols, { sx, sy, w, h }) {
  if (!(cell > 0)) return { r0: 0, r1: 0, c0: 0, c1: 0 };
  const c0 = Math.min(cols, Math.max(0, Math.floor(sx / cell)));
  const r0 = Math.min(rows, Math.max(0, Math.floor(sy / cell)));
  return {
    r0,
    r1: Math.max(r0, Math.min(rows, Math.ceil((sy + h - T) / cell))),
    c0,
    c1: Math.max(c0, Math.min(cols, Math.ceil((sx + w - L) / cell))),
  };
}

export function cellAt({ L, T, cell }, rows, cols, { sx, sy, w, h }, x, y) {
  if (rows <= 0 || cols <= 0 || !(cell > 0)) return null;
  if (!(x >= L && y >= T && x < w && y < h)) return null;
  const col = Math.floor((x - L + sx) / cell);
  const row = Math.floor((y - T + sy) / cell);
  if (row < 0 || col < 0 || row >= rows || col >= cols) return null;
  return { row, col };
}

export function scrollToShow({ L, T, cell }, { sx, sy, w, h }, p) {
  const viewW = w - L - PAD;
  const viewH = h - T - PAD;
  if (p.col * cell < sx) sx = p.col * cell;
  else if ((p.col + 1) * cell > sx + viewW) sx = (p.col + 1) * cell - viewW;
  if (p.row * cell < sy) sy = p.row * cell;
  else if ((p.row + 1) * cell > sy + viewH) sy = (p.row + 1) * cell - viewH;
  return { sx: Math.max(0, sx), sy: Math.max(0, sy) };
}

export function pageRows({ T, cell }, h) {
  return Math.max(1, Math.floor((h - T - PAD) / cell) - 1);
}

export function tableWindow(n, centre, start) {
  if (n <= TABLE_FULL_MAX) return { start: 0, count: n };
  const k = TABLE_WINDOW;
  if (centre >= start && centre < start + k && start + k <= n) return { start, count: k };
  return { start: clampInt(centre - k / 2, 0, n - k), count: k };
}
