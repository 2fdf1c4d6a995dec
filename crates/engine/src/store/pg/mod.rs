//! The shared store on Postgres: the same runs, hash chain and fold as the SQLite file, on a
//! server several machines write to at once (`--store postgres://…` / `FLIGHTDECK_STORE`).
//!
//! Owns the connection to the server and the bridge from the store's synchronous API to sqlx:
//! one connection per `Store` (made when first needed, made again after it broke), driven by a
//! private current-thread runtime, every call under a deadline (`OP_DEADLINE`). The parts: the
//! address and its password (`target`: from the OS keyring, never in the URL), the schema
//! (`migrate`), reading (`read`), writing with one writer per run (`write`), live updates
//! (`follow`). Tables live in the schema `flightdeck`; what is shared is runs and their events:
//! environments and secrets stay in the machine's own store (see `Store::open`), keyed
//! checkpoints are not kept (the machine's key cannot vouch for other machines' writes), and
//! folded state is kept in memory only.

mod api;
mod fold;
mod follow;
mod migrate;
mod read;
mod target;
mod write;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use sqlx::postgres::PgConnection;
use sqlx::{ConnectOptions, Connection};

pub(in crate::store) use fold::{events_after_seq, resume};
pub use follow::{Followed, Follower};
pub(crate) use target::Target;
pub use target::{is_postgres, password_account};
pub use write::format_time_micros;

use super::StoreError;

/// The longest any one call to the server may take (connecting, a query, a whole append).
pub const OP_DEADLINE: Duration = Duration::from_secs(30);

/// How long connecting may take.
pub const CONNECT_DEADLINE: Duration = Duration::from_secs(10);

/// A Postgres store's connection and the runtime that drives it.
pub(crate) struct Pg {
    rt: tokio::runtime::Runtime,
    slot: Mutex<Option<PgConnection>>,
    /// Set when a call left the leased connection broken; the lease drops it when it ends.
    broken: AtomicBool,
    /// Set when a call failed: the lease rolls back what it may have left open when it ends.
    failed: AtomicBool,
    target: Target,
}

/// What went wrong with one call, before it is named.
pub(crate) enum Fail {
    Sql(sqlx::Error),
    Deadline,
    /// The store refused the call for its own reasons (no such run, a log that does not hold).
    Refused(StoreError),
}

impl From<sqlx::Error> for Fail {
    fn from(e: sqlx::Error) -> Fail {
        Fail::Sql(e)
    }
}

impl Fail {
    /// Whether the connection can no longer be trusted (lost, or left mid-call by a deadline).
    fn breaks(&self) -> bool {
        match self {
            Fail::Deadline => true,
            Fail::Refused(_) => false,
            Fail::Sql(e) => {
                matches!(
                    e,
                    sqlx::Error::Io(_)
                        | sqlx::Error::Tls(_)
                        | sqlx::Error::Protocol(_)
                        | sqlx::Error::WorkerCrashed
                ) || e
                    .as_database_error()
                    .and_then(|d| d.code())
                    .is_some_and(|c| c.starts_with("57P") || c.starts_with("08"))
            }
        }
    }

    pub(crate) fn named(self, target: &Target, context: String) -> StoreError {
        let mut message = match self {
            Fail::Deadline => format!("no answer within {} s", OP_DEADLINE.as_secs()),
            Fail::Sql(e) => e.to_string(),
            Fail::Refused(e) => return e,
        };
        if message.contains("password") {
            message.push_str(&format!(
                " (the password comes from the OS keyring, account `{}`: `flightdeck store password {}` \
                 keeps it there",
                target.account, target.shown
            ));
            if let Some(why) = &target.keyring_error {
                message.push_str(&format!("; the keyring could not be asked: {why}"));
            }
            message.push(')');
        }
        StoreError::Postgres {
            store: target.shown.clone(),
            context,
            message,
        }
    }
}

/// The connection, held for one call or one transaction.
pub(crate) struct Lease<'a> {
    pg: &'a Pg,
    slot: MutexGuard<'a, Option<PgConnection>>,
}

impl Pg {
    /// Connect to `target` and bring its schema up to date.
    pub(crate) fn open(target: Target) -> Result<Pg, StoreError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Postgres {
                store: target.shown.clone(),
                context: "starting its runtime".into(),
                message: e.to_string(),
            })?;
        let pg = Pg {
            rt,
            slot: Mutex::new(None),
            broken: AtomicBool::new(false),
            failed: AtomicBool::new(false),
            target,
        };
        {
            let mut lease = pg.lease()?;
            migrate::apply(&mut lease)?;
        }
        Ok(pg)
    }

    pub(crate) fn target(&self) -> &Target {
        &self.target
    }

    /// The connection, connecting first when there is none (or the last one broke).
    pub(crate) fn lease(&self) -> Result<Lease<'_>, StoreError> {
        // A panic elsewhere while holding it leaves a connection that may be mid-call: drop it.
        let mut slot = match self.slot.lock() {
            Ok(slot) => slot,
            Err(poisoned) => {
                let mut slot = poisoned.into_inner();
                *slot = None;
                slot
            }
        };
        if slot.is_none() {
            let opts = self.target.opts.clone();
            let made = self.block(async move {
                match tokio::time::timeout(CONNECT_DEADLINE, opts.connect()).await {
                    Ok(r) => r.map_err(Fail::Sql),
                    Err(_) => Err(Fail::Deadline),
                }
            });
            *slot = Some(made.map_err(|f| f.named(&self.target, "connecting".into()))?);
        }
        Ok(Lease { pg: self, slot })
    }

    /// Run `fut` to completion on this store's runtime, from any thread: on a thread already
    /// inside a tokio runtime (the app's, the CLI's), from a scoped thread of its own.
    fn block<T: Send>(&self, fut: impl Future<Output = T> + Send) -> T {
        if tokio::runtime::Handle::try_current().is_err() {
            return self.rt.block_on(fut);
        }
        std::thread::scope(|s| match s.spawn(|| self.rt.block_on(fut)).join() {
            Ok(v) => v,
            Err(panic) => std::panic::resume_unwind(panic),
        })
    }
}

impl Lease<'_> {
    /// Run the call `f` makes on the connection, under `OP_DEADLINE`; a failure is named by
    /// `context`, and a connection it leaves broken is dropped (the next lease connects again).
    pub(crate) fn run<'s, T, Fut>(
        &'s mut self,
        context: impl FnOnce() -> String,
        f: impl FnOnce(&'s mut PgConnection) -> Fut,
    ) -> Result<T, StoreError>
    where
        T: Send,
        Fut: Future<Output = Result<T, Fail>> + Send + 's,
    {
        let pg = self.pg;
        let Some(conn) = self.slot.as_mut() else {
            return Err(Fail::Deadline.named(&pg.target, format!("{} (no connection)", context())));
        };
        let fut = f(conn);
        let out = pg.block(async move {
            match tokio::time::timeout(OP_DEADLINE, fut).await {
                Ok(r) => r,
                Err(_) => Err(Fail::Deadline),
            }
        });
        out.map_err(|fail| {
            pg.failed.store(true, Ordering::SeqCst);
            if fail.breaks() {
                pg.broken();
            }
            fail.named(&pg.target, context())
        })
    }

    /// End a transaction left open by a failed call; a connection that cannot is dropped.
    pub(crate) fn rollback(&mut self) {
        let pg = self.pg;
        let Some(conn) = self.slot.as_mut().filter(|_| !pg.broken.load(Ordering::SeqCst)) else {
            *self.slot = None;
            return;
        };
        // Outside a transaction ROLLBACK only warns; bounded, as every call.
        let done = pg.block(async move {
            tokio::time::timeout(
                Duration::from_secs(5),
                sqlx::query("ROLLBACK").execute(&mut *conn),
            )
            .await
        });
        if !matches!(done, Ok(Ok(_))) {
            *self.slot = None;
        }
        pg.failed.store(false, Ordering::SeqCst);
    }
}

impl Drop for Lease<'_> {
    /// A connection a call broke is dropped; one a call failed on is rolled back (a write
    /// transaction may be open on it), and dropped if that fails too.
    fn drop(&mut self) {
        if self.pg.take_broken() {
            *self.slot = None;
        } else if self.pg.failed.load(Ordering::SeqCst) {
            self.rollback();
        }
        self.pg.failed.store(false, Ordering::SeqCst);
        self.pg.take_broken();
    }
}

impl Pg {
    /// Note that the current lease's connection broke (read when the lease ends).
    fn broken(&self) {
        self.broken.store(true, Ordering::SeqCst);
    }

    fn take_broken(&self) -> bool {
        self.broken.swap(false, Ordering::SeqCst)
    }

    /// Close the connection politely (best effort, bounded).
    pub(crate) fn close(&self) {
        let conn = match self.slot.lock() {
            Ok(mut slot) => slot.take(),
            Err(_) => None,
        };
        if let Some(conn) = conn {
            self.block(async move {
                let _ = tokio::time::timeout(Duration::from_millis(500), conn.close()).await;
            });
        }
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests;
