//! The OS keyring: one place that calls the `keyring` crate.
//!
//! Secrets live under service [`SERVICE`] with account `<env>/<NAME>` (see [`account`]); on Linux
//! the Secret Service item carries the attributes `service`, `username`, `target` (`default`) and
//! `application` (`rust-keyring`), which is what `secret-tool lookup service flightdeck username
//! sandbox/DB_PASSWORD` finds. The backend is chosen at build time and is persistent on every
//! platform (Secret Service, Keychain, Credential Manager); [`Keyring::open`] proves it with a
//! canary write / read / delete. Every call runs on its own thread and gives up after
//! [`CALL_TIMEOUT`]: a locked keyring waiting on an unlock prompt, a missing Secret Service or a
//! missing D-Bus end in a [`KeyringError`] that says what to do, never in a hang and never in a
//! plaintext fallback.

use std::sync::mpsc;
use std::time::Duration;

use super::Sensitive;
use crate::probe::{SecretError, SecretSource};

/// The keyring service every Flightdeck secret is stored under.
pub const SERVICE: &str = "flightdeck";

/// How long one keyring call may take before it is reported as unanswered.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(3);

/// The keyring account (Secret Service `username`) of secret `name` in environment `env`.
pub fn account(env: &str, name: &str) -> String {
    format!("{env}/{name}")
}

/// Why the keyring could not be used. Each message says what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    #[error(
        "no D-Bus session bus ({detail}): secrets need the OS keyring; run Flightdeck in a desktop \
         session, or start one with `dbus-run-session` and a Secret Service (gnome-keyring-daemon)"
    )]
    NoDbus { detail: String },
    #[error(
        "no Secret Service on the D-Bus session bus ({detail}): start gnome-keyring-daemon \
         (`gnome-keyring-daemon --start --components=secrets`) or another Secret Service provider"
    )]
    NoSecretService { detail: String },
    #[error(
        "the keyring is locked ({detail}): unlock it (log in to the desktop session, or unlock the \
         `login` keyring in your keyring manager) and try again"
    )]
    Locked { detail: String },
    #[error(
        "the keyring did not answer within {} s (it is probably locked and waiting for an unlock \
         prompt nobody can see): unlock it and try again",
        .0.as_secs()
    )]
    Timeout(Duration),
    #[error(
        "the keyring does not keep secrets ({detail}): a written test value did not read back; \
         Flightdeck needs a persistent keyring (Secret Service, Keychain or Credential Manager)"
    )]
    NotPersistent { detail: String },
    #[error("bad secret name `{0}`: use letters, digits, `_`, `-` and `.`")]
    BadName(String),
    #[error("keyring error: {detail}")]
    Backend { detail: String },
}

impl crate::error::HasKind for KeyringError {
    fn kind(&self) -> crate::error::ErrorKind {
        use crate::error::ErrorKind;
        match self {
            KeyringError::BadName(_) => ErrorKind::Invalid,
            KeyringError::NoDbus { .. }
            | KeyringError::NoSecretService { .. }
            | KeyringError::Locked { .. }
            | KeyringError::Timeout(_)
            | KeyringError::NotPersistent { .. }
            | KeyringError::Backend { .. } => ErrorKind::Keyring,
        }
    }
}

impl KeyringError {
    /// Which keyring failure, finer than its kind (`keyring_locked`, `keyring_no_dbus`, …): for
    /// logs and tests; decisions go by `HasKind::kind`.
    pub fn code(&self) -> &'static str {
        match self {
            KeyringError::NoDbus { .. } => "keyring_no_dbus",
            KeyringError::NoSecretService { .. } => "keyring_no_service",
            KeyringError::Locked { .. } => "keyring_locked",
            KeyringError::Timeout(_) => "keyring_timeout",
            KeyringError::NotPersistent { .. } => "keyring_not_persistent",
            KeyringError::BadName(_) => "invalid",
            KeyringError::Backend { .. } => "keyring",
        }
    }

    fn from_keyring(e: keyring::Error) -> KeyringError {
        let detail = e.to_string();
        match e {
            keyring::Error::NoStorageAccess(_) => KeyringError::Locked { detail },
            keyring::Error::PlatformFailure(inner) => classify(&inner.to_string()),
            _ => KeyringError::Backend { detail },
        }
    }
}

/// Sorts a platform failure by what the user has to do about it.
fn classify(detail: &str) -> KeyringError {
    let d = detail.to_string();
    let lower = detail.to_ascii_lowercase();
    if lower.contains("locked") || lower.contains("prompt") {
        KeyringError::Locked { detail: d }
    } else if lower.contains("serviceunknown")
        || lower.contains("not provided by any .service")
        || lower.contains("org.freedesktop.secrets")
    {
        KeyringError::NoSecretService { detail: d }
    } else if lower.contains("dbus_session_bus_address")
        || lower.contains("failed to connect to socket")
        || lower.contains("unable to autolaunch")
        || lower.contains("no such file")
        || lower.contains("connection refused")
        || lower.contains("d-bus")
        || lower.contains("dbus")
    {
        KeyringError::NoDbus { detail: d }
    } else {
        KeyringError::Backend { detail: d }
    }
}

/// Runs one keyring call on its own thread, giving up after `timeout`. A call that never
/// returns (a D-Bus call waiting on a prompt) leaves its thread behind; the caller moves on.
fn call<T, F>(timeout: Duration, f: F) -> Result<T, KeyringError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, keyring::Error> + Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("flightdeck-keyring".into())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .map_err(|e| KeyringError::Backend {
            detail: format!("cannot start the keyring thread: {e}"),
        })?;
    match rx.recv_timeout(timeout) {
        Ok(r) => r.map_err(KeyringError::from_keyring),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(KeyringError::Timeout(timeout)),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(KeyringError::Backend {
            detail: "the keyring call panicked".into(),
        }),
    }
}

fn valid_part(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The OS keyring, proven to persist. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Keyring {
    service: String,
    timeout: Duration,
}

impl Keyring {
    /// The keyring under [`SERVICE`], after a canary write / read / delete proved it keeps what
    /// it is given. Fails within a few [`CALL_TIMEOUT`]s with a typed error.
    pub fn open() -> Result<Keyring, KeyringError> {
        let k = Keyring {
            service: SERVICE.to_string(),
            timeout: CALL_TIMEOUT,
        };
        k.canary()?;
        Ok(k)
    }

    /// The keyring under [`SERVICE`] without the canary: for callers that prove persistence
    /// themselves (a store key is read back after it is written) or only read, and must not pay
    /// three round trips before their first call.
    pub(super) fn unproven() -> Keyring {
        Keyring {
            service: SERVICE.to_string(),
            timeout: CALL_TIMEOUT,
        }
    }

    fn canary(&self) -> Result<(), KeyringError> {
        let id = uuid::Uuid::now_v7().to_string();
        let who = format!(".canary/{id}");
        let value = Sensitive::new(format!("canary-{id}"));
        self.put(&who, &value)?;
        let back = self.fetch(&who);
        let removed = self.remove(&who);
        match back? {
            Some(v) if v == value => {}
            Some(_) => {
                return Err(KeyringError::NotPersistent {
                    detail: "a different value came back".into(),
                })
            }
            None => {
                return Err(KeyringError::NotPersistent {
                    detail: "nothing came back".into(),
                })
            }
        }
        removed?;
        Ok(())
    }

    fn check(env: &str, name: &str) -> Result<(), KeyringError> {
        if !valid_part(env) {
            return Err(KeyringError::BadName(env.to_string()));
        }
        if !valid_part(name) {
            return Err(KeyringError::BadName(name.to_string()));
        }
        Ok(())
    }

    /// Store (or replace) secret `name` of environment `env`.
    pub fn set(&self, env: &str, name: &str, value: &Sensitive<String>) -> Result<(), KeyringError> {
        Self::check(env, name)?;
        self.put(&account(env, name), value)
    }

    /// Secret `name` of environment `env`; `Ok(None)` when there is none.
    pub fn get(&self, env: &str, name: &str) -> Result<Option<Sensitive<String>>, KeyringError> {
        Self::check(env, name)?;
        self.fetch(&account(env, name))
    }

    /// Remove secret `name` of environment `env`; `Ok(false)` when there was none.
    pub fn delete(&self, env: &str, name: &str) -> Result<bool, KeyringError> {
        Self::check(env, name)?;
        self.remove(&account(env, name))
    }

    pub(super) fn put(&self, who: &str, value: &Sensitive<String>) -> Result<(), KeyringError> {
        let (service, who, value) = (self.service.clone(), who.to_string(), value.clone());
        call(self.timeout, move || {
            keyring::Entry::new(&service, &who)?.set_password(value.expose())
        })
    }

    pub(super) fn fetch(&self, who: &str) -> Result<Option<Sensitive<String>>, KeyringError> {
        let (service, who) = (self.service.clone(), who.to_string());
        call(self.timeout, move || {
            match keyring::Entry::new(&service, &who)?.get_password() {
                Ok(v) => Ok(Some(Sensitive::new(v))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    fn remove(&self, who: &str) -> Result<bool, KeyringError> {
        let (service, who) = (self.service.clone(), who.to_string());
        call(self.timeout, move || {
            match keyring::Entry::new(&service, &who)?.delete_credential() {
                Ok(()) => Ok(true),
                Err(keyring::Error::NoEntry) => Ok(false),
                Err(e) => Err(e),
            }
        })
    }
}

/// The secrets of one environment, read from the keyring when a probe asks for them.
#[derive(Debug, Clone)]
pub struct EnvSecrets {
    keyring: Keyring,
    env: String,
}

impl EnvSecrets {
    pub fn new(keyring: Keyring, env: &str) -> Self {
        EnvSecrets {
            keyring,
            env: env.to_string(),
        }
    }
}

impl SecretSource for EnvSecrets {
    fn secret(&self, name: &str) -> Result<Option<String>, SecretError> {
        match self.keyring.get(&self.env, name) {
            Ok(v) => Ok(v.map(Sensitive::into_inner)),
            Err(e) => Err(SecretError(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_and_errors_say_where_and_what_to_do() {
        assert_eq!(account("sandbox", "DB_PASSWORD"), "sandbox/DB_PASSWORD");
        assert!(matches!(
            classify("org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files"),
            KeyringError::NoSecretService { .. }
        ));
        assert!(matches!(
            classify("D-Bus error: Failed to connect to socket /nonexistent: No such file or directory"),
            KeyringError::NoDbus { .. }
        ));
        let t = KeyringError::Timeout(CALL_TIMEOUT).to_string();
        assert!(t.contains("3 s") && t.contains("unlock"), "{t}");
        assert!(Keyring::check("prod", "a/b").is_err());
        assert!(Keyring::check("prod", "DB_PASSWORD").is_ok());
    }

    #[test]
    fn a_call_that_never_returns_times_out() {
        let start = std::time::Instant::now();
        let r: Result<(), _> = call(Duration::from_millis(200), || {
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        });
        assert_eq!(r, Err(KeyringError::Timeout(Duration::from_millis(200))));
        assert!(start.elapsed() < Duration::from_secs(2));
    }
}
