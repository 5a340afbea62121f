//! The readable reference: attention one stage at a time, every intermediate matrix kept.
//!
//! This is the truth the fast kernels are tested against and the arithmetic the playground
//! shows. Each function is one stage; its doc comment is written as the lesson caption: what the
//! stage does, why, and the shapes (`n` query tokens, `m` key tokens, `d_model` embedding width,
//! `d_k` head width).
//!
//! Pure Rust and ndarray: no wasm, browser or UI types here.

use crate::kernels::Problem;
use crate::mask::{Coverage, MaskView};
use ndarray::{concatenate, s, Array1, Array2, ArrayView2, Axis};

/// Sinusoidal positional encoding, `n x d_model`.
///
/// Attention itself ignores order: shuffle the tokens and each one gets the same result. Adding
/// a position signal to each embedding lets the model tell "dog bites man" from "man bites dog".
/// Column pair (2i, 2i+1) holds sin and cos of `pos / 10000^(2i / d_model)`: fast waves in the
/// first columns, slow ones in the last, so every position gets a distinct pattern.
pub fn positional_encoding(n: usize, d_model: usize) -> Array2<f32> {
    // Each column's wavelength, computed once (the same value for every position).
    let wavelength: Vec<f64> = (0..d_model)
        .map(|c| 10000f64.powf(2.0 * (c / 2) as f64 / d_model as f64))
        .collect();
    Array2::from_shape_fn((n, d_model), |(pos, c)| {
        let angle = pos as f64 / wavelength[c];
        (if c % 2 == 0 { angle.sin() } else { angle.cos() }) as f32
    })
}

/// Input to attention: token embeddings plus positions, `X = E + PE`, `n x d_model`.
pub fn add_positions(embeddings: ArrayView2<f32>) -> Array2<f32> {
    let (n, d) = embeddings.dim();
    &embeddings + &positional_encoding(n, d)
}

/// A projection `X W`: `n x d_model` times `d_model x d_k` gives `n x d_k`.
///
/// Each head has its own W_Q, W_K and W_V. The query of a token says what it is looking for, its
/// key what it offers to be found by, its value what it hands over when found. W_O maps the
/// concatenated heads back to `d_model`.
pub fn project(x: ArrayView2<f32>, w: ArrayView2<f32>) -> Array2<f32> {
    x.dot(&w)
}

/// Raw scores `S = Q K^T`: `n x d_k` times `d_k x m` gives `n x m`.
///
/// Entry (i, j) is the dot product of query i with key j: large when they point the same way,
/// i.e. when token j has what token i is looking for.
pub fn scores(q: ArrayView2<f32>, k: ArrayView2<f32>) -> Array2<f32> {
    q.dot(&k.t())
}

/// Scaled scores `S * scale`, `n x m`; the usual scale is `1 / sqrt(d_k)`.
///
/// A dot product of `d_k` random terms grows like `sqrt(d_k)`. Unscaled, large scores push softmax
/// into saturation: one weight near 1, the rest near 0, and almost no gradient. Dividing by
/// `sqrt(d_k)` keeps the scores near unit size whatever the head width.
pub fn scale(scores: ArrayView2<f32>, factor: f32) -> Array2<f32> {
    scores.mapv(|s| s * factor)
}

/// Masked scores, `n x m`: removed pairs become `-inf`.
///
/// A mask says which keys a query may see: not the future (causal), not padding, only nearby
/// tokens (window), and so on. Setting a score to `-inf` makes its weight exactly 0 after softmax.
///
/// (Computed tile by tile: a tile the mask keeps or removes whole is copied or filled without
/// asking the mask about each pair, which at 512 tokens was most of a head's time.)
pub fn apply_mask(scaled: ArrayView2<f32>, mask: &MaskView) -> Array2<f32> {
    const TILE: usize = 64;
    let (n, m) = scaled.dim();
    let mut masked = scaled.to_owned();
    for r0 in (0..n).step_by(TILE) {
        let rows = r0..(r0 + TILE).min(n);
        for c0 in (0..m).step_by(TILE) {
            let cols = c0..(c0 + TILE).min(m);
            match mask.coverage(rows.clone(), cols.clone()) {
                Coverage::Full => {}
                Coverage::Empty => masked
                    .slice_mut(s![rows.clone(), cols])
                    .fill(f32::NEG_INFINITY),
                Coverage::Partial => {
                    for i in rows.clone() {
                        for j in cols.clone() {
                            if !mask.allowed(i, j) {
                                masked[(i, j)] = f32::NEG_INFINITY;
                            }
                        }
                    }
                }
            }
        }
    }
    masked
}

/// Attention weights `A = softmax(S)` along each row, `n x m`; each row sums to 1.
///
/// `exp` makes every score positive and stretches the differences; dividing by the row sum turns
/// them into proportions. Subtracting the row's max first changes nothing mathematically but keeps
/// `exp` from overflowing. A row with no allowed key (all `-inf`) gets all-zero weights.
pub fn softmax_rows(masked: ArrayView2<f32>) -> Array2<f32> {
    let mut out = masked.to_owned();
    for mut row in out.rows_mut() {
        let max = row.fold(f32::NEG_INFINITY, |m, &x| m.max(x));
        if max == f32::NEG_INFINITY {
            row.fill(0.0);
            continue;
        }
        row.mapv_inplace(|x| (x - max).exp());
        let sum = row.sum();
        row.mapv_inplace(|x| x / sum);
    }
    out
}

/// Head output `Z = A V`: `n x m` times `m x d_k` gives `n x d_k`.
///
/// Each token's new vector is a mixture of the value vectors, weighted by how much it attends to
/// each token: row i is `sum_j A[i, j] v_j`.
pub fn weighted_sum(weights: ArrayView2<f32>, v: ArrayView2<f32>) -> Array2<f32> {
    weights.dot(&v)
}

/// Heads side by side, `n x (heads * d_k)`.
///
/// Each head can attend to something different (the previous word, the subject, punctuation);
/// concatenating keeps all their findings.
pub fn concat_heads(heads: &[Array2<f32>]) -> Array2<f32> {
    let views: Vec<ArrayView2<f32>> = heads.iter().map(|h| h.view()).collect();
    concatenate(Axis(1), &views).expect("heads have the same number of rows")
}

/// Entropy of each weight row in bits: 0 when one key takes everything, `log2(m)` when spread
/// evenly. Shows softmax saturating as the scale grows.
pub fn row_entropy(weights: ArrayView2<f32>) -> Array1<f32> {
    weights.map_axis(Axis(1), |row| {
        row.iter()
            .filter(|&&a| a > 0.0)
            .map(|&a| -a * a.log2())
            .sum()
    })
}

/// The largest weight in each row.
pub fn row_max(weights: ArrayView2<f32>) -> Array1<f32> {
    weights.map_axis(Axis(1), |row| row.fold(0.0f32, |m, &a| m.max(a)))
}

/// One head from Q, K, V (`n x d_k`, `m x d_k`, `m x d_k`): returns the weights `n x m` and the
/// output `n x d_k`.
pub fn attention_head(
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    v: ArrayView2<f32>,
    factor: f32,
    mask: &MaskView,
) -> (Array2<f32>, Array2<f32>) {
    let weights = softmax_rows(apply_mask(scale(scores(q, k).view(), factor).view(), mask).view());
    let out = weighted_sum(weights.view(), v);
    (weights, out)
}

/// Multi-head attention on flat (head, position, dim) buffers, stage by stage: the truth every
/// kernel is compared with. Returns `heads x seq_q x head_dim`.
pub fn attention(p: &Problem, q: &[f32], k: &[f32], v: &[f32]) -> Vec<f32> {
    let s = p.shape;
    let d = s.head_dim;
    let mut out = Vec::with_capacity(s.q_len());
    for h in 0..s.heads {
        let g = s.kv_head(h);
        let view = |buf: &[f32], head: usize, n: usize| {
            Array2::from_shape_vec((n, d), buf[head * n * d..][..n * d].to_vec())
                .expect("sizes checked")
        };
        let (qh, kh, vh) = (
            view(q, h, s.seq_q),
            view(k, g, s.seq_kv),
            view(v, g, s.seq_kv),
        );
        let (_, o) = attention_head(qh.view(), kh.view(), vh.view(), p.scale, &p.mask);
        out.extend(o.iter());
    }
    out
}
