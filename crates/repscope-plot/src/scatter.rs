//! A labelled 2-D scatter (e.g. the MDS of an RDM), points coloured by group.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::palette::pick;
use crate::{AXIS_SIZE, FONT, Figure, LABEL_SIZE, draw_error, register_font, render, tick_label};
use repscope::Error;

/// What to draw.
#[derive(Clone, Copy, Default)]
pub struct Scatter<'a> {
    pub x: &'a [f64],
    pub y: &'a [f64],
    /// Text next to each point (may be empty strings).
    pub labels: &'a [String],
    /// Group of each point, for colours (same length as `x`), if any.
    pub groups: Option<&'a [usize]>,
    /// Pairs of points joined by a line (e.g. the edges of a graph over
    /// the stimuli); may be empty.
    pub edges: &'a [(usize, usize)],
    pub title: &'a str,
    /// What was computed, under the title.
    pub subtitle: &'a str,
}

/// Writes the scatter plot to `path` (`.png` or `.svg`).
pub fn scatter(path: &Path, s: &Scatter<'_>) -> Result<(), Error> {
    check(s)?;
    register_font();
    render(path, SIZE, s)
}

/// The scatter plot as an SVG document.
pub(crate) fn scatter_svg(s: &Scatter<'_>) -> Result<String, Error> {
    check(s)?;
    crate::svg_string(SIZE, s)
}

const SIZE: (u32, u32) = (640, 600);

fn check(s: &Scatter<'_>) -> Result<(), Error> {
    let n = s.x.len();
    if s.y.len() != n
        || n == 0
        || s.labels.len() != n
        || s.groups.is_some_and(|g| g.len() != n)
        || s.edges.iter().any(|e| e.0.max(e.1) >= n)
    {
        return Err(Error::Internal {
            detail: format!("scatter of {} x and {} y values", s.x.len(), s.y.len()),
        });
    }
    Ok(())
}

fn range(v: &[f64]) -> std::ops::Range<f64> {
    let (lo, hi) = v
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let pad = 0.08 * (hi - lo).max(1e-9);
    (lo - pad)..(hi + pad)
}

impl Figure for Scatter<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), Error> {
        let s = self;
        root.fill(&WHITE).map_err(draw_error)?;
        let area = crate::titled(root, s.title, s.subtitle)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(range(s.x), range(s.y))
            .map_err(draw_error)?;
        chart
            .configure_mesh()
            .x_desc("dimension 1")
            .y_desc("dimension 2")
            .x_label_formatter(&|v| tick_label(*v))
            .y_label_formatter(&|v| tick_label(*v))
            .label_style((FONT, LABEL_SIZE))
            .axis_desc_style((FONT, AXIS_SIZE))
            .draw()
            .map_err(draw_error)?;
        let edge_colour = RGBColor(170, 170, 170);
        chart
            .draw_series(s.edges.iter().map(|&(i, j)| {
                PathElement::new(vec![(s.x[i], s.y[i]), (s.x[j], s.y[j])], edge_colour)
            }))
            .map_err(draw_error)?;
        let show_labels = s.x.len() <= 60;
        chart
            .draw_series((0..s.x.len()).map(|i| {
                let colour = pick(s.groups.map_or(0, |g| g[i]));
                EmptyElement::at((s.x[i], s.y[i]))
                    + Circle::new((0, 0), 4, colour.filled())
                    + Text::new(
                        if show_labels {
                            s.labels[i].clone()
                        } else {
                            String::new()
                        },
                        (6, -6),
                        (FONT, LABEL_SIZE).into_font(),
                    )
            }))
            .map_err(draw_error)?;
        Ok(())
    }
}
