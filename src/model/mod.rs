//! Models behind one trait: what the trace driver ([`crate::trace`]) needs of any transformer whose
//! attention the playground explains.
//!
//! A model says what it is ([`ModelCard`]: name, sizes, token kind, the stages it has, the matrices
//! a learner may edit, the options it takes), splits text into tokens with their offsets, embeds
//! them, hands out each layer's attention weights, and computes what follows attention in a layer.
//! The trace driver does the attention stages itself, with the readable reference, for every
//! model alike.
//!
//! Models: [`toy`] (word tokens, seeded random weights, every size a learner's choice).
//! [`ModelSpec`] names a model and its configuration; [`catalog`] lists every model's card.

pub mod minilm;
pub mod patterns;
pub mod toy;

pub use toy::{ToyConfig, ToyModel};

use crate::error::{Error, Result};
use crate::mask::MaskView;
use crate::stage::{Axis, Stage};
use ndarray::{Array2, ArrayView1, ArrayView2};

/// Most tokens a trace of any model accepts per sentence: beyond this the n x n matrices stop
/// being readable and the page would stop being responsive. A model's card may say fewer.
pub const MAX_TRACE_TOKENS: usize = 1024;

/// One token of a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    /// Offsets in UTF-16 code units (JavaScript string indices): `start..end`.
    pub start: usize,
    pub end: usize,
}

/// How a model splits text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Unicode words, numbers, punctuation marks and emoji (UAX #29 word boundaries).
    Word,
    /// BERT's WordPiece: lower-cased words split into vocabulary pieces (`play`, `##ing`),
    /// with `[CLS]` first and `[SEP]` last.
    WordPiece,
}

impl TokenKind {
    pub fn name(self) -> &'static str {
        match self {
            TokenKind::Word => "word",
            TokenKind::WordPiece => "wordpiece",
        }
    }
}

/// Where a model's weights come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightSource {
    /// Made from a seed when the model is built: nothing to download.
    Seeded,
    /// A pretrained weight file that must be loaded first (`loadModel` in JavaScript).
    File,
}

impl WeightSource {
    pub fn name(self) -> &'static str {
        match self {
            WeightSource::Seeded => "seeded",
            WeightSource::File => "file",
        }
    }
}

/// A matrix a learner may edit, entry by entry.
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
    pub const ALL: [Param; 6] = [
        Param::X,
        Param::XContext,
        Param::Wq,
        Param::Wk,
        Param::Wv,
        Param::Wo,
    ];

    pub fn parse(name: &str) -> Result<Param> {
        Param::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                Error::Config(format!(
                "unknown matrix \"{name}\" in overrides; use one of x, x-context, wq, wk, wv, wo"
            ))
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

    /// Is this a weight of a layer (rather than the input X)?
    pub fn is_weight(self) -> bool {
        !matches!(self, Param::X | Param::XContext)
    }
}

/// "Set entry (row, col) of `matrix` in `layer` to `value`". X and X (context) belong to the
/// input of layer 0, so their `layer` must be 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Override {
    pub matrix: Param,
    pub layer: usize,
    pub row: usize,
    pub col: usize,
    pub value: f32,
}

/// An editable matrix as the page shows it: its title, the stage that uses it, and what its rows
/// and columns stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Editable {
    pub matrix: Param,
    pub title: &'static str,
    /// The stage this matrix makes (X: the input; W_Q: the queries; W_O: the output).
    pub stage: Stage,
    pub rows: Axis,
    pub cols: Axis,
}

/// The kind and range of a model option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// A whole number in `min..=max`; `multiple_of` / `divides` name another option it must be a
    /// multiple of / must divide.
    Int {
        min: u64,
        max: u64,
        default: u64,
        multiple_of: Option<&'static str>,
        divides: Option<&'static str>,
    },
    Bool {
        default: bool,
    },
}

/// An option a model takes (its name is the field of the trace config, e.g. `dModel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub kind: OptionKind,
}

/// What a model is, at one configuration: everything the page shows about it comes from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelCard {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub tokens: TokenKind,
    /// Most tokens a trace of this model accepts per sentence.
    pub max_tokens: usize,
    pub layers: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub d_model: usize,
    pub head_dim: usize,
    /// The stages this model has, in lesson order.
    pub stages: Vec<Stage>,
    pub editable: Vec<Editable>,
    /// Options of the trace config that configure this model; an option named like a size
    /// (`dModel`, `heads`, `kvHeads`) sets that size.
    pub options: Vec<OptionSpec>,
    /// Where the weights come from.
    pub weights: WeightSource,
    /// Does the model take a second sentence for its keys and values (cross-attention)?
    pub cross_attention: bool,
    /// The model's own formula for a stage where it differs from the stage's general one
    /// (biases, learned positions).
    pub formulas: Vec<(Stage, &'static str)>,
}

impl ModelCard {
    /// The formula of `stage` in this model.
    pub fn formula(&self, stage: Stage) -> &'static str {
        self.formulas
            .iter()
            .find(|(s, _)| *s == stage)
            .map_or(stage.formula(), |(_, f)| f)
    }

    /// Rows or columns of an editable matrix along `axis`, for `n` query and `m` key tokens.
    pub fn axis_len(&self, axis: Axis, n: usize, m: usize) -> usize {
        match axis {
            Axis::QueryTokens => n,
            Axis::KeyTokens => m,
            Axis::Model => self.d_model,
            Axis::Head => self.head_dim,
            Axis::Concat => self.heads * self.head_dim,
            Axis::KvConcat => self.kv_heads * self.head_dim,
        }
    }
}

/// The options a trace config may give; which ones a model takes is in its card.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelOptions {
    pub d_model: Option<usize>,
    pub heads: Option<usize>,
    pub kv_heads: Option<usize>,
    pub seed: Option<u64>,
    pub positional: Option<bool>,
}

impl ModelOptions {
    /// The names (as in the trace config) of the options given.
    pub fn given(&self) -> Vec<&'static str> {
        [
            ("dModel", self.d_model.is_some()),
            ("heads", self.heads.is_some()),
            ("kvHeads", self.kv_heads.is_some()),
            ("seed", self.seed.is_some()),
            ("positional", self.positional.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect()
    }
}

/// The sentence side of a layer's input: the stages before attention and X itself.
pub struct Embedded {
    /// E.g. the token embeddings and positional encoding, in lesson order.
    pub stages: Vec<(Stage, Array2<f32>)>,
    /// The input of layer 0, `n x d_model`.
    pub x: Array2<f32>,
}

/// A layer's attention weights: W_Q is `d_model x heads*d_k`, W_K and W_V `d_model x
/// kv_heads*d_k`, W_O `heads*d_k x d_model`; head h owns columns `h*d_k..` of W_Q, key/value
/// head g columns `g*d_k..` of W_K and W_V. Biases, where the model has them, are added after
/// each product (`b_q` has `heads*d_k` entries, head h owns `h*d_k..`).
pub struct AttentionWeights<'a> {
    pub w_q: ArrayView2<'a, f32>,
    pub w_k: ArrayView2<'a, f32>,
    pub w_v: ArrayView2<'a, f32>,
    pub w_o: ArrayView2<'a, f32>,
    pub b_q: Option<ArrayView1<'a, f32>>,
    pub b_k: Option<ArrayView1<'a, f32>>,
    pub b_v: Option<ArrayView1<'a, f32>>,
    pub b_o: Option<ArrayView1<'a, f32>>,
}

impl AttentionWeights<'_> {
    /// The weight an editable names (None for X).
    pub fn get(&self, p: Param) -> Option<ArrayView2<'_, f32>> {
        match p {
            Param::Wq => Some(self.w_q.view()),
            Param::Wk => Some(self.w_k.view()),
            Param::Wv => Some(self.w_v.view()),
            Param::Wo => Some(self.w_o.view()),
            Param::X | Param::XContext => None,
        }
    }
}

/// A transformer whose attention the trace shows.
pub trait Model {
    /// Name, sizes, stages, editable matrices and options, at this configuration.
    fn card(&self) -> ModelCard;
    /// Tokens of a text, with UTF-16 offsets.
    fn tokenize(&self, text: &str) -> Vec<Token>;
    /// The stages before layer 0 and its input X.
    fn embed(&self, tokens: &[Token]) -> Embedded;
    /// Layer `layer`'s attention weights (`layer < card().layers`).
    fn attention(&self, layer: usize) -> AttentionWeights<'_>;
    /// A weight a learner may edit (None for X and for what the model does not let edit).
    fn weight_mut(&mut self, layer: usize, p: Param) -> Option<&mut Array2<f32>>;
    /// What follows the output projection in layer `layer`: `y` is `C W_O` for input `x`. Each
    /// stage it computes goes to `stage` (the caller keeps the requested ones); returns the next
    /// layer's input.
    fn after_attention(
        &self,
        layer: usize,
        x: &Array2<f32>,
        y: Array2<f32>,
        stage: &mut dyn FnMut(Stage, &Array2<f32>),
    ) -> Array2<f32>;
    /// A whole layer on input `x` (self-attention with `mask` and `scale`), by a fast path,
    /// for the layers a trace computes but does not show; None where the model has none (the
    /// trace then computes the layer stage by stage). Must equal the stage-by-stage result
    /// within float rounding.
    fn layer_forward(
        &self,
        _layer: usize,
        _x: &Array2<f32>,
        _mask: &MaskView,
        _scale: f32,
    ) -> Option<Array2<f32>> {
        None
    }
}

/// A model and its configuration, as a trace asks for it.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSpec {
    Toy(ToyConfig),
    /// all-MiniLM-L6-v2: fixed sizes, weights from a file ([`minilm::MiniLm::load`]).
    MiniLm,
}

impl Default for ModelSpec {
    fn default() -> Self {
        ModelSpec::Toy(ToyConfig::default())
    }
}

/// Every model's name, in catalogue order (the first is the default).
pub const MODEL_NAMES: [&str; 2] = [toy::NAME, minilm::NAME];

impl ModelSpec {
    /// The model `name` configured by `options`; an option the model does not take is refused
    /// by name.
    pub fn new(name: &str, options: &ModelOptions) -> Result<ModelSpec> {
        let card = card_of(name)?;
        if let Some(bad) = options
            .given()
            .into_iter()
            .find(|o| !card.options.iter().any(|spec| spec.name == *o))
        {
            let takes: Vec<&str> = card.options.iter().map(|o| o.name).collect();
            return Err(Error::Config(format!(
                "the {name} model has no option {bad}; its options are: {}",
                if takes.is_empty() {
                    "none (its sizes are fixed)".to_string()
                } else {
                    takes.join(", ")
                }
            )));
        }
        Ok(match name {
            toy::NAME => ModelSpec::Toy(ToyConfig::from_options(options)),
            minilm::NAME => ModelSpec::MiniLm,
            _ => unreachable!("card_of knows every name"),
        })
    }

    /// Builds the model, checking its configuration.
    pub fn load(&self) -> Result<Box<dyn Model>> {
        Ok(match self {
            ModelSpec::Toy(c) => Box::new(ToyModel::new(*c)?),
            ModelSpec::MiniLm => return Err(minilm::needs_weights()),
        })
    }

    /// The model's tokens for a text, without building its weights.
    pub fn tokenize(&self, text: &str) -> Result<Vec<Token>> {
        match self {
            ModelSpec::Toy(_) => Ok(toy::tokenize(text)),
            ModelSpec::MiniLm => Err(minilm::needs_weights()),
        }
    }
}

/// The card of model `name` at its default configuration.
pub fn card_of(name: &str) -> Result<ModelCard> {
    match name {
        toy::NAME => Ok(toy::card(&ToyConfig::default())),
        minilm::NAME => Ok(minilm::card()),
        _ => Err(Error::Config(format!(
            "unknown model \"{name}\"; models are: {}",
            MODEL_NAMES.join(", ")
        ))),
    }
}

/// Every model's card at its default configuration, the default model first.
pub fn catalog() -> Vec<ModelCard> {
    MODEL_NAMES
        .iter()
        .map(|n| card_of(n).expect("a known name"))
        .collect()
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
