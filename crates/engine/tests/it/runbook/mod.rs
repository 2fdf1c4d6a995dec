//! Runbook import: the M31 checklist as the user wrote it, varied checklists, bad input, id
//! stability, tasks in block quotes and alerts, warnings about task look-alikes, and a
//! differential test against cmark-gfm (the GFM reference implementation, `apt-get install
//! cmark-gfm`; `make test` installs it) on fixtures and generated Markdown.
//!
//! One module per subject; this one holds the fixtures they share (the M31 checklist, the
//! checklists under `tests/fixtures/checklists`, this test's own under `tests/it/fixtures`).

mod fixtures;
mod generated;
mod limits;
mod m31;
mod quoted;
mod reference;
mod warnings;

use flightdeck_engine::runbook::{parse, Item, Runbook};

const M31: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/m31-production-cutover.md"
));
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/checklists");
/// Fixtures of these tests' own: quoted tasks, an incident runbook, look-alikes.
const OWN_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/fixtures");

fn m31() -> Runbook {
    parse("m31-production-cutover.md", M31.as_bytes()).expect("the M31 checklist imports as it is")
}

/// One of the shared checklists in `tests/fixtures/checklists`, imported.
fn fixture(name: &str) -> Runbook {
    let bytes = std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture");
    parse(name, &bytes).expect("imports")
}

/// One of these tests' own fixtures: its bytes, and its import.
fn own_fixture(name: &str) -> (Vec<u8>, Runbook) {
    let bytes = std::fs::read(format!("{OWN_FIXTURES}/{name}")).expect("fixture");
    let rb = parse(name, &bytes).expect("imports");
    (bytes, rb)
}

fn item_by_text<'r>(rb: &'r Runbook, text: &str) -> &'r Item {
    rb.items.iter().find(|i| i.text == text).unwrap_or_else(|| {
        panic!(
            "an item `{text}` in {:?}",
            rb.items.iter().map(|i| &i.text).collect::<Vec<_>>()
        )
    })
}
