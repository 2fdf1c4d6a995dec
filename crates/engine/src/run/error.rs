//! The one error type of run operations, with its [`ErrorKind`] for the CLI and the app.
//!
//! Owns the variants and the "did you mean" suggestion for a mistyped id. Messages say what
//! was refused and where; the CLI turns the kind into an exit status and the app into a typed
//! IPC error, each by an exhaustive match (`crate::error`).

use serde::Serialize;

use crate::error::{ErrorKind, HasKind};
use crate::runbook::ImportError;
use crate::store::StoreError;

/// Something in a sign-off's or decision's scope that is not done yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Incomplete {
    /// `item` (unchecked) or `field` (empty).
    pub kind: String,
    pub id: String,
}

impl Incomplete {
    pub fn item(id: &str) -> Self {
        Incomplete {
            kind: "item".into(),
            id: id.to_string(),
        }
    }

    pub fn field(id: &str) -> Self {
        Incomplete {
            kind: "field".into(),
            id: id.to_string(),
        }
    }
}

impl std::fmt::Display for Incomplete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.kind == "item" { "unchecked" } else { "empty" };
        write!(f, "{} {} ({state})", self.kind, self.id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A run, item, field, key or sign-off that does not exist.
    #[error("{what} `{id}` not found in {place}{}", did_you_mean(.suggestion))]
    NotFound {
        what: &'static str,
        id: String,
        place: String,
        suggestion: Option<String>,
    },
    /// A value or argument that cannot be accepted as given.
    #[error("{0}")]
    Invalid(String),
    /// Refused because something in scope is not done; an override reason would accept it.
    #[error("{message}")]
    Incomplete {
        message: String,
        missing: Vec<Incomplete>,
    },
    /// Refused because it would contradict what the log already holds.
    #[error("{0}")]
    Conflict(String),
    /// Refused by one of the run's rules of who may do what (`run::rules`), named in the message.
    #[error("refused by rule {rule}: {message}")]
    Rule {
        rule: super::rules::Rule,
        message: String,
    },
    /// A step that changes the target of a production environment, not confirmed: the CLI's
    /// `--yes` or the app's dialog (which names the step and the environment) confirms it.
    #[error(
        "step `{step}` changes the target and environment `{env}` is marked production: \
         confirm it (`--yes` on the command line) to run it"
    )]
    NeedsConfirmation { step: String, env: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot encode event: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("runbook {0}")]
    Import(#[from] ImportError),
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    match suggestion {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => String::new(),
    }
}

impl HasKind for Error {
    fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Invalid(_) => ErrorKind::Invalid,
            Error::Incomplete { .. } => ErrorKind::Incomplete,
            Error::Conflict(_) | Error::Rule { .. } => ErrorKind::Conflict,
            Error::NeedsConfirmation { .. } => ErrorKind::Confirm,
            Error::Store(e) => e.kind(),
            Error::Encode(_) => ErrorKind::Store,
            Error::Import(e) => e.kind(),
        }
    }
}

impl Error {
    /// What is not done, for an `Incomplete` refusal; empty otherwise.
    pub fn missing(&self) -> &[Incomplete] {
        match self {
            Error::Incomplete { missing, .. } => missing,
            _ => &[],
        }
    }

    pub(crate) fn not_found<'a>(
        what: &'static str,
        id: &str,
        place: impl Into<String>,
        candidates: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        Error::NotFound {
            what,
            id: id.to_string(),
            place: place.into(),
            suggestion: nearest(id, candidates),
        }
    }
}

/// The candidate closest to `typed` when it is close enough to be a plausible typo.
pub fn nearest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let typed = typed.trim().to_lowercase();
    if typed.is_empty() {
        return None;
    }
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let lower = c.to_lowercase();
        // A candidate that contains what was typed (or the reverse) is as near as a typo.
        let d = if lower.contains(&typed) || (typed.len() >= 4 && typed.contains(&lower)) {
            1
        } else {
            levenshtein(&typed, &lower)
        };
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let limit = (typed.chars().count() / 3).max(2);
    best.filter(|&(d, _)| d <= limit).map(|(_, c)| c.to_string())
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diag + usize::from(ca != *cb));
            diag = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_suggests_a_close_id_and_nothing_for_a_distant_one() {
        let ids = ["3.backup-file", "3.size", "3.rto-achieved"];
        assert_eq!(nearest("3.backup-fiel", ids), Some("3.backup-file".into()));
        assert_eq!(
            nearest("rto", ids),
            Some("3.rto-achieved".into()),
            "a substring is near"
        );
        assert_eq!(nearest("completely-different", ids), None);
        assert_eq!(nearest("", ids), None);
    }

    #[test]
    fn levenshtein_counts_edits() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("same", "same"), 0);
    }

    #[test]
    fn each_variant_has_its_kind_and_wrapped_errors_keep_theirs() {
        assert_eq!(
            Error::not_found("item", "x", "run r", ["y"]).kind(),
            ErrorKind::NotFound
        );
        assert_eq!(Error::Invalid("x".into()).kind(), ErrorKind::Invalid);
        assert_eq!(
            Error::Incomplete {
                message: "x".into(),
                missing: vec![]
            }
            .kind(),
            ErrorKind::Incomplete
        );
        assert_eq!(Error::Conflict("x".into()).kind(), ErrorKind::Conflict);
        assert_eq!(
            Error::Store(StoreError::RunNotFound {
                reference: "r".into()
            })
            .kind(),
            ErrorKind::NotFound,
            "a run that does not exist is not found, though the store said it"
        );
        let import = ImportError {
            file: "f".into(),
            line: 1,
            message: "m".into(),
        };
        assert_eq!(Error::Import(import).kind(), ErrorKind::Import);
    }

    #[test]
    fn not_found_names_what_where_and_the_nearest_id() {
        let e = Error::not_found("item", "1.dry-rn", "run 0193abcd", ["1.dry-run", "2.other"]);
        assert_eq!(
            e.to_string(),
            "item `1.dry-rn` not found in run 0193abcd (did you mean `1.dry-run`?)"
        );
    }
}
