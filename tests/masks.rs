//! Masks: each kind means what its documentation says, tile coverage agrees with the element
//! view on every tile, and the statistics count what is kept.
#![cfg(not(target_arch = "wasm32"))]

mod suite;

use attention_playground::mask::Coverage;
use attention_playground::{BlockPattern, Mask};
use suite::{mask_of_kind, Rng, MASK_KINDS};

fn grid(mask: &Mask, nq: usize, nk: usize) -> Vec<Vec<bool>> {
    let v = mask.view(nq, nk).unwrap();
    (0..nq)
        .map(|i| (0..nk).map(|j| v.allowed(i, j)).collect())
        .collect()
}

#[test]
fn coverage_agrees_with_allowed_on_every_tile() {
    let mut rng = Rng(17);
    for kind in 0..MASK_KINDS {
        for _ in 0..12 {
            let (nq, nk) = (rng.range(1, 150), rng.range(1, 150));
            let mask = mask_of_kind(kind, &mut rng, nq, nk);
            let v = mask.view(nq, nk).unwrap();
            for tile in [1usize, 7, 16, 64] {
                for q0 in (0..nq).step_by(tile) {
                    for k0 in (0..nk).step_by(tile) {
                        let (q1, k1) = ((q0 + tile).min(nq), (k0 + tile).min(nk));
                        let kept = (q0..q1)
                            .flat_map(|i| (k0..k1).map(move |j| (i, j)))
                            .filter(|&(i, j)| v.allowed(i, j))
                            .count();
                        let want = match kept {
                            0 => Coverage::Empty,
                            k if k == (q1 - q0) * (k1 - k0) => Coverage::Full,
                            _ => Coverage::Partial,
                        };
                        assert_eq!(
                            v.coverage(q0..q1, k0..k1),
                            want,
                            "{mask:?} tile {q0}..{q1} x {k0}..{k1}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn stats_count_allowed_pairs_and_empty_rows() {
    let mut rng = Rng(23);
    for kind in 0..MASK_KINDS {
        for _ in 0..6 {
            let (nq, nk) = (rng.range(1, 200), rng.range(1, 200));
            let mask = mask_of_kind(kind, &mut rng, nq, nk);
            let g = grid(&mask, nq, nk);
            let stats = mask.view(nq, nk).unwrap().stats();
            let allowed: u64 = g
                .iter()
                .map(|r| r.iter().filter(|&&a| a).count() as u64)
                .sum();
            let empty: Vec<usize> = (0..nq).filter(|&i| !g[i].iter().any(|&a| a)).collect();
            assert_eq!(stats.allowed_pairs, allowed);
            assert_eq!(stats.total_pairs, (nq * nk) as u64);
            assert_eq!(stats.empty_rows, empty);
        }
    }
}

#[test]
fn causal_hides_the_future_and_aligns_the_last_query_with_the_last_key() {
    let g = grid(&Mask::Causal, 3, 3);
    assert_eq!(
        g,
        vec![
            vec![true, false, false],
            vec![true, true, false],
            vec![true, true, true]
        ]
    );
    // Decoding: 1 query against 4 keys sees them all.
    assert_eq!(grid(&Mask::Causal, 1, 4), vec![vec![true; 4]]);
}

#[test]
fn windows_are_fewer_than_size_positions_away() {
    let g = grid(
        &Mask::Window {
            size: 2,
            causal: false,
        },
        4,
        4,
    );
    assert_eq!(g[2], vec![false, true, true, true]);
    let g = grid(
        &Mask::Window {
            size: 2,
            causal: true,
        },
        4,
        4,
    );
    assert_eq!(g[2], vec![false, true, true, false]);
    assert_eq!(
        Mask::Window {
            size: 2,
            causal: true
        }
        .view(4, 4)
        .unwrap()
        .stats()
        .allowed_pairs,
        7
    );
}

#[test]
fn global_tokens_see_and_are_seen_by_all() {
    let m = Mask::global_local(vec![3, 0, 3], 1);
    let g = grid(&m, 6, 6);
    assert!(g[0].iter().all(|&a| a) && g[3].iter().all(|&a| a));
    assert!((0..6).all(|i| g[i][0] && g[i][3]));
    assert_eq!(g[5], vec![true, false, false, true, false, true]);
}

#[test]
fn padding_removes_keys_for_every_query() {
    let m = Mask::Padding {
        keep: vec![true, true, false],
    };
    assert!(grid(&m, 2, 3).iter().all(|r| r == &vec![true, true, false]));
}

#[test]
fn block_sparse_keeps_whole_blocks() {
    let layout = vec![true, false, false, true]; // 2 x 2 blocks of 2
    let m = Mask::BlockSparse {
        block: 2,
        pattern: BlockPattern::Layout(layout),
    };
    let g = grid(&m, 4, 4);
    assert_eq!(g[1], vec![true, true, false, false]);
    assert_eq!(g[2], vec![false, false, true, true]);
    let local = Mask::BlockSparse {
        block: 2,
        pattern: BlockPattern::Generated {
            local: 0,
            random: 0,
            seed: 0,
            causal: false,
        },
    };
    assert_eq!(grid(&local, 4, 4), g, "local 0 keeps the diagonal blocks");
    let causal = Mask::BlockSparse {
        block: 2,
        pattern: BlockPattern::Generated {
            local: 1,
            random: 0,
            seed: 0,
            causal: true,
        },
    };
    assert_eq!(grid(&causal, 4, 4), grid(&Mask::Causal, 4, 4));
}

#[test]
fn strided_keeps_multiples_of_the_stride() {
    let g = grid(
        &Mask::Strided {
            stride: 3,
            causal: true,
        },
        7,
        7,
    );
    assert_eq!(g[6], vec![true, false, false, true, false, false, true]);
}

#[test]
fn all_and_any_combine_with_and_and_or() {
    let a = Mask::Window {
        size: 2,
        causal: false,
    };
    let b = Mask::Causal;
    let (ga, gb) = (grid(&a, 5, 5), grid(&b, 5, 5));
    let and = grid(&Mask::All(vec![a.clone(), b.clone()]), 5, 5);
    let or = grid(&Mask::Any(vec![a, b]), 5, 5);
    for i in 0..5 {
        for j in 0..5 {
            assert_eq!(and[i][j], ga[i][j] && gb[i][j]);
            assert_eq!(or[i][j], ga[i][j] || gb[i][j]);
        }
    }
    assert!(
        grid(&Mask::All(vec![]), 2, 2).iter().flatten().all(|&a| a),
        "an empty AND allows everything"
    );
}

#[test]
fn invalid_masks_are_refused_with_a_message() {
    let cases: Vec<(Mask, &str)> = vec![
        (
            Mask::Window {
                size: 0,
                causal: true,
            },
            "window size must be at least 1",
        ),
        (
            Mask::BlockSparse {
                block: 0,
                pattern: BlockPattern::Layout(vec![]),
            },
            "block size must be at least 1",
        ),
        (
            Mask::BlockSparse {
                block: 2,
                pattern: BlockPattern::Layout(vec![true; 3]),
            },
            "2 query blocks x 2 key blocks need 4",
        ),
        (
            Mask::Strided {
                stride: 0,
                causal: false,
            },
            "stride must be at least 1",
        ),
        (
            Mask::global_local(vec![4], 1),
            "global token 4 is out of range",
        ),
        (
            Mask::Padding {
                keep: vec![true; 3],
            },
            "there are 4 keys",
        ),
        (
            Mask::Custom {
                allowed: vec![true; 15],
            },
            "need 16",
        ),
        (Mask::Any(vec![]), "at least one mask"),
        (
            Mask::All(vec![Mask::Window {
                size: 0,
                causal: false,
            }]),
            "window size",
        ),
    ];
    for (mask, want) in cases {
        let err = mask.view(4, 4).unwrap_err().to_string();
        assert!(err.contains(want), "{mask:?}: {err}");
    }
    let mut deep = Mask::Causal;
    for _ in 0..40 {
        deep = Mask::All(vec![deep]);
    }
    assert!(deep.view(2, 2).unwrap_err().to_string().contains("nest"));
}
