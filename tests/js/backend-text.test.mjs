// The backend choice's words (www/js/views/backend/text.js) and its place in the URL state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { count, duration, gpuName, unavailableText, effective, runText, statusText } from "../../www/js/views/backend/text.js";
import { fromQuery, toQuery, normalize } from "../../www/js/state.js";
import { CATALOG } from "./state.catalog.mjs";

const SWIFTSHADER = { available: true, vendor: "google", architecture: "swiftshader", isFallbackAdapter: true, features: [], variant: "f32" };

test("times and counts read well", () => {
  assert.equal(count(16384), "16,384");
  assert.equal(duration(0.842), "0.84 ms");
  assert.equal(duration(12.34), "12.3 ms");
  assert.equal(duration(1234), "1.23 s");
  assert.equal(duration(NaN), "—");
});

test("the WebGPU option names its adapter, a software one as such, or says why it is unavailable", () => {
  assert.equal(gpuName(SWIFTSHADER), "WebGPU (google swiftshader, a software adapter: CPU speed)");
  assert.equal(gpuName({ available: true, vendor: "nvidia", architecture: "", isFallbackAdapter: false }), "WebGPU (nvidia)");
  assert.equal(gpuName({ available: true, vendor: "", architecture: "", description: "", isFallbackAdapter: false }), "WebGPU (an adapter)");
  assert.equal(gpuName({ available: false, reason: "no" }), null);
  assert.equal(gpuName(null), null);
  assert.equal(unavailableText(SWIFTSHADER), "");
  assert.match(unavailableText(null), /Asking/);
  assert.equal(unavailableText({ available: false, reason: "navigator.gpu is missing" }), "WebGPU is unavailable here: navigator.gpu is missing.");
});

test("a run goes to WebGPU only when it is chosen and available", () => {
  assert.equal(effective("webgpu", SWIFTSHADER), "webgpu");
  assert.equal(effective("webgpu", { available: false, reason: "x" }), "cpu");
  assert.equal(effective("webgpu", null), "cpu");
  assert.equal(effective("cpu", SWIFTSHADER), "cpu");
});

test("a run and the status line say which backend ran, and a fallback says so", () => {
  const names = { cpu: "wasm SIMD128 · 1 thread", webgpu: gpuName(SWIFTSHADER) };
  const run = { ms: 1500, n: 16384, heads: 8, headDim: 64, causal: true, backend: "cpu" };
  assert.equal(runText(run, names), "16,384 tokens, 8 heads, d 64, causal: 1.50 s on the CPU (wasm SIMD128 · 1 thread).");
  assert.match(runText({ ...run, backend: "webgpu" }, names), /on WebGPU \(google swiftshader/);
  assert.match(runText({ ...run, fallback: "the WebGPU device was lost" }, names), /WebGPU failed \(the WebGPU device was lost\), so it fell back to the CPU\.$/);
  assert.equal(statusText("Computed by X", null, names), "Computed by X");
  assert.equal(statusText("Computed by X", run, names), "Computed by X · last attention run: the CPU, 16,384 tokens in 1.50 s");
  assert.match(statusText("Computed by X", { ...run, fallback: "lost" }, names), /the CPU \(WebGPU failed, so it fell back to the CPU\)/);
});

test("the backend choice is part of the URL state (be=webgpu), the CPU by default", () => {
  assert.equal(normalize({}, CATALOG).backend, "cpu");
  assert.equal(normalize({ backend: "gpu" }, CATALOG).backend, "cpu");
  const s = normalize({ backend: "webgpu", sentence: "a b" }, CATALOG);
  assert.match(toQuery(s, CATALOG), /(^|&)be=webgpu(&|$)/);
  assert.deepEqual(fromQuery(toQuery(s, CATALOG), CATALOG), s);
  assert.equal(fromQuery("be=nonsense", CATALOG).backend, "cpu");
});
