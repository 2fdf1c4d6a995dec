//! Probes against real servers on loopback that each test starts itself: a fault set (blackhole,
//! 1 byte/s trickle, redirect loop, unresolvable host, self-signed TLS, HTTP 500, refused
//! connection), shell steps (exit codes, captures, output caps, process-tree kill on deadline and
//! cancel, secrets), the sandbox over http and http-burst, a real Postgres and a real Prometheus.
//! (The 1 GiB body and its memory bound live in `probe_memory.rs`, alone in their process.)

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flightdeck_engine::probe::process::ProcessSpec;
use flightdeck_engine::probe::{
    run_many, FailureClass, MapSecrets, Outcome, ProbeEnv, ProbeEvent, ProbeResult, Redact, Spec, Stream,
    Verdict,
};
use flightdeck_testsupport::needs;
use flightdeck_testsupport::probe::{annotated, run, run_collecting, spec_of as spec};
use flightdeck_testsupport::sandbox::start as start_sandbox;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

// ---------------------------------------------------------------------------------------------
// helpers

fn assert_class(r: &ProbeResult, class: FailureClass) {
    assert_eq!(r.outcome, Outcome::Failed, "{r:#?}");
    assert_eq!(r.failure, Some(class), "{r:#?}");
}

/// Serves each connection with `handle` on a fresh loopback port.
async fn serve<F, Fut>(handle: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            tokio::spawn(handle(s));
        }
    });
    addr
}

/// Reads one request's head (up to the blank line).
async fn read_head(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut b = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut b).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&b[..n]),
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

fn proc_alive(pid: u32) -> bool {
    // Gone, or a zombie waiting for a reaper: either way nothing runs.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat.rsplit(')').next().and_then(|r| r.split_whitespace().next());
            !matches!(state, Some("Z" | "X"))
        }
    }
}

async fn wait_gone(pid: u32) -> bool {
    for _ in 0..50 {
        if !proc_alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

fn pids(text: &str) -> Vec<u32> {
    text.split_whitespace().filter_map(|w| w.parse().ok()).collect()
}

// ---------------------------------------------------------------------------------------------
// the fault set: each ends in its failure class within deadline + 1 s

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blackhole_times_out_within_the_deadline() {
    let held = Arc::new(tokio::sync::Mutex::new(Vec::new()));
    let h = held.clone();
    let addr = serve(move |s| {
        let h = h.clone();
        async move { h.lock().await.push(s) }
    })
    .await;
    let s = annotated(&format!("http\nurl: http://{addr}/\ndeadline: 2s"), "x");
    let t = Instant::now();
    let r = run(&s, &ProbeEnv::default()).await;
    assert_class(&r, FailureClass::Timeout);
    assert!(t.elapsed() < Duration::from_secs(3), "took {:?}", t.elapsed());
    assert!(
        t.elapsed() >= Duration::from_millis(1900),
        "ended before the deadline"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickle_of_one_byte_a_second_times_out() {
    let addr = serve(|mut s| async move {
        read_head(&mut s).await;
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            .await;
        for _ in 0..1000 {
            if s.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .await;
    let s = annotated(&format!("http\nurl: http://{addr}/\ndeadline: 2s"), "x");
    let t = Instant::now();
    let r = run(&s, &ProbeEnv::default()).await;
    assert_class(&r, FailureClass::Timeout);
    assert!(t.elapsed() < Duration::from_secs(3), "took {:?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_loop_stops_after_five_hops_as_an_http_status_failure() {
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = hits.clone();
    let addr = serve(move |mut s| {
        let h = h.clone();
        async move {
            loop {
                let head = read_head(&mut s).await;
                if head.is_empty() {
                    return;
                }
                h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let n = h.load(std::sync::atomic::Ordering::SeqCst);
                let resp = format!("HTTP/1.1 302 Found\r\nLocation: /loop{n}\r\nContent-Length: 0\r\n\r\n");
                if s.write_all(resp.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    })
    .await;
    let s = annotated(&format!("http\nurl: http://{addr}/\ndeadline: 5s"), "x");
    let t = Instant::now();
    let r = run(&s, &ProbeEnv::default()).await;
    assert_class(&r, FailureClass::HttpStatus);
    assert_eq!(r.http_status, Some(302));
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        6,
        "the first request and 5 redirects"
    );
    assert!(t.elapsed() < Duration::from_secs(6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unresolvable_host_is_a_dns_failure() {
    let s = annotated(
        "http\nurl: http://flightdeck-no-such-host.invalid/\ndeadline: 5s",
        "x",
    );
    let t = Instant::now();
    let r = run(&s, &ProbeEnv::default()).await;
    assert_class(&r, FailureClass::Dns);
    assert!(t.elapsed() < Duration::from_secs(6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_is_connect_refused() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let s = annotated(&format!("http\nurl: http://{addr}/\ndeadline: 5s"), "x");
    let r = run(&s, &ProbeEnv::default()).await;
    assert_class(&r, FailureClass::ConnectRefused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_500_is_an_http_status_failure_with_the_body() {
    let addr = serve(|mut s| async move {
        read_head(&mut s).await;
        let _ = s
            .write_all(
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops",
            )
            .await;
    })
    .await;
    let s = annotated(
        &format!("http\nurl: http://{addr}/\ndeadline: 3s\ncapture: Application <- verdict"),
        "x",
    );
    let r = run(&s, &ProbeEnv::default()).await;
    assert_class(&r, FailureClass::HttpStatus);
    assert_eq!(r.http_status, Some(500));
    assert_eq!(r.body.as_ref().map(|b| b.text.as_str()), Some("oops"));
    let a = &r.assertions[0];
    assert_eq!(
        (a.expr.as_str(), a.actual.as_str(), &a.verdict),
        ("status in 200..299", "500", &Verdict::Fail)
    );
    assert_eq!(
        r.capture("Application"),
        Some("failed"),
        "an unbound verdict says failed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_tls_is_a_tls_failure_unless_told_to_accept_it() {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("certificate");
    let der = rustls::pki_types::CertificateDer::from(cert.cert.der().to_vec());
    let key = rustls::pki_types::PrivateKeyDer::try_from(cert.key_pair.serialize_der()).expect("key");
    let config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(vec![der], key)
            .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let addr = serve(move |s| {
        let acceptor = acceptor.clone();
        async move {
            let Ok(mut tls) = acceptor.accept(s).await else {
                return;
            };
            let mut b = [0u8; 4096];
            let _ = tls.read(&mut b).await;
            let _ = tls
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                .await;
            let _ = tls.shutdown().await;
        }
    })
    .await;
    let url = format!("https://127.0.0.1:{}/", addr.port());
    let s = annotated(&format!("http\nurl: {url}\ndeadline: 3s"), "x");
    let t = Instant::now();
    let r = run(&s, &ProbeEnv::default()).await;
    assert_class(&r, FailureClass::Tls);
    assert!(t.elapsed() < Duration::from_secs(4));

    let s = annotated(
        &format!("http\nurl: {url}\ntls-insecure: true\nexpect: body == \"ok\""),
        "x",
    );
    let r = run(&s, &ProbeEnv::default()).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
}

// ---------------------------------------------------------------------------------------------
// shell

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_exit_codes_decide_unless_an_expectation_says_otherwise() {
    let env = ProbeEnv::default();
    let ok = spec("```bash\necho hello\n```\n");
    let r = run(&ok, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert_eq!(r.exit_code, Some(0));
    assert_eq!(r.stdout.as_ref().map(|s| s.text.as_str()), Some("hello\n"));

    let r = run(&spec("```bash\necho bad >&2; exit 3\n```\n"), &env).await;
    assert_class(&r, FailureClass::Assertion);
    assert_eq!(r.exit_code, Some(3));
    assert_eq!(r.stderr.as_ref().map(|s| s.text.as_str()), Some("bad\n"));
    assert_eq!(r.assertions[0].actual, "3");

    let r = run(&annotated("shell\nexpect: exit == 3", "exit 3"), &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");

    let r = run(&annotated("shell\ninterpreter: /nonexistent/shell", "true"), &env).await;
    assert_class(&r, FailureClass::SpawnError);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_captures_fill_fields_and_feed_assertions() {
    // Laid out like the M31 checklist: the annotation, fence and fields indented under the item.
    let md = "### 1. Code & Testing Readiness\n\
              - [ ] **Security Testing**\n\
              \x20 <!-- flightdeck: shell\n\
              \x20 capture: passes <- regex /(\\d+) passed/\n\
              \x20 capture: total <- regex /of (\\d+)/\n\
              \x20 capture: Pass Rate <- passes / total * 100\n\
              \x20 capture: version <- json(.version)\n\
              \x20 expect: passes / total > 0.95\n\
              \x20 expect: stdout matches /passed/\n\
              \x20 capture: Outcome <- verdict\n\
              \x20 -->\n\
              \x20 ```bash\n\
              \x20 echo '{\"version\": \"1.2.3\", \"note\": \"97 passed of 100\"}'\n\
              \x20 ```\n\
              \x20 **Result**: _______ passes / _______ total (**Pass Rate**: ____%)\n\
              \x20 **Outcome**: [ ] Success [ ] Failed\n";
    let s = spec(md);
    let r = run(&s, &ProbeEnv::default()).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert_eq!(r.capture("passes"), Some("97"));
    assert_eq!(r.capture("total"), Some("100"));
    assert_eq!(r.capture("Pass Rate"), Some("97"));
    assert_eq!(r.capture("version"), Some("1.2.3"));
    assert_eq!(
        r.capture("Outcome"),
        Some("Success"),
        "the choice field's own option"
    );
    let bound: Vec<_> = r.captures.iter().filter_map(|c| c.field_id.as_deref()).collect();
    assert_eq!(
        bound,
        vec!["1.result-passes", "1.result-total", "1.pass-rate", "1.outcome"]
    );
    let a = r
        .assertions
        .iter()
        .find(|a| a.expr.starts_with("passes"))
        .unwrap();
    assert_eq!(a.actual, "0.97");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_output_is_capped_at_one_mebibyte_with_a_marker() {
    let s = spec("```bash\nhead -c 3000000 /dev/zero | tr '\\0' x; echo; echo done >&2\n```\n");
    let (r, events) = run_collecting(&s, &ProbeEnv::default(), CancellationToken::new()).await;
    assert_eq!(r.outcome, Outcome::Passed, "{:?}", r.message);
    let out = r.stdout.unwrap();
    assert_eq!(out.bytes, 3_000_001);
    assert!(out.truncated);
    assert_eq!(out.truncated_bytes, 3_000_001 - (1 << 20));
    assert!(out
        .text
        .ends_with(&format!("…[truncated {} bytes]", 3_000_001 - (1 << 20))));
    let streamed: usize = events
        .iter()
        .filter_map(|e| match e {
            ProbeEvent::Output {
                stream: Stream::Stdout,
                text,
            } => Some(text.len()),
            _ => None,
        })
        .sum();
    assert_eq!(streamed, 1 << 20, "events stream at most 1 MiB per stream");
    assert!(matches!(events.first(), Some(ProbeEvent::Started { .. })));
    assert_eq!(r.provenance.command_sha256.len(), 64);
    assert_eq!(r.provenance.output_sha256.len(), 64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_deadline_kills_the_whole_process_tree() {
    // A child and a grandchild, each printing its pid, then the shell waits too.
    let code = "sleep 100 & echo $!\nbash -c 'sleep 100 & echo $!; wait' &\nsleep 100";
    let s = annotated("shell\ndeadline: 1s", code);
    let t = Instant::now();
    let r = run(&s, &ProbeEnv::default()).await;
    assert_class(&r, FailureClass::Timeout);
    assert!(t.elapsed() < Duration::from_secs(2), "took {:?}", t.elapsed());
    let ps = pids(&r.stdout.as_ref().map(|s| s.text.clone()).unwrap_or_default());
    assert_eq!(ps.len(), 2, "both sleeps printed their pid: {r:#?}");
    for p in ps {
        assert!(wait_gone(p).await, "sleep {p} survived the deadline");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_a_shell_step_and_its_children() {
    let s = annotated("shell\ndeadline: 30s", "sleep 100 & echo $!\nwait");
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.cancel();
    });
    let t = Instant::now();
    let (r, _) = run_collecting(&s, &ProbeEnv::default(), cancel).await;
    assert_class(&r, FailureClass::Cancelled);
    assert!(t.elapsed() < Duration::from_secs(2));
    let ps = pids(&r.stdout.map(|s| s.text).unwrap_or_default());
    assert_eq!(ps.len(), 1);
    assert!(wait_gone(ps[0]).await, "the sleep survived Cancel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_background_leftovers_end_with_the_step() {
    // The shell exits at once but leaves a child holding stdout: the step still ends promptly.
    let s = annotated("shell\ndeadline: 20s", "sleep 100 & echo $!");
    let t = Instant::now();
    let r = run(&s, &ProbeEnv::default()).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert!(t.elapsed() < Duration::from_secs(3), "took {:?}", t.elapsed());
    let ps = pids(&r.stdout.map(|s| s.text).unwrap_or_default());
    assert!(
        wait_gone(ps[0]).await,
        "the leftover sleep was killed with its group"
    );
}

struct Upper;
impl Redact for Upper {
    fn redact(&self, bytes: &[u8]) -> Vec<u8> {
        String::from_utf8_lossy(bytes)
            .replace("internal-host", "[host]")
            .into_bytes()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_reach_the_step_but_never_its_record() {
    let mut secrets = BTreeMap::new();
    secrets.insert("api_token".to_owned(), "s3cr3t-value".to_owned());
    let env = ProbeEnv {
        secrets: Arc::new(MapSecrets(secrets)),
        redact: Arc::new(Upper),
        ..ProbeEnv::default()
    }
    .with_var("TARGET", "internal-host");
    let s = annotated(
        "shell\ncapture: token <- regex /token=(\\S+)/\nexpect: stdout contains \"token=\"",
        "echo \"token=${secret:api_token} target=$TARGET\"; test \"$(printf %s \"${secret:api_token}\" | sha256sum | cut -c1-8)\" = 1f3fa74b",
    );
    let (r, events) = run_collecting(&s, &env, CancellationToken::new()).await;
    assert_eq!(r.outcome, Outcome::Passed, "the shell saw the real value: {r:#?}");
    let out = r.stdout.as_ref().unwrap().text.clone();
    assert_eq!(out, "token=*** target=[host]\n");
    assert_eq!(r.capture("token"), Some("***"));
    let all = serde_json::to_string(&(&r, &events)).unwrap();
    assert!(!all.contains("s3cr3t-value"), "the secret leaked: {all}");
    assert!(
        r.what.contains("${secret:api_token}"),
        "what ran names the secret: {}",
        r.what
    );

    // A missing variable or secret is named.
    let s = annotated("http\nurl: ${NOPE}/health", "x");
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::SpawnError);
    assert!(
        r.message.as_deref().unwrap_or("").contains("NOPE"),
        "{:?}",
        r.message
    );
    let s = annotated("http\nurl: http://x/?t=${secret:missing}", "x");
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::SpawnError);
    assert!(
        r.message.as_deref().unwrap_or("").contains("missing"),
        "{:?}",
        r.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_tag_captures_the_tag_and_its_commit() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        ProcessSpec::new("git")
            .args(args)
            .cwd(dir.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
    };
    for args in [
        &["init", "-q"][..],
        &["commit", "-q", "--allow-empty", "-m", "release"],
        &["tag", "-a", "v1.0.0", "-m", "Production Release v1.0.0"],
    ] {
        let out = git(args).output(1 << 16, Duration::from_secs(10)).await.unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let head = git(&["rev-parse", "HEAD"])
        .output(1 << 16, Duration::from_secs(10))
        .await
        .unwrap();
    let head = String::from_utf8_lossy(&head.stdout).trim().to_owned();
    let env = ProbeEnv::default().with_var("REPO", dir.path().to_string_lossy());
    let s = annotated(
        "git-tag\nrepo: ${REPO}\ntag: v1.0.0\ncapture: Tag <- tag\ncapture: Commit SHA <- sha",
        "x",
    );
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert_eq!(r.capture("Tag"), Some("v1.0.0"));
    assert_eq!(
        r.capture("Commit SHA"),
        Some(head.as_str()),
        "the annotated tag is peeled to its commit"
    );

    let s = annotated("git-tag\nrepo: ${REPO}\ntag: v9.9.9", "x");
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::Assertion);
}

// ---------------------------------------------------------------------------------------------
// the sandbox: http and http-burst

async fn sandbox() -> (flightdeck_sandbox::Sandbox, ProbeEnv) {
    let sb = start_sandbox(false).await.expect("sandbox starts");
    let mut secrets = BTreeMap::new();
    secrets.insert(
        "test_jwt".to_owned(),
        flightdeck_sandbox::DEFAULT_TEST_TOKEN.to_owned(),
    );
    let env = ProbeEnv {
        secrets: Arc::new(MapSecrets(secrets)),
        ..ProbeEnv::default()
    }
    .with_var("SANDBOX_URL", sb.base_url());
    (sb, env)
}

const HEALTH_MD: &str = "### 8. Application Deployment\n\
    - [ ] **Health Check Validation**\n\
    <!-- flightdeck: http\n\
    url: ${SANDBOX_URL}/health\n\
    expect: status == 200\n\
    expect: json(.status) == \"Healthy\"\n\
    expect: latency < 2s\n\
    capture: Application <- verdict\n\
    capture: app_status <- json(.status)\n\
    capture: took <- latency\n\
    -->\n\
    ```bash\n\
    curl -f https://samia-tarot.com/health\n\
    ```\n\
    **Health Check Results**:\n\
    - Application: [ ] Healthy [ ] Degraded [ ] Unhealthy\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_health_check_against_the_sandbox_fills_a_choice_field() {
    let (sb, env) = sandbox().await;
    let s = spec(HEALTH_MD);
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert_eq!(r.http_status, Some(200));
    assert_eq!(r.capture("Application"), Some("Healthy"));
    let took = r.captures.iter().find(|c| c.field == "took").unwrap();
    assert_eq!(took.field_id, None, "a plain name only feeds assertions");
    assert_eq!(r.capture("app_status"), Some("Healthy"));
    assert!(r.capture("took").is_some());
    assert!(r.assertions.iter().all(|a| a.verdict == Verdict::Pass));

    sb.set_fault(flightdeck_sandbox::Fault::Down);
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::HttpStatus);
    assert_eq!(r.http_status, Some(503));
    assert_eq!(
        r.capture("Application"),
        Some("Unhealthy"),
        "the fault turns the field red"
    );
    assert_eq!(r.capture("app_status"), Some("Unhealthy"));
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_posts_with_headers_and_a_bearer_secret() {
    let (sb, env) = sandbox().await;
    let s = annotated(
        "http\nmethod: POST\nurl: ${SANDBOX_URL}/api/auth/register\nheader: Content-Type: application/json\n\
         body: {\"email\":\"probe-test@example.com\",\"password\":\"Test123!\"}\nexpect: status in 200..299\n\
         capture: user <- json(.user_id)",
        "x",
    );
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    let s = annotated(
        "http\nmethod: POST\nurl: ${SANDBOX_URL}/api/payments/process\nheader: Authorization: Bearer ${secret:test_jwt}\n\
         header: Content-Type: application/json\nbody: {\"payment_method\":\"pm_card_visa\",\"amount\":1000}\n\
         expect: status == 200\ncapture: provider <- json(.provider)",
        "x",
    );
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert!(r.capture("provider").is_some(), "{r:#?}");
    assert!(!r.what.contains(flightdeck_sandbox::DEFAULT_TEST_TOKEN));

    // Without the token: 401, an http-status failure.
    let s = annotated(
        "http\nmethod: POST\nurl: ${SANDBOX_URL}/api/payments/process\nbody: {}\nexpect: status == 200",
        "x",
    );
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::HttpStatus);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_burst_sees_429_with_retry_after() {
    let (sb, env) = sandbox().await;
    let md = "### 10. Immediate System Validation\n\
              - [ ] **HTTP 429 Rate Limiting**\n\
              \x20 <!-- flightdeck: http-burst\n\
              \x20 url: ${SANDBOX_URL}/api/test-rate-limit\n\
              \x20 count: 10\n\
              \x20 rate: 50/s\n\
              \x20 expect: count(status == 429) >= 1\n\
              \x20 expect: count(status == 200) == 5\n\
              \x20 expect: any(status == 429 and header(Retry-After) exists)\n\
              \x20 expect: total == 10\n\
              \x20 capture: Rate Limiting Active <- verdict\n\
              \x20 capture: limited <- count(status == 429)\n\
              \x20 capture: retry <- header(Retry-After)\n\
              \x20 -->\n\
              \x20 ```bash\n\
              \x20 for i in {1..10}; do curl -s https://x/api/test-rate-limit; done\n\
              \x20 ```\n\
              \x20 **Rate Limiting Active**: [ ] Yes [ ] No\n";
    let s = spec(md);
    let (r, events) = run_collecting(&s, &env, CancellationToken::new()).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert_eq!(r.capture("limited"), Some("5"));
    assert!(
        r.capture("retry").is_some_and(|v| v.parse::<u32>().is_ok()),
        "{r:#?}"
    );
    assert_eq!(r.capture("Rate Limiting Active"), Some("Yes"));
    assert!(
        r.body.as_ref().unwrap().text.contains("429"),
        "the summary lists each answer"
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, ProbeEvent::Progress { total: Some(10), .. })));
    // Spread at 50/s, 10 requests take about 180 ms.
    assert!(r.duration_ms >= 150, "{}", r.duration_ms);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_many_runs_in_parallel_bounded_and_keeps_order() {
    let specs: Vec<Spec> = (0..6)
        .map(|i| annotated("shell\ndeadline: 10s", &format!("sleep 0.5; echo {i}")))
        .collect();
    let (tx, mut rx) = mpsc::channel(1024);
    let drain = tokio::spawn(async move {
        let mut n = 0;
        while let Some((i, _)) = rx.recv().await {
            assert!(i < 6);
            n += 1;
        }
        n
    });
    let t = Instant::now();
    let results = run_many(&specs, &ProbeEnv::default(), 3, tx, CancellationToken::new()).await;
    let took = t.elapsed();
    assert!(drain.await.unwrap() >= 12, "started + output per probe");
    for (i, r) in results.iter().enumerate() {
        assert_eq!(
            r.stdout.as_ref().map(|s| s.text.trim().to_owned()),
            Some(i.to_string())
        );
    }
    // 6 probes of 0.5 s, 3 at a time: two rounds, not one, not six.
    assert!(
        took >= Duration::from_millis(950),
        "{took:?}: more than 3 ran at once"
    );
    assert!(
        took < Duration::from_millis(2500),
        "{took:?}: they did not run in parallel"
    );
}

// ---------------------------------------------------------------------------------------------
// Postgres

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_against_a_real_postgres() {
    let Some(url) = needs::postgres() else { return };
    let env = ProbeEnv::default().with_var("PG", url.clone());
    let table = format!("probe_test_{}", std::process::id());

    let s = annotated(
        "sql\nurl: ${PG}\nquery: SELECT 42 AS answer, 'x' AS name, true AS ok, NULL::int AS nothing, now() AS at\n\
         expect: rows == 1\nexpect: value == 42\nexpect: json(.[0].name) == \"x\"\nexpect: json(.[0].ok) == true\n\
         expect: json(.[0].nothing) not exists\ncapture: answer <- value",
        "x",
    );
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    assert_eq!(r.capture("answer"), Some("42"));
    let body = r.body.unwrap().text;
    assert!(
        body.starts_with("{\"answer\": 42, \"name\": \"x\""),
        "columns in query order: {body}"
    );

    // Read-only unless the step says it changes the target.
    let create = format!("CREATE TABLE {table} (k text primary key, on_ boolean)");
    let s = annotated(&format!("sql\nurl: ${{PG}}\nquery: {create}"), "x");
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::QueryError);
    assert!(
        r.message.as_deref().unwrap_or("").contains("read-only"),
        "{:?}",
        r.message
    );
    let s = annotated(
        &format!("sql\nurl: ${{PG}}\nquery: {create}\nchanges-target: true"),
        "x",
    );
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    let s = annotated(
        &format!(
            "sql\nurl: ${{PG}}\nchanges-target: true\nquery: INSERT INTO {table} VALUES ('a', true), ('b', false) RETURNING k\n\
             expect: rows == 2\nexpect: json(.[1].k) == \"b\""
        ),
        "x",
    );
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    let s = annotated(
        &format!("sql\nurl: ${{PG}}\nquery: SELECT k FROM {table} WHERE on_\n  ORDER BY k;\nexpect: rows >= 1\nexpect: value == \"a\""),
        "x",
    );
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");
    let s = annotated(
        &format!("sql\nurl: ${{PG}}\nchanges-target: true\nquery: DROP TABLE {table}"),
        "x",
    );
    assert_eq!(run(&s, &env).await.outcome, Outcome::Passed);

    // A failing row condition, bad SQL, a closed port.
    let s = annotated(
        "sql\nurl: ${PG}\nquery: SELECT 1 WHERE false\nexpect: rows >= 1",
        "x",
    );
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::Assertion);
    assert_eq!(r.assertions[0].actual, "0");
    let s = annotated("sql\nurl: ${PG}\nquery: SELEC 1", "x");
    assert_class(&run(&s, &env).await, FailureClass::QueryError);
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let s = annotated(
        &format!("sql\nurl: postgres://postgres@127.0.0.1:{port}/postgres\nquery: SELECT 1"),
        "x",
    );
    assert_class(&run(&s, &env).await, FailureClass::ConnectRefused);
}

// ---------------------------------------------------------------------------------------------
// Prometheus

async fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    l.local_addr().expect("addr").port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_instant_and_range_queries_over_a_scraped_sandbox() {
    let Some(prometheus) = needs::program("prometheus") else {
        return;
    };
    let sb = start_sandbox(true).await.expect("sandbox");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: sandbox\n    \
             static_configs:\n      - targets: ['{}']\n",
            sb.addr()
        ),
    )
    .unwrap();
    let port = free_port().await;
    let prom = ProcessSpec::new(prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .spawn()
        .expect("prometheus starts");
    let base = format!("http://127.0.0.1:{port}");
    let env = ProbeEnv::default().with_var("PROM", base.clone());

    // Wait until the target is up, through the same probe kind.
    let up = annotated(
        "prometheus\nurl: ${PROM}\nquery: up{job=\"sandbox\"}\nexpect: value == 1\ndeadline: 2s",
        "x",
    );
    let t = Instant::now();
    loop {
        let r = run(&up, &env).await;
        if r.passed() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the sandbox target never came up: {r:#?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // A few scrapes so the range has points and counters have moved.
    tokio::time::sleep(Duration::from_secs(4)).await;

    let s = annotated(
        "prometheus\nurl: ${PROM}\nquery: sum(http_requests_total)\nexpect: value > 0\nexpect: series == 1\ncapture: requests <- value",
        "x",
    );
    let r = run(&s, &env).await;
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
    let r = run(&s, &env).await;
    assert_eq!(r.outcome, Outcome::Passed, "{r:#?}");

    // A condition that does not hold, then PromQL that does not parse.
    let s = annotated(
        "prometheus\nurl: ${PROM}\nquery: up{job=\"sandbox\"}\nexpect: value < 0.5",
        "x",
    );
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::Assertion);
    assert_eq!(r.assertions[0].actual, "1");
    let s = annotated("prometheus\nurl: ${PROM}\nquery: sum(", "x");
    let r = run(&s, &env).await;
    assert_class(&r, FailureClass::QueryError);
    drop(prom);
    sb.shutdown().await;
}
