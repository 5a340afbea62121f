// The real model (all-MiniLM-L6-v2) in the page, in headless Chromium: choosing it downloads its
// files with a progress bar, the 72-head grid appears, a value on screen is the engine's, a
// reload reads the files from Cache Storage, faults (corrupt, missing, truncated files; no
// storage; cancel) leave the toy model working, the phone layout, and axe-core.
// The model files come from /models/ (scripts/model.sh writes them; the harness serves them).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startServer, launch, openPage, settled, shots, root } from "./harness.mjs";

let server, browser, manifest;
const allProblems = [];
const SENTENCE = "The cat sat on the mat because it was tired.";

before(async () => {
  server = await startServer();
  browser = await launch();
  const r = await fetch(`${server.url}models/index.json`);
  assert.equal(r.status, 200, "the model files are served under /models/ (run scripts/model.sh)");
  manifest = await r.json();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

const MODEL = "minilm-l6";
const weightsFile = () => manifest.models.find((m) => m.name === MODEL).weights[0];

/** A page that records the requests for model weight files it sends (the worker's included). */
async function open(opts = {}) {
  const p = await openPage(browser, server, opts);
  // Where a test makes a download fail on purpose, the browser's own console line about it is expected.
  allProblems.push({ list: p.problems, expected: opts.expectErrors ? /^console: Failed to load resource/ : null });
  p.weightRequests = [];
  p.context.on("request", (r) => { if (/\/models\/.*\.safetensors$/.test(r.url())) p.weightRequests.push(r.url()); });
  return p;
}

/** Waits until the last model load has finished (done, error or cancelled); returns its phase. */
async function loaded(page) {
  await page.waitForFunction(() => ["done", "error", "cancelled"].includes(document.getElementById("playground").dataset.modelLoad), null, { timeout: 120_000 });
  await settled(page);
  return page.getAttribute("#playground", "data-model-load");
}

/** Records what the progress bar showed while a download ran. */
const watchProgress = (page) => page.evaluate(() => {
  window.__progress = { seen: 0, texts: [], max: 0, value: 0 };
  const bar = document.getElementById("ap-model-progress");
  new MutationObserver(() => {
    const p = window.__progress;
    if (bar.closest("[hidden]")) return;
    p.seen++;
    p.max = Number(bar.max);
    p.value = Math.max(p.value, Number(bar.value));
    const t = document.getElementById("ap-model-status").textContent;
    if (p.texts.at(-1) !== t) p.texts.push(t);
  }).observe(bar, { attributes: true });
});

/** The real model's title as the engine's catalogue gives it, escaped for a RegExp. */
const titleOf = async (page) => (await page.evaluate(async () => (await window.attentionEngine.models()).find((m) => m.name === "minilm-l6").title))
  .replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const chips = (page) => page.$$eval(".ap-tokens button[data-token]", (b) => b.map((x) => x.textContent));

test("choose MiniLM-L6: a progress bar, then the 72-head grid with the engine's pattern labels", async () => {
  const { page, context, weightRequests } = await open();
  // The picker lists every model of the catalogue; MiniLM with its download size from the manifest.
  const size = (weightsFile().bytes + manifest.models[0].vocab.bytes) / 1e6;
  assert.match(await page.textContent("label[for='ap-model-minilm-l6']"), new RegExp(`${size.toFixed(1)} MB download`));
  assert.equal(await page.isChecked("#ap-model-toy"), true);
  assert.equal(weightRequests.length, 0, "nothing is downloaded before the model is chosen");
  await watchProgress(page);
  await page.check("#ap-model-minilm-l6");
  assert.equal(await loaded(page), "done");
  const seen = await page.evaluate(() => window.__progress);
  assert.ok(seen.seen > 0, "the progress bar was shown");
  assert.equal(seen.value, seen.max, "it reached the total");
  assert.match(seen.texts.at(-1), new RegExp(`^Downloading ${await titleOf(page)}: \\d+\\.\\d MB of \\d+\\.\\d MB \\(\\d+ %\\)$`));
  assert.equal(weightRequests.length, 1);
  assert.equal(await page.getAttribute("#playground", "data-model"), MODEL);
  assert.match(page.url(), /#m=minilm-l6/);
  assert.match(await page.textContent("#ap-model-note"), /downloaded \(.* MB\) and kept in this browser/);
  assert.match(await page.textContent("#ap-model-license"), /Apache-2\.0/);
  // The grid: 6 x 12 maps, each labelled with the engine's own pattern for that head.
  assert.equal(await page.locator("#ap-head-grid .ap-head-cell").count(), 72);
  const labels = await page.$$eval("#ap-head-grid .ap-head-cell", (b) => b.map((x) => [Number(x.dataset.layer), Number(x.dataset.head), x.dataset.pattern, x.getAttribute("aria-label")]));
  const patterns = await page.evaluate(async (text) => window.attentionEngine.headPatterns(await window.attentionEngine.attentions(text)), SENTENCE);
  assert.equal(patterns.length, 72);
  for (const p of patterns) {
    const l = labels.find(([layer, head]) => layer === p.layer && head === p.head);
    assert.equal(l[2], p.pattern, `layer ${p.layer} head ${p.head}`);
    assert.ok(l[3].startsWith(`Layer ${p.layer + 1}, head ${p.head + 1}: ${p.title}`), l[3]);
  }
  // WordPiece tokens with [CLS] and [SEP].
  const tokens = await chips(page);
  assert.equal(tokens[0], "[CLS]");
  assert.equal(tokens.at(-1), "[SEP]");
  await page.screenshot({ path: path.join(shots, "minilm-desktop-grid.png"), fullPage: true });
  await context.close();
});

test("a value on screen equals Model.attentions for that cell; picking a head in the grid opens it", async () => {
  const { page, context } = await open({ hash: "model=minilm&stage=softmax&l=3&h=7" });
  assert.equal(await loaded(page), "done");
  assert.deepEqual(await page.evaluate(() => [window.playground.state.model, window.playground.state.layer, window.playground.state.head]), [MODEL, 3, 7]);
  await page.$eval("#ap-matrix td[data-row='8'][data-col='2']", (td) => td.click());
  await settled(page);
  const shown = Number(await page.getAttribute("#ap-explain", "data-value"));
  const engine = await page.evaluate(async (text) => {
    const a = await window.attentionEngine.attentions(text);
    return { value: a.data[((3 * a.heads + 7) * a.seqLen + 8) * a.seqLen + 2], tokens: a.tokens, layers: a.layers, heads: a.heads };
  }, SENTENCE);
  assert.deepEqual([engine.layers, engine.heads], [6, 12]);
  assert.deepEqual(await chips(page), engine.tokens);
  assert.ok(Math.abs(shown - engine.value) <= 1e-6, `on screen ${shown}, Model.attentions ${engine.value}`);
  // The grid: click layer 2, head 5; then the keyboard: ArrowRight, ArrowDown, Enter.
  await page.click("#ap-head-grid button[data-layer='1'][data-head='4']");
  await settled(page);
  assert.deepEqual(await page.evaluate(() => [window.playground.state.layer, window.playground.state.head, window.playground.state.stage]), [1, 4, "softmax"]);
  assert.equal(await page.getAttribute("#ap-head-grid button[data-layer='1'][data-head='4']", "aria-pressed"), "true");
  assert.equal(await page.getAttribute("#ap-head-grid button[data-layer='1'][data-head='4']", "tabindex"), "0", "the grid's one tab stop");
  await page.focus("#ap-head-grid button[data-layer='1'][data-head='4']");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  await settled(page);
  assert.deepEqual(await page.evaluate(() => [window.playground.state.layer, window.playground.state.head]), [2, 5]);
  assert.equal(await page.inputValue("#ap-layer"), "2");
  assert.equal(await page.inputValue("#ap-head"), "5");
  await context.close();
});

test("every stage of the real model steps, at desktop and phone width; the grid fits a phone", async () => {
  for (const [width, height, name] of [[1280, 800, "desktop"], [390, 844, "phone"]]) {
    const { page, context } = await open({ width, height, hash: "m=minilm-l6&stage=embedding&f=3&l=2" });
    assert.equal(await loaded(page), "done");
    const stages = await page.evaluate(async () => (await window.attentionEngine.models()).find((m) => m.name === "minilm-l6").stages);
    for (const s of ["residual", "layer-norm", "feed-forward"]) assert.ok(stages.includes(s), `${s} in ${stages}`);
    assert.deepEqual(await page.$$eval("#ap-stage option", (o) => o.map((x) => x.value)), stages);
    for (let i = 0; i < stages.length; i++) {
      assert.equal(await page.getAttribute("#playground", "data-stage"), stages[i]);
      assert.equal(await page.textContent("#ap-message"), "", `${stages[i]}: no error`);
      assert.ok(await page.locator("#ap-matrix td[data-row]").count() > 0, `${stages[i]} shows a matrix`);
      if (["softmax", "feed-forward"].includes(stages[i]) || i === stages.length - 1) {
        await page.screenshot({ path: path.join(shots, `minilm-${name}-${stages[i]}.png`), fullPage: true });
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${name} ${stages[i]}: the page scrolls sideways by ${overflow}px`);
      if (i < stages.length - 1) {
        await page.click("#ap-next");
        await settled(page);
      }
    }
    // The grid on this width: every map inside the viewport, each a target of at least 24 px.
    const boxes = await page.$$eval("#ap-head-grid .ap-head-cell", (b) => b.map((x) => x.getBoundingClientRect().toJSON()));
    assert.equal(boxes.length, 72);
    for (const b of boxes) {
      assert.ok(b.left >= 0 && b.right <= width, `a map at ${b.left}..${b.right} of ${width}`);
      assert.ok(b.width >= 24 && b.height >= 24, `a map of ${b.width} x ${b.height} px`);
    }
    await page.locator("#ap-head-grid").screenshot({ path: path.join(shots, `minilm-${name}-heads.png`) });
    // The followed token across the layers: a heatmap row per layer.
    assert.equal(await page.locator("#ap-layer-follow-head td[data-row='5']").count() > 0, true);
    assert.match(await page.textContent("#ap-layer-follow-summary"), /layer 6/);
    await context.close();
  }
});

test("subword pieces join their word; [CLS]/[SEP] can be hidden, with a note; over 512 wordpieces a message", async () => {
  const { page, context } = await open({ hash: "m=minilm-l6&stage=softmax" });
  assert.equal(await loaded(page), "done");
  await page.fill("#ap-sentence", "The playwrights were unbelievably tired.");
  await settled(page);
  const pieces = await page.$$eval(".ap-tokens .ap-piece", (b) => b.map((x) => x.textContent));
  assert.ok(pieces.length > 0 && pieces.every((p) => p.startsWith("##")), pieces.join(" "));
  const n = (await chips(page)).length;
  assert.equal(await page.locator("#ap-matrix td[data-row='0']").count(), n);
  await page.check("#ap-hide-special");
  await settled(page);
  assert.equal(await page.locator("#ap-matrix td[data-row='0']").count(), n - 2, "two columns fewer");
  assert.match(await page.textContent("#ap-special-note"), /still include/);
  assert.match(page.url(), /hs=1/);
  // A cell still explains the whole matrix's value: the first row on screen is token 1.
  await page.$eval("#ap-matrix td[data-row='0'][data-col='0']", (td) => td.click());
  await settled(page);
  assert.equal(await page.getAttribute("#ap-explain", "data-row"), "1");
  const long = Array.from({ length: 600 }, (_, i) => `w${i}`).join(" ");
  await page.fill("#ap-sentence", long);
  await settled(page);
  assert.match(await page.textContent("#ap-message"), new RegExp(`This text has \\d{4} tokens; ${await titleOf(page)} reads at most 512`));
  assert.equal(await page.inputValue("#ap-sentence"), long, "the text is kept");
  await context.close();
});

test("a reload reads the model from Cache Storage: no second download", async () => {
  const { page, context, weightRequests } = await open({ hash: "m=minilm-l6" });
  assert.equal(await loaded(page), "done");
  const first = await page.evaluate(() => window.attentionEngine.modelStats());
  assert.equal(first.downloads, 2, "weights and vocabulary");
  const before = weightRequests.length; // the first download may have begun before the listener
  await page.reload();
  await page.waitForSelector("#playground[data-ready='true']");
  assert.equal(await loaded(page), "done");
  const second = await page.evaluate(() => window.attentionEngine.modelStats());
  assert.deepEqual([second.downloads, second.cacheHits], [0, 2], JSON.stringify(second));
  assert.equal(weightRequests.length, before, "no second request for the weights");
  assert.match(await page.textContent("#ap-model-note"), /from this browser's storage \(no download\)/);
  assert.equal(await page.locator("#ap-head-grid .ap-head-cell").count(), 72);
  await context.close();
});

test("without storage the model runs from memory and says it will download again", async () => {
  const { page, context } = await open({ search: "store=0", hash: "m=minilm-l6" });
  assert.equal(await loaded(page), "done");
  assert.match(await page.textContent("#ap-model-note"), /runs from memory.*download again next time/);
  await page.reload();
  await page.waitForSelector("#playground[data-ready='true']");
  assert.equal(await loaded(page), "done");
  assert.equal((await page.evaluate(() => window.attentionEngine.modelStats())).downloads, 2, "downloaded again");
  await context.close();
});

const WEIGHTS = /\/models\/.*\.safetensors$/;

/** Opens the toy page with requests matching `url` answered by `fulfill`, chooses MiniLM, expects a fault. */
async function fault(url, fulfill, message) {
  const p = await open({ expectErrors: true });
  const { page, context } = p;
  await context.route(url, fulfill);
  // A click, not check(): the load fails at once and the picker goes back to the toy model (as
  // asserted below), which check() can take for a click that did nothing.
  await page.click("#ap-model-minilm-l6");
  assert.equal(await loaded(page), "error");
  assert.match(await page.textContent("#ap-model-error"), message);
  assert.equal(await page.isVisible("#ap-model-retry"), true);
  // The toy model keeps working.
  assert.equal(await page.getAttribute("#playground", "data-model"), "toy");
  assert.equal(await page.isChecked("#ap-model-toy"), true);
  await page.fill("#ap-sentence", "Still working here.");
  await settled(page);
  assert.deepEqual(await chips(page), ["Still", "working", "here", "."]);
  assert.equal(await page.textContent("#ap-message"), "");
  return p;
}

// Bad bytes of the right length: the vocabulary (small enough to hand to the browser through
// playwright; a weight file of tens of MB through route.fulfill crashed headless Chromium), and
// the weights checked against a manifest whose SHA-256 they fail (the same check, the same words).
test("a corrupt file fails its SHA-256: a clear message, nothing stored, Retry loads the real one", async () => {
  const vocab = manifest.models[0].vocab;
  const bad = await fault(new RegExp(`/models/${vocab.file}$`), (r) => r.fulfill({ status: 200, body: Buffer.alloc(vocab.bytes, 65) }),
    new RegExp(`${vocab.file} is corrupt: its SHA-256 is .* It was not kept`));
  await bad.context.close();
  const wrong = structuredClone(manifest);
  wrong.models[0].weights[0].sha256 = "0".repeat(64);
  const { page, context } = await fault(/\/models\/index\.json$/, (r) => r.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(wrong) }),
    new RegExp(`${weightsFile().file} is corrupt: its SHA-256 is [0-9a-f]{12}…, the manifest says 000000000000…\\. It was not kept`));
  await page.screenshot({ path: path.join(shots, "minilm-error-corrupt.png") });
  const cached = await page.evaluate(async () => (await (await caches.open("attention-playground-models")).keys()).map((r) => r.url).filter((u) => u.endsWith(".safetensors")));
  assert.deepEqual(cached, [], "the bad bytes were not stored");
  await context.unroute(/\/models\/index\.json$/);
  await page.click("#ap-model-retry");
  assert.equal(await loaded(page), "done");
  assert.equal(await page.getAttribute("#playground", "data-model"), MODEL);
  await context.close();
});

test("a missing (404) or truncated weight file: a clear message, the toy model still works", async () => {
  const missing = await fault(WEIGHTS, (r) => r.fulfill({ status: 404, body: "not found" }), /could not be downloaded: not found \(404\)/);
  await missing.context.close();
  const truncated = await fault(WEIGHTS, (r) => r.fulfill({ status: 200, body: Buffer.alloc(1000) }), /is truncated: 1000 of \d+ bytes arrived/);
  await truncated.context.close();
});

test("Cancel stops the download and keeps the toy model", async () => {
  const { page, context } = await open({ expectErrors: true });
  let release;
  const held = new Promise((r) => (release = r));
  await context.route(WEIGHTS, async (r) => {
    await held;
    await r.abort().catch(() => {});
  });
  await page.check("#ap-model-minilm-l6");
  await page.waitForSelector("#ap-model-cancel", { state: "visible" });
  await page.screenshot({ path: path.join(shots, "minilm-progress.png") });
  await page.click("#ap-model-cancel");
  assert.equal(await loaded(page), "cancelled");
  release();
  assert.match(await page.textContent("#ap-model-note"), /cancelled/);
  assert.equal(await page.getAttribute("#playground", "data-model"), "toy");
  assert.equal(await page.isChecked("#ap-model-toy"), true);
  await context.close();
});

test("axe-core finds no serious or critical violations on the real model (grid, follow across layers)", async () => {
  const axe = readFileSync(path.join(root, "node_modules/axe-core/axe.min.js"), "utf8");
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    const { page, context } = await open({ width, height, bypassCSP: true, hash: "m=minilm-l6&f=4&hs=1" });
    assert.equal(await loaded(page), "done");
    await page.evaluate(axe);
    const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    console.log(`axe-core on MiniLM-L6 at ${width}px: ${results.violations.length} violations, ${bad.length} serious or critical`);
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.length}: ${v.nodes[0]?.target})`), []);
    await context.close();
  }
});

test("no console errors and no request off the origin, on every page opened", () => {
  const all = allProblems.flatMap(({ list, expected }) => list.filter((p) => !expected?.test(p)));
  assert.deepEqual(all.filter((p) => !p.startsWith("dialog")), []);
});
