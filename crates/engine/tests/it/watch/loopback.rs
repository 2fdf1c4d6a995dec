//! Receivers on loopback: an HTTP server that records every request (PagerDuty, Slack and the
//! generic webhook are plain HTTPS POSTs of JSON; PagerDuty and Slack are paid SaaS, so this
//! server stands in for them, speaking their documented request and answer shapes), and a small
//! SMTP server that takes mail. Each stops (thread joined) when dropped, whatever the test did.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
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
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// An HTTP server answering `202 {"status":"success"}` (PagerDuty's answer; Slack answers `ok`).
    pub fn http() -> Server {
        Server::start(false)
    }

    /// An SMTP server that takes every message.
    pub fn smtp() -> Server {
        Server::start(true)
    }

    fn start(smtp: bool) -> Server {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = l.local_addr().expect("addr");
        let stop = Arc::new(AtomicBool::new(false));
        let status = Arc::new(AtomicU16::new(202));
        let got = Arc::new(Mutex::new(Vec::new()));
        let mail = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (stop, status, got, mail) = (stop.clone(), status.clone(), got.clone(), mail.clone());
            std::thread::spawn(move || {
                for conn in l.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(c) = conn else { continue };
                    let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
                    if smtp {
                        let _ = serve_smtp(c, &mail);
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

fn serve_smtp(c: TcpStream, mail: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut r = BufReader::new(c.try_clone()?);
    let mut w = c;
    w.write_all(b"220 loopback ESMTP test\r\n")?;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let cmd = line.to_ascii_uppercase();
        if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
            w.write_all(b"250-loopback\r\n250 8BITMIME\r\n")?;
        } else if cmd.starts_with("DATA") {
            w.write_all(b"354 go ahead\r\n")?;
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if r.read_line(&mut l)? == 0 || l == ".\r\n" {
                    break;
                }
                data.push_str(&l);
            }
            mail.lock().expect("lock").push(data);
            w.write_all(b"250 queued\r\n")?;
        } else if cmd.starts_with("QUIT") {
            w.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            w.write_all(b"250 ok\r\n")?;
        }
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}
