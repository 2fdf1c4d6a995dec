//! The Flightdeck desktop shell: builds the Tauri app and registers its commands.
//!
//! It owns the window, the IPC surface and nothing else; every command is a thin adapter in
//! `commands` over `flightdeck_engine`, which holds all the logic and knows nothing of Tauri.

mod commands;

use tauri::Runtime;

/// The app with its commands registered, for any runtime (the real webview, or tauri's mock
/// runtime in tests).
pub fn builder<R: Runtime>() -> tauri::Builder<R> {
    tauri::Builder::<R>::new().invoke_handler(tauri::generate_handler![commands::bundled_runbooks])
}

/// Start the desktop app; returns when the last window closes.
pub fn run() {
    builder::<tauri::Wry>()
        .run(tauri::generate_context!())
        .expect("Flightdeck could not start its window");
}
