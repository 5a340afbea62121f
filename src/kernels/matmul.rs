//! Dense matrix products on 4-lane vectors: `C = A B (+ bias)`, the linear layers of a real
//! model and the scores and weighted sums of its heads.
//!
//! ndarray's product has no wasm SIMD, so the model's arithmetic would run at scalar speed in
//! the browser; this is the same register-blocked scheme as the tiled attention kernel's
//! micro-kernels, for any sizes:
//! - B is packed once into panels of [`NR`] = 8 columns (`k` rows of 8 numbers each, zero-padded
//!   at the right edge), so the inner loop reads it sequentially. Weights are packed when a
//!   model loads; keys and values when a head needs them.
//! - A is packed per block of [`MR`] = 4 rows, interleaved by column (`A[i0..i0+4][p]` together);
//!   each row's multiplier is a splat of one number (a load-and-broadcast), measured 3 % faster in
//!   V8 than one vector load and four lane shuffles. (6-row blocks, 12 sums, were 1.7x slower:
//!   V8 spills them.)
//! - Each (4-row block, panel) pair keeps 4 x 8 sums in eight vector registers over the whole
//!   `k` loop, then adds the bias and stores. Blocks are packed [`MC`] rows at a time and each
//!   panel meets every block of the chunk in turn, so it is loaded from memory once per chunk.
//!
//! A and C may be column windows of wider row-major matrices (`lda`, `ldc`): a head's columns
//! of the fused Q/K/V projection, a head's slot in the concatenation.
//! With the `threads` feature, blocks of rows go to the rayon pool (the bits do not change:
//! every output entry is summed by one thread in the same order).
//!
//! Checked against ndarray's product on random shapes for every instruction set
//! (`tests/suite`, natively and in the browsers).

use super::lanes::Lanes;
use super::Isa;

/// Columns per panel of B.
pub const NR: usize = 8;
/// Rows per block of A.
pub const MR: usize = 4;
/// Rows of A packed at a time: a panel of B (`k x 8`) is read once per chunk, so a 1,536-wide
/// feed-forward weight streams through the cache once per 64 rows, not once per 4.
pub const MC: usize = 64;
/// Rows of C per task of the thread pool.
#[cfg(feature = "threads")]
const ROWS_PER_TASK: usize = 16;

/// B (`k x n`) packed into panels of [`NR`] columns for [`matmul`].
#[derive(Debug, Clone, PartialEq)]
pub struct PackedB {
    k: usize,
    n: usize,
    panels: Vec<f32>,
}

impl PackedB {
    /// Packs B given row-major with row stride `ldb` (`b[p * ldb + j]` is B[p][j]).
    pub fn new(b: &[f32], ldb: usize, k: usize, n: usize) -> PackedB {
        Self::pack(k, n, |p, j| b[p * ldb + j])
    }

    /// Packs B given as its transpose: `bt` holds `n` rows of `k` numbers with row stride
    /// `ldt` (`bt[j * ldt + p]` is B[p][j]). A PyTorch linear layer's `[out, in]` weight is
    /// this form of its `in x out` matrix; so are the keys of a head for the scores `Q Kᵀ`.
    pub fn from_transposed(bt: &[f32], ldt: usize, k: usize, n: usize) -> PackedB {
        Self::pack(k, n, |p, j| bt[j * ldt + p])
    }

    fn pack(k: usize, n: usize, at: impl Fn(usize, usize) -> f32) -> PackedB {
        let panels_n = n.div_ceil(NR);
        let mut panels = vec![0.0; panels_n * k * NR];
        for c in 0..panels_n {
            let panel = &mut panels[c * k * NR..(c + 1) * k * NR];
            for j in c * NR..((c + 1) * NR).min(n) {
                for p in 0..k {
                    panel[p * NR + j - c * NR] = at(p, j);
                }
            }
        }
        PackedB { k, n, panels }
    }

    /// Rows of B (the shared dimension).
    pub fn k(&self) -> usize {
        self.k
    }
    /// Columns of B (of the product).
    pub fn n(&self) -> usize {
        self.n
    }
}

/// `C = A B (+ bias)` with the fastest instruction set of this build.
///
/// A is `m x b.k()` (row stride `lda`), C is `m x b.n()` (row stride `ldc`; only those columns
/// are written), `bias` has `b.n()` entries.
///
/// # Panics
/// When a slice is too short for the sizes given (a caller's bug, never input data).
pub fn matmul(
    a: &[f32],
    lda: usize,
    m: usize,
    b: &PackedB,
    bias: Option<&[f32]>,
    c: &mut [f32],
    ldc: usize,
) {
    matmul_isa(Isa::best(), a, lda, m, b, bias, c, ldc)
}

/// [`matmul`] with a chosen instruction set (the tests run every one).
#[allow(clippy::too_many_arguments)]
pub fn matmul_isa(
    isa: Isa,
    a: &[f32],
    lda: usize,
    m: usize,
    b: &PackedB,
    bias: Option<&[f32]>,
    c: &mut [f32],
    ldc: usize,
) {
    let (k, n) = (b.k, b.n);
    if m == 0 || n == 0 {
        return;
    }
    assert!(lda >= k && ldc >= n, "row strides shorter than the rows");
    assert!(a.len() >= (m - 1) * lda + k, "A is too short");
    assert!(c.len() >= (m - 1) * ldc + n, "C is too short");
    assert!(bias.is_none_or(|b| b.len() >= n), "bias is too short");
    match isa {
        Isa::Portable => run::<super::Portable>(a, lda, m, b, bias, c, ldc),
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => run::<super::Simd128>(a, lda, m, b, bias, c, ldc),
        #[cfg(all(target_arch = "wasm32", target_feature = "relaxed-simd"))]
        Isa::Relaxed => run::<super::Relaxed>(a, lda, m, b, bias, c, ldc),
    }
}

fn run<L: Lanes>(
    a: &[f32],
    lda: usize,
    m: usize,
    b: &PackedB,
    bias: Option<&[f32]>,
    c: &mut [f32],
    ldc: usize,
) {
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        // C's rows in tasks of ROWS_PER_TASK; the last task's slice may end mid-row.
        let work = m * b.k * b.n;
        if work >= 1 << 16 && m > ROWS_PER_TASK {
            c.par_chunks_mut(ROWS_PER_TASK * ldc)
                .take(m.div_ceil(ROWS_PER_TASK))
                .enumerate()
                .for_each(|(t, c)| {
                    let r0 = t * ROWS_PER_TASK;
                    let rows = ROWS_PER_TASK.min(m - r0);
                    rows_block::<L>(&a[r0 * lda..], lda, rows, b, bias, c, ldc);
                });
            return;
        }
    }
    rows_block::<L>(a, lda, m, b, bias, c, ldc)
}

/// C's first `m` rows from A's first `m` rows: rows in chunks of [`MC`], each chunk's blocks
/// packed once, then every panel of B against every block of the chunk while the panel is hot.
fn rows_block<L: Lanes>(
    a: &[f32],
    lda: usize,
    m: usize,
    b: &PackedB,
    bias: Option<&[f32]>,
    c: &mut [f32],
    ldc: usize,
) {
    let (k, n) = (b.k, b.n);
    if k == 0 {
        // No panels to walk: the product is zero (plus the bias).
        for i in 0..m {
            for j in 0..n {
                c[i * ldc + j] = bias.map_or(0.0, |b| b[j]);
            }
        }
        return;
    }
    let mut ap = vec![0.0f32; k * MC];
    let mut tile = [0.0f32; MR * NR];
    for c0 in (0..m).step_by(MC) {
        let chunk = MC.min(m - c0);
        let blocks = chunk.div_ceil(MR);
        // Pack the chunk's blocks, each interleaved by column; missing rows stay zero.
        for blk in 0..blocks {
            let dst = &mut ap[blk * k * MR..(blk + 1) * k * MR];
            for r in 0..MR {
                let i = blk * MR + r;
                if i < chunk {
                    let row = &a[(c0 + i) * lda..(c0 + i) * lda + k];
                    for (p, &x) in row.iter().enumerate() {
                        dst[p * MR + r] = x;
                    }
                } else {
                    for p in 0..k {
                        dst[p * MR + r] = 0.0;
                    }
                }
            }
        }
        // Each panel of B once per chunk, while it is in cache, against every block.
        for (panel_i, panel) in b.panels.chunks_exact(k * NR).enumerate() {
            let j0 = panel_i * NR;
            let cols = NR.min(n - j0);
            for blk in 0..blocks {
                let r0 = c0 + blk * MR;
                let rows = MR.min(m - r0);
                // SAFETY: the block holds k * MR numbers, `panel` k * NR, `tile` MR * NR.
                unsafe {
                    micro::<L>(
                        ap[blk * k * MR..].as_ptr(),
                        panel.as_ptr(),
                        k,
                        tile.as_mut_ptr(),
                    )
                };
                for r in 0..rows {
                    let dst = &mut c[(r0 + r) * ldc + j0..(r0 + r) * ldc + j0 + cols];
                    let src = &tile[r * NR..r * NR + cols];
                    match bias {
                        Some(bias) => {
                            for ((d, s), b) in dst.iter_mut().zip(src).zip(&bias[j0..j0 + cols]) {
                                *d = s + b;
                            }
                        }
                        None => dst.copy_from_slice(src),
                    }
                }
            }
        }
    }
}

/// The 4 x 8 block `t = A_block B_panel` over the whole shared dimension.
///
/// # Safety
/// `a` must be readable for `k * MR` numbers, `b` for `k * NR`, `t` writable for `MR * NR`.
#[inline(never)]
unsafe fn micro<L: Lanes>(a: *const f32, b: *const f32, k: usize, t: *mut f32) {
    let mut acc = [[L::splat(0.0); 2]; MR];
    for p in 0..k {
        let b0 = L::load(b.add(p * NR));
        let b1 = L::load(b.add(p * NR + 4));
        let ap = a.add(p * MR);
        let rows: [L::V; MR] = std::array::from_fn(|r| L::splat(*ap.add(r)));
        for (acc, r) in acc.iter_mut().zip(rows) {
            acc[0] = L::madd(r, b0, acc[0]);
            acc[1] = L::madd(r, b1, acc[1]);
        }
    }
    for (i, a) in acc.iter().enumerate() {
        L::store(t.add(i * NR), a[0]);
        L::store(t.add(i * NR + 4), a[1]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], m: usize, k: usize, b: &[f32], n: usize) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        c
    }

    #[test]
    fn edges_bias_windows_and_transposed_packing() {
        for &(m, k, n) in &[(1, 1, 1), (5, 3, 9), (4, 8, 8), (7, 0, 3), (13, 17, 23)] {
            let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.91).cos()).collect();
            let bias: Vec<f32> = (0..n).map(|j| j as f32).collect();
            let want = naive(&a, m, k, &b, n);
            // C as a window (columns 2..2+n) of a wider matrix.
            let ldc = n + 3;
            let mut c = vec![-7.0; m * ldc];
            matmul(
                &a,
                k,
                m,
                &PackedB::new(&b, n, k, n),
                Some(&bias),
                &mut c[2..],
                ldc,
            );
            let mut bt = vec![0.0; n * k];
            for p in 0..k {
                for j in 0..n {
                    bt[j * k + p] = b[p * n + j];
                }
            }
            let mut c2 = vec![0.0; m * n];
            matmul(
                &a,
                k,
                m,
                &PackedB::from_transposed(&bt, k, k, n),
                None,
                &mut c2,
                n,
            );
            for i in 0..m {
                assert_eq!(c[i * ldc], -7.0);
                assert_eq!(c[i * ldc + 1], -7.0);
                for j in 0..n {
                    let w = want[i * n + j];
                    assert!((c[i * ldc + 2 + j] - (w + j as f32)).abs() < 1e-4);
                    assert!((c2[i * n + j] - w).abs() < 1e-4, "{m}x{k}x{n} at {i},{j}");
                }
            }
        }
    }
}
