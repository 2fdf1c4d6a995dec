//! Markdown (CommonMark + GFM) → `Runbook`.
//!
//! comrak (a port of cmark-gfm, the GFM reference) finds the block structure: headings, list
//! items, fenced code blocks, paragraphs. This module walks that tree once, without recursion (a
//! file may nest 10,000 levels deep), decides which list items are tasks (`task`: cmark-gfm's rule,
//! plus the tasks GitHub shows in block quotes and alerts), and reads the checklist conventions off
//! the source lines: bold labels with blanks (`**Size**: ___ GB`), `[ ] A [ ] B` choices, sign-off
//! slots, the GO / NO-GO decision, the header metadata and `**Timeframe**` lines. What it does not
//! understand it keeps as prose, in order. The field-line grammar lives in `fields`; the warnings
//! about text that looks like a task but is not one in `tasklike`.

use std::collections::HashSet;
use std::path::Path;

use comrak::arena_tree::NodeEdge;
use comrak::nodes::{AstNode, NodeValue};
use comrak::{Arena, Options};
use sha2::{Digest, Sha256};

use super::fields::{self, LineField, Tok};
use super::model::{
    slug, Block, Decision, Field, Item, MetaField, Phase, Runbook, Section, SignOff, Step, Timeframe, Warning,
};
use super::tasklike::{self, Start};

/// Larger files are refused: no real checklist comes close, and parsing stays well under a second.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// Words kept from a title or label when it becomes part of an id.
const ID_WORDS: usize = 6;

/// Why a file could not be imported, and where (`line` is 1-based; 0 when no line applies).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ImportError {
    pub file: String,
    pub line: u32,
    pub message: String,
}

pub fn load(path: &Path) -> Result<Runbook, ImportError> {
    let (name, bytes) = super::read_source(&path.display().to_string())?;
    parse(&name, &bytes)
}

/// Import a runbook from its bytes. `name` is used in errors and kept as `Runbook::name`.
pub fn parse(name: &str, bytes: &[u8]) -> Result<Runbook, ImportError> {
    let text = decode(name, bytes)?;
    let arena = Arena::new();
    let root = comrak::parse_document(&arena, text, &options());
    let lines = split_lines(text);
    let mut builder = Builder::new(name, &lines);
    builder.walk(root);
    let runbook = builder.finish(hex::encode(Sha256::digest(bytes)));
    // A malformed step annotation is the file's error, not something to find mid-cutover.
    let annotated = |s: &Step| {
        s.annotation.as_deref().is_some_and(|a| {
            a.trim_start_matches("<!--")
                .trim_start()
                .starts_with("flightdeck")
        }) || s.info.contains("flightdeck=")
    };
    for step in runbook.steps.iter().filter(|s| annotated(s)) {
        if let Err(e) = crate::probe::Spec::from_step(step) {
            return Err(error(
                name,
                e.line as usize,
                format!("step `{}`: {}", step.id, e.message),
            ));
        }
    }
    Ok(runbook)
}

fn error(file: &str, line: usize, message: impl Into<String>) -> ImportError {
    ImportError {
        file: file.to_string(),
        line: u32::try_from(line).unwrap_or(u32::MAX),
        message: message.into(),
    }
}

/// Text, or an error saying why these bytes are not a Markdown file.
fn decode<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, ImportError> {
    if bytes.len() > MAX_BYTES {
        return Err(error(
            name,
            0,
            format!(
                "file is {} bytes; runbooks are limited to {} MiB",
                bytes.len(),
                MAX_BYTES >> 20
            ),
        ));
    }
    let line_of = |offset: usize| 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count();
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(error(
            name,
            line_of(at),
            "binary data (a NUL byte), not a Markdown file",
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        error(
            name,
            line_of(at),
            format!(
                "not UTF-8 (invalid byte 0x{:02x}); save the file as UTF-8",
                bytes[at]
            ),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(error(name, 1, "the file is empty"));
    }
    Ok(text)
}

fn options() -> Options<'static> {
    let mut o = Options::default();
    // Only the task-list extension changes block structure the way the reference (cmark-gfm -e
    // tasklist) does; tables are kept as prose. Strikethrough and autolinks are inline-only.
    o.extension.tasklist = true;
    o.extension.strikethrough = true;
    o.extension.autolink = true;
    // YAML front matter is left to the reference's reading (a rule, a paragraph, a setext
    // heading); `Builder` only keeps its headings from becoming the title or phases.
    o
}

/// Source lines as comrak counts them (`\n`, `\r\n` and a lone `\r` all end a line).
fn split_lines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                out.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        out.push(&text[start..]);
    }
    out
}

/// The plain text of a node's inlines on lines before `before_line`: emphasis markers dropped,
/// breaks as spaces.
fn inline_text<'a>(node: &'a AstNode<'a>, before_line: usize) -> String {
    let mut out = String::new();
    for d in node.descendants() {
        if d.data().sourcepos.start.line >= before_line {
            break;
        }
        match &d.data().value {
            NodeValue::Text(t) => out.push_str(t),
            NodeValue::Code(c) => out.push_str(&c.literal),
            NodeValue::SoftBreak | NodeValue::LineBreak => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn addr(node: &AstNode<'_>) -> usize {
    std::ptr::from_ref(node) as usize
}

fn is_fenced(node: &AstNode<'_>) -> bool {
    matches!(&node.data().value, NodeValue::CodeBlock(c) if c.fenced)
}

/// A block quote, or a GitHub alert (`> [!NOTE]`) when comrak is asked to read those.
fn is_quote(node: &AstNode<'_>) -> bool {
    matches!(
        node.data().value,
        NodeValue::BlockQuote | NodeValue::MultilineBlockQuote(_) | NodeValue::Alert(_)
    )
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

/// An open task item collecting what is written under it.
struct Open {
    /// The comrak node's address, to match its end edge.
    node: usize,
    item: usize,
    blocks: Vec<Block>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Container,
    Item,
    Step,
    Field,
    SignOff,
}

/// Where the walker stands.
#[derive(Clone, Copy, PartialEq)]
enum Container {
    Preamble,
    Phase(usize),
    Section(usize),
}

struct Builder<'s> {
    file: &'s str,
    lines: &'s [&'s str],
    rb: Runbook,
    /// Ids taken so far, per kind: items, steps, fields, sign-offs and containers each have their
    /// own namespace, so a field never takes `-2` because an item has its name.
    ids: HashSet<(Kind, String)>,
    /// The next suffix to try per base id, so a thousand `- [ ] t` items stay linear.
    next_suffix: std::collections::HashMap<(Kind, String), usize>,
    container: Container,
    open: Vec<Open>,
    /// The last top-level item of the current container: a step written after it belongs to it.
    last_item: Option<usize>,
    seen_heading: bool,
    /// Last line of a YAML front matter block (`---` … `---` at the top), 0 if none.
    front_matter_end: usize,
    /// How many block quotes (or alerts) the walker is inside.
    quotes: usize,
    /// Lines already warned about: one warning per line is enough.
    warned: HashSet<usize>,
}

impl<'s> Builder<'s> {
    fn new(file: &'s str, lines: &'s [&'s str]) -> Self {
        let name = Path::new(file)
            .file_name()
            .map_or(file.to_string(), |n| n.to_string_lossy().into_owned());
        Builder {
            file,
            lines,
            rb: Runbook {
                name,
                ..Runbook::default()
            },
            ids: HashSet::new(),
            next_suffix: Default::default(),
            container: Container::Preamble,
            open: Vec::new(),
            last_item: None,
            seen_heading: false,
            front_matter_end: front_matter_end(lines),
            quotes: 0,
            warned: HashSet::new(),
        }
    }

    fn warn(&mut self, line: usize, message: &str) {
        if self.warned.insert(line) {
            self.rb.warnings.push(Warning {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                message: message.to_string(),
            });
        }
    }

    fn walk<'a>(&mut self, root: &'a AstNode<'a>) {
        for edge in root.traverse() {
            match edge {
                NodeEdge::Start(node) => {
                    if is_quote(node) {
                        self.quotes += 1;
                    }
                    self.start(node);
                }
                NodeEdge::End(node) => {
                    if self.open.last().is_some_and(|o| o.node == addr(node)) {
                        self.close_item();
                    }
                    if is_quote(node) {
                        self.quotes = self.quotes.saturating_sub(1);
                    }
                }
            }
        }
    }

    fn start<'a>(&mut self, node: &'a AstNode<'a>) {
        let top = node
            .parent()
            .is_some_and(|p| matches!(p.data().value, NodeValue::Document));
        let value = node.data().value.clone();
        match value {
            NodeValue::Heading(h)
                if top && h.level <= 3 && node.data().sourcepos.start.line > self.front_matter_end =>
            {
                self.heading(node, h.level)
            }
            NodeValue::TaskItem(_) | NodeValue::Item(_) => match self.task(node) {
                Some(checked) => self.open_item(node, checked),
                // comrak reads a task here but GFM's reference does not (`- - [ ] x`, `- [ ]`).
                None if matches!(value, NodeValue::TaskItem(_)) => {
                    let start = node.data().sourcepos.start;
                    let line = self.lines.get(start.line.wrapping_sub(1)).copied().unwrap_or("");
                    let from = line.get(start.column.saturating_sub(1)..).unwrap_or(line);
                    self.warn(start.line, &tasklike::not_a_task(from));
                }
                None => {}
            },
            NodeValue::Heading(_) if self.is_task_text(node) => {
                // A setext heading that opens a task (`- [ ] Text` over `  ---`) is its text.
            }
            NodeValue::Paragraph => self.paragraph(node, top),
            NodeValue::CodeBlock(c) if c.fenced => self.step(node, &c),
            NodeValue::HtmlBlock(_) if node.next_sibling().is_some_and(is_fenced) => {
                // The comment above a fence is that step's annotation (see `step`).
            }
            NodeValue::Heading(_)
            | NodeValue::CodeBlock(_)
            | NodeValue::HtmlBlock(_)
            | NodeValue::FrontMatter(_)
            | NodeValue::Table(_) => {
                let line = node.data().sourcepos.start.line;
                let end = node.data().sourcepos.end.line;
                let text = self.source(line, end);
                self.push(Block::Prose {
                    line: line as u32,
                    text,
                });
            }
            _ => {}
        }
    }

    /// Source lines `from..=to` (1-based), dedented by their common indentation.
    fn source(&self, from: usize, to: usize) -> String {
        let from = from.max(1);
        let to = to.min(self.lines.len());
        if from > to {
            return String::new();
        }
        let lines = &self.lines[from - 1..to];
        let indent = lines
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
            .min()
            .unwrap_or(0);
        lines
            .iter()
            .map(|l| l.get(indent..).unwrap_or("").trim_end())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn key(&self) -> String {
        match self.container {
            Container::Section(i) => self.rb.sections[i].id.clone(),
            Container::Phase(i) => self.rb.phases[i].id.clone(),
            Container::Preamble => String::new(),
        }
    }

    fn section_id(&self) -> Option<String> {
        match self.container {
            Container::Section(i) => Some(self.rb.sections[i].id.clone()),
            _ => None,
        }
    }

    fn phase_id(&self) -> Option<String> {
        match self.container {
            Container::Section(i) => self.rb.sections[i].phase.clone(),
            Container::Phase(i) => Some(self.rb.phases[i].id.clone()),
            Container::Preamble => None,
        }
    }

    /// A fresh id: `prefix.base`, then `-2`, `-3` for repeats.
    fn unique(&mut self, kind: Kind, prefix: &str, base: &str) -> String {
        let base = if prefix.is_empty() {
            base.to_string()
        } else {
            format!("{prefix}.{base}")
        };
        if self.ids.insert((kind, base.clone())) {
            return base;
        }
        let next = self.next_suffix.entry((kind, base.clone())).or_insert(2);
        loop {
            let id = format!("{base}-{next}");
            *next += 1;
            if self.ids.insert((kind, id.clone())) {
                return id;
            }
        }
    }

    fn push(&mut self, block: Block) {
        let blocks = match self.open.last_mut() {
            Some(open) => &mut open.blocks,
            None => match self.container {
                Container::Section(i) => &mut self.rb.sections[i].blocks,
                Container::Phase(i) => &mut self.rb.phases[i].blocks,
                Container::Preamble => &mut self.rb.preamble,
            },
        };
        // Adjacent prose reads as one block.
        if let (Block::Prose { text, .. }, Some(Block::Prose { text: prev, .. })) =
            (&block, blocks.last_mut())
        {
            prev.push('\n');
            prev.push_str(text);
            return;
        }
        blocks.push(block);
    }

    fn heading<'a>(&mut self, node: &'a AstNode<'a>, level: u8) {
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
    fn task(&self, node: &AstNode<'_>) -> Option<bool> {
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
    fn is_task_text(&self, node: &AstNode<'_>) -> bool {
        node.previous_sibling().is_none() && node.parent().is_some_and(|p| self.task(p).is_some())
    }

    fn open_item<'a>(&mut self, node: &'a AstNode<'a>, checked: bool) {
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

    fn close_item(&mut self) {
        if let Some(open) = self.open.pop() {
            self.rb.items[open.item].blocks = open.blocks;
        }
    }

    /// The item a step or field written here belongs to: the innermost open one, else (for steps)
    /// the last item above it in this container.
    fn owner(&self, step: bool) -> Option<usize> {
        self.open
            .last()
            .map(|o| o.item)
            .or(if step { self.last_item } else { None })
    }

    fn step<'a>(&mut self, node: &'a AstNode<'a>, code: &comrak::nodes::NodeCodeBlock) {
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

    /// The text of line `n` (1-based) of a paragraph, without list markers, quote markers or the
    /// task box.
    fn para_line(&self, n: usize, first: bool, column: usize, item_text: bool) -> &'s str {
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

    fn paragraph<'a>(&mut self, node: &'a AstNode<'a>, top: bool) {
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

    fn finish(mut self, sha256: String) -> Runbook {
        while !self.open.is_empty() {
            self.close_item();
        }
        let _ = self.file;
        self.rb.sha256 = sha256;
        // Each sign-off vouches for its phase's items and fields written since the previous one.
        let mut since: std::collections::HashMap<Option<String>, u32> = Default::default();
        for so in &mut self.rb.signoffs {
            let from = since.insert(so.phase.clone(), so.line).unwrap_or(0);
            let within =
                |phase: &Option<String>, line: u32| *phase == so.phase && line > from && line < so.line;
            so.items = self
                .rb
                .items
                .iter()
                .filter(|i| within(&i.phase, i.line))
                .map(|i| i.id.clone())
                .collect();
            so.fields = self
                .rb
                .fields
                .iter()
                .filter(|f| within(&f.phase, f.line))
                .map(|f| f.id.clone())
                .collect();
        }
        if let Some(d) = &mut self.rb.decision {
            d.criteria = self
                .rb
                .items
                .iter()
                .filter(|i| i.critical)
                .map(|i| i.id.clone())
                .collect();
        }
        self.rb
    }
}

/// `---` on the first line and a closing `---` or `...` later: YAML front matter.
fn front_matter_end(lines: &[&str]) -> usize {
    if lines.first().map(|l| l.trim_end()) != Some("---") {
        return 0;
    }
    lines
        .iter()
        .skip(1)
        .position(|l| matches!(l.trim_end(), "---" | "..."))
        .map_or(0, |i| i + 2)
}

fn non_empty(s: String, fallback: &str) -> String {
    if s.is_empty() {
        fallback.to_string()
    } else {
        s
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

/// `T-24 to T-4 Hours` → −1440..−240 minutes; `T-Hour` → 0..60; `T+15 to T+60 Minutes` → 15..60.
fn timeframe(text: &str) -> Timeframe {
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
    fn section_numbers() {
        assert_eq!(section_number("3. Backup & Recovery").as_deref(), Some("3"));
        assert_eq!(section_number("2.1 Foo").as_deref(), Some("2.1"));
        assert_eq!(section_number("Critical Success Criteria"), None);
        assert_eq!(section_number("2024 plans"), None);
    }

    #[test]
    fn expected_comments() {
        assert_eq!(
            expected_lines("# Run\npython x.py\n  # Expected: >95% pass rate\n"),
            vec![">95% pass rate"]
        );
    }
}
