// The stage stepper and caption: previous/next, a stage picker, the head picker, and the
// caption (title, formula, what and why, the shape).
// createStages({onStage(name), onHead(h)}) -> {el, update(state, stages, heads, matrix), step(d)}
import { h } from "../../dom.js";
import { axisWords } from "../../state.js";


export function createStages({ onStage, onHead }) {
  let current = null; // {state, stages} of the last update
  const step = (d) => (state) => {
    if (!current) return;
    const names = current.stages.map((s) => s.name);
    const i = names.indexOf(state.stage) + d;
    if (i >= 0 && i < names.length) onStage(names[i]);
  };
  const prev = h("button", { type: "button", id: "ap-prev", text: "← Previous", onclick: () => step(-1)(current.state) });
  const next = h("button", { type: "button", id: "ap-next", text: "Next →", onclick: () => step(1)(current.state) });
  const select = h("select", { id: "ap-stage", "aria-label": "Stage", onchange: () => onStage(select.value) });
  const head = h("select", { id: "ap-head", "aria-label": "Head", onchange: () => onHead(Number(head.value)) });
  const title = h("h2", { class: "ap-stage-title" });
  const formula = h("p", { class: "ap-formula" });
  const text = h("p", { class: "ap-caption-text" });
  const shape = h("p", { class: "ap-shape" });
  const caption = h("div", { id: "ap-caption", "aria-live": "polite" }, title, formula, text, shape);
  const el = h("section", { class: "ap-stages", "aria-label": "Stages" },
    h("nav", { class: "ap-stepper", "aria-label": "Step through the stages" }, prev, select, next, h("label", { class: "ap-head-label" }, "Head ", head)),
    caption);

  /** `stages`: the model's stages (the engine's vocabulary entries, lesson order); `heads`: its head count. */
  function update(state, stages, heads, matrix) {
    current = { state, stages };
    const key = stages.map((s) => s.name).join(",");
    if (select.dataset.stages !== key) {
      select.replaceChildren(...stages.map((s, i) => h("option", { value: s.name, text: `${i + 1}. ${s.title}` })));
      select.dataset.stages = key;
    }
    const i = stages.findIndex((s) => s.name === state.stage);
    const s = stages[i];
    select.value = state.stage;
    prev.disabled = i === 0;
    next.disabled = i === stages.length - 1;
    if (head.options.length !== heads) head.replaceChildren(...Array.from({ length: heads }, (_, k) => h("option", { value: String(k), text: String(k + 1) })));
    head.value = String(state.head);
    head.disabled = !s.perHead;
    title.textContent = `${i + 1}. ${s.title}${s.perHead ? ` (head ${state.head + 1})` : ""}`;
    formula.textContent = s.formula;
    text.textContent = s.caption;
    shape.textContent = matrix ? `Shape: ${matrix.rows} × ${matrix.cols} (${axisWords(s.rowAxis)} × ${axisWords(s.colAxis)})` : "";
  }
  return { el, update, step };
}
