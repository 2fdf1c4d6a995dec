//! What a probe run leaves behind: the [`ProbeEvent`]s it streams while it runs and the
//! [`ProbeResult`] it ends with (outcome, failure class, assertions, captures, output excerpts,
//! provenance). These shapes are stored in run events and archives: they only ever grow.

use serde::{Deserialize, Serialize};

use super::{Excerpt, Stream};

/// Something a probe reports while it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProbeEvent {
    Started {
        kind: String,
        /// What runs (secrets as references).
        what: String,
        deadline_ms: u64,
    },
    /// Redacted output, at most [`OUTPUT_CAP`](super::OUTPUT_CAP) bytes per stream in all.
    Output { stream: Stream, text: String },
    /// Progress: requests sent, bytes read, ...
    Progress {
        done: u64,
        total: Option<u64>,
        message: String,
        /// A backup's or a drill's stage, bytes, rate and elapsed time (`pg-backup`,
        /// `pg-restore`): what the window draws its stage and bytes bars from.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backup: Option<crate::backup::Progress>,
    },
}

/// Passed or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
}

/// Why a probe failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureClass {
    /// The total deadline or the connect timeout passed.
    Timeout,
    /// Nothing listens there (or the connection could not be made for another network reason).
    ConnectRefused,
    /// The host name does not resolve.
    Dns,
    /// The TLS handshake failed (an untrusted or expired certificate, a protocol mismatch).
    Tls,
    /// An HTTP step got a status its conditions (or the implicit `status in 200..299`) reject.
    HttpStatus,
    /// The probe ran and an assertion did not hold.
    Assertion,
    /// The probe could not start: no such program, a missing variable or secret, a bad URL.
    SpawnError,
    /// The user cancelled it.
    Cancelled,
    /// The connection broke mid-way, or the server spoke something other than HTTP / Postgres.
    Transport,
    /// The SQL or PromQL was rejected (syntax, permissions, a read-only transaction).
    QueryError,
}

/// An assertion's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionResult {
    pub expr: String,
    pub actual: String,
    pub verdict: Verdict,
    pub implicit: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
}

/// A value captured for a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureResult {
    /// As written in the annotation.
    pub field: String,
    /// The runbook field, when the spec was bound to its runbook.
    pub field_id: Option<String>,
    pub value: String,
}

/// Where and by what a probe ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub host: String,
    pub user: String,
    pub flightdeck_version: String,
    /// sha256 of [`Kind::describe`](super::Kind::describe): the command / request / query that ran.
    pub command_sha256: String,
    /// sha256 over `stream:sha256` lines of every stream read (each over its redacted bytes).
    pub output_sha256: String,
}

/// Everything a probe run leaves behind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeResult {
    pub kind: String,
    pub outcome: Outcome,
    pub failure: Option<FailureClass>,
    /// Why it failed, in a sentence (redacted).
    pub message: Option<String>,
    pub exit_code: Option<i32>,
    pub http_status: Option<u16>,
    pub duration_ms: u64,
    pub captures: Vec<CaptureResult>,
    pub assertions: Vec<AssertionResult>,
    pub stdout: Option<Excerpt>,
    pub stderr: Option<Excerpt>,
    pub body: Option<Excerpt>,
    /// What ran (secrets as references).
    pub what: String,
    pub provenance: Provenance,
}

impl ProbeResult {
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Passed
    }

    pub fn capture(&self, field: &str) -> Option<&str> {
        self.captures
            .iter()
            .find(|c| c.field == field || c.field_id.as_deref() == Some(field))
            .map(|c| c.value.as_str())
    }
}
