//! A small page layout over krilla: fonts with measured widths, wrapped paragraphs, monospace
//! blocks that break cleanly across pages, and a footer with "page i of n".
//!
//! Owns positions only. Pages are laid out first as lists of drawing operations so that the
//! page count is known before anything is drawn; `draw` then writes them with krilla. What
//! goes on the pages belongs to `render`.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use krilla_svg::{SurfaceExt, SvgSettings};

static SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static SANS_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");
static MONO: &[u8] = include_bytes!("../fonts/DejaVuSansMono.ttf");

/// The fonts' bytes, for the chart's SVG text.
pub fn font_data() -> [&'static [u8]; 3] {
    [SANS, SANS_BOLD, MONO]
}

/// A4 in points.
pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
pub const MARGIN: f32 = 56.0;
const FOOTER_Y: f32 = PAGE_H - 30.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Sans,
    Bold,
    Mono,
}

pub type Color = (u8, u8, u8);
pub const INK: Color = (26, 26, 26);
pub const MUTED: Color = (96, 96, 96);
pub const RULE: Color = (190, 190, 190);
pub const SHADE: Color = (244, 244, 242);
pub const GREEN: Color = (22, 120, 60);
pub const RED: Color = (170, 30, 30);
pub const AMBER: Color = (150, 95, 0);

/// Advance widths in em, per face.
pub struct Metrics {
    faces: [ttf_parser::Face<'static>; 3],
    ascii: [[f32; 128]; 3],
}

impl Metrics {
    pub fn new() -> Option<Metrics> {
        let faces = [
            ttf_parser::Face::parse(SANS, 0).ok()?,
            ttf_parser::Face::parse(SANS_BOLD, 0).ok()?,
            ttf_parser::Face::parse(MONO, 0).ok()?,
        ];
        let mut ascii = [[0.0; 128]; 3];
        for (i, face) in faces.iter().enumerate() {
            for c in 0u8..128 {
                ascii[i][c as usize] = advance(face, c as char);
            }
        }
        Some(Metrics { faces, ascii })
    }

    /// `text` with every character the face has no glyph for replaced (PDF/A refuses a
    /// `.notdef` glyph): emoji marks by their plain forms, variation selectors dropped, the
    /// rest as `?`.
    pub fn drawable(&self, face: Face, text: &str) -> String {
        let f = &self.faces[face as usize];
        text.chars()
            .filter(|c| !matches!(*c as u32, 0xFE00..=0xFE0F | 0x200B..=0x200D))
            .map(|c| {
                if f.glyph_index(c).is_some() {
                    return c;
                }
                let plain = match c {
                    '✅' | '☑' => '✔',
                    '❌' | '❎' => '✘',
                    '⏱' | '⏰' | '⌛' => '◷',
                    '🚀' | '🔥' | '🚨' => '!',
                    _ => '?',
                };
                if f.glyph_index(plain).is_some() {
                    plain
                } else {
                    '?'
                }
            })
            .collect()
    }

    pub fn width(&self, face: Face, size: f32, text: &str) -> f32 {
        let i = face as usize;
        let em: f32 = text
            .chars()
            .map(|c| {
                if (c as u32) < 128 {
                    self.ascii[i][c as usize]
                } else {
                    advance(&self.faces[i], c)
                }
            })
            .sum();
        em * size
    }
}

fn advance(face: &ttf_parser::Face<'_>, c: char) -> f32 {
    let upem = face.units_per_em() as f32;
    face.glyph_index(c)
        .or_else(|| face.glyph_index('?'))
        .and_then(|g| face.glyph_hor_advance(g))
        .map(|a| a as f32 / upem)
        .unwrap_or(0.6)
}

/// One drawing operation, in page coordinates (points, y down, text at its baseline).
#[derive(Debug, Clone)]
pub enum Op {
    Text {
        x: f32,
        y: f32,
        face: Face,
        size: f32,
        color: Color,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Color,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        color: Color,
    },
    Svg {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        index: usize,
    },
}

/// Pages being laid out, with a cursor.
pub struct Pages {
    pub metrics: Metrics,
    pub pages: Vec<Vec<Op>>,
    /// Baseline cursor: the top of the next line.
    pub y: f32,
    /// Shown at the top of a page a block continues on.
    continued: Option<String>,
}

pub const LEFT: f32 = MARGIN;
pub const RIGHT: f32 = PAGE_W - MARGIN;
const TOP: f32 = MARGIN;
const BOTTOM: f32 = PAGE_H - MARGIN - 10.0;

impl Pages {
    pub fn new(metrics: Metrics) -> Pages {
        Pages {
            metrics,
            pages: vec![Vec::new()],
            y: TOP,
            continued: None,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
        if let Some(label) = self.continued.clone() {
            self.text_line(LEFT, Face::Sans, 7.5, MUTED, &format!("{label} (continued)"));
        }
    }

    /// Room for `h` points on this page, or a new page.
    pub fn ensure(&mut self, h: f32) {
        if self.y + h > BOTTOM && self.y > TOP + 1.0 {
            self.new_page();
        }
    }

    pub fn space(&mut self, h: f32) {
        self.y += h;
    }

    pub fn text_at(&mut self, x: f32, y: f32, face: Face, size: f32, color: Color, text: &str) {
        let text = self.metrics.drawable(face, &clean(text));
        if text.trim().is_empty() {
            return;
        }
        self.ops().push(Op::Text {
            x,
            y,
            face,
            size,
            color,
            text,
        });
    }

    /// One unwrapped line at the cursor.
    pub fn text_line(&mut self, x: f32, face: Face, size: f32, color: Color, text: &str) {
        let lh = size * 1.35;
        self.ensure(lh);
        let y = self.y + size;
        self.text_at(x, y, face, size, color, text);
        self.y += lh;
    }

    /// Wrapped text from `x` to the right margin.
    pub fn para(&mut self, x: f32, face: Face, size: f32, color: Color, text: &str) {
        for line in self.wrap(face, size, RIGHT - x, text) {
            self.text_line(x, face, size, color, &line);
        }
    }

    pub fn wrap(&self, face: Face, size: f32, width: f32, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for raw in clean(text).split('\n') {
            let mut line = String::new();
            for word in raw.split(' ') {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.metrics.width(face, size, &candidate) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                }
                // A word wider than the line is cut where it overflows.
                let mut rest = word.to_string();
                while self.metrics.width(face, size, &rest) > width {
                    let mut cut = String::new();
                    for c in rest.chars() {
                        let mut next = cut.clone();
                        next.push(c);
                        if self.metrics.width(face, size, &next) > width && !cut.is_empty() {
                            break;
                        }
                        cut = next;
                    }
                    rest = rest[cut.len()..].to_string();
                    out.push(cut);
                }
                line = rest;
            }
            out.push(line);
        }
        out
    }

    /// A heading kept with at least `keep` points of what follows it.
    pub fn heading(&mut self, size: f32, text: &str, keep: f32) {
        self.ensure(size * 1.6 + keep);
        self.space(size * 0.3);
        for line in self.wrap(Face::Bold, size, RIGHT - LEFT, text) {
            self.text_line(LEFT, Face::Bold, size, INK, &line);
        }
    }

    pub fn rule(&mut self) {
        self.ensure(6.0);
        let y = self.y + 2.0;
        self.ops().push(Op::Line {
            x1: LEFT,
            y1: y,
            x2: RIGHT,
            y2: y,
            color: RULE,
        });
        self.y += 6.0;
    }

    /// `label: value` with the value wrapped beside the label column.
    pub fn field(&mut self, x: f32, label_w: f32, label: &str, value: &str, size: f32, color: Color) {
        let lines = self.wrap(Face::Sans, size, RIGHT - x - label_w, value);
        let lh = size * 1.35;
        self.ensure(lh);
        let y = self.y + size;
        self.text_at(x, y, Face::Bold, size, MUTED, label);
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                self.ensure(lh);
            }
            let y = self.y + size;
            self.text_at(x + label_w, y, Face::Sans, size, color, line);
            self.y += lh;
        }
    }

    /// Monospace lines on a shaded band, wrapped at the right margin; a page break between
    /// lines repeats `label` so a reader knows what continues.
    pub fn mono(&mut self, x: f32, size: f32, label: &str, text: &str) {
        let width = RIGHT - x - 8.0;
        let char_w = self.metrics.width(Face::Mono, size, "0").max(0.1);
        let per_line = ((width / char_w).floor() as usize).max(8);
        let lh = size * 1.3;
        self.continued = Some(label.to_string());
        for raw in clean(text).split('\n') {
            let chars: Vec<char> = raw.chars().collect();
            let chunks: Vec<String> = if chars.is_empty() {
                vec![String::new()]
            } else {
                chars.chunks(per_line).map(|c| c.iter().collect()).collect()
            };
            for (i, chunk) in chunks.iter().enumerate() {
                self.ensure(lh);
                let y = self.y;
                self.ops().push(Op::Rect {
                    x,
                    y,
                    w: RIGHT - x,
                    h: lh,
                    color: SHADE,
                });
                let shown = if i > 0 {
                    format!("↪{chunk}")
                } else {
                    chunk.clone()
                };
                self.text_at(x + 4.0, y + size, Face::Mono, size, INK, &shown);
                self.y += lh;
            }
        }
        self.continued = None;
        self.y += 3.0;
    }

    pub fn svg(&mut self, index: usize, w: f32, h: f32) {
        self.ensure(h);
        let y = self.y;
        self.ops().push(Op::Svg {
            x: LEFT,
            y,
            w,
            h,
            index,
        });
        self.y += h + 4.0;
    }
}

/// Text as a PDF line can show it: tabs as spaces, no other control characters.
fn clean(text: &str) -> String {
    text.replace('\t', "    ")
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

/// The loaded krilla fonts.
pub struct Fonts {
    sans: Font,
    bold: Font,
    mono: Font,
}

impl Fonts {
    pub fn load() -> Option<Fonts> {
        Some(Fonts {
            sans: Font::new(SANS.into(), 0)?,
            bold: Font::new(SANS_BOLD.into(), 0)?,
            mono: Font::new(MONO.into(), 0)?,
        })
    }

    fn get(&self, face: Face) -> Font {
        match face {
            Face::Sans => self.sans.clone(),
            Face::Bold => self.bold.clone(),
            Face::Mono => self.mono.clone(),
        }
    }
}

fn fill(color: Color) -> Fill {
    Fill {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        ..Default::default()
    }
}

/// Draw every page into `doc`, with `footer(i, n)` at the foot of page i (1-based).
pub fn draw(
    doc: &mut Document,
    pages: &[Vec<Op>],
    fonts: &Fonts,
    metrics: &Metrics,
    svgs: &[usvg::Tree],
    footer: &dyn Fn(usize, usize) -> (String, String),
) -> Option<()> {
    let n = pages.len();
    for (i, ops) in pages.iter().enumerate() {
        let mut page = doc.start_page_with(PageSettings::new(Size::from_wh(PAGE_W, PAGE_H)?));
        let mut surface = page.surface();
        for op in ops {
            draw_op(&mut surface, op, fonts, svgs)?;
        }
        let (left, right) = footer(i + 1, n);
        draw_footer(&mut surface, fonts, metrics, &left, &right);
        surface.finish();
        page.finish();
    }
    Some(())
}

/// One operation onto the page's surface; `None` when krilla refuses its geometry or the chart
/// it names is not there.
fn draw_op(surface: &mut Surface<'_>, op: &Op, fonts: &Fonts, svgs: &[usvg::Tree]) -> Option<()> {
    match op {
        Op::Text {
            x,
            y,
            face,
            size,
            color,
            text,
        } => {
            surface.set_fill(Some(fill(*color)));
            surface.draw_text(
                Point::from_xy(*x, *y),
                fonts.get(*face),
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        Op::Rect { x, y, w, h, color } => {
            let mut pb = PathBuilder::new();
            pb.push_rect(Rect::from_xywh(*x, *y, *w, *h)?);
            surface.set_fill(Some(fill(*color)));
            surface.set_stroke(None);
            surface.draw_path(&pb.finish()?);
        }
        Op::Line {
            x1,
            y1,
            x2,
            y2,
            color,
        } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x1, *y1);
            pb.line_to(*x2, *y2);
            surface.set_fill(None);
            surface.set_stroke(Some(Stroke {
                paint: rgb::Color::new(color.0, color.1, color.2).into(),
                width: 0.6,
                ..Default::default()
            }));
            surface.draw_path(&pb.finish()?);
            surface.set_stroke(None);
        }
        Op::Svg { x, y, w, h, index } => {
            let tree = svgs.get(*index)?;
            surface.push_transform(&Transform::from_translate(*x, *y));
            surface.draw_svg(tree, Size::from_wh(*w, *h)?, SvgSettings::default())?;
            surface.pop();
        }
    }
    Some(())
}

/// The footer: `left` at the left margin, `right` ending at the right one.
fn draw_footer(surface: &mut Surface<'_>, fonts: &Fonts, metrics: &Metrics, left: &str, right: &str) {
    let (left, right) = (
        metrics.drawable(Face::Sans, left),
        metrics.drawable(Face::Sans, right),
    );
    surface.set_fill(Some(fill(MUTED)));
    surface.draw_text(
        Point::from_xy(LEFT, FOOTER_Y),
        fonts.get(Face::Sans),
        7.5,
        &left,
        false,
        TextDirection::Auto,
    );
    let w = metrics.width(Face::Sans, 7.5, &right);
    surface.draw_text(
        Point::from_xy(RIGHT - w, FOOTER_Y),
        fonts.get(Face::Sans),
        7.5,
        &right,
        false,
        TextDirection::Auto,
    );
}
