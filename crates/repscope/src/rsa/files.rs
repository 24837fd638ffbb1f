//! RDMs in files: `.npz` (or `.npy`) of condensed vectors.
//!
//! Written by `repscope rdm`: one 1-D float64 array per RDM, named after its
//! representation, plus a text array `conditions` with the condition labels
//! when known. Read back: every numeric 1-D array is one RDM; a 2-D array
//! holds one RDM per row (named `name[i]`).

use std::path::Path;

use crate::data::Format;
use crate::data::npy::{self, NpyArray};
use crate::error::{Error, Result, ResultExt};

/// The npz key holding the condition labels.
pub const CONDITIONS_KEY: &str = "conditions";

/// Named RDMs over the same conditions.
#[derive(Clone, Debug, Default)]
pub struct RdmSet {
    pub names: Vec<String>,
    pub rdms: Vec<Vec<f64>>,
    pub conditions: Option<Vec<String>>,
}

impl RdmSet {
    /// Borrowed views of the RDMs.
    pub fn views(&self) -> Vec<&[f64]> {
        self.rdms.iter().map(Vec::as_slice).collect()
    }
}

/// Reads RDMs from `.npz` or `.npy`.
pub fn load_rdms(path: &Path) -> Result<RdmSet> {
    let arrays = match Format::from_path(path) {
        Some(Format::Npz) => npy::read_npz_arrays(path)?,
        Some(Format::Npy) => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            let name = npy::array_name_from_path(path);
            let array = npy::decode_npy(&bytes, path, &name)?;
            vec![(name, array)]
        }
        _ => {
            return Err(Error::UnsupportedFile {
                path: path.to_path_buf(),
                detail: "RDMs are read from .npz or .npy (condensed vectors, one per row)".into(),
            });
        }
    };
    let mut set = RdmSet::default();
    for (name, array) in arrays {
        match array {
            NpyArray::Text(labels) if name == CONDITIONS_KEY => set.conditions = Some(labels),
            NpyArray::Text(_) => {}
            NpyArray::Numeric(a) => match a.shape() {
                [_] => {
                    set.names.push(name);
                    set.rdms.push(a.iter().copied().collect());
                }
                [rows, _] => {
                    for (i, row) in a.outer_iter().enumerate() {
                        set.names.push(if *rows == 1 {
                            name.clone()
                        } else {
                            format!("{name}[{i}]")
                        });
                        set.rdms.push(row.iter().copied().collect());
                    }
                }
                shape => {
                    return Err(Error::InvalidRdm {
                        detail: format!(
                            "array '{name}' has shape {shape:?}; RDMs are stored as condensed \
                             vectors (1-D) or one per row (2-D)"
                        ),
                    })
                    .with_context(|| path.display().to_string());
                }
            },
        }
    }
    if set.rdms.is_empty() {
        return Err(Error::NoRepresentations {
            what: format!("{} (no RDM arrays)", path.display()),
        });
    }
    let n = super::condensed::n_conditions(set.rdms[0].len())
        .with_context(|| path.display().to_string())?;
    if let Some((name, v)) = set
        .names
        .iter()
        .zip(&set.rdms)
        .find(|(_, v)| v.len() != set.rdms[0].len())
    {
        return Err(Error::InvalidRdm {
            detail: format!(
                "'{name}' has {} entries but '{}' has {} ({n} conditions); all RDMs in a file \
                 must describe the same conditions",
                v.len(),
                set.names[0],
                set.rdms[0].len()
            ),
        })
        .with_context(|| path.display().to_string());
    }
    Ok(set)
}

/// Writes RDMs as `.npz` (see the module documentation).
pub fn save_rdms(path: &Path, set: &RdmSet) -> Result<()> {
    if Format::from_path(path) != Some(Format::Npz) {
        return Err(Error::UnsupportedFile {
            path: path.to_path_buf(),
            detail: "RDMs are written as .npz".into(),
        });
    }
    let vectors: Vec<(String, Vec<f64>)> = set
        .names
        .iter()
        .cloned()
        .zip(set.rdms.iter().cloned())
        .collect();
    let texts: Vec<(String, Vec<String>)> = set
        .conditions
        .iter()
        .map(|c| (CONDITIONS_KEY.to_string(), c.clone()))
        .collect();
    npy::write_npz_vectors(path, &vectors, &texts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rdms.npz");
        let set = RdmSet {
            names: vec!["a".into(), "b".into()],
            rdms: vec![vec![1.0, 2.0, 3.0], vec![3.0, 2.0, 1.0]],
            conditions: Some(vec!["x".into(), "y".into(), "z".into()]),
        };
        save_rdms(&path, &set).unwrap();
        let back = load_rdms(&path).unwrap();
        assert_eq!(back.names, set.names);
        assert_eq!(back.rdms, set.rdms);
        assert_eq!(back.conditions, set.conditions);
    }
}
