//! `flightdeck run ...`: start a run, drive it one event at a time, show and verify it.
//!
//! Every write command calls one engine operation; when it exits 0 its event is committed to
//! the store (synchronous=FULL).

use clap::{Args, Subcommand};
use flightdeck_engine::run::{self, Applied, Verdict};
use flightdeck_engine::runbook;

use crate::exit::VerifyFailed;
use crate::{render, store_path, Ctx};

#[derive(Debug, Subcommand)]
pub enum RunCmd {
    /// Start a run of FILE (a path or `bundled:NAME`); prints the new run's id alone.
    New {
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
    },
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
    /// Run one step's probe; its result, output and captured fields become events. Exit 8 if it fails.
    Step {
        run: String,
        step: String,
        #[command(flatten)]
        opts: crate::step_cmd::StepOpts,
    },
    /// Run a section's automatable steps (in parallel, bounded). Exit 8 if any fails.
    Section {
        run: String,
        section: String,
        #[command(flatten)]
        opts: crate::step_cmd::StepOpts,
    },
    /// Run every automatable step, phase by phase. Exit 8 if any fails.
    All {
        run: String,
        #[command(flatten)]
        opts: crate::step_cmd::StepOpts,
    },
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
        RunCmd::Step { run, step, opts } => {
            crate::step_cmd::run(ctx, store, &run, run::Scope::Step(step), opts)
        }
        RunCmd::Section { run, section, opts } => {
            crate::step_cmd::run(ctx, store, &run, run::Scope::Section(section), opts)
        }
        RunCmd::All { run, opts } => crate::step_cmd::run(ctx, store, &run, run::Scope::All, opts),
        RunCmd::New {
            file,
            release,
            env,
            by,
        } => {
            let (name, source) = runbook::read_source(&file)?;
            let by = by
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "unknown".into());
            let record = run::create(
                &mut store,
                run::CreateReq {
                    runbook_name: name,
                    source,
                    env,
                    release,
                    by,
                },
            )?;
            if ctx.json {
                render::json(&record)
            } else {
                render::print(&format!("{}\n", record.id))
            }
        }
        RunCmd::List => {
            let runs = store.runs()?;
            if ctx.json {
                render::json(&runs)
            } else {
                render::print(&render::run_list(&runs))
            }
        }
        RunCmd::Show { run } => {
            let loaded = run::load(&store, &run)?;
            if ctx.json {
                render::json(&loaded.state)
            } else {
                render::print(&render::run_state(&loaded.state))
            }
        }
        RunCmd::Check {
            run,
            item,
            by,
            uncheck,
        } => {
            let req = run::CheckReq {
                run,
                item: item.clone(),
                checked: !uncheck,
                by: by.by,
            };
            let what = if uncheck { "unchecked" } else { "checked" };
            done(ctx, &format!("{what} {item}"), run::check(&mut store, req)?)
        }
        RunCmd::Set {
            run,
            field,
            value,
            by,
        } => {
            let applied = run::set_field(
                &mut store,
                run::SetFieldReq {
                    run,
                    field: field.clone(),
                    value,
                    by: by.by,
                },
            )?;
            let value = applied.event.payload["value"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            done(ctx, &format!("set {field} = {value}"), applied)
        }
        RunCmd::Meta { run, key, value, by } => {
            let applied = run::set_meta(
                &mut store,
                run::SetMetaReq {
                    run,
                    key,
                    value,
                    by: by.by,
                },
            )?;
            let key = applied.event.payload["key"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            done(ctx, &format!("set metadata {key}"), applied)
        }
        RunCmd::Note { run, text, by, item } => done(
            ctx,
            "noted",
            run::note(
                &mut store,
                run::NoteReq {
                    run,
                    text,
                    item,
                    by: by.by,
                },
            )?,
        ),
        RunCmd::Signoff {
            run,
            section,
            by,
            override_reason,
        } => {
            let req = run::SignOffReq {
                run,
                target: section,
                by: by.by,
                override_reason,
            };
            let applied = run::signoff(&mut store, req)?;
            let id = applied.event.payload["signoff"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let over = if applied.event.payload.get("override_reason").is_some() {
                " with override"
            } else {
                ""
            };
            done(ctx, &format!("signed off {id}{over}"), applied)
        }
        RunCmd::Decide {
            run,
            decision,
            by,
            rationale,
            override_reason,
        } => {
            let decision: Verdict = decision.parse()?;
            let req = run::DecideReq {
                run,
                decision,
                by: by.by,
                rationale,
                override_reason,
            };
            let applied = run::decide(&mut store, req)?;
            done(
                ctx,
                &format!("decided {}", decision.as_str().to_uppercase()),
                applied,
            )
        }
        RunCmd::Verify { run } => {
            let record = store.resolve_run(&run)?;
            let v = store.verify(&record.id)?;
            if ctx.json {
                render::json(&v)?;
            }
            match &v.first_bad {
                None if ctx.json => Ok(()),
                None => render::print(&render::verified(&v)),
                Some(p) => Err(VerifyFailed(format!("run {}: {}", record.id, p.message)).into()),
            }
        }
        RunCmd::Events { run } => {
            let record = store.resolve_run(&run)?;
            let events = store.events(&record.id)?;
            if ctx.json {
                render::json(&events)
            } else {
                render::print(&render::events(&events))
            }
        }
    }
}

fn done(ctx: &Ctx, what: &str, applied: Applied) -> anyhow::Result<()> {
    if ctx.json {
        render::json(&applied)
    } else {
        render::print(&render::applied(what, &applied))
    }
}
