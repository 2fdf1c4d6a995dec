//! The runbook model: what a Markdown checklist means to Flightdeck.
//!
//! Owns the plain data types only; `parse` builds them from Markdown and the run fold reads
//! them. Every item, step, field and sign-off has a readable id (section key + slug, duplicates
//! suffixed `-2`, `-3` in document order) that survives unrelated edits elsewhere in the file.

use serde::{Deserialize, Serialize};

/// A parsed runbook. Entities live in flat, document-ordered lists and refer to each other by id;
/// `phases[].blocks` and `sections[].blocks` keep the document order for display.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Runbook {
    /// The file name it was imported from (for messages), e.g. `m31-production-cutover.md`.
    pub name: String,
    /// The first `#` heading, when it is the document's title.
    pub title: Option<String>,
    /// sha256 of the source bytes, lowercase hex.
    pub sha256: String,
    /// Run metadata from the header: bold labels before the first phase.
    pub metadata: Vec<MetaField>,
    /// Content before the first phase or section.
    pub preamble: Vec<Block>,
    pub phases: Vec<Phase>,
    pub sections: Vec<Section>,
    pub items: Vec<Item>,
    pub steps: Vec<Step>,
    pub fields: Vec<Field>,
    pub signoffs: Vec<SignOff>,
    pub decision: Option<Decision>,
    /// Things that imported but look like mistakes (an unclosed code fence), with their line.
    pub warnings: Vec<Warning>,
    /// The flag states the runbook expects (`**Expected State**:` lists; `controls::expect`).
    /// Read again from the source at every import, so not part of the serialized model.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub expectations: Vec<crate::controls::Expectation>,
}

/// A non-fatal remark about the source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Warning {
    pub line: u32,
    pub message: String,
}

/// How many of each thing a runbook holds (`runbook inspect --json` prints this as `counts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Counts {
    pub phases: usize,
    pub sections: usize,
    pub items: usize,
    pub steps: usize,
    pub fields: usize,
    pub signoffs: usize,
}

/// A `#`/`##` heading (other than the document title).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Phase {
    pub id: String,
    pub title: String,
    pub line: u32,
    pub timeframe: Option<Timeframe>,
    /// Ids of the sections under this phase, in order.
    pub sections: Vec<String>,
    /// Content between the phase heading and its first section.
    pub blocks: Vec<Block>,
}

/// A `###` heading.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Section {
    pub id: String,
    /// The leading number of `### 3. Backup ...`, if any.
    pub number: Option<String>,
    pub title: String,
    pub line: u32,
    pub phase: Option<String>,
    pub timeframe: Option<Timeframe>,
    pub blocks: Vec<Block>,
}

/// `**Timeframe**: T-24 to T-4 Hours`, with the window in minutes relative to T-0 when it can be read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Timeframe {
    pub text: String,
    pub start_min: Option<i64>,
    pub end_min: Option<i64>,
}

/// One piece of a phase's or section's content, in document order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Block {
    /// A top-level item of this container (children hang off `Item::children`).
    Item {
        id: String,
    },
    /// A step not inside any item.
    Step {
        id: String,
    },
    /// A line of fields not inside any item.
    Fields {
        ids: Vec<String>,
        line: u32,
    },
    SignOff {
        id: String,
    },
    Decision,
    /// Anything else, as its Markdown source.
    Prose {
        line: u32,
        text: String,
    },
}

/// A task-list item (`- [ ]`, `* [x]`, `1. [ ]`) at any depth.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Item {
    pub id: String,
    /// The item's first paragraph as plain text (emphasis markers removed).
    pub text: String,
    pub line: u32,
    /// 0 for a top-level item; nested task items count one more per task-item ancestor.
    pub depth: u32,
    pub parent: Option<String>,
    pub children: Vec<String>,
    pub section: Option<String>,
    pub phase: Option<String>,
    /// `[x]` in the source.
    pub checked: bool,
    /// Listed under "Critical Success Criteria": a GO needs it checked (or an override).
    pub critical: bool,
    /// Steps written under this item.
    pub steps: Vec<String>,
    /// Fields written under this item.
    pub fields: Vec<String>,
    /// Everything under the item after its first paragraph, in order: nested items, steps,
    /// field lines and prose.
    pub blocks: Vec<Block>,
}

/// A fenced code block: something that can be run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Step {
    pub id: String,
    /// The item above it, if any.
    pub item: Option<String>,
    pub section: Option<String>,
    pub phase: Option<String>,
    /// Line of the opening fence.
    pub line: u32,
    /// The first word of the info string (`bash`), if any.
    pub lang: Option<String>,
    /// The whole info string, attributes included (annotations live here).
    pub info: String,
    pub code: String,
    /// `# Expected: ...` comments, text after the colon.
    pub expected: Vec<String>,
    /// The HTML comment right before the fence, if any (annotations may live here).
    pub annotation: Option<String>,
}

/// A blank (`___`) to fill, or a `[ ] A [ ] B` choice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Field {
    pub id: String,
    pub label: String,
    /// The bold label a field list hangs off (`Breakers Active` for `Stripe ___`), if different.
    pub group: Option<String>,
    pub unit: Option<String>,
    pub kind: FieldKind,
    pub line: u32,
    pub item: Option<String>,
    pub section: Option<String>,
    pub phase: Option<String>,
    /// Text written before the blank that is not its label (`#emergency-production`).
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FieldKind {
    #[default]
    Text,
    Number,
    /// 0–100.
    Percent,
    /// A number in `unit` (ms, seconds, minutes, hours).
    Duration,
    Choice {
        options: Vec<String>,
    },
}

/// `**<Name> Sign-Off**: ____ **Time**: ____`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignOff {
    /// Slug of the name: `pre-flight-gates`.
    pub id: String,
    /// `Pre-Flight Gates`.
    pub name: String,
    pub line: u32,
    pub section: Option<String>,
    pub phase: Option<String>,
    /// What the sign-off vouches for: the items and fields of its phase written before it
    /// (and after the previous sign-off of that phase).
    pub items: Vec<String>,
    pub fields: Vec<String>,
}

/// The `[ ] GO [ ] NO-GO` block with its decision maker and rationale.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Decision {
    pub line: u32,
    pub label: String,
    pub section: Option<String>,
    pub options: Vec<String>,
    /// Ids of the critical items a GO vouches for.
    pub criteria: Vec<String>,
}

/// A header label: `**Release Version**: v1.0.0`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MetaField {
    /// Slug of the label: `release-version`.
    pub key: String,
    pub label: String,
    pub line: u32,
    /// Pre-filled value, if the source has one instead of a blank.
    pub value: Option<String>,
}

impl Runbook {
    pub fn counts(&self) -> Counts {
        Counts {
            phases: self.phases.len(),
            sections: self.sections.len(),
            items: self.items.len(),
            steps: self.steps.len(),
            fields: self.fields.len(),
            signoffs: self.signoffs.len(),
        }
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn section(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }

    pub fn signoff(&self, id: &str) -> Option<&SignOff> {
        self.signoffs.iter().find(|s| s.id == id)
    }

    pub fn meta(&self, key: &str) -> Option<&MetaField> {
        self.metadata.iter().find(|m| m.key == key)
    }
}

/// A readable id fragment: lowercase letters and digits (any script), runs of anything else as one
/// `-`, at most `max_words` words. `"M16.1: Privacy & Account"` → `m16-1-privacy-account`.
pub fn slug(text: &str, max_words: usize) -> String {
    let mut out = String::new();
    let mut words = 0;
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if !in_word {
                if words == max_words {
                    break;
                }
                if !out.is_empty() {
                    out.push('-');
                }
                words += 1;
                in_word = true;
            }
            out.extend(c.to_lowercase());
        } else {
            in_word = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn slug_keeps_letters_of_any_script_and_caps_words() {
        assert_eq!(
            slug("M16.1: Privacy & Account Management ✓", 8),
            "m16-1-privacy-account-management"
        );
        assert_eq!(slug("D0–D7 Monitoring", 8), "d0-d7-monitoring");
        assert_eq!(slug("التحقق من النسخ", 8), "التحقق-من-النسخ");
        assert_eq!(slug("one two three four", 2), "one-two");
        assert_eq!(slug("✓ ✓", 3), "");
    }
}
