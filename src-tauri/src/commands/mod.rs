//! Tauri commands, one module per domain: one-line adapters over the engine, async, with
//! rusqlite work on the blocking pool (`Host::blocking`) and `IpcError` as the only error.
//!
//! Adding a command: write it in its domain module, list it in `register` below, in
//! `build.rs`'s AppManifest and in `capabilities/main.json`, then regenerate the bindings
//! (`FLIGHTDECK_BLESS=1 cargo test -p flightdeck-app bindings`). Long work streams over a
//! channel, as `steps::run_step(req, on_output: Channel<StepOutput>)` does, and still answers
//! `RunLive` like every other write.

pub mod app;
pub mod archive;
pub mod envs;
pub mod runbooks;
pub mod runs;
pub mod steps;
pub mod watch;

use tauri::Runtime;

pub fn register<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        app::launch_info,
        app::set_user_name,
        app::ui_ready,
        runbooks::bundled_runbooks,
        runs::list_runs,
        runs::create_run,
        runs::open_run,
        runs::run_live,
        runs::check_item,
        runs::set_field,
        runs::set_meta,
        runs::add_note,
        runs::sign_off,
        runs::decide,
        steps::run_step,
        steps::cancel_step,
        envs::list_envs,
        envs::show_env,
        envs::create_env,
        envs::set_env_var,
        envs::set_secret,
        envs::remove_secret,
        archive::suggest_archive_path,
        archive::export_archive,
        archive::open_archive,
        watch::watch_store,
    ])
}
