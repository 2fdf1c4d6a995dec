//! Input the import refuses or must survive: empty, binary, non-UTF-8 and oversized files, a
//! 20 MB file, nesting 10,000 deep on a small stack, and a malformed annotation.

use flightdeck_engine::runbook::{parse, Runbook};

use super::reference::reference_items;

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

#[test]
fn an_oversized_or_endless_runbook_file_is_refused_without_being_read_whole() {
    use flightdeck_engine::runbook::{read_source, MAX_BYTES};
    let dir = tempfile::tempdir().expect("tempdir");
    // Sparse: its length says it is too large before a byte is read.
    let big = dir.path().join("big.md");
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(MAX_BYTES as u64 + 1).expect("set_len");
    let e = read_source(&big.display().to_string()).expect_err("too big");
    assert!(e.message.contains("limited to 64 MiB"), "{e}");
    // A device with no end: read through a window one byte past the limit, then refused.
    let e = read_source("/dev/zero").expect_err("endless");
    assert!(e.message.contains("limited"), "{e}");
    let e = read_source(&dir.path().display().to_string()).expect_err("a directory");
    assert!(e.message.contains("directory"), "{e}");
}
