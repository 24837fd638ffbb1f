//! A figure as owned data: what the CLI writes as PNG or SVG, what the
//! report and a notebook show, and what Python hands over as JSON. One
//! value draws the same figure everywhere, and carries the table behind it
//! (`Chart::table`, the CSV of the figure).

use std::path::Path;

use faer::Mat;
use serde::{Deserialize, Deserializer, Serialize};

use crate::table::{Cell, Table};
use crate::{Bars, Heatmap, Lines, Reference, Scatter, Series, XAxis};
use repscope::Error;

/// One figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Chart {
    /// A labelled matrix (pairwise similarities, an RDM), as a heatmap.
    Matrix(MatrixChart),
    /// One bar per item with an interval (model evaluations).
    Bars(BarChart),
    /// Curves over a shared x (per layer, per dimension).
    Curves(CurveChart),
    /// Labelled points in 2-D (an MDS of an RDM).
    Scatter(ScatterChart),
    /// Maps side by side on one colour scale (brain map slices).
    Maps(MapChart),
}

/// A labelled matrix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatrixChart {
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    pub rows: Vec<String>,
    pub cols: Vec<String>,
    /// Row-major, `rows.len()` rows of `cols.len()` values.
    #[serde(deserialize_with = "nan_matrix")]
    pub values: Vec<Vec<f64>>,
    pub value_label: String,
    #[serde(default)]
    pub row_axis: String,
    #[serde(default)]
    pub col_axis: String,
    /// Colour range; the data's own when absent.
    #[serde(default)]
    pub range: Option<(f64, f64)>,
}

/// Bars with intervals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BarChart {
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    pub names: Vec<String>,
    #[serde(deserialize_with = "nan_vec")]
    pub values: Vec<f64>,
    #[serde(deserialize_with = "nan_vec")]
    pub low: Vec<f64>,
    #[serde(deserialize_with = "nan_vec")]
    pub high: Vec<f64>,
    #[serde(default)]
    pub noise_ceiling: Option<(f64, f64)>,
    /// A mark per bar (significance stars); empty for none.
    #[serde(default)]
    pub marks: Vec<String>,
    pub value_label: String,
    /// What `low`/`high` are ("95% CI"), for the table's header.
    #[serde(default)]
    pub interval: String,
}

/// Curves over a shared x.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurveChart {
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    pub x_label: String,
    pub y_label: String,
    /// The x values; with `x_names`, positions 0, 1, … named by it.
    #[serde(deserialize_with = "nan_vec")]
    pub x: Vec<f64>,
    #[serde(default)]
    pub x_names: Option<Vec<String>>,
    #[serde(default)]
    pub log_x: bool,
    pub series: Vec<Curve>,
    #[serde(default)]
    pub reference: Option<ReferenceLine>,
}

/// One curve, with an optional band (`low`..`high`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    pub name: String,
    #[serde(deserialize_with = "nan_vec")]
    pub y: Vec<f64>,
    #[serde(default, deserialize_with = "nan_opt_vec")]
    pub low: Option<Vec<f64>>,
    #[serde(default, deserialize_with = "nan_opt_vec")]
    pub high: Option<Vec<f64>>,
}

/// A labelled horizontal line (chance level).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReferenceLine {
    pub y: f64,
    pub label: String,
}

/// Labelled points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScatterChart {
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    #[serde(deserialize_with = "nan_vec")]
    pub x: Vec<f64>,
    #[serde(deserialize_with = "nan_vec")]
    pub y: Vec<f64>,
    pub labels: Vec<String>,
    #[serde(default)]
    pub groups: Option<Vec<usize>>,
}

/// Maps side by side on one colour scale: the slices of a brain map
/// through its peak, or views of a cortical mesh.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapChart {
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    pub value_label: String,
    #[serde(default)]
    pub range: Option<(f64, f64)>,
    pub panels: Vec<MapPanel>,
}

/// One map: a grid, first row at the top; missing values (NaN) are
/// outside the mask.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MapPanel {
    pub title: String,
    /// What the columns run along (left to right).
    pub x_label: String,
    /// What the rows run along (bottom to top).
    pub y_label: String,
    #[serde(deserialize_with = "nan_matrix")]
    pub values: Vec<Vec<f64>>,
    /// A cell marked by crosshairs (row, column).
    #[serde(default)]
    pub mark: Option<(usize, usize)>,
}

impl Chart {
    /// A pairwise matrix, coloured over the measure's range (from the
    /// registry) when it is bounded; `rows` and `cols` name the axes.
    pub fn pairwise(result: &repscope::PairwiseMatrix, rows: &str, cols: &str) -> Chart {
        let range = repscope::measures()
            .into_iter()
            .find(|m| m.name == result.measure)
            .and_then(|m| m.range);
        let v = &result.values;
        Chart::Matrix(MatrixChart {
            title: result.measure.clone(),
            subtitle: String::new(),
            rows: result.names_a.clone(),
            cols: result.names_b.clone(),
            values: (0..v.nrows())
                .map(|i| (0..v.ncols()).map(|j| v[(i, j)]).collect())
                .collect(),
            value_label: result.measure.clone(),
            row_axis: rows.into(),
            col_axis: cols.into(),
            range,
        })
    }

    /// The same chart with `subtitle` under its title.
    pub fn with_subtitle(mut self, subtitle: impl Into<String>) -> Chart {
        let s = subtitle.into();
        match &mut self {
            Chart::Matrix(c) => c.subtitle = s,
            Chart::Bars(c) => c.subtitle = s,
            Chart::Curves(c) => c.subtitle = s,
            Chart::Scatter(c) => c.subtitle = s,
            Chart::Maps(c) => c.subtitle = s,
        }
        self
    }

    /// Writes the figure to `path` (`.png` or `.svg`).
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        self.check()?;
        match self {
            Chart::Matrix(c) => {
                let m = c.matrix();
                crate::heatmap(path, &c.heatmap(&m))
            }
            Chart::Bars(c) => crate::bars(path, &c.bars()),
            Chart::Curves(c) => {
                let series = c.series();
                crate::lines(path, &c.lines(&series))
            }
            Chart::Scatter(c) => crate::scatter(path, &c.scatter()),
            Chart::Maps(c) => crate::panels(path, &c.panels(&c.panel_views())),
        }
    }

    /// The figure as an SVG document (the same drawing as `write`).
    pub fn svg(&self) -> Result<String, Error> {
        self.check()?;
        match self {
            Chart::Matrix(c) => {
                let m = c.matrix();
                crate::heatmap::heatmap_svg(&c.heatmap(&m))
            }
            Chart::Bars(c) => crate::bars::bars_svg(&c.bars()),
            Chart::Curves(c) => {
                let series = c.series();
                crate::lines::lines_svg(&c.lines(&series))
            }
            Chart::Scatter(c) => crate::scatter::scatter_svg(&c.scatter()),
            Chart::Maps(c) => crate::panels::panels_svg(&c.panels(&c.panel_views())),
        }
    }

    /// The table behind the figure: every number it shows.
    pub fn table(&self) -> Table {
        match self {
            Chart::Matrix(c) => {
                Table::from_matrix(&c.value_label, c.matrix().as_ref(), &c.rows, &c.cols)
            }
            Chart::Bars(c) => {
                let interval = if c.interval.is_empty() {
                    "interval"
                } else {
                    &c.interval
                };
                let mut header = vec![
                    "name".to_string(),
                    c.value_label.clone(),
                    format!("{interval} low"),
                    format!("{interval} high"),
                ];
                if !c.marks.is_empty() {
                    header.push("mark".into());
                }
                let mut t = Table::new(header);
                for i in 0..c.names.len() {
                    let mut row = vec![
                        Cell::from(c.names[i].as_str()),
                        c.values[i].into(),
                        c.low[i].into(),
                        c.high[i].into(),
                    ];
                    if let Some(m) = c.marks.get(i) {
                        row.push(m.as_str().into());
                    }
                    t.push(row);
                }
                t
            }
            Chart::Curves(c) => {
                let mut header = vec![c.x_label.clone()];
                for s in &c.series {
                    header.push(s.name.clone());
                    if s.low.is_some() {
                        header.push(format!("{} low", s.name));
                        header.push(format!("{} high", s.name));
                    }
                }
                let mut t = Table::new(header);
                for (k, &x) in c.x.iter().enumerate() {
                    let first = match &c.x_names {
                        Some(names) => Cell::from(names.get(k).cloned().unwrap_or_default()),
                        None => x.into(),
                    };
                    let mut row = vec![first];
                    for s in &c.series {
                        row.push(Cell::Number(s.y[k]));
                        if let (Some(lo), Some(hi)) = (&s.low, &s.high) {
                            row.push(Cell::Number(lo[k]));
                            row.push(Cell::Number(hi[k]));
                        }
                    }
                    t.push(row);
                }
                t
            }
            Chart::Maps(c) => {
                let mut t = Table::new(["map", "row", "column", c.value_label.as_str()]);
                for p in &c.panels {
                    for (i, row) in p.values.iter().enumerate() {
                        for (j, &v) in row.iter().enumerate() {
                            if v.is_finite() {
                                t.push(vec![
                                    p.title.as_str().into(),
                                    Cell::count(Some(i)),
                                    Cell::count(Some(j)),
                                    v.into(),
                                ]);
                            }
                        }
                    }
                }
                t
            }
            Chart::Scatter(c) => {
                let mut t = Table::new(["label", "x", "y", "group"]);
                for i in 0..c.x.len() {
                    t.push(vec![
                        c.labels[i].as_str().into(),
                        c.x[i].into(),
                        c.y[i].into(),
                        Cell::count(c.groups.as_ref().map(|g| g[i])),
                    ]);
                }
                t
            }
        }
    }

    /// Lengths that must agree, checked before drawing (a chart may come
    /// from JSON written by hand).
    pub fn check(&self) -> Result<(), Error> {
        let bad = |detail: String| {
            Err(Error::Invalid {
                what: "chart".into(),
                detail,
            })
        };
        match self {
            Chart::Matrix(c) => {
                if c.rows.is_empty() || c.cols.is_empty() {
                    return bad(format!("matrix chart '{}' is empty", c.title));
                }
                if c.values.len() != c.rows.len()
                    || c.values.iter().any(|r| r.len() != c.cols.len())
                {
                    return bad(format!(
                        "matrix chart '{}' has {} row and {} column names but values of another shape",
                        c.title,
                        c.rows.len(),
                        c.cols.len()
                    ));
                }
            }
            Chart::Bars(c) => {
                let n = c.names.len();
                if n == 0
                    || [c.values.len(), c.low.len(), c.high.len()] != [n; 3]
                    || !(c.marks.is_empty() || c.marks.len() == n)
                {
                    return bad(format!(
                        "bar chart '{}' needs one value, low, high (and mark) per name ({n} names)",
                        c.title
                    ));
                }
            }
            Chart::Curves(c) => {
                let n = c.x.len();
                let names_ok = c.x_names.as_ref().is_none_or(|names| names.len() == n);
                let series_ok = !c.series.is_empty()
                    && c.series.iter().all(|s| {
                        s.y.len() == n
                            && s.low.as_ref().is_none_or(|v| v.len() == n)
                            && s.high.as_ref().is_none_or(|v| v.len() == n)
                            && s.low.is_some() == s.high.is_some()
                    });
                if n == 0 || !names_ok || !series_ok {
                    return bad(format!(
                        "curve chart '{}' needs at least one series with one y (and low/high) per x ({n} x values)",
                        c.title
                    ));
                }
                if c.log_x && c.x_names.is_none() && c.x.iter().any(|&v| v <= 0.0 || !v.is_finite())
                {
                    return bad(format!(
                        "curve chart '{}' has a log x axis with x <= 0",
                        c.title
                    ));
                }
            }
            Chart::Maps(c) => {
                let ok = |p: &MapPanel| {
                    let cols = p.values.first().map_or(0, Vec::len);
                    cols > 0
                        && p.values.iter().all(|r| r.len() == cols)
                        && p.mark.is_none_or(|(r, c)| r < p.values.len() && c < cols)
                };
                if c.panels.is_empty() || !c.panels.iter().all(ok) {
                    return bad(format!(
                        "map chart '{}' needs panels of non-empty rectangular grids (marks inside them)",
                        c.title
                    ));
                }
            }
            Chart::Scatter(c) => {
                let n = c.x.len();
                if n == 0
                    || c.y.len() != n
                    || c.labels.len() != n
                    || c.groups.as_ref().is_some_and(|g| g.len() != n)
                {
                    return bad(format!(
                        "scatter chart '{}' needs one y, label (and group) per x",
                        c.title
                    ));
                }
            }
        }
        Ok(())
    }
}

impl MatrixChart {
    pub fn matrix(&self) -> Mat<f64> {
        Mat::from_fn(self.rows.len(), self.cols.len(), |i, j| self.values[i][j])
    }

    fn heatmap<'a>(&'a self, m: &'a Mat<f64>) -> Heatmap<'a> {
        Heatmap {
            values: m.as_ref(),
            row_labels: &self.rows,
            col_labels: &self.cols,
            title: &self.title,
            subtitle: &self.subtitle,
            row_axis: &self.row_axis,
            col_axis: &self.col_axis,
            value_label: &self.value_label,
            range: self.range,
        }
    }
}

impl MapChart {
    fn panel_views(&self) -> Vec<crate::Panel<'_>> {
        self.panels
            .iter()
            .map(|p| crate::Panel {
                title: &p.title,
                values: &p.values,
                x_label: &p.x_label,
                y_label: &p.y_label,
                mark: p.mark,
            })
            .collect()
    }

    fn panels<'a>(&'a self, views: &'a [crate::Panel<'a>]) -> crate::Panels<'a> {
        crate::Panels {
            panels: views,
            title: &self.title,
            subtitle: &self.subtitle,
            value_label: &self.value_label,
            range: self.range,
        }
    }

    /// The maps as a PNG file's bytes (how the report shows them: a few
    /// kB where an SVG would draw every voxel as a rectangle).
    pub fn png(&self) -> Result<Vec<u8>, Error> {
        Chart::Maps(self.clone()).check()?;
        crate::panels::panels_png(&self.panels(&self.panel_views()))
    }
}

impl BarChart {
    fn bars(&self) -> Bars<'_> {
        Bars {
            names: &self.names,
            values: &self.values,
            error_low: &self.low,
            error_high: &self.high,
            noise_ceiling: self.noise_ceiling,
            title: &self.title,
            subtitle: &self.subtitle,
            value_label: &self.value_label,
            marks: &self.marks,
        }
    }
}

impl CurveChart {
    fn series(&self) -> Vec<Series<'_>> {
        self.series
            .iter()
            .map(|s| Series {
                name: &s.name,
                x: &self.x,
                y: &s.y,
                band: s.low.as_deref().zip(s.high.as_deref()),
            })
            .collect()
    }

    fn lines<'a>(&'a self, series: &'a [Series<'a>]) -> Lines<'a> {
        Lines {
            series,
            title: &self.title,
            subtitle: &self.subtitle,
            x_label: &self.x_label,
            y_label: &self.y_label,
            x_axis: match (&self.x_names, self.log_x) {
                (Some(names), _) => XAxis::Names(names),
                (None, true) => XAxis::Log,
                (None, false) => XAxis::Linear,
            },
            reference: self.reference.as_ref().map(|r| Reference {
                y: r.y,
                label: &r.label,
            }),
        }
    }
}

impl ScatterChart {
    fn scatter(&self) -> Scatter<'_> {
        Scatter {
            x: &self.x,
            y: &self.y,
            labels: &self.labels,
            groups: self.groups.as_deref(),
            edges: &[],
            title: &self.title,
            subtitle: &self.subtitle,
        }
    }
}

// JSON has no NaN: serde_json writes non-finite numbers as null, and these
// read null back as NaN.

fn nan_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    let v: Vec<Option<f64>> = Deserialize::deserialize(d)?;
    Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
}

fn nan_opt_vec<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<f64>>, D::Error> {
    let v: Option<Vec<Option<f64>>> = Deserialize::deserialize(d)?;
    Ok(v.map(|v| v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect()))
}

fn nan_matrix<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<f64>>, D::Error> {
    let v: Vec<Vec<Option<f64>>> = Deserialize::deserialize(d)?;
    Ok(v.into_iter()
        .map(|r| r.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
        .collect())
}
