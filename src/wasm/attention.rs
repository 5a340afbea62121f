//! `attention` and `attentionAsync`.

use super::masks::{check_at, parse_mask};
use super::{js_err, options, Count};
use crate::backend::{self, BackendChoice};
use crate::kernels::{self, Kernel, Problem, Shape};
use crate::reference;
use js_sys::Float32Array;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(typescript_custom_section)]
const TS_ATTENTION: &'static str = r#"
export interface AttentionOptions {
  heads: number;
  kvHeads?: number;          // default heads; must divide heads (1: MQA, heads: MHA, between: GQA)
  headDim: number;
  mask?: Mask;               // default {kind: "none"}
  scale?: number;            // default 1/sqrt(headDim); any positive factor, 1 for "no scaling"
  /** default: what buildInfo(shape).kernel reports ("tiled", or "rows" for fewer than 4 queries
   *  without threads); also "rows", "scalar", "reference", or a full name such as "tiled/portable" */
  kernel?: string;
}

/** Where attentionAsync computes: "auto" (default) picks the CPU unless WebGPU on a hardware
 *  adapter was measured faster for problems of this size; "cpu" the CPU kernels; "webgpu" the
 *  WGSL kernel, or an Error saying why it cannot run (no adapter, headDim > 256, a buffer too
 *  large, a lost device). */
export type BackendName = "auto" | "cpu" | "webgpu";

export interface AttentionAsyncOptions extends AttentionOptions {
  backend?: BackendName;
}
"#;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttentionOptions {
    heads: Count,
    kv_heads: Option<Count>,
    head_dim: Count,
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    mask: JsValue,
    scale: Option<f64>,
    /// "tiled" (default), "rows", "scalar", "reference", or a full name such as "tiled/simd128".
    kernel: Option<String>,
}

/// What a request asks to run: a kernel by name, the reference, or the backend's default.
enum Run {
    Default,
    Kernel(Kernel),
    Reference,
}

/// A parsed and validated request: inputs copied out of JS, sizes checked, mask parsed.
struct Request {
    shape: Shape,
    scale: Option<f32>,
    mask: crate::Mask,
    run: Run,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
}

fn float32(name: &str, v: &JsValue) -> Result<Float32Array, JsError> {
    v.dyn_ref::<Float32Array>().cloned().ok_or_else(|| {
        js_err(format!(
            "{name} must be a Float32Array, got {}",
            super::describe(v)
        ))
    })
}

impl Request {
    fn parse(
        q: &JsValue,
        k: &JsValue,
        v: &JsValue,
        opts: AttentionOptions,
    ) -> Result<Request, JsError> {
        let (q, k, v) = (float32("q", q)?, float32("k", k)?, float32("v", v)?);
        let heads = opts.heads.0;
        let kv_heads = opts.kv_heads.map_or(heads, |c| c.0);
        let head_dim = opts.head_dim.0;
        // The sequence lengths follow from the buffers' lengths; the sizes are checked (all
        // positive, kvHeads divides heads, memory budget) by Shape::validate, once with one
        // token each so that the divisions below make sense, then with the real lengths.
        let one = Shape {
            heads,
            kv_heads,
            seq_q: 1,
            seq_kv: 1,
            head_dim,
        };
        one.validate()?;
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
        let seq_q = seq_of("q", q.length() as usize, one.q_len())?;
        let seq_kv = seq_of("k", k.length() as usize, one.kv_len())?;
        if v.length() != k.length() {
            return Err(js_err(format!(
                "v has {} numbers but k has {}; they must match",
                v.length(),
                k.length()
            )));
        }
        let shape = Shape {
            seq_q,
            seq_kv,
            ..one
        };
        shape.validate()?;
        let mask = parse_mask(&opts.mask, "mask")?;
        check_at(&mask, seq_q, seq_kv)?;
        let run = match opts.kernel.as_deref() {
            None => Run::Default,
            Some("reference") => Run::Reference,
            Some(name) => Run::Kernel(Kernel::parse(name)?),
        };
        Ok(Request {
            shape,
            scale: opts.scale.map(|s| s as f32),
            mask,
            run,
            q: q.to_vec(),
            k: k.to_vec(),
            v: v.to_vec(),
        })
    }
}

/// Multi-head attention: `softmax(mask(scale * Q K^T)) V` for every head.
///
/// `q` is `heads*seqQ*headDim` in (head, position, dim) order, `k` and `v` are
/// `kvHeads*seqKv*headDim`; returns `heads*seqQ*headDim`.
#[wasm_bindgen(unchecked_return_type = "Float32Array")]
pub fn attention(
    #[wasm_bindgen(unchecked_param_type = "Float32Array")] q: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Float32Array")] k: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Float32Array")] v: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AttentionOptions")] options: JsValue,
) -> Result<Float32Array, JsError> {
    let opts: AttentionOptions = self::options("attention options", &options)?;
    let r = Request::parse(&q, &k, &v, opts)?;
    let problem = Problem::new(r.shape, r.scale, &r.mask)?;
    let out = match r.run {
        Run::Reference => {
            problem.check_inputs(&r.q, &r.k, &r.v)?;
            reference::attention(&problem, &r.q, &r.k, &r.v)
        }
        Run::Kernel(kernel) => kernels::attention(kernel, &problem, &r.q, &r.k, &r.v)?,
        Run::Default => kernels::attention(Kernel::best_for(&r.shape), &problem, &r.q, &r.k, &r.v)?,
    };
    Ok(Float32Array::from(&out[..]))
}

/// The same as `attention`, as a Promise, through the backend level: `options.backend` ("auto",
/// the default, "cpu" or "webgpu") picks the engine (crate::backend). The inputs are read when the
/// computation starts, a microtask after the call: leave them unchanged until it settles.
#[wasm_bindgen(js_name = attentionAsync, unchecked_return_type = "Float32Array")]
pub async fn attention_async(
    #[wasm_bindgen(unchecked_param_type = "Float32Array")] q: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Float32Array")] k: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Float32Array")] v: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AttentionAsyncOptions")] options: JsValue,
) -> Result<Float32Array, JsError> {
    // attention()'s options, plus `backend`.
    let opts: AttentionOptions =
        super::options_with("attentionAsync options", &options, &["backend"])?;
    let backend = js_sys::Reflect::get(&options, &"backend".into()).unwrap_or_default();
    let choice = if backend.is_undefined() || backend.is_null() {
        BackendChoice::Auto
    } else {
        let name = backend.as_string().ok_or_else(|| {
            js_err(format!(
                "attentionAsync options: backend must be a string, got {}",
                super::describe(&backend)
            ))
        })?;
        BackendChoice::parse(&name)
            .map_err(|e| js_err(format!("attentionAsync options: backend: {e}")))?
    };
    let r = Request::parse(&q, &k, &v, opts)?;
    let problem = Problem::new(r.shape, r.scale, &r.mask)?;
    let out = match r.run {
        Run::Reference if choice == BackendChoice::WebGpu => {
            return Err(js_err(
                "kernel \"reference\" runs on the CPU; backend \"webgpu\" runs the WGSL kernel, so leave kernel out or use backend \"cpu\"",
            ))
        }
        Run::Reference => {
            problem.check_inputs(&r.q, &r.k, &r.v)?;
            reference::attention(&problem, &r.q, &r.k, &r.v)
        }
        Run::Kernel(kernel) => {
            backend::compute(choice, Some(kernel), &problem, &r.q, &r.k, &r.v)
                .await?
                .0
        }
        Run::Default => {
            backend::compute(choice, None, &problem, &r.q, &r.k, &r.v)
                .await?
                .0
        }
    };
    Ok(Float32Array::from(&out[..]))
}
