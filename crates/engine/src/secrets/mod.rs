//! Secrets: the OS keyring, the [`Sensitive`] wrapper, and the [`Redactor`] that keeps secret
//! values out of everything Flightdeck records.
//!
//! Owns every call into the `keyring` crate (`keyring`), the typed [`KeyringError`] those calls
//! end in, where each store's key is kept (`store_key`: the store's keyed checkpoints are
//! `crate::store`'s), and redaction (`redact`). Which secrets an environment has (names and "updated at",
//! never values) is kept in the store by `crate::environments`; injecting values into steps belongs to
//! `crate::probe`, which reads them through the [`crate::probe::SecretSource`] given here.

mod keyring;
mod redact;
mod sensitive;
mod store_db;
mod store_key;

pub use self::keyring::{account, EnvSecrets, Keyring, KeyringError, CALL_TIMEOUT, SERVICE};
pub use redact::Redactor;
pub use sensitive::Sensitive;
pub use store_db::{set_store_db_password, store_db_account, store_db_password};
pub use store_key::{store_key_account, OsStoreKeys};
