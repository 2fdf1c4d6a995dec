//! The Flightdeck desktop shell: builds the Tauri app, opens the store it was pointed at and
//! registers its commands.
//!
//! It owns the window, the IPC surface and nothing else. `launch` reads the command line,
//! `host` holds the open store and the user's settings, `commands` are thin adapters over
//! `flightdeck_engine` (which holds all the logic and knows nothing of Tauri), `view` shapes
//! what the UI is sent (`signals` the Signals view's charts and SLO badges), `watch` notices writes from other processes, `cutover_watch` runs the D0–D7 watch while the app is open, and `error` is the one
//! error type the UI ever sees.

mod commands;
mod cutover_watch;
mod error;
mod host;
mod launch;
mod malloc;
mod scrolling;
mod settings;
mod signals;
mod view;
mod watch;
mod zone;

#[cfg(test)]
mod bindings;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_controls;
#[cfg(test)]
mod tests_watch;

use std::time::Instant;

use tauri::{Manager, Runtime};

pub use host::Host;
pub use launch::{Launch, LaunchError};

/// The app with its commands registered and `host` as its state, for any runtime (the real
/// webview, or tauri's mock runtime in tests).
pub fn builder<R: Runtime>(host: Host) -> tauri::Builder<R> {
    with_host(tauri::Builder::<R>::new(), host)
}

/// `builder` with `host` managed and the commands registered (tests pass tauri's mock builder).
pub(crate) fn with_host<R: Runtime>(builder: tauri::Builder<R>, host: Host) -> tauri::Builder<R> {
    commands::register(builder.manage(host))
}

/// WebKitGTK settings the app chooses on Linux, each unless the user has set the variable
/// (`is_set`): the names and values to set. Both measured against a bare Tauri window
/// (`tests/e2e/measure.sh`, README "The window against a bare Tauri window"):
/// - accelerated compositing off: it keeps a backing store per layer, on a software GL stack
///   (Xvfb, VMs, most remote desktops) ~100 MiB more for our scrolling panes, and on some GPU
///   drivers a blank window. `WEBKIT_DISABLE_COMPOSITING_MODE=0` turns it back on.
/// - JavaScriptCore's JIT off (`JSC_useJIT=false`, what Apple's Lockdown Mode does): the page's
///   code runs in JSC's interpreter. The UI does little JavaScript per frame; the JIT's code and
///   its tiers cost the window ~11 MiB of PSS, and without it the first paint, scrolling, the
///   Signals view's refresh and the Controls view stay within their goals (and a JIT is attack
///   surface a checklist does not need). `JSC_useJIT=true` turns it back on.
/// - Skia paints on the CPU (`WEBKIT_SKIA_ENABLE_CPU_RENDERING=1`), when compositing is turned
///   on: WebKit's default there is to paint layers with Skia on the GPU, whose caches (glyph
///   atlases, scratch textures) cost this page ~35 MiB more than the hello-world's on a software
///   GL stack (release, run open: 330 → 293 MiB; hello-world 249.5 → 247.2), for a page that is
///   text. Compositing off paints on the CPU already. `WEBKIT_SKIA_ENABLE_CPU_RENDERING=0` turns
///   GPU painting back on.
/// - JavaScriptCore collects its heap every 4 MiB allocated instead of every 32 MiB
///   (`JSC_largeHeapSize=4194304`; 32 MiB is its default for a page's heap, and a collection
///   keeps what it found live plus that much room). The run screen keeps ~5.5 MB of it live, so
///   32 MiB of room is most of what the heap grows to: with 4 MiB the web process's anonymous
///   memory is ~1 MiB lower with the run open (debug app, two readings each, either
///   compositing setting: 40.2 → 39.3 MiB off, 74.4 → 73.5 on; 2 MiB and 1 MiB took back less,
///   more GC markers, no generational or concurrent GC nothing more). A user's own
///   `JSC_largeHeapSize` wins.
pub fn webkit_defaults(is_set: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
    [
        ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
        ("JSC_useJIT", "false"),
        ("WEBKIT_SKIA_ENABLE_CPU_RENDERING", "1"),
        ("JSC_largeHeapSize", "4194304"),
    ]
    .into_iter()
    .filter(|(name, _)| !is_set(name))
    .collect()
}

/// Start the desktop app; returns when the last window closes. Exits with status 2 on a bad
/// command line and 7 when the store cannot be opened (the CLI's codes).
pub fn run() {
    let started = Instant::now();
    malloc::limit_arenas();
    // Set before any thread or webview exists; WebKit's web process inherits them.
    #[cfg(target_os = "linux")]
    for (name, value) in webkit_defaults(|name| std::env::var_os(name).is_some()) {
        std::env::set_var(name, value);
    }
    let launch = match Launch::from_env() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("flightdeck-app: {e}");
            std::process::exit(2);
        }
    };
    let host = match Host::open(launch, started) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("flightdeck-app: {}", e.message);
            std::process::exit(7);
        }
    };
    builder::<tauri::Wry>(host)
        .setup(|app| {
            // The window is made here, not from tauri.conf.json (`create: false`): it is titled
            // after the store when that is not the default one (so two app windows on two
            // stores can be told apart), and its page starts with the launch info in it.
            let config = app
                .config()
                .app
                .windows
                .iter()
                .find(|w| w.label == "main")
                .cloned()
                .ok_or("tauri.conf.json has no window labelled main")?;
            let host = app.state::<Host>();
            let window = tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?
                .title(host.window_title())
                .initialization_script(commands::app::launch_script(&host))
                .build()?;
            scrolling::apply(&window)?;
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("Flightdeck could not start its window");
}
