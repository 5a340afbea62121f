//! Every kernel variant against the readable reference, on random shapes and masks (proptest),
//! plus the sizes where tiling goes wrong first: multiples of the tile and one either side.
#![cfg(not(target_arch = "wasm32"))]

mod suite;

use attention_playground::{kernels, Kernel, Mask, Problem, Shape};
use proptest::prelude::*;
use suite::{check, Case, MASK_KINDS};

fn check_all(case: &Case) -> Result<(), String> {
    Kernel::all().into_iter().try_for_each(|k| check(k, case))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn kernels_match_reference_on_random_shapes_and_masks(
        seed in any::<u64>(),
        kv_heads in 1usize..=3,
        group in 1usize..=3,
        seq_q in 1usize..=300,
        same_len in any::<bool>(),
        seq_kv in 1usize..=300,
        head_dim in 1usize..=130,
        mask_kind in 0usize..MASK_KINDS,
    ) {
        let seq_kv = if same_len { seq_q } else { seq_kv };
        let case = Case::new(seed, kv_heads, group, seq_q, seq_kv, head_dim, mask_kind);
        if let Err(e) = check_all(&case) {
            prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn the_matrix_product_matches_ndarray_on_random_shapes() {
    for seed in 0..64 {
        suite::check_matmul(seed).unwrap();
    }
}

#[test]
fn tile_edges_and_odd_head_dims() {
    let mut seed = 7;
    for n in [1, 3, 4, 5, 63, 64, 65, 127, 128, 129, 257] {
        for d in [1, 3, 4, 7, 8, 9, 64, 130] {
            for kind in [0, 1, 3, 8] {
                seed += 1;
                let case = Case::new(seed, 1, 2, n, n, d, kind);
                check_all(&case).unwrap();
            }
        }
    }
}

#[test]
fn every_mask_kind_on_every_kernel() {
    for kind in 0..MASK_KINDS {
        for seed in 0..6 {
            let case = Case::new(
                1000 * kind as u64 + seed,
                2,
                2,
                97 + seed as usize * 31,
                150,
                24,
                kind,
            );
            check_all(&case).unwrap();
        }
    }
}

#[test]
fn decode_one_query_against_many_keys() {
    for (nk, kind) in [(512, 0), (700, 1), (1000, 3)] {
        let case = Case::new(nk as u64, 2, 4, 1, nk, 64, kind);
        check_all(&case).unwrap();
    }
}

/// A few queries against a long cache: the tiled kernel splits the keys into chunks and merges
/// them, including chunks the mask empties and rows with no allowed key at all.
#[test]
fn decode_split_along_the_keys_with_every_mask_kind() {
    for kind in 0..MASK_KINDS {
        for (seq_q, seq_kv) in [(1, 513), (2, 1100), (4, 2000), (3, 4096)] {
            let case = Case::new(
                (kind * 10_000 + seq_q * 1000 + seq_kv) as u64,
                1,
                2,
                seq_q,
                seq_kv,
                24,
                kind,
            );
            check_all(&case).unwrap();
        }
    }
    // No allowed key at all for any row, and keys allowed only in the last chunk.
    for keep_from in [usize::MAX, 1490] {
        let mut case = Case::new(5, 1, 2, 2, 1500, 16, 0);
        case.mask = Mask::Padding {
            keep: (0..1500).map(|j| j >= keep_from).collect(),
        };
        check_all(&case).unwrap();
    }
}

#[test]
fn the_default_kernel_for_decoding_is_rows_without_threads() {
    let shape = |seq_q| Shape {
        heads: 8,
        kv_heads: 8,
        seq_q,
        seq_kv: 4096,
        head_dim: 64,
    };
    assert_eq!(Kernel::best_for(&shape(1024)), Kernel::best());
    let decode = Kernel::best_for(&shape(1));
    if cfg!(feature = "threads") {
        assert_eq!(decode, Kernel::best());
    } else {
        assert!(matches!(decode, Kernel::Rows(_)), "{}", decode.name());
    }
}

#[test]
fn huge_logits_give_no_nan() {
    // q . k = 1e4 for the first key: softmax must saturate, not overflow.
    let shape = Shape {
        heads: 1,
        kv_heads: 1,
        seq_q: 2,
        seq_kv: 70,
        head_dim: 1,
    };
    let q = vec![100.0, -100.0];
    let mut k = vec![0.5; 70];
    k[0] = 100.0;
    let v: Vec<f32> = (0..70).map(|j| j as f32).collect();
    for mask in [Mask::None, Mask::Causal] {
        let p = Problem::new(shape, Some(1.0), &mask).unwrap();
        for kernel in Kernel::all() {
            let out = kernels::attention(kernel, &p, &q, &k, &v).unwrap();
            assert!(
                out.iter().all(|x| x.is_finite()),
                "{}: {out:?}",
                kernel.name()
            );
            assert_eq!(
                out[0],
                0.0,
                "{}: query 0 puts all its weight on key 0 (value 0)",
                kernel.name()
            );
        }
    }
}

#[test]
fn results_do_not_depend_on_the_kernel_beyond_tolerance_at_larger_sizes() {
    let case = Case::new(42, 2, 2, 600, 600, 64, 1);
    check_all(&case).unwrap();
}

/// With the `threads` feature, work items (head, query block) run on a rayon pool in an order
/// that depends on timing; each item runs the same code in the same order on any thread, so the
/// output must not change by a single bit with the number of threads.
#[cfg(feature = "threads")]
#[test]
fn tiled_output_is_bit_identical_for_1_2_and_3_threads() {
    let cases = [
        Case::new(11, 2, 4, 300, 300, 64, 1), // causal, grouped-query heads
        Case::new(12, 3, 1, 257, 190, 37, 0), // no mask, odd head dim, seq_q != seq_kv
        Case::new(13, 1, 2, 200, 200, 24, 3), // sliding window
        Case::new(14, 2, 2, 150, 150, 16, 8), // custom (element) mask
        Case::new(15, 2, 4, 1, 4096, 64, 0),  // decode
        Case::new(16, 1, 3, 3, 1000, 64, 1),  // a few queries at the end of a long cache
    ];
    for case in &cases {
        let p = Problem::new(case.shape, case.scale, &case.mask).unwrap();
        for kernel in Kernel::all()
            .into_iter()
            .filter(|k| matches!(k, Kernel::Tiled(_)))
        {
            let run = |threads: usize| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| kernels::attention(kernel, &p, &case.q, &case.k, &case.v).unwrap())
            };
            let one: Vec<u32> = run(1).iter().map(|x| x.to_bits()).collect();
            for threads in [2, 3] {
                let many: Vec<u32> = run(threads).iter().map(|x| x.to_bits()).collect();
                assert!(
                    one == many,
                    "{} with {threads} threads differs from 1 thread ({})",
                    kernel.name(),
                    case.describe()
                );
            }
            check(kernel, case).unwrap();
        }
    }
}
