// Boot: start the engine, mount the playground into #playground with the state in the URL, and
// keep the URL and the history in step with the state. Back/forward walk through changes.
import { start } from "./engine.js";
import { mount } from "./playground.js";
import { fromQuery, toQuery } from "./state.js";

const root = document.getElementById("playground");
try {
  const wasm = await start();
  window.attentionEngine = wasm; // for tests and the curious: the same engine the page uses
  let typingTimer = 0;
  let typingEntry = false;
  const url = (state) => `${location.pathname}${location.search}#${toQuery(state)}`;
  const pg = mount(root, fromQuery(location.hash), {
    onChange(state, { push }) {
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
  window.addEventListener("popstate", () => pg.replace(fromQuery(location.hash)));
  window.playground = pg;
} catch (e) {
  root.dataset.ready = "true";
  const p = document.createElement("p");
  p.id = "ap-message";
  p.setAttribute("role", "alert");
  p.textContent = `The attention engine could not start in this browser (${e instanceof Error ? e.message : e}). ` +
    "It needs WebAssembly; try a current Chrome, Firefox, Edge or Safari.";
  root.replaceChildren(p);
}
