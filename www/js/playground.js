// The playground component: mounts the whole UI into a root element and renders one state.
//
//   const pg = mount(root, state, { catalog, compute, onChange(state, { push }) {} });
//     catalog               the engine's {stages, models} (what engine.start() reports): every
//                           stage, model, option, size and editable matrix the page shows
//     compute(calls)        Promise of the results of a batch of engine calls ([{method, args}]),
//                           run in the compute worker; a request that a newer one overtook
//                           rejects with an error named "Stale", which is ignored
//     models                for models with file weights (the card's `weights: "file"`):
//                           {manifest(), load(name, {onProgress}), cancel()} (engine.js); without
//                           it such a model cannot be chosen
//     onChange(state, {push, replace})   the state changed (replace: the same view, now shown)
//     parts                 the parts an embedder shows (the custom element's `controls`: a Set
//                           of names, see element/attributes.js), or null: the whole page. Without
//                           "stepper" the arrow keys do not step the stages; without "stage" a
//                           cell of the stage is not edited or toggled
//     link(state)           the URL "Copy link" copies (default: this page's address)
//     onError(message)      a view could not be computed, or a model's files did not load (the
//                           message is also shown in #ap-message)
//     onRender()            a view was drawn (the first time: the figure is ready)
//   pg.state            the current state (a plain object, see state.js)
//   pg.set(patch)       merge a patch into the state and re-render
//   pg.pause()          answers are kept, not drawn (an embedded figure far off screen)
//   pg.resume()         draws the newest answer kept while paused, and draws again from then on
//   pg.destroy()
//
// The component owns no hidden state beyond what `state` holds, so an embedder (custom element,
// iframe) can save, share and restore any view by its state alone.
import { h } from "./dom.js";
import { normalize, modelOf, sizes, editableOn, weightMatrices, needsFiles, fallbackModel, WEIGHTS_STAGE, MASK_STAGE } from "./state.js";
import { tokenizeCalls, countsOf, countProblem, viewCalls, viewOf, gridCall } from "./engine/request.js";
import { kept, pick, sensibleFocus } from "./subwords.js";
import { createHeatmap } from "./components/heatmap/index.js";
import { createTokens } from "./views/tokens/index.js";
import { createStages } from "./views/stages/index.js";
import { createFollow } from "./views/follow/index.js";
import { createControls } from "./views/controls/index.js";
import { createWeights } from "./views/weights/index.js";
import { explain, sources } from "./views/explain/index.js";
import { createModels } from "./views/models/index.js";
import { createHeads } from "./views/heads/index.js";
import { createLayers } from "./views/layers/index.js";
import { createTour } from "./views/tour/index.js";
import { createFlow } from "./views/flow/index.js";
import { createExport } from "./views/export/index.js";

const TEXT_FIELDS = new Set(["INPUT", "TEXTAREA", "SELECT"]);


/** Whether two states show the same view (they differ at most in the backend choice). */
const sameView = (a, b) => JSON.stringify({ ...a, backend: null, tour: null }) === JSON.stringify({ ...b, backend: null, tour: null });

/**
 * Colours of matrices along d_model are scaled to the 99th percentile of |value|: a few of a real
 * model's dimensions are a hundred times larger than the rest and would leave every other cell white.
 */
const CLIP = { model: 0.99 };

/** State fields that change no weight (the weight heatmap is not redrawn for them). */
const VIEW_ONLY = new Set(["sentence", "context", "mode", "focus", "stage", "weight", "scale", "causal", "window", "windowCausal", "globals", "globalWindow", "padding", "block", "blockLocal", "blockRandom", "blockSeed", "custom", "hideSpecial", "backend", "tour"]);

class Stale extends Error {
  name = "Stale";
}

export function mount(root, initial, { catalog, compute, models = null, onChange = () => {}, parts = null, link = () => location.href, onError = () => {}, onRender = () => {} }) {
  const shows = (part) => parts === null || parts.has(part);
  let state = normalize(initial, catalog);
  let shown = null; // the last view that rendered: {trace, perMask, layer, head}
  let arrived = null; // the newest answer not rendered yet: {ok, value | message, t0, t1}
  let asked = 0; // requests made
  let answered = 0; // the newest request answered
  let counted = null; // the last token counts: {key, nq, nk}
  let destroyed = false;
  let paused = false;
  let editing = null; // {matrix, row, col} of an entry being edited (matrix coordinates)
  let gridShown = null; // the maps of every layer and head for the last view: {key, value}
  let facts = null; // what the tour reads of the last view (see views/tour/README.md)
  let crop = { rows: null, cols: null }; // the token indices the heatmap shows (null: all)
  // Models with file weights: those loaded in the worker, the manifest (for the download sizes)
  // and the load in progress or last finished: {name, phase: "loading" | "done" | "error" |
  // "cancelled", progress, error, result}. `target` is the patch that waits for the load.
  const loadedModels = new Set();
  let manifest = null;
  let load = null;
  let target = null;

  const card = () => modelOf(catalog, state.model);
  const stageInfo = (name) => catalog.stages.find((s) => s.name === name);

  const message = h("p", { id: "ap-message", role: "status", class: "ap-message" });
  const say = (text, kind = "info") => {
    message.textContent = text;
    message.dataset.kind = kind;
  };

  const waits = (name) => needsFiles(catalog, name) && !loadedModels.has(name);

  const update = (patch, opts = {}) => {
    const next = normalize({ ...state, ...patch }, catalog);
    if (next.model !== state.model && waits(next.model)) {
      startLoad(next.model, patch);
      return;
    }
    // Another model chosen while one loads: stop that download.
    if ("model" in patch && load?.phase === "loading" && load.name !== next.model) stopLoad();
    if (JSON.stringify(next) === JSON.stringify(state)) return;
    const same = sameView(next, state);
    state = next;
    tour.update(state, facts);
    // The backend choice routes the worker's attentionAsync calls (the long-context run in the
    // header), not the trace: the view shown stays as it is.
    if (!same) request();
    onChange(state, { push: opts.push !== false, replace: opts.replace === true });
  };

  /**
   * Loads a model's files in the worker, then applies `patch` (the choice that needs them);
   * `opening`: the first state asked for it (a link), so the history entry is replaced, not added.
   */
  function startLoad(name, patch, opening = false) {
    target = patch;
    if (!models) {
      load = { name, phase: "error", error: "this page was not given a way to load model files." };
      renderModels();
      return;
    }
    if (load?.phase === "loading" && load.name === name) return;
    const mine = { name, phase: "loading", progress: null };
    load = mine;
    root.dataset.modelLoad = "loading";
    renderModels();
    models.load(name, {
      onProgress: (p) => {
        if (load !== mine) return;
        mine.progress = p;
        renderModels();
      },
    }).then(
      (result) => {
        loadedModels.add(name);
        if (load !== mine) return;
        load = { name, phase: "done", result };
        root.dataset.modelLoad = "done";
        state = normalize({ ...state, ...target }, catalog);
        target = null;
        request();
        onChange(state, opening ? { push: false, replace: true } : { push: true });
        renderModels();
      },
      (e) => {
        if (load !== mine) return;
        const cancelled = e?.name === "Cancelled";
        load = { name, phase: cancelled ? "cancelled" : "error", error: e instanceof Error ? e.message : String(e) };
        root.dataset.modelLoad = load.phase;
        renderModels();
        if (!cancelled) onError(`The model ${name} did not load: ${load.error}`);
      },
    );
  }

  function stopLoad() {
    const was = load;
    if (was?.phase !== "loading") return;
    load = { name: was.name, phase: "cancelled" };
    root.dataset.modelLoad = "cancelled";
    models?.cancel().catch(() => {});
    renderModels();
  }

  const modelsView = createModels({
    onPick: (name) => update({ model: name, layer: 0, head: 0, edits: [] }),
    onCancel: () => stopLoad(),
    onRetry: () => load && startLoad(load.name, target ?? { model: load.name, layer: 0, head: 0, edits: [] }),
  });
  const renderModels = () => modelsView.update(state, { catalog, manifest, load });

  const tokens = createTokens({
    onInput: (field, text) => update({ [field]: text }, { push: false }),
    onPreset: (text) => update({ sentence: text, focus: null, custom: [], padding: [], globals: [], edits: [] }),
    onFollow: (i) => update({ focus: i }),
    onMode: (mode) => update({ mode, custom: [], padding: [] }),
    onHideSpecial: (on) => update({ hideSpecial: on }),
  });
  const heads = createHeads({
    onPick: ({ layer, head }) => {
      const stage = card().stages.includes(WEIGHTS_STAGE) ? WEIGHTS_STAGE : state.stage;
      update({ layer, head, stage });
      stages.el.scrollIntoView?.({ block: "start" });
    },
  });
  const layersView = createLayers({ onLayer: (layer) => update({ layer }) });
  const stages = createStages({
    onStage: (stage) => update({ stage }),
    onHead: (head) => update({ head }),
  });
  const follow = createFollow({ onFollow: (i) => update({ focus: i }) });
  const controls = createControls({ onChange: (patch) => update(patch) });
  const tour = createTour({ onSet: (patch, opts) => update(patch, opts), onEnd: () => update({ tour: null }) });

  const explainBox = h("div", { id: "ap-explain", class: "ap-explain", "aria-live": "polite" });
  const editBox = h("div", { class: "ap-edit" });
  let weightShown = null; // the weight slice on screen: {matrix, row0, col0}
  let weightDrawn = null; // what the weight heatmap last drew: {key}
  const weights = createWeights({
    onPick: (weight) => update({ weight }),
    onActivate: (e) => {
      editing = e;
      renderEdit();
    },
  });
  const matrixBox = h("div", { id: "ap-matrix", class: "ap-matrix" });
  // The heatmap may show a part of the matrix (special tokens hidden): its cells are mapped back
  // to the whole matrix's rows and columns before anything reads them.
  const whole = (cell) => cell && { ...cell, row: crop.rows ? crop.rows[cell.row] : cell.row, col: crop.cols ? crop.cols[cell.col] : cell.col };
  const heatmap = createHeatmap(matrixBox, {
    onCell: (cell) => showCell(whole(cell)),
    onActivate: (cell) => activate(whole(cell)),
  });
  const copy = h("button", {
    type: "button",
    id: "ap-copy-link",
    text: "Copy link to this view",
    onclick: async () => {
      const href = link(state);
      try {
        await navigator.clipboard.writeText(href);
        say("Link copied: it restores exactly this view.");
      } catch {
        say(`Copy this link: ${href}`);
      }
    },
  });

  const flow = createFlow({ onStage: (stage) => update({ stage }) });
  let figure = null; // what the stage's heatmap shows, for the exports (set by render)
  const exporter = createExport({ figure: () => figure });
  const stageBox = h("section", { class: "ap-stage", "aria-label": "The current stage" }, matrixBox, exporter.el, explainBox, editBox);
  let stageDrawn = null; // the stage drawn last (a new one slides in from the side it comes from)

  // The sentence and the flow of every stage across the top; below, the stage shown large and
  // beside it (wide screens) the followed token and the settings; one column on phones.
  root.classList.add("ap");
  root.replaceChildren(
    h("div", { class: "ap-compose" }, tokens.el, tour.el, message),
    h("section", { class: "ap-figure", "aria-label": "The computation" }, stages.el, flow.el),
    stageBox,
    h("div", { class: "ap-main" }, heads.el, layersView.el, weights.el, h("footer", { class: "ap-footer" }, copy)),
    h("aside", { class: "ap-side", "aria-label": "The followed token and the settings" }, follow.el, modelsView.el, controls.el),
  );

  function onKey(e) {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || !shows("stepper")) return;
    if (TEXT_FIELDS.has(e.target.tagName) || e.target.closest?.(".ap-hm, .ap-heads-grid")) return;
    if (e.key === "ArrowRight") stages.step(1)(state);
    else if (e.key === "ArrowLeft") stages.step(-1)(state);
    else return;
    e.preventDefault();
  }
  root.addEventListener("keydown", onKey);

  /**
   * The view of a state: its token counts (asked once per text), then the trace and mask counts.
   * A new text's counts are asked in the same message as the view, traced at the last text's
   * counts: they hold while a word is being typed, and the answer then comes a round trip sooner;
   * when they do not, the worker stops after the counts and the view is asked again.
   */
  async function view(s, n) {
    const key = JSON.stringify([s.model, s.mode, s.sentence, s.mode === "cross" ? s.context : null]);
    /** The calls of the view at these counts (the learner's problem with them thrown). */
    const plan = ({ nq, nk }) => {
      const problem = countProblem(s, catalog, nq, nk);
      if (problem) throw new Error(problem);
      // Every stage of the layer and head shown: the flow draws them all.
      const { calls, labels } = viewCalls(s, catalog, nq, nk, modelOf(catalog, s.model).stages);
      // The maps of every layer and head, asked again only when what they depend on changed.
      const grid = gridCall(s, catalog, nq, nk);
      const fresh = grid && gridShown?.key !== grid.key;
      return { calls: fresh ? [...calls, grid.call] : calls, labels, grid, fresh };
    };
    let asking = null; // the plan asked for, and its results when they came with the counts
    let results = null;
    if (counted?.key !== key) {
      const last = counted && { nq: counted.nq, nk: s.mode === "cross" ? counted.nk : counted.nq };
      const guess = last && !countProblem(s, catalog, last.nq, last.nk) ? last : null;
      const count = tokenizeCalls(s, guess);
      asking = guess && plan(guess);
      const answer = await compute(asking ? [...count, ...asking.calls] : count);
      const counts = countsOf(answer, s);
      counted = { key, ...counts };
      if (asking && counts.nq === guess.nq && counts.nk === guess.nk) results = answer.slice(count.length);
      else asking = null;
    }
    if (n !== asked) throw new Stale(); // a newer state came while the tokens were counted
    asking ??= plan(counted);
    results ??= await compute(asking.calls);
    if (asking.fresh) gridShown = { key: asking.grid.key, value: results.pop() };
    return { ...viewOf(results, asking.labels), layer: s.layer, head: s.head, grid: asking.grid ? gridShown.value : null };
  }

  /** Asks the worker for the current state's view; only the newest answer is rendered. */
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
      if (!destroyed && !paused) render();
    };
    view(state, n).then(
      (value) => answer({ ok: true, value }),
      (e) => {
        if (e?.name !== "Stale") answer({ ok: false, message: e instanceof Error ? e.message : String(e) });
      },
    );
  }

  /** The followed query token: the learner's choice, else the page's (sensibleFocus). */
  const focusOf = (s, trace) => (s.focus !== null && s.focus < trace.tokens.query.length ? s.focus : sensibleFocus(trace.tokens.query));

  /** The traced layer and head of a view (found by their numbers, never by position). */
  const layerOf = (v) => v.trace.layers.find((l) => l.layer === v.layer);
  const headOf = (v) => layerOf(v)?.heads.find((x) => x.head === v.head);

  /**
   * A stage's matrix in a view: the head's, or the layer's along the stage's own row axis; a stage
   * the layer shown lacks (the embeddings, traced before the first layer only) from layer 0.
   */
  function matrixOf(v, stage) {
    const info = stageInfo(stage);
    if (!info) return undefined;
    const find = (layer) => {
      const from = info.perHead ? layer?.heads.find((x) => x.head === v.head) : layer;
      return from?.stages.find((m) => m.stage === stage && m.rowAxis === info.rowAxis);
    };
    return find(layerOf(v)) ?? (v.layer !== 0 ? find(v.trace.layers.find((l) => l.layer === 0)) : undefined);
  }
  /** Whether the layer shown has this stage itself (not only layer 0, before the first layer). */
  const ownStage = (v, stage) => v.layer === 0 || layerOf(v)?.stages.some((m) => m.stage === stage) || headOf(v)?.stages.some((m) => m.stage === stage);

  function labels(axis, t) {
    const dk = t.model.headDim;
    const count = (n, name) => Array.from({ length: n }, (_, j) => name(j));
    switch (axis) {
      case "query-tokens": return t.tokens.query.map((x) => x.text);
      case "key-tokens": return t.tokens.key.map((x) => x.text);
      case "concat": return count(t.model.heads * dk, (j) => `h${Math.floor(j / dk) + 1}.${j % dk}`);
      case "kv-concat": return count(t.model.kvHeads * dk, (j) => `kv${Math.floor(j / dk) + 1}.${j % dk}`);
      case "model": return count(t.model.dModel, (j) => `d${j}`);
      default: return count(axis === "head" ? dk : 0, (j) => `d${j}`);
    }
  }

  function ctx() {
    return { stage: state.stage, trace: shown.trace, head: state.head, headTrace: headOf(shown), get: (name) => matrixOf(shown, name) };
  }

  function showCell(cell) {
    flow.mark(shown && cell ? sources(state.stage, cell.row, cell.col, { cross: state.mode === "cross" }) : []);
    if (!shown || !cell || !matrixOf(shown, state.stage)) {
      explainBox.replaceChildren(h("p", { class: "ap-hint", text: "Hover or focus a cell (arrow keys) to see the arithmetic behind it." }));
      delete explainBox.dataset.row;
      return;
    }
    const { value, lines } = explain(ctx(), cell.row, cell.col);
    Object.assign(explainBox.dataset, { row: cell.row, col: cell.col, value: String(value) });
    explainBox.replaceChildren(...lines.map((l) => h("p", { text: l })));
  }

  function activate(cell) {
    if (!shown || !cell || !shows("stage")) return;
    const info = stageInfo(state.stage);
    const editable = inputOn(state.stage);
    if (state.stage === MASK_STAGE) {
      // Toggle a custom-mask pair.
      const has = state.custom.some(([i, j]) => i === cell.row && j === cell.col);
      const custom = has ? state.custom.filter(([i, j]) => !(i === cell.row && j === cell.col)) : [...state.custom, [cell.row, cell.col]];
      update({ custom });
    } else if (editable) {
      editing = { matrix: editable.matrix, row: cell.row, col: cell.col };
      renderEdit();
    } else if (info.rowAxis === "query-tokens" && cell.row < shown.trace.tokens.query.length) {
      update({ focus: cell.row });
    }
  }

  /** The input matrix (X) a stage shows, editable entry by entry: the model's input is layer 0's. */
  const inputOn = (stage) => (state.layer === 0 ? editableOn(catalog, state.model, stage) : null);

  /** The current value of an editable matrix's entry in the last view, or undefined. */
  function entry(e) {
    const on = inputOn(state.stage);
    if (on?.matrix === e.matrix) {
      const m = matrixOf(shown, state.stage);
      return m && e.row < m.rows && e.col < m.cols ? m.data[e.row * m.cols + e.col] : undefined;
    }
    const w = layerOf(shown)?.weights.find((x) => x.matrix === e.matrix);
    return w && e.row < w.rows && e.col < w.cols ? w.data[e.row * w.cols + e.col] : undefined;
  }

  function renderEdit() {
    // An entry stays open while its matrix is on screen: the stage's own, or the weight shown.
    const onScreen = editing && shown && (editing.matrix === inputOn(state.stage)?.matrix || editing.matrix === weightShown?.matrix);
    const current = onScreen ? entry(editing) : undefined;
    if (current === undefined) {
      editing = null;
      editBox.replaceChildren();
      return;
    }
    const { matrix, row, col } = editing;
    const spec = card().editable.find((e) => e.matrix === matrix);
    const input = h("input", { type: "number", step: "0.1", id: "ap-edit-value", value: String(Number(current.toFixed(4))) });
    const apply = () => {
      const value = Number(input.value);
      if (input.value.trim() === "" || !Number.isFinite(value)) return say("Type a number to set this entry.", "error");
      const layer = matrix === weightShown?.matrix ? state.layer : 0;
      const same = (e) => e.matrix === matrix && e.layer === layer && e.row === row && e.col === col;
      update({ edits: [...state.edits.filter((e) => !same(e)), { matrix, layer, row, col, value }] });
    };
    input.addEventListener("keydown", (e) => e.key === "Enter" && apply());
    const rowName = spec.rows === "query-tokens" ? `"${shown.trace.tokens.query[row]?.text}"` : spec.rows === "key-tokens" ? `"${shown.trace.tokens.key[row]?.text}"` : row;
    editBox.replaceChildren(
      h("label", { for: "ap-edit-value", text: `Set ${spec.title}[${rowName}, ${col}] to ` }),
      input,
      h("button", { type: "button", text: "Apply", onclick: apply }),
      h("button", { type: "button", text: "Undo all edits", disabled: state.edits.length === 0, onclick: () => update({ edits: [] }) }),
    );
  }

  function render() {
    const got = arrived;
    arrived = null;
    if (!got) return;
    let fresh = null;
    if (got.ok) {
      fresh = got.value;
      if (message.dataset.kind === "error") say("");
    } else {
      say(got.message, "error");
      onError(got.message);
    }
    if (fresh) shown = fresh;
    root.dataset.stage = state.stage;
    root.dataset.head = String(state.head);
    root.dataset.layer = String(state.layer);
    root.dataset.model = state.model;
    // The followed token: the learner's, else the page's sensible choice ("it" in the example).
    const followed = shown ? { ...state, focus: focusOf(state, shown.trace) } : state;
    tokens.update(followed, fresh?.trace, card());
    renderModels();
    const m = shown && matrixOf(shown, state.stage);
    if (!m) {
      // No view yet, or the last good one lacks this stage (the new state could not be traced):
      // keep what is shown.
      finish();
      return;
    }
    const trace = shown.trace;
    const info = stageInfo(state.stage);
    const model = card();
    const size = sizes(model, state);
    // A model may write a stage's formula its own way (the card's `formulas`: biases, LayerNorm).
    const withFormula = (info) => (model.formulas?.[info.name] ? { ...info, formula: model.formulas[info.name] } : info);
    stages.update(state, model.stages.map(stageInfo).filter(Boolean).map(withFormula), size.heads, m);
    // Special tokens hidden: only the other rows and columns along the token axes.
    const keepQ = kept(trace.tokens.query, state.hideSpecial);
    const keepK = kept(trace.tokens.key, state.hideSpecial);
    const keepOf = (axis, n) => {
      const k = axis === "query-tokens" ? keepQ : axis === "key-tokens" ? keepK : null;
      return k && k.length !== n ? k : null;
    };
    crop = { rows: keepOf(m.rowAxis, m.rows), cols: keepOf(m.colAxis, m.cols) };
    const part = pick(m, crop.rows, crop.cols);
    const cut = (list, idx) => (idx ? idx.map((i) => list[i]) : list);
    const focus = followed.focus;
    if (stageDrawn !== null && stageDrawn !== state.stage) {
      const order = model.stages;
      stageBox.style.setProperty("--ap-enter-from", order.indexOf(state.stage) < order.indexOf(stageDrawn) ? "-12px" : "12px");
      stageBox.classList.remove("ap-entering");
      void stageBox.offsetWidth; // restart the animation
      stageBox.classList.add("ap-entering");
    }
    stageDrawn = state.stage;
    const focusRow = m.rowAxis === "query-tokens" && focus !== null ? (crop.rows ? crop.rows.indexOf(focus) : focus) : -1;
    const spec = {
      rows: part.rows,
      cols: part.cols,
      data: part.data,
      rowLabels: cut(labels(m.rowAxis, trace), crop.rows),
      colLabels: cut(labels(m.colAxis, trace), crop.cols),
      palette: state.stage === WEIGHTS_STAGE ? "sequential" : "diverging",
      title: `${info.title}${info.perHead ? `, head ${state.head + 1}` : ""}` +
        (model.layers > 1 ? (ownStage(shown, state.stage) ? `, layer ${state.layer + 1}` : ", before the first layer") : "") +
        (crop.rows || crop.cols ? " (special tokens hidden)" : ""),
      highlightRow: focusRow >= 0 ? focusRow : null,
      digits: 2,
      clip: CLIP[m.colAxis] ?? null,
    };
    heatmap.update(spec);
    figure = { ...spec, matrix: part, stage: info, model, state, crop };
    const headTrace = headOf(shown);
    // The weight matrix shown: drawn again only when what it shows changed (not the sentence,
    // the masks or the scale), and right after the stage's heatmap, before the other parts
    // change the page, so its one layout read finds the layout clean.
    const choices = weightMatrices(catalog, state.model).filter((e) => layerOf(shown).weights.some((w) => w.matrix === e.matrix));
    // A stage made by a weight (W_Q for the queries) shows that one; other stages the learner's pick.
    const own = choices.find((e) => e.stage === state.stage);
    const weightKey = JSON.stringify([own?.matrix ?? state.weight, ...Object.entries(state).filter(([k]) => !VIEW_ONLY.has(k))]);
    if (weightKey !== weightDrawn?.key) {
      weightShown = weights.update(choices, own?.matrix ?? state.weight, { trace, layer: shown.layer, head: shown.head, weights: layerOf(shown).weights, kvHead: headTrace?.kvHead });
      weightDrawn = { key: weightKey };
    }
    // The maps' tokens are the trace's (same text, same tokenizer); if they ever differ, show all.
    const n = shown.grid?.attentions.seqLen ?? 0;
    const gridKeep = n === trace.tokens.query.length ? keepQ : Array.from({ length: n }, (_, i) => i);
    heads.update(state, shown.grid, gridKeep);
    layersView.update(followed, shown.grid, trace.tokens.query, gridKeep);
    const weightsM = matrixOf(shown, WEIGHTS_STAGE);
    follow.update(followed, trace, weightsM, headTrace, state.hideSpecial ? { query: keepQ, key: keepK } : null);
    const stageInfos = model.stages.map(stageInfo).filter(Boolean).map(withFormula);
    flow.update({
      stages: stageInfos,
      weightsStage: WEIGHTS_STAGE,
      clip: CLIP,
      current: state.stage,
      get: (name) => matrixOf(shown, name),
      focus,
      weights: weightsM && focus !== null && focus < weightsM.rows ? Array.from(weightsM.data.subarray(focus * weightsM.cols, (focus + 1) * weightsM.cols)) : null,
    });
    facts = {
      tokens: trace.tokens.query.map((t) => t.text),
      keys: trace.tokens.key.map((t) => t.text),
      focus,
      weights: weightsM ?? null,
      headTrace: headTrace ? { entropy: headTrace.entropy, maxWeight: headTrace.maxWeight } : null,
      mask: trace.mask,
      scale: trace.scale,
      size,
      card: model,
      grid: shown.grid,
    };
    tour.update(state, facts);
    controls.update(state, { catalog, card: model, size }, trace, headTrace, shown.perMask);
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
    onRender();
  }

  // A model with file weights in the first state (a link): show the first model that needs none
  // while its files load, then the state asked for.
  if (waits(state.model)) {
    const asked = state;
    state = normalize({ ...asked, model: fallbackModel(catalog) }, catalog);
    startLoad(asked.model, asked, true);
  }
  if (models && catalog.models.some((m) => m.weights === "file")) {
    models.manifest().then(
      (m) => {
        manifest = m;
        renderModels();
      },
      () => {}, // no manifest: the picker gives no size; choosing the model says what failed
    );
  }
  renderModels();
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
      const s = normalize(next, catalog);
      if (s.model !== state.model && waits(s.model)) {
        startLoad(s.model, s);
        return;
      }
      const same = sameView(s, state);
      state = s;
      tour.update(state, facts);
      if (!same) request();
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      if (arrived && !destroyed) render();
    },
    destroy() {
      destroyed = true;
      heatmap.destroy();
      weights.destroy();
      root.removeEventListener("keydown", onKey);
      root.replaceChildren();
    },
  };
}
