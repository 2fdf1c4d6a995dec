//! Checking a run's keyed checkpoint on `verify`: the read side of keyed checkpoints.
//!
//! Owns turning the row, this machine's key and the log into a [`KeyedStatus`]. It never writes
//! and asks the keyring at most once per `Store`; the chain itself is checked by `verify`, which
//! also decides what a mismatch means for the verdict.

use rusqlite::Connection;

use super::{read_checkpoint, Checkpoint, KeyedStatus, Keying, StoreKey};
use crate::store::{RawEvent, StoreError};

/// What the run's keyed checkpoint says of its log `rows` (in seq order). `tables`: whether the
/// store has the keyed tables at all (a read-only store from before them does not).
pub(crate) fn status(
    conn: &Connection,
    keying: &Keying,
    tables: bool,
    run_id: &str,
    rows: &[RawEvent],
) -> Result<KeyedStatus, StoreError> {
    if !tables {
        return Ok(KeyedStatus::Unkeyed);
    }
    let Some(cp) = read_checkpoint(conn, run_id)? else {
        return Ok(KeyedStatus::Unkeyed);
    };
    let (store_id, key) = match key_for(conn, keying, &cp)? {
        Ok(found) => found,
        Err(status) => return Ok(status),
    };
    if !key.holds(&cp.sealed(&store_id, run_id), &cp.mac) {
        return Ok(mismatch(&cp, "the checkpoint's MAC does not hold".into()));
    }
    Ok(against_log(cp, rows))
}

fn mismatch(cp: &Checkpoint, why: String) -> KeyedStatus {
    KeyedStatus::Mismatch {
        seq: cp.seq,
        reason: format!(
            "the keyed checkpoint does not match: the log was rewritten without this machine's key ({why})"
        ),
    }
}

/// The store's id and this machine's key for it, when it is the key that made `cp`; else the
/// status that says why the checkpoint cannot be checked.
fn key_for(
    conn: &Connection,
    keying: &Keying,
    cp: &Checkpoint,
) -> Result<Result<(String, StoreKey), KeyedStatus>, StoreError> {
    if !keying.has_keys() {
        return Ok(Err(KeyedStatus::Unchecked {
            reason: "this store was opened without a keyring".into(),
        }));
    }
    let Some(store_id) = keying.store_id(conn)? else {
        return Ok(Err(mismatch(
            cp,
            "the store's identity row (store_identity) was removed, so its key cannot be found".into(),
        )));
    };
    let key = match keying.key(&store_id) {
        Ok(Some(key)) => key,
        Ok(None) => {
            return Ok(Err(KeyedStatus::KeyMissing {
                key_id: plain_key_id(&cp.key_id),
                here: None,
            }))
        }
        Err(e) => {
            return Ok(Err(KeyedStatus::Unchecked {
                reason: format!("the OS keyring could not be used: {e}"),
            }))
        }
    };
    if cp.key_id != key.id() {
        return Ok(Err(KeyedStatus::KeyMissing {
            key_id: plain_key_id(&cp.key_id),
            here: Some(key.id().to_string()),
        }));
    }
    Ok(Ok((store_id, key)))
}

/// A checkpoint whose MAC holds, against the log as it is now.
fn against_log(cp: Checkpoint, rows: &[RawEvent]) -> KeyedStatus {
    let last = rows.last().map_or(0, |r| r.seq.max(0) as u64);
    if cp.seq > last {
        let why = format!("the key sealed event {}, the log ends at event {last}", cp.seq);
        return mismatch(&cp, why);
    }
    let sealed = rows.iter().find(|r| r.seq.max(0) as u64 == cp.seq);
    if sealed.map(|r| r.hash.as_str()) != Some(cp.hash.as_str()) {
        let why = format!("event {} is not the event the key sealed", cp.seq);
        return mismatch(&cp, why);
    }
    if cp.seq < last {
        KeyedStatus::Behind {
            key_id: cp.key_id,
            since_seq: cp.since_seq,
            since_time: cp.since_time,
            seq: cp.seq,
            events: last,
        }
    } else {
        KeyedStatus::Keyed {
            key_id: cp.key_id,
            since_seq: cp.since_seq,
            since_time: cp.since_time,
            seq: cp.seq,
        }
    }
}

/// `id` when it looks like a key id (16 lowercase hex characters). The row's text is only shown
/// when it is one: a MAC that cannot be checked vouches for none of it.
fn plain_key_id(id: &str) -> Option<String> {
    (id.len() == 16 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))).then(|| id.to_string())
}
