// A tiny ONNX protobuf writer: just enough of ModelProto, GraphProto, NodeProto, AttributeProto,
// ValueInfoProto and TensorProto to build attention graphs in code, with no model download.
// Field numbers from onnx/onnx.proto.

class Writer {
  constructor() { this.bytes = []; }
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
  raw(field, u8) { this.tag(field, 2).varint(u8.length); for (const b of u8) this.bytes.push(b); return this; }
  string(field, s) { return this.raw(field, new TextEncoder().encode(s)); }
  message(field, w) { return this.raw(field, w.finish()); }
  float(field, f) {
    this.tag(field, 5);
    const b = new Uint8Array(new Float32Array([f]).buffer);
    for (const x of b) this.bytes.push(x);
    return this;
  }
  finish() { return Uint8Array.from(this.bytes); }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 };

/** ValueInfoProto of a float tensor with a fixed shape. */
function valueInfo(name, dims) {
  const shape = new Writer();
  for (const d of dims) shape.message(1, new Writer().int(1, d)); // Dimension.dim_value
  const tensorType = new Writer().int(1, FLOAT).message(2, shape); // elem_type, shape
  const type = new Writer().message(1, tensorType); // TypeProto.tensor_type
  return new Writer().string(1, name).message(2, type);
}

/** TensorProto with float data (raw little-endian bytes). */
function tensor(name, dims, values) {
  const w = new Writer();
  for (const d of dims) w.int(1, d); // dims
  w.int(2, FLOAT).string(8, name);
  w.raw(9, new Uint8Array(Float32Array.from(values).buffer)); // raw_data
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
function model({ irVersion, opsets, nodes, inputs, outputs, initializers = [] }) {
  const g = new Writer();
  for (const n of nodes) g.message(1, n);
  g.string(2, "attention");
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
