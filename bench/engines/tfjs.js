// TF.js 4.22.0 with its wasm backend (XNNPACK): matMul(q, k, false, true), scale, mask add,
// softmax, matMul(p, v); `await data()` inside the timed region. The UMD bundles set globalThis.tf.
import { additiveMask } from "../common.js";

export async function setup({ threads, shape, mask, inputs }) {
  if (!globalThis.tf?.wasm) {
    await import("../peers/tfjs/tf-core.min.js");
    await import("../peers/tfjs/tf-backend-wasm.min.js");
    const tf = globalThis.tf;
    tf.wasm.setWasmPaths(new URL("../peers/tfjs/", import.meta.url).href);
    tf.wasm.setThreadsCount(threads);
    if (!(await tf.setBackend("wasm"))) throw new Error("tfjs: the wasm backend did not initialise");
    await tf.ready();
  }
  const tf = globalThis.tf;
  const { heads: H, kvHeads, seqQ, seqKv, headDim: d } = shape;
  if (kvHeads !== H) throw new Error("the TF.js graph here takes heads == kvHeads");
  const q = tf.tensor3d(inputs.q, [H, seqQ, d]);
  const k = tf.tensor3d(inputs.k, [H, seqKv, d]);
  const v = tf.tensor3d(inputs.v, [H, seqKv, d]);
  const am = additiveMask(mask, shape);
  const m = am ? tf.tensor2d(am, [seqQ, seqKv]) : null;
  const scale = tf.scalar(1 / Math.sqrt(d));
  const threadsUsed = tf.backend().getThreadsCount?.() ?? null;
  return {
    run: async () => {
      const o = tf.tidy(() => {
        let s = tf.mul(tf.matMul(q, k, false, true), scale);
        if (m) s = tf.add(s, m);
        return tf.matMul(tf.softmax(s), v);
      });
      const data = await o.data();
      o.dispose();
      return data;
    },
    info: { tfVersion: tf.version_core, backend: tf.getBackend(), threads: threadsUsed,
      simd: await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"), multithread: await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT") },
    dispose: async () => { tf.disposeVariables(); tf.dispose([q, k, v, scale, ...(m ? [m] : [])]); },
  };
}
