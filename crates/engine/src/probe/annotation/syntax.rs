//! The raw text of an annotation: the `<!-- flightdeck: KIND -->` comment right above the fence
//! (its `key: value` lines, indented lines continuing a value) and the `key=value` attributes of
//! the fence's info string, read into [`Entry`]s with their runbook lines. What the keys mean is
//! the rest of `annotation`'s business, and each kind's.

use super::{AnnotationError, COMMON_KEYS, KINDS};
use crate::probe::shell;
use crate::runbook::Step;

/// One `key: value` (or `key=value`) of an annotation, with its runbook line.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub key: String,
    pub value: String,
    pub line: u32,
    pub used: bool,
}

/// The `<!-- flightdeck: KIND ... -->` comment before the fence: kind, entries, first line.
#[allow(clippy::type_complexity)]
pub(super) fn comment(step: &Step) -> Result<Option<(String, Vec<Entry>, u32)>, AnnotationError> {
    let Some(raw) = step.annotation.as_deref() else {
        return Ok(None);
    };
    let n_lines = raw.lines().count() as u32;
    let first_line = step.line.saturating_sub(n_lines).max(1);
    let Some(inner) = raw.trim().strip_prefix("<!--") else {
        return Ok(None);
    };
    let inner = inner.strip_suffix("-->").unwrap_or(inner);
    let inner_trim = inner.trim_start();
    let Some(after) = inner_trim.strip_prefix("flightdeck") else {
        return Ok(None);
    };
    let Some(after) = after.trim_start().strip_prefix(':') else {
        return Ok(None);
    };
    // Line numbers: the comment's first line is `first_line`; lines before `flightdeck` are blank.
    let skipped = inner[..inner.len() - inner_trim.len()].matches('\n').count() as u32;
    let mut lines = after.split('\n');
    let kind_line = first_line + skipped;
    let kind = lines.next().unwrap_or("").trim().to_owned();
    if kind.is_empty() {
        return Err(AnnotationError::new(
            kind_line,
            format!("`flightdeck:` needs a probe kind ({})", KINDS.join(", ")),
        ));
    }
    if !KINDS.contains(&kind.as_str()) {
        return Err(AnnotationError::new(
            kind_line,
            format!("unknown probe kind `{kind}` (known: {})", KINDS.join(", ")),
        ));
    }
    let mut entries: Vec<Entry> = Vec::new();
    for (i, l) in lines.enumerate() {
        let line = kind_line + 1 + i as u32;
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        // An indented line continues the previous value (a long query, a JSON body).
        if l.starts_with([' ', '\t']) {
            if let Some(last) = entries.last_mut() {
                last.value.push('\n');
                last.value.push_str(l.trim());
                continue;
            }
        }
        let (k, v) = l.split_once(':').ok_or_else(|| {
            AnnotationError::new(line, format!("expected `key: value`, got `{}`", l.trim()))
        })?;
        let key = k.trim().to_ascii_lowercase();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(AnnotationError::new(
                line,
                format!("expected `key: value`, got `{}`", l.trim()),
            ));
        }
        entries.push(Entry {
            key,
            value: v.trim().to_owned(),
            line,
            used: false,
        });
    }
    Ok(Some((kind, entries, first_line)))
}

/// `key=value` / `key="value with spaces"` attributes after the fence's language, optionally in
/// `{...}`. Only read when they name a kind (`flightdeck=http`) or the block is a shell block.
#[allow(clippy::type_complexity)]
pub(super) fn info_attributes(step: &Step) -> Result<(Option<(String, u32)>, Vec<Entry>), AnnotationError> {
    let line = step.line;
    let info = step.info.trim();
    let rest = match info.split_once(char::is_whitespace) {
        Some((first, rest)) if !first.contains('=') => rest,
        Some(_) => info,
        None if info.contains('=') => info,
        None => return Ok((None, Vec::new())),
    };
    let rest = rest.trim();
    let rest = rest
        .strip_prefix('{')
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or(rest);
    let attrs = attributes(rest, line)?;
    let kind = attrs
        .iter()
        .find(|(k, _)| k == "flightdeck")
        .and_then(|(_, v)| v.clone());
    if let Some(k) = &kind {
        if !KINDS.contains(&k.as_str()) {
            return Err(AnnotationError::new(
                line,
                format!("unknown probe kind `{k}` (known: {})", KINDS.join(", ")),
            ));
        }
    }
    let lang = step.lang.as_deref().unwrap_or("");
    let ours = kind.is_some() || lang.is_empty() || shell::LANGS.contains(&lang);
    let entries = if ours {
        attrs
            .into_iter()
            .filter(|(k, _)| k != "flightdeck")
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            // Unannotated shell blocks keep attributes meant for other tools (`title=...`).
            .filter(|(k, _)| {
                kind.is_some() || COMMON_KEYS.contains(&k.as_str()) || shell::FENCE_KEYS.contains(&k.as_str())
            })
            .map(|(key, value)| Entry {
                key: key.to_ascii_lowercase(),
                value,
                line,
                used: false,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok((kind.map(|k| (k, line)), entries))
}

/// The attributes of a fence's info string, in order: `key=value`, `key="quoted \" value"`, or a
/// bare word (`.class`, `#id`, a title: not ours, kept without a value).
fn attributes(rest: &str, line: u32) -> Result<Vec<(String, Option<String>)>, AnnotationError> {
    let mut attrs = Vec::new();
    let chars: Vec<char> = rest.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i == chars.len() {
            break;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '=' {
            i += 1;
        }
        let key: String = chars[start..i].iter().collect();
        if i == chars.len() || chars[i] != '=' {
            attrs.push((key, None));
            continue;
        }
        i += 1;
        let mut value = String::new();
        if chars.get(i) == Some(&'"') {
            i = quoted(&chars, i + 1, &mut value).ok_or_else(|| {
                AnnotationError::new(line, format!("unclosed quote in the fence attribute `{key}`"))
            })?;
        } else {
            while i < chars.len() && !chars[i].is_whitespace() {
                value.push(chars[i]);
                i += 1;
            }
        }
        attrs.push((key, Some(value)));
    }
    Ok(attrs)
}

/// Reads a quoted value starting after its opening quote into `value`, `\x` standing for `x`;
/// returns the index after the closing quote, or `None` when there is none.
fn quoted(chars: &[char], mut i: usize, value: &mut String) -> Option<usize> {
    loop {
        match chars.get(i)? {
            '"' => return Some(i + 1),
            '\\' if chars.get(i + 1).is_some() => {
                value.push(chars[i + 1]);
                i += 2;
            }
            c => {
                value.push(*c);
                i += 1;
            }
        }
    }
}
