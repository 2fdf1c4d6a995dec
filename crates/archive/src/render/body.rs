//! The body: each phase on a new page with its sections, and everything in them in document
//! order: items (with what sits under them and their notes), fields, sign-offs, the decision
//! where the runbook places it, and prose. A step's block is `step`'s.

use flightdeck_engine::run::ItemState;
use flightdeck_engine::runbook::{Block, FieldKind};

use crate::layout::{self, Face, Pages, AMBER, GREEN, INK, LEFT, MUTED, RED};
use crate::record::Record;

use super::cover::decision;
use super::step::step;

pub(super) fn item_line(p: &mut Pages, item: &ItemState, x: f32) {
    let mark = if item.checked { "☑" } else { "☐" };
    let color = if item.checked { INK } else { RED };
    let text = format!(
        "{mark} {}{}",
        item.text,
        if item.critical { "  [critical]" } else { "" }
    );
    for (i, line) in p
        .wrap(Face::Sans, 10.0, layout::RIGHT - x, &text)
        .into_iter()
        .enumerate()
    {
        let indent = if i == 0 { 0.0 } else { 12.0 };
        p.text_line(x + indent, Face::Sans, 10.0, color, &line);
    }
    let who = match (&item.by, &item.at) {
        (Some(by), Some(at)) if item.checked => format!("checked by {by} at {at}"),
        (Some(by), Some(at)) => format!("unchecked by {by} at {at}"),
        _ if item.checked => "checked in the runbook source".to_string(),
        _ => "not checked".to_string(),
    };
    p.text_line(x + 12.0, Face::Sans, 7.5, MUTED, &format!("{who} · {}", item.id));
}

pub(super) fn body(p: &mut Pages, r: &Record) {
    let book = &r.run.runbook;
    for phase in &book.phases {
        p.new_page();
        p.heading(16.0, &phase.title, 40.0);
        if let Some(tf) = &phase.timeframe {
            p.text_line(LEFT, Face::Sans, 9.0, MUTED, &format!("Timeframe: {}", tf.text));
        }
        blocks(p, r, &phase.blocks, LEFT);
        for sid in &phase.sections {
            section(p, r, sid);
        }
    }
    for s in book.sections.iter().filter(|s| s.phase.is_none()) {
        section(p, r, &s.id);
    }
}

fn section(p: &mut Pages, r: &Record, id: &str) {
    let Some(s) = r.run.runbook.section(id) else {
        return;
    };
    p.space(6.0);
    p.heading(13.0, &s.title, 40.0);
    if let Some(tf) = &s.timeframe {
        p.text_line(LEFT, Face::Sans, 9.0, MUTED, &format!("Timeframe: {}", tf.text));
    }
    blocks(p, r, &s.blocks, LEFT);
}

fn blocks(p: &mut Pages, r: &Record, blocks: &[Block], x: f32) {
    for b in blocks {
        match b {
            Block::Item { id } => item(p, r, id, x),
            Block::Step { id } => step(p, r, id, x),
            Block::Fields { ids, .. } => fields(p, r, ids, x),
            Block::SignOff { id } => signoff(p, r, id, x),
            Block::Decision => {
                p.space(4.0);
                p.heading(12.0, "GO / NO-GO decision", 50.0);
                decision(p, r);
            }
            Block::Prose { text, .. } => prose(p, text, x),
        }
    }
}

fn prose(p: &mut Pages, text: &str, x: f32) {
    let plain: String = text.replace("**", "").replace('`', "");
    let plain = plain.trim();
    if plain.is_empty()
        || plain
            .chars()
            .all(|c| c == '-' || c == '*' || c == '_' || c.is_whitespace())
    {
        return;
    }
    p.para(x, Face::Sans, 8.5, MUTED, plain);
}

fn item(p: &mut Pages, r: &Record, id: &str, x: f32) {
    let (Some(state), Some(model)) = (r.run.state.item(id), r.run.runbook.item(id)) else {
        return;
    };
    p.ensure(30.0);
    item_line(p, state, x);
    let inner = x + 14.0;
    // Everything under the item in document order; the model's lists catch what a block does not name.
    let named: std::collections::HashSet<&str> = model
        .blocks
        .iter()
        .flat_map(|b| match b {
            Block::Item { id } | Block::Step { id } => vec![id.as_str()],
            Block::Fields { ids, .. } => ids.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        })
        .collect();
    blocks(p, r, &model.blocks, inner);
    let loose: Vec<String> = model
        .fields
        .iter()
        .filter(|f| !named.contains(f.as_str()))
        .cloned()
        .collect();
    fields(p, r, &loose, inner);
    for s in model.steps.iter().filter(|s| !named.contains(s.as_str())) {
        step(p, r, s, inner);
    }
    for c in model.children.iter().filter(|c| !named.contains(c.as_str())) {
        item(p, r, c, inner);
    }
    for n in r.run.state.notes.iter().filter(|n| n.item.as_deref() == Some(id)) {
        p.para(
            inner,
            Face::Sans,
            8.5,
            INK,
            &format!("Note by {} at {}: {}", n.by, n.at, n.text),
        );
    }
}

fn fields(p: &mut Pages, r: &Record, ids: &[String], x: f32) {
    for id in ids {
        let Some(f) = r.run.state.field(id) else { continue };
        let unit = f.unit.as_deref().map(|u| format!(" {u}")).unwrap_or_default();
        let value = match &f.value {
            Some(v) => {
                let how = match (&f.captured_from, &f.by, &f.at) {
                    (Some(step), _, Some(at)) => format!("  (captured from {step} at {at})"),
                    (None, Some(by), Some(at)) => format!("  (by {by} at {at})"),
                    _ => String::new(),
                };
                format!("{v}{unit}{how}")
            }
            None => match &f.kind {
                FieldKind::Choice { options } => format!("— (one of {})", options.join(" / ")),
                _ => "— (empty)".to_string(),
            },
        };
        let color = if f.value.is_some() { INK } else { AMBER };
        p.field(x, 150.0, &f.label, &value, 9.0, color);
    }
}

fn signoff(p: &mut Pages, r: &Record, id: &str, x: f32) {
    let Some(s) = r.run.state.signoff(id) else { return };
    p.ensure(30.0);
    match &s.recorded {
        Some(rec) => {
            p.text_line(
                x,
                Face::Bold,
                10.0,
                GREEN,
                &format!("✔ {} sign-off: {} at {}", s.name, rec.by, rec.at),
            );
            if let Some(reason) = &rec.solo_reason {
                p.para(
                    x + 12.0,
                    Face::Sans,
                    9.0,
                    RED,
                    &format!("Solo override (one-person team): {reason}"),
                );
            }
            if let Some(reason) = &rec.override_reason {
                let open: Vec<String> = rec.incomplete.iter().map(ToString::to_string).collect();
                p.para(
                    x + 12.0,
                    Face::Sans,
                    9.0,
                    RED,
                    &format!(
                        "Signed over incomplete work: {reason} (open: {})",
                        open.join(", ")
                    ),
                );
            }
        }
        None => p.text_line(
            x,
            Face::Bold,
            10.0,
            AMBER,
            &format!("✘ {} sign-off: not recorded", s.name),
        ),
    }
}
