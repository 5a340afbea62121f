// One token's attention across the layers, read from the maps of every layer and head
// (Model.attentions: data in (layer, head, query, key) order). Pure: no DOM, imports nothing.

/** Query `query`'s weights over the keys in each layer, for one head: Float32Array(layers * seqLen). */
export function acrossLayers(a, query, head) {
  const n = a.seqLen;
  const out = new Float32Array(a.layers * n);
  for (let l = 0; l < a.layers; l++) {
    const from = ((l * a.heads + head) * n + query) * n;
    out.set(a.data.subarray(from, from + n), l * n);
  }
  return out;
}

/** Query `query`'s weights over the keys in each layer, averaged over the heads: Float32Array(layers * seqLen). */
export function meanOverHeads(a, query) {
  const n = a.seqLen;
  const out = new Float32Array(a.layers * n);
  for (let l = 0; l < a.layers; l++) {
    for (let k = 0; k < a.heads; k++) {
      const from = ((l * a.heads + k) * n + query) * n;
      for (let j = 0; j < n; j++) out[l * n + j] += a.data[from + j];
    }
    for (let j = 0; j < n; j++) out[l * n + j] /= a.heads;
  }
  return out;
}

/** The key with the largest weight in each row of a (rows x cols) matrix, over the kept columns: [{key, weight}]. */
export function topPerRow(data, rows, cols, keep) {
  return Array.from({ length: rows }, (_, r) => {
    let key = keep[0], weight = -Infinity;
    for (const j of keep) if (data[r * cols + j] > weight) { weight = data[r * cols + j]; key = j; }
    return { key, weight };
  });
}
