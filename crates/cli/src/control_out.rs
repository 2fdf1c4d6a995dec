//! What `flightdeck flag` and `flightdeck breaker` print: previews, attempts, flag and breaker
//! tables with the drift. Text from the target is printed escaped, line by line.

use flightdeck_engine::controls::{self, AdapterKind, ControlOutcome, ControlRecord, Target};

use crate::render::{esc, out};
use crate::Ctx;

pub(crate) fn show_preview(ctx: &Ctx, p: &controls::Preview) -> anyhow::Result<()> {
    if ctx.json {
        return crate::render::json(p);
    }
    let mut o = String::new();
    out!(o, "preview (nothing changed): {}", p.target.describe());
    out!(
        o,
        "  environment: {}{}",
        p.env,
        if p.production {
            " (PRODUCTION: needs --yes)"
        } else {
            ""
        }
    );
    out!(o, "  adapter:     {}", p.adapter.as_str());
    out!(o, "  from → to:   {} → {}", p.from, p.to);
    out!(o, "  inverse:     {}", p.inverse.describe());
    print_escaped(&o)
}

/// What a change did. With `--json`, the record; when a revert follows (`stream`), one record a
/// line (JSON Lines: the change, then its revert).
pub(crate) fn report(ctx: &Ctx, r: &ControlRecord, stream: bool) -> anyhow::Result<()> {
    if ctx.json && stream {
        return crate::render::json_line(r);
    }
    if ctx.json {
        return crate::render::json(r);
    }
    let mut o = String::new();
    let outcome = match r.outcome {
        ControlOutcome::Applied => "applied",
        ControlOutcome::Failed => "FAILED",
        ControlOutcome::Refused => "REFUSED",
    };
    let revert = r
        .revert
        .as_deref()
        .map(|w| format!(" [automatic revert: {w}]"))
        .unwrap_or_default();
    out!(
        o,
        "{outcome}: {} in {} ({}){revert}",
        r.target.describe(),
        r.env,
        r.adapter
    );
    let from = r
        .from
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "?".into());
    out!(o, "  from → to:  {from} → {}", r.to);
    let back = r
        .read_back
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| "could not be read".into());
    out!(
        o,
        "  read back:  {back}{}",
        if r.verified { " (verified)" } else { "" }
    );
    out!(
        o,
        "  inverse:    {}",
        r.inverse
            .as_ref()
            .map_or_else(|| "unknown".to_string(), Target::describe)
    );
    if let Some(a) = &r.read_again {
        out!(o, "  read again: {a}");
    }
    if let Some(e) = &r.error {
        out!(o, "  error:      {e}");
    }
    print_escaped(&o)
}

pub(crate) fn show_flags(
    ctx: &Ctx,
    env: &str,
    adapter: AdapterKind,
    flags: &[controls::FlagState],
    expected: Option<&[controls::Expectation]>,
) -> anyhow::Result<()> {
    let rows = expected.map(|e| {
        controls::drift(
            e.iter()
                .filter(|x| flags.iter().any(|f| f.key == x.key) || flags.len() > 1),
            flags,
        )
    });
    if ctx.json {
        return crate::render::json(
            &serde_json::json!({"env": env, "adapter": adapter, "flags": flags, "drift": rows}),
        );
    }
    let mut o = String::new();
    out!(
        o,
        "{:<32} {:<5} {:>7}   {}",
        "flag",
        "state",
        "rollout",
        if rows.is_some() { "expected" } else { "" }
    );
    for f in flags {
        let exp = rows
            .as_ref()
            .and_then(|r| r.iter().find(|r| r.key == f.key))
            .map(|r| format!("{}{}", r.expected, if r.drift { "  DRIFT" } else { "" }))
            .unwrap_or_default();
        out!(
            o,
            "{:<32} {:<5} {:>6}%   {exp}",
            f.key,
            if f.enabled { "ON" } else { "OFF" },
            f.rollout
        );
    }
    if let Some(rows) = &rows {
        for r in rows.iter().filter(|r| r.actual.is_none()) {
            out!(o, "{:<32} missing          {}  DRIFT", r.key, r.expected);
        }
        let n = rows.iter().filter(|r| r.drift).count();
        out!(o, "{} expected, {n} drift", rows.len());
    }
    print_escaped(&o)
}

pub(crate) fn show_breakers(ctx: &Ctx, env: &str, list: &[controls::BreakerState]) -> anyhow::Result<()> {
    if ctx.json {
        return crate::render::json(&serde_json::json!({"env": env, "breakers": list}));
    }
    let mut o = String::new();
    out!(
        o,
        "{:<16} {:<10} {:>8}  last change",
        "provider",
        "state",
        "failures"
    );
    for b in list {
        out!(
            o,
            "{:<16} {:<10} {:>8}  {}",
            b.provider,
            b.state,
            b.failure_count,
            b.updated_at.as_deref().unwrap_or("")
        );
    }
    print_escaped(&o)
}

/// Text from the target (flag keys, errors) printed with control characters escaped, line by line.
fn print_escaped(o: &str) -> anyhow::Result<()> {
    let mut text = String::new();
    for l in o.lines() {
        text.push_str(&esc(l));
        text.push('\n');
    }
    crate::render::print(&text)
}
