//! Every `--json` output checked against its command's JSON Schema in `docs/json/` (draft
//! 2020-12): what stdout holds, and the `{"error": ...}` line on stderr when a command fails.
//!
//! A command's schema is `docs/json/<its words joined by ->.schema.json` (`run show` →
//! `run-show.schema.json`); `defs.schema.json` holds the shapes several share, `error.schema.json`
//! the error. [`Cli`](crate::cli::Cli) calls [`check`] on every command it runs with `--json`, so
//! an output that drifts from its schema, or a command without one, fails the test that ran it,
//! naming the command, the schema and what does not fit.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use jsonschema::Registry;
use serde_json::Value;

/// Where the schemas live: the repository's `docs/json/`.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/json")
}

/// The base URI every schema's `$id` is under (`.invalid`: never fetched, nothing is).
pub const BASE: &str = "https://flightdeck.invalid/json/";

/// Commands that print text whatever `--json` says (help, a shell script, a man page).
pub const TEXT_ONLY: [&str; 3] = ["help", "completions", "man"];

/// Every schema file in `docs/json/`, by file name, read once.
pub fn all() -> &'static [(String, Value)] {
    static ALL: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut out = Vec::new();
        let entries = std::fs::read_dir(dir()).unwrap_or_else(|e| panic!("read {}: {e}", dir().display()));
        for entry in entries {
            let path = entry.expect("a docs/json entry").path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
                continue;
            };
            if !name.ends_with(".schema.json") {
                continue;
            }
            let text =
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let value: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
            out.push((name, value));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    })
}

fn registry() -> &'static Registry<'static> {
    static REGISTRY: OnceLock<Registry<'static>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let pairs = all().iter().map(|(name, v)| (format!("{BASE}{name}"), v));
        Registry::new()
            .extend(pairs)
            .and_then(|b| b.prepare())
            .unwrap_or_else(|e| panic!("the schemas in docs/json/ do not load together: {e}"))
    })
}

/// The schema file named `name`, if there is one.
pub fn find(name: &str) -> Option<&'static Value> {
    all().iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

/// What in `instance` does not fit schema file `name` (empty when it fits).
pub fn errors(name: &str, instance: &Value) -> Vec<String> {
    let schema = find(name).unwrap_or_else(|| panic!("no docs/json/{name}"));
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_registry(registry())
        .build(schema)
        .unwrap_or_else(|e| panic!("docs/json/{name} is not a usable schema: {e}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect()
}

/// The command words of `args` (`run`, `show`, a run id, ...): options and the values of the
/// global ones skipped.
fn words(args: &[OsString]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.iter().map(|a| a.to_string_lossy().into_owned());
    while let Some(a) = it.next() {
        if a == "--store" || a == "--config-dir" {
            it.next();
        } else if a.starts_with('-') {
            if !out.is_empty() {
                break;
            }
        } else {
            out.push(a);
        }
    }
    out
}

/// The schema file of the command `args` run: the longest run of its first words (at most
/// three) that has one. `None` for a text-only command; a panic naming the command when it has
/// no schema.
pub fn schema_of(args: &[OsString]) -> Option<String> {
    let words = words(args);
    if words.first().is_some_and(|w| TEXT_ONLY.contains(&w.as_str())) {
        return None;
    }
    for n in (1..=words.len().min(3)).rev() {
        let name = format!("{}.schema.json", words[..n].join("-"));
        if find(&name).is_some() {
            return Some(name);
        }
    }
    panic!(
        "no schema in docs/json/ for `flightdeck {} --json` (tried {}): add one for the command",
        words.iter().take(2).cloned().collect::<Vec<_>>().join(" "),
        (1..=words.len().min(3))
            .map(|n| format!("{}.schema.json", words[..n].join("-")))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// Checks what a command run with `--json` printed: stdout against the command's schema (one
/// JSON value, or one a line for a stream such as `watch RUN`), and, when it failed, exactly one
/// line on stderr against `error.schema.json` (other stderr lines are warnings). Nothing is
/// checked without `--json` among `args`.
pub fn check(args: &[OsString], out: &Output) {
    let args: Vec<OsString> = args.iter().take_while(|a| *a != "--").cloned().collect();
    if !args.iter().any(|a| a == "--json") {
        return;
    }
    if words(&args)
        .first()
        .is_some_and(|w| TEXT_ONLY.contains(&w.as_str()))
    {
        return;
    }
    let shown = || crate::cli::streams(out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // A usage error names no command that ran: only its error is checked.
    let usage = out.status.code() == Some(2);
    if !stdout.trim().is_empty() || !usage {
        let Some(name) = schema_of(&args) else {
            return;
        };
        for value in
            values(&stdout).unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e})\n{}", shown()))
        {
            let bad = errors(&name, &value);
            assert!(
                bad.is_empty(),
                "{args:?}: stdout does not fit docs/json/{name}:\n  {}\n{}",
                bad.join("\n  "),
                shown()
            );
        }
        assert!(
            !stdout.trim().is_empty() || !out.status.success(),
            "{args:?} succeeded with --json and printed nothing on stdout\n{}",
            shown()
        );
    }
    if out.status.success() {
        return;
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with('{')).collect();
    assert_eq!(
        lines.len(),
        1,
        "{args:?} failed with --json: exactly one JSON error line on stderr\n{}",
        shown()
    );
    let value: Value = serde_json::from_str(lines[0])
        .unwrap_or_else(|e| panic!("{args:?}: the error line is not JSON ({e})\n{}", shown()));
    let bad = errors("error.schema.json", &value);
    assert!(
        bad.is_empty(),
        "{args:?}: stderr does not fit docs/json/error.schema.json:\n  {}\n{}",
        bad.join("\n  "),
        shown()
    );
    assert_eq!(
        value["error"]["exit"].as_i64(),
        out.status.code().map(i64::from),
        "{args:?}: the error's `exit` is the exit code\n{}",
        shown()
    );
}

/// One JSON value, or a JSON value on each line (a stream).
fn values(text: &str) -> Result<Vec<Value>, serde_json::Error> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => Ok(vec![v]),
        Err(whole) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| whole),
    }
}
