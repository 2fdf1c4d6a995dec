//! What a sandbox is started with.
//!
//! Owns [`SandboxConfig`] and its defaults, and reads the `db` string into a [`DbTarget`]. Starting is
//! `crate::start`.

use std::path::PathBuf;
use std::time::Duration;

use crate::auth::DEFAULT_TEST_TOKEN;

/// How to start a sandbox. Build it with struct-update syntax over `Default::default()`.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Port on 127.0.0.1; 0 picks a free one (read it back with `Sandbox::addr`).
    pub port: u16,
    /// `postgres://…` / `postgresql://…` for Postgres; `sqlite:PATH`, `sqlite://PATH` or a plain path for a
    /// SQLite file there; `None` for a SQLite file in a temp dir removed at shutdown.
    pub db: Option<String>,
    /// Run the synthetic-traffic task that feeds `/metrics`.
    pub traffic: bool,
    /// Time between synthetic requests (default 250 ms, i.e. 4 per second).
    pub traffic_interval: Duration,
    /// Requests per client per `rate_window` on `/api/test-rate-limit` (default 5).
    pub rate_limit: u32,
    /// The rate-limit window (default 10 s).
    pub rate_window: Duration,
    /// Consecutive failures that open a breaker (default 5).
    pub breaker_threshold: u32,
    /// How long a breaker opened by failures stays open before turning half-open (default 30 s).
    pub breaker_cooldown: Duration,
    /// A bearer token always accepted as the seeded test user (default `sandbox-test-jwt`; empty disables).
    pub test_token: String,
    /// When set, `/admin/*` and `/ofrep/*` answer 401 unless called with `Authorization: Bearer
    /// <this>` (default: open, as the bundled runbook's plain `curl`s expect).
    pub admin_token: Option<String>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            port: 0,
            db: None,
            traffic: true,
            traffic_interval: Duration::from_millis(250),
            rate_limit: 5,
            rate_window: Duration::from_secs(10),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
            test_token: DEFAULT_TEST_TOKEN.to_owned(),
            admin_token: None,
        }
    }
}

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbTarget {
    TempSqlite,
    Sqlite(PathBuf),
    Postgres(String),
}

impl DbTarget {
    pub fn from_config(db: Option<&str>) -> DbTarget {
        let Some(s) = db.map(str::trim).filter(|s| !s.is_empty()) else {
            return DbTarget::TempSqlite;
        };
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return DbTarget::Postgres(s.to_owned());
        }
        let path = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
            .unwrap_or(s);
        DbTarget::Sqlite(PathBuf::from(path))
    }
}

/// A database URL with any password replaced by `***`, fit for logs and reports.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_strings_pick_the_backend() {
        assert_eq!(DbTarget::from_config(None), DbTarget::TempSqlite);
        assert_eq!(
            DbTarget::from_config(Some("postgresql://u@h/db")),
            DbTarget::Postgres("postgresql://u@h/db".into())
        );
        assert_eq!(
            DbTarget::from_config(Some("sqlite:///tmp/x.db")),
            DbTarget::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            DbTarget::from_config(Some("data/x.db")),
            DbTarget::Sqlite("data/x.db".into())
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
