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
    let info = wasm::build_info(JsValue::UNDEFINED).unwrap();
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
fn the_matrix_product_of_every_instruction_set_matches_ndarray() {
    for seed in 0..24 {
        suite::check_matmul(seed).unwrap();
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
    let got = message(
        wasm::mask_info(json(r#"{"kind":"window","size":0}"#), 4.into(), 4.into()).unwrap_err(),
    );
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
    let info = wasm::mask_info(
        json(r#"{"kind":"window","size":2,"causal":true}"#),
        4.into(),
        4.into(),
    )
    .unwrap();
    assert_eq!(get(&info, "allowedPairs").as_f64(), Some(7.0));
    assert_eq!(get(&info, "totalPairs").as_f64(), Some(16.0));
    let _ = wasm::tokenize("x".into(), JsValue::UNDEFINED)
        .unwrap()
        .dyn_into::<js_sys::Array>()
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs: every export, every argument and option field.

/// A deep copy of a plain JSON value with the value at `path` replaced (`None`: removed).
fn with(base: &JsValue, path: &[&str], value: Option<&JsValue>) -> JsValue {
    let copy = JSON::parse(&JSON::stringify(base).unwrap().as_string().unwrap()).unwrap();
    let mut obj = copy.clone();
    for key in &path[..path.len() - 1] {
        obj = get(&obj, key);
    }
    let last = JsValue::from(path[path.len() - 1]);
    match value {
        Some(v) => {
            Reflect::set(&obj, &last, v).unwrap();
        }
        None => {
            Reflect::delete_property(obj.unchecked_ref::<js_sys::Object>(), &last).unwrap();
        }
    }
    copy
}

/// What a field holds, and so which values are hostile for it.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    /// A size, count or index (required or optional).
    Count {
        required: bool,
    },
    /// A float that must be positive and finite (scale).
    Positive,
    /// Any finite float (an override's value).
    Finite,
    Text {
        required: bool,
    },
    Bool,
    Object {
        required: bool,
    },
    List {
        required: bool,
    },
    Float32,
}

/// The hostile values for a field: negative, fractional, huge, NaN, infinite, wrong types, null
/// and missing (`None`), each with a label.
fn hostile(field: Field) -> Vec<(&'static str, Option<JsValue>)> {
    let num = |x: f64| Some(JsValue::from(x));
    let all: Vec<(&str, Option<JsValue>)> = vec![
        ("negative", num(-1.0)),
        ("fractional", num(1.5)),
        ("huge", num(1e12)),
        ("NaN", num(f64::NAN)),
        ("Infinity", num(f64::INFINITY)),
        ("-Infinity", num(f64::NEG_INFINITY)),
        ("zero", num(0.0)),
        ("string", Some("4".into())),
        ("object", Some(js_sys::Object::new().into())),
        ("array", Some(js_sys::Array::new().into())),
        ("bool", Some(true.into())),
        ("null", Some(JsValue::NULL)),
        ("missing", None),
    ];
    let keep = |label: &str| -> bool {
        let absent = matches!(label, "null" | "missing");
        match field {
            // 0 is a valid index or seed; a count field's zero case is listed where 0 is wrong.
            Field::Count { required } => label != "zero" && (required || !absent),
            // 1.5 and 1e12 are valid factors.
            Field::Positive => !matches!(label, "fractional" | "huge") && !absent,
            Field::Finite => !matches!(label, "negative" | "fractional" | "huge" | "zero"),
            Field::Text { required } => (required || !absent) && label != "string",
            Field::Bool => !matches!(label, "zero" | "bool") && !absent,
            Field::Object { required } => label != "zero" && (required || !absent),
            // An empty Array is a valid list.
            Field::List { required } => !matches!(label, "zero" | "array") && (required || !absent),
            Field::Float32 => label != "zero",
        }
    };
    all.into_iter().filter(|(l, _)| keep(l)).collect()
}

/// Each hostile call's outcome: Ok(message) for a clean JS Error, Err(why) otherwise.
fn refused(result: Result<JsValue, wasm_bindgen::JsError>) -> Result<String, String> {
    match result {
        Ok(v) => {
            let shown = format!("{v:?}");
            Err(format!(
                "accepted, returned {}",
                &shown[..shown.len().min(120)]
            ))
        }
        Err(e) => {
            let v: JsValue = e.into();
            if !v.is_instance_of::<js_sys::Error>() {
                return Err(format!("threw a non-Error {v:?}"));
            }
            Ok(get(&v, "message").as_string().unwrap_or_default())
        }
    }
}

struct Tally {
    count: usize,
    failures: Vec<String>,
}

impl Tally {
    /// Records one hostile call; the message must name one of `names`.
    fn check(
        &mut self,
        what: String,
        result: Result<JsValue, wasm_bindgen::JsError>,
        names: &[&str],
    ) {
        self.count += 1;
        match refused(result) {
            Ok(msg) if names.iter().any(|n| msg.contains(n)) => {}
            Ok(msg) => self
                .failures
                .push(format!("{what}: message does not name {names:?}: {msg:?}")),
            Err(why) => self.failures.push(format!("{what}: {why}")),
        }
    }
}

#[wasm_bindgen_test]
async fn every_export_refuses_hostile_values_with_a_clear_error_and_keeps_working() {
    let mut t = Tally {
        count: 0,
        failures: Vec::new(),
    };
    let mut rng = Rng(3);
    // A valid call of each export, to spoil one argument or field at a time.
    let (q, k, v) = (
        f32a(2 * 3 * 4, &mut rng),
        f32a(5 * 4, &mut rng),
        f32a(5 * 4, &mut rng),
    );
    let opts = json(
        r#"{"heads":2,"kvHeads":1,"headDim":4,"scale":0.5,"kernel":"tiled","mask":{"kind":"causal"}}"#,
    );
    let async_opts = with(&opts, &["backend"], Some(&"cpu".into()));

    // attention and attentionAsync: the buffers, the options object, each option field.
    let opt_fields: Vec<(&[&str], Field, &[&str])> = vec![
        (&["heads"], Field::Count { required: true }, &["heads"]),
        (&["kvHeads"], Field::Count { required: false }, &["kvHeads"]),
        (&["headDim"], Field::Count { required: true }, &["headDim"]),
        (&["scale"], Field::Positive, &["scale"]),
        (&["kernel"], Field::Text { required: false }, &["kernel"]),
        (&["mask"], Field::Object { required: false }, &["mask"]),
        (&["mask", "kind"], Field::Text { required: true }, &["kind"]),
    ];
    for asynchronous in [false, true] {
        let name = if asynchronous {
            "attentionAsync"
        } else {
            "attention"
        };
        let base = if asynchronous { &async_opts } else { &opts };
        let call = |q: JsValue, k: JsValue, v: JsValue, o: JsValue| async move {
            if asynchronous {
                wasm::attention_async(q, k, v, o).await.map(JsValue::from)
            } else {
                wasm::attention(q, k, v, o).map(JsValue::from)
            }
        };
        for (arg, i) in [("q", 0), ("k", 1), ("v", 2)] {
            for (label, bad) in hostile(Field::Float32) {
                let bad = bad.unwrap_or(JsValue::UNDEFINED);
                let mut args = [q.clone(), k.clone(), v.clone()];
                args[i] = bad;
                let [a, b, c] = args;
                let r = call(a, b, c, base.clone()).await;
                t.check(format!("{name} {arg} {label}"), r, &[arg]);
            }
        }
        for (label, bad) in hostile(Field::Object { required: true }) {
            let r = call(
                q.clone(),
                k.clone(),
                v.clone(),
                bad.unwrap_or(JsValue::UNDEFINED),
            )
            .await;
            t.check(format!("{name} options {label}"), r, &["options"]);
        }
        let mut fields = opt_fields.clone();
        if asynchronous {
            fields.push((&["backend"], Field::Text { required: false }, &["backend"]));
        }
        for (path, field, names) in fields {
            for (label, bad) in hostile(field) {
                let o = with(base, path, bad.as_ref());
                let r = call(q.clone(), k.clone(), v.clone(), o).await;
                t.check(format!("{name} {} {label}", path.join(".")), r, names);
            }
        }
        for (path, bad, names) in [
            (&["kernel"][..], "quantum", &["kernel"][..]),
            (&["mask", "kind"][..], "sideways", &["kind"][..]),
        ]
        .into_iter()
        .chain(asynchronous.then_some((&["backend"][..], "gpu", &["backend"][..])))
        {
            let r = call(
                q.clone(),
                k.clone(),
                v.clone(),
                with(base, path, Some(&bad.into())),
            )
            .await;
            t.check(format!("{name} {} unknown name", path.join(".")), r, names);
        }
        // Sizes within range but past the budgets, and zero where a size must be positive.
        for (path, value, names) in [
            (&["heads"][..], 1u32 << 31, &["MiB"][..]),
            (&["headDim"][..], 1 << 31, &["MiB"][..]),
            (&["kvHeads"][..], 1 << 31, &["kvHeads"][..]),
            (&["heads"][..], 0, &["heads"][..]),
            (&["headDim"][..], 0, &["headDim"][..]),
            (&["kvHeads"][..], 0, &["kvHeads"][..]),
        ] {
            let r = call(
                q.clone(),
                k.clone(),
                v.clone(),
                with(base, path, Some(&value.into())),
            )
            .await;
            t.check(format!("{name} {} = {value}", path.join(".")), r, names);
        }
    }

    // maskInfo: the lengths, the mask argument, and each field of each mask kind.
    let mask_info =
        |m: JsValue, a: JsValue, b: JsValue| wasm::mask_info(m, a, b).map(JsValue::from);
    let four = JsValue::from(4);
    let causal = json(r#"{"kind":"causal"}"#);
    for (arg, i) in [("seqQ", 0), ("seqKv", 1)] {
        let mut values = hostile(Field::Count { required: true });
        values.push(("zero", Some(0.into())));
        values.push(("past the limits", Some((1u32 << 31).into())));
        for (label, bad) in values {
            let bad = bad.unwrap_or(JsValue::UNDEFINED);
            let (a, b) = if i == 0 {
                (bad, four.clone())
            } else {
                (four.clone(), bad)
            };
            t.check(
                format!("maskInfo {arg} {label}"),
                mask_info(causal.clone(), a, b),
                &[arg],
            );
        }
    }
    for (label, bad) in hostile(Field::Object { required: false }) {
        let r = mask_info(
            bad.unwrap_or(JsValue::UNDEFINED),
            four.clone(),
            four.clone(),
        );
        t.check(format!("maskInfo mask {label}"), r, &["mask"]);
    }
    let masks: Vec<(&str, Vec<(&str, Field)>)> = vec![
        (
            r#"{"kind":"window","size":2,"causal":true}"#,
            vec![
                ("size", Field::Count { required: true }),
                ("causal", Field::Bool),
            ],
        ),
        (
            r#"{"kind":"strided","stride":2,"causal":true}"#,
            vec![
                ("stride", Field::Count { required: true }),
                ("causal", Field::Bool),
            ],
        ),
        (
            r#"{"kind":"global-local","globals":[0],"size":1}"#,
            vec![
                ("globals", Field::List { required: true }),
                ("size", Field::Count { required: true }),
            ],
        ),
        (
            r#"{"kind":"block-sparse","block":2,"local":1,"random":1,"seed":3,"causal":true}"#,
            vec![
                ("block", Field::Count { required: true }),
                ("local", Field::Count { required: false }),
                ("random", Field::Count { required: false }),
                ("seed", Field::Count { required: false }),
                ("causal", Field::Bool),
            ],
        ),
        (
            r#"{"kind":"block-sparse","block":2,"layout":[1,0,1,1]}"#,
            vec![("layout", Field::List { required: false })],
        ),
        (
            r#"{"kind":"padding","keep":[1,1,0,1]}"#,
            vec![("keep", Field::List { required: true })],
        ),
        (
            r#"{"kind":"custom","allowed":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}"#,
            vec![("allowed", Field::List { required: true })],
        ),
        (
            r#"{"kind":"all","masks":[{"kind":"causal"}]}"#,
            vec![("masks", Field::List { required: true })],
        ),
        (
            r#"{"kind":"any","masks":[{"kind":"causal"}]}"#,
            vec![("masks", Field::List { required: true })],
        ),
    ];
    for (mask, fields) in &masks {
        let base = json(mask);
        assert!(
            mask_info(base.clone(), four.clone(), four.clone()).is_ok(),
            "{mask} is valid"
        );
        let kind = get(&base, "kind").as_string().unwrap();
        for (field, kind_of) in fields {
            for (label, bad) in hostile(*kind_of) {
                // A missing `layout` means a generated pattern; an empty list of `all` masks
                // allows everything: both valid.
                if (*field == "layout" && label == "missing") || (kind == "all" && label == "array")
                {
                    continue;
                }
                let r = mask_info(
                    with(&base, &[field], bad.as_ref()),
                    four.clone(),
                    four.clone(),
                );
                t.check(format!("maskInfo {kind}.{field} {label}"), r, &[field]);
            }
            // Each element of a list.
            if matches!(kind_of, Field::List { .. }) {
                // A null mask in a list is no mask, as at the top level.
                let elem = if *field == "masks" {
                    Field::Object { required: false }
                } else if *field == "globals" {
                    Field::Count { required: true }
                } else {
                    Field::Bool
                };
                for (label, bad) in hostile(elem) {
                    if label == "missing" || (elem == Field::Bool && label == "null") {
                        continue;
                    }
                    let r = mask_info(
                        with(&base, &[field, "0"], bad.as_ref()),
                        four.clone(),
                        four.clone(),
                    );
                    t.check(
                        format!("maskInfo {kind}.{field}[0] {label}"),
                        r,
                        &[field, "mask"],
                    );
                }
            }
        }
        // An unknown field.
        let r = mask_info(
            with(&base, &["sise"], Some(&1.into())),
            four.clone(),
            four.clone(),
        );
        t.check(format!("maskInfo {kind} unknown field"), r, &["sise"]);
    }
    // Sizes past the limits and nesting past the depth limit.
    for (mask, names) in [
        (
            r#"{"kind":"block-sparse","block":1,"random":1000000}"#,
            &["random"][..],
        ),
        (
            r#"{"kind":"global-local","globals":[1000000],"size":1}"#,
            &["global"][..],
        ),
        (r#"{"kind":"window","size":0}"#, &["size"][..]),
        (r#"{"kind":"strided","stride":0}"#, &["stride"][..]),
        (r#"{"kind":"block-sparse","block":0}"#, &["block"][..]),
        (r#"{"kind":"any","masks":[]}"#, &["any"][..]),
    ] {
        t.check(
            format!("maskInfo {mask}"),
            mask_info(json(mask), four.clone(), four.clone()),
            names,
        );
    }
    let mut deep = causal.clone();
    for _ in 0..10_000 {
        let o = json(r#"{"kind":"all"}"#);
        Reflect::set(&o, &"masks".into(), &js_sys::Array::of1(&deep)).unwrap();
        deep = o;
    }
    t.check(
        "maskInfo 10,000 nested masks".into(),
        mask_info(deep, four.clone(), four.clone()),
        &["nest"],
    );
    for (a, b) in [(1e9, 1e9), (65536.0 * 2.0, 65536.0), (2147483648.0, 1.0)] {
        let r = mask_info(causal.clone(), a.into(), b.into());
        t.check(format!("maskInfo causal {a} x {b}"), r, &["seqQ"]);
    }
    let r = mask_info(
        json(r#"{"kind":"custom","allowed":[]}"#),
        65536.into(),
        65536.into(),
    );
    t.check(
        "maskInfo custom of 0 entries at 65,536 x 65,536".into(),
        r,
        &["allowed"],
    );

    // trace: the config object and each field.
    let config = json(
        r#"{"sentence":"the cat sat","context":"a dog ran","dModel":16,"heads":2,"kvHeads":1,"seed":3,
            "positional":true,"scale":0.5,"mask":{"kind":"causal"},
            "overrides":[{"matrix":"wq","layer":0,"row":0,"col":0,"value":1}],
            "only":{"layers":[0],"heads":[0],"stages":["softmax"]}}"#,
    );
    assert!(
        wasm::trace(config.clone()).is_ok(),
        "the base trace config is valid"
    );
    for (label, bad) in hostile(Field::Object { required: true }) {
        let r = wasm::trace(bad.unwrap_or(JsValue::UNDEFINED)).map(JsValue::from);
        t.check(format!("trace config {label}"), r, &["config"]);
    }
    let trace_fields: Vec<(&[&str], Field, &[&str])> = vec![
        (&["sentence"], Field::Text { required: true }, &["sentence"]),
        (&["context"], Field::Text { required: false }, &["context"]),
        (&["dModel"], Field::Count { required: false }, &["dModel"]),
        (&["heads"], Field::Count { required: false }, &["heads"]),
        (&["kvHeads"], Field::Count { required: false }, &["kvHeads"]),
        (&["seed"], Field::Count { required: false }, &["seed"]),
        (&["positional"], Field::Bool, &["positional"]),
        (&["scale"], Field::Positive, &["scale"]),
        (&["mask"], Field::Object { required: false }, &["mask"]),
        (
            &["overrides"],
            Field::List { required: false },
            &["overrides"],
        ),
        (
            &["overrides", "0"],
            Field::Object { required: true },
            &["overrides"],
        ),
        (
            &["overrides", "0", "matrix"],
            Field::Text { required: true },
            &["matrix"],
        ),
        (
            &["overrides", "0", "layer"],
            Field::Count { required: false },
            &["layer"],
        ),
        (
            &["overrides", "0", "row"],
            Field::Count { required: true },
            &["row"],
        ),
        (
            &["overrides", "0", "col"],
            Field::Count { required: true },
            &["col"],
        ),
        (
            &["overrides", "0", "value"],
            Field::Finite,
            &["value", "override"],
        ),
        (&["only"], Field::Object { required: false }, &["only"]),
        (
            &["only", "layers"],
            Field::List { required: false },
            &["layers"],
        ),
        (
            &["only", "layers", "0"],
            Field::Count { required: true },
            &["layers"],
        ),
        (
            &["only", "heads"],
            Field::List { required: false },
            &["heads"],
        ),
        (
            &["only", "heads", "0"],
            Field::Count { required: true },
            &["heads"],
        ),
        (
            &["only", "stages"],
            Field::List { required: false },
            &["stages"],
        ),
        (
            &["only", "stages", "0"],
            Field::Text { required: true },
            &["stage"],
        ),
    ];
    for (path, field, names) in trace_fields {
        for (label, bad) in hostile(field) {
            // {} is a valid `only` (compute everything); a missing array element is not a value.
            if (path == ["only"] && label == "object")
                || (path.len() > 1 && path.last() == Some(&"0") && label == "missing")
            {
                continue;
            }
            let r = wasm::trace(with(&config, path, bad.as_ref())).map(JsValue::from);
            t.check(format!("trace {} {label}", path.join(".")), r, names);
        }
    }
    for (path, value, names) in [
        (&["dModel"][..], JsValue::from(0), &["dModel"][..]),
        (&["dModel"][..], JsValue::from(1u32 << 31), &["dModel"][..]),
        (&["heads"][..], JsValue::from(0), &["heads"][..]),
        (&["heads"][..], JsValue::from(1u32 << 31), &["heads"][..]),
        (&["kvHeads"][..], JsValue::from(0), &["kvHeads"][..]),
        (
            &["kvHeads"][..],
            JsValue::from(1u32 << 31),
            &["kvHeads"][..],
        ),
        (&["sentence"][..], JsValue::from(""), &["sentence"][..]),
        (
            &["sentence"][..],
            JsValue::from("a ".repeat(3000)),
            &["sentence"][..],
        ),
        (
            &["context"][..],
            JsValue::from("a ".repeat(3000)),
            &["context"][..],
        ),
        (
            &["overrides", "0", "layer"][..],
            JsValue::from(1),
            &["layer"][..],
        ),
        (
            &["overrides", "0", "matrix"][..],
            JsValue::from("wz"),
            &["matrix"][..],
        ),
        (
            &["overrides", "0", "row"][..],
            JsValue::from(1u32 << 31),
            &["matrix"][..],
        ),
        (
            &["overrides", "0", "col"][..],
            JsValue::from(1u32 << 31),
            &["matrix"][..],
        ),
        (
            &["only", "layers", "0"][..],
            JsValue::from(1u32 << 31),
            &["layer"][..],
        ),
        (
            &["only", "heads", "0"][..],
            JsValue::from(1u32 << 31),
            &["head"][..],
        ),
        (
            &["only", "stages", "0"][..],
            JsValue::from("softmaxx"),
            &["stage"][..],
        ),
        (&["sise"][..], JsValue::from(1), &["sise"][..]),
        (&["mask", "random"][..], JsValue::from(1), &["random"][..]),
    ] {
        let r = wasm::trace(with(&config, path, Some(&value))).map(JsValue::from);
        t.check(format!("trace {} = {value:?}", path.join(".")), r, names);
    }
    let huge_text = JsValue::from("a".repeat(1 << 20));
    let long = js_sys::Array::new_with_length(100).join(&huge_text.as_string().unwrap());
    let r = wasm::trace(with(&config, &["sentence"], Some(&long.into()))).map(JsValue::from);
    t.check("trace sentence of 100 MiB".into(), r, &["sentence"]);

    // tokenize: the text and the model.
    for (label, bad) in hostile(Field::Text { required: true }) {
        let r = wasm::tokenize(bad.unwrap_or(JsValue::UNDEFINED), JsValue::UNDEFINED)
            .map(JsValue::from);
        t.check(format!("tokenize text {label}"), r, &["text"]);
    }
    for (label, bad) in hostile(Field::Text { required: false })
        .into_iter()
        .chain([("unknown", Some("bert".into()))])
    {
        let r = wasm::tokenize("a b".into(), bad.unwrap_or(JsValue::UNDEFINED)).map(JsValue::from);
        t.check(format!("tokenize model {label}"), r, &["model"]);
    }
    let huge = js_sys::Array::new_with_length(200).join(&huge_text.as_string().unwrap());
    let r = wasm::tokenize(huge.into(), JsValue::UNDEFINED).map(JsValue::from);
    t.check("tokenize text of 200 MiB".into(), r, &["text"]);

    // buildInfo: the shape and each field.
    let shape = json(r#"{"heads":8,"kvHeads":2,"seqQ":1,"seqKv":4096,"headDim":64}"#);
    for (label, bad) in hostile(Field::Object { required: false }) {
        let r = wasm::build_info(bad.unwrap_or(JsValue::UNDEFINED)).map(JsValue::from);
        t.check(format!("buildInfo shape {label}"), r, &["shape"]);
    }
    for (field, kind) in [
        ("heads", Field::Count { required: true }),
        ("kvHeads", Field::Count { required: false }),
        ("seqQ", Field::Count { required: true }),
        ("seqKv", Field::Count { required: true }),
        ("headDim", Field::Count { required: true }),
    ] {
        let mut values = hostile(kind);
        values.push(("zero", Some(0.into())));
        for (label, bad) in values {
            let r = wasm::build_info(with(&shape, &[field], bad.as_ref())).map(JsValue::from);
            t.check(format!("buildInfo {field} {label}"), r, &[field]);
        }
        let r =
            wasm::build_info(with(&shape, &[field], Some(&(1u32 << 31).into()))).map(JsValue::from);
        t.check(
            format!("buildInfo {field} past the budget"),
            r,
            &[field, "MiB"],
        );
    }

    wasm_bindgen_test::console_log!(
        "hostile inputs: {} calls over attention, attentionAsync, maskInfo, trace, tokenize, buildInfo",
        t.count
    );
    assert!(
        t.failures.is_empty(),
        "{} of {} hostile calls were not refused cleanly:\n{}",
        t.failures.len(),
        t.count,
        t.failures.join("\n")
    );

    // The module still works: a normal call of every export.
    let out = wasm::attention(q.clone(), k.clone(), v.clone(), opts.clone()).unwrap();
    assert_eq!(out.length(), 24);
    let out = wasm::attention_async(q, k, v, async_opts).await.unwrap();
    assert_eq!(out.length(), 24);
    let info = wasm::mask_info(causal, 65536.into(), 65536.into()).unwrap();
    assert_eq!(
        get(&info, "allowedPairs").as_f64(),
        Some(65536.0 * 65537.0 / 2.0)
    );
    assert!(wasm::trace(config).is_ok());
    assert_eq!(
        wasm::tokenize("a b".into(), "toy".into()).unwrap().length(),
        2
    );
    assert_eq!(wasm::stages().length(), 13);
    let info = wasm::build_info(shape).unwrap();
    assert_eq!(
        get(&info, "kernel").as_string(),
        Some(
            Kernel::best_for(&attention_playground::Shape {
                heads: 8,
                kv_heads: 2,
                seq_q: 1,
                seq_kv: 4096,
                head_dim: 64
            })
            .name()
        )
    );
}

#[wasm_bindgen_test]
async fn attention_async_and_build_info_tell_the_truth_about_the_kernel() {
    let mut rng = Rng(4);
    for (seq_q, seq_kv) in [(1, 300), (3, 77), (130, 130)] {
        let (heads, kv, d) = (4, 2, 16);
        let q = f32a(heads * seq_q * d, &mut rng);
        let k = f32a(kv * seq_kv * d, &mut rng);
        let v = f32a(kv * seq_kv * d, &mut rng);
        let opts = json(&format!(
            r#"{{"heads":{heads},"kvHeads":{kv},"headDim":{d},"mask":{{"kind":"causal"}}}}"#
        ));
        let shape = json(&format!(
            r#"{{"heads":{heads},"kvHeads":{kv},"seqQ":{seq_q},"seqKv":{seq_kv},"headDim":{d}}}"#
        ));
        let info = wasm::build_info(shape).unwrap();
        let kernel = get(&info, "kernel").as_string().unwrap();
        let expected = get(
            &info,
            if seq_q < 4 {
                "decodeKernel"
            } else {
                "defaultKernel"
            },
        );
        assert_eq!(Some(kernel.clone()), expected.as_string());
        // attention() with no kernel named runs exactly the kernel buildInfo names: the outputs
        // are bit for bit those of naming it.
        let default = wasm::attention(q.clone(), k.clone(), v.clone(), opts.clone())
            .unwrap()
            .to_vec();
        let named = with(&opts, &["kernel"], Some(&kernel.as_str().into()));
        let by_name = wasm::attention(q.clone(), k.clone(), v.clone(), named)
            .unwrap()
            .to_vec();
        assert_eq!(default, by_name, "{kernel} at seqQ = {seq_q}");
        // attentionAsync, through the backend level, gives the same numbers for each backend.
        for backend in [None, Some("auto"), Some("cpu")] {
            let o = match backend {
                Some(b) => with(&opts, &["backend"], Some(&b.into())),
                None => opts.clone(),
            };
            let out = wasm::attention_async(q.clone(), k.clone(), v.clone(), o)
                .await
                .unwrap()
                .to_vec();
            assert_eq!(out, default, "backend {backend:?}");
        }
    }
}
