//! Runbooks the app can start a run from.

use flightdeck_engine::runbook::BUNDLED;
use serde::Serialize;
use ts_rs::TS;

use crate::error::IpcError;

/// A runbook shipped inside the app, as the start screen lists it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BundledRunbook {
    /// What follows `bundled:` (e.g. `m31`).
    pub name: String,
    pub file: String,
    pub description: String,
}

#[tauri::command]
pub async fn bundled_runbooks() -> Result<Vec<BundledRunbook>, IpcError> {
    Ok(BUNDLED
        .iter()
        .map(|b| BundledRunbook {
            name: b.name.into(),
            file: b.file.into(),
            description: b.description.into(),
        })
        .collect())
}
