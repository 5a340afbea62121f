//! Fast attention on flat f32 slices.
//!
//! Layout: `q` is `heads x seq_q x head_dim`, `k` and `v` are `kv_heads x seq_kv x head_dim`,
//! the output is `heads x seq_q x head_dim`, all row-major in (head, position, dim) order.
//! Query head `h` reads key/value head `h / (heads / kv_heads)` (grouped-query attention).
//!
//! Every kernel computes `softmax(mask(scale * Q K^T)) V` per head and is checked against the
//! readable reference (`crate::reference`) by one correctness suite:
//! - [`Kernel::Scalar`]: the baseline, one query row at a time, plain f32 loops;
//! - [`Kernel::Rows`]: the same row-at-a-time algorithm with dot products and updates in 4-lane
//!   vectors of an instruction set ([`Isa`]);
//! - [`Kernel::Tiled`]: FlashAttention-2 style. Query blocks of 64 rows meet key tiles of 64 keys;
//!   an online softmax keeps a running max and sum per row, so the `seq_q x seq_kv` matrix is
//!   never stored, and tiles the mask removes entirely are skipped. Scratch is allocated once per
//!   call (once per thread with the `threads` feature, which spreads the (head, query block)
//!   work items over a rayon pool), never inside the loops.
//!
//! Callers go through [`attention`] (or [`attention_into`]) with a [`Kernel`]; a backend that
//! finishes later (WebGPU) is a further variant of the caller-facing `attentionAsync` in the wasm
//! layer, with the same [`Problem`] and the same buffers, so no caller changes when it arrives.

mod lanes;
pub mod matmul;
pub mod pointwise;
mod rows;
mod scalar;
mod tiled;

#[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
pub use lanes::Relaxed;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use lanes::Simd128;
pub use lanes::{Lanes, Portable};

use crate::error::{check_f32_budget, check_finite, Error, Result};
use crate::mask::{Mask, MaskView};

/// Calls `module::attention::<L>` for the `Lanes` type of an [`Isa`].
macro_rules! dispatch {
    ($isa:expr, $m:ident, $($arg:expr),*) => {
        match $isa {
            Isa::Portable => $m::attention::<Portable>($($arg),*),
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => $m::attention::<Simd128>($($arg),*),
            #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
            Isa::Relaxed => $m::attention::<Relaxed>($($arg),*),
        }
    };
}

/// Sizes of one attention problem (batch 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub heads: usize,
    pub kv_heads: usize,
    pub seq_q: usize,
    pub seq_kv: usize,
    pub head_dim: usize,
}

impl Shape {
    /// Checks the sizes: all positive, `kv_heads` divides `heads`, buffers within the memory limit.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("heads", self.heads),
            ("kvHeads", self.kv_heads),
            ("seqQ", self.seq_q),
            ("seqKv", self.seq_kv),
            ("headDim", self.head_dim),
        ] {
            if v == 0 {
                return Err(Error::Shape(format!("{name} must be at least 1")));
            }
        }
        if !self.heads.is_multiple_of(self.kv_heads) {
            return Err(Error::Shape(format!(
                "heads ({}) must be a multiple of kvHeads ({}): each key/value head serves a whole group of query heads",
                self.heads, self.kv_heads
            )));
        }
        // q, k, v, the output, and the tiled kernel's packed copy of every key/value head.
        let q = (self.heads as u64)
            .checked_mul(self.seq_q as u64)
            .and_then(|x| x.checked_mul(self.head_dim as u64));
        let kv = (self.kv_heads as u64)
            .checked_mul(self.seq_kv as u64)
            .and_then(|x| x.checked_mul(self.head_dim as u64));
        let packed = tiled::packed_len(self);
        let total = q.and_then(|q| {
            kv.and_then(|kv| packed.and_then(|p| (2 * q).checked_add(2 * kv)?.checked_add(p)))
        });
        check_f32_budget(
            &format!("attention over {} x {} tokens", self.seq_q, self.seq_kv),
            total,
        )
    }
    /// Numbers in `q` and in the output.
    pub fn q_len(&self) -> usize {
        self.heads * self.seq_q * self.head_dim
    }
    /// Numbers in `k` and in `v`.
    pub fn kv_len(&self) -> usize {
        self.kv_heads * self.seq_kv * self.head_dim
    }
    /// The key/value head that query head `h` reads.
    pub fn kv_head(&self, h: usize) -> usize {
        h / (self.heads / self.kv_heads)
    }
}

/// A validated problem: sizes, the score scale and the mask at these sequence lengths.
#[derive(Debug, Clone, Copy)]
pub struct Problem<'a> {
    pub shape: Shape,
    pub scale: f32,
    pub mask: MaskView<'a>,
}

/// The score scale: `1/sqrt(head_dim)` when none is given, else any positive finite factor (the
/// one rule for the kernels, the trace and the real model).
pub fn resolve_scale(scale: Option<f32>, head_dim: usize) -> Result<f32> {
    match scale {
        None => Ok(1.0 / (head_dim as f32).sqrt()),
        Some(s) if s.is_finite() && s > 0.0 => Ok(s),
        Some(s) => Err(Error::Config(format!(
            "scale must be a positive finite number, got {s}"
        ))),
    }
}

impl<'a> Problem<'a> {
    /// `scale` defaults to `1/sqrt(head_dim)`; any positive finite factor is accepted (1.0 turns
    /// scaling off).
    pub fn new(shape: Shape, scale: Option<f32>, mask: &'a Mask) -> Result<Self> {
        shape.validate()?;
        let scale = resolve_scale(scale, shape.head_dim)?;
        let mask = mask.view(shape.seq_q, shape.seq_kv)?;
        Ok(Problem { shape, scale, mask })
    }

    /// Checks that the buffers match the sizes and hold only finite numbers.
    pub fn check_inputs(&self, q: &[f32], k: &[f32], v: &[f32]) -> Result<()> {
        for (name, buf, want) in [
            ("q", q, self.shape.q_len()),
            ("k", k, self.shape.kv_len()),
            ("v", v, self.shape.kv_len()),
        ] {
            if buf.len() != want {
                return Err(Error::Length {
                    name,
                    expected: want,
                    got: buf.len(),
                });
            }
        }
        for (name, buf) in [("q", q), ("k", k), ("v", v)] {
            if !all_finite(buf) {
                check_finite(name, buf)?; // finds and names the first bad number
            }
        }
        Ok(())
    }
}

/// Whether every number is finite: a branch-free scan in blocks that the compiler vectorises
/// (the check runs on every call, over every input).
fn all_finite(data: &[f32]) -> bool {
    data.chunks(256)
        .all(|c| c.iter().fold(true, |ok, x| ok & x.is_finite()))
}

/// A 4-lane instruction set the vector kernels can be built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    Portable,
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    Simd128,
    #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
    Relaxed,
}

impl Isa {
    /// Every instruction set this build contains, slowest first.
    pub fn available() -> Vec<Isa> {
        #[allow(unused_mut)]
        let mut v = vec![Isa::Portable];
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        v.push(Isa::Simd128);
        #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
        v.push(Isa::Relaxed);
        v
    }
    /// The fastest instruction set in this build.
    pub fn best() -> Isa {
        *Isa::available().last().expect("portable is always present")
    }
    pub fn name(self) -> &'static str {
        match self {
            Isa::Portable => Portable::NAME,
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Isa::Simd128 => Simd128::NAME,
            #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
            Isa::Relaxed => Relaxed::NAME,
        }
    }
}

/// The kernel selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    Scalar,
    Rows(Isa),
    Tiled(Isa),
}

impl Kernel {
    /// Every kernel variant in this build.
    pub fn all() -> Vec<Kernel> {
        let mut v = vec![Kernel::Scalar];
        for isa in Isa::available() {
            v.push(Kernel::Rows(isa));
            v.push(Kernel::Tiled(isa));
        }
        v
    }
    /// The default: tiled with the best instruction set.
    pub fn best() -> Kernel {
        Kernel::Tiled(Isa::best())
    }
    /// The default for a shape: [`Kernel::best`], except that decoding (fewer than 4 query
    /// rows) in a build without threads takes the rows kernel, which packs nothing (1 query
    /// against 4,096 keys, 8 heads, d 64, relaxed SIMD in Chromium: 7.5 ms against 11.3 ms).
    /// With threads the tiled kernel splits the keys over the pool instead.
    pub fn best_for(shape: &Shape) -> Kernel {
        if shape.seq_q < 4 && !cfg!(feature = "threads") {
            Kernel::Rows(Isa::best())
        } else {
            Kernel::best()
        }
    }
    /// A name such as `tiled/simd128`.
    pub fn name(self) -> String {
        match self {
            Kernel::Scalar => "scalar".into(),
            Kernel::Rows(isa) => format!("rows/{}", isa.name()),
            Kernel::Tiled(isa) => format!("tiled/{}", isa.name()),
        }
    }
    /// Parses `scalar`, `rows`, `tiled` (best instruction set) or `rows/ISA`, `tiled/ISA`.
    pub fn parse(name: &str) -> Result<Kernel> {
        if name == "rows" {
            return Ok(Kernel::Rows(Isa::best()));
        }
        if name == "tiled" {
            return Ok(Kernel::Tiled(Isa::best()));
        }
        Kernel::all()
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                let names: Vec<String> = Kernel::all().into_iter().map(Kernel::name).collect();
                Error::Config(format!(
                    "unknown kernel \"{name}\"; this build has: {}",
                    names.join(", ")
                ))
            })
    }
}

/// Runs attention with `kernel`, checking every input first.
pub fn attention(
    kernel: Kernel,
    problem: &Problem,
    q: &[f32],
    k: &[f32],
    v: &[f32],
) -> Result<Vec<f32>> {
    let mut out = vec![0.0; problem.shape.q_len()];
    attention_into(kernel, problem, q, k, v, &mut out)?;
    Ok(out)
}

/// Runs attention with `kernel` into `out` (`heads x seq_q x head_dim`).
pub fn attention_into(
    kernel: Kernel,
    problem: &Problem,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    out: &mut [f32],
) -> Result<()> {
    problem.check_inputs(q, k, v)?;
    if out.len() != problem.shape.q_len() {
        return Err(Error::Length {
            name: "out",
            expected: problem.shape.q_len(),
            got: out.len(),
        });
    }
    match kernel {
        Kernel::Scalar => scalar::attention(problem, q, k, v, out),
        Kernel::Rows(isa) => dispatch!(isa, rows, problem, q, k, v, out),
        Kernel::Tiled(isa) => dispatch!(isa, tiled, problem, q, k, v, out),
    }
    Ok(())
}
