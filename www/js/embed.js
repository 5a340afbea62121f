// embed.html: one <attention-playground> in a page of its own, for hosts that embed it as an
// iframe. The fragment configures it with the page's URL schema (s=…&stage=scores&causal=1, the
// keys of www/README.md's state table), plus `controls` (the parts shown, as the element's
// attribute), `theme` (light | dark) and `origin`: the host page's origin, the only one this frame
// talks to. Without a valid `origin` the frame sends and accepts no message.
//
// Protocol (version 1; every message is {protocol: "attention-playground", version: 1, type, …}):
//   frame -> host  {type: "ready", state, height}     the first view is drawn
//                  {type: "state", state, id?}        the state changed (the reader, or a `set`;
//                                                     the answer to a `set` carries its `id`)
//                  {type: "resize", height}           the frame's content is this many CSS px tall
//                  {type: "error", message}           a sentence a reader can act on
//   host -> frame  {type: "set", state, id?}          merge these state fields into the figure's
//                                                     state; answered by a `state` message (an
//                                                     empty `state` asks for the state)
// Messages whose origin is not `origin`, whose source is not the parent window, or that are not
// of this protocol are ignored; another version is answered by an `error`.
import "./element.js";

const PROTOCOL = "attention-playground";
const VERSION = 1;

const params = new URLSearchParams(location.hash.slice(1));
/** The host's origin, exactly as an origin is written (scheme://host[:port]), or null. */
const origin = (() => {
  const o = params.get("origin");
  try {
    return o && o !== "null" && new URL(o).origin === o ? o : null;
  } catch {
    return null;
  }
})();
const talks = origin !== null && window.parent !== window;

const sheet = new CSSStyleSheet();
sheet.replaceSync("html, body { margin: 0; background: transparent; }");
document.adoptedStyleSheets = [sheet];

/**
 * The fragment's keys that become the element's attributes: the URL schema's keys (letters),
 * `controls` and `theme`; never `src` (the engine comes from this origin), an event handler or
 * another global attribute of HTML elements.
 */
const GLOBAL = new Set(["src", "origin", "style", "class", "id", "slot", "part", "is", "hidden", "inert", "popover", "title", "lang", "dir",
  "tabindex", "autofocus", "nonce", "accesskey", "contenteditable", "draggable", "spellcheck", "translate", "enterkeyhint", "inputmode",
  "autocapitalize", "autocorrect", "writingsuggestions", "exportparts", "role"]);
const attribute = (key) => /^[a-z][a-z0-9]*$/i.test(key) && !/^on/i.test(key) && !GLOBAL.has(key.toLowerCase());

const figure = document.createElement("attention-playground");
for (const [key, value] of params) if (attribute(key)) figure.setAttribute(key, value);
document.body.append(figure);

const post = (message) => {
  if (talks) window.parent.postMessage({ protocol: PROTOCOL, version: VERSION, ...message }, origin);
};
const height = () => Math.ceil(document.body.getBoundingClientRect().height);

let ready = false;
let answering = false; // a `set` is being applied: its answer carries the state
const queued = []; // `set` messages that came before the figure was ready
figure.addEventListener("ready", (e) => {
  ready = true;
  post({ type: "ready", state: e.detail.state, height: height() });
  for (const m of queued.splice(0)) apply(m);
});
figure.addEventListener("statechange", (e) => {
  if (!answering) post({ type: "state", state: e.detail });
});
figure.addEventListener("error", (e) => post({ type: "error", message: e.detail }));

let lastHeight = -1;
new ResizeObserver(() => {
  const h = height();
  if (h === lastHeight) return;
  lastHeight = h;
  post({ type: "resize", height: h });
}).observe(document.body);

/** A `set`: its fields merged into the state; the answer is the state that results. */
function apply(m) {
  const patch = m.state && typeof m.state === "object" && !Array.isArray(m.state) ? m.state : {};
  answering = true;
  try {
    figure.state = { ...figure.state, ...patch };
  } finally {
    answering = false;
  }
  post({ type: "state", state: figure.state, ...(m.id !== undefined ? { id: m.id } : {}) });
}

window.addEventListener("message", (e) => {
  if (!talks || e.origin !== origin || e.source !== window.parent) return;
  const m = e.data;
  if (!m || typeof m !== "object" || m.protocol !== PROTOCOL) return;
  if (m.version !== VERSION) {
    post({ type: "error", message: `This frame speaks version ${VERSION} of the attention-playground protocol, not ${JSON.stringify(m.version)}.` });
    return;
  }
  if (m.type !== "set") {
    post({ type: "error", message: `This frame answers the message type "set", not ${JSON.stringify(m.type)}.` });
    return;
  }
  if (ready) apply(m);
  else queued.push(m);
});
