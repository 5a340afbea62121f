// The browser half of tests/package/test.sh: serves the temporary project (the tarball installed
// in its node_modules) with scripts/serve.mjs as an ordinary host page (no cross-origin
// isolation, the playground's strict CSP), opens its index.html, which imports the installed
// package's element, and checks that the element renders a figure from the package's own files.
//   node tests/package/browser.mjs PROJECT_DIR
// (The callbacks given to page.evaluate and page.waitForFunction run in the page.)
/* global window, document, createImageBitmap, OffscreenCanvas */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../../scripts/chromium.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const project = path.resolve(process.argv[2] ?? "");
const fail = (why) => {
  console.log(`package: browser: FAILED: ${why}`);
  process.exitCode = 1;
};
if (!existsSync(path.join(project, "node_modules/attention-playground/package.json"))) {
  fail(`${project} has no installed attention-playground`);
} else if (!existsSync(path.join(project, "node_modules/attention-playground/js/element.js"))) {
  fail("the package has no js/element.js (www/js/element.js, the <attention-playground> element), so no page can show its figure");
} else {
  await run();
}

async function run() {
  const port = 20000 + Math.floor(Math.random() * 2000);
  const server = spawn(process.execPath, [path.join(root, "scripts/serve.mjs"), "--root", project, "--port", String(port), "--no-isolation"], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    server.stdout.once("data", resolve);
    server.once("exit", (code) => reject(new Error(`the server exited with ${code}`)));
  });
  const origin = `http://127.0.0.1:${port}`;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = [];
    const requests = [];
    page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("request", (r) => requests.push(r.url()));
    page.on("response", (r) => { if (r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`); });
    await page.goto(`${origin}/index.html`);
    const outcome = await page.evaluate(() => Promise.race([window.packageCheck, new Promise((r) => setTimeout(() => r({ error: "no ready or error event within 60 s" }), 60000))]));
    if (outcome.error) return fail(`the element reported: ${outcome.error}`);
    // The figure: the element's picture is not blank, and (open shadow root) its heatmap's table twin has every cell.
    const cells = await page.waitForFunction(() => {
      const root = document.querySelector("attention-playground").shadowRoot;
      if (!root) return -1; // closed: judged by its picture alone
      const n = root.querySelectorAll("#ap-matrix td[data-row][data-col]").length; // the stage shown large
      return n > 0 ? n : null;
    }, null, { timeout: 30000 }).then((h) => h.jsonValue(), () => 0);
    const shot = await page.locator("attention-playground").screenshot();
    const variance = await page.evaluate(async (b64) => {
      const bmp = await createImageBitmap(new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: "image/png" }));
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = c.getContext("2d");
      ctx.drawImage(bmp, 0, 0);
      const d = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
      let s = 0, sq = 0;
      for (let k = 0; k < d.length; k += 4) {
        const y = 0.299 * d[k] + 0.587 * d[k + 1] + 0.114 * d[k + 2];
        s += y;
        sq += y * y;
      }
      const n = d.length / 4;
      return sq / n - (s / n) ** 2;
    }, shot.toString("base64"));
    const foreign = requests.filter((u) => !u.startsWith(`${origin}/node_modules/attention-playground/`) && ![`${origin}/index.html`, `${origin}/check.js`].includes(u) && !u.startsWith("blob:") && !u.startsWith("data:"));
    const engine = requests.filter((u) => /\/engine\/[^/]+\/attention_playground_bg\.wasm$/.test(u)).map((u) => u.split("/engine/")[1]);
    if (cells === 0) fail("the element's shadow root shows no heatmap cells within 30 s of ready");
    else if (cells > 0 && cells !== 121) fail(`the heatmap has ${cells} cells, expected 11 x 11 = 121`);
    else if (!(variance > 200)) fail(`the element's picture is blank (luminance variance ${variance.toFixed(0)})`);
    else if (problems.length) fail(problems.join("; "));
    else if (foreign.length) fail(`requests outside the installed package: ${foreign.join(", ")}`);
    else if (!engine.length) fail("no engine build was loaded from the package");
    else console.log(`package: browser: the installed element shows a figure (${cells > 0 ? `${cells} cells, ` : ""}picture variance ${variance.toFixed(0)}), engine ${engine.join(", ")} from the package, no console errors`);
  } finally {
    await browser.close();
    server.kill();
  }
}
