#!/usr/bin/env bash
# Every test: native (`cargo test`, the WGSL kernel on lavapipe, the benchmark compiled), the
# browser suite in headless Chromium and Firefox for each wasm build, then the page tests (Trunk build, playwright-core)
# and Lighthouse on the built page, then the npm package (`make package`, installed offline into an
# empty project, used from node and a browser page).
# `scripts/test.sh native`, `types`, `browsers`, `page` or `package` runs one part.
# Ends with one line: "total: N passed, N failed". The counts of each part, with the date and
# the toolchain, go to target/test-summary.txt (the README points there instead of keeping
# counts by hand). `make test` runs the gate (scripts/check.sh) before this.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
part=${1:-all}
passed=0 failed=0 status=0
mkdir -p target
summary=target/test-summary.txt
{
  echo "attention-playground test run, $(date -u '+%Y-%m-%d %H:%M UTC'), scripts/test.sh $part"
  echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)'); $(rustc --version)"
  # The gate runs first under `make test`; its lines (the unit tests' counts among them) are copied in.
  if [ "$part" = all ] && [ -f target/check-summary.txt ]; then
    echo "from target/check-summary.txt (scripts/check.sh, $(date -u -r target/check-summary.txt '+%Y-%m-%d %H:%M UTC')):"
    cat target/check-summary.txt
  fi
} >"$summary"
tally() { # what passed failed: one line of the summary
  printf '%-60s %4s passed, %s failed\n' "$1" "$2" "$3" >>"$summary"
}

count() { # log what: adds up the "test result: ... N passed; M failed" lines of a log
  local p f
  read -r p f < <(awk '/^test result:/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
                       END { print p + 0, f + 0 }' "$1")
  passed=$((passed + p)); failed=$((failed + f))
  tally "$2" "$p" "$f"
}

if [ "$part" = all ] || [ "$part" = native ]; then
  echo "== native: cargo test"
  CARGO_TARGET_DIR="$AP_CACHE/native" cargo test --quiet 2>&1 | tee target/native-test.log | grep -E '^(test result|running|failures|---- )|panicked' 
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
  count target/native-test.log "native: cargo test"
  echo "== native: cargo test --features threads --test kernels --test minilm (the parallel kernels, 1-3 threads; the real model on the pool)"
  CARGO_TARGET_DIR="$AP_CACHE/native" cargo test --quiet --features threads --test kernels --test minilm 2>&1 | tee target/native-threads-test.log | grep -E '^(test result|failures|---- )|panicked'
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
  count target/native-threads-test.log "native: cargo test --features threads --test kernels --test minilm"
  echo "== native: cargo test --features gpu --test gpu (the WGSL kernel through wgpu on lavapipe)"
  # lavapipe (Mesa's Vulkan on the CPU; scripts/install.sh test installs it) is the adapter; a
  # missing adapter fails these tests. WGPU_ADAPTER_NAME may still pick another one.
  VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/share/vulkan/icd.d/lvp_icd.x86_64.json} \
    CARGO_TARGET_DIR="$AP_CACHE/native" cargo test --quiet --features gpu --test gpu -- --show-output 2>&1 | tee target/native-gpu-test.log | grep -E '^(test result|failures|---- )|panicked|^gpu (adapter|variants):'
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
  count target/native-gpu-test.log "native: cargo test --features gpu --test gpu (lavapipe)"
  grep -E '^gpu (adapter|variants):' target/native-gpu-test.log | sed -E 's/^/native: /' >>"$summary"
  echo "== native: cargo bench --no-run (the benchmark compiles)"
  if CARGO_TARGET_DIR="$AP_CACHE/native" cargo bench --quiet --no-run >target/native-bench-build.log 2>&1; then
    echo "native: cargo bench --no-run: the benchmark compiles" >>"$summary"
  else
    status=1; failed=$((failed + 1)); tally "native: cargo bench --no-run (does not compile)" 0 1; tail -20 target/native-bench-build.log
  fi
fi

if [ "$part" = all ] || [ "$part" = types ]; then
  echo "== types: tests/types/example.ts against the package's .d.ts (wasm-bindgen, tsc --strict)"
  if tests/types/check.sh >target/types-check.log 2>&1; then
    passed=$((passed + 1)); tally "types: example.ts type-checks against the .d.ts" 1 0
  else
    status=1; failed=$((failed + 1)); tally "types: example.ts type-checks against the .d.ts" 0 1; tail -30 target/types-check.log
  fi
fi

if [ "$part" = all ] || [ "$part" = browsers ]; then
  scripts/test-browsers.sh | tee target/browser-test.log
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
  line=$(grep -E '^browsers:' target/browser-test.log | tail -1)
  p=$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$line"); f=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$line")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  [ -n "$line" ] || { status=1; failed=$((failed + 1)); f=$((${f:-0} + 1)); }
  # One summary line per (build, browser) run, as test-browsers.sh prints them.
  sed -n '/^Browser tests/,/^browsers:/p' target/browser-test.log | sed -nE 's/^  ([^ ]+) +([^ ]+) +([0-9]+) passed, ([0-9]+) failed$/\1 \2 \3 \4/p' |
    while read -r b br bp bf; do tally "browsers: wasm-pack test, $b build, $br" "$bp" "$bf"; done
  [ -n "$line" ] || tally "browsers: no total line (see target/browser-test.log)" 0 1
  # How many hostile inputs the export test drove (printed by tests/web.rs, the same in every run).
  grep -m1 -E '^   hostile inputs:' target/browser-test.log | sed -E 's/^ +/browsers: /' >>"$summary"
fi

if [ "$part" = all ] || [ "$part" = page ]; then
  echo "== page: trunk build --release (the page and its five engine builds), then node --test tests/e2e (headless Chromium), then Lighthouse"
  if trunk build --release >target/trunk-build.log 2>&1; then
    # One test file at a time: the long-task and timing tests want the machine to themselves.
    node --test --test-concurrency=1 --test-reporter=tap tests/e2e/ >target/e2e.log 2>&1
    [ $? = 0 ] || status=1
    sed -nE 's/^# (update time|axe-core|4,096 tokens|first run)/   \1/p' target/e2e.log
    grep -E '^not ok|^# (pass|fail) ' target/e2e.log
    p=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' target/e2e.log | tail -1); f=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' target/e2e.log | tail -1)
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1}))
    tally "page: node --test tests/e2e (headless Chromium)" "${p:-0}" "${f:-1}"
    [ $status = 0 ] || grep -E -A25 '^not ok' target/e2e.log | head -80
    echo "   screenshots: target/e2e/screenshots/"
    echo "== page: Lighthouse on dist/ (mobile and desktop; accessibility and best practices at least 95, performance printed)"
    # One test: both runs pass or it fails. Its score lines go to the summary.
    if node tests/e2e/lighthouse.mjs 2>&1 | tee target/lighthouse.log; [ "${PIPESTATUS[0]}" = 0 ]; then
      passed=$((passed + 1)); tally "page: lighthouse (mobile, desktop)" 1 0
    else
      status=1; failed=$((failed + 1)); tally "page: lighthouse (mobile, desktop)" 0 1
    fi
    grep -E '^lighthouse' target/lighthouse.log | sed -E 's/^/page: /' >>"$summary"
  else
    status=1; failed=$((failed + 1)); tally "page: trunk build --release failed" 0 1; tail -30 target/trunk-build.log
  fi
fi

if [ "$part" = all ] || [ "$part" = package ]; then
  echo "== package: make package (target/package/ and its tarball), then tests/package/test.sh (installed offline into an empty project; node, tsc, a browser page)"
  # One test: the package builds, installs and works from node and from a page, or it fails.
  if scripts/package.sh >target/package-build.log 2>&1; then
    tail -2 target/package-build.log
    tests/package/test.sh 2>&1 | tee target/package-test.log
    if [ "${PIPESTATUS[0]}" = 0 ]; then
      passed=$((passed + 1)); tally "package: make package, installed offline, node + tsc + a page" 1 0
    else
      status=1; failed=$((failed + 1)); tally "package: make package, installed offline, node + tsc + a page" 0 1
    fi
    grep -E '^package: target/package ' target/package-build.log >>"$summary"
  else
    status=1; failed=$((failed + 1)); tally "package: make package failed" 0 1; tail -30 target/package-build.log
  fi
fi

echo
[ $status = 0 ] && [ $failed = 0 ] || status=1
echo "total: $passed passed, $failed failed"
tally "total (scripts/test.sh $part)" "$passed" "$failed"
echo "(counts by part: $summary)"
exit $status
