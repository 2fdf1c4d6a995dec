//! Running a run's steps: one step, a section's, or every automatable step phase by phase.
//!
//! Owns the order of work and the events it leaves: `step_started`, one `step_output` per
//! stream, `step_finished`, and a `field_captured` for each capture that fits its field. Running
//! a probe belongs to `crate::probe`; storage to `crate::store`. The store is shared behind a
//! mutex that is held only while an event is written, never across a probe.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{field::normalize_value, runbook_of, short_id, Error, Event};
use crate::probe::{self, ProbeEnv, ProbeEvent, ProbeResult, Spec};
use crate::runbook::Runbook;
use crate::store::{RunRecord, Store};

/// Which steps to run (JSON: `{"step": "3.backup"}`, `{"section": "3"}`, `"all"`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Scope {
    Step(String),
    /// A section id (or number): its steps run in parallel, bounded.
    Section(String),
    /// Every automatable step, phase by phase; within a phase in parallel, bounded.
    All,
}

/// Steps run at once within a section or phase.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// One finished step.
#[derive(Debug, Clone)]
pub struct StepRun {
    pub step: String,
    pub result: ProbeResult,
    /// Captures that did not fit their field's kind (kept in the result, not filled in).
    pub rejected: Vec<(String, String)>,
}

/// The variables a built-in environment starts with. `sandbox` points at `flightdeck sandbox`'s
/// default address and its fixed test token.
pub fn builtin_vars(env: &str) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    if env == "sandbox" {
        vars.insert("SANDBOX_URL".into(), "http://127.0.0.1:8731".into());
        vars.insert("TEST_JWT".into(), "sandbox-test-jwt".into());
        // Its signals: the Prometheus `make demo` starts, scraping it every second, and SLOs
        // over a 1-day period so their windows (2 min / 10 s fast pair) fit a demo.
        vars.insert("PROMETHEUS_URL".into(), "http://127.0.0.1:9090".into());
        vars.insert("PROMETHEUS_SCRAPE_INTERVAL".into(), "1s".into());
        vars.insert("SLO_PERIOD".into(), "1d".into());
    }
    vars
}

/// The specs of the steps in `scope`, in document order, each with the phase it belongs to.
/// Manual steps are left out of a section or `All`; naming one directly is an error.
pub fn plan(runbook: &Runbook, scope: &Scope, place: &str) -> Result<Vec<(Option<String>, Spec)>, Error> {
    let spec_of = |step: &crate::runbook::Step| -> Result<Option<Spec>, Error> {
        let Some(mut spec) =
            Spec::from_step(step).map_err(|e| Error::Invalid(format!("step `{}`: {e}", step.id)))?
        else {
            return Ok(None);
        };
        spec.bind(runbook)
            .map_err(|e| Error::Invalid(format!("step `{}`: {e}", step.id)))?;
        Ok(Some(spec))
    };
    match scope {
        Scope::Step(id) => {
            let Some(step) = runbook.step(id) else {
                return Err(Error::NotFound {
                    what: "step",
                    id: id.clone(),
                    place: place.to_string(),
                    suggestion: super::nearest(id, runbook.steps.iter().map(|s| s.id.as_str())),
                });
            };
            match spec_of(step)? {
                Some(spec) => Ok(vec![(step.phase.clone(), spec)]),
                None => Err(Error::Invalid(format!(
                    "step `{id}` is manual: it has no probe annotation (see docs/runbook-format.md)"
                ))),
            }
        }
        Scope::Section(id) => {
            let section = runbook
                .sections
                .iter()
                .find(|s| &s.id == id || s.number.as_deref() == Some(id.as_str()))
                .ok_or_else(|| Error::NotFound {
                    what: "section",
                    id: id.clone(),
                    place: place.to_string(),
                    suggestion: super::nearest(id, runbook.sections.iter().map(|s| s.id.as_str())),
                })?;
            let mut out = Vec::new();
            for step in runbook
                .steps
                .iter()
                .filter(|s| s.section.as_deref() == Some(section.id.as_str()))
            {
                if let Some(spec) = spec_of(step)? {
                    out.push((step.phase.clone(), spec));
                }
            }
            Ok(out)
        }
        Scope::All => {
            let mut out = Vec::new();
            for step in &runbook.steps {
                if let Some(spec) = spec_of(step)? {
                    out.push((step.phase.clone(), spec));
                }
            }
            Ok(out)
        }
    }
}

/// What to run, on which run.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunStepsReq {
    /// A run id or a unique prefix.
    pub run: String,
    pub scope: Scope,
    /// Steps at once within a section or phase (`None`: `DEFAULT_CONCURRENCY`).
    #[serde(default)]
    pub concurrency: Option<usize>,
    /// The caller confirmed steps that change the target of a production environment (the
    /// CLI's `--yes`, the app's dialog). Without it such a step is refused before anything runs.
    #[serde(default)]
    pub confirmed: bool,
}

/// Run the steps of `req.scope`, recording each as events by `by`. Live output goes to `live`
/// tagged with the step id. Returns every finished step, in document order.
pub async fn run_steps(
    store: &Mutex<Store>,
    by: &str,
    req: &RunStepsReq,
    env: &ProbeEnv,
    live: mpsc::Sender<(String, ProbeEvent)>,
    cancel: CancellationToken,
) -> Result<Vec<StepRun>, Error> {
    use futures_util::StreamExt;

    let RunStepsReq {
        run: run_ref,
        scope,
        concurrency,
        ..
    } = req;
    let concurrency = concurrency.unwrap_or(DEFAULT_CONCURRENCY).max(1);
    let by = super::require("--by (who runs it)", by)?;
    let (record, runbook, production) = load_target(store, run_ref, &by)?;
    let place = format!("run {}", short_of(store, &record.id));
    let planned = plan(&runbook, scope, &place)?;
    if production && !req.confirmed {
        if let Some((_, spec)) = planned.iter().find(|(_, s)| s.changes_target) {
            return Err(Error::NeedsConfirmation {
                step: spec.step.clone(),
                env: record.env.clone(),
            });
        }
    }
    let mut env = step_env(env, &record, production);
    if planned.iter().any(|(_, s)| s.kind.name() == "slo") {
        env.baseline = latest_baseline(store, &record.id)?.map(std::sync::Arc::new);
    }

    let target = StepTarget {
        env: record.env.clone(),
        production,
    };
    let mut done = Vec::new();
    for specs in by_phase(planned) {
        if cancel.is_cancelled() {
            break;
        }
        let jobs = specs.iter().map(|spec| {
            // Only reached confirmed (checked above): the event says on which environment.
            let confirmed_on = (production && spec.changes_target).then(|| record.env.clone());
            one(
                store,
                &record.id,
                &target,
                &runbook,
                &by,
                spec,
                confirmed_on,
                &env,
                &live,
                &cancel,
            )
        });
        let results: Vec<Result<StepRun, Error>> = futures_util::stream::iter(jobs)
            .buffered(concurrency.max(1))
            .collect()
            .await;
        for r in results {
            done.push(r?);
        }
    }
    Ok(done)
}

/// Runs `spec` (a backup or drill asked for by the CLI or the window) as the run's first step of
/// the same kind: that step's expectations and captures, `spec`'s parameters. Recorded exactly as
/// the step itself would be (its captures fill its fields).
#[allow(clippy::too_many_arguments)]
pub async fn run_as_step(
    store: &Mutex<Store>,
    by: &str,
    run_ref: &str,
    spec: Spec,
    env: &ProbeEnv,
    live: mpsc::Sender<(String, ProbeEvent)>,
    cancel: CancellationToken,
) -> Result<StepRun, Error> {
    let by = super::require("--by (who runs it)", by)?;
    let (record, runbook, production) = load_target(store, run_ref, &by)?;
    let place = format!("run {}", short_of(store, &record.id));
    let kind = spec.kind.name();
    let mut target = plan(&runbook, &Scope::All, &place)?
        .into_iter()
        .map(|(_, s)| s)
        .find(|s| s.kind.name() == kind)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{place}'s runbook has no `{kind}` step to record this into (annotate one: docs/runbook-format.md)"
            ))
        })?;
    target.kind = spec.kind;
    let env = step_env(env, &record, production);
    let on = StepTarget {
        env: record.env.clone(),
        production,
    };
    one(
        store, &record.id, &on, &runbook, &by, &target, None, &env, &live, &cancel,
    )
    .await
}

/// The environment a run's steps see: `env` with the run's id and environment name (signal
/// steps name it in messages), and on production the flag that keeps a `files` step from
/// running its script.
fn step_env(env: &ProbeEnv, record: &RunRecord, production: bool) -> ProbeEnv {
    let mut env = env.clone();
    env.vars
        .entry("RUN_ID".into())
        .or_insert_with(|| record.id.clone());
    env.vars
        .entry("FLIGHTDECK_ENV".into())
        .or_insert_with(|| record.env.clone());
    if production {
        env.vars
            .insert(crate::probe::files::PRODUCTION_VAR.into(), "true".into());
    }
    env
}

/// The shortest unique prefix of run `id` (`Store::short_id`), or its first 8 characters.
fn short_of(store: &Mutex<Store>, id: &str) -> String {
    match store.lock() {
        Ok(guard) => guard.short_id(id),
        Err(_) => short_id(id).to_string(),
    }
}

/// The run `run_ref` names, its runbook, and whether its environment is production; refused
/// when `by` is not a person known to the run (rule `known-person`).
fn load_target(store: &Mutex<Store>, run_ref: &str, by: &str) -> Result<(RunRecord, Runbook, bool), Error> {
    let guard = store
        .lock()
        .map_err(|_| Error::Invalid("the store lock was poisoned".into()))?;
    let record = guard.resolve_run(run_ref)?;
    let runbook = runbook_of(&record)?;
    let state = guard.folded(&record.id, &super::cache::RunFold::new(&runbook))?;
    let place = format!("run {}", guard.short_id(&record.id));
    super::people::require_known(&state, by, &place)?;
    let production = crate::environments::Environments::open(&guard)
        .and_then(|envs| envs.production(&record.env))
        .map_err(|e| Error::Invalid(e.to_string()))?
        .unwrap_or(false);
    Ok((record, runbook, production))
}

/// The run's latest passing `baseline` capture, read back from its events.
fn latest_baseline(
    store: &Mutex<Store>,
    run_id: &str,
) -> Result<Option<crate::signals::baseline::Baseline>, Error> {
    let guard = store
        .lock()
        .map_err(|_| Error::Invalid("the store lock was poisoned".into()))?;
    Ok(crate::signals::baseline::latest(&guard.events(run_id)?))
}

/// The planned steps grouped by phase, phases in document order: a phase's steps run together.
/// A step that reads what the steps before it made (a restore drill or a backup-age gate reads
/// the backups folder) starts a group of its own, after them.
fn by_phase(planned: Vec<(Option<String>, Spec)>) -> Vec<Vec<Spec>> {
    let mut phases: Vec<(Option<String>, Vec<Spec>)> = Vec::new();
    for (phase, spec) in planned {
        let after_the_rest = matches!(spec.kind.name(), "pg-restore" | "backup-age");
        match phases.last_mut() {
            Some((p, specs)) if *p == phase && !after_the_rest => specs.push(spec),
            _ => phases.push((phase, vec![spec])),
        }
    }
    phases.into_iter().map(|(_, specs)| specs).collect()
}

/// The environment a run's steps act on.
struct StepTarget {
    env: String,
    production: bool,
}

#[allow(clippy::too_many_arguments)]
async fn one(
    store: &Mutex<Store>,
    run_id: &str,
    target: &StepTarget,
    runbook: &Runbook,
    by: &str,
    spec: &Spec,
    confirmed_on: Option<String>,
    env: &ProbeEnv,
    live: &mpsc::Sender<(String, ProbeEvent)>,
    cancel: &CancellationToken,
) -> Result<StepRun, Error> {
    let step = spec.step.clone();
    let append = |event: Event| -> Result<(), Error> {
        let new = event.into_new(by)?;
        let mut guard = store
            .lock()
            .map_err(|_| Error::Invalid("the store lock was poisoned".into()))?;
        guard.append(run_id, &new.actor, &new.kind, new.payload)?;
        Ok(())
    };
    append(Event::StepStarted {
        step: step.clone(),
        kind: spec.kind.name().to_string(),
        what: spec.kind.describe(env),
        confirmed_on,
    })?;
    let (tx, mut rx) = mpsc::channel(64);
    let forward = async {
        while let Some(ev) = rx.recv().await {
            let _ = live.send((step.clone(), ev)).await;
        }
    };
    let (mut result, ()) = with_controls(env, target, &step, &append, |env| async move {
        tokio::join!(probe::execute(spec, &env, tx, cancel.clone()), forward)
    })
    .await?;

    // The output lands as its own events; the finished event carries the verdicts.
    let streams = [
        ("stdout", result.stdout.take()),
        ("stderr", result.stderr.take()),
        ("body", result.body.take()),
    ];
    for (name, excerpt) in &streams {
        if let Some(output) = excerpt {
            append(Event::StepOutput {
                step: step.clone(),
                stream: (*name).to_string(),
                output: output.clone(),
            })?;
        }
    }
    append(Event::StepFinished {
        step: step.clone(),
        result: Box::new(result.clone()),
    })?;

    let mut rejected = Vec::new();
    for c in &result.captures {
        let Some(field) = c.field_id.as_deref().and_then(|id| runbook.field(id)) else {
            continue;
        };
        match normalize_value(field, &c.value) {
            Ok(value) => append(Event::FieldCaptured {
                field: field.id.clone(),
                value,
                step: step.clone(),
            })?,
            Err(why) => rejected.push((field.id.clone(), format!("`{}`: {why}", c.value))),
        }
    }
    let [(_, stdout), (_, stderr), (_, body)] = streams;
    (result.stdout, result.stderr, result.body) = (stdout, stderr, body);
    Ok(StepRun {
        step,
        result,
        rejected,
    })
}

/// Runs `work` with a control sink in its environment: what a control step reports is recorded
/// (by `append`) as it is made, while the step still runs.
async fn with_controls<T, F, Fut>(
    env: &ProbeEnv,
    target: &StepTarget,
    step: &str,
    append: &dyn Fn(Event) -> Result<(), Error>,
    work: F,
) -> Result<T, Error>
where
    F: FnOnce(ProbeEnv) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut env = env.clone();
    env.controls = Some(probe::ControlSink {
        env: target.env.clone(),
        production: target.production,
        tx,
    });
    let record = async {
        let mut failed = None;
        while let Some(note) = rx.recv().await {
            if let Err(e) = append(super::control::event_of(note, step, &target.env)) {
                failed.get_or_insert(e);
            }
        }
        failed
    };
    // `work` owns the sink: when it ends, the channel closes and `record` ends too.
    let (out, failed) = tokio::join!(work(env), record);
    match failed {
        Some(e) => Err(e),
        None => Ok(out),
    }
}
