//! `make bench-gpu`: the WGSL kernel through wgpu on whatever adapter the machine has (a GPU's
//! Vulkan driver, else lavapipe on the CPU). 8 heads, d 64: n = 1,024 ... 16,384, causal and
//! not, and decoding (1 query over n keys). Prints the adapter, then per shape the median and
//! p10/p90 time of one forward (dispatch to finished, inputs already on the GPU) and GFLOP/s on
//! useful flops (PERF.md: 4 H n^2 d, causal 2 H n (n + 1) d, decode 4 H n d), for each kernel
//! variant the adapter runs (f32; f16-storage where it has `shader-f16`; subgroups where it has
//! `subgroups`; both where it has both). `--decode-only`, `--min-n N`, `--max-n N`, `--runs N`.
//!
//! Arguments: `--max-n N` (default 16,384 on a GPU, 4,096 on a software adapter, whose numbers
//! are CPU numbers), `--runs R` (default 20, fewer for slow shapes: each shape stops after
//! about 10 s).

use attention_playground::gpu::native::Gpu;
use attention_playground::{Mask, Problem, Shape};
use std::time::{Duration, Instant};

fn arg(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number, got {v}"))
        })
}

fn main() {
    let gpu = Gpu::new().unwrap_or_else(|e| {
        eprintln!("bench-gpu: {e}");
        std::process::exit(1)
    });
    println!("adapter: {}", gpu.describe());
    let software = gpu.is_software();
    if software {
        println!("(a software adapter: these are CPU numbers)");
    }
    let max_n = arg("--max-n").unwrap_or(if software { 4096 } else { 16_384 });
    let runs = arg("--runs").unwrap_or(20);
    let (heads, d) = (8, 64);
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>10}",
        "variant, shape (8 heads, d 64)", "median ms", "p10 ms", "p90 ms", "GFLOP/s"
    );
    let variants = gpu.variants();
    // `--decode-only`: the decode rows alone (the subgroup variants change decode only);
    // `--min-n N`: start there.
    let decode_only = std::env::args().any(|a| a == "--decode-only");
    let mut n = arg("--min-n").unwrap_or(1024);
    while n <= max_n {
        for (variant, (label, seq_q, mask)) in variants.iter().flat_map(|v| {
            [
                (v, ("", n, Mask::None)),
                (v, ("causal", n, Mask::Causal)),
                (v, ("decode", 1, Mask::None)),
            ]
        }) {
            if decode_only && label != "decode" {
                continue;
            }
            let shape = Shape {
                heads,
                kv_heads: heads,
                seq_q,
                seq_kv: n,
                head_dim: d,
            };
            let flops = match (label, seq_q) {
                ("causal", _) => 2.0 * (heads * n * (n + 1) * d) as f64,
                _ => 4.0 * (heads * seq_q * n * d) as f64,
            };
            let mut x = 0x2545_F491_4F6C_DD1Du64;
            let mut fill = |len: usize| -> Vec<f32> {
                (0..len)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
                    })
                    .collect()
            };
            let (q, k, v) = (
                fill(shape.q_len()),
                fill(shape.kv_len()),
                fill(shape.kv_len()),
            );
            let p = Problem::new(shape, None, &mask).expect("valid shape");
            let prepared = match gpu.prepare_variant(*variant, &p, &q, &k, &v) {
                Ok(pr) => pr,
                Err(e) => {
                    println!("n {n} {label}: {e}");
                    continue;
                }
            };
            gpu.run(&prepared).expect("warm-up"); // compiles nothing more; warms the caches
            let mut times = Vec::new();
            let start = Instant::now();
            while times.len() < runs
                && (times.len() < 3 || start.elapsed() < Duration::from_secs(10))
            {
                let t = Instant::now();
                gpu.run(&prepared).expect("run");
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
            times.sort_by(|a, b| a.total_cmp(b));
            let at = |f: f64| times[((times.len() - 1) as f64 * f).round() as usize];
            let med = at(0.5);
            let name = if label == "decode" {
                format!("{} decode 1 x {n}", variant.name())
            } else {
                format!("{} n {n} {label}", variant.name())
            };
            println!(
                "{name:<34} {med:>10.3} {:>10.3} {:>10.3} {:>10.1}   ({} runs)",
                at(0.1),
                at(0.9),
                flops / (med * 1e-3) / 1e9,
                times.len()
            );
        }
        n *= 2;
    }
}
