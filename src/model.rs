//! The toy model the playground explains: word-level tokens, seeded weights, every number editable.
//!
//! - Tokens: Unicode word boundaries (UAX #29). Words, numbers, each punctuation mark and each
//!   emoji (with its modifiers and ZWJ joins) are tokens; whitespace is not.
//! - Embeddings: the same word (compared in lower case) always gets the same vector for a seed,
//!   drawn from the word's hash, with unit variance per entry.
//! - Weights: W_Q, W_K, W_V and W_O drawn from the seed with variance `1 / d_model`, so projected
//!   vectors stay near unit size.

use crate::error::{Error, Result};
use ndarray::Array2;
use unicode_segmentation::UnicodeSegmentation;

/// One token of a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    /// Offsets in UTF-16 code units (JavaScript string indices): `start..end`.
    pub start: usize,
    pub end: usize,
}

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
    /// Embedding width, 4..=64, a multiple of `heads`.
    pub d_model: usize,
    /// Query heads, 1..=8.
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

/// A matrix of the toy model that a learner may edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// The attention input X (embeddings plus positions) of the query sentence, `n x d_model`.
    X,
    /// The attention input of the context sentence (cross-attention), `m x d_model`.
    XContext,
    Wq,
    Wk,
    Wv,
    Wo,
}

impl Param {
    pub fn parse(name: &str) -> Result<Param> {
        Ok(match name {
            "x" => Param::X,
            "x-context" => Param::XContext,
            "wq" => Param::Wq,
            "wk" => Param::Wk,
            "wv" => Param::Wv,
            "wo" => Param::Wo,
            other => {
                return Err(Error::Config(format!(
                "unknown matrix \"{other}\" in overrides; use one of x, x-context, wq, wk, wv, wo"
            )))
            }
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Param::X => "x",
            Param::XContext => "x-context",
            Param::Wq => "wq",
            Param::Wk => "wk",
            Param::Wv => "wv",
            Param::Wo => "wo",
        }
    }
}

/// "Set entry (row, col) of `matrix` to `value`".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Override {
    pub matrix: Param,
    pub row: usize,
    pub col: usize,
    pub value: f32,
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
        if !(4..=64).contains(&d_model) {
            return Err(Error::Config(format!(
                "dModel must be between 4 and 64, got {d_model}"
            )));
        }
        if !(1..=8).contains(&heads) {
            return Err(Error::Config(format!(
                "heads must be between 1 and 8, got {heads}"
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
    pub fn embed(&self, tokens: &[Token]) -> Array2<f32> {
        let d = self.config.d_model;
        let mut e = Array2::zeros((tokens.len(), d));
        for (mut row, t) in e.rows_mut().into_iter().zip(tokens) {
            row.assign(&ndarray::ArrayView1::from(&self.embedding(&t.text)));
        }
        e
    }

    /// The weight matrix an override names (None for X, which lives in the trace, not the model).
    pub fn weight_mut(&mut self, p: Param) -> Option<&mut Array2<f32>> {
        match p {
            Param::Wq => Some(&mut self.w_q),
            Param::Wk => Some(&mut self.w_k),
            Param::Wv => Some(&mut self.w_v),
            Param::Wo => Some(&mut self.w_o),
            Param::X | Param::XContext => None,
        }
    }
}

/// Sets one entry, with a message naming the matrix and its size when out of range.
pub fn apply_override(m: &mut Array2<f32>, o: &Override) -> Result<()> {
    if !o.value.is_finite() {
        return Err(Error::Config(format!(
            "override of {}[{}][{}] is not a finite number",
            o.matrix.name(),
            o.row,
            o.col
        )));
    }
    let (rows, cols) = m.dim();
    match m.get_mut((o.row, o.col)) {
        Some(x) => {
            *x = o.value;
            Ok(())
        }
        None => Err(Error::Config(format!(
            "override {}[{}][{}] is outside the matrix, which is {rows} x {cols}",
            o.matrix.name(),
            o.row,
            o.col
        ))),
    }
}
