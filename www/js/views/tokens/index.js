// The sentence editor: presets, the sentence (and the context sentence in cross-attention),
// and the tokens as chips. Clicking a chip follows that token.
// createTokens({onInput(field, text), onPreset(text), onFollow(i), onMode(mode)}) -> {el, update(state, trace)}
import { h } from "../../dom.js";
import { PRESETS } from "../../state.js";

export function createTokens({ onInput, onPreset, onFollow, onMode }) {
  const sentence = h("textarea", { id: "ap-sentence", rows: 2, spellcheck: false, autocomplete: "off", oninput: () => onInput("sentence", sentence.value) });
  const context = h("textarea", { id: "ap-context", rows: 2, spellcheck: false, autocomplete: "off", oninput: () => onInput("context", context.value) });
  const preset = h("select", { id: "ap-preset", "aria-label": "Example sentences", onchange: () => { if (preset.value !== "") onPreset(PRESETS[Number(preset.value)].sentence); preset.value = ""; } },
    h("option", { value: "", text: "Examples…" }),
    ...PRESETS.map((p, i) => h("option", { value: String(i), text: p.name })));
  const mode = h("select", { id: "ap-mode", "aria-label": "Attention type", onchange: () => onMode(mode.value) },
    h("option", { value: "self", text: "Self-attention" }),
    h("option", { value: "cross", text: "Cross-attention" }));
  const contextBox = h("div", { class: "ap-field" }, h("label", { for: "ap-context", text: "Context sentence (supplies keys and values)" }), context);
  const chips = h("div", { class: "ap-tokens", role: "group", "aria-label": "Tokens: choose one to follow" });
  const el = h("section", { class: "ap-input", "aria-label": "Sentence" },
    h("div", { class: "ap-field" },
      h("div", { class: "ap-row" }, h("label", { for: "ap-sentence", text: "Sentence" }), preset, mode),
      sentence),
    contextBox,
    chips);

  function update(state, trace) {
    if (document.activeElement !== sentence && sentence.value !== state.sentence) sentence.value = state.sentence;
    if (document.activeElement !== context && context.value !== state.context) context.value = state.context;
    mode.value = state.mode;
    contextBox.hidden = state.mode !== "cross";
    if (!trace) return;
    const tokens = trace.tokens.query;
    const key = `${state.focus}|${tokens.map((t) => t.text).join("\u0000")}`;
    if (chips.dataset.key === key) return; // unchanged: keep the buttons (and keyboard focus)
    chips.dataset.key = key;
    chips.replaceChildren(...tokens.map((t, i) => h("button", {
      type: "button", class: "ap-chip", dataset: { token: String(i) }, text: t.text,
      "aria-pressed": String(state.focus === i),
      title: `Follow "${t.text}"`,
      onclick: () => onFollow(state.focus === i ? null : i),
    })));
  }
  return { el, update, sentence };
}
