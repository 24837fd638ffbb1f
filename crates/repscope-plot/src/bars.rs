//! Model-comparison bars: one bar per model with error bars, and the noise
//! ceiling as a grey band (lower to upper bound).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::palette::pick;
use crate::{AXIS_SIZE, FONT, Figure, LABEL_SIZE, draw_error, register_font, render, tick_label};
use repscope::Error;

/// What to draw.
#[derive(Clone, Copy, Default)]
pub struct Bars<'a> {
    pub names: &'a [String],
    pub values: &'a [f64],
    /// Lower and upper end of each error bar (e.g. a confidence interval).
    pub error_low: &'a [f64],
    pub error_high: &'a [f64],
    /// Lower and upper noise ceiling, drawn as a band.
    pub noise_ceiling: Option<(f64, f64)>,
    pub title: &'a str,
    /// What was computed (method, n, bootstrap, seed), under the title.
    pub subtitle: &'a str,
    pub value_label: &'a str,
    /// A mark above each bar (significance stars, "n.s."); empty for none.
    pub marks: &'a [String],
}

/// Writes the bar chart to `path` (`.png` or `.svg`).
pub fn bars(path: &Path, b: &Bars<'_>) -> Result<(), Error> {
    check(b)?;
    register_font();
    render(path, size(b.names.len()), b)
}

/// The bar chart as an SVG document.
pub(crate) fn bars_svg(b: &Bars<'_>) -> Result<String, Error> {
    check(b)?;
    crate::svg_string(size(b.names.len()), b)
}

fn size(n: usize) -> (u32, u32) {
    ((180 + 76 * n as u32).max(460), 480)
}

fn check(b: &Bars<'_>) -> Result<(), Error> {
    let n = b.names.len();
    if n == 0
        || b.values.len() != n
        || b.error_low.len() != n
        || b.error_high.len() != n
        || !(b.marks.is_empty() || b.marks.len() == n)
    {
        return Err(Error::Internal {
            detail: format!("bar chart of {n} names with {} values", b.values.len()),
        });
    }
    Ok(())
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
        let pad = 0.08 * (hi - lo).max(1e-9);
        root.fill(&WHITE).map_err(draw_error)?;
        let area = crate::titled(root, b.title, b.subtitle)?;
        let mut chart = ChartBuilder::on(&area)
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
            .x_label_style((FONT, LABEL_SIZE))
            .y_desc(b.value_label)
            .y_label_formatter(&|v| tick_label(*v))
            .y_label_style((FONT, LABEL_SIZE))
            .axis_desc_style((FONT, AXIS_SIZE))
            .draw()
            .map_err(draw_error)?;
        let colour = pick(0);
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
        if !b.marks.is_empty() {
            chart
                .draw_series((0..n).map(|i| {
                    let top = b.error_high[i].max(b.values[i]);
                    let top = if top.is_finite() { top } else { 0.0 };
                    Text::new(
                        b.marks[i].clone(),
                        (SegmentValue::CenterOf(i), top + 0.5 * pad),
                        TextStyle::from((FONT, AXIS_SIZE).into_font())
                            .pos(Pos::new(HPos::Center, VPos::Bottom)),
                    )
                }))
                .map_err(draw_error)?;
        }
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
                .label_font((FONT, LABEL_SIZE))
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(draw_error)?;
        }
        Ok(())
    }
}
