//! rsatoolbox's HDF5 layout (`Dataset.save`, `RDMs.save`,
//! `rsatoolbox.io.hdf5`), read and written so files move between the two
//! tools both ways.
//!
//! rsatoolbox writes an object's dictionary into the file: a string value
//! becomes an attribute of its group, an array a dataset (text arrays as
//! fixed-length bytes), a dictionary a group. A `Dataset` file has the
//! root attribute `type` (`Dataset`), a `measurements` dataset
//! (observations × channels) and the groups `descriptors`,
//! `obs_descriptors` and `channel_descriptors`; an `RDMs` file has
//! `dissimilarities` (RDMs × condensed pairs), the root attribute
//! `dissimilarity_measure`, and the groups `descriptors`,
//! `rdm_descriptors` and `pattern_descriptors` (read and written by
//! [`crate::rsa::files`]). The descriptors keep their kind: text, integers
//! or floats, an array or a single value.

use std::path::Path;

use faer::Mat;
use rust_hdf5::{H5File, H5Group};

use super::RepSet;
use super::atomic::write_path_atomically;
use super::hdf5::{Hdf5File, format_label, write_error, write_matrix, write_strings};
use super::safetensors_io::StoreAs;
use crate::error::{Error, Result};

/// One descriptor value, as rsatoolbox stores it.
#[derive(Clone, Debug, PartialEq)]
pub enum Descriptor {
    /// A string (an attribute in the file).
    Text(String),
    /// A text array (one entry per observation, RDM, pattern …).
    Texts(Vec<String>),
    /// An integer array.
    Integers(Vec<i64>),
    /// A float array.
    Numbers(Vec<f64>),
    /// A single number (a scalar dataset).
    Number(f64),
}

impl Descriptor {
    /// The values as labels (numbers printed, integers without a point).
    pub fn labels(&self) -> Vec<String> {
        match self {
            Descriptor::Text(s) => vec![s.clone()],
            Descriptor::Texts(v) => v.clone(),
            Descriptor::Integers(v) => v.iter().map(i64::to_string).collect(),
            Descriptor::Numbers(v) => v.iter().map(|x| format_label(*x)).collect(),
            Descriptor::Number(x) => vec![format_label(*x)],
        }
    }
}

/// Named descriptors, in the file's order.
pub type Descriptors = Vec<(String, Descriptor)>;

/// The value of a named descriptor.
pub fn descriptor<'a>(descriptors: &'a Descriptors, name: &str) -> Option<&'a Descriptor> {
    descriptors.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// An rsatoolbox `Dataset`: observations × channels and its descriptors.
#[derive(Clone, Debug)]
pub struct RsaDataset {
    pub measurements: Mat<f64>,
    pub descriptors: Descriptors,
    pub obs_descriptors: Descriptors,
    pub channel_descriptors: Descriptors,
}

impl RsaDataset {
    /// One representation named after the file, its stimuli labelled by the
    /// `conditions` observation descriptor when there is one.
    pub fn into_repset(self, path: &Path) -> Result<RepSet> {
        let mut set = RepSet::new();
        let conditions = descriptor(&self.obs_descriptors, "conditions").map(Descriptor::labels);
        set.push(super::npy::array_name_from_path(path), self.measurements)?;
        if let Some(c) = conditions {
            set.set_stimuli(c)?;
        }
        Ok(set)
    }
}

/// The descriptors stored in one group of `file`: its datasets and its
/// string attributes. A missing group has none.
pub fn read_descriptors(file: &Hdf5File, group: &str) -> Result<Descriptors> {
    let Ok(g) = file.group(group) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let prefix = format!("{group}/");
    for name in g.dataset_names().unwrap_or_default() {
        let name = name.strip_prefix(&prefix).unwrap_or(&name).to_string();
        if name.contains('/') {
            continue;
        }
        let full = format!("{group}/{name}");
        if file.is_null(&full)? {
            continue;
        }
        let info = file.info(&full)?;
        let value = if info.dtype == "string" {
            Descriptor::Texts(file.read_strings(&full)?)
        } else if info.is_numeric() {
            let (shape, values) = file.read_array(&full)?;
            if shape.is_empty() {
                Descriptor::Number(values.first().copied().unwrap_or(f64::NAN))
            } else if file.is_integer(&full)? {
                Descriptor::Integers(values.iter().map(|v| *v as i64).collect())
            } else {
                Descriptor::Numbers(values)
            }
        } else {
            continue;
        };
        out.push((name, value));
    }
    for attr in g.attr_names().unwrap_or_default() {
        if let Ok(text) = g.attr_string(&attr) {
            out.push((attr, Descriptor::Text(text)));
        }
    }
    Ok(out)
}

/// A 1-D dataset of numbers.
fn write_vector<T: rust_hdf5::types::H5Type>(
    group: &H5Group,
    name: &str,
    values: &[T],
) -> rust_hdf5::Result<()> {
    group
        .new_dataset::<T>()
        .shape([values.len()])
        .create(name)?
        .write_raw(values)
}

/// Writes descriptors into a new group, in rsatoolbox's encoding.
pub fn write_descriptors(
    file: &H5File,
    group: &str,
    descriptors: &Descriptors,
    path: &Path,
) -> Result<()> {
    let g: H5Group = file.create_group(group).map_err(|e| write_error(path, e))?;
    let fail = |e| write_error(path, e);
    for (name, value) in descriptors {
        match value {
            Descriptor::Text(s) => g.set_attr_string(name, s).map_err(fail)?,
            Descriptor::Texts(v) => write_strings(&g, name, v, path)?,
            Descriptor::Integers(v) => write_vector(&g, name, v).map_err(fail)?,
            Descriptor::Numbers(v) => write_vector(&g, name, v).map_err(fail)?,
            Descriptor::Number(x) => {
                let ds = g.new_dataset::<f64>().scalar().create(name).map_err(fail)?;
                ds.write_raw(&[*x]).map_err(fail)?;
            }
        }
    }
    Ok(())
}

/// Reads an rsatoolbox `Dataset` file (`Dataset.save(..., 'hdf5')`).
pub fn read_dataset(path: &Path) -> Result<RsaDataset> {
    let file = Hdf5File::open(path)?;
    let kind = file.group_attr("", "type").unwrap_or_default();
    if !kind.contains("Dataset") || !file.has("measurements") {
        return Err(Error::format(
            path,
            "not an rsatoolbox Dataset file (no 'type' attribute naming a Dataset, or no \
             'measurements')",
            "save it with rsatoolbox's Dataset.save(path, file_type='hdf5')",
        ));
    }
    Ok(RsaDataset {
        measurements: file.read_matrix("measurements")?,
        descriptors: read_descriptors(&file, "descriptors")?,
        obs_descriptors: read_descriptors(&file, "obs_descriptors")?,
        channel_descriptors: read_descriptors(&file, "channel_descriptors")?,
    })
}

/// Writes an rsatoolbox `Dataset` file that `rsatoolbox.data.load_dataset`
/// reads, atomically.
pub fn write_dataset(path: &Path, data: &RsaDataset) -> Result<()> {
    write_path_atomically(path, |temp| {
        let file = H5File::create(temp).map_err(|e| write_error(path, e))?;
        let fail = |e| write_error(path, e);
        file.set_attr_string("type", "Dataset").map_err(fail)?;
        let x = data.measurements.as_ref();
        write_matrix(
            &file.root_group(),
            "measurements",
            x.nrows(),
            x.ncols(),
            |i, j| x[(i, j)],
            StoreAs::F64,
            path,
        )?;
        write_descriptors(&file, "descriptors", &data.descriptors, path)?;
        write_descriptors(&file, "obs_descriptors", &data.obs_descriptors, path)?;
        write_descriptors(
            &file,
            "channel_descriptors",
            &data.channel_descriptors,
            path,
        )?;
        file.close().map_err(fail)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_round_trip_keeps_descriptor_kinds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.h5");
        let data = RsaDataset {
            measurements: Mat::from_fn(4, 3, |i, j| (i * 3 + j) as f64 / 7.0),
            descriptors: vec![
                ("subject".into(), Descriptor::Text("s01".into())),
                ("session".into(), Descriptor::Number(2.0)),
            ],
            obs_descriptors: vec![
                (
                    "conditions".into(),
                    Descriptor::Texts(vec!["a".into(), "b".into(), "c".into(), "d".into()]),
                ),
                ("run".into(), Descriptor::Integers(vec![0, 0, 1, 1])),
            ],
            channel_descriptors: vec![("x".into(), Descriptor::Numbers(vec![0.5, 1.5, 2.5]))],
        };
        write_dataset(&path, &data).unwrap();
        let back = read_dataset(&path).unwrap();
        assert_eq!(back.measurements, data.measurements);
        for (a, b) in [
            (&back.descriptors, &data.descriptors),
            (&back.obs_descriptors, &data.obs_descriptors),
            (&back.channel_descriptors, &data.channel_descriptors),
        ] {
            for (k, v) in b {
                assert_eq!(descriptor(a, k), Some(v), "{k}");
            }
        }
        let set = super::super::hdf5::load_hdf5(&path, None).unwrap();
        assert_eq!(set.names(), ["data"]);
        assert_eq!(set.stimuli().unwrap(), ["a", "b", "c", "d"]);
    }
}
