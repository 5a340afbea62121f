// The worker's model files (www/js/worker/models.js) against a fake server and a fake Cache
// Storage: cache first, progress while downloading, the SHA-256 check either way, nothing stored
// that fails it, and words for every fault (node --test, no browser).
import { test } from "node:test";
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import { createModelFiles, filesOf, hex, CACHE_NAME, CANCELLED } from "../../www/js/worker/models.js";

const subtle = webcrypto.subtle;
const BASE = "http://127.0.0.1:8080/models/";
const sha = async (bytes) => hex(await subtle.digest("SHA-256", bytes));

const WEIGHTS = new Uint8Array(1_000_000).map((_, i) => (i * 7) & 255);
const VOCAB = new TextEncoder().encode("[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\n##s\n");

async function manifestFor(files = { weights: WEIGHTS, vocab: VOCAB }) {
  return {
    models: [{
      name: "minilm-l6", title: "all-MiniLM-L6-v2",
      vocab: { file: "minilm-l6.vocab.txt", bytes: files.vocab.length, sha256: await sha(files.vocab) },
      weights: [
        { variant: "f16", file: "minilm-l6.f16.safetensors", bytes: files.weights.length, sha256: await sha(files.weights) },
        { variant: "q8", file: "minilm-l6.q8.safetensors", bytes: 10, sha256: "0".repeat(64) },
      ],
    }],
  };
}

/** A server: path -> bytes (or a function (request) -> Response); counts requests per file. */
function fakeFetch(routes) {
  const hits = {};
  const fetch = async (url, init = {}) => {
    const file = new URL(url).pathname.replace("/models/", "");
    hits[file] = (hits[file] ?? 0) + 1;
    if (init.signal?.aborted) throw new DOMException("aborted", "AbortError");
    const r = routes[file];
    if (r === undefined) return new Response("not found", { status: 404 });
    if (typeof r === "function") return r(init);
    // Stream in 64 KiB chunks, as a network would.
    const body = new ReadableStream({
      start(c) {
        for (let i = 0; i < r.length; i += 65536) c.enqueue(r.slice(i, i + 65536));
        c.close();
      },
    });
    return new Response(body, { status: 200 });
  };
  return { fetch, hits };
}

/** Cache Storage in memory; `full: true` refuses every put (quota). */
function fakeCaches({ full = false } = {}) {
  const store = new Map();
  const cache = {
    async match(url) {
      const b = store.get(String(url));
      return b ? new Response(b.slice()) : undefined;
    },
    async put(url, response) {
      if (full) throw new DOMException("quota", "QuotaExceededError");
      store.set(String(url), new Uint8Array(await response.arrayBuffer()));
    },
    async delete(url) {
      return store.delete(String(url));
    },
  };
  return { opened: [], store, async open(name) { this.opened.push(name); return cache; } };
}

async function setup({ routes, caches = fakeCaches() } = {}) {
  const manifest = await manifestFor();
  const server = fakeFetch(routes ?? {
    "index.json": new TextEncoder().encode(JSON.stringify(manifest)),
    "minilm-l6.f16.safetensors": WEIGHTS,
    "minilm-l6.vocab.txt": VOCAB,
  });
  const files = createModelFiles({ base: BASE, fetch: server.fetch, caches, subtle });
  return { files, server, caches, manifest };
}

test("filesOf: the first listed variant by default, a named one, and errors that name what is missing", async () => {
  const m = await manifestFor();
  assert.equal(filesOf(m, "minilm-l6").weights.variant, "f16");
  assert.equal(filesOf(m, "minilm-l6", "q8").weights.file, "minilm-l6.q8.safetensors");
  assert.deepEqual(filesOf(m, "minilm-l6").variants, ["f16", "q8"]);
  assert.throws(() => filesOf(m, "bert"), /lists no model "bert" \(it has minilm-l6\)/);
  assert.throws(() => filesOf(m, "minilm-l6", "f64"), /no "f64" weights .* \(it has f16, q8\)/);
  assert.throws(() => filesOf({}, "minilm-l6"), /lists no model/);
  const bad = structuredClone(m);
  bad.models[0].vocab.sha256 = "xyz";
  assert.throws(() => filesOf(bad, "minilm-l6"), /vocabulary of "minilm-l6" \(minilm-l6.vocab.txt\) has no valid sha256/);
  bad.models[0].vocab = { file: "../../etc/passwd", bytes: 1, sha256: "0".repeat(64) };
  assert.throws(() => filesOf(bad, "minilm-l6"), /no valid file name/);
});

test("first load downloads with progress, checks and stores; the second comes from the cache", async () => {
  const { files, server, caches } = await setup();
  const progress = [];
  const a = await files.load("minilm-l6", { onProgress: (p) => progress.push(p) });
  assert.deepEqual(a.weights, WEIGHTS);
  assert.equal(a.vocab, new TextDecoder().decode(VOCAB));
  assert.equal(a.variant, "f16");
  assert.equal(a.bytes, WEIGHTS.length + VOCAB.length);
  assert.equal(a.cached, false);
  assert.equal(a.stored, true);
  assert.deepEqual(caches.opened.every((n) => n === CACHE_NAME), true);
  // Progress: per file, growing, ending at the file's size; overall across both files.
  const w = progress.filter((p) => p.file === "minilm-l6.f16.safetensors");
  assert.ok(w.length >= 3, `${w.length} progress messages`);
  assert.equal(w[0].received, 0);
  assert.equal(w.at(-1).received, WEIGHTS.length);
  assert.ok(w.every((p, i) => i === 0 || p.received > w[i - 1].received));
  assert.ok(progress.every((p) => p.overall.total === a.bytes && p.overall.received <= a.bytes));
  assert.equal(progress.at(-1).overall.received, a.bytes);
  assert.deepEqual(files.stats(), { downloads: 2, downloadedBytes: a.bytes, cacheHits: 0, manifests: 1 });

  const again = [];
  const b = await files.load("minilm-l6", { onProgress: (p) => again.push(p) });
  assert.deepEqual(b.weights, WEIGHTS);
  assert.equal(b.cached, true);
  assert.equal(b.stored, true);
  assert.equal(again.length, 0);
  assert.equal(server.hits["minilm-l6.f16.safetensors"], 1, "the weights were downloaded once");
  assert.equal(files.stats().downloads, 2);
  assert.equal(files.stats().cacheHits, 2);
});

test("offline: nothing cached is a clear error; after a first load, manifest and files come from the cache", async () => {
  const offlineFetch = async () => { throw new TypeError("Failed to fetch"); };
  const empty = createModelFiles({ base: BASE, fetch: offlineFetch, caches: fakeCaches(), subtle });
  await assert.rejects(empty.load("minilm-l6"), /manifest .*index.json could not be fetched \(Failed to fetch\); check the connection/);
  const { files, caches } = await setup();
  await files.load("minilm-l6");
  const offline = createModelFiles({ base: BASE, fetch: offlineFetch, caches, subtle });
  const r = await offline.load("minilm-l6");
  assert.equal(r.cached, true);
  assert.deepEqual(r.weights, WEIGHTS);
  assert.deepEqual(offline.stats(), { downloads: 0, downloadedBytes: 0, cacheHits: 2, manifests: 0 });
});

test("a missing file (404) says so and what to do", async () => {
  const manifest = await manifestFor();
  const { files } = await setup({ routes: { "index.json": new TextEncoder().encode(JSON.stringify(manifest)), "minilm-l6.vocab.txt": VOCAB } });
  await assert.rejects(files.load("minilm-l6"), /minilm-l6.f16.safetensors could not be downloaded: not found \(404\)/);
  const none = await setup({ routes: {} });
  await assert.rejects(none.files.load("minilm-l6"), /model manifest .*index.json could not be read \(the server answered 404: not found; .*scripts\/model.sh\)/);
});

test("corrupt bytes fail the hash and are not stored; the next load downloads again", async () => {
  const bad = WEIGHTS.slice();
  bad[12345] ^= 1;
  const manifest = await manifestFor();
  const caches = fakeCaches();
  const { files, server } = await setup({
    caches,
    routes: { "index.json": new TextEncoder().encode(JSON.stringify(manifest)), "minilm-l6.f16.safetensors": bad, "minilm-l6.vocab.txt": VOCAB },
  });
  await assert.rejects(files.load("minilm-l6"), /minilm-l6.f16.safetensors is corrupt: its SHA-256 is [0-9a-f]{12}…, the manifest says [0-9a-f]{12}…\. It was not kept/);
  assert.equal(caches.store.has(`${BASE}minilm-l6.f16.safetensors`), false);
  await assert.rejects(files.load("minilm-l6"), /is corrupt/);
  assert.equal(server.hits["minilm-l6.f16.safetensors"], 2);
});

test("a truncated or too long file, and a broken stream, are named with the bytes that came", async () => {
  const manifest = await manifestFor();
  const json = new TextEncoder().encode(JSON.stringify(manifest));
  const short = await setup({ routes: { "index.json": json, "minilm-l6.f16.safetensors": WEIGHTS.slice(0, 600_000), "minilm-l6.vocab.txt": VOCAB } });
  await assert.rejects(short.files.load("minilm-l6"), /minilm-l6.f16.safetensors is truncated: 600000 of 1000000 bytes arrived/);
  const long = await setup({ routes: { "index.json": json, "minilm-l6.f16.safetensors": new Uint8Array(1_000_001), "minilm-l6.vocab.txt": VOCAB } });
  await assert.rejects(long.files.load("minilm-l6"), /is longer than the manifest says/);
  const broken = await setup({
    routes: {
      "index.json": json,
      "minilm-l6.vocab.txt": VOCAB,
      "minilm-l6.f16.safetensors": () => new Response(new ReadableStream({
        start(c) { c.enqueue(WEIGHTS.slice(0, 300_000)); },
        pull(c) { c.error(new TypeError("network error")); },
      })),
    },
  });
  await assert.rejects(broken.files.load("minilm-l6"), /the download broke off after 0.3 MB of 1.0 MB \(network error\); retry/);
});

test("a damaged cache entry is deleted and downloaded again", async () => {
  const { files, server, caches } = await setup();
  await files.load("minilm-l6");
  const key = `${BASE}minilm-l6.f16.safetensors`;
  caches.store.get(key)[0] ^= 255;
  const r = await files.load("minilm-l6");
  assert.equal(r.cached, false);
  assert.deepEqual(r.weights, WEIGHTS);
  assert.equal(server.hits["minilm-l6.f16.safetensors"], 2);
  assert.deepEqual(caches.store.get(key), WEIGHTS);
});

test("no Cache Storage, or a full one: the files still load, reported as not stored", async () => {
  for (const caches of [null, fakeCaches({ full: true }), { open: async () => { throw new DOMException("denied", "SecurityError"); } }]) {
    const { files, server } = await setup({ caches });
    const a = await files.load("minilm-l6");
    assert.deepEqual(a.weights, WEIGHTS);
    assert.equal(a.stored, false);
    assert.equal(a.cached, false);
    await files.load("minilm-l6");
    assert.equal(server.hits["minilm-l6.f16.safetensors"], 2, "downloaded again next time");
  }
});

test("cancelling stops the download with a Cancelled error", async () => {
  const controller = new AbortController();
  const manifest = await manifestFor();
  const { files } = await setup({
    routes: {
      "index.json": new TextEncoder().encode(JSON.stringify(manifest)),
      "minilm-l6.vocab.txt": VOCAB,
      "minilm-l6.f16.safetensors": (init) => new Response(new ReadableStream({
        start(c) {
          c.enqueue(WEIGHTS.slice(0, 300_000));
          init.signal.addEventListener("abort", () => c.error(new DOMException("aborted", "AbortError")));
        },
      })),
    },
  });
  const p = files.load("minilm-l6", { signal: controller.signal, onProgress: () => controller.abort() });
  await assert.rejects(p, (e) => e.name === CANCELLED && /cancelled/.test(e.message));
});

test("a vocabulary that is not UTF-8 is refused by name", async () => {
  const vocab = new Uint8Array([0xff, 0xfe, 0x41]);
  const manifest = await manifestFor({ weights: WEIGHTS, vocab });
  const { files } = await setup({ routes: { "index.json": new TextEncoder().encode(JSON.stringify(manifest)), "minilm-l6.f16.safetensors": WEIGHTS, "minilm-l6.vocab.txt": vocab } });
  await assert.rejects(files.load("minilm-l6"), /minilm-l6.vocab.txt is not UTF-8 text/);
});
