//! `trace` and `tokenize`: the glue between a JS config and the trace driver
//! (crate::trace::{TraceInput, TraceRequest}, crate::model::{ModelSpec, ModelOptions, Override}).

use super::masks::{check_at, parse_mask, stats_to_js};
use super::{check_text, js_err, js_str, options, parse_object, set, text_arg, Count, ParseError};
use crate::model::{ModelOptions, ModelSpec, Override, Param, Token, MODEL_NAMES};
use crate::trace::{self, Matrix, Stage, TraceInput, TraceRequest, MAX_TRACE_TOKENS};
use crate::Error;
use js_sys::{Array, Float32Array, Object};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TRACE: &'static str = r#"
export type StageName = "embedding" | "positional" | "input" | "query" | "key" | "value" | "scores"
  | "scaled" | "masked" | "softmax" | "weighted-sum" | "concat" | "output"
  | "residual" | "layer-norm" | "feed-forward" | "layer-output";
export type AxisName = "query-tokens" | "key-tokens" | "model" | "head" | "concat" | "kv-concat";
export type MatrixName = "x" | "x-context" | "wq" | "wk" | "wv" | "wo";

export interface TraceConfig {
  model?: string;            // default "toy" (see models())
  sentence: string;
  context?: string;          // a second sentence supplying keys and values (cross-attention)
  dModel?: number;           // toy model: 4..64, default 16, a multiple of heads
  heads?: number;            // toy model: 1..8, default 2
  kvHeads?: number;          // default heads; divides heads
  seed?: number;             // default 1; the same word always gets the same embedding for a seed
  positional?: boolean;      // add sinusoidal positional encoding, default true
  scale?: number;            // default 1/sqrt(headDim)
  mask?: Mask;
  overrides?: { matrix: MatrixName; layer?: number; row: number; col: number; value: number }[];
  only?: { layers?: number[]; heads?: number[]; stages?: StageName[] };  // compute only these
  layer?: number;            // shorthand for only.layers = [layer]
}

/** A token with its UTF-16 offsets into the text. */
export interface Token { text: string; start: number; end: number }

export interface Matrix {
  stage: StageName; rows: number; cols: number; rowAxis: AxisName; colAxis: AxisName; data: Float32Array;
}

/** Only the requested layers, heads and stages are present: find them by `layer`, `head` and
 *  `stage`, never by index. */
export interface Trace {
  model: { name: string; layers: number; heads: number; kvHeads: number; dModel: number; headDim: number };
  tokens: { query: Token[]; key: Token[] };          // key equals query in self-attention
  cross: boolean;
  scale: number;
  mask: MaskInfo;
  layers: {
    layer: number;
    weights: { matrix: MatrixName; rows: number; cols: number; data: Float32Array }[];  // after overrides
    stages: Matrix[];                                // layer-wide stages (embedding, ..., output)
    heads: { head: number; kvHead: number; stages: Matrix[]; entropy: Float32Array; maxWeight: Float32Array }[];
  }[];
}
"#;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TraceConfig {
    model: Option<String>,
    sentence: String,
    context: Option<String>,
    d_model: Option<Count>,
    heads: Option<Count>,
    kv_heads: Option<Count>,
    seed: Option<Count>,
    positional: Option<bool>,
    scale: Option<f64>,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    mask: JsValue,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    overrides: JsValue,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    only: JsValue,
    layer: Option<Count>,
}

#[derive(Deserialize)]
struct OverrideSpec {
    matrix: String,
    /// Default 0.
    layer: Option<Count>,
    row: Count,
    col: Count,
    value: f64,
}

#[derive(Deserialize)]
struct OnlySpec {
    layers: Option<Vec<Count>>,
    heads: Option<Vec<Count>>,
    stages: Option<Vec<String>>,
}

/// A nested object of the trace config, parsed under its path (`overrides[2]`, `only`).
fn nested<T: serde::de::DeserializeOwned>(v: &JsValue, path: &str) -> Result<T, JsError> {
    parse_object(v, &[]).map_err(|e| {
        js_err(match e {
            ParseError::NotObject => {
                format!(
                    "trace config: {path} must be an object, got {}",
                    super::describe(v)
                )
            }
            ParseError::UnknownField { key, fields } => format!(
                "trace config: {path}: unknown field `{key}`, expected one of {}",
                fields.join(", ")
            ),
            ParseError::Field { path: p, message } => {
                format!("trace config: {}: {message}", ParseError::at(path, &p))
            }
        })
    })
}

/// `random` at the longest trace: the draws per mask lookup are bounded before the trace loops.
fn check_random_within(mask: &crate::Mask) -> Result<(), JsError> {
    use crate::mask::{BlockPattern, Mask};
    match mask {
        Mask::All(masks) | Mask::Any(masks) => masks.iter().try_for_each(check_random_within),
        Mask::BlockSparse {
            block,
            pattern: BlockPattern::Generated { .. },
        } => Ok(check_at(mask, *block, MAX_TRACE_TOKENS)?),
        _ => Ok(()),
    }
}

fn counts(list: Option<Vec<Count>>) -> Option<Vec<usize>> {
    list.map(|l| l.into_iter().map(|c| c.0).collect())
}

pub(super) fn tokens_to_js(tokens: &[Token]) -> Array {
    tokens
        .iter()
        .map(|t| {
            let o = Object::new();
            set(&o, "text", t.text.as_str());
            set(&o, "start", t.start as u32);
            set(&o, "end", t.end as u32);
            JsValue::from(o)
        })
        .collect()
}

fn matrix_to_js(m: &Matrix) -> JsValue {
    let o = Object::new();
    set(&o, "stage", js_str(m.stage.name()));
    set(&o, "rows", m.rows as u32);
    set(&o, "cols", m.cols as u32);
    set(&o, "rowAxis", js_str(m.row_axis.name()));
    set(&o, "colAxis", js_str(m.col_axis.name()));
    set(&o, "data", Float32Array::from(&m.data[..]));
    o.into()
}

/// A trace config as the driver's input; `default_model` when the config names none.
pub(super) fn parse_config(config: &JsValue, default_model: &str) -> Result<TraceInput, JsError> {
    let c: TraceConfig = options("trace config", config)?;
    check_text("sentence", c.sentence.encode_utf16().count())?;
    if let Some(ctx) = &c.context {
        check_text("context", ctx.encode_utf16().count())?;
    }
    let model = ModelSpec::new(
        c.model.as_deref().unwrap_or(default_model),
        &ModelOptions {
            d_model: c.d_model.map(|c| c.0),
            heads: c.heads.map(|c| c.0),
            kv_heads: c.kv_heads.map(|c| c.0),
            seed: c.seed.map(|c| c.0 as u64),
            positional: c.positional,
        },
    )?;
    let overrides = if c.overrides.is_undefined() || c.overrides.is_null() {
        Vec::new()
    } else {
        let Some(list) = c.overrides.dyn_ref::<Array>() else {
            return Err(js_err(format!(
                "trace config: overrides must be an Array, got {}",
                super::describe(&c.overrides)
            )));
        };
        list.iter()
            .enumerate()
            .map(|(i, o)| {
                let o: OverrideSpec = nested(&o, &format!("overrides[{i}]"))?;
                Ok(Override {
                    matrix: Param::parse(&o.matrix)?,
                    layer: o.layer.map_or(0, |l| l.0),
                    row: o.row.0,
                    col: o.col.0,
                    value: o.value as f32,
                })
            })
            .collect::<Result<Vec<_>, JsError>>()?
    };
    let mut request = if c.only.is_undefined() || c.only.is_null() {
        TraceRequest::default()
    } else {
        let o: OnlySpec = nested(&c.only, "only")?;
        TraceRequest {
            layers: counts(o.layers),
            heads: counts(o.heads),
            stages: o
                .stages
                .map(|s| {
                    s.iter()
                        .map(|n| Stage::parse(n))
                        .collect::<Result<Vec<_>, Error>>()
                })
                .transpose()?,
        }
    };
    if let Some(layer) = c.layer {
        if request.layers.is_some() {
            return Err(js_err("trace config: give layer or only.layers, not both"));
        }
        request.layers = Some(vec![layer.0]);
    }
    let mask = parse_mask(&c.mask, "mask")?;
    // The lengths are known only after tokenizing; no trace has more than MAX_TRACE_TOKENS, and
    // the entry counts are checked by the trace itself (Mask::view at n, m <= 1024).
    check_random_within(&mask)?;
    Ok(TraceInput {
        sentence: c.sentence,
        context: c.context,
        model,
        scale: c.scale.map(|s| s as f32),
        mask,
        overrides,
        request,
    })
}

/// Everything the teaching page shows for a sentence: tokens and every stage's matrix per head.
#[wasm_bindgen(unchecked_return_type = "Trace")]
pub fn trace(
    #[wasm_bindgen(unchecked_param_type = "TraceConfig")] config: JsValue,
) -> Result<Object, JsError> {
    let t = trace::trace(&parse_config(&config, MODEL_NAMES[0])?)?;
    Ok(trace_to_js(&t))
}

/// A trace as the JS object `trace()` returns.
pub(super) fn trace_to_js(t: &trace::Trace) -> Object {
    let out = Object::new();
    let m = Object::new();
    set(&m, "name", t.model.name);
    set(&m, "layers", t.model.layers as u32);
    set(&m, "heads", t.model.heads as u32);
    set(&m, "kvHeads", t.model.kv_heads as u32);
    set(&m, "dModel", t.model.d_model as u32);
    set(&m, "headDim", t.model.head_dim as u32);
    set(&out, "model", m);
    let tokens = Object::new();
    let query = tokens_to_js(&t.query_tokens);
    // In self-attention the keys are the queries: one array for both.
    let key = if t.cross {
        tokens_to_js(&t.key_tokens)
    } else {
        query.clone()
    };
    set(&tokens, "query", query);
    set(&tokens, "key", key);
    set(&out, "tokens", tokens);
    set(&out, "cross", t.cross);
    set(&out, "scale", t.scale);
    set(&out, "mask", stats_to_js(&t.mask));
    let layers: Array = t
        .layers
        .iter()
        .map(|l| {
            let lo = Object::new();
            set(&lo, "layer", l.layer as u32);
            let weights: Array = l
                .weights
                .iter()
                .map(|w| {
                    let wo = Object::new();
                    set(&wo, "matrix", w.param.name());
                    set(&wo, "rows", w.rows as u32);
                    set(&wo, "cols", w.cols as u32);
                    set(&wo, "data", Float32Array::from(&w.data[..]));
                    JsValue::from(wo)
                })
                .collect();
            set(&lo, "weights", weights);
            let stages: Array = l.stages.iter().map(matrix_to_js).collect();
            set(&lo, "stages", stages);
            let heads: Array = l
                .heads
                .iter()
                .map(|h| {
                    let ho = Object::new();
                    set(&ho, "head", h.head as u32);
                    set(&ho, "kvHead", h.kv_head as u32);
                    let stages: Array = h.stages.iter().map(matrix_to_js).collect();
                    set(&ho, "stages", stages);
                    set(&ho, "entropy", Float32Array::from(&h.entropy[..]));
                    set(&ho, "maxWeight", Float32Array::from(&h.max_weight[..]));
                    JsValue::from(ho)
                })
                .collect();
            set(&lo, "heads", heads);
            JsValue::from(lo)
        })
        .collect();
    set(&out, "layers", layers);
    out
}

/// The tokens of a text for a model's tokenizer (default: the first model of the catalogue):
/// `{text, start, end}` with UTF-16 offsets.
#[wasm_bindgen(unchecked_return_type = "Token[]")]
pub fn tokenize(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string")] model: JsValue,
) -> Result<Array, JsError> {
    let name = if model.is_undefined() {
        MODEL_NAMES[0].to_string()
    } else {
        model.as_string().ok_or_else(|| {
            js_err(format!(
                "model must be a string (one of: {}), got {}",
                MODEL_NAMES.join(", "),
                super::describe(&model)
            ))
        })?
    };
    let spec = ModelSpec::new(&name, &ModelOptions::default())?;
    let text = text_arg("text", &text)?;
    Ok(tokens_to_js(&spec.tokenize(&text)?))
}
