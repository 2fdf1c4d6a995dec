//! Text that looks like a task but does not import as one, found so the import can say where.
//!
//! `parse` decides what a task is (GFM's rule, see `parse::items`) and hands each paragraph here; this
//! module reads only the paragraph's plain text, with code spans and inline HTML masked, so nothing
//! in a code span or a code block is ever warned about. It finds, at the start of a line or of a
//! list item:
//! - `☐`, `☑` or `☒`, a character that only looks like a box;
//! - `-[ ]`, `*[x]`, `1.[ ]`: a list marker glued to its box;
//! - `- []`, `- [ ]x`, `- [  ]`, `- [ x]` and an empty `- [ ]`: a box GFM does not read;
//! - `[ ] text` on a line that is not a list item (a choice such as `[ ] GO [ ] NO-GO` is a field,
//!   not a look-alike);
//!
//! and a box (`[ ]`, `[x]`, `[]`, `☐` …) at the start of a table cell, since tables are kept as
//! prose. Each finding is a line number and a message; `parse` keeps one warning per line.

use comrak::nodes::{AstNode, NodeValue};

use super::fields;

/// What the first line of a paragraph starts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// A task's text: the box on that line was the task's own.
    TaskText,
    /// A list item that is not a task.
    ListItem,
    /// Nothing in particular.
    Line,
}

const NOT_A_TASK: &str = "this looks like a task but GFM does not read it as one: a task's box must \
     come right after the first list marker on its line (put a nested task on a line of its own)";

const EMPTY_TASK: &str = "`- [ ]` looks like a task but has no text, and GFM does not read it as one: \
     write what is to be done after the box";

/// Why a list item comrak reads as a task is not one (cmark-gfm, GitHub's renderer, disagrees):
/// `line` is the item's line from its list marker on.
pub(crate) fn not_a_task(line: &str) -> String {
    let after_marker = line
        .trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '*' | '.' | ')'))
        .trim_start_matches([' ', '\t']);
    match bracket(after_marker) {
        Some(Bracket::Empty) => EMPTY_TASK.to_string(),
        _ => NOT_A_TASK.to_string(),
    }
}

/// Stands for a code span or inline HTML, which never looks like anything.
const MASK: char = '\u{fffc}';

const BALLOTS: [char; 3] = ['☐', '☑', '☒'];

/// The look-alikes in a paragraph, as (line, message).
pub(crate) fn paragraph<'a>(node: &'a AstNode<'a>, start: Start) -> Vec<(usize, String)> {
    let lines = plain_lines(node);
    let header = delimiter_row(&lines).map(|d| d - 1);
    let mut out = Vec::new();
    for (i, (line, text)) in lines.iter().enumerate() {
        let found = match header {
            Some(h) if i == h + 1 => None,
            Some(h) if i >= h => table_row(text),
            _ => line_start(text, if i == 0 { start } else { Start::Line }),
        };
        if let Some(message) = found {
            out.push((*line, message));
        }
    }
    out
}

/// The paragraph's text line by line, with each line's number: emphasis and link markup dropped,
/// code spans and inline HTML as `MASK`.
fn plain_lines<'a>(node: &'a AstNode<'a>) -> Vec<(usize, String)> {
    let pos = node.data().sourcepos;
    let mut line = pos.start.line;
    let mut out = vec![(line, String::new())];
    for d in node.descendants().skip(1) {
        let data = d.data();
        match &data.value {
            NodeValue::Text(t) => {
                if let Some((_, text)) = out.last_mut() {
                    text.push_str(t);
                }
            }
            NodeValue::Code(_) | NodeValue::HtmlInline(_) => {
                if let Some((_, text)) = out.last_mut() {
                    text.push(MASK);
                }
                // A code span may run over several lines; the next line break follows its end.
                line = line.max(data.sourcepos.end.line.min(pos.end.line));
            }
            NodeValue::SoftBreak | NodeValue::LineBreak => {
                line += 1;
                out.push((line, String::new()));
            }
            _ => {}
        }
    }
    out
}

/// The box-like thing a text starts with.
#[derive(Debug, PartialEq, Eq)]
enum Bracket<'t> {
    /// `[ ]`, `[x]` or `[X]` followed by a space or tab.
    Box,
    /// `[ ]`, `[x]` or `[X]` and nothing after it.
    Empty,
    /// Anything else GFM would not read as a box: `[]`, `[  ]`, `[ x]`, `[ ]x`.
    Malformed(&'t str),
}

fn bracket(t: &str) -> Option<Bracket<'_>> {
    let rest = t.strip_prefix('[')?;
    let close = rest.char_indices().take(4).find(|&(_, c)| c == ']')?.0;
    let inner = &rest[..close];
    let spaces = inner.chars().filter(|c| matches!(c, ' ' | '\t')).count();
    let marks = inner.chars().filter(|c| matches!(c, 'x' | 'X')).count();
    if spaces + marks != inner.chars().count() || marks > 1 {
        return None;
    }
    let whole = &t[..close + 2];
    let after = &rest[close + 1..];
    Some(match (inner, after.chars().next()) {
        (" " | "x" | "X", None) => Bracket::Empty,
        (" " | "x" | "X", Some(' ' | '\t')) => Bracket::Box,
        (" " | "x" | "X", Some(c)) => Bracket::Malformed(&t[..whole.len() + c.len_utf8()]),
        _ => Bracket::Malformed(whole),
    })
}

/// `-[ ]`, `*[x]`, `1.[ ]`, `2)[]`: a list marker with no space before its box.
fn glued_marker(t: &str) -> Option<&str> {
    let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let after = if digits > 0 {
        t[digits..].strip_prefix(['.', ')'])?
    } else {
        t.strip_prefix(['-', '*', '+'])?
    };
    let marker = t.len() - after.len();
    match bracket(after)? {
        Bracket::Malformed(b) => Some(&t[..marker + b.len()]),
        Bracket::Box | Bracket::Empty => Some(&t[..marker + 3]),
    }
}

/// `2. [ ] text` or `- [x] text` that is a paragraph's text, not a list: the marker and the box.
fn spaced_marker(t: &str) -> Option<(&str, &str)> {
    let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let after = if digits > 0 {
        t[digits..].strip_prefix(['.', ')'])?
    } else {
        t.strip_prefix(['-', '*', '+'])?
    };
    let marker = &t[..t.len() - after.len()];
    let boxed = after.trim_start_matches([' ', '\t']);
    (boxed.len() < after.len() && bracket(boxed) == Some(Bracket::Box)).then(|| (marker, &boxed[..3]))
}

fn line_start(text: &str, start: Start) -> Option<String> {
    if start == Start::TaskText {
        return None;
    }
    let t = text.trim_start_matches([' ', '\t']);
    if let Some(c) = t.chars().next().filter(|c| BALLOTS.contains(c)) {
        return Some(format!(
            "`{c}` looks like a task but is a plain character: write `- [ ] …` to make it a task"
        ));
    }
    if let Some((marker, boxed)) = spaced_marker(t) {
        let number = marker.trim_end_matches(['.', ')']);
        let why = if number.starts_with(|c: char| c.is_ascii_digit()) && number != "1" {
            "a numbered list can interrupt a paragraph only when it starts at 1: leave a blank line \
             above it"
        } else {
            "an escaped list marker, or a list nested more than 100 levels deep"
        };
        return Some(format!(
            "`{marker} {boxed}` looks like a task but GFM reads this line as text ({why})"
        ));
    }
    if let Some(glued) = glued_marker(t) {
        return Some(format!(
            "`{glued}` looks like a task but is not one: put a space after the list marker (`- [ ] …`)"
        ));
    }
    match (bracket(t)?, start) {
        (Bracket::Box, Start::ListItem) => Some(NOT_A_TASK.to_string()),
        (Bracket::Empty, Start::ListItem) => Some(EMPTY_TASK.to_string()),
        (Bracket::Malformed(b), Start::ListItem) => Some(format!(
            "`- {b}` looks like a task but is not one: the box is `[ ]`, `[x]` or `[X]`, then a space"
        )),
        (Bracket::Box | Bracket::Empty, Start::Line) if !is_field_line(t) => Some(format!(
            "`{}` looks like a task but has no list marker: write `- {} …`",
            &t[..3],
            &t[..3]
        )),
        _ => None,
    }
}

/// `[ ] GO [ ] NO-GO`, `[ ] Success [ ] Failed ___`: a line of fields, which is not a look-alike.
fn is_field_line(t: &str) -> bool {
    !fields::line_fields(&fields::tokenize(t)).is_empty()
}

/// The index of a GFM table's delimiter row (`|---|:--:|`), when the paragraph holds a table.
fn delimiter_row(lines: &[(usize, String)]) -> Option<usize> {
    let is_delimiter = |row: &str| {
        let row = row.trim();
        row.contains('|')
            && row.contains('-')
            && row.trim_matches('|').split('|').all(|cell| {
                let cell = cell.trim().trim_start_matches(':').trim_end_matches(':');
                !cell.is_empty() && cell.chars().all(|c| c == '-')
            })
    };
    (1..lines.len()).find(|&i| is_delimiter(&lines[i].1) && lines[i - 1].1.contains('|'))
}

fn table_row(text: &str) -> Option<String> {
    text.split('|').find_map(|cell| {
        let cell = cell.trim_start_matches([' ', '\t']);
        let mark = match cell.chars().next()? {
            c if BALLOTS.contains(&c) => c.to_string(),
            _ => match bracket(cell)? {
                Bracket::Box | Bracket::Empty => cell[..3].to_string(),
                Bracket::Malformed(b) if b == "[]" => b.to_string(),
                Bracket::Malformed(_) => return None,
            },
        };
        Some(format!(
            "`{mark}` at the start of a table cell looks like a task, but tables are kept as prose: \
             make it a list item (`- [ ] …`)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_are_told_apart() {
        assert_eq!(bracket("[ ] a"), Some(Bracket::Box));
        assert_eq!(bracket("[x]\tb"), Some(Bracket::Box));
        assert_eq!(bracket("[X]"), Some(Bracket::Empty));
        assert_eq!(bracket("[] a"), Some(Bracket::Malformed("[]")));
        assert_eq!(bracket("[  ] a"), Some(Bracket::Malformed("[  ]")));
        assert_eq!(bracket("[ x] a"), Some(Bracket::Malformed("[ x]")));
        assert_eq!(bracket("[ ]x"), Some(Bracket::Malformed("[ ]x")));
        assert_eq!(bracket("[ ]é"), Some(Bracket::Malformed("[ ]é")));
        assert_eq!(bracket("[link](x)"), None, "a link is not a box");
        assert_eq!(bracket("[xx]"), None);
        assert_eq!(bracket("["), None);
    }

    #[test]
    fn a_task_line_read_as_text_names_its_marker() {
        assert_eq!(spaced_marker("2. [ ] a"), Some(("2.", "[ ]")));
        assert_eq!(spaced_marker("- [x] a"), Some(("-", "[x]")));
        assert_eq!(spaced_marker("- [ ]"), None, "an empty box is another warning");
        assert_eq!(spaced_marker("-[ ] a"), None, "a glued marker is another warning");
        assert_eq!(spaced_marker("10) [X] a"), Some(("10)", "[X]")));
        assert!(line_start("10. [ ] a", Start::Line).is_some_and(|m| m.contains("starts at 1")));
        // `\- [ ] a` in the source: the paragraph's text has the marker unescaped.
        assert!(line_start("- [ ] a", Start::Line).is_some_and(|m| m.contains("escaped")));
    }

    #[test]
    fn an_empty_task_is_told_from_one_nested_on_its_line() {
        assert!(not_a_task("- [ ]").contains("no text"));
        assert!(not_a_task("1. [x]").contains("no text"));
        assert!(not_a_task("- - [ ] x").contains("own"));
    }

    #[test]
    fn a_table_needs_a_delimiter_row_under_a_row_with_pipes() {
        let rows = |r: &[&str]| {
            r.iter()
                .enumerate()
                .map(|(i, t)| (i + 1, t.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            delimiter_row(&rows(&["| a | b |", "|---|:-:|", "| [ ] | x |"])),
            Some(1)
        );
        assert_eq!(delimiter_row(&rows(&["a | b", "--- | ---"])), Some(1));
        assert_eq!(delimiter_row(&rows(&["text", "|---|"])), None, "no header row");
        assert_eq!(
            delimiter_row(&rows(&["| a |", "| b |"])),
            None,
            "no delimiter row"
        );
        assert!(table_row("| Rotate | [ ] |").is_some_and(|m| m.contains("`[ ]`")));
        assert!(table_row("| ☐ done | x |").is_some());
        assert_eq!(table_row("| done [ ] | x |"), None, "only at the start of a cell");
    }

    #[test]
    fn glued_markers_keep_their_text() {
        assert_eq!(glued_marker("-[ ] a"), Some("-[ ]"));
        assert_eq!(glued_marker("12.[x] a"), Some("12.[x]"));
        assert_eq!(glued_marker("*[] a"), Some("*[]"));
        assert_eq!(
            glued_marker("- [ ] a"),
            None,
            "a space after the marker is a list"
        );
        assert_eq!(glued_marker("-1 [ ]"), None);
    }
}
