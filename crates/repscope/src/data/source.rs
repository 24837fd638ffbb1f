//! Representations loaded one at a time, for sets larger than memory.
//!
//! A [`RepSource`] knows the names and the number of stimuli of its
//! representations and loads any one on demand, whole or by blocks of
//! rows: a folder of array files (one representation per file), a
//! `.safetensors` file (only the bytes of the requested tensor or rows are
//! read) or an HDF5 file (only the chunks holding the requested rows are
//! read and decompressed). The streaming pairwise engine holds at most two
//! prepared representations per worker; [`summarize`] walks a
//! representation larger than memory block by block.

use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use faer::{Mat, MatRef};
use safetensors::Dtype;

use super::hdf5::{self, Hdf5File};
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
    /// Stimuli × units of representation `i` (from the file's header
    /// where the format has one; otherwise by loading it).
    fn shape(&self, i: usize) -> Result<(usize, usize)> {
        let x = self.load(i)?;
        Ok((x.nrows(), x.ncols()))
    }
    /// Rows `rows` of representation `i` (only those are read where the
    /// format allows; otherwise the whole representation is loaded).
    fn load_rows(&self, i: usize, rows: Range<usize>) -> Result<Mat<f64>> {
        let x = self.load(i)?;
        check_rows(self.name(i), &rows, x.nrows())?;
        Ok(x.subrows(rows.start, rows.len()).to_owned())
    }
    /// Rows `rows` of representation `i` as row-major values (rows ×
    /// units): what numpy holds, without the column-major matrix between.
    fn load_rows_row_major(&self, i: usize, rows: Range<usize>) -> Result<Vec<f64>> {
        Ok(crate::linalg::layout::to_row_major(
            self.load_rows(i, rows)?.as_ref(),
        ))
    }
    /// The stimulus labels stored with the representations, if any.
    fn stimuli(&self) -> Option<&[String]> {
        None
    }
}

fn check_rows(name: &str, rows: &Range<usize>, n: usize) -> Result<()> {
    if rows.start > rows.end || rows.end > n {
        return Err(Error::OutOfRange {
            what: format!("rows of '{name}'"),
            value: format!("{}..{}", rows.start, rows.end),
            expected: format!("a range within 0..{n}"),
        });
    }
    Ok(())
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
        let bytes = self.read_bytes(e, e.start, e.end)?;
        to_matrix(&e.name, e.dtype, &e.shape, &bytes)
            .with_context(|| self.path.display().to_string())
    }

    fn shape(&self, i: usize) -> Result<(usize, usize)> {
        let e = &self.entries[i];
        match e.shape[..] {
            [rows, cols] => Ok((rows, cols)),
            _ => Err(Error::NotTwoDimensional {
                array: e.name.clone(),
                shape: e.shape.clone(),
            }),
        }
    }

    fn load_rows(&self, i: usize, rows: Range<usize>) -> Result<Mat<f64>> {
        let e = &self.entries[i];
        let (n, cols) = self.shape(i)?;
        check_rows(&e.name, &rows, n)?;
        let bits = e.dtype.bitsize();
        if rows.is_empty() {
            return Ok(Mat::zeros(0, cols));
        }
        if bits % 8 != 0 {
            // Sub-byte types do not split at row boundaries in general.
            let x = self.load(i)?;
            return Ok(x.subrows(rows.start, rows.len()).to_owned());
        }
        let row_bytes = (cols * bits / 8) as u64;
        let start = e.start + rows.start as u64 * row_bytes;
        let bytes = self.read_bytes(e, start, start + rows.len() as u64 * row_bytes)?;
        to_matrix(&e.name, e.dtype, &[rows.len(), cols], &bytes)
            .with_context(|| self.path.display().to_string())
    }

    fn stimuli(&self) -> Option<&[String]> {
        self.stimuli.as_deref()
    }
}

impl SafetensorsSource {
    /// Bytes `start..end` of the file (within tensor `e`).
    fn read_bytes(&self, e: &TensorEntry, start: u64, end: u64) -> Result<Vec<u8>> {
        let path = &self.path;
        let mut file = std::fs::File::open(path).map_err(|err| Error::io(path, err))?;
        file.seek(SeekFrom::Start(start))
            .map_err(|err| Error::io(path, err))?;
        let mut bytes = vec![0u8; (end - start) as usize];
        file.read_exact(&mut bytes).map_err(|_| {
            Error::format(
                path,
                format!("tensor '{}' is truncated", e.name),
                "re-create the file",
            )
        })?;
        Ok(bytes)
    }
}

/// The numeric datasets of an HDF5 file (or the one named), read by rows.
///
/// The file is opened again for each read: the HDF5 reader is not shared
/// between threads, and opening costs a few small reads of metadata.
pub struct Hdf5Source {
    path: PathBuf,
    names: Vec<String>,
    shapes: Vec<(usize, usize)>,
    stimuli: Option<Vec<String>>,
}

impl Hdf5Source {
    /// Opens every representation of a file (as `load` reads it), or only
    /// `dataset`. A file in rsatoolbox's `Dataset` layout is not a stream
    /// of representations: `load` reads it.
    pub fn open(path: &Path, dataset: Option<&str>) -> Result<Self> {
        let file = Hdf5File::open(path)?;
        let names = match dataset.filter(|d| !d.is_empty()) {
            Some(d) => vec![d.trim_start_matches('/').to_string()],
            None if hdf5::is_rsatoolbox_dataset(&file) => {
                return Err(Error::UnsupportedFile {
                    path: path.to_path_buf(),
                    detail: "an rsatoolbox Dataset is read whole; load it, or name its \
                             measurements as FILE.h5:/measurements to stream them"
                        .into(),
                });
            }
            None => hdf5::representation_names(&file)?,
        };
        let shapes = names
            .iter()
            .map(|n| file.matrix_shape(n))
            .collect::<Result<Vec<_>>>()?;
        let stimuli = match dataset {
            Some(_) => None,
            None => hdf5::stored_stimuli(&file)?,
        };
        Ok(Self {
            path: path.to_path_buf(),
            names,
            shapes,
            stimuli,
        })
    }
}

impl RepSource for Hdf5Source {
    fn len(&self) -> usize {
        self.names.len()
    }

    fn name(&self, i: usize) -> &str {
        &self.names[i]
    }

    fn load(&self, i: usize) -> Result<Mat<f64>> {
        Hdf5File::open(&self.path)?.read_matrix(&self.names[i])
    }

    fn shape(&self, i: usize) -> Result<(usize, usize)> {
        Ok(self.shapes[i])
    }

    fn load_rows(&self, i: usize, rows: Range<usize>) -> Result<Mat<f64>> {
        Hdf5File::open(&self.path)?.read_rows(&self.names[i], rows)
    }

    fn load_rows_row_major(&self, i: usize, rows: Range<usize>) -> Result<Vec<f64>> {
        Hdf5File::open(&self.path)?.read_rows_row_major(&self.names[i], rows)
    }

    fn stimuli(&self) -> Option<&[String]> {
        self.stimuli.as_deref()
    }
}

/// Opens a folder, a `.safetensors` file or an HDF5 file (`FILE.h5` or
/// `FILE.h5:/dataset`) as a source.
pub fn open_source(path: &Path) -> Result<Box<dyn RepSource>> {
    if path.is_dir() {
        return Ok(Box::new(FolderSource::open(path)?));
    }
    if let Some((file, inner)) = hdf5::split_inner_path(path) {
        if Format::from_path(&file) == Some(Format::Hdf5) {
            return Ok(Box::new(Hdf5Source::open(&file, Some(&inner))?));
        }
    }
    match Format::from_path(path) {
        Some(Format::Safetensors) => Ok(Box::new(SafetensorsSource::open(path)?)),
        Some(Format::Hdf5) => Ok(Box::new(Hdf5Source::open(path, None)?)),
        _ => Err(Error::UnsupportedFile {
            path: path.to_path_buf(),
            detail: "streaming reads a folder of array files, a .safetensors file or an HDF5 file"
                .into(),
        }),
    }
}

/// The name and stimuli × units of every representation in `path`, read
/// from the files' headers where the format has them (`.npy`, `.npz`,
/// `.safetensors`, HDF5, and folders of those); other formats are loaded.
/// What a preflight needs to size a job before reading its data.
pub fn shapes(path: &Path) -> Result<Vec<(String, (usize, usize))>> {
    let from_source = |source: Box<dyn RepSource>| -> Result<Vec<(String, (usize, usize))>> {
        (0..source.len())
            .map(|i| Ok((source.name(i).to_string(), source.shape(i)?)))
            .collect()
    };
    if path.is_dir() {
        // As `load` names a folder's arrays: the file's stem, or
        // `stem/array` for a file that holds several.
        let folder = FolderSource::open(path)?;
        let mut all = Vec::new();
        for (file, stem) in folder.files.iter().zip(&folder.names) {
            let inner = shapes(file)?;
            if let [(_, shape)] = inner.as_slice() {
                all.push((stem.clone(), *shape));
            } else {
                all.extend(inner.into_iter().map(|(n, s)| (format!("{stem}/{n}"), s)));
            }
        }
        return Ok(all);
    }
    if let Some((file, _)) = hdf5::split_inner_path(path)
        && !path.exists()
        && Format::from_path(&file) == Some(Format::Hdf5)
    {
        return from_source(open_source(path)?);
    }
    match Format::from_path(path) {
        Some(Format::Npy | Format::Npz) => super::npy::array_shapes(path),
        // An rsatoolbox Dataset file is not a source of rows: read whole.
        Some(Format::Safetensors | Format::Hdf5) => match open_source(path) {
            Ok(source) => from_source(source),
            Err(_) => loaded(path),
        },
        _ => loaded(path),
    }
}

/// The shapes of a file without headers to read them from: loaded.
fn loaded(path: &Path) -> Result<Vec<(String, (usize, usize))>> {
    Ok(load(path)?
        .views()
        .iter()
        .map(|r| (r.name.to_string(), (r.x.nrows(), r.x.ncols())))
        .collect())
}

/// What `repscope info` shows of one representation.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub stimuli: usize,
    pub units: usize,
    /// The smallest and largest finite values (±∞ when there are none).
    pub min: f64,
    pub max: f64,
    /// The mean of the finite values (NaN when there are none).
    pub mean: f64,
    /// The number of NaN and infinite values.
    pub non_finite: usize,
}

/// Values per block when a representation is summarised by blocks of
/// rows: 8 Mi values, 64 MB as float64.
const BLOCK_VALUES: usize = 8 << 20;

/// Running extremes, sum and counts of the values seen so far.
struct Tally {
    min: f64,
    max: f64,
    sum: f64,
    finite: usize,
    non_finite: usize,
}

impl Tally {
    fn new() -> Self {
        Self {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
            finite: 0,
            non_finite: 0,
        }
    }

    fn add(&mut self, x: MatRef<'_, f64>) {
        // A sum per block, then added: less rounding than one running sum
        // over billions of values.
        let mut block_sum = 0.0;
        for col in x.col_iter() {
            for &v in col.iter() {
                if v.is_finite() {
                    self.min = self.min.min(v);
                    self.max = self.max.max(v);
                    block_sum += v;
                    self.finite += 1;
                } else {
                    self.non_finite += 1;
                }
            }
        }
        self.sum += block_sum;
    }

    fn summary(&self, stimuli: usize, units: usize) -> Summary {
        Summary {
            stimuli,
            units,
            min: self.min,
            max: self.max,
            mean: if self.finite > 0 {
                self.sum / self.finite as f64
            } else {
                f64::NAN
            },
            non_finite: self.non_finite,
        }
    }
}

/// Summarises a representation in memory.
pub fn summarize_matrix(x: MatRef<'_, f64>) -> Summary {
    let mut tally = Tally::new();
    tally.add(x);
    tally.summary(x.nrows(), x.ncols())
}

/// Summarises representation `i` block by block, so memory stays at one
/// block of rows (about 64 MB) whatever its size.
pub fn summarize(source: &dyn RepSource, i: usize) -> Result<Summary> {
    let (stimuli, units) = source.shape(i)?;
    let block = (BLOCK_VALUES / units.max(1)).max(1);
    let mut tally = Tally::new();
    for start in (0..stimuli).step_by(block) {
        crate::interrupt::check()?;
        let rows = source.load_rows(i, start..(start + block).min(stimuli))?;
        tally.add(rows.as_ref());
    }
    Ok(tally.summary(stimuli, units))
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

    #[test]
    fn rows_and_summaries_agree_with_whole_loads_in_every_format() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = RepSet::new();
        set.push("a", Mat::from_fn(7, 3, |r, c| (r * 3 + c) as f64 - 4.5))
            .unwrap();
        set.push(
            "b",
            Mat::from_fn(7, 5, |r, c| ((r + 1) * (c + 2)) as f64 / 7.0),
        )
        .unwrap();
        let st = dir.path().join("reps.safetensors");
        save(&st, &set, StoreAs::F64).unwrap();
        let h5 = dir.path().join("reps.h5");
        save(&h5, &set, StoreAs::F64).unwrap();
        let folder = dir.path().join("layers");
        std::fs::create_dir(&folder).unwrap();
        for rep in set.views() {
            crate::data::npy::write_npy_file(&folder.join(format!("{}.npy", rep.name)), rep.x)
                .unwrap();
        }
        for path in [&st, &h5, &folder] {
            let source = open_source(path).unwrap();
            assert_eq!(source.len(), 2, "{}", path.display());
            for i in 0..2 {
                let whole = set.get(source.name(i)).unwrap();
                assert_eq!(source.shape(i).unwrap(), (7, whole.ncols()));
                let rows = source.load_rows(i, 2..5).unwrap();
                assert_eq!(rows.as_ref(), whole.subrows(2, 3), "{}", path.display());
                assert_eq!(source.load_rows(i, 4..4).unwrap().nrows(), 0);
                assert!(source.load_rows(i, 5..8).is_err());
                let s = summarize(source.as_ref(), i).unwrap();
                let m = summarize_matrix(whole);
                assert_eq!((s.min, s.max, s.non_finite), (m.min, m.max, m.non_finite));
                assert!((s.mean - m.mean).abs() < 1e-12);
            }
        }
        let one = open_source(&dir.path().join("reps.h5:/b")).unwrap();
        assert_eq!((one.len(), one.name(0)), (1, "b"));
        assert_eq!(one.load(0).unwrap().as_ref(), set.get("b").unwrap());
    }
}
