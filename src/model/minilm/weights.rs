//! Weight files of the real model: reading them ([`Tensors`]) and making the smaller variants
//! ([`convert`]).
//!
//! Three variants of one safetensors file, with the same tensor names:
//! - `f32`: the published file as is (it also holds `embeddings.position_ids`, I64, and the
//!   unused `pooler.*`; both are ignored).
//! - `f16`: every float tensor as F16, without `position_ids` and the pooler (half the size;
//!   attention probabilities move by less than 1e-3).
//! - `q8`: every 2-D tensor `name` as I8 `[rows, cols]` plus `name.scales`, F16
//!   `[rows, ceil(cols / 32)]`: symmetric 8-bit values per group of 32 consecutive values along a
//!   row, `scale = max|x| / 127`, `q = round(x / scale)`, read back as `q * scale`. 1-D tensors
//!   as F16. Its `__metadata__` says `{"attention-playground": "q8", "group": "32"}`.
//!
//! Every tensor is widened to f32 when it is taken: the forward pass computes in f32 whatever
//! the file stores. Parsing borrows the file's bytes and copies nothing; each [`Tensors::take`]
//! makes the one f32 copy of that tensor, and [`convert`] encodes one tensor at a time straight
//! into the output file. Bad files (a 404 page, a cut download, a damaged header, another model)
//! give an [`Error::Config`] that says what is wrong, never a panic.

use std::borrow::Cow;
use std::collections::HashMap;

use half::f16;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensorError, SafeTensors, View};

use crate::error::{Error, Result};

/// Values per group of the 8-bit variant: each group of this many consecutive values along a
/// row shares one scale.
pub const Q8_GROUP: usize = 32;

/// The `__metadata__` key that names this project's variants (`"f16"`, `"q8"`).
const FORMAT_KEY: &str = "attention-playground";
/// The `__metadata__` key of the q8 group size.
const GROUP_KEY: &str = "group";
/// The suffix of a q8 tensor's scales.
const SCALES_SUFFIX: &str = ".scales";
/// The largest finite f16 value; weights beyond it cannot be stored in the smaller variants.
const F16_MAX: f32 = 65504.0;

/// A parsed weight file (f32, f16 or q8): the tensors by name, each widened to f32 on
/// [`take`](Tensors::take). Borrows the file's bytes.
#[derive(Debug)]
pub struct Tensors<'a> {
    file: SafeTensors<'a>,
    variant: &'static str,
    /// The q8 group size (`Q8_GROUP` for files this crate writes); unused by the other variants.
    group: usize,
}

impl<'a> Tensors<'a> {
    /// Parses a safetensors file: checks that it is one, that it is complete, that its header is
    /// sound, and which variant it is. Copies no tensor data.
    pub fn parse(bytes: &'a [u8]) -> Result<Tensors<'a>> {
        check_header(bytes)?;
        // The header is parsed twice (it is a few kB): `read_metadata` is how the crate hands out
        // the `__metadata__` map, `deserialize` the tensors.
        let (_, metadata) =
            SafeTensors::read_metadata(bytes).map_err(|e| header_error(bytes, e))?;
        let file = SafeTensors::deserialize(bytes).map_err(|e| header_error(bytes, e))?;
        let (variant, group) = variant_of(&file, metadata.metadata().as_ref())?;
        Ok(Tensors {
            file,
            variant,
            group,
        })
    }

    /// Which variant the file is: `"f32"`, `"f16"` or `"q8"`.
    pub fn variant(&self) -> &'static str {
        self.variant
    }

    /// The names of the tensors a model can take (a q8 file's `.scales` belong to their tensor
    /// and are not listed), sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .file
            .names()
            .into_iter()
            .filter(|n| !(self.variant == "q8" && n.ends_with(SCALES_SUFFIX)))
            .collect();
        names.sort_unstable();
        names
    }

    /// The shape of tensor `name`, if the file has it.
    pub fn shape(&self, name: &str) -> Option<Vec<usize>> {
        self.file.tensor(name).ok().map(|t| t.shape().to_vec())
    }

    /// Tensor `name` widened to f32, row-major, after checking that its shape is `shape`.
    /// Errors name the tensor and, for a wrong shape, both shapes.
    pub fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let view = self.file.tensor(name).map_err(|_| {
            Error::Config(format!(
                "the weight file has no tensor {name} (is it all-MiniLM-L6-v2?)"
            ))
        })?;
        if view.shape() != shape {
            return Err(Error::Config(format!(
                "tensor {name} has shape {:?} in the weight file but the model needs {shape:?}",
                view.shape()
            )));
        }
        match view.dtype() {
            Dtype::F32 | Dtype::F16 | Dtype::BF16 => Ok(widen(&view)),
            Dtype::I8 if self.variant == "q8" => self.dequantize(name, &view),
            Dtype::I8 => Err(Error::Config(format!(
                "tensor {name} is I8 but the weight file does not say it is the q8 variant \
                 (its __metadata__ has no \"{FORMAT_KEY}\": \"q8\")"
            ))),
            other => Err(Error::Config(format!(
                "tensor {name} is {other}; the model reads F32, F16, BF16 and this project's q8 files"
            ))),
        }
    }

    /// A q8 tensor read back: each value times its group's scale.
    fn dequantize(&self, name: &str, values: &TensorView<'a>) -> Result<Vec<f32>> {
        let (rows, cols) = match values.shape() {
            &[rows, cols] => (rows, cols),
            other => {
                return Err(Error::Config(format!(
                "tensor {name} is I8 with shape {other:?}; q8 files store only 2-D tensors as I8"
            )))
            }
        };
        let groups = cols.div_ceil(self.group);
        let scales_name = format!("{name}{SCALES_SUFFIX}");
        let scales = self.file.tensor(&scales_name).map_err(|_| {
            Error::Config(format!(
                "the q8 weight file has no {scales_name} for tensor {name}"
            ))
        })?;
        if scales.dtype() != Dtype::F16 || scales.shape() != [rows, groups] {
            return Err(Error::Config(format!(
                "{scales_name} is {} {:?} in the weight file but a q8 tensor of shape [{rows}, {cols}] \
                 with groups of {} needs F16 [{rows}, {groups}]",
                scales.dtype(),
                scales.shape(),
                self.group
            )));
        }
        let scales = widen(&scales);
        let data = values.data();
        let mut out = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            let row = &data[r * cols..(r + 1) * cols];
            let row_scales = &scales[r * groups..(r + 1) * groups];
            for (chunk, &scale) in row.chunks(self.group).zip(row_scales) {
                out.extend(chunk.iter().map(|&q| f32::from(q as i8) * scale));
            }
        }
        Ok(out)
    }
}

/// Every f16's value, by its bits: widening by lookup. `half`'s conversion is a branchy software
/// routine on wasm (no f16 hardware), and loading the f16 file took 1.4-3.6x as long as the f32
/// one; a 256 KiB table, made once in ~1 ms, turns each number into one load.
fn f16_table() -> &'static [f32] {
    static TABLE: std::sync::OnceLock<Vec<f32>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| (0..=u16::MAX).map(|b| f16::from_bits(b).to_f32()).collect())
}

/// Widens a float tensor (F32, F16 or BF16, little-endian) to f32.
fn widen(view: &TensorView<'_>) -> Vec<f32> {
    let data = view.data();
    match view.dtype() {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        Dtype::F16 => {
            let table = f16_table();
            data.chunks_exact(2)
                .map(|b| table[u16::from_le_bytes([b[0], b[1]]) as usize])
                .collect()
        }
        Dtype::BF16 => data
            .chunks_exact(2)
            .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        _ => unreachable!("widen is called on float tensors only"),
    }
}

/// The checks safetensors does not put in words: a file shorter than its header length, a
/// header length no safetensors file has (an HTML error page, another format), a header that is
/// not a JSON object, a file cut inside its header.
fn check_header(bytes: &[u8]) -> Result<()> {
    let Some(len_bytes) = bytes.get(..8) else {
        return Err(Error::Config(format!(
            "the weight file has {} bytes; a safetensors file starts with an 8-byte header length \
             (the download may have been cut short)",
            bytes.len()
        )));
    };
    let mut len = [0u8; 8];
    len.copy_from_slice(len_bytes);
    let header_len = u64::from_le_bytes(len);
    // safetensors' own limit: a header over 100 MB means this is not a safetensors file.
    let first = bytes.get(8).copied();
    if !(2..=100_000_000).contains(&header_len) || first.is_some_and(|b| b != b'{') {
        return Err(Error::Config(format!(
            "the weight file is not a safetensors file (it starts with {:?})",
            String::from_utf8_lossy(&bytes[..bytes.len().min(16)])
        )));
    }
    let needed = 8 + header_len;
    if (bytes.len() as u64) < needed {
        return Err(Error::Config(format!(
            "the weight file is truncated: its header alone needs {needed} bytes but the file has {}",
            bytes.len()
        )));
    }
    Ok(())
}

/// A safetensors error in words: truncated (expected and actual bytes), unknown dtype, or a
/// corrupt header.
fn header_error(bytes: &[u8], error: SafeTensorError) -> Error {
    match error {
        SafeTensorError::MetadataIncompleteBuffer => match expected_len(bytes) {
            Some(expected) if expected > bytes.len() => Error::Config(format!(
                "the weight file is truncated: its header describes {expected} bytes but the file has {}",
                bytes.len()
            )),
            Some(expected) => Error::Config(format!(
                "the weight file has {} bytes but its header describes {expected}: it is corrupt",
                bytes.len()
            )),
            None => Error::Config(format!(
                "the weight file's size ({} bytes) does not match its header: truncated or corrupt",
                bytes.len()
            )),
        },
        SafeTensorError::InvalidHeaderDeserialization(e) => {
            let message = e.to_string();
            match unknown_variant(&message) {
                Some(dtype) => Error::Config(format!(
                    "the weight file's header names an unknown dtype {dtype:?}; this model reads F32, F16, BF16 and I8"
                )),
                None => Error::Config(format!(
                    "the weight file's header is corrupt (not the JSON a safetensors header is): {message}"
                )),
            }
        }
        other => Error::Config(format!("the weight file's header is corrupt: {other}")),
    }
}

/// The name in serde's "unknown variant `X`, expected one of …" (the only enum in a safetensors
/// header is the dtype).
fn unknown_variant(message: &str) -> Option<&str> {
    let rest = message.split_once("unknown variant `")?.1;
    Some(rest.split_once('`')?.0)
}

/// The file size a (well-formed) header describes: 8 + header length + the largest end offset of
/// any tensor. Read from the header text, only to say how much of a truncated file is missing.
fn expected_len(bytes: &[u8]) -> Option<usize> {
    let header_len = usize::try_from(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?)).ok()?;
    let header = std::str::from_utf8(bytes.get(8..8usize.checked_add(header_len)?)?).ok()?;
    let mut end = 0usize;
    for part in header.split("\"data_offsets\"").skip(1) {
        let inside = part.split_once('[')?.1.split_once(']')?.0;
        let last = inside.split(',').nth(1)?.trim().parse::<usize>().ok()?;
        end = end.max(last);
    }
    8usize.checked_add(header_len)?.checked_add(end)
}

/// The variant a parsed file is, from its `__metadata__` (this project's files) or else from its
/// float dtypes; and the q8 group size.
fn variant_of(
    file: &SafeTensors<'_>,
    metadata: Option<&HashMap<String, String>>,
) -> Result<(&'static str, usize)> {
    match metadata.and_then(|m| m.get(FORMAT_KEY)).map(String::as_str) {
        Some("q8") => {
            let group = metadata
                .and_then(|m| m.get(GROUP_KEY))
                .ok_or_else(|| {
                    Error::Config(format!(
                        "the q8 weight file's __metadata__ has no \"{GROUP_KEY}\" (the values per scale)"
                    ))
                })?;
            match group.parse::<usize>() {
                Ok(g) if (1..=4096).contains(&g) => Ok(("q8", g)),
                _ => Err(Error::Config(format!(
                    "the q8 weight file's group size is {group:?}; expected a whole number from 1 to 4096"
                ))),
            }
        }
        Some("f16") => Ok(("f16", Q8_GROUP)),
        Some(other) => Err(Error::Config(format!(
            "the weight file says it is the {other:?} variant of {FORMAT_KEY}; this version reads f16 and q8"
        ))),
        None => {
            let dtypes: Vec<Dtype> = file.iter().map(|(_, t)| t.dtype()).collect();
            let any = |d: Dtype| dtypes.contains(&d);
            if !any(Dtype::F32) && (any(Dtype::F16) || any(Dtype::BF16)) {
                Ok(("f16", Q8_GROUP))
            } else {
                Ok(("f32", Q8_GROUP))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Conversion

/// How one output tensor is made from an f32 tensor of the source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    /// Every value as f16.
    F16,
    /// The I8 values of a q8 tensor.
    Q8Values,
    /// The F16 scales of a q8 tensor, one per group of `Q8_GROUP` along a row.
    Q8Scales,
}

/// One output tensor, encoded from its f32 source only when the serializer asks for its bytes,
/// so that no full copy of the model is ever held besides the input and the output.
struct Encoded<'a> {
    source: &'a [u8],
    /// Values per row of the source (the q8 groups run along rows).
    cols: usize,
    /// The output shape.
    shape: Vec<usize>,
    encoding: Encoding,
}

impl Encoded<'_> {
    fn values(&self) -> impl Iterator<Item = f32> + '_ {
        self.source
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl View for Encoded<'_> {
    fn dtype(&self) -> Dtype {
        match self.encoding {
            Encoding::F16 | Encoding::Q8Scales => Dtype::F16,
            Encoding::Q8Values => Dtype::I8,
        }
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn data(&self) -> Cow<'_, [u8]> {
        let mut out = Vec::with_capacity(self.data_len());
        match self.encoding {
            Encoding::F16 => {
                for x in self.values() {
                    out.extend_from_slice(&f16::from_f32(x).to_le_bytes());
                }
            }
            Encoding::Q8Values | Encoding::Q8Scales => {
                let cols = self.cols.max(1); // (a tensor with no columns has no values)
                let values: Vec<f32> = self.values().collect();
                for row in values.chunks(cols) {
                    for group in row.chunks(Q8_GROUP) {
                        let scale = q8_scale(group);
                        if self.encoding == Encoding::Q8Scales {
                            out.extend_from_slice(&scale.to_le_bytes());
                        } else {
                            out.extend(group.iter().map(|&x| quantize(x, scale.to_f32()) as u8));
                        }
                    }
                }
            }
        }
        Cow::Owned(out)
    }

    fn data_len(&self) -> usize {
        let count: usize = self.shape.iter().product();
        match self.encoding {
            Encoding::F16 | Encoding::Q8Scales => count * 2,
            Encoding::Q8Values => count,
        }
    }
}

/// The scale of one q8 group: max|x| / 127 as f16, rounded up where f16 rounding made it
/// smaller, so that every |x| / scale stays within 127 and no value is clipped (each value is
/// then within scale / 2 of `q * scale`). Zero for an all-zero group.
fn q8_scale(group: &[f32]) -> f16 {
    let max = group.iter().fold(0f32, |m, &x| m.max(x.abs()));
    let mut scale = f16::from_f32(max / 127.0);
    while scale.to_f32() * 127.0 < max {
        scale = f16::from_bits(scale.to_bits() + 1);
    }
    scale
}

/// One value of a q8 group: round(x / scale), in -127..=127.
fn quantize(x: f32, scale: f32) -> i8 {
    if scale == 0.0 {
        return 0;
    }
    (x / scale).round().clamp(-127.0, 127.0) as i8
}

/// Makes the `"f16"` or `"q8"` variant of an f32 weight file (the module docs give the formats).
/// `position_ids` (an integer tensor) and the unused `pooler.*` tensors are left out. Holds the
/// input, the output and one tensor at a time.
pub fn convert(f32_bytes: &[u8], variant: &str) -> Result<Vec<u8>> {
    if variant != "f16" && variant != "q8" {
        return Err(Error::Config(format!(
            "cannot convert to {variant:?}: the variants are \"f16\" and \"q8\""
        )));
    }
    let source = Tensors::parse(f32_bytes)?;
    if source.variant() != "f32" {
        return Err(Error::Config(format!(
            "convert reads the f32 weight file; this one is the {} variant",
            source.variant()
        )));
    }
    let mut outputs: Vec<(String, Encoded<'_>)> = Vec::new();
    for (name, view) in source.file.iter() {
        if name.starts_with("pooler.") || view.dtype() != Dtype::F32 {
            continue;
        }
        let data = view.data();
        let bad = data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .position(|x| !x.is_finite() || x.abs() > F16_MAX);
        if let Some(index) = bad {
            return Err(Error::Config(format!(
                "tensor {name}[{index}] is not a finite number within the f16 range (±{F16_MAX}); \
                 it cannot be converted"
            )));
        }
        let shape = view.shape().to_vec();
        let cols = shape.last().copied().unwrap_or(1);
        let encoded = |encoding, shape| Encoded {
            source: data,
            cols,
            shape,
            encoding,
        };
        match (variant, shape.as_slice()) {
            ("q8", &[rows, cols]) => {
                let groups = cols.div_ceil(Q8_GROUP);
                outputs.push((name.to_string(), encoded(Encoding::Q8Values, shape.clone())));
                outputs.push((
                    format!("{name}{SCALES_SUFFIX}"),
                    encoded(Encoding::Q8Scales, vec![rows, groups]),
                ));
            }
            _ => outputs.push((name.to_string(), encoded(Encoding::F16, shape.clone()))),
        }
    }
    let mut metadata = HashMap::from([(FORMAT_KEY.to_string(), variant.to_string())]);
    if variant == "q8" {
        metadata.insert(GROUP_KEY.to_string(), Q8_GROUP.to_string());
    }
    let mut bytes = safetensors::serialize(outputs, Some(metadata))
        .map_err(|e| Error::Config(format!("could not write the {variant} weight file: {e}")))?;
    // serde_json writes the metadata in the HashMap's (random) order; one order makes the same
    // input give the same bytes, on every run and machine. Both orders have the same length.
    let unordered = format!("\"{GROUP_KEY}\":\"{Q8_GROUP}\",\"{FORMAT_KEY}\":\"q8\"");
    let ordered = format!("\"{FORMAT_KEY}\":\"q8\",\"{GROUP_KEY}\":\"{Q8_GROUP}\"");
    let header_end = bytes.len().min(8 + 4096);
    if let Some(at) = bytes[..header_end]
        .windows(unordered.len())
        .position(|w| w == unordered.as_bytes())
    {
        bytes[at..at + ordered.len()].copy_from_slice(ordered.as_bytes());
    }
    Ok(bytes)
}

/// How far one kind of tensor of a converted file is from the f32 original.
#[derive(Debug, Clone, PartialEq)]
pub struct Deviation {
    /// The tensor name without its layer (`attention.self.query.weight`,
    /// `embeddings.word_embeddings.weight`): the same kind in every layer is counted together.
    pub kind: String,
    /// How many tensors of this kind, and how many values in all.
    pub tensors: usize,
    pub values: usize,
    /// Largest and mean absolute difference from the f32 value.
    pub max: f32,
    pub mean: f32,
}

/// Compares every tensor of a converted file with the f32 file it was made from, per kind of
/// tensor (sorted by kind). Used by the converter to report what each variant costs.
pub fn deviations(f32_bytes: &[u8], converted_bytes: &[u8]) -> Result<Vec<Deviation>> {
    let mut reference = Tensors::parse(f32_bytes)?;
    let mut converted = Tensors::parse(converted_bytes)?;
    let mut kinds: std::collections::BTreeMap<String, (usize, usize, f32, f64)> =
        Default::default();
    let names: Vec<String> = converted.names().into_iter().map(String::from).collect();
    for name in names {
        let shape = converted.shape(&name).unwrap_or_default();
        let a = reference.take(&name, &shape)?;
        let b = converted.take(&name, &shape)?;
        let entry = kinds.entry(tensor_kind(&name)).or_default();
        entry.0 += 1;
        entry.1 += a.len();
        for (x, y) in a.iter().zip(&b) {
            let d = (x - y).abs();
            entry.2 = entry.2.max(d);
            entry.3 += f64::from(d);
        }
    }
    Ok(kinds
        .into_iter()
        .map(|(kind, (tensors, values, max, sum))| Deviation {
            kind,
            tensors,
            values,
            max,
            mean: (sum / values.max(1) as f64) as f32,
        })
        .collect())
}

/// A tensor's name without `encoder.layer.{L}.`.
fn tensor_kind(name: &str) -> String {
    match name.strip_prefix("encoder.layer.") {
        Some(rest) => rest
            .split_once('.')
            .map_or(rest, |(_, kind)| kind)
            .to_string(),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An f32 tensor to write into a test file.
    struct Raw {
        dtype: Dtype,
        shape: Vec<usize>,
        data: Vec<u8>,
    }

    impl View for Raw {
        fn dtype(&self) -> Dtype {
            self.dtype
        }
        fn shape(&self) -> &[usize] {
            &self.shape
        }
        fn data(&self) -> Cow<'_, [u8]> {
            Cow::Borrowed(&self.data)
        }
        fn data_len(&self) -> usize {
            self.data.len()
        }
    }

    fn f32_tensor(shape: &[usize], values: &[f32]) -> Raw {
        assert_eq!(shape.iter().product::<usize>(), values.len());
        Raw {
            dtype: Dtype::F32,
            shape: shape.to_vec(),
            data: values.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }

    /// Deterministic values of varied magnitude (weights-like, with a few outliers and zeros).
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let u = state as f32 / u32::MAX as f32 * 2.0 - 1.0;
                match i % 97 {
                    0 => 0.0,
                    1 => u * 40.0,
                    2 => u * 1e-6,
                    _ => u * 0.1,
                }
            })
            .collect()
    }

    /// A small f32 file shaped like the model's: a 2-D weight whose rows end in a partial group,
    /// a 1-D bias, the integer position_ids and a pooler tensor.
    fn f32_file() -> (Vec<u8>, Vec<f32>, Vec<f32>) {
        let weight = values(5 * 70, 1);
        let bias = values(70, 2);
        let ids: Vec<u8> = (0..4i64).flat_map(|i| i.to_le_bytes()).collect();
        let tensors = vec![
            (
                "encoder.layer.0.attention.self.query.weight",
                f32_tensor(&[5, 70], &weight),
            ),
            (
                "encoder.layer.0.attention.self.query.bias",
                f32_tensor(&[70], &bias),
            ),
            (
                "embeddings.position_ids",
                Raw {
                    dtype: Dtype::I64,
                    shape: vec![1, 4],
                    data: ids,
                },
            ),
            ("pooler.dense.bias", f32_tensor(&[3], &[1.0, 2.0, 3.0])),
        ];
        let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
        (
            safetensors::serialize(tensors, Some(metadata)).unwrap(),
            weight,
            bias,
        )
    }

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Err(Error::Config(m)) => m,
            other => panic!("expected a Config error, got {other:?}"),
        }
    }

    #[test]
    fn f32_file_reads_as_is() {
        let (bytes, weight, bias) = f32_file();
        let mut t = Tensors::parse(&bytes).unwrap();
        assert_eq!(t.variant(), "f32");
        assert_eq!(
            t.take("encoder.layer.0.attention.self.query.weight", &[5, 70])
                .unwrap(),
            weight
        );
        assert_eq!(
            t.take("encoder.layer.0.attention.self.query.bias", &[70])
                .unwrap(),
            bias
        );
    }

    #[test]
    fn f16_round_trip_is_within_f16_precision() {
        let (bytes, weight, bias) = f32_file();
        let f16_bytes = convert(&bytes, "f16").unwrap();
        let mut t = Tensors::parse(&f16_bytes).unwrap();
        assert_eq!(t.variant(), "f16");
        // position_ids and the pooler are dropped.
        assert_eq!(
            t.names(),
            [
                "encoder.layer.0.attention.self.query.bias",
                "encoder.layer.0.attention.self.query.weight"
            ]
        );
        let back = t
            .take("encoder.layer.0.attention.self.query.weight", &[5, 70])
            .unwrap();
        let back_bias = t
            .take("encoder.layer.0.attention.self.query.bias", &[70])
            .unwrap();
        for (x, y) in weight
            .iter()
            .chain(&bias)
            .zip(back.iter().chain(&back_bias))
        {
            // Half an f16 ulp: 2^-11 relative for normals, 2^-25 absolute for subnormals.
            let bound = x.abs() * 2f32.powi(-11) + 2f32.powi(-25);
            assert!((x - y).abs() <= bound, "{x} came back as {y}");
        }
        assert!(f16_bytes.len() < bytes.len());
    }

    #[test]
    fn q8_error_is_at_most_half_a_scale() {
        let (bytes, weight, bias) = f32_file();
        let q8_bytes = convert(&bytes, "q8").unwrap();
        // The same bytes every time (the metadata map is written in one order).
        for _ in 0..8 {
            assert_eq!(convert(&bytes, "q8").unwrap(), q8_bytes);
        }
        let mut t = Tensors::parse(&q8_bytes).unwrap();
        assert_eq!(t.variant(), "q8");
        assert_eq!(t.group, Q8_GROUP);
        let name = "encoder.layer.0.attention.self.query.weight";
        let raw = t.file.tensor(name).unwrap();
        assert_eq!((raw.dtype(), raw.shape()), (Dtype::I8, &[5usize, 70][..]));
        let scales = widen(&t.file.tensor(&format!("{name}.scales")).unwrap());
        assert_eq!(scales.len(), 5 * 3); // 70 columns: groups of 32, 32 and 6
        let back = t.take(name, &[5, 70]).unwrap();
        for (i, (x, y)) in weight.iter().zip(&back).enumerate() {
            let scale = scales[(i / 70) * 3 + (i % 70) / 32];
            assert!(
                (x - y).abs() <= scale / 2.0 * (1.0 + 1e-6),
                "{i}: {x} came back as {y} (scale {scale})"
            );
        }
        // 1-D tensors are F16.
        let back_bias = t
            .take("encoder.layer.0.attention.self.query.bias", &[70])
            .unwrap();
        for (x, y) in bias.iter().zip(&back_bias) {
            assert!((x - y).abs() <= x.abs() * 2f32.powi(-11) + 2f32.powi(-25));
        }
    }

    #[test]
    fn q8_scales_never_clip() {
        // Groups whose max|x| / 127 rounds down in f16, including subnormal scales.
        for max in [1e-6f32, 3.3e-5, 7.7e-3, 0.1, 1.0, 300.0, 65504.0] {
            let group: Vec<f32> = (0..32).map(|i| max * (i as f32 - 16.0) / 16.0).collect();
            let scale = q8_scale(&group);
            assert!(scale.to_f32() * 127.0 >= max, "{max}: scale {scale}");
            for &x in &group {
                let q = quantize(x, scale.to_f32());
                assert!(
                    (x - f32::from(q) * scale.to_f32()).abs()
                        <= scale.to_f32() / 2.0 * (1.0 + 1e-6)
                );
            }
        }
        assert_eq!(q8_scale(&[0.0; 32]).to_f32(), 0.0);
        assert_eq!(quantize(0.0, 0.0), 0);
    }

    #[test]
    fn deviations_are_reported_per_kind() {
        let (bytes, ..) = f32_file();
        let q8_bytes = convert(&bytes, "q8").unwrap();
        let d = deviations(&bytes, &q8_bytes).unwrap();
        let kinds: Vec<&str> = d.iter().map(|d| d.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["attention.self.query.bias", "attention.self.query.weight"]
        );
        assert!(d[1].max > 0.0 && d[1].mean <= d[1].max && d[1].values == 350);
    }

    #[test]
    fn missing_tensor_and_wrong_shape_are_named() {
        let (bytes, ..) = f32_file();
        let mut t = Tensors::parse(&bytes).unwrap();
        let m = message(t.take("encoder.layer.9.output.dense.weight", &[384, 1536]));
        assert!(
            m.contains("no tensor encoder.layer.9.output.dense.weight"),
            "{m}"
        );
        let m = message(t.take("encoder.layer.0.attention.self.query.weight", &[70, 5]));
        assert!(
            m.contains("[5, 70]") && m.contains("[70, 5]") && m.contains("query.weight"),
            "{m}"
        );
        let m = message(t.take("embeddings.position_ids", &[1, 4]));
        assert!(m.contains("I64"), "{m}");
    }

    #[test]
    fn not_a_safetensors_file() {
        for bytes in [
            &b""[..],
            b"abc",
            b"<!DOCTYPE html><html><body>404 Not Found</body></html>",
        ] {
            let m = message(Tensors::parse(bytes));
            assert!(
                m.contains("not a safetensors file") || m.contains("8-byte header length"),
                "{m}"
            );
        }
        let m = message(Tensors::parse(b"<!DOCTYPE html><html>"));
        assert!(m.contains("<!DOCTYPE"), "{m}");
    }

    #[test]
    fn truncated_file_says_how_many_bytes() {
        let (bytes, ..) = f32_file();
        let header_end = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let m = message(Tensors::parse(&bytes[..bytes.len() - 10]));
        assert!(
            m.contains("truncated") && m.contains(&format!("{} bytes", bytes.len())),
            "{m}"
        );
        assert!(m.contains(&format!("{}", bytes.len() - 10)), "{m}");
        let m = message(Tensors::parse(&bytes[..header_end - 3]));
        assert!(
            m.contains("truncated") && m.contains(&format!("{header_end} bytes")),
            "{m}"
        );
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0; 8]);
        let m = message(Tensors::parse(&longer));
        assert!(m.contains("corrupt"), "{m}");
    }

    #[test]
    fn unknown_dtype_and_corrupt_header() {
        let (bytes, ..) = f32_file();
        let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
        let with = |header: &str| {
            let mut out = (header.len() as u64).to_le_bytes().to_vec();
            out.extend_from_slice(header.as_bytes());
            out.extend_from_slice(&bytes[8 + n..]);
            out
        };
        let m = message(Tensors::parse(&with(
            &header.replacen("\"I64\"", "\"Q4\"", 1),
        )));
        assert!(m.contains("unknown dtype \"Q4\""), "{m}");
        let m = message(Tensors::parse(&with(&header.replacen(
            "data_offsets",
            "data_offset",
            1,
        ))));
        assert!(m.contains("header is corrupt"), "{m}");
        let m = message(Tensors::parse(&with(
            &header.replacen("\"I64\"", "\"F32\"", 1),
        )));
        assert!(m.contains("corrupt"), "{m}");
        let q8 = convert(&bytes, "q8").unwrap();
        let n = u64::from_le_bytes(q8[..8].try_into().unwrap()) as usize;
        let h = std::str::from_utf8(&q8[8..8 + n])
            .unwrap()
            .replacen("\"32\"", "\"0\"", 1);
        let mut bad = (h.len() as u64).to_le_bytes().to_vec();
        bad.extend_from_slice(h.as_bytes());
        bad.extend_from_slice(&q8[8 + n..]);
        let m = message(Tensors::parse(&bad));
        assert!(m.contains("group size"), "{m}");
    }

    #[test]
    fn convert_refuses_bad_requests() {
        let (bytes, ..) = f32_file();
        assert!(message(convert(&bytes, "q4")).contains("\"f16\" and \"q8\""));
        let f16_bytes = convert(&bytes, "f16").unwrap();
        assert!(message(convert(&f16_bytes, "q8")).contains("reads the f32 weight file"));
        // Empty tensors convert to empty tensors.
        let empty = safetensors::serialize([("e", f32_tensor(&[3, 0], &[]))], None).unwrap();
        let q8_empty = convert(&empty, "q8").unwrap();
        assert!(Tensors::parse(&q8_empty)
            .unwrap()
            .take("e", &[3, 0])
            .unwrap()
            .is_empty());
        let huge = safetensors::serialize([("w", f32_tensor(&[2], &[1.0, 1e6]))], None).unwrap();
        let m = message(convert(&huge, "f16"));
        assert!(m.contains("w[1]") && m.contains("f16 range"), "{m}");
    }

    /// Every cut and every damaged byte of every variant gives an error or tensors, never a panic.
    #[test]
    fn damaged_files_never_panic() {
        let (bytes, ..) = f32_file();
        for file in [
            bytes.clone(),
            convert(&bytes, "f16").unwrap(),
            convert(&bytes, "q8").unwrap(),
        ] {
            let take_all = |b: &[u8]| {
                if let Ok(mut t) = Tensors::parse(b) {
                    let names: Vec<String> = t.names().into_iter().map(String::from).collect();
                    for name in names {
                        let shape = t.shape(&name).unwrap();
                        let _ = t.take(&name, &shape);
                    }
                }
            };
            for len in 0..file.len() {
                assert!(
                    Tensors::parse(&file[..len]).is_err(),
                    "a file cut to {len} bytes parsed"
                );
            }
            for i in 0..file.len() {
                for flip in [0x01u8, 0x80, 0xff] {
                    let mut damaged = file.clone();
                    damaged[i] ^= flip;
                    take_all(&damaged);
                }
            }
        }
    }
}
