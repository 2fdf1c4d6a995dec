//! The field-line grammar: how one line of a checklist names its blanks.
//!
//! A line is cut into bold labels, blanks (three or more `_`), check boxes and text. Then each
//! blank gets a name: the words right after it when they are not a unit (`___ passes` → "passes"),
//! else a plain word right before it (`Stripe ___` → "Stripe"), else the bold label before it
//! (`**Size**: ___ GB` → "Size", unit GB). Two or more boxes on a line make a choice
//! (`[ ] Success [ ] Failed`). Ids and placement are `parse`'s business.

use super::model::FieldKind;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok<'a> {
    /// `**Release Version**` (a trailing `:` inside the stars dropped).
    Label(String),
    Blank,
    /// `[ ]` or `[x]`.
    Box(bool),
    Text(&'a str),
}

/// A field found on a line, before it has an id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LineField {
    pub label: String,
    pub group: Option<String>,
    pub unit: Option<String>,
    pub kind: FieldKind,
    pub hint: Option<String>,
    pub options: Vec<String>,
}

impl LineField {
    /// `[ ] GO [ ] NO-GO` is the decision, not a field.
    pub fn is_decision(&self) -> bool {
        self.options.len() == 2
            && self.options[0].eq_ignore_ascii_case("go")
            && self.options[1].eq_ignore_ascii_case("no-go")
    }
}

pub(crate) fn tokenize(line: &str) -> Vec<Tok<'_>> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut text_from = 0;
    let mut i = 0;
    fn flush<'a>(out: &mut Vec<Tok<'a>>, line: &'a str, from: usize, to: usize) {
        if to > from {
            out.push(Tok::Text(&line[from..to]));
        }
    }
    while i < b.len() {
        if b[i] == b'*' && b.get(i + 1) == Some(&b'*') {
            if let Some(len) = line[i + 2..].find("**") {
                let inner = line[i + 2..i + 2 + len].trim();
                if !inner.is_empty() && !inner.starts_with('*') {
                    flush(&mut out, line, text_from, i);
                    out.push(Tok::Label(inner.trim_end_matches(':').trim().to_string()));
                    i += 4 + len;
                    text_from = i;
                    continue;
                }
            }
        }
        if b[i] == b'_' {
            let run = b[i..].iter().take_while(|&&c| c == b'_').count();
            if run >= 3 {
                flush(&mut out, line, text_from, i);
                out.push(Tok::Blank);
                i += run;
                text_from = i;
                continue;
            }
            i += run;
            continue;
        }
        if b[i] == b'[' && b.get(i + 2) == Some(&b']') && matches!(b.get(i + 1), Some(b' ' | b'x' | b'X')) {
            flush(&mut out, line, text_from, i);
            out.push(Tok::Box(b[i + 1] != b' '));
            i += 3;
            text_from = i;
            continue;
        }
        i += 1;
    }
    flush(&mut out, line, text_from, b.len());
    out
}

const SEPARATORS: [char; 6] = ['/', ',', '(', ')', ';', '|'];

const TIME_UNITS: [&str; 14] = [
    "ms", "s", "sec", "secs", "second", "seconds", "min", "mins", "minute", "minutes", "h", "hour", "hours",
    "days",
];
const SIZE_UNITS: [&str; 10] = ["b", "bytes", "kb", "mb", "gb", "tb", "kib", "mib", "gib", "tib"];

/// Labels too generic to stand alone: `**Primary**: ___ **Phone**: ___` gives "Primary" and the
/// Primary "Phone".
const GENERIC: [&str; 8] = [
    "date",
    "time",
    "phone",
    "notes",
    "email",
    "name",
    "by",
    "signature",
];

/// The text right after a blank up to the first separator: `" passes / "` → `"passes"`.
fn after_piece(text: &str) -> &str {
    let t = text.trim_start().trim_start_matches(':');
    let end = t.find(SEPARATORS).unwrap_or(t.len());
    let t = &t[..end];
    let t = t.split(" - ").next().unwrap_or(t);
    t.trim()
}

/// The text right before a blank, after the last separator: `", Square "` → `"Square"`.
fn before_piece(text: &str) -> &str {
    let start = text.rfind(SEPARATORS).map_or(0, |i| i + 1);
    let t = &text[start..];
    let t = t.rsplit(" - ").next().unwrap_or(t);
    t.trim()
        .trim_start_matches(':')
        .trim()
        .trim_end_matches(':')
        .trim()
}

/// Words that can name a field: letters, digits, spaces, `-`, `&`, at most four words.
fn label_like(s: &str) -> bool {
    !s.is_empty()
        && s.chars().next().is_some_and(char::is_alphanumeric)
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '&' | '\''))
        && s.split_whitespace().count() <= 4
}

fn unit_of(after: &str) -> Option<(String, FieldKind)> {
    if after.starts_with('%') {
        return Some(("%".into(), FieldKind::Percent));
    }
    let word = after.split_whitespace().next()?;
    let lower = word.to_ascii_lowercase();
    if TIME_UNITS.contains(&lower.as_str()) {
        Some((word.to_string(), FieldKind::Duration))
    } else if SIZE_UNITS.contains(&lower.as_str()) {
        Some((word.to_string(), FieldKind::Number))
    } else {
        None
    }
}

/// What a label alone says about its kind: `Pass Rate (%)` is a percent.
fn kind_of_label(label: &str) -> (Option<String>, FieldKind) {
    let lower = label.to_lowercase();
    if lower.ends_with("(%)") || lower.ends_with('%') {
        return (Some("%".into()), FieldKind::Percent);
    }
    for unit in ["ms", "seconds", "minutes", "hours"] {
        if lower.ends_with(&format!("({unit})")) {
            return (Some(unit.into()), FieldKind::Duration);
        }
    }
    (None, FieldKind::Text)
}

/// The fields (and choices) on one tokenized line, left to right.
pub(crate) fn line_fields(toks: &[Tok<'_>]) -> Vec<LineField> {
    let mut out = Vec::new();
    let mut label: Option<&str> = None;
    let mut first_label: Option<&str> = None;
    let mut i = 0;
    while i < toks.len() {
        match &toks[i] {
            Tok::Label(l) => {
                label = Some(l);
                first_label.get_or_insert(l);
                i += 1;
            }
            Tok::Text(_) => i += 1,
            Tok::Box(_) => {
                let (options, next) = choice(toks, i);
                if options.len() >= 2 {
                    out.push(choice_field(toks, i, label, options));
                    label = None;
                }
                i = next;
            }
            Tok::Blank => {
                let mut field = blank_field(toks, i, label);
                if field.group.is_none()
                    && GENERIC.contains(&field.label.to_lowercase().as_str())
                    && first_label.is_some_and(|f| f != field.label)
                {
                    field.group = first_label.map(str::to_string);
                }
                if field.group.as_deref() == Some(field.label.as_str()) {
                    field.group = None;
                }
                // A label names one blank; a second blank after it needs its own words.
                if field.group.is_none() && label == Some(field.label.as_str()) {
                    label = None;
                }
                out.push(field);
                i += 1;
            }
        }
    }
    out
}

/// The choice whose first box is at `i`: named by the plain words before that box (grouped under
/// the bold `label` in force), else by `label` itself.
fn choice_field(toks: &[Tok<'_>], i: usize, label: Option<&str>, options: Vec<String>) -> LineField {
    let before = prev_text(toks, i).map(before_piece).filter(|s| label_like(s));
    let (name, group) = match before {
        Some(b) => (b.to_string(), label.map(str::to_string)),
        None => (label.unwrap_or("choice").to_string(), None),
    };
    LineField {
        label: name,
        group,
        unit: None,
        kind: FieldKind::Choice {
            options: options.clone(),
        },
        hint: None,
        options,
    }
}

/// The blank at `i`, named by the text around it or the bold `label` in force: a unit after it
/// (`___ GB`), else the words after it (`___ passes`), else the words before it (`Stripe ___`),
/// else the label, with what comes before the blank kept as a hint.
fn blank_field(toks: &[Tok<'_>], i: usize, label: Option<&str>) -> LineField {
    let after = next_text(toks, i).unwrap_or("");
    let prev = prev_text(toks, i).unwrap_or("");
    let before = before_piece(prev);
    let after_p = after_piece(after);
    let unit = unit_of(after.trim_start());
    if let Some((u, kind)) = unit {
        let name = if label_like(before) {
            before
        } else {
            label.unwrap_or("value")
        };
        let group = label_like(before).then(|| label.map(str::to_string)).flatten();
        LineField {
            label: name.to_string(),
            group,
            unit: Some(u),
            kind,
            hint: None,
            options: vec![],
        }
    } else if label_like(after_p)
        && !after.trim_start().starts_with("**")
        && after_p.split_whitespace().count() <= 3
    {
        // `___ passes / ___ total`: a count of something.
        LineField {
            label: after_p.to_string(),
            group: label.map(str::to_string),
            unit: None,
            kind: FieldKind::Number,
            hint: None,
            options: vec![],
        }
    } else if label_like(before) {
        LineField {
            label: before.to_string(),
            group: label.map(str::to_string),
            unit: None,
            kind: FieldKind::Text,
            hint: None,
            options: vec![],
        }
    } else {
        let name = label.unwrap_or("value");
        let (unit, kind) = kind_of_label(name);
        let hint = prev.trim().trim_start_matches(':').trim();
        LineField {
            label: name.to_string(),
            group: None,
            unit,
            kind,
            hint: (!hint.is_empty()).then(|| hint.to_string()),
            options: vec![],
        }
    }
}

fn prev_text<'a>(toks: &[Tok<'a>], i: usize) -> Option<&'a str> {
    match i.checked_sub(1).map(|j| &toks[j]) {
        Some(Tok::Text(t)) => Some(t),
        _ => None,
    }
}

fn next_text<'a>(toks: &[Tok<'a>], i: usize) -> Option<&'a str> {
    match toks.get(i + 1) {
        Some(Tok::Text(t)) => Some(t),
        _ => None,
    }
}

/// Options of the choice starting at box `i`, and the index after it. An option's text ends at
/// the next box, a ` - `, or a bold label.
fn choice(toks: &[Tok<'_>], start: usize) -> (Vec<String>, usize) {
    let mut i = start;
    let mut options = Vec::new();
    while let Some(Tok::Box(_)) = toks.get(i) {
        let text = next_text(toks, i).unwrap_or("");
        let option = text.split(" - ").next().unwrap_or("").trim();
        if option.is_empty() {
            break;
        }
        options.push(option.to_string());
        i += if next_text(toks, i).is_some() { 2 } else { 1 };
        if text.contains(" - ") {
            break;
        }
    }
    (options, i.max(start + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> Vec<(String, Option<String>, Option<String>, FieldKind)> {
        line_fields(&tokenize(line))
            .into_iter()
            .map(|f| (f.label, f.group, f.unit, f.kind))
            .collect()
    }

    fn labels(line: &str) -> Vec<String> {
        line_fields(&tokenize(line))
            .into_iter()
            .map(|f| f.label)
            .collect()
    }

    #[test]
    fn counts_after_a_blank_name_it() {
        let f = fields("**Result**: _______ passes / _______ total (**Pass Rate**: ____%)");
        assert_eq!(f.len(), 3);
        assert_eq!(
            f[0],
            ("passes".into(), Some("Result".into()), None, FieldKind::Number)
        );
        assert_eq!(f[1].0, "total");
        assert_eq!(
            f[2],
            ("Pass Rate".into(), None, Some("%".into()), FieldKind::Percent)
        );
    }

    #[test]
    fn units_after_a_blank_belong_to_the_label() {
        let f = fields("**Backup File**: ________________ **Size**: _______ GB");
        assert_eq!(f[0], ("Backup File".into(), None, None, FieldKind::Text));
        assert_eq!(f[1], ("Size".into(), None, Some("GB".into()), FieldKind::Number));
        let f = fields("**Registration**: [ ] Success [ ] Failed **Response Time**: _______ms");
        assert_eq!(
            f[1],
            (
                "Response Time".into(),
                None,
                Some("ms".into()),
                FieldKind::Duration
            )
        );
    }

    #[test]
    fn words_before_blanks_name_a_list() {
        assert_eq!(
            labels("**Breakers Active**: Stripe _____, Square _____, Twilio _____, FCM _____, APNs _____"),
            ["Stripe", "Square", "Twilio", "FCM", "APNs"]
        );
    }

    #[test]
    fn choices_and_their_options() {
        let f = line_fields(&tokenize(
            "**Result**: [ ] Success [ ] Failed - **RTO Achieved**: _______ minutes",
        ));
        assert_eq!(f[0].label, "Result");
        assert_eq!(f[0].options, ["Success", "Failed"]);
        assert_eq!(f[1].label, "RTO Achieved");
        assert_eq!(f[1].kind, FieldKind::Duration);
        let f = line_fields(&tokenize("Application: [ ] Healthy [ ] Degraded [ ] Unhealthy"));
        assert_eq!(f[0].label, "Application");
        assert_eq!(f[0].options, ["Healthy", "Degraded", "Unhealthy"]);
        let f = line_fields(&tokenize(
            "**Rollback Tested on Staging**: [ ] Yes [ ] No [ ] N/A",
        ));
        assert_eq!(f[0].options, ["Yes", "No", "N/A"]);
        assert!(line_fields(&tokenize("**Final Go-Live Decision**: [ ] GO [ ] NO-GO"))[0].is_decision());
    }

    #[test]
    fn hints_are_not_labels() {
        let f = line_fields(&tokenize(
            "**Status Page**: https://status.samia-tarot.com ________________",
        ));
        assert_eq!(f[0].label, "Status Page");
        assert_eq!(f[0].hint.as_deref(), Some("https://status.samia-tarot.com"));
        let f = line_fields(&tokenize(
            "**Emergency Slack**: #emergency-production ________________",
        ));
        assert_eq!(f[0].label, "Emergency Slack");
    }

    #[test]
    fn generic_labels_take_the_first_label_as_group() {
        let f = fields("**Primary**: ________________ **Phone**: ________");
        assert_eq!(
            f[1],
            ("Phone".into(), Some("Primary".into()), None, FieldKind::Text)
        );
    }

    #[test]
    fn tokenizer_never_panics_on_odd_bytes() {
        for s in [
            "**",
            "***",
            "[",
            "[x",
            "__",
            "**a",
            "é**ü**",
            "[ ]",
            "____**",
            "a [ ] [ ]",
            "**L** [ ]  [ ] x",
        ] {
            let _ = line_fields(&tokenize(s));
        }
    }
}
