//! The varied checklists under `tests/fixtures/checklists`: each matches cmark-gfm's count, and
//! each shows one way of writing a checklist read right (numbered lists, deep nesting, tables and
//! HTML, Arabic and emoji, CRLF, an unterminated fence).

use flightdeck_engine::runbook::parse;

use super::reference::{ours, reference};
use super::{fixture, FIXTURES};

#[test]
fn varied_checklists_match_cmark_gfm() {
    let mut seen = 0;
    for entry in std::fs::read_dir(FIXTURES).expect("fixtures dir") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("read");
        let rb = parse(&path.display().to_string(), &bytes).expect("imports");
        assert_eq!(ours(&rb), reference(&bytes), "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 6);
}

#[test]
fn numbered_lists_star_bullets_and_tilde_fences() {
    let rb = fixture("numbered-and-stars.md");
    assert_eq!(rb.title.as_deref(), Some("Database failover drill"));
    assert_eq!(
        rb.meta("release-version").and_then(|m| m.value.as_deref()),
        Some("v2.3.1")
    );
    assert_eq!(rb.items.iter().filter(|i| i.checked).count(), 2);
    let tilde = rb.step("2.tilde-fence-step.step").expect("tilde step");
    assert_eq!(tilde.lang.as_deref(), Some("sh"));
    assert_eq!(tilde.expected, ["accepting connections"]);
    let long = rb.step("2.long-backtick-fence.step").expect("four-backtick step");
    assert_eq!(long.info, "bash title=\"outer\"");
    assert_eq!(long.code, "echo '```'\n");
    assert_eq!(rb.field("1.lag").and_then(|f| f.unit.as_deref()), Some("s"));
    assert_eq!(rb.signoffs[0].id, "preparation");
    assert_eq!(rb.signoffs[0].items.len(), rb.items.len());
}

#[test]
fn nesting_three_and_more_deep() {
    let rb = fixture("nested-deep.md");
    let deepest = rb.items.iter().max_by_key(|i| i.depth).expect("items");
    assert_eq!(deepest.text, "Level five");
    assert_eq!(deepest.depth, 4);
    assert_eq!(deepest.steps.len(), 1);
    let l3 = rb
        .items
        .iter()
        .find(|i| i.text == "Level three")
        .expect("level three");
    assert_eq!(
        l3.parent.as_deref(),
        rb.items
            .iter()
            .find(|i| i.text == "Level two")
            .map(|i| i.id.as_str())
    );
    // A task under a plain bullet hangs off the nearest task above it.
    let under = rb
        .items
        .iter()
        .find(|i| i.text == "Task under a plain bullet")
        .expect("task");
    assert_eq!(under.parent.as_deref(), Some("nesting.level-one"));
}

#[test]
fn tables_html_comments_and_front_matter() {
    let rb = fixture("tables-html-frontmatter.md");
    assert_eq!(
        rb.title.as_deref(),
        Some("Title after front matter"),
        "front matter is not a heading"
    );
    assert_eq!(rb.phases.len(), 1);
    let step = &rb.steps[0];
    assert_eq!(
        step.annotation.as_deref(),
        Some("<!-- flightdeck: http\nurl: ${BASE}/health\n-->")
    );
    assert_eq!(step.lang.as_deref(), Some("http"));
    assert!(rb.decision.is_some());
    let prose = serde_json::to_string(&rb.phases[0].blocks).expect("json");
    assert!(rb.preamble.iter().any(|b| serde_json::to_string(b)
        .expect("json")
        .contains("| Step | Owner |")));
    assert!(prose.contains("<details>"), "HTML kept as prose: {prose}");
}

#[test]
fn arabic_emoji_and_tabs() {
    let rb = fixture("arabic-emoji.md");
    assert_eq!(rb.phases[0].id, "المرحلة-الأولى");
    assert_eq!(rb.items[0].id, "1.إنشاء-نسخة-احتياطية");
    assert_eq!(rb.field("1.الحجم").and_then(|f| f.unit.as_deref()), Some("GB"));
    // An item of emoji only still gets an id.
    assert!(rb.items.iter().any(|i| i.id == "1.item"));
    assert!(rb
        .items
        .iter()
        .any(|i| i.text == "tab-indented child" && i.depth == 1));
}

#[test]
fn crlf_reads_like_lf() {
    let crlf = fixture("crlf.md");
    let lf_bytes = std::fs::read(format!("{FIXTURES}/crlf.md")).expect("read");
    let lf = parse(
        "crlf.md",
        &String::from_utf8_lossy(&lf_bytes)
            .replace("\r\n", "\n")
            .into_bytes(),
    )
    .expect("lf");
    assert_eq!(crlf.items, lf.items);
    assert_eq!(crlf.fields, lf.fields);
    assert_eq!(crlf.steps[0].code, "echo hi\n");
}

#[test]
fn an_unterminated_fence_imports_with_a_warning() {
    let rb = fixture("unterminated.md");
    assert_eq!(rb.steps.len(), 1);
    assert_eq!(rb.warnings.len(), 1);
    assert_eq!(rb.warnings[0].line, 4);
}
