//! `flightdeck signals list | show` and `flightdeck slo status`: an environment's golden signals
//! and how its SLOs stand, in a terminal (a sparkline per signal) or as JSON.
//!
//! Owns the arguments, the text layouts and the exit code of a critical SLO (8); reading the
//! signals and judging the SLOs belong to `flightdeck_engine::signals`. Every text from outside
//! (queries, reasons, SLO lines) goes through `out!`, so no control character reaches the
//! terminal.

use anyhow::Context as _;
use flightdeck_engine::environments::{EnvError, Environments};
use flightdeck_engine::probe::ProbeEnv;
use flightdeck_engine::run;
use flightdeck_engine::signals::{self, slo, Data, SeriesResult, Signal, SloState, SloStatus, Target};
use tokio_util::sync::CancellationToken;

use crate::render::out;
use crate::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum SignalsCmd {
    /// The environment's signals: name, golden-signal class, unit, source and query.
    List {
        env: String,
        #[command(flatten)]
        vars: Vars,
    },
    /// Every signal over the last RANGE, with a sparkline, its latest value and its range.
    Show {
        env: String,
        /// How far back (`15m`, `1h`, `6h`, `1d`).
        #[arg(long, default_value = "1h", value_parser = range_arg)]
        range: String,
        #[command(flatten)]
        vars: Vars,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum SloCmd {
    /// How each SLO stands now: state, burn rate per window pair, threshold, budget. Exits 8
    /// while any SLO is critical.
    Status {
        /// A run (its runbook's SLOs, against its environment).
        #[arg(required_unless_present = "env", conflicts_with = "env")]
        run: Option<String>,
        /// An environment (its own SLOs: M31's four, or SLO_<NAME> variables).
        #[arg(long)]
        env: Option<String>,
        #[command(flatten)]
        vars: Vars,
    },
}

/// Variables over the environment's own (`--var PROMETHEUS_URL=http://...`).
#[derive(Debug, clap::Args)]
pub struct Vars {
    /// A variable over the environment's (repeatable): PROMETHEUS_URL, SLO_PERIOD, SIGNAL_<NAME>, ...
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = crate::args::var)]
    vars: Vec<String>,
}

pub fn signals(ctx: &Ctx, cmd: SignalsCmd) -> anyhow::Result<()> {
    match cmd {
        SignalsCmd::List { env, vars } => {
            let target = target(ctx, &env, &vars)?.0;
            let list = signals::for_env(&target)?;
            if ctx.json {
                return crate::render::json(&list);
            }
            let mut text = String::new();
            if list.is_empty() {
                out!(
                    text,
                    "environment {env} has no signals: set PROMETHEUS_URL or SIGNAL_<NAME>"
                );
            }
            for s in &list {
                out!(
                    text,
                    "{:<20} {:<11} {:<11} {:<10} {}",
                    s.name,
                    s.class.as_str(),
                    s.unit.as_str(),
                    source(s),
                    s.query
                );
            }
            crate::render::print(&text)
        }
        SignalsCmd::Show { env, range, vars } => {
            let secs = signals::parse_duration(&range)
                .filter(|s| *s > 0)
                .with_context(|| format!("--range `{range}` is not a duration (15m, 1h, 1d)"))?;
            let (target, probe) = target(ctx, &env, &vars)?;
            let list = signals::for_env(&target)?;
            let now = signals::now(&probe);
            let step = u32::try_from((secs / 60).max(1)).unwrap_or(u32::MAX);
            let start = now - i64::try_from(secs).unwrap_or(i64::MAX);
            let series = block_on(signals::range(
                &target,
                &list,
                start,
                now,
                step,
                &CancellationToken::new(),
            ))?;
            if ctx.json {
                return crate::render::json(&series);
            }
            crate::render::print(&series_text(&env, &range, &series))
        }
    }
}

pub fn slo(ctx: &Ctx, cmd: SloCmd) -> anyhow::Result<()> {
    let SloCmd::Status { run, env, vars } = cmd;
    let (target, probe, runbook) = match (run, env) {
        (Some(run_ref), _) => {
            let store = crate::store_path::open(ctx)?;
            let record = store.resolve_run(&run_ref)?;
            let runbook = run::runbook_of(&record)?;
            let (target, probe) = target(ctx, &record.env, &vars)?;
            (target, probe, Some(runbook))
        }
        (None, Some(env)) => {
            let (target, probe) = target(ctx, &env, &vars)?;
            (target, probe, None)
        }
        (None, None) => anyhow::bail!("give a RUN or --env ENV"),
    };
    let slos = slo::for_env(&target, runbook.as_ref())?;
    let now = signals::now(&probe);
    let statuses = block_on(slo::status(&target, &slos, now, &CancellationToken::new()))?;
    if ctx.json {
        crate::render::json(&statuses)?;
    } else {
        crate::render::print(&status_text(&target.env, &statuses))?;
    }
    let critical: Vec<&str> = statuses
        .iter()
        .filter(|s| s.state == SloState::Critical)
        .map(|s| s.slo.text.as_str())
        .collect();
    if critical.is_empty() {
        Ok(())
    } else {
        Err(crate::exit::Failed::SloCritical(format!(
            "{} SLO(s) critical in environment {}: {}",
            critical.len(),
            target.env,
            critical.join("; ")
        ))
        .into())
    }
}

/// `--range`: a duration of at least a second (a usage error otherwise, exit 2).
fn range_arg(s: &str) -> Result<String, String> {
    match signals::parse_duration(s) {
        Some(secs) if secs > 0 => Ok(s.trim().to_owned()),
        _ => Err(format!("`{s}` is not a duration (15m, 1h, 6h, 1d)")),
    }
}

/// The signal target of `env` (which must exist) with `--var`s over its variables, and the
/// probe environment it was read from (for its clock).
fn target(ctx: &Ctx, env: &str, vars: &Vars) -> anyhow::Result<(Target, ProbeEnv)> {
    let store = crate::store_path::open(ctx)?;
    if Environments::open(&store)?.production(env)?.is_none() {
        return Err(EnvError::NotFound(env.to_owned()).into());
    }
    let mut probe = crate::env_cmd::probe_env(&store, env)?;
    for v in &vars.vars {
        let (k, val) = v
            .split_once('=')
            .with_context(|| format!("--var `{v}` is not NAME=VALUE"))?;
        probe.vars.insert(k.trim().to_owned(), val.to_owned());
    }
    Ok((Target::from_env(env, &probe)?, probe))
}

fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("start the async runtime")?;
    Ok(rt.block_on(f))
}

fn source(s: &Signal) -> &'static str {
    match s.source {
        signals::SourceKind::Prometheus => "prometheus",
        signals::SourceKind::Sql => "sql",
    }
}

/// Columns of a sparkline.
const SPARK_WIDTH: usize = 40;

/// `values` as block characters, averaged into at most [`SPARK_WIDTH`] columns, scaled from their
/// min to their max (a flat series is a flat line).
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if values.is_empty() {
        return String::new();
    }
    let cols = values.len().min(SPARK_WIDTH);
    let avg: Vec<f64> = (0..cols)
        .map(|c| {
            let (a, b) = (
                c * values.len() / cols,
                ((c + 1) * values.len() / cols).max(c * values.len() / cols + 1),
            );
            values[a..b].iter().sum::<f64>() / (b - a) as f64
        })
        .collect();
    let (lo, hi) = avg.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(*v), h.max(*v))
    });
    avg.iter()
        .map(|v| {
            let i = if hi > lo {
                ((v - lo) / (hi - lo) * 7.0).round() as usize
            } else {
                0
            };
            BARS[i.min(7)]
        })
        .collect()
}

fn series_text(env: &str, range: &str, series: &[SeriesResult]) -> String {
    let mut text = String::new();
    out!(text, "signals of environment {env}, last {range}:");
    let mut class = None;
    for r in series {
        if class != Some(r.signal.class) {
            class = Some(r.signal.class);
            out!(text, "{}", r.signal.class.as_str());
        }
        match &r.data {
            Data::Ok { value } => {
                let vs: Vec<f64> = value.points.iter().map(|p| p.v).collect();
                let unit = r.signal.unit;
                let (lo, hi) = vs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
                    (l.min(*v), h.max(*v))
                });
                let last = vs.last().copied().unwrap_or(f64::NAN);
                out!(
                    text,
                    "  {:<30} {:>10}  {}  {} – {}",
                    r.signal.label,
                    unit.format(last),
                    sparkline(&vs),
                    unit.format(lo),
                    unit.format(hi)
                );
            }
            Data::NoData { reason } => out!(text, "  {:<30} {:>10}  {reason}", r.signal.label, "no data"),
        }
    }
    text
}

fn status_text(env: &str, statuses: &[SloStatus]) -> String {
    let mut text = String::new();
    out!(text, "SLOs of environment {env}:");
    for s in statuses {
        let state = match s.state {
            SloState::Ok => "ok",
            SloState::Warning => "WARNING",
            SloState::Critical => "CRITICAL",
            SloState::NoData => "NO DATA",
        };
        out!(text, "{state:<9} {}", s.slo.text);
        out!(text, "          {}", s.reason);
        let t = &s.threshold;
        match &t.data {
            Data::Ok { value } => out!(
                text,
                "          threshold: {} {} over {} ({} {}): {}",
                t.signal,
                t.unit.format(value.v),
                signals::promql_duration(t.window_s),
                t.op.as_str(),
                t.unit.format(t.threshold),
                if t.met == Some(true) { "met" } else { "NOT met" }
            ),
            Data::NoData { reason } => out!(text, "          threshold: no data: {reason}"),
        }
        for p in &s.pairs {
            let rate = |w: &signals::WindowBurn| {
                w.data
                    .ok()
                    .map_or("no data".into(), |b| format!("{:.2}×", b.burn_rate))
            };
            out!(
                text,
                "          {:?} {}×: {} {} / {} {}{}",
                p.severity,
                p.factor,
                signals::promql_duration(p.long.window_s),
                rate(&p.long),
                signals::promql_duration(p.short.window_s),
                rate(&p.short),
                if p.firing == Some(true) { "  FIRING" } else { "" }
            );
        }
        match &s.budget {
            Data::Ok { value } => out!(
                text,
                "          budget: {:.1} % left over {} (objective {} %)",
                value.remaining * 100.0,
                signals::promql_duration(s.slo.period_s),
                s.slo.objective * 100.0
            ),
            Data::NoData { reason } => out!(text, "          budget: no data: {reason}"),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::sparkline;

    #[test]
    fn a_sparkline_spans_min_to_max_and_a_flat_series_is_flat() {
        assert_eq!(sparkline(&[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]), "▁▂▃▄▅▆▇█");
        assert_eq!(sparkline(&[3.0, 3.0, 3.0]), "▁▁▁");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(
            sparkline(&vec![1.0; 500]).chars().count(),
            40,
            "long series are averaged into 40 columns"
        );
    }
}
