// Type-checked by tsc --strict inside the temporary project: the installed package's types
// resolve through its exports map, and they are not `any`.
import init, { attention, trace, type Mask, type Trace } from "attention-playground";

const mask: Mask = { kind: "window", size: 2, causal: true };
const out: Float32Array = attention(new Float32Array(8), new Float32Array(8), new Float32Array(8), { heads: 1, headDim: 4, mask });
const t: Trace = trace({ sentence: "The cat sat." });
const ready: Promise<unknown> = init();
// @ts-expect-error: the options need headDim
attention(out, out, out, { heads: 1 });
// @ts-expect-error: not a mask kind
const bad: Mask = { kind: "diagonal" };
export { t, ready, bad };
