// Pure words for the backend choice and the long-context run (views/backend), unit-tested in node.

/** A count with thousands separators: 16,384. */
export const count = (n) => Number(n).toLocaleString("en-US");

/** A time for reading: "0.84 ms", "12.3 ms", "1.24 s". */
export function duration(ms) {
  if (!Number.isFinite(ms)) return "—";
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

/**
 * The WebGPU option's name from webgpuInfo(): "WebGPU (google swiftshader, a software adapter:
 * CPU speed)", "WebGPU (nvidia ampere)"; null when WebGPU is unavailable or not asked yet.
 */
export function gpuName(info) {
  if (!info?.available) return null;
  const adapter = [info.vendor, info.architecture].filter((x) => typeof x === "string" && x !== "").join(" ") || info.description || "an adapter";
  return `WebGPU (${adapter}${info.isFallbackAdapter ? ", a software adapter: CPU speed" : ""})`;
}

/** Why the WebGPU option is disabled, in words, from webgpuInfo(). */
export function unavailableText(info) {
  if (info === null || info === undefined) return "Asking the browser for a WebGPU adapter…";
  if (info.available) return "";
  return `WebGPU is unavailable here: ${info.reason || "the browser gave no reason"}.`.replace(/\.\.$/, ".");
}

/** The backend a run uses for a choice: WebGPU only when chosen and available. */
export const effective = (choice, info) => (choice === "webgpu" && info?.available ? "webgpu" : "cpu");

/** The shape of a run: "16,384 tokens, 8 heads, d 64, causal". */
export const shapeText = ({ n, heads, headDim, causal }) => `${count(n)} tokens, ${heads} heads, d ${headDim}${causal ? ", causal" : ""}`;

/**
 * A finished run in words. `run`: {ms, n, heads, headDim, causal, backend, fallback?} where
 * fallback is the WebGPU error that sent it to the CPU; `names`: {cpu, webgpu} the options' names.
 */
export function runText(run, names) {
  const on = run.backend === "webgpu" ? names.webgpu : `the CPU (${names.cpu})`;
  const why = run.fallback ? ` WebGPU failed (${run.fallback}), so it fell back to the CPU.` : "";
  return `${shapeText(run)}: ${duration(run.ms)} on ${on}.${why}`;
}

/** The status line: the build that computes the page, then which backend ran the last attention run. */
export function statusText(base, run, names) {
  if (!run) return base;
  const on = run.backend === "webgpu" ? names.webgpu : "the CPU";
  const fell = run.fallback ? " (WebGPU failed, so it fell back to the CPU)" : "";
  return `${base} · last attention run: ${on}${fell}, ${count(run.n)} tokens in ${duration(run.ms)}`;
}
