//! The BERT uncased WordPiece tokenizer, as Hugging Face's `tokenizers` runs it for
//! all-MiniLM-L6-v2 (`BertNormalizer`, `BertPreTokenizer`, `WordPiece`, then `[CLS] … [SEP]`).
//!
//! The steps, in order:
//! 1. Special tokens typed into the text (`[CLS]`, `[SEP]`, `[MASK]`, `[PAD]`, `[UNK]`, exactly so
//!    spelled) are taken out first and become those tokens, as Hugging Face does.
//! 2. Cleaning: control, format and private-use characters (Unicode Cc, Cf, Co), U+0000 and
//!    U+FFFD are removed; tab, line breaks and every other whitespace become a space.
//! 3. CJK ideographs become words of their own.
//! 4. Accents are stripped: canonical decomposition (NFD), then nonspacing marks (Mn) removed.
//! 5. Lower case.
//! 6. Words: split at whitespace (dropped) and at each punctuation mark (ASCII symbols and
//!    punctuation, and Unicode P*), which is a word of its own.
//! 7. Each word becomes its longest vocabulary prefix, then the longest `##` continuation, and so
//!    on; a word with a part that matches nothing, or longer than 100 characters after steps
//!    2 to 5, becomes one `[UNK]`.
//!
//! Every token keeps the UTF-16 offsets (JavaScript string indices) of the original characters it
//! came from: through each step a character remembers the original character it stands for, the
//! way Hugging Face's alignments do, so `"Café"` gives `cafe` at 0..4 and `"İ"` gives `i` at 0..1.
//! A token spans from its first surviving character to its last, so a character removed at the
//! edge of a word belongs to no token: `"Cafe\u{301}"` (a combining accent after `e`) also gives
//! `cafe` at 0..4, leaving the accent outside, as Hugging Face does.
//!
//! The character categories (Unicode 8.0 tables) and the decomposition (Unicode 9.0) come from
//! the same crates Hugging Face uses, so ids and offsets agree with it exactly
//! (tests/tokenizer.rs checks a corpus of 2,000+ lines); lower case and whitespace are the
//! standard library's, as there.

use crate::error::{Error, Result};
use crate::model::Token;
use std::collections::HashMap;
use unicode_categories::UnicodeCategories;
use unicode_normalization_alignments::UnicodeNormalization;

/// Longest word, in characters after normalisation, that is split into pieces; longer words
/// become one `[UNK]` (`max_input_chars_per_word` in the model's tokenizer.json).
pub const MAX_WORD_CHARS: usize = 100;

/// The prefix of a piece that continues a word (`"##ing"`).
pub const CONTINUATION: &str = "##";

/// The special tokens a BERT vocabulary holds; when typed into the text they are read as
/// themselves. `[UNK]`, `[CLS]` and `[SEP]` must be in the vocabulary.
const SPECIALS: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/// A WordPiece vocabulary and the BERT uncased rules around it.
#[derive(Debug, Clone)]
pub struct WordPiece {
    ids: HashMap<String, u32>,
    /// The vocabulary in id order.
    pieces: Vec<String>,
    unk: u32,
    cls: u32,
    sep: u32,
    /// Special tokens present in the vocabulary, longest first, with their ids.
    specials: Vec<(&'static str, u32)>,
    /// The longest vocabulary entry in bytes, `##` included: no longer match is tried.
    longest: usize,
}

/// A tokenized text: the tokens with their offsets and their vocabulary ids, `[CLS]` first and
/// `[SEP]` last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoding {
    /// `text` is the vocabulary string (`"##ing"`, `"[CLS]"`); `start..end` are UTF-16 offsets
    /// into the encoded text, `0..0` for `[CLS]` and `[SEP]`.
    pub tokens: Vec<Token>,
    /// One vocabulary id per token.
    pub ids: Vec<u32>,
}

/// A character of the normalised text and the UTF-16 range of the original character it stands
/// for.
#[derive(Debug, Clone, Copy)]
struct Aligned {
    c: char,
    start: u32,
    end: u32,
}

impl WordPiece {
    /// Reads a `vocab.txt`: one token per line, the line number (from 0) is its id; trailing
    /// whitespace is dropped, as Hugging Face reads it.
    pub fn from_vocab(text: &str) -> Result<WordPiece> {
        let mut ids = HashMap::new();
        let mut pieces = Vec::new();
        for (line, piece) in text.lines().enumerate() {
            let piece = piece.trim_end();
            let id = u32::try_from(line)
                .map_err(|_| Error::Config("vocab.txt has more than 2^32 lines".into()))?;
            if let Some(first) = ids.insert(piece.to_string(), id) {
                return Err(Error::Config(format!(
                    "vocab.txt line {} repeats the token {piece:?} of line {}",
                    line + 1,
                    first + 1
                )));
            }
            pieces.push(piece.to_string());
        }
        let missing: Vec<&str> = ["[UNK]", "[CLS]", "[SEP]"]
            .into_iter()
            .filter(|t| !ids.contains_key(*t))
            .collect();
        if !missing.is_empty() {
            return Err(Error::Config(format!(
                "vocab.txt ({} lines) has no {}; a BERT vocabulary needs [UNK], [CLS] and [SEP]",
                pieces.len(),
                missing.join(", ")
            )));
        }
        let mut specials: Vec<(&'static str, u32)> = SPECIALS
            .into_iter()
            .filter_map(|s| ids.get(s).map(|&id| (s, id)))
            .collect();
        specials.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
        let longest = pieces.iter().map(String::len).max().unwrap_or(0);
        Ok(WordPiece {
            unk: ids["[UNK]"],
            cls: ids["[CLS]"],
            sep: ids["[SEP]"],
            ids,
            pieces,
            specials,
            longest,
        })
    }

    /// The id of a vocabulary string (`"##ing"`, `"[MASK]"`), if it is in the vocabulary.
    pub fn id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    /// The vocabulary string of an id, if the vocabulary has that many entries.
    pub fn token(&self, id: u32) -> Option<&str> {
        self.pieces.get(id as usize).map(String::as_str)
    }

    /// Vocabulary size.
    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    /// Whether the vocabulary is empty (never, once built: it holds at least the special tokens).
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// Splits `text` into wordpieces, `[CLS]` first and `[SEP]` last. Never fails: a text of any
    /// length is encoded whole (a model says later how many tokens it reads).
    pub fn encode(&self, text: &str) -> Encoding {
        let mut out = Encoding {
            tokens: vec![special("[CLS]")],
            ids: vec![self.cls],
        };
        // Byte and UTF-16 positions advance together over the text, segment by segment.
        let mut utf16 = 0u32;
        let mut rest = text;
        while !rest.is_empty() {
            let (plain, found) = self.next_special(rest);
            let segment = &rest[..plain];
            self.encode_segment(segment, utf16, &mut out);
            utf16 += utf16_len(segment);
            rest = &rest[plain..];
            if let Some((name, id)) = found {
                let end = utf16 + utf16_len(name);
                out.push(name.to_string(), id, utf16, end);
                utf16 = end;
                rest = &rest[name.len()..];
            }
        }
        out.tokens.push(special("[SEP]"));
        out.ids.push(self.sep);
        out
    }

    /// The byte length of the plain text before the first special token in `text`, and that
    /// token (leftmost, then longest).
    fn next_special(&self, text: &str) -> (usize, Option<(&'static str, u32)>) {
        for (at, _) in text.match_indices('[') {
            if let Some(&found) = self
                .specials
                .iter()
                .find(|(s, _)| text[at..].starts_with(s))
            {
                return (at, Some(found));
            }
        }
        (text.len(), None)
    }

    /// Normalises, splits and looks up one stretch of text without special tokens; `base` is its
    /// UTF-16 offset in the whole text.
    fn encode_segment(&self, segment: &str, base: u32, out: &mut Encoding) {
        let chars = normalize(segment, base);
        let mut word_start = 0;
        for (i, a) in chars.iter().enumerate() {
            if a.c.is_whitespace() {
                self.encode_word(&chars[word_start..i], out);
                word_start = i + 1;
            } else if is_punctuation(a.c) {
                self.encode_word(&chars[word_start..i], out);
                self.encode_word(&chars[i..i + 1], out);
                word_start = i + 1;
            }
        }
        self.encode_word(&chars[word_start..], out);
    }

    /// Greedy longest-match-first over one word; `[UNK]` for the whole word when it is too long
    /// or a part of it matches nothing.
    fn encode_word(&self, word: &[Aligned], out: &mut Encoding) {
        let (Some(first), Some(last)) = (word.first(), word.last()) else {
            return;
        };
        if word.len() > MAX_WORD_CHARS {
            out.push("[UNK]".into(), self.unk, first.start, last.end);
            return;
        }
        let text: String = word.iter().map(|a| a.c).collect();
        // Byte offset of each character in `text`, plus the end.
        let bytes: Vec<usize> = text
            .char_indices()
            .map(|(b, _)| b)
            .chain([text.len()])
            .collect();
        let mut pieces = Vec::new();
        let mut key = String::with_capacity(self.longest);
        let mut start = 0;
        while start < word.len() {
            let prefix = if start > 0 { CONTINUATION } else { "" };
            let mut end = word.len();
            // Skip candidates longer than any vocabulary entry: they cannot match.
            while end > start && prefix.len() + bytes[end] - bytes[start] > self.longest {
                end -= 1;
            }
            let found = loop {
                if end == start {
                    break None;
                }
                key.clear();
                key.push_str(prefix);
                key.push_str(&text[bytes[start]..bytes[end]]);
                if let Some(&id) = self.ids.get(&key) {
                    break Some(id);
                }
                end -= 1;
            };
            let Some(id) = found else {
                out.push("[UNK]".into(), self.unk, first.start, last.end);
                return;
            };
            pieces.push((key.clone(), id, word[start].start, word[end - 1].end));
            start = end;
        }
        for (piece, id, s, e) in pieces {
            out.push(piece, id, s, e);
        }
    }
}

impl Encoding {
    fn push(&mut self, text: String, id: u32, start: u32, end: u32) {
        self.tokens.push(Token {
            text,
            start: start as usize,
            end: end as usize,
        });
        self.ids.push(id);
    }
}

/// `[CLS]` or `[SEP]` as added around the text: offsets 0..0, as Hugging Face gives them.
fn special(name: &str) -> Token {
    Token {
        text: name.to_string(),
        start: 0,
        end: 0,
    }
}

fn utf16_len(s: &str) -> u32 {
    s.chars().map(|c| c.len_utf16() as u32).sum()
}

/// BertNormalizer (clean, CJK split, strip accents, lower case) over one segment, each output
/// character aligned to the original character it came from. `base` is the segment's UTF-16
/// offset in the whole text.
fn normalize(segment: &str, base: u32) -> Vec<Aligned> {
    let mut chars = Vec::with_capacity(segment.len() + 8);
    let mut at = base;
    for c in segment.chars() {
        let end = at + c.len_utf16() as u32;
        // Cleaning: drop controls, format characters, NUL and the replacement character;
        // whitespace of any kind becomes a space.
        if !(c == '\0' || c == '\u{fffd}' || is_control(c)) {
            let c = if is_whitespace(c) { ' ' } else { c };
            if is_chinese_char(c) {
                // A space either side makes the ideograph a word of its own.
                chars.push(Aligned {
                    c: ' ',
                    start: at,
                    end,
                });
                chars.push(Aligned { c, start: at, end });
                chars.push(Aligned {
                    c: ' ',
                    start: at,
                    end,
                });
            } else {
                chars.push(Aligned { c, start: at, end });
            }
        }
        at = end;
    }
    // Accents: NFD, then nonspacing marks removed. ASCII text is already decomposed.
    if !chars.iter().all(|a| a.c.is_ascii()) {
        chars = nfd(&chars, base);
        chars.retain(|a| !a.c.is_mark_nonspacing());
    }
    // Lower case; a character that lowers to several keeps its alignment for each.
    if chars.iter().all(|a| a.c.is_ascii()) {
        chars
            .iter_mut()
            .for_each(|a| a.c = a.c.to_ascii_lowercase());
        chars
    } else {
        chars
            .iter()
            .flat_map(|a| a.c.to_lowercase().map(move |c| Aligned { c, ..*a }))
            .collect()
    }
}

/// Canonical decomposition with canonical reordering. The alignments are given by position, as
/// Hugging Face's `NormalizedString::transform` does: each character that starts a decomposition
/// takes the next original character's alignment, each further character of a decomposition
/// the alignment of the one before it. (They differ only when reordering moves marks across
/// characters, and those marks are nonspacing and removed next.)
fn nfd(chars: &[Aligned], base: u32) -> Vec<Aligned> {
    let mut out = Vec::with_capacity(chars.len() + 8);
    let mut next = 0;
    for (c, change) in chars.iter().map(|a| a.c).nfd() {
        let (start, end) = if change > 0 {
            match next {
                0 => (base, base),
                n => (chars[n - 1].start, chars[n - 1].end),
            }
        } else {
            // `nfd` yields one character per input character with change 0, so this stays in
            // range; the fallback only guards that assumption.
            let a = chars.get(next).copied().unwrap_or(Aligned {
                c,
                start: base,
                end: base,
            });
            next += 1;
            (a.start, a.end)
        };
        out.push(Aligned { c, start, end });
    }
    out
}

/// Whitespace for cleaning: tab, line feed and carriage return, and every Unicode whitespace.
fn is_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

/// Control characters removed by cleaning: categories Cc, Cf and Co (private use), except tab,
/// line feed and carriage return (whitespace). Unassigned code points (Cn) stay.
fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && c.is_other()
}

/// Punctuation for splitting: ASCII 33-47, 58-64, 91-96, 123-126 (symbols included) and every
/// Unicode punctuation category.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || c.is_punctuation()
}

/// The CJK Unified Ideographs blocks (and their extensions and compatibility blocks). Hangul,
/// hiragana and katakana are not among them: those scripts space their words.
fn is_chinese_char(c: char) -> bool {
    matches!(
        c as u32,
        0x4E00..=0x9FFF
            | 0x3400..=0x4DBF
            | 0x20000..=0x2A6DF
            | 0x2A700..=0x2B73F
            | 0x2B740..=0x2B81F
            | 0x2B920..=0x2CEAF
            | 0xF900..=0xFAFF
            | 0x2F800..=0x2FA1F
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const VOCAB: &str =
        "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ncafe\nplay\n##ing\n##s\n!\n,\n.\n\
                         i\n中\n文\nun\n##believ\n##able\n##a\na\n-\n$\n";

    fn wp() -> WordPiece {
        WordPiece::from_vocab(VOCAB).expect("test vocabulary")
    }

    /// (token, start, end) without [CLS] and [SEP].
    fn enc(text: &str) -> Vec<(String, usize, usize)> {
        let e = wp().encode(text);
        assert_eq!(e.tokens.len(), e.ids.len());
        assert_eq!(e.tokens[0].text, "[CLS]");
        assert_eq!(e.tokens.last().map(|t| t.text.as_str()), Some("[SEP]"));
        e.tokens[1..e.tokens.len() - 1]
            .iter()
            .map(|t| (t.text.clone(), t.start, t.end))
            .collect()
    }

    fn t(s: &str, a: usize, b: usize) -> (String, usize, usize) {
        (s.to_string(), a, b)
    }

    #[test]
    fn vocabulary() {
        let w = wp();
        assert_eq!(w.len(), 23);
        assert_eq!(w.id("##ing"), Some(8));
        assert_eq!(w.token(8), Some("##ing"));
        assert_eq!(w.id("nope"), None);
        let e = WordPiece::from_vocab("[PAD]\n[UNK]\nthe\n").unwrap_err();
        assert!(e.to_string().contains("[CLS], [SEP]"), "{e}");
        let e = WordPiece::from_vocab("[UNK]\n[CLS]\n[SEP]\nthe\nthe\n").unwrap_err();
        assert!(e.to_string().contains("line 5"), "{e}");
        // Windows line ends and trailing spaces are dropped.
        let w = WordPiece::from_vocab("[UNK]\r\n[CLS] \r\n[SEP]\r\n").unwrap();
        assert_eq!(w.id("[CLS]"), Some(1));
    }

    #[test]
    fn specials_around_and_empty_text() {
        let e = wp().encode("");
        assert_eq!(e.ids, [2, 3]);
        assert_eq!((e.tokens[0].start, e.tokens[0].end), (0, 0));
        let e = wp().encode(" \t\u{200b} ");
        assert_eq!(e.ids, [2, 3]);
    }

    #[test]
    fn greedy_longest_match_with_continuations() {
        assert_eq!(
            enc("Playing plays"),
            [
                t("play", 0, 4),
                t("##ing", 4, 7),
                t("play", 8, 12),
                t("##s", 12, 13)
            ]
        );
        assert_eq!(
            enc("unbelievable"),
            [t("un", 0, 2), t("##believ", 2, 8), t("##able", 8, 12)]
        );
        // One part matches nothing: the whole word is [UNK].
        assert_eq!(enc("the playx"), [t("the", 0, 3), t("[UNK]", 4, 9)]);
    }

    #[test]
    fn punctuation_and_symbols_split() {
        assert_eq!(
            enc("the,the!$a-a"),
            [
                t("the", 0, 3),
                t(",", 3, 4),
                t("the", 4, 7),
                t("!", 7, 8),
                t("$", 8, 9),
                t("a", 9, 10),
                t("-", 10, 11),
                t("a", 11, 12)
            ]
        );
        // Unicode punctuation (an em dash) splits too, even when not in the vocabulary.
        assert_eq!(
            enc("a\u{2014}a"),
            [t("a", 0, 1), t("[UNK]", 1, 2), t("a", 2, 3)]
        );
    }

    #[test]
    fn accents_stripped_and_offsets_cover_the_original() {
        // Precomposed é (one UTF-16 unit) and e + combining acute (two).
        assert_eq!(enc("Café"), [t("cafe", 0, 4)]);
        // A mark removed at the end of a word is left outside its offsets, as Hugging Face does:
        // only characters that survive normalisation carry an alignment.
        assert_eq!(enc("Cafe\u{301} the"), [t("cafe", 0, 4), t("the", 6, 9)]);
        // İ decomposes to I + dot above; the dot goes, "i" covers the one original character.
        assert_eq!(enc("\u{130}"), [t("i", 0, 1)]);
        // A combining mark alone leaves nothing.
        assert_eq!(enc("\u{301} the"), [t("the", 2, 5)]);
    }

    #[test]
    fn cleaning_removes_controls_and_maps_whitespace() {
        // A zero-width space (Cf), NUL and U+FFFD vanish without splitting the word; removed
        // at its end, U+FFFD is outside the word's offsets.
        assert_eq!(enc("ca\u{200b}f\u{0}e\u{fffd}"), [t("cafe", 0, 6)]);
        // Tabs, NBSP, ideographic space and line separators split words.
        assert_eq!(
            enc("a\tthe\u{a0}a\u{3000}the\u{2028}a"),
            [
                t("a", 0, 1),
                t("the", 2, 5),
                t("a", 6, 7),
                t("the", 8, 11),
                t("a", 12, 13)
            ]
        );
        // Private-use characters are removed too (category Co counts as control here).
        assert_eq!(enc("a\u{e000}"), [t("a", 0, 1)]);
        assert_eq!(enc("\u{f0001}a"), [t("a", 2, 3)]);
    }

    #[test]
    fn cjk_ideographs_are_words() {
        assert_eq!(
            enc("中文the"),
            [t("中", 0, 1), t("文", 1, 2), t("the", 2, 5)]
        );
        // Outside the BMP: one character, two UTF-16 units.
        assert_eq!(
            enc("a\u{20000}a"),
            [t("a", 0, 1), t("[UNK]", 1, 3), t("a", 3, 4)]
        );
        // Hiragana is not split per character.
        assert_eq!(enc("ああ"), [t("[UNK]", 0, 2)]);
    }

    #[test]
    fn typed_special_tokens_are_read_as_themselves() {
        let e = wp().encode("the [MASK]!");
        assert_eq!(e.ids, [2, 5, 4, 10, 3]);
        assert_eq!((e.tokens[2].start, e.tokens[2].end), (4, 10));
        // Lower case is not special: it is punctuation and a word.
        assert_eq!(
            enc("[mask]"),
            [t("[UNK]", 0, 1), t("[UNK]", 1, 5), t("[UNK]", 5, 6)]
        );
        // Text right after a special token is its own word.
        assert_eq!(enc("[SEP]the"), [t("[SEP]", 0, 5), t("the", 5, 8)]);
    }

    #[test]
    fn long_words() {
        let w = "a".repeat(MAX_WORD_CHARS);
        // 100 characters: split ("a" then "##a" 99 times).
        let e = enc(&w);
        assert_eq!(e.len(), 100);
        assert_eq!(e[99], t("##a", 99, 100));
        // 101 characters: one [UNK] over the whole word.
        assert_eq!(enc(&format!("{w}a")), [t("[UNK]", 0, 101)]);
        // The count is after normalisation: 100 e + combining acute is 100 characters.
        let e = enc(&"a\u{301}".repeat(MAX_WORD_CHARS));
        assert_eq!(e.len(), 100);
        assert_eq!(e[99], t("##a", 198, 199));
    }
}
