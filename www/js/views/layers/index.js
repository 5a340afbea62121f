// Follow a token across the layers: the followed token's attention over the keys in every
// layer, for the chosen head and averaged over all heads, as two heatmaps (rows: layers) with
// their table twins, read from the same maps as the head grid; and where it looks most in each
// layer, in words.
// createLayers({onLayer(layer)}) -> {el, update(state, grid, tokens, keep)}
import { h, fmt } from "../../dom.js";
import { createHeatmap } from "../../components/heatmap/index.js";
import { pick } from "../../subwords.js";
import { acrossLayers, meanOverHeads, topPerRow } from "./rows.js";

export function createLayers({ onLayer }) {
  const hint = h("p", { id: "ap-layer-follow-summary", class: "ap-hint", "aria-live": "polite" });
  const headBox = h("div", { id: "ap-layer-follow-head", class: "ap-layers-map" });
  const meanBox = h("div", { id: "ap-layer-follow-mean", class: "ap-layers-map" });
  const headTitle = h("h3", { class: "ap-layers-title" });
  const meanTitle = h("h3", { class: "ap-layers-title" });
  const el = h("section", { id: "ap-layer-follow", class: "ap-layers", "aria-label": "Follow a token across the layers", hidden: true },
    h("h2", { text: "Follow a token across the layers" }), hint, headTitle, headBox, meanTitle, meanBox);
  // Activating a row opens that layer in the stepper.
  const onActivate = (cell) => cell && onLayer(cell.row);
  const headMap = createHeatmap(headBox, { onActivate });
  const meanMap = createHeatmap(meanBox, { onActivate });
  let shown = null;

  function update(state, data, tokens, keep) {
    const a = data?.attentions;
    if (!a || state.focus === null || state.focus >= a.seqLen) {
      el.hidden = !a;
      headTitle.hidden = meanTitle.hidden = headBox.hidden = meanBox.hidden = true;
      hint.textContent = "Choose a token above to follow it through every layer.";
      shown = null;
      return;
    }
    el.hidden = false;
    headTitle.hidden = meanTitle.hidden = headBox.hidden = meanBox.hidden = false;
    const key = [a, state.focus, state.head, keep.join(","), state.layer].map(String).join("|");
    if (shown?.a === a && shown.key === key) return;
    shown = { a, key };
    const i = state.focus, n = a.seqLen;
    const name = tokens[i]?.text ?? String(i);
    const rowLabels = Array.from({ length: a.layers }, (_, l) => `Layer ${l + 1}`);
    const colLabels = keep.map((j) => tokens[j]?.text ?? String(j));
    const one = acrossLayers(a, i, state.head);
    const mean = meanOverHeads(a, i);
    headTitle.textContent = `"${name}" in each layer, head ${state.head + 1}`;
    meanTitle.textContent = `"${name}" in each layer, averaged over the ${a.heads} heads`;
    const spec = (data, title) => ({ ...pick({ rows: a.layers, cols: n, data }, null, keep), rowLabels, colLabels, palette: "sequential", title, highlightRow: state.layer, digits: 2 });
    headMap.update(spec(one, headTitle.textContent));
    meanMap.update(spec(mean, meanTitle.textContent));
    const top = topPerRow(one, a.layers, n, keep);
    hint.textContent = `Where "${name}" looks most with head ${state.head + 1}: ` +
      top.map((t, l) => `layer ${l + 1} "${tokens[t.key]?.text ?? t.key}" ${fmt(t.weight, 2)}`).join(", ") + ".";
  }
  return { el, update };
}
