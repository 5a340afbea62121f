//! The JavaScript API: a thin layer that parses JS values, calls the engine and converts back.
//!
//! Every bad input becomes a JS `Error` whose message names the offending field; nothing here
//! panics on user input. TypeScript signatures are in README.md.

use crate::kernels::{self, Kernel, Problem, Shape};
use crate::mask::{BlockPattern, Mask, MaskStats};
use crate::model::{Override, Param, Token, ToyConfig};
use crate::trace::{self, Matrix, Stage, TraceInput, TraceRequest};
use crate::{reference, Error};
use js_sys::{Array, Float32Array, Object, Reflect, Uint8Array};
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

// `initThreadPool(n)` (threaded builds only): starts n rayon workers sharing this module's memory.
// Call it once, from a Web Worker (the main thread may not block on Atomics.wait).
#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

// ---------------------------------------------------------------------------------------------
// attention()

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttentionOptions {
    heads: usize,
    kv_heads: Option<usize>,
    head_dim: usize,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    mask: JsValue,
    scale: Option<f64>,
    /// "tiled" (default), "rows", "scalar", "reference", or a full name such as "tiled/simd128".
    kernel: Option<String>,
}

fn float32(name: &str, v: &JsValue) -> Result<Vec<f32>, JsError> {
    match v.dyn_ref::<Float32Array>() {
        Some(a) => Ok(a.to_vec()),
        None => Err(js_err(format!(
            "{name} must be a Float32Array, got {}",
            describe(v)
        ))),
    }
}

fn describe(v: &JsValue) -> String {
    if v.is_undefined() {
        "undefined".into()
    } else if v.is_null() {
        "null".into()
    } else if Array::is_array(v) {
        "an Array".into()
    } else {
        v.js_typeof()
            .as_string()
            .unwrap_or_else(|| "a value".into())
    }
}

/// Parses an options object, refusing fields outside `fields` (serde-wasm-bindgen only looks up
/// the fields it knows, so a typo such as `head_dim` would otherwise pass unnoticed).
fn options<T: for<'de> Deserialize<'de>>(
    what: &str,
    v: JsValue,
    fields: &[&str],
) -> Result<T, JsError> {
    if !v.is_object() || Array::is_array(&v) {
        return Err(js_err(format!(
            "{what} must be an object, got {}",
            describe(&v)
        )));
    }
    for key in Object::keys::<JsValue>(v.unchecked_ref()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !fields.contains(&key.as_str()) {
            return Err(js_err(format!(
                "{what}: unknown field `{key}`, expected one of {}",
                fields.join(", ")
            )));
        }
    }
    serde_wasm_bindgen::from_value(v).map_err(|e| {
        let msg = e.to_string();
        js_err(format!(
            "{what}: {}",
            msg.strip_prefix("Error: ").unwrap_or(&msg)
        ))
    })
}

fn scale_of(scale: Option<f64>) -> Option<f32> {
    scale.map(|s| s as f32)
}

/// Multi-head attention: `softmax(mask(scale * Q K^T)) V` for every head.
///
/// `q` is `heads*seqQ*headDim` in (head, position, dim) order, `k` and `v` are
/// `kvHeads*seqKv*headDim`; returns `heads*seqQ*headDim`. See README for `options`.
#[wasm_bindgen]
pub fn attention(
    q: JsValue,
    k: JsValue,
    v: JsValue,
    options: JsValue,
) -> Result<Float32Array, JsError> {
    let opts: AttentionOptions = self::options(
        "attention options",
        options,
        &["heads", "kvHeads", "headDim", "mask", "scale", "kernel"],
    )?;
    let (q, k, v) = (float32("q", &q)?, float32("k", &k)?, float32("v", &v)?);
    let kv_heads = opts.kv_heads.unwrap_or(opts.heads);
    let (heads, head_dim) = (opts.heads, opts.head_dim);
    if heads == 0 || kv_heads == 0 || head_dim == 0 {
        return Err(js_err(if head_dim == 0 {
            "headDim must be at least 1"
        } else {
            "heads and kvHeads must be at least 1"
        }));
    }
    if heads % kv_heads != 0 {
        // Shape::validate says the same; checked first so that the lengths below make sense.
        Shape {
            heads,
            kv_heads,
            seq_q: 1,
            seq_kv: 1,
            head_dim,
        }
        .validate()?;
    }
    let seq_of = |name: &str, len: usize, per: usize| -> Result<usize, JsError> {
        if len == 0 {
            return Err(js_err(format!(
                "{name} is empty: it needs at least one token"
            )));
        }
        if !len.is_multiple_of(per) {
            return Err(js_err(format!(
                "{name} has {len} numbers, which is not a multiple of {} (heads) x {head_dim} (headDim) = {per}",
                per / head_dim
            )));
        }
        Ok(len / per)
    };
    let seq_q = seq_of("q", q.len(), heads * head_dim)?;
    let seq_kv = seq_of("k", k.len(), kv_heads * head_dim)?;
    if v.len() != k.len() {
        return Err(js_err(format!(
            "v has {} numbers but k has {}; they must match",
            v.len(),
            k.len()
        )));
    }
    let mask = parse_mask(&opts.mask, "mask", 0)?;
    let shape = Shape {
        heads,
        kv_heads,
        seq_q,
        seq_kv,
        head_dim,
    };
    let problem = Problem::new(shape, scale_of(opts.scale), &mask)?;
    let out = match opts.kernel.as_deref() {
        Some("reference") => {
            problem.check_inputs(&q, &k, &v)?;
            reference::attention(&problem, &q, &k, &v)
        }
        name => {
            let kernel = name
                .map(Kernel::parse)
                .transpose()?
                .unwrap_or_else(|| Kernel::best_for(&shape));
            kernels::attention(kernel, &problem, &q, &k, &v)?
        }
    };
    Ok(Float32Array::from(&out[..]))
}

/// The same as `attention`, as a Promise. The page calls this one, so that a backend that
/// finishes later (WebGPU) can answer without any caller changing.
#[wasm_bindgen(js_name = attentionAsync)]
pub fn attention_async(q: JsValue, k: JsValue, v: JsValue, options: JsValue) -> js_sys::Promise {
    match attention(q, k, v, options) {
        Ok(out) => js_sys::Promise::resolve(&JsValue::from(out)),
        Err(e) => js_sys::Promise::reject(&JsValue::from(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// Masks from JS values

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn usize_of(v: &JsValue, path: &str) -> Result<usize, String> {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 && (0.0..=4_294_967_295.0).contains(&x) => Ok(x as usize),
        Some(x) => Err(format!(
            "{path} must be a whole number of at least 0, got {x}"
        )),
        None => Err(format!("{path} must be a number, got {}", describe(v))),
    }
}

fn required_usize(obj: &JsValue, key: &str, path: &str) -> Result<usize, String> {
    let v = get(obj, key);
    if v.is_undefined() {
        return Err(format!("{path}.{key} is missing"));
    }
    usize_of(&v, &format!("{path}.{key}"))
}

fn optional_usize(obj: &JsValue, key: &str, path: &str, default: usize) -> Result<usize, String> {
    let v = get(obj, key);
    if v.is_undefined() || v.is_null() {
        return Ok(default);
    }
    usize_of(&v, &format!("{path}.{key}"))
}

fn optional_bool(obj: &JsValue, key: &str, path: &str) -> Result<bool, String> {
    let v = get(obj, key);
    if v.is_undefined() || v.is_null() {
        return Ok(false);
    }
    v.as_bool()
        .ok_or_else(|| format!("{path}.{key} must be true or false, got {}", describe(&v)))
}

/// A list of booleans from a Uint8Array (non-zero = true) or an Array of booleans or 0/1.
fn bool_list(obj: &JsValue, key: &str, path: &str) -> Result<Vec<bool>, String> {
    let v = get(obj, key);
    if let Some(a) = v.dyn_ref::<Uint8Array>() {
        return Ok(a.to_vec().into_iter().map(|b| b != 0).collect());
    }
    if !Array::is_array(&v) {
        return Err(format!(
            "{path}.{key} must be a Uint8Array or an Array of booleans, got {}",
            describe(&v)
        ));
    }
    Array::from(&v)
        .iter()
        .enumerate()
        .map(|(i, x)| match (x.as_bool(), x.as_f64()) {
            (Some(b), _) => Ok(b),
            (_, Some(n)) if n == 0.0 || n == 1.0 => Ok(n == 1.0),
            _ => Err(format!(
                "{path}.{key}[{i}] must be true/false or 0/1, got {}",
                describe(&x)
            )),
        })
        .collect()
}

fn usize_list(obj: &JsValue, key: &str, path: &str) -> Result<Vec<usize>, String> {
    let v = get(obj, key);
    if v.is_undefined() {
        return Err(format!("{path}.{key} is missing"));
    }
    if !Array::is_array(&v) && !v.is_instance_of::<js_sys::Object>() {
        return Err(format!("{path}.{key} must be an Array of token indices"));
    }
    let arr = Array::from(&v);
    arr.iter()
        .enumerate()
        .map(|(i, x)| usize_of(&x, &format!("{path}.{key}[{i}]")))
        .collect()
}

fn check_keys(obj: &JsValue, allowed: &[&str], path: &str, kind: &str) -> Result<(), String> {
    for key in Object::keys::<JsValue>(obj.unchecked_ref()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !allowed.contains(&key.as_str()) {
            return Err(format!(
                "{path} of kind \"{kind}\" has an unknown field \"{key}\"; its fields are: {}",
                allowed.join(", ")
            ));
        }
    }
    Ok(())
}

const MASK_KINDS: &str =
    "none, causal, padding, window, global-local, block-sparse, strided, custom, all, any";

/// Parses `{kind: ...}` (undefined or null means no mask).
fn parse_mask(v: &JsValue, path: &str, depth: usize) -> Result<Mask, JsError> {
    parse_mask_inner(v, path, depth).map_err(js_err)
}

fn parse_mask_inner(v: &JsValue, path: &str, depth: usize) -> Result<Mask, String> {
    if v.is_undefined() || v.is_null() {
        return Ok(Mask::None);
    }
    if depth > 16 {
        return Err(format!("{path}: masks nest too deeply"));
    }
    if !v.is_object() || Array::is_array(v) {
        return Err(format!(
            "{path} must be an object such as {{kind: \"causal\"}}, got {}",
            describe(v)
        ));
    }
    let kind = get(v, "kind")
        .as_string()
        .ok_or_else(|| format!("{path}.kind must be one of: {MASK_KINDS}"))?;
    let keys = |allowed: &[&str]| check_keys(v, allowed, path, &kind);
    Ok(match kind.as_str() {
        "none" => {
            keys(&["kind"])?;
            Mask::None
        }
        "causal" => {
            keys(&["kind"])?;
            Mask::Causal
        }
        "padding" => {
            keys(&["kind", "keep"])?;
            Mask::Padding {
                keep: bool_list(v, "keep", path)?,
            }
        }
        "window" => {
            keys(&["kind", "size", "causal"])?;
            Mask::Window {
                size: required_usize(v, "size", path)?,
                causal: optional_bool(v, "causal", path)?,
            }
        }
        "global-local" => {
            keys(&["kind", "globals", "size"])?;
            Mask::global_local(
                usize_list(v, "globals", path)?,
                required_usize(v, "size", path)?,
            )
        }
        "block-sparse" => {
            keys(&[
                "kind", "block", "layout", "local", "random", "seed", "causal",
            ])?;
            let block = required_usize(v, "block", path)?;
            let pattern = if get(v, "layout").is_undefined() {
                BlockPattern::Generated {
                    local: optional_usize(v, "local", path, 0)?,
                    random: optional_usize(v, "random", path, 0)?,
                    seed: optional_usize(v, "seed", path, 0)? as u64,
                    causal: optional_bool(v, "causal", path)?,
                }
            } else {
                BlockPattern::Layout(bool_list(v, "layout", path)?)
            };
            Mask::BlockSparse { block, pattern }
        }
        "strided" => {
            keys(&["kind", "stride", "causal"])?;
            Mask::Strided {
                stride: required_usize(v, "stride", path)?,
                causal: optional_bool(v, "causal", path)?,
            }
        }
        "custom" => {
            keys(&["kind", "allowed"])?;
            Mask::Custom {
                allowed: bool_list(v, "allowed", path)?,
            }
        }
        "all" | "any" => {
            keys(&["kind", "masks"])?;
            let list = get(v, "masks");
            if !Array::is_array(&list) {
                return Err(format!("{path}.masks must be an Array of masks"));
            }
            let masks = Array::from(&list)
                .iter()
                .enumerate()
                .map(|(i, m)| parse_mask_inner(&m, &format!("{path}.masks[{i}]"), depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            if kind == "all" {
                Mask::All(masks)
            } else {
                Mask::Any(masks)
            }
        }
        other => {
            return Err(format!(
                "{path}.kind \"{other}\" is not a mask kind; use one of: {MASK_KINDS}"
            ))
        }
    })
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

fn stats_to_js(s: &MaskStats) -> Object {
    let o = Object::new();
    set(&o, "allowedPairs", s.allowed_pairs as f64);
    set(&o, "totalPairs", s.total_pairs as f64);
    set(
        &o,
        "emptyRows",
        s.empty_rows
            .iter()
            .map(|&r| JsValue::from(r as u32))
            .collect::<Array>(),
    );
    o
}

/// What a mask keeps at these lengths: `{allowedPairs, totalPairs, emptyRows}`.
#[wasm_bindgen(js_name = maskInfo)]
pub fn mask_info(mask: JsValue, seq_q: u32, seq_kv: u32) -> Result<Object, JsError> {
    if seq_q == 0 || seq_kv == 0 {
        return Err(js_err("seqQ and seqKv must be at least 1"));
    }
    let mask = parse_mask(&mask, "mask", 0)?;
    let view = mask.view(seq_q as usize, seq_kv as usize)?;
    Ok(stats_to_js(&view.stats()))
}

// ---------------------------------------------------------------------------------------------
// trace()

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TraceConfig {
    sentence: String,
    context: Option<String>,
    d_model: Option<usize>,
    heads: Option<usize>,
    kv_heads: Option<usize>,
    seed: Option<u32>,
    positional: Option<bool>,
    scale: Option<f64>,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    mask: JsValue,
    #[serde(default)]
    overrides: Vec<OverrideSpec>,
    only: Option<OnlySpec>,
}

#[derive(Deserialize)]
struct OverrideSpec {
    matrix: String,
    row: usize,
    col: usize,
    value: f64,
}

#[derive(Deserialize)]
struct OnlySpec {
    layers: Option<Vec<usize>>,
    heads: Option<Vec<usize>>,
    stages: Option<Vec<String>>,
}

fn tokens_to_js(tokens: &[Token]) -> Array {
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
    set(&o, "stage", m.stage.name());
    set(&o, "rows", m.rows as u32);
    set(&o, "cols", m.cols as u32);
    set(&o, "rowAxis", m.row_axis.name());
    set(&o, "colAxis", m.col_axis.name());
    set(&o, "data", Float32Array::from(&m.data[..]));
    o.into()
}

/// Everything the teaching page shows for a sentence: tokens and every stage's matrix per head.
#[wasm_bindgen]
pub fn trace(config: JsValue) -> Result<Object, JsError> {
    let c: TraceConfig = options(
        "trace config",
        config,
        &[
            "sentence",
            "context",
            "dModel",
            "heads",
            "kvHeads",
            "seed",
            "positional",
            "scale",
            "mask",
            "overrides",
            "only",
        ],
    )?;
    let defaults = ToyConfig::default();
    let heads = c.heads.unwrap_or(defaults.heads);
    let model = ToyConfig {
        d_model: c.d_model.unwrap_or(defaults.d_model),
        heads,
        kv_heads: c.kv_heads.unwrap_or(heads),
        seed: c.seed.unwrap_or(defaults.seed as u32) as u64,
        positional: c.positional.unwrap_or(true),
    };
    let overrides = c
        .overrides
        .iter()
        .map(|o| {
            Ok(Override {
                matrix: Param::parse(&o.matrix)?,
                row: o.row,
                col: o.col,
                value: o.value as f32,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let request = match c.only {
        None => TraceRequest::default(),
        Some(o) => TraceRequest {
            layers: o.layers,
            heads: o.heads,
            stages: o
                .stages
                .map(|s| {
                    s.iter()
                        .map(|n| Stage::parse(n))
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?,
        },
    };
    let input = TraceInput {
        sentence: c.sentence,
        context: c.context,
        model,
        scale: scale_of(c.scale),
        mask: parse_mask(&c.mask, "mask", 0)?,
        overrides,
        request,
    };
    let t = trace::trace(&input)?;

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
    set(&tokens, "query", tokens_to_js(&t.query_tokens));
    set(&tokens, "key", tokens_to_js(&t.key_tokens));
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
            set(
                &lo,
                "stages",
                l.stages.iter().map(matrix_to_js).collect::<Array>(),
            );
            let heads: Array = l
                .heads
                .iter()
                .map(|h| {
                    let ho = Object::new();
                    set(&ho, "head", h.head as u32);
                    set(&ho, "kvHead", h.kv_head as u32);
                    set(
                        &ho,
                        "stages",
                        h.stages.iter().map(matrix_to_js).collect::<Array>(),
                    );
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
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Vocabulary and build facts

/// The stage vocabulary, in lesson order: `{name, title, formula, caption, perHead, rowAxis, colAxis}`.
#[wasm_bindgen]
pub fn stages() -> Array {
    Stage::ALL
        .iter()
        .map(|s| {
            let o = Object::new();
            set(&o, "name", s.name());
            set(&o, "title", s.title());
            set(&o, "formula", s.formula());
            set(&o, "caption", s.caption());
            set(&o, "perHead", s.per_head());
            set(&o, "rowAxis", s.axes().0.name());
            set(&o, "colAxis", s.axes().1.name());
            JsValue::from(o)
        })
        .collect()
}

/// Word-level tokens of a text: `{text, start, end}` with UTF-16 offsets.
#[wasm_bindgen]
pub fn tokenize(text: &str) -> Array {
    tokens_to_js(&crate::model::tokenize(text))
}

/// Threads the kernels run on: the rayon pool's size once `initThreadPool` has run, else 1.
fn threads() -> usize {
    #[cfg(feature = "threads")]
    {
        rayon::current_num_threads()
    }
    #[cfg(not(feature = "threads"))]
    {
        1
    }
}

/// What this module was built with and runs on:
/// `{simd, kernels, defaultKernel, threads, atomics, version}`.
#[wasm_bindgen(js_name = buildInfo)]
pub fn build_info() -> Object {
    let o = Object::new();
    let simd = if cfg!(target_feature = "relaxed-simd") {
        "relaxed-simd"
    } else if cfg!(target_feature = "simd128") {
        "simd128"
    } else {
        "none"
    };
    set(&o, "simd", simd);
    set(
        &o,
        "kernels",
        Kernel::all()
            .into_iter()
            .map(|k| JsValue::from(k.name()))
            .collect::<Array>(),
    );
    set(&o, "defaultKernel", Kernel::best().name());
    set(&o, "threads", threads() as u32);
    set(&o, "atomics", cfg!(feature = "threads"));
    set(&o, "version", env!("CARGO_PKG_VERSION"));
    o
}
