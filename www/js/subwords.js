// Tokens as a reader sees them: WordPiece's "##" pieces joined to the word they continue, the
// model's special tokens ([CLS], [SEP]: the tokens that cover no text, offsets start = end), and
// the indices the view keeps when special tokens are hidden. Pure: no DOM, imports nothing.

/** WordPiece's mark of a piece that continues the word before it. */
export const PIECE = "##";

/**
 * Each token's part in the text: `{word, piece, special, joiner, rest}`. `word` numbers the
 * words (a special token is a word of its own), `piece` is true for a "##" piece that continues
 * the word before it, `joiner`/`rest` split its text for display ("##", "ing").
 */
export function words(tokens) {
  let word = -1;
  return tokens.map((t, i) => {
    const special = isSpecial(t);
    const prev = tokens[i - 1];
    const piece = !special && i > 0 && !isSpecial(prev) && t.text.startsWith(PIECE) && t.text.length > PIECE.length;
    if (!piece) word++;
    return { word, piece, special, joiner: piece ? PIECE : "", rest: piece ? t.text.slice(PIECE.length) : t.text };
  });
}

/** A token that covers no text: a model's special token ([CLS], [SEP]); never an empty sentence's. */
export function isSpecial(t) {
  return Boolean(t) && Number.isInteger(t.start) && t.start === t.end && t.text !== "";
}

/** The whole word a token belongs to, its pieces joined ("play" + "##ing" -> "playing"). */
export function wordOf(tokens, i) {
  const w = words(tokens);
  const n = w[i]?.word;
  return w.filter((x) => x.word === n).map((x) => x.rest).join("");
}

/** The indices the view shows: all, or all but the special tokens when `hide` (never none: all then). */
export function kept(tokens, hide) {
  const all = tokens.map((_, i) => i);
  if (!hide) return all;
  const some = all.filter((i) => !isSpecial(tokens[i]));
  return some.length ? some : all;
}

/**
 * The part of a row-major matrix at the given rows and columns (null: all of that axis):
 * `{rows, cols, data}` with a fresh Float32Array, or the matrix itself when nothing is dropped.
 */
export function pick(m, rows, cols) {
  const r = rows ?? null, c = cols ?? null;
  if ((r === null || r.length === m.rows) && (c === null || c.length === m.cols)) return m;
  const R = r ?? Array.from({ length: m.rows }, (_, i) => i);
  const C = c ?? Array.from({ length: m.cols }, (_, j) => j);
  const data = new Float32Array(R.length * C.length);
  for (let a = 0; a < R.length; a++) for (let b = 0; b < C.length; b++) data[a * C.length + b] = m.data[R[a] * m.cols + C[b]];
  return { ...m, rows: R.length, cols: C.length, data };
}

/** Words a reader expects a sentence's "interesting" token to be: a pronoun asks what it refers to. */
const PRONOUNS = new Set(["it", "its", "they", "them", "their", "he", "him", "his", "she", "her", "this", "these", "those"]);

/**
 * The token the page follows when the learner has chosen none: the first pronoun after the first
 * word ("it" in "The cat sat on the mat because it was tired."), else the last token that is a
 * word (not a special token, not punctuation, not a "##" piece), else the last token; null for none.
 */
export function sensibleFocus(tokens) {
  if (!tokens?.length) return null;
  const parts = words(tokens);
  const wordy = (i) => !parts[i].special && !parts[i].piece && /[\p{L}\p{N}]/u.test(tokens[i].text);
  for (let i = 1; i < tokens.length; i++) if (wordy(i) && PRONOUNS.has(tokens[i].text.toLowerCase())) return i;
  for (let i = tokens.length - 1; i >= 0; i--) if (wordy(i)) return i;
  return tokens.length - 1;
}
