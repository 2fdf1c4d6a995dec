//! `flightdeck run ...`: start a run, drive it one event at a time, show and verify it.
//!
//! Every write command builds the engine operation's own `...Req` (the same type the app
//! deserializes) and calls `op(store, by, req)`; when it exits 0 its event is committed to the
//! store (synchronous=FULL). What it did is drawn from the appended event, by `render`. A write
//! the store could not key (no usable keyring) still succeeds, with a warning on stderr; `run
//! verify` says whether the run is keyed, and since when (`run_verify`).

use std::io::Write;

use flightdeck_engine::run::{self, Applied, Verdict};
use flightdeck_engine::store::Store;

pub use crate::run_args::{NewArgs, RecordCmd, RunCmd, StepCmd};
use crate::{render, step_cmd, store_path, Ctx};

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
