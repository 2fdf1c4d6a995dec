//! Prints a runbook's model as JSON: `cargo run -p flightdeck-engine --example dump FILE`.
fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "bundled:m31".into());
    match flightdeck_engine::runbook::read_source(&path)
        .and_then(|(n, b)| flightdeck_engine::runbook::parse(&n, &b))
    {
        Ok(rb) => println!("{}", serde_json::to_string_pretty(&rb).unwrap_or_default()),
        Err(e) => eprintln!("error: {e}"),
    }
}
