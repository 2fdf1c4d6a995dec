//! `flags` steps: read every flag the runbook expects (its `**Expected State**:` lists in the
//! step's section, `controls::expect`) and hold each against its expectation. The drift table is
//! recorded in the run (`flags_checked`) and shown in the body; the implicit assertion is
//! `drift == 0`.
//!
//! Keys: `adapter:` (`http`, `sql`, `ofrep`; default the environment's), `section:` (whose
//! expectations; default the step's own section). Facts: `drift` (rows that differ), `checked`.

use serde::Serialize;

use super::annotation::{AnnotationError, Keys};
use super::cond::{Names, Value};
use super::env::{ControlNote, ProbeEnv, Template};
use super::flag_toggle::adapter_key;
use super::kind::{Implicit, ProbeKind};
use super::output::Stream;
use super::{Ctx, Failure, FailureClass, Observation};
use crate::controls::adapter::Controls;
use crate::controls::{drill, AdapterKind, Expectation};
use crate::runbook::{Runbook, Step};

#[derive(Debug, Clone, Serialize)]
pub struct FlagsSpec {
    pub adapter: Option<AdapterKind>,
    /// The section whose expectations it checks (`None`: the step's).
    pub section: Option<String>,
    /// Filled from the runbook when the spec is bound.
    pub expect: Vec<Expectation>,
}

impl ProbeKind for FlagsSpec {
    const NAME: &'static str = "flags";
    const KEYS: &'static [&'static str] = &["adapter", "section"];
    const CONDITIONS: Names<'static> = Names {
        kind: Self::NAME,
        subjects: &["drift", "checked", "body", "duration"],
        item_subjects: &[],
        headers: false,
        json: false,
        streams: &["body"],
        captures: &[],
    };
    const IMPLICIT: &'static [Implicit] = &[Implicit {
        unless: "drift",
        expr: "drift == 0",
    }];

    /// Takes the expectations of its section from the runbook.
    fn bind(&mut self, runbook: &Runbook, step: &str) -> Result<(), AnnotationError> {
        let own = runbook.step(step).and_then(|s| s.section.clone());
        let wanted = self.section.clone().or(own);
        let section = wanted.as_deref().map(|w| {
            runbook
                .sections
                .iter()
                .find(|s| s.id == w || s.number.as_deref() == Some(w))
                .map_or(w.to_string(), |s| s.id.clone())
        });
        self.expect = crate::controls::expectations(runbook, section.as_deref())
            .cloned()
            .collect();
        Ok(())
    }

    fn from_keys(keys: &mut Keys, _step: &Step) -> Result<Self, AnnotationError> {
        Ok(FlagsSpec {
            adapter: adapter_key(keys)?,
            section: keys.one("section")?.map(|(s, _)| s.trim().to_string()),
            expect: Vec::new(),
        })
    }

    fn describe(&self, _env: &ProbeEnv) -> String {
        let keys: Vec<&str> = self.expect.iter().map(|e| e.key.as_str()).collect();
        format!("flags against the runbook's expected state: {}", keys.join(", "))
    }

    fn templates(&self) -> impl Iterator<Item = &Template> {
        std::iter::empty()
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Observation {
        let fail = |m: String| Observation::failed(Failure::new(FailureClass::SpawnError, m));
        if self.expect.is_empty() {
            return fail(
                "no `**Expected State**:` list in this section to check (see docs/runbook-format.md)".into(),
            );
        }
        let (t, sink) = match drill::target_of(ctx.env) {
            Ok(x) => x,
            Err(m) => return fail(m),
        };
        let adapter = match t.flags_adapter(self.adapter) {
            Ok(a) => a,
            Err(e) => return fail(e.to_string()),
        };
        let flags = match adapter.flags().await {
            Ok(f) => f,
            Err(e) => {
                return Observation::failed(Failure::new(FailureClass::Transport, t.redact(&e.to_string())))
            }
        };
        let rows = crate::controls::drift(&self.expect, &flags);
        let _ = sink.tx.send(ControlNote::Drift {
            adapter: adapter.kind().as_str().to_string(),
            rows: rows.clone(),
        });
        let mut body = String::new();
        for r in &rows {
            let actual = r.actual.as_deref().unwrap_or("missing");
            let mark = if r.drift { "DRIFT" } else { "ok" };
            body.push_str(&format!(
                "{mark}  {}: expected {}, actual {actual} (line {})\n",
                r.key, r.expected, r.line
            ));
        }
        ctx.streams.push(Stream::Body, body.as_bytes()).await;
        ctx.streams.finish(Stream::Body).await;
        let drifted = rows.iter().filter(|r| r.drift).count();
        let mut obs = Observation::default();
        obs.facts.scalars.insert("drift", Value::Num(drifted as f64));
        obs.facts.scalars.insert("checked", Value::Num(rows.len() as f64));
        obs.facts
            .scalars
            .insert("body", Value::Str(ctx.streams.text(Stream::Body)));
        if drifted > 0 {
            let names: Vec<String> = rows
                .iter()
                .filter(|r| r.drift)
                .map(|r| {
                    format!(
                        "{} (expected {}, actual {})",
                        r.key,
                        r.expected,
                        r.actual.as_deref().unwrap_or("missing")
                    )
                })
                .collect();
            obs.failure = Some(Failure::new(
                FailureClass::Assertion,
                format!("flag drift: {}", names.join("; ")),
            ));
        }
        obs
    }
}
