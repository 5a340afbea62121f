// Writes the npm package's package.json into a folder scripts/package.sh has filled:
//   node scripts/package/manifest.mjs DIR VERSION
// The entry points name only files that are there (the element, the iframe page and the host
// script come with www/ once they exist); it fails, naming the file, when a required one is missing.
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";

const [dir, version] = process.argv.slice(2);
if (!dir || !version) {
  console.error("usage: node scripts/package/manifest.mjs DIR VERSION");
  process.exit(2);
}
const has = (p) => existsSync(path.join(dir, p));
const need = (p) => {
  if (!has(p)) {
    console.error(`package: ${p} is missing from ${dir} (scripts/package.sh puts it there)`);
    process.exit(1);
  }
  return `./${p}`;
};

const api = "engine/simd/attention_playground";
const exportsMap = {
  // The JS API: the SIMD128 engine build (every current browser and node 16.4+ run it).
  ".": { types: need(`${api}.d.ts`), default: need(`${api}.js`) },
};
if (has("js/element.js")) {
  exportsMap["./element"] = has("js/element.d.ts") ? { types: "./js/element.d.ts", default: "./js/element.js" } : "./js/element.js";
}
if (has("js/embed-host.js")) exportsMap["./embed-host"] = "./js/embed-host.js";
// Everything else by its path: the other engine builds, the page's modules, the iframe page, CSS.
Object.assign(exportsMap, {
  "./engine/*": "./engine/*",
  "./js/*": "./js/*",
  "./styles.css": need("styles.css"),
  "./package.json": "./package.json",
});
if (has("embed.html")) exportsMap["./embed.html"] = "./embed.html";

const files = ["engine/", "js/", "models/index.json", "styles.css", ...(has("embed.html") ? ["embed.html"] : []), need("README.md").slice(2), need("PAGE.md").slice(2)];
for (const f of readdirSync(dir)) if (/^LICENSE/.test(f)) files.push(f);

const manifest = {
  name: "attention-playground",
  version,
  description: "Transformer attention computed in the browser (Rust to WebAssembly): the engine's JS API, the <attention-playground> element and an iframe page for embedding its figures.",
  license: "MIT OR Apache-2.0",
  type: "module",
  main: `./${api}.js`,
  types: `./${api}.d.ts`,
  exports: exportsMap,
  files,
  // Importing the element defines <attention-playground>: a bundler must keep it.
  sideEffects: has("js/element.js") ? ["./js/element.js"] : false,
  keywords: ["attention", "transformer", "webassembly", "wasm", "simd", "visualization", "custom-element", "education"],
};
writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`package: package.json for attention-playground ${version} (entry points: ${Object.keys(exportsMap).join(", ")})`);
