// The calibrated peak: a hand-assembled wasm loop of 12 independent f32x4 chains, either
// mul+add (acc = acc*m + c) or f32x4.relaxed_madd, run in a Worker. Reports GFLOP/s of one thread.
// message in: {kind: "muladd" | "relaxed", ms}; out: {ok, gflops, valid} or {ok: false, error}

const CHAINS = 12, UNROLL = 4;

function leb(n) { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; }
function section(id, body) { return [id, ...leb(body.length), ...body]; }
function f32x4(x) { return [0xfd, 0x0c, ...new Uint8Array(new Float32Array([x, x, x, x]).buffer)]; }

/** (func (param i32) (result f32)): `n` iterations of UNROLL updates of each of the CHAINS chains. */
export function peakModule(kind) {
  const M = CHAINS + 1, C = CHAINS + 2;
  const code = [];
  for (let i = 1; i <= CHAINS; i++) code.push(...f32x4(1 + i / 64), 0x21, i);
  code.push(...f32x4(0.999), 0x21, M, ...f32x4(0.001), 0x21, C);
  code.push(0x03, 0x40); // loop
  for (let u = 0; u < UNROLL; u++) {
    for (let i = 1; i <= CHAINS; i++) {
      if (kind === "relaxed") code.push(0x20, i, 0x20, M, 0x20, C, 0xfd, ...leb(0x105), 0x21, i); // f32x4.relaxed_madd
      else code.push(0x20, i, 0x20, M, 0xfd, ...leb(0xe6), 0x20, C, 0xfd, ...leb(0xe4), 0x21, i); // f32x4.mul, f32x4.add
    }
  }
  code.push(0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b); // n -= 1; br_if loop; end
  code.push(0x20, 1);
  for (let i = 2; i <= CHAINS; i++) code.push(0x20, i, 0xfd, ...leb(0xe4));
  code.push(0xfd, 0x1f, 0, 0x0b); // f32x4.extract_lane 0; end
  const locals = [1, ...leb(CHAINS + 2), 0x7b];
  const body = [...locals, ...code];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]),
    ...section(3, [1, 0]),
    ...section(7, [1, 3, 0x72, 0x75, 0x6e, 0x00, 0]),
    ...section(10, [1, ...leb(body.length), ...body]),
  ]);
}

export const FLOPS_PER_ITER = CHAINS * UNROLL * 4 * 2;

if (typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope) {
  self.onmessage = async ({ data: { kind, ms = 300, repeats = 5 } }) => {
    try {
      const bytes = peakModule(kind);
      if (!WebAssembly.validate(bytes)) { self.postMessage({ ok: true, valid: false, gflops: null }); return; }
      const { instance } = await WebAssembly.instantiate(bytes);
      const run = instance.exports.run;
      // Size the loop to about `ms` per call, then keep the best of `repeats` calls.
      let n = 1 << 16, t = 0;
      for (;;) {
        const t0 = performance.now(); run(n); t = performance.now() - t0;
        if (t > ms / 4) break;
        n *= 2;
      }
      n = Math.max(1, Math.round((n * ms) / t));
      let best = Infinity;
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now(); run(n); best = Math.min(best, performance.now() - t0);
      }
      self.postMessage({ ok: true, valid: true, gflops: (n * FLOPS_PER_ITER) / (best * 1e6), iterations: n, ms: best });
    } catch (e) {
      self.postMessage({ ok: false, error: String(e?.message ?? e) });
    }
  };
}
