//! `stages` and `buildInfo`: the vocabulary and the facts of this build.

use super::{options, set, Count};
use crate::backend::{Backend, BackendChoice};
use crate::kernels::{Kernel, Shape};
use crate::model::{catalog, ModelCard, OptionKind};
use crate::trace::Stage;
use js_sys::{Array, Object};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_INFO: &'static str = r#"
export interface StageInfo {
  name: StageName; title: string; formula: string; caption: string; perHead: boolean;
  rowAxis: AxisName; colAxis: AxisName;
}

/** The sizes of one attention problem, as attention() derives them from its inputs. */
export interface ShapeInfo { heads: number; kvHeads?: number; seqQ: number; seqKv: number; headDim: number }

export interface BuildInfo {
  simd: "none" | "simd128" | "relaxed-simd";
  kernels: string[];
  /** The kernel attention() runs for many query rows; decodeKernel for fewer than 4. */
  defaultKernel: string;
  decodeKernel: string;
  /** With a shape: the kernel attention() runs for it. */
  kernel?: string;
  threads: number;
  atomics: boolean;
  version: string;
}

/** One card of the model catalogue (see README): its sizes at the defaults, stages, editable
 *  matrices and options. */
export interface ModelCard {
  name: string; title: string; description: string; tokens: string; maxTokens: number;
  layers: number; heads: number; kvHeads: number; dModel: number; headDim: number;
  stages: StageName[];
  /** "seeded": built from a seed, nothing to load; "file": pretrained, loadModel() first. */
  weights: "seeded" | "file";
  /** Does it take a context sentence (cross-attention)? */
  crossAttention: boolean;
  /** Each stage's formula in this model (biases, learned positions). */
  formulas: Partial<Record<StageName, string>>;
  /** The matrices a learner may edit; `stage` is the stage each one makes (W_Q: "query"). */
  editable: { matrix: MatrixName; title: string; stage: StageName; rows: AxisName; cols: AxisName }[];
  options: ({ name: string; kind: "int"; min: number; max: number; default: number; title: string;
              multipleOf?: string; divides?: string }
          | { name: string; kind: "bool"; default: boolean; title: string })[];
}
"#;

/// The stage vocabulary, in lesson order: `{name, title, formula, caption, perHead, rowAxis, colAxis}`.
#[wasm_bindgen(unchecked_return_type = "StageInfo[]")]
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShapeSpec {
    heads: Count,
    kv_heads: Option<Count>,
    seq_q: Count,
    seq_kv: Count,
    head_dim: Count,
}

/// The kernel `attention()` runs for a shape with the default backend.
fn kernel_for(shape: &Shape) -> String {
    Backend::choose(shape, BackendChoice::Auto)
        .kernel(shape)
        .name()
}

/// What this module was built with and runs on:
/// `{simd, kernels, defaultKernel, decodeKernel, kernel?, threads, atomics, version}`; with a
/// shape `{heads, kvHeads?, seqQ, seqKv, headDim}`, `kernel` is what attention() runs for it.
#[wasm_bindgen(js_name = buildInfo, unchecked_return_type = "BuildInfo")]
pub fn build_info(
    #[wasm_bindgen(unchecked_optional_param_type = "ShapeInfo")] shape: JsValue,
) -> Result<Object, JsError> {
    let o = Object::new();
    if !shape.is_undefined() {
        let s: ShapeSpec = options("buildInfo shape", &shape)?;
        let shape = Shape {
            heads: s.heads.0,
            kv_heads: s.kv_heads.map_or(s.heads.0, |k| k.0),
            seq_q: s.seq_q.0,
            seq_kv: s.seq_kv.0,
            head_dim: s.head_dim.0,
        };
        shape.validate()?;
        set(&o, "kernel", kernel_for(&shape));
    }
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
    // What attention() runs for many query rows (a prompt) and for one (decoding).
    let many = Shape {
        heads: 1,
        kv_heads: 1,
        seq_q: 1024,
        seq_kv: 1024,
        head_dim: 64,
    };
    set(&o, "defaultKernel", kernel_for(&many));
    set(&o, "decodeKernel", kernel_for(&Shape { seq_q: 1, ..many }));
    set(&o, "threads", threads() as u32);
    set(&o, "atomics", cfg!(feature = "threads"));
    set(&o, "version", env!("CARGO_PKG_VERSION"));
    Ok(o)
}

fn card_to_js(c: &ModelCard) -> Object {
    let o = Object::new();
    set(&o, "name", c.name);
    set(&o, "title", c.title);
    set(&o, "description", c.description);
    set(&o, "tokens", c.tokens.name());
    set(&o, "maxTokens", c.max_tokens as u32);
    set(&o, "layers", c.layers as u32);
    set(&o, "heads", c.heads as u32);
    set(&o, "kvHeads", c.kv_heads as u32);
    set(&o, "dModel", c.d_model as u32);
    set(&o, "headDim", c.head_dim as u32);
    let stages: Array = c.stages.iter().map(|s| JsValue::from(s.name())).collect();
    set(&o, "stages", stages);
    set(&o, "weights", c.weights.name());
    set(&o, "crossAttention", c.cross_attention);
    let formulas = Object::new();
    for s in &c.stages {
        set(&formulas, s.name(), c.formula(*s));
    }
    set(&o, "formulas", formulas);
    let editable: Array = c
        .editable
        .iter()
        .map(|e| {
            let eo = Object::new();
            set(&eo, "matrix", e.matrix.name());
            set(&eo, "title", e.title);
            set(&eo, "stage", e.stage.name());
            set(&eo, "rows", e.rows.name());
            set(&eo, "cols", e.cols.name());
            JsValue::from(eo)
        })
        .collect();
    set(&o, "editable", editable);
    let options: Array = c
        .options
        .iter()
        .map(|spec| {
            let so = Object::new();
            set(&so, "name", spec.name);
            set(&so, "title", spec.title);
            match spec.kind {
                OptionKind::Int {
                    min,
                    max,
                    default,
                    multiple_of,
                    divides,
                } => {
                    set(&so, "kind", "int");
                    set(&so, "min", min as f64);
                    set(&so, "max", max as f64);
                    set(&so, "default", default as f64);
                    if let Some(m) = multiple_of {
                        set(&so, "multipleOf", m);
                    }
                    if let Some(d) = divides {
                        set(&so, "divides", d);
                    }
                }
                OptionKind::Bool { default } => {
                    set(&so, "kind", "bool");
                    set(&so, "default", default);
                }
            }
            JsValue::from(so)
        })
        .collect();
    set(&o, "options", options);
    o
}

/// The model catalogue, one card per model, the default model first: its sizes at the defaults,
/// the stages it has, the matrices a learner may edit and the options the trace config takes.
#[wasm_bindgen(unchecked_return_type = "ModelCard[]")]
pub fn models() -> Array {
    catalog()
        .iter()
        .map(|c| JsValue::from(card_to_js(c)))
        .collect()
}
