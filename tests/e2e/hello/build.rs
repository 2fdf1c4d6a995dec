// The same code layout as the app's release build (src-tauri/link_layout.rs), from its own order
// file: measure.sh compares two binaries built the same way.
include!("../../../src-tauri/link_layout.rs");

fn main() {
    link_layout(
        "flightdeck-hello",
        std::path::Path::new("layout/flightdeck-hello.order"),
    );
    tauri_build::build()
}
