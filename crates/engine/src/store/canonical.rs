//! The canonical encoding that event hashes are computed over.
//!
//! Owns `canonical_json` (JSON with object keys sorted by code point at every depth and no
//! whitespace, written here rather than left to serde_json's map order, which depends on a
//! cargo feature) and `event_hash`. Anyone re-implementing verification needs exactly this
//! file: sha256 over the canonical JSON of `{actor, kind, payload, prev_hash, run_id, seq, time}`.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// `prev_hash` of a run's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of an event that its hash covers.
#[derive(Debug, Clone, Copy)]
pub struct HashInput<'a> {
    pub run_id: &'a str,
    pub seq: u64,
    pub time: &'a str,
    pub actor: &'a str,
    pub kind: &'a str,
    pub payload: &'a Value,
    pub prev_hash: &'a str,
}

/// sha256 (lowercase hex) over the canonical encoding of the event.
pub fn event_hash(input: HashInput<'_>) -> String {
    let mut out = String::with_capacity(256);
    // Written by hand in sorted key order so that no map is built per event.
    out.push_str("{\"actor\":");
    write_str(input.actor, &mut out);
    out.push_str(",\"kind\":");
    write_str(input.kind, &mut out);
    out.push_str(",\"payload\":");
    write_value(input.payload, &mut out);
    out.push_str(",\"prev_hash\":");
    write_str(input.prev_hash, &mut out);
    out.push_str(",\"run_id\":");
    write_str(input.run_id, &mut out);
    out.push_str(",\"seq\":");
    out.push_str(&input.seq.to_string());
    out.push_str(",\"time\":");
    write_str(input.time, &mut out);
    out.push('}');
    sha256_hex(out.as_bytes())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// JSON with object keys sorted at every depth and no insignificant whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_str(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            // Rust's `str` ordering is byte order, which for UTF-8 is code point order.
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(key, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_are_sorted_at_every_depth_without_whitespace() {
        let v = json!({"b": 1, "a": {"z": [3, {"y": null, "x": true}], "c": "s"}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":"s","z":[3,{"x":true,"y":null}]},"b":1}"#
        );
    }

    #[test]
    fn key_order_of_the_input_does_not_change_the_encoding() {
        let a: Value =
            serde_json::from_str(r#"{"k2": {"b": 2, "a": 1}, "k1": [1.5, "x"]}"#).expect("valid JSON");
        let b: Value =
            serde_json::from_str(r#"{ "k1" : [1.5,"x"], "k2":{"a":1,"b":2} }"#).expect("valid JSON");
        assert_eq!(canonical_json(&a), canonical_json(&b));
    }

    #[test]
    fn strings_are_escaped_as_json_and_round_trip() {
        let v = json!({"s": "quote \" back \\ nl \n tab \t bell \u{07} é 🚀 مرحبا"});
        let text = canonical_json(&v);
        assert!(text.contains("\\u0007"), "control characters are escaped: {text}");
        assert!(text.contains("é 🚀 مرحبا"), "non-ASCII stays as UTF-8: {text}");
        let back: Value = serde_json::from_str(&text).expect("canonical JSON is JSON");
        assert_eq!(back, v);
    }

    #[test]
    fn keys_sort_by_code_point() {
        let v = json!({"é": 1, "z": 2, "A": 3, "a": 4});
        assert_eq!(canonical_json(&v), r#"{"A":3,"a":4,"z":2,"é":1}"#);
    }

    #[test]
    fn event_hash_is_sha256_of_the_canonical_object() {
        let payload = json!({"item": "x", "a": [1]});
        let input = HashInput {
            run_id: "r",
            seq: 2,
            time: "2025-06-01T12:00:00.000Z",
            actor: "ana",
            kind: "item_checked",
            payload: &payload,
            prev_hash: GENESIS_HASH,
        };
        let whole = json!({
            "seq": 2, "run_id": "r", "time": "2025-06-01T12:00:00.000Z", "actor": "ana",
            "kind": "item_checked", "payload": payload, "prev_hash": GENESIS_HASH,
        });
        assert_eq!(event_hash(input), sha256_hex(canonical_json(&whole).as_bytes()));
        // A known answer, so that an accidental change of the encoding cannot pass unnoticed.
        assert_eq!(
            sha256_hex(canonical_json(&json!({"b": 1, "a": "x"})).as_bytes()),
            sha256_hex(br#"{"a":"x","b":1}"#)
        );
    }
}
