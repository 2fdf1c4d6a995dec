//! Runs: list, create, open, and every write the checklist makes. Each write is one engine
//! operation recorded under the app user's name, answered with the run's new `RunLive`.

use flightdeck_engine::run::{self, Verdict};
use flightdeck_engine::runbook;
use serde::Deserialize;
use tauri::State;
use ts_rs::TS;

use crate::error::IpcError;
use crate::host::Host;
use crate::view::{self, RunDoc, RunLive, RunSummary};

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CreateRunReq {
    /// A runbook file path, or `bundled:NAME`.
    pub source: String,
    pub env: String,
    pub release: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CheckItemReq {
    pub run: String,
    pub item: String,
    /// `false` unchecks.
    pub checked: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetFieldReq {
    pub run: String,
    pub field: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetMetaReq {
    pub run: String,
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct AddNoteReq {
    pub run: String,
    pub text: String,
    pub item: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SignOffReq {
    pub run: String,
    /// The sign-off id (`pre-flight-gates`).
    pub signoff: String,
    pub override_reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct DecideReq {
    pub run: String,
    pub decision: Verdict,
    pub rationale: String,
    pub override_reason: Option<String>,
}

#[tauri::command]
pub async fn list_runs(host: State<'_, Host>) -> Result<Vec<RunSummary>, IpcError> {
    host.blocking(|store| view::summaries(store)).await
}

/// Start a run; answers the new run's id.
#[tauri::command]
pub async fn create_run(host: State<'_, Host>, req: CreateRunReq) -> Result<String, IpcError> {
    let by = host.user_name()?;
    host.blocking(move |store| {
        let (runbook_name, source) = runbook::read_source(req.source.trim())?;
        let req = run::CreateReq {
            runbook_name,
            source,
            env: req.env,
            release: req.release,
            by,
        };
        Ok(run::create(store, req)?.id)
    })
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

#[tauri::command]
pub async fn check_item(host: State<'_, Host>, req: CheckItemReq) -> Result<RunLive, IpcError> {
    let by = host.user_name()?;
    host.blocking(move |store| {
        let applied = run::check(
            store,
            run::CheckReq {
                run: req.run,
                item: req.item,
                checked: req.checked,
                by,
            },
        )?;
        view::run_live(store, &applied.run_id)
    })
    .await
}

#[tauri::command]
pub async fn set_field(host: State<'_, Host>, req: SetFieldReq) -> Result<RunLive, IpcError> {
    let by = host.user_name()?;
    host.blocking(move |store| {
        let applied = run::set_field(
            store,
            run::SetFieldReq {
                run: req.run,
                field: req.field,
                value: req.value,
                by,
            },
        )?;
        view::run_live(store, &applied.run_id)
    })
    .await
}

#[tauri::command]
pub async fn set_meta(host: State<'_, Host>, req: SetMetaReq) -> Result<RunLive, IpcError> {
    let by = host.user_name()?;
    host.blocking(move |store| {
        let applied = run::set_meta(
            store,
            run::SetMetaReq {
                run: req.run,
                key: req.key,
                value: req.value,
                by,
            },
        )?;
        view::run_live(store, &applied.run_id)
    })
    .await
}

#[tauri::command]
pub async fn add_note(host: State<'_, Host>, req: AddNoteReq) -> Result<RunLive, IpcError> {
    let by = host.user_name()?;
    host.blocking(move |store| {
        let applied = run::note(
            store,
            run::NoteReq {
                run: req.run,
                text: req.text,
                item: req.item,
                by,
            },
        )?;
        view::run_live(store, &applied.run_id)
    })
    .await
}

#[tauri::command]
pub async fn sign_off(host: State<'_, Host>, req: SignOffReq) -> Result<RunLive, IpcError> {
    let by = host.user_name()?;
    host.blocking(move |store| {
        let req = run::SignOffReq {
            run: req.run,
            target: req.signoff,
            by,
            override_reason: req.override_reason,
        };
        let applied = run::signoff(store, req)?;
        view::run_live(store, &applied.run_id)
    })
    .await
}

#[tauri::command]
pub async fn decide(host: State<'_, Host>, req: DecideReq) -> Result<RunLive, IpcError> {
    let by = host.user_name()?;
    host.blocking(move |store| {
        let req = run::DecideReq {
            run: req.run,
            decision: req.decision,
            by,
            rationale: req.rationale,
            override_reason: req.override_reason,
        };
        let applied = run::decide(store, req)?;
        view::run_live(store, &applied.run_id)
    })
    .await
}
