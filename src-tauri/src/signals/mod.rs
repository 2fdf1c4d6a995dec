//! The Signals view and the run header's SLO badges: what the window is sent, shaped from the
//! engine's signals through `flightdeck_charts`, the same panels (and, with plotters, the same
//! SVG) the archive draws.
//!
//! Owns the run's signal context (its environment's target, signals and SLOs, T-0), the time
//! span of a range, the moment the samples arrived (the benchmark times from it), and the view
//! types. Reading sources and judging SLOs is the engine's; panels and drawing are the charts
//! crate's. `synthetic` stands in for the sources when the app is started for the chart
//! benchmark (`--synthetic-signals N`).

pub mod synthetic;

use std::time::{SystemTime, UNIX_EPOCH};

use flightdeck_charts::signals::{self as charts, Fetched, Span};
use flightdeck_charts::{plot_columns, Frame, MarkKind, Panel, Theme};
use flightdeck_engine::signals::{self, slo, Signal, Slo, SloState, SloStatus, Target};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use crate::error::{ErrorCode, IpcError};
use crate::host::Host;

/// The time ranges the Signals view offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ChartRange {
    M15,
    H1,
    H6,
    /// From 24 hours before T-0 (or before now, while T-0 is not set) to now.
    SinceT24h,
}

/// Who draws the charts: plotters here, as SVG (the default, as the archive does), or the
/// window's canvas chart from the points (`--charts canvas`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ChartRender {
    Plotters,
    Canvas,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SignalsReq {
    pub run: String,
    pub range: ChartRange,
    /// Each panel's size in CSS pixels: the series are decimated to its plot's pixel columns.
    pub width: u32,
    pub height: u32,
    pub dark: bool,
    /// The viewer's offset from UTC in minutes (clock times on the axis).
    pub utc_offset_min: i32,
    pub render: ChartRender,
}

/// One chart as the window shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ChartPanel {
    /// With plotters the lines' points are left out (the SVG has them); with the canvas chart
    /// they are the decimated points to draw.
    pub panel: Panel,
    pub svg: Option<String>,
    /// Points drawn, all lines together.
    pub drawn: u32,
    /// Why nothing is drawn (the panel's own reason, else each failed line's).
    pub no_data: Option<String>,
    pub width: u32,
    pub height: u32,
}

/// One SLO's state for the run header.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SloBadge {
    pub id: String,
    /// The SLO's words before its operator (`API latency P95`).
    pub label: String,
    /// As written (`API latency P95 < 500ms (5min window)`).
    pub text: String,
    pub state: SloState,
    pub reason: String,
    /// Evaluated at, unix seconds.
    pub at: i64,
}

/// The Signals view of a run, one refresh.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SignalsView {
    pub run: String,
    pub env: String,
    /// Where the samples came from (`Prometheus http://127.0.0.1:9090/`).
    pub source: String,
    /// The time axis, unix seconds.
    pub from: f64,
    pub to: f64,
    /// When the samples arrived in the app (unix milliseconds): the chart benchmark times from
    /// here to the painted frame.
    pub arrived_ms: f64,
    pub panels: Vec<ChartPanel>,
    pub slos: Vec<SloBadge>,
    /// The SLOs could not be read (a line that does not bind, a bad variable): why.
    pub slo_error: Option<String>,
}

/// A run's signals, as its environment and runbook define them.
pub struct RunSignals {
    pub run_id: String,
    pub env: String,
    pub target: Target,
    pub signals: Vec<Signal>,
    pub slos: Result<Vec<Slo>, String>,
    /// T-0 (the Cutover Date), unix seconds.
    pub t0: Option<i64>,
    /// Now, by the environment's clock.
    pub now: i64,
}

impl RunSignals {
    /// The run's environment, signals and SLOs (the runbook's, else the environment's), read
    /// afresh: a variable or T-0 changed since shows at the next refresh.
    pub async fn open(host: &Host, run: &str) -> Result<RunSignals, IpcError> {
        let run = run.to_string();
        let loaded = host
            .blocking(move |s| Ok(flightdeck_engine::run::load(s, &run)?))
            .await?;
        let env = loaded.record.env.clone();
        let probe = crate::commands::steps::probe_env(host, env.clone()).await?;
        let target = Target::from_env(&env, &probe)?;
        let signals = signals::for_env(&target)?;
        let slos = slo::for_env(&target, Some(&loaded.runbook)).map_err(|e| e.to_string());
        let t0 = loaded
            .state
            .meta("cutover-date")
            .and_then(|m| m.value.as_deref())
            .and_then(flightdeck_archive::parse_t0)
            .map(|t| t.unix_timestamp());
        Ok(RunSignals {
            run_id: loaded.record.id,
            env,
            target,
            signals,
            slos,
            t0,
            now: signals::now(&probe),
        })
    }

    fn source(&self) -> String {
        match &self.target.prometheus {
            Some(p) => format!("Prometheus {}", p.url),
            None => format!("no PROMETHEUS_URL for environment `{}`", self.env),
        }
    }
}

/// `range` ending now as a span of `width` CSS pixels: about 2,880 samples at most, never
/// finer than the environment's scrape interval.
pub fn span_of(range: ChartRange, now: i64, t0: Option<i64>, scrape_s: u32, width: u32) -> Span {
    let from = match range {
        ChartRange::M15 => now - 900,
        ChartRange::H1 => now - 3600,
        ChartRange::H6 => now - 6 * 3600,
        ChartRange::SinceT24h => t0.map_or(now - 86_400, |t| (t - 86_400).min(now - 900)),
    };
    let secs = (now - from).max(1);
    let step = u32::try_from((secs + 2879) / 2880)
        .unwrap_or(u32::MAX)
        .max(scrape_s.max(1));
    Span {
        from,
        to: now,
        step,
        columns: plot_columns(width),
    }
}

fn millis_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Run an engine future to its end on a runtime of its own, on the calling (blocking-pool)
/// thread. The engine's signal futures are not provably `Send` (a rustc limit with streams of
/// borrowing closures), so they cannot be awaited in a command directly; steps run the same way.
fn run_engine<T>(work: impl std::future::Future<Output = T>) -> Result<T, IpcError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            IpcError::new(
                ErrorCode::Internal,
                format!("cannot start the signals runtime: {e}"),
            )
        })?;
    Ok(rt.block_on(work))
}

/// One refresh of the Signals view.
pub async fn view(host: &Host, req: SignalsReq) -> Result<SignalsView, IpcError> {
    let ctx = RunSignals::open(host, &req.run).await?;
    let synthetic = host.launch().synthetic_signals;
    tauri::async_runtime::spawn_blocking(move || {
        let scrape = ctx
            .target
            .prometheus
            .as_ref()
            .map_or(1, |p| u32::try_from(p.scrape_interval.as_secs()).unwrap_or(1));
        let span = span_of(req.range, ctx.now, ctx.t0, scrape, req.width);
        let (fetched, statuses, source) = match synthetic {
            Some(points) => (
                synthetic::fetched(points, &span),
                Vec::new(),
                "synthetic samples".to_string(),
            ),
            None => {
                let cancel = CancellationToken::new();
                let slos = ctx.slos.as_deref().unwrap_or_default();
                let (fetched, statuses) = run_engine(async {
                    tokio::join!(
                        charts::fetch(&ctx.target, &ctx.signals, slos, &span, &cancel),
                        slo::status(&ctx.target, slos, ctx.now, &cancel)
                    )
                })?;
                (fetched, statuses, ctx.source())
            }
        };
        let arrived_ms = millis_now();
        // Decimating and drawing from here: the blocking pool, never an async worker.
        let panels = shape(&fetched, &ctx, &req, &span);
        Ok(SignalsView {
            run: ctx.run_id.clone(),
            env: ctx.env.clone(),
            source,
            from: span.from as f64,
            to: span.to as f64,
            arrived_ms,
            panels,
            slos: statuses.iter().map(badge).collect(),
            slo_error: ctx.slos.as_ref().err().cloned(),
        })
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::Internal, format!("signals task failed: {e}")))?
}

/// The panels of one refresh, marked with T-0 and now, drawn when plotters draws them.
fn shape(fetched: &Fetched, ctx: &RunSignals, req: &SignalsReq, span: &Span) -> Vec<ChartPanel> {
    let frame = Frame {
        width: req.width,
        height: req.height,
        theme: Theme::of(req.dark),
        utc_offset_min: req.utc_offset_min,
    };
    charts::panels(fetched, &ctx.env, span)
        .into_iter()
        .map(|mut p| {
            if let Some(t0) = ctx.t0 {
                p.mark(t0 as f64, "T-0", MarkKind::Cutover);
            }
            p.mark(span.to as f64, "now", MarkKind::Now);
            let drawn = p
                .lines
                .iter()
                .flat_map(|l| &l.points)
                .filter(|x| x.1.is_some())
                .count();
            let no_data = p.why_empty();
            let svg = match req.render {
                // A chart that cannot be drawn says so in its place rather than failing the view.
                ChartRender::Plotters => Some(flightdeck_charts::svg(&p, &frame).unwrap_or_else(|e| {
                    let mut failed = Panel::new(&p.id, &p.title, &p.unit, p.from, p.to);
                    failed.no_data = Some(e.to_string());
                    flightdeck_charts::svg(&failed, &frame).unwrap_or_default()
                })),
                ChartRender::Canvas => None,
            };
            if svg.is_some() {
                p.lines.iter_mut().for_each(|l| l.points.clear());
            }
            ChartPanel {
                panel: p,
                svg,
                drawn: u32::try_from(drawn).unwrap_or(u32::MAX),
                no_data,
                width: req.width,
                height: req.height,
            }
        })
        .collect()
}

/// The run's SLOs evaluated now.
pub async fn badges(host: &Host, run: &str) -> Result<Vec<SloBadge>, IpcError> {
    let ctx = RunSignals::open(host, run).await?;
    if host.launch().synthetic_signals.is_some() {
        return Ok(Vec::new());
    }
    let slos = ctx.slos.map_err(|e| IpcError::new(ErrorCode::Invalid, e))?;
    let target = ctx.target;
    let now = ctx.now;
    tauri::async_runtime::spawn_blocking(move || {
        let statuses = run_engine(slo::status(&target, &slos, now, &CancellationToken::new()))?;
        Ok(statuses.iter().map(badge).collect())
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::Internal, format!("SLO task failed: {e}")))?
}

fn badge(s: &SloStatus) -> SloBadge {
    let text = s.slo.text.clone();
    let label = text
        .split_once(s.slo.op.as_str())
        .map_or(text.as_str(), |(head, _)| head)
        .trim()
        .to_string();
    SloBadge {
        id: s.slo.id.clone(),
        label,
        text,
        state: s.state,
        reason: s.reason.clone(),
        at: s.at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_end_now_with_about_2880_samples_never_finer_than_the_scrape() {
        let now = 1_800_000_000;
        let s = span_of(ChartRange::M15, now, None, 1, 600);
        assert_eq!(
            (s.from, s.to, s.step),
            (now - 900, now, 1),
            "15 minutes at the 1 s scrape"
        );
        let s = span_of(ChartRange::H6, now, None, 1, 600);
        assert_eq!(s.step, 8, "6 h in 2,700 samples of 8 s");
        let s = span_of(ChartRange::H1, now, None, 15, 600);
        assert_eq!(s.step, 15, "a 15 s scrape: asking finer gives nothing new");
        let t0 = now + 3600;
        let s = span_of(ChartRange::SinceT24h, now, Some(t0), 1, 600);
        assert_eq!(s.from, t0 - 86_400, "since 24 hours before T-0");
        assert_eq!(s.step, 29, "23 hours in 2,856 samples of 29 s");
        let s = span_of(ChartRange::SinceT24h, now, Some(now + 30 * 3600), 1, 600);
        assert_eq!(
            s.from,
            now - 900,
            "T-0 more than a day away: at least the last 15 minutes"
        );
        assert_eq!(
            span_of(ChartRange::SinceT24h, now, None, 1, 600).from,
            now - 86_400,
            "no T-0 yet"
        );
    }
}
