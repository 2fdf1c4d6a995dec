//! Sealing a run's head as each event is appended: the write side of keyed checkpoints.
//!
//! Owns the decision the module doc of `keyed` states (extend the checkpoint, refuse the append,
//! or key the run afresh from this event once its chain verifies) and writing the new row, inside
//! the append's own transaction. Appending the event itself is `super::super::append`'s.

use rusqlite::Connection;

use super::{hash_at, read_checkpoint, write_checkpoint, Checkpoint, Keying, StoreKey};
use crate::store::{verify, StoreError, StoredEvent};

/// Seal `event`, just appended after the log's previous last event (`before`: its seq and hash;
/// 0 and the genesis hash for a run's first event), in the append's transaction `tx`. An `Err`
/// refuses the append: the run's checkpoint does not hold under this store's key. A write that
/// cannot be keyed is left unkeyed, and `keying` says why.
pub(crate) fn seal(
    tx: &Connection,
    keying: &Keying,
    before: (u64, &str),
    event: &StoredEvent,
) -> Result<(), StoreError> {
    let Some(keys) = keying.keys.as_deref() else {
        return Ok(());
    };
    let Some(store_id) = keying.store_id(tx)? else {
        keying.note_unkeyed(Some(
            "the store has no identity row (store_identity), so no key can be found for it".into(),
        ));
        return Ok(());
    };
    let key = match keying.key_for_write(keys, &store_id) {
        Ok(key) => key,
        Err(why) => {
            keying.note_unkeyed(Some(why));
            return Ok(());
        }
    };
    let since = match continued(tx, &key, &store_id, before, event)? {
        Some(since) => since,
        None => {
            // Keyed afresh from this event: vouch only for a log that holds together.
            if event.seq > 1 {
                if let Some(problem) = verify::chain(tx, &event.run_id)?.first_bad {
                    keying.note_unkeyed(Some(format!(
                        "its chain does not verify ({}), so this machine's key does not vouch for it",
                        problem.message
                    )));
                    return Ok(());
                }
            }
            (event.seq, event.time.clone())
        }
    };
    let mut cp = Checkpoint {
        key_id: key.id().to_string(),
        since_seq: since.0,
        since_time: since.1,
        seq: event.seq,
        hash: event.hash.clone(),
        mac: String::new(),
    };
    cp.mac = key.seal(&cp.sealed(&store_id, &event.run_id));
    write_checkpoint(tx, &event.run_id, &cp)?;
    keying.note_unkeyed(None);
    Ok(())
}

/// Since when the run is keyed, when `event` continues its keyed checkpoint (the checkpoint holds
/// under `key` and stands at the event before); `None` when the run is to be keyed afresh (no
/// checkpoint, one made with another key, or one left behind by writes without the key). An `Err`
/// when the checkpoint does not hold under `key`: the log or the row was rewritten without it.
fn continued(
    tx: &Connection,
    key: &StoreKey,
    store_id: &str,
    before: (u64, &str),
    event: &StoredEvent,
) -> Result<Option<(u64, String)>, StoreError> {
    let run_id = &event.run_id;
    let Some(cp) = read_checkpoint(tx, run_id)? else {
        return Ok(None);
    };
    if cp.key_id != key.id() {
        return Ok(None);
    }
    let refuse = |why: String| StoreError::Corrupt {
        run_id: run_id.clone(),
        message: format!(
            "the keyed checkpoint does not match: the log was rewritten without this machine's key \
             ({why}); refusing to append (run `flightdeck run verify`)"
        ),
    };
    if !key.holds(&cp.sealed(store_id, run_id), &cp.mac) {
        return Err(refuse("the checkpoint's MAC does not hold".into()));
    }
    if (cp.seq, cp.hash.as_str()) == before {
        return Ok(Some((cp.since_seq, cp.since_time)));
    }
    if cp.seq < before.0 && hash_at(tx, run_id, cp.seq)?.as_deref() == Some(cp.hash.as_str()) {
        // Events were appended after it without the key: key the run afresh from here.
        return Ok(None);
    }
    Err(refuse(format!(
        "event {} is not the event the key sealed",
        cp.seq
    )))
}
