//! The tiled online-softmax kernel (FlashAttention-2 on a CPU).
//!
//! For each key/value head, K is packed once, transposed tile by tile in panels of 8 keys, so
//! that the key axis is the vector axis and a micro-kernel reads one panel front to back; V is
//! used as it is when the head dimension is a multiple of 8, else packed with padded rows. Then
//! for each query head of the group and each block of up to 64 query rows:
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
//! The register blocks are 4 rows x 8 columns: 8 accumulators, two loads of K^T or V, 8
//! multiply-adds (fused in the relaxed build) per step; Q is kept in panels of 4 rows ("one
//! dimension of all 4 rows together") so that one load and lane shuffles give the 4 rows'
//! multipliers, P's are splatted from memory. That is about as many live vectors as V8 keeps in
//! x64's 16 registers without spilling. The
//! exponentials are vectorised without branches (see [`Lanes::exp2`]); element masks are applied
//! only on tiles the mask cuts through; O is rescaled only when a row's maximum rises.
//!
//! Every key/value head is packed once, up front, and shared read-only. The work items are
//! (query head, query block); each writes its own rows of the output. Without the `threads`
//! feature they run in order on one scratch; with it they run on the rayon pool, heaviest first
//! (the blocks that see the most key tiles, e.g. the last ones under a causal mask), each thread
//! taking the next item as it finishes one, with one scratch per thread. An item runs the same
//! code in the same order on any thread, so the output is bit for bit the same for any number of
//! threads.
//!
//! Decoding (at most 4 query rows) has too few items to share out, so there the keys are split
//! into chunks of 8 tiles: each (head, chunk) is an item that leaves its rows' running max, sum
//! and unnormalised output, and the chunks are merged in order afterwards (log-sum-exp). The
//! split depends only on the shape, so it is the same with and without threads.
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
    // In 64 bits, before any Dims exist: a hostile head_dim near usize::MAX must not overflow here.
    let (d, nr, bk) = (shape.head_dim as u64, NR as u64, BK as u64);
    let dp = d.div_ceil(nr).checked_mul(nr)?;
    let per_head = (shape.seq_kv as u64)
        .div_ceil(bk)
        .checked_mul(bk)?
        .checked_mul(dp)?;
    let copies = if dp == d { 1 } else { 2 };
    per_head.checked_mul(copies * shape.kv_heads as u64)
}

/// One key/value head, packed for the micro-kernels; shared read-only by every query head of
/// its group.
struct Packed<'a> {
    /// `tiles x (BK/NR) x dp x NR`: tile t holds K[t*BK .. t*BK+BK]^T in panels of NR keys
    /// (panel c holds keys c*NR.. as `dp x NR`, one dimension of all NR keys together), zero
    /// past the last key and past dimension d.
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
            let (t, c) = (j / BK, j % BK);
            let panel = &mut kt[t * dp * BK + (c / NR) * dp * NR..][..dp * NR];
            for (x, &kx) in kj.iter().enumerate() {
                panel[x * NR + c % NR] = kx;
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
    let Dims { d, dp, tiles } = dims;
    let packed = pack_all(k, v, s.kv_heads, s.seq_kv, dims);
    let q_rows =
        |h: usize, rows: &Range<usize>| &q[(h * s.seq_q + rows.start) * d..][..rows.len() * d];

    let chunks = if s.seq_q <= SPLIT_ROWS {
        tiles.div_ceil(SPLIT_TILES)
    } else {
        1
    };
    if chunks <= 1 {
        // One work item per (query head h, query block b); its output rows are one chunk of
        // `out`.
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
        heaviest_first(p, &mut items, |&(_, b, _)| {
            (b * BQ..((b + 1) * BQ).min(s.seq_q), 0..tiles)
        });
        run(items, dp, |sc, (h, b, out_b)| {
            let rows = b * BQ..((b + 1) * BQ).min(s.seq_q);
            let g = &packed[s.kv_head(h)];
            query_block::<L>(p, dims, g, sc, q_rows(h, &rows), rows, 0..tiles);
            finish(sc, dims, out_b);
        });
    } else {
        // Decoding: a few query rows against many keys. Each (head, chunk of SPLIT_TILES key
        // tiles) is an item that leaves its rows' running max, sum and unnormalised output in
        // `partial`; the chunks are then merged in order. The split depends on the shape only,
        // so the result does not depend on the number of threads.
        let nr = s.seq_q;
        let part_len = nr * (dp + 2);
        let mut partial = vec![0.0; s.heads * chunks * part_len];
        let mut items: Vec<(usize, usize, &mut [f32])> = partial
            .chunks_mut(part_len)
            .enumerate()
            .map(|(i, part)| (i / chunks, i % chunks, part))
            .collect();
        let chunk_tiles = |c: usize| c * SPLIT_TILES..((c + 1) * SPLIT_TILES).min(tiles);
        heaviest_first(p, &mut items, |&(_, c, _)| (0..nr, chunk_tiles(c)));
        run(items, dp, |sc, (h, c, part)| {
            let g = &packed[s.kv_head(h)];
            query_block::<L>(p, dims, g, sc, q_rows(h, &(0..nr)), 0..nr, chunk_tiles(c));
            let (ml, o) = part.split_at_mut(2 * nr);
            ml[..nr].copy_from_slice(&sc.m[..nr]);
            ml[nr..].copy_from_slice(&sc.l[..nr]);
            o.copy_from_slice(&sc.o[..nr * dp]);
        });
        for (out_h, parts) in out
            .chunks_mut(nr * d)
            .zip(partial.chunks(chunks * part_len))
        {
            merge(parts, nr, dims, out_h);
        }
    }
}

/// Query blocks of at most this many rows are split along the keys (decoding).
const SPLIT_ROWS: usize = 4;
/// Key tiles per chunk when a query block is split along the keys.
const SPLIT_TILES: usize = 8;

/// Packs every key/value head (in parallel with the `threads` feature).
fn pack_all<'a>(k: &[f32], v: &'a [f32], kv_heads: usize, n: usize, dims: Dims) -> Vec<Packed<'a>> {
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        (0..kv_heads)
            .into_par_iter()
            .map(|g| Packed::new(k, v, g, n, dims))
            .collect()
    }
    #[cfg(not(feature = "threads"))]
    {
        (0..kv_heads)
            .map(|g| Packed::new(k, v, g, n, dims))
            .collect()
    }
}

/// Orders work items by descending work (the key tiles the mask leaves for the item's query
/// rows and tile range), so that a thread pool runs the heaviest first and the light ones fill
/// the gaps at the end; ties keep their order. Without the `threads` feature the order stays.
#[allow(unused_variables)]
fn heaviest_first<T: Send>(
    p: &Problem,
    items: &mut [T],
    span: impl Fn(&T) -> (Range<usize>, Range<usize>) + Sync,
) {
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        let nk = p.shape.seq_kv;
        let work = |rows: Range<usize>, tiles: Range<usize>| {
            tiles
                .filter(|&t| {
                    let cols = t * BK..((t + 1) * BK).min(nk);
                    p.mask.coverage(rows.clone(), cols) != Coverage::Empty
                })
                .count()
        };
        // Items of the same span (all heads of a query block) share one count.
        let mut spans: Vec<(Range<usize>, Range<usize>)> = items.iter().map(&span).collect();
        spans.sort_by_key(|(r, t)| (r.start, t.start));
        spans.dedup();
        let counts: Vec<usize> = spans
            .par_iter()
            .map(|(r, t)| work(r.clone(), t.clone()))
            .collect();
        let count = |it: &T| {
            let (r, t) = span(it);
            let i = spans
                .binary_search_by_key(&(r.start, t.start), |(r, t)| (r.start, t.start))
                .expect("every span was counted");
            counts[i]
        };
        items.sort_by_cached_key(|it| std::cmp::Reverse(count(it)));
    }
}

/// Runs `work` on every item with a scratch of its own thread: in order on one scratch
/// without the `threads` feature; with it, on every thread of the rayon pool, each taking the
/// next item as it finishes one.
fn run<T: Send>(items: Vec<T>, dp: usize, work: impl Fn(&mut Scratch, T) + Sync) {
    #[cfg(not(feature = "threads"))]
    {
        let mut sc = Scratch::new(dp);
        for it in items {
            work(&mut sc, it);
        }
    }
    #[cfg(feature = "threads")]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Mutex;
        // Every slot is taken once, by the one thread that drew its index, so no lock waits.
        let slots: Vec<Mutex<Option<T>>> =
            items.into_iter().map(|it| Mutex::new(Some(it))).collect();
        let next = AtomicUsize::new(0);
        rayon::broadcast(|_| {
            let mut sc: Option<Scratch> = None;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = slots.get(i) else { break };
                let it = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
                if let Some(it) = it {
                    work(sc.get_or_insert_with(|| Scratch::new(dp)), it);
                }
            }
        });
    }
}

/// `out_r = O_r / l_r` for the rows of the block in `sc` (0 where `l_r = 0`: no allowed key).
fn finish(sc: &Scratch, dims: Dims, out: &mut [f32]) {
    let Dims { d, dp, .. } = dims;
    for (r, dst) in out.chunks_exact_mut(d).enumerate() {
        let l = sc.l[r];
        if l == 0.0 {
            dst.fill(0.0);
        } else {
            let inv = 1.0 / l;
            for (o, &a) in dst.iter_mut().zip(&sc.o[r * dp..][..d]) {
                *o = a * inv;
            }
        }
    }
}

/// Merges the chunks of a split query block: `parts` holds, per chunk, the rows' running max
/// (`nr`), sum (`nr`) and unnormalised output (`nr x dp`), all relative to that chunk's max.
fn merge(parts: &[f32], nr: usize, dims: Dims, out: &mut [f32]) {
    let Dims { d, dp, .. } = dims;
    let part_len = nr * (dp + 2);
    for (r, dst) in out.chunks_exact_mut(d).enumerate() {
        dst.fill(0.0);
        let m = parts
            .chunks_exact(part_len)
            .fold(f32::NEG_INFINITY, |m, pt| m.max(pt[r]));
        if m == f32::NEG_INFINITY {
            continue; // no allowed key: zero output
        }
        let mut l = 0.0;
        for pt in parts.chunks_exact(part_len) {
            if pt[r] == f32::NEG_INFINITY {
                continue; // nothing allowed in this chunk
            }
            let w = (pt[r] - m).exp2();
            l += pt[nr + r] * w;
            for (o, &a) in dst.iter_mut().zip(&pt[2 * nr + r * dp..][..d]) {
                *o += a * w;
            }
        }
        // The chunk holding the max contributes at least 1 to l.
        let inv = 1.0 / l;
        dst.iter_mut().for_each(|o| *o *= inv);
    }
}

/// Attention for one block of query rows of one head against the key tiles in `tiles` that
/// the mask does not remove: leaves each row's running max `m`, sum `l` and unnormalised output
/// `o` in `sc`.
fn query_block<L: Lanes>(
    p: &Problem,
    dims: Dims,
    packed: &Packed,
    sc: &mut Scratch,
    q: &[f32],
    rows: Range<usize>,
    tiles: Range<usize>,
) {
    let Dims { d, dp, .. } = dims;
    let nk = p.shape.seq_kv;
    let nr = rows.len();
    let nr_pad = nr.div_ceil(MR) * MR;
    let scale2 = p.scale * std::f32::consts::LOG2_E;
    // Everything the micro-kernels touch lies inside these buffers; checked once per block.
    assert!(
        nr <= BQ
            && sc.q.len() >= BQ * dp
            && sc.o.len() >= BQ * dp
            && sc.s.len() >= BQ * BK
            && packed.kt.len() >= dims.tiles * dp * BK
            && packed.v.len() >= nk * dp
    );

    // Q, scaled by scale * log2(e), in panels of MR rows: panel b holds rows b*MR.. as
    // `dp x MR` (one dimension of all MR rows together), zero past row nr and past dimension d.
    sc.q[..nr_pad * dp].fill(0.0);
    for (r, qr) in q.chunks_exact(d).enumerate() {
        let panel = &mut sc.q[(r / MR) * dp * MR..][..dp * MR];
        for (x, &qx) in qr.iter().enumerate() {
            panel[x * MR + r % MR] = qx * scale2;
        }
    }
    sc.o[..nr_pad * dp].fill(0.0);
    sc.m.fill(f32::NEG_INFINITY);
    sc.l.fill(0.0);

    for t in tiles {
        let c0 = t * BK;
        let cols = c0..(c0 + BK).min(nk);
        let cov = p.mask.coverage(rows.clone(), cols.clone());
        if cov == Coverage::Empty {
            continue;
        }
        let nc = cols.len();
        let nc_pad = nc.div_ceil(NR) * NR;

        // S = Q K^T for this tile.
        let kt = packed.kt[t * dp * BK..].as_ptr();
        for r in (0..nr_pad).step_by(MR) {
            // SAFETY: the Q panel (dp*MR numbers from r*dp), the nc_pad/NR K^T panels (dp*NR
            // numbers each, in a tile of dp*BK) and S rows r..r+MR (columns ..nc_pad <= BK, of
            // BQ x BK) lie inside the buffers asserted above.
            unsafe {
                micro_qk::<L>(
                    sc.q.as_ptr().add(r * dp),
                    kt,
                    dp,
                    nc_pad / NR,
                    sc.s.as_mut_ptr().add(r * BK),
                )
            };
        }

        // Remove masked pairs (only on tiles the mask cuts through) and the padding past the
        // last key. Each row is asked about 8 keys at a time first, so that on a causal or
        // window tile only the segments the boundary crosses are looked at key by key.
        if cov == Coverage::Partial || nc < nc_pad {
            for r in 0..nr {
                let srow = &mut sc.s[r * BK..][..nc_pad];
                if cov == Coverage::Partial {
                    let i = rows.start + r;
                    for (n, seg) in srow[..nc].chunks_mut(NR).enumerate() {
                        let j0 = c0 + n * NR;
                        match p.mask.coverage(i..i + 1, j0..j0 + seg.len()) {
                            Coverage::Full => {}
                            Coverage::Empty => seg.fill(f32::NEG_INFINITY),
                            Coverage::Partial => {
                                for (c, sv) in seg.iter_mut().enumerate() {
                                    if !p.mask.allowed(i, j0 + c) {
                                        *sv = f32::NEG_INFINITY;
                                    }
                                }
                            }
                        }
                    }
                }
                srow[nc..].fill(f32::NEG_INFINITY);
            }
        }

        // Online softmax: fold this tile into each row's running max and sum; S becomes P.
        for r in 0..nr_pad {
            let srow = &mut sc.s[r * BK..][..nc_pad];
            if r >= nr {
                srow.fill(0.0); // padding rows of the last register block
                continue;
            }
            let mut mx = L::splat(f32::NEG_INFINITY);
            for c in (0..nc_pad).step_by(4) {
                // SAFETY: c + 4 <= nc_pad = srow.len().
                mx = L::max(mx, unsafe { L::load(srow.as_ptr().add(c)) });
            }
            let tile_max = L::hmax(mx);
            let m_old = sc.m[r];
            if tile_max > m_old {
                if m_old != f32::NEG_INFINITY {
                    // The max rose: rescale what was accumulated under the old max.
                    let alpha = L::exp2(L::splat(m_old - tile_max));
                    let orow = &mut sc.o[r * dp..][..dp];
                    for x in (0..dp).step_by(4) {
                        // SAFETY: x + 4 <= dp = orow.len().
                        unsafe {
                            let ptr = orow.as_mut_ptr().add(x);
                            L::store(ptr, L::mul(L::load(ptr), alpha));
                        }
                    }
                    sc.l[r] *= L::hmax(alpha);
                }
                sc.m[r] = tile_max;
            }
            // While a row has seen no allowed key its scores are all -inf, and any finite shift
            // gives them weight 0.
            let shift = L::splat(if sc.m[r] == f32::NEG_INFINITY {
                0.0
            } else {
                sc.m[r]
            });
            let mut sum = L::splat(0.0);
            for c in (0..nc_pad).step_by(4) {
                // SAFETY: c + 4 <= nc_pad = srow.len().
                unsafe {
                    let ptr = srow.as_mut_ptr().add(c);
                    // exp2 of a masked score (-inf) is exactly 0.
                    let e = L::exp2(L::sub(L::load(ptr), shift));
                    L::store(ptr, e);
                    sum = L::add(sum, e);
                }
            }
            sc.l[r] += L::hsum(sum);
        }

        // O += P V for this tile.
        let vt = packed.v[c0 * dp..].as_ptr();
        for r in (0..nr_pad).step_by(MR) {
            // SAFETY: P rows r..r+MR (nc numbers each, BK apart), V rows c0..c0+nc (dp apart)
            // and O rows r..r+MR (dp numbers each) lie inside the buffers asserted above.
            unsafe {
                micro_pv::<L>(
                    sc.s.as_ptr().add(r * BK),
                    vt,
                    nc,
                    dp,
                    sc.o.as_mut_ptr().add(r * dp),
                )
            };
        }
    }
}

/// `s[i][c] = sum_x q[x][i] kt[x][c]` for the MR rows `i` of a Q panel (`dp x MR`) and the
/// `panels * NR` keys `c` of K^T panels (`dp x NR` each, one after another); `s` rows are `BK`
/// apart.
///
/// Per step: one load of MR query values, spread to the rows' multipliers by lane shuffles, two
/// loads of keys, 8 multiply-adds into accumulators that stay in registers. Kept out of line,
/// so that V8 gives the accumulators registers of their own.
///
/// # Safety
/// `q` must be readable for `dp * MR` numbers, `kt` for `panels * dp * NR`, and `s` writable at
/// `i * BK + 0..panels * NR` for `i < MR`.
#[inline(never)]
unsafe fn micro_qk<L: Lanes>(q: *const f32, kt: *const f32, dp: usize, panels: usize, s: *mut f32) {
    for c in 0..panels {
        let kt = kt.add(c * dp * NR);
        let mut acc = [[L::splat(0.0); 2]; MR];
        for x in 0..dp {
            let qv = L::load(q.add(x * MR));
            let k0 = L::load(kt.add(x * NR));
            let k1 = L::load(kt.add(x * NR + 4));
            fma_rows::<L>(&mut acc, qv, k0, k1);
        }
        for (i, a) in acc.iter().enumerate() {
            L::store(s.add(i * BK + c * NR), a[0]);
            L::store(s.add(i * BK + c * NR + 4), a[1]);
        }
    }
}

/// `o[i][x] += sum_j p[i][j] v[j][x]` for the MR rows `i` of P (`BK` apart), the `nc` keys `j`
/// of a tile and all `dp` columns `x`, 8 at a time; `v` and `o` rows are `dp` apart.
///
/// Per step: two loads of V, four loads of one probability each, splatted (one instruction
/// each), 8 multiply-adds.
///
/// # Safety
/// `p` must be readable at `i * BK + 0..nc` for `i < MR`, `v` for `nc * dp` numbers, and `o`
/// readable and writable at `i * dp + 0..dp` for `i < MR`.
#[inline(never)]
unsafe fn micro_pv<L: Lanes>(p: *const f32, v: *const f32, nc: usize, dp: usize, o: *mut f32) {
    for x in (0..dp).step_by(NR) {
        let (v, o) = (v.add(x), o.add(x));
        let mut acc = [[L::splat(0.0); 2]; MR];
        for (i, a) in acc.iter_mut().enumerate() {
            a[0] = L::load(o.add(i * dp));
            a[1] = L::load(o.add(i * dp + 4));
        }
        for j in 0..nc {
            let v0 = L::load(v.add(j * dp));
            let v1 = L::load(v.add(j * dp + 4));
            for (i, a) in acc.iter_mut().enumerate() {
                let pv = L::splat(*p.add(i * BK + j));
                a[0] = L::madd(pv, v0, a[0]);
                a[1] = L::madd(pv, v1, a[1]);
            }
        }
        for (i, a) in acc.iter().enumerate() {
            L::store(o.add(i * dp), a[0]);
            L::store(o.add(i * dp + 4), a[1]);
        }
    }
}

/// `acc[i] += a[i] * (b0, b1)` for the MR = 4 lanes `i` of `a`.
#[inline(always)]
fn fma_rows<L: Lanes>(acc: &mut [[L::V; 2]; MR], a: L::V, b0: L::V, b1: L::V) {
    let rows = [
        L::lane::<0>(a),
        L::lane::<1>(a),
        L::lane::<2>(a),
        L::lane::<3>(a),
    ];
    for (acc, r) in acc.iter_mut().zip(rows) {
        acc[0] = L::madd(r, b0, acc[0]);
        acc[1] = L::madd(r, b1, acc[1]);
    }
}
