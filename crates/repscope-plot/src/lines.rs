//! Curves: one or more named series of y against x (retrieval quality
//! against dimensions, per-layer scores, regularisation paths), with
//! markers, optional uncertainty bands and a reference level.

use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::palette::pick;
use crate::{AXIS_SIZE, FONT, Figure, LABEL_SIZE, draw_error, register_font, render, tick_label};
use repscope::Error;

/// One named curve; `band` is a lower and an upper value per point (a
/// confidence interval, the spread over folds), drawn as a shaded band.
#[derive(Clone, Copy, Default)]
pub struct Series<'a> {
    pub name: &'a str,
    pub x: &'a [f64],
    pub y: &'a [f64],
    pub band: Option<(&'a [f64], &'a [f64])>,
}

/// How the x axis reads.
#[derive(Clone, Copy, Default)]
pub enum XAxis<'a> {
    /// Plain numbers.
    #[default]
    Linear,
    /// A logarithmic axis with a tick at each x value of the data
    /// (16, 32, 64 …), labelled with the values themselves.
    Log,
    /// Named positions: x = 0, 1, … carry these names (layers).
    Names(&'a [String]),
}

/// A horizontal reference line (chance level), dashed, named in the legend.
#[derive(Clone, Copy)]
pub struct Reference<'a> {
    pub y: f64,
    pub label: &'a str,
}

/// What to draw.
#[derive(Clone, Copy, Default)]
pub struct Lines<'a> {
    pub series: &'a [Series<'a>],
    pub title: &'a str,
    /// What was computed (measure, parameters, n, seed), under the title.
    pub subtitle: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub x_axis: XAxis<'a>,
    pub reference: Option<Reference<'a>>,
}

/// Writes the line chart to `path` (`.png` or `.svg`).
pub fn lines(path: &Path, l: &Lines<'_>) -> Result<(), Error> {
    check(l)?;
    register_font();
    render(path, SIZE, l)
}

/// The line chart as an SVG document.
pub(crate) fn lines_svg(l: &Lines<'_>) -> Result<String, Error> {
    check(l)?;
    crate::svg_string(SIZE, l)
}

const SIZE: (u32, u32) = (720, 480);

fn check(l: &Lines<'_>) -> Result<(), Error> {
    let log = matches!(l.x_axis, XAxis::Log);
    let bad = l.series.is_empty()
        || l.series.iter().any(|s| {
            s.x.len() != s.y.len()
                || s.x.is_empty()
                || (log && s.x.iter().any(|&v| v <= 0.0 || !v.is_finite()))
                || s.band
                    .is_some_and(|(lo, hi)| lo.len() != s.y.len() || hi.len() != s.y.len())
        });
    if bad {
        return Err(Error::Internal {
            detail: format!(
                "line chart of {} series with mismatched, empty or (on a log axis) non-positive x",
                l.series.len()
            ),
        });
    }
    Ok(())
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

/// Every distinct x value of the data, sorted.
fn key_points(series: &[Series<'_>]) -> Vec<f64> {
    let mut xs: Vec<f64> = series.iter().flat_map(|s| s.x.iter().copied()).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    xs
}

impl Figure for Lines<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), Error> {
        root.fill(&WHITE).map_err(draw_error)?;
        let area = crate::titled(root, self.title, self.subtitle)?;
        let mut y_values: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| {
                let band = s.band.into_iter().flat_map(|(lo, hi)| lo.iter().chain(hi));
                s.y.iter().chain(band).copied()
            })
            .collect();
        if let Some(r) = self.reference {
            y_values.push(r.y);
        }
        let (y_lo, y_hi) = range(y_values.into_iter());
        match self.x_axis {
            XAxis::Linear => {
                let (lo, hi) = range(self.series.iter().flat_map(|s| s.x.iter().copied()));
                let x = RangedCoordf64::from(lo..hi);
                draw_on(&area, self, x, y_lo..y_hi, &|v: &f64| tick_label(*v))
            }
            XAxis::Log => {
                let points = key_points(self.series);
                let (lo, hi) = (points[0], points[points.len() - 1]);
                // Pad by a tenth of the span in log space.
                let pad = ((hi / lo).ln() * 0.05).max(0.05).exp();
                let x = Ticks {
                    inner: LogCoord::from((lo / pad..hi * pad).log_scale()),
                    points,
                };
                draw_on(&area, self, x, y_lo..y_hi, &|v: &f64| tick_label(*v))
            }
            XAxis::Names(names) => {
                let n = names.len().max(1);
                let points: Vec<f64> = (0..n).map(|i| i as f64).collect();
                let x = Ticks {
                    inner: RangedCoordf64::from(-0.3..(n - 1) as f64 + 0.3),
                    points,
                };
                let name = |v: &f64| {
                    let i = v.round();
                    if (v - i).abs() < 1e-9 && i >= 0.0 {
                        names.get(i as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                };
                draw_on(&area, self, x, y_lo..y_hi, &name)
            }
        }
    }
}

fn draw_on<DB, X>(
    area: &DrawingArea<DB, Shift>,
    l: &Lines<'_>,
    x: X,
    y: std::ops::Range<f64>,
    x_tick: &dyn Fn(&f64) -> String,
) -> Result<(), Error>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let rotate = matches!(l.x_axis, XAxis::Names(n) if n.iter().map(|s| s.chars().count()).sum::<usize>() > 70);
    let y_range = y.clone();
    let mut chart = ChartBuilder::on(area)
        .margin(12)
        .x_label_area_size(if rotate { 90 } else { 44 })
        .y_label_area_size(64)
        .build_cartesian_2d(x, y)
        .map_err(draw_error)?;
    let x_style = if rotate {
        TextStyle::from((FONT, LABEL_SIZE).into_font()).transform(FontTransform::Rotate90)
    } else {
        TextStyle::from((FONT, LABEL_SIZE).into_font())
    };
    chart
        .configure_mesh()
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .x_desc(l.x_label)
        .y_desc(l.y_label)
        .x_label_formatter(x_tick)
        .y_label_formatter(&|v| tick_label(*v))
        .x_label_style(x_style)
        .y_label_style((FONT, LABEL_SIZE))
        .axis_desc_style((FONT, AXIS_SIZE))
        .draw()
        .map_err(draw_error)?;
    for (i, s) in l.series.iter().enumerate() {
        let colour = pick(i);
        if let Some((lo, hi)) = s.band {
            // The band as one polygon: lower edge forward, upper back.
            let finite = |k: &usize| lo[*k].is_finite() && hi[*k].is_finite();
            let ks: Vec<usize> = (0..s.x.len()).filter(finite).collect();
            let outline: Vec<(f64, f64)> = ks
                .iter()
                .map(|&k| (s.x[k], lo[k]))
                .chain(ks.iter().rev().map(|&k| (s.x[k], hi[k])))
                .collect();
            if outline.len() >= 4 {
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        outline,
                        colour.mix(0.18).filled(),
                    )))
                    .map_err(draw_error)?;
            }
        }
    }
    for (i, s) in l.series.iter().enumerate() {
        let colour = pick(i);
        let points: Vec<(f64, f64)> =
            s.x.iter()
                .zip(s.y)
                .filter(|(_, y)| y.is_finite())
                .map(|(&x, &y)| (x, y))
                .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
            .map_err(draw_error)?;
        // Each series has its own marker shape as well as its colour, so
        // the lines stay apart in grey print.
        macro_rules! marked {
            ($shape:expr) => {{
                let shape = $shape;
                chart
                    .draw_series(points.iter().map(|&p| EmptyElement::at(p) + shape()))
                    .map_err(draw_error)?
                    .label(s.name)
                    .legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + PathElement::new(vec![(-9, 0), (9, 0)], colour.stroke_width(2))
                            + shape()
                    });
            }};
        }
        match i % 4 {
            0 => marked!(move || Circle::new((0, 0), 4, colour.filled())),
            1 => marked!(move || Rectangle::new([(-4, -4), (4, 4)], colour.filled())),
            2 => marked!(move || TriangleMarker::new((0, 0), 5, colour.filled())),
            _ => marked!(move || Cross::new((0, 0), 4, colour.stroke_width(2))),
        }
    }
    if let Some(r) = l.reference {
        let (x0, x1) = (chart.x_range().start, chart.x_range().end);
        let grey = RGBColor(110, 110, 110);
        chart
            .draw_series(DashedLineSeries::new(
                [(x0, r.y), (x1, r.y)],
                6,
                4,
                grey.stroke_width(1),
            ))
            .map_err(draw_error)?
            .label(r.label)
            .legend(move |(x, y)| PathElement::new(vec![(x - 8, y), (x + 8, y)], grey));
    }
    if l.series.len() > 1 || l.reference.is_some() || !l.series[0].name.is_empty() {
        chart
            .configure_series_labels()
            .position(legend_corner(l, y_range.clone()))
            .label_font((FONT, LABEL_SIZE))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .draw()
            .map_err(draw_error)?;
    }
    Ok(())
}

/// The corner of the plot where the legend covers the fewest points:
/// x as each point's rank along its series, y scaled to the axis.
fn legend_corner(l: &Lines<'_>, y: std::ops::Range<f64>) -> SeriesLabelPosition {
    use SeriesLabelPosition::*;
    let span = (y.end - y.start).max(1e-12);
    let mut points: Vec<(f64, f64)> = Vec::new();
    for s in l.series {
        let n = s.y.len().max(2) - 1;
        for (k, &v) in s.y.iter().enumerate() {
            if v.is_finite() {
                points.push((k as f64 / n as f64, (v - y.start) / span));
            }
        }
    }
    if let Some(r) = l.reference {
        let level = (r.y - y.start) / span;
        points.extend((0..=10).map(|k| (f64::from(k) / 10.0, level)));
    }
    let boxes = [
        (LowerRight, (0.55, 1.0), (0.0, 0.35)),
        (UpperRight, (0.55, 1.0), (0.65, 1.0)),
        (MiddleRight, (0.55, 1.0), (0.3, 0.7)),
        (UpperLeft, (0.0, 0.45), (0.65, 1.0)),
        (LowerLeft, (0.0, 0.45), (0.0, 0.35)),
    ];
    let covered = |(x0, x1): (f64, f64), (y0, y1): (f64, f64)| {
        points
            .iter()
            .filter(|(x, y)| (x0..=x1).contains(x) && (y0..=y1).contains(y))
            .count()
    };
    let mut best = (usize::MAX, LowerRight);
    for (corner, xs, ys) in boxes {
        let n = covered(xs, ys);
        if n < best.0 {
            best = (n, corner);
        }
    }
    best.1
}

/// An axis with ticks exactly at given values (the data's dimensions, the
/// layers), thinned evenly when there are more than the axis has room for.
struct Ticks<R> {
    inner: R,
    points: Vec<f64>,
}

impl<R: Ranged<ValueType = f64>> Ranged for Ticks<R> {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        let room = hint.max_num_points().max(2);
        let step = self.points.len().div_ceil(room).max(1);
        self.points.iter().copied().step_by(step).collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text elements of an SVG, in order.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = t.split_once('>')?.1;
                Some(body.split("</text>").next()?.trim().to_string())
            })
            .collect()
    }

    #[test]
    fn a_log_axis_is_ticked_at_the_data_values() {
        let x = [16.0, 32.0, 64.0, 128.0, 384.0];
        let y = [0.3, 0.45, 0.59, 0.72, 0.83];
        let y2 = [0.17, 0.26, 0.35, 0.51, 0.73];
        let series = [
            Series {
                name: "float32",
                x: &x,
                y: &y,
                band: None,
            },
            Series {
                name: "binary",
                x: &x,
                y: &y2,
                band: None,
            },
        ];
        let svg = lines_svg(&Lines {
            series: &series,
            title: "retrieval",
            subtitle: "mAP@10 of cosine search",
            x_label: "dimensions",
            y_label: "mAP@10",
            x_axis: XAxis::Log,
            reference: None,
        })
        .unwrap();
        let t = texts(&svg);
        for tick in [
            "16",
            "32",
            "64",
            "128",
            "384",
            "float32",
            "binary",
            "mAP@10 of cosine search",
        ] {
            assert!(t.iter().any(|s| s == tick), "{tick} missing from {t:?}");
        }
        assert!(!t.iter().any(|s| s.contains("log10")));
    }

    #[test]
    fn named_positions_band_and_reference() {
        let names: Vec<String> = (0..4).map(|i| format!("layer{i}")).collect();
        let x = [0.0, 1.0, 2.0, 3.0];
        let (y, lo, hi) = (
            [0.5, 0.6, 0.7, 0.8],
            [0.4, 0.5, 0.6, 0.7],
            [0.6, 0.7, 0.8, 0.9],
        );
        let series = [Series {
            name: "accuracy",
            x: &x,
            y: &y,
            band: Some((&lo, &hi)),
        }];
        let svg = lines_svg(&Lines {
            series: &series,
            title: "depth",
            x_axis: XAxis::Names(&names),
            reference: Some(Reference {
                y: 0.25,
                label: "chance",
            }),
            ..Lines::default()
        })
        .unwrap();
        let t = texts(&svg);
        for label in names
            .iter()
            .map(String::as_str)
            .chain(["accuracy", "chance"])
        {
            assert!(t.iter().any(|s| s == label), "{label} missing from {t:?}");
        }
        // Each layer named once: ticks only at the named positions.
        for name in &names {
            assert_eq!(t.iter().filter(|s| *s == name).count(), 1, "{name}");
        }
        // The band is a filled polygon.
        assert!(svg.contains("<polygon"));
    }

    #[test]
    fn tick_labels_are_plain_numbers() {
        assert_eq!(tick_label(16.0), "16");
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(0.1 + 0.2), "0.3");
        assert_eq!(tick_label(f64::NAN), "NaN");
    }
}
