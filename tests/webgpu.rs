//! The WebGPU backend in the browser (`wasm-pack test --headless --chrome` / `--firefox`, run by
//! scripts/test-browsers.sh with `--enable-unsafe-webgpu` for Chromium: see webdriver.json).
//!
//! - Chromium (SwiftShader headless): `webgpuInfo()` must find an adapter (logged; a missing one
//!   FAILS, nothing is skipped), then the shared kernel suite runs through
//!   `attentionAsync(..., {backend: "webgpu"})`: every mask kind, tile edges, grouped heads,
//!   cross-attention, decoding with the split, head dims up to the kernel's maximum, on small
//!   shapes (SwiftShader runs at CPU speed); errors are clear; a destroyed device fails the call
//!   in flight with "lost" and the next call opens a new device.
//! - Firefox (no WebGPU on Linux): `webgpuInfo()` says unavailable with a reason, backend
//!   "webgpu" throws that reason, and "auto" computes on the CPU.
#![cfg(target_arch = "wasm32")]

mod suite;

use attention_playground::{wasm, BlockPattern, Mask};
use js_sys::{Float32Array, Reflect, JSON};
use suite::{check_with, Case, Rng, MASK_KINDS};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
}

fn is_firefox() -> bool {
    let nav = get(&js_sys::global(), "navigator");
    get(&nav, "userAgent")
        .as_string()
        .unwrap_or_default()
        .contains("Firefox")
}

fn message(e: wasm_bindgen::JsError) -> String {
    let v: JsValue = e.into();
    assert!(
        v.is_instance_of::<js_sys::Error>(),
        "errors are Error objects"
    );
    get(&v, "message").as_string().unwrap()
}

fn bits(b: &[bool]) -> String {
    let s: Vec<&str> = b.iter().map(|x| if *x { "1" } else { "0" }).collect();
    format!("[{}]", s.join(","))
}

/// The JS form of a mask (attention()'s `mask` option). Generated block-sparse seeds are cut to
/// 31 bits first (JS numbers), in the case itself, so the reference sees the same mask.
fn js_mask(m: &mut Mask) -> String {
    match m {
        Mask::None => r#"{"kind":"none"}"#.into(),
        Mask::Causal => r#"{"kind":"causal"}"#.into(),
        Mask::Padding { keep } => format!(r#"{{"kind":"padding","keep":{}}}"#, bits(keep)),
        Mask::Window { size, causal } => {
            format!(r#"{{"kind":"window","size":{size},"causal":{causal}}}"#)
        }
        Mask::GlobalLocal { globals, size } => {
            format!(r#"{{"kind":"global-local","globals":{globals:?},"size":{size}}}"#)
        }
        Mask::BlockSparse { block, pattern } => match pattern {
            BlockPattern::Layout(l) => format!(
                r#"{{"kind":"block-sparse","block":{block},"layout":{}}}"#,
                bits(l)
            ),
            BlockPattern::Generated {
                local,
                random,
                seed,
                causal,
            } => {
                *seed &= 0x7fff_ffff;
                format!(
                    r#"{{"kind":"block-sparse","block":{block},"local":{local},"random":{random},"seed":{seed},"causal":{causal}}}"#
                )
            }
        },
        Mask::Strided { stride, causal } => {
            format!(r#"{{"kind":"strided","stride":{stride},"causal":{causal}}}"#)
        }
        Mask::Custom { allowed } => format!(r#"{{"kind":"custom","allowed":{}}}"#, bits(allowed)),
        Mask::All(ms) => list("all", ms),
        Mask::Any(ms) => list("any", ms),
    }
}

fn list(kind: &str, ms: &mut [Mask]) -> String {
    let parts: Vec<String> = ms.iter_mut().map(js_mask).collect();
    format!(r#"{{"kind":"{kind}","masks":[{}]}}"#, parts.join(","))
}

/// attentionAsync's options for a case, with `backend`.
fn options(case: &mut Case, backend: &str) -> JsValue {
    let s = case.shape;
    let scale = match case.scale {
        Some(x) => format!(r#","scale":{x}"#),
        None => String::new(),
    };
    let mask = js_mask(&mut case.mask);
    JSON::parse(&format!(
        r#"{{"heads":{},"kvHeads":{},"headDim":{}{scale},"mask":{mask},"backend":"{backend}"}}"#,
        s.heads, s.kv_heads, s.head_dim
    ))
    .unwrap()
}

async fn run(case: &mut Case, backend: &str) -> Result<Vec<f32>, String> {
    let o = options(case, backend);
    let arr = |x: &[f32]| JsValue::from(Float32Array::from(x));
    wasm::attention_async(arr(&case.q), arr(&case.k), arr(&case.v), o)
        .await
        .map(|a| a.to_vec())
        .map_err(message)
}

/// The kernel variant webgpuInfo() names (chosen by the adapter's features).
async fn variant() -> String {
    get(&wasm::webgpu_info().await, "variant")
        .as_string()
        .unwrap_or_default()
}

/// Checks one case through backend "webgpu" against the reference (tests/suite). Where the
/// variant stores K and V as f16 (an adapter with `shader-f16`), the reference gets K and V
/// rounded to f16 too, as in tests/gpu.rs.
async fn check(mut case: Case) -> Result<(), String> {
    let variant = variant().await;
    let t0 = js_sys::Date::now();
    let got = run(&mut case, "webgpu").await;
    if variant.starts_with("f16") {
        let round = |x: &mut Vec<f32>| {
            for v in x.iter_mut() {
                *v = half::f16::from_f32(*v).to_f32();
            }
        };
        round(&mut case.k);
        round(&mut case.v);
    }
    console_log!(
        "{:5.0} ms  {}",
        js_sys::Date::now() - t0,
        case.describe().chars().take(90).collect::<String>()
    );
    let what = if case.shape.seq_q <= 4 {
        format!("webgpu {variant} decode (split + merge)")
    } else {
        format!("webgpu {variant} prefill")
    };
    check_with(&what, &case, move |_, _| got)
}

async fn info() -> JsValue {
    let info = wasm::webgpu_info().await;
    console_log!(
        "webgpuInfo(): {}",
        JSON::stringify(&info).unwrap().as_string().unwrap()
    );
    info
}

#[wasm_bindgen_test]
async fn chromium_has_an_adapter_and_firefox_says_why_not() {
    let info = info().await;
    let available = get(&info, "available").as_bool().unwrap();
    if is_firefox() {
        assert!(!available, "Firefox ESR on Linux has WebGPU off");
        let reason = get(&info, "reason").as_string().unwrap();
        assert!(reason.contains("WebGPU"), "{reason}");
        // backend "webgpu" throws that reason; "auto" computes on the CPU.
        let mut case = Case::new(1, 2, 2, 70, 70, 16, 1);
        let err = run(&mut case, "webgpu").await.unwrap_err();
        assert_eq!(err, reason);
        let got = run(&mut case, "auto").await;
        check_with("auto (CPU) in Firefox", &case, |_, _| got).unwrap();
        // Large enough for auto to consider WebGPU: it still computes, on the CPU.
        let mut big = Case::new(2, 2, 4, 300, 300, 64, 1);
        let got = run(&mut big, "auto").await;
        check_with("auto (CPU) in Firefox", &big, |_, _| got).unwrap();
    } else {
        assert!(
            available,
            "headless Chromium must offer a WebGPU adapter (--enable-unsafe-webgpu): {}",
            get(&info, "reason").as_string().unwrap_or_default()
        );
        let fallback = get(&info, "isFallbackAdapter").as_bool().unwrap();
        console_log!(
            "adapter: vendor {:?}, architecture {:?}, fallback {fallback}",
            get(&info, "vendor").as_string(),
            get(&info, "architecture").as_string()
        );
        // The variant follows the features requested on the device (SwiftShader offers
        // `subgroups`, not `shader-f16`: variant "subgroups").
        let features: Vec<String> = js_sys::Array::from(&get(&info, "features"))
            .iter()
            .filter_map(|f| f.as_string())
            .collect();
        let has = |f: &str| features.iter().any(|x| x == f);
        let variant = get(&info, "variant").as_string().unwrap();
        let expect = match (has("shader-f16"), has("subgroups")) {
            (false, false) => "f32",
            (true, false) => "f16-storage",
            (false, true) => "subgroups",
            (true, true) => "f16-storage+subgroups",
        };
        console_log!("kernel variant {variant:?}, features {features:?}");
        assert_eq!(variant, expect);
        if fallback && get(&info, "vendor").as_string().as_deref() == Some("google") {
            assert!(
                has("subgroups"),
                "SwiftShader offers subgroups: {features:?}"
            );
        }
    }
}

#[wasm_bindgen_test]
async fn the_kernel_suite_through_backend_webgpu() {
    if is_firefox() {
        return; // no WebGPU: the test above checks the refusal
    }
    assert_eq!(get(&info().await, "available").as_bool(), Some(true));
    let mut rng = Rng(0x9e6);
    let mut n_cases = 0;
    // Every mask kind, prefill and decode, random small shapes (SwiftShader is CPU speed).
    for kind in 0..MASK_KINDS {
        for rep in 0..3 {
            let seq_q = if rep == 0 {
                rng.range(1, 4)
            } else {
                rng.range(5, 130)
            };
            let seq_kv = if rep == 2 { seq_q } else { rng.range(1, 200) };
            let case = Case::new(
                rng.next(),
                rng.range(1, 2),
                rng.range(1, 3),
                seq_q,
                seq_kv,
                // A few head dims, so that the pipelines compiled (a second or two each on
                // SwiftShader) are shared between cases.
                [3, 16, 33, 64][rng.range(0, 3)],
                kind,
            );
            check(case).await.unwrap();
            n_cases += 1;
        }
    }
    // Tile edges (32- and 64-key tiles, 64-row query blocks) and head dims at the limits.
    for (seq_q, seq_kv, d) in [
        (64, 64, 64),
        (65, 33, 32),
        (1, 257, 64),
        (4, 300, 16),
        (33, 129, 1),
        (7, 9, 130),
        (3, 40, 256),
        (20, 20, 256),
    ] {
        for kind in [0, 1, 9] {
            check(Case::new(rng.next(), 2, 2, seq_q, seq_kv, d, kind))
                .await
                .unwrap();
            n_cases += 1;
        }
    }
    console_log!("webgpu suite: {n_cases} cases through attentionAsync({{backend: \"webgpu\"}})");
}

#[wasm_bindgen_test]
async fn webgpu_errors_are_clear_and_auto_stays_on_the_cpu_on_a_fallback_adapter() {
    if is_firefox() {
        return;
    }
    // Head dim 300: past the kernel's maximum, said in words.
    let mut case = Case::new(3, 1, 1, 8, 8, 300, 0);
    let err = run(&mut case, "webgpu").await.unwrap_err();
    assert!(
        err.contains("headDim is 300") && err.contains("at most 256"),
        "{err}"
    );
    // A CPU kernel named with backend "webgpu".
    let o = options(&mut Case::new(4, 1, 1, 8, 8, 8, 0), "webgpu");
    Reflect::set(&o, &"kernel".into(), &"tiled".into()).unwrap();
    let x = JsValue::from(Float32Array::new_with_length(64));
    let err = message(
        wasm::attention_async(x.clone(), x.clone(), x.clone(), o)
            .await
            .unwrap_err(),
    );
    assert!(err.contains("CPU kernel"), "{err}");
    // Auto on a problem large enough to consider WebGPU: right numbers either way (on a
    // fallback adapter such as SwiftShader it is the CPU's).
    let mut big = Case::new(5, 2, 4, 300, 300, 64, 1);
    let got = run(&mut big, "auto").await;
    check_with("auto", &big, |_, _| got).unwrap();
}

#[wasm_bindgen_test]
async fn a_lost_device_fails_the_call_in_flight_and_the_next_call_opens_a_new_one() {
    if is_firefox() {
        return;
    }
    assert_eq!(get(&info().await, "available").as_bool(), Some(true));
    let mut case = Case::new(6, 2, 2, 40, 40, 16, 1);
    check(Case::new(6, 2, 2, 40, 40, 16, 1)).await.unwrap();
    // Start a call, destroy the device before it runs, then await it.
    let o = options(&mut case, "webgpu");
    let arr = |x: &[f32]| JsValue::from(Float32Array::from(x));
    let (q, k, v) = (arr(&case.q), arr(&case.k), arr(&case.v));
    let promise = wasm_bindgen_futures::future_to_promise(async move {
        wasm::attention_async(q, k, v, o)
            .await
            .map(JsValue::from)
            .map_err(JsValue::from)
    });
    assert!(wasm::webgpu_destroy_device(), "a device was open");
    let err = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .expect_err("the call on a destroyed device fails");
    let err = get(&err, "message").as_string().unwrap();
    assert!(err.contains("lost"), "{err}");
    // The next call opens a new device and computes.
    check(Case::new(7, 2, 2, 40, 40, 16, 1)).await.unwrap();
    let info = info().await;
    assert_eq!(get(&info, "available").as_bool(), Some(true));
    // Auto falls back to the CPU when WebGPU fails: the numbers are right.
    wasm::webgpu_destroy_device();
    let got = run(&mut case, "auto").await;
    check_with("auto after a lost device", &case, |_, _| got).unwrap();
}
