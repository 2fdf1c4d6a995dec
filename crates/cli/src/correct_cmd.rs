//! Corrections on the command line: `run set --clear`, the warning when an uncheck or a clear
//! undoes work under a recorded sign-off, and (in `run_cmd`) `run signoff --revoke` and `run
//! decide --revoke`. The rules and events are the engine's (`run::clear_field`,
//! `run::revoke_signoff`, `run::revoke_decision`).

use std::io::Write;

use flightdeck_engine::run::{self, Applied};
use flightdeck_engine::store::Store;

use crate::{render, Ctx};

/// `run set RUN FIELD --clear`: empty the field (recorded); a field already empty is a no-op
/// that says so and exits 0, as `run check` on a checked item.
pub fn clear(ctx: &Ctx, store: &mut Store, run_ref: String, field: String, by: &str) -> anyhow::Result<()> {
    let loaded = run::load(store, &run_ref)?;
    let id = field.trim();
    let found = loaded.state.field(id).or_else(|| {
        let label = id.to_lowercase();
        loaded
            .state
            .fields
            .iter()
            .find(|f| f.label.to_lowercase() == label)
    });
    if let Some(f) = found.filter(|f| f.value.is_none()) {
        let short = store.short_id(&loaded.record.id);
        if ctx.json {
            return render::json(&serde_json::json!({
                "run_id": loaded.record.id,
                "field": f.id,
                "recorded": false,
            }));
        }
        return render::print(&format!(
            "already empty: {} (run {short}; nothing recorded)\n",
            f.id
        ));
    }
    let applied = run::clear_field(store, by, run::ClearFieldReq { run: run_ref, field })?;
    warn_if_signed(store, &applied);
    let short = store.short_id(&applied.run_id);
    if ctx.json {
        return render::json(&applied);
    }
    render::print(&render::applied(
        &render::what_happened(&applied.event),
        &applied,
        &short,
    ))
}

/// After an uncheck or a clear: a warning on stderr for each recorded sign-off whose scope it
/// changed (the fold now marks it as covering changed work), and how to revoke it.
pub fn warn_if_signed(store: &Store, applied: &Applied) {
    let Ok(loaded) = run::load(store, &applied.run_id) else {
        return;
    };
    let short = store.short_id(&applied.run_id);
    for slot in &loaded.state.signoffs {
        let Some(record) = &slot.recorded else {
            continue;
        };
        let Some(change) = record.changed.iter().find(|c| c.seq == applied.event.seq) else {
            continue;
        };
        let _ = writeln!(
            std::io::stderr(),
            "{}",
            render::esc(&format!(
                "warning: {} is under sign-off `{}`, recorded by {} at {} (event {}): the sign-off now covers \
                 changed work (`run show` marks it); revoke it with `flightdeck run signoff {short} {} --revoke \
                 REASON` and sign again when the work is redone",
                change.what, slot.id, record.by, record.at, record.seq, slot.id
            ))
        );
    }
}
