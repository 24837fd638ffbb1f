//! A labelled heatmap of a matrix with a colour bar (viridis).

use std::path::Path;

use faer::MatRef;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{AXIS_SIZE, FONT, Figure, LABEL_SIZE, draw_error, register_font, render, tick_label};
use repscope::Error;

/// What to draw: a matrix and its labels.
#[derive(Clone, Copy)]
pub struct Heatmap<'a> {
    pub values: MatRef<'a, f64>,
    /// One label per row (drawn on the y axis, top to bottom).
    pub row_labels: &'a [String],
    /// One label per column (x axis).
    pub col_labels: &'a [String],
    pub title: &'a str,
    /// What was computed (measure, parameters, n stimuli), under the title.
    pub subtitle: &'a str,
    pub row_axis: &'a str,
    pub col_axis: &'a str,
    /// Label of the colour bar.
    pub value_label: &'a str,
    /// Colour range; `None` uses the matrix's minimum and maximum.
    pub range: Option<(f64, f64)>,
}

/// Writes the heatmap to `path` (`.png` or `.svg`).
pub fn heatmap(path: &Path, h: &Heatmap<'_>) -> Result<(), Error> {
    let (size, figure) = layout(h)?;
    render(path, size, &figure)
}

/// The heatmap as an SVG document.
pub(crate) fn heatmap_svg(h: &Heatmap<'_>) -> Result<String, Error> {
    let (size, figure) = layout(h)?;
    crate::svg_string(size, &figure)
}

fn layout<'a, 'b>(h: &'a Heatmap<'b>) -> Result<((u32, u32), HeatmapFigure<'a, 'b>), Error> {
    let (rows, cols) = (h.values.nrows(), h.values.ncols());
    if rows == 0 || cols == 0 || h.row_labels.len() != rows || h.col_labels.len() != cols {
        return Err(Error::Internal {
            detail: format!(
                "heatmap of a {rows} × {cols} matrix with {} row and {} column labels",
                h.row_labels.len(),
                h.col_labels.len()
            ),
        });
    }
    register_font();
    let longest = h
        .row_labels
        .iter()
        .chain(h.col_labels)
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(1) as u32;
    let label_space = 30 + 8 * longest.min(40);
    let cell = (560 / rows.max(cols) as u32).clamp(14, 60);
    let title_space = if h.subtitle.is_empty() { 70 } else { 90 };
    let size = (
        label_space + cell * cols as u32 + 150,
        label_space + cell * rows as u32 + title_space,
    );
    Ok((
        size,
        HeatmapFigure {
            h,
            label_space,
            cell,
        },
    ))
}

struct HeatmapFigure<'a, 'b> {
    h: &'a Heatmap<'b>,
    label_space: u32,
    cell: u32,
}

impl Figure for HeatmapFigure<'_, '_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), Error> {
        draw(root, self.h, self.label_space, self.cell)
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    h: &Heatmap<'_>,
    label_space: u32,
    cell: u32,
) -> Result<(), Error> {
    let (rows, cols) = (h.values.nrows(), h.values.ncols());
    let (lo, hi) = h.range.unwrap_or_else(|| {
        let all = (0..rows).flat_map(|i| (0..cols).map(move |j| (i, j)));
        all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (i, j)| {
            let v = h.values[(i, j)];
            (lo.min(v), hi.max(v))
        })
    });
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let span = if hi > lo { hi - lo } else { 1.0 };
    let colour = |v: f64| ViridisRGB::get_color_normalized(v.clamp(lo, lo + span), lo, lo + span);

    // Column labels wider than a cell are turned to run downwards.
    let widest = h
        .col_labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    let rotate = widest as u32 * 7 > cell;
    root.fill(&WHITE).map_err(draw_error)?;
    let root = crate::titled(root, h.title, h.subtitle)?;
    let (width, _) = root.dim_in_pixel();
    let (main, bar) = root.split_horizontally(width - 130);

    let mut chart = ChartBuilder::on(&main)
        .margin(10)
        .x_label_area_size(if rotate { label_space } else { 50 })
        .y_label_area_size(label_space)
        // A segmented range a..b has b - a + 1 segments.
        .build_cartesian_2d(
            (0..cols - 1).into_segmented(),
            (0..rows - 1).into_segmented(),
        )
        .map_err(draw_error)?;
    let label = |labels: &[String], v: &SegmentValue<usize>, flip: bool| match v {
        SegmentValue::CenterOf(i) => {
            let i = if flip {
                labels.len().checked_sub(1 + i)
            } else {
                Some(*i)
            };
            i.and_then(|i| labels.get(i)).cloned().unwrap_or_default()
        }
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(cols)
        .y_labels(rows)
        .x_desc(h.col_axis)
        .y_desc(h.row_axis)
        .x_label_formatter(&|v| label(h.col_labels, v, false))
        .y_label_formatter(&|v| label(h.row_labels, v, true))
        .x_label_style(if rotate {
            TextStyle::from((FONT, LABEL_SIZE).into_font())
                .transform(FontTransform::Rotate90)
                .pos(Pos::new(HPos::Left, VPos::Center))
        } else {
            TextStyle::from((FONT, LABEL_SIZE).into_font()).pos(Pos::new(HPos::Center, VPos::Top))
        })
        .y_label_style((FONT, LABEL_SIZE))
        .axis_desc_style((FONT, AXIS_SIZE))
        .draw()
        .map_err(draw_error)?;

    let show_numbers = cell >= 34;
    let cells = (0..rows).flat_map(|i| (0..cols).map(move |j| (i, j)));
    chart
        .draw_series(cells.map(|(i, j)| {
            // Row 0 at the top.
            let y = rows - 1 - i;
            Rectangle::new(
                [
                    (SegmentValue::Exact(j), SegmentValue::Exact(y)),
                    (SegmentValue::Exact(j + 1), SegmentValue::Exact(y + 1)),
                ],
                {
                    let v = h.values[(i, j)];
                    // Missing values in light grey, outside the colour scale.
                    if v.is_finite() {
                        colour(v)
                    } else {
                        RGBColor(225, 225, 225)
                    }
                }
                .filled(),
            )
        }))
        .map_err(draw_error)?;
    if show_numbers {
        let cells = (0..rows).flat_map(|i| (0..cols).map(move |j| (i, j)));
        chart
            .draw_series(cells.map(|(i, j)| {
                let v = h.values[(i, j)];
                let ink: &RGBColor = if (v - lo) / span > 0.6 {
                    &BLACK
                } else {
                    &WHITE
                };
                Text::new(
                    cell_label(v),
                    (
                        SegmentValue::CenterOf(j),
                        SegmentValue::CenterOf(rows - 1 - i),
                    ),
                    TextStyle::from((FONT, 10).into_font())
                        .color(ink)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )
            }))
            .map_err(draw_error)?;
    }

    // Colour bar: a column of thin bands with a value axis.
    let mut bar_chart = ChartBuilder::on(&bar)
        .margin_top(10)
        .margin_bottom(label_space as i32 + 10)
        .margin_right(20)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..1.0, lo..lo + span)
        .map_err(draw_error)?;
    bar_chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(h.value_label)
        .y_labels(6)
        .y_label_formatter(&|v| tick_label(*v))
        .y_label_style((FONT, LABEL_SIZE))
        .axis_desc_style((FONT, AXIS_SIZE))
        .draw()
        .map_err(draw_error)?;
    let bands = 100;
    bar_chart
        .draw_series((0..bands).map(|k| {
            let a = lo + span * k as f64 / bands as f64;
            let b = lo + span * (k + 1) as f64 / bands as f64;
            Rectangle::new([(0.0, a), (1.0, b)], colour((a + b) / 2.0).filled())
        }))
        .map_err(draw_error)?;
    Ok(())
}

/// A cell's value with two decimals ("NaN" for a missing one).
fn cell_label(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "NaN".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    #[test]
    fn writes_png_and_svg_and_rejects_other_extensions() {
        let dir = tempfile::tempdir().unwrap();
        let values = Mat::from_fn(3, 4, |i, j| (i + j) as f64 / 5.0);
        let rows: Vec<String> = (0..3).map(|i| format!("r{i}")).collect();
        let cols: Vec<String> = (0..4).map(|i| format!("c{i}")).collect();
        let h = Heatmap {
            values: values.as_ref(),
            row_labels: &rows,
            col_labels: &cols,
            title: "test",
            subtitle: "",
            row_axis: "rows",
            col_axis: "cols",
            value_label: "value",
            range: Some((0.0, 1.0)),
        };
        let png = dir.path().join("h.png");
        heatmap(&png, &h).unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let svg = dir.path().join("h.svg");
        heatmap(&svg, &h).unwrap();
        assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
        assert!(heatmap(&dir.path().join("h.jpg"), &h).is_err());
        // Only the two figures: no partial files left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
