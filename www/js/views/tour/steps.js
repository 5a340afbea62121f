// The guided tour's steps: their words, the settings each applies, what the learner predicts and
// what the page reveals. Pure: no DOM. Every number a step shows comes from `facts` (the engine's
// trace of the view on screen, see README.md), never from this file.
//
// A step is {id, title(facts), settings, text(facts, state), actions?(facts, state, memo),
// predict?}. `predict` is {kind: "token" | "choice" | "number", question(facts), choices?,
// snapshot(facts), reveal (settings applied when the learner presses Reveal), ready(facts) (the
// facts show the revealed settings), canReveal?(facts), result(facts, guess, before) ->
// {correct, lines}, status?(facts, state) (a live line after the reveal)}.
import { fmt } from "../../dom.js";
import { PRESETS } from "../../state.js";

const preset = (name) => PRESETS.find((p) => p.name === name).sentence;

/** The tour's sentence: "it" has something to refer back to. */
export const SENTENCE = preset("Coreference");
/** A longer text, to see how the pairs grow. */
export const LONG_TEXT = preset("Paragraph");
/** The trained model of the heads step (the catalogue's name; choosing it downloads its files). */
export const REAL_MODEL = "minilm-l6";
/** The sliding window the cost step asks about, and the block size it offers after. */
export const WINDOW = 3;
export const BLOCK = 4;

/**
 * What every step starts from: the tour's sentence, self-attention, the first layer and head, the
 * page's followed token (`focus: null`: "it"), no masks, no edits, the 1/√d_k scale. `model: null`
 * is the catalogue's first (the toy model).
 */
export const BASE = Object.freeze({
  model: null, mode: "self", sentence: SENTENCE, stage: "softmax", layer: 0, head: 0, focus: null,
  scale: null, causal: false, window: 0, windowCausal: false, globals: [], globalWindow: 0, padding: [],
  block: 0, blockLocal: 1, blockRandom: 0, custom: [], edits: [], hideSpecial: false,
});

// ---- reading facts -------------------------------------------------------------------------

/** Row `i` of a row-major matrix {rows, cols, data} as a plain array ([] when out of range). */
export function rowOf(m, i) {
  if (!m || !Number.isInteger(i) || i < 0 || i >= m.rows) return [];
  return Array.from(m.data.subarray ? m.data.subarray(i * m.cols, (i + 1) * m.cols) : m.data.slice(i * m.cols, (i + 1) * m.cols));
}

/** The index of the largest entry (the first on a tie), or -1 for an empty list. */
export function argmax(xs) {
  let best = -1;
  for (let j = 0; j < xs.length; j++) if (best < 0 || xs[j] > xs[best]) best = j;
  return best;
}

/** Indices by value, largest first (ties by index). */
export const ranked = (xs) => xs.map((w, j) => [w, j]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, j]) => j);

export const mean = (xs) => (xs && xs.length ? Array.from(xs).reduce((a, b) => a + b, 0) / xs.length : NaN);

const q = (text) => `“${text}”`;
const pct = (a, t) => `${((100 * a) / t).toFixed(1)} %`;
const count = (n) => n.toLocaleString("en");
/** A list in words: "a, b and c". */
export function listOf(items) {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/** The followed token's text, or a stand-in before the first view. */
const focusText = (f) => (f && Number.isInteger(f.focus) && f.tokens[f.focus] !== undefined ? f.tokens[f.focus] : "this token");

/** The weight a query row gives to the keys after it (causal mask: those it may not see). */
export function futureWeight(weights, row) {
  return rowOf(weights, row).slice(row + 1).reduce((a, b) => a + b, 0);
}

/** Whether a token's text is a model's special token ([CLS], [SEP]). */
const special = (text) => /^\[[A-Z]+\]$/.test(text);

/**
 * The real model's heads on one query row: for each head, the key it weighs most.
 * `attentions`: {layers, heads, seqLen, data (layer, head, query, key)}.
 * -> {counts: [per key index], total, best: {layer, head, weight} per key index}
 */
export function headsOnRow(attentions, row) {
  const { layers, heads, seqLen: n, data } = attentions;
  const counts = new Array(n).fill(0);
  const best = new Array(n).fill(null);
  for (let l = 0; l < layers; l++) {
    for (let k = 0; k < heads; k++) {
      const off = ((l * heads + k) * n + row) * n;
      const r = Array.from(data.subarray(off, off + n));
      counts[argmax(r)]++;
      r.forEach((w, j) => {
        if (!best[j] || w > best[j].weight) best[j] = { layer: l, head: k, weight: w };
      });
    }
  }
  return { counts, total: layers * heads, best };
}

/** The engine's head patterns counted by title, most common first: [[title, n]]. */
export function patternTally(patterns) {
  const by = new Map();
  for (const p of patterns) by.set(p.title, (by.get(p.title) ?? 0) + 1);
  return [...by].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** The words a count of kept pairs is said in (the cost step's live line). */
export function pairsText(mask, tokens) {
  const { allowedPairs: a, totalPairs: t } = mask;
  return `${count(tokens)} tokens, ${count(t)} pairs; kept ${count(a)} (${pct(a, t)})`;
}

/** The masks of a state in words (the ones the cost step turns on). */
export function masksText(state) {
  const parts = [];
  if (state.window > 0) parts.push(`a sliding window of ${state.window}`);
  if (state.block > 0) parts.push(`blocks of ${state.block} tokens, each seeing its own block and ${state.blockLocal} on each side`);
  if (state.causal) parts.push("the causal mask");
  return parts.length ? listOf(parts) : "no mask";
}

// ---- the steps --------------------------------------------------------------------------------

const STAGE_BUTTONS = [["query", "Queries (Q)"], ["key", "Keys (K)"], ["value", "Values (V)"]];

export const STEPS = [
  {
    id: "qkv",
    title: () => "Queries, keys and values",
    settings: { stage: "query" },
    text: (f) => [
      "Attention lets each token gather information from the others. Every token’s vector x (its row of the input X) is multiplied by three learned matrices:",
      { list: [
        "the query q = x·W_Q: what this token is looking for;",
        "the key k = x·W_K: what it offers to the others’ queries;",
        "the value v = x·W_V: what it hands over when a query picks it.",
      ] },
      "How well token i’s query matches token j’s key (the dot product q_i·k_j) decides how much of v_j token i takes." +
        (f ? ` Here Q, K and V each have ${f.tokens.length} rows, one per token, of d_k = ${f.size.headDim} numbers per head.` : ""),
    ],
    actions: (f, state) => STAGE_BUTTONS.filter(([stage]) => f?.card.stages.includes(stage))
      .map(([stage, label]) => ({ id: `show-${stage}`, label, patch: { stage }, pressed: state.stage === stage })),
  },
  {
    id: "it",
    title: (f) => `Which word will ${q(focusText(f))} attend to most?`,
    settings: { stage: "key" },
    text: (f) => [
      `Each query is compared with every key, and softmax turns the matches into weights that sum to 1. Think of ${q(focusText(f))}: which word’s key will its query match best?`,
    ],
    predict: {
      kind: "token",
      question: (f) => `Your guess: the word ${q(focusText(f))} attends to most (choose here or a token chip)`,
      snapshot: (f) => ({ row: f.focus }),
      reveal: (before) => ({ stage: "softmax", focus: before.row }),
      ready: (f) => f.weights !== null,
      result(f, guess, before) {
        const row = rowOf(f.weights, before.row);
        const order = ranked(row);
        const top = order[0];
        const name = q(f.tokens[before.row]);
        const lines = [guess === top
          ? `Right: ${name} gives its largest weight, ${fmt(row[top], 2)}, to ${q(f.keys[top])}.`
          : `Not this time: ${name} gives its largest weight, ${fmt(row[top], 2)}, to ${q(f.keys[top])}; your guess, ${q(f.keys[guess])}, got ${fmt(row[guess], 2)}.`];
        const next = order.slice(1, 3).filter((j) => row[j] > 0);
        if (next.length) lines.push(`Next come ${listOf(next.map((j) => `${q(f.keys[j])} (${fmt(row[j], 2)})`))}; the highlighted row of the weights shows all ${row.length}.`);
        if (f.card.weights !== "file") {
          lines.push("Why that word? This model has never been trained: its W_Q and W_K are random numbers, so the best match is chance, not meaning. " +
            `Training tunes them so that useful matches score high; step ${STEPS.findIndex((s) => s.id === "heads") + 1} asks a trained model.`);
        }
        return { correct: guess === top, answer: top, lines };
      },
    },
  },
  {
    id: "scale",
    title: () => "Why divide by √d_k?",
    settings: { stage: "softmax" },
    text: (f) => {
      if (!f) return [];
      const dk = f.size.headDim;
      return [
        `A score is a dot product of d_k = ${dk} numbers. The more terms it adds up, the larger it can grow: for vectors of random unit-size numbers its spread is about √d_k = ${fmt(Math.sqrt(dk), 2)} times that of one term.`,
        `Softmax exponentiates the scores, so large ones make it saturate: nearly all the weight goes to one key, and training gets almost no signal about the others. ` +
          `So attention multiplies the scores by the scale 1/√d_k = 1/√${dk} = ${fmt(1 / Math.sqrt(dk), 3)}.`,
      ];
    },
    predict: {
      kind: "choice",
      question: () => "Without the division (scale = 1), the weights will get…",
      choices: [
        { id: "sharper", label: "Sharper: one key takes most" },
        { id: "flatter", label: "Flatter: spread more evenly" },
        { id: "same", label: "About the same" },
      ],
      snapshot: (f) => ({ scale: f.scale, maxWeight: mean(f.headTrace?.maxWeight), entropy: mean(f.headTrace?.entropy) }),
      reveal: () => ({ scale: 1 }),
      ready: (f) => Math.abs(f.scale - 1) < 1e-6 && f.headTrace !== null,
      result(f, guess, before) {
        const after = { maxWeight: mean(f.headTrace.maxWeight), entropy: mean(f.headTrace.entropy) };
        const verdict = after.maxWeight > before.maxWeight + 0.02 ? "sharper" : after.maxWeight < before.maxWeight - 0.02 ? "flatter" : "same";
        const said = { sharper: "sharper", flatter: "flatter", same: "about the same" }[verdict];
        return {
          correct: guess === verdict,
          answer: verdict,
          lines: [
            `${guess === verdict ? "Right" : "Not quite"}: they got ${said}. Without the division the scores are ${fmt(f.scale / before.scale, 2)} times larger ` +
              `(scale ${fmt(before.scale, 3)} → ${fmt(f.scale, 3)}), and the mean largest weight of a row went from ${fmt(before.maxWeight, 2)} to ${fmt(after.maxWeight, 2)}; ` +
              `the mean entropy from ${fmt(before.entropy, 2)} to ${fmt(after.entropy, 2)} bits.`,
            "A saturated softmax learns slowly: nudging a score barely moves its weight. Dividing by √d_k keeps the scores’ spread the same whatever the head’s width. Try other values with the Scale slider under Settings.",
          ],
        };
      },
    },
  },
  {
    id: "causal",
    title: () => "What does the causal mask forbid?",
    settings: { stage: "softmax" },
    text: (f, state) => {
      if (!f) return [];
      const after = f.keys.slice(f.focus + 1);
      return [
        "A model that writes text one token at a time (GPT and its kind) must not look at tokens it has not written yet. The causal mask removes every pair whose key comes after its query: the score becomes −∞, and softmax gives it weight 0.",
        // With the mask on (after the reveal) the row has nothing after it to tell.
        state?.causal ? null : after.length
          ? `Now, with no mask, ${q(focusText(f))} gives ${fmt(futureWeight(f.weights, f.focus), 2)} of its weight to the tokens after it (${listOf(after.map(q))}).`
          : `${q(focusText(f))} is the last token: no token comes after it.`,
      ].filter((x) => x !== null);
    },
    predict: {
      kind: "choice",
      question: (f) => `With the causal mask on, ${q(focusText(f))} will give the tokens after it…`,
      choices: [
        { id: "none", label: "Nothing: exactly 0" },
        { id: "less", label: "Less, but some" },
        { id: "same", label: "The same" },
      ],
      snapshot: (f) => ({ row: f.focus, future: futureWeight(f.weights, f.focus) }),
      reveal: () => ({ causal: true, stage: "masked" }),
      // (A one-token text keeps its one pair.)
      ready: (f) => f.weights !== null && (f.mask.allowedPairs < f.mask.totalPairs || f.tokens.length <= 1),
      result(f, guess, before) {
        const future = futureWeight(f.weights, before.row);
        const verdict = future === 0 ? "none" : future < before.future - 1e-6 ? "less" : "same";
        const { allowedPairs: a, totalPairs: t } = f.mask;
        const first = rowOf(f.weights, 0)[0];
        const lines = [
          `${guess === verdict ? "Right" : "Not quite"}: ${q(f.tokens[before.row])} now gives ${verdict === "none" ? "exactly 0" : fmt(future, 2)} to the tokens after it (it gave them ${fmt(before.future, 2)}). ` +
            "Its row still sums to 1: that weight went to itself and the tokens before it.",
          `The mask keeps ${count(a)} of ${count(t)} query-key pairs (${pct(a, t)}): each token sees itself and the tokens before it, so the first, ${q(f.tokens[0])}, puts all its weight (${fmt(first, 2)}) on itself. ` +
            "The figure shows the masked scores: −∞ above the diagonal.",
        ];
        return { correct: guess === verdict, answer: verdict, lines };
      },
    },
  },
  {
    id: "heads",
    title: () => "What do different heads notice?",
    settings: { model: REAL_MODEL, stage: "softmax" },
    /** Whether the step waits for its model (the page shows the toy model until the files are in). */
    waiting: (f) => !f || f.card.name !== REAL_MODEL || !f.grid,
    text: (f) => {
      if (!f || f.card.name !== REAL_MODEL) {
        return [
          "This step uses a trained model, MiniLM-L6: its files download once and then stay in this browser (the model picker shows their size and the progress, or what went wrong). The step goes on when the model is ready.",
        ];
      }
      const { layers, heads } = f.size;
      return [
        `${f.card.title} has ${layers} layers of ${heads} heads: ${layers * heads} attention maps for every sentence, each made by its own W_Q and W_K, learned from text. The grid “All heads at a glance” shows them all.`,
        `Each head weighs the keys its own way: for ${q(focusText(f))}, each has one key it weighs most.`,
      ];
    },
    actions: (f, state, memo) => {
      if (f && f.card.name !== REAL_MODEL) return [{ id: "load", label: "Load MiniLM-L6", patch: { model: REAL_MODEL } }];
      const open = memo?.result?.open;
      return open ? [{ id: "open-head", label: `Open layer ${open.layer + 1}, head ${open.head + 1}`, patch: { layer: open.layer, head: open.head, stage: "softmax", focus: open.row }, pressed: state.layer === open.layer && state.head === open.head }] : [];
    },
    predict: {
      kind: "token",
      question: (f) => `Your guess: the token most heads make ${q(focusText(f))} attend to most`,
      canReveal: (f) => f !== null && f.card.name === REAL_MODEL && Boolean(f.grid),
      snapshot: (f) => ({ row: f.focus }),
      reveal: () => null,
      ready: (f) => f.card.name === REAL_MODEL && Boolean(f.grid),
      result(f, guess, before) {
        const a = f.grid.attentions;
        const { counts, total, best } = headsOnRow(a, before.row);
        const order = ranked(counts);
        const top = order[0];
        const name = q(f.tokens[before.row]);
        const heads = (n) => `${n} ${n === 1 ? "head" : "heads"}`;
        const lines = [guess === top
          ? `Right: ${heads(counts[top])} of ${total} give ${name} its largest weight on ${q(f.keys[top])}.`
          : `Not this time: ${heads(counts[top])} of ${total} give ${name} its largest weight on ${q(f.keys[top])}; on your guess, ${q(f.keys[guess])}, ${heads(counts[guess])}.`];
        const others = order.slice(1).filter((j) => counts[j] > 0 && j !== guess).slice(0, 4);
        if (others.length) lines.push(`Other heads pick ${listOf(others.map((j) => `${q(f.keys[j])} (${counts[j]})`))}.`);
        if (special(f.keys[top])) lines.push(`A head with nothing to look for in a sentence parks its weight on ${f.keys[top]}: a no-op it learned in training. The heads that do pick words each learned their own kind of link.`);
        const tally = patternTally(f.grid.patterns);
        lines.push(`The engine names each head by the pattern it measures in its map: ${listOf(tally.map(([title, n]) => `${title} ${n}`))}.`);
        const open = best[guess];
        lines.push(`The head that gives ${q(f.keys[guess])} the most weight from ${name}: layer ${open.layer + 1}, head ${open.head + 1} (${fmt(open.weight, 2)}).`);
        return { correct: guess === top, answer: top, lines, open: { ...open, row: before.row } };
      },
    },
  },
  {
    id: "cost",
    title: () => "Where does the cost go?",
    settings: { stage: "masked" },
    text: (f) => {
      if (!f) return [];
      const { totalPairs: t } = f.mask;
      return [
        `Every query meets every key: ${f.tokens.length} queries × ${f.keys.length} keys = ${count(t)} pairs, each scored by a dot product of d_k = ${f.size.headDim} numbers. ` +
          "Twice the tokens, four times the pairs: at long contexts this n² is where the time and memory go.",
        `Sparse masks keep only some pairs. A sliding window of ${WINDOW} lets each token see the keys fewer than ${WINDOW} positions away: itself and up to ${WINDOW - 1} on each side.`,
      ];
    },
    actions: (f, state, memo) => (memo?.phase === "revealed"
      ? [
        { id: "long", label: "A longer text", patch: { sentence: state.sentence === LONG_TEXT ? SENTENCE : LONG_TEXT }, pressed: state.sentence === LONG_TEXT },
        { id: "window", label: `Window of ${WINDOW}`, patch: { window: WINDOW, block: 0 }, pressed: state.window === WINDOW && state.block === 0 },
        { id: "block", label: `Blocks of ${BLOCK}`, patch: { window: 0, block: BLOCK, blockLocal: 1, blockRandom: 0 }, pressed: state.window === 0 && state.block === BLOCK },
      ]
      : []),
    predict: {
      kind: "number",
      // After the reveal, the question stays the one answered (a longer text changes the pairs).
      question: (f, before) => `How many of the ${before?.total !== undefined ? count(before.total) : f ? count(f.mask.totalPairs) : "n²"} pairs will the window keep?`,
      snapshot: (f) => ({ total: f.mask.totalPairs }),
      reveal: () => ({ window: WINDOW }),
      // (A text of at most WINDOW tokens keeps every pair.)
      ready: (f) => f.mask.allowedPairs < f.mask.totalPairs || f.tokens.length <= WINDOW,
      result(f, guess, before) {
        const { allowedPairs: a, totalPairs: t } = f.mask;
        const off = Math.abs(guess - a);
        const keys = Math.max(0, ...Array.from({ length: f.weights?.rows ?? 0 }, (_, i) => rowOf(f.weights, i).filter((w) => w > 0).length));
        return {
          correct: off === 0,
          lines: [
            `${off === 0 ? "Exactly right" : off <= 0.1 * a ? "Close" : "Not quite"}: the window keeps ${count(a)} of ${count(before.total)} pairs (${pct(a, t)})` + (off === 0 ? "." : `; you said ${count(guess)}.`),
            `No token sees more than ${keys} keys however long the text, so the pairs grow in step with the tokens, not with their square. Try a longer text, or blocks instead of a window:`,
          ],
        };
      },
      status: (f, state) => `Now: ${masksText(state)}; ${pairsText(f.mask, f.tokens.length)}.`,
    },
  },
];

/** The step at index `n` (clamped to the tour). */
export const stepAt = (n) => STEPS[Math.max(0, Math.min(STEPS.length - 1, n))];

/**
 * The settings a step applies when entered: the tour's base, the current model's options at their
 * defaults (from its card: a step's settings say only what differs), then the step's own.
 */
export function settingsOf(step, card) {
  const options = Object.fromEntries((card?.options ?? []).map((o) => [o.name, o.default]));
  return { ...BASE, ...options, ...step.settings };
}

/** Whether two states show the same view (the tour's step and the backend choice aside). */
export function sameView(a, b) {
  if (!a || !b) return false;
  return JSON.stringify({ ...a, tour: null, backend: null }) === JSON.stringify({ ...b, tour: null, backend: null });
}

/** A guess for a step's prediction from the learner's input, or null when it is not one. */
export function parseGuess(predict, value, facts) {
  if (!predict) return null;
  if (predict.kind === "token") {
    const j = Number(value);
    return Number.isInteger(j) && j >= 0 && j < (facts?.keys.length ?? 0) ? j : null;
  }
  if (predict.kind === "choice") return predict.choices.some((c) => c.id === value) ? value : null;
  if (predict.kind === "number") {
    if (typeof value === "string" && value.trim() === "") return null;
    const n = Number(value);
    return Number.isInteger(n) && n >= 0 ? n : null;
  }
  return null;
}

/** "Step 2 of 6". */
export const countText = (n) => `Step ${n + 1} of ${STEPS.length}`;
