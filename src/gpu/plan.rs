//! Everything the WGSL kernel needs from a [`Problem`], in plain Rust (no wgpu, builds on every
//! target), so that the native host (`gpu::native`) and the browser host stay thin: the
//! compile-time constants (as a WGSL header), the uniform block, the buffer sizes, the dispatch
//! sizes and the mask's tile table.
//!
//! # The kernel's layout
//! A workgroup holds `BQ` query rows; `LANES` invocations share each row (`BQ x LANES`
//! invocations in all). Keys come in tiles of `BK` keys whose K and V rows are staged in workgroup
//! memory (`2 x BK x DP x 4` bytes, within the 16 KiB default), `DP` being the head dimension
//! padded to a multiple of 4 (vec4 loads). Each invocation keeps its row's query, running max,
//! running sum and unnormalised output in registers and walks the keys of the tile that are its
//! own (`lane, lane + LANES, ...`), with an online softmax in base 2 (the query is scaled by
//! `scale x log2 e` once).
//! - **Prefill** (more than [`DECODE_ROWS`] query rows): `BQ = 64`, `LANES = 1`; one workgroup per
//!   (query block, head) writes its rows of the output, normalised.
//! - **Decode** (at most [`DECODE_ROWS`] rows, usually over a long cache): `BQ = seq_q`,
//!   `LANES = min(BK, 64 / BQ)`, and the block's list of key tiles is cut into chunks of
//!   [`DECODE_CHUNK_TILES`] tiles, one workgroup per (chunk, head). Every invocation leaves its
//!   running max, sum and unnormalised output in a buffer of partials, and a second entry point
//!   (`merge`, one workgroup per (row, head)) combines them by log-sum-exp.
//! - **Subgroup decode** (variants [`Variant::Subgroups`], [`Variant::F16Subgroups`], decode
//!   only; prefill runs the f32 kernel): entry point `attend_sg` (attention_subgroups.wgsl),
//!   [`SUBGROUP_WG`] = 128 invocations, `BK = LANES = 32` (nothing is staged, so the tile size is
//!   free of the workgroup-memory bound). Key column `c` of each listed tile of a chunk is slot
//!   `c`, one partial per slot as above (so `merge` is unchanged); the workgroup's subgroups share
//!   the 32 slots, and within a subgroup the lanes split the head dimension (each keeps
//!   [`Consts::sg_dv`] = `ceil(DV4 / 4)` vec4s of each row: WebGPU's smallest subgroup is 4) and
//!   `subgroupAdd` sums the dot products. No subgroup size is assumed.
//!
//! # The mask: a tile list per query block
//! For each query block the plan lists only the key tiles the mask does not remove entirely
//! (CSR: `offsets[qb]..offsets[qb + 1]` into the entries), so removed tiles cost nothing, not
//! even a test. Each entry says how its tile is covered:
//! - [`TILE_FULL`]: every pair allowed; the shader runs the tile without per-element tests;
//! - [`TILE_RULE`]: the tile is crossed by the mask's *rule*: a band on the distance
//!   `d = pos(i) - j` (`lo <= d <= hi`), an optional stride (`d % stride == 0`) and an optional
//!   key-keep bitmap (padding). Causal, window, strided and padding masks, and any `All` of them
//!   (causal + padding, the common case), are rules: their table costs O(tiles) to build and
//!   one bit per key to store, whatever the sequence length;
//! - [`TILE_BITS`]: anything else (custom matrices, global+local, block-sparse, `Any`, nested
//!   combinations): the tile's allowed pairs as one u32 per query row (hence `BK <= 32`), built
//!   from [`MaskView::allowed`] for the crossed tiles only. This covers every mask kind exactly;
//!   its memory is `BQ x 4` bytes per crossed tile, at most `seq_q x seq_kv / 8` bytes (a
//!   tenth of the `seq_q x seq_kv` booleans a custom mask already is), and is checked against
//!   the memory limit before anything is allocated. Global+local and block-sparse masks cross
//!   only the tiles along their bands and block edges, so their bits stay small.
//!
//! Coverage comes from [`MaskView::coverage`], which is exact, so a full tile really is full
//! and a listed tile really has an allowed pair somewhere (rule tiles may list a few empty
//! ones: the shader tests their pairs, so that costs time, never correctness).
//!
//! Everything the shader reads about the mask lives in one `u32` storage buffer (offsets, then
//! entries as pairs `(tile | kind << 30, bits block)`, then the keep bitmap, then the bits), so the
//! kernel binds five storage buffers (q, k, v, out, mask) and one uniform block, within every
//! adapter's default of eight.

use crate::error::{check_f32_budget, Error, Result};
use crate::kernels::Problem;
use crate::mask::{Coverage, Mask};
use std::borrow::Cow;

/// The largest head dimension the kernel takes: K and V tiles of `BK` keys must fit the 16 KiB
/// of workgroup memory every adapter has (`2 x BK x 256 x 4` bytes = 16 KiB at `BK = 8`), and
/// each invocation keeps `2 x 256` floats of query and output in registers.
pub const MAX_HEAD_DIM: usize = 256;
/// Workgroup memory the kernel may use (WebGPU's default `maxComputeWorkgroupStorageSize`).
pub const WORKGROUP_BYTES: usize = 16 * 1024;
/// Invocations per workgroup at most (the kernel uses at most 128; WebGPU's default is 256).
pub const MAX_INVOCATIONS: usize = 128;
/// Invocations per workgroup of the f32 decode (`BQ x LANES`).
pub const DECODE_INVOCATIONS: usize = 64;
/// Invocations of the subgroup decode workgroup: a multiple of every subgroup size WebGPU allows
/// (4 ... 128), so that at least one full subgroup fits whatever the adapter's size.
pub const SUBGROUP_WG: usize = 128;
const _: () = assert!(
    SUBGROUP_WG.is_multiple_of(128),
    "a multiple of every subgroup size"
);
/// The smallest subgroup WebGPU allows (`subgroupMinSize >= 4`): each invocation of the subgroup
/// decode keeps at most `ceil(DV4 / 4)` vec4s of each query row and output.
pub const MIN_SUBGROUP: usize = 4;
/// Query rows per workgroup in prefill.
pub const PREFILL_ROWS: usize = 64;
/// Problems with at most this many query rows are decoded: keys split across workgroups.
pub const DECODE_ROWS: usize = 4;
/// Key tiles per workgroup when decoding (then merged by log-sum-exp).
pub const DECODE_CHUNK_TILES: usize = 8;
/// Keys per tile at most: one u32 of mask bits per query row and tile.
pub const MAX_TILE_KEYS: usize = 32;
/// Invocations of the merge pass's workgroup (one per vec4 of the head dimension).
pub const MERGE_INVOCATIONS: usize = 64;

/// Tile kind in a mask entry: every pair allowed.
pub const TILE_FULL: u32 = 1;
/// Tile kind in a mask entry: test each pair with the mask's rule (band, stride, keep bitmap).
pub const TILE_RULE: u32 = 2;
/// Tile kind in a mask entry: test each pair with the tile's bits.
pub const TILE_BITS: u32 = 3;

/// The WGSL body; [`Plan::shader_source`] puts the plan's constants in front of it.
pub const SHADER_BODY: &str = include_str!("attention.wgsl");
/// The subgroup decode's entry point (`attend_sg`), appended to [`SHADER_BODY`] in the subgroup
/// variants' decode plans only (it needs `enable subgroups`).
pub const SHADER_SUBGROUPS: &str = include_str!("attention_subgroups.wgsl");

/// The adapter limits a plan must respect (WebGPU's defaults unless the host asks for more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `maxStorageBufferBindingSize`, bytes.
    pub max_storage_binding: u64,
    /// `maxBufferSize`, bytes.
    pub max_buffer: u64,
    /// `maxComputeWorkgroupsPerDimension`.
    pub max_workgroups_per_dim: u32,
}

impl Default for Limits {
    /// WebGPU's default limits: what any adapter grants without asking.
    fn default() -> Limits {
        Limits {
            max_storage_binding: 128 << 20,
            max_buffer: 256 << 20,
            max_workgroups_per_dim: 65_535,
        }
    }
}

/// The shader's compile-time constants (written as WGSL `const`s in front of the body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consts {
    /// Query rows per workgroup.
    pub bq: u32,
    /// Keys per tile (at most [`MAX_TILE_KEYS`]).
    pub bk: u32,
    /// Invocations per query row.
    pub lanes: u32,
    /// vec4s per (padded) head-dimension row.
    pub dv4: u32,
    /// Decode mode: the main pass writes partials for the merge pass instead of the output.
    pub decode: bool,
    /// K and V are stored as f16 (variants [`Variant::F16Storage`], [`Variant::F16Subgroups`]).
    pub f16: bool,
    /// Decode through the subgroup entry point `attend_sg` (a subgroup variant, decode only).
    pub subgroups: bool,
}

/// The kernel's variants, chosen by the adapter's features; one plan and one driver serve all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// f32 everywhere: what every adapter runs.
    F32,
    /// K and V stored as f16 (half the memory traffic), converted to f32 as they are staged;
    /// scores, softmax and sums in f32. Needs the adapter feature `shader-f16`.
    F16Storage,
    /// Decode (at most [`DECODE_ROWS`] query rows) by subgroups: a subgroup walks its keys
    /// together, its invocations splitting the head dimension, the dot products summed with
    /// `subgroupAdd`; no workgroup staging, no barrier in the key loop. Prefill runs the f32
    /// kernel (one row per invocation with broadcast tile loads: subgroups add nothing there).
    /// Needs the adapter feature `subgroups`.
    Subgroups,
    /// [`Variant::F16Storage`] and [`Variant::Subgroups`] together (`shader-f16` and `subgroups`).
    F16Subgroups,
}

impl Variant {
    /// Every variant, baseline first.
    pub const ALL: [Variant; 4] = [
        Variant::F32,
        Variant::F16Storage,
        Variant::Subgroups,
        Variant::F16Subgroups,
    ];

    /// A short name (`f32`, `f16-storage`, `subgroups`, `f16-storage+subgroups`).
    pub fn name(self) -> &'static str {
        match self {
            Variant::F32 => "f32",
            Variant::F16Storage => "f16-storage",
            Variant::Subgroups => "subgroups",
            Variant::F16Subgroups => "f16-storage+subgroups",
        }
    }

    /// Whether K and V are stored as f16.
    pub fn f16(self) -> bool {
        matches!(self, Variant::F16Storage | Variant::F16Subgroups)
    }

    /// Whether decode runs by subgroups.
    pub fn subgroups(self) -> bool {
        matches!(self, Variant::Subgroups | Variant::F16Subgroups)
    }

    /// The WebGPU features the variant needs (WebGPU's names).
    pub fn features(self) -> Vec<&'static str> {
        let mut f = Vec::new();
        if self.f16() {
            f.push("shader-f16");
        }
        if self.subgroups() {
            f.push("subgroups");
        }
        f
    }

    /// The variant an adapter with these features runs: every faster path it can (f16 storage
    /// when `shader-f16`, subgroup decode when `subgroups`).
    pub fn for_features(shader_f16: bool, subgroups: bool) -> Variant {
        match (shader_f16, subgroups) {
            (false, false) => Variant::F32,
            (true, false) => Variant::F16Storage,
            (false, true) => Variant::Subgroups,
            (true, true) => Variant::F16Subgroups,
        }
    }
}

impl Consts {
    /// Invocations per workgroup of the main pass.
    pub fn workgroup_size(&self) -> u32 {
        if self.subgroups {
            SUBGROUP_WG as u32
        } else {
            self.bq * self.lanes
        }
    }
    /// The main pass's entry point: `attend`, or `attend_sg` for subgroup decode.
    pub fn entry_point(&self) -> &'static str {
        if self.subgroups {
            "attend_sg"
        } else {
            "attend"
        }
    }
    /// vec4s of each row one invocation of the subgroup decode keeps (`ceil(DV4 / 4)`).
    pub fn sg_dv(&self) -> u32 {
        self.dv4.div_ceil(MIN_SUBGROUP as u32)
    }
    /// The head dimension padded to a multiple of 4.
    pub fn dp(&self) -> usize {
        self.dv4 as usize * 4
    }
    /// Bytes of workgroup memory the main pass uses (the K and V tiles; the subgroup decode
    /// stages nothing and keeps one counter).
    pub fn workgroup_bytes(&self) -> usize {
        if self.subgroups {
            4
        } else {
            2 * self.bk as usize * self.dp() * 4
        }
    }
}

/// The uniform block, field for field the WGSL `Params` struct (twenty four-byte fields, in
/// this order; [`Params::to_bytes`] writes them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Query rows.
    pub seq_q: u32,
    /// Keys.
    pub seq_kv: u32,
    /// Head dimension (unpadded): the output's row length.
    pub head_dim: u32,
    /// Query heads.
    pub heads: u32,
    /// Query heads per key/value head (grouped-query attention).
    pub group: u32,
    /// Query blocks (`ceil(seq_q / BQ)`).
    pub q_blocks: u32,
    /// Tile entries per decode chunk (0 in prefill).
    pub chunk_entries: u32,
    /// Decode chunks per head (1 in prefill).
    pub chunks: u32,
    /// `scale x log2(e)`: scores are computed in base 2.
    pub scale2: f32,
    /// `seq_kv - seq_q`: query `i` sits at key position `i + offset`.
    pub offset: i32,
    /// The rule's band: `lo <= pos(i) - j <= hi`.
    pub lo: i32,
    /// See `lo`.
    pub hi: i32,
    /// The rule's stride (1: none).
    pub stride: u32,
    /// Where the entries start in the mask buffer (in u32s).
    pub entries_at: u32,
    /// Where the bits start in the mask buffer (in u32s).
    pub bits_at: u32,
    /// Where the rule's key-keep bitmap starts (0: no bitmap).
    pub keep_at: u32,
    /// Partials per (head, row) in decode: `chunks x LANES`.
    pub parts: u32,
    /// Stride of one partial in floats: `DP + 4` (max, sum, two pads, then the output).
    pub part_stride: u32,
    /// Padding to a multiple of 16 bytes.
    pub pad0: u32,
    /// See `pad0`.
    pub pad1: u32,
}

impl Params {
    /// Size of the uniform block in bytes.
    pub const BYTES: usize = 80;

    /// The block as the shader reads it (little-endian, in field order).
    pub fn to_bytes(&self) -> [u8; Params::BYTES] {
        let words: [u32; Params::BYTES / 4] = [
            self.seq_q,
            self.seq_kv,
            self.head_dim,
            self.heads,
            self.group,
            self.q_blocks,
            self.chunk_entries,
            self.chunks,
            self.scale2.to_bits(),
            self.offset as u32,
            self.lo as u32,
            self.hi as u32,
            self.stride,
            self.entries_at,
            self.bits_at,
            self.keep_at,
            self.parts,
            self.part_stride,
            self.pad0,
            self.pad1,
        ];
        let mut out = [0u8; Params::BYTES];
        for (dst, w) in out.chunks_exact_mut(4).zip(words) {
            dst.copy_from_slice(&w.to_le_bytes());
        }
        out
    }
}

/// How the tiles of a plan are covered (for tests and the benchmark's log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TileCounts {
    /// Tiles the mask removes entirely: not listed, never visited.
    pub skipped: usize,
    /// Tiles run without per-element tests.
    pub full: usize,
    /// Tiles tested pair by pair with the rule.
    pub rule: usize,
    /// Tiles tested pair by pair with their bits.
    pub bits: usize,
}

/// A mask the shader can evaluate itself: a band on the distance, a stride, a key-keep bitmap.
#[derive(Debug, Clone, PartialEq)]
struct Rule {
    lo: i64,
    hi: i64,
    stride: usize,
    keep: Option<Vec<bool>>,
}

impl Rule {
    /// The rule for `mask`, when the mask is one (an `All` of rules is their intersection).
    fn of(mask: &Mask) -> Option<Rule> {
        let any = Rule {
            lo: i64::MIN,
            hi: i64::MAX,
            stride: 1,
            keep: None,
        };
        match mask {
            Mask::None => Some(any),
            Mask::Causal => Some(Rule { lo: 0, ..any }),
            Mask::Window { size, causal } => {
                let s = *size as i64 - 1;
                Some(Rule {
                    lo: if *causal { 0 } else { -s },
                    hi: s,
                    ..any
                })
            }
            Mask::Strided { stride, causal } => Some(Rule {
                lo: if *causal { 0 } else { i64::MIN },
                stride: *stride,
                ..any
            }),
            Mask::Padding { keep } => Some(Rule {
                keep: Some(keep.clone()),
                ..any
            }),
            Mask::All(masks) => {
                let mut r = any;
                for m in masks {
                    let m = Rule::of(m)?;
                    r.lo = r.lo.max(m.lo);
                    r.hi = r.hi.min(m.hi);
                    if m.stride > 1 {
                        if r.stride > 1 {
                            return None; // two strides: leave it to the bits
                        }
                        r.stride = m.stride;
                    }
                    r.keep = match (r.keep, m.keep) {
                        (Some(a), Some(b)) => {
                            Some(a.iter().zip(&b).map(|(x, y)| *x && *y).collect())
                        }
                        (a, b) => a.or(b),
                    };
                }
                Some(r)
            }
            _ => None,
        }
    }

    /// Coverage of a tile, from the band, the stride and the kept keys of its columns (`kept`).
    fn coverage(&self, dmin: i64, dmax: i64, kept: usize, cols: usize) -> Coverage {
        if dmax < self.lo || dmin > self.hi || self.lo > self.hi || kept == 0 {
            Coverage::Empty
        } else if dmin >= self.lo && dmax <= self.hi && self.stride == 1 && kept == cols {
            Coverage::Full
        } else {
            Coverage::Partial
        }
    }
}

/// Everything one problem needs on the GPU.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Compile-time constants.
    pub consts: Consts,
    /// The uniform block.
    pub params: Params,
    /// Workgroups of the main pass (`attend`): (query blocks or decode chunks, heads, 1).
    pub dispatch: [u32; 3],
    /// Workgroups of the merge pass in decode mode: (rows, heads, 1).
    pub merge_dispatch: Option<[u32; 3]>,
    /// The mask buffer: offsets, entries, keep bitmap, bits (see the module's documentation).
    pub mask: Vec<u32>,
    /// How the tiles are covered.
    pub tiles: TileCounts,
    /// Floats in the q buffer (rows padded to `DP`).
    pub q_len: usize,
    /// Numbers in each of the k and v buffers (rows padded to `DP`; f16 in the f16 variant).
    pub kv_len: usize,
    /// Floats in the output (`heads x seq_q x head_dim`, unpadded).
    pub out_len: usize,
    /// Floats in the decode partials (0 in prefill).
    pub parts_len: usize,
}

/// Bytes of `n` four-byte numbers, saturating.
fn bytes(n: usize) -> u64 {
    (n as u64).saturating_mul(4)
}

impl Plan {
    /// Plans `problem` for an adapter with `limits`: checks the head dimension, every buffer
    /// against the memory limit and the adapter's binding size, and the dispatch sizes.
    pub fn new(problem: &Problem, limits: &Limits) -> Result<Plan> {
        Plan::with_variant(problem, limits, Variant::F32)
    }

    /// [`Plan::new`] for a [`Variant`] (the host checks that the adapter has its feature).
    pub fn with_variant(problem: &Problem, limits: &Limits, variant: Variant) -> Result<Plan> {
        let s = problem.shape;
        let f16 = variant.f16();
        if s.head_dim > MAX_HEAD_DIM {
            return Err(Error::Shape(format!(
                "headDim is {} but the WebGPU kernel handles at most {MAX_HEAD_DIM} (its key and value tiles must fit 16 KiB of workgroup memory); use the CPU backend",
                s.head_dim
            )));
        }
        let dv4 = s.head_dim.div_ceil(4);
        let dp = dv4 * 4;
        let decode = s.seq_q <= DECODE_ROWS;
        // The subgroup decode stages nothing: full tiles of 32 keys, one partial per key column
        // (`LANES = BK` slots, shared by however many subgroups the workgroup has).
        let subgroups = decode && variant.subgroups();
        let bk = if subgroups {
            MAX_TILE_KEYS
        } else {
            (WORKGROUP_BYTES / (2 * 4 * dp)).min(MAX_TILE_KEYS)
        };
        let (bq, lanes) = if subgroups {
            (s.seq_q, bk)
        } else if decode {
            (s.seq_q, bk.min(DECODE_INVOCATIONS / s.seq_q))
        } else {
            (PREFILL_ROWS, 1)
        };
        let consts = Consts {
            bq: bq as u32,
            bk: bk as u32,
            lanes: lanes as u32,
            dv4: dv4 as u32,
            decode,
            f16,
            subgroups,
        };
        let q_blocks = s.seq_q.div_ceil(bq);
        let k_tiles = s.seq_kv.div_ceil(bk);

        // Buffer sizes, checked before anything is allocated.
        let q_len = s.heads * s.seq_q * dp;
        let kv_len = s.kv_heads * s.seq_kv * dp;
        let out_len = s.q_len();
        let kv_words = if f16 { kv_len.div_ceil(2) } else { kv_len };
        for (name, n) in [
            ("q", q_len),
            ("k", kv_words),
            ("v", kv_words),
            ("output", out_len),
        ] {
            check_binding(name, n, limits)?;
        }
        // The padded (or f16) copies of q, k and v live in host memory while they are uploaded.
        if f16 {
            check_f32_budget(
                "the WebGPU kernel's f16 copies of k and v",
                Some(kv_len as u64),
            )?;
        }
        if dp != s.head_dim {
            check_f32_budget(
                "the WebGPU kernel's padded copies of q, k and v",
                Some(q_len as u64 + 2 * kv_len as u64),
            )?;
        }

        let (table, tiles, rule) = tile_table(problem, bq, bk, q_blocks, k_tiles)?;
        let (chunk_entries, chunks) = if decode {
            let entries = table.offsets[1] as usize;
            (
                DECODE_CHUNK_TILES,
                entries.div_ceil(DECODE_CHUNK_TILES).max(1),
            )
        } else {
            (0, 1)
        };
        let part_stride = dp + 4;
        let parts = chunks * lanes;
        let parts_len = if decode {
            s.heads
                .checked_mul(parts)
                .and_then(|x| x.checked_mul(bq * part_stride))
                .ok_or_else(|| too_large("the decode partials"))?
        } else {
            0
        };
        check_binding("the decode partials", parts_len, limits)?;

        // The mask buffer: offsets, entries, keep bitmap, bits.
        let entries_at = q_blocks + 1;
        let keep_words = match &rule {
            Some(Rule { keep: Some(_), .. }) => s.seq_kv.div_ceil(32),
            _ => 0,
        };
        let keep_at = entries_at + table.entries.len();
        let bits_at = keep_at + keep_words;
        let words = bits_at + table.bits.len();
        check_binding("the mask's tile table", words, limits)?;
        let mut mask = Vec::with_capacity(words);
        mask.extend_from_slice(&table.offsets);
        mask.extend_from_slice(&table.entries);
        if let Some(Rule {
            keep: Some(keep), ..
        }) = &rule
        {
            let mut w = vec![0u32; keep_words];
            for (j, _) in keep.iter().enumerate().filter(|(_, k)| **k) {
                w[j / 32] |= 1 << (j % 32);
            }
            mask.extend_from_slice(&w);
        }
        mask.extend_from_slice(&table.bits);
        debug_assert_eq!(mask.len(), words);

        let clamp = |x: i64| x.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
        let (lo, hi, stride) = match &rule {
            Some(r) => (
                clamp(r.lo),
                clamp(r.hi),
                r.stride.min(u32::MAX as usize) as u32,
            ),
            None => (i32::MIN, i32::MAX, 1),
        };
        let u = |x: usize| x as u32;
        let params = Params {
            seq_q: u(s.seq_q),
            seq_kv: u(s.seq_kv),
            head_dim: u(s.head_dim),
            heads: u(s.heads),
            group: u(s.heads / s.kv_heads),
            q_blocks: u(q_blocks),
            chunk_entries: u(chunk_entries),
            chunks: u(chunks),
            scale2: problem.scale * std::f32::consts::LOG2_E,
            offset: s.seq_kv as i32 - s.seq_q as i32,
            lo,
            hi,
            stride,
            entries_at: u(entries_at),
            bits_at: u(bits_at),
            keep_at: if keep_words > 0 { u(keep_at) } else { 0 },
            parts: u(parts),
            part_stride: u(part_stride),
            pad0: 0,
            pad1: 0,
        };
        let dispatch = [u(if decode { chunks } else { q_blocks }), u(s.heads), 1];
        let merge_dispatch = decode.then_some([u(s.seq_q), u(s.heads), 1]);
        let along_x = if decode {
            "decode chunks"
        } else {
            "query blocks"
        };
        for (what, n) in [(along_x, dispatch[0]), ("heads", dispatch[1])] {
            if n > limits.max_workgroups_per_dim {
                return Err(Error::Shape(format!(
                    "the WebGPU kernel would dispatch {n} workgroups along one axis ({what}), more than the adapter's {}; use the CPU backend",
                    limits.max_workgroups_per_dim
                )));
            }
        }
        Ok(Plan {
            consts,
            params,
            dispatch,
            merge_dispatch,
            mask,
            tiles,
            q_len,
            kv_len,
            out_len,
            parts_len,
        })
    }

    /// The full WGSL source: the plan's constants, then [`SHADER_BODY`]. Two plans with equal
    /// [`Consts`] give the same source (hosts cache pipelines by it).
    pub fn shader_source(&self) -> String {
        if self.consts.subgroups {
            format!("{}{SHADER_BODY}\n{SHADER_SUBGROUPS}", self.consts.header())
        } else {
            format!("{}{SHADER_BODY}", self.consts.header())
        }
    }

    /// `src` (rows of `head_dim` numbers) with each row padded with zeros to `DP`; borrowed when
    /// no padding is needed.
    pub fn pad_rows<'a>(&self, src: &'a [f32]) -> Cow<'a, [f32]> {
        let d = self.params.head_dim as usize;
        let dp = self.consts.dp();
        if d == dp {
            return Cow::Borrowed(src);
        }
        let mut out = vec![0.0; src.len() / d * dp];
        for (dst, row) in out.chunks_exact_mut(dp).zip(src.chunks_exact(d)) {
            dst[..d].copy_from_slice(row);
        }
        Cow::Owned(out)
    }
}

impl Consts {
    /// The constants as WGSL declarations.
    pub fn header(&self) -> String {
        let storage = if self.f16 {
            "enable f16;\n// K and V are stored as f16, staged and computed in f32.\nalias KV4 = vec4<f16>;\n"
        } else {
            "alias KV4 = vec4<f32>;\n"
        };
        // Subgroup decode: the extension, and the uniformity rule off for subgroup operations
        // (their loops run per subgroup; no barrier is inside them); directives come first.
        let (enables, sg_dv) = if self.subgroups {
            (
                "enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n",
                format!("const SG_DV: u32 = {}u;\n", self.sg_dv()),
            )
        } else {
            ("", String::new())
        };
        format!(
            "// Generated by gpu::plan for this problem's sizes.\n{enables}{storage}{sg_dv}\
             const BQ: u32 = {}u;\nconst BK: u32 = {}u;\nconst LANES: u32 = {}u;\n\
             const DV4: u32 = {}u;\nconst DECODE: bool = {};\nconst WG: u32 = {}u;\n\
             const MERGE_WG: u32 = {}u;\n\
             const TILE_FULL: u32 = {TILE_FULL}u;\nconst TILE_RULE: u32 = {TILE_RULE}u;\n\
             const TILE_BITS: u32 = {TILE_BITS}u;\n\n",
            self.bq,
            self.bk,
            self.lanes,
            self.dv4,
            self.decode,
            self.workgroup_size(),
            MERGE_INVOCATIONS,
        )
    }
}

fn too_large(what: &str) -> Error {
    Error::TooLarge {
        what: what.to_string(),
        bytes: u64::MAX,
        limit: crate::error::MEMORY_LIMIT_BYTES,
    }
}

/// Checks one GPU buffer of `n` four-byte numbers against the adapter's binding and buffer sizes.
fn check_binding(name: &str, n: usize, limits: &Limits) -> Result<()> {
    let b = bytes(n);
    let limit = limits.max_storage_binding.min(limits.max_buffer);
    if b > limit {
        return Err(Error::TooLarge {
            what: format!("the WebGPU buffer for {name}"),
            bytes: b,
            limit,
        });
    }
    Ok(())
}

/// The tile lists of every query block.
struct Table {
    /// `q_blocks + 1` offsets into the entries (in entries).
    offsets: Vec<u32>,
    /// Two u32 per entry: `key tile | kind << 30`, bits block (0 unless kind is bits).
    entries: Vec<u32>,
    /// `BQ` u32 per bits block: bit `c` of word `r` is pair (row r, key c) of the tile.
    bits: Vec<u32>,
}

/// Builds the tile table: one pass for the coverage (and the memory the bits will need), then
/// one that fills it.
fn tile_table(
    p: &Problem,
    bq: usize,
    bk: usize,
    q_blocks: usize,
    k_tiles: usize,
) -> Result<(Table, TileCounts, Option<Rule>)> {
    let s = p.shape;
    let (nq, nk) = (s.seq_q, s.seq_kv);
    let offset = nk as i64 - nq as i64;
    let rule = Rule::of(p.mask.mask());
    // Kept keys per key tile, for a rule with a keep bitmap.
    let kept: Vec<usize> = (0..k_tiles)
        .map(|t| {
            let cols = t * bk..((t + 1) * bk).min(nk);
            match &rule {
                Some(Rule { keep: Some(k), .. }) => k[cols].iter().filter(|&&x| x).count(),
                _ => cols.len(),
            }
        })
        .collect();
    let cover = |qb: usize, t: usize| -> Coverage {
        let rows = qb * bq..((qb + 1) * bq).min(nq);
        let cols = t * bk..((t + 1) * bk).min(nk);
        match &rule {
            Some(r) => {
                let dmin = rows.start as i64 + offset - (cols.end as i64 - 1);
                let dmax = rows.end as i64 - 1 + offset - cols.start as i64;
                r.coverage(dmin, dmax, kept[t], cols.len())
            }
            None => p.mask.coverage(rows, cols),
        }
    };
    let mut cov = Vec::with_capacity(q_blocks * k_tiles);
    let mut counts = TileCounts::default();
    for qb in 0..q_blocks {
        for t in 0..k_tiles {
            let c = cover(qb, t);
            match c {
                Coverage::Empty => counts.skipped += 1,
                Coverage::Full => counts.full += 1,
                Coverage::Partial if rule.is_some() => counts.rule += 1,
                Coverage::Partial => counts.bits += 1,
            }
            cov.push(c);
        }
    }
    let listed = counts.full + counts.rule + counts.bits;
    let bit_words = counts.bits as u64 * bq as u64;
    check_f32_budget(
        "the WebGPU kernel's mask table",
        Some(2 * listed as u64 + bit_words + q_blocks as u64 + 1),
    )?;
    if k_tiles >= 1 << 30 {
        return Err(Error::Shape(format!(
            "seqKv ({nk}) is too long for the WebGPU kernel's tile table"
        )));
    }
    let mut offsets = Vec::with_capacity(q_blocks + 1);
    let mut entries = Vec::with_capacity(2 * listed);
    let mut bits = Vec::with_capacity(bit_words as usize);
    offsets.push(0u32);
    for qb in 0..q_blocks {
        for t in 0..k_tiles {
            let kind = match cov[qb * k_tiles + t] {
                Coverage::Empty => continue,
                Coverage::Full => TILE_FULL,
                Coverage::Partial if rule.is_some() => TILE_RULE,
                Coverage::Partial => TILE_BITS,
            };
            let block = if kind == TILE_BITS {
                let b = (bits.len() / bq) as u32;
                for r in 0..bq {
                    let i = qb * bq + r;
                    let mut w = 0u32;
                    if i < nq {
                        for c in 0..bk.min(nk - t * bk) {
                            if p.mask.allowed(i, t * bk + c) {
                                w |= 1 << c;
                            }
                        }
                    }
                    bits.push(w);
                }
                b
            } else {
                0
            };
            entries.push(t as u32 | kind << 30);
            entries.push(block);
        }
        offsets.push((entries.len() / 2) as u32);
    }
    Ok((
        Table {
            offsets,
            entries,
            bits,
        },
        counts,
        rule,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::Shape;
    use crate::mask::BlockPattern;

    fn shape(seq_q: usize, seq_kv: usize, head_dim: usize) -> Shape {
        Shape {
            heads: 4,
            kv_heads: 2,
            seq_q,
            seq_kv,
            head_dim,
        }
    }

    fn plan(s: Shape, mask: &Mask) -> Plan {
        let p = Problem::new(s, None, mask).unwrap();
        Plan::new(&p, &Limits::default()).unwrap()
    }

    /// Decodes the table back into per-pair answers and compares them with the mask.
    fn check_table(s: Shape, mask: &Mask) {
        let p = Problem::new(s, None, mask).unwrap();
        let plan = Plan::new(&p, &Limits::default()).unwrap();
        let (bq, bk) = (plan.consts.bq as usize, plan.consts.bk as usize);
        let pr = plan.params;
        let m = &plan.mask;
        let mut seen = vec![false; s.seq_q * s.seq_kv];
        for qb in 0..pr.q_blocks as usize {
            for e in m[qb] as usize..m[qb + 1] as usize {
                let x = m[pr.entries_at as usize + 2 * e];
                let (t, kind) = ((x & 0x3FFF_FFFF) as usize, x >> 30);
                let block = m[pr.entries_at as usize + 2 * e + 1] as usize;
                for r in 0..bq {
                    let i = qb * bq + r;
                    if i >= s.seq_q {
                        continue;
                    }
                    for c in 0..bk.min(s.seq_kv - t * bk) {
                        let j = t * bk + c;
                        let ok = match kind {
                            TILE_FULL => true,
                            TILE_RULE => {
                                let d = i as i64 + pr.offset as i64 - j as i64;
                                let keep = pr.keep_at == 0
                                    || (m[pr.keep_at as usize + j / 32] >> (j % 32)) & 1 == 1;
                                d >= pr.lo as i64
                                    && d <= pr.hi as i64
                                    && d % pr.stride as i64 == 0
                                    && keep
                            }
                            TILE_BITS => (m[pr.bits_at as usize + block * bq + r] >> c) & 1 == 1,
                            _ => panic!("kind {kind}"),
                        };
                        assert_eq!(ok, p.mask.allowed(i, j), "pair ({i}, {j}) of {mask:?}");
                        seen[i * s.seq_kv + j] = true;
                    }
                }
            }
        }
        // Pairs of tiles that are not listed are all removed.
        for i in 0..s.seq_q {
            for j in 0..s.seq_kv {
                if !seen[i * s.seq_kv + j] {
                    assert!(!p.mask.allowed(i, j), "skipped pair ({i}, {j}) of {mask:?}");
                }
            }
        }
    }

    #[test]
    fn the_table_answers_every_pair_like_the_mask() {
        let masks = |nq: usize, nk: usize| {
            vec![
                Mask::None,
                Mask::Causal,
                Mask::Window {
                    size: 40,
                    causal: false,
                },
                Mask::Window {
                    size: 3,
                    causal: true,
                },
                Mask::Strided {
                    stride: 5,
                    causal: true,
                },
                Mask::Strided {
                    stride: 3,
                    causal: false,
                },
                Mask::Padding {
                    keep: (0..nk).map(|j| j % 7 != 3).collect(),
                },
                Mask::All(vec![
                    Mask::Causal,
                    Mask::Padding {
                        keep: (0..nk).map(|j| j < nk - 5).collect(),
                    },
                ]),
                Mask::global_local(vec![0, 2], 5),
                Mask::BlockSparse {
                    block: 16,
                    pattern: BlockPattern::Generated {
                        local: 1,
                        random: 1,
                        seed: 3,
                        causal: true,
                    },
                },
                Mask::Custom {
                    allowed: (0..nq * nk).map(|x| x % 3 != 0).collect(),
                },
                Mask::Any(vec![Mask::Causal, Mask::global_local(vec![1], 1)]),
            ]
        };
        for (nq, nk, d) in [
            (1, 300, 64),
            (3, 70, 8),
            (130, 130, 64),
            (65, 200, 130),
            (200, 33, 3),
        ] {
            for m in masks(nq, nk) {
                check_table(shape(nq, nk, d), &m);
            }
        }
    }

    #[test]
    fn constants_fit_the_default_limits() {
        for d in 1..=MAX_HEAD_DIM {
            for nq in [1, 2, 3, 4, 5, 300] {
                let p = plan(shape(nq, 100, d), &Mask::None);
                let c = p.consts;
                assert!(c.workgroup_bytes() <= WORKGROUP_BYTES, "d {d}: {c:?}");
                assert!(c.workgroup_size() as usize <= MAX_INVOCATIONS);
                assert!(c.bk as usize <= MAX_TILE_KEYS && c.bk >= 8);
                assert!(c.dp() >= d && c.dp() < d + 4);
                assert!(c.dv4 as usize <= MERGE_INVOCATIONS);
                assert_eq!(c.decode, nq <= DECODE_ROWS);
            }
        }
        assert_eq!(plan(shape(300, 300, 64), &Mask::None).consts.bk, 32);
        assert_eq!(plan(shape(300, 300, 128), &Mask::None).consts.bk, 16);
    }

    #[test]
    fn head_dims_past_the_maximum_are_refused_by_name() {
        let p = Problem::new(shape(8, 8, MAX_HEAD_DIM + 1), None, &Mask::None).unwrap();
        let e = Plan::new(&p, &Limits::default()).unwrap_err().to_string();
        assert!(e.contains("headDim") && e.contains("256"), "{e}");
    }

    #[test]
    fn causal_prefill_skips_the_upper_triangle_and_needs_no_bits() {
        let p = plan(shape(1024, 1024, 64), &Mask::Causal);
        let (qb, kt) = (16, 32);
        assert_eq!(p.dispatch, [16, 4, 1]);
        assert_eq!(p.merge_dispatch, None);
        let t = p.tiles;
        assert_eq!(t.skipped + t.full + t.rule, qb * kt);
        assert_eq!(
            t.rule,
            2 * qb,
            "two key tiles of 32 cross each 64-row diagonal block"
        );
        assert_eq!(t.bits, 0);
        assert_eq!(t.skipped, qb * kt - (t.full + t.rule));
        assert!(t.skipped > qb * kt * 2 / 5);
        assert_eq!(p.params.bits_at as usize, p.mask.len());
    }

    #[test]
    fn decode_splits_the_listed_tiles_into_chunks() {
        let p = plan(shape(1, 4096, 64), &Mask::None);
        assert!(p.consts.decode);
        assert_eq!((p.consts.bq, p.consts.bk, p.consts.lanes), (1, 32, 32));
        assert_eq!(p.params.chunks, 128 / DECODE_CHUNK_TILES as u32);
        assert_eq!(p.dispatch, [16, 4, 1]);
        assert_eq!(p.merge_dispatch, Some([1, 4, 1]));
        assert_eq!(p.params.parts, 16 * 32);
        assert_eq!(p.parts_len, 4 * 16 * 32 * 68);
        // A window keeps the last keys only: one chunk.
        let w = plan(
            shape(4, 4096, 64),
            &Mask::Window {
                size: 100,
                causal: true,
            },
        );
        assert_eq!((w.consts.bq, w.consts.lanes), (4, 16));
        assert_eq!(w.params.chunks, 1);
        assert_eq!(
            w.tiles.skipped,
            128 - 4,
            "keys 3,993..4,095: tiles 124..127"
        );
        // Nothing allowed: one chunk with no tiles, merged to zeros.
        let none = plan(
            shape(2, 500, 16),
            &Mask::Padding {
                keep: vec![false; 500],
            },
        );
        assert_eq!(none.params.chunks, 1);
        assert_eq!(none.mask[1], 0);
    }

    #[test]
    fn a_custom_mask_stores_bits_for_crossed_tiles_only() {
        let (nq, nk) = (128, 128);
        // Only the first 10 keys allowed for every query: one crossed tile per query block.
        let m = Mask::Custom {
            allowed: (0..nq * nk).map(|x| x % nk < 10).collect(),
        };
        let p = plan(shape(nq, nk, 64), &m);
        assert_eq!(p.tiles.bits, 2);
        assert_eq!(p.tiles.skipped, 2 * 4 - 2);
        assert_eq!(p.mask.len() - p.params.bits_at as usize, 2 * 64);
    }

    #[test]
    fn buffers_past_the_adapter_limits_are_named() {
        let s = Shape {
            heads: 8,
            kv_heads: 8,
            seq_q: 16_384,
            seq_kv: 16_384,
            head_dim: 64,
        };
        let p = Problem::new(s, None, &Mask::Causal).unwrap();
        let small = Limits {
            max_storage_binding: 16 << 20,
            ..Limits::default()
        };
        let e = Plan::new(&p, &small).unwrap_err().to_string();
        assert!(e.contains("WebGPU buffer for q"), "{e}");
        assert!(Plan::new(&p, &Limits::default()).is_ok());
    }

    #[test]
    fn the_f16_variant_enables_f16_and_halves_the_key_value_buffers() {
        let p = Problem::new(shape(70, 70, 64), None, &Mask::Causal).unwrap();
        let f32p = Plan::new(&p, &Limits::default()).unwrap();
        let f16p = Plan::with_variant(&p, &Limits::default(), Variant::F16Storage).unwrap();
        assert!(!f32p.shader_source().lines().any(|l| l == "enable f16;"));
        let src = f16p.shader_source();
        assert!(src.contains("enable f16;") && src.contains("alias KV4 = vec4<f16>;"));
        assert!(src.find("enable f16;").unwrap() < src.find("const BQ").unwrap());
        assert_eq!(f16p.mask, f32p.mask);
        assert_eq!(f16p.params, f32p.params);
    }

    #[test]
    fn the_subgroup_variants_change_decode_only() {
        for variant in [Variant::Subgroups, Variant::F16Subgroups] {
            for d in [1, 3, 64, 130, MAX_HEAD_DIM] {
                for nq in 1..=DECODE_ROWS {
                    let p = Problem::new(shape(nq, 1000, d), None, &Mask::Causal).unwrap();
                    let sg = Plan::with_variant(&p, &Limits::default(), variant).unwrap();
                    let c = sg.consts;
                    assert!(c.subgroups && c.decode);
                    assert_eq!(c.entry_point(), "attend_sg");
                    assert_eq!((c.bq, c.bk, c.lanes), (nq as u32, 32, 32));
                    assert_eq!(c.workgroup_size() as usize, SUBGROUP_WG);
                    assert!(c.workgroup_size() as usize <= MAX_INVOCATIONS);
                    assert!(c.workgroup_bytes() <= WORKGROUP_BYTES);
                    assert!(c.sg_dv() as usize * MIN_SUBGROUP >= c.dv4 as usize);
                    assert_eq!(sg.params.parts, sg.params.chunks * 32);
                    assert_eq!(sg.merge_dispatch, Some([nq as u32, 4, 1]));
                    let src = sg.shader_source();
                    let at = |x: &str| src.find(x).unwrap_or_else(|| panic!("{x} in {src}"));
                    assert!(at("enable subgroups;") < at("alias KV4"));
                    assert!(at("diagnostic(off, subgroup_uniformity);") < at("alias KV4"));
                    assert!(at("fn attend_sg") > at("fn merge"));
                    assert_eq!(src.contains("enable f16;"), variant.f16());
                }
            }
            // Prefill: the f32 kernel's source and plan, with K and V as the variant stores them.
            let p = Problem::new(shape(70, 70, 64), None, &Mask::Causal).unwrap();
            let sg = Plan::with_variant(&p, &Limits::default(), variant).unwrap();
            let base = if variant.f16() {
                Variant::F16Storage
            } else {
                Variant::F32
            };
            let f = Plan::with_variant(&p, &Limits::default(), base).unwrap();
            assert_eq!(sg.shader_source(), f.shader_source());
            assert_eq!(sg.consts.entry_point(), "attend");
        }
        assert_eq!(Variant::for_features(true, true), Variant::F16Subgroups);
        assert_eq!(Variant::for_features(false, true).features(), ["subgroups"]);
        assert_eq!(Variant::for_features(false, false), Variant::F32);
    }

    #[test]
    fn params_are_80_bytes_in_field_order() {
        let p = plan(shape(5, 9, 6), &Mask::Causal);
        let b = p.params.to_bytes();
        assert_eq!(b.len(), 80);
        assert_eq!(u32::from_le_bytes(b[0..4].try_into().unwrap()), 5);
        assert_eq!(u32::from_le_bytes(b[4..8].try_into().unwrap()), 9);
        assert_eq!(i32::from_le_bytes(b[36..40].try_into().unwrap()), 4);
        assert_eq!(p.pad_rows(&[1.0; 12]).len(), 16);
        assert!(p.shader_source().starts_with("// Generated"));
    }
}
