//! Runs: list, create, open, and every write the checklist makes. Each write is one engine
//! operation on the engine's own request type, recorded under the app user's name and answered
//! with the run's new `RunLive` (`Host::write`).

use flightdeck_engine::run::{
    self, CheckReq, CreateReq, DecideReq, NoteReq, SetFieldReq, SetMetaReq, SignOffReq,
};
use tauri::State;

use crate::error::IpcError;
use crate::host::Host;
use crate::view::{self, RunDoc, RunLive, RunSummary};

#[tauri::command]
pub async fn list_runs(host: State<'_, Host>) -> Result<Vec<RunSummary>, IpcError> {
    host.blocking(|store| view::summaries(store)).await
}

/// Start a run; answers the new run's id.
#[tauri::command]
pub async fn create_run(host: State<'_, Host>, req: CreateReq) -> Result<String, IpcError> {
    let by = host.user_name()?;
    host.blocking(move |store| Ok(run::create(store, &by, req)?.id))
        .await
}

#[tauri::command]
pub async fn open_run(host: State<'_, Host>, run: String) -> Result<RunDoc, IpcError> {
    host.blocking(move |store| view::run_doc(store, &run)).await
}

#[tauri::command]
pub async fn run_live(host: State<'_, Host>, run: String) -> Result<RunLive, IpcError> {
    host.blocking(move |store| view::run_live(store, &run)).await
}

/// Each write: a command named as the window calls it, taking the engine's request as it is
/// and recording it with the engine's operation (`Host::write`).
macro_rules! write_commands {
    ($($(#[$doc:meta])* $command:ident($req:ty) => $op:path;)*) => {$(
        $(#[$doc])*
        #[tauri::command]
        pub async fn $command(host: State<'_, Host>, req: $req) -> Result<RunLive, IpcError> {
            host.write(req, $op).await
        }
    )*};
}

write_commands! {
    /// Tick an item, or untick it (`checked: false`).
    check_item(CheckReq) => run::check;
    /// Fill a field; the value must fit its kind.
    set_field(SetFieldReq) => run::set_field;
    /// Set a header metadata value.
    set_meta(SetMetaReq) => run::set_meta;
    /// Add a note to the run or one of its items.
    add_note(NoteReq) => run::note;
    /// Record a sign-off; refused while its scope is incomplete, unless overridden.
    sign_off(SignOffReq) => run::signoff;
    /// Record the GO / NO-GO decision.
    decide(DecideReq) => run::decide;
}
