// Shared set-up for the page tests: serve dist/ (the Trunk build) with the same headers as
// `make serve`, drive Debian's Chromium with playwright-core, and watch every page for console
// errors, uncaught exceptions and requests that leave the origin.
import { spawn } from "node:child_process";
import { before, after } from "node:test";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../../scripts/chromium.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, "../..");
export const shots = path.join(root, "target/e2e/screenshots");
mkdirSync(shots, { recursive: true });

/**
 * scripts/serve.mjs on a free-ish port of 127.0.0.1: `dir` (default dist/, the Trunk build),
 * `isolation` (COOP/COEP), `args`: more of serve.mjs's options (--cors, --csp POLICY).
 */
export async function startServer({ isolation = true, dir = "dist", args: more = [] } = {}) {
  const port = 18000 + Math.floor(Math.random() * 2000);
  const args = [path.join(root, "scripts/serve.mjs"), "--root", path.join(root, dir), "--port", String(port), ...more];
  if (!isolation) args.push("--no-isolation");
  const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise((resolve, reject) => {
    proc.stdout.once("data", resolve);
    proc.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/`, origin: `http://127.0.0.1:${port}`, stop: () => proc.kill() };
}

export async function launch() {
  return launchChromium();
}

/**
 * A page that records problems into `problems` (console errors, page errors, off-origin requests).
 * `path`: below the server's root (default: the playground); `ready`: wait for the playground's
 * first view (false for a page without one); `dpr`: the device pixel ratio. Downloads are accepted.
 */
export async function openPage(browser, server, { width = 1280, height = 800, dpr = 1, path = "", hash = "", search = "", bypassCSP = false, ready = true, setup = null } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: dpr, bypassCSP, acceptDownloads: true });
  await setup?.(context); // routes and init scripts, before the page loads
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("dialog", (d) => { problems.push(`dialog: ${d.message()}`); d.dismiss(); });
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(server.origin) && !u.startsWith("data:") && !u.startsWith("blob:")) problems.push(`off-origin request: ${u}`);
  });
  await page.goto(server.url + path + (search ? `?${search}` : "") + (hash ? `#${hash}` : ""));
  if (ready) {
    await page.waitForSelector("#playground[data-ready='true']");
    await settled(page);
  }
  return { page, context, problems };
}

/** Waits until the playground has rendered the answer to the last change (data-busy is gone). */
export async function settled(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.waitForFunction(() => !document.getElementById("playground").dataset.busy);
}

/**
 * One server and one Chromium for a test file (started before its tests, stopped after them):
 * `suite.open(opts)` opens a page as openPage does and keeps its problems in `suite.problems`.
 */
export function pageSuite({ isolation = true } = {}) {
  const suite = {
    server: null,
    browser: null,
    problems: [],
    async open(opts) {
      const p = await openPage(suite.browser, suite.server, opts);
      suite.problems.push(p.problems);
      return p;
    },
  };
  before(async () => {
    suite.server = await startServer({ isolation });
    suite.browser = await launch();
  });
  after(async () => {
    await suite.browser?.close();
    suite.server?.stop();
  });
  return suite;
}
