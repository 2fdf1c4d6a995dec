//! Secrets and variables in a probe: a secret reaches the step but never its record (result,
//! events, captures), output is redacted, and a missing variable or secret is named.

use std::collections::BTreeMap;
use std::sync::Arc;

use flightdeck_engine::probe::{FailureClass, MapSecrets, Outcome, ProbeEnv, Redact};
use flightdeck_testsupport::probe::{annotated, run, run_collecting};
use tokio_util::sync::CancellationToken;

use super::assert_class;

struct Upper;
impl Redact for Upper {
    fn redact(&self, bytes: &[u8]) -> Vec<u8> {
        String::from_utf8_lossy(bytes)
            .replace("internal-host", "[host]")
            .into_bytes()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_reach_the_step_but_never_its_record() {
    let mut secrets = BTreeMap::new();
    secrets.insert("api_token".to_owned(), "s3cr3t-value".to_owned());
    let env = ProbeEnv {
        secrets: Arc::new(MapSecrets(secrets)),
        redact: Arc::new(Upper),
        ..ProbeEnv::default()
    }
    .with_var("TARGET", "internal-host");
    let s = annotated(
        "shell\ncapture: token <- regex /token=(\\S+)/\nexpect: stdout contains \"token=\"",
        "echo \"token=${secret:api_token} target=$TARGET\"; test \"$(printf %s \"${secret:api_token}\" | sha256sum | cut -c1-8)\" = 1f3fa74b",
    );
    let (r, events) = run_collecting(&s, &env, CancellationToken::new()).await;
    assert_eq!(r.outcome, Outcome::Passed, "the shell saw the real value: {r:#?}");
    let out = r.stdout.as_ref().unwrap().text.clone();
    assert_eq!(out, "token=*** target=[host]\n");
    assert_eq!(r.capture("token"), Some("***"));
    let all = serde_json::to_string(&(&r, &events)).unwrap();
    assert!(!all.contains("s3cr3t-value"), "the secret leaked: {all}");
    assert!(
        r.what.contains("${secret:api_token}"),
        "what ran names the secret: {}",
        r.what
    );

    // A missing variable or secret is named.
    let s = annotated("http\nurl: ${NOPE}/health", "x");
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::SpawnError);
    assert!(
        r.message.as_deref().unwrap_or("").contains("NOPE"),
        "{:?}",
        r.message
    );
    let s = annotated("http\nurl: http://x/?t=${secret:missing}", "x");
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::SpawnError);
    assert!(
        r.message.as_deref().unwrap_or("").contains("missing"),
        "{:?}",
        r.message
    );
}
