//! The document: cover, Critical Success Criteria, step timing, each phase and section with its
//! items, steps, evidence and sign-offs, notes, and document control, written as PDF/A-3b with
//! the record's attachments embedded.
//!
//! Owns what is said and in which order. Positions belong to `layout`, the chart to `chart`,
//! the signature (added afterwards, by incremental update) to `sign`.

use flightdeck_engine::run::{ItemState, StepStatus};
use flightdeck_engine::runbook::{Block, FieldKind};
use krilla::configure::ConfigurationBuilder;
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::metadata::{DateTime, Metadata};
use krilla::{Document, SerializeSettings};
use time::OffsetDateTime;

use crate::chart::{self, Bar};
use crate::error::{Error, Result};
use crate::layout::{self, Face, Fonts, Metrics, Pages, AMBER, GREEN, INK, LEFT, MUTED, RED};
use crate::record::{Attachment, Record};

/// Evidence lines shown per stream on the page; the attachment holds all of it.
const EVIDENCE_LINES: usize = 60;
/// Command lines shown per step.
const COMMAND_LINES: usize = 14;

/// The unsigned PDF/A-3b document for `record`, signed-by line naming `signer`.
pub fn render(record: &Record, signer: &str, now: OffsetDateTime) -> Result<Vec<u8>> {
    let metrics = Metrics::new().ok_or_else(|| Error::Pdf("the bundled fonts do not parse".into()))?;
    let fonts = Fonts::load().ok_or_else(|| Error::Pdf("the bundled fonts do not load".into()))?;
    let mut pages = Pages::new(metrics);
    let mut svgs = Vec::new();

    cover(&mut pages, record, signer);
    pages.new_page();
    criteria(&mut pages, record);
    planned_vs_actual(&mut pages, record);
    timing(&mut pages, record, &mut svgs)?;
    body(&mut pages, record);
    notes(&mut pages, record);
    pages.new_page();
    control(&mut pages, record, signer);

    let config = ConfigurationBuilder::new()
        .with_archival_validator(krilla::configure::Archival::A3_B)
        .finish()
        .map_err(|e| Error::Pdf(format!("PDF/A-3b configuration: {e:?}")))?;
    let settings = SerializeSettings {
        configuration: config,
        ..Default::default()
    };
    let mut doc = Document::new_with(settings);
    let date = pdf_date(now);
    let title = format!(
        "Cutover record: {} {} ({})",
        record
            .run
            .state
            .runbook_title
            .clone()
            .unwrap_or_else(|| record.run.record.runbook_name.clone()),
        record.run.record.release,
        record.run.record.env
    );
    doc.set_metadata(
        Metadata::new()
            .title(title)
            .creator("Flightdeck".into())
            .language("en".into())
            .creation_date(date)
            .document_id(record.manifest.archive_id.clone()),
    );
    let manifest = record.manifest_attachment();
    for a in record.attachments.iter().chain(std::iter::once(&manifest)) {
        embed(&mut doc, a, date)?;
    }
    let archive_id = record.manifest.archive_id.clone();
    let release = record.run.record.release.clone();
    let footer = move |i: usize, n: usize| {
        (
            format!("Flightdeck archive {archive_id} · release {release}"),
            format!("Page {i} of {n}"),
        )
    };
    layout::draw(&mut doc, &pages.pages, &fonts, &pages.metrics, &svgs, &footer)
        .ok_or_else(|| Error::Pdf("a page could not be drawn".into()))?;
    doc.finish().map_err(|e| Error::Pdf(format!("{e:?}")))
}

fn embed(doc: &mut Document, a: &Attachment, date: DateTime) -> Result<()> {
    let kind = match a.name.as_str() {
        crate::record::RUNBOOK_FILE => AssociationKind::Source,
        crate::record::EVENTS_FILE | crate::record::MANIFEST_FILE => AssociationKind::Data,
        _ => AssociationKind::Supplement,
    };
    doc.embed_file(EmbeddedFile {
        path: a.name.clone(),
        mime_type: MimeType::new(a.mime),
        description: Some(format!("{} (sha256 {})", a.description, a.sha256)),
        association_kind: kind,
        data: a.data.clone().into(),
        modification_date: Some(date),
        compress: Some(true),
        location: None,
    })
    .ok_or_else(|| Error::Pdf(format!("attachment {} is embedded twice", a.name)))
}

fn pdf_date(t: OffsetDateTime) -> DateTime {
    let t = t.to_offset(time::UtcOffset::UTC);
    DateTime::new(t.year().clamp(0, 9999) as u16)
        .month(u8::from(t.month()))
        .day(t.day())
        .hour(t.hour())
        .minute(t.minute())
        .second(t.second())
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

fn or_dash(v: Option<&str>) -> String {
    v.filter(|s| !s.trim().is_empty()).unwrap_or("—").to_string()
}

/// When the run was completed: its decision, else its last event.
fn completed_at(record: &Record) -> String {
    record
        .run
        .state
        .decision
        .as_ref()
        .map(|d| d.at.clone())
        .or_else(|| record.events.last().map(|e| e.time.clone()))
        .unwrap_or_default()
}

fn cover(p: &mut Pages, r: &Record, signer: &str) {
    let s = &r.run.state;
    p.space(40.0);
    p.text_line(
        LEFT,
        Face::Sans,
        11.0,
        MUTED,
        "FLIGHTDECK · SIGNED CUTOVER RECORD",
    );
    p.space(6.0);
    let title = s.runbook_title.clone().unwrap_or_else(|| s.runbook_name.clone());
    for line in p.wrap(Face::Bold, 22.0, layout::RIGHT - LEFT, &title) {
        p.text_line(LEFT, Face::Bold, 22.0, INK, &line);
    }
    p.space(4.0);
    p.text_line(
        LEFT,
        Face::Sans,
        13.0,
        INK,
        &format!(
            "Release {} · environment {}",
            r.run.record.release, r.run.record.env
        ),
    );
    p.space(14.0);
    p.rule();
    let w = 150.0;
    p.field(LEFT, w, "Run", &r.run.record.id, 10.0, INK);
    p.field(
        LEFT,
        w,
        "Started",
        &format!("{} by {}", s.created_at, s.created_by),
        10.0,
        INK,
    );
    p.field(LEFT, w, "Completed", &or_dash(Some(&completed_at(r))), 10.0, INK);
    p.field(LEFT, w, "Archive id", &r.manifest.archive_id, 10.0, INK);
    p.field(LEFT, w, "Exported", &r.manifest.exported_at, 10.0, INK);
    p.field(LEFT, w, "Signed by", signer, 10.0, INK);
    p.rule();
    p.heading(13.0, "Header and roles", 30.0);
    for m in &s.metadata {
        let who = match (&m.by, &m.at) {
            (Some(by), Some(at)) => format!("  (set by {by} at {at})"),
            _ => String::new(),
        };
        p.field(
            LEFT,
            w,
            &m.label,
            &format!("{}{who}", or_dash(m.value.as_deref())),
            10.0,
            INK,
        );
    }
    p.space(8.0);
    p.heading(13.0, "Decision", 60.0);
    decision(p, r);
}

fn decision(p: &mut Pages, r: &Record) {
    let w = 150.0;
    match &r.run.state.decision {
        None => p.text_line(LEFT, Face::Bold, 14.0, AMBER, "No decision recorded"),
        Some(d) => {
            let (text, color) = match d.decision {
                flightdeck_engine::run::Verdict::Go => ("GO", GREEN),
                flightdeck_engine::run::Verdict::NoGo => ("NO-GO", RED),
            };
            p.text_line(LEFT, Face::Bold, 20.0, color, &format!("Decision: {text}"));
            p.field(LEFT, w, "Decision maker", &d.maker, 10.0, INK);
            p.field(LEFT, w, "Time", &d.at, 10.0, INK);
            p.field(LEFT, w, "Rationale", &d.rationale, 10.0, INK);
            if let Some(reason) = &d.override_reason {
                p.field(LEFT, w, "Override", reason, 10.0, RED);
            }
            if !d.unchecked_criteria.is_empty() {
                p.field(
                    LEFT,
                    w,
                    "Unchecked at decision",
                    &d.unchecked_criteria.join(", "),
                    10.0,
                    RED,
                );
            }
            p.field(LEFT, w, "Event", &format!("#{}", d.seq), 10.0, MUTED);
        }
    }
}

fn criteria(p: &mut Pages, r: &Record) {
    let s = &r.run.state;
    p.heading(16.0, "Critical Success Criteria", 40.0);
    let ids: Vec<String> = r
        .run
        .runbook
        .decision
        .as_ref()
        .map(|d| d.criteria.clone())
        .unwrap_or_else(|| {
            s.items
                .iter()
                .filter(|i| i.critical)
                .map(|i| i.id.clone())
                .collect()
        });
    if ids.is_empty() {
        p.para(
            LEFT,
            Face::Sans,
            10.0,
            MUTED,
            "The runbook names no critical success criteria.",
        );
    }
    for id in &ids {
        if let Some(item) = s.item(id) {
            item_line(p, item, LEFT);
        }
    }
    p.space(6.0);
    let checked = s.items.iter().filter(|i| i.checked).count();
    let passed = s
        .steps
        .iter()
        .filter(|st| st.status == StepStatus::Passed)
        .count();
    let failed = s
        .steps
        .iter()
        .filter(|st| st.status == StepStatus::Failed)
        .count();
    let run = s.steps.iter().filter(|st| st.runs > 0).count();
    let signed = s.signoffs.iter().filter(|x| x.recorded.is_some()).count();
    p.heading(12.0, "Summary", 40.0);
    let w = 130.0;
    p.field(
        LEFT,
        w,
        "Items checked",
        &format!("{checked} of {}", s.items.len()),
        10.0,
        INK,
    );
    p.field(
        LEFT,
        w,
        "Steps",
        &format!("{run} of {} run: {passed} passed, {failed} failed", s.steps.len()),
        10.0,
        if failed > 0 { RED } else { INK },
    );
    p.field(
        LEFT,
        w,
        "Sign-offs",
        &format!("{signed} of {} recorded", s.signoffs.len()),
        10.0,
        INK,
    );
    p.field(
        LEFT,
        w,
        "Events",
        &format!("{} (head {})", s.event_count, r.manifest.head_hash),
        10.0,
        INK,
    );
}

/// Each phase's planned window (relative to T-0, and on the clock when the Cutover Date reads as
/// a time) against the first and last activity recorded in it.
fn planned_vs_actual(p: &mut Pages, r: &Record) {
    use crate::timeline::{self, Verdict};
    let rows = timeline::rows(&r.run.runbook, &r.run.state);
    p.heading(16.0, "Timeline: planned against actual", 60.0);
    let t0 = r.run.state.meta("cutover-date").and_then(|m| m.value.clone());
    let t0_line = match t0.as_deref().map(|t| (t, timeline::parse_t0(t))) {
        Some((_, Some(at))) => format!("T-0 (Cutover Date): {}", timeline::clock(at)),
        Some((text, None)) => {
            format!("T-0 (Cutover Date): \"{text}\", not a date and time: windows stay relative")
        }
        None => "T-0 (Cutover Date) was not recorded: windows stay relative".into(),
    };
    p.para(LEFT, Face::Sans, 9.0, MUTED, &t0_line);
    p.space(4.0);
    let w = 70.0;
    for row in &rows {
        p.ensure(50.0);
        p.para(LEFT, Face::Bold, 10.0, INK, &row.phase);
        let planned = match (row.planned_min, row.planned_at) {
            (Some((a, b)), Some((x, y))) => format!(
                "{} to {}  ({} to {})",
                timeline::relative(a),
                timeline::relative(b),
                timeline::clock(x),
                timeline::clock(y)
            ),
            (Some((a, b)), None) => format!("{} to {}", timeline::relative(a), timeline::relative(b)),
            (None, _) => row
                .planned_text
                .clone()
                .unwrap_or_else(|| "no timeframe in the runbook".into()),
        };
        p.field(LEFT + 10.0, w, "Planned", &planned, 9.0, INK);
        let actual = match row.actual {
            Some((a, b)) if a == b => timeline::clock(a),
            Some((a, b)) => format!("{} to {}", timeline::clock(a), timeline::clock(b)),
            None => "-".into(),
        };
        p.field(LEFT + 10.0, w, "Actual", &actual, 9.0, INK);
        let color = match row.verdict {
            Verdict::Within => GREEN,
            Verdict::Early(_) | Verdict::Late(_) => AMBER,
            Verdict::NotStarted | Verdict::Unplanned => MUTED,
        };
        p.field(
            LEFT + 10.0,
            w,
            "",
            &timeline::verdict_text(row.verdict),
            9.0,
            color,
        );
        p.space(3.0);
    }
}

fn timing(p: &mut Pages, r: &Record, svgs: &mut Vec<usvg::Tree>) -> Result<()> {
    let bars: Vec<Bar> = r
        .run
        .state
        .steps
        .iter()
        .filter_map(|st| {
            st.result.as_ref().map(|res| Bar {
                label: st.id.clone(),
                ms: res.duration_ms,
                passed: res.passed,
            })
        })
        .collect();
    let w = (layout::RIGHT - LEFT) as u32;
    let h = (40 + bars.len() as u32 * 16).clamp(120, 640);
    // The heading stays with its chart.
    p.heading(16.0, "Step timing", if bars.is_empty() { 20.0 } else { h as f32 });
    if bars.is_empty() {
        p.para(LEFT, Face::Sans, 10.0, MUTED, "No step was run.");
        return Ok(());
    }
    let svg = chart::step_timing_svg(&bars, w, h).map_err(|e| Error::Pdf(format!("chart: {e}")))?;
    let tree = chart::parse(&svg).map_err(|e| Error::Pdf(format!("chart SVG: {e}")))?;
    svgs.push(tree);
    p.svg(svgs.len() - 1, w as f32, h as f32);
    p.para(
        LEFT,
        Face::Sans,
        8.0,
        MUTED,
        "Each bar is a step's latest run: green passed, red failed. Durations as the probe measured them.",
    );
    Ok(())
}

fn item_line(p: &mut Pages, item: &ItemState, x: f32) {
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

fn body(p: &mut Pages, r: &Record) {
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

fn step(p: &mut Pages, r: &Record, id: &str, x: f32) {
    let (Some(st), Some(model)) = (
        r.run.state.steps.iter().find(|s| s.id == id),
        r.run.runbook.step(id),
    ) else {
        return;
    };
    p.ensure(60.0);
    p.space(2.0);
    let status = match st.status {
        StepStatus::Idle => ("not run", MUTED),
        StepStatus::Running => ("started, never finished", AMBER),
        StepStatus::Passed => ("PASSED", GREEN),
        StepStatus::Failed => ("FAILED", RED),
    };
    p.text_line(
        x,
        Face::Bold,
        9.0,
        status.1,
        &format!("Step {} · {} · {}", st.id, st.kind, status.0),
    );
    let code: Vec<&str> = model.code.lines().collect();
    let mut shown = code
        .iter()
        .take(COMMAND_LINES)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    if code.len() > COMMAND_LINES {
        shown.push_str(&format!(
            "\n… {} more lines in runbook.md",
            code.len() - COMMAND_LINES
        ));
    }
    if let Some(what) = &st.what {
        if !model.code.contains(what.as_str()) {
            shown = format!("{what}\n{shown}");
        }
    }
    p.mono(x, 7.5, &format!("Step {id}"), shown.trim_end());
    if let Some(res) = &st.result {
        let mut facts = vec![format!("{} ms", res.duration_ms)];
        if let Some(code) = res.exit_code {
            facts.push(format!("exit {code}"));
        }
        if let Some(s) = res.http_status {
            facts.push(format!("HTTP {s}"));
        }
        if let (Some(by), Some(at)) = (&st.by, &st.finished_at) {
            facts.push(format!("run by {by}, finished {at}"));
        }
        if let Some(env) = &st.confirmed_on {
            facts.push(format!("changes the target: confirmed on {env}"));
        }
        if st.runs > 1 {
            facts.push(format!("{} runs, latest shown", st.runs));
        }
        p.para(x, Face::Sans, 8.5, INK, &facts.join(" · "));
        if let Some(m) = &res.message {
            p.para(x, Face::Sans, 8.5, RED, m);
        }
        for (expr, actual, verdict) in &res.assertions {
            let (mark, color) = if verdict == "pass" {
                ("✔", GREEN)
            } else {
                ("✘", RED)
            };
            p.para(
                x + 6.0,
                Face::Sans,
                8.5,
                color,
                &format!("{mark} {expr}  (actual: {actual})"),
            );
        }
        for (field, value) in &res.captures {
            p.para(
                x + 6.0,
                Face::Sans,
                8.5,
                INK,
                &format!("captured {field} = {value}"),
            );
        }
    }
    for ev in r.evidence.get(id).map(Vec::as_slice).unwrap_or_default() {
        let e = &ev.excerpt;
        let lines: Vec<&str> = e.text.lines().collect();
        let mut text = lines
            .iter()
            .take(EVIDENCE_LINES)
            .copied()
            .collect::<Vec<_>>()
            .join("\n");
        if lines.len() > EVIDENCE_LINES {
            text.push_str(&format!(
                "\n… {} more lines in {}",
                lines.len() - EVIDENCE_LINES,
                ev.attachment
            ));
        }
        let cut = if e.truncated {
            format!(", capped: {} bytes not kept", e.truncated_bytes)
        } else {
            String::new()
        };
        p.text_line(
            x,
            Face::Sans,
            7.5,
            MUTED,
            &format!(
                "{} · {} bytes · sha256 {}{cut} · {}",
                ev.stream,
                e.bytes,
                short(&e.sha256),
                ev.attachment
            ),
        );
        if !text.trim().is_empty() {
            p.mono(x, 7.0, &format!("{id} {}", ev.stream), text.trim_end());
        }
    }
}

fn short(h: &str) -> &str {
    h.get(..16).unwrap_or(h)
}

fn notes(p: &mut Pages, r: &Record) {
    let run_notes: Vec<_> = r.run.state.notes.iter().filter(|n| n.item.is_none()).collect();
    if run_notes.is_empty() {
        return;
    }
    p.heading(14.0, "Notes", 30.0);
    for n in run_notes {
        p.para(
            LEFT,
            Face::Sans,
            9.5,
            INK,
            &format!("{} at {}: {}", n.by, n.at, n.text),
        );
    }
}

fn control(p: &mut Pages, r: &Record, signer: &str) {
    let m = &r.manifest;
    p.heading(16.0, "Document control", 40.0);
    let w = 130.0;
    p.field(LEFT, w, "Checklist", &m.runbook_name, 9.5, INK);
    p.field(LEFT, w, "Checklist sha256", &m.runbook_sha256, 9.5, INK);
    p.field(
        LEFT,
        w,
        "Version",
        &format!("{} · Flightdeck {}", m.format, env!("CARGO_PKG_VERSION")),
        9.5,
        INK,
    );
    p.field(LEFT, w, "Release", &m.release, 9.5, INK);
    p.field(LEFT, w, "Environment", &m.env, 9.5, INK);
    p.field(
        LEFT,
        w,
        "Completion date",
        &or_dash(Some(&completed_at(r))),
        9.5,
        INK,
    );
    p.field(LEFT, w, "Archive id", &m.archive_id, 9.5, INK);
    p.field(LEFT, w, "Run id", &m.run_id, 9.5, INK);
    p.field(LEFT, w, "Events", &m.event_count.to_string(), 9.5, INK);
    p.field(LEFT, w, "Event log head", &m.head_hash, 9.5, INK);
    p.field(LEFT, w, "Signed by", signer, 9.5, INK);
    p.space(6.0);
    p.heading(12.0, "Attachments", 40.0);
    p.para(
        LEFT,
        Face::Sans,
        8.5,
        MUTED,
        "Embedded in this PDF. manifest.json states the same hashes; `flightdeck archive verify` checks the \
         signature over the whole file, the event chain and each hash below.",
    );
    for a in &m.attachments {
        p.text_line(
            LEFT,
            Face::Sans,
            8.5,
            INK,
            &format!("{} ({} bytes)", a.name, a.bytes),
        );
        p.text_line(
            LEFT + 12.0,
            Face::Mono,
            7.5,
            MUTED,
            &format!("sha256 {}", a.sha256),
        );
    }
}
