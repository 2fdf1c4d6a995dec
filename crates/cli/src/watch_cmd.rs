//! `flightdeck watch RUN | plan | status | export`: the D0–D7 watch, headless.
//!
//! Owns arguments, progress lines and the alert configuration file's place
//! (`<config>/alerts.json`, else §15's routing); the plan, the scheduler, what is recorded and
//! the receivers belong to `flightdeck_engine::watch`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Context;
use flightdeck_engine::run;
use flightdeck_engine::watch::{self, alert, SlotStatus, WatchUpdate};
use tokio_util::sync::CancellationToken;

use crate::render;
use crate::Ctx;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct WatchArgs {
    #[command(subcommand)]
    cmd: Option<WatchCmd>,
    /// Run the watch of RUN in the foreground until its last slot (Ctrl-C stops it cleanly).
    #[arg(value_name = "RUN", required = true)]
    run: Option<String>,
    /// Who records the watch's events.
    #[arg(long, value_name = "NAME", default_value = "flightdeck-watch")]
    by: String,
    /// A variable for `${NAME}` in the checks (repeatable), over the environment's own.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = crate::args::var)]
    vars: Vec<String>,
    #[command(flatten)]
    alerts: AlertOpts,
}

#[derive(Debug, clap::Args)]
pub struct AlertOpts {
    /// The alert routes and receivers [default: <config>/alerts.json, else §15's routing].
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,
    /// Route no alerts (record the slots only).
    #[arg(long)]
    pub no_alerts: bool,
}

#[derive(Debug, clap::Subcommand)]
enum WatchCmd {
    /// Show the run's watch plan, or change it (a `watch_plan_set` event).
    Plan {
        run: String,
        /// T-0 (RFC 3339 or `2026-12-04 09:00` UTC) [default: the Cutover Date].
        #[arg(long)]
        t0: Option<String>,
        /// Replace the bands: FROM-TO/EVERY, e.g. `0h-2h/5m` (repeatable, in order).
        #[arg(long = "band", value_name = "FROM-TO/EVERY")]
        bands: Vec<String>,
        /// Replace the checks: step ids, comma-separated.
        #[arg(long, value_delimiter = ',')]
        checks: Option<Vec<String>>,
        /// Signals summary interval (`1h`; `off`).
        #[arg(long)]
        summary: Option<String>,
        /// Budget summary interval (`1d`; `off`).
        #[arg(long)]
        budget: Option<String>,
        /// The watch's length (`7d`).
        #[arg(long)]
        until: Option<String>,
        /// Who changes it (required to change it).
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
    /// The slots so far: passed, failed, missed, to come.
    Status { run: String },
    /// Write the signed D0–D7 watch report of RUN, tied to its archive (a second signed PDF
    /// naming the archive; `archive verify ARCHIVE --watch-report REPORT` checks both).
    Report {
        run: String,
        /// The run's signed archive (`archive export`) the report follows.
        #[arg(long, value_name = "ARCHIVE.pdf")]
        archive: PathBuf,
        /// The PDF to write.
        #[arg(short, long, value_name = "FILE.pdf")]
        output: PathBuf,
        /// The certificate's name on first use [default: the run's release manager].
        #[arg(long, value_name = "NAME")]
        signer_name: Option<String>,
        /// The certificate's organisation on first use.
        #[arg(long, value_name = "ORG")]
        signer_org: Option<String>,
    },
    /// Write systemd user units that run the watch (`--systemd`).
    Export {
        run: String,
        #[arg(long, required = true)]
        systemd: bool,
        /// Where to write them [default: ~/.config/systemd/user].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        #[arg(long, value_name = "NAME", default_value = "flightdeck-watch")]
        by: String,
    },
}

pub fn watch(ctx: &Ctx, args: WatchArgs) -> anyhow::Result<()> {
    match args.cmd {
        Some(WatchCmd::Plan {
            run,
            t0,
            bands,
            checks,
            summary,
            budget,
            until,
            by,
        }) => {
            let edit = PlanEdit {
                t0,
                bands,
                checks,
                summary,
                budget,
                until,
            };
            plan(ctx, &run, edit, by)
        }
        Some(WatchCmd::Status { run }) => status(ctx, &run),
        Some(WatchCmd::Report {
            run,
            archive,
            output,
            signer_name,
            signer_org,
        }) => {
            let choice = flightdeck_archive::SignerChoice {
                name: signer_name,
                organisation: signer_org,
            };
            crate::watch_report_cmd::report(ctx, &run, &archive, &output, &choice)
        }
        Some(WatchCmd::Export { run, dir, by, .. }) => export(ctx, &run, dir, &by),
        None => {
            let run = args.run.context("name the run to watch")?;
            foreground(ctx, &run, &args.by, &args.vars, &args.alerts)
        }
    }
}

struct PlanEdit {
    t0: Option<String>,
    bands: Vec<String>,
    checks: Option<Vec<String>>,
    summary: Option<String>,
    budget: Option<String>,
    until: Option<String>,
}

fn minutes(what: &str, v: &str) -> anyhow::Result<u32> {
    if v.eq_ignore_ascii_case("off") {
        return Ok(0);
    }
    let secs = flightdeck_engine::signals::parse_duration(v)
        .with_context(|| format!("--{what} `{v}` is not a duration (5m, 1h, 1d) or `off`"))?;
    u32::try_from(secs / 60).with_context(|| format!("--{what} `{v}` is too long"))
}

fn plan(ctx: &Ctx, run_ref: &str, e: PlanEdit, by: Option<String>) -> anyhow::Result<()> {
    let mut store = crate::store_path::open(ctx)?;
    let loaded = run::load(&store, run_ref)?;
    let events = store.events(&loaded.record.id)?;
    let changes = e.t0.is_some()
        || !e.bands.is_empty()
        || e.checks.is_some()
        || e.summary.is_some()
        || e.budget.is_some()
        || e.until.is_some();
    let mut plan = match (&e.t0, watch::plan_of(&loaded.runbook, &loaded.state, &events)) {
        (_, Ok(p)) => p,
        (Some(t0), Err(_)) => watch::WatchPlan::from_runbook(&loaded.runbook, watch::parse_time(t0)?)?,
        (None, Err(err)) => return Err(err.into()),
    };
    if !changes {
        return if ctx.json {
            render::json(&plan)
        } else {
            render::print(&plan_text(&plan))
        };
    }
    let by = crate::who::actor(ctx, by)?;
    if let Some(t0) = &e.t0 {
        plan.t0 = flightdeck_engine::store::format_time(watch::parse_time(t0)?);
    }
    if !e.bands.is_empty() {
        let bands = e
            .bands
            .iter()
            .map(|b| watch::parse_band(b))
            .collect::<Result<_, _>>()?;
        // A band with the same bounds keeps the runbook items it vouches for.
        plan.replace_bands(bands)?;
    }
    if let Some(c) = e.checks {
        plan.checks = c
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
    }
    if let Some(s) = &e.summary {
        plan.summary_every_min = minutes("summary", s)?;
    }
    if let Some(b) = &e.budget {
        plan.budget_every_min = minutes("budget", b)?;
    }
    if let Some(u) = &e.until {
        plan.end_min = minutes("until", u)?;
    }
    let req = watch::SetWatchPlanReq {
        run: loaded.record.id.clone(),
        plan: plan.clone(),
    };
    let applied = watch::set_plan(&mut store, &by, req)?;
    if ctx.json {
        return render::json(&crate::json_out::applied(&applied));
    }
    render::print(&format!(
        "{}{}",
        render::applied("watch plan set", &applied, &store.short_id(&applied.run_id)),
        plan_text(&plan)
    ))
}

fn plan_text(p: &watch::WatchPlan) -> String {
    let mut s = format!(
        "T-0 {}, until D+{} ({})\n",
        p.t0,
        p.end_min / watch::DAY_MIN,
        watch::minutes_text(p.end_min)
    );
    for b in &p.bands {
        s.push_str(&format!("  band {}", watch::band_text(b)));
        if !b.items.is_empty() {
            s.push_str(&format!("  checks when clean: {}", b.items.join(", ")));
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "  checks: {}\n",
        if p.checks.is_empty() {
            "(none)".into()
        } else {
            p.checks.join(", ")
        }
    ));
    let every = |m: u32| {
        if m == 0 {
            "off".to_string()
        } else {
            format!("every {}", watch::minutes_text(m))
        }
    };
    s.push_str(&format!("  signals summary: {}\n", every(p.summary_every_min)));
    s.push_str(&format!(
        "  budget summary: {} ({})\n",
        every(p.budget_every_min),
        p.budget_url
    ));
    s
}

fn status(ctx: &Ctx, run_ref: &str) -> anyhow::Result<()> {
    let store = crate::store_path::open(ctx)?;
    let st = watch::status(&store, run_ref)?;
    if ctx.json {
        return render::json(&st);
    }
    let mut s = format!(
        "watch of run {}: {} passed, {} failed, {} missed, {} to come; alerts {} sent, {} failed\n",
        run::short_id(&st.run_id),
        st.passed,
        st.failed,
        st.missed,
        st.pending,
        st.alerts_sent,
        st.alerts_failed
    );
    if !st.clean_bands.is_empty() {
        s.push_str(&format!("bands run clean: {}\n", st.clean_bands.join(", ")));
    }
    // The strip: one character a slot, checks only (summaries and budgets listed when not passed).
    let strip: String = st
        .cells
        .iter()
        .filter(|c| c.kind == watch::SlotKind::Check)
        .map(|c| match c.status {
            Some(SlotStatus::Passed) => '.',
            Some(SlotStatus::Failed) => 'X',
            Some(SlotStatus::Missed) => 'm',
            None => ' ',
        })
        .collect();
    s.push_str(&format!("checks [{strip}]  (. passed  X failed  m missed)\n"));
    for c in st
        .cells
        .iter()
        .filter(|c| matches!(c.status, Some(SlotStatus::Failed | SlotStatus::Missed)))
    {
        let what = match (c.status, &c.reason) {
            (Some(SlotStatus::Missed), Some(r)) => format!("missed ({r})"),
            (Some(SlotStatus::Missed), None) => "missed".into(),
            _ => format!("failed: {}", c.failed.join(", ")),
        };
        s.push_str(&format!("  {} {}  {what}\n", c.slot, c.due));
    }
    render::print(&s)
}

fn export(ctx: &Ctx, run_ref: &str, dir: Option<PathBuf>, by: &str) -> anyhow::Result<()> {
    let store = crate::store_path::open(ctx)?;
    let record = store.resolve_run(run_ref)?;
    let exe = std::env::current_exe().context("find the flightdeck program")?;
    let store_path = std::fs::canonicalize(store.path()).unwrap_or_else(|_| store.path().to_path_buf());
    let dir = match dir {
        Some(d) => d,
        None => directories::BaseDirs::new()
            .map(|b| b.config_dir().join("systemd/user"))
            .context("no home directory: pass --dir")?,
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    let config = ctx
        .config_dir
        .as_ref()
        .map(|c| std::fs::canonicalize(c).unwrap_or_else(|_| c.clone()));
    let units = watch::systemd::units(&record.id, &exe, &store_path, config.as_deref(), by);
    let timer = dir.join(format!("{}.timer", units.name));
    let service = dir.join(format!("{}.service", units.name));
    std::fs::write(&timer, &units.timer).with_context(|| format!("write {}", timer.display()))?;
    std::fs::write(&service, &units.service).with_context(|| format!("write {}", service.display()))?;
    if ctx.json {
        return render::json(&serde_json::json!({"timer": timer, "service": service}));
    }
    render::print(&format!(
        "wrote {}\nwrote {}\nstart it: systemctl --user daemon-reload && systemctl --user enable --now {}.timer\n",
        timer.display(),
        service.display(),
        units.name
    ))
}

pub(crate) fn alert_config(ctx: &Ctx, opts: &AlertOpts) -> anyhow::Result<alert::AlertConfig> {
    let path = match &opts.alerts {
        Some(p) => p.clone(),
        None => match ctx.config_dir() {
            Some(d) => d.join("alerts.json"),
            None => return Ok(alert::AlertConfig::m31()),
        },
    };
    alert::AlertConfig::load(&path).map_err(|e| anyhow::anyhow!(e))
}

fn foreground(ctx: &Ctx, run_ref: &str, by: &str, vars: &[String], opts: &AlertOpts) -> anyhow::Result<()> {
    let store = crate::store_path::open(ctx)?;
    let loaded = run::load(&store, run_ref)?;
    let env = watch_env(&store, &loaded.record, vars)?;
    let events = store.events(&loaded.record.id)?;
    let plan = watch::plan_of(&loaded.runbook, &loaded.state, &events)?;
    let cfg = if opts.no_alerts {
        None
    } else {
        Some(alert_config(ctx, opts)?)
    };
    let notifier = alert::HttpNotifier::new(env.secrets.clone()).map_err(|e| anyhow::anyhow!(e))?;
    let cancel = CancellationToken::new();
    let runner = watch::ProbeRunner {
        runbook: loaded.runbook.clone(),
        env,
        budget_url: plan.budget_url.clone(),
        cancel: cancel.clone(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("start the async runtime")?;
    let store = Mutex::new(store);
    let json = ctx.json;
    let live = move |u: WatchUpdate| {
        if json {
            let _ = writeln_json(&u);
        } else {
            line(&update_line(&u));
        }
    };
    let id = loaded.record.id.clone();
    let result = rt.block_on(async {
        let watcher = crate::interrupt::cancel_on_ctrl_c(cancel.clone());
        if !json {
            line(&format!(
                "watching run {} (T-0 {}, {} checks); Ctrl-C stops\n",
                run::short_id(&id),
                plan.t0,
                plan.checks.len()
            ));
        }
        let req = watch::WatchReq {
            run: id.clone(),
            by: by.to_string(),
            alerts: cfg.map(|c| (c, &notifier as &dyn alert::Notifier)),
        };
        let r = watch::watch(
            &store,
            req,
            &runner,
            &watch::SystemWatchClock,
            &live,
            cancel.clone(),
        )
        .await;
        watcher.abort();
        r
    });
    result?;
    if cancel.is_cancelled() && !json {
        line("stopped; the slots so far are recorded");
    }
    Ok(())
}

/// The run's environment for its checks: variables (with `--var`s), keyring secrets, RUN_ID and
/// FLIGHTDECK_ENV as steps get them.
fn watch_env(
    store: &flightdeck_engine::store::Store,
    record: &flightdeck_engine::store::RunRecord,
    vars: &[String],
) -> anyhow::Result<flightdeck_engine::probe::ProbeEnv> {
    let mut env = crate::env_cmd::probe_env(store, &record.env)?;
    for v in vars {
        let (k, val) = v
            .split_once('=')
            .with_context(|| format!("--var `{v}` is not NAME=VALUE"))?;
        env.vars.insert(k.trim().to_string(), val.to_string());
    }
    env.vars
        .entry("RUN_ID".into())
        .or_insert_with(|| record.id.clone());
    env.vars
        .entry("FLIGHTDECK_ENV".into())
        .or_insert_with(|| record.env.clone());
    Ok(env)
}

fn writeln_json(u: &WatchUpdate) -> anyhow::Result<()> {
    let mut o = std::io::stdout().lock();
    writeln!(
        o,
        "{}",
        serde_json::to_string(&crate::json_out::watch_update(u)?)?
    )?;
    Ok(o.flush()?)
}

/// One progress line, escaped for the terminal, flushed (a watch runs for days).
fn line(s: &str) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{}", render::esc(s.trim_end()));
    let _ = o.flush();
}

fn update_line(u: &WatchUpdate) -> String {
    match u {
        WatchUpdate::Slot { record: r, .. } => {
            let what = match r.status {
                SlotStatus::Passed => "passed".to_string(),
                SlotStatus::Missed => format!("missed ({})", r.reason.as_deref().unwrap_or("?")),
                SlotStatus::Failed => {
                    let names: Vec<&str> = r
                        .lines
                        .iter()
                        .filter(|l| !l.passed)
                        .map(|l| l.name.as_str())
                        .collect();
                    format!("FAILED: {}", names.join(", "))
                }
            };
            let cu = if r.catch_up { " (catch-up)" } else { "" };
            format!("{} {}{cu}: {what}\n", r.due, r.slot)
        }
        WatchUpdate::BandClean { band, .. } => format!(
            "band {} ran clean: checked {}\n",
            band.band,
            band.items.join(", ")
        ),
        WatchUpdate::Alert { record: a, .. } => {
            let how = if a.sent {
                "sent".to_string()
            } else {
                format!(
                    "FAILED after {} tries: {}",
                    a.attempts,
                    a.error.as_deref().unwrap_or("")
                )
            };
            format!(
                "alert {} {} → {} ({}): {how}\n",
                a.severity.as_str(),
                a.group,
                a.receiver,
                a.receiver_kind
            )
        }
    }
}
