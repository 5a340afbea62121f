//! The threaded build in a browser: `scripts/test-browsers.sh` runs it with wasm-pack on the
//! nightly with atomics and `--features threads` (headless Chromium; wasm-pack's test server
//! sends COOP/COEP). The tests run in a dedicated worker, because rayon's threads block on
//! `Atomics.wait`, which the main thread may not.
#![cfg(all(target_arch = "wasm32", feature = "threads"))]

mod suite;

use attention_playground::{wasm, Kernel};
use suite::{check, Case, MASK_KINDS};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[wasm_bindgen_test]
async fn the_pool_starts_with_two_threads_and_the_parallel_kernels_match_the_reference() {
    JsFuture::from(wasm_bindgen_rayon::init_thread_pool(2))
        .await
        .expect("the thread pool starts");
    assert_eq!(rayon::current_num_threads(), 2);
    let info = wasm::build_info(wasm_bindgen::JsValue::UNDEFINED).unwrap();
    let get = |k: &str| js_sys::Reflect::get(&info, &k.into()).unwrap();
    assert_eq!(get("threads").as_f64(), Some(2.0));
    assert_eq!(get("atomics").as_bool(), Some(true));
    if let Some(expected) = option_env!("EXPECT_SIMD") {
        assert_eq!(get("simd").as_string().as_deref(), Some(expected));
    }

    // Random shapes, several query blocks and heads so that both threads get work, every mask kind.
    for seed in 0..24 {
        let case = Case::random(1000 + seed, 420, 96);
        for kernel in Kernel::all() {
            check(kernel, &case).unwrap_or_else(|e| panic!("{e}\n{}", case.describe()));
        }
    }
    for kind in 0..MASK_KINDS {
        let case = Case::new(77 + kind as u64, 2, 4, 300, 333, 64, kind);
        check(Kernel::best(), &case).unwrap_or_else(|e| panic!("{e}\n{}", case.describe()));
    }
}
