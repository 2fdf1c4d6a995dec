//! Runbook import: the M31 checklist as the user wrote it, varied checklists, bad input, id
//! stability, tasks in block quotes and alerts, warnings about task look-alikes, and a
//! differential test against cmark-gfm (the GFM reference implementation, `apt-get install
//! cmark-gfm`; `make test` installs it) on fixtures and generated Markdown.
//!
//! Debian's cmark-gfm (0.29) renders no check box for a task inside a block quote, where GitHub
//! does; the reference here is cmark-gfm's count plus those quoted tasks, which are found in
//! cmark-gfm's own tree (list items under a `block_quote` whose line, from the item's column,
//! follows GFM's task rule).

use std::io::Write;
use std::process::{Command, Stdio};

use flightdeck_engine::runbook::{parse, FieldKind, Runbook};
use proptest::prelude::*;

const M31: &str = include_str!("../../../../tests/fixtures/m31-production-cutover.md");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/checklists");
/// Fixtures of this file's own: quoted tasks, an incident runbook, look-alikes.
const OWN_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/fixtures");

fn m31() -> Runbook {
    parse("m31-production-cutover.md", M31.as_bytes()).expect("the M31 checklist imports as it is")
}

/// Task items, checked items and fenced code blocks as cmark-gfm counts them (the same rules as
/// `shared/tools/gfm-counts`).
#[derive(Debug, PartialEq, Eq)]
struct Reference {
    items: usize,
    checked: usize,
    fenced: usize,
}

fn cmark(args: &[&str], input: &[u8]) -> String {
    let mut child = Command::new("cmark-gfm")
        .args(["-e", "tasklist"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("cmark-gfm is installed (make test installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write to cmark-gfm");
    let out = child.wait_with_output().expect("cmark-gfm runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Items and checked items only: the XML of 10,000-deep nesting is indented quadratically.
fn reference_items(input: &[u8]) -> (usize, usize) {
    let html = cmark(&["-t", "html"], input);
    (
        html.matches("type=\"checkbox\"").count(),
        html.matches("checked=\"\"").count(),
    )
}

/// What cmark-gfm 0.29 counts (the same rules as `shared/tools/gfm-counts`), what its tasks' own
/// lines say, and the tasks it leaves as text inside block quotes.
#[derive(Debug)]
struct Cmark {
    counts: Reference,
    /// Tasks and checked tasks as each task's own first line says. cmark-gfm 0.29 also reads the
    /// box rule on an item's later, lazy lines: `- > quote` over `      - [x] text` becomes a
    /// checked task, and `- [ ] a` over such a line turns checked. By the GFM spec a task is an
    /// item whose first block starts with the box, so only the item's own line counts.
    own_line: (usize, usize),
    /// List items under a `block_quote` whose line, from the item's column, follows GFM's task
    /// rule: GitHub renders them as tasks, cmark-gfm 0.29 as text.
    quoted: usize,
    quoted_checked: usize,
}

fn cmark_counts(input: &[u8]) -> Cmark {
    let (items, checked) = reference_items(input);
    let xml = cmark(&["--sourcepos", "-t", "xml"], input);
    let text = String::from_utf8_lossy(input);
    // cmark-gfm counts `\r`, `\n` and `\r\n` as line ends, like our parser.
    let lines: Vec<&str> = text
        .split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
        .collect();
    let source_at = |pos: &str| {
        let mut nums = pos.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty());
        let (Some(line), Some(col)) = (nums.next(), nums.next()) else {
            return ("", "");
        };
        let (line, col): (usize, usize) = (line.parse().unwrap_or(0), col.parse().unwrap_or(0));
        let whole = lines.get(line.wrapping_sub(1)).copied().unwrap_or("");
        (whole, whole.get(col.saturating_sub(1)..).unwrap_or(""))
    };
    let mut fenced = 0;
    for (i, _) in xml.match_indices("<code_block sourcepos=\"") {
        let src = source_at(&xml[i + 23..]).1;
        if src.trim_start().starts_with("```") || src.trim_start().starts_with("~~~") {
            fenced += 1;
        }
    }
    // GFM's task rule, on a line from where its list item starts.
    let task_rule =
        regex::Regex::new(r"^[ \t\x0b\x0c]*(?:[-+*]|[0-9]+[.)])[ \t\x0b\x0c]+\[([ xX])\][ \t\x0b\x0c]")
            .expect("regex");
    let (mut quoted, mut quoted_checked, mut own, mut own_checked) = (0, 0, 0, 0);
    // Walk the XML's tags, keeping the stack of open elements, to see which items are quoted.
    let mut open: Vec<bool> = Vec::new();
    for tag in xml.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or("");
        if tag.starts_with(['?', '!']) {
            continue;
        }
        if tag.starts_with('/') {
            open.pop();
            continue;
        }
        let name = tag.split_whitespace().next().unwrap_or("");
        let pos = tag.split("sourcepos=\"").nth(1).unwrap_or("");
        if name == "item" && open.iter().any(|&q| q) {
            if let Some(m) = task_rule.captures(source_at(pos).1) {
                quoted += 1;
                quoted_checked += usize::from(&m[1] != " ");
            }
        }
        if name == "tasklist" {
            let line = source_at(pos).0;
            if task_rule.is_match(line) {
                own += 1;
                own_checked += usize::from(line.contains("[x]") || line.contains("[X]"));
            }
        }
        if !tag.ends_with('/') {
            open.push(name == "block_quote");
        }
    }
    Cmark {
        counts: Reference {
            items,
            checked,
            fenced,
        },
        own_line: (own, own_checked),
        quoted,
        quoted_checked,
    }
}

/// What GitHub shows: cmark-gfm's tasks as their own lines say, plus the tasks inside block
/// quotes.
fn reference(input: &[u8]) -> Reference {
    let c = cmark_counts(input);
    Reference {
        items: c.own_line.0 + c.quoted,
        checked: c.own_line.1 + c.quoted_checked,
        fenced: c.counts.fenced,
    }
}

fn ours(rb: &Runbook) -> Reference {
    Reference {
        items: rb.items.len(),
        checked: rb.items.iter().filter(|i| i.checked).count(),
        fenced: rb.steps.len(),
    }
}

#[test]
fn m31_counts_match_the_issue() {
    let c = m31().counts();
    assert_eq!(
        (c.phases, c.sections, c.items, c.steps, c.signoffs),
        (6, 19, 85, 27, 5)
    );
}

#[test]
fn m31_counts_match_cmark_gfm() {
    let c = cmark_counts(M31.as_bytes());
    assert_eq!(
        (c.own_line, c.quoted),
        ((c.counts.items, c.counts.checked), 0),
        "for M31 the reference is cmark-gfm's count as it stands"
    );
    assert_eq!(ours(&m31()), reference(M31.as_bytes()));
}

#[test]
fn m31_header_metadata() {
    let rb = m31();
    assert_eq!(rb.title.as_deref(), Some("M31 Production Cutover Checklist"));
    let keys: Vec<_> = rb.metadata.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "release-version",
            "cutover-date",
            "release-manager",
            "on-call-engineer",
            "emergency-contacts",
            "rollback-decision-maker"
        ]
    );
    assert_eq!(
        rb.meta("release-version").and_then(|m| m.value.as_deref()),
        Some("v1.0.0")
    );
    assert_eq!(
        rb.meta("cutover-date").and_then(|m| m.value.as_deref()),
        None,
        "a blank is not a value"
    );
}

#[test]
fn m31_signoffs_and_decision() {
    let rb = m31();
    let names: Vec<_> = rb.signoffs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Pre-Flight Gates",
            "Cutover Execution",
            "Post-Cutover Validation",
            "Rollback Readiness",
            "D0-D7 Monitoring"
        ]
    );
    let ids: Vec<_> = rb.signoffs.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "pre-flight-gates",
            "cutover-execution",
            "post-cutover-validation",
            "rollback-readiness",
            "d0-d7-monitoring"
        ]
    );
    // The pre-flight sign-off vouches for sections 1–5 and nothing after them.
    let pre = &rb.signoffs[0];
    assert!(pre.items.iter().all(|i| rb
        .item(i)
        .and_then(|i| i.section.as_deref())
        .is_some_and(|s| { ["1", "2", "3", "4", "5"].contains(&s) })));
    assert_eq!(
        pre.items.len(),
        rb.items
            .iter()
            .filter(|i| i.phase.as_deref() == Some("pre-flight-gates-validation"))
            .count()
    );
    let d = rb
        .decision
        .as_ref()
        .expect("the M31 checklist has a GO / NO-GO decision");
    assert_eq!(d.options, ["GO", "NO-GO"]);
    assert_eq!(d.criteria.len(), 10, "ten Critical Success Criteria");
    // Decision maker, time and rationale are the decision's, not loose fields.
    assert!(rb
        .fields
        .iter()
        .all(|f| !f.label.to_lowercase().contains("rationale") && f.label != "Decision Maker"));
}

#[test]
fn m31_fields_have_labels_units_and_kinds() {
    let rb = m31();
    let f = |id: &str| rb.field(id).unwrap_or_else(|| panic!("field {id} exists"));
    assert_eq!(f("1.result-passes").label, "passes");
    assert_eq!(f("1.result-passes").kind, FieldKind::Number);
    assert_eq!(f("1.result-total").label, "total");
    assert_eq!(f("1.pass-rate").kind, FieldKind::Percent);
    assert_eq!(f("1.pass-rate").unit.as_deref(), Some("%"));
    assert_eq!(f("3.backup-file").kind, FieldKind::Text);
    assert_eq!(f("3.size").unit.as_deref(), Some("GB"));
    assert_eq!(f("3.rto-achieved").unit.as_deref(), Some("minutes"));
    assert_eq!(f("3.rto-achieved").kind, FieldKind::Duration);
    assert_eq!(
        f("3.result").kind,
        FieldKind::Choice {
            options: vec!["Success".into(), "Failed".into()]
        }
    );
    assert_eq!(
        f("8.database").kind,
        FieldKind::Choice {
            options: vec!["Healthy".into(), "Degraded".into(), "Unhealthy".into()]
        }
    );
    assert_eq!(f("4.breakers-active-apns").label, "APNs");
    assert_eq!(f("11.response-time").unit.as_deref(), Some("ms"));
    assert_eq!(
        f("1.pass-rate").item.as_deref(),
        Some("1.security-testing-owasp-wstg-smoke-tests")
    );
}

#[test]
fn m31_steps_belong_to_their_items_and_keep_expectations() {
    let rb = m31();
    let s = rb
        .step("1.security-testing-owasp-wstg-smoke-tests.step")
        .expect("step id");
    assert_eq!(s.lang.as_deref(), Some("bash"));
    assert_eq!(s.expected, [">95% pass rate"]);
    assert!(s.code.contains("python test_m30_security_readiness.py"));
    assert!(
        rb.steps.iter().all(|s| s.item.is_some()),
        "every M31 step sits under an item"
    );
}

#[test]
fn m31_timeframes_and_prose_are_kept() {
    let rb = m31();
    let tf = rb.phases[0].timeframe.as_ref().expect("pre-flight timeframe");
    assert_eq!((tf.start_min, tf.end_min), (Some(-24 * 60), Some(-4 * 60)));
    // "Expected State" bullets are not understood as anything: they stay, as prose, under their item.
    let item = rb.item("5.critical-feature-flags-set").expect("item");
    let prose: String = item
        .blocks
        .iter()
        .filter_map(|b| match b {
            flightdeck_engine::runbook::Block::Prose { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        prose.contains("`community_enabled`: OFF (0%)"),
        "prose kept: {prose}"
    );
}

#[test]
fn ids_are_unique_per_kind() {
    let rb = m31();
    for ids in [
        rb.items.iter().map(|i| &i.id).collect::<Vec<_>>(),
        rb.steps.iter().map(|i| &i.id).collect(),
        rb.fields.iter().map(|i| &i.id).collect(),
        rb.signoffs.iter().map(|i| &i.id).collect(),
    ] {
        let set: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(set.len(), ids.len());
    }
}

#[test]
fn ids_survive_unrelated_edits() {
    let before = m31();
    // Edit prose, add an item to section 2, add a whole new phase at the end.
    let edited =
        M31.replace(
            "# Run security validation suite",
            "# Run the security validation suite (edited)",
        )
        .replace(
            "  - [ ] Consent management operational",
            "  - [ ] Consent management operational\n  - [ ] A new GDPR item",
        ) + "\n## Appendix\n\n### 99. Extra\n- [ ] Something new\n";
    let after = parse("m31.md", edited.as_bytes()).expect("imports");
    for item in &before.items {
        let moved = after
            .item(&item.id)
            .unwrap_or_else(|| panic!("{} still exists", item.id));
        assert_eq!(moved.text, item.text);
    }
    for f in &before.fields {
        assert_eq!(after.field(&f.id).map(|g| &g.label), Some(&f.label));
    }
    for s in &before.steps {
        assert!(after.step(&s.id).is_some(), "{} still exists", s.id);
    }
    assert_eq!(after.items.len(), before.items.len() + 2);
}

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

fn fixture(name: &str) -> Runbook {
    let bytes = std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture");
    parse(name, &bytes).expect("imports")
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

#[test]
fn bad_input_gets_an_error_with_file_and_line() {
    let e = parse("empty.md", b"").expect_err("empty");
    assert_eq!(e.to_string(), "empty.md:1: the file is empty");
    let e = parse("blank.md", b" \n\t\n").expect_err("blank");
    assert_eq!(e.line, 1);
    let e = parse("bin.md", b"# ok\n- [ ] fine\n\x00\x01\x02").expect_err("binary");
    assert_eq!((e.line, e.file.as_str()), (3, "bin.md"));
    assert!(e.message.contains("binary"));
    let e = parse("latin1.md", b"# ok\n\n- [ ] caf\xe9\n").expect_err("invalid utf-8");
    assert_eq!(e.line, 3);
    assert!(e.to_string().starts_with("latin1.md:3: not UTF-8"));
    let too_big = vec![b'a'; flightdeck_engine::runbook::MAX_BYTES + 1];
    assert!(parse("big.md", &too_big)
        .expect_err("too big")
        .message
        .contains("limited"));
}

#[test]
fn a_20_mb_file_imports() {
    let mut text = String::from("# Big\n\n## Phase\n\n");
    let mut n = 0;
    while text.len() < 20 * 1024 * 1024 {
        text.push_str(&format!("### {n}. Section\n- [ ] Item {n} with some words to fill the line\n  ```bash\n  echo {n}\n  ```\n\n"));
        n += 1;
    }
    let rb = parse("big.md", text.as_bytes()).expect("20 MB imports");
    assert_eq!(rb.items.len(), n);
    assert_eq!(rb.steps.len(), n);
}

/// Each runs on a thread with the default 2 MiB stack: deep input must not recurse.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic, no overflow");
}

#[test]
fn ten_thousand_deep_nesting_does_not_overflow() {
    on_small_stack(|| {
        let lists = format!("{}[ ] deepest\n", "- ".repeat(10_000));
        let rb = parse("lists.md", lists.as_bytes()).expect("imports");
        let ours_items = |rb: &Runbook| (rb.items.len(), rb.items.iter().filter(|i| i.checked).count());
        assert_eq!(ours_items(&rb), reference_items(lists.as_bytes()));
        let quotes = format!("{}- [ ] quoted\n", "> ".repeat(10_000));
        let rb = parse("quotes.md", quotes.as_bytes()).expect("imports");
        // cmark-gfm reads a list 10,000 quotes deep (and renders no box: it misses quoted tasks);
        // comrak stops reading lists 100 containers deep (its MAX_LIST_DEPTH), so the task is a
        // paragraph's text here, and the import says so instead of dropping it silently.
        assert_eq!(reference_items(quotes.as_bytes()), (0, 0));
        assert_eq!(ours_items(&rb), (0, 0));
        assert_eq!(rb.warnings.len(), 1);
        assert!(
            rb.warnings[0].message.contains("looks like a task"),
            "{:?}",
            rb.warnings
        );
        let mut tasks = String::new();
        for depth in 0..10_000 {
            tasks.push_str(&"  ".repeat(depth.min(200)));
            tasks.push_str("- [ ] t\n");
        }
        let rb = parse("tasks.md", tasks.as_bytes()).expect("imports");
        assert_eq!(rb.items.len(), 10_000);
    });
}

/// Markdown made of the pieces checklists are made of, in random order and indentation.
fn markdown() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "- [ ] task",
        "- [x] done",
        "* [X] star",
        "+ [ ] plus",
        "1. [ ] one",
        "2) [x] two",
        "- [ ]",
        "- [ ]x",
        "- [  ] no",
        "-  [ ] wide",
        "- [ ] **Bold** item",
        "  - [ ] nested",
        "    - [ ] deeper",
        "\t- [ ] tab",
        "      - [x] deepest",
        "> - [ ] quoted",
        "> > - [ ] twice",
        "> - [x] quoted done",
        ">   - [ ] quoted nested",
        "> 1. [X] quoted one",
        ">\t- [ ] quoted tab",
        ">",
        "> [!NOTE]",
        "> [!WARNING]",
        "- > - [ ] quote in an item",
        "  > - [ ] quote under an item",
        "- - [ ] two markers",
        "- plain",
        "  text",
        "```",
        "```bash",
        "~~~",
        "~~~sh",
        "````",
        "  ```",
        "    code",
        "> ```",
        "# H1",
        "## H2",
        "### 3. H3",
        "#### H4",
        "",
        "",
        "",
        "text",
        "**Label**: ___ GB",
        "**A**: [ ] Yes [ ] No",
        "| a | b |",
        "|---|---|",
        "<!-- note -->",
        "<div>",
        "</div>",
        "---",
        "***",
        "Setext",
        "===",
        "  ---",
        "  ===",
        "   ---",
        "   ===",
        ">   ---",
        "☐ ballot",
        "-[ ] glued",
        "- [] empty box",
        "| [ ] | cell |",
        "- [ ] item\r",
        "# Expected: ok",
        "[ ] not a list",
    ]);
    prop::collection::vec(piece, 0..40).prop_map(|v| v.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn generated_checklists_match_cmark_gfm(md in markdown()) {
        match parse("gen.md", md.as_bytes()) {
            Ok(rb) => {
                prop_assert_eq!(ours(&rb), reference(md.as_bytes()), "input:\n{}", md);
                let lines = md.split(['\n', '\r']).count();
                prop_assert!(
                    rb.warnings.iter().all(|w| w.line >= 1 && w.line as usize <= lines),
                    "a warning names a line of the file: {:?}\n{}", rb.warnings, md
                );
            }
            Err(e) => prop_assert!(md.trim().is_empty(), "unexpected error {} for:\n{}", e, md),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        if let Err(e) = parse("fuzz.md", &bytes) {
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn arbitrary_markdownish_text_never_panics(s in "[-*+>#`~_\\[\\] xX0-9.:|=!\t\n\r*a-zé🚀☐☑]{0,600}") {
        let _ = parse("fuzz.md", s.as_bytes());
    }
}

#[test]
fn a_malformed_annotation_is_an_import_error_with_file_and_line() {
    let md = "## P\n### 1. S\n- [ ] Health\n  <!-- flightdeck: http\n  url: http://x/health\n  expect: stauts == 200\n  -->\n  ```bash\n  curl x\n  ```\n";
    let e = parse("bad.md", md.as_bytes()).expect_err("a misspelt condition does not import");
    assert_eq!((e.file.as_str(), e.line), ("bad.md", 6), "{e}");
    assert!(e.message.contains("1.health.step"), "{e}");
    // The bundled runbook's annotations all read.
    let (name, bytes) = flightdeck_engine::runbook::read_source("bundled:m31").expect("bundled");
    parse(&name, &bytes).expect("the bundled M31 runbook imports");
}

fn own_fixture(name: &str) -> (Vec<u8>, Runbook) {
    let bytes = std::fs::read(format!("{OWN_FIXTURES}/{name}")).expect("fixture");
    let rb = parse(name, &bytes).expect("imports");
    (bytes, rb)
}

fn item_by_text<'r>(rb: &'r Runbook, text: &str) -> &'r flightdeck_engine::runbook::Item {
    rb.items.iter().find(|i| i.text == text).unwrap_or_else(|| {
        panic!(
            "an item `{text}` in {:?}",
            rb.items.iter().map(|i| &i.text).collect::<Vec<_>>()
        )
    })
}

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
