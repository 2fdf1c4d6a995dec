//! The cutover window's golden signals and SLO burn rates, read at export time so the archive
//! shows what the room saw: the four golden panels from T-24h to the decision and from T-24h to
//! the export, each SLO's burn rate over the same window with the `slo` gates' verdicts, and the
//! samples behind every chart as `signals/*.json` attachments (listed in the manifest, so
//! `verify` covers them like every attachment).
//!
//! Owns which windows are drawn, reading them (through `flightdeck_engine::signals`, on a runtime
//! of its own: export is synchronous), the gate verdicts found in the run's `slo` step outputs,
//! and the attachments. A run whose environment has no Prometheus (or no longer exists) still
//! exports: [`Signals::Absent`] says why the charts are missing. Drawing is `render::signals`'
//! through `flightdeck_charts`, the same code the app's Signals view draws with.

use flightdeck_charts::plot_columns;
use flightdeck_charts::signals::{self as charts, Fetched, Span};
use flightdeck_engine::environments::Environments;
use flightdeck_engine::run::{Event, LoadedRun};
use flightdeck_engine::secrets::Keyring;
use flightdeck_engine::signals::{self, slo, Slo, Target};
use flightdeck_engine::store::{canonical_json, Store, StoredEvent};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::layout;

/// Samples per series asked of a window at most (one per 30 s over a day).
const SAMPLES: i64 = 2_880;
/// Longest one call to the environment's Prometheus may take during an export.
const DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// One time window of golden signals: `T-24h` to the decision, or to the export.
#[derive(Debug, Clone)]
pub struct Window {
    /// `decision` or `export`: the attachment's name and the end mark.
    pub key: &'static str,
    pub title: String,
    pub span: Span,
    pub fetched: Fetched,
}

/// An `slo` gate's verdict on one SLO, as the step recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct GateVerdict {
    pub step: String,
    /// Unix seconds.
    pub at: i64,
    pub slo: String,
    pub state: String,
    pub breached: bool,
    pub why: Vec<String>,
}

/// The golden signals of an archived run, or why there are none.
#[derive(Debug, Clone)]
pub enum Signals {
    Absent(String),
    Present(Box<Present>),
}

#[derive(Debug, Clone)]
pub struct Present {
    pub env: String,
    /// Where the samples came from (`Prometheus http://127.0.0.1:9090/`).
    pub source: String,
    /// T-0, and whether it is the Cutover Date (else the run's creation stands in for it).
    pub t0: i64,
    pub t0_is_cutover: bool,
    pub decision: Option<i64>,
    pub export: i64,
    pub windows: Vec<Window>,
    /// The SLOs and their burn rates over the window ending at the export.
    pub slos: Vec<Slo>,
    pub verdicts: Vec<GateVerdict>,
}

/// The plot width of the archive's charts, in points (1 px = 1 pt).
pub fn chart_width() -> u32 {
    (layout::RIGHT - layout::LEFT) as u32
}

/// Read the signals of `run` for an export at `now`: never fails, a source that cannot be read
/// is the reason the charts are absent (or a panel's "no data").
pub fn gather(store: &Store, run: &LoadedRun, events: &[StoredEvent], now: OffsetDateTime) -> Signals {
    let env = run.record.env.clone();
    let target = match target(store, &env) {
        Ok(t) => t,
        Err(why) => return Signals::Absent(why),
    };
    let Some(prom) = target.prometheus.as_ref() else {
        return Signals::Absent(format!(
            "environment `{env}` has no PROMETHEUS_URL, so no golden signals were recorded for this run"
        ));
    };
    let source = format!("Prometheus {}", prom.url);
    let signals = match signals::for_env(&target) {
        Ok(s) => s,
        Err(e) => return Signals::Absent(format!("the signals of environment `{env}` do not read: {e}")),
    };
    let slos = slo::for_env(&target, Some(&run.runbook)).unwrap_or_default();
    let export = now.unix_timestamp();
    let cutover = run
        .state
        .meta("cutover-date")
        .and_then(|m| m.value.as_deref())
        .and_then(crate::parse_t0)
        .map(|t| t.unix_timestamp());
    let t0 = cutover.unwrap_or_else(|| unix(&run.state.created_at).unwrap_or(export));
    let decision = run.state.decision.as_ref().and_then(|d| unix(&d.at));
    let mut ends = Vec::new();
    if let Some(d) = decision {
        ends.push(("decision", "T-24h to the decision", d));
    }
    ends.push(("export", "T-24h to the export", export));
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return Signals::Absent(format!("cannot start the runtime that reads the signals: {e}")),
    };
    let cancel = CancellationToken::new();
    let windows = ends
        .into_iter()
        .map(|(key, title, end)| {
            let span = span(t0, end);
            // Burn rates are drawn once, over the window ending at the export.
            let slos_here: &[Slo] = if key == "export" { &slos } else { &[] };
            let fetched = rt.block_on(charts::fetch(&target, &signals, slos_here, &span, &cancel));
            Window {
                key,
                title: title.to_string(),
                span,
                fetched,
            }
        })
        .collect::<Vec<Window>>();
    if let Some(why) = nothing_read(&windows) {
        return Signals::Absent(format!(
            "{source} gave no samples of environment `{env}` for this run's window: {why}"
        ));
    }
    Signals::Present(Box::new(Present {
        env,
        source,
        t0,
        t0_is_cutover: cutover.is_some(),
        decision,
        export,
        windows,
        slos,
        verdicts: verdicts(events),
    }))
}

/// Why no signal of any window has a sample (the first reason given), when none has.
fn nothing_read(windows: &[Window]) -> Option<String> {
    let all = || windows.iter().flat_map(|w| &w.fetched.series);
    if all().any(|s| s.data.ok().is_some_and(|p| !p.points.is_empty())) {
        return None;
    }
    Some(
        all()
            .find_map(|s| match &s.data {
                signals::Data::NoData { reason } => Some(reason.clone()),
                signals::Data::Ok { .. } => None,
            })
            .unwrap_or_else(|| "every series is empty".into()),
    )
}

fn target(store: &Store, env: &str) -> Result<Target, String> {
    let envs = Environments::open(store).map_err(|e| format!("the environments cannot be read: {e}"))?;
    let probe = envs
        .probe_env(env, Keyring::open)
        .map_err(|e| format!("environment `{env}` cannot be read: {e}"))?;
    let mut t = Target::from_env(env, &probe).map_err(|e| e.to_string())?;
    t.deadline = t.deadline.min(DEADLINE);
    Ok(t)
}

/// From 24 hours before T-0 to `end` (at least the last 15 minutes), about 2,880 samples.
pub fn span(t0: i64, end: i64) -> Span {
    let from = (t0 - 86_400).min(end - 900);
    let step = ((end - from + SAMPLES - 1) / SAMPLES).max(1);
    Span {
        from,
        to: end,
        step: u32::try_from(step).unwrap_or(u32::MAX),
        columns: plot_columns(chart_width()),
    }
}

fn unix(at: &str) -> Option<i64> {
    OffsetDateTime::parse(at, &Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// Every SLO verdict an `slo` step recorded: its body is JSON with `at` and `verdicts`.
pub fn verdicts(events: &[StoredEvent]) -> Vec<GateVerdict> {
    let mut out = Vec::new();
    for e in events {
        let Ok(Event::StepOutput { step, output, .. }) = Event::decode(e) else {
            continue;
        };
        let Ok(body) = serde_json::from_str::<Value>(&output.text) else {
            continue;
        };
        let (Some(at), Some(list)) = (body.get("at").and_then(Value::as_i64), body.get("verdicts")) else {
            continue;
        };
        for v in list.as_array().into_iter().flatten() {
            let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            out.push(GateVerdict {
                step: step.clone(),
                at,
                slo: text("slo"),
                state: text("state"),
                breached: v.get("breached").and_then(Value::as_bool).unwrap_or(true),
                why: v
                    .get("why")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|w| w.as_str().map(str::to_string))
                    .collect(),
            });
        }
    }
    out
}

/// The samples behind each chart: `(attachment name, description, canonical JSON)`.
pub fn attachments(s: &Signals) -> Vec<(String, String, String)> {
    let Signals::Present(p) = s else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for w in &p.windows {
        let body = json!({
            "environment": p.env, "source": p.source, "window": w.title,
            "from": w.span.from, "to": w.span.to, "step_s": w.span.step, "t0": p.t0,
            "series": w.fetched.series,
        });
        out.push((
            format!("signals/golden.to-{}.json", w.key),
            format!(
                "Golden-signal samples, {} (the charts' data, before decimation)",
                w.title
            ),
            canonical_json(&body),
        ));
        for (slo, burns) in &w.fetched.burns {
            let verdicts: Vec<Value> = p
                .verdicts
                .iter()
                .filter(|v| v.slo == slo.id)
                .map(|v| json!({"step": v.step, "at": v.at, "state": v.state, "breached": v.breached, "why": v.why}))
                .collect();
            let body = json!({
                "environment": p.env, "source": p.source, "window": w.title,
                "from": w.span.from, "to": w.span.to, "step_s": w.span.step,
                "slo": slo, "burn_rates": burns, "gate_verdicts": verdicts,
            });
            out.push((
                format!("signals/burn.{}.json", file_safe(&slo.id)),
                format!(
                    "Burn rates of SLO `{}` with the gate verdicts, {}",
                    slo.text, w.title
                ),
                canonical_json(&body),
            ));
        }
    }
    out
}

fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_runs_from_a_day_before_t0_in_about_2880_samples() {
        let s = span(100_000, 100_000 + 3600);
        assert_eq!((s.from, s.to), (100_000 - 86_400, 100_000 + 3600));
        assert_eq!(s.step, 32, "25 hours in 2,813 samples of 32 s");
        let s = span(1_000_000, 10_000);
        assert_eq!(
            s.from,
            10_000 - 900,
            "T-0 long after the end: the last 15 minutes"
        );
    }
}
