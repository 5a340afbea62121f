//! Weight files of the real model (f32, f16 and 8-bit safetensors).
