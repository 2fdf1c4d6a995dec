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
//!
//! Here: the entry points, decoding the bytes and the file-level checks. The rest, one file per
//! concern: `builder` (the state the walk fills in: ids, containers, open items), `walk` (the
//! one pass over comrak's tree, dispatching each node), `items` (tasks and the steps under them),
//! `sections` (phases, sections and their timeframes), `paragraph` (the lines of a paragraph:
//! fields, header metadata, sign-off slots, the decision). SLO lines are read by
//! `signals::slo`; here they only add their warnings.

use std::path::Path;

use comrak::{Arena, Options};
use sha2::{Digest, Sha256};

use super::model::{Runbook, Step};
use builder::Builder;

mod builder;
mod items;
mod paragraph;
mod sections;
mod walk;

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
    let mut runbook = builder.finish(hex::encode(Sha256::digest(bytes)));
    // An SLO-looking item that does not read as one stays a plain item, with a warning.
    let (_, slo_warnings) = crate::signals::slo::from_runbook(&runbook);
    for w in slo_warnings {
        if !runbook.warnings.iter().any(|o| o.line == w.line) {
            runbook.warnings.push(w);
        }
    }
    runbook.warnings.sort_by_key(|w| w.line);
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

fn non_empty(s: String, fallback: &str) -> String {
    if s.is_empty() {
        fallback.to_string()
    } else {
        s
    }
}
