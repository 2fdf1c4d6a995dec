//! A 1 GiB response body (generated on the fly, never in memory) through an `http` probe: it ends
//! within its deadline, keeps 1 MiB with a truncation marker, and the process grows by less than
//! 10 MB. Alone in its test binary so no other test's allocations blur the measurement.

use std::time::{Duration, Instant};

use flightdeck_engine::probe::{Outcome, ProbeEnv, OUTPUT_CAP};
use flightdeck_testsupport::probe::{annotated, run};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const GIB: u64 = 1 << 30;

fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_gib_body_is_cut_at_the_cap_without_growing_memory() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            tokio::spawn(async move {
                let mut b = [0u8; 4096];
                let _ = s.read(&mut b).await;
                let head =
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {GIB}\r\nContent-Type: text/plain\r\n\r\n");
                if s.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = [b'z'; 64 * 1024];
                let mut sent = 0u64;
                while sent < GIB {
                    if s.write_all(&chunk).await.is_err() {
                        return;
                    }
                    sent += chunk.len() as u64;
                }
            });
        }
    });
    let url = format!("http://{addr}/big");
    let env = ProbeEnv::default();
    let spec = annotated(&format!("http\nurl: {url}\ndeadline: 10s"), "x");
    // Warm up once (client, TLS provider, buffers), then measure a second run.
    let _ = run(&spec, &env).await;
    let before = rss_kb();
    let t = Instant::now();
    let r = run(&spec, &env).await;
    let took = t.elapsed();
    let after = rss_kb();
    assert_eq!(r.outcome, Outcome::Passed, "{:?}", r.message);
    assert!(took < Duration::from_secs(11), "took {took:?}");
    let body = r.body.expect("a body excerpt");
    assert!(body.truncated);
    assert_eq!(body.bytes, OUTPUT_CAP as u64);
    assert_eq!(body.truncated_bytes, GIB - OUTPUT_CAP as u64);
    assert!(body
        .text
        .ends_with(&format!("…[truncated {} bytes]", GIB - OUTPUT_CAP as u64)));
    let grew_kb = after.saturating_sub(before);
    eprintln!("1 GiB body: {took:?}, RSS {before} kB → {after} kB (+{grew_kb} kB)");
    assert!(
        grew_kb < 10 * 1024,
        "RSS grew by {grew_kb} kB reading a 1 GiB body"
    );
}
