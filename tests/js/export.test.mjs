// Unit tests for www/js/export/index.js: CSV quoting and values, the SVG's cells, labels and
// escaping (checked by a small XML reader that rejects what a browser's parser rejects), the JSON
// round trip, the PNG's size and painting on a fake canvas, file names.
import test from "node:test";
import assert from "node:assert/strict";
import { FORMAT, MIN_WIDTH, PNG_CELL, PNG_MAX_SIDE, VERSION, csv, csvField, exportCell, fileName, json, jsonText, png, pngSize, readJson, svg, xmlText } from "../../www/js/export/index.js";
import { makeScale } from "../../www/js/components/heatmap/palette.js";

/** RFC 4180 reader: rows of fields; throws on a malformed quote. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), (i += 2);
      else if (c === '"') (quoted = false), i++;
      else (field += c), i++;
      continue;
    }
    if (c === '"') {
      if (field !== "") throw new Error(`a quote inside an unquoted field at ${i}`);
      quoted = true;
      i++;
    } else if (c === ",") (row.push(field), (field = "")), i++;
    else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i += 2;
    } else if (c === "\n" || c === "\r") throw new Error(`a bare line break at ${i}`);
    else (field += c), i++;
  }
  if (quoted) throw new Error("an unclosed quote");
  if (field !== "" || row.length) throw new Error("the last line has no CRLF");
  return rows;
}

/**
 * A minimal XML reader for the SVG: elements with attributes and text, entities decoded; throws
 * on what makes a document not well-formed (a bare "<" or "&", an unknown entity, a mismatched or
 * unclosed tag, a duplicate attribute, a character XML forbids).
 */
function parseXml(text) {
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/u.test(text)) throw new Error("a character XML forbids"); // eslint-disable-line no-control-regex
  const entity = (s) =>
    s.replace(/&([^;&<]*);|&/g, (m, name) => {
      const map = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
      if (name === undefined || !(name in map)) throw new Error(`a bad entity: ${m}`);
      return map[name];
    });
  const root = { name: "#root", attrs: {}, children: [], text: "" };
  const stack = [root];
  const re = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*"[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/gy;
  let m;
  while (re.lastIndex < text.length && (m = re.exec(text))) {
    const [, close, name, attrText, self, chars, bare] = m;
    const top = stack.at(-1);
    if (bare) throw new Error(`a bare "<" at ${m.index}`);
    if (chars !== undefined) {
      const t = entity(chars);
      top.text += t;
      if (top !== root) top.children.push({ text: t });
      else if (t.trim()) throw new Error("text outside the root element");
      continue;
    }
    if (close) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const attrs = {};
    for (const [, k, v] of attrText.matchAll(/([\w:.-]+)\s*=\s*"([^"]*)"/g)) {
      if (k in attrs) throw new Error(`a duplicate attribute ${k}`);
      attrs[k] = entity(v);
    }
    const el = { name, attrs, children: [], text: "" };
    top.children.push(el);
    if (!self) stack.push(el);
  }
  if (re.lastIndex !== text.length && text.slice(re.lastIndex).trim()) throw new Error(`unparsed text at ${re.lastIndex}`);
  if (stack.length !== 1) throw new Error(`<${stack.at(-1).name}> is not closed`);
  const elements = root.children.filter((c) => c.name);
  if (elements.length !== 1) throw new Error(`${elements.length} root elements`);
  return elements[0];
}
const all = (el, pred, out = []) => {
  for (const c of el.children ?? []) {
    if (c.name && pred(c)) out.push(c);
    if (c.name) all(c, pred, out);
  }
  return out;
};
const textOf = (el) => (el.children ?? []).map((c) => (c.name ? textOf(c) : c.text)).join("");

const HOSTILE = ["The", 'say "hi"', "a,b", "<b>&amp;", "</text><script>alert(1)</script>", " lead", "tail ", "line\nbreak", "", "x\u0001y", "\ud800lone", "😴", "=SUM(A1)"];

function matrixOf(rows, cols, f) {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = f(i, j);
  return { rows, cols, data };
}
const softmaxLike = matrixOf(3, 4, (i, j) => (j > i ? -Infinity : 1 / (i + 1) + j * 1e-7));

test("csv: RFC 4180 quoting of labels, CRLF lines, an empty corner", () => {
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField("a,b"), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField("line\nbreak"), '"line\nbreak"');
  assert.equal(csvField(" lead"), '" lead"');
  assert.equal(csvField(""), "");
  const m = matrixOf(HOSTILE.length, HOSTILE.length, (i, j) => i - j);
  const text = csv({ matrix: m, rowLabels: HOSTILE, colLabels: HOSTILE });
  assert.ok(text.endsWith("\r\n"));
  const rows = parseCsv(text);
  assert.equal(rows.length, HOSTILE.length + 1);
  assert.deepEqual(rows[0], ["", ...HOSTILE]);
  rows.slice(1).forEach((r, i) => {
    assert.equal(r.length, HOSTILE.length + 1);
    assert.equal(r[0], HOSTILE[i]);
  });
});

test("csv: every value at full precision (reads back ===), -Infinity for masked, indices for missing labels", () => {
  const m = matrixOf(3, 3, (i, j) => [0.1, 1 / 3, -2.5e-8, 123456.789, -0, 7, Math.PI, -Infinity, 1e30][i * 3 + j]);
  assert.ok(Object.is(m.data[4], -0));
  const rows = parseCsv(csv({ matrix: m, rowLabels: ["a"], colLabels: [] }));
  assert.deepEqual(rows[0], ["", "0", "1", "2"]);
  assert.deepEqual(rows.map((r) => r[0]), ["", "a", "1", "2"]);
  for (let k = 0; k < 9; k++) {
    const field = rows[1 + Math.floor(k / 3)][1 + (k % 3)];
    assert.equal(Number(field), m.data[k], `value ${k}: ${field}`);
  }
  assert.equal(rows[3][2], "-Infinity");
  assert.equal(rows[1][1], "0.10000000149011612", "the Float32 value itself, not 0.1");
  // An empty matrix is a header with its corner alone.
  assert.equal(csv({ matrix: { rows: 0, cols: 0, data: [] } }), "\r\n");
});

test("csv, svg, json, png refuse a malformed matrix, naming the field", async () => {
  for (const f of [csv, svg, json]) {
    assert.throws(() => f({ matrix: { rows: 2, cols: 2, data: [1, 2, 3] } }), /matrix\.data has 3 values, expected rows\*cols = 4/);
    assert.throws(() => f({ matrix: { rows: -1, cols: 2, data: [] } }), /matrix\.rows must be an integer >= 0/);
    assert.throws(() => f({}), /matrix\.rows/);
  }
  await assert.rejects(png({ matrix: { rows: 1, cols: 1.5, data: [1] }, canvas: () => null }), /matrix\.cols must be an integer/);
  await assert.rejects(png({ matrix: { rows: 1, cols: 1, data: [1] } }), /canvas must be a function/);
});

test("xmlText escapes markup and replaces characters XML forbids", () => {
  assert.equal(xmlText(`<a href="x">&'</a>`), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
  assert.equal(xmlText("x\u0001y\u0000"), "x\ufffdy\ufffd");
  assert.equal(xmlText("\ud800 and \udc00"), "\ufffd and \ufffd", "lone surrogates");
  assert.equal(xmlText("😴\t\n"), "😴\t\n", "a pair, tab and line feed stay");
});

test("svg: well-formed, one rect per cell coloured by the palette (with clip), labels on both axes escaped", () => {
  const n = HOSTILE.length;
  const m = matrixOf(n, n, (i, j) => (j > i ? -Infinity : Math.sin(i * n + j) * (i === 2 && j === 1 ? 100 : 1)));
  for (const clip of [null, 0.9]) {
    const text = svg({ matrix: m, rowLabels: HOSTILE, colLabels: HOSTILE, title: 'Softmax <weights> & "more", head 1', palette: "diverging", clip, highlightRow: 4 });
    const doc = parseXml(text);
    assert.equal(doc.name, "svg");
    assert.equal(doc.attrs.xmlns, "http://www.w3.org/2000/svg");
    const cells = all(doc, (e) => e.name === "g" && e.attrs.class === "cells")[0].children.filter((c) => c.name === "rect");
    assert.equal(cells.length, n * n);
    const scale = makeScale("diverging", m.data, n * n, clip);
    cells.forEach((r, k) => {
      const v = m.data[k];
      assert.equal(r.attrs.fill, v === -Infinity ? "url(#ap-masked)" : scale.fill(v), `cell ${k}`);
      assert.equal(Number(r.attrs.x), Number(cells[Math.floor(k / n) * n].attrs.x) + (k % n) * Number(r.attrs.width));
    });
    if (clip) assert.notEqual(cells[n].attrs.fill, cells[n + 1].attrs.fill, "clipped: the 100 leaves the others coloured");
    // Labels: every one, as the heatmap shows it (an empty one as ∅), escaped in the text and back.
    const rowText = all(doc, (e) => e.name === "g" && e.attrs.class === "row-labels")[0].children.filter((c) => c.name === "text").map(textOf);
    const colText = all(doc, (e) => e.name === "g" && e.attrs.class === "col-labels")[0].children.filter((c) => c.name === "text").map(textOf);
    const shown = HOSTILE.map((s) => (s === "" ? "\u2205" : s.replace(/[\u0001]|\ud800/gu, "\ufffd"))); // eslint-disable-line no-control-regex
    assert.deepEqual(rowText.map((s) => s.replace(/…$/, "")), shown.map((s, i) => s.slice(0, rowText[i].endsWith("…") ? rowText[i].length - 1 : s.length)));
    assert.deepEqual(colText, rowText.map((s, i) => (colText[i].endsWith("…") ? colText[i] : s)));
    assert.ok(rowText.includes("<b>&amp;") && rowText.includes('say "hi"'));
    assert.ok(!text.includes("<script>") && !text.includes("<b>"), "markup in a label stays text");
    assert.equal(textOf(all(doc, (e) => e.name === "title")[0]), 'Softmax <weights> & "more", head 1');
    assert.equal(all(doc, (e) => e.attrs.class === "highlight").length, 1);
    // The legend's low and high values are the palette's domain.
    const legend = all(doc, (e) => e.name === "g" && e.attrs.class === "legend")[0].children.filter((c) => c.name === "text").map(textOf);
    assert.equal(legend.at(-1), scale.max.toFixed(2));
  }
});

test("svg: values inside cells of a small matrix, none in a large one; sequential palette; any size", () => {
  const small = parseXml(svg({ matrix: softmaxLike, rowLabels: ["a", "b", "c"], colLabels: ["a", "b", "c", "d"], palette: "sequential" }));
  const values = all(small, (e) => e.attrs.class === "values")[0].children.filter((c) => c.name === "text").map(textOf);
  assert.deepEqual(values.slice(0, 4), ["1.00", "\u2212\u221e", "\u2212\u221e", "\u2212\u221e"]);
  const big = matrixOf(70, 5, (i, j) => i + j);
  const doc = parseXml(svg({ matrix: big, palette: "sequential", title: "" }));
  assert.equal(all(doc, (e) => e.attrs.class === "values").length, 0);
  assert.equal(all(doc, (e) => e.attrs.class === "cells")[0].children.filter((c) => c.name === "rect").length, 350);
  assert.equal(Number(all(doc, (e) => e.name === "rect" && e.attrs.x !== undefined)[0].attrs.width), PNG_CELL.min);
  const empty = parseXml(svg({ matrix: { rows: 0, cols: 0, data: [] }, palette: "diverging" }));
  assert.equal(empty.name, "svg");
});

test("json: a round trip through text keeps every value, label and the state; masked is null", () => {
  const state = { model: "toy", stage: "masked", head: 1, layer: 0, sentence: 'a "b" <c>', causal: true };
  const spec = {
    matrix: softmaxLike,
    rowLabels: ["x", 'say "hi"', "\u0001"],
    colLabels: ["x", "y", "z", ""],
    stage: { name: "masked", title: "Masked scores", rowAxis: "query-tokens", colAxis: "key-tokens", perHead: true, caption: "…" },
    model: { name: "toy", title: "Toy model", layers: 1 },
    state,
    title: "Masked scores, head 2",
  };
  const o = json(spec);
  assert.equal(o.format, FORMAT);
  assert.equal(o.version, VERSION);
  assert.deepEqual(o.stage, { name: "masked", title: "Masked scores", rowAxis: "query-tokens", colAxis: "key-tokens" });
  assert.deepEqual(o.model, { name: "toy", title: "Toy model" });
  assert.equal(o.head, 1);
  assert.equal(o.matrix[0][1], null);
  assert.equal(o.rowIndices, null);
  const text = jsonText(spec);
  assert.equal(text.split("\n").filter((l) => l.startsWith("    [")).length, 3, "one matrix row per line");
  const back = JSON.parse(text);
  assert.deepEqual(back, JSON.parse(JSON.stringify(o)));
  assert.deepEqual(back.state, state);
  const read = readJson(back);
  assert.equal(read.rows, 3);
  assert.equal(read.cols, 4);
  assert.deepEqual(Array.from(read.data), Array.from(softmaxLike.data), "every Float32 value, -Infinity included");
  assert.deepEqual(read.rowLabels, spec.rowLabels);
  assert.deepEqual(read.colLabels, spec.colLabels);
  // Hidden special tokens: the exported rows and columns are named in the whole matrix.
  assert.deepEqual(json({ ...spec, crop: { rows: [1, 2, 3], cols: null } }).rowIndices, [1, 2, 3]);
  assert.throws(() => readJson({ ...back, version: 99 }), /version 99/);
  assert.throws(() => readJson({ ...back, matrix: [[1]] }), /not 3 rows of 4/);
  assert.throws(() => readJson({}), /not an attention-playground matrix/);
});

test("pngSize: readable cells, the device pixel ratio while it fits, then scaled down, never refused", () => {
  const labelW = { row: 50, col: 50 };
  assert.equal(exportCell(11, 11), PNG_CELL.max);
  assert.equal(exportCell(32, 32), Math.floor(PNG_CELL.target / 32));
  assert.equal(exportCell(512, 512), PNG_CELL.min);
  const small = pngSize({ rows: 11, cols: 11, labelW, dpr: 2, title: "t" });
  assert.equal(small.dpr, 2);
  assert.equal(small.cell, PNG_CELL.max);
  assert.ok(small.width >= 11 * PNG_CELL.max && small.height >= 11 * PNG_CELL.max);
  assert.equal(pngSize({ rows: 1, cols: 1, labelW, titleW: 700, dpr: 1 }).width, 708, "as wide as the title");
  assert.equal(pngSize({ rows: 1, cols: 1, labelW, dpr: 1 }).width, MIN_WIDTH);
  // 512 tokens at dpr 2 would pass the limit: the ratio drops first, cells stay readable.
  const big = pngSize({ rows: 512, cols: 512, labelW, dpr: 2, title: "t" });
  assert.equal(big.cell, PNG_CELL.min);
  assert.ok(big.dpr >= 1 && big.dpr < 2);
  assert.ok(Math.max(big.width, big.height) * big.dpr <= PNG_MAX_SIDE + 1e-9);
  // 4,000 columns at dpr 1: smaller cells, within the limit.
  const huge = pngSize({ rows: 13, cols: 4000, labelW, dpr: 1 });
  assert.equal(huge.dpr, 1);
  assert.ok(huge.cell < PNG_CELL.min && huge.cell >= 1);
  assert.ok(huge.width <= PNG_MAX_SIDE);
  assert.ok(huge.width >= 4000 * huge.cell);
});

/** A fake canvas: records the 2D context's calls (enough of them for paintMatrix), encodes to a fake blob. */
function fakeCanvas(log) {
  return (width, height) => {
    const calls = [];
    const ctx = new Proxy(
      { measureText: (s) => ({ width: s.length * 6 }), createLinearGradient: () => ({ addColorStop: () => {} }) },
      {
        get(t, k) {
          if (k in t) return t[k];
          return (...args) => calls.push({ op: k, args, fillStyle: t.fillStyle });
        },
        set(t, k, v) {
          t[k] = v;
          return true;
        },
      },
    );
    const canvas = { width, height, getContext: () => ctx, calls, convertToBlob: async ({ type }) => ({ type, size: canvas.width * canvas.height, canvas }) };
    log.push(canvas);
    return canvas;
  };
}

test("png: the whole matrix painted on a canvas sized by pngSize, white background, clip honoured", async () => {
  const log = [];
  const m = matrixOf(11, 11, (i, j) => (i === 0 && j === 0 ? 50 : ((i * 11 + j) % 7) / 7 - 0.5));
  const blob = await png({ matrix: m, rowLabels: [], colLabels: [], title: "Scores", palette: "diverging", clip: 0.9, dpr: 2, canvas: fakeCanvas(log) });
  assert.equal(blob.type, "image/png");
  const canvas = blob.canvas;
  const size = pngSize({ rows: 11, cols: 11, labelW: { row: 12, col: 12 }, dpr: 2, title: "Scores" });
  assert.equal(canvas.width, Math.round(size.width * 2));
  assert.equal(canvas.height, Math.round(size.height * 2));
  const fills = canvas.calls.filter((c) => c.op === "fillRect");
  assert.equal(fills[0].fillStyle, "#ffffff");
  assert.deepEqual(fills[0].args, [0, 0, canvas.width, canvas.height]);
  // Every cell, coloured with the clipped scale (the 50 does not leave the others pale).
  const scale = makeScale("diverging", m.data, 121, 0.9);
  const cells = fills.slice(1, 122).map((c) => c.fillStyle);
  assert.deepEqual(cells, Array.from(m.data, (v) => scale.fill(v)));
  assert.ok(canvas.calls.some((c) => c.op === "fillText" && c.args[0] === "Scores"));
});

test("fileName: stage, layer and head counted from 1", () => {
  assert.equal(fileName({ stage: "softmax", head: 0, layer: 0, perHead: true, layers: 1 }, "png"), "attention-softmax-head1.png");
  assert.equal(fileName({ stage: "weighted-sum", head: 3, layer: 4, perHead: true, layers: 6 }, "csv"), "attention-weighted-sum-layer5-head4.csv");
  assert.equal(fileName({ stage: "embedding", head: 1, layer: 0, perHead: false, layers: 1 }, "svg"), "attention-embedding.svg");
  assert.equal(fileName({ stage: "../x y" }, "json"), "attention-x-y.json");
});
