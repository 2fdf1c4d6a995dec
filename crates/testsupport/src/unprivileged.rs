//! Permission tests that mean something as root too: as root, `chmod` denies nothing, so a child
//! process that must be refused a write is started as `nobody` instead.
//!
//! Owns only the decision and the user switch; making files read-only is each test's business
//! (and a folder the child must enter has to be open to everyone: `chmod a+rx`).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

/// The conventional unprivileged user and group (`nobody` / `nogroup`).
pub const NOBODY: u32 = 65534;

/// Whether this process runs as root (its `/proc/self` is owned by its effective user).
pub fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `cmd` as `nobody` when this process is root, so file permissions bind it; unchanged otherwise.
pub fn without_root(cmd: &mut Command) -> &mut Command {
    if running_as_root() {
        cmd.uid(NOBODY).gid(NOBODY);
    }
    cmd
}

/// Set `path`'s permission bits to `mode` (`0o555` for a folder nobody may write but anyone may
/// enter, `0o444` for a file anyone may read).
pub fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}
