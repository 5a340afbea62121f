// The only module that talks to the wasm engine. Trunk builds it into dist/ under a fixed name
// (Trunk.toml: filehash = false), so it is imported here by name and no inline script is needed.
let wasm = null;

/** Loads and initialises the engine once. */
export async function start() {
  if (!wasm) {
    const m = await import("../attention-playground.js");
    await m.default();
    wasm = m;
  }
  return wasm;
}

/** The engine module (after start()). Tests and embedders may reach it as window.attentionEngine. */
export const engine = () => wasm;

/** The stage vocabulary: [{name, title, formula, caption, perHead, rowAxis, colAxis}]. */
export const stages = () => wasm.stages();

export const tokenize = (text) => wasm.tokenize(text);

/** Traces the state's sentence(s). Throws an Error with a readable message on bad input. */
export function trace(config) {
  return wasm.trace(config);
}

/** What a mask keeps: {allowedPairs, totalPairs, emptyRows}. */
export const maskInfo = (mask, seqQ, seqKv) => wasm.maskInfo(mask, seqQ, seqKv);
