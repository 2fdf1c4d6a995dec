//! Reading a step's annotation into a [`Spec`].
//!
//! Owns the annotation syntax (documented in `docs/runbook-format.md`): an HTML comment right
//! before the fence that starts with `flightdeck: KIND`, then `key: value` lines, and/or
//! `key=value` attributes in the fence's info string. Common keys (`expect`, `capture`,
//! `deadline`, `connect-timeout`, `changes-target`, `watch`) are read here; each kind reads the keys it
//! declares (`ProbeKind::KEYS`) in its own module, through [`Keys`]. Binding captures to the
//! runbook's fields is [`Spec::bind`]. Reading the comment and the fence attributes into
//! entries is `syntax`.

use std::time::Duration;

use self::syntax::{comment, info_attributes, Entry};
use super::cond::{self, Names};
use super::kind::ProbeKind;
use super::shell::{self, ShellSpec};
use super::{Assertion, Capture, Kind, Spec, CONNECT_TIMEOUT, MAX_DEADLINE};
use crate::runbook::{Field, FieldKind, Runbook, Step};

pub use super::KINDS;

mod syntax;

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

/// Keys every kind takes (read here); each kind declares its own in its `ProbeKind::KEYS`.
const COMMON_KEYS: &[&str] = &[
    "expect",
    "capture",
    "deadline",
    "connect-timeout",
    "changes-target",
    "watch",
];

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
        self.check_declared(key);
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
        self.check_declared(key);
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

    /// A kind reads only the keys it declares (`ProbeKind::KEYS`): a slip there is a bug, caught
    /// by any test that reads the key in a debug build.
    fn check_declared(&self, key: &str) {
        debug_assert!(
            COMMON_KEYS.contains(&key) || Kind::declares_key(&self.kind, key),
            "{} steps read `{key}`, which their KEYS do not declare",
            self.kind
        );
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
        let Some(mut keys) = keys_of(step)? else {
            return Ok(None);
        };
        let line = keys.line;
        let name = keys.kind.clone();
        let kind = Kind::from_keys(&name, &mut keys, step).unwrap_or_else(|| {
            Err(AnnotationError::new(
                line,
                format!("unknown probe kind `{name}` (known: {})", KINDS.join(", ")),
            ))
        })?;
        let deadline = deadline(&mut keys, kind.default_deadline())?;
        let connect_timeout = keys.duration("connect-timeout")?.unwrap_or(CONNECT_TIMEOUT);
        let changes_target = keys.bool("changes-target")?.unwrap_or(false) || kind.changes_target();
        let watch = keys.bool("watch")?.unwrap_or(false);
        let names = kind.conditions();
        let (captures, defined) = captures(&mut keys, names)?;
        let mut expect = written_assertions(&mut keys, names, &defined)?;
        keys.finish()?;
        expect.extend(implicit_assertions(&kind, &expect, names, line)?);
        Ok(Some(Spec {
            step: step.id.clone(),
            line: step.line,
            kind,
            expect,
            captures,
            deadline,
            connect_timeout,
            changes_target,
            watch,
        }))
    }

    /// Binds captures to the runbook's fields: `FIELD` is a field id, or the label of a field of
    /// the step's item (then of its section). Fills the options a `verdict` capture picks from.
    /// The kind reads what it needs of the runbook first (`ProbeKind::bind`).
    pub fn bind(&mut self, runbook: &Runbook) -> Result<(), AnnotationError> {
        self.kind.bind(runbook, &self.step)?;
        let step = runbook.step(&self.step);
        let item = step.and_then(|s| s.item.clone());
        let section = step.and_then(|s| s.section.clone());
        for c in &mut self.captures {
            match field_of(runbook, item.as_deref(), section.as_deref(), c)? {
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

/// The field a capture fills: by id, else by label among the item's fields, then the section's.
fn field_of<'r>(
    runbook: &'r Runbook,
    item: Option<&str>,
    section: Option<&str>,
    c: &Capture,
) -> Result<Option<&'r Field>, AnnotationError> {
    if let Some(f) = runbook.field(&c.field) {
        return Ok(Some(f));
    }
    let label = |f: &&Field| f.label.eq_ignore_ascii_case(&c.field);
    let in_item: Vec<_> = runbook
        .fields
        .iter()
        .filter(|f| item.is_some() && f.item.as_deref() == item)
        .filter(label)
        .collect();
    let found = if in_item.is_empty() {
        runbook
            .fields
            .iter()
            .filter(|f| section.is_some() && f.section.as_deref() == section)
            .filter(label)
            .collect()
    } else {
        in_item
    };
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        many => Err(AnnotationError::new(
            c.line,
            format!(
                "capture `{}` could mean several fields ({}): use the field id",
                c.field,
                many.iter().map(|f| f.id.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// The keys of a step's annotation (comment and fence attributes), with the kind they name;
/// `None` for a manual step.
fn keys_of(step: &Step) -> Result<Option<Keys>, AnnotationError> {
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
            if lang.is_empty() || shell::LANGS.contains(&lang) {
                ShellSpec::NAME.to_owned()
            } else {
                return Ok(None);
            }
        }
    };
    if kind == "manual" {
        return Ok(None);
    }
    entries.extend(info_entries);
    Ok(Some(Keys {
        kind,
        line: comment_line,
        entries,
    }))
}

/// `deadline:`, or the kind's default; above 0 and at most [`MAX_DEADLINE`].
fn deadline(keys: &mut Keys, default: Duration) -> Result<Duration, AnnotationError> {
    let Some((v, line)) = keys.one("deadline")? else {
        return Ok(default);
    };
    let d = cond::parse_duration(&v).ok_or_else(|| {
        AnnotationError::new(line, format!("`deadline: {v}` is not a duration (e.g. 5s, 2m)"))
    })?;
    if d > MAX_DEADLINE || d.is_zero() {
        return Err(AnnotationError::new(
            line,
            format!("`deadline: {v}` must be above 0 and at most 10m"),
        ));
    }
    Ok(d)
}

/// The `capture:` lines, and the names they define for the conditions after them (a `verdict`
/// defines none: it is only known once the step is judged).
fn captures(keys: &mut Keys, names: Names<'_>) -> Result<(Vec<Capture>, Vec<String>), AnnotationError> {
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
    Ok((captures, defined))
}

/// The `expect:` lines, which may name the captures `defined`.
fn written_assertions(
    keys: &mut Keys,
    names: Names<'_>,
    defined: &[String],
) -> Result<Vec<Assertion>, AnnotationError> {
    let mut expect = Vec::new();
    for (v, line) in keys.all("expect") {
        let n = Names {
            captures: defined,
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
    Ok(expect)
}

/// The kind's implicit assertions that no written one replaces, on the annotation's first line.
fn implicit_assertions(
    kind: &Kind,
    expect: &[Assertion],
    names: Names<'_>,
    line: u32,
) -> Result<Vec<Assertion>, AnnotationError> {
    let mentioned = |s: &str| expect.iter().any(|a| super::mentions(&a.cond, s));
    let mut out = Vec::new();
    for implicit in kind.implicit().iter().filter(|i| !mentioned(i.unless)) {
        let c = cond::parse_cond(implicit.expr, names).map_err(|e| {
            AnnotationError::new(line, format!("internal: implicit `{}`: {e}", implicit.expr))
        })?;
        out.push(Assertion {
            expr: implicit.expr.to_owned(),
            line,
            implicit: true,
            cond: c,
        });
    }
    Ok(out)
}
