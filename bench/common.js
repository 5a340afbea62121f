// Shared by the page, the engine workers and the reference worker: deterministic inputs, the
// masks of the benchmark shapes, useful-flop counts and error classification. No imports.

/** Uniform value in [-1, 1) for element `i` of tensor `t` (0 = Q, 1 = K, 2 = V): a hash, so any
 *  element can be made on its own and every worker makes the same numbers. */
export function value(t, i) {
  let x = (Math.imul(i, 0x9e3779b1) ^ Math.imul(t + 1, 0x85ebca6b)) >>> 0;
  x ^= x >>> 16; x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15; x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return (x >>> 0) / 4294967296 * 2 - 1;
}

export function fill(t, len) {
  const a = new Float32Array(len);
  for (let i = 0; i < len; i++) a[i] = value(t, i);
  return a;
}

/** Q [heads, seqQ, d], K and V [kvHeads, seqKv, d]. */
export function makeInputs(s) {
  return {
    q: fill(0, s.heads * s.seqQ * s.headDim),
    k: fill(1, s.kvHeads * s.seqKv * s.headDim),
    v: fill(2, s.kvHeads * s.seqKv * s.headDim),
  };
}

/** SplitMix-style 32-bit generator for the block layouts. */
function rng(seed) {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

/** A block-sparse layout at about `density` of the blocks: each query block row keeps its
 *  diagonal block plus random others up to round(density * blocks) (at least 1). */
export function blockLayout(seqQ, seqKv, block, density, seed = 7) {
  const rb = Math.ceil(seqQ / block), cb = Math.ceil(seqKv / block);
  const layout = new Uint8Array(rb * cb);
  const next = rng(seed);
  const per = Math.max(1, Math.round(density * cb));
  const off = Math.floor((seqKv - seqQ) / block);
  for (let r = 0; r < rb; r++) {
    const diag = Math.min(cb - 1, r + off);
    layout[r * cb + diag] = 1;
    let kept = 1;
    while (kept < per) {
      const c = Math.floor(next() * cb);
      if (!layout[r * cb + c]) { layout[r * cb + c] = 1; kept++; }
    }
  }
  return layout;
}

/** The benchmark's mask description (JSON-able) -> a mask for our engine's API. */
export function engineMask(m, s) {
  if (m.kind === "none") return { kind: "none" };
  if (m.kind === "causal") return { kind: "causal" };
  if (m.kind === "block-sparse") {
    return { kind: "block-sparse", block: m.block, layout: blockLayout(s.seqQ, s.seqKv, m.block, m.density, m.seed) };
  }
  throw new Error(`unknown mask ${m.kind}`);
}

/** allowed(i, j) for the benchmark masks (query i sits at key position i + seqKv - seqQ). */
export function allowedFn(m, s) {
  const shift = s.seqKv - s.seqQ;
  if (m.kind === "none") return () => true;
  if (m.kind === "causal") return (i, j) => j <= i + shift;
  if (m.kind === "block-sparse") {
    const layout = blockLayout(s.seqQ, s.seqKv, m.block, m.density, m.seed);
    const cb = Math.ceil(s.seqKv / m.block);
    return (i, j) => layout[Math.floor(i / m.block) * cb + Math.floor(j / m.block)] === 1;
  }
  throw new Error(`unknown mask ${m.kind}`);
}

/** Kept (query, key) pairs of one head. */
export function allowedPairs(m, s) {
  if (m.kind === "none") return s.seqQ * s.seqKv;
  if (m.kind === "causal") {
    let n = 0;
    for (let i = 0; i < s.seqQ; i++) n += Math.max(0, Math.min(s.seqKv, i + s.seqKv - s.seqQ + 1));
    return n;
  }
  const layout = blockLayout(s.seqQ, s.seqKv, m.block, m.density, m.seed);
  const cb = Math.ceil(s.seqKv / m.block);
  let n = 0;
  for (let r = 0; r * m.block < s.seqQ; r++) {
    const rows = Math.min(m.block, s.seqQ - r * m.block);
    for (let c = 0; c < cb; c++) if (layout[r * cb + c]) n += rows * Math.min(m.block, s.seqKv - c * m.block);
  }
  return n;
}

/** Useful flops (PERF.md): 4·d per kept pair per head; softmax not counted. Non-causal is
 *  4·H·n_q·n_kv·d, causal 2·H·n·(n+1)·d, decode 4·H·n_kv·d. */
export function usefulFlops(m, s) {
  return 4 * s.heads * s.headDim * allowedPairs(m, s);
}

/** Additive mask [seqQ, seqKv] for the unfused peers (0 kept, -1e30 removed), or null. */
export function additiveMask(m, s) {
  if (m.kind === "none") return null;
  const allowed = allowedFn(m, s);
  const a = new Float32Array(s.seqQ * s.seqKv);
  for (let i = 0; i < s.seqQ; i++) {
    const row = i * s.seqKv;
    for (let j = 0; j < s.seqKv; j++) if (!allowed(i, j)) a[row + j] = -1e30;
  }
  return a;
}

/** Query rows compared with the float64 reference: all of them up to 1,024, else an even sample
 *  (always with the first and last row). */
export function sampleRows(seqQ) {
  if (seqQ <= 1024) return Array.from({ length: seqQ }, (_, i) => i);
  const count = seqQ <= 4096 ? 64 : 16;
  const rows = new Set();
  for (let r = 0; r < count; r++) rows.add(Math.round((r * (seqQ - 1)) / (count - 1)));
  return [...rows].sort((a, b) => a - b);
}

/** Rows `rows` of every head of an output in [heads, seqQ, d] order. */
export function pickRows(out, s, rows) {
  const d = s.headDim;
  const res = new Float32Array(s.heads * rows.length * d);
  for (let h = 0; h < s.heads; h++) {
    rows.forEach((r, k) => {
      const src = (h * s.seqQ + r) * d;
      res.set(out.subarray(src, src + d), (h * rows.length + k) * d);
    });
  }
  return res;
}

/** Sorts an error into the row status: "oom" for allocation failures, else "error: ...". */
export function classify(message) {
  // ONNX Runtime's messages start with its build machine's source path: keep from "onnxruntime/".
  const msg = String(message ?? "unknown error").replace(/\/\S*?\/onnxruntime\//g, "onnxruntime/");
  // ORT on wasm32: SafeInt overflow while sizing a buffer, i.e. the buffer would pass 4 GiB.
  if (/SafeIntOnOverflow|Integer overflow/.test(msg)) return "oom";
  if (/out of memory|bad_alloc|alloc|Maximum memory|Cannot enlarge memory|memory limit|OOM|RangeError|would need [0-9]+ MiB|exceeds the limit/i.test(msg)) return "oom";
  return `error: ${msg.replace(/\s+/g, " ").slice(0, 200)}`;
}

export function shapeKey(s, m) {
  return `${s.heads}/${s.kvHeads}/${s.seqQ}/${s.seqKv}/${s.headDim}/${maskName(m)}`;
}

/** The mask column of results.json: none, causal, block-sparse-10%, ... */
export function maskName(m) {
  if (m.kind === "block-sparse") return `block-sparse-${Math.round(m.density * 100)}%`;
  return m.kind;
}
