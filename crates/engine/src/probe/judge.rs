//! Judging what a kind observed into a [`ProbeResult`]: captures first (assertions may use them),
//! then every assertion with its actual value, then the failure and its class, the verdict
//! captures, and provenance. The same for every kind; what a kind adds is in its facts and in
//! its declared `STATUS_SUBJECT`.

use std::sync::OnceLock;
use std::time::Instant;

use sha2::{Digest, Sha256};

use super::cond::{self, Value};
use super::kind::Observation;
use super::output::Streams;
use super::{
    mentions, AssertionResult, CaptureResult, Excerpt, FailureClass, Outcome, ProbeResult, Provenance, Spec,
    Stream, Verdict,
};

/// The result of a run that ended with `obs`, started at `started`.
pub(super) fn finish(
    spec: &Spec,
    what: &str,
    streams: &Streams,
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

    // A step that could not start (a missing variable or secret, no such program, a bad URL)
    // never reached the target: nothing it "observed" is evidence about it, so no capture, no
    // assertion and no verdict field is recorded; a cancelled step fills no verdict field either.
    let not_started = matches!(&obs.failure, Some(f) if f.class == FailureClass::SpawnError);
    let cancelled = matches!(&obs.failure, Some(f) if f.class == FailureClass::Cancelled);
    let mut captures = if not_started {
        Vec::new()
    } else {
        capture_values(spec, streams, &mut obs)
    };
    let judged = if not_started {
        Assertions::none()
    } else {
        judge_assertions(spec, streams, &obs)
    };
    let failure = match obs.failure.take() {
        Some(f) => Some((f.class, f.message)),
        None => judged.failure(obs.http_status),
    };
    let passed = failure.is_none();
    if !not_started && !cancelled {
        captures.extend(verdict_captures(spec, passed));
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
        assertions: judged.assertions,
        provenance: Provenance {
            host: host.clone(),
            user: user.clone(),
            flightdeck_version: env!("CARGO_PKG_VERSION").to_owned(),
            command_sha256: hex::encode(Sha256::digest(what.as_bytes())),
            output_sha256: output_sha256(&stdout, &stderr, &body),
        },
        stdout,
        stderr,
        body,
        what: what.to_owned(),
    }
}

/// Every capture but `verdict`, in order, each recorded in the facts for the assertions (also
/// when missing) and returned (redacted) when it found something.
fn capture_values(spec: &Spec, streams: &Streams, obs: &mut Observation) -> Vec<CaptureResult> {
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
    captures
}

/// The verdict of every assertion, and which kind of failure the failed ones make.
struct Assertions {
    assertions: Vec<AssertionResult>,
    /// An assertion on the kind's status subject failed (an HTTP status the step rejects).
    failed_status: bool,
    /// Another assertion failed.
    failed_other: bool,
}

fn judge_assertions(spec: &Spec, streams: &Streams, obs: &Observation) -> Assertions {
    let status = spec.kind.status_subject();
    let mut judged = Assertions {
        assertions: Vec::new(),
        failed_status: false,
        failed_other: false,
    };
    for a in &spec.expect {
        let j = obs.facts.judge(&a.cond);
        if !j.pass {
            if status.is_some_and(|s| mentions(&a.cond, s)) {
                judged.failed_status = true;
            } else {
                judged.failed_other = true;
            }
        }
        judged.assertions.push(AssertionResult {
            expr: a.expr.clone(),
            actual: streams.redact_str(&j.actual),
            verdict: if j.pass { Verdict::Pass } else { Verdict::Fail },
            implicit: a.implicit,
        });
    }
    judged
}

impl Assertions {
    fn none() -> Assertions {
        Assertions {
            assertions: Vec::new(),
            failed_status: false,
            failed_other: false,
        }
    }

    /// The failure the assertions make (when the kind itself did not fail): a rejected status
    /// first, else the first failed assertion and how many failed.
    fn failure(&self, http_status: Option<u16>) -> Option<(FailureClass, String)> {
        if self.failed_status {
            return Some((
                FailureClass::HttpStatus,
                format!(
                    "HTTP status {} is not what the step expects",
                    http_status.map_or_else(|| "missing".to_owned(), |s| s.to_string())
                ),
            ));
        }
        if !self.failed_other {
            return None;
        }
        let failed = || self.assertions.iter().filter(|a| a.verdict == Verdict::Fail);
        let n = failed().count();
        let first = failed()
            .next()
            .map(|a| {
                format!(
                    "{} (actual: {})",
                    a.expr,
                    cond::readable_actual(&a.expr, &a.actual)
                )
            })
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
}

/// The `verdict` captures: the step's outcome as an option of their choice field.
fn verdict_captures(spec: &Spec, passed: bool) -> Vec<CaptureResult> {
    spec.captures
        .iter()
        .filter(|c| matches!(c.from, cond::Source::Verdict))
        .map(|c| CaptureResult {
            field: c.field.clone(),
            field_id: c.field_id.clone(),
            value: cond::verdict_option(&c.options, passed),
        })
        .collect()
}

/// sha256 over `stream:sha256` lines of every stream read (each over its redacted bytes).
fn output_sha256(stdout: &Option<Excerpt>, stderr: &Option<Excerpt>, body: &Option<Excerpt>) -> String {
    let mut out_hash = Sha256::new();
    for (name, ex) in [("stdout", stdout), ("stderr", stderr), ("body", body)] {
        if let Some(ex) = ex {
            out_hash.update(format!("{name}:{}\n", ex.sha256));
        }
    }
    hex::encode(out_hash.finalize())
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
