//! The lines of a paragraph, read one at a time: the fields on them (blanks and choices, the
//! grammar in `fields`), and at the top level the header metadata before the first phase,
//! `**Timeframe**` lines, sign-off slots and the GO / NO-GO decision. A line with none of these
//! is prose; a line that only looks like a task gets a warning (from `tasklike`).

use comrak::nodes::{AstNode, NodeValue};

use super::builder::{Builder, Container, Kind};
use super::sections::timeframe;
use super::{non_empty, ID_WORDS};
use crate::runbook::fields::{self, LineField, Tok};
use crate::runbook::model::{slug, Block, Decision, Field, MetaField, SignOff};
use crate::runbook::tasklike::{self, Start};

impl<'s> Builder<'s> {
    /// The text of line `n` (1-based) of a paragraph, without list markers, quote markers or the
    /// task box.
    pub(super) fn para_line(&self, n: usize, first: bool, column: usize, item_text: bool) -> &'s str {
        let raw = self.lines.get(n.wrapping_sub(1)).copied().unwrap_or("");
        let mut s = if first {
            raw.get(column.saturating_sub(1)..).unwrap_or(raw)
        } else {
            raw
        };
        s = s.trim_start_matches([' ', '\t', '>']);
        if first && item_text {
            for marker in ["[ ]", "[x]", "[X]"] {
                if let Some(rest) = s.strip_prefix(marker) {
                    s = rest;
                    break;
                }
            }
        }
        s.trim()
    }

    pub(super) fn paragraph<'a>(&mut self, node: &'a AstNode<'a>, top: bool) {
        let pos = node.data().sourcepos;
        let opens_item = node.previous_sibling().is_none()
            && node
                .parent()
                .is_some_and(|p| matches!(p.data().value, NodeValue::Item(_) | NodeValue::TaskItem(_)));
        let item_text = opens_item && node.parent().is_some_and(|p| self.task(p).is_some());
        let start = match (item_text, opens_item) {
            (true, _) => Start::TaskText,
            (false, true) => Start::ListItem,
            (false, false) => Start::Line,
        };
        for (line, message) in tasklike::paragraph(node, start) {
            self.warn(line, &message);
        }
        for n in pos.start.line..=pos.end.line.min(self.lines.len()) {
            let first = n == pos.start.line;
            let text = self.para_line(n, first, pos.start.column, item_text);
            if first && item_text {
                // The item's own text; it may still hold blanks (`- [ ] Backup file: ____`).
                if !text.contains("___") {
                    continue;
                }
            }
            if text.is_empty() {
                continue;
            }
            let toks = fields::tokenize(text);
            if top && self.container == Container::Preamble && self.metadata(&toks, n) {
                continue;
            }
            if top && self.special(&toks, text, n) {
                continue;
            }
            let found = fields::line_fields(&toks);
            if found.is_empty() {
                if !(first && item_text) {
                    let raw = self.lines.get(n - 1).copied().unwrap_or("");
                    self.push(Block::Prose {
                        line: n as u32,
                        text: raw.trim().to_string(),
                    });
                }
                continue;
            }
            let mut ids = Vec::new();
            for f in found {
                if f.is_decision() {
                    self.decision(&f, n);
                    continue;
                }
                ids.push(self.field(f, n));
            }
            if !ids.is_empty() {
                self.push(Block::Fields { ids, line: n as u32 });
            }
        }
    }

    /// `**Release Version**: v1.0.0` before the first phase: run metadata. Returns whether the line
    /// was taken.
    fn metadata(&mut self, toks: &[Tok<'_>], line: usize) -> bool {
        let mut taken = false;
        let mut i = 0;
        while i < toks.len() {
            if let Tok::Label(label) = &toks[i] {
                let mut value = String::new();
                let mut j = i + 1;
                while j < toks.len() && !matches!(toks[j], Tok::Label(_)) {
                    if let Tok::Text(t) = toks[j] {
                        value.push_str(t);
                    }
                    j += 1;
                }
                let value = value.trim().trim_start_matches(':').trim().to_string();
                let key = non_empty(slug(label, ID_WORDS), "meta");
                if !self.rb.metadata.iter().any(|m| m.key == key) {
                    self.rb.metadata.push(MetaField {
                        key,
                        label: label.to_string(),
                        line: line as u32,
                        value: (!value.is_empty()).then_some(value),
                    });
                }
                taken = true;
                i = j;
            } else {
                i += 1;
            }
        }
        taken
    }

    /// Top-level lines with a meaning of their own: `**Timeframe**`, sign-off slots and the
    /// decision maker / rationale lines. Returns whether the line was taken.
    fn special(&mut self, toks: &[Tok<'_>], text: &str, line: usize) -> bool {
        let Some(Tok::Label(first)) = toks
            .iter()
            .find(|t| !matches!(t, Tok::Text(s) if s.trim().is_empty()))
        else {
            return false;
        };
        let lower = first.to_lowercase();
        if lower == "timeframe" {
            let rest = text
                .split_once("**:")
                .or_else(|| text.split_once(":**"))
                .map_or("", |(_, r)| r);
            let tf = timeframe(rest.trim().trim_start_matches(':').trim());
            match self.container {
                Container::Section(i) => self.rb.sections[i].timeframe = Some(tf),
                Container::Phase(i) => self.rb.phases[i].timeframe = Some(tf),
                Container::Preamble => return false,
            }
            return true;
        }
        if let Some(name) = signoff_name(first) {
            if toks.iter().any(|t| matches!(t, Tok::Blank)) {
                let id = self.unique(Kind::SignOff, "", &non_empty(slug(name, ID_WORDS), "signoff"));
                self.rb.signoffs.push(SignOff {
                    id: id.clone(),
                    name: name.to_string(),
                    line: line as u32,
                    section: self.section_id(),
                    phase: self.phase_id(),
                    ..SignOff::default()
                });
                self.push(Block::SignOff { id });
                return true;
            }
        }
        let decision_here = self
            .rb
            .decision
            .as_ref()
            .is_some_and(|d| d.section == self.section_id());
        decision_here && (lower.starts_with("decision maker") || lower.contains("rationale"))
    }

    fn decision(&mut self, f: &LineField, line: usize) {
        if self.rb.decision.is_some() {
            return;
        }
        self.rb.decision = Some(Decision {
            line: line as u32,
            label: f.label.clone(),
            section: self.section_id(),
            options: f.options.clone(),
            criteria: Vec::new(),
        });
        self.push(Block::Decision);
    }

    fn field(&mut self, f: LineField, line: usize) -> String {
        let owner = self.owner(false);
        let base = match &f.group {
            Some(g) => slug(&format!("{g} {}", f.label), 8),
            None => slug(&f.label, ID_WORDS),
        };
        let key = self.key();
        let id = self.unique(Kind::Field, &key, &non_empty(base, "field"));
        self.rb.fields.push(Field {
            id: id.clone(),
            label: f.label,
            group: f.group,
            unit: f.unit,
            kind: f.kind,
            line: line as u32,
            item: owner.map(|i| self.rb.items[i].id.clone()),
            section: self.section_id(),
            phase: self.phase_id(),
            hint: f.hint,
        });
        if let Some(i) = owner {
            self.rb.items[i].fields.push(id.clone());
        }
        id
    }
}

/// `Pre-Flight Gates Sign-Off` → `Pre-Flight Gates`.
fn signoff_name(label: &str) -> Option<&str> {
    let lower = label.to_ascii_lowercase();
    for suffix in ["sign-off", "signoff", "sign off"] {
        if lower.ends_with(suffix) && lower.len() > suffix.len() {
            let name = label[..label.len() - suffix.len()].trim();
            if !name.is_empty() {
                return Some(name);
            }
        }
    }
    None
}
