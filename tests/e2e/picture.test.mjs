// The page as one picture of the computation (issue 12): the flow of every stage, the followed
// token's path marked in each, a hovered cell's sources, matrices that fit their box, settings by
// need, no sideways scroll at any width. Driven in headless Chromium as a person would.
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { settled, shots, pageSuite } from "./harness.mjs";

const suite = pageSuite();
const { open } = suite;

/** Each flow thumbnail's stage and marks, e.g. {query: ["focus:row:7", …], …}. */
const marks = (page) =>
  page.$$eval("#ap-flow .ap-flow-step", (bs) => Object.fromEntries(bs.filter((b) => !b.closest("li").hidden).map((b) => [b.dataset.stage, (b.dataset.marks ?? "").split(" ").filter(Boolean)])));
/** The stages whose rows are the query tokens, as the engine says. */
const queryStages = (page) =>
  page.evaluate(async () => {
    const st = await window.attentionEngine.stages();
    const card = (await window.attentionEngine.models()).find((m) => m.name === window.playground.state.model);
    return st.filter((s) => card.stages.includes(s.name) && s.rowAxis === "query-tokens").map((s) => s.name);
  });

test("the page opens following a sensible token, and its row is marked in every stage", async () => {
  const { page, context } = await open();
  // "The cat sat on the mat because it was tired.": the pronoun "it" (token 7).
  assert.equal(await page.getAttribute(".ap-tokens button[data-token='7']", "aria-pressed"), "true");
  assert.match(await page.textContent("#ap-follow-summary"), /^"it" →/);
  assert.equal(await page.evaluate(() => window.playground.state.focus), null, "the page's choice is not written into the state (or the URL)");
  const shown = await marks(page);
  const rows = await queryStages(page);
  assert.ok(rows.length >= 8, rows.join());
  for (const s of rows) assert.ok(shown[s].includes("focus:row:7"), `${s}: ${shown[s]}`);
  // The keys "it" attends to are marked in K and V, the strongest one among them.
  const top = await page.evaluate(() => {
    const [best] = [...document.querySelectorAll(".ap-bars li")].map((li) => [li.querySelector(".ap-bar-label").textContent, Number(li.querySelector(".ap-bar-value").textContent)]).sort((a, b) => b[1] - a[1]);
    return best[0];
  });
  const tokens = await page.$$eval(".ap-tokens button[data-token]", (b) => b.map((x) => x.textContent));
  const j = tokens.indexOf(top);
  assert.ok(shown.key.includes(`key:row:${j}`) && shown.value.includes(`key:row:${j}`), `K ${shown.key} V ${shown.value}`);
  // Following another token moves the mark in every stage.
  await page.click(".ap-tokens button[data-token='2']");
  await settled(page);
  const after2 = await marks(page);
  for (const s of rows) assert.ok(after2[s].includes("focus:row:2") && !after2[s].includes("focus:row:7"), `${s}: ${after2[s]}`);
  assert.match(page.url(), /f=2/);
  await context.close();
});

test("hovering a score marks the query and key it came from; a weighted-sum entry marks the weight row and V's column", async () => {
  const { page, context } = await open({ hash: "stage=scores" });
  await page.locator("#ap-matrix canvas").scrollIntoViewIfNeeded();
  const box = await page.locator("#ap-matrix canvas").boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.7);
  await settled(page);
  const [row, col] = [await page.getAttribute("#ap-explain", "data-row"), await page.getAttribute("#ap-explain", "data-col")];
  assert.ok(row !== null && col !== null, "the hovered cell is explained");
  const [i, j] = [Number(row), Number(col)];
  let m = await marks(page);
  assert.ok(m.query.includes(`source:row:${i}`), `Q: ${m.query}`);
  assert.ok(m.key.includes(`source:row:${j}`), `K: ${m.key}`);
  assert.ok(!m.value.some((x) => x.startsWith("source")), "V is not a source of a score");
  // The table twin (what a screen reader reads) does the same.
  await page.goto(suite.server.url + "#stage=weighted-sum");
  await page.waitForSelector("#playground[data-ready='true']");
  await settled(page);
  await page.$eval("#ap-matrix td[data-row='3'][data-col='5']", (td) => td.click());
  await settled(page);
  m = await marks(page);
  assert.ok(m.softmax.includes("source:row:3"), `softmax: ${m.softmax}`);
  assert.ok(m.value.includes("source:col:5"), `V: ${m.value}`);
  // Moving off clears nothing that the keyboard cursor keeps; Escape releases it and the marks go.
  await page.focus("#ap-matrix canvas");
  await page.keyboard.press("Escape");
  await settled(page);
  m = await marks(page);
  assert.ok(!Object.values(m).flat().some((x) => x.startsWith("source")), JSON.stringify(m));
  await context.close();
});

test("a thumbnail in the flow shows its stage large; the stage shown is marked in the flow", async () => {
  const { page, context } = await open();
  assert.equal(await page.getAttribute("#ap-flow .ap-flow-step[data-stage='softmax']", "aria-current"), "step");
  await page.click("#ap-flow .ap-flow-step[data-stage='key']");
  await settled(page);
  assert.equal(await page.getAttribute("#playground", "data-stage"), "key");
  assert.equal(await page.getAttribute("#ap-flow .ap-flow-step[data-stage='key']", "aria-current"), "step");
  assert.equal(await page.getAttribute("#ap-flow .ap-flow-step[data-stage='softmax']", "aria-current"), "false");
  // Each thumbnail has its matrix's shape: n x d_model, n x d_k, n x n.
  const shapes = await page.$$eval("#ap-flow .ap-flow-step", (bs) => Object.fromEntries(bs.map((b) => [b.dataset.stage, b.querySelector(".ap-flow-shape").textContent])));
  assert.equal(shapes.input, "11 × 16");
  assert.equal(shapes.query, "11 × 8");
  assert.equal(shapes.softmax, "11 × 11");
  await context.close();
});

test("the whole 11-token matrix is visible without scrolling at 1280 x 800, and 32 tokens fit with every label", async () => {
  const { page, context } = await open({ width: 1280, height: 800 });
  const fits = () => page.$eval("#ap-matrix .ap-hm-scroll", (s) => ({
    inner: s.scrollHeight <= s.clientHeight + 1 && s.scrollWidth <= s.clientWidth + 1,
    height: s.getBoundingClientRect().height,
    canvas: s.querySelector("canvas").getBoundingClientRect().height,
    grid: s.querySelector(".ap-hm-stage").getBoundingClientRect().height,
  }));
  let f = await fits();
  assert.ok(f.inner, "no scrolling inside the matrix's box");
  assert.ok(Math.abs(f.canvas - f.grid) < 1, `the canvas shows the whole grid (${f.canvas} of ${f.grid} px)`);
  assert.ok(f.height <= 800, `the box fits the window (${f.height} px)`);
  await page.locator("#ap-matrix").scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(shots, "picture-11-tokens-1280.png") });
  const text = Array.from({ length: 32 }, (_, i) => `w${i}`).join(" ");
  await page.fill("#ap-sentence", text);
  await settled(page);
  f = await fits();
  assert.ok(f.inner, "32 tokens: no scrolling inside the box");
  assert.equal(await page.getAttribute("#playground", "data-tokens"), "32");
  // Every label is drawn (not thinned): the table twin and the canvas agree on 32 rows.
  assert.equal(await page.$$eval("#ap-matrix tbody tr", (r) => r.length), 32);
  await page.screenshot({ path: path.join(shots, "picture-32-tokens-1280.png") });
  await context.close();
});

test("a long sentence scales the matrix down to fit; zoom enlarges it and Fit brings it back", async () => {
  const { page, context } = await open({ width: 1280, height: 800 });
  await page.fill("#ap-sentence", Array.from({ length: 300 }, (_, i) => `t${i % 50}`).join(" "));
  await settled(page);
  const overflow = () => page.$eval("#ap-matrix .ap-hm-scroll", (s) => s.scrollHeight > s.clientHeight + 1 || s.scrollWidth > s.clientWidth + 1);
  assert.equal(await overflow(), false, "300 tokens: the whole matrix in the box");
  await page.click("#ap-matrix button[aria-label='Zoom in']");
  await page.click("#ap-matrix button[aria-label='Zoom in']");
  assert.equal(await overflow(), true, "zoomed in, the box scrolls");
  await page.click("#ap-matrix button[aria-label='Reset the zoom to 1×']");
  assert.equal(await overflow(), false);
  await context.close();
});

test("settings by need: the rarer masks sit behind More, a link that sets one opens it, and the URL round-trips", async () => {
  const { page, context } = await open();
  assert.equal(await page.isVisible("#ap-mask-causal"), true);
  assert.equal(await page.isVisible("#ap-mask-window"), true);
  assert.equal(await page.isVisible("#ap-mask-block"), false, "block-sparse is behind More masks");
  await page.click("#ap-more-masks summary");
  await page.fill("#ap-mask-block", "4");
  await page.press("#ap-mask-block", "Enter");
  await settled(page);
  assert.match(page.url(), /blk=4/);
  const kept = await page.textContent("#ap-mask-cost");
  await page.reload();
  await page.waitForSelector("#playground[data-ready='true']");
  await settled(page);
  assert.equal(await page.isVisible("#ap-mask-block"), true, "opened by the link");
  assert.equal(await page.inputValue("#ap-mask-block"), "4");
  assert.equal(await page.textContent("#ap-mask-cost"), kept);
  await context.close();
});

test("no sideways page scroll at 320, 390 and 1280 px, on every stage", async () => {
  for (const [width, height] of [[320, 640], [390, 844], [1280, 800]]) {
    const { page, context } = await open({ width, height, hash: "stage=embedding" });
    const stages = await page.$$eval("#ap-stage option", (o) => o.map((x) => x.value));
    for (const s of stages) {
      await page.selectOption("#ap-stage", s);
      await settled(page);
      const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(over <= 0, `${width}px, ${s}: the page scrolls sideways by ${over}px`);
    }
    if (width === 320) await page.screenshot({ path: path.join(shots, "picture-320.png"), fullPage: true });
    await context.close();
  }
});

test("stepping slides the stage in, and nothing moves under prefers-reduced-motion", async () => {
  const { page, context } = await open();
  await page.click("#ap-next");
  await settled(page);
  assert.equal(await page.$eval(".ap-stage", (e) => getComputedStyle(e).animationName), "ap-enter");
  const reduced = await suite.browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: "reduce" });
  const p2 = await reduced.newPage();
  await p2.goto(suite.server.url);
  await p2.waitForSelector("#playground[data-ready='true']");
  await p2.click("#ap-next");
  await settled(p2);
  assert.equal(await p2.$eval(".ap-stage", (e) => getComputedStyle(e).animationName), "none");
  await reduced.close();
  await context.close();
});

test("while the tour asks which word wins, the parts that would give it away wait for the reveal", async () => {
  const { page, context } = await open({ hash: "tour=1" });
  await page.waitForSelector("#ap-tour[data-phase='predict'][data-predict-kind='token']");
  const blurred = () => page.$eval("#ap-follow .ap-follow-body", (e) => getComputedStyle(e).filter);
  assert.match(await blurred(), /blur/);
  await page.click("#ap-tour-predict button[data-token='1']");
  await page.click("#ap-tour-reveal");
  await page.waitForSelector("#ap-tour[data-phase='revealed']");
  assert.equal(await blurred(), "none");
  await context.close();
});

test("no console errors and no request off the origin", () => {
  assert.deepEqual(suite.problems.flat().filter((p) => !p.startsWith("dialog")), []);
});
