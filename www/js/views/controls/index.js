// The knobs: the model's layer and its own options (built from the engine's option specs; the
// model picker is views/models), the scale, and the masks (with the count of kept query-key pairs). Every
// control writes through onChange(patch).
// createControls({onChange(patch)}) -> {el, update(state, {catalog, card, size}, trace, headTrace, perMask)}
import { h, fmt, focused } from "../../dom.js";
import { validValues, MASK_STAGE } from "../../state.js";

/** The model options shown before "More model options" (the card lists them most-used first). */
const BASIC_OPTIONS = 2;

/** Int options with at most this many valid values get a select; others a number input. */
const SELECT_AT_MOST = 64;

const num = (id, label, min, max, onChange, step = 1) => {
  const input = h("input", { id, type: "number", min, max, step, inputmode: "numeric" });
  input.addEventListener("change", () => {
    const v = Number(input.value);
    if (Number.isFinite(v)) onChange(Math.min(max, Math.max(min, Math.round(v / step) * step)));
  });
  return [h("label", { for: id, text: label }), input];
};
const check = (id, label, onChange) => {
  const input = h("input", { id, type: "checkbox", onchange: () => onChange(input.checked) });
  return [input, h("label", { for: id, text: label })];
};
const select = (id, label, onChange, parse = Number) => {
  const el = h("select", { id, onchange: () => onChange(parse(el.value)) });
  return [h("label", { for: id, text: label }), el];
};
const options = (el, values, current, text = String) => {
  const key = values.join(",");
  if (el.dataset.values !== key) {
    el.replaceChildren(...values.map((v) => h("option", { value: String(v), text: text(v) })));
    el.dataset.values = key;
  }
  el.value = String(current);
};

/** One control per option of the model, from its spec: `#ap-<name in lower case>`. */
function optionControls(card, onChange) {
  return card.options.map((spec) => {
    const id = `ap-${spec.name.toLowerCase()}`;
    const set = (v) => onChange({ [spec.name]: v });
    if (spec.kind === "bool") {
      const [input, label] = check(id, spec.title, set);
      return { spec, input, els: [h("span", { class: "ap-check" }, input, label)] };
    }
    const few = spec.max - spec.min < SELECT_AT_MOST;
    const [label, input] = few ? select(id, spec.title, set) : num(id, spec.title, spec.min, spec.max, set);
    return { spec, input, few, els: [label, input] };
  });
}

export function createControls({ onChange }) {
  const set = (field) => (v) => onChange({ [field]: v });
  const [layerL, layer] = select("ap-layer", "Layer", set("layer"));
  const modelBox = h("div", { class: "ap-grid" });
  const about = h("p", { id: "ap-model-about", class: "ap-hint" });
  let built = null; // the option controls of the model shown: {key, controls}

  const scale = h("input", { id: "ap-scale", type: "range", min: -3, max: 3, step: 0.05, "aria-describedby": "ap-scale-value" });
  const scaleValue = h("output", { id: "ap-scale-value", for: "ap-scale" });
  const [noScale, noScaleL] = check("ap-noscale", "No scaling (scale = 1)", (on) => onChange({ scale: on ? 1 : null }));
  const reset = h("button", { type: "button", id: "ap-scale-reset", text: "1/√d_k", onclick: () => onChange({ scale: null }) });
  let defaultScale = 0.25;
  scale.addEventListener("input", () => onChange({ scale: Number((defaultScale * 2 ** Number(scale.value)).toPrecision(4)) }));
  const readout = h("p", { id: "ap-saturation", class: "ap-readout", "aria-live": "polite" });

  const [causal, causalL] = check("ap-mask-causal", "Causal (no looking ahead)", set("causal"));
  const [winL, win] = num("ap-mask-window", "Sliding window size (0 = off)", 0, 4096, set("window"));
  const [winC, winCL] = check("ap-mask-window-causal", "Window looks back only", set("windowCausal"));
  const [gwL, gw] = num("ap-mask-global-window", "Global+local window (0 = off)", 0, 4096, set("globalWindow"));
  const globals = h("div", { class: "ap-token-picks", role: "group", "aria-label": "Global tokens" });
  const padding = h("div", { class: "ap-token-picks", role: "group", "aria-label": "Padding tokens (keys hidden from every query)" });
  const [blkL, blk] = num("ap-mask-block", "Block-sparse block size (0 = off)", 0, 512, set("block"));
  const [blL, bl] = num("ap-mask-block-local", "Neighbour blocks", 0, 16, set("blockLocal"));
  const [brL, br] = num("ap-mask-block-random", "Random blocks", 0, 16, set("blockRandom"));
  const customHint = h("p", { class: "ap-hint" });
  const customReset = h("button", { type: "button", id: "ap-mask-custom-reset", text: "Clear custom cells", onclick: () => onChange({ custom: [] }) });
  const cost = h("p", { id: "ap-mask-cost", class: "ap-readout", "aria-live": "polite" });

  // A token picker (a checkbox per token, the first 64): its boxes are made once and edited in
  // place (rebuilt on every keystroke they cost more than a millisecond).
  const picker = (box, field) => {
    const made = [];
    let chosen = [];
    const pick = (i) => (made[i] ??= (() => {
      const id = `ap-pick-${`${box.getAttribute("aria-label").slice(0, 3)}-${i}`.replace(/\W/g, "")}`;
      const input = h("input", { type: "checkbox", id });
      input.addEventListener("change", () => onChange({ [field]: input.checked ? [...chosen, i].sort((a, b) => a - b) : chosen.filter((x) => x !== i) }));
      const label = h("label", { for: id });
      return { el: h("span", { class: "ap-pick" }, input, label), input, label };
    })());
    return (tokens, next) => {
      chosen = next;
      const shown = tokens.slice(0, 64).map((t, i) => {
        const p = pick(i);
        if (p.label.textContent !== t.text) p.label.textContent = t.text;
        p.input.checked = next.includes(i);
        return p.el;
      });
      if (shown.length !== box.childNodes.length || shown.some((el, i) => box.childNodes[i] !== el)) box.replaceChildren(...shown);
    };
  };
  const pickGlobals = picker(globals, "globals");
  const pickPadding = picker(padding, "padding");

  // By need: each group shows its common controls; "More …" holds the rest and opens by itself
  // when one of them is set (a link that uses it). On phones the groups start closed, so the
  // figure stays in view.
  const phone = typeof matchMedia === "function" && matchMedia("(max-width: 40rem)").matches;
  const group = (id, title, ...kids) => h("details", { id, class: "ap-group", open: !phone }, h("summary", { text: title }), ...kids);
  const modelMore = h("div", { class: "ap-grid" });
  const moreModel = h("details", { class: "ap-more", id: "ap-more-model" }, h("summary", { text: "More model options" }), modelMore);
  const moreMasks = h("details", { class: "ap-more", id: "ap-more-masks" },
    h("summary", { text: "More masks: global tokens, padding, block-sparse, custom" }),
    h("div", { class: "ap-grid" }, gwL, gw),
    h("p", { class: "ap-hint", text: "Global tokens (see and are seen by all):" }), globals,
    h("p", { class: "ap-hint", text: "Padding (keys no query may see):" }), padding,
    h("div", { class: "ap-grid" }, blkL, blk, blL, bl, brL, br),
    customHint,
    customReset);
  const el = h("section", { id: "ap-controls", class: "ap-controls", "aria-label": "Settings" },
    group("ap-group-model", "Model", about, modelBox, moreModel),
    group("ap-group-scale", "Scale and softmax saturation",
      h("div", { class: "ap-scale" }, h("label", { for: "ap-scale", text: "Scale" }), scale, scaleValue, reset, h("span", { class: "ap-check" }, noScale, noScaleL)),
      readout),
    group("ap-group-masks", "Masks (a pair is kept only if every mask keeps it)",
      h("div", { class: "ap-grid" },
        h("span", { class: "ap-check" }, causal, causalL), h("span"),
        winL, win, h("span", { class: "ap-check" }, winC, winCL), h("span")),
      moreMasks,
      cost));

  function update(state, { catalog, card, size }, trace, headTrace, perMask = []) {
    const key = `${card.name}|${size.layers}`;
    if (built?.key !== key) {
      built = { key, controls: optionControls(card, onChange) };
      const pickers = [];
      if (size.layers > 1) pickers.push(layerL, layer);
      // The card lists its options most-used first: the first two show, the rest under "More".
      modelBox.replaceChildren(...pickers, ...built.controls.slice(0, BASIC_OPTIONS).flatMap((c) => c.els));
      modelMore.replaceChildren(...built.controls.slice(BASIC_OPTIONS).flatMap((c) => c.els));
      moreModel.hidden = built.controls.length <= BASIC_OPTIONS;
      about.textContent = `${card.title}: ${card.description}`;
      const maskStage = card.stages.includes(MASK_STAGE) && catalog.stages.find((s) => s.name === MASK_STAGE);
      customHint.textContent = maskStage ? `Custom: on the “${maskStage.title}” stage, press Enter or click a cell to remove or restore that pair.` : "";
      customHint.hidden = customReset.hidden = !maskStage;
    }
    options(layer, Array.from({ length: size.layers }, (_, i) => i), state.layer, (i) => String(i + 1));
    for (const { spec, input, few } of built.controls) {
      if (spec.kind === "bool") input.checked = state[spec.name];
      else if (few) options(input, validValues(spec, { ...card, ...state }), state[spec.name]);
      else if (!focused(input)) input.value = String(state[spec.name]);
    }
    const dk = size.headDim;
    defaultScale = 1 / Math.sqrt(dk);
    const s = state.scale ?? defaultScale;
    if (!focused(scale)) scale.value = String(Math.log2(s / defaultScale));
    noScale.checked = state.scale === 1;
    scaleValue.textContent = `${fmt(s, 3)}${state.scale === null ? ` = 1/√${dk} (default)` : ""}`;
    causal.checked = state.causal;
    if (!focused(win)) win.value = String(state.window);
    winC.checked = state.windowCausal;
    if (!focused(gw)) gw.value = String(state.globalWindow);
    if (!focused(blk)) blk.value = String(state.block);
    if (!focused(bl)) bl.value = String(state.blockLocal);
    if (!focused(br)) br.value = String(state.blockRandom);
    customReset.disabled = state.custom.length === 0;
    // A "More" part opens by itself when something in it is set (it never closes by itself).
    if (built.controls.slice(BASIC_OPTIONS).some(({ spec }) => state[spec.name] !== spec.default)) moreModel.open = true;
    if (state.globalWindow || state.globals.length || state.padding.length || state.block || state.custom.length) moreMasks.open = true;
    if (!trace) return;
    pickGlobals(trace.tokens.query, state.globals);
    pickPadding(trace.tokens.key, state.padding);
    const { allowedPairs, totalPairs, emptyRows } = trace.mask;
    const each = perMask.length > 1 ? ` (${perMask.map(([label, n]) => `${label} alone: ${n}`).join(", ")})` : "";
    cost.textContent = `Kept: ${allowedPairs} of ${totalPairs} query-key pairs (${((100 * allowedPairs) / totalPairs).toFixed(1)} %)${each}` +
      (emptyRows.length ? `; ${emptyRows.length} token(s) see no key at all (their output is zero)` : "");
    if (headTrace) {
      const n = headTrace.entropy.length;
      const meanH = headTrace.entropy.reduce((a, b) => a + b, 0) / n;
      const meanMax = headTrace.maxWeight.reduce((a, b) => a + b, 0) / n;
      const uniform = Math.log2(trace.tokens.key.length);
      readout.textContent = `Head ${state.head + 1}: mean entropy ${fmt(meanH, 2)} bits (uniform would be ${fmt(uniform, 2)}), mean largest weight ${fmt(meanMax, 2)}. ` +
        (meanMax > 0.9 ? "Softmax is saturated: almost all weight goes to one key." : meanH > 0.9 * uniform ? "Weights are nearly uniform." : "");
    }
  }
  return { el, update };
}
