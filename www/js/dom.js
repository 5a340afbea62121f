// Tiny DOM helpers. Text always goes through textContent: nothing typed by a learner or read
// from a URL is ever parsed as HTML.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/**
 * The element that has the keyboard focus in `el`'s own tree: the document's, or a shadow root's
 * when `el` lives in one (the custom element), where document.activeElement is only the host.
 */
export function activeElement(el) {
  return el.getRootNode?.().activeElement ?? document.activeElement;
}

/** Whether `el` has the keyboard focus (in its own tree, see activeElement). */
export const focused = (el) => activeElement(el) === el;

/** A number for reading: fixed decimals, a real minus sign, −∞ for masked scores. */
export function fmt(x, digits = 3) {
  if (x === -Infinity) return "−∞";
  if (x === Infinity) return "∞";
  const s = Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 10 ** -digits) ? x.toExponential(2) : x.toFixed(digits);
  return s.replaceAll("-", "−"); // the exponent's sign too
}
