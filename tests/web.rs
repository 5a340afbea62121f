//! The browser suite: run by `wasm-pack test --headless --chrome` and `--firefox`, once for each
//! build (no SIMD, SIMD128, relaxed SIMD). It runs the same kernel suite as the native tests and
//! drives the JavaScript API (`attention`, `trace`, `maskInfo`) as a page would.
#![cfg(target_arch = "wasm32")]

mod suite;

use attention_playground::{wasm, Kernel};
use js_sys::{Float32Array, Reflect, JSON};
use suite::{check, Case, Rng, MASK_KINDS};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn json(s: &str) -> JsValue {
    JSON::parse(s).expect("valid JSON in the test")
}

fn f32a(len: usize, rng: &mut Rng) -> JsValue {
    let v: Vec<f32> = (0..len).map(|_| rng.normalish()).collect();
    Float32Array::from(&v[..]).into()
}

fn message(e: wasm_bindgen::JsError) -> String {
    let v: JsValue = e.into();
    assert!(
        v.is_instance_of::<js_sys::Error>(),
        "errors reach JS as Error objects"
    );
    Reflect::get(&v, &"message".into())
        .unwrap()
        .as_string()
        .unwrap()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
}

#[wasm_bindgen_test]
fn this_module_was_built_with_the_expected_instruction_set() {
    // The Makefile builds each variant with EXPECT_SIMD set, so a build that silently lost its
    // target features fails here instead of passing as the wrong build.
    let info = wasm::build_info();
    let simd = get(&info, "simd").as_string().unwrap();
    if let Some(expected) = option_env!("EXPECT_SIMD") {
        assert_eq!(simd, expected);
    }
    let kernels = Kernel::all();
    match simd.as_str() {
        "none" => assert_eq!(kernels.len(), 3),
        "simd128" => assert_eq!(kernels.len(), 5),
        _ => assert_eq!(kernels.len(), 7),
    }
}

#[wasm_bindgen_test]
fn every_kernel_matches_the_reference_on_random_shapes_and_masks() {
    for seed in 0..48 {
        let case = Case::random(seed, 260, 130);
        for kernel in Kernel::all() {
            check(kernel, &case).unwrap();
        }
    }
}

#[wasm_bindgen_test]
fn every_mask_kind_at_tile_edges() {
    for kind in 0..MASK_KINDS {
        for (i, n) in [1usize, 63, 64, 65, 129].into_iter().enumerate() {
            let case = Case::new(
                (kind * 10 + i) as u64,
                1,
                2,
                n,
                n + i,
                [1, 4, 9, 64, 67][i],
                kind,
            );
            for kernel in Kernel::all() {
                check(kernel, &case).unwrap();
            }
        }
    }
}

#[wasm_bindgen_test]
fn js_attention_matches_the_reference_and_honours_options() {
    let mut rng = Rng(1);
    let (heads, kv, n, m, d) = (4, 2, 37, 51, 16);
    let q = f32a(heads * n * d, &mut rng);
    let k = f32a(kv * m * d, &mut rng);
    let v = f32a(kv * m * d, &mut rng);
    for mask in [
        r#"{"kind":"none"}"#,
        r#"{"kind":"causal"}"#,
        r#"{"kind":"window","size":5,"causal":true}"#,
        r#"{"kind":"global-local","globals":[0,3],"size":2}"#,
        r#"{"kind":"block-sparse","block":8,"local":1,"random":1,"seed":3}"#,
        r#"{"kind":"padding","keep":[1,1,1,0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,0]}"#,
        r#"{"kind":"strided","stride":3}"#,
        r#"{"kind":"all","masks":[{"kind":"causal"},{"kind":"window","size":9}]}"#,
        r#"{"kind":"any","masks":[{"kind":"causal"},{"kind":"strided","stride":4}]}"#,
    ] {
        let opts = json(&format!(
            r#"{{"heads":{heads},"kvHeads":{kv},"headDim":{d},"scale":0.3,"mask":{mask}}}"#
        ));
        let reference = json(&format!(
            r#"{{"heads":{heads},"kvHeads":{kv},"headDim":{d},"scale":0.3,"mask":{mask},"kernel":"reference"}}"#
        ));
        let want = wasm::attention(q.clone(), k.clone(), v.clone(), reference)
            .unwrap()
            .to_vec();
        let got = wasm::attention(q.clone(), k.clone(), v.clone(), opts)
            .unwrap()
            .to_vec();
        assert_eq!(got.len(), heads * n * d);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-4, "mask {mask}: {g} vs {w}");
        }
    }
    // A custom mask as a Uint8Array.
    let allowed = js_sys::Uint8Array::new_with_length((n * m) as u32);
    allowed.fill(1, 0, (n * m / 2) as u32);
    let opts = js_sys::Object::new();
    for (key, val) in [
        ("heads", JsValue::from(heads as u32)),
        ("kvHeads", JsValue::from(kv as u32)),
        ("headDim", JsValue::from(d as u32)),
    ] {
        Reflect::set(&opts, &key.into(), &val).unwrap();
    }
    let mask = json(r#"{"kind":"custom"}"#);
    Reflect::set(&mask, &"allowed".into(), &allowed).unwrap();
    Reflect::set(&opts, &"mask".into(), &mask).unwrap();
    let out = wasm::attention(q.clone(), k.clone(), v.clone(), opts.into())
        .unwrap()
        .to_vec();
    // Rows past the first half of the matrix have no allowed key: zero output, never NaN.
    assert!(out.iter().all(|x| x.is_finite()));
    let last = &out[(n - 1) * d..n * d];
    assert!(last.iter().all(|&x| x == 0.0));
}

#[wasm_bindgen_test]
fn js_errors_are_clear_messages_never_panics() {
    let mut rng = Rng(2);
    let q = f32a(2 * 3 * 4, &mut rng);
    let k = f32a(2 * 5 * 4, &mut rng);
    let opts = |s: &str| json(s);
    let base = r#""heads":2,"headDim":4"#;
    let cases: Vec<(JsValue, JsValue, JsValue, JsValue, &str)> = vec![
        (
            q.clone(),
            k.clone(),
            f32a(7, &mut rng),
            opts(&format!("{{{base}}}")),
            "v has 7 numbers but k has 40",
        ),
        (
            q.clone(),
            f32a(41, &mut rng),
            f32a(41, &mut rng),
            opts(&format!("{{{base}}}")),
            "not a multiple",
        ),
        (
            q.clone(),
            k.clone(),
            k.clone(),
            opts(r#"{"heads":2,"headDim":0}"#),
            "headDim must be at least 1",
        ),
        (
            q.clone(),
            k.clone(),
            k.clone(),
            opts(r#"{"heads":3,"kvHeads":2,"headDim":4}"#),
            "must be a multiple of kvHeads (2)",
        ),
        (
            f32a(24, &mut rng),
            f32a(12, &mut rng),
            f32a(12, &mut rng),
            opts(r#"{"heads":3,"kvHeads":2,"headDim":4}"#),
            "multiple of kvHeads",
        ),
        (
            q.clone(),
            k.clone(),
            k.clone(),
            opts(&format!(
                r#"{{{base},"mask":{{"kind":"window","size":0}}}}"#
            )),
            "window size must be at least 1",
        ),
        (
            q.clone(),
            k.clone(),
            k.clone(),
            opts(&format!(
                r#"{{{base},"mask":{{"kind":"block-sparse","block":0}}}}"#
            )),
            "block size must be at least 1",
        ),
        (
            q.clone(),
            k.clone(),
            k.clone(),
            opts(&format!(
                r#"{{{base},"mask":{{"kind":"global-local","globals":[9],"size":1}}}}"#
            )),
            "global token 9 is out of range",
        ),
        (
            q.clone(),
            k.clone(),
            k.clone(),
            opts(&format!(
                r#"{{{base},"mask":{{"kind":"padding","keep":[1,1]}}}}"#
            )),
            "there are 5 keys",
        ),
        (
            q.clone(),
            k.clone(),
            k.clone(),
            opts(&format!(r#"{{{base},"mask":{{"kind":"sideways"}}}}"#)),
            "is not a mask kind",
        ),
        (
            q.clone(),
            k.clone(),
            k.clone(),
            opts(&format!(
                r#"{{{base},"mask":{{"kind":"window","sise":3}}}}"#
            )),
            "unknown field \"sise\"",
        ),
        (
            q.clone(),
            k.clone(),
            k.clone(),
            opts(&format!(r#"{{{base},"scale":-1}}"#)),
            "scale must be a positive",
        ),
        (
            q.clone(),
            k.clone(),
            k.clone(),
            opts(r#"{"heads":2,"headDim":4,"head_dim":4}"#),
            "unknown field `head_dim`",
        ),
        (
            q.clone(),
            k.clone(),
            k.clone(),
            opts(r#"{"heads":2}"#),
            "attention options: missing field `headDim`",
        ),
        (
            q.clone(),
            k.clone(),
            k.clone(),
            JsValue::UNDEFINED,
            "attention options must be an object",
        ),
        (
            JsValue::from(js_sys::Array::new()),
            k.clone(),
            k.clone(),
            opts(&format!("{{{base}}}")),
            "q must be a Float32Array",
        ),
        (
            f32a(0, &mut rng),
            k.clone(),
            k.clone(),
            opts(&format!("{{{base}}}")),
            "q is empty",
        ),
    ];
    for (q, k, v, o, want) in cases {
        let got = message(wasm::attention(q, k, v, o).unwrap_err());
        assert!(
            got.contains(want),
            "expected a message containing {want:?}, got {got:?}"
        );
    }
    // Non-finite input.
    let bad = Float32Array::from(&[0.0, 1.0, f32::NAN, 0.0, 0.0, 0.0, 0.0, 0.0][..]);
    let got = message(
        wasm::attention(
            bad.clone().into(),
            bad.clone().into(),
            bad.into(),
            opts(r#"{"heads":1,"headDim":4}"#),
        )
        .unwrap_err(),
    );
    assert!(got.contains("q[2] is not a finite number"), "{got}");
    // Too large: 8 heads x 2^22 tokens x 64 does not fit in the memory limit.
    let got = message(wasm::mask_info(json(r#"{"kind":"window","size":0}"#), 4, 4).unwrap_err());
    assert!(got.contains("window size"), "{got}");
}

#[wasm_bindgen_test]
fn sizes_past_the_memory_limit_are_refused_before_allocating() {
    use attention_playground::{Mask, Problem, Shape};
    let shape = Shape {
        heads: 8,
        kv_heads: 8,
        seq_q: 1 << 22,
        seq_kv: 1 << 22,
        head_dim: 64,
    };
    let err = Problem::new(shape, None, &Mask::Causal)
        .unwrap_err()
        .to_string();
    assert!(err.contains("MiB"), "{err}");
}

#[wasm_bindgen_test]
fn trace_gives_every_stage_and_matches_attention() {
    let t = wasm::trace(json(
        r#"{"sentence":"The cat sat because it was tired 🙂.","dModel":16,"heads":2,"seed":7,"mask":{"kind":"causal"}}"#,
    ))
    .unwrap();
    let tokens = js_sys::Array::from(&get(&get(&t, "tokens"), "query"));
    let words: Vec<String> = tokens
        .iter()
        .map(|t| get(&t, "text").as_string().unwrap())
        .collect();
    assert_eq!(
        words,
        ["The", "cat", "sat", "because", "it", "was", "tired", "🙂", "."]
    );
    let layer = js_sys::Array::from(&get(&t, "layers")).get(0);
    let heads = js_sys::Array::from(&get(&layer, "heads"));
    assert_eq!(heads.length(), 2);
    let stages = js_sys::Array::from(&get(&heads.get(0), "stages"));
    let names: Vec<String> = stages
        .iter()
        .map(|s| get(&s, "stage").as_string().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "query",
            "key",
            "value",
            "scores",
            "scaled",
            "masked",
            "softmax",
            "weighted-sum"
        ]
    );
    // Causal: exactly zero above the diagonal after softmax.
    let softmax = stages.get(6);
    let data = Float32Array::from(get(&softmax, "data")).to_vec();
    let n = words.len();
    for i in 0..n {
        for j in i + 1..n {
            assert_eq!(data[i * n + j], 0.0);
        }
    }
    // The head's weighted sum equals attention() on the head's Q, K, V.
    let qd = get(&stages.get(0), "data");
    let kd = get(&stages.get(1), "data");
    let vd = get(&stages.get(2), "data");
    let out = wasm::attention(
        qd,
        kd,
        vd,
        json(r#"{"heads":1,"headDim":8,"mask":{"kind":"causal"}}"#),
    )
    .unwrap()
    .to_vec();
    let z = Float32Array::from(get(&stages.get(7), "data")).to_vec();
    for (a, b) in out.iter().zip(&z) {
        assert!((a - b).abs() < 1e-5);
    }
    let entropy = Float32Array::from(get(&heads.get(0), "entropy")).to_vec();
    assert_eq!(
        entropy[0], 0.0,
        "the first token can only attend to itself under a causal mask"
    );
    let info = get(&t, "mask");
    assert_eq!(
        get(&info, "allowedPairs").as_f64(),
        Some((n * (n + 1) / 2) as f64)
    );
}

#[wasm_bindgen_test]
fn trace_errors_are_clear() {
    for (cfg, want) in [
        (r#"{"sentence":"   "}"#, "has no tokens"),
        (
            r#"{"sentence":"a b","dModel":3}"#,
            "dModel must be between 4 and 64",
        ),
        (
            r#"{"sentence":"a b","heads":3,"dModel":16}"#,
            "multiple of heads",
        ),
        (
            r#"{"sentence":"a b","overrides":[{"matrix":"wq","row":99,"col":0,"value":1}]}"#,
            "outside the matrix",
        ),
        (
            r#"{"sentence":"a b","only":{"stages":["softmaxx"]}}"#,
            "unknown stage",
        ),
        (
            r#"{"sentence":"a b","mask":{"kind":"global-local","globals":[5],"size":1}}"#,
            "out of range",
        ),
    ] {
        let got = message(wasm::trace(json(cfg)).unwrap_err());
        assert!(got.contains(want), "{cfg}: expected {want:?}, got {got:?}");
    }
    let long = "word ".repeat(2000);
    let got = message(wasm::trace(json(&format!(r#"{{"sentence":"{long}"}}"#))).unwrap_err());
    assert!(got.contains("2000 tokens"), "{got}");
}

#[wasm_bindgen_test]
fn vocabulary_and_mask_info() {
    let stages = wasm::stages();
    assert_eq!(stages.length(), 13);
    assert_eq!(get(&stages.get(9), "name").as_string().unwrap(), "softmax");
    let info = wasm::mask_info(json(r#"{"kind":"window","size":2,"causal":true}"#), 4, 4).unwrap();
    assert_eq!(get(&info, "allowedPairs").as_f64(), Some(7.0));
    assert_eq!(get(&info, "totalPairs").as_f64(), Some(16.0));
    let _ = wasm::tokenize("x").dyn_into::<js_sys::Array>().unwrap();
}
