//! The one error the UI ever receives: `{code, message, missing}`, `code` a closed set typed in
//! TypeScript (`ErrorCode`).
//!
//! Owns the mapping from the engine's `ErrorKind` to codes (an exhaustive match, as the CLI's
//! exit codes are) and nothing else; messages are the engine's own, which already say what and
//! where.

use flightdeck_engine::environments::EnvError;
use flightdeck_engine::run::{self, Incomplete};
use flightdeck_engine::runbook::ImportError;
use flightdeck_engine::secrets::KeyringError;
use flightdeck_engine::signals::SignalError;
use flightdeck_engine::store::StoreError;
use flightdeck_engine::{ErrorKind, HasKind};
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
    /// A record that should prove itself does not (an altered chain, a broken archive).
    Integrity,
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

impl From<ErrorKind> for ErrorCode {
    /// Exhaustive: a new engine kind does not compile until the window has a code for it.
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::NotFound => ErrorCode::NotFound,
            ErrorKind::Invalid => ErrorCode::Invalid,
            ErrorKind::Incomplete => ErrorCode::Incomplete,
            ErrorKind::Conflict => ErrorCode::Conflict,
            ErrorKind::Confirm => ErrorCode::Confirm,
            ErrorKind::Import => ErrorCode::Import,
            ErrorKind::Store => ErrorCode::Store,
            ErrorKind::Keyring => ErrorCode::Keyring,
            ErrorKind::Integrity => ErrorCode::Integrity,
            ErrorKind::Internal => ErrorCode::Internal,
        }
    }
}

impl IpcError {
    /// Any engine (or archive) error: its kind decides the code, its message is kept.
    pub fn of<E: HasKind>(e: &E) -> Self {
        IpcError::new(e.kind().into(), e.to_string())
    }
}

impl From<run::Error> for IpcError {
    fn from(e: run::Error) -> Self {
        IpcError {
            missing: e.missing().to_vec(),
            ..IpcError::of(&e)
        }
    }
}

/// The engine's errors that carry nothing beyond their kind and message.
macro_rules! from_kinded {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for IpcError {
            fn from(e: $t) -> Self {
                IpcError::of(&e)
            }
        }
    )*};
}

from_kinded!(StoreError, EnvError, KeyringError, ImportError, SignalError);
from_kinded!(flightdeck_engine::controls::ControlError);

impl From<flightdeck_archive::Error> for IpcError {
    fn from(e: flightdeck_archive::Error) -> Self {
        match e {
            // Keeps an incomplete refusal's list.
            flightdeck_archive::Error::Run(e) => e.into(),
            other => IpcError::of(&other),
        }
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
        for kind in ErrorKind::ALL {
            let code = serde_json::to_value(ErrorCode::from(kind)).expect("json");
            assert_eq!(
                code,
                serde_json::json!(kind.as_str()),
                "the window sees the engine's name"
            );
        }
        let json = serde_json::to_value(IpcError::new(ErrorCode::NoUser, "who?")).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"code": "no_user", "message": "who?", "missing": []})
        );
    }
}
