//! What a head attends to, measured from its own attention map: the labels of the page's head
//! grid ("previous token", "attends to [SEP]", …), computed, never written down per head.
//!
//! For each candidate pattern the share is the attention weight it explains, averaged over the
//! query rows where it is defined (the previous token exists from row 1 on, the next one up to
//! row n − 2). The head gets the pattern with the largest share if that share is at least
//! [`THRESHOLD`], else "broad" (its weight is spread, or follows content rather than position).
//! With `[CLS]`/`[SEP]` at the ends, see [`classify`]: positional patterns come first.

/// The least average share a positional or special-token pattern needs to name a head.
pub const THRESHOLD: f32 = 0.4;

/// A head's pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    Previous,
    Next,
    SelfToken,
    /// The first token (`[CLS]` in BERT).
    First,
    /// The last token (`[SEP]` in BERT).
    Last,
    Broad,
}

impl Pattern {
    pub const ALL: [Pattern; 6] = [
        Pattern::Previous,
        Pattern::Next,
        Pattern::SelfToken,
        Pattern::First,
        Pattern::Last,
        Pattern::Broad,
    ];

    /// The name used by the API and the page.
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Previous => "previous",
            Pattern::Next => "next",
            Pattern::SelfToken => "self",
            Pattern::First => "cls",
            Pattern::Last => "sep",
            Pattern::Broad => "broad",
        }
    }

    /// A label short enough for a small map in the head grid ("previous": the previous token).
    pub fn title(self) -> &'static str {
        match self {
            Pattern::Previous => "previous",
            Pattern::Next => "next",
            Pattern::SelfToken => "itself",
            Pattern::First => "[CLS]",
            Pattern::Last => "[SEP]",
            Pattern::Broad => "broad",
        }
    }
}

/// The pattern of one `n x n` attention map (rows sum to 1 or are all zero), and the average
/// share it explains (for "broad": the average largest weight of a row).
///
/// With `special_ends` (the first and last tokens are `[CLS]` and `[SEP]`), the positional
/// patterns are measured over the sentence's own tokens only, each row's weight renormalised
/// without what it gives the two special tokens: BERT's heads park much of their attention on
/// `[CLS]`/`[SEP]` as a no-op (Clark et al., 2019), and a head that gives 50 % to `[SEP]` and 45 % to
/// the previous word is a previous-word head. A head is named after `[CLS]`/`[SEP]` only when no
/// positional pattern stands out and the two together take most of its weight.
pub fn classify(map: &[f32], n: usize, special_ends: bool) -> (Pattern, f32) {
    assert_eq!(map.len(), n * n, "an n x n map");
    let at = |i: usize, j: usize| map[i * n + j];
    let mean = |rows: std::ops::Range<usize>, f: &dyn Fn(usize) -> f32| -> f32 {
        let count = rows.len();
        if count == 0 {
            return 0.0;
        }
        rows.map(f).sum::<f32>() / count as f32
    };
    let best = |shares: &[(Pattern, f32)]| {
        shares
            .iter()
            .copied()
            .fold((Pattern::Broad, f32::NEG_INFINITY), |acc, (p, s)| {
                if s > acc.1 {
                    (p, s)
                } else {
                    acc
                }
            })
    };
    let broad = || {
        let peak = mean(0..n, &|i| {
            map[i * n..(i + 1) * n].iter().copied().fold(0.0, f32::max)
        });
        (Pattern::Broad, peak)
    };
    if n < 2 {
        return broad();
    }
    if special_ends && n >= 4 {
        let last = n - 1;
        // Row i's weight on the sentence's own tokens.
        let own = |i: usize| (1.0 - at(i, 0) - at(i, last)).max(1e-6);
        let positional = [
            (Pattern::Previous, mean(2..last, &|i| at(i, i - 1) / own(i))),
            (Pattern::Next, mean(1..last - 1, &|i| at(i, i + 1) / own(i))),
            (Pattern::SelfToken, mean(1..last, &|i| at(i, i) / own(i))),
        ];
        let (p, share) = best(&positional);
        if share >= POSITIONAL {
            return (p, share);
        }
        let specials = [
            (Pattern::First, mean(0..n, &|i| at(i, 0))),
            (Pattern::Last, mean(0..n, &|i| at(i, last))),
        ];
        let together = specials[0].1 + specials[1].1;
        if together >= SPECIAL {
            return best(&specials);
        }
        return broad();
    }
    let (p, share) = best(&[
        (Pattern::Previous, mean(1..n, &|i| at(i, i - 1))),
        (Pattern::Next, mean(0..n - 1, &|i| at(i, i + 1))),
        (Pattern::SelfToken, mean(0..n, &|i| at(i, i))),
        (Pattern::First, mean(0..n, &|i| at(i, 0))),
        (Pattern::Last, mean(0..n, &|i| at(i, n - 1))),
    ]);
    if share >= THRESHOLD {
        (p, share)
    } else {
        broad()
    }
}

/// The least share (of the weight on the sentence's own tokens) that makes a positional head.
pub const POSITIONAL: f32 = 0.5;
/// The least weight `[CLS]` and `[SEP]` must take together to name a head after them.
pub const SPECIAL: f32 = 0.6;

#[cfg(test)]
mod tests {
    use super::*;

    fn map(n: usize, f: impl Fn(usize, usize) -> f32) -> Vec<f32> {
        (0..n * n).map(|k| f(k / n, k % n)).collect()
    }

    #[test]
    fn each_pattern_is_recognised_and_uniform_is_broad() {
        let n = 6;
        let one = |t: fn(usize, usize) -> usize| map(n, move |i, j| (j == t(i, n)) as u8 as f32);
        assert_eq!(
            classify(&one(|i, _| i.saturating_sub(1)), n, false).0,
            Pattern::Previous
        );
        assert_eq!(
            classify(&one(|i, n| (i + 1).min(n - 1)), n, false).0,
            Pattern::Next
        );
        assert_eq!(classify(&one(|i, _| i), n, false).0, Pattern::SelfToken);
        assert_eq!(classify(&one(|_, _| 0), n, false).0, Pattern::First);
        assert_eq!(classify(&one(|_, n| n - 1), n, false).0, Pattern::Last);
        let (p, peak) = classify(&map(n, |_, _| 1.0 / n as f32), n, false);
        assert_eq!(p, Pattern::Broad);
        assert!((peak - 1.0 / n as f32).abs() < 1e-6);
        assert_eq!(classify(&[1.0], 1, false).0, Pattern::Broad);
    }

    #[test]
    fn with_cls_and_sep_a_head_is_named_by_what_it_gives_the_sentence() {
        let n = 8;
        // Half of every row on [SEP], 45 % on the previous word: a previous-word head.
        let prev = map(n, |i, j| match (i, j) {
            (_, 7) => 0.5,
            (i, j) if i >= 2 && j + 1 == i => 0.45,
            (_, 0) => 0.05,
            (i, j) if i < 2 && j == i => 0.45,
            _ => 0.0,
        });
        assert_eq!(classify(&prev, n, true).0, Pattern::Previous);
        // Everything on [SEP]: a [SEP] head.
        assert_eq!(
            classify(&map(n, |_, j| (j == 7) as u8 as f32), n, true).0,
            Pattern::Last
        );
        // Spread over the sentence: broad.
        assert_eq!(
            classify(&map(n, |_, _| 1.0 / 8.0), n, true).0,
            Pattern::Broad
        );
    }
}
