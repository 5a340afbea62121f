//! The WordPiece tokenizer against Hugging Face's own (`tokenizers` loading the model's
//! tokenizer.json, padding and truncation off), line by line over tests/data/tokenizer-corpus.txt:
//! identical ids, tokens and offsets.
//!
//! Offsets: Hugging Face's `encode` gives byte offsets into the UTF-8 text; they are converted to
//! UTF-16 code units (ours) through a byte -> UTF-16 table of the line. The comparison is exact,
//! with no other normalisation.
//!
//! Needs `minilm-l6.tokenizer.json` and `minilm-l6.vocab.txt` in `$AP_MODELS` (default
//! ~/.cache/attention-playground/models), written by scripts/model.sh; fails without them.
#![cfg(not(target_arch = "wasm32"))]

use attention_playground::model::minilm::wordpiece::WordPiece;
use std::path::PathBuf;
use std::time::Instant;
use tokenizers::Tokenizer;

fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("AP_MODELS") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").unwrap_or_default();
    PathBuf::from(home).join(".cache/attention-playground/models")
}

fn read_model_file(name: &str) -> String {
    let path = models_dir().join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => panic!(
            "cannot read {} ({e}); run scripts/model.sh to fetch the model files \
             (or set AP_MODELS to the folder holding them)",
            path.display()
        ),
    }
}

fn ours() -> WordPiece {
    WordPiece::from_vocab(&read_model_file("minilm-l6.vocab.txt")).expect("vocab.txt")
}

fn theirs() -> Tokenizer {
    let json = read_model_file("minilm-l6.tokenizer.json");
    let mut tok = Tokenizer::from_bytes(json.as_bytes()).expect("tokenizer.json");
    tok.with_padding(None);
    tok.with_truncation(None).expect("truncation off");
    tok
}

fn corpus() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/tokenizer-corpus.txt"
    );
    let text = std::fs::read_to_string(path).expect("tests/data/tokenizer-corpus.txt");
    // Lines end at '\n' only: CR, NEL, LS, PS and other breaks inside a line are test data.
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

/// UTF-16 offset of every UTF-8 byte position of `s` that starts a character, and of its end.
fn utf16_at(s: &str) -> Vec<usize> {
    let mut table = vec![usize::MAX; s.len() + 1];
    let mut u = 0;
    for (b, c) in s.char_indices() {
        table[b] = u;
        u += c.len_utf16();
    }
    table[s.len()] = u;
    table
}

/// (token, id, start, end) per token, HF's offsets in UTF-16.
type Row = (String, u32, usize, usize);

fn hf_rows(tok: &Tokenizer, line: &str) -> Vec<Row> {
    let enc = tok
        .encode(line, true)
        .expect("tokenizers encodes every line");
    let table = utf16_at(line);
    let conv = |b: usize| {
        let u = table[b];
        assert_ne!(
            u,
            usize::MAX,
            "HF offset {b} is inside a character of {line:?}"
        );
        u
    };
    enc.get_tokens()
        .iter()
        .zip(enc.get_ids())
        .zip(enc.get_offsets())
        .map(|((t, &id), &(s, e))| (t.clone(), id, conv(s), conv(e)))
        .collect()
}

fn our_rows(wp: &WordPiece, line: &str) -> Vec<Row> {
    let enc = wp.encode(line);
    enc.tokens
        .iter()
        .zip(&enc.ids)
        .map(|(t, &id)| (t.text.clone(), id, t.start, t.end))
        .collect()
}

#[test]
fn corpus_agrees_with_hugging_face() {
    let (wp, hf, lines) = (ours(), theirs(), corpus());
    assert!(lines.len() >= 2000, "the corpus has {} lines", lines.len());
    assert_eq!(wp.len(), hf.get_vocab_size(true), "vocabulary sizes");

    let (mut tokens, mut unk, mut id_diff, mut offset_diff) = (0, 0, 0, 0);
    let mut shown = 0;
    for (n, line) in lines.iter().enumerate() {
        let (a, b) = (our_rows(&wp, line), hf_rows(&hf, line));
        tokens += b.len();
        unk += b.iter().filter(|r| r.0 == "[UNK]").count();
        let ids_a: Vec<u32> = a.iter().map(|r| r.1).collect();
        let ids_b: Vec<u32> = b.iter().map(|r| r.1).collect();
        let same_ids = ids_a == ids_b;
        if !same_ids {
            id_diff += 1;
        } else if a != b {
            offset_diff += 1;
        }
        if a != b && shown < 10 {
            shown += 1;
            eprintln!("line {}: {line:?}", n + 1);
            let width = a.len().max(b.len());
            for i in 0..width {
                let (x, y) = (a.get(i), b.get(i));
                let mark = if x == y { " " } else { "*" };
                eprintln!("  {mark} ours {x:?}  hf {y:?}");
            }
        }
    }
    println!(
        "tokenizer corpus: {} lines, {tokens} tokens ({unk} [UNK]); lines whose ids differ: \
         {id_diff}; lines with the same ids but other tokens or offsets: {offset_diff}",
        lines.len()
    );
    assert_eq!(
        (id_diff, offset_diff),
        (0, 0),
        "lines that differ (first ones above)"
    );
}

#[test]
fn encoding_speed() {
    let (wp, hf, lines) = (ours(), theirs(), corpus());
    let bytes: usize = lines.iter().map(String::len).sum();
    let t = Instant::now();
    let mut tokens = 0;
    for line in &lines {
        tokens += wp.encode(line).ids.len();
    }
    let ours_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for line in &lines {
        hf.encode(line.as_str(), true).expect("encode");
    }
    let hf_s = t.elapsed().as_secs_f64();
    println!(
        "encoding the corpus ({} lines, {} KiB, {tokens} tokens): ours {:.1} ms \
         ({:.2} MB/s), tokenizers {:.1} ms (this build's optimisation level)",
        lines.len(),
        bytes / 1024,
        ours_s * 1e3,
        bytes as f64 / ours_s / 1e6,
        hf_s * 1e3
    );
}

#[test]
fn long_texts_are_encoded_whole() {
    let (wp, hf) = (ours(), theirs());
    let sentence = "The tokenizer never truncates: the model refuses long input later. ";
    let text = sentence.repeat(60);
    let (a, b) = (our_rows(&wp, &text), hf_rows(&hf, &text));
    assert!(a.len() > 512, "{} tokens", a.len());
    assert_eq!(a, b);
    assert_eq!(a.last().map(|r| r.0.as_str()), Some("[SEP]"));
    // The last word's offsets reach the end of the text.
    let last_word = &a[a.len() - 2];
    assert_eq!(last_word.3, text.trim_end().len());
}

#[test]
fn offsets_slice_the_text_as_javascript_would() {
    let wp = ours();
    let text = "Ça va? 🙂 Þú ert 中文 İstanbul — naïve co\u{301}operation";
    let units: Vec<u16> = text.encode_utf16().collect();
    let enc = wp.encode(text);
    let pieces: Vec<String> = enc.tokens[1..enc.tokens.len() - 1]
        .iter()
        .map(|t| String::from_utf16(&units[t.start..t.end]).expect("whole characters"))
        .collect();
    assert_eq!(
        pieces,
        // "ert" is "er" + "##t"; a combining accent inside a word is inside its token.
        [
            "Ça",
            "va",
            "?",
            "🙂",
            "Þ",
            "ú",
            "er",
            "t",
            "中",
            "文",
            "İstanbul",
            "—",
            "naïve",
            "co\u{301}operation"
        ]
        .map(String::from)
        .to_vec(),
        "{:?}",
        enc.tokens
    );
}

/// Random strings drawn from the characters each rule is about (marks that reorder, removed
/// characters at word edges, special-token fragments, CJK, surrogate pairs, case that changes
/// length), compared the same way: 5,000 strings, the same every run.
#[test]
fn random_strings_agree_with_hugging_face() {
    const PIECES: &[&str] = &[
        "a",
        "e",
        "I",
        "ß",
        "İ",
        "Σ",
        "ǅ",
        "K",
        "Å",
        "é",
        "ệ",
        "ñ",
        "\u{301}",
        "\u{323}",
        "\u{345}",
        "\u{f73}",
        "\u{1d165}",
        "\u{1d16d}",
        "\u{302e}",
        "\u{20e3}",
        " ",
        "\t",
        "\r",
        "\u{a0}",
        "\u{3000}",
        "\u{2028}",
        "\u{200b}",
        "\u{200d}",
        "\u{fe0f}",
        "\u{ad}",
        "\u{85}",
        "\u{1}",
        "\u{7f}",
        "\u{e000}",
        "\u{fffd}",
        "\u{0}",
        "\u{378}",
        ".",
        ",",
        "-",
        "'",
        "—",
        "…",
        "¿",
        "«",
        "$",
        "^",
        "[",
        "]",
        "MASK",
        "[MASK]",
        "[SEP]",
        "[CLS",
        "##",
        "中",
        "豈",
        "\u{20000}",
        "한",
        "가",
        "カ",
        "ｶ",
        "😀",
        "👍🏽",
        "🇫🇷",
        "ا",
        "\u{64e}",
        "١",
        "क",
        "\u{94d}",
        "ส",
        "\u{e35}",
        "play",
        "ing",
        "un",
        "able",
        "the",
        "token",
        "ization",
    ];
    let (wp, hf) = (ours(), theirs());
    let mut state = 0x5eed_u64;
    let mut next = || {
        // SplitMix64.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut differ = Vec::new();
    for _ in 0..5000 {
        let n = 1 + next() % 16;
        let s: String = (0..n)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        if our_rows(&wp, &s) != hf_rows(&hf, &s) {
            differ.push(s);
        }
    }
    assert!(
        differ.is_empty(),
        "{} strings differ, first: {:?}",
        differ.len(),
        &differ[..differ.len().min(5)]
    );
}
