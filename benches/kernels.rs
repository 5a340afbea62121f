//! Native criterion benchmark of the kernels: reference vs scalar vs rows vs tiled.
//!
//! `cargo bench --bench kernels` prints time per forward and useful GFLOP/s
//! (4 * heads * n^2 * d for no mask, 2 * heads * n * (n + 1) * d for causal, 4 * heads * n * d
//! for decoding one query against n keys; softmax not counted). With `--features threads` the
//! tiled kernel runs on rayon's global pool (every core).
//! The browser benchmark (`make bench`, a later issue) measures the wasm builds.

// The browser has its own benchmark; on wasm32 this target is empty.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use attention_playground::{kernels, reference, Kernel, Mask, Problem, Shape};
    use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};

    fn inputs(len: usize, seed: u32) -> Vec<f32> {
        let mut x = seed.wrapping_mul(2654435761) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect()
    }

    fn bench(c: &mut Criterion) {
        let (heads, d) = (8, 64);
        for (mask_name, mask) in [("none", Mask::None), ("causal", Mask::Causal)] {
            let mut group = c.benchmark_group(format!("attention/{mask_name}"));
            group.sample_size(10);
            for n in [128usize, 512, 1024] {
                let shape = Shape {
                    heads,
                    kv_heads: heads,
                    seq_q: n,
                    seq_kv: n,
                    head_dim: d,
                };
                let p = Problem::new(shape, None, &mask).unwrap();
                let (q, k, v) = (
                    inputs(shape.q_len(), 1),
                    inputs(shape.kv_len(), 2),
                    inputs(shape.kv_len(), 3),
                );
                let flops = match mask_name {
                    "causal" => 2 * heads * n * (n + 1) * d,
                    _ => 4 * heads * n * n * d,
                };
                group.throughput(Throughput::Elements(flops as u64));
                if n <= 512 {
                    group.bench_with_input(BenchmarkId::new("reference", n), &n, |b, _| {
                        b.iter(|| reference::attention(&p, &q, &k, &v))
                    });
                }
                for kernel in Kernel::all() {
                    if kernel == Kernel::Scalar && n > 512 {
                        continue;
                    }
                    group.bench_with_input(BenchmarkId::new(kernel.name(), n), &n, |b, _| {
                        b.iter(|| kernels::attention(kernel, &p, &q, &k, &v).unwrap())
                    });
                }
            }
            group.finish();
        }

        // Decoding: one query against a cache of keys (the tiled kernel splits the keys).
        let mut group = c.benchmark_group("attention/decode");
        group.sample_size(20);
        for n in [512usize, 4096] {
            let shape = Shape {
                heads,
                kv_heads: heads,
                seq_q: 1,
                seq_kv: n,
                head_dim: d,
            };
            let p = Problem::new(shape, None, &Mask::None).unwrap();
            let (q, k, v) = (
                inputs(shape.q_len(), 1),
                inputs(shape.kv_len(), 2),
                inputs(shape.kv_len(), 3),
            );
            group.throughput(Throughput::Elements((4 * heads * n * d) as u64));
            for kernel in Kernel::all() {
                group.bench_with_input(BenchmarkId::new(kernel.name(), n), &n, |b, _| {
                    b.iter(|| kernels::attention(kernel, &p, &q, &k, &v).unwrap())
                });
            }
        }
        group.finish();
    }

    criterion_group!(benches, bench);
}
