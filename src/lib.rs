//! attention-playground: transformer attention, readable and fast, for the browser.
//!
//! - [`reference`]: every stage of attention as a small ndarray function, the truth.
//! - [`mask`]: one composable mask type (causal, padding, windows, global+local, block-sparse,
//!   strided, custom, and their combinations).
//! - [`kernels`]: fast kernels on flat f32 slices (scalar, 4-lane vector, tiled online softmax),
//!   each tested against the reference.
//! - [`model`]: models behind one trait (the toy model first), each with its card: sizes, stages,
//!   editable matrices, options.
//! - [`stage`]: the one stage vocabulary (names, titles, formulas, captions, axes).
//! - [`trace`]: the per-layer, per-head, per-stage trace of any model.
//! - [`backend`]: which engine computes a request (the CPU kernels today; WebGPU slots in here).
//! - [`gpu`]: the WebGPU kernel: the WGSL flash attention, its planner (pure Rust, every target)
//!   and, with the `gpu` feature, its native host on wgpu.
//! - `wasm` (wasm32 only): the JavaScript API, a thin layer over the above.

pub mod backend;
pub mod error;
pub mod gpu;
pub mod kernels;
pub mod mask;
pub mod model;
pub mod reference;
pub mod stage;
pub mod trace;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
pub use kernels::{attention, Isa, Kernel, Problem, Shape};
pub use mask::{BlockPattern, Mask, MaskStats};
pub use model::{Model, ModelCard, ModelSpec};
pub use trace::{trace, Stage, Trace, TraceInput, TraceRequest};
