# The engine builds' compiler flags, in one place (sourced by build-engines.sh and
# test-browsers.sh). `build_flags NAME` prints the RUSTFLAGS of a build; builds whose name starts
# with "threads" also need the pinned nightly, `-Z build-std=panic_abort,std` and
# `--features threads` (../shared/TOOLCHAIN.md, "Threads").
NIGHTLY=$(sed -nE 's/^NIGHTLY=([^ ]+).*/\1/p' "$(dirname "${BASH_SOURCE[0]}")/install.sh")

# Shared, imported memory and the TLS exports wasm-bindgen-rayon's workers need. 1 GiB maximum:
# the engine refuses requests above 768 MiB of buffers.
_THREAD_LINK="-C link-arg=--shared-memory -C link-arg=--max-memory=1073741824 \
-C link-arg=--import-memory -C link-arg=--export=__wasm_init_tls -C link-arg=--export=__tls_size \
-C link-arg=--export=__tls_align -C link-arg=--export=__tls_base"

build_flags() {
  case $1 in
    plain)           echo "" ;;
    simd)            echo "-C target-feature=+simd128" ;;
    relaxed)         echo "-C target-feature=+simd128,+relaxed-simd" ;;
    threads)         echo "-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128 $_THREAD_LINK" ;;
    threads-relaxed) echo "-C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128,+relaxed-simd $_THREAD_LINK" ;;
    *) echo "unknown build '$1'" >&2; return 2 ;;
  esac
}
