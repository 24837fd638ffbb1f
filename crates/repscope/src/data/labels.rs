//! Labels (conditions, folds, runs, classes): read from files, and turned
//! into integer codes.
//!
//! Codes follow the sorted order of the distinct labels, as numpy's
//! `unique` (and so rsatoolbox) orders them: numerically when every label
//! is a number, otherwise as text.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};

/// The labels in a file: one per non-empty line, or, from a `.tsv` file,
/// the first column of every line after the header.
pub fn read_labels(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let tsv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    Ok(labels_in(&text, tsv))
}

/// [`read_labels`] of text already in memory (`tsv`: the first column
/// after a header line).
pub fn labels_in(text: &str, tsv: bool) -> Vec<String> {
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .skip(usize::from(tsv))
        .map(|l| {
            if tsv {
                l.split('\t').next().unwrap_or("").to_string()
            } else {
                l.to_string()
            }
        })
        .collect()
}

/// Fails unless there is one label per row: `labels` labels for `rows`
/// rows (`what`: e.g. "condition labels (one per volume)").
pub fn check_label_count(what: &str, labels: usize, rows: usize) -> Result<()> {
    if labels != rows {
        return Err(Error::ShapeMismatch {
            what: what.to_string(),
            expected: rows,
            found: labels,
        });
    }
    Ok(())
}

/// The number of distinct codes 0..k that `codes` refers to (the largest
/// code + 1; 0 for none).
pub fn n_codes(codes: &[usize]) -> usize {
    codes.iter().max().map_or(0, |m| m + 1)
}

/// The distinct labels in sorted order and the code (index into them) of
/// every label.
pub fn labels_to_codes(labels: &[String]) -> (Vec<String>, Vec<usize>) {
    let numbers: Option<Vec<f64>> = labels
        .iter()
        .map(|l| l.trim().parse::<f64>().ok())
        .collect();
    match numbers {
        Some(values) => {
            // Keyed by value (+0.0 for −0.0 so both are one label).
            let key = |v: f64| (v + 0.0).to_bits();
            let mut first: BTreeMap<u64, (f64, usize)> = BTreeMap::new();
            for (i, &v) in values.iter().enumerate() {
                first.entry(key(v)).or_insert((v, i));
            }
            let mut distinct: Vec<(f64, usize)> = first.into_values().collect();
            distinct.sort_by(|a, b| a.0.total_cmp(&b.0));
            let code: BTreeMap<u64, usize> = distinct
                .iter()
                .enumerate()
                .map(|(c, &(v, _))| (key(v), c))
                .collect();
            (
                distinct.iter().map(|&(_, i)| labels[i].clone()).collect(),
                values.iter().map(|&v| code[&key(v)]).collect(),
            )
        }
        None => {
            let code: BTreeMap<&str, usize> = {
                let mut distinct: Vec<&str> = labels.iter().map(String::as_str).collect();
                distinct.sort_unstable();
                distinct.dedup();
                distinct
                    .into_iter()
                    .enumerate()
                    .map(|(c, l)| (l, c))
                    .collect()
            };
            (
                code.keys().map(|l| l.to_string()).collect(),
                labels.iter().map(|l| code[l.as_str()]).collect(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn numeric_labels_sort_as_numbers_text_as_text() {
        let (d, c) = labels_to_codes(&s(&["10", "2", "2", "1"]));
        assert_eq!(d, ["1", "2", "10"]);
        assert_eq!(c, [2, 1, 1, 0]);
        let (d, c) = labels_to_codes(&s(&["b", "a", "b", "c10", "c2"]));
        assert_eq!(d, ["a", "b", "c10", "c2"]);
        assert_eq!(c, [1, 0, 1, 2, 3]);
    }
}
