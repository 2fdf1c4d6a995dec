//! The store's chain rules over an embedded event log: seq 1.., each hash recomputed with the
//! store's canonical hashing (`StoredEvent::computed_hash`), each link to the previous
//! hash, event 1 a `run_created` naming the embedded runbook source's sha256.
//!
//! Owns those rules and how a log breaks them (`ChainError`); the check that reports it is
//! `contents`'s.

use flightdeck_engine::store::{sha256_hex, StoredEvent, GENESIS_HASH, RUN_CREATED};

/// The first place an event log breaks the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("event {seq} is missing (found event {found} in its place)")]
    Missing { seq: u64, found: u64 },
    #[error("event {seq} belongs to run {found}, not {run_id}")]
    OtherRun { seq: u64, found: String, run_id: String },
    #[error("event {0} was altered (hash mismatch)")]
    Altered(u64),
    #[error("event {seq} does not follow event {} (prev_hash mismatch)", .seq - 1)]
    Unlinked { seq: u64 },
    #[error("event 1 is `{0}`, not `{RUN_CREATED}`")]
    NotCreatedFirst(String),
    #[error("event 1 names another runbook source than the one embedded")]
    OtherRunbook,
    #[error("the event log is empty")]
    Empty,
}

/// `events` as the store would have chained them for `run_id`, created from `source`.
pub fn chain(events: &[StoredEvent], run_id: &str, source: &str) -> Result<(), ChainError> {
    let mut prev = GENESIS_HASH.to_string();
    for (i, e) in events.iter().enumerate() {
        let seq = i as u64 + 1;
        link(e, seq, run_id, &prev)?;
        if seq == 1 {
            first(e, source)?;
        }
        prev = e.hash.clone();
    }
    if events.is_empty() {
        return Err(ChainError::Empty);
    }
    Ok(())
}

/// Event `seq` is in its place, of this run, unaltered, and follows `prev`.
fn link(e: &StoredEvent, seq: u64, run_id: &str, prev: &str) -> Result<(), ChainError> {
    if e.seq != seq {
        return Err(ChainError::Missing { seq, found: e.seq });
    }
    if e.run_id != run_id {
        return Err(ChainError::OtherRun {
            seq,
            found: e.run_id.clone(),
            run_id: run_id.to_string(),
        });
    }
    let hash = e.computed_hash();
    if hash != e.hash {
        return Err(ChainError::Altered(seq));
    }
    if e.prev_hash != prev {
        return Err(ChainError::Unlinked { seq });
    }
    Ok(())
}

/// Event 1 creates the run from exactly the embedded runbook source.
fn first(e: &StoredEvent, source: &str) -> Result<(), ChainError> {
    let recorded = e
        .payload
        .get("runbook_sha256")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    if e.kind != RUN_CREATED {
        return Err(ChainError::NotCreatedFirst(e.kind.clone()));
    }
    if recorded != sha256_hex(source.as_bytes()) {
        return Err(ChainError::OtherRunbook);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SOURCE: &str = "# Cutover\n\n- [ ] Ship\n";

    /// `e` with its hash recomputed, as the store would have written it.
    fn sealed(mut e: StoredEvent) -> StoredEvent {
        e.hash = e.computed_hash();
        e
    }

    /// A run created from `SOURCE` and three notes, chained as the store chains them.
    fn log() -> Vec<StoredEvent> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=4u64)
            .map(|seq| {
                let (kind, payload) = if seq == 1 {
                    (
                        RUN_CREATED,
                        json!({"runbook_sha256": sha256_hex(SOURCE.as_bytes())}),
                    )
                } else {
                    ("note_added", json!({"text": format!("note {seq}")}))
                };
                let e = sealed(StoredEvent {
                    run_id: "r1".into(),
                    seq,
                    time: "2025-06-01T20:00:00.000Z".into(),
                    actor: "ana".into(),
                    kind: kind.into(),
                    payload,
                    prev_hash: prev.clone(),
                    hash: String::new(),
                });
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn broken(events: &[StoredEvent]) -> String {
        chain(events, "r1", SOURCE)
            .expect_err("the log is broken")
            .to_string()
    }

    #[test]
    fn a_log_the_store_wrote_holds() {
        assert_eq!(chain(&log(), "r1", SOURCE), Ok(()));
    }

    #[test]
    fn each_break_reads_as_the_report_has_always_said_it() {
        // These texts are the `event_chain` check's detail, shown by `archive verify`.
        let mut gap = log();
        gap.remove(1);
        assert_eq!(broken(&gap), "event 2 is missing (found event 3 in its place)");

        let mut other = log();
        other[2].run_id = "r2".into();
        assert_eq!(broken(&other), "event 3 belongs to run r2, not r1");

        let mut altered = log();
        altered[3].payload = json!({"text": "rewritten"});
        assert_eq!(broken(&altered), "event 4 was altered (hash mismatch)");

        let mut relinked = log();
        relinked[1].prev_hash = "0".repeat(64);
        relinked[1] = sealed(relinked[1].clone());
        assert_eq!(
            broken(&relinked),
            "event 2 does not follow event 1 (prev_hash mismatch)"
        );

        let mut first = log();
        first[0].kind = "note_added".into();
        first[0] = sealed(first[0].clone());
        assert_eq!(broken(&first), "event 1 is `note_added`, not `run_created`");

        assert_eq!(
            chain(&log(), "r1", "# Another runbook\n")
                .expect_err("another source")
                .to_string(),
            "event 1 names another runbook source than the one embedded"
        );
        assert_eq!(broken(&[]), "the event log is empty");
    }
}
