// Uses <attention-playground>'s and embed-host.js's declarations as www/README.md ("Embed it")
// shows them; type-checked by tests/types/check.sh with tsc --strict. The @ts-expect-error lines
// fail the check if the declarations fall back to `any`.
import { AttentionPlayground, type AttentionPlaygroundState } from "attention-playground/element";
import { set } from "attention-playground/embed-host";

const figure = document.querySelector("attention-playground");
if (figure) {
  const el: AttentionPlayground = figure;
  el.addEventListener("ready", (e) => {
    const ms: number = e.detail.ms;
    const stage: string = e.detail.state.stage;
    console.log(ms, stage, e.detail.backend.length);
  });
  el.addEventListener("statechange", (e) => {
    const causal: boolean = e.detail.causal;
    // @ts-expect-error the state's stage is a string
    const wrong: number = e.detail.stage;
    console.log(causal, wrong);
  });
  el.addEventListener("error", (e) => console.log(e.detail.toUpperCase()));
  const now: AttentionPlaygroundState | null = el.state;
  el.state = { ...now, stage: "masked", causal: true };
  // @ts-expect-error causal is a boolean
  el.state = { causal: "yes" };
}

const frame = document.querySelector("iframe");
if (frame) {
  set(frame, { stage: "scores" }).then((s) => console.log(s.head + 1));
  // @ts-expect-error a frame's state is an object
  set(frame, "stage=scores");
}
