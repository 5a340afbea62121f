// Runs inside the empty project tests/package/test.sh makes, with the tarball installed in its
// node_modules: the JS API used as an npm user would use it from node. Prints one line per check.
import assert from "node:assert/strict";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as api from "attention-playground";
import init, { attention, buildInfo, initSync, maskInfo, trace } from "attention-playground";

const here = path.dirname(fileURLToPath(import.meta.url));
const file = (spec) => fileURLToPath(import.meta.resolve(spec));
const pkgDir = path.dirname(file("attention-playground/package.json"));
assert.equal(realpathSync(pkgDir), realpathSync(path.join(here, "node_modules/attention-playground")), "the installed copy, not the repository's");
const pkg = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));
assert.equal(pkg.name, "attention-playground");
assert.deepEqual(pkg.dependencies ?? {}, {}, "no dependencies");

// Every file an entry point names is there.
for (const [key, target] of Object.entries(pkg.exports)) {
  for (const t of typeof target === "string" ? [target] : Object.values(target)) {
    if (!t.includes("*")) assert.ok(existsSync(path.join(pkgDir, t)), `exports["${key}"] names ${t}, which is missing`);
  }
}
for (const build of ["plain", "simd", "relaxed", "threads", "threads-relaxed"]) {
  assert.ok(existsSync(file(`attention-playground/engine/${build}/attention_playground_bg.wasm`)), `engine/${build}`);
}
console.log(`package: node: installed ${pkg.name} ${pkg.version}; its entry points and five engine builds are there`);

// The declarations name exactly the functions and classes the module exports.
const dts = readFileSync(path.join(pkgDir, pkg.exports["."].types), "utf8");
const declared = [...dts.matchAll(/^export (?:function|class) (\w+)/gm)].map((m) => m[1]).sort();
const exported = Object.keys(api).filter((k) => k !== "default").sort();
assert.deepEqual(declared, exported);
assert.match(dts, /export default function __wbg_init/);
assert.match(dts, /export function initSync/);
console.log(`package: node: the .d.ts declares the ${exported.length} exports of the module`);

// Initialise from the wasm file's bytes, as the README shows.
assert.equal(typeof init, "function");
initSync({ module: readFileSync(file("attention-playground/engine/simd/attention_playground_bg.wasm")) });
const info = buildInfo();
assert.equal(info.simd, "simd128");

// attention() on a small grouped-query, causal problem against a direct float64 computation.
const heads = 2, kvHeads = 1, n = 5, d = 4;
let seed = 12345;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const q = Float32Array.from({ length: heads * n * d }, rand);
const k = Float32Array.from({ length: kvHeads * n * d }, rand);
const v = Float32Array.from({ length: kvHeads * n * d }, rand);
const out = attention(q, k, v, { heads, kvHeads, headDim: d, mask: { kind: "causal" } });
assert.ok(out instanceof Float32Array);
assert.equal(out.length, heads * n * d);
let worst = 0;
for (let h = 0; h < heads; h++) {
  const g = Math.floor(h / (heads / kvHeads));
  for (let i = 0; i < n; i++) {
    const s = [];
    for (let j = 0; j <= i; j++) {
      let dot = 0;
      for (let c = 0; c < d; c++) dot += q[(h * n + i) * d + c] * k[(g * n + j) * d + c];
      s.push(dot / Math.sqrt(d));
    }
    const top = Math.max(...s);
    const e = s.map((x) => Math.exp(x - top));
    const z = e.reduce((a, b) => a + b, 0);
    for (let c = 0; c < d; c++) {
      let o = 0;
      for (let j = 0; j <= i; j++) o += (e[j] / z) * v[(g * n + j) * d + c];
      worst = Math.max(worst, Math.abs(o - out[(h * n + i) * d + c]));
    }
  }
}
assert.ok(worst < 1e-5, `attention() differs from the direct computation by ${worst}`);
assert.deepEqual(maskInfo({ kind: "causal" }, n, n), { allowedPairs: 15, totalPairs: 25, emptyRows: [] });
const t = trace({ sentence: "The cat sat.", only: { heads: [0], stages: ["softmax"] } });
assert.deepEqual(t.tokens.query.map((x) => x.text), ["The", "cat", "sat", "."]);
assert.throws(() => attention(q, k, v, { heads: 3, headDim: d }), /heads/);
console.log(`package: node: attention() (2 heads sharing 1 key/value head, 5 tokens, causal) equals a direct computation within ${worst.toExponential(1)}; trace, maskInfo and errors work`);
