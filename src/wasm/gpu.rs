//! `webgpuInfo` (and the device-loss test hook): what the WebGPU backend has here.

use super::set;
use crate::gpu::web;
use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_GPU: &'static str = r#"
/** What attentionAsync's backend "webgpu" runs on here, or why it cannot run. */
export type WebGpuInfo =
  | { available: true; vendor: string; architecture: string; description?: string;
      /** A software adapter (SwiftShader): CPU speed, so backend "auto" never picks it. */
      isFallbackAdapter: boolean;
      /** The adapter features the kernel uses, requested on the device: "shader-f16" (K and V
       *  stored as f16: about 3 significant digits; scores and sums in f32) and "subgroups"
       *  (decode by subgroups), where the adapter has them; none for "f32". */
      features: string[];
      /** The kernel variant that runs, chosen by those features: "f32", "f16-storage",
       *  "subgroups" or "f16-storage+subgroups". */
      variant: string }
  | { available: false; reason: string };
"#;

/// What the WebGPU backend has here: `{available: true, vendor, architecture, description?,
/// isFallbackAdapter, features, variant}` or `{available: false, reason}`. Opens the adapter and
/// device on the first call (and after a lost device); later calls answer from the cache.
#[wasm_bindgen(js_name = webgpuInfo, unchecked_return_type = "Promise<WebGpuInfo>")]
pub async fn webgpu_info() -> JsValue {
    let o = Object::new();
    match web::device().await {
        Ok(g) => {
            let f = g.facts();
            set(&o, "available", true);
            set(&o, "vendor", f.vendor.as_str());
            set(&o, "architecture", f.architecture.as_str());
            if !f.description.is_empty() {
                set(&o, "description", f.description.as_str());
            }
            set(&o, "isFallbackAdapter", f.fallback);
            let features: Array = f
                .features
                .iter()
                .map(|s| JsValue::from(s.as_str()))
                .collect();
            set(&o, "features", features);
            set(&o, "variant", f.variant);
        }
        Err(e) => {
            set(&o, "available", false);
            set(&o, "reason", e.to_string());
        }
    }
    o.into()
}

/// A test hook: destroys the open WebGPU device, as a lost device would be (its calls in flight
/// fail with "the WebGPU device was lost", and the next call opens a new device). Returns
/// whether a device was open.
#[wasm_bindgen(js_name = webgpuDestroyDevice)]
pub fn webgpu_destroy_device() -> bool {
    web::destroy_device()
}
