//! The WebGPU path: flash attention in WGSL, planned in Rust.
//!
//! - [`plan`]: pure Rust, built on every target: everything the shader needs from a
//!   [`crate::Problem`] (constants, uniform block, buffer and dispatch sizes, the mask's tile
//!   table), unit-tested natively, so that each host stays a thin driver.
//! - `attention.wgsl`: the kernel (entry points `attend` and `merge`), shared by both hosts.
//! - [`native`] (feature `gpu`, native only): the host on wgpu (Vulkan: lavapipe on CI, a real
//!   GPU where there is one), used by `tests/gpu.rs` and the GPU benchmark.
//!
//! - [`web`] (wasm32 only): the browser host, WebGPU through web-sys from the engine worker's own
//!   thread, behind `attentionAsync({backend: "webgpu"})` (crate::backend).

pub mod plan;

#[cfg(all(feature = "gpu", not(target_arch = "wasm32")))]
pub mod native;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use plan::{Limits, Plan, MAX_HEAD_DIM};
