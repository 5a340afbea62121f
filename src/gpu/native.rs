//! The native host of the WGSL kernel (feature `gpu`): wgpu on Vulkan. On CI that is Mesa's
//! lavapipe (`VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json`); on a machine with
//! a GPU the same binary uses it. `WGPU_ADAPTER_NAME` picks an adapter by name.
//!
//! A thin driver: [`Plan`] decides everything; this module creates the buffers, the pipelines
//! (cached by the plan's shader source) and the bind groups, dispatches `attend` (and `merge`
//! when decoding) and reads the output back. wgpu's validation errors are caught in error scopes
//! and returned as [`Error::Gpu`], never as a panic.

use super::plan::{Limits, Plan, Variant};
use crate::error::{Error, Result};
use crate::kernels::Problem;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wgpu::util::DeviceExt;

/// The wgpu this host is built on (for its types: features, adapter info).
pub use wgpu;

/// The compute pipelines of one shader source.
struct Pipelines {
    attend: wgpu::ComputePipeline,
    merge: Option<wgpu::ComputePipeline>,
}

/// A wgpu device that runs the attention kernel.
pub struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    features: wgpu::Features,
    limits: Limits,
    pipelines: Mutex<HashMap<String, Arc<Pipelines>>>,
}

/// A problem uploaded and ready to run (what the benchmark times).
pub struct Prepared {
    plan: Plan,
    pipelines: Arc<Pipelines>,
    attend: wgpu::BindGroup,
    merge: Option<wgpu::BindGroup>,
    out: wgpu::Buffer,
    staging: wgpu::Buffer,
}

fn gpu_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Gpu(format!("{what}: {e}"))
}

fn f32_bytes(x: &[f32]) -> Vec<u8> {
    x.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// f16 bytes, padded to a multiple of 4 (a storage buffer's size must be).
fn f16_bytes(x: &[f32]) -> Vec<u8> {
    let mut out: Vec<u8> = x
        .iter()
        .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
        .collect();
    out.resize(out.len().div_ceil(4) * 4, 0);
    out
}

fn u32_bytes(x: &[u32]) -> Vec<u8> {
    x.iter().flat_map(|v| v.to_le_bytes()).collect()
}

impl Gpu {
    /// Opens the adapter named by `WGPU_ADAPTER_NAME`, else the default one (Vulkan only), and a
    /// device with the adapter's storage-buffer limits. Fails with a message naming what is
    /// missing when there is no adapter.
    pub fn new() -> Result<Gpu> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        desc.backends = wgpu::Backends::VULKAN;
        let instance = wgpu::Instance::new(desc);
        let adapter = pollster::block_on(wgpu::util::initialize_adapter_from_env_or_default(
            &instance, None,
        ))
        .map_err(|e| {
            gpu_err(
                "no WebGPU adapter (Vulkan): install mesa-vulkan-drivers and libvulkan1 \
                 (scripts/install.sh test) and set VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json",
                e,
            )
        })?;
        let info = adapter.get_info();
        let features = adapter.features();
        let a = adapter.limits();
        let required_limits = wgpu::Limits {
            max_storage_buffer_binding_size: a.max_storage_buffer_binding_size,
            max_buffer_size: a.max_buffer_size,
            ..wgpu::Limits::default()
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("attention"),
            // What the faster variants need, where the adapter has it.
            required_features: features & (wgpu::Features::SHADER_F16 | wgpu::Features::SUBGROUP),
            required_limits: required_limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| gpu_err("the adapter refused a device", e))?;
        Ok(Gpu {
            device,
            queue,
            info,
            features,
            limits: Limits {
                max_storage_binding: required_limits.max_storage_buffer_binding_size,
                max_buffer: required_limits.max_buffer_size,
                max_workgroups_per_dim: required_limits.max_compute_workgroups_per_dimension,
            },
            pipelines: Mutex::new(HashMap::new()),
        })
    }

    /// The adapter's name, vendor, device type, backend and driver.
    pub fn info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// The adapter's features (the kernel variants that could run on it).
    pub fn features(&self) -> wgpu::Features {
        self.features
    }

    /// The limits plans are made for on this device.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// One line about the adapter: name, type, backend, driver, and whether `shader-f16` and
    /// `subgroups` exist (wgpu 30 does not report the subgroup size; `vulkaninfo` does).
    pub fn describe(&self) -> String {
        let i = &self.info;
        format!(
            "{} ({:?}, {:?}, driver {} {}; vendor 0x{:x}); shader-f16 {}, subgroups {}; max storage binding {} MiB",
            i.name,
            i.device_type,
            i.backend,
            i.driver,
            i.driver_info,
            i.vendor,
            self.features.contains(wgpu::Features::SHADER_F16),
            self.features.contains(wgpu::Features::SUBGROUP),
            self.limits.max_storage_binding >> 20
        )
    }

    /// Whether the adapter is a CPU (software) one, such as lavapipe.
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// Plans `problem` for this device (the f32 variant).
    pub fn plan(&self, problem: &Problem) -> Result<Plan> {
        Plan::new(problem, &self.limits)
    }

    /// The variant the adapter's features choose (every faster path it has).
    pub fn best_variant(&self) -> Variant {
        Variant::for_features(
            self.features.contains(wgpu::Features::SHADER_F16),
            self.features.contains(wgpu::Features::SUBGROUP),
        )
    }

    /// The kernel variants this device runs, baseline first.
    pub fn variants(&self) -> Vec<Variant> {
        Variant::ALL
            .into_iter()
            .filter(|v| {
                (!v.f16() || self.features.contains(wgpu::Features::SHADER_F16))
                    && (!v.subgroups() || self.features.contains(wgpu::Features::SUBGROUP))
            })
            .collect()
    }

    /// Computes attention on the GPU: the same contract as [`crate::kernels::attention`].
    pub fn attention(
        &self,
        problem: &Problem,
        q: &[f32],
        k: &[f32],
        v: &[f32],
    ) -> Result<Vec<f32>> {
        self.attention_variant(Variant::F32, problem, q, k, v)
    }

    /// [`Gpu::attention`] with a given [`Variant`] (f16 storage rounds K and V to f16).
    pub fn attention_variant(
        &self,
        variant: Variant,
        problem: &Problem,
        q: &[f32],
        k: &[f32],
        v: &[f32],
    ) -> Result<Vec<f32>> {
        let prepared = self.prepare_variant(variant, problem, q, k, v)?;
        self.run(&prepared)?;
        self.read(&prepared)
    }

    /// Validates the inputs, plans, uploads, and builds the pipelines and bind groups.
    pub fn prepare(&self, problem: &Problem, q: &[f32], k: &[f32], v: &[f32]) -> Result<Prepared> {
        self.prepare_variant(Variant::F32, problem, q, k, v)
    }

    /// [`Gpu::prepare`] for a given [`Variant`]; fails by name when the adapter lacks its feature.
    pub fn prepare_variant(
        &self,
        variant: Variant,
        problem: &Problem,
        q: &[f32],
        k: &[f32],
        v: &[f32],
    ) -> Result<Prepared> {
        problem.check_inputs(q, k, v)?;
        if !self.variants().contains(&variant) {
            return Err(Error::Gpu(format!(
                "the {} variant needs the adapter features {}, which {} lacks",
                variant.name(),
                variant.features().join(" and "),
                self.info.name
            )));
        }
        let plan = Plan::with_variant(problem, &self.limits, variant)?;
        let pipelines = self.pipelines(&plan)?;
        let d = &self.device;
        let scope = d.push_error_scope(wgpu::ErrorFilter::Validation);
        let oom = d.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let storage = wgpu::BufferUsages::STORAGE;
        let init = |label: &str, contents: &[u8], usage| {
            d.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents,
                usage,
            })
        };
        let params = init(
            "params",
            &plan.params.to_bytes(),
            wgpu::BufferUsages::UNIFORM,
        );
        let qb = init("q", &f32_bytes(&plan.pad_rows(q)), storage);
        let kv_bytes = |x: &[f32]| {
            if plan.consts.f16 {
                f16_bytes(&plan.pad_rows(x))
            } else {
                f32_bytes(&plan.pad_rows(x))
            }
        };
        let kb = init("k", &kv_bytes(k), storage);
        let vb = init("v", &kv_bytes(v), storage);
        let mb = init("mask", &u32_bytes(&plan.mask), storage);
        let out_bytes = (plan.out_len * 4) as u64;
        let out = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("out"),
            size: out_bytes,
            usage: storage | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let staging = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read-back"),
            size: out_bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let parts = (plan.parts_len > 0).then(|| {
            d.create_buffer(&wgpu::BufferDescriptor {
                label: Some("partials"),
                size: (plan.parts_len * 4) as u64,
                usage: storage,
                mapped_at_creation: false,
            })
        });
        fn entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
            wgpu::BindGroupEntry {
                binding,
                resource: buffer.as_entire_binding(),
            }
        }
        let attend_out = parts.as_ref().unwrap_or(&out);
        let attend = d.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("attend"),
            layout: &pipelines.attend.get_bind_group_layout(0),
            entries: &[
                entry(0, &params),
                entry(1, &qb),
                entry(2, &kb),
                entry(3, &vb),
                entry(4, &mb),
                entry(5, attend_out),
            ],
        });
        let merge = match (&pipelines.merge, &parts) {
            (Some(m), Some(parts)) => Some(d.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("merge"),
                layout: &m.get_bind_group_layout(0),
                entries: &[entry(0, &params), entry(5, &out), entry(6, parts)],
            })),
            _ => None,
        };
        if let Some(e) = pollster::block_on(oom.pop()) {
            return Err(gpu_err("the GPU is out of memory for this problem", e));
        }
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(gpu_err("wgpu rejected the buffers or bind groups", e));
        }
        Ok(Prepared {
            plan,
            pipelines,
            attend,
            merge,
            out,
            staging,
        })
    }

    /// Dispatches the kernel (and the merge) and waits for the GPU to finish.
    pub fn run(&self, p: &Prepared) -> Result<()> {
        let d = &self.device;
        let scope = d.push_error_scope(wgpu::ErrorFilter::Validation);
        let mut enc = d.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("attention"),
        });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("attend"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&p.pipelines.attend);
            pass.set_bind_group(0, &p.attend, &[]);
            let [x, y, z] = p.plan.dispatch;
            pass.dispatch_workgroups(x, y, z);
        }
        if let (Some(m), Some(bg), Some([x, y, z])) =
            (&p.pipelines.merge, &p.merge, p.plan.merge_dispatch)
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("merge"),
                timestamp_writes: None,
            });
            pass.set_pipeline(m);
            pass.set_bind_group(0, bg, &[]);
            pass.dispatch_workgroups(x, y, z);
        }
        enc.copy_buffer_to_buffer(&p.out, 0, &p.staging, 0, p.out.size());
        self.queue.submit([enc.finish()]);
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(gpu_err("wgpu rejected the dispatch", e));
        }
        d.poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| gpu_err("waiting for the GPU failed", e))?;
        Ok(())
    }

    /// Reads the output of the last [`Gpu::run`] back (`heads x seq_q x head_dim`).
    pub fn read(&self, p: &Prepared) -> Result<Vec<f32>> {
        let slice = p.staging.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| gpu_err("waiting for the read-back failed", e))?;
        rx.recv()
            .map_err(|e| gpu_err("the read-back never finished", e))?
            .map_err(|e| gpu_err("mapping the read-back buffer failed", e))?;
        let out = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| gpu_err("reading the mapped buffer failed", e))?;
            view.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        };
        p.staging.unmap();
        Ok(out)
    }

    /// The pipelines for a plan's shader source, compiled once per distinct source.
    fn pipelines(&self, plan: &Plan) -> Result<Arc<Pipelines>> {
        let src = plan.shader_source();
        let mut cache = self.pipelines.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = cache.get(&src) {
            return Ok(p.clone());
        }
        let d = &self.device;
        let scope = d.push_error_scope(wgpu::ErrorFilter::Validation);
        // naga 30 refuses the standard `enable subgroups;` ("not yet implemented",
        // gfx-rs/wgpu#5555) and takes the subgroup built-ins when the device has SUBGROUP; the
        // browsers require the directive. The one line goes for naga; nothing else changes.
        let naga_src = src.replace("enable subgroups;\n", "");
        let module = d.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("attention.wgsl"),
            source: wgpu::ShaderSource::Wgsl(naga_src.as_str().into()),
        });
        let pipeline = |entry: &str| {
            d.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: None,
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            })
        };
        let p = Arc::new(Pipelines {
            attend: pipeline(plan.consts.entry_point()),
            merge: plan.consts.decode.then(|| pipeline("merge")),
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(gpu_err("the WGSL kernel did not compile", e));
        }
        cache.insert(src, p.clone());
        Ok(p)
    }
}

impl Prepared {
    /// The plan this problem runs with.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}
