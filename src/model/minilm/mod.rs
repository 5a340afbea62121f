//! all-MiniLM-L6-v2: a real pretrained BERT encoder (6 layers x 12 heads, hidden 384, head dim
//! 32, feed-forward 1536, GELU, post-LayerNorm), its WordPiece tokenizer ([`wordpiece`]) and its
//! weight files ([`weights`]: f32, f16, 8-bit).
//!
//! Two ways through the same weights:
//! - [`MiniLm::forward`]: the whole encoder at speed, every linear layer, score matrix and
//!   weighted sum through the SIMD matrix product ([`crate::kernels::matmul`]), keeping all 72
//!   attention maps. This is what `Model.attentions()` and the head grid use.
//! - the [`Model`] trait: the trace driver computes the layer a learner looks at stage by stage
//!   with the readable reference, and the layers before it by [`Model::layer_forward`], the
//!   same fast path as `forward`.
//!
//! Both apply the learner's knobs to every layer: the score scale and any mask (on top of the
//! padding mask, which a single unpadded sentence does not need).
//!
//! The weights are Apache-2.0 (sentence-transformers/all-MiniLM-L6-v2).

pub mod weights;
pub mod wordpiece;

use super::{AttentionWeights, Embedded, Model, ModelCard, Param, Token, TokenKind, WeightSource};
use crate::error::{check_f32_budget, Error, Result};
use crate::kernels::matmul::{matmul, PackedB};
use crate::kernels::pointwise::{gelu, softmax_rows};
use crate::kernels::resolve_scale;
use crate::mask::{Mask, MaskView};
use crate::stage::Stage;
use ndarray::{Array1, Array2};
use weights::Tensors;
use wordpiece::WordPiece;

/// The model's name in the catalogue, the trace config and `loadModel`.
pub const NAME: &str = "minilm-l6";
/// Layers.
pub const LAYERS: usize = 6;
/// Heads per layer.
pub const HEADS: usize = 12;
/// Width of every token's vector.
pub const D_MODEL: usize = 384;
/// Width of one head.
pub const HEAD_DIM: usize = D_MODEL / HEADS;
/// Width of the feed-forward layer.
pub const FFN: usize = 1536;
/// Learned positions: the most wordpieces (with `[CLS]` and `[SEP]`) one input may have.
pub const MAX_TOKENS: usize = 512;
/// Entries of the WordPiece vocabulary.
pub const VOCAB: usize = 30522;
const TYPES: usize = 2;
const EPS: f32 = 1e-12;

/// The catalogue card (the sizes are fixed; nothing is editable: the point is the trained
/// numbers).
pub fn card() -> ModelCard {
    ModelCard {
        name: NAME,
        title: "MiniLM-L6 (real weights)",
        description: "all-MiniLM-L6-v2, a pretrained sentence encoder (BERT: 6 layers of 12 heads). Its attention patterns were learned from a billion sentence pairs. Weights: Apache-2.0, by sentence-transformers.",
        tokens: TokenKind::WordPiece,
        max_tokens: MAX_TOKENS,
        layers: LAYERS,
        heads: HEADS,
        kv_heads: HEADS,
        d_model: D_MODEL,
        head_dim: HEAD_DIM,
        stages: Stage::ALL.to_vec(),
        editable: Vec::new(),
        options: Vec::new(),
        weights: WeightSource::File,
        cross_attention: false,
        formulas: vec![
            (Stage::Embedding, "E[i] = word_embedding[id of token i]   (30,522 x 384, learned)"),
            (
                Stage::Positional,
                "P[i] = position_embedding[i] + type_embedding[0]   (learned, not sinusoids)",
            ),
            (Stage::Input, "X = LayerNorm(E + P)"),
            (Stage::Query, "Q = X W_Q + b_Q"),
            (Stage::Key, "K = X W_K + b_K"),
            (Stage::Value, "V = X W_V + b_V"),
            (Stage::Output, "Y = C W_O + b_O"),
            (Stage::FeedForward, "F = GELU(H W_1 + b_1) W_2 + b_2   (384 → 1536 → 384)"),
        ],
    }
}

/// The error for using the model before its weights are loaded.
pub fn needs_weights() -> Error {
    Error::Config(format!(
        "the {NAME} model needs its weights: load them first with loadModel({{ name: \"{NAME}\", weights, vocab }})"
    ))
}

/// LayerNorm's learned scale and shift.
#[derive(Debug, Clone)]
struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

impl Norm {
    fn take(t: &mut Tensors, prefix: &str) -> Result<Norm> {
        Ok(Norm {
            gamma: t.take(&format!("{prefix}.weight"), &[D_MODEL])?,
            beta: t.take(&format!("{prefix}.bias"), &[D_MODEL])?,
        })
    }

    /// Normalises each `D_MODEL`-wide row of `x` in place (rows on the pool under `threads`).
    fn apply(&self, x: &mut [f32]) {
        #[cfg(feature = "threads")]
        {
            use rayon::prelude::*;
            const ROWS: usize = 32;
            if x.len() > ROWS * D_MODEL {
                x.par_chunks_mut(ROWS * D_MODEL)
                    .for_each(|rows| self.apply_serial(rows));
                return;
            }
        }
        self.apply_serial(x)
    }

    fn apply_serial(&self, x: &mut [f32]) {
        for row in x.chunks_exact_mut(D_MODEL) {
            let mean = row.iter().sum::<f32>() / D_MODEL as f32;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / D_MODEL as f32;
            let inv = 1.0 / (var + EPS).sqrt();
            for ((v, g), b) in row.iter_mut().zip(&self.gamma).zip(&self.beta) {
                *v = (*v - mean) * inv * g + b;
            }
        }
    }
}

/// A linear layer `y = x Wᵀ + b` (PyTorch's `[out, in]` weight), packed for the matrix product.
#[derive(Debug, Clone)]
struct Linear {
    w: PackedB,
    b: Vec<f32>,
}

impl Linear {
    fn new(weight: &[f32], bias: Vec<f32>, inputs: usize, outputs: usize) -> Linear {
        Linear {
            w: PackedB::from_transposed(weight, inputs, inputs, outputs),
            b: bias,
        }
    }

    /// `x` (`n x in`) times the layer: `n x out`.
    fn apply(&self, x: &[f32], n: usize) -> Vec<f32> {
        let mut y = vec![0.0; n * self.w.n()];
        matmul(x, self.w.k(), n, &self.w, Some(&self.b), &mut y, self.w.n());
        y
    }
}

/// Where a layer hands each stage it computes (the trace keeps the ones it shows).
type StageSink<'a> = Option<&'a mut dyn FnMut(Stage, &[f32])>;

/// One encoder layer.
#[derive(Debug, Clone)]
struct Layer {
    /// Attention weights as the trace shows them: `[in, out]`.
    w_q: Array2<f32>,
    w_k: Array2<f32>,
    w_v: Array2<f32>,
    w_o: Array2<f32>,
    b_q: Array1<f32>,
    b_k: Array1<f32>,
    b_v: Array1<f32>,
    b_o: Array1<f32>,
    /// Q, K and V in one product: `384 -> 3 x 384`.
    qkv: Linear,
    out: Linear,
    ln1: Norm,
    ff1: Linear,
    ff2: Linear,
    ln2: Norm,
}

/// `[out, in]` as the `[in, out]` matrix.
fn transposed(w: &[f32], outputs: usize, inputs: usize) -> Array2<f32> {
    Array2::from_shape_fn((inputs, outputs), |(i, o)| w[o * inputs + i])
}

impl Layer {
    fn take(t: &mut Tensors, l: usize) -> Result<Layer> {
        let p = format!("encoder.layer.{l}");
        let mut take = |name: &str, shape: &[usize]| t.take(&format!("{p}.{name}"), shape);
        let sq = [D_MODEL, D_MODEL];
        let wq = take("attention.self.query.weight", &sq)?;
        let wk = take("attention.self.key.weight", &sq)?;
        let wv = take("attention.self.value.weight", &sq)?;
        let bq = take("attention.self.query.bias", &[D_MODEL])?;
        let bk = take("attention.self.key.bias", &[D_MODEL])?;
        let bv = take("attention.self.value.bias", &[D_MODEL])?;
        let wo = take("attention.output.dense.weight", &sq)?;
        let bo = take("attention.output.dense.bias", &[D_MODEL])?;
        let w1 = take("intermediate.dense.weight", &[FFN, D_MODEL])?;
        let b1 = take("intermediate.dense.bias", &[FFN])?;
        let w2 = take("output.dense.weight", &[D_MODEL, FFN])?;
        let b2 = take("output.dense.bias", &[D_MODEL])?;
        let ln1 = Norm::take(t, &format!("{p}.attention.output.LayerNorm"))?;
        let ln2 = Norm::take(t, &format!("{p}.output.LayerNorm"))?;
        let fused: Vec<f32> = [&wq, &wk, &wv].into_iter().flatten().copied().collect();
        let fused_b: Vec<f32> = [&bq, &bk, &bv].into_iter().flatten().copied().collect();
        Ok(Layer {
            qkv: Linear::new(&fused, fused_b, D_MODEL, 3 * D_MODEL),
            out: Linear::new(&wo, bo.clone(), D_MODEL, D_MODEL),
            ff1: Linear::new(&w1, b1, D_MODEL, FFN),
            ff2: Linear::new(&w2, b2, FFN, D_MODEL),
            w_q: transposed(&wq, D_MODEL, D_MODEL),
            w_k: transposed(&wk, D_MODEL, D_MODEL),
            w_v: transposed(&wv, D_MODEL, D_MODEL),
            w_o: transposed(&wo, D_MODEL, D_MODEL),
            b_q: bq.into(),
            b_k: bk.into(),
            b_v: bv.into(),
            b_o: bo.into(),
            ln1,
            ln2,
        })
    }

    /// What follows attention: `x + y`, LayerNorm, the feed-forward network, residual and
    /// LayerNorm; each stage to `stage` when given. Returns the layer's output.
    fn after_attention(
        &self,
        x: &[f32],
        y: &[f32],
        n: usize,
        mut stage: StageSink<'_>,
    ) -> Vec<f32> {
        let mut h: Vec<f32> = x.iter().zip(y).map(|(a, b)| a + b).collect();
        if let Some(s) = stage.as_mut() {
            s(Stage::Residual, &h);
        }
        self.ln1.apply(&mut h);
        if let Some(s) = stage.as_mut() {
            s(Stage::LayerNorm, &h);
        }
        let mut inner = self.ff1.apply(&h, n);
        gelu(&mut inner);
        let f = self.ff2.apply(&inner, n);
        if let Some(s) = stage.as_mut() {
            s(Stage::FeedForward, &f);
        }
        for (a, b) in h.iter_mut().zip(&f) {
            *a += b;
        }
        self.ln2.apply(&mut h);
        if let Some(s) = stage.as_mut() {
            s(Stage::LayerOutput, &h);
        }
        h
    }

    /// The whole layer on `x` (`n x 384`); each head's attention weights into `maps`
    /// (`heads x n x n`) when given.
    fn forward(
        &self,
        x: &[f32],
        n: usize,
        mask: &MaskView,
        scale: f32,
        maps: Option<&mut [f32]>,
    ) -> Vec<f32> {
        let qkv = self.qkv.apply(x, n);
        let head = |h: usize| -> (Vec<f32>, Vec<f32>) {
            let ld = 3 * D_MODEL;
            let (q, k, v) = (
                h * HEAD_DIM,
                D_MODEL + h * HEAD_DIM,
                2 * D_MODEL + h * HEAD_DIM,
            );
            let kt = PackedB::from_transposed(&qkv[k..], ld, HEAD_DIM, n);
            let mut a = vec![0.0; n * n];
            matmul(&qkv[q..], ld, n, &kt, None, &mut a, n);
            softmax_rows(&mut a, n, mask, scale);
            let vp = PackedB::new(&qkv[v..], ld, n, HEAD_DIM);
            let mut z = vec![0.0; n * HEAD_DIM];
            matmul(&a, n, n, &vp, None, &mut z, HEAD_DIM);
            (a, z)
        };
        #[cfg(feature = "threads")]
        let heads: Vec<(Vec<f32>, Vec<f32>)> = {
            use rayon::prelude::*;
            (0..HEADS).into_par_iter().map(head).collect()
        };
        #[cfg(not(feature = "threads"))]
        let heads: Vec<(Vec<f32>, Vec<f32>)> = (0..HEADS).map(head).collect();
        let mut concat = vec![0.0; n * D_MODEL];
        for (h, (_, z)) in heads.iter().enumerate() {
            for (i, row) in z.chunks_exact(HEAD_DIM).enumerate() {
                concat[i * D_MODEL + h * HEAD_DIM..][..HEAD_DIM].copy_from_slice(row);
            }
        }
        if let Some(maps) = maps {
            for (h, (a, _)) in heads.iter().enumerate() {
                maps[h * n * n..(h + 1) * n * n].copy_from_slice(a);
            }
        }
        let y = self.out.apply(&concat, n);
        self.after_attention(x, &y, n, None)
    }
}

/// The loaded model: vocabulary and weights, widened to f32.
#[derive(Debug, Clone)]
pub struct MiniLm {
    vocab: WordPiece,
    variant: &'static str,
    word: Vec<f32>,
    /// Position embedding plus token type 0 (one sentence), per position.
    position: Vec<f32>,
    ln: Norm,
    layers: Vec<Layer>,
}

/// One forward pass: every head's attention weights and the last layer's output.
#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    pub seq_len: usize,
    /// `layers x heads x seq_len x seq_len`, row-major.
    pub maps: Vec<f32>,
    /// `seq_len x 384`.
    pub hidden: Vec<f32>,
}

impl MiniLm {
    /// Reads a weight file (f32, f16 or 8-bit safetensors) and the `vocab.txt` text.
    pub fn load(weights: &[u8], vocab: &str) -> Result<MiniLm> {
        fn named(what: &'static str) -> impl Fn(Error) -> Error {
            move |e| Error::Config(format!("{what}: {e}"))
        }
        let vocab = WordPiece::from_vocab(vocab).map_err(named("vocab"))?;
        if vocab.len() != VOCAB {
            return Err(Error::Config(format!(
                "vocab: it has {} entries; {NAME} needs its own vocab.txt of {VOCAB}",
                vocab.len()
            )));
        }
        Self::load_weights(weights, vocab).map_err(named("weights"))
    }

    fn load_weights(weights: &[u8], vocab: WordPiece) -> Result<MiniLm> {
        let mut t = Tensors::parse(weights)?;
        let variant = t.variant();
        let word = t.take("embeddings.word_embeddings.weight", &[VOCAB, D_MODEL])?;
        let mut position = t.take(
            "embeddings.position_embeddings.weight",
            &[MAX_TOKENS, D_MODEL],
        )?;
        let types = t.take("embeddings.token_type_embeddings.weight", &[TYPES, D_MODEL])?;
        for row in position.chunks_exact_mut(D_MODEL) {
            for (p, t) in row.iter_mut().zip(&types[..D_MODEL]) {
                *p += t;
            }
        }
        let ln = Norm::take(&mut t, "embeddings.LayerNorm")?;
        let layers = (0..LAYERS)
            .map(|l| Layer::take(&mut t, l))
            .collect::<Result<Vec<_>>>()?;
        Ok(MiniLm {
            vocab,
            variant,
            word,
            position,
            ln,
            layers,
        })
    }

    /// Which weight file it was loaded from: "f32", "f16" or "q8".
    pub fn variant(&self) -> &'static str {
        self.variant
    }

    /// The wordpieces of a text with their ids, `[CLS]` first and `[SEP]` last.
    pub fn encode(&self, text: &str) -> wordpiece::Encoding {
        self.vocab.encode(text)
    }

    /// Checks that `n` wordpieces fit the model.
    pub fn check_len(n: usize) -> Result<()> {
        if n > MAX_TOKENS {
            return Err(Error::Config(format!(
                "the sentence has {n} wordpieces (with [CLS] and [SEP]); MiniLM-L6 reads at most {MAX_TOKENS}. Shorten it"
            )));
        }
        Ok(())
    }

    /// The input of layer 0 for token ids: the embedding stages and X.
    fn embed_ids(&self, ids: &[u32]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let n = ids.len();
        let mut e = vec![0.0; n * D_MODEL];
        for (i, &id) in ids.iter().enumerate() {
            let id = (id as usize).min(VOCAB - 1);
            e[i * D_MODEL..(i + 1) * D_MODEL]
                .copy_from_slice(&self.word[id * D_MODEL..(id + 1) * D_MODEL]);
        }
        let p = self.position[..n * D_MODEL].to_vec();
        let mut x: Vec<f32> = e.iter().zip(&p).map(|(a, b)| a + b).collect();
        self.ln.apply(&mut x);
        (e, p, x)
    }

    /// The whole encoder on `ids` (`1..=512` of them) with every head's attention weights;
    /// `scale` None for 1/√32.
    pub fn forward(&self, ids: &[u32], mask: &Mask, scale: Option<f32>) -> Result<Forward> {
        let n = ids.len();
        if n == 0 {
            return Err(Error::Config("the sentence has no tokens".into()));
        }
        Self::check_len(n)?;
        let scale = resolve_scale(scale, HEAD_DIM)?;
        check_f32_budget(
            &format!("the attention maps of {n} wordpieces"),
            Some((LAYERS * HEADS * n * n + 8 * n * FFN) as u64),
        )?;
        let view = mask.view(n, n)?;
        let mut maps = vec![0.0; LAYERS * HEADS * n * n];
        let (_, _, mut x) = self.embed_ids(ids);
        for (l, layer) in self.layers.iter().enumerate() {
            let slot = &mut maps[l * HEADS * n * n..(l + 1) * HEADS * n * n];
            x = layer.forward(&x, n, &view, scale, Some(slot));
        }
        Ok(Forward {
            seq_len: n,
            maps,
            hidden: x,
        })
    }

    fn ids_of(&self, tokens: &[Token]) -> Vec<u32> {
        tokens
            .iter()
            .map(|t| {
                self.vocab
                    .id(&t.text)
                    .or_else(|| self.vocab.id("[UNK]"))
                    .unwrap_or(0)
            })
            .collect()
    }
}

fn matrix(v: Vec<f32>, n: usize) -> Array2<f32> {
    Array2::from_shape_vec((n, D_MODEL), v).expect("n x d_model numbers")
}

impl Model for MiniLm {
    fn card(&self) -> ModelCard {
        card()
    }

    fn tokenize(&self, text: &str) -> Vec<Token> {
        self.vocab.encode(text).tokens
    }

    fn embed(&self, tokens: &[Token]) -> Embedded {
        let n = tokens.len();
        let (e, p, x) = self.embed_ids(&self.ids_of(tokens));
        Embedded {
            stages: vec![
                (Stage::Embedding, matrix(e, n)),
                (Stage::Positional, matrix(p, n)),
            ],
            x: matrix(x, n),
        }
    }

    fn attention(&self, layer: usize) -> AttentionWeights<'_> {
        let l = &self.layers[layer];
        AttentionWeights {
            w_q: l.w_q.view(),
            w_k: l.w_k.view(),
            w_v: l.w_v.view(),
            w_o: l.w_o.view(),
            b_q: Some(l.b_q.view()),
            b_k: Some(l.b_k.view()),
            b_v: Some(l.b_v.view()),
            b_o: Some(l.b_o.view()),
        }
    }

    fn weight_mut(&mut self, _layer: usize, _p: Param) -> Option<&mut Array2<f32>> {
        None
    }

    fn after_attention(
        &self,
        layer: usize,
        x: &Array2<f32>,
        y: Array2<f32>,
        stage: &mut dyn FnMut(Stage, &Array2<f32>),
    ) -> Array2<f32> {
        let n = x.nrows();
        let (x, y) = (x.as_standard_layout(), y.as_standard_layout());
        let mut push = |s: Stage, a: &[f32]| stage(s, &matrix(a.to_vec(), n));
        let out = self.layers[layer].after_attention(
            x.as_slice().expect("standard layout"),
            y.as_slice().expect("standard layout"),
            n,
            Some(&mut push),
        );
        matrix(out, n)
    }

    fn layer_forward(
        &self,
        layer: usize,
        x: &Array2<f32>,
        mask: &MaskView,
        scale: f32,
    ) -> Option<Array2<f32>> {
        let n = x.nrows();
        let x = x.as_standard_layout();
        let out = self.layers[layer].forward(x.as_slice()?, n, mask, scale, None);
        Some(matrix(out, n))
    }
}
