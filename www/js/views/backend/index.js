// The backend choice and the long-context run, in the header beside the status line: the CPU
// build that runs (its label) or WebGPU (its adapter), each with the time of its last run; the
// WebGPU option disabled with the reason when there is none; a button that computes attention
// over 16,384 tokens (8 heads, d 64, causal) on the chosen backend, in a worker of its own, with
// Cancel. The stages below are traced on the CPU reference: the choice routes attentionAsync.
// createBackend({onChoose(backend), onRun(), onCancel()}) -> {el, update(view)}; see README.md.
import { h } from "../../dom.js";
import { count, duration, gpuName, unavailableText, effective, shapeText, runText } from "./text.js";

export function createBackend({ onChoose, onRun, onCancel }) {
  const radio = (value) => h("input", { type: "radio", name: "ap-backend", id: `ap-backend-${value}`, value, onchange: (e) => e.target.checked && onChoose(value) });
  const cpu = radio("cpu");
  const gpu = radio("webgpu");
  const cpuName = h("span", { class: "ap-backend-name" });
  const gpuNameEl = h("span", { class: "ap-backend-name" });
  const cpuTime = h("span", { id: "ap-backend-cpu-time", class: "ap-backend-time" });
  const gpuTime = h("span", { id: "ap-backend-webgpu-time", class: "ap-backend-time" });
  const reason = h("p", { id: "ap-backend-webgpu-reason", class: "ap-backend-reason" });
  const picker = h("fieldset", { id: "ap-backend-choice", class: "ap-backend-choice" },
    h("legend", { text: "Attention backend" }),
    h("label", { for: "ap-backend-cpu", class: "ap-backend-option" }, cpu, h("span", {}, cpuName, " ", cpuTime)),
    h("label", { for: "ap-backend-webgpu", class: "ap-backend-option" }, gpu, h("span", {}, gpuNameEl, " ", gpuTime)),
    reason);
  const run = h("button", { type: "button", id: "ap-long-run", onclick: () => onRun() });
  const cancel = h("button", { type: "button", id: "ap-long-cancel", text: "Cancel", hidden: true, onclick: () => onCancel() });
  const result = h("p", { id: "ap-long-result", class: "ap-long-result", "aria-live": "polite" });
  const about = h("p", { class: "ap-hint ap-long-about" });
  const el = h("section", { id: "ap-backends", class: "ap-backends", "aria-label": "Attention backend and the long-context run" },
    picker, h("div", { id: "ap-long", class: "ap-long" }, run, cancel, result), about);

  /**
   * view: {choice, cpuLabel, gpu (webgpuInfo() or null while asked), last: {cpu, webgpu} (each
   * the last run there or null), long: {phase: "idle" | "running" | "done" | "error" |
   * "cancelled", run, error}, n (the run's token count)}.
   */
  function update(view) {
    const names = { cpu: view.cpuLabel, webgpu: gpuName(view.gpu) ?? "WebGPU" };
    cpuName.textContent = `CPU: ${view.cpuLabel}`;
    gpuNameEl.textContent = gpuName(view.gpu) ?? "WebGPU";
    const last = (r) => (r ? `last run ${duration(r.ms)}` : "no run yet");
    cpuTime.textContent = last(view.last.cpu);
    // While the browser is asked, the note sits on the option's line (no line that comes and
    // goes, so nothing below moves when the answer comes).
    gpuTime.textContent = view.gpu?.available ? last(view.last.webgpu) : view.gpu ? "" : "asking the browser…";
    gpu.disabled = !view.gpu?.available;
    reason.textContent = unavailableText(view.gpu);
    reason.hidden = reason.textContent === "" || !view.gpu;
    const on = effective(view.choice, view.gpu);
    cpu.checked = on === "cpu";
    gpu.checked = on === "webgpu";
    const busy = view.long.phase === "running";
    run.textContent = `Compute attention over ${count(view.n)} tokens`;
    run.disabled = busy;
    cancel.hidden = !busy;
    const target = on === "webgpu" ? names.webgpu : `the CPU (${view.cpuLabel})`;
    result.textContent = busy ? `Computing on ${target}… The page keeps working meanwhile.`
      : view.long.phase === "done" ? runText(view.long.run, names)
        : view.long.phase === "error" ? `The long-context run failed: ${view.long.error}`
          : view.long.phase === "cancelled" ? "Cancelled." : "";
    about.textContent = `Long context: ${shapeText({ n: view.n, heads: 8, headDim: 64, causal: true })}, random inputs, timed, in a worker of its own. ` +
      "The stages below are traced on the CPU with the readable reference; the backend choice applies to this run.";
    Object.assign(el.dataset, { choice: view.choice, webgpu: view.gpu ? (view.gpu.available ? "available" : "unavailable") : "asking", run: view.long.phase });
    const r = view.long.phase === "done" ? view.long.run : null;
    for (const [k, v] of Object.entries({ ran: r?.backend, ms: r ? r.ms.toFixed(2) : undefined, n: r ? String(r.n) : undefined, fallback: r?.fallback ? "true" : undefined })) {
      if (v === undefined) delete el.dataset[k];
      else el.dataset[k] = v;
    }
  }

  return { el, update };
}
