//! `flightdeck flag …` and `flightdeck breaker …`: read and change a target's feature flags and
//! circuit breakers, with a preview, a required reason, production confirmation (`--yes`), the
//! state read back, an optional automatic revert, and every attempt recorded into a run
//! (`--run`).
//!
//! Owns argument handling and output; the adapters, the checks and the records are
//! `flightdeck_engine::controls`, the event `run::record_control`; what it prints, `control_out`.

use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use flightdeck_engine::controls::adapter::Controls;
use flightdeck_engine::controls::revert::{self, RevertPolicy};
use flightdeck_engine::controls::{
    self, AdapterKind, BreakerAction, ControlOutcome, ControlRecord, ControlReq, EnvTarget, Setting, Target,
};
use flightdeck_engine::run::{self, StepStatus};
use flightdeck_engine::secrets::Keyring;
use flightdeck_engine::store::Store;

use crate::control_out::{report, show_breakers, show_flags, show_preview};
use crate::Ctx;

// Parsed once per process: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum FlagCmd {
    /// Every flag: state, rollout, and (with --run or --runbook) the expected state and drift.
    List {
        env: String,
        #[command(flatten)]
        read: ReadOpts,
    },
    /// One flag.
    Show {
        env: String,
        key: String,
        #[command(flatten)]
        read: ReadOpts,
    },
    /// Set a flag on or off (and its rollout): preview, then apply and read back.
    Set {
        env: String,
        key: String,
        /// `on` or `off`.
        state: String,
        /// Rollout percentage, 0–100 [default: keep it].
        #[arg(long)]
        rollout: Option<u8>,
        #[command(flatten)]
        change: ChangeOpts,
    },
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum BreakerCmd {
    /// Every breaker: state, failure count, last change.
    List { env: String },
    /// One breaker's status.
    Status { env: String, provider: String },
    /// Open a breaker by hand: preview, then apply and read back.
    Trip {
        env: String,
        provider: String,
        #[command(flatten)]
        change: ChangeOpts,
    },
    /// Close a breaker: preview, then apply and read back.
    Reset {
        env: String,
        provider: String,
        #[command(flatten)]
        change: ChangeOpts,
    },
}

#[derive(Debug, Args)]
pub struct ReadOpts {
    /// The flags adapter: http, sql, ofrep [default: the environment's FLAGS_ADAPTER, else http].
    #[arg(long)]
    adapter: Option<String>,
    /// Show the expected state of this run's runbook, and the drift.
    #[arg(long, value_name = "RUN")]
    run: Option<String>,
    /// Show the expected state of this runbook (a path or `bundled:m31`), and the drift.
    #[arg(long, value_name = "FILE", conflicts_with = "run")]
    runbook: Option<String>,
}

#[derive(Debug, Args)]
pub struct ChangeOpts {
    /// Why (required; kept in the event).
    #[arg(long)]
    reason: Option<String>,
    /// Show the preview (from → to, the environment, the inverse) and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Confirm a change on a production environment (refused without it, exit 4).
    #[arg(long)]
    yes: bool,
    /// Record the attempt into this run (its environment must be ENV).
    #[arg(long, value_name = "RUN")]
    run: Option<String>,
    /// Who makes the change, kept in the event [default: $FLIGHTDECK_USER, else the app's user
    /// name, else your login name].
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    /// The state the preview showed (`on`, `off:25`, `open`, …): refused if it no longer holds.
    #[arg(long, value_name = "STATE")]
    from: Option<String>,
    /// The flags adapter: http, sql [default: the environment's FLAGS_ADAPTER, else http].
    #[arg(long)]
    adapter: Option<String>,
    /// Undo the change on its own after this long (`10m`, `30s`); the command waits.
    #[arg(long, value_name = "DURATION")]
    revert_after: Option<String>,
    /// Undo the change as soon as this step of the run fails (with --within; needs --run).
    #[arg(long, value_name = "STEP", requires = "run")]
    revert_if_fails: Option<String>,
    /// How long --revert-if-fails watches [default: 10m].
    #[arg(long, value_name = "DURATION")]
    within: Option<String>,
    /// The deadline of each call to the target [default: 5s].
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,
    /// A breaker: read it again this long after the change (its open interval), to catch a state
    /// drifting back on its own.
    #[arg(long, value_name = "DURATION")]
    recheck_after: Option<String>,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("start the async runtime")
}

fn target(store: &Store, env: &str) -> anyhow::Result<EnvTarget> {
    Ok(EnvTarget::load(store, env, Keyring::open)?)
}

fn adapter(a: Option<&str>) -> anyhow::Result<Option<AdapterKind>> {
    Ok(a.map(str::parse).transpose()?)
}

pub fn flag(ctx: &Ctx, cmd: FlagCmd) -> anyhow::Result<()> {
    let mut store = crate::store_path::open(ctx)?;
    let rt = runtime()?;
    match cmd {
        FlagCmd::List { env, read } => {
            let t = target(&store, &env)?;
            let a = t.flags_adapter(adapter(read.adapter.as_deref())?)?;
            let flags = rt.block_on(a.flags()).map_err(|e| redacted(&t, e))?;
            let expected = expectations(&store, &read)?;
            show_flags(ctx, &env, a.kind(), &flags, expected.as_deref())
        }
        FlagCmd::Show { env, key, read } => {
            let t = target(&store, &env)?;
            let a = t.flags_adapter(adapter(read.adapter.as_deref())?)?;
            let f = rt.block_on(a.flag(&key)).map_err(|e| redacted(&t, e))?;
            let expected = expectations(&store, &read)?;
            show_flags(ctx, &env, a.kind(), &[f], expected.as_deref())
        }
        FlagCmd::Set {
            env,
            key,
            state,
            rollout,
            change,
        } => {
            let enabled = match state.trim().to_ascii_lowercase().as_str() {
                "on" | "true" | "enabled" => true,
                "off" | "false" | "disabled" => false,
                other => anyhow::bail!(controls::ControlError::Invalid(format!(
                    "`{other}` is neither on nor off"
                ))),
            };
            let t = Target::Flag {
                key,
                enabled,
                rollout,
            };
            change_cmd(ctx, &mut store, &rt, &env, t, change)
        }
    }
}

pub fn breaker(ctx: &Ctx, cmd: BreakerCmd) -> anyhow::Result<()> {
    let mut store = crate::store_path::open(ctx)?;
    let rt = runtime()?;
    let (env, provider, action, change) = match cmd {
        BreakerCmd::List { env } => {
            let t = target(&store, &env)?;
            let list = rt.block_on(t.http()?.breakers()).map_err(|e| redacted(&t, e))?;
            return show_breakers(ctx, &env, &list);
        }
        BreakerCmd::Status { env, provider } => {
            let t = target(&store, &env)?;
            let b = rt
                .block_on(t.http()?.breaker(&provider))
                .map_err(|e| redacted(&t, e))?;
            return show_breakers(ctx, &env, &[b]);
        }
        BreakerCmd::Trip {
            env,
            provider,
            change,
        } => (env, provider, BreakerAction::Trip, change),
        BreakerCmd::Reset {
            env,
            provider,
            change,
        } => (env, provider, BreakerAction::Reset, change),
    };
    change_cmd(
        ctx,
        &mut store,
        &rt,
        &env,
        Target::Breaker { provider, action },
        change,
    )
}

/// The expectations `--run` or `--runbook` names.
fn expectations(store: &Store, read: &ReadOpts) -> anyhow::Result<Option<Vec<controls::Expectation>>> {
    if let Some(r) = &read.run {
        return Ok(Some(run::load(store, r)?.runbook.expectations));
    }
    if let Some(f) = &read.runbook {
        let (name, bytes) = flightdeck_engine::runbook::read_source(f)?;
        return Ok(Some(
            flightdeck_engine::runbook::parse(&name, &bytes)?.expectations,
        ));
    }
    Ok(None)
}

fn parse_from(s: &str, target: &Target) -> anyhow::Result<Setting> {
    let s = s.trim().to_ascii_lowercase();
    match target {
        Target::Flag { .. } => {
            let (state, pct) = s
                .split_once(':')
                .map_or((s.as_str(), None), |(a, b)| (a, Some(b)));
            let enabled = match state {
                "on" => true,
                "off" => false,
                _ => anyhow::bail!(controls::ControlError::Invalid(format!(
                    "--from `{s}`: use on, off, on:P or off:P"
                ))),
            };
            let rollout = match pct {
                Some(p) => p
                    .trim()
                    .trim_end_matches('%')
                    .parse::<u8>()
                    .context("--from percentage")?,
                None if enabled => 100,
                None => 0,
            };
            Ok(Setting::Flag { enabled, rollout })
        }
        Target::Breaker { .. } => Ok(Setting::Breaker { state: s }),
    }
}

fn duration(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = n
        .parse()
        .with_context(|| format!("`{s}` is not a duration (30s, 10m, 1h)"))?;
    Ok(match unit.trim() {
        "ms" => Duration::from_millis(n),
        "s" | "" => Duration::from_secs(n),
        "m" | "min" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => anyhow::bail!(controls::ControlError::Invalid(format!(
            "`{s}` is not a duration (30s, 10m, 1h)"
        ))),
    })
}

fn change_cmd(
    ctx: &Ctx,
    store: &mut Store,
    rt: &tokio::runtime::Runtime,
    env: &str,
    what: Target,
    o: ChangeOpts,
) -> anyhow::Result<()> {
    let kind = adapter(o.adapter.as_deref())?;
    // `apply` reads the state right before the write: that read is this command's preview. A
    // preview shown earlier (`--dry-run`, the app's dialog) is held to with `--from`.
    let req = ControlReq {
        env: env.to_string(),
        target: what.clone(),
        adapter: kind,
        reason: o.reason.clone().unwrap_or_default(),
        expect_from: o.from.as_deref().map(|f| parse_from(f, &what)).transpose()?,
        confirmed: o.yes,
        run: o.run.clone(),
        deadline_ms: o
            .timeout
            .as_deref()
            .map(duration)
            .transpose()?
            .map(|d| d.as_millis() as u64),
        recheck_ms: o
            .recheck_after
            .as_deref()
            .map(duration)
            .transpose()?
            .map(|d| d.as_millis() as u64),
    };
    let t = controls::ops::target_of(store, &req)?;
    if o.dry_run {
        let preview = rt.block_on(controls::preview(&t, &what, kind))?;
        return show_preview(ctx, &preview);
    }
    let by = crate::who::actor(ctx, o.by.clone())?;
    controls::ops::require_actor(&by, &req)?;
    // The attempt goes into the run before anything is sent, its outcome after.
    let mut note = |i: &controls::ControlIntent| note_intent(store, &by, o.run.as_deref(), i);
    let done = rt.block_on(controls::apply_noted(&t, &req, None, &mut note))?;
    record(ctx, store, &by, o.run.as_deref(), &done)?;
    let policy = RevertPolicy {
        after_ms: o
            .revert_after
            .as_deref()
            .map(duration)
            .transpose()?
            .map(|d| d.as_millis() as u64),
        within_ms: match (&o.revert_if_fails, &o.within) {
            (Some(_), Some(w)) => Some(duration(w)?.as_millis() as u64),
            (Some(_), None) => Some(600_000),
            _ => None,
        },
        if_fails: o.revert_if_fails.clone(),
    };
    // A revert to come makes the output a stream: with --json, one record a line.
    let stream = !policy.is_empty() && done.outcome == ControlOutcome::Applied;
    report(ctx, &done, stream)?;
    let watched = auto_revert(ctx, store, &by, rt, &t, &done, &policy, o.run.as_deref(), o.yes);
    if let Some(undo) = watched {
        let undo = undo?;
        record(ctx, store, &by, o.run.as_deref(), &undo)?;
        report(ctx, &undo, true)?;
    }
    outcome(&done)
}

/// Waits for the revert policy while this command runs, then reverts.
#[allow(clippy::too_many_arguments)]
fn auto_revert(
    ctx: &Ctx,
    store: &mut Store,
    by: &str,
    rt: &tokio::runtime::Runtime,
    t: &EnvTarget,
    done: &ControlRecord,
    policy: &RevertPolicy,
    run_ref: Option<&str>,
    confirmed: bool,
) -> Option<anyhow::Result<ControlRecord>> {
    if policy.is_empty() || done.outcome != ControlOutcome::Applied {
        return None;
    }
    if !ctx.json {
        let ms = |m: u64| flightdeck_engine::probe::human_duration(Duration::from_millis(m));
        let mut when = Vec::new();
        if let Some(a) = policy.after_ms {
            when.push(format!("after {}", ms(a)));
        }
        if let Some(step) = &policy.if_fails {
            when.push(format!(
                "if {step} fails within {}",
                ms(policy.within_ms.unwrap_or(600_000))
            ));
        }
        eprintln!(
            "will revert on its own {}; Ctrl-C stops watching",
            when.join(", or ")
        );
    }
    let started = flightdeck_engine::store::format_time(time::OffsetDateTime::now_utc());
    // Read by the check, written by the revert's intent: never at once.
    let store = std::sync::Mutex::new(store);
    let check = |step: &str| -> bool {
        let Some(r) = run_ref else { return false };
        let Ok(s) = store.lock() else { return false };
        run::load(&s, r).ok().is_some_and(|l| {
            l.state.steps.iter().any(|s| {
                s.id == step
                    && s.status == StepStatus::Failed
                    && s.finished_at.as_deref().is_some_and(|f| f >= started.as_str())
            })
        })
    };
    let step = policy.if_fails.clone().unwrap_or_default();
    let mut note = |i: &controls::ControlIntent| {
        let mut s = store
            .lock()
            .map_err(|_| controls::ControlError::Invalid("the store lock was poisoned".into()))?;
        note_intent(&mut s, by, run_ref, i)
    };
    rt.block_on(revert::watch(
        t,
        done,
        policy,
        || check(&step),
        confirmed,
        &mut note,
    ))
    .map(|r| r.map_err(anyhow::Error::from))
}

/// Records an attempt's intent into `run_ref` (when given) before it is sent.
fn note_intent(
    store: &mut Store,
    by: &str,
    run_ref: Option<&str>,
    i: &controls::ControlIntent,
) -> Result<(), controls::ControlError> {
    if let Some(r) = run_ref {
        let req = run::RecordIntentReq {
            run: r.to_string(),
            intent: i.clone(),
        };
        run::record_intent(store, by, req)?;
    }
    Ok(())
}

fn record(
    ctx: &Ctx,
    store: &mut Store,
    by: &str,
    run_ref: Option<&str>,
    r: &ControlRecord,
) -> anyhow::Result<()> {
    let Some(run_ref) = run_ref else {
        if !ctx.json {
            eprintln!("note: not recorded in a run (give --run RUN to keep it as evidence)");
        }
        return Ok(());
    };
    run::record_control(
        store,
        by,
        run::RecordControlReq {
            run: run_ref.to_string(),
            record: r.clone(),
        },
    )?;
    crate::run_cmd::warn_if_unkeyed(store);
    Ok(())
}

fn outcome(r: &ControlRecord) -> anyhow::Result<()> {
    match r.outcome {
        ControlOutcome::Applied => Ok(()),
        ControlOutcome::Refused => Err(controls::ControlError::Changed {
            what: r.target.describe(),
            preview: r.from.as_ref().map(ToString::to_string).unwrap_or_default(),
            now: r.error.clone().unwrap_or_default(),
        }
        .into()),
        ControlOutcome::Failed => Err(crate::exit::Failed::Steps(format!(
            "{} failed: {}",
            r.target.describe(),
            r.error.as_deref().unwrap_or("")
        ))
        .into()),
    }
}

/// A read error with the environment's secrets masked, keeping its kind (and so its exit code).
fn redacted(t: &EnvTarget, e: controls::ControlError) -> anyhow::Error {
    use controls::ControlError as E;
    match e {
        E::Transport { what, message } => E::Transport {
            what,
            message: t.redact(&message),
        }
        .into(),
        E::Sql { what, message } => E::Sql {
            what,
            message: t.redact(&message),
        }
        .into(),
        other => other.into(),
    }
}
