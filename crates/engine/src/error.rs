//! The one category every engine error belongs to: [`ErrorKind`], through [`HasKind`].
//!
//! Owns the closed list of kinds and nothing else. Each error type keeps its own variants and
//! messages (which say what and where); the CLI's exit code and the app's IPC `code` are both
//! decided by an exhaustive `match` on the kind, so a new kind fails to compile until both faces
//! give it a meaning. Nobody matches error strings.

use serde::Serialize;

/// What kind of failure an error is, as the CLI and the app tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// A run, item, field, key, sign-off, environment or secret that does not exist.
    NotFound,
    /// A value or argument that cannot be accepted as given.
    Invalid,
    /// Refused because something in scope is not done; an override reason would accept it.
    Incomplete,
    /// Refused because it would contradict what is already recorded.
    Conflict,
    /// A step that changes the target of a production environment, not confirmed.
    Confirm,
    /// The runbook cannot be read or imported.
    Import,
    /// The store cannot be opened, read or written.
    Store,
    /// The OS keyring cannot be used (locked, no Secret Service, no D-Bus).
    Keyring,
    /// A record that should prove itself does not: an altered chain, a broken archive.
    Integrity,
    /// Our own failure (drawing a PDF, signing): not the user's input.
    Internal,
}

impl ErrorKind {
    /// Every kind, for tests that check a mapping covers them all.
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::NotFound,
        ErrorKind::Invalid,
        ErrorKind::Incomplete,
        ErrorKind::Conflict,
        ErrorKind::Confirm,
        ErrorKind::Import,
        ErrorKind::Store,
        ErrorKind::Keyring,
        ErrorKind::Integrity,
        ErrorKind::Internal,
    ];

    /// The kind's stable snake_case name (as JSON writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Incomplete => "incomplete",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Confirm => "confirm",
            ErrorKind::Import => "import",
            ErrorKind::Store => "store",
            ErrorKind::Keyring => "keyring",
            ErrorKind::Integrity => "integrity",
            ErrorKind::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error that knows its kind. Every public error type of the engine (and the archive)
/// implements it.
pub trait HasKind: std::error::Error {
    fn kind(&self) -> ErrorKind;
}

impl HasKind for crate::runbook::ImportError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Import
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_json_names_and_all_lists_every_kind_once() {
        for k in ErrorKind::ALL {
            let json = serde_json::to_value(k).expect("a kind serializes");
            assert_eq!(
                json,
                serde_json::json!(k.as_str()),
                "as_str must match serde's name"
            );
        }
        let distinct: std::collections::HashSet<_> = ErrorKind::ALL.iter().collect();
        assert_eq!(distinct.len(), ErrorKind::ALL.len(), "ALL lists each kind once");
    }
}
