//! Masks from JS values, and `maskInfo`.
//!
//! A mask is `{kind, ...}`. Each level is parsed by serde into the struct of its kind (unknown
//! fields refused, every field's path in the message: `mask.masks[1].size`); the masks inside
//! `all` and `any` are parsed in turn, one level deeper, and nesting past
//! [`crate::mask::MAX_DEPTH`] is refused before the parser recurses.

use super::{describe, is_object, js_err, parse_object, set, Bits, Count, ParseError};
use crate::error::{check_f32_budget, Error};
use crate::mask::{BlockPattern, Mask, MaskStats, MAX_DEPTH};
use js_sys::{Array, Object};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_MASK: &'static str = r#"
/** Which keys each query may attend to. Query i sits at key position i + (seqKv - seqQ): the
 *  last query lines up with the last key. A query row with no allowed key has all-zero weights
 *  and a zero output, never NaN. */
export type Mask =
  | { kind: "none" }
  | { kind: "causal" }                                   // keys at positions <= the query's
  | { kind: "padding"; keep: Uint8Array | (boolean | 0 | 1)[] }   // per key, length seqKv
  | { kind: "window"; size: number; causal?: boolean }   // keys fewer than size positions away
  | { kind: "global-local"; globals: number[]; size: number }     // globals see and are seen by all, plus a window
  | { kind: "block-sparse"; block: number; layout: Uint8Array | (boolean | 0 | 1)[] }  // ceil(seqQ/block) x ceil(seqKv/block), row-major
  | { kind: "block-sparse"; block: number; local?: number; random?: number; seed?: number; causal?: boolean }
      // per query block: `local` neighbour blocks each side + `random` blocks (at most the number of key blocks)
  | { kind: "strided"; stride: number; causal?: boolean }          // distance a multiple of stride
  | { kind: "custom"; allowed: Uint8Array | (boolean | 0 | 1)[] }  // seqQ x seqKv, row-major
  | { kind: "all"; masks: Mask[] }                       // logical AND
  | { kind: "any"; masks: Mask[] };                      // logical OR

export type MaskKind = Mask["kind"];

/** What a mask keeps at given lengths. */
export interface MaskInfo { allowedPairs: number; totalPairs: number; emptyRows: number[] }
"#;

/// The mask kinds, in the order messages list them.
const KINDS: &str =
    "none, causal, padding, window, global-local, block-sparse, strided, custom, all, any";

#[derive(Deserialize)]
struct Kind {
    kind: String,
}

// One struct per kind, without `kind` (read above, and accepted by the unknown-field check).
#[derive(Deserialize)]
struct Plain {}
#[derive(Deserialize)]
struct Padding {
    keep: Bits,
}
#[derive(Deserialize)]
struct Window {
    size: Count,
    causal: Option<bool>,
}
#[derive(Deserialize)]
struct GlobalLocal {
    globals: Vec<Count>,
    size: Count,
}
#[derive(Deserialize)]
struct BlockSparse {
    block: Count,
    layout: Option<Bits>,
    local: Option<Count>,
    random: Option<Count>,
    seed: Option<Count>,
    causal: Option<bool>,
}
#[derive(Deserialize)]
struct Strided {
    stride: Count,
    causal: Option<bool>,
}
#[derive(Deserialize)]
struct Custom {
    allowed: Bits,
}
#[derive(Deserialize)]
struct List {
    #[serde(with = "serde_wasm_bindgen::preserve")]
    masks: JsValue,
}

/// Parses `{kind: ...}` at `path` (undefined or null means no mask).
pub(crate) fn parse_mask(v: &JsValue, path: &str) -> Result<Mask, JsError> {
    parse(v, path, 0).map_err(js_err)
}

fn parse(v: &JsValue, path: &str, depth: usize) -> Result<Mask, String> {
    if v.is_undefined() || v.is_null() {
        return Ok(Mask::None);
    }
    if depth > MAX_DEPTH {
        return Err(format!(
            "{path}: masks nest more than {MAX_DEPTH} levels deep"
        ));
    }
    if !is_object(v) {
        return Err(format!(
            "{path} must be an object such as {{kind: \"causal\"}}, got {}",
            describe(v)
        ));
    }
    let kind = serde_wasm_bindgen::from_value::<Kind>(v.clone())
        .map_err(|_| format!("{path}.kind must be one of: {KINDS}"))?
        .kind;
    fn level<T: serde::de::DeserializeOwned>(
        v: &JsValue,
        path: &str,
        kind: &str,
    ) -> Result<T, String> {
        parse_object(v, &["kind"]).map_err(|e| match e {
            ParseError::NotObject => format!("{path} must be an object"),
            ParseError::UnknownField { key, fields } => format!(
                "{path} of kind \"{kind}\" has an unknown field \"{key}\"; its fields are: {}",
                fields.join(", ")
            ),
            ParseError::Field { path: p, message } => {
                format!("{}: {message}", ParseError::at(path, &p))
            }
        })
    }
    Ok(match kind.as_str() {
        "none" | "causal" => {
            level::<Plain>(v, path, &kind)?;
            if kind == "none" {
                Mask::None
            } else {
                Mask::Causal
            }
        }
        "padding" => Mask::Padding {
            keep: level::<Padding>(v, path, &kind)?.keep.0,
        },
        "window" => {
            let w: Window = level(v, path, &kind)?;
            Mask::Window {
                size: w.size.0,
                causal: w.causal.unwrap_or(false),
            }
        }
        "global-local" => {
            let g: GlobalLocal = level(v, path, &kind)?;
            Mask::global_local(g.globals.into_iter().map(|c| c.0).collect(), g.size.0)
        }
        "block-sparse" => {
            let b: BlockSparse = level(v, path, &kind)?;
            let pattern = match b.layout {
                Some(layout) => BlockPattern::Layout(layout.0),
                None => BlockPattern::Generated {
                    local: b.local.map_or(0, |c| c.0),
                    random: b.random.map_or(0, |c| c.0),
                    seed: b.seed.map_or(0, |c| c.0 as u64),
                    causal: b.causal.unwrap_or(false),
                },
            };
            Mask::BlockSparse {
                block: b.block.0,
                pattern,
            }
        }
        "strided" => {
            let s: Strided = level(v, path, &kind)?;
            Mask::Strided {
                stride: s.stride.0,
                causal: s.causal.unwrap_or(false),
            }
        }
        "custom" => Mask::Custom {
            allowed: level::<Custom>(v, path, &kind)?.allowed.0,
        },
        "all" | "any" => {
            let list: List = level(v, path, &kind)?;
            let Some(items) = list.masks.dyn_ref::<Array>() else {
                return Err(format!("{path}.masks must be an Array of masks"));
            };
            let masks = items
                .iter()
                .enumerate()
                .map(|(i, m)| parse(&m, &format!("{path}.masks[{i}]"), depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            if kind == "all" {
                Mask::All(masks)
            } else {
                Mask::Any(masks)
            }
        }
        other => {
            return Err(format!(
                "{path}.kind \"{other}\" is not a mask kind; use one of: {KINDS}"
            ))
        }
    })
}

/// How many mask parts answer for each (query, key) pair: one per kind in the tree, plus the
/// draws of a generated block-sparse pattern (each `allowed` call makes `random` draws).
fn parts(mask: &Mask) -> u64 {
    match mask {
        Mask::All(masks) | Mask::Any(masks) => 1 + masks.iter().map(parts).sum::<u64>(),
        Mask::BlockSparse {
            pattern: BlockPattern::Generated { random, .. },
            ..
        } => 1 + *random as u64,
        _ => 1,
    }
}

/// The mask's limits at these lengths that [`Mask::view`] cannot see: a generated block-sparse
/// pattern may draw at most as many `random` blocks per query block as there are key blocks
/// (each draw is a loop step on every mask lookup), and the entry counts of custom masks and
/// block layouts are compared in 64 bits (seqQ x seqKv may pass 2^32).
pub(crate) fn check_at(mask: &Mask, seq_q: usize, seq_kv: usize) -> Result<(), Error> {
    let entries = |what: &str, len: usize, rows: usize, cols: usize| {
        let need = rows as u64 * cols as u64;
        if len as u64 == need {
            Ok(())
        } else {
            Err(Error::Mask(format!(
                "{what} has {len} entries but {rows} x {cols} need {need}"
            )))
        }
    };
    match mask {
        Mask::All(masks) | Mask::Any(masks) => {
            masks.iter().try_for_each(|m| check_at(m, seq_q, seq_kv))
        }
        Mask::Custom { allowed } => entries(
            "custom mask: `allowed` (queries x keys)",
            allowed.len(),
            seq_q,
            seq_kv,
        ),
        Mask::BlockSparse { block, pattern } if *block > 0 => {
            let key_blocks = seq_kv.div_ceil(*block);
            match pattern {
                BlockPattern::Layout(layout) => entries(
                    "block-sparse mask: `layout` (query blocks x key blocks)",
                    layout.len(),
                    seq_q.div_ceil(*block),
                    key_blocks,
                ),
                BlockPattern::Generated { random, .. } if *random > key_blocks => {
                    Err(Error::Mask(format!(
                        "block-sparse mask: `random` ({random}) must be at most the number of key blocks, ceil({seq_kv} keys / block {block}) = {key_blocks}"
                    )))
                }
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// The most (query, key) pair x mask part lookups one `maskInfo` call may make: 65,536 x 65,536
/// pairs of a one-part mask (the benchmark's largest causal run).
pub const MASK_INFO_WORK_LIMIT: u64 = 1 << 32;

pub(crate) fn stats_to_js(s: &MaskStats) -> Object {
    let o = Object::new();
    set(&o, "allowedPairs", s.allowed_pairs as f64);
    set(&o, "totalPairs", s.total_pairs as f64);
    set(
        &o,
        "emptyRows",
        s.empty_rows
            .iter()
            .map(|&r| JsValue::from(r as u32))
            .collect::<Array>(),
    );
    o
}

/// What a mask keeps at these lengths: `{allowedPairs, totalPairs, emptyRows}`.
#[wasm_bindgen(
    js_name = maskInfo,
    unchecked_return_type = "MaskInfo"
)]
pub fn mask_info(
    #[wasm_bindgen(unchecked_param_type = "Mask")] mask: JsValue,
    #[wasm_bindgen(js_name = seqQ, unchecked_param_type = "number")] seq_q: JsValue,
    #[wasm_bindgen(js_name = seqKv, unchecked_param_type = "number")] seq_kv: JsValue,
) -> Result<Object, JsError> {
    let seq_q = super::count_arg("seqQ", &seq_q)?;
    let seq_kv = super::count_arg("seqKv", &seq_kv)?;
    for (name, n) in [("seqQ", seq_q), ("seqKv", seq_kv)] {
        if n == 0 {
            return Err(js_err(format!("{name} must be at least 1")));
        }
    }
    let mask = parse_mask(&mask, "mask")?;
    // Memory: the list of empty rows (one number per query row, here and in JS).
    check_f32_budget(
        &format!("maskInfo's list of empty rows for seqQ = {seq_q}"),
        Some(3 * seq_q as u64),
    )?;
    check_at(&mask, seq_q, seq_kv)?;
    let work = (seq_q as u64)
        .checked_mul(seq_kv as u64)
        .and_then(|p| p.checked_mul(parts(&mask)));
    if work.is_none_or(|w| w > MASK_INFO_WORK_LIMIT) {
        return Err(js_err(format!(
            "maskInfo over seqQ = {seq_q} x seqKv = {seq_kv} pairs with a mask of {} parts is more than its work limit of {MASK_INFO_WORK_LIMIT} pair lookups (65,536 x 65,536 with a one-part mask); use fewer tokens",
            parts(&mask)
        )));
    }
    let view = mask.view(seq_q, seq_kv)?;
    Ok(stats_to_js(&view.stats()))
}
