//! A store's key and what it is used for: 32 random bytes, a fingerprint that names it, and the
//! HMAC-SHA256 of a run's head.
//!
//! Owns [`StoreKey`] (its bytes never show in `Debug`, `Display` or an error), the exact bytes a
//! MAC covers ([`Sealed`]), and [`StoreKeys`], where a host keeps each store's key: the OS keyring
//! in the app and the CLI (`crate::secrets::OsStoreKeys`), memory in tests ([`MemoryKeys`]).
//! Deciding when a head is sealed or checked is the rest of `keyed`'s.

use std::collections::HashMap;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secrets::{KeyringError, Sensitive};

type HmacSha256 = Hmac<Sha256>;

/// Domain separation: a MAC made for one purpose never stands for another.
const CHECKPOINT_TAG: &[u8] = b"flightdeck keyed checkpoint v1";
const KEY_ID_TAG: &[u8] = b"flightdeck store key id v1";

/// One store's key: 32 random bytes, made on the store's first keyed write (its id worked out
/// once, since every append compares it).
#[derive(Clone, PartialEq, Eq)]
pub struct StoreKey {
    bytes: Sensitive<[u8; 32]>,
    id: String,
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(***)")
    }
}

impl StoreKey {
    /// A new key from the operating system's random source.
    pub fn generate() -> Result<StoreKey, KeyringError> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(|e| KeyringError::Backend {
            detail: format!("no random bytes for a new store key: {e}"),
        })?;
        Ok(StoreKey::of(bytes))
    }

    /// The key a keyring item holds (64 hex characters), or `None` when it holds something else.
    pub fn from_hex(text: &str) -> Option<StoreKey> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut bytes).ok()?;
        Some(StoreKey::of(bytes))
    }

    fn of(bytes: [u8; 32]) -> StoreKey {
        let mut key = StoreKey {
            bytes: Sensitive::new(bytes),
            id: String::new(),
        };
        let mut mac = key.hmac();
        feed_part(&mut mac, KEY_ID_TAG);
        key.id = hex::encode(&mac.finalize().into_bytes()[..8]);
        key
    }

    /// The key as a keyring item holds it.
    pub fn to_hex(&self) -> Sensitive<String> {
        Sensitive::new(hex::encode(self.bytes.expose()))
    }

    /// The key's fingerprint (16 hex characters): what the store records to say which key sealed
    /// a checkpoint. It is a MAC of a fixed text, so it tells nothing about the key.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The MAC of a sealed head, hex.
    pub(super) fn seal(&self, sealed: &Sealed<'_>) -> String {
        let mut mac = self.hmac();
        sealed.feed(&mut mac);
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `mac` (hex) is this key's MAC of `sealed`, compared in constant time.
    pub(super) fn holds(&self, sealed: &Sealed<'_>, mac: &str) -> bool {
        let Ok(mac) = hex::decode(mac) else {
            return false;
        };
        let mut expected = self.hmac();
        sealed.feed(&mut expected);
        expected.verify_slice(&mac).is_ok()
    }

    fn hmac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(self.bytes.expose()).expect("HMAC takes a key of any length")
    }
}

/// One part of a MAC's input, its length first, so no two different inputs give the same bytes.
fn feed_part(mac: &mut HmacSha256, part: &[u8]) {
    mac.update(&(part.len() as u64).to_be_bytes());
    mac.update(part);
}

/// What a keyed checkpoint's MAC covers: the store, the run, the key, since when the run is
/// keyed, and its head (its last event's seq, which is its event count, and hash, which commits
/// to every event before it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Sealed<'a> {
    pub store_id: &'a str,
    pub run_id: &'a str,
    pub key_id: &'a str,
    pub since_seq: u64,
    pub since_time: &'a str,
    pub seq: u64,
    pub hash: &'a str,
}

impl Sealed<'_> {
    fn feed(&self, mac: &mut HmacSha256) {
        let since_seq = self.since_seq.to_be_bytes();
        let seq = self.seq.to_be_bytes();
        for part in [
            CHECKPOINT_TAG,
            self.store_id.as_bytes(),
            self.run_id.as_bytes(),
            self.key_id.as_bytes(),
            &since_seq[..],
            self.since_time.as_bytes(),
            &seq[..],
            self.hash.as_bytes(),
        ] {
            feed_part(mac, part);
        }
    }
}

/// Where a host keeps each store's key, by store id: the OS keyring in the app and the CLI,
/// memory in tests and benches. `Ok(None)` when it holds no key for the store.
pub trait StoreKeys: Send + Sync {
    fn get(&self, store_id: &str) -> Result<Option<StoreKey>, KeyringError>;
    /// Keep `key` as store `store_id`'s key, replacing any.
    fn put(&self, store_id: &str, key: &StoreKey) -> Result<(), KeyringError>;
}

/// Store keys held in memory for as long as this value lives: for tests and benches, which must
/// not fill a real keyring, and which can take a key away ([`MemoryKeys::forget`]) to play a
/// machine that does not hold it.
#[derive(Debug, Default)]
pub struct MemoryKeys {
    keys: Mutex<HashMap<String, StoreKey>>,
}

impl MemoryKeys {
    pub fn new() -> MemoryKeys {
        MemoryKeys::default()
    }

    /// Forget every key, as a wiped keyring (or another machine) would.
    pub fn forget(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, StoreKey>> {
        // A panic while holding the lock cannot leave the map half-changed.
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl StoreKeys for MemoryKeys {
    fn get(&self, store_id: &str) -> Result<Option<StoreKey>, KeyringError> {
        Ok(self.lock().get(store_id).cloned())
    }

    fn put(&self, store_id: &str, key: &StoreKey) -> Result<(), KeyringError> {
        self.lock().insert(store_id.to_string(), key.clone());
        Ok(())
    }
}
