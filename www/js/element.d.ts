// Types of <attention-playground> (element.js) and of the iframe's host script (embed-host.js,
// whose own declaration file re-exports these). The contract in words: www/README.md, "Embed it".

/**
 * The playground's whole state (www/js/state.js): one plain, serialisable object. A model's
 * options are fields too, by their names in the engine's catalogue (the toy model: `dModel`,
 * `heads`, `kvHeads`, `seed`, `positional`).
 */
export interface AttentionPlaygroundState {
  /** A model's name from the engine's catalogue (`toy`, `minilm-l6`). */
  model: string;
  layer: number;
  mode: "self" | "cross";
  sentence: string;
  context: string;
  /** One of the model's stages (`scores`, `masked`, `softmax`, …). */
  stage: string;
  head: number;
  /** The followed query token, or null (the figure picks one). */
  focus: number | null;
  /** null: 1/√d_k. */
  scale: number | null;
  causal: boolean;
  window: number;
  windowCausal: boolean;
  globals: number[];
  globalWindow: number;
  padding: number[];
  block: number;
  blockLocal: number;
  blockRandom: number;
  blockSeed: number;
  /** Removed pairs [query, key] of the custom mask. */
  custom: [number, number][];
  edits: { matrix: string; layer: number; row: number; col: number; value: number }[];
  weight: string | null;
  hideSpecial: boolean;
  backend: "cpu" | "webgpu";
  tour: number | null;
  /** The model's options. */
  [option: string]: unknown;
}

/** The parts a figure may show: its `controls` attribute lists some (or `none`). */
export type AttentionPlaygroundPart =
  | "sentence" | "stepper" | "flow" | "stage" | "explain" | "follow" | "model" | "scale" | "masks"
  | "heads" | "layers" | "weights" | "tour" | "export" | "link";

/** `ready`'s detail: the first view is drawn and the figure answers the reader. */
export interface AttentionPlaygroundReady {
  state: AttentionPlaygroundState;
  /** The engine build that computes it, e.g. "wasm SIMD128 + relaxed · 1 thread". */
  backend: string;
  /** Milliseconds from the element coming near the viewport to this event. */
  ms: number;
}

export interface AttentionPlaygroundEventMap extends Omit<HTMLElementEventMap, "error"> {
  ready: CustomEvent<AttentionPlaygroundReady>;
  /** The state after every change: the reader's, an attribute's, or a write of `state`. */
  statechange: CustomEvent<AttentionPlaygroundState>;
  /** A sentence a reader can act on (a bad attribute value, a view that cannot be computed). */
  error: CustomEvent<string>;
}

/**
 * `<attention-playground>`. Attributes: every state field, named in kebab-case (`sentence`,
 * `stage`, `window-causal`, `d-model`) or by its URL key (`s`, `wc`), its value as in the URL;
 * `controls` (comma- or space-separated AttentionPlaygroundPart names, `none` or `all`), `src`
 * (the folder of worker.js; default: element.js's folder) and `theme` (`light` | `dark`).
 */
export declare class AttentionPlayground extends HTMLElement {
  /** The whole state: null until the figure has started (near the viewport). */
  get state(): AttentionPlaygroundState | null;
  /** Replaces the whole state; fields left out take their defaults. */
  set state(value: Partial<AttentionPlaygroundState>);
  addEventListener<K extends keyof AttentionPlaygroundEventMap>(
    type: K,
    listener: (this: AttentionPlayground, ev: AttentionPlaygroundEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof AttentionPlaygroundEventMap>(
    type: K,
    listener: (this: AttentionPlayground, ev: AttentionPlaygroundEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

/** The iframe protocol's messages (embed.html), version 1. */
export type AttentionPlaygroundMessage = { protocol: "attention-playground"; version: 1 } & (
  | { type: "ready"; state: AttentionPlaygroundState; height: number }
  | { type: "state"; state: AttentionPlaygroundState; id?: string | number }
  | { type: "resize"; height: number }
  | { type: "error"; message: string }
  | { type: "set"; state: Partial<AttentionPlaygroundState>; id?: string | number }
);

declare global {
  interface HTMLElementTagNameMap {
    "attention-playground": AttentionPlayground;
  }
}
