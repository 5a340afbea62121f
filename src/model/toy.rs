//! The toy model the playground explains: word-level tokens, seeded weights, every number editable.
//!
//! - Tokens: Unicode word boundaries (UAX #29). Words, numbers, each punctuation mark and each
//!   emoji (with its modifiers and ZWJ joins) are tokens; whitespace is not.
//! - Embeddings: the same word (compared in lower case) always gets the same vector for a seed,
//!   drawn from the word's hash, with unit variance per entry.
//! - Weights: W_Q, W_K, W_V and W_O drawn from the seed with variance `1 / d_model`, so projected
//!   vectors stay near unit size.

use super::{
    AttentionWeights, Editable, Embedded, Model, ModelCard, ModelOptions, OptionKind, OptionSpec,
    Param, Token, TokenKind, WeightSource, MAX_TRACE_TOKENS,
};
use crate::error::{Error, Result};
use crate::reference as r;
use crate::stage::{Axis, Stage};
use ndarray::Array2;
use unicode_segmentation::UnicodeSegmentation;

/// The toy model's name in the catalogue, the trace config and the URL.
pub const NAME: &str = "toy";

/// The range of `d_model`, of `heads`, and the largest seed.
pub const D_MODEL: std::ops::RangeInclusive<usize> = 4..=64;
pub const HEADS: std::ops::RangeInclusive<usize> = 1..=8;
pub const MAX_SEED: u64 = 1 << 31;

/// Splits text into word-level tokens, keeping UTF-16 offsets for highlighting in the page.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut utf16 = 0;
    for seg in text.split_word_bounds() {
        let len = seg.encode_utf16().count();
        if !seg.chars().all(char::is_whitespace) {
            tokens.push(Token {
                text: seg.to_string(),
                start: utf16,
                end: utf16 + len,
            });
        }
        utf16 += len;
    }
    tokens
}

/// Sizes and seed of the toy model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToyConfig {
    /// Embedding width, in [`D_MODEL`], a multiple of `heads`.
    pub d_model: usize,
    /// Query heads, in [`HEADS`].
    pub heads: usize,
    /// Key/value heads; divides `heads`.
    pub kv_heads: usize,
    pub seed: u64,
    /// Add sinusoidal positional encoding to the embeddings.
    pub positional: bool,
}

impl Default for ToyConfig {
    fn default() -> Self {
        ToyConfig {
            d_model: 16,
            heads: 2,
            kv_heads: 2,
            seed: 1,
            positional: true,
        }
    }
}

impl ToyConfig {
    /// The configuration a trace config's options ask for; what they leave out is the default.
    pub fn from_options(o: &ModelOptions) -> ToyConfig {
        let d = ToyConfig::default();
        let heads = o.heads.unwrap_or(d.heads);
        ToyConfig {
            d_model: o.d_model.unwrap_or(d.d_model),
            heads,
            // Without kvHeads every query head has its own key/value head.
            kv_heads: o.kv_heads.unwrap_or(heads),
            seed: o.seed.unwrap_or(d.seed),
            positional: o.positional.unwrap_or(d.positional),
        }
    }
}

/// The toy model's card at a configuration.
pub fn card(c: &ToyConfig) -> ModelCard {
    let d = ToyConfig::default();
    let size = |range: &std::ops::RangeInclusive<usize>, default: usize, multiple_of, divides| {
        OptionKind::Int {
            min: *range.start() as u64,
            max: *range.end() as u64,
            default: default as u64,
            multiple_of,
            divides,
        }
    };
    let editable = |matrix, title, stage, rows, cols| Editable {
        matrix,
        title,
        stage,
        rows,
        cols,
    };
    ModelCard {
        name: NAME,
        title: "Toy model (random weights)",
        description: "One attention layer with seeded random weights: every size is yours to choose and every number yours to edit. Its patterns come from chance, not from training.",
        tokens: TokenKind::Word,
        max_tokens: MAX_TRACE_TOKENS,
        layers: 1,
        heads: c.heads,
        kv_heads: c.kv_heads,
        d_model: c.d_model,
        head_dim: c.d_model / c.heads.max(1),
        stages: Stage::ATTENTION.to_vec(),
        weights: WeightSource::Seeded,
        cross_attention: true,
        formulas: Vec::new(),
        editable: vec![
            editable(Param::X, "X", Stage::Input, Axis::QueryTokens, Axis::Model),
            editable(
                Param::XContext,
                "X (context)",
                Stage::Input,
                Axis::KeyTokens,
                Axis::Model,
            ),
            editable(Param::Wq, "W_Q", Stage::Query, Axis::Model, Axis::Concat),
            editable(Param::Wk, "W_K", Stage::Key, Axis::Model, Axis::KvConcat),
            editable(Param::Wv, "W_V", Stage::Value, Axis::Model, Axis::KvConcat),
            editable(Param::Wo, "W_O", Stage::Output, Axis::Concat, Axis::Model),
        ],
        options: vec![
            OptionSpec {
                name: "dModel",
                title: "d_model",
                kind: size(&D_MODEL, d.d_model, Some("heads"), None),
            },
            OptionSpec {
                name: "heads",
                title: "Heads",
                kind: size(&HEADS, d.heads, None, None),
            },
            OptionSpec {
                name: "kvHeads",
                title: "Key/value heads",
                kind: size(&HEADS, d.kv_heads, None, Some("heads")),
            },
            OptionSpec {
                name: "seed",
                title: "Seed",
                kind: OptionKind::Int {
                    min: 0,
                    max: MAX_SEED,
                    default: d.seed,
                    multiple_of: None,
                    divides: None,
                },
            },
            OptionSpec {
                name: "positional",
                title: "Positional encoding",
                kind: OptionKind::Bool {
                    default: d.positional,
                },
            },
        ],
    }
}

/// The toy model's weights. Head `h` owns columns `h*d_k .. (h+1)*d_k` of W_Q (and of W_K, W_V
/// for its key/value head); W_O maps `heads*d_k` back to `d_model`.
#[derive(Debug, Clone)]
pub struct ToyModel {
    pub config: ToyConfig,
    pub head_dim: usize,
    pub w_q: Array2<f32>,
    pub w_k: Array2<f32>,
    pub w_v: Array2<f32>,
    pub w_o: Array2<f32>,
}

/// A small deterministic generator (SplitMix64): same seed, same numbers, on every platform.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        let out = crate::mask::splitmix64(self.0);
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        out
    }
    /// Uniform in [-a, a).
    fn uniform(&mut self, a: f32) -> f32 {
        let unit = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
        (2.0 * unit - 1.0) * a
    }
    fn matrix(&mut self, rows: usize, cols: usize, a: f32) -> Array2<f32> {
        Array2::from_shape_simple_fn((rows, cols), || self.uniform(a))
    }
}

/// FNV-1a: a stable hash of a word.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl ToyModel {
    /// Builds the model, checking the sizes.
    pub fn new(config: ToyConfig) -> Result<ToyModel> {
        let ToyConfig {
            d_model,
            heads,
            kv_heads,
            seed,
            ..
        } = config;
        if !D_MODEL.contains(&d_model) {
            return Err(Error::Config(format!(
                "dModel must be between {} and {}, got {d_model}",
                D_MODEL.start(),
                D_MODEL.end()
            )));
        }
        if !HEADS.contains(&heads) {
            return Err(Error::Config(format!(
                "heads must be between {} and {}, got {heads}",
                HEADS.start(),
                HEADS.end()
            )));
        }
        if seed > MAX_SEED {
            return Err(Error::Config(format!(
                "seed must be between 0 and {MAX_SEED}, got {seed}"
            )));
        }
        if d_model % heads != 0 {
            return Err(Error::Config(format!(
                "dModel ({d_model}) must be a multiple of heads ({heads}) so each head gets dModel/heads dimensions"
            )));
        }
        if kv_heads == 0 || heads % kv_heads != 0 {
            return Err(Error::Config(format!(
                "heads ({heads}) must be a multiple of kvHeads ({kv_heads})"
            )));
        }
        let head_dim = d_model / heads;
        let a = (3.0 / d_model as f32).sqrt(); // uniform(-a, a) has variance 1/d_model
        let mut rng = Rng(seed ^ 0x005E_ED0F_A77E_4710);
        Ok(ToyModel {
            config,
            head_dim,
            w_q: rng.matrix(d_model, heads * head_dim, a),
            w_k: rng.matrix(d_model, kv_heads * head_dim, a),
            w_v: rng.matrix(d_model, kv_heads * head_dim, a),
            w_o: rng.matrix(heads * head_dim, d_model, a),
        })
    }

    /// The embedding of one word: the same word (case-insensitive) always gives the same vector.
    pub fn embedding(&self, word: &str) -> Vec<f32> {
        let mut rng =
            Rng(fnv1a(&word.to_lowercase()) ^ self.config.seed.wrapping_mul(0xA24B_AED4_963E_E407));
        (0..self.config.d_model)
            .map(|_| rng.uniform(3f32.sqrt()))
            .collect()
    }

    /// Token embeddings `E`, `n x d_model`.
    pub fn embeddings(&self, tokens: &[Token]) -> Array2<f32> {
        let d = self.config.d_model;
        let mut e = Array2::zeros((tokens.len(), d));
        for (mut row, t) in e.rows_mut().into_iter().zip(tokens) {
            row.assign(&ndarray::ArrayView1::from(&self.embedding(&t.text)));
        }
        e
    }
}

impl Model for ToyModel {
    fn card(&self) -> ModelCard {
        card(&self.config)
    }

    fn tokenize(&self, text: &str) -> Vec<Token> {
        tokenize(text)
    }

    /// Token embeddings, the sinusoidal positions (zeros when turned off) and their sum.
    fn embed(&self, tokens: &[Token]) -> Embedded {
        let e = self.embeddings(tokens);
        let pe = if self.config.positional {
            r::positional_encoding(tokens.len(), self.config.d_model)
        } else {
            Array2::zeros(e.dim())
        };
        let x = &e + &pe;
        Embedded {
            stages: vec![(Stage::Embedding, e), (Stage::Positional, pe)],
            x,
        }
    }

    fn attention(&self, _layer: usize) -> AttentionWeights<'_> {
        AttentionWeights {
            w_q: self.w_q.view(),
            w_k: self.w_k.view(),
            w_v: self.w_v.view(),
            w_o: self.w_o.view(),
            b_q: None,
            b_k: None,
            b_v: None,
            b_o: None,
        }
    }

    fn weight_mut(&mut self, _layer: usize, p: Param) -> Option<&mut Array2<f32>> {
        match p {
            Param::Wq => Some(&mut self.w_q),
            Param::Wk => Some(&mut self.w_k),
            Param::Wv => Some(&mut self.w_v),
            Param::Wo => Some(&mut self.w_o),
            Param::X | Param::XContext => None,
        }
    }

    /// One layer, nothing after the output projection: Y is the model's output.
    fn after_attention(
        &self,
        _layer: usize,
        _x: &Array2<f32>,
        y: Array2<f32>,
        _stage: &mut dyn FnMut(Stage, &Array2<f32>),
    ) -> Array2<f32> {
        y
    }
}
