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
    let bytes = std::fs::read(spec).map_err(|e| ImportError {
        file: spec.to_string(),
        line: 0,
        message: e.to_string(),
    })?;
    Ok((spec.to_string(), bytes))
}
