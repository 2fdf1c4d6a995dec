//! Probes: running a runbook step and judging what it observed.
//!
//! A [`Spec`] is read from a step's annotation ([`Spec::from_step`], in `annotation`); [`execute`]
//! runs it once under a total deadline and a connect timeout, streams [`ProbeEvent`]s while it
//! runs, and returns a [`ProbeResult`]: outcome, failure class, exit code or HTTP status, captures
//! for the item's fields, every assertion with its actual value, capped and redacted output, and
//! provenance. [`run_many`] runs independent probes in parallel, bounded.
//!
//! One module per probe kind (`shell`, `http`, `http_burst`, `sql`, `prometheus`, `git_tag`), each
//! with its own parameters; `cond` is the condition language, `env` the caller's variables,
//! secrets and redaction, `output` the capped streams, `process` the one place child processes
//! are built. Turning results into run events, and filling fields, is the run's business.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub mod annotation;
pub mod cond;
pub mod env;
pub mod git_tag;
pub mod http;
pub mod http_burst;
pub mod output;
pub mod process;
pub mod prometheus;
pub mod shell;
pub mod sql;

pub use annotation::AnnotationError;
pub use cond::{Facts, Value};
pub use env::{Identity, MapSecrets, NoSecrets, ProbeEnv, Redact, SecretError, SecretSource, Template};
pub use output::{Excerpt, Stream, OUTPUT_CAP};

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
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// What a step runs, with the kind's own parameters.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Kind {
    Shell(shell::ShellSpec),
    Http(http::HttpSpec),
    HttpBurst(http_burst::BurstSpec),
    Sql(sql::SqlSpec),
    Prometheus(prometheus::PromSpec),
    GitTag(git_tag::GitTagSpec),
}

impl Kind {
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Shell(_) => "shell",
            Kind::Http(_) => "http",
            Kind::HttpBurst(_) => "http-burst",
            Kind::Sql(_) => "sql",
            Kind::Prometheus(_) => "prometheus",
            Kind::GitTag(_) => "git-tag",
        }
    }

    /// What the step does, with `${VAR}` filled and secrets left as references: shown to the
    /// user and hashed into provenance.
    pub fn describe(&self, env: &ProbeEnv) -> String {
        match self {
            Kind::Shell(s) => s.describe(env),
            Kind::Http(s) => s.describe(env),
            Kind::HttpBurst(s) => s.describe(env),
            Kind::Sql(s) => s.describe(env),
            Kind::Prometheus(s) => s.describe(env),
            Kind::GitTag(s) => s.describe(env),
        }
    }
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

/// Something a probe reports while it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProbeEvent {
    Started {
        kind: String,
        /// What runs (secrets as references).
        what: String,
        deadline_ms: u64,
    },
    /// Redacted output, at most [`OUTPUT_CAP`] bytes per stream in all.
    Output { stream: Stream, text: String },
    /// Progress: requests sent, bytes read, ...
    Progress {
        done: u64,
        total: Option<u64>,
        message: String,
    },
}

/// Passed or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Passed,
    Failed,
}

/// Why a probe failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureClass {
    /// The total deadline or the connect timeout passed.
    Timeout,
    /// Nothing listens there (or the connection could not be made for another network reason).
    ConnectRefused,
    /// The host name does not resolve.
    Dns,
    /// The TLS handshake failed (an untrusted or expired certificate, a protocol mismatch).
    Tls,
    /// An HTTP step got a status its conditions (or the implicit `status in 200..299`) reject.
    HttpStatus,
    /// The probe ran and an assertion did not hold.
    Assertion,
    /// The probe could not start: no such program, a missing variable or secret, a bad URL.
    SpawnError,
    /// The user cancelled it.
    Cancelled,
    /// The connection broke mid-way, or the server spoke something other than HTTP / Postgres.
    Transport,
    /// The SQL or PromQL was rejected (syntax, permissions, a read-only transaction).
    QueryError,
}

/// An assertion's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertionResult {
    pub expr: String,
    pub actual: String,
    pub verdict: Verdict,
    pub implicit: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
}

/// A value captured for a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureResult {
    /// As written in the annotation.
    pub field: String,
    /// The runbook field, when the spec was bound to its runbook.
    pub field_id: Option<String>,
    pub value: String,
}

/// Where and by what a probe ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub host: String,
    pub user: String,
    pub flightdeck_version: String,
    /// sha256 of [`Kind::describe`]: the command / request / query that ran.
    pub command_sha256: String,
    /// sha256 over `stream:sha256` lines of every stream read (each over its redacted bytes).
    pub output_sha256: String,
}

/// Everything a probe run leaves behind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeResult {
    pub kind: String,
    pub outcome: Outcome,
    pub failure: Option<FailureClass>,
    /// Why it failed, in a sentence (redacted).
    pub message: Option<String>,
    pub exit_code: Option<i32>,
    pub http_status: Option<u16>,
    pub duration_ms: u64,
    pub captures: Vec<CaptureResult>,
    pub assertions: Vec<AssertionResult>,
    pub stdout: Option<Excerpt>,
    pub stderr: Option<Excerpt>,
    pub body: Option<Excerpt>,
    /// What ran (secrets as references).
    pub what: String,
    pub provenance: Provenance,
}

impl ProbeResult {
    pub fn passed(&self) -> bool {
        self.outcome == Outcome::Passed
    }

    pub fn capture(&self, field: &str) -> Option<&str> {
        self.captures
            .iter()
            .find(|c| c.field == field || c.field_id.as_deref() == Some(field))
            .map(|c| c.value.as_str())
    }
}

/// A failure that ended a probe before it could be judged.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub class: FailureClass,
    pub message: String,
}

impl Failure {
    pub fn new(class: FailureClass, message: impl Into<String>) -> Self {
        Failure {
            class,
            message: message.into(),
        }
    }
}

/// What a kind observed.
#[derive(Debug, Default)]
pub(crate) struct Observation {
    pub facts: Facts,
    pub exit_code: Option<i32>,
    pub http_status: Option<u16>,
    pub failure: Option<Failure>,
}

impl Observation {
    pub fn failed(f: Failure) -> Self {
        Observation {
            failure: Some(f),
            ..Observation::default()
        }
    }
}

/// What a kind is handed to run.
pub(crate) struct Ctx<'a> {
    pub spec: &'a Spec,
    pub env: &'a ProbeEnv,
    pub streams: &'a output::Streams,
    pub events: &'a mpsc::Sender<ProbeEvent>,
}

impl Ctx<'_> {
    pub async fn progress(&self, done: u64, total: Option<u64>, message: String) {
        let _ = self
            .events
            .send(ProbeEvent::Progress { done, total, message })
            .await;
    }
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
            return finish(spec, &what, &streams, obs, started);
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
    let work = async {
        match &spec.kind {
            Kind::Shell(s) => s.run(&ctx).await,
            Kind::Http(s) => s.run(&ctx).await,
            Kind::HttpBurst(s) => s.run(&ctx).await,
            Kind::Sql(s) => s.run(&ctx).await,
            Kind::Prometheus(s) => s.run(&ctx).await,
            Kind::GitTag(s) => s.run(&ctx).await,
        }
    };
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
    finish(spec, &what, &streams, obs, started)
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
        let mut names = match &self.kind {
            Kind::Shell(s) => s.secret_names(),
            Kind::Http(s) => templates_secrets(s.templates()),
            Kind::HttpBurst(s) => templates_secrets(s.templates()),
            Kind::Sql(s) => templates_secrets(s.templates()),
            Kind::Prometheus(s) => templates_secrets(s.templates()),
            Kind::GitTag(s) => templates_secrets(s.templates()),
        };
        names.sort();
        names.dedup();
        names
    }
}

fn templates_secrets<'a>(ts: impl IntoIterator<Item = &'a Template>) -> Vec<String> {
    ts.into_iter()
        .flat_map(|t| t.pieces.iter())
        .filter_map(|p| match p {
            env::Piece::Secret(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn finish(
    spec: &Spec,
    what: &str,
    streams: &output::Streams,
    mut obs: Observation,
    started: Instant,
) -> ProbeResult {
    let duration = started.elapsed();
    obs.facts
        .scalars
        .insert("duration", Value::Num(duration.as_secs_f64() * 1000.0));
    let stdout = streams.excerpt(Stream::Stdout);
    let stderr = streams.excerpt(Stream::Stderr);
    let body = streams.excerpt(Stream::Body);

    // Captures first (assertions may use them), then assertions, then verdicts.
    let mut captures = Vec::new();
    for c in &spec.captures {
        let v = match &c.from {
            cond::Source::Verdict => continue,
            cond::Source::Expr(e) => obs.facts.eval(e),
            cond::Source::Regex { stream, re } => {
                let text = match stream.as_str() {
                    "stderr" => streams.text(Stream::Stderr),
                    "body" => streams.text(Stream::Body),
                    _ => streams.text(Stream::Stdout),
                };
                re.captures(&text)
                    .and_then(|m| m.get(1).or_else(|| m.get(0)))
                    .map_or(Value::Missing, |m| Value::Str(m.as_str().to_owned()))
            }
        };
        obs.facts.captures.insert(c.field.clone(), v.clone());
        if v != Value::Missing {
            captures.push(CaptureResult {
                field: c.field.clone(),
                field_id: c.field_id.clone(),
                value: streams.redact_str(&v.render()),
            });
        }
    }
    let mut assertions = Vec::new();
    let mut failed_status = false;
    let mut failed_other = false;
    for a in &spec.expect {
        let j = obs.facts.judge(&a.cond);
        if !j.pass {
            if matches!(spec.kind, Kind::Http(_)) && mentions(&a.cond, "status") {
                failed_status = true;
            } else {
                failed_other = true;
            }
        }
        assertions.push(AssertionResult {
            expr: a.expr.clone(),
            actual: streams.redact_str(&j.actual),
            verdict: if j.pass { Verdict::Pass } else { Verdict::Fail },
            implicit: a.implicit,
        });
    }
    let failure = match obs.failure.take() {
        Some(f) => Some((f.class, f.message)),
        None if failed_status => Some((
            FailureClass::HttpStatus,
            format!(
                "HTTP status {} is not what the step expects",
                obs.http_status
                    .map_or_else(|| "missing".to_owned(), |s| s.to_string())
            ),
        )),
        None if failed_other => {
            let n = assertions.iter().filter(|a| a.verdict == Verdict::Fail).count();
            let first = assertions
                .iter()
                .find(|a| a.verdict == Verdict::Fail)
                .map(|a| format!("{} (actual: {})", a.expr, a.actual))
                .unwrap_or_default();
            Some((
                FailureClass::Assertion,
                if n == 1 {
                    format!("assertion failed: {first}")
                } else {
                    format!("{n} assertions failed, first: {first}")
                },
            ))
        }
        None => None,
    };
    let passed = failure.is_none();
    for c in &spec.captures {
        if let cond::Source::Verdict = c.from {
            captures.push(CaptureResult {
                field: c.field.clone(),
                field_id: c.field_id.clone(),
                value: cond::verdict_option(&c.options, passed),
            });
        }
    }
    let mut out_hash = Sha256::new();
    for (name, ex) in [("stdout", &stdout), ("stderr", &stderr), ("body", &body)] {
        if let Some(ex) = ex {
            out_hash.update(format!("{name}:{}\n", ex.sha256));
        }
    }
    let (host, user) = host_user();
    ProbeResult {
        kind: spec.kind.name().to_owned(),
        outcome: if passed { Outcome::Passed } else { Outcome::Failed },
        failure: failure.as_ref().map(|f| f.0),
        message: failure.map(|f| streams.redact_str(&f.1)),
        exit_code: obs.exit_code,
        http_status: obs.http_status,
        duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        captures,
        assertions,
        stdout,
        stderr,
        body,
        what: what.to_owned(),
        provenance: Provenance {
            host: host.clone(),
            user: user.clone(),
            flightdeck_version: env!("CARGO_PKG_VERSION").to_owned(),
            command_sha256: hex::encode(Sha256::digest(what.as_bytes())),
            output_sha256: hex::encode(out_hash.finalize()),
        },
    }
}

/// Does a condition look at this subject anywhere (inside `count(...)` too)?
pub fn mentions(c: &cond::Cond, subject: &str) -> bool {
    use cond::{Cond, Expr};
    fn e(x: &Expr, s: &str) -> bool {
        match x {
            Expr::Subject(n) => n == s,
            Expr::Count(c) => mentions(c, s),
            Expr::Neg(a) => e(a, s),
            Expr::Arith(a, _, b) => e(a, s) || e(b, s),
            _ => false,
        }
    }
    match c {
        Cond::Cmp(a, _, b) => e(a, subject) || e(b, subject),
        Cond::In(a, _, _) | Cond::Exists(a) | Cond::Contains(a, _) | Cond::Matches(a, _) => e(a, subject),
        Cond::And(a, b) | Cond::Or(a, b) => mentions(a, subject) || mentions(b, subject),
        Cond::Not(a) | Cond::All(a) | Cond::Any(a) => mentions(a, subject),
    }
}

fn host_user() -> &'static (String, String) {
    static HU: OnceLock<(String, String)> = OnceLock::new();
    HU.get_or_init(|| {
        let host = nix::unistd::gethostname()
            .ok()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_else(|| "unknown".to_owned());
        let user = nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map(|u| u.name)
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "unknown".to_owned());
        (host, user)
    })
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
