// Words and numbers of the model picker: sizes in MB, the progress line, what the manifest says
// about a model. Pure: no DOM, imports nothing.

/** Bytes as megabytes for reading: "45.4 MB" (one decimal; "0.3 MB" for small files). */
export function megabytes(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return "? MB";
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * A model's download in the manifest: its default (first listed) weights, or `variant`, plus the
 * vocabulary. -> {bytes, variant, title, license, source} or null when the manifest lacks it.
 */
export function download(manifest, name, variant) {
  const m = (Array.isArray(manifest?.models) ? manifest.models : []).find((x) => x?.name === name);
  const weights = Array.isArray(m?.weights) ? m.weights : [];
  const w = variant === undefined ? weights[0] : weights.find((x) => x?.variant === variant);
  if (!m || !w || !Number.isFinite(w.bytes)) return null;
  const vocab = Number.isFinite(m.vocab?.bytes) ? m.vocab.bytes : 0;
  return { bytes: w.bytes + vocab, variant: w.variant, title: m.title ?? name, license: m.license ?? null, source: m.source ?? null };
}

/** The progress line: "Downloading MiniLM-L6: 12.3 MB of 45.4 MB (27 %)". */
export function progressText(title, p) {
  const received = p?.overall?.received ?? p?.received ?? 0;
  const total = p?.overall?.total ?? p?.total ?? 0;
  if (!(total > 0)) return `Downloading ${title}…`;
  const percent = Math.floor((100 * Math.min(received, total)) / total);
  return `Downloading ${title}: ${megabytes(received)} of ${megabytes(total)} (${percent} %)`;
}

/** What a finished load says: where the weights came from and whether they will be there next time. */
export function loadedText(title, r) {
  if (r.cached) return `${title} loaded from this browser's storage (no download).`;
  if (r.stored) return `${title} downloaded (${megabytes(r.bytes)}) and kept in this browser: a reload will not download it again.`;
  return `${title} runs from memory: this browser did not keep the ${megabytes(r.bytes)} download (storage is full or unavailable), so it will download again next time.`;
}
