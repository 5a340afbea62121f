// Heatmap palette: the two colour scales, value -> colour, text colour for contrast, legend stops.
// Pure: no DOM, no canvas.
//
// Contract:
// - Palettes: "sequential" is viridis over [min(0, lowest), max(1, highest)] (0 is exactly the lowest
//   colour; the range widens only if the data leave [0, 1]); "diverging" is blue – near white –
//   orange (RdBu / PuOr ends), symmetric around 0 (code(-v) mirrors code(v) exactly), scaled to the
//   largest finite |value|. Any other name means "sequential" (paletteName).
// - Colours come from a table of LUT_SIZE (odd) entries, so the diverging midpoint 0 is one exact
//   entry. A value's code is its entry index; -Infinity (masked) is CODE_MASKED, NaN is CODE_NAN,
//   +Infinity is the top entry. Masked and NaN cells have no palette colour (the painter and the
//   table draw them from the theme).
// - lut(palette) -> {fill: ["rgb(r,g,b)"], text: ["#000" | "#fff"], rgb: [[r, g, b]] of the stops,
//   bytes: each code's r, g, b, words: each code's opaque RGBA pixel as a Uint32 in this machine's
//   byte order}: text is whichever of black and white contrasts more with the fill (WCAG contrast ratio).
// - makeScale(palette, data, n) -> {palette, min, max, code(v), codes(values, n, out), fill(v), text(v)}:
//   the domain the data give and value -> code / fill colour / text colour (fill and text are null
//   for masked/NaN); codes() writes the first n values' codes into out.
// - encode(palette, data, n, out?) -> {codes: Uint16Array(n), min, max}: every value's code at once.
// - colour(palette, t) -> "rgb(r, g, b)": sequential t in [0, 1], diverging t in [-1, 1]; clamped,
//   NaN reads as the low end.
// - pixels(palette, data, rows, cols, {masked, nan, clip}, out?) -> RGBA bytes, a pixel per value.
// - kthSmallest(a, k): a sort's k-th entry in linear time (the clip quantile).
// - legendStops(palette, min, max) -> [{offset, value, colour}]: one per palette stop, offset 0..1
//   from min to max, for a linear gradient that matches the cells (interpolated in sRGB like the LUT).

export const LUT_SIZE = 255; // odd, so that the diverging midpoint (0) is one exact entry
export const CODE_MASKED = 1000; // -Infinity
export const CODE_NAN = 1001;

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

/** The stop colour at u in [0, 1] (clamped, NaN -> 0), linear in sRGB between stops. */
function interpolate(stops, u) {
  const x = Math.min(1, Math.max(0, Number.isNaN(u) ? 0 : u)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f));
}

/** WCAG relative luminance of an sRGB colour [r, g, b] (0..255). */
function luminance([r, g, b]) {
  const lin = (c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** "#000" or "#fff", whichever has the higher contrast ratio against [r, g, b]. */
export function contrastText(rgb) {
  const L = luminance(rgb);
  return (L + 0.05) / 0.05 >= 1.05 / (L + 0.05) ? "#000" : "#fff";
}

/** An opaque [r, g, b] as one RGBA pixel of a Uint32Array over image bytes (any byte order). */
function pixelWord([r, g, b]) {
  return new Uint32Array(Uint8Array.of(r, g, b, 255).buffer)[0];
}

function makeLut(stops) {
  const rgb = stops.map(hexRgb);
  const fill = [];
  const text = [];
  const bytes = new Uint8ClampedArray(LUT_SIZE * 3); // each code's [r, g, b], for drawing as an image
  const words = new Uint32Array(LUT_SIZE); // each code's opaque RGBA pixel, in this machine's byte order
  for (let i = 0; i < LUT_SIZE; i++) {
    const c = interpolate(rgb, i / (LUT_SIZE - 1));
    fill.push(`rgb(${c[0]},${c[1]},${c[2]})`);
    text.push(contrastText(c));
    bytes.set(c, i * 3);
    words[i] = pixelWord(c);
  }
  return Object.freeze({ fill: Object.freeze(fill), text: Object.freeze(text), rgb: Object.freeze(rgb), bytes, words });
}

const LUTS = { sequential: makeLut(VIRIDIS), diverging: makeLut(DIVERGING) };

/** The palette's canonical name: "diverging", or "sequential" for anything else. */
export const paletteName = (palette) => (palette === "diverging" ? "diverging" : "sequential");

/** The palette's colour table: {fill, text, rgb}. */
export const lut = (palette) => LUTS[paletteName(palette)];

/**
 * The palette colour as a CSS "rgb(r, g, b)" string.
 * sequential: t in [0, 1] (0 is the lowest colour); diverging: t in [-1, 1] (0 is the white middle).
 */
export function colour(palette, t) {
  const div = paletteName(palette) === "diverging";
  const c = interpolate(lut(palette).rgb, div ? (t + 1) / 2 : t);
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** The scale the first n values of data give under the palette (see the contract above). */
export function makeScale(palette, data, n = data.length, clip = null) {
  const name = paletteName(palette);
  let lo = Infinity;
  let hi = -Infinity;
  let maxAbs = 0;
  for (let k = 0; k < n; k++) {
    const v = data[k];
    if (v > -Infinity && v < Infinity) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      const a = v < 0 ? -v : v;
      if (a > maxAbs) maxAbs = a;
    }
  }
  const top = LUT_SIZE - 1;
  let min;
  let max;
  let index; // finite v -> LUT index, before clamping
  let s; // the LUT entries per unit of value
  const mid = top / 2;
  const diverging = name === "diverging";
  if (diverging && clip > 0 && clip < 1) maxAbs = Math.min(maxAbs, quantileAbs(data, n, clip)) || maxAbs;
  if (diverging) {
    s = maxAbs > 0 ? top / (2 * maxAbs) : 0;
    min = -maxAbs;
    max = maxAbs;
    // rounded away from the middle on both sides, so that -v and v are mirror entries
    index = (v) => (v < 0 ? mid - Math.round(-v * s) : mid + Math.round(v * s));
  } else {
    min = Math.min(0, lo);
    max = Math.max(1, hi);
    s = top / (max - min);
    index = (v) => Math.round((v - min) * s);
  }
  const special = (v) => (v === -Infinity ? CODE_MASKED : v !== v ? CODE_NAN : top);
  const code = (v) => {
    if (!(v > -Infinity && v < Infinity)) return special(v);
    const c = index(v);
    return c < 0 ? 0 : c > top ? top : c;
  };
  /** code() of the first n values into `out`, in one loop with the arithmetic inline (a call per value costs most of it). */
  function codes(values, count, out) {
    if (diverging) {
      for (let k = 0; k < count; k++) {
        const v = values[k];
        if (v > -Infinity && v < Infinity) {
          const c = v < 0 ? mid - Math.round(-v * s) : mid + Math.round(v * s);
          out[k] = c < 0 ? 0 : c > top ? top : c;
        } else out[k] = special(v);
      }
    } else {
      for (let k = 0; k < count; k++) {
        const v = values[k];
        if (v > -Infinity && v < Infinity) {
          const c = Math.round((v - min) * s);
          out[k] = c < 0 ? 0 : c > top ? top : c;
        } else out[k] = special(v);
      }
    }
    return out;
  }
  const table = LUTS[name];
  return {
    palette: name,
    min,
    max,
    code,
    codes,
    fill: (v) => table.fill[code(v)] ?? null,
    text: (v) => table.text[code(v)] ?? null,
  };
}

/** The k-th smallest of `a` (0-based; no NaN), as a sort would place it; reorders `a` (quickselect). */
export function kthSmallest(a, k) {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const x = a[lo];
    const y = a[(lo + hi) >> 1];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y; // median of three
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * The q-quantile of |v| over the finite values among the first n (from at most 4,096 of them,
 * evenly spaced): a diverging scale clipped there shows matrices whose few huge entries would
 * otherwise leave every other cell white (BERT's outlier dimensions).
 */
function quantileAbs(data, n, q) {
  const step = Math.max(1, Math.floor(n / 4096));
  const a = new Float32Array(Math.ceil(n / step));
  let m = 0;
  for (let k = 0; k < n; k += step) {
    const v = data[k];
    if (v > -Infinity && v < Infinity) a[m++] = v < 0 ? -v : v;
  }
  if (!m) return 0;
  return kthSmallest(a.subarray(0, m), Math.min(m - 1, Math.floor(q * m))); // a sort's entry, in linear time
}

/**
 * Every value's code at once: {codes, min, max}; `out` is reused when it has length n; `clip`
 * (diverging only): scale to that quantile of |v| instead of the largest (larger values get the
 * end colours).
 */
export function encode(palette, data, n, out, clip = null) {
  const scale = makeScale(palette, data, n, clip);
  const codes = scale.codes(data, n, out && out.length === n ? out : new Uint16Array(n));
  return { codes, min: scale.min, max: scale.max };
}

/** The colour-scale legend: one stop per palette colour, from min (offset 0) to max (offset 1). */
export function legendStops(palette, min, max) {
  const stops = lut(palette).rgb;
  return stops.map((c, i) => {
    const offset = i / (stops.length - 1);
    return { offset, value: min + (max - min) * offset, colour: `rgb(${c[0]}, ${c[1]}, ${c[2]})` };
  });
}

/**
 * The first rows*cols values of data as RGBA bytes, one pixel per value (row-major), coloured as
 * the heatmap colours them: for a thumbnail drawn as an image. Masked values (-Infinity) get
 * `masked` ([r, g, b]), NaN `nan`. `out` is reused when it has the right length.
 */
export function pixels(palette, data, rows, cols, { masked = [200, 200, 200], nan = [160, 160, 160], clip = null } = {}, out) {
  const n = rows * cols;
  const scale = makeScale(palette, data, n, clip);
  const words = lut(palette).words;
  const bytes = out && out.length === n * 4 && out.byteOffset % 4 === 0 ? out : new Uint8ClampedArray(n * 4);
  const px = new Uint32Array(bytes.buffer, bytes.byteOffset, n); // a pixel a write
  const maskedPx = pixelWord(masked);
  const nanPx = pixelWord(nan);
  const codes = scale.codes(data, n, new Uint16Array(n));
  for (let k = 0; k < n; k++) {
    const c = codes[k];
    px[k] = c === CODE_MASKED ? maskedPx : c === CODE_NAN ? nanPx : words[c];
  }
  return bytes;
}

