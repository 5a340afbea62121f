//! `loadModel` and the `Model` class: the real model (all-MiniLM-L6-v2) from its weight file,
//! and `headPatterns`, the measured label of every head of an `attentions()` result.

use super::masks::parse_mask;
use super::trace::{parse_config, trace_to_js};
use super::{js_err, options, parse_object, set, text_arg, Count, ParseError};
use crate::model::minilm::{self, MiniLm, HEADS, LAYERS};
use crate::model::patterns::classify;
use crate::trace::{trace_model, Trace};
use js_sys::{Array, Float32Array, Object, Uint32Array, Uint8Array};
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(typescript_custom_section)]
const TS_MODEL: &'static str = r#"
export interface ModelInfo {
  name: string; layers: number; heads: number; dModel: number; headDim: number; maxTokens: number;
  /** The weight file it was loaded from: "f32", "f16" or "q8". */
  variant: string;
}
export interface WordPieces {
  tokens: string[]; ids: Uint32Array;
  /** start, end pairs, UTF-16 offsets into the text ([CLS] and [SEP]: 0, 0). */
  offsets: Uint32Array;
}
export interface Attentions {
  tokens: string[]; ids: Uint32Array; layers: number; heads: number; seqLen: number;
  /** (layer, head, query, key), row-major. */
  data: Float32Array;
}
/** The learner's knobs, applied to every layer. */
export interface AttentionsOptions { scale?: number; mask?: Mask }
export type HeadPatternName = "previous" | "next" | "self" | "cls" | "sep" | "broad";
export interface HeadPattern {
  layer: number; head: number; pattern: HeadPatternName; title: string;
  /** The average attention weight the pattern explains (broad: the average largest weight). */
  share: number;
}
"#;

#[derive(Deserialize)]
struct LoadConfig {
    name: String,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    weights: JsValue,
    vocab: String,
}

/// A loaded real model: tokenizer, weights, forward pass and trace.
#[wasm_bindgen(js_name = Model)]
pub struct JsModel {
    inner: MiniLm,
}

/// Loads a pretrained model from its weight file (safetensors bytes: f32, f16 or the 8-bit
/// variant) and its `vocab.txt` text.
#[wasm_bindgen(js_name = loadModel)]
pub fn load_model(
    #[wasm_bindgen(
        unchecked_param_type = "{ name: \"minilm-l6\"; weights: Uint8Array; vocab: string }"
    )]
    config: JsValue,
) -> Result<JsModel, JsError> {
    let c: LoadConfig = options("loadModel config", &config)?;
    if c.name != minilm::NAME {
        return Err(js_err(format!(
            "loadModel config: name: no pretrained model \"{}\"; the one there is is \"{}\"",
            c.name,
            minilm::NAME
        )));
    }
    let Some(bytes) = c.weights.dyn_ref::<Uint8Array>() else {
        return Err(js_err(format!(
            "loadModel config: weights must be a Uint8Array (the .safetensors file's bytes), got {}",
            super::describe(&c.weights)
        )));
    };
    crate::error::check_f32_budget("the weight file", Some(bytes.length() as u64 / 4 + 1))
        .map_err(js_err)?;
    let bytes = bytes.to_vec();
    let inner = MiniLm::load(&bytes, &c.vocab).map_err(|e| js_err(format!("loadModel: {e}")))?;
    Ok(JsModel { inner })
}

#[derive(Deserialize)]
struct AttentionsOptions {
    scale: Option<f64>,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    mask: JsValue,
}

#[wasm_bindgen(js_class = Model)]
impl JsModel {
    /// Name and sizes.
    #[wasm_bindgen(unchecked_return_type = "ModelInfo")]
    pub fn info(&self) -> Object {
        let o = Object::new();
        set(&o, "name", minilm::NAME);
        set(&o, "layers", LAYERS as u32);
        set(&o, "heads", HEADS as u32);
        set(&o, "dModel", minilm::D_MODEL as u32);
        set(&o, "headDim", minilm::HEAD_DIM as u32);
        set(&o, "maxTokens", minilm::MAX_TOKENS as u32);
        set(&o, "variant", self.inner.variant());
        o
    }

    /// The wordpieces of a text, `[CLS]` first and `[SEP]` last, with ids and UTF-16 offsets.
    #[wasm_bindgen(unchecked_return_type = "WordPieces")]
    pub fn tokenize(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    ) -> Result<Object, JsError> {
        let text = text_arg("text", &text)?;
        let e = self.inner.encode(&text);
        let o = Object::new();
        set(&o, "tokens", tokens_array(&e.tokens));
        set(&o, "ids", Uint32Array::from(&e.ids[..]));
        let offsets: Vec<u32> = e
            .tokens
            .iter()
            .flat_map(|t| [t.start as u32, t.end as u32])
            .collect();
        set(&o, "offsets", Uint32Array::from(&offsets[..]));
        Ok(o)
    }

    /// Every layer's and head's attention weights for a text, from one forward pass; the
    /// options' scale and mask apply to every layer.
    #[wasm_bindgen(unchecked_return_type = "Attentions")]
    pub fn attentions(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "AttentionsOptions")] opts: JsValue,
    ) -> Result<Object, JsError> {
        let text = text_arg("text", &text)?;
        let (scale, mask) = if opts.is_undefined() || opts.is_null() {
            (None, crate::Mask::None)
        } else {
            let o: AttentionsOptions = options("attentions options", &opts)?;
            (o.scale.map(|s| s as f32), parse_mask(&o.mask, "mask")?)
        };
        let e = self.inner.encode(&text);
        let f = self.inner.forward(&e.ids, &mask, scale)?;
        let o = Object::new();
        set(&o, "tokens", tokens_array(&e.tokens));
        set(&o, "ids", Uint32Array::from(&e.ids[..]));
        set(&o, "layers", LAYERS as u32);
        set(&o, "heads", HEADS as u32);
        set(&o, "seqLen", f.seq_len as u32);
        set(&o, "data", Float32Array::from(&f.maps[..]));
        Ok(o)
    }

    /// The trace of the real model: the same config and result as `trace()` (its `model`, when
    /// given, must be "minilm-l6"; `layer` picks one layer).
    #[wasm_bindgen(unchecked_return_type = "Trace")]
    pub fn trace(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "TraceConfig & { layer?: number }")] config: JsValue,
    ) -> Result<Object, JsError> {
        let input = parse_config(&config, minilm::NAME)?;
        if input.model != crate::model::ModelSpec::MiniLm {
            return Err(js_err(format!(
                "trace config: model: this Model is \"{}\"; use trace() for the others",
                minilm::NAME
            )));
        }
        let t: Trace = trace_model(&mut self.inner, &input)?;
        Ok(trace_to_js(&t))
    }
}

fn tokens_array(tokens: &[crate::model::Token]) -> Array {
    tokens
        .iter()
        .map(|t| JsValue::from(t.text.as_str()))
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttentionsIn {
    layers: Count,
    heads: Count,
    seq_len: Count,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    data: JsValue,
}

/// What each head of an `attentions()` result attends to, measured from its own map:
/// previous / next token, itself, [CLS] (first), [SEP] (last), or broad.
#[wasm_bindgen(js_name = headPatterns, unchecked_return_type = "HeadPattern[]")]
pub fn head_patterns(
    #[wasm_bindgen(
        unchecked_param_type = "{ layers: number; heads: number; seqLen: number; data: Float32Array }"
    )]
    attentions: JsValue,
) -> Result<Array, JsError> {
    let a: AttentionsIn = parse_object(&attentions, &["tokens", "ids"]).map_err(|e| {
        js_err(match e {
            ParseError::NotObject => format!(
                "headPatterns needs the result of attentions(), got {}",
                super::describe(&attentions)
            ),
            ParseError::UnknownField { key, .. } => {
                format!("headPatterns: unknown field `{key}`")
            }
            ParseError::Field { path, message } => format!("headPatterns: {path}: {message}"),
        })
    })?;
    let Some(data) = a.data.dyn_ref::<Float32Array>() else {
        return Err(js_err("headPatterns: data must be a Float32Array"));
    };
    let (layers, heads, n) = (a.layers.0, a.heads.0, a.seq_len.0);
    let want = (layers as u64) * (heads as u64) * (n as u64) * (n as u64);
    if want != data.length() as u64 {
        return Err(js_err(format!(
            "headPatterns: data has {} numbers, but layers x heads x seqLen² is {want}",
            data.length()
        )));
    }
    let data = data.to_vec();
    // BERT's [CLS] and [SEP] at the ends (an attentions() result always has them).
    let special_ends = n >= 2;
    let out = Array::new();
    for l in 0..layers {
        for h in 0..heads {
            let map = &data[(l * heads + h) * n * n..][..n * n];
            let (p, share) = classify(map, n, special_ends);
            let o = Object::new();
            set(&o, "layer", l as u32);
            set(&o, "head", h as u32);
            set(&o, "pattern", p.name());
            set(&o, "title", p.title());
            set(&o, "share", share);
            out.push(&o);
        }
    }
    Ok(out)
}
