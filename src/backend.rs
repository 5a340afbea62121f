//! The level above the kernels: which engine computes an attention request.
//!
//! Two backends: the CPU kernels of [`crate::kernels`] (SIMD and threads as built) and, in the
//! browser, the WGSL kernel through WebGPU ([`crate::gpu::web`]). A caller names a
//! [`BackendChoice`] ("auto" or a backend by name) and awaits [`compute`], which says which
//! backend ran. `attention()` stays synchronous on the CPU; `attentionAsync` comes through here.
//!
//! # What "auto" picks
//! The CPU, unless all of these hold (so on a software adapter such as SwiftShader, and in any
//! browser without WebGPU, auto is always the CPU):
//! 1. no CPU kernel was named (`kernel` names a CPU kernel);
//! 2. the problem has at least [`AUTO_MIN_WORK`] multiply-adds (`heads x seqQ x seqKv x
//!    headDim`): below that a dispatch and a read-back cost more than the CPU's whole answer;
//!    and its head dimension is one the WGSL kernel takes ([`crate::gpu::MAX_HEAD_DIM`]);
//! 3. WebGPU has a device here and its adapter is not a fallback (software) adapter;
//! 4. on this device, for problems of this size class (the power of two of that work), WebGPU
//!    was measured faster than the CPU: the first such problem runs on WebGPU, the next on the
//!    CPU, each timed, and from then on the faster one runs. A WebGPU error in auto falls back
//!    to the CPU for that call and counts WebGPU as slower for the class.

use crate::error::{Error, Result};
use crate::kernels::{self, Kernel, Problem, Shape};

/// The smallest work (multiply-adds of `Q K^T`, `heads x seqQ x seqKv x headDim`) for which
/// "auto" considers WebGPU: 2^24, e.g. 8 heads x 256 x 128 tokens x d 64.
pub const AUTO_MIN_WORK: u64 = 1 << 24;

/// What a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// The best backend for the shape (see the module's notes).
    #[default]
    Auto,
    /// The CPU kernels (SIMD and threads as built).
    Cpu,
    /// The WGSL kernel through WebGPU (the browser only); an error if it cannot run.
    WebGpu,
}

impl BackendChoice {
    pub const ALL: [BackendChoice; 3] = [
        BackendChoice::Auto,
        BackendChoice::Cpu,
        BackendChoice::WebGpu,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Cpu => "cpu",
            BackendChoice::WebGpu => "webgpu",
        }
    }

    /// Parses a backend name, listing the accepted ones when it is unknown.
    pub fn parse(name: &str) -> Result<BackendChoice> {
        BackendChoice::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = BackendChoice::ALL.iter().map(|c| c.name()).collect();
                Error::Config(format!(
                    "unknown backend \"{name}\"; use one of: {}",
                    names.join(", ")
                ))
            })
    }
}

/// An engine that computes attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The CPU kernels of [`crate::kernels`].
    Cpu,
    /// The WGSL kernel through WebGPU ([`crate::gpu::web`]).
    WebGpu,
}

impl Backend {
    /// The backend that serves `choice` before anything is measured: what `attention()` and
    /// `buildInfo` assume (auto's WebGPU pick happens in [`compute`]).
    pub fn choose(_shape: &Shape, choice: BackendChoice) -> Backend {
        match choice {
            BackendChoice::Auto | BackendChoice::Cpu => Backend::Cpu,
            BackendChoice::WebGpu => Backend::WebGpu,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::WebGpu => "webgpu",
        }
    }

    /// The CPU kernel this backend runs for a shape when the caller names none: what
    /// `buildInfo(shape).kernel` reports (WebGPU runs the WGSL kernel, not a CPU one).
    pub fn kernel(self, shape: &Shape) -> Kernel {
        Kernel::best_for(shape)
    }

    /// Computes attention; `kernel` overrides [`Backend::kernel`] (the CPU backend runs any;
    /// WebGPU refuses one, since it names a CPU kernel).
    pub async fn run(
        self,
        kernel: Option<Kernel>,
        problem: &Problem<'_>,
        q: &[f32],
        k: &[f32],
        v: &[f32],
    ) -> Result<Vec<f32>> {
        match self {
            Backend::Cpu => {
                let kernel = kernel.unwrap_or_else(|| self.kernel(&problem.shape));
                kernels::attention(kernel, problem, q, k, v)
            }
            Backend::WebGpu => {
                if let Some(k) = kernel {
                    return Err(Error::Config(format!(
                        "kernel \"{}\" is a CPU kernel; backend \"webgpu\" runs the WGSL kernel, so leave kernel out or use backend \"cpu\"",
                        k.name()
                    )));
                }
                webgpu(problem, q, k, v).await
            }
        }
    }
}

#[cfg(target_arch = "wasm32")]
async fn webgpu(problem: &Problem<'_>, q: &[f32], k: &[f32], v: &[f32]) -> Result<Vec<f32>> {
    crate::gpu::web::device()
        .await?
        .attention(problem, q, k, v)
        .await
}

#[cfg(not(target_arch = "wasm32"))]
async fn webgpu(_: &Problem<'_>, _: &[f32], _: &[f32], _: &[f32]) -> Result<Vec<f32>> {
    Err(Error::Gpu(
        "backend \"webgpu\" runs in the browser; natively the WGSL kernel runs through gpu::native (feature gpu)".into(),
    ))
}

/// The work "auto" weighs: multiply-adds of `Q K^T`.
fn work(s: &Shape) -> u64 {
    (s.heads as u64) * (s.seq_q as u64) * (s.seq_kv as u64) * (s.head_dim as u64)
}

/// Computes attention with the backend `choice` names (auto: see the module's notes) and says
/// which backend ran.
pub async fn compute(
    choice: BackendChoice,
    kernel: Option<Kernel>,
    problem: &Problem<'_>,
    q: &[f32],
    k: &[f32],
    v: &[f32],
) -> Result<(Vec<f32>, Backend)> {
    let backend = match choice {
        BackendChoice::Auto
            if kernel.is_none()
                && work(&problem.shape) >= AUTO_MIN_WORK
                && problem.shape.head_dim <= crate::gpu::MAX_HEAD_DIM =>
        {
            return auto::compute(problem, q, k, v).await;
        }
        c => Backend::choose(&problem.shape, c),
    };
    Ok((backend.run(kernel, problem, q, k, v).await?, backend))
}

#[cfg(not(target_arch = "wasm32"))]
mod auto {
    use super::*;
    pub async fn compute(
        problem: &Problem<'_>,
        q: &[f32],
        k: &[f32],
        v: &[f32],
    ) -> Result<(Vec<f32>, Backend)> {
        Ok((
            Backend::Cpu.run(None, problem, q, k, v).await?,
            Backend::Cpu,
        ))
    }
}

#[cfg(target_arch = "wasm32")]
mod auto {
    use super::*;
    use crate::gpu::web;
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// The last WebGPU time and the last CPU time of a size class, ms; WebGPU's is infinite
    /// after a WebGPU error.
    type Times = (Option<f64>, Option<f64>);

    thread_local! {
        /// Size class (the power of two of the work) -> its times.
        static TIMES: RefCell<HashMap<u32, Times>> = RefCell::new(HashMap::new());
    }

    fn now() -> f64 {
        js_sys::Date::now()
    }

    pub async fn compute(
        problem: &Problem<'_>,
        q: &[f32],
        k: &[f32],
        v: &[f32],
    ) -> Result<(Vec<f32>, Backend)> {
        let cpu = || async {
            let t0 = now();
            let out = Backend::Cpu.run(None, problem, q, k, v).await?;
            Ok::<_, Error>((out, now() - t0))
        };
        let class = 64 - work(&problem.shape).leading_zeros();
        // A hardware adapter, or the CPU.
        let gpu = if web::known_unavailable() {
            None
        } else {
            web::device().await.ok().filter(|g| !g.facts().fallback)
        };
        let Some(gpu) = gpu else {
            return Ok((
                Backend::Cpu.run(None, problem, q, k, v).await?,
                Backend::Cpu,
            ));
        };
        let (gpu_ms, cpu_ms) = TIMES.with(|t| t.borrow().get(&class).copied().unwrap_or_default());
        let try_gpu = match (gpu_ms, cpu_ms) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(g), Some(c)) => g < c,
        };
        let record = |g: Option<f64>, c: Option<f64>| {
            TIMES.with(|t| {
                let mut t = t.borrow_mut();
                let e = t.entry(class).or_default();
                if g.is_some() {
                    e.0 = g;
                }
                if c.is_some() {
                    e.1 = c;
                }
            })
        };
        if try_gpu {
            let t0 = now();
            match gpu.attention(problem, q, k, v).await {
                Ok(out) => {
                    record(Some(now() - t0), None);
                    return Ok((out, Backend::WebGpu));
                }
                Err(_) => record(Some(f64::INFINITY), None),
            }
        }
        let (out, ms) = cpu().await?;
        record(None, Some(ms));
        Ok((out, Backend::Cpu))
    }
}
