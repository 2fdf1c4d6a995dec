//! The fault set, each served by a loopback server of the test's own: blackhole, a 1 byte/s
//! trickle, a redirect loop, an unresolvable host, a refused connection, HTTP 500 and self-signed
//! TLS. Each ends in its failure class within deadline + 1 s.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flightdeck_engine::probe::{FailureClass, Outcome, ProbeEnv, Verdict};
use flightdeck_testsupport::probe::{annotated, run};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::assert_class;

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
