//! Task items and the steps under them.
//!
//! Decides which list items are tasks (`task`: cmark-gfm's rule, and GitHub's inside block quotes
//! and alerts), opens and closes them (an item's text, id, depth, parent and the blocks written
//! under it), and reads a fenced code block into a step owned by the item it is written in (or the
//! last one above it), with its annotation comment and `# Expected:` lines.

use comrak::nodes::{AstNode, NodeCodeBlock, NodeValue};

use super::builder::{Builder, Container, Kind, Open};
use super::walk::{addr, inline_text};
use super::{non_empty, ID_WORDS};
use crate::runbook::fields;
use crate::runbook::model::{slug, Block, Item, Step, Warning};

impl<'s> Builder<'s> {
    /// Whether a list item is a task, and if so whether it is checked.
    ///
    /// Outside block quotes this is cmark-gfm's rule (`task_box`) on the item's whole first line:
    /// a list marker must be the first thing on it (so `- - [ ] x` is not a task, though comrak
    /// reads one), and any `[x]` on that line checks it. comrak alone would miss a task whose text
    /// is a setext heading (`- [ ] a` over `  ---`), which cmark-gfm and GitHub render with a box;
    /// plain list items are judged by the same rule, so that one is a task too.
    ///
    /// Inside a block quote or an alert cmark-gfm 0.29 sees no task (the line starts with `>`),
    /// but GitHub renders one: there the rule is read from the item's own list marker
    /// (`> - [ ] page the on-call`), and the box itself says whether it is checked.
    pub(super) fn task(&self, node: &AstNode<'_>) -> Option<bool> {
        if !matches!(node.data().value, NodeValue::TaskItem(_) | NodeValue::Item(_)) {
            return None;
        }
        let start = node.data().sourcepos.start;
        let line = self.lines.get(start.line.wrapping_sub(1))?;
        if self.quotes > 0 {
            let from = line.get(start.column.saturating_sub(1)..)?;
            return task_box(from).map(|mark| mark != ' ');
        }
        task_box(line).map(|_| line.contains("[x]") || line.contains("[X]"))
    }

    /// A heading that is the first block of a task: that task's text.
    pub(super) fn is_task_text(&self, node: &AstNode<'_>) -> bool {
        node.previous_sibling().is_none() && node.parent().is_some_and(|p| self.task(p).is_some())
    }

    pub(super) fn open_item<'a>(&mut self, node: &'a AstNode<'a>, checked: bool) {
        let mut text = match node.first_child() {
            Some(p) if matches!(p.data().value, NodeValue::Paragraph) => {
                // A field line written right under the item (no blank line between) continues the
                // paragraph; it is not part of the item's text.
                let pos = p.data().sourcepos;
                let column = pos.start.column;
                let cut = (pos.start.line + 1..=pos.end.line)
                    .find(|&n| {
                        let toks = fields::tokenize(self.para_line(n, false, column, false));
                        !fields::line_fields(&toks).is_empty()
                    })
                    .unwrap_or(usize::MAX);
                inline_text(p, cut)
            }
            Some(h) if matches!(h.data().value, NodeValue::Heading(_)) => inline_text(h, usize::MAX),
            _ => String::new(),
        };
        if !matches!(node.data().value, NodeValue::TaskItem(_)) {
            // comrak did not take the box out of the text (a heading's, say): take it out here.
            text = strip_box(&text).to_string();
        }
        let key = self.key();
        let id = self.unique(Kind::Item, &key, &non_empty(slug(&text, ID_WORDS), "item"));
        let parent = self.open.last().map(|o| o.item);
        let critical = match self.container {
            Container::Section(i) => self.rb.sections[i]
                .title
                .to_lowercase()
                .contains("critical success criteria"),
            _ => false,
        };
        let index = self.rb.items.len();
        self.rb.items.push(Item {
            id: id.clone(),
            text,
            line: node.data().sourcepos.start.line as u32,
            depth: self.open.len() as u32,
            parent: parent.map(|p| self.rb.items[p].id.clone()),
            section: self.section_id(),
            phase: self.phase_id(),
            checked,
            critical,
            ..Item::default()
        });
        match parent {
            Some(p) => self.rb.items[p].children.push(id.clone()),
            None => self.last_item = Some(index),
        }
        self.push(Block::Item { id });
        self.open.push(Open {
            node: addr(node),
            item: index,
            blocks: Vec::new(),
        });
    }

    pub(super) fn close_item(&mut self) {
        if let Some(open) = self.open.pop() {
            self.rb.items[open.item].blocks = open.blocks;
        }
    }

    pub(super) fn step<'a>(&mut self, node: &'a AstNode<'a>, code: &NodeCodeBlock) {
        let line = node.data().sourcepos.start.line;
        let owner = self.owner(true);
        let prefix = match owner {
            Some(i) => self.rb.items[i].id.clone(),
            None => self.key(),
        };
        let id = self.unique(Kind::Step, &prefix, "step");
        let annotation = node.previous_sibling().and_then(|p| match &p.data().value {
            NodeValue::HtmlBlock(h) if h.literal.trim_start().starts_with("<!--") => {
                Some(h.literal.trim().to_string())
            }
            _ => None,
        });
        if !code.closed {
            self.rb.warnings.push(Warning {
                line: line as u32,
                message: "this code fence is never closed: everything after it is part of the step".into(),
            });
        }
        let info = code.info.trim().to_string();
        self.rb.steps.push(Step {
            id: id.clone(),
            item: owner.map(|i| self.rb.items[i].id.clone()),
            section: self.section_id(),
            phase: self.phase_id(),
            line: line as u32,
            lang: info
                .split_whitespace()
                .next()
                .map(|w| w.trim_matches(['{', '}', '.']).to_string()),
            expected: expected_lines(&code.literal),
            code: code.literal.replace("\r\n", "\n").replace('\r', "\n"),
            info,
            annotation,
        });
        if let Some(i) = owner {
            self.rb.items[i].steps.push(id.clone());
        }
        self.push(Block::Step { id });
    }
}

/// cmark-gfm's task rule on a line that starts at a list item: optional spaces, a list marker
/// (`-`, `+`, `*`, `1.`, `1)`), at least one space, `[ ]`, `[x]` or `[X]`, and a space or tab
/// after it. Returns the character in the box.
fn task_box(line: &str) -> Option<char> {
    let space = |c: char| matches!(c, ' ' | '\t' | '\u{b}' | '\u{c}');
    let rest = line.trim_start_matches(space);
    let rest = match rest.strip_prefix(['-', '+', '*']) {
        Some(r) => r,
        None => {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            rest[digits..].strip_prefix(['.', ')']).filter(|_| digits > 0)?
        }
    };
    let after = rest.trim_start_matches(space);
    if after.len() == rest.len() {
        return None;
    }
    let mark = match after.as_bytes() {
        [b'[', mark @ (b' ' | b'x' | b'X'), b']', next, ..] if space(char::from(*next)) => *mark,
        _ => return None,
    };
    Some(char::from(mark))
}

/// `[ ] text` → `text`: the box comrak leaves in the text of an item it did not see as a task.
fn strip_box(text: &str) -> &str {
    ["[ ]", "[x]", "[X]"]
        .iter()
        .find_map(|b| text.strip_prefix(b))
        .unwrap_or(text)
        .trim_start()
}

/// `# Expected: >95% pass rate` (or `//`, `--` comments) → `>95% pass rate`.
fn expected_lines(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let body = l
                .strip_prefix('#')
                .or_else(|| l.strip_prefix("//"))
                .or_else(|| l.strip_prefix("--"))?;
            let body = body.trim_start();
            let (word, rest) = body.split_once(':')?;
            word.trim()
                .eq_ignore_ascii_case("expected")
                .then(|| rest.trim().to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_task_rule_is_cmark_gfms() {
        assert_eq!(task_box("- [ ] a"), Some(' '));
        assert_eq!(task_box("  12) [X]\tb"), Some('X'));
        assert_eq!(
            task_box("* [x] "),
            Some('x'),
            "a space after the box, even at the end"
        );
        assert_eq!(task_box("- [ ]"), None, "nothing after the box");
        assert_eq!(task_box("- [ ]x"), None);
        assert_eq!(task_box("-[ ] a"), None, "no space after the marker");
        assert_eq!(
            task_box("- - [ ] a"),
            None,
            "the box must follow the first marker"
        );
        assert_eq!(task_box("> - [ ] a"), None, "a quote marker is not a list marker");
        assert_eq!(task_box("- [  ] a"), None);
        assert_eq!(strip_box("[x] Page the on-call"), "Page the on-call");
        assert_eq!(strip_box("Page [x]"), "Page [x]");
    }

    #[test]
    fn expected_comments() {
        assert_eq!(
            expected_lines("# Run\npython x.py\n  # Expected: >95% pass rate\n"),
            vec![">95% pass rate"]
        );
    }
}
