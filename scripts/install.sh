#!/usr/bin/env bash
# Installs whatever the build and the tests need and is missing. Idempotent: every step
# checks first and skips what is already there, so a warm machine spends seconds here.
#
#   scripts/install.sh serve   tools to build and serve the playground
#   scripts/install.sh test    the above plus browsers and drivers for the browser tests
#
# Every version is pinned here or in rust-toolchain.toml; nothing is downloaded outside the
# package registries (crates.io, Debian's apt, npm).
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen version in Cargo.lock
WASM_PACK_VERSION=0.15.1
GECKODRIVER_VERSION=0.37.1
TRUNK_VERSION=0.22.1
NIGHTLY=nightly-2026-05-20     # Trunk 0.22 needs rustc >= 1.96.1; the threaded build needs build-std

what=${1:-test}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1minstall:\033[0m %s\n' "$*"; }

# --- Rust toolchain named by rust-toolchain.toml (RUSTUP_AUTO_INSTALL=0 needs this step) ---
if ! grep -qx 'wasm32-unknown-unknown' <<<"$(rustup target list --installed 2>/dev/null)"; then
  say "rust toolchain and wasm32 target (rust-toolchain.toml)"
  rustup toolchain install
fi

# --- cargo-installed tools, each at its pinned version ---
cargo_tool() { # name version binary [extra cargo install args...]
  local name=$1 version=$2 bin=$3; shift 3
  # (The output is captured first: with pipefail, `grep -q` closing the pipe early could make a
  # tool that prints several lines look missing.)
  if command -v "$bin" >/dev/null 2>&1 && [[ "$("$bin" --version 2>/dev/null)" == *"$version"* ]]; then
    return 0
  fi
  say "$name $version (cargo install, a few minutes)"
  cargo install --quiet --force "$name" --version "=$version" "$@"
}
# wasm-bindgen-cli: --locked fails for this version (a pinned dependency is missing from the mirror).
cargo_tool wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen
cargo_tool wasm-pack "$WASM_PACK_VERSION" wasm-pack --locked

# --- the dated nightly, and Trunk built with it ---
if ! grep -q "^$NIGHTLY" <<<"$(rustup toolchain list 2>/dev/null)"; then
  say "$NIGHTLY (rustup, with rust-src and the wasm32 target)"
  rustup toolchain install "$NIGHTLY" --profile minimal -c rust-src -t wasm32-unknown-unknown
fi
if ! { command -v trunk >/dev/null 2>&1 && [[ "$(trunk --version 2>/dev/null)" == *"$TRUNK_VERSION"* ]]; }; then
  say "trunk $TRUNK_VERSION (cargo install; its release profile's fat LTO is turned off to save ~10 minutes)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo "+$NIGHTLY" install --quiet --force --locked trunk --version "=$TRUNK_VERSION"
fi

# --- node and the npm packages of package-lock.json (wasm-opt, playwright-core, axe-core) ---
if ! command -v node >/dev/null 2>&1; then
  say "nodejs (apt)"
  apt_updated=1; apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
# node_modules/.installed-lock is the lockfile the folder was installed from.
if ! cmp -s package-lock.json node_modules/.installed-lock 2>/dev/null; then
  say "npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.installed-lock
fi

[ "$what" = serve ] && exit 0

# --- browsers and drivers for wasm-pack's headless tests ---
apt_pkgs=()
command -v chromium >/dev/null 2>&1 || apt_pkgs+=(chromium)
command -v chromedriver >/dev/null 2>&1 || apt_pkgs+=(chromium-driver)
command -v firefox-esr >/dev/null 2>&1 || command -v firefox >/dev/null 2>&1 || apt_pkgs+=(firefox-esr)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  say "${apt_pkgs[*]} (apt)"
  [ -n "${apt_updated:-}" ] || apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
fi
# Debian has no geckodriver package; crates.io does.
cargo_tool geckodriver "$GECKODRIVER_VERSION" geckodriver --locked
say "all tools present"
