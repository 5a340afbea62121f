// The stage stepper and caption: previous/next, a stage picker, the head picker, and the
// caption (title, formula, what and why, the shape).
// createStages(vocab, {onStage(name), onHead(h)}) -> {el, update(state, trace, matrix)}
import { h } from "../../dom.js";

export function createStages(vocab, { onStage, onHead }) {
  const names = vocab.map((s) => s.name);
  const step = (d) => (state) => {
    const i = names.indexOf(state.stage) + d;
    if (i >= 0 && i < names.length) onStage(names[i]);
  };
  let current = null;
  const prev = h("button", { type: "button", id: "ap-prev", text: "← Previous", onclick: () => step(-1)(current) });
  const next = h("button", { type: "button", id: "ap-next", text: "Next →", onclick: () => step(1)(current) });
  const select = h("select", { id: "ap-stage", "aria-label": "Stage", onchange: () => onStage(select.value) },
    ...vocab.map((s, i) => h("option", { value: s.name, text: `${i + 1}. ${s.title}` })));
  const head = h("select", { id: "ap-head", "aria-label": "Head", onchange: () => onHead(Number(head.value)) });
  const title = h("h2", { class: "ap-stage-title" });
  const formula = h("p", { class: "ap-formula" });
  const text = h("p", { class: "ap-caption-text" });
  const shape = h("p", { class: "ap-shape" });
  const caption = h("div", { id: "ap-caption", "aria-live": "polite" }, title, formula, text, shape);
  const el = h("section", { class: "ap-stages", "aria-label": "Stages" },
    h("nav", { class: "ap-stepper", "aria-label": "Step through the stages" }, prev, select, next, h("label", { class: "ap-head-label" }, "Head ", head)),
    caption);

  function update(state, trace, matrix) {
    current = state;
    const i = names.indexOf(state.stage);
    const s = vocab[i];
    select.value = state.stage;
    prev.disabled = i === 0;
    next.disabled = i === names.length - 1;
    const n = trace?.model.heads ?? state.heads;
    if (head.options.length !== n) head.replaceChildren(...Array.from({ length: n }, (_, k) => h("option", { value: String(k), text: String(k + 1) })));
    head.value = String(state.head);
    head.disabled = !s.perHead;
    title.textContent = `${i + 1}. ${s.title}${s.perHead ? ` (head ${state.head + 1})` : ""}`;
    formula.textContent = s.formula;
    text.textContent = s.caption;
    const axis = { "query-tokens": "query tokens", "key-tokens": "key tokens", model: "d_model", head: "d_k", concat: "heads × d_k" };
    shape.textContent = matrix ? `Shape: ${matrix.rows} × ${matrix.cols} (${axis[s.rowAxis]} × ${axis[s.colAxis]})` : "";
  }
  return { el, update, step };
}
