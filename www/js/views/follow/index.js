// Follow one token: its attention weights over the keys (current head) as bars and as lines
// between the tokens (a head view), with a one-line summary such as `"it" → "cat" 0.62`.
// createFollow({onFollow(i)}) -> {el, update(state, trace, weights, headTrace, keep)}
// (`keep`: {query, key} token indices to show when special tokens are hidden, or null: all)
import { h, fmt } from "../../dom.js";

const SVG = "http://www.w3.org/2000/svg";
const s = (tag, attrs) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
};

/** Sets an attribute only when its value differs (an unchanged SVG attribute still costs a layout). */
function attr(el, name, value) {
  const v = String(value);
  if (el.getAttribute(name) !== v) el.setAttribute(name, v);
}
function text(el, t) {
  if (el.textContent !== t) el.textContent = t;
}

/** Elements made once and edited in place: `at(k)` is the k-th, made by `make()` when first needed. */
function pool(make) {
  const items = [];
  return (k) => (items[k] ??= make());
}

/** Replaces `parent`'s children with `nodes` unless they are those already. */
function children(parent, nodes) {
  const now = parent.childNodes;
  if (now.length === nodes.length && nodes.every((n, k) => now[k] === n)) return;
  parent.replaceChildren(...nodes);
}

export function createFollow({ onFollow }) {
  const summary = h("p", { id: "ap-follow-summary", "aria-live": "polite" });
  const bars = h("ol", { class: "ap-bars", "aria-label": "Attention weights of the followed token" });
  const svg = s("svg", { class: "ap-lines", role: "img" });
  const el = h("section", { id: "ap-follow", class: "ap-follow", "aria-label": "Follow one token" },
    h("h2", { text: "Follow a token" }), summary, h("div", { class: "ap-follow-body" }, bars, svg));

  // The bars and the head view's lines and labels are kept and edited in place, so an update
  // changes only what differs (rebuilding them cost ~2 ms at 32 tokens).
  const barAt = pool(() => {
    const label = h("span", { class: "ap-bar-label" });
    const bar = h("span", { class: "ap-bar" });
    const value = h("span", { class: "ap-bar-value" });
    return { li: h("li", {}, label, h("span", { class: "ap-bar-track" }, bar), value), label, bar, value };
  });
  const lineAt = pool(() => s("line", { x1: 90, x2: 170, class: "ap-line" }));
  const queryAt = pool(() => s("text", { x: 84, "text-anchor": "end" }));
  const keyAt = pool(() => s("text", { x: 176, class: "ap-line-token" }));
  const queryOf = new WeakMap(); // a query label -> its token
  svg.addEventListener("click", (e) => {
    const t = queryOf.get(e.target);
    if (t !== undefined) onFollow(t);
  });

  function update(state, trace, weights, headTrace, keep = null) {
    if (!trace || !weights) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    const q = trace.tokens.query, k = trace.tokens.key;
    if (state.focus === null || state.focus >= q.length) {
      summary.textContent = "Choose a token above (or press Enter on a row) to see where it looks.";
      bars.replaceChildren();
      svg.replaceChildren();
      // Nothing drawn: no image for a screen reader (an unlabelled role=img fails axe's svg-img-alt).
      svg.removeAttribute("role");
      svg.setAttribute("aria-hidden", "true");
      return;
    }
    svg.setAttribute("role", "img");
    svg.removeAttribute("aria-hidden");
    const i = state.focus;
    const row = Array.from(weights.data.subarray(i * weights.cols, (i + 1) * weights.cols));
    const keys = keep ? new Set(keep.key) : null;
    const order = row.map((w, j) => [w, j]).filter(([, j]) => !keys || keys.has(j)).sort((a, b) => b[0] - a[0]);
    const [topW, topJ] = order[0];
    text(summary, topW === 0
      ? `"${q[i].text}" may see no token under this mask: its output is zero.`
      : `"${q[i].text}" → "${k[topJ].text}" ${fmt(topW, 2)}` +
        (order[1] && order[1][0] > 0 ? `, then "${k[order[1][1]].text}" ${fmt(order[1][0], 2)}` : "") +
        (headTrace ? ` · entropy ${fmt(headTrace.entropy[i], 2)} bits, largest weight ${fmt(headTrace.maxWeight[i], 2)}` : ""));
    const shown = order.length > 64 ? order.slice(0, 32).map(([, j]) => j).sort((a, b) => a - b) : order.map(([, j]) => j).sort((a, b) => a - b);
    children(bars, shown.map((j, t) => {
      const b = barAt(t);
      attr(b.li, "class", j === topJ ? "ap-top" : "");
      text(b.label, k[j].text);
      b.bar.style.width = `${(row[j] * 100).toFixed(1)}%`;
      text(b.value, fmt(row[j], 2));
      return b.li;
    }));
    // Head view: queries on the left, keys on the right, a line per key weighted by attention.
    const lineH = 20, width = 260;
    const queries = keep ? keep.query : q.map((_, t) => t);
    const shownQ = queries.length > 64 || !queries.includes(i) ? [i] : queries;
    const height = Math.max(shownQ.length, shown.length, 1) * lineH + 10;
    attr(svg, "viewBox", `0 0 ${width} ${height}`);
    attr(svg, "aria-label", summary.textContent);
    const nodes = [];
    const yQ = (t) => shownQ.indexOf(t) * lineH + 15;
    const yK = (n) => n * lineH + 15; // the n-th key shown
    let lines = 0;
    shown.forEach((j, n) => {
      if (!(row[j] > 0)) return;
      const line = lineAt(lines++);
      attr(line, "y1", yQ(i));
      attr(line, "y2", yK(n));
      attr(line, "stroke-width", 1 + 5 * row[j]);
      attr(line, "stroke-opacity", Math.max(0.08, row[j]));
      nodes.push(line);
    });
    shownQ.forEach((t, n) => {
      const label = queryAt(n);
      attr(label, "y", yQ(t) + 4);
      attr(label, "class", t === i ? "ap-line-focus" : "ap-line-token");
      text(label, q[t].text);
      queryOf.set(label, t);
      nodes.push(label);
    });
    shown.forEach((j, n) => {
      const label = keyAt(n);
      attr(label, "y", yK(n) + 4);
      text(label, k[j].text);
      nodes.push(label);
    });
    children(svg, nodes);
  }
  return { el, update };
}
