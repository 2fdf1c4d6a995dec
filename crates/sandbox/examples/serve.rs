//! Runs a sandbox until Ctrl-C, for trying it by hand before the CLI's `flightdeck sandbox` exists:
//! `cargo run -p flightdeck-sandbox --example serve -- [--port P] [--db URL|PATH] [--no-traffic]`.

use flightdeck_sandbox::{start, SandboxConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut cfg = SandboxConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => cfg.port = args.next().ok_or("--port needs a value")?.parse()?,
            "--db" => cfg.db = Some(args.next().ok_or("--db needs a value")?),
            "--no-traffic" => cfg.traffic = false,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let sb = start(cfg).await?;
    println!("sandbox on {} (database {})", sb.base_url(), sb.database());
    tokio::signal::ctrl_c().await?;
    sb.shutdown().await;
    Ok(())
}
