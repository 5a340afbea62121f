# attention-playground: two commands do everything.
#   make serve   install what is missing, build, serve the playground on http://127.0.0.1:8080
#   make test    install what is missing, run every test (native, then Chromium and Firefox)
# Both are idempotent: a warm machine skips every install.

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
PORT ?= 8080
HOST ?= 127.0.0.1

.PHONY: serve test build-web test-native test-browsers bench-native install-serve install-test

serve: install-serve build-web
	node scripts/serve.mjs --root www --host $(HOST) --port $(PORT)

test: install-test
	scripts/test.sh

install-serve:
	scripts/install.sh serve

install-test:
	scripts/install.sh test

# The SIMD128 build of the wasm package, into www/pkg (ES module + .d.ts, npm-ready).
build-web:
	RUSTFLAGS="-C target-feature=+simd128" CARGO_TARGET_DIR=target/wasm-pkg \
	  wasm-pack --log-level warn build --release --target web --out-dir www/pkg

test-native:
	scripts/test.sh native

test-browsers:
	scripts/test.sh browsers

# Native criterion benchmark of the kernels (reference vs scalar vs rows vs tiled).
bench-native:
	cargo bench --bench kernels
