// The running figure of one <attention-playground> (element.js imports this module when the
// element first comes near the viewport): starts the page's one compute worker (engine.js: every
// element of a page shares it) from the element's `src`, adopts the playground's styles into the
// element's shadow root, mounts the playground (playground.js) with the state of the element's
// attributes, and speaks for it through DOM events on the element.
//
//   const live = await startFigure(host, { src, t0, take })   null when the engine cannot start
//     src     URL of the folder that holds worker.js (engine/ and models/ beside it)
//     t0      performance.now() when the element came near the viewport (ready's `ms` counts from it)
//     take()  -> a state written to the element before it started (or undefined); called as the
//             figure reads the attributes, so the element applies later changes itself
//   live.state                 a copy of the current state
//   live.setState(state)       replaces it (fields left out take their defaults)
//   live.attributes(names)     these attributes changed: apply them
//   live.pause(), live.resume()   stop drawing (far off screen), draw the newest view again
import { start, latest, load, cancelLoad, call } from "../engine.js";
import { mount } from "../playground.js";
import { normalize, toQuery, PAGE_DEFAULTS } from "../state.js";
import { PARTS, readAttributes, readControls, controlsCss, fieldName } from "./attributes.js";

/** The playground's style sheets, beside this module's folder; fetched once per page. */
const STYLES = ["../playground.css", "../components/heatmap/heatmap.css", "../views/tour/tour.css"];
let styles = null;

/**
 * The style sheets as constructed sheets, shared by every element's shadow root. Fetched (the
 * host's CSP then needs connect-src for their origin, as the engine's files do) rather than
 * linked, so a host's style-src need not name the element's origin.
 */
function stylesheets() {
  styles ??= Promise.all(
    STYLES.map(async (file) => {
      const url = new URL(file, import.meta.url);
      const res = await fetch(url);
      if (!res.ok) throw new Error(`its style sheet ${url.href} could not be fetched (${res.status})`);
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(await res.text());
      return sheet;
    }),
  );
  return styles;
}

/** The element's ::part() names and what they name in the playground's DOM (www/README.md). */
const PART_OF = [
  ["sentence", ".ap-input"],
  ["figure", ".ap-figure"],
  ["stepper", ".ap-stepper"],
  ["caption", "#ap-caption"],
  ["flow", "#ap-flow"],
  ["stage", ".ap-stage"],
  ["matrix", "#ap-matrix"],
  ["explain", "#ap-explain"],
  ["side", ".ap-side"],
  ["follow", "#ap-follow"],
  ["models", "#ap-models"],
  ["controls", "#ap-controls"],
  ["main", ".ap-main"],
  ["heads", "#ap-head-grid"],
  ["layers", "#ap-layer-follow"],
  ["weights", ".ap-weights"],
  ["message", "#ap-message"],
  ["link", "#ap-copy-link"],
];

let figures = 0; // each figure's own request channel on the shared worker
let manifest = null; // the model manifest, asked once for every figure of the page

/** What a host page must allow for the engine, in words (the README's "Embed it" has the policy). */
function needs(src) {
  const other = src.origin !== location.origin;
  return `It needs WebAssembly and its files from ${src.origin}${other ? " (served with CORS headers)" : ""}: if this page sets a Content-Security-Policy, it must allow ${src.origin} in script-src and connect-src, with 'wasm-unsafe-eval' in script-src${other ? ", and blob: in worker-src" : ""} (see "Embed it" in the playground's README).`;
}

export async function startFigure(host, { src, t0, take }) {
  const shadow = host.shadowRoot;
  const fire = (type, detail) => host.dispatchEvent(new CustomEvent(type, { detail }));
  let engine, sheets;
  try {
    [engine, sheets] = await Promise.all([start({}, { worker: new URL("worker.js", src) }), stylesheets()]);
  } catch (e) {
    const message = `The attention figure could not start (${e instanceof Error ? e.message : e}). ${needs(src)}`;
    const p = document.createElement("p");
    p.className = "ap-fault";
    p.setAttribute("role", "alert");
    p.setAttribute("part", "message");
    p.textContent = message;
    shadow.replaceChildren(p);
    fire("error", message);
    return null;
  }
  const { backend, stages, models } = engine;
  const catalog = { stages, models };

  // The parts shown: one Set, changed in place (the playground reads it), and the sheet hiding the rest.
  const parts = new Set();
  const partsSheet = new CSSStyleSheet();
  function readParts() {
    const value = host.getAttribute("controls");
    const { parts: shown, unknown } = readControls(value);
    parts.clear();
    for (const p of shown) parts.add(p);
    partsSheet.replaceSync(controlsCss(parts));
    if (unknown.length === 0) return [];
    const names = unknown.map((n) => `"${n}"`).join(", ");
    return [`The attribute controls="${value}" names ${names}, which ${unknown.length === 1 ? "is not a part" : "are not parts"} of the figure (its parts: ${PARTS.join(", ")}; or none); the figure shows the others.`];
  }
  const attributes = () => [...host.attributes].map((a) => [a.name, a.value]);

  const written = take();
  const problems = readParts();
  let initial;
  if (written !== undefined) {
    initial = normalize(written, catalog);
  } else {
    const read = readAttributes(attributes(), catalog);
    initial = read.state;
    problems.push(...read.problems.map((p) => p.message));
  }
  // The element's own host rules (element.js) after the playground's, the parts shown last.
  const own = shadow.adoptedStyleSheets;
  shadow.adoptedStyleSheets = [...sheets, ...own, partsSheet];

  const root = document.createElement("div");
  root.className = "ap";
  root.setAttribute("part", "layout");
  const status = document.createElement("p");
  status.className = "ap-status";
  status.setAttribute("part", "status");
  status.textContent = `Computed by ${backend.label}` + (backend.isolated ? "" : " (this page is not cross-origin isolated, so one thread)");
  status.title = backend.notes.join(" ");
  shadow.replaceChildren(root, status);

  const id = ++figures;
  let drawn = false; // the first view is on screen (ready has fired)
  let failed = null; // the message of a view that failed before the first one was drawn
  const copy = () => JSON.parse(JSON.stringify(pg.state));

  /** The first view failed: show a sensible one instead, the example sentence first, then the defaults. */
  function fallBack(message) {
    const example = normalize({ ...pg.state, mode: "self", sentence: PAGE_DEFAULTS.sentence, context: PAGE_DEFAULTS.context, focus: null }, catalog);
    const plain = normalize({}, catalog);
    const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
    const next = [[example, "the example sentence"], [plain, "the default view"]].find(([s]) => !same(s, pg.state));
    if (!next) {
      fire("error", `The figure could not be drawn: ${message}`);
      return;
    }
    fire("error", `The figure's first view could not be computed: ${message} It shows ${next[1]} instead.`);
    pg.set(next[0]);
  }

  const pg = mount(root, initial, {
    catalog,
    compute: (calls) => latest(`view:${id}`, "batch", calls),
    models: {
      manifest: () => (manifest ??= call("modelManifest")),
      load: (name, { onProgress } = {}) => load(name, { onProgress }),
      cancel: () => cancelLoad(),
    },
    parts,
    // "Copy link": the full page beside the element's folder, showing this view.
    link: (s) => new URL(`../#${toQuery(s, catalog)}`, src).href,
    onChange: () => {
      if (drawn) fire("statechange", copy());
    },
    onError: (message) => {
      if (drawn) fire("error", message);
      else failed = message;
    },
    onRender: () => {
      if (drawn) return;
      if (failed !== null) {
        const message = failed;
        failed = null;
        fallBack(message);
        return;
      }
      drawn = true;
      fire("ready", { state: copy(), backend: backend.label, ms: performance.now() - t0 });
    },
  });
  for (const [part, selector] of PART_OF) root.querySelector(selector)?.setAttribute("part", part);
  // Landmarks named for the figure they belong to: a page with several figures has several
  // "The current stage" regions, told apart by their figure's place on the page.
  const place = [...document.querySelectorAll("attention-playground")].indexOf(host) + 1;
  for (const el of root.querySelectorAll("section[aria-label], nav[aria-label], aside[aria-label]")) {
    el.setAttribute("aria-label", `${el.getAttribute("aria-label")} (figure ${place})`);
  }
  for (const message of problems) fire("error", message);

  return {
    get state() {
      return copy();
    },
    setState(value) {
      pg.set(normalize(value ?? {}, catalog));
    },
    attributes(names) {
      const messages = names.has("controls") ? readParts() : [];
      const read = readAttributes(attributes(), catalog);
      const fields = [...names].map((n) => fieldName(n, catalog, read.state.model)).filter((f) => f !== undefined);
      messages.push(...read.problems.filter((p) => names.has(p.attribute)).map((p) => p.message));
      // A new model re-reads every attribute (its options and stages differ); else only those changed.
      if (fields.includes("model")) pg.set(read.state);
      else if (fields.length) pg.set(Object.fromEntries(fields.map((f) => [f, read.state[f]])));
      for (const m of messages) fire("error", m);
    },
    pause() {
      root.dataset.paused = "true";
      pg.pause();
    },
    resume() {
      delete root.dataset.paused;
      pg.resume();
    },
  };
}
