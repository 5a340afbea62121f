import { createSpare } from "./engine/spare.js";

// The page's only door to the engine: a client of the compute worker (worker.js). Every call
// returns a Promise; the main thread never runs attention itself. One worker per document: the
// module is evaluated once per page, so every custom element of a page (element.js) shares it.
//
//   const { backend, stages, models } = await start({ build, relaxed, threads });
//   await start(options, { worker: url })  the worker module's URL (default: worker.js beside this
//                                         file); the first start() decides, later ones share it
//   await call("trace", config)           any engine export by name, queued in order
//   await call("batch", [{method, args}, ...])   several exports in one message, run in order
//   await latest("view", "batch", calls)  only the newest request of a channel is computed: a
//                                         request that a newer one overtakes before it is sent is
//                                         dropped, and a reply that a newer one overtook is
//                                         rejected with a Stale error
//   await load("minilm-l6", { variant, onProgress })   a model with file weights (see worker.js):
//                                         onProgress({file, received, total, overall}) while it
//                                         downloads; cancelLoad() stops it (rejects, name "Cancelled")
let worker = null;
let nextId = 1;
const pending = new Map(); // id -> {resolve, reject, onProgress}
const channels = new Map(); // name -> {busy, waiting: {method, args, resolve, reject} | null, generation}
let started = null;
let spare = null; // the long-context run's own worker (engine/spare.js), made on its first run

/** A request a newer one on the same channel made pointless. */
export class Stale extends Error {
  constructor() {
    super("overtaken by a newer request");
    this.name = "Stale";
  }
}

function send(method, args, onProgress) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, method, args });
  });
}

function onMessage({ data: { id, result, error, name, progress } }) {
  const p = pending.get(id);
  if (!p) return;
  // Several progress messages may come before the one answer of a request.
  if (progress !== undefined) {
    p.onProgress?.(progress);
    return;
  }
  pending.delete(id);
  if (error !== undefined) p.reject(Object.assign(new Error(error), name && name !== "Error" ? { name } : {}));
  else p.resolve(result);
}

/**
 * A module worker running `url`. Browsers start a worker only from the page's own origin: a
 * worker module on another origin (an element loaded from a CDN or the author's asset host) runs
 * inside a blob: worker that imports it, which then resolves the engine builds and model files
 * against its own URL, on its origin (they need CORS headers there). The import is a dynamic
 * import(), fetched as a script (the host's CSP: script-src), where a static import would be
 * fetched as a worker (worker-src); messages that arrive before it has loaded wait for it.
 * Returns {worker, blob}: the blob: URL to revoke once the worker answers.
 */
function spawn(url) {
  const options = { type: "module", name: "attention-engine" };
  if (url.origin === location.origin) return { worker: new Worker(url, options), blob: null };
  const source = `const url = ${JSON.stringify(url.href)};
const early = [];
self.onmessage = (e) => early.push(e);
import(url).then(
  () => { for (const e of early.splice(0)) self.onmessage(e); },
  (err) => {
    const fail = (e) => self.postMessage({ id: e.data?.id, error: "the compute worker " + url + " could not be loaded (" + (err?.message ?? err) + ")" });
    for (const e of early.splice(0)) fail(e);
    self.onmessage = fail;
  },
);
`;
  const blob = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  return { worker: new Worker(blob, options), blob };
}

/**
 * Starts the worker and loads the best engine build. options: {build, relaxed, threads} (see
 * worker.js); the page passes its URL's test switches here. `worker`: the worker module's URL.
 * Resolves to {backend, stages, models}: the build that runs, and the engine's vocabulary and
 * model catalogue.
 */
export function start(options = {}, { worker: url = new URL("./worker.js", import.meta.url) } = {}) {
  if (!started) {
    started = new Promise((resolve, reject) => {
      const spawned = spawn(new URL(url, location.href));
      worker = spawned.worker;
      const revoke = () => spawned.blob && URL.revokeObjectURL(spawned.blob);
      worker.onmessage = onMessage;
      worker.onerror = (e) => {
        e.preventDefault?.();
        revoke();
        const err = new Error(`the compute worker failed (${e.message || "it could not load"})`);
        for (const p of pending.values()) p.reject(err);
        pending.clear();
        reject(err);
      };
      send("init", [options]).then(resolve, reject).finally(revoke);
    });
  }
  return started;
}

/** Calls an engine method in the worker; requests run one after another in the order made. */
export function call(method, ...args) {
  if (!worker) return Promise.reject(new Error("the engine has not started"));
  return send(method, args);
}

/**
 * Loads a model whose weights are files (the catalogue's `weights: "file"`) into the worker:
 * resolves to {info, variant, bytes, cached, stored}; `onProgress({file, received, total,
 * overall: {received, total}})` hears each step of a download. Not a channel: never dropped.
 */
export function load(name, { variant, onProgress } = {}) {
  if (!worker) return Promise.reject(new Error("the engine has not started"));
  return send("loadModel", [variant === undefined ? { name } : { name, variant }], onProgress);
}

/** Stops a running load (it rejects with an error named "Cancelled"). */
export function cancelLoad() {
  return call("cancelLoad");
}

/**
 * Runs a method in the long-context worker (a second copy of worker.js with the same build, see
 * engine/spare.js), started on the first such call; stopLong() terminates it.
 */
export async function long(method, ...args) {
  const { backend } = await start();
  spare ??= createSpare({ build: backend.build, threads: backend.threads, store: false });
  return spare.call(method, ...args);
}

/** Stops the long-context worker's work (its calls reject, name "Cancelled"): whether it ran. */
export function stopLong() {
  return spare?.stop() ?? false;
}

/** Like call(), but a newer request on the same channel overtakes this one (see the top). */
export function latest(channel, method, ...args) {
  let ch = channels.get(channel);
  if (!ch) channels.set(channel, (ch = { busy: false, waiting: null, generation: 0, computed: 0, dropped: 0 }));
  const generation = ++ch.generation;
  return new Promise((resolve, reject) => {
    if (ch.waiting) {
      ch.dropped++;
      ch.waiting.reject(new Stale());
    }
    ch.waiting = { method, args, resolve, reject, generation };
    pump(ch);
  });
}

function pump(ch) {
  if (ch.busy || !ch.waiting) return;
  const job = ch.waiting;
  ch.waiting = null;
  ch.busy = true;
  ch.computed++;
  call(job.method, ...job.args)
    .then(
      (r) => (job.generation === ch.generation ? job.resolve(r) : job.reject(new Stale())),
      (e) => (job.generation === ch.generation ? job.reject(e) : job.reject(new Stale())),
    )
    .finally(() => {
      ch.busy = false;
      pump(ch);
    });
}

/**
 * The engine as tests and embedders see it (window.attentionEngine): the same worker the page
 * uses, each method returning a Promise.
 */
export const api = Object.freeze({
  backend: async () => (await start()).backend,
  buildInfo: (shape) => call("buildInfo", ...(shape === undefined ? [] : [shape])),
  stages: () => call("stages"),
  models: () => call("models"),
  tokenize: (text, model) => call("tokenize", ...(model === undefined ? [text] : [text, model])),
  trace: (config) => call("trace", config),
  maskInfo: (mask, seqQ, seqKv) => call("maskInfo", mask, seqQ, seqKv),
  // Off the main thread every attention request takes the engine's asynchronous entry point, the
  // backend level (options.backend: "auto" | "cpu"), where a WebGPU backend slots in later.
  attention: (q, k, v, options) => call("attentionAsync", q, k, v, options),
  attentionAsync: (q, k, v, options) => call("attentionAsync", q, k, v, options),
  // Models with file weights (MiniLM-L6): the manifest, loading (with progress), the loaded
  // model's maps of every layer and head, the engine's head patterns, and the download counts.
  modelManifest: () => call("modelManifest"),
  loadModel: (config, onProgress) => load(config?.name, { variant: config?.variant, onProgress }),
  cancelLoad: () => cancelLoad(),
  attentions: (text, options) => call("attentions", text, options ?? {}),
  headPatterns: (a) => call("headPatterns", a),
  modelStats: () => call("modelStats"),
  // WebGPU: what the adapter is (or why there is none), and the device-loss test hook, which
  // destroys the device of the page's worker and of the long-context worker when it runs.
  webgpuInfo: () => call("webgpuInfo"),
  webgpuDestroyDevice: async () => {
    const here = await call("webgpuDestroyDevice");
    const there = spare?.started() ? await spare.call("webgpuDestroyDevice") : false;
    return here || there;
  },
  /** The long-context run in its own worker: {n, heads, headDim, causal, backend} -> {ms, …}. */
  longContext: (config) => long("longContext", config),
  /** Per channel: requests made, computed, and dropped unsent because a newer one overtook them. */
  stats: () =>
    Object.fromEntries([...channels].map(([name, c]) => [name, { made: c.generation, computed: c.computed, dropped: c.dropped }])),
});
