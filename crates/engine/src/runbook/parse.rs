//! Markdown (CommonMark + GFM) → `Runbook`.

use std::path::Path;

use super::model::Runbook;

/// Why a file could not be imported, and where (`line` is 1-based; 0 when no line applies).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ImportError {
    pub file: String,
    pub line: u32,
    pub message: String,
}

pub fn load(path: &Path) -> Result<Runbook, ImportError> {
    let (name, bytes) = super::read_source(&path.display().to_string())?;
    parse(&name, &bytes)
}

pub fn parse(name: &str, _bytes: &[u8]) -> Result<Runbook, ImportError> {
    Err(ImportError { file: name.to_string(), line: 0, message: "not yet".into() })
}
