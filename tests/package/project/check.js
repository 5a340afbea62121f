// The host page's own script: records the element's first `ready` or `error` event for the test.
/* global document, window */
const el = document.querySelector("attention-playground");
window.packageCheck = new Promise((resolve) => {
  el.addEventListener("ready", () => resolve({ ready: true }), { once: true });
  el.addEventListener("error", (e) => resolve({ error: e.detail?.message ?? String(e.detail) }), { once: true });
});
