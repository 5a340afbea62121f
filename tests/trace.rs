//! The toy model and its trace: tokens, determinism, every stage consistent with the reference
//! and the kernels, overrides, cross-attention and partial requests.
#![cfg(not(target_arch = "wasm32"))]

use attention_playground::model::{tokenize, Override, Param, ToyConfig, ToyModel};
use attention_playground::trace::{Axis, MAX_TRACE_TOKENS};
use attention_playground::{
    kernels, trace, Kernel, Mask, Problem, Shape, Stage, TraceInput, TraceRequest,
};

fn input(sentence: &str) -> TraceInput {
    TraceInput {
        sentence: sentence.into(),
        ..TraceInput::default()
    }
}

fn words(text: &str) -> Vec<String> {
    tokenize(text).into_iter().map(|t| t.text).collect()
}

#[test]
fn tokens_are_words_punctuation_and_emoji() {
    assert_eq!(
        words("The cat's toy, 3.5 kg!"),
        ["The", "cat's", "toy", ",", "3.5", "kg", "!"]
    );
    assert_eq!(words("I ❤️ 👩‍👩‍👧 ok"), ["I", "❤️", "👩‍👩‍👧", "ok"]);
    assert_eq!(words("猫が好き"), ["猫", "が", "好", "き"]);
    assert_eq!(words("שלום עולם"), ["שלום", "עולם"]);
    assert_eq!(
        words("e\u{301}te\u{301}"),
        ["e\u{301}te\u{301}"],
        "combining marks stay with their letter"
    );
    assert!(words("  \n\t ").is_empty());
    // Offsets are UTF-16 indices, as JavaScript counts.
    let t = tokenize("🙂 hi");
    assert_eq!((t[1].start, t[1].end), (3, 5));
}

#[test]
fn the_same_word_gets_the_same_embedding_and_seeds_differ() {
    let m = ToyModel::new(ToyConfig::default()).unwrap();
    assert_eq!(m.embedding("cat"), m.embedding("Cat"));
    assert_ne!(m.embedding("cat"), m.embedding("dog"));
    let m2 = ToyModel::new(ToyConfig {
        seed: 2,
        ..ToyConfig::default()
    })
    .unwrap();
    assert_ne!(m.embedding("cat"), m2.embedding("cat"));
    assert_eq!(
        m.w_q,
        ToyModel::new(ToyConfig::default()).unwrap().w_q,
        "weights are deterministic"
    );
}

#[test]
fn model_sizes_are_checked() {
    for (cfg, want) in [
        (
            ToyConfig {
                d_model: 3,
                ..ToyConfig::default()
            },
            "between 4 and 64",
        ),
        (
            ToyConfig {
                d_model: 65,
                ..ToyConfig::default()
            },
            "between 4 and 64",
        ),
        (
            ToyConfig {
                heads: 9,
                d_model: 18,
                kv_heads: 9,
                ..ToyConfig::default()
            },
            "between 1 and 8",
        ),
        (
            ToyConfig {
                heads: 3,
                d_model: 16,
                kv_heads: 3,
                ..ToyConfig::default()
            },
            "multiple of heads",
        ),
        (
            ToyConfig {
                heads: 4,
                d_model: 16,
                kv_heads: 3,
                ..ToyConfig::default()
            },
            "multiple of kvHeads",
        ),
    ] {
        assert!(ToyModel::new(cfg).unwrap_err().to_string().contains(want));
    }
}

#[test]
fn every_stage_is_present_with_its_shape_and_the_stages_agree() {
    let mut inp = input("The cat sat on the mat because it was tired.");
    inp.model = ToyConfig {
        d_model: 24,
        heads: 4,
        kv_heads: 2,
        seed: 9,
        positional: true,
    };
    inp.mask = Mask::Causal;
    let t = trace(&inp).unwrap();
    let n = t.query_tokens.len();
    assert_eq!(n, 11);
    assert_eq!(t.model.head_dim, 6);
    let layer = &t.layers[0];
    assert_eq!(layer.heads.len(), 4);
    let names: Vec<&str> = layer.stages.iter().map(|m| m.stage.name()).collect();
    assert_eq!(
        names,
        ["embedding", "positional", "input", "concat", "output"]
    );
    for h in &layer.heads {
        assert_eq!(h.kv_head, h.head / 2);
        for m in &h.stages {
            let (r, c) = m.stage.axes();
            assert_eq!((m.row_axis, m.col_axis), (r, c));
            let dim = |a: Axis| if matches!(a, Axis::Head) { 6 } else { n };
            assert_eq!((m.rows, m.cols), (dim(r), dim(c)), "{:?}", m.stage);
        }
        let w = t.stage(Stage::Softmax, h.head).unwrap();
        for i in 0..n {
            let sum: f32 = (0..n).map(|j| w.at(i, j)).sum();
            assert!((sum - 1.0).abs() < 1e-5);
            for j in i + 1..n {
                assert_eq!(w.at(i, j), 0.0, "causal: zero above the diagonal");
                assert_eq!(
                    t.stage(Stage::Masked, h.head).unwrap().at(i, j),
                    f32::NEG_INFINITY
                );
            }
            let max = (0..n).map(|j| w.at(i, j)).fold(0.0, f32::max);
            assert_eq!(h.max_weight[i], max);
        }
        // Scaled = scores / sqrt(d_k).
        let (s, sc) = (
            t.stage(Stage::Scores, h.head).unwrap(),
            t.stage(Stage::Scaled, h.head).unwrap(),
        );
        assert!((sc.at(3, 1) - s.at(3, 1) / 6f32.sqrt()).abs() < 1e-6);
    }
    // The weighted sum equals every kernel's attention on the traced Q, K, V.
    let h = 1;
    let (q, k, v) = (
        t.stage(Stage::Query, h).unwrap(),
        t.stage(Stage::Key, h).unwrap(),
        t.stage(Stage::Value, h).unwrap(),
    );
    let shape = Shape {
        heads: 1,
        kv_heads: 1,
        seq_q: n,
        seq_kv: n,
        head_dim: 6,
    };
    let p = Problem::new(shape, None, &Mask::Causal).unwrap();
    let z = t.stage(Stage::WeightedSum, h).unwrap();
    for kernel in Kernel::all() {
        let out = kernels::attention(kernel, &p, &q.data, &k.data, &v.data).unwrap();
        for (a, b) in out.iter().zip(&z.data) {
            assert!((a - b).abs() < 1e-5, "{}", kernel.name());
        }
    }
    // Concat puts head h's output in columns h*d_k..; output = concat W_O.
    let concat = t.stage(Stage::Concat, 0).unwrap();
    assert_eq!(concat.at(2, 6 + 3), z.at(2, 3));
    assert_eq!(t.stage(Stage::Output, 0).unwrap().cols, 24);
}

#[test]
fn an_override_flows_through_every_later_stage() {
    let base = trace(&input("a b c")).unwrap();
    let mut inp = input("a b c");
    inp.overrides = vec![Override {
        matrix: Param::Wk,
        row: 0,
        col: 0,
        value: 5.0,
    }];
    let edited = trace(&inp).unwrap();
    assert_eq!(
        edited.stage(Stage::Query, 0),
        base.stage(Stage::Query, 0),
        "W_K does not touch Q"
    );
    for stage in [
        Stage::Key,
        Stage::Scores,
        Stage::Softmax,
        Stage::WeightedSum,
    ] {
        assert_ne!(
            edited.stage(stage, 0),
            base.stage(stage, 0),
            "{stage:?} should change"
        );
    }
    assert_ne!(edited.stage(Stage::Output, 0), base.stage(Stage::Output, 0));
    let wk = &edited.layers[0].weights[1];
    assert_eq!(
        (wk.param, wk.rows, wk.cols, wk.data[0]),
        (Param::Wk, 16, 16, 5.0),
        "the trace shows the edited weights"
    );
    // An edit of X changes Q, K and V of that token.
    inp.overrides = vec![Override {
        matrix: Param::X,
        row: 1,
        col: 2,
        value: -3.0,
    }];
    let edited = trace(&inp).unwrap();
    assert_eq!(edited.stage(Stage::Input, 0).unwrap().at(1, 2), -3.0);
    assert_ne!(edited.stage(Stage::Key, 0), base.stage(Stage::Key, 0));
    // Out of range and non-finite edits are refused.
    inp.overrides = vec![Override {
        matrix: Param::Wo,
        row: 99,
        col: 0,
        value: 1.0,
    }];
    assert!(trace(&inp)
        .unwrap_err()
        .to_string()
        .contains("outside the matrix, which is 16 x 16"));
    inp.overrides = vec![Override {
        matrix: Param::Wq,
        row: 0,
        col: 0,
        value: f32::NAN,
    }];
    assert!(trace(&inp).is_err());
}

#[test]
fn cross_attention_takes_keys_and_values_from_the_context() {
    let mut inp = input("Where is it?");
    inp.context = Some("The key is under the mat".into());
    let t = trace(&inp).unwrap();
    assert!(t.cross);
    assert_eq!((t.query_tokens.len(), t.key_tokens.len()), (4, 6));
    let s = t.stage(Stage::Softmax, 0).unwrap();
    assert_eq!((s.rows, s.cols), (4, 6));
    assert_eq!(t.stage(Stage::Key, 0).unwrap().rows, 6);
    let key_side: Vec<_> = t.layers[0]
        .stages
        .iter()
        .filter(|m| m.row_axis == Axis::KeyTokens)
        .collect();
    assert_eq!(
        key_side.len(),
        3,
        "embedding, positional, input of the context"
    );
}

#[test]
fn a_request_computes_only_what_it_names() {
    let mut inp = input("one two three four");
    inp.model = ToyConfig {
        d_model: 16,
        heads: 4,
        kv_heads: 4,
        ..ToyConfig::default()
    };
    inp.request = TraceRequest {
        layers: None,
        heads: Some(vec![2]),
        stages: Some(vec![Stage::Softmax]),
    };
    let t = trace(&inp).unwrap();
    let layer = &t.layers[0];
    assert!(layer.stages.is_empty());
    assert_eq!(layer.heads.len(), 1);
    assert_eq!(layer.heads[0].head, 2);
    assert_eq!(layer.heads[0].stages.len(), 1);
    inp.request.heads = Some(vec![4]);
    assert!(trace(&inp)
        .unwrap_err()
        .to_string()
        .contains("head 4 does not exist"));
    inp.request = TraceRequest {
        layers: Some(vec![1]),
        ..TraceRequest::default()
    };
    assert!(trace(&inp)
        .unwrap_err()
        .to_string()
        .contains("layer 1 does not exist"));
}

#[test]
fn empty_and_overlong_sentences_get_a_clear_message() {
    assert!(trace(&input(""))
        .unwrap_err()
        .to_string()
        .contains("no tokens"));
    let long = "word ".repeat(MAX_TRACE_TOKENS + 1);
    let err = trace(&input(&long)).unwrap_err().to_string();
    assert!(
        err.contains(&format!("{} tokens", MAX_TRACE_TOKENS + 1)),
        "{err}"
    );
    let hostile = r#"<script>alert(1)</script> "><img src=x onerror=alert(1)>"#;
    let t = trace(&input(hostile)).unwrap();
    assert!(
        t.query_tokens.iter().any(|t| t.text == "script"),
        "markup is just text to the tokenizer"
    );
}

#[test]
fn positional_encoding_can_be_turned_off() {
    let mut inp = input("b a");
    inp.model.positional = false;
    let t = trace(&inp).unwrap();
    assert!(t
        .stage(Stage::Positional, 0)
        .unwrap()
        .data
        .iter()
        .all(|&x| x == 0.0));
    assert_eq!(
        t.stage(Stage::Input, 0).unwrap().data,
        t.stage(Stage::Embedding, 0).unwrap().data
    );
}

#[test]
fn stage_names_round_trip() {
    for s in Stage::ALL {
        assert_eq!(Stage::parse(s.name()).unwrap(), s);
        assert!(!s.caption().is_empty() && !s.formula().is_empty() && !s.title().is_empty());
    }
    assert!(Stage::parse("nope")
        .unwrap_err()
        .to_string()
        .contains("stages are: embedding"));
}
