// The whole computation at a glance: every stage of the layer and head shown, in lesson order,
// each as a thumbnail whose shape is its matrix's (n x d_model, n x d_k, n x n, ...), the current
// stage marked. The followed token's row is highlighted in every matrix along the query tokens,
// the keys it attends to in K and V (and the key columns of the n x n matrices) with strength by
// weight, and the cells a hovered cell was computed from on their stages. A thumbnail is a button
// that goes to its stage.
// createFlow({onStage(name)}) -> {el, update(view), mark(sources)}
//   view = {stages: [stage info], current, get(name) -> matrix | undefined, focus, weights,
//   weightsStage (drawn on the 0-to-1 palette), clip ({axis: quantile}: colour scales clipped as on the large view)}
//   (`weights`: the followed row's weights over the keys)
import { h } from "../../dom.js";
import { pixels } from "../../components/heatmap/palette.js";
import { thumbSize, marksFor } from "./layout.js";
import { axisWords } from "../../state.js";

/** The matrix sampled down to at most maxRows x maxCols values (nearest), or itself when it fits. */
function sample(m, maxRows, maxCols) {
  if (m.rows <= maxRows && m.cols <= maxCols) return m;
  const rows = Math.min(m.rows, maxRows), cols = Math.min(m.cols, maxCols);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const from = Math.floor((i * m.rows) / rows) * m.cols;
    for (let j = 0; j < cols; j++) data[i * cols + j] = m.data[from + Math.floor((j * m.cols) / cols)];
  }
  return { rows, cols, data };
}

/** Whether two arrays hold the same values (NaN equal to NaN). */
function sameValues(a, b) {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k] && (a[k] === a[k] || b[k] === b[k])) return false;
  return true;
}

export function createFlow({ onStage }) {
  const list = h("ol", { class: "ap-flow-list" });
  const el = h("nav", { id: "ap-flow", class: "ap-flow", "aria-label": "Every stage of the computation (choose one to see it large)" }, list);
  let items = new Map(); // stage name -> {li, button, canvas, matrix, key}
  let last = null; // the last view
  let sources = [];

  // The colours of the marks, read from the page's custom properties once, and again when the
  // colour scheme changes (reading styles on every update would cost a style recalculation).
  let colours = null;
  function theme() {
    if (!colours) {
      const cs = getComputedStyle(el);
      const v = (n, fb) => cs.getPropertyValue(n).trim() || fb;
      colours = { accent: v("--ap-accent", "#3b4cc0"), fg: v("--ap-fg", "#1b1b1f") };
    }
    return colours;
  }
  matchMedia?.("(prefers-color-scheme: dark)").addEventListener?.("change", () => {
    colours = null;
    paintAll();
  });

  /** The cells, once per new matrix: one pixel per value on a canvas the size of the matrix
   * (sampled down to the thumbnail's device pixels when larger), scaled by CSS without smoothing;
   * not again when the new matrix holds the values drawn (a keystroke that leaves the tokens
   * as they were, a space at the end). */
  function paintCells(item) {
    const m = item.matrix;
    if (!m || !m.rows || !m.cols || item.painted === item.key) return;
    const dpr = window.devicePixelRatio || 1;
    const { data, rows, cols } = sample(m, Math.round(item.size.h * dpr), Math.round(item.size.w * dpr));
    item.painted = item.key;
    const was = item.drawn;
    if (was && was.rows === rows && was.cols === cols && sameValues(was.data, data)) return;
    const c = item.cells;
    if (c.width !== cols) c.width = cols;
    if (c.height !== rows) c.height = rows;
    (item.cellsCtx ??= c.getContext("2d")).putImageData(new ImageData(pixels(item.palette, data, rows, cols, { clip: item.clip }), cols, rows), 0, 0);
    item.drawn = { rows, cols, data: Float32Array.from(data) };
  }

  /** The marks, on a transparent canvas over the cells (redrawn alone on hover). */
  function paintMarks(item, marks, t) {
    const m = item.matrix;
    const c = item.canvas;
    const ctx = (item.ctx ??= c.getContext("2d"));
    const dpr = window.devicePixelRatio || 1;
    const W = Math.round(item.size.w * dpr), H = Math.round(item.size.h * dpr);
    if (c.width !== W) c.width = W;
    if (c.height !== H) c.height = H;
    ctx.clearRect(0, 0, W, H);
    if (!m || !m.rows || !m.cols) return;
    const cw = W / m.cols, ch = H / m.rows;
    const line = Math.max(1.5, Math.min(3, ch / 3)) * dpr;
    for (const mk of marks) {
      ctx.globalAlpha = mk.role === "key" ? 0.25 + 0.75 * mk.alpha : 1;
      ctx.strokeStyle = mk.role === "source" ? t.fg : t.accent;
      ctx.lineWidth = mk.role === "key" ? Math.max(1, line * (0.5 + mk.alpha / 2)) : line;
      ctx.setLineDash(mk.role === "source" ? [3 * dpr, 2 * dpr] : []);
      const [x, y, rw, rh] = mk.kind === "row" ? [0, mk.row * ch, W, ch] : mk.kind === "col" ? [mk.col * cw, 0, cw, H] : [mk.col * cw, mk.row * ch, cw, ch];
      // At least a line's width, inside the canvas.
      const ww = Math.max(rw, line), hh = Math.max(rh, line);
      ctx.strokeRect(Math.min(x + line / 2, W - ww + line / 2), Math.min(y + line / 2, H - hh + line / 2), Math.max(1, ww - line), Math.max(1, hh - line));
    }
    ctx.globalAlpha = 1;
    ctx.setLineDash([]);
  }

  function paintAll() {
    if (!last) return;
    const t = theme();
    for (const [name, item] of items) {
      const info = last.stages.find((s) => s.name === name);
      const marks = marksFor(info, { focus: last.focus, weights: last.weights, sources });
      // What is marked, for tests and tools: "focus:row:7 key:row:2 source:col:3 …".
      const said = marks.map((m) => `${m.role}:${m.kind}:${m.kind === "col" ? m.col : m.kind === "row" ? m.row : `${m.row}.${m.col}`}`).join(" ");
      if (item.button.dataset.marks !== said) item.button.dataset.marks = said;
      paintCells(item);
      // The marks' canvas again only when what it shows changed.
      const m = item.matrix;
      const key = [m?.rows, m?.cols, item.size.w, item.size.h, window.devicePixelRatio || 1, t.accent, t.fg, said, ...marks.map((mk) => mk.alpha)].join(" ");
      if (item.marked !== key) {
        paintMarks(item, marks, t);
        item.marked = key;
      }
    }
  }

  function update(view) {
    last = view;
    const names = view.stages.map((s) => s.name).join(",");
    if (list.dataset.stages !== names) {
      list.dataset.stages = names;
      items = new Map();
      list.replaceChildren(...view.stages.map((s, i) => {
        const cells = h("canvas", { class: "ap-flow-cells", "aria-hidden": "true" });
        const canvas = h("canvas", { class: "ap-flow-marks", "aria-hidden": "true" });
        const shape = h("span", { class: "ap-flow-shape" });
        const axes = h("span", { class: "ap-visually-hidden" });
        const button = h("button", { type: "button", class: "ap-flow-step", dataset: { stage: s.name }, onclick: () => onStage(s.name) },
          h("span", { class: "ap-flow-title", text: `${i + 1}. ${s.title}` }), h("span", { class: "ap-flow-canvas" }, cells, canvas), shape, axes);
        const li = h("li", { class: "ap-flow-item" }, button);
        items.set(s.name, { li, button, cells, canvas, shape, axes, matrix: null, key: null, painted: null, size: { w: 0, h: 0 }, here: null, shapeText: null, palette: s.name === view.weightsStage ? "sequential" : "diverging", clip: view.clip?.[s.colAxis] ?? null });
        return li;
      }));
    }
    for (const s of view.stages) {
      const item = items.get(s.name);
      const m = view.get(s.name);
      item.matrix = m ?? null;
      item.key = m ? m.data : null; // a new trace brings new arrays
      const here = s.name === view.current;
      // Only what differs is written: an unchanged text written again still lays the flow out.
      if (item.here !== here) {
        item.here = here;
        item.button.setAttribute("aria-current", here ? "step" : "false");
        item.li.classList.toggle("ap-flow-here", here);
      }
      const shape = m ? `${m.rows} × ${m.cols}` : null;
      if (m && item.shapeText !== shape) {
        item.shapeText = shape;
        item.size = thumbSize(m.rows, m.cols);
        item.button.style.setProperty("--w", `${item.size.w}px`);
        item.button.style.setProperty("--h", `${item.size.h}px`);
        item.shape.textContent = shape;
        item.axes.textContent = ` (${axisWords(s.rowAxis)} × ${axisWords(s.colAxis)})`;
      }
      if (item.li.hidden !== !m) item.li.hidden = !m;
    }
    paintAll();
  }

  /** Marks the cells a hovered cell came from ([{stage, row?, col?}]; [] clears). */
  function mark(next) {
    const was = sources;
    sources = next ?? [];
    if (was.length || sources.length) paintAll(); // else nothing changes (the page clears them after each update)
  }

  return { el, update, mark };
}
