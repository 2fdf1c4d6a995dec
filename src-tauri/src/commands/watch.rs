//! Live updates: the store's run heads, sent over a channel whenever any run's log moves.

use flightdeck_engine::store::RunHead;
use tauri::ipc::Channel;
use tauri::State;

use crate::error::IpcError;
use crate::host::Host;

/// Start (or restart) the store watcher; `on_change` gets every run's head now and whenever
/// one moves, whoever wrote it.
#[tauri::command]
pub async fn watch_store(host: State<'_, Host>, on_change: Channel<Vec<RunHead>>) -> Result<(), IpcError> {
    crate::watch::spawn(host.store_path(), host.watch_generation.clone(), move |heads| {
        on_change.send(heads.to_vec()).is_ok()
    })
}
