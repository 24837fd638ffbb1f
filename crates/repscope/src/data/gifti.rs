//! GIfTI files (`.gii`): surface meshes and per-vertex data.
//!
//! What is read: every `DataArray` (its intent, dimensions, data type,
//! metadata and values), the file's metadata and its label table. Values
//! come back as f64 in row-major (C) order whatever the file's
//! `ArrayIndexingOrder` says, so a `Dim0 × Dim1` array is always stored
//! row by row. [`Gifti::mesh`] pairs the first `NIFTI_INTENT_POINTSET`
//! array with the first `NIFTI_INTENT_TRIANGLE` array.
//!
//! Encodings: `ASCII`, `Base64Binary`, `GZipBase64Binary` (a zlib stream,
//! as nibabel and Workbench write it; a gzip stream is accepted too) and
//! `ExternalFileBinary` (raw bytes at `ExternalFileOffset` in the file
//! named by `ExternalFileName`, relative to the `.gii` file's folder).
//! Both byte orders and both index orders are read. Data types: the
//! integer types of 8 to 64 bits, float32 and float64.
//!
//! Refused: the complex, RGB and float128 data types (as
//! [`Error::UnsupportedFile`]); anything that does not add up, above all
//! a decoded byte count that differs from `prod(dims) × element size`
//! (as [`Error::Format`]). The file is untrusted input: no number in it
//! is used to size an allocation before the data it describes has been
//! decoded and found to match, and decompression stops one byte past
//! the size the dimensions promise.
//!
//! Not read: `CoordinateSystemTransformMatrix` (mesh coordinates are
//! returned as stored) and the label colours.
//!
//! Data arrays are numbered from 0 in messages, in file order, as
//! nibabel's `darrays[i]`.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use base64::Engine;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::{Error, Result};

/// The hint for every file that is corrupt or inconsistent.
const HINT: &str = "re-export the file (nibabel, FreeSurfer mris_convert, Connectome Workbench)";

/// GIfTI allows at most six dimensions.
const MAX_DIMS: usize = 6;

/// The most elements one array may have (16 GiB as f64): far above any
/// real surface or time series, and a bound on what a forged `Dim0` can
/// make decompression produce.
const MAX_ELEMENTS: usize = 1 << 31;

/// One `DataArray`.
#[derive(Clone, Debug, PartialEq)]
pub struct DataArray {
    /// The `Intent` attribute, e.g. `NIFTI_INTENT_POINTSET`.
    pub intent: String,
    /// `Dim0`, `Dim1`, … as in the file.
    pub dims: Vec<usize>,
    /// The values in row-major (C) order.
    pub data: Vec<f64>,
    /// The `DataType` attribute, e.g. `NIFTI_TYPE_FLOAT32`.
    pub data_type: String,
    /// The array's `MetaData` (name, value) pairs in file order.
    pub metadata: Vec<(String, String)>,
}

/// A whole GIfTI file.
#[derive(Clone, Debug, PartialEq)]
pub struct Gifti {
    /// The data arrays in file order.
    pub arrays: Vec<DataArray>,
    /// The file-level `MetaData` (name, value) pairs in file order.
    pub metadata: Vec<(String, String)>,
    /// The `LabelTable`: key → label name, in file order.
    pub labels: Vec<(i64, String)>,
    /// The file it was read from (named in the errors of [`Gifti::mesh`]).
    pub path: PathBuf,
}

/// A mesh: vertex coordinates and triangles (three vertex indices each).
pub type Mesh = (Vec<[f64; 3]>, Vec<[usize; 3]>);

const POINTSET: &str = "NIFTI_INTENT_POINTSET";
const TRIANGLE: &str = "NIFTI_INTENT_TRIANGLE";

impl Gifti {
    /// The mesh, if the file has a `NIFTI_INTENT_POINTSET` and a
    /// `NIFTI_INTENT_TRIANGLE` array (the first of each): the vertices'
    /// coordinates and the faces' vertex indices.
    ///
    /// Errors if either array is not `n × 3` or a face names a vertex the
    /// point set does not have (or is not a whole number).
    pub fn mesh(&self) -> Result<Option<Mesh>> {
        let (Some((pi, points)), Some((ti, triangles))) =
            (self.find(POINTSET), self.find(TRIANGLE))
        else {
            return Ok(None);
        };
        let vertices: Vec<[f64; 3]> = self.rows3(pi, points)?.collect();
        let n = vertices.len();
        let faces = self
            .rows3(ti, triangles)?
            .enumerate()
            .map(|(face, row)| self.face(ti, face, row, n))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some((vertices, faces)))
    }

    fn find(&self, intent: &str) -> Option<(usize, &DataArray)> {
        self.arrays
            .iter()
            .enumerate()
            .find(|(_, a)| a.intent == intent)
    }

    /// The rows of an `n × 3` array.
    fn rows3<'a>(
        &self,
        index: usize,
        array: &'a DataArray,
    ) -> Result<impl Iterator<Item = [f64; 3]> + 'a> {
        if array.dims.len() != 2
            || array.dims[1] != 3
            || array.data.len() != array.dims[0].saturating_mul(3)
        {
            return Err(Error::format(
                &self.path,
                format!(
                    "data array {index} ({}) has dimensions {} but a mesh needs n×3",
                    array.intent,
                    join_dims(&array.dims)
                ),
                HINT,
            ));
        }
        Ok(array.data.chunks_exact(3).map(|c| [c[0], c[1], c[2]]))
    }

    /// Checks one triangle's vertex indices against the vertex count.
    fn face(&self, index: usize, face: usize, row: [f64; 3], n: usize) -> Result<[usize; 3]> {
        let mut out = [0usize; 3];
        for (slot, v) in out.iter_mut().zip(row) {
            let bad = |detail: String| {
                let detail = format!("data array {index} ({TRIANGLE}): face {face} {detail}");
                Error::format(&self.path, detail, HINT)
            };
            // NaN fails this test too.
            if v.fract() != 0.0 {
                return Err(bad(format!("has vertex index {v}, not a whole number")));
            }
            // The cast of `n` is exact below 2^53 vertices.
            if v < 0.0 || v >= n as f64 {
                return Err(bad(format!(
                    "names vertex {v} but the point set has {n} vertices"
                )));
            }
            *slot = v as usize;
        }
        Ok(out)
    }
}

/// Reads a `.gii` file.
pub fn read_gifti(path: &Path) -> Result<Gifti> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_gifti(&bytes, path)
}

/// Parses the bytes of a `.gii` file. `path` names the file in messages
/// and locates `ExternalFileBinary` data (relative to its folder).
pub fn parse_gifti(bytes: &[u8], path: &Path) -> Result<Gifti> {
    let mut reader = Reader::from_reader(bytes);
    // `<Data/>` and `<Data></Data>` should look the same.
    reader.config_mut().expand_empty_elements = true;
    let mut builder = Builder::new(path);
    loop {
        let event = reader.read_event().map_err(|e| {
            Error::format(
                path,
                format!("XML error at byte {}: {e}", reader.error_position()),
                HINT,
            )
        })?;
        match event {
            Event::Start(e) => builder.start(&e, &reader)?,
            Event::End(_) => builder.end()?,
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) if builder.collects_text() => {
                push_text(&event, &mut builder.text, path)?;
            }
            Event::Eof => break,
            // Declarations, comments, processing instructions, DOCTYPE.
            _ => {}
        }
    }
    builder.finish()
}

/// Appends the characters of a text, CDATA or entity-reference event.
fn push_text(event: &Event, out: &mut String, path: &Path) -> Result<()> {
    let bad = |what: String| Error::format(path, what, HINT);
    match event {
        Event::Text(t) => out.push_str(&t.decode().map_err(|e| bad(format!("bad text: {e}")))?),
        Event::CData(c) => out.push_str(&c.decode().map_err(|e| bad(format!("bad CDATA: {e}")))?),
        Event::GeneralRef(r) => {
            let name = r.decode().map_err(|e| bad(format!("bad entity: {e}")))?;
            if let Some(c) = r
                .resolve_char_ref()
                .map_err(|e| bad(format!("&{name};: {e}")))?
            {
                out.push(c);
            } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&name) {
                out.push_str(s);
            } else {
                return Err(bad(format!("unknown XML entity &{name};")));
            }
        }
        _ => {}
    }
    Ok(())
}

/// The elements the parser acts on; everything else is skipped whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Elem {
    Gifti,
    MetaData,
    Md,
    Name,
    Value,
    LabelTable,
    Label,
    DataArray,
    Data,
    Other,
}

impl Elem {
    /// Whether the element's text is kept.
    fn holds_text(self) -> bool {
        matches!(self, Elem::Name | Elem::Value | Elem::Label | Elem::Data)
    }

    /// What an element called `name` is, given its parent.
    fn of(parent: Elem, name: &[u8]) -> Elem {
        use Elem::*;
        match (parent, name) {
            (Gifti | DataArray, b"MetaData") => MetaData,
            (MetaData, b"MD") => Md,
            (Md, b"Name") => Name,
            (Md, b"Value") => Value,
            (Gifti, b"LabelTable") => LabelTable,
            (LabelTable, b"Label") => Label,
            (Gifti, b"DataArray") => DataArray,
            (DataArray, b"Data") => Data,
            _ => Other,
        }
    }
}

/// A `DataArray` whose end tag has not been reached yet.
struct PendingArray {
    attrs: ArrayAttrs,
    metadata: Vec<(String, String)>,
    data: Option<String>,
}

/// Builds a [`Gifti`] from the XML events.
struct Builder<'p> {
    path: &'p Path,
    stack: Vec<Elem>,
    /// The text of the innermost Name, Value, Label or Data element.
    text: String,
    gifti: Gifti,
    root_seen: bool,
    declared_arrays: Option<String>,
    array: Option<PendingArray>,
    md_name: Option<String>,
    md_value: Option<String>,
    label_key: i64,
}

impl<'p> Builder<'p> {
    fn new(path: &'p Path) -> Self {
        Builder {
            path,
            stack: Vec::new(),
            text: String::new(),
            gifti: Gifti {
                arrays: Vec::new(),
                metadata: Vec::new(),
                labels: Vec::new(),
                path: path.to_path_buf(),
            },
            root_seen: false,
            declared_arrays: None,
            array: None,
            md_name: None,
            md_value: None,
            label_key: 0,
        }
    }

    fn err(&self, detail: impl Into<String>) -> Error {
        Error::format(self.path, detail, HINT)
    }

    fn collects_text(&self) -> bool {
        self.stack.last().is_some_and(|e| e.holds_text())
    }

    fn start(&mut self, e: &BytesStart, reader: &Reader<&[u8]>) -> Result<()> {
        let name = e.local_name();
        let elem = match self.stack.last() {
            Some(&parent) => Elem::of(parent, name.as_ref()),
            None if name.as_ref() == b"GIFTI" && !self.root_seen => Elem::Gifti,
            // A second root is not well-formed XML, but harmless.
            None if self.root_seen => Elem::Other,
            None => {
                return Err(self.err(format!(
                    "the root element is <{}>, not <GIFTI>: not a GIfTI file",
                    String::from_utf8_lossy(name.as_ref())
                )));
            }
        };
        let attrs = || attributes(e, reader, self.path);
        match elem {
            Elem::Gifti => {
                self.root_seen = true;
                self.declared_arrays = lookup(&attrs()?, "NumberOfDataArrays");
            }
            Elem::Md => (self.md_name, self.md_value) = (None, None),
            Elem::Label => self.label_key = self.label_key_of(&attrs()?)?,
            Elem::DataArray => {
                let index = self.gifti.arrays.len();
                self.array = Some(PendingArray {
                    attrs: ArrayAttrs::parse(&attrs()?, index, self.path)?,
                    metadata: Vec::new(),
                    data: None,
                });
            }
            _ => {}
        }
        if elem.holds_text() {
            self.text.clear();
        }
        self.stack.push(elem);
        Ok(())
    }

    fn label_key_of(&self, attrs: &[(String, String)]) -> Result<i64> {
        // GIfTI 1.0 drafts called the key `Index`.
        let key = lookup(attrs, "Key").or_else(|| lookup(attrs, "Index"));
        let key = key.ok_or_else(|| self.err("a Label in the LabelTable has no Key"))?;
        key.trim()
            .parse()
            .map_err(|_| self.err(format!("the LabelTable key '{key}' is not an integer")))
    }

    fn end(&mut self) -> Result<()> {
        let Some(elem) = self.stack.pop() else {
            return Ok(());
        };
        let text = if elem.holds_text() {
            std::mem::take(&mut self.text)
        } else {
            String::new()
        };
        match elem {
            Elem::Name => self.md_name = Some(text.trim().to_string()),
            Elem::Value => self.md_value = Some(text.trim().to_string()),
            Elem::Md => self.end_md(),
            Elem::Label => {
                let name = text.trim().to_string();
                self.gifti.labels.push((self.label_key, name));
            }
            Elem::Data => {
                let index = self.gifti.arrays.len();
                if let Some(array) = self.array.as_mut() {
                    if array.data.replace(text).is_some() {
                        return Err(self.err(format!("data array {index} has two Data elements")));
                    }
                }
            }
            Elem::DataArray => self.end_array()?,
            _ => {}
        }
        Ok(())
    }

    /// Files an `MD` pair under the array or the file, whichever holds
    /// the `MetaData` it is in.
    fn end_md(&mut self) {
        let name = self.md_name.take().unwrap_or_default();
        let value = self.md_value.take().unwrap_or_default();
        let in_array = self.stack.len() >= 2 && self.stack[self.stack.len() - 2] == Elem::DataArray;
        match self.array.as_mut() {
            Some(array) if in_array => array.metadata.push((name, value)),
            _ => self.gifti.metadata.push((name, value)),
        }
    }

    fn end_array(&mut self) -> Result<()> {
        let Some(pending) = self.array.take() else {
            return Ok(());
        };
        let index = self.gifti.arrays.len();
        let text = pending.data.unwrap_or_default();
        let data = pending.attrs.decode(&text, index, self.path)?;
        let attrs = pending.attrs;
        self.gifti.arrays.push(DataArray {
            intent: attrs.intent,
            dims: attrs.dims,
            data,
            data_type: attrs.data_type_name,
            metadata: pending.metadata,
        });
        Ok(())
    }

    fn finish(self) -> Result<Gifti> {
        if !self.stack.is_empty() {
            return Err(self.err("the file ends before </GIFTI> (truncated?)"));
        }
        if !self.root_seen {
            return Err(self.err("no <GIFTI> element: not a GIfTI file"));
        }
        if let Some(declared) = &self.declared_arrays {
            let found = self.gifti.arrays.len();
            if declared.trim().parse::<usize>().ok() != Some(found) {
                return Err(self.err(format!(
                    "the GIFTI element says NumberOfDataArrays=\"{declared}\" but the file holds \
                     {found} data arrays"
                )));
            }
        }
        Ok(self.gifti)
    }
}

/// The attributes of an element, unescaped, in file order.
fn attributes(
    e: &BytesStart,
    reader: &Reader<&[u8]>,
    path: &Path,
) -> Result<Vec<(String, String)>> {
    let element = String::from_utf8_lossy(e.local_name().into_inner()).into_owned();
    let bad = |detail: String| Error::format(path, format!("<{element}>: {detail}"), HINT);
    e.attributes()
        .map(|attr| {
            let attr = attr.map_err(|err| bad(format!("bad attribute: {err}")))?;
            let key = String::from_utf8_lossy(attr.key.local_name().into_inner()).into_owned();
            let value = attr
                .decode_and_unescape_value(reader.decoder())
                .map_err(|err| bad(format!("bad value of {key}: {err}")))?;
            Ok((key, value.into_owned()))
        })
        .collect()
}

fn lookup(attrs: &[(String, String)], key: &str) -> Option<String> {
    attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

/// The element types read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DataType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F32,
    F64,
}

/// Data types GIfTI allows that are not read.
const UNSUPPORTED_TYPES: [&str; 6] = [
    "NIFTI_TYPE_COMPLEX64",
    "NIFTI_TYPE_COMPLEX128",
    "NIFTI_TYPE_COMPLEX256",
    "NIFTI_TYPE_FLOAT128",
    "NIFTI_TYPE_RGB24",
    "NIFTI_TYPE_RGBA32",
];

impl DataType {
    fn from_name(name: &str) -> Option<DataType> {
        Some(match name {
            "NIFTI_TYPE_UINT8" => DataType::U8,
            "NIFTI_TYPE_INT8" => DataType::I8,
            "NIFTI_TYPE_UINT16" => DataType::U16,
            "NIFTI_TYPE_INT16" => DataType::I16,
            "NIFTI_TYPE_UINT32" => DataType::U32,
            "NIFTI_TYPE_INT32" => DataType::I32,
            "NIFTI_TYPE_UINT64" => DataType::U64,
            "NIFTI_TYPE_INT64" => DataType::I64,
            "NIFTI_TYPE_FLOAT32" => DataType::F32,
            "NIFTI_TYPE_FLOAT64" => DataType::F64,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            DataType::U8 | DataType::I8 => 1,
            DataType::U16 | DataType::I16 => 2,
            DataType::U32 | DataType::I32 | DataType::F32 => 4,
            DataType::U64 | DataType::I64 | DataType::F64 => 8,
        }
    }

    /// One ASCII value: an integer in range for the integer types; a
    /// float32 value is rounded to float32 (through f64, as numpy does).
    fn parse_text(self, token: &str) -> Option<f64> {
        fn int<T: std::str::FromStr + Into<f64>>(token: &str) -> Option<f64> {
            token.parse::<T>().ok().map(Into::into)
        }
        match self {
            DataType::U8 => int::<u8>(token),
            DataType::I8 => int::<i8>(token),
            DataType::U16 => int::<u16>(token),
            DataType::I16 => int::<i16>(token),
            DataType::U32 => int::<u32>(token),
            DataType::I32 => int::<i32>(token),
            // No lossless `Into<f64>` for 64-bit integers: f64 is what
            // every value becomes anyway.
            DataType::U64 => token.parse::<u64>().ok().map(|v| v as f64),
            DataType::I64 => token.parse::<i64>().ok().map(|v| v as f64),
            DataType::F32 => token.parse::<f64>().ok().map(|v| v as f32 as f64),
            DataType::F64 => token.parse::<f64>().ok(),
        }
    }

    fn short_name(self) -> &'static str {
        match self {
            DataType::U8 => "uint8",
            DataType::I8 => "int8",
            DataType::U16 => "uint16",
            DataType::I16 => "int16",
            DataType::U32 => "uint32",
            DataType::I32 => "int32",
            DataType::U64 => "uint64",
            DataType::I64 => "int64",
            DataType::F32 => "float32",
            DataType::F64 => "float64",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Ascii,
    Base64,
    GzipBase64,
    External,
}

/// A `DataArray`'s attributes, checked.
struct ArrayAttrs {
    intent: String,
    data_type_name: String,
    data_type: DataType,
    dims: Vec<usize>,
    /// `prod(dims)`, at most [`MAX_ELEMENTS`].
    len: usize,
    encoding: Encoding,
    big_endian: bool,
    column_major: bool,
    external_file: String,
    external_offset: u64,
}

impl ArrayAttrs {
    fn parse(attrs: &[(String, String)], index: usize, path: &Path) -> Result<ArrayAttrs> {
        let bad =
            |detail: String| Error::format(path, format!("data array {index}: {detail}"), HINT);
        let get = |key: &str| lookup(attrs, key).map(|v| v.trim().to_string());
        let need =
            |key: &str| get(key).ok_or_else(|| bad(format!("the {key} attribute is missing")));

        let data_type_name = need("DataType")?;
        let data_type = match DataType::from_name(&data_type_name) {
            Some(t) => t,
            None if UNSUPPORTED_TYPES.contains(&data_type_name.as_str()) => {
                return Err(Error::UnsupportedFile {
                    path: path.to_path_buf(),
                    detail: format!(
                        "data array {index} has data type {data_type_name}, which is not read \
                         (integer, float32 and float64 arrays are)"
                    ),
                });
            }
            None => return Err(bad(format!("unknown DataType \"{data_type_name}\""))),
        };
        let dims = parse_dims(&need("Dimensionality")?, &get, &bad)?;
        let len = element_count(&dims, data_type, &bad)?;
        let encoding = match need("Encoding")?.as_str() {
            "ASCII" => Encoding::Ascii,
            "Base64Binary" => Encoding::Base64,
            "GZipBase64Binary" => Encoding::GzipBase64,
            "ExternalFileBinary" => Encoding::External,
            other => {
                return Err(bad(format!(
                    "unknown Encoding \"{other}\" (expected ASCII, Base64Binary, \
                     GZipBase64Binary or ExternalFileBinary)"
                )));
            }
        };
        // Endian and ArrayIndexingOrder are required by the standard, but
        // some writers leave them out; the defaults are what they meant.
        let big_endian = match get("Endian").as_deref() {
            None | Some("LittleEndian") => false,
            Some("BigEndian") => true,
            Some(other) => return Err(bad(format!("unknown Endian \"{other}\""))),
        };
        let column_major = match get("ArrayIndexingOrder").as_deref() {
            None | Some("RowMajorOrder") => false,
            Some("ColumnMajorOrder") => true,
            Some(other) => return Err(bad(format!("unknown ArrayIndexingOrder \"{other}\""))),
        };
        let external_file = get("ExternalFileName").unwrap_or_default();
        let external_offset = match get("ExternalFileOffset").as_deref() {
            // nibabel writes an empty offset for "0".
            None | Some("") => 0,
            Some(s) => s
                .parse()
                .map_err(|_| bad(format!("ExternalFileOffset \"{s}\" is not a byte offset")))?,
        };
        Ok(ArrayAttrs {
            intent: get("Intent").unwrap_or_else(|| "NIFTI_INTENT_NONE".to_string()),
            data_type_name,
            data_type,
            dims,
            len,
            encoding,
            big_endian,
            column_major,
            external_file,
            external_offset,
        })
    }

    /// "Dim0×Dim1 = 100×3 float32".
    fn describe(&self) -> String {
        let names: Vec<String> = (0..self.dims.len()).map(|k| format!("Dim{k}")).collect();
        format!(
            "{} = {} {}",
            names.join("×"),
            join_dims(&self.dims),
            self.data_type.short_name()
        )
    }

    /// The values, row-major.
    fn decode(&self, text: &str, index: usize, path: &Path) -> Result<Vec<f64>> {
        let bad =
            |detail: String| Error::format(path, format!("data array {index}: {detail}"), HINT);
        let need = self.len * self.data_type.size();
        let bytes = match self.encoding {
            Encoding::Ascii => return Ok(self.reorder(parse_ascii(text, self, &bad)?)),
            Encoding::Base64 => decode_base64(text, &bad)?,
            Encoding::GzipBase64 => inflate(&decode_base64(text, &bad)?, need, &bad)?,
            Encoding::External => self.read_external(path, need, &bad)?,
        };
        if bytes.len() != need {
            return Err(bad(format!(
                "{} bytes decoded but {} needs {need}",
                bytes.len(),
                self.describe()
            )));
        }
        Ok(self.reorder(to_f64(&bytes, self.data_type, self.big_endian)))
    }

    fn reorder(&self, data: Vec<f64>) -> Vec<f64> {
        if self.column_major && self.dims.len() > 1 {
            column_to_row_major(&data, &self.dims)
        } else {
            data
        }
    }

    /// Reads `need` bytes at the offset of the external file.
    fn read_external(
        &self,
        path: &Path,
        need: usize,
        bad: &dyn Fn(String) -> Error,
    ) -> Result<Vec<u8>> {
        if self.external_file.is_empty() {
            return Err(bad(
                "ExternalFileBinary without an ExternalFileName".to_string()
            ));
        }
        let folder = path.parent().unwrap_or(Path::new(""));
        let file = folder.join(&self.external_file);
        let io = |e| Error::io(&file, e);
        // Only regular files: opening a FIFO would block, and a device
        // such as /dev/zero has no size to check against.
        let meta = std::fs::metadata(&file).map_err(io)?;
        if !meta.is_file() {
            return Err(bad(format!("{} is not a regular file", file.display())));
        }
        let size = meta.len();
        // Checked before allocating.
        let end = self.external_offset.checked_add(need as u64);
        if end.is_none_or(|end| end > size) {
            return Err(bad(format!(
                "{} needs {need} bytes at offset {} of {} but that file has {size} bytes",
                self.describe(),
                self.external_offset,
                file.display()
            )));
        }
        let mut f = std::fs::File::open(&file).map_err(io)?;
        f.seek(SeekFrom::Start(self.external_offset)).map_err(io)?;
        let mut bytes = vec![0u8; need];
        f.read_exact(&mut bytes).map_err(io)?;
        Ok(bytes)
    }
}

/// Reads `Dimensionality` and `Dim0`…
fn parse_dims(
    dimensionality: &str,
    get: &dyn Fn(&str) -> Option<String>,
    bad: &dyn Fn(String) -> Error,
) -> Result<Vec<usize>> {
    let n: usize = dimensionality
        .parse()
        .ok()
        .filter(|n| (1..=MAX_DIMS).contains(n))
        .ok_or_else(|| {
            bad(format!(
                "Dimensionality \"{dimensionality}\" is not between 1 and {MAX_DIMS}"
            ))
        })?;
    (0..n)
        .map(|k| {
            let key = format!("Dim{k}");
            let value = get(&key).ok_or_else(|| {
                bad(format!(
                    "Dimensionality is {n} but the {key} attribute is missing"
                ))
            })?;
            value
                .parse()
                .map_err(|_| bad(format!("{key} \"{value}\" is not a size")))
        })
        .collect()
}

/// `prod(dims)`, refusing products that exceed [`MAX_ELEMENTS`] (or whose
/// byte count would not fit a `usize`).
fn element_count(
    dims: &[usize],
    data_type: DataType,
    bad: &dyn Fn(String) -> Error,
) -> Result<usize> {
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= MAX_ELEMENTS && n.checked_mul(data_type.size()).is_some())
        .ok_or_else(|| {
            bad(format!(
                "dimensions {} {} are too large ({MAX_ELEMENTS} elements at most)",
                join_dims(dims),
                data_type.short_name()
            ))
        })
}

fn join_dims(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    parts.join("×")
}

/// Whitespace-separated numbers of the array's type; exactly
/// `prod(dims)` of them.
fn parse_ascii(text: &str, attrs: &ArrayAttrs, bad: &dyn Fn(String) -> Error) -> Result<Vec<f64>> {
    // Each number takes at least two characters with its separator, so
    // the text bounds the capacity whatever the dimensions claim.
    let mut out = Vec::with_capacity(attrs.len.min(text.len() / 2 + 1));
    let mut count = 0usize;
    for token in text.split_ascii_whitespace() {
        let value = attrs.data_type.parse_text(token).ok_or_else(|| {
            bad(format!(
                "ASCII value {count} \"{token}\" is not a {} number",
                attrs.data_type.short_name()
            ))
        })?;
        if count < attrs.len {
            out.push(value);
        }
        count += 1;
    }
    if count != attrs.len {
        return Err(bad(format!(
            "{count} values in the ASCII data but {} needs {}",
            attrs.describe(),
            attrs.len
        )));
    }
    Ok(out)
}

/// Base64 with any whitespace (line breaks) removed; padding optional.
fn decode_base64(text: &str, bad: &dyn Fn(String) -> Error) -> Result<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    ENGINE
        .decode(&compact)
        .map_err(|e| bad(format!("the base64 data is corrupt ({e})")))
}

/// Decompresses a zlib (or gzip) stream, stopping one byte past `need`
/// so that a forged stream cannot expand without bound.
fn inflate(compressed: &[u8], need: usize, bad: &dyn Fn(String) -> Error) -> Result<Vec<u8>> {
    let cap = need as u64 + 1;
    let mut out = Vec::new();
    let result = if compressed.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(compressed)
            .take(cap)
            .read_to_end(&mut out)
    } else {
        flate2::read::ZlibDecoder::new(compressed)
            .take(cap)
            .read_to_end(&mut out)
    };
    result.map_err(|e| bad(format!("the compressed data is corrupt ({e})")))?;
    Ok(out)
}

/// Converts raw elements to f64 (`bytes.len()` is a multiple of the
/// element size).
fn to_f64(bytes: &[u8], data_type: DataType, big_endian: bool) -> Vec<f64> {
    macro_rules! convert {
        ($t:ty) => {{
            const N: usize = std::mem::size_of::<$t>();
            bytes
                .chunks_exact(N)
                .map(|chunk| {
                    let mut raw = [0u8; N];
                    raw.copy_from_slice(chunk);
                    let value = if big_endian {
                        <$t>::from_be_bytes(raw)
                    } else {
                        <$t>::from_le_bytes(raw)
                    };
                    value as f64
                })
                .collect()
        }};
    }
    match data_type {
        DataType::U8 => convert!(u8),
        DataType::I8 => convert!(i8),
        DataType::U16 => convert!(u16),
        DataType::I16 => convert!(i16),
        DataType::U32 => convert!(u32),
        DataType::I32 => convert!(i32),
        DataType::U64 => convert!(u64),
        DataType::I64 => convert!(i64),
        DataType::F32 => convert!(f32),
        DataType::F64 => convert!(f64),
    }
}

/// Reorders values stored first-index-fastest into row-major order
/// (`data.len()` is `prod(dims)`).
fn column_to_row_major(data: &[f64], dims: &[usize]) -> Vec<f64> {
    // With a zero dimension the others may be anything (their product
    // could overflow below): there is nothing to move.
    if data.is_empty() {
        return Vec::new();
    }
    // Row-major strides: the last index is contiguous. Every partial
    // product is at most `data.len()`.
    let mut strides = vec![1usize; dims.len()];
    for k in (0..dims.len().saturating_sub(1)).rev() {
        strides[k] = strides[k + 1].saturating_mul(dims[k + 1]);
    }
    let mut out = vec![0.0; data.len()];
    let mut index = vec![0usize; dims.len()];
    let mut offset = 0usize;
    for &value in data {
        if let Some(slot) = out.get_mut(offset) {
            *slot = value;
        }
        // Step the multi-index with the first index fastest, keeping
        // `offset` the row-major position of `index`.
        for k in 0..dims.len() {
            index[k] += 1;
            offset += strides[k];
            if index[k] < dims[k] {
                break;
            }
            offset -= strides[k] * dims[k];
            index[k] = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const POINTS: &str = r#"Intent="NIFTI_INTENT_POINTSET""#;
    const TRIS: &str = r#"Intent="NIFTI_INTENT_TRIANGLE""#;
    const BIG: &str = r#"Endian="BigEndian""#;
    const LITTLE: &str = r#"Endian="LittleEndian""#;
    const COLUMNS: &str = r#"ArrayIndexingOrder="ColumnMajorOrder""#;
    const VALUES: [f32; 6] = [1.0, 2.5, -3.0, 4.0, 5.0, 6.0];

    fn path() -> &'static Path {
        Path::new("test.gii")
    }

    /// A DataArray element; `ty` is the data type without `NIFTI_TYPE_`,
    /// `attrs` any further attributes.
    fn arr(ty: &str, dims: &[usize], enc: &str, attrs: &str, data: &str) -> String {
        let dim_attrs: String = dims
            .iter()
            .enumerate()
            .map(|(k, d)| format!(" Dim{k}=\"{d}\""))
            .collect();
        format!(
            "<DataArray DataType=\"NIFTI_TYPE_{ty}\" Dimensionality=\"{}\"{dim_attrs} \
             Encoding=\"{enc}\" {attrs}><Data>{data}</Data></DataArray>",
            dims.len()
        )
    }

    /// A GIfTI document holding the given DataArray elements.
    fn doc(arrays: &[String]) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <!DOCTYPE GIFTI SYSTEM \"http://www.nitrc.org/frs/download.php/115/gifti.dtd\">\n\
             <GIFTI Version=\"1.0\" NumberOfDataArrays=\"{}\">{}</GIFTI>",
            arrays.len(),
            arrays.concat()
        )
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn f32_bytes(values: &[f32], big: bool) -> Vec<u8> {
        let bytes = |v: &f32| {
            if big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        values.iter().flat_map(bytes).collect()
    }

    fn values() -> Vec<f64> {
        VALUES.map(f64::from).to_vec()
    }

    fn parse(xml: &str) -> Result<Gifti> {
        parse_gifti(xml.as_bytes(), path())
    }

    /// The first array of a document holding one.
    fn data(array: String) -> Vec<f64> {
        let g = parse(&doc(&[array])).unwrap();
        g.arrays[0].data.clone()
    }

    fn detail(e: Error) -> String {
        match e {
            Error::Format { detail, hint, .. } => {
                assert_eq!(hint, HINT);
                detail
            }
            other => panic!("expected a Format error, got {other:?}"),
        }
    }

    fn parse_error(xml: &str) -> String {
        detail(parse(xml).unwrap_err())
    }

    #[test]
    fn ascii() {
        let a = arr(
            "FLOAT32",
            &[2, 3],
            "ASCII",
            r#"Intent="NIFTI_INTENT_SHAPE""#,
            "1 2.5 -3\n4 5 6\n",
        );
        let g = parse(&doc(&[a])).unwrap();
        let a = &g.arrays[0];
        assert_eq!(a.intent, "NIFTI_INTENT_SHAPE");
        assert_eq!(a.dims, vec![2, 3]);
        assert_eq!(a.data_type, "NIFTI_TYPE_FLOAT32");
        assert_eq!(a.data, values());
        // Intent defaults to NONE; float32 values are rounded to float32.
        let g = parse(&doc(&[arr("FLOAT32", &[1], "ASCII", "", "0.1")])).unwrap();
        assert_eq!(g.arrays[0].intent, "NIFTI_INTENT_NONE");
        assert_eq!(g.arrays[0].data, vec![f64::from(0.1f32)]);
    }

    #[test]
    fn ascii_column_major_is_transposed() {
        // [[1,2,3],[4,5,6]] stored first index fastest.
        assert_eq!(
            data(arr("INT32", &[2, 3], "ASCII", COLUMNS, "1 4 2 5 3 6")),
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        );
    }

    #[test]
    fn column_major_three_dims() {
        // The value of each element is its row-major position.
        let mut col = vec![0.0; 24];
        for i in 0..2 {
            for j in 0..3 {
                for k in 0..4 {
                    col[i + 2 * j + 6 * k] = (i * 12 + j * 4 + k) as f64;
                }
            }
        }
        let row: Vec<f64> = (0..24).map(f64::from).collect();
        assert_eq!(column_to_row_major(&col, &[2, 3, 4]), row);
        assert!(column_to_row_major(&[], &[0, usize::MAX, usize::MAX]).is_empty());
    }

    #[test]
    fn base64_both_endians() {
        for (endian, big) in [(LITTLE, false), (BIG, true)] {
            let text = b64(&f32_bytes(&VALUES, big));
            assert_eq!(
                data(arr("FLOAT32", &[6], "Base64Binary", endian, &text)),
                values()
            );
        }
    }

    #[test]
    fn base64_with_line_breaks_and_no_padding() {
        let text = b64(&[1u8, 2, 3, 4, 5]);
        let wrapped = format!(
            "\n  {}\n  {}\n",
            &text[..4],
            text[4..].trim_end_matches('=')
        );
        let a = arr("UINT8", &[5], "Base64Binary", "", &wrapped);
        assert_eq!(data(a), vec![1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    #[test]
    fn gzip_base64_zlib_and_gzip_streams() {
        let raw = f32_bytes(&VALUES, false);
        for stream in [zlib(&raw), gzip(&raw)] {
            let a = arr(
                "FLOAT32",
                &[3, 2],
                "GZipBase64Binary",
                LITTLE,
                &b64(&stream),
            );
            assert_eq!(data(a), values());
        }
    }

    #[test]
    fn gzip_big_endian_column_major() {
        // [[1,2],[3,4],[5,6]] as big-endian int16, first index fastest.
        let col: Vec<u8> = [1i16, 3, 5, 2, 4, 6]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let a = arr(
            "INT16",
            &[3, 2],
            "GZipBase64Binary",
            &format!("{BIG} {COLUMNS}"),
            &b64(&zlib(&col)),
        );
        assert_eq!(data(a), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn every_data_type() {
        let cases: [(&str, Vec<u8>, &str, f64); 10] = [
            ("UINT8", vec![200], "200", 200.0),
            ("INT8", vec![0xff], "-1", -1.0),
            ("UINT16", 60000u16.to_le_bytes().into(), "60000", 60000.0),
            ("INT16", (-300i16).to_le_bytes().into(), "-300", -300.0),
            (
                "UINT32",
                4_000_000_000u32.to_le_bytes().into(),
                "4000000000",
                4e9,
            ),
            ("INT32", (-7i32).to_le_bytes().into(), "-7", -7.0),
            ("UINT64", 5u64.to_le_bytes().into(), "5", 5.0),
            ("INT64", (-5i64).to_le_bytes().into(), "-5", -5.0),
            ("FLOAT32", 0.5f32.to_le_bytes().into(), "0.5", 0.5),
            ("FLOAT64", 0.1f64.to_le_bytes().into(), "0.1", 0.1),
        ];
        for (ty, bytes, text, want) in cases {
            let binary = arr(ty, &[1], "Base64Binary", LITTLE, &b64(&bytes));
            assert_eq!(data(binary), vec![want], "{ty}");
            assert_eq!(data(arr(ty, &[1], "ASCII", "", text)), vec![want], "{ty}");
        }
        // ASCII integers must be integers in range.
        for (ty, text) in [("UINT8", "256"), ("INT32", "1.5"), ("UINT16", "-1")] {
            let e = parse_error(&doc(&[arr(ty, &[1], "ASCII", "", text)]));
            assert!(e.contains(&format!("\"{text}\" is not a")), "{e}");
        }
    }

    #[test]
    fn external_file_binary() {
        let dir = std::env::temp_dir().join(format!("gifti-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut bytes = vec![9u8; 7]; // 7 bytes before the data
        bytes.extend(f32_bytes(&VALUES, true));
        std::fs::write(dir.join("ext.dat"), &bytes).unwrap();
        let attrs = format!(r#"{BIG} ExternalFileName="ext.dat" ExternalFileOffset="7""#);
        let a = arr("FLOAT32", &[2, 3], "ExternalFileBinary", &attrs, "");
        let gii = dir.join("x.gii");
        let read = |xml: String| parse_gifti(doc(&[xml]).as_bytes(), &gii);
        assert_eq!(read(a.clone()).unwrap().arrays[0].data, values());

        let past_end = a.replace(r#"Offset="7""#, r#"Offset="8""#);
        let e = detail(read(past_end).unwrap_err());
        assert!(
            e.contains("needs 24 bytes at offset 8") && e.contains("has 31 bytes"),
            "{e}"
        );

        let folder = a.replace("ext.dat", ".");
        assert!(detail(read(folder).unwrap_err()).contains("not a regular file"));

        match read(a.replace("ext.dat", "nope.dat")).unwrap_err() {
            Error::Io { path, .. } => assert!(path.ends_with("nope.dat")),
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn metadata_and_labels() {
        let xml = r#"<GIFTI NumberOfDataArrays="1">
            <MetaData>
              <MD><Name><![CDATA[AnatomicalStructurePrimary]]></Name>
                  <Value><![CDATA[CortexLeft]]></Value></MD>
              <MD><Name>escaped</Name><Value>a &amp; b &#x41;</Value></MD>
            </MetaData>
            <LabelTable>
              <Label Key="0" Red="0" Green="0" Blue="0" Alpha="0"><![CDATA[???]]></Label>
              <Label Key="-3">V1 &lt;left&gt;</Label>
            </LabelTable>
            <DataArray Intent="NIFTI_INTENT_LABEL" DataType="NIFTI_TYPE_INT32"
                Dimensionality="1" Dim0="2" Encoding="ASCII">
              <MetaData><MD><Name>Name</Name><Value>parcels</Value></MD></MetaData>
              <CoordinateSystemTransformMatrix><DataSpace>x</DataSpace>
                <MatrixData>1 0 0 0 0 1 0 0 0 0 1 0 0 0 0 1</MatrixData>
              </CoordinateSystemTransformMatrix>
              <Data>0 -3</Data>
            </DataArray></GIFTI>"#;
        let g = parse(xml).unwrap();
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            g.metadata,
            vec![
                pair("AnatomicalStructurePrimary", "CortexLeft"),
                pair("escaped", "a & b A")
            ]
        );
        assert_eq!(g.labels, vec![(0, "???".into()), (-3, "V1 <left>".into())]);
        assert_eq!(g.arrays[0].metadata, vec![pair("Name", "parcels")]);
        assert_eq!(g.arrays[0].data, vec![0.0, -3.0]);
        assert_eq!(g.path, path());
    }

    #[test]
    fn byte_order_mark_and_empty_label_table() {
        let xml = format!("\u{feff}{}", doc(&[arr("UINT8", &[1], "ASCII", "", "3")]));
        let xml = xml.replace("<DataArray", "<LabelTable/><DataArray");
        let g = parse(&xml).unwrap();
        assert!(g.labels.is_empty());
        assert_eq!(g.arrays[0].data, vec![3.0]);
    }

    fn surface(triangles: &str) -> String {
        doc(&[
            arr("FLOAT32", &[3, 3], "ASCII", POINTS, "0 0 0  1 0 0  0 1 0"),
            arr("INT32", &[1, 3], "ASCII", TRIS, triangles),
        ])
    }

    #[test]
    fn mesh() {
        let (v, f) = parse(&surface("0 1 2")).unwrap().mesh().unwrap().unwrap();
        assert_eq!(v, vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
        assert_eq!(f, vec![[0, 1, 2]]);
    }

    #[test]
    fn no_mesh_without_both_arrays() {
        let points = arr("FLOAT32", &[1, 3], "ASCII", POINTS, "0 0 0");
        assert!(parse(&doc(&[points])).unwrap().mesh().unwrap().is_none());
    }

    #[test]
    fn mesh_vertex_out_of_range() {
        let e = detail(parse(&surface("0 1 3")).unwrap().mesh().unwrap_err());
        assert_eq!(
            e,
            "data array 1 (NIFTI_INTENT_TRIANGLE): face 0 names vertex 3 but the point set has \
             3 vertices"
        );
    }

    #[test]
    fn mesh_fractional_vertex() {
        let xml = surface("0 1 2").replace(
            r#"DataType="NIFTI_TYPE_INT32""#,
            r#"DataType="NIFTI_TYPE_FLOAT32""#,
        );
        let e = detail(
            parse(&xml.replace("0 1 2", "0 1.5 2"))
                .unwrap()
                .mesh()
                .unwrap_err(),
        );
        assert!(
            e.ends_with("face 0 has vertex index 1.5, not a whole number"),
            "{e}"
        );
    }

    #[test]
    fn mesh_wrong_shape() {
        let xml = doc(&[
            arr("FLOAT32", &[2, 2], "ASCII", POINTS, "0 0 1 1"),
            arr("INT32", &[1, 3], "ASCII", TRIS, "0 1 0"),
        ]);
        let e = detail(parse(&xml).unwrap().mesh().unwrap_err());
        assert!(
            e.contains("data array 0") && e.contains("dimensions 2×2"),
            "{e}"
        );
    }

    #[test]
    fn wrong_byte_count() {
        let small = arr("UINT8", &[1], "ASCII", "", "1");
        let points = arr(
            "FLOAT32",
            &[100, 3],
            "Base64Binary",
            POINTS,
            &b64(&[0u8; 1000]),
        );
        assert_eq!(
            parse_error(&doc(&[small.clone(), small, points])),
            "data array 2: 1000 bytes decoded but Dim0×Dim1 = 100×3 float32 needs 1200"
        );
    }

    #[test]
    fn decompression_stops_past_the_size_needed() {
        let a = arr(
            "FLOAT32",
            &[2],
            "GZipBase64Binary",
            "",
            &b64(&zlib(&[0u8; 100_000])),
        );
        assert_eq!(
            parse_error(&doc(&[a])),
            "data array 0: 9 bytes decoded but Dim0 = 2 float32 needs 8"
        );
    }

    #[test]
    fn wrong_ascii_count() {
        let a = arr("FLOAT32", &[2, 2], "ASCII", "", "1 2 3");
        assert_eq!(
            parse_error(&doc(&[a])),
            "data array 0: 3 values in the ASCII data but Dim0×Dim1 = 2×2 float32 needs 4"
        );
        let a = arr("FLOAT32", &[1], "ASCII", "", "1 x");
        assert!(parse_error(&doc(&[a])).contains("value 1 \"x\" is not a float32 number"));
    }

    #[test]
    fn absurd_dims_are_refused_before_allocating() {
        for dims in [[usize::MAX, 2], [1 << 20, 1 << 20]] {
            let a = arr("FLOAT64", &dims, "ASCII", "", "1");
            assert!(parse_error(&doc(&[a])).contains("too large"));
        }
        // Large dimensions with little data fail on the count, cheaply.
        let claim = arr(
            "UINT8",
            &[1 << 30],
            "GZipBase64Binary",
            "",
            &b64(&zlib(&[1, 2, 3])),
        );
        assert!(parse_error(&doc(&[claim])).contains("3 bytes decoded"));
        let claim = arr("UINT8", &[1 << 30], "ASCII", "", "1 2 3");
        assert!(parse_error(&doc(&[claim])).contains("3 values"));
    }

    #[test]
    fn bad_attributes() {
        let good = arr("FLOAT32", &[1], "ASCII", "", "1");
        let cases = [
            (
                r#"Encoding="ASCII""#,
                r#"Encoding="Zip""#,
                "unknown Encoding \"Zip\"",
            ),
            ("NIFTI_TYPE_FLOAT32", "FLOAT", "unknown DataType \"FLOAT\""),
            (
                r#"Dimensionality="1""#,
                r#"Dimensionality="7""#,
                "Dimensionality \"7\"",
            ),
            (
                r#"Dimensionality="1""#,
                r#"Dimensionality="2""#,
                "the Dim1 attribute is missing",
            ),
            (r#"Dim0="1""#, r#"Dim0="-1""#, "Dim0 \"-1\" is not a size"),
            (
                r#"Encoding="ASCII""#,
                r#"Encoding="ASCII" Endian="Middle""#,
                "unknown Endian",
            ),
            (
                r#"Encoding="ASCII""#,
                r#"Encoding="ASCII" ArrayIndexingOrder="Z""#,
                "unknown ArrayIndexingOrder",
            ),
            (
                r#"Encoding="ASCII""#,
                r#"Encoding="ASCII" ExternalFileOffset="-2""#,
                "ExternalFileOffset",
            ),
            (
                r#"DataType="NIFTI_TYPE_FLOAT32""#,
                "",
                "the DataType attribute is missing",
            ),
            (
                r#"Encoding="ASCII""#,
                r#"Encoding="ASCII" Encoding="ASCII""#,
                "bad attribute",
            ),
        ];
        for (from, to, want) in cases {
            assert!(good.contains(from), "{from}");
            let e = parse_error(&doc(&[good.replace(from, to)]));
            assert!(e.contains(want), "{e} / {want}");
        }
    }

    #[test]
    fn unsupported_data_type() {
        let a = arr("RGB24", &[1], "ASCII", "", "1");
        match parse(&doc(&[a])).unwrap_err() {
            Error::UnsupportedFile { detail, .. } => {
                assert!(detail.starts_with("data array 0 has data type NIFTI_TYPE_RGB24"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn corrupt_data() {
        let a = arr("FLOAT32", &[1], "Base64Binary", "", "@@@@");
        assert!(parse_error(&doc(&[a])).contains("base64 data is corrupt"));
        let a = arr("FLOAT32", &[1], "GZipBase64Binary", "", &b64(b"not zlib"));
        assert!(parse_error(&doc(&[a])).contains("compressed data is corrupt"));
        let mut cut = zlib(&f32_bytes(&VALUES, false));
        cut.truncate(cut.len() - 6);
        let a = arr("FLOAT32", &[6], "GZipBase64Binary", "", &b64(&cut));
        assert!(parse(&doc(&[a])).is_err());
        let a = arr("FLOAT32", &[1], "ExternalFileBinary", "", "");
        assert!(parse_error(&doc(&[a])).contains("without an ExternalFileName"));
    }

    #[test]
    fn not_gifti_truncated_or_inconsistent() {
        assert!(parse_error("<NIFTI/>").contains("root element is <NIFTI>"));
        assert!(parse_error("").contains("no <GIFTI> element"));
        let full = surface("0 1 2");
        assert!(parse(&full[..full.len() - 20]).is_err());
        assert!(parse_error("<GIFTI><MetaData>").contains("ends before </GIFTI>"));
        assert!(parse("<GIFTI><DataArray></GIFTI>").is_err());
        let e = parse_error(r#"<GIFTI NumberOfDataArrays="2"></GIFTI>"#);
        assert!(
            e.contains("NumberOfDataArrays=\"2\" but the file holds 0"),
            "{e}"
        );
        let e = parse_error("<GIFTI><MetaData><MD><Name>&nbsp;</Name></MD></MetaData></GIFTI>");
        assert!(e.contains("&nbsp;"), "{e}");
        let e = parse_error(r#"<GIFTI><LabelTable><Label>x</Label></LabelTable></GIFTI>"#);
        assert!(e.contains("has no Key"), "{e}");
    }

    #[test]
    fn two_data_elements() {
        let a = arr("UINT8", &[1], "ASCII", "", "1").replace("</Data>", "</Data><Data>2</Data>");
        assert!(parse_error(&doc(&[a])).contains("data array 0 has two Data elements"));
    }

    #[test]
    fn garbage_never_panics() {
        let raw = f32_bytes(&VALUES, false);
        let good = doc(&[
            arr(
                "FLOAT32",
                &[2, 3],
                "GZipBase64Binary",
                &format!("{POINTS} {COLUMNS}"),
                &b64(&zlib(&raw)),
            ),
            arr("INT32", &[1, 3], "ASCII", TRIS, "0 1 1"),
            arr("UINT8", &[2], "Base64Binary", BIG, &b64(&[1, 2])),
        ]);
        let bytes = good.as_bytes();
        // Every prefix, and every byte changed in two ways.
        for end in 0..bytes.len() {
            let _ = parse_gifti(&bytes[..end], path()).map(|g| g.mesh());
        }
        for i in 0..bytes.len() {
            for flip in [0x01, 0x55] {
                let mut b = bytes.to_vec();
                b[i] ^= flip;
                let _ = parse_gifti(&b, path()).map(|g| g.mesh());
            }
        }
    }
}
