#!/usr/bin/env bash
# Installs whatever the build and the tests need and is missing. Idempotent: every step
# checks first and skips what is already there, so a warm machine spends seconds here.
#
#   scripts/install.sh serve   what building and serving the page needs: the Rust toolchains,
#                              wasm-bindgen-cli, Trunk, the npm packages (wasm-opt)
#   scripts/install.sh check   what the gate (scripts/check.sh) needs: the toolchains with
#                              clippy and rustfmt, the npm packages (ESLint)
#   scripts/install.sh test    all of the above plus wasm-pack, the browsers and their drivers,
#                              and lavapipe (Vulkan on the CPU) for the WGSL kernel's native tests
#
# Versions are pinned in scripts/env.sh, rust-toolchain.toml and package-lock.json; nothing is
# downloaded outside the package registries (crates.io, Debian's apt, npm, rustup's channel).
#
# On a fresh machine the downloads (the nightly, npm packages, apt packages) run in the
# background while cargo compiles the tools, and the tools that are only run, never linked
# into the engine, are compiled without LTO at opt-level 1 (see cargo_tool).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

what=${1:-test}
case $what in serve | check | test) ;; *) echo "usage: scripts/install.sh serve|check|test" >&2; exit 2 ;; esac
want() { [ "$what" = test ] || [[ " $* " == *" $what "* ]]; } # want serve check: this mode needs it

say() { printf '\033[1minstall:\033[0m %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
jobs_started=()
background() { # name label command...: runs a download step beside the compiles; `finish name` waits for it
  say "$2 (in the background)"
  local name=$1; shift 2
  ("$@") >"$logs/$name" 2>&1 &
  eval "pid_${name//-/_}=$!"
  jobs_started+=("$name")
}
finish() { # name: waits for a background step, shows its log if it failed
  local var="pid_${1//-/_}"
  [ -n "${!var:-}" ] || return 0
  if ! wait "${!var}"; then cat "$logs/$1" >&2; echo "install: $1 failed" >&2; exit 1; fi
  unset "$var"
}

# --- the stable toolchain of rust-toolchain.toml (RUSTUP_AUTO_INSTALL=0 needs this step) ---
if ! grep -qx 'wasm32-unknown-unknown' <<<"$(rustup target list --installed 2>/dev/null)"; then
  say "rust toolchain and wasm32 target (rust-toolchain.toml)"
  rustup toolchain install
fi

# --- downloads, started first so they overlap with the compiles below ---
nightly_components=(rust-src)
want check && nightly_components+=(clippy)
nightly_missing() {
  local installed
  grep -q "^$NIGHTLY" <<<"$(rustup toolchain list 2>/dev/null)" || return 0
  installed=$(rustup component list --toolchain "$NIGHTLY" --installed 2>/dev/null)
  for c in "${nightly_components[@]}"; do grep -q "^$c" <<<"$installed" || return 0; done
  return 1
}
if ! grep -q "^$NIGHTLY" <<<"$(rustup toolchain list 2>/dev/null)"; then
  component_args=()
  for c in "${nightly_components[@]}"; do component_args+=(-c "$c"); done
  background nightly "$NIGHTLY with ${nightly_components[*]} and the wasm32 target (rustup)" \
    rustup toolchain install "$NIGHTLY" --profile minimal -t wasm32-unknown-unknown "${component_args[@]}"
elif nightly_missing; then
  background nightly "${nightly_components[*]} for $NIGHTLY (rustup)" rustup component add --toolchain "$NIGHTLY" "${nightly_components[@]}"
fi

if ! command -v node >/dev/null 2>&1; then
  say "nodejs (apt)"
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  apt_updated=1
fi
# node_modules/.installed-lock is the lockfile the folder was installed from.
if ! cmp -s package-lock.json node_modules/.installed-lock 2>/dev/null; then
  npm_ci() { npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.installed-lock; }
  background npm "npm packages (npm ci)" npm_ci
fi

if [ "$what" = test ]; then
  apt_pkgs=()
  command -v chromium >/dev/null 2>&1 || apt_pkgs+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || apt_pkgs+=(chromium-driver)
  command -v firefox-esr >/dev/null 2>&1 || command -v firefox >/dev/null 2>&1 || apt_pkgs+=(firefox-esr)
  # The WGSL kernel's native tests (tests/gpu.rs) run on Mesa's lavapipe, a Vulkan driver on the
  # CPU; vulkan-tools gives vulkaninfo, to see what an adapter offers.
  for pkg in mesa-vulkan-drivers libvulkan1 vulkan-tools; do
    dpkg -s "$pkg" >/dev/null 2>&1 || apt_pkgs+=("$pkg")
  done
  if [ ${#apt_pkgs[@]} -gt 0 ]; then
    apt_install() {
      [ -n "${apt_updated:-}" ] || apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
    }
    background apt "${apt_pkgs[*]} (apt)" apt_install
  fi
fi

# --- cargo-installed tools, each at its pinned version ---
# They are programs we run, not code we ship: no LTO, 16 codegen units and opt-level 1 build them
# in well under half the time of their own release profiles (Trunk's asks for fat LTO), and the
# work they do here (a few MB of wasm, a small site) takes the same wall time either way.
cargo_tool() { # name version binary [extra cargo install args...]
  local name=$1 version=$2 bin=$3; shift 3
  # (The output is captured first: with pipefail, `grep -q` closing the pipe early could make a
  # tool that prints several lines look missing.)
  if command -v "$bin" >/dev/null 2>&1 && [[ "$("$bin" --version 2>/dev/null)" == *"$version"* ]]; then
    return 0
  fi
  say "$name $version (cargo install, a few minutes)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=1 \
    cargo install --quiet --force "$name" --version "=$version" "$@"
}

if want serve; then
  # wasm-bindgen-cli: --locked fails for this version (a pinned dependency is missing from the mirror).
  cargo_tool wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen
  finish nightly
  # Trunk 0.22 needs a newer rustc than the stable pin: built with the nightly.
  RUSTUP_TOOLCHAIN=$NIGHTLY cargo_tool trunk "$TRUNK_VERSION" trunk --locked
fi
if [ "$what" = test ]; then
  cargo_tool wasm-pack "$WASM_PACK_VERSION" wasm-pack --locked
  # Debian has no geckodriver package; crates.io does.
  cargo_tool geckodriver "$GECKODRIVER_VERSION" geckodriver --locked
fi

for name in "${jobs_started[@]}"; do finish "$name"; done
say "all tools for '$what' present"
