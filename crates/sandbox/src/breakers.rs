//! Circuit breakers per provider, kept in the `circuit_breakers` table.
//!
//! Owns the state machine: `closed` counts consecutive failures and opens at the threshold; `open`
//! rejects calls and, unless it was tripped by hand, turns `half_open` after the cooldown; `half_open`
//! closes on a success and opens again on a failure. A manual trip stays open until a reset. Every change
//! reports its before and after. The HTTP face is `routes::breakers`; payments ask [`Breakers::admits`].

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::db::{Db, DbError, Row};

/// Every provider with a breaker: the five the M31 checklist names plus the checklist's `test-provider`.
pub const PROVIDERS: &[&str] = &["stripe", "square", "twilio", "fcm", "apns", "test-provider"];

/// The providers that count for `/api/health/providers` (`test-provider` is a fixture, not a provider).
pub const REAL_PROVIDERS: &[&str] = &["stripe", "square", "twilio", "fcm", "apns"];

/// A breaker as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakerView {
    pub provider: String,
    /// `closed`, `open` or `half_open`.
    pub state: String,
    pub failure_count: i64,
    pub updated_at: String,
}

/// The part of a breaker a change moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakerSide {
    pub state: String,
    pub failure_count: i64,
}

/// What one action did.
#[derive(Debug, Clone, Serialize)]
pub struct BreakerChange {
    pub provider: String,
    pub action: &'static str,
    /// The state after the action (same as `after.state`).
    pub state: String,
    pub failure_count: i64,
    pub failure_threshold: u32,
    pub before: BreakerSide,
    pub after: BreakerSide,
}

/// What a conditional action came to.
#[derive(Debug, Clone)]
pub enum Applied {
    /// The provider has no breaker row.
    Unknown,
    /// The breaker was not in the expected state (as it is): nothing changed.
    Conflict(BreakerView),
    Done(BreakerChange),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Trip,
    Reset,
    Fail,
    Success,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Trip => "trip",
            Action::Reset => "reset",
            Action::Fail => "fail",
            Action::Success => "success",
        }
    }
}

/// Where an open breaker came from, to know whether the cooldown applies.
#[derive(Debug, Clone, Copy)]
struct Opened {
    at: Instant,
    manual: bool,
}

/// The breakers of one sandbox.
pub struct Breakers {
    db: Db,
    threshold: u32,
    cooldown: Duration,
    opened: std::sync::Mutex<HashMap<String, Opened>>,
    /// Serialises read-change-write so before/after are exact under concurrent calls.
    write: tokio::sync::Mutex<()>,
}

pub fn is_known(provider: &str) -> bool {
    PROVIDERS.contains(&provider)
}

fn view(row: &Row) -> Result<BreakerView, DbError> {
    Ok(BreakerView {
        provider: row.text("provider_name")?,
        state: row.text("state")?,
        failure_count: row.int("failure_count")?,
        updated_at: row.text("updated_at")?,
    })
}

const SELECT: &str =
    "SELECT provider_name, state, failure_count, CAST(updated_at AS TEXT) AS updated_at FROM circuit_breakers";

impl Breakers {
    pub fn new(db: Db, threshold: u32, cooldown: Duration) -> Breakers {
        Breakers {
            db,
            threshold: threshold.max(1),
            cooldown,
            opened: std::sync::Mutex::new(HashMap::new()),
            write: tokio::sync::Mutex::new(()),
        }
    }

    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// Every breaker in the table, by provider name.
    pub async fn list(&self) -> Result<Vec<BreakerView>, DbError> {
        let _w = self.write.lock().await;
        let rows = self
            .db
            .fetch_all(&format!("{SELECT} ORDER BY provider_name"), &[])
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push(self.cool_down(view(row)?).await?);
        }
        Ok(out)
    }

    /// One breaker, `None` when the table has no row for it.
    pub async fn get(&self, provider: &str) -> Result<Option<BreakerView>, DbError> {
        let _w = self.write.lock().await;
        self.get_locked(provider).await
    }

    async fn get_locked(&self, provider: &str) -> Result<Option<BreakerView>, DbError> {
        let row = self
            .db
            .fetch_optional(&format!("{SELECT} WHERE provider_name = $1"), &[provider.into()])
            .await?;
        match row {
            Some(row) => Ok(Some(self.cool_down(view(&row)?).await?)),
            None => Ok(None),
        }
    }

    /// Turns an open breaker half-open once its cooldown has passed (not for manual trips).
    async fn cool_down(&self, mut b: BreakerView) -> Result<BreakerView, DbError> {
        if b.state != "open" {
            return Ok(b);
        }
        let opened = self.opened.lock().ok().and_then(|m| m.get(&b.provider).copied());
        if let Some(o) = opened {
            if !o.manual && o.at.elapsed() >= self.cooldown {
                self.store(&b.provider, "half_open", b.failure_count).await?;
                self.forget(&b.provider);
                b.state = "half_open".to_owned();
            }
        }
        Ok(b)
    }

    async fn store(&self, provider: &str, state: &str, failures: i64) -> Result<(), DbError> {
        self.db
            .execute(
                "UPDATE circuit_breakers SET state = $2, failure_count = $3, updated_at = CURRENT_TIMESTAMP
                 WHERE provider_name = $1",
                &[provider.into(), state.into(), failures.into()],
            )
            .await?;
        Ok(())
    }

    fn forget(&self, provider: &str) {
        if let Ok(mut m) = self.opened.lock() {
            m.remove(provider);
        }
    }

    fn remember_open(&self, provider: &str, manual: bool) {
        if let Ok(mut m) = self.opened.lock() {
            m.insert(
                provider.to_owned(),
                Opened {
                    at: Instant::now(),
                    manual,
                },
            );
        }
    }

    /// Applies one action; `None` when the provider has no breaker row.
    pub async fn apply(&self, provider: &str, action: Action) -> Result<Option<BreakerChange>, DbError> {
        Ok(match self.apply_if(provider, action, None).await? {
            Applied::Done(c) => Some(c),
            Applied::Unknown | Applied::Conflict(_) => None,
        })
    }

    /// Applies one action if the breaker is in state `expected` (any state when `None`), checked
    /// under the same lock as the write, so no change can come in between.
    pub async fn apply_if(
        &self,
        provider: &str,
        action: Action,
        expected: Option<&str>,
    ) -> Result<Applied, DbError> {
        let _w = self.write.lock().await;
        let Some(before) = self.get_locked(provider).await? else {
            return Ok(Applied::Unknown);
        };
        if expected.is_some_and(|x| x != before.state) {
            return Ok(Applied::Conflict(before));
        }
        let threshold = i64::from(self.threshold);
        let (state, failures) = match (action, before.state.as_str()) {
            (Action::Trip, _) => ("open", before.failure_count),
            (Action::Reset, _) => ("closed", 0),
            (Action::Fail, "half_open") => ("open", before.failure_count + 1),
            (Action::Fail, "open") => ("open", before.failure_count + 1),
            (Action::Fail, _) if before.failure_count + 1 >= threshold => ("open", before.failure_count + 1),
            (Action::Fail, _) => ("closed", before.failure_count + 1),
            // A success while open changes nothing: calls are not let through, so none can succeed.
            (Action::Success, "open") => ("open", before.failure_count),
            (Action::Success, _) => ("closed", 0),
        };
        self.store(provider, state, failures).await?;
        match (action, before.state.as_str(), state) {
            (Action::Trip, _, _) => self.remember_open(provider, true),
            (_, "open", "open") => {}
            (_, _, "open") => self.remember_open(provider, false),
            _ => self.forget(provider),
        }
        Ok(Applied::Done(BreakerChange {
            provider: provider.to_owned(),
            action: action.name(),
            state: state.to_owned(),
            failure_count: failures,
            failure_threshold: self.threshold,
            before: BreakerSide {
                state: before.state,
                failure_count: before.failure_count,
            },
            after: BreakerSide {
                state: state.to_owned(),
                failure_count: failures,
            },
        }))
    }

    /// Whether a call to `provider` may go out now (closed or half-open).
    pub async fn admits(&self, provider: &str) -> Result<bool, DbError> {
        Ok(self.get(provider).await?.is_some_and(|b| b.state != "open"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn breakers(cooldown: Duration) -> Result<(tempfile::TempDir, Breakers), DbError> {
        let dir = tempfile::tempdir().map_err(|e| DbError::Worker(e.to_string()))?;
        let db = Db::sqlite(&dir.path().join("b.db")).await?;
        db.migrate_and_seed().await?;
        Ok((dir, Breakers::new(db, 3, cooldown)))
    }

    #[tokio::test]
    async fn consecutive_failures_open_then_cooldown_half_opens_then_success_closes() -> Result<(), DbError> {
        let (_dir, b) = breakers(Duration::from_millis(50)).await?;
        for _ in 0..2 {
            b.apply("stripe", Action::Fail).await?;
        }
        assert!(
            b.admits("stripe").await?,
            "2 failures are under the threshold of 3"
        );
        let change = b.apply("stripe", Action::Fail).await?.ok_or(DbError::Closed)?;
        assert_eq!(
            (change.before.state.as_str(), change.state.as_str()),
            ("closed", "open")
        );
        assert!(!b.admits("stripe").await?);
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(
            b.admits("stripe").await?,
            "cooldown passed: half_open lets a trial through"
        );
        let change = b.apply("stripe", Action::Success).await?.ok_or(DbError::Closed)?;
        assert_eq!(change.before.state, "half_open");
        assert_eq!((change.state.as_str(), change.failure_count), ("closed", 0));
        Ok(())
    }

    #[tokio::test]
    async fn a_manual_trip_ignores_the_cooldown() -> Result<(), DbError> {
        let (_dir, b) = breakers(Duration::from_millis(1)).await?;
        b.apply("test-provider", Action::Trip).await?;
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!b.admits("test-provider").await?);
        b.apply("test-provider", Action::Reset).await?;
        assert!(b.admits("test-provider").await?);
        assert!(b.apply("nope", Action::Trip).await?.is_none());
        Ok(())
    }
}
