// The real model in headless Chromium against Hugging Face `transformers`: each single-threaded
// engine build loads the f32 weights served under /models/ and computes every attention map of
// the fixture's sentences (tests/data/minilm-fixture.safetensors, made by minilm-fixture.py);
// every map must be within 1e-4, as natively (tests/minilm.rs). Then the f16 and q8 files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { root, pageSuite } from "./harness.mjs";

const suite = pageSuite();

/** The fixture: [{sentence, ids, maps}] read from its safetensors file. */
function fixture() {
  const bytes = readFileSync(path.join(root, "tests/data/minilm-fixture.safetensors"));
  const headerLen = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString("utf8"));
  const sentences = JSON.parse(header.__metadata__.sentences);
  const data = (name, Type) => {
    const [start, end] = header[name].data_offsets;
    const b = bytes.subarray(8 + headerLen + start, 8 + headerLen + end);
    return Array.from(new Type(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
  };
  return sentences.map((sentence, i) => ({
    sentence,
    ids: data(`s${i}.ids`, Int32Array),
    maps: data(`s${i}.attentions`, Float32Array),
  }));
}

/** In the page: loads `build`, the model from `file`, and returns per sentence the largest map error. */
async function errors(page, build, file, cases) {
  return page.evaluate(async ({ build, file, cases }) => {
    const m = await import(`/engine/${build}/attention_playground.js`);
    await m.default();
    const weights = new Uint8Array(await (await fetch(`/models/${file}`)).arrayBuffer());
    const vocab = await (await fetch("/models/minilm-l6.vocab.txt")).text();
    const model = m.loadModel({ name: "minilm-l6", weights, vocab });
    const out = cases.map((c) => {
      const a = model.attentions(c.sentence);
      let worst = 0;
      for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - c.maps[i]));
      return { ids: Array.from(a.ids), worst, simd: m.buildInfo().simd, len: a.data.length, want: c.maps.length };
    });
    model.free();
    return out;
  }, { build, file, cases });
}

const cases = fixture();

for (const build of ["plain", "simd", "relaxed"]) {
  test(`the ${build} build's attention maps equal transformers' within 1e-4 (f32 weights)`, async () => {
    const context = await suite.browser.newContext();
    const page = await context.newPage();
    await page.goto(suite.server.url + "models/index.json");
    const got = await errors(page, build, "minilm-l6.f32.safetensors", cases);
    got.forEach((g, i) => {
      assert.deepEqual(g.ids, cases[i].ids, `the wordpieces of ${JSON.stringify(cases[i].sentence)}`);
      assert.equal(g.len, g.want);
      console.log(`  ${build} (${g.simd}): ${cases[i].ids.length} tokens, max |diff| ${g.worst.toExponential(2)}`);
      assert.ok(g.worst <= 1e-4, `${build}: ${g.worst} on ${JSON.stringify(cases[i].sentence)}`);
    });
    await context.close();
  });
}

test("the f16 and 8-bit files stay within their measured tolerances in the browser", async () => {
  const context = await suite.browser.newContext();
  const page = await context.newPage();
  await page.goto(suite.server.url + "models/index.json");
  for (const [file, tol] of [["minilm-l6.f16.safetensors", 2e-3], ["minilm-l6.q8.safetensors", 2.5e-2]]) {
    const got = await errors(page, "relaxed", file, cases);
    const worst = Math.max(...got.map((g) => g.worst));
    console.log(`  relaxed, ${file}: max |diff| ${worst.toExponential(2)}`);
    assert.ok(worst <= tol, `${file}: ${worst}`);
  }
  await context.close();
});

test("a loaded model refuses bad calls with messages that name the problem, and keeps working", async () => {
  const context = await suite.browser.newContext();
  const page = await context.newPage();
  await page.goto(suite.server.url + "models/index.json");
  const results = await page.evaluate(async () => {
    const m = await import("/engine/relaxed/attention_playground.js");
    await m.default();
    const weights = new Uint8Array(await (await fetch("/models/minilm-l6.q8.safetensors")).arrayBuffer());
    const vocab = await (await fetch("/models/minilm-l6.vocab.txt")).text();
    const model = m.loadModel({ name: "minilm-l6", weights, vocab });
    const long = "word ".repeat(600);
    const calls = {
      "tokenize(42)": () => model.tokenize(42),
      "attentions(undefined)": () => model.attentions(),
      "attentions of 602 wordpieces": () => model.attentions(long),
      "attentions with scale -1": () => model.attentions("a b", { scale: -1 }),
      "attentions with a bad mask": () => model.attentions("a b", { mask: { kind: "sideways" } }),
      "attentions with an unknown option": () => model.attentions("a b", { temperature: 2 }),
      "trace of layer 6": () => model.trace({ sentence: "a b", layer: 6 }),
      "trace with a context sentence": () => model.trace({ sentence: "a b", context: "c d" }),
      "trace with a toy option": () => model.trace({ sentence: "a b", dModel: 16 }),
      "trace of the toy model": () => model.trace({ sentence: "a b", model: "toy" }),
      "trace of 602 wordpieces": () => model.trace({ sentence: long }),
      "trace with layer and only.layers": () => model.trace({ sentence: "a b", layer: 1, only: { layers: [2] } }),
    };
    const out = {};
    for (const [name, call] of Object.entries(calls)) {
      try {
        call();
        out[name] = "no error";
      } catch (e) {
        out[name] = e instanceof Error ? e.message : `not an Error: ${String(e)}`;
      }
    }
    const a = model.attentions("The cat sat on the mat because it was tired.", { mask: { kind: "causal" } });
    const t = model.trace({ sentence: "The cat sat.", layer: 5, only: { heads: [0], stages: ["softmax", "layer-output"] } });
    out.after = { seqLen: a.seqLen, upper: a.data[1], layers: t.layers.map((l) => l.layer), stages: t.layers[0].stages.map((s) => s.stage) };
    out.patterns = m.headPatterns(a).length;
    return out;
  });
  const expect = {
    "tokenize(42)": "text",
    "attentions(undefined)": "text",
    "attentions of 602 wordpieces": "602 wordpieces",
    "attentions with scale -1": "scale",
    "attentions with a bad mask": "sideways",
    "attentions with an unknown option": "temperature",
    "trace of layer 6": "layer 6",
    "trace with a context sentence": "context",
    "trace with a toy option": "dModel",
    "trace of the toy model": "minilm-l6",
    "trace of 602 wordpieces": "602 wordpieces",
    "trace with layer and only.layers": "layer",
  };
  for (const [name, word] of Object.entries(expect)) {
    assert.ok(results[name].includes(word), `${name}: ${results[name]}`);
    assert.ok(!/panicked|unreachable|RuntimeError/.test(results[name]), `${name}: ${results[name]}`);
  }
  assert.deepEqual(results.after, { seqLen: 13, upper: 0, layers: [5], stages: ["layer-output"] });
  assert.equal(results.patterns, 72);
  await context.close();
});
