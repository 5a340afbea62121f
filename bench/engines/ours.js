// Our builds: engine/<build>/attention_playground.js (scripts/build-engines.sh). The threaded
// builds start their rayon pool here, inside this Worker.
import { engineMask } from "../common.js";

let poolStarted = false; // setup() may run twice (a small warm-up shape first)

/** The engine build, initialised, with its rayon pool of `threads` started (threaded builds). */
async function load(build, threads) {
  const ap = await import(`../engine/${build}/attention_playground.js`);
  await ap.default();
  if (build.startsWith("threads")) {
    if (!poolStarted) await ap.initThreadPool(threads);
    poolStarted = true;
  } else if (threads !== 1) throw new Error(`build ${build} has no threads`);
  return ap;
}

export async function setup({ build, threads, shape, mask, inputs }) {
  const ap = await load(build, threads);
  // The kernel attention() runs for this shape (rows for decoding without threads, tiled else).
  const info = ap.buildInfo({ heads: shape.heads, kvHeads: shape.kvHeads, seqQ: shape.seqQ, seqKv: shape.seqKv, headDim: shape.headDim });
  const m = engineMask(mask, shape);
  const opts = { heads: shape.heads, kvHeads: shape.kvHeads, headDim: shape.headDim, mask: m };
  const maskInfo = ap.maskInfo(m, shape.seqQ, shape.seqKv);
  const { q, k, v } = inputs;
  return {
    run: () => ap.attention(q, k, v, opts),
    info: { simd: info.simd, threads: info.threads, kernel: info.kernel, allowedPairs: maskInfo.allowedPairs, totalPairs: maskInfo.totalPairs },
  };
}

/** The real model (issue 10): `Model.attentions(text)`, one forward pass of all 6 layers that
 *  returns the 72 attention maps, from the weight file's bytes (already in memory). */
export async function setupModel({ build, threads, text, weights, vocab }) {
  const ap = await load(build, threads);
  const t0 = performance.now();
  const model = ap.loadModel({ name: "minilm-l6", weights, vocab });
  const loadMs = performance.now() - t0;
  const info = model.info();
  const seqLen = model.tokenize(text).ids.length;
  return {
    run: () => model.attentions(text).data,
    info: { loadMs: Math.round(loadMs), variant: info.variant, seqLen, simd: ap.buildInfo({ heads: 12, kvHeads: 12, seqQ: seqLen, seqKv: seqLen, headDim: 32 }).simd },
    dispose: () => model.free(),
  };
}
