// The flow's pure parts: a thumbnail's size from its matrix's shape, and the marks drawn on it
// (the followed token's path and the cells a hovered cell came from). No DOM.

/** Height of every thumbnail in CSS px: all token matrices share their rows, so one row lines up across the flow. */
export const THUMB_H = 48;
export const THUMB_MIN_W = 18;
export const THUMB_MAX_W = 150;

/** A thumbnail's CSS size: height THUMB_H, width in proportion to cols/rows (so the shape reads), clamped. */
export function thumbSize(rows, cols, height = THUMB_H) {
  const w = rows > 0 ? (height * cols) / rows : height;
  return { w: Math.round(Math.min(THUMB_MAX_W, Math.max(THUMB_MIN_W, w))), h: height };
}


/**
 * The marks on one stage's matrix. `info`: the stage (its rowAxis, colAxis); `focus`: the followed
 * query row (or null); `weights`: that row's attention weights over the keys (array, or null);
 * `sources`: [{stage, row?, col?}] the hovered cell came from. -> [{kind: "row" | "col" | "cell",
 * row?, col?, alpha, role: "focus" | "key" | "source"}]
 * - the followed row, on every matrix whose rows are the query tokens;
 * - each key, on every matrix whose rows are the key tokens (K, V), with alpha its weight
 *   relative to the largest (keys below 2 % of it are left out);
 * - the columns of the keys on the query x key matrices (scores ... softmax), the same way;
 * - the hovered cell's sources on their stages.
 */
export function marksFor(info, { focus = null, weights = null, sources = [] } = {}) {
  const marks = [];
  if (!info) return marks;
  const top = weights ? Math.max(...weights.map((w) => (Number.isFinite(w) ? w : 0))) : 0;
  const keys = top > 0 ? weights.map((w, j) => [j, w / top]).filter(([, a]) => a >= 0.02) : [];
  if (info.rowAxis === "key-tokens" && focus !== null) for (const [j, a] of keys) marks.push({ kind: "row", row: j, alpha: a, role: "key" });
  if (info.colAxis === "key-tokens" && focus !== null) for (const [j, a] of keys) marks.push({ kind: "col", col: j, alpha: a, role: "key" });
  if (info.rowAxis === "query-tokens" && focus !== null) marks.push({ kind: "row", row: focus, alpha: 1, role: "focus" });
  for (const s of sources) {
    if (s.stage !== info.name) continue;
    const kind = s.row != null && s.col != null ? "cell" : s.row != null ? "row" : "col";
    marks.push({ kind, row: s.row ?? null, col: s.col ?? null, alpha: 1, role: "source" });
  }
  return marks;
}
