#!/usr/bin/env bash
# `make package`: the npm package, as a folder and a tarball, offline:
#
#   target/package/                         npm-ready folder (what `npm pack` packs)
#     package.json                          name attention-playground, version from Cargo.toml,
#                                           exports: "." the JS API (engine/simd), "./element",
#                                           "./embed-host", "./embed.html", "./engine/*", "./js/*"
#                                           (scripts/package/manifest.mjs; entries for files
#                                           that exist)
#     engine/<build>/                       the five engine builds (scripts/build-engines.sh, from
#                                           its cache): plain, simd, relaxed, threads, threads-relaxed
#     engine/{plain,simd,relaxed}/*.d.ts    the JS API's TypeScript declarations (wasm-bindgen's,
#                                           as tests/types/check.sh makes and checks them)
#     js/                                   www/js whole: the worker, the page's modules, the
#                                           element (js/element.js, with js/element.d.ts when
#                                           there is one) and the iframe host script (js/embed-host.js)
#     styles.css, embed.html                the page's CSS; the iframe page (when www/embed.html exists)
#     README.md                             scripts/package/README.md (embedding in three lines)
#     PAGE.md                               www/README.md (the element, the iframe, the DOM contract;
#                                           its relative links hold: the folder is laid out as www/)
#     LICENSE-MIT, LICENSE-APACHE           the crate's licence, "MIT OR Apache-2.0"
#   target/attention-playground-<version>.tgz   `npm pack` of that folder
#
# No model weights: the real model's files come from scripts/model.sh (see the package README).
# The package has no dependencies, so `npm install --offline <tarball>` works anywhere
# (tests/package/test.sh does that).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
out=target/package
version=$(sed -nE '/^\[package\]/,/^\[/ s/^version = "(.*)"/\1/p' Cargo.toml)
[ -n "$version" ] || { echo "package: no version in Cargo.toml's [package]" >&2; exit 1; }

rm -rf "$out" target/attention-playground-*.tgz
mkdir -p "$out"

# 1. The engine builds (compiled only when the crate changed; else copied from the cache).
scripts/build-engines.sh "$out"
rm -rf "$out/models" # build-engines.sh links the model files too; the package has none
# An empty manifest in their place: the figures ask for it at start (the model picker's download
# sizes), and a 404 would be an error in every host page's console. Choosing MiniLM-L6 then says
# the manifest lists no such model; the package README says how to serve the files.
mkdir -p "$out/models"
printf '%s\n' '{"key": "none", "models": [], "note": "The package ships no model weights: run the project'"'"'s scripts/model.sh and serve its files (index.json with them) in this folder."}' >"$out/models/index.json"

# 2. The JS API's declarations. The engine builds are made without them (--no-typescript), and
# they depend only on the crate's exports, not on the build's instruction set: a debug wasm32
# build through wasm-bindgen makes them (the target folder tests/types/check.sh uses), kept in
# $AP_CACHE/package-dts/<hash of the inputs> so that an unchanged crate compiles nothing.
key=$({
  find src Cargo.toml Cargo.lock rust-toolchain.toml .cargo -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  wasm-bindgen --version
} | sha256sum | cut -c1-16)
dts="$AP_CACHE/package-dts/$key"
if [ ! -f "$dts/attention_playground.d.ts" ]; then
  echo "package: the crate changed: making the .d.ts (cargo build --target wasm32-unknown-unknown, wasm-bindgen)"
  target="$AP_CACHE/types/target"
  CARGO_TARGET_DIR="$target" cargo build --quiet --lib --target wasm32-unknown-unknown
  tmp=$(mktemp -d)
  wasm-bindgen --target web --out-dir "$tmp" "$target/wasm32-unknown-unknown/debug/attention_playground.wasm"
  mkdir -p "$AP_CACHE/package-dts"
  mkdir -p "$tmp/keep" && cp "$tmp"/*.d.ts "$tmp/keep/"
  mv -T "$tmp/keep" "$dts" 2>/dev/null || true # another checkout may have made the same key meanwhile
  rm -rf "$tmp"
  ls -dt "$AP_CACHE/package-dts/"* | tail -n +5 | xargs -r rm -rf # keep the four newest
fi
for build in plain simd relaxed; do cp "$dts"/*.d.ts "$out/engine/$build/"; done

# 3. The page's modules, CSS, the iframe page.
cp -R www/js "$out/js"
cp www/styles.css "$out/"
[ ! -f www/embed.html ] || cp www/embed.html "$out/"

# 4. README, licences, package.json.
sed "s/@VERSION@/$version/g" scripts/package/README.md >"$out/README.md"
cp www/README.md "$out/PAGE.md"
cp scripts/package/LICENSE-MIT scripts/package/LICENSE-APACHE "$out/"
node scripts/package/manifest.mjs "$out" "$version"

# 5. The tarball (npm pack reads the folder only: no network, no scripts).
(cd "$out" && npm pack --offline --ignore-scripts --pack-destination "$ROOT/target" --json >"$ROOT/target/package-pack.json")
tgz="target/attention-playground-$version.tgz"
[ -f "$tgz" ] || { echo "package: npm pack wrote no $tgz" >&2; exit 1; }
files=$(node -e 'const [p] = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(p.entryCount)' target/package-pack.json)
echo "package: $out ($(du -sb "$out" | cut -f1) bytes, $files files) and $tgz ($(stat -c %s "$tgz") bytes)"
[ -f "$out/js/element.js" ] || echo "package: note: www/js/element.js does not exist yet, so the package has no element"
