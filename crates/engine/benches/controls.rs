//! Flag toggle benchmark (prints its figures): `cargo bench -p flightdeck-engine --bench controls`.
//!
//! A flag toggle through the engine (`controls::apply` over the HTTP admin adapter: the state
//! read just before, the POST, the read-back GET) against a bare `curl` POST then `curl` GET on
//! the same sandbox endpoint, alternating runs, medians. Two curl figures: the time curl itself
//! reports (`%{time_total}` of both requests; no process start) and the wall time of the two curl
//! processes; and, like for like with the engine's kept-alive connection, one curl doing the POST
//! and then the GET (`--next`) on one connection. Goal: ratio ≤ 1.2.

use std::time::{Duration, Instant};

use flightdeck_engine::controls::{apply, ControlOutcome, ControlReq, EnvTarget, Target};
use flightdeck_engine::probe::process::ProcessSpec;
use flightdeck_engine::probe::ProbeEnv;
use flightdeck_testsupport::sandbox::start as start_sandbox;

const RUNS: usize = 200;
const KEY: &str = "community_enabled";

/// A sandbox on its own thread and runtime (its work is not billed to the toggle): its URL.
fn sandbox() -> Option<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("rt");
        rt.block_on(async move {
            match start_sandbox(false).await {
                Ok(sb) => {
                    let _ = tx.send(Some(sb.base_url()));
                    std::future::pending::<()>().await;
                }
                Err(e) => {
                    eprintln!("sandbox did not start ({e})");
                    let _ = tx.send(None);
                }
            }
        });
    });
    rx.recv().ok().flatten()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

async fn toggle(t: &EnvTarget, on: bool) -> f64 {
    let req = ControlReq {
        env: "sandbox".into(),
        target: Target::Flag {
            key: KEY.into(),
            enabled: on,
            rollout: Some(if on { 50 } else { 0 }),
        },
        adapter: None,
        reason: "bench".into(),
        expect_from: None,
        confirmed: false,
        run: None,
        deadline_ms: None,
        recheck_ms: None,
    };
    let start = Instant::now();
    let r = apply(t, &req, None).await.expect("apply");
    let took = start.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(r.outcome, ControlOutcome::Applied, "{r:?}");
    took
}

/// `curl` POST then GET: (the time curl reports for both, the wall time of both processes).
async fn curl_pair(url: &str, on: bool) -> (f64, f64) {
    let body = format!(
        r#"{{"is_enabled":{on},"rollout_percentage":{}}}"#,
        if on { 50 } else { 0 }
    );
    let post = ProcessSpec::new("curl").args([
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{time_total}",
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        &body,
        url,
    ]);
    let get = ProcessSpec::new("curl").args(["-s", "-o", "/dev/null", "-w", "%{time_total}", url]);
    let start = Instant::now();
    let a = post
        .output(4096, Duration::from_secs(5))
        .await
        .expect("curl POST");
    let b = get.output(4096, Duration::from_secs(5)).await.expect("curl GET");
    let wall = start.elapsed().as_secs_f64() * 1000.0;
    let secs = |o: &[u8]| {
        String::from_utf8_lossy(o)
            .trim()
            .parse::<f64>()
            .unwrap_or(f64::NAN)
            * 1000.0
    };
    (secs(&a.stdout) + secs(&b.stdout), wall)
}

/// One `curl` doing the POST and then (`--next`) the GET on the same kept-alive connection: the
/// sum of the times it reports for both.
async fn curl_kept_alive(url: &str, on: bool) -> f64 {
    let body = format!(
        r#"{{"is_enabled":{on},"rollout_percentage":{}}}"#,
        if on { 50 } else { 0 }
    );
    let both = ProcessSpec::new("curl").args([
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{time_total}\n",
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        &body,
        url,
        "--next",
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{time_total}\n",
        url,
    ]);
    let out = both
        .output(4096, Duration::from_secs(5))
        .await
        .expect("curl POST --next GET");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse::<f64>().ok())
        .sum::<f64>()
        * 1000.0
}

fn main() {
    let Some(base) = sandbox() else { return };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let t = EnvTarget::new(
        "sandbox",
        false,
        ProbeEnv::default().with_var("SANDBOX_URL", &base),
    );
    let url = format!("{base}/admin/feature-flags/{KEY}");
    rt.block_on(async {
        for i in 0..10 {
            toggle(&t, i % 2 == 0).await;
            curl_pair(&url, i % 2 == 0).await;
        }
        let (mut ours, mut curl_total, mut curl_wall, mut kept) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for i in 0..RUNS {
            let on = i % 2 == 0;
            ours.push(toggle(&t, on).await);
            let (total, wall) = curl_pair(&url, !on).await;
            curl_total.push(total);
            curl_wall.push(wall);
            kept.push(curl_kept_alive(&url, on).await);
        }
        let (o, ct, cw) = (median(&mut ours), median(&mut curl_total), median(&mut curl_wall));
        let ck = median(&mut kept);
        println!("flag toggle, {RUNS} runs each, medians (sandbox on SQLite, loopback):");
        println!("  flightdeck apply + read back (GET before, POST, GET after): {o:.3} ms");
        println!(
            "  curl POST then GET, time curl reports:                     {ct:.3} ms  ratio {:.2}",
            o / ct
        );
        println!(
            "  curl POST then GET, wall time of the two processes:        {cw:.3} ms  ratio {:.2}",
            o / cw
        );
        println!(
            "  one curl, POST --next GET on one kept-alive connection:    {ck:.3} ms  ratio {:.2}",
            o / ck
        );
    });
}
