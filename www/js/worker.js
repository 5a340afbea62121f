// The compute worker: every engine call of the page runs here, off the main thread. It knows
// the engine, not the page: it imports no page module.
//
// At start it finds what this browser offers (cross-origin isolation and SharedArrayBuffer for
// threads, WebAssembly.validate on tiny modules for SIMD128 and relaxed SIMD), loads the best
// engine build (scripts/build-engines.sh) and falls back to the next one, with a console note,
// if a build fails to load. Messages: {id, method, args} in, {id, result} or {id, error} out:
//   init(options)                 -> {backend, stages, models} (options: {build, relaxed, threads})
//   <export>(...args)             any engine export by name (trace, tokenize, maskInfo, attention,
//                                 attentionAsync, models, stages, buildInfo), its result
//   batch([{method, args, expect?}, ...])  several exports in one message, run in order: their
//                                 results; a call with `expect: n` ends the batch unless its result
//                                 has n entries (the page traces at the token counts it guesses,
//                                 in the same message as the counting)
// Models whose card says `weights: "file"` (MiniLM-L6) read their weights from /models/ (see
// worker/models.js: Cache Storage first, else the network, SHA-256 checked either way):
//   modelManifest()               -> /models/index.json (what can be loaded, the sizes)
//   loadModel({name, variant})    -> {info, variant, bytes, cached, stored}; before it, messages
//                                    {id, progress: {file, received, total, overall}} while downloading
//   cancelLoad()                  -> true if a load was running (it then rejects: "cancelled")
//   modelStats()                  -> {downloads, downloadedBytes, cacheHits, manifests, loaded}
//   trace(config), tokenize(text, model)   go to the loaded model when config.model / model names it
//   attentions(text, options)     the loaded model's maps of every layer and head (Model.attentions)
//   headGrid(text, options)       -> {attentions, patterns}: the maps and the engine's headPatterns of them
// The long-context run (views/backend: the page runs it in a second copy of this worker, so it
// can be stopped by terminating that worker and the page's own views keep computing meanwhile):
//   longContext({n, heads, headDim, causal, backend})
//                                 -> {ms, n, heads, headDim, causal, backend}: attentionAsync over n
//                                    tokens on random inputs made here (kept for the next run),
//                                    timed from the call to the result (a small call of the same
//                                    kind first, untimed, so neither backend pays its first-call
//                                    costs in the time); webgpuInfo(), webgpuDestroyDevice() are
//                                    engine exports like the others

import { createModelFiles } from "./worker/models.js";

// (module (func (result v128) (i32x4.splat (i32.const 0))))
const SIMD = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, 8, 1, 6, 0, 65, 0, 253, 17, 11]);
// (module (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0))))
// with each v128 made by f32x4.splat (f32.const 0).
const RELAXED = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, 28, 1, 26, 0, 67, 0, 0, 0, 0, 253, 19, 67, 0, 0, 0, 0, 253, 19, 67, 0, 0, 0, 0, 253, 19,
  253, 133, 2, 11]);

/** Builds in order of preference, with what each needs. */
export const BUILDS = [
  { name: "threads-relaxed", simd: "relaxed", threads: true },
  { name: "threads", simd: "simd128", threads: true },
  { name: "relaxed", simd: "relaxed", threads: false },
  { name: "simd", simd: "simd128", threads: false },
  { name: "plain", simd: "none", threads: false },
];

/** What this browser offers; `options.relaxed === false` pretends it has no relaxed SIMD. */
function detect(options) {
  const validate = (bytes) => {
    try {
      return WebAssembly.validate(bytes);
    } catch {
      return false;
    }
  };
  const simd = validate(SIMD);
  return {
    simd,
    relaxed: simd && options.relaxed !== false && validate(RELAXED),
    threads: self.crossOriginIsolated === true && typeof SharedArrayBuffer === "function",
    isolated: self.crossOriginIsolated === true,
  };
}

function usable(build, has) {
  if (build.threads && !has.threads) return false;
  if (build.simd === "relaxed") return has.relaxed;
  if (build.simd === "simd128") return has.simd;
  return true;
}

let ap = null; // the loaded engine module
let backend = null;
let files = null; // the model files (worker/models.js), made at init
const loaded = new Map(); // model name -> {model (the engine's Model), info, variant, bytes, stored}
let loading = null; // the running load: {name, variant, controller, promise}

async function load(build, threads) {
  const m = await import(`../engine/${build.name}/attention_playground.js`);
  await m.default();
  if (build.threads) await m.initThreadPool(threads);
  const info = m.buildInfo();
  if (build.threads && info.threads !== threads) throw new Error(`the thread pool has ${info.threads} threads, not ${threads}`);
  warmUp(m);
  return m;
}

/**
 * V8 first runs wasm with its baseline compiler and moves a function to optimised code only on
 * a later call (there is no on-stack replacement for wasm), so the first large attention() would
 * run its whole kernel unoptimised: 5-10x slower, measured at n = 4,096. A few small calls of
 * the same kernels make it hot first.
 */
function warmUp(m) {
  const heads = 2, n = 96, d = 64;
  const x = new Float32Array(heads * n * d).map((_, i) => Math.sin(i));
  for (let i = 0; i < 4; i++) {
    for (const kind of ["none", "causal"]) m.attention(x, x, x, { heads, headDim: d, mask: { kind } });
  }
}

function label(build, threads) {
  const simd = { relaxed: "SIMD128 + relaxed", simd128: "SIMD128", none: "no SIMD" }[build.simd];
  return `wasm ${simd} · ${threads} thread${threads === 1 ? "" : "s"}`;
}

/**
 * Loads the best build this browser runs. options: {build: name to force one, relaxed: false to
 * ignore relaxed SIMD, threads: pool size (default: the cores, at most 8)}.
 */
async function init(options = {}) {
  const has = detect(options);
  const threads = Math.max(1, Math.min(8, options.threads ?? navigator.hardwareConcurrency ?? 1));
  const candidates = BUILDS.filter((b) => usable(b, has) && (!options.build || b.name === options.build));
  if (options.build && candidates.length === 0) {
    console.warn(`attention-playground: the ${options.build} build cannot run here; choosing the best that can`);
    candidates.push(...BUILDS.filter((b) => usable(b, has)));
  }
  const notes = [];
  for (const build of candidates) {
    try {
      const n = build.threads ? threads : 1;
      ap = await load(build, n);
      backend = {
        build: build.name, simd: build.simd, threads: n, isolated: has.isolated,
        label: label(build, n), notes,
      };
      if (!has.threads) notes.push("This page is not cross-origin isolated, so the engine runs on one thread.");
      files = createModelFiles({
        base: new URL("../models/", import.meta.url).href,
        fetch: (...a) => self.fetch(...a),
        // options.store === false: act as if Cache Storage were missing (a test switch).
        caches: options.store === false ? null : self.caches,
        subtle: self.crypto.subtle,
      });
      return { backend, stages: ap.stages(), models: ap.models() };
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      console.warn(`attention-playground: the ${build.name} build did not load (${why}); trying the next one`);
      notes.push(`The ${build.name} build did not load (${why}).`);
    }
  }
  throw new Error("no engine build loaded in this browser (it needs WebAssembly)");
}

/** The engine's exports a message may call: its functions, less the loader's own. */
function exported(method) {
  const internal = method === "default" || method === "initSync" || method === "initThreadPool" || method === "loadModel" || /^(__|wbg)/.test(method);
  if (internal || !Object.hasOwn(ap, method) || typeof ap[method] !== "function") throw new Error(`unknown method ${method}`);
  return ap[method];
}

/** The loaded model of this name, or undefined. */
const modelNamed = (name) => (typeof name === "string" ? loaded.get(name)?.model : undefined);

/** The one loaded model (the page loads one at a time), or an error that says what to do. */
function theModel(name) {
  const m = name === undefined ? [...loaded.values()].at(-1)?.model : modelNamed(name);
  if (!m) throw new Error(name === undefined ? "no model is loaded: call loadModel first" : `the model "${name}" is not loaded: call loadModel first`);
  return m;
}

/** Loads (or reuses) a model with file weights; `progress(p)` is posted before the result. */
async function loadModel(config, progress) {
  const name = config?.name;
  if (typeof name !== "string") throw new Error("loadModel takes {name, variant?}");
  const variant = config.variant ?? undefined;
  const have = loaded.get(name);
  if (have && (variant === undefined || variant === have.variant)) {
    return { info: have.info, variant: have.variant, bytes: have.bytes, cached: true, stored: have.stored };
  }
  if (loading && loading.name === name && loading.variant === variant) return loading.promise;
  loading?.controller.abort();
  const controller = new AbortController();
  const job = { name, variant, controller };
  job.promise = (async () => {
    try {
      const f = await files.load(name, { variant, signal: controller.signal, onProgress: progress });
      const model = ap.loadModel({ name, weights: f.weights, vocab: f.vocab });
      const info = model.info();
      loaded.get(name)?.model.free?.();
      loaded.set(name, { model, info, variant: f.variant, bytes: f.bytes, stored: f.stored });
      return { info, variant: f.variant, bytes: f.bytes, cached: f.cached, stored: f.stored };
    } finally {
      if (loading === job) loading = null;
    }
  })();
  loading = job;
  return job.promise;
}

let longInputs = null; // {size, q, k, v}: the long-context run's random inputs
const warmed = new Set(); // backend/kind pairs the long-context run has called once

/** Uniform values in [-1, 1) from a fixed seed (xorshift32): the same inputs every run. */
function randomInputs(size) {
  let x = 0x9e3779b9;
  const make = () => {
    const a = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      a[i] = (x >>> 0) / 2 ** 31 - 1;
    }
    return a;
  };
  return { size, q: make(), k: make(), v: make() };
}

/** Attention over n tokens on `backend`, timed; see the top of this file. */
async function longContext(config = {}) {
  const int = (v, lo, hi, d) => (Number.isInteger(v) && v >= lo && v <= hi ? v : d);
  const n = int(config.n, 1, 65536, 16384);
  const heads = int(config.heads, 1, 64, 8);
  const headDim = int(config.headDim, 1, 256, 64);
  const causal = config.causal !== false;
  const backend = config.backend === "webgpu" ? "webgpu" : "cpu";
  const options = { heads, headDim, mask: { kind: causal ? "causal" : "none" }, backend };
  const key = `${backend}/${options.mask.kind}/${heads}/${headDim}`;
  if (!warmed.has(key)) {
    const small = randomInputs(heads * Math.min(n, 256) * headDim);
    await ap.attentionAsync(small.q, small.k, small.v, options);
    warmed.add(key);
  }
  const size = heads * n * headDim;
  if (longInputs?.size !== size) {
    longInputs = null; // the old arrays can go before the new ones are made
    longInputs = randomInputs(size);
  }
  const { q, k, v } = longInputs;
  const t0 = performance.now();
  await ap.attentionAsync(q, k, v, options);
  return { ms: performance.now() - t0, n, heads, headDim, causal, backend };
}

/** Model.tokenize's {tokens, offsets} as the engine's tokenize() gives them: [{text, start, end}]. */
function tokensOf({ tokens, offsets }) {
  return tokens.map((text, i) => ({ text, start: offsets[2 * i], end: offsets[2 * i + 1] }));
}

/** One call: the worker's own methods, a loaded model's, or an engine export. */
async function run(method, args, progress) {
  switch (method) {
    case "modelManifest": return files.manifest();
    case "loadModel": return loadModel(args[0], progress);
    case "cancelLoad": {
      const was = loading !== null;
      loading?.controller.abort();
      return was;
    }
    case "modelStats": return { ...files.stats(), loaded: [...loaded.keys()] };
    case "longContext": return longContext(args[0]);
    case "attentions": return theModel(args[2]).attentions(args[0], args[1] ?? {});
    case "headGrid": {
      const attentions = theModel(args[2]).attentions(args[0], args[1] ?? {});
      return { attentions, patterns: ap.headPatterns(attentions) };
    }
    case "trace": {
      const m = modelNamed(args[0]?.model);
      if (m) return m.trace(args[0]);
      break;
    }
    case "tokenize": {
      const m = modelNamed(args[1]);
      if (m) return tokensOf(m.tokenize(args[0]));
      break;
    }
  }
  return exported(method)(...args);
}

/**
 * Runs calls in order; each is {method, args} naming an engine export or a method above, and may
 * say `expect: n`: the results so far are the answer unless that call's result has n entries.
 */
async function batch(calls) {
  if (!Array.isArray(calls)) throw new Error("batch takes an array of {method, args}");
  const results = [];
  for (const c of calls) {
    const result = await run(c?.method, Array.isArray(c?.args) ? c.args : []);
    results.push(result);
    if (c?.expect !== undefined && result?.length !== c.expect) break;
  }
  return results;
}

/**
 * The buffers a result may hand over instead of copying: fresh Float32Arrays anywhere in it
 * (attention()'s output, the maps of attentions(), every matrix of a trace) that own their whole
 * buffer, never a view of wasm memory. A trace of 512 tokens holds megabytes of them: copied, they
 * cost the worker and the page milliseconds each way.
 */
function transferable(results) {
  const out = new Set();
  const own = (a) => !(a.buffer instanceof SharedArrayBufferType) && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength;
  const walk = (v, depth) => {
    if (v instanceof Float32Array) {
      if (own(v)) out.add(v.buffer);
    } else if (depth < 12 && !ArrayBuffer.isView(v)) {
      for (const k in v) if (v[k] && typeof v[k] === "object") walk(v[k], depth + 1);
    }
  };
  if (results && typeof results === "object") walk(results, 0);
  return [...out];
}
const SharedArrayBufferType = typeof SharedArrayBuffer === "function" ? SharedArrayBuffer : class {};

self.onmessage = async ({ data: { id, method, args } }) => {
  try {
    const list = Array.isArray(args) ? args : [];
    if (method !== "init" && !ap) throw new Error("the engine has not started");
    const progress = (p) => self.postMessage({ id, progress: p });
    const result = method === "init" ? await init(...list) : method === "batch" ? await batch(...list) : await run(method, list, progress);
    self.postMessage({ id, result }, transferable(method === "batch" ? result : [result]));
  } catch (e) {
    self.postMessage({ id, error: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : undefined });
  }
};
