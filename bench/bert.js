// The real model's rows (issue 10): all-MiniLM-L6-v2 from its f32 safetensors file. Shared by the
// page, the engine workers and the model worker (model-worker.js): the model's sizes and flop
// count, a safetensors reader, the benchmark texts, and a float64 forward pass in JavaScript
// that every engine's 72 attention maps are compared with. No imports.

export const MINILM = { name: "minilm-l6", layers: 6, heads: 12, dModel: 384, headDim: 32, ffn: 1536, vocab: 30522, positions: 512, types: 2, maxTokens: 512, eps: 1e-12 };
/** The `workload` field of the model rows in results.json (the attention rows have none). */
export const WORKLOAD = "minilm-l6 forward + 72 maps";

/** Flops of one forward pass over n tokens: the linear layers (Q, K, V, O: 4·384², the
 *  feed-forward: 2·384·1536 multiply-adds per token) and the attention (4·heads·n²·d), per layer.
 *  Embeddings, LayerNorm, softmax and GELU are not counted. */
export function modelFlops(n) {
  const { layers, heads, dModel: m, headDim: d, ffn } = MINILM;
  return layers * (2 * n * (4 * m * m + 2 * m * ffn) + 4 * heads * n * n * d);
}

/** The model's shape in the columns of results.json: heads, kv_heads, seq_q, seq_kv, head_dim. */
export function modelShape(n) {
  return { heads: MINILM.heads, kvHeads: MINILM.heads, seqQ: n, seqKv: n, headDim: MINILM.headDim };
}

/** The weight files' index (scripts/model.sh writes it) and one file, from /models/. */
export async function fetchModelFile(base, file) {
  const r = await fetch(new URL(`models/${file}`, base));
  if (!r.ok) throw new Error(`models/${file}: HTTP ${r.status} (run scripts/model.sh, then scripts/build-engines.sh links the files)`);
  return file.endsWith(".json") ? r.json() : file.endsWith(".txt") ? r.text() : new Uint8Array(await r.arrayBuffer());
}

/** The f32 tensors of a safetensors file: name -> {shape, data: Float32Array} (copied, so that
 *  an unaligned data offset does not matter). Only F32 is read; other dtypes are skipped. */
export function readSafetensors(bytes) {
  if (bytes.length < 8) throw new Error("safetensors: shorter than its 8-byte header length");
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + len > bytes.length) throw new Error(`safetensors: header of ${len} bytes, file of ${bytes.length}`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  const base = 8 + len;
  const tensors = new Map();
  for (const [name, t] of Object.entries(header)) {
    if (name === "__metadata__" || t.dtype !== "F32") continue;
    const [start, end] = t.data_offsets;
    const data = new Float32Array(bytes.slice(base + start, base + end).buffer);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (data.length !== count) throw new Error(`safetensors: ${name}: ${data.length} values for shape [${t.shape}]`);
    tensors.set(name, { shape: t.shape, data });
  }
  return tensors;
}

/** One tensor, checked against the shape the model needs. */
export function take(tensors, name, shape) {
  const t = tensors.get(name);
  if (!t) throw new Error(`safetensors: no F32 tensor ${name}`);
  if (t.shape.join(",") !== shape.join(",")) throw new Error(`safetensors: ${name} is [${t.shape}], expected [${shape}]`);
  return t.data;
}

// Plain English in our own words; cycled and cut to the wanted number of wordpieces.
const PASSAGE = `The small boat left the harbour before sunrise, when the water was still and the gulls
were asleep on the posts. Nobody on board had slept much. The captain checked the ropes twice,
then a third time, because the forecast had promised a calm morning and an unsettled afternoon.
Her brother, who had never liked the sea, sat near the engine with a thermos of coffee and a
notebook full of questions about the tides. By the time the lighthouse disappeared behind them,
the wind had turned, and the waves began to lift the bow in long, patient swells. They talked
about the island they were heading for, the village with one shop and a school of nine pupils,
and the old teacher who had written to them in the spring asking for help with the library.`;
const FILLERS = ["the", "and", "a", "of", "to", "in"]; // one wordpiece each in the uncased vocabulary

/** A text of exactly `n` wordpieces ([CLS] and [SEP] included) under `count(text)`, the engine's
 *  tokenizer: the longest prefix of the passage (cycled) that fits, then one-piece words. */
export function makeText(n, count) {
  const words = PASSAGE.split(/\s+/);
  const prefix = (k) => Array.from({ length: k }, (_, i) => words[i % words.length]).join(" ");
  let lo = 0, hi = 1;
  while (count(prefix(hi)) <= n) hi *= 2;
  while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (count(prefix(mid)) <= n) lo = mid; else hi = mid; }
  let text = prefix(lo);
  for (let i = 0; count(text) < n; i++) text += ` ${FILLERS[i % FILLERS.length]}`;
  if (count(text) !== n) throw new Error(`could not make a text of ${n} wordpieces (got ${count(text)})`);
  return text;
}

// ---------------------------------------------------------------- float64 reference ----
function erf(x) {
  // The Maclaurin series below |x| = 3 (its largest term is below e^9, so ~1e-12 absolute
  // error), the continued fraction of erfc beyond (it converges fast there).
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x, sum = x;
    const x2 = x * x;
    for (let k = 1; k < 200; k++) { term *= -x2 / k; const t = term / (2 * k + 1); sum += t; if (Math.abs(t) < 1e-17) break; }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  const r = erfcFraction(ax);
  return x > 0 ? 1 - r : r - 1;
}
function erfcFraction(x) {
  // erfc(x) = exp(-x²)/sqrt(pi) · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + ...)))))
  let f = x, c = x, dd = 0;
  const tiny = 1e-300;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    dd = x + a * dd; if (dd === 0) dd = tiny; dd = 1 / dd;
    c = x + a / c; if (c === 0) c = tiny;
    const delta = c * dd;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

function layerNorm(x, n, m, gamma, beta, eps) {
  for (let i = 0; i < n; i++) {
    const o = i * m;
    let mean = 0;
    for (let j = 0; j < m; j++) mean += x[o + j];
    mean /= m;
    let v = 0;
    for (let j = 0; j < m; j++) { const t = x[o + j] - mean; v += t * t; }
    const inv = 1 / Math.sqrt(v / m + eps);
    for (let j = 0; j < m; j++) x[o + j] = (x[o + j] - mean) * inv * gamma[j] + beta[j];
  }
}

/** y[n, out] = x[n, in] W^T + b, W stored [out, in] (as the file has it). */
function linear(x, n, inDim, w, b, outDim) {
  const y = new Float64Array(n * outDim);
  for (let i = 0; i < n; i++) {
    const xo = i * inDim;
    for (let o = 0; o < outDim; o++) {
      const wo = o * inDim;
      let s = b[o];
      for (let k = 0; k < inDim; k++) s += x[xo + k] * w[wo + k];
      y[i * outDim + o] = s;
    }
  }
  return y;
}

/** The float64 forward pass of all-MiniLM-L6-v2 (or a BERT of sizes `cfg`) over token ids (one
 *  sentence, token type 0, no padding): {maps: Float32Array (layer, head, query, key), hidden:
 *  Float64Array [n, dModel]}. */
export function referenceForward(tensors, ids, cfg = MINILM) {
  const { layers: L, heads: H, dModel: m, headDim: d, ffn: F, eps } = cfg;
  const n = ids.length;
  const word = take(tensors, "embeddings.word_embeddings.weight", [cfg.vocab, m]);
  const pos = take(tensors, "embeddings.position_embeddings.weight", [cfg.positions, m]);
  const type = take(tensors, "embeddings.token_type_embeddings.weight", [cfg.types, m]);
  let x = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) x[i * m + j] = word[ids[i] * m + j] + pos[i * m + j] + type[j];
  layerNorm(x, n, m, take(tensors, "embeddings.LayerNorm.weight", [m]), take(tensors, "embeddings.LayerNorm.bias", [m]), eps);
  const maps = new Float32Array(L * H * n * n);
  const scale = 1 / Math.sqrt(d);
  const row = new Float64Array(n);
  for (let l = 0; l < L; l++) {
    const p = `encoder.layer.${l}.`;
    const lin = (src, name, inDim, outDim) => linear(src, n, inDim, take(tensors, `${p}${name}.weight`, [outDim, inDim]), take(tensors, `${p}${name}.bias`, [outDim]), outDim);
    const q = lin(x, "attention.self.query", m, m), k = lin(x, "attention.self.key", m, m), v = lin(x, "attention.self.value", m, m);
    const ctx = new Float64Array(n * m);
    for (let h = 0; h < H; h++) {
      for (let i = 0; i < n; i++) {
        let max = -Infinity;
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let c = 0; c < d; c++) s += q[i * m + h * d + c] * k[j * m + h * d + c];
          row[j] = s * scale;
          if (row[j] > max) max = row[j];
        }
        let sum = 0;
        for (let j = 0; j < n; j++) { row[j] = Math.exp(row[j] - max); sum += row[j]; }
        const mo = ((l * H + h) * n + i) * n;
        for (let j = 0; j < n; j++) {
          const pij = row[j] / sum;
          maps[mo + j] = pij;
          for (let c = 0; c < d; c++) ctx[i * m + h * d + c] += pij * v[j * m + h * d + c];
        }
      }
    }
    const a = lin(ctx, "attention.output.dense", m, m);
    for (let i = 0; i < a.length; i++) a[i] += x[i];
    layerNorm(a, n, m, take(tensors, `${p}attention.output.LayerNorm.weight`, [m]), take(tensors, `${p}attention.output.LayerNorm.bias`, [m]), eps);
    const f = lin(a, "intermediate.dense", m, F);
    for (let i = 0; i < f.length; i++) f[i] = 0.5 * f[i] * (1 + erf(f[i] / Math.SQRT2));
    const o = lin(f, "output.dense", F, m);
    for (let i = 0; i < o.length; i++) o[i] += a[i];
    layerNorm(o, n, m, take(tensors, `${p}output.LayerNorm.weight`, [m]), take(tensors, `${p}output.LayerNorm.bias`, [m]), eps);
    x = o;
  }
  return { maps, hidden: x };
}

/** The largest |a - b| over two arrays of the same length (NaN when either has a NaN). */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`compared arrays differ in length: ${a.length} vs ${b.length}`);
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]);
    if (Number.isNaN(e)) return NaN;
    if (e > err) err = e;
  }
  return err;
}
