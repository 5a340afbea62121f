// The place for the WebGPU engine (a later issue): setup({build, threads, shape, mask, inputs})
// returns {run: async () => Float32Array [heads, seqQ, headDim], info}. In headless Chromium here
// the adapter is SwiftShader (a CPU); label those rows so (PERF.md).
export async function setup() {
  throw new Error("webgpu: not implemented yet");
}
