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
//! Every key/value head is packed once, up front, and shared read-only. The work items are
//! (query head, query block); each writes its own rows of the output. Without the `threads`
//! feature they run in order on one scratch; with it they run on the rayon pool, heaviest first
//! (the blocks that see the most key tiles, e.g. the last ones under a causal mask), each thread
//! taking the next item as it finishes one, with one scratch per thread. An item runs the same
//! code in the same order on any thread, so the output is bit for bit the same for any number of
//! threads.
//!
//! Memory is linear in the sequence length: the packed key/value heads plus fixed-size scratch
//! per thread. Nothing is allocated inside the loops.

use super::{Lanes, Problem};
use crate::mask::Coverage;
use std::borrow::Cow;
use std::ops::Range;

/// Query rows per block.
const BQ: usize = 64;
/// Keys per tile.
const BK: usize = 64;
/// Rows of a register block.
const MR: usize = 4;
/// Columns of a register block (two 4-lane vectors).
const NR: usize = 8;

/// Sizes the tiled kernel derives from a problem.
#[derive(Clone, Copy)]
struct Dims {
    /// Head dimension.
    d: usize,
    /// Head dimension rounded up to a multiple of NR: the row length of packed K^T tiles, of V
    /// rows as the micro-kernels read them, and of the scratch Q and O rows.
    dp: usize,
    /// Key tiles per key/value head.
    tiles: usize,
}

impl Dims {
    fn new(head_dim: usize, seq_kv: usize) -> Dims {
        Dims {
            d: head_dim,
            dp: head_dim.div_ceil(NR) * NR,
            tiles: seq_kv.div_ceil(BK),
        }
    }
}

/// Numbers the tiled kernel packs for a problem of this shape (every key/value head), for the
/// memory check in `Shape::validate`.
pub(super) fn packed_len(shape: &super::Shape) -> Option<u64> {
    let dims = Dims::new(shape.head_dim, shape.seq_kv);
    let per_head = (dims.tiles as u64 * BK as u64).checked_mul(dims.dp as u64)?;
    let copies = if dims.dp == dims.d { 1 } else { 2 };
    per_head.checked_mul(copies * shape.kv_heads as u64)
}

/// One key/value head, packed for the micro-kernels; shared read-only by every query head of
/// its group.
struct Packed<'a> {
    /// `tiles x dp x BK`: tile t holds K[t*BK .. t*BK+BK]^T, zero past the last key.
    kt: Vec<f32>,
    /// `seq_kv x dp`: V with each row padded to `dp`. Borrowed from the input when `d = dp`.
    v: Cow<'a, [f32]>,
}

impl<'a> Packed<'a> {
    /// Packs key/value head `g` (`n` keys of `d` numbers each).
    fn new(k: &[f32], v: &'a [f32], g: usize, n: usize, dims: Dims) -> Packed<'a> {
        let Dims { d, dp, tiles } = dims;
        let (kh, vh) = (&k[g * n * d..][..n * d], &v[g * n * d..][..n * d]);
        let mut kt = vec![0.0; tiles * dp * BK];
        for (j, kj) in kh.chunks_exact(d).enumerate() {
            let (t, jj) = (j / BK, j % BK);
            let tile = &mut kt[t * dp * BK..][..dp * BK];
            for (x, &kx) in kj.iter().enumerate() {
                tile[x * BK + jj] = kx;
            }
        }
        let v = if dp == d {
            Cow::Borrowed(vh)
        } else {
            let mut vp = vec![0.0; n * dp];
            for (dst, src) in vp.chunks_exact_mut(dp).zip(vh.chunks_exact(d)) {
                dst[..d].copy_from_slice(src);
            }
            Cow::Owned(vp)
        };
        Packed { kt, v }
    }
}

/// Per-block working memory, reused for every block a thread runs.
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

impl Scratch {
    fn new(dp: usize) -> Scratch {
        Scratch {
            q: vec![0.0; BQ * dp],
            s: vec![0.0; BQ * BK],
            o: vec![0.0; BQ * dp],
            m: [0.0; BQ],
            l: [0.0; BQ],
        }
    }
}

pub(super) fn attention<L: Lanes>(p: &Problem, q: &[f32], k: &[f32], v: &[f32], out: &mut [f32]) {
    let s = p.shape;
    let dims = Dims::new(s.head_dim, s.seq_kv);
    let d = dims.d;
    // One work item is (query head h, query block b); its output rows are one chunk of `out`.
    let item = |h: usize, b: usize, packed: &[Packed], sc: &mut Scratch, out: &mut [f32]| {
        let rows = b * BQ..((b + 1) * BQ).min(s.seq_q);
        let at = (h * s.seq_q + rows.start) * d;
        let qb = &q[at..][..rows.len() * d];
        query_block::<L>(p, dims, &packed[s.kv_head(h)], sc, qb, rows, out);
    };

    #[cfg(not(feature = "threads"))]
    {
        let packed: Vec<Packed> = (0..s.kv_heads)
            .map(|g| Packed::new(k, v, g, s.seq_kv, dims))
            .collect();
        let mut sc = Scratch::new(dims.dp);
        for (h, out_h) in out.chunks_mut(s.seq_q * d).enumerate() {
            for (b, out_b) in out_h.chunks_mut(BQ * d).enumerate() {
                item(h, b, &packed, &mut sc, out_b);
            }
        }
    }

    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Mutex;

        let packed: Vec<Packed> = (0..s.kv_heads)
            .into_par_iter()
            .map(|g| Packed::new(k, v, g, s.seq_kv, dims))
            .collect();
        // Work of each query block: the key tiles the mask leaves (the same for every head).
        let blocks = s.seq_q.div_ceil(BQ);
        let work: Vec<usize> = (0..blocks)
            .into_par_iter()
            .map(|b| {
                let rows = b * BQ..((b + 1) * BQ).min(s.seq_q);
                (0..s.seq_kv)
                    .step_by(BK)
                    .filter(|&c0| {
                        p.mask.coverage(rows.clone(), c0..(c0 + BK).min(s.seq_kv))
                            != Coverage::Empty
                    })
                    .count()
            })
            .collect();
        // Heaviest first (stable: ties keep head-major order), so that the light items fill
        // the gaps at the end.
        let mut items: Vec<(usize, usize, &mut [f32])> = out
            .chunks_mut(s.seq_q * d)
            .enumerate()
            .flat_map(|(h, out_h)| {
                out_h
                    .chunks_mut(BQ * d)
                    .enumerate()
                    .map(move |(b, out_b)| (h, b, out_b))
            })
            .collect();
        items.sort_by_key(|&(_, b, _)| std::cmp::Reverse(work[b]));
        // Each thread takes the next item until none is left. Every item's lock is taken once,
        // by the one thread that drew its index, so it never waits.
        let items: Vec<Mutex<(usize, usize, &mut [f32])>> =
            items.into_iter().map(Mutex::new).collect();
        let next = AtomicUsize::new(0);
        rayon::broadcast(|_| {
            let mut sc = Scratch::new(dims.dp);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = items.get(i) else { break };
                let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
                let (h, b, ref mut out_b) = *guard;
                item(h, b, &packed, &mut sc, out_b);
            }
        });
    }
}

/// Attention for one block of query rows of one head against every key tile it may see.
fn query_block<L: Lanes>(
    p: &Problem,
    dims: Dims,
    packed: &Packed,
    sc: &mut Scratch,
    q: &[f32],
    rows: Range<usize>,
    out: &mut [f32],
) {
    let Dims { d, dp, .. } = dims;
    let nk = p.shape.seq_kv;
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
