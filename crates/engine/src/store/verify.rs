//! Chain verification: recompute a run's log and name the first event that does not hold.
//!
//! Owns the walk (seq continuity, payload, hash, link to the previous event), the head
//! checkpoint comparison that catches a removed last event, the runbook source check against
//! `run_created`, and the verdict: the chain and the run's keyed checkpoint (checked by
//! `keyed`) together. It reports; deciding what a failure means (the CLI's exit 5) is left to
//! the caller.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;

use super::keyed::{self, KeyedStatus, Keying};
use super::{
    event_hash, read_raw_events, sha256_hex, HashInput, RawEvent, StoreError, GENESIS_HASH, RUN_CREATED,
};

/// The outcome of `Store::verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub run_id: String,
    pub ok: bool,
    /// Events found in the log.
    pub events: u64,
    /// Hash of the last event found, if any.
    pub head_hash: Option<String>,
    /// The first bad event; `None` when the chain holds and the keyed checkpoint does not
    /// contradict it.
    pub first_bad: Option<Problem>,
    /// What the run's keyed checkpoint says (only `mismatch` fails verification).
    pub keyed: KeyedStatus,
}

/// What is wrong, and with which event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub seq: u64,
    pub kind: ProblemKind,
    /// One line naming the event and the reason: `event 4 was altered (hash mismatch)`.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A seq is absent from the middle or the end of the log.
    Missing,
    /// Two rows carry the same seq.
    Duplicate,
    /// The row was written with another seq.
    Reordered,
    /// The row's content no longer matches its hash.
    Altered,
    /// The row's `prev_hash` is not the previous event's hash.
    BrokenLink,
    /// The log runs past the head checkpoint, or its last hash differs from it.
    Checkpoint,
    /// The runbook source no longer matches the sha256 recorded when the run was created.
    Source,
    /// The run's keyed checkpoint does not hold under this machine's key: the log (or the
    /// checkpoint) was rewritten without it.
    KeyedCheckpoint,
}

fn problem(seq: u64, kind: ProblemKind, message: String) -> Problem {
    Problem { seq, kind, message }
}

/// A run's log as read, and the first thing wrong with its chain.
pub(crate) struct Chain {
    pub rows: Vec<RawEvent>,
    pub first_bad: Option<Problem>,
}

/// Recompute the run's chain (without its keyed checkpoint).
pub(crate) fn chain(conn: &Connection, run_id: &str) -> Result<Chain, StoreError> {
    let fail = |e| StoreError::sqlite(format!("verifying run {run_id}"), e);
    let run: Option<(i64, String, String, String)> = conn
        .query_row(
            "SELECT head_seq, head_hash, runbook_source, runbook_sha256 FROM runs WHERE id = ?1",
            [run_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(fail)?;
    let Some((head_seq, head_hash, source, source_sha)) = run else {
        return Err(StoreError::RunNotFound {
            reference: run_id.to_string(),
        });
    };
    let rows = read_raw_events(conn, run_id)?;
    let first_bad = walk(&rows, head_seq, &head_hash, &source, &source_sha);
    Ok(Chain { rows, first_bad })
}

/// The run's chain and its keyed checkpoint. `keyed_tables`: whether the store has the keyed
/// tables (a read-only store from before them does not).
pub(crate) fn verify(
    conn: &Connection,
    keying: &Keying,
    keyed_tables: bool,
    run_id: &str,
) -> Result<Verification, StoreError> {
    let Chain { rows, first_bad } = chain(conn, run_id)?;
    let keyed = keyed::status(conn, keying, keyed_tables, run_id, &rows)?;
    let first_bad = first_bad.or_else(|| match &keyed {
        KeyedStatus::Mismatch { seq, reason } => {
            Some(problem(*seq, ProblemKind::KeyedCheckpoint, reason.clone()))
        }
        _ => None,
    });
    Ok(Verification {
        run_id: run_id.to_string(),
        ok: first_bad.is_none() && !keyed.is_mismatch(),
        events: rows.len() as u64,
        head_hash: rows.last().map(|r| r.hash.clone()),
        first_bad,
        keyed,
    })
}

pub(crate) fn walk(
    rows: &[RawEvent],
    head_seq: i64,
    head_hash: &str,
    source: &str,
    source_sha: &str,
) -> Option<Problem> {
    let seqs: BTreeSet<i64> = rows.iter().map(|r| r.seq).collect();
    let mut prev_seq: i64 = 0;
    let mut prev_hash = GENESIS_HASH.to_string();
    for row in rows {
        if let Some(p) = check_row(row, prev_seq, &prev_hash, &seqs, source, source_sha) {
            return Some(p);
        }
        prev_seq = row.seq;
        prev_hash = row.hash.clone();
    }
    check_head(prev_seq, &prev_hash, head_seq, head_hash)
}

/// The first thing wrong with `row`, which should follow event `prev_seq` (hash `prev_hash`).
fn check_row(
    row: &RawEvent,
    prev_seq: i64,
    prev_hash: &str,
    seqs: &BTreeSet<i64>,
    source: &str,
    source_sha: &str,
) -> Option<Problem> {
    let expected = prev_seq + 1;
    if row.seq == prev_seq {
        return Some(problem(
            row.seq as u64,
            ProblemKind::Duplicate,
            format!("event {} appears more than once (duplicate seq)", row.seq),
        ));
    }
    if row.seq != expected {
        return Some(problem(
            expected as u64,
            ProblemKind::Missing,
            format!(
                "event {expected} is missing (seq gap: event {} follows event {prev_seq})",
                row.seq
            ),
        ));
    }
    let Ok(payload) = serde_json::from_str::<Value>(&row.payload) else {
        return Some(problem(
            expected as u64,
            ProblemKind::Altered,
            format!("event {expected} was altered (payload is not JSON)"),
        ));
    };
    if let Some(p) = check_hash(row, &payload, seqs) {
        return Some(p);
    }
    if row.prev_hash != prev_hash {
        return Some(problem(
            expected as u64,
            ProblemKind::BrokenLink,
            format!(
                "event {expected} does not follow event {prev_seq} (prev_hash mismatch: an event before it \
                 was replaced)"
            ),
        ));
    }
    if row.seq == 1 {
        return check_created(row, &payload, source, source_sha);
    }
    None
}

/// Whether `row` (at its expected seq) still hashes to its `hash`; a row that hashes correctly
/// under another seq of this log was moved, not edited.
fn check_hash(row: &RawEvent, payload: &Value, seqs: &BTreeSet<i64>) -> Option<Problem> {
    let hash_as = |seq: i64| {
        event_hash(HashInput {
            run_id: &row.run_id,
            seq: seq.max(0) as u64,
            time: &row.time,
            actor: &row.actor,
            kind: &row.kind,
            payload,
            prev_hash: &row.prev_hash,
        })
    };
    if hash_as(row.seq) == row.hash {
        return None;
    }
    let seq = row.seq.max(0) as u64;
    if let Some(original) = seqs
        .iter()
        .copied()
        .filter(|&s| s != row.seq)
        .find(|&s| hash_as(s) == row.hash)
    {
        return Some(problem(
            seq,
            ProblemKind::Reordered,
            format!("event {seq} was reordered (it was written as event {original})"),
        ));
    }
    Some(problem(
        seq,
        ProblemKind::Altered,
        format!("event {seq} was altered (hash mismatch)"),
    ))
}

/// The log, which ends at event `last_seq` (hash `last_hash`), against the run's head checkpoint.
fn check_head(last_seq: i64, last_hash: &str, head_seq: i64, head_hash: &str) -> Option<Problem> {
    if last_seq < head_seq {
        let missing = last_seq + 1;
        return Some(problem(
            missing as u64,
            ProblemKind::Missing,
            format!(
                "event {missing} is missing (the run's head checkpoint says the log ends at event {head_seq}, \
                 it ends at event {last_seq})"
            ),
        ));
    }
    if last_seq > head_seq {
        let extra = head_seq + 1;
        return Some(problem(
            extra as u64,
            ProblemKind::Checkpoint,
            format!(
                "event {extra} was added outside Flightdeck (the run's head checkpoint ends at event {head_seq})"
            ),
        ));
    }
    if last_hash != head_hash {
        return Some(problem(
            last_seq.max(0) as u64,
            ProblemKind::Checkpoint,
            format!("event {last_seq} was replaced (head checkpoint hash mismatch)"),
        ));
    }
    None
}

/// Event 1 must be `run_created`, and the runbook source must still hash to what it recorded.
fn check_created(row: &RawEvent, payload: &Value, source: &str, source_sha: &str) -> Option<Problem> {
    if row.kind != RUN_CREATED {
        return Some(problem(
            1,
            ProblemKind::Altered,
            format!("event 1 is `{}`, not `{RUN_CREATED}`", row.kind),
        ));
    }
    let recorded = payload
        .get("runbook_sha256")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let actual = sha256_hex(source.as_bytes());
    if actual != recorded || source_sha != recorded {
        return Some(problem(
            1,
            ProblemKind::Source,
            format!(
                "event 1 does not match the run's runbook source (sha256 mismatch: run_created records {}, \
                 the stored source hashes to {})",
                short(recorded),
                short(&actual)
            ),
        ));
    }
    None
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
