//! `flightdeck runbook ...`: import a runbook and show what Flightdeck understood of it.

use clap::Subcommand;
use flightdeck_engine::runbook;

use crate::{render, Ctx};

#[derive(Debug, Subcommand)]
pub enum RunbookCmd {
    /// Import FILE (a path or `bundled:NAME`) and print the model: counts, then the
    /// phase / section / item tree with ids, steps, fields, sign-offs and the decision.
    Inspect {
        /// A Markdown file, or `bundled:m31`.
        file: String,
    },
    /// The runbooks bundled with Flightdeck.
    List,
}

pub fn run(ctx: &Ctx, cmd: RunbookCmd) -> anyhow::Result<()> {
    match cmd {
        RunbookCmd::Inspect { file } => {
            let (name, bytes) = runbook::read_source(&file)?;
            let book = runbook::parse(&name, &bytes)?;
            if ctx.json {
                let mut value = serde_json::to_value(&book)?;
                if let Some(obj) = value.as_object_mut() {
                    obj.insert("counts".into(), serde_json::to_value(book.counts())?);
                }
                render::json(&value)
            } else {
                render::print(&render::runbook(&book))
            }
        }
        RunbookCmd::List => {
            if ctx.json {
                let list: Vec<_> = runbook::BUNDLED
                    .iter()
                    .map(|b| {
                        serde_json::json!({
                            "name": b.name,
                            "spec": format!("bundled:{}", b.name),
                            "file": b.file,
                            "description": b.description,
                        })
                    })
                    .collect();
                render::json(&list)
            } else {
                let text: String = runbook::BUNDLED
                    .iter()
                    .map(|b| format!("bundled:{:<10} {}  ({})\n", b.name, b.description, b.file))
                    .collect();
                render::print(&text)
            }
        }
    }
}
