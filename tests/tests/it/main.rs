//! Flightdeck end to end through the `flightdeck` binary and real parts (a Secret Service, a
//! sandbox, crashes mid-write, a tampered store): one test binary, one module per subject.

mod cli;
mod controls;
mod crash;
mod keyed;
mod m31_backups;
mod m31_sandbox;
mod secrets;
mod shared_store;
mod tamper;
mod trust;
mod watch;
mod watch_report;
