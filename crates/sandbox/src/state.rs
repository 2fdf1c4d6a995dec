//! The state every handler shares: the database and the live parts built around it at start.

use std::sync::Arc;

use crate::auth::Tokens;
use crate::breakers::Breakers;
use crate::db::Db;
use crate::faults::Faults;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub faults: Arc<Faults>,
    pub metrics: Arc<Metrics>,
    pub breakers: Arc<Breakers>,
    pub limiter: Arc<RateLimiter>,
    pub tokens: Arc<Tokens>,
    /// The bearer token `/admin/*` and `/ofrep/*` require, when one is set.
    pub admin_token: Option<Arc<str>>,
}
