//! Golden signals and SLOs (`flightdeck_engine::signals`) against real sources on loopback:
//! a real Prometheus (Debian's, started by each test) scraping an in-process sandbox whose
//! faults move the signals (`live`), a fake Prometheus for the answers a real one will not give
//! on demand — HTTP 500, silence, 50 MB, NaN/±Inf — and for the auth headers (`hostile`), and a
//! real Postgres for SQL signals (`sql`, under `.ci/services.sh`).
//!
//! One module per subject; this one holds what they share.

mod hostile;
mod live;
mod sql;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flightdeck_engine::probe::{MapSecrets, ProbeEnv};
use flightdeck_engine::signals::{self, slo, SloStatus, Target};
use tokio_util::sync::CancellationToken;

/// The target of environment `env` with these variables (and secrets).
pub fn target_with(env: &str, vars: &[(&str, &str)], secrets: &[(&str, &str)]) -> Target {
    let mut probe = ProbeEnv {
        secrets: Arc::new(MapSecrets(
            secrets
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        )),
        ..ProbeEnv::default()
    };
    for (k, v) in vars {
        probe = probe.with_var(k, *v);
    }
    Target::from_env(env, &probe).expect("the target reads")
}

/// The sandbox's target over Prometheus `url`: 1 s scrapes, the sandbox's 1-day SLO period
/// (fast pair 2 min / 10 s).
pub fn sandbox_target(url: &str) -> Target {
    target_with(
        "sandbox",
        &[
            ("PROMETHEUS_URL", url),
            ("PROMETHEUS_SCRAPE_INTERVAL", "1s"),
            ("SLO_PERIOD", "1d"),
        ],
        &[],
    )
}

/// Unix seconds now.
pub fn now() -> i64 {
    signals::now(&ProbeEnv::default())
}

/// The environment's own four SLOs (M31 §4) evaluated now.
pub async fn statuses(target: &Target) -> Vec<SloStatus> {
    let slos = slo::for_env(target, None).expect("the default SLOs bind");
    slo::status(target, &slos, now(), &CancellationToken::new()).await
}

/// The status of SLO `id` among `all`.
pub fn of<'a>(all: &'a [SloStatus], id: &str) -> &'a SloStatus {
    all.iter().find(|s| s.slo.id == id).unwrap_or_else(|| {
        panic!(
            "no SLO `{id}` in {:?}",
            all.iter().map(|s| &s.slo.id).collect::<Vec<_>>()
        )
    })
}

/// Evaluates every second until `holds` does, and returns those statuses; fails the test after
/// `limit` (a bound on a wait the issue states, never a speed goal) with the last statuses.
pub async fn until(
    target: &Target,
    limit: Duration,
    what: &str,
    holds: impl Fn(&[SloStatus]) -> bool,
) -> Vec<SloStatus> {
    let t = Instant::now();
    loop {
        let all = statuses(target).await;
        if holds(&all) {
            return all;
        }
        if t.elapsed() > limit {
            let states: Vec<String> = all
                .iter()
                .map(|s| format!("{}: {} ({})", s.slo.id, s.state.as_str(), s.reason))
                .collect();
            panic!("{what}: not within {limit:?}; last:\n{}", states.join("\n"));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
