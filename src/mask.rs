//! Attention masks: which keys each query may look at.
//!
//! A mask is one composable value. It answers three questions, and every kernel and the
//! reference ask it the same way:
//! - `allowed(i, j)`: may query `i` attend to key `j`?
//! - `coverage(rows, cols)`: is a rectangular tile wholly allowed, wholly removed, or mixed?
//!   Fast kernels skip removed tiles and apply element masks only on mixed ones.
//! - `stats()`: how many query-key pairs survive (the cost the page shows) and which query rows
//!   have no key at all.
//!
//! **Positions.** Query `i` sits at key position `i + (seq_kv - seq_q)`, so that the last query
//! lines up with the last key. In self-attention the offset is 0; in decoding (one query against
//! a cache of keys) the query is the newest position. Causal, window, strided, global and
//! generated block-sparse masks measure distance between these positions.
//!
//! **Rows with no allowed key.** Softmax over an empty set is undefined. Here such a row's
//! weights are all 0 and its output is the zero vector; `MaskStats::empty_rows` lists the rows
//! (the flag). It is never NaN.

use crate::error::{Error, Result};
use std::ops::Range;

/// Tile edge used when a mask is summarised (`stats`).
const STATS_TILE: usize = 64;
/// Masks nest (`All`, `Any`); deeper nesting than this is refused rather than risking the stack
/// (the wasm layer refuses it while parsing, before it recurses).
pub const MAX_DEPTH: usize = 16;

/// Which keys each query may attend to. Combine masks with [`Mask::All`] (logical AND).
#[derive(Debug, Clone, PartialEq)]
pub enum Mask {
    /// Every query sees every key.
    None,
    /// Query at position p sees keys at positions <= p (no peeking at the future).
    Causal,
    /// Key-side padding: key `j` is visible only where `keep[j]` is true (length `seq_kv`).
    Padding { keep: Vec<bool> },
    /// Sliding window: keys fewer than `size` positions away; only backwards when `causal`.
    Window { size: usize, causal: bool },
    /// Global + local (Longformer, BigBird): a symmetric window of `size`, plus `globals`,
    /// token indices that see every key and are seen by every query.
    GlobalLocal { globals: Vec<usize>, size: usize },
    /// Block-sparse: the sequence is cut into blocks of `block` tokens and whole blocks are kept
    /// or removed according to `pattern`.
    BlockSparse { block: usize, pattern: BlockPattern },
    /// Strided (Sparse Transformer): keys whose distance is a multiple of `stride`.
    Strided { stride: usize, causal: bool },
    /// Any boolean matrix, row-major `seq_q x seq_kv`, true where allowed.
    Custom { allowed: Vec<bool> },
    /// Logical AND of several masks (an empty list allows everything).
    All(Vec<Mask>),
    /// Logical OR of several masks (e.g. strided OR local window, as in Sparse Transformers).
    Any(Vec<Mask>),
}

/// Which blocks a block-sparse mask keeps.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockPattern {
    /// `layout[qb * key_blocks + kb]`: is the block of queries `qb` allowed to see the block of
    /// keys `kb`? Blocks are counted from index 0 on each side; the last block may be short.
    Layout(Vec<bool>),
    /// For each query block: the `local` nearest key blocks on each side of its diagonal block
    /// (0 keeps the diagonal only), plus `random` key blocks drawn from `seed`. With `causal`,
    /// blocks after the diagonal are removed (and elements after the diagonal too).
    Generated {
        local: usize,
        random: usize,
        seed: u64,
        causal: bool,
    },
}

/// How much of a tile a mask keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// No pair in the tile is allowed: skip it.
    Empty,
    /// Some pairs are allowed: compute, then mask element by element.
    Partial,
    /// Every pair is allowed: compute without looking at the mask.
    Full,
}

/// What a mask keeps, for the cost read-out and the empty-row flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskStats {
    pub allowed_pairs: u64,
    pub total_pairs: u64,
    /// Query rows with no allowed key: their weights are 0 and their output is 0.
    pub empty_rows: Vec<usize>,
}

impl Mask {
    /// A global+local mask; `globals` may come in any order and with repeats.
    pub fn global_local(mut globals: Vec<usize>, size: usize) -> Mask {
        globals.sort_unstable();
        globals.dedup();
        Mask::GlobalLocal { globals, size }
    }

    /// Checks every parameter against the sequence lengths and returns a view that answers
    /// questions about this mask at these lengths.
    pub fn view(&self, seq_q: usize, seq_kv: usize) -> Result<MaskView<'_>> {
        self.validate(seq_q, seq_kv, 0)?;
        Ok(MaskView {
            mask: self,
            seq_q,
            seq_kv,
            offset: seq_kv as isize - seq_q as isize,
        })
    }

    fn validate(&self, nq: usize, nk: usize, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::Mask(format!(
                "masks nest more than {MAX_DEPTH} levels deep"
            )));
        }
        match self {
            Mask::None | Mask::Causal => Ok(()),
            Mask::Padding { keep } => {
                if keep.len() != nk {
                    return Err(Error::Mask(format!(
                        "padding mask has {} entries in `keep` but there are {nk} keys",
                        keep.len()
                    )));
                }
                Ok(())
            }
            Mask::Window { size, .. } => positive("window size", *size),
            Mask::GlobalLocal { globals, size } => {
                positive("global-local window size", *size)?;
                let n = nq.max(nk);
                if let Some(&g) = globals.iter().find(|&&g| g >= n) {
                    return Err(Error::Mask(format!(
                        "global token {g} is out of range: the sequence has {n} tokens (0..{})",
                        n - 1
                    )));
                }
                if !globals.windows(2).all(|w| w[0] < w[1]) {
                    return Err(Error::Mask(
                        "global tokens must be sorted and distinct (use Mask::global_local)".into(),
                    ));
                }
                Ok(())
            }
            Mask::BlockSparse { block, pattern } => {
                positive("block size", *block)?;
                if let BlockPattern::Layout(layout) = pattern {
                    let (qb, kb) = (nq.div_ceil(*block), nk.div_ceil(*block));
                    // In 128 bits: a usize product of two long sequences can wrap (on wasm32 at 65,536 each).
                    if layout.len() as u128 != qb as u128 * kb as u128 {
                        return Err(Error::Mask(format!(
                            "block-sparse layout has {} entries but {qb} query blocks x {kb} key blocks need {}",
                            layout.len(),
                            qb as u128 * kb as u128
                        )));
                    }
                }
                Ok(())
            }
            Mask::Strided { stride, .. } => positive("stride", *stride),
            Mask::Custom { allowed } => {
                if allowed.len() as u128 != nq as u128 * nk as u128 {
                    return Err(Error::Mask(format!(
                        "custom mask has {} entries but {nq} queries x {nk} keys need {}",
                        allowed.len(),
                        nq as u128 * nk as u128
                    )));
                }
                Ok(())
            }
            Mask::All(masks) => masks.iter().try_for_each(|m| m.validate(nq, nk, depth + 1)),
            Mask::Any(masks) => {
                if masks.is_empty() {
                    return Err(Error::Mask("an `any` mask needs at least one mask".into()));
                }
                masks.iter().try_for_each(|m| m.validate(nq, nk, depth + 1))
            }
        }
    }
}

fn positive(what: &str, v: usize) -> Result<()> {
    if v == 0 {
        return Err(Error::Mask(format!("{what} must be at least 1")));
    }
    Ok(())
}

/// A validated mask at given sequence lengths.
#[derive(Debug, Clone, Copy)]
pub struct MaskView<'a> {
    mask: &'a Mask,
    seq_q: usize,
    seq_kv: usize,
    offset: isize,
}

/// Distance range `pos(i) - j` over a tile, as (min, max).
fn distance_range(offset: isize, rows: &Range<usize>, cols: &Range<usize>) -> (isize, isize) {
    (
        rows.start as isize + offset - (cols.end as isize - 1),
        rows.end as isize - 1 + offset - cols.start as isize,
    )
}

/// Coverage of "lo <= d <= hi" over a distance range.
fn band(dmin: isize, dmax: isize, lo: isize, hi: isize) -> Coverage {
    if dmax < lo || dmin > hi {
        Coverage::Empty
    } else if dmin >= lo && dmax <= hi {
        Coverage::Full
    } else {
        Coverage::Partial
    }
}

/// SplitMix64: one step of a small, well-mixed, platform-independent generator. Shared by the
/// generated block patterns here and the toy model's seeded weights.
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl<'a> MaskView<'a> {
    pub fn seq_q(&self) -> usize {
        self.seq_q
    }
    pub fn seq_kv(&self) -> usize {
        self.seq_kv
    }
    /// The mask this view answers for (the WebGPU planner reads its structure).
    pub fn mask(&self) -> &'a Mask {
        self.mask
    }
    fn with(&self, mask: &'a Mask) -> MaskView<'a> {
        MaskView { mask, ..*self }
    }
    /// Window as a band on the distance d = pos(i) - j.
    fn window_band(size: usize, causal: bool) -> (isize, isize) {
        let s = size as isize - 1;
        (if causal { 0 } else { -s }, s)
    }

    /// May query `i` attend to key `j`?
    pub fn allowed(&self, i: usize, j: usize) -> bool {
        let d = i as isize + self.offset - j as isize;
        match self.mask {
            Mask::None => true,
            Mask::Causal => d >= 0,
            Mask::Padding { keep } => keep[j],
            Mask::Window { size, causal } => {
                let (lo, hi) = Self::window_band(*size, *causal);
                (lo..=hi).contains(&d)
            }
            Mask::GlobalLocal { globals, size } => {
                let (lo, hi) = Self::window_band(*size, false);
                (lo..=hi).contains(&d)
                    || globals.binary_search(&i).is_ok()
                    || globals.binary_search(&j).is_ok()
            }
            Mask::BlockSparse { block, pattern } => {
                let (qb, kb) = (i / block, j / block);
                match pattern {
                    BlockPattern::Layout(layout) => layout[qb * self.seq_kv.div_ceil(*block) + kb],
                    BlockPattern::Generated { causal, .. } => {
                        self.generated_block(*block, pattern, i, kb) && (!causal || d >= 0)
                    }
                }
            }
            Mask::Strided { stride, causal } => {
                d.rem_euclid(*stride as isize) == 0 && (!causal || d >= 0)
            }
            Mask::Custom { allowed } => allowed[i * self.seq_kv + j],
            Mask::All(masks) => masks.iter().all(|m| self.with(m).allowed(i, j)),
            Mask::Any(masks) => masks.iter().any(|m| self.with(m).allowed(i, j)),
        }
    }

    /// The key block that query `i`'s position falls in (may be negative or past the end).
    fn diagonal_block(&self, block: usize, i: usize) -> isize {
        (i as isize + self.offset).div_euclid(block as isize)
    }

    /// Does a generated block pattern keep key block `kb` for query row `i`?
    fn generated_block(&self, block: usize, pattern: &BlockPattern, i: usize, kb: usize) -> bool {
        let BlockPattern::Generated {
            local,
            random,
            seed,
            causal,
        } = pattern
        else {
            unreachable!()
        };
        let diag = self.diagonal_block(block, i);
        let kb_i = kb as isize;
        if *causal && kb_i > diag {
            return false;
        }
        if (kb_i - diag).unsigned_abs() <= *local {
            return true;
        }
        let key_blocks = self.seq_kv.div_ceil(block) as u64;
        let qb = (i / block) as u64;
        (0..*random as u64).any(|r| {
            splitmix64(seed ^ splitmix64(qb.wrapping_mul(0x1000_0001).wrapping_add(r))) % key_blocks
                == kb as u64
        })
    }

    /// How much of the tile `rows x cols` the mask keeps. Exact for every mask kind: when the
    /// structure does not settle it, the tile is scanned.
    pub fn coverage(&self, rows: Range<usize>, cols: Range<usize>) -> Coverage {
        if rows.is_empty() || cols.is_empty() {
            return Coverage::Empty;
        }
        let (dmin, dmax) = distance_range(self.offset, &rows, &cols);
        match self.mask {
            Mask::None => Coverage::Full,
            Mask::Causal => band(dmin, dmax, 0, isize::MAX),
            Mask::Window { size, causal } => {
                let (lo, hi) = Self::window_band(*size, *causal);
                band(dmin, dmax, lo, hi)
            }
            Mask::Padding { keep } => {
                let kept = keep[cols.clone()].iter().filter(|&&k| k).count();
                if kept == 0 {
                    Coverage::Empty
                } else if kept == cols.len() {
                    Coverage::Full
                } else {
                    Coverage::Partial
                }
            }
            Mask::GlobalLocal { globals, size } => {
                let (lo, hi) = Self::window_band(*size, false);
                let window = band(dmin, dmax, lo, hi);
                let count_in = |r: &Range<usize>| {
                    let a = globals.partition_point(|&g| g < r.start);
                    let b = globals.partition_point(|&g| g < r.end);
                    b - a
                };
                let (gq, gk) = (count_in(&rows), count_in(&cols));
                if window == Coverage::Full || gq == rows.len() || gk == cols.len() {
                    Coverage::Full
                } else if window == Coverage::Empty && gq == 0 && gk == 0 {
                    Coverage::Empty
                } else {
                    self.scan(rows, cols)
                }
            }
            Mask::BlockSparse { block, pattern } => {
                if let BlockPattern::Generated { causal: true, .. } = pattern {
                    if band(dmin, dmax, 0, isize::MAX) == Coverage::Empty {
                        return Coverage::Empty;
                    }
                }
                // Look at each block the tile touches instead of each element.
                let b = *block;
                let mut any = false;
                let mut all = true;
                let mut qs = rows.start;
                while qs < rows.end {
                    let qe = ((qs / b + 1) * b).min(rows.end);
                    let mut ks = cols.start;
                    while ks < cols.end {
                        let ke = ((ks / b + 1) * b).min(cols.end);
                        let kept = match pattern {
                            BlockPattern::Layout(layout) => {
                                layout[(qs / b) * self.seq_kv.div_ceil(b) + ks / b]
                            }
                            // Rows of one query block can straddle two diagonal blocks when the
                            // offset is not a multiple of the block: ask both ends.
                            BlockPattern::Generated { .. } => {
                                let first = self.generated_block(b, pattern, qs, ks / b);
                                let last = self.generated_block(b, pattern, qe - 1, ks / b);
                                if first != last {
                                    return self.scan(rows, cols);
                                }
                                first
                            }
                        };
                        any |= kept;
                        all &= kept;
                        ks = ke;
                    }
                    qs = qe;
                }
                match (any, all) {
                    (false, _) => Coverage::Empty,
                    (true, true) => match pattern {
                        BlockPattern::Generated { causal: true, .. } => {
                            band(dmin, dmax, 0, isize::MAX)
                        }
                        _ => Coverage::Full,
                    },
                    _ => Coverage::Partial,
                }
            }
            Mask::Strided { stride, causal } => {
                if *causal && dmax < 0 {
                    Coverage::Empty
                } else if *stride == 1 {
                    if *causal {
                        band(dmin, dmax, 0, isize::MAX)
                    } else {
                        Coverage::Full
                    }
                } else {
                    self.scan(rows, cols)
                }
            }
            Mask::Custom { .. } => self.scan(rows, cols),
            Mask::All(masks) => {
                let mut result = Coverage::Full;
                for m in masks {
                    match self.with(m).coverage(rows.clone(), cols.clone()) {
                        Coverage::Empty => return Coverage::Empty,
                        Coverage::Partial => result = Coverage::Partial,
                        Coverage::Full => {}
                    }
                }
                // Two partial masks can still remove everything together.
                if result == Coverage::Partial {
                    self.scan(rows, cols)
                } else {
                    result
                }
            }
            Mask::Any(masks) => {
                let mut result = Coverage::Empty;
                for m in masks {
                    match self.with(m).coverage(rows.clone(), cols.clone()) {
                        Coverage::Full => return Coverage::Full,
                        Coverage::Partial => result = Coverage::Partial,
                        Coverage::Empty => {}
                    }
                }
                if result == Coverage::Partial {
                    self.scan(rows, cols)
                } else {
                    result
                }
            }
        }
    }

    /// Element-by-element coverage; the fallback when structure does not decide.
    fn scan(&self, rows: Range<usize>, cols: Range<usize>) -> Coverage {
        let total = rows.len() * cols.len();
        let mut kept = 0;
        for i in rows {
            for j in cols.clone() {
                kept += self.allowed(i, j) as usize;
            }
        }
        match kept {
            0 => Coverage::Empty,
            k if k == total => Coverage::Full,
            _ => Coverage::Partial,
        }
    }

    /// Counts the allowed pairs and finds the rows left with no key.
    pub fn stats(&self) -> MaskStats {
        let mut allowed_pairs = 0u64;
        let mut empty_rows = Vec::new();
        let mut row_counts = [0u64; STATS_TILE];
        for q0 in (0..self.seq_q).step_by(STATS_TILE) {
            let q1 = (q0 + STATS_TILE).min(self.seq_q);
            row_counts.fill(0);
            for k0 in (0..self.seq_kv).step_by(STATS_TILE) {
                let k1 = (k0 + STATS_TILE).min(self.seq_kv);
                match self.coverage(q0..q1, k0..k1) {
                    Coverage::Empty => {}
                    Coverage::Full => row_counts[..q1 - q0]
                        .iter_mut()
                        .for_each(|c| *c += (k1 - k0) as u64),
                    Coverage::Partial => {
                        for i in q0..q1 {
                            row_counts[i - q0] +=
                                (k0..k1).filter(|&j| self.allowed(i, j)).count() as u64;
                        }
                    }
                }
            }
            for (r, &c) in row_counts[..q1 - q0].iter().enumerate() {
                allowed_pairs += c;
                if c == 0 {
                    empty_rows.push(q0 + r);
                }
            }
        }
        MaskStats {
            allowed_pairs,
            total_pairs: self.seq_q as u64 * self.seq_kv as u64,
            empty_rows,
        }
    }
}
