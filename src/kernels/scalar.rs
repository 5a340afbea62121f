//! The baseline kernel: one query row at a time, plain f32 loops, no tricks.
//!
//! For each head h and query i:
//!   s_j = scale * (q_i . k_j)            for every key j the mask allows
//!   a_j = exp(s_j - max s) / sum exp(.)  (0 where masked; all 0 if no key is allowed)
//!   out_i = sum_j a_j v_j

use super::Problem;

pub(super) fn attention(p: &Problem, q: &[f32], k: &[f32], v: &[f32], out: &mut [f32]) {
    let s = p.shape;
    let d = s.head_dim;
    // One row of scores, reused for every query.
    let mut row = vec![f32::NEG_INFINITY; s.seq_kv];
    for h in 0..s.heads {
        let g = s.kv_head(h);
        let kh = &k[g * s.seq_kv * d..][..s.seq_kv * d];
        let vh = &v[g * s.seq_kv * d..][..s.seq_kv * d];
        for i in 0..s.seq_q {
            let qi = &q[(h * s.seq_q + i) * d..][..d];
            let mut max = f32::NEG_INFINITY;
            for (j, r) in row.iter_mut().enumerate() {
                *r = if p.mask.allowed(i, j) {
                    let kj = &kh[j * d..][..d];
                    p.scale * qi.iter().zip(kj).map(|(a, b)| a * b).sum::<f32>()
                } else {
                    f32::NEG_INFINITY
                };
                max = max.max(*r);
            }
            let oi = &mut out[(h * s.seq_q + i) * d..][..d];
            oi.fill(0.0);
            if max == f32::NEG_INFINITY {
                continue; // no allowed key: zero output
            }
            let mut sum = 0.0;
            for r in row.iter_mut() {
                *r = if *r == f32::NEG_INFINITY {
                    0.0
                } else {
                    (*r - max).exp()
                };
                sum += *r;
            }
            for (j, &a) in row.iter().enumerate() {
                if a != 0.0 {
                    let vj = &vh[j * d..][..d];
                    for (o, &x) in oi.iter_mut().zip(vj) {
                        *o += a / sum * x;
                    }
                }
            }
        }
    }
}
