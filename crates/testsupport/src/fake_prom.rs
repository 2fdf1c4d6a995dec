//! A fake Prometheus HTTP API on loopback, for the answers a real Prometheus will not give on
//! demand: HTTP 500, no answer at all, 50 MB, NaN and ±Inf samples, and for seeing the request
//! headers (auth) a client sent. Std threads only; stopped (and every connection it holds
//! closed) when dropped, even when the test panics first.
//!
//! ```no_run
//! use flightdeck_testsupport::fake_prom::{Answer, FakeProm};
//! let fake = FakeProm::start(|_head| Answer::Status(500, "boom".into()));
//! let base = fake.url(); // http://127.0.0.1:PORT
//! let heads = fake.requests(); // every request line and header seen so far
//! ```
//!
//! Owns only serving; what a test expects of the client is the test's. Tests that use it say so:
//! it stands in for Prometheus' hostile answers, never for its query language.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How the fake answers one request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// This status and this body (`application/json`).
    Status(u16, String),
    /// HTTP 200 with this JSON body.
    Json(String),
    /// Reads the request, then says nothing until the fake is dropped.
    Hang,
    /// HTTP 200 announcing `n` bytes of JSON-looking data and sending them, until the client
    /// hangs up.
    Huge(usize),
}

/// A JSON answer of one range series with these `(t, "value")` samples, as Prometheus writes
/// them (`"NaN"`, `"+Inf"`, `"-Inf"` included).
pub fn matrix(samples: &[(i64, &str)]) -> String {
    let values: Vec<String> = samples.iter().map(|(t, v)| format!("[{t},\"{v}\"]")).collect();
    format!(
        "{{\"status\":\"success\",\"data\":{{\"resultType\":\"matrix\",\"result\":[{{\"metric\":{{}},\"values\":[{}]}}]}}}}",
        values.join(",")
    )
}

/// A JSON answer of one instant sample `value` at `t`.
pub fn vector(t: i64, value: &str) -> String {
    format!(
        "{{\"status\":\"success\",\"data\":{{\"resultType\":\"vector\",\"result\":[{{\"metric\":{{}},\"value\":[{t},\"{value}\"]}}]}}}}"
    )
}

type Answerer = dyn Fn(&str) -> Answer + Send + Sync;

/// A running fake; stopped on drop.
pub struct FakeProm {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<String>>>,
    accept: Option<JoinHandle<()>>,
}

impl FakeProm {
    /// Serves on a free loopback port; `answer` gets each request's line and headers.
    pub fn start(answer: impl Fn(&str) -> Answer + Send + Sync + 'static) -> FakeProm {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("its address");
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let answer: Arc<Answerer> = Arc::new(answer);
        let (stop2, seen2) = (stop.clone(), seen.clone());
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (stop, seen, answer) = (stop2.clone(), seen2.clone(), answer.clone());
                std::thread::spawn(move || serve(conn, &stop, &seen, &*answer));
            }
        });
        FakeProm {
            addr,
            stop,
            seen,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request's line and headers so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for FakeProm {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn serve(conn: TcpStream, stop: &AtomicBool, seen: &Mutex<Vec<String>>, answer: &Answerer) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut head = String::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => head.push_str(&line),
        }
    }
    seen.lock().unwrap_or_else(|e| e.into_inner()).push(head.clone());
    let mut conn = conn;
    match answer(&head) {
        Answer::Status(code, body) => reply(&mut conn, code, &body),
        Answer::Json(body) => reply(&mut conn, 200, &body),
        Answer::Hang => {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Answer::Huge(n) => {
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n"
            );
            let chunk =
                b"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[".repeat(1024);
            let mut sent = 0;
            while sent < n && !stop.load(Ordering::SeqCst) {
                let len = chunk.len().min(n - sent);
                if conn.write_all(&chunk[..len]).is_err() {
                    break;
                }
                sent += len;
            }
        }
    }
}

fn reply(conn: &mut TcpStream, code: u16, body: &str) {
    let _ = write!(
        conn,
        "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}
