//! MATLAB Level-5 MAT-files (`save -v6`, `save -v7`, `scipy.io.savemat`),
//! read by hand from MathWorks' "MAT-File Format" description.
//!
//! What is read: every top-level variable, in file order, of a file in
//! either byte order ('IM' little-endian or 'MI' big-endian), compressed
//! (`miCOMPRESSED`, v7) or not (v6). Values become [`MatValue`]s:
//! numeric and logical arrays (any class, whatever smaller type MATLAB
//! stored them in) as f64 in column-major order (int64/uint64 beyond 2^53
//! round, as in any f64 conversion), char arrays as one string per row,
//! cell arrays and structs (and struct arrays) recursively.
//!
//! What is refused, as [`Error::UnsupportedFile`] naming the variable:
//! complex values, sparse matrices, MATLAB objects (classdef, old-style and
//! the "opaque" ones behind `string`, `table`, `datetime`), function
//! handles, nesting deeper than [`MAX_DEPTH`], and v7.3 files (those are
//! HDF5; see [`is_v73`]). Level-4 files and anything else without the
//! Level-5 header are [`Error::Format`] errors, as is any corrupt or
//! truncated content.
//!
//! The reader is meant to survive hostile input: every size read from the
//! file is checked against the bytes that are actually there before
//! anything is allocated for it, compressed data is inflated into a buffer
//! that grows only as output arrives (and never past what the element's own
//! tag declares), and recursion is capped.

use std::fmt;
use std::path::Path;

use flate2::{Decompress, FlushDecompress, Status};

use crate::error::{Error, Result};

/// One MATLAB value. `dims` are as stored in the file (at least two
/// entries, as MATLAB always writes them).
#[derive(Clone, Debug, PartialEq)]
pub enum MatValue {
    /// A numeric or logical array (double, single, int8..uint64, logical;
    /// not char): values as f64 in MATLAB's column-major order.
    Numeric { dims: Vec<usize>, data: Vec<f64> },
    /// A char array: one string per row. A 1×n char is one string; an m×n
    /// char matrix gives m strings with the trailing spaces that MATLAB pads
    /// short rows with trimmed. Arrays with more than two dimensions give
    /// their rows page by page (m × pages strings of n characters).
    Char { dims: Vec<usize>, rows: Vec<String> },
    /// A cell array: items in column-major order.
    Cell {
        dims: Vec<usize>,
        items: Vec<MatValue>,
    },
    /// A struct or struct array: field names in file order and, for each
    /// element (column-major), its values in the order of `fields`.
    Struct {
        dims: Vec<usize>,
        fields: Vec<String>,
        elements: Vec<Vec<MatValue>>,
    },
}

/// Cells and structs nested deeper than this are refused, so that a small
/// file cannot overflow the stack.
pub const MAX_DEPTH: usize = 64;

/// Items that take no bytes in the file (the rows of an m×0 char array, the
/// elements of a struct array without fields) are still allocated, so their
/// number is capped: a few header bytes must not demand gigabytes.
const MAX_EMPTY_ITEMS: usize = 1 << 20;

use super::limits::MAX_DEFLATE_RATIO;

/// Compressed data is inflated into a buffer grown by at least this much at
/// a time (and at most to the size the inner element declares).
const INFLATE_CHUNK: usize = 64 << 10;

/// How much of a compressed variable is inflated to peek at its name: the
/// array flags, dimensions and a name of up to 63 characters fit.
const PEEK_LEN: usize = 1024;

const HEADER_LEN: usize = 128;
const TAG_LEN: usize = 8;
const HINT: &str = "re-save the file with MATLAB or scipy.io.savemat";

// Data types of data elements ("mi" types).
const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_INT64: u32 = 12;
const MI_UINT64: u32 = 13;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;
const MI_UTF8: u32 = 16;
const MI_UTF16: u32 = 17;
const MI_UTF32: u32 = 18;

// Array classes ("mx" classes), the low byte of the first array flag.
const MX_CELL: u8 = 1;
const MX_STRUCT: u8 = 2;
const MX_OBJECT: u8 = 3;
const MX_CHAR: u8 = 4;
const MX_SPARSE: u8 = 5;
const MX_DOUBLE: u8 = 6;
const MX_UINT64: u8 = 15;
const MX_FUNCTION: u8 = 16;
const MX_OPAQUE: u8 = 17;
const MX_OBJECT_FROM_MATRIX_H: u8 = 18;

/// The complex bit in the second byte of the first array flag.
const FLAG_COMPLEX: u32 = 0x08 << 8;

/// Is this a v7.3 (HDF5-based) MAT-file? Either its header text says so or
/// the HDF5 signature sits at byte 512, where MATLAB puts the HDF5 superblock
/// after its 512-byte user block.
pub fn is_v73(bytes: &[u8]) -> bool {
    const HDF5_SIGNATURE: &[u8] = b"\x89HDF\r\n\x1a\n";
    bytes.starts_with(b"MATLAB 7.3 MAT-file") || bytes.get(512..520) == Some(HDF5_SIGNATURE)
}

/// All variables of a Level-5 MAT-file, in file order. `path` is only used
/// in error messages.
pub fn read_mat_v5(bytes: &[u8], path: &Path) -> Result<Vec<(String, MatValue)>> {
    if is_v73(bytes) {
        return Err(Error::UnsupportedFile {
            path: path.to_path_buf(),
            detail: "MATLAB v7.3 files are HDF5; read it as HDF5, or save it with \
                     save(..., '-v7') for this reader"
                .into(),
        });
    }
    let header = Header::parse(bytes, path)?;
    let reader = Reader {
        path,
        endian: header.endian,
    };
    let body = bytes.get(HEADER_LEN..).unwrap_or_default();
    let mut cursor = Cursor::new(body, Pos::file(HEADER_LEN));
    let mut variables = Vec::new();
    while !cursor.at_end() {
        // The name is peeked first so that every error, even one in the
        // element's tag, can say which variable it is in.
        let name = reader.peek_name(cursor.rest()).unwrap_or_default();
        let loc = Loc::top_level(cursor.pos(), &name);
        let element = reader.element(&mut cursor, &loc)?;
        // The subsystem element holds the internals of MATLAB objects; it is
        // not a variable (and the objects that need it are refused anyway).
        if Some(element.pos.offset) == header.subsystem_offset {
            continue;
        }
        variables.push(reader.variable(&element, &loc)?);
    }
    Ok(variables)
}

/// What the 128-byte file header says.
struct Header {
    endian: Endian,
    /// Where the subsystem data element starts, if there is one.
    subsystem_offset: Option<usize>,
}

impl Header {
    fn parse(bytes: &[u8], path: &Path) -> Result<Header> {
        let not_mat = |detail: String| {
            Error::format(
                path,
                format!("not a MATLAB Level-5 MAT-file: {detail}"),
                "save it with MATLAB (save -v7) or scipy.io.savemat; \
                 MATLAB v4 files are not read",
            )
        };
        let Some(header) = bytes.get(..HEADER_LEN) else {
            return Err(not_mat(format!(
                "the file is {} bytes, shorter than the 128-byte header",
                bytes.len()
            )));
        };
        let endian = match header.get(126..128) {
            Some(b"IM") => Endian::Little,
            Some(b"MI") => Endian::Big,
            _ => {
                return Err(not_mat(
                    "no endian indicator ('IM' or 'MI') at byte 126".into(),
                ));
            }
        };
        let version = word::<2>(header, 124, endian).map(u16::from_le_bytes);
        if version != Some(0x0100) {
            return Err(not_mat(format!(
                "header version {:#06x} instead of 0x0100",
                version.unwrap_or_default()
            )));
        }
        // Unused offsets are written as zeros or as spaces.
        let subsystem = header.get(116..124).unwrap_or_default();
        let subsystem_offset = if subsystem.iter().all(|&b| b == 0 || b == b' ') {
            None
        } else {
            word::<8>(header, 116, endian)
                .map(u64::from_le_bytes)
                .and_then(|offset| usize::try_from(offset).ok())
        };
        Ok(Header {
            endian,
            subsystem_offset,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endian {
    Little,
    Big,
}

/// The `N` bytes at `at`, reordered to little-endian so that the caller can
/// use `from_le_bytes` whatever the file's byte order.
fn word<const N: usize>(bytes: &[u8], at: usize, endian: Endian) -> Option<[u8; N]> {
    let mut word: [u8; N] = bytes.get(at..at.checked_add(N)?)?.try_into().ok()?;
    if endian == Endian::Big {
        word.reverse();
    }
    Some(word)
}

/// All `N`-byte words of `bytes` (whose length the caller has checked to be
/// a multiple of `N`), as little-endian arrays.
fn words<const N: usize>(bytes: &[u8], endian: Endian) -> impl Iterator<Item = [u8; N]> + '_ {
    bytes.chunks_exact(N).map(move |chunk| {
        let mut word = [0; N];
        word.copy_from_slice(chunk);
        if endian == Endian::Big {
            word.reverse();
        }
        word
    })
}

/// A position for error messages: a byte of the file, or a byte of the
/// inflated contents of the compressed element at some byte of the file.
#[derive(Clone, Copy, Debug)]
struct Pos {
    offset: usize,
    compressed_at: Option<usize>,
}

impl Pos {
    fn file(offset: usize) -> Pos {
        Pos {
            offset,
            compressed_at: None,
        }
    }

    fn plus(self, delta: usize) -> Pos {
        Pos {
            offset: self.offset.saturating_add(delta),
            ..self
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.compressed_at {
            None => write!(f, "byte {}", self.offset),
            Some(at) => write!(
                f,
                "byte {} of the compressed element at byte {at}",
                self.offset
            ),
        }
    }
}

/// Where in the variable tree a value sits, for error messages: a chain of
/// steps up to the variable, kept on the stack and only rendered on error.
struct Loc<'a> {
    parent: Option<&'a Loc<'a>>,
    step: Step<'a>,
    depth: usize,
}

enum Step<'a> {
    /// A top-level variable; its name is empty if it could not be read.
    Variable { name: &'a str, at: Pos },
    /// The item of a cell array at this column-major index.
    Cell(usize),
    /// A field of a struct element (`element` is `None` for a 1×1 struct).
    Field {
        element: Option<usize>,
        name: &'a str,
    },
}

impl<'a> Loc<'a> {
    fn top_level(at: Pos, name: &'a str) -> Loc<'a> {
        Loc {
            parent: None,
            step: Step::Variable { name, at },
            depth: 0,
        }
    }

    fn child(&'a self, step: Step<'a>) -> Loc<'a> {
        Loc {
            parent: Some(self),
            step,
            depth: self.depth + 1,
        }
    }
}

impl fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut chain = vec![&self.step];
        let mut up = self.parent;
        while let Some(loc) = up {
            chain.push(&loc.step);
            up = loc.parent;
        }
        chain.reverse();
        let mut path = String::new();
        for step in &chain {
            match step {
                Step::Variable { name, .. } => path.push_str(name),
                Step::Cell(i) => path.push_str(&format!("{{{}}}", i + 1)),
                Step::Field {
                    element: Some(e),
                    name,
                } => path.push_str(&format!("({}).{name}", e + 1)),
                Step::Field {
                    element: None,
                    name,
                } => path.push_str(&format!(".{name}")),
            }
        }
        match chain.first() {
            Some(Step::Variable { name: "", at }) => {
                write!(f, "the variable at {at}")?;
                if chain.len() > 1 {
                    write!(f, " (at {path})")?;
                }
                Ok(())
            }
            Some(Step::Variable { name, .. }) if chain.len() > 1 => {
                write!(f, "variable '{name}' (at {path})")
            }
            _ => write!(f, "variable '{path}'"),
        }
    }
}

/// One data element: its type, its data (without padding) and where its
/// tag starts.
struct Element<'a> {
    ty: u32,
    data: &'a [u8],
    pos: Pos,
}

/// Reads data elements one after the other from a slice.
struct Cursor<'a> {
    bytes: &'a [u8],
    next: usize,
    origin: Pos,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8], origin: Pos) -> Cursor<'a> {
        Cursor {
            bytes,
            next: 0,
            origin,
        }
    }

    fn pos(&self) -> Pos {
        self.origin.plus(self.next)
    }

    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.next..).unwrap_or_default()
    }

    fn at_end(&self) -> bool {
        self.rest().is_empty()
    }
}

/// The array flags, dimensions and name that open every miMATRIX element.
struct ArrayHeader {
    class: u8,
    complex: bool,
    dims: Vec<usize>,
    numel: usize,
    name: String,
}

/// Char data as MATLAB's chars: UTF-16 code units (`utf16`) or code points.
struct CharUnits {
    units: Vec<u32>,
    utf16: bool,
}

struct Reader<'p> {
    path: &'p Path,
    endian: Endian,
}

impl Reader<'_> {
    fn corrupt(&self, loc: &Loc, detail: impl fmt::Display) -> Error {
        Error::format(self.path, format!("{loc}: {detail}"), HINT)
    }

    fn unsupported(&self, loc: &Loc, detail: impl fmt::Display) -> Error {
        Error::UnsupportedFile {
            path: self.path.to_path_buf(),
            detail: format!("{loc} {detail}"),
        }
    }

    fn u32(&self, bytes: [u8; 4]) -> u32 {
        match self.endian {
            Endian::Little => u32::from_le_bytes(bytes),
            Endian::Big => u32::from_be_bytes(bytes),
        }
    }

    /// The next data element of `cursor`, in either the normal form (8-byte
    /// tag, data padded to 8 bytes) or the small form (type and byte count
    /// packed into 4 bytes, up to 4 bytes of data in the next 4).
    fn element<'a>(&self, cursor: &mut Cursor<'a>, loc: &Loc) -> Result<Element<'a>> {
        let pos = cursor.pos();
        let rest = cursor.rest();
        let truncated = |needs: usize| {
            self.corrupt(
                loc,
                format!(
                    "data element truncated at {pos} (it needs {needs} bytes, {} remain)",
                    rest.len()
                ),
            )
        };
        let Some(&[a, b, c, d, e, f, g, h]) = rest.get(..TAG_LEN) else {
            return Err(truncated(TAG_LEN));
        };
        let first = self.u32([a, b, c, d]);
        let (ty, data, consumed) = if first >> 16 != 0 {
            // Small form: the byte count sits in the upper half of the word.
            let count = (first >> 16) as usize;
            let Some(data) = rest.get(4..4 + count).filter(|_| count <= 4) else {
                return Err(self.corrupt(
                    loc,
                    format!("small data element at {pos} claims {count} bytes (at most 4)"),
                ));
            };
            (first & 0xffff, data, TAG_LEN)
        } else {
            let count = self.u32([e, f, g, h]) as usize;
            let needs = TAG_LEN.saturating_add(count);
            let Some(data) = rest.get(TAG_LEN..needs) else {
                return Err(truncated(needs));
            };
            // A compressed element is not padded. Missing padding at the very
            // end of a parent is tolerated: the data itself is complete.
            let padded = if first == MI_COMPRESSED {
                needs
            } else {
                needs.next_multiple_of(8)
            };
            (first, data, padded.min(rest.len()))
        };
        cursor.next += consumed;
        Ok(Element { ty, data, pos })
    }

    /// Like [`Reader::element`], but the element must exist and have type `ty`.
    fn expect<'a>(
        &self,
        cursor: &mut Cursor<'a>,
        loc: &Loc,
        ty: u32,
        what: &str,
    ) -> Result<&'a [u8]> {
        if cursor.at_end() {
            return Err(self.corrupt(loc, format!("{what} missing at {}", cursor.pos())));
        }
        let element = self.element(cursor, loc)?;
        if element.ty != ty {
            return Err(self.corrupt(
                loc,
                format!(
                    "{what} at {} has data type {} instead of {ty}",
                    element.pos, element.ty
                ),
            ));
        }
        Ok(element.data)
    }

    /// A top-level element: a variable, plain or compressed.
    fn variable(&self, element: &Element, loc: &Loc) -> Result<(String, MatValue)> {
        match element.ty {
            MI_MATRIX => self.matrix(element, loc),
            MI_COMPRESSED => {
                let inflated = self.inflate(element, loc)?;
                let origin = Pos {
                    offset: 0,
                    compressed_at: Some(element.pos.offset),
                };
                let mut cursor = Cursor::new(&inflated, origin);
                let inner = self.element(&mut cursor, loc)?;
                if inner.ty != MI_MATRIX {
                    return Err(self.corrupt(
                        loc,
                        format!(
                            "compressed data holds data type {} instead of miMATRIX (14)",
                            inner.ty
                        ),
                    ));
                }
                self.matrix(&inner, loc)
            }
            ty => Err(self.corrupt(
                loc,
                format!("top-level data element of type {ty} (expected miMATRIX or miCOMPRESSED)"),
            )),
        }
    }

    /// Inflates a compressed element's zlib stream. The output buffer grows
    /// as output arrives and never beyond the size its inner element's tag
    /// declares (plus one, to notice a stream that holds more); the stream
    /// must end properly, so its checksum is verified.
    fn inflate(&self, element: &Element, loc: &Loc) -> Result<Vec<u8>> {
        let at = element.pos;
        let input = element.data;
        let mut zlib = Decompress::new(true);
        let mut out: Vec<u8> = Vec::new();
        let mut limit = TAG_LEN;
        loop {
            if out.len() == out.capacity() {
                let room = limit.saturating_add(1).saturating_sub(out.len());
                out.reserve_exact(out.len().max(INFLATE_CHUNK).min(room.max(1)));
            }
            let (in_before, out_before) = (zlib.total_in(), out.len());
            let rest = usize::try_from(zlib.total_in())
                .ok()
                .and_then(|consumed| input.get(consumed..))
                .unwrap_or_default();
            let status = zlib
                .decompress_vec(rest, &mut out, FlushDecompress::None)
                .map_err(|e| {
                    self.corrupt(loc, format!("compressed element at {at} is corrupt ({e})"))
                })?;
            if limit == TAG_LEN {
                if let Some(declared) = self.declared_len(&out, input.len(), loc, at)? {
                    limit = declared;
                }
            }
            if out.len() > limit {
                return Err(self.corrupt(
                    loc,
                    format!(
                        "compressed element at {at} inflates to more than its contents declare"
                    ),
                ));
            }
            if status == Status::StreamEnd {
                return Ok(out);
            }
            // The output always has room here, so no progress means the
            // input ran out before the end of the stream.
            if zlib.total_in() == in_before && out.len() == out_before {
                return Err(self.corrupt(
                    loc,
                    format!(
                        "compressed element at {at} is truncated ({} bytes inflated)",
                        out.len()
                    ),
                ));
            }
        }
    }

    /// Once the first 8 inflated bytes are there: the total size the inner
    /// element's tag declares, checked against what deflate can produce from
    /// `compressed_len` bytes.
    fn declared_len(
        &self,
        out: &[u8],
        compressed_len: usize,
        loc: &Loc,
        at: Pos,
    ) -> Result<Option<usize>> {
        let Some(&[_, _, _, _, e, f, g, h]) = out.get(..TAG_LEN) else {
            return Ok(None);
        };
        let declared = TAG_LEN.saturating_add(self.u32([e, f, g, h]) as usize);
        let most = (compressed_len as u64).saturating_mul(MAX_DEFLATE_RATIO);
        if declared as u64 > most {
            return Err(self.corrupt(
                loc,
                format!(
                    "compressed element at {at} claims {declared} bytes, more than \
                     {compressed_len} compressed bytes can hold"
                ),
            ));
        }
        Ok(Some(declared))
    }

    /// The name of the variable whose (possibly truncated or corrupt) element
    /// starts `bytes`, if its array header can be read.
    fn peek_name(&self, bytes: &[u8]) -> Option<String> {
        let &[a, b, c, d, e, f, g, h] = bytes.get(..TAG_LEN)? else {
            return None;
        };
        let count = self.u32([e, f, g, h]) as usize;
        let data = bytes.get(TAG_LEN..).unwrap_or_default();
        let data = data.get(..count).unwrap_or(data);
        let inflated;
        let body = match self.u32([a, b, c, d]) {
            MI_MATRIX => data,
            MI_COMPRESSED => {
                inflated = inflate_prefix(data, PEEK_LEN);
                inflated.get(TAG_LEN..)?
            }
            _ => return None,
        };
        let mut cursor = Cursor::new(body, Pos::file(0));
        let quiet = Loc::top_level(Pos::file(0), "");
        let header = self.array_header(&mut cursor, &quiet).ok()?;
        Some(header.name)
    }

    /// A miMATRIX element: the array it holds and its name.
    fn matrix(&self, element: &Element, loc: &Loc) -> Result<(String, MatValue)> {
        if loc.depth > MAX_DEPTH {
            return Err(self.unsupported(
                loc,
                format!("nests cells or structs more than {MAX_DEPTH} levels deep"),
            ));
        }
        // MATLAB writes empty cell items as miMATRIX elements without data.
        if element.data.is_empty() {
            let empty = MatValue::Numeric {
                dims: vec![0, 0],
                data: Vec::new(),
            };
            return Ok((String::new(), empty));
        }
        let mut cursor = Cursor::new(element.data, element.pos.plus(TAG_LEN));
        let header = self.array_header(&mut cursor, loc)?;
        // Name the variable in messages from here on.
        let named;
        let loc = match loc.step {
            Step::Variable { at, .. } if loc.parent.is_none() => {
                named = Loc {
                    parent: None,
                    step: Step::Variable {
                        name: &header.name,
                        at,
                    },
                    depth: 0,
                };
                &named
            }
            _ => loc,
        };
        let value = self.array(&mut cursor, &header, loc)?;
        Ok((header.name, value))
    }

    fn array(&self, cursor: &mut Cursor<'_>, header: &ArrayHeader, loc: &Loc) -> Result<MatValue> {
        match header.class {
            MX_CELL => self.cell(cursor, header, loc),
            MX_STRUCT => self.structure(cursor, header, loc),
            MX_CHAR => self.chars(cursor, header, loc),
            MX_DOUBLE..=MX_UINT64 => self.numeric(cursor, header, loc),
            MX_SPARSE => Err(self.unsupported(
                loc,
                "is a sparse matrix, which is not read; convert it with full() before saving",
            )),
            MX_OBJECT | MX_OBJECT_FROM_MATRIX_H => {
                Err(self.unsupported(loc, "is a MATLAB object, which is not read"))
            }
            MX_OPAQUE => Err(self.unsupported(
                loc,
                "is a MATLAB object (such as a string, table or datetime), which is not read; \
                 convert it to a numeric, char, cell or struct array",
            )),
            MX_FUNCTION => Err(self.unsupported(loc, "is a function handle, which is not read")),
            class => Err(self.corrupt(loc, format!("unknown array class {class}"))),
        }
    }

    /// Array flags, dimensions and name.
    fn array_header(&self, cursor: &mut Cursor<'_>, loc: &Loc) -> Result<ArrayHeader> {
        let flags = self.element(cursor, loc)?;
        let first = match flags.ty {
            MI_UINT32 | MI_INT32 => flags
                .data
                .get(..4)
                .and_then(|b| word::<4>(b, 0, self.endian)),
            _ => None,
        };
        let Some(first) = first.map(u32::from_le_bytes) else {
            return Err(self.corrupt(loc, format!("bad array flags at {}", flags.pos)));
        };
        let dims_element = self.element(cursor, loc)?;
        let dims = self.dims(&dims_element, loc)?;
        let Some(numel) = dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) else {
            return Err(self.corrupt(loc, format!("dimensions {dims:?} overflow")));
        };
        let name = self.element(cursor, loc)?;
        if !matches!(name.ty, MI_INT8 | MI_UINT8 | MI_UTF8) {
            return Err(self.corrupt(
                loc,
                format!("array name at {} has data type {}", name.pos, name.ty),
            ));
        }
        Ok(ArrayHeader {
            class: (first & 0xff) as u8,
            complex: first & FLAG_COMPLEX != 0,
            dims,
            numel,
            name: text_until_nul(name.data),
        })
    }

    fn dims(&self, element: &Element, loc: &Loc) -> Result<Vec<usize>> {
        let values = self.integers(element, loc, "dimensions")?;
        let dims: Option<Vec<usize>> = values.iter().map(|&d| usize::try_from(d).ok()).collect();
        match dims {
            Some(dims) if dims.len() >= 2 => Ok(dims),
            _ => Err(self.corrupt(loc, format!("bad dimensions {values:?} at {}", element.pos))),
        }
    }

    /// The values of an element of an integer type, as i64 (u64 values past
    /// i64::MAX are refused: no size or count can be that large).
    fn integers(&self, element: &Element, loc: &Loc, what: &str) -> Result<Vec<i64>> {
        let (d, e) = (element.data, self.endian);
        let values: Option<Vec<i64>> =
            match element.ty {
                MI_INT8 => Some(d.iter().map(|&b| i64::from(b as i8)).collect()),
                MI_UINT8 => Some(d.iter().map(|&b| i64::from(b)).collect()),
                MI_INT16 => whole::<2>(d)
                    .then(|| words(d, e).map(|w| i16::from_le_bytes(w).into()).collect()),
                MI_UINT16 => whole::<2>(d)
                    .then(|| words(d, e).map(|w| u16::from_le_bytes(w).into()).collect()),
                MI_INT32 => whole::<4>(d)
                    .then(|| words(d, e).map(|w| i32::from_le_bytes(w).into()).collect()),
                MI_UINT32 => whole::<4>(d)
                    .then(|| words(d, e).map(|w| u32::from_le_bytes(w).into()).collect()),
                MI_INT64 => whole::<8>(d).then(|| words(d, e).map(i64::from_le_bytes).collect()),
                MI_UINT64 => whole::<8>(d)
                    .then(|| {
                        words(d, e)
                            .map(|w| i64::try_from(u64::from_le_bytes(w)).ok())
                            .collect()
                    })
                    .flatten(),
                _ => None,
            };
        values.ok_or_else(|| {
            self.corrupt(
                loc,
                format!(
                    "{what} at {} are not integers (data type {}, {} bytes)",
                    element.pos,
                    element.ty,
                    d.len()
                ),
            )
        })
    }

    fn numeric(
        &self,
        cursor: &mut Cursor<'_>,
        header: &ArrayHeader,
        loc: &Loc,
    ) -> Result<MatValue> {
        if header.complex {
            return Err(self.unsupported(
                loc,
                "holds complex values, which are not read; save real(x) and imag(x) separately",
            ));
        }
        let real = self.element(cursor, loc)?;
        let data = self.numbers(&real, header.numel, loc)?;
        Ok(MatValue::Numeric {
            dims: header.dims.clone(),
            data,
        })
    }

    /// Exactly `count` numbers, converted by the type they are stored in
    /// (MATLAB stores e.g. integer-valued doubles as miUINT8 to save space).
    fn numbers(&self, element: &Element, count: usize, loc: &Loc) -> Result<Vec<f64>> {
        let Some(size) = storage_size(element.ty) else {
            return Err(self.corrupt(
                loc,
                format!(
                    "numbers at {} stored as data type {}",
                    element.pos, element.ty
                ),
            ));
        };
        let (d, e) = (element.data, self.endian);
        if d.len() % size != 0 || d.len() / size != count {
            return Err(self.corrupt(
                loc,
                format!(
                    "data at {} holds {} bytes, not the {count} values of {size} bytes its dimensions call for",
                    element.pos,
                    d.len()
                ),
            ));
        }
        let values = match element.ty {
            MI_INT8 => d.iter().map(|&b| f64::from(b as i8)).collect(),
            MI_UINT8 => d.iter().map(|&b| f64::from(b)).collect(),
            MI_INT16 => words(d, e)
                .map(|w| f64::from(i16::from_le_bytes(w)))
                .collect(),
            MI_UINT16 => words(d, e)
                .map(|w| f64::from(u16::from_le_bytes(w)))
                .collect(),
            MI_INT32 => words(d, e)
                .map(|w| f64::from(i32::from_le_bytes(w)))
                .collect(),
            MI_UINT32 => words(d, e)
                .map(|w| f64::from(u32::from_le_bytes(w)))
                .collect(),
            MI_SINGLE => words(d, e)
                .map(|w| f64::from(f32::from_le_bytes(w)))
                .collect(),
            MI_DOUBLE => words(d, e).map(f64::from_le_bytes).collect(),
            MI_INT64 => words(d, e).map(|w| i64::from_le_bytes(w) as f64).collect(),
            _ => words(d, e).map(|w| u64::from_le_bytes(w) as f64).collect(),
        };
        Ok(values)
    }

    fn chars(&self, cursor: &mut Cursor<'_>, header: &ArrayHeader, loc: &Loc) -> Result<MatValue> {
        let element = self.element(cursor, loc)?;
        let chars = self.char_units(&element, header.numel, loc)?;
        let rows = char_rows(&chars, &header.dims);
        let Some(rows) = rows.filter(|rows| header.numel > 0 || rows.len() <= MAX_EMPTY_ITEMS)
        else {
            return Err(self.unsupported(
                loc,
                format!(
                    "is a char array of dimensions {:?}, too many empty rows",
                    header.dims
                ),
            ));
        };
        Ok(MatValue::Char {
            dims: header.dims.clone(),
            rows: rows.collect(),
        })
    }

    /// Exactly `count` chars. MATLAB chars are UTF-16 code units, usually
    /// stored as miUINT16; scipy stores them as miUTF8, counting code points.
    fn char_units(&self, element: &Element, count: usize, loc: &Loc) -> Result<CharUnits> {
        let (d, e) = (element.data, self.endian);
        // Some writers store a blank char array without any data; scipy reads
        // it as spaces, and so does this reader (within the cap on items that
        // take no bytes).
        if d.is_empty() && count > 0 && count <= MAX_EMPTY_ITEMS {
            return Ok(CharUnits {
                units: vec![u32::from(b' '); count],
                utf16: false,
            });
        }
        let chars = match element.ty {
            MI_INT8 | MI_UINT8 => Some(CharUnits {
                units: d.iter().map(|&b| u32::from(b)).collect(),
                utf16: false,
            }),
            MI_INT16 | MI_UINT16 | MI_UTF16 => whole::<2>(d).then(|| CharUnits {
                units: words(d, e)
                    .map(|w| u32::from(u16::from_le_bytes(w)))
                    .collect(),
                utf16: true,
            }),
            MI_INT32 | MI_UINT32 | MI_UTF32 => whole::<4>(d).then(|| CharUnits {
                units: words(d, e).map(u32::from_le_bytes).collect(),
                utf16: false,
            }),
            MI_UTF8 => Some(utf8_units(d, count)),
            _ => None,
        };
        match chars {
            Some(chars) if chars.units.len() == count => Ok(chars),
            _ => Err(self.corrupt(
                loc,
                format!(
                    "char data at {} (data type {}, {} bytes) does not hold the {count} chars \
                     its dimensions call for",
                    element.pos,
                    element.ty,
                    d.len()
                ),
            )),
        }
    }

    fn cell(&self, cursor: &mut Cursor<'_>, header: &ArrayHeader, loc: &Loc) -> Result<MatValue> {
        self.check_room(cursor, header.numel, loc)?;
        let mut items = Vec::with_capacity(header.numel);
        for i in 0..header.numel {
            let item = loc.child(Step::Cell(i));
            items.push(self.nested(cursor, &item)?);
        }
        Ok(MatValue::Cell {
            dims: header.dims.clone(),
            items,
        })
    }

    fn structure(
        &self,
        cursor: &mut Cursor<'_>,
        header: &ArrayHeader,
        loc: &Loc,
    ) -> Result<MatValue> {
        let fields = self.field_names(cursor, loc)?;
        let Some(values) = header.numel.checked_mul(fields.len()) else {
            return Err(self.corrupt(loc, "struct size overflows"));
        };
        self.check_room(cursor, values, loc)?;
        if header.numel > MAX_EMPTY_ITEMS && fields.is_empty() {
            return Err(self.unsupported(
                loc,
                format!(
                    "is a struct array of {} elements without fields",
                    header.numel
                ),
            ));
        }
        let mut elements = Vec::with_capacity(header.numel);
        for e in 0..header.numel {
            let element = (header.numel > 1).then_some(e);
            let mut values = Vec::with_capacity(fields.len());
            for name in &fields {
                let field = loc.child(Step::Field { element, name });
                values.push(self.nested(cursor, &field)?);
            }
            elements.push(values);
        }
        Ok(MatValue::Struct {
            dims: header.dims.clone(),
            fields,
            elements,
        })
    }

    /// The field name length (miINT32) and the NUL-padded names (miINT8).
    fn field_names(&self, cursor: &mut Cursor<'_>, loc: &Loc) -> Result<Vec<String>> {
        let length = self.element(cursor, loc)?;
        let width = match self.integers(&length, loc, "field name length")?.as_slice() {
            &[width] => usize::try_from(width).ok(),
            _ => None,
        };
        let names = self.expect(cursor, loc, MI_INT8, "field names")?;
        match width {
            Some(0) if names.is_empty() => Ok(Vec::new()),
            Some(width) if width > 0 && names.len() % width == 0 => {
                Ok(names.chunks_exact(width).map(text_until_nul).collect())
            }
            _ => Err(self.corrupt(
                loc,
                format!(
                    "field names of {} bytes do not split into names of the stated length",
                    names.len()
                ),
            )),
        }
    }

    /// Every one of `count` nested arrays takes at least a tag; refusing a
    /// count the remaining bytes cannot hold keeps allocation honest.
    fn check_room(&self, cursor: &Cursor<'_>, count: usize, loc: &Loc) -> Result<()> {
        let room = cursor.rest().len() / TAG_LEN;
        if count > room {
            return Err(self.corrupt(
                loc,
                format!(
                    "{count} nested arrays cannot fit in the {} bytes left at {}",
                    cursor.rest().len(),
                    cursor.pos()
                ),
            ));
        }
        Ok(())
    }

    /// A cell item or struct field value: a miMATRIX element.
    fn nested(&self, cursor: &mut Cursor<'_>, loc: &Loc) -> Result<MatValue> {
        if cursor.at_end() {
            return Err(self.corrupt(loc, format!("array missing at {}", cursor.pos())));
        }
        let element = self.element(cursor, loc)?;
        if element.ty != MI_MATRIX {
            return Err(self.corrupt(
                loc,
                format!(
                    "element at {} has data type {} instead of miMATRIX (14)",
                    element.pos, element.ty
                ),
            ));
        }
        Ok(self.matrix(&element, loc)?.1)
    }
}

/// The first `len` bytes (or fewer) that a zlib stream inflates to; errors
/// just end the output.
fn inflate_prefix(compressed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    // The output is only a hint for messages, so an error merely ends it.
    let _ = Decompress::new(true).decompress_vec(compressed, &mut out, FlushDecompress::None);
    out
}

/// The byte size of a numeric storage type.
fn storage_size(ty: u32) -> Option<usize> {
    match ty {
        MI_INT8 | MI_UINT8 => Some(1),
        MI_INT16 | MI_UINT16 => Some(2),
        MI_INT32 | MI_UINT32 | MI_SINGLE => Some(4),
        MI_DOUBLE | MI_INT64 | MI_UINT64 => Some(8),
        _ => None,
    }
}

/// Does `bytes` split into whole `N`-byte words?
fn whole<const N: usize>(bytes: &[u8]) -> bool {
    bytes.len() % N == 0
}

/// UTF-8 char data: code points when their number is `count` (as scipy
/// counts), else UTF-16 code units (as MATLAB counts chars).
fn utf8_units(bytes: &[u8], count: usize) -> CharUnits {
    let text = String::from_utf8_lossy(bytes);
    let points: Vec<u32> = text.chars().map(u32::from).collect();
    if points.len() == count {
        return CharUnits {
            units: points,
            utf16: false,
        };
    }
    CharUnits {
        units: text.encode_utf16().map(u32::from).collect(),
        utf16: true,
    }
}

/// The rows of a column-major char array (`None` if `dims` do not match the
/// data, which the caller has ruled out). Rows are produced lazily so that
/// the caller can cap their number first.
fn char_rows<'a>(
    chars: &'a CharUnits,
    dims: &[usize],
) -> Option<impl ExactSizeIterator<Item = String> + 'a> {
    let (&m, rest) = dims.split_first()?;
    let (&n, pages) = rest.split_first()?;
    let pages: usize = pages.iter().try_fold(1usize, |p, &d| p.checked_mul(d))?;
    let rows = m.checked_mul(pages)?;
    let trim = m > 1;
    Some((0..rows).map(move |row| {
        let (r, page) = (row % m, row / m);
        let units = (0..n).filter_map(|c| chars.units.get(r + m * (c + n * page)).copied());
        let text: String = if chars.utf16 {
            char::decode_utf16(units.map(|u| u as u16))
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        } else {
            units
                .map(|u| char::from_u32(u).unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        };
        if trim {
            text.trim_end_matches(' ').to_string()
        } else {
            text
        }
    }))
}

/// Text up to the first NUL (names are NUL-padded), invalid UTF-8 replaced.
fn text_until_nul(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(bytes.get(..end).unwrap_or_default()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    const PATH: &str = "test.mat";
    const MX_SINGLE: u8 = 7;
    const MX_UINT8: u8 = 9;
    const MX_INT16: u8 = 10;

    fn read(bytes: &[u8]) -> Result<Vec<(String, MatValue)>> {
        read_mat_v5(bytes, Path::new(PATH))
    }

    fn num(dims: &[usize], data: &[f64]) -> MatValue {
        MatValue::Numeric {
            dims: dims.to_vec(),
            data: data.to_vec(),
        }
    }

    fn text(dims: &[usize], rows: &[&str]) -> MatValue {
        MatValue::Char {
            dims: dims.to_vec(),
            rows: rows.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn detail(result: Result<Vec<(String, MatValue)>>) -> (&'static str, String) {
        match result {
            Err(Error::Format { detail, hint, .. }) => {
                assert!(!hint.is_empty());
                ("Format", detail)
            }
            Err(Error::UnsupportedFile { detail, .. }) => ("UnsupportedFile", detail),
            // A catch-all rather than `Ok(..)`: the crate's error has more
            // variants than these two.
            other => panic!("expected a Format or UnsupportedFile error, got {other:?}"),
        }
    }

    /// Builds MAT-file bytes in either byte order, the way MATLAB lays
    /// them out.
    struct Writer {
        big: bool,
    }

    impl Writer {
        fn bytes<const N: usize>(&self, le: [u8; N]) -> [u8; N] {
            let mut w = le;
            if self.big {
                w.reverse();
            }
            w
        }

        fn u32s(&self, values: &[u32]) -> Vec<u8> {
            values
                .iter()
                .flat_map(|v| self.bytes(v.to_le_bytes()))
                .collect()
        }

        fn i32s(&self, values: &[i32]) -> Vec<u8> {
            values
                .iter()
                .flat_map(|v| self.bytes(v.to_le_bytes()))
                .collect()
        }

        fn u16s(&self, values: &[u16]) -> Vec<u8> {
            values
                .iter()
                .flat_map(|v| self.bytes(v.to_le_bytes()))
                .collect()
        }

        fn f64s(&self, values: &[f64]) -> Vec<u8> {
            values
                .iter()
                .flat_map(|v| self.bytes(v.to_le_bytes()))
                .collect()
        }

        /// A normal data element, padded to 8 bytes.
        fn el(&self, ty: u32, data: &[u8]) -> Vec<u8> {
            let mut out = self.u32s(&[ty, data.len() as u32]);
            out.extend_from_slice(data);
            out.resize(out.len().next_multiple_of(8), 0);
            out
        }

        /// A small data element (at most 4 bytes of data).
        fn small(&self, ty: u32, data: &[u8]) -> Vec<u8> {
            assert!(data.len() <= 4);
            let mut out = self.u32s(&[(data.len() as u32) << 16 | ty]);
            out.extend_from_slice(data);
            out.resize(8, 0);
            out
        }

        fn matrix(
            &self,
            class: u8,
            flags: u32,
            dims: &[i32],
            name: &str,
            body: &[Vec<u8>],
        ) -> Vec<u8> {
            let mut data = self.el(MI_UINT32, &self.u32s(&[u32::from(class) | flags, 0]));
            data.extend(self.el(MI_INT32, &self.i32s(dims)));
            data.extend(if name.len() <= 4 {
                self.small(MI_INT8, name.as_bytes())
            } else {
                self.el(MI_INT8, name.as_bytes())
            });
            body.iter().for_each(|b| data.extend(b));
            self.el(MI_MATRIX, &data)
        }

        fn double(&self, name: &str, dims: &[i32], values: &[f64]) -> Vec<u8> {
            self.matrix(
                MX_DOUBLE,
                0,
                dims,
                name,
                &[self.el(MI_DOUBLE, &self.f64s(values))],
            )
        }

        /// A char array from its chars in column-major order.
        fn chars(&self, name: &str, dims: &[i32], column_major: &str) -> Vec<u8> {
            let units: Vec<u16> = column_major.encode_utf16().collect();
            self.matrix(
                MX_CHAR,
                0,
                dims,
                name,
                &[self.el(MI_UINT16, &self.u16s(&units))],
            )
        }

        fn cell(&self, name: &str, dims: &[i32], items: &[Vec<u8>]) -> Vec<u8> {
            self.matrix(MX_CELL, 0, dims, name, items)
        }

        fn structure(
            &self,
            name: &str,
            dims: &[i32],
            fields: &[&str],
            values: &[Vec<u8>],
        ) -> Vec<u8> {
            let mut names = Vec::new();
            for field in fields {
                let mut padded = field.as_bytes().to_vec();
                padded.resize(32, 0);
                names.extend(padded);
            }
            let mut body = vec![
                self.small(MI_INT32, &self.i32s(&[32])),
                self.el(MI_INT8, &names),
            ];
            body.extend_from_slice(values);
            self.matrix(MX_STRUCT, 0, dims, name, &body)
        }

        fn header(&self, subsystem_offset: u64) -> Vec<u8> {
            let mut out = b"MATLAB 5.0 MAT-file, written by the mat_v5 tests".to_vec();
            out.resize(116, b' ');
            out.extend(self.bytes(subsystem_offset.to_le_bytes()));
            out.extend(self.bytes(0x0100u16.to_le_bytes()));
            out.extend(if self.big { b"MI" } else { b"IM" });
            out
        }

        fn file(&self, elements: &[Vec<u8>]) -> Vec<u8> {
            let mut out = self.header(0);
            elements.iter().for_each(|e| out.extend(e));
            out
        }

        fn compressed(&self, element: &[u8]) -> Vec<u8> {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(element).unwrap();
            let stream = z.finish().unwrap();
            let mut out = self.u32s(&[MI_COMPRESSED, stream.len() as u32]);
            out.extend(stream);
            out
        }
    }

    /// One variable of every kind this reader handles.
    fn every_kind(w: &Writer) -> (Vec<Vec<u8>>, Vec<(String, MatValue)>) {
        let elements = vec![
            w.double("x", &[2, 3], &[1.0, 2.0, 3.0, 4.0, -0.5, f64::INFINITY]),
            // MATLAB stores integer-valued doubles in the smallest type.
            w.matrix(
                MX_DOUBLE,
                0,
                &[1, 3],
                "small",
                &[w.el(MI_UINT8, &[1, 200, 255])],
            ),
            w.matrix(
                MX_INT16,
                0,
                &[1, 2],
                "i16",
                &[w.small(MI_INT16, &w.u16s(&[0xffff, 7]))],
            ),
            w.matrix(
                MX_SINGLE,
                0,
                &[1, 1],
                "f",
                &[w.small(MI_SINGLE, &w.bytes(1.5f32.to_le_bytes()))],
            ),
            w.matrix(
                MX_UINT8,
                0x02 << 8,
                &[2, 1],
                "flag",
                &[w.small(MI_UINT8, &[1, 0])],
            ),
            w.chars("hello", &[1, 5], "hello"),
            // 'abc' and 'd  ' stored column by column.
            w.chars("rows", &[2, 3], "adb c "),
            w.cell(
                "c",
                &[1, 3],
                &[
                    w.double("", &[1, 1], &[9.0]),
                    w.el(MI_MATRIX, &[]),
                    w.chars("", &[1, 2], "hi"),
                ],
            ),
            w.structure(
                "s",
                &[1, 1],
                &["a", "name"],
                &[w.double("", &[1, 1], &[1.0]), w.chars("", &[1, 2], "ok")],
            ),
            w.structure(
                "arr",
                &[1, 2],
                &["v"],
                &[
                    w.double("", &[1, 1], &[1.0]),
                    w.double("", &[1, 2], &[2.0, 3.0]),
                ],
            ),
            w.double("empty", &[0, 0], &[]),
        ];
        let values = vec![
            (
                "x",
                num(&[2, 3], &[1.0, 2.0, 3.0, 4.0, -0.5, f64::INFINITY]),
            ),
            ("small", num(&[1, 3], &[1.0, 200.0, 255.0])),
            ("i16", num(&[1, 2], &[-1.0, 7.0])),
            ("f", num(&[1, 1], &[1.5])),
            ("flag", num(&[2, 1], &[1.0, 0.0])),
            ("hello", text(&[1, 5], &["hello"])),
            ("rows", text(&[2, 3], &["abc", "d"])),
            (
                "c",
                MatValue::Cell {
                    dims: vec![1, 3],
                    items: vec![
                        num(&[1, 1], &[9.0]),
                        num(&[0, 0], &[]),
                        text(&[1, 2], &["hi"]),
                    ],
                },
            ),
            (
                "s",
                MatValue::Struct {
                    dims: vec![1, 1],
                    fields: vec!["a".into(), "name".into()],
                    elements: vec![vec![num(&[1, 1], &[1.0]), text(&[1, 2], &["ok"])]],
                },
            ),
            (
                "arr",
                MatValue::Struct {
                    dims: vec![1, 2],
                    fields: vec!["v".into()],
                    elements: vec![vec![num(&[1, 1], &[1.0])], vec![num(&[1, 2], &[2.0, 3.0])]],
                },
            ),
            ("empty", num(&[0, 0], &[])),
        ];
        let values = values
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        (elements, values)
    }

    #[test]
    fn reads_every_kind_in_both_byte_orders() {
        for big in [false, true] {
            let w = Writer { big };
            let (elements, expected) = every_kind(&w);
            assert_eq!(
                read(&w.file(&elements)).unwrap(),
                expected,
                "big-endian: {big}"
            );
        }
    }

    #[test]
    fn compressed_variables_read_like_plain_ones() {
        for big in [false, true] {
            let w = Writer { big };
            let (elements, expected) = every_kind(&w);
            let compressed: Vec<Vec<u8>> = elements.iter().map(|e| w.compressed(e)).collect();
            assert_eq!(read(&w.file(&compressed)).unwrap(), expected);
        }
    }

    /// `scipy.io.savemat({'x': [[1.5, 2], [3, 4]], 'n': int16 [[-1, 300]],
    /// 'name': 'hi', 's': {'a': uint8(7), 'b': 'ok'}, 'c': [[], 'z']},
    /// do_compression=True, oned_as='row')`, after its 128-byte header.
    const SCIPY_COMPRESSED_BODY: &str = concat!(
        "0f00000030000000789ce36360600800623620e680d220c00ae533413123105600694e2056608081",
        "1ff6109ac3012a00a5051c006afd03360f0000002b000000789ce36360603000623620e600622e06",
        "086085f2198198094c3332e4016966061686ffff7518011fa003090f0000002b000000789ce36360",
        "603000623620e600621606086085f2198198094cb330e425e6a60a007919990c0c0026b902ea0f00",
        "00004a000000789ce36360605801c46c40cc01c44c0c10c00ae533c231234331589c05ac86114827",
        "322431f001d90648fa3971ea870026208b1d48a3eb63c1a28f09499f0090979fcdc000006a2c03da",
        "0f0000003e000000789ce36360609801c46c40cc01c48c0c10c08ac46702d38c0cc9409a0f880d90",
        "d4b3a1a9870198399c501a5d1f0b167b1891f409005955401a00e1f4027f",
    );

    fn scipy_files() -> [Vec<u8>; 2] {
        let hex = SCIPY_COMPRESSED_BODY.as_bytes();
        let body: Vec<u8> = hex
            .chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
            .collect();
        let w = Writer { big: false };
        let mut compressed = w.header(0);
        compressed.extend(&body);
        // The same file uncompressed: each compressed element inflated.
        let mut plain = w.header(0);
        let mut rest = body.as_slice();
        while !rest.is_empty() {
            let len = u32::from_le_bytes(rest[4..8].try_into().unwrap()) as usize;
            let mut inflated = Vec::new();
            flate2::read::ZlibDecoder::new(&rest[8..8 + len])
                .read_to_end(&mut inflated)
                .unwrap();
            plain.extend(inflated);
            rest = &rest[8 + len..];
        }
        [compressed, plain]
    }

    #[test]
    fn scipy_files_read_back() {
        let expected = vec![
            ("x".to_string(), num(&[2, 2], &[1.5, 3.0, 2.0, 4.0])),
            ("n".to_string(), num(&[1, 2], &[-1.0, 300.0])),
            ("name".to_string(), text(&[1, 2], &["hi"])),
            (
                "s".to_string(),
                MatValue::Struct {
                    dims: vec![1, 1],
                    fields: vec!["a".into(), "b".into()],
                    elements: vec![vec![num(&[1, 1], &[7.0]), text(&[1, 2], &["ok"])]],
                },
            ),
            (
                "c".to_string(),
                MatValue::Cell {
                    dims: vec![1, 2],
                    items: vec![num(&[0, 0], &[]), text(&[1, 1], &["z"])],
                },
            ),
        ];
        for file in scipy_files() {
            assert_eq!(read(&file).unwrap(), expected);
        }
    }

    /// Ends of the top-level elements: cutting a file there leaves a valid
    /// file with fewer variables.
    fn boundaries(w: &Writer, elements: &[Vec<u8>]) -> Vec<usize> {
        let mut at = w.header(0).len();
        let mut ends = vec![at];
        for e in elements {
            at += e.len();
            ends.push(at);
        }
        ends
    }

    fn assert_every_cut_fails(file: &[u8], ends: &[usize]) {
        let full = read(file).unwrap();
        for cut in 0..file.len() {
            let result = read(&file[..cut]);
            if let Some(n) = ends.iter().position(|&end| end == cut) {
                assert_eq!(result.unwrap(), full[..n], "cut at {cut}");
            } else {
                assert_eq!(detail(result).0, "Format", "cut at {cut}");
            }
        }
    }

    #[test]
    fn every_truncation_is_a_format_error() {
        for big in [false, true] {
            let w = Writer { big };
            let (plain, _) = every_kind(&w);
            let compressed: Vec<Vec<u8>> = plain.iter().map(|e| w.compressed(e)).collect();
            for elements in [plain, compressed] {
                assert_every_cut_fails(&w.file(&elements), &boundaries(&w, &elements));
            }
        }
        for file in scipy_files() {
            let mut ends = vec![HEADER_LEN];
            let mut at = HEADER_LEN;
            while at < file.len() {
                let len = u32::from_le_bytes(file[at + 4..at + 8].try_into().unwrap()) as usize;
                let padded =
                    if u32::from_le_bytes(file[at..at + 4].try_into().unwrap()) == MI_COMPRESSED {
                        len
                    } else {
                        len.next_multiple_of(8)
                    };
                at += 8 + padded;
                ends.push(at);
            }
            assert_every_cut_fails(&file, &ends);
        }
    }

    #[test]
    fn truncation_messages_name_the_variable_and_the_byte() {
        let w = Writer { big: false };
        let file = w.file(&[
            w.double("first", &[1, 1], &[1.0]),
            w.double("x", &[1, 4], &[1.0; 4]),
        ]);
        let (_, message) = detail(read(&file[..file.len() - 9]));
        assert!(
            message.starts_with("variable 'x': data element truncated at byte 200"),
            "{message}"
        );
        let compressed = w.file(&[w.compressed(&w.double("zipped", &[1, 4], &[1.0; 4]))]);
        let (_, message) = detail(read(&compressed[..compressed.len() - 3]));
        assert!(message.starts_with("variable 'zipped': "), "{message}");
    }

    #[test]
    fn unsupported_arrays_name_the_variable() {
        let w = Writer { big: false };
        let cases = [
            (
                w.matrix(MX_SPARSE, 0, &[3, 3], "sp", &[]),
                "variable 'sp' is a sparse matrix",
            ),
            (
                w.matrix(
                    MX_DOUBLE,
                    FLAG_COMPLEX,
                    &[1, 1],
                    "z",
                    &[w.el(MI_DOUBLE, &w.f64s(&[1.0]))],
                ),
                "variable 'z' holds complex values",
            ),
            (
                w.matrix(MX_OBJECT, 0, &[1, 1], "obj", &[]),
                "variable 'obj' is a MATLAB object",
            ),
            (
                w.matrix(MX_OPAQUE, 0, &[1, 1], "str", &[]),
                "variable 'str' is a MATLAB object",
            ),
            (
                w.matrix(MX_FUNCTION, 0, &[1, 1], "fh", &[]),
                "variable 'fh' is a function handle",
            ),
            (
                w.structure(
                    "s",
                    &[1, 2],
                    &["f"],
                    &[
                        w.double("", &[1, 1], &[1.0]),
                        w.matrix(MX_SPARSE, 0, &[1, 1], "", &[]),
                    ],
                ),
                "variable 's' (at s(2).f) is a sparse matrix",
            ),
            (
                w.cell(
                    "c",
                    &[1, 1],
                    &[w.cell("", &[1, 1], &[w.matrix(MX_FUNCTION, 0, &[1, 1], "", &[])])],
                ),
                "variable 'c' (at c{1}{1}) is a function handle",
            ),
        ];
        for (element, expected) in cases {
            let (kind, message) = detail(read(&w.file(&[element])));
            assert_eq!(kind, "UnsupportedFile");
            assert!(message.starts_with(expected), "{message}");
        }
    }

    #[test]
    fn v73_files_are_recognised_and_refused() {
        let mut v73 =
            b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: today HDF5 schema 1.00 ."
                .to_vec();
        v73.resize(512, b' ');
        v73.extend(b"\x89HDF\r\n\x1a\n");
        assert!(is_v73(&v73));
        let mut hdf5_only = vec![0; 512];
        hdf5_only.extend(b"\x89HDF\r\n\x1a\n\0\0\0\0");
        assert!(is_v73(&hdf5_only));
        assert!(!is_v73(&scipy_files()[0]));
        let (kind, message) = detail(read(&v73));
        assert_eq!(kind, "UnsupportedFile");
        assert!(
            message.contains("v7.3") && message.contains("HDF5"),
            "{message}"
        );
    }

    #[test]
    fn files_without_a_level5_header_are_format_errors() {
        let w = Writer { big: false };
        let mut wrong_endian = w.header(0);
        wrong_endian[126..].copy_from_slice(b"XX");
        let mut wrong_version = w.header(0);
        wrong_version[124] = 2;
        wrong_version[125] = 0;
        for bytes in [
            Vec::new(),
            b"MATLAB".to_vec(),
            vec![0; 4096],
            wrong_endian,
            wrong_version,
        ] {
            let (kind, message) = detail(read(&bytes));
            assert_eq!(kind, "Format");
            assert!(
                message.starts_with("not a MATLAB Level-5 MAT-file"),
                "{message}"
            );
        }
        assert_eq!(read(&w.header(0)).unwrap(), Vec::new());
    }

    #[test]
    fn the_subsystem_element_is_not_a_variable() {
        let w = Writer { big: true };
        let x = w.double("x", &[1, 1], &[2.0]);
        let mut file = w.header((HEADER_LEN + x.len()) as u64);
        file.extend(&x);
        file.extend(w.matrix(MX_UINT8, 0, &[1, 2], "", &[w.small(MI_UINT8, &[1, 2])]));
        assert_eq!(
            read(&file).unwrap(),
            vec![("x".to_string(), num(&[1, 1], &[2.0]))]
        );
    }

    #[test]
    fn chars_decode_as_their_storage_type_says() {
        let w = Writer { big: false };
        let utf8 = "h\u{e9}\u{1F600}";
        let mut surrogates = Vec::new();
        surrogates.extend(w.u16s(&"\u{1F600}".encode_utf16().collect::<Vec<_>>()));
        let file = w.file(&[
            // scipy: UTF-8 bytes, dims counting code points.
            w.matrix(MX_CHAR, 0, &[1, 3], "u8", &[w.el(MI_UTF8, utf8.as_bytes())]),
            // MATLAB: UTF-16 code units, dims counting units.
            w.matrix(MX_CHAR, 0, &[1, 2], "u16", &[w.el(MI_UINT16, &surrogates)]),
            w.matrix(
                MX_CHAR,
                0,
                &[1, 2],
                "latin",
                &[w.small(MI_UINT8, &[0x41, 0xe9])],
            ),
            w.chars("none", &[1, 0], ""),
            w.chars("zero", &[0, 0], ""),
            // A blank 1×1 char stored without data (seen in the wild).
            w.matrix(MX_CHAR, 0, &[1, 1], "blank", &[w.el(MI_UINT16, &[])]),
            // 2×2×2: rows page by page.
            w.chars("pages", &[2, 2, 2], "acbdegfh"),
        ]);
        let expected = [
            ("u8", text(&[1, 3], &[utf8])),
            ("u16", text(&[1, 2], &["\u{1F600}"])),
            ("latin", text(&[1, 2], &["A\u{e9}"])),
            ("none", text(&[1, 0], &[""])),
            ("zero", text(&[0, 0], &[])),
            ("blank", text(&[1, 1], &[" "])),
            ("pages", text(&[2, 2, 2], &["ab", "cd", "ef", "gh"])),
        ];
        let expected: Vec<_> = expected
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect();
        assert_eq!(read(&file).unwrap(), expected);
    }

    #[test]
    fn huge_claims_fail_before_allocating() {
        let w = Writer { big: false };
        let million = 1_000_000;
        let cases = [
            (w.double("d", &[million, million], &[1.0]), "Format"),
            (w.double("o", &[i32::MAX; 4], &[1.0]), "Format"),
            (w.double("neg", &[-1, 2], &[]), "Format"),
            (w.cell("c", &[million, million], &[]), "Format"),
            (w.structure("s", &[million, million], &["a"], &[]), "Format"),
            (
                w.structure("nofields", &[million, million], &[], &[]),
                "UnsupportedFile",
            ),
            (
                w.chars("rows", &[million, 0, million], ""),
                "UnsupportedFile",
            ),
            (
                w.matrix(
                    MX_CHAR,
                    0,
                    &[million, million],
                    "blank",
                    &[w.el(MI_UINT16, &[])],
                ),
                "Format",
            ),
        ];
        for (element, expected) in cases {
            assert_eq!(detail(read(&w.file(&[element]))).0, expected);
        }
        // A tiny zlib stream whose inner tag claims 4 GiB.
        let mut bomb = w.u32s(&[MI_MATRIX, u32::MAX]);
        bomb.extend(vec![0; 64]);
        let (kind, message) = detail(read(&w.file(&[w.compressed(&bomb)])));
        assert_eq!(kind, "Format");
        assert!(message.contains("more than"), "{message}");
    }

    /// A double inside `depth` 1×1 cells, built outside-in: each cell is a
    /// 48-byte header whose byte count covers everything inside it.
    fn nested_cells(w: &Writer, depth: usize) -> Vec<u8> {
        let inner = w.double("", &[1, 1], &[1.0]);
        let mut inside = inner.len();
        let mut headers = Vec::new();
        for _ in 0..depth {
            let mut header = w.cell("", &[1, 1], &[]);
            let count = (header.len() - TAG_LEN + inside) as u32;
            header[4..8].copy_from_slice(&w.u32s(&[count]));
            inside += header.len();
            headers.push(header);
        }
        let mut file = w.header(0);
        headers.iter().rev().for_each(|h| file.extend(h));
        file.extend(inner);
        file
    }

    #[test]
    fn nesting_is_capped() {
        let w = Writer { big: false };
        assert!(read(&nested_cells(&w, MAX_DEPTH)).is_ok());
        assert_eq!(
            detail(read(&nested_cells(&w, MAX_DEPTH + 1))).0,
            "UnsupportedFile"
        );
        assert_eq!(detail(read(&nested_cells(&w, 10_000))).0, "UnsupportedFile");
    }

    #[test]
    fn mutated_files_never_panic() {
        let w = Writer { big: false };
        let (plain, _) = every_kind(&w);
        let compressed: Vec<Vec<u8>> = plain.iter().map(|e| w.compressed(e)).collect();
        let [scipy_z, scipy_plain] = scipy_files();
        let files = [w.file(&plain), w.file(&compressed), scipy_z, scipy_plain];
        // A fixed xorshift generator keeps failures reproducible.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..5_000 {
            let mut bytes = files[round % files.len()].clone();
            for _ in 0..1 + next() % 4 {
                let at = HEADER_LEN + (next() as usize) % (bytes.len() - HEADER_LEN);
                bytes[at] = match next() % 3 {
                    0 => next() as u8,
                    1 => 0xff,
                    _ => bytes[at] ^ (1 << (next() % 8)),
                };
            }
            let _ = read(&bytes);
        }
    }
}
