// One engine, one shape, in its own module Worker: load the engine, make the inputs, warm up,
// time, and send back the times, the output rows the page compares with the reference, and the
// engine's WebAssembly memory after the run (linear memory never shrinks, so that is its peak).
//
// message in:  {engine, build, threads, shape, mask, protocol: {targetRuns, budgetMs, minRuns,
//               maxRuns, maxWarmups, minWarmups, slowMs}, rows}
//              or, for the real model, {workload: "minilm", engine, build, threads, text, ids, protocol}
// message out: {ok: true, times, warmups, out, memoryBytes, info} or {ok: false, error}
import { makeInputs, pickRows } from "./common.js";
import { MINILM, fetchModelFile } from "./bert.js";

// Record every WebAssembly.Memory the engine makes or exports, before any engine code loads.
const memories = new Set();
const keep = (exports) => {
  for (const x of Object.values(exports ?? {})) if (x instanceof WebAssembly.Memory) memories.add(x);
};
const W = WebAssembly;
const RealMemory = W.Memory;
W.Memory = new Proxy(RealMemory, {
  construct(target, args, newTarget) {
    const m = Reflect.construct(target, args, newTarget === W.Memory ? target : newTarget);
    memories.add(m);
    return m;
  },
});
const wrapInstantiate = (fn) => async function (...args) {
  const r = await fn.apply(W, args);
  keep((r.instance ?? r).exports);
  return r;
};
W.instantiate = wrapInstantiate(W.instantiate);
W.instantiateStreaming = wrapInstantiate(W.instantiateStreaming);
const RealInstance = W.Instance;
W.Instance = new Proxy(RealInstance, {
  construct(target, args) {
    const i = Reflect.construct(target, args);
    keep(i.exports);
    return i;
  },
});
const memoryBytes = () => [...memories].reduce((sum, m) => sum + m.buffer.byteLength, 0);

const adapters = {
  ours: "./engines/ours.js",
  ort: "./engines/ort.js",
  tfjs: "./engines/tfjs.js",
  webgpu: "./engines/webgpu.js",
};

/** Warm-ups, then timed runs of `engine.run()` under protocol `p`: {times, warm, out, first}. */
async function measure(engine, p) {
  // Warm-ups: the first one also sizes the number of timed runs.
  const warm = [];
  let out = null;
  let t0 = performance.now();
  out = await engine.run();
  warm.push(performance.now() - t0);
  const first = warm[0];
  const warmups = first > p.slowMs ? p.minWarmups : first > 200 ? Math.min(2, p.maxWarmups) : p.maxWarmups;
  while (warm.length < warmups) {
    t0 = performance.now();
    out = await engine.run();
    warm.push(performance.now() - t0);
  }
  const est = Math.min(...warm);
  // targetRuns when they fit the budget (more, up to maxRuns, when runs are very short); fewer
  // for slow sizes (at least minRuns, or 1 beyond slowMs).
  const runs = est * p.targetRuns <= p.budgetMs
    ? Math.min(p.maxRuns, Math.max(p.targetRuns, Math.floor(p.budgetMs / 4 / Math.max(est, 1e-3))))
    : Math.max(est > p.slowMs ? 1 : p.minRuns, Math.floor(p.budgetMs / est));
  const times = [];
  // Beyond slowMs (n >= 32,768 on one or two threads) the first call, already tiered up by the
  // small problem above, is the one measurement: no separate warm-up.
  if (first > p.slowMs) { times.push(first); warm.length = 0; }
  for (let r = times.length; r < runs; r++) {
    t0 = performance.now();
    out = await engine.run();
    times.push(performance.now() - t0);
  }
  return { times, warm, out, first };
}

/** The real model's rows: the f32 weights and the vocabulary fetched from /models/ (outside the
 *  timed region), then `run()` = one forward pass returning all 72 attention maps. Sends back
 *  the maps (layer, head, query, key) and, for ONNX Runtime, the last hidden state. */
async function runModel(job, adapter) {
  const index = await fetchModelFile(self.location.href, "index.json");
  const entry = index.models.find((x) => x.name === MINILM.name);
  const file = entry?.weights.find((w) => w.variant === "f32");
  if (!file) throw new Error("models/index.json lists no f32 weights for minilm-l6");
  const [weights, vocab] = await Promise.all([fetchModelFile(self.location.href, file.file), fetchModelFile(self.location.href, entry.vocab.file)]);
  const engine = await adapter.setupModel({ ...job, text: job.text, ids: job.ids, weights, vocab });
  const { times, warm, out, first } = await measure(engine, job.protocol);
  const maps = engine.toMaps ? engine.toMaps(out) : out;
  const hidden = engine.hidden ? Float32Array.from(engine.hidden(out)) : null;
  const info = { ...(engine.info ?? {}), memories: memories.size, firstRunMs: Math.round(first) };
  const mem = memoryBytes();
  if (engine.dispose) await engine.dispose();
  self.postMessage({ ok: true, times, warmups: warm.length, out: maps, hidden, memoryBytes: mem, info }, [maps.buffer, ...(hidden ? [hidden.buffer] : [])]);
}

self.onmessage = async ({ data: job }) => {
  try {
    const adapter = await import(adapters[job.engine]);
    if (job.workload === "minilm") return await runModel(job, adapter);
    // V8 has no on-stack replacement for wasm: a function first called with a large problem runs
    // unoptimised (Liftoff) to the end. A few calls on a small problem of the same kind first let
    // the engine's hot functions tier up, so the warm-ups of a large shape are not wasted.
    let prewarmMs = 0;
    const s = job.shape;
    if (s.seqQ * s.seqKv > 256 * 256) {
      const t = performance.now();
      const small = { ...s, seqQ: Math.min(s.seqQ, 256), seqKv: Math.min(s.seqKv, 256) };
      const e = await adapter.setup({ ...job, shape: small, inputs: makeInputs(small) });
      for (let i = 0; i < 3; i++) await e.run();
      if (e.dispose) await e.dispose();
      prewarmMs = performance.now() - t;
    }
    const inputs = makeInputs(job.shape);
    const engine = await adapter.setup({ ...job, inputs });
    const { times, warm, out, first } = await measure(engine, job.protocol);
    const hsd = engine.toHSD ? engine.toHSD(out) : out;
    const rows = pickRows(hsd, job.shape, job.rows);
    const info = { ...(engine.info ?? {}), memories: memories.size, prewarmMs: Math.round(prewarmMs), firstRunMs: Math.round(first) };
    const mem = memoryBytes();
    if (engine.dispose) await engine.dispose();
    self.postMessage({ ok: true, times, warmups: warm.length, out: rows, memoryBytes: mem, info }, [rows.buffer]);
  } catch (e) {
    const error = e && e.message ? `${e.name && e.name !== "Error" ? e.name + ": " : ""}${e.message}` : String(e);
    self.postMessage({ ok: false, error, memoryBytes: memoryBytes() });
  }
};
self.postMessage({ ready: true });
