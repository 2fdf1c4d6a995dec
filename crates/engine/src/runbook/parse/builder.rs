//! The importer's state while it walks a file: the runbook being filled in, the container (preamble,
//! phase or section) the walk stands in, the task items still open, and the ids taken so far.
//!
//! Owns what every part of the walk shares: fresh ids per kind, where a block goes (`push`), who
//! owns a step or field (`owner`), warnings (one per line), and the last pass (`finish`) that ties
//! sign-offs and the decision to what they cover. Reading the nodes themselves is left to `walk`,
//! `items`, `sections` and `paragraph`.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::runbook::model::{Block, Runbook, Warning};

/// An open task item collecting what is written under it.
pub(super) struct Open {
    /// The comrak node's address, to match its end edge.
    pub(super) node: usize,
    pub(super) item: usize,
    pub(super) blocks: Vec<Block>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    Container,
    Item,
    Step,
    Field,
    SignOff,
}

/// Where the walker stands.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Container {
    Preamble,
    Phase(usize),
    Section(usize),
}

pub(super) struct Builder<'s> {
    file: &'s str,
    pub(super) lines: &'s [&'s str],
    pub(super) rb: Runbook,
    /// Ids taken so far, per kind: items, steps, fields, sign-offs and containers each have their
    /// own namespace, so a field never takes `-2` because an item has its name.
    ids: HashSet<(Kind, String)>,
    /// The next suffix to try per base id, so a thousand `- [ ] t` items stay linear.
    next_suffix: HashMap<(Kind, String), usize>,
    pub(super) container: Container,
    pub(super) open: Vec<Open>,
    /// The last top-level item of the current container: a step written after it belongs to it.
    pub(super) last_item: Option<usize>,
    pub(super) seen_heading: bool,
    /// Last line of a YAML front matter block (`---` … `---` at the top), 0 if none.
    pub(super) front_matter_end: usize,
    /// How many block quotes (or alerts) the walker is inside.
    pub(super) quotes: usize,
    /// Lines already warned about: one warning per line is enough.
    warned: HashSet<usize>,
}

impl<'s> Builder<'s> {
    pub(super) fn new(file: &'s str, lines: &'s [&'s str]) -> Self {
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

    pub(super) fn warn(&mut self, line: usize, message: &str) {
        if self.warned.insert(line) {
            self.rb.warnings.push(Warning {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                message: message.to_string(),
            });
        }
    }

    /// Source lines `from..=to` (1-based), dedented by their common indentation.
    pub(super) fn source(&self, from: usize, to: usize) -> String {
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

    pub(super) fn key(&self) -> String {
        match self.container {
            Container::Section(i) => self.rb.sections[i].id.clone(),
            Container::Phase(i) => self.rb.phases[i].id.clone(),
            Container::Preamble => String::new(),
        }
    }

    pub(super) fn section_id(&self) -> Option<String> {
        match self.container {
            Container::Section(i) => Some(self.rb.sections[i].id.clone()),
            _ => None,
        }
    }

    pub(super) fn phase_id(&self) -> Option<String> {
        match self.container {
            Container::Section(i) => self.rb.sections[i].phase.clone(),
            Container::Phase(i) => Some(self.rb.phases[i].id.clone()),
            Container::Preamble => None,
        }
    }

    /// A fresh id: `prefix.base`, then `-2`, `-3` for repeats.
    pub(super) fn unique(&mut self, kind: Kind, prefix: &str, base: &str) -> String {
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

    pub(super) fn push(&mut self, block: Block) {
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

    /// The item a step or field written here belongs to: the innermost open one, else (for steps)
    /// the last item above it in this container.
    pub(super) fn owner(&self, step: bool) -> Option<usize> {
        self.open
            .last()
            .map(|o| o.item)
            .or(if step { self.last_item } else { None })
    }

    pub(super) fn finish(mut self, sha256: String) -> Runbook {
        while !self.open.is_empty() {
            self.close_item();
        }
        let _ = self.file;
        self.rb.sha256 = sha256;
        // Each sign-off vouches for its phase's items and fields written since the previous one.
        let mut since: HashMap<Option<String>, u32> = Default::default();
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
