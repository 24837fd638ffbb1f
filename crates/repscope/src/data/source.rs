//! Representations loaded one at a time, for sets larger than memory.
//!
//! A [`RepSource`] knows the names and the number of stimuli of its
//! representations and loads any one on demand: a folder of array files
//! (one representation per file) or a `.safetensors` file (only the bytes of
//! the requested tensor are read). The streaming pairwise engine holds at
//! most two prepared representations per worker.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use faer::Mat;
use safetensors::Dtype;

use super::safetensors_io::{read_header, representation_order, stored_stimuli, to_matrix};
use super::{Format, load};
use crate::error::{Error, Result, ResultExt};

/// Representations that can be loaded one at a time.
pub trait RepSource: Sync {
    /// Number of representations.
    fn len(&self) -> usize;
    /// True when there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Name of representation `i`.
    fn name(&self, i: usize) -> &str;
    /// Loads representation `i`.
    fn load(&self, i: usize) -> Result<Mat<f64>>;
}

/// A folder with one array file per representation (natural order).
pub struct FolderSource {
    files: Vec<PathBuf>,
    names: Vec<String>,
}

impl FolderSource {
    pub fn open(dir: &Path) -> Result<Self> {
        let files = super::array_files(dir)?;
        let names = files
            .iter()
            .map(|f| super::npy::array_name_from_path(f))
            .collect();
        Ok(Self { files, names })
    }
}

impl RepSource for FolderSource {
    fn len(&self) -> usize {
        self.files.len()
    }

    fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    fn load(&self, i: usize) -> Result<Mat<f64>> {
        let set = load(&self.files[i])?;
        let path = &self.files[i];
        match set.into_parts() {
            (_, mut mats, _) if mats.len() == 1 => Ok(mats.remove(0)),
            (names, _, _) => Err(Error::UnsupportedFile {
                path: path.clone(),
                detail: format!(
                    "streaming reads one representation per file, but this file holds {}",
                    names.len()
                ),
            }),
        }
    }
}

/// One tensor's place in a `.safetensors` file.
struct TensorEntry {
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
    start: u64,
    end: u64,
}

/// The tensors of a `.safetensors` file, read one at a time.
pub struct SafetensorsSource {
    path: PathBuf,
    entries: Vec<TensorEntry>,
    stimuli: Option<Vec<String>>,
}

impl SafetensorsSource {
    pub fn open(path: &Path) -> Result<Self> {
        let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let header = read_header(&mut file, path)?;
        let names = header.tensors.iter().map(|(n, _)| n.clone()).collect();
        // The same order as `load` (repscope's stored order, else natural).
        let order = representation_order(names, &header.metadata, path)?;
        let mut entries: Vec<TensorEntry> = header
            .tensors
            .into_iter()
            .map(|(name, info)| TensorEntry {
                name,
                dtype: info.dtype,
                shape: info.shape,
                start: header.data_start + info.data_offsets.0 as u64,
                end: header.data_start + info.data_offsets.1 as u64,
            })
            .collect();
        entries.sort_by_key(|e| order.iter().position(|n| n == &e.name));
        Ok(Self {
            path: path.to_path_buf(),
            entries,
            stimuli: stored_stimuli(&header.metadata, path)?,
        })
    }

    /// The stimulus labels stored with the representations, if any.
    pub fn stimuli(&self) -> Option<&[String]> {
        self.stimuli.as_deref()
    }
}

impl RepSource for SafetensorsSource {
    fn len(&self) -> usize {
        self.entries.len()
    }

    fn name(&self, i: usize) -> &str {
        &self.entries[i].name
    }

    fn load(&self, i: usize) -> Result<Mat<f64>> {
        let e = &self.entries[i];
        let path = &self.path;
        let mut file = std::fs::File::open(path).map_err(|err| Error::io(path, err))?;
        file.seek(SeekFrom::Start(e.start))
            .map_err(|err| Error::io(path, err))?;
        let mut bytes = vec![0u8; (e.end - e.start) as usize];
        file.read_exact(&mut bytes).map_err(|_| {
            Error::format(
                path,
                format!("tensor '{}' is truncated", e.name),
                "re-create the file",
            )
        })?;
        to_matrix(&e.name, e.dtype, &e.shape, &bytes).with_context(|| path.display().to_string())
    }
}

/// Opens a folder or a `.safetensors` file as a source.
pub fn open_source(path: &Path) -> Result<Box<dyn RepSource>> {
    if path.is_dir() {
        return Ok(Box::new(FolderSource::open(path)?));
    }
    match Format::from_path(path) {
        Some(Format::Safetensors) => Ok(Box::new(SafetensorsSource::open(path)?)),
        _ => Err(Error::UnsupportedFile {
            path: path.to_path_buf(),
            detail: "streaming reads a folder of array files or a .safetensors file".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{RepSet, StoreAs, save};

    #[test]
    fn safetensors_and_folder_sources_load_what_load_does() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = RepSet::new();
        for (i, name) in ["b10", "a", "b2"].iter().enumerate() {
            set.push(
                *name,
                Mat::from_fn(4, 2 + i, |r, c| (r * 7 + c + i) as f64 / 3.0),
            )
            .unwrap();
        }
        let st = dir.path().join("reps.safetensors");
        save(&st, &set, StoreAs::F64).unwrap();
        let source = SafetensorsSource::open(&st).unwrap();
        let names: Vec<&str> = (0..source.len()).map(|i| source.name(i)).collect();
        assert_eq!(names, ["b10", "a", "b2"]);
        assert_eq!(source.load(2).unwrap().as_ref(), set.get("b2").unwrap());

        let folder = dir.path().join("layers");
        std::fs::create_dir(&folder).unwrap();
        for rep in set.views() {
            crate::data::npy::write_npy_file(&folder.join(format!("{}.npy", rep.name)), rep.x)
                .unwrap();
        }
        let source = FolderSource::open(&folder).unwrap();
        assert_eq!(source.name(0), "a");
        assert_eq!(source.load(2).unwrap().as_ref(), set.get("b10").unwrap());
    }
}
