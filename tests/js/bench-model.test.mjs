// The benchmark's real-model helpers (bench/bert.js, bench/onnx.js buildBert): the flop count,
// the safetensors reader, the texts of exactly n wordpieces, and the ONNX graph of BERT against
// the float64 forward pass on a tiny random BERT (ONNX Runtime Web's wasm backend, in node).
import { test } from "node:test";
import assert from "node:assert/strict";
import { MINILM, makeText, maxAbsDiff, modelFlops, readSafetensors, referenceForward, take } from "../../bench/bert.js";
import { buildBert } from "../../bench/onnx.js";

/** A safetensors file from {name: [dtype, shape, bytes]}. */
function safetensors(entries) {
  const header = {};
  let at = 0;
  for (const [name, [dtype, shape, bytes]] of Object.entries(entries)) {
    header[name] = { dtype, shape, data_offsets: [at, at + bytes.length] };
    at += bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const [, [, , bytes]] of Object.entries(entries)) { out.set(bytes, pos); pos += bytes.length; }
  return out;
}
const f32bytes = (a) => new Uint8Array(Float32Array.from(a).buffer);

test("the model's flops: 0.69 GFLOP at 32 tokens, the attention term grows with n²", () => {
  assert.equal(modelFlops(32), 6 * (2 * 32 * (4 * 384 * 384 + 2 * 384 * 1536) + 4 * 12 * 32 * 32 * 32));
  assert.ok(Math.abs(modelFlops(32) / 1e9 - 0.689) < 0.001);
  assert.equal(modelFlops(512) - 16 * modelFlops(32), 6 * 4 * 12 * 32 * (512 * 512 - 16 * 32 * 32));
});

test("safetensors: F32 tensors read at their offsets, other dtypes skipped, shapes checked", () => {
  const file = safetensors({
    __metadata__: ["", [], new Uint8Array(0)],
    a: ["F32", [2, 2], f32bytes([1, 2, 3, 4])],
    h: ["F16", [1], new Uint8Array(2)],
    b: ["F32", [3], f32bytes([5, 6, 7])],
  });
  const t = readSafetensors(file);
  assert.deepEqual([...t.keys()].sort(), ["a", "b"]);
  assert.deepEqual([...take(t, "b", [3])], [5, 6, 7]);
  assert.deepEqual([...take(t, "a", [2, 2])], [1, 2, 3, 4]);
  assert.throws(() => take(t, "a", [4]), /a is \[2,2\], expected \[4\]/);
  assert.throws(() => take(t, "c", [1]), /no F32 tensor c/);
  assert.throws(() => readSafetensors(file.subarray(0, 20)), /header of \d+ bytes, file of 20/);
});

test("makeText hits the exact count of a tokenizer, fillers included", () => {
  // A stand-in tokenizer: [CLS] + one piece per word + one more per word longer than 6 letters + [SEP].
  const count = (t) => 2 + t.split(/\s+/).filter(Boolean).reduce((s, w) => s + (w.length > 6 ? 2 : 1), 0);
  for (const n of [3, 32, 128, 512]) assert.equal(count(makeText(n, count)), n);
});

test("the ONNX graph of BERT matches the float64 forward pass (tiny random model, ONNX Runtime Web)", async () => {
  const cfg = { ...MINILM, layers: 2, heads: 2, dModel: 8, headDim: 4, ffn: 16, vocab: 20, positions: 10 };
  let seed = 1;
  const rand = () => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed / 2 ** 32) * 2 - 1; };
  const tensors = new Map();
  const add = (name, shape, around = 0) => tensors.set(name, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => around + 0.5 * rand()) });
  const m = cfg.dModel;
  add("embeddings.word_embeddings.weight", [cfg.vocab, m]);
  add("embeddings.position_embeddings.weight", [cfg.positions, m]);
  add("embeddings.token_type_embeddings.weight", [cfg.types, m]);
  add("embeddings.LayerNorm.weight", [m], 1);
  add("embeddings.LayerNorm.bias", [m]);
  for (let l = 0; l < cfg.layers; l++) {
    const p = `encoder.layer.${l}.`;
    for (const w of ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"]) {
      add(`${p}${w}.weight`, [m, m]);
      add(`${p}${w}.bias`, [m]);
    }
    add(`${p}intermediate.dense.weight`, [cfg.ffn, m]);
    add(`${p}intermediate.dense.bias`, [cfg.ffn]);
    add(`${p}output.dense.weight`, [m, cfg.ffn]);
    add(`${p}output.dense.bias`, [m]);
    for (const ln of ["attention.output.LayerNorm", "output.LayerNorm"]) {
      add(`${p}${ln}.weight`, [m], 1);
      add(`${p}${ln}.bias`, [m]);
    }
  }
  const ids = [1, 7, 3, 19, 0, 2];
  const n = ids.length;
  const g = buildBert((name, shape) => take(tensors, name, shape), cfg, n);
  const ort = await import("../../node_modules/onnxruntime-web/dist/ort.wasm.min.mjs");
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = "error";
  const session = await ort.InferenceSession.create(g.bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const r = await session.run({ [g.inputName]: new ort.Tensor("int64", BigInt64Array.from(ids, (x) => BigInt(x)), [1, n]) });
  const out = Object.fromEntries(g.outputs.map((name) => [name, r[name].data]));
  await session.release();
  const ref = referenceForward(tensors, ids, cfg);
  const maps = g.toMaps(out);
  assert.equal(maps.length, cfg.layers * cfg.heads * n * n);
  assert.ok(maxAbsDiff(maps, ref.maps) < 1e-5, `maps differ by ${maxAbsDiff(maps, ref.maps)}`);
  assert.ok(maxAbsDiff(out.last_hidden_state, ref.hidden) < 1e-4, `hidden state differs by ${maxAbsDiff(out.last_hidden_state, ref.hidden)}`);
  // Every map row is a probability distribution.
  for (let row = 0; row < maps.length / n; row++) {
    const s = maps.subarray(row * n, row * n + n).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(s - 1) < 1e-5);
  }
});
