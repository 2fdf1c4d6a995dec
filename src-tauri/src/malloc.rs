//! glibc's malloc arenas for the app's own process (Linux, glibc only).
//!
//! glibc gives each new thread that allocates an arena of its own, up to eight per core, and
//! keeps what each one grew to. The app's threads (tokio's workers and blocking pool: the store,
//! the SLO badges' refresh, steps, export) allocate little and seldom at the same time, so one
//! arena serves them: measured (release, compositing off, the M31 run open, 8 s idle, side by
//! side, three readings each) the app's tree 229.8 → 226.9 MiB PSS with one arena, 228.0 with
//! two; the hello-world 195.5 → 195.1 with `MALLOC_ARENA_MAX=1`, which `tests/e2e/measure.sh`
//! gives it so the comparison stays like for like. A user's own `MALLOC_ARENA_MAX` or
//! `GLIBC_TUNABLES` wins: glibc has read those already, and this then leaves the setting alone.

/// Arenas for the app's process, unless the user set `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES`.
pub const ARENAS: i32 = 1;

/// Whether the app sets its own arena limit, given which variables are set.
pub fn chooses_arenas(is_set: impl Fn(&str) -> bool) -> bool {
    !is_set("MALLOC_ARENA_MAX") && !is_set("GLIBC_TUNABLES")
}

/// Limit the process to [`ARENAS`] malloc arenas. Call first thing in `main`, before any thread
/// exists: a thread that has allocated keeps the arena it was given.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn limit_arenas() {
    if !chooses_arenas(|name| std::env::var_os(name).is_some()) {
        return;
    }
    // SAFETY: mallopt only changes a malloc parameter; M_ARENA_MAX with a positive value is a
    // documented setting (mallopt(3)) and is called before any other thread exists. A zero
    // answer (not set) leaves glibc's default, which is only more memory.
    #[allow(unsafe_code)]
    let _ = unsafe { libc::mallopt(libc::M_ARENA_MAX, ARENAS) };
}

/// Other platforms and C libraries: their allocators are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_arenas() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_own_malloc_setting_wins() {
        assert!(chooses_arenas(|_| false));
        assert!(!chooses_arenas(|n| n == "MALLOC_ARENA_MAX"));
        assert!(!chooses_arenas(|n| n == "GLIBC_TUNABLES"));
    }
}
