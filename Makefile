# attention-playground: two commands do everything.
#   make serve   install what is missing, build, serve the playground on http://127.0.0.1:8080
#   make test    install what is missing, run every test (native, Chromium and Firefox, the page)
# Both are idempotent: a warm machine skips every install.

SHELL := /bin/bash
export PATH := $(CURDIR)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export AP_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/attention-playground
# The npm package's engine build: SIMD128 (every current browser has it). The page itself gets
# all five builds (scripts/build-engines.sh, run by Trunk) and picks one at load time.
WEB_RUSTFLAGS := -C target-feature=+simd128

.PHONY: serve test build-web build-page test-native test-browsers test-page bench-native install-serve install-test bench

# Trunk builds www/ and the engine builds (Trunk.toml) and serves them on 127.0.0.1:8080 with
# COOP/COEP (so the threaded build can run) and a strict CSP, rebuilding when a file changes.
serve: install-serve
	trunk serve --release

test: install-test
	scripts/test.sh

install-serve:
	scripts/install.sh serve

install-test:
	scripts/install.sh test

# The playground into dist/ (what the page tests serve).
build-page:
	trunk build --release

# The npm-ready package (ES module + .d.ts) into pkg/.
build-web:
	RUSTFLAGS="$(WEB_RUSTFLAGS)" CARGO_TARGET_DIR="$(AP_CACHE)/wasm-pkg" \
	  wasm-pack --log-level warn build --release --target web --out-dir pkg

test-native:
	scripts/test.sh native

test-browsers:
	scripts/test.sh browsers

test-page:
	scripts/test.sh page

# Native criterion benchmark of the kernels (reference vs scalar vs rows vs tiled).
bench-native:
	cargo bench --bench kernels

# The in-browser benchmark (issue 5, bench/README.md): our five engine builds, ONNX Runtime Web and
# TF.js (wasm backends), each in its own Worker, one at a time, in headless Chromium on a
# cross-origin isolated page. Prints a table; writes target/bench/results.json, machine.json and
# details.json. The full run also times the native tiled kernel (criterion) for a native-vs-wasm
# ratio. `make bench QUICK=1`: four shapes, fewer engines and runs, no native part (< 3 minutes).
BENCH_SITE := target/bench/site
BENCH_SOURCES := $(shell find src -name '*.rs') Cargo.toml Cargo.lock rust-toolchain.toml \
  $(wildcard scripts/build-engines.sh scripts/builds.sh)
bench: install-test
	@$(MAKE) --no-print-directory $(BENCH_SITE)/engine/.built
	node bench/run.mjs --site $(BENCH_SITE) $(if $(QUICK),--quick,--native)

# The engine builds for the benchmark, rebuilt only when the crate or the build scripts change
# (wasm-bindgen and wasm-opt -O3 alone take over a minute for the five).
$(BENCH_SITE)/engine/.built: $(BENCH_SOURCES)
	scripts/build-engines.sh $(BENCH_SITE)
	touch $@
