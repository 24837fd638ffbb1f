//! Tables of typed cells: the data behind every figure. Shown aligned on
//! stdout (numbers rounded for the screen), written as CSV (full
//! precision), as JSON (numbers as numbers, text as text: a representation
//! named "0" stays a string) and as the report's HTML tables.

use std::io::Write;
use std::path::Path;

use faer::MatRef;
use repscope::data::atomic::write_atomically;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
    pub fn exact(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Number(x) => x.to_string(),
            Cell::Empty => String::new(),
        }
    }

    /// Rounded to `decimals` for the screen.
    pub fn shown(&self, decimals: usize) -> String {
        match self {
            Cell::Number(x) => format!("{x:.decimals$}"),
            other => other.exact(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        match self {
            Cell::Text(s) => s.clone().into(),
            Cell::Count(n) => (*n).into(),
            // serde_json turns NaN and infinities into null.
            Cell::Number(x) => (*x).into(),
            Cell::Empty => serde_json::Value::Null,
        }
    }

    pub fn is_numeric(&self) -> bool {
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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

    /// A matrix with a header of column names and each row led by its
    /// name; `corner` heads the names' column.
    pub fn from_matrix(
        corner: &str,
        values: MatRef<'_, f64>,
        rows: &[String],
        cols: &[String],
    ) -> Table {
        let mut table = Table::new(std::iter::once(corner.to_string()).chain(cols.iter().cloned()));
        for (i, r) in rows.iter().enumerate() {
            let mut row = vec![Cell::from(r.as_str())];
            row.extend((0..cols.len()).map(|j| Cell::Number(values[(i, j)])));
            table.push(row);
        }
        table
    }

    /// A table read from CSV text (RFC 4180: quoted fields may hold
    /// commas, quotes and line breaks); a field that parses as a number
    /// is a number, an empty one is empty.
    pub fn from_csv(text: &str) -> Result<Table, String> {
        let mut records = parse_csv(text)?.into_iter();
        let header = records.next().ok_or("the CSV is empty")?;
        let mut table = Table::new(header);
        for (line, r) in records.enumerate() {
            if r.len() != table.header.len() {
                return Err(format!(
                    "row {} has {} fields but the header has {}",
                    line + 2,
                    r.len(),
                    table.header.len()
                ));
            }
            table.push(
                r.into_iter()
                    .map(|f| {
                        if f.is_empty() {
                            Cell::Empty
                        } else if let Ok(x) = f.trim().parse::<f64>() {
                            Cell::Number(x)
                        } else {
                            Cell::Text(f)
                        }
                    })
                    .collect(),
            );
        }
        Ok(table)
    }

    /// The CSV text (fields quoted when needed, numbers in full).
    pub fn csv(&self) -> String {
        let mut out = String::new();
        let head: Vec<String> = self.header.iter().map(|h| csv_field(h)).collect();
        out.push_str(&head.join(","));
        out.push('\n');
        for r in &self.rows {
            let cells: Vec<String> = r.iter().map(|c| csv_field(&c.exact())).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
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
        let text = self.csv();
        write_atomically(path, |w| w.write_all(text.as_bytes()))
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

// In JSON a cell is a string, an integer (a count), another number, or
// null (empty, or a number that is not finite).
impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Text(t) => s.serialize_str(t),
            Cell::Count(n) => s.serialize_u64(*n as u64),
            Cell::Number(x) if x.is_finite() => s.serialize_f64(*x),
            Cell::Number(_) | Cell::Empty => s.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cell, D::Error> {
        Ok(match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(t) => Cell::Text(t),
            serde_json::Value::Number(n) => match n.as_u64() {
                Some(k) => Cell::Count(k as usize),
                None => Cell::Number(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::Null => Cell::Empty,
            serde_json::Value::Bool(b) => Cell::Text(b.to_string()),
            other => Cell::Text(other.to_string()),
        })
    }
}

/// The records of CSV text: fields split at commas outside quotes, `""`
/// inside quotes read as one quote; blank lines are skipped.
fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                if !(record.len() == 1 && record[0].is_empty()) {
                    records.push(std::mem::take(&mut record));
                }
                record.clear();
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

/// Quotes a CSV field when it needs it (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trips() {
        let mut t = Table::new(["name", "value"]);
        t.push(vec!["a,\"b\"\nc".into(), 0.1.into()]);
        t.push(vec!["x".into(), Cell::Empty]);
        let back = Table::from_csv(&t.csv()).unwrap();
        assert_eq!(back.header, t.header);
        assert_eq!(back.rows[0][0], t.rows[0][0]);
        assert_eq!(back.rows[0][1], Cell::Number(0.1));
        assert_eq!(back.rows[1][1], Cell::Empty);
        assert!(Table::from_csv("a,b\n1\n").is_err());
        assert!(Table::from_csv("a\n\"open\n").is_err());
    }

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
