//! Tauri commands: one-line adapters over the engine. No logic of their own lives here.

use flightdeck_engine::runbook::BUNDLED;
use serde::Serialize;

/// A runbook shipped inside the app, as the start screen lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundledRunbook {
    /// What follows `bundled:` (e.g. `m31`).
    pub name: &'static str,
    pub description: &'static str,
}

/// The runbooks bundled with Flightdeck.
#[tauri::command]
pub fn bundled_runbooks() -> Vec<BundledRunbook> {
    BUNDLED
        .iter()
        .map(|b| BundledRunbook {
            name: b.name,
            description: b.description,
        })
        .collect()
}
