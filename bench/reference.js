// The float64 reference, in its own Worker: softmax(mask(scale · Q Kᵀ)) V for the sampled query
// rows of every head, in JavaScript doubles from the same generated inputs as the engines.
// message in: {shape, mask, rows}; out: {ok, ref: Float64Array [heads, rows, d]} or {ok: false, error}
import { allowedFn, fill, value } from "./common.js";

self.onmessage = ({ data: { shape: s, mask, rows } }) => {
  try {
    const d = s.headDim, scale = 1 / Math.sqrt(d);
    const k = fill(1, s.kvHeads * s.seqKv * d), v = fill(2, s.kvHeads * s.seqKv * d);
    const allowed = allowedFn(mask, s);
    const group = s.heads / s.kvHeads;
    const ref = new Float64Array(s.heads * rows.length * d);
    const qrow = new Float64Array(d), scores = new Float64Array(s.seqKv), acc = new Float64Array(d);
    // Q rows are made on their own (the generator is a hash of the index).
    for (let h = 0; h < s.heads; h++) {
      const kvh = Math.floor(h / group);
      rows.forEach((i, r) => {
        for (let x = 0; x < d; x++) qrow[x] = qValue(h, i, x, s);
        let max = -Infinity;
        for (let j = 0; j < s.seqKv; j++) {
          if (!allowed(i, j)) { scores[j] = -Infinity; continue; }
          const kb = (kvh * s.seqKv + j) * d;
          let dot = 0;
          for (let x = 0; x < d; x++) dot += qrow[x] * k[kb + x];
          scores[j] = dot * scale;
          if (scores[j] > max) max = scores[j];
        }
        acc.fill(0);
        if (max === -Infinity) return; // no allowed key: a zero row
        let sum = 0;
        for (let j = 0; j < s.seqKv; j++) {
          if (scores[j] === -Infinity) continue;
          const p = Math.exp(scores[j] - max);
          sum += p;
          const vb = (kvh * s.seqKv + j) * d;
          for (let x = 0; x < d; x++) acc[x] += p * v[vb + x];
        }
        const o = (h * rows.length + r) * d;
        for (let x = 0; x < d; x++) ref[o + x] = acc[x] / sum;
      });
    }
    self.postMessage({ ok: true, ref }, [ref.buffer]);
  } catch (e) {
    self.postMessage({ ok: false, error: String(e?.message ?? e) });
  }
};

// Q element (h, i, x) as the engines see it: rounded to f32 first.
const f32 = new Float32Array(1);
function qValue(h, i, x, s) {
  f32[0] = value(0, (h * s.seqQ + i) * s.headDim + x);
  return f32[0];
}
