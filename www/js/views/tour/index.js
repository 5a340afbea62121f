// The guided tour (issue 12): being written; this file fixes its contract with playground.js.
// createTour({onSet(patch, {push}), onEnd()}) -> {el, update(state, facts)}
//   state.tour: the step shown (null: no tour; the panel is hidden)
//   facts: see README.md (tokens, the effective followed token, the head's weights, …)
import { h } from "../../dom.js";

export function createTour({ onSet }) {
  const start = h("button", { type: "button", id: "ap-tour-start", text: "Take the guided tour", onclick: () => onSet({ tour: 0 }) });
  const el = h("section", { id: "ap-tour", class: "ap-tour", "aria-label": "Guided tour" }, start);
  function update(state) {
    start.hidden = state.tour !== null;
  }
  return { el, update };
}
