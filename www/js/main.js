// Boot: start the compute worker (it loads the fastest engine build this browser runs and
// reports the engine's stages and models), mount the playground into #playground with the state
// in the URL, and keep the URL and the history in step with the state. Back/forward walk
// through changes.
//
// Test switches in the query string (the state lives in the hash): ?build=simd forces a build,
// ?relaxed=0 ignores relaxed SIMD, ?threads=N sizes the thread pool, ?store=0 keeps downloaded
// model files out of Cache Storage (as where it is missing or full), ?weights=q8 loads that
// variant of a model's weights (default: the manifest's first), ?long=N sets the long-context
// run's token count (default 16,384; tests use a small one: SwiftShader runs at CPU speed).
import { start, latest, load, cancelLoad, call, api, long, stopLong } from "./engine.js";
import { mount } from "./playground.js";
import { fromQuery, toQuery } from "./state.js";
import { createBackend } from "./views/backend/index.js";
import { statusText, effective, gpuName } from "./views/backend/text.js";

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
const longN = (() => {
  const n = Number(new URLSearchParams(location.search).get("long"));
  return Number.isInteger(n) && n >= 1 && n <= 65536 ? n : 16384;
})();

try {
  const { backend, stages, models } = await start(switches());
  const catalog = { stages, models };
  root.dataset.backend = backend.label;
  const base = `Computed by ${backend.label}` + (backend.isolated ? "" : " (this page is not cross-origin isolated, so one thread)");
  status.textContent = base;
  status.title = backend.notes.join(" ");
  window.attentionEngine = api; // for tests and the curious: the same worker the page uses
  let typingTimer = 0;
  let typingEntry = false;
  let refresh = () => {}; // shows the backend choice once it is made (below)
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
      refresh();
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
  window.addEventListener("popstate", () => {
    pg.replace(fromQuery(location.hash, catalog));
    refresh();
  });
  window.playground = pg;

  // The backend choice (in the state: `be`) and the long-context run, beside the status line.
  const bv = { gpu: null, last: { cpu: null, webgpu: null }, long: { phase: "idle" } };
  const backendView = createBackend({
    onChoose: (choice) => pg.set({ backend: choice }, { push: true }),
    onRun: () => runLong(),
    onCancel: () => {
      if (stopLong()) {
        bv.long = { phase: "cancelled" };
        showBackend();
      }
    },
  });
  status.after(backendView.el);
  function showBackend() {
    backendView.update({ ...bv, choice: pg.state.backend, cpuLabel: backend.label, n: longN });
    const run = bv.long.phase === "done" ? bv.long.run : null;
    status.textContent = statusText(base, run, { cpu: backend.label, webgpu: gpuName(bv.gpu) ?? "WebGPU" });
  }
  /** The run on the chosen backend; a WebGPU failure (a lost device) runs it again on the CPU. */
  async function runLong() {
    const on = effective(pg.state.backend, bv.gpu);
    const config = { n: longN, heads: 8, headDim: 64, causal: true };
    bv.long = { phase: "running" };
    showBackend();
    try {
      let run;
      try {
        run = await long("longContext", { ...config, backend: on });
      } catch (e) {
        if (on !== "webgpu" || e?.name === "Cancelled") throw e;
        const why = e instanceof Error ? e.message : String(e);
        run = { ...(await long("longContext", { ...config, backend: "cpu" })), fallback: why };
        // The device may be back (the next call opens a new one), or WebGPU gone: ask again.
        bv.gpu = await call("webgpuInfo").catch(() => bv.gpu);
      }
      bv.last[run.backend] = run;
      bv.long = { phase: "done", run };
    } catch (e) {
      if (e?.name === "Cancelled") return; // onCancel said so
      bv.long = { phase: "error", error: e instanceof Error ? e.message : String(e) };
    }
    showBackend();
  }
  refresh = showBackend;
  showBackend();
  call("webgpuInfo").then(
    (info) => {
      bv.gpu = info;
      showBackend();
    },
    (e) => {
      bv.gpu = { available: false, reason: e instanceof Error ? e.message : String(e) };
      showBackend();
    },
  );
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
