//! The app itself: how it was launched, who is using it, and when the UI first painted.

use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::error::IpcError;
use crate::host::Host;
use crate::signals::ChartRender;

/// What the UI needs before its first screen.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct LaunchInfo {
    pub store_path: String,
    /// The run `--open` named, if any.
    pub open_run: Option<String>,
    /// The name events are recorded under; `None` until the user gives one.
    pub user_name: Option<String>,
    pub version: String,
    /// Who draws the Signals view's charts (`--charts`).
    pub charts: ChartRender,
    /// Open `open_run` with its Signals view showing (`--view signals`).
    pub open_signals: bool,
}

#[tauri::command]
pub async fn launch_info(host: State<'_, Host>) -> Result<LaunchInfo, IpcError> {
    Ok(launch_info_of(&host))
}

fn launch_info_of(host: &Host) -> LaunchInfo {
    LaunchInfo {
        store_path: host.store_path().display().to_string(),
        open_run: host.launch().open.clone(),
        user_name: host.settings().user_name,
        version: env!("CARGO_PKG_VERSION").to_string(),
        charts: host.launch().charts,
        open_signals: host.launch().open_signals,
    }
}

/// The page's first script: the [`LaunchInfo`] as `window.__FLIGHTDECK_LAUNCH__`, so the UI can
/// choose its first screen without waiting for an IPC round trip (the first one costs ~55 ms in
/// a release build; `ui/src/lib/backend/tauri.ts` answers its first `launchInfo` from it).
pub fn launch_script(host: &Host) -> String {
    // JSON is a JavaScript expression; should it ever fail to serialise, the UI asks over IPC.
    match serde_json::to_string(&launch_info_of(host)) {
        Ok(json) => format!("window.__FLIGHTDECK_LAUNCH__ = {json};"),
        Err(_) => String::new(),
    }
}

/// Save the name every event from this app is recorded under; answers the saved name.
#[tauri::command]
pub async fn set_user_name(host: State<'_, Host>, name: String) -> Result<String, IpcError> {
    Ok(host.set_user_name(&name)?.user_name.unwrap_or_default())
}

/// The UI painted its first screen. With `FLIGHTDECK_TIMING=1` the time since process start is
/// printed once on stderr (`tests/e2e/measure.sh` reads it).
#[tauri::command]
pub async fn ui_ready(host: State<'_, Host>) -> Result<(), IpcError> {
    if let Some(ms) = host.first_paint() {
        if std::env::var_os("FLIGHTDECK_TIMING").is_some() {
            eprintln!("flightdeck-app: first paint {ms} ms after start");
        }
    }
    Ok(())
}
