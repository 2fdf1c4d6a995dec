//! Backups and restore drills over the real Postgres tools (`pg_dump`, `pg_restore`).
//!
//! - [`dump::backup`] takes a backup: `pg_dump` (its version checked against the server's)
//!   dumping from a snapshot Flightdeck exports, while the same snapshot's per-table row counts
//!   are read; the artifact is written under a `.partial` name, hashed as it is written, renamed
//!   and described by a sidecar [`Manifest`]. Any failure or a cancel (dropping the future)
//!   removes the partial artifact and leaves no manifest: nothing is recorded as done.
//! - [`drill::drill`] restores a backup into a scratch database on a target server (never the
//!   backup's source, never a protected database), in timed stages (checksum, create + schema,
//!   data, indexes and constraints, row-count parity, smoke queries), and reports the RTO
//!   against an objective. The scratch database is dropped afterwards (or on a cancel) unless
//!   kept.
//! - [`manifest`] reads and lists manifests (`backup list`, the `backup-age` gate).
//!
//! Passwords reach the tools only through their environment (`PGPASSWORD`), never their command
//! line; connection details go the same way (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`).
//! Progress is sent as typed [`Progress`] values (stage, bytes, rate, elapsed) that the CLI
//! prints and the probe kinds (`pg-backup`, `pg-restore`) forward as probe progress.

use serde::{Deserialize, Serialize};

use crate::probe::FailureClass;

pub mod conn;
pub mod drill;
pub mod dump;
pub mod manifest;
pub mod request;
pub mod tools;

pub use conn::PgConn;
pub use drill::{DrillOpts, DrillReport};
pub use dump::{DumpOpts, Format};
pub use manifest::Manifest;
pub use request::{BackupReq, DrillReq};

/// A backup or a drill could not be done (or was refused), and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub class: FailureClass,
    pub message: String,
}

impl Error {
    pub fn new(class: FailureClass, message: impl Into<String>) -> Self {
        Error {
            class,
            message: message.into(),
        }
    }

    pub(crate) fn spawn(message: impl Into<String>) -> Self {
        Error::new(FailureClass::SpawnError, message)
    }
}

impl crate::HasKind for Error {
    fn kind(&self) -> crate::ErrorKind {
        // Refused, unreachable, failed: the command could not do what was asked (exit 4).
        crate::ErrorKind::Invalid
    }
}

/// Where a backup or a drill is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Stage {
    /// Connecting, checking versions, exporting the snapshot.
    Connect,
    /// `pg_dump` writing the artifact.
    Dump,
    /// The artifact's sha256 (checked against the manifest, for a drill).
    Checksum,
    /// `pg_restore --list`: the table of contents.
    Inventory,
    /// CREATE DATABASE and the schema (`--section=pre-data`).
    Create,
    /// Table data (`--section=data`).
    Data,
    /// Indexes and constraints (`--section=post-data`).
    PostData,
    /// Row counts against the manifest's.
    Verify,
    /// The annotation's smoke queries.
    Smoke,
    /// Dropping the scratch database.
    Cleanup,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Connect => "connect",
            Stage::Dump => "dump",
            Stage::Checksum => "checksum",
            Stage::Inventory => "inventory",
            Stage::Create => "create",
            Stage::Data => "data",
            Stage::PostData => "post-data",
            Stage::Verify => "verify",
            Stage::Smoke => "smoke",
            Stage::Cleanup => "cleanup",
        }
    }
}

/// Progress of a backup or a drill: what the window's progress bar and the CLI show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Progress {
    pub stage: Stage,
    /// Bytes written (a dump) or read (a checksum) so far in this stage.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// Since the backup or drill started.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub elapsed_ms: u64,
    /// Bytes per second over the stage so far.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rate_bytes_per_s: u64,
    /// What the stage is expected to reach, when known: a dump, the size of the newest earlier
    /// backup of the same database in the folder (a progress bar's end; it may be passed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(type = "number | null", optional))]
    pub expected_bytes: Option<u64>,
}

impl Progress {
    /// `dump: 12.3 MB at 45.6 MB/s (2.1 s)`.
    pub fn line(&self) -> String {
        format!(
            "{}: {} at {}/s ({:.1} s)",
            self.stage.name(),
            human_bytes(self.bytes),
            human_bytes(self.rate_bytes_per_s),
            self.elapsed_ms as f64 / 1000.0
        )
    }
}

/// Sends progress without ever waiting for a slow reader (a full channel drops the update).
#[derive(Debug, Clone)]
pub struct ProgressTx {
    tx: Option<tokio::sync::mpsc::Sender<Progress>>,
    started: std::time::Instant,
    expected: Option<u64>,
}

impl ProgressTx {
    pub fn new(tx: tokio::sync::mpsc::Sender<Progress>) -> Self {
        ProgressTx {
            tx: Some(tx),
            started: std::time::Instant::now(),
            expected: None,
        }
    }

    /// Progress that goes nowhere.
    pub fn none() -> Self {
        ProgressTx {
            tx: None,
            started: std::time::Instant::now(),
            expected: None,
        }
    }

    /// The same sender, its updates carrying `expected` as the bytes the stage should reach.
    pub(crate) fn expecting(&self, expected: Option<u64>) -> Self {
        ProgressTx {
            expected,
            ..self.clone()
        }
    }

    pub fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    pub(crate) fn send(&self, stage: Stage, bytes: u64, stage_started: std::time::Instant) {
        let Some(tx) = &self.tx else { return };
        let secs = stage_started.elapsed().as_secs_f64();
        let rate = if secs > 0.0 {
            (bytes as f64 / secs) as u64
        } else {
            0
        };
        let _ = tx.try_send(Progress {
            stage,
            bytes,
            elapsed_ms: self.elapsed_ms(),
            rate_bytes_per_s: rate,
            expected_bytes: self.expected,
        });
    }
}

/// `1.5 GB`, `320.0 MB`, `12 B` (decimal units, as `pg_dump` sizes are usually quoted).
pub fn human_bytes(b: u64) -> String {
    let f = b as f64;
    if f >= 1e9 {
        format!("{:.2} GB", f / 1e9)
    } else if f >= 1e6 {
        format!("{:.1} MB", f / 1e6)
    } else if f >= 1e3 {
        format!("{:.1} kB", f / 1e3)
    } else {
        format!("{b} B")
    }
}

/// Now, as RFC 3339 UTC.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
