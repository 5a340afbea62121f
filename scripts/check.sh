#!/usr/bin/env bash
# The gate (`make check`, and the first step of `make test`): fast checks that need no browser.
#   1. cargo fmt --check
#   2. the page's headers: the CSP in www/index.html's, www/embed.html's and www/examples/index.html's <meta> equals Trunk.toml's
#   3. ESLint (pinned in package.json, rules in eslint.config.js) over www/, bench/, tests/, scripts/
#   4. node --test tests/js/: the unit tests of the page's pure modules
#   5. clippy with warnings as errors on every flavour the crate is built in: native (all
#      targets, with --features tools (the weight converter) and with --features threads),
#      wasm32 with the relaxed-SIMD flags (the widest single-threaded cfg) and its tests, and the
#      threaded wasm build (nightly, build-std, atomics) and its tests
# Prints each step's time and the total; stops at the first failing step. Each clippy flavour has
# its own target folder in $AP_CACHE, so they never invalidate each other and a warm run only
# re-checks this crate. The counts go to target/check-summary.txt.
set -uo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/builds.sh"
cd "$ROOT"
mkdir -p target
summary=target/check-summary.txt
: >"$summary"

ms() { date +%s%3N; }
secs() { local d=$(($(ms) - $1)); printf '%d.%d s' $((d / 1000)) $((d % 1000 / 100)); }
started=$(ms)
step() { # title command...: runs one step, prints its time; the gate stops at the first failure
  local title=$1 t0 rc; shift
  t0=$(ms)
  printf '\033[1mcheck:\033[0m %s\n' "$title"
  "$@"
  rc=$?
  if [ $rc -ne 0 ]; then
    echo "check: FAILED: $title ($(secs "$t0")); the gate stops here (total $(secs "$started"))"
    echo "gate: FAILED at: $title" >>"$summary"
    exit 1
  fi
  echo "       ok ($(secs "$t0"))"
  echo "gate: ok: $title" >>"$summary"
}

clippy() { # flavour [cargo clippy args...]: one clippy flavour in its own target folder
  local flavour=$1; shift
  CARGO_TARGET_DIR="$AP_CACHE/clippy-$flavour" cargo clippy --quiet "$@" -- -D warnings
}
clippy_wasm() { # build (scripts/builds.sh): the crate and its wasm tests as that engine build
  local build=$1 extra
  read -ra extra <<<"$(build_cargo_args "$build")"
  RUSTUP_TOOLCHAIN=$(build_toolchain "$build") RUSTFLAGS=$(build_flags "$build") \
    clippy "wasm-$build" --target wasm32-unknown-unknown --lib --tests "${extra[@]}"
}

unit_tests() {
  local files
  files=$(find tests/js -name '*.test.mjs' 2>/dev/null | sort)
  if [ -z "$files" ]; then
    echo "       tests/js/ has no *.test.mjs files: no unit tests ran"
    echo "gate: node --test tests/js: 0 test files" >>"$summary"
    return 0
  fi
  local log=target/unit-tests.log rc p f
  # shellcheck disable=SC2086
  node --test --test-reporter=tap $files >"$log" 2>&1
  rc=$?
  p=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$log" | tail -1); f=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$log" | tail -1)
  echo "       $(wc -l <<<"$files") files: ${p:-0} passed, ${f:-?} failed"
  printf '%-60s %4s passed, %s failed\n' "gate: node --test tests/js" "${p:-0}" "${f:-1}" >>"$summary"
  [ $rc -eq 0 ] || grep -E -A20 '^not ok' "$log" | head -60
  return $rc
}

# The quick steps first, so a formatting or lint slip shows in seconds.
step "cargo fmt --check" cargo fmt --all --check
step "CSP: www/index.html's <meta> equals Trunk.toml's header" node scripts/headers.mjs --check www/index.html
step "CSP: www/embed.html's <meta> equals Trunk.toml's header" node scripts/headers.mjs --check www/embed.html
step "CSP: www/examples/index.html's <meta> equals Trunk.toml's header" node scripts/headers.mjs --check www/examples/index.html
step "eslint (eslint.config.js)" eslint --max-warnings 0 .
step "node --test tests/js/ (unit tests)" unit_tests
step "clippy native, all targets, --features tools (the converter)" clippy native --all-targets --features tools
step "clippy native, all targets, --features threads" clippy native --all-targets --features threads
step "clippy wasm32 ($(build_flags relaxed))" clippy_wasm relaxed
step "clippy wasm32 threaded ($NIGHTLY, build-std, atomics)" clippy_wasm threads-relaxed

echo "check: all passed in $(secs "$started")"
echo "gate: all passed in $(secs "$started")" >>"$summary"
