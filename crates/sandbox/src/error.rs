//! The sandbox library's error type: what `start`, `parse_fault` and friends can fail with.
//!
//! HTTP error answers are `routes::ApiError`, not this.

use std::net::SocketAddr;

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("invalid fault `{input}`: {reason}")]
    InvalidFault { input: String, reason: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot create the SQLite temp dir: {0}")]
    TempDir(std::io::Error),
    #[error("database: {0}")]
    Database(#[from] DbError),
    #[error("the synthetic-traffic HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("invalid config: {0}")]
    Config(String),
}
