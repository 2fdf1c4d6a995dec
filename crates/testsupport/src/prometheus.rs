//! A real Prometheus for a test: scraping one target every second, its data in a temp dir, killed
//! and removed when dropped (even when the test panics first).
//!
//! ```no_run
//! # fn t(target: std::net::SocketAddr) {
//! use flightdeck_testsupport::prometheus::Prometheus;
//! let Some(prom) = Prometheus::start(target) else { return }; // skipped (CI: fails) without it
//! prom.wait_for_scrapes(5); // the target is up and has been scraped 5 times
//! let base = prom.url();    // http://127.0.0.1:PORT
//! # }
//! ```
//!
//! Owns starting, waiting and stopping; what a test asks Prometheus is the test's. Blocking (std
//! networking only): from an async test, call [`Prometheus::wait_for_scrapes`] inside
//! `spawn_blocking`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The job name the target is scraped under (`up{job="sandbox"}`).
pub const JOB: &str = "sandbox";

/// How long [`Prometheus::wait_for_scrapes`] waits before it fails the test.
pub const STARTUP_LIMIT: Duration = Duration::from_secs(90);

/// A running Prometheus; killed and its data removed on drop.
pub struct Prometheus {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Debian's `prometheus` (the one `.ci/services.sh` found, `FLIGHTDECK_TEST_PROMETHEUS`,
    /// else the one on PATH) on a free port scraping `target` every second, or `None` (skipped;
    /// under CI a failure) when it is not installed.
    #[track_caller]
    pub fn start(target: SocketAddr) -> Option<Prometheus> {
        let program = match std::env::var_os("FLIGHTDECK_TEST_PROMETHEUS") {
            Some(p) if !p.is_empty() => std::path::PathBuf::from(p),
            _ => crate::needs::program("prometheus")?,
        };
        Some(Prometheus::start_with(&program, target))
    }

    /// [`start`](Self::start) with the program given.
    pub fn start_with(program: &Path, target: SocketAddr) -> Prometheus {
        let dir = tempfile::tempdir().expect("a temp dir for Prometheus");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: {JOB}\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .expect("write prometheus.yml");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("a log file");
        let child = Command::new(program)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("prometheus starts");
        Prometheus {
            child,
            port,
            _dir: dir,
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until the target is up and has been scraped at least `n` times (so rates have
    /// points); fails the test after [`STARTUP_LIMIT`], with Prometheus' log.
    pub fn wait_for_scrapes(&self, n: u32) {
        let t = Instant::now();
        let q = format!("count_over_time(up{{job=\"{JOB}\"}}[10m])");
        loop {
            if self.value(&q).is_some_and(|v| v >= f64::from(n))
                && self.value(&format!("up{{job=\"{JOB}\"}}")) == Some(1.0)
            {
                return;
            }
            if t.elapsed() > STARTUP_LIMIT {
                let log =
                    std::fs::read_to_string(self._dir.path().join("prometheus.log")).unwrap_or_default();
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(20)..].join("\n");
                panic!("Prometheus did not scrape its target {n} times within {STARTUP_LIMIT:?}; its log ends:\n{tail}");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The first value of an instant query now, if it answers one.
    pub fn value(&self, promql: &str) -> Option<f64> {
        let body = self.get(&format!("/api/v1/query?query={}", encode(promql)))?;
        let doc: serde_json::Value = serde_json::from_str(&body).ok()?;
        let result = &doc["data"]["result"];
        let v = result.get(0).map_or(&doc["data"]["result"], |r| &r["value"]);
        v.get(1)?.as_str()?.parse().ok()
    }

    /// A GET on this Prometheus over plain HTTP/1.0; the body, or `None` when it does not answer.
    pub fn get(&self, path_and_query: &str) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        write!(s, "GET {path_and_query} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
        let mut raw = String::new();
        s.read_to_string(&mut raw).ok()?;
        let (head, body) = raw.split_once("\r\n\r\n")?;
        // `HTTP/1.0 200 OK`: the status is the second word, whatever the version.
        (head.split_whitespace().nth(1) == Some("200")).then(|| body.to_owned())
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Percent-encodes a query parameter (RFC 3986 unreserved characters kept).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_parameters_are_percent_encoded() {
        assert_eq!(super::encode("up{job=\"x\"}"), "up%7Bjob%3D%22x%22%7D");
    }
}
