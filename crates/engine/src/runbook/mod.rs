//! Runbooks: the model (`model`), the Markdown importer (`parse`, with the field-line grammar in
//! `fields` and the warnings about task look-alikes in `tasklike`) and the runbooks bundled with
//! Flightdeck (`bundled:NAME`).

mod fields;
mod model;
mod parse;
mod tasklike;

pub use model::*;
pub use parse::{load, parse, ImportError, MAX_BYTES};

/// A runbook shipped inside the binary.
#[derive(Debug, Clone, Copy)]
pub struct Bundled {
    /// What follows `bundled:` on the command line.
    pub name: &'static str,
    pub file: &'static str,
    pub description: &'static str,
    pub source: &'static str,
}

pub const BUNDLED: &[Bundled] = &[Bundled {
    name: "m31",
    file: "m31-production-cutover.md",
    description: "M31 production cutover checklist, annotated for the sandbox",
    source: include_str!("../../runbooks/m31.md"),
}];

pub fn bundled(name: &str) -> Option<&'static Bundled> {
    BUNDLED.iter().find(|b| b.name == name)
}

/// Read a runbook from a path, or from `bundled:NAME`. Returns the file name and the bytes.
pub fn read_source(spec: &str) -> Result<(String, Vec<u8>), ImportError> {
    if let Some(name) = spec.strip_prefix("bundled:") {
        return bundled(name)
            .map(|b| (b.file.to_string(), b.source.as_bytes().to_vec()))
            .ok_or_else(|| {
                let known: Vec<_> = BUNDLED.iter().map(|b| format!("bundled:{}", b.name)).collect();
                ImportError {
                    file: spec.to_string(),
                    line: 0,
                    message: format!("no bundled runbook `{name}` (there is {})", known.join(", ")),
                }
            });
    }
    let bytes = read_capped(std::path::Path::new(spec), MAX_BYTES as u64).map_err(|message| ImportError {
        file: spec.to_string(),
        line: 0,
        message,
    })?;
    Ok((spec.to_string(), bytes))
}

/// The file at `path`, refused before anything is read when it is over `cap` bytes, and read
/// through a `cap + 1` window so a file that grows, or a device like `/dev/zero`, stops there.
fn read_capped(path: &std::path::Path, cap: u64) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if meta.is_dir() {
        return Err("is a directory, not a runbook file".into());
    }
    if meta.len() > cap {
        return Err(format!(
            "file is {} bytes; runbooks are limited to {} MiB",
            meta.len(),
            cap >> 20
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > cap {
        return Err(format!(
            "file is over {} MiB; runbooks are limited to that",
            cap >> 20
        ));
    }
    Ok(bytes)
}
