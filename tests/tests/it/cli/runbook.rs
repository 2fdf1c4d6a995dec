//! `runbook inspect` (JSON and human, the fixture and the bundled copy), `runbook list`, and a
//! runbook that cannot be read.

use flightdeck_testsupport::cli::exit::IMPORT;
use serde_json::json;

use super::{env, inspect, M31};

#[test]
fn inspect_json_carries_the_m31_counts() {
    let model = inspect(M31);
    assert_eq!(model["counts"]["phases"], json!(6));
    assert_eq!(model["counts"]["sections"], json!(19));
    assert_eq!(model["counts"]["items"], json!(85));
    assert_eq!(model["counts"]["steps"], json!(27));
    assert_eq!(model["counts"]["signoffs"], json!(5));
    let fields = model["fields"].as_array().expect("fields").len();
    assert_eq!(
        model["counts"]["fields"],
        json!(fields),
        "counts agree with the model"
    );
    let keys: Vec<&str> = model["counts"]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys.len(),
        6,
        "exactly phases, sections, items, steps, fields, signoffs: {keys:?}"
    );
    assert_eq!(model["title"], json!("M31 Production Cutover Checklist"));
    assert_eq!(model["items"].as_array().expect("items").len(), 85);
}

#[test]
fn inspect_of_the_bundled_m31_matches_the_fixture() {
    // The bundled copy is the user's checklist plus annotations (HTML comments): the same
    // checklist, item for item and field for field, with the same ids. Lines move (the comments
    // take room); ids, texts, labels and kinds do not.
    let bundled = inspect("bundled:m31");
    let fixture = inspect(M31);
    assert_eq!(bundled["counts"], fixture["counts"]);
    let keys = |v: &serde_json::Value, list: &str, keys: &[&str]| -> Vec<String> {
        v[list]
            .as_array()
            .expect("list")
            .iter()
            .map(|e| {
                keys.iter()
                    .map(|k| e[*k].to_string())
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect()
    };
    for (list, k) in [
        ("items", &["id", "text", "checked", "parent"][..]),
        ("fields", &["id", "label", "kind", "unit"][..]),
        ("steps", &["id", "item", "code"][..]),
        ("signoffs", &["id", "name", "items", "fields"][..]),
        ("metadata", &["key", "value"][..]),
    ] {
        assert_eq!(keys(&bundled, list, k), keys(&fixture, list, k), "{list}");
    }
    assert_ne!(
        bundled["sha256"], fixture["sha256"],
        "the annotations are in the bundled source"
    );
}

#[test]
fn inspect_human_shows_title_counts_and_the_tree() {
    let out = env().ok(["runbook", "inspect", M31]);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("M31 Production Cutover Checklist"));
    assert!(out.contains("6 phases, 19 sections, 85 items, 27 steps"), "{out}");
    assert!(out.contains("5 sign-offs"), "{out}");
    assert!(
        out.contains("phase pre-flight-gates-validation: Pre-Flight Gates Validation"),
        "{out}"
    );
    assert!(
        out.contains("section 3: 3. Backup & Recovery Validation"),
        "{out}"
    );
    assert!(out.contains("[ ] 1.database-migration-dry-run"), "{out}");
    assert!(out.contains(
        "step 1.database-migration-dry-run.step (shell): python migrate.py up --dry-run --verbose"
    ));
    assert!(
        out.contains("field 3.rto-achieved: RTO Achieved (duration, minutes)"),
        "{out}"
    );
    assert!(
        out.contains("sign-off pre-flight-gates: Pre-Flight Gates"),
        "{out}"
    );
    assert!(
        out.contains("decision: Final Go-Live Decision (GO / NO-GO)"),
        "{out}"
    );
}

#[test]
fn runbook_list_names_the_bundled_runbooks() {
    let env = env();
    assert!(env.ok(["runbook", "list"]).contains("bundled:m31"));
    let list = env.json(["runbook", "list"]);
    assert_eq!(list[0]["spec"], json!("bundled:m31"));
    assert_eq!(list[0]["file"], json!("m31-production-cutover.md"));
}

#[test]
fn a_runbook_that_cannot_be_read_is_an_import_error() {
    let env = env();
    let err = env.fails(IMPORT, ["runbook", "inspect", "/nonexistent/runbook.md"]);
    assert!(err.contains("/nonexistent/runbook.md"), "names the file: {err}");
    let err = env.fails(IMPORT, ["runbook", "inspect", "bundled:nope"]);
    assert!(err.contains("bundled:m31"), "lists what exists: {err}");
    env.fails(
        IMPORT,
        ["run", "new", "/nonexistent/runbook.md", "--release", "v1"],
    );
}
