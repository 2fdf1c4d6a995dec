//! The differential test on generated Markdown: checklists built from the pieces checklists are
//! made of match cmark-gfm's count, their warnings name lines of the file, and arbitrary bytes
//! or Markdown-ish text never make the import panic.

use flightdeck_engine::runbook::parse;
use proptest::prelude::*;

use super::reference::{ours, reference};

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
