//! Notes on the run as a whole (notes on an item are drawn under that item, by `body`).

use crate::layout::{Face, Pages, INK, LEFT};
use crate::record::Record;

pub(super) fn notes(p: &mut Pages, r: &Record) {
    let run_notes: Vec<_> = r.run.state.notes.iter().filter(|n| n.item.is_none()).collect();
    if run_notes.is_empty() {
        return;
    }
    p.heading(14.0, "Notes", 30.0);
    for n in run_notes {
        p.para(
            LEFT,
            Face::Sans,
            9.5,
            INK,
            &format!("{} at {}: {}", n.by, n.at, n.text),
        );
    }
}
