// The arithmetic behind one cell of one stage, written out with the actual numbers.
// explain(ctx, i, j) -> {value, lines: [string]}; ctx = {stage, trace, head, get(stageName)}.
import { fmt } from "../../dom.js";

/**
 * The stages whose numbers each stage's explanation reads, besides the stage itself (the page
 * asks for every stage of the layer shown). A stage not listed is explained from its own value.
 */
const NEEDS = {
  input: ["embedding", "positional"],
  scores: ["query", "key"],
  scaled: ["scores"],
  masked: ["scaled"],
  softmax: ["masked"],
  "weighted-sum": ["softmax", "value"],
};

/**
 * Where a cell of a stage comes from: [{stage, row?, col?}] in the matrices of the stages it
 * reads (a row, a column or one cell), for the flow's and the neighbours' highlights. `cross`:
 * keys and values come from the context sentence, which has no input stage of its own here.
 */
export function sources(stage, i, j, { cross = false } = {}) {
  switch (stage) {
    case "input": return [{ stage: "embedding", row: i, col: j }, { stage: "positional", row: i, col: j }];
    case "query": return [{ stage: "input", row: i }];
    case "key": case "value": return cross ? [] : [{ stage: "input", row: i }];
    case "scores": return [{ stage: "query", row: i }, { stage: "key", row: j }];
    case "scaled": return [{ stage: "scores", row: i, col: j }];
    case "masked": return [{ stage: "scaled", row: i, col: j }];
    case "softmax": return [{ stage: "masked", row: i }];
    case "weighted-sum": return [{ stage: "softmax", row: i }, { stage: "value", col: j }];
    case "concat": return [{ stage: "weighted-sum", row: i }];
    case "output": return [{ stage: "concat", row: i }];
    case "residual": return [{ stage: "input", row: i, col: j }, { stage: "output", row: i, col: j }];
    case "layer-norm": return [{ stage: "residual", row: i }];
    case "feed-forward": return [{ stage: "layer-norm", row: i }];
    case "layer-output": return [{ stage: "layer-norm", row: i, col: j }, { stage: "feed-forward", row: i }];
    default: return [];
  }
}

const MAX_TERMS = 8; // longer sums are shortened with "…"

function terms(pairs, op = "×") {
  const shown = pairs.slice(0, MAX_TERMS).map(([a, b]) => `${fmt(a)}${op}${fmt(b)}`);
  if (pairs.length > MAX_TERMS) shown.push(`… (${pairs.length - MAX_TERMS} more)`);
  return shown.join(" + ");
}

const row = (m, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols));
const col = (m, j) => Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + j]);

export function explain(ctx, i, j) {
  const { stage, get, trace } = ctx;
  const m = get(stage);
  const value = m.data[i * m.cols + j];
  const q = trace.tokens.query, k = trace.tokens.key;
  const qt = q[i]?.text ?? `#${i}`, kt = (stage === "key" || stage === "value" ? k[i] : k[j])?.text ?? `#${j}`;
  const lines = [];
  const has = (...names) => names.every((n) => get(n));
  if (!has(stage, ...(NEEDS[stage] ?? []))) return { value, lines: [`${stage} [${i}, ${j}] = ${fmt(value)}`] };
  switch (stage) {
    case "embedding":
      lines.push(`E["${qt}", ${j}] = ${fmt(value)}: entry ${j} of the word's embedding (the same word always gets the same vector).`);
      break;
    case "positional": {
      const pair = Math.floor(j / 2), d = m.cols;
      const f = j % 2 === 0 ? "sin" : "cos";
      lines.push(`PE[${i}, ${j}] = ${f}(${i} / 10000^(${2 * pair}/${d})) = ${fmt(value)}`);
      break;
    }
    case "input": {
      const e = get("embedding").data[i * m.cols + j], p = get("positional").data[i * m.cols + j];
      lines.push(`X[${i}, ${j}] = E + PE = ${fmt(e)} + ${fmt(p)} = ${fmt(value)}`);
      break;
    }
    case "query": case "key": case "value": {
      const letter = stage[0].toUpperCase();
      lines.push(`${letter}[${i}, ${j}] = X["${stage === "query" ? qt : kt}"] · W_${letter}[:, ${j}] = ${fmt(value)}`);
      break;
    }
    case "scores": {
      const qi = row(get("query"), i), kj = row(get("key"), j);
      lines.push(`q("${qt}") · k("${kt}") = ${terms(qi.map((a, t) => [a, kj[t]]))}`);
      lines.push(`= ${fmt(value)}`);
      break;
    }
    case "scaled": {
      const s = get("scores").data[i * m.cols + j];
      lines.push(`${fmt(s)} × ${fmt(trace.scale, 4)} (scale) = ${fmt(value)}`);
      break;
    }
    case "masked": {
      const s = get("scaled").data[i * m.cols + j];
      lines.push(value === -Infinity ? `The mask removes "${qt}" → "${kt}": −∞ (weight 0 after softmax)` : `"${qt}" may see "${kt}": ${fmt(s)} is kept`);
      break;
    }
    case "softmax": {
      const r = row(get("masked"), i);
      const max = Math.max(...r);
      if (max === -Infinity) {
        lines.push(`"${qt}" may see no key at all: every weight is 0 and its output is the zero vector.`);
        break;
      }
      const sum = r.reduce((acc, x) => acc + (x === -Infinity ? 0 : Math.exp(x - max)), 0);
      const s = r[j];
      lines.push(s === -Infinity
        ? `exp(−∞) / Σ = 0: "${kt}" is masked`
        : `exp(${fmt(s)} − ${fmt(max)}) / Σ exp(s − max) = ${fmt(Math.exp(s - max))} / ${fmt(sum)} = ${fmt(value)}`);
      lines.push(`Row "${qt}": entropy ${fmt(ctx.headTrace.entropy[i], 2)} bits, largest weight ${fmt(ctx.headTrace.maxWeight[i], 2)}.`);
      break;
    }
    case "weighted-sum": {
      const a = row(get("softmax"), i), v = col(get("value"), j);
      const pairs = a.map((w, t) => [w, v[t]]).filter(([w]) => w !== 0);
      lines.push(`Σ_j a["${qt}", j] · v_j[${j}] = ${terms(pairs)} = ${fmt(value)}`);
      break;
    }
    case "concat": {
      const hd = trace.model.headDim, head = Math.floor(j / hd);
      lines.push(`Column ${j} is dimension ${j % hd} of head ${head}'s output for "${qt}": ${fmt(value)}`);
      break;
    }
    case "output":
      lines.push(`Y["${qt}", ${j}] = C["${qt}"] · W_O[:, ${j}] = ${fmt(value)}`);
      break;
    default:
      lines.push(`${stage} [${i}, ${j}] = ${fmt(value)}`);
  }
  return { value, lines };
}
