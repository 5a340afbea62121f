#!/usr/bin/env bash
# Type-checks tests/types/example.ts, which uses every export as README.md shows it, against the
# .d.ts that wasm-bindgen emits for the package (the typescript_custom_sections in src/wasm/).
# Builds the crate for wasm32 (debug), runs wasm-bindgen --target web into the cache, then the
# pinned tsc (node_modules/.bin/tsc) with --noEmit --strict. The example's @ts-expect-error lines
# make the check fail if the declarations fall back to `any`. Then tests/types/element.ts against
# the custom element's hand-written declarations (www/js/element.d.ts, embed-host.d.ts).
set -euo pipefail
source "$(dirname "$0")/../../scripts/env.sh"
root=$ROOT
cd "$root"
target="$AP_CACHE/types/target"
out="$AP_CACHE/types/pkg"

CARGO_TARGET_DIR="$target" cargo build --quiet --lib --target wasm32-unknown-unknown
rm -rf "$out" && mkdir -p "$out"
wasm-bindgen --target web --out-dir "$out" "$target/wasm32-unknown-unknown/debug/attention_playground.wasm"
cat >"$out/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "strict": true, "noEmit": true, "target": "es2022", "module": "esnext",
    "moduleResolution": "bundler", "lib": ["es2022", "esnext.disposable", "dom"], "skipLibCheck": false,
    "baseUrl": ".", "paths": { "attention-playground": ["./attention_playground.d.ts"] }
  },
  "files": ["$root/tests/types/example.ts"]
}
JSON
tsc --noEmit --strict -p "$out/tsconfig.json"
echo "types: tests/types/example.ts type-checks against $out/attention_playground.d.ts"

# The custom element's and the iframe host script's declarations (www/js/element.d.ts,
# embed-host.d.ts: hand-written, shipped beside the scripts) against tests/types/element.ts.
cat >"$out/tsconfig.element.json" <<JSON
{
  "compilerOptions": {
    "strict": true, "noEmit": true, "target": "es2022", "module": "esnext",
    "moduleResolution": "bundler", "lib": ["es2022", "dom"], "skipLibCheck": false,
    "baseUrl": ".", "paths": {
      "attention-playground/element": ["$root/www/js/element.d.ts"],
      "attention-playground/embed-host": ["$root/www/js/embed-host.d.ts"]
    }
  },
  "files": ["$root/tests/types/element.ts"]
}
JSON
tsc --noEmit --strict -p "$out/tsconfig.element.json"
echo "types: tests/types/element.ts type-checks against www/js/element.d.ts and embed-host.d.ts"
