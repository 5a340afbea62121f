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

export function createFollow({ onFollow }) {
  const summary = h("p", { id: "ap-follow-summary", "aria-live": "polite" });
  const bars = h("ol", { class: "ap-bars", "aria-label": "Attention weights of the followed token" });
  const svg = s("svg", { class: "ap-lines", role: "img" });
  const el = h("section", { id: "ap-follow", class: "ap-follow", "aria-label": "Follow one token" },
    h("h2", { text: "Follow a token" }), summary, h("div", { class: "ap-follow-body" }, bars, svg));

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
    summary.textContent = topW === 0
      ? `"${q[i].text}" may see no token under this mask: its output is zero.`
      : `"${q[i].text}" → "${k[topJ].text}" ${fmt(topW, 2)}` +
        (order[1] && order[1][0] > 0 ? `, then "${k[order[1][1]].text}" ${fmt(order[1][0], 2)}` : "") +
        (headTrace ? ` · entropy ${fmt(headTrace.entropy[i], 2)} bits, largest weight ${fmt(headTrace.maxWeight[i], 2)}` : "");
    const shown = order.length > 64 ? order.slice(0, 32).map(([, j]) => j).sort((a, b) => a - b) : order.map(([, j]) => j).sort((a, b) => a - b);
    bars.replaceChildren(...shown.map((j) => {
      const bar = h("span", { class: "ap-bar" });
      bar.style.width = `${(row[j] * 100).toFixed(1)}%`;
      return h("li", { class: j === topJ ? "ap-top" : "" },
        h("span", { class: "ap-bar-label", text: k[j].text }), h("span", { class: "ap-bar-track" }, bar),
        h("span", { class: "ap-bar-value", text: fmt(row[j], 2) }));
    }));
    // Head view: queries on the left, keys on the right, a line per key weighted by attention.
    const lineH = 20, width = 260;
    const queries = keep ? keep.query : q.map((_, t) => t);
    const shownQ = queries.length > 64 || !queries.includes(i) ? [i] : queries;
    const height = Math.max(shownQ.length, shown.length, 1) * lineH + 10;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("aria-label", summary.textContent);
    const nodes = [];
    const yQ = (t) => shownQ.indexOf(t) * lineH + 15;
    const yK = (j) => shown.indexOf(j) * lineH + 15;
    for (const j of shown) {
      if (row[j] > 0) nodes.push(s("line", { x1: 90, y1: yQ(i), x2: 170, y2: yK(j), class: "ap-line", "stroke-width": 1 + 5 * row[j], "stroke-opacity": Math.max(0.08, row[j]) }));
    }
    for (const t of shownQ) {
      const text = s("text", { x: 84, y: yQ(t) + 4, "text-anchor": "end", class: t === i ? "ap-line-focus" : "ap-line-token" });
      text.textContent = q[t].text;
      text.addEventListener("click", () => onFollow(t));
      nodes.push(text);
    }
    for (const j of shown) {
      const text = s("text", { x: 176, y: yK(j) + 4, class: "ap-line-token" });
      text.textContent = k[j].text;
      nodes.push(text);
    }
    svg.replaceChildren(...nodes);
  }
  return { el, update };
}
