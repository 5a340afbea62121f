//! The kernel correctness suite, shared by the native tests (`tests/kernels.rs`, driven by
//! proptest) and the browser tests (`tests/web.rs`, driven by a seeded loop): every kernel
//! variant against the readable reference on random shapes and masks.
#![allow(dead_code)]

use attention_playground::{kernels, reference, BlockPattern, Kernel, Mask, Problem, Shape};

/// A small deterministic generator so that the browser and native runs see the same cases.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn normalish(&mut self) -> f32 {
        (self.unit() + self.unit() + self.unit() - 1.5) * 2.0
    }
    pub fn bools(&mut self, n: usize, p_true: f32) -> Vec<bool> {
        (0..n).map(|_| self.unit() < p_true).collect()
    }
}

/// Number of mask kinds `mask_of_kind` knows.
pub const MASK_KINDS: usize = 12;

/// A random mask of kind `kind` (0..MASK_KINDS) for `nq` queries and `nk` keys.
pub fn mask_of_kind(kind: usize, rng: &mut Rng, nq: usize, nk: usize) -> Mask {
    let n = nq.max(nk);
    match kind {
        0 => Mask::None,
        1 => Mask::Causal,
        2 => Mask::Padding {
            keep: rng.bools(nk, 0.8),
        },
        3 => Mask::Window {
            size: rng.range(1, n + 2),
            causal: rng.unit() < 0.5,
        },
        4 => {
            let g = rng.range(0, 4.min(n));
            Mask::global_local(
                (0..g).map(|_| rng.range(0, n - 1)).collect(),
                rng.range(1, 40),
            )
        }
        5 => {
            let block = rng.range(1, 80);
            let layout = rng.bools(nq.div_ceil(block) * nk.div_ceil(block), 0.4);
            Mask::BlockSparse {
                block,
                pattern: BlockPattern::Layout(layout),
            }
        }
        6 => Mask::BlockSparse {
            block: rng.range(1, 80),
            pattern: BlockPattern::Generated {
                local: rng.range(0, 2),
                random: rng.range(0, 3),
                seed: rng.next(),
                causal: rng.unit() < 0.5,
            },
        },
        7 => Mask::Strided {
            stride: rng.range(1, 9),
            causal: rng.unit() < 0.5,
        },
        8 => Mask::Custom {
            allowed: rng.bools(nq * nk, 0.6),
        },
        9 => Mask::All(vec![
            Mask::Causal,
            Mask::Padding {
                keep: rng.bools(nk, 0.85),
            },
        ]),
        10 => Mask::Any(vec![
            Mask::Strided {
                stride: rng.range(2, 16),
                causal: true,
            },
            Mask::Window {
                size: rng.range(1, 24),
                causal: true,
            },
        ]),
        _ => Mask::All(vec![
            Mask::Window {
                size: rng.range(1, 100),
                causal: false,
            },
            Mask::Custom {
                allowed: rng.bools(nq * nk, 0.9),
            },
            Mask::Any(vec![Mask::Causal, Mask::global_local(vec![0], 1)]),
        ]),
    }
}

/// One random problem with its inputs.
pub struct Case {
    pub shape: Shape,
    pub scale: Option<f32>,
    pub mask: Mask,
    pub q: Vec<f32>,
    pub k: Vec<f32>,
    pub v: Vec<f32>,
}

impl Case {
    /// Builds a case of the given sizes; everything else comes from `seed`.
    pub fn new(
        seed: u64,
        kv_heads: usize,
        group: usize,
        seq_q: usize,
        seq_kv: usize,
        head_dim: usize,
        mask_kind: usize,
    ) -> Case {
        let mut rng = Rng(seed);
        let shape = Shape {
            heads: kv_heads * group,
            kv_heads,
            seq_q,
            seq_kv,
            head_dim,
        };
        let mask = mask_of_kind(mask_kind, &mut rng, seq_q, seq_kv);
        let scale = match rng.range(0, 3) {
            0 => Some(1.0),
            1 => Some(0.05 + 3.0 * rng.unit()),
            _ => None,
        };
        let mut fill = |len| (0..len).map(|_| rng.normalish()).collect::<Vec<f32>>();
        let q = fill(shape.q_len());
        let k = fill(shape.kv_len());
        let v = fill(shape.kv_len());
        Case {
            shape,
            scale,
            mask,
            q,
            k,
            v,
        }
    }

    /// A random case of random sizes (n up to `max_n`, head_dim up to `max_d`).
    pub fn random(seed: u64, max_n: usize, max_d: usize) -> Case {
        let mut rng = Rng(seed ^ 0xC0FFEE);
        let kv_heads = rng.range(1, 3);
        let group = rng.range(1, 3);
        let seq_q = rng.range(1, max_n);
        let seq_kv = if rng.unit() < 0.5 {
            seq_q
        } else {
            rng.range(1, max_n)
        };
        let head_dim = rng.range(1, max_d);
        let kind = rng.range(0, MASK_KINDS - 1);
        Case::new(seed, kv_heads, group, seq_q, seq_kv, head_dim, kind)
    }

    pub fn describe(&self) -> String {
        let s = self.shape;
        let mask = format!("{:?}", self.mask);
        let mask: String = mask.chars().take(120).collect();
        format!(
            "heads={} kv_heads={} seq_q={} seq_kv={} head_dim={} scale={:?} mask={mask}",
            s.heads, s.kv_heads, s.seq_q, s.seq_kv, s.head_dim, self.scale
        )
    }
}

/// Largest error allowed between a kernel and the reference (both f32):
/// |got - want| <= ABS + REL |want| + SCORE_EPS * max|scaled score| * max|v|.
/// The last term is float rounding: a score s carries an absolute error of a few ulp of |s|,
/// which softmax turns into a relative error of the weights, which the weighted sum passes on.
pub const ABS: f32 = 1e-5;
pub const REL: f32 = 2e-4;
pub const SCORE_EPS: f32 = 1e-6;

/// max |scaled score| and max |v| of head `h`.
fn magnitudes(p: &Problem, case: &Case, h: usize) -> (f32, f32) {
    let s = case.shape;
    let d = s.head_dim;
    let g = s.kv_head(h);
    let q = &case.q[h * s.seq_q * d..][..s.seq_q * d];
    let k = &case.k[g * s.seq_kv * d..][..s.seq_kv * d];
    let v = &case.v[g * s.seq_kv * d..][..s.seq_kv * d];
    let mut smax = 0f32;
    for qi in q.chunks(d) {
        for kj in k.chunks(d) {
            smax = smax.max((p.scale * qi.iter().zip(kj).map(|(a, b)| a * b).sum::<f32>()).abs());
        }
    }
    (smax, v.iter().fold(0f32, |m, x| m.max(x.abs())))
}

/// Runs `kernel` on `case` and compares it with the reference, element by element.
pub fn check(kernel: Kernel, case: &Case) -> Result<(), String> {
    check_with(&kernel.name(), case, |p, c| {
        kernels::attention(kernel, p, &c.q, &c.k, &c.v).map_err(|e| e.to_string())
    })
}

/// Runs any attention implementation (`run`, named `name` in messages: a GPU kernel, a
/// backend) on `case` and compares it with the reference, element by element, with the same
/// tolerances as the CPU kernels; rows with no allowed key must be exactly zero.
pub fn check_with(
    name: &str,
    case: &Case,
    run: impl FnOnce(&Problem, &Case) -> Result<Vec<f32>, String>,
) -> Result<(), String> {
    let p = Problem::new(case.shape, case.scale, &case.mask).map_err(|e| e.to_string())?;
    let want = reference::attention(&p, &case.q, &case.k, &case.v);
    let got = run(&p, case).map_err(|e| format!("{name}: {e} ({})", case.describe()))?;
    if got.len() != want.len() {
        return Err(format!("{name}: length {} != {}", got.len(), want.len()));
    }
    let per_head = case.shape.seq_q * case.shape.head_dim;
    for h in 0..case.shape.heads {
        let (smax, vmax) = magnitudes(&p, case, h);
        let slack = SCORE_EPS * smax * vmax;
        for i in h * per_head..(h + 1) * per_head {
            let (g, w) = (got[i], want[i]);
            if !g.is_finite() || (g - w).abs() > ABS + REL * w.abs() + slack {
                return Err(format!(
                    "{name}: out[{i}] = {g}, reference {w} ({})",
                    case.describe()
                ));
            }
        }
    }
    // Rows with no allowed key are exactly zero.
    let d = case.shape.head_dim;
    for row in p.mask.stats().empty_rows {
        for h in 0..case.shape.heads {
            let at = (h * case.shape.seq_q + row) * d;
            if got[at..at + d].iter().any(|&x| x != 0.0) {
                return Err(format!(
                    "{name}: empty row {row} of head {h} is not zero ({})",
                    case.describe()
                ));
            }
        }
    }
    Ok(())
}

/// The matrix product of every instruction set against ndarray's on a random shape (row and
/// column tails, a column window of a wider C, with and without bias, B packed both ways).
pub fn check_matmul(seed: u64) -> Result<(), String> {
    use attention_playground::kernels::matmul::{matmul_isa, PackedB};
    use attention_playground::Isa;
    use ndarray::Array2;
    let mut rng = Rng(seed);
    let (m, k, n) = (rng.range(1, 70), rng.range(1, 400), rng.range(1, 90));
    let a: Vec<f32> = (0..m * k).map(|_| rng.normalish()).collect();
    let b: Vec<f32> = (0..k * n).map(|_| rng.normalish()).collect();
    let bias: Vec<f32> = (0..n).map(|_| rng.normalish()).collect();
    let want = Array2::from_shape_vec((m, k), a.clone())
        .unwrap()
        .dot(&Array2::from_shape_vec((k, n), b.clone()).unwrap());
    let bt: Vec<f32> = (0..n * k).map(|i| b[(i % k) * n + i / k]).collect();
    let packs = [
        ("packed", PackedB::new(&b, n, k, n)),
        ("transposed", PackedB::from_transposed(&bt, k, k, n)),
    ];
    for isa in Isa::available() {
        for (how, packed) in &packs {
            for with_bias in [false, true] {
                let ldc = n + 5;
                let mut c = vec![f32::NAN; m * ldc];
                let bias = with_bias.then_some(&bias[..]);
                matmul_isa(isa, &a, k, m, packed, bias, &mut c[3..], ldc);
                for i in 0..m {
                    for j in 0..n {
                        let w = want[(i, j)] + bias.map_or(0.0, |b| b[j]);
                        let got = c[i * ldc + 3 + j];
                        if (got - w).abs() > 1e-4 * (1.0 + w.abs()) * (k as f32).sqrt() {
                            return Err(format!(
                                "matmul {} ({how}, bias {with_bias}) {m}x{k}x{n}: C[{i}][{j}] = {got}, want {w}",
                                isa.name()
                            ));
                        }
                    }
                    if !c[i * ldc..i * ldc + 3].iter().all(|x| x.is_nan()) {
                        return Err(format!("matmul {} wrote outside its window", isa.name()));
                    }
                }
            }
        }
    }
    Ok(())
}

/// GELU and the masked row softmax of every instruction set against the readable versions
/// (`libm::erff`, `reference::softmax_rows` after `reference::apply_mask`).
pub fn check_pointwise(seed: u64) -> Result<(), String> {
    use attention_playground::kernels::pointwise::{gelu_isa, softmax_rows_isa};
    use attention_playground::Isa;
    use ndarray::Array2;
    let mut rng = Rng(seed);
    let len = rng.range(0, 300);
    let xs: Vec<f32> = (0..len).map(|_| rng.normalish() * 4.0).collect();
    let (nq, nk) = (rng.range(1, 40), rng.range(1, 70));
    let scores: Vec<f32> = (0..nq * nk).map(|_| rng.normalish() * 8.0).collect();
    let mask = mask_of_kind(rng.range(0, MASK_KINDS - 1), &mut rng, nq, nk);
    let view = mask.view(nq, nk).map_err(|e| e.to_string())?;
    let scale = 0.1 + rng.unit();
    let scaled = reference::scale(
        Array2::from_shape_vec((nq, nk), scores.clone())
            .unwrap()
            .view(),
        scale,
    );
    let want = reference::softmax_rows(reference::apply_mask(scaled.view(), &view).view());
    for isa in Isa::available() {
        let mut g = xs.clone();
        gelu_isa(isa, &mut g);
        for (x, got) in xs.iter().zip(&g) {
            let w = 0.5 * x * (1.0 + libm::erff(x / std::f32::consts::SQRT_2));
            if (got - w).abs() > 2e-6 * (1.0 + x.abs()) {
                return Err(format!("gelu {} of {x}: {got}, want {w}", isa.name()));
            }
        }
        let mut s = scores.clone();
        softmax_rows_isa(isa, &mut s, nk, &view, scale);
        for i in 0..nq {
            for j in 0..nk {
                let (got, w) = (s[i * nk + j], want[(i, j)]);
                if (got - w).abs() > 2e-6 {
                    return Err(format!(
                        "softmax {} {nq}x{nk} ({mask:?}) at {i},{j}: {got}, want {w}",
                        isa.name()
                    ));
                }
            }
        }
    }
    Ok(())
}
