//! The level above the kernels: which engine computes an attention request.
//!
//! Today there is one backend, the CPU kernels of [`crate::kernels`]. A caller names a
//! [`BackendChoice`] ("auto" or a backend by name), [`Backend::choose`] turns it into a
//! [`Backend`] for the request's [`Shape`], and the caller awaits [`Backend::run`]. A backend that
//! answers later (WebGPU, a later issue) is one more variant here, chosen by `Auto` where it is
//! faster, with the same [`Problem`] and buffers: no caller changes when it arrives.

use crate::error::{Error, Result};
use crate::kernels::{self, Kernel, Problem, Shape};

/// What a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// The best backend this module has for the shape.
    #[default]
    Auto,
    /// The CPU kernels (SIMD and threads as built).
    Cpu,
}

impl BackendChoice {
    pub const ALL: [BackendChoice; 2] = [BackendChoice::Auto, BackendChoice::Cpu];

    pub fn name(self) -> &'static str {
        match self {
            BackendChoice::Auto => "auto",
            BackendChoice::Cpu => "cpu",
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
}

impl Backend {
    /// The backend that serves `choice` for this shape.
    pub fn choose(_shape: &Shape, choice: BackendChoice) -> Backend {
        match choice {
            BackendChoice::Auto | BackendChoice::Cpu => Backend::Cpu,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
        }
    }

    /// The kernel this backend runs for a shape when the caller names none: what
    /// `buildInfo(shape).kernel` reports.
    pub fn kernel(self, shape: &Shape) -> Kernel {
        match self {
            Backend::Cpu => Kernel::best_for(shape),
        }
    }

    /// Computes attention; `kernel` overrides [`Backend::kernel`] (the CPU backend runs any).
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
        }
    }
}
