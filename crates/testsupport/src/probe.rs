//! A probe spec from a one-step runbook, and running it to its result, as the probe tests, the
//! memory test and the probe bench each need.
//!
//! A spec is always read from Markdown through the runbook parser (never built by hand), so a
//! test exercises the same reading a user's runbook gets. Running drains the probe's events (or
//! keeps them) so a full channel never stalls it.

use flightdeck_engine::probe::{execute, ProbeEnv, ProbeEvent, ProbeResult, Spec};
use flightdeck_engine::runbook;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The spec of the only step in `md`, with its captures bound to the runbook's fields.
pub fn spec_of(md: &str) -> Spec {
    let (rb, mut spec) = unbound(md);
    spec.bind(&rb).unwrap_or_else(|e| panic!("{e}"));
    spec
}

/// The spec of `<!-- flightdeck: {body} -->` over a bash fence holding `code`, left unbound:
/// there are no fields, so a capture stays a plain name (a verdict capture says passed/failed).
pub fn annotated(body: &str, code: &str) -> Spec {
    unbound(&format!("<!-- flightdeck: {body}\n-->\n```bash\n{code}\n```\n")).1
}

fn unbound(md: &str) -> (runbook::Runbook, Spec) {
    let rb = runbook::parse("test.md", md.as_bytes()).unwrap_or_else(|e| panic!("the runbook parses: {e}"));
    let step = rb.steps.first().unwrap_or_else(|| panic!("no step in:\n{md}"));
    let spec = Spec::from_step(step)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the step is manual, not automatable:\n{md}"));
    (rb, spec)
}

/// Runs `spec` to its result, keeping every event it sent.
pub async fn run_collecting(
    spec: &Spec,
    env: &ProbeEnv,
    cancel: CancellationToken,
) -> (ProbeResult, Vec<ProbeEvent>) {
    let (tx, mut rx) = mpsc::channel(1024);
    let collect = tokio::spawn(async move {
        let mut events = Vec::new();
        while let Some(e) = rx.recv().await {
            events.push(e);
        }
        events
    });
    let result = execute(spec, env, tx, cancel).await;
    let events = collect.await.expect("the event collector ends with the probe");
    (result, events)
}

/// Runs `spec` to its result, its events dropped as they come.
pub async fn run(spec: &Spec, env: &ProbeEnv) -> ProbeResult {
    let (tx, mut rx) = mpsc::channel(64);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let result = execute(spec, env, tx, CancellationToken::new()).await;
    drain.await.expect("the event drain ends with the probe");
    result
}
