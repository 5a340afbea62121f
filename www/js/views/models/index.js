// The model picker: every model of the engine's catalogue as a radio button, a model with file
// weights with its download size (from the manifest); while its weights download, a progress
// bar (MB received of total) with Cancel; a fault in words with Retry; and where the weights
// came from (this browser's storage, the network, or memory only).
// createModels({onPick(name), onCancel(), onRetry()}) -> {el, update(state, {catalog, manifest, load})}
import { h } from "../../dom.js";
import { download, megabytes, progressText, loadedText } from "./text.js";

export function createModels({ onPick, onCancel, onRetry }) {
  const choices = h("div", { class: "ap-model-choices" });
  const picker = h("fieldset", { id: "ap-model", class: "ap-model-picker" }, h("legend", { text: "Model" }), choices);
  const bar = h("progress", { id: "ap-model-progress", max: 1, value: 0, "aria-labelledby": "ap-model-status" });
  const status = h("p", { id: "ap-model-status", "aria-live": "polite" });
  const cancel = h("button", { type: "button", id: "ap-model-cancel", text: "Cancel", onclick: () => onCancel() });
  const loading = h("div", { class: "ap-model-loading", hidden: true }, status, h("div", { class: "ap-row" }, bar, cancel));
  const errorText = h("p", { class: "ap-model-error-text" });
  const retry = h("button", { type: "button", id: "ap-model-retry", text: "Retry", onclick: () => onRetry() });
  const error = h("div", { id: "ap-model-error", class: "ap-model-error", role: "alert", hidden: true }, errorText, retry);
  const note = h("p", { id: "ap-model-note", class: "ap-hint", "aria-live": "polite" });
  const notice = h("p", { id: "ap-model-license", class: "ap-hint" });
  const el = h("section", { id: "ap-models", class: "ap-models", "aria-label": "Model" }, picker, loading, error, note, notice);
  let built = "";
  const radios = new Map();

  function update(state, { catalog, manifest, load }) {
    const key = catalog.models.map((m) => m.name).join(",") + "|" + (manifest ? "m" : "");
    if (key !== built) {
      built = key;
      radios.clear();
      choices.replaceChildren(...catalog.models.map((card) => {
        const id = `ap-model-${card.name}`;
        const input = h("input", { type: "radio", name: "ap-model", id, value: card.name, onchange: () => input.checked && onPick(card.name) });
        radios.set(card.name, input);
        const about = card.weights === "file"
          ? `Real weights${download(manifest, card.name) ? `, a ${megabytes(download(manifest, card.name).bytes)} download` : ", downloaded when chosen"}: ${card.description}`
          : card.description;
        return h("label", { for: id, class: "ap-model-choice" }, input, h("span", { class: "ap-model-title", text: card.title }), h("span", { class: "ap-model-about", text: about }));
      }));
    }
    const busy = load?.phase === "loading";
    const chosen = busy ? load.name : state.model;
    for (const [name, input] of radios) input.checked = name === chosen;
    const title = (name) => catalog.models.find((m) => m.name === name)?.title ?? name;

    loading.hidden = !busy;
    if (busy) {
      const total = load.progress?.overall?.total ?? load.progress?.total ?? 0;
      const received = load.progress?.overall?.received ?? load.progress?.received ?? 0;
      if (total > 0) {
        bar.max = total;
        bar.value = Math.min(received, total);
      } else {
        bar.removeAttribute("value"); // indeterminate until the sizes are known
      }
      status.textContent = load.progress ? progressText(title(load.name), load.progress) : `Getting ${title(load.name)} ready…`;
    }
    error.hidden = load?.phase !== "error";
    if (load?.phase === "error") {
      errorText.textContent = `${title(load.name)} could not be loaded: ${load.error} The ${title(state.model)} keeps working.`;
    }
    if (load?.phase === "done" && load.name === state.model) note.textContent = loadedText(title(load.name), load.result);
    else if (load?.phase === "cancelled") note.textContent = `The download of ${title(load.name)} was cancelled.`;
    else note.textContent = "";
    const d = download(manifest, state.model);
    const file = catalog.models.find((m) => m.name === state.model)?.weights === "file" && d?.license;
    // The source's first words (its name) in the line, all of it (where from, the checksums) on hover.
    const source = d?.source ? String(d.source).split(" (")[0] : "";
    notice.textContent = file ? `${d.title}: pretrained weights under the ${d.license} licence${source ? `, from ${source}` : ""}; ${d.variant} variant.` : "";
    notice.title = file && d.source ? String(d.source) : "";
  }
  return { el, update };
}
