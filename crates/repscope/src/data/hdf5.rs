//! HDF5 files (`.h5`, `.hdf5`): any numeric dataset by its path in the
//! file, read whole or a block of rows at a time, and RepSets written back.
//!
//! - A dataset is named `file.h5:/group/dataset` (see [`split_inner_path`]).
//!   Contiguous, compact and chunked layouts are read, with the deflate
//!   (gzip), shuffle, Fletcher-32 and LZF filters; float16/32/64 and 8- to
//!   64-bit integers of either byte order become `f64`.
//! - A dataset of rank ≥ 2 is a representation: the first axis is the
//!   stimuli, the others are flattened in C order (h5py's, numpy's) into
//!   units. A 1-D dataset named explicitly is one unit per stimulus.
//! - [`Hdf5File::read_rows`] reads a block of stimuli only, so a dataset
//!   larger than memory is summarised or streamed block by block.
//! - repscope's own layout ([`save_hdf5`]): one dataset per representation
//!   at its name, and a `_repscope` group holding the representation order
//!   and the stimulus labels as string datasets, which h5py reads as they
//!   are.
//! - rsatoolbox's layout (`Dataset.save`, `RDMs.save`) is read and written
//!   by [`rsatoolbox`](super::rsatoolbox).
//!
//! The reader is rust-hdf5, a pure-Rust implementation of the format: no
//! C library to install or link, so `pip install .` and `cargo build` need
//! nothing from the system, and malformed files come back as errors rather
//! than as aborts inside C code.

use std::ops::Range;
use std::path::{Path, PathBuf};

use faer::Mat;
use rust_hdf5::{DatatypeMessage, H5Dataset, H5File, H5Group};

use super::RepSet;
use super::atomic::write_path_atomically;
use super::safetensors_io::StoreAs;
use crate::error::{Error, Result, ResultExt};
use crate::linalg::layout::from_row_major;

/// The group of repscope's bookkeeping datasets in files it writes.
pub const META_GROUP: &str = "_repscope";
const ORDER: &str = "_repscope/order";
const STIMULI: &str = "_repscope/stimuli";

/// File extensions read as HDF5.
pub const EXTENSIONS: &[&str] = &["h5", "hdf5", "he5"];

/// Splits `file.h5:/group/dataset` into the file and the dataset path; a
/// path without `:` after an HDF5 or MATLAB extension is returned whole.
pub fn split_inner_path(path: &Path) -> Option<(PathBuf, String)> {
    let text = path.to_str()?;
    let lower = text.to_ascii_lowercase();
    for ext in EXTENSIONS.iter().chain(&["mat"]) {
        let marker = format!(".{ext}:");
        if let Some(at) = lower.find(&marker) {
            let split = at + marker.len() - 1;
            let inner = text[split + 1..].trim_start_matches('/');
            return Some((PathBuf::from(&text[..split]), inner.to_string()));
        }
    }
    None
}

/// What a dataset holds, for listings and error messages.
#[derive(Clone, Debug, PartialEq)]
pub struct DatasetInfo {
    /// The path in the file, without a leading `/`.
    pub name: String,
    pub shape: Vec<usize>,
    /// `float32`, `int16`, `string`, … (`other` for compound and opaque types).
    pub dtype: String,
}

impl DatasetInfo {
    /// True for datasets of numbers (read as representations).
    pub fn is_numeric(&self) -> bool {
        self.dtype.starts_with("float") || self.dtype.contains("int")
    }
}

/// The stored number types, each read into `f64`.
#[derive(Clone, Copy, Debug)]
enum Numeric {
    F16,
    F32,
    F64,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
}

impl Numeric {
    fn of(dt: &DatatypeMessage) -> Option<Numeric> {
        match *dt {
            DatatypeMessage::FloatingPoint { size: 2, .. } => Some(Numeric::F16),
            DatatypeMessage::FloatingPoint { size: 4, .. } => Some(Numeric::F32),
            DatatypeMessage::FloatingPoint { size: 8, .. } => Some(Numeric::F64),
            DatatypeMessage::FixedPoint { size, signed, .. } => match (size, signed) {
                (1, true) => Some(Numeric::I8),
                (2, true) => Some(Numeric::I16),
                (4, true) => Some(Numeric::I32),
                (8, true) => Some(Numeric::I64),
                (1, false) => Some(Numeric::U8),
                (2, false) => Some(Numeric::U16),
                (4, false) => Some(Numeric::U32),
                (8, false) => Some(Numeric::U64),
                _ => None,
            },
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Numeric::F16 => "float16",
            Numeric::F32 => "float32",
            Numeric::F64 => "float64",
            Numeric::I8 => "int8",
            Numeric::I16 => "int16",
            Numeric::I32 => "int32",
            Numeric::I64 => "int64",
            Numeric::U8 => "uint8",
            Numeric::U16 => "uint16",
            Numeric::U32 => "uint32",
            Numeric::U64 => "uint64",
        }
    }

    fn is_integer(self) -> bool {
        !matches!(self, Numeric::F16 | Numeric::F32 | Numeric::F64)
    }
}

fn dtype_name(dt: &DatatypeMessage) -> String {
    if let Some(n) = Numeric::of(dt) {
        return n.name().to_string();
    }
    match dt {
        DatatypeMessage::FixedString { .. } | DatatypeMessage::VarLenString { .. } => {
            "string".into()
        }
        DatatypeMessage::Enum { .. } => "enum".into(),
        DatatypeMessage::Compound { .. } => "compound".into(),
        _ => "other".into(),
    }
}

/// An open HDF5 file.
pub struct Hdf5File {
    path: PathBuf,
    file: H5File,
    /// The file's length, which bounds what its chunks may decode to.
    len: u64,
}

fn corrupt(path: &Path, e: rust_hdf5::Hdf5Error) -> Error {
    Error::format(
        path,
        format!("the HDF5 file cannot be read ({e})"),
        "it may be truncated or not HDF5; check that h5py or h5dump opens it, or re-save it",
    )
}

impl Hdf5File {
    /// Opens a file for reading.
    pub fn open(path: &Path) -> Result<Hdf5File> {
        let len = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len();
        check_not_truncated(path, len)?;
        let file = H5File::open(path).map_err(|e| corrupt(path, e))?;
        Ok(Hdf5File {
            path: path.to_path_buf(),
            file,
            len,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every dataset in the file (groups searched recursively), with its
    /// shape and type, in the file's order of names.
    pub fn datasets(&self) -> Vec<DatasetInfo> {
        self.file
            .dataset_names()
            .into_iter()
            .filter_map(|name| {
                let ds = self.file.dataset(&name).ok()?;
                let dtype = ds.datatype().map(|d| dtype_name(&d)).unwrap_or_default();
                Some(DatasetInfo {
                    shape: ds.shape(),
                    name,
                    dtype,
                })
            })
            .collect()
    }

    fn dataset(&self, name: &str) -> Result<H5Dataset> {
        let name = name.trim_start_matches('/');
        self.file
            .dataset(name)
            .map_err(|_| Error::UnknownRepresentation {
                set: self.path.display().to_string(),
                name: name.to_string(),
                known: self.datasets().into_iter().map(|d| d.name).collect(),
            })
    }

    /// True when the file has a dataset at `name`.
    pub fn has(&self, name: &str) -> bool {
        self.file.dataset(name.trim_start_matches('/')).is_ok()
    }

    /// True for a dataset with a null dataspace (h5py's `Empty`, how
    /// rsatoolbox stores `None`).
    pub fn is_null(&self, name: &str) -> Result<bool> {
        Ok(self.dataset(name)?.is_null())
    }

    /// A string attribute of a dataset, if it has one.
    pub fn dataset_attr(&self, name: &str, attr: &str) -> Option<String> {
        self.dataset(name).ok()?.attr(attr).ok()?.read_string().ok()
    }

    /// The shape and type of one dataset.
    pub fn info(&self, name: &str) -> Result<DatasetInfo> {
        let ds = self.dataset(name)?;
        let dtype = ds.datatype().map_err(|e| corrupt(&self.path, e))?;
        Ok(DatasetInfo {
            name: name.trim_start_matches('/').to_string(),
            shape: ds.shape(),
            dtype: dtype_name(&dtype),
        })
    }

    fn numeric(&self, name: &str, ds: &H5Dataset) -> Result<Numeric> {
        let dt = ds.datatype().map_err(|e| corrupt(&self.path, e))?;
        Numeric::of(&dt).ok_or_else(|| Error::UnsupportedDtype {
            array: format!("{}:/{}", self.path.display(), name),
            dtype: dtype_name(&dt),
        })
    }

    /// True when the dataset stores integers (e.g. an index descriptor).
    pub fn is_integer(&self, name: &str) -> Result<bool> {
        let ds = self.dataset(name)?;
        Ok(self.numeric(name, &ds)?.is_integer())
    }

    /// The values of a hyperslab (`starts`, `counts` per axis) in C order.
    pub fn read_values(&self, name: &str, starts: &[usize], counts: &[usize]) -> Result<Vec<f64>> {
        let ds = self.dataset(name)?;
        let kind = self.numeric(name, &ds)?;
        self.check_sizes(name, &ds, counts)?;
        let fail = |e| corrupt(&self.path, e);
        fn widen<T: Copy>(v: Vec<T>, f: impl Fn(T) -> f64) -> Vec<f64> {
            v.into_iter().map(f).collect()
        }
        let values = if ds.shape().is_empty() {
            // A scalar has no axes to slice.
            match kind {
                Numeric::F64 => ds.read_raw::<f64>().map_err(fail)?,
                _ => ds
                    .read_numeric_as::<i64>()
                    .map(|v| widen(v, |x| x as f64))
                    .or_else(|_| {
                        ds.read_raw::<f32>()
                            .map(|v| widen(v, f64::from))
                            .map_err(fail)
                    })?,
            }
        } else {
            match kind {
                Numeric::F16 => widen(ds.read_slice::<u16>(starts, counts).map_err(fail)?, |b| {
                    half::f16::from_bits(b).to_f64()
                }),
                Numeric::F32 => widen(
                    ds.read_slice::<f32>(starts, counts).map_err(fail)?,
                    f64::from,
                ),
                Numeric::F64 => ds.read_slice::<f64>(starts, counts).map_err(fail)?,
                Numeric::I8 => widen(
                    ds.read_slice::<i8>(starts, counts).map_err(fail)?,
                    f64::from,
                ),
                Numeric::I16 => widen(
                    ds.read_slice::<i16>(starts, counts).map_err(fail)?,
                    f64::from,
                ),
                Numeric::I32 => widen(
                    ds.read_slice::<i32>(starts, counts).map_err(fail)?,
                    f64::from,
                ),
                Numeric::I64 => widen(ds.read_slice::<i64>(starts, counts).map_err(fail)?, |x| {
                    x as f64
                }),
                Numeric::U8 => widen(
                    ds.read_slice::<u8>(starts, counts).map_err(fail)?,
                    f64::from,
                ),
                Numeric::U16 => widen(
                    ds.read_slice::<u16>(starts, counts).map_err(fail)?,
                    f64::from,
                ),
                Numeric::U32 => widen(
                    ds.read_slice::<u32>(starts, counts).map_err(fail)?,
                    f64::from,
                ),
                Numeric::U64 => widen(ds.read_slice::<u64>(starts, counts).map_err(fail)?, |x| {
                    x as f64
                }),
            }
        };
        Ok(values)
    }

    /// Refuses a read whose sizes, taken from the file, cannot be real: the
    /// values asked for past [`super::limits::read_cap`], or a chunk that
    /// would decode to more than the whole file can hold at deflate's
    /// ratio (the HDF5 reader allocates a chunk's declared size at once).
    fn check_sizes(&self, name: &str, ds: &H5Dataset, counts: &[usize]) -> Result<()> {
        use super::limits::{MAX_DEFLATE_RATIO, check_allocation};
        let what = format!("dataset '{name}'");
        let bytes = |dims: &[usize]| {
            dims.iter()
                .try_fold(8u64, |b, &d| b.checked_mul(d as u64))
                .unwrap_or(u64::MAX)
        };
        // What the file can hold: its bytes, compressed at most at deflate's
        // ratio. A dataset declaring more is mostly fill values (HDF5 allows
        // it) or corrupt; either way reading it would allocate what no
        // stored byte backs, so it is refused before the allocation.
        let most = self
            .len
            .saturating_mul(MAX_DEFLATE_RATIO)
            .saturating_add(1 << 20);
        let wanted = bytes(counts);
        if wanted > most {
            return Err(Error::format(
                &self.path,
                format!(
                    "{what} declares {wanted} bytes of values, more than a file of {} bytes can \
                     hold even compressed",
                    self.len
                ),
                "the file is corrupt, or the dataset is mostly unwritten fill values: read a \
                 part of it (rows) or re-save it",
            ));
        }
        check_allocation(wanted, &self.path, &what)?;
        if let Some(chunk) = ds.chunk_dims() {
            let chunk_bytes = bytes(&chunk);
            if chunk_bytes > most {
                return Err(Error::format(
                    &self.path,
                    format!(
                        "{what} declares chunks of {chunk_bytes} bytes, more than a file of {} \
                         bytes can hold",
                        self.len
                    ),
                    "the file is corrupt; check that h5py opens it, or re-save it",
                ));
            }
            check_allocation(chunk_bytes, &self.path, &format!("a chunk of {what}"))?;
        }
        Ok(())
    }

    /// A whole numeric dataset: its shape and its values in C order.
    pub fn read_array(&self, name: &str) -> Result<(Vec<usize>, Vec<f64>)> {
        let shape = self.dataset(name)?.shape();
        let starts = vec![0; shape.len()];
        let values = self.read_values(name, &starts, &shape)?;
        Ok((shape, values))
    }

    /// Rows `rows` of a dataset as stimuli × units (trailing axes
    /// flattened in C order); only those rows are read from the file.
    pub fn read_rows(&self, name: &str, rows: Range<usize>) -> Result<Mat<f64>> {
        let (_, units) = self.matrix_shape(name)?;
        let values = self.read_rows_row_major(name, rows.clone())?;
        from_row_major(&values, rows.len(), units, |v| v)
    }

    /// Rows `rows` of a dataset as row-major values (rows × units), as the
    /// file stores them: only those rows are read.
    pub fn read_rows_row_major(&self, name: &str, rows: Range<usize>) -> Result<Vec<f64>> {
        let shape = self.dataset(name)?.shape();
        let (n, _) = self.matrix_shape(name)?;
        if rows.start > rows.end || rows.end > n {
            return Err(Error::OutOfRange {
                what: format!("rows of '{name}'"),
                value: format!("{}..{}", rows.start, rows.end),
                expected: format!("a range within 0..{n}"),
            });
        }
        let mut starts = vec![0; shape.len()];
        let mut counts = shape;
        starts[0] = rows.start;
        counts[0] = rows.len();
        self.read_values(name, &starts, &counts)
    }

    /// Stimuli × units of a dataset read as a representation (trailing
    /// axes flattened; 1-D: one unit), from its header alone.
    pub fn matrix_shape(&self, name: &str) -> Result<(usize, usize)> {
        let shape = self.dataset(name)?.shape();
        let array = format!("{}:/{}", self.path.display(), name.trim_start_matches('/'));
        let (rows, cols) = matrix_shape(&shape).ok_or_else(|| Error::NotTwoDimensional {
            array: array.clone(),
            shape,
        })?;
        // An empty dataset has nothing to read (and a zero-row matrix of
        // 10¹² declared columns would still be walked column by column).
        if rows == 0 || cols == 0 {
            return Err(Error::Empty { array, rows, cols });
        }
        Ok((rows, cols))
    }

    /// A whole dataset as stimuli × units (see [`Hdf5File::read_rows`]).
    pub fn read_matrix(&self, name: &str) -> Result<Mat<f64>> {
        let n = self.dataset(name)?.shape().first().copied().unwrap_or(0);
        self.read_rows(name, 0..n)
    }

    /// A string dataset (fixed-length or variable-length), one per element.
    pub fn read_strings(&self, name: &str) -> Result<Vec<String>> {
        self.dataset(name)?
            .read_strings_lossy()
            .map_err(|e| corrupt(&self.path, e))
    }

    /// Values of any dataset as labels: strings as they are, numbers
    /// printed (integers without a decimal point).
    pub fn read_labels(&self, name: &str) -> Result<Vec<String>> {
        let info = self.info(name)?;
        if info.dtype == "string" {
            return self.read_strings(name);
        }
        let (_, values) = self.read_array(name)?;
        Ok(values.iter().map(|v| format_label(*v)).collect())
    }

    /// A group by path (`""` is the root).
    pub fn group(&self, path: &str) -> Result<H5Group> {
        let mut group = self.file.root_group();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            group = group
                .group(part)
                .map_err(|_| Error::UnknownRepresentation {
                    set: self.path.display().to_string(),
                    name: path.to_string(),
                    known: self.datasets().into_iter().map(|d| d.name).collect(),
                })?;
        }
        Ok(group)
    }

    /// A string attribute of a group, if it has one.
    pub fn group_attr(&self, group: &str, attr: &str) -> Option<String> {
        self.group(group).ok()?.attr_string(attr).ok()
    }
}

/// The HDF5 signature, at byte 0 or after a user block of 512 · 2^k bytes.
const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// Refuses a file shorter than the end-of-file address its superblock
/// records (libhdf5's "truncated file" check): a cut at the end may leave
/// every object header readable while data are missing.
fn check_not_truncated(path: &Path, len: u64) -> Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return Ok(()); // the open below reports it
    };
    let mut at = 0u64;
    while at + 64 <= len {
        let mut head = [0u8; 64];
        if f.seek(SeekFrom::Start(at)).is_err() || f.read_exact(&mut head).is_err() {
            return Ok(());
        }
        if &head[..8] == SIGNATURE {
            if let Some(end) = declared_end(&head)
                && end > len
            {
                return Err(Error::format(
                    path,
                    format!(
                        "the file is {len} bytes but its superblock says it ends at byte {end}"
                    ),
                    "the file is truncated (an interrupted copy or download?); copy it again",
                ));
            }
            return Ok(());
        }
        at = if at == 0 { 512 } else { at * 2 };
    }
    Ok(())
}

/// The end-of-file address of a superblock that starts at `head[0]`, for
/// 8-byte offsets (what every writer uses). libhdf5 writes it as the
/// whole file's length even after a user block (MATLAB v7.3), so the
/// base address is not added.
fn declared_end(head: &[u8; 64]) -> Option<u64> {
    let u64_at = |i: usize| Some(u64::from_le_bytes(head.get(i..i + 8)?.try_into().ok()?));
    match head[8] {
        // Versions 0 and 1: sizes at 13, then base, free-space, EOF.
        0 if head[13] == 8 => u64_at(40),
        1 if head[13] == 8 => u64_at(44),
        // Versions 2 and 3: sizes at 9, then base, extension, EOF.
        2 | 3 if head[9] == 8 => u64_at(28),
        _ => None,
    }
}

/// A label for a number: `3` rather than `3.0` for integers.
pub(crate) fn format_label(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Stimuli × units of a dataset shape (1-D: one unit), or `None` for a
/// scalar.
fn matrix_shape(shape: &[usize]) -> Option<(usize, usize)> {
    let (&n, rest) = shape.split_first()?;
    // Checked: a corrupt file's dimensions can overflow a product.
    let units = rest.iter().try_fold(1usize, |p, &d| p.checked_mul(d))?;
    Some((n, units))
}

/// The datasets a whole file is read as: repscope's stored order, else
/// every numeric dataset of rank ≥ 2 in the file's order of names; an
/// error listing the datasets when there is none.
pub(crate) fn representation_names(file: &Hdf5File) -> Result<Vec<String>> {
    let names: Vec<String> = if file.has(ORDER) {
        file.read_strings(ORDER)?
    } else {
        file.datasets()
            .into_iter()
            .filter(|d| d.is_numeric() && d.shape.len() >= 2)
            .map(|d| d.name)
            .filter(|n| !n.starts_with(META_GROUP))
            .collect()
    };
    if names.is_empty() {
        let listing: Vec<String> = file
            .datasets()
            .iter()
            .map(|d| format!("{} {:?} {}", d.name, d.shape, d.dtype))
            .collect();
        return Err(Error::UnsupportedFile {
            path: file.path().to_path_buf(),
            detail: format!(
                "no numeric dataset of rank 2 or more to read as a representation; name one as \
                 FILE.h5:/path (datasets: {})",
                if listing.is_empty() {
                    "none".to_string()
                } else {
                    listing.join(", ")
                }
            ),
        });
    }
    Ok(names)
}

/// The stimulus labels repscope stored in a file, if any.
pub(crate) fn stored_stimuli(file: &Hdf5File) -> Result<Option<Vec<String>>> {
    if file.has(STIMULI) {
        return Ok(Some(file.read_strings(STIMULI)?));
    }
    Ok(None)
}

/// True for a file in rsatoolbox's `Dataset` layout.
pub(crate) fn is_rsatoolbox_dataset(file: &Hdf5File) -> bool {
    file.group_attr("", "type")
        .is_some_and(|t| t.contains("Dataset"))
}

/// Reads a RepSet from an HDF5 file: the named dataset, or every numeric
/// dataset of rank ≥ 2 (in the stored order for files repscope wrote,
/// otherwise in the file's order of names), with the stimulus labels
/// repscope stored.
pub fn load_hdf5(path: &Path, dataset: Option<&str>) -> Result<RepSet> {
    let file = Hdf5File::open(path)?;
    let context = || path.display().to_string();
    let mut set = RepSet::new();
    if let Some(name) = dataset.filter(|n| !n.is_empty()) {
        let x = file.read_matrix(name)?;
        set.push(name.trim_start_matches('/'), x)
            .with_context(context)?;
        return Ok(set);
    }
    if is_rsatoolbox_dataset(&file) {
        return super::rsatoolbox::read_dataset(path)?.into_repset(path);
    }
    for name in representation_names(&file)? {
        let x = file.read_matrix(&name)?;
        set.push(name, x).with_context(context)?;
    }
    if let Some(stimuli) = stored_stimuli(&file)? {
        set.set_stimuli(stimuli).with_context(context)?;
    }
    Ok(set)
}

/// A failed HDF5 write, as an I/O error on the output path.
pub(crate) fn write_error(path: &Path, e: rust_hdf5::Hdf5Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Fixed-length UTF-8 strings, as h5py and rsatoolbox read them (`S` dtype,
/// decoded by `astype(str)`).
pub(crate) fn write_strings(
    group: &H5Group,
    name: &str,
    values: &[String],
    path: &Path,
) -> Result<()> {
    let width = values.iter().map(String::len).max().unwrap_or(0).max(1);
    let mut raw = Vec::with_capacity(values.len() * width);
    for v in values {
        raw.extend_from_slice(v.as_bytes());
        raw.resize(raw.len() + width - v.len(), 0);
    }
    let ds = group
        .new_dataset::<u8>()
        .datatype(DatatypeMessage::FixedString {
            size: width as u32,
            padding: 1,
            charset: 1,
        })
        .shape([values.len()])
        .create(name)
        .map_err(|e| write_error(path, e))?;
    ds.write_raw_bytes(&raw).map_err(|e| write_error(path, e))
}

/// A 2-D float dataset in C order (float64, or float32 when asked).
pub(crate) fn write_matrix(
    group: &H5Group,
    name: &str,
    rows: usize,
    cols: usize,
    value: impl Fn(usize, usize) -> f64,
    store_as: StoreAs,
    path: &Path,
) -> Result<()> {
    let fail = |e| write_error(path, e);
    match store_as {
        StoreAs::F32 => {
            let data: Vec<f32> = (0..rows * cols)
                .map(|k| value(k / cols, k % cols) as f32)
                .collect();
            let ds = group
                .new_dataset::<f32>()
                .shape([rows, cols])
                .create(name)
                .map_err(fail)?;
            ds.write_raw(&data).map_err(fail)
        }
        _ => {
            let data: Vec<f64> = (0..rows * cols)
                .map(|k| value(k / cols, k % cols))
                .collect();
            let ds = group
                .new_dataset::<f64>()
                .shape([rows, cols])
                .create(name)
                .map_err(fail)?;
            ds.write_raw(&data).map_err(fail)
        }
    }
}

/// The group that holds `name` and the dataset's own name within it,
/// creating the groups on its path that `created` does not list yet (a
/// writer cannot tell whether a group exists).
pub(crate) fn parent_group<'a>(
    file: &H5File,
    name: &'a str,
    created: &mut std::collections::HashSet<String>,
    path: &Path,
) -> Result<(H5Group, &'a str)> {
    let mut parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    let leaf = parts.pop().unwrap_or(name);
    let mut group = file.root_group();
    let mut so_far = String::new();
    for part in parts {
        so_far = format!("{so_far}/{part}");
        group = if created.insert(so_far.clone()) {
            group.create_group(part).map_err(|e| write_error(path, e))?
        } else {
            group.group(part).map_err(|e| write_error(path, e))?
        };
    }
    Ok((group, leaf))
}

/// Writes a RepSet as HDF5 (repscope's layout, see the module doc),
/// atomically. Names with `/` are stored in groups.
pub fn save_hdf5(path: &Path, set: &RepSet, store_as: StoreAs) -> Result<()> {
    if set.names().iter().any(|n| n.starts_with(META_GROUP)) {
        return Err(Error::Invalid {
            what: "representation name".into(),
            detail: format!("names starting with '{META_GROUP}' are reserved in HDF5 files"),
        });
    }
    write_path_atomically(path, |temp| {
        let file = H5File::create(temp).map_err(|e| write_error(path, e))?;
        let mut created = std::collections::HashSet::new();
        for rep in set.views() {
            let (group, leaf) = parent_group(&file, rep.name, &mut created, path)?;
            let x = rep.x;
            write_matrix(
                &group,
                leaf,
                x.nrows(),
                x.ncols(),
                |i, j| x[(i, j)],
                store_as,
                path,
            )?;
        }
        let meta = file
            .create_group(META_GROUP)
            .map_err(|e| write_error(path, e))?;
        write_strings(&meta, "order", set.names(), path)?;
        if let Some(stimuli) = set.stimuli() {
            write_strings(&meta, "stimuli", stimuli, path)?;
        }
        file.close().map_err(|e| write_error(path, e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_paths_split_after_the_extension() {
        assert_eq!(
            split_inner_path(Path::new("/d/betas.h5:/sub/x")),
            Some((PathBuf::from("/d/betas.h5"), "sub/x".into()))
        );
        assert_eq!(
            split_inner_path(Path::new("a.MAT:v")),
            Some((PathBuf::from("a.MAT"), "v".into()))
        );
        assert_eq!(split_inner_path(Path::new("/d/betas.h5")), None);
    }

    #[test]
    fn round_trip_with_groups_order_and_stimuli() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reps.h5");
        let mut set = RepSet::new();
        set.push("z", Mat::from_fn(3, 2, |i, j| (i * 2 + j) as f64 + 0.5))
            .unwrap();
        set.push("block/a", Mat::from_fn(3, 4, |i, j| (i as f64) - j as f64))
            .unwrap();
        set.set_stimuli(vec!["cat".into(), "dog".into(), "ünï".into()])
            .unwrap();
        save_hdf5(&path, &set, StoreAs::F64).unwrap();
        let back = load_hdf5(&path, None).unwrap();
        assert_eq!(back.names(), ["z", "block/a"]);
        assert_eq!(back.get("block/a").unwrap(), set.get("block/a").unwrap());
        assert_eq!(back.stimuli().unwrap(), set.stimuli().unwrap());
        let file = Hdf5File::open(&path).unwrap();
        assert_eq!(
            file.read_rows("block/a", 1..3).unwrap().as_ref(),
            set.get("block/a").unwrap().subrows(1, 2)
        );
        let one = load_hdf5(&path, Some("/z")).unwrap();
        assert_eq!(one.names(), ["z"]);
    }

    #[test]
    fn unknown_dataset_lists_the_known_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reps.h5");
        let mut set = RepSet::new();
        set.push("layer1", Mat::zeros(2, 2)).unwrap();
        save_hdf5(&path, &set, StoreAs::F32).unwrap();
        let e = load_hdf5(&path, Some("layer9")).unwrap_err().to_string();
        assert!(e.contains("layer9") && e.contains("layer1"), "{e}");
    }

    #[test]
    fn truncated_and_foreign_files_are_format_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reps.h5");
        let mut set = RepSet::new();
        set.push("x", Mat::from_fn(20, 5, |i, j| (i + j) as f64))
            .unwrap();
        save_hdf5(&path, &set, StoreAs::F64).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        for cut in [0, 8, 100, bytes.len() / 2, bytes.len() - 1] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert!(load_hdf5(&path, None).is_err(), "cut at {cut}");
        }
        std::fs::write(&path, b"not an hdf5 file at all").unwrap();
        let e = load_hdf5(&path, None).unwrap_err();
        assert!(e.is_file_error(), "{e}");
    }
}
