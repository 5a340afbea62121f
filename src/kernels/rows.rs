//! One query row at a time, with 4-lane vectors for the dot products, the exponentials and the
//! weighted sum. Key segments of 64 that the mask removes for this row are skipped. Suits
//! decoding (one query against many keys), where there is no query block to tile.

use super::{Lanes, Problem};
use crate::mask::Coverage;

const SEGMENT: usize = 64;

/// q . k over `d` numbers: vector part, then the scalar tail.
#[inline(always)]
fn dot<L: Lanes>(a: &[f32], b: &[f32], d: usize) -> f32 {
    let body = d / 8 * 8;
    let (mut acc0, mut acc1) = (L::splat(0.0), L::splat(0.0));
    let mut x = 0;
    while x < body {
        // SAFETY: x + 8 <= body <= d <= a.len(), b.len().
        unsafe {
            acc0 = L::madd(L::load(a.as_ptr().add(x)), L::load(b.as_ptr().add(x)), acc0);
            acc1 = L::madd(
                L::load(a.as_ptr().add(x + 4)),
                L::load(b.as_ptr().add(x + 4)),
                acc1,
            );
        }
        x += 8;
    }
    let mut sum = L::hsum(L::add(acc0, acc1));
    for t in body..d {
        sum += a[t] * b[t];
    }
    sum
}

/// out += a * x over `d` numbers.
#[inline(always)]
fn axpy<L: Lanes>(out: &mut [f32], a: f32, x: &[f32], d: usize) {
    let body = d / 4 * 4;
    let av = L::splat(a);
    let mut t = 0;
    while t < body {
        // SAFETY: t + 4 <= body <= d <= out.len(), x.len().
        unsafe {
            let o = out.as_mut_ptr().add(t);
            L::store(o, L::madd(av, L::load(x.as_ptr().add(t)), L::load(o)));
        }
        t += 4;
    }
    for t in body..d {
        out[t] += a * x[t];
    }
}

pub(super) fn attention<L: Lanes>(p: &Problem, q: &[f32], k: &[f32], v: &[f32], out: &mut [f32]) {
    let s = p.shape;
    let d = s.head_dim;
    let n = s.seq_kv;
    // Scores in log2 units: exp(x) = 2^(x log2 e), so the scale absorbs log2 e.
    let scale2 = p.scale * std::f32::consts::LOG2_E;
    // Scores padded to a multiple of 4 with -inf (weight 0).
    let padded = n.div_ceil(4) * 4;
    let mut row = vec![f32::NEG_INFINITY; padded];
    for h in 0..s.heads {
        let g = s.kv_head(h);
        let kh = &k[g * n * d..][..n * d];
        let vh = &v[g * n * d..][..n * d];
        for i in 0..s.seq_q {
            let qi = &q[(h * s.seq_q + i) * d..][..d];
            let mut max = f32::NEG_INFINITY;
            for j0 in (0..n).step_by(SEGMENT) {
                let j1 = (j0 + SEGMENT).min(n);
                let cov = p.mask.coverage(i..i + 1, j0..j1);
                for j in j0..j1 {
                    row[j] = if cov == Coverage::Full
                        || (cov == Coverage::Partial && p.mask.allowed(i, j))
                    {
                        scale2 * dot::<L>(qi, &kh[j * d..][..d], d)
                    } else {
                        f32::NEG_INFINITY
                    };
                    max = max.max(row[j]);
                }
            }
            let oi = &mut out[(h * s.seq_q + i) * d..][..d];
            oi.fill(0.0);
            if max == f32::NEG_INFINITY {
                continue; // no allowed key: zero output
            }
            let mv = L::splat(max);
            let mut sum = L::splat(0.0);
            for c in (0..padded).step_by(4) {
                // SAFETY: c + 4 <= padded = row.len().
                unsafe {
                    let ptr = row.as_mut_ptr().add(c);
                    let sv = L::load(ptr);
                    let e = L::exp2(L::sub(sv, mv)); // 0 for masked (-inf) scores
                    L::store(ptr, e);
                    sum = L::add(sum, e);
                }
            }
            let inv = 1.0 / L::hsum(sum);
            for (j, a) in row[..n].iter_mut().enumerate() {
                if *a != 0.0 {
                    axpy::<L>(oi, *a * inv, &vh[j * d..][..d], d);
                }
                *a = f32::NEG_INFINITY;
            }
            row[n..].fill(f32::NEG_INFINITY);
        }
    }
}
