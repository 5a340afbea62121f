// The page's security headers have one source: the [serve.headers] table of Trunk.toml, which
// `trunk serve` (make serve) sends. scripts/serve.mjs (the page tests, the benchmark) reads them
// from here, and the gate checks that the Content-Security-Policy <meta> of www/index.html (which
// a static host without these headers still honours) is the same policy.
//
//   import { securityHeaders } from "./headers.mjs";   // { "Content-Security-Policy": ..., ... }
//   node scripts/headers.mjs --check www/index.html     // exit 1 if the <meta> CSP differs
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The `"Name" = "value"` lines of Trunk.toml's [serve.headers] table, in order. */
export function securityHeaders(trunkToml = path.join(root, "Trunk.toml")) {
  const headers = {};
  let inTable = false;
  for (const raw of fs.readFileSync(trunkToml, "utf8").split("\n")) {
    const line = raw.trim();
    if (line.startsWith("[")) { inTable = line === "[serve.headers]"; continue; }
    if (!inTable || line === "" || line.startsWith("#")) continue;
    const m = line.match(/^"([^"]+)"\s*=\s*"([^"]*)"\s*(#.*)?$/);
    if (!m) throw new Error(`Trunk.toml [serve.headers]: cannot read the line ${JSON.stringify(line)}; expected "Name" = "value"`);
    headers[m[1]] = m[2];
  }
  if (!headers["Content-Security-Policy"]) throw new Error("Trunk.toml [serve.headers] has no Content-Security-Policy");
  return headers;
}

/** The content of the page's <meta http-equiv="Content-Security-Policy">, or null. */
export function metaCsp(html) {
  const tag = html.match(/<meta\s+http-equiv="Content-Security-Policy"[^>]*>/i);
  const content = tag && tag[0].match(/content="([^"]*)"/);
  return content ? content[1] : null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--check");
  if (i < 0 || !process.argv[i + 1]) {
    console.error("usage: node scripts/headers.mjs --check PAGE.html");
    process.exit(2);
  }
  const page = process.argv[i + 1];
  const want = securityHeaders()["Content-Security-Policy"];
  const got = metaCsp(fs.readFileSync(page, "utf8"));
  if (got !== want) {
    console.error(`${page}: the Content-Security-Policy <meta> ${got === null ? "is missing" : `is\n  ${got}`}\nbut Trunk.toml [serve.headers] sends\n  ${want}\nMake them equal (Trunk.toml is the source).`);
    process.exit(1);
  }
}
