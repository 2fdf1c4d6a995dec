//! The one pass over comrak's tree: `walk` follows its start and end edges without recursion
//! (a file may nest 10,000 levels deep), counts the block quotes it is inside, closes task items
//! at their end edge, and `start` hands each node to the part that reads it (a heading to
//! `sections`, a list item or a fenced block to `items`, a paragraph to `paragraph`), keeping
//! what none of them reads as prose.
//!
//! Also the small node helpers they share: a node's plain inline text, its address, and whether it
//! is a fence or a quote.

use comrak::arena_tree::NodeEdge;
use comrak::nodes::{AstNode, NodeValue};

use super::builder::Builder;
use crate::runbook::model::Block;
use crate::runbook::tasklike;

impl<'s> Builder<'s> {
    pub(super) fn walk<'a>(&mut self, root: &'a AstNode<'a>) {
        for edge in root.traverse() {
            match edge {
                NodeEdge::Start(node) => {
                    if is_quote(node) {
                        self.quotes += 1;
                    }
                    self.start(node);
                }
                NodeEdge::End(node) => {
                    if self.open.last().is_some_and(|o| o.node == addr(node)) {
                        self.close_item();
                    }
                    if is_quote(node) {
                        self.quotes = self.quotes.saturating_sub(1);
                    }
                }
            }
        }
    }

    fn start<'a>(&mut self, node: &'a AstNode<'a>) {
        let top = node
            .parent()
            .is_some_and(|p| matches!(p.data().value, NodeValue::Document));
        let value = node.data().value.clone();
        match value {
            NodeValue::Heading(h)
                if top && h.level <= 3 && node.data().sourcepos.start.line > self.front_matter_end =>
            {
                self.heading(node, h.level)
            }
            NodeValue::TaskItem(_) | NodeValue::Item(_) => match self.task(node) {
                Some(checked) => self.open_item(node, checked),
                // comrak reads a task here but GFM's reference does not (`- - [ ] x`, `- [ ]`).
                None if matches!(value, NodeValue::TaskItem(_)) => {
                    let start = node.data().sourcepos.start;
                    let line = self.lines.get(start.line.wrapping_sub(1)).copied().unwrap_or("");
                    let from = line.get(start.column.saturating_sub(1)..).unwrap_or(line);
                    self.warn(start.line, &tasklike::not_a_task(from));
                }
                None => {}
            },
            NodeValue::Heading(_) if self.is_task_text(node) => {
                // A setext heading that opens a task (`- [ ] Text` over `  ---`) is its text.
            }
            NodeValue::Paragraph => self.paragraph(node, top),
            NodeValue::CodeBlock(c) if c.fenced => self.step(node, &c),
            NodeValue::HtmlBlock(_) if node.next_sibling().is_some_and(is_fenced) => {
                // The comment above a fence is that step's annotation (see `step`).
            }
            NodeValue::Heading(_)
            | NodeValue::CodeBlock(_)
            | NodeValue::HtmlBlock(_)
            | NodeValue::FrontMatter(_)
            | NodeValue::Table(_) => {
                let line = node.data().sourcepos.start.line;
                let end = node.data().sourcepos.end.line;
                let text = self.source(line, end);
                self.push(Block::Prose {
                    line: line as u32,
                    text,
                });
            }
            _ => {}
        }
    }
}

/// The plain text of a node's inlines on lines before `before_line`: emphasis markers dropped,
/// breaks as spaces.
pub(super) fn inline_text<'a>(node: &'a AstNode<'a>, before_line: usize) -> String {
    let mut out = String::new();
    for d in node.descendants() {
        if d.data().sourcepos.start.line >= before_line {
            break;
        }
        match &d.data().value {
            NodeValue::Text(t) => out.push_str(t),
            NodeValue::Code(c) => out.push_str(&c.literal),
            NodeValue::SoftBreak | NodeValue::LineBreak => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn addr(node: &AstNode<'_>) -> usize {
    std::ptr::from_ref(node) as usize
}

fn is_fenced(node: &AstNode<'_>) -> bool {
    matches!(&node.data().value, NodeValue::CodeBlock(c) if c.fenced)
}

/// A block quote, or a GitHub alert (`> [!NOTE]`) when comrak is asked to read those.
fn is_quote(node: &AstNode<'_>) -> bool {
    matches!(
        node.data().value,
        NodeValue::BlockQuote | NodeValue::MultilineBlockQuote(_) | NodeValue::Alert(_)
    )
}
