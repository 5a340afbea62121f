// The guided tour (www/js/views/tour), driven as a learner would: start it, predict then reveal
// (the revealed answer is the engine's), resume from a link, keyboard only, the real-model step,
// axe-core, and screenshots of every step at desktop and phone width (target/e2e/screenshots/tour-*.png).
// The model files come from /models/ (scripts/model.sh writes them; the harness serves them).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { settled, shots, root, pageSuite } from "./harness.mjs";

const suite = pageSuite();
const { open } = suite;

const state = (page) => page.evaluate(() => window.playground.state);
const tour = (page) => page.evaluate(() => {
  const el = document.getElementById("ap-tour");
  return { step: el.dataset.step === undefined ? null : Number(el.dataset.step), id: el.dataset.stepId, phase: el.dataset.phase };
});
const STEP_COUNT = 6;

/** Waits until the last model load has finished (done, error or cancelled); returns its phase. */
async function loaded(page) {
  await page.waitForFunction(() => ["done", "error", "cancelled"].includes(document.getElementById("playground").dataset.modelLoad), null, { timeout: 120_000 });
  await settled(page);
  return page.getAttribute("#playground", "data-model-load");
}

/** The softmax weights of head 0 for a state's sentence, traced by the engine with the state's options. */
const engineWeights = (page) => page.evaluate(async () => {
  const s = window.playground.state;
  const t = await window.attentionEngine.trace({
    sentence: s.sentence, dModel: s.dModel, heads: s.heads, kvHeads: s.kvHeads, seed: s.seed, positional: s.positional,
    only: { heads: [s.head], stages: ["softmax"] },
  });
  const m = t.layers.find((l) => l.layer === 0).heads.find((h) => h.head === s.head).stages.find((x) => x.stage === "softmax");
  return { tokens: t.tokens.key.map((x) => x.text), rows: m.rows, cols: m.cols, data: Array.from(m.data) };
});

const argmax = (xs) => xs.reduce((b, x, j) => (x > xs[b] ? j : b), 0);

/** Makes some guess for the step shown (not necessarily the right one). */
async function guess(page) {
  if (await page.$(".ap-tour-token")) await page.click(".ap-tour-token >> nth=2");
  else if (await page.$(".ap-tour-choice")) await page.click(".ap-tour-choice >> nth=0");
  else await page.fill("#ap-tour-number", "50");
}

async function reveal(page) {
  await page.click("#ap-tour-reveal");
  await settled(page);
  await page.waitForSelector("#ap-tour[data-phase='revealed']");
}

async function shot(page, name) {
  await page.$eval("#ap-tour", (el) => el.scrollIntoView({ block: "start" }));
  await page.screenshot({ path: path.join(shots, `tour-${name}.png`) });
}

test("start the tour from its button and walk every step, predicting and revealing, at desktop and phone width", async () => {
  for (const [width, height, name] of [[1280, 800, "desktop"], [390, 844, "phone"]]) {
    const { page, context } = await open({ width, height });
    assert.equal(await page.isVisible("#ap-tour-start"), true);
    assert.equal(await page.isVisible("#ap-tour-title"), false, "no panel before the tour starts");
    await page.click("#ap-tour-start");
    await settled(page);
    const ids = [];
    for (let n = 0; n < STEP_COUNT; n++) {
      const t = await tour(page);
      assert.equal(t.step, n);
      ids.push(t.id);
      assert.equal(await page.textContent("#ap-tour-count"), `Step ${n + 1} of ${STEP_COUNT}`);
      assert.equal((await state(page)).tour, n);
      assert.match(page.url(), new RegExp(`tour=${n}`));
      assert.equal(await page.evaluate(() => document.activeElement.id), "ap-tour-title", "focus on the step's heading");
      if (t.id === "heads") {
        // The trained model: the page stays on the toy model while its files download.
        assert.match(await page.textContent("#ap-tour-body"), /download/);
        await shot(page, `${name}-${n + 1}-heads-loading`);
        assert.equal(await loaded(page), "done");
        assert.equal(await page.getAttribute("#playground", "data-model"), "minilm-l6");
      }
      const file = `${name}-${n + 1}-${t.id}`;
      await shot(page, file);
      if (t.phase !== "none") {
        assert.equal(await page.isDisabled("#ap-tour-reveal"), true, "a guess comes before the reveal");
        await guess(page);
        await reveal(page);
        assert.ok((await page.textContent("#ap-tour-answer")).length > 20);
        await shot(page, `${file}-revealed`);
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${name} ${t.id}: page scrolls sideways by ${overflow}px`);
      if (n < STEP_COUNT - 1) {
        assert.equal(await page.textContent("#ap-tour-next"), "Next");
        await page.click("#ap-tour-next");
        await settled(page);
      }
    }
    assert.deepEqual(ids, ["qkv", "it", "scale", "causal", "heads", "cost"]);
    // The last step: a longer text and block-sparse, each with its pairs from the engine's mask count.
    await page.click("#ap-tour-long");
    await settled(page);
    const status = await page.textContent("#ap-tour-status");
    const n = (await page.$$(".ap-tokens button[data-token]")).length;
    assert.match(status, new RegExp(`^Now: a sliding window of 3; ${n} tokens, ${(n * n).toLocaleString("en")} pairs; kept [\\d,]+ \\(`));
    assert.match(await page.textContent("#ap-mask-cost"), new RegExp(`Kept: ${status.match(/kept ([\d,]+)/)[1].replaceAll(",", "")} of ${n * n}`));
    await page.click("#ap-tour-block");
    await settled(page);
    assert.match(await page.textContent("#ap-tour-status"), /^Now: blocks of 4 tokens/);
    await shot(page, `${name}-6-cost-blocks`);
    assert.equal(await page.textContent("#ap-tour-next"), "Finish");
    await page.click("#ap-tour-next");
    await settled(page);
    assert.equal((await state(page)).tour, null);
    assert.equal(await page.isVisible("#ap-tour-start"), true);
    await context.close();
  }
});

test("predict, then reveal: the answer is the argmax of the engine's weights for the followed row", async () => {
  const { page, context } = await open({ hash: "tour=1" });
  assert.equal((await tour(page)).id, "it");
  const s0 = await state(page);
  assert.equal(s0.focus, null, "the page follows its sensible token: “it”");
  // A click on a token chip is the guess while the learner predicts: it does not follow that token.
  await page.click(".ap-tokens button[data-token='1']");
  await settled(page);
  assert.equal((await state(page)).focus, null);
  assert.equal(await page.getAttribute(".ap-tour-token[data-token='1']", "aria-pressed"), "true");
  // Changing one's mind with the panel's own buttons.
  await page.click(".ap-tour-token[data-token='5']");
  assert.equal(await page.getAttribute(".ap-tour-token[data-token='1']", "aria-pressed"), "false");
  await reveal(page);
  const w = await engineWeights(page);
  const it = w.tokens.indexOf("it");
  const s1 = await state(page);
  assert.equal(s1.focus, it, "the revealed row is followed");
  assert.equal(s1.stage, "softmax");
  const row = w.data.slice(it * w.cols, (it + 1) * w.cols);
  const top = argmax(row);
  const text = await page.textContent("#ap-tour-answer");
  assert.ok(text.includes(`largest weight, ${row[top].toFixed(2)}, to “${w.tokens[top]}”`), text);
  assert.equal(await page.getAttribute("#ap-tour-answer", "data-correct"), String(top === 5));
  assert.equal(await page.getAttribute(".ap-tour-truth", "data-token"), String(top));
  assert.equal(await page.getAttribute("#ap-tour-answer", "aria-live"), "polite");
  // After the reveal, chips follow tokens again.
  await page.click(".ap-tokens button[data-token='2']");
  await settled(page);
  assert.equal((await state(page)).focus, 2);
  assert.equal(await page.textContent("#ap-tour-answer"), text, "the reveal stays as it was");
  await context.close();
});

test("the scale and causal reveals are the engine's numbers before and after", async () => {
  const { page, context } = await open({ hash: "tour=2" });
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const maxWeights = (scale, causal) => page.evaluate(async ({ scale, causal }) => {
    const s = window.playground.state;
    const t = await window.attentionEngine.trace({ sentence: s.sentence, dModel: s.dModel, heads: s.heads, scale, mask: causal ? { kind: "causal" } : undefined, only: { heads: [0], stages: ["softmax"] } });
    return Array.from(t.layers[0].heads.find((h) => h.head === 0).maxWeight);
  }, { scale, causal });
  const before = mean(await maxWeights(undefined));
  const after = mean(await maxWeights(1));
  await page.click(".ap-tour-choice[data-choice='flatter']");
  await reveal(page);
  assert.equal((await state(page)).scale, 1);
  const text = await page.textContent("#ap-tour-answer");
  assert.ok(text.includes(`from ${before.toFixed(2)} to ${after.toFixed(2)}`), text);
  assert.equal(after > before, true);
  assert.equal(await page.getAttribute("#ap-tour-answer", "data-correct"), "false");
  assert.equal(await page.getAttribute(".ap-tour-truth", "data-choice"), "sharper");
  // Next: the causal step resets the scale, then reveals the mask's count.
  await page.click("#ap-tour-next");
  await settled(page);
  assert.equal((await state(page)).scale, null);
  await page.click(".ap-tour-choice[data-choice='none']");
  await reveal(page);
  const s = await state(page);
  assert.equal(s.causal, true);
  const info = await page.evaluate(() => window.attentionEngine.maskInfo({ kind: "causal" }, 11, 11));
  assert.match(await page.textContent("#ap-tour-answer"), new RegExp(`keeps ${info.allowedPairs} of ${info.totalPairs} query-key pairs`));
  assert.equal(await page.getAttribute("#ap-tour-answer", "data-correct"), "true");
  await context.close();
});

test("resume from a URL: #tour=2 shows step 3 with its settings, in place", async () => {
  const plain = await open();
  const baseline = await plain.page.evaluate(() => history.length);
  await plain.context.close();
  const { page, context } = await open({ hash: "tour=2&scale=2&causal=1&dModel=32&s=Hello+there" });
  const t = await tour(page);
  assert.deepEqual([t.step, t.id, t.phase], [2, "scale", "predict"]);
  assert.equal(await page.textContent("#ap-tour-count"), `Step 3 of ${STEP_COUNT}`);
  assert.equal(await page.textContent("#ap-tour-title"), "Why divide by √d_k?");
  const s = await state(page);
  assert.deepEqual([s.tour, s.stage, s.dModel, s.scale, s.causal, s.sentence], [2, "softmax", 16, null, false, "The cat sat on the mat because it was tired."]);
  assert.match(await page.textContent("#ap-tour-body"), /d_k = 8 numbers.*1\/√8 = 0\.354\./);
  assert.match(page.url(), /tour=2/);
  assert.equal(await page.evaluate(() => history.length), baseline, "the step's settings replace the link's history entry");
  // Back and forward walk the steps, each with its own settings again.
  await page.click(".ap-tour-choice[data-choice='same']");
  await reveal(page);
  assert.equal((await state(page)).scale, 1);
  await page.click("#ap-tour-next");
  await settled(page);
  assert.equal((await state(page)).scale, null);
  await page.goBack();
  await settled(page);
  assert.equal((await tour(page)).id, "scale");
  await page.waitForFunction(() => window.playground.state.scale === null);
  assert.equal((await tour(page)).phase, "predict", "entering a step again starts at its prediction");
  assert.equal((await tour(page)).id, "scale");
  await page.goForward();
  await settled(page);
  assert.equal((await tour(page)).id, "causal");
  // A step past the end opens the last.
  await page.goto(`${suite.server.url}#tour=42`);
  await page.waitForSelector("#playground[data-ready='true']");
  await page.waitForFunction(() => window.playground.state.tour === 5);
  assert.equal((await tour(page)).id, "cost");
  await context.close();
});

test("keyboard only: Enter starts it, Tab reaches Next, a guess and Reveal by keys, Escape ends it", async () => {
  const { page, context } = await open();
  const active = () => page.evaluate(() => document.activeElement.id || document.activeElement.className);
  await page.focus("#ap-tour-start");
  await page.keyboard.press("Enter");
  await settled(page);
  assert.equal(await active(), "ap-tour-title");
  const tabTo = async (id) => {
    for (let i = 0; i < 30 && (await active()) !== id; i++) await page.keyboard.press("Tab");
    assert.equal(await active(), id);
  };
  await tabTo("ap-tour-next");
  await page.keyboard.press("Enter");
  await settled(page);
  assert.equal((await tour(page)).id, "it");
  assert.equal(await active(), "ap-tour-title", "focus moves to the new step's heading");
  await page.keyboard.press("Tab");
  assert.equal(await active(), "ap-tour-token");
  await page.keyboard.press("Enter");
  assert.equal(await page.getAttribute(".ap-tour-token[data-token='0']", "aria-pressed"), "true");
  await tabTo("ap-tour-reveal");
  await page.keyboard.press("Enter");
  await settled(page);
  await page.waitForSelector("#ap-tour[data-phase='revealed']");
  assert.equal(await active(), "ap-tour-next", "after the reveal, focus goes on to Next");
  await page.keyboard.press("Escape");
  await settled(page);
  assert.equal((await state(page)).tour, null);
  assert.equal(await active(), "ap-tour-start", "focus returns to the start button");
  assert.doesNotMatch(page.url(), /tour=/);
  await context.close();
});

test("the real-model step: says it is loading, then reveals what the heads do from the engine's maps", async () => {
  const { page, context } = await open({ hash: "tour=4" });
  assert.equal((await tour(page)).id, "heads");
  assert.match(await page.textContent("#ap-tour-body"), /MiniLM-L6.*download/);
  assert.equal(await page.isVisible("#ap-tour-predict"), false, "nothing to predict until the model is in");
  assert.equal(await loaded(page), "done");
  await page.waitForFunction(() => /layers of/.test(document.getElementById("ap-tour-body").textContent));
  const s = await state(page);
  assert.deepEqual([s.model, s.tour, s.stage], ["minilm-l6", 4, "softmax"]);
  // The guess: "cat" (a chip), then Reveal.
  const tokens = await page.$$eval(".ap-tour-token", (b) => b.map((x) => x.textContent));
  const cat = tokens.indexOf("cat");
  await page.click(`.ap-tokens button[data-token='${cat}']`);
  await reveal(page);
  const engine = await page.evaluate(async ({ text, cat }) => {
    const a = await window.attentionEngine.attentions(text);
    const n = a.seqLen, i = a.tokens.indexOf("it");
    const counts = Array(n).fill(0);
    let best = null;
    for (let l = 0; l < a.layers; l++) {
      for (let h = 0; h < a.heads; h++) {
        const off = ((l * a.heads + h) * n + i) * n;
        const row = Array.from(a.data.slice(off, off + n));
        counts[row.indexOf(Math.max(...row))]++;
        if (!best || row[cat] > best.w) best = { layer: l, head: h, w: row[cat] };
      }
    }
    return { tokens: a.tokens, counts, best, total: a.layers * a.heads };
  }, { text: s.sentence, cat });
  const top = argmax(engine.counts);
  const text = await page.textContent("#ap-tour-answer");
  assert.ok(text.includes(`${engine.counts[top]} heads of ${engine.total} give “it” its largest weight on “${engine.tokens[top]}”`), text);
  assert.ok(text.includes(`layer ${engine.best.layer + 1}, head ${engine.best.head + 1} (${engine.best.w.toFixed(2)})`), text);
  await page.click("#ap-tour-open-head");
  await settled(page);
  const s2 = await state(page);
  assert.deepEqual([s2.layer, s2.head], [engine.best.layer, engine.best.head]);
  await shot(page, "desktop-5-heads-opened");
  await context.close();
});

test("axe-core finds no serious or critical violations on a revealed tour step, light and dark", async () => {
  const axe = readFileSync(path.join(root, "node_modules/axe-core/axe.min.js"), "utf8");
  for (const [width, height, scheme] of [[1280, 800, "light"], [390, 844, "dark"]]) {
    const { page, context } = await open({ width, height, bypassCSP: true, hash: "tour=3" });
    await page.emulateMedia({ colorScheme: scheme });
    await page.click(".ap-tour-choice[data-choice='less']");
    await reveal(page);
    await page.evaluate(axe);
    const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    console.log(`axe-core on the tour at ${width}px (${scheme}): ${results.violations.length} violations, ${bad.length} serious or critical`);
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(" ")})`), []);
    await shot(page, `${width === 1280 ? "desktop" : "phone"}-4-causal-${scheme}`);
    await context.close();
  }
});

test("the panel fits a 320 px screen", async () => {
  const { page, context } = await open({ width: 320, height: 640, hash: "tour=1" });
  await guess(page);
  await reveal(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
  const box = await page.$eval("#ap-tour", (el) => el.getBoundingClientRect().right);
  assert.ok(box <= 320, `the panel ends at ${box}px`);
  await shot(page, "narrow-2-it-revealed");
  await context.close();
});

test("no console errors and no request off the origin, on every page opened", () => {
  assert.deepEqual(suite.problems.flat().filter((p) => !p.startsWith("dialog")), []);
});
