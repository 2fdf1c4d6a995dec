//! Live updates from a Postgres store: LISTEN on `flightdeck_runs`, whose notifications carry only
//! a run's id and head (`<run id> <seq> <hash>`, sent by the `runs` trigger when a write commits).
//!
//! Owns the [`Follower`]: a thread of its own holding one listening connection, yielding
//! [`Followed::Changed`] for each notification and [`Followed::Resync`] every time it is
//! (re)connected and listening, since a notification sent while it was not can never arrive:
//! whoever follows refetches what it shows from the tables then. A lost connection is made again
//! (backing off to 5 s); a quiet one is checked every `PING_EVERY`, so a connection that died
//! without a word is noticed. Dropping the follower stops it and waits for its thread.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::oneshot;

use super::{Target, CONNECT_DEADLINE};
use crate::store::{RunHead, StoreError};

/// How soon a lost connection is made again (doubling to 5 s while it cannot be).
const FIRST_RETRY: Duration = Duration::from_millis(100);

/// The channel the `runs` trigger notifies.
pub const CHANNEL: &str = "flightdeck_runs";

/// The follower's `application_name` (the store's own connections are `flightdeck-store`).
pub const APPLICATION: &str = "flightdeck-follow";

/// How often a quiet listening connection is checked.
pub const PING_EVERY: Duration = Duration::from_secs(5);

/// What a follower yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followed {
    /// Listening (again): anything may have changed while not; refetch everything followed.
    Resync,
    /// A run's head moved to this (or the run was made).
    Changed(RunHead),
    /// The connection was lost (why); a `Resync` follows once it is back.
    Lost(String),
}

/// Follows a Postgres store's changes on a thread of its own (see the module doc).
pub struct Follower {
    rx: mpsc::Receiver<Followed>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Follower {
    pub(crate) fn start(target: &Target) -> Result<Follower, StoreError> {
        let (tx, rx) = mpsc::channel();
        let (stop, stopped) = oneshot::channel();
        let opts = target.opts.clone();
        let shown = target.shown.clone();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Postgres {
                store: shown.clone(),
                context: "starting the follower".into(),
                message: e.to_string(),
            })?;
        let thread = std::thread::Builder::new()
            .name("flightdeck-follow".into())
            .spawn(move || rt.block_on(follow(opts, tx, stopped)))
            .map_err(|e| StoreError::Postgres {
                store: shown,
                context: "starting the follower".into(),
                message: e.to_string(),
            })?;
        Ok(Follower {
            rx,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The next change, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Followed> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// A change already there, without waiting.
    pub fn try_recv(&self) -> Option<Followed> {
        self.rx.try_recv().ok()
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `<run id> <seq> <hash>` as the trigger sends it.
fn parse(payload: &str) -> Option<RunHead> {
    let mut parts = payload.split(' ');
    let (id, seq, hash) = (parts.next()?, parts.next()?, parts.next()?);
    Some(RunHead {
        run_id: id.to_string(),
        seq: seq.parse().ok()?,
        hash: hash.to_string(),
    })
}

/// Listen until stopped or nobody receives, reconnecting as needed.
async fn follow(opts: PgConnectOptions, tx: mpsc::Sender<Followed>, mut stopped: oneshot::Receiver<()>) {
    let mut backoff = FIRST_RETRY;
    // Whether the current outage was reported (a `Lost` since the last connection).
    let mut told = false;
    loop {
        let why = tokio::select! {
            _ = &mut stopped => return,
            why = listen(&opts, &tx) => why,
        };
        match why {
            Ended::Gone => return,
            Ended::Lost(why) => {
                backoff = FIRST_RETRY;
                told = true;
                if tx.send(Followed::Lost(why)).is_err() {
                    return;
                }
            }
            Ended::NoConnection(why) => {
                // Said once per outage, not on every retry.
                if !told && tx.send(Followed::Lost(why)).is_err() {
                    return;
                }
                told = true;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
        tokio::select! {
            _ = &mut stopped => return,
            _ = tokio::time::sleep(backoff) => {}
        }
    }
}

enum Ended {
    /// Nobody receives any more.
    Gone,
    /// Listening stopped: the connection broke.
    Lost(String),
    /// No connection could be made.
    NoConnection(String),
}

/// One listening connection: made, LISTENing, `Resync` sent, then notifications until it breaks.
async fn listen(opts: &PgConnectOptions, tx: &mpsc::Sender<Followed>) -> Ended {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(CONNECT_DEADLINE)
        .connect_lazy_with(opts.clone().application_name(APPLICATION));
    let listener = tokio::time::timeout(CONNECT_DEADLINE, async {
        let mut l = PgListener::connect_with(&pool).await?;
        // This connection's drops are ours to notice: never reconnect behind our back.
        l.eager_reconnect(false);
        l.listen(CHANNEL).await?;
        Ok::<_, sqlx::Error>(l)
    })
    .await;
    let mut listener = match listener {
        Ok(Ok(l)) => l,
        Ok(Err(e)) => return Ended::NoConnection(e.to_string()),
        Err(_) => return Ended::NoConnection("no connection within the deadline".into()),
    };
    if tx.send(Followed::Resync).is_err() {
        return Ended::Gone;
    }
    loop {
        match tokio::time::timeout(PING_EVERY, listener.try_recv()).await {
            Ok(Ok(Some(n))) => {
                if let Some(head) = parse(n.payload()) {
                    if tx.send(Followed::Changed(head)).is_err() {
                        return Ended::Gone;
                    }
                }
            }
            Ok(Ok(None)) => return Ended::Lost("the connection was closed".into()),
            Ok(Err(e)) => return Ended::Lost(e.to_string()),
            Err(_) => {
                let ping =
                    tokio::time::timeout(PING_EVERY, sqlx::query("SELECT 1").execute(&mut listener)).await;
                match ping {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => return Ended::Lost(e.to_string()),
                    Err(_) => return Ended::Lost("no answer to a ping".into()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn notifications_carry_a_run_id_and_its_head() {
        let head = super::parse("0193-abc 12 ff00").expect("parses");
        assert_eq!(
            (head.run_id.as_str(), head.seq, head.hash.as_str()),
            ("0193-abc", 12, "ff00")
        );
        assert!(super::parse("0193-abc twelve ff00").is_none());
        assert!(super::parse("0193-abc").is_none());
    }
}
