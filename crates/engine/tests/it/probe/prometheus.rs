//! The prometheus probe against a real Prometheus scraping a sandbox: instant and range queries,
//! a condition that does not hold, and PromQL that does not parse.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use flightdeck_engine::probe::process::{ProcessSpec, Running};
use flightdeck_engine::probe::{FailureClass, Outcome, ProbeEnv};
use flightdeck_testsupport::needs;
use flightdeck_testsupport::probe::{annotated, run};
use flightdeck_testsupport::sandbox::start as start_sandbox;
use tokio::net::TcpListener;

use super::assert_class;

async fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    l.local_addr().expect("addr").port()
}

/// A Prometheus of the test's own, its data in a temp dir; dropped, the process is stopped and
/// the dir removed.
struct Prometheus {
    _process: Running,
    _dir: tempfile::TempDir,
    /// `PROM` names its base URL, as the annotations below expect.
    env: ProbeEnv,
}

/// Starts `program` on a free port, scraping `target` (job `sandbox`) every second.
async fn start_prometheus(program: &Path, target: SocketAddr) -> Prometheus {
    let dir = tempfile::tempdir().expect("a temp dir for Prometheus");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: sandbox\n    \
             static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .expect("write prometheus.yml");
    let port = free_port().await;
    let process = ProcessSpec::new(program)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .spawn()
        .expect("prometheus starts");
    let base = format!("http://127.0.0.1:{port}");
    Prometheus {
        _process: process,
        _dir: dir,
        env: ProbeEnv::default().with_var("PROM", base),
    }
}

/// Waits until `env`'s Prometheus has the sandbox target up, through the same probe kind, then
/// for a few scrapes more so a range has points and counters have moved.
async fn wait_for_scrapes(env: &ProbeEnv) {
    let up = annotated(
        "prometheus\nurl: ${PROM}\nquery: up{job=\"sandbox\"}\nexpect: value == 1\ndeadline: 2s",
        "x",
    );
    let t = Instant::now();
    loop {
        let r = run(&up, env).await;
        if r.passed() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the sandbox target never came up: {r:#?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_instant_and_range_queries_over_a_scraped_sandbox() {
    let Some(prometheus) = needs::program("prometheus") else {
        return;
    };
    let sb = start_sandbox(true).await.expect("sandbox");
    let prom = start_prometheus(&prometheus, sb.addr()).await;
    let env = &prom.env;
    wait_for_scrapes(env).await;

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
