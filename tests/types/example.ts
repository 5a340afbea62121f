// Type-checked against the package's .d.ts by tests/types/check.sh (tsc --noEmit --strict):
// every export used the way README.md shows it. Nothing here runs.
import init, {
  attention, attentionAsync, webgpuInfo, maskInfo, trace, tokenize, stages, models, buildInfo, loadModel, headPatterns,
  type AttentionOptions, type Mask, type Trace, type Matrix, type Model, type HeadPattern,
} from "attention-playground";

export async function example(): Promise<void> {
  await init();

  const heads = 8, kvHeads = 2, headDim = 64, seqQ = 512, seqKv = 512;
  const q = new Float32Array(heads * seqQ * headDim);
  const k = new Float32Array(kvHeads * seqKv * headDim);
  const v = new Float32Array(kvHeads * seqKv * headDim);
  const options: AttentionOptions = { heads, kvHeads, headDim, mask: { kind: "causal" }, scale: 0.125, kernel: "tiled" };
  const out: Float32Array = attention(q, k, v, options);
  const later: Float32Array = await attentionAsync(q, k, v, { ...options, backend: "auto" });
  console.log(out.length === later.length);
  const gpu = await webgpuInfo();
  if (gpu.available) {
    const onGpu: Float32Array = await attentionAsync(q, k, v, { ...options, kernel: undefined, backend: "webgpu" });
    console.log(gpu.vendor, gpu.architecture, gpu.isFallbackAdapter, gpu.features, gpu.variant, onGpu.length);
  } else {
    console.log(gpu.reason);
  }

  const masks: Mask[] = [
    { kind: "none" },
    { kind: "padding", keep: new Uint8Array(seqKv).fill(1) },
    { kind: "window", size: 128, causal: true },
    { kind: "global-local", globals: [0], size: 64 },
    { kind: "block-sparse", block: 64, layout: [1, 0, 1, 1] },
    { kind: "block-sparse", block: 64, local: 1, random: 2, seed: 7, causal: true },
    { kind: "strided", stride: 8 },
    { kind: "custom", allowed: [true, false, 1, 0] },
    { kind: "all", masks: [{ kind: "causal" }, { kind: "any", masks: [{ kind: "strided", stride: 4 }] }] },
  ];
  for (const mask of masks) {
    const info = maskInfo(mask, seqQ, seqKv);
    const kept: number = info.allowedPairs / info.totalPairs;
    const empty: number[] = info.emptyRows;
    console.log(kept, empty);
  }

  const t: Trace = trace({
    model: "toy", sentence: "The cat sat.", context: "A dog ran.", dModel: 16, heads: 2, kvHeads: 1, seed: 1,
    positional: true, scale: 0.5, mask: { kind: "causal" },
    overrides: [{ matrix: "wq", layer: 0, row: 0, col: 0, value: 1 }],
    only: { layers: [0], heads: [0], stages: ["softmax", "output"] },
  });
  const layer = t.layers.find((l) => l.layer === 0);
  const head = layer?.heads.find((h) => h.head === 0);
  const softmax: Matrix | undefined = head?.stages.find((m) => m.stage === "softmax");
  const weights: Float32Array | undefined = softmax?.data;
  console.log(t.model.headDim, t.tokens.query[0]?.text, t.cross, t.mask.emptyRows, weights, head?.entropy);

  for (const token of tokenize("The cat sat.", "toy")) console.log(token.text, token.start, token.end);
  for (const stage of stages()) console.log(stage.name, stage.title, stage.perHead, stage.rowAxis, stage.colAxis);
  for (const card of models()) {
    console.log(card.name, card.maxTokens, card.stages.length, card.editable.map((e) => e.matrix));
    for (const option of card.options) console.log(option.name, option.kind === "int" ? option.max : option.default);
  }

  // The real model: its weight file and vocabulary, fetched by the caller (see README).
  const file = new Uint8Array(await (await fetch("/models/minilm-l6.f16.safetensors")).arrayBuffer());
  const vocab = await (await fetch("/models/minilm-l6.vocab.txt")).text();
  const model: Model = loadModel({ name: "minilm-l6", weights: file, vocab });
  const info = model.info();
  console.log(info.name, info.layers, info.heads, info.dModel, info.headDim, info.maxTokens);
  const pieces = model.tokenize("The cat sat on the mat because it was tired.");
  const firstToken: string | undefined = pieces.tokens[0];
  const ids: Uint32Array = pieces.ids, offsets: Uint32Array = pieces.offsets;
  console.log(firstToken, ids, offsets);
  const a = model.attentions("The cat sat.", { mask: { kind: "causal" }, scale: 0.2 });
  const cell: number | undefined = a.data[((5 * a.heads + 11) * a.seqLen + 1) * a.seqLen + 0];
  const labels: HeadPattern[] = headPatterns(a);
  console.log(a.tokens, a.ids, a.layers, cell, labels.map((h) => `${h.layer}.${h.head} ${h.pattern} ${h.title} ${h.share}`));
  const real: Trace = model.trace({ sentence: "The cat sat.", layer: 3, only: { heads: [5] } });
  console.log(real.layers[0]?.stages.map((m) => m.stage), models().map((c) => [c.weights, c.crossAttention, c.formulas.query]));
  model.free();

  const build = buildInfo();
  const decode = buildInfo({ heads, kvHeads, seqQ: 1, seqKv, headDim });
  console.log(build.simd, build.kernels, build.defaultKernel, build.decodeKernel, decode.kernel, build.threads, build.atomics);

  // The declarations are not `any`: each of these is a type error.
  // @ts-expect-error heads is a number
  attention(q, k, v, { heads: "8", headDim });
  // @ts-expect-error "sideways" is not a mask kind
  maskInfo({ kind: "sideways" }, 4, 4);
  // @ts-expect-error the backend is "auto", "cpu" or "webgpu"
  void attentionAsync(q, k, v, { heads, headDim, backend: "gpu" });
  // @ts-expect-error a trace needs a sentence
  trace({ heads: 2 });
  // @ts-expect-error loadModel needs the weights as bytes
  loadModel({ name: "minilm-l6", weights: "model.safetensors", vocab });
  // @ts-expect-error "upside-down" is not a head pattern
  const bad: HeadPattern["pattern"] = "upside-down";
  console.log(bad);
  // @ts-expect-error attention resolves nothing: it returns the Float32Array itself
  void attention(q, k, v, options).then;
}
