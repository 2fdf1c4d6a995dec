//! Phases and sections: a `#`/`##` heading opens a phase, a `###` a section inside the phase
//! above it (numbered from its title when it has one, `3. Backup & Recovery` → `3`); the first `#`
//! is the runbook's title. Also `**Timeframe**` text read as minutes from T-0, which `paragraph`
//! attaches to the phase or section it is written in.

use comrak::nodes::AstNode;

use super::builder::{Builder, Container, Kind};
use super::walk::inline_text;
use super::{non_empty, ID_WORDS};
use crate::runbook::model::{slug, Phase, Section, Timeframe};

impl<'s> Builder<'s> {
    pub(super) fn heading<'a>(&mut self, node: &'a AstNode<'a>, level: u8) {
        let title = inline_text(node, usize::MAX);
        let line = node.data().sourcepos.start.line;
        let first = !self.seen_heading;
        self.seen_heading = true;
        self.last_item = None;
        if level == 1 && first && self.rb.title.is_none() {
            self.rb.title = Some(title);
            return;
        }
        if level <= 2 {
            let base = non_empty(slug(&title, ID_WORDS), "phase");
            let id = self.unique(Kind::Container, "", &base);
            self.rb.phases.push(Phase {
                id,
                title,
                line: line as u32,
                ..Phase::default()
            });
            self.container = Container::Phase(self.rb.phases.len() - 1);
            return;
        }
        let number = section_number(&title);
        let base = number
            .clone()
            .unwrap_or_else(|| non_empty(slug(&title, ID_WORDS), "section"));
        let id = self.unique(Kind::Container, "", &base);
        let phase = match self.container {
            Container::Phase(p) => Some(p),
            Container::Section(s) => self
                .rb
                .phases
                .iter()
                .position(|p| Some(&p.id) == self.rb.sections[s].phase.as_ref()),
            Container::Preamble => None,
        };
        if let Some(p) = phase {
            self.rb.phases[p].sections.push(id.clone());
        }
        self.rb.sections.push(Section {
            id,
            number,
            title,
            line: line as u32,
            phase: phase.map(|p| self.rb.phases[p].id.clone()),
            ..Section::default()
        });
        self.container = Container::Section(self.rb.sections.len() - 1);
    }
}

/// `3. Backup & Recovery` → `3`; `2.1 Foo` → `2.1`.
fn section_number(title: &str) -> Option<String> {
    let head: String = title
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let num = head.trim_end_matches('.');
    let rest = &title[head.len()..];
    let marked = head.ends_with('.') || num.contains('.') || rest.starts_with(')');
    let starts_with_digit = num.chars().next().is_some_and(|c| c.is_ascii_digit());
    (starts_with_digit && marked && (rest.is_empty() || rest.starts_with([' ', ')'])))
        .then(|| num.to_string())
}

/// `T-24 to T-4 Hours` → −1440..−240 minutes; `T-Hour` → 0..60; `T+15 to T+60 Minutes` → 15..60.
pub(super) fn timeframe(text: &str) -> Timeframe {
    let lower = text.to_lowercase();
    let scale = if lower.contains("minute") || lower.contains("min") {
        1
    } else if lower.contains("day") {
        1440
    } else {
        60
    };
    let mut marks = Vec::new();
    let bytes = lower.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if boundary && (bytes[i] == b't' || bytes[i] == b'd') {
            let zero_day = bytes[i] == b'd';
            let rest = &lower[i + 1..];
            if rest.starts_with("-hour") {
                marks.push(0);
                marks.push(60);
                i += 5;
                continue;
            }
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => 0,
            };
            let digits: String = rest
                .chars()
                .skip(usize::from(sign != 0))
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse::<i64>() {
                // Saturating: "T+99999999999999999 Days" is nonsense, not a reason to panic.
                let n = if sign == 0 { n } else { sign * n };
                marks.push(n.saturating_mul(if zero_day { 1440 } else { scale }));
            }
        }
        i += 1;
    }
    Timeframe {
        text: text.to_string(),
        start_min: marks.first().copied(),
        end_min: marks.get(1).copied(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeframes_read_as_minutes_from_t0() {
        let t = timeframe("T-24 to T-4 Hours");
        assert_eq!((t.start_min, t.end_min), (Some(-1440), Some(-240)));
        let t = timeframe("T-Hour (Deployment Window)");
        assert_eq!((t.start_min, t.end_min), (Some(0), Some(60)));
        let t = timeframe("T+15 to T+60 Minutes");
        assert_eq!((t.start_min, t.end_min), (Some(15), Some(60)));
        let t = timeframe("T+9223372036854775807 to T-9223372036854775807 Days");
        assert_eq!(
            (t.start_min, t.end_min),
            (Some(i64::MAX), Some(i64::MIN)),
            "saturates"
        );
    }

    #[test]
    fn section_numbers() {
        assert_eq!(section_number("3. Backup & Recovery").as_deref(), Some("3"));
        assert_eq!(section_number("2.1 Foo").as_deref(), Some("2.1"));
        assert_eq!(section_number("Critical Success Criteria"), None);
        assert_eq!(section_number("2024 plans"), None);
    }
}
