//! What a head attends to, measured from its own attention map: the labels of the page's head
//! grid ("previous token", "attends to [SEP]", …), computed, never written down per head.
//!
//! For each candidate pattern the share is the attention weight it explains, averaged over the
//! query rows where it is defined (the previous token exists from row 1 on, the next one up to
//! row n − 2). The head gets the pattern with the largest share if that share is at least
//! [`THRESHOLD`], else "broad" (its weight is spread, or follows content rather than position).
//! Special tokens win ties against the positional patterns only by being larger.

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

    /// A short label for a reader.
    pub fn title(self) -> &'static str {
        match self {
            Pattern::Previous => "previous token",
            Pattern::Next => "next token",
            Pattern::SelfToken => "itself",
            Pattern::First => "[CLS] (first)",
            Pattern::Last => "[SEP] (last)",
            Pattern::Broad => "broad",
        }
    }
}

/// The pattern of one `n x n` attention map (rows sum to 1 or are all zero), and the average
/// share it explains (for "broad": the average largest weight of a row).
pub fn classify(map: &[f32], n: usize) -> (Pattern, f32) {
    assert_eq!(map.len(), n * n, "an n x n map");
    let at = |i: usize, j: usize| map[i * n + j];
    let mean = |rows: std::ops::Range<usize>, f: &dyn Fn(usize) -> f32| -> f32 {
        let count = rows.len();
        if count == 0 {
            return 0.0;
        }
        rows.map(f).sum::<f32>() / count as f32
    };
    let shares = [
        (Pattern::Previous, mean(1..n, &|i| at(i, i - 1))),
        (
            Pattern::Next,
            mean(0..n.saturating_sub(1), &|i| at(i, i + 1)),
        ),
        (Pattern::SelfToken, mean(0..n, &|i| at(i, i))),
        (Pattern::First, mean(0..n, &|i| at(i, 0))),
        (Pattern::Last, mean(0..n, &|i| at(i, n - 1))),
    ];
    let (best, share) =
        shares
            .into_iter()
            .fold((Pattern::Broad, f32::NEG_INFINITY), |acc, (p, s)| {
                if s > acc.1 {
                    (p, s)
                } else {
                    acc
                }
            });
    if n > 1 && share >= THRESHOLD {
        (best, share)
    } else {
        let peak = mean(0..n, &|i| {
            map[i * n..(i + 1) * n].iter().copied().fold(0.0, f32::max)
        });
        (Pattern::Broad, peak)
    }
}

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
            classify(&one(|i, _| i.saturating_sub(1)), n).0,
            Pattern::Previous
        );
        assert_eq!(
            classify(&one(|i, n| (i + 1).min(n - 1)), n).0,
            Pattern::Next
        );
        assert_eq!(classify(&one(|i, _| i), n).0, Pattern::SelfToken);
        assert_eq!(classify(&one(|_, _| 0), n).0, Pattern::First);
        assert_eq!(classify(&one(|_, n| n - 1), n).0, Pattern::Last);
        let (p, peak) = classify(&map(n, |_, _| 1.0 / n as f32), n);
        assert_eq!(p, Pattern::Broad);
        assert!((peak - 1.0 / n as f32).abs() < 1e-6);
        assert_eq!(classify(&[1.0], 1).0, Pattern::Broad);
    }
}
