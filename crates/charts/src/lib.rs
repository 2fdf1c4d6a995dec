//! Flightdeck's signal charts: one drawing for the window's Signals view and for the archive.
//!
//! A `Panel` (a golden-signal class with up to three series, or an SLO's burn rate with its
//! thresholds) is filled with samples already cut to its pixel columns (`decimate`: min/max
//! per column), then drawn by plotters as SVG (`draw`). The window shows that SVG as it is
//! refreshed; the archive embeds the same SVG as vector graphics, so the archive shows what
//! the room saw. Kept apart from `flightdeck-archive` so the window's live path needs plotters
//! only (no PDF, signing or fonts), and tests and benches of the drawing build in seconds.
//! `signals` turns the engine's series and burn rates into panels, the same way for both.
//! Where the samples come from (Prometheus, SQL) is the engine's; where a chart sits on a page
//! is the archive's.

pub mod decimate;
pub mod draw;
pub mod panel;
pub mod signals;
pub mod theme;

pub use decimate::{min_max, Columns, Point};
pub use draw::{plot_columns, svg, ChartError, Frame};
pub use panel::{format_value, Line, Mark, MarkKind, Panel, Scale, Threshold, ThresholdKind, VerdictMark};
pub use theme::Theme;
