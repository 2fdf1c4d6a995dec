//! The sandbox over http and http-burst: a health check filling a choice field (and a fault
//! turning it red), POSTs with headers and a bearer secret, and a burst that meets the rate limit.

use std::collections::BTreeMap;
use std::sync::Arc;

use flightdeck_engine::probe::{FailureClass, MapSecrets, Outcome, ProbeEnv, ProbeEvent, Verdict};
use flightdeck_testsupport::probe::{annotated, run, run_collecting, spec_of as spec};
use flightdeck_testsupport::sandbox::start as start_sandbox;
use tokio_util::sync::CancellationToken;

use super::assert_class;

async fn sandbox() -> (flightdeck_sandbox::Sandbox, ProbeEnv) {
    let sb = start_sandbox(false).await.expect("sandbox starts");
    let mut secrets = BTreeMap::new();
    secrets.insert(
        "test_jwt".to_owned(),
        flightdeck_sandbox::DEFAULT_TEST_TOKEN.to_owned(),
    );
    let env = ProbeEnv {
        secrets: Arc::new(MapSecrets(secrets)),
        ..ProbeEnv::default()
    }
    .with_var("SANDBOX_URL", sb.base_url());
    (sb, env)
}

const HEALTH_MD: &str = "### 8. Application Deployment\n\
    - [ ] **Health Check Validation**\n\
    <!-- flightdeck: http\n\
    url: ${SANDBOX_URL}/health\n\
    expect: status == 200\n\
    expect: json(.status) == \"Healthy\"\n\
    expect: latency < 2s\n\
    capture: Application <- verdict\n\
    capture: app_status <- json(.status)\n\
    capture: took <- latency\n\
    -->\n\
    ```bash\n\
    curl -f https://samia-tarot.com/health\n\
    ```\n\
    **Health Check Results**:\n\
    - Application: [ ] Healthy [ ] Degraded [ ] Unhealthy\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_health_check_against_the_sandbox_fills_a_choice_field() {
    let (sb, env) = sandbox().await;
    let s = spec(HEALTH_MD);
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert_eq!(r.http_status, Some(200));
    assert_eq!(r.capture("Application"), Some("Healthy"));
    let took = r.captures.iter().find(|c| c.field == "took").unwrap();
    assert_eq!(took.field_id, None, "a plain name only feeds assertions");
    assert_eq!(r.capture("app_status"), Some("Healthy"));
    assert!(r.capture("took").is_some());
    assert!(r.assertions.iter().all(|a| a.verdict == Verdict::Pass));

    sb.set_fault(flightdeck_sandbox::Fault::Down);
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::HttpStatus);
    assert_eq!(r.http_status, Some(503));
    assert_eq!(
        r.capture("Application"),
        Some("Unhealthy"),
        "the fault turns the field red"
    );
    assert_eq!(r.capture("app_status"), Some("Unhealthy"));
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_posts_with_headers_and_a_bearer_secret() {
    let (sb, env) = sandbox().await;
    let s = annotated(
        "http\nmethod: POST\nurl: ${SANDBOX_URL}/api/auth/register\nheader: Content-Type: application/json\n\
         body: {\"email\":\"probe-test@example.com\",\"password\":\"Test123!\"}\nexpect: status in 200..299\n\
         capture: user <- json(.user_id)",
        "x",
    );
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    let s = annotated(
        "http\nmethod: POST\nurl: ${SANDBOX_URL}/api/payments/process\nheader: Authorization: Bearer ${secret:test_jwt}\n\
         header: Content-Type: application/json\nbody: {\"payment_method\":\"pm_card_visa\",\"amount\":1000}\n\
         expect: status == 200\ncapture: provider <- json(.provider)",
        "x",
    );
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert!(r.capture("provider").is_some(), "{r:#?}");
    assert!(!r.what.contains(flightdeck_sandbox::DEFAULT_TEST_TOKEN));

    // Without the token: 401, an http-status failure.
    let s = annotated(
        "http\nmethod: POST\nurl: ${SANDBOX_URL}/api/payments/process\nbody: {}\nexpect: status == 200",
        "x",
    );
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::HttpStatus);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_burst_sees_429_with_retry_after() {
    let (sb, env) = sandbox().await;
    let md = "### 10. Immediate System Validation\n\
              - [ ] **HTTP 429 Rate Limiting**\n\
              \x20 <!-- flightdeck: http-burst\n\
              \x20 url: ${SANDBOX_URL}/api/test-rate-limit\n\
              \x20 count: 10\n\
              \x20 rate: 50/s\n\
              \x20 expect: count(status == 429) >= 1\n\
              \x20 expect: count(status == 200) == 5\n\
              \x20 expect: any(status == 429 and header(Retry-After) exists)\n\
              \x20 expect: total == 10\n\
              \x20 capture: Rate Limiting Active <- verdict\n\
              \x20 capture: limited <- count(status == 429)\n\
              \x20 capture: retry <- header(Retry-After)\n\
              \x20 -->\n\
              \x20 ```bash\n\
              \x20 for i in {1..10}; do curl -s https://x/api/test-rate-limit; done\n\
              \x20 ```\n\
              \x20 **Rate Limiting Active**: [ ] Yes [ ] No\n";
    let s = spec(md);
    let (r, events) = run_collecting(&s, &env, CancellationToken::new()).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert_eq!(r.capture("limited"), Some("5"));
    assert!(
        r.capture("retry").is_some_and(|v| v.parse::<u32>().is_ok()),
        "{r:#?}"
    );
    assert_eq!(r.capture("Rate Limiting Active"), Some("Yes"));
    assert!(
        r.body.as_ref().unwrap().text.contains("429"),
        "the summary lists each answer"
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, ProbeEvent::Progress { total: Some(10), .. })));
    // Spread at 50/s, 10 requests take about 180 ms.
    assert!(r.duration_ms >= 150, "{}", r.duration_ms);
    sb.shutdown().await;
}
