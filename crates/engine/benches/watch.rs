//! The watch's two figures (issue 15), printed:
//!
//! - (a) a simulated 7-day plan of five-minute checks (2,016 slots, 168 hourly summaries, 7 budget
//!   summaries) on the injected clock, every slot recorded in a real store: wall time.
//! - (b) the scheduler idle between 5-minute slots on the wall clock: CPU time of this process
//!   (utime + stime of /proc/self/stat, every thread) over `FLIGHTDECK_BENCH_IDLE_S` seconds
//!   (default 600, the 10 minutes), as a share of one core. The slots in the window run a
//!   no-op check, so the figure is the scheduler's own cost.
//!
//! `cargo bench -p flightdeck-engine --bench watch` (release).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use flightdeck_engine::store::Store;
use flightdeck_engine::watch::{
    self, parse_band, Line, Runner, SystemWatchClock, WatchClock, WatchPlan, WatchReq,
};
use futures_util::future::BoxFuture;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

struct Sim(Mutex<OffsetDateTime>);

impl WatchClock for Sim {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
    fn sleep(&self, d: Duration) -> BoxFuture<'_, ()> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) += d;
        Box::pin(async {})
    }
}

struct Pass;

fn line(name: &str) -> Line {
    Line {
        name: name.into(),
        passed: true,
        values: BTreeMap::from([("status".into(), "200".into())]),
        message: None,
    }
}

impl Runner for Pass {
    fn checks<'a>(&'a self, steps: &'a [String]) -> BoxFuture<'a, Vec<Line>> {
        Box::pin(async move { steps.iter().map(|s| line(s)).collect() })
    }
    fn summary(&self) -> BoxFuture<'_, Vec<Line>> {
        Box::pin(async { vec![line("latency_p95")] })
    }
    fn budget(&self) -> BoxFuture<'_, Vec<Line>> {
        Box::pin(async { vec![line("ai_api")] })
    }
}

fn run_with(
    dir: &std::path::Path,
    t0: OffsetDateTime,
    edit: impl FnOnce(&mut WatchPlan),
) -> (Mutex<Store>, String) {
    let mut store = Store::open(dir.join("s.sqlite")).expect("open the store");
    let run = flightdeck_testsupport::store::started_bundled(&mut store, "m31");
    let loaded = flightdeck_engine::run::load(&store, &run).expect("load");
    let mut plan = WatchPlan::from_runbook(&loaded.runbook, t0).expect("plan");
    edit(&mut plan);
    watch::set_plan(
        &mut store,
        "bench",
        watch::SetWatchPlanReq {
            run: run.clone(),
            plan,
        },
    )
    .expect("plan set");
    (Mutex::new(store), run)
}

fn req(run: &str) -> WatchReq<'static> {
    WatchReq {
        run: run.into(),
        by: "bench".into(),
        alerts: None,
    }
}

/// utime + stime of this process, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).expect("a stat line");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().expect("utime") + f[12].parse::<f64>().expect("stime");
    let hz = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as f64;
    ticks / hz
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // (a) a week on the injected clock.
    let dir = tempfile::tempdir().expect("tempdir");
    let t0 = OffsetDateTime::now_utc();
    let (store, run) = run_with(dir.path(), t0, |p| {
        p.bands = vec![parse_band("0h-7d/5m").expect("band")]
    });
    let clock = Sim(Mutex::new(t0 - time::Duration::minutes(1)));
    let started = Instant::now();
    rt.block_on(watch::watch(
        &store,
        req(&run),
        &Pass,
        &clock,
        &|_| {},
        CancellationToken::new(),
    ))
    .expect("watch");
    let took = started.elapsed();
    let st = watch::status(&store.lock().unwrap_or_else(|p| p.into_inner()), &run).expect("status");
    println!(
        "(a) simulated 7-day plan: {} slots ({} passed) in {:.2} s (goal <= 10 s)",
        st.cells.len(),
        st.passed,
        took.as_secs_f64()
    );

    // (b) idle between 5-minute slots, on the wall clock.
    let secs: u64 = std::env::var("FLIGHTDECK_BENCH_IDLE_S")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    let dir = tempfile::tempdir().expect("tempdir");
    let t0 = OffsetDateTime::now_utc() + time::Duration::seconds(30);
    let (store, run) = run_with(dir.path(), t0, |p| {
        p.bands = vec![parse_band("0h-7d/5m").expect("band")];
        p.summary_every_min = 0;
        p.budget_every_min = 0;
    });
    let cancel = CancellationToken::new();
    let cpu0 = cpu_seconds();
    let wall0 = Instant::now();
    rt.block_on(async {
        let stop = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            stop.cancel();
        });
        watch::watch(
            &store,
            req(&run),
            &Pass,
            &SystemWatchClock,
            &|_| {},
            cancel.clone(),
        )
        .await
    })
    .expect("watch");
    let cpu = cpu_seconds() - cpu0;
    let wall = wall0.elapsed().as_secs_f64();
    let st = watch::status(&store.lock().unwrap_or_else(|p| p.into_inner()), &run).expect("status");
    println!(
        "(b) scheduler idle between 5-minute slots: {:.3} s CPU over {:.0} s wall = {:.4} % of a core ({} slots ran; goal <= 0.5 %)",
        cpu,
        wall,
        100.0 * cpu / wall,
        st.passed
    );
}
