// The benchmark page. bench/run.mjs drives it through `window.bench`:
//   bench.info()              browser facts; asserts cross-origin isolation
//   bench.calibrate(opts)     per-thread wasm peaks (mul+add, relaxed_madd) and a 2-worker aggregate
//   bench.runJob(job)         one (engine, shape): reference rows (cached per shape), then the
//                             engine in a fresh Worker with a timeout; returns {row, detail}
//                             (job.workload "minilm": the real model's forward pass, runModelJob)
//   bench.modelLoad(job)      the real model's load time per weight variant (model-worker.js)
// Workers run one after another, never two engines at once; each is terminated before the next.
import { classify, maskName, sampleRows, shapeKey, usefulFlops, allowedPairs } from "./common.js";
import { WORKLOAD, maxAbsDiff, modelFlops } from "./bert.js";

const log = (msg) => {
  document.getElementById("log").textContent += msg + "\n";
};

function assertIsolated() {
  const el = document.getElementById("isolation");
  el.textContent = crossOriginIsolated ? "cross-origin isolated: yes" : "NOT cross-origin isolated";
  if (!crossOriginIsolated) throw new Error("the benchmark page is not cross-origin isolated (COOP/COEP headers missing)");
}

/** Runs one worker to its first answer (not counting {ready}), with a timeout. */
function inWorker(url, message, timeoutMs) {
  return new Promise((resolve) => {
    const w = new Worker(new URL(url, import.meta.url), { type: "module" });
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      w.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, error: `timeout after ${Math.round(timeoutMs / 1000)} s`, timeout: true }), timeoutMs);
    w.onmessage = ({ data }) => { if (!data.ready) finish(data); };
    w.onerror = (e) => { e.preventDefault?.(); finish({ ok: false, error: e.message || "worker error (crashed or failed to load)" }); };
    w.onmessageerror = () => finish({ ok: false, error: "message could not be deserialised" });
    w.postMessage(message);
  });
}

const refs = new Map();

async function reference(shape, mask, rows, timeoutMs) {
  const key = shapeKey(shape, mask);
  if (!refs.has(key)) {
    if (refs.size > 2) refs.clear();
    const r = await inWorker("./reference.js", { shape, mask, rows }, timeoutMs);
    refs.set(key, r.ok ? r.ref : null);
    if (!r.ok) log(`reference ${key}: ${r.error}`);
  }
  return refs.get(key);
}

function quantile(sorted, q) {
  if (!sorted.length) return null;
  const pos = (sorted.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

const round = (x, digits) => (x == null || !Number.isFinite(x) ? null : Number(x.toPrecision(digits)));

async function runJob(job) {
  if (job.workload === "minilm") return runModelJob(job);
  const { shape, mask } = job;
  const rows = sampleRows(shape.seqQ);
  const flops = usefulFlops(mask, shape);
  const row = {
    engine: job.engineName, build: job.build, threads: job.threads,
    heads: shape.heads, kv_heads: shape.kvHeads, seq_q: shape.seqQ, seq_kv: shape.seqKv, head_dim: shape.headDim,
    mask: maskName(mask), ms_median: null, ms_p10: null, ms_p90: null, gflops: null, peak_fraction: null,
    max_abs_err: null, peak_memory_mb: null, status: "ok",
  };
  const detail = {
    runs: 0, warmups: 0, flops, density: allowedPairs(mask, shape) / (shape.seqQ * shape.seqKv),
    error_rows: rows.length === shape.seqQ ? "all" : `${rows.length} sampled rows per head`, info: null,
  };
  const ref = job.reference === false ? null : await reference(shape, mask, rows, job.refTimeoutMs ?? 120000);
  log(`${job.engineName} ${job.build} x${job.threads} ${shapeKey(shape, mask)}`);
  // The engine is in the worker's URL so that bench/run.mjs can widen the CSP for TF.js only.
  const r = await inWorker(`./worker.js?engine=${job.engine}`, {
    engine: job.engine, build: job.build, graph: job.graph, threads: job.threads, shape, mask, protocol: job.protocol, rows,
  }, job.timeoutMs);
  if (r.memoryBytes) row.peak_memory_mb = round(r.memoryBytes / 2 ** 20, 4);
  if (!r.ok) {
    row.status = r.timeout ? `error: ${r.error}` : classify(r.error);
    detail.message = r.error;
    return { row, detail };
  }
  const t = [...r.times].sort((a, b) => a - b);
  row.ms_median = round(quantile(t, 0.5), 4);
  row.ms_p10 = round(quantile(t, 0.1), 4);
  row.ms_p90 = round(quantile(t, 0.9), 4);
  const med = quantile(t, 0.5);
  row.gflops = round(flops / (med * 1e6), 4);
  if (job.peakPerThread) row.peak_fraction = round(row.gflops / (job.peakPerThread * job.threads), 3);
  detail.runs = t.length;
  detail.warmups = r.warmups;
  detail.info = r.info;
  // WebGPU rows: the build names the adapter (engines/webgpu.js), and the wasm peak means nothing.
  if (job.engine === "webgpu") {
    if (r.info?.build) row.build = r.info.build;
    row.peak_fraction = null;
  }
  if (ref) {
    let err = 0, nan = false;
    for (let i = 0; i < ref.length; i++) {
      const e = Math.abs(r.out[i] - ref[i]);
      if (Number.isNaN(e)) nan = true;
      else if (e > err) err = e;
    }
    row.max_abs_err = round(err, 3);
    if (nan) row.status = "error: NaN in the output";
  }
  return { row, detail };
}

// ---------------------------------------------------------------- the real model ----
// Texts (by n), the float64 reference (for one n at a time: 72 maps of 512² are 75 MB) and our
// engine's maps (to compare ONNX Runtime's with), all made once per page.
let texts = null;
const modelRefs = new Map(), ourMaps = new Map();

async function modelTexts(ns, timeoutMs) {
  if (!texts || ns.some((n) => !texts[n])) {
    const r = await inWorker("./model-worker.js", { kind: "texts", ns, build: "relaxed" }, timeoutMs);
    if (!r.ok) throw new Error(`making the texts: ${r.error}`);
    texts = r.texts;
  }
  return texts;
}

async function modelReference(n, ids, timeoutMs) {
  if (!modelRefs.has(n)) {
    modelRefs.clear();
    const r = await inWorker("./model-worker.js", { kind: "reference", ids }, timeoutMs);
    if (!r.ok) log(`model reference n = ${n}: ${r.error}`);
    modelRefs.set(n, r.ok ? r : null);
  }
  return modelRefs.get(n);
}

/** One real-model row: the same columns as the attention rows (heads 12, head_dim 32, seq_q =
 *  seq_kv = tokens, mask none) plus `workload`; max_abs_err is over all 72 maps against the
 *  float64 forward pass (model-worker.js). */
async function runModelJob(job) {
  const n = job.tokens;
  const flops = modelFlops(n);
  const row = {
    engine: job.engineName, build: job.build, threads: job.threads,
    heads: 12, kv_heads: 12, seq_q: n, seq_kv: n, head_dim: 32,
    mask: "none", ms_median: null, ms_p10: null, ms_p90: null, gflops: null, peak_fraction: null,
    max_abs_err: null, peak_memory_mb: null, status: "ok", workload: WORKLOAD,
  };
  const detail = { runs: 0, warmups: 0, flops, error_rows: "all 72 maps, every row, vs a float64 forward pass in JavaScript", info: null };
  let t;
  try {
    t = (await modelTexts(job.allTokens ?? [n], job.timeoutMs))[n];
  } catch (e) {
    row.status = classify(e.message);
    detail.message = e.message;
    return { row, detail };
  }
  detail.text = t.text;
  const ref = job.reference === false ? null : await modelReference(n, t.ids, job.refTimeoutMs ?? 240000);
  log(`${job.engineName} ${job.build} x${job.threads} minilm-l6 ${n} tokens`);
  const r = await inWorker(`./worker.js?engine=${job.engine}`, {
    workload: "minilm", engine: job.engine, build: job.build, threads: job.threads, text: t.text, ids: t.ids, protocol: job.protocol,
  }, job.timeoutMs);
  if (r.memoryBytes) row.peak_memory_mb = round(r.memoryBytes / 2 ** 20, 4);
  if (!r.ok) {
    row.status = r.timeout ? `error: ${r.error}` : classify(r.error);
    detail.message = r.error;
    return { row, detail };
  }
  const sorted = [...r.times].sort((a, b) => a - b);
  const med = quantile(sorted, 0.5);
  row.ms_median = round(med, 4);
  row.ms_p10 = round(quantile(sorted, 0.1), 4);
  row.ms_p90 = round(quantile(sorted, 0.9), 4);
  row.gflops = round(flops / (med * 1e6), 4);
  if (job.peakPerThread) row.peak_fraction = round(row.gflops / (job.peakPerThread * job.threads), 3);
  detail.runs = sorted.length;
  detail.warmups = r.warmups;
  detail.info = r.info;
  if (r.out.length !== 72 * n * n) {
    row.status = `error: ${r.out.length} attention values, expected 72 x ${n} x ${n}`;
    return { row, detail };
  }
  if (ref) {
    const err = maxAbsDiff(r.out, ref.maps);
    row.max_abs_err = round(err, 3);
    if (Number.isNaN(err)) row.status = "error: NaN in the attention maps";
    if (r.hidden) detail.hidden_max_abs_err = round(maxAbsDiff(r.hidden, ref.hidden), 3);
  }
  if (job.engine === "ours") ourMaps.set(`${n}`, r.out);
  else if (ourMaps.has(`${n}`)) detail.max_abs_err_vs_ours = round(maxAbsDiff(r.out, ourMaps.get(`${n}`)), 3);
  if (ourMaps.size > 1) for (const k of [...ourMaps.keys()]) if (k !== `${n}`) ourMaps.delete(k);
  return { row, detail };
}

/** The real model's load time for one weight variant (bytes already in memory): loadModel to the
 *  first attentions() result at `tokens` wordpieces, cold and then warm in the same Worker. */
async function modelLoad({ variant, build = "relaxed", tokens = 32, allTokens, timeoutMs = 120000 }) {
  const t = (await modelTexts(allTokens ?? [tokens], timeoutMs))[tokens];
  const r = await inWorker("./model-worker.js", { kind: "load", variant, build, text: t.text }, timeoutMs);
  if (!r.ok) return { variant, build, tokens, error: r.error };
  return {
    variant, build, tokens, bytes: r.bytes,
    load_to_first_maps_ms_cold: round(r.coldMs, 4), load_to_first_maps_ms_warm: round(r.warmMs, 4),
    load_model_ms_cold: round(r.loadMs[0], 4), load_model_ms_warm: round(r.loadMs[1], 4),
  };
}

async function calibrate({ ms = 300, repeats = 5 } = {}) {
  const one = (kind) => inWorker("./calibrate.js", { kind, ms, repeats }, 60000);
  const muladd = await one("muladd");
  const relaxed = await one("relaxed");
  // Two workers at once: the machine's aggregate (both cores busy).
  const both = await Promise.all([one(relaxed.valid ? "relaxed" : "muladd"), one(relaxed.valid ? "relaxed" : "muladd")]);
  return {
    muladd_gflops_per_thread: round(muladd.gflops, 4),
    relaxed_valid: relaxed.ok ? relaxed.valid : false,
    relaxed_gflops_per_thread: round(relaxed.gflops, 4),
    two_workers_gflops: both.every((b) => b.ok && b.gflops) ? round(both[0].gflops + both[1].gflops, 4) : null,
    errors: [muladd, relaxed, ...both].filter((x) => !x.ok).map((x) => x.error),
  };
}

function info() {
  assertIsolated();
  return {
    crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
    userAgentData: navigator.userAgentData ? { brands: navigator.userAgentData.brands, platform: navigator.userAgentData.platform } : null,
    webgpu: "gpu" in navigator,
  };
}

window.bench = { info, calibrate, runJob, modelLoad, log };
document.documentElement.dataset.ready = "true";
