//! Invariants of the readable reference: the properties attention must have whatever the numbers.
#![cfg(not(target_arch = "wasm32"))]

mod suite;

use attention_playground::{reference as r, Mask, Problem, Shape};
use ndarray::Array2;
use suite::{mask_of_kind, Case, Rng, MASK_KINDS};

fn random(rng: &mut Rng, rows: usize, cols: usize) -> Array2<f32> {
    Array2::from_shape_simple_fn((rows, cols), || rng.normalish())
}

#[test]
fn apply_mask_removes_exactly_the_pairs_the_mask_forbids() {
    // Sizes across the 64 x 64 tiles apply_mask works in, every mask kind.
    let mut rng = Rng(11);
    for kind in 0..MASK_KINDS {
        for _ in 0..4 {
            let (n, m) = (rng.range(1, 200), rng.range(1, 200));
            let mask = mask_of_kind(kind, &mut rng, n, m);
            let view = mask.view(n, m).unwrap();
            let scaled = random(&mut rng, n, m);
            let masked = r::apply_mask(scaled.view(), &view);
            for ((i, j), &x) in masked.indexed_iter() {
                let want = if view.allowed(i, j) {
                    scaled[(i, j)]
                } else {
                    f32::NEG_INFINITY
                };
                assert_eq!(
                    x.to_bits(),
                    want.to_bits(),
                    "kind {kind}, {n} x {m}, ({i}, {j})"
                );
            }
        }
    }
}

#[test]
fn softmax_rows_sum_to_one_and_masked_weights_are_exactly_zero() {
    let mut rng = Rng(3);
    for kind in 0..MASK_KINDS {
        for _ in 0..5 {
            let (n, m) = (rng.range(1, 90), rng.range(1, 90));
            let mask = mask_of_kind(kind, &mut rng, n, m);
            let view = mask.view(n, m).unwrap();
            let (q, k, v) = (
                random(&mut rng, n, 8),
                random(&mut rng, m, 8),
                random(&mut rng, m, 8),
            );
            let (w, _) = r::attention_head(q.view(), k.view(), v.view(), 0.5, &view);
            let empty = view.stats().empty_rows;
            for (i, row) in w.rows().into_iter().enumerate() {
                let sum: f32 = row.sum();
                if empty.contains(&i) {
                    assert_eq!(sum, 0.0, "empty row {i} has weights");
                } else {
                    assert!((sum - 1.0).abs() < 1e-5, "row {i} sums to {sum}");
                }
                for (j, &a) in row.iter().enumerate() {
                    if !view.allowed(i, j) {
                        assert_eq!(a, 0.0, "masked ({i}, {j}) has weight {a}");
                    }
                    assert!(a.is_finite() && a >= 0.0);
                }
            }
        }
    }
}

#[test]
fn causal_output_does_not_change_when_later_tokens_change() {
    let mut rng = Rng(11);
    let (n, d) = (40, 16);
    let mask = Mask::Causal;
    let view = mask.view(n, n).unwrap();
    let (q, k, v) = (
        random(&mut rng, n, d),
        random(&mut rng, n, d),
        random(&mut rng, n, d),
    );
    let (_, out) = r::attention_head(q.view(), k.view(), v.view(), 0.25, &view);
    for i in [0, 7, 25] {
        let (mut q2, mut k2, mut v2) = (q.clone(), k.clone(), v.clone());
        for t in i + 1..n {
            for x in 0..d {
                q2[(t, x)] += 3.0;
                k2[(t, x)] -= 2.0;
                v2[(t, x)] *= -4.0;
            }
        }
        let (_, out2) = r::attention_head(q2.view(), k2.view(), v2.view(), 0.25, &view);
        for t in 0..=i {
            assert_eq!(
                out.row(t),
                out2.row(t),
                "output {t} changed when tokens after {i} changed"
            );
        }
    }
}

#[test]
fn without_mask_or_positions_permuting_tokens_permutes_outputs() {
    let mut rng = Rng(5);
    let (n, d) = (23, 12);
    let view_mask = Mask::None;
    let view = view_mask.view(n, n).unwrap();
    let x = random(&mut rng, n, d);
    let (wq, wk, wv) = (
        random(&mut rng, d, d),
        random(&mut rng, d, d),
        random(&mut rng, d, d),
    );
    let run = |x: &Array2<f32>| {
        let (q, k, v) = (
            r::project(x.view(), wq.view()),
            r::project(x.view(), wk.view()),
            r::project(x.view(), wv.view()),
        );
        r::attention_head(q.view(), k.view(), v.view(), 0.3, &view).1
    };
    let out = run(&x);
    let perm: Vec<usize> = (0..n).map(|i| (i * 7 + 3) % n).collect();
    let xp = Array2::from_shape_fn((n, d), |(i, c)| x[(perm[i], c)]);
    let outp = run(&xp);
    for i in 0..n {
        for c in 0..d {
            assert!((outp[(i, c)] - out[(perm[i], c)]).abs() < 1e-5);
        }
    }
}

#[test]
fn a_logit_of_ten_thousand_gives_no_nan() {
    let scores = Array2::from_shape_vec((2, 3), vec![1e4, 0.0, -1e4, -1e4, 1e4, 1e4]).unwrap();
    let w = r::softmax_rows(scores.view());
    assert_eq!(w.row(0).to_vec(), vec![1.0, 0.0, 0.0]);
    assert_eq!(w.row(1).to_vec(), vec![0.0, 0.5, 0.5]);
}

#[test]
fn a_row_with_no_allowed_key_is_zero_not_nan() {
    // 3 queries, 2 keys, causal aligned at the end: query 0 sits before every key.
    let mask = Mask::Causal;
    let view = mask.view(3, 2).unwrap();
    assert_eq!(view.stats().empty_rows, vec![0]);
    let shape = Shape {
        heads: 1,
        kv_heads: 1,
        seq_q: 3,
        seq_kv: 2,
        head_dim: 2,
    };
    let p = Problem::new(shape, None, &mask).unwrap();
    let out = r::attention(&p, &[1.0; 6], &[1.0; 4], &[1.0, 2.0, 3.0, 4.0]);
    assert_eq!(&out[..2], &[0.0, 0.0]);
    assert!(out.iter().all(|x| x.is_finite()));
}

#[test]
fn scaling_is_overridable_and_one_means_no_scaling() {
    let s = Array2::from_shape_vec((1, 2), vec![2.0, 4.0]).unwrap();
    assert_eq!(r::scale(s.view(), 1.0), s);
    assert_eq!(r::scale(s.view(), 0.5).row(0).to_vec(), vec![1.0, 2.0]);
    let case = Case::new(1, 1, 1, 4, 4, 16, 0);
    let p = Problem::new(case.shape, None, &case.mask).unwrap();
    assert_eq!(p.scale, 0.25, "default scale is 1/sqrt(d_k)");
}

#[test]
fn positional_encoding_is_sin_cos_of_position() {
    let pe = r::positional_encoding(5, 6);
    assert_eq!(pe[(0, 0)], 0.0);
    assert_eq!(pe[(0, 1)], 1.0);
    assert!((pe[(3, 0)] - 3f32.sin()).abs() < 1e-6);
    assert!((pe[(3, 3)] - (3.0 / 10000f32.powf(2.0 / 6.0)).cos()).abs() < 1e-6);
}

#[test]
fn grouped_heads_share_key_value_heads() {
    // MQA: 4 query heads, 1 kv head; identical queries give identical outputs.
    let shape = Shape {
        heads: 4,
        kv_heads: 1,
        seq_q: 3,
        seq_kv: 5,
        head_dim: 2,
    };
    let mut rng = Rng(9);
    let qh: Vec<f32> = (0..6).map(|_| rng.normalish()).collect();
    let q: Vec<f32> = qh.iter().cycle().take(24).copied().collect();
    let k: Vec<f32> = (0..10).map(|_| rng.normalish()).collect();
    let v: Vec<f32> = (0..10).map(|_| rng.normalish()).collect();
    let p = Problem::new(shape, None, &Mask::None).unwrap();
    let out = r::attention(&p, &q, &k, &v);
    for h in 1..4 {
        assert_eq!(&out[h * 6..h * 6 + 6], &out[..6]);
    }
}
