//! SLO evaluation benchmark (prints its figures): `cargo bench -p flightdeck-engine --bench slo`.
//!
//! Issue 11's benchmark (b): the burn-rate evaluation of 4 SLOs × 4 window pairs — M31 §4's four
//! SLO lines, each its threshold check plus every distinct window of its pairs and its budget (9
//! windows, so 40 instant queries) — against a real Prometheus on loopback scraping an
//! in-process sandbox every second (goal: ≤ 50 ms per evaluation). Needs Debian's `prometheus`
//! on PATH. Prints the median, p95 and max over many evaluations, after one warm-up.

use std::time::{Duration, Instant};

use flightdeck_engine::probe::ProbeEnv;
use flightdeck_engine::signals::{self, slo, SloState, Target};
use flightdeck_testsupport::prometheus::Prometheus;
use flightdeck_testsupport::sandbox::start as start_sandbox;
use tokio_util::sync::CancellationToken;

const RUNS: usize = 200;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench());
}

async fn bench() {
    let sb = start_sandbox(true).await.expect("sandbox");
    let Some(prom) = Prometheus::start(sb.addr()) else {
        eprintln!("skipped: no `prometheus` on PATH");
        return;
    };
    let prom = tokio::task::spawn_blocking(move || {
        prom.wait_for_scrapes(15);
        prom
    })
    .await
    .expect("waiting for Prometheus");
    let env = ProbeEnv::default()
        .with_var("PROMETHEUS_URL", prom.url())
        .with_var("PROMETHEUS_SCRAPE_INTERVAL", "1s")
        .with_var("SLO_PERIOD", "1d");
    let target = Target::from_env("sandbox", &env).expect("target");
    let slos = slo::for_env(&target, None).expect("SLOs");
    let cancel = CancellationToken::new();
    let first = slo::status(&target, &slos, signals::now(&env), &cancel).await;
    let states: Vec<&str> = first.iter().map(|s| s.state.as_str()).collect();
    let pairs: usize = first.iter().map(|s| s.pairs.len()).sum();
    assert!(
        first.iter().all(|s| s.state != SloState::NoData),
        "every SLO has data: {states:?}"
    );

    let mut took: Vec<Duration> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let got = slo::status(&target, &slos, signals::now(&env), &cancel).await;
        took.push(t.elapsed());
        assert_eq!(got.len(), slos.len());
    }
    took.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "slo status: {} SLOs × {} window pairs ({pairs} pairs, 40 instant queries) against Prometheus on loopback, {RUNS} runs",
        slos.len(),
        pairs / slos.len().max(1)
    );
    println!(
        "  median {:.1} ms, p95 {:.1} ms, max {:.1} ms (goal: ≤ 50 ms); states {states:?}",
        ms(took[RUNS / 2]),
        ms(took[RUNS * 95 / 100]),
        ms(took[RUNS - 1])
    );
    drop(prom);
    sb.shutdown().await;
}
