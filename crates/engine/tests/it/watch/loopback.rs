//! Receivers on loopback: an HTTP server that records every request (PagerDuty, Slack and the
//! generic webhook are plain HTTPS POSTs of JSON; PagerDuty and Slack are paid SaaS, so this
//! server stands in for them, speaking their documented request and answer shapes), and a small
//! SMTP server that takes mail. Each stops (thread joined) when dropped, whatever the test did.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One recorded request: its path and JSON body.
#[derive(Debug, Clone)]
pub struct Request {
    pub path: String,
    pub body: serde_json::Value,
}

pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    #[allow(dead_code)]
    pub status: Arc<AtomicU16>,
    pub got: Arc<Mutex<Vec<Request>>>,
    pub mail: Arc<Mutex<Vec<String>>>,
    /// STARTTLS handshakes completed (a STARTTLS server's).
    #[allow(dead_code)]
    pub upgraded: Arc<AtomicU32>,
    thread: Option<JoinHandle<()>>,
}

/// A CA and a server certificate it issued for 127.0.0.1, made for one test.
pub struct TestCa {
    pub ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

impl TestCa {
    pub fn new() -> TestCa {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.distinguished_name
            .push(DnType::CommonName, "Flightdeck test SMTP CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let key = KeyPair::generate().expect("server key");
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
            .expect("server params")
            .signed_by(&key, &ca_cert, &ca_key)
            .expect("server certificate");
        let chain = vec![rustls::pki_types::CertificateDer::from(leaf.der().to_vec())];
        let key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).expect("key");
        let server =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("versions")
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .expect("server config");
        TestCa {
            ca_pem: ca_cert.pem(),
            server: Arc::new(server),
        }
    }
}

impl Server {
    /// An HTTP server answering `202 {"status":"success"}` (PagerDuty's answer; Slack answers `ok`).
    pub fn http() -> Server {
        Server::start(false, None)
    }

    /// An SMTP server that takes every message.
    pub fn smtp() -> Server {
        Server::start(true, None)
    }

    /// An SMTP server that offers STARTTLS with a certificate `ca` issued, and takes mail only
    /// once the connection is upgraded.
    #[allow(dead_code)]
    pub fn smtp_starttls(ca: &TestCa) -> Server {
        Server::start(true, Some(ca.server.clone()))
    }

    fn start(smtp: bool, tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = l.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let status = Arc::new(AtomicU16::new(202));
        let got = Arc::new(Mutex::new(Vec::new()));
        let mail = Arc::new(Mutex::new(Vec::new()));
        let upgraded = Arc::new(AtomicU32::new(0));
        let thread = {
            let (stop, status, got, mail) = (stop.clone(), status.clone(), got.clone(), mail.clone());
            let upgraded = upgraded.clone();
            std::thread::spawn(move || {
                for conn in l.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(c) = conn else { continue };
                    let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
                    if smtp {
                        let _ = serve_smtp(c, &mail, tls.as_ref(), &upgraded);
                    } else {
                        let _ = serve_http(c, status.load(Ordering::SeqCst), &got);
                    }
                }
            })
        };
        Server {
            addr,
            stop,
            status,
            got,
            mail,
            upgraded,
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn requests(&self) -> Vec<Request> {
        self.got.lock().expect("lock").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve_http(c: TcpStream, status: u16, got: &Mutex<Vec<Request>>) -> std::io::Result<()> {
    let mut r = BufReader::new(c.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        if h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    got.lock().expect("lock").push(Request {
        path,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    });
    let answer = r#"{"status":"success","message":"Event processed"}"#;
    let mut w = c;
    write!(
        w,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
        answer.len()
    )
}

fn serve_smtp(
    mut c: TcpStream,
    mail: &Mutex<Vec<String>>,
    tls: Option<&Arc<rustls::ServerConfig>>,
    upgraded: &AtomicU32,
) -> std::io::Result<()> {
    c.write_all(b"220 loopback ESMTP test\r\n")?;
    let Some(config) = tls else {
        return smtp_session(&mut c, mail, Offer::Plain).map(|_| ());
    };
    if smtp_session(&mut c, mail, Offer::StartTls)? == Next::StartTls {
        let conn = rustls::ServerConnection::new(config.clone()).map_err(std::io::Error::other)?;
        let mut s = rustls::StreamOwned::new(conn, c);
        while s.conn.is_handshaking() {
            s.conn.complete_io(&mut s.sock)?;
        }
        upgraded.fetch_add(1, Ordering::SeqCst);
        smtp_session(&mut s, mail, Offer::Upgraded)?;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Offer {
    Plain,
    StartTls,
    Upgraded,
}

#[derive(PartialEq, Eq)]
enum Next {
    Done,
    StartTls,
}

/// One line (to `\n`), a byte at a time: the same reader works on the plain and the TLS stream.
fn read_line(s: &mut impl Read) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while line.len() < 4096 {
        if s.read(&mut b)? == 0 {
            break;
        }
        line.push(b[0]);
        if b[0] == b'\n' {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// The SMTP dialogue on `s`; a STARTTLS server refuses mail before the upgrade.
fn smtp_session(
    s: &mut (impl Read + Write),
    mail: &Mutex<Vec<String>>,
    offer: Offer,
) -> std::io::Result<Next> {
    loop {
        let line = read_line(s)?;
        if line.is_empty() {
            return Ok(Next::Done);
        }
        let cmd = line.to_ascii_uppercase();
        if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
            s.write_all(if offer == Offer::StartTls {
                b"250-loopback\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
            } else {
                b"250-loopback\r\n250 8BITMIME\r\n"
            })?;
        } else if cmd.starts_with("STARTTLS") && offer == Offer::StartTls {
            s.write_all(b"220 go ahead\r\n")?;
            s.flush()?;
            return Ok(Next::StartTls);
        } else if offer == Offer::StartTls && (cmd.starts_with("MAIL") || cmd.starts_with("DATA")) {
            s.write_all(b"530 5.7.0 must issue a STARTTLS command first\r\n")?;
        } else if cmd.starts_with("DATA") {
            s.write_all(b"354 go ahead\r\n")?;
            let mut data = String::new();
            loop {
                let l = read_line(s)?;
                if l.is_empty() || l == ".\r\n" {
                    break;
                }
                data.push_str(&l);
            }
            mail.lock().expect("lock").push(data);
            s.write_all(b"250 queued\r\n")?;
        } else if cmd.starts_with("QUIT") {
            s.write_all(b"221 bye\r\n")?;
            s.flush()?;
            return Ok(Next::Done);
        } else {
            s.write_all(b"250 ok\r\n")?;
        }
        s.flush()?;
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}
