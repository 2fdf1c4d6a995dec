//! Probes against real servers on loopback that each test starts itself: a fault set (blackhole,
//! 1 byte/s trickle, redirect loop, unresolvable host, self-signed TLS, HTTP 500, refused
//! connection), shell steps (exit codes, captures, output caps, process-tree kill on deadline and
//! cancel, secrets), git tags, the sandbox over http and http-burst, a real Postgres and a real
//! Prometheus. (The 1 GiB body and its memory bound live in `probe_memory.rs`, alone in their
//! process.)
//!
//! One module per subject; this one holds the check they all make.

mod faults;
mod git_tag;
mod postgres;
mod prometheus;
mod sandbox;
mod secrets;
mod shell;

use flightdeck_engine::probe::{FailureClass, Outcome, ProbeResult};

/// `r` failed, and for the reason `class`.
fn assert_class(r: &ProbeResult, class: FailureClass) {
    assert_eq!(r.outcome, Outcome::Failed, "{r:#?}");
    assert_eq!(r.failure, Some(class), "{r:#?}");
}
