#!/usr/bin/env bash
# Builds every engine build the page chooses from at load time, into OUTDIR/engine/<build>/
# (attention_playground.js + attention_playground_bg.wasm, wasm-bindgen --target web, wasm-opt -O3),
# and links the real model's files into OUTDIR/models/ (link_models below):
#
#   plain            no SIMD                              any browser with WebAssembly
#   simd             SIMD128                              every current browser
#   relaxed          SIMD128 + relaxed SIMD               Chromium 114+, Firefox 146+
#   threads          SIMD128 + atomics, rayon pool        cross-origin isolated pages
#   threads-relaxed  SIMD128 + relaxed SIMD + atomics     cross-origin isolated, relaxed SIMD
#
# www/js/worker.js detects what the browser offers and loads the best of them. The flags and
# toolchain of each build are in scripts/builds.sh.
#
#   scripts/build-engines.sh [OUTDIR [build...]]   (default: $TRUNK_STAGING_DIR, all five builds)
#
# Trunk runs this as a build hook (Trunk.toml) with OUTDIR = its staging folder, on every rebuild
# of `make serve`, even for a CSS edit. So each finished build is kept in
# $AP_CACHE/engines/<build>-<key>/, where the key is a hash of everything that goes into it (src/,
# the Cargo files, the toolchain pins, these scripts, its flags, the wasm-bindgen and wasm-opt
# versions); when the key is unchanged the build is copied from there and nothing is compiled.
# Each build also has its own cargo target folder in $AP_CACHE, so a changed crate recompiles
# only itself.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/builds.sh"
cd "$ROOT"
out=${1:-${TRUNK_STAGING_DIR:?usage: scripts/build-engines.sh OUTDIR [build...]}}
[ $# -eq 0 ] || shift
builds=("$@")
[ ${#builds[@]} -gt 0 ] || builds=(plain simd relaxed threads threads-relaxed)
KEEP=4 # finished outputs kept per build (other checkouts on the machine share the cache)

ms() { date +%s%3N; }
secs() { local d=$(($(ms) - $1)); printf '%d.%d s' $((d / 1000)) $((d % 1000 / 100)); } # since a ms() time
started=$(ms)
# The inputs every build shares: the crate's sources and manifests, the pins, the build scripts
# and the tools that turn the cargo output into the served files.
shared_key=$({
  find src Cargo.toml Cargo.lock rust-toolchain.toml scripts/env.sh scripts/builds.sh scripts/build-engines.sh \
    -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  wasm-bindgen --version
  wasm-opt --version
} | sha256sum | cut -c1-16)

mkdir -p "$AP_CACHE/engines"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

build_one() { # build: compiles one build into the cache unless its key is there, then copies it to $out
  local build=$1 flags toolchain extra key cached dest t0 target_dir tmp
  flags=$(build_flags "$build")
  toolchain=$(build_toolchain "$build")
  read -ra extra <<<"$(build_cargo_args "$build")"
  key=$(printf '%s\n' "$shared_key" "$toolchain" "$flags" "${extra[*]}" | sha256sum | cut -c1-16)
  cached="$AP_CACHE/engines/$build-$key"
  dest="$out/engine/$build"
  if [ ! -f "$cached/attention_playground_bg.wasm" ]; then
    echo "build-engines: $build: inputs changed, building (cargo, wasm-bindgen, wasm-opt -O3)"
    t0=$(ms)
    target_dir="$AP_CACHE/engine-$build"
    RUSTUP_TOOLCHAIN=$toolchain RUSTFLAGS="$flags" CARGO_TARGET_DIR="$target_dir" \
      cargo build --quiet --release --lib --target wasm32-unknown-unknown "${extra[@]}"
    tmp=$(mktemp -d "$AP_CACHE/engines/.$build-XXXXXX")
    wasm-bindgen --target web --no-typescript --out-dir "$tmp" \
      "$target_dir/wasm32-unknown-unknown/release/attention_playground.wasm"
    # The target_features section tells wasm-opt which features the build may use.
    wasm-opt -O3 --detect-features "$tmp/attention_playground_bg.wasm" -o "$tmp/attention_playground_bg.wasm"
    # Another checkout may have finished the same key meanwhile: either copy is the same build.
    mv -T "$tmp" "$cached" 2>/dev/null || rm -rf "$tmp"
    echo "$build built in $(secs "$t0")" >"$logs/$build.report"
  else
    echo "$build unchanged" >"$logs/$build.report"
  fi
  touch "$cached"
  rm -rf "$dest"
  mkdir -p "$dest"
  cp -R "$cached"/. "$dest/"   # (threaded builds have a snippets/ folder)
  # Keep the most recently used outputs of this build, drop older ones.
  ls -dt "$AP_CACHE/engines/$build-"???????????????? 2>/dev/null | tail -n +$((KEEP + 1)) | xargs -r rm -rf
}

# The real model's files (scripts/model.sh) go under OUTDIR/models/ as symbolic links into
# $AP_MODELS: the manifest and the files it lists, nothing else. A rebuild links them again and
# copies none of their 160 MB; Trunk moves the links into dist/ as they are, and both Trunk's
# server and scripts/serve.mjs follow them.
link_models() {
  rm -rf "$out/models"
  if [ ! -f "$AP_MODELS/index.json" ]; then
    echo "build-engines: no $AP_MODELS/index.json, so no models/ (run scripts/model.sh)" >&2
    return 0
  fi
  mkdir -p "$out/models"
  local file
  for file in index.json $(sed -nE 's/.*"file": "([^"]+)".*/\1/p' "$AP_MODELS/index.json"); do
    ln -s "$AP_MODELS/$file" "$out/models/$file"
  done
}
link_models

# Builds that must compile run $AP_ENGINE_JOBS at a time (default: the number of cores). Each
# ends in a long single-threaded step (the crate's one codegen unit with LTO, then parts of
# wasm-opt), so two at a time keep two cores busy where one after the other leaves one idle.
jobs=${AP_ENGINE_JOBS:-$(nproc)}
failed=()
running=0
declare -A pids=()
for build in "${builds[@]}"; do
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
  build_one "$build" >"$logs/$build.log" 2>&1 &
  pids[$build]=$!
  running=$((running + 1))
done
for build in "${builds[@]}"; do
  if ! wait "${pids[$build]}"; then failed+=("$build"); fi
  cat "$logs/$build.log"
done
report=()
for build in "${builds[@]}"; do report+=("$(cat "$logs/$build.report" 2>/dev/null || echo "$build FAILED")"); done
summary=$(printf '%s, ' "${report[@]}")
echo "build-engines: ${summary%, } (total $(secs "$started"))"
if [ ${#failed[@]} -gt 0 ]; then echo "build-engines: failed: ${failed[*]}" >&2; exit 1; fi
