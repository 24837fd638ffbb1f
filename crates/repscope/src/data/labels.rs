//! Labels (conditions, folds, runs) to integer codes.
//!
//! Codes follow the sorted order of the distinct labels, as numpy's
//! `unique` (and so rsatoolbox) orders them: numerically when every label
//! is a number, otherwise as text.

use std::collections::BTreeMap;

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
