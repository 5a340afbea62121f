//! The tiled online-softmax kernel (FlashAttention-2 on a CPU).
//!
//! For each key/value head, K is packed once, transposed tile by tile, so that the key axis is the
//! vector axis, and V is packed with its rows padded to a multiple of 8. Then for each query head
//! of the group and each block of up to 64 query rows:
//!
//! ```text
//! m_r = -inf, l_r = 0, O_r = 0                       running max, sum and output per row
//! for each key tile T of 64 keys the mask does not remove entirely:
//!     S = (scale log2 e) Q_blk K_T^T                 4x8 register blocks, 64 x 64 scores
//!     S[r, j] = -inf where the mask removes (r, j)   only on tiles the mask cuts through
//!     m' = max(m_r, max_j S[r, j]);  if m' > m_r:  O_r *= 2^(m_r - m'), l_r *= 2^(m_r - m')
//!     P[r, j] = 2^(S[r, j] - m'),  l_r += sum_j P[r, j]
//!     O_r += P_r V_T                                 4x8 register blocks
//! out_r = O_r / l_r   (0 when l_r = 0: the row has no allowed key)
//! ```
//!
//! Memory is linear in the sequence length: the packed key/value head plus fixed-size scratch.
//! Nothing is allocated inside the loops.

use super::{Lanes, Problem};
use crate::mask::Coverage;
use std::ops::Range;

/// Query rows per block.
const BQ: usize = 64;
/// Keys per tile.
const BK: usize = 64;
/// Rows of a register block.
const MR: usize = 4;
/// Columns of a register block (two 4-lane vectors).
const NR: usize = 8;

/// One key/value head, packed for the micro-kernels.
struct Packed {
    /// `tiles x dp x BK`: tile t holds K[t*BK .. t*BK+BK]^T, zero past the last key.
    kt: Vec<f32>,
    /// `tiles*BK x dp`: V with each row padded to `dp`, zero past the last key.
    v: Vec<f32>,
    /// Head dimension rounded up to a multiple of NR.
    dp: usize,
}

impl Packed {
    fn new(tiles: usize, dp: usize) -> Packed {
        Packed {
            kt: vec![0.0; tiles * dp * BK],
            v: vec![0.0; tiles * BK * dp],
            dp,
        }
    }

    /// Packs key/value head `g` (`n` keys of `d` numbers each).
    fn pack(&mut self, k: &[f32], v: &[f32], g: usize, n: usize, d: usize) {
        let dp = self.dp;
        let (kh, vh) = (&k[g * n * d..][..n * d], &v[g * n * d..][..n * d]);
        for j in 0..n {
            let (t, jj) = (j / BK, j % BK);
            let kt = &mut self.kt[t * dp * BK..][..dp * BK];
            for (x, &kx) in kh[j * d..][..d].iter().enumerate() {
                kt[x * BK + jj] = kx;
            }
            self.v[j * dp..][..d].copy_from_slice(&vh[j * d..][..d]);
        }
    }
}

/// Per-block working memory, reused for every block.
struct Scratch {
    /// `BQ x dp`: the query block, scaled, zero padded.
    q: Vec<f32>,
    /// `BQ x BK`: scores, then probabilities, of the current tile.
    s: Vec<f32>,
    /// `BQ x dp`: the unnormalised output.
    o: Vec<f32>,
    m: [f32; BQ],
    l: [f32; BQ],
}

pub(super) fn attention<L: Lanes>(p: &Problem, q: &[f32], k: &[f32], v: &[f32], out: &mut [f32]) {
    let s = p.shape;
    let d = s.head_dim;
    let dp = d.div_ceil(NR) * NR;
    let tiles = s.seq_kv.div_ceil(BK);
    let mut packed = Packed::new(tiles, dp);
    let mut scratch = Scratch {
        q: vec![0.0; BQ * dp],
        s: vec![0.0; BQ * BK],
        o: vec![0.0; BQ * dp],
        m: [0.0; BQ],
        l: [0.0; BQ],
    };
    let group = s.heads / s.kv_heads;
    for g in 0..s.kv_heads {
        packed.pack(k, v, g, s.seq_kv, d);
        for h in g * group..(g + 1) * group {
            for q0 in (0..s.seq_q).step_by(BQ) {
                let rows = q0..(q0 + BQ).min(s.seq_q);
                let at = (h * s.seq_q + q0) * d;
                let len = rows.len() * d;
                query_block::<L>(
                    p,
                    &packed,
                    &mut scratch,
                    &q[at..][..len],
                    rows,
                    &mut out[at..][..len],
                );
            }
        }
    }
}

/// Attention for one block of query rows of one head against every key tile it may see.
fn query_block<L: Lanes>(
    p: &Problem,
    packed: &Packed,
    sc: &mut Scratch,
    q: &[f32],
    rows: Range<usize>,
    out: &mut [f32],
) {
    let d = p.shape.head_dim;
    let nk = p.shape.seq_kv;
    let dp = packed.dp;
    let nr = rows.len();
    let nr_pad = nr.div_ceil(MR) * MR;
    let scale2 = p.scale * std::f32::consts::LOG2_E;

    sc.q[..nr_pad * dp].fill(0.0);
    for r in 0..nr {
        for (dst, &x) in sc.q[r * dp..][..d].iter_mut().zip(&q[r * d..][..d]) {
            *dst = x * scale2;
        }
    }
    sc.o[..nr_pad * dp].fill(0.0);
    sc.m.fill(f32::NEG_INFINITY);
    sc.l.fill(0.0);

    for (t, c0) in (0..nk).step_by(BK).enumerate() {
        let cols = c0..(c0 + BK).min(nk);
        let cov = p.mask.coverage(rows.clone(), cols.clone());
        if cov == Coverage::Empty {
            continue;
        }
        let nc = cols.len();
        let nc_pad = nc.div_ceil(NR) * NR;
        let kt = &packed.kt[t * dp * BK..][..dp * BK];

        // S = Q K^T for this tile.
        for r in (0..nr_pad).step_by(MR) {
            for c in (0..nc_pad).step_by(NR) {
                micro_qk::<L>(
                    &sc.q[r * dp..][..MR * dp],
                    &kt[c..],
                    dp,
                    &mut sc.s[r * BK + c..],
                );
            }
        }

        // Remove masked pairs and the padding past the last key.
        if cov == Coverage::Partial || nc < nc_pad {
            for r in 0..nr {
                let srow = &mut sc.s[r * BK..][..nc_pad];
                if cov == Coverage::Partial {
                    for (c, sv) in srow[..nc].iter_mut().enumerate() {
                        if !p.mask.allowed(rows.start + r, c0 + c) {
                            *sv = f32::NEG_INFINITY;
                        }
                    }
                }
                srow[nc..].fill(f32::NEG_INFINITY);
            }
        }

        // Online softmax: fold this tile into each row's running max and sum.
        for r in 0..nr_pad {
            let srow = &mut sc.s[r * BK..][..nc_pad];
            if r >= nr {
                srow.fill(0.0);
                continue;
            }
            let mut mx = L::splat(f32::NEG_INFINITY);
            for c in (0..nc_pad).step_by(4) {
                // SAFETY: c + 4 <= nc_pad = srow.len().
                mx = L::max(mx, unsafe { L::load(srow.as_ptr().add(c)) });
            }
            let tile_max = L::hmax(mx);
            if tile_max == f32::NEG_INFINITY {
                srow.fill(0.0); // nothing allowed in this tile for this row
                continue;
            }
            let m_old = sc.m[r];
            if tile_max > m_old {
                if m_old != f32::NEG_INFINITY {
                    // The max rose: rescale what was accumulated under the old max.
                    let alpha = (m_old - tile_max).exp2();
                    sc.o[r * dp..][..dp].iter_mut().for_each(|o| *o *= alpha);
                    sc.l[r] *= alpha;
                }
                sc.m[r] = tile_max;
            }
            let mv = L::splat(sc.m[r]);
            let mut sum = L::splat(0.0);
            for c in (0..nc_pad).step_by(4) {
                // SAFETY: c + 4 <= nc_pad = srow.len().
                unsafe {
                    let ptr = srow.as_mut_ptr().add(c);
                    let sv = L::load(ptr);
                    // exp2 of a masked score (-inf) is exactly 0.
                    let e = L::exp2(L::sub(sv, mv));
                    L::store(ptr, e);
                    sum = L::add(sum, e);
                }
            }
            sc.l[r] += L::hsum(sum);
        }

        // O += P V for this tile.
        let vt = &packed.v[c0 * dp..][..nc * dp];
        for r in (0..nr_pad).step_by(MR) {
            for x in (0..dp).step_by(NR) {
                micro_pv::<L>(&sc.s[r * BK..], vt, nc, dp, x, &mut sc.o[r * dp..]);
            }
        }
    }

    for r in 0..nr {
        let dst = &mut out[r * d..][..d];
        let l = sc.l[r];
        if l == 0.0 {
            dst.fill(0.0); // no allowed key: zero output
        } else {
            let inv = 1.0 / l;
            for (o, &a) in dst.iter_mut().zip(&sc.o[r * dp..][..d]) {
                *o = a * inv;
            }
        }
    }
}

/// s[i][0..8] = sum_x q[i][x] kt[x][0..8] for the 4 rows i of a register block.
/// `q` rows are `dp` apart, `kt` rows and `s` rows `BK` apart.
#[inline(always)]
fn micro_qk<L: Lanes>(q: &[f32], kt: &[f32], dp: usize, s: &mut [f32]) {
    assert!(q.len() >= MR * dp && kt.len() >= (dp - 1) * BK + NR && s.len() >= (MR - 1) * BK + NR);
    let mut acc = [[L::splat(0.0); 2]; MR];
    let (qp, kp) = (q.as_ptr(), kt.as_ptr());
    for x in 0..dp {
        // SAFETY: bounds asserted above.
        unsafe {
            let k0 = L::load(kp.add(x * BK));
            let k1 = L::load(kp.add(x * BK + 4));
            for (i, a) in acc.iter_mut().enumerate() {
                let qv = L::splat(*qp.add(i * dp + x));
                a[0] = L::madd(qv, k0, a[0]);
                a[1] = L::madd(qv, k1, a[1]);
            }
        }
    }
    for (i, a) in acc.iter().enumerate() {
        // SAFETY: bounds asserted above.
        unsafe {
            L::store(s.as_mut_ptr().add(i * BK), a[0]);
            L::store(s.as_mut_ptr().add(i * BK + 4), a[1]);
        }
    }
}

/// o[i][x..x+8] += sum_j p[i][j] v[j][x..x+8] for the 4 rows i of a register block.
/// `p` rows are `BK` apart, `v` and `o` rows `dp` apart.
#[inline(always)]
fn micro_pv<L: Lanes>(p: &[f32], v: &[f32], nc: usize, dp: usize, x: usize, o: &mut [f32]) {
    assert!(
        p.len() >= (MR - 1) * BK + nc
            && v.len() >= nc * dp
            && o.len() >= (MR - 1) * dp + x + NR
            && x + NR <= dp
    );
    let (pp, vp, op) = (p.as_ptr(), v.as_ptr(), o.as_mut_ptr());
    // SAFETY: bounds asserted above.
    unsafe {
        let mut acc = [[L::splat(0.0); 2]; MR];
        for (i, a) in acc.iter_mut().enumerate() {
            a[0] = L::load(op.add(i * dp + x));
            a[1] = L::load(op.add(i * dp + x + 4));
        }
        for j in 0..nc {
            let v0 = L::load(vp.add(j * dp + x));
            let v1 = L::load(vp.add(j * dp + x + 4));
            for (i, a) in acc.iter_mut().enumerate() {
                let pv = L::splat(*pp.add(i * BK + j));
                a[0] = L::madd(pv, v0, a[0]);
                a[1] = L::madd(pv, v1, a[1]);
            }
        }
        for (i, a) in acc.iter().enumerate() {
            L::store(op.add(i * dp + x), a[0]);
            L::store(op.add(i * dp + x + 4), a[1]);
        }
    }
}
