// The app's commands: this list is the only one. `commands::register` builds the invoke handler
// from it, `build.rs` the AppManifest (one `allow-<command>` permission each) and its check of
// `capabilities/main.json`, and the bindings test `ui/src/lib/bindings/commands.ts`, which
// types the UI's `invoke` calls. Add a command here, in its domain module, and nowhere else by hand.
app_commands! {
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
    signals::signal_panels,
    signals::slo_status,
    watch::watch_store,
}
