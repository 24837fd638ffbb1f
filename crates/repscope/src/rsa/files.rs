//! RDMs in files: `.npz` (or `.npy`) of condensed vectors, or HDF5 in
//! rsatoolbox's `RDMs` layout.
//!
//! `.npz`, as `repscope rdm` writes it: one 1-D float64 array per RDM, named
//! after its representation, plus a text array `conditions` with the
//! condition labels when known. Read back: every numeric 1-D array is one
//! RDM; a 2-D array holds one RDM per row (named `name[i]`).
//!
//! `.mat`: square dissimilarity matrices, stacks of them or condensed
//! vectors (see [`crate::data::mat::load_mat_rdms`]).
//!
//! `.h5`/`.hdf5`: the file `rsatoolbox.rdm.RDMs.save` writes and
//! `rsatoolbox.rdm.load_rdm` reads (see [`crate::data::rsatoolbox`]):
//! `dissimilarities` (RDMs × pairs, the same condensed order), the RDM
//! names in the `name` RDM descriptor, the condition labels in the
//! `conditions` pattern descriptor, and every other descriptor kept.

use std::path::Path;

use rust_hdf5::H5File;

use crate::data::Format;
use crate::data::StoreAs;
use crate::data::atomic::write_path_atomically;
use crate::data::hdf5::{Hdf5File, write_error, write_matrix};
use crate::data::npy::{self, NpyArray};
use crate::data::rsatoolbox::{Descriptor, Descriptors, read_descriptors, write_descriptors};
use crate::error::{Error, Result, ResultExt};

/// The npz key holding the condition labels.
pub const CONDITIONS_KEY: &str = "conditions";

/// Named RDMs over the same conditions.
#[derive(Clone, Debug, Default)]
pub struct RdmSet {
    pub names: Vec<String>,
    pub rdms: Vec<Vec<f64>>,
    pub conditions: Option<Vec<String>>,
    /// rsatoolbox's descriptors of the whole set (kept through HDF5).
    pub descriptors: Descriptors,
    /// rsatoolbox's per-RDM descriptors other than `name` and `index`.
    pub rdm_descriptors: Descriptors,
    /// rsatoolbox's per-condition descriptors other than `conditions` and
    /// `index`.
    pub pattern_descriptors: Descriptors,
    /// The dissimilarity measure, as rsatoolbox names it (`euclidean`,
    /// `crossnobis` …), when known.
    pub dissimilarity_measure: Option<String>,
}

impl RdmSet {
    /// Borrowed views of the RDMs.
    pub fn views(&self) -> Vec<&[f64]> {
        self.rdms.iter().map(Vec::as_slice).collect()
    }
}

/// Reads RDMs from `.npz`, `.npy` or rsatoolbox's HDF5.
pub fn load_rdms(path: &Path) -> Result<RdmSet> {
    let arrays = match Format::from_path(path) {
        Some(Format::Hdf5) => return load_rdms_hdf5(path),
        Some(Format::Mat) => {
            let (names, rdms) = crate::data::mat::load_mat_rdms(path)?.into_iter().unzip();
            let set = RdmSet {
                names,
                rdms,
                ..RdmSet::default()
            };
            return check_rdm_set(set, path);
        }
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
                detail: "RDMs are read from .npz or .npy (condensed vectors, one per row) or \
                         .h5 (rsatoolbox's RDMs.save)"
                    .into(),
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
    check_rdm_set(set, path)
}

/// The checks every RDM file passes: at least one RDM, all of one length
/// that is a number of pairs.
fn check_rdm_set(set: RdmSet, path: &Path) -> Result<RdmSet> {
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

/// Reads rsatoolbox's `RDMs` HDF5 layout.
fn load_rdms_hdf5(path: &Path) -> Result<RdmSet> {
    let file = Hdf5File::open(path)?;
    if !file.has("dissimilarities") {
        return Err(Error::format(
            path,
            "no 'dissimilarities' dataset, so not an RDMs file",
            "write it with rsatoolbox's RDMs.save(path) or `repscope rdm --output x.h5`; \
             representations are read with `repscope info`",
        ));
    }
    let (shape, values) = file.read_array("dissimilarities")?;
    let (rows, cols) = match shape[..] {
        [n] => (1, n),
        [r, c] => (r, c),
        _ => {
            return Err(Error::InvalidRdm {
                detail: format!("'dissimilarities' has shape {shape:?}; expected RDMs × pairs"),
            })
            .with_context(|| path.display().to_string());
        }
    };
    let mut rdm_descriptors = read_descriptors(&file, "rdm_descriptors")?;
    let mut pattern_descriptors = read_descriptors(&file, "pattern_descriptors")?;
    let names = match take(&mut rdm_descriptors, "name") {
        Some(d) if d.labels().len() == rows => d.labels(),
        _ if rows == 1 => vec![npy::array_name_from_path(path)],
        _ => (0..rows).map(|i| format!("rdm[{i}]")).collect(),
    };
    take(&mut rdm_descriptors, "index");
    take(&mut pattern_descriptors, "index");
    let conditions = take(&mut pattern_descriptors, "conditions").map(|d| d.labels());
    let set = RdmSet {
        names,
        rdms: values.chunks(cols.max(1)).map(<[f64]>::to_vec).collect(),
        conditions,
        descriptors: read_descriptors(&file, "descriptors")?,
        rdm_descriptors,
        pattern_descriptors,
        dissimilarity_measure: file.group_attr("", "dissimilarity_measure"),
    };
    check_rdm_set(set, path)
}

fn take(descriptors: &mut Descriptors, name: &str) -> Option<Descriptor> {
    let at = descriptors.iter().position(|(k, _)| k == name)?;
    Some(descriptors.remove(at).1)
}

/// Writes rsatoolbox's `RDMs` HDF5 layout, atomically.
fn save_rdms_hdf5(path: &Path, set: &RdmSet) -> Result<()> {
    let rows = set.rdms.len();
    let cols = set.rdms.first().map_or(0, Vec::len);
    if set.rdms.iter().any(|r| r.len() != cols) {
        return Err(Error::InvalidRdm {
            detail: "the RDMs differ in length; an RDMs file holds RDMs of one set of conditions"
                .into(),
        });
    }
    let n = super::condensed::n_conditions(cols)?;
    let index = |k: usize| Descriptor::Integers((0..k as i64).collect());
    let mut rdm_descriptors: Descriptors = vec![
        ("index".into(), index(rows)),
        ("name".into(), Descriptor::Texts(set.names.clone())),
    ];
    rdm_descriptors.extend(set.rdm_descriptors.iter().cloned());
    let mut pattern_descriptors: Descriptors = vec![("index".into(), index(n))];
    if let Some(c) = &set.conditions {
        pattern_descriptors.push(("conditions".into(), Descriptor::Texts(c.clone())));
    }
    pattern_descriptors.extend(set.pattern_descriptors.iter().cloned());
    write_path_atomically(path, |temp| {
        let fail = |e| write_error(path, e);
        let file = H5File::create(temp).map_err(fail)?;
        // rsatoolbox's reader needs the measure; `None` is stored as text.
        let measure = set.dissimilarity_measure.as_deref().unwrap_or("None");
        file.set_attr_string("dissimilarity_measure", measure)
            .map_err(fail)?;
        write_matrix(
            &file.root_group(),
            "dissimilarities",
            rows,
            cols,
            |i, j| set.rdms[i][j],
            StoreAs::F64,
            path,
        )?;
        write_descriptors(&file, "descriptors", &set.descriptors, path)?;
        write_descriptors(&file, "rdm_descriptors", &rdm_descriptors, path)?;
        write_descriptors(&file, "pattern_descriptors", &pattern_descriptors, path)?;
        file.close().map_err(fail)
    })
}

/// Writes RDMs as `.npz` or rsatoolbox's HDF5 (see the module
/// documentation).
pub fn save_rdms(path: &Path, set: &RdmSet) -> Result<()> {
    match Format::from_path(path) {
        Some(Format::Npz) => {}
        Some(Format::Hdf5) => return save_rdms_hdf5(path, set),
        _ => {
            return Err(Error::UnsupportedFile {
                path: path.to_path_buf(),
                detail: "RDMs are written as .npz or .h5 (rsatoolbox's layout)".into(),
            });
        }
    }
    let vectors: Vec<(&str, &[f64])> = set
        .names
        .iter()
        .map(String::as_str)
        .zip(set.rdms.iter().map(Vec::as_slice))
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
    use crate::data::rsatoolbox::descriptor;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let set = RdmSet {
            names: vec!["a".into(), "b".into()],
            rdms: vec![vec![1.0, 2.0, 3.0], vec![3.0, 2.0, 1.0]],
            conditions: Some(vec!["x".into(), "y".into(), "z".into()]),
            ..RdmSet::default()
        };
        for file in ["rdms.npz", "rdms.h5"] {
            let path = dir.path().join(file);
            save_rdms(&path, &set).unwrap();
            let back = load_rdms(&path).unwrap();
            assert_eq!(back.names, set.names);
            assert_eq!(back.rdms, set.rdms);
            assert_eq!(back.conditions, set.conditions);
        }
    }

    #[test]
    fn hdf5_keeps_descriptors_and_measure() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rdms.h5");
        let set = RdmSet {
            names: vec!["v1".into()],
            rdms: vec![vec![0.5, 1.0, 2.0]],
            conditions: None,
            descriptors: vec![("subject".into(), Descriptor::Text("s2".into()))],
            rdm_descriptors: vec![("roi".into(), Descriptor::Texts(vec!["V1".into()]))],
            pattern_descriptors: vec![("size".into(), Descriptor::Numbers(vec![1.0, 2.5, 3.0]))],
            dissimilarity_measure: Some("crossnobis".into()),
        };
        save_rdms(&path, &set).unwrap();
        let back = load_rdms(&path).unwrap();
        assert_eq!(back.dissimilarity_measure.as_deref(), Some("crossnobis"));
        assert_eq!(back.descriptors, set.descriptors);
        assert_eq!(back.rdm_descriptors, set.rdm_descriptors);
        assert_eq!(back.pattern_descriptors, set.pattern_descriptors);
        assert_eq!(
            descriptor(&back.descriptors, "subject"),
            Some(&Descriptor::Text("s2".into()))
        );
    }
}
