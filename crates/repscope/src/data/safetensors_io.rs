//! The `.safetensors` format (Hugging Face): named tensors with a JSON header.
//!
//! Parsing goes through the `safetensors` crate; this module converts every
//! numeric dtype to `f64` (float16 and bfloat16 through `half`, exactly: both
//! are subsets of f64) and keeps repscope's two optional metadata entries:
//! the order of the representations ([`ORDER_KEY`]; without it names are
//! naturally sorted, since the format itself keeps no order) and one label per
//! stimulus ([`STIMULI_KEY`]), both JSON arrays of strings.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

use faer::Mat;
use safetensors::tensor::{Metadata, TensorInfo};
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

/// The safetensors crate refuses larger headers.
const MAX_HEADER_BYTES: u64 = 100_000_000;

/// The header of a `.safetensors` file, validated against the file's size.
pub(crate) struct Header {
    /// Where the tensor data start in the file.
    pub data_start: u64,
    /// Every tensor, in the header's order; offsets relative to `data_start`.
    pub tensors: Vec<(String, TensorInfo)>,
    pub metadata: HashMap<String, String>,
}

/// Reads and checks the header of the open file `path` without reading any
/// tensor data: the header length and the data it describes must fit the
/// file exactly (a bogus length is an error before anything is allocated).
pub(crate) fn read_header(file: &mut std::fs::File, path: &Path) -> Result<Header> {
    let corrupt = |detail: String| {
        Error::format(
            path,
            detail,
            "the file may be truncated or corrupt; re-save it with safetensors",
        )
    };
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut len = [0u8; 8];
    file.read_exact(&mut len)
        .map_err(|_| corrupt(format!("not a .safetensors file ({file_len} bytes)")))?;
    let header_len = u64::from_le_bytes(len);
    if header_len > MAX_HEADER_BYTES || 8 + header_len > file_len {
        return Err(corrupt(format!(
            "the header claims {header_len} bytes but the file has {file_len}"
        )));
    }
    let mut header = vec![0u8; header_len as usize];
    file.read_exact(&mut header)
        .map_err(|e| Error::io(path, e))?;
    let parsed: Metadata = serde_json::from_slice(&header)
        .map_err(|e| corrupt(format!("not a valid .safetensors header ({e})")))?;
    let data_start = 8 + header_len;
    let data_len = parsed.data_len() as u64;
    if data_start + data_len != file_len {
        return Err(corrupt(format!(
            "the header describes {data_len} bytes of tensor data but the file holds {}",
            file_len - data_start
        )));
    }
    let tensors = parsed
        .tensors()
        .into_iter()
        .map(|(name, info)| (name, info.clone()))
        .collect();
    Ok(Header {
        data_start,
        tensors,
        metadata: parsed.metadata().clone().unwrap_or_default(),
    })
}

/// A metadata entry holding a JSON list of strings, if present.
fn json_list(
    metadata: &HashMap<String, String>,
    key: &str,
    path: &Path,
) -> Result<Option<Vec<String>>> {
    metadata
        .get(key)
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
}

/// The representations' order: repscope's stored order when it lists
/// exactly these names, else natural order of names.
pub(crate) fn representation_order(
    mut names: Vec<String>,
    metadata: &HashMap<String, String>,
    path: &Path,
) -> Result<Vec<String>> {
    match json_list(metadata, ORDER_KEY, path)? {
        Some(order) if is_permutation_of(&order, &names) => Ok(order),
        _ => {
            names.sort_by(|a, b| natord::compare(a, b));
            Ok(names)
        }
    }
}

/// The stimulus labels stored by repscope, if any.
pub(crate) fn stored_stimuli(
    metadata: &HashMap<String, String>,
    path: &Path,
) -> Result<Option<Vec<String>>> {
    json_list(metadata, STIMULI_KEY, path)
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
    let names = tensors.names().into_iter().map(String::from).collect();
    let names = representation_order(names, &info, path)?;
    let mut set = RepSet::new();
    for name in names {
        let view = tensors.tensor(&name).map_err(corrupt)?;
        set.push(
            name.clone(),
            to_matrix(&name, view.dtype(), view.shape(), view.data())?,
        )?;
    }
    if let Some(stimuli) = stored_stimuli(&info, path)? {
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
    let bytes = with_sorted_header(bytes)?;
    write_atomically(path, |w| w.write_all(&bytes))
}

/// The safetensors crate writes its metadata map in hash order, which
/// differs from run to run, so the same set would not give the same bytes;
/// the header is rewritten with every key in sorted order. It holds the
/// same entries, so it has the same length and every offset stays valid.
fn with_sorted_header(mut bytes: Vec<u8>) -> Result<Vec<u8>> {
    let broken = || Error::internal("the safetensors crate wrote an unreadable header");
    let len = bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or_else(broken)? as usize;
    let text = bytes.get(8..8 + len).ok_or_else(broken)?;
    let mut header: std::collections::BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(text).map_err(|_| broken())?;
    if let Some(meta) = header.get_mut("__metadata__") {
        let sorted: std::collections::BTreeMap<String, serde_json::Value> =
            serde_json::from_value(meta.take()).map_err(|_| broken())?;
        *meta = serde_json::to_value(sorted).map_err(|_| broken())?;
    }
    let mut sorted = serde_json::to_vec(&header).map_err(|_| broken())?;
    if sorted.len() > len {
        return Err(broken());
    }
    sorted.resize(len, b' ');
    bytes[8..8 + len].copy_from_slice(&sorted);
    Ok(bytes)
}

/// A list of strings as the JSON text a metadata entry holds.
pub(crate) fn to_json(list: &[String]) -> Result<String> {
    serde_json::to_string(list).map_err(|e| Error::internal(format!("encoding JSON: {e}")))
}

fn is_permutation_of(order: &[String], names: &[String]) -> bool {
    let mut a: Vec<&String> = order.iter().collect();
    let mut b: Vec<&String> = names.iter().collect();
    a.sort();
    b.sort();
    a == b
}

/// A 2-D tensor (row-major little-endian bytes) as a representation.
pub(crate) fn to_matrix(
    name: &str,
    dtype: Dtype,
    shape: &[usize],
    data: &[u8],
) -> Result<Mat<f64>> {
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
    let values = decode_le(dtype, data).ok_or_else(|| Error::UnsupportedDtype {
        array: name.to_string(),
        dtype: format!("{dtype:?}"),
    })?;
    if values.len() != rows * cols {
        return Err(Error::internal(format!(
            "tensor '{name}' holds {} values for shape {rows} × {cols}",
            values.len()
        )));
    }
    crate::linalg::layout::from_row_major(&values, rows, cols, |v| v)
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

/// True for the element types task arithmetic and the readers treat as real
/// numbers: float16, bfloat16, float32, float64.
pub(crate) fn is_float(dtype: Dtype) -> bool {
    matches!(dtype, Dtype::F16 | Dtype::BF16 | Dtype::F32 | Dtype::F64)
}

/// numpy's name of a dtype (`float32`, `bfloat16`, `int64` ...); the
/// safetensors name for types numpy lacks.
pub(crate) fn dtype_name(dtype: Dtype) -> String {
    let name = match dtype {
        Dtype::F64 => "float64",
        Dtype::F32 => "float32",
        Dtype::F16 => "float16",
        Dtype::BF16 => "bfloat16",
        Dtype::I64 => "int64",
        Dtype::I32 => "int32",
        Dtype::I16 => "int16",
        Dtype::I8 => "int8",
        Dtype::U64 => "uint64",
        Dtype::U32 => "uint32",
        Dtype::U16 => "uint16",
        Dtype::U8 => "uint8",
        Dtype::BOOL => "bool",
        other => return format!("{other:?}"),
    };
    name.to_string()
}

/// The largest finite value of a float dtype, and the magnitude from which
/// rounding to it gives infinity (the largest value plus half an ulp).
pub(crate) fn float_limits(dtype: Dtype) -> Option<(f64, f64)> {
    // 2^128 − 2^104 is f32::MAX; half its ulp is 2^103. bfloat16 keeps 8
    // significant bits: its largest value is 2^128 − 2^120, half an ulp 2^119.
    let p = |e: i32| 2f64.powi(e);
    Some(match dtype {
        Dtype::F64 => (f64::MAX, f64::INFINITY),
        Dtype::F32 => (f64::from(f32::MAX), p(128) - p(103)),
        Dtype::BF16 => (p(128) - p(120), p(128) - p(119)),
        Dtype::F16 => (65504.0, 65520.0),
        _ => return None,
    })
}

/// f64 values as little-endian bytes of a float dtype, each rounded once to
/// nearest, ties to even (what numpy's `astype` does); `None` for other
/// dtypes. Values beyond the dtype's range become ±infinity.
pub(crate) fn encode_le(dtype: Dtype, values: &[f64]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(values.len() * dtype.bitsize() / 8);
    match dtype {
        Dtype::F64 => values
            .iter()
            .for_each(|v| out.extend_from_slice(&v.to_le_bytes())),
        // `as` rounds to nearest, ties to even.
        Dtype::F32 => values
            .iter()
            .for_each(|&v| out.extend_from_slice(&(v as f32).to_le_bytes())),
        Dtype::F16 => values
            .iter()
            .for_each(|&v| out.extend_from_slice(&round_to_small_float(v, 5, 10).to_le_bytes())),
        Dtype::BF16 => values
            .iter()
            .for_each(|&v| out.extend_from_slice(&round_to_small_float(v, 8, 7).to_le_bytes())),
        _ => return None,
    }
    Some(out)
}

/// The bits of `v` rounded to a binary float with `exp_bits` exponent bits
/// and `frac_bits` fraction bits (float16: 5, 10; bfloat16: 8, 7), to
/// nearest, ties to even, subnormals included.
///
/// `half`'s `from_f64` is not used: it drops the low 32 bits of the f64
/// fraction before rounding (or goes through f32 on x86), so a value just
/// above a tie can round down: a double rounding numpy does not make.
fn round_to_small_float(v: f64, exp_bits: u32, frac_bits: u32) -> u16 {
    let sign = if v.is_sign_negative() { 1u16 << 15 } else { 0 };
    let exp_field_max = (1u16 << exp_bits) - 1;
    let inf = sign | (exp_field_max << frac_bits);
    if v.is_nan() {
        return inf | (1 << (frac_bits - 1));
    }
    if v.is_infinite() {
        return inf;
    }
    let a = v.abs();
    if a == 0.0 {
        return sign;
    }
    let bias = (1i32 << (exp_bits - 1)) - 1;
    let min_exp = 1 - bias;
    // Exponent of the leading bit of a (f64 subnormals are far below the
    // smallest subnormal of either target, and underflow to zero below).
    let exp = (((a.to_bits() >> 52) & 0x7ff) as i32 - 1023).max(min_exp);
    // a / 2^(exp − frac_bits) is exact: a power-of-two scaling within range.
    let quantum = 2f64.powi(exp - frac_bits as i32);
    let mut significand = (a / quantum).round_ties_even() as u32;
    let mut exp = exp;
    if significand == 1 << (frac_bits + 1) {
        // Rounded up into the next binade.
        significand >>= 1;
        exp += 1;
    }
    if exp > bias {
        return inf;
    }
    if significand < 1 << frac_bits {
        // Subnormal (exp is min_exp): exponent field 0.
        return sign | significand as u16;
    }
    let exp_field = (exp + bias) as u16;
    sign | (exp_field << frac_bits) | (significand as u16 & ((1 << frac_bits) - 1))
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
        // The same set gives the same bytes (the crate's metadata map is
        // written in hash order; the header is sorted).
        let again = dir.path().join("again.safetensors");
        for _ in 0..8 {
            write_safetensors_file(&again, &set, StoreAs::F64).unwrap();
            assert_eq!(
                std::fs::read(&again).unwrap(),
                std::fs::read(&path).unwrap()
            );
        }
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
    fn small_floats_round_to_nearest_even_from_f64() {
        let f16 = |v: f64| half::f16::from_bits(round_to_small_float(v, 5, 10)).to_f64();
        let bf16 = |v: f64| half::bf16::from_bits(round_to_small_float(v, 8, 7)).to_f64();
        let p = |e: i32| 2f64.powi(e);
        // float16 spacing at 1 is 2^-10: a tie goes to the even neighbour,
        // anything above the tie (even by 2^-40, below f32's precision) rounds up.
        assert_eq!(f16(1.0 + p(-11)), 1.0);
        assert_eq!(f16(1.0 + 3.0 * p(-11)), 1.0 + p(-9));
        assert_eq!(f16(1.0 + p(-11) + p(-40)), 1.0 + p(-10));
        assert_eq!(f16(-(1.0 + p(-11) + p(-40))), -(1.0 + p(-10)));
        assert_eq!(f16(65504.0), 65504.0);
        assert_eq!(f16(65519.99), 65504.0);
        assert!(f16(65520.0).is_infinite());
        assert_eq!(f16(p(-24)), p(-24)); // smallest subnormal
        assert_eq!(f16(p(-25)), 0.0); // a tie with zero: even
        assert_eq!(f16(p(-25) + p(-60)), p(-24));
        assert_eq!(f16(p(-14) - p(-25)), p(-14)); // rounds up into the normals
        assert!(f16(f64::NAN).is_nan());
        // bfloat16: 8 significant bits.
        assert_eq!(bf16(1.0 + p(-8)), 1.0);
        assert_eq!(bf16(1.0 + p(-8) + p(-50)), 1.0 + p(-7));
        assert_eq!(bf16(-3.140625), -3.140625);
        assert_eq!(bf16(p(128) - p(120)), p(128) - p(120));
        assert!(bf16(p(128) - p(119)).is_infinite());
        assert_eq!(bf16(p(-133)), p(-133)); // smallest subnormal
        // Where no double rounding is involved, half agrees.
        for i in 0..2000 {
            // f32 inputs: half rounds them correctly.
            let w = ((i as f64 - 1000.0) * 0.0123457 + 1e-3) as f32;
            assert_eq!(f16(f64::from(w)), half::f16::from_f32(w).to_f64(), "{w}");
            assert_eq!(bf16(f64::from(w)), half::bf16::from_f32(w).to_f64(), "{w}");
        }
        let bytes = encode_le(Dtype::F16, &[1.5, -2.0]).unwrap();
        assert_eq!(decode_le(Dtype::F16, &bytes).unwrap(), [1.5, -2.0]);
        assert!(encode_le(Dtype::I64, &[1.0]).is_none());
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
