//! The app itself: how it was launched, who is using it, and when the UI first painted.

use std::fmt::Write as _;

use serde::Serialize;
use tauri::State;
use ts_rs::TS;

use crate::error::IpcError;
use crate::host::Host;
use crate::signals::ChartRender;
use crate::zone::ZoneSpan;

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
    /// The local zone's offsets from UTC about 20 years either side of now, the last span marking
    /// the end: the page writes and reads local times with them (`ui/src/lib/shared/time.ts`;
    /// `zone.rs` says why).
    pub utc_offsets: Vec<ZoneSpan>,
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
        utc_offsets: crate::zone::local_offsets(time::OffsetDateTime::now_utc().unix_timestamp()),
    }
}

/// The page's first script: the [`LaunchInfo`] as `window.__FLIGHTDECK_LAUNCH__` and, for a run
/// opened from the command line, that run as `open_run` answers it now
/// (`window.__FLIGHTDECK_OPEN_RUN__`), so the UI shows its first screen without waiting for IPC
/// round trips (`ui/src/lib/backend/tauri.ts` answers its first `launchInfo` and its first
/// `openRun` of that run from them). A write from another process before the page reads the run
/// is caught like any other: the store watcher's first heads come at once and the run screen
/// reloads when its head moved.
///
/// The script is plain ASCII (every other character a `\u` escape, see [`ascii`]): WebKit keeps
/// an initialization script for the window's life, in the app's process and in the page's, and
/// holds text one byte a character only while all of it is ASCII; the M31 run's ~130 KB of JSON
/// has a few dozen typographic characters (“ ” — ✓), each of which made the whole of it two bytes
/// a character in both processes.
pub fn launch_script(host: &Host) -> String {
    // JSON is a JavaScript expression; whatever fails to serialise here the UI asks over IPC.
    let info = launch_info_of(host);
    let mut script = match serde_json::to_string(&info) {
        Ok(json) => format!("window.__FLIGHTDECK_LAUNCH__ = {json};"),
        Err(_) => return String::new(),
    };
    // A local file only: on a shared Postgres store this read would hold the window back for a
    // round trip to the server, where the IPC call overlaps WebKit's start. An error (no such
    // run) is left to `open_run`, which reports it in the window.
    let local = !flightdeck_engine::store::pg::is_postgres(&host.launch().store);
    if let Some(run) = info.open_run.filter(|_| local) {
        let doc = host.read_now(|store| crate::view::run_doc(store, &run)).ok();
        let json =
            doc.and_then(|doc| serde_json::to_string(&serde_json::json!({ "run": run, "doc": doc })).ok());
        if let Some(json) = json {
            script.push_str(&format!("window.__FLIGHTDECK_OPEN_RUN__ = {json};"));
        }
    }
    ascii(script)
}

/// `json` with every character outside ASCII written as a JSON `\uXXXX` escape (two, a
/// surrogate pair, above U+FFFF): the same value to a JSON or JavaScript parser. serde_json's
/// output has such characters only inside strings, where an escape means the character.
pub fn ascii(json: String) -> String {
    if json.is_ascii() {
        return json;
    }
    let mut out = String::with_capacity(json.len() + json.len() / 8);
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    out
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
