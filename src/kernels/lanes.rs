//! Four-lane f32 vectors: one trait, one zero-sized type per instruction set.
//!
//! The fast kernels are written once against [`Lanes`] and instantiated for each type here:
//! - [`Portable`]: plain arrays; compiled everywhere, so native `cargo test` runs the very same
//!   kernel logic (tiling, padding, tails, online softmax) that the browser runs;
//! - [`Simd128`]: `core::arch::wasm32` SIMD128, present when the module is built with `+simd128`;
//! - [`Relaxed`]: SIMD128 with `f32x4.relaxed_madd` (one fused multiply-add on x86 with FMA3
//!   and on ARM), present when built with `+relaxed-simd`.

/// A 4-lane f32 instruction set.
pub trait Lanes: Copy + Send + Sync + 'static {
    type V: Copy;
    /// Short name shown to users ("portable", "simd128", "relaxed-simd").
    const NAME: &'static str;
    fn splat(x: f32) -> Self::V;
    /// # Safety
    /// `p` must point at 4 readable f32.
    unsafe fn load(p: *const f32) -> Self::V;
    /// # Safety
    /// `p` must point at 4 writable f32.
    unsafe fn store(p: *mut f32, v: Self::V);
    fn add(a: Self::V, b: Self::V) -> Self::V;
    fn sub(a: Self::V, b: Self::V) -> Self::V;
    fn mul(a: Self::V, b: Self::V) -> Self::V;
    /// a * b + c, fused where the instruction set allows it.
    fn madd(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    fn max(a: Self::V, b: Self::V) -> Self::V;
    /// `b < a ? b : a` lane by lane (f32x4.pmin).
    fn min(a: Self::V, b: Self::V) -> Self::V;
    fn div(a: Self::V, b: Self::V) -> Self::V;
    /// `p * 2^n` for lanes holding `t = n + SHIFT` with n an integer, where the result is a
    /// normal number: the low bits of such a t are n, and shifted into the exponent field they
    /// add n to p's exponent (exactly the product, without a multiply).
    fn mul_pow2_shifted(p: Self::V, t: Self::V) -> Self::V;
    /// `p` where `x >= t`, 0 elsewhere.
    fn select_ge(x: Self::V, t: Self::V, p: Self::V) -> Self::V;
    /// Every lane set to lane `I` of `a`.
    fn lane<const I: usize>(a: Self::V) -> Self::V;
    fn hsum(a: Self::V) -> f32;
    fn hmax(a: Self::V) -> f32;

    /// 2^x for x <= 0, with a relative error below 5e-7. Below -125 (and for -inf, a masked
    /// score) the result is exactly 0, as in f32 arithmetic, and never a slow subnormal.
    #[inline(always)]
    fn exp2(x: Self::V) -> Self::V {
        let floor = Self::splat(-125.0);
        let input = x;
        let x = Self::max(x, floor);
        // x + SHIFT rounds x to an integer n (ties to even): in [2^23, 2^24) floats are
        // integers. Cheaper than a round and a float-to-int conversion.
        let t = Self::add(x, Self::splat(SHIFT));
        let n = Self::sub(t, Self::splat(SHIFT));
        let f = Self::sub(x, n); // f in [-0.5, 0.5]
                                 // Taylor series of 2^f = e^(f ln 2) to degree 6: error < (0.5 ln 2)^7 / 7! ~ 1.2e-7.
        const C: [f32; 7] = [
            1.0,
            std::f32::consts::LN_2,
            0.240_226_5,
            0.055_504_11,
            0.009_618_129,
            0.001_333_355_8,
            0.000_154_035_3,
        ];
        let mut p = Self::splat(C[6]);
        for &c in C[..6].iter().rev() {
            p = Self::madd(p, f, Self::splat(c));
        }
        // p is in [2^-0.5, 2^0.5] and n >= -125: p * 2^n is normal.
        Self::select_ge(input, floor, Self::mul_pow2_shifted(p, t))
    }
}

/// 1.5 * 2^23: adding it to a float in [-2^22, 2^22] leaves the nearest integer in the low
/// mantissa bits (see [`Lanes::exp2`]).
const SHIFT: f32 = 12_582_912.0;

/// Plain arrays: the same arithmetic as SIMD128 (separate multiply and add), lane by lane.
#[derive(Clone, Copy, Debug, Default)]
pub struct Portable;

impl Lanes for Portable {
    type V = [f32; 4];
    const NAME: &'static str = "portable";
    #[inline(always)]
    fn splat(x: f32) -> Self::V {
        [x; 4]
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self::V {
        std::ptr::read_unaligned(p as *const [f32; 4])
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: Self::V) {
        std::ptr::write_unaligned(p as *mut [f32; 4], v)
    }
    #[inline(always)]
    fn add(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] + b[i])
    }
    #[inline(always)]
    fn sub(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] - b[i])
    }
    #[inline(always)]
    fn mul(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] * b[i])
    }
    #[inline(always)]
    fn madd(a: Self::V, b: Self::V, c: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] * b[i] + c[i])
    }
    #[inline(always)]
    fn max(a: Self::V, b: Self::V) -> Self::V {
        // Same rule as f32x4.pmax: a < b ? b : a.
        std::array::from_fn(|i| if a[i] < b[i] { b[i] } else { a[i] })
    }
    #[inline(always)]
    fn min(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| if b[i] < a[i] { b[i] } else { a[i] })
    }
    #[inline(always)]
    fn div(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] / b[i])
    }
    #[inline(always)]
    fn mul_pow2_shifted(p: Self::V, t: Self::V) -> Self::V {
        // bits(t) = bits(SHIFT) + n, and bits(SHIFT) << 23 overflows to 0.
        std::array::from_fn(|i| f32::from_bits(p[i].to_bits().wrapping_add(t[i].to_bits() << 23)))
    }
    #[inline(always)]
    fn select_ge(x: Self::V, t: Self::V, p: Self::V) -> Self::V {
        std::array::from_fn(|i| if x[i] >= t[i] { p[i] } else { 0.0 })
    }
    #[inline(always)]
    fn lane<const I: usize>(a: Self::V) -> Self::V {
        [a[I]; 4]
    }
    #[inline(always)]
    fn hsum(a: Self::V) -> f32 {
        (a[0] + a[2]) + (a[1] + a[3])
    }
    #[inline(always)]
    fn hmax(a: Self::V) -> f32 {
        a[0].max(a[1]).max(a[2].max(a[3]))
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
pub use wasm::Relaxed;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub use wasm::Simd128;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm {
    use super::Lanes;
    use core::arch::wasm32::*;

    /// WebAssembly SIMD128.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Simd128;

    impl Lanes for Simd128 {
        type V = v128;
        const NAME: &'static str = "simd128";
        #[inline(always)]
        fn splat(x: f32) -> v128 {
            f32x4_splat(x)
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> v128 {
            v128_load(p as *const v128)
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: v128) {
            v128_store(p as *mut v128, v)
        }
        #[inline(always)]
        fn add(a: v128, b: v128) -> v128 {
            f32x4_add(a, b)
        }
        #[inline(always)]
        fn sub(a: v128, b: v128) -> v128 {
            f32x4_sub(a, b)
        }
        #[inline(always)]
        fn mul(a: v128, b: v128) -> v128 {
            f32x4_mul(a, b)
        }
        #[inline(always)]
        fn madd(a: v128, b: v128, c: v128) -> v128 {
            f32x4_add(f32x4_mul(a, b), c)
        }
        #[inline(always)]
        fn max(a: v128, b: v128) -> v128 {
            // pmax lowers to one maxps; f32x4.max needs NaN fix-ups.
            f32x4_pmax(a, b)
        }
        #[inline(always)]
        fn min(a: v128, b: v128) -> v128 {
            f32x4_pmin(a, b)
        }
        #[inline(always)]
        fn div(a: v128, b: v128) -> v128 {
            f32x4_div(a, b)
        }
        #[inline(always)]
        fn mul_pow2_shifted(p: v128, t: v128) -> v128 {
            i32x4_add(p, i32x4_shl(t, 23))
        }
        #[inline(always)]
        fn select_ge(x: v128, t: v128, p: v128) -> v128 {
            v128_and(p, f32x4_ge(x, t))
        }
        #[inline(always)]
        fn lane<const I: usize>(a: v128) -> v128 {
            i32x4_shuffle::<I, I, I, I>(a, a)
        }
        #[inline(always)]
        fn hsum(a: v128) -> f32 {
            (f32x4_extract_lane::<0>(a) + f32x4_extract_lane::<2>(a))
                + (f32x4_extract_lane::<1>(a) + f32x4_extract_lane::<3>(a))
        }
        #[inline(always)]
        fn hmax(a: v128) -> f32 {
            let b = f32x4_pmax(a, i32x4_shuffle::<2, 3, 0, 1>(a, a));
            let c = f32x4_pmax(b, i32x4_shuffle::<1, 0, 3, 2>(b, b));
            f32x4_extract_lane::<0>(c)
        }
    }

    /// SIMD128 plus relaxed SIMD: multiply-add in one fused instruction.
    #[cfg(target_feature = "relaxed-simd")]
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Relaxed;

    #[cfg(target_feature = "relaxed-simd")]
    impl Lanes for Relaxed {
        type V = v128;
        const NAME: &'static str = "relaxed-simd";
        #[inline(always)]
        fn splat(x: f32) -> v128 {
            Simd128::splat(x)
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> v128 {
            Simd128::load(p)
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: v128) {
            Simd128::store(p, v)
        }
        #[inline(always)]
        fn add(a: v128, b: v128) -> v128 {
            Simd128::add(a, b)
        }
        #[inline(always)]
        fn sub(a: v128, b: v128) -> v128 {
            Simd128::sub(a, b)
        }
        #[inline(always)]
        fn mul(a: v128, b: v128) -> v128 {
            Simd128::mul(a, b)
        }
        #[inline(always)]
        fn madd(a: v128, b: v128, c: v128) -> v128 {
            f32x4_relaxed_madd(a, b, c)
        }
        #[inline(always)]
        fn max(a: v128, b: v128) -> v128 {
            Simd128::max(a, b)
        }
        #[inline(always)]
        fn min(a: v128, b: v128) -> v128 {
            Simd128::min(a, b)
        }
        #[inline(always)]
        fn div(a: v128, b: v128) -> v128 {
            Simd128::div(a, b)
        }
        #[inline(always)]
        fn mul_pow2_shifted(p: v128, t: v128) -> v128 {
            Simd128::mul_pow2_shifted(p, t)
        }
        #[inline(always)]
        fn select_ge(x: v128, t: v128, p: v128) -> v128 {
            Simd128::select_ge(x, t, p)
        }
        #[inline(always)]
        fn lane<const I: usize>(a: v128) -> v128 {
            Simd128::lane::<I>(a)
        }
        #[inline(always)]
        fn hsum(a: v128) -> f32 {
            Simd128::hsum(a)
        }
        #[inline(always)]
        fn hmax(a: v128) -> f32 {
            Simd128::hmax(a)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp2_matches_std_to_5e_7_relative() {
        let mut x = -124.0f32;
        while x <= 0.0 {
            let got = Portable::exp2(Portable::splat(x))[0];
            let want = x.exp2();
            assert!(
                ((got - want) / want).abs() < 5e-7,
                "x={x} got={got} want={want}"
            );
            x += 0.0137;
        }
    }

    #[test]
    fn lane_splats_one_lane() {
        assert_eq!(Portable::lane::<2>([4., 5., 6., 7.]), [6.0; 4]);
    }

    #[test]
    fn exp2_of_huge_negative_and_of_minus_infinity_is_exactly_zero() {
        assert_eq!(Portable::exp2(Portable::splat(-1e30)), [0.0; 4]);
        assert_eq!(Portable::exp2(Portable::splat(f32::NEG_INFINITY)), [0.0; 4]);
        assert!(Portable::exp2(Portable::splat(-124.9))[0] > 0.0);
    }
}
