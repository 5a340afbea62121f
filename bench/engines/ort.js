// ONNX Runtime Web 1.30.0, wasm backend, on a graph written in code (../onnx.js): "plain" ops,
// the opset-23 "attention23" op, or com.microsoft "mha". Files served from peers/ort/.
import { additiveMask } from "../common.js";
import { buildGraph } from "../onnx.js";

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
