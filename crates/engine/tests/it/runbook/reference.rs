//! The reference the import is compared with: what cmark-gfm (the GFM reference implementation)
//! counts, and what GitHub shows.
//!
//! Debian's cmark-gfm (0.29) renders no check box for a task inside a block quote, where GitHub
//! does; the reference here is cmark-gfm's count plus those quoted tasks, which are found in
//! cmark-gfm's own tree (list items under a `block_quote` whose line, from the item's column,
//! follows GFM's task rule).

use std::io::Write;
use std::process::{Command, Stdio};

use flightdeck_engine::runbook::Runbook;

/// Task items, checked items and fenced code blocks as cmark-gfm counts them (the same rules as
/// `shared/tools/gfm-counts`).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Reference {
    pub(super) items: usize,
    pub(super) checked: usize,
    pub(super) fenced: usize,
}

fn cmark(args: &[&str], input: &[u8]) -> String {
    let mut child = Command::new("cmark-gfm")
        .args(["-e", "tasklist"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cmark-gfm is installed (make test installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write to cmark-gfm");
    let out = child.wait_with_output().expect("cmark-gfm runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Items and checked items only: the XML of 10,000-deep nesting is indented quadratically.
pub(super) fn reference_items(input: &[u8]) -> (usize, usize) {
    let html = cmark(&["-t", "html"], input);
    (
        html.matches("type=\"checkbox\"").count(),
        html.matches("checked=\"\"").count(),
    )
}

/// What cmark-gfm 0.29 counts (the same rules as `shared/tools/gfm-counts`), what its tasks' own
/// lines say, and the tasks it leaves as text inside block quotes.
#[derive(Debug)]
pub(super) struct Cmark {
    pub(super) counts: Reference,
    /// Tasks and checked tasks as each task's own first line says. cmark-gfm 0.29 also reads the
    /// box rule on an item's later, lazy lines: `- > quote` over `      - [x] text` becomes a
    /// checked task, and `- [ ] a` over such a line turns checked. By the GFM spec a task is an
    /// item whose first block starts with the box, so only the item's own line counts.
    pub(super) own_line: (usize, usize),
    /// List items under a `block_quote` whose line, from the item's column, follows GFM's task
    /// rule: GitHub renders them as tasks, cmark-gfm 0.29 as text.
    pub(super) quoted: usize,
    pub(super) quoted_checked: usize,
}

pub(super) fn cmark_counts(input: &[u8]) -> Cmark {
    let (items, checked) = reference_items(input);
    let xml = cmark(&["--sourcepos", "-t", "xml"], input);
    let text = String::from_utf8_lossy(input);
    // cmark-gfm counts `\r`, `\n` and `\r\n` as line ends, like our parser.
    let lines: Vec<&str> = text
        .split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
        .collect();
    let source_at = |pos: &str| {
        let mut nums = pos.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty());
        let (Some(line), Some(col)) = (nums.next(), nums.next()) else {
            return ("", "");
        };
        let (line, col): (usize, usize) = (line.parse().unwrap_or(0), col.parse().unwrap_or(0));
        let whole = lines.get(line.wrapping_sub(1)).copied().unwrap_or("");
        (whole, whole.get(col.saturating_sub(1)..).unwrap_or(""))
    };
    let mut fenced = 0;
    for (i, _) in xml.match_indices("<code_block sourcepos=\"") {
        let src = source_at(&xml[i + 23..]).1;
        if src.trim_start().starts_with("```") || src.trim_start().starts_with("~~~") {
            fenced += 1;
        }
    }
    // GFM's task rule, on a line from where its list item starts.
    let task_rule =
        regex::Regex::new(r"^[ \t\x0b\x0c]*(?:[-+*]|[0-9]+[.)])[ \t\x0b\x0c]+\[([ xX])\][ \t\x0b\x0c]")
            .expect("regex");
    let (mut quoted, mut quoted_checked, mut own, mut own_checked) = (0, 0, 0, 0);
    // Walk the XML's tags, keeping the stack of open elements, to see which items are quoted.
    let mut open: Vec<bool> = Vec::new();
    for tag in xml.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        if tag.starts_with(['?', '!']) {
            continue;
        }
        if tag.starts_with('/') {
            open.pop();
            continue;
        }
        let name = tag.split_whitespace().next().unwrap_or("");
        let pos = tag.split("sourcepos=\"").nth(1).unwrap_or("");
        if name == "item" && open.iter().any(|&q| q) {
            if let Some(m) = task_rule.captures(source_at(pos).1) {
                quoted += 1;
                quoted_checked += usize::from(&m[1] != " ");
            }
        }
        if name == "tasklist" {
            let line = source_at(pos).0;
            if task_rule.is_match(line) {
                own += 1;
                own_checked += usize::from(line.contains("[x]") || line.contains("[X]"));
            }
        }
        if !tag.ends_with('/') {
            open.push(name == "block_quote");
        }
    }
    Cmark {
        counts: Reference {
            items,
            checked,
            fenced,
        },
        own_line: (own, own_checked),
        quoted,
        quoted_checked,
    }
}

/// What GitHub shows: cmark-gfm's tasks as their own lines say, plus the tasks inside block
/// quotes.
pub(super) fn reference(input: &[u8]) -> Reference {
    let c = cmark_counts(input);
    Reference {
        items: c.own_line.0 + c.quoted,
        checked: c.own_line.1 + c.quoted_checked,
        fenced: c.counts.fenced,
    }
}

pub(super) fn ours(rb: &Runbook) -> Reference {
    Reference {
        items: rb.items.len(),
        checked: rb.items.iter().filter(|i| i.checked).count(),
        fenced: rb.steps.len(),
    }
}
