//! The toy model and its trace: tokens, determinism, every stage consistent with the reference
//! and the kernels, overrides, cross-attention and partial requests; the model catalogue; and the
//! generic trace driver on a model of several layers.
#![cfg(not(target_arch = "wasm32"))]

use attention_playground::model::toy::tokenize;
use attention_playground::model::{
    catalog, AttentionWeights, Embedded, Model, ModelCard, ModelOptions, OptionKind, Override,
    Param, Token, ToyConfig, ToyModel,
};
use attention_playground::trace::{trace_model, Axis, MAX_TRACE_TOKENS};
use attention_playground::{
    kernels, reference, trace, Kernel, Mask, ModelSpec, Problem, Shape, Stage, TraceInput,
    TraceRequest,
};
use ndarray::Array2;

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
    inp.model = ModelSpec::Toy(ToyConfig {
        d_model: 24,
        heads: 4,
        kv_heads: 2,
        seed: 9,
        positional: true,
    });
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
        layer: 0,
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
        layer: 0,
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
        layer: 0,
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
        layer: 0,
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
    inp.model = ModelSpec::Toy(ToyConfig {
        d_model: 16,
        heads: 4,
        kv_heads: 4,
        ..ToyConfig::default()
    });
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
    inp.model = ModelSpec::Toy(ToyConfig {
        positional: false,
        ..ToyConfig::default()
    });
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

#[test]
fn the_catalogue_describes_the_toy_model_its_checks_enforce() {
    let cards = catalog();
    assert_eq!(cards[0].name, "toy", "the toy model is the default");
    let card = &cards[0];
    assert_eq!(card.stages, Stage::ATTENTION.to_vec());
    assert_eq!(card.layers, 1);
    // Every int option's limits are exactly what ToyModel::new accepts.
    for spec in &card.options {
        let OptionKind::Int {
            min, max, default, ..
        } = spec.kind
        else {
            continue;
        };
        let with = |v: u64| {
            let mut o = ModelOptions::default();
            match spec.name {
                "dModel" => {
                    o.d_model = Some(v as usize);
                    o.heads = Some(1);
                }
                "heads" => {
                    o.heads = Some(v as usize);
                    o.d_model = Some(v as usize * 4);
                }
                "kvHeads" => {
                    o.kv_heads = Some(v as usize);
                    o.heads = Some(v as usize);
                    o.d_model = Some(v as usize * 4);
                }
                "seed" => o.seed = Some(v),
                other => panic!("an option the test does not know: {other}"),
            }
            ModelSpec::new("toy", &o).unwrap().load().map(|_| ())
        };
        for ok in [min.max(1), max, default] {
            assert!(with(ok).is_ok(), "{} = {ok} is accepted", spec.name);
        }
        assert!(
            with(max + 1).is_err(),
            "{} = {} is refused",
            spec.name,
            max + 1
        );
        if min > 0 {
            assert!(
                with(min - 1).is_err(),
                "{} = {} is refused",
                spec.name,
                min - 1
            );
        }
    }
    // The editable matrices' axes give the sizes the trace reports.
    let spec = ModelSpec::new(
        "toy",
        &ModelOptions {
            d_model: Some(24),
            heads: Some(4),
            kv_heads: Some(2),
            ..ModelOptions::default()
        },
    )
    .unwrap();
    let card = spec.load().unwrap().card();
    let t = trace(&TraceInput {
        sentence: "one two three".into(),
        model: spec,
        ..TraceInput::default()
    })
    .unwrap();
    for w in &t.layers[0].weights {
        let e = card.editable.iter().find(|e| e.matrix == w.param).unwrap();
        assert_eq!(
            (w.rows, w.cols),
            (card.axis_len(e.rows, 3, 3), card.axis_len(e.cols, 3, 3)),
            "{}",
            e.title
        );
    }
    assert_eq!(card.axis_len(Axis::KvConcat, 3, 3), 12);
}

#[test]
fn a_model_spec_refuses_unknown_models_and_options() {
    let err = ModelSpec::new("gpt-9", &ModelOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown model \"gpt-9\"; models are: toy"),
        "{err}"
    );
    // kvHeads defaults to heads (one key/value head per query head).
    let spec = ModelSpec::new(
        "toy",
        &ModelOptions {
            heads: Some(4),
            d_model: Some(16),
            ..ModelOptions::default()
        },
    )
    .unwrap();
    assert_eq!(spec.load().unwrap().card().kv_heads, 4);
}

/// A model of three layers for the generic driver: three toy layers (seeds 1, 2, 3), each
/// followed by a residual connection, no positional encoding, W_O not editable.
struct Stack(Vec<ToyModel>);

impl Stack {
    fn new() -> Stack {
        Stack(
            (1..=3)
                .map(|seed| {
                    ToyModel::new(ToyConfig {
                        seed,
                        heads: 4,
                        kv_heads: 2,
                        ..ToyConfig::default()
                    })
                    .unwrap()
                })
                .collect(),
        )
    }
}

impl Model for Stack {
    fn card(&self) -> ModelCard {
        let mut card = self.0[0].card();
        card.layers = 3;
        card.stages.retain(|s| *s != Stage::Positional);
        card.editable.retain(|e| e.matrix != Param::Wo);
        card
    }
    fn tokenize(&self, text: &str) -> Vec<Token> {
        tokenize(text)
    }
    fn embed(&self, tokens: &[Token]) -> Embedded {
        let e = self.0[0].embeddings(tokens);
        Embedded {
            stages: vec![(Stage::Embedding, e.clone())],
            x: e,
        }
    }
    fn attention(&self, layer: usize) -> AttentionWeights<'_> {
        self.0[layer].attention(0)
    }
    fn weight_mut(&mut self, layer: usize, p: Param) -> Option<&mut Array2<f32>> {
        self.0[layer].weight_mut(0, p)
    }
    fn after_attention(
        &self,
        _layer: usize,
        x: &Array2<f32>,
        y: Array2<f32>,
        _stage: &mut dyn FnMut(Stage, &Array2<f32>),
    ) -> Array2<f32> {
        x + &y
    }
}

#[test]
fn the_driver_traces_any_layer_of_a_deeper_model_on_demand() {
    let sentence = "the cat sat because it was tired";
    let full = trace_model(&mut Stack::new(), &input(sentence)).unwrap();
    assert_eq!(full.layers.len(), 3);
    assert_eq!(full.model.layers, 3);
    // Each layer's input is the previous layer's input plus its output projection.
    for l in 1..3 {
        let prev_x = full.stage_in(l - 1, Stage::Input, 0).unwrap();
        let prev_y = full.stage_in(l - 1, Stage::Output, 0).unwrap();
        let x = full.stage_in(l, Stage::Input, 0).unwrap();
        for i in 0..x.data.len() {
            assert!((x.data[i] - (prev_x.data[i] + prev_y.data[i])).abs() < 1e-5);
        }
    }
    assert!(full.stage_in(0, Stage::Embedding, 0).is_some());
    assert!(
        full.stage_in(1, Stage::Embedding, 0).is_none(),
        "the embeddings sit on layer 0"
    );
    // Layer 2's softmax is the reference's on layer 2's own input and weights.
    let x2 = full.stage_in(2, Stage::Input, 0).unwrap();
    let x2 = Array2::from_shape_vec((x2.rows, x2.cols), x2.data.clone()).unwrap();
    let stack = Stack::new();
    let w = stack.attention(2);
    let (h, d_k) = (3, 4);
    let q = reference::project(
        x2.view(),
        w.w_q.slice(ndarray::s![.., h * d_k..(h + 1) * d_k]),
    );
    let k = reference::project(x2.view(), w.w_k.slice(ndarray::s![.., d_k..2 * d_k]));
    let scaled = reference::scale(reference::scores(q.view(), k.view()).view(), 0.5);
    let a = reference::softmax_rows(scaled.view());
    let got = full.stage_in(2, Stage::Softmax, h).unwrap();
    for (x, y) in got.data.iter().zip(a.iter()) {
        assert!((x - y).abs() < 1e-6);
    }
    // Only what is asked: layer 2, head 3, softmax; the same numbers as the full trace.
    let mut inp = input(sentence);
    inp.request = TraceRequest {
        layers: Some(vec![2]),
        heads: Some(vec![3]),
        stages: Some(vec![Stage::Softmax]),
    };
    let part = trace_model(&mut Stack::new(), &inp).unwrap();
    assert_eq!(part.layers.len(), 1);
    assert_eq!(part.layers[0].layer, 2);
    assert!(part.layers[0].stages.is_empty());
    assert_eq!(part.layers[0].heads.len(), 1);
    assert_eq!(part.stage_in(2, Stage::Softmax, 3), Some(got));
    // The model's own vocabulary and limits are checked.
    inp.request.layers = Some(vec![3]);
    let err = trace_model(&mut Stack::new(), &inp)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("layer 3 does not exist: the toy model has 3 layers (0..2)"),
        "{err}"
    );
    inp.request = TraceRequest {
        stages: Some(vec![Stage::Positional]),
        ..TraceRequest::default()
    };
    let err = trace_model(&mut Stack::new(), &inp)
        .unwrap_err()
        .to_string();
    assert!(err.contains("has no stage \"positional\""), "{err}");
}

#[test]
fn an_edit_of_a_later_layer_changes_only_that_layer_and_after() {
    let sentence = "a b c d";
    let base = trace_model(&mut Stack::new(), &input(sentence)).unwrap();
    let mut inp = input(sentence);
    inp.overrides = vec![Override {
        matrix: Param::Wq,
        layer: 1,
        row: 0,
        col: 0,
        value: 4.0,
    }];
    let edited = trace_model(&mut Stack::new(), &inp).unwrap();
    assert_eq!(edited.layers[0], base.layers[0], "layer 0 is untouched");
    assert_ne!(
        edited.stage_in(1, Stage::Query, 0),
        base.stage_in(1, Stage::Query, 0)
    );
    assert_ne!(
        edited.stage_in(2, Stage::Input, 0),
        base.stage_in(2, Stage::Input, 0)
    );
    assert_eq!(edited.layers[1].weights[0].data[0], 4.0);
    // What the card does not list as editable, and layers that do not exist, are refused.
    inp.overrides[0].matrix = Param::Wo;
    let err = trace_model(&mut Stack::new(), &inp)
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not let wo be edited"), "{err}");
    inp.overrides[0] = Override {
        matrix: Param::X,
        layer: 1,
        row: 0,
        col: 0,
        value: 1.0,
    };
    let err = trace_model(&mut Stack::new(), &inp)
        .unwrap_err()
        .to_string();
    assert!(err.contains("X is the input of layer 0"), "{err}");
    inp.overrides[0] = Override {
        matrix: Param::Wq,
        layer: 3,
        row: 0,
        col: 0,
        value: 1.0,
    };
    assert!(trace_model(&mut Stack::new(), &inp).is_err());
}

#[test]
fn every_head_has_the_same_bits_traced_alone_or_with_all_the_others() {
    // All heads of a layer are computed for concat and output (on the pool under `threads`); each
    // must come out as when its head is traced alone, and concat must hold them in order.
    let model = ModelSpec::new(
        "toy",
        &ModelOptions {
            d_model: Some(16),
            heads: Some(4),
            kv_heads: Some(2),
            ..ModelOptions::default()
        },
    )
    .unwrap();
    let base = TraceInput {
        sentence: "the cat sat on the mat because it was warm".into(),
        model,
        mask: Mask::Causal,
        ..TraceInput::default()
    };
    let all = trace(&TraceInput {
        request: TraceRequest {
            heads: Some((0..4).collect()),
            ..TraceRequest::default()
        },
        ..base.clone()
    })
    .unwrap();
    let concat = all.layers[0]
        .stages
        .iter()
        .find(|m| m.stage == Stage::Concat)
        .unwrap();
    for h in 0..4 {
        let alone = trace(&TraceInput {
            request: TraceRequest {
                heads: Some(vec![h]),
                stages: Some(vec![Stage::Softmax, Stage::WeightedSum]),
                ..TraceRequest::default()
            },
            ..base.clone()
        })
        .unwrap();
        let one = &alone.layers[0].heads[0];
        let with_all = all.layers[0].heads.iter().find(|t| t.head == h).unwrap();
        for stage in [Stage::Softmax, Stage::WeightedSum] {
            let a = one.stages.iter().find(|m| m.stage == stage).unwrap();
            let b = with_all.stages.iter().find(|m| m.stage == stage).unwrap();
            assert_eq!(a.data, b.data, "head {h}, {}", stage.name());
        }
        assert_eq!(one.entropy, with_all.entropy);
        let z = one
            .stages
            .iter()
            .find(|m| m.stage == Stage::WeightedSum)
            .unwrap();
        for i in 0..z.rows {
            for j in 0..z.cols {
                assert_eq!(concat.at(i, h * z.cols + j).to_bits(), z.at(i, j).to_bits());
            }
        }
    }
}
