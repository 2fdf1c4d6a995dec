//! Probes: running a runbook step and judging what it observed.
//!
//! A [`Spec`] is read from a step's annotation ([`Spec::from_step`], in `annotation`); [`execute`]
//! runs it once under a total deadline and a connect timeout, streams [`ProbeEvent`]s while it
//! runs, and returns a [`ProbeResult`] (in `result`): outcome, failure class, exit code or HTTP
//! status, captures for the item's fields, every assertion with its actual value, capped and
//! redacted output, and provenance (judged in `judge`). [`run_many`] runs independent probes in
//! parallel, bounded.
//!
//! One module per probe kind (`shell`, `http`, `http_burst`, `sql`, `prometheus`, `git_tag`,
//! `slo`, `baseline`, `pg_backup`, `pg_restore`, `backup_age`, `files`): its spec type implements `kind::ProbeKind`, which declares the kind's name,
//! annotation keys, parsing, condition names, implicit assertions, default deadline, description
//! and run. `cond` is the condition language, `env` the caller's variables, secrets and
//! redaction, `output` the capped streams, `process` the one place child processes are built,
//! `prom_api` the one Prometheus HTTP API client. Turning results into run events, and filling
//! fields, is the run's business.
//!
//! **Adding a kind:** write `probe/<kind>.rs`, its spec type implementing `ProbeKind`; declare
//! the file (`pub mod <kind>;`, as Rust needs for any file) and register it with one line in the
//! `kinds!` table below. Nothing else lists kinds: [`Kind`], [`KINDS`], the annotation reader,
//! judging and the run all go through the table.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub mod annotation;
pub mod cond;
pub mod env;
mod judge;
mod kind;
pub mod output;
pub mod process;
pub(crate) mod prom_api;
mod result;

// The kinds: a module each, registered by one line each in the table.
pub mod backup_age;
pub mod baseline;
pub mod breaker_trip;
pub mod files;
pub mod flag_toggle;
pub mod flags;
pub mod git_tag;
pub mod http;
pub mod http_burst;
pub mod pg_backup;
pub mod pg_restore;
pub mod prometheus;
pub mod shell;
pub mod slo;
pub mod sql;

kind::kinds! {
    Shell(shell::ShellSpec),
    Http(http::HttpSpec),
    HttpBurst(http_burst::BurstSpec),
    Sql(sql::SqlSpec),
    Prometheus(prometheus::PromSpec),
    GitTag(git_tag::GitTagSpec),
    Slo(slo::SloSpec),
    Baseline(baseline::BaselineSpec),
    Flags(flags::FlagsSpec),
    FlagToggle(flag_toggle::FlagToggleSpec),
    BreakerTrip(breaker_trip::BreakerTripSpec),
    PgBackup(pg_backup::PgBackupSpec),
    PgRestore(pg_restore::PgRestoreSpec),
    BackupAge(backup_age::BackupAgeSpec),
    Files(files::FilesSpec),
}

pub use annotation::AnnotationError;
pub use cond::{mentions, readable_actual, Facts, Value};
pub use env::{
    ControlNote, ControlSink, Identity, MapSecrets, NoSecrets, ProbeEnv, Redact, SecretError, SecretSource,
    Template,
};
pub(crate) use kind::{Ctx, Failure, Observation};
pub use output::{Excerpt, Stream, OUTPUT_CAP};
pub use result::{
    AssertionResult, CaptureResult, FailureClass, Outcome, ProbeEvent, ProbeResult, Provenance, Verdict,
};

/// Longest deadline any step may ask for.
pub const MAX_DEADLINE: Duration = Duration::from_secs(600);
/// Shell steps without a `deadline:`.
pub const SHELL_DEADLINE: Duration = Duration::from_secs(60);
/// Network probes without a `deadline:`.
pub const NETWORK_DEADLINE: Duration = Duration::from_secs(10);
/// Connect timeout without a `connect-timeout:`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A step bound to a probe kind, with its assertions, captures and limits.
#[derive(Debug, Clone, Serialize)]
pub struct Spec {
    /// The step's id (for messages).
    pub step: String,
    /// Line of the step's opening fence.
    pub line: u32,
    pub kind: Kind,
    /// Assertions, explicit ones first, then the kind's implicit ones (`exit == 0`, `status in 200..299`).
    pub expect: Vec<Assertion>,
    pub captures: Vec<Capture>,
    #[serde(rename = "deadline_ms", serialize_with = "ser_ms")]
    pub deadline: Duration,
    #[serde(rename = "connect_timeout_ms", serialize_with = "ser_ms")]
    pub connect_timeout: Duration,
    /// The step changes the target (a deploy, a toggle): production runs ask before running it.
    pub changes_target: bool,
    /// `watch: true`: the step runs in the D0–D7 watch (`crate::watch`) at every check slot.
    #[serde(default)]
    pub watch: bool,
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// One `expect:` line (or an implicit one).
#[derive(Debug, Clone, Serialize)]
pub struct Assertion {
    /// As written.
    pub expr: String,
    pub line: u32,
    /// Added by the kind, not written (`exit == 0` for shell steps).
    pub implicit: bool,
    #[serde(skip)]
    pub cond: cond::Cond,
}

/// One `capture:` line: `FIELD <- source`.
#[derive(Debug, Clone, Serialize)]
pub struct Capture {
    /// As written before `<-`: a field id, a field label, or a plain name used in assertions.
    pub field: String,
    /// The runbook field it fills, once bound ([`Spec::bind`]).
    pub field_id: Option<String>,
    /// As written after `<-`.
    pub source: String,
    pub line: u32,
    /// The choice field's options, for `verdict` (empty until bound, or for other fields).
    pub options: Vec<String>,
    #[serde(skip)]
    pub from: cond::Source,
}

/// Runs a probe once and judges it. Never panics on outside data; every failure is a result.
pub async fn execute(
    spec: &Spec,
    env: &ProbeEnv,
    events: mpsc::Sender<ProbeEvent>,
    cancel: CancellationToken,
) -> ProbeResult {
    let started = Instant::now();
    let what = spec.kind.describe(env);
    let secrets = match used_secrets(spec, env) {
        Ok(s) => s,
        Err(e) => {
            let streams = output::Streams::new(env.redact.clone(), vec![], events);
            let obs = Observation::failed(Failure::new(FailureClass::SpawnError, e.to_string()));
            return judge::finish(spec, &what, &streams, obs, started);
        }
    };
    let streams = output::Streams::new(env.redact.clone(), secrets, events.clone());
    let _ = events
        .send(ProbeEvent::Started {
            kind: spec.kind.name().to_owned(),
            what: what.clone(),
            deadline_ms: u64::try_from(spec.deadline.as_millis()).unwrap_or(u64::MAX),
        })
        .await;
    let ctx = Ctx {
        spec,
        env,
        streams: &streams,
        events: &events,
    };
    let work = spec.kind.run(&ctx);
    // Dropping `work` on a deadline or a cancel kills a shell step's process group and closes
    // connections; what was read so far stays in `streams`.
    let obs = tokio::select! {
        biased;
        _ = cancel.cancelled() => Observation::failed(Failure::new(
            FailureClass::Cancelled,
            "cancelled by the user",
        )),
        r = tokio::time::timeout(spec.deadline, work) => r.unwrap_or_else(|_| {
            Observation::failed(Failure::new(
                FailureClass::Timeout,
                format!("the deadline of {} passed", human_duration(spec.deadline)),
            ))
        }),
    };
    judge::finish(spec, &what, &streams, obs, started)
}

/// Every secret value the spec's templates reference (so outputs can mask them).
fn used_secrets(spec: &Spec, env: &ProbeEnv) -> Result<Vec<String>, env::EnvError> {
    let mut out = Vec::new();
    for name in spec.secret_names() {
        out.push(env::lookup_secret(env, &name)?);
    }
    Ok(out)
}

impl Spec {
    /// The names of every `${secret:NAME}` the spec uses.
    pub fn secret_names(&self) -> Vec<String> {
        let mut names = self.kind.secret_names();
        names.sort();
        names.dedup();
        names
    }
}

/// `1.5 s`, `250 ms`, `2 min`.
pub fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if (ms / 60_000) * 60_000 == ms {
        format!("{} min", ms / 60_000)
    } else {
        format!("{} s", cond::format_num(d.as_secs_f64()))
    }
}

/// Runs independent probes, at most `concurrency` at a time. Results come back in input
/// order; events carry the index of the spec they belong to.
pub async fn run_many(
    specs: &[Spec],
    env: &ProbeEnv,
    concurrency: usize,
    events: mpsc::Sender<(usize, ProbeEvent)>,
    cancel: CancellationToken,
) -> Vec<ProbeResult> {
    use futures_util::StreamExt;
    let jobs = specs.iter().enumerate().map(|(i, spec)| {
        let events = events.clone();
        let cancel = cancel.clone();
        async move {
            let (tx, mut rx) = mpsc::channel(64);
            let forward = async {
                while let Some(ev) = rx.recv().await {
                    let _ = events.send((i, ev)).await;
                }
            };
            let (result, ()) = tokio::join!(execute(spec, env, tx, cancel), forward);
            (i, result)
        }
    });
    let mut done: Vec<(usize, ProbeResult)> = futures_util::stream::iter(jobs)
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Installs ring as rustls' crypto provider once (reqwest is built without a provider of its
/// own, to keep aws-lc's C build out). Anyone who installed another one first keeps theirs.
pub(crate) fn tls_ready() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// [`execute`] over owned handles, for callers that `tokio::spawn` a probe.
pub async fn execute_arc(
    spec: Arc<Spec>,
    env: Arc<ProbeEnv>,
    events: mpsc::Sender<ProbeEvent>,
    cancel: CancellationToken,
) -> ProbeResult {
    execute(&spec, &env, events, cancel).await
}
