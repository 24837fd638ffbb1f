//! Representations and the files they live in.
//!
//! [`RepSet`] is the data model: named stimuli × units matrices over one
//! stimulus set. [`load`] reads one from `.npy` (one array), `.npz`,
//! `.safetensors`, HDF5 ([`hdf5`], and rsatoolbox's files through
//! [`rsatoolbox`]), MATLAB ([`mat`]), GIfTI and CIFTI-2 ([`surface`]), or a
//! folder of those, and one dataset or variable as `file.h5:/path`;
//! [`save`] writes `.npy`, `.npz`, `.safetensors` or `.h5`. Every write is atomic (see [`atomic`]). Model weights
//! (tensors of any rank) are read and written by [`checkpoint`].

pub mod atomic;
pub mod checkpoint;
pub mod cifti_xml;
pub mod gifti;
pub mod gifti_write;
pub mod hdf5;
pub mod labels;
pub mod limits;
pub mod mat;
pub mod mat_v5;
pub mod nifti;
pub mod npy;
pub mod repset;
pub mod rsatoolbox;
pub mod safetensors_io;
pub mod safetensors_stream;
pub mod source;
pub mod surface;

use std::path::{Path, PathBuf};

pub use repset::{RepRef, RepSet, check_finite, check_not_empty, check_same_stimuli};
pub use safetensors_io::StoreAs;

use crate::error::{Error, Result, ResultExt};

/// The file formats repscope reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    Npy,
    Npz,
    Safetensors,
    Hdf5,
    /// MATLAB `.mat` (v5 and v7.3).
    Mat,
    /// GIfTI surface data (`.gii`).
    Gifti,
    /// CIFTI-2 grayordinates (`.dscalar.nii`, `.dtseries.nii`, …).
    Cifti,
}

impl Format {
    /// The format a path's extension names, if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        if surface::is_cifti_name(path) {
            return Some(Format::Cifti);
        }
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "npy" => Some(Format::Npy),
            "npz" => Some(Format::Npz),
            "safetensors" => Some(Format::Safetensors),
            ext if hdf5::EXTENSIONS.contains(&ext) => Some(Format::Hdf5),
            "gii" => Some(Format::Gifti),
            "mat" => Some(Format::Mat),
            _ => None,
        }
    }
}

const SUPPORTED: &str = ".npy, .npz, .safetensors, .h5/.hdf5, .mat, .gii, CIFTI-2 (.dscalar.nii, .dtseries.nii), or a folder of those";

/// Reads a RepSet from a file or a folder.
///
/// A `.npy` file is one representation named after the file. In a folder,
/// each file contributes its arrays in natural order of file names
/// (`layer2` before `layer10`); a file holding one array names it after the
/// file, a file holding several names them `file/array`.
pub fn load(path: &Path) -> Result<RepSet> {
    if !path.exists()
        && let Some((file, inner)) = hdf5::split_inner_path(path)
    {
        return load_inner(&file, &inner);
    }
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return load_folder(path);
    }
    match Format::from_path(path) {
        Some(Format::Npy) => {
            let mut set = RepSet::new();
            set.push(npy::array_name_from_path(path), npy::read_npy_file(path)?)
                .with_context(|| path.display().to_string())?;
            Ok(set)
        }
        Some(Format::Npz) => npy::read_npz_file(path).with_context(|| path.display().to_string()),
        Some(Format::Safetensors) => {
            safetensors_io::read_safetensors_file(path).with_context(|| path.display().to_string())
        }
        Some(Format::Hdf5) => hdf5::load_hdf5(path, None),
        Some(Format::Gifti) => surface::load_gifti(path),
        Some(Format::Cifti) => surface::load_cifti(path),
        Some(Format::Mat) => mat::load_mat(path, None),
        None => Err(Error::UnsupportedFile {
            path: path.to_path_buf(),
            detail: format!("unknown file type; repscope reads {SUPPORTED}"),
        }),
    }
}

/// One variable or dataset of a container file (`file.h5:/group/x`).
fn load_inner(file: &Path, inner: &str) -> Result<RepSet> {
    match Format::from_path(file) {
        Some(Format::Hdf5) => hdf5::load_hdf5(file, Some(inner)),
        Some(Format::Mat) => mat::load_mat(file, Some(inner)),
        _ => Err(Error::UnsupportedFile {
            path: file.to_path_buf(),
            detail: "only HDF5 and MATLAB files hold named datasets (FILE:/path)".into(),
        }),
    }
}

/// The array files of a folder (those with a format's extension), in
/// natural order of names (`layer2` before `layer10`); an error when there
/// are none.
pub(crate) fn array_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_file() && Format::from_path(&path).is_some() {
            files.push(path);
        }
    }
    files.sort_by(|a, b| natord::compare(&a.to_string_lossy(), &b.to_string_lossy()));
    if files.is_empty() {
        return Err(Error::UnsupportedFile {
            path: dir.to_path_buf(),
            detail: format!("the folder holds no array files ({SUPPORTED})"),
        });
    }
    Ok(files)
}

fn load_folder(dir: &Path) -> Result<RepSet> {
    let files = array_files(dir)?;
    let mut set = RepSet::new();
    for file in &files {
        let part = load(file)?;
        let stem = npy::array_name_from_path(file);
        let single = part.len() == 1;
        let part_stimuli = part.stimuli().map(<[String]>::to_vec);
        let (names, mats, _) = part.into_parts();
        for (name, x) in names.into_iter().zip(mats) {
            let full = if single {
                stem.clone()
            } else {
                format!("{stem}/{name}")
            };
            set.push(full, x)
                .with_context(|| file.display().to_string())?;
        }
        if set.stimuli().is_none()
            && let Some(stimuli) = part_stimuli
        {
            set.set_stimuli(stimuli)
                .with_context(|| file.display().to_string())?;
        }
    }
    Ok(set)
}

/// Writes a RepSet; the format follows the extension. `.npy` takes exactly
/// one representation; `.npz` is written compressed.
pub fn save(path: &Path, set: &RepSet, store_as: StoreAs) -> Result<()> {
    match Format::from_path(path) {
        Some(Format::Npy) => match set.views()[..] {
            [only] => npy::write_npy_file(path, only.x),
            _ => Err(Error::UnsupportedFile {
                path: path.to_path_buf(),
                detail: format!(
                    ".npy holds one array but this set has {}; write .npz or .safetensors",
                    set.len()
                ),
            }),
        },
        Some(Format::Npz) => npy::write_npz_file(path, set, true),
        Some(Format::Safetensors) => safetensors_io::write_safetensors_file(path, set, store_as),
        Some(Format::Hdf5) => hdf5::save_hdf5(path, set, store_as),
        Some(Format::Gifti | Format::Cifti | Format::Mat) | None => Err(Error::UnsupportedFile {
            path: path.to_path_buf(),
            detail: "unknown output type; use .npy, .npz, .safetensors or .h5".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    #[test]
    fn folder_is_read_in_natural_order() {
        let dir = tempfile::tempdir().unwrap();
        for (i, name) in ["layer10", "layer2", "layer1"].iter().enumerate() {
            let x = Mat::from_fn(3, 2, |r, c| (i * 100 + r * 2 + c) as f64);
            npy::write_npy_file(&dir.path().join(format!("{name}.npy")), x.as_ref()).unwrap();
        }
        std::fs::write(dir.path().join("README.txt"), "ignored").unwrap();
        let set = load(dir.path()).unwrap();
        assert_eq!(set.names(), ["layer1", "layer2", "layer10"]);
    }

    #[test]
    fn unknown_extension_and_missing_file_are_clear() {
        let e = load(Path::new("/nonexistent/x.npy")).unwrap_err();
        assert!(e.is_file_error());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        std::fs::write(&p, "1,2").unwrap();
        let e = load(&p).unwrap_err();
        assert!(e.to_string().contains("unknown file type"), "{e}");
    }
}
