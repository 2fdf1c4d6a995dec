//! Signals and SLOs against a fake Prometheus (`testsupport::fake_prom`, a local HTTP server:
//! a real Prometheus will not answer 500, go silent, send 50 MB or NaN on demand): each of those
//! answers is no data with a reason naming the signal and the environment — never a number, never
//! an ok SLO — every call ends at its deadline and stops reading at the body cap; and the
//! bearer or basic auth the environment's secrets give reaches Prometheus.

use std::time::Duration;

use flightdeck_engine::signals::{self, Data, SloState, BODY_CAP};
use flightdeck_testsupport::fake_prom::{matrix, vector, Answer, FakeProm};
use tokio_util::sync::CancellationToken;

use super::{now, statuses, target_with};

/// Far above any deadline here: a call still running then means the deadline did not hold.
const OUTER: Duration = Duration::from_secs(60);

async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(OUTER, f)
        .await
        .expect("every call ends at its deadline")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prometheus_answering_500_is_no_data_naming_the_signal_and_the_environment() {
    for body in [
        "{\"status\":\"error\",\"errorType\":\"internal\",\"error\":\"boom\"}",
        "<html>oops</html>",
    ] {
        let body = body.to_owned();
        let fake = FakeProm::start(move |_| Answer::Status(500, body.clone()));
        let target = target_with("prod-eu", &[("PROMETHEUS_URL", &fake.url())], &[]);
        let list = signals::for_env(&target).expect("signals");
        let got = bounded(signals::range(
            &target,
            &list,
            now() - 60,
            now(),
            5,
            &CancellationToken::new(),
        ))
        .await;
        assert_eq!(got.len(), 12);
        for r in &got {
            let why = r
                .data
                .reason()
                .unwrap_or_else(|| panic!("{}: data from a 500", r.signal.name));
            assert!(
                why.contains(&format!("signal `{}` of environment `prod-eu`", r.signal.name))
                    && why.contains("HTTP 500"),
                "{why}"
            );
        }
        for s in bounded(statuses(&target)).await {
            assert_eq!(s.state, SloState::NoData, "{}: {}", s.slo.id, s.reason);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prometheus_that_never_answers_is_no_data_at_the_deadline() {
    let fake = FakeProm::start(|_| Answer::Hang);
    let target = target_with(
        "prod-eu",
        &[("PROMETHEUS_URL", &fake.url()), ("SIGNALS_DEADLINE", "1s")],
        &[],
    );
    let list = signals::for_env(&target).expect("signals");
    let got = bounded(signals::instant(
        &target,
        &list[..1],
        now(),
        60,
        &CancellationToken::new(),
    ))
    .await;
    let why = got[0].data.reason().expect("no data");
    assert!(
        why.contains("signal `latency_p50` of environment `prod-eu`") && why.contains("within 1"),
        "{why}"
    );
    let all = bounded(statuses(&target)).await;
    assert!(all.iter().all(|s| s.state == SloState::NoData));
    assert!(!fake.requests().is_empty(), "the fake was asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_answer_is_cut_at_the_body_cap() {
    let fake = FakeProm::start(|_| Answer::Huge(50 << 20));
    let target = target_with("prod-eu", &[("PROMETHEUS_URL", &fake.url())], &[]);
    assert_eq!(target.body_cap, BODY_CAP);
    let list = signals::for_env(&target).expect("signals");
    let got = bounded(signals::range(
        &target,
        &list[..2],
        now() - 60,
        now(),
        5,
        &CancellationToken::new(),
    ))
    .await;
    for r in &got {
        let why = r.data.reason().expect("no data");
        assert!(
            why.contains(&format!("larger than {} MiB", BODY_CAP >> 20))
                && why.contains("environment `prod-eu`"),
            "{why}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nan_and_infinite_values_are_never_numbers_and_never_an_ok_slo() {
    // Ranges: two good samples among NaN and ±Inf. Instants (what SLOs ask): NaN, +Inf or -Inf.
    let turn = std::sync::atomic::AtomicUsize::new(0);
    let fake = FakeProm::start(move |head| {
        if head.contains("query_range") {
            Answer::Json(matrix(&[
                (1, "1.5"),
                (2, "NaN"),
                (3, "+Inf"),
                (4, "-Inf"),
                (5, "2"),
            ]))
        } else {
            let n = turn.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Answer::Json(vector(1, ["NaN", "+Inf", "-Inf"][n % 3]))
        }
    });
    let target = target_with("prod-eu", &[("PROMETHEUS_URL", &fake.url())], &[]);
    let list = signals::for_env(&target).expect("signals");
    let got = bounded(signals::range(
        &target,
        &list[..1],
        now() - 60,
        now(),
        5,
        &CancellationToken::new(),
    ))
    .await;
    let Data::Ok { value } = &got[0].data else {
        panic!("{:?}", got[0].data)
    };
    let vs: Vec<f64> = value.points.iter().map(|p| p.v).collect();
    assert_eq!(vs, vec![1.5, 2.0], "only finite values are points");
    assert_eq!(value.dropped, 3, "NaN, +Inf and -Inf are counted, not drawn");

    let now_values = bounded(signals::instant(
        &target,
        &list,
        now(),
        60,
        &CancellationToken::new(),
    ))
    .await;
    for r in &now_values {
        let why = r
            .data
            .reason()
            .unwrap_or_else(|| panic!("{}: a number from {:?}", r.signal.name, r.data));
        assert!(
            why.contains("NaN or infinite") && why.contains("environment `prod-eu`"),
            "{why}"
        );
    }
    for s in bounded(statuses(&target)).await {
        assert_eq!(s.state, SloState::NoData, "{}: {}", s.slo.id, s.reason);
        assert!(
            s.pairs.iter().all(|p| p.firing.is_none()),
            "an infinite burn pages nobody"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_and_basic_auth_from_the_environments_secrets_reach_prometheus() {
    let fake = FakeProm::start(|_| Answer::Json(vector(1, "1")));
    let cancel = CancellationToken::new();

    let target = target_with(
        "prod-eu",
        &[("PROMETHEUS_URL", &fake.url())],
        &[("PROMETHEUS_TOKEN", "tok-3f9a")],
    );
    let list = signals::for_env(&target).expect("signals");
    bounded(signals::instant(&target, &list[..1], now(), 60, &cancel)).await;
    let heads = fake.requests();
    assert!(
        heads
            .last()
            .expect("a request")
            .to_ascii_lowercase()
            .contains("authorization: bearer tok-3f9a"),
        "{heads:?}"
    );

    let target = target_with(
        "prod-eu",
        &[("PROMETHEUS_URL", &fake.url()), ("PROMETHEUS_USER", "ops")],
        &[("PROMETHEUS_PASSWORD", "pw")],
    );
    bounded(signals::instant(&target, &list[..1], now(), 60, &cancel)).await;
    let heads = fake.requests();
    // base64("ops:pw")
    assert!(
        heads.last().expect("a request").contains("Basic b3BzOnB3"),
        "{heads:?}"
    );

    // A user without the password's secret is a configuration error that says what to do.
    let probe = flightdeck_engine::probe::ProbeEnv::default()
        .with_var("PROMETHEUS_URL", fake.url())
        .with_var("PROMETHEUS_USER", "ops");
    let err = signals::Target::from_env("prod-eu", &probe).expect_err("no password");
    assert!(err.to_string().contains("PROMETHEUS_PASSWORD"), "{err}");
}
