// Heatmap text: how values, labels and cells read, on the canvas, in the table twin and aloud.
// Pure: no DOM, no canvas; measuring is passed in as a function.
//
// Contract:
// - formatValue(v, digits = 2): `digits` decimals; "−∞" for -Infinity, "∞" for Infinity, "NaN"; never
//   "-0.00" (a value that rounds to zero shows without its sign).
// - displayLabel(raw, i): the label as shown: missing (undefined/null) -> the index i, "" -> "∅",
//   whitespace only -> "␣", anything else as it is (String(raw)).
// - fitLabel(text, maxW, measure, maxChars = LABEL_CHARS): the text cut to maxChars characters, then
//   shortened until measure(s) <= maxW, with "…" where it was cut; "" when not even "…" plus one
//   character fits.
// - describeCell(p, rowLabel, colLabel, value, digits): the live-region sentence for a cell.

export const MINUS_INFINITY = "\u2212\u221e";
export const LABEL_CHARS = 40; // labels are cut to this many characters before measuring

/** The value as the table twin shows it: `digits` decimals, "−∞" for -Infinity, never "-0.00". */
export function formatValue(v, digits = 2) {
  if (v === -Infinity) return MINUS_INFINITY;
  if (v === Infinity) return "\u221e";
  if (Number.isNaN(v)) return "NaN";
  let s = Number(v).toFixed(digits);
  if (/^-0(\.0*)?$/.test(s)) s = s.slice(1);
  return s;
}

/** The label of index i as shown: the index when missing, "∅" when empty, "␣" when blank. */
export function displayLabel(raw, i) {
  const s = raw === undefined || raw === null ? String(i) : String(raw);
  if (s === "") return "\u2205"; // ∅
  if (s.trim() === "") return "\u2423"; // ␣
  return s;
}

/** The label cut to fit maxW as measured by measure(string) -> width. */
export function fitLabel(text, maxW, measure, maxChars = LABEL_CHARS) {
  let s = text.length > maxChars ? text.slice(0, maxChars) + "\u2026" : text;
  if (measure(s) > maxW) {
    let t = text.slice(0, maxChars);
    while (t.length > 0 && measure(t + "\u2026") > maxW) t = t.slice(0, -1);
    s = t.length ? t + "\u2026" : "";
  }
  return s;
}

/** What the live region says when the keyboard cursor reaches cell p = {row, col}. */
export function describeCell(p, rowLabel, colLabel, value, digits) {
  return (
    `Row ${p.row + 1} ${rowLabel}, column ${p.col + 1} ${colLabel}: ` +
    (value === -Infinity ? "masked, minus infinity" : formatValue(value, digits))
  );
}
