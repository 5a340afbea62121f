//! One error type for every bad input the engine can be handed.
//!
//! Messages are written for the person who typed the input (a learner on the page, an engineer
//! calling `attention()`), so each one names the offending value and what would be accepted.

use std::fmt;

/// What went wrong, in words a caller can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A size is zero, inconsistent or not divisible as required.
    Shape(String),
    /// A buffer's length does not match the sizes it was declared with.
    Length {
        name: &'static str,
        expected: usize,
        got: usize,
    },
    /// A mask parameter is invalid or names a token outside the sequence.
    Mask(String),
    /// An input contains NaN or an infinity.
    NonFinite { name: &'static str, index: usize },
    /// The buffers the request needs would exceed what the engine may allocate.
    TooLarge {
        what: String,
        bytes: u64,
        limit: u64,
    },
    /// Any other invalid option (scale, model sizes, overrides, stage names).
    Config(String),
    /// The GPU path failed: no adapter, a device or shader error, a lost device.
    Gpu(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Shape(m) | Error::Mask(m) | Error::Config(m) | Error::Gpu(m) => f.write_str(m),
            Error::Length { name, expected, got } => write!(
                f,
                "{name} has {got} numbers but the sizes given need {expected}"
            ),
            Error::NonFinite { name, index } => write!(
                f,
                "{name}[{index}] is not a finite number (NaN or infinity); attention needs finite inputs"
            ),
            Error::TooLarge { what, bytes, limit } => write!(
                f,
                "{what} would need {} MiB, more than the {} MiB this engine may use; use fewer tokens or heads",
                bytes.div_ceil(1 << 20),
                limit >> 20
            ),
        }
    }
}

impl std::error::Error for Error {}

/// The most memory one request may ask for. A wasm32 module can address 4 GiB at most, and the
/// threaded build is linked with a 1 GiB maximum, so requests are kept well inside that.
pub const MEMORY_LIMIT_BYTES: u64 = 768 << 20;

/// Checks that `count` f32 values (with overflow treated as too large) fit in the memory limit.
pub fn check_f32_budget(what: &str, count: Option<u64>) -> Result<()> {
    let bytes = count.and_then(|c| c.checked_mul(4)).unwrap_or(u64::MAX);
    if bytes > MEMORY_LIMIT_BYTES {
        return Err(Error::TooLarge {
            what: what.to_string(),
            bytes,
            limit: MEMORY_LIMIT_BYTES,
        });
    }
    Ok(())
}

/// Returns the index of the first non-finite value, if any.
pub fn check_finite(name: &'static str, data: &[f32]) -> Result<()> {
    match data.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(Error::NonFinite { name, index }),
        None => Ok(()),
    }
}
