//! Presenting results: tables of typed cells, shown aligned on stdout
//! (numbers rounded for the screen), written as CSV (full precision) or
//! JSON (numbers as numbers, text as text: a representation named "0"
//! stays a string).

use std::io::Write;
use std::path::Path;

use faer::MatRef;
use repscope::data::atomic::write_atomically;

/// One cell of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Count(usize),
    Number(f64),
    /// Not computed (empty in CSV, null in JSON).
    Empty,
}

impl Cell {
    /// `Some(v)` as a number, `None` as empty.
    pub fn number(v: Option<f64>) -> Cell {
        v.map_or(Cell::Empty, Cell::Number)
    }

    /// `Some(i)` as a count, `None` as empty.
    pub fn count(v: Option<usize>) -> Cell {
        v.map_or(Cell::Empty, Cell::Count)
    }

    /// Full precision (shortest round-trip form), for files.
    fn exact(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Number(x) => x.to_string(),
            Cell::Empty => String::new(),
        }
    }

    /// Rounded to `decimals` for the screen.
    fn shown(&self, decimals: usize) -> String {
        match self {
            Cell::Number(x) => format!("{x:.decimals$}"),
            other => other.exact(),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Text(s) => s.clone().into(),
            Cell::Count(n) => (*n).into(),
            // serde_json turns NaN and infinities into null.
            Cell::Number(x) => (*x).into(),
            Cell::Empty => serde_json::Value::Null,
        }
    }

    fn is_numeric(&self) -> bool {
        matches!(self, Cell::Count(_) | Cell::Number(_))
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<usize> for Cell {
    fn from(n: usize) -> Cell {
        Cell::Count(n)
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Cell {
        Cell::Number(x)
    }
}

/// A header and rows of typed cells.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Table {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// The table aligned for the screen (numbers right-aligned and rounded
    /// to `decimals`).
    pub fn text(&self, decimals: usize) -> String {
        let shown: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.shown(decimals)).collect())
            .collect();
        let widths: Vec<usize> = (0..self.header.len())
            .map(|c| {
                shown
                    .iter()
                    .map(|r| r[c].chars().count())
                    .chain(std::iter::once(self.header[c].chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let numeric: Vec<bool> = (0..self.header.len())
            .map(|c| {
                self.rows
                    .iter()
                    .all(|r| r[c].is_numeric() || r[c] == Cell::Empty)
            })
            .collect();
        let line = |cells: Vec<&str>| {
            let parts: Vec<String> = cells
                .iter()
                .zip(&widths)
                .zip(&numeric)
                .map(|((c, &w), &right)| {
                    if right {
                        format!("{c:>w$}")
                    } else {
                        format!("{c:<w$}")
                    }
                })
                .collect();
            parts.join("  ").trim_end().to_string()
        };
        let mut out = line(self.header.iter().map(String::as_str).collect());
        out.push('\n');
        for r in &shown {
            out.push_str(&line(r.iter().map(String::as_str).collect()));
            out.push('\n');
        }
        out
    }

    /// Writes the table as CSV (fields quoted when needed, numbers in full).
    pub fn write_csv(&self, path: &Path) -> repscope::Result<()> {
        write_atomically(path, |w| {
            let head: Vec<String> = self.header.iter().map(|h| csv_field(h)).collect();
            writeln!(w, "{}", head.join(","))?;
            for r in &self.rows {
                let cells: Vec<String> = r.iter().map(|c| csv_field(&c.exact())).collect();
                writeln!(w, "{}", cells.join(","))?;
            }
            Ok(())
        })
    }

    /// The rows as a JSON array of objects keyed by the header.
    pub fn json(&self) -> serde_json::Value {
        self.rows
            .iter()
            .map(|r| {
                let object: serde_json::Map<String, serde_json::Value> = self
                    .header
                    .iter()
                    .zip(r)
                    .map(|(h, c)| (h.clone(), c.json()))
                    .collect();
                serde_json::Value::Object(object)
            })
            .collect()
    }
}

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

/// Quotes a CSV field when it needs it (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
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
    let mut table = Table::new(std::iter::once(corner.to_string()).chain(cols.iter().cloned()));
    for (i, r) in rows.iter().enumerate() {
        let mut row = vec![Cell::from(r.as_str())];
        row.extend((0..cols.len()).map(|j| Cell::Number(values[(i, j)])));
        table.push(row);
    }
    table.write_csv(path)
}

/// Every cell of a pairwise result as one row:
/// `a,b,measure,value,ci_low,ci_high,p` (empty where not computed).
pub fn long_table(r: &repscope::PairwiseMatrix) -> Table {
    let cell = |m: &Option<faer::Mat<f64>>, i: usize, j: usize| {
        Cell::number(m.as_ref().map(|m| m[(i, j)]))
    };
    let mut table = Table::new(["a", "b", "measure", "value", "ci_low", "ci_high", "p"]);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("layer1"), "layer1");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn cells_keep_their_types() {
        let mut t = Table::new(["name", "value", "n"]);
        t.push(vec!["0".into(), 0.123456789.into(), 3usize.into()]);
        t.push(vec!["nan".into(), Cell::Empty, Cell::Number(f64::NAN)]);
        let json = t.json();
        assert_eq!(json[0]["name"], "0");
        assert_eq!(json[0]["value"], 0.123456789);
        assert_eq!(json[0]["n"], 3);
        assert!(json[1]["value"].is_null() && json[1]["n"].is_null());
        assert_eq!(json[1]["name"], "nan");
        assert!(t.text(4).contains("0.1235"));
    }
}
