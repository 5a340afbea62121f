// All heads at a glance: one small attention map per (layer, head), rows are layers and columns
// heads, each labelled with the pattern the engine measured in it (headPatterns); choosing one
// opens that head in the stage stepper. One button per head with a roving tabindex: Tab reaches
// the grid once, the arrow keys move inside it, Enter or Space chooses.
// createHeads({onPick({layer, head})}) -> {el, update(state, grid, keep)}
import { h, fmt, activeElement } from "../../dom.js";
import { thumbnail, move, patternCounts, patternOf } from "./layout.js";

export function createHeads({ onPick }) {
  const grid = h("div", { class: "ap-heads-grid", role: "group", "aria-label": "Attention maps of every layer and head" });
  const current = h("p", { id: "ap-head-grid-current", "aria-live": "polite" });
  const legend = h("p", { id: "ap-head-grid-legend", class: "ap-hint" });
  const el = h("section", { id: "ap-head-grid", class: "ap-heads", "aria-label": "All heads", hidden: true },
    h("h2", { text: "All heads at a glance" }),
    h("p", { class: "ap-hint", text: "Each map is one head's attention weights on this sentence (rows: the query tokens, columns: the key tokens), each scaled to its own largest weight. The label is the pattern measured in that map. Choose a head to step through it." }),
    grid, current, legend);
  let drawn = null; // {attentions, keepKey}: what the maps show
  let cells = []; // [layer][head] -> button
  let shape = "";
  let cursor = { layer: 0, head: 0 };

  const focusCell = (pos) => {
    const b = cells[pos.layer]?.[pos.head];
    if (!b) return;
    for (const row of cells) for (const c of row) c.tabIndex = -1;
    b.tabIndex = 0;
    b.focus();
    cursor = pos;
  };

  grid.addEventListener("keydown", (e) => {
    const b = e.target.closest?.("button[data-layer]");
    if (!b || e.altKey || e.metaKey) return;
    const next = move({ layer: Number(b.dataset.layer), head: Number(b.dataset.head) }, e.key, cells.length, cells[0]?.length ?? 0, e.ctrlKey);
    if (!next) return;
    e.preventDefault();
    e.stopPropagation(); // the page's ArrowLeft/ArrowRight step the stages; not inside the grid
    focusCell(next);
  });

  /** Builds the buttons for a layers x heads grid (kept while the sizes stay). */
  function build(layers, heads) {
    grid.style.setProperty("--ap-heads", String(heads));
    const head = [h("span", { class: "ap-heads-corner", "aria-hidden": "true" }),
      ...Array.from({ length: heads }, (_, k) => h("span", { class: "ap-heads-col", "aria-hidden": "true", text: `H${k + 1}` }))];
    cells = [];
    const rows = [];
    for (let l = 0; l < layers; l++) {
      const row = [];
      rows.push(h("span", { class: "ap-heads-row", "aria-hidden": "true", text: `L${l + 1}` }));
      for (let k = 0; k < heads; k++) {
        const canvas = h("canvas", { class: "ap-head-map", width: 1, height: 1, "aria-hidden": "true" });
        const label = h("span", { class: "ap-head-pattern" });
        const b = h("button", { type: "button", class: "ap-head-cell", tabindex: -1, dataset: { layer: String(l), head: String(k) }, onclick: () => {
          cursor = { layer: l, head: k };
          onPick({ layer: l, head: k });
        } }, canvas, label);
        row.push(b);
        rows.push(b);
      }
      cells.push(row);
    }
    grid.replaceChildren(...head, ...rows);
    drawn = null;
  }

  /**
   * `grid`: {attentions: {layers, heads, seqLen, data}, patterns} of the sentence, or null (the
   * model has no such maps: hidden); `keep`: the token indices shown.
   */
  function update(state, data, keep) {
    if (!data) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    const { attentions: a, patterns } = data;
    if (shape !== `${a.layers}x${a.heads}`) {
      shape = `${a.layers}x${a.heads}`;
      build(a.layers, a.heads);
    }
    const keepKey = keep.join(",");
    if (drawn?.attentions !== a || drawn.keepKey !== keepKey) {
      drawn = { attentions: a, keepKey };
      const n = a.seqLen;
      for (let l = 0; l < a.layers; l++) {
        for (let k = 0; k < a.heads; k++) {
          const b = cells[l][k];
          const { size, pixels } = thumbnail(a.data, (l * a.heads + k) * n * n, n, keep);
          const canvas = b.firstChild;
          if (canvas.width !== size) canvas.width = canvas.height = size;
          canvas.getContext("2d").putImageData(new ImageData(pixels, size, size), 0, 0);
        }
      }
    }
    for (let l = 0; l < a.layers; l++) {
      for (let k = 0; k < a.heads; k++) {
        const b = cells[l][k];
        const p = patternOf(patterns, l, k);
        const words = p ? `${p.title} (${fmt(p.share, 2)})` : "no pattern measured";
        b.lastChild.textContent = p?.title ?? "";
        b.title = `Layer ${l + 1}, head ${k + 1}: ${words}`;
        b.setAttribute("aria-label", `Layer ${l + 1}, head ${k + 1}: ${words}`);
        b.dataset.pattern = p?.pattern ?? "";
        const on = l === state.layer && k === state.head;
        b.setAttribute("aria-pressed", String(on));
      }
    }
    // The roving tabindex follows the state unless the learner is moving inside the grid.
    if (!grid.contains(activeElement(grid))) cursor = { layer: state.layer, head: state.head };
    for (const row of cells) for (const c of row) c.tabIndex = -1;
    const at = cells[cursor.layer]?.[cursor.head] ?? cells[0][0];
    at.tabIndex = 0;
    const p = patternOf(patterns, state.layer, state.head);
    current.textContent = `Layer ${state.layer + 1}, head ${state.head + 1}: ${p ? `${p.title}, share ${fmt(p.share, 2)}` : "no pattern measured"}.`;
    legend.textContent = `Patterns over the ${a.layers * a.heads} heads: ` +
      patternCounts(patterns).map((c) => `${c.title} ${c.count}`).join(" · ") + ".";
  }
  return { el, update };
}
