// The host page's side of embed.html (the playground as an iframe): sizes each playground
// iframe to its content, and turns the frame's messages into DOM events on the iframe element,
// the same events the custom element fires (`ready`, `statechange`, `error`).
//
//   <iframe src="https://…/embed.html#s=The+cat+sat.&stage=scores&origin=https%3A%2F%2Fyour.site"
//           title="Attention: the scores" loading="lazy"></iframe>
//   <script type="module" src="https://…/js/embed-host.js"></script>
//
//   import { set } from "https://…/js/embed-host.js";
//   await set(iframe, { stage: "masked", causal: true })  -> the frame's state after the change
//
// Only messages of the protocol (www/README.md, "Embed it"; version 1) from the window of an
// iframe on this page, sent from that iframe's own origin, are read; anything else is ignored.
// Importing this module twice (two script tags) installs one listener.

const PROTOCOL = "attention-playground";
const VERSION = 1;
const KEY = Symbol.for("attention-playground.embed-host");

/** The iframe of this page whose window sent `e`, if it came from that iframe's origin. */
function frameOf(e) {
  for (const frame of document.querySelectorAll("iframe")) {
    if (frame.contentWindow !== e.source) continue;
    let origin;
    try {
      origin = new URL(frame.src, location.href).origin;
    } catch {
      return null;
    }
    return origin === e.origin ? frame : null;
  }
  return null;
}

function install() {
  const state = { next: 1, waiting: new Map() }; // id -> resolve, for set()'s answers
  window.addEventListener("message", (e) => {
    const m = e.data;
    if (!m || typeof m !== "object" || m.protocol !== PROTOCOL || m.version !== VERSION) return;
    const frame = frameOf(e);
    if (!frame) return;
    const fire = (type, detail) => frame.dispatchEvent(new CustomEvent(type, { detail }));
    if ((m.type === "ready" || m.type === "resize") && Number.isFinite(m.height) && m.height > 0) {
      frame.style.height = `${Math.ceil(m.height)}px`;
    }
    if (m.type === "ready") fire("ready", { state: m.state });
    else if (m.type === "state") {
      const answer = state.waiting.get(m.id);
      if (answer) {
        state.waiting.delete(m.id);
        answer(m.state);
      } else {
        fire("statechange", m.state);
      }
    } else if (m.type === "error") fire("error", String(m.message));
  });
  return state;
}

const shared = (window[KEY] ??= install());

/**
 * Merges `state` (fields of the playground's state, www/README.md) into the frame's state. ->
 * Promise of the frame's state after it (the frame answers once its figure has started).
 */
export function set(frame, state) {
  const id = `set-${shared.next++}`;
  const origin = new URL(frame.src, location.href).origin;
  return new Promise((resolve) => {
    shared.waiting.set(id, resolve);
    frame.contentWindow.postMessage({ protocol: PROTOCOL, version: VERSION, type: "set", state, id }, origin);
  });
}
