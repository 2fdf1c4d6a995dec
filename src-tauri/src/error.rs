//! The one error the UI ever receives: `{code, message, missing}`, `code` a closed set typed in
//! TypeScript (`ErrorCode`).
//!
//! Owns the mapping from engine errors to codes (the same categories as the CLI's exit codes)
//! and nothing else; messages are the engine's own, which already say what and where.

use flightdeck_engine::environments::EnvError;
use flightdeck_engine::run::{self, Incomplete};
use flightdeck_engine::secrets::KeyringError;
use flightdeck_engine::store::StoreError;
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    Invalid,
    /// Refused because something in scope is not done; `missing` lists it. An override reason
    /// would accept it.
    Incomplete,
    Conflict,
    /// A step changes the target of a production environment: the UI asks, then retries
    /// with `confirmed`.
    Confirm,
    /// The OS keyring cannot be used (locked, no Secret Service, no D-Bus); the message says
    /// what to do. Nothing that needs no secret is affected.
    Keyring,
    Store,
    Import,
    /// No user name is set yet: the app asks for one before anything is recorded.
    NoUser,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    /// What is not done, for `incomplete`; empty otherwise.
    pub missing: Vec<Incomplete>,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        IpcError {
            code,
            message: message.into(),
            missing: Vec::new(),
        }
    }
}

impl std::fmt::Display for IpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<run::Error> for IpcError {
    fn from(e: run::Error) -> Self {
        let code = match e.code() {
            "not_found" => ErrorCode::NotFound,
            "invalid" => ErrorCode::Invalid,
            "incomplete" => ErrorCode::Incomplete,
            "conflict" => ErrorCode::Conflict,
            "confirm" => ErrorCode::Confirm,
            "import" => ErrorCode::Import,
            _ => ErrorCode::Store,
        };
        let missing = match &e {
            run::Error::Incomplete { missing, .. } => missing.clone(),
            _ => Vec::new(),
        };
        IpcError {
            code,
            message: e.to_string(),
            missing,
        }
    }
}

impl From<StoreError> for IpcError {
    fn from(e: StoreError) -> Self {
        run::Error::from(e).into()
    }
}

impl From<EnvError> for IpcError {
    fn from(e: EnvError) -> Self {
        let code = match e.code() {
            "not_found" => ErrorCode::NotFound,
            "conflict" => ErrorCode::Conflict,
            "invalid" => ErrorCode::Invalid,
            c if c.starts_with("keyring") => ErrorCode::Keyring,
            _ => ErrorCode::Store,
        };
        IpcError::new(code, e.to_string())
    }
}

impl From<KeyringError> for IpcError {
    fn from(e: KeyringError) -> Self {
        EnvError::from(e).into()
    }
}

impl From<flightdeck_archive::Error> for IpcError {
    fn from(e: flightdeck_archive::Error) -> Self {
        match e {
            flightdeck_archive::Error::Run(e) => e.into(),
            flightdeck_archive::Error::Keyring(e) => e.into(),
            flightdeck_archive::Error::NotAnArchive(m) => {
                IpcError::new(ErrorCode::Invalid, format!("not a Flightdeck archive: {m}"))
            }
            // Identity, PDF and signing failures are ours, not the user's input.
            other => IpcError::new(ErrorCode::Internal, other.to_string()),
        }
    }
}

impl From<flightdeck_engine::runbook::ImportError> for IpcError {
    fn from(e: flightdeck_engine::runbook::ImportError) -> Self {
        run::Error::from(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_codes_map_one_to_one_and_incomplete_keeps_its_list() {
        let e: IpcError = run::Error::Incomplete {
            message: "refused".into(),
            missing: vec![Incomplete::item("1.a")],
        }
        .into();
        assert_eq!((e.code, e.missing.len()), (ErrorCode::Incomplete, 1));
        let e: IpcError = run::Error::Conflict("twice".into()).into();
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::Conflict, "twice"));
        let json = serde_json::to_value(IpcError::new(ErrorCode::NoUser, "who?")).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"code": "no_user", "message": "who?", "missing": []})
        );
    }
}
