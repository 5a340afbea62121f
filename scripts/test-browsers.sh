#!/usr/bin/env bash
# Runs the browser suite (tests/web.rs) with wasm-pack in headless Chromium and Firefox, once per
# build: no SIMD, SIMD128, and SIMD128 + relaxed SIMD; then the threaded build's suite
# (tests/threads.rs: a pool of 2 threads, the parallel kernels against the reference) in
# headless Chromium; then the WebGPU backend's suite (tests/webgpu.rs) in both browsers (Chromium
# must offer an adapter: webdriver.json in the crate root passes it --enable-unsafe-webgpu, which
# gives SwiftShader headless; Firefox ESR has none and the test checks the refusal) and in the
# threaded build (uploads from shared memory). Each build has its own target folder so a warm run rebuilds nothing; the
# folders live in $AP_CACHE (scripts/env.sh) so that fresh clones share them. Prints a line per
# run and a total.
set -uo pipefail
source "$(dirname "$0")/env.sh"
source "$ROOT/scripts/builds.sh"
cd "$ROOT"
# Each run sees only its own browser's driver: wasm-bindgen-test-runner takes the first driver it
# finds in the environment, and with both set it ran Firefox for the "chrome" runs too.
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
GECKODRIVER=${GECKODRIVER:-$(command -v geckodriver)}
driver_env() { # browser -> the env(1) arguments that leave only its driver
  if [ "$1" = chrome ]; then echo "-u GECKODRIVER CHROMEDRIVER=$CHROMEDRIVER"; else echo "-u CHROMEDRIVER GECKODRIVER=$GECKODRIVER"; fi
}

# build (scripts/builds.sh) | test target | what buildInfo().simd must say | browsers
runs=(
  "plain|web|none|${BROWSERS:-chrome firefox}"
  "simd|web|simd128|${BROWSERS:-chrome firefox}"
  "relaxed|web|relaxed-simd|${BROWSERS:-chrome firefox}"
  "threads-relaxed|threads|relaxed-simd|chrome"
  "simd|webgpu|simd128|${BROWSERS:-chrome firefox}"
  "threads-relaxed|webgpu|relaxed-simd|chrome"
)

passed=0 failed=0 summary=()
mkdir -p target
for entry in "${runs[@]}"; do
  IFS='|' read -r name test simd browsers <<<"$entry"
  read -ra extra <<<"$(build_cargo_args "$name")"
  for browser in $browsers; do
    log="target/browser-test-$name-$browser.log"
    echo "== wasm-pack test --headless --$browser ($name build, tests/$test.rs)"
    # shellcheck disable=SC2046
    env $(driver_env "$browser") RUSTUP_TOOLCHAIN="$(build_toolchain "$name")" RUSTFLAGS="$(build_flags "$name")" EXPECT_SIMD="$simd" \
      CARGO_TARGET_DIR="$AP_CACHE/wasm-$name" WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-120} \
      wasm-pack --log-level warn test --headless "--$browser" -- --test "$test" "${extra[@]}" -- --nocapture >"$log" 2>&1
    rc=$?
    # The runner names the browser it drove: a run in the wrong browser is a failure.
    want=$([ "$browser" = chrome ] && echo Chrome || echo Firefox)
    if ! grep -q "Running headless tests in $want" "$log"; then
      echo "   ran in the wrong browser (wanted $want): $(grep -m1 'Running headless tests in' "$log")"
      rc=1
    fi
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
    # What the tests print of their own (--nocapture), e.g. how many hostile inputs they drove.
    grep -E '^hostile inputs:' "$log" | sed 's/^/   /'
  done
done
echo
echo "Browser tests (build, browser, counts):"
printf '  %s\n' "${summary[@]}"
echo "browsers: $passed passed, $failed failed"
[ "$failed" = 0 ]
