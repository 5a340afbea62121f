// The playground driven as a person would drive it, in headless Chromium (playwright-core).
// Run by `make test` after `trunk build`; screenshots land in target/e2e/screenshots/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { settled, shots, root, pageSuite } from "./harness.mjs";

const suite = pageSuite();
const { open } = suite;

async function typeSentence(page, text) {
  await page.fill("#ap-sentence", text);
  await settled(page);
}

const chips = (page) => page.$$eval(".ap-tokens button[data-token]", (b) => b.map((x) => x.textContent));
const state = (page) => page.evaluate(() => window.playground.state);
/** The stages of the page's model, in lesson order, as the engine lists them (the test re-declares none). */
const modelStages = (page) =>
  page.evaluate(async () => (await window.attentionEngine.models()).find((m) => m.name === window.playground.state.model).stages);

test("typing a sentence shows its tokens", async () => {
  const { page, context } = await open();
  await typeSentence(page, "The robot, tired, slept 😴.");
  assert.deepEqual(await chips(page), ["The", "robot", ",", "tired", ",", "slept", "😴", "."]);
  await context.close();
});

test("step through every stage with Next, at desktop and phone width, with screenshots", async () => {
  for (const [width, height, name] of [[1280, 800, "desktop"], [390, 844, "phone"]]) {
    const { page, context } = await open({ width, height, hash: "stage=embedding&f=4&causal=1" });
    const STAGES = await modelStages(page);
    // The stepper offers exactly the model's stages, each a stage of the engine's vocabulary.
    const vocab = await page.evaluate(async () => (await window.attentionEngine.stages()).map((s) => s.name));
    assert.deepEqual(await page.$$eval("#ap-stage option", (o) => o.map((x) => x.value)), STAGES);
    assert.ok(STAGES.length > 1 && STAGES.every((n) => vocab.includes(n)), STAGES.join());
    assert.equal(STAGES[0], "embedding");
    for (let i = 0; i < STAGES.length; i++) {
      assert.equal(await page.getAttribute("#playground", "data-stage"), STAGES[i]);
      assert.equal(await page.inputValue("#ap-stage"), STAGES[i]);
      const caption = await page.textContent("#ap-caption");
      assert.ok(caption.includes(`${i + 1}.`), caption);
      await page.screenshot({ path: path.join(shots, `${name}-${String(i + 1).padStart(2, "0")}-${STAGES[i]}.png`), fullPage: true });
      // No horizontal page scroll at any width.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${name} ${STAGES[i]}: page scrolls sideways by ${overflow}px`);
      if (i < STAGES.length - 1) {
        await page.click("#ap-next");
        await settled(page);
      }
    }
    assert.equal(await page.isDisabled("#ap-next"), true);
    await context.close();
  }
});

test("a value on screen equals the engine's trace for that cell", async () => {
  const { page, context } = await open({ hash: "stage=scores&h=1&seed=7" });
  // The table twin is what a screen reader reads; clicking (or focusing) its cell explains it.
  await page.$eval("#ap-matrix td[data-row='4'][data-col='1']", (td) => td.click());
  await settled(page);
  const shown = Number(await page.getAttribute("#ap-explain", "data-value"));
  const text = await page.textContent("#ap-explain");
  const engine = await page.evaluate(async () => {
    const t = await window.attentionEngine.trace({
      sentence: "The cat sat on the mat because it was tired.", dModel: 16, heads: 2, seed: 7,
      only: { heads: [1], stages: ["scores"] },
    });
    const m = t.layers.find((l) => l.layer === 0).heads.find((h) => h.head === 1).stages.find((x) => x.stage === "scores");
    return m.data[4 * m.cols + 1];
  });
  assert.equal(shown, engine);
  assert.match(text, /q\("the"\) · k\("cat"\) = −?\d\.\d+×/, "the dot product is written out with the tokens and numbers");
  await context.close();
});

test("a causal mask shows exactly 0 above the diagonal after softmax", async () => {
  const { page, context } = await open({ hash: "stage=softmax&causal=1" });
  const cells = await page.$$eval("#ap-matrix td[data-row]", (tds) => tds.map((td) => [Number(td.dataset.row), Number(td.dataset.col), Number(td.dataset.value)]));
  assert.ok(cells.length > 50);
  for (const [i, j, v] of cells) if (j > i) assert.equal(v, 0, `(${i}, ${j}) = ${v}`);
  const rowSums = new Map();
  for (const [i, , v] of cells) rowSums.set(i, (rowSums.get(i) ?? 0) + v);
  for (const [i, s] of rowSums) assert.ok(Math.abs(s - 1) < 1e-5, `row ${i} sums to ${s}`);
  assert.match(await page.textContent("#ap-mask-cost"), /Kept: 66 of 121/);
  await context.close();
});

test("the URL round-trips the whole state, and back/forward walk through changes", async () => {
  const { page, context } = await open();
  await typeSentence(page, "Where did the dog hide the bone?");
  await page.selectOption("#ap-heads", { value: "4" });
  await settled(page);
  await page.selectOption("#ap-head", { value: "2" });
  await page.selectOption("#ap-stage", "masked");
  await page.check("#ap-mask-causal");
  await page.fill("#ap-mask-window", "3");
  await page.press("#ap-mask-window", "Enter");
  await page.check("#ap-mask-window-causal");
  // The seed is among the model's less used options: behind "More model options", closed at first.
  assert.equal(await page.isVisible("#ap-seed"), false);
  await page.click("#ap-more-model summary");
  await page.fill("#ap-seed", "42");
  await page.press("#ap-seed", "Enter");
  await page.check("#ap-noscale");
  await page.click(".ap-tokens button[data-token='3']");
  await page.selectOption("#ap-mode", "cross");
  await page.fill("#ap-context", "Sous le lit.");
  await settled(page);
  const before = await state(page);
  assert.equal(before.stage, "masked");
  assert.equal(before.heads, 4);
  assert.equal(before.head, 2);
  assert.equal(before.focus, 3);
  assert.equal(before.scale, 1);
  assert.equal(before.seed, 42);
  assert.equal(before.mode, "cross");
  assert.match(await page.textContent("#ap-mask-cost"), /Causal alone: \d+, Window alone: \d+/, "each mask's own count is shown");
  const url = page.url();
  await page.reload();
  await page.waitForSelector("#playground[data-ready='true']");
  assert.deepEqual(await state(page), before);
  assert.equal(await page.isVisible("#ap-seed"), true, "a link that sets a hidden option opens its group");
  assert.equal(page.url(), url);
  assert.equal(await page.inputValue("#ap-context"), "Sous le lit.");
  // Back undoes the last change; forward redoes it.
  await page.goBack();
  await settled(page);
  assert.notDeepEqual(await state(page), before);
  await page.goForward();
  await settled(page);
  assert.deepEqual(await state(page), before);
  await context.close();
});

test("editing a number flows through every later stage; a custom mask cell can be toggled", async () => {
  const { page, context } = await open({ hash: "stage=input" });
  const softmaxBefore = await page.evaluate(() => window.playground.state.edits.length);
  assert.equal(softmaxBefore, 0);
  await page.focus("#ap-matrix [tabindex='0']");
  // The cursor starts on the followed token's row ("it"): go to (0, 0), then to row 1.
  await page.keyboard.press("Control+Home");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  await settled(page);
  await page.fill("#ap-edit-value", "9");
  await page.press("#ap-edit-value", "Enter");
  await settled(page);
  assert.equal(await page.getAttribute("#ap-matrix td[data-row='1'][data-col='0']", "data-value"), "9");
  assert.deepEqual((await state(page)).edits, [{ matrix: "x", layer: 0, row: 1, col: 0, value: 9 }]);
  assert.match(page.url(), /e=x%3A1%3A0%3A9/);
  // The edit reaches the weights' products: scores in row 1 differ from a fresh trace.
  await page.selectOption("#ap-stage", "scores");
  await settled(page);
  const changed = await page.evaluate(async () => {
    const fresh = await window.attentionEngine.trace({ sentence: window.playground.state.sentence, only: { heads: [0], stages: ["scores"] } });
    const m = fresh.layers.find((l) => l.layer === 0).heads.find((h) => h.head === 0).stages.find((x) => x.stage === "scores");
    const shown = Number(document.querySelector("#ap-matrix td[data-row='1'][data-col='1']").dataset.value);
    return Math.abs(shown - m.data[1 * m.cols + 1]) > 1e-6;
  });
  assert.ok(changed, "scores of the edited token changed");
  // Custom mask: activating a cell on the masked stage removes that pair.
  await page.selectOption("#ap-stage", "masked");
  await settled(page);
  await page.focus("#ap-matrix [tabindex='0']");
  await page.keyboard.press("Control+Home");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  await settled(page);
  assert.deepEqual((await state(page)).custom, [[2, 0]]);
  assert.equal(await page.getAttribute("#ap-matrix td[data-row='2'][data-col='0']", "data-value"), "-Infinity");
  assert.match(await page.textContent("#ap-mask-cost"), /Kept: 120 of 121/);
  await context.close();
});

test("keyboard only: walk the stages with the arrow keys and reach the controls with Tab", async () => {
  const { page, context } = await open({ hash: "stage=embedding" });
  const STAGES = await modelStages(page);
  await page.focus("#ap-next");
  for (let i = 1; i < STAGES.length; i++) {
    await page.keyboard.press("Enter");
    await settled(page);
    assert.equal(await page.getAttribute("#playground", "data-stage"), STAGES[i]);
  }
  await page.focus("#ap-copy-link"); // a button: arrow keys step the stages unless a text field has focus
  for (let i = STAGES.length - 2; i >= 0; i--) {
    await page.keyboard.press("ArrowLeft");
    await settled(page);
    assert.equal(await page.getAttribute("#playground", "data-stage"), STAGES[i]);
  }
  // The heatmap takes focus and its cursor moves with the arrow keys.
  await page.selectOption("#ap-stage", "softmax");
  await page.focus("#ap-matrix [tabindex='0']");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowRight");
  await settled(page);
  assert.ok(await page.getAttribute("#ap-explain", "data-value"));
  await context.close();
});

test("hostile sentences give sensible results and run no script", async () => {
  const { page, context, problems } = await open();
  await typeSentence(page, "");
  assert.match(await page.textContent("#ap-message"), /no tokens/i);
  const long = Array.from({ length: 2000 }, (_, i) => `w${i}`).join(" ");
  await typeSentence(page, long);
  assert.match(await page.textContent("#ap-message"), /2000 tokens.*at most 512/);
  assert.equal(await page.inputValue("#ap-sentence"), long, "the text is kept");
  await typeSentence(page, "猫 שלום e\u0301te\u0301 👩‍👩‍👧 <script>window.__pwned=1</script> \"><img src=x onerror=\"window.__pwned=1\">");
  const tokens = await chips(page);
  assert.ok(tokens.includes("猫") && tokens.includes("שלום") && tokens.includes("e\u0301te\u0301") && tokens.includes("👩‍👩‍👧"), tokens.join(" "));
  assert.ok(tokens.includes("script") && tokens.includes("img"));
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.$("#playground img"), null, "markup in the sentence never becomes elements");
  await context.close();
  // The same in URL parameters.
  const hostile = new URLSearchParams({ s: `<img src=x onerror="window.__pwned=1"> hi`, stage: "<script>", h: "-1", heads: "x", scale: "NaN", cm: "a.b", e: "x:1:2:<b>" }).toString();
  const second = await open({ hash: hostile });
  assert.equal(await second.page.evaluate(() => window.__pwned), undefined);
  assert.equal(await second.page.getAttribute("#playground", "data-stage"), "softmax", "an unknown stage falls back to the default");
  assert.ok((await chips(second.page)).includes("img"));
  await second.context.close();
  assert.deepEqual(problems.filter((p) => !p.startsWith("off-origin")), []);
});

test("update time at 32 and 512 tokens (printed, not asserted)", async () => {
  const { page, context } = await open({ hash: "stage=softmax&heads=8&dModel=64" });
  for (const n of [32, 512]) {
    const text = Array.from({ length: n }, (_, i) => `t${i % 97}`).join(" ");
    const times = [], worker = [];
    for (let r = 0; r < 15; r++) {
      await typeSentence(page, text + (r % 2 ? " " : ""));
      times.push(Number(await page.getAttribute("#playground", "data-update-ms")));
      worker.push(Number(await page.getAttribute("#playground", "data-worker-ms")));
    }
    times.sort((a, b) => a - b);
    worker.sort((a, b) => a - b);
    assert.equal(await page.getAttribute("#playground", "data-tokens"), String(n));
    const q = (p) => times[Math.floor(p * (times.length - 1))].toFixed(1);
    console.log(`update time at ${n} tokens (8 heads, d_model 64, softmax stage, 15 edits): median ${q(0.5)} ms, p10 ${q(0.1)} ms, p90 ${q(0.9)} ms; ` +
      `of which waiting for the worker: median ${worker[7].toFixed(1)} ms`);
  }
  await context.close();
});

test("axe-core finds no serious or critical accessibility violations", async () => {
  const axe = readFileSync(path.join(root, "node_modules/axe-core/axe.min.js"), "utf8");
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    const { page, context } = await open({ width, height, bypassCSP: true, hash: "f=4" });
    await page.evaluate(axe);
    const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    console.log(`axe-core at ${width}px: ${results.violations.length} violations, ${bad.length} serious or critical`);
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`), []);
    await context.close();
  }
});

test("no console errors and no request off the origin, on every page opened", () => {
  const all = suite.problems.flat().filter((p) => !p.startsWith("dialog"));
  assert.deepEqual(all, []);
});
