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
//   batch([{method, args}, ...])  several exports in one message, run in order: their results

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
  const internal = method === "default" || method === "initSync" || method === "initThreadPool" || /^(__|wbg)/.test(method);
  if (internal || !Object.hasOwn(ap, method) || typeof ap[method] !== "function") throw new Error(`unknown method ${method}`);
  return ap[method];
}

/** Runs calls in order; each is {method, args} naming an engine export. */
async function batch(calls) {
  if (!Array.isArray(calls)) throw new Error("batch takes an array of {method, args}");
  const results = [];
  for (const c of calls) results.push(await exported(c?.method)(...(Array.isArray(c?.args) ? c.args : [])));
  return results;
}

self.onmessage = async ({ data: { id, method, args } }) => {
  try {
    const list = Array.isArray(args) ? args : [];
    if (method !== "init" && !ap) throw new Error("the engine has not started");
    const result = method === "init" ? await init(...list) : method === "batch" ? await batch(...list) : await exported(method)(...list);
    // attention() returns a fresh Float32Array (a copy out of the wasm memory): hand its buffer
    // over instead of copying it again (also as a result in a batch).
    const fresh = (method === "batch" ? result : [result]).filter((r) => r instanceof Float32Array);
    self.postMessage({ id, result }, [...new Set(fresh.map((r) => r.buffer))]);
  } catch (e) {
    self.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
};

