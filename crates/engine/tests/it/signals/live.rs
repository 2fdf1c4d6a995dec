//! Signals and SLOs against a real Prometheus (Debian's `prometheus`, started by each test,
//! killed on drop) scraping an in-process sandbox every second, its SLOs on the sandbox's 1-day
//! period (fast pair 2 min / 10 s): `down` gives no data (never ok) and clearing brings data
//! back; `latency=800ms` turns the latency SLO critical and `errors=5%` trips the error SLO's
//! fast burn, each within the fast pair's window, and clearing recovers; a PromQL syntax error
//! names the signal and the environment.

use std::time::{Duration, Instant};

use flightdeck_engine::signals::{self, Data, SloState, SloStatus};
use flightdeck_sandbox::{parse_fault, Sandbox};
use flightdeck_testsupport::prometheus::Prometheus;
use flightdeck_testsupport::sandbox::start as start_sandbox;
use tokio_util::sync::CancellationToken;

use super::{now, of, sandbox_target, target_with, until};

/// The fast pair's long window on a 1-day period (2 min), plus scrapes and rate windows.
const FAST_PAIR: Duration = Duration::from_secs(150);
/// After a fault clears, the page pairs stop once their short windows (10 s and 1 min) hold
/// good data again.
const RECOVERY: Duration = Duration::from_secs(150);
/// Down to no data: the shortest window (10 s) empties, plus scrapes.
const EMPTIES: Duration = Duration::from_secs(60);

/// A sandbox with traffic and a Prometheus scraping it, once it has a few scrapes.
async fn scraped() -> Option<(Sandbox, Prometheus)> {
    let sb = start_sandbox(true).await.expect("sandbox");
    let prom = Prometheus::start(sb.addr())?;
    let prom = tokio::task::spawn_blocking(move || {
        prom.wait_for_scrapes(8);
        prom
    })
    .await
    .expect("waiting for Prometheus");
    Some((sb, prom))
}

fn fault(sb: &Sandbox, spec: &str) {
    sb.set_fault(parse_fault(spec).expect("a fault"));
}

fn not(state: SloState) -> impl Fn(&SloStatus) -> bool {
    move |s| s.state != state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_gives_no_data_never_ok_and_clearing_brings_data_back() {
    let Some((sb, prom)) = scraped().await else { return };
    let target = sandbox_target(&prom.url());

    // Every golden signal of M31 §4 has points.
    let list = signals::for_env(&target).expect("signals");
    assert_eq!(list.len(), 12, "{list:#?}");
    let series = signals::range(&target, &list, now() - 60, now(), 1, &CancellationToken::new()).await;
    for r in &series {
        assert!(
            matches!(r.data, Data::Ok { .. }),
            "{}: {:?}",
            r.signal.name,
            r.data
        );
    }
    // Known before the fault: every SLO has data.
    until(&target, EMPTIES, "every SLO has data", |all| {
        all.iter().all(not(SloState::NoData))
    })
    .await;

    fault(&sb, "down");
    let all = until(&target, EMPTIES, "down: every SLO no data", |all| {
        all.iter().all(|s| s.state == SloState::NoData)
    })
    .await;
    for s in &all {
        assert_ne!(s.state, SloState::Ok, "missing data is never ok");
        assert!(
            s.reason.starts_with("no data:") && s.reason.contains("environment `sandbox`"),
            "the reason says why and where: {}",
            s.reason
        );
    }

    sb.clear_faults();
    until(&target, EMPTIES, "cleared: every SLO has data again", |all| {
        all.iter().all(not(SloState::NoData))
    })
    .await;
    drop(prom);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_800ms_turns_the_latency_slo_critical_within_the_fast_pair_and_clearing_recovers() {
    let Some((sb, prom)) = scraped().await else { return };
    let target = sandbox_target(&prom.url());
    let id = "api-latency-p95";
    until(
        &target,
        EMPTIES,
        "latency SLO has data and is not critical",
        |all| {
            let s = of(all, id);
            s.state != SloState::NoData && s.state != SloState::Critical
        },
    )
    .await;

    fault(&sb, "latency=800ms");
    let t = Instant::now();
    let all = until(
        &target,
        FAST_PAIR,
        "latency=800ms: the latency SLO pages and its 5m P95 is over 500 ms",
        |all| {
            // The burn's 10 s window fires within seconds; the threshold's 5-minute P95 follows
            // once 5 % of the window's requests are slow (seen 2 s apart on a loaded machine).
            let s = of(all, id);
            s.state == SloState::Critical && s.pairs[0].firing == Some(true) && s.threshold.met == Some(false)
        },
    )
    .await;
    let s = of(&all, id);
    eprintln!("latency SLO critical after {:?}: {}", t.elapsed(), s.reason);
    assert_eq!(s.pairs[0].factor, 14.4);
    assert_eq!((s.pairs[0].long.window_s, s.pairs[0].short.window_s), (120, 10));
    assert_eq!(
        s.threshold.met,
        Some(false),
        "P95 is over 500 ms: {:?}",
        s.threshold
    );
    assert_ne!(
        of(&all, "error-rate").state,
        SloState::Critical,
        "the right SLO, only"
    );

    sb.clear_faults();
    until(
        &target,
        RECOVERY,
        "cleared: the latency SLO stops paging",
        |all| {
            let s = of(all, id);
            s.state != SloState::Critical && s.state != SloState::NoData
        },
    )
    .await;
    drop(prom);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_5_percent_trips_the_error_slos_fast_burn_and_clearing_recovers() {
    let Some((sb, prom)) = scraped().await else { return };
    let target = sandbox_target(&prom.url());
    let id = "error-rate";
    until(
        &target,
        EMPTIES,
        "error SLO has data and is not critical",
        |all| {
            let s = of(all, id);
            s.state != SloState::NoData && s.state != SloState::Critical
        },
    )
    .await;

    fault(&sb, "errors=5%");
    let t = Instant::now();
    let all = until(
        &target,
        FAST_PAIR,
        "errors=5%: the error SLO's fast pair fires",
        |all| {
            let s = of(all, id);
            s.state == SloState::Critical && s.pairs[0].firing == Some(true)
        },
    )
    .await;
    let s = of(&all, id);
    eprintln!("error SLO critical after {:?}: {}", t.elapsed(), s.reason);
    let short = s.pairs[0].short.data.ok().expect("the short window has data");
    assert!(
        short.burn_rate >= 14.4,
        "5 % errors burn a 99.9 % budget ~50× over 10 s: {short:?}"
    );
    assert_ne!(
        of(&all, "api-latency-p95").state,
        SloState::Critical,
        "the right SLO, only"
    );

    sb.clear_faults();
    until(&target, RECOVERY, "cleared: the error SLO stops paging", |all| {
        let s = of(all, id);
        s.state != SloState::Critical && s.state != SloState::NoData
    })
    .await;
    drop(prom);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promql_syntax_error_names_the_signal_and_the_environment() {
    let Some((sb, prom)) = scraped().await else { return };
    let target = target_with(
        "staging-eu",
        &[
            ("PROMETHEUS_URL", &prom.url()),
            (
                "SIGNAL_CHECKOUT_ERRORS",
                "errors ratio promql: sum(rate(http_requests_total[$window])",
            ),
            (
                "SIGNAL_CHECKOUT_ERRORS_ERROR_RATIO",
                "sum(rate(http_requests_total[$window]",
            ),
            (
                "SLO_CHECKOUT",
                "Checkout errors < 1% (5min window, signal checkout_errors)",
            ),
        ],
        &[],
    );
    let list = signals::for_env(&target).expect("signals");
    let broken: Vec<_> = list
        .iter()
        .filter(|s| s.name == "checkout_errors")
        .cloned()
        .collect();
    let got = signals::range(&target, &broken, now() - 60, now(), 5, &CancellationToken::new()).await;
    let reason = got[0].data.reason().expect("no data").to_owned();
    assert!(
        reason.contains("signal `checkout_errors`")
            && reason.contains("environment `staging-eu`")
            && reason.contains("parse error"),
        "{reason}"
    );
    let all = super::statuses(&target).await;
    let s = of(&all, "checkout");
    assert_eq!(s.state, SloState::NoData);
    assert!(
        s.reason.contains("SLO `checkout` of environment `staging-eu`") && s.reason.contains("parse error"),
        "{}",
        s.reason
    );
    let t = s.threshold.data.reason().expect("threshold: no data");
    assert!(
        t.contains("signal `checkout_errors`") && t.contains("parse error"),
        "{t}"
    );
    drop(prom);
    sb.shutdown().await;
}
