//! Cheap change detection: where each run's log ends, without reading a single event.
//!
//! Owns `Store::heads` / `Store::head`, one indexed read of the `runs` checkpoint each. The app
//! polls them a few times a second to notice writes made by another process (the CLI); what
//! changed, and how to show it, belongs to the caller.

use rusqlite::OptionalExtension;
use serde::Serialize;

use super::{Store, StoreError};

/// Where a run's log ends: its last event's seq and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunHead {
    pub run_id: String,
    pub seq: u64,
    pub hash: String,
}

impl Store {
    /// Every run's head, in run id order.
    pub fn heads(&self) -> Result<Vec<RunHead>, StoreError> {
        if let Some(pg) = &self.pg {
            return pg.heads(None);
        }
        let fail = |e| StoreError::sqlite("reading run heads", e);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, head_seq, head_hash FROM runs ORDER BY id")
            .map_err(fail)?;
        let rows = stmt.query_map([], head_from_row).map_err(fail)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(fail)
    }

    /// The head of run `run_id` (a full id), or `None` when there is no such run.
    pub fn head(&self, run_id: &str) -> Result<Option<RunHead>, StoreError> {
        if let Some(pg) = &self.pg {
            return Ok(pg.heads(Some(run_id))?.pop());
        }
        self.conn
            .prepare_cached("SELECT id, head_seq, head_hash FROM runs WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([run_id], head_from_row).optional())
            .map_err(|e| StoreError::sqlite(format!("reading the head of run {run_id}"), e))
    }
}

fn head_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunHead> {
    Ok(RunHead {
        run_id: r.get(0)?,
        seq: r.get::<_, i64>(1)?.max(0) as u64,
        hash: r.get(2)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewRun;

    #[test]
    fn heads_follow_every_append_and_unknown_runs_have_none() {
        let mut store = Store::open(":memory:").expect("open");
        assert!(store.heads().expect("heads").is_empty());
        let run = store
            .create_run(NewRun {
                runbook_name: "r.md".into(),
                runbook_source: "# R\n".into(),
                env: "sandbox".into(),
                release: "v1".into(),
                actor: "ana".into(),
            })
            .expect("create");
        let first = store.head(&run.id).expect("head").expect("run exists");
        assert_eq!((first.seq, first.hash.as_str()), (1, run.head_hash.as_str()));
        let e = store
            .append(&run.id, "ana", "note_added", serde_json::json!({"text": "hi"}))
            .expect("append");
        let now = store.head(&run.id).expect("head").expect("run exists");
        assert_eq!(
            (now.seq, now.hash.clone()),
            (2, e.hash),
            "the head moves with each append"
        );
        assert_eq!(store.heads().expect("heads"), vec![now]);
        assert_eq!(store.head("no-such-run").expect("head"), None);
    }
}
