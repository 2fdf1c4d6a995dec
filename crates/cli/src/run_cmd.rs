//! `flightdeck run ...`: start a run, drive it one event at a time, show and verify it.
//!
//! Every write command builds the engine operation's own `...Req` (the same type the app
//! deserializes) and calls `op(store, by, req)`; when it exits 0 its event is committed to the
//! store (synchronous=FULL). What it did is drawn from the appended event, by `render`.

use clap::{Args, Subcommand};
use flightdeck_engine::run::{self, Applied, Verdict};
use flightdeck_engine::store::Store;

use crate::exit::Failed;
use crate::{render, step_cmd, store_path, Ctx};

#[derive(Debug, Subcommand)]
pub enum RunCmd {
    #[command(flatten)]
    Record(RecordCmd),
    #[command(flatten)]
    Steps(StepCmd),
}

/// The commands that read a run or record one event on it.
#[derive(Debug, Subcommand)]
pub enum RecordCmd {
    /// Start a run of FILE (a path or `bundled:NAME`); prints the new run's id alone.
    New(NewArgs),
    /// All runs in the store, newest first.
    List,
    /// A run's metadata, items, fields, sign-offs, decision, event count and head hash.
    Show { run: String },
    /// Check an item (or uncheck it with --uncheck).
    Check {
        run: String,
        item: String,
        #[command(flatten)]
        by: By,
        #[arg(long)]
        uncheck: bool,
    },
    /// Fill a field; the value must fit its kind (number, percent, duration, choice).
    Set {
        run: String,
        field: String,
        /// Negative numbers are taken as values, not flags.
        #[arg(allow_hyphen_values = true)]
        value: String,
        #[command(flatten)]
        by: By,
    },
    /// Set a header metadata value (key or label, e.g. release-manager).
    Meta {
        run: String,
        key: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
        #[command(flatten)]
        by: By,
    },
    /// Add a note to the run, or to one of its items.
    Note {
        run: String,
        #[arg(allow_hyphen_values = true)]
        text: String,
        #[command(flatten)]
        by: By,
        #[arg(long)]
        item: Option<String>,
    },
    /// Record a sign-off: a sign-off id, or a section/phase holding exactly one. Refused while
    /// its items are unchecked or its fields empty, unless --override gives a reason.
    Signoff {
        run: String,
        section: String,
        #[command(flatten)]
        by: By,
        #[arg(long = "override", value_name = "REASON")]
        override_reason: Option<String>,
    },
    /// Record the GO / NO-GO decision. A GO over an unchecked critical criterion needs
    /// --override REASON; a NO-GO never does.
    Decide {
        run: String,
        #[arg(value_parser = ["go", "no-go"])]
        decision: String,
        #[command(flatten)]
        by: By,
        #[arg(long)]
        rationale: String,
        #[arg(long = "override", value_name = "REASON")]
        override_reason: Option<String>,
    },
    /// Recompute the hash chain; exit 5 naming the first altered, missing or reordered event.
    Verify { run: String },
    /// The run's event log.
    Events { run: String },
}

/// The commands that run steps: concurrently, each writing its own events.
#[derive(Debug, Subcommand)]
pub enum StepCmd {
    /// Run one step's probe; its result, output and captured fields become events. Exit 8 if it fails.
    Step {
        run: String,
        step: String,
        #[command(flatten)]
        opts: step_cmd::StepOpts,
    },
    /// Run a section's automatable steps (in parallel, bounded). Exit 8 if any fails.
    Section {
        run: String,
        section: String,
        #[command(flatten)]
        opts: step_cmd::StepOpts,
    },
    /// Run every automatable step, phase by phase. Exit 8 if any fails.
    All {
        run: String,
        #[command(flatten)]
        opts: step_cmd::StepOpts,
    },
}

/// `run new`'s arguments.
#[derive(Debug, Args)]
pub struct NewArgs {
    file: String,
    /// The release this cutover ships, e.g. v1.0.0.
    #[arg(long)]
    release: String,
    /// The target environment.
    #[arg(long, default_value = "sandbox")]
    env: String,
    /// Who starts the run [default: $USER].
    #[arg(long)]
    by: Option<String>,
}

#[derive(Debug, Args)]
pub struct By {
    /// Who does it (kept in the event).
    #[arg(long, value_name = "NAME")]
    by: String,
}

pub fn run(ctx: &Ctx, cmd: RunCmd) -> anyhow::Result<()> {
    let mut store = store_path::open(ctx)?;
    match cmd {
        RunCmd::Record(cmd) => record(ctx, &mut store, cmd),
        // Steps run concurrently and take the store for their writes.
        RunCmd::Steps(StepCmd::Step { run, step, opts }) => {
            step_cmd::run(ctx, store, &run, run::Scope::Step(step), opts)
        }
        RunCmd::Steps(StepCmd::Section { run, section, opts }) => {
            step_cmd::run(ctx, store, &run, run::Scope::Section(section), opts)
        }
        RunCmd::Steps(StepCmd::All { run, opts }) => step_cmd::run(ctx, store, &run, run::Scope::All, opts),
    }
}

/// One read, or one engine write.
fn record(ctx: &Ctx, store: &mut Store, cmd: RecordCmd) -> anyhow::Result<()> {
    use RecordCmd as C;
    match cmd {
        C::New(args) => new_run(ctx, store, args),
        C::List => show(ctx, &store.runs()?, |r| render::run_list(r)),
        C::Show { run } => show(ctx, &run::load(store, &run)?.state, render::run_state),
        C::Check {
            run,
            item,
            by,
            uncheck,
        } => {
            let req = run::CheckReq {
                run,
                item,
                checked: !uncheck,
            };
            done(ctx, run::check(store, &by.by, req)?)
        }
        C::Set {
            run,
            field,
            value,
            by,
        } => done(
            ctx,
            run::set_field(store, &by.by, run::SetFieldReq { run, field, value })?,
        ),
        C::Meta { run, key, value, by } => done(
            ctx,
            run::set_meta(store, &by.by, run::SetMetaReq { run, key, value })?,
        ),
        C::Note { run, text, by, item } => {
            done(ctx, run::note(store, &by.by, run::NoteReq { run, text, item })?)
        }
        C::Signoff {
            run,
            section,
            by,
            override_reason,
        } => {
            let req = run::SignOffReq {
                run,
                signoff: section,
                override_reason,
            };
            done(ctx, run::signoff(store, &by.by, req)?)
        }
        C::Decide {
            run,
            decision,
            by,
            rationale,
            override_reason,
        } => {
            let req = run::DecideReq {
                run,
                decision: decision.parse::<Verdict>()?,
                rationale,
                override_reason,
            };
            done(ctx, run::decide(store, &by.by, req)?)
        }
        C::Verify { run } => verify(ctx, store, &run),
        C::Events { run } => events(ctx, store, &run),
    }
}

/// `value` as JSON with `--json`, else as `human` draws it.
fn show<T: serde::Serialize + ?Sized>(
    ctx: &Ctx,
    value: &T,
    human: impl Fn(&T) -> String,
) -> anyhow::Result<()> {
    if ctx.json {
        render::json(value)
    } else {
        render::print(&human(value))
    }
}

/// A new run, started by `--by` or else `$USER`: its record with `--json`, else its id alone (for
/// `RUN=$(flightdeck run new …)`).
fn new_run(ctx: &Ctx, store: &mut Store, args: NewArgs) -> anyhow::Result<()> {
    let by = args
        .by
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".into());
    let req = run::CreateReq {
        source: args.file,
        env: args.env,
        release: args.release,
    };
    let record = run::create(store, &by, req)?;
    show(ctx, &record, |r| format!("{}\n", r.id))
}

/// The run's event log.
fn events(ctx: &Ctx, store: &Store, run: &str) -> anyhow::Result<()> {
    let record = store.resolve_run(run)?;
    show(ctx, &store.events(&record.id)?, |e| render::events(e))
}

/// What a write appended: the event with `--json`, else one line saying what it did.
fn done(ctx: &Ctx, applied: Applied) -> anyhow::Result<()> {
    show(ctx, &applied, |a| {
        render::applied(&render::what_happened(&a.event), a)
    })
}

/// Recompute the chain; exit 5 (through `Failed::Verify`) naming the first bad event.
fn verify(ctx: &Ctx, store: &Store, run: &str) -> anyhow::Result<()> {
    let record = store.resolve_run(run)?;
    let v = store.verify(&record.id)?;
    if ctx.json {
        render::json(&v)?;
    }
    match &v.first_bad {
        None if ctx.json => Ok(()),
        None => render::print(&render::verified(&v)),
        Some(p) => Err(Failed::Verify(format!("run {}: {}", record.id, p.message)).into()),
    }
}
