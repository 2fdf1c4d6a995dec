//! Import warnings: text that looks like a task but is not one is warned about with its line,
//! and the M31 checklist and the varied fixtures import without any.

use flightdeck_engine::runbook::parse;

use super::{fixture, m31, own_fixture};

#[test]
fn text_that_looks_like_a_task_is_warned_about_with_its_line() {
    let (bytes, rb) = own_fixture("lookalikes.md");
    let text = String::from_utf8_lossy(&bytes);
    let line_of = |needle: &str| {
        1 + text
            .lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("`{needle}` is in the fixture")) as u32
    };
    let expected: Vec<(u32, &str)> = vec![
        (line_of("☐ Call the database team"), "`☐` looks like a task"),
        (line_of("☑ Restart the workers"), "`☑` looks like a task"),
        (line_of("-[ ] Drain the queue"), "`-[ ]` looks like a task"),
        (line_of("- [] Flip"), "`- []` looks like a task"),
        (line_of("| Rotate the keys | [ ] |"), "table cell"),
        (line_of("| [x] Notify support"), "table cell"),
        (line_of("[ ] Update the status page"), "has no list marker"),
        (line_of("- [ ]x Glued box") - 2, "has no text"),
        (line_of("- [ ]x Glued box"), "`- [ ]x` looks like a task"),
        (line_of("- - [ ] Nested on one line"), "on a line of its own"),
        (line_of("> ☒ Quoted ballot box"), "`☒` looks like a task"),
        (line_of("1.[ ] Glued ordered"), "`1.[ ]` looks like a task"),
        (line_of("2. [ ] Numbered from two"), "starts at 1"),
    ];
    let got: Vec<(u32, &str)> = rb.warnings.iter().map(|w| (w.line, w.message.as_str())).collect();
    assert_eq!(
        got.iter().map(|g| g.0).collect::<Vec<_>>(),
        expected.iter().map(|e| e.0).collect::<Vec<_>>(),
        "one warning for each look-alike, in order, and none in code, inline code, choices, \
         real tasks or HTML: {got:#?}"
    );
    for ((line, message), (_, says)) in got.iter().zip(&expected) {
        assert!(message.contains(says), "line {line}: `{message}` says {says}");
    }
    // Only the real tasks are items: 2 in a list, 1 in a quote.
    assert_eq!(rb.items.len(), 3);
}

#[test]
fn m31_and_the_varied_fixtures_import_without_warnings() {
    assert!(m31().warnings.is_empty(), "{:?}", m31().warnings);
    let (name, bytes) = flightdeck_engine::runbook::read_source("bundled:m31").expect("bundled");
    let bundled = parse(&name, &bytes).expect("imports");
    assert!(bundled.warnings.is_empty(), "{:?}", bundled.warnings);
    for name in [
        "numbered-and-stars.md",
        "nested-deep.md",
        "arabic-emoji.md",
        "crlf.md",
    ] {
        assert!(
            fixture(name).warnings.is_empty(),
            "{name}: {:?}",
            fixture(name).warnings
        );
    }
}
