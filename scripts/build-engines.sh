#!/usr/bin/env bash
# Builds every engine build the page chooses from at load time, into OUTDIR/engine/<build>/
# (attention_playground.js + attention_playground_bg.wasm, wasm-bindgen --target web, wasm-opt -O3):
#
#   plain            no SIMD                              any browser with WebAssembly
#   simd             SIMD128                              every current browser
#   relaxed          SIMD128 + relaxed SIMD               Chromium 114+, Firefox 146+
#   threads          SIMD128 + atomics, rayon pool        cross-origin isolated pages
#   threads-relaxed  SIMD128 + relaxed SIMD + atomics     cross-origin isolated, relaxed SIMD
#
# www/js/worker.js detects what the browser offers and loads the best of them. The threaded
# builds need the pinned nightly and build-std (../shared/TOOLCHAIN.md, "Threads").
#
#   scripts/build-engines.sh [OUTDIR [build...]]   (default: $TRUNK_STAGING_DIR, all five builds)
#
# Trunk runs this as a build hook (Trunk.toml) with OUTDIR = its staging folder, so `make serve`
# and `make build-page` produce all builds. Each build has its own cargo target folder in
# $AP_CACHE, so an unchanged crate rebuilds nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/node_modules/.bin:$HOME/.cargo/bin:$PATH"
AP_CACHE=${AP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attention-playground}
source scripts/builds.sh
out=${1:-${TRUNK_STAGING_DIR:?usage: scripts/build-engines.sh OUTDIR [build...]}}
[ $# -eq 0 ] || shift
builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=(plain simd relaxed threads threads-relaxed)

for build in "${builds[@]}"; do
  cargo=(cargo build --quiet --release --lib --target wasm32-unknown-unknown)
  flags=$(build_flags "$build")
  if [[ $build == threads* ]]; then
    cargo=(cargo "+$NIGHTLY" build --quiet --release --lib --target wasm32-unknown-unknown
           --features threads -Z build-std=panic_abort,std)
  fi
  target_dir="$AP_CACHE/engine-$build"
  dest="$out/engine/$build"
  echo "build-engines: $build"
  RUSTFLAGS="$flags" CARGO_TARGET_DIR="$target_dir" "${cargo[@]}"
  rm -rf "$dest"
  mkdir -p "$dest"
  wasm-bindgen --target web --no-typescript --out-dir "$dest" \
    "$target_dir/wasm32-unknown-unknown/release/attention_playground.wasm"
  # The target_features section tells wasm-opt which features the build may use.
  wasm-opt -O3 --detect-features "$dest/attention_playground_bg.wasm" -o "$dest/attention_playground_bg.wasm"
done
