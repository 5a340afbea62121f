// Our builds: engine/<build>/attention_playground.js (scripts/build-engines.sh). The threaded
// builds start their rayon pool here, inside this Worker.
import { engineMask } from "../common.js";

let poolStarted = false; // setup() may run twice (a small warm-up shape first)

export async function setup({ build, threads, shape, mask, inputs }) {
  const ap = await import(`../engine/${build}/attention_playground.js`);
  await ap.default();
  if (build.startsWith("threads")) {
    if (!poolStarted) await ap.initThreadPool(threads);
    poolStarted = true;
  } else if (threads !== 1) throw new Error(`build ${build} has no threads`);
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
