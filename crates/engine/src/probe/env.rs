//! What a probe runs in: variables, a secrets lookup, a redaction hook and a clock.
//!
//! Owns [`ProbeEnv`], the [`SecretSource`] and [`Redact`] traits the caller implements (the
//! keyring-backed ones live with the secrets code, not here), and [`Template`]: a value with
//! `${VAR}` / `${secret:NAME}` references, checked at import and filled at run time.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};

/// Looks secrets up by name (`${secret:NAME}`). `Ok(None)` means there is no such secret.
pub trait SecretSource: Send + Sync {
    fn secret(&self, name: &str) -> Result<Option<String>, SecretError>;
}

/// A secrets lookup failed (the keyring is locked, the service is gone, ...).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct SecretError(pub String);

/// Rewrites bytes before they leave a probe (output events, excerpts, captures, messages).
/// Called on whole lines where it can be (a line longer than 64 KiB is passed in pieces).
pub trait Redact: Send + Sync {
    fn redact(&self, bytes: &[u8]) -> Vec<u8>;
}

/// No secrets at all.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSecrets;

impl SecretSource for NoSecrets {
    fn secret(&self, _name: &str) -> Result<Option<String>, SecretError> {
        Ok(None)
    }
}

/// Secrets from a map (tests, CI variables).
#[derive(Default, Clone)]
pub struct MapSecrets(pub BTreeMap<String, String>);

impl fmt::Debug for MapSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl SecretSource for MapSecrets {
    fn secret(&self, name: &str) -> Result<Option<String>, SecretError> {
        Ok(self.0.get(name).cloned())
    }
}

/// Leaves bytes as they are. (Secret values a probe substituted are masked regardless.)
#[derive(Debug, Default, Clone, Copy)]
pub struct Identity;

impl Redact for Identity {
    fn redact(&self, bytes: &[u8]) -> Vec<u8> {
        bytes.to_vec()
    }
}

/// Everything a probe takes from its caller besides its spec.
#[derive(Clone)]
pub struct ProbeEnv {
    /// `${VAR}` values; shell steps also get them as environment variables.
    pub vars: BTreeMap<String, String>,
    pub secrets: Arc<dyn SecretSource>,
    pub redact: Arc<dyn Redact>,
    /// Where range queries take "now" from.
    pub clock: Arc<dyn Clock>,
    /// Working directory for shell steps and relative `git-tag` repos (default: the process's).
    pub cwd: Option<PathBuf>,
    /// The run's latest signal baseline (its latest passing `baseline` step), for `slo` steps
    /// that compare with it; set by the run before its steps start.
    pub baseline: Option<Arc<crate::signals::baseline::Baseline>>,
    /// Where control steps (`flags`, `flag-toggle`, `breaker-trip`) send what they did, to be
    /// recorded in the run as it happens; `None` outside a run (they then refuse to change
    /// anything).
    pub controls: Option<ControlSink>,
}

/// The run's ear for control steps: the environment they act on and a channel the run records
/// from (`run::run_steps`).
#[derive(Clone)]
pub struct ControlSink {
    pub env: String,
    pub production: bool,
    pub tx: tokio::sync::mpsc::UnboundedSender<ControlNote>,
}

/// What a control step reports.
#[derive(Debug, Clone)]
pub enum ControlNote {
    /// An attempt about to be sent (before it is).
    Intent(Box<crate::controls::ControlIntent>),
    Action(Box<crate::controls::ControlRecord>),
    Drift {
        adapter: String,
        rows: Vec<crate::controls::DriftRow>,
    },
}

impl Default for ProbeEnv {
    fn default() -> Self {
        ProbeEnv {
            vars: BTreeMap::new(),
            secrets: Arc::new(NoSecrets),
            redact: Arc::new(Identity),
            clock: Arc::new(SystemClock),
            cwd: None,
            baseline: None,
            controls: None,
        }
    }
}

impl fmt::Debug for ProbeEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProbeEnv")
            .field("vars", &self.vars)
            .field("cwd", &self.cwd)
            .finish_non_exhaustive()
    }
}

impl ProbeEnv {
    pub fn with_var(mut self, name: &str, value: impl Into<String>) -> Self {
        self.vars.insert(name.to_owned(), value.into());
        self
    }
}

/// A template could not be filled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    #[error("unknown variable ${{{0}}}: the environment does not define it")]
    UnknownVar(String),
    #[error("unknown secret ${{secret:{0}}}: the secret store has no such name")]
    UnknownSecret(String),
    #[error("secret {name}: {message}")]
    Secret { name: String, message: String },
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Var(String),
    Secret(String),
}

/// A value with `${VAR}` and `${secret:NAME}` references (`$${` is a literal `${`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    pub source: String,
    pub pieces: Vec<Piece>,
}

impl serde::Serialize for Template {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

/// A malformed reference in a template, quoting the template it is in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unclosed `${{` in `{template}`")]
    Unclosed { template: String },
    #[error("bad secret name `{name}` in `{template}`")]
    BadSecretName { name: String, template: String },
    #[error("bad variable name `{name}` in `{template}`")]
    BadVarName { name: String, template: String },
}

/// The message alone, for an annotation error that says which line it is on.
impl From<TemplateError> for String {
    fn from(e: TemplateError) -> String {
        e.to_string()
    }
}

impl Template {
    /// Reads the references; a malformed one is an error naming it.
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut rest = src;
        while let Some(i) = rest.find('$') {
            text.push_str(&rest[..i]);
            let after = &rest[i..];
            if let Some(r) = after.strip_prefix("$${") {
                text.push_str("${");
                rest = r;
            } else if let Some(r) = after.strip_prefix("${") {
                let end = r.find('}').ok_or_else(|| TemplateError::Unclosed {
                    template: src.to_owned(),
                })?;
                let name = &r[..end];
                let piece = match name.strip_prefix("secret:") {
                    Some(s) if valid_secret_name(s) => Piece::Secret(s.to_owned()),
                    Some(s) => {
                        return Err(TemplateError::BadSecretName {
                            name: s.to_owned(),
                            template: src.to_owned(),
                        })
                    }
                    None if valid_var_name(name) => Piece::Var(name.to_owned()),
                    None => {
                        return Err(TemplateError::BadVarName {
                            name: name.to_owned(),
                            template: src.to_owned(),
                        })
                    }
                };
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(piece);
                rest = &r[end + 1..];
            } else {
                text.push('$');
                rest = &after[1..];
            }
        }
        text.push_str(rest);
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Template {
            source: src.to_owned(),
            pieces,
        })
    }

    /// Fills every reference; secret values used are added to `used` (so they can be masked).
    pub fn render(&self, env: &ProbeEnv, used: &mut Vec<String>) -> Result<String, EnvError> {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(v) => {
                    out.push_str(env.vars.get(v).ok_or_else(|| EnvError::UnknownVar(v.clone()))?)
                }
                Piece::Secret(s) => {
                    let value = lookup_secret(env, s)?;
                    out.push_str(&value);
                    used.push(value);
                }
            }
        }
        Ok(out)
    }

    /// Fills `${VAR}` but leaves `${secret:NAME}` as written: what provenance hashes and shows.
    pub fn describe(&self, env: &ProbeEnv) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(v) => match env.vars.get(v) {
                    Some(val) => out.push_str(val),
                    None => out.push_str(&format!("${{{v}}}")),
                },
                Piece::Secret(s) => out.push_str(&format!("${{secret:{s}}}")),
            }
        }
        out
    }
}

pub(crate) fn lookup_secret(env: &ProbeEnv, name: &str) -> Result<String, EnvError> {
    match env.secrets.secret(name) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(EnvError::UnknownSecret(name.to_owned())),
        Err(e) => Err(EnvError::Secret {
            name: name.to_owned(),
            message: e.0,
        }),
    }
}

fn valid_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn valid_secret_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
}

/// The environment variable a shell step reads `${secret:NAME}` from.
pub fn secret_env_name(name: &str) -> String {
    let mut out = String::from("FLIGHTDECK_SECRET_");
    out.extend(name.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_vars_and_secrets_and_name_what_is_missing() {
        let mut secrets = BTreeMap::new();
        secrets.insert("db".to_owned(), "hunter2".to_owned());
        let env = ProbeEnv {
            secrets: Arc::new(MapSecrets(secrets)),
            ..ProbeEnv::default()
        }
        .with_var("HOST", "127.0.0.1");
        let t = Template::parse("postgres://u:${secret:db}@${HOST}/x?$${literal} $5").unwrap();
        let mut used = vec![];
        assert_eq!(
            t.render(&env, &mut used).unwrap(),
            "postgres://u:hunter2@127.0.0.1/x?${literal} $5"
        );
        assert_eq!(used, vec!["hunter2".to_owned()]);
        assert_eq!(
            t.describe(&env),
            "postgres://u:${secret:db}@127.0.0.1/x?${literal} $5"
        );
        let t = Template::parse("${NOPE}/x").unwrap();
        assert_eq!(
            t.render(&env, &mut used),
            Err(EnvError::UnknownVar("NOPE".into()))
        );
        assert!(t
            .render(&env, &mut used)
            .unwrap_err()
            .to_string()
            .contains("NOPE"));
        assert!(Template::parse("${unclosed").is_err());
        assert!(Template::parse("${1BAD}").is_err());
        assert_eq!(secret_env_name("db.pass-word"), "FLIGHTDECK_SECRET_DB_PASS_WORD");
    }

    #[test]
    fn a_malformed_reference_is_named_with_the_template_it_is_in() {
        let why = |src: &str| Template::parse(src).expect_err(src).to_string();
        assert_eq!(why("x ${unclosed"), "unclosed `${` in `x ${unclosed`");
        assert_eq!(why("${secret:}"), "bad secret name `` in `${secret:}`");
        assert_eq!(why("${secret:a b}"), "bad secret name `a b` in `${secret:a b}`");
        assert_eq!(why("${1BAD}/x"), "bad variable name `1BAD` in `${1BAD}/x`");
        assert_eq!(
            String::from(TemplateError::Unclosed {
                template: "${".into()
            }),
            "unclosed `${` in `${`",
            "an annotation error takes the message as it is"
        );
    }
}
