//! `flightdeck alert routes | test ROUTE`: the alert routes in use, and a test notice to a
//! route's receivers (secrets from the environment's OS keyring). Routing and sending belong to
//! `flightdeck_engine::watch::alert`.

use anyhow::Context;
use flightdeck_engine::watch::{self, alert};

use crate::render;
use crate::watch_cmd::{alert_config, AlertOpts};
use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum AlertCmd {
    /// The routes and receivers in use (secrets by name only).
    Routes {
        #[command(flatten)]
        alerts: AlertOpts,
    },
    /// Send a test alert to every receiver of ROUTE, with secrets from ENV's keyring.
    Test {
        route: String,
        #[arg(long, default_value = "sandbox")]
        env: String,
        #[command(flatten)]
        alerts: AlertOpts,
    },
}

pub fn alert(ctx: &Ctx, cmd: AlertCmd) -> anyhow::Result<()> {
    match cmd {
        AlertCmd::Routes { alerts } => {
            let cfg = alert_config(ctx, &alerts)?;
            if ctx.json {
                return render::json(&cfg);
            }
            let mut s = String::new();
            for r in &cfg.routes {
                let sev: Vec<&str> = r.severities.iter().map(|s| s.as_str()).collect();
                s.push_str(&format!(
                    "{}: severity {} category {} → {}\n",
                    r.name,
                    if sev.is_empty() {
                        "any".into()
                    } else {
                        sev.join("|")
                    },
                    if r.categories.is_empty() {
                        "any".into()
                    } else {
                        r.categories.join("|")
                    },
                    r.receivers.join(", ")
                ));
            }
            s.push_str(&format!(
                "group_wait {} s, group_interval {} s, repeat_interval {} s, critical after {} failures\n",
                cfg.group_wait_s, cfg.group_interval_s, cfg.repeat_interval_s, cfg.critical_after
            ));
            render::print(&s)
        }
        AlertCmd::Test { route, env, alerts } => {
            let cfg = alert_config(ctx, &alerts)?;
            let store = crate::store_path::open(ctx)?;
            let penv = crate::env_cmd::probe_env(&store, &env)?;
            let notifier = alert::HttpNotifier::new(penv.secrets.clone()).map_err(|e| anyhow::anyhow!(e))?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("start the async runtime")?;
            let recs = rt
                .block_on(alert::test_route(
                    &cfg,
                    &route,
                    &notifier,
                    &watch::SystemWatchClock,
                ))
                .map_err(|e| anyhow::anyhow!(e))?;
            if ctx.json {
                render::json(&recs)?;
            } else {
                let lines: String = recs
                    .iter()
                    .map(|r| match &r.error {
                        None => format!("{} ({}): sent\n", r.receiver, r.receiver_kind),
                        Some(e) => format!(
                            "{} ({}): FAILED after {} tries: {e}\n",
                            r.receiver, r.receiver_kind, r.attempts
                        ),
                    })
                    .collect();
                render::print(&lines)?;
            }
            if recs.iter().any(|r| !r.sent) {
                return Err(crate::exit::Failed::Steps(format!(
                    "route `{route}`: a receiver was not reached"
                ))
                .into());
            }
            Ok(())
        }
    }
}
