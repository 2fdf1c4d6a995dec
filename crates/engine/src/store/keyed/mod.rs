//! Keyed checkpoints: each run's head, MACed with a key only this machine's keyring holds, so a
//! log rewritten whole (events edited, the hash chain and the head recomputed) fails `verify`.
//!
//! The hash chain proves a log holds together, not who wrote it: anyone with the file can edit an
//! event and recompute every hash after it. A keyed checkpoint adds what the file alone cannot
//! give: one row per run (`keyed_checkpoints`) holding the run's last event (seq and hash) and an
//! HMAC-SHA256 of it under the store's key, rewritten in the same transaction as each append. The
//! key (32 random bytes, made on the store's first keyed write) lives in the OS keyring under the
//! store's id (`store_identity`), never in SQLite, a log or an error; a `Store` asks the keyring
//! once and keeps it (`Keying`).
//!
//! Owns sealing a head on each append (`seal`), checking the row on `verify` (`check`, the
//! outcome as [`KeyedStatus`]) and the key itself (`key`). Not to be confused with the state
//! checkpoints (`super::checkpoint`: a cache of folded state) or the run's head checkpoint
//! (`runs.head_seq` / `runs.head_hash`, unkeyed, which catches a removed last event).
//!
//! The rules, in short (the README's "Keyed checkpoints" says them for users):
//! - Reads never need the keyring; only a write or `verify` asks it, and `verify` without it still
//!   checks the chain and says why the checkpoint was not checked.
//! - A write whose key cannot be had (no keyring, a locked one) is still written, unkeyed; the
//!   run's checkpoint stays where it was, and the host is told why (`Store::unkeyed_write`).
//! - An append extends the run's checkpoint when the checkpoint stands at the log's head and its
//!   MAC holds; it is refused when the checkpoint does not hold under this key (the log or the row
//!   was rewritten without the key). Otherwise (no checkpoint yet, one left behind by writes
//!   without the key, one made with another key) the run is keyed afresh from this event, but only
//!   when its whole chain verifies, and the row records since which event and when: `verify` says
//!   "keyed since event N", so what the key vouches for, and since when, is never overstated.

mod check;
mod key;
mod seal;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::StoreError;
use crate::secrets::KeyringError;

pub(crate) use check::status;
pub use key::{MemoryKeys, StoreKey, StoreKeys};
pub(crate) use seal::seal;

/// After a keyring call failed, how long a `Store` writes unkeyed before asking it again (a
/// locked keyring answers after `secrets::CALL_TIMEOUT`; asking on every write would stall each).
const RETRY_AFTER: Duration = Duration::from_secs(30);

/// What `verify` found of a run's keyed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum KeyedStatus {
    /// The checkpoint stands at the log's last event and its MAC holds under this machine's key:
    /// the log is as this key's holder last wrote it. `since_seq` / `since_time`: the first event
    /// appended under the key (1 for a run keyed from its start).
    Keyed {
        key_id: String,
        since_seq: u64,
        since_time: String,
        seq: u64,
    },
    /// The checkpoint holds, but the log runs past it: events after `seq` were appended without
    /// the key (where no keyring could be used, or outside Flightdeck).
    Behind {
        key_id: String,
        since_seq: u64,
        since_time: String,
        seq: u64,
        events: u64,
    },
    /// The checkpoint does not hold: the log, or the checkpoint, was rewritten without the key.
    Mismatch { seq: u64, reason: String },
    /// The run has no keyed checkpoint: written before keyed checkpoints, or never where a
    /// keyring could be used.
    Unkeyed,
    /// The checkpoint was made with a key this machine's keyring does not hold: the store comes
    /// from another machine, or the keyring was wiped. `key_id` is the one the row names (when it
    /// looks like a key id), `here` this machine's key for the store, if any.
    KeyMissing {
        key_id: Option<String>,
        here: Option<String>,
    },
    /// The checkpoint was not checked: the keyring could not be asked, or the store was opened
    /// without one.
    Unchecked { reason: String },
}

impl KeyedStatus {
    /// A checkpoint that does not hold: the one status that fails verification.
    pub fn is_mismatch(&self) -> bool {
        matches!(self, KeyedStatus::Mismatch { .. })
    }
}

/// A run's keyed checkpoint row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Checkpoint {
    key_id: String,
    since_seq: u64,
    since_time: String,
    seq: u64,
    hash: String,
    mac: String,
}

impl Checkpoint {
    fn sealed<'a>(&'a self, store_id: &'a str, run_id: &'a str) -> key::Sealed<'a> {
        key::Sealed {
            store_id,
            run_id,
            key_id: &self.key_id,
            since_seq: self.since_seq,
            since_time: &self.since_time,
            seq: self.seq,
            hash: &self.hash,
        }
    }
}

fn read_checkpoint(conn: &Connection, run_id: &str) -> Result<Option<Checkpoint>, StoreError> {
    conn.prepare_cached(
        "SELECT key_id, since_seq, since_time, seq, hash, mac FROM keyed_checkpoints WHERE run_id = ?1",
    )
    .and_then(|mut stmt| {
        stmt.query_row([run_id], |r| {
            Ok(Checkpoint {
                key_id: r.get(0)?,
                since_seq: r.get::<_, i64>(1)?.max(0) as u64,
                since_time: r.get(2)?,
                seq: r.get::<_, i64>(3)?.max(0) as u64,
                hash: r.get(4)?,
                mac: r.get(5)?,
            })
        })
        .optional()
    })
    .map_err(|e| StoreError::sqlite(format!("reading the keyed checkpoint of run {run_id}"), e))
}

fn write_checkpoint(conn: &Connection, run_id: &str, cp: &Checkpoint) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO keyed_checkpoints (run_id, key_id, since_seq, since_time, seq, hash, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (run_id) DO UPDATE
         SET key_id = excluded.key_id, since_seq = excluded.since_seq, since_time = excluded.since_time,
             seq = excluded.seq, hash = excluded.hash, mac = excluded.mac",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            run_id,
            cp.key_id,
            cp.since_seq as i64,
            cp.since_time,
            cp.seq as i64,
            cp.hash,
            cp.mac
        ])
    })
    .map_err(|e| StoreError::sqlite(format!("writing the keyed checkpoint of run {run_id}"), e))?;
    Ok(())
}

/// The hash of the run's event `seq`, if there is one.
fn hash_at(conn: &Connection, run_id: &str, seq: u64) -> Result<Option<String>, StoreError> {
    conn.prepare_cached("SELECT hash FROM events WHERE run_id = ?1 AND seq = ?2")
        .and_then(|mut stmt| {
            stmt.query_row(params![run_id, seq as i64], |r| r.get(0))
                .optional()
        })
        .map_err(|e| StoreError::sqlite(format!("reading event {seq} of run {run_id}"), e))
}

/// The store's id (`store_identity`), which names its key in the keyring; `None` when the row is
/// gone.
fn read_store_id(conn: &Connection) -> Result<Option<String>, StoreError> {
    conn.query_row("SELECT store_id FROM store_identity WHERE id = 1", [], |r| {
        r.get(0)
    })
    .optional()
    .map_err(|e| StoreError::sqlite("reading the store's identity", e))
}

/// Where a `Store` gets its key, and what it remembers of it: the host's [`StoreKeys`] (none: the
/// store writes unkeyed and `verify` leaves checkpoints unchecked), the store's id and key once
/// read, and why the last write was left unkeyed.
#[derive(Default)]
pub(crate) struct Keying {
    keys: Option<Arc<dyn StoreKeys>>,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    /// `None` until read; then the store's id, if it has one.
    store_id: Option<Option<String>>,
    key: Lookup,
    /// Why the last write left its run unkeyed (`None`: it was keyed, or there is no keyring).
    unkeyed: Option<String>,
}

/// What the keyring said of this store's key.
#[derive(Default)]
enum Lookup {
    #[default]
    NotAsked,
    Found(StoreKey),
    Absent,
    Failed {
        error: KeyringError,
        at: Instant,
    },
}

impl Keying {
    pub(crate) fn new(keys: Arc<dyn StoreKeys>) -> Keying {
        Keying {
            keys: Some(keys),
            held: Mutex::default(),
        }
    }

    pub(crate) fn has_keys(&self) -> bool {
        self.keys.is_some()
    }

    fn lock(&self) -> MutexGuard<'_, Held> {
        // `Held` is a cache: whatever a panicking holder left in it is still a valid value.
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The store's id, read once.
    fn store_id(&self, conn: &Connection) -> Result<Option<String>, StoreError> {
        if let Some(id) = &self.lock().store_id {
            return Ok(id.clone());
        }
        let id = read_store_id(conn)?;
        self.lock().store_id = Some(id.clone());
        Ok(id)
    }

    /// This store's key as the keyring has it (asked once; a failure is kept for `RETRY_AFTER`).
    fn key(&self, store_id: &str) -> Result<Option<StoreKey>, KeyringError> {
        let Some(keys) = &self.keys else {
            return Ok(None);
        };
        match &self.lock().key {
            Lookup::Found(key) => return Ok(Some(key.clone())),
            Lookup::Absent => return Ok(None),
            Lookup::Failed { error, at } if at.elapsed() < RETRY_AFTER => return Err(error.clone()),
            Lookup::Failed { .. } | Lookup::NotAsked => {}
        }
        let answer = keys.get(store_id);
        self.lock().key = match &answer {
            Ok(Some(key)) => Lookup::Found(key.clone()),
            Ok(None) => Lookup::Absent,
            Err(error) => Lookup::Failed {
                error: error.clone(),
                at: Instant::now(),
            },
        };
        answer
    }

    /// Before a write's transaction starts: forget why the last write was unkeyed, and ask the
    /// keyring now, so the common case (the key is there) does not hold the store's write lock
    /// through a keyring round trip.
    pub(crate) fn before_write(&self, conn: &Connection) {
        self.note_unkeyed(None);
        if self.has_keys() {
            if let Ok(Some(store_id)) = self.store_id(conn) {
                let _ = self.key(&store_id);
            }
        }
    }

    /// The key to seal with, made and kept in the keyring if the store has none yet. Runs inside
    /// the write transaction, so two processes never make two keys for one store.
    fn key_for_write(&self, keys: &dyn StoreKeys, store_id: &str) -> Result<StoreKey, String> {
        match self.key(store_id) {
            Ok(Some(key)) => return Ok(key),
            Ok(None) => {}
            Err(e) => return Err(format!("the OS keyring could not be used: {e}")),
        }
        // Absent when last asked: ask again under the write lock, where nobody else makes one.
        let fresh = match keys.get(store_id) {
            Ok(Some(key)) => key,
            Ok(None) => self.make_key(keys, store_id)?,
            Err(e) => return Err(format!("the OS keyring could not be used: {e}")),
        };
        self.lock().key = Lookup::Found(fresh.clone());
        Ok(fresh)
    }

    /// A new key, kept in the keyring and read back (a keyring that does not keep it is no use).
    fn make_key(&self, keys: &dyn StoreKeys, store_id: &str) -> Result<StoreKey, String> {
        let made = StoreKey::generate().map_err(|e| e.to_string())?;
        let kept = keys.put(store_id, &made).and_then(|()| keys.get(store_id));
        match kept {
            Ok(Some(back)) if back == made => Ok(made),
            Ok(_) => Err("the OS keyring did not keep this store's new key".into()),
            Err(e) => Err(format!("the OS keyring could not keep this store's new key: {e}")),
        }
    }

    fn note_unkeyed(&self, why: Option<String>) {
        self.lock().unkeyed = why;
    }

    /// Why the last write through this handle left its run unkeyed, if it did.
    pub(crate) fn unkeyed_write(&self) -> Option<String> {
        self.lock().unkeyed.clone()
    }
}

#[cfg(test)]
mod tests;
