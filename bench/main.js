// The benchmark page. bench/run.mjs drives it through `window.bench`:
//   bench.info()              browser facts; asserts cross-origin isolation
//   bench.calibrate(opts)     per-thread wasm peaks (mul+add, relaxed_madd) and a 2-worker aggregate
//   bench.runJob(job)         one (engine, shape): reference rows (cached per shape), then the
//                             engine in a fresh Worker with a timeout; returns {row, detail}
// Workers run one after another, never two engines at once; each is terminated before the next.
import { classify, maskName, sampleRows, shapeKey, usefulFlops, allowedPairs } from "./common.js";

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

window.bench = { info, calibrate, runJob, log };
document.documentElement.dataset.ready = "true";
