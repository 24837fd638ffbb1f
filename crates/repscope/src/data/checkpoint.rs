//! Model checkpoints: `.safetensors` files of named tensors of any rank
//! (weights, biases, convolution kernels, buffers such as position ids).
//!
//! [`Checkpoint`] validates the header with the `safetensors` crate, then
//! reads only the bytes asked for, one tensor or one slice of a tensor at a
//! time, so memory stays bounded however large the file is.
//! [`write_checkpoint`] streams the tensors of a new file, tensor by tensor,
//! through [`write_atomically`]. Tensors are listed in natural order of
//! names (`layer.2` before `layer.10`); the format itself keeps no order.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The element types of a checkpoint (the `safetensors` crate's).
pub use safetensors::Dtype;
use safetensors::tensor::{Metadata, TensorInfo as HeaderEntry};

use super::atomic::write_atomically;
use super::safetensors_io::{decode_le, dtype_name, is_float, read_header};
use crate::error::{Error, Result};

/// One tensor of a checkpoint: its name, element type and shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    /// Where its bytes start in the file.
    start: u64,
}

impl TensorInfo {
    /// Number of elements (1 for a 0-dimensional tensor).
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// Number of bytes of its data.
    pub fn byte_len(&self) -> usize {
        (self.numel() * self.dtype.bitsize()).div_ceil(8)
    }

    /// True for float16, bfloat16, float32 and float64 tensors.
    pub fn is_float(&self) -> bool {
        is_float(self.dtype)
    }

    /// numpy's name of the element type (`float32`, `bfloat16`, `int64` ...).
    pub fn dtype_name(&self) -> String {
        dtype_name(self.dtype)
    }
}

/// A `.safetensors` file opened for reading tensor by tensor.
#[derive(Debug)]
pub struct Checkpoint {
    path: PathBuf,
    file: std::fs::File,
    tensors: Vec<TensorInfo>,
    by_name: HashMap<String, usize>,
    metadata: HashMap<String, String>,
}

impl Checkpoint {
    /// Opens `path` and reads its header; no tensor data is read.
    pub fn open(path: &Path) -> Result<Checkpoint> {
        let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let header = read_header(&mut file, path)?;
        let mut tensors: Vec<TensorInfo> = header
            .tensors
            .into_iter()
            .map(|(name, info): (String, HeaderEntry)| TensorInfo {
                name,
                dtype: info.dtype,
                shape: info.shape,
                start: header.data_start + info.data_offsets.0 as u64,
            })
            .collect();
        tensors.sort_by(|a, b| natord::compare(&a.name, &b.name));
        let by_name = tensors
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        Ok(Checkpoint {
            path: path.to_path_buf(),
            file,
            tensors,
            by_name,
            metadata: header.metadata,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every tensor, in natural order of names.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// The tensor called `name`, if any.
    pub fn get(&self, name: &str) -> Option<&TensorInfo> {
        self.by_name.get(name).map(|&i| &self.tensors[i])
    }

    /// The free-form text entries of the header (`__metadata__`).
    pub fn metadata(&self) -> &HashMap<String, String> {
        &self.metadata
    }

    /// The bytes `bytes` (a range within the tensor's data) of tensor `name`.
    pub fn read_bytes(&self, name: &str, bytes: Range<usize>) -> Result<Vec<u8>> {
        let t = self.tensor(name)?;
        if bytes.start > bytes.end || bytes.end > t.byte_len() {
            return Err(Error::internal(format!(
                "bytes {bytes:?} of tensor '{name}', which has {}",
                t.byte_len()
            )));
        }
        let mut out = vec![0u8; bytes.len()];
        // `&File` reads and seeks, so reading needs no `&mut self`.
        let mut file = &self.file;
        file.seek(SeekFrom::Start(t.start + bytes.start as u64))
            .and_then(|_| file.read_exact(&mut out))
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(out)
    }

    /// Elements `elements` of tensor `name` (flattened in C order) as f64;
    /// float16 and bfloat16 convert exactly.
    pub fn read_f64(&self, name: &str, elements: Range<usize>) -> Result<Vec<f64>> {
        let t = self.tensor(name)?;
        let size = t.dtype.bitsize() / 8;
        if t.dtype.bitsize() % 8 != 0 {
            return Err(Error::UnsupportedDtype {
                array: name.to_string(),
                dtype: t.dtype_name(),
            });
        }
        let bytes = self.read_bytes(name, elements.start * size..elements.end * size)?;
        decode_le(t.dtype, &bytes).ok_or_else(|| Error::UnsupportedDtype {
            array: name.to_string(),
            dtype: t.dtype_name(),
        })
    }

    fn tensor(&self, name: &str) -> Result<&TensorInfo> {
        self.get(name).ok_or_else(|| {
            Error::internal(format!("{} has no tensor '{name}'", self.path.display()))
        })
    }
}

/// What [`write_checkpoint`] is to write for one tensor.
#[derive(Clone, Debug)]
pub struct TensorSpec {
    pub name: String,
    pub dtype: Dtype,
    pub shape: Vec<usize>,
}

/// Writes a `.safetensors` file atomically, asking `fill(i, writer)` for the
/// data of `tensors[i]` (exactly its byte length, little-endian, C order).
///
/// Tensors are stored widest element type first, then in natural order of
/// names, so that every tensor starts at an offset aligned to its element
/// size (as the `safetensors` crate stores them). If `fill` fails, nothing
/// is written and its error is returned.
pub fn write_checkpoint(
    path: &Path,
    tensors: &[TensorSpec],
    metadata: Option<HashMap<String, String>>,
    mut fill: impl FnMut(usize, &mut dyn Write) -> Result<()>,
) -> Result<()> {
    let mut order: Vec<usize> = (0..tensors.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&tensors[a], &tensors[b]);
        b.dtype
            .bitsize()
            .cmp(&a.dtype.bitsize())
            .then_with(|| natord::compare(&a.name, &b.name))
    });
    let byte_len =
        |t: &TensorSpec| (t.shape.iter().product::<usize>() * t.dtype.bitsize()).div_ceil(8);
    let mut offset = 0;
    let entries: Vec<(String, HeaderEntry)> = order
        .iter()
        .map(|&i| {
            let t = &tensors[i];
            let end = offset + byte_len(t);
            let entry = HeaderEntry {
                dtype: t.dtype,
                shape: t.shape.clone(),
                data_offsets: (offset, end),
            };
            offset = end;
            (t.name.clone(), entry)
        })
        .collect();
    let header = Metadata::new(metadata, entries)
        .map_err(|e| Error::internal(format!("safetensors header: {e}")))?;
    let mut header = serde_json::to_vec(&header)
        .map_err(|e| Error::internal(format!("encoding the safetensors header: {e}")))?;
    // The data starts 8-byte aligned; the format pads the header with spaces.
    header.resize(header.len().next_multiple_of(8), b' ');

    let mut failure: Option<Error> = None;
    let written = write_atomically(path, |w| {
        w.write_all(&(header.len() as u64).to_le_bytes())?;
        w.write_all(&header)?;
        for &i in &order {
            let mut counted = CountingWriter {
                inner: &mut *w,
                written: 0,
            };
            let result = fill(i, &mut counted).and_then(|()| {
                let expected = byte_len(&tensors[i]);
                if counted.written == expected {
                    Ok(())
                } else {
                    Err(Error::internal(format!(
                        "tensor '{}': {} bytes written for {expected}",
                        tensors[i].name, counted.written
                    )))
                }
            });
            if let Err(e) = result {
                failure = Some(e);
                return Err(std::io::Error::other("abandoned"));
            }
        }
        Ok(())
    });
    match (written, failure) {
        (_, Some(e)) => Err(e),
        (result, None) => result,
    }
}

/// Counts the bytes passed through, to check each tensor's length.
struct CountingWriter<'a> {
    inner: &'a mut dyn Write,
    written: usize,
}

impl Write for CountingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_checkpoints_read_back_in_any_slice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt.safetensors");
        let specs = vec![
            TensorSpec {
                name: "layer.10.bias".into(),
                dtype: Dtype::F16,
                shape: vec![3],
            },
            TensorSpec {
                name: "layer.2.weight".into(),
                dtype: Dtype::F32,
                shape: vec![2, 1, 2],
            },
            TensorSpec {
                name: "ids".into(),
                dtype: Dtype::I64,
                shape: vec![],
            },
        ];
        let data: Vec<Vec<u8>> = vec![
            [1.0f32, -2.0, 0.5]
                .iter()
                .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
                .collect(),
            [1.0f32, 2.0, 3.0, 4.0]
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect(),
            7i64.to_le_bytes().to_vec(),
        ];
        let meta = HashMap::from([("format".to_string(), "pt".to_string())]);
        write_checkpoint(&path, &specs, Some(meta), |i, w| {
            w.write_all(&data[i]).map_err(|e| Error::io(&path, e))
        })
        .unwrap();
        // The safetensors crate reads it.
        let bytes = std::fs::read(&path).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(st.tensor("ids").unwrap().data(), 7i64.to_le_bytes());

        let c = Checkpoint::open(&path).unwrap();
        let names: Vec<&str> = c.tensors().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["ids", "layer.2.weight", "layer.10.bias"]);
        assert_eq!(c.metadata()["format"], "pt");
        assert_eq!(c.get("ids").unwrap().numel(), 1);
        assert_eq!(c.read_f64("layer.10.bias", 1..3).unwrap(), [-2.0, 0.5]);
        assert_eq!(
            c.read_f64("layer.2.weight", 0..4).unwrap(),
            [1.0, 2.0, 3.0, 4.0]
        );
        assert_eq!(c.read_bytes("ids", 0..8).unwrap(), 7i64.to_le_bytes());
    }

    #[test]
    fn a_failing_fill_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.safetensors");
        let specs = [TensorSpec {
            name: "w".into(),
            dtype: Dtype::F64,
            shape: vec![2],
        }];
        let e = write_checkpoint(&path, &specs, None, |_, _| {
            Err(Error::TaskVectorInput {
                detail: "stop".into(),
            })
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "stop");
        let e = write_checkpoint(&path, &specs, None, |_, w| {
            w.write_all(&[0u8; 8])
                .map_err(|e| Error::io(Path::new("x"), e))
        })
        .unwrap_err();
        assert!(e.to_string().contains("8 bytes written for 16"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn truncated_and_foreign_files_are_format_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        let specs = [TensorSpec {
            name: "w".into(),
            dtype: Dtype::F32,
            shape: vec![4],
        }];
        write_checkpoint(&path, &specs, None, |_, w| {
            w.write_all(&[0u8; 16])
                .map_err(|e| Error::io(Path::new("x"), e))
        })
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let e = Checkpoint::open(&path).unwrap_err();
        assert!(
            e.is_file_error() && e.to_string().contains("tensor data"),
            "{e}"
        );
        std::fs::write(&path, b"hello, world").unwrap();
        let e = Checkpoint::open(&path).unwrap_err();
        assert!(e.is_file_error(), "{e}");
    }
}
