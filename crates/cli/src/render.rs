//! Human and JSON output. Owns every text layout the CLI prints; commands only pick one.

use std::borrow::Cow;
use std::io::Write as _;

use flightdeck_engine::run::{Applied, RunState};
use flightdeck_engine::runbook::{Block, FieldKind, Item, Runbook};
use flightdeck_engine::store::{RunRecord, StoredEvent, Verification};

/// One line of text output, pushed onto the `String` `$o`: whatever its arguments hold (text
/// from a runbook, an event, a store or an archive) it stays one line, its control characters
/// shown escaped (`esc`).
macro_rules! out {
    ($o:expr, $($arg:tt)*) => {{
        $o.push_str(&$crate::render::esc(&format!($($arg)*)));
        $o.push('\n');
    }};
}
pub(crate) use out;

/// `s` for a terminal: every control character (a newline, a carriage return, an escape
/// sequence's ESC, the C1 range) and every bidirectional override shown as a Rust-style escape
/// (`\n`, `\u{1b}`), so text from a file or an event can neither start a line of its own nor
/// redraw one. `--json` output is never passed through here: JSON escapes them itself, exactly.
pub fn esc(s: &str) -> Cow<'_, str> {
    escape_unless(s, |_| false)
}

/// `s` with every control character and bidirectional override escaped, but those `keep` allows.
fn escape_unless(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| (c.is_control() || is_bidi_control(c)) && !keep(c);
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            o.extend(c.escape_default());
        } else {
            o.push(c);
        }
    }
    Cow::Owned(o)
}

/// Characters that reorder how text is shown (Trojan Source, CVE-2021-42574).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Write `text` to stdout (a closed pipe is not an error worth a message). Text output is built
/// with `out!`/`esc`; as a last guard, any control character but a newline or a tab left in it
/// is escaped here, so no escape sequence ever reaches the terminal.
pub fn print(text: &str) -> anyhow::Result<()> {
    write_raw(&escape_unless(text, |c| c == '\n' || c == '\t'))
}

/// Write `value` as pretty JSON: exact (JSON escapes control characters itself).
pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_raw(&text)
}

/// Write `value` as one line of JSON (a stream: JSON Lines).
pub fn json_line<T: serde::Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string(value)?;
    text.push('\n');
    write_raw(&text)
}

fn write_raw(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn kind_name(kind: &FieldKind) -> String {
    match kind {
        FieldKind::Text => "text".into(),
        FieldKind::Number => "number".into(),
        FieldKind::Percent => "percent".into(),
        FieldKind::Duration => "duration".into(),
        FieldKind::Choice { options } => format!("choice: {}", options.join(" / ")),
    }
}

fn mark(checked: bool) -> &'static str {
    if checked {
        "[x]"
    } else {
        "[ ]"
    }
}

/// `runbook inspect`: title, counts, then the tree.
pub fn runbook(book: &Runbook) -> String {
    let mut o = String::new();
    let c = book.counts();
    out!(o, "{}", book.title.as_deref().unwrap_or(&book.name));
    out!(o, "file {}  sha256 {}", book.name, book.sha256);
    out!(
        o,
        "{}, {}, {}, {}, {}, {}{}",
        count(c.phases, "phase", "phases"),
        count(c.sections, "section", "sections"),
        count(c.items, "item", "items"),
        count(c.steps, "step", "steps"),
        count(c.fields, "field", "fields"),
        count(c.signoffs, "sign-off", "sign-offs"),
        if book.decision.is_some() {
            ", 1 decision"
        } else {
            ""
        }
    );
    if !book.metadata.is_empty() {
        o.push('\n');
        out!(o, "metadata");
        for m in &book.metadata {
            out!(
                o,
                "  {:<26} {}: {}",
                m.key,
                m.label,
                m.value.as_deref().unwrap_or("____")
            );
        }
    }
    let mut shown_sections = Vec::new();
    for phase in &book.phases {
        let tf = phase
            .timeframe
            .as_ref()
            .map(|t| format!("  [{}]", t.text))
            .unwrap_or_default();
        o.push('\n');
        out!(o, "phase {}: {}{tf}", phase.id, phase.title);
        blocks(&mut o, book, &phase.blocks, 1);
        for sid in &phase.sections {
            section(&mut o, book, sid, 1);
            shown_sections.push(sid.as_str());
        }
    }
    for s in book
        .sections
        .iter()
        .filter(|s| !shown_sections.contains(&s.id.as_str()))
    {
        o.push('\n');
        section(&mut o, book, &s.id, 0);
    }
    if let Some(d) = &book.decision {
        o.push('\n');
        out!(o, "decision: {} ({})", d.label, d.options.join(" / "));
        for id in &d.criteria {
            out!(o, "  criterion {id}");
        }
    }
    for w in &book.warnings {
        out!(o, "warning: {}:{}: {}", book.name, w.line, w.message);
    }
    o
}

fn section(o: &mut String, book: &Runbook, id: &str, depth: usize) {
    let Some(s) = book.section(id) else { return };
    let pad = "  ".repeat(depth);
    let tf = s
        .timeframe
        .as_ref()
        .map(|t| format!("  [{}]", t.text))
        .unwrap_or_default();
    out!(o, "{pad}section {}: {}{tf}", s.id, s.title);
    blocks(o, book, &s.blocks, depth + 1);
}

fn blocks(o: &mut String, book: &Runbook, blocks: &[Block], depth: usize) {
    let pad = "  ".repeat(depth);
    for b in blocks {
        match b {
            Block::Item { id } => {
                if let Some(item) = book.item(id) {
                    item_tree(o, book, item, depth);
                }
            }
            Block::Step { id } => step(o, book, id, depth),
            Block::Fields { ids, .. } => ids.iter().for_each(|id| field(o, book, id, depth)),
            Block::SignOff { id } => {
                if let Some(s) = book.signoff(id) {
                    out!(
                        o,
                        "{pad}sign-off {}: {} (vouches for {} items, {} fields)",
                        s.id,
                        s.name,
                        s.items.len(),
                        s.fields.len()
                    );
                }
            }
            Block::Decision => {
                if let Some(d) = &book.decision {
                    out!(o, "{pad}decision: {} ({})", d.label, d.options.join(" / "));
                }
            }
            Block::Prose { .. } => {}
        }
    }
}

fn item_tree(o: &mut String, book: &Runbook, item: &Item, depth: usize) {
    let pad = "  ".repeat(depth);
    let critical = if item.critical { " (critical)" } else { "" };
    out!(
        o,
        "{pad}{} {}  {}{critical}",
        mark(item.checked),
        item.id,
        item.text
    );
    for id in &item.steps {
        step(o, book, id, depth + 2);
    }
    for id in &item.fields {
        field(o, book, id, depth + 2);
    }
    for child in item.children.iter().filter_map(|id| book.item(id)) {
        item_tree(o, book, child, depth + 1);
    }
}

fn step(o: &mut String, book: &Runbook, id: &str, depth: usize) {
    let Some(s) = book.step(id) else { return };
    let first = s
        .code
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let lang = s.lang.as_deref().unwrap_or("shell");
    // What runs it: the probe kind and its target (variables as written), or `manual`.
    let (how, what) = match flightdeck_engine::probe::Spec::from_step(s) {
        // A shell step's target is its first command (past the comments).
        Ok(Some(spec)) if spec.kind.name() == "shell" => ("shell".to_string(), first.to_string()),
        Ok(Some(spec)) => {
            let what = spec.kind.describe(&flightdeck_engine::probe::ProbeEnv::default());
            let what = what.lines().next().unwrap_or("").to_string();
            (spec.kind.name().to_string(), what)
        }
        Ok(None) => (format!("manual, {lang}"), first.to_string()),
        Err(_) => (lang.to_string(), first.to_string()),
    };
    out!(o, "{}step {} ({how}): {what}", "  ".repeat(depth), s.id);
    for e in &s.expected {
        out!(o, "{}  expected: {e}", "  ".repeat(depth));
    }
}

fn field(o: &mut String, book: &Runbook, id: &str, depth: usize) {
    let Some(f) = book.field(id) else { return };
    let unit = f.unit.as_deref().map(|u| format!(", {u}")).unwrap_or_default();
    out!(
        o,
        "{}field {}: {} ({}{unit})",
        "  ".repeat(depth),
        f.id,
        f.label,
        kind_name(&f.kind)
    );
}

fn stamp(by: &Option<String>, at: &Option<String>) -> String {
    match (by, at) {
        (Some(by), Some(at)) => format!("  ({by}, {at})"),
        _ => String::new(),
    }
}

/// `run show`.
pub fn run_state(s: &RunState) -> String {
    let mut o = String::new();
    state_header(&mut o, s);
    state_items(&mut o, s);
    state_fields(&mut o, s);
    crate::run_view::steps(&mut o, s);
    state_signoffs(&mut o, s);
    crate::render_decision::state_decision(&mut o, s);
    state_footer(&mut o, s);
    o
}

/// The run, its runbook and who started it, then the header metadata.
fn state_header(o: &mut String, s: &RunState) {
    let title = s.runbook_title.as_deref().unwrap_or(&s.runbook_name);
    out!(o, "run {}", s.run_id);
    out!(
        o,
        "runbook {title} ({}, sha256 {})",
        s.runbook_name,
        s.runbook_sha256
    );
    out!(
        o,
        "env {}  release {}  created {} by {}",
        s.env,
        s.release,
        s.created_at,
        s.created_by
    );
    o.push('\n');
    out!(o, "metadata");
    for m in &s.metadata {
        out!(
            o,
            "  {:<26} {}{}",
            m.key,
            one_line(m.value.as_deref().unwrap_or("____")),
            stamp(&m.by, &m.at)
        );
    }
}

fn state_items(o: &mut String, s: &RunState) {
    let done = s.items.iter().filter(|i| i.checked).count();
    o.push('\n');
    out!(o, "items ({done}/{} checked)", s.items.len());
    for i in &s.items {
        let pad = "  ".repeat(i.depth as usize + 1);
        let critical = if i.critical { " (critical)" } else { "" };
        out!(
            o,
            "{pad}{} {}{critical}{}",
            mark(i.checked),
            i.id,
            stamp(&i.by, &i.at)
        );
    }
}

fn state_fields(o: &mut String, s: &RunState) {
    let set = s.fields.iter().filter(|f| f.value.is_some()).count();
    o.push('\n');
    out!(o, "fields ({set}/{} set)", s.fields.len());
    for f in &s.fields {
        let unit = f
            .unit
            .as_deref()
            .filter(|_| f.value.is_some())
            .map(|u| format!(" {u}"))
            .unwrap_or_default();
        out!(
            o,
            "  {:<40} {}{unit}{}{}",
            f.id,
            one_line(f.value.as_deref().unwrap_or("____")),
            crate::run_view::captured(f),
            stamp(&f.by, &f.at)
        );
    }
}

fn state_signoffs(o: &mut String, s: &RunState) {
    o.push('\n');
    out!(o, "sign-offs");
    for so in &s.signoffs {
        match &so.recorded {
            Some(r) => {
                let over = r
                    .override_reason
                    .as_deref()
                    .map(|x| format!("  override: {x}"))
                    .unwrap_or_default();
                let solo = r
                    .solo_reason
                    .as_deref()
                    .map(|x| format!("  SOLO override (one-person team): {x}"))
                    .unwrap_or_default();
                out!(o, "  {:<26} signed by {} at {}{over}{solo}", so.id, r.by, r.at);
            }
            None => {
                out!(o, "  {:<26} open", so.id);
            }
        }
        crate::run_view::signoff_details(o, so);
    }
}

/// Notes, events the fold could not apply, and where the log stands.
fn state_footer(o: &mut String, s: &RunState) {
    if !s.notes.is_empty() {
        o.push('\n');
        out!(o, "notes");
        for n in &s.notes {
            let on = n.item.as_deref().map(|i| format!(" on {i}")).unwrap_or_default();
            out!(o, "  {} {}{on}: {}", n.at, n.by, n.text);
        }
    }
    for a in &s.controls_open {
        out!(
            o,
            "control attempt at event {} by {} ({}): {} {} → {} in {}: OUTCOME UNKNOWN (recorded as about to be sent, no outcome after it)",
            a.seq,
            a.by,
            a.at,
            a.what,
            a.from,
            a.to,
            a.env
        );
    }
    for orphan in &s.orphans {
        out!(
            o,
            "orphan event {} ({}): {}",
            orphan.seq,
            orphan.kind,
            orphan.reason
        );
    }
    o.push('\n');
    out!(
        o,
        "events {}  head {}",
        s.event_count,
        s.head_hash.as_deref().unwrap_or("-")
    );
}

/// `run list`.
/// `run list`: each run with its progress and decision (`status`, one per run, in order).
pub fn run_list(runs: &[RunRecord], status: &[String]) -> String {
    if runs.is_empty() {
        return "no runs yet (start one with `flightdeck run new FILE --release V`)\n".into();
    }
    let mut o = String::new();
    for (r, st) in runs.iter().zip(status) {
        out!(
            o,
            "{}  {}  {:<10} {:<12} {:<26} {:>4} events  {}",
            r.id,
            r.created_at,
            r.env,
            r.release,
            st,
            r.head_seq,
            r.runbook_name
        );
    }
    o
}

/// A run's progress and decision for `run list`: `12/85 checked  GO`.
pub fn progress(state: &RunState) -> String {
    let done = state.items.iter().filter(|i| i.checked).count();
    let decision = state.decision.as_ref().map_or_else(
        || "undecided".to_string(),
        |d| {
            let verdict = d.decision.as_str().to_uppercase();
            match &d.stale {
                Some(st) => format!("{verdict} (STALE: {})", st.reason),
                None => verdict,
            }
        },
    );
    format!("{done}/{} checked  {decision}", state.items.len())
}

/// `run events`.
pub fn events(events: &[StoredEvent]) -> String {
    let mut o = String::new();
    for e in events {
        let payload = flightdeck_engine::store::canonical_json(&e.payload);
        out!(
            o,
            "{:>4}  {}  {:<12} {:<18} {payload}  {}",
            e.seq,
            e.time,
            e.actor,
            e.kind,
            short(&e.hash)
        );
    }
    o
}

/// What an appended event did, in words (`checked 1.dry-run`, `decided GO`).
pub fn what_happened(stored: &StoredEvent) -> String {
    use flightdeck_engine::run::Event as E;
    match E::decode(stored) {
        Ok(E::ItemChecked { item }) => format!("checked {item}"),
        Ok(E::ItemUnchecked { item }) => format!("unchecked {item}"),
        Ok(E::FieldSet { field, value }) => format!("set {field} = {value}"),
        Ok(E::MetadataSet { key, .. }) => format!("set metadata {key}"),
        Ok(E::NoteAdded { .. }) => "noted".into(),
        Ok(E::SignoffRecorded {
            signoff,
            override_reason,
            solo_reason,
            ..
        }) => {
            let with = if override_reason.is_some() {
                " with override"
            } else {
                ""
            };
            let solo = if solo_reason.is_some() {
                " (solo override)"
            } else {
                ""
            };
            format!("signed off {signoff}{with}{solo}")
        }
        Ok(E::DecisionRecorded {
            decision,
            solo_reason,
            ..
        }) => {
            let solo = if solo_reason.is_some() {
                " (solo override)"
            } else {
                ""
            };
            format!("decided {}{solo}", decision.as_str().to_uppercase())
        }
        Ok(E::PersonAdded { name, role }) => format!("added {name} as {role}"),
        Ok(E::ApproversSet { min }) => format!("GO now needs {min} distinct approvers"),
        Ok(E::FieldCleared { field }) => format!("cleared {field}"),
        Ok(E::SignoffRevoked { signoff, .. }) => format!("revoked sign-off {signoff}"),
        Ok(E::DecisionRevoked { revokes, .. }) => format!("revoked the decision of event {revokes}"),
        // Events a single write never appends (run_created, steps) say their kind.
        Ok(_) | Err(_) => format!("recorded {}", stored.kind),
    }
}

/// What a write command did; `run` is the run's shortest unique id prefix.
pub fn applied(what: &str, a: &Applied, run: &str) -> String {
    let mut o = String::new();
    out!(
        o,
        "{what} (run {run}, event {}, hash {})",
        a.event.seq,
        short(&a.event.hash)
    );
    o
}

/// `run verify` when the chain holds.
pub fn verified(v: &Verification) -> String {
    format!(
        "run {}: ok, {} events, chain intact, head {}\n",
        v.run_id,
        v.events,
        v.head_hash.as_deref().unwrap_or("-")
    )
}

/// A duration in milliseconds for people: `807 ms`, `2.5 s`, `60 s`, `5 min`.
pub fn millis(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=59_999 if ms.is_multiple_of(1_000) => format!("{} s", ms / 1_000),
        1_000..=59_999 => format!("{:.1} s", ms as f64 / 1_000.0),
        _ if ms.is_multiple_of(60_000) => format!("{} min", ms / 60_000),
        _ => format!("{} s", ms / 1_000),
    }
}

/// `n` and the noun, singular for one: `1 step`, `3 steps`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A value on one line of a layout: a multi-line one shows its first line and how many follow
/// (`first line … (+2 lines)`); `run output` and `--json` have the whole of it.
pub fn one_line(value: &str) -> Cow<'_, str> {
    let mut lines = value.lines();
    let first = lines.next().unwrap_or("");
    let more = lines.count();
    if more == 0 {
        Cow::Borrowed(value.trim_end_matches(['\r', '\n']))
    } else {
        Cow::Owned(format!("{first} … (+{})", count(more, "line", "lines")))
    }
}

pub fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
