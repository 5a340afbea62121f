// Embedding: <attention-playground> and embed.html on a host page of another origin.
//
// The playground (dist/) is served from one origin with CORS headers; a host page
// (tests/e2e/host/) from a second origin (another port of 127.0.0.1), without cross-origin
// isolation and under a strict Content-Security-Policy: the smallest one the README's "Embed it"
// states, plus what the host page itself needs. It embeds three elements and one iframe, far
// apart. The tests read the figures inside their shadow roots and the iframe's document, and
// the events the host page records (window.hostEvents).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startServer, launch, root, shots } from "./harness.mjs";

let playground, host, browser;
const problems = []; // console errors and page errors of every page opened
let main; // the page most tests share: {context, page, requests}
let outsideBefore = null; // computed styles of the host's own elements before any figure started

/** The host page's CSP: the README's smallest policy for the element's origin, plus the host's own needs. */
const policy = (element) =>
  `default-src 'self'; script-src 'self' ${element} 'wasm-unsafe-eval'; connect-src 'self' ${element}; worker-src blob:; ` +
  `frame-src ${element}; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'`;

before(async () => {
  playground = await startServer({ args: ["--cors"] });
  host = await startServer({ isolation: false, dir: "tests/e2e/host", args: ["--csp", policy(playground.origin)] });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  playground?.stop();
  host?.stop();
});

/** Opens the host page; `origin`: the host's origin to use (127.0.0.1 or localhost). */
async function openHost({ width = 1280, height = 800, hostOrigin = host.origin, search = "" } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const requests = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(`${hostOrigin}/?from=${encodeURIComponent(playground.url)}${search}`);
  await page.waitForFunction(() => window.embedHost && customElements.get("attention-playground"));
  return { context, page, requests };
}

/** Waits for `n` events of `type` from the figure `id` (host.js records them). */
function events(page, id, type, n = 1) {
  return page.waitForFunction(
    ([id, type, n]) => {
      const got = window.hostEvents.filter((e) => e.id === id && e.type === type);
      return got.length >= n && got;
    },
    [id, type, n],
    { timeout: 60_000 },
  ).then((h) => h.jsonValue());
}

/** Brings a figure into view and waits until it is ready. */
async function show(page, id) {
  await page.locator(`#${id}`).scrollIntoViewIfNeeded();
  return (await events(page, id, "ready"))[0];
}

/** Waits until the figure `id` has drawn its newest state, then reads it (inside its shadow root). */
async function figure(page, id) {
  await page.waitForFunction((id) => {
    const ap = document.getElementById(id).shadowRoot.querySelector(".ap");
    return ap?.dataset.ready === "true" && !ap.dataset.busy;
  }, id, { timeout: 60_000 });
  return page.evaluate((id) => {
    const sr = document.getElementById(id).shadowRoot;
    const ap = sr.querySelector(".ap");
    const cells = [...sr.querySelectorAll("#ap-matrix td[data-row]")];
    return {
      stage: ap.dataset.stage,
      head: ap.dataset.head,
      paused: ap.dataset.paused === "true",
      rows: new Set(cells.map((c) => c.dataset.row)).size,
      cols: new Set(cells.map((c) => c.dataset.col)).size,
      masked: cells.filter((c) => c.dataset.value === "-Infinity").length,
      title: sr.querySelector(".ap-stage-title")?.textContent ?? "",
      status: sr.querySelector(".ap-status")?.textContent ?? "",
    };
  }, id);
}

/** Whether the element inside figure `id` matched by `selector` takes up room on the page. */
const shown = (page, id, selector) =>
  page.evaluate(([id, selector]) => {
    const el = document.getElementById(id).shadowRoot.querySelector(selector);
    return Boolean(el && el.getClientRects().length > 0);
  }, [id, selector]);

/** Computed styles of the host page's own elements (the element's styles must not change them). */
const outside = (page) =>
  page.evaluate(() => {
    const pick = (sel, props) => {
      const cs = getComputedStyle(document.querySelector(sel));
      return Object.fromEntries(props.map((p) => [p, cs.getPropertyValue(p)]));
    };
    return {
      body: pick("body", ["font-family", "font-size", "color", "background-color", "box-sizing"]),
      button: pick("#host-button", ["background-color", "font-size", "font-weight", "border-radius", "padding-top", "box-sizing", "outline-style"]),
      label: pick("#host-label", ["font-weight", "font-style"]),
      input: pick("#host-input", ["font-family", "font-size", "border-top-width"]),
      table: pick("#host-table", ["border-top-width", "border-top-color", "font-size"]),
      h2: pick("h2", ["font-size", "margin-top"]),
    };
  });

test("no engine file or worker is fetched before a figure nears the viewport; then one worker serves every element", async () => {
  main = await openHost();
  const { page, requests } = main;
  // Let the page settle: the element is defined, nothing is near the viewport.
  await page.evaluate(() => new Promise((r) => setTimeout(r, 800)));
  outsideBefore = await outside(page);
  const early = requests.filter((u) => u.startsWith(playground.origin)).map((u) => u.slice(playground.origin.length));
  assert.deepEqual(early.sort(), ["/js/element.js", "/js/embed-host.js"], "only the element's own module and the host script load first");
  assert.equal(page.workers().length, 0, "no worker before a figure is near");
  const placeholder = await page.evaluate(() => document.getElementById("fig-scores").shadowRoot.querySelector(".ap-placeholder")?.textContent);
  assert.match(placeholder, /starts when you scroll to it/);

  const ready = await show(page, "fig-scores");
  assert.equal(ready.detail.state.stage, "scores");
  assert.ok(requests.some((u) => /\/engine\/[a-z-]+\/attention_playground_bg\.wasm$/.test(u)), "the engine came once a figure was near");
  await show(page, "fig-masked");
  await show(page, "fig-bad");
  const fromElementOrigin = (re) => requests.filter((u) => u.startsWith(playground.origin) && re.test(u)).length;
  assert.equal(fromElementOrigin(/\/js\/worker\.js$/), 1, "one worker script for three elements");
  assert.equal(fromElementOrigin(/_bg\.wasm$/), 1, "one engine build for three elements");
  assert.equal(fromElementOrigin(/\/playground\.css$/), 1, "the styles once for three elements");
  const workers = page.workers().map((w) => w.url());
  assert.equal(workers.length, 1, `one worker for all the elements (${workers.join(", ")})`);
  assert.match(workers[0], /^blob:/, "a worker of another origin runs inside a blob: worker");
});

test("each figure shows its configured stage, single-threaded with the status line saying why", async () => {
  const { page } = main;
  const scores = await figure(page, "fig-scores");
  assert.equal(scores.stage, "scores");
  assert.match(scores.title, /Scores/);
  assert.deepEqual([scores.rows, scores.cols], [11, 11], "the sentence's 11 tokens on both axes");
  assert.match(scores.status, /^Computed by wasm .* · 1 thread \(this page is not cross-origin isolated, so one thread\)$/);
  assert.equal(await shown(page, "fig-scores", "#ap-next"), true, "controls=stepper,masks: the stepper");
  assert.equal(await shown(page, "fig-scores", "#ap-group-masks"), true, "controls=stepper,masks: the masks");
  assert.equal(await shown(page, "fig-scores", "#ap-sentence"), false, "controls=stepper,masks: no sentence box");
  assert.equal(await shown(page, "fig-scores", "#ap-flow"), false, "controls=stepper,masks: no flow");

  const masked = await figure(page, "fig-masked");
  assert.equal(masked.stage, "masked");
  assert.deepEqual([masked.rows, masked.cols], [8, 8]);
  assert.equal(masked.masked, (8 * 7) / 2, "causal: the upper triangle is masked");
  for (const part of ["#ap-next", "#ap-sentence", "#ap-flow", "#ap-controls", "#ap-follow", "#ap-explain", ".ap-hm-zoombox", "#ap-copy-link"]) {
    assert.equal(await shown(page, "fig-masked", part), false, `controls=none: no ${part}`);
  }
  assert.equal(await shown(page, "fig-masked", "#ap-matrix canvas"), true, "controls=none: the stage alone");
  assert.equal(await shown(page, "fig-masked", ".ap-hm-toggle"), true, "the table twin's toggle stays");
});

test("a bad attribute value gives an error event and a sensible figure", async () => {
  const { page } = main;
  const bad = await figure(page, "fig-bad");
  assert.equal(bad.stage, "softmax", "the default stage instead of the unknown one");
  assert.equal(bad.head, "1", "the valid attributes still apply");
  assert.deepEqual([bad.rows, bad.cols], [11, 11], "a figure, not a blank");
  assert.equal(await shown(page, "fig-bad", "#ap-flow"), true, "controls=flow,bogus: the flow");
  const errors = (await events(page, "fig-bad", "error", 2)).map((e) => e.detail);
  assert.equal(errors.length, 2, errors.join("\n"));
  assert.ok(errors.some((m) => /^The attribute stage="no-such-stage" is not a stage of .*; the figure shows stage="softmax" instead\.$/.test(m)), errors.join("\n"));
  assert.ok(errors.some((m) => /^The attribute controls="flow,bogus" names "bogus", which is not a part of the figure \(its parts: sentence, .*\); the figure shows the others\.$/.test(m)), errors.join("\n"));

  // A value changed later is checked too.
  await page.evaluate(() => document.getElementById("fig-bad").setAttribute("layer", "9"));
  const later = (await events(page, "fig-bad", "error", 3)).map((e) => e.detail);
  assert.match(later[2], /^The attribute layer="9" is not a layer of .*; the figure shows layer="0" instead\.$/);

  // A first view that cannot be computed (no sentence): the error, then the example sentence.
  await page.evaluate(() => {
    const el = document.createElement("attention-playground");
    el.id = "fig-empty";
    el.setAttribute("sentence", "   ");
    el.setAttribute("stage", "scores");
    el.setAttribute("controls", "none");
    for (const type of ["ready", "statechange", "error"]) el.addEventListener(type, (e) => window.hostEvents.push({ id: el.id, type, detail: e.detail }));
    document.getElementById("fig-bad").after(el);
  });
  await page.locator("#fig-empty").scrollIntoViewIfNeeded();
  const [empty] = await events(page, "fig-empty", "error");
  assert.match(empty.detail, /^The figure's first view could not be computed: Type a sentence: .* It shows the example sentence instead\.$/);
  const [ready] = await events(page, "fig-empty", "ready");
  assert.equal(ready.detail.state.stage, "scores");
  const fallback = await figure(page, "fig-empty");
  assert.ok(fallback.rows > 0 && fallback.stage === "scores", "the example sentence's scores");
});

test("attribute changes and state writes update the figure; statechange and ready fire", async () => {
  const { page } = main;
  await page.locator("#fig-scores").scrollIntoViewIfNeeded();
  const readies = await events(page, "fig-scores", "ready");
  assert.equal(readies.length, 1, "ready fires once");
  assert.ok(readies[0].detail.ms > 0 && typeof readies[0].detail.backend === "string");

  await page.evaluate(() => document.getElementById("fig-scores").setAttribute("stage", "softmax"));
  let changes = await events(page, "fig-scores", "statechange", 1);
  assert.equal(changes.at(-1).detail.stage, "softmax");
  assert.equal((await figure(page, "fig-scores")).stage, "softmax");
  await page.evaluate(() => document.getElementById("fig-scores").setAttribute("head", "1"));
  changes = await events(page, "fig-scores", "statechange", 2);
  assert.equal(changes.at(-1).detail.head, 1);
  assert.equal((await figure(page, "fig-scores")).head, "1");

  // The article's own button writes the state (host.js: causal on, the masked scores).
  await page.click("#show-causal");
  changes = await events(page, "fig-scores", "statechange", 3);
  assert.equal(changes.at(-1).detail.causal, true);
  const causal = await figure(page, "fig-scores");
  assert.equal(causal.stage, "masked");
  assert.equal(causal.masked, (11 * 10) / 2);
  assert.equal(await page.evaluate(() => document.getElementById("fig-scores").state.stage), "masked", "the state property reads it back");

  // The reader's own step (the stepper inside the shadow root) is a statechange too.
  await page.evaluate(() => document.getElementById("fig-scores").shadowRoot.getElementById("ap-next").click());
  changes = await events(page, "fig-scores", "statechange", 4);
  assert.equal(changes.at(-1).detail.stage, "softmax");
  // Keyboard: the stepper's buttons are reached by Tab inside the shadow root, and ArrowLeft steps back.
  await page.evaluate(() => document.getElementById("fig-scores").shadowRoot.getElementById("ap-prev").focus());
  await page.keyboard.press("ArrowLeft");
  changes = await events(page, "fig-scores", "statechange", 5);
  assert.equal(changes.at(-1).detail.stage, "masked");
});

test("the guided tour runs inside a figure: a token chip is a guess, Escape ends that figure's tour", async () => {
  const { page } = main;
  await page.evaluate(() => {
    const el = document.createElement("attention-playground");
    el.id = "fig-tour";
    el.setAttribute("tour", "1");
    el.setAttribute("controls", "sentence,tour,stepper");
    for (const type of ["ready", "statechange", "error"]) el.addEventListener(type, (e) => window.hostEvents.push({ id: el.id, type, detail: e.detail }));
    document.getElementById("fig-bad").after(el);
  });
  await show(page, "fig-tour");
  await figure(page, "fig-tour");
  // (Playwright's CSS selectors pierce open shadow roots.)
  await page.click("#fig-tour .ap-tokens button[data-token='1']");
  await page.waitForFunction(() => document.getElementById("fig-tour").shadowRoot.querySelector(".ap-tour-token[data-token='1']")?.getAttribute("aria-pressed") === "true");
  assert.equal(await page.evaluate(() => document.getElementById("fig-tour").state.focus), null, "the click was a guess, not a follow");
  await page.focus("#fig-tour .ap-tour-token[data-token='1']");
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => document.getElementById("fig-tour").state.tour === null);
  await page.evaluate(() => document.getElementById("fig-tour").remove());
});

test("a figure far off screen stops drawing, and draws the newest state when it comes back", async () => {
  const { page } = main;
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.waitForFunction(() => document.getElementById("fig-scores").shadowRoot.querySelector(".ap").dataset.paused === "true", null, { timeout: 10_000 });
  const drawnBefore = await page.evaluate(() => document.getElementById("fig-scores").shadowRoot.querySelector(".ap").dataset.stage);
  await page.evaluate(() => document.getElementById("fig-scores").setAttribute("stage", "scaled"));
  const changes = await events(page, "fig-scores", "statechange", 6);
  assert.equal(changes.at(-1).detail.stage, "scaled", "the state changes while off screen");
  await page.evaluate(() => new Promise((r) => setTimeout(r, 800)));
  const drawnAway = await page.evaluate(() => document.getElementById("fig-scores").shadowRoot.querySelector(".ap").dataset.stage);
  assert.equal(drawnAway, drawnBefore, "nothing drawn while far off screen");
  await page.locator("#fig-scores").scrollIntoViewIfNeeded();
  await page.waitForFunction(() => document.getElementById("fig-scores").shadowRoot.querySelector(".ap").dataset.stage === "scaled", null, { timeout: 20_000 });
  assert.equal((await figure(page, "fig-scores")).paused, false);
});

test("the iframe reports its height and answers `set` from the allowed origin", async () => {
  const { page } = main;
  const ready = await show(page, "fig-frame");
  assert.equal(ready.detail.state.stage, "softmax");
  assert.equal(ready.detail.state.causal, true, "the fragment's state");
  const frame = page.frames().find((f) => f.url().includes("/embed.html"));
  const inner = () => frame.evaluate(() => {
    const ap = document.querySelector("attention-playground").shadowRoot.querySelector(".ap");
    return { stage: ap.dataset.stage, ready: ap.dataset.ready, busy: ap.dataset.busy ?? null, height: Math.ceil(document.body.getBoundingClientRect().height) };
  });
  await page.waitForFunction(() => document.getElementById("fig-frame").style.height !== "");
  const { height } = await inner();
  const outerHeight = await page.evaluate(() => document.getElementById("fig-frame").getBoundingClientRect().height);
  assert.ok(height > 300, `the figure is ${height} px tall`);
  assert.ok(Math.abs(outerHeight - height) <= 1, `the iframe (${outerHeight} px) is sized to its content (${height} px)`);

  const answer = await page.evaluate(() => window.embedHost.set(document.getElementById("fig-frame"), { stage: "scores" }));
  assert.equal(answer.stage, "scores");
  assert.equal(answer.causal, true, "set merges into the state");
  await frame.waitForFunction(() => {
    const ap = document.querySelector("attention-playground").shadowRoot.querySelector(".ap");
    return ap.dataset.stage === "scores" && !ap.dataset.busy;
  });
  // The reader's change inside the frame reaches the host as a statechange on the iframe.
  await frame.evaluate(() => document.querySelector("attention-playground").shadowRoot.getElementById("ap-next").click());
  const changes = await events(page, "fig-frame", "statechange");
  assert.equal(changes.at(-1).detail.stage, "scaled");
});

test("the iframe ignores messages from any other origin than the one in its fragment", async () => {
  // The same host page, but the frame was told to talk to 127.0.0.1 while the page is localhost.
  const other = await openHost({ hostOrigin: host.origin.replace("127.0.0.1", "localhost"), search: `&frameOrigin=${encodeURIComponent(host.origin)}` });
  const { page } = other;
  await page.locator("#fig-frame").scrollIntoViewIfNeeded();
  const frame = await (async () => {
    for (let i = 0; i < 200; i++) {
      const f = page.frames().find((x) => x.url().includes("/embed.html"));
      if (f) return f;
      await page.waitForTimeout(100);
    }
    throw new Error("no embed.html frame");
  })();
  await frame.waitForFunction(() => document.querySelector("attention-playground")?.shadowRoot.querySelector(".ap")?.dataset.ready === "true", null, { timeout: 60_000 });
  const reply = await page.evaluate(() =>
    Promise.race([
      window.embedHost.set(document.getElementById("fig-frame"), { stage: "scores" }).then(() => "answered"),
      new Promise((r) => setTimeout(() => r("ignored"), 2000)),
    ]),
  );
  assert.equal(reply, "ignored");
  assert.equal(await frame.evaluate(() => document.querySelector("attention-playground").shadowRoot.querySelector(".ap").dataset.stage), "softmax");
  const heard = await page.evaluate(() => window.hostEvents.filter((e) => e.id === "fig-frame").length);
  assert.equal(heard, 0, "and it tells this page nothing (no ready, no size)");
  assert.equal(await page.evaluate(() => document.getElementById("fig-frame").style.height), "");
  await other.context.close();
});

test("no style leaks: host rules do not reach inside, the element's styles do not reach outside", async () => {
  const { page } = main;
  const inside = await page.evaluate(() => {
    const sr = document.getElementById("fig-scores").shadowRoot;
    const cs = (sel) => getComputedStyle(sr.querySelector(sel));
    return {
      canvasOutline: cs("#ap-matrix canvas").outlineWidth,
      buttonBackground: cs("#ap-next").backgroundColor,
      buttonFont: cs("#ap-next").fontSize,
      buttonRadius: cs("#ap-next").borderTopLeftRadius,
      tableBorder: cs("#ap-matrix table").borderTopWidth,
      labelStyle: cs("#ap-group-masks label").fontStyle,
      font: getComputedStyle(document.getElementById("fig-scores")).fontFamily,
    };
  });
  assert.notEqual(inside.canvasOutline, "7px", "host: canvas { outline: 7px }");
  assert.notEqual(inside.buttonBackground, "rgb(255, 0, 0)", "host: button { background: red !important }");
  assert.notEqual(inside.buttonFont, "23px", "host: button { font-size: 23px }");
  assert.notEqual(inside.buttonRadius, "0px", "host: button { border-radius: 0 }");
  assert.notEqual(inside.tableBorder, "9px", "host: table { border: 9px }");
  assert.equal(inside.labelStyle, "normal", "host: label { font-style: italic }");
  assert.doesNotMatch(inside.font, /Georgia/, "the figure's own font, not the host's");
  assert.deepEqual(await outside(page), outsideBefore, "the host's own elements look as before any figure started");
});

test("axe-core finds no violations on the host page at 1280, 390 and 320 px, nothing sticks out; screenshots at 1280 and 390", async () => {
  const axe = readFileSync(path.join(root, "node_modules/axe-core/axe.min.js"), "utf8");
  for (const [width, height] of [[1280, 800], [390, 844], [320, 640]]) {
    const { page, context } = await openHost({ width, height });
    // A fourth figure with every part (no controls attribute): the whole UI inside a shadow root.
    await page.evaluate(() => {
      const el = document.createElement("attention-playground");
      el.id = "fig-full";
      el.setAttribute("stage", "softmax");
      el.addEventListener("ready", (e) => window.hostEvents.push({ id: el.id, type: "ready", detail: e.detail }));
      document.getElementById("fig-bad").after(el);
    });
    for (const id of ["fig-scores", "fig-masked", "fig-bad", "fig-full", "fig-frame"]) await show(page, id);
    for (const id of ["fig-scores", "fig-masked", "fig-bad", "fig-full"]) await figure(page, id);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scroll at ${width} px (${overflow} px too wide)`);
    const widths = await page.evaluate(() => ["fig-scores", "fig-masked", "fig-bad", "fig-full"].map((id) => {
      const sr = document.getElementById(id).shadowRoot;
      return [...sr.querySelectorAll("*")].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest(".ap-hm-scroll, .ap-hm-visually-hidden, .ap-visually-hidden")).map((e) => `${id} ${e.tagName}.${e.className}`);
    }).flat());
    assert.deepEqual(widths, [], `nothing inside a figure sticks out at ${width} px`);
    await page.evaluate(axe);
    const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    const bad = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    console.log(`axe-core on the host page at ${width}px: ${results.violations.length} violations, ${bad.length} serious or critical`);
    // Clean, not only of serious ones: several figures on one page must not repeat a landmark's name.
    assert.deepEqual(results.violations.map((v) => `${v.id} (${v.impact}): ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`), []);
    await page.evaluate(() => window.scrollTo(0, 0));
    if (width === 320) {
      await context.close();
      continue;
    }
    await page.screenshot({ path: path.join(shots, `embed-${width}.png`), fullPage: true });
    for (const id of ["fig-scores", "fig-masked", "fig-bad", "fig-full", "fig-frame"]) {
      await page.locator(`#${id}`).scrollIntoViewIfNeeded();
      if (id !== "fig-frame") await figure(page, id);
      await page.locator(`#${id}`).screenshot({ path: path.join(shots, `embed-${width}-${id.slice(4)}.png`) });
    }
    await context.close();
  }
});

test("start-up cost of a figure on a warm cache: bytes and ms from the viewport to ready", async () => {
  const { page, context } = await openHost();
  const measure = async () => {
    const sizes = [];
    const onDone = (r) => sizes.push(r.sizes().then((s) => ({ url: r.url(), bytes: s.responseHeadersSize + s.responseBodySize })).catch(() => ({ url: r.url(), bytes: 0 })));
    page.on("requestfinished", onDone);
    const ready = await show(page, "fig-scores");
    await figure(page, "fig-scores");
    page.off("requestfinished", onDone);
    const got = (await Promise.all(sizes)).filter((s) => s.url.startsWith(playground.origin) && !/element\.js$|embed-host\.js$/.test(s.url));
    return { ms: ready.detail.ms, requests: got.length, bytes: got.reduce((a, s) => a + s.bytes, 0) };
  };
  const cold = await measure();
  await page.reload();
  await page.waitForFunction(() => window.embedHost && customElements.get("attention-playground"));
  const warm = await measure();
  const kb = (b) => `${(b / 1024).toFixed(1)} KB`;
  console.log(`embed start-up, cold: ${cold.requests} requests, ${kb(cold.bytes)}, ${cold.ms.toFixed(0)} ms to ready`);
  console.log(`embed start-up, warm cache: ${warm.requests} requests, ${kb(warm.bytes)}, ${warm.ms.toFixed(0)} ms to ready`);
  assert.ok(cold.bytes > 500_000, `a cold start fetches the engine build (${kb(cold.bytes)})`);
  assert.ok(warm.bytes < cold.bytes / 10, `a warm start revalidates instead of fetching (${kb(warm.bytes)} of ${kb(cold.bytes)})`);
  assert.ok(warm.ms < 15_000, `ready within 15 s (${warm.ms.toFixed(0)} ms)`);
  await context.close();
});

test("no console errors on any page opened", async () => {
  await main?.context.close();
  assert.deepEqual(problems, []);
});
