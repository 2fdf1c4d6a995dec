//! The scenarios, written once and run against each backend (SQLite in `main.rs`, Postgres in
//! `postgres.rs`). Each takes a fresh sandbox; one module per part of the demo target.

mod accounts;
mod breakers;
mod faults;
mod health;
mod metrics;
mod preconditions;

pub use accounts::register_orders_payments;
pub use breakers::{breakers, flags_and_budgets};
pub use faults::faults;
pub use health::{health, rate_limit};
pub use metrics::metrics_grow;
pub use preconditions::preconditions;
