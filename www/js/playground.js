// The playground component: mounts the whole UI into a root element and renders one state.
//
//   const pg = mount(root, state, { stages, compute, onChange(state, { push }) {} });
//     stages                the engine's stage vocabulary (engine.stages())
//     compute(request)      Promise of {trace, perMask} for a state plus `stages` (the stages to
//                           trace); it runs in the compute worker, and a request that a newer one
//                           overtook rejects with an error named "Stale", which is ignored
//   pg.state            the current state (a plain object, see state.js)
//   pg.set(patch)       merge a patch into the state and re-render
//   pg.destroy()
//
// The component owns no hidden state beyond what `state` holds, so an embedder (custom element,
// iframe) can save, share and restore any view by its state alone.
import { h } from "./dom.js";
import { normalize } from "./state.js";
import { createHeatmap } from "./components/heatmap/index.js";
import { createTokens } from "./views/tokens/index.js";
import { createStages } from "./views/stages/index.js";
import { createFollow } from "./views/follow/index.js";
import { createControls } from "./views/controls/index.js";
import { explain } from "./views/explain/index.js";

const TEXT_FIELDS = new Set(["INPUT", "TEXTAREA", "SELECT"]);

// What each stage's view and arithmetic read besides the stage itself (softmax is always read:
// the follow view shows it).
const NEEDS = {
  input: ["embedding", "positional"],
  scores: ["query", "key"],
  scaled: ["scores"],
  masked: ["scaled"],
  softmax: ["masked"],
  "weighted-sum": ["value"],
};

export function mount(root, initial, { stages: vocab, compute, onChange = () => {} }) {
  let state = normalize(initial);
  let trace = null; // the last trace that rendered
  let perMask = []; // each enabled mask's own count of kept pairs, for that trace
  let arrived = null; // the newest answer not rendered yet: {ok, value | message, t0}
  let asked = 0; // requests made
  let answered = 0; // the newest request answered
  let destroyed = false;
  let editing = null; // {row, col} of an entry being edited

  const message = h("p", { id: "ap-message", role: "status", class: "ap-message" });
  const say = (text, kind = "info") => {
    message.textContent = text;
    message.dataset.kind = kind;
  };

  const update = (patch, opts = {}) => {
    const next = normalize({ ...state, ...patch });
    if (JSON.stringify(next) === JSON.stringify(state)) return;
    state = next;
    request();
    onChange(state, { push: opts.push !== false });
  };

  const tokens = createTokens({
    onInput: (field, text) => update({ [field]: text }, { push: false }),
    onPreset: (text) => update({ sentence: text, focus: null, custom: [], padding: [], globals: [], edits: [] }),
    onFollow: (i) => update({ focus: i }),
    onMode: (mode) => update({ mode, custom: [], padding: [] }),
  });
  const stages = createStages(vocab, {
    onStage: (stage) => update({ stage }),
    onHead: (head) => update({ head }),
  });
  const follow = createFollow({ onFollow: (i) => update({ focus: i }) });
  const controls = createControls({ onChange: (patch) => update(patch) });

  const explainBox = h("div", { id: "ap-explain", class: "ap-explain", "aria-live": "polite" });
  const editBox = h("div", { class: "ap-edit" });
  // Q, K and V stages also show the head's slice of W_Q, W_K or W_V, editable entry by entry.
  const weightTitle = h("h3", { class: "ap-weights-title" });
  const weightBox = h("div", { id: "ap-weights", class: "ap-matrix" });
  const weightSection = h("div", { class: "ap-weights" }, weightTitle, weightBox);
  const weightMap = createHeatmap(weightBox, {
    onCell: () => {},
    onActivate: (cell) => {
      if (!cell) return;
      editing = { ...weightSlice(), row: cell.row, col: cell.col };
      renderEdit();
    },
  });
  const matrixBox = h("div", { id: "ap-matrix", class: "ap-matrix" });
  const heatmap = createHeatmap(matrixBox, {
    onCell: (cell) => showCell(cell),
    onActivate: (cell) => activate(cell),
  });
  const copy = h("button", {
    type: "button",
    id: "ap-copy-link",
    text: "Copy link to this view",
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(location.href);
        say("Link copied: it restores exactly this view.");
      } catch {
        say(`Copy this link: ${location.href}`);
      }
    },
  });

  root.classList.add("ap");
  root.replaceChildren(
    tokens.el,
    message,
    stages.el,
    h("section", { class: "ap-stage", "aria-label": "The current stage" }, matrixBox, explainBox, editBox, weightSection),
    follow.el,
    controls.el,
    h("footer", { class: "ap-footer" }, copy),
  );

  function onKey(e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    if (TEXT_FIELDS.has(e.target.tagName) || e.target.closest?.(".ap-hm")) return;
    if (e.key === "ArrowRight") stages.step(1)(state);
    else if (e.key === "ArrowLeft") stages.step(-1)(state);
    else return;
    e.preventDefault();
  }
  root.addEventListener("keydown", onKey);


  /** Asks the worker for the current state's trace; only the newest answer is rendered. */
  function request() {
    const n = ++asked;
    const t0 = performance.now();
    root.dataset.busy = "true";
    const answer = (a) => {
      if (n < answered) return;
      answered = n;
      arrived = { ...a, t0, t1: performance.now() };
      // Render in this task: answers come at most one per computation (engine.latest keeps one
      // request in flight), so there is nothing to coalesce, and waiting for the next frame
      // would add up to a frame's time to every update.
      if (!destroyed) render();
    };
    compute({ ...state, stages: [state.stage, "softmax", ...(NEEDS[state.stage] ?? [])] }).then(
      (value) => answer({ ok: true, value }),
      (e) => {
        if (e?.name !== "Stale") answer({ ok: false, message: e instanceof Error ? e.message : String(e) });
      },
    );
  }

  /** The current head's (or the layer's) matrix of a stage in the last trace. */
  function matrixOf(t, stage) {
    const layer = t.layers[0];
    const info = vocab.find((s) => s.name === stage);
    if (info.perHead) return layer.heads[0]?.stages.find((m) => m.stage === stage);
    return layer.stages.find((m) => m.stage === stage && m.rowAxis === "query-tokens");
  }

  function labels(axis, t) {
    const dk = t.model.headDim;
    switch (axis) {
      case "query-tokens": return t.tokens.query.map((x) => x.text);
      case "key-tokens": return t.tokens.key.map((x) => x.text);
      case "concat": return Array.from({ length: t.model.heads * dk }, (_, j) => `h${Math.floor(j / dk) + 1}.${j % dk}`);
      default: return Array.from({ length: axis === "model" ? t.model.dModel : dk }, (_, j) => `d${j}`);
    }
  }

  function ctx() {
    const headTrace = trace.layers[0].heads[0];
    return { stage: state.stage, trace, head: state.head, headTrace, get: (name) => matrixOf(trace, name) };
  }

  function showCell(cell) {
    if (!trace || !cell) {
      explainBox.replaceChildren(h("p", { class: "ap-hint", text: "Hover or focus a cell (arrow keys) to see the arithmetic behind it." }));
      delete explainBox.dataset.row;
      return;
    }
    const { value, lines } = explain(ctx(), cell.row, cell.col);
    Object.assign(explainBox.dataset, { row: cell.row, col: cell.col, value: String(value) });
    explainBox.replaceChildren(...lines.map((l) => h("p", { text: l })));
  }

  function activate(cell) {
    if (!trace || !cell) return;
    if (state.stage === "masked") {
      // Toggle a custom-mask pair.
      const has = state.custom.some(([i, j]) => i === cell.row && j === cell.col);
      const custom = has ? state.custom.filter(([i, j]) => !(i === cell.row && j === cell.col)) : [...state.custom, [cell.row, cell.col]];
      update({ custom });
    } else if (state.stage === "input") {
      editing = { matrix: "x", offset: 0, row: cell.row, col: cell.col };
      renderEdit();
    } else if (cell.row < trace.tokens.query.length && (state.stage === "scores" || state.stage === "weighted-sum")) {
      update({ focus: cell.row });
    }
  }

  /** The weight matrix the current Q/K/V stage uses, and where the current head's columns start. */
  function weightSlice() {
    const matrix = { query: "wq", key: "wk", value: "wv" }[state.stage];
    if (!matrix || !trace) return null;
    const group = trace.model.heads / trace.model.kvHeads;
    const owner = matrix === "wq" ? state.head : Math.floor(state.head / group);
    return { matrix, offset: owner * trace.model.headDim };
  }

  /** Value of an editable entry: X (the input stage) or a weight, in the last trace. */
  function entry(e) {
    if (e.matrix === "x") {
      const m = matrixOf(trace, "input");
      return e.row < m.rows && e.col < m.cols ? m.data[e.row * m.cols + e.col] : undefined;
    }
    const w = trace.layers[0].weights.find((x) => x.matrix === e.matrix);
    const col = e.offset + e.col;
    return w && e.row < w.rows && col < w.cols ? w.data[e.row * w.cols + col] : undefined;
  }

  function renderEdit() {
    const slice = weightSlice();
    const fits = editing && trace && (editing.matrix === "x" ? state.stage === "input" : slice && slice.matrix === editing.matrix && slice.offset === editing.offset);
    const current = fits ? entry(editing) : undefined;
    if (current === undefined) {
      editing = null;
      editBox.replaceChildren();
      return;
    }
    const { matrix, row, col, offset } = editing;
    const input = h("input", { type: "number", step: "0.1", id: "ap-edit-value", value: String(Number(current.toFixed(4))) });
    const apply = () => {
      const value = Number(input.value);
      if (input.value.trim() === "" || !Number.isFinite(value)) return say("Type a number to set this entry.", "error");
      const c = offset + col;
      const edits = state.edits.filter((e) => !(e.matrix === matrix && e.row === row && e.col === c));
      update({ edits: [...edits, { matrix, row, col: c, value }] });
    };
    input.addEventListener("keydown", (e) => e.key === "Enter" && apply());
    const name = matrix === "x" ? `X["${trace.tokens.query[row].text}", ${col}]` : `W_${matrix[1].toUpperCase()}[${row}, ${offset + col}]`;
    editBox.replaceChildren(
      h("label", { for: "ap-edit-value", text: `Set ${name} to ` }),
      input,
      h("button", { type: "button", text: "Apply", onclick: apply }),
      h("button", { type: "button", text: "Undo all edits", disabled: state.edits.length === 0, onclick: () => update({ edits: [] }) }),
    );
  }

  function renderWeights() {
    const slice = weightSlice();
    weightSection.hidden = !slice;
    if (!slice) return;
    const w = trace.layers[0].weights.find((x) => x.matrix === slice.matrix);
    const dk = trace.model.headDim;
    const data = new Float32Array(w.rows * dk);
    for (let r = 0; r < w.rows; r++) data.set(w.data.subarray(r * w.cols + slice.offset, r * w.cols + slice.offset + dk), r * dk);
    const letter = slice.matrix[1].toUpperCase();
    weightTitle.textContent = `W_${letter}, columns of head ${slice.offset / dk + 1} (d_model × d_k): press Enter or click an entry to edit it`;
    weightMap.update({
      rows: w.rows, cols: dk, data,
      rowLabels: Array.from({ length: w.rows }, (_, r) => `x${r}`),
      colLabels: Array.from({ length: dk }, (_, c) => `${letter.toLowerCase()}${c}`),
      palette: "diverging", title: `W_${letter} for head ${state.head + 1}`, highlightRow: null, digits: 2,
    });
  }

  function render() {
    const got = arrived;
    arrived = null;
    if (!got) return;
    let fresh = null;
    if (got.ok) {
      fresh = got.value.trace;
      perMask = got.value.perMask;
      if (message.dataset.kind === "error") say("");
    } else {
      say(got.message, "error");
    }
    if (fresh) trace = fresh;
    root.dataset.stage = state.stage;
    root.dataset.head = String(state.head);
    tokens.update(state, fresh);
    if (!trace) {
      finish();
      return;
    }
    const m = matrixOf(trace, state.stage);
    if (!m) {
      // The last good trace lacks this stage (the new state could not be traced): keep what is shown.
      finish();
      return;
    }
    stages.update(state, trace, m);
    const info = vocab.find((s) => s.name === state.stage);
    heatmap.update({
      rows: m.rows,
      cols: m.cols,
      data: m.data,
      rowLabels: labels(m.rowAxis, trace),
      colLabels: labels(m.colAxis, trace),
      palette: state.stage === "softmax" ? "sequential" : "diverging",
      title: `${info.title}${info.perHead ? `, head ${state.head + 1}` : ""}`,
      highlightRow: m.rowAxis === "query-tokens" ? state.focus : null,
      digits: 2,
    });
    const headTrace = trace.layers[0].heads[0];
    follow.update(state, trace, matrixOf(trace, "softmax"), trace.layers[0].heads[0]);
    controls.update(state, trace, headTrace, perMask);
    renderWeights();
    renderEdit();
    if (!explainBox.dataset.row) showCell(null);
    finish();
    // Edit to screen, and the part of it spent waiting for the worker (compute and transfer).
    root.dataset.updateMs = (performance.now() - got.t0).toFixed(2);
    root.dataset.workerMs = (got.t1 - got.t0).toFixed(2);
    root.dataset.tokens = String(trace.tokens.query.length);
  }

  /** Marks the page ready, and idle once the newest request has been rendered. */
  function finish() {
    root.dataset.ready = "true";
    if (answered === asked) delete root.dataset.busy;
  }

  request();
  return {
    get state() {
      return state;
    },
    set(patch, opts) {
      update(patch, { push: false, ...opts });
    },
    /** Replaces the whole state (history navigation), without reporting it back. */
    replace(next) {
      state = normalize(next);
      request();
    },
    destroy() {
      destroyed = true;
      heatmap.destroy();
      weightMap.destroy();
      root.removeEventListener("keydown", onKey);
      root.replaceChildren();
    },
  };
}

