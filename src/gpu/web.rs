//! The browser host of the WGSL kernel (wasm32 only): WebGPU through web-sys's `Gpu*` bindings,
//! driving the same [`Plan`] and shader as [`super::native`] (entry points `attend` and `merge`,
//! the same bindings).
//!
//! - **One thread.** Every GPU object lives on the thread that called (the page's engine worker),
//!   in a thread-local; none reaches a rayon task (in the threaded builds they are not `Send`).
//! - **Opened once.** The adapter and device are requested on the first call and cached; when no
//!   adapter exists the reason is cached instead. `device.lost` is watched: a lost device is
//!   dropped from the cache (the next call requests a new one) and a call in flight fails with
//!   "the WebGPU device was lost: ...".
//! - **Uploads from a non-shared copy.** Inputs are copied into fresh `Float32Array`s before
//!   `writeBuffer`: in the threaded builds wasm memory is a `SharedArrayBuffer`, and Firefox
//!   rejects views of it.
//! - **Errors are messages.** Buffers are created inside one out-of-memory error scope each (the
//!   message names the buffer), pipelines and bind groups inside validation scopes; nothing panics.
//!
//! - **Variants by the adapter's features**, as the issue asks: the device is requested with
//!   `shader-f16` and `subgroups` where the adapter has them, and the kernel runs f16 storage
//!   when `shader-f16` (K and V rounded to f16, about 3 significant digits; scores, softmax and
//!   sums in f32: on the suite's inputs the output stays within its f32 tolerances of the
//!   reference on f16-rounded K and V, see tests/gpu.rs) and subgroup decode when `subgroups`
//!   ([`Variant::for_features`]). `webgpuInfo()` names the variant and the features it uses.

use super::plan::{Plan, Variant};
use super::Limits;
use crate::error::{Error, Result};
use crate::kernels::Problem;
use js_sys::{Float32Array, Object, Reflect};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Gpu, GpuAdapter, GpuAutoLayoutMode, GpuBindGroupDescriptor, GpuBindGroupEntry, GpuBuffer,
    GpuBufferDescriptor, GpuComputePipeline, GpuComputePipelineDescriptor, GpuDevice,
    GpuDeviceDescriptor, GpuErrorFilter, GpuProgrammableStage, GpuShaderModuleDescriptor,
};

// GPUBufferUsage and GPUMapMode flags (the WebGPU spec's values).
const MAP_READ: u32 = 0x0001;
const COPY_SRC: u32 = 0x0004;
const COPY_DST: u32 = 0x0008;
const UNIFORM: u32 = 0x0040;
const STORAGE: u32 = 0x0080;
const MODE_READ: u32 = 0x0001;

/// What is known about the adapter: what `webgpuInfo()` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterFacts {
    pub vendor: String,
    pub architecture: String,
    pub description: String,
    /// A software (fallback) adapter such as SwiftShader: CPU speed; `auto` never picks it.
    pub fallback: bool,
    /// The adapter features the kernel uses (requested on the device): `shader-f16`,
    /// `subgroups`, or none for the f32 variant.
    pub features: Vec<String>,
    /// The kernel variant this device runs ([`Variant::name`]).
    pub variant: &'static str,
}

/// The compute pipelines of one shader source.
struct Pipelines {
    attend: GpuComputePipeline,
    merge: Option<GpuComputePipeline>,
}

/// An open device and what was learnt about its adapter.
pub struct WebGpu {
    device: GpuDevice,
    variant: Variant,
    facts: AdapterFacts,
    limits: Limits,
    pipelines: RefCell<HashMap<String, Rc<Pipelines>>>,
    /// Set by the `device.lost` handler: the reason.
    lost: Rc<RefCell<Option<String>>>,
}

enum State {
    /// Not asked yet, or the device was lost: the next call requests one.
    Closed,
    Open(Rc<WebGpu>),
    /// No adapter or no device: the reason (cached; WebGPU does not appear later in a page).
    Unavailable(String),
}

thread_local! {
    static STATE: RefCell<State> = const { RefCell::new(State::Closed) };
}

fn gpu_err(what: &str, e: &JsValue) -> Error {
    Error::Gpu(format!("{what}: {}", js_message(e)))
}

/// The message of a JS error (or the value as text).
fn js_message(e: &JsValue) -> String {
    Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn string(o: &JsValue, key: &str) -> String {
    get(o, key).as_string().unwrap_or_default()
}

/// The open device, requesting the adapter and device on the first call (or after a loss).
pub async fn device() -> Result<Rc<WebGpu>> {
    let cached = STATE.with(|s| match &*s.borrow() {
        State::Open(g) if g.lost.borrow().is_none() => Some(Ok(g.clone())),
        State::Unavailable(why) => Some(Err(Error::Gpu(why.clone()))),
        _ => None,
    });
    if let Some(r) = cached {
        return r;
    }
    let opened = open().await;
    STATE.with(|s| {
        *s.borrow_mut() = match &opened {
            Ok(g) => State::Open(g.clone()),
            Err(Unavailable(why)) => State::Unavailable(why.clone()),
            Err(Failed(_)) => State::Closed,
        }
    });
    opened.map_err(|e| match e {
        Unavailable(why) | Failed(why) => Error::Gpu(why),
    })
}

/// The device if one is open (no request): what `auto` looks at.
pub fn open_device() -> Option<Rc<WebGpu>> {
    STATE.with(|s| match &*s.borrow() {
        State::Open(g) if g.lost.borrow().is_none() => Some(g.clone()),
        _ => None,
    })
}

/// Whether WebGPU is known to be unavailable here (a previous request found no adapter).
pub fn known_unavailable() -> bool {
    STATE.with(|s| matches!(&*s.borrow(), State::Unavailable(_)))
}

/// Destroys the open device (a test hook for device loss): its `lost` promise resolves with
/// reason "destroyed", and the next call requests a new device. Returns whether one was open.
pub fn destroy_device() -> bool {
    match open_device() {
        Some(g) => {
            g.device.destroy();
            true
        }
        None => false,
    }
}

enum OpenError {
    /// No WebGPU here (cached).
    Unavailable(String),
    /// A device request failed (not cached: the next call tries again).
    Failed(String),
}
use OpenError::{Failed, Unavailable};

async fn open() -> std::result::Result<Rc<WebGpu>, OpenError> {
    let navigator = get(&js_sys::global(), "navigator");
    let gpu = get(&navigator, "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        let secure = get(&js_sys::global(), "isSecureContext").as_bool() != Some(false);
        return Err(Unavailable(if secure {
            "WebGPU is not available in this browser (navigator.gpu is missing; Firefox on Linux has it off by default, Chromium needs it enabled)".into()
        } else {
            "WebGPU needs a secure context (https or localhost); navigator.gpu is missing".into()
        }));
    }
    let gpu: Gpu = gpu.unchecked_into();
    let adapter = match gpu.request_adapter().await {
        Ok(a) => a.into_option(),
        Err(e) => {
            return Err(Unavailable(format!(
                "requesting a WebGPU adapter failed: {}",
                js_message(&e)
            )))
        }
    };
    let Some(adapter) = adapter else {
        return Err(Unavailable(
            "WebGPU is present but offers no adapter (no usable GPU, or WebGPU is blocked for this GPU or driver)".into(),
        ));
    };
    let has = adapter.features();
    let variant = Variant::for_features(has.has("shader-f16"), has.has("subgroups"));
    let facts = facts(&adapter, variant);
    let a = adapter.limits();
    let limits = Limits {
        max_storage_binding: a.max_storage_buffer_binding_size() as u64,
        max_buffer: a.max_buffer_size() as u64,
        max_workgroups_per_dim: a.max_compute_workgroups_per_dimension(),
    };
    // The storage sizes the adapter allows, so that long contexts fit (WebGPU's defaults are
    // 128 MiB per binding and 256 MiB per buffer).
    let required = Object::new();
    let _ = Reflect::set(
        &required,
        &"maxStorageBufferBindingSize".into(),
        &(limits.max_storage_binding as f64).into(),
    );
    let _ = Reflect::set(
        &required,
        &"maxBufferSize".into(),
        &(limits.max_buffer as f64).into(),
    );
    let desc = GpuDeviceDescriptor::new();
    desc.set_label("attention");
    desc.set_required_limits(required.unchecked_ref());
    let features: Vec<js_sys::JsString> = variant.features().into_iter().map(Into::into).collect();
    desc.set_required_features(&features);
    let device = adapter
        .request_device_with_descriptor(&desc)
        .await
        .map_err(|e| {
            Failed(format!(
                "the WebGPU adapter refused a device: {}",
                js_message(&e)
            ))
        })?;
    let lost = Rc::new(RefCell::new(None));
    let watch = lost.clone();
    let lost_promise = device.lost();
    wasm_bindgen_futures::spawn_local(async move {
        let why = match lost_promise.await {
            Ok(info) => {
                let reason = string(&info, "reason");
                let message = info.message();
                format!("the WebGPU device was lost ({reason}): {message}")
            }
            Err(e) => format!("the WebGPU device was lost: {}", js_message(&e)),
        };
        *watch.borrow_mut() = Some(why);
    });
    Ok(Rc::new(WebGpu {
        device,
        variant,
        facts,
        limits,
        pipelines: RefCell::new(HashMap::new()),
        lost,
    }))
}

fn facts(adapter: &GpuAdapter, variant: Variant) -> AdapterFacts {
    let info: JsValue = adapter.info().into();
    // `isFallbackAdapter` moved from the adapter to its info; read either.
    let fallback = get(&info, "isFallbackAdapter")
        .as_bool()
        .or_else(|| get(adapter, "isFallbackAdapter").as_bool())
        .unwrap_or(false);
    AdapterFacts {
        vendor: string(&info, "vendor"),
        architecture: string(&info, "architecture"),
        description: string(&info, "description"),
        fallback,
        features: variant.features().into_iter().map(String::from).collect(),
        variant: variant.name(),
    }
}

/// A buffer with its name, for messages.
struct Named {
    name: &'static str,
    buffer: GpuBuffer,
}

impl WebGpu {
    pub fn facts(&self) -> &AdapterFacts {
        &self.facts
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn check_lost(&self) -> Result<()> {
        match &*self.lost.borrow() {
            Some(why) => Err(Error::Gpu(why.clone())),
            None => Ok(()),
        }
    }

    /// Computes attention on this device: the same contract as [`crate::kernels::attention`].
    pub async fn attention(
        &self,
        problem: &Problem<'_>,
        q: &[f32],
        k: &[f32],
        v: &[f32],
    ) -> Result<Vec<f32>> {
        problem.check_inputs(q, k, v)?;
        self.check_lost()?;
        let plan = Plan::with_variant(problem, &self.limits, self.variant)?;
        let pipelines = self.pipelines(&plan).await?;
        let mut buffers: Vec<Named> = Vec::new();
        let result = self.run(&plan, &pipelines, q, k, v, &mut buffers).await;
        for b in &buffers {
            b.buffer.destroy();
        }
        // A lost device makes the steps above fail in their own words (the read-back's map is
        // rejected, often before `device.lost` has resolved): say so, and mark the device lost
        // so that the next call opens a new one.
        match result {
            Err(Error::Gpu(m)) if self.lost.borrow().is_some() || mentions_loss(&m) => {
                let mut lost = self.lost.borrow_mut();
                let why = lost
                    .get_or_insert_with(|| format!("the WebGPU device was lost: {m}"))
                    .clone();
                Err(Error::Gpu(why))
            }
            r => r,
        }
    }

    async fn run(
        &self,
        plan: &Plan,
        pipelines: &Pipelines,
        q: &[f32],
        k: &[f32],
        v: &[f32],
        buffers: &mut Vec<Named>,
    ) -> Result<Vec<f32>> {
        let d = &self.device;
        let out_bytes = (plan.out_len * 4) as u32;
        // f16 storage: two bytes a number, the buffer's size rounded up to a multiple of 4.
        let kv_bytes = if plan.consts.f16 {
            (plan.kv_len * 2).div_ceil(4) * 4
        } else {
            plan.kv_len * 4
        };
        // Each buffer in its own out-of-memory scope, so that a failure names it.
        let sizes: [(&'static str, usize, u32); 8] = [
            (
                "params",
                crate::gpu::plan::Params::BYTES,
                UNIFORM | COPY_DST,
            ),
            ("q", plan.q_len * 4, STORAGE | COPY_DST),
            ("k", kv_bytes, STORAGE | COPY_DST),
            ("v", kv_bytes, STORAGE | COPY_DST),
            (
                "the mask's tile table",
                plan.mask.len() * 4,
                STORAGE | COPY_DST,
            ),
            ("output", plan.out_len * 4, STORAGE | COPY_SRC),
            ("read-back", plan.out_len * 4, MAP_READ | COPY_DST),
            ("decode partials", plan.parts_len * 4, STORAGE),
        ];
        let mut wanted = Vec::new();
        for (name, bytes, usage) in sizes {
            if name == "decode partials" && bytes == 0 {
                continue;
            }
            let size = u32::try_from(bytes.max(4)).map_err(|_| {
                Error::Gpu(format!(
                    "the WebGPU buffer for {name} would need {} MiB, more than WebGPU's 4 GiB per buffer; use fewer tokens or heads",
                    bytes >> 20
                ))
            })?;
            wanted.push((name, size, usage));
        }
        d.push_error_scope(GpuErrorFilter::Validation);
        let mut thrown = None;
        let mut scopes = 0;
        for (name, size, usage) in wanted {
            d.push_error_scope(GpuErrorFilter::OutOfMemory);
            scopes += 1;
            let desc = GpuBufferDescriptor::new(size, usage);
            desc.set_label(name);
            match d.create_buffer(&desc) {
                Ok(buffer) => buffers.push(Named { name, buffer }),
                Err(e) => {
                    thrown = Some(gpu_err(
                        &format!(
                            "creating the WebGPU buffer for {name} ({} MiB) failed",
                            (size as u64).div_ceil(1 << 20)
                        ),
                        &e,
                    ));
                    break;
                }
            }
        }
        // Pop the out-of-memory scopes, innermost (last buffer) first; every scope pushed is
        // popped, whatever happened.
        let mut oom = None;
        for i in (0..scopes).rev() {
            if let Some(e) = pop(d).await? {
                let (name, size) = buffers
                    .get(i)
                    .map_or(("?", 0), |b| (b.name, b.buffer.size() as u64));
                oom = Some(format!(
                    "the GPU is out of memory for the WebGPU buffer for {name} ({} MiB): {e}; use fewer tokens or heads, or the CPU backend",
                    size.div_ceil(1 << 20)
                ));
            }
        }
        if let Some(e) = thrown {
            let _ = pop(d).await;
            return Err(e);
        }
        if let Some(e) = pop(d).await? {
            return Err(Error::Gpu(format!("WebGPU rejected the buffers: {e}")));
        }
        if let Some(m) = oom {
            return Err(Error::Gpu(m));
        }
        let buf = |name: &str| &buffers.iter().find(|b| b.name == name).unwrap().buffer;
        let queue = d.queue();
        // Uploads from fresh (non-shared) arrays: see the module's notes.
        let write = |name: &str, data: &JsValue| -> Result<()> {
            queue
                .write_buffer_with_u32_and_buffer_source(buf(name), 0, data.unchecked_ref())
                .map_err(|e| gpu_err(&format!("uploading {name} failed"), &e))
        };
        let params = js_sys::Uint8Array::new_with_length(crate::gpu::plan::Params::BYTES as u32);
        params.copy_from(&plan.params.to_bytes());
        write("params", &params)?;
        let floats = |x: &[f32]| -> JsValue {
            let a = Float32Array::new_with_length(x.len() as u32);
            a.copy_from(x);
            a.into()
        };
        write("q", &floats(&plan.pad_rows(q)))?;
        let kv = |x: &[f32]| -> JsValue {
            if !plan.consts.f16 {
                return floats(x);
            }
            let a = js_sys::Uint16Array::new_with_length(x.len().div_ceil(2) as u32 * 2);
            let h: Vec<u16> = x
                .iter()
                .map(|v| half::f16::from_f32(*v).to_bits())
                .collect();
            a.subarray(0, h.len() as u32).copy_from(&h);
            a.into()
        };
        write("k", &kv(&plan.pad_rows(k)))?;
        write("v", &kv(&plan.pad_rows(v)))?;
        let mask = js_sys::Uint32Array::new_with_length(plan.mask.len().max(1) as u32);
        mask.subarray(0, plan.mask.len() as u32)
            .copy_from(&plan.mask);
        write("the mask's tile table", &mask)?;

        d.push_error_scope(GpuErrorFilter::Validation);
        let entry =
            |binding: u32, name: &str| GpuBindGroupEntry::new_with_gpu_buffer(binding, buf(name));
        let decode = plan.parts_len > 0;
        let attend_out = if decode { "decode partials" } else { "output" };
        let attend = d.create_bind_group(&GpuBindGroupDescriptor::new(
            &[
                entry(0, "params"),
                entry(1, "q"),
                entry(2, "k"),
                entry(3, "v"),
                entry(4, "the mask's tile table"),
                entry(5, attend_out),
            ],
            &pipelines.attend.get_bind_group_layout(0),
        ));
        let merge = match (&pipelines.merge, decode) {
            (Some(m), true) => Some(d.create_bind_group(&GpuBindGroupDescriptor::new(
                &[
                    entry(0, "params"),
                    entry(5, "output"),
                    entry(6, "decode partials"),
                ],
                &m.get_bind_group_layout(0),
            ))),
            _ => None,
        };
        let enc = d.create_command_encoder();
        {
            let pass = enc.begin_compute_pass();
            pass.set_pipeline(&pipelines.attend);
            pass.set_bind_group(0, Some(&attend));
            let [x, y, z] = plan.dispatch;
            pass.dispatch_workgroups_with_workgroup_count_y_and_workgroup_count_z(x, y, z);
            pass.end();
        }
        if let (Some(m), Some(bg), Some([x, y, z])) =
            (&pipelines.merge, &merge, plan.merge_dispatch)
        {
            let pass = enc.begin_compute_pass();
            pass.set_pipeline(m);
            pass.set_bind_group(0, Some(bg));
            pass.dispatch_workgroups_with_workgroup_count_y_and_workgroup_count_z(x, y, z);
            pass.end();
        }
        enc.copy_buffer_to_buffer_with_u32(buf("output"), buf("read-back"), out_bytes)
            .map_err(|e| gpu_err("copying the output failed", &e))?;
        queue.submit(&[enc.finish()]);
        if let Some(e) = pop(d).await? {
            return Err(Error::Gpu(format!("WebGPU rejected the dispatch: {e}")));
        }
        let staging = buf("read-back");
        staging
            .map_async(MODE_READ)
            .await
            .map_err(|e| gpu_err("reading the output back failed", &e))?;
        let range = staging
            .get_mapped_range()
            .map_err(|e| gpu_err("reading the mapped output failed", &e))?;
        let out = Float32Array::new(&range).to_vec();
        staging.unmap();
        Ok(out)
    }

    /// The pipelines for a plan's shader source, compiled once per distinct source.
    async fn pipelines(&self, plan: &Plan) -> Result<Rc<Pipelines>> {
        let src = plan.shader_source();
        if let Some(p) = self.pipelines.borrow().get(&src) {
            return Ok(p.clone());
        }
        let d = &self.device;
        d.push_error_scope(GpuErrorFilter::Validation);
        let module = d.create_shader_module(&GpuShaderModuleDescriptor::new(&src));
        let pipeline = |entry: &str| {
            let stage = GpuProgrammableStage::new(&module);
            stage.set_entry_point(entry);
            d.create_compute_pipeline(
                &GpuComputePipelineDescriptor::new_with_gpu_auto_layout_mode(
                    GpuAutoLayoutMode::Auto,
                    &stage,
                ),
            )
        };
        let p = Rc::new(Pipelines {
            attend: pipeline(plan.consts.entry_point()),
            merge: plan.consts.decode.then(|| pipeline("merge")),
        });
        if let Some(e) = pop(d).await? {
            self.check_lost()?;
            return Err(Error::Gpu(format!("the WGSL kernel did not compile: {e}")));
        }
        self.pipelines.borrow_mut().insert(src, p.clone());
        Ok(p)
    }
}

/// Does a WebGPU error message say that the device is gone?
fn mentions_loss(m: &str) -> bool {
    let m = m.to_ascii_lowercase();
    m.contains("lost") || m.contains("destroyed")
}

/// Pops an error scope: the error's message, if one was caught.
async fn pop(d: &GpuDevice) -> Result<Option<String>> {
    let e = d
        .pop_error_scope()
        .await
        .map_err(|e| gpu_err("WebGPU error scope", &e))?;
    Ok(e.into_option().map(|e| e.message()))
}
