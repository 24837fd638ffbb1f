//! Maps drawn as images side by side on one colour scale: the three
//! orthogonal slices of a brain map through its peak, or views of a
//! cortical mesh. One grid cell is one voxel (or one pixel of a
//! projection); missing values (outside the mask) are left white.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{FONT, Figure, LABEL_SIZE, draw_error, register_font, render, tick_label};
use repscope::Error;

/// One image: `values` row by row, the first row drawn at the top.
#[derive(Clone, Copy)]
pub struct Panel<'a> {
    pub title: &'a str,
    pub values: &'a [Vec<f64>],
    /// What the columns (left to right) and rows (bottom to top) run along.
    pub x_label: &'a str,
    pub y_label: &'a str,
    /// A cell marked by crosshairs (row, column): the peak.
    pub mark: Option<(usize, usize)>,
}

/// What to draw.
#[derive(Clone, Copy)]
pub struct Panels<'a> {
    pub panels: &'a [Panel<'a>],
    pub title: &'a str,
    pub subtitle: &'a str,
    /// Label of the colour bar.
    pub value_label: &'a str,
    /// Colour range; the finite values' own when `None`.
    pub range: Option<(f64, f64)>,
}

/// Writes the panels to `path` (`.png` or `.svg`).
pub fn panels(path: &Path, p: &Panels<'_>) -> Result<(), Error> {
    let layout = Layout::of(p)?;
    register_font();
    render(path, layout.size, &(p, layout))
}

/// The panels as an SVG document.
pub(crate) fn panels_svg(p: &Panels<'_>) -> Result<String, Error> {
    let layout = Layout::of(p)?;
    crate::svg_string(layout.size, &(p, layout))
}

/// The panels as a PNG file's bytes (the report embeds maps as images:
/// a slice of 64 × 64 voxels is 4096 SVG rectangles, but a few kB of PNG).
pub(crate) fn panels_png(p: &Panels<'_>) -> Result<Vec<u8>, Error> {
    let layout = Layout::of(p)?;
    crate::png_bytes(layout.size, &(p, layout))
}

/// The largest panel side, in pixels.
const PANEL_SIDE: usize = 260;
const GAP: u32 = 40;
const BAR_WIDTH: u32 = 120;

#[derive(Clone, Copy)]
struct Layout {
    size: (u32, u32),
    /// Pixels per cell, the same in every panel so cells match.
    cell: u32,
    top: u32,
}

impl Layout {
    fn of(p: &Panels<'_>) -> Result<Layout, Error> {
        let shapes: Vec<(usize, usize)> = p
            .panels
            .iter()
            .map(|panel| {
                let cols = panel.values.first().map_or(0, Vec::len);
                (panel.values.len(), cols)
            })
            .collect();
        let ragged = p.panels.iter().zip(&shapes).any(|(panel, &(rows, cols))| {
            rows == 0 || cols == 0 || panel.values.iter().any(|r| r.len() != cols)
        });
        if p.panels.is_empty() || ragged {
            return Err(Error::Internal {
                detail: format!(
                    "panels '{}': every panel needs a non-empty rectangular grid",
                    p.title
                ),
            });
        }
        let longest = shapes.iter().map(|&(r, c)| r.max(c)).max().unwrap_or(1);
        let cell = (PANEL_SIDE / longest).clamp(1, 16) as u32;
        let top = if p.subtitle.is_empty() { 40 } else { 60 };
        let width: u32 = shapes
            .iter()
            .map(|&(_, c)| c as u32 * cell + GAP)
            .sum::<u32>()
            + GAP
            + BAR_WIDTH;
        let tallest = shapes.iter().map(|&(r, _)| r as u32).max().unwrap_or(1) * cell;
        let title_width = 11 * p.title.chars().count().max(p.subtitle.chars().count()) as u32;
        Ok(Layout {
            size: (width.max(title_width), top + tallest.max(200) + 50),
            cell,
            top,
        })
    }
}

impl Figure for (&Panels<'_>, Layout) {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), Error> {
        let (p, layout) = *self;
        draw(root, p, layout)
    }
}

fn finite_range(p: &Panels<'_>) -> (f64, f64) {
    if let Some(r) = p.range {
        return r;
    }
    let all = p
        .panels
        .iter()
        .flat_map(|panel| panel.values.iter().flatten());
    let (lo, hi) = all
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        (0.0, 1.0)
    } else if hi > lo {
        (lo, hi)
    } else {
        (lo, lo + 1.0)
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Panels<'_>,
    layout: Layout,
) -> Result<(), Error> {
    let (lo, hi) = finite_range(p);
    let colour = |v: f64| ViridisRGB::get_color_normalized(v.clamp(lo, hi), lo, hi);
    root.fill(&WHITE).map_err(draw_error)?;
    crate::titled(root, p.title, p.subtitle)?;
    let cell = layout.cell as i32;
    let top = layout.top as i32 + 24;
    let label = TextStyle::from((FONT, LABEL_SIZE).into_font());
    let frame = RGBColor(120, 120, 120);
    let cross = RGBColor(213, 94, 0);
    let mut left = GAP as i32;
    for panel in p.panels {
        let (rows, cols) = (panel.values.len() as i32, panel.values[0].len() as i32);
        let (w, h) = (cols * cell, rows * cell);
        root.draw(&Text::new(
            panel.title.to_string(),
            (left + w / 2, top - 8),
            label.pos(Pos::new(HPos::Center, VPos::Bottom)),
        ))
        .map_err(draw_error)?;
        for (i, row) in panel.values.iter().enumerate() {
            for (j, &v) in row.iter().enumerate() {
                if !v.is_finite() {
                    continue;
                }
                let (x, y) = (left + j as i32 * cell, top + i as i32 * cell);
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell, y + cell)],
                    colour(v).filled(),
                ))
                .map_err(draw_error)?;
            }
        }
        root.draw(&Rectangle::new(
            [(left - 1, top - 1), (left + w, top + h)],
            frame.stroke_width(1),
        ))
        .map_err(draw_error)?;
        if let Some((r, c)) = panel.mark {
            let (x, y) = (
                left + c as i32 * cell + cell / 2,
                top + r as i32 * cell + cell / 2,
            );
            root.draw(&PathElement::new(vec![(left, y), (left + w, y)], cross))
                .map_err(draw_error)?;
            root.draw(&PathElement::new(vec![(x, top), (x, top + h)], cross))
                .map_err(draw_error)?;
        }
        root.draw(&Text::new(
            format!("{} →", panel.x_label),
            (left + w / 2, top + h + 6),
            label.pos(Pos::new(HPos::Center, VPos::Top)),
        ))
        .map_err(draw_error)?;
        root.draw(&Text::new(
            format!("{} →", panel.y_label),
            (left - 6, top + h / 2),
            label
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Bottom)),
        ))
        .map_err(draw_error)?;
        left += w + GAP as i32;
    }
    colour_bar(root, (left, top), p.value_label, (lo, hi), colour)
}

/// A vertical colour bar at `at` with ticks at the ends and the middle.
fn colour_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    value_label: &str,
    (lo, hi): (f64, f64),
    colour: impl Fn(f64) -> RGBColor,
) -> Result<(), Error> {
    let (x, top) = at;
    let height = 160;
    let bands = 80;
    for k in 0..bands {
        let v = hi - (hi - lo) * (k as f64 + 0.5) / bands as f64;
        let y = top + k * height / bands;
        root.draw(&Rectangle::new(
            [(x, y), (x + 16, top + (k + 1) * height / bands)],
            colour(v).filled(),
        ))
        .map_err(draw_error)?;
    }
    let label = TextStyle::from((FONT, LABEL_SIZE).into_font());
    for (frac, v) in [(0.0, hi), (0.5, (lo + hi) / 2.0), (1.0, lo)] {
        let y = top + (frac * height as f64) as i32;
        root.draw(&Text::new(
            tick_label(v),
            (x + 22, y),
            label.pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(draw_error)?;
    }
    root.draw(&Text::new(
        value_label.to_string(),
        (x, top + height + 10),
        label.pos(Pos::new(HPos::Left, VPos::Top)),
    ))
    .map_err(draw_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_png_svg_and_png_bytes() {
        let grid: Vec<Vec<f64>> = (0..5)
            .map(|i| {
                (0..7)
                    .map(|j| if i == j { f64::NAN } else { (i * j) as f64 })
                    .collect()
            })
            .collect();
        let views = [
            Panel {
                title: "i = 2",
                values: &grid,
                x_label: "j",
                y_label: "k",
                mark: Some((1, 3)),
            },
            Panel {
                title: "j = 3",
                values: &grid[..3],
                x_label: "i",
                y_label: "k",
                mark: None,
            },
        ];
        let p = Panels {
            panels: &views,
            title: "map",
            subtitle: "through the peak",
            value_label: "tau",
            range: None,
        };
        let dir = tempfile::tempdir().unwrap();
        panels(&dir.path().join("p.png"), &p).unwrap();
        let svg = panels_svg(&p).unwrap();
        for text in ["i = 2", "j = 3", "tau", "24", "0", "through the peak"] {
            assert!(svg.contains(&format!("\n{text}\n")), "{text} missing");
        }
        let png = panels_png(&p).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let ragged = [Panel {
            values: &[vec![1.0], vec![]],
            ..views[0]
        }];
        assert!(
            panels_svg(&Panels {
                panels: &ragged,
                ..p
            })
            .is_err()
        );
    }
}
