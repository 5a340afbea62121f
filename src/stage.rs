//! The stage vocabulary: one name per stage of attention, used by the trace, the page, the URL
//! and the lesson text alike, with its title, formula, caption and the axes of its matrix.
//!
//! The vocabulary is shared by every model and the trace; each model lists the stages it has
//! ([`crate::model::ModelCard::stages`]), so a model with more stages (bias, residual, LayerNorm,
//! feed-forward) adds variants here and names them in its card.

use crate::error::{Error, Result};

/// A stage of attention, in the order the lesson walks through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Embedding,
    Positional,
    Input,
    Query,
    Key,
    Value,
    Scores,
    Scaled,
    Masked,
    Softmax,
    WeightedSum,
    Concat,
    Output,
    Residual,
    LayerNorm,
    FeedForward,
    LayerOutput,
}

/// What the rows or the columns of a stage's matrix stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    /// One row or column per query token.
    QueryTokens,
    /// One per key token (the context sentence in cross-attention).
    KeyTokens,
    /// The `d_model` features of an embedding.
    Model,
    /// The `d_k` features of one head.
    Head,
    /// The `heads * d_k` features of the concatenated heads (the columns of W_Q, the rows of W_O).
    Concat,
    /// The `kv_heads * d_k` features of every key/value head side by side (the columns of W_K, W_V).
    KvConcat,
}

impl Axis {
    /// The axis's name in the trace and the model cards.
    pub fn name(self) -> &'static str {
        match self {
            Axis::QueryTokens => "query-tokens",
            Axis::KeyTokens => "key-tokens",
            Axis::Model => "model",
            Axis::Head => "head",
            Axis::Concat => "concat",
            Axis::KvConcat => "kv-concat",
        }
    }
}

impl Stage {
    /// Every stage: attention's own, then what a transformer layer does after attention.
    pub const ALL: [Stage; 17] = [
        Stage::Embedding,
        Stage::Positional,
        Stage::Input,
        Stage::Query,
        Stage::Key,
        Stage::Value,
        Stage::Scores,
        Stage::Scaled,
        Stage::Masked,
        Stage::Softmax,
        Stage::WeightedSum,
        Stage::Concat,
        Stage::Output,
        Stage::Residual,
        Stage::LayerNorm,
        Stage::FeedForward,
        Stage::LayerOutput,
    ];

    /// The stages of attention alone (a model that is one attention layer has these): the
    /// first 13 of [`Stage::ALL`].
    pub const ATTENTION: &'static [Stage] = Stage::ALL.split_at(13).0;

    /// The stage's name everywhere (trace, UI, URL).
    pub fn name(self) -> &'static str {
        match self {
            Stage::Embedding => "embedding",
            Stage::Positional => "positional",
            Stage::Input => "input",
            Stage::Query => "query",
            Stage::Key => "key",
            Stage::Value => "value",
            Stage::Scores => "scores",
            Stage::Scaled => "scaled",
            Stage::Masked => "masked",
            Stage::Softmax => "softmax",
            Stage::WeightedSum => "weighted-sum",
            Stage::Concat => "concat",
            Stage::Output => "output",
            Stage::Residual => "residual",
            Stage::LayerNorm => "layer-norm",
            Stage::FeedForward => "feed-forward",
            Stage::LayerOutput => "layer-output",
        }
    }

    pub fn parse(name: &str) -> Result<Stage> {
        Stage::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Stage::ALL.iter().map(|s| s.name()).collect();
                Error::Config(format!(
                    "unknown stage \"{name}\"; stages are: {}",
                    names.join(", ")
                ))
            })
    }

    /// A short title for the lesson.
    pub fn title(self) -> &'static str {
        match self {
            Stage::Embedding => "Token embeddings",
            Stage::Positional => "Positional encoding",
            Stage::Input => "Input X = embeddings + positions",
            Stage::Query => "Queries Q",
            Stage::Key => "Keys K",
            Stage::Value => "Values V",
            Stage::Scores => "Scores QKᵀ",
            Stage::Scaled => "Scaled scores",
            Stage::Masked => "Masked scores",
            Stage::Softmax => "Attention weights (softmax)",
            Stage::WeightedSum => "Weighted sum of values",
            Stage::Concat => "Heads concatenated",
            Stage::Output => "Output projection",
            Stage::Residual => "Residual: input + attention",
            Stage::LayerNorm => "Layer normalisation",
            Stage::FeedForward => "Feed-forward network",
            Stage::LayerOutput => "Layer output (next layer's input)",
        }
    }

    /// The formula of the stage.
    pub fn formula(self) -> &'static str {
        match self {
            Stage::Embedding => "E[i] = embedding(token i)",
            Stage::Positional => {
                "PE[p, 2i] = sin(p / 10000^(2i/d)),  PE[p, 2i+1] = cos(p / 10000^(2i/d))"
            }
            Stage::Input => "X = E + PE",
            Stage::Query => "Q = X W_Q",
            Stage::Key => "K = X W_K",
            Stage::Value => "V = X W_V",
            Stage::Scores => "S = Q Kᵀ",
            Stage::Scaled => "S' = S · scale   (scale = 1/√d_k by default)",
            Stage::Masked => "S'[i, j] = −∞ where the mask removes (i, j)",
            Stage::Softmax => {
                "A[i, j] = exp(S'[i, j] − max_j S'[i]) / Σ_j exp(S'[i, j] − max_j S'[i])"
            }
            Stage::WeightedSum => "Z[i] = Σ_j A[i, j] V[j]",
            Stage::Concat => "C = [Z_1 | Z_2 | … | Z_h]",
            Stage::Output => "Y = C W_O",
            Stage::Residual => "R = X + Y",
            Stage::LayerNorm => "H[i] = γ ⊙ (R[i] − mean(R[i])) / √(var(R[i]) + ε) + β",
            Stage::FeedForward => "F = GELU(H W_1 + b_1) W_2 + b_2",
            Stage::LayerOutput => "X' = LayerNorm(H + F)",
        }
    }

    /// One line on what the stage does and why.
    pub fn caption(self) -> &'static str {
        match self {
            Stage::Embedding => "Each token becomes a vector of numbers; the same word always gets the same vector.",
            Stage::Positional => "Attention ignores order, so a wave pattern unique to each position is added to tell positions apart.",
            Stage::Input => "The input to attention: each token's embedding plus its position signal.",
            Stage::Query => "Each token's query: what it is looking for in the other tokens.",
            Stage::Key => "Each token's key: what it offers, matched against every query.",
            Stage::Value => "Each token's value: what it hands over to the tokens that attend to it.",
            Stage::Scores => "Query-key dot products: how well each token's key matches each query.",
            Stage::Scaled => "Scores shrink by 1/√d_k so that wider heads do not push softmax into saturation.",
            Stage::Masked => "Pairs the mask removes get −∞, so their weight after softmax is exactly 0.",
            Stage::Softmax => "Each row becomes proportions that sum to 1: how much each query attends to each key.",
            Stage::WeightedSum => "Each token's new vector: the values mixed in the proportions of its attention row.",
            Stage::Concat => "The heads' outputs side by side: each head may have looked for something different.",
            Stage::Output => "W_O mixes the heads back into one d_model-wide vector per token.",
            Stage::Residual => "The layer's input is added back, so attention only has to learn what to change.",
            Stage::LayerNorm => "Each token's vector is rescaled to mean 0 and spread 1, then given a learned scale and shift.",
            Stage::FeedForward => "Each token alone goes through a wider layer and back: where most of a layer's weights live.",
            Stage::LayerOutput => "Added back and normalised again: this is what the next layer's attention reads.",
        }
    }

    /// Does the stage have one matrix per head (rather than one per layer)?
    pub fn per_head(self) -> bool {
        !matches!(
            self,
            Stage::Embedding
                | Stage::Positional
                | Stage::Input
                | Stage::Concat
                | Stage::Output
                | Stage::Residual
                | Stage::LayerNorm
                | Stage::FeedForward
                | Stage::LayerOutput
        )
    }

    /// What the rows and columns stand for.
    pub fn axes(self) -> (Axis, Axis) {
        match self {
            Stage::Embedding
            | Stage::Positional
            | Stage::Input
            | Stage::Output
            | Stage::Residual
            | Stage::LayerNorm
            | Stage::FeedForward
            | Stage::LayerOutput => (Axis::QueryTokens, Axis::Model),
            Stage::Query | Stage::WeightedSum => (Axis::QueryTokens, Axis::Head),
            Stage::Key | Stage::Value => (Axis::KeyTokens, Axis::Head),
            Stage::Scores | Stage::Scaled | Stage::Masked | Stage::Softmax => {
                (Axis::QueryTokens, Axis::KeyTokens)
            }
            Stage::Concat => (Axis::QueryTokens, Axis::Concat),
        }
    }
}
