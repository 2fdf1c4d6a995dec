//! `slo` steps: evaluate one or all SLOs now — the threshold in the runbook's words and the
//! error budget's burn over window pairs — and, optionally, compare with the run's baseline.
//!
//! Owns [`SloSpec`]: which SLOs (`slos: all`, or item ids / signal names), and `baseline-max:
//! 20%` (a signal's value at most that far above the run's baseline p95). The SLOs are the
//! runbook's own ("SLO Alert Rules Configured", read when the spec is bound to its runbook), else
//! the environment's. Every measurement — each query, window, sample, threshold, burn rate,
//! verdict and the time — is the step's body (JSON), so it lands in the run's events. Facts:
//! `slos`, `breaches` (critical, threshold not met, or above baseline), `breached` (their lines,
//! or `none`), `critical`, `warning`, `no_data`, `ok`, `state` (the worst) and `json(...)`.
//! Reading and judging the signals is `crate::signals`'.

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::annotation::{AnnotationError, Keys};
use super::cond::{Names, Value};
use super::env::{ProbeEnv, Template};
use super::kind::{Implicit, ProbeKind};
use super::output::Stream;
use super::{Ctx, Failure, FailureClass, Observation};
use crate::runbook::{Runbook, Step};
use crate::signals::slo::{self, SloLine};
use crate::signals::{self, SloState, SloStatus, Target};

/// An SLO gate step.
#[derive(Debug, Clone, Serialize)]
pub struct SloSpec {
    /// Item ids or signal names; empty for all.
    pub only: Vec<String>,
    /// At most this share above the baseline p95 (0.2 for `20%`).
    pub baseline_max: Option<f64>,
    /// The runbook's SLO lines, once bound; empty: the environment's.
    #[serde(skip)]
    pub lines: Vec<SloLine>,
}

impl ProbeKind for SloSpec {
    const NAME: &'static str = "slo";
    const KEYS: &'static [&'static str] = &["slos", "baseline-max"];
    const CONDITIONS: Names<'static> = Names {
        kind: Self::NAME,
        subjects: &[
            "slos", "breaches", "breached", "critical", "warning", "no_data", "ok", "state", "duration",
        ],
        item_subjects: &[],
        headers: false,
        json: true,
        streams: &["body"],
        captures: &[],
    };
    const IMPLICIT: &'static [Implicit] = &[
        Implicit {
            unless: "breaches",
            expr: "breaches == 0",
        },
        Implicit {
            unless: "no_data",
            expr: "no_data == 0",
        },
    ];

    fn from_keys(keys: &mut Keys, _step: &Step) -> Result<Self, AnnotationError> {
        let only = match keys.one("slos")? {
            None => Vec::new(),
            Some((s, _)) if s.trim() == "all" => Vec::new(),
            Some((s, _)) => s
                .split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
        };
        let baseline_max = match keys.one("baseline-max")? {
            None => None,
            Some((s, line)) => {
                let t = s.trim();
                let v = t.strip_suffix('%').unwrap_or(t).trim().parse::<f64>().ok();
                match v {
                    Some(p) if p.is_finite() && p >= 0.0 => Some(p / 100.0),
                    _ => {
                        return Err(AnnotationError::new(
                            line,
                            format!("`baseline-max: {t}` is not a percentage (20%)"),
                        ))
                    }
                }
            }
        };
        Ok(SloSpec {
            only,
            baseline_max,
            lines: Vec::new(),
        })
    }

    fn bind(&mut self, runbook: &Runbook) -> Result<(), AnnotationError> {
        self.lines = slo::from_runbook(runbook).0;
        Ok(())
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::empty()
    }

    fn describe(&self, env: &ProbeEnv) -> String {
        let which = if self.only.is_empty() {
            "all SLOs".to_owned()
        } else {
            format!("SLOs {}", self.only.join(", "))
        };
        let from = if self.lines.is_empty() {
            "the environment's"
        } else {
            "the runbook's"
        };
        let mut s = format!("evaluate {which} ({from}) against {}", prometheus_of(env));
        if let Some(m) = self.baseline_max {
            s.push_str(&format!(", at most {}% above the run's baseline p95", m * 100.0));
        }
        s
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Observation {
        let target = match target_of(ctx) {
            Ok(t) => t,
            Err(f) => return Observation::failed(f),
        };
        let slos = match self.slos(&target) {
            Ok(s) => s,
            Err(f) => return Observation::failed(f),
        };
        let at = signals::now(ctx.env);
        let statuses = slo::status(&target, &slos, at, &CancellationToken::new()).await;
        let verdicts: Vec<Verdict> = statuses
            .iter()
            .map(|s| verdict(s, self.baseline_max, ctx.env.baseline.as_deref()))
            .collect();
        let body = serde_json::json!({
            "environment": target.env,
            "at": at,
            "slos": statuses,
            "verdicts": verdicts,
        });
        let text = serde_json::to_string_pretty(&body).unwrap_or_default();
        ctx.streams.push(Stream::Body, text.as_bytes()).await;
        ctx.streams.finish(Stream::Body).await;
        let mut obs = Observation::default();
        facts(&mut obs, &statuses, &verdicts);
        obs.facts.json = Some(body);
        obs
    }
}

/// The SLO's verdict in this step: breached or not, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub slo: String,
    pub state: SloState,
    pub breached: bool,
    pub why: Vec<String>,
}

fn verdict(
    s: &SloStatus,
    baseline_max: Option<f64>,
    baseline: Option<&signals::baseline::Baseline>,
) -> Verdict {
    let mut why = Vec::new();
    if s.state == SloState::Critical {
        why.push(s.reason.clone());
    }
    let value = s.threshold.data.ok().map(|p| p.v);
    if s.threshold.met == Some(false) {
        why.push(format!(
            "{} is {} over {}, not {} {}",
            s.slo.signal,
            s.threshold.unit.format(value.unwrap_or(f64::NAN)),
            signals::promql_duration(s.slo.window_s),
            s.slo.op.as_str(),
            s.threshold.unit.format(s.slo.threshold)
        ));
    }
    if let (Some(max), Some(v)) = (baseline_max, value) {
        match baseline.and_then(|b| signals::baseline::above(b, &s.slo.signal, v)) {
            Some(share) if share > max => why.push(format!(
                "{} is {:.0}% above its baseline p95 (at most {:.0}%)",
                s.slo.signal,
                share * 100.0,
                max * 100.0
            )),
            Some(_) => {}
            None => why.push(format!(
                "no baseline of {} in this run to compare with",
                s.slo.signal
            )),
        }
    }
    Verdict {
        slo: s.slo.id.clone(),
        state: s.state,
        breached: !why.is_empty(),
        why,
    }
}

fn facts(obs: &mut Observation, statuses: &[SloStatus], verdicts: &[Verdict]) {
    let count = |st: SloState| statuses.iter().filter(|s| s.state == st).count() as f64;
    let breached: Vec<&str> = statuses
        .iter()
        .zip(verdicts)
        .filter(|(_, v)| v.breached)
        .map(|(s, _)| s.slo.text.as_str())
        .collect();
    let f = &mut obs.facts.scalars;
    f.insert("slos", Value::Num(statuses.len() as f64));
    f.insert("breaches", Value::Num(breached.len() as f64));
    f.insert(
        "breached",
        Value::Str(if breached.is_empty() {
            "none".into()
        } else {
            breached.join("; ")
        }),
    );
    f.insert("critical", Value::Num(count(SloState::Critical)));
    f.insert("warning", Value::Num(count(SloState::Warning)));
    f.insert("no_data", Value::Num(count(SloState::NoData)));
    f.insert("ok", Value::Num(count(SloState::Ok)));
    let worst = signals::worst(statuses.iter().map(|s| s.state));
    f.insert("state", Value::Str(worst.as_str().into()));
}

impl SloSpec {
    /// The SLOs this step evaluates, bound to the environment's signals.
    fn slos(&self, target: &Target) -> Result<Vec<signals::Slo>, Failure> {
        let fail = |m: String| Failure::new(FailureClass::SpawnError, m);
        let lines = if self.lines.is_empty() {
            slo::env_lines(target).map_err(|e| fail(e.to_string()))?
        } else {
            self.lines.clone()
        };
        let all = lines
            .iter()
            .map(|l| slo::bind_line(target, l))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| fail(e.to_string()))?;
        if self.only.is_empty() {
            return Ok(all);
        }
        self.only
            .iter()
            .map(|want| {
                all.iter()
                    .find(|s| s.id == *want || s.signal == *want)
                    .cloned()
                    .ok_or_else(|| {
                        let known: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
                        fail(format!("no SLO `{want}` (there is: {})", known.join(", ")))
                    })
            })
            .collect()
    }
}

/// The environment's signal target, its calls held to the step's deadline.
pub(crate) fn target_of(ctx: &Ctx<'_>) -> Result<Target, Failure> {
    let name = ctx
        .env
        .vars
        .get("FLIGHTDECK_ENV")
        .map_or("this environment", String::as_str);
    let mut t =
        Target::from_env(name, ctx.env).map_err(|e| Failure::new(FailureClass::SpawnError, e.to_string()))?;
    if t.prometheus.is_none() {
        return Err(Failure::new(
            FailureClass::SpawnError,
            format!("environment `{name}` has no PROMETHEUS_URL (flightdeck env set-var {name} PROMETHEUS_URL http://...)"),
        ));
    }
    t.deadline = t.deadline.min(ctx.spec.deadline);
    Ok(t)
}

/// `PROMETHEUS_URL` as shown.
pub(crate) fn prometheus_of(env: &ProbeEnv) -> String {
    env.vars
        .get("PROMETHEUS_URL")
        .cloned()
        .unwrap_or_else(|| "${PROMETHEUS_URL}".into())
}
