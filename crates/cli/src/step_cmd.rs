//! `flightdeck run step | section | all`: run a run's steps, with live progress.
//!
//! Owns argument handling and the progress lines; which steps run, in what order, and the
//! events they leave belong to `flightdeck_engine::run::run_steps`.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use anyhow::Context;
use flightdeck_engine::probe::ProbeEvent;
use flightdeck_engine::run::{self, Scope, StepRun};
use flightdeck_engine::store::Store;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::render::out;
use crate::Ctx;

/// Options every step command takes.
#[derive(Debug, clap::Args)]
pub struct StepOpts {
    #[command(flatten)]
    by: crate::who::By,
    /// A variable for `${NAME}` in annotations and the shell's environment (repeatable), over the
    /// environment's own (sandbox: SANDBOX_URL, TEST_JWT).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = crate::args::var)]
    pub(crate) vars: Vec<String>,
    /// Confirm steps that change the target of a production environment (refused without it).
    #[arg(long)]
    yes: bool,
    /// Stream every line the steps print, live on stderr (redacted as recorded).
    #[arg(short, long)]
    verbose: bool,
}

/// `--concurrency`, on the commands that run more than one step.
#[derive(Debug, clap::Args)]
pub struct Concurrency {
    /// Steps run at once within a section or phase (1 or more).
    #[arg(long, default_value_t = run::DEFAULT_CONCURRENCY, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub concurrency: usize,
}

pub fn run(
    ctx: &Ctx,
    store: Store,
    run_ref: &str,
    scope: Scope,
    opts: StepOpts,
    concurrency: usize,
) -> anyhow::Result<()> {
    let by = opts.by.name(ctx)?;
    let record = store.resolve_run(run_ref)?;
    // The environment's variables, its keyring secrets and a redactor of them all.
    let mut env = crate::env_cmd::probe_env(&store, &record.env)?;
    crate::vars::apply(&mut env, &opts.vars, &record.runbook_source, &record.env)?;
    let runbook = run::runbook_of(&record)?;
    let manual = manual_steps(&runbook, &scope);
    // Each field's unit, for the captured values (`→ 3.size = 1.2 GB`).
    let units: BTreeMap<String, String> = runbook
        .fields
        .iter()
        .filter_map(|f| Some((f.id.clone(), f.unit.clone()?)))
        .collect();
    // One thread: steps are I/O-bound and run concurrently on it, and a probe's request never
    // waits on a hand-off between workers (on a multi-thread runtime that was a third of a
    // loopback request's latency; `cargo bench -p flightdeck-engine --bench probe`).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("start the async runtime")?;
    let store = Mutex::new(store);
    let cancel = CancellationToken::new();
    let json = ctx.json;
    let result = rt.block_on(async {
        let (tx, mut rx) = mpsc::channel::<(String, ProbeEvent)>(256);
        // Ctrl-C cancels: running probes stop (a shell step's process tree is killed) and are
        // recorded as `cancelled`; nothing after them starts.
        let watcher = crate::interrupt::cancel_on_ctrl_c(cancel.clone());
        let verbose = opts.verbose;
        let progress = async move {
            let tty = std::io::stderr().is_terminal();
            while let Some((step, ev)) = rx.recv().await {
                if json {
                    continue;
                }
                for line in progress_lines(&step, ev, verbose, tty) {
                    let _ = writeln!(std::io::stderr(), "{}", crate::render::esc(&line));
                }
            }
        };
        let req = run::RunStepsReq {
            run: run_ref.to_string(),
            scope,
            concurrency: Some(concurrency),
            confirmed: opts.yes,
        };
        let work = run::run_steps(&store, &by, &req, &env, tx, cancel.clone());
        let (result, ()) = tokio::join!(work, progress);
        watcher.abort();
        result
    });
    crate::run_cmd::warn_if_unkeyed(&store.lock().unwrap_or_else(|p| p.into_inner()));
    let runs = result?;
    if !manual.is_empty() && !ctx.json {
        let mut text = String::new();
        out!(
            text,
            "{} left to people: {}",
            crate::render::count(manual.len(), "manual step", "manual steps"),
            manual.join(", ")
        );
        crate::render::print(&text)?;
    }
    report_with_units(ctx, &runs, &units)
}

/// The manual steps (no probe annotation) of `scope`: what `run section | all` leaves to people.
pub(crate) fn manual_steps(runbook: &flightdeck_engine::runbook::Runbook, scope: &Scope) -> Vec<String> {
    let in_scope = |s: &flightdeck_engine::runbook::Step| match scope {
        Scope::All => true,
        Scope::Step(_) => false,
        Scope::Section(id) => runbook
            .sections
            .iter()
            .find(|sec| &sec.id == id || sec.number.as_deref() == Some(id.as_str()))
            .is_some_and(|sec| s.section.as_deref() == Some(sec.id.as_str())),
    };
    runbook
        .steps
        .iter()
        .filter(|s| in_scope(s))
        .filter(|s| matches!(flightdeck_engine::probe::Spec::from_step(s), Ok(None)))
        .map(|s| s.id.clone())
        .collect()
}

/// ` [class]` after a failed step; a step that could not start is a configuration error (of the
/// runbook, the environment or this machine), not a finding about the target.
fn failure_label(f: flightdeck_engine::probe::FailureClass) -> String {
    if f == flightdeck_engine::probe::FailureClass::SpawnError {
        return " [configuration error: the step could not start, so it says nothing about the target]"
            .into();
    }
    let name = serde_json::to_value(f)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    format!(" [{name}]")
}

/// The stderr lines a live event makes: a step starting (with its deadline), progress, and its
/// output: every line with `verbose`, else the first line of each read on a terminal only.
fn progress_lines(step: &str, ev: ProbeEvent, verbose: bool, tty: bool) -> Vec<String> {
    match ev {
        ProbeEvent::Started {
            kind,
            what,
            deadline_ms,
        } => vec![format!(
            "▶ {step} ({kind}, deadline {}): {}",
            crate::render::millis(deadline_ms),
            what.trim_end()
        )],
        ProbeEvent::Progress {
            done, total, message, ..
        } => vec![match total {
            Some(t) => format!("  {step}: {done}/{t} {message}"),
            None => format!("  {step}: {message}"),
        }],
        ProbeEvent::Output { stream, text } if verbose => text
            .lines()
            .map(|l| format!("  {step} {}| {l}", stream_name(stream)))
            .collect(),
        ProbeEvent::Output { .. } if !tty => Vec::new(),
        ProbeEvent::Output { stream, text } => {
            let first: String = text.lines().next().unwrap_or("").chars().take(100).collect();
            vec![format!("  {step} {}: {first}", stream_name(stream))]
        }
    }
}

fn stream_name(stream: flightdeck_engine::probe::Stream) -> &'static str {
    use flightdeck_engine::probe::Stream;
    match stream {
        Stream::Stdout => "stdout",
        Stream::Stderr => "stderr",
        Stream::Body => "body",
    }
}

/// Lines of a failed step's output shown under its verdict (stderr first: a tool's own error).
const TAIL_LINES: usize = 10;

/// The last `TAIL_LINES` lines of each stream a failed step printed, under a header.
fn output_tail(text: &mut String, res: &flightdeck_engine::probe::ProbeResult) {
    for (name, ex) in [
        ("stderr", &res.stderr),
        ("stdout", &res.stdout),
        ("body", &res.body),
    ] {
        let Some(ex) = ex else { continue };
        let lines: Vec<&str> = ex.text.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            continue;
        }
        let from = lines.len().saturating_sub(TAIL_LINES);
        let of = if from > 0 {
            format!(", last {TAIL_LINES} of {} lines", lines.len())
        } else {
            String::new()
        };
        out!(text, "    {name}{of}:");
        for l in &lines[from..] {
            out!(text, "    │ {l}");
        }
    }
}

pub(crate) fn report(ctx: &Ctx, runs: &[StepRun]) -> anyhow::Result<()> {
    report_with_units(ctx, runs, &BTreeMap::new())
}

/// What the steps did, each captured value with its field's unit from `units`; exit 8 (through
/// `Failed::Steps`) when any failed.
fn report_with_units(ctx: &Ctx, runs: &[StepRun], units: &BTreeMap<String, String>) -> anyhow::Result<()> {
    let failed: Vec<&str> = runs
        .iter()
        .filter(|r| !r.result.passed())
        .map(|r| r.step.as_str())
        .collect();
    if ctx.json {
        let out = runs
            .iter()
            .map(|r| {
                let result = crate::json_out::probe_result(&r.result)?;
                Ok(serde_json::json!({"step": r.step, "result": result, "rejected_captures": r.rejected}))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        crate::render::json(&out)?;
    } else {
        let mut text = String::new();
        for r in runs {
            let res = &r.result;
            let mark = if res.passed() { "✓" } else { "✗" };
            let failure = res.failure.map(failure_label).unwrap_or_default();
            out!(text, "{mark} {} ({} ms){failure}", r.step, res.duration_ms);
            if let Some(m) = &res.message {
                out!(text, "    {m}");
            }
            if !res.passed() {
                output_tail(&mut text, res);
            }
            for a in &res.assertions {
                let v = if a.verdict == flightdeck_engine::probe::Verdict::Pass {
                    "pass"
                } else {
                    "FAIL"
                };
                let actual = flightdeck_engine::probe::readable_actual(&a.expr, &a.actual);
                out!(text, "    {v}  {}  (actual: {actual})", a.expr);
            }
            for c in &res.captures {
                let field = c.field_id.as_deref().unwrap_or(&c.field);
                let unit = units.get(field).map(|u| format!(" {u}")).unwrap_or_default();
                out!(
                    text,
                    "    → {field} = {}{unit}",
                    crate::render::one_line(&c.value)
                );
            }
            for (field, why) in &r.rejected {
                out!(text, "    ! {field} not filled: {why}");
            }
        }
        out!(
            text,
            "{}, {} passed, {} failed",
            crate::render::count(runs.len(), "step", "steps"),
            runs.len() - failed.len(),
            failed.len()
        );
        crate::render::print(&text)?;
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(crate::exit::Failed::Steps(format!(
            "{} failed: {}",
            crate::render::count(failed.len(), "step", "steps"),
            failed.join(", ")
        ))
        .into())
    }
}
