//! A bare Tauri hello-world: one window, one page, one command (`ready`) so the measure script
//! can time the first paint the same way it times Flightdeck's.

use std::time::Instant;

#[tauri::command]
fn ready(started: tauri::State<'_, Instant>) {
    eprintln!(
        "flightdeck-hello: first paint {} ms after start",
        started.elapsed().as_millis()
    );
}

fn main() {
    tauri::Builder::default()
        .manage(Instant::now())
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
        .expect("hello-world could not start");
}
