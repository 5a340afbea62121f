// The page's WebGPU path (issue 11): the backend choice beside the status line, the long-context
// run on the chosen backend, WebGPU missing, a device lost in the middle of a run, axe-core.
// Headless Chromium with --enable-unsafe-webgpu (scripts/chromium.mjs) offers SwiftShader, a
// software adapter at CPU speed: the runs here are small (?long=N), never 16,384 tokens.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdirSync, copyFileSync } from "node:fs";
import path from "node:path";
import { settled, root, shots, pageSuite } from "./harness.mjs";

const suite = pageSuite();

async function open(opts) {
  const p = await suite.open(opts);
  await p.page.waitForSelector("#ap-backends:not([data-webgpu='asking'])");
  return p;
}

/** Clicks the long-context run and waits for its answer: the view's data attributes. */
async function runLong(page) {
  await page.click("#ap-long-run");
  await page.waitForSelector("#ap-backends:not([data-run='running'])", { timeout: 120_000 });
  return page.$eval("#ap-backends", (el) => ({ ...el.dataset }));
}

// Hides WebGPU from the page and from its workers (navigator.gpu is read in each global of its
// own: the worker's WorkerNavigator): an init script for the page, and the worker's script served
// with the same line in front (init scripts do not run in workers).
const NO_GPU = (proto) => `Object.defineProperty(${proto}.prototype, "gpu", { get: () => undefined, configurable: true });\n`;
async function withoutWebGpu(context) {
  await context.addInitScript(NO_GPU("Navigator"));
  await context.route("**/js/worker.js", async (route) => {
    const res = await route.fetch();
    await route.fulfill({ response: res, body: NO_GPU("WorkerNavigator") + (await res.text()) });
  });
}

test("SwiftShader: the WebGPU option names its adapter; chosen, a run says WebGPU ran, with a time, and be=webgpu is in the URL", async () => {
  const { page, context } = await open({ search: "long=256", hash: "s=The+cat+sat." });
  const info = await page.evaluate(() => window.attentionEngine.webgpuInfo());
  console.log(`adapter: ${JSON.stringify(info)}`);
  assert.equal(info.available, true, `no WebGPU adapter in headless Chromium: ${info.reason}`);
  assert.equal(await page.isDisabled("#ap-backend-webgpu"), false);
  assert.equal(await page.isChecked("#ap-backend-cpu"), true, "the CPU by default");
  const label = await page.textContent("label[for='ap-backend-webgpu']");
  assert.match(label, new RegExp(`WebGPU \\(${info.vendor} ${info.architecture}`));
  assert.match(label, /software adapter: CPU speed/);
  assert.match(await page.textContent("label[for='ap-backend-cpu']"), /CPU: wasm SIMD128 \+ relaxed · 2 threads/);
  assert.equal(await page.getAttribute("#playground", "data-backend"), "wasm SIMD128 + relaxed · 2 threads", "data-backend is still the build");

  // The CPU first.
  const cpu = await runLong(page);
  assert.equal(cpu.ran, "cpu");
  assert.equal(cpu.n, "256");
  assert.ok(Number(cpu.ms) > 0);
  assert.match(await page.textContent("#ap-backend-cpu-time"), /last run \d/);
  assert.match(await page.textContent("#ap-backend"), /^Computed by wasm SIMD128 \+ relaxed · 2 threads · last attention run: the CPU, 256 tokens in \d/);

  // Then WebGPU: the choice goes into the URL, the view stays.
  const stage = await page.getAttribute("#playground", "data-stage");
  await page.click("#ap-backend-webgpu");
  assert.match(new URL(page.url()).hash, /(^#|&)be=webgpu(&|$)/);
  await settled(page);
  const gpu = await runLong(page);
  assert.equal(gpu.ran, "webgpu");
  assert.equal(gpu.fallback, undefined);
  assert.ok(Number(gpu.ms) > 0);
  const status = await page.textContent("#ap-backend");
  assert.match(status, /last attention run: WebGPU \(google swiftshader, a software adapter: CPU speed\), 256 tokens in \d/);
  assert.match(await page.textContent("#ap-long-result"), /^256 tokens, 8 heads, d 64, causal: [\d.]+ m?s on WebGPU/);
  assert.match(await page.textContent("#ap-backend-webgpu-time"), /last run \d/);
  assert.match(await page.textContent("#ap-backend-cpu-time"), /last run \d/, "the CPU keeps its own last time");
  assert.equal(await page.getAttribute("#playground", "data-stage"), stage);
  console.log(`long-context run, 256 tokens: CPU ${cpu.ms} ms, WebGPU (SwiftShader) ${gpu.ms} ms`);
  await page.screenshot({ path: path.join(shots, "webgpu-desktop.png"), clip: { x: 0, y: 0, width: 1280, height: 320 } });

  // A link with be=webgpu opens on it.
  const again = await open({ search: "long=256", hash: "be=webgpu" });
  assert.equal(await again.page.isChecked("#ap-backend-webgpu"), true);
  await again.context.close();
  await context.close();
});

test("without navigator.gpu (page and workers) the WebGPU option is disabled with its reason, and runs use the CPU", async () => {
  const { page, context } = await open({ search: "long=128", hash: "be=webgpu", setup: withoutWebGpu });
  const info = await page.evaluate(() => window.attentionEngine.webgpuInfo());
  assert.equal(info.available, false);
  assert.equal(await page.isDisabled("#ap-backend-webgpu"), true);
  assert.equal(await page.isChecked("#ap-backend-cpu"), true);
  const reason = await page.textContent("#ap-backend-webgpu-reason");
  assert.equal(reason, `WebGPU is unavailable here: ${info.reason}.`.replace(/\.\.$/, "."));
  assert.match(reason, /navigator\.gpu is missing/);
  assert.equal(await page.isVisible("#ap-backend-webgpu-reason"), true, "the reason is visible text");
  const r = await runLong(page);
  assert.equal(r.ran, "cpu");
  assert.match(new URL(page.url()).hash, /be=webgpu/, "the learner's choice stays in the URL");
  await context.close();
});

test("a WebGPU device lost in the middle of a run: the page falls back to the CPU, says so, and keeps the state", async () => {
  const hash = "s=Lost+devices+happen.&stage=scores&h=1&causal=1&be=webgpu";
  const { page, context } = await open({ search: "long=1024", hash });
  const before = { url: page.url(), sentence: await page.inputValue("#ap-sentence"), stage: await page.getAttribute("#playground", "data-stage") };
  await page.click("#ap-long-run");
  // Destroy the devices (the page's worker and the long-context worker) until the run ends: one of
  // them lands while the run is on the GPU.
  let destroyed = 0;
  while ((await page.getAttribute("#ap-backends", "data-run")) === "running") {
    if (await page.evaluate(() => window.attentionEngine.webgpuDestroyDevice())) destroyed++;
    await page.waitForTimeout(50);
  }
  const r = await page.$eval("#ap-backends", (el) => ({ ...el.dataset }));
  console.log(`device destroyed ${destroyed} times during the run; it ran on ${r.ran} in ${r.ms} ms`);
  assert.equal(r.run, "done");
  assert.equal(r.ran, "cpu");
  assert.equal(r.fallback, "true");
  assert.match(await page.textContent("#ap-backend"), /last attention run: the CPU \(WebGPU failed, so it fell back to the CPU\), 1,024 tokens in/);
  assert.match(await page.textContent("#ap-long-result"), /WebGPU failed \(.*lost.*\), so it fell back to the CPU\./);
  assert.equal(page.url(), before.url, "the URL (the whole state) is unchanged");
  assert.equal(await page.inputValue("#ap-sentence"), before.sentence);
  assert.equal(await page.getAttribute("#playground", "data-stage"), before.stage);
  assert.equal(await page.isChecked("#ap-backend-webgpu"), true, "WebGPU stays chosen");
  await page.screenshot({ path: path.join(shots, "webgpu-fallback.png"), clip: { x: 0, y: 0, width: 1280, height: 320 } });
  await context.close();
});

test("a long run does not hold up the page: the views keep computing while it runs, and Cancel stops it", async () => {
  const { page, context } = await open({ search: "long=4096" }); // the CPU, about a second or more
  await page.click("#ap-long-run");
  await page.waitForSelector("#ap-long-cancel", { state: "visible" });
  await page.fill("#ap-sentence", "Typing while it runs.");
  await settled(page);
  assert.equal(await page.getAttribute("#playground", "data-tokens"), "5");
  assert.equal(await page.getAttribute("#ap-backends", "data-run"), "running", "the run was still going while the view updated");
  await page.click("#ap-long-cancel");
  assert.equal(await page.getAttribute("#ap-backends", "data-run"), "cancelled");
  assert.equal(await page.textContent("#ap-long-result"), "Cancelled.");
  // A new run starts a fresh worker.
  await page.goto(page.url().replace("long=4096", "long=128"));
  await page.waitForSelector("#playground[data-ready='true']");
  const r = await runLong(page);
  assert.equal(r.run, "done");
  await context.close();
});

test("axe-core finds no serious or critical violations with the backend choice and a run shown, at both widths", async () => {
  const axe = readFileSync(path.join(root, "node_modules/axe-core/axe.min.js"), "utf8");
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    const { page, context } = await open({ width, height, bypassCSP: true, search: "long=128", hash: "be=webgpu" });
    await runLong(page);
    await page.evaluate(axe);
    const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    console.log(`axe-core with the backend choice at ${width}px: ${results.violations.length} violations, ${bad.length} serious or critical`);
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.length}: ${v.nodes[0]?.target})`), []);
    if (width === 390) await page.screenshot({ path: path.join(shots, "webgpu-phone.png"), clip: { x: 0, y: 0, width, height: 560 } });
    await context.close();
  }
});

test("no console errors and no request off the origin, on every page opened", () => {
  assert.deepEqual(suite.problems.flat(), []);
  // The screenshots for the plan's notes, when that folder is there.
  try {
    mkdirSync("/work/plan/shots", { recursive: true });
    for (const f of ["webgpu-desktop.png", "webgpu-phone.png", "webgpu-fallback.png"]) copyFileSync(path.join(shots, f), path.join("/work/plan/shots", f));
  } catch {
    // not on the project's machine
  }
});
