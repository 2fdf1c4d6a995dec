//! Where each store's key is kept: the OS keyring, service [`SERVICE`], account
//! `store-key:<store id>` (see [`store_key_account`]), the key as 64 hex characters.
//!
//! Owns [`OsStoreKeys`], the app's and the CLI's [`StoreKeys`]. It asks the keyring only when the
//! store needs the key (a write, a `verify`), without `Keyring::open`'s canary: a new key is read
//! back after it is written, which proves the same thing. What the key seals, and when, belongs
//! to `crate::store`. The account cannot collide with a secret's (`<env>/<NAME>` never holds a
//! `:`).

use super::keyring::{Keyring, SERVICE};
use super::KeyringError;
use crate::store::{StoreKey, StoreKeys};

/// The keyring account of store `store_id`'s key.
pub fn store_key_account(store_id: &str) -> String {
    format!("store-key:{store_id}")
}

/// Store keys in the OS keyring. Cheap to make: nothing is asked until a key is needed.
#[derive(Debug, Clone)]
pub struct OsStoreKeys {
    keyring: Keyring,
}

impl Default for OsStoreKeys {
    fn default() -> Self {
        OsStoreKeys::new()
    }
}

impl OsStoreKeys {
    pub fn new() -> OsStoreKeys {
        OsStoreKeys {
            keyring: Keyring::unproven(),
        }
    }
}

/// A store id as the store makes them (32 lowercase hex characters): anything else in the file is
/// never handed to the keyring.
fn check(store_id: &str) -> Result<(), KeyringError> {
    let plain = store_id.len() == 32 && store_id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if plain {
        Ok(())
    } else {
        Err(KeyringError::Backend {
            detail: "the store's id (store_identity) is not 32 hex characters, so no key is looked up for it"
                .into(),
        })
    }
}

impl StoreKeys for OsStoreKeys {
    fn get(&self, store_id: &str) -> Result<Option<StoreKey>, KeyringError> {
        check(store_id)?;
        let Some(text) = self.keyring.fetch(&store_key_account(store_id))? else {
            return Ok(None);
        };
        // What the item holds is never repeated: it may be the key, or close to it.
        StoreKey::from_hex(text.expose())
            .map(Some)
            .ok_or_else(|| KeyringError::Backend {
                detail: format!(
                    "the keyring item {SERVICE} / {} does not hold a store key (64 hex characters)",
                    store_key_account(store_id)
                ),
            })
    }

    fn put(&self, store_id: &str, key: &StoreKey) -> Result<(), KeyringError> {
        check(store_id)?;
        self.keyring.put(&store_key_account(store_id), &key.to_hex())
    }
}
