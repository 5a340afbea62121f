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

.PHONY: serve test build-web build-page test-native test-browsers test-page bench-native install-serve install-test

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
