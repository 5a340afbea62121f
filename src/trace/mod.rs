//! The teaching trace: every stage's matrix for one sentence (or two, for cross-attention), for
//! any [`Model`].
//!
//! A trace describes a model as layers x heads x stages. Stages that belong to a layer as a whole
//! (embeddings, input, concatenation, output, and whatever the model computes after attention)
//! sit on the layer; the rest sit on each head. A [`TraceRequest`] names the layers, heads and
//! stages wanted: only requested matrices are kept, the score-sized ones only for requested heads,
//! and no layer after the last requested one is computed.
//!
//! The driver computes the attention stages of every model with the readable reference
//! ([`crate::reference`]); the model supplies tokens, embeddings, weights and what follows
//! attention in a layer.
//!
//! [`Stage`] is the one vocabulary for the stages: its `name()` is used by the trace, the page, the
//! URL and the lesson text alike.

pub use crate::model::MAX_TRACE_TOKENS;
pub use crate::stage::{Axis, Stage};

use crate::error::{check_f32_budget, Error, Result};
use crate::kernels::resolve_scale;
use crate::mask::{Mask, MaskStats};
use crate::model::{
    apply_override, Model, ModelCard, ModelSpec, Override, Param, Token, TokenKind,
};
use crate::reference as r;
use ndarray::{s, Array2, ArrayView1, ArrayView2};

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
    pub model: ModelSpec,
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
            model: ModelSpec::default(),
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

/// An editable weight of a layer, as used (after overrides); see [`crate::model::AttentionWeights`].
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
    /// The layer's editable weights (the model's card lists them).
    pub weights: Vec<Weight>,
    /// Layer-wide stages. The stages before attention (embeddings, positions) sit on layer 0. In
    /// cross-attention the context's matrices follow the query sentence's, with `row_axis`
    /// `KeyTokens`.
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
    /// The matrix of `stage` (for `head` when the stage is per head) in the first traced layer.
    pub fn stage(&self, stage: Stage, head: usize) -> Option<&Matrix> {
        self.stage_in(self.layers.first()?.layer, stage, head)
    }

    /// The matrix of `stage` (for `head` when the stage is per head) in `layer`, if computed.
    pub fn stage_in(&self, layer: usize, stage: Stage, head: usize) -> Option<&Matrix> {
        let layer = self.layers.iter().find(|l| l.layer == layer)?;
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

fn check_tokens(card: &ModelCard, which: &str, n: usize, max: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::Config(format!(
            "the {which} has no tokens: type at least one word"
        )));
    }
    if n > max {
        return Err(Error::Config(match card.tokens {
            TokenKind::Word => format!(
                "the {which} has {n} tokens; the trace shows at most {max}. Shorten it, or use attention() for long inputs"
            ),
            TokenKind::WordPiece => format!(
                "the {which} has {n} wordpieces (with [CLS] and [SEP]); {} reads at most {max}. Shorten it",
                card.title
            ),
        }));
    }
    Ok(())
}

/// Checks a request against the model: every layer, head and stage it names exists.
fn check_request(card: &ModelCard, req: &TraceRequest) -> Result<()> {
    if let Some(&l) = req.layers.iter().flatten().find(|&&l| l >= card.layers) {
        return Err(Error::Config(format!(
            "layer {l} does not exist: the {} model has {} layer{} (0..{})",
            card.name,
            card.layers,
            if card.layers == 1 { "" } else { "s" },
            card.layers - 1
        )));
    }
    if let Some(&h) = req.heads.iter().flatten().find(|&&h| h >= card.heads) {
        return Err(Error::Config(format!(
            "head {h} does not exist: the model has {} heads (0..{})",
            card.heads,
            card.heads - 1
        )));
    }
    if let Some(s) = req
        .stages
        .iter()
        .flatten()
        .find(|s| !card.stages.contains(s))
    {
        return Err(Error::Config(format!(
            "the {} model has no stage \"{}\"",
            card.name,
            s.name()
        )));
    }
    Ok(())
}

/// Head `i`'s `d_k` columns of a projection.
fn cols(w: ArrayView2<'_, f32>, i: usize, d_k: usize) -> ArrayView2<'_, f32> {
    w.slice_move(s![.., i * d_k..(i + 1) * d_k])
}

/// Head `i`'s projection `X W[:, cols] (+ b[cols])`.
fn head_projection(
    x: ArrayView2<'_, f32>,
    w: ArrayView2<'_, f32>,
    b: Option<ArrayView1<'_, f32>>,
    i: usize,
    d_k: usize,
) -> Array2<f32> {
    let p = r::project(x, cols(w, i, d_k));
    match b {
        Some(b) => p + b.slice(s![i * d_k..(i + 1) * d_k]),
        None => p,
    }
}

/// Computes the trace of the model `input.model` names.
pub fn trace(input: &TraceInput) -> Result<Trace> {
    let mut model = input.model.load()?;
    trace_model(&mut *model, input)
}

/// Computes the trace of `model` (a model built elsewhere; `input.model` is not read). The
/// learner's weight edits are applied to `model` itself.
pub fn trace_model(model: &mut dyn Model, input: &TraceInput) -> Result<Trace> {
    let card = model.card();
    let query_tokens = model.tokenize(&input.sentence);
    let max_tokens = card.max_tokens.min(MAX_TRACE_TOKENS);
    check_tokens(&card, "sentence", query_tokens.len(), max_tokens)?;
    let cross = input.context.is_some();
    if cross && !card.cross_attention {
        return Err(Error::Config(format!(
            "the {} model reads one sentence: it has no context sentence (cross-attention is for the toy model)",
            card.title
        )));
    }
    let key_tokens = match &input.context {
        Some(c) => model.tokenize(c),
        None => query_tokens.clone(),
    };
    check_tokens(&card, "context sentence", key_tokens.len(), max_tokens)?;
    let (n, m) = (query_tokens.len(), key_tokens.len());
    let (d_k, heads_n) = (card.head_dim, card.heads);

    let req = &input.request;
    check_request(&card, req)?;
    let heads: Vec<usize> = req.heads.clone().unwrap_or_else(|| (0..heads_n).collect());
    let wanted = |s: Stage| req.stages.as_ref().is_none_or(|list| list.contains(&s));
    let kept = |l: usize| req.layers.as_ref().is_none_or(|list| list.contains(&l));
    // No layer after the last one requested is computed.
    let last = match &req.layers {
        Some(list) => list.iter().copied().max(),
        None => Some(card.layers - 1),
    };

    // Budget: the score-sized matrices of the kept heads dominate; a handful of n x d_model
    // matrices per layer on top.
    let per_head = card
        .stages
        .iter()
        .filter(|s| s.per_head() && wanted(**s))
        .map(|s| match s.axes() {
            (Axis::QueryTokens, Axis::KeyTokens) => (n * m) as u64,
            _ => (n.max(m) * d_k) as u64,
        });
    let layers_kept = req.layers.as_ref().map_or(card.layers, |l| l.len()) as u64;
    let floats = (per_head.sum::<u64>() * heads.len() as u64
        + 8 * (n.max(m) * card.d_model) as u64)
        .checked_mul(layers_kept.max(1));
    check_f32_budget(&format!("a trace of {n} x {m} tokens"), floats)?;

    let mask_view = input.mask.view(n, m)?;
    let scale = resolve_scale(input.scale, d_k)?;

    // The inputs of layer 0, then the learner's edits of X and of the weights.
    let q_side = model.embed(&query_tokens);
    let k_side = cross.then(|| model.embed(&key_tokens));
    let mut x_q = q_side.x.clone();
    let mut x_k = k_side.as_ref().map(|e| e.x.clone());
    for o in &input.overrides {
        let editable = card.editable.iter().any(|e| e.matrix == o.matrix);
        if !editable {
            return Err(Error::Config(format!(
                "the {} model does not let {} be edited",
                card.name,
                o.matrix.name()
            )));
        }
        if o.layer >= card.layers || (!o.matrix.is_weight() && o.layer != 0) {
            return Err(Error::Config(format!(
                "override of {} names layer {}, but {}",
                o.matrix.name(),
                o.layer,
                if o.matrix.is_weight() {
                    format!("the model has {} layer(s)", card.layers)
                } else {
                    "X is the input of layer 0".to_string()
                }
            )));
        }
        match (o.matrix, x_k.as_mut()) {
            (Param::X, _) => apply_override(&mut x_q, o)?,
            (Param::XContext, Some(x_k)) => apply_override(x_k, o)?,
            (Param::XContext, None) => {
                return Err(Error::Config(
                    "override of x-context needs a context sentence (cross-attention)".into(),
                ))
            }
            (p, _) => match model.weight_mut(o.layer, p) {
                Some(w) => apply_override(w, o)?,
                None => {
                    return Err(Error::Config(format!(
                        "the {} model lists {} as editable but has no such weight in layer {}",
                        card.name,
                        p.name(),
                        o.layer
                    )))
                }
            },
        }
    }
    let model: &dyn Model = model;

    let mut layers = Vec::new();
    for l in 0..last.map_or(0, |l| l + 1) {
        let keep = kept(l);
        if !keep && !cross {
            // A layer computed only as the input of later ones: the model's fast path.
            if let Some(next) = model.layer_forward(l, &x_q, &mask_view, scale) {
                x_q = next;
                continue;
            }
        }
        let w = model.attention(l);
        let mut layer = LayerTrace {
            layer: l,
            weights: Vec::new(),
            stages: Vec::new(),
            heads: Vec::new(),
        };
        if keep {
            layer.weights = card
                .editable
                .iter()
                .filter_map(|e| w.get(e.matrix).map(|a| (e.matrix, a)))
                .map(|(param, a)| Weight {
                    param,
                    rows: a.nrows(),
                    cols: a.ncols(),
                    data: a.iter().copied().collect(),
                })
                .collect();
            let mut push = |stage: Stage, axis: Axis, a: &Array2<f32>| {
                if wanted(stage) {
                    layer.stages.push(Matrix::new(stage, axis, a));
                }
            };
            if l == 0 {
                for (i, (stage, a)) in q_side.stages.iter().enumerate() {
                    push(*stage, Axis::QueryTokens, a);
                    if let Some(k) = &k_side {
                        push(k.stages[i].0, Axis::KeyTokens, &k.stages[i].1);
                    }
                }
            }
            push(Stage::Input, Axis::QueryTokens, &x_q);
            if let Some(x_k) = &x_k {
                push(Stage::Input, Axis::KeyTokens, x_k);
            }
        }

        // Every head's output is needed when the layer's later stages are kept or feed a later layer.
        // (So do the stages a model computes after the output projection: residual, LayerNorm, …)
        let after_output = card
            .stages
            .iter()
            .any(|s| !Stage::ATTENTION.contains(s) && wanted(*s));
        let need_all_heads = Some(l) != last
            || (keep && (wanted(Stage::Concat) || wanted(Stage::Output) || after_output));
        let x_kv = x_k.as_ref().unwrap_or(&x_q);
        let computed = |h: usize| need_all_heads || (keep && heads.contains(&h));
        let group = |h: usize| h / (heads_n / card.kv_heads);
        // Heads of a group share K and V: projected once per group the computed heads need.
        let kv: Vec<Option<(Array2<f32>, Array2<f32>)>> = (0..card.kv_heads)
            .map(|g| {
                (0..heads_n).any(|h| computed(h) && group(h) == g).then(|| {
                    (
                        head_projection(x_kv.view(), w.w_k.view(), w.b_k, g, d_k),
                        head_projection(x_kv.view(), w.w_v.view(), w.b_v, g, d_k),
                    )
                })
            })
            .collect();
        // One head: its output, and its trace when kept. Heads are independent, so with the
        // `threads` feature they run on the pool (one head per thread in flight), with the same
        // bits as one after another.
        let head = |h: usize| -> (Array2<f32>, Option<HeadTrace>) {
            let g = group(h);
            let q = head_projection(x_q.view(), w.w_q.view(), w.b_q, h, d_k);
            let (k, v) = kv[g].as_ref().expect("projected above");
            let sc = r::scores(q.view(), k.view());
            let scaled = r::scale(sc.view(), scale);
            let masked = r::apply_mask(scaled.view(), &mask_view);
            let weights = r::softmax_rows(masked.view());
            let z = r::weighted_sum(weights.view(), v.view());
            let kept = (keep && heads.contains(&h)).then(|| {
                let stages = [
                    (Stage::Query, &q),
                    (Stage::Key, k),
                    (Stage::Value, v),
                    (Stage::Scores, &sc),
                    (Stage::Scaled, &scaled),
                    (Stage::Masked, &masked),
                    (Stage::Softmax, &weights),
                    (Stage::WeightedSum, &z),
                ]
                .into_iter()
                .filter(|(stage, _)| wanted(*stage))
                .map(|(stage, a)| Matrix::new(stage, stage.axes().0, a))
                .collect();
                HeadTrace {
                    head: h,
                    kv_head: g,
                    stages,
                    entropy: r::row_entropy(weights.view()).to_vec(),
                    max_weight: r::row_max(weights.view()).to_vec(),
                }
            });
            (z, kept)
        };
        let todo: Vec<usize> = (0..heads_n).filter(|&h| computed(h)).collect();
        #[cfg(feature = "threads")]
        let done: Vec<(Array2<f32>, Option<HeadTrace>)> = {
            use rayon::prelude::*;
            todo.into_par_iter().map(head).collect()
        };
        #[cfg(not(feature = "threads"))]
        let done: Vec<(Array2<f32>, Option<HeadTrace>)> = todo.into_iter().map(head).collect();
        let mut outputs: Vec<Array2<f32>> = Vec::new();
        for (z, kept) in done {
            layer.heads.extend(kept);
            if need_all_heads {
                outputs.push(z);
            }
        }
        if need_all_heads {
            let concat = r::concat_heads(&outputs);
            let mut y = r::project(concat.view(), w.w_o.view());
            if let Some(b) = &w.b_o {
                y += b;
            }
            let mut push = |stage: Stage, a: &Array2<f32>| {
                if keep && wanted(stage) {
                    layer.stages.push(Matrix::new(stage, Axis::QueryTokens, a));
                }
            };
            push(Stage::Concat, &concat);
            push(Stage::Output, &y);
            let next = model.after_attention(l, &x_q, y, &mut push);
            x_q = next;
        }
        // Keep heads in the order requested.
        layer
            .heads
            .sort_by_key(|t| heads.iter().position(|&h| h == t.head));
        if keep {
            layers.push(layer);
        }
    }

    Ok(Trace {
        model: ModelInfo {
            name: card.name,
            layers: card.layers,
            heads: card.heads,
            kv_heads: card.kv_heads,
            d_model: card.d_model,
            head_dim: d_k,
        },
        query_tokens,
        key_tokens,
        cross,
        scale,
        mask: mask_view.stats(),
        layers,
    })
}
