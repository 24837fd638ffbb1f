//! The `.safetensors` format (Hugging Face): named tensors with a JSON header.
//!
//! Parsing goes through the `safetensors` crate; this module converts every
//! numeric dtype to `f64` (float16 and bfloat16 through `half`, exactly: both
//! are subsets of f64) and keeps repscope's two optional metadata entries:
//! the order of the representations ([`ORDER_KEY`]; without it names are
//! naturally sorted, since the format itself keeps no order) and one label per
//! stimulus ([`STIMULI_KEY`]), both JSON arrays of strings.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use faer::Mat;
use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use super::atomic::write_atomically;
use super::repset::RepSet;
use crate::error::{Error, Result};

/// Metadata key holding the representation names in order.
pub const ORDER_KEY: &str = "repscope.order";
/// Metadata key holding one label per stimulus.
pub const STIMULI_KEY: &str = "repscope.stimuli";

/// Element type used when writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreAs {
    F64,
    F32,
}

/// Reads every tensor of a `.safetensors` file as a representation.
pub fn read_safetensors_file(path: &Path) -> Result<RepSet> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_safetensors_bytes(&bytes, path)
}

/// Reads the contents of a `.safetensors` file; `path` names it in errors.
pub fn read_safetensors_bytes(bytes: &[u8], path: &Path) -> Result<RepSet> {
    let corrupt = |e: safetensors::SafeTensorError| {
        Error::format(
            path,
            format!("not a valid .safetensors file ({e})"),
            "the file may be truncated or corrupt; re-save it with safetensors",
        )
    };
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(corrupt)?;
    let tensors = SafeTensors::deserialize(bytes).map_err(corrupt)?;
    let info = metadata.metadata().clone().unwrap_or_default();
    let json_list = |key: &str| -> Result<Option<Vec<String>>> {
        info.get(key)
            .map(|s| {
                serde_json::from_str::<Vec<String>>(s).map_err(|e| {
                    Error::format(
                        path,
                        format!("metadata entry '{key}' is not a JSON list of strings ({e})"),
                        "remove or repair that metadata entry",
                    )
                })
            })
            .transpose()
    };
    let mut names: Vec<String> = tensors.names().into_iter().map(String::from).collect();
    match json_list(ORDER_KEY)? {
        Some(order) if is_permutation_of(&order, &names) => names = order,
        _ => names.sort_by(|a, b| natord::compare(a, b)),
    }
    let mut set = RepSet::new();
    for name in names {
        let view = tensors.tensor(&name).map_err(corrupt)?;
        set.push(name.clone(), tensor_to_matrix(&view, &name)?)?;
    }
    if let Some(stimuli) = json_list(STIMULI_KEY)? {
        set.set_stimuli(stimuli)?;
    }
    Ok(set)
}

/// Writes a RepSet as `.safetensors`, one tensor per representation, with
/// the order and stimulus labels in the metadata.
pub fn write_safetensors_file(path: &Path, set: &RepSet, store_as: StoreAs) -> Result<()> {
    let buffers: Vec<(String, Vec<u8>, Vec<usize>)> = set
        .views()
        .iter()
        .map(|rep| {
            let (rows, cols) = (rep.x.nrows(), rep.x.ncols());
            let mut data = Vec::with_capacity(rows * cols * 8);
            for i in 0..rows {
                for j in 0..cols {
                    let v = rep.x[(i, j)];
                    match store_as {
                        StoreAs::F64 => data.extend_from_slice(&v.to_le_bytes()),
                        StoreAs::F32 => data.extend_from_slice(&(v as f32).to_le_bytes()),
                    }
                }
            }
            (rep.name.to_string(), data, vec![rows, cols])
        })
        .collect();
    let dtype = match store_as {
        StoreAs::F64 => Dtype::F64,
        StoreAs::F32 => Dtype::F32,
    };
    let views = buffers
        .iter()
        .map(|(name, data, shape)| {
            TensorView::new(dtype, shape.clone(), data)
                .map(|v| (name.as_str(), v))
                .map_err(|e| Error::internal(format!("building tensor '{name}': {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut info = HashMap::new();
    info.insert(ORDER_KEY.to_string(), to_json(set.names())?);
    if let Some(stimuli) = set.stimuli() {
        info.insert(STIMULI_KEY.to_string(), to_json(stimuli)?);
    }
    let bytes = safetensors::serialize(views, Some(info))
        .map_err(|e| Error::internal(format!("serialising safetensors: {e}")))?;
    write_atomically(path, |w| w.write_all(&bytes))
}

fn to_json(list: &[String]) -> Result<String> {
    serde_json::to_string(list).map_err(|e| Error::internal(format!("encoding JSON: {e}")))
}

fn is_permutation_of(order: &[String], names: &[String]) -> bool {
    let mut a: Vec<&String> = order.iter().collect();
    let mut b: Vec<&String> = names.iter().collect();
    a.sort();
    b.sort();
    a == b
}

fn tensor_to_matrix(view: &TensorView<'_>, name: &str) -> Result<Mat<f64>> {
    let shape = view.shape();
    let &[rows, cols] = shape else {
        return Err(Error::NotTwoDimensional {
            array: name.to_string(),
            shape: shape.to_vec(),
        });
    };
    if rows == 0 || cols == 0 {
        return Err(Error::Empty {
            array: name.to_string(),
            rows,
            cols,
        });
    }
    let values = decode_le(view.dtype(), view.data()).ok_or_else(|| Error::UnsupportedDtype {
        array: name.to_string(),
        dtype: format!("{:?}", view.dtype()),
    })?;
    // safetensors stores row-major.
    Ok(Mat::from_fn(rows, cols, |i, j| values[i * cols + j]))
}

/// Little-endian bytes of a numeric dtype as f64; `None` for other dtypes.
pub(crate) fn decode_le(dtype: Dtype, data: &[u8]) -> Option<Vec<f64>> {
    fn each<const N: usize>(data: &[u8], f: impl Fn([u8; N]) -> f64) -> Vec<f64> {
        data.chunks_exact(N)
            .map(|c| f(c.try_into().expect("chunks_exact yields N bytes")))
            .collect()
    }
    Some(match dtype {
        Dtype::F64 => each(data, f64::from_le_bytes),
        Dtype::F32 => each(data, |b| f64::from(f32::from_le_bytes(b))),
        Dtype::F16 => each(data, |b| half::f16::from_le_bytes(b).to_f64()),
        Dtype::BF16 => each(data, |b| half::bf16::from_le_bytes(b).to_f64()),
        Dtype::I64 => each(data, |b| i64::from_le_bytes(b) as f64),
        Dtype::I32 => each(data, |b| f64::from(i32::from_le_bytes(b))),
        Dtype::I16 => each(data, |b| f64::from(i16::from_le_bytes(b))),
        Dtype::I8 => each(data, |b: [u8; 1]| f64::from(b[0] as i8)),
        Dtype::U64 => each(data, |b| u64::from_le_bytes(b) as f64),
        Dtype::U32 => each(data, |b| f64::from(u32::from_le_bytes(b))),
        Dtype::U16 => each(data, |b| f64::from(u16::from_le_bytes(b))),
        Dtype::U8 | Dtype::BOOL => each(data, |b: [u8; 1]| f64::from(b[0])),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_order_labels_and_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reps.safetensors");
        let mut set = RepSet::new();
        set.push(
            "layer10",
            Mat::from_fn(2, 3, |i, j| (i * 3 + j) as f64 / 7.0),
        )
        .unwrap();
        set.push("layer2", Mat::from_fn(2, 1, |i, _| i as f64))
            .unwrap();
        set.set_stimuli(vec!["a".into(), "b".into()]).unwrap();
        write_safetensors_file(&path, &set, StoreAs::F64).unwrap();
        let back = read_safetensors_file(&path).unwrap();
        assert_eq!(back.names(), ["layer10", "layer2"]);
        assert_eq!(back.get("layer10").unwrap(), set.get("layer10").unwrap());
        assert_eq!(back.stimuli().unwrap(), ["a", "b"]);
    }

    #[test]
    fn bfloat16_and_float16_convert_exactly() {
        let bf = half::bf16::from_f32(-3.140625);
        let f = half::f16::from_bits(0x2e66);
        assert_eq!(
            decode_le(Dtype::BF16, &bf.to_le_bytes()).unwrap(),
            [-3.140625]
        );
        assert_eq!(
            decode_le(Dtype::F16, &f.to_le_bytes()).unwrap(),
            [f.to_f64()]
        );
    }

    #[test]
    fn truncated_file_is_a_format_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.safetensors");
        let mut set = RepSet::new();
        set.push("x", Mat::from_fn(4, 4, |i, j| (i + j) as f64))
            .unwrap();
        write_safetensors_file(&path, &set, StoreAs::F32).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
        let e = read_safetensors_file(&path).unwrap_err();
        assert!(e.is_file_error(), "{e}");
        assert!(e.to_string().contains("cut.safetensors"), "{e}");
    }
}
