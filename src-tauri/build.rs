fn main() {
    // Listing the app's commands in an AppManifest makes each one a permission
    // (`allow-<command>`), so a window can call only what its capability grants.
    // Keep in step with `commands::handler` and capabilities/main.json.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "launch_info",
        "set_user_name",
        "ui_ready",
        "bundled_runbooks",
        "list_runs",
        "create_run",
        "open_run",
        "run_live",
        "check_item",
        "set_field",
        "set_meta",
        "add_note",
        "sign_off",
        "decide",
        "run_step",
        "cancel_step",
        "list_envs",
        "show_env",
        "create_env",
        "set_env_var",
        "set_secret",
        "remove_secret",
        "suggest_archive_path",
        "export_archive",
        "open_archive",
        "watch_store",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed: check tauri.conf.json and src-tauri/capabilities/");
}
