//! Curves: one or more named series of y against x (sorted correlations,
//! regularisation paths, per-layer scores).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{FONT, Figure, draw_error, register_font, render};
use repscope::Error;

/// One named curve.
pub struct Series<'a> {
    pub name: &'a str,
    pub x: &'a [f64],
    pub y: &'a [f64],
}

/// What to draw.
pub struct Lines<'a> {
    pub series: &'a [Series<'a>],
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    /// Log scale on the x axis (x must be positive).
    pub log_x: bool,
}

/// Writes the line chart to `path` (`.png` or `.svg`).
pub fn lines(path: &Path, l: &Lines<'_>) -> Result<(), Error> {
    let bad = l.series.is_empty()
        || l.series.iter().any(|s| {
            s.x.len() != s.y.len() || s.x.is_empty() || (l.log_x && s.x.iter().any(|&v| v <= 0.0))
        });
    if bad {
        return Err(Error::Internal {
            detail: format!(
                "line chart of {} series with mismatched, empty or (on a log axis) non-positive x",
                l.series.len()
            ),
        });
    }
    register_font();
    render(path, (680, 460), l)
}

/// The finite values' range, padded; (0, 1) when there are none.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if lo > hi {
        return (0.0, 1.0);
    }
    let pad = 0.05 * (hi - lo).max(1e-9);
    (lo - pad, hi + pad)
}

impl Figure for Lines<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), Error> {
        root.fill(&WHITE).map_err(draw_error)?;
        // A log axis is drawn as log10 of the values, said in the label.
        let to_x = |v: f64| if self.log_x { v.log10() } else { v };
        let x_label = if self.log_x {
            format!("log10 {}", self.x_label)
        } else {
            self.x_label.to_string()
        };
        let (x_lo, x_hi) = range(
            self.series
                .iter()
                .flat_map(|s| s.x.iter().map(|&v| to_x(v))),
        );
        let (y_lo, y_hi) = range(self.series.iter().flat_map(|s| s.y.iter().copied()));
        let mut chart = ChartBuilder::on(root)
            .caption(self.title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)
            .map_err(draw_error)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(self.y_label)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(draw_error)?;
        for (i, s) in self.series.iter().enumerate() {
            let colour = Palette99::pick(i).to_rgba();
            let points: Vec<(f64, f64)> =
                s.x.iter()
                    .zip(s.y)
                    .filter(|(_, y)| y.is_finite())
                    .map(|(&x, &y)| (to_x(x), y))
                    .collect();
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .map_err(draw_error)?
                .label(s.name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
        if self.series.len() > 1 {
            chart
                .configure_series_labels()
                .label_font((FONT, 12))
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(draw_error)?;
        }
        Ok(())
    }
}
