// The tutorial page at /examples/ (www/examples/): an article whose live figures are custom
// elements and one iframe, one of them driven by the article's own buttons through the element's
// state. Read as a reader would, at desktop and phone width, in headless Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { shots, root, pageSuite } from "./harness.mjs";

const suite = pageSuite();

const FIGURES = ["fig-dot", "fig-scale", "fig-masks", "fig-heads"];

/** The article at this size (harness.openPage: its problems recorded, no playground to wait for). */
const openArticle = (width, height) => suite.open({ width, height, path: "examples/", ready: false });

/** Scrolls a figure into view and waits for its first view (its `ready`). */
const ready = (page, id) =>
  page.evaluate((id) => new Promise((resolve, reject) => {
    const f = document.getElementById(id);
    f.scrollIntoView({ block: "center" });
    if (f.state) return resolve();
    f.addEventListener("ready", () => resolve(), { once: true });
    f.addEventListener("error", (e) => reject(new Error(e.detail)), { once: true });
  }), id);

/** Text inside a figure's shadow root. */
const inside = (page, id, selector) => page.evaluate(([id, s]) => document.getElementById(id).shadowRoot.querySelector(s)?.textContent ?? null, [id, selector]);

test("every figure of the article starts when it nears the viewport and shows its stage", async () => {
  const { page, context, problems } = await openArticle(1280, 800);
  for (const id of FIGURES) await ready(page, id);
  const stages = await page.evaluate((ids) => ids.map((id) => document.getElementById(id).state.stage), FIGURES);
  assert.deepEqual(stages, ["softmax", "softmax", "masked", "key"]);
  // Each figure draws its stage's matrix: the table twin of the stage shown large has its cells.
  for (const id of FIGURES) {
    const cells = await page.evaluate((id) => document.getElementById(id).shadowRoot.querySelectorAll("#ap-matrix td[data-row]").length, id);
    assert.ok(cells > 0, `${id} shows its matrix`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test("the article's buttons drive a figure through its state: the causal mask, a window, blocks, with the kept pairs", async () => {
  const { page, context, problems } = await openArticle(1280, 800);
  await page.click("#show-causal"); // the figure is not started yet: the button brings it into view first
  await page.waitForFunction(() => document.getElementById("fig-masks").state?.causal === true);
  await page.waitForFunction(() => /Kept: 136 of 256/.test(document.getElementById("fig-masks").shadowRoot.querySelector("#ap-mask-cost")?.textContent ?? ""));
  const s = await page.evaluate(() => document.getElementById("fig-masks").state);
  assert.equal(s.stage, "masked");
  // 16 tokens; causal keeps the 136 pairs on and below the diagonal; a window of 3 keeps the 74 with |i - j| < 3; blocks of 4 alone keep the 4 x 16 pairs inside them.
  await page.click("button[data-patch*='\"window\": 3']");
  await page.waitForFunction(() => /Kept: 74 of 256/.test(document.getElementById("fig-masks").shadowRoot.querySelector("#ap-mask-cost")?.textContent ?? ""));
  await page.click("button[data-patch*='\"block\": 4']");
  await page.waitForFunction(() => /Kept: 64 of 256/.test(document.getElementById("fig-masks").shadowRoot.querySelector("#ap-mask-cost")?.textContent ?? ""));
  // The scale figure: removing 1/sqrt(d_k) sharpens the weights (the figure's own read-out).
  await ready(page, "fig-scale");
  const meanMax = async () => Number((await inside(page, "fig-scale", "#ap-saturation")).match(/mean largest weight (\d+\.\d+)/)[1]);
  const scaled = await meanMax();
  await page.click("button[data-patch='{\"scale\": 1}']");
  await page.waitForFunction(() => document.getElementById("fig-scale").state.scale === 1);
  await page.waitForFunction((before) => {
    const m = document.getElementById("fig-scale").shadowRoot.querySelector("#ap-saturation")?.textContent.match(/mean largest weight (\d+\.\d+)/);
    return m && Number(m[1]) !== before;
  }, scaled);
  assert.ok((await meanMax()) > scaled, "without the scaling the largest weights grow");
  assert.deepEqual(problems, []);
  await context.close();
});

test("the MiniLM figure is an iframe: it reports ready and its height, and shows the heads", async () => {
  const { page, context, problems } = await openArticle(1280, 800);
  const frame = page.locator("#frame-heads iframe");
  await frame.scrollIntoViewIfNeeded();
  await page.evaluate(() => new Promise((r) => document.querySelector("#frame-heads iframe").addEventListener("ready", r, { once: true })));
  await page.waitForFunction(() => document.querySelector("#frame-heads iframe").getBoundingClientRect().height > 400);
  const f = page.frameLocator("#frame-heads iframe");
  await f.locator("attention-playground").waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test("the article at 1280 and 390 px: axe-core clean, no sideways scroll, no console error; screenshots", async () => {
  const axe = readFileSync(path.join(root, "node_modules/axe-core/axe.min.js"), "utf8");
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    const { page, context, problems } = await openArticle(width, height);
    for (const id of FIGURES) await ready(page, id);
    await page.locator("#frame-heads iframe").scrollIntoViewIfNeeded();
    await page.evaluate(() => new Promise((r) => document.querySelector("#frame-heads iframe").addEventListener("ready", r, { once: true })));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${width}px: the article scrolls sideways by ${overflow}px`);
    await page.evaluate(axe);
    const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    console.log(`axe-core on the tutorial page at ${width}px: ${results.violations.length} violations`);
    assert.deepEqual(results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`), []);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(shots, `examples-${width}.png`), fullPage: true });
    assert.deepEqual(problems, []);
    await context.close();
  }
});
