//! The charts' colours, light (the archive, the window's light theme) and dark, on the
//! window's panel colours (ui/src/app.css) so a chart sits in its panel without a seam.
//!
//! Owns colours only; what is drawn where is `draw`'s.

use plotters::style::RGBColor;

use crate::panel::{MarkKind, ThresholdKind};

/// A chart's colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Theme {
    pub background: RGBColor,
    pub text: RGBColor,
    pub muted: RGBColor,
    pub grid: RGBColor,
    pub axis: RGBColor,
    /// The series, in order.
    pub series: [RGBColor; 3],
    pub ok: RGBColor,
    pub warn: RGBColor,
    pub bad: RGBColor,
    pub accent: RGBColor,
}

impl Theme {
    pub const LIGHT: Theme = Theme {
        background: RGBColor(255, 255, 255),
        text: RGBColor(26, 26, 26),
        muted: RGBColor(96, 96, 96),
        grid: RGBColor(232, 232, 230),
        axis: RGBColor(150, 150, 150),
        series: [
            RGBColor(31, 94, 196),
            RGBColor(214, 110, 0),
            RGBColor(128, 60, 170),
        ],
        ok: RGBColor(22, 120, 60),
        warn: RGBColor(170, 110, 0),
        bad: RGBColor(190, 30, 30),
        accent: RGBColor(20, 20, 20),
    };

    pub const DARK: Theme = Theme {
        background: RGBColor(21, 27, 34),
        text: RGBColor(223, 229, 236),
        muted: RGBColor(149, 161, 175),
        grid: RGBColor(38, 48, 59),
        axis: RGBColor(107, 119, 133),
        series: [
            RGBColor(110, 160, 255),
            RGBColor(255, 160, 70),
            RGBColor(200, 140, 255),
        ],
        ok: RGBColor(80, 200, 120),
        warn: RGBColor(235, 180, 60),
        bad: RGBColor(255, 95, 95),
        accent: RGBColor(240, 240, 240),
    };

    pub fn of(dark: bool) -> &'static Theme {
        if dark {
            &Theme::DARK
        } else {
            &Theme::LIGHT
        }
    }

    pub fn mark(&self, kind: MarkKind) -> RGBColor {
        match kind {
            MarkKind::Cutover => self.accent,
            MarkKind::Now => self.muted,
            MarkKind::Decision => self.ok,
            MarkKind::Export => self.series[2],
        }
    }

    pub fn threshold(&self, s: ThresholdKind) -> RGBColor {
        match s {
            ThresholdKind::Page => self.bad,
            ThresholdKind::Ticket => self.warn,
            ThresholdKind::Reference => self.muted,
        }
    }
}
