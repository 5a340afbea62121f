// A tiny ONNX protobuf writer: just enough of ModelProto, GraphProto, NodeProto, AttributeProto,
// ValueInfoProto and TensorProto to build attention graphs in code, with no model download.
// Field numbers from onnx/onnx.proto.

class Writer {
  // Small fields go byte by byte into `bytes`; large raw payloads (initializers) are kept as
  // their own chunks, so a model with 90 MB of weights is not built one number at a time.
  constructor() { this.bytes = []; this.chunks = []; this.size = 0; }
  varint(n) {
    let v = BigInt.asUintN(64, BigInt(n));
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v) b |= 0x80;
      this.bytes.push(b);
    } while (v);
    return this;
  }
  tag(field, wire) { return this.varint((field << 3) | wire); }
  int(field, n) { return this.tag(field, 0).varint(n); }
  raw(field, u8) {
    this.tag(field, 2).varint(u8.length);
    if (u8.length < 4096) { for (const b of u8) this.bytes.push(b); return this; }
    this.flush();
    this.chunks.push(u8);
    this.size += u8.length;
    return this;
  }
  flush() {
    if (this.bytes.length) { this.chunks.push(Uint8Array.from(this.bytes)); this.size += this.bytes.length; this.bytes = []; }
  }
  string(field, s) { return this.raw(field, new TextEncoder().encode(s)); }
  message(field, w) { return this.raw(field, w.finish()); }
  float(field, f) {
    this.tag(field, 5);
    const b = new Uint8Array(new Float32Array([f]).buffer);
    for (const x of b) this.bytes.push(x);
    return this;
  }
  finish() {
    this.flush();
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) { out.set(c, at); at += c.length; }
    this.chunks = [out];
    return out;
  }
}

const FLOAT = 1, INT64 = 7; // TensorProto.DataType
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 };

/** ValueInfoProto of a float (or int64) tensor with a fixed shape. */
function valueInfo(name, dims, elemType = FLOAT) {
  const shape = new Writer();
  for (const d of dims) shape.message(1, new Writer().int(1, d)); // Dimension.dim_value
  const tensorType = new Writer().int(1, elemType).message(2, shape); // elem_type, shape
  const type = new Writer().message(1, tensorType); // TypeProto.tensor_type
  return new Writer().string(1, name).message(2, type);
}

/** TensorProto with float data (raw little-endian bytes). */
function tensor(name, dims, values) {
  const w = new Writer();
  for (const d of dims) w.int(1, d); // dims
  w.int(2, FLOAT).string(8, name);
  const f = values instanceof Float32Array ? values : Float32Array.from(values);
  w.raw(9, new Uint8Array(f.buffer, f.byteOffset, f.byteLength)); // raw_data
  return w;
}

/** TensorProto with int64 data (shapes for Reshape, position ids). */
function tensorI64(name, dims, values) {
  const w = new Writer();
  for (const d of dims) w.int(1, d);
  w.int(2, INT64).string(8, name);
  const a = BigInt64Array.from(values, (x) => BigInt(x));
  w.raw(9, new Uint8Array(a.buffer));
  return w;
}

function attribute(name, v) {
  const w = new Writer().string(1, name);
  if (Array.isArray(v)) { for (const x of v) w.int(8, x); w.int(20, ATTR.INTS); }
  else if (typeof v === "number" && Number.isInteger(v) && !v.float) { w.int(3, v); w.int(20, ATTR.INT); }
  else if (typeof v === "object" && "float" in v) { w.float(2, v.float); w.int(20, ATTR.FLOAT); }
  else if (typeof v === "string") { w.string(4, v); w.int(20, ATTR.STRING); }
  else throw new Error(`attribute ${name}: unsupported value`);
  return w;
}

function node(op, inputs, outputs, attrs = {}, domain = "") {
  const w = new Writer();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, `${op}_${outputs[0]}`).string(4, op);
  for (const [k, v] of Object.entries(attrs)) w.message(5, attribute(k, v));
  if (domain) w.string(7, domain);
  return w;
}

/** ModelProto bytes. opsets: [[domain, version], ...]. */
function model({ irVersion, opsets, nodes, inputs, outputs, initializers = [], name = "attention" }) {
  const g = new Writer();
  for (const n of nodes) g.message(1, n);
  g.string(2, name);
  for (const t of initializers) g.message(5, t);
  for (const i of inputs) g.message(11, i);
  for (const o of outputs) g.message(12, o);
  const m = new Writer().int(1, irVersion).string(2, "attention-playground-bench");
  m.message(7, g);
  for (const [domain, version] of opsets) m.message(8, new Writer().string(1, domain).int(2, version));
  return m.finish();
}

/** The graphs. Each returns {bytes, feeds(q, k, v, mask) -> {name: [data, dims]}, output, toHSD(out)}.
 *  Q is [1, heads, seqQ, d], K and V [1, kvHeads, seqKv, d] (heads == kvHeads here). */
export function buildGraph(kind, s, { causal, hasMask }) {
  const { heads: H, seqQ: Sq, seqKv: Skv, headDim: d } = s;
  const scale = 1 / Math.sqrt(d);
  const qDims = [1, H, Sq, d], kvDims = [1, s.kvHeads, Skv, d], maskDims = [Sq, Skv];
  const identity = (out) => out;
  if (s.kvHeads !== H) throw new Error("the ONNX graphs here take heads == kvHeads");

  if (kind === "plain") {
    // MatMul(Q, Transpose(K)) -> Mul(scale) -> Add(mask) -> Softmax -> MatMul(V)
    const nodes = [
      node("Transpose", ["K"], ["Kt"], { perm: [0, 1, 3, 2] }),
      node("MatMul", ["Q", "Kt"], ["S"]),
      node("Mul", ["S", "scale"], ["Ss"]),
    ];
    let logits = "Ss";
    if (hasMask) { nodes.push(node("Add", ["Ss", "mask"], ["Sm"])); logits = "Sm"; }
    nodes.push(node("Softmax", [logits], ["P"], { axis: -1 }), node("MatMul", ["P", "V"], ["O"]));
    const inputs = [valueInfo("Q", qDims), valueInfo("K", kvDims), valueInfo("V", kvDims)];
    if (hasMask) inputs.push(valueInfo("mask", maskDims));
    return {
      bytes: model({
        irVersion: 8, opsets: [["", 17]], nodes, inputs, outputs: [valueInfo("O", qDims)],
        initializers: [tensor("scale", [], [scale])],
      }),
      feeds: (q, k, v, mask) => ({ Q: [q, qDims], K: [k, kvDims], V: [v, kvDims], ...(hasMask ? { mask: [mask, maskDims] } : {}) }),
      output: "O", toHSD: identity,
    };
  }

  if (kind === "attention23") {
    // ai.onnx Attention (opset 23) on 4-D [B, H, S, d] inputs; causal via is_causal, other masks
    // as an additive attn_mask [Sq, Skv].
    const useMask = hasMask && !causal;
    const attrs = { scale: { float: scale } };
    if (causal) attrs.is_causal = 1;
    const inputs = [valueInfo("Q", qDims), valueInfo("K", kvDims), valueInfo("V", kvDims)];
    if (useMask) inputs.push(valueInfo("mask", maskDims));
    return {
      bytes: model({
        irVersion: 11, opsets: [["", 23]],
        nodes: [node("Attention", useMask ? ["Q", "K", "V", "mask"] : ["Q", "K", "V"], ["O"], attrs)],
        inputs, outputs: [valueInfo("O", qDims)],
      }),
      feeds: (q, k, v, mask) => ({ Q: [q, qDims], K: [k, kvDims], V: [v, kvDims], ...(useMask ? { mask: [mask, maskDims] } : {}) }),
      output: "O", toHSD: identity,
    };
  }

  if (kind === "mha") {
    // com.microsoft MultiHeadAttention: Q, K, V as [B, S, H*d]; masks as attention_bias
    // [1, 1, Sq, Skv] (input 5). Inputs are transposed outside the timed region.
    const q3 = [1, Sq, H * d], kv3 = [1, Skv, H * d], biasDims = [1, 1, Sq, Skv];
    const ins = ["Q", "K", "V"];
    if (hasMask) ins.push("", "", "bias");
    const inputs = [valueInfo("Q", q3), valueInfo("K", kv3), valueInfo("V", kv3)];
    if (hasMask) inputs.push(valueInfo("bias", biasDims));
    const toBSHd = (x, S) => {
      const y = new Float32Array(x.length);
      for (let h = 0; h < H; h++) for (let i = 0; i < S; i++) y.set(x.subarray((h * S + i) * d, (h * S + i + 1) * d), (i * H + h) * d);
      return y;
    };
    return {
      bytes: model({
        irVersion: 8, opsets: [["", 17], ["com.microsoft", 1]],
        nodes: [node("MultiHeadAttention", ins, ["O"], { num_heads: H, scale: { float: scale } }, "com.microsoft")],
        inputs, outputs: [valueInfo("O", q3)],
      }),
      feeds: (q, k, v, mask) => ({
        Q: [toBSHd(q, Sq), q3], K: [toBSHd(k, Skv), kv3], V: [toBSHd(v, Skv), kv3],
        ...(hasMask ? { bias: [mask, biasDims] } : {}),
      }),
      output: "O",
      toHSD: (out) => {
        const y = new Float32Array(out.length);
        for (let i = 0; i < Sq; i++) for (let h = 0; h < H; h++) y.set(out.subarray((i * H + h) * d, (i * H + h + 1) * d), (h * Sq + i) * d);
        return y;
      },
    };
  }
  throw new Error(`unknown graph ${kind}`);
}

/** all-MiniLM-L6-v2 (or a BERT of sizes `cfg`, bert.js MINILM) as an ONNX graph (opset 17), for `n` tokens of one sentence (token
 *  type 0, no padding), its weights as initializers from the f32 safetensors tensors
 *  (bert.js readSafetensors). What an exporter writes for BERT, op by op: Gather of the word,
 *  position and type embeddings, Add, LayerNormalization; per layer MatMul + Add for Q, K, V,
 *  Reshape/Transpose to heads, MatMul, Mul(1/√32), Softmax, MatMul, Transpose/Reshape back,
 *  MatMul + Add, Add (residual), LayerNormalization, MatMul + Add, GELU as
 *  0.5·x·(1 + Erf(x/√2)), MatMul + Add, Add, LayerNormalization. Outputs: the 72 attention
 *  maps (each layer's Softmax, [1, 12, n, n]) and the last hidden state [1, n, 384].
 *  Returns {bytes, inputName, outputs (names, maps first), toMaps(outputs) -> Float32Array
 *  (layer, head, query, key)}. */
export function buildBert(take, cfg, n) {
  const { layers: L, heads: H, dModel: m, headDim: d, ffn: F, eps } = cfg;
  const inits = [], nodes = [];
  const init = (name, dims, values) => { inits.push(tensor(name, dims, values)); return name; };
  const initI64 = (name, dims, values) => { inits.push(tensorI64(name, dims, values)); return name; };
  /** W [out, in] as stored -> its transpose [in, out], what MatMul(X, W^T) wants. */
  const transposed = (w, out, inDim) => {
    const t = new Float32Array(w.length);
    for (let o = 0; o < out; o++) for (let i = 0; i < inDim; i++) t[i * out + o] = w[o * inDim + i];
    return t;
  };
  const ln = (x, gamma, beta, y) => nodes.push(node("LayerNormalization", [x, gamma, beta], [y], { axis: -1, epsilon: { float: eps } }));
  const dense = (x, prefix, inDim, outDim, y) => {
    const w = init(`${prefix}.weight.T`, [inDim, outDim], transposed(take(`${prefix}.weight`, [outDim, inDim]), outDim, inDim));
    const b = init(`${prefix}.bias`, [outDim], take(`${prefix}.bias`, [outDim]));
    nodes.push(node("MatMul", [x, w], [`${y}.mm`]), node("Add", [`${y}.mm`, b], [y]));
  };

  initI64("position_ids", [1, n], Array.from({ length: n }, (_, i) => i));
  initI64("token_type_ids", [1, n], new Array(n).fill(0));
  initI64("shape_heads", [4], [1, n, H, d]);
  initI64("shape_model", [3], [1, n, m]);
  init("scale", [], [1 / Math.sqrt(d)]);
  init("sqrt2", [], [Math.SQRT2]);
  init("one", [], [1]);
  init("half", [], [0.5]);
  const { vocab, positions, types } = cfg;
  init("word_embeddings", [vocab, m], take("embeddings.word_embeddings.weight", [vocab, m]));
  init("position_embeddings", [positions, m], take("embeddings.position_embeddings.weight", [positions, m]));
  init("token_type_embeddings", [types, m], take("embeddings.token_type_embeddings.weight", [types, m]));
  init("emb_ln.gamma", [m], take("embeddings.LayerNorm.weight", [m]));
  init("emb_ln.beta", [m], take("embeddings.LayerNorm.bias", [m]));
  nodes.push(
    node("Gather", ["word_embeddings", "input_ids"], ["emb.word"], { axis: 0 }),
    node("Gather", ["position_embeddings", "position_ids"], ["emb.pos"], { axis: 0 }),
    node("Gather", ["token_type_embeddings", "token_type_ids"], ["emb.type"], { axis: 0 }),
    node("Add", ["emb.word", "emb.pos"], ["emb.wp"]),
    node("Add", ["emb.wp", "emb.type"], ["emb.sum"]),
  );
  ln("emb.sum", "emb_ln.gamma", "emb_ln.beta", "x0");
  const maps = [];
  let x = "x0";
  for (let l = 0; l < L; l++) {
    const p = `encoder.layer.${l}.`, t = `l${l}.`;
    const lnInit = (name) => {
      init(`${p}${name}.weight`, [m], take(`${p}${name}.weight`, [m]));
      init(`${p}${name}.bias`, [m], take(`${p}${name}.bias`, [m]));
      return [`${p}${name}.weight`, `${p}${name}.bias`];
    };
    for (const [which, perm] of [["query", [0, 2, 1, 3]], ["key", [0, 2, 3, 1]], ["value", [0, 2, 1, 3]]]) {
      dense(x, `${p}attention.self.${which}`, m, m, `${t}${which}`);
      nodes.push(
        node("Reshape", [`${t}${which}`, "shape_heads"], [`${t}${which}.4d`]),
        node("Transpose", [`${t}${which}.4d`], [`${t}${which}.heads`], { perm }),
      );
    }
    const probs = `attentions.${l}`;
    maps.push(probs);
    nodes.push(
      node("MatMul", [`${t}query.heads`, `${t}key.heads`], [`${t}scores`]),
      node("Mul", [`${t}scores`, "scale"], [`${t}scaled`]),
      node("Softmax", [`${t}scaled`], [probs], { axis: -1 }),
      node("MatMul", [probs, `${t}value.heads`], [`${t}context.heads`]),
      node("Transpose", [`${t}context.heads`], [`${t}context.4d`], { perm: [0, 2, 1, 3] }),
      node("Reshape", [`${t}context.4d`, "shape_model"], [`${t}context`]),
    );
    dense(`${t}context`, `${p}attention.output.dense`, m, m, `${t}attn_out`);
    nodes.push(node("Add", [`${t}attn_out`, x], [`${t}residual`]));
    ln(`${t}residual`, ...lnInit("attention.output.LayerNorm"), `${t}attn_ln`);
    dense(`${t}attn_ln`, `${p}intermediate.dense`, m, F, `${t}ffn_in`);
    nodes.push(
      node("Div", [`${t}ffn_in`, "sqrt2"], [`${t}gelu.div`]),
      node("Erf", [`${t}gelu.div`], [`${t}gelu.erf`]),
      node("Add", [`${t}gelu.erf`, "one"], [`${t}gelu.add`]),
      node("Mul", [`${t}ffn_in`, `${t}gelu.add`], [`${t}gelu.mul`]),
      node("Mul", [`${t}gelu.mul`, "half"], [`${t}gelu`]),
    );
    dense(`${t}gelu`, `${p}output.dense`, F, m, `${t}ffn_out`);
    nodes.push(node("Add", [`${t}ffn_out`, `${t}attn_ln`], [`${t}residual2`]));
    const y = l === L - 1 ? "last_hidden_state" : `x${l + 1}`;
    ln(`${t}residual2`, ...lnInit("output.LayerNorm"), y);
    x = y;
  }
  const outputs = [...maps, "last_hidden_state"];
  const bytes = model({
    irVersion: 8, opsets: [["", 17]], nodes, name: "bert", initializers: inits,
    inputs: [valueInfo("input_ids", [1, n], INT64)],
    outputs: [...maps.map((name) => valueInfo(name, [1, H, n, n])), valueInfo("last_hidden_state", [1, n, m])],
  });
  return {
    bytes, inputName: "input_ids", outputs,
    toMaps: (out) => {
      const all = new Float32Array(L * H * n * n);
      maps.forEach((name, l) => all.set(out[name], l * H * n * n));
      return all;
    },
  };
}
