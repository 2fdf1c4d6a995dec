//! `flightdeck run output RUN STEP [--stream stdout|stderr|body]`: what a step printed, as its
//! latest run recorded it (`step_output` events: redacted, capped at `probe::OUTPUT_CAP`).

use std::collections::BTreeMap;
use std::io::Write;

use flightdeck_engine::run;
use flightdeck_engine::store::{Store, StoredEvent};
use serde_json::Value;

use crate::render::out;
use crate::Ctx;

/// The streams STEP's latest run recorded, by name; `stream` picks one, printed alone.
pub fn output(
    ctx: &Ctx,
    store: &Store,
    run_ref: &str,
    step: &str,
    stream: Option<&str>,
) -> anyhow::Result<()> {
    let loaded = run::load(store, run_ref)?;
    let short = store.short_id(&loaded.record.id);
    if loaded.runbook.step(step).is_none() {
        return Err(run::Error::NotFound {
            what: "step",
            id: step.to_string(),
            place: format!("run {short}"),
            suggestion: run::nearest(step, loaded.runbook.steps.iter().map(|s| s.id.as_str())),
        }
        .into());
    }
    let events = store.events(&loaded.record.id)?;
    let streams = latest_streams(&events, step).ok_or_else(|| run::Error::NotFound {
        what: "a recorded run of step",
        id: step.to_string(),
        place: format!("run {short} (the step has not run yet: `flightdeck run step {short} {step}`)"),
        suggestion: None,
    })?;
    let streams: BTreeMap<String, Value> = match stream {
        None => streams,
        Some(name) => {
            let one = streams.get(name).cloned().ok_or_else(|| {
                let has: Vec<&str> = streams.keys().map(String::as_str).collect();
                run::Error::NotFound {
                    what: "stream",
                    id: name.to_string(),
                    place: format!(
                        "step {step}'s latest run in run {short} (it recorded: {})",
                        if has.is_empty() {
                            "nothing".into()
                        } else {
                            has.join(", ")
                        }
                    ),
                    suggestion: None,
                }
            })?;
            BTreeMap::from([(name.to_string(), one)])
        }
    };
    if ctx.json {
        return crate::render::json(&serde_json::json!({
            "run_id": loaded.record.id,
            "step": step,
            "streams": streams,
        }));
    }
    match stream {
        Some(name) => {
            let ex = &streams[name];
            if ex["truncated"].as_bool() == Some(true) {
                let _ = writeln!(
                    std::io::stderr(),
                    "warning: {name} was cut: {} bytes were not kept",
                    ex["truncated_bytes"]
                );
            }
            crate::render::print(ex["text"].as_str().unwrap_or(""))
        }
        None => crate::render::print(&all_text(&streams)),
    }
}

/// Each stream under a header line naming it, its size and whether it was cut.
fn all_text(streams: &BTreeMap<String, Value>) -> String {
    let mut o = String::new();
    if streams.is_empty() {
        out!(o, "(the step recorded no output)");
    }
    for (name, ex) in streams {
        let cut = match ex["truncated_bytes"].as_u64() {
            Some(n) if ex["truncated"].as_bool() == Some(true) => format!(", {n} bytes cut"),
            _ => String::new(),
        };
        out!(
            o,
            "── {name} ({} bytes{cut}) ──",
            ex["bytes"].as_u64().unwrap_or(0)
        );
        let text = ex["text"].as_str().unwrap_or("");
        o.push_str(text);
        if !text.is_empty() && !text.ends_with('\n') {
            o.push('\n');
        }
    }
    o
}

/// The `step_output` excerpts of `step`'s latest run (after its last `step_started`), by
/// stream; `None` when it never ran.
fn latest_streams(events: &[StoredEvent], step: &str) -> Option<BTreeMap<String, Value>> {
    let of_step = |e: &StoredEvent| e.payload.get("step").and_then(Value::as_str) == Some(step);
    let start = events
        .iter()
        .rposition(|e| e.kind == "step_started" && of_step(e))?;
    Some(
        events[start..]
            .iter()
            .filter(|e| e.kind == "step_output" && of_step(e))
            .filter_map(|e| {
                let name = e.payload.get("stream")?.as_str()?.to_string();
                Some((name, e.payload.get("output")?.clone()))
            })
            .collect(),
    )
}
