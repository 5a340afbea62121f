//! The teaching trace: every stage's matrix for one sentence (or two, for cross-attention).
//!
//! A trace describes any model as layers x heads x stages. Stages that belong to a layer as a
//! whole (embeddings, input, concatenation, output) sit on the layer; the rest sit on each head.
//! A [`TraceRequest`] names the layers, heads and stages wanted, so a long input can be traced a
//! piece at a time: only requested matrices are kept, and the score-sized ones only for requested
//! heads.
//!
//! [`Stage`] is the one vocabulary for the stages: its `name()` is used by the trace, the page, the
//! URL and the lesson text alike.

use crate::error::{check_f32_budget, Error, Result};
use crate::mask::{Mask, MaskStats};
use crate::model::{apply_override, tokenize, Override, Param, Token, ToyConfig, ToyModel};
use crate::reference as r;
use ndarray::{s, Array2, ArrayView2};

/// Most tokens a trace accepts per sentence: beyond this the n x n matrices stop being readable
/// and the page would stop being responsive.
pub const MAX_TRACE_TOKENS: usize = 1024;

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
    /// The `heads * d_k` features of the concatenated heads.
    Concat,
}

impl Axis {
    pub fn name(self) -> &'static str {
        match self {
            Axis::QueryTokens => "query-tokens",
            Axis::KeyTokens => "key-tokens",
            Axis::Model => "model",
            Axis::Head => "head",
            Axis::Concat => "concat",
        }
    }
}

impl Stage {
    pub const ALL: [Stage; 13] = [
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
    ];

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
        }
    }

    /// Does the stage have one matrix per head (rather than one per layer)?
    pub fn per_head(self) -> bool {
        !matches!(
            self,
            Stage::Embedding | Stage::Positional | Stage::Input | Stage::Concat | Stage::Output
        )
    }

    /// What the rows and columns stand for.
    pub fn axes(self) -> (Axis, Axis) {
        match self {
            Stage::Embedding | Stage::Positional | Stage::Input | Stage::Output => {
                (Axis::QueryTokens, Axis::Model)
            }
            Stage::Query | Stage::WeightedSum => (Axis::QueryTokens, Axis::Head),
            Stage::Key | Stage::Value => (Axis::KeyTokens, Axis::Head),
            Stage::Scores | Stage::Scaled | Stage::Masked | Stage::Softmax => {
                (Axis::QueryTokens, Axis::KeyTokens)
            }
            Stage::Concat => (Axis::QueryTokens, Axis::Concat),
        }
    }
}

/// A stage's matrix, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub stage: Stage,
    pub row_axis: Axis,
    pub col_axis: Axis,
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f32>,
}

impl Matrix {
    fn new(stage: Stage, row_axis: Axis, a: &Array2<f32>) -> Matrix {
        let (rows, cols) = a.dim();
        Matrix {
            stage,
            row_axis,
            col_axis: stage.axes().1,
            rows,
            cols,
            data: a.iter().copied().collect(),
        }
    }
    /// Entry (i, j).
    pub fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.cols + j]
    }
}

/// Which parts of the trace to compute; `None` means all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceRequest {
    pub layers: Option<Vec<usize>>,
    pub heads: Option<Vec<usize>>,
    pub stages: Option<Vec<Stage>>,
}

/// Everything a trace is computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceInput {
    pub sentence: String,
    /// A second sentence supplying keys and values (cross-attention); `None` for self-attention.
    pub context: Option<String>,
    pub model: ToyConfig,
    /// Score scale; `None` for 1/sqrt(d_k).
    pub scale: Option<f32>,
    pub mask: Mask,
    pub overrides: Vec<Override>,
    pub request: TraceRequest,
}

impl Default for TraceInput {
    fn default() -> Self {
        TraceInput {
            sentence: String::new(),
            context: None,
            model: ToyConfig::default(),
            scale: None,
            mask: Mask::None,
            overrides: Vec::new(),
            request: TraceRequest::default(),
        }
    }
}

/// The sizes of the traced model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    pub name: &'static str,
    pub layers: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub d_model: usize,
    pub head_dim: usize,
}

/// One head's stages, and its per-row read-outs after softmax.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadTrace {
    pub head: usize,
    pub kv_head: usize,
    pub stages: Vec<Matrix>,
    /// Entropy of each query's weights, in bits.
    pub entropy: Vec<f32>,
    /// The largest weight of each query.
    pub max_weight: Vec<f32>,
}

/// A weight matrix of a layer, as used (after overrides): W_Q is `d_model x heads*d_k`, W_K and
/// W_V `d_model x kv_heads*d_k`, W_O `heads*d_k x d_model`; head h owns columns h*d_k.. of W_Q.
#[derive(Debug, Clone, PartialEq)]
pub struct Weight {
    pub param: Param,
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f32>,
}

/// One layer's stages and heads.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerTrace {
    pub layer: usize,
    /// The layer's weights (small for the toy model; a pretrained model may leave this empty).
    pub weights: Vec<Weight>,
    /// Layer-wide stages. In cross-attention the context's embedding, positional and input
    /// matrices follow the query sentence's, with `row_axis` `KeyTokens`.
    pub stages: Vec<Matrix>,
    pub heads: Vec<HeadTrace>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    pub model: ModelInfo,
    pub query_tokens: Vec<Token>,
    pub key_tokens: Vec<Token>,
    pub cross: bool,
    pub scale: f32,
    pub mask: MaskStats,
    pub layers: Vec<LayerTrace>,
}

impl Trace {
    /// The matrix of `stage` (for `head` when the stage is per head) in layer 0, if computed.
    pub fn stage(&self, stage: Stage, head: usize) -> Option<&Matrix> {
        let layer = self.layers.first()?;
        if stage.per_head() {
            layer
                .heads
                .iter()
                .find(|h| h.head == head)?
                .stages
                .iter()
                .find(|m| m.stage == stage)
        } else {
            layer
                .stages
                .iter()
                .find(|m| m.stage == stage && m.row_axis == Axis::QueryTokens)
        }
    }
}

fn check_tokens(which: &str, n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::Config(format!(
            "the {which} has no tokens: type at least one word"
        )));
    }
    if n > MAX_TRACE_TOKENS {
        return Err(Error::Config(format!(
            "the {which} has {n} tokens; the trace shows at most {MAX_TRACE_TOKENS}. Shorten it, or use attention() for long inputs"
        )));
    }
    Ok(())
}

/// Computes the trace of the toy model.
pub fn trace(input: &TraceInput) -> Result<Trace> {
    let mut model = ToyModel::new(input.model)?;
    let cfg = model.config;
    let query_tokens = tokenize(&input.sentence);
    check_tokens("sentence", query_tokens.len())?;
    let cross = input.context.is_some();
    let key_tokens = match &input.context {
        Some(c) => tokenize(c),
        None => query_tokens.clone(),
    };
    check_tokens("context sentence", key_tokens.len())?;
    let (n, m) = (query_tokens.len(), key_tokens.len());
    let d_k = model.head_dim;

    let req = &input.request;
    if let Some(layers) = &req.layers {
        if let Some(&l) = layers.iter().find(|&&l| l != 0) {
            return Err(Error::Config(format!(
                "layer {l} does not exist: the toy model has 1 layer (layer 0)"
            )));
        }
    }
    let heads: Vec<usize> = match &req.heads {
        Some(hs) => {
            if let Some(&h) = hs.iter().find(|&&h| h >= cfg.heads) {
                return Err(Error::Config(format!(
                    "head {h} does not exist: the model has {} heads (0..{})",
                    cfg.heads,
                    cfg.heads - 1
                )));
            }
            hs.clone()
        }
        None => (0..cfg.heads).collect(),
    };
    let wanted = |s: Stage| req.stages.as_ref().is_none_or(|list| list.contains(&s));
    let want_layer = req.layers.as_ref().is_none_or(|l| l.contains(&0));

    // Budget: the score-sized matrices dominate.
    let per_head = Stage::ALL
        .iter()
        .filter(|s| s.per_head() && wanted(**s))
        .map(|s| match s.axes() {
            (Axis::QueryTokens, Axis::KeyTokens) => (n * m) as u64,
            _ => (n.max(m) * d_k) as u64,
        });
    let floats = per_head.sum::<u64>() * heads.len() as u64 + 8 * (n.max(m) * cfg.d_model) as u64;
    check_f32_budget(&format!("a trace of {n} x {m} tokens"), Some(floats))?;

    let mask_view = input.mask.view(n, m)?;
    let scale = match input.scale {
        None => 1.0 / (d_k as f32).sqrt(),
        Some(s) if s.is_finite() && s > 0.0 => s,
        Some(s) => {
            return Err(Error::Config(format!(
                "scale must be a positive finite number, got {s}"
            )))
        }
    };

    // Inputs: embeddings, positions, overrides on X and on the weights.
    let side = |tokens: &[Token]| {
        let e = model.embed(tokens);
        let pe = if cfg.positional {
            r::positional_encoding(tokens.len(), cfg.d_model)
        } else {
            Array2::zeros(e.dim())
        };
        let x = &e + &pe;
        (e, pe, x)
    };
    let (e_q, pe_q, mut x_q) = side(&query_tokens);
    let (e_k, pe_k, mut x_k) = if cross {
        side(&key_tokens)
    } else {
        (e_q.clone(), pe_q.clone(), x_q.clone())
    };
    for o in &input.overrides {
        match o.matrix {
            Param::X => {
                apply_override(&mut x_q, o)?;
                if !cross {
                    x_k = x_q.clone();
                }
            }
            Param::XContext if cross => apply_override(&mut x_k, o)?,
            Param::XContext => {
                return Err(Error::Config(
                    "override of x-context needs a context sentence (cross-attention)".into(),
                ))
            }
            p => apply_override(model.weight_mut(p).expect("a weight"), o)?,
        }
    }

    let weights = [
        (Param::Wq, &model.w_q),
        (Param::Wk, &model.w_k),
        (Param::Wv, &model.w_v),
        (Param::Wo, &model.w_o),
    ]
    .into_iter()
    .map(|(param, w)| Weight {
        param,
        rows: w.nrows(),
        cols: w.ncols(),
        data: w.iter().copied().collect(),
    })
    .collect();
    let mut layer = LayerTrace {
        layer: 0,
        weights,
        stages: Vec::new(),
        heads: Vec::new(),
    };
    if want_layer {
        for (stage, a, b) in [
            (Stage::Embedding, &e_q, &e_k),
            (Stage::Positional, &pe_q, &pe_k),
            (Stage::Input, &x_q, &x_k),
        ] {
            if wanted(stage) {
                layer.stages.push(Matrix::new(stage, Axis::QueryTokens, a));
                if cross {
                    layer.stages.push(Matrix::new(stage, Axis::KeyTokens, b));
                }
            }
        }
    }

    let need_all_heads = want_layer && (wanted(Stage::Concat) || wanted(Stage::Output));
    let mut outputs: Vec<Array2<f32>> = Vec::new();
    // Heads of a group are consecutive and share K and V: project them once per group.
    let mut kv: Option<(usize, Array2<f32>, Array2<f32>)> = None;
    for h in 0..cfg.heads {
        let keep = want_layer && heads.contains(&h);
        if !keep && !need_all_heads {
            continue;
        }
        let g = h / (cfg.heads / cfg.kv_heads);
        fn cols(w: &Array2<f32>, i: usize, d_k: usize) -> ArrayView2<'_, f32> {
            w.slice(s![.., i * d_k..(i + 1) * d_k])
        }
        let q = r::project(x_q.view(), cols(&model.w_q, h, d_k));
        if kv.as_ref().is_none_or(|(cached, _, _)| *cached != g) {
            let k = r::project(x_k.view(), cols(&model.w_k, g, d_k));
            let v = r::project(x_k.view(), cols(&model.w_v, g, d_k));
            kv = Some((g, k, v));
        }
        let (_, k, v) = kv.as_ref().expect("projected above");
        let sc = r::scores(q.view(), k.view());
        let scaled = r::scale(sc.view(), scale);
        let masked = r::apply_mask(scaled.view(), &mask_view);
        let weights = r::softmax_rows(masked.view());
        let z = r::weighted_sum(weights.view(), v.view());
        if keep {
            let mut stages = Vec::new();
            for (stage, a) in [
                (Stage::Query, &q),
                (Stage::Key, k),
                (Stage::Value, v),
                (Stage::Scores, &sc),
                (Stage::Scaled, &scaled),
                (Stage::Masked, &masked),
                (Stage::Softmax, &weights),
                (Stage::WeightedSum, &z),
            ] {
                if wanted(stage) {
                    stages.push(Matrix::new(stage, stage.axes().0, a));
                }
            }
            layer.heads.push(HeadTrace {
                head: h,
                kv_head: g,
                stages,
                entropy: r::row_entropy(weights.view()).to_vec(),
                max_weight: r::row_max(weights.view()).to_vec(),
            });
        }
        if need_all_heads {
            outputs.push(z);
        }
    }
    if need_all_heads {
        let concat = r::concat_heads(&outputs);
        if wanted(Stage::Concat) {
            layer
                .stages
                .push(Matrix::new(Stage::Concat, Axis::QueryTokens, &concat));
        }
        if wanted(Stage::Output) {
            let y = r::project(concat.view(), model.w_o.view());
            layer
                .stages
                .push(Matrix::new(Stage::Output, Axis::QueryTokens, &y));
        }
    }
    // Keep heads in the order requested.
    layer
        .heads
        .sort_by_key(|t| heads.iter().position(|&h| h == t.head));

    Ok(Trace {
        model: ModelInfo {
            name: "toy",
            layers: 1,
            heads: cfg.heads,
            kv_heads: cfg.kv_heads,
            d_model: cfg.d_model,
            head_dim: d_k,
        },
        query_tokens,
        key_tokens,
        cross,
        scale,
        mask: mask_view.stats(),
        layers: if want_layer { vec![layer] } else { Vec::new() },
    })
}
