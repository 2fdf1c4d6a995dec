//! The adapter interface: what any flag or breaker backend offers, and which one an environment
//! uses.
//!
//! [`Controls`] is the interface each adapter implements in its own file (`http_admin`,
//! `sql_table`, `ofrep`); [`Adapter`] dispatches over them. An environment chooses with its
//! variables: `FLAGS_ADAPTER` (`http`, the default; `sql`; `ofrep`), `ADMIN_URL` (else
//! `SANDBOX_URL`) for the HTTP admin API, `OFREP_URL` (else the admin URL), `FLAGS_DB_URL` (a
//! Postgres URL; `${secret:NAME}` for its password) for the SQL table, and the secret
//! `ADMIN_TOKEN` (the OS keyring) sent as a bearer token to the HTTP APIs. Breakers always go
//! through the HTTP admin API.

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::http_admin::HttpAdmin;
use super::ofrep::Ofrep;
use super::sql_table::SqlTable;
use super::{BreakerAction, BreakerState, ControlError, FlagState, CALL_DEADLINE};
use crate::probe::{ProbeEnv, Template};
use crate::secrets::Sensitive;

/// The secret an environment keeps its admin API token under.
pub const TOKEN_SECRET: &str = "ADMIN_TOKEN";

/// What every adapter offers. A read-only adapter answers writes with `ControlError::ReadOnly`,
/// one without breakers with `ControlError::NoBreakers`.
pub trait Controls {
    fn flags(&self) -> impl Future<Output = Result<Vec<FlagState>, ControlError>> + Send;
    /// One flag; an unknown key is `UnknownFlag` listing the known ones.
    fn flag(&self, key: &str) -> impl Future<Output = Result<FlagState, ControlError>> + Send;
    /// Sets a flag. `from` is the state the caller previewed, checked atomically with the write
    /// (the SQL table under a row lock, the HTTP admin API as the request's `expected`): a
    /// flag no longer in it is refused with `Changed`, nothing written.
    fn set_flag(
        &self,
        key: &str,
        enabled: bool,
        rollout: u8,
        from: &FlagState,
    ) -> impl Future<Output = Result<(), ControlError>> + Send;
    fn breakers(&self) -> impl Future<Output = Result<Vec<BreakerState>, ControlError>> + Send;
    /// One breaker; an unknown provider is `UnknownProvider` listing the known ones.
    fn breaker(&self, provider: &str) -> impl Future<Output = Result<BreakerState, ControlError>> + Send;
    /// Trips or resets a breaker that is in state `from` (as the caller read it), checked with
    /// the write: otherwise `Changed`, nothing done.
    fn act(
        &self,
        provider: &str,
        action: BreakerAction,
        from: &str,
    ) -> impl Future<Output = Result<(), ControlError>> + Send;
}

/// Which adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AdapterKind {
    Http,
    Sql,
    Ofrep,
}

impl AdapterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AdapterKind::Http => "http",
            AdapterKind::Sql => "sql",
            AdapterKind::Ofrep => "ofrep",
        }
    }
}

impl std::str::FromStr for AdapterKind {
    type Err = ControlError;

    fn from_str(s: &str) -> Result<Self, ControlError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "http" | "admin" => Ok(AdapterKind::Http),
            "sql" | "postgres" => Ok(AdapterKind::Sql),
            "ofrep" => Ok(AdapterKind::Ofrep),
            other => Err(ControlError::Invalid(format!(
                "adapter `{other}` is none of http, sql, ofrep"
            ))),
        }
    }
}

/// An environment as the controls see it: its name, whether it is production, and its
/// variables and secrets.
#[derive(Clone)]
pub struct EnvTarget {
    pub name: String,
    pub production: bool,
    pub env: ProbeEnv,
    /// Deadline of each call.
    pub deadline: Duration,
}

impl EnvTarget {
    pub fn new(name: &str, production: bool, env: ProbeEnv) -> EnvTarget {
        EnvTarget {
            name: name.to_string(),
            production,
            env,
            deadline: CALL_DEADLINE,
        }
    }

    /// `name`'s variables and secrets from the store (secrets from the OS keyring).
    pub fn load(
        store: &crate::store::Store,
        name: &str,
        keyring: impl FnOnce() -> Result<crate::secrets::Keyring, crate::secrets::KeyringError>,
    ) -> Result<EnvTarget, ControlError> {
        let envs = crate::environments::Environments::open(store)?;
        let production = envs
            .production(name)?
            .ok_or_else(|| crate::environments::EnvError::NotFound(name.to_string()))?;
        let env = envs.probe_env(name, keyring)?;
        Ok(EnvTarget::new(name, production, env))
    }

    /// A variable rendered (`${secret:NAME}` filled), or `None` when the environment lacks it.
    fn var(&self, name: &str) -> Result<Option<Sensitive<String>>, ControlError> {
        let Some(raw) = self.env.vars.get(name) else {
            return Ok(None);
        };
        let t = Template::parse(raw).map_err(|e| ControlError::Config(format!("{name}: {e}")))?;
        let mut used = Vec::new();
        let v = t
            .render(&self.env, &mut used)
            .map_err(|e| ControlError::Config(format!("{name}: {e}")))?;
        Ok(Some(Sensitive::new(v)))
    }

    fn admin_url(&self) -> Result<String, ControlError> {
        for name in ["ADMIN_URL", "SANDBOX_URL"] {
            if let Some(v) = self.var(name)? {
                return Ok(v.into_inner());
            }
        }
        Err(ControlError::Config(format!(
            "environment `{}` has no ADMIN_URL: `flightdeck env set-var {} ADMIN_URL https://…`",
            self.name, self.name
        )))
    }

    /// The admin token from the OS keyring, when the environment has one.
    fn token(&self) -> Result<Option<Sensitive<String>>, ControlError> {
        match self.env.secrets.secret(TOKEN_SECRET) {
            Ok(v) => Ok(v.map(Sensitive::new)),
            Err(e) => Err(ControlError::Config(format!("secret {TOKEN_SECRET}: {}", e.0))),
        }
    }

    /// `text` with every secret of the environment masked.
    pub fn redact(&self, text: &str) -> String {
        String::from_utf8_lossy(&self.env.redact.redact(text.as_bytes())).into_owned()
    }

    /// The flags adapter `kind` (else `FLAGS_ADAPTER`, else `http`).
    pub fn flags_adapter(&self, kind: Option<AdapterKind>) -> Result<Adapter, ControlError> {
        let kind = match kind {
            Some(k) => k,
            None => match self.env.vars.get("FLAGS_ADAPTER") {
                Some(v) => v.parse()?,
                None => AdapterKind::Http,
            },
        };
        Ok(match kind {
            AdapterKind::Http => Adapter::Http(self.http()?),
            AdapterKind::Ofrep => {
                let base = match self.var("OFREP_URL")? {
                    Some(v) => v.into_inner(),
                    None => self.admin_url()?,
                };
                Adapter::Ofrep(Ofrep::new(&self.name, base, self.token()?, self.deadline))
            }
            AdapterKind::Sql => {
                let url = self.var("FLAGS_DB_URL")?.ok_or_else(|| {
                    ControlError::Config(format!(
                        "environment `{}` has no FLAGS_DB_URL (a postgres:// URL; put the password in a secret and write ${{secret:NAME}})",
                        self.name
                    ))
                })?;
                Adapter::Sql(SqlTable::new(&self.name, url, self.deadline))
            }
        })
    }

    /// The HTTP admin API (breakers always use it).
    pub fn http(&self) -> Result<HttpAdmin, ControlError> {
        Ok(HttpAdmin::new(
            &self.name,
            self.admin_url()?,
            self.token()?,
            self.deadline,
        ))
    }
}

/// One of the adapters.
pub enum Adapter {
    Http(HttpAdmin),
    Sql(SqlTable),
    Ofrep(Ofrep),
}

macro_rules! each {
    ($self:ident, $a:ident => $e:expr) => {
        match $self {
            Adapter::Http($a) => $e,
            Adapter::Sql($a) => $e,
            Adapter::Ofrep($a) => $e,
        }
    };
}

impl Adapter {
    pub fn kind(&self) -> AdapterKind {
        match self {
            Adapter::Http(_) => AdapterKind::Http,
            Adapter::Sql(_) => AdapterKind::Sql,
            Adapter::Ofrep(_) => AdapterKind::Ofrep,
        }
    }
}

impl Controls for Adapter {
    async fn flags(&self) -> Result<Vec<FlagState>, ControlError> {
        each!(self, a => a.flags().await)
    }

    async fn flag(&self, key: &str) -> Result<FlagState, ControlError> {
        each!(self, a => a.flag(key).await)
    }

    async fn set_flag(
        &self,
        key: &str,
        enabled: bool,
        rollout: u8,
        from: &FlagState,
    ) -> Result<(), ControlError> {
        each!(self, a => a.set_flag(key, enabled, rollout, from).await)
    }

    async fn breakers(&self) -> Result<Vec<BreakerState>, ControlError> {
        each!(self, a => a.breakers().await)
    }

    async fn breaker(&self, provider: &str) -> Result<BreakerState, ControlError> {
        each!(self, a => a.breaker(provider).await)
    }

    async fn act(&self, provider: &str, action: BreakerAction, from: &str) -> Result<(), ControlError> {
        each!(self, a => a.act(provider, action, from).await)
    }
}

/// A rollout percentage from JSON or SQL, checked to be 0–100.
pub(crate) fn rollout_of(what: &str, n: i64) -> Result<u8, ControlError> {
    u8::try_from(n)
        .ok()
        .filter(|p| *p <= 100)
        .ok_or_else(|| ControlError::Transport {
            what: what.to_string(),
            message: format!("rollout percentage {n} is not 0 to 100"),
        })
}
