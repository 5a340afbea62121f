// A catalogue as the engine's init reports it ({stages, models}, see
// the models() and stages() declarations in src/wasm/info.rs): the toy model with its options, and a fixed-size 6-layer,
// 12-head encoder with stages the toy model lacks. The unit tests check the page against it.
const stage = (name, perHead, rowAxis, colAxis) => ({ name, title: `Title of ${name}`, formula: `f(${name})`, caption: `About ${name}.`, perHead, rowAxis, colAxis });

export const STAGES = [
  stage("embedding", false, "query-tokens", "model"),
  stage("positional", false, "query-tokens", "model"),
  stage("input", false, "query-tokens", "model"),
  stage("query", true, "query-tokens", "head"),
  stage("key", true, "key-tokens", "head"),
  stage("value", true, "key-tokens", "head"),
  stage("scores", true, "query-tokens", "key-tokens"),
  stage("scaled", true, "query-tokens", "key-tokens"),
  stage("masked", true, "query-tokens", "key-tokens"),
  stage("softmax", true, "query-tokens", "key-tokens"),
  stage("weighted-sum", true, "query-tokens", "head"),
  stage("concat", false, "query-tokens", "concat"),
  stage("output", false, "query-tokens", "model"),
  stage("residual", false, "query-tokens", "model"),
  stage("layer-norm", false, "query-tokens", "model"),
  stage("feed-forward", false, "query-tokens", "model"),
];

const TOY_STAGES = STAGES.slice(0, 13).map((s) => s.name);

export const TOY = {
  name: "toy", title: "Toy model (random weights)", description: "Random weights, word tokens.", tokens: "word",
  maxTokens: 1024, layers: 1, heads: 2, kvHeads: 2, dModel: 16, headDim: 8,
  stages: TOY_STAGES,
  editable: [
    { matrix: "x", stage: "input", title: "X", rows: "query-tokens", cols: "model" },
    { matrix: "x-context", stage: "input", title: "X (context)", rows: "key-tokens", cols: "model" },
    { matrix: "wq", stage: "query", title: "W_Q", rows: "model", cols: "concat" },
    { matrix: "wk", stage: "key", title: "W_K", rows: "model", cols: "kv-concat" },
    { matrix: "wv", stage: "value", title: "W_V", rows: "model", cols: "kv-concat" },
    { matrix: "wo", stage: "output", title: "W_O", rows: "concat", cols: "model" },
  ],
  options: [
    { name: "dModel", kind: "int", min: 4, max: 64, default: 16, multipleOf: "heads", title: "d_model" },
    { name: "heads", kind: "int", min: 1, max: 8, default: 2, title: "Heads" },
    { name: "kvHeads", kind: "int", min: 1, max: 8, default: 2, divides: "heads", title: "Key/value heads" },
    { name: "seed", kind: "int", min: 0, max: 2147483648, default: 1, title: "Seed" },
    { name: "positional", kind: "bool", default: true, title: "Positional encoding" },
  ],
};

export const ENCODER = {
  name: "encoder", title: "A pretrained encoder", description: "Six layers, twelve heads, subword tokens.", tokens: "subword",
  maxTokens: 128, layers: 6, heads: 12, kvHeads: 12, dModel: 768, headDim: 64,
  stages: [...TOY_STAGES.filter((n) => n !== "positional"), "residual", "layer-norm", "feed-forward"],
  editable: [{ matrix: "x", stage: "input", title: "X", rows: "query-tokens", cols: "model" }, { matrix: "wo", stage: "output", title: "W_O", rows: "concat", cols: "model" }],
  options: [],
};

export const CATALOG = { stages: STAGES, models: [TOY, ENCODER] };
