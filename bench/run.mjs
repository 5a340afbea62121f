#!/usr/bin/env node
// `make bench` (and `make bench QUICK=1`): serves the benchmark page (bench/) cross-origin isolated
// with scripts/serve.mjs, drives headless Chromium with playwright-core, runs every (engine, shape)
// job one after another, and writes target/bench/results.json, machine.json and details.json.
//
//   node bench/run.mjs [--quick] [--native] [--site DIR] [--out DIR] [--filter REGEX]
//                      [--tokens 32,128,...] [--no-reference]
//
// The engine builds must already be in SITE/engine/<build>/ (scripts/build-engines.sh SITE);
// a missing build becomes rows with status "error: ...". --filter keeps the jobs whose label
// ("engine build xT mask n_q n_kv", or "engine build xT minilm-l6 tokens") matches, for iterating
// on one engine. --tokens replaces the real model's sizes (for profiling its time against n);
// --no-reference skips the float64 forward pass of the model rows (max_abs_err then null).
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../scripts/chromium.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const opt = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const QUICK = flag("quick");
const NATIVE = flag("native");
const out = path.resolve(root, opt("out", "target/bench"));
const site = path.resolve(root, opt("site", path.join(out, "site")));
const filter = opt("filter", process.env.BENCH_FILTER || "") ? new RegExp(opt("filter", process.env.BENCH_FILTER)) : null;
const started = Date.now();
const say = (msg) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}`);

// ---------------------------------------------------------------- the site: page + peers ----
function stage() {
  fs.mkdirSync(site, { recursive: true });
  for (const f of fs.readdirSync(here)) {
    if (/\.(js|html|css)$/.test(f)) fs.copyFileSync(path.join(here, f), path.join(site, f));
  }
  fs.mkdirSync(path.join(site, "engines"), { recursive: true });
  for (const f of fs.readdirSync(path.join(here, "engines"))) fs.copyFileSync(path.join(here, "engines", f), path.join(site, "engines", f));
  const peers = {
    ort: ["onnxruntime-web/dist", ["ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"]],
    tfjs: [null, [
      ["@tensorflow/tfjs-core/dist/tf-core.min.js", "tf-core.min.js"],
      ["@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js", "tf-backend-wasm.min.js"],
      ["@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm", "tfjs-backend-wasm.wasm"],
      ["@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-simd.wasm"],
      ["@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"],
    ]],
  };
  for (const [name, [dir, files]] of Object.entries(peers)) {
    const dest = path.join(site, "peers", name);
    fs.mkdirSync(dest, { recursive: true });
    for (const f of files) {
      const [from, to] = Array.isArray(f) ? f : [path.join(dir, f), f];
      fs.copyFileSync(path.join(root, "node_modules", from), path.join(dest, to));
    }
  }
}

function pkgVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")).version;
}

async function startServer() {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = 19000 + Math.floor(Math.random() * 1000);
    const proc = spawn(process.execPath, [path.join(root, "scripts/serve.mjs"), "--root", site, "--host", "127.0.0.1", "--port", String(port)],
      { stdio: ["ignore", "pipe", "pipe"] });
    const ok = await new Promise((resolve) => {
      proc.stdout.once("data", () => resolve(true));
      proc.once("exit", () => resolve(false));
    });
    if (ok) return { url: `http://127.0.0.1:${port}/index.html`, origin: `http://127.0.0.1:${port}`, stop: () => proc.kill() };
  }
  throw new Error("could not start scripts/serve.mjs");
}

// Beyond the shared launch arguments: no throttling of the timers and renderers the benchmark times.
const EXTRA_ARGS = ["--disable-background-timer-throttling", "--disable-renderer-backgrounding"];

// ---------------------------------------------------------------- the jobs ----
const H = 8, D = 64;
const sq = (n, kind, extra = {}) => ({ shape: { heads: H, kvHeads: H, seqQ: n, seqKv: n, headDim: D }, mask: { kind, ...extra } });
const decode = (nkv) => ({ shape: { heads: H, kvHeads: H, seqQ: 1, seqKv: nkv, headDim: D }, mask: { kind: "none" } });
const sparse = (n, density) => sq(n, "block-sparse", { block: 64, density, seed: 7 });

function shapes() {
  if (QUICK) return [sq(256, "causal"), sq(1024, "causal"), sq(4096, "causal"), decode(4096)];
  const list = [];
  for (const n of [128, 256, 512, 1024, 2048, 4096]) list.push(sq(n, "none"), sq(n, "causal"));
  list.push(decode(512), decode(4096));
  for (const n of [1024, 4096]) list.push(sparse(n, 0.1), sparse(n, 0.25));
  return list;
}
const largeShapes = () => (QUICK ? [] : [sq(16384, "causal"), sq(32768, "causal"), sq(65536, "causal")]);

// Engines: name in results.json, adapter, build, graph, threads. `threads*` is filled in after the
// probe (threads-relaxed when it validates and matches the reference, else threads).
function engines(threadsBuild) {
  const ours = "attention-playground", ort = "onnxruntime-web", tf = "tfjs";
  const list = [
    { engineName: ours, engine: "ours", build: "plain", threads: 1 },
    { engineName: ours, engine: "ours", build: "simd", threads: 1 },
    { engineName: ours, engine: "ours", build: "relaxed", threads: 1 },
    { engineName: ours, engine: "ours", build: threadsBuild, threads: 1 },
    { engineName: ours, engine: "ours", build: threadsBuild, threads: 2 },
  ];
  for (const [build, graph] of [["ops", "plain"], ["Attention-23", "attention23"], ["MultiHeadAttention", "mha"]]) {
    for (const threads of [1, 2]) list.push({ engineName: `${ort}@${pkgVersion("onnxruntime-web")}`, engine: "ort", build, graph, threads });
  }
  for (const threads of [1, 2]) list.push({ engineName: `${tf}@${pkgVersion("@tensorflow/tfjs-backend-wasm")}`, engine: "tfjs", build: "wasm", threads });
  return list;
}

// Our WGSL kernel through WebGPU (engines/webgpu.js): a few small shapes only, since headless
// Chromium's adapter here is SwiftShader (a CPU, tens of times slower than the wasm kernels). The
// row's build names the adapter (the engine reports it); `threads` is 1 (the calling Worker).
const gpuShapes = () => (QUICK ? [sq(256, "none"), sq(256, "causal")] : [128, 256, 512].flatMap((n) => [sq(n, "none"), sq(n, "causal")]));
const gpuEngine = { engineName: "attention-playground", engine: "webgpu", build: "webgpu", threads: 1 };

// The real model (issue 10): all-MiniLM-L6-v2's forward pass with its 72 attention maps, f32
// weights, at 32, 128 (quick) and 512 tokens; ours on 1 thread (relaxed) and 2 (threaded build),
// ONNX Runtime Web on the same weights (onnx.js buildBert) at 1 and 2 threads.
const modelTokens = () => (opt("tokens", null) ? opt("tokens").split(",").map(Number) : QUICK ? [32, 128] : [32, 128, 512]);
function modelEngines(threadsBuild) {
  const ours = "attention-playground", ort = `onnxruntime-web@${pkgVersion("onnxruntime-web")}`;
  return [
    { engineName: ours, engine: "ours", build: "relaxed", threads: 1 },
    { engineName: ours, engine: "ours", build: threadsBuild, threads: 2 },
    { engineName: ort, engine: "ort", build: "ops", threads: 1 },
    { engineName: ort, engine: "ort", build: "ops", threads: 2 },
  ];
}
// Weight variants whose load time (loadModel to the first 72 maps at 32 tokens) is measured.
const LOAD_VARIANTS = ["f32", "f16", "q8"];

/** Quick mode skips the slow unfused/no-SIMD engines at n = 4,096 (tens of seconds per run). */
function wanted(e, s) {
  if (!QUICK) return true;
  const n = s.shape.seqQ;
  if (e.engine === "tfjs") return n <= 1024 && e.threads === 1;
  if (e.build === "plain" && e.engine === "ours") return n <= 1024;
  if (e.engine === "ort") return e.threads === 1 || n <= 1024;
  return true;
}

const protocol = QUICK
  ? { targetRuns: 10, budgetMs: 1500, maxRuns: 50, minRuns: 2, maxWarmups: 3, minWarmups: 1, slowMs: 4000 }
  : { targetRuns: 30, budgetMs: 8000, maxRuns: 200, minRuns: 3, maxWarmups: 5, minWarmups: 1, slowMs: 15000 };

function timeoutFor(s) {
  if (s.workload === "minilm") return QUICK ? 180000 : 300000;
  const n = Math.max(s.shape.seqQ, s.shape.seqKv);
  if (n >= 32768) return 600000;
  if (n >= 16384) return 300000;
  return QUICK ? 120000 : 240000;
}

// ---------------------------------------------------------------- the table ----
const fmt = (x, digits = 3) => (x == null ? "-" : Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(digits)).toString());
function table(rows, details) {
  const head = ["engine", "build", "thr", "mask", "n_q", "n_kv", "median ms", "p10", "p90", "GFLOP/s", "% peak", "max err", "mem MB", "runs", "status"];
  const body = rows.map((r, i) => [
    r.engine.replace("attention-playground", "ours"), r.build, String(r.threads), r.workload ? "minilm-l6" : r.mask, String(r.seq_q), String(r.seq_kv),
    fmt(r.ms_median), fmt(r.ms_p10), fmt(r.ms_p90), fmt(r.gflops), r.peak_fraction == null ? "-" : (100 * r.peak_fraction).toFixed(1),
    r.max_abs_err == null ? "-" : r.max_abs_err.toExponential(1), fmt(r.peak_memory_mb, 4),
    details[i]?.runs ? `${details[i].runs}+${details[i].warmups}` : "-", r.status.slice(0, 70),
  ]);
  const w = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells) => cells.map((x, c) => (c <= 3 || c === 14 ? x.padEnd(w[c]) : x.padStart(w[c]))).join("  ").trimEnd();
  return [line(head), w.map((x) => "-".repeat(x)).join("  "), ...body.map(line)].join("\n");
}

// ---------------------------------------------------------------- native ----
function nativeRatio(rows) {
  // The cache folder of every build (scripts/env.sh decides it, honouring $AP_CACHE).
  const cache = execFileSync("bash", [path.join(root, "scripts/env.sh"), "AP_CACHE"], { encoding: "utf8" }).trim();
  say("native: cargo bench --bench kernels -- 'attention/none/tiled.*/1024' (criterion)");
  let text;
  try {
    text = execFileSync("cargo", ["bench", "--bench", "kernels", "--", "attention/none/tiled.*/1024"], {
      cwd: root, env: { ...process.env, CARGO_TARGET_DIR: path.join(cache, "native") }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26,
    });
  } catch (e) {
    return { error: `cargo bench failed: ${String(e.stderr || e.message).slice(-300)}` };
  }
  fs.writeFileSync(path.join(out, "native.log"), text);
  // "attention/none/tiled/portable/1024 ... thrpt:  [11.6 Gelem/s 12.0 Gelem/s 12.3 Gelem/s]"
  const best = [];
  const blocks = text.split(/\n(?=attention\/)/);
  for (const b of blocks) {
    const id = b.match(/^(attention\/none\/tiled[^\s]*\/1024)/);
    const th = b.match(/thrpt:\s*\[\s*[\d.]+ \w+\/s\s+([\d.]+) (\w)elem\/s/);
    if (id && th) best.push({ id: id[1], gflops: Number(th[1]) * { G: 1, M: 1e-3, K: 1e-6 }[th[2]] });
  }
  if (!best.length) return { error: "no attention/none/tiled/*/1024 result in the criterion output" };
  const top = best.sort((a, b) => b.gflops - a.gflops)[0];
  const wasm = rows.find((r) => r.engine === "attention-playground" && r.build === "relaxed" && r.threads === 1 && r.mask === "none" && r.seq_q === 1024 && r.status === "ok");
  return { native: top, all: best, wasm_relaxed_gflops: wasm?.gflops ?? null, ratio_native_over_wasm: wasm ? Number((top.gflops / wasm.gflops).toFixed(3)) : null };
}

// ---------------------------------------------------------------- main ----
async function main() {
  fs.mkdirSync(out, { recursive: true });
  stage();
  const server = await startServer();
  const browser = await launchChromium({ args: EXTRA_ARGS });
  let page;
  const offOrigin = [];
  async function openPage() {
    const context = await browser.newContext();
    // TF.js's threaded wasm backend starts its pthreads from blob: workers that importScripts()
    // a blob: URL; the strict CSP of scripts/serve.mjs (script-src 'self') forbids that. Only the
    // TF.js engine Worker's script gets script-src 'self' blob: (a blob worker inherits its
    // creator's policy); the page and every other engine keep the strict policy.
    await context.route(/\/worker\.js\?engine=tfjs$/, async (route) => {
      const resp = await route.fetch();
      const headers = { ...resp.headers() };
      headers["content-security-policy"] = (headers["content-security-policy"] ?? "").replace("script-src 'self'", "script-src 'self' blob:");
      await route.fulfill({ response: resp, headers });
    });
    page = await context.newPage();
    page.on("request", (r) => { const u = r.url(); if (!u.startsWith(server.origin) && !/^(data|blob):/.test(u)) offOrigin.push(u); });
    page.on("console", (m) => { if (m.type() === "error") console.log(`  page console: ${m.text().slice(0, 300)}`); });
    await page.goto(server.url);
    await page.waitForFunction(() => window.bench);
  }
  try {
    await openPage();
    const info = await page.evaluate(() => window.bench.info());
    say(`page cross-origin isolated: ${info.crossOriginIsolated}; hardwareConcurrency ${info.hardwareConcurrency}; ${browser.version()}`);
    say("calibrating the wasm peak (12 f32x4 chains, mul+add and relaxed_madd)…");
    const peaks = await page.evaluate((q) => window.bench.calibrate({ ms: q ? 200 : 400, repeats: q ? 3 : 7 }), QUICK);
    const peakPerThread = peaks.relaxed_valid ? peaks.relaxed_gflops_per_thread : peaks.muladd_gflops_per_thread;
    say(`peak per thread: mul+add ${peaks.muladd_gflops_per_thread} GFLOP/s, relaxed_madd ${peaks.relaxed_gflops_per_thread} GFLOP/s (valid: ${peaks.relaxed_valid}); 2 workers ${peaks.two_workers_gflops} GFLOP/s`);

    const cpu = (fs.readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) || [])[1] ?? os.cpus()[0]?.model;
    const machine = {
      date: new Date().toISOString(), mode: QUICK ? "quick" : "full", cpu, cpus: os.cpus().length, memory_gb: Number((os.totalmem() / 2 ** 30).toFixed(1)),
      loadavg_at_start: os.loadavg().map((x) => Number(x.toFixed(2))),
      browser: `Chromium ${browser.version()}`, user_agent: info.userAgent, hardware_concurrency: info.hardwareConcurrency,
      cross_origin_isolated: info.crossOriginIsolated,
      peaks: { ...peaks, peak_fraction_uses: peaks.relaxed_valid ? "relaxed_madd GFLOP/s per thread x threads" : "mul+add GFLOP/s per thread x threads (relaxed SIMD did not validate)" },
      versions: { "onnxruntime-web": pkgVersion("onnxruntime-web"), "@tensorflow/tfjs-core": pkgVersion("@tensorflow/tfjs-core"), "@tensorflow/tfjs-backend-wasm": pkgVersion("@tensorflow/tfjs-backend-wasm"), "playwright-core": pkgVersion("playwright-core") },
      protocol: { ...protocol, note: "median/p10/p90 over `runs` timed runs after `warmups` warm-ups (see details.json); slow sizes get fewer runs; useful flops as in PERF.md; max_abs_err vs a float64 JS reference over all query rows for n_q <= 1024, over evenly sampled rows (64 per head up to 4096, 16 beyond) for larger n_q; peak_memory_mb is the engine Worker's WebAssembly memory after the run (linear memory never shrinks)" },
    };

    // Which threaded build: threads-relaxed when it loads and matches the reference at n = 128.
    let threadsBuild = "threads";
    if (fs.existsSync(path.join(site, "engine/threads-relaxed/attention_playground.js"))) {
      const probe = await page.evaluate((job) => window.bench.runJob(job), {
        engineName: "probe", engine: "ours", build: "threads-relaxed", threads: 2, ...sq(128, "causal"),
        protocol: { ...protocol, targetRuns: 2, maxRuns: 2, maxWarmups: 1 }, timeoutMs: 60000,
      });
      if (probe.row.status === "ok" && probe.row.max_abs_err != null && probe.row.max_abs_err <= 1e-4) threadsBuild = "threads-relaxed";
      say(`threaded build: ${threadsBuild} (threads-relaxed probe: ${probe.row.status}, max err ${probe.row.max_abs_err})`);
    }
    machine.threads_build = threadsBuild;

    const jobs = [];
    for (const s of shapes()) for (const e of engines(threadsBuild)) if (wanted(e, s)) jobs.push({ ...e, ...s });
    for (const s of largeShapes()) {
      jobs.push({ engineName: "attention-playground", engine: "ours", build: threadsBuild, threads: 2, ...s });
      if (s.shape.seqQ === 16384) jobs.push({ engineName: "attention-playground", engine: "ours", build: "relaxed", threads: 1, ...s });
    }
    for (const s of gpuShapes()) jobs.push({ ...gpuEngine, ...s });
    for (const n of modelTokens()) {
      for (const e of modelEngines(threadsBuild)) jobs.push({ ...e, workload: "minilm", tokens: n, allTokens: modelTokens(), reference: !flag("no-reference") });
    }
    const label = (j) => (j.workload === "minilm"
      ? `${j.engineName} ${j.build} x${j.threads} minilm-l6 ${j.tokens}`
      : `${j.engineName} ${j.build} x${j.threads} ${j.mask.kind}${j.mask.density ? j.mask.density : ""} ${j.shape.seqQ} ${j.shape.seqKv}`);
    const selected = filter ? jobs.filter((j) => filter.test(label(j))) : jobs;
    say(`${selected.length} jobs (${QUICK ? "quick" : "full"} mode)`);

    const rows = [], details = [];
    for (const [i, job] of selected.entries()) {
      const full = { ...job, protocol, peakPerThread, timeoutMs: timeoutFor(job) };
      const loadAtStart = os.loadavg().map((x) => Number(x.toFixed(2)));
      let res;
      try {
        let timer;
        res = await Promise.race([
          page.evaluate((j) => window.bench.runJob(j), full),
          new Promise((_, reject) => { timer = setTimeout(() => reject(new Error("no answer from the page")), full.timeoutMs + 180000); }),
        ]).finally(() => clearTimeout(timer));
      } catch (e) {
        // The renderer died (a crash, most likely memory) or hung: record it, start a fresh page.
        const crashed = /crash|closed|Target/i.test(String(e.message));
        const model = job.workload === "minilm";
        const shape = model ? { heads: 12, kvHeads: 12, seqQ: job.tokens, seqKv: job.tokens, headDim: 32 } : job.shape;
        res = {
          row: { engine: job.engineName, build: job.build, threads: job.threads, heads: shape.heads, kv_heads: shape.kvHeads,
            seq_q: shape.seqQ, seq_kv: shape.seqKv, head_dim: shape.headDim,
            mask: model ? "none" : job.mask.kind === "block-sparse" ? `block-sparse-${Math.round(job.mask.density * 100)}%` : job.mask.kind,
            ms_median: null, ms_p10: null, ms_p90: null, gflops: null, peak_fraction: null, max_abs_err: null, peak_memory_mb: null,
            status: crashed ? "error: the page crashed (renderer gone, probably out of memory)" : `error: ${String(e.message).slice(0, 150)}`,
            ...(model ? { workload: "minilm-l6 forward + 72 maps" } : {}) },
          detail: { message: String(e.message) },
        };
        try { await page.context().close(); } catch { /* the renderer is gone already */ }
        await openPage();
      }
      rows.push(res.row);
      // The machine's load when the job started (other processes share the cores).
      details.push({ label: label(job), loadavg_at_start: loadAtStart, ...res.detail });
      const r = res.row;
      say(`${String(i + 1).padStart(3)}/${selected.length} ${label(job).padEnd(58)} ${r.status === "ok" ? `${fmt(r.ms_median)} ms  ${fmt(r.gflops)} GFLOP/s  err ${r.max_abs_err?.toExponential(1) ?? "-"}` : r.status}`);
      fs.writeFileSync(path.join(out, "results.json"), JSON.stringify(rows, null, 1) + "\n");
    }

    // The real model's download sizes (models/index.json) and load times, ours relaxed x1.
    const loads = [];
    if (!filter || filter.test("attention-playground relaxed x1 minilm-l6 load")) {
      for (const variant of LOAD_VARIANTS) {
        const r = await page.evaluate((j) => window.bench.modelLoad(j), { variant, build: "relaxed", tokens: 32, allTokens: modelTokens() });
        loads.push(r);
        say(`load ${variant}: ${r.error ?? `${(r.bytes / 1e6).toFixed(1)} MB; loadModel to first 72 maps at 32 tokens ${fmt(r.load_to_first_maps_ms_cold)} ms cold, ${fmt(r.load_to_first_maps_ms_warm)} ms warm`}`);
      }
    }
    const index = (() => { try { return JSON.parse(fs.readFileSync(path.join(site, "models/index.json"), "utf8")); } catch { return null; } })();
    const entry = index?.models?.find((x) => x.name === "minilm-l6");
    machine.model = {
      name: "minilm-l6", workload: "minilm-l6 forward + 72 maps",
      download: entry ? entry.weights.map((w) => ({ variant: w.variant, file: w.file, bytes: w.bytes })).concat([{ variant: "vocab", file: entry.vocab.file, bytes: entry.vocab.bytes }]) : null,
      load: loads,
      note: "load_to_first_maps_ms: from the loadModel() call (weight bytes and vocab already in memory) to the first Model.attentions() result at 32 tokens, relaxed build, 1 thread; cold = first load in a fresh Worker, warm = a second load in the same Worker",
    };

    if (NATIVE) machine.native = nativeRatio(rows);
    machine.off_origin_requests = offOrigin;
    machine.wall_s = Math.round((Date.now() - started) / 1000);
    fs.writeFileSync(path.join(out, "results.json"), JSON.stringify(rows, null, 1) + "\n");
    fs.writeFileSync(path.join(out, "details.json"), JSON.stringify(details, null, 1) + "\n");
    fs.writeFileSync(path.join(out, "machine.json"), JSON.stringify(machine, null, 1) + "\n");

    console.log("\n" + table(rows, details) + "\n");
    console.log(`machine: ${machine.cpu} (${machine.cpus} cpus, load at start ${machine.loadavg_at_start.join(" ")}), ${machine.browser}, hardwareConcurrency ${machine.hardware_concurrency}, ${machine.date}`);
    console.log(`peak per thread (calibrated in the page): mul+add ${peaks.muladd_gflops_per_thread} GFLOP/s, relaxed_madd ${peaks.relaxed_gflops_per_thread} GFLOP/s; 2 workers together ${peaks.two_workers_gflops} GFLOP/s`);
    console.log(`% peak = GFLOP/s / (${machine.peaks.peak_fraction_uses}); GFLOP/s counts useful flops only (PERF.md); runs = timed + warm-up`);
    if (machine.native) {
      const n = machine.native;
      console.log(n.error ? `native vs wasm: ${n.error}` : `native vs wasm at n = 1,024, no mask: native ${n.native.id} ${n.native.gflops} GFLOP/s / wasm relaxed x1 ${n.wasm_relaxed_gflops} GFLOP/s = ${n.ratio_native_over_wasm}x`);
    }
    if (machine.model.download) {
      console.log(`minilm-l6 downloads: ${machine.model.download.map((d) => `${d.variant} ${(d.bytes / 1e6).toFixed(1)} MB`).join(", ")}`);
    }
    for (const l of machine.model.load) {
      console.log(l.error ? `minilm-l6 ${l.variant} load: ${l.error}` : `minilm-l6 ${l.variant}: loadModel ${fmt(l.load_model_ms_warm)} ms, loadModel to first 72 maps at 32 tokens ${fmt(l.load_to_first_maps_ms_warm)} ms warm (${fmt(l.load_to_first_maps_ms_cold)} ms cold)`);
    }
    if (offOrigin.length) console.log(`WARNING: requests off the origin: ${offOrigin.slice(0, 5).join(", ")}`);
    console.log(`wrote ${path.relative(root, path.join(out, "results.json"))} (${rows.length} rows), machine.json, details.json in ${machine.wall_s} s`);
  } finally {
    await browser.close().catch(() => {});
    server.stop();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
