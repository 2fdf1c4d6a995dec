//! `flightdeck sandbox`: start the local demo target, and switch its faults from another shell.
//!
//! Owns only argument handling and the wait for Ctrl-C / SIGTERM; the target itself is
//! `flightdeck_sandbox`. Fault switching goes over the sandbox's own `/__sandbox/fault` endpoint so
//! it works against a sandbox started by any process.

use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use tokio::signal::unix::{signal, SignalKind};

use crate::Ctx;

/// The port the bundled runbook's sandbox environment points at.
pub const DEFAULT_PORT: u16 = 8731;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SandboxCmd {
    #[command(subcommand)]
    action: Option<SandboxAction>,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Database: a postgres:// URL, or a SQLite file path [default: a temporary SQLite file].
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Do not send synthetic traffic to itself (the /metrics figures then stay flat).
    #[arg(long)]
    no_traffic: bool,
}

#[derive(Debug, Subcommand)]
enum SandboxAction {
    /// Switch a fault on a running sandbox: latency=800ms | errors=5% | down | write-errors | clear.
    Fault {
        /// The fault, e.g. `latency=800ms`, `errors=5%`, `down`, `clear`.
        spec: String,
        /// The sandbox's base URL [default: the `sandbox` environment's SANDBOX_URL in the store,
        /// else http://127.0.0.1:8731].
        #[arg(long, env = "FLIGHTDECK_SANDBOX_URL")]
        url: Option<String>,
    },
}

pub fn run(ctx: &Ctx, cmd: SandboxCmd) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the async runtime")?;
    match cmd.action {
        Some(SandboxAction::Fault { spec, url }) => {
            let url = match url {
                Some(url) => url,
                None => environment_url(ctx)?,
            };
            rt.block_on(fault(ctx, &spec, &url))
        }
        None => rt.block_on(serve(ctx, cmd.port, cmd.db, !cmd.no_traffic)),
    }
}

async fn serve(ctx: &Ctx, port: u16, db: Option<String>, traffic: bool) -> anyhow::Result<()> {
    // An admin token comes from the environment, never the command line (where `ps` shows it).
    let admin_token = std::env::var("FLIGHTDECK_SANDBOX_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    let cfg = flightdeck_sandbox::SandboxConfig {
        port,
        db,
        traffic,
        admin_token,
        ..Default::default()
    };
    let sandbox = flightdeck_sandbox::start(cfg).await?;
    // Listen before saying where we are: whoever reads the first line may stop us at once, and
    // a SIGTERM before the handler exists would kill the process instead of stopping it cleanly.
    let mut term = signal(SignalKind::terminate()).context("listen for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("listen for Ctrl-C")?;
    if ctx.json {
        println!(
            "{}",
            serde_json::json!({"url": sandbox.base_url(), "database": sandbox.database(), "backend": sandbox.backend().as_str()})
        );
    } else {
        println!(
            "sandbox on {} (database: {})",
            sandbox.base_url(),
            sandbox.database()
        );
        print!("{}", banner_hint(&sandbox.base_url()));
    }
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    sandbox.shutdown().await;
    Ok(())
}

async fn fault(ctx: &Ctx, spec: &str, url: &str) -> anyhow::Result<()> {
    // Refuse a bad fault here, with the sandbox's own message, before touching the network.
    flightdeck_sandbox::parse_fault(spec)?;
    flightdeck_sandbox::install_tls_provider();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
        .build()
        .context("build the HTTP client")?;
    let endpoint = format!("{}/__sandbox/fault", url.trim_end_matches('/'));
    let resp = client
        .post(&endpoint)
        .body(spec.to_string())
        .send()
        .await
        .with_context(|| format!("no sandbox answering at {url} (start one with `flightdeck sandbox`)"))?;
    let status = resp.status();
    // The answer is a small JSON object; cap what we read anyway.
    let body = resp.bytes().await.context("read the sandbox's answer")?;
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]).into_owned();
    if !status.is_success() {
        bail!("sandbox at {url} refused `{spec}`: {status} {text}");
    }
    if ctx.json {
        println!("{text}");
    } else {
        let active: Vec<String> = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("active").and_then(|a| a.as_array()).cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect();
        if active.is_empty() {
            println!("sandbox at {url}: no faults active");
        } else {
            println!("sandbox at {url}: {}", active.join(", "));
        }
    }
    Ok(())
}

/// How to switch faults and point runs at this sandbox: on the default port as is; on another,
/// naming `--url` / `FLIGHTDECK_SANDBOX_URL` and the `SANDBOX_URL` the runs need.
fn banner_hint(url: &str) -> String {
    let default = format!("http://127.0.0.1:{DEFAULT_PORT}");
    if url == default {
        return "faults: flightdeck sandbox fault latency=800ms | errors=5% | down | clear   (Ctrl-C stops)\n".into();
    }
    format!(
        "faults: flightdeck sandbox fault --url {url} latency=800ms | errors=5% | down | clear   (Ctrl-C stops)\n\
         not on the default port ({DEFAULT_PORT}): `sandbox fault` needs `--url {url}` or \
         FLIGHTDECK_SANDBOX_URL={url}, and runs need `--var SANDBOX_URL={url}` or \
         `flightdeck env set-var sandbox SANDBOX_URL {url}` (which `sandbox fault` then uses too)\n"
    )
}

/// The `sandbox` environment's SANDBOX_URL: set in the store (`env set-var sandbox SANDBOX_URL`)
/// when the store exists, else the built-in one. A missing store is not created.
fn environment_url(ctx: &Ctx) -> anyhow::Result<String> {
    let path = match &ctx.store {
        Some(p) => Some(p.clone()),
        None => crate::store_path::default_path().ok(),
    };
    let mut vars = flightdeck_engine::run::builtin_vars("sandbox");
    if let Some(path) = path.filter(|p| p.exists()) {
        let store = flightdeck_engine::store::Store::open(&path)?;
        vars = flightdeck_engine::environments::Environments::open(&store)?.vars("sandbox")?;
    }
    Ok(vars
        .remove("SANDBOX_URL")
        .unwrap_or_else(|| format!("http://127.0.0.1:{DEFAULT_PORT}")))
}
