// The sentence editor: presets, the sentence (and the context sentence in cross-attention),
// and the tokens as chips. Clicking a chip follows that token. Subword pieces ("##ing") sit
// joined to the word they continue; a model's special tokens ([CLS], [SEP]) can be hidden from
// the view (the weights shown still include them).
// createTokens({onInput(field, text), onPreset(text), onFollow(i), onMode(mode), onHideSpecial(on)}) -> {el, update(state, trace, card)}
import { h, focused } from "../../dom.js";
import { PRESETS } from "../../state.js";
import { words, isSpecial } from "../../subwords.js";

export function createTokens({ onInput, onPreset, onFollow, onMode, onHideSpecial = () => {} }) {
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
  const hide = h("input", { type: "checkbox", id: "ap-hide-special", onchange: () => onHideSpecial(hide.checked) });
  const hideLabel = h("label", { for: "ap-hide-special" });
  const specialNote = h("span", { id: "ap-special-note", class: "ap-hint" });
  const special = h("p", { class: "ap-special ap-check", hidden: true }, hide, hideLabel, specialNote);
  const el = h("section", { class: "ap-input", "aria-label": "Sentence" },
    h("div", { class: "ap-field" },
      h("div", { class: "ap-row" }, h("label", { for: "ap-sentence", text: "Sentence" }), preset, mode),
      sentence),
    contextBox,
    chips,
    special);

  /** `card`: the model's card (a model whose card says `crossAttention: false` has no mode picker). */
  function update(state, trace, card = null) {
    if (!focused(sentence) && sentence.value !== state.sentence) sentence.value = state.sentence;
    if (!focused(context) && context.value !== state.context) context.value = state.context;
    mode.value = state.mode;
    mode.hidden = card?.crossAttention === false;
    contextBox.hidden = state.mode !== "cross";
    if (!trace) return;
    const tokens = trace.tokens.query;
    const specials = tokens.filter(isSpecial).map((t) => t.text);
    special.hidden = specials.length === 0;
    hide.checked = state.hideSpecial;
    const names = [...new Set(specials)].join(" and ");
    hideLabel.textContent = `Hide ${names} from the view`;
    specialNote.textContent = state.hideSpecial && specials.length
      ? ` (hidden here only: the model still reads them, and every weight shown still includes them, so a row of weights no longer sums to 1 on screen)`
      : "";
    const key = `${state.focus}|${state.hideSpecial}|${tokens.map((t) => t.text).join("\u0000")}`;
    if (chips.dataset.key === key) return; // unchanged: keep the buttons (and keyboard focus)
    chips.dataset.key = key;
    // One group per word: a word's "##" pieces sit joined to it, the "##" shown faint.
    const parts = words(tokens);
    const groups = [];
    tokens.forEach((t, i) => {
      const p = parts[i];
      const whole = parts.filter((x) => x.word === p.word).map((x) => x.rest).join("");
      const chip = h("button", {
        type: "button", class: p.piece ? "ap-chip ap-piece" : "ap-chip", dataset: { token: String(i) },
        "aria-pressed": String(state.focus === i),
        title: p.piece || parts[i + 1]?.piece ? `Follow "${t.text}" (part of "${whole}")` : `Follow "${t.text}"`,
        hidden: p.special && state.hideSpecial,
        onclick: () => onFollow(state.focus === i ? null : i),
      }, p.joiner ? h("span", { class: "ap-joiner", text: p.joiner }) : null, p.rest);
      if (p.piece) groups.at(-1).append(chip);
      else groups.push(h("span", { class: "ap-word" }, chip));
    });
    chips.replaceChildren(...groups);
  }
  return { el, update, sentence };
}
