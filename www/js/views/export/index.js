// The export buttons under the stage's heatmap: the matrix shown as PNG, SVG, CSV or JSON, saved
// through a blob URL. See README.md.
import { h } from "../../dom.js";
import { csv, fileName, jsonText, png, svg } from "../../export/index.js";

const KINDS = [
  ["png", "PNG", "an image at this screen's pixel density, with the labels, title and colour scale"],
  ["svg", "SVG", "a vector drawing: one rectangle per cell, the labels as text"],
  ["csv", "CSV", "the numbers at full precision, token labels on both axes"],
  ["json", "JSON", "the numbers, tokens, stage, model and the state that shows this figure again"],
];
const TYPES = { png: "image/png", svg: "image/svg+xml", csv: "text/csv;charset=utf-8", json: "application/json" };

/** A canvas for the PNG: an OffscreenCanvas where there is one, else a detached <canvas>. */
function makeCanvas(width, height) {
  if (typeof OffscreenCanvas === "function") return new OffscreenCanvas(width, height);
  return h("canvas", { width, height });
}

const kb = (n) => (n < 1024 ? `${n} bytes` : `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KB`);

/**
 * `figure()` -> what the stage shows ({matrix, rowLabels, colLabels, title, palette, clip,
 * highlightRow, stage, model, state, crop}) or null before the first view; `onExport(kind, {name,
 * bytes})` after a file was saved (optional).
 */
export function createExport({ figure, onExport = () => {} }) {
  const status = h("span", { id: "ap-export-status", class: "ap-export-status", role: "status" });
  const buttons = KINDS.map(([kind, label, what]) =>
    h("button", { type: "button", id: `ap-export-${kind}`, text: label, title: `Download ${what}`, "aria-label": `Download as ${label}`, onclick: () => save(kind) }),
  );
  const el = h("div", { class: "ap-export ap-row", role: "group", "aria-label": "Download this matrix" }, h("span", { class: "ap-export-label", text: "Download:" }), ...buttons, status);

  /** The figure as export functions take it: its title names the model too. */
  function spec() {
    const f = figure();
    if (!f) return null;
    const model = f.model?.title ?? f.model?.name;
    // The state without the guided tour's step: feeding it back shows the figure, not the tour.
    return { ...f, title: model ? `${f.title} · ${model}` : f.title, state: f.state && { ...f.state, tour: null } };
  }

  async function file(kind, s) {
    if (kind === "png") return png({ ...s, dpr: globalThis.devicePixelRatio || 1, canvas: makeCanvas });
    const text = kind === "svg" ? svg(s) : kind === "csv" ? csv(s) : jsonText(s);
    return new Blob([text], { type: TYPES[kind] });
  }

  async function save(kind) {
    const s = spec();
    if (!s) {
      status.textContent = "Nothing to download yet: the figure is still being computed.";
      return;
    }
    const name = fileName({ stage: s.stage?.name, head: s.state?.head, layer: s.state?.layer, perHead: s.stage?.perHead, layers: s.model?.layers }, kind);
    el.dataset.busy = "true";
    for (const b of buttons) b.disabled = true;
    try {
      const blob = await file(kind, s);
      const url = URL.createObjectURL(blob);
      const a = h("a", { href: url, download: name, hidden: true });
      el.append(a);
      a.click();
      a.remove();
      // The download has its own copy once it starts; the URL is let go a little later.
      setTimeout(() => URL.revokeObjectURL(url), 30_000);
      status.textContent = `Saved ${name} (${kb(blob.size)}).`;
      onExport(kind, { name, bytes: blob.size });
    } catch (e) {
      status.textContent = `The ${kind.toUpperCase()} could not be made: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      delete el.dataset.busy;
      for (const b of buttons) b.disabled = false;
    }
  }

  return { el, save };
}
