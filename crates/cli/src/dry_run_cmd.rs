//! `run all --dry-run` / `run section --dry-run`: what would run, against which resolved URLs and
//! hosts, with the secrets each step reads named (never shown), and the manual steps left to
//! people. Nothing runs and nothing is recorded. The plan is the engine's (`run::dry_run`).

use flightdeck_engine::environments::Environments;
use flightdeck_engine::run::{self, Scope};
use flightdeck_engine::store::Store;

use crate::render::{count, millis, out};
use crate::Ctx;

/// The dry run of `scope` on `run_ref`, with the `--var`s a real run would take.
pub fn show(ctx: &Ctx, store: &Store, run_ref: &str, scope: Scope, vars: &[String]) -> anyhow::Result<()> {
    let record = store.resolve_run(run_ref)?;
    let mut env = crate::env_cmd::probe_env(store, &record.env)?;
    crate::vars::apply(&mut env, vars, &record.runbook_source, &record.env)?;
    env.vars
        .entry("RUN_ID".into())
        .or_insert_with(|| record.id.clone());
    env.vars
        .entry("FLIGHTDECK_ENV".into())
        .or_insert_with(|| record.env.clone());
    let production = Environments::open(store)?
        .production(&record.env)?
        .unwrap_or(false);
    let runbook = run::runbook_of(&record)?;
    let short = store.short_id(&record.id);
    let planned = run::dry_run(&runbook, &scope, &env, &format!("run {short}"))?;
    let manual = crate::step_cmd::manual_steps(&runbook, &scope);
    if ctx.json {
        return crate::render::json(&serde_json::json!({
            "run_id": record.id,
            "env": record.env,
            "production": production,
            "steps": planned,
            "manual": manual,
        }));
    }
    crate::render::print(&text(&record.env, &short, production, &planned, &manual))
}

/// The dry run for people: a block per step, phase by phase, then the totals.
fn text(env: &str, short: &str, production: bool, planned: &[run::PlannedStep], manual: &[String]) -> String {
    let mut o = String::new();
    let prod = if production { ", marked production" } else { "" };
    out!(
        o,
        "dry run of run {short} on environment `{env}`{prod}: nothing runs, nothing is recorded"
    );
    let mut phase: Option<&Option<String>> = None;
    for p in planned {
        if phase != Some(&p.phase) {
            out!(o, "phase {}", p.phase.as_deref().unwrap_or("(none)"));
            phase = Some(&p.phase);
        }
        out!(o, "  {} ({}, deadline {})", p.step, p.kind, millis(p.deadline_ms));
        for (i, line) in p.what.lines().enumerate() {
            out!(o, "    {} {line}", if i == 0 { "runs:" } else { "     " });
        }
        if !p.hosts.is_empty() {
            out!(o, "    hosts: {}", p.hosts.join(", "));
        }
        if !p.secrets.is_empty() {
            out!(o, "    secrets: {} (named, never shown)", p.secrets.join(", "));
        }
        if !p.unset.is_empty() {
            out!(
                o,
                "    UNSET variables: {} (the step would fail)",
                p.unset.join(", ")
            );
        }
        if p.changes_target {
            let confirm = if production { ": needs --yes here" } else { "" };
            out!(o, "    changes the target{confirm}");
        }
    }
    out!(o, "{} would run", count(planned.len(), "step", "steps"));
    if !manual.is_empty() {
        out!(
            o,
            "{} left to people: {}",
            count(manual.len(), "manual step", "manual steps"),
            manual.join(", ")
        );
    }
    o
}
