//! Presenting results: aligned tables on stdout, CSV and JSON files.

use std::io::Write;
use std::path::Path;

use faer::MatRef;
use repscope::data::atomic::write_atomically;

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
    write_atomically(path, |w| {
        let header: Vec<String> = std::iter::once(corner)
            .chain(cols.iter().map(String::as_str))
            .map(csv_field)
            .collect();
        writeln!(w, "{}", header.join(","))?;
        for (i, r) in rows.iter().enumerate() {
            let mut line = csv_field(r);
            for j in 0..cols.len() {
                line.push_str(&format!(",{}", values[(i, j)]));
            }
            writeln!(w, "{line}")?;
        }
        Ok(())
    })
}

/// Every cell of a pairwise result as one CSV row:
/// `a,b,measure,value,ci_low,ci_high,p` (empty where not computed).
pub fn write_long_csv(path: &Path, r: &repscope::PairwiseMatrix) -> repscope::Result<()> {
    let cell = |m: &Option<faer::Mat<f64>>, i: usize, j: usize| {
        m.as_ref().map_or(String::new(), |m| m[(i, j)].to_string())
    };
    write_atomically(path, |w| {
        writeln!(w, "a,b,measure,value,ci_low,ci_high,p")?;
        for (i, a) in r.names_a.iter().enumerate() {
            for (j, b) in r.names_b.iter().enumerate() {
                writeln!(
                    w,
                    "{},{},{},{},{},{},{}",
                    csv_field(a),
                    csv_field(b),
                    csv_field(&r.measure),
                    r.values[(i, j)],
                    cell(&r.ci_low, i, j),
                    cell(&r.ci_high, i, j),
                    cell(&r.p_values, i, j)
                )?;
            }
        }
        Ok(())
    })
}

/// `rows` for the screen: numeric cells from column `first` on rounded to
/// four decimals (files keep full precision).
pub fn four_decimals(rows: &[Vec<String>], first: usize) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .map(|(c, v)| match v.parse::<f64>() {
                    Ok(x) if c >= first => format!("{x:.4}"),
                    _ => v.clone(),
                })
                .collect()
        })
        .collect()
}

/// Rows of text cells as an aligned table (numbers right-aligned).
pub fn text_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain(std::iter::once(header[c].len()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, &w)| {
                if c.parse::<f64>().is_ok() {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

/// Writes a header and rows of cells as CSV (fields quoted when needed).
pub fn write_table_csv(path: &Path, header: &[&str], rows: &[Vec<String>]) -> repscope::Result<()> {
    write_atomically(path, |w| {
        let head: Vec<String> = header.iter().map(|h| csv_field(h)).collect();
        writeln!(w, "{}", head.join(","))?;
        for r in rows {
            let cells: Vec<String> = r.iter().map(|c| csv_field(c)).collect();
            writeln!(w, "{}", cells.join(","))?;
        }
        Ok(())
    })
}

/// Rows of text cells as a JSON array of objects keyed by `header`: a cell
/// that parses as a number becomes one (NaN becomes null), an empty cell
/// null, anything else a string.
pub fn rows_json<H: AsRef<str>>(header: &[H], rows: &[Vec<String>]) -> serde_json::Value {
    let cell = |v: &String| match v.parse::<f64>() {
        Ok(x) => serde_json::Value::from(x),
        Err(_) if v.is_empty() => serde_json::Value::Null,
        Err(_) => serde_json::Value::from(v.clone()),
    };
    rows.iter()
        .map(|r| {
            let object: serde_json::Map<String, serde_json::Value> = header
                .iter()
                .zip(r)
                .map(|(h, v)| (h.as_ref().to_string(), cell(v)))
                .collect();
            serde_json::Value::Object(object)
        })
        .collect()
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
}
