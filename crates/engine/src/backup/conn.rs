//! A Postgres server to back up from or restore into: its address, user, database and password,
//! and how each reaches the tools (their environment, never their command line) and sqlx.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Row};

use super::Error;
use crate::probe::process::ProcessSpec;
use crate::probe::FailureClass;

/// Where to connect. The password is never serialized, printed or put on a command line.
#[derive(Clone, PartialEq, Eq)]
pub struct PgConn {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub database: String,
    password: Option<String>,
}

impl fmt::Debug for PgConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PgConn({self})")
    }
}

impl fmt::Display for PgConn {
    /// `user@host:port/db`, no password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}:{}/{}", self.user, self.host, self.port, self.database)
    }
}

impl PgConn {
    /// From `postgres://user[:password]@host[:port]/db`; `password` (from the keyring) wins over
    /// one in the URL.
    pub fn parse(url: &str, password: Option<String>) -> Result<PgConn, Error> {
        let bad = |why: &str| Error::spawn(format!("bad Postgres URL `{}`: {why}", redact_url(url)));
        let u = reqwest::Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
        if !matches!(u.scheme(), "postgres" | "postgresql") {
            return Err(bad("it must start with postgres://"));
        }
        let host = u
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?;
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let user = match u.username() {
            "" => "postgres".to_owned(),
            s => decode(s),
        };
        let database = decode(u.path().trim_start_matches('/'));
        let database = if database.is_empty() {
            user.clone()
        } else {
            database
        };
        let in_url = u.password().map(decode);
        Ok(PgConn {
            host: host.trim_start_matches('[').trim_end_matches(']').to_owned(),
            port: u.port().unwrap_or(5432),
            user,
            database,
            password: password.or(in_url),
        })
    }

    /// The same server and user, another database.
    pub fn with_database(&self, database: &str) -> PgConn {
        PgConn {
            database: database.to_owned(),
            ..self.clone()
        }
    }

    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The password, for redacting it from anything recorded.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    fn options(&self) -> PgConnectOptions {
        let mut o = PgConnectOptions::new_without_pgpass()
            .host(&self.host)
            .port(self.port)
            .username(&self.user)
            .database(&self.database)
            .application_name("flightdeck-backup");
        if let Some(p) = &self.password {
            o = o.password(p);
        }
        o
    }

    /// A connection within `timeout`, failures classified (refused, wrong password, ...).
    pub async fn connect(&self, timeout: Duration) -> Result<PgConnection, Error> {
        match tokio::time::timeout(timeout, self.options().connect()).await {
            Err(_) => Err(Error::new(
                FailureClass::Timeout,
                format!(
                    "no connection to {self} within {}",
                    crate::probe::human_duration(timeout)
                ),
            )),
            Ok(Err(e)) => {
                let f = crate::probe::sql::classify(&e);
                Err(Error::new(
                    f.class,
                    format!("connecting to {self}: {}", f.message),
                ))
            }
            Ok(Ok(c)) => Ok(c),
        }
    }

    /// The tool `spec` with this connection in its environment (`PGHOST`, ..., `PGPASSWORD`).
    /// Nothing about the connection goes on the command line.
    pub fn apply(&self, spec: ProcessSpec, timeout: Duration) -> ProcessSpec {
        let mut spec = spec
            .env("PGHOST", &self.host)
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", &self.user)
            .env("PGDATABASE", &self.database)
            .env("PGAPPNAME", "flightdeck-backup")
            .env("PGCONNECT_TIMEOUT", timeout.as_secs().max(2).to_string())
            // A user's ~/.pgpass or service file must not answer for the keyring.
            .env("PGPASSFILE", "/dev/null")
            .env("PGSERVICEFILE", "/dev/null");
        if let Some(p) = &self.password {
            spec = spec.env("PGPASSWORD", p);
        }
        spec
    }
}

/// What the server says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ServerFacts {
    /// `15.4 (Debian 15.4-1)`.
    pub version: String,
    /// `150004`.
    pub version_num: u32,
    /// `pg_control_system().system_identifier`: the cluster's identity, kept across restarts.
    pub system_identifier: String,
}

impl ServerFacts {
    pub fn major(&self) -> u32 {
        self.version_num / 10_000
    }
}

/// Reads [`ServerFacts`] over `conn`.
pub async fn facts(conn: &mut PgConnection) -> Result<ServerFacts, Error> {
    let row = sqlx::query(
        "SELECT current_setting('server_version'), current_setting('server_version_num')::int4, \
         (SELECT system_identifier::text FROM pg_control_system())",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| query_error("reading the server's version and identity", &e))?;
    let num: i32 = row
        .try_get(1)
        .map_err(|e| query_error("server_version_num", &e))?;
    Ok(ServerFacts {
        version: row.try_get(0).map_err(|e| query_error("server_version", &e))?,
        version_num: u32::try_from(num).unwrap_or(0),
        system_identifier: row.try_get(2).map_err(|e| query_error("system_identifier", &e))?,
    })
}

pub(crate) fn query_error(what: &str, e: &sqlx::Error) -> Error {
    let f = crate::probe::sql::classify(e);
    Error::new(f.class, format!("{what}: {}", f.message))
}

/// `postgres://u:pw@h/db` → `postgres://u:***@h/db`.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url.trim()) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// A Postgres identifier, quoted (`"my db"`).
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}
