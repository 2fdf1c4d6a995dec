//! Present-or-skip: what a test needs from the machine, checked the same way everywhere.
//!
//! Outside CI a test whose need is missing returns early after one `skipped: ...` line on stderr
//! (a laptop without a Secret Service still runs the rest). Under CI (`CI` set, as every CI
//! service sets it) a missing need fails the test instead: CI runs under `.ci/services.sh`, which
//! provides them all, so there a missing one is a broken setup, never a reason to pass.
//!
//! ```no_run
//! # fn t() {
//! let Some(url) = flightdeck_testsupport::needs::postgres() else { return };
//! # }
//! ```
//!
//! Owns only the decision; starting the services is `.ci/services.sh`'s job.

use std::path::{Path, PathBuf};

/// The variable `.ci/services.sh` sets to its throwaway Postgres.
pub const PG_URL_VAR: &str = "FLIGHTDECK_TEST_PG_URL";

/// True when running in CI, where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// `what` is missing (`why` says how, and what provides it). Fails the test under CI; otherwise
/// notes the skip on stderr. Returns `false`, so a check can end in `return missing(..)`.
#[track_caller]
pub fn missing(what: &str, why: &str) -> bool {
    if in_ci() {
        panic!("CI needs {what}: {why}");
    }
    eprintln!("skipped: no {what} here ({why})");
    false
}

/// The Postgres URL `.ci/services.sh` exports, or `None` (skipped; under CI, a failure).
#[track_caller]
pub fn postgres() -> Option<String> {
    match std::env::var(PG_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            missing(
                "Postgres",
                &format!("{PG_URL_VAR} is not set; run under .ci/services.sh"),
            );
            None
        }
    }
}

/// The OS keyring (a usable Secret Service), or `None` (skipped; under CI, a failure).
#[cfg(feature = "engine")]
#[track_caller]
pub fn keyring() -> Option<flightdeck_engine::secrets::Keyring> {
    match flightdeck_engine::secrets::Keyring::open() {
        Ok(keyring) => Some(keyring),
        Err(e) => {
            missing("real Secret Service", &format!("{e}; run under .ci/services.sh"));
            None
        }
    }
}

/// Where `name` is on `PATH`, or `None` (skipped; under CI, a failure: `.ci/deps.sh` installs
/// every program a test runs).
#[track_caller]
pub fn program(name: &str) -> Option<PathBuf> {
    let found = on_path(name);
    if found.is_none() {
        missing(&format!("`{name}`"), "it is not on PATH; .ci/deps.sh installs it");
    }
    found
}

/// Every one of `names` is on `PATH` (else skipped; under CI, a failure naming the missing ones).
#[track_caller]
pub fn programs(names: &[&str]) -> bool {
    let absent: Vec<&str> = names.iter().copied().filter(|n| on_path(n).is_none()).collect();
    if absent.is_empty() {
        return true;
    }
    missing(
        &format!("`{}`", absent.join("`, `")),
        "not on PATH; .ci/deps.sh installs them",
    )
}

/// The first executable file called `name` in a `PATH` directory.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_on_path_is_found_and_a_made_up_one_is_not() {
        // `sh` runs every shell step; a name nobody has cannot be on PATH. (The made-up name is
        // looked up directly: through `program` it would fail this test under CI, by design.)
        assert!(on_path("sh").is_some_and(|p| p.is_absolute()));
        assert_eq!(on_path("flightdeck-no-such-program-8c1f"), None);
    }

    #[test]
    fn only_executable_files_count() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("plain.txt");
        std::fs::write(&file, "not a program").expect("write");
        assert!(!is_executable(&file), "a file without an x bit is not a program");
        assert!(!is_executable(dir.path()), "a directory is not a program");
    }
}
