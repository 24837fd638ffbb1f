//! numpy's `.npy` and `.npz` formats.
//!
//! Decoding and encoding of each array go through `ndarray-npy` (header
//! parsing, byte order, C and Fortran layout); this module dispatches on the
//! header's dtype, converts every numeric dtype to `f64`, and adds what that
//! crate lacks: `float16` elements and 1-D text arrays (numpy `<U`), which an
//! `.npz` may carry as stimulus labels under the key `stimuli`.
//!
//! An `.npz` is a zip of `.npy` files (plain or deflate-compressed); the
//! container goes through the `zip` crate.

use std::io::{Cursor, Read, Seek, Write};
use std::path::Path;

use faer::{Mat, MatRef};
use ndarray::{Array2, ArrayD};
use ndarray_npy::npy::header::{Header, Layout, ReadHeaderError};
use ndarray_npy::{ReadDataError, ReadNpyError, ReadNpyExt, ReadableElement, WriteNpyExt};
use py_literal::Value as PyValue;

use super::atomic::write_atomically;
use super::repset::RepSet;
use crate::error::{Error, Result};

/// The npz key that carries one text label per stimulus.
pub const STIMULI_KEY: &str = "stimuli";

/// What one `.npy` payload decodes to.
pub enum NpyArray {
    /// A numeric array of any shape, converted to f64.
    Numeric(ArrayD<f64>),
    /// A 1-D array of text (numpy dtype `<U…`).
    Text(Vec<String>),
}

/// Reads a `.npy` file holding one 2-D array. Numeric arrays are decoded
/// from the file a block at a time straight into the matrix, so reading
/// holds the matrix and a small buffer, not the file's bytes as well.
pub fn read_npy_file(path: &Path) -> Result<Mat<f64>> {
    let name = array_name_from_path(path);
    if let Some(x) = read_numeric_npy(path, &name)? {
        return Ok(x);
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    match decode_npy(&bytes, path, &name)? {
        NpyArray::Numeric(a) => to_matrix(a, &name),
        NpyArray::Text(_) => Err(Error::UnsupportedDtype {
            array: name,
            dtype: "text (numpy '<U')".into(),
        }),
    }
}

/// Decodes one element's bytes (big-endian when the flag is set) as f64.
type Decode = fn(&[u8], bool) -> f64;

/// How one element of a numeric dtype becomes an f64: its size in bytes
/// and the decoder of its bytes (in the file's byte order).
fn element_decoder(descr: &str) -> Option<(usize, Decode)> {
    macro_rules! decoder {
        ($t:ty) => {
            (std::mem::size_of::<$t>(), |b: &[u8], big: bool| {
                let raw = b.try_into().unwrap_or_default();
                (if big {
                    <$t>::from_be_bytes(raw)
                } else {
                    <$t>::from_le_bytes(raw)
                }) as f64
            })
        };
    }
    let (order, kind) = descr.split_at(1.min(descr.len()));
    if !matches!(order, "<" | ">" | "|" | "=") {
        return None;
    }
    Some(match kind {
        "f8" => decoder!(f64),
        "f4" => decoder!(f32),
        "i1" => decoder!(i8),
        "i2" => decoder!(i16),
        "i4" => decoder!(i32),
        "i8" => decoder!(i64),
        "u1" => decoder!(u8),
        "u2" => decoder!(u16),
        "u4" => decoder!(u32),
        "u8" => decoder!(u64),
        _ => return None,
    })
}

/// A 2-D numeric `.npy` decoded block by block into a matrix; `None` for
/// what the general decoder handles (text, float16, booleans, whose bytes
/// it checks are 0 or 1, other ranks), which
/// then reports it. The data's length is checked against the header before
/// anything is allocated.
fn read_numeric_npy(path: &Path, name: &str) -> Result<Option<Mat<f64>>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let header = read_header(&mut reader, Some(file_len), path, name)?;
    let PyValue::String(descr) = &header.type_descriptor else {
        return Ok(None);
    };
    let (Some((size, decode)), &[rows, cols]) = (element_decoder(descr), &header.shape[..]) else {
        return Ok(None);
    };
    if rows == 0 || cols == 0 {
        return Ok(None);
    }
    let big = descr.starts_with('>') || (descr.starts_with('=') && cfg!(target_endian = "big"));
    let data_start = reader.stream_position().map_err(|e| Error::io(path, e))?;
    let available = file_len.saturating_sub(data_start);
    let needed = (rows as u64)
        .checked_mul(cols as u64)
        .and_then(|n| n.checked_mul(size as u64));
    match needed {
        Some(n) if n == available => {}
        Some(n) if n < available => {
            let extra = (available - n) as usize;
            return Err(data_error(
                ReadNpyError::ExtraBytes(extra),
                &header,
                extra,
                path,
                name,
            ));
        }
        _ => {
            let available = available as usize;
            return Err(data_error(
                ReadNpyError::MissingData,
                &header,
                available,
                path,
                name,
            ));
        }
    }
    // The file's elements in its order (C: row by row; Fortran: column by
    // column), a block of at most 128 Ki elements (1 MB of float64) at a time.
    let fortran = header.layout == Layout::Fortran;
    let width = if fortran { rows } else { cols };
    let total = rows * cols;
    let per_block = (1usize << 17).min(total);
    let mut x = Mat::<f64>::zeros(rows, cols);
    let mut block = vec![0u8; per_block * size];
    let (mut line, mut w) = (0, 0);
    let mut done = 0;
    while done < total {
        let count = per_block.min(total - done);
        let bytes = &mut block[..count * size];
        reader.read_exact(bytes).map_err(|e| Error::io(path, e))?;
        for element in bytes.chunks_exact(size) {
            let (i, j) = if fortran { (w, line) } else { (line, w) };
            x[(i, j)] = decode(element, big);
            w += 1;
            if w == width {
                (line, w) = (line + 1, 0);
            }
        }
        done += count;
    }
    Ok(Some(x))
}

/// Reads every array of an `.npz` archive, in archive order. A 1-D text
/// array under the key [`STIMULI_KEY`] becomes the stimulus labels.
pub fn read_npz_file(path: &Path) -> Result<RepSet> {
    let mut set = RepSet::new();
    let mut stimuli = None;
    for (name, array) in read_npz_arrays(path)? {
        match array {
            NpyArray::Text(labels) if name == STIMULI_KEY => stimuli = Some(labels),
            NpyArray::Text(_) => {
                return Err(Error::UnsupportedDtype {
                    array: name,
                    dtype: format!("text (numpy '<U'); only the key '{STIMULI_KEY}' may hold text"),
                });
            }
            NpyArray::Numeric(a) => set.push(name.clone(), to_matrix(a, &name)?)?,
        }
    }
    if let Some(labels) = stimuli {
        set.set_stimuli(labels)?;
    }
    Ok(set)
}

/// Every array of an `.npz` archive, decoded, in archive order.
pub fn read_npz_arrays(path: &Path) -> Result<Vec<(String, NpyArray)>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    npz_arrays_from(path, std::io::BufReader::new(file))
}

/// [`read_npz_arrays`] of an archive's bytes (`path` names it in messages).
pub fn decode_npz_bytes(bytes: &[u8], path: &Path) -> Result<Vec<(String, NpyArray)>> {
    npz_arrays_from(path, std::io::Cursor::new(bytes))
}

fn npz_arrays_from<R: Read + Seek>(path: &Path, reader: R) -> Result<Vec<(String, NpyArray)>> {
    let mut arrays = Vec::new();
    for_each_npz_entry(path, reader, |name, entry, compressed| {
        let what = format!("array '{name}'");
        let bytes = super::limits::read_inflated(entry, compressed, path, &what)?;
        let array = decode_npy(&bytes, path, &name)?;
        arrays.push((name, array));
        Ok(())
    })?;
    Ok(arrays)
}

/// Visits every entry of an `.npz` archive in order, with its array name
/// (the entry's name without `.npy`), its (decompressing) reader and its
/// compressed size.
fn for_each_npz_entry<R: Read + Seek>(
    path: &Path,
    reader: R,
    mut visit: impl FnMut(String, &mut dyn Read, u64) -> Result<()>,
) -> Result<()> {
    let mut archive = zip::ZipArchive::new(reader).map_err(|e| {
        Error::format(
            path,
            format!("not a readable .npz (zip) archive ({e})"),
            "the file may be truncated or not an .npz; re-save it with numpy.savez",
        )
    })?;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| {
            Error::format(
                path,
                format!("entry {index} of the archive is unreadable ({e})"),
                "re-save the file with numpy.savez",
            )
        })?;
        let entry_name = entry.name().to_string();
        let name = entry_name
            .strip_suffix(".npy")
            .unwrap_or(&entry_name)
            .to_string();
        let compressed = entry.compressed_size();
        visit(name, &mut entry, compressed)?;
    }
    Ok(())
}

/// Writes one matrix as a Fortran-order `.npy` file of float64, column by
/// column (no copy of the matrix is made).
pub fn write_npy_file(path: &Path, x: MatRef<'_, f64>) -> Result<()> {
    write_atomically(path, |w| write_npy_f64(x, w).map_err(std::io::Error::other))
}

/// Writes an `n × d` matrix of 8-bit codes (row-major bytes) as a C-order
/// `.npy` of uint8, or of int8 when `signed`.
pub fn write_npy_codes(path: &Path, n: usize, d: usize, bytes: &[u8], signed: bool) -> Result<()> {
    let shape_error = |e: ndarray::ShapeError| Error::internal(format!("code matrix: {e}"));
    let mut buf = Vec::new();
    let written = if signed {
        let v: Vec<i8> = bytes.iter().map(|&b| b as i8).collect();
        Array2::from_shape_vec((n, d), v)
            .map_err(shape_error)?
            .write_npy(&mut buf)
    } else {
        Array2::from_shape_vec((n, d), bytes.to_vec())
            .map_err(shape_error)?
            .write_npy(&mut buf)
    };
    written.map_err(|e| Error::internal(format!("encoding codes as .npy: {e}")))?;
    write_atomically(path, |w| w.write_all(&buf))
}

/// Writes a RepSet as an `.npz` (float64 arrays in order, then the stimulus
/// labels under [`STIMULI_KEY`]), deflate-compressed when `compress` is set.
pub fn write_npz_file(path: &Path, set: &RepSet, compress: bool) -> Result<()> {
    if set.names().iter().any(|n| n == STIMULI_KEY) && set.stimuli().is_some() {
        return Err(Error::DuplicateName {
            name: STIMULI_KEY.into(),
        });
    }
    let views = set.views();
    let mut entries: Vec<Entry<'_>> = views
        .iter()
        .map(|rep| Entry {
            name: rep.name.to_string(),
            bytes: 8 * (rep.x.nrows() * rep.x.ncols()) as u64,
            write: Box::new(move |out: &mut dyn Write| write_npy_f64(rep.x, out)),
        })
        .collect();
    if let Some(labels) = set.stimuli() {
        entries.push(text_entry(STIMULI_KEY, labels)?);
    }
    write_npz_entries(path, entries, compress)
}

/// Writes named 1-D float64 vectors (and optional named text arrays) as an
/// `.npz`, deflate-compressed.
pub fn write_npz_vectors(
    path: &Path,
    vectors: &[(&str, &[f64])],
    texts: &[(String, Vec<String>)],
) -> Result<()> {
    let mut entries: Vec<Entry<'_>> = vectors
        .iter()
        .map(|&(name, v)| Entry {
            name: name.to_string(),
            bytes: 8 * v.len() as u64,
            write: Box::new(move |out: &mut dyn Write| {
                ndarray::ArrayView1::from(v)
                    .write_npy(out)
                    .map_err(|e| Error::internal(format!("encoding .npy: {e}")))
            }),
        })
        .collect();
    for (name, labels) in texts {
        entries.push(text_entry(name, labels)?);
    }
    write_npz_entries(path, entries, true)
}

/// Writes one array's `.npy` bytes into a stream.
type WriteNpy<'a> = Box<dyn Fn(&mut dyn Write) -> Result<()> + 'a>;

/// One array of an archive: its name, its size (to choose the zip64 form)
/// and how its `.npy` bytes are written into the archive's stream.
struct Entry<'a> {
    name: String,
    bytes: u64,
    write: WriteNpy<'a>,
}

fn text_entry<'a>(name: &str, labels: &[String]) -> Result<Entry<'a>> {
    let encoded = encode_npy_text(labels)?;
    Ok(Entry {
        name: name.to_string(),
        bytes: encoded.len() as u64,
        write: Box::new(move |out: &mut dyn Write| {
            out.write_all(&encoded)
                .map_err(|e| Error::internal(format!("writing .npy text: {e}")))
        }),
    })
}

/// Streams the entries into the archive, one after the other, straight into
/// the (temporary) file: no entry and no archive is held in memory.
fn write_npz_entries(path: &Path, entries: Vec<Entry<'_>>, compress: bool) -> Result<()> {
    let method = if compress {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    write_atomically(path, |w| {
        let mut zip = zip::ZipWriter::new(w);
        for entry in entries {
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(method)
                .large_file(entry.bytes + 256 >= u32::MAX as u64);
            zip.start_file(format!("{}.npy", entry.name), options)
                .map_err(std::io::Error::other)?;
            (entry.write)(&mut zip).map_err(std::io::Error::other)?;
        }
        zip.finish().map_err(std::io::Error::other)?;
        Ok(())
    })
}

/// The array name a file stands for: its file name without the extension.
pub fn array_name_from_path(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// What a `.npy` header says of its payload, read without the data.
enum Payload {
    /// A dtype the readers convert to float64.
    Numeric(Vec<usize>),
    /// Text (numpy `<U`).
    Text,
    /// Any other dtype, named as the readers name it in their error.
    Unsupported(String),
}

/// The most bytes a `.npy` header may take: numpy writes ~128 (a header is
/// one flat dict), and version 1 cannot say more than 65,535.
const MAX_HEADER_BYTES: u64 = 1 << 16;
/// The deepest nesting of brackets in a header: numpy's are 2 deep (the
/// dict, the shape tuple); the literal parser's time grows steeply with
/// depth, so a corrupt header must not nest far.
const MAX_HEADER_DEPTH: usize = 8;

/// Reads a `.npy` header from `reader`, leaving it at the data. The header
/// length is checked against `available` (the bytes left, when known) and
/// [`MAX_HEADER_BYTES`], and its text's bracket nesting against
/// [`MAX_HEADER_DEPTH`], before the header is allocated and parsed.
fn read_header(
    reader: &mut dyn Read,
    available: Option<u64>,
    path: &Path,
    name: &str,
) -> Result<Header> {
    let corrupt = |detail: String| {
        Error::format(
            path,
            format!("array '{name}' {detail}"),
            "the file is truncated or not a numpy file; re-save it with numpy.save",
        )
    };
    let mut prefix = vec![0u8; 10];
    reader
        .read_exact(&mut prefix)
        .map_err(|_| corrupt("ends inside its .npy header".into()))?;
    if &prefix[..6] != b"\x93NUMPY" {
        return Err(corrupt("does not start with numpy's magic bytes".into()));
    }
    let length = if prefix[6] == 1 {
        u64::from(u16::from_le_bytes([prefix[8], prefix[9]]))
    } else {
        let mut more = [0u8; 2];
        reader
            .read_exact(&mut more)
            .map_err(|_| corrupt("ends inside its .npy header".into()))?;
        prefix.extend_from_slice(&more);
        u64::from(u32::from_le_bytes([prefix[8], prefix[9], more[0], more[1]]))
    };
    let room = available.map_or(MAX_HEADER_BYTES, |a| {
        a.saturating_sub(prefix.len() as u64).min(MAX_HEADER_BYTES)
    });
    if length > room {
        return Err(corrupt(format!(
            "declares a {length}-byte header, more than {room} bytes can hold"
        )));
    }
    let mut text = vec![0u8; length as usize];
    reader
        .read_exact(&mut text)
        .map_err(|_| corrupt("ends inside its .npy header".into()))?;
    let mut depth = 0usize;
    for &b in &text {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_HEADER_DEPTH {
                    return Err(corrupt(format!(
                        "has a header nested more than {MAX_HEADER_DEPTH} brackets deep"
                    )));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    prefix.extend_from_slice(&text);
    Header::from_reader(&mut Cursor::new(prefix)).map_err(|e| header_error(e, path, name))
}

/// The payload of a `.npy` from its header alone.
fn read_payload(reader: &mut impl Read, path: &Path, name: &str) -> Result<Payload> {
    let header = read_header(reader, None, path, name)?;
    Ok(match &header.type_descriptor {
        PyValue::String(d) if d.get(1..2) == Some("U") => Payload::Text,
        PyValue::String(d)
            if element_decoder(d).is_some() || matches!(d.get(1..), Some("f2" | "b1")) =>
        {
            Payload::Numeric(header.shape)
        }
        PyValue::String(d) => Payload::Unsupported(format!("'{d}'")),
        other => Payload::Unsupported(format!("{other} (a structured dtype)")),
    })
}

/// A numeric `.npy` file of any rank read a block of leading-axis rows
/// at a time (model inputs: images, audio, token ids), so that memory
/// holds one batch whatever the file's size.
pub struct NpyRows {
    file: std::fs::File,
    path: std::path::PathBuf,
    data_start: u64,
    /// The array's shape; `shape[0]` rows of `row_len` elements.
    pub shape: Vec<usize>,
    row_len: usize,
    width: usize,
    decode: Decode,
    big_endian: bool,
}

impl NpyRows {
    /// Opens `path` and checks that its header describes a C-order numeric
    /// array whose data fit the file.
    pub fn open(path: &Path) -> Result<Self> {
        let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let name = array_name_from_path(path);
        let header = read_header(&mut file, Some(size), path, &name)?;
        let bad = |detail: String| {
            Error::format(
                path,
                detail,
                "re-save the inputs with numpy.save as a C-order numeric array",
            )
        };
        let PyValue::String(descr) = &header.type_descriptor else {
            return Err(bad("holds a structured dtype, not numbers".into()));
        };
        let (width, decode) = element_decoder(descr)
            .ok_or_else(|| bad(format!("has dtype '{descr}'; model inputs must be numeric")))?;
        if header.layout == Layout::Fortran && header.shape.len() > 1 {
            return Err(bad("is stored in Fortran order".into()));
        }
        if header.shape.is_empty() || header.shape[0] == 0 {
            return Err(bad(format!(
                "has shape {:?}; inputs need one row per stimulus",
                header.shape
            )));
        }
        let row_len: usize = header.shape[1..].iter().product();
        let data_start = file.stream_position().map_err(|e| Error::io(path, e))?;
        let needed = (header.shape[0] as u128) * (row_len as u128) * (width as u128);
        if u128::from(size - data_start) < needed {
            return Err(bad(format!(
                "declares {:?} but holds only {} bytes of data",
                header.shape,
                size - data_start
            )));
        }
        Ok(Self {
            file,
            path: path.to_path_buf(),
            data_start,
            shape: header.shape,
            row_len,
            width,
            decode,
            big_endian: descr.starts_with('>'),
        })
    }

    /// Rows `start..start + count` as float32, row-major.
    pub fn read(&mut self, start: usize, count: usize) -> Result<Vec<f32>> {
        let row_bytes = (self.row_len * self.width) as u64;
        let mut bytes = vec![0u8; count * self.row_len * self.width];
        self.file
            .seek(std::io::SeekFrom::Start(
                self.data_start + start as u64 * row_bytes,
            ))
            .and_then(|_| self.file.read_exact(&mut bytes))
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(bytes
            .chunks_exact(self.width)
            .map(|b| (self.decode)(b, self.big_endian) as f32)
            .collect())
    }
}

/// The 2-D shape of every numeric array of a `.npy` or `.npz` file, read
/// from the headers alone (an `.npz` entry is decompressed only as far as
/// its header); a text array under [`STIMULI_KEY`] is skipped.
pub fn array_shapes(path: &Path) -> Result<Vec<(String, (usize, usize))>> {
    let two_d = |name: String, shape: Vec<usize>| match shape[..] {
        [rows, cols] => Ok((name, (rows, cols))),
        _ => Err(Error::NotTwoDimensional { array: name, shape }),
    };
    let unsupported = |array: &str, dtype: String| Error::UnsupportedDtype {
        array: array.to_string(),
        dtype,
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = std::io::BufReader::new(file);
    if super::Format::from_path(path) == Some(super::Format::Npy) {
        let name = array_name_from_path(path);
        return match read_payload(&mut reader, path, &name)? {
            Payload::Numeric(shape) => Ok(vec![two_d(name, shape)?]),
            Payload::Text => Err(unsupported(&name, "text (numpy '<U')".into())),
            Payload::Unsupported(dtype) => Err(unsupported(&name, dtype)),
        };
    }
    let mut shapes = Vec::new();
    for_each_npz_entry(path, reader, |name, mut entry, _| {
        match read_payload(&mut entry, path, &name)? {
            Payload::Numeric(shape) => shapes.push(two_d(name, shape)?),
            Payload::Text if name == STIMULI_KEY => {}
            Payload::Text => {
                return Err(unsupported(
                    &name,
                    format!("text (numpy '<U'); only the key '{STIMULI_KEY}' may hold text"),
                ));
            }
            Payload::Unsupported(dtype) => return Err(unsupported(&name, dtype)),
        }
        Ok(())
    })?;
    Ok(shapes)
}

/// Decodes one `.npy` payload, whatever its numeric dtype.
pub fn decode_npy(bytes: &[u8], path: &Path, name: &str) -> Result<NpyArray> {
    let mut cursor = Cursor::new(bytes);
    let header = read_header(&mut cursor, Some(bytes.len() as u64), path, name)?;
    let data = &bytes[cursor.position() as usize..];
    let descr = match &header.type_descriptor {
        PyValue::String(s) => s.clone(),
        other => {
            return Err(Error::UnsupportedDtype {
                array: name.to_string(),
                dtype: format!("{other} (a structured dtype)"),
            });
        }
    };
    let unsupported = || Error::UnsupportedDtype {
        array: name.to_string(),
        dtype: format!("'{descr}'"),
    };
    let (order, kind) = descr.split_at(1.min(descr.len()));
    if !matches!(order, "<" | ">" | "|" | "=") {
        return Err(unsupported());
    }
    let numeric = |r: std::result::Result<ArrayD<f64>, ReadNpyError>| {
        r.map(NpyArray::Numeric)
            .map_err(|e| data_error(e, &header, data.len(), path, name))
    };
    // The declared size against the bytes present, before the decoder
    // allocates the declared shape.
    let width = match kind {
        "f8" | "i8" | "u8" => Some(8u64),
        "f4" | "i4" | "u4" => Some(4),
        "f2" | "i2" | "u2" => Some(2),
        "i1" | "u1" | "b1" => Some(1),
        _ => None,
    };
    if let Some(width) = width {
        let needed = header
            .shape
            .iter()
            .try_fold(width, |n, &d| n.checked_mul(d as u64));
        if needed.is_none_or(|n| n > data.len() as u64) {
            return Err(Error::format(
                path,
                format!(
                    "array '{name}' declares shape {:?} of {width}-byte values, more than the {} \
                     bytes it holds",
                    header.shape,
                    data.len()
                ),
                "the file is truncated or corrupt; re-save it with numpy.save",
            ));
        }
    }
    match kind {
        "f8" => numeric(read_as::<f64>(bytes, |v| v)),
        "f4" => numeric(read_as::<f32>(bytes, f64::from)),
        "f2" => numeric(read_as::<F16>(bytes, |v| v.0.to_f64())),
        "i1" => numeric(read_as::<i8>(bytes, f64::from)),
        "i2" => numeric(read_as::<i16>(bytes, f64::from)),
        "i4" => numeric(read_as::<i32>(bytes, f64::from)),
        "i8" => numeric(read_as::<i64>(bytes, |v| v as f64)),
        "u1" => numeric(read_as::<u8>(bytes, f64::from)),
        "u2" => numeric(read_as::<u16>(bytes, f64::from)),
        "u4" => numeric(read_as::<u32>(bytes, f64::from)),
        "u8" => numeric(read_as::<u64>(bytes, |v| v as f64)),
        "b1" => numeric(read_as::<bool>(bytes, |v| f64::from(u8::from(v)))),
        _ if kind.starts_with('U') => {
            decode_text(&header, data, order == ">", &descr, path, name).map(NpyArray::Text)
        }
        _ => Err(unsupported()),
    }
}

fn read_as<T: ReadableElement + Clone + 'static>(
    bytes: &[u8],
    to_f64: impl Fn(T) -> f64,
) -> std::result::Result<ArrayD<f64>, ReadNpyError> {
    ArrayD::<T>::read_npy(bytes).map(|a| a.mapv_into_any(to_f64))
}

fn header_error(e: ReadHeaderError, path: &Path, name: &str) -> Error {
    let detail = match e {
        ReadHeaderError::Io(_) => format!("array '{name}' ends inside its .npy header"),
        ReadHeaderError::Parse(p) => format!("array '{name}' has an invalid .npy header ({p})"),
    };
    Error::format(
        path,
        detail,
        "the file is truncated or not a numpy file; re-save it with numpy.save",
    )
}

fn data_error(
    e: ReadNpyError,
    header: &Header,
    available: usize,
    path: &Path,
    name: &str,
) -> Error {
    // A header may promise any shape: count without overflowing.
    let elements: u128 = header.shape.iter().map(|&d| d as u128).product();
    match e {
        ReadNpyError::MissingData | ReadNpyError::Io(_) => Error::format(
            path,
            format!(
                "array '{name}' is truncated: its header promises shape {:?} ({elements} \
                 elements) but only {available} bytes of data follow",
                header.shape
            ),
            "the file was cut short (an interrupted copy or download?); re-create it",
        ),
        ReadNpyError::ExtraBytes(n) => Error::format(
            path,
            format!("array '{name}' has {n} unexpected bytes after its data"),
            "the file is corrupt; re-save it with numpy.save",
        ),
        other => Error::format(
            path,
            format!("array '{name}' could not be decoded ({other})"),
            "the file is corrupt; re-save it with numpy.save",
        ),
    }
}

/// Decodes a 1-D numpy unicode array (`<U{width}`: UTF-32 code units,
/// NUL-padded to `width` per element).
fn decode_text(
    header: &Header,
    data: &[u8],
    big_endian: bool,
    descr: &str,
    path: &Path,
    name: &str,
) -> Result<Vec<String>> {
    let width: usize = descr[2..].parse().map_err(|_| Error::UnsupportedDtype {
        array: name.to_string(),
        dtype: format!("'{descr}'"),
    })?;
    let [count] = header.shape[..] else {
        return Err(Error::NotTwoDimensional {
            array: format!("{name} (text labels must be 1-D)"),
            shape: header.shape.clone(),
        });
    };
    // Zero-width labels take no bytes, so their count is capped: a header
    // must not demand gigabytes of empty strings.
    const MAX_EMPTY_LABELS: usize = 1 << 20;
    if width == 0 {
        if count > MAX_EMPTY_LABELS {
            return Err(Error::format(
                path,
                format!("text array '{name}' declares {count} empty labels"),
                "the file is corrupt; re-save the labels with numpy.savez",
            ));
        }
        return Ok(vec![String::new(); count]);
    }
    let Some(needed) = count.checked_mul(width).and_then(|n| n.checked_mul(4)) else {
        return Err(Error::format(
            path,
            format!("text array '{name}' declares {count} labels of {width} characters"),
            "the file is corrupt; re-save the labels with numpy.savez",
        ));
    };
    if data.len() < needed {
        return Err(Error::format(
            path,
            format!(
                "text array '{name}' is truncated ({} of {needed} bytes)",
                data.len()
            ),
            "re-save the file with numpy.savez",
        ));
    }
    let mut labels = Vec::with_capacity(count);
    for chunk in data[..needed].chunks_exact(width * 4) {
        let mut label = String::new();
        for unit in chunk.chunks_exact(4) {
            let unit: [u8; 4] = [unit[0], unit[1], unit[2], unit[3]];
            let code = if big_endian {
                u32::from_be_bytes(unit)
            } else {
                u32::from_le_bytes(unit)
            };
            if code == 0 {
                break;
            }
            label.push(char::from_u32(code).ok_or_else(|| {
                Error::format(
                    path,
                    format!("text array '{name}' holds the invalid code point {code:#x}"),
                    "re-save the labels as ordinary strings",
                )
            })?);
        }
        labels.push(label);
    }
    Ok(labels)
}

/// Turns a decoded array into a stimuli × units matrix.
pub(crate) fn to_matrix(a: ArrayD<f64>, name: &str) -> Result<Mat<f64>> {
    let &[rows, cols] = a.shape() else {
        return Err(Error::NotTwoDimensional {
            array: name.to_string(),
            shape: a.shape().to_vec(),
        });
    };
    if rows == 0 || cols == 0 {
        return Err(Error::Empty {
            array: name.to_string(),
            rows,
            cols,
        });
    }
    Ok(Mat::from_fn(rows, cols, |i, j| a[[i, j]]))
}

/// Writes `x` as a Fortran-order float64 `.npy` (column-major storage is
/// Fortran order), a column at a time through a small buffer.
fn write_npy_f64(x: MatRef<'_, f64>, out: &mut dyn Write) -> Result<()> {
    let header = Header {
        type_descriptor: PyValue::String("<f8".into()),
        layout: Layout::Fortran,
        shape: vec![x.nrows(), x.ncols()],
    };
    let io = |e: std::io::Error| Error::internal(format!("writing .npy: {e}"));
    out.write_all(
        &header
            .to_bytes()
            .map_err(|e| Error::internal(format!("encoding a .npy header: {e}")))?,
    )
    .map_err(io)?;
    let mut buf = Vec::with_capacity(8 * x.nrows().min(1 << 16));
    for column in x.col_iter() {
        for value in column.iter() {
            buf.extend_from_slice(&value.to_le_bytes());
            if buf.len() >= 8 << 16 {
                out.write_all(&buf).map_err(io)?;
                buf.clear();
            }
        }
    }
    out.write_all(&buf).map_err(io)
}

fn encode_npy_text(labels: &[String]) -> Result<Vec<u8>> {
    let width = labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(1);
    let header = Header {
        type_descriptor: PyValue::String(format!("<U{width}")),
        layout: Layout::Standard,
        shape: vec![labels.len()],
    };
    let mut bytes = header
        .to_bytes()
        .map_err(|e| Error::internal(format!("encoding a .npy header: {e}")))?;
    for label in labels {
        let mut n = 0;
        for c in label.chars() {
            bytes.extend_from_slice(&(c as u32).to_le_bytes());
            n += 1;
        }
        bytes.resize(bytes.len() + (width - n) * 4, 0);
    }
    Ok(bytes)
}

/// numpy's `float16`, which `ndarray-npy` does not know.
#[derive(Clone, Copy)]
struct F16(half::f16);

impl ReadableElement for F16 {
    fn read_to_end_exact_vec<R: Read>(
        mut reader: R,
        type_desc: &PyValue,
        len: usize,
    ) -> std::result::Result<Vec<Self>, ReadDataError> {
        let big_endian = match type_desc {
            PyValue::String(s) if s == "<f2" || s == "=f2" => false,
            PyValue::String(s) if s == ">f2" => true,
            other => return Err(ReadDataError::WrongDescriptor(other.clone())),
        };
        let mut raw = Vec::new();
        reader.read_to_end(&mut raw).map_err(ReadDataError::Io)?;
        match raw.len().cmp(&(2 * len)) {
            std::cmp::Ordering::Less => return Err(ReadDataError::MissingData),
            std::cmp::Ordering::Greater => {
                return Err(ReadDataError::ExtraBytes(raw.len() - 2 * len));
            }
            std::cmp::Ordering::Equal => {}
        }
        Ok(raw
            .chunks_exact(2)
            .map(|b| {
                let bits = [b[0], b[1]];
                F16(if big_endian {
                    half::f16::from_be_bytes(bits)
                } else {
                    half::f16::from_le_bytes(bits)
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Mat<f64> {
        Mat::from_fn(3, 4, |i, j| (i * 10 + j) as f64 + 0.25)
    }

    #[test]
    fn npy_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layer.npy");
        write_npy_file(&path, sample().as_ref()).unwrap();
        assert_eq!(read_npy_file(&path).unwrap(), sample());
    }

    #[test]
    fn npz_round_trip_with_labels_plain_and_compressed() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = RepSet::new();
        set.push("b", sample()).unwrap();
        set.push("a", Mat::from_fn(3, 2, |i, j| (i + j) as f64))
            .unwrap();
        set.set_stimuli(vec!["cat".into(), "dög".into(), "".into()])
            .unwrap();
        for compress in [false, true] {
            let path = dir.path().join(format!("s{compress}.npz"));
            write_npz_file(&path, &set, compress).unwrap();
            let back = read_npz_file(&path).unwrap();
            assert_eq!(back.names(), ["b", "a"]);
            assert_eq!(back.get("b").unwrap(), sample().as_ref());
            assert_eq!(back.stimuli().unwrap(), ["cat", "dög", ""]);
        }
    }

    #[test]
    fn truncated_npy_is_a_clear_format_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.npy");
        let mut bytes = Vec::new();
        write_npy_f64(sample().as_ref(), &mut bytes).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 9]).unwrap();
        let e = read_npy_file(&path).unwrap_err();
        assert!(e.is_file_error());
        assert!(e.to_string().contains("truncated"), "{e}");
        std::fs::write(&path, &bytes[..20]).unwrap();
        let e = read_npy_file(&path).unwrap_err();
        assert!(e.to_string().contains("header"), "{e}");
    }
}
