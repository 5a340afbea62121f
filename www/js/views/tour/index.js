// The guided tour (issue 12): a compact panel that walks through attention's core questions,
// where the learner first predicts, then the page reveals the answer from the engine's trace.
// createTour({onSet(patch, {push, replace}), onEnd()}) -> {el, update(state, facts)}
//   state.tour: the step shown (null: no tour, only the start button shows)
//   facts: what the page computed for the view on screen (see README.md)
// The steps' words, settings and answers are in steps.js (pure); this file is the DOM.
import { h, activeElement } from "../../dom.js";
import { STEPS, stepAt, settingsOf, sameView, parseGuess, countText } from "./steps.js";

const CHIPS = ".ap-tokens button[data-token]";
/** Most guess buttons a token prediction shows (the tour's sentence has 11 or 13 tokens). */
const MOST_TOKENS = 64;

export function createTour({ onSet, onEnd = () => onSet({ tour: null }) }) {
  let state = null; // the page's state at the last update
  let facts = null; // the facts at the last update
  let seen = { facts: null, state: null }; // the state the newest facts were traced for
  let at = null; // the step shown, or null
  // This visit of the step: its phase ("predict", "revealing", "revealed"), the learner's guess,
  // the facts' snapshot before the reveal (`before`), and the reveal's result.
  let memo = null;
  let focusTitle = false; // move focus to the heading at the next render (a step change)
  let focusAfterReveal = false;

  const start = h("button", { type: "button", id: "ap-tour-start", class: "ap-tour-start", text: "Take the guided tour", onclick: () => go(0) });
  const count = h("p", { id: "ap-tour-count", class: "ap-tour-count" });
  const dots = h("ol", { class: "ap-tour-dots", "aria-hidden": "true" }, ...STEPS.map(() => h("li")));
  const title = h("h2", { id: "ap-tour-title", class: "ap-tour-title", tabindex: "-1" });
  const body = h("div", { id: "ap-tour-body", class: "ap-tour-body" });
  const actions = h("div", { id: "ap-tour-actions", class: "ap-tour-actions", role: "group", "aria-label": "Try it" });
  const question = h("legend", { id: "ap-tour-question" });
  const guesses = h("div", { class: "ap-tour-guesses" });
  const reveal = h("button", { type: "button", id: "ap-tour-reveal", class: "ap-tour-primary", text: "Reveal", onclick: () => doReveal() });
  const predict = h("fieldset", { id: "ap-tour-predict", class: "ap-tour-predict" }, question, guesses, reveal);
  const answer = h("div", { id: "ap-tour-answer", class: "ap-tour-answer", "aria-live": "polite" });
  const status = h("p", { id: "ap-tour-status", class: "ap-tour-status", "aria-live": "polite" });
  const back = h("button", { type: "button", id: "ap-tour-back", text: "Back", onclick: () => go(at - 1) });
  const next = h("button", { type: "button", id: "ap-tour-next", class: "ap-tour-primary", onclick: () => (at >= STEPS.length - 1 ? end() : go(at + 1)) });
  const close = h("button", { type: "button", id: "ap-tour-end", class: "ap-tour-close", text: "End tour", onclick: () => end() });
  const panel = h("div", { class: "ap-tour-panel", hidden: true },
    h("div", { class: "ap-tour-head" }, count, dots, close),
    title, body, predict, answer, actions, status,
    h("nav", { class: "ap-tour-nav", "aria-label": "Tour steps" }, back, next));
  const el = h("section", { id: "ap-tour", class: "ap-tour", "aria-label": "Guided tour" }, start, panel);

  const step = () => stepAt(at);
  const fresh = () => facts !== null && sameView(seen.state, state);

  /** Moves to step `n` with its settings, as one history entry (entering by link or history: in place). */
  function go(n, { push = true } = {}) {
    n = Math.max(0, Math.min(STEPS.length - 1, n));
    const settings = settingsOf(stepAt(n), facts?.card);
    if (push) focusTitle = true;
    at = n;
    memo = { phase: "predict", guess: null, before: null, result: null };
    const how = push ? { push: true } : { push: false, replace: true };
    const before = calls;
    if (settings.model === null || settings.model === state?.model) {
      onSet({ ...settings, tour: n }, how);
    } else {
      // A model whose files must load first: the page keeps the current one until they are in,
      // so the step is shown at once and the model asked for apart (it waits for its download).
      const { model, ...rest } = settings;
      onSet({ ...rest, tour: n }, how);
      onSet({ ...rest, model }, { push: false, replace: true });
    }
    // The page was already so (no update came): show the step on the facts at hand.
    if (calls === before && state) update(state, facts);
  }

  function end() {
    const inside = el.contains(activeElement(el)) || activeElement(el) === document.body;
    onEnd();
    if (inside && !start.hidden) start.focus();
  }

  function setGuess(value) {
    if (!memo || memo.phase !== "predict") return;
    const g = parseGuess(step().predict, value, facts);
    if (g === null) return;
    memo.guess = g;
    render();
  }

  function doReveal() {
    const p = step().predict;
    if (!p || !memo || memo.phase !== "predict" || memo.guess === null || !memo.before) return;
    memo.phase = "revealing";
    focusAfterReveal = true;
    const patch = p.reveal(memo.before);
    const before = calls;
    if (patch) onSet(patch, { push: false, replace: true });
    // No change to the state (nothing to apply, or already so): the facts on screen are the answer's.
    if (calls === before) update(state, facts);
  }

  // While the learner predicts a token, a click on a token chip is a guess (it does not follow it).
  // (Inside the custom element's shadow root the document sees the element as the target: the
  // event's composed path starts at the chip.)
  document.addEventListener("click", (e) => {
    const chip = (e.composedPath?.()[0] ?? e.target).closest?.(CHIPS);
    if (!chip || !el.parentNode?.contains(chip) || at === null || memo?.phase !== "predict" || step().predict?.kind !== "token" || step().waiting?.(facts) || state?.mode !== "self") return;
    e.preventDefault();
    e.stopPropagation();
    setGuess(chip.dataset.token);
  }, true);
  document.addEventListener("keydown", (e) => {
    // Escape ends the tour of its own page or figure (several figures of a page each have one).
    if (e.key !== "Escape" || e.defaultPrevented || at === null || !e.composedPath().includes(el.getRootNode())) return;
    e.preventDefault();
    end();
  });

  let calls = 0;
  function update(s, f) {
    calls++;
    state = s;
    facts = f ?? null;
    if (facts !== seen.facts) seen = { facts, state: s };
    if (s.tour === null) {
      at = null;
      memo = null;
      render();
      return;
    }
    const n = Math.min(s.tour, STEPS.length - 1);
    if (n !== at || memo === null) {
      // Entered by a link, a clamped step number, or the history: apply the step's settings.
      at = n;
      queueMicrotask(() => {
        if (at === n) go(n, { push: false });
      });
      memo = { phase: "predict", guess: null, before: null, result: null };
    }
    const p = step().predict;
    if (p && fresh()) {
      if (memo.phase === "predict" && (!p.canReveal || p.canReveal(facts))) memo.before = p.snapshot(facts);
      if (memo.phase === "revealing" && p.ready(facts)) {
        memo.result = p.result(facts, memo.guess, memo.before);
        memo.phase = "revealed";
      }
    }
    render();
  }

  /** Replaces a box's children when `key` changes, keeping keyboard focus on the same `data-key`. */
  function swap(box, key, build) {
    if (box.dataset.key === key) return false;
    box.dataset.key = key;
    const had = box.contains(activeElement(el)) ? activeElement(el).dataset.key : undefined;
    box.replaceChildren(...build());
    if (had !== undefined) box.querySelector(`[data-key="${CSS.escape(had)}"]`)?.focus();
    return true;
  }

  function render() {
    const on = at !== null && state !== null;
    start.hidden = on;
    panel.hidden = !on;
    if (!on) {
      for (const k of ["step", "stepId", "phase"]) delete el.dataset[k];
      return;
    }
    el.dataset.step = String(at);
    const s = step();
    const f = facts;
    const p = s.predict;
    el.dataset.phase = p ? memo.phase : "none";
    // What the learner predicts: while a word is guessed, the page keeps its answer out of sight (styles.css).
    el.dataset.predictKind = p?.kind ?? "none";
    el.dataset.stepId = s.id;
    count.textContent = countText(at);
    dots.querySelectorAll("li").forEach((li, i) => li.classList.toggle("ap-tour-done", i <= at));
    title.textContent = s.title(f);
    const paragraphs = s.text(f, state);
    swap(body, JSON.stringify(paragraphs), () => paragraphs.map((x) =>
      typeof x === "string" ? h("p", { text: x }) : h("ul", {}, ...x.list.map((t) => h("li", { text: t })))));
    // The step's own buttons (move the stepper, open a head, try a mask); a button with `pressed`
    // is a toggle. No "Load" while the page says a model is downloading (its data-model-load).
    const loading = el.closest("[data-model-load]")?.dataset.modelLoad === "loading";
    const list = (s.actions?.(f, state, memo) ?? []).filter((a) => !(a.id === "load" && loading));
    swap(actions, JSON.stringify(list.map((a) => [a.id, a.label])), () => list.map((a) =>
      h("button", { type: "button", id: `ap-tour-${a.id}`, dataset: { key: a.id }, text: a.label, onclick: () => onSet(a.patch, { push: true }) })));
    for (const a of list) {
      const b = actions.querySelector(`[data-key="${a.id}"]`);
      if (a.pressed === undefined) b.removeAttribute("aria-pressed");
      else b.setAttribute("aria-pressed", String(a.pressed));
    }
    actions.hidden = list.length === 0;
    renderPredict(s, f);
    back.disabled = at === 0;
    next.textContent = at >= STEPS.length - 1 ? "Finish" : "Next";
    if (focusTitle) {
      focusTitle = false;
      title.focus();
    }
  }

  function renderPredict(s, f) {
    const p = s.predict;
    // A step that waits for its model asks nothing yet (the tokens will change with the model).
    predict.hidden = !p || Boolean(s.waiting?.(f));
    answer.hidden = !p || memo.phase !== "revealed";
    status.hidden = true;
    if (!p) {
      answer.replaceChildren();
      return;
    }
    question.textContent = p.question(f, memo.phase === "revealed" ? memo.before : null);
    const locked = memo.phase !== "predict";
    if (p.kind === "token") {
      const keys = (f?.keys ?? []).slice(0, MOST_TOKENS);
      const rebuilt = swap(guesses, `${s.id}|${keys.join("\u0000")}`, () => keys.map((k, j) => h("button", {
        type: "button", class: "ap-tour-token", dataset: { key: String(j), token: String(j) }, text: k, onclick: () => setGuess(String(j)),
      })));
      // Other tokens (the learner edited the sentence): a guess by index means nothing now.
      if (rebuilt && memo.phase === "predict") memo.guess = null;
      for (const b of guesses.children) {
        b.setAttribute("aria-pressed", String(memo.guess === Number(b.dataset.token)));
        b.disabled = locked;
        b.classList.toggle("ap-tour-truth", memo.result?.answer === Number(b.dataset.token));
      }
    } else if (p.kind === "choice") {
      swap(guesses, s.id, () => p.choices.map((c) => h("button", {
        type: "button", class: "ap-tour-choice", dataset: { key: c.id, choice: c.id }, text: c.label, onclick: () => setGuess(c.id),
      })));
      for (const b of guesses.children) {
        b.setAttribute("aria-pressed", String(memo.guess === b.dataset.choice));
        b.disabled = locked;
        b.classList.toggle("ap-tour-truth", memo.result?.answer === b.dataset.choice);
      }
    } else if (p.kind === "number") {
      swap(guesses, s.id, () => {
        const input = h("input", { type: "number", id: "ap-tour-number", min: 0, step: 1, inputmode: "numeric", dataset: { key: "number" } });
        input.addEventListener("input", () => {
          memo.guess = parseGuess(p, input.value, facts);
          reveal.disabled = !canReveal(p);
        });
        input.addEventListener("keydown", (e) => {
          if (e.key === "Enter") doReveal();
        });
        return [h("label", { for: "ap-tour-number", text: "Pairs kept" }), input];
      });
      const input = guesses.querySelector("input");
      if (f) input.max = String(f.mask.totalPairs);
      input.disabled = locked;
      if (!locked && activeElement(el) !== input) input.value = memo.guess ?? "";
    }
    reveal.hidden = memo.phase === "revealed";
    reveal.disabled = !canReveal(p);
    reveal.textContent = memo.phase === "revealing" ? "Revealing…" : "Reveal";
    if (memo.phase === "revealed") {
      const r = memo.result;
      answer.dataset.correct = String(r.correct);
      swap(answer, JSON.stringify(r.lines), () => r.lines.map((t) => h("p", { text: t })));
      if (p.status && fresh()) {
        status.hidden = false;
        status.textContent = p.status(facts, state);
      }
      if (focusAfterReveal) {
        focusAfterReveal = false;
        const a = activeElement(el);
        if (a === reveal || a === document.body || a === null || predict.contains(a)) (actions.hidden ? next : actions.querySelector("button") ?? next).focus();
      }
    } else {
      delete answer.dataset.correct;
      swap(answer, "", () => []);
    }
  }

  const canReveal = (p) => memo.phase === "predict" && memo.guess !== null && memo.before !== null && (!p.canReveal || p.canReveal(facts));

  return { el, update };
}
