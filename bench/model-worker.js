// The real model's helpers, each call in a fresh module Worker (bench/main.js):
//   {kind: "texts", ns, build}      texts of exactly n wordpieces each (bert.js makeText, counted
//                                   with our engine's tokenizer, q8 weights: the smallest file)
//                                   -> {ok, texts: {n: {text, ids}}}
//   {kind: "reference", ids}        the float64 forward pass of the f32 weights
//                                   -> {ok, maps: Float32Array (layer, head, query, key), hidden}
//   {kind: "load", variant, text, build}  loadModel from bytes in memory to the first attentions
//                                   result, twice in this worker (cold, then warm)
//                                   -> {ok, variant, bytes, coldMs, warmMs, loadMs: [cold, warm]}
import { MINILM, fetchModelFile, makeText, readSafetensors, referenceForward } from "./bert.js";

const base = self.location.href;

async function files(variant) {
  const index = await fetchModelFile(base, "index.json");
  const entry = index.models.find((x) => x.name === MINILM.name);
  if (!entry) throw new Error("models/index.json has no minilm-l6");
  const w = entry.weights.find((x) => x.variant === variant);
  if (!w) throw new Error(`models/index.json has no ${variant} weights`);
  const [weights, vocab] = await Promise.all([fetchModelFile(base, w.file), fetchModelFile(base, entry.vocab.file)]);
  return { weights, vocab, bytes: w.bytes };
}

async function engine(build) {
  const ap = await import(`./engine/${build}/attention_playground.js`);
  await ap.default();
  return ap;
}

self.onmessage = async ({ data: msg }) => {
  try {
    if (msg.kind === "texts") {
      const ap = await engine(msg.build);
      const { weights, vocab } = await files("q8");
      const model = ap.loadModel({ name: MINILM.name, weights, vocab });
      const texts = {};
      for (const n of msg.ns) {
        const text = makeText(n, (t) => model.tokenize(t).ids.length);
        texts[n] = { text, ids: Array.from(model.tokenize(text).ids) };
      }
      model.free();
      self.postMessage({ ok: true, texts });
    } else if (msg.kind === "reference") {
      const { weights } = await files("f32");
      const { maps, hidden } = referenceForward(readSafetensors(weights), msg.ids);
      const h = Float32Array.from(hidden);
      self.postMessage({ ok: true, maps, hidden: h }, [maps.buffer, h.buffer]);
    } else if (msg.kind === "load") {
      const ap = await engine(msg.build);
      const { weights, vocab, bytes } = await files(msg.variant);
      const once = () => {
        const t0 = performance.now();
        const model = ap.loadModel({ name: MINILM.name, weights, vocab });
        const t1 = performance.now();
        model.attentions(msg.text);
        const t2 = performance.now();
        model.free();
        return [t1 - t0, t2 - t0];
      };
      const cold = once(), warm = once();
      self.postMessage({ ok: true, variant: msg.variant, bytes, coldMs: cold[1], warmMs: warm[1], loadMs: [cold[0], warm[0]] });
    } else throw new Error(`unknown message kind ${msg.kind}`);
  } catch (e) {
    self.postMessage({ ok: false, error: String(e?.message ?? e) });
  }
};
self.postMessage({ ready: true });
