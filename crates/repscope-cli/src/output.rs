//! Presenting results: tables of typed cells, shown aligned on stdout
//! (numbers rounded for the screen), written as CSV (full precision) or
//! JSON (numbers as numbers, text as text: a representation named "0"
//! stays a string).

use std::path::Path;

use faer::MatRef;

pub use repscope_plot::table::{Cell, Table, csv_field};

/// A matrix as an aligned text table with row and column names.
pub fn matrix_table(values: MatRef<'_, f64>, rows: &[String], cols: &[String]) -> String {
    let first = rows.iter().map(String::len).max().unwrap_or(0).max(4);
    let width = cols.iter().map(String::len).max().unwrap_or(0).max(7);
    let mut out = format!("{:first$}", "");
    for c in cols {
        out.push_str(&format!("  {c:>width$}"));
    }
    out.push('\n');
    for (i, r) in rows.iter().enumerate() {
        out.push_str(&format!("{r:first$}"));
        for j in 0..cols.len() {
            out.push_str(&format!("  {:>width$.4}", values[(i, j)]));
        }
        out.push('\n');
    }
    out
}

/// Writes a matrix as CSV: a header of column names, then one row per
/// row name. Values keep full precision (shortest round-trip form).
pub fn write_matrix_csv(
    path: &Path,
    corner: &str,
    values: MatRef<'_, f64>,
    rows: &[String],
    cols: &[String],
) -> repscope::Result<()> {
    Table::from_matrix(corner, values, rows, cols).write_csv(path)
}

/// Every cell of a pairwise result as one row:
/// `a,b,measure,value,ci_low,ci_high,p` (empty where not computed).
pub fn long_table(r: &repscope::PairwiseMatrix) -> Table {
    let cell = |m: &Option<faer::Mat<f64>>, i: usize, j: usize| {
        Cell::number(m.as_ref().map(|m| m[(i, j)]))
    };
    let mut table = Table::new([
        "a",
        "b",
        "measure",
        "value",
        "ci_low",
        "ci_high",
        "p",
        "calibrated",
        "threshold",
    ]);
    for (i, a) in r.names_a.iter().enumerate() {
        for (j, b) in r.names_b.iter().enumerate() {
            table.push(vec![
                a.as_str().into(),
                b.as_str().into(),
                r.measure.as_str().into(),
                r.values[(i, j)].into(),
                cell(&r.ci_low, i, j),
                cell(&r.ci_high, i, j),
                cell(&r.p_values, i, j),
                cell(&r.calibrated, i, j),
                cell(&r.thresholds, i, j),
            ]);
        }
    }
    table
}

/// A matrix as JSON: `{"rows": [...], "cols": [...], "values": [[...]]}`.
pub fn matrix_json(values: MatRef<'_, f64>, rows: &[String], cols: &[String]) -> serde_json::Value {
    let matrix: Vec<Vec<f64>> = (0..rows.len())
        .map(|i| (0..cols.len()).map(|j| values[(i, j)]).collect())
        .collect();
    serde_json::json!({ "rows": rows, "cols": cols, "values": matrix })
}

/// An output folder that appears complete or not at all: made on
/// [`OutputFolder::create`], and removed again when dropped before
/// [`OutputFolder::keep`] (a failure, an interrupt) if this run made it. A
/// folder that existed before is left, with whatever it held.
pub struct OutputFolder {
    path: std::path::PathBuf,
    made: bool,
}

impl OutputFolder {
    pub fn create(path: &Path) -> repscope::Result<Self> {
        let made = !path.exists();
        std::fs::create_dir_all(path).map_err(|e| repscope::Error::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            made,
        })
    }

    /// The run succeeded: the folder stays.
    pub fn keep(mut self) {
        self.made = false;
    }
}

impl Drop for OutputFolder {
    fn drop(&mut self) {
        if self.made {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
