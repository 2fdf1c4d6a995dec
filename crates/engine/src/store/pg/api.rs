//! What `Store`'s methods do on a Postgres store: each one a lease of the connection and the
//! calls of `read` / `write`, with the rules shared with SQLite (the chain walk, run lookup, the
//! fold) taken from the store's own modules.

use std::sync::Arc;

use super::fold::{events_after_seq, resume};
use super::read;
use super::write::{self, format_time_micros};
use super::{Lease, Pg};
use crate::clock::Clock;
use crate::store::checkpoint::At;
use crate::store::keyed::KeyedStatus;
use crate::store::memo::Memo;
use crate::store::verify::{walk, Verification};
use crate::store::{
    append::new_run_id, event_hash, sha256_hex, Fold, HashInput, NewEvent, NewRun, Resumed, RunHead,
    RunRecord, StoreError, StoredEvent, GENESIS_HASH, RUN_CREATED,
};

impl Pg {
    pub(crate) fn schema_versions(&self) -> Result<Vec<String>, StoreError> {
        super::migrate::applied_versions(&mut self.lease()?)
    }

    pub(crate) fn events(&self, run_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        events_after_seq(&mut self.lease()?, run_id, 0)
    }

    pub(crate) fn run(&self, id: &str) -> Result<Option<RunRecord>, StoreError> {
        self.lease()?
            .run(|| format!("looking up run {id}"), |c| read::run(c, id))
    }

    pub(crate) fn runs(&self) -> Result<Vec<RunRecord>, StoreError> {
        self.lease()?.run(|| "listing runs".into(), read::runs)
    }

    pub(crate) fn runs_with_prefix(&self, prefix: &str) -> Result<Vec<RunRecord>, StoreError> {
        self.lease()?.run(
            || format!("looking up run {prefix}"),
            |c| read::runs_with_prefix(c, prefix),
        )
    }

    pub(crate) fn latest(&self, env: Option<&str>) -> Result<Option<RunRecord>, StoreError> {
        self.lease()?
            .run(|| "looking up the latest run".into(), |c| read::latest(c, env))
    }

    pub(crate) fn neighbours(&self, id: &str) -> Result<(Option<String>, Option<String>), StoreError> {
        self.lease()?.run(
            || format!("reading the neighbours of run {id}"),
            |c| read::neighbours(c, id),
        )
    }

    pub(crate) fn heads(&self, id: Option<&str>) -> Result<Vec<RunHead>, StoreError> {
        self.lease()?
            .run(|| "reading run heads".into(), |c| read::heads(c, id))
    }

    /// The run's chain checked as SQLite's is; keyed checkpoints are not kept here.
    pub(crate) fn verify(&self, run_id: &str) -> Result<Verification, StoreError> {
        let mut lease = self.lease()?;
        let Some(run) = lease.run(|| format!("verifying run {run_id}"), |c| read::run(c, run_id))? else {
            return Err(StoreError::RunNotFound {
                reference: run_id.to_string(),
            });
        };
        let rows = lease.run(
            || format!("verifying run {run_id}"),
            |c| read::events_after(c, run_id, 0),
        )?;
        let first_bad = walk(
            &rows,
            run.head_seq as i64,
            &run.head_hash,
            &run.runbook_source,
            &run.runbook_sha256,
        );
        Ok(Verification {
            run_id: run_id.to_string(),
            ok: first_bad.is_none(),
            events: rows.len() as u64,
            head_hash: rows.last().map(|r| r.hash.clone()),
            first_bad,
            keyed: KeyedStatus::Unchecked {
                reason: "a shared Postgres store keeps no keyed checkpoints (one machine's key cannot vouch \
                         for another's writes): the chain is checked, who may write is the server's to say"
                    .into(),
            },
        })
    }

    /// Create a run and its `run_created` event in one transaction.
    pub(crate) fn create_run(&self, clock: &Arc<dyn Clock>, new: NewRun) -> Result<RunRecord, StoreError> {
        let now = clock.now();
        let created_at = format_time_micros(now);
        let id = new_run_id(now);
        let sha = sha256_hex(new.runbook_source.as_bytes());
        let payload = serde_json::json!({
            "runbook_name": new.runbook_name,
            "runbook_sha256": sha,
            "env": new.env,
            "release": new.release,
        });
        let hash = event_hash(HashInput {
            run_id: &id,
            seq: 1,
            time: &created_at,
            actor: &new.actor,
            kind: RUN_CREATED,
            payload: &payload,
            prev_hash: GENESIS_HASH,
        });
        let first = StoredEvent {
            run_id: id.clone(),
            seq: 1,
            time: created_at.clone(),
            actor: new.actor,
            kind: RUN_CREATED.to_string(),
            payload,
            prev_hash: GENESIS_HASH.to_string(),
            hash: hash.clone(),
        };
        let run = RunRecord {
            id,
            created_at,
            runbook_name: new.runbook_name,
            runbook_sha256: sha,
            env: new.env,
            release: new.release,
            head_seq: 1,
            head_hash: hash,
            runbook_source: new.runbook_source,
        };
        self.import(&run, std::slice::from_ref(&first))?;
        Ok(run)
    }

    /// Write run `run` with its events `rows` as they are, in one transaction (a new run, or a
    /// run copied in whole by `run push`).
    pub(crate) fn import(&self, run: &RunRecord, rows: &[StoredEvent]) -> Result<(), StoreError> {
        let mut lease = self.lease()?;
        let id = &run.id;
        lease.run(writing(id), |c| async move {
            write::begin(c, id).await?;
            write::insert_run(c, run, rows).await?;
            write::commit(c).await
        })
    }

    /// Append the event `decide` makes from what `read` gives inside the run's write transaction
    /// (its lock held), so no other writer slips an event in between.
    pub(crate) fn append_with<R, E>(
        &self,
        clock: &Arc<dyn Clock>,
        run_id: &str,
        read: impl FnOnce(&mut Lease<'_>) -> Result<R, StoreError>,
        decide: impl FnOnce(R) -> Result<NewEvent, E>,
    ) -> Result<StoredEvent, E>
    where
        E: From<StoreError>,
    {
        let mut lease = self.lease()?;
        lease.run(writing(run_id), |c| write::begin(c, run_id))?;
        let new = match read(&mut lease) {
            Ok(got) => decide(got),
            Err(e) => Err(E::from(e)),
        };
        let new = match new {
            Ok(new) => new,
            Err(refused) => {
                lease.rollback();
                return Err(refused);
            }
        };
        let time = format_time_micros(clock.now());
        Ok(lease.run(writing(run_id), |c| async move {
            let event = write::insert(c, run_id, time, new).await?;
            write::commit(c).await?;
            Ok(event)
        })?)
    }

    /// The run's folded state, and where it resumed from.
    pub(in crate::store) fn folded_from<F: Fold>(
        &self,
        memo: &Memo,
        run_id: &str,
        fold: &F,
    ) -> Result<(F::State, At, Resumed), StoreError> {
        resume(&mut self.lease()?, memo, run_id, fold)
    }
}

fn writing(run_id: &str) -> impl FnOnce() -> String + '_ {
    move || format!("writing to run {run_id}")
}
