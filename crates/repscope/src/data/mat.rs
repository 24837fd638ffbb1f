//! MATLAB `.mat` files, v5/v6/v7 (parsed by [`mat_v5`](super::mat_v5))
//! and v7.3 (HDF5 with a 512-byte user block, read by
//! [`hdf5`](super::hdf5)), as RepSets and as RDM stacks.
//!
//! Variables become named values: a numeric or logical array is one
//! representation (MATLAB's first dimension is the stimuli, the others
//! are flattened in MATLAB's column-major order); a struct contributes its
//! fields as `var.field`, a cell array of numeric arrays its cells as
//! `var{i}` (1-based, as in MATLAB); char arrays and cell arrays of char
//! are labels. A variable named `stimuli`, `conditions` or `labels` whose
//! length matches the rows labels the stimuli. `file.mat:var` reads one
//! variable.
//!
//! v7.3 files store each array transposed (HDF5 is row-major); they are
//! read back in MATLAB's orientation, as `mat73` does. Numeric and char
//! variables and structs of them are read; cell arrays in v7.3 (object
//! references) are refused with a message.

use std::io::Read;
use std::path::Path;

use faer::Mat;

use super::RepSet;
use super::hdf5::Hdf5File;
use super::mat_v5::{MatValue, is_v73, read_mat_v5};
use crate::error::{Error, Result, ResultExt};

/// The variables that label the stimuli when their length fits.
const LABEL_VARIABLES: &[&str] = &["stimuli", "conditions", "labels"];

/// Reads every variable of a `.mat` file (v5 or v7.3), in file order.
pub fn read_mat(path: &Path) -> Result<Vec<(String, MatValue)>> {
    // The header and the HDF5 signature at byte 512 tell v7.3 apart;
    // a v7.3 file is then read by slices, never whole.
    let mut head = Vec::with_capacity(520);
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    std::io::Read::take(&file, 520)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, e))?;
    if is_v73(&head) {
        return read_v73(path);
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_mat_v5(&bytes, path)
}

/// The numeric arrays of a value, with their names (`var`, `var.field`,
/// `var{2}`), and its labels (char arrays), depth first.
fn flatten(
    name: &str,
    value: MatValue,
    numeric: &mut Vec<(String, Vec<usize>, Vec<f64>)>,
    labels: &mut Vec<(String, Vec<String>)>,
) {
    match value {
        MatValue::Numeric { dims, data } => numeric.push((name.to_string(), dims, data)),
        MatValue::Char { rows, .. } => labels.push((name.to_string(), rows)),
        MatValue::Cell { items, .. } => {
            if items.iter().all(|i| matches!(i, MatValue::Char { .. })) && !items.is_empty() {
                let rows = items
                    .into_iter()
                    .map(|i| match i {
                        MatValue::Char { rows, .. } => rows.join(" "),
                        _ => String::new(),
                    })
                    .collect();
                labels.push((name.to_string(), rows));
            } else {
                for (k, item) in items.into_iter().enumerate() {
                    flatten(&format!("{name}{{{}}}", k + 1), item, numeric, labels);
                }
            }
        }
        MatValue::Struct {
            fields, elements, ..
        } => {
            let single = elements.len() == 1;
            for (e, values) in elements.into_iter().enumerate() {
                for (field, v) in fields.iter().zip(values) {
                    let full = if single {
                        format!("{name}.{field}")
                    } else {
                        format!("{name}({}).{field}", e + 1)
                    };
                    flatten(&full, v, numeric, labels);
                }
            }
        }
    }
}

/// MATLAB dims and column-major data as stimuli × units.
fn to_matrix(dims: &[usize], data: &[f64]) -> Mat<f64> {
    let rows = dims.first().copied().unwrap_or(0);
    let cols = data.len().checked_div(rows).unwrap_or(0);
    Mat::from_fn(rows, cols, |i, j| data[i + rows * j])
}

/// Reads a `.mat` file as a RepSet (see the module documentation); with
/// `variable`, only that variable (or `var.field`).
pub fn load_mat(path: &Path, variable: Option<&str>) -> Result<RepSet> {
    let mut numeric = Vec::new();
    let mut labels = Vec::new();
    for (name, value) in read_mat(path)? {
        flatten(&name, value, &mut numeric, &mut labels);
    }
    let context = || path.display().to_string();
    let mut set = RepSet::new();
    if let Some(v) = variable.filter(|v| !v.is_empty()) {
        let Some((name, dims, data)) = numeric.iter().find(|(n, _, _)| n == v) else {
            let mut known: Vec<String> = numeric.iter().map(|(n, _, _)| n.clone()).collect();
            known.extend(labels.iter().map(|(n, _)| format!("{n} (text)")));
            return Err(Error::UnknownRepresentation {
                set: path.display().to_string(),
                name: v.to_string(),
                known,
            });
        };
        set.push(name.clone(), to_matrix(dims, data))
            .with_context(context)?;
        return Ok(set);
    }
    let arrays: Vec<_> = numeric
        .into_iter()
        .filter(|(_, dims, data)| !data.is_empty() && dims.first().is_some_and(|&r| r > 0))
        .collect();
    if arrays.is_empty() {
        return Err(Error::UnsupportedFile {
            path: path.to_path_buf(),
            detail: format!(
                "no numeric variable to read as a representation{}",
                if labels.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (text variables: {})",
                        labels
                            .iter()
                            .map(|(n, _)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            ),
        });
    }
    for (name, dims, data) in &arrays {
        set.push(name.clone(), to_matrix(dims, data))
            .with_context(|| format!("{}: variable '{name}'", path.display()))?;
    }
    let n = set.n_stimuli().unwrap_or(0);
    if let Some((_, rows)) = labels
        .into_iter()
        .find(|(name, rows)| LABEL_VARIABLES.contains(&name.as_str()) && rows.len() == n)
    {
        set.set_stimuli(rows).with_context(context)?;
    }
    Ok(set)
}

/// RDMs stored in a `.mat` file: each numeric variable that is a square
/// dissimilarity matrix (n × n), a stack of them (n × n × k) or a
/// condensed vector; a struct array with an `RDM` field (the MATLAB RSA
/// toolbox's layout) is named by its `name` field. Returned as
/// `(name, condensed RDM)`.
pub fn load_mat_rdms(path: &Path) -> Result<Vec<(String, Vec<f64>)>> {
    let mut out = Vec::new();
    for (name, value) in read_mat(path)? {
        collect_rdms(&name, value, &mut out, path)?;
    }
    if out.is_empty() {
        return Err(Error::UnsupportedFile {
            path: path.to_path_buf(),
            detail: "no RDM found: store square dissimilarity matrices (n × n or n × n × k), \
                     condensed vectors, or the RSA toolbox's struct with an RDM field"
                .into(),
        });
    }
    Ok(out)
}

fn collect_rdms(
    name: &str,
    value: MatValue,
    out: &mut Vec<(String, Vec<f64>)>,
    path: &Path,
) -> Result<()> {
    match value {
        MatValue::Numeric { dims, data } => {
            let squares = match dims[..] {
                [r, c] if r == c && r > 1 => Some((r, 1)),
                [r, c, k] if r == c && r > 1 => Some((r, k)),
                _ => None,
            };
            if let Some((n, k)) = squares {
                for s in 0..k {
                    let m = &data[s * n * n..(s + 1) * n * n];
                    let x = Mat::from_fn(n, n, |i, j| m[i + n * j]);
                    let label = if k == 1 {
                        name.to_string()
                    } else {
                        format!("{name}[{}]", s + 1)
                    };
                    out.push((label, crate::rsa::condensed::from_square(x.as_ref())));
                }
            } else if dims.iter().filter(|&&d| d > 1).count() == 1 {
                crate::rsa::condensed::n_conditions(data.len())
                    .with_context(|| format!("{}: variable '{name}'", path.display()))?;
                out.push((name.to_string(), data));
            }
        }
        MatValue::Struct {
            fields, elements, ..
        } if fields.iter().any(|f| f == "RDM") => {
            let rdm_at = fields.iter().position(|f| f == "RDM").unwrap_or(0);
            let name_at = fields.iter().position(|f| f == "name");
            for (e, mut values) in elements.into_iter().enumerate() {
                let label = match name_at.map(|i| &values[i]) {
                    Some(MatValue::Char { rows, .. }) if !rows.is_empty() => rows.join(" "),
                    _ => format!("{name}({})", e + 1),
                };
                let rdm = std::mem::replace(
                    &mut values[rdm_at],
                    MatValue::Numeric {
                        dims: vec![0, 0],
                        data: vec![],
                    },
                );
                collect_rdms(&label, rdm, out, path)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The `MATLAB_class` of a v7.3 variable.
fn class_of(file: &Hdf5File, name: &str) -> String {
    file.dataset_attr(name, "MATLAB_class").unwrap_or_default()
}

/// Reads a v7.3 file: numeric and char datasets at the root, and groups
/// (structs) of them.
fn read_v73(path: &Path) -> Result<Vec<(String, MatValue)>> {
    let file = Hdf5File::open(path)?;
    let mut out: Vec<(String, MatValue)> = Vec::new();
    for info in file.datasets() {
        if info.name.starts_with("#refs#") || info.name.starts_with("#subsystem#") {
            continue;
        }
        let class = class_of(&file, &info.name);
        if class == "cell" {
            return Err(Error::UnsupportedFile {
                path: path.to_path_buf(),
                detail: format!(
                    "variable '{}' is a cell array, which repscope does not read from v7.3 \
                     files; save it as a numeric array or with -v7",
                    info.name
                ),
            });
        }
        if !info.is_numeric() {
            continue;
        }
        let (shape, data) = file.read_array(&info.name)?;
        // HDF5 keeps MATLAB's column-major data under the reversed shape.
        let mut dims: Vec<usize> = shape.iter().rev().copied().collect();
        if dims.len() < 2 {
            dims.resize(2, 1);
        }
        let value = if class == "char" {
            let rows = dims[0];
            let cols = dims[1..].iter().product::<usize>();
            let text = (0..rows)
                .map(|i| {
                    let units: Vec<u16> = (0..cols).map(|j| data[i + rows * j] as u16).collect();
                    String::from_utf16_lossy(&units)
                })
                .collect();
            MatValue::Char { dims, rows: text }
        } else {
            MatValue::Numeric { dims, data }
        };
        // A struct is a group: its fields are datasets under the
        // variable's name, read here as `var.field`.
        let name = info.name.replace('/', ".");
        out.push((name, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structs_and_cells_flatten_to_named_arrays() {
        let mut numeric = Vec::new();
        let mut labels = Vec::new();
        let value = MatValue::Struct {
            dims: vec![1, 1],
            fields: vec!["betas".into(), "names".into(), "runs".into()],
            elements: vec![vec![
                MatValue::Numeric {
                    dims: vec![2, 2],
                    data: vec![1.0, 2.0, 3.0, 4.0],
                },
                MatValue::Cell {
                    dims: vec![1, 2],
                    items: vec![
                        MatValue::Char {
                            dims: vec![1, 1],
                            rows: vec!["a".into()],
                        },
                        MatValue::Char {
                            dims: vec![1, 1],
                            rows: vec!["b".into()],
                        },
                    ],
                },
                MatValue::Cell {
                    dims: vec![1, 1],
                    items: vec![MatValue::Numeric {
                        dims: vec![2, 1],
                        data: vec![5.0, 6.0],
                    }],
                },
            ]],
        };
        flatten("s", value, &mut numeric, &mut labels);
        let names: Vec<&str> = numeric.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(names, ["s.betas", "s.runs{1}"]);
        assert_eq!(
            labels,
            [("s.names".to_string(), vec!["a".into(), "b".into()])]
        );
        // Column-major: X(2,1) is the second stored value.
        let x = to_matrix(&numeric[0].1, &numeric[0].2);
        assert_eq!(x[(1, 0)], 2.0);
        assert_eq!(x[(0, 1)], 3.0);
    }
}
