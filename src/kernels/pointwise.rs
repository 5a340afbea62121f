//! Element-wise work of a real model on 4-lane vectors: GELU and row softmax.
//!
//! - [`gelu`]: BERT's exact GELU, `x/2 (1 + erf(x/√2))`, with erf as a rational function of
//!   degree 13/8 on [-4, 4] (the form Eigen and XNNPACK use; erf is ±1 in f32 beyond 4): an
//!   absolute error below 5e-7 against libm's `erff`, at a fraction of its cost (a call of
//!   `erff` per feed-forward number took a tenth of the whole forward pass).
//! - [`softmax_rows`]: each row `softmax(scale · s)` over the keys a mask allows, with the
//!   kernels' `exp2`; a row without an allowed key becomes zeros, as in the attention kernels.
//!
//! Both are checked against the readable versions (`libm::erff`, `reference::softmax_rows`) for
//! every instruction set by the shared suite.

use super::lanes::Lanes;
use super::Isa;
use crate::mask::MaskView;

/// GELU in place, with the fastest instruction set of this build (and, with the `threads`
/// feature, in chunks on the rayon pool: a serial GELU capped the real model's 2-thread speed-up).
pub fn gelu(xs: &mut [f32]) {
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        const CHUNK: usize = 1 << 14;
        if xs.len() > CHUNK {
            xs.par_chunks_mut(CHUNK)
                .for_each(|c| gelu_isa(Isa::best(), c));
            return;
        }
    }
    gelu_isa(Isa::best(), xs)
}

/// [`gelu`] with a chosen instruction set.
pub fn gelu_isa(isa: Isa, xs: &mut [f32]) {
    match isa {
        Isa::Portable => gelu_lanes::<super::Portable>(xs),
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => gelu_lanes::<super::Simd128>(xs),
        #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
        Isa::Relaxed => gelu_lanes::<super::Relaxed>(xs),
    }
}

/// Each `n`-wide row of `s` becomes `softmax(scale · row)` over the keys `mask` allows for it.
pub fn softmax_rows(s: &mut [f32], n: usize, mask: &MaskView, scale: f32) {
    softmax_rows_isa(Isa::best(), s, n, mask, scale)
}

/// [`softmax_rows`] with a chosen instruction set.
pub fn softmax_rows_isa(isa: Isa, s: &mut [f32], n: usize, mask: &MaskView, scale: f32) {
    match isa {
        Isa::Portable => softmax_lanes::<super::Portable>(s, n, mask, scale),
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => softmax_lanes::<super::Simd128>(s, n, mask, scale),
        #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
        Isa::Relaxed => softmax_lanes::<super::Relaxed>(s, n, mask, scale),
    }
}

/// erf(x) for 4 lanes.
#[inline(always)]
fn erf<L: Lanes>(x: L::V) -> L::V {
    const ALPHA: [f32; 7] = [
        -2.726_142_3e-10,
        2.770_681_4e-8,
        -2.101_024e-6,
        -5.692_506_5e-5,
        -7.349_906_3e-4,
        -2.954_6e-3,
        -1.609_603_3e-2,
    ];
    const BETA: [f32; 5] = [
        -1.456_607_2e-5,
        -2.133_740_6e-4,
        -1.682_827e-3,
        -7.373_329_3e-3,
        -1.426_473_9e-2,
    ];
    let x = L::min(L::max(x, L::splat(-4.0)), L::splat(4.0));
    let x2 = L::mul(x, x);
    let mut p = L::splat(ALPHA[0]);
    for &a in &ALPHA[1..] {
        p = L::madd(p, x2, L::splat(a));
    }
    let mut q = L::splat(BETA[0]);
    for &b in &BETA[1..] {
        q = L::madd(q, x2, L::splat(b));
    }
    L::div(L::mul(p, x), q)
}

#[inline(always)]
fn gelu4<L: Lanes>(x: L::V) -> L::V {
    let half_x = L::mul(x, L::splat(0.5));
    let e = erf::<L>(L::mul(x, L::splat(std::f32::consts::FRAC_1_SQRT_2)));
    L::madd(half_x, e, half_x)
}

fn gelu_lanes<L: Lanes>(xs: &mut [f32]) {
    let mut chunks = xs.chunks_exact_mut(4);
    for c in &mut chunks {
        // SAFETY: the chunk holds 4 numbers.
        unsafe { L::store(c.as_mut_ptr(), gelu4::<L>(L::load(c.as_ptr()))) };
    }
    let tail = chunks.into_remainder();
    if !tail.is_empty() {
        let mut t = [0.0f32; 4];
        t[..tail.len()].copy_from_slice(tail);
        // SAFETY: `t` holds 4 numbers.
        unsafe { L::store(t.as_mut_ptr(), gelu4::<L>(L::load(t.as_ptr()))) };
        let len = tail.len();
        tail.copy_from_slice(&t[..len]);
    }
}

fn softmax_lanes<L: Lanes>(s: &mut [f32], n: usize, mask: &MaskView, scale: f32) {
    if n == 0 {
        return;
    }
    let log2e = std::f32::consts::LOG2_E;
    for (i, row) in s.chunks_exact_mut(n).enumerate() {
        // Scaled to base 2, masked to -inf, and the row's largest.
        let mut max = f32::NEG_INFINITY;
        for (j, v) in row.iter_mut().enumerate() {
            *v = if mask.allowed(i, j) {
                *v * scale * log2e
            } else {
                f32::NEG_INFINITY
            };
            max = max.max(*v);
        }
        if max == f32::NEG_INFINITY {
            row.fill(0.0);
            continue;
        }
        let m = L::splat(max);
        let mut sum = L::splat(0.0);
        let mut chunks = row.chunks_exact_mut(4);
        for c in &mut chunks {
            // SAFETY: the chunk holds 4 numbers.
            unsafe {
                let e = L::exp2(L::sub(L::load(c.as_ptr()), m));
                L::store(c.as_mut_ptr(), e);
                sum = L::add(sum, e);
            }
        }
        let mut total = L::hsum(sum);
        let tail = chunks.into_remainder();
        if !tail.is_empty() {
            let mut t = [f32::NEG_INFINITY; 4];
            t[..tail.len()].copy_from_slice(tail);
            // SAFETY: `t` holds 4 numbers.
            unsafe {
                let e = L::exp2(L::sub(L::load(t.as_ptr()), m));
                L::store(t.as_mut_ptr(), e);
            }
            let len = tail.len();
            tail.copy_from_slice(&t[..len]);
            total += tail.iter().sum::<f32>();
        }
        let inv = L::splat(1.0 / total);
        let mut chunks = row.chunks_exact_mut(4);
        for c in &mut chunks {
            // SAFETY: the chunk holds 4 numbers.
            unsafe { L::store(c.as_mut_ptr(), L::mul(L::load(c.as_ptr()), inv)) };
        }
        let inv = 1.0 / total;
        for v in chunks.into_remainder() {
            *v *= inv;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_libm_to_5e_7() {
        let mut worst = 0.0f32;
        for i in -6000..=6000 {
            let x = i as f32 / 1000.0;
            let got = erf::<crate::kernels::Portable>([x; 4])[0];
            worst = worst.max((got - libm::erff(x)).abs());
        }
        assert!(worst < 5e-7, "erf off by {worst}");
    }
}
