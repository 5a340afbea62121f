//! The JavaScript API: a thin layer that parses JS values with serde, calls the engine and
//! converts back, one file per concern: `attention` (attention, attentionAsync), `masks`
//! (masks, maskInfo), `trace` (trace, tokenize), `info` (stages, buildInfo), `gpu` (webgpuInfo).
//!
//! Every bad input becomes a JS `Error` whose message names the offending field, and every size
//! is checked against the engine's budgets before anything loops or allocates: nothing here
//! panics on user input. The TypeScript declarations of every export are emitted into the
//! package's `.d.ts` from the `typescript_custom_section`s of these files
//! (tests/types/check.sh type-checks an example against them).

mod attention;
mod gpu;
mod info;
mod masks;
mod model;
mod trace;

pub use attention::{attention, attention_async};
pub use gpu::{webgpu_destroy_device, webgpu_info};
pub use info::{build_info, models, stages};
pub use masks::mask_info;
pub use model::{head_patterns, load_model, JsModel};
pub use trace::{tokenize, trace};

// `initThreadPool(n)` (threaded builds only): starts n rayon workers sharing this module's memory.
// Call it once, from a Web Worker (the main thread may not block on Atomics.wait).
#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

use js_sys::{Array, Object, Reflect};
use serde::de::{self, DeserializeOwned, Deserializer, Unexpected, Visitor};
use serde::Deserialize;
use std::fmt;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

pub(crate) fn js_err(e: impl fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// What a JS value is, for messages: "undefined", "null", "an Array", "string", "object", ...
pub(crate) fn describe(v: &JsValue) -> String {
    if v.is_undefined() {
        "undefined".into()
    } else if v.is_null() {
        "null".into()
    } else if Array::is_array(v) {
        "an Array".into()
    } else {
        v.js_typeof()
            .as_string()
            .unwrap_or_else(|| "a value".into())
    }
}

/// Is `v` a plain object (not null, not an Array)?
pub(crate) fn is_object(v: &JsValue) -> bool {
    v.is_object() && !Array::is_array(v)
}

pub(crate) fn set(obj: &Object, key: &'static str, value: impl Into<JsValue>) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, &js_str(key), &value.into());
}

thread_local! {
    static STRINGS: std::cell::RefCell<std::collections::HashMap<&'static str, JsValue>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// A fixed string (a property name, a stage or axis name) as a JS string, made once per thread:
/// each string made from wasm memory is a TextDecoder call (and a copy, from shared memory),
/// and a trace's thousands of properties came to milliseconds of them.
pub(crate) fn js_str(s: &'static str) -> JsValue {
    STRINGS.with(|m| {
        m.borrow_mut()
            .entry(s)
            .or_insert_with(|| JsValue::from_str(s))
            .clone()
    })
}

/// The largest size, count or index JS may pass: 2^31, far past every budget, and small enough
/// that rounding a size up to a tile or lane multiple cannot overflow a wasm32 `usize`.
const COUNT_MAX: u64 = 1 << 31;

/// A size, count or index from JS: a whole number from 0 to 2^31. Negative, fractional,
/// NaN, infinite, too large and non-number values are refused (serde-wasm-bindgen would accept
/// none of them either, but says "expected usize").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Count(pub usize);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a whole number from 0 to {COUNT_MAX}")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                if v <= COUNT_MAX {
                    Ok(Count(v as usize))
                } else {
                    Err(E::invalid_value(Unexpected::Unsigned(v), &self))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::invalid_value(Unexpected::Signed(v), &self)),
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Count, E> {
                // serde-wasm-bindgen hands safe integers to visit_i64: this is fractional, huge,
                // NaN or infinite.
                Err(E::invalid_value(Unexpected::Float(v), &self))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Count, E> {
                Err(E::invalid_type(
                    Unexpected::Other("null or undefined"),
                    &self,
                ))
            }
        }
        d.deserialize_any(V)
    }
}

/// A list of booleans: a Uint8Array (non-zero = true) or an Array of booleans or 0/1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bits(pub Vec<bool>);

impl<'de> Deserialize<'de> for Bits {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Bit(bool);
        impl<'de> Deserialize<'de> for Bit {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Bit;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("true/false or 0/1")
                    }
                    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Bit, E> {
                        Ok(Bit(v))
                    }
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bit, E> {
                        match v {
                            0 | 1 => Ok(Bit(v == 1)),
                            _ => Err(E::invalid_value(Unexpected::Signed(v), &self)),
                        }
                    }
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bit, E> {
                        self.visit_i64(v.min(2) as i64)
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Bit, E> {
                        Err(E::invalid_value(Unexpected::Float(v), &self))
                    }
                }
                d.deserialize_any(V)
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Bits;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Uint8Array or an Array of booleans")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Bits, E> {
                Ok(Bits(v.iter().map(|&b| b != 0).collect()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Bits, E> {
                self.visit_bytes(&v)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Bits, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(Bit(b)) = seq.next_element()? {
                    out.push(b);
                }
                Ok(Bits(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Bits, E> {
                Err(E::invalid_type(
                    Unexpected::Other("null or undefined"),
                    &self,
                ))
            }
        }
        d.deserialize_any(V)
    }
}

/// The field names of a `#[derive(Deserialize)]` struct, read from the derive itself (so the
/// unknown-field check below has no second list to keep in step).
fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Probe<'a>(&'a mut &'static [&'static str]);
    impl<'de> Deserializer<'de> for Probe<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("probed"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

/// Why one level of an options object did not parse.
pub(crate) enum ParseError {
    NotObject,
    UnknownField {
        key: String,
        fields: Vec<&'static str>,
    },
    /// `path` is the field inside the object (`size`, `globals[2]`), empty for the object itself.
    Field {
        path: String,
        message: String,
    },
}

impl ParseError {
    /// `base` joined to the field's path: `mask.masks[1]` + `size` = `mask.masks[1].size`.
    pub(crate) fn at(base: &str, path: &str) -> String {
        match (base.is_empty(), path.is_empty()) {
            (_, true) => base.to_string(),
            (true, false) => path.to_string(),
            (false, false) if path.starts_with('[') => format!("{base}{path}"),
            _ => format!("{base}.{path}"),
        }
    }
}

/// Parses one level of an options object into `T`. serde-wasm-bindgen only looks up the fields
/// a struct has, so unknown keys (a typo such as `head_dim`) are refused here first (`extra`:
/// keys the caller has read itself, such as a mask's `kind`); nested
/// objects that need the same care are `JsValue` fields (`serde_wasm_bindgen::preserve`) that the
/// caller parses with this function in turn, under their path.
pub(crate) fn parse_object<T: DeserializeOwned>(
    v: &JsValue,
    extra: &[&'static str],
) -> Result<T, ParseError> {
    if !is_object(v) {
        return Err(ParseError::NotObject);
    }
    let fields = fields_of::<T>();
    for key in Object::keys::<JsValue>(v.unchecked_ref()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !fields.contains(&key.as_str()) && !extra.contains(&key.as_str()) {
            let fields = extra.iter().chain(fields).copied().collect();
            return Err(ParseError::UnknownField { key, fields });
        }
    }
    serde_path_to_error::deserialize(serde_wasm_bindgen::Deserializer::from(v.clone())).map_err(
        |e| {
            let path = e.path().to_string();
            let message = e.inner().to_string();
            ParseError::Field {
                path: if path == "." { String::new() } else { path },
                message: message
                    .strip_prefix("Error: ")
                    .unwrap_or(&message)
                    .to_string(),
            }
        },
    )
}

/// [`parse_object`] for a top-level argument, with messages that start with `what`
/// ("attention options: unknown field `head_dim`, expected one of heads, ...").
pub(crate) fn options<T: DeserializeOwned>(what: &str, v: &JsValue) -> Result<T, JsError> {
    options_with(what, v, &[])
}

/// [`options`] where the object may also hold the `extra` keys, which the caller reads itself.
pub(crate) fn options_with<T: DeserializeOwned>(
    what: &str,
    v: &JsValue,
    extra: &[&'static str],
) -> Result<T, JsError> {
    parse_object(v, extra).map_err(|e| {
        js_err(match e {
            ParseError::NotObject => format!("{what} must be an object, got {}", describe(v)),
            ParseError::UnknownField { key, fields } => format!(
                "{what}: unknown field `{key}`, expected one of {}",
                fields.join(", ")
            ),
            ParseError::Field { path, message } if path.is_empty() => format!("{what}: {message}"),
            ParseError::Field { path, message } => format!("{what}: {path}: {message}"),
        })
    })
}

/// A top-level size argument (`maskInfo(mask, seqQ, seqKv)`): a [`Count`], named in the message.
pub(crate) fn count_arg(name: &str, v: &JsValue) -> Result<usize, JsError> {
    Count::deserialize(serde_wasm_bindgen::Deserializer::from(v.clone()))
        .map(|c| c.0)
        .map_err(|e| {
            let msg = e.to_string();
            js_err(format!(
                "{name}: {}",
                msg.strip_prefix("Error: ").unwrap_or(&msg)
            ))
        })
}

/// A top-level text argument, checked against the memory budget before it is copied in or
/// split: tokens and their copies take at most ~9 numbers' worth of memory per UTF-16 unit.
pub(crate) fn text_arg(name: &str, v: &JsValue) -> Result<String, JsError> {
    let Some(s) = v.dyn_ref::<js_sys::JsString>() else {
        return Err(js_err(format!(
            "{name} must be a string, got {}",
            describe(v)
        )));
    };
    check_text(name, s.length() as usize)?;
    Ok(String::from(s))
}

/// The memory budget for a text of `len` UTF-16 units (see [`text_arg`]).
pub(crate) fn check_text(name: &str, len: usize) -> Result<(), JsError> {
    crate::error::check_f32_budget(
        &format!("{name} ({len} characters)"),
        (len as u64).checked_mul(9),
    )
    .map_err(js_err)
}
