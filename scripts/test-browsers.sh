#!/usr/bin/env bash
# Runs the browser suite (tests/web.rs) with wasm-pack in headless Chromium and Firefox, once per
# build: no SIMD, SIMD128, and SIMD128 + relaxed SIMD. Each build has its own target folder so a
# warm run rebuilds nothing; the folders live in $AP_CACHE (see test.sh) so that fresh clones
# share them. Prints a line per run and a total.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
export GECKODRIVER=${GECKODRIVER:-$(command -v geckodriver)}
AP_CACHE=${AP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attention-playground}

# build name | rustflags | what buildInfo().simd must say
builds=(
  "plain||none"
  "simd128|-C target-feature=+simd128|simd128"
  "relaxed|-C target-feature=+simd128,+relaxed-simd|relaxed-simd"
)
browsers=${BROWSERS:-"chrome firefox"}

passed=0 failed=0 summary=()
mkdir -p target
for entry in "${builds[@]}"; do
  IFS='|' read -r name flags simd <<<"$entry"
  for browser in $browsers; do
    log="target/browser-test-$name-$browser.log"
    echo "== wasm-pack test --headless --$browser ($name build)"
    RUSTFLAGS="$flags" EXPECT_SIMD="$simd" CARGO_TARGET_DIR="$AP_CACHE/wasm-$name" \
      wasm-pack --log-level warn test --headless "--$browser" -- --test web >"$log" 2>&1
    rc=$?
    result=$(grep -E '^test result:' "$log" | tail -1)
    p=$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$result"); p=${p:-0}
    f=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$result"); f=${f:-0}
    if [ $rc -ne 0 ] && [ "$f" = 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f))
    summary+=("$(printf '%-8s %-8s %3s passed, %s failed' "$name" "$browser" "$p" "$f")")
    if [ $rc -ne 0 ]; then
      grep -E 'panicked|error|Error' -A4 "$log" | head -40
    fi
    echo "   ${result:-no test result (see $log)}"
  done
done
echo
echo "Browser tests (build, browser, counts):"
printf '  %s\n' "${summary[@]}"
echo "browsers: $passed passed, $failed failed"
[ "$failed" = 0 ]
