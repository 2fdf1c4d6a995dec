//! A probe's output streams: redacted, hashed, streamed as events and kept up to a cap.
//!
//! Owns [`Streams`] (what the probe kinds write their stdout / stderr / body into while they run,
//! shared with `execute` so a probe cut short by its deadline still leaves its output behind)
//! and [`Excerpt`] (what a result keeps of a stream). Redaction happens here, before any byte
//! reaches an event, an excerpt or a hash.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::env::Redact;
use super::ProbeEvent;

/// What an excerpt keeps of a stream, and what an output event carries at most per stream.
pub const OUTPUT_CAP: usize = 1 << 20;

/// Redaction sees whole lines unless a line grows past this.
const LINE_CARRY: usize = 64 * 1024;

/// Which stream a chunk belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
    Body,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
            Stream::Body => "body",
        }
    }
}

/// The kept start of a stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excerpt {
    /// The first [`OUTPUT_CAP`] bytes (redacted, lossy UTF-8), then `…[truncated N bytes]` if cut.
    pub text: String,
    /// Bytes the stream carried that the probe read (after redaction).
    pub bytes: u64,
    /// Bytes read but not kept, plus bytes known to exist but never read (an HTTP body past the cap).
    pub truncated_bytes: u64,
    /// True when the stream was cut: some of it is not in `text`.
    pub truncated: bool,
    /// sha256 over every byte read (after redaction), lowercase hex.
    pub sha256: String,
}

struct State {
    kept: Vec<u8>,
    bytes: u64,
    /// Bytes known to follow that were never read.
    unread: Option<u64>,
    /// Cut without knowing how much more there was.
    cut_unknown: bool,
    hasher: Sha256,
    /// The tail of the last chunk after its last newline, waiting for the rest of its line.
    carry: Vec<u8>,
    sent: usize,
}

/// The streams of one probe run. Cheap to clone; all clones write to the same streams.
#[derive(Clone)]
pub struct Streams {
    inner: Arc<Inner>,
}

struct Inner {
    redact: Arc<dyn Redact>,
    /// Secret values the probe substituted: masked whatever the redaction hook does.
    mask: Vec<Vec<u8>>,
    events: mpsc::Sender<ProbeEvent>,
    stdout: Mutex<State>,
    stderr: Mutex<State>,
    body: Mutex<State>,
}

fn new_state() -> State {
    State {
        kept: Vec::new(),
        bytes: 0,
        unread: None,
        cut_unknown: false,
        hasher: Sha256::new(),
        carry: Vec::new(),
        sent: 0,
    }
}

impl Streams {
    pub fn new(redact: Arc<dyn Redact>, mask: Vec<String>, events: mpsc::Sender<ProbeEvent>) -> Self {
        let mut mask: Vec<Vec<u8>> = mask
            .into_iter()
            .filter(|m| !m.is_empty())
            .map(String::into_bytes)
            .collect();
        // Longest first, so a secret that contains another is masked whole.
        mask.sort_by_key(|m| std::cmp::Reverse(m.len()));
        Streams {
            inner: Arc::new(Inner {
                redact,
                mask,
                events,
                stdout: Mutex::new(new_state()),
                stderr: Mutex::new(new_state()),
                body: Mutex::new(new_state()),
            }),
        }
    }

    fn state(&self, s: Stream) -> std::sync::MutexGuard<'_, State> {
        let m = match s {
            Stream::Stdout => &self.inner.stdout,
            Stream::Stderr => &self.inner.stderr,
            Stream::Body => &self.inner.body,
        };
        // A panic while holding the lock leaves a consistent buffer (appends only).
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Redacts anything: output, a message, a captured value.
    pub fn redact(&self, bytes: &[u8]) -> Vec<u8> {
        let out = self.inner.redact.redact(bytes);
        mask(&out, &self.inner.mask)
    }

    pub fn redact_str(&self, s: &str) -> String {
        String::from_utf8_lossy(&self.redact(s.as_bytes())).into_owned()
    }

    /// Appends bytes read from a stream; streams what fits under the cap as an output event.
    pub async fn push(&self, s: Stream, chunk: &[u8]) {
        let ready = {
            let mut st = self.state(s);
            st.carry.extend_from_slice(chunk);
            let cut = match st.carry.iter().rposition(|b| *b == b'\n') {
                Some(i) => i + 1,
                None if st.carry.len() > LINE_CARRY => st.carry.len(),
                None => 0,
            };
            if cut == 0 {
                return;
            }
            let rest = st.carry.split_off(cut);
            let line = std::mem::replace(&mut st.carry, rest);
            self.take(&mut st, &line)
        };
        self.emit(s, ready).await;
    }

    /// Ends a stream: the last partial line is redacted and kept.
    pub async fn finish(&self, s: Stream) {
        let ready = {
            let mut st = self.state(s);
            let line = std::mem::take(&mut st.carry);
            if line.is_empty() {
                return;
            }
            self.take(&mut st, &line)
        };
        self.emit(s, ready).await;
    }

    /// Marks a stream as cut short: `more` bytes are known to follow unread (None: unknown).
    pub fn cut(&self, s: Stream, more: Option<u64>) {
        let mut st = self.state(s);
        match more {
            Some(n) => st.unread = Some(st.unread.unwrap_or(0) + n),
            None => st.cut_unknown = true,
        }
    }

    /// Bytes read so far from a stream (before the carry is flushed).
    pub fn len(&self, s: Stream) -> u64 {
        let st = self.state(s);
        st.bytes + st.carry.len() as u64
    }

    fn take(&self, st: &mut State, raw: &[u8]) -> Vec<u8> {
        let red = self.redact(raw);
        st.hasher.update(&red);
        st.bytes += red.len() as u64;
        let room = OUTPUT_CAP.saturating_sub(st.kept.len());
        let keep = &red[..red.len().min(room)];
        st.kept.extend_from_slice(keep);
        let send = OUTPUT_CAP.saturating_sub(st.sent).min(red.len());
        st.sent += send;
        red[..send].to_vec()
    }

    async fn emit(&self, s: Stream, ready: Vec<u8>) {
        if ready.is_empty() {
            return;
        }
        // A closed receiver only means nobody watches live; the result still has the excerpt.
        let _ = self
            .inner
            .events
            .send(ProbeEvent::Output {
                stream: s,
                text: String::from_utf8_lossy(&ready).into_owned(),
            })
            .await;
    }

    /// The excerpt of a stream, or None if nothing was read from it and it was not cut.
    /// Flushes a pending partial line first (without an event).
    pub fn excerpt(&self, s: Stream) -> Option<Excerpt> {
        let mut st = self.state(s);
        let line = std::mem::take(&mut st.carry);
        if !line.is_empty() {
            self.take(&mut st, &line);
        }
        if st.bytes == 0 && st.unread.is_none() && !st.cut_unknown {
            return None;
        }
        let dropped = st.bytes - st.kept.len() as u64 + st.unread.unwrap_or(0);
        let truncated = dropped > 0 || st.cut_unknown;
        let mut text = String::from_utf8_lossy(&st.kept).into_owned();
        if truncated {
            if st.cut_unknown && dropped == 0 {
                text.push_str("…[truncated: the rest was not read]");
            } else if st.cut_unknown {
                text.push_str(&format!("…[truncated {dropped}+ bytes]"));
            } else {
                text.push_str(&format!("…[truncated {dropped} bytes]"));
            }
        }
        Some(Excerpt {
            text,
            bytes: st.bytes,
            truncated_bytes: dropped,
            truncated,
            sha256: hex::encode(st.hasher.clone().finalize()),
        })
    }

    /// The kept bytes of a stream as text (what conditions and regex captures look at).
    pub fn text(&self, s: Stream) -> String {
        let mut st = self.state(s);
        let line = std::mem::take(&mut st.carry);
        if !line.is_empty() {
            self.take(&mut st, &line);
        }
        String::from_utf8_lossy(&st.kept).into_owned()
    }
}

fn mask(bytes: &[u8], secrets: &[Vec<u8>]) -> Vec<u8> {
    if secrets.is_empty() {
        return bytes.to_vec();
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    'outer: while i < bytes.len() {
        for s in secrets {
            if bytes[i..].starts_with(s) {
                out.extend_from_slice(b"***");
                i += s.len();
                continue 'outer;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::env::Identity;

    #[tokio::test]
    async fn streams_cap_mask_and_mark_truncation() {
        let (tx, mut rx) = mpsc::channel(1024);
        let s = Streams::new(Arc::new(Identity), vec!["hunter2".into()], tx);
        s.push(Stream::Stdout, b"pass=hun").await;
        s.push(Stream::Stdout, b"ter2 ok\npartial").await;
        s.finish(Stream::Stdout).await;
        let ex = s.excerpt(Stream::Stdout).unwrap();
        assert_eq!(
            ex.text, "pass=*** ok\npartial",
            "a secret split across chunks is masked whole"
        );
        assert!(!ex.truncated);
        let ev = rx.recv().await.unwrap();
        assert!(matches!(ev, ProbeEvent::Output { ref text, .. } if text == "pass=*** ok\n"));

        let big = vec![b'x'; OUTPUT_CAP + 10];
        s.push(Stream::Body, &big).await;
        s.cut(Stream::Body, Some(100));
        let ex = s.excerpt(Stream::Body).unwrap();
        assert!(ex.truncated);
        assert_eq!(ex.truncated_bytes, 110);
        assert!(ex.text.ends_with("…[truncated 110 bytes]"));
        assert!(s.excerpt(Stream::Stderr).is_none());
    }
}
