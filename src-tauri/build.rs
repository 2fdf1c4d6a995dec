//! Makes each of the app's commands a permission (`allow-<command>`, through an AppManifest) so
//! a window can call only what its capability grants, and checks that the main window's
//! capability grants exactly the app's commands. The commands come from the one list,
//! `src/commands/all.rs`, which `commands::register` also expands into the invoke handler.

use std::collections::BTreeSet;

/// `src/commands/all.rs` read as the names of its commands.
macro_rules! app_commands {
    ($($module:ident::$command:ident),* $(,)?) => {
        &[$(stringify!($command)),*]
    };
}

include!("link_layout.rs");

const COMMANDS: &[&str] = include!("src/commands/all.rs");
const CAPABILITY: &str = "capabilities/main.json";

/// Every `"allow-…"` string in the capability file.
fn granted(json: &str) -> BTreeSet<String> {
    json.split('"')
        .filter(|s| s.starts_with("allow-"))
        .map(str::to_string)
        .collect()
}

fn main() {
    println!("cargo:rerun-if-changed=src/commands/all.rs");
    println!("cargo:rerun-if-changed={CAPABILITY}");
    link_layout(
        "flightdeck-app",
        std::path::Path::new("layout/flightdeck-app.order"),
    );
    let capability =
        std::fs::read_to_string(CAPABILITY).unwrap_or_else(|e| panic!("cannot read {CAPABILITY}: {e}"));
    let want: BTreeSet<String> = COMMANDS
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    let have = granted(&capability);
    let missing: Vec<_> = want.difference(&have).collect();
    let unknown: Vec<_> = have.difference(&want).collect();
    if !missing.is_empty() || !unknown.is_empty() {
        panic!(
            "{CAPABILITY} disagrees with src/commands/all.rs: not granted {missing:?}, granted \
             but no such command {unknown:?}"
        );
    }
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed: check tauri.conf.json and src-tauri/capabilities/");
}
