// The exports under the stage's heatmap (www/js/views/export), driven as a person would: click
// each button, take the download, and check the file against the engine: the PNG decodes to the
// whole matrix (every cell's colour present, the same size at any viewport width), the SVG parses
// with rows x cols cells and the token labels, the CSV's values are the engine's trace exactly,
// and the JSON's state, fed back (set() or its link), shows the same matrix again. At phone width
// the buttons fit.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { settled, shots, pageSuite } from "./harness.mjs";
import { makeScale } from "../../www/js/components/heatmap/palette.js";
import { WEIGHTS_STAGE } from "../../www/js/state.js";

const suite = pageSuite();

/** The page at this size and pixel ratio (harness.openPage), its problems kept by the suite. */
const open = suite.open;

/** Clicks an export button and returns the download's name and bytes. */
async function download(page, kind) {
  const [d] = await Promise.all([page.waitForEvent("download"), page.click(`#ap-export-${kind}`)]);
  const bytes = await readFile(await d.path());
  await page.waitForFunction(() => !document.querySelector(".ap-export").dataset.busy);
  return { name: d.suggestedFilename(), bytes, text: bytes.toString("utf8") };
}

/** RFC 4180 reader (CRLF lines, quoted fields with doubled quotes). */
function parseCsv(text) {
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") row.push(field), (field = "");
    else if (c === "\r" && text[i + 1] === "\n") row.push(field), rows.push(row), (row = []), (field = ""), i++;
    else field += c;
  }
  assert.ok(!quoted && field === "" && row.length === 0, "the CSV ends with a complete line");
  return rows;
}

/** The stage's matrix as the engine traces it for the page's state ({rows, cols, data: [...] }). */
const traced = (page, extra = {}) =>
  page.evaluate(async (extra) => {
    const s = window.playground.state;
    const t = await window.attentionEngine.trace({ sentence: s.sentence, only: { heads: [s.head], stages: [s.stage] }, ...extra });
    const layer = t.layers.find((l) => l.layer === s.layer);
    const m = layer.heads.find((h) => h.head === s.head)?.stages.find((x) => x.stage === s.stage) ?? layer.stages.find((x) => x.stage === s.stage);
    return { rows: m.rows, cols: m.cols, data: Array.from(m.data), tokens: t.tokens.query.map((x) => x.text) };
  }, extra);

/** The table twin's values (full precision, as the heatmap shows them), row-major. */
const tableValues = (page) => page.$$eval("#ap-matrix td[data-row]", (tds) => tds.map((td) => Number(td.dataset.value)));

test("CSV: token labels on both axes, quoted, and every value equal to the engine's trace", async () => {
  // Commas and quotes in the sentence: labels that need RFC 4180 quoting.
  const sentence = 'Say "hi", Tom & Jerry <b>, then stop.';
  for (const [hash, extra] of [[`s=${encodeURIComponent(sentence)}`, {}], ["stage=masked&causal=1&h=1", { mask: { kind: "causal" } }]]) {
    const { page, context } = await open({ hash });
    const { name, text } = await download(page, "csv");
    const stage = await page.evaluate(() => window.playground.state.stage);
    assert.equal(name, `attention-${stage}-head${(await page.evaluate(() => window.playground.state.head)) + 1}.csv`);
    const rows = parseCsv(text);
    const m = await traced(page, extra);
    assert.equal(rows.length, m.rows + 1);
    assert.deepEqual(rows[0], ["", ...m.tokens]);
    assert.deepEqual(rows.slice(1).map((r) => r[0]), m.tokens);
    const values = rows.slice(1).flatMap((r) => r.slice(1).map(Number));
    assert.equal(values.length, m.rows * m.cols);
    values.forEach((v, k) => assert.equal(v, m.data[k], `cell ${k}`));
    if (extra.mask) assert.ok(text.includes("-Infinity"), "masked pairs are -Infinity");
    else assert.ok(m.tokens.includes('"') && m.tokens.includes(","), m.tokens.join(" "));
    await context.close();
  }
});

test("PNG: the whole matrix at the device pixel ratio with every cell's colour, the same at any width", async () => {
  const sizes = [];
  for (const [width, height] of [[1280, 800], [390, 844]]) {
    const { page, context } = await open({ width, height, dpr: 2 });
    const { name, bytes } = await download(page, "png");
    assert.equal(name, "attention-softmax-head1.png");
    assert.deepEqual([...bytes.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""), "PNG");
    const m = await traced(page);
    const img = await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bmp = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = c.getContext("2d");
      ctx.drawImage(bmp, 0, 0);
      const d = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
      const colours = new Set();
      let sum = 0, sq = 0;
      for (let k = 0; k < d.length; k += 4) {
        colours.add(`rgb(${d[k]},${d[k + 1]},${d[k + 2]})`);
        const y = 0.299 * d[k] + 0.587 * d[k + 1] + 0.114 * d[k + 2];
        sum += y;
        sq += y * y;
      }
      const n = d.length / 4;
      return { width: bmp.width, height: bmp.height, variance: sq / n - (sum / n) ** 2, colours: [...colours] };
    }, bytes.toString("base64"));
    // Cells of at least 12 CSS px, at 2 device px each, with room for the labels and legend.
    assert.ok(img.width >= 2 * (m.cols * 12 + 24) && img.height >= 2 * (m.rows * 12 + 24 + 40), `${img.width} x ${img.height}`);
    assert.ok(img.variance > 500, `not blank: luminance variance ${img.variance.toFixed(0)}`);
    // Every cell of the whole matrix was painted in its heatmap colour (a cell's inside is solid).
    // (The attention weights, softmax, are drawn in the sequential palette; other stages diverging.)
    assert.equal(WEIGHTS_STAGE, "softmax");
    const scale = makeScale("sequential", Float32Array.from(m.data), m.data.length, null);
    const missing = m.data.map((v) => scale.fill(v)).filter((f) => !img.colours.includes(f));
    assert.deepEqual(missing, [], "every cell colour appears in the PNG");
    assert.match(await page.textContent("#ap-export-status"), /^Saved attention-softmax-head1\.png \(\d+(\.\d)? KB\)\.$/);
    sizes.push([img.width, img.height, bytes.length]);
    if (width === 1280) console.log(`export sizes (default 11-token softmax, dpr 2): PNG ${img.width} x ${img.height} px, ${bytes.length} bytes`);
    await context.close();
  }
  assert.deepEqual(sizes[0].slice(0, 2), sizes[1].slice(0, 2), "the PNG does not depend on the viewport");
});

test("SVG: parses, one rect per cell coloured as the heatmap, token labels escaped", async () => {
  const sentence = 'Tom & Jerry <b>said</b> "hi"';
  const { page, context } = await open({ hash: `s=${encodeURIComponent(sentence)}&stage=scores` });
  const { name, text, bytes } = await download(page, "svg");
  assert.equal(name, "attention-scores-head1.svg");
  const m = await traced(page);
  const doc = await page.evaluate((text) => {
    const d = new DOMParser().parseFromString(text, "image/svg+xml");
    const texts = (sel) => [...d.querySelectorAll(sel)].map((t) => t.textContent);
    return {
      error: d.querySelector("parsererror")?.textContent ?? null,
      root: d.documentElement.localName,
      fills: [...d.querySelectorAll("g.cells > rect")].map((r) => r.getAttribute("fill")),
      rowLabels: texts("g.row-labels > text"),
      colLabels: texts("g.col-labels > text"),
      title: d.querySelector("title")?.textContent,
      scripts: d.querySelectorAll("script, b").length,
    };
  }, text);
  assert.equal(doc.error, null);
  assert.equal(doc.root, "svg");
  assert.equal(doc.fills.length, m.rows * m.cols);
  const scale = makeScale("diverging", Float32Array.from(m.data), m.data.length, null);
  assert.deepEqual(doc.fills, m.data.map((v) => scale.fill(v)));
  assert.deepEqual(doc.rowLabels, m.tokens);
  assert.deepEqual(doc.colLabels, m.tokens);
  assert.ok(m.tokens.includes("&") && m.tokens.includes("<"), m.tokens.join(" "));
  assert.equal(doc.scripts, 0, "markup in the sentence stays text");
  assert.match(doc.title, /head 1 · /);
  console.log(`export sizes (11-token scores): SVG ${bytes.length} bytes`);
  await context.close();

  // A stage along d_model: coloured to the 99th percentile of |value|, as the heatmap colours it
  // (playground.js CLIP), and named without a head (the embedding is not per head).
  const emb = await open({ hash: "stage=embedding&seed=5" });
  const e = await download(emb.page, "svg");
  assert.equal(e.name, "attention-embedding.svg");
  const me = await traced(emb.page, { seed: 5 });
  const fills = await emb.page.evaluate((text) => [...new DOMParser().parseFromString(text, "image/svg+xml").querySelectorAll("g.cells > rect")].map((r) => r.getAttribute("fill")), e.text);
  const data = Float32Array.from(me.data);
  assert.deepEqual(fills, me.data.map((v) => makeScale("diverging", data, data.length, 0.99).fill(v)));
  assert.notDeepEqual(fills, me.data.map((v) => makeScale("diverging", data, data.length, null).fill(v)), "the clip changes some colours");
  await emb.context.close();
});

test("JSON: the matrix, tokens, stage and model; its state fed back (set() or its link) shows the same matrix", async () => {
  const { page, context } = await open({ hash: "stage=masked&causal=1&h=1&seed=7&f=3" });
  const { name, text, bytes } = await download(page, "json");
  assert.equal(name, "attention-masked-head2.json");
  const o = JSON.parse(text);
  const m = await traced(page, { seed: 7, mask: { kind: "causal" } });
  assert.equal(o.format, "attention-playground/matrix");
  assert.equal(o.version, 1);
  assert.equal(o.stage.name, "masked");
  assert.equal(o.model.name, "toy");
  assert.equal(o.head, 1);
  assert.deepEqual([o.rows, o.cols], [m.rows, m.cols]);
  assert.deepEqual(o.rowLabels, m.tokens);
  assert.deepEqual(o.colLabels, m.tokens);
  const flat = o.matrix.flat().map((v) => (v === null ? -Infinity : v));
  assert.deepEqual(flat, m.data);
  assert.deepEqual(o.state, await page.evaluate(() => window.playground.state));
  const csvText = (await download(page, "csv")).text;
  console.log(`export sizes (11-token masked): JSON ${bytes.length} bytes, CSV ${Buffer.byteLength(csvText)} bytes`);
  await context.close();

  // Another view, then the exported state: the same matrix again.
  const other = await open({ hash: "stage=embedding&seed=3" });
  assert.notDeepEqual(await tableValues(other.page), flat.slice(0, 1));
  await other.page.evaluate((s) => window.playground.set(s), o.state);
  await settled(other.page);
  assert.deepEqual(await tableValues(other.page), flat);
  assert.deepEqual(parseCsv((await download(other.page, "csv")).text).slice(1).flatMap((r) => r.slice(1).map(Number)), flat);
  // Its link (state.js toQuery with the engine's catalogue) opens on the same matrix.
  const hash = await other.page.evaluate(async (s) => {
    const { toQuery } = await import("/js/state.js");
    const catalog = { stages: await window.attentionEngine.stages(), models: await window.attentionEngine.models() };
    return toQuery(s, catalog);
  }, o.state);
  await other.context.close();
  const linked = await open({ hash });
  assert.deepEqual(await tableValues(linked.page), flat);
  await linked.context.close();
});

test("at phone width the export buttons fit: no sideways scroll, every button on screen", async () => {
  for (const width of [320, 390]) {
    const { page, context } = await open({ width, height: 844 });
    await page.locator(".ap-export").scrollIntoViewIfNeeded();
    const boxes = await page.$$eval(".ap-export button", (bs) => bs.map((b) => { const r = b.getBoundingClientRect(); return { id: b.id, left: r.left, right: r.right, h: r.height }; }));
    assert.deepEqual(boxes.map((b) => b.id), ["ap-export-png", "ap-export-svg", "ap-export-csv", "ap-export-json"]);
    for (const b of boxes) assert.ok(b.left >= 0 && b.right <= width && b.h >= 24, `${width}px: ${JSON.stringify(b)}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${width}px: the page scrolls sideways by ${overflow}px`);
    await page.locator(".ap-stage").screenshot({ path: path.join(shots, `export-${width}.png`) });
    await context.close();
  }
});

test("the exports gave no console errors and no off-origin requests", () => {
  assert.deepEqual(suite.problems.flat(), []);
});
