// The head grid's pure parts: each head's map as the pixels of a small image, the keyboard's
// moves across the grid, and the patterns counted. No DOM; imports only the heatmap's palette.
import { colour } from "../../components/heatmap/palette.js";

/** Most pixels along a side of one head's image (longer sentences are pooled into blocks). */
export const MOST_PIXELS = 64;

/** The sequential palette as 256 RGB triples (index = round(255 t)). */
const RAMP = (() => {
  const out = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = colour("sequential", i / 255).match(/\d+/g).map(Number);
    out.set([r, g, b], 3 * i);
  }
  return out;
})();

/** Pixels along a side for `n` tokens: one per token, at most MOST_PIXELS. */
export function resolution(n, most = MOST_PIXELS) {
  return Math.max(1, Math.min(n, most));
}

/**
 * One head's map as RGBA pixels: `data` holds (query, key) weights of `seqLen` tokens from
 * `offset`; `keep` the token indices shown (rows and columns). Each pixel is the largest weight
 * of its block, coloured on the sequential palette scaled to the map's own largest shown weight
 * (so a broad head is not all dark). -> {size, pixels: Uint8ClampedArray(size * size * 4), max}
 */
export function thumbnail(data, offset, seqLen, keep, most = MOST_PIXELS) {
  const m = keep.length;
  const size = resolution(m, most);
  const block = new Float32Array(size * size);
  for (let a = 0; a < m; a++) {
    const pa = Math.floor((a * size) / m);
    const row = offset + keep[a] * seqLen;
    for (let b = 0; b < m; b++) {
      const v = data[row + keep[b]];
      const k = pa * size + Math.floor((b * size) / m);
      if (v > block[k]) block[k] = v;
    }
  }
  let max = 0;
  for (const v of block) if (v > max) max = v;
  const pixels = new Uint8ClampedArray(size * size * 4);
  for (let k = 0; k < block.length; k++) {
    const i = max > 0 ? Math.round((255 * block[k]) / max) : 0;
    pixels[4 * k] = RAMP[3 * i];
    pixels[4 * k + 1] = RAMP[3 * i + 1];
    pixels[4 * k + 2] = RAMP[3 * i + 2];
    pixels[4 * k + 3] = 255;
  }
  return { size, pixels, max };
}

/**
 * Where a key moves the grid's cursor ({layer, head}; rows are layers, columns heads): arrows by
 * one, Home/End to the row's ends, Ctrl+Home/End to the corners, PageUp/PageDown to the first
 * or last layer. Null for a key the grid does not use.
 */
export function move({ layer, head }, key, layers, heads, ctrl = false) {
  const at = (l, h) => ({ layer: Math.min(layers - 1, Math.max(0, l)), head: Math.min(heads - 1, Math.max(0, h)) });
  switch (key) {
    case "ArrowLeft": return at(layer, head - 1);
    case "ArrowRight": return at(layer, head + 1);
    case "ArrowUp": return at(layer - 1, head);
    case "ArrowDown": return at(layer + 1, head);
    case "Home": return ctrl ? at(0, 0) : at(layer, 0);
    case "End": return ctrl ? at(layers - 1, heads - 1) : at(layer, heads - 1);
    case "PageUp": return at(0, head);
    case "PageDown": return at(layers - 1, head);
    default: return null;
  }
}

/** The engine's head patterns counted: [{pattern, title, count}], most common first. */
export function patternCounts(patterns) {
  const by = new Map();
  for (const p of patterns) {
    const c = by.get(p.pattern) ?? { pattern: p.pattern, title: p.title, count: 0 };
    c.count++;
    by.set(p.pattern, c);
  }
  return [...by.values()].sort((a, b) => b.count - a.count || a.pattern.localeCompare(b.pattern));
}

/** The pattern the engine gave head (layer, head), or null. */
export function patternOf(patterns, layer, head) {
  return patterns.find((p) => p.layer === layer && p.head === head) ?? null;
}
