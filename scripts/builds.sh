# The engine builds' compiler flags, in one place (sourced by build-engines.sh and
# test-browsers.sh, after scripts/env.sh). `build_flags NAME` prints the RUSTFLAGS of a build;
# builds whose name starts with "threads" also need the pinned nightly ($NIGHTLY, scripts/env.sh),
# `-Z build-std=panic_abort,std` and `--features threads`: atomics need a standard library
# compiled with them, which only build-std on a nightly gives.

# Shared, imported memory and the TLS exports wasm-bindgen-rayon's workers need. 1 GiB maximum:
# the engine refuses requests above 768 MiB of buffers.
_THREAD_LINK="-C link-arg=--shared-memory -C link-arg=--max-memory=1073741824 \
-C link-arg=--import-memory -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size \
-C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"

# Every build: web-sys's WebGPU bindings (src/gpu/web.rs) are unstable APIs behind this cfg, and
# a RUSTFLAGS replaces .cargo/config.toml's flags, so each build's flags carry it.
_WEB_SYS="--cfg=web_sys_unstable_apis"

build_flags() {
  case $1 in
    plain)           echo "$_WEB_SYS" ;;
    simd)            echo "$_WEB_SYS -C target-feature=+simd128" ;;
    relaxed)         echo "$_WEB_SYS -C target-feature=+simd128,+relaxed-simd" ;;
    threads)         echo "$_WEB_SYS -C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128 $_THREAD_LINK" ;;
    threads-relaxed) echo "$_WEB_SYS -C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128,+relaxed-simd $_THREAD_LINK" ;;
    *) echo "unknown build '$1'" >&2; return 2 ;;
  esac
}

# `build_toolchain NAME`: the rustup toolchain a build needs (RUSTUP_TOOLCHAIN); `build_cargo_args
# NAME`: the cargo arguments it needs beyond the target. The same for the engine builds
# (build-engines.sh), the browser tests (test-browsers.sh) and the gate's clippy (check.sh).
build_toolchain() {
  if [[ $1 == threads* ]]; then echo "$NIGHTLY"; else echo "$(sed -nE 's/^channel = "(.*)"/\1/p' "$ROOT/rust-toolchain.toml")"; fi
}
build_cargo_args() {
  if [[ $1 == threads* ]]; then echo "--features threads -Z build-std=panic_abort,std"; fi
}
