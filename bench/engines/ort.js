// ONNX Runtime Web 1.30.0, wasm backend, on a graph written in code (../onnx.js): "plain" ops,
// the opset-23 "attention23" op, or com.microsoft "mha"; and the real model (setupModel). Files
// served from peers/ort/.
import { additiveMask } from "../common.js";
import { buildBert, buildGraph } from "../onnx.js";
import { MINILM, readSafetensors, take } from "../bert.js";

export async function setup({ graph, threads, shape, mask, inputs }) {
  const ort = await import("../peers/ort/ort.wasm.min.mjs");
  ort.env.wasm.wasmPaths = new URL("../peers/ort/", import.meta.url).href;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
  const m = additiveMask(mask, shape);
  const g = buildGraph(graph, shape, { causal: mask.kind === "causal", hasMask: m !== null });
  const session = await ort.InferenceSession.create(g.bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const feeds = {};
  for (const [name, [data, dims]] of Object.entries(g.feeds(inputs.q, inputs.k, inputs.v, m))) {
    feeds[name] = new ort.Tensor("float32", data, dims);
  }
  let last = null;
  return {
    run: async () => {
      if (last) last.dispose();
      const r = await session.run(feeds);
      last = r[g.output];
      return last.data;
    },
    toHSD: g.toHSD,
    info: { ortVersion: ort.env.versions?.web ?? ort.env.versions?.common, graph },
    dispose: async () => { await session.release(); },
  };
}

/** The real model (issue 10): all-MiniLM-L6-v2 as an ONNX graph written in code (onnx.js
 *  buildBert) with the f32 file's weights as initializers; one run returns the 72 attention
 *  maps and the last hidden state, all read back. */
export async function setupModel({ threads, ids, weights }) {
  const ort = await import("../peers/ort/ort.wasm.min.mjs");
  ort.env.wasm.wasmPaths = new URL("../peers/ort/", import.meta.url).href;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "error";
  const n = ids.length;
  let t0 = performance.now();
  const tensors = readSafetensors(weights);
  const g = buildBert((name, shape) => take(tensors, name, shape), MINILM, n);
  const graphMs = performance.now() - t0;
  t0 = performance.now();
  const session = await ort.InferenceSession.create(g.bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  const sessionMs = performance.now() - t0;
  const feeds = { [g.inputName]: new ort.Tensor("int64", BigInt64Array.from(ids, (x) => BigInt(x)), [1, n]) };
  let last = null;
  return {
    run: async () => {
      if (last) for (const t of Object.values(last)) t.dispose();
      last = await session.run(feeds);
      const out = {};
      for (const name of g.outputs) out[name] = last[name].data;
      return out;
    },
    toMaps: g.toMaps,
    hidden: (out) => out.last_hidden_state,
    info: { ortVersion: ort.env.versions?.web ?? ort.env.versions?.common, graph: "minilm-l6 (onnx.js buildBert, opset 17, unfused ops)", graphMB: Math.round(g.bytes.length / 2 ** 20), graphMs: Math.round(graphMs), sessionMs: Math.round(sessionMs) },
    dispose: async () => { await session.release(); },
  };
}
