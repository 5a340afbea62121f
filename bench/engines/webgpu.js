// Our WGSL kernel through WebGPU: attentionAsync(q, k, v, {..., backend: "webgpu"}) from the
// `relaxed` build (the WebGPU path is the same in every build; the CPU side only copies inputs).
// setup({shape, mask, inputs}) -> {run: async () => Float32Array [heads, seqQ, headDim], info}.
// info.build labels the row with the adapter, e.g. "webgpu (google swiftshader, fallback: CPU
// speed)": in headless Chromium here the adapter is SwiftShader, a CPU, so those rows are CPU
// numbers (PERF.md). No adapter: setup throws, and the row says why.
import { engineMask } from "../common.js";

/** The row's build label from webgpuInfo(). */
export function label(gpu) {
  const adapter = [gpu.vendor, gpu.architecture].filter(Boolean).join(" ") || gpu.description || "adapter";
  return `webgpu (${adapter}${gpu.isFallbackAdapter ? ", fallback: CPU speed" : ""})`;
}

export async function setup({ shape, mask, inputs }) {
  const ap = await import("../engine/relaxed/attention_playground.js");
  await ap.default();
  const gpu = await ap.webgpuInfo();
  if (!gpu.available) throw new Error(`no WebGPU adapter: ${gpu.reason}`);
  const m = engineMask(mask, shape);
  const opts = { heads: shape.heads, kvHeads: shape.kvHeads, headDim: shape.headDim, mask: m, backend: "webgpu" };
  const maskInfo = ap.maskInfo(m, shape.seqQ, shape.seqKv);
  const { q, k, v } = inputs;
  return {
    run: () => ap.attentionAsync(q, k, v, opts),
    info: {
      build: label(gpu), adapter: { vendor: gpu.vendor, architecture: gpu.architecture, description: gpu.description, isFallbackAdapter: gpu.isFallbackAdapter },
      features: gpu.features, variant: gpu.variant, allowedPairs: maskInfo.allowedPairs, totalPairs: maskInfo.totalPairs,
    },
  };
}
