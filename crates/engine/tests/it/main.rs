//! The engine's integration tests, one binary (a binary per file costs a link and ~50 MB each).
//! `probe_memory.rs` stays a binary of its own: it measures this process's memory.

mod backup;
mod controls;
mod keyed;
mod pg_store;
mod probe;
mod probe_annotation;
mod read_only;
mod runbook;
mod secrets;
mod signals;
mod watch;
