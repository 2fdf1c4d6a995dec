//! Runbooks: the model (`model`) and the Markdown importer (`parse`).

mod model;
mod parse;

pub use model::*;
pub use parse::{load, parse, ImportError};
