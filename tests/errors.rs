//! Every bad input gives an error with a clear message, never a panic or a wrong answer.
#![cfg(not(target_arch = "wasm32"))]

use attention_playground::{kernels, Kernel, Mask, Problem, Shape};

fn shape(heads: usize, kv_heads: usize, n: usize, d: usize) -> Shape {
    Shape {
        heads,
        kv_heads,
        seq_q: n,
        seq_kv: n,
        head_dim: d,
    }
}

#[test]
fn zero_sizes_are_refused() {
    for (s, want) in [
        (shape(0, 1, 4, 4), "heads must be at least 1"),
        (shape(1, 0, 4, 4), "kvHeads must be at least 1"),
        (shape(1, 1, 0, 4), "seqQ must be at least 1"),
        (shape(1, 1, 4, 0), "headDim must be at least 1"),
    ] {
        assert!(Problem::new(s, None, &Mask::None)
            .unwrap_err()
            .to_string()
            .contains(want));
    }
}

#[test]
fn heads_must_be_a_multiple_of_kv_heads() {
    let err = Problem::new(shape(6, 4, 4, 4), None, &Mask::None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("heads (6) must be a multiple of kvHeads (4)"),
        "{err}"
    );
}

#[test]
fn scale_must_be_positive_and_finite() {
    for bad in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        let err = Problem::new(shape(1, 1, 2, 2), Some(bad), &Mask::None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("scale must be a positive finite number"),
            "{err}"
        );
    }
    assert!(
        Problem::new(shape(1, 1, 2, 2), Some(1.0), &Mask::None).is_ok(),
        "1.0 means no scaling"
    );
}

#[test]
fn mismatched_lengths_and_non_finite_inputs_are_refused_by_every_kernel() {
    let p = Problem::new(shape(2, 1, 3, 4), None, &Mask::Causal).unwrap();
    let (q, k, v) = (vec![0.5; 24], vec![0.5; 12], vec![0.5; 12]);
    for kernel in Kernel::all() {
        let err = kernels::attention(kernel, &p, &q[..23], &k, &v)
            .unwrap_err()
            .to_string();
        assert_eq!(err, "q has 23 numbers but the sizes given need 24");
        let err = kernels::attention(kernel, &p, &q, &k, &v[..11])
            .unwrap_err()
            .to_string();
        assert!(err.contains("v has 11 numbers"));
        let mut bad = k.clone();
        bad[5] = f32::NAN;
        let err = kernels::attention(kernel, &p, &q, &bad, &v)
            .unwrap_err()
            .to_string();
        assert!(err.contains("k[5] is not a finite number"), "{err}");
        bad[5] = f32::NEG_INFINITY;
        assert!(kernels::attention(kernel, &p, &q, &k, &bad).is_err());
        assert!(kernels::attention(kernel, &p, &q, &k, &v).is_ok());
    }
}

#[test]
fn sizes_past_the_memory_limit_are_refused_before_allocating() {
    let err = Problem::new(shape(8, 8, 1 << 22, 64), None, &Mask::Causal)
        .unwrap_err()
        .to_string();
    assert!(err.contains("MiB") && err.contains("fewer tokens"), "{err}");
    // Overflowing products are "too large" too, never a wrapped small number.
    let err = Problem::new(
        shape(usize::MAX / 2, 1, usize::MAX / 2, 64),
        None,
        &Mask::None,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("MiB"), "{err}");
    // n = 65,536 causal, 8 heads, head dim 64 fits.
    assert!(Problem::new(shape(8, 8, 65536, 64), None, &Mask::Causal).is_ok());
}

#[test]
fn kernel_names_parse_and_unknown_ones_are_listed() {
    for k in Kernel::all() {
        assert_eq!(Kernel::parse(&k.name()).unwrap(), k);
    }
    assert_eq!(Kernel::parse("tiled").unwrap(), Kernel::best());
    let err = Kernel::parse("quantum").unwrap_err().to_string();
    assert!(
        err.contains("unknown kernel \"quantum\"") && err.contains("scalar"),
        "{err}"
    );
}

#[test]
fn backend_names_parse_and_unknown_ones_list_the_accepted_names() {
    use attention_playground::backend::{Backend, BackendChoice};
    assert_eq!(BackendChoice::parse("auto").unwrap(), BackendChoice::Auto);
    assert_eq!(BackendChoice::parse("cpu").unwrap(), BackendChoice::Cpu);
    let err = BackendChoice::parse("gpu").unwrap_err().to_string();
    assert!(
        err.contains("unknown backend \"gpu\"") && err.contains("auto, cpu"),
        "{err}"
    );
    assert_eq!(
        BackendChoice::parse("webgpu").unwrap(),
        BackendChoice::WebGpu
    );
    // Natively "auto" is the CPU (the measured WebGPU choice is made in the browser host), with
    // the kernel attention() runs; "webgpu" is WebGPU.
    for seq_q in [1, 3, 4, 512] {
        let s = shape(8, 2, seq_q, 64);
        for choice in BackendChoice::ALL {
            let backend = Backend::choose(&s, choice);
            let want = if choice == BackendChoice::WebGpu {
                Backend::WebGpu
            } else {
                Backend::Cpu
            };
            assert_eq!(backend, want);
            assert_eq!(backend.kernel(&s), Kernel::best_for(&s));
        }
    }
}

#[test]
fn sizes_near_the_integer_limit_are_refused_not_wrapped() {
    use attention_playground::{Mask, Shape};
    // The tiled kernel's packed size and the mask's entry counts are computed without wrapping.
    let shape = Shape {
        heads: 1,
        kv_heads: 1,
        seq_q: 1,
        seq_kv: 1,
        head_dim: usize::MAX,
    };
    assert!(shape.validate().unwrap_err().to_string().contains("MiB"));
    let custom = Mask::Custom {
        allowed: Vec::new(),
    };
    let big = 1usize << 32;
    let err = custom.view(big, big).unwrap_err().to_string();
    assert!(err.contains("custom mask has 0 entries"), "{err}");
}
