// Boot: start the compute worker (it loads the fastest engine build this browser runs and
// reports the engine's stages and models), mount the playground into #playground with the state
// in the URL, and keep the URL and the history in step with the state. Back/forward walk
// through changes.
//
// Test switches in the query string (the state lives in the hash): ?build=simd forces a build,
// ?relaxed=0 ignores relaxed SIMD, ?threads=N sizes the thread pool, ?store=0 keeps downloaded
// model files out of Cache Storage (as where it is missing or full), ?weights=q8 loads that
// variant of a model's weights (default: the manifest's first).
import { start, latest, load, cancelLoad, call, api } from "./engine.js";
import { mount } from "./playground.js";
import { fromQuery, toQuery } from "./state.js";

const root = document.getElementById("playground");
const status = document.getElementById("ap-backend");

function switches() {
  const p = new URLSearchParams(location.search);
  const options = {};
  if (p.has("build")) options.build = p.get("build");
  if (p.get("relaxed") === "0") options.relaxed = false;
  const threads = Number(p.get("threads"));
  if (Number.isInteger(threads) && threads > 0) options.threads = threads;
  if (p.get("store") === "0") options.store = false;
  return options;
}
const variant = new URLSearchParams(location.search).get("weights") ?? undefined;

try {
  const { backend, stages, models } = await start(switches());
  const catalog = { stages, models };
  root.dataset.backend = backend.label;
  status.textContent = `Computed by ${backend.label}`;
  status.title = backend.notes.join(" ");
  if (!backend.isolated) status.textContent += " (this page is not cross-origin isolated, so one thread)";
  window.attentionEngine = api; // for tests and the curious: the same worker the page uses
  let typingTimer = 0;
  let typingEntry = false;
  const url = (state) => `${location.pathname}${location.search}#${toQuery(state, catalog)}`;
  const pg = mount(root, fromQuery(location.hash, catalog), {
    catalog,
    compute: (calls) => latest("view", "batch", calls),
    models: {
      manifest: () => call("modelManifest"),
      load: (name, { onProgress } = {}) => load(name, { variant, onProgress }),
      cancel: () => cancelLoad(),
    },
    onChange(state, { push, replace }) {
      if (replace) {
        history.replaceState(null, "", url(state));
        return;
      }
      if (push) {
        history.pushState(null, "", url(state));
        typingEntry = false;
        return;
      }
      // Typing: one history entry per burst of typing, updated in place while it lasts.
      if (!typingEntry) history.pushState(null, "", url(state));
      else history.replaceState(null, "", url(state));
      typingEntry = true;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => (typingEntry = false), 800);
    },
  });
  window.addEventListener("popstate", () => pg.replace(fromQuery(location.hash, catalog)));
  window.playground = pg;
} catch (e) {
  root.dataset.ready = "true";
  root.dataset.backend = "none";
  status.textContent = "The attention engine did not start.";
  const p = document.createElement("p");
  p.id = "ap-message";
  p.setAttribute("role", "alert");
  p.textContent = `The attention engine could not start in this browser (${e instanceof Error ? e.message : e}). ` +
    "It needs WebAssembly; try a current Chrome, Firefox, Edge or Safari.";
  root.replaceChildren(p);
}
