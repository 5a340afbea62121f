//! The WGSL kernel (src/gpu/attention.wgsl) through the native host (wgpu on Vulkan: lavapipe
//! on CI) against the readable reference, with the shared kernel suite: random shapes, tile
//! edges, head dimensions 1..130 and the kernel's maximum, grouped heads, cross-attention,
//! every mask kind, decoding with the keys split and merged.
//!
//! `cargo test --features gpu --test gpu`, with `VK_ICD_FILENAMES` pointing at a Vulkan driver
//! (scripts/test.sh points it at lavapipe). A missing adapter fails every test here with the
//! reason; nothing is skipped.
#![cfg(all(feature = "gpu", not(target_arch = "wasm32")))]

mod suite;

use attention_playground::gpu::native::Gpu;
use attention_playground::gpu::plan::Variant;
use attention_playground::gpu::MAX_HEAD_DIM;
use attention_playground::{Mask, Problem, Shape};
use std::sync::OnceLock;
use suite::{check_with, Case, Rng, MASK_KINDS};

/// The one device every test shares (compiled pipelines are cached on it).
fn gpu() -> &'static Gpu {
    static GPU: OnceLock<Gpu> = OnceLock::new();
    GPU.get_or_init(|| match Gpu::new() {
        Ok(g) => g,
        Err(e) => panic!("the WebGPU kernel's tests need an adapter and found none: {e}"),
    })
}

/// Checks one case on the GPU; the name says which variant of the kernel ran.
fn check(case: &Case) -> Result<(), String> {
    let g = gpu();
    let variant = if case.shape.seq_q <= 4 {
        "wgsl f32 decode (split + merge)"
    } else {
        "wgsl f32 prefill"
    };
    check_with(variant, case, |p, c| {
        g.attention(p, &c.q, &c.k, &c.v).map_err(|e| e.to_string())
    })
}

/// `case` with K and V rounded to f16, so that the reference sees the numbers the f16-storage
/// variants compute with and the suite's tolerances hold unchanged.
fn rounded(case: &Case) -> Case {
    let round =
        |x: &[f32]| -> Vec<f32> { x.iter().map(|v| half::f16::from_f32(*v).to_f32()).collect() };
    Case {
        shape: case.shape,
        scale: case.scale,
        mask: case.mask.clone(),
        q: case.q.clone(),
        k: round(&case.k),
        v: round(&case.v),
    }
}

/// Checks one case with `variant` (f16 variants on f16-rounded K and V). `false` when the
/// adapter lacks the variant's features (the log says which it offers).
fn check_variant(variant: Variant, case: &Case) -> Result<bool, String> {
    let g = gpu();
    if !g.variants().contains(&variant) {
        return Ok(false);
    }
    let owned;
    let case = if variant.f16() {
        owned = rounded(case);
        &owned
    } else {
        case
    };
    let mode = if case.shape.seq_q <= 4 {
        "decode"
    } else {
        "prefill"
    };
    check_with(&format!("wgsl {} {mode}", variant.name()), case, |p, c| {
        g.attention_variant(variant, p, &c.q, &c.k, &c.v)
            .map_err(|e| e.to_string())
    })?;
    Ok(true)
}

/// The suite's cases through `variant`: random shapes (a quarter of them decode), every mask
/// kind, decode with the split (every mask kind, grouped heads, d 64) and the largest head
/// dims. Returns how many cases ran (0 when the adapter lacks the variant).
fn variant_suite(variant: Variant, seed: u64) -> usize {
    let mut rng = Rng(seed);
    let mut ran = 0;
    let mut failures = Vec::new();
    let mut cases = Vec::new();
    for case_no in 0..40 {
        let seed = rng.next();
        let seq_q = if case_no % 4 == 0 {
            rng.range(1, 4)
        } else {
            rng.range(1, 300)
        };
        cases.push(Case::new(
            seed,
            rng.range(1, 3),
            rng.range(1, 3),
            seq_q,
            rng.range(1, 600),
            rng.range(1, 130),
            case_no % MASK_KINDS,
        ));
    }
    for kind in 0..MASK_KINDS {
        for (seq_q, seq_kv) in [(1, 513), (4, 2000), (3, 700)] {
            cases.push(Case::new(
                (kind * 7_000 + seq_q * 100 + seq_kv) as u64,
                1,
                2,
                seq_q,
                seq_kv,
                24,
                kind,
            ));
        }
    }
    for d in [1, 5, MAX_HEAD_DIM - 3, MAX_HEAD_DIM] {
        cases.push(Case::new(d as u64, 1, 2, 2, 300, d, 0));
        cases.push(Case::new(d as u64 + 1, 1, 2, 70, 70, d, 1));
    }
    cases.push(Case::new(9, 2, 4, 1, 4096, 64, 1));
    for case in &cases {
        match check_variant(variant, case) {
            Ok(r) => ran += r as usize,
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{}: {} failures:\n{}",
        variant.name(),
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "gpu variants: {} checked on {ran} of {} cases",
        variant.name(),
        cases.len()
    );
    ran
}

#[test]
fn the_f16_storage_variant_where_the_adapter_has_shader_f16() {
    variant_suite(Variant::F16Storage, 0xF16);
}

#[test]
fn the_subgroup_variant_where_the_adapter_has_subgroups() {
    variant_suite(Variant::Subgroups, 0x5B6);
}

#[test]
fn the_f16_subgroup_variant_where_the_adapter_has_both() {
    variant_suite(Variant::F16Subgroups, 0xF5B);
}

#[test]
fn the_adapter_is_there_and_says_what_it_is() {
    let g = gpu();
    let d = g.describe();
    // scripts/test.sh runs with --show-output and copies these two lines into the summary.
    eprintln!("gpu adapter: {d}");
    eprintln!(
        "gpu variants: this adapter runs {:?} (prefill, and decode with split + merge); \
         shader-f16 offered: {}, subgroups offered: {}; chosen by its features: {}",
        g.variants().iter().map(|v| v.name()).collect::<Vec<_>>(),
        g.features().contains(wgpu_features::SHADER_F16),
        g.features().contains(wgpu_features::SUBGROUP),
        g.best_variant().name()
    );
    assert!(!g.info().name.is_empty());
}

/// wgpu's feature flags, reached through the crate (tests do not depend on wgpu directly).
mod wgpu_features {
    pub use attention_playground::gpu::native::wgpu::Features;
    pub const SHADER_F16: Features = Features::SHADER_F16;
    pub const SUBGROUP: Features = Features::SUBGROUP;
}

#[test]
fn random_shapes_masks_and_heads() {
    let mut rng = Rng(0x6770_7531);
    let mut failures = Vec::new();
    for case_no in 0..80 {
        let seed = rng.next();
        let kv_heads = rng.range(1, 3);
        let group = rng.range(1, 3);
        let seq_q = rng.range(1, 300);
        let seq_kv = if rng.unit() < 0.5 {
            seq_q
        } else {
            rng.range(1, 300)
        };
        let head_dim = rng.range(1, 130);
        let kind = case_no % MASK_KINDS;
        let case = Case::new(seed, kv_heads, group, seq_q, seq_kv, head_dim, kind);
        if let Err(e) = check(&case) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn tile_edges_and_odd_head_dims() {
    let mut seed = 7;
    for n in [1, 3, 4, 5, 31, 32, 33, 63, 64, 65, 128, 129, 257] {
        for d in [1, 3, 5, 64, 130] {
            for kind in [0, 1, 3, 8] {
                seed += 1;
                check(&Case::new(seed, 1, 2, n, n, d, kind)).unwrap();
            }
        }
    }
}

#[test]
fn the_largest_head_dims() {
    for d in [MAX_HEAD_DIM - 3, MAX_HEAD_DIM] {
        for (nq, nk, kind) in [(70, 70, 1), (2, 300, 0), (100, 40, 8)] {
            check(&Case::new(d as u64 + nq as u64, 1, 2, nq, nk, d, kind)).unwrap();
        }
    }
}

#[test]
fn every_mask_kind() {
    for kind in 0..MASK_KINDS {
        for seed in 0..4 {
            let case = Case::new(
                1000 * kind as u64 + seed,
                2,
                2,
                97 + seed as usize * 31,
                150,
                24,
                kind,
            );
            check(&case).unwrap();
        }
    }
}

/// A few queries against a long cache: the keys are split into chunks across workgroups and
/// merged by log-sum-exp, including chunks the mask empties and rows with no allowed key.
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
            check(&case).unwrap();
        }
    }
    for keep_from in [usize::MAX, 1490] {
        let mut case = Case::new(5, 1, 2, 2, 1500, 16, 0);
        case.mask = Mask::Padding {
            keep: (0..1500).map(|j| j >= keep_from).collect(),
        };
        check(&case).unwrap();
    }
    // Grouped heads and d 64, as a model decodes.
    check(&Case::new(9, 2, 4, 1, 4096, 64, 1)).unwrap();
}

#[test]
fn huge_logits_give_no_nan() {
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
        let out = gpu().attention(&p, &q, &k, &v).unwrap();
        assert!(out.iter().all(|x| x.is_finite()), "{out:?}");
        assert_eq!(
            out[0], 0.0,
            "query 0 puts all its weight on key 0 (value 0)"
        );
    }
}

#[test]
fn larger_causal_prefill_skips_tiles() {
    let case = Case::new(42, 2, 2, 600, 600, 64, 1);
    let p = Problem::new(case.shape, case.scale, &case.mask).unwrap();
    let plan = gpu().plan(&p).unwrap();
    eprintln!("600 x 600 causal: {:?}", plan.tiles);
    assert!(plan.tiles.skipped > 0 && plan.tiles.bits == 0);
    check(&case).unwrap();
}

#[test]
fn bad_inputs_are_refused_by_name() {
    let case = Case::new(1, 1, 1, 8, 8, 8, 0);
    let p = Problem::new(case.shape, None, &case.mask).unwrap();
    let e = gpu()
        .attention(&p, &case.q[1..], &case.k, &case.v)
        .unwrap_err()
        .to_string();
    assert!(e.contains('q'), "{e}");
    let big = Shape {
        head_dim: MAX_HEAD_DIM + 1,
        ..case.shape
    };
    let q = vec![0.0; big.q_len()];
    let kv = vec![0.0; big.kv_len()];
    let p = Problem::new(big, None, &Mask::None).unwrap();
    let e = gpu().attention(&p, &q, &kv, &kv).unwrap_err().to_string();
    assert!(e.contains("headDim"), "{e}");
}
