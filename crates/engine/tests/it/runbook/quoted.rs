//! Tasks GitHub renders that cmark-gfm 0.29 does not count the same way: tasks in block quotes
//! and alerts, a task whose text is a setext heading, and a task judged by its own line rather
//! than a later lazy one.

use flightdeck_engine::runbook::parse;

use super::item_by_text;
use super::own_fixture;
use super::reference::{cmark_counts, ours, reference, Reference};

#[test]
fn tasks_in_block_quotes_and_alerts_are_items_cmark_gfm_count_plus_the_quoted_ones() {
    let (bytes, rb) = own_fixture("quoted-tasks.md");
    let c = cmark_counts(&bytes);
    // The fixture has 2 tasks outside quotes and 12 inside (3 of them checked); Debian's
    // cmark-gfm sees only the 2, GitHub shows all 14.
    assert_eq!(
        (c.counts.items, c.counts.checked),
        (2, 0),
        "cmark-gfm 0.29 misses quoted tasks"
    );
    assert_eq!(
        (c.quoted, c.quoted_checked),
        (12, 3),
        "the reference finds every quoted task"
    );
    assert_eq!(
        c.own_line,
        (2, 0),
        "no task of cmark-gfm's is read off a later line here"
    );
    assert_eq!(
        ours(&rb),
        Reference {
            items: c.counts.items + c.quoted,
            checked: c.counts.checked + c.quoted_checked,
            fenced: c.counts.fenced,
        }
    );
    // Nesting is kept inside a quote and across one.
    let bridge = item_by_text(&rb, "Open the bridge");
    assert!(bridge.checked, "`[x]` in a quote arrives checked");
    let nested = item_by_text(&rb, "Nested under a quoted task");
    assert_eq!(nested.parent.as_ref(), Some(&bridge.id));
    assert_eq!(item_by_text(&rb, "Two levels under it").depth, 2);
    let child = item_by_text(&rb, "A quoted child of a plain task");
    assert_eq!(
        child.parent.as_ref(),
        Some(&item_by_text(&rb, "A plain parent").id)
    );
    assert!(item_by_text(&rb, "Tip task, checked").checked, "`[X]` too");
    assert!(!item_by_text(&rb, "A task in a nested quote").checked);
    // A step and a field written under a quoted task are that task's, as anywhere else.
    let warned = item_by_text(&rb, "Warned task with a step");
    assert_eq!(warned.steps.len(), 1);
    assert_eq!(
        rb.step(&warned.steps[0]).map(|s| s.code.as_str()),
        Some("echo quoted\n")
    );
    assert_eq!(warned.fields.len(), 1);
    assert_eq!(
        rb.field(&warned.fields[0]).map(|f| f.label.as_str()),
        Some("Backup File")
    );
    // Ids read like any other item's, under their section.
    assert_eq!(item_by_text(&rb, "Page the on-call").id, "1.page-the-on-call");
    assert_eq!(item_by_text(&rb, "Noted task").id, "2.noted-task");
    assert!(rb.warnings.is_empty(), "{:?}", rb.warnings);
}

#[test]
fn an_incident_runbook_with_three_tasks_in_alerts_imports_all_17() {
    let (bytes, rb) = own_fixture("incident-runbook.md");
    assert_eq!(rb.items.len(), 17, "14 tasks in lists, 3 in alert blocks");
    let c = cmark_counts(&bytes);
    assert_eq!(
        (c.counts.items, c.own_line.0, c.quoted),
        (14, 14, 3),
        "the 3 in alerts are the ones cmark-gfm 0.29 leaves as text"
    );
    for text in [
        "Page the on-call database engineer if p95 latency is above 2 s",
        "Tell Support before the first customer ticket lands",
        "Confirm writes are drained before any restart",
    ] {
        let item = item_by_text(&rb, text);
        assert!(!item.checked);
        assert!(item.section.is_some(), "{text} sits in its section");
    }
    // The sign-off vouches for the quoted tasks of its phase like any other.
    assert_eq!(rb.signoffs.len(), 1);
    assert_eq!(ours(&rb), reference(&bytes));
}

#[test]
fn a_task_whose_text_is_a_setext_heading_is_an_item_as_cmark_gfm_renders_it() {
    let md = "## P\n### 1. S\n- [ ] Drain the node\n  ---\n- [x] Page the on-call\n  ===\n\
              1. [ ] **Ordered** heading\n   ---\n- [ ] Two lines\n  of heading\n  ---\n";
    let rb = parse("setext.md", md.as_bytes()).expect("imports");
    assert_eq!(
        ours(&rb),
        reference(md.as_bytes()),
        "cmark-gfm renders a box beside each heading"
    );
    let texts: Vec<_> = rb.items.iter().map(|i| (i.text.as_str(), i.checked)).collect();
    assert_eq!(
        texts,
        [
            ("Drain the node", false),
            ("Page the on-call", true),
            ("Ordered heading", false),
            ("Two lines of heading", false)
        ]
    );
    assert_eq!(rb.items[0].id, "1.drain-the-node");
    let prose = serde_json::to_string(&rb.sections[0].blocks).expect("json");
    assert!(
        !prose.contains("Prose"),
        "the heading is the item's text, not prose besides it: {prose}"
    );
}

#[test]
fn a_task_is_judged_by_its_own_line_not_by_a_later_lazy_one_as_cmark_gfm_029_does() {
    // Found by the generator: cmark-gfm 0.29 re-reads the box rule on an item's lazy continuation
    // lines, so `- > quote` over `      - [x] text` gets a checked box, and `- [ ] task` turns
    // checked. Neither item's first block starts with a box, or with a checked one.
    for md in [
        "- [ ]\n- > - [ ] quote in an item\n      - [x] deepest",
        "- > - [ ] quote in an item\n- [ ] task\nSetext\n  > - [ ] quote under an item\n      - [x] deepest",
    ] {
        let c = cmark_counts(md.as_bytes());
        assert_eq!(
            c.counts.checked, 1,
            "cmark-gfm checks a box from the later line: {md}"
        );
        assert_eq!(c.own_line.1, 0, "no task's own line has `[x]`: {md}");
        let rb = parse("lazy.md", md.as_bytes()).expect("imports");
        assert_eq!(ours(&rb), reference(md.as_bytes()), "{md}");
        assert!(rb.items.iter().all(|i| !i.checked), "{md}");
    }
}
