//! The typed events of a run, and their `(kind, payload)` form in the store.
//!
//! Owns the event vocabulary: what each kind carries. Adding a kind is adding a variant here
//! and a fold arm in `state`; an event this build does not know (written by a newer Flightdeck)
//! decodes to an error that the fold keeps as an orphan instead of failing.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{Error, Incomplete};
use crate::store::{NewEvent, StoredEvent};

/// The decision's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Verdict {
    #[serde(rename = "go")]
    Go,
    #[serde(rename = "no-go")]
    NoGo,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Go => "go",
            Verdict::NoGo => "no-go",
        }
    }
}

impl std::str::FromStr for Verdict {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().replace(['_', ' '], "-").as_str() {
            "go" => Ok(Verdict::Go),
            "no-go" | "nogo" => Ok(Verdict::NoGo),
            other => Err(Error::Invalid(format!(
                "decision `{other}` is neither `go` nor `no-go`"
            ))),
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can happen to a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum Event {
    RunCreated {
        runbook_name: String,
        runbook_sha256: String,
        env: String,
        release: String,
    },
    MetadataSet {
        key: String,
        value: String,
    },
    ItemChecked {
        item: String,
    },
    ItemUnchecked {
        item: String,
    },
    FieldSet {
        field: String,
        value: String,
    },
    NoteAdded {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        item: Option<String>,
    },
    SignoffRecorded {
        signoff: String,
        by: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        override_reason: Option<String>,
        /// What was not done when it was signed (non-empty only with an override).
        #[serde(default)]
        incomplete: Vec<Incomplete>,
        /// A solo override (the signer did the section's work: a one-person team), and why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        solo_reason: Option<String>,
    },
    DecisionRecorded {
        decision: Verdict,
        maker: String,
        rationale: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        override_reason: Option<String>,
        /// Critical success criteria unchecked at the moment of decision.
        #[serde(default)]
        unchecked_criteria: Vec<String>,
        /// A solo override (the maker executed what they decide on: a one-person team), and why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        solo_reason: Option<String>,
        /// The run's head it was made on (absent in events written before it was recorded; the
        /// fold then takes the event's own `prev_hash`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        head_seq: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        head_hash: Option<String>,
        /// The criteria, sign-offs and step verdicts it was made on (absent in older events; the
        /// fold then takes them from the state just before it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        evidence: Option<Box<super::evidence::Evidence>>,
    },
    /// A person made known to the run, with a role (`run::people`).
    PersonAdded {
        name: String,
        role: String,
    },
    /// How many distinct people must say GO (`run::rules`).
    ApproversSet {
        min: u32,
    },
    /// A step's probe started (`what`: the command, request or query, secrets as references).
    StepStarted {
        step: String,
        kind: String,
        what: String,
        /// The production environment whose target this step changes, when the runner
        /// confirmed it (the CLI's `--yes`, the app's dialog); absent otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confirmed_on: Option<String>,
    },
    /// One stream of a step's output, redacted and capped (`probe::OUTPUT_CAP`).
    StepOutput {
        step: String,
        stream: String,
        output: crate::probe::Excerpt,
    },
    /// A step's probe finished: the `probe::ProbeResult` without its output excerpts (those are
    /// `step_output` events).
    StepFinished {
        step: String,
        result: Box<crate::probe::ProbeResult>,
    },
    /// A step filled a field (as opposed to a person typing it).
    FieldCaptured {
        field: String,
        value: String,
        step: String,
    },
    /// A change to a flag or a breaker is about to be sent: recorded before anything is sent,
    /// its outcome follows as a `control_action` with the same `attempt` id.
    #[serde(rename = "control_attempted")]
    ControlAttempted(Box<crate::controls::ControlIntent>),
    /// A change to a flag or breaker was attempted: who (the actor), why, where, from, to, the
    /// inverse, the outcome and the state read back (`controls::ControlRecord`).
    #[serde(rename = "control_action")]
    ControlAction(Box<crate::controls::ControlRecord>),
    /// A control read again after a change (a breaker after its open interval), apart from the
    /// change's own `control_action`.
    #[serde(rename = "control_read_again")]
    ControlReadAgain(Box<crate::controls::ReadAgain>),
    /// The flags were read and held against the runbook's expected state.
    FlagsChecked {
        env: String,
        adapter: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        rows: Vec<crate::controls::DriftRow>,
    },
    /// A field emptied again (`run set --clear`): its value is gone from the state, not the log.
    FieldCleared {
        field: String,
    },
    /// A recorded sign-off withdrawn, with why; the slot may be signed again.
    SignoffRevoked {
        signoff: String,
        /// The `signoff_recorded` event it withdraws.
        revokes: u64,
        reason: String,
    },
    /// The recorded decision withdrawn, with why; a decision may be recorded again.
    DecisionRevoked {
        /// The `decision_recorded` event it withdraws.
        revokes: u64,
        reason: String,
    },
    // The D0–D7 watch (`crate::watch`): its plan, one event a slot, a band run clean (checks
    // its items), an alert sent or failed.
    WatchPlanSet(Box<crate::watch::WatchPlan>),
    WatchSlot(Box<crate::watch::SlotRecord>),
    WatchBandClean(Box<crate::watch::BandClean>),
    AlertNotified(Box<crate::watch::alert::AlertRecord>),
}

impl Event {
    pub fn kind(&self) -> &'static str {
        match self {
            Event::RunCreated { .. } => "run_created",
            Event::MetadataSet { .. } => "metadata_set",
            Event::ItemChecked { .. } => "item_checked",
            Event::ItemUnchecked { .. } => "item_unchecked",
            Event::FieldSet { .. } => "field_set",
            Event::NoteAdded { .. } => "note_added",
            Event::SignoffRecorded { .. } => "signoff_recorded",
            Event::DecisionRecorded { .. } => "decision_recorded",
            Event::PersonAdded { .. } => "person_added",
            Event::ApproversSet { .. } => "approvers_set",
            Event::StepStarted { .. } => "step_started",
            Event::StepOutput { .. } => "step_output",
            Event::StepFinished { .. } => "step_finished",
            Event::FieldCaptured { .. } => "field_captured",
            Event::ControlAttempted(_) => "control_attempted",
            Event::ControlAction(_) => "control_action",
            Event::ControlReadAgain(_) => "control_read_again",
            Event::FlagsChecked { .. } => "flags_checked",
            Event::FieldCleared { .. } => "field_cleared",
            Event::SignoffRevoked { .. } => "signoff_revoked",
            Event::DecisionRevoked { .. } => "decision_revoked",
            Event::WatchPlanSet(_) => "watch_plan_set",
            Event::WatchSlot(_) => "watch_slot",
            Event::WatchBandClean(_) => "watch_band_clean",
            Event::AlertNotified(_) => "alert_notified",
        }
    }

    /// The event as the store takes it.
    pub fn into_new(self, actor: &str) -> Result<NewEvent, Error> {
        let kind = self.kind().to_string();
        let mut tagged = serde_json::to_value(self)?;
        let payload = tagged.get_mut("payload").map(Value::take).unwrap_or(Value::Null);
        Ok(NewEvent {
            actor: actor.to_string(),
            kind,
            payload,
        })
    }

    /// Decode a stored event; an unknown kind or a payload of the wrong shape is an error.
    pub fn decode(stored: &StoredEvent) -> Result<Event, serde_json::Error> {
        serde_json::from_value(serde_json::json!({"kind": stored.kind, "payload": stored.payload}))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::HasKind;

    fn stored(kind: &str, payload: Value) -> StoredEvent {
        StoredEvent {
            run_id: "r".into(),
            seq: 2,
            time: "t".into(),
            actor: "a".into(),
            kind: kind.into(),
            payload,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn events_split_into_kind_and_payload_and_back() {
        let e = Event::DecisionRecorded {
            decision: Verdict::NoGo,
            maker: "dana".into(),
            rationale: "p99 too high".into(),
            override_reason: None,
            unchecked_criteria: vec!["c1".into()],
            solo_reason: None,
            head_seq: None,
            head_hash: None,
            evidence: None,
        };
        let new = e.clone().into_new("dana").expect("encodes");
        assert_eq!(new.kind, "decision_recorded");
        assert_eq!(
            new.payload,
            json!({"decision": "no-go", "maker": "dana", "rationale": "p99 too high", "unchecked_criteria": ["c1"]})
        );
        assert_eq!(
            Event::decode(&stored(&new.kind, new.payload)).expect("decodes"),
            e
        );
    }

    #[test]
    fn run_created_matches_what_the_store_writes() {
        let payload =
            json!({"runbook_name": "m.md", "runbook_sha256": "ab", "env": "sandbox", "release": "v1"});
        assert!(matches!(
            Event::decode(&stored("run_created", payload)),
            Ok(Event::RunCreated { .. })
        ));
    }

    #[test]
    fn unknown_kinds_and_bad_payloads_do_not_decode() {
        assert!(Event::decode(&stored("flag_toggled", json!({"flag": "x"}))).is_err());
        assert!(Event::decode(&stored("item_checked", json!({"nope": 1}))).is_err());
    }

    #[test]
    fn verdicts_parse_leniently_and_print_canonically() {
        assert_eq!("GO".parse::<Verdict>().expect("go"), Verdict::Go);
        assert_eq!("No-Go".parse::<Verdict>().expect("no-go"), Verdict::NoGo);
        assert_eq!("no_go".parse::<Verdict>().expect("no-go"), Verdict::NoGo);
        assert_eq!(
            "maybe".parse::<Verdict>().expect_err("invalid").kind(),
            crate::ErrorKind::Invalid
        );
        assert_eq!(Verdict::NoGo.to_string(), "no-go");
    }
}
