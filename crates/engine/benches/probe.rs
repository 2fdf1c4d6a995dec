//! Probe benchmark (prints its figures): `cargo bench -p flightdeck-engine --bench probe`.
//!
//! 1. The latency an `http` probe reports against `curl -w %{time_total}` on the same loopback
//!    endpoint, medians over many runs (goal: ratio ≤ 1.10).
//! 2. 200 concurrent `http` probes through `run_many`: wall time against the slowest single probe
//!    (goal: ≤ 1.5), against an endpoint that answers after 100 ms.

use std::time::{Duration, Instant};

use flightdeck_engine::probe::process::ProcessSpec;
use flightdeck_engine::probe::{run_many, ProbeEnv, Spec};
use flightdeck_testsupport::probe::{annotated, run};
use flightdeck_testsupport::sandbox::start as start_sandbox;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

const RUNS: usize = 200;
const CONCURRENT: usize = 200;

/// An `http` probe of `url` that reports its latency as `took`.
fn spec(url: &str) -> Spec {
    annotated(
        &format!("http\nurl: {url}\nexpect: status == 200\ncapture: took <- latency"),
        "x",
    )
}

/// A loopback HTTP/1.1 server answering `ok` after `delay`, one request per connection (as a
/// probe and curl each open their own). It runs on its own thread and runtime, like a real server
/// in another process: sharing the probe's runtime would bill the server's work to the probe.
fn server(delay: Duration) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async move {
            let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let _ = tx.send(l.local_addr().expect("addr"));
            while let Ok((mut s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut b = [0u8; 2048];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut b).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&b[..n]),
                        }
                    }
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    let _ = s
                        .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                        .await;
                    let _ = s.shutdown().await;
                });
            }
        });
    });
    let addr = rx.recv().expect("the server thread reports its address");
    format!("http://{addr}/health")
}

/// A sandbox on its own thread and runtime (see `server`): its base URL.
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
                    eprintln!("sandbox did not start ({e}); skipping its comparison");
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

fn p(v: &[f64], q: f64) -> f64 {
    let i = ((v.len() as f64 - 1.0) * q).round() as usize;
    v.get(i).copied().unwrap_or(f64::NAN)
}

/// Medians of the latency the probe reports and of curl's `time_total`, alternating runs.
async fn compare_with_curl(label: &str, url: &str, env: &ProbeEnv) {
    let s = spec(url);
    let curl = ProcessSpec::new("curl").args(["-s", "-o", "/dev/null", "-w", "%{time_total}", url]);
    // Warm both up (the shared client, curl's page cache).
    for _ in 0..5 {
        let _ = run(&s, env).await;
        let _ = curl.output(4096, Duration::from_secs(5)).await;
    }
    let mut ours = Vec::with_capacity(RUNS);
    let mut theirs = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        // Alternate, so drift on the machine hits both alike.
        let r = run(&s, env).await;
        if let Some(ms) = r.capture("took").and_then(|v| v.parse::<f64>().ok()) {
            ours.push(ms);
        }
        match curl.output(4096, Duration::from_secs(5)).await {
            Ok(out) if out.status.success() => {
                if let Ok(secs) = String::from_utf8_lossy(&out.stdout).trim().parse::<f64>() {
                    theirs.push(secs * 1000.0);
                }
            }
            Ok(out) => eprintln!("curl failed: {}", String::from_utf8_lossy(&out.stderr)),
            Err(e) => {
                eprintln!("curl not runnable ({e}); skipping the latency comparison");
                return;
            }
        }
    }
    if ours.is_empty() || theirs.is_empty() {
        return;
    }
    let (mo, mt) = (median(&mut ours), median(&mut theirs));
    println!(
        "http probe latency vs curl -w %{{time_total}}, {label}, {RUNS} runs each, new connection each:"
    );
    println!(
        "  probe: median {mo:.3} ms  p90 {:.3} ms    curl: median {mt:.3} ms  p90 {:.3} ms",
        p(&ours, 0.9),
        p(&theirs, 0.9)
    );
    println!("  ratio probe/curl (medians): {:.2}  (goal ≤ 1.10)", mo / mt);
}

fn main() {
    // Steps run on one thread, as `flightdeck run` and the app run them; on a multi-thread
    // runtime (FLIGHTDECK_BENCH_MULTI_THREAD=1, for comparison) hyper's connection task wakes on
    // another worker and each request pays ~0.1 ms of cross-thread hand-offs.
    let rt = if std::env::var_os("FLIGHTDECK_BENCH_MULTI_THREAD").is_some() {
        tokio::runtime::Builder::new_multi_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    }
    .expect("runtime");
    rt.block_on(async {
        let env = ProbeEnv::default();

        // 1. probe latency vs curl on the same endpoints
        let url = server(Duration::ZERO);
        compare_with_curl("static loopback endpoint (2-byte body)", &url, &env).await;
        if let Some(base) = sandbox() {
            let url = format!("{base}/health");
            compare_with_curl("sandbox /health (SQLite round trip)", &url, &env).await;
        }

        // 2. 200 concurrent probes vs the slowest single one
        let slow = server(Duration::from_millis(100));
        let s = spec(&slow);
        let specs: Vec<Spec> = (0..CONCURRENT).map(|_| s.clone()).collect();
        let mut singles = Vec::new();
        for _ in 0..10 {
            singles.push(run(&s, &env).await.duration_ms as f64);
        }
        let (tx, mut rx) = mpsc::channel(1024);
        let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
        let t = Instant::now();
        let results = run_many(&specs, &env, CONCURRENT, tx, CancellationToken::new()).await;
        let wall = t.elapsed().as_secs_f64() * 1000.0;
        let _ = drain.await;
        let passed = results.iter().filter(|r| r.passed()).count();
        let slowest = results.iter().map(|r| r.duration_ms).max().unwrap_or(0) as f64;
        let single = median(&mut singles);
        println!("{CONCURRENT} concurrent http probes (endpoint answers after 100 ms), run_many concurrency {CONCURRENT}:");
        println!(
            "  passed {passed}/{CONCURRENT}; wall {wall:.1} ms; slowest probe {slowest:.1} ms; one probe alone {single:.1} ms"
        );
        println!("  wall / slowest: {:.2}  (goal ≤ 1.5)", wall / slowest);
        println!("  wall / one alone: {:.2}", wall / single);
    });
}
