//! Tauri commands, one module per domain: one-line adapters over the engine, async, with
//! rusqlite work on the blocking pool (`Host::blocking`) and `IpcError` as the only error.
//!
//! Adding a command: write it in its domain module (a write on a run is one line over the
//! engine: `host.write(req, run::op)`), add one line to `all.rs`, grant `allow-<command>` in
//! `capabilities/main.json` (the build fails until you do), then regenerate the bindings
//! (`FLIGHTDECK_BLESS=1 cargo test -p flightdeck-app bindings`), which also rewrites the UI's
//! list of command names; the UI's `TauriBackend` gets its method. Long work streams over a
//! channel, as `steps::run_step(req, on_output: Channel<StepOutput>)` does, and still answers
//! `RunLive` like every other write.

pub mod app;
pub mod archive;
pub mod controls;
pub mod cutover_watch;
pub mod envs;
pub mod runbooks;
pub mod runs;
pub mod signals;
pub mod steps;
pub mod watch;

use tauri::Runtime;

/// Expands the one list in `all.rs` into the invoke handler and the list of names.
macro_rules! app_commands {
    ($($module:ident::$command:ident),* $(,)?) => {
        /// `builder` with every command of `all.rs` as its invoke handler.
        pub fn register<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
            builder.invoke_handler(tauri::generate_handler![$($module::$command),*])
        }

        /// Every command's name, in the order of `all.rs` (for the generated TypeScript list).
        #[cfg(test)]
        pub const NAMES: &[&str] = &[$(stringify!($command)),*];
    };
}

include!("all.rs");
