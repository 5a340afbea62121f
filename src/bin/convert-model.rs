//! Makes the page's smaller weight files from all-MiniLM-L6-v2's f32 safetensors file:
//!
//!   convert-model <in.safetensors> <out-dir>
//!
//! writes `<out-dir>/minilm-l6.f16.safetensors` and `<out-dir>/minilm-l6.q8.safetensors` and
//! prints each file's size and how far its weights are from f32, per kind of tensor. Run by
//! scripts/model.sh; the formats and the conversion live in `attention_playground::model::minilm::weights`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use attention_playground::model::minilm::weights::{convert, deviations};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out_dir] = args.as_slice() else {
        eprintln!("usage: convert-model <in.safetensors> <out-dir>");
        return ExitCode::from(2);
    };
    match run(Path::new(input), Path::new(out_dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("convert-model: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(input: &Path, out_dir: &Path) -> Result<(), String> {
    let f32_bytes =
        std::fs::read(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    println!("{}: {}", input.display(), megabytes(f32_bytes.len()));
    for variant in ["f16", "q8"] {
        let bytes = convert(&f32_bytes, variant).map_err(|e| e.to_string())?;
        let path: PathBuf = out_dir.join(format!("minilm-l6.{variant}.safetensors"));
        std::fs::write(&path, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("{}: {}", path.display(), megabytes(bytes.len()));
        println!(
            "  {:<40} {:>8} {:>11} {:>11}",
            "deviation from f32", "values", "max |d|", "mean |d|"
        );
        for d in deviations(&f32_bytes, &bytes).map_err(|e| e.to_string())? {
            println!(
                "  {:<40} {:>8} {:>11.3e} {:>11.3e}",
                format!("{} (x{})", d.kind, d.tensors),
                d.values,
                d.max,
                d.mean
            );
        }
    }
    Ok(())
}

fn megabytes(bytes: usize) -> String {
    format!("{bytes} bytes ({:.1} MB)", bytes as f64 / 1e6)
}
