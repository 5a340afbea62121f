// The layer's editable weight matrices (those along no token axis, from the model's card): a
// picker, and the current head's part of the chosen one as a heatmap whose entries open the
// editor. createWeights({onPick(matrix), onActivate({matrix, row, col})}) ->
//   {el, update(choices, chosen, weight, view) -> shown | null, destroy()}
import { h } from "../../dom.js";
import { headSlice } from "../../state.js";
import { createHeatmap } from "../../components/heatmap/index.js";

export function createWeights({ onPick, onActivate }) {
  const pick = h("select", { id: "ap-weight", "aria-label": "Weight matrix", onchange: () => onPick(pick.value) });
  const title = h("h3", { class: "ap-weights-title" });
  const box = h("div", { id: "ap-weights", class: "ap-matrix" });
  const el = h("div", { class: "ap-weights" }, h("div", { class: "ap-row" }, title, pick), box);
  let shown = null; // the slice on screen: {matrix, row0, col0}
  const map = createHeatmap(box, {
    onCell: () => {},
    onActivate: (cell) => {
      if (cell && shown) onActivate({ matrix: shown.matrix, row: shown.row0 + cell.row, col: shown.col0 + cell.col });
    },
  });

  /**
   * choices: the model's editable weights that this layer's trace carries; chosen: the state's
   * pick; view: {trace, layer, head, weights (the layer's), kvHead}. Returns the slice shown.
   */
  function update(choices, chosen, view) {
    const spec = choices.find((e) => e.matrix === chosen) ?? choices[0];
    el.hidden = !spec;
    shown = null;
    if (!spec) return null;
    const key = choices.map((e) => e.matrix).join(",");
    if (pick.dataset.values !== key) {
      pick.replaceChildren(...choices.map((e) => h("option", { value: e.matrix, text: e.title })));
      pick.dataset.values = key;
    }
    pick.value = spec.matrix;
    const w = view.weights.find((x) => x.matrix === spec.matrix);
    const rows = headSlice(spec.rows, view.trace.model, view.head, view.kvHead, w.rows);
    const cols = headSlice(spec.cols, view.trace.model, view.head, view.kvHead, w.cols);
    const data = new Float32Array(rows.length * cols.length);
    for (let r = 0; r < rows.length; r++) {
      const from = (rows.start + r) * w.cols + cols.start;
      data.set(w.data.subarray(from, from + cols.length), r * cols.length);
    }
    shown = { matrix: spec.matrix, row0: rows.start, col0: cols.start };
    const part = rows.sliced || cols.sliced ? `, the part of head ${view.head + 1}` : "";
    title.textContent = `${spec.title}${part} (layer ${view.layer + 1}): press Enter or click an entry to edit it`;
    const labels = (axis, { start, length }) => Array.from({ length }, (_, i) => `${axis === "model" ? "x" : "c"}${start + i}`);
    map.update({
      rows: rows.length, cols: cols.length, data, rowLabels: labels(spec.rows, rows), colLabels: labels(spec.cols, cols),
      palette: "diverging", title: `${spec.title}${part}`, highlightRow: null, digits: 2,
    });
    return shown;
  }
  return { el, update, destroy: () => map.destroy() };
}
