// The host page's script (tests/e2e/host/index.html): loads <attention-playground> from the
// playground's origin (?from=http://127.0.0.1:PORT/), adds the iframe (embed.html, with this
// page's origin in its fragment, or ?frameOrigin= to give it another) and the host script that
// sizes it, and records what the figures say in window.hostEvents for the test to read.
const params = new URLSearchParams(location.search);
const from = new URL(params.get("from"));
window.hostEvents = [];
const record = (target, type, detail) => window.hostEvents.push({ id: target.id, type, detail, t: performance.now() });
for (const el of document.querySelectorAll("attention-playground")) {
  for (const type of ["ready", "statechange", "error"]) el.addEventListener(type, (e) => record(el, type, e.detail));
}
document.getElementById("show-causal").addEventListener("click", () => {
  const fig = document.getElementById("fig-scores");
  fig.state = { ...fig.state, causal: true, stage: "masked" };
});

await import(new URL("js/element.js", from).href);
const host = await import(new URL("js/embed-host.js", from).href);
window.embedHost = host;

const frame = document.createElement("iframe");
frame.id = "fig-frame";
frame.title = "Attention: the weights of a causal head, in an iframe";
frame.loading = "lazy";
frame.height = "400";
const fragment = new URLSearchParams({ s: "The frame sat on the page.", stage: "softmax", causal: "1", controls: "stepper", origin: params.get("frameOrigin") ?? location.origin });
frame.src = new URL(`embed.html#${fragment}`, from).href;
for (const type of ["ready", "statechange", "error"]) frame.addEventListener(type, (e) => record(frame, type, e.detail));
document.getElementById("frame-box").append(frame);
