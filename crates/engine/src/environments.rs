//! Environments: named targets (sandbox, staging, production and the user's own) with variables,
//! a `production` flag, and the names of their secrets.
//!
//! Owns the `environments`, `env_vars` and `secret_refs` tables (names and times only: secret
//! values live in the OS keyring, owned by `crate::secrets`), setting and removing a secret (the
//! keyring first, then its name), and what a run's steps get from their environment:
//! [`Environments::probe_env`] builds the `ProbeEnv` with the variables (the built-in defaults of
//! `run::builtin_vars` under the stored ones), a keyring-backed secret source and a `Redactor` of
//! every secret the environment has.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::clock::Clock;
use crate::probe::ProbeEnv;
use crate::run::builtin_vars;
use crate::secrets::{EnvSecrets, Keyring, KeyringError, Redactor, Sensitive};
use crate::store::{format_time, Store};

#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    #[error("no environment `{0}` (see `flightdeck env list`; `flightdeck env new {0}` makes one)")]
    NotFound(String),
    #[error("environment `{0}` already exists")]
    Exists(String),
    #[error("bad {what} `{name}`: use letters, digits, `_`, `-` and `.`")]
    BadName { what: &'static str, name: String },
    #[error("no secret `{name}` in environment `{env}` (see `flightdeck secret list {env}`)")]
    NoSecret { env: String, name: String },
    #[error(
        "no variable `{key}` is stored in environment `{env}`{}",
        if stored.is_empty() { " (it has none)".to_string() } else { format!(" (it has {})", stored.join(", ")) }
    )]
    NoVar {
        env: String,
        key: String,
        stored: Vec<String>,
    },
    #[error("store error while {context}: {source}")]
    Store {
        context: String,
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Keyring(#[from] KeyringError),
}

impl crate::error::HasKind for EnvError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            EnvError::NotFound(_) | EnvError::NoSecret { .. } | EnvError::NoVar { .. } => ErrorKind::NotFound,
            EnvError::Exists(_) => ErrorKind::Conflict,
            EnvError::BadName { .. } => ErrorKind::Invalid,
            EnvError::Store { .. } => ErrorKind::Store,
            EnvError::Keyring(e) => e.kind(),
        }
    }
}

fn sql(context: &str) -> impl Fn(rusqlite::Error) -> EnvError + '_ {
    move |source| EnvError::Store {
        context: context.to_string(),
        source,
    }
}

fn check_name(what: &'static str, name: &str) -> Result<(), EnvError> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(EnvError::BadName {
            what,
            name: name.to_string(),
        })
    }
}

/// One environment, as `env list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EnvSummary {
    pub name: String,
    pub production: bool,
    pub vars: usize,
    pub secrets: usize,
}

/// A variable and where its value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EnvVar {
    pub key: String,
    pub value: String,
    /// `stored` (set with `env set-var`) or `builtin` (Flightdeck's default for this env).
    #[cfg_attr(feature = "ts", ts(type = "\"stored\" | \"builtin\""))]
    pub source: &'static str,
}

/// A secret's name and when it was last set: never its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SecretRef {
    pub name: String,
    pub updated_at: String,
}

/// One environment in full, as `env show` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EnvDetail {
    pub name: String,
    pub production: bool,
    pub vars: Vec<EnvVar>,
    pub secrets: Vec<SecretRef>,
}

/// The environments of one store file (its own connection to the file, so runs and
/// environments can be used side by side).
pub struct Environments {
    conn: Connection,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Environments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environments").finish_non_exhaustive()
    }
}

impl Environments {
    /// The environments of `store`'s file (its migrations are applied by `Store::open`).
    pub fn open(store: &Store) -> Result<Environments, EnvError> {
        let fail = sql("opening the store for environments");
        let conn = Connection::open(store.local_path()).map_err(&fail)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(&fail)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(&fail)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(&fail)?;
        Ok(Environments {
            conn,
            clock: store.clock().clone(),
        })
    }

    fn now(&self) -> String {
        format_time(self.clock.now())
    }

    /// Whether `name` exists, and if so whether it is a production environment.
    pub fn production(&self, name: &str) -> Result<Option<bool>, EnvError> {
        self.conn
            .query_row(
                "SELECT production FROM environments WHERE name = ?1",
                [name],
                |r| r.get::<_, bool>(0),
            )
            .optional()
            .map_err(sql("reading an environment"))
    }

    fn require(&self, name: &str) -> Result<bool, EnvError> {
        self.production(name)?
            .ok_or_else(|| EnvError::NotFound(name.to_string()))
    }

    pub fn list(&self) -> Result<Vec<EnvSummary>, EnvError> {
        let fail = sql("listing environments");
        let mut stmt = self
            .conn
            .prepare(
                "SELECT e.name, e.production,
                        (SELECT count(*) FROM env_vars v WHERE v.env = e.name),
                        (SELECT count(*) FROM secret_refs s WHERE s.env = e.name)
                 FROM environments e ORDER BY e.name",
            )
            .map_err(&fail)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .map_err(&fail)?;
        let mut out = Vec::new();
        for row in rows {
            let (name, production, vars, secrets) = row.map_err(&fail)?;
            let builtin = builtin_vars(&name);
            let stored = self.stored_vars(&name)?;
            let extra = builtin.keys().filter(|k| !stored.contains_key(*k)).count();
            out.push(EnvSummary {
                name,
                production,
                vars: vars as usize + extra,
                secrets: secrets as usize,
            });
        }
        Ok(out)
    }

    /// Make a new environment.
    pub fn create(&self, name: &str, production: bool) -> Result<(), EnvError> {
        check_name("environment name", name)?;
        if self.production(name)?.is_some() {
            return Err(EnvError::Exists(name.to_string()));
        }
        self.conn
            .execute(
                "INSERT INTO environments (name, production, created_at) VALUES (?1, ?2, ?3)",
                params![name, production, self.now()],
            )
            .map_err(sql("creating an environment"))?;
        Ok(())
    }

    pub fn show(&self, name: &str) -> Result<EnvDetail, EnvError> {
        let production = self.require(name)?;
        let stored = self.stored_vars(name)?;
        let mut vars: Vec<EnvVar> = builtin_vars(name)
            .into_iter()
            .filter(|(k, _)| !stored.contains_key(k))
            .map(|(key, value)| EnvVar {
                key,
                value,
                source: "builtin",
            })
            .collect();
        vars.extend(stored.into_iter().map(|(key, value)| EnvVar {
            key,
            value,
            source: "stored",
        }));
        vars.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(EnvDetail {
            name: name.to_string(),
            production,
            vars,
            secrets: self.secrets(name)?,
        })
    }

    fn stored_vars(&self, env: &str) -> Result<BTreeMap<String, String>, EnvError> {
        let fail = sql("reading variables");
        let mut stmt = self
            .conn
            .prepare("SELECT key, value FROM env_vars WHERE env = ?1")
            .map_err(&fail)?;
        let rows = stmt
            .query_map([env], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&fail)?;
        rows.collect::<Result<_, _>>().map_err(&fail)
    }

    /// Set (or replace) a variable.
    pub fn set_var(&self, env: &str, key: &str, value: &str) -> Result<(), EnvError> {
        self.require(env)?;
        let valid_key = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_key {
            return Err(EnvError::BadName {
                what: "variable name",
                name: key.to_string(),
            });
        }
        self.conn
            .execute(
                "INSERT INTO env_vars (env, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (env, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                params![env, key, value, self.now()],
            )
            .map_err(sql("setting a variable"))?;
        Ok(())
    }

    /// Remove a stored variable; steps see its built-in default again, if it has one.
    pub fn unset_var(&self, env: &str, key: &str) -> Result<(), EnvError> {
        self.require(env)?;
        let removed = self
            .conn
            .execute(
                "DELETE FROM env_vars WHERE env = ?1 AND key = ?2",
                params![env, key],
            )
            .map_err(sql("removing a variable"))?;
        if removed == 0 {
            return Err(EnvError::NoVar {
                env: env.to_string(),
                key: key.to_string(),
                stored: self.stored_vars(env)?.into_keys().collect(),
            });
        }
        Ok(())
    }

    /// The variables a step sees: the built-in defaults, then the stored ones over them. An
    /// environment that is not in the store (a run made with any `--env`) has the defaults only.
    pub fn vars(&self, env: &str) -> Result<BTreeMap<String, String>, EnvError> {
        let mut vars = builtin_vars(env);
        vars.extend(self.stored_vars(env)?);
        Ok(vars)
    }

    /// The names of the environment's secrets and when each was set.
    pub fn secrets(&self, env: &str) -> Result<Vec<SecretRef>, EnvError> {
        let fail = sql("listing secrets");
        let mut stmt = self
            .conn
            .prepare("SELECT name, updated_at FROM secret_refs WHERE env = ?1 ORDER BY name")
            .map_err(&fail)?;
        let rows = stmt
            .query_map([env], |r| {
                Ok(SecretRef {
                    name: r.get(0)?,
                    updated_at: r.get(1)?,
                })
            })
            .map_err(&fail)?;
        rows.collect::<Result<_, _>>().map_err(&fail)
    }

    /// Store a secret in the keyring, then record its name. The value never touches the store.
    pub fn set_secret(
        &self,
        keyring: &Keyring,
        env: &str,
        name: &str,
        value: &Sensitive<String>,
    ) -> Result<SecretRef, EnvError> {
        self.require(env)?;
        check_name("secret name", name)?;
        keyring.set(env, name, value)?;
        let updated_at = self.now();
        self.conn
            .execute(
                "INSERT INTO secret_refs (env, name, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (env, name) DO UPDATE SET updated_at = excluded.updated_at",
                params![env, name, updated_at],
            )
            .map_err(sql("recording a secret's name"))?;
        Ok(SecretRef {
            name: name.to_string(),
            updated_at,
        })
    }

    /// Remove a secret from the keyring and forget its name.
    pub fn remove_secret(&self, keyring: &Keyring, env: &str, name: &str) -> Result<(), EnvError> {
        self.require(env)?;
        check_name("secret name", name)?;
        let in_keyring = keyring.delete(env, name)?;
        let forgotten = self
            .conn
            .execute(
                "DELETE FROM secret_refs WHERE env = ?1 AND name = ?2",
                params![env, name],
            )
            .map_err(sql("forgetting a secret"))?;
        if !in_keyring && forgotten == 0 {
            return Err(EnvError::NoSecret {
                env: env.to_string(),
                name: name.to_string(),
            });
        }
        Ok(())
    }

    /// What a run's steps get from environment `env`: its variables, its secrets from the
    /// keyring, and a redactor of every one of them. An environment with no secrets needs no
    /// keyring (`keyring` is only called when there is something to read).
    pub fn probe_env(
        &self,
        env: &str,
        keyring: impl FnOnce() -> Result<Keyring, KeyringError>,
    ) -> Result<ProbeEnv, EnvError> {
        let vars = self.vars(env)?;
        let refs = self.secrets(env)?;
        let mut probe = ProbeEnv {
            vars,
            ..ProbeEnv::default()
        };
        if refs.is_empty() {
            return Ok(probe);
        }
        let keyring = keyring()?;
        let mut values = Vec::new();
        for r in &refs {
            match keyring.get(env, &r.name)? {
                Some(v) => values.push((r.name.clone(), v)),
                None => {
                    return Err(EnvError::NoSecret {
                        env: env.to_string(),
                        name: r.name.clone(),
                    })
                }
            }
        }
        probe.secrets = Arc::new(EnvSecrets::new(keyring, env));
        probe.redact = Arc::new(Redactor::new(values));
        Ok(probe)
    }
}
