//! Reading a step's annotation into a [`Spec`].
//!
//! Owns the annotation syntax (documented in `docs/runbook-format.md`): an HTML comment right
//! before the fence that starts with `flightdeck: KIND`, then `key: value` lines, and/or
//! `key=value` attributes in the fence's info string. Common keys (`expect`, `capture`,
//! `deadline`, `connect-timeout`, `changes-target`) are read here; each kind reads its own keys
//! in its module. Binding captures to the runbook's fields is [`Spec::bind`].

use std::time::Duration;

use super::cond::{self, Names};
use super::{
    git_tag, http, http_burst, prometheus, shell, sql, Assertion, Capture, Kind, Spec, CONNECT_TIMEOUT,
    MAX_DEADLINE, NETWORK_DEADLINE, SHELL_DEADLINE,
};
use crate::runbook::{FieldKind, Runbook, Step};

/// A malformed annotation, with the source line it is on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct AnnotationError {
    pub line: u32,
    pub message: String,
}

impl AnnotationError {
    pub fn new(line: u32, message: impl Into<String>) -> Self {
        AnnotationError {
            line,
            message: message.into(),
        }
    }
}

/// The kinds an annotation may name.
pub const KINDS: &[&str] = &[
    "shell",
    "http",
    "http-burst",
    "sql",
    "prometheus",
    "git-tag",
    "manual",
];

/// Fence languages that run as shell steps without an annotation.
const SHELL_LANGS: &[&str] = &["bash", "sh", "shell", "console-bash"];

#[derive(Debug, Clone)]
struct Entry {
    key: String,
    value: String,
    line: u32,
    used: bool,
}

/// The `key: value` pairs of one annotation, consumed by whoever understands them.
#[derive(Debug, Clone)]
pub struct Keys {
    kind: String,
    line: u32,
    entries: Vec<Entry>,
}

impl Keys {
    /// The line of the annotation's first line (the `flightdeck:` line or the fence).
    pub fn line(&self) -> u32 {
        self.line
    }

    /// A key that may appear once.
    pub fn one(&mut self, key: &str) -> Result<Option<(String, u32)>, AnnotationError> {
        let mut found: Option<(String, u32)> = None;
        for e in self.entries.iter_mut().filter(|e| e.key == key) {
            if let Some((_, first)) = &found {
                return Err(AnnotationError::new(
                    e.line,
                    format!("`{key}` is given twice (first on line {first})"),
                ));
            }
            e.used = true;
            found = Some((e.value.clone(), e.line));
        }
        Ok(found)
    }

    /// Every value of a repeatable key, in order.
    pub fn all(&mut self, key: &str) -> Vec<(String, u32)> {
        self.entries
            .iter_mut()
            .filter(|e| e.key == key)
            .map(|e| {
                e.used = true;
                (e.value.clone(), e.line)
            })
            .collect()
    }

    pub fn template(&mut self, key: &str) -> Result<Option<(super::Template, u32)>, AnnotationError> {
        match self.one(key)? {
            None => Ok(None),
            Some((v, line)) => super::Template::parse(&v)
                .map(|t| Some((t, line)))
                .map_err(|m| AnnotationError::new(line, m)),
        }
    }

    pub fn required_template(&mut self, key: &str) -> Result<(super::Template, u32), AnnotationError> {
        let kind = self.kind.clone();
        self.template(key)?
            .ok_or_else(|| AnnotationError::new(self.line, format!("{kind} steps need `{key}:`")))
    }

    pub fn duration(&mut self, key: &str) -> Result<Option<Duration>, AnnotationError> {
        match self.one(key)? {
            None => Ok(None),
            Some((v, line)) => cond::parse_duration(&v).map(Some).ok_or_else(|| {
                AnnotationError::new(
                    line,
                    format!("`{key}: {v}` is not a duration (e.g. 500ms, 5s, 2m)"),
                )
            }),
        }
    }

    pub fn bool(&mut self, key: &str) -> Result<Option<bool>, AnnotationError> {
        match self.one(key)? {
            None => Ok(None),
            Some((v, line)) => match v.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" => Ok(Some(true)),
                "false" | "no" | "off" => Ok(Some(false)),
                _ => Err(AnnotationError::new(
                    line,
                    format!("`{key}: {v}` must be true or false"),
                )),
            },
        }
    }

    pub fn number<T: std::str::FromStr>(&mut self, key: &str) -> Result<Option<(T, u32)>, AnnotationError> {
        match self.one(key)? {
            None => Ok(None),
            Some((v, line)) => v
                .trim()
                .parse()
                .map(|n| Some((n, line)))
                .map_err(|_| AnnotationError::new(line, format!("`{key}: {v}` is not a number"))),
        }
    }

    fn finish(&self) -> Result<(), AnnotationError> {
        match self.entries.iter().find(|e| !e.used) {
            None => Ok(()),
            Some(e) => Err(AnnotationError::new(
                e.line,
                format!("`{}` is not a key of {} steps", e.key, self.kind),
            )),
        }
    }
}

impl Spec {
    /// Reads a step's annotation. `Ok(None)`: the step is manual (annotated `manual`, or an
    /// unannotated block in a language other than bash / sh).
    ///
    /// Line numbers in errors are the runbook's: the fence line for info-string attributes, and
    /// for the comment, counted back from the fence (so the comment must end right above it).
    pub fn from_step(step: &Step) -> Result<Option<Spec>, AnnotationError> {
        let (comment_kind, mut entries, comment_line) = match comment(step)? {
            Some((k, e, l)) => (Some(k), e, l),
            None => (None, Vec::new(), step.line),
        };
        let (info_kind, info_entries) = info_attributes(step)?;
        let kind = match (comment_kind, info_kind) {
            (Some(a), Some((b, line))) if a != b => {
                return Err(AnnotationError::new(
                    line,
                    format!("the comment says `flightdeck: {a}` but the fence says `flightdeck={b}`"),
                ))
            }
            (Some(a), _) => a,
            (None, Some((b, _))) => b,
            (None, None) => {
                let lang = step.lang.as_deref().unwrap_or("");
                if lang.is_empty() || SHELL_LANGS.contains(&lang) {
                    "shell".to_owned()
                } else {
                    return Ok(None);
                }
            }
        };
        if kind == "manual" {
            return Ok(None);
        }
        entries.extend(info_entries);
        let mut keys = Keys {
            kind: kind.clone(),
            line: comment_line,
            entries,
        };
        let (mut deadline_default, connect_default) = match kind.as_str() {
            "shell" => (SHELL_DEADLINE, CONNECT_TIMEOUT),
            _ => (NETWORK_DEADLINE, CONNECT_TIMEOUT),
        };
        let parsed = match kind.as_str() {
            "shell" => Kind::Shell(shell::ShellSpec::from_keys(&mut keys, step)?),
            "http" => Kind::Http(http::HttpSpec::from_keys(&mut keys)?),
            "http-burst" => {
                let b = http_burst::BurstSpec::from_keys(&mut keys)?;
                // Room for the whole burst at its rate, plus the usual 10 s for the answers.
                deadline_default = deadline_default.saturating_add(b.spread());
                Kind::HttpBurst(b)
            }
            "sql" => Kind::Sql(sql::SqlSpec::from_keys(&mut keys, step)?),
            "prometheus" => Kind::Prometheus(prometheus::PromSpec::from_keys(&mut keys, step)?),
            "git-tag" => Kind::GitTag(git_tag::GitTagSpec::from_keys(&mut keys)?),
            other => {
                return Err(AnnotationError::new(
                    comment_line,
                    format!("unknown probe kind `{other}` (known: {})", KINDS.join(", ")),
                ))
            }
        };
        let deadline = match keys.one("deadline")? {
            None => deadline_default,
            Some((v, line)) => {
                let d = cond::parse_duration(&v).ok_or_else(|| {
                    AnnotationError::new(line, format!("`deadline: {v}` is not a duration (e.g. 5s, 2m)"))
                })?;
                if d > MAX_DEADLINE || d.is_zero() {
                    return Err(AnnotationError::new(
                        line,
                        format!("`deadline: {v}` must be above 0 and at most 10m"),
                    ));
                }
                d
            }
        };
        let connect_timeout = keys.duration("connect-timeout")?.unwrap_or(connect_default);
        let changes_target = keys.bool("changes-target")?.unwrap_or(false);
        let names = names_of(&parsed);

        let mut captures = Vec::new();
        let mut defined: Vec<String> = Vec::new();
        for (v, line) in keys.all("capture") {
            let (field, src) = v.split_once("<-").ok_or_else(|| {
                AnnotationError::new(line, format!("`capture: {v}` needs the form `FIELD <- source`"))
            })?;
            let field = field.trim().trim_matches('`').to_owned();
            if field.is_empty() {
                return Err(AnnotationError::new(
                    line,
                    "a capture needs a field name before `<-`",
                ));
            }
            let n = Names {
                captures: &defined,
                ..names
            };
            let from = cond::parse_source(src, n)
                .map_err(|e| AnnotationError::new(line, format!("capture `{}`: {e}", src.trim())))?;
            if !matches!(from, cond::Source::Verdict) {
                defined.push(field.clone());
            }
            captures.push(Capture {
                field,
                field_id: None,
                source: src.trim().to_owned(),
                line,
                options: Vec::new(),
                from,
            });
        }
        let mut expect = Vec::new();
        for (v, line) in keys.all("expect") {
            let n = Names {
                captures: &defined,
                ..names
            };
            let c = cond::parse_cond(&v, n)
                .map_err(|e| AnnotationError::new(line, format!("expect `{}`: {e}", v.trim())))?;
            expect.push(Assertion {
                expr: v.trim().to_owned(),
                line,
                implicit: false,
                cond: c,
            });
        }
        keys.finish()?;
        for implicit in implicit_assertions(&parsed, &expect) {
            let c = cond::parse_cond(implicit, names).map_err(|e| {
                AnnotationError::new(comment_line, format!("internal: implicit `{implicit}`: {e}"))
            })?;
            expect.push(Assertion {
                expr: implicit.to_owned(),
                line: comment_line,
                implicit: true,
                cond: c,
            });
        }
        Ok(Some(Spec {
            step: step.id.clone(),
            line: step.line,
            kind: parsed,
            expect,
            captures,
            deadline,
            connect_timeout,
            changes_target,
        }))
    }

    /// Binds captures to the runbook's fields: `FIELD` is a field id, or the label of a field of
    /// the step's item (then of its section). Fills the options a `verdict` capture picks from.
    pub fn bind(&mut self, runbook: &Runbook) -> Result<(), AnnotationError> {
        let step = runbook.step(&self.step);
        let item = step.and_then(|s| s.item.clone());
        let section = step.and_then(|s| s.section.clone());
        for c in &mut self.captures {
            let by_id = runbook.field(&c.field);
            let field = match by_id {
                Some(f) => Some(f),
                None => {
                    let label = |f: &&crate::runbook::Field| f.label.eq_ignore_ascii_case(&c.field);
                    let in_item: Vec<_> = runbook
                        .fields
                        .iter()
                        .filter(|f| item.is_some() && f.item == item)
                        .filter(label)
                        .collect();
                    let found = if in_item.is_empty() {
                        runbook
                            .fields
                            .iter()
                            .filter(|f| section.is_some() && f.section == section)
                            .filter(label)
                            .collect()
                    } else {
                        in_item
                    };
                    match found.as_slice() {
                        [] => None,
                        [one] => Some(*one),
                        many => {
                            return Err(AnnotationError::new(
                                c.line,
                                format!(
                                    "capture `{}` could mean several fields ({}): use the field id",
                                    c.field,
                                    many.iter().map(|f| f.id.as_str()).collect::<Vec<_>>().join(", ")
                                ),
                            ))
                        }
                    }
                }
            };
            match field {
                Some(f) => {
                    c.field_id = Some(f.id.clone());
                    if let FieldKind::Choice { options } = &f.kind {
                        c.options = options.clone();
                    }
                }
                // A verdict needs a field to land in; plain names are fine for values that only
                // feed assertions (`passes <- regex ...` then `passes / total > 0.95`).
                None if matches!(c.from, cond::Source::Verdict) => {
                    return Err(AnnotationError::new(
                        c.line,
                        format!("capture `{} <- verdict`: no such field near this step", c.field),
                    ))
                }
                None => {}
            }
        }
        Ok(())
    }
}

/// What conditions may name, per kind.
fn names_of(kind: &Kind) -> Names<'static> {
    match kind {
        Kind::Shell(_) => shell::NAMES,
        Kind::Http(_) => http::NAMES,
        Kind::HttpBurst(_) => http_burst::NAMES,
        Kind::Sql(_) => sql::NAMES,
        Kind::Prometheus(_) => prometheus::NAMES,
        Kind::GitTag(_) => git_tag::NAMES,
    }
}

fn implicit_assertions(kind: &Kind, expect: &[Assertion]) -> Vec<&'static str> {
    let mentioned = |s: &str| expect.iter().any(|a| super::mentions(&a.cond, s));
    match kind {
        Kind::Shell(_) if !mentioned("exit") => vec!["exit == 0"],
        Kind::Http(_) if !mentioned("status") => vec!["status in 200..299"],
        Kind::HttpBurst(_) if !mentioned("errors") => vec!["errors == 0"],
        Kind::GitTag(_) if !mentioned("sha") => vec!["sha exists"],
        _ => vec![],
    }
}

/// The `<!-- flightdeck: KIND ... -->` comment before the fence: kind, entries, first line.
#[allow(clippy::type_complexity)]
fn comment(step: &Step) -> Result<Option<(String, Vec<Entry>, u32)>, AnnotationError> {
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
fn info_attributes(step: &Step) -> Result<(Option<(String, u32)>, Vec<Entry>), AnnotationError> {
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
            // A bare word (`.class`, `#id`, a title) is not ours.
            attrs.push((key, None));
            continue;
        }
        i += 1;
        let mut value = String::new();
        if chars.get(i) == Some(&'"') {
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(AnnotationError::new(
                            line,
                            format!("unclosed quote in the fence attribute `{key}`"),
                        ))
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some('\\') if chars.get(i + 1).is_some() => {
                        value.push(chars[i + 1]);
                        i += 2;
                    }
                    Some(c) => {
                        value.push(*c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < chars.len() && !chars[i].is_whitespace() {
                value.push(chars[i]);
                i += 1;
            }
        }
        attrs.push((key, Some(value)));
    }
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
    let ours = kind.is_some() || lang.is_empty() || SHELL_LANGS.contains(&lang);
    let entries = if ours {
        attrs
            .into_iter()
            .filter(|(k, _)| k != "flightdeck")
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            // Unannotated shell blocks keep attributes meant for other tools (`title=...`).
            .filter(|(k, _)| kind.is_some() || COMMON_KEYS.contains(&k.as_str()))
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

/// Keys an unannotated shell block's fence may carry.
const COMMON_KEYS: &[&str] = &[
    "expect",
    "capture",
    "deadline",
    "connect-timeout",
    "changes-target",
    "cwd",
];
