//! The prometheus probe against a real Prometheus scraping a sandbox: instant and range queries,
//! a condition that does not hold, and PromQL that does not parse.

use flightdeck_engine::probe::{FailureClass, Outcome, ProbeEnv};
use flightdeck_testsupport::probe::{annotated, run};
use flightdeck_testsupport::prometheus::Prometheus;
use flightdeck_testsupport::sandbox::start as start_sandbox;

use super::assert_class;

/// A Prometheus of the test's own scraping `target` every second, once it has a few scrapes (so
/// a range has points and counters have moved); `PROM` names its base URL, as the annotations
/// below expect.
pub async fn scraping(target: std::net::SocketAddr) -> Option<(Prometheus, ProbeEnv)> {
    let prom = Prometheus::start(target)?;
    let prom = tokio::task::spawn_blocking(move || {
        prom.wait_for_scrapes(5);
        prom
    })
    .await
    .expect("waiting for Prometheus");
    let env = ProbeEnv::default().with_var("PROM", prom.url());
    Some((prom, env))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_instant_and_range_queries_over_a_scraped_sandbox() {
    let sb = start_sandbox(true).await.expect("sandbox");
    let Some((prom, env)) = scraping(sb.addr()).await else {
        return;
    };
    let env = &env;

    let s = annotated(
        "prometheus\nurl: ${PROM}\nquery: sum(http_requests_total)\nexpect: value > 0\nexpect: series == 1\ncapture: requests <- value",
        "x",
    );
    let r = run(&s, env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert!(r
        .capture("requests")
        .and_then(|v| v.parse::<f64>().ok())
        .is_some_and(|v| v > 0.0));

    let s = annotated(
        "prometheus\nurl: ${PROM}\nquery: up{job=\"sandbox\"}\nrange: 30s\nstep: 1s\nexpect: series == 1\n\
         expect: max == 1\nexpect: json(.[0].metric.job) == \"sandbox\"",
        "x",
    );
    let r = run(&s, env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");

    // A condition that does not hold, then PromQL that does not parse.
    let s = annotated(
        "prometheus\nurl: ${PROM}\nquery: up{job=\"sandbox\"}\nexpect: value < 0.5",
        "x",
    );
    let r = run(&s, env).await;
    assert_class(&r, FailureClass::Assertion);
    assert_eq!(r.assertions[0].actual, "1");
    let s = annotated("prometheus\nurl: ${PROM}\nquery: sum(", "x");
    let r = run(&s, env).await;
    assert_class(&r, FailureClass::QueryError);
    drop(prom);
    sb.shutdown().await;
}
