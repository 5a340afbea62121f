// The minimal page until the playground lands: calls trace() and attention() and shows results.
// All text goes through textContent: nothing the learner types is ever parsed as HTML.
import init, { attention, trace, buildInfo } from "./pkg/attention_playground.js";

const $ = (id) => document.getElementById(id);

// Viridis-like sequential scale (colour-blind safe) for weights in [0, 1].
const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function colour(t) {
  const x = Math.min(Math.max(t, 0), 1) * (stops.length - 1);
  const i = Math.min(Math.floor(x), stops.length - 2), f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
  return [`rgb(${c.join(",")})`, t > 0.55 ? "#000" : "#fff"];
}

function render(sentence) {
  const status = $("status");
  let t;
  try {
    t = trace({ sentence, dModel: 16, heads: 2, seed: 1, mask: { kind: "causal" }, only: { heads: [0], stages: ["softmax"] } });
  } catch (e) {
    status.textContent = e.message; // a clear message; the sentence stays in the box
    status.className = "error";
    return;
  }
  const tokens = t.tokens.query.map((x) => x.text);
  $("tokens").replaceChildren(...tokens.map((w) => Object.assign(document.createElement("span"), { textContent: w })));
  const w = t.layers[0].heads[0].stages[0];
  const table = $("weights");
  const head = document.createElement("tr");
  head.append(document.createElement("th"));
  for (const k of tokens) head.append(Object.assign(document.createElement("th"), { textContent: k, scope: "col" }));
  const rows = [head];
  for (let i = 0; i < w.rows; i++) {
    const tr = document.createElement("tr");
    tr.append(Object.assign(document.createElement("th"), { textContent: tokens[i], scope: "row" }));
    for (let j = 0; j < w.cols; j++) {
      const a = w.data[i * w.cols + j];
      const td = Object.assign(document.createElement("td"), { textContent: a.toFixed(2) });
      [td.style.background, td.style.color] = colour(a);
      tr.append(td);
    }
    rows.push(tr);
  }
  table.replaceChildren(...rows);
  status.textContent = `${tokens.length} tokens · ${t.mask.allowedPairs} of ${t.mask.totalPairs} query-key pairs kept by the causal mask`;
  status.className = "";
}

function checkAttention() {
  const heads = 8, n = 256, d = 64;
  const rand = (len) => Float32Array.from({ length: len }, () => Math.random() * 2 - 1);
  const q = rand(heads * n * d), k = rand(heads * n * d), v = rand(heads * n * d);
  const opts = { heads, headDim: d, mask: { kind: "causal" } };
  const t0 = performance.now();
  const fast = attention(q, k, v, opts);
  const ms = performance.now() - t0;
  const ref = attention(q, k, v, { ...opts, kernel: "reference" });
  let err = 0;
  for (let i = 0; i < fast.length; i++) err = Math.max(err, Math.abs(fast[i] - ref[i]));
  const info = buildInfo();
  $("check").textContent =
    `${heads} heads × ${n} tokens × ${d} dims, causal: ${info.defaultKernel} took ${ms.toFixed(1)} ms; ` +
    `largest difference from the reference ${err.toExponential(1)}.`;
}

await init();
const input = $("sentence");
input.addEventListener("input", () => render(input.value));
render(input.value);
checkAttention();
document.body.dataset.ready = "true";
