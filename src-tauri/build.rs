fn main() {
    // Listing the app's commands in an AppManifest makes each one a permission
    // (`allow-<command>`), so a window can call only what its capability grants.
    let manifest = tauri_build::AppManifest::new().commands(&["bundled_runbooks"]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed: check tauri.conf.json and src-tauri/capabilities/");
}
