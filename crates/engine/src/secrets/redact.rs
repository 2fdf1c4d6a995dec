//! [`Redactor`]: replaces every form of every secret of an environment with `***(NAME)`.
//!
//! The forms: the value itself; each line of a multi-line value (a PEM key); its base64 (standard
//! and URL-safe, padded or not, whole or wrapped at 76 columns as `base64` prints it, and the
//! stable middle of its encoding at any alignment, so a secret base64-encoded inside a longer
//! text is caught too); its URL encoding (RFC 3986 and form style); its JSON string escaping.
//!
//! It is stateless: it sees what `crate::probe::output` hands it, which is whole lines (a chunk
//! is carried until its newline arrives, so a secret split across two reads of a pipe is seen
//! whole), or 64 KiB pieces of a longer line.

use aho_corasick::{AhoCorasick, MatchKind};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::Sensitive;
use crate::probe::Redact;

/// Derived forms shorter than this are not masked (they would match ordinary text); the value
/// itself always is.
const MIN_FORM: usize = 6;

/// RFC 3986 unreserved characters stay as they are (`encodeURIComponent`, Python's `quote`).
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Masks secret values in any bytes. Built once per run from the environment's secrets.
pub struct Redactor {
    matcher: Option<AhoCorasick>,
    /// The replacement of each pattern, by pattern index.
    replacements: Vec<Vec<u8>>,
    names: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.names)
            .field("patterns", &self.replacements.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor for `(name, value)` pairs.
    pub fn new<I>(secrets: I) -> Redactor
    where
        I: IntoIterator<Item = (String, Sensitive<String>)>,
    {
        let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut names = Vec::new();
        for (name, value) in secrets {
            let value = value.expose();
            if value.is_empty() {
                continue;
            }
            let replacement = format!("***({name})").into_bytes();
            for form in forms(value) {
                pairs.push((form.into_bytes(), replacement.clone()));
            }
            names.push(name);
        }
        // One pattern may come from two secrets (or two forms): keep the first.
        let mut seen = std::collections::HashSet::new();
        pairs.retain(|(p, _)| seen.insert(p.clone()));
        let matcher = if pairs.is_empty() {
            None
        } else {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(pairs.iter().map(|(p, _)| p))
                .ok()
        };
        Redactor {
            matcher,
            replacements: pairs.into_iter().map(|(_, r)| r).collect(),
            names,
        }
    }

    /// The names of the secrets it masks.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Redacts a string (lossy for bytes that are not UTF-8 after redaction, which cannot happen
    /// for UTF-8 input: patterns and replacements are whole UTF-8 strings).
    pub fn redact_str(&self, s: &str) -> String {
        String::from_utf8_lossy(&self.redact(s.as_bytes())).into_owned()
    }
}

impl Redact for Redactor {
    fn redact(&self, bytes: &[u8]) -> Vec<u8> {
        let Some(m) = &self.matcher else {
            return bytes.to_vec();
        };
        let mut out = Vec::with_capacity(bytes.len());
        let mut last = 0;
        for found in m.find_iter(bytes) {
            out.extend_from_slice(&bytes[last..found.start()]);
            out.extend_from_slice(&self.replacements[found.pattern().as_usize()]);
            last = found.end();
        }
        out.extend_from_slice(&bytes[last..]);
        out
    }
}

/// Every form of `value` to mask, the value first.
fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_string()];
    let mut derived = Vec::new();
    // Each line of a multi-line value, as it arrives line by line.
    if value.contains('\n') {
        for line in value.lines() {
            derived.push(line.trim_end_matches('\r').to_string());
        }
    }
    // base64 of the value, and of the value with the newline `echo` adds.
    for v in [value.to_string(), format!("{value}\n")] {
        for engine in [&STANDARD, &URL_SAFE] {
            let enc = engine.encode(v.as_bytes());
            // `base64` wraps at 76 columns; each wrapped line arrives on its own.
            if enc.len() > 76 {
                derived.extend(
                    enc.as_bytes()
                        .chunks(76)
                        .map(|c| String::from_utf8_lossy(c).into_owned()),
                );
            }
            derived.push(enc);
        }
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            derived.push(engine.encode(v.as_bytes()));
        }
    }
    // Inside a longer encoded text the value may start at any of 3 alignments: the characters
    // that encode only its own bytes are the same whatever surrounds it.
    for shift in 1..3usize {
        let mut padded = vec![0u8; shift];
        padded.extend_from_slice(value.as_bytes());
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let enc = engine.encode(&padded);
            // The first 4 characters mix the filler with the value; the last group may mix the
            // value with whatever follows it.
            let start = 4;
            let whole_groups = padded.len() / 3 * 4;
            if whole_groups > start {
                derived.push(enc[start..whole_groups].to_string());
            }
        }
    }
    {
        let enc = STANDARD_NO_PAD.encode(value.as_bytes());
        let whole_groups = value.len() / 3 * 4;
        derived.push(enc[..whole_groups.min(enc.len())].to_string());
    }
    // URL encodings.
    derived.push(utf8_percent_encode(value, NON_ALPHANUMERIC).to_string());
    derived.push(utf8_percent_encode(value, URI_COMPONENT).to_string());
    let form = utf8_percent_encode(value, URI_COMPONENT)
        .to_string()
        .replace("%20", "+");
    derived.push(form);
    for d in derived.clone() {
        if d.contains('%') {
            derived.push(lower_hex_escapes(&d));
        }
    }
    // JSON string escaping (what an event payload holds), with and without `\/`.
    if let Ok(json) = serde_json::to_string(value) {
        let inner = json[1..json.len() - 1].to_string();
        derived.push(inner.replace('/', "\\/"));
        derived.push(ascii_json(&inner));
        derived.push(inner);
    }
    for d in derived {
        if d.len() >= MIN_FORM && !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// `%2F` → `%2f`: some encoders write lowercase hex.
fn lower_hex_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '%' {
            for _ in 0..2 {
                if let Some(h) = chars.next() {
                    out.push(h.to_ascii_lowercase());
                }
            }
        }
    }
    out
}

/// A JSON-escaped string with every non-ASCII character as `\uXXXX` (Python's `json.dumps`).
fn ascii_json(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len());
    for c in escaped.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(pairs: &[(&str, &str)]) -> Redactor {
        Redactor::new(
            pairs
                .iter()
                .map(|(n, v)| (n.to_string(), Sensitive::new(v.to_string()))),
        )
    }

    fn red(r: &Redactor, s: &str) -> String {
        r.redact_str(s)
    }

    #[test]
    fn every_form_is_masked_with_the_secret_name() {
        let secret = "p@ss w/\"q\"\\&x=1é";
        let r = redactor(&[("DB", secret)]);
        assert_eq!(red(&r, &format!("pw={secret};")), "pw=***(DB);");
        let b64 = STANDARD.encode(secret);
        assert_eq!(red(&r, &format!("[{b64}]")), "[***(DB)]");
        let url = utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string();
        assert_eq!(red(&r, &format!("u={url}")), "u=***(DB)");
        let json = serde_json::to_string(&serde_json::json!({ "v": secret })).unwrap();
        assert_eq!(red(&r, &json), "{\"v\":\"***(DB)\"}");
        // Base64 of a longer text that holds the secret at any offset.
        for prefix in ["", "a", "ab", "abc"] {
            let enc = STANDARD.encode(format!("{prefix}{secret}-tail"));
            let out = red(&r, &enc);
            assert!(out.contains("***(DB)"), "offset {}: {out}", prefix.len());
        }
    }

    #[test]
    fn each_line_of_a_multi_line_secret_is_masked() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----";
        let r = redactor(&[("KEY", pem)]);
        for line in pem.lines() {
            assert_eq!(red(&r, &format!("{line}\n")), "***(KEY)\n");
        }
        assert_eq!(red(&r, pem), "***(KEY)");
    }

    #[test]
    fn nothing_else_changes() {
        let r = redactor(&[("A", "secret-one"), ("B", "")]);
        assert_eq!(red(&r, "nothing to see"), "nothing to see");
        assert_eq!(r.names(), ["A".to_string()]);
        let none = redactor(&[]);
        assert_eq!(red(&none, "x"), "x");
    }
}
