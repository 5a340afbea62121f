// The model files a model with `weights: "file"` reads (its weights and vocabulary), fetched for
// the compute worker: from Cache Storage when there, else from the network with progress; every
// file is checked against the SHA-256 of the manifest (`/models/index.json`, written by
// scripts/model.sh) before the engine sees it, whichever way it came. Only worker.js imports this
// module; it touches no DOM and takes the browser's fetch, caches and crypto as arguments, so
// node's test runner drives it with fakes (tests/js/model-files.test.mjs).
//
//   const files = createModelFiles({ base, fetch, caches, subtle });
//   await files.manifest()                     -> the manifest {models: [...]}
//   await files.load(name, { variant, signal, onProgress })
//        -> {weights: Uint8Array, vocab: string, variant, bytes, cached, stored}
//   files.stats()                              -> {downloads, downloadedBytes, cacheHits, manifests}
//
// Faults are Errors whose message a learner can read: the file, what went wrong (not found,
// truncated, corrupt) and what to do. A download that fails its hash is never stored.

/** The Cache Storage cache that holds model files, keyed by their URL. */
export const CACHE_NAME = "attention-playground-models";

/** A download cancelled by `signal` rejects with an Error of this name. */
export const CANCELLED = "Cancelled";

/** At most one progress message per file every this many bytes (and always the last one). */
const PROGRESS_STEP = 256 * 1024;

/** Lower-case hex of bytes. */
export function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A manifest entry checked field by field: {file, bytes, sha256}. `what` names it in errors. */
function entry(e, what) {
  if (!e || typeof e !== "object") throw new Error(`the model manifest has no ${what}`);
  if (typeof e.file !== "string" || !/^[\w.-]+$/.test(e.file)) throw new Error(`the model manifest's ${what} has no valid file name`);
  if (!Number.isSafeInteger(e.bytes) || e.bytes <= 0) throw new Error(`the model manifest's ${what} (${e.file}) has no valid size in bytes`);
  if (typeof e.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(e.sha256)) throw new Error(`the model manifest's ${what} (${e.file}) has no valid sha256`);
  return { file: e.file, bytes: e.bytes, sha256: e.sha256 };
}

/**
 * The files of model `name` in a manifest: its vocabulary and the weights of `variant` (default:
 * the first listed). -> {vocab, weights: {variant, file, bytes, sha256}, variants}
 */
export function filesOf(manifest, name, variant) {
  const models = Array.isArray(manifest?.models) ? manifest.models : [];
  const m = models.find((x) => x?.name === name);
  if (!m) throw new Error(`the model manifest lists no model "${name}"${models.length ? ` (it has ${models.map((x) => x?.name).join(", ")})` : ""}`);
  const variants = (Array.isArray(m.weights) ? m.weights : []).map((w) => w?.variant).filter((v) => typeof v === "string");
  if (variants.length === 0) throw new Error(`the model manifest lists no weights for "${name}"`);
  const chosen = variant ?? variants[0];
  const w = m.weights.find((x) => x?.variant === chosen);
  if (!w) throw new Error(`the model manifest has no "${chosen}" weights for "${name}" (it has ${variants.join(", ")})`);
  return { vocab: entry(m.vocab, `vocabulary of "${name}"`), weights: { variant: chosen, ...entry(w, `"${chosen}" weights of "${name}"`) }, variants };
}

/** Bytes for reading in messages: "45.2 MB". */
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

const TOO_LONG = "TooLong";
const tooLong = (f) =>
  Object.assign(new Error(`${f.file} is longer than the manifest says (more than ${mb(f.bytes)}): it is not the file the manifest describes; rebuild the model files (scripts/model.sh)`), { name: TOO_LONG });

const cancelled = () => Object.assign(new Error("The download was cancelled."), { name: CANCELLED });

/**
 * createModelFiles({base, fetch, caches, subtle}): `base` is the URL of the models folder (ends
 * in "/"); `fetch`, `caches` (may be undefined: no Cache Storage) and `subtle` (crypto.subtle)
 * are the browser's.
 */
export function createModelFiles({ base, fetch, caches, subtle }) {
  const counts = { downloads: 0, downloadedBytes: 0, cacheHits: 0, manifests: 0 };
  const url = (file) => new URL(file, base).href;

  /** The cache, or null where Cache Storage is missing or refuses (private modes, file://). */
  async function openCache() {
    if (!caches) return null;
    try {
      return await caches.open(CACHE_NAME);
    } catch {
      return null;
    }
  }

  async function sha256(bytes) {
    return hex(await subtle.digest("SHA-256", bytes));
  }

  /**
   * The manifest: from the network (so new files are seen), else the copy in the cache (so the
   * page works offline once a model was loaded). Stores what the network gave.
   */
  async function manifest({ signal } = {}) {
    const where = url("index.json");
    const cache = await openCache();
    let response;
    let failure;
    try {
      response = await fetch(where, { signal, cache: "no-store" });
      if (!response.ok) failure = new Error(`the model manifest ${where} could not be read (the server answered ${response.status}${response.status === 404 ? ": not found; on your own machine, run scripts/model.sh" : ""})`);
    } catch (e) {
      if (signal?.aborted) throw cancelled();
      failure = new Error(`the model manifest ${where} could not be fetched (${e instanceof Error ? e.message : e}); check the connection`);
    }
    if (failure || !response) {
      const copy = await cache?.match(where).catch(() => undefined);
      if (!copy) throw failure;
      response = copy;
    } else {
      counts.manifests++;
    }
    const text = await response.text();
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`the model manifest ${where} is not JSON`);
    }
    if (!Array.isArray(parsed?.models)) throw new Error(`the model manifest ${where} has no "models" list`);
    if (!failure && cache) {
      await cache.put(where, new Response(text, { headers: { "Content-Type": "application/json" } })).catch(() => {});
    }
    return parsed;
  }

  /** A file's bytes from the cache if it is there and intact (a damaged copy is deleted), else null. */
  async function fromCache(cache, f) {
    if (!cache) return null;
    const where = url(f.file);
    try {
      const r = await cache.match(where);
      if (!r) return null;
      const bytes = new Uint8Array(await r.arrayBuffer());
      if (bytes.length === f.bytes && (await sha256(bytes)) === f.sha256) return bytes;
      await cache.delete(where);
    } catch {
      // An unreadable cache entry: download again.
    }
    return null;
  }

  /** A file from the network, streamed with progress, checked against its size and hash. */
  async function download(f, { signal, onProgress }) {
    const where = url(f.file);
    let response;
    try {
      response = await fetch(where, { signal, cache: "no-store" });
    } catch (e) {
      if (signal?.aborted) throw cancelled();
      throw new Error(`${f.file} could not be downloaded (${e instanceof Error ? e.message : e}); check the connection and retry`);
    }
    counts.downloads++;
    if (!response.ok) {
      const why = response.status === 404 ? "not found (404)" : `the server answered ${response.status}`;
      throw new Error(`${f.file} could not be downloaded: ${why}. The model files may not have been built (scripts/model.sh).`);
    }
    const bytes = new Uint8Array(f.bytes);
    let received = 0;
    let reported = 0;
    onProgress?.({ file: f.file, received: 0, total: f.bytes });
    try {
      if (response.body?.getReader) {
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (received + value.length > f.bytes) {
            await reader.cancel().catch(() => {});
            throw tooLong(f);
          }
          bytes.set(value, received);
          received += value.length;
          if (received - reported >= PROGRESS_STEP) {
            reported = received;
            onProgress?.({ file: f.file, received, total: f.bytes });
          }
        }
      } else {
        const all = new Uint8Array(await response.arrayBuffer());
        if (all.length > f.bytes) throw tooLong(f);
        bytes.set(all);
        received = all.length;
      }
    } catch (e) {
      if (signal?.aborted) throw cancelled();
      if (e?.name === TOO_LONG) throw e;
      throw new Error(`${f.file}: the download broke off after ${mb(received)} of ${mb(f.bytes)} (${e instanceof Error ? e.message : e}); retry`);
    }
    counts.downloadedBytes += received;
    if (received !== f.bytes) throw new Error(`${f.file} is truncated: ${received} of ${f.bytes} bytes arrived; retry`);
    if (reported !== received) onProgress?.({ file: f.file, received, total: f.bytes });
    const got = await sha256(bytes);
    if (got !== f.sha256) {
      throw new Error(`${f.file} is corrupt: its SHA-256 is ${got.slice(0, 12)}…, the manifest says ${f.sha256.slice(0, 12)}…. It was not kept; retry, or rebuild the model files (scripts/model.sh).`);
    }
    return bytes;
  }

  /** Stores a checked file; false when the cache is missing or refuses it (quota). */
  async function store(cache, f, bytes) {
    if (!cache) return false;
    try {
      await cache.put(url(f.file), new Response(bytes, { headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.length) } }));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The files of model `name`: the weights of `variant` (default: the manifest's first) and the
   * vocabulary. Progress reports `{file, received, total, overall: {received, total}}` while
   * downloading (nothing for files the cache holds).
   */
  async function load(name, { variant, signal, onProgress } = {}) {
    const m = await manifest({ signal });
    const { weights, vocab } = filesOf(m, name, variant);
    const files = [weights, vocab];
    const size = weights.bytes + vocab.bytes;
    const cache = await openCache();
    const out = [];
    let cached = true;
    let stored = cache !== null;
    let before = 0; // bytes of the files already done
    for (const f of files) {
      if (signal?.aborted) throw cancelled();
      let bytes = await fromCache(cache, f);
      if (bytes) {
        counts.cacheHits++;
      } else {
        cached = false;
        const at = before;
        bytes = await download(f, {
          signal,
          onProgress: (p) => onProgress?.({ ...p, overall: { received: at + p.received, total: size } }),
        });
        stored = (await store(cache, f, bytes)) && stored;
      }
      before += f.bytes;
      out.push(bytes);
    }
    if (signal?.aborted) throw cancelled();
    let text;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(out[1]);
    } catch {
      throw new Error(`${vocab.file} is not UTF-8 text`);
    }
    return { weights: out[0], vocab: text, variant: weights.variant, bytes: size, cached, stored };
  }

  return { manifest, load, stats: () => ({ ...counts }) };
}
