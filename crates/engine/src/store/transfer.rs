//! Moving a run between stores (`flightdeck run push` / `run pull`): the run's row and every
//! event copied as they are, so the copy carries the same chain, checked on both sides.
//!
//! Owns `Store::copy_run`: the source must verify before anything is copied, the target must
//! not hold the run already (the same head there is nothing to do; another head is refused: two
//! logs of one run are a fork), the copy is written in one transaction (the target's own: a
//! local file seals its keyed checkpoint from the copied head, "keyed since" that event), and
//! the copy must verify after. Which store is local and which is shared is the caller's.

use serde::Serialize;

use super::append::{insert_row, insert_run_row};
use super::{keyed, Store, StoreError, StoredEvent, Verification};
use crate::store::RunRecord;

/// What `copy_run` did.
#[derive(Debug, Clone, Serialize)]
pub struct Copied {
    pub run_id: String,
    pub events: u64,
    pub head_hash: String,
    /// False when the target already held the run at the same head (nothing was written).
    pub written: bool,
    /// `verify` of the source before, and of the copy after.
    pub source: Verification,
    pub copy: Verification,
}

impl Store {
    /// Copy run `reference` of this store into `to`, chain intact; both sides verify.
    pub fn copy_run(&self, reference: &str, to: &mut Store) -> Result<Copied, StoreError> {
        let run = self.resolve_run(reference)?;
        let source = self.verify(&run.id)?;
        if !source.ok {
            let why = source
                .first_bad
                .as_ref()
                .map_or("it does not verify".to_string(), |p| p.message.clone());
            return Err(StoreError::Corrupt {
                run_id: run.id,
                message: format!(
                    "it does not verify in {} ({why}); not copied (run `flightdeck run verify`)",
                    self.path().display()
                ),
            });
        }
        let events = self.events(&run.id)?;
        let (events, run) = at_log_head(run, events)?;
        let written = match to.head(&run.id)? {
            Some(there) if there.seq == run.head_seq && there.hash == run.head_hash => false,
            Some(there) => {
                return Err(StoreError::Corrupt {
                    run_id: run.id.clone(),
                    message: format!(
                        "{} already holds this run at event {} ({}), this copy ends at event {} ({}): \
                         not copied, two logs of one run would be a fork",
                        to.path().display(),
                        there.seq,
                        short(&there.hash),
                        run.head_seq,
                        short(&run.head_hash)
                    ),
                })
            }
            None => {
                to.import_run(&run, &events)?;
                true
            }
        };
        let copy = to.verify(&run.id)?;
        if !copy.ok {
            let why = copy
                .first_bad
                .as_ref()
                .map_or("it does not verify".to_string(), |p| p.message.clone());
            return Err(StoreError::Corrupt {
                run_id: run.id,
                message: format!("the copy in {} does not verify: {why}", to.path().display()),
            });
        }
        Ok(Copied {
            run_id: run.id,
            events: events.len() as u64,
            head_hash: run.head_hash,
            written,
            source,
            copy,
        })
    }

    /// Write `run` and its `events` as they are, in one transaction.
    fn import_run(&mut self, run: &RunRecord, events: &[StoredEvent]) -> Result<(), StoreError> {
        if let Some(pg) = &self.pg {
            return pg.import(run, events);
        }
        self.writable()?;
        self.keying.before_write(&self.conn);
        let tx = Self::begin(&mut self.conn, &run.id)?;
        insert_run_row(&tx, run)?;
        for event in events {
            insert_row(&tx, event)?;
        }
        if let Some(last) = events.last() {
            keyed::seal(
                &tx,
                &self.keying,
                (last.seq.saturating_sub(1), &last.prev_hash),
                last,
            )?;
        }
        tx.commit()
            .map_err(|e| StoreError::sqlite(format!("copying run {}", run.id), e))
    }
}

/// The run with its head at the last event read (events may have been appended between reading
/// the run and its log; the copy is the log as read, which verified up to its head).
fn at_log_head(
    mut run: RunRecord,
    events: Vec<StoredEvent>,
) -> Result<(Vec<StoredEvent>, RunRecord), StoreError> {
    let Some(last) = events.last() else {
        return Err(StoreError::Corrupt {
            run_id: run.id,
            message: "it has no events; nothing to copy".into(),
        });
    };
    run.head_seq = last.seq;
    run.head_hash = last.hash.clone();
    Ok((events, run))
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
