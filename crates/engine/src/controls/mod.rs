//! Flag and breaker controls: reading and changing a target's feature flags and circuit breakers
//! through an adapter, safely, with every attempt kept as evidence.
//!
//! Owns the vocabulary ([`Setting`], [`Target`], [`ControlRecord`]), the adapter interface
//! (`adapter`: [`Adapter`] over the HTTP admin API in `http_admin`, a SQL table in `sql_table`, and
//! OpenFeature's OFREP in `ofrep`, read-only), the preview → apply → read-back flow (`action`),
//! the runbook's expected flag states and drift (`expect`) and the automatic revert (`revert`).
//! Recording an attempt into a run is one event, `control_action` (`run::record_control`); the
//! CLI and the app build the same [`ControlReq`].
//!
//! Every network call has a deadline ([`CALL_DEADLINE`] unless told) and a body cap
//! ([`BODY_CAP`]); the admin token comes from the environment's secrets (the OS keyring) and never
//! reaches an error, an output or an event.

use std::time::Duration;

use serde::{Deserialize, Serialize};

pub mod action;
pub mod adapter;
pub(crate) mod drill;
pub mod expect;
pub mod http_admin;
mod net;
pub mod ofrep;
pub mod ops;
pub mod revert;
pub mod sql_table;

pub use action::{apply, apply_noted, preview, ControlReq, OnIntent, Preview};
pub use adapter::{Adapter, AdapterKind, EnvTarget};
pub use expect::{drift, expectations, DriftRow, Expectation};
pub use ops::{make_change, preview_change};

/// Deadline of one adapter call when none is given.
pub const CALL_DEADLINE: Duration = Duration::from_secs(5);
/// Connect timeout of an adapter's connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The most of an answer an adapter reads (a flag list of thousands fits).
pub const BODY_CAP: usize = 4 << 20;
/// The breaker providers Flightdeck knows by name (the target may have others).
pub const PROVIDERS: &[&str] = &["stripe", "square", "twilio", "fcm", "apns"];

/// A flag's state as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FlagState {
    pub key: String,
    pub enabled: bool,
    /// 0–100.
    pub rollout: u8,
}

/// A breaker's state as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BreakerState {
    pub provider: String,
    /// `closed`, `open` or `half_open`.
    pub state: String,
    pub failure_count: i64,
    /// When it last changed, as the target says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

/// What a control is set to: the "from", "to" and "read back" of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Setting {
    Flag { enabled: bool, rollout: u8 },
    Breaker { state: String },
}

impl Setting {
    pub fn of_flag(f: &FlagState) -> Setting {
        Setting::Flag {
            enabled: f.enabled,
            rollout: f.rollout,
        }
    }

    pub fn of_breaker(b: &BreakerState) -> Setting {
        Setting::Breaker {
            state: b.state.clone(),
        }
    }
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Setting::Flag { enabled, rollout } => {
                write!(f, "{} ({rollout}%)", if *enabled { "ON" } else { "OFF" })
            }
            Setting::Breaker { state } => f.write_str(state),
        }
    }
}

/// A breaker action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum BreakerAction {
    Trip,
    Reset,
}

impl BreakerAction {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerAction::Trip => "trip",
            BreakerAction::Reset => "reset",
        }
    }

    /// The state the action leaves the breaker in.
    pub fn state(self) -> &'static str {
        match self {
            BreakerAction::Trip => "open",
            BreakerAction::Reset => "closed",
        }
    }
}

/// What to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "control", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Target {
    /// Set a flag on or off; `rollout` unset keeps its rollout percentage.
    Flag {
        key: String,
        enabled: bool,
        #[serde(default)]
        rollout: Option<u8>,
    },
    Breaker {
        provider: String,
        action: BreakerAction,
    },
}

impl Target {
    /// The flag key or the provider.
    pub fn name(&self) -> &str {
        match self {
            Target::Flag { key, .. } => key,
            Target::Breaker { provider, .. } => provider,
        }
    }

    /// One line: `flag rate_limiting_enabled → OFF (0%)`, `breaker stripe trip`.
    pub fn describe(&self) -> String {
        match self {
            Target::Flag {
                key,
                enabled,
                rollout,
            } => format!(
                "flag {key} {}{}",
                if *enabled { "on" } else { "off" },
                rollout.map(|p| format!(" --rollout {p}")).unwrap_or_default()
            ),
            Target::Breaker { provider, action } => format!("breaker {} {provider}", action.as_str()),
        }
    }
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ControlOutcome {
    /// The change was made and the read-back shows it.
    Applied,
    /// The change was asked for and did not (provably) happen as asked: see `error` and the
    /// state read afterwards.
    Failed,
    /// Nothing was sent: the "from" of the preview no longer held, or confirmation was missing.
    Refused,
}

/// One attempt, as the run keeps it (`control_action`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ControlRecord {
    pub env: String,
    /// `http`, `sql` or `ofrep`.
    pub adapter: String,
    pub target: Target,
    pub reason: String,
    /// The state before, as read just before the change.
    #[serde(default)]
    pub from: Option<Setting>,
    pub to: Setting,
    /// What undoes it (`None` when the state before could not be read).
    pub inverse: Option<Target>,
    pub outcome: ControlOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The state read after the change (or after the failure); `None` when it could not be read.
    #[serde(default)]
    pub read_back: Option<Setting>,
    /// The read-back equals `to`.
    pub verified: bool,
    /// A breaker read once more after its open interval (`ControlReq::recheck_ms`), to catch a
    /// forced state drifting back on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_again: Option<Setting>,
    /// The step that made it, for step kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Set on a revert: why it ran (`deadline`, `check 12.x failed`, `drill`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revert: Option<String>,
    /// The production environment the user confirmed this on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_on: Option<String>,
    /// The attempt this is the outcome of: its `control_attempted` event, recorded before
    /// anything was sent, carries the same id. `None` when nothing was sent (refused,
    /// unreadable) or for records made before attempts were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<String>,
}

/// An attempt about to be made, recorded before anything is sent (`control_attempted`): who
/// (the event's actor), why, where, through which adapter, from, to and the inverse. Its outcome
/// follows as a `control_action` with the same `attempt`; a log with the first and not the
/// second means the process stopped in between: the outcome is unknown, and shown so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ControlIntent {
    pub attempt: String,
    pub env: String,
    pub adapter: String,
    pub target: Target,
    pub reason: String,
    pub from: Setting,
    pub to: Setting,
    pub inverse: Target,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_on: Option<String>,
}

/// A control read again some time after a change (a breaker after its open interval), when the
/// change was recorded before that read (the app's, which answers at once); the CLI waits and
/// keeps it in the change's own record instead (`ControlRecord::read_again`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReadAgain {
    pub env: String,
    pub target: Target,
    /// The attempt it follows (`ControlRecord::attempt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<String>,
    /// How long after the change it was read, in milliseconds.
    pub after_ms: u64,
    /// What the change set.
    pub expected: Setting,
    /// The state read; `None` when it could not be read (see `error`).
    pub state: Option<Setting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// It still reads as the change left it; otherwise it drifted back on its own (or could
    /// not be read).
    pub held: bool,
}

/// Why a control could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("unknown flag `{key}` in {env}; known flags: {}", known.join(", "))]
    UnknownFlag {
        key: String,
        env: String,
        known: Vec<String>,
    },
    #[error("unknown provider `{provider}` in {env}; known providers: {}", known.join(", "))]
    UnknownProvider {
        provider: String,
        env: String,
        known: Vec<String>,
    },
    #[error("the {adapter} adapter is read-only: it cannot {what}")]
    ReadOnly {
        adapter: &'static str,
        what: &'static str,
    },
    #[error("the {adapter} adapter has no circuit breakers (they go through the HTTP admin API)")]
    NoBreakers { adapter: &'static str },
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Invalid(String),
    /// The target answered with an error status.
    #[error("{what}: HTTP {status}: {message}")]
    Status {
        what: String,
        status: u16,
        message: String,
    },
    #[error("{what}: no answer within the deadline of {}", crate::probe::human_duration(*.deadline))]
    Timeout { what: String, deadline: Duration },
    #[error("{what}: {message}")]
    Transport { what: String, message: String },
    #[error("{what}: {message}")]
    Sql { what: String, message: String },
    #[error(
        "{what} changed since the preview: it was {preview}, it is now {now}; nothing was sent, preview again"
    )]
    Changed {
        what: String,
        preview: String,
        now: String,
    },
    #[error(
        "environment `{env}` is marked production: confirm the change (`--yes` on the command line) to make it"
    )]
    NeedsConfirmation { env: String },
    #[error(transparent)]
    Env(#[from] crate::environments::EnvError),
    #[error(transparent)]
    Run(#[from] crate::run::Error),
}

impl crate::error::HasKind for ControlError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            ControlError::UnknownFlag { .. } | ControlError::UnknownProvider { .. } => ErrorKind::NotFound,
            ControlError::ReadOnly { .. }
            | ControlError::NoBreakers { .. }
            | ControlError::Config(_)
            | ControlError::Invalid(_) => ErrorKind::Invalid,
            ControlError::Changed { .. } => ErrorKind::Conflict,
            ControlError::NeedsConfirmation { .. } => ErrorKind::Confirm,
            ControlError::Status { .. }
            | ControlError::Timeout { .. }
            | ControlError::Transport { .. }
            | ControlError::Sql { .. } => ErrorKind::Internal,
            ControlError::Env(e) => e.kind(),
            ControlError::Run(e) => e.kind(),
        }
    }
}
