//! Model-comparison bars: one bar per model with error bars, and the noise
//! ceiling as a grey band (lower to upper bound).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{FONT, Figure, draw_error, register_font, render};
use repscope::Error;

/// What to draw.
pub struct Bars<'a> {
    pub names: &'a [String],
    pub values: &'a [f64],
    /// Lower and upper end of each error bar (e.g. a confidence interval).
    pub error_low: &'a [f64],
    pub error_high: &'a [f64],
    /// Lower and upper noise ceiling, drawn as a band.
    pub noise_ceiling: Option<(f64, f64)>,
    pub title: &'a str,
    pub value_label: &'a str,
}

/// Writes the bar chart to `path` (`.png` or `.svg`).
pub fn bars(path: &Path, b: &Bars<'_>) -> Result<(), Error> {
    let n = b.names.len();
    if n == 0 || b.values.len() != n || b.error_low.len() != n || b.error_high.len() != n {
        return Err(Error::Internal {
            detail: format!("bar chart of {n} names with {} values", b.values.len()),
        });
    }
    register_font();
    let width = (160 + 70 * n as u32).max(420);
    render(path, (width, 460), b)
}

impl Figure for Bars<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), Error> {
        let b = self;
        let n = b.names.len();
        let mut lo = b
            .error_low
            .iter()
            .chain(b.values)
            .copied()
            .fold(0.0f64, f64::min);
        let mut hi = b
            .error_high
            .iter()
            .chain(b.values)
            .copied()
            .fold(0.0f64, f64::max);
        if let Some((l, u)) = b.noise_ceiling {
            lo = lo.min(l);
            hi = hi.max(u);
        }
        let pad = 0.05 * (hi - lo).max(1e-9);
        root.fill(&WHITE).map_err(draw_error)?;
        let mut chart = ChartBuilder::on(root)
            .caption(b.title, (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d((0..n - 1).into_segmented(), (lo - pad)..(hi + pad))
            .map_err(draw_error)?;
        let name = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) => b.names.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(WHITE)
            .x_labels(n)
            .x_label_formatter(&name)
            .x_label_style((FONT, 12))
            .y_desc(b.value_label)
            .y_label_style((FONT, 12))
            .axis_desc_style((FONT, 14))
            .draw()
            .map_err(draw_error)?;
        let colour = RGBColor(68, 114, 196);
        chart
            .draw_series((0..n).map(|i| {
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), b.values[i]),
                    ],
                    colour.filled(),
                );
                bar.set_margin(0, 0, 12, 12);
                bar
            }))
            .map_err(draw_error)?;
        chart
            .draw_series((0..n).map(|i| {
                ErrorBar::new_vertical(
                    SegmentValue::CenterOf(i),
                    b.error_low[i],
                    b.values[i],
                    b.error_high[i],
                    BLACK.stroke_width(2),
                    10,
                )
            }))
            .map_err(draw_error)?;
        if let Some((l, u)) = b.noise_ceiling {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(SegmentValue::Exact(0), l), (SegmentValue::Last, u)],
                    RGBColor(200, 200, 200).mix(0.55).filled(),
                )))
                .map_err(draw_error)?
                .label("noise ceiling")
                .legend(|(x, y)| {
                    Rectangle::new(
                        [(x, y - 5), (x + 12, y + 5)],
                        RGBColor(200, 200, 200).filled(),
                    )
                });
        }
        if b.noise_ceiling.is_some() {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .label_font((FONT, 12))
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(draw_error)?;
        }
        Ok(())
    }
}
