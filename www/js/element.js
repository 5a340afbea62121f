// <attention-playground>: the playground as a custom element, for tutorial pages.
//
//   <script type="module" src="https://…/js/element.js"></script>
//   <attention-playground sentence="The cat sat on the mat." stage="scores" causal controls="stepper,masks">
//   </attention-playground>
//
// Attributes mirror the URL schema one to one (element/attributes.js: every state field in
// kebab-case, values as in the URL), plus `controls` (the parts shown: element/attributes.js
// PARTS; `none`: a still figure), `src` (the folder of worker.js, beside which engine/ and
// models/ lie; default: the folder this file was loaded from) and `theme` (light | dark; absent:
// the reader's setting). Property `state`: the whole state (null until the figure has started);
// writing it replaces the state. Events: `ready` ({state, backend, ms}), `statechange` (the state),
// `error` (a sentence). Contract and styling: www/README.md, "Embed it"; types: element.d.ts.
//
// Lazy: this module imports nothing. An element loads the figure (element/figure.js: the
// playground, the engine's client, the styles) and starts the one compute worker of the page
// only when it comes near the viewport; far from it, the figure stops drawing (the newest view is
// drawn when it comes back).

/** How near the viewport an element starts (and, out of this margin, stops drawing). */
const MARGIN = "75% 0px";

/**
 * The host box before the figure's own styles arrive: the reader sees a quiet placeholder of the
 * figure's size, in the host page's colours until the figure's --ap-* colours apply.
 */
const HOST_CSS = `
:host { display: block; container: ap / inline-size; min-width: 0; text-align: start;
  font: var(--ap-t-md, 1rem)/1.5 var(--ap-font, system-ui, -apple-system, "Segoe UI", sans-serif);
  color: var(--ap-fg, inherit); background: var(--ap-bg, transparent); border-radius: var(--ap-radius, 8px); }
:host([hidden]) { display: none; }
.ap { padding: var(--ap-s3, 0.75rem); }
/* One column (narrow figures; any figure without the side column, element/attributes.js): a flex
   column of the parts shown in reading order, so the parts left out leave no gaps. */
@container ap (max-width: 63.99rem) { .ap { display: flex; flex-direction: column; align-items: stretch; } }
.ap-compose { order: 0; } .ap-figure, .ap-stages { order: 1; } .ap-stage { order: 2; } .ap-flow { order: 3; } .ap-main { order: 4; } .ap-side { order: 5; }
.ap-placeholder { display: grid; place-items: center; min-height: 20rem; padding: 0.75rem; margin: 0; opacity: 0.75; }
.ap-fault { margin: 0; padding: 0.75rem; }
.ap-status { margin: 0; padding: 0 var(--ap-s3, 0.75rem) var(--ap-s2, 0.5rem); font-size: var(--ap-t-xs, 0.75rem); color: var(--ap-muted, inherit); }
`;

let hostSheet = null;
const sheet = () => {
  if (!hostSheet) {
    hostSheet = new CSSStyleSheet();
    hostSheet.replaceSync(HOST_CSS);
  }
  return hostSheet;
};

/** The `src` attribute as a folder URL (relative to the page, as any src), default: this module's folder. */
function folder(value) {
  if (!value) return new URL("./", import.meta.url);
  const url = new URL(value, document.baseURI);
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

const SEEN = Symbol("seen");
let observer = null; // one IntersectionObserver for every element of the page
const watch = (el) => {
  observer ??= new IntersectionObserver((entries) => {
    for (const e of entries) e.target[SEEN](e.isIntersecting);
  }, { rootMargin: MARGIN });
  observer.observe(el);
};

export class AttentionPlayground extends HTMLElement {
  #started = false;
  #live = null; // the running figure (element/figure.js), once it has started
  #near = false;
  #written = undefined; // a state written before the figure started
  #changed = new Set(); // attributes changed before the figure was live
  #attrs = new MutationObserver((records) => this.#onAttributes(records));

  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    root.adoptedStyleSheets = [sheet()];
    const box = document.createElement("p");
    box.className = "ap-placeholder";
    box.setAttribute("part", "placeholder");
    box.textContent = "An attention figure: it starts when you scroll to it.";
    root.append(box);
    // A `state` written before this module defined the element sits on the instance: move it
    // behind the property.
    if (Object.hasOwn(this, "state")) {
      const value = this.state;
      delete this.state;
      this.state = value;
    }
  }

  connectedCallback() {
    this.#attrs.observe(this, { attributes: true });
    watch(this);
  }

  disconnectedCallback() {
    this.#attrs.disconnect();
    observer?.unobserve(this);
    this[SEEN](false);
  }

  /** The IntersectionObserver's word: near the viewport (start, draw) or far (stop drawing). */
  [SEEN](near) {
    this.#near = near;
    if (near && !this.#started) this.#start();
    if (this.#live) (near ? this.#live.resume() : this.#live.pause());
  }

  async #start() {
    this.#started = true;
    const t0 = performance.now();
    const { startFigure } = await import("./element/figure.js");
    const src = folder(this.getAttribute("src"));
    // The figure reads the attributes (or a state written before) as it mounts: what changes
    // after that is applied once it is live.
    const take = () => {
      this.#changed.clear();
      const written = this.#written;
      this.#written = undefined;
      return written;
    };
    this.#live = await startFigure(this, { src, t0, take });
    if (!this.#live) return;
    if (!this.#near) this.#live.pause();
    if (this.#changed.size) this.#onAttributes([]);
    if (this.#written !== undefined) this.state = take();
  }

  #onAttributes(records) {
    for (const r of records) this.#changed.add(r.attributeName);
    if (!this.#live) return;
    const names = new Set(this.#changed);
    this.#changed.clear();
    this.#live.attributes(names);
  }

  /** The whole state (state.js): null until the figure has started. */
  get state() {
    return this.#live ? this.#live.state : null;
  }

  /** Replaces the whole state (fields left out take their defaults); before the start, kept for it. */
  set state(value) {
    if (this.#live) this.#live.setState(value);
    else this.#written = value;
  }
}

if (!customElements.get("attention-playground")) customElements.define("attention-playground", AttentionPlayground);
