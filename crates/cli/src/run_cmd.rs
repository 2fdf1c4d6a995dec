//! `flightdeck run ...`: start a run, drive it one event at a time, show and verify it.
//!
//! Every write command builds the engine operation's own `...Req` (the same type the app
//! deserializes) and calls `op(store, by, req)`; when it exits 0 its event is committed to the
//! store (synchronous=FULL). What it did is drawn from the appended event, by `render`. A write
//! the store could not key (no usable keyring) still succeeds, with a warning on stderr; `run
//! verify` says whether the run is keyed, and since when (`run_verify`).

use std::io::Write;

use clap::{Args, Subcommand};
use flightdeck_engine::run::{self, Applied, Verdict};
use flightdeck_engine::store::Store;

use crate::who::By;
use crate::{render, step_cmd, store_path, Ctx};

#[derive(Debug, Subcommand)]
pub enum RunCmd {
    #[command(flatten)]
    Record(RecordCmd),
    #[command(flatten)]
    Steps(StepCmd),
    /// Who is known to a run and with which roles; add a person; how many must say GO.
    People {
        #[command(subcommand)]
        cmd: crate::people_cmd::PeopleCmd,
    },
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
        /// The item id (`runbook inspect` lists them).
        item: String,
        #[command(flatten)]
        by: By,
        /// Uncheck it instead.
        #[arg(long)]
        uncheck: bool,
    },
    /// Fill a field; the value must fit its kind (number, percent, duration, choice). `--clear`
    /// empties it again (recorded).
    Set {
        run: String,
        /// The field id, or its label.
        field: String,
        /// The value; negative numbers are taken as values, not flags.
        #[arg(allow_hyphen_values = true, required_unless_present = "clear")]
        value: Option<String>,
        #[command(flatten)]
        by: By,
        /// Empty the field instead (recorded as `field_cleared`; a sign-off over it is marked as
        /// covering changed work).
        #[arg(long, conflicts_with = "value")]
        clear: bool,
    },
    /// Set a header metadata value (key or label, e.g. release-manager).
    Meta {
        run: String,
        /// The header key or label (`release-manager`, `Cutover Date`).
        key: String,
        /// The value.
        #[arg(allow_hyphen_values = true)]
        value: String,
        #[command(flatten)]
        by: By,
    },
    /// Add a note to the run, or to one of its items.
    Note {
        run: String,
        /// The note.
        #[arg(allow_hyphen_values = true)]
        text: String,
        #[command(flatten)]
        by: By,
        /// The item it is about.
        #[arg(long, value_name = "ITEM")]
        item: Option<String>,
    },
    /// Record a sign-off: a sign-off id, or a section/phase holding exactly one. Refused while
    /// its items are unchecked or its fields empty, unless --override gives a reason; refused
    /// (exit 4, rule signer-not-checker) when you checked its items or ran their steps, unless
    /// --solo --reason. `--revoke REASON` withdraws a recorded one (recorded; the slot may be
    /// signed again).
    Signoff {
        run: String,
        /// The sign-off id (`pre-flight-gates`), or a section or phase holding exactly one.
        #[arg(value_name = "SIGNOFF")]
        section: String,
        #[command(flatten)]
        by: By,
        /// Sign off although items are unchecked or fields empty, for this reason (recorded).
        #[arg(long = "override", value_name = "REASON")]
        override_reason: Option<String>,
        #[command(flatten)]
        solo: Solo,
        /// Revoke the recorded sign-off instead, for this reason (recorded as `signoff_revoked`).
        #[arg(long, value_name = "REASON", conflicts_with = "override_reason")]
        revoke: Option<String>,
    },
    /// Record the GO / NO-GO decision. A GO over an unchecked critical criterion needs
    /// --override REASON; a NO-GO never does. Refused (exit 4, rule approver-not-executor) when
    /// you ran a step or checked a criterion it rests on, unless --solo --reason. With `run people
    /// approvers N`, GO takes N distinct people (each runs this); one NO-GO ends the vote. The
    /// decision records the run's head and evidence; a later change to it makes the decision
    /// stale, and it can then be made again. `--revoke REASON` withdraws the recorded decision
    /// (recorded; a decision may then be made again).
    Decide {
        run: String,
        /// `go` or `no-go` (any case: `GO`, as runbooks write it).
        #[arg(value_parser = ["go", "no-go"], ignore_case = true, required_unless_present = "revoke")]
        decision: Option<String>,
        #[command(flatten)]
        by: By,
        /// Why (recorded with the decision).
        #[arg(long, value_name = "TEXT", required_unless_present = "revoke")]
        rationale: Option<String>,
        /// GO although critical criteria are unchecked, for this reason (recorded).
        #[arg(long = "override", value_name = "REASON")]
        override_reason: Option<String>,
        #[command(flatten)]
        solo: Solo,
        /// Revoke the recorded decision instead, for this reason (recorded as `decision_revoked`).
        #[arg(long, value_name = "REASON", conflicts_with_all = ["decision", "rationale", "override_reason"])]
        revoke: Option<String>,
    },
    /// Recompute the hash chain and check the run's keyed checkpoint (its head MACed with this
    /// store's key in the OS keyring); exit 5 naming the first altered, missing or reordered
    /// event, or a checkpoint that does not match. Says whether the run is keyed, and since when.
    Verify {
        run: String,
        /// Also exit 5 unless the keyed checkpoint was checked here and covers the whole log
        /// (not unkeyed, not behind, not made with a key this machine lacks).
        #[arg(long)]
        require_keyed: bool,
    },
    /// The run's event log.
    Events { run: String },
    /// Copy a run of this store, chain intact, to another store (a shared Postgres store:
    /// `postgres://user@host/db`, its password from the OS keyring); both sides verify.
    Push {
        run: String,
        /// Where to: `postgres://…` or a store file.
        #[arg(long, value_name = "STORE")]
        to: String,
    },
    /// Copy a run from another store (a shared Postgres store, for offline review) into this one
    /// (--store, created if missing), chain intact; both sides verify.
    Pull {
        run: String,
        /// Where from: `postgres://…` or a store file.
        #[arg(long, value_name = "STORE")]
        from: String,
    },
    /// What a step printed, as its latest run recorded it (redacted, capped): stdout, stderr, an
    /// HTTP body.
    Output {
        run: String,
        /// The step id (`runbook inspect` lists them).
        step: String,
        /// Only this stream, its text alone (for scripts).
        #[arg(long, value_parser = ["stdout", "stderr", "body"])]
        stream: Option<String>,
    },
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
        /// The section id (`1`, `pre-flight`; `runbook inspect` lists them).
        section: String,
        #[command(flatten)]
        opts: step_cmd::StepOpts,
        #[command(flatten)]
        at_once: step_cmd::Concurrency,
        /// Show what would run (resolved URLs and hosts, the secrets read, by name) and run nothing,
        /// record nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Run every automatable step, phase by phase. Exit 8 if any fails.
    All {
        run: String,
        #[command(flatten)]
        opts: step_cmd::StepOpts,
        #[command(flatten)]
        at_once: step_cmd::Concurrency,
        /// Show what would run (resolved URLs and hosts, the secrets read, by name) and run nothing,
        /// record nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// A solo override of the four-eyes rules, for a one-person team.
#[derive(Debug, Clone, Args)]
pub struct Solo {
    /// Solo override: you did the work you sign off or decide on (a one-person team). Needs
    /// --reason; recorded, and shown as such in the run and the archive.
    #[arg(long, requires = "reason")]
    pub solo: bool,
    /// Why the solo override.
    #[arg(long, value_name = "TEXT", requires = "solo")]
    pub reason: Option<String>,
}

impl Solo {
    fn reason(self) -> Option<String> {
        self.reason.filter(|_| self.solo)
    }
}

/// `run new`'s arguments.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The runbook: a Markdown file, or `bundled:NAME` (`runbook list`).
    file: String,
    /// The release this cutover ships, e.g. v1.0.0.
    #[arg(long)]
    release: String,
    /// The target environment.
    #[arg(long, default_value = "sandbox")]
    env: String,
    #[command(flatten)]
    by: By,
}

pub fn run(ctx: &Ctx, cmd: RunCmd) -> anyhow::Result<()> {
    let mut store = store_path::open(ctx)?;
    match cmd {
        RunCmd::Record(cmd) => {
            let done = record(ctx, &mut store, cmd);
            warn_if_unkeyed(&store);
            done
        }
        // Steps run concurrently and take the store for their writes.
        RunCmd::Steps(StepCmd::Step { run, step, opts }) => {
            step_cmd::run(ctx, store, &run, run::Scope::Step(step), opts, 1)
        }
        RunCmd::Steps(StepCmd::Section {
            run,
            section,
            opts,
            dry_run: true,
            ..
        }) => crate::dry_run_cmd::show(ctx, &store, &run, run::Scope::Section(section), &opts.vars),
        RunCmd::Steps(StepCmd::All {
            run,
            opts,
            dry_run: true,
            ..
        }) => crate::dry_run_cmd::show(ctx, &store, &run, run::Scope::All, &opts.vars),
        RunCmd::Steps(StepCmd::Section {
            run,
            section,
            opts,
            at_once,
            dry_run: false,
        }) => step_cmd::run(
            ctx,
            store,
            &run,
            run::Scope::Section(section),
            opts,
            at_once.concurrency,
        ),
        RunCmd::Steps(StepCmd::All {
            run,
            opts,
            at_once,
            dry_run: false,
        }) => step_cmd::run(ctx, store, &run, run::Scope::All, opts, at_once.concurrency),
        RunCmd::People { cmd } => {
            let done = crate::people_cmd::people(ctx, &mut store, cmd);
            warn_if_unkeyed(&store);
            done
        }
    }
}

/// One read, or one engine write.
fn record(ctx: &Ctx, store: &mut Store, cmd: RecordCmd) -> anyhow::Result<()> {
    use RecordCmd as C;
    match cmd {
        C::New(args) => new_run(ctx, store, args),
        C::List => list(ctx, store),
        C::Show { run } => {
            let state = run::load(store, &run)?.state;
            show(ctx, &state, crate::json_out::run_state, render::run_state)
        }
        C::Check {
            run,
            item,
            by,
            uncheck,
        } => {
            if already(ctx, store, &run, &item, !uncheck)? {
                return Ok(());
            }
            let req = run::CheckReq {
                run,
                item,
                checked: !uncheck,
            };
            let applied = run::check(store, &by.name(ctx)?, req)?;
            crate::correct_cmd::warn_if_signed(store, &applied);
            done(ctx, applied, store)
        }
        C::Set {
            run,
            field,
            value: _,
            by,
            clear: true,
        } => crate::correct_cmd::clear(ctx, store, run, field, &by.name(ctx)?),
        C::Set {
            run,
            field,
            value,
            by,
            clear: false,
        } => {
            let value = value.unwrap_or_default();
            let req = run::SetFieldReq { run, field, value };
            done(ctx, run::set_field(store, &by.name(ctx)?, req)?, store)
        }
        C::Meta { run, key, value, by } => done(
            ctx,
            run::set_meta(store, &by.name(ctx)?, run::SetMetaReq { run, key, value })?,
            store,
        ),
        C::Note { run, text, by, item } => done(
            ctx,
            run::note(store, &by.name(ctx)?, run::NoteReq { run, text, item })?,
            store,
        ),
        C::Signoff {
            run,
            section,
            by,
            revoke: Some(reason),
            ..
        } => {
            let req = run::RevokeSignOffReq {
                run,
                signoff: section,
                reason,
            };
            done(ctx, run::revoke_signoff(store, &by.name(ctx)?, req)?, store)
        }
        C::Decide {
            run,
            by,
            revoke: Some(reason),
            ..
        } => {
            let req = run::RevokeDecisionReq { run, reason };
            done(ctx, run::revoke_decision(store, &by.name(ctx)?, req)?, store)
        }
        C::Signoff {
            run,
            section,
            by,
            override_reason,
            solo,
            revoke: None,
        } => {
            let req = run::SignOffReq {
                run,
                signoff: section,
                override_reason,
                solo_reason: solo.reason(),
            };
            done(ctx, run::signoff(store, &by.name(ctx)?, req)?, store)
        }
        C::Decide {
            run,
            decision,
            by,
            rationale,
            override_reason,
            solo,
            revoke: None,
        } => {
            let req = run::DecideReq {
                run,
                decision: decision.unwrap_or_default().parse::<Verdict>()?,
                rationale: rationale.unwrap_or_default(),
                override_reason,
                solo_reason: solo.reason(),
            };
            done(ctx, run::decide(store, &by.name(ctx)?, req)?, store)
        }
        C::Verify { run, require_keyed } => crate::run_verify::verify(ctx, store, &run, require_keyed),
        C::Events { run } => events(ctx, store, &run),
        C::Push { run, to } => {
            let mut there = store_path::open_other(&to)?;
            moved(ctx, "pushed", store.copy_run(&run, &mut there)?, &there)
        }
        C::Pull { run, from } => {
            let there = store_path::open_other(&from)?;
            moved(ctx, "pulled", there.copy_run(&run, store)?, store)
        }
        C::Output { run, step, stream } => {
            crate::output_cmd::output(ctx, store, &run, &step, stream.as_deref())
        }
    }
}

/// What `run push` / `run pull` copied, and that both sides verify.
fn moved(ctx: &Ctx, how: &str, copied: flightdeck_engine::store::Copied, to: &Store) -> anyhow::Result<()> {
    if ctx.json {
        return render::json(&crate::json_out::copied(&copied)?);
    }
    let what = if copied.written {
        format!(
            "{how} run {} ({} events) to {}",
            copied.run_id,
            copied.events,
            to.path().display()
        )
    } else {
        format!(
            "{} already holds run {} at the same head: nothing to copy",
            to.path().display(),
            copied.run_id
        )
    };
    let head = copied.head_hash.get(..12).unwrap_or(&copied.head_hash);
    render::print(&format!(
        "{what}\nhead {head}…; the chain verifies on both sides\n"
    ))
}

/// An item already as `checked` asks for: nothing to record, and scripts may re-run, so it says
/// so and succeeds (`recorded: false` with `--json`). False when the check has work to do (or
/// the item is not there: the engine names it, with a suggestion).
fn already(ctx: &Ctx, store: &Store, run_ref: &str, item: &str, checked: bool) -> anyhow::Result<bool> {
    let loaded = run::load(store, run_ref)?;
    let Some(state) = loaded.state.items.iter().find(|i| i.id == item.trim()) else {
        return Ok(false);
    };
    if state.checked != checked {
        return Ok(false);
    }
    let how = if checked { "checked" } else { "unchecked" };
    let short = store.short_id(&loaded.record.id);
    if ctx.json {
        render::json(&serde_json::json!({
            "run_id": loaded.record.id,
            "item": state.id,
            "checked": checked,
            "recorded": false,
        }))?;
    } else {
        let mut o = String::new();
        let who = match (&state.by, &state.at) {
            (Some(by), Some(at)) => format!(" by {by} at {at}"),
            _ => String::new(),
        };
        render::out!(
            o,
            "already {how}{who}: {} (run {short}; nothing recorded)",
            state.id
        );
        render::print(&o)?;
    }
    Ok(true)
}

/// Every run, newest first: the records with `--json`, else a line each with its progress and
/// decision (a run whose log cannot be folded says why instead).
fn list(ctx: &Ctx, store: &Store) -> anyhow::Result<()> {
    let runs = store.runs()?;
    let states: Vec<Result<run::RunState, String>> = runs
        .iter()
        .map(|r| {
            run::load(store, &r.id)
                .map(|l| l.state)
                .map_err(|e| e.to_string())
        })
        .collect();
    if ctx.json {
        // Each record, with its decision and whether it is stale (null when undecided).
        let rows: Vec<serde_json::Value> = runs
            .iter()
            .zip(&states)
            .map(|(r, st)| {
                let mut row = crate::json_out::run_record(r);
                let d = st.as_ref().ok().and_then(|s| s.decision.as_ref());
                if let Some(obj) = row.as_object_mut() {
                    obj.insert("decision".into(), serde_json::json!(d.map(|d| d.decision)));
                    obj.insert(
                        "decision_stale".into(),
                        serde_json::json!(d.and_then(|d| d.stale.clone())),
                    );
                }
                row
            })
            .collect();
        return render::json(&rows);
    }
    let status: Vec<String> = states
        .iter()
        .map(|st| match st {
            Ok(state) => render::progress(state),
            Err(e) => format!("unreadable: {e}"),
        })
        .collect();
    render::print(&render::run_list(&runs, &status))
}

/// `value` as `machine` shapes it with `--json`, else as `human` draws it.
fn show<T: ?Sized, J: serde::Serialize>(
    ctx: &Ctx,
    value: &T,
    machine: impl Fn(&T) -> anyhow::Result<J>,
    human: impl Fn(&T) -> String,
) -> anyhow::Result<()> {
    if ctx.json {
        render::json(&machine(value)?)
    } else {
        render::print(&human(value))
    }
}

/// A new run, started by whoever `--by` and its defaults name (`who`): its record with `--json`,
/// else its id alone (for `RUN=$(flightdeck run new …)`).
fn new_run(ctx: &Ctx, store: &mut Store, args: NewArgs) -> anyhow::Result<()> {
    let by = args.by.name(ctx)?;
    let req = run::CreateReq {
        source: args.file,
        env: args.env,
        release: args.release,
    };
    let record = run::create(store, &by, req)?;
    warn_if_release_differs(store, &record);
    show(
        ctx,
        &record,
        |r| Ok(crate::json_out::run_record(r)),
        |r| format!("{}\n", r.id),
    )
}

/// A warning on stderr when the runbook's header names another release than `--release`.
fn warn_if_release_differs(store: &Store, record: &flightdeck_engine::store::RunRecord) {
    let Ok(loaded) = run::load(store, &record.id) else {
        return;
    };
    let header = loaded
        .state
        .metadata
        .iter()
        .find(|m| m.key == "release-version")
        .and_then(|m| m.value.as_deref())
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.chars().all(|c| c == '_'));
    if let Some(header) = header.filter(|h| !h.eq_ignore_ascii_case(record.release.trim())) {
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            render::esc(&format!(
                "warning: --release {} but the runbook's header says Release Version {header}: the run records \
                 both; check which one ships (`flightdeck run meta RUN release-version V` sets the header's)",
                record.release
            ))
        );
    }
}

/// The run's event log.
fn events(ctx: &Ctx, store: &Store, run: &str) -> anyhow::Result<()> {
    let record = store.resolve_run(run)?;
    let events = store.events(&record.id)?;
    let machine = |e: &[flightdeck_engine::store::StoredEvent]| -> anyhow::Result<Vec<serde_json::Value>> {
        Ok(e.iter().map(crate::json_out::event).collect())
    };
    show(ctx, &events[..], machine, render::events)
}

/// What a write appended: the event with `--json`, else one line saying what it did.
pub(crate) fn done(ctx: &Ctx, applied: Applied, store: &Store) -> anyhow::Result<()> {
    let run = store.short_id(&applied.run_id);
    show(
        ctx,
        &applied,
        |a| Ok(crate::json_out::applied(a)),
        |a| render::applied(&render::what_happened(&a.event), a, &run),
    )
}

/// A write that could not be keyed still succeeded; say why on stderr, once.
pub(crate) fn warn_if_unkeyed(store: &Store) {
    if let Some(why) = store.unkeyed_write() {
        let _ = writeln!(
            std::io::stderr(),
            "warning: written unkeyed: {why}; the run's keyed checkpoint stays where it was (`flightdeck run verify` says since when it is keyed)"
        );
    }
}
